// Battleship in the demo, in real headless Chromium against the real server, under the
// strict CSP (helpers.mjs): played against the in-page bot to `results` by clicking cells of
// the enemy's waters, with the server's refusals shown inline (`already_fired`,
// `not_your_turn`), the `shot` events listed, and "Play again". The test watches every state
// the page's client gets and asserts that no enemy ship cell ever came before it was hit
// (the server's per-player views). Saves target/browser/battleship.png (the end) and battleship-playing.png.
//
// Needs what demo.test.mjs needs (tests/sdk.sh prepares it). TICKWAVE_DEMO_DIR=assets/play
// serves the checkout's page instead of the one built into the binary.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, startServer } from "../../protocol/ts/test/helpers/server.mjs";
import { cellName, chooseShot, index, layout, seeded, SIZE } from "../../assets/play/bslogic.js";
import { launch, openPage } from "./helpers.mjs";

const SHOTS = join(repoRoot, "target/browser");
const MODES = `
[[mode]]
name = "battleship"
game = "battleship"
max_players = 2
min_players = 2
fill_timeout_ms = 0
countdown_ms = 300
match_length_ms = 600000
`;

let server;
let browser;
const cleanups = [];

before(async () => {
  const dir = process.env.TICKWAVE_DEMO_DIR;
  server = await startServer({ modes: MODES, args: dir ? ["--static-dir", dir] : [] });
  browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await browser?.close();
  await server?.stop();
});

const bs = (page) => page.evaluate(() => window.tickwave.bs);

/** Click cell (x, y) of a board on the canvas, where battleship.js draws it. */
async function clickCell(page, board, x, y) {
  const r = await page.$eval("#arena", (el) => el.getBoundingClientRect().toJSON());
  const g = layout(r.width);
  await page.mouse.click(r.left + g[board].left + (x + 0.5) * g.cell, r.top + g[board].top + (y + 0.5) * g.cell);
}

