// The Tickwave browser demo: join the arena, move with the keyboard or touch, chat.
//
// Everything about the connection (handshake, state from deltas, input numbering, reconnect
// and resume) is the SDK's (tickwave.js, built from protocol/ts). This file only draws and
// reads input. For tests and the curious, the page mirrors what it knows in
// `window.tickwave` and in data attributes on #game and #rtt.

const $ = (id) => document.getElementById(id);

/** What the page knows, for automated tests and the console. */
const exposed = (window.tickwave = {
  ready: false,
  connection: "offline",
  player: null,
  lobby: null,
  /** `{ tick, me: {x, y, score, boost} | null, players: [...], pickups: [...] }` */
  state: null,
  /** Smoothed RTT in ms from the server's `rtt` reports. */
  rtt: null,
  client: null,
});

let Tickwave;
try {
  ({ Tickwave } = await import("./tickwave.js"));
} catch (e) {
  $("join").innerHTML =
    "<h2>SDK bundle missing</h2><p>This page needs <code>tickwave.js</code>, built from " +
    "<code>protocol/ts</code>:</p><pre>cd protocol/ts\nnpm ci\nnpm run build</pre><p>then reload.</p>";
  throw e;
}

const ARENA = 10_000; // arena size in fixed-point units (100 = one unit), PROTOCOL.md §6.1
const url = `${location.protocol === "http:" ? "ws" : "wss"}://${location.host}/ws`;
const canvas = $("arena");
const ctx = canvas.getContext("2d");

let client = null;
/** The last two states, for interpolation: other players move smoothly between ticks. */
let prev = null;
let cur = null;
let curAt = 0;
let names = new Map(); // player id → { name, connected }
const seenChat = new Set();

// ------------------------------------------------------------------ connection

async function startClient(name, resume) {
  client = new Tickwave.Client(url, { name, resume });
  exposed.client = client;
  wire(client);
  await client.connect();
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
    client = null;
  });
  c.on("queued", (q) => setJoinStatus(`Looking for players… (${q.waiting} waiting for ${q.mode})`));
  c.on("matchFound", (m) => {
    $("join").hidden = true;
    $("leave").hidden = false;
    setChatEnabled(true);
    names = new Map(m.roster.map((p) => [p.player, p]));
    exposed.lobby = { id: m.lobby, mode: m.mode, state: m.state };
    system(`Joined ${m.mode} lobby ${m.lobby}${m.code ? ` (code ${m.code})` : ""}.`);
    lastIntent = null; // the server starts from no input: send what is held now
  });
  c.on("roster", (r) => {
    for (const id of r.joined) if (!names.has(id)) system(`${nameOf(id, r.players)} joined.`);
    for (const id of r.left) system(`${names.get(id)?.name ?? `player ${id}`} left.`);
    names = new Map(r.players.map((p) => [p.player, p]));
  });
  c.on("lobbyState", (s) => {
    if (exposed.lobby) exposed.lobby.state = s.state;
    if (s.state === "running") flash("Go!", 1000);
  });
  c.on("state", (w) => {
    prev = cur && cur.tick === w.tick - 1 ? cur : null;
    cur = w;
    curAt = performance.now();
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
  prev = cur = null;
  names = new Map();
  exposed.lobby = null;
  exposed.state = null;
  $("leave").hidden = true;
  $("scores").replaceChildren();
  $("lobby-state").textContent = "";
  setChatEnabled(false);
  publishDom(null);
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
    if (!client) await startClient(name);
    $("cancel").hidden = false;
    setJoinStatus("Looking for players…");
    await client.findMatch($("mode").value);
  } catch (e) {
    setJoinStatus(`Could not join: ${e.message}`);
    $("find").disabled = false;
  } finally {
    $("cancel").hidden = true;
  }
});

$("cancel").addEventListener("click", () => {
  client?.cancelMatch();
  $("find").disabled = false;
  setJoinStatus("Cancelled.");
});

$("leave").addEventListener("click", () => client?.leave());

function showJoin(status) {
  $("join").hidden = false;
  $("find").disabled = false;
  $("cancel").hidden = true;
  setJoinStatus(status);
}

function setJoinStatus(text) {
  $("join-status").textContent = text;
}

// ------------------------------------------------------------------ chat and notices

$("chat-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text) return;
  if (!client?.chat(text)) system("Chat works inside a lobby.");
  $("chat-input").value = "";
});

function setChatEnabled(on) {
  for (const el of $("chat-form").elements) el.disabled = !on;
}

function line(from, text, color) {
  const li = document.createElement("li");
  const who = document.createElement("span");
  who.className = "from";
  who.style.color = color;
  who.textContent = from;
  li.append(who, document.createTextNode(text));
  append(li);
}

function system(text) {
  const li = document.createElement("li");
  li.className = "sys";
  li.textContent = text;
  append(li);
}

function append(li) {
  const log = $("chat-log");
  log.append(li);
  while (log.children.length > 100) log.firstChild.remove();
  log.scrollTop = log.scrollHeight;
}

