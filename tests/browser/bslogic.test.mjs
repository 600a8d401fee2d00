// The demo's battleship logic in node (no browser, no server): the boards from the state,
// which cells a `sunk` shot sank, the in-page bot's hunt and target, and where the boards are
// on the canvas (assets/play/bslogic.js).

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  boardsFrom,
  cellAt,
  cellName,
  chooseShot,
  FLEET,
  index,
  layout,
  noneSunk,
  recordSunk,
  seeded,
  shipsLeft,
  SIZE,
  sunkShip,
} from "../../assets/play/bslogic.js";

const ME = 7;
const THEM = 9;
const empty = () => new Array(SIZE * SIZE).fill("");
/** A board with the given marks: `{ "x,y": mark }`. */
function board(marks) {
  const b = empty();
  for (const [k, v] of Object.entries(marks)) {
    const [x, y] = k.split(",").map(Number);
    b[index(x, y)] = v;
  }
  return b;
}
const sorted = (cells) => [...cells].sort((a, b) => a - b);
const at = (...xy) => sorted(xy.map(([x, y]) => index(x, y)));

test("the boards from the state: my fleet with their shots, their waters with mine", () => {
  const cells = [
    { owner: ME, x: 0, y: 0, hit: false },
    { owner: ME, x: 1, y: 0, hit: true },
    { owner: THEM, x: 5, y: 5, hit: true },
  ];
  const shots = [
    { shooter: THEM, x: 1, y: 0, hit: true },
    { shooter: THEM, x: 9, y: 9, hit: false },
    { shooter: ME, x: 5, y: 5, hit: true },
    { shooter: ME, x: 2, y: 3, hit: false },
  ];
  const { mine, enemy, leaks } = boardsFrom(cells, shots, ME);
  assert.equal(leaks, 0);
  assert.deepEqual([mine[index(0, 0)], mine[index(1, 0)], mine[index(9, 9)]], ["ship", "hit", "miss"]);
  assert.deepEqual([enemy[index(5, 5)], enemy[index(2, 3)], enemy[index(0, 0)]], ["hit", "miss", ""]);
  assert.equal(mine.filter(Boolean).length, 3);
  assert.equal(enemy.filter(Boolean).length, 2);
  // An unhit enemy cell is counted, and drawn nowhere.
  const leaked = boardsFrom([...cells, { owner: THEM, x: 8, y: 1, hit: false }], shots, ME);
  assert.equal(leaked.leaks, 1);
  assert.equal(leaked.enemy[index(8, 1)], "");
  assert.equal(cellName(1, 6), "B7");
  assert.equal(cellName(9, 9), "J10");
});

test("a sunk shot sinks the line of hits through it, of a length still afloat", () => {
  // A lone horizontal 3, sunk at its right end.
  const b = board({ "2,4": "hit", "3,4": "hit", "4,4": "hit", "4,5": "miss" });
  assert.deepEqual(sorted(sunkShip(b, 4, 4)), at([2, 4], [3, 4], [4, 4]));
  // Only a 2 is left afloat: of the run of three hits, the two ending at the shot.
  assert.deepEqual(sorted(sunkShip(b, 4, 4, [2])), at([3, 4], [4, 4]));
  // Touching ships: a vertical 2 at (6,1)-(6,2) beside a horizontal 4 at (2,2)-(5,2); the
  // shot at (6,1) sinks the vertical one (the row through it holds a single hit).
  const t = board({ "2,2": "hit", "3,2": "hit", "4,2": "hit", "5,2": "hit", "6,2": "hit", "6,1": "hit" });
  assert.deepEqual(sorted(sunkShip(t, 6, 1)), at([6, 1], [6, 2]));
  // Nothing fits (a length not afloat): the shot's own cell, never nothing.
  assert.deepEqual(sunkShip(board({ "0,0": "hit" }), 0, 0, [5]), [index(0, 0)]);
  assert.deepEqual(shipsLeft([3, 5]), [4, 3, 2]);
});

test("sunk ships are recorded as the events come, before the state has the sinking hit", () => {
  const sunk = noneSunk();
  // A 2 at (0,0)-(1,0) sunk at (1,0) while (2,0) is not yet hit; the event comes before the
  // state that has the hit at (1,0).
  let b = board({ "0,0": "hit" });
  assert.deepEqual(sorted(recordSunk(sunk.enemy, b, 1, 0)), at([0, 0], [1, 0]));
  // Later a 3 beside it, (2,0)-(4,0), sunk at (4,0): the 2's cells are not taken again.
  b = board({ "0,0": "hit", "1,0": "hit", "2,0": "hit", "3,0": "hit" });
  assert.deepEqual(sorted(recordSunk(sunk.enemy, b, 4, 0)), at([2, 0], [3, 0], [4, 0]));
  assert.deepEqual(sunk.enemy.lengths, [2, 3]);
  const shots = [0, 1, 2, 3, 4].map((x) => ({ shooter: ME, x, y: 0, hit: true }));
  const cells = shots.map((s) => ({ owner: THEM, x: s.x, y: 0, hit: true }));
  const { enemy, mine } = boardsFrom(cells, shots, ME, sunk);
  assert.deepEqual(enemy.slice(0, 6), ["sunk", "sunk", "sunk", "sunk", "sunk", ""]);
  assert.ok(mine.every((m) => m === ""));
});

