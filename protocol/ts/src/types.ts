/**
 * The public types of the client: options, events, and what it knows about the lobby.
 * Kept apart from `client.ts` and `connection.ts` so the behaviour there reads without the
 * declarations.
 */

import type { BackoffOptions } from "./backoff.js";
import type {
  ChatMessage,
  ErrorMessage,
  KindSchema,
  LobbyClosed,
  LobbyStateMessage,
  LobbyStateName,
  MatchCancelled,
  MatchFound,
  Notice,
  Redirect,
  PlayerInfo,
  Queued,
  Results,
  Roster,
  RttMessage,
  ServerMessage,
  UnknownServerMessage,
  Welcome,
} from "./messages.js";
import type { World } from "./world.js";
import type { GameEvent } from "./v2/messages.js";
import type { Schema } from "./v2/schema.js";
import type { World as TypedWorld } from "./v2/world.js";

/** The state of a lobby: a protocol-1 `World`, or a protocol-2 typed `v2.World`. */
export type AnyWorld = World | TypedWorld;

/** The part of the WebSocket API the client uses: browsers' `WebSocket` and node's `ws`. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  /** `ws` only: drop the TCP connection without a close frame. */
  terminate?(): void;
}

export interface ConnectOptions {
  /** Display name, 1 to 32 characters. */
  name: string;
  /**
   * The protocol version to ask for in `hello` (default 2, `PROTOCOL_VERSION`). With 1 the
   * client speaks protocol 1 (integer fields, `sendInput({dx, dy, action})`, no commands or
   * events). What the client then reads follows the server's `match_found.schema`.
   */
  protocol?: 1 | 2;
  /** Authentication token, for servers that check one. */
  token?: string;
  /**
   * A resume token from an earlier session (e.g. kept in `sessionStorage` across a page
   * reload): the first connection tries to get that player and seat back, and starts fresh
   * if the server refuses.
   */
  resume?: string;
  /**
   * Cluster mode: the `reservation` of a `redirect` event; the first `hello` redeems it and
   * `matchFound` follows. Only needed with `followRedirects: false` (create a new client
   * with the redirect's `url` and this); by default the client follows redirects itself.
   */
  reservation?: string;
  /**
   * Cluster mode (PROTOCOL.md §5.4): follow a `redirect` to the node of the match (default
   * true). The client emits `redirect`, closes the old connection with 1000 (the old node
   * already took the player out of the queue), connects to the redirect's `url` with its
   * reservation as a new session (`welcome`, new player id) and the pending `findMatch()` /
   * `joinPrivate()` resolves with the `match_found` of that node. From then on `url`, and
   * every reconnect and resume, is the new node's. At most one redirect per request is
   * followed; one that arrives while not queued is ignored.
   *
   * If the new node refuses the reservation (`reservation_invalid`, `_expired`, `_used`,
   * `_foreign`) or the lobby is gone (`lobby_lost`), the pending request rejects with that
   * code, an `error` event names it, and the client stays on the new node, idle, with a
   * fresh session (a refused reservation is never presented again and the client does not
   * queue again on its own): call `findMatch()` again. A connection to the new node that
   * fails on the way is retried with the `reconnect` backoff while the reservation lasts.
   *
   * `false`: the old behaviour: on `redirect` the client is idle, and a pending request
   * rejects with `redirected`; connect a new client to `url` with `reservation` yourself.
   */
  followRedirects?: boolean;
  /**
   * Cluster mode: the URLs of the other nodes (or of every node; duplicates are ignored), in
   * the order to try them. Also accepted as an array for `connect`'s first argument. When the
   * node the client talks to cannot be reached (`connect_failed`, `connect_timeout`: no
   * answer at all, as when it died), the next attempt goes to the next node of the list, with
   * the same backoff. A node honours a dead node's resume token (PROTOCOL.md §11.3): the
   * client gets `welcome {resumed: false}`, `lobbyClosed`, an `error` event `lobby_lost`, and
   * is queued again with priority (`queued`, then `matchFound`) without calling `findMatch`.
   * If the token's node is alive after all (`resume_foreign` naming its URL), the client
   * resumes there. A redirect being followed is retried on its own node only (its
   * reservation is good nowhere else). Default: none (only the given URL).
   */
  nodes?: readonly string[];
  /** Reconnect with resume after an unexpected drop (default on); `false` turns it off. */
  reconnect?: BackoffOptions | false;
  /**
   * WebSocket constructor. Default: `globalThis.WebSocket` (browsers, node 22+), or else the
   * `ws` package, which the SDK loads by itself (an optional peer dependency: node 20 has no
   * global WebSocket). With `webSocketOptions`, `ws` is preferred when it is installed.
   */
  // `ws` and DOM WebSocket types differ in their event types; the client needs only
  // `WebSocketLike`, so any constructor is accepted here.
  WebSocket?: new (...args: any[]) => any;
  /**
   * Third constructor argument, for `ws`: e.g. `{ ca }` to trust the server's development
   * certificate, or `{ rejectUnauthorized: false }`. Browsers ignore it.
   */
  webSocketOptions?: unknown;
  /** Give up a connection attempt that has no `welcome` after this long, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** After a resume into a lobby, wait this long for the seat to come back, ms (default 3000). */
  rejoinTimeoutMs?: number;
}

