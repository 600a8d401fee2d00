// The battleship view (PROTOCOL.md, built-in game battleship): my fleet with the opponent's
// shots on the left, the enemy's waters with my shots, hits and sunk ships on the right,
// whose turn it is and its clock (`turn`, `turn_deadline_tick`). A click on the enemy's
// waters sends `fire {x, y}`; the game's refusals (`not_your_turn`, `already_fired`, ...) and
// its `shot` events are shown beside the boards.
//
// What the page draws is only what the state holds: the server never sends the opponent's
// ship cells before they are hit (per-player views), and `exposed.bs.leaks` counts any that
// came anyway (the tests assert it stays 0).

import { boardsFrom, cellAt, cellName, FLEET, index, layout, noneSunk, recordSunk, SIZE } from "./bslogic.js";
import { $, eventLine, exposed, game, hideRefusal, showRefusal } from "./page.js";

const canvas = $("arena");
const FLASH_MS = 700;
let hover = null; // the enemy cell under the pointer: { x, y }
let flash = null; // the latest shot, for a short ring: { board, x, y, at }
let last = null; // the latest shot in words: { text, color }

function active() {
  return exposed.view?.name === "battleship";
}

function finished() {
  return Boolean(exposed.bs?.result || exposed.bs?.winner);
}

function nameOf(id) {
  return id === exposed.player ? "You" : game.names.get(id)?.name ?? `player ${id}`;
}

/** Fire at (x, y) of the enemy's waters: the server's refusal, if any, is shown inline. */
export async function fire(x, y) {
  if (!active() || !game.client) return;
  try {
    await game.client.command("fire", { x, y });
    hideRefusal();
  } catch (e) {
    exposed.bs?.refusals.push(e.code);
    showRefusal(e.code, e.message);
  }
}

function cellOf(ev) {
  const rect = canvas.getBoundingClientRect();
  const scale = canvas.width / rect.width;
  return cellAt(canvas.width, (ev.clientX - rect.left) * scale, (ev.clientY - rect.top) * scale);
}

/** The boards' clicks and hover; each does nothing unless the view is battleship. */
export function wireInput() {
  canvas.addEventListener("pointermove", (ev) => {
    if (!active()) return;
    const c = cellOf(ev);
    hover = c?.board === "enemy" ? { x: c.x, y: c.y } : null;
  });
  canvas.addEventListener("pointerleave", () => (hover = null));
  canvas.addEventListener("pointerdown", (ev) => {
    if (!active()) return;
    const c = cellOf(ev);
    if (c?.board === "enemy") fire(c.x, c.y);
  });
}

/** A new battleship lobby: empty boards, a fresh record for tests. */
export function enter() {
  hover = null;
  flash = null;
  last = null;
  const empty = new Array(SIZE * SIZE).fill("");
  exposed.bs = {
    tick: 0, turn: 0, deadlineTick: 0, msLeft: 0, me: exposed.player, opponent: 0, mine: empty, enemy: empty,
    leaks: 0, players: [], sunk: noneSunk(), refusals: [], events: [], winner: 0, result: null,
  };
  $("c4-bar").hidden = false;
  publishBar();
}

export function leave() {
  $("c4-bar").hidden = true;
}

export function publishState(w) {
  const bs = exposed.bs;
  const g = w.globals;
  const { mine, enemy, leaks } = boardsFrom(
    w.ofKind("ship_cell").map((e) => e.fields),
    w.ofKind("shot").map((e) => e.fields),
    exposed.player,
    bs.sunk,
  );
  const players = w.ofKind("player").map((p) => ({ id: p.id, ...p.fields }));
  const tickHz = game.client?.lobby?.tickHz || 10;
  Object.assign(bs, {
    tick: w.tick,
    turn: g.turn,
    deadlineTick: g.turn_deadline_tick,
    msLeft: g.turn && g.turn_deadline_tick ? Math.max(0, ((g.turn_deadline_tick - w.tick) * 1000) / tickHz) : 0,
    me: exposed.player,
    opponent: players.find((p) => p.id !== exposed.player)?.id ?? bs.opponent,
    mine,
    enemy,
    leaks: Math.max(bs.leaks, leaks), // the most ever seen in one state: must stay 0
    players,
  });
  const d = $("game").dataset;
  d.view = "battleship";
  d.tick = String(w.tick);
  d.turn = String(g.turn);
  d.lobbyState = exposed.lobby?.state ?? "";
}

export function onEvent(e) {
  const bs = exposed.bs;
  if (!bs || e.name !== "shot") return;
  const d = e.data;
  bs.events.push({ name: e.name, data: d });
  const mine = d.player === exposed.player;
  const board = mine ? "enemy" : "mine";
  // Which ship sank, judged on the board as it is now: the event precedes its tick's state.
  if (d.result === "sunk") recordSunk(bs.sunk[board], bs[board], d.x, d.y);
  flash = { board, x: d.x, y: d.y, at: performance.now() };
  const what = { miss: "miss", hit: "hit!", sunk: "hit and sunk!" }[d.result] ?? d.result;
  const cls = d.result === "miss" ? "move" : mine ? "good" : "bad";
  const text = `${nameOf(d.player)} fired at ${cellName(d.x, d.y)}: ${what}`;
  eventLine(text, cls);
  last = { text, color: d.result === "miss" ? COLORS.text : mine ? "#6ee7a0" : COLORS.hit };
}

