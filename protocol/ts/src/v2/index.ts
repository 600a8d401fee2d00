/**
 * Protocol version 2 building blocks (protocol/src/v2/WIRE.md): typed schemas, typed state
 * with globals, validated inputs and commands, events and command results.
 *
 * `Client` uses them when the session speaks version 2 (the default): the typed `World` from
 * `match_found.schema`, `sendInput(fields)`, `command(name, args)` and `on("event")`. They
 * are checked against golden bytes written by the Rust reference (`tickwave_protocol::v2`).
 */

export * from "./schema.js";
export { FieldError, checkFields, checkOutgoing, incomingProblem, utf8Length } from "./values.js";
export { World, StateError, type Entity, type SnapshotMessage, type DeltaMessage } from "./world.js";
export * from "./messages.js";
