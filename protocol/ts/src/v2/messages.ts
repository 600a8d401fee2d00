/**
 * Protocol version 2 messages that are new in it (WIRE.md §5 and §6): the client's typed
 * `input` and `command`, and the server's `event` and `command_result`.
 *
 * Encoding validates against the schema first (`FieldError` with the server's own message),
 * so a game's bug is a thrown error at the call, not an `invalid_input` a round trip later.
 */

import { Encoder } from "@msgpack/msgpack";
import type { FieldValue, Schema } from "./schema.js";
import { checkFields, incomingProblem, named } from "./values.js";

const encoder = new Encoder({ ignoreUndefined: true });

/** `{"type":"input","seq","tick"?, ...fields}`: game fields at the top level. */
export function encodeInput(schema: Schema, seq: number, tick: number | undefined, fields: Readonly<Record<string, unknown>>): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError(`input seq must be a non-negative integer, got ${seq}`);
  const msg: Record<string, unknown> = { type: "input", seq };
  if (tick !== undefined) msg.tick = tick;
  Object.assign(msg, checkFields(schema.input, fields));
  return encoder.encode(msg);
}

/** `{"type":"command","id","name","args"}`. Throws for a command the schema does not declare. */
export function encodeCommand(schema: Schema, id: number, name: string, args: Readonly<Record<string, unknown>> = {}): Uint8Array {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new TypeError(`command id must be a u32, got ${id}`);
  const c = schema.commands.find((x) => x.name === name);
  if (!c) throw new TypeError(`unknown command \`${name}\``);
  return encoder.encode({ type: "command", id, name, args: checkFields(c.args, args) });
}

/** A game event, checked against `schema.events`. */
export interface GameEvent {
  readonly tick: number;
  readonly name: string;
  readonly data: Readonly<Record<string, FieldValue>>;
}

/** An `event` message as decoded from MessagePack. */
export interface EventMessage {
  type: "event";
  tick: number;
  name: string;
  data: Record<string, unknown>;
}

/** Check an `event` against the schema: a declared name and every field exactly once. */
export function checkEvent(schema: Schema, msg: EventMessage): GameEvent {
  const e = schema.events.find((x) => x.name === msg.name);
  if (!e) throw new TypeError(`event \`${msg.name}\` is not in the schema`);
  const data = msg.data ?? {};
  for (const k of Object.keys(data)) {
    if (!e.fields.some((f) => f.name === k)) throw new TypeError(`event ${msg.name}: field \`${k}\` is not in the schema`);
  }
  const values = e.fields.map((f) => {
    if (!(f.name in data)) throw new TypeError(`event ${msg.name}: field \`${f.name}\` is missing`);
    const p = incomingProblem({ ...f, private: undefined }, data[f.name]);
    if (p) throw new TypeError(`event ${msg.name}: field \`${f.name}\`: ${p}`);
    return data[f.name] as FieldValue;
  });
  return { tick: msg.tick, name: msg.name, data: named(e.fields, values) };
}

/** A `command_result`: the game's answer to one command. */
export type CommandResultMessage =
  | { type: "command_result"; id: number; ok: true; value?: unknown }
  | { type: "command_result"; id: number; ok: false; code: string; message: string };

/** Codes the server itself answers commands with (WIRE.md §5); games add their own. */
export const SERVER_COMMAND_CODES: readonly string[] = [
  "unknown_command",
  "invalid_args",
  "not_in_lobby",
  "rate_limited",
  "too_many_commands",
];
