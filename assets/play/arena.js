// The arena view: draws players, pickups and shots with interpolation, the scoreboard, and
// mirrors the state for tests. What it draws follows the lobby's schema (views.js `viewOf`):
// positions are scaled from the position field's range (the v1 arena's fixed point 0..10000,
// the v2 arena's units 0..100), and shots, aim, hp and names are drawn when the kinds have
// them. Input is arena-input.js's.

import { pointerAt } from "./arena-input.js";
import { $, eventLine, exposed, flash, game, system } from "./page.js";

export { resetIntent, sendIntent, wireInput } from "./arena-input.js";

/** Sizes as fractions of the map's side (the arena is 100 units: a player is 2.2 units). */
const PLAYER_R = 0.022;
const SHOT_R = 0.008;

export function colorOf(id) {
  return `hsl(${(id * 137.508) % 360}, 75%, 62%)`;
}

/** A player's name: the state's `name` field (v2 arena) or the roster's. */
function nameOf(e) {
  if (typeof e.fields.name === "string" && e.fields.name) return e.fields.name;
  return game.names.get(e.id)?.name ?? `player ${e.id}`;
}

// ------------------------------------------------------------------ state for tests

export function publishState(w) {
  const me = game.client?.me;
  exposed.state = {
    tick: w.tick,
    me: me ? { id: me.id, ...me.fields } : null,
    players: w.ofKind("player").map((e) => ({ id: e.id, ...e.fields, name: nameOf(e) })),
    pickups: w.ofKind("pickup").map((e) => ({ id: e.id, ...e.fields })),
    shots: w.ofKind("shot").map((e) => ({ id: e.id, ...e.fields })),
  };
  publishDom(exposed.state);
}

export function publishDom(s) {
  const d = $("game").dataset;
  d.player = String(exposed.player ?? "");
  d.view = exposed.view?.name ?? "";
  d.tick = String(s?.tick ?? "");
  d.x = String(s?.me?.x ?? "");
  d.y = String(s?.me?.y ?? "");
  d.score = String(s?.me?.score ?? "");
  d.players = String(s?.players?.length ?? 0);
  d.pickups = String(s?.pickups?.length ?? 0);
  d.shots = String(s?.shots?.length ?? 0);
  d.lobbyState = exposed.lobby?.state ?? "";
}

/** The game's events as lines: the v2 arena's `kill {killer, victim}`. */
export function onEvent(e) {
  if (e.name !== "kill") return;
  const me = exposed.player;
  const name = (id) => game.names.get(id)?.name ?? `player ${id}`;
  const { killer, victim } = e.data;
  let text;
  if (victim === me) {
    text = `${name(killer)} knocked you out`;
    flash("Knocked out: back in a moment", 2000);
  } else if (killer === me) text = `You knocked out ${name(victim)}`;
  else text = `${name(killer)} knocked out ${name(victim)}`;
  eventLine(text, victim === me ? "bad" : killer === me ? "good" : "");
  if (killer === me || victim === me) system(text);
}

/** The result's words: who scored most. */
export function resultText(r) {
  const top = r.scores[0];
  if (!top) return "Time is up.";
  const tie = r.scores.length > 1 && r.scores[1].score === top.score;
  if (tie) return `A tie at ${top.score} points.`;
  return `${top.player === exposed.player ? "You win" : `${top.name} wins`} with ${top.score} points.`;
}

// ------------------------------------------------------------------ drawing

/** The 10 x 10 grid behind the arena (and behind the idle page). */
export function drawGrid(ctx, W) {
  ctx.strokeStyle = "#182236";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let k = 1; k < 10; k++) {
    ctx.moveTo((k * W) / 10, 0), ctx.lineTo((k * W) / 10, W);
    ctx.moveTo(0, (k * W) / 10), ctx.lineTo(W, (k * W) / 10);
  }
  ctx.stroke();
}