/** The result's words from `results.payload` ({winner, reason}). */
export function resultText(r) {
  const p = r.payload;
  if (!p || typeof p !== "object" || !p.winner) return "Time is up: no winner.";
  if (exposed.bs) exposed.bs.winner = p.winner;
  const won = p.winner === exposed.player;
  if (p.reason === "left") return `${won ? "You win" : `${nameOf(p.winner)} wins`}: the other player left.`;
  return won ? "You win: the enemy fleet is sunk." : `${nameOf(p.winner)} wins: your fleet is sunk.`;
}

// ------------------------------------------------------------------ status and drawing

function turnLeftMs() {
  return Math.max(0, (exposed.bs?.msLeft ?? 0) - (performance.now() - game.curAt));
}

function publishBar() {
  const bs = exposed.bs;
  const l = game.client?.lobby;
  let text;
  let mine = "";
  const winner = bs?.winner || bs?.result?.winner;
  if (winner) text = winner === exposed.player ? "You won!" : `${nameOf(winner)} won`;
  else if (finished()) text = "Game over";
  else if (!l || l.state === "waiting") text = `Waiting for an opponent${l?.code ? ` · code ${l.code}` : ""}`;
  else if (l.state === "starting") text = "Get ready…";
  else if (bs?.turn) {
    mine = bs.turn === exposed.player ? "me" : "them";
    text = mine === "me" ? "Your turn: fire at the enemy's waters" : `${nameOf(bs.turn)}'s turn`;
  } else text = "";
  const turn = $("c4-turn");
  turn.textContent = text;
  turn.dataset.turn = mine;
  turn.style.setProperty("--disc", mine === "me" ? "#6ee7a0" : mine ? "#ffb547" : "transparent");
  const clock = $("c4-clock");
  const running = mine !== "" && !finished();
  const left = running ? turnLeftMs() : 0;
  clock.textContent = running ? `${Math.ceil(left / 1000)} s` : "";
  clock.dataset.ms = String(Math.round(left));
  clock.classList.toggle("low", running && left < 5000);
}

/** The players, their ships afloat and shots fired in the side panel; the turn bar. */
export function hud() {
  publishBar();
  const bs = exposed.bs;
  if (!bs) return;
  const rows = bs.players.map((p) => {
    const li = document.createElement("li");
    if (p.id === exposed.player) li.className = "me";
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = `${p.id === exposed.player ? `${game.names.get(p.id)?.name ?? "you"} (you)` : nameOf(p.id)}`;
    const info = document.createElement("strong");
    info.textContent = `${plural(p.ships_left, "ship")} · ${plural(p.shots, "shot")}`;
    li.append(name, info);
    return li;
  });
  $("scores").replaceChildren(...rows);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

const COLORS = {
  water: "#10213d",
  grid: "#24385e",
  ship: "#7d8aa6",
  hit: "#ff7a45",
  sunk: "#b3263a",
  miss: "#8fb4e8",
  text: "#8a95ad",
};

export function draw(ctx, W) {
  if (exposed.bs?.turn && !finished()) publishBar(); // the clock counts down between ticks
  const bs = exposed.bs;
  const g = layout(W);
  const c = g.cell;
  const myTurn = bs?.turn === exposed.player && !finished();
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const board of ["mine", "enemy"]) {
    const { left, top } = g[board];
    const marks = bs?.[board] ?? [];
    // Title, coordinates, water.
    ctx.fillStyle = board === "enemy" && myTurn ? "#6ee7a0" : "#e6ebf5";
    ctx.font = `600 ${Math.round(c * 0.62)}px system-ui, sans-serif`;
    ctx.fillText(board === "mine" ? "Your fleet" : "Enemy waters", left + 5 * c, top - c * 1.45);
    ctx.fillStyle = COLORS.text;
    ctx.font = `${Math.round(c * 0.42)}px system-ui, sans-serif`;
    for (let k = 0; k < SIZE; k++) {
      ctx.fillText("ABCDEFGHIJ"[k], left + (k + 0.5) * c, top - c * 0.45);
      ctx.fillText(String(k + 1), left - c * 0.55, top + (k + 0.5) * c);
    }
    ctx.fillStyle = COLORS.water;
    ctx.fillRect(left, top, SIZE * c, SIZE * c);
    if (board === "enemy" && myTurn) {
      ctx.strokeStyle = "rgba(110, 231, 160, 0.6)";
      ctx.lineWidth = 2;
      ctx.strokeRect(left - 2, top - 2, SIZE * c + 4, SIZE * c + 4);
    }
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let k = 0; k <= SIZE; k++) {
      ctx.moveTo(left + k * c, top);
      ctx.lineTo(left + k * c, top + SIZE * c);
      ctx.moveTo(left, top + k * c);
      ctx.lineTo(left + SIZE * c, top + k * c);
    }
    ctx.stroke();
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) drawMark(ctx, marks[index(x, y)], left + x * c, top + y * c, c);
    if (board === "enemy" && hover && myTurn && !marks[index(hover.x, hover.y)]) {
      const hx = left + (hover.x + 0.5) * c;
      const hy = top + (hover.y + 0.5) * c;
      ctx.strokeStyle = "#6ee7a0";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(hx, hy, c * 0.32, 0, Math.PI * 2);
      ctx.moveTo(hx - c * 0.45, hy);
      ctx.lineTo(hx + c * 0.45, hy);
      ctx.moveTo(hx, hy - c * 0.45);
      ctx.lineTo(hx, hy + c * 0.45);
      ctx.stroke();
    }
    if (flash?.board === board) {
      const t = (performance.now() - flash.at) / FLASH_MS;
      if (t < 1) {
        ctx.strokeStyle = `rgba(255, 255, 255, ${1 - t})`;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(left + (flash.x + 0.5) * c, top + (flash.y + 0.5) * c, c * (0.3 + t * 0.6), 0, Math.PI * 2);
        ctx.stroke();
      }
    }
    drawFleet(ctx, board, bs, left, top + SIZE * c + c * 0.8, c);
  }
  drawLegend(ctx, W, g.mine.top + SIZE * c + c * 2.9, c);
  // The latest shot in words, large, under it all.
  if (last) {
    ctx.fillStyle = last.color;
    ctx.font = `600 ${Math.round(c * 0.7)}px system-ui, sans-serif`;
    ctx.fillText(last.text, W / 2, W - c * 1.6);
  }
}

