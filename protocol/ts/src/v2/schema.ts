/**
 * Protocol version 2: the game's schema (`match_found.schema`), as protocol/src/v2/WIRE.md §2
 * defines it, and the checks a client makes before it trusts one.
 *
 * The server validates its own schema at registration; the client checks it again anyway,
 * because everything else in this module (decoding state, validating inputs) indexes by it,
 * and a bad schema found here is one clear error instead of many confusing ones later.
 */

/** The value types of WIRE.md §1. */
export type FieldType = "bool" | "i32" | "i64" | "f32" | "f64" | "str";
export const FIELD_TYPES: readonly FieldType[] = ["bool", "i32", "i64", "f32", "f64", "str"];

/** A value of a field: `null` only for a private field hidden from this client. */
export type FieldValue = boolean | number | string | null;

export interface FieldSchema {
  readonly name: string;
  readonly type: FieldType;
  /** Inclusive bounds of a numeric field. */
  readonly min?: number;
  readonly max?: number;
  /** Float input fields and command args: out-of-range values are clamped, not refused. */
  readonly clamp?: boolean;
  /** `str` fields: the longest value in UTF-8 bytes (64 when absent). */
  readonly max_len?: number;
  /** Entity fields: who sees the value (others receive `nil`). */
  readonly private?: "owner" | "team";
  /** Input fields and command args: the value of an omitted field. */
  readonly default?: boolean | number | string;
}

export interface KindSchema {
  readonly kind: string;
  readonly fields: readonly FieldSchema[];
}

export interface CommandSchema {
  readonly name: string;
  readonly args: readonly FieldSchema[];
}

export interface EventSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

/** `match_found.schema` in protocol version 2. */
export interface Schema {
  readonly kinds: readonly KindSchema[];
  readonly globals: readonly FieldSchema[];
  readonly input: readonly FieldSchema[];
  readonly commands: readonly CommandSchema[];
  readonly events: readonly EventSchema[];
}

export const MAX_FIELDS = 32;
export const MAX_ITEMS = 64;
export const MAX_NAME_LEN = 32;
export const DEFAULT_MAX_LEN = 64;
export const MAX_STR_LEN = 1024;
export const RESERVED_INPUT_NAMES: readonly string[] = ["type", "seq", "tick"];

/** A schema that breaks WIRE.md §2's rules. */
export class SchemaError extends Error {
  override name = "SchemaError";
}

const NAME = /^[a-z][a-z0-9_]*$/;
const I32 = [-(2 ** 31), 2 ** 31 - 1] as const;

export function validName(s: unknown): s is string {
  return typeof s === "string" && s.length <= MAX_NAME_LEN && NAME.test(s);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function list(raw: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SchemaError(`${where}.${key}: expected an array`);
  return v;
}

function parseField(raw: unknown, where: string): FieldSchema {
  if (!isMap(raw)) throw new SchemaError(`${where}: a field must be a map`);
  const { name, type } = raw;
  if (!validName(name)) throw new SchemaError(`${where}: bad field name ${JSON.stringify(name)}`);
  const at = `${where}.${name}`;
  if (!FIELD_TYPES.includes(type as FieldType)) throw new SchemaError(`${at}: unknown type ${JSON.stringify(type)}`);
  const t = type as FieldType;
  const f: { -readonly [K in keyof FieldSchema]: FieldSchema[K] } = { name, type: t };
  for (const b of ["min", "max"] as const) {
    const v = raw[b];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new SchemaError(`${at}: ${b} must be a finite number`);
    if (t === "bool" || t === "str") throw new SchemaError(`${at}: ${b} on a ${t} field`);
    if ((t === "i32" || t === "i64") && !Number.isInteger(v)) throw new SchemaError(`${at}: ${b} of an int field must be an int`);
    if (t === "i32" && (v < I32[0] || v > I32[1])) throw new SchemaError(`${at}: ${b} is outside i32`);
    f[b] = v;
  }
  if (f.min !== undefined && f.max !== undefined && f.min > f.max) throw new SchemaError(`${at}: min > max`);
  if (raw.clamp === true) {
    if (t !== "f32" && t !== "f64") throw new SchemaError(`${at}: clamp on a ${t} field`);
    f.clamp = true;
  }
  if (raw.max_len !== undefined && raw.max_len !== null) {
    const m = raw.max_len;
    if (t !== "str") throw new SchemaError(`${at}: max_len on a ${t} field`);
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > MAX_STR_LEN) {
      throw new SchemaError(`${at}: max_len must be 1..=${MAX_STR_LEN}`);
    }
    f.max_len = m;
  }
  if (raw.private !== undefined && raw.private !== null) {
    if (raw.private !== "owner" && raw.private !== "team") throw new SchemaError(`${at}: private must be "owner" or "team"`);
    f.private = raw.private;
  }
  if (raw.default !== undefined && raw.default !== null) {
    const d = raw.default;
    if (typeof d !== "boolean" && typeof d !== "number" && typeof d !== "string") {
      throw new SchemaError(`${at}: default must be a bool, number or str`);
    }
    f.default = d;
  }
  return f;
}

