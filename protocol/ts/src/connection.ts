/**
 * The connection half of the client: the socket and its handshake, the silence watchdog,
 * and, when the connection drops without anyone asking, reconnecting with backoff and full
 * jitter and resuming the same player (falling back to a fresh session when the server
 * refuses the resume).
 *
 * `Client` (client.ts) extends this class with what the connection carries: requests,
 * inputs, the lobby and its state. The abstract hooks below are where the two halves meet.
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
  type Hello,
  type ServerMessage,
  type UnknownServerMessage,
  type Welcome,
} from "./messages.js";
import { TickwaveError, type ClientEvents, type CloseEvent, type ConnectOptions, type WebSocketLike } from "./types.js";

/**
 * Refusals of a `hello.reservation` (PROTOCOL.md §5.4): that seat is gone for good, so the
 * reservation is never presented again.
 */
const RESERVATION_REFUSALS = new Set([
  "reservation_invalid",
  "reservation_expired",
  "reservation_used",
  "reservation_foreign",
]);

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

/** Failures to reach a node at all (no refusal from it): worth trying another node. */
const UNREACHABLE = new Set(["connect_failed", "connect_timeout"]);

/**
 * The node URL in a `resume_foreign` message ("... resume at wss://node-2/ws"), if any. The
 * message is the only place the server names it (PROTOCOL.md §11.3).
 */
export function foreignNode(message: string): string | undefined {
  return message.match(/\bwss?:\/\/\S+/)?.[0];
}

export type Timer = ReturnType<typeof setTimeout>;

type WebSocketCtor = NonNullable<ConnectOptions["WebSocket"]>;

/**
 * The `ws` package (an optional peer dependency), loaded on first need and cached: node 20
 * has no global WebSocket, and only `ws` takes `webSocketOptions` such as a CA or
 * `rejectUnauthorized`. The specifier is a variable, not a literal, so that bundlers building
 * for browsers neither pull `ws` in nor fail when it is not installed.
 */
const WS_PACKAGE: string = "ws";
let wsPackage: Promise<WebSocketCtor | undefined> | undefined;
function importWs(): Promise<WebSocketCtor | undefined> {
  wsPackage ??= import(/* webpackIgnore: true */ /* @vite-ignore */ WS_PACKAGE).then(
    (m: { WebSocket?: WebSocketCtor; default?: WebSocketCtor }) => m.WebSocket ?? m.default,
    () => undefined,
  );
  return wsPackage;
}

/**
 * The WebSocket constructor to use: `opts.WebSocket`; else the global one (browsers, node
 * 22+) unless `webSocketOptions` ask for `ws`; else `ws`; else the global one anyway. Known
 * at once (no promise) unless `ws` has to be loaded, so that the socket of a client that has
 * its constructor is created synchronously, as it always was.
 */
function webSocketCtor(opts: ConnectOptions): WebSocketCtor | Promise<WebSocketCtor> {
  if (opts.WebSocket) return opts.WebSocket;
  const global = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (global && opts.webSocketOptions === undefined) return global;
  return importWs().then((ws) => {
    if (ws ?? global) return (ws ?? global) as WebSocketCtor;
    throw new TypeError(
      "no WebSocket: this runtime has no global WebSocket and the `ws` package is not installed " +
        "(npm install ws), or pass { WebSocket }",
    );
  });
}

export const now = () => performance.now();

/** The connection under a `Client`: see client.ts for the API. */
export abstract class Connection extends Emitter<ClientEvents> {
  /** This session's player id (also its entity id in the arena). */
  player: number | undefined;
  /** The latest `welcome`. */
  welcome: Welcome | undefined;
  /** True once the client is finished (see the `close` event). */
  closed = false;

  /** The current socket. Exposed for tests (e.g. `_ws.terminate()` to simulate a drop). */
  _ws: WebSocketLike | undefined;

