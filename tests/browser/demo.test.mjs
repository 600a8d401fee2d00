// The browser demo in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded) against the real server and bot processes.
//
// A player joins from the page, moves with the keyboard, and the test checks the page's
// state (applied from the server's deltas by the SDK bundle) against an independent SDK
// client in the same lobby, which sees the same ticks from the server. It also checks the
// RTT display, chat both ways and an operator notice, and saves target/browser/demo.png.
//
// Needs: target/debug/tickwave and tickwave-bots, protocol/ts built (dist/ and the bundle
// assets/play/tickwave.js) and its node_modules. tests/sdk.sh prepares all of that.
// TICKWAVE_DEMO_DIR=assets/play serves the checkout's page instead of the built-in one.
//
// Positions are judged in the map's own range as the page reads it from the lobby's schema
// (`window.tickwave.view.range`: 0..10000 for the v1 arena, 0..100 for the v2 one), so the
// test holds whichever arena game the mode `arena` runs.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tickwave } from "../../protocol/ts/dist/index.js";
import { repoRoot, startServer } from "../../protocol/ts/test/helpers/server.mjs";

// playwright-core and ws (dev dependencies of the SDK package) come through the helpers.
import { CHROMIUM, launch, until, WebSocket } from "./helpers.mjs";

const BOTS = join(repoRoot, "target/debug/tickwave-bots");
const SHOT = join(repoRoot, "target/browser/demo.png");
const MODES = `
[[mode]]
name = "arena"
game = "arena"
min_players = 2
fill_timeout_ms = 500
countdown_ms = 500
match_length_ms = 120000

# The bots aim and fire at the nearest player (in the arena on game API v2): with 1 hp a hit,
# nobody is knocked out while the test moves the page's player.
[mode.settings]
damage = 1
`;

let server;
let browser;
const bots = [];
const cleanups = [];

function killAll() {
  for (const b of bots) if (b.exitCode === null) b.kill("SIGKILL");
}
process.on("exit", killAll); // even when a test times out

before(async () => {
  for (const f of [BOTS, CHROMIUM, join(repoRoot, "assets/play/tickwave.js")]) {
    assert.ok(existsSync(f), `${f} is missing (run tests/sdk.sh, which builds and installs it)`);
  }
  const dir = process.env.TICKWAVE_DEMO_DIR;
  server = await startServer({ modes: MODES, args: dir ? ["--static-dir", dir] : [] });
  browser = await launch();
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await browser?.close();
  killAll();
  await server?.stop();
});

