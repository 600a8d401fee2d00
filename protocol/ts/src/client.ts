/**
 * The Tickwave client: one player's connection to a game server.
 *
 * ```ts
 * const client = await Tickwave.connect("wss://127.0.0.1:4433/ws", { name: "ada" });
 * client.on("state", (world) => draw(world, client.player));
 * const match = await client.findMatch("arena");
 * client.sendInput({ dx: 1, dy: 0 });
 * ```
 *
 * What the client does for you: the handshake; tracking where the player is (idle, queued,
 * in a lobby); applying snapshots and deltas to an immutable `World`; input sequence numbers
 * and acks; and, when the connection drops without anyone asking, reconnecting with backoff
 * and full jitter and resuming the same player and seat (falling back to a fresh session
 * when the server refuses the resume); in cluster mode, following a `redirect` to the node
 * of the match (see `ConnectOptions.followRedirects`). Everything arrives as typed events
 * (`on`, `once`, `iterate`).
 *
 * This file holds the API and what the connection carries (requests, inputs, the lobby and
 * its state, message dispatch); the connection itself (handshake, watchdog, reconnect and
 * resume) is `Connection`'s, in connection.ts.
 */

import { Connection, now, type Timer } from "./connection.js";
import {
  type ClientMessage,
  type FindMatch,
  type InputMessage,
  type MatchFound,
  type Redirect,
  type RttMessage,
  type ServerMessage,
  type UnknownServerMessage,
  type Welcome,
} from "./messages.js";
import { encodeClient } from "./codec.js";
import { CommandError, TickwaveError, type AnyWorld, type ConnectOptions, type InputIntent, type LobbyInfo, type Place } from "./types.js";
import { checkEvent, encodeCommand, encodeInput, type CommandResultMessage, type EventMessage } from "./v2/messages.js";
import { parseSchema, SchemaError } from "./v2/schema.js";
import { FieldError } from "./v2/values.js";
import { StateError as TypedStateError, World as TypedWorld, type DeltaMessage, type Entity as TypedEntity, type SnapshotMessage } from "./v2/world.js";
import { StateError, World, type Entity } from "./world.js";

/** Non-fatal errors that answer (and so cancel) a queue or private-lobby request. */
const REQUEST_REFUSALS = new Set([
  "unknown_mode",
  "already_queued",
  "already_in_lobby",
  "unknown_code",
  "lobby_full",
  "overloaded",
  "server_draining",
  "seat_refused",
  "mode_needs_protocol",
]);
/** Unacknowledged inputs kept for resending after a resume; the newest matter most. */
const MAX_PENDING_INPUTS = 64;
/**
 * Commands sent and not yet answered, per connection: the server keeps at most 16 waiting per
 * player (PROTOCOL.md §8.2), so a 17th could only be refused; the client refuses it at once.
 */
export const MAX_PENDING_COMMANDS = 16;

interface PendingInput {
  seq: number;
  /** The encoded `input` (v1 or v2), resent as it is after a resume. */
  bytes: Uint8Array;
  sentAt: number;
}

interface PendingCommand {
  resolve: (value: unknown) => void;
  reject: (err: CommandError) => void;
}

function clamp(v: number): number {
  if (!Number.isFinite(v)) throw new TypeError(`input direction must be finite, got ${v}`);
  return Math.max(-1, Math.min(1, v));
}

export class Client extends Connection {
  place: Place = "idle";
  lobby: LobbyInfo | undefined;
  /** The current state, or undefined before the first snapshot of a lobby. */
  world: AnyWorld | undefined;
  /** The latest RTT report. */
  rtt: RttMessage | undefined;
  /** Time from sending an input to seeing it applied, for the latest acked input, ms. */
  inputLatencyMs: number | undefined;

  private seq = 0;
  private pending: PendingInput[] = [];
  private placeAtDrop: Place = "idle";
  private lastFind: Omit<FindMatch, "type"> | undefined;
  private awaitingRejoin: Timer | undefined;
  /**
   * Cluster mode: a redirect being followed (`following`: connecting to its node), or
   * redeemed there (`redeemed`: welcomed, its `match_found` is on its way). At most one per
   * request: another `redirect` meanwhile is not followed.
   */
  private redirect: "following" | "redeemed" | undefined;
  /** Rejecters of the pending requests, for failures that no server message answers. */
  private readonly waiting = new Set<(err: TickwaveError) => void>();
  /** The protocol version of the current session (`welcome.protocol`). */
  protocol: number | undefined;
  private commandId = 0;
  private readonly commands = new Map<number, PendingCommand>();

