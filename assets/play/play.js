// The Tickwave browser demo: pick one of the server's modes, play it (the arenas with keys,
// mouse or touch; connect4 by clicking columns, battleship by clicking cells, both also
// against an in-page bot), chat.
//
// Everything about the connection (handshake, state from deltas, input numbering, commands,
// reconnect and resume) is the SDK's (tickwave.js, built from protocol/ts). This page only
// draws and reads input. For tests and the curious, the page mirrors what it knows in
// `window.tickwave` and in data attributes on #game and #rtt.
//
// This file loads the SDK and wires the client to the page; page.js holds the shared state
// and the page around the game (chat, notices, events, status); views.js picks the view of a
// lobby from its schema: arena.js (with arena-input.js), connect4.js or battleship.js;
// c4bot.js and bsbot.js are the in-page bots. Those only define things; nothing runs before
// the SDK has loaded.

import * as arena from "./arena.js";
import * as battleship from "./battleship.js";
import * as bsbot from "./bsbot.js";
import * as c4bot from "./c4bot.js";
import * as connect4 from "./connect4.js";
import {
  $,
  banner,
  clearEvents,
  exposed,
  flash,
  game,
  hideRefusal,
  line,
  notice,
  setChatEnabled,
  setConnection,
  setJoinStatus,
  showJoin,
  system,
  wireChat,
} from "./page.js";
import { schemaOfLobby, viewOf } from "./views.js";

let Tickwave;
try {
  ({ Tickwave } = await import("./tickwave.js"));
} catch (e) {
  $("join").innerHTML =
    "<h2>SDK bundle missing</h2><p>This page needs <code>tickwave.js</code> beside it. The " +
    "server's built-in demo has it; a <code>--static-dir</code> directory needs a copy of " +
    "<code>assets/play/tickwave.js</code>, which is built from <code>protocol/ts</code>:</p>" +
    "<pre>cd protocol/ts\nnpm ci\nnpm run build</pre><p>then reload.</p>";
  throw e;
}

const url = `${location.protocol === "http:" ? "ws" : "wss"}://${location.host}/ws`;
const VIEWS = { arena, connect4, battleship };
/** The modes an in-page bot plays, each with its button on the join form. */
const BOTS = {
  connect4: { bot: c4bot, button: "vs-bot" },
  battleship: { bot: bsbot, button: "vs-bot-bs" },
};
const stopBots = () => Object.values(BOTS).forEach((b) => b.bot.stopBots());
const seenChat = new Set();
/** What "Play again" repeats: `{ mode, bot }` of the last match. */
let lastGame = null;
/** The lobby whose `results` arrived (its `lobby_closed` then keeps the final board). */
let resultsFor = null;

// ------------------------------------------------------------------ connection

/**
 * The client for `name`, connected: the current one, or a new one (also after a rename while
 * idle, since the name goes in `hello`). Connecting early fills the mode picker.
 */
function ensureClient(name, resume) {
  const c = game.client;
  if (c && !c.closed && (game.clientName === name || c.place !== "idle")) return game.connecting;
  if (c) {
    game.client = null;
    c.close();
  }
  const client = new Tickwave.Client(url, { name, resume });
  game.client = client;
  game.clientName = name;
  exposed.client = client;
  wire(client);
  game.connecting = client.connect().then(
    () => client,
    (e) => {
      if (game.client === client) game.client = null;
      throw e;
    },
  );
  game.connecting.catch(() => {});
  return game.connecting;
}