let noticeTimer;
function notice(severity, text) {
  const el = $("notice");
  el.dataset.severity = severity;
  $("notice-text").textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  if (severity === "info") noticeTimer = setTimeout(() => (el.hidden = true), 15_000);
}
$("notice-close").addEventListener("click", () => ($("notice").hidden = true));

let bannerTimer;
function banner(text) {
  clearTimeout(bannerTimer);
  $("banner").textContent = text;
  $("banner").hidden = !text;
}
function flash(text, ms) {
  banner(text);
  bannerTimer = setTimeout(() => banner(""), ms);
}

function setConnection(state) {
  exposed.connection = state;
  $("conn").dataset.state = state;
  $("conn").textContent = state;
  $("game").dataset.connection = state;
  if (state === "online") banner("");
}

// ------------------------------------------------------------------ input

const KEYS = {
  ArrowLeft: "left", KeyA: "left", ArrowRight: "right", KeyD: "right",
  ArrowUp: "up", KeyW: "up", ArrowDown: "down", KeyS: "down", Space: "action",
};
const held = new Set();
let pointer = null; // arena coordinates the finger or mouse points at
let boostButton = false;
let lastIntent = null;
let lastSentAt = 0;

function typing(ev) {
  return ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
}

addEventListener("keydown", (ev) => {
  const k = KEYS[ev.code];
  if (!k || typing(ev)) return;
  ev.preventDefault(); // no page scrolling with arrows and space
  held.add(k);
  sendIntent(true);
});
addEventListener("keyup", (ev) => {
  const k = KEYS[ev.code];
  if (!k) return;
  held.delete(k);
  sendIntent(true);
});
addEventListener("blur", () => {
  held.clear();
  pointer = null;
  sendIntent(true);
});

function toArena(ev) {
  const r = canvas.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) / r.width) * ARENA, y: ((ev.clientY - r.top) / r.height) * ARENA };
}
canvas.addEventListener("pointerdown", (ev) => {
  canvas.setPointerCapture(ev.pointerId);
  pointer = toArena(ev);
});
canvas.addEventListener("pointermove", (ev) => {
  if (pointer) pointer = toArena(ev);
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, () => {
    pointer = null;
    sendIntent(true);
  });
}
if (matchMedia("(pointer: coarse)").matches) $("boost").hidden = false;
$("boost").addEventListener("pointerdown", () => ((boostButton = true), sendIntent(true)));
$("boost").addEventListener("pointerup", () => ((boostButton = false), sendIntent(true)));

/** The direction the player wants now, from keys or the pointer, length at most 1. */
function intent() {
  let dx = (held.has("right") ? 1 : 0) - (held.has("left") ? 1 : 0);
  let dy = (held.has("down") ? 1 : 0) - (held.has("up") ? 1 : 0);
  const me = client?.me;
  if (pointer && me) {
    const vx = pointer.x - me.fields.x;
    const vy = pointer.y - me.fields.y;
    const d = Math.hypot(vx, vy);
    if (d > 150) (dx = vx / d), (dy = vy / d);
  }
  const len = Math.hypot(dx, dy);
  if (len > 1) (dx /= len), (dy /= len);
  const r = (v) => Math.round(v * 100) / 100; // the server rounds to hundredths anyway
  return { dx: r(dx), dy: r(dy), action: held.has("action") || boostButton };
}

/** Send the intent when it changed (the server keeps the last one); pointer moves at most every 50 ms. */
function sendIntent(now) {
  if (!client || client.place !== "lobby") return;
  const i = intent();
  const same = lastIntent && i.dx === lastIntent.dx && i.dy === lastIntent.dy && i.action === lastIntent.action;
  if (same || (!now && performance.now() - lastSentAt < 50)) return;
  lastIntent = i;
  lastSentAt = performance.now();
  client.sendInput(i);
}

// ------------------------------------------------------------------ state for tests

function publishState(w) {
  const me = client?.me;
  exposed.state = {
    tick: w.tick,
    me: me ? { id: me.id, ...me.fields } : null,
    players: w.ofKind("player").map((e) => ({ id: e.id, name: names.get(e.id)?.name ?? null, ...e.fields })),
    pickups: w.ofKind("pickup").map((e) => ({ id: e.id, ...e.fields })),
  };
  publishDom(exposed.state);
  $("tick").textContent = String(w.tick);
}

function publishDom(s) {
  const d = $("game").dataset;
  d.player = String(exposed.player ?? "");
  d.tick = String(s?.tick ?? "");
  d.x = String(s?.me?.x ?? "");
  d.y = String(s?.me?.y ?? "");
  d.score = String(s?.me?.score ?? "");
  d.players = String(s?.players.length ?? 0);
  d.pickups = String(s?.pickups.length ?? 0);
  d.lobbyState = exposed.lobby?.state ?? "";
}

// ------------------------------------------------------------------ drawing

