/**
 * Protocol version 2 values (WIRE.md §1 and §6): checking what the server sends against the
 * schema, and checking what the client sends before it goes out.
 *
 * The client-side checks mirror the server's own (same rules, same precedence, the same
 * message text), so a game sees `field \`slot\`: 10 is outside 0..=9` as a thrown error in
 * its own code rather than as an `invalid_input` from the server a round trip later.
 */

import { DEFAULT_MAX_LEN, type FieldSchema, type FieldValue } from "./schema.js";

const utf8 = new TextEncoder();

export function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

/** What a value is, in the words of the server's messages. */
function kindOf(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "float64";
  if (typeof v === "bigint") return "integer";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "binary";
  return "map";
}

/** A number the way Rust's `{:?}` prints an f64 (`1.0`, `-0.5`), as the server's messages do. */
function floatText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  return String(x);
}

function boundText(f: FieldSchema, x: number): string {
  return f.type === "f32" || f.type === "f64" ? floatText(x) : String(x);
}

/** One field of an input or command that the server would refuse. */
export class FieldError extends Error {
  override name = "FieldError";
  constructor(
    readonly field: string,
    readonly fault: string,
  ) {
    super(`field \`${field}\`: ${fault}`);
  }
}

/** The type fault of a value the client would send for `f`, if any (before any range check). */
function typeFault(f: FieldSchema, v: unknown): string | undefined {
  const ok =
    f.type === "bool"
      ? typeof v === "boolean"
      : f.type === "str"
        ? typeof v === "string"
        : typeof v === "number" && (f.type === "f32" || f.type === "f64" || Number.isInteger(v));
  return ok ? undefined : `expected ${f.type}, got ${kindOf(v)}`;
}

/**
 * Check a value the client is about to send for `f` (WIRE.md §6) and return what the server
 * will hold: floats clamped where the field clamps and rounded to float32 for `f32`. Throws
 * `FieldError` with the server's message otherwise.
 */
export function checkOutgoing(f: FieldSchema, v: unknown): boolean | number | string {
  const fail = (fault: string): never => {
    throw new FieldError(f.name, fault);
  };
  const wrong = typeFault(f, v);
  if (wrong) fail(wrong);
  switch (f.type) {
    case "bool":
      return v as boolean;
    case "i32":
    case "i64": {
      const x = v as number;
      if (!Number.isSafeInteger(x)) fail(`${x} is beyond the integers a JavaScript number holds exactly`);
      const lo = f.min ?? (f.type === "i32" ? -(2 ** 31) : Number.MIN_SAFE_INTEGER);
      const hi = f.max ?? (f.type === "i32" ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER);
      if (x < lo || x > hi) fail(`${x} is outside ${lo}..=${hi}`);
      return x;
    }
    case "f32":
    case "f64": {
      let x = v as number;
      if (!Number.isFinite(x)) fail("not a finite number");
      if (f.min !== undefined && x < f.min) {
        if (f.clamp) x = f.min;
        else fail(`${floatText(x)} is outside ${boundText(f, f.min)}..=${boundText(f, f.max ?? Infinity)}`);
      }
      if (f.max !== undefined && x > f.max) {
        if (f.clamp) x = f.max;
        else fail(`${floatText(x)} is outside ${boundText(f, f.min ?? -Infinity)}..=${boundText(f, f.max)}`);
      }
      if (f.type === "f32") {
        const r = Math.fround(x);
        if (!Number.isFinite(r)) fail(`${floatText(x)} is beyond the float32 range`);
        x = r;
      }
      return x;
    }
    case "str": {
      const len = utf8Length(v as string);
      const max = f.max_len ?? DEFAULT_MAX_LEN;
      if (len > max) fail(`a string of ${len} bytes is longer than max_len ${max}`);
      return v as string;
    }
  }
}

/**
 * Check the given fields of an input or a command's args against their schema, in the
 * server's precedence (an unknown key first, then types, then ranges, whatever the order the
 * caller wrote them in). Returns the map to send, in schema order, with omitted fields left
 * out (the server takes their defaults).
 */
export function checkFields(schema: readonly FieldSchema[], given: Readonly<Record<string, unknown>>): Record<string, boolean | number | string> {
  const byName = new Map(schema.map((f) => [f.name, f]));
  for (const k of Object.keys(given)) {
    if (given[k] !== undefined && !byName.has(k)) throw new FieldError(k, "not in the schema");
  }
  const present = schema.filter((f) => given[f.name] !== undefined);
  // Types before ranges, as the server reports them.
  for (const f of present) {
    const wrong = typeFault(f, given[f.name]);
    if (wrong) throw new FieldError(f.name, wrong);
  }
  const out: Record<string, boolean | number | string> = {};
  for (const f of present) out[f.name] = checkOutgoing(f, given[f.name]);
  return out;
}

/**
 * Check one value the server sent for `f` (state, global or event field). Returns the problem,
 * or undefined when it fits. `nil` is allowed only for a private field (hidden from this
 * client); ranges declared on the field are checked, as the reference client does.
 */
export function incomingProblem(f: FieldSchema, v: unknown): string | undefined {
  if (v === null || v === undefined) return f.private ? undefined : "nil, but the field is not private";
  switch (f.type) {
    case "bool":
      if (typeof v !== "boolean") return `expected bool, got ${kindOf(v)}`;
      return undefined;
    case "i32":
    case "i64":
      if (typeof v !== "number" || !Number.isInteger(v)) return `expected ${f.type}, got ${kindOf(v)}`;
      if (f.type === "i32" && (v < -(2 ** 31) || v > 2 ** 31 - 1)) return `${v} is outside i32`;
      break;
    case "f32":
    case "f64":
      if (typeof v !== "number") return `expected ${f.type}, got ${kindOf(v)}`;
      if (!Number.isFinite(v)) return "not a finite number";
      break;
    case "str": {
      if (typeof v !== "string") return `expected str, got ${kindOf(v)}`;
      const len = utf8Length(v);
      const max = f.max_len ?? DEFAULT_MAX_LEN;
      return len > max ? `a string of ${len} bytes is longer than max_len ${max}` : undefined;
    }
  }
  if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) {
    return `${v} is outside ${f.min ?? "-inf"}..=${f.max ?? "inf"}`;
  }
  return undefined;
}

/** The values of a fields list by name. */
export function named(schema: readonly FieldSchema[], values: readonly FieldValue[]): Readonly<Record<string, FieldValue>> {
  const out: Record<string, FieldValue> = {};
  schema.forEach((f, i) => (out[f.name] = values[i] ?? null));
  return out;
}
