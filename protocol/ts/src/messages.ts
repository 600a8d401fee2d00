/**
 * Every message of the Tickwave wire protocol, version 1, as TypeScript types plus a runtime
 * description of their fields.
 *
 * The types mirror `protocol/src/message.rs` (the reference) and `protocol/PROTOCOL.md` (the
 * contract). Field names are the wire names, snake_case, so a decoded MessagePack map *is* the
 * typed value: no renaming layer that could drift. The runtime tables (`SERVER_FIELDS`,
 * `CLIENT_FIELDS`) are what the decoder checks messages against and what the drift tests
 * compare with the Rust crate's golden bytes and with PROTOCOL.md's tables; the compiler
 * keeps the tables and the interfaces in step (see `Fields<T>`).
 */

/** The only protocol version this SDK speaks (`hello.protocol`). */
/**
 * The protocol version the client asks for by default (`ConnectOptions.protocol`). Version 2
 * carries the typed schema, globals, commands and events; `protocol: 1` keeps version 1.
 */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------
// Client messages
// ---------------------------------------------------------------------------------------

/** First message on every connection. */
export interface Hello {
  type: "hello";
  protocol: number;
  /**
   * Display name: 1 to 32 Unicode scalar values, no control, bidirectional or invisible
   * format characters (PROTOCOL.md §2).
   */
  name: string;
  /** Authentication token (ignored by servers without a token mode). */
  token?: string;
  /** Resume token from the latest `welcome`, to get the same player and seat back. */
  resume?: string;
  /** With `resume`: the last tick whose state the client holds (catch-up by one delta). */
  last_tick?: number;
  /** Cluster mode: the reservation of a `redirect`, redeemed on the node it names. */
  reservation?: string;
}

export interface FindMatch {
  type: "find_match";
  mode: string;
  skill?: number;
  region?: string;
}

export interface CancelMatch {
  type: "cancel_match";
}

export interface CreatePrivate {
  type: "create_private";
  mode: string;
}

export interface JoinPrivate {
  type: "join_private";
  code: string;
}

export interface InputMessage {
  type: "input";
  /** Strictly increasing per player, from 1; the SDK assigns it. */
  seq: number;
  /** Horizontal direction in [-1, 1], positive is right. */
  dx: number;
  /** Vertical direction in [-1, 1], positive is **down**. */
  dy: number;
  action: boolean;
}

export interface Leave {
  type: "leave";
}

/** A chat line to everyone in the player's lobby (refusals: `chat_*` errors, non-fatal). */
export interface ChatSend {
  type: "chat";
  text: string;
}

export type ClientMessage =
  | Hello
  | FindMatch
  | CancelMatch
  | CreatePrivate
  | JoinPrivate
  | InputMessage
  | Leave
  | ChatSend;

// ---------------------------------------------------------------------------------------
// Server messages
// ---------------------------------------------------------------------------------------

export interface Welcome {
  type: "welcome";
  session: number;
  protocol: number;
  /** This session's player id; equals its entity id in the arena. */
  player: number;
  server: string;
  heartbeat_ms: number;
  timeout_ms: number;
  modes: string[];
  /** Single-use resume token; every `welcome` carries a new one. */
  resume?: string;
  /** True when this `welcome` answers a successful resume (same player, seat kept). */
  resumed?: boolean;
  /**
   * True when the resume hands a held lobby seat back: `match_found` follows (or
   * `lobby_closed` / error `overloaded`); do not send `find_match` meanwhile. Absent from
   * servers before it was added: then judge by whether you were in a lobby.
   */
  seat_held?: boolean;
}

export interface ErrorMessage {
  type: "error";
  /** One of `ERROR_CODES`, or a newer code: handle unknown codes by `fatal`. */
  code: ErrorCode | (string & {});
  message: string;
  /** True: a close frame follows. */
  fatal: boolean;
}

export interface RttMessage {
  type: "rtt";
  rtt_ms: number;
  jitter_ms: number;
  last_ms: number;
}

export interface Queued {
  type: "queued";
  mode: string;
  waiting: number;
}

export interface MatchCancelled {
  type: "match_cancelled";
  reason: string;
}

export interface PlayerInfo {
  player: number;
  name: string;
  /** False while the player's connection is gone but the seat is held for a resume. */
  connected: boolean;
}

/** An entity kind and the names of its integer fields, in order. */
export interface KindSchema {
  kind: string;
  fields: string[];
}

