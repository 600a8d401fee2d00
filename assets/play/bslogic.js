// Battleship logic for the page and its in-page bot (PROTOCOL.md, built-in game battleship):
// two 10 x 10 boards, x the column (0..9, A..J on screen) and y the row (0..9, 1..10 on
// screen), a fleet of ships 5, 4, 3, 3, 2 long that may touch. A board here is an array of
// 100 cell marks indexed `y * 10 + x`: "" (nothing known), "ship" (one of my unhit ship
// cells), "miss", "hit" or "sunk".
//
// Pure functions, no DOM: tests/browser/logic.test.mjs runs them in node.

export const SIZE = 10;
export const FLEET = [5, 4, 3, 3, 2];
export const COLUMN_NAMES = "ABCDEFGHIJ";

export const index = (x, y) => y * SIZE + x;
export const onBoard = (x, y) => Number.isInteger(x) && Number.isInteger(y) && x >= 0 && x < SIZE && y >= 0 && y < SIZE;
/** A cell as people name it: `B7` is x 1, y 6. */
export const cellName = (x, y) => `${COLUMN_NAMES[x] ?? "?"}${y + 1}`;

/** What is known sunk on each board: the cells (indexes) and the ships' lengths, in order. */
export function noneSunk() {
  return { mine: { cells: new Set(), lengths: [] }, enemy: { cells: new Set(), lengths: [] } };
}

/**
 * Both boards as `me` sees them, from the state's `ship_cell` and `shot` entities (their
 * `fields`) and what is known sunk (`noneSunk()`, filled by `recordSunk`). `mine`: my ships,
 * the opponent's shots at them and into the water; `enemy`: my shots, and the opponent's
 * ship cells I hit. `leaks` counts the opponent's ship cells in the state that are not hit,
 * which the server must never send (its views hide them): the page draws them nowhere, and
 * its tests assert the count stays 0.
 */
export function boardsFrom(cells, shots, me, sunk = noneSunk()) {
  const mine = new Array(SIZE * SIZE).fill("");
  const enemy = new Array(SIZE * SIZE).fill("");
  let leaks = 0;
  for (const c of cells) {
    if (!onBoard(c.x, c.y)) continue;
    const i = index(c.x, c.y);
    if (c.owner === me) mine[i] = c.hit ? "hit" : "ship";
    else if (c.hit) enemy[i] = "hit";
    else leaks++;
  }
  for (const s of shots) {
    if (!onBoard(s.x, s.y)) continue;
    const board = s.shooter === me ? enemy : mine;
    const i = index(s.x, s.y);
    if (s.hit) board[i] = "hit";
    else if (board[i] === "") board[i] = "miss";
  }
  for (const i of sunk.mine.cells) mine[i] = "sunk";
  for (const i of sunk.enemy.cells) enemy[i] = "sunk";
  return { mine, enemy, leaks };
}

/**
 * A `shot` event said "sunk" at (x, y): add the ship it sank to `record` (one board's part of
 * `noneSunk()`), judged on `board`, that board's marks when the event came. An event comes
 * before the state of its tick (PROTOCOL.md §6.6), so the board holds the ship's earlier hits
 * and not yet this one, and no later hit beside it can be taken for part of it. Returns the
 * ship's cells.
 */
export function recordSunk(record, board, x, y) {
  if (!onBoard(x, y)) return [];
  const b = [...board];
  for (const i of record.cells) b[i] = "sunk";
  if (b[index(x, y)] !== "sunk") b[index(x, y)] = "hit";
  const cells = sunkShip(b, x, y, shipsLeft(record.lengths));
  for (const i of cells) record.cells.add(i);
  record.lengths.push(cells.length);
  return cells;
}

/**
 * The cells of the ship a `sunk` shot at (x, y) just sank, as indexes, on `board` (hit cells
 * are "hit"; cells of ships sunk before are "sunk"). `left`: the lengths of that fleet's ships
 * not sunk before this shot. The ship lies along a row or a column through (x, y) over hit
 * cells; ships may touch, so when several lines fit, the longest remaining length wins, then
 * the row. Never empty: at worst the shot's own cell.
 */
