// Real-browser test of the admin dashboard (assets/admin), driven by playwright-core with
// Debian's Chromium. Started by tests/dashboard/run.sh, which runs the server and the bots
// and passes:
//   ADMIN_URL        https://127.0.0.1:PORT  (the admin listener)
//   GAME_URL         wss://127.0.0.1:PORT/ws (the game listener; a browser player chats)
//   OPERATOR_TOKEN   VIEWER_TOKEN
//   BOTS             how many bots play (they share one lobby)
//   SCREENSHOT_DIR   where screenshots go (target/dashboard)
//   CHROMIUM         the browser binary (/usr/bin/chromium)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, WAIT, contextOptions, launchBrowser, login as loginAt, need } from './helpers.mjs';

const ADMIN_URL = need('ADMIN_URL');
const GAME_URL = need('GAME_URL');
const OPERATOR = need('OPERATOR_TOKEN');
const VIEWER = need('VIEWER_TOKEN');
const BOTS = Number(process.env.BOTS || 3);

let browser;
let op; // the operator's page, shared by the tests below in order
const pageErrors = [];

// Every page of the dashboard gets a fresh context (own storage). The dashboard declares a
// strict Content-Security-Policy itself (a <meta> in index.html); a violation would show up as
// a console error, which the last test checks for.
const dashboardContext = () => browser.newContext(contextOptions);

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // playwright gives the browser a fresh temporary user-data-dir, and every context has its
  // own storage (the viewer below does not see the operator's sessionStorage).
  browser = await launchBrowser();
  op = await (await dashboardContext()).newPage();
  watch(op, 'operator');
});

after(async () => {
  await browser?.close().catch(() => {});
});

function watch(page, who) {
  page.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
  page.on('console', (m) => {
    // The wrong-token test makes the browser log its expected 401 response.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) pageErrors.push(`${who} console: ${m.text()}`);
  });
}

const login = (page, token) => loginAt(page, ADMIN_URL, token);

/** The arena lobby row with `n` players (the bots' lobby). */
const botLobbyRow = (page, n = BOTS) => page.locator(`#lobby-rows tr[data-mode="arena"][data-players="${n}"]`).first();

test('a wrong token is refused on the login form', async () => {
  await login(op, 'not-the-token');
  const err = op.locator('#login-error');
  await err.waitFor({ state: 'visible', timeout: WAIT });
  assert.match(await err.textContent(), /401|wrong token/i);
  assert.equal(await op.locator('#app').isVisible(), false, 'dashboard stays hidden');
  await op.screenshot({ path: join(SHOTS, 'dashboard-login.png') });
});

test('operator logs in and the lobby list shows the bots\' lobby live', async () => {
  await login(op, OPERATOR);
  await op.locator('#app').waitFor({ state: 'visible', timeout: WAIT });
  assert.equal((await op.locator('#role-badge').textContent()).trim(), 'operator');
  const csp = await op.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const row = botLobbyRow(op);
  await row.waitFor({ state: 'visible', timeout: WAIT });
  assert.equal(await row.getAttribute('data-state').then((s) => ['waiting', 'starting', 'running'].includes(s)), true);
  assert.match(await row.textContent(), new RegExp(`${BOTS}/\\d+`));
  // live: the tick column advances without a reload
  const tick = async () => Number((await row.locator('td').nth(4).textContent()).replace(/\D/g, ''));
  const t0 = await tick();
  await op.waitForFunction(
    ([sel, t]) => {
      const td = document.querySelector(sel)?.children[4];
      return td && Number(td.textContent.replace(/\D/g, '')) > t;
    },
    [`#lobby-rows tr[data-players="${BOTS}"]`, t0],
    { timeout: WAIT },
  );
  // the token is kept for this tab only
  const storage = await op.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }));
  assert.deepEqual(storage, { session: 1, local: 0 });
});