export interface MatchFound {
  type: "match_found";
  lobby: number;
  player: number;
  mode: string;
  game: string;
  state: LobbyStateName;
  tick_hz: number;
  max_players: number;
  roster: PlayerInfo[];
  /**
   * Protocol 1: the kinds (`kind` in an entity indexes this array). Protocol 2: a map, the
   * typed schema as sent (`v2.parseSchema` checks it; `Client.lobby.typed` holds the result).
   */
  schema: KindSchema[] | Record<string, unknown>;
  /** Only in private lobbies: the code to share. */
  code?: string;
  /** Only when the mode sends state less often than it ticks: state messages per second. */
  send_hz?: number;
}

export interface Roster {
  type: "roster";
  lobby: number;
  players: PlayerInfo[];
  joined: number[];
  left: number[];
}

export type LobbyStateName = "waiting" | "starting" | "running" | "finished" | (string & {});

export interface LobbyStateMessage {
  type: "lobby_state";
  lobby: number;
  state: LobbyStateName;
  /** Only in `starting` and `running`: time left in this state. */
  remaining_ms?: number;
  tick: number;
}

/** `[id, kind, fields]` on the wire. Ids can be ≥ 2^31: never use `| 0` on them. */
export type WireEntity = [id: number, kind: number, fields: number[]];
/** `[id, mask, values]`: bit i of mask set means field i changed; values in bit order. */
export type WireChange = [id: number, mask: number, values: number[]];
/** Player id → last applied input seq. Integer keys arrive as property names ("17"). */
export type WireAcks = Record<string, number>;

export interface Snapshot {
  type: "snapshot";
  tick: number;
  acks: WireAcks;
  entities: WireEntity[];
}

export interface Delta {
  type: "delta";
  tick: number;
  base: number;
  acks: WireAcks;
  added: WireEntity[];
  changed: WireChange[];
  removed: number[];
}

export interface ScoreLine {
  player: number;
  name: string;
  score: number;
}

export interface Results {
  type: "results";
  lobby: number;
  scores: ScoreLine[];
}

export interface LobbyClosed {
  type: "lobby_closed";
  lobby: number;
  reason: string;
}

/** A chat line from a lobby member (your own lines are echoed back too). */
export interface ChatMessage {
  type: "chat";
  from: number;
  name: string;
  text: string;
  tick: number;
}

export type NoticeSeverity = "info" | "warning" | "critical";

/** An operator notice to every player, e.g. "server restarts in 5 minutes". */
export interface Notice {
  type: "notice";
  severity: NoticeSeverity | (string & {});
  text: string;
}

/**
 * Cluster mode: the match is on another node. Close this connection, connect to `url` and
 * send `hello` with `reservation` (single-use, expires in seconds); `match_found` follows.
 * `Client` does this itself unless `ConnectOptions.followRedirects` is false.
 */
export interface Redirect {
  type: "redirect";
  url: string;
  reservation: string;
}

export type ServerMessage =
  | Welcome
  | ErrorMessage
  | RttMessage
  | Queued
  | MatchCancelled
  | MatchFound
  | Roster
  | LobbyStateMessage
  | Snapshot
  | Delta
  | Results
  | LobbyClosed
  | ChatMessage
  | Notice
  | Redirect;