export function sunkShip(board, x, y, left = FLEET) {
  const hit = (cx, cy) => onBoard(cx, cy) && board[index(cx, cy)] === "hit";
  let best = null;
  for (const [dx, dy] of [
    [1, 0],
    [0, 1],
  ]) {
    // The run of hit cells through (x, y) along this axis: from `lo` to `hi` steps from it.
    let lo = 0;
    let hi = 0;
    while (hit(x - (lo + 1) * dx, y - (lo + 1) * dy)) lo++;
    while (hit(x + (hi + 1) * dx, y + (hi + 1) * dy)) hi++;
    const run = lo + hi + 1;
    for (const len of [...new Set(left)].sort((a, b) => b - a)) {
      if (len > run || (best && best.len >= len)) continue;
      // The shot that sank a ship is one of its ends or inside it; take the placement that
      // starts furthest back along the run (any placement covering (x, y) is as likely).
      const start = Math.max(-lo, -(len - 1));
      if (start + len - 1 > hi) continue;
      best = { len, cells: Array.from({ length: len }, (_, k) => index(x + (start + k) * dx, y + (start + k) * dy)) };
    }
  }
  return best ? best.cells : [index(x, y)];
}

/** `FLEET` without one ship of each length in `sunkLengths`. */
export function shipsLeft(sunkLengths) {
  const left = [...FLEET];
  for (const len of sunkLengths) {
    const i = left.indexOf(len);
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}

/**
 * The in-page bot's shot at the `enemy` board (cell marks as above): hunt and target.
 * Hit cells not yet sunk are targets: along a line of two or more of them, it fires at the
 * line's open ends; else at an untried neighbour of a target; with no target, at a random
 * untried cell of a checkerboard (the smallest ship, 2 long, always covers one of its cells),
 * then at any untried cell. `random` returns [0, 1) (Math.random, or a seeded one in tests).
 * `null` when every cell was tried.
 */
export function chooseShot(enemy, random = Math.random) {
  const untried = (x, y) => onBoard(x, y) && enemy[index(x, y)] === "";
  const target = (x, y) => onBoard(x, y) && enemy[index(x, y)] === "hit";
  const pick = (list) => (list.length ? list[Math.floor(random() * list.length) % list.length] : null);
  const targets = [];
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (target(x, y)) targets.push([x, y]);

  const ends = [];
  for (const [x, y] of targets) {
    for (const [dx, dy] of [
      [1, 0],
      [0, 1],
    ]) {
      // Only from a line's first cell, so each line is looked at once.
      if (target(x - dx, y - dy) || !target(x + dx, y + dy)) continue;
      let n = 1;
      while (target(x + n * dx, y + n * dy)) n++;
      if (untried(x - dx, y - dy)) ends.push([x - dx, y - dy]);
      if (untried(x + n * dx, y + n * dy)) ends.push([x + n * dx, y + n * dy]);
    }
  }
  const lineEnd = pick(ends);
  if (lineEnd) return { x: lineEnd[0], y: lineEnd[1] };

  const around = [];
  for (const [x, y] of targets) {
    for (const [dx, dy] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ]) {
      if (untried(x + dx, y + dy)) around.push([x + dx, y + dy]);
    }
  }
  const next = pick(around);
  if (next) return { x: next[0], y: next[1] };

  const open = [];
  const even = [];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if (!untried(x, y)) continue;
      open.push([x, y]);
      if ((x + y) % 2 === 0) even.push([x, y]);
    }
  }
  const hunt = pick(even) ?? pick(open);
  return hunt ? { x: hunt[0], y: hunt[1] } : null;
}

/**
 * Where the two boards are drawn on a square canvas of side `W`: the cell size and each
 * board's top-left corner; my fleet on the left, the enemy's waters (the one to click) on
 * the right.
 */
export function layout(W) {
  const cell = W / 23;
  const top = W * 0.23;
  return { cell, mine: { left: cell * 1.2, top }, enemy: { left: W - cell * 10.6, top } };
}

/** The board cell under canvas point (px, py): `{ board: "mine" | "enemy", x, y }`, or null. */
export function cellAt(W, px, py) {
  const g = layout(W);
  for (const board of ["enemy", "mine"]) {
    const x = Math.floor((px - g[board].left) / g.cell);
    const y = Math.floor((py - g[board].top) / g.cell);
    if (onBoard(x, y)) return { board, x, y };
  }
  return null;
}

/** A small seeded generator for tests and replays (mulberry32): returns [0, 1). */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