function parseFields(raw: unknown[], where: string): FieldSchema[] {
  if (raw.length > MAX_FIELDS) throw new SchemaError(`${where}: more than ${MAX_FIELDS} fields`);
  const out = raw.map((r, i) => parseField(r, `${where}[${i}]`));
  unique(out.map((f) => f.name), where);
  return out;
}

function unique(names: string[], where: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new SchemaError(`${where}: ${JSON.stringify(n)} twice`);
    seen.add(n);
  }
}

function items<T>(raw: unknown[], where: string, parse: (r: Record<string, unknown>, at: string) => T): T[] {
  if (raw.length > MAX_ITEMS) throw new SchemaError(`${where}: more than ${MAX_ITEMS} entries`);
  return raw.map((r, i) => {
    if (!isMap(r)) throw new SchemaError(`${where}[${i}]: expected a map`);
    return parse(r, `${where}[${i}]`);
  });
}

/**
 * Check and normalise a schema as received (decoded MessagePack). Unknown keys are ignored
 * (later servers may add members, WIRE.md §2); everything the rest of the SDK relies on is
 * checked. Throws `SchemaError` naming the first problem.
 */
export function parseSchema(raw: unknown): Schema {
  if (!isMap(raw)) throw new SchemaError("the schema must be a map");
  const kinds = items(list(raw, "kinds", "schema"), "kinds", (r, at) => {
    if (!validName(r.kind)) throw new SchemaError(`${at}: bad kind name ${JSON.stringify(r.kind)}`);
    return { kind: r.kind, fields: parseFields(list(r, "fields", at), `${at} (${r.kind})`) };
  });
  unique(kinds.map((k) => k.kind), "kinds");
  const globals = parseFields(list(raw, "globals", "schema"), "globals");
  const input = parseFields(list(raw, "input", "schema"), "input");
  for (const f of input) {
    if (RESERVED_INPUT_NAMES.includes(f.name)) throw new SchemaError(`input: field name ${f.name} is reserved`);
  }
  const commands = items(list(raw, "commands", "schema"), "commands", (r, at) => {
    if (!validName(r.name)) throw new SchemaError(`${at}: bad command name ${JSON.stringify(r.name)}`);
    return { name: r.name, args: parseFields(list(r, "args", at), `${at} (${r.name})`) };
  });
  unique(commands.map((c) => c.name), "commands");
  const events = items(list(raw, "events", "schema"), "events", (r, at) => {
    if (!validName(r.name)) throw new SchemaError(`${at}: bad event name ${JSON.stringify(r.name)}`);
    return { name: r.name, fields: parseFields(list(r, "fields", at), `${at} (${r.name})`) };
  });
  unique(events.map((e) => e.name), "events");
  return { kinds, globals, input, commands, events };
}
