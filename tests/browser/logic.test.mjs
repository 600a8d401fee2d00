// The demo page's pure logic, in node (no browser, no server): which view a schema gets
// (assets/play/views.js) and the connect4 board and in-page bot (assets/play/c4logic.js);
// battleship's logic is in bslogic.test.mjs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { aimAngle, rangeOf, schemaOfLobby, viewOf } from "../../assets/play/views.js";
import { boardFrom, chooseColumn, emptyBoard, lowestFree, winningLine, winsWith } from "../../assets/play/c4logic.js";

const f = (name, type, extra = {}) => ({ name, type, ...extra });
/** The schemas the server sends (as `match_found.schema`, parsed by the SDK). */
const V1_ARENA = {
  kinds: [
    { kind: "player", fields: ["x", "y", "score", "boost"].map((n) => f(n, "i32")) },
    { kind: "pickup", fields: ["x", "y", "value"].map((n) => f(n, "i32")) },
  ],
  globals: [],
  input: [f("dx", "f32", { min: -1, max: 1, clamp: true }), f("dy", "f32", { min: -1, max: 1, clamp: true }), f("action", "bool")],
  commands: [],
  events: [],
};
const V2_ARENA = {
  kinds: [
    { kind: "player", fields: [f("x", "f32", { min: 0, max: 100 }), f("y", "f32", { min: 0, max: 100 }), f("aim", "f32"), f("name", "str")] },
    { kind: "shot", fields: [f("x", "f32", { min: 0, max: 100 }), f("y", "f32", { min: 0, max: 100 }), f("owner", "i64")] },
  ],
  globals: [f("time_left_ms", "i64")],
  input: ["dx", "dy", "aim"].map((n) => f(n, "f32")).concat([f("fire", "bool"), f("dash", "bool")]),
  commands: [],
  events: [{ name: "kill", fields: [f("killer", "i64"), f("victim", "i64")] }],
};
const CONNECT4 = {
  kinds: [
    { kind: "disc", fields: [f("column", "i32"), f("row", "i32"), f("player", "i64")] },
    { kind: "player", fields: [f("name", "str"), f("color", "i32")] },
  ],
  globals: [f("turn", "i64"), f("moves", "i32"), f("turn_ms_left", "i32"), f("winner", "i64")],
  input: [],
  commands: [{ name: "drop", args: [f("column", "i32")] }],
  events: [],
};

const BATTLESHIP = {
  kinds: [
    { kind: "ship_cell", fields: [f("owner", "i64"), f("x", "i32"), f("y", "i32"), f("hit", "bool")] },
    { kind: "shot", fields: [f("shooter", "i64"), f("x", "i32"), f("y", "i32"), f("hit", "bool")] },
    { kind: "player", fields: [f("ships_left", "i32"), f("shots", "i32")] },
  ],
  globals: [f("turn", "i64"), f("turn_deadline_tick", "i64")],
  input: [],
  commands: [
    { name: "fire", args: [f("x", "i32"), f("y", "i32")] },
    { name: "place", args: [f("ship", "i32"), f("x", "i32"), f("y", "i32"), f("vertical", "bool")] },
  ],
  events: [{ name: "shot", fields: [f("player", "i64"), f("x", "i32"), f("y", "i32"), f("result", "str")] }],
};

test("the view follows the schema, not the mode name", () => {
  const v1 = viewOf(V1_ARENA);
  assert.equal(v1.name, "arena");
  assert.deepEqual(v1.range, { min: 0, max: 10_000 }, "the v1 arena's fixed point, no bounds in the schema");
  assert.deepEqual([v1.aim, v1.fire, v1.dash, v1.action, v1.move], [false, false, false, true, true]);

  const v2 = viewOf(V2_ARENA);
  assert.equal(v2.name, "arena");
  assert.deepEqual(v2.range, { min: 0, max: 100 }, "the declared bounds");
  assert.deepEqual([v2.aim, v2.fire, v2.dash, v2.action, v2.move], [true, true, true, false, true]);

  assert.deepEqual(v2.moveKeys, ["dx", "dy"]);

  // fog: i32 positions on its map, moves with mx/my, aims and fires.
  const fog = viewOf({
    kinds: [{ kind: "player", fields: [f("x", "i32", { min: 0, max: 120 }), f("y", "i32", { min: 0, max: 120 }), f("team", "i32")] }],
    globals: [],
    input: [f("mx", "f32"), f("my", "f32"), f("aim", "f32"), { name: "fire", type: "bool" }],
    commands: [],
    events: [],
  });
  assert.equal(fog.name, "arena");
  assert.deepEqual([fog.aim, fog.fire, fog.dash, fog.move], [true, true, false, true]);
  assert.deepEqual(fog.moveKeys, ["mx", "my"]);
  assert.deepEqual(fog.range, { min: 0, max: 120 });

  assert.equal(viewOf(CONNECT4).name, "connect4");
  assert.equal(viewOf(BATTLESHIP).name, "battleship");
  // Ship cells without the fire command are not battleship.
  assert.equal(viewOf({ ...BATTLESHIP, commands: [] }).name, "unknown");
  // A disc kind without the drop command is not connect4; a schema without positions is unknown.
  assert.equal(viewOf({ ...CONNECT4, commands: [] }).name, "unknown");
  assert.equal(viewOf(null).name, "none");
});