test("the bot hunts on a checkerboard, then targets around a hit and along a line", () => {
  const r = seeded(1);
  for (let k = 0; k < 20; k++) {
    const s = chooseShot(empty(), r);
    assert.equal((s.x + s.y) % 2, 0, "hunting: even cells first");
  }
  // One hit: a neighbour of it.
  const one = chooseShot(board({ "4,4": "hit", "4,3": "miss" }), r);
  assert.ok([[3, 4], [5, 4], [4, 5]].some(([x, y]) => one.x === x && one.y === y), JSON.stringify(one));
  // Two in a row: an open end of the line, not a side.
  for (let k = 0; k < 10; k++) {
    const s = chooseShot(board({ "4,4": "hit", "5,4": "hit", "6,4": "miss" }), r);
    assert.deepEqual(s, { x: 3, y: 4 });
  }
  // Sunk cells are no targets; a board with only odd cells open is still finished.
  const odd = empty().map((_, i) => ((i % SIZE) + Math.floor(i / SIZE)) % 2 === 0 ? "miss" : "");
  odd[index(0, 0)] = "sunk";
  const s = chooseShot(odd, r);
  assert.equal((s.x + s.y) % 2, 1);
  assert.equal(chooseShot(new Array(SIZE * SIZE).fill("miss"), r), null);
});

/** A random legal fleet (ships may touch), as lists of cell indexes. */
function randomFleet(random) {
  const taken = new Set();
  return FLEET.map((len) => {
    for (;;) {
      const vertical = random() < 0.5;
      const x = Math.floor(random() * (vertical ? SIZE : SIZE - len + 1));
      const y = Math.floor(random() * (vertical ? SIZE - len + 1 : SIZE));
      const cells = Array.from({ length: len }, (_, k) => (vertical ? index(x, y + k) : index(x + k, y)));
      if (cells.some((c) => taken.has(c))) continue;
      for (const c of cells) taken.add(c);
      return cells;
    }
  });
}

test("the bot sinks a whole fleet, never fires twice at a cell, and needs far fewer shots than chance", () => {
  let total = 0;
  const games = 40;
  for (let seed = 1; seed <= games; seed++) {
    const r = seeded(seed);
    const ships = randomFleet(r);
    const hits = new Set();
    const tried = new Set();
    const shots = [];
    const known = noneSunk();
    let sunk = 0;
    let marks = empty();
    while (sunk < FLEET.length) {
      const s = chooseShot(marks, r);
      assert.ok(s, "a cell is left while ships are afloat");
      const i = index(s.x, s.y);
      assert.ok(!tried.has(i), `seed ${seed}: fired twice at ${cellName(s.x, s.y)}`);
      tried.add(i);
      const ship = ships.find((cells) => cells.includes(i));
      if (ship) {
        hits.add(i);
        if (ship.every((c) => hits.has(c))) {
          sunk++;
          recordSunk(known.enemy, marks, s.x, s.y); // the event, before the state with the hit
        }
      }
      shots.push({ shooter: ME, ...s, hit: Boolean(ship) });
      marks = boardsFrom([], shots, ME, known).enemy;
    }
    total += shots.length;
  }
  // Firing at random takes about 96 shots to find all 17 cells; hunt and target far fewer.
  assert.ok(total / games < 70, `average shots ${total / games}`);
});

test("a click's canvas point maps to a cell of the board under it", () => {
  const W = 640;
  const g = layout(W);
  const centre = (b, x, y) => [g[b].left + (x + 0.5) * g.cell, g[b].top + (y + 0.5) * g.cell];
  assert.deepEqual(cellAt(W, ...centre("enemy", 3, 7)), { board: "enemy", x: 3, y: 7 });
  assert.deepEqual(cellAt(W, ...centre("mine", 9, 0)), { board: "mine", x: 9, y: 0 });
  assert.equal(cellAt(W, W / 2, g.enemy.top + g.cell), null, "between the boards");
  assert.equal(cellAt(W, 5, 5), null);
  assert.ok(g.mine.left + 10 * g.cell < g.enemy.left, "the boards do not overlap");
  assert.ok(g.enemy.left + 10 * g.cell <= W && g.enemy.top + 10 * g.cell < W, "both fit on the canvas");
});
