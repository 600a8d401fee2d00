/**
 * MessagePack encoding and decoding of whole messages, on top of @msgpack/msgpack.
 *
 * Decoding checks each known message against `SERVER_FIELDS`, so a server (or SDK) that
 * drifts from the contract fails loudly at the boundary instead of as an `undefined` deep in
 * game code. Encoding writes keys in the reference implementation's order and leaves absent
 * optional fields out, so the SDK's bytes equal the Rust crate's (checked by the golden tests).
 */

import { Decoder, Encoder } from "@msgpack/msgpack";
import {
  CLIENT_FIELDS,
  SERVER_FIELDS,
  type ClientMessage,
  type FieldSpec,
  type ServerMessage,
  type UnknownServerMessage,
} from "./messages.js";

/** Bytes that are not a valid message of the protocol. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Client messages larger than this are refused by the server (close 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

const decoder = new Decoder();
const encoder = new Encoder({ ignoreUndefined: true });
/**
 * Inputs carry floats in [-1, 1] that the server rounds to hundredths: float32 is exact
 * enough, half the size of float64, and what the Rust reference client sends.
 */
const inputEncoder = new Encoder({ ignoreUndefined: true, forceFloat32: true });

type Table = Record<string, Record<string, FieldSpec>>;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function hasType(v: unknown, type: FieldSpec["type"]): boolean {
  switch (type) {
    case "uint":
      return typeof v === "number" && Number.isInteger(v) && v >= 0;
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "float":
      return typeof v === "number";
    case "str":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "map":
      return isMap(v);
  }
}

/** Check `msg` against its table entry; absent or nil optional fields are dropped. */
function check(msg: Record<string, unknown>, table: Table, side: string): boolean {
  const type = msg["type"];
  if (typeof type !== "string") throw new ProtocolError(`${side} message without a string "type"`);
  if (!Object.hasOwn(table, type)) return false;
  const fields = table[type]!;
  for (const [key, spec] of Object.entries(fields)) {
    const v = msg[key];
    if (v === undefined || v === null) {
      if (spec.optional) {
        delete msg[key];
        continue;
      }
      throw new ProtocolError(`${side} ${type}: missing field "${key}"`);
    }
    // Protocol 2 sends the schema as a map (PROTOCOL.md §3.3); `v2.parseSchema` checks it.
    if (type === "match_found" && key === "schema" && isMap(v)) continue;
    if (!hasType(v, spec.type)) {
      throw new ProtocolError(`${side} ${type}.${key}: expected ${spec.type}, got ${JSON.stringify(v)}`);
    }
  }
  return true;
}

function decodeMap(bytes: Uint8Array | ArrayBuffer, side: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = decoder.decode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (e) {
    throw new ProtocolError(`${side} message is not MessagePack: ${(e as Error).message}`);
  }
  if (!isMap(v)) throw new ProtocolError(`${side} message is not a map`);
  return v;
}

/**
 * Decode one server message. Known types are checked field by field; an unknown type (a
 * newer server) comes back as it is, for the caller to ignore.
 */
export function decodeServer(bytes: Uint8Array | ArrayBuffer): ServerMessage | UnknownServerMessage {
  const msg = decodeMap(bytes, "server");
  check(msg, SERVER_FIELDS as Table, "server");
  return msg as ServerMessage | UnknownServerMessage;
}

/** Decode one client message (for tests and tools that play the server's side). */
export function decodeClient(bytes: Uint8Array | ArrayBuffer): ClientMessage {
  const msg = decodeMap(bytes, "client");
  if (!check(msg, CLIENT_FIELDS as Table, "client")) {
    throw new ProtocolError(`unknown client message type ${JSON.stringify(msg["type"])}`);
  }
  return msg as unknown as ClientMessage;
}

/**
 * Encode one client message: keys in the reference order (`type`, then the table's order),
 * absent optional fields left out, every field type-checked so a bug here is a thrown
 * `TypeError` rather than a fatal `malformed` from the server.
 */
export function encodeClient(msg: ClientMessage): Uint8Array {
  const fields = (CLIENT_FIELDS as Table)[msg.type];
  if (!fields) throw new TypeError(`unknown client message type ${JSON.stringify(msg.type)}`);
  const src = msg as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: msg.type };
  for (const [key, spec] of Object.entries(fields)) {
    let v = src[key];
    if (msg.type === "input" && key === "action") v = v === true; // the server wants a real bool
    if (v === undefined || v === null) {
      if (spec.optional) continue;
      throw new TypeError(`${msg.type}: missing field "${key}"`);
    }
    const ok = hasType(v, spec.type) && (spec.type !== "float" || Number.isFinite(v));
    if (!ok) throw new TypeError(`${msg.type}.${key}: expected ${spec.type}, got ${String(v)}`);
    out[key] = v;
  }
  const bytes = (msg.type === "input" ? inputEncoder : encoder).encode(out);
  if (bytes.length > MAX_CLIENT_MESSAGE_BYTES) {
    throw new RangeError(`${msg.type} is ${bytes.length} bytes; the server takes at most ${MAX_CLIENT_MESSAGE_BYTES}`);
  }
  return bytes;
}
