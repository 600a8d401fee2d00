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
 * when the server refuses the resume). Everything arrives as typed events (`on`, `once`,
 * `iterate`).
 */

import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { decodeServer, encodeClient } from "./codec.js";
import { Emitter } from "./emitter.js";
import {
  ERROR_CODES,
  PROTOCOL_VERSION,
  RESUME_REFUSALS,
  type ClientMessage,
  type ErrorMessage,
  type FindMatch,
  type Hello,
  type InputMessage,
  type MatchFound,
  type RttMessage,
  type ServerMessage,
  type UnknownServerMessage,
  type Welcome,
} from "./messages.js";
import {
  TickwaveError,
  type ClientEvents,
  type CloseEvent,
  type ConnectOptions,
  type InputIntent,
  type LobbyInfo,
  type Place,
  type WebSocketLike,
} from "./types.js";
import { StateError, World, type Entity } from "./world.js";

/** Close codes after which trying again cannot help (PROTOCOL.md §11). */
const FINAL_CLOSE = new Set([1000, 1002, 1003, 1007, 1009]);
/** Fatal errors after which a reconnect is pointless or wrong. */
const FINAL_ERRORS = new Set([
  "protocol_version",
  "expected_hello",
  "malformed",
  "invalid_name",
  "unknown_type",
  "text_frame",
  "too_large",
  "session_replaced",
  "kicked",
  "abuse",
  "auth_required",
  "auth_invalid",
  "auth_expired",
]);
/** Non-fatal errors that answer (and so cancel) a queue or private-lobby request. */
const REQUEST_REFUSALS = new Set([
  "unknown_mode",
  "already_queued",
  "already_in_lobby",
  "unknown_code",
  "lobby_full",
  "overloaded",
  "server_draining",
]);
/** Unacknowledged inputs kept for resending after a resume; the newest matter most. */
const MAX_PENDING_INPUTS = 64;

interface PendingInput {
  msg: InputMessage;
  sentAt: number;
}

type Timer = ReturnType<typeof setTimeout>;

const now = () => performance.now();

function clamp(v: number): number {
  if (!Number.isFinite(v)) throw new TypeError(`input direction must be finite, got ${v}`);
  return Math.max(-1, Math.min(1, v));
}

export class Client extends Emitter<ClientEvents> {
  /** This session's player id (also its entity id in the arena). */
  player: number | undefined;
  /** The latest `welcome`. */
  welcome: Welcome | undefined;
  place: Place = "idle";
  lobby: LobbyInfo | undefined;
  /** The current state, or undefined before the first snapshot of a lobby. */
  world: World | undefined;
  /** The latest RTT report. */
  rtt: RttMessage | undefined;
  /** Time from sending an input to seeing it applied, for the latest acked input, ms. */
  inputLatencyMs: number | undefined;
  /** True once the client is finished (see the `close` event). */
  closed = false;

  /** The current socket. Exposed for tests (e.g. `_ws.terminate()` to simulate a drop). */
  _ws: WebSocketLike | undefined;