test('lobby detail: player table shows every bot\'s RTT and the arena is drawn live', async () => {
  await botLobbyRow(op).click();
  await op.locator('#detail').waitFor({ state: 'visible', timeout: WAIT });
  // every bot has a numeric RTT
  await op.waitForFunction(
    (n) => {
      const cells = [...document.querySelectorAll('#player-rows td.rtt')];
      return cells.length === n && cells.every((c) => Number(c.dataset.rtt) > 0 && /\d+(\.\d+)? ms/.test(c.textContent));
    },
    BOTS,
    { timeout: WAIT },
  );
  const names = await op.locator('#player-rows tr').evaluateAll((rows) => rows.map((r) => r.dataset.name).sort());
  assert.deepEqual(names, Array.from({ length: BOTS }, (_, i) => `bot${i + 1}`));
  // the spectator stream drew players and pickups
  await op.waitForFunction(
    (n) => {
      const c = document.getElementById('arena');
      return Number(c.dataset.drawnTick) > 0 && Number(c.dataset.players) === n && Number(c.dataset.pickups) > 0 && Number(c.dataset.frames) >= 5;
    },
    BOTS,
    { timeout: WAIT },
  );
  // and the canvas really has them on it: count pixels in the players' and pickups' colours
  const colourful = await op.evaluate(() => {
    const c = document.getElementById('arena');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 90 && Math.max(r, g, b) > 150) n++;
    }
    return n;
  });
  assert.ok(colourful > 200, `arena canvas shows entities (${colourful} coloured pixels)`);
  // the scoreboard lists every bot; scores are in the table
  assert.equal(await op.locator('#scoreboard li[data-player]').count(), BOTS);
  // the legend and the player table's game columns come from the arena's schema
  await op.waitForFunction(
    () => [...document.querySelectorAll('#legend [data-kind]')].map((s) => s.dataset.kind).join() === 'player,pickup',
    null,
    { timeout: WAIT },
  );
  const cols = await op.locator('#player-head th.game-col').evaluateAll((ths) => ths.map((t) => t.dataset.field));
  assert.deepEqual(cols, ['score', 'boost'], 'player columns from the schema (x/y are on the map)');
  assert.equal(await op.locator('#arena').getAttribute('data-view'), 'map');
  assert.equal(await op.locator('#entities-section').isVisible(), false, 'every arena entity is on the map');
  // The arena hides nothing: every member follows the world, one encode per tick.
  await op.waitForFunction(() => document.getElementById('d-encodes').dataset.views === '1', null, { timeout: WAIT });
  const views = await op.locator('#player-rows td.view-cell').evaluateAll((tds) => tds.map((t) => t.textContent));
  assert.deepEqual(views, Array(BOTS).fill('world'));
  assert.equal(await op.locator('#arena').getAttribute('data-view-of'), 'world');
  await op.waitForTimeout(1200); // let trails build up for the picture
  await op.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
});

