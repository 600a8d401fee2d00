// The connect4 view (PROTOCOL.md §6.2): the 7 x 6 board from the state's `disc` entities
// (row 0 at the bottom), whose turn it is and the turn clock (`turn`, `turn_ms_left`), a
// click on a column (or the keys 1 to 7) sends `drop {column}`, and the game's refusals
// (`not_your_turn`, `column_full`, ...) and events (`moved`, `won`, `draw`, `forfeited`)
// are shown beside the board.

import { boardFrom, COLUMNS, lowestFree, ROWS, winningLine } from "./c4logic.js";
import { $, eventLine, exposed, game, hideRefusal, showRefusal } from "./page.js";

/** Disc colours by the game's `color` field: 1 moves first. */
const COLORS = { 1: "#ff5a6a", 2: "#ffd166" };
const FALL_MS = 320;
const canvas = $("arena");
let hover = -1; // the column under the pointer
let fall = null; // the disc of the latest `moved` event, falling: { column, row, at }

function active() {
  return exposed.view?.name === "connect4";
}

/** The game is decided: an end event (`won`, `draw`, `forfeited`) or the `results` came. */
function finished() {
  return Boolean(exposed.c4?.over || exposed.c4?.result);
}

/** The board's place on a canvas of side W: cell size, left and top edges. */
function geometry(W) {
  const cell = W / 7.6;
  const left = (W - COLUMNS * cell) / 2;
  const top = W - 0.055 * W - ROWS * cell;
  return { cell, left, top, r: cell * 0.4 };
}

function columnAt(ev) {
  const rect = canvas.getBoundingClientRect();
  const W = rect.width;
  const { cell, left } = geometry(W);
  const c = Math.floor((ev.clientX - rect.left - left) / cell);
  return c >= 0 && c < COLUMNS ? c : -1;
}

function playerInfo(id) {
  const e = game.cur?.get(id);
  const name = (e?.kind === "player" && e.fields.name) || game.names.get(id)?.name || `player ${id}`;
  return { name, color: e?.kind === "player" ? e.fields.color : 0 };
}

const who = (id) => (id === exposed.player ? "You" : playerInfo(id).name);

/** Drop a disc into `column`: the server's refusal, if any, is shown inline. */
export async function drop(column) {
  if (!active() || !game.client) return;
  try {
    await game.client.command("drop", { column });
    hideRefusal();
  } catch (e) {
    exposed.c4?.refusals.push(e.code);
    showRefusal(e.code, e.message);
  }
}