  private readonly backoff: Required<BackoffOptions> | undefined;
  private gen = 0;
  private seq = 0;
  private pending: PendingInput[] = [];
  private token: string | undefined;
  private attempt = 0;
  private welcomeAt = 0;
  private lastMessageAt = 0;
  private lastFatal: ErrorMessage | undefined;
  private placeAtDrop: Place = "idle";
  private lastFind: Omit<FindMatch, "type"> | undefined;
  private reconnecting = false;
  /** `close()` was called: the next close event ends the client. */
  private closing = false;
  private awaitingRejoin: Timer | undefined;
  private watchdog: Timer | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    readonly url: string,
    private readonly opts: ConnectOptions,
  ) {
    super();
    this.backoff = opts.reconnect === false ? undefined : { ...DEFAULT_BACKOFF, ...opts.reconnect };
  }

  /** Open the first connection; resolves with the `welcome`. */
  async connect(): Promise<Welcome> {
    let w: Welcome;
    try {
      w = await this.open(this.opts.resume ? { token: this.opts.resume } : undefined);
    } catch (e) {
      if (!(e instanceof TickwaveError && RESUME_REFUSALS.includes(e.code))) throw e;
      w = await this.open(undefined); // that player is gone: start as a new one
    }
    this.startWatchdog();
    return w;
  }

  /** The single-use token to resume this player later (changes with every `welcome`). */
  get resumeToken(): string | undefined {
    return this.token;
  }

  /** True while a connection is open and welcomed. */
  get connected(): boolean {
    return this._ws !== undefined && !this.reconnecting && this.welcomeAt > 0;
  }

  /** Your own entity in the current state. */
  get me(): Entity | undefined {
    return this.player === undefined ? undefined : this.world?.get(this.player);
  }

  // ------------------------------------------------------------------ requests

  /** Join the queue of `mode`; resolves on `match_found`, rejects on a refusal or cancel. */
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
    this.send({ type: "leave" });
    this.place = "idle";
  }

  /**
   * Send the player's current intent. The SDK numbers inputs, keeps the unacknowledged ones
   * and resends them after a resume. Returns the `seq`, or `undefined` outside a lobby (the
   * server would refuse it).
   */
  sendInput(input: InputIntent): number | undefined {
    const inLobby = this.place === "lobby" || (this.reconnecting && this.placeAtDrop === "lobby");
    if (!inLobby) return undefined;
    const msg: InputMessage = {
      type: "input",
      seq: ++this.seq,
      dx: clamp(input.dx),
      dy: clamp(input.dy),
      action: input.action === true,
    };
    this.pending.push({ msg, sentAt: now() });
    if (this.pending.length > MAX_PENDING_INPUTS) this.pending.shift();
    if (this.connected && this.awaitingRejoin === undefined) this.send(msg);
    return msg.seq;
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
  close(): void {
    if (this.closed) return;
    this.lastFind = undefined;
    const ws = this._ws;
    if (ws && !this.reconnecting) {
      this.closing = true;
      ws.close(1000, "bye");
      // The `close` event follows from onclose; do not wait forever for a dead peer.
      const t = setTimeout(() => this.finish({ code: 1000, reason: "bye", intentional: true }), 2000);
      (t as { unref?: () => void }).unref?.(); // node: do not keep the process alive for it
    } else {
      this.finish({ code: 1000, reason: "closed while reconnecting", intentional: true });
    }
  }

  /** For tests: drop the connection as a network failure would (the seat is kept). */
  dropConnection(): void {
    const ws = this._ws;
    if (!ws) return;
    if (ws.terminate) ws.terminate();
    else ws.close(4000, "simulated drop"); // browsers cannot drop silently; not 1000, so the seat is held
  }

  // ------------------------------------------------------------------ connection

  private send(msg: ClientMessage): void {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return;
    ws.send(encodeClient(msg));
  }

  /**
   * Send a queue/lobby request and settle with its outcome. A drop in between does not
   * settle it: the client queues again after reconnecting, and the match found then counts.
   */
  private request(msg: ClientMessage): Promise<MatchFound> {
    const p = new Promise<MatchFound>((resolve, reject) => {
      const offs: (() => void)[] = [];
      const done = () => offs.forEach((off) => off());
      offs.push(
        this.on("matchFound", (m) => (done(), resolve(m))),
        this.on("error", (e) => {
          if (REQUEST_REFUSALS.has(e.code)) done(), reject(new TickwaveError(e.code, e.message));
        }),
        this.on("matchCancelled", (m) => (done(), reject(new TickwaveError("cancelled", m.reason)))),
        this.on("close", (c) => (done(), reject(new TickwaveError("closed", c.reason, c.code)))),
      );
    });
    p.catch(() => {}); // callers that do not await must not cause unhandled rejections
    // Sent even when not idle: the server's answer (already_queued, ...) is the one truth.
    this.send(msg);
    if (this.place === "idle") this.place = "queued";
    return p;
  }

  private open(resume: { token: string; lastTick?: number } | undefined): Promise<Welcome> {
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: ConnectOptions["WebSocket"] }).WebSocket;
    if (!Ctor) {
      return Promise.reject(new TypeError("no WebSocket: pass { WebSocket } (e.g. the `ws` package in node)"));
    }
    const gen = ++this.gen;
    const ws: WebSocketLike =
      this.opts.webSocketOptions === undefined ? new Ctor(this.url) : new Ctor(this.url, [], this.opts.webSocketOptions);
    ws.binaryType = "arraybuffer";
    this._ws = ws;
    this.welcomeAt = 0;
    const hello: Hello = { type: "hello", protocol: PROTOCOL_VERSION, name: this.opts.name };
    if (this.opts.token !== undefined) hello.token = this.opts.token;
    if (resume) {
      hello.resume = resume.token;
      if (resume.lastTick !== undefined) hello.last_tick = resume.lastTick;
    }
    return new Promise<Welcome>((resolve, reject) => {
      let welcomed = false;
      let refusal: ErrorMessage | undefined;
      const timer = setTimeout(() => {
        if (gen !== this.gen) return;
        this.gen++; // ignore whatever this socket still does
        this._ws = undefined;
        ws.terminate ? ws.terminate() : ws.close(4001, "handshake timeout");
        reject(new TickwaveError("connect_timeout", "no welcome from the server in time", 1006));
      }, this.opts.connectTimeoutMs ?? 10_000);
      ws.onopen = () => ws.send(encodeClient(hello));
      ws.onerror = () => {}; // a close event always follows
      ws.onmessage = (ev) => {
        if (gen !== this.gen || !(ev.data instanceof ArrayBuffer)) return;
        let msg: ServerMessage | UnknownServerMessage;
        try {
          msg = decodeServer(ev.data);
        } catch (e) {
          this.emit("error", { type: "error", code: "decode_failed", message: String(e), fatal: false });
          return;
        }
        this.lastMessageAt = now();
        if (welcomed) return this.dispatch(msg as ServerMessage);
        this.emit("message", msg);
        if (msg.type === "welcome") {
          welcomed = true;
          clearTimeout(timer);
          this.onWelcome(msg as Welcome);
          resolve(msg as Welcome);
        } else if (msg.type === "error") {
          refusal = msg as ErrorMessage;
        }
      };
      ws.onclose = (ev) => {
        if (gen !== this.gen) return;
        clearTimeout(timer);
        this._ws = undefined;
        if (!welcomed) {
          const code = refusal?.code ?? (ev.code === 1008 && ev.reason in ERROR_CODES ? ev.reason : "connect_failed");
          const text = refusal?.message ?? `connection closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ""})`;
          reject(new TickwaveError(code, text, ev.code));
        } else {
          this.onDrop(ev.code, ev.reason);
        }
      };
    });
  }

  private onWelcome(w: Welcome): void {
    const resumed = w.resumed === true;
    const was = this.reconnecting ? this.placeAtDrop : "idle";
    this.welcome = w;
    this.player = w.player;
    this.token = w.resume;
    this.welcomeAt = now();
    this.reconnecting = false;
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
    this.emit("lobbyClosed", { type: "lobby_closed", lobby, reason });
  }

  /** The connection ended after a welcome: finish, or reconnect (PROTOCOL.md §11.2). */
  private onDrop(code: number, reason: string): void {
    // The error before a fatal close can be lost when the client's queue was full; the
    // close reason then still names the code.
    const fatal: ErrorMessage | undefined =
      this.lastFatal ??
      (code === 1008 && reason in ERROR_CODES && reason !== "heartbeat_timeout"
        ? { type: "error", code: reason, message: reason, fatal: true }
        : undefined);
    this.lastFatal = undefined;
    if (this.closing) return this.finish({ code, reason, intentional: true });
    // A refused resume right after a resumed welcome (the hold ended at that moment) and a
    // server shutdown (its tokens die with it) both mean: come back as a new player.
    if ((fatal && RESUME_REFUSALS.includes(fatal.code)) || code === 1001) this.token = undefined;
    const final =
      this.backoff === undefined ||
      (fatal ? FINAL_ERRORS.has(fatal.code) : FINAL_CLOSE.has(code) || (code === 1008 && reason !== "heartbeat timeout"));
    const info: CloseEvent = { code, reason, intentional: false };
    if (fatal) info.error = fatal;
    if (final) return this.finish(info);
    void this.reconnect(code, reason);
  }

  private async reconnect(code: number, reason: string): Promise<void> {
    const b = this.backoff!;
    this.reconnecting = true;
    this.placeAtDrop = this.place;
    if (this.welcomeAt > 0 && now() - this.welcomeAt >= b.stableMs) this.attempt = 0;
    this.clearRejoin();
    let skipDelay = false;
    while (!this.closed) {
      if (this.attempt >= b.maxAttempts) {
        return this.finish({ code, reason: `gave up reconnecting after ${this.attempt} attempts: ${reason}`, intentional: false });
      }
      const delayMs = skipDelay ? 0 : backoffDelay(this.attempt, b);
      skipDelay = false;
      this.emit("reconnecting", { attempt: this.attempt + 1, delayMs, code, reason });
      await new Promise<void>((r) => {
        const t = setTimeout(r, delayMs);
        this.wakeSleep = () => (clearTimeout(t), r());
      });
      this.wakeSleep = undefined;
      if (this.closed) return;
      this.attempt++;
      const token = this.token;
      try {
        await this.open(token ? { token, lastTick: this.world?.tick } : undefined);
        return;
      } catch (e) {
        const err = e instanceof TickwaveError ? e : new TickwaveError("connect_failed", String(e));
        if (RESUME_REFUSALS.includes(err.code)) {
          // The server cannot give this player back: start over as a new player, at once.
          this.token = undefined;
          this.emit("error", { type: "error", code: err.code, message: err.message, fatal: true });
          skipDelay = true;
          continue;
        }
        if (FINAL_ERRORS.has(err.code)) {
          const info: CloseEvent = { code: err.closeCode ?? 1006, reason: err.message, intentional: false };
          info.error = { type: "error", code: err.code, message: err.message, fatal: true };
          return this.finish(info);
        }
        code = err.closeCode ?? 1006;
        reason = err.message;
      }
    }
  }

  private finish(info: CloseEvent): void {
    if (this.closed) return;
    this.closed = true;
    this.reconnecting = false;
    this.gen++;
    this.clearRejoin();
    if (this.watchdog) clearInterval(this.watchdog);
    this.wakeSleep?.();
    const ws = this._ws;
    this._ws = undefined;
    if (ws && ws.readyState <= 1) ws.close(1000, "bye");
    this.emit("close", info);
    this.endEvents();
  }

  private clearRejoin(): void {
    if (this.awaitingRejoin !== undefined) clearTimeout(this.awaitingRejoin);
    this.awaitingRejoin = undefined;
  }

  /**
   * A connection that stays silent longer than the server's own timeout is dead (a
   * half-open TCP connection can look open for minutes): drop it and reconnect.
   */
  private startWatchdog(): void {
    this.watchdog = setInterval(() => {
      const w = this.welcome;
      if (!w || !this.connected) return;
      if (now() - this.lastMessageAt > w.timeout_ms + w.heartbeat_ms) {
        const ws = this._ws!;
        this.gen++; // ignore the old socket from now on
        this._ws = undefined;
        ws.terminate ? ws.terminate() : ws.close(4002, "no data from the server");
        this.onDrop(1006, "no data from the server");
      }
    }, 1000);
  }

  // ------------------------------------------------------------------ messages

  private dispatch(msg: ServerMessage | UnknownServerMessage): void {
    this.emit("message", msg);
    const m = msg as ServerMessage;
    switch (m.type) {
      case "error":
        if (m.fatal) this.lastFatal = m;
        else if (m.code === "overloaded" && this.awaitingRejoin !== undefined) {
          // After a resumed welcome this means the lobby ended while we were away.
          this.clearRejoin();
          this.lobbyLost("lobby ended while disconnected");
        } else if (REQUEST_REFUSALS.has(m.code) && this.place === "queued") this.place = "idle";
        this.emit("error", m);
        break;
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
        this.world = World.fromSnapshot(this.lobby.schema, m);
        this.onState(this.world);
        break;
      case "delta":
        if (!this.world) break; // wait for the snapshot (PROTOCOL.md §6)
        try {
          this.world = this.world.apply(m);
        } catch (e) {
          if (!(e instanceof StateError)) throw e;
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
        }
        this.emit("lobbyClosed", m);
        break;
      case "chat":
        this.emit("chat", m);
        break;
      case "notice":
        this.emit("notice", m);
        break;
      default:
        break; // a newer server's message type: ignore (PROTOCOL.md §10)
    }
  }

  private onMatchFound(m: MatchFound): void {
    const rejoined = this.awaitingRejoin !== undefined && this.lobby?.id === m.lobby;
    this.clearRejoin();
    this.place = "lobby";
    this.lastFind = undefined;
    const lobby: LobbyInfo = {
      id: m.lobby,
      mode: m.mode,
      game: m.game,
      state: m.state,
      tickHz: m.tick_hz,
      maxPlayers: m.max_players,
      roster: m.roster,
      schema: m.schema,
    };
    if (m.code !== undefined) lobby.code = m.code;
    if (rejoined) {
      // Same lobby after a resume: keep the state; the server continues it with a catch-up
      // delta from our last tick (or a snapshot). Resend what it has not acknowledged.
      lobby.remainingMs = this.lobby?.remainingMs;
      lobby.remainingAt = this.lobby?.remainingAt;
      this.lobby = lobby;
      const ack = this.world?.acks.get(m.player) ?? 0;
      for (const p of this.pending) if (p.msg.seq > ack) this.send(p.msg);
    } else {
      this.lobby = lobby;
      this.world = undefined;
      this.pending = [];
    }
    this.emit("matchFound", m);
  }

  private onState(world: World): void {
    const ack = this.player === undefined ? 0 : (world.acks.get(this.player) ?? 0);
    let acked: PendingInput | undefined;
    while (this.pending.length > 0 && this.pending[0]!.msg.seq <= ack) acked = this.pending.shift();
    if (acked) {
      this.inputLatencyMs = now() - acked.sentAt;
      this.emit("inputAck", { seq: acked.msg.seq, latencyMs: this.inputLatencyMs });
    }
    this.emit("state", world);
  }
}

/** Connect and wait for the `welcome`: `const client = await connect(url, { name })`. */
export async function connect(url: string, opts: ConnectOptions): Promise<Client> {
  const client = new Client(url, opts);
  await client.connect();
  return client;
}
