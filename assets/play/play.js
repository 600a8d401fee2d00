// The Tickwave browser demo: join the arena, move with the keyboard or touch, chat.
//
// Everything about the connection (handshake, state from deltas, input numbering, reconnect
// and resume) is the SDK's (tickwave.js, built from protocol/ts). This page only draws and
// reads input. For tests and the curious, the page mirrors what it knows in
// `window.tickwave` and in data attributes on #game and #rtt.
//
// This file loads the SDK and wires the client to the page; page.js holds the shared state
// and the page around the arena (chat, notices, status), arena.js the input and drawing.
// Those two only define things; nothing runs before the SDK has loaded.

import { colorOf, publishDom, publishState, resetIntent, startDrawing, wireInput } from "./arena.js";
import {
  $,
  banner,
  exposed,
  flash,
  game,
  line,
  notice,
  setChatEnabled,
  setConnection,
  setJoinStatus,
  showJoin,
  system,
  wireChat,
} from "./page.js";

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
const seenChat = new Set();

// ------------------------------------------------------------------ connection

async function startClient(name, resume) {
  game.client = new Tickwave.Client(url, { name, resume });
  exposed.client = game.client;
  wire(game.client);
  await game.client.connect();
}

function wire(c) {
  c.on("welcome", (w) => {
    setConnection("online");
    remember(c);
    const modes = $("mode");
    const chosen = modes.value;
    modes.replaceChildren(...w.modes.map((m) => new Option(m, m, false, m === chosen)));
    exposed.player = w.player;
  });
  c.on("resumed", (w) => {
    setConnection("online");
    remember(c);
    exposed.player = w.player;
    setJoinStatus("");
    flash("Reconnected", 1500);
  });
  c.on("reconnecting", (r) => {
    setConnection("reconnecting");
    banner(`Connection lost, reconnecting (attempt ${r.attempt})…`);
  });
  c.on("close", (e) => {
    setConnection("offline");
    sessionStorage.removeItem("tickwave.resume");
    const why = e.error?.code === "session_replaced" ? "You continued in another tab." : e.error?.message ?? e.reason;
    showJoin(e.intentional ? "" : `Disconnected: ${why}`);
    resetLobby();
    game.client = null;
  });
  c.on("queued", (q) => setJoinStatus(`Looking for players… (${q.waiting} waiting for ${q.mode})`));
  c.on("matchFound", (m) => {
    $("join").hidden = true;
    $("leave").hidden = false;
    setChatEnabled(true);
    game.names = new Map(m.roster.map((p) => [p.player, p]));
    exposed.lobby = { id: m.lobby, mode: m.mode, state: m.state };
    system(`Joined ${m.mode} lobby ${m.lobby}${m.code ? ` (code ${m.code})` : ""}.`);
    resetIntent(); // the server starts from no input: send what is held now
  });
  c.on("roster", (r) => {
    for (const id of r.joined) if (!game.names.has(id)) system(`${nameOf(id, r.players)} joined.`);
    for (const id of r.left) system(`${game.names.get(id)?.name ?? `player ${id}`} left.`);
    game.names = new Map(r.players.map((p) => [p.player, p]));
  });
  c.on("lobbyState", (s) => {
    if (exposed.lobby) exposed.lobby.state = s.state;
    if (s.state === "running") flash("Go!", 1000);
  });
  c.on("state", (w) => {
    game.prev = game.cur && game.cur.tick === w.tick - 1 ? game.cur : null;
    game.cur = w;
    game.curAt = performance.now();
    publishState(w);
  });
  c.on("rtt", (r) => {
    exposed.rtt = r.rtt_ms;
    $("rtt").textContent = r.rtt_ms.toFixed(1);
    $("rtt").dataset.rttMs = String(r.rtt_ms);
  });
  c.on("inputAck", (a) => ($("lag").textContent = a.latencyMs.toFixed(0)));
  c.on("chat", (m) => {
    // A resume replays the lobby's recent lines; lines have no id, so skip exact repeats.
    const key = `${m.from}|${m.tick}|${m.text}`;
    if (seenChat.has(key)) return;
    seenChat.add(key);
    if (seenChat.size > 200) seenChat.delete(seenChat.values().next().value);
    line(m.name, m.text, colorOf(m.from));
  });
  c.on("notice", (n) => notice(n.severity, n.text));
  c.on("error", (e) => {
    if (e.code.startsWith("chat_") || e.code === "rate_limited") system(`Chat: ${e.message}`);
    else if (!e.fatal) setJoinStatus(`${e.code}: ${e.message}`);
  });
  c.on("results", (r) => {
    const top = r.scores.slice(0, 3).map((s, i) => `${i + 1}. ${s.name} (${s.score})`).join("  ");
    system(`Match over. ${top}`);
    flash("Match over", 3000);
  });
  c.on("lobbyClosed", (l) => {
    system(l.reason === "left" ? "You left the lobby." : `Lobby closed: ${l.reason}.`);
    resetLobby();
    showJoin("");
  });
}

/** Keep the resume token for this tab, so a reload gets the same player and seat back. */
function remember(c) {
  if (c.resumeToken) sessionStorage.setItem("tickwave.resume", c.resumeToken);
  sessionStorage.setItem("tickwave.name", $("name").value);
}

function resetLobby() {
  game.prev = game.cur = null;
  game.names = new Map();
  exposed.lobby = null;
  exposed.state = null;
  $("leave").hidden = true;
  $("scores").replaceChildren();
  $("lobby-state").textContent = "";
  setChatEnabled(false);
  publishDom(null);
}

function nameOf(id, players) {
  return players.find((p) => p.player === id)?.name ?? `player ${id}`;
}

// ------------------------------------------------------------------ join form

$("name").value = sessionStorage.getItem("tickwave.name") || localStorage.getItem("tickwave.name") || "";

$("join").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("name").value.trim();
  if (!name) return;
  localStorage.setItem("tickwave.name", name);
  $("find").disabled = true;
  setJoinStatus("Connecting…");
  try {
    if (!game.client) await startClient(name);
    $("cancel").hidden = false;
    setJoinStatus("Looking for players…");
    await game.client.findMatch($("mode").value);
  } catch (e) {
    setJoinStatus(`Could not join: ${e.message}`);
    $("find").disabled = false;
  } finally {
    $("cancel").hidden = true;
  }
});

$("cancel").addEventListener("click", () => {
  game.client?.cancelMatch();
  $("find").disabled = false;
  setJoinStatus("Cancelled.");
});

$("leave").addEventListener("click", () => game.client?.leave());

// ------------------------------------------------------------------ start

wireChat();
wireInput();
startDrawing();
exposed.ready = true;
document.documentElement.dataset.ready = "true";
publishDom(null);

// A reload within the seat's grace period gets the same player and seat back.
const saved = sessionStorage.getItem("tickwave.resume");
if (saved && $("name").value) {
  setJoinStatus("Rejoining…");
  startClient($("name").value, saved).catch((e) => {
    game.client = null;
    showJoin(`Could not reconnect: ${e.message}`);
  });
}