/** A server message of a type this SDK does not know (newer server): ignore it. */
export interface UnknownServerMessage {
  type: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Error codes
// ---------------------------------------------------------------------------------------

/** Every error code the reference server defines, with the close code that follows it. */
export const ERROR_CODES = {
  protocol_version: 1002,
  expected_hello: 1002,
  malformed: 1007,
  invalid_name: 1007,
  unknown_type: 1003,
  text_frame: 1003,
  too_large: 1009,
  heartbeat_timeout: 1008,
  server_shutting_down: 1001,
  resume_invalid: 1008,
  resume_foreign: 1008,
  resume_expired: 1008,
  resume_used: 1008,
  session_replaced: 1008,
  kicked: 1008,
  abuse: 1008,
  auth_required: 1008,
  auth_invalid: 1008,
  auth_expired: 1008,
  reservation_invalid: 1008,
  reservation_expired: 1008,
  reservation_used: 1008,
  reservation_foreign: 1008,
  unknown_mode: null,
  already_queued: null,
  already_in_lobby: null,
  not_queued: null,
  not_in_lobby: null,
  unknown_code: null,
  lobby_full: null,
  invalid_input: null,
  overloaded: null,
  lobby_failed: null,
  server_draining: null,
  chat_too_long: null,
  chat_rate_limited: null,
  chat_invalid: null,
  rate_limited: null,
  lobby_lost: null,
  seat_refused: null,
  mode_needs_protocol: null,
} as const satisfies Record<string, number | null>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Refusals of a resume token: the player cannot be resumed, so start a fresh session. */
export const RESUME_REFUSALS: readonly string[] = [
  "resume_invalid",
  "resume_foreign",
  "resume_expired",
  "resume_used",
];

// ---------------------------------------------------------------------------------------
// Runtime field tables
// ---------------------------------------------------------------------------------------

/** Wire type of a field, as PROTOCOL.md names them. */
export type FieldType = "uint" | "int" | "float" | "str" | "bool" | "array" | "map";

export interface FieldSpec {
  type: FieldType;
  optional?: true;
}

/**
 * One spec per field of `T` except `type`: the compiler refuses a table that misses a field
 * of the interface or names one it does not have.
 */
export type Fields<T> = { [K in Exclude<keyof T, "type">]-?: FieldSpec };

const req = (type: FieldType): FieldSpec => ({ type });
const opt = (type: FieldType): FieldSpec => ({ type, optional: true });

type ByType<U extends { type: string }> = { [M in U as M["type"]]: Fields<M> };

/** Fields of every server message the SDK knows. */
export const SERVER_FIELDS: ByType<ServerMessage> = {
  welcome: {
    session: req("uint"),
    protocol: req("uint"),
    player: req("uint"),
    server: req("str"),
    heartbeat_ms: req("uint"),
    timeout_ms: req("uint"),
    modes: req("array"),
    resume: opt("str"),
    resumed: opt("bool"),
    seat_held: opt("bool"),
  },
  error: { code: req("str"), message: req("str"), fatal: req("bool") },
  rtt: { rtt_ms: req("float"), jitter_ms: req("float"), last_ms: req("float") },
  queued: { mode: req("str"), waiting: req("uint") },
  match_cancelled: { reason: req("str") },
  match_found: {
    lobby: req("uint"),
    player: req("uint"),
    mode: req("str"),
    game: req("str"),
    state: req("str"),
    tick_hz: req("uint"),
    max_players: req("uint"),
    roster: req("array"),
    schema: req("array"),
    code: opt("str"),
    send_hz: opt("uint"),
  },
  roster: { lobby: req("uint"), players: req("array"), joined: req("array"), left: req("array") },
  lobby_state: {
    lobby: req("uint"),
    state: req("str"),
    remaining_ms: opt("uint"),
    tick: req("uint"),
  },
  snapshot: { tick: req("uint"), acks: req("map"), entities: req("array") },
  delta: {
    tick: req("uint"),
    base: req("uint"),
    acks: req("map"),
    added: req("array"),
    changed: req("array"),
    removed: req("array"),
  },
  results: { lobby: req("uint"), scores: req("array") },
  lobby_closed: { lobby: req("uint"), reason: req("str") },
  chat: { from: req("uint"), name: req("str"), text: req("str"), tick: req("uint") },
  notice: { severity: req("str"), text: req("str") },
  redirect: { url: req("str"), reservation: req("str") },
};

/** Fields of every client message the SDK can send. */
export const CLIENT_FIELDS: ByType<ClientMessage> = {
  hello: {
    protocol: req("uint"),
    name: req("str"),
    token: opt("str"),
    resume: opt("str"),
    last_tick: opt("uint"),
    reservation: opt("str"),
  },
  find_match: { mode: req("str"), skill: opt("float"), region: opt("str") },
  cancel_match: {},
  create_private: { mode: req("str") },
  join_private: { code: req("str") },
  input: { seq: req("uint"), dx: req("float"), dy: req("float"), action: opt("bool") },
  leave: {},
  chat: { text: req("str") },
};

/**
 * What this SDK knows (from the Rust crate) that PROTOCOL.md does not document yet. The drift
 * test fails when the document gains something the SDK lacks, when the SDK has something the
 * document lacks and that is not listed here, and when a listed item becomes documented
 * (then remove it here).
 */
export const NOT_YET_DOCUMENTED: {
  serverTypes: readonly string[];
  clientTypes: readonly string[];
  fields: readonly string[];
  errorCodes: readonly string[];
} = {
  serverTypes: [],
  clientTypes: [],
  fields: [],
  errorCodes: [],
};
