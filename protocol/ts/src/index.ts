/**
 * Tickwave client SDK: connect to a Tickwave game server over wss, find a match, follow the
 * authoritative state and send inputs. See `Client` for the API and `messages.ts` for the
 * wire protocol (PROTOCOL.md).
 *
 * ```ts
 * import { Tickwave } from "@tickwave/client";
 * const client = await Tickwave.connect("wss://127.0.0.1:4433/ws", { name: "ada" });
 * ```
 */

import { Client, connect } from "./client.js";
import { decodeClient, decodeServer, encodeClient } from "./codec.js";
import { PROTOCOL_VERSION } from "./messages.js";
import { World } from "./world.js";

export * from "./messages.js";
export * from "./client.js";
export * from "./types.js";
export { World, StateError, type Entity } from "./world.js";
export { decodeServer, decodeClient, encodeClient, ProtocolError, MAX_CLIENT_MESSAGE_BYTES } from "./codec.js";
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
export { Emitter, type Listener } from "./emitter.js";

/** The SDK in one object, for `Tickwave.connect(url, { name })`. */
export const Tickwave = {
  connect,
  Client,
  World,
  PROTOCOL_VERSION,
  encodeClient,
  decodeServer,
  decodeClient,
} as const;

export default Tickwave;
/** Protocol version 2 building blocks (typed schema, World, encoders; see `v2/index.ts`). */
export * as v2 from "./v2/index.js";
