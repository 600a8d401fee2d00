/**
 * Protocol version 2 building blocks (protocol/src/v2/WIRE.md): typed schemas, typed state
 * with globals, validated inputs and commands, events and command results.
 *
 * The server does not speak version 2 yet (issue 15 moves it over); these pieces are checked
 * now against golden bytes written by the Rust reference (`tickwave_protocol::v2`), so the
 * client and the server switch together when it does.
 */

export * from "./schema.js";
export { FieldError, checkFields, checkOutgoing, incomingProblem, utf8Length } from "./values.js";
export { World, StateError, type Entity, type SnapshotMessage, type DeltaMessage } from "./world.js";
export * from "./messages.js";