  private readonly backoff: Required<BackoffOptions> | undefined;
  private gen = 0;
  private token: string | undefined;
  private attempt = 0;
  private welcomeAt = 0;
  private lastMessageAt = 0;
  /** The last fatal error the server sent; it explains the close that follows. */
  protected lastFatal: ErrorMessage | undefined;
  protected reconnecting = false;
  /** `close()` was called: the next close event ends the client. */
  private closing = false;
  /**
   * Cluster mode: the reservation the next fresh `hello` redeems (single-use): kept until a
   * `welcome` or a refusal, so that only a connection that failed on the way retries it.
   */
  private reservation: string | undefined;
  /** The node this client talks to: the `url` given, or the one of a followed redirect. */
  private currentUrl: string;
  /**
   * Cluster mode: every node URL this client may use, the given ones first (PROTOCOL.md
   * §11.3: any node honours a dead node's resume token). A connection that cannot reach
   * `currentUrl` tries the next one, so a dead node does not strand its players.
   */
  private readonly nodes: string[];
  private watchdog: Timer | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    url: string | readonly string[],
    protected readonly opts: ConnectOptions,
  ) {
    super();
    const given = typeof url === "string" ? [url] : [...url];
    this.nodes = [...new Set([...given, ...(opts.nodes ?? [])])];
    if (this.nodes.length === 0) throw new TypeError("connect: at least one server URL is needed");
    this.currentUrl = this.nodes[0]!;
    this.reservation = opts.reservation;
    this.backoff = opts.reconnect === false ? undefined : { ...DEFAULT_BACKOFF, ...opts.reconnect };
  }

  /** Open the first connection; resolves with the `welcome`. */
  async connect(): Promise<Welcome> {
    let w: Welcome | undefined;
    // Each node of the list once, in order, while none can be reached.
    for (let tried = 1; w === undefined; tried++) {
      try {
        w = await this.openResuming(this.opts.resume);
      } catch (e) {
        if (!(e instanceof TickwaveError && UNREACHABLE.has(e.code)) || tried >= this.nodes.length) throw e;
        this.nextNode();
      }
    }
    this.startWatchdog();
    return w;
  }

  private async openResuming(token: string | undefined): Promise<Welcome> {
    try {
      return await this.open(token ? { token } : undefined);
    } catch (e) {
      if (!(e instanceof TickwaveError && RESUME_REFUSALS.includes(e.code))) throw e;
      const home = e.code === "resume_foreign" ? foreignNode(e.message) : undefined;
      if (home !== undefined && token) {
        // The player's seat is on a live node of the cluster: resume there.
        this.currentUrl = home;
        try {
          return await this.open({ token });
        } catch (e2) {
          if (!(e2 instanceof TickwaveError && RESUME_REFUSALS.includes(e2.code))) throw e2;
        }
      }
      return this.open(undefined); // that player is gone: start as a new one
    }
  }

  /**
   * Move to the next node of the list (cluster mode); a no-op with a single URL. From a
   * redirect's node (not in the list) the first listed node comes next.
   */
  private nextNode(): void {
    if (this.nodes.length < 2) return;
    const i = this.nodes.indexOf(this.currentUrl);
    this.currentUrl = this.nodes[(i + 1) % this.nodes.length]!;
  }

  /**
   * The URL this client connects, reconnects and resumes to: the one it was created with,
   * until it follows a cluster `redirect` (then the new node's).
   */
  get url(): string {
    return this.currentUrl;
  }

  /** Every node URL this client may fail over to (the given ones and `opts.nodes`). */
  get nodeUrls(): readonly string[] {
    return this.nodes;
  }

  /** The single-use token to resume this player later (changes with every `welcome`). */
  get resumeToken(): string | undefined {
    return this.token;
  }

  /** True while a connection is open and welcomed. */
  get connected(): boolean {
    return this._ws !== undefined && !this.reconnecting && this.welcomeAt > 0;
  }

  /** Leave for good: close with 1000 (gives up the seat) and stop reconnecting. */
  close(): void {
    if (this.closed) return;
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

  // ------------------------------------------------------------------ hooks for Client

  /**
   * A `welcome` arrived; `afterDrop` when it ends a reconnect (or a redirect being followed),
   * `redeemed` when its `hello` carried a reservation (the seat's `match_found` follows).
   */
  protected abstract onWelcome(w: Welcome, afterDrop: boolean, redeemed: boolean): void;
  /**
   * A redirect's node refused its reservation (`reservation_*`): it is dropped, and a fresh
   * session on that node follows at once.
   */
  protected abstract onReservationRefused(err: TickwaveError): void;
  /** A message after the `welcome`. */
  protected abstract dispatch(msg: ServerMessage | UnknownServerMessage): void;
  /** The connection dropped and reconnecting starts. */
  protected abstract onReconnectStart(): void;
  /** The tick to resume from (`hello.last_tick`), if any. */
  protected abstract resumeTick(): number | undefined;
  /** The client is finished; the `close` event follows. */
  protected abstract onFinish(): void;

  // ------------------------------------------------------------------ connection

  protected send(msg: ClientMessage): void {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return;
    ws.send(encodeClient(msg));
  }

  /** Send an already encoded message (protocol 2 inputs and commands, checked by `v2`). */
  protected sendBytes(bytes: Uint8Array): void {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return;
    ws.send(bytes);
  }

  private async open(resume: { token: string; lastTick?: number } | undefined): Promise<Welcome> {
    const found = webSocketCtor(this.opts);
    const Ctor = found instanceof Promise ? await found : found;
    if (this.closed) throw new TickwaveError("closed", "the client was closed", 1000);
    const gen = ++this.gen;
    const url = this.currentUrl;
    const ws: WebSocketLike =
      this.opts.webSocketOptions === undefined ? new Ctor(url) : new Ctor(url, [], this.opts.webSocketOptions);
    ws.binaryType = "arraybuffer";
    this._ws = ws;
    this.welcomeAt = 0;
    const hello: Hello = { type: "hello", protocol: this.opts.protocol ?? PROTOCOL_VERSION, name: this.opts.name };
    if (this.opts.token !== undefined) hello.token = this.opts.token;
    if (resume) {
      hello.resume = resume.token;
      if (resume.lastTick !== undefined) hello.last_tick = resume.lastTick;
    } else if (this.reservation !== undefined) {
      hello.reservation = this.reservation;
    }
    const redeeming = hello.reservation !== undefined;
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
          this.welcomed(msg as Welcome, redeeming);
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
          if (redeeming && RESERVATION_REFUSALS.has(code)) this.reservation = undefined; // never twice
          reject(new TickwaveError(code, text, ev.code));
        } else {
          this.onDrop(ev.code, ev.reason);
        }
      };
    });
  }

  private welcomed(w: Welcome, redeemed: boolean): void {
    const afterDrop = this.reconnecting;
    if (redeemed) this.reservation = undefined;
    this.welcome = w;
    this.player = w.player;
    this.token = w.resume;
    this.welcomeAt = now();
    this.reconnecting = false;
    this.onWelcome(w, afterDrop, redeemed);
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

  /**
   * Cluster mode: move to the node a `redirect` names (PROTOCOL.md §5.4). The old node took
   * the player's queue ticket out before it sent the redirect, so the old connection holds
   * nothing: it is closed at once with 1000 (one session at a time, and nothing of the old
   * node can interleave with the new one's messages). The new connection is a new session:
   * `hello` with the reservation and without a resume token (a token of the old node means
   * nothing there); its `welcome`'s token is the one resumed from then on, against the new
   * URL. A connection that fails on the way is retried with backoff (the reservation is still
   * unused, and valid for 15 s); a refusal drops the reservation for good
   * (`onReservationRefused`) and the next attempt is a fresh session on the new node.
   * False when the client is closing and nothing was done.
   */
  protected follow(url: string, reservation: string): boolean {
    if (this.closed || this.closing) return false;
    const ws = this._ws;
    this.gen++; // ignore the old socket from now on
    this._ws = undefined;
    if (ws && ws.readyState <= 1) ws.close(1000, "redirect");
    this.currentUrl = url;
    this.token = undefined;
    this.reservation = reservation;
    this.attempt = 0;
    void this.reconnect(1000, "redirect", true);
    return true;
  }

  private async reconnect(code: number, reason: string, redirect = false): Promise<void> {
    // With `reconnect: false` a redirect still gets its attempt, and after a refused
    // reservation the fresh one; nothing more.
    const b = this.backoff ?? { ...DEFAULT_BACKOFF, maxAttempts: 2 };
    this.reconnecting = true;
    if (this.welcomeAt > 0 && now() - this.welcomeAt >= b.stableMs) this.attempt = 0;
    this.onReconnectStart();
    // A redirect is followed at once and is not a drop: no `reconnecting` for it.
    let skipDelay = redirect;
    let quiet = redirect;
    while (!this.closed) {
      if (this.attempt >= b.maxAttempts) {
        return this.finish({ code, reason: `gave up reconnecting after ${this.attempt} attempts: ${reason}`, intentional: false });
      }
      const delayMs = skipDelay ? 0 : backoffDelay(this.attempt, b);
      skipDelay = false;
      if (!quiet) this.emit("reconnecting", { attempt: this.attempt + 1, delayMs, code, reason });
      quiet = false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, delayMs);
        this.wakeSleep = () => (clearTimeout(t), r());
      });
      this.wakeSleep = undefined;
      if (this.closed) return;
      this.attempt++;
      const token = this.token;
      try {
        await this.open(token ? { token, lastTick: this.resumeTick() } : undefined);
        return;
      } catch (e) {
        const err = e instanceof TickwaveError ? e : new TickwaveError("connect_failed", String(e));
        if (RESERVATION_REFUSALS.has(err.code)) {
          // The seat is gone: never present that reservation again; a fresh session on
          // this node follows at once (the client is idle there).
          this.reservation = undefined;
          this.onReservationRefused(err);
          this.emit("error", { type: "error", code: err.code, message: err.message, fatal: true });
          skipDelay = true;
          continue;
        }
        const home = err.code === "resume_foreign" ? foreignNode(err.message) : undefined;
        if (home !== undefined && home !== this.currentUrl && token) {
          // Another live node holds this player's seat (we failed over while our node was
          // only unreachable for a moment): resume there, at once, with the same token.
          this.currentUrl = home;
          skipDelay = true;
          continue;
        }
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
        // This node cannot be reached: the next attempt tries the next node of the list.
        if (UNREACHABLE.has(err.code) && this.reservation === undefined) this.nextNode();
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
    this.onFinish();
    if (this.watchdog) clearInterval(this.watchdog);
    this.wakeSleep?.();
    const ws = this._ws;
    this._ws = undefined;
    if (ws && ws.readyState <= 1) ws.close(1000, "bye");
    this.emit("close", info);
    this.endEvents();
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
}