function drawMark(ctx, mark, x, y, c) {
  if (!mark) return;
  const cx = x + c / 2;
  const cy = y + c / 2;
  if (mark === "ship" || mark === "hit") {
    ctx.fillStyle = COLORS.ship;
    ctx.fillRect(x + c * 0.1, y + c * 0.1, c * 0.8, c * 0.8);
  }
  if (mark === "sunk") {
    ctx.fillStyle = COLORS.sunk;
    ctx.fillRect(x + c * 0.06, y + c * 0.06, c * 0.88, c * 0.88);
  }
  if (mark === "hit" || mark === "sunk") {
    ctx.strokeStyle = mark === "hit" ? COLORS.hit : "#ffd0d6";
    ctx.lineWidth = Math.max(2, c * 0.13);
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(cx - c * 0.25, cy - c * 0.25);
    ctx.lineTo(cx + c * 0.25, cy + c * 0.25);
    ctx.moveTo(cx + c * 0.25, cy - c * 0.25);
    ctx.lineTo(cx - c * 0.25, cy + c * 0.25);
    ctx.stroke();
    ctx.lineCap = "butt";
  }
  if (mark === "miss") {
    ctx.fillStyle = COLORS.miss;
    ctx.beginPath();
    ctx.arc(cx, cy, c * 0.12, 0, Math.PI * 2);
    ctx.fill();
  }
}

/** Under each board, its fleet: one bar per ship, the sunk ones red and crossed out. */
function drawFleet(ctx, board, bs, left, top, c) {
  const sunk = [...(bs?.sunk[board].lengths ?? [])];
  const unit = c * 0.36;
  let x = left;
  for (const len of FLEET) {
    const k = sunk.indexOf(len);
    const gone = k >= 0;
    if (gone) sunk.splice(k, 1);
    ctx.fillStyle = gone ? COLORS.sunk : board === "mine" ? COLORS.ship : "#3a4d75";
    ctx.fillRect(x, top, len * unit, unit);
    if (gone) {
      ctx.strokeStyle = "#ffd0d6";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x, top + unit / 2);
      ctx.lineTo(x + len * unit, top + unit / 2);
      ctx.stroke();
    }
    x += len * unit + unit * 0.7;
  }
  const afloat = FLEET.length - (bs?.sunk[board].lengths.length ?? 0);
  ctx.fillStyle = COLORS.text;
  ctx.font = `${Math.round(c * 0.45)}px system-ui, sans-serif`;
  ctx.textAlign = "left";
  ctx.fillText(board === "mine" ? `${plural(afloat, "ship")} afloat` : `${plural(afloat, "ship")} to sink`, left, top + unit + c * 0.6);
  ctx.textAlign = "center";
}

function drawLegend(ctx, W, top, c) {
  const items = [
    ["ship", "your ship"],
    ["hit", "hit"],
    ["sunk", "sunk"],
    ["miss", "miss"],
  ];
  ctx.font = `${Math.round(c * 0.45)}px system-ui, sans-serif`;
  ctx.textAlign = "left";
  const step = W / (items.length + 1);
  items.forEach(([mark, label], k) => {
    const x = step * (k + 0.6);
    ctx.fillStyle = COLORS.water;
    ctx.fillRect(x, top, c, c);
    drawMark(ctx, mark, x, top, c);
    ctx.fillStyle = COLORS.text;
    ctx.fillText(label, x + c * 1.3, top + c / 2);
  });
  ctx.textAlign = "center";
}