function wire(c) {
  const mine = (fn) => (...a) => game.client === c && fn(...a); // ignore a replaced client
  c.on("welcome", mine((w) => {
    setConnection("online");
    remember(c);
    fillModes(w.modes);
    exposed.player = w.player;
  }));
  c.on("resumed", mine((w) => {
    setConnection("online");
    remember(c);
    fillModes(c.welcome?.modes ?? exposed.modes);
    exposed.player = w.player;
    setJoinStatus("");
    flash("Reconnected", 1500);
  }));
  c.on("reconnecting", mine((r) => {
    setConnection("reconnecting");
    banner(`Connection lost, reconnecting (attempt ${r.attempt})…`);
  }));
  c.on("close", (e) => {
    if (game.client !== c) return;
    setConnection("offline");
    sessionStorage.removeItem("tickwave.resume");
    const why = e.error?.code === "session_replaced" ? "You continued in another tab." : e.error?.message ?? e.reason;
    resetLobby(false);
    $("result").hidden = true;
    showJoin(e.intentional ? "" : `Disconnected: ${why}`);
    game.client = null;
  });
  c.on("queued", mine((q) => setJoinStatus(`Looking for players… (${q.waiting} waiting for ${q.mode})`)));
  c.on("matchFound", mine((m) => {
    const rejoin = exposed.lobby?.id === m.lobby;
    $("join").hidden = true;
    $("result").hidden = true;
    $("leave").hidden = false;
    setChatEnabled(true);
    game.names = new Map(m.roster.map((p) => [p.player, p]));
    exposed.lobby = { id: m.lobby, mode: m.mode, state: m.state, code: m.code ?? null };
    if (!rejoin) {
      clearEvents();
      game.prev = game.cur = null;
      resultsFor = null;
      system(`Joined ${m.mode} lobby ${m.lobby}${m.code ? ` (code ${m.code})` : ""}.`);
    }
    enterView(viewOf(schemaOfLobby(c.lobby)), m.mode);
  }));
  c.on("roster", mine((r) => {
    for (const id of r.joined) if (!game.names.has(id)) system(`${nameOf(id, r.players)} joined.`);
    for (const id of r.left) system(`${game.names.get(id)?.name ?? `player ${id}`} left.`);
    game.names = new Map(r.players.map((p) => [p.player, p]));
  }));
  c.on("lobbyState", mine((s) => {
    if (exposed.lobby) exposed.lobby.state = s.state;
    $("game").dataset.lobbyState = s.state;
    if (s.state === "running") flash("Go!", 1000);
  }));
  c.on("state", mine((w) => {
    game.prev = game.cur && game.cur.tick === w.tick - 1 ? game.cur : null;
    game.cur = w;
    game.curAt = performance.now();
    game.view?.publishState(w);
    exposed.input.acked = (w.acks.get(c.player) ?? exposed.input.acked);
    $("tick").textContent = String(w.tick);
  }));
  c.on("event", mine((e) => game.view?.onEvent?.(e)));
  c.on("rtt", mine((r) => {
    exposed.rtt = r.rtt_ms;
    $("rtt").textContent = r.rtt_ms.toFixed(1);
    $("rtt").dataset.rttMs = String(r.rtt_ms);
  }));
  c.on("inputAck", mine((a) => ($("lag").textContent = a.latencyMs.toFixed(0))));
  c.on("chat", mine((m) => {
    // A resume replays the lobby's recent lines; lines have no id, so skip exact repeats.
    const key = `${m.from}|${m.tick}|${m.text}`;
    if (seenChat.has(key)) return;
    seenChat.add(key);
    if (seenChat.size > 200) seenChat.delete(seenChat.values().next().value);
    line(m.name, m.text, arena.colorOf(m.from));
  }));
  c.on("notice", mine((n) => notice(n.severity, n.text)));
  c.on("error", mine((e) => {
    if (e.code.startsWith("chat_") || e.code === "rate_limited") system(`Chat: ${e.message}`);
    else if (!e.fatal) setJoinStatus(`${e.code}: ${e.message}`);
  }));
  c.on("results", mine((r) => {
    const top = r.scores.slice(0, 3).map((s, i) => `${i + 1}. ${s.name} (${s.score})`).join("  ");
    system(`Match over. ${top}`);
    resultsFor = r.lobby;
    showResult(r);
  }));
  c.on("lobbyClosed", mine((l) => {
    const over = l.reason === "match over" && resultsFor === l.lobby;
    system(l.reason === "left" ? "You left the lobby." : `Lobby closed: ${l.reason}.`);
    resetLobby(over); // after a finished match the last board stays, under the result
    if (!over) showJoin("");
  }));
}