/** Draw the arena's grid, then the state when there is one. */
export function draw(ctx, W) {
  const view = exposed.view;
  const { min, max } = view.range;
  const s = W / (max - min);
  const px = (v) => (v - min) * s;
  drawGrid(ctx, W);
  if (!game.cur) return;
  const tickMs = 1000 / (game.client?.lobby?.tickHz ?? 30);
  const a = Math.min(1, (performance.now() - game.curAt) / tickMs);
  const pos = (e) => {
    const p = game.prev?.get(e.id);
    if (!p || p.kind !== e.kind) return [px(e.fields.x), px(e.fields.y)];
    return [px(p.fields.x + (e.fields.x - p.fields.x) * a), px(p.fields.y + (e.fields.y - p.fields.y) * a)];
  };
  const thin = W / 640;

  for (const e of game.cur.ofKind("pickup")) {
    const [x, y] = pos(e);
    const r = (0.009 + 0.0045 * e.fields.value) * W;
    ctx.save();
    ctx.translate(x, y);
    ctx.rotate(Math.PI / 4);
    ctx.shadowColor = "#ffd166";
    ctx.shadowBlur = 10 * thin;
    ctx.fillStyle = ["#ffe29a", "#ffd166", "#ffb703"][e.fields.value - 1] ?? "#ffd166";
    ctx.fillRect(-r, -r, 2 * r, 2 * r);
    ctx.restore();
  }

  for (const e of game.cur.ofKind("shot")) {
    const [x, y] = pos(e);
    const p = game.prev?.get(e.id);
    const color = colorOf(e.fields.owner ?? 0);
    // A streak behind the shot, along its flight (from the previous tick's position).
    if (p && p.kind === e.kind && (p.fields.x !== e.fields.x || p.fields.y !== e.fields.y)) {
      const d = Math.atan2(e.fields.y - p.fields.y, e.fields.x - p.fields.x);
      const len = 0.035 * W;
      const g = ctx.createLinearGradient(x, y, x - Math.cos(d) * len, y - Math.sin(d) * len);
      g.addColorStop(0, color);
      g.addColorStop(1, "rgba(0, 0, 0, 0)");
      ctx.strokeStyle = g;
      ctx.lineWidth = SHOT_R * W * 1.4;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x - Math.cos(d) * len, y - Math.sin(d) * len);
      ctx.stroke();
      ctx.lineCap = "butt";
    }
    ctx.fillStyle = "#ffffff";
    ctx.shadowColor = color;
    ctx.shadowBlur = 10 * thin;
    ctx.beginPath();
    ctx.arc(x, y, SHOT_R * W, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  const me = exposed.player;
  const fontPx = Math.max(11, Math.round(W / 50));
  ctx.font = `${fontPx}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  for (const e of game.cur.ofKind("player")) {
    const [x, y] = pos(e);
    const f = e.fields;
    const info = game.names.get(e.id);
    const dead = f.alive === false;
    ctx.globalAlpha = dead ? 0.25 : info && !info.connected ? 0.4 : 1;
    const r = PLAYER_R * W;
    if (f.boost || f.dashing) {
      ctx.strokeStyle = "rgba(90, 209, 255, 0.6)";
      ctx.lineWidth = 3 * thin;
      ctx.beginPath();
      ctx.arc(x, y, r * 1.6, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.fillStyle = colorOf(e.id);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.fill();
    if (e.id === me) {
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2.5 * thin;
      ctx.stroke();
    }
    if (typeof f.aim === "number" && !dead) {
      // The barrel: where this player aims.
      ctx.strokeStyle = "#e6ebf5";
      ctx.lineWidth = 4 * thin;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(x + Math.cos(f.aim) * r * 0.5, y + Math.sin(f.aim) * r * 0.5);
      ctx.lineTo(x + Math.cos(f.aim) * r * 1.7, y + Math.sin(f.aim) * r * 1.7);
      ctx.stroke();
      ctx.lineCap = "butt";
    }
    // Name (and hp bar) above the player, or below it at the top edge, pulled in from the sides.
    const label = `${nameOf(e)}${e.id === me ? " (you)" : ""}${dead ? " (down)" : ""}`;
    const hpBar = typeof f.hp === "number" ? 5 * thin : 0;
    const lh = fontPx + 2 + hpBar;
    const half = ctx.measureText(label).width / 2 + 2;
    const above = y - r - 4 - lh >= 0;
    const ly = above ? y - r - 4 - hpBar : y + r + 4 + hpBar + fontPx + 2;
    const lx = Math.min(W - half, Math.max(half, x));
    ctx.fillStyle = "#e6ebf5";
    ctx.fillText(label, lx, ly);
    if (hpBar) {
      const bw = r * 2;
      const by = above ? y - r - 3 - hpBar : y + r + 4;
      ctx.fillStyle = "#2a3450";
      ctx.fillRect(x - bw / 2, by, bw, hpBar - thin);
      ctx.fillStyle = f.hp > 50 ? "#6ee7a0" : f.hp > 25 ? "#ffb547" : "#ff5a6a";
      ctx.fillRect(x - bw / 2, by, (bw * Math.max(0, f.hp)) / 100, hpBar - thin);
    }
    ctx.globalAlpha = 1;
  }
  const aimAt = view.aim ? pointerAt() : null;
  if (aimAt) {
    // Where the mouse aims: a crosshair.
    const [x, y] = [px(aimAt.x), px(aimAt.y)];
    const c = 0.012 * W;
    ctx.strokeStyle = "rgba(230, 235, 245, 0.8)";
    ctx.lineWidth = 1.5 * thin;
    ctx.beginPath();
    ctx.arc(x, y, c, 0, Math.PI * 2);
    ctx.moveTo(x - 1.8 * c, y), ctx.lineTo(x - 0.5 * c, y);
    ctx.moveTo(x + 0.5 * c, y), ctx.lineTo(x + 1.8 * c, y);
    ctx.moveTo(x, y - 1.8 * c), ctx.lineTo(x, y - 0.5 * c);
    ctx.moveTo(x, y + 0.5 * c), ctx.lineTo(x, y + 1.8 * c);
    ctx.stroke();
  }
}

/** The scoreboard, a few times a second. */
export function hud() {
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
      who.textContent = `${nameOf(p)}${p.id === exposed.player ? " (you)" : ""}`;
      const score = document.createElement("strong");
      score.textContent = String(p.fields.score);
      li.append(dot, who, score);
      return li;
    });
  $("scores").replaceChildren(...rows);
}