/** Where the player is. */
export type Place = "idle" | "queued" | "lobby";

/** The lobby the player is in, kept current from `match_found`, `roster` and `lobby_state`. */
export interface LobbyInfo {
  id: number;
  mode: string;
  game: string;
  state: LobbyStateName;
  tickHz: number;
  maxPlayers: number;
  roster: PlayerInfo[];
  /** The kinds: protocol 1 as sent; protocol 2 the typed kinds' names and field names. */
  schema: KindSchema[];
  /** Protocol 2: the typed schema (`match_found.schema`, checked by `v2.parseSchema`). */
  typed?: Schema;
  /** Private lobbies: the code to share. */
  code?: string;
  /** Time left in `starting`/`running` when the last `lobby_state` came, ms. */
  remainingMs?: number;
  /** `performance.now()` when `remainingMs` was measured, for a countdown display. */
  remainingAt?: number;
}

export interface InputIntent {
  /** Horizontal direction in [-1, 1] (clamped); positive is right. */
  dx: number;
  /** Vertical direction in [-1, 1] (clamped); positive is down. */
  dy: number;
  /** Action button held (default false). */
  action?: boolean;
}

export interface ReconnectingEvent {
  /** 1 for the first retry after a drop. */
  attempt: number;
  delayMs: number;
  /** Close code of the drop or failed attempt (1006: network). */
  code: number;
  reason: string;
}

export interface CloseEvent {
  code: number;
  reason: string;
  /** True when `close()` was called. */
  intentional: boolean;
  /** The fatal error that ended the session, if the server sent one. */
  error?: ErrorMessage;
}

export interface InputAckEvent {
  seq: number;
  /** From sending the input to seeing a state that includes it. */
  latencyMs: number;
}

export interface ClientEvents {
  /**
   * A new session (first connect, a fresh start after a refused resume, or the new node's
   * session after following a redirect).
   */
  welcome: Welcome;
  /** The same player came back after a drop. */
  resumed: Welcome;
  reconnecting: ReconnectingEvent;
  /** The client is finished: `close()`, a fatal error, or reconnecting gave up. */
  close: CloseEvent;
  queued: Queued;
  matchCancelled: MatchCancelled;
  matchFound: MatchFound;
  roster: Roster;
  lobbyState: LobbyStateMessage;
  /** After every snapshot or delta, with the new state. */
  state: AnyWorld;
  /** Protocol 2: a game event, checked against `schema.events` (before its tick's state). */
  event: GameEvent;
  inputAck: InputAckEvent;
  rtt: RttMessage;
  chat: ChatMessage;
  notice: Notice;
  /**
   * Cluster mode: the match is on another node. Emitted before the client follows it (see
   * `ConnectOptions.followRedirects`); with `followRedirects: false` the client is idle now:
   * connect a new client to `url` with `reservation` in its options.
   */
  redirect: Redirect;
  /** Server errors, and client-side ones (`decode_failed`, `state_desync`), by `code`. */
  error: ErrorMessage;
  /** `payload` (protocol 2): the game's own result, e.g. connect4's `{winner, reason}`. */
  results: Results & { payload?: Record<string, unknown> };
  lobbyClosed: LobbyClosed;
  /** Every server message, decoded, before the client acts on it. */
  message: ServerMessage | UnknownServerMessage;
}

/** A failure to connect, or a refused request; `code` is the protocol's error code. */
export class TickwaveError extends Error {
  override name = "TickwaveError";
  constructor(
    readonly code: string,
    message: string,
    /** WebSocket close code, when the connection ended. */
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

/**
 * A `command()` that failed: `ok:false` from the server (the game's code such as
 * `not_your_turn`, or the server's `unknown_command`, `invalid_args`, `rate_limited`, ...),
 * or one the client settled itself: `disconnected` (the connection dropped or the client
 * closed before the answer), `lobby_closed`, `not_in_lobby` (no protocol-2 lobby to send it
 * to), `too_many_pending` (more than `MAX_PENDING_COMMANDS` unanswered), `invalid_args` (the
 * schema refuses the args; nothing was sent).
 */
export class CommandError extends TickwaveError {
  override name = "CommandError";
}