/** The board's clicks, hover and keys; each does nothing unless the view is connect4. */
export function wireInput() {
  canvas.addEventListener("pointermove", (ev) => active() && (hover = columnAt(ev)));
  canvas.addEventListener("pointerleave", () => (hover = -1));
  canvas.addEventListener("pointerdown", (ev) => {
    if (!active()) return;
    hover = columnAt(ev);
    if (hover >= 0) drop(hover);
  });
  addEventListener("keydown", (ev) => {
    if (!active() || ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    const n = Number(ev.key);
    if (Number.isInteger(n) && n >= 1 && n <= COLUMNS) drop(n - 1);
  });
}

/** A new connect4 lobby: an empty board, a fresh record for tests. */
export function enter() {
  hover = -1;
  fall = null;
  exposed.c4 = {
    tick: 0, board: boardFrom([]), turn: 0, moves: 0, turnMsLeft: 0, winner: 0, me: exposed.player,
    refusals: [], events: [], over: null, result: null,
  };
  $("c4-bar").hidden = false;
  publishBar();
}

export function leave() {
  $("c4-bar").hidden = true;
}

export function publishState(w) {
  const g = w.globals;
  const c4 = exposed.c4;
  Object.assign(c4, {
    tick: w.tick,
    board: boardFrom(w.ofKind("disc").map((d) => d.fields)),
    turn: g.turn,
    moves: g.moves,
    turnMsLeft: g.turn_ms_left,
    winner: g.winner,
    me: exposed.player,
    players: w.ofKind("player").map((p) => ({ id: p.id, ...p.fields })),
  });
  const d = $("game").dataset;
  d.view = "connect4";
  d.tick = String(w.tick);
  d.turn = String(g.turn);
  d.moves = String(g.moves);
  d.winner = String(g.winner);
  d.lobbyState = exposed.lobby?.state ?? "";
}

export function onEvent(e) {
  const c4 = exposed.c4;
  c4?.events.push({ name: e.name, data: e.data });
  const d = e.data;
  const mine = d.player === exposed.player;
  if (e.name === "moved") {
    fall = { column: d.column, row: d.row, at: performance.now() };
    eventLine(`${who(d.player)} dropped into column ${d.column + 1}`, "move");
    return;
  }
  // The game is decided (`results` follows): no more turns, no more hovering.
  if (c4) c4.over = e.name;
  if (e.name === "won") eventLine(`${who(d.player)} ${mine ? "win" : "wins"}: four in a row!`, mine ? "good" : "bad");
  else if (e.name === "draw") eventLine(`Draw: the board is full (${d.moves} moves)`);
  else if (e.name === "forfeited") eventLine(`${who(d.player)} forfeited`, mine ? "bad" : "good");
}

/** The result's words from `results.payload` ({winner, reason}). */
export function resultText(r) {
  const p = r.payload;
  if (!p || typeof p !== "object") return "Time is up: no winner.";
  if (p.reason === "draw" || !p.winner) return "Draw: the board is full.";
  const winner = p.winner === exposed.player ? "You win" : `${playerInfo(p.winner).name} wins`;
  const why = { four_in_a_row: "four in a row", forfeit: "the other player ran out of time", left: "the other player left" }[p.reason] ?? p.reason;
  return `${winner}: ${why}.`;
}

// ------------------------------------------------------------------ status and drawing

function turnLeftMs() {
  const ms = exposed.c4?.turnMsLeft ?? 0;
  return Math.max(0, ms - (performance.now() - game.curAt));
}

function publishBar() {
  const c4 = exposed.c4;
  const l = game.client?.lobby;
  let text;
  let mine = "";
  const winner = c4?.winner || c4?.result?.winner;
  if (winner) text = winner === exposed.player ? "You won!" : `${playerInfo(winner).name} won`;
  else if (finished()) text = c4.over === "draw" || c4.result?.reason === "draw" ? "Draw" : "Game over";
  else if (!l || l.state === "waiting") text = `Waiting for an opponent${l?.code ? ` · code ${l.code}` : ""}`;
  else if (l.state === "starting") text = "Get ready…";
  else if (c4?.turn) {
    mine = c4.turn === exposed.player ? "me" : "them";
    text = mine === "me" ? "Your turn" : `${playerInfo(c4.turn).name}'s turn`;
  } else text = "";
  const turn = $("c4-turn");
  turn.textContent = text;
  turn.dataset.turn = mine;
  const color = COLORS[playerInfo(winner || c4?.turn || 0).color];
  if (color) turn.style.setProperty("--disc", color);
  else turn.style.removeProperty("--disc");
  const clock = $("c4-clock");
  const running = mine !== "" && !finished();
  const left = running ? turnLeftMs() : 0;
  clock.textContent = running ? `${Math.ceil(left / 1000)} s` : "";
  clock.dataset.ms = String(Math.round(left));
  clock.classList.toggle("low", running && left < 5000);
}

/** The players and their colours in the side panel, the turn bar, a few times a second. */
export function hud() {
  publishBar();
  if (!game.cur) return;
  const rows = game.cur.ofKind("player").map((p) => {
    const li = document.createElement("li");
    if (p.id === exposed.player) li.className = "me";
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.style.background = COLORS[p.fields.color] ?? "#888";
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = `${playerInfo(p.id).name}${p.id === exposed.player ? " (you)" : ""}`;
    const mark = document.createElement("strong");
    mark.textContent = exposed.c4?.turn === p.id && !finished() ? "to move" : "";
    li.append(dot, name, mark);
    return li;
  });
  $("scores").replaceChildren(...rows);
}

export function draw(ctx, W) {
  // The clock counts down between ticks; keep the bar's seconds current.
  if (exposed.c4?.turn && !finished()) publishBar();
  const { cell, left, top, r } = geometry(W);
  const c4 = exposed.c4;
  const board = c4?.board ?? boardFrom([]);
  const cx = (c) => left + (c + 0.5) * cell;
  const cy = (row) => top + (ROWS - 1 - row + 0.5) * cell;
  const myColor = COLORS[playerInfo(exposed.player).color] ?? "#5ad1ff";
  const myTurn = c4?.turn === exposed.player && !c4?.winner;

  // The disc about to be dropped, above the hovered column.
  if (hover >= 0 && game.cur && !finished() && lowestFree(board, hover) >= 0) {
    ctx.globalAlpha = myTurn ? 0.9 : 0.3;
    ctx.fillStyle = myColor;
    ctx.beginPath();
    ctx.arc(cx(hover), top - cell * 0.55, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  // The board: a blue plate with holes; a hovered column is lit.
  ctx.fillStyle = "#1d3f8f";
  roundRect(ctx, left - cell * 0.12, top - cell * 0.08, COLUMNS * cell + cell * 0.24, ROWS * cell + cell * 0.16, cell * 0.2);
  ctx.fill();
  if (hover >= 0 && game.cur && !finished()) {
    ctx.fillStyle = "rgba(255, 255, 255, 0.07)";
    ctx.fillRect(left + hover * cell, top - cell * 0.08, cell, ROWS * cell + cell * 0.16);
  }
  const win = c4?.winner ? winningLine(board) : null;
  const now = performance.now();
  for (let c = 0; c < COLUMNS; c++) {
    for (let row = 0; row < ROWS; row++) {
      ctx.fillStyle = "#0b101a";
      ctx.beginPath();
      ctx.arc(cx(c), cy(row), r, 0, Math.PI * 2);
      ctx.fill();
      const owner = board[c][row];
      if (!owner) continue;
      let y = cy(row);
      if (fall && fall.column === c && fall.row === row) {
        const t = Math.min(1, (now - fall.at) / FALL_MS);
        y = top - cell * 0.55 + (cy(row) - (top - cell * 0.55)) * t * t;
      }
      ctx.fillStyle = COLORS[playerInfo(owner).color] ?? colorOfId(owner);
      ctx.beginPath();
      ctx.arc(cx(c), y, r * 0.92, 0, Math.PI * 2);
      ctx.fill();
      ctx.strokeStyle = "rgba(0, 0, 0, 0.25)";
      ctx.lineWidth = r * 0.12;
      ctx.beginPath();
      ctx.arc(cx(c), y, r * 0.65, 0, Math.PI * 2);
      ctx.stroke();
    }
  }
  if (win) {
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = Math.max(2, r * 0.14);
    for (const [c, row] of win.cells) {
      ctx.beginPath();
      ctx.arc(cx(c), cy(row), r * 0.98, 0, Math.PI * 2);
      ctx.stroke();
    }
    const [a, b] = [win.cells[0], win.cells[win.cells.length - 1]];
    ctx.lineCap = "round";
    ctx.lineWidth = Math.max(3, r * 0.2);
    ctx.beginPath();
    ctx.moveTo(cx(a[0]), cy(a[1]));
    ctx.lineTo(cx(b[0]), cy(b[1]));
    ctx.stroke();
    ctx.lineCap = "butt";
  }
  // Column numbers for the keys 1 to 7.
  ctx.fillStyle = "#8a95ad";
  ctx.font = `${Math.max(10, Math.round(cell * 0.2))}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let c = 0; c < COLUMNS; c++) ctx.fillText(String(c + 1), cx(c), top + ROWS * cell + cell * 0.14);
}

function colorOfId(id) {
  return `hsl(${(id * 137.508) % 360}, 75%, 62%)`;
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