/** The mode picker: the server's modes, the previous choice kept, else `arena`. */
function fillModes(modes) {
  if (!Array.isArray(modes) || modes.length === 0) return;
  exposed.modes = [...modes];
  const picker = $("mode");
  const want = modes.includes(picker.value) ? picker.value : modes.includes("arena") ? "arena" : modes[0];
  picker.replaceChildren(...modes.map((m) => new Option(m, m, m === want, m === want)));
  for (const [mode, b] of Object.entries(BOTS)) $(b.button).hidden = !modes.includes(mode);
}

/** Show the lobby with the view its schema calls for. */
function enterView(view, mode) {
  game.view?.leave?.();
  exposed.view = view;
  if (view.name !== "connect4") exposed.c4 = null;
  if (view.name !== "battleship") exposed.bs = null;
  game.view = VIEWS[view.name] ?? null;
  $("subtitle").textContent = mode;
  $("game").dataset.view = view.name;
  game.view?.enter?.(view);
  arena.resetIntent(); // the server starts from no input: send what is held now
  if (!game.view) system(`This page has no view for this game (kinds: ${(view.kinds ?? []).join(", ")}).`);
}

/** Keep the resume token for this tab, so a reload gets the same player and seat back. */
function remember(c) {
  if (c.resumeToken) sessionStorage.setItem("tickwave.resume", c.resumeToken);
  sessionStorage.setItem("tickwave.name", game.clientName ?? $("name").value);
}

/** Out of the lobby; `keep`: the last state stays drawn (the end of a finished match). */
function resetLobby(keep) {
  stopBots();
  if (!keep) {
    game.view?.leave?.();
    game.view = null;
    exposed.view = null;
    game.prev = game.cur = null;
    exposed.state = null;
    $("subtitle").textContent = "demo";
  }
  game.names = keep ? game.names : new Map();
  exposed.lobby = null;
  $("leave").hidden = true;
  if (!keep) $("scores").replaceChildren();
  $("lobby-state").textContent = "";
  hideRefusal();
  setChatEnabled(false);
  arena.resetIntent();
  if (!keep) arena.publishDom(null);
}

function nameOf(id, players) {
  return players.find((p) => p.player === id)?.name ?? `player ${id}`;
}

// ------------------------------------------------------------------ the result

function showResult(r) {
  const won = r.payload?.winner !== undefined && r.payload.winner === exposed.player;
  $("result-title").textContent = won ? "You won!" : "Match over";
  $("result-text").textContent = game.view?.resultText?.(r) ?? "";
  $("result-scores").replaceChildren(
    ...r.scores.map((s) => {
      const li = document.createElement("li");
      if (s.player === exposed.player) li.className = "me";
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = `${s.name}${s.player === exposed.player ? " (you)" : ""}`;
      const score = document.createElement("strong");
      score.textContent = String(s.score);
      li.append(who, score);
      return li;
    }),
  );
  for (const rec of [exposed.c4, exposed.bs]) if (rec) rec.result = { ...(r.payload ?? {}), scores: r.scores };
  // Over the board's top edge for the board games (the final boards stay in sight), centred else.
  $("result").classList.toggle("compact", ["connect4", "battleship"].includes(exposed.view?.name));
  game.view?.hud(); // the turn bar and the side panel say it at once
  $("result").hidden = false;
  $("result").dataset.winner = String(r.payload?.winner ?? "");
  $("again").focus();
}

$("again").addEventListener("click", () => {
  $("result").hidden = true;
  if (lastGame?.bot) playBot(lastGame.mode);
  else join(lastGame?.mode ?? $("mode").value);
});
$("to-modes").addEventListener("click", () => {
  $("result").hidden = true;
  resetLobby(false);
  showJoin("");
});

// ------------------------------------------------------------------ join form

$("name").value = sessionStorage.getItem("tickwave.name") || localStorage.getItem("tickwave.name") || "";

function chosenName() {
  const name = $("name").value.trim();
  if (name) localStorage.setItem("tickwave.name", name);
  return name;
}

/** Queue for `mode`; the join form shows the progress. */
async function join(mode) {
  const name = chosenName();
  if (!name) return showJoin("Enter a name first.");
  showJoin("Connecting…");
  $("find").disabled = true;
  lastGame = { mode, bot: false };
  try {
    const client = await ensureClient(name);
    $("cancel").hidden = false;
    setJoinStatus("Looking for players…");
    await client.findMatch(mode);
  } catch (e) {
    if (e.code !== "cancelled") setJoinStatus(`Could not join: ${e.message}`);
    $("find").disabled = false;
  } finally {
    $("cancel").hidden = true;
  }
}