function colorOf(id) {
  return `hsl(${(id * 137.508) % 360}, 75%, 62%)`;
}

function nameOf(id, players) {
  return players.find((p) => p.player === id)?.name ?? `player ${id}`;
}

function resize() {
  const dpr = devicePixelRatio || 1;
  const size = Math.round(canvas.getBoundingClientRect().width * dpr);
  if (size > 0 && canvas.width !== size) canvas.width = canvas.height = size;
}

function draw() {
  resize();
  const s = canvas.width / ARENA;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // grid: one line per 10 units
  ctx.strokeStyle = "#182236";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let v = 1000; v < ARENA; v += 1000) {
    ctx.moveTo(v * s, 0), ctx.lineTo(v * s, canvas.height);
    ctx.moveTo(0, v * s), ctx.lineTo(canvas.width, v * s);
  }
  ctx.stroke();
  if (!cur) {
    ctx.fillStyle = "#1f2a40";
    ctx.font = `bold ${Math.round(canvas.width / 9)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("TICKWAVE", canvas.width / 2, canvas.height / 2);
    return;
  }
  const tickMs = 1000 / (client?.lobby?.tickHz ?? 30);
  const a = Math.min(1, (performance.now() - curAt) / tickMs);
  const pos = (e) => {
    const p = prev?.get(e.id);
    if (!p || p.kind !== e.kind) return [e.fields.x, e.fields.y];
    return [p.fields.x + (e.fields.x - p.fields.x) * a, p.fields.y + (e.fields.y - p.fields.y) * a];
  };
  for (const e of cur.ofKind("pickup")) {
    const [x, y] = pos(e);
    const r = (90 + 45 * e.fields.value) * s;
    ctx.save();
    ctx.translate(x * s, y * s);
    ctx.rotate(Math.PI / 4);
    ctx.shadowColor = "#ffd166";
    ctx.shadowBlur = 10 * (canvas.width / 640);
    ctx.fillStyle = ["#ffe29a", "#ffd166", "#ffb703"][e.fields.value - 1] ?? "#ffd166";
    ctx.fillRect(-r, -r, 2 * r, 2 * r);
    ctx.restore();
  }
  const me = exposed.player;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.font = `${Math.max(11, Math.round(canvas.width / 50))}px system-ui, sans-serif`;
  for (const e of cur.ofKind("player")) {
    const [x, y] = pos(e);
    const info = names.get(e.id);
    ctx.globalAlpha = info && !info.connected ? 0.4 : 1;
    const r = 220 * s;
    if (e.fields.boost) {
      ctx.strokeStyle = "rgba(90, 209, 255, 0.6)";
      ctx.lineWidth = 3 * (canvas.width / 640);
      ctx.beginPath();
      ctx.arc(x * s, y * s, r * 1.6, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.fillStyle = colorOf(e.id);
    ctx.beginPath();
    ctx.arc(x * s, y * s, r, 0, Math.PI * 2);
    ctx.fill();
    if (e.id === me) {
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2.5 * (canvas.width / 640);
      ctx.stroke();
    }
    ctx.fillStyle = "#e6ebf5";
    ctx.fillText(`${info?.name ?? e.id}${e.id === me ? " (you)" : ""}`, x * s, y * s - r - 4);
    ctx.globalAlpha = 1;
  }
}

function updateHud() {
  const l = client?.lobby;
  if (l) {
    const left = l.remainingMs === undefined ? null : Math.max(0, l.remainingMs - (performance.now() - l.remainingAt));
    const clock = left === null ? "" : ` · ${Math.ceil(left / 1000)} s`;
    $("lobby-state").textContent = `${l.mode} #${l.id} · ${l.state}${clock}`;
  }
  if (!cur) return;
  const rows = cur
    .ofKind("player")
    .sort((p, q) => q.fields.score - p.fields.score || p.id - q.id)
    .map((p) => {
      const li = document.createElement("li");
      const info = names.get(p.id);
      if (p.id === exposed.player) li.className = "me";
      else if (info && !info.connected) li.className = "away";
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.style.background = colorOf(p.id);
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = `${info?.name ?? `player ${p.id}`}${p.id === exposed.player ? " (you)" : ""}`;
      const score = document.createElement("strong");
      score.textContent = String(p.fields.score);
      li.append(dot, who, score);
      return li;
    });
  $("scores").replaceChildren(...rows);
}

let hudAt = 0;
function frame() {
  draw();
  sendIntent(false);
  if (performance.now() - hudAt > 200) {
    hudAt = performance.now();
    updateHud();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// ------------------------------------------------------------------ start

exposed.ready = true;
document.documentElement.dataset.ready = "true";
publishDom(null);

// A reload within the seat's grace period gets the same player and seat back.
const saved = sessionStorage.getItem("tickwave.resume");
if (saved && $("name").value) {
  setJoinStatus("Rejoining…");
  startClient($("name").value, saved).catch((e) => {
    client = null;
    showJoin(`Could not reconnect: ${e.message}`);
  });
}
