// The arena: reading input (keys, pointer, the boost button), drawing the state with
// interpolation, the scoreboard, and mirroring the state for tests.

import { $, exposed, game } from "./page.js";

const ARENA = 10_000; // arena size in fixed-point units (100 = one unit), PROTOCOL.md §6.1
const canvas = $("arena");
const ctx = canvas.getContext("2d");

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

/** The server starts from no input after a match is found: send what is held now. */
export function resetIntent() {
  lastIntent = null;
}

/** Keys, the pointer on the arena and the boost button. */
export function wireInput() {
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
}

function toArena(ev) {
  const r = canvas.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) / r.width) * ARENA, y: ((ev.clientY - r.top) / r.height) * ARENA };
}

/** The direction the player wants now, from keys or the pointer, length at most 1. */
function intent() {
  let dx = (held.has("right") ? 1 : 0) - (held.has("left") ? 1 : 0);
  let dy = (held.has("down") ? 1 : 0) - (held.has("up") ? 1 : 0);
  const me = game.client?.me;
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
  if (!game.client || game.client.place !== "lobby") return;
  const i = intent();
  const same = lastIntent && i.dx === lastIntent.dx && i.dy === lastIntent.dy && i.action === lastIntent.action;
  if (same || (!now && performance.now() - lastSentAt < 50)) return;
  lastIntent = i;
  lastSentAt = performance.now();
  game.client.sendInput(i);
}

// ------------------------------------------------------------------ state for tests

export function publishState(w) {
  const me = game.client?.me;
  exposed.state = {
    tick: w.tick,
    me: me ? { id: me.id, ...me.fields } : null,
    players: w.ofKind("player").map((e) => ({ id: e.id, name: game.names.get(e.id)?.name ?? null, ...e.fields })),
    pickups: w.ofKind("pickup").map((e) => ({ id: e.id, ...e.fields })),
  };
  publishDom(exposed.state);
  $("tick").textContent = String(w.tick);
}

export function publishDom(s) {
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

export function colorOf(id) {
  return `hsl(${(id * 137.508) % 360}, 75%, 62%)`;
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
  if (!game.cur) {
    ctx.fillStyle = "#1f2a40";
    ctx.font = `bold ${Math.round(canvas.width / 9)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("TICKWAVE", canvas.width / 2, canvas.height / 2);
    return;
  }
  const tickMs = 1000 / (game.client?.lobby?.tickHz ?? 30);
  const a = Math.min(1, (performance.now() - game.curAt) / tickMs);
  const pos = (e) => {
    const p = game.prev?.get(e.id);
    if (!p || p.kind !== e.kind) return [e.fields.x, e.fields.y];
    return [p.fields.x + (e.fields.x - p.fields.x) * a, p.fields.y + (e.fields.y - p.fields.y) * a];
  };
  for (const e of game.cur.ofKind("pickup")) {
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
  for (const e of game.cur.ofKind("player")) {
    const [x, y] = pos(e);
    const info = game.names.get(e.id);
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
    // Keep the name inside the canvas: above the player, or below it at the top edge, and
    // pulled in from the sides.
    const label = `${info?.name ?? e.id}${e.id === me ? " (you)" : ""}`;
    const lh = Math.max(11, Math.round(canvas.width / 50)) + 2;
    const half = ctx.measureText(label).width / 2 + 2;
    const ly = y * s - r - 4 - lh >= 0 ? y * s - r - 4 : y * s + r + 4 + lh;
    const lx = Math.min(canvas.width - half, Math.max(half, x * s));
    ctx.fillText(label, lx, ly);
    ctx.globalAlpha = 1;
  }
}

function updateHud() {
  const l = game.client?.lobby;
  if (l) {
    const left = l.remainingMs === undefined ? null : Math.max(0, l.remainingMs - (performance.now() - l.remainingAt));
    const clock = left === null ? "" : ` · ${Math.ceil(left / 1000)} s`;
    $("lobby-state").textContent = `${l.mode} #${l.id} · ${l.state}${clock}`;
  }
  if (!game.cur) return;
  const rows = game.cur
    .ofKind("player")
    .sort((p, q) => q.fields.score - p.fields.score || p.id - q.id)
    .map((p) => {
      const li = document.createElement("li");
      const info = game.names.get(p.id);
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

/** Draw every animation frame from now on. */
export function startDrawing() {
  requestAnimationFrame(frame);
}