/** A private lobby of `mode`, and a bot in this page that joins it by its code. */
async function playBot(mode) {
  const name = chosenName();
  if (!name) return showJoin("Enter a name first.");
  showJoin("Setting up a table…");
  const buttons = [$("find"), ...Object.values(BOTS).map((b) => $(b.button))];
  for (const b of buttons) b.disabled = true;
  lastGame = { mode, bot: true };
  stopBots();
  try {
    const client = await ensureClient(name);
    if (client.place === "queued") client.cancelMatch(); // the bot's table instead
    const m = await client.createPrivate(mode);
    system("A bot is joining your table…");
    exposed.bot = { player: null, state: "connecting", moves: 0 };
    await BOTS[mode].bot.startBot({
      Tickwave,
      url,
      code: m.code,
      onStatus: (b) => (exposed.bot = { player: b.player, state: b.state, moves: b.moves }),
    });
  } catch (e) {
    if (game.client?.place === "lobby") system(`The bot could not join: ${e.message}`);
    else setJoinStatus(`Could not start: ${e.message}`);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

$("join").addEventListener("submit", (ev) => {
  ev.preventDefault();
  join($("mode").value);
});
for (const [mode, b] of Object.entries(BOTS)) $(b.button).addEventListener("click", () => playBot(mode));
// Connect as soon as there is a name, so that the picker lists the server's modes.
$("name").addEventListener("change", () => {
  const name = $("name").value.trim();
  if (name && !sessionStorage.getItem("tickwave.resume")) ensureClient(name).catch((e) => setJoinStatus(`Could not connect: ${e.message}`));
});

$("cancel").addEventListener("click", () => {
  game.client?.cancelMatch();
  $("find").disabled = false;
  setJoinStatus("Cancelled.");
});

$("leave").addEventListener("click", () => game.client?.leave());

// ------------------------------------------------------------------ drawing

const canvas = $("arena");
const ctx = canvas.getContext("2d");

function resize() {
  const dpr = devicePixelRatio || 1;
  const size = Math.round(canvas.getBoundingClientRect().width * dpr);
  if (size > 0 && canvas.width !== size) canvas.width = canvas.height = size;
}

function drawIdle(W) {
  arena.drawGrid(ctx, W);
  ctx.fillStyle = "#1f2a40";
  ctx.font = `bold ${Math.round(W / 9)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText("TICKWAVE", W / 2, W / 2);
}

let hudAt = 0;
function frame() {
  resize();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (game.view) game.view.draw(ctx, canvas.width);
  else drawIdle(canvas.width);
  arena.sendIntent(false);
  if (performance.now() - hudAt > 200) {
    hudAt = performance.now();
    const l = game.client?.lobby;
    if (l && exposed.lobby) {
      const left = l.remainingMs === undefined ? null : Math.max(0, l.remainingMs - (performance.now() - l.remainingAt));
      const clock = left === null ? "" : ` · ${Math.ceil(left / 1000)} s`;
      $("lobby-state").textContent = `${l.mode} #${l.id} · ${l.state}${clock}`;
    }
    game.view?.hud();
  }
  requestAnimationFrame(frame);
}

// ------------------------------------------------------------------ start

wireChat();
arena.wireInput();
connect4.wireInput();
battleship.wireInput();
requestAnimationFrame(frame);
exposed.ready = true;
document.documentElement.dataset.ready = "true";
arena.publishDom(null);

// A reload within the seat's grace period gets the same player and seat back; otherwise a
// known name connects at once, for the server's list of modes.
const saved = sessionStorage.getItem("tickwave.resume");
if (saved && $("name").value) {
  setJoinStatus("Rejoining…");
  ensureClient($("name").value, saved).then(
    () => setJoinStatus(""),
    (e) => {
      game.client = null;
      showJoin(`Could not reconnect: ${e.message}`);
    },
  );
} else if ($("name").value) {
  ensureClient($("name").value).catch((e) => setJoinStatus(`Could not connect: ${e.message}`));
}