  /** Your own entity in the current state. */
  get me(): Entity | TypedEntity | undefined {
    return this.player === undefined ? undefined : this.world?.get(this.player);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Join the queue of `mode`; resolves on `match_found`, rejects on a refusal or cancel. In
   * cluster mode the match may be on another node: the client follows the `redirect` there
   * and resolves with the `match_found` of that node; it rejects with the code of a refused
   * reservation (`reservation_expired`, ...) or `lobby_lost` (see `followRedirects`).
   */
  findMatch(mode: string, opts: { skill?: number; region?: string } = {}): Promise<MatchFound> {
    const msg: FindMatch = { type: "find_match", mode, ...opts };
    this.lastFind = { mode, ...opts };
    return this.request(msg);
  }

  /** Leave the queue (answered by `matchCancelled`, or a `matchFound` that was faster). */
  cancelMatch(): void {
    this.lastFind = undefined;
    this.send({ type: "cancel_match" });
  }

  /** Create a private lobby; the `MatchFound` carries the `code` to share. */
  createPrivate(mode: string): Promise<MatchFound> {
    this.lastFind = undefined;
    return this.request({ type: "create_private", mode });
  }

  /** Join a private lobby by its code. */
  joinPrivate(code: string): Promise<MatchFound> {
    this.lastFind = undefined;
    return this.request({ type: "join_private", code });
  }

  /** Leave the lobby; the session stays open for another `findMatch`. */
  leave(): void {
    this.lastFind = undefined;
    this.redirect = undefined;
    this.send({ type: "leave" });
    this.place = "idle";
  }

  /**
   * Send the player's current intent. The SDK numbers inputs, keeps the unacknowledged ones
   * and resends them after a resume. Returns the `seq`, or `undefined` outside a lobby (the
   * server would refuse it).
   */
  sendInput(input: InputIntent | Readonly<Record<string, unknown>>): number | undefined {
    const inLobby = this.place === "lobby" || (this.reconnecting && this.placeAtDrop === "lobby");
    if (!inLobby) return undefined;
    const typed = this.lobby?.typed;
    let bytes: Uint8Array;
    if (typed) {
      // Protocol 2: the fields of `schema.input` by name, checked (and clamped) as the server
      // would; a bad field throws `v2.FieldError` here and uses no seq.
      bytes = encodeInput(typed, this.seq + 1, undefined, input as Readonly<Record<string, unknown>>);
    } else {
      const i = input as InputIntent;
      const msg: InputMessage = { type: "input", seq: this.seq + 1, dx: clamp(i.dx), dy: clamp(i.dy), action: i.action === true };
      bytes = encodeClient(msg);
    }
    const seq = ++this.seq;
    this.pending.push({ seq, bytes, sentAt: now() });
    if (this.pending.length > MAX_PENDING_INPUTS) this.pending.shift();
    if (this.connected && this.awaitingRejoin === undefined) this.sendBytes(bytes);
    return seq;
  }

  /**
   * Protocol 2: send the game command `name` (one of `schema.commands`) and settle with its
   * answer: resolves with the decoded `value` (undefined when the game answers none), rejects
   * with a `CommandError` (`code`, `message`) for `ok:false` or when the client settles it
   * (`disconnected`, `lobby_closed`, `not_in_lobby`, `too_many_pending`, `invalid_args`; see
   * `CommandError`). At most `MAX_PENDING_COMMANDS` wait for an answer at once. Ids are the
   * client's, unique per connection.
   */
  command(name: string, args: Readonly<Record<string, unknown>> = {}): Promise<unknown> {
    const p = new Promise<unknown>((resolve, reject) => {
      const typed = this.lobby?.typed;
      if (!typed || this.place !== "lobby" || !this.connected || this.awaitingRejoin !== undefined) {
        reject(new CommandError("not_in_lobby", "commands need a protocol-2 lobby and a live connection"));
        return;
      }
      if (this.commands.size >= MAX_PENDING_COMMANDS) {
        reject(new CommandError("too_many_pending", `${MAX_PENDING_COMMANDS} commands already wait for an answer`));
        return;
      }
      this.commandId = (this.commandId + 1) >>> 0;
      const id = this.commandId;
      let bytes: Uint8Array;
      try {
        bytes = encodeCommand(typed, id, name, args);
      } catch (e) {
        const code = e instanceof FieldError ? "invalid_args" : "unknown_command";
        reject(new CommandError(code, (e as Error).message));
        return;
      }
      this.commands.set(id, { resolve, reject });
      this.sendBytes(bytes);
    });
    p.catch(() => {}); // callers that do not await must not cause unhandled rejections
    return p;
  }

  /** Reject every unanswered command: its answer cannot come any more. */
  private failCommands(code: string, message: string): void {
    const all = [...this.commands.values()];
    this.commands.clear();
    for (const c of all) c.reject(new CommandError(code, message));
  }

  /**
   * Say something to the lobby; everyone there (you included) gets it as a `chat` event.
   * Returns false outside a lobby. The server refuses over-long, empty or too frequent
   * lines with non-fatal `chat_*` errors.
   */
  chat(text: string): boolean {
    if (this.place !== "lobby" || !this.connected || this.awaitingRejoin !== undefined) return false;
    this.send({ type: "chat", text });
    return true;
  }

  /** Leave for good: close with 1000 (gives up the seat) and stop reconnecting. */
  override close(): void {
    if (!this.closed) this.lastFind = undefined;
    super.close();
  }

  /**
   * Send a queue/lobby request and settle with its outcome. A drop in between does not
   * settle it: the client queues again after reconnecting, and the match found then counts.
   */
  private request(msg: ClientMessage): Promise<MatchFound> {
    this.redirect = undefined;
    const p = new Promise<MatchFound>((resolve, reject) => {
      const offs: (() => void)[] = [];
      const done = () => (offs.forEach((off) => off()), this.waiting.delete(fail));
      const fail = (err: TickwaveError) => (done(), reject(err));
      this.waiting.add(fail);
      offs.push(
        this.on("matchFound", (m) => (done(), resolve(m))),
        this.on("error", (e) => {
          if (REQUEST_REFUSALS.has(e.code)) fail(new TickwaveError(e.code, e.message));
        }),
        this.on("matchCancelled", (m) => fail(new TickwaveError("cancelled", m.reason))),
        this.on("close", (c) => fail(new TickwaveError("closed", c.reason, c.code))),
      );
    });
    p.catch(() => {}); // callers that do not await must not cause unhandled rejections
    // Sent even when not idle: the server's answer (already_queued, ...) is the one truth.
    this.send(msg);
    if (this.place === "idle") this.place = "queued";
    return p;
  }

  /** Reject every pending request with `err`. */
  private failRequests(err: TickwaveError): void {
    for (const fail of [...this.waiting]) fail(err);
  }

  /**
   * A `redirect` arrived (cluster mode). Ignored (only the event) unless the client is queued
   * (a `cancelMatch()` not yet answered still counts: the redirect is the match that was
   * faster) and no other redirect is in flight. With `followRedirects: false` the client is
   * idle and a pending request rejects with `redirected` (no `match_found` comes here);
   * otherwise it follows (`Connection.follow`).
   */
  private onRedirect(m: Redirect): void {
    if (this.place !== "queued" || this.redirect !== undefined) {
      this.emit("redirect", m); // not queued, or one redirect is already in flight: ignored
      return;
    }
    if (this.opts.followRedirects === false) {
      this.place = "idle";
      this.lastFind = undefined;
      this.emit("redirect", m);
      this.failRequests(new TickwaveError("redirected", `the match is on another node: ${m.url}`));
      return;
    }
    this.redirect = "following";
    this.emit("redirect", m);
    // A listener may have left, closed or asked for another match meanwhile.
    if (this.redirect !== "following" || this.place !== "queued" || !this.follow(m.url, m.reservation)) {
      if (this.redirect === "following") this.redirect = undefined;
    }
  }

  protected override onReservationRefused(err: TickwaveError): void {
    // The seat is gone: idle on the new node (the fresh session follows), never queued again
    // by the SDK on its own.
    this.redirect = undefined;
    this.place = "idle";
    this.placeAtDrop = "idle";
    this.lastFind = undefined;
    this.failRequests(err);
  }

  // ------------------------------------------------------------------ connection events

  protected override onWelcome(w: Welcome, afterDrop: boolean, redeemed: boolean): void {
    this.protocol = w.protocol;
    if (redeemed && this.redirect === "following") {
      // A new session on the redirect's node: its match_found follows and settles the
      // request; until then the player is still waiting for it.
      this.redirect = "redeemed";
      this.placeAtDrop = "idle";
      this.place = "queued";
      this.emit("welcome", w);
      return;
    }
    const resumed = w.resumed === true;
    const was = afterDrop ? this.placeAtDrop : "idle";
    this.placeAtDrop = "idle";
    // Only the server knows whether a seat is held (a match_found may have been lost with
    // the connection); older servers do not say, then our own view decides.
    const seatHeld = resumed && (w.seat_held ?? was === "lobby");
    if (resumed) {
      this.emit("resumed", w);
      if (seatHeld) {
        // The seat comes back as a new match_found; if it does not, the lobby is gone.
        this.place = "lobby";
        this.awaitingRejoin = setTimeout(() => {
          this.awaitingRejoin = undefined;
          if (this.place === "lobby") this.lobbyLost("seat not restored");
        }, this.opts.rejoinTimeoutMs ?? 3000);
      }
    } else {
      if (was === "lobby") this.lobbyLost("connection lost");
      this.emit("welcome", w);
    }
    if (resumed && was === "lobby" && !seatHeld) this.lobbyLost("seat not held");
    if (was === "queued" && !seatHeld && this.lastFind) {
      // A dropped connection cancels the queue ticket: queue again.
      this.place = "idle";
      void this.findMatch(this.lastFind.mode, { ...this.lastFind });
    }
  }

  /** The seat is gone (refused resume, or the lobby closed while away). */
  private lobbyLost(reason: string): void {
    const lobby = this.lobby?.id ?? 0;
    this.place = "idle";
    this.lobby = undefined;
    this.world = undefined;
    this.pending = [];
    this.failCommands("lobby_closed", reason);
    this.emit("lobbyClosed", { type: "lobby_closed", lobby, reason });
  }

  protected override onReconnectStart(): void {
    // Command ids and answers belong to the connection that carried them.
    this.failCommands("disconnected", "the connection dropped before the answer");
    this.placeAtDrop = this.place;
    this.clearRejoin();
  }

  protected override resumeTick(): number | undefined {
    return this.world?.tick;
  }

  protected override onFinish(): void {
    this.failCommands("disconnected", "the client closed before the answer");
    this.clearRejoin();
  }

  private clearRejoin(): void {
    if (this.awaitingRejoin !== undefined) clearTimeout(this.awaitingRejoin);
    this.awaitingRejoin = undefined;
  }

  // ------------------------------------------------------------------ messages

  protected override dispatch(msg: ServerMessage | UnknownServerMessage): void {
    this.emit("message", msg);
    const m = msg as ServerMessage;
    switch (m.type) {
      case "error": {
        let redirectLost = false;
        if (m.fatal) this.lastFatal = m;
        else if (m.code === "overloaded" && this.awaitingRejoin !== undefined) {
          // After a resumed welcome this means the lobby ended while we were away.
          this.clearRejoin();
          this.lobbyLost("lobby ended while disconnected");
        } else if (REQUEST_REFUSALS.has(m.code) && this.place === "queued") {
          this.place = "idle";
          this.redirect = undefined;
        } else if (m.code === "lobby_lost" && this.redirect === "redeemed" && this.place === "queued") {
          // The redirect's lobby closed before the seat was taken: idle on this node.
          this.redirect = undefined;
          this.place = "idle";
          this.lastFind = undefined;
          redirectLost = true;
        }
        this.emit("error", m);
        if (redirectLost) this.failRequests(new TickwaveError(m.code, m.message));
        break;
      }
      case "rtt":
        this.rtt = m;
        this.emit("rtt", m);
        break;
      case "queued":
        this.place = "queued";
        this.emit("queued", m);
        break;
      case "match_cancelled":
        if (this.place === "queued") this.place = "idle";
        this.emit("matchCancelled", m);
        break;
      case "match_found":
        this.onMatchFound(m);
        break;
      case "roster":
        if (this.lobby?.id === m.lobby) this.lobby.roster = m.players;
        this.emit("roster", m);
        break;
      case "lobby_state":
        if (this.lobby?.id === m.lobby) {
          this.lobby.state = m.state;
          this.lobby.remainingMs = m.remaining_ms;
          this.lobby.remainingAt = now();
        }
        this.emit("lobbyState", m);
        break;
      case "snapshot":
        if (!this.lobby) break;
        if (this.lobby.typed) {
          try {
            this.world = TypedWorld.fromSnapshot(this.lobby.typed, m as unknown as SnapshotMessage);
          } catch (e) {
            if (!(e instanceof TypedStateError)) throw e;
            this.desync(e.message);
            break;
          }
        } else {
          this.world = World.fromSnapshot(this.lobby.schema, m);
        }
        this.onState(this.world);
        break;
      case "delta":
        if (!this.world) break; // wait for the snapshot (PROTOCOL.md §6)
        try {
          this.world =
            this.world instanceof TypedWorld ? this.world.apply(m as unknown as DeltaMessage) : this.world.apply(m);
        } catch (e) {
          if (!(e instanceof StateError) && !(e instanceof TypedStateError)) throw e;
          this.world = undefined;
          this.emit("error", { type: "error", code: "state_desync", message: e.message, fatal: false });
          break;
        }
        this.onState(this.world);
        break;
      case "results":
        this.emit("results", m);
        break;
      case "lobby_closed":
        if (this.lobby === undefined || this.lobby.id === m.lobby) {
          this.place = "idle";
          this.lobby = undefined;
          this.world = undefined;
          this.pending = [];
          this.failCommands("lobby_closed", m.reason);
        }
        this.emit("lobbyClosed", m);
        break;
      case "chat":
        this.emit("chat", m);
        break;
      case "notice":
        this.emit("notice", m);
        break;
      case "redirect":
        this.onRedirect(m);
        break;
      default:
        // Protocol 2's own messages are not in the v1 tables (codec.ts); checked here.
        if ((msg.type as string) === "event") this.onEvent(msg as unknown as EventMessage);
        else if ((msg.type as string) === "command_result") this.onCommandResult(msg as unknown as CommandResultMessage);
        break; // else a newer server's message type: ignore (PROTOCOL.md §10)
    }
  }

  /** The world was dropped: wait for the next snapshot, and say why. */
  private desync(message: string): void {
    this.world = undefined;
    this.emit("error", { type: "error", code: "state_desync", message, fatal: false });
  }

  private onEvent(m: EventMessage): void {
    const typed = this.lobby?.typed;
    if (!typed) return;
    try {
      this.emit("event", checkEvent(typed, m));
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      this.emit("error", { type: "error", code: "bad_event", message: e.message, fatal: false });
    }
  }

  private onCommandResult(m: CommandResultMessage): void {
    const c = this.commands.get(m.id);
    if (!c) return; // not ours (or already settled by a drop): nothing waits for it
    this.commands.delete(m.id);
    if (m.ok === true) c.resolve(m.value ?? undefined);
    else c.reject(new CommandError(String(m.code ?? "unknown"), String(m.message ?? "")));
  }

  private onMatchFound(m: MatchFound): void {
    const rejoined = this.awaitingRejoin !== undefined && this.lobby?.id === m.lobby;
    this.clearRejoin();
    this.place = "lobby";
    this.lastFind = undefined;
    this.redirect = undefined;
    const lobby: LobbyInfo = {
      id: m.lobby,
      mode: m.mode,
      game: m.game,
      state: m.state,
      tickHz: m.tick_hz,
      maxPlayers: m.max_players,
      roster: m.roster,
      schema: [],
    };
    if (Array.isArray(m.schema)) {
      lobby.schema = m.schema;
    } else {
      try {
        lobby.typed = parseSchema(m.schema);
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
        // Nothing of this lobby can be read or sent without its schema.
        this.emit("error", { type: "error", code: "bad_schema", message: e.message, fatal: false });
      }
      lobby.schema = (lobby.typed?.kinds ?? []).map((k) => ({ kind: k.kind, fields: k.fields.map((f) => f.name) }));
    }
    if (m.code !== undefined) lobby.code = m.code;
    if (rejoined) {
      // Same lobby after a resume: keep the state; the server continues it with a catch-up
      // delta from our last tick (or a snapshot). Resend what it has not acknowledged.
      lobby.remainingMs = this.lobby?.remainingMs;
      lobby.remainingAt = this.lobby?.remainingAt;
      this.lobby = lobby;
      const ack = this.world?.acks.get(m.player) ?? 0;
      for (const p of this.pending) if (p.seq > ack) this.sendBytes(p.bytes);
    } else {
      this.lobby = lobby;
      this.world = undefined;
      this.pending = [];
    }
    this.emit("matchFound", m);
  }

  private onState(world: AnyWorld): void {
    const ack = this.player === undefined ? 0 : (world.acks.get(this.player) ?? 0);
    let acked: PendingInput | undefined;
    while (this.pending.length > 0 && this.pending[0]!.seq <= ack) acked = this.pending.shift();
    if (acked) {
      this.inputLatencyMs = now() - acked.sentAt;
      this.emit("inputAck", { seq: acked.seq, latencyMs: this.inputLatencyMs });
    }
    this.emit("state", world);
  }
}

/**
 * Connect and wait for the `welcome`: `const client = await connect(url, { name })`. In
 * cluster mode pass every node's URL (`connect([url1, url2, url3], ...)`, or `opts.nodes`):
 * the first reachable one is used, and when it dies the client resumes on another
 * (PROTOCOL.md §11.3).
 */
export async function connect(url: string | readonly string[], opts: ConnectOptions): Promise<Client> {
  const client = new Client(url, opts);
  await client.connect();
  return client;
}