test("position ranges: declared bounds, else by type", () => {
  assert.deepEqual(rangeOf(f("x", "f32", { min: -50, max: 50 })), { min: -50, max: 50 });
  assert.deepEqual(rangeOf(f("x", "f64")), { min: 0, max: 100 });
  assert.deepEqual(rangeOf(f("x", "i32")), { min: 0, max: 10_000 });
  assert.deepEqual(rangeOf(f("x", "f32", { min: 5, max: 5 })), { min: 0, max: 100 }, "an empty range is ignored");
});

test("a protocol-1 lobby's schema gets the v2 shape and the v1 arena view", () => {
  const lobby = { schema: [{ kind: "player", fields: ["x", "y", "score", "boost"] }, { kind: "pickup", fields: ["x", "y", "value"] }] };
  const v = viewOf(schemaOfLobby(lobby));
  assert.equal(v.name, "arena");
  assert.deepEqual(v.range, { min: 0, max: 10_000 });
  assert.deepEqual(v.input, ["dx", "dy", "action"]);
  assert.equal(schemaOfLobby({ typed: CONNECT4, schema: [] }), CONNECT4, "the typed schema when there is one");
});

test("aim: the angle from the player to the pointer, y down, rounded to hundredths", () => {
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 20, y: 10 }), 0);
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 10, y: 30 }), 1.57, "pi/2 along +y (down)");
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 10, y: 0 }), -1.57);
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 0, y: 10 }), 3.14);
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 20, y: 20 }), 0.79);
  assert.equal(aimAngle({ x: 3, y: 4 }, { x: 3, y: 4 }), null);
});

/** A board from rows drawn top (row 5) to bottom (row 0): `.` empty, `a` player 1, `b` player 2. */
function board(...rows) {
  assert.equal(rows.length, 6);
  const b = emptyBoard();
  rows.forEach((line, i) => [...line].forEach((ch, c) => (b[c][5 - i] = ch === "a" ? 1 : ch === "b" ? 2 : 0)));
  return b;
}

test("the board from disc entities, row 0 at the bottom", () => {
  const b = boardFrom([
    { column: 3, row: 0, player: 7 },
    { column: 3, row: 1, player: 9 },
    { column: 6, row: 0, player: 7 },
    { column: 9, row: 0, player: 7 }, // outside the board: ignored
  ]);
  assert.equal(b[3][0], 7);
  assert.equal(b[3][1], 9);
  assert.equal(b[6][0], 7);
  assert.equal(lowestFree(b, 3), 2);
  assert.equal(lowestFree(b, 0), 0);
  const full = board("a......", "b......", "a......", "b......", "a......", "b......");
  assert.equal(lowestFree(full, 0), -1);
});

test("four in a row in every direction, and none", () => {
  const across = board(".......", ".......", ".......", ".......", ".......", ".aaaa..");
  assert.deepEqual(winningLine(across), { player: 1, cells: [[1, 0], [2, 0], [3, 0], [4, 0]] });
  const up = board(".......", ".......", "..b....", "..b....", "..b....", "..b....");
  assert.deepEqual(winningLine(up), { player: 2, cells: [[2, 0], [2, 1], [2, 2], [2, 3]] });
  const rising = board(".......", ".......", "...a...", "..ab...", ".abb...", "abbb...");
  assert.deepEqual(winningLine(rising)?.cells, [[0, 0], [1, 1], [2, 2], [3, 3]]);
  const falling = board(".......", ".......", "b......", "ab.....", "aab....", "aaab...");
  assert.deepEqual(winningLine(falling)?.cells, [[0, 3], [1, 2], [2, 1], [3, 0]]);
  assert.equal(winningLine(board(".......", ".......", ".......", ".......", ".......", "aaa.bbb")), null);
});

test("the bot wins when it can, else blocks, else plays the centre", () => {
  // It can win in column 2 or 6; the more central one first.
  const canWin = board(".......", ".......", ".......", ".......", "a......", "aa.bbb.");
  assert.equal(winsWith(canWin, 2, 2), true);
  assert.equal(chooseColumn(canWin, 2, 1), 2);
  // The opponent threatens column 3 vertically: block it.
  const mustBlock = board(".......", ".......", ".......", "...a...", "...a...", "b..a..b");
  assert.equal(chooseColumn(mustBlock, 2, 1), 3);
  // Nothing urgent: the centre, then next to it when the centre is full.
  assert.equal(chooseColumn(emptyBoard(), 2, 1), 3);
  const centreFull = board("...a...", "...b...", "...a...", "...b...", "...a...", "...b...");
  assert.equal(chooseColumn(centreFull, 2, 1), 2);
  assert.equal(chooseColumn(board("abababa", "bababab", "abababa", "bababab", "abababa", "bababab"), 2, 1), -1);
});

test("the bot does not hand the opponent a win on the disc above its own", () => {
  // Player 1 has three in row 1 and wins at (3, 1) once (3, 0) is filled: the centre would
  // hand it the game, so the bot plays the next central column.
  const trap = board(".......", ".......", ".......", ".......", "aaa....", "bab...b");
  assert.equal([0, 1, 2, 3, 4, 5, 6].some((c) => winsWith(trap, c, 1) || winsWith(trap, c, 2)), false, "nothing urgent");
  assert.equal(chooseColumn(trap, 2, 1), 2);
});