test('a viewer token hides every operator action', async () => {
  const ctx = await dashboardContext();
  try {
    const page = await ctx.newPage();
    watch(page, 'viewer');
    await login(page, VIEWER);
    await page.locator('#app').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal((await page.locator('#role-badge').textContent()).trim(), 'viewer');
    await botLobbyRow(page).click();
    await page.waitForFunction((n) => document.querySelectorAll('#player-rows tr').length === n, BOTS, { timeout: WAIT });
    assert.equal(await page.locator('.kick-btn').count(), 0, 'no kick buttons');
    for (const sel of ['#drain-btn', '#close-lobby-btn', '#notice-panel']) {
      assert.equal(await page.locator(sel).isVisible(), false, `${sel} hidden`);
    }
    // the operator page, by contrast, has them
    assert.equal(await op.locator('#player-rows .kick-btn').count(), BOTS);
    assert.equal(await op.locator('#drain-btn').isVisible(), true);
    await page.screenshot({ path: join(SHOTS, 'dashboard-viewer.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test('operator sends a notice to every session', async () => {
  await op.fill('#notice-text', 'Dashboard test: scheduled maintenance in 10 minutes');
  await op.selectOption('#notice-severity', 'warning');
  await op.click('#notice-send');
  await op.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  await op.click('#confirm-ok');
  await op.waitForFunction(() => document.getElementById('notice-status').dataset.delivered !== undefined, null, { timeout: WAIT });
  const delivered = Number(await op.locator('#notice-status').getAttribute('data-delivered'));
  assert.ok(delivered >= BOTS, `delivered to ${delivered} sessions`);
});

test('kick asks for confirmation, then removes the bot from the lobby', async () => {
  const row = op.locator('#player-rows tr[data-name="bot1"]');
  await row.waitFor({ state: 'visible', timeout: WAIT });
  // cancelling does nothing
  await row.locator('.kick-btn').click();
  await op.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  assert.match(await op.locator('#confirm-title').textContent(), /Kick bot1/);
  await op.click('#confirm-cancel');
  await op.locator('#confirm').waitFor({ state: 'hidden', timeout: WAIT });
  await op.waitForTimeout(1500);
  assert.equal(await op.locator('#player-rows tr').count(), BOTS, 'cancel kicks nobody');
  // confirming kicks
  await row.locator('.kick-btn').click();
  await op.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  await op.fill('#confirm-reason', 'dashboard test kick');
  await op.click('#confirm-ok');
  await row.waitFor({ state: 'detached', timeout: WAIT });
  await op.waitForFunction(
    (n) => document.querySelectorAll('#player-rows tr').length === n - 1,
    BOTS,
    { timeout: WAIT },
  );
  await botLobbyRow(op, BOTS - 1).waitFor({ state: 'visible', timeout: WAIT });
});

test('lobby detail shows the recent chat of the lobby', async () => {
  // A player in a second browser context speaks the game protocol (MessagePack over wss),
  // is backfilled into the bots' lobby, and says something.
  const ctx = await browser.newContext(contextOptions);
  const line = 'gg from the dashboard test <b>not bold</b>';
  try {
    const page = await ctx.newPage();
    // From a page of the game listener's origin, so the dev certificate is accepted for it.
    await page.goto(GAME_URL.replace(/^wss:/, 'https:').replace(/\/ws$/, '/'), { waitUntil: 'domcontentloaded' });
    await page.evaluate(
      async ({ url, text }) => {
        const utf8 = new TextEncoder();
        const enc = (v) => {
          const out = [];
          const str = (s) => {
            const b = utf8.encode(s);
            if (b.length < 32) out.push(0xa0 | b.length);
            else if (b.length < 256) out.push(0xd9, b.length);
            else throw new Error('string too long for this encoder');
            out.push(...b);
          };
          const any = (x) => {
            if (typeof x === 'string') str(x);
            else if (Number.isInteger(x) && x >= 0 && x < 128) out.push(x);
            else throw new Error(`cannot encode ${x}`);
          };
          const keys = Object.keys(v);
          out.push(0x80 | keys.length);
          for (const k of keys) {
            str(k);
            any(v[k]);
          }
          return new Uint8Array(out);
        };
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        window.chatter = ws;
        await new Promise((ok, fail) => {
          ws.onopen = ok;
          ws.onerror = () => fail(new Error('game WebSocket failed'));
        });
        const matched = new Promise((ok) => {
          ws.onmessage = (ev) => {
            if (new TextDecoder('latin1').decode(ev.data).includes('match_found')) ok();
          };
        });
        ws.send(enc({ type: 'hello', protocol: 1, name: 'chatter' }));
        ws.send(enc({ type: 'find_match', mode: 'arena' }));
        await Promise.race([matched, new Promise((_, fail) => setTimeout(() => fail(new Error('no match_found')), 15000))]);
        ws.send(enc({ type: 'chat', text }));
      },
      { url: GAME_URL, text: line },
    );
    await op.locator('#player-rows tr[data-name="chatter"]').waitFor({ state: 'visible', timeout: WAIT });
    const item = op.locator('#chat-list li', { hasText: 'not bold' });
    await item.waitFor({ state: 'visible', timeout: WAIT });
    assert.equal((await item.locator('.chat-name').textContent()).trim(), 'chatter:');
    // shown as text, never as markup
    assert.equal((await item.locator('.chat-text').textContent()).trim(), line);
    assert.equal(await op.locator('#chat-list b').count(), 0);
    await op.waitForTimeout(500);
    await op.screenshot({ path: join(SHOTS, 'dashboard-chat.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test('a connect4 lobby shows its own kinds, globals, board and entities, no arena labels', async () => {
  // Two protocol-2 players in a page of the game listener's origin (its dev certificate is
  // accepted there) find a connect4 match and each try a few `drop` commands. Their columns
  // (0-2 and 3-5) can never make four in a row, so the lobby is still running below.
  const ctx = await browser.newContext(contextOptions);
  try {
    const page = await ctx.newPage();
    await page.goto(GAME_URL.replace(/^wss:/, 'https:').replace(/\/ws$/, '/'), { waitUntil: 'domcontentloaded' });
    await page.evaluate(
      async ({ url }) => {
        const utf8 = new TextEncoder();
        // The MessagePack subset these messages need: maps, short strings, small ints.
        const enc = (v) => {
          const out = [];
          const any = (x) => {
            if (typeof x === 'string') {
              const b = utf8.encode(x);
              if (b.length >= 32) throw new Error('string too long for this encoder');
              out.push(0xa0 | b.length, ...b);
            } else if (Number.isInteger(x) && x >= 0 && x < 128) out.push(x);
            else if (x && typeof x === 'object') {
              const keys = Object.keys(x);
              out.push(0x80 | keys.length);
              for (const k of keys) {
                any(k);
                any(x[k]);
              }
            } else throw new Error(`cannot encode ${x}`);
          };
          any(v);
          return new Uint8Array(out);
        };
        const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
        const join = async (name) => {
          const ws = new WebSocket(url);
          ws.binaryType = 'arraybuffer';
          await new Promise((ok, fail) => {
            ws.onopen = ok;
            ws.onerror = () => fail(new Error('game WebSocket failed'));
          });
          const matched = new Promise((ok) => {
            ws.onmessage = (ev) => {
              if (new TextDecoder('latin1').decode(ev.data).includes('match_found')) ok();
            };
          });
          ws.send(enc({ type: 'hello', protocol: 2, name }));
          ws.send(enc({ type: 'find_match', mode: 'connect4' }));
          await Promise.race([matched, sleep(15000).then(() => Promise.reject(new Error(`${name}: no match_found`)))]);
          return ws;
        };
        const players = await Promise.all([join('c4-ann'), join('c4-bob')]);
        window.c4 = players; // kept open until the context closes
        await sleep(1000); // the countdown
        let id = 1;
        for (const [a, b] of [[0, 3], [1, 4], [2, 5]]) {
          // Only the player to move is answered ok; the other gets an error result.
          players[0].send(enc({ type: 'command', id: id++, name: 'drop', args: { column: a } }));
          players[1].send(enc({ type: 'command', id: id++, name: 'drop', args: { column: b } }));
          await sleep(600);
        }
      },
      { url: GAME_URL },
    );

    const row = op.locator('#lobby-rows tr[data-mode="connect4"]').first();
    await row.waitFor({ state: 'visible', timeout: WAIT });
    await row.click();
    // The legend lists connect4's kinds (schema order); the globals are shown by name.
    await op.waitForFunction(
      () => [...document.querySelectorAll('#legend [data-kind]')].map((s) => s.dataset.kind).join() === 'disc,player',
      null,
      { timeout: WAIT },
    );
    await op.waitForFunction(
      () => {
        const dd = (n) => document.querySelector(`#d-globals dd[data-global="${n}"]`);
        return ['turn', 'moves', 'turn_ms_left', 'winner'].every((n) => dd(n)) && Number(dd('moves').textContent) >= 3;
      },
      null,
      { timeout: WAIT },
    );
    // No x/y: a board on the canvas and a table of every entity with its named fields.
    await op.waitForFunction(
      () => document.getElementById('arena').dataset.view === 'board' && document.querySelectorAll('#entity-rows tr[data-kind="disc"]').length >= 3,
      null,
      { timeout: WAIT },
    );
    assert.equal(await op.locator('#entities-section').isVisible(), true);
    assert.equal(await op.locator('#entity-rows tr[data-kind="player"]').count(), 2);
    const disc = op.locator('#entity-rows tr[data-kind="disc"]').first();
    const discFields = await disc.locator('.efield').evaluateAll((fs) => fs.map((f) => f.dataset.field));
    assert.deepEqual(discFields, ['column', 'row', 'player']);
    // The player table's game columns are the `player` kind's fields; names match.
    await op.waitForFunction(() => document.querySelectorAll('#player-rows tr').length === 2, null, { timeout: WAIT });
    const cols = await op.locator('#player-head th.game-col').evaluateAll((ths) => ths.map((t) => t.dataset.field));
    assert.deepEqual(cols, ['name', 'color']);
    const colors = await op.locator('#player-rows td[data-field="color"]').evaluateAll((tds) => tds.map((t) => t.textContent).sort());
    assert.deepEqual(colors, ['1', '2']);
    // The discs are on the canvas (coloured pixels), and nothing of the arena is shown.
    const colourful = await op.evaluate(() => {
      const c = document.getElementById('arena');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 90 && Math.max(r, g, b) > 150) n++;
      }
      return n;
    });
    assert.ok(colourful > 200, `board shows discs (${colourful} coloured pixels)`);
    const text = await op.locator('#detail').innerText();
    assert.doesNotMatch(text, /pickup|boost|arena/i);
    assert.match(await op.locator('#d-mode').textContent(), /connect4/);
    await op.waitForTimeout(300);
    await op.screenshot({ path: join(SHOTS, 'dashboard-connect4.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test('drain asks for confirmation and the matchmaking panel shows draining', async () => {
  assert.equal(await op.locator('#mm-panel').getAttribute('data-draining'), 'false');
  await op.click('#drain-btn');
  await op.locator('#confirm').waitFor({ state: 'visible', timeout: WAIT });
  await op.click('#confirm-ok');
  await op.waitForFunction(() => document.getElementById('mm-panel').dataset.draining === 'true', null, { timeout: WAIT });
  assert.match(await op.locator('#mm-state').textContent(), /draining/i);
  assert.equal(await op.locator('#drain-badge').isVisible(), true);
  await op.screenshot({ path: join(SHOTS, 'dashboard-drain.png'), fullPage: true });
});

test('a 401 from the API while signed in goes back to the login form', async () => {
  const ctx = await dashboardContext();
  try {
    const page = await ctx.newPage();
    watch(page, 'expired');
    await login(page, VIEWER);
    await page.locator('#app').waitFor({ state: 'visible', timeout: WAIT });
    // as if the token had been revoked: the API now answers 401
    await ctx.route(`${ADMIN_URL}/admin/**`, (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'unauthorized', message: 'missing or wrong bearer token' }),
      }),
    );
    await page.locator('#login').waitFor({ state: 'visible', timeout: WAIT });
    assert.match(await page.locator('#login-error').textContent(), /401/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'token forgotten');
  } finally {
    await ctx.close();
  }
});

test('the pages raised no script errors (under a strict CSP)', () => {
  assert.deepEqual(pageErrors, []);
});