test("battleship against the in-page bot: clicked to results, refusals inline, never an unhit enemy cell", async () => {
  const p = await openPage(browser, server);
  cleanups.push(() => p.context.close());
  const { page } = p;
  await page.fill("#name", "ada");
  await page.press("#name", "Tab");
  await page.waitForFunction(() => window.tickwave.connection === "online" && window.tickwave.modes.length > 0);
  assert.ok(await page.isVisible("#vs-bot-bs"), "battleship is offered against a bot");
  assert.ok(await page.isHidden("#vs-bot"), "connect4 is not, this server has no such mode");
  // Watch every state the page's client holds, from before the lobby: the enemy's ship cells
  // it has must all be hit ones.
  await page.evaluate(() => {
    const seen = (window.seen = { states: 0, leaks: [], mine: 0, enemyHits: 0 });
    window.tickwave.client.on("state", (w) => {
      seen.states++;
      const cells = w.ofKind("ship_cell").map((e) => e.fields);
      const me = window.tickwave.player;
      for (const c of cells) if (c.owner !== me && !c.hit) seen.leaks.push({ tick: w.tick, ...c });
      seen.mine = Math.max(seen.mine, cells.filter((c) => c.owner === me).length);
      seen.enemyHits = cells.filter((c) => c.owner !== me).length;
    });
  });

  await page.click("#vs-bot-bs");
  await page.waitForFunction(() => window.tickwave.view?.name === "battleship" && window.tickwave.bot?.state === "playing", null, { timeout: 15_000 });
  const lobby = await page.evaluate(() => window.tickwave.lobby);
  assert.equal(lobby.mode, "battleship");
  assert.match(lobby.code, /^[A-Z2-9]{6}$/, "a private lobby");
  await page.waitForFunction(() => window.tickwave.bs.turn !== 0, null, { timeout: 10_000 });
  const me = await page.evaluate(() => window.tickwave.player);
  const bot = await page.evaluate(() => window.tickwave.bot.player);
  assert.notEqual(bot, me);
  assert.equal((await bs(page)).turn, Math.min(me, bot), "the lower player id fires first");
  assert.ok(await page.isVisible("#c4-bar"));
  const start = await bs(page);
  assert.equal(start.mine.filter((m) => m === "ship").length, 17, "my whole fleet is drawn");
  assert.ok(start.enemy.every((m) => m === ""), "nothing of the enemy's fleet is known");

  const random = seeded(16);
  const seen = new Set();
  let clicks = 0;
  let last = null;
  for (;;) {
    await page.waitForFunction((m) => window.tickwave.bs.result || window.tickwave.bs.turn === m, me, { timeout: 15_000 });
    const s = await bs(page);
    if (s.result) break;
    assert.equal(await page.$eval("#c4-turn", (el) => el.dataset.turn), "me");
    assert.ok(Number(await page.$eval("#c4-clock", (el) => el.dataset.ms)) > 0, "the turn clock runs");
    if (last && !seen.has("already_fired")) {
      // The cell fired at last turn: refused inline, and still my turn.
      await clickCell(page, "enemy", last.x, last.y);
      await page.waitForSelector('#refusal[data-code="already_fired"]:not([hidden])');
      assert.match(await page.textContent("#refusal"), /already fired/i);
      assert.equal((await bs(page)).turn, me);
      seen.add("already_fired");
    }
    const cell = chooseShot(s.enemy, random);
    const shots = s.events.length;
    await clickCell(page, "enemy", cell.x, cell.y);
    clicks++;
    last = cell;
    // The shot lands: its event, then the state shows it on the enemy's waters.
    await page.waitForFunction(
      ([n, i]) => window.tickwave.bs.result || (window.tickwave.bs.events.length > n && window.tickwave.bs.enemy[i] !== ""),
      [shots, index(cell.x, cell.y)],
    );
    if (!seen.has("not_your_turn") && !(await bs(page)).result) {
      // The bot is thinking: a click now is the server's `not_your_turn`, shown beside the boards.
      const free = (await bs(page)).enemy.findIndex((m) => m === "");
      await clickCell(page, "enemy", free % SIZE, Math.floor(free / SIZE));
      await page.waitForSelector('#refusal[data-code="not_your_turn"]:not([hidden])');
      seen.add("not_your_turn");
    }
    if (clicks === 12 && !(await bs(page)).result) {
      // Mid-game, the pointer over an untried cell of the enemy's waters.
      await page.waitForFunction((m) => window.tickwave.bs.turn === m, me);
      const free = (await bs(page)).enemy.lastIndexOf("");
      const r = await page.$eval("#arena", (el) => el.getBoundingClientRect().toJSON());
      const g = layout(r.width);
      await page.mouse.move(r.left + g.enemy.left + ((free % SIZE) + 0.5) * g.cell, r.top + g.enemy.top + (Math.floor(free / SIZE) + 0.5) * g.cell);
      await page.waitForTimeout(100);
      await page.screenshot({ path: join(SHOTS, "battleship-playing.png") });
    }
    assert.ok(clicks <= 100, "a board has 100 cells");
  }
  assert.deepEqual([...seen].sort(), ["already_fired", "not_your_turn"]);

  // The result: overlay, payload, both final boards, and the events that built them.
  await page.waitForSelector("#result:not([hidden])");
  const end = await bs(page);
  assert.equal(end.result.reason, "won", JSON.stringify(end.result));
  assert.ok([me, bot].includes(end.result.winner));
  assert.deepEqual(end.refusals.slice(0, 2).sort(), ["already_fired", "not_your_turn"]);
  const mine = end.events.filter((e) => e.data.player === me).map((e) => e.data);
  const theirs = end.events.filter((e) => e.data.player === bot).map((e) => e.data);
  assert.equal(mine.length, clicks, "each of my clicks fired one shot");
  assert.ok(Math.abs(mine.length - theirs.length) <= 1, "turns alternate");
  const hits = (list) => list.filter((d) => d.result !== "miss").length;
  const winner = end.result.winner === me ? mine : theirs;
  assert.equal(hits(winner), 17, "the winner hit all 17 cells");
  assert.equal(winner.filter((d) => d.result === "sunk").length, 5, "and sank five ships");
  assert.equal(winner.at(-1).result, "sunk", "the last shot sank the last ship");
  // The enemy's waters show exactly my shots: hits (sunk or not) where I hit, misses elsewhere.
  const marks = (b, ...m) => b.filter((x) => m.includes(x)).length;
  assert.equal(marks(end.enemy, "hit", "sunk"), hits(mine));
  assert.equal(marks(end.enemy, "miss"), mine.length - hits(mine));
  assert.equal(marks(end.mine, "hit", "sunk"), hits(theirs));
  assert.equal(marks(end.mine, "sunk"), end.sunk.mine.lengths.reduce((a, b) => a + b, 0));
  assert.equal(marks(end.mine, "ship", "hit", "sunk"), 17);
  if (end.result.winner === me) assert.equal(marks(end.enemy, "sunk"), 17, "the whole enemy fleet sunk");
  // Never an unhit enemy ship cell: not in any state the client held, not in the page's boards.
  const watched = await page.evaluate(() => window.seen);
  assert.ok(watched.states > 50, `states watched: ${watched.states}`);
  assert.deepEqual(watched.leaks, []);
  assert.equal(end.leaks, 0);
  assert.equal(watched.mine, 17, "my own fleet was in my view");
  assert.equal(watched.enemyHits, hits(mine), "the enemy's cells I know are the ones I hit");

  const text = await page.textContent("#result-text");
  assert.match(text, end.result.winner === me ? /^You win: the enemy fleet is sunk/ : /^bot wins: your fleet is sunk/);
  assert.equal(await page.textContent("#events li:first-child"), `${end.result.winner === me ? "You" : "bot"} fired at ${cellName(winner.at(-1).x, winner.at(-1).y)}: hit and sunk!`);
  assert.ok((await page.$$("#events li")).length >= Math.min(50, end.events.length), "the events list shows the shots");
  await page.waitForTimeout(800); // the last shot's ring has faded
  const shot = join(SHOTS, "battleship.png");
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);

  // Play again: a new private lobby with a new bot; leaving ends it and the bot with it.
  await page.click("#again");
  await page.waitForFunction(
    (old) => window.tickwave.lobby && window.tickwave.lobby.id !== old && window.tickwave.bot?.state === "playing",
    lobby.id,
    { timeout: 15_000 },
  );
  assert.equal((await bs(page)).events.length, 0);
  assert.ok(await page.isHidden("#result"));
  await page.click("#leave");
  await page.waitForFunction(() => window.tickwave.lobby === null && window.tickwave.bot?.state === "stopped");
  const csp = await page.evaluate(() => window.cspViolations);
  assert.deepEqual([...p.problems, ...csp], []);
});