function startBot(name) {
  const p = spawn(BOTS, ["client", "--insecure", "--url", server.url, "--name", name, "--seconds", "90"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
  p.on("exit", (code) => code && code !== 0 && console.error(`bot ${name} exited ${code}: ${err}`));
  bots.push(p);
}

/** An SDK client in the same lobby that records every player's position per tick. */
async function startObserver() {
  const c = await Tickwave.connect(server.url, {
    name: "observer",
    WebSocket,
    webSocketOptions: { rejectUnauthorized: false },
  });
  const seen = new Map(); // tick → Map(player id → {x, y})
  c.on("state", (w) => {
    seen.set(w.tick, new Map(w.ofKind("player").map((e) => [e.id, { x: e.fields.x, y: e.fields.y }])));
    if (seen.size > 600) seen.delete(seen.keys().next().value);
  });
  const chats = [];
  c.on("chat", (m) => chats.push(m));
  cleanups.push(async () => c.close());
  await c.findMatch("arena");
  return { client: c, seen, chats };
}

test("the demo plays: join, move with the keyboard, see others, RTT, chat and notices", async () => {
  startBot("bot1");
  startBot("bot2");
  const observer = await startObserver();

  const page = await browser.newPage({ viewport: { width: 1200, height: 820 }, ignoreHTTPSErrors: true });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  await page.goto(`https://127.0.0.1:${server.port}/`);
  await page.waitForFunction(() => window.tickwave?.ready === true);

  await page.fill("#name", "ada (browser)");
  await page.click("#find");
  // In the lobby with a state that has us, the bots and the observer in it.
  await page.waitForFunction(() => (window.tickwave.state?.players.length ?? 0) >= 4 && window.tickwave.state.me, null, { timeout: 20_000 });
  await page.waitForFunction(() => window.tickwave.lobby?.state === "running", null, { timeout: 20_000 });
  const me = await page.evaluate(() => window.tickwave.player);
  assert.equal(observer.client.lobby.id, await page.evaluate(() => window.tickwave.lobby.id), "one lobby");

  // Move: arrows horizontally, then WASD vertically, each toward the arena's centre.
  await page.evaluate(() => document.activeElement?.blur());
  const start = await page.evaluate(() => window.tickwave.state.me);
  const { min, max } = await page.evaluate(() => window.tickwave.view.range);
  const mid = (min + max) / 2;
  const step = (max - min) / 20; // 5 units of the 100-unit arena
  const [hKey, hSign] = start.x < mid ? ["ArrowRight", 1] : ["ArrowLeft", -1];
  const [vKey, vSign] = start.y < mid ? ["KeyS", 1] : ["KeyW", -1];
  await page.keyboard.down(hKey);
  await page.waitForTimeout(600);
  await page.keyboard.up(hKey);
  await page.keyboard.down(vKey);
  await page.waitForTimeout(600);
  await page.keyboard.up(vKey);
  await page.waitForTimeout(300);
  const end = await page.evaluate(() => ({ tick: window.tickwave.state.tick, ...window.tickwave.state.me }));
  const dom = await page.$eval("#game", (el) => ({ ...el.dataset }));
  assert.ok((end.x - start.x) * hSign > step, `moved horizontally: ${start.x} → ${end.x}`);
  assert.ok((end.y - start.y) * vSign > step, `moved vertically: ${start.y} → ${end.y}`);
  assert.equal(Number(dom.player), me);

  // The server told the observer the same position for that tick.
  const theirs = await until("the observer to see the page's tick", () => observer.seen.get(end.tick)?.get(me));
  assert.deepEqual(theirs, { x: end.x, y: end.y }, `tick ${end.tick}: page and observer agree`);

  // RTT: the display shows a number from the server's rtt reports.
  await page.waitForFunction(() => /^\d+(\.\d+)?$/.test(document.getElementById("rtt").textContent), null, { timeout: 10_000 });
  const rtt = await page.$eval("#rtt", (el) => Number(el.textContent));
  assert.ok(rtt >= 0 && rtt < 1000, `RTT ${rtt}`);

  // Chat, both ways.
  await page.fill("#chat-input", "hi from the browser");
  await page.press("#chat-input", "Enter");
  await until("the observer to get the page's chat", () => observer.chats.find((c) => c.from === me && c.text === "hi from the browser"));
  observer.client.chat("welcome, ada!");
  await page.waitForFunction(() => document.getElementById("chat-log").textContent.includes("welcome, ada!"));

  // An operator notice shows as a banner (servers with the admin API).
  if (server.admin) {
    assert.ok((await adminPost("/admin/notice", { text: "Server restarts at 04:00 UTC", severity: "warning" })) < 300);
    await page.waitForSelector("#notice:not([hidden])");
  }

  // Pickups and the scoreboard are there; then save what a player sees.
  const state = await page.evaluate(() => window.tickwave.state);
  assert.ok(state.pickups.length > 0, "pickups visible");
  assert.ok((await page.$$("#scores li")).length >= 4, "scoreboard lists the players");
  await page.waitForTimeout(200);
  mkdirSync(join(repoRoot, "target/browser"), { recursive: true });
  await page.screenshot({ path: SHOT });
  console.log(`screenshot: ${SHOT}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("on a phone: touch and hold moves the player toward the finger", async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ignoreHTTPSErrors: true,
  });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${server.port}/`);
  await page.waitForFunction(() => window.tickwave?.ready === true);
  await page.fill("#name", "phone");
  await page.tap("#find");
  await page.waitForFunction(() => window.tickwave.state?.me, null, { timeout: 20_000 });
  assert.ok(await page.isVisible("#boost"), "a boost button for touch screens");
  const start = await page.evaluate(() => window.tickwave.state.me);
  const { min, max } = await page.evaluate(() => window.tickwave.view.range);
  const span = max - min;
  const target = { x: start.x < min + span / 2 ? start.x + span * 0.35 : start.x - span * 0.35, y: start.y };
  const rect = await page.$eval("#arena", (el) => el.getBoundingClientRect().toJSON());
  const at = {
    x: rect.left + ((target.x - min) / span) * rect.width,
    y: rect.top + ((target.y - min) / span) * rect.height,
  };
  // Hold a finger there (CDP touch events: playwright's touchscreen only taps).
  const cdp = await context.newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [at] });
  // Hold until the player has covered some of the way (the server's own state, as the page
  // shows it), up to 5 s: a loaded machine delays frames, not the outcome.
  const before = Math.abs(target.x - start.x);
  await page
    .waitForFunction(
      ([tx, b, d]) => b - Math.abs(tx - window.tickwave.state.me.x) > d,
      [target.x, before, span / 20],
      { timeout: 5_000 },
    )
    .catch(() => {}); // judged below, with the figures in the message
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  const end = await page.evaluate(() => window.tickwave.state.me);
  const after = Math.abs(target.x - end.x);
  assert.ok(before - after > span / 20, `moved toward the finger: ${start.x} → ${end.x} (target ${target.x})`);
  await page.screenshot({ path: SHOT.replace(".png", "-phone.png"), fullPage: true });
});

test("without the SDK bundle the page says how to build it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tickwave-play-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  for (const f of readdirSync(join(repoRoot, "assets/play"))) {
    if (!f.startsWith("tickwave.js")) cpSync(join(repoRoot, "assets/play", f), join(dir, f));
  }
  const bare = await startServer({ modes: MODES, args: ["--static-dir", dir] });
  cleanups.push(() => bare.stop());
  const page = await browser.newPage({ ignoreHTTPSErrors: true });
  await page.goto(`https://127.0.0.1:${bare.port}/`);
  await page.waitForFunction(() => document.getElementById("join").textContent.includes("npm run build"));
  await page.close();
});

function adminPost(path, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${server.admin}${path}`,
      {
        method: "POST",
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      },
      (res) => (res.resume(), resolve(res.statusCode)),
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
