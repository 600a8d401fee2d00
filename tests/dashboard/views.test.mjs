// Per-player views in the dashboard (issue 16): a lobby of `scouts` (examples/scouts.rs: two
// teams, opponents and crates seen only within a radius, `ammo` private to the team) played by
// a swarm of protocol-2 bots. The detail shows encodes and views per tick and each member's
// view; the map switches between the world and one member's view, and draws exactly what that
// member is sent. Started by run.sh before dashboard.test.mjs (whose last tests drain the
// server), with the same environment plus SCOUTS (how many bots play scouts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, WAIT, colourfulPixels, contextOptions, launchBrowser, login, need } from './helpers.mjs';

const ADMIN_URL = need('ADMIN_URL');
const OPERATOR = need('OPERATOR_TOKEN');
const SCOUTS = Number(need('SCOUTS'));
const CRATES = 12; // examples/scouts.rs

let browser;
let page;
const pageErrors = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  page = await (await browser.newContext(contextOptions)).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
});

after(async () => {
  await browser?.close().catch(() => {});
});

/** What the map holds now: its view label and the entities of the last frame drawn. */
const mapState = () =>
  page.evaluate(() => {
    const c = document.getElementById('arena');
    return { viewOf: c.dataset.viewOf, entities: Number(c.dataset.entities), players: Number(c.dataset.players), frames: Number(c.dataset.frames) };
  });

/** The player table's `team` and `ammo` cells, by player id (hidden: null; not seen: undefined). */
const tableFields = () =>
  page.locator('#player-rows tr').evaluateAll((rows) =>
    rows.map((r) => {
      const cell = (f) => {
        const td = r.querySelector(`td[data-field="${f}"]`);
        const t = td?.textContent ?? '—';
        return t === 'hidden' ? null : t === '—' ? undefined : Number(t);
      };
      return { player: Number(r.dataset.player), team: cell('team'), ammo: cell('ammo'), view: r.querySelector('td.view-cell')?.textContent };
    }),
  );

test('a scouts lobby: encodes and views per tick, and each member follows its own view', async () => {
  await login(page, ADMIN_URL, OPERATOR);
  await page.locator('#app').waitFor({ state: 'visible', timeout: WAIT });
  const row = page.locator(`#lobby-rows tr[data-mode="scouts"][data-players="${SCOUTS}"]`).first();
  await row.waitFor({ state: 'visible', timeout: WAIT });
  await row.click();
  await page.waitForFunction((n) => document.querySelectorAll('#player-rows tr').length === n, SCOUTS, { timeout: WAIT });
  // Each scout sees opponents by distance: a view of its own, encoded once per tick.
  await page.waitForFunction(
    (n) => {
      const dd = document.getElementById('d-encodes');
      return Number(dd.dataset.views) === n && Number(dd.dataset.encodes) === n;
    },
    SCOUTS,
    { timeout: WAIT },
  );
  assert.match(await page.locator('#d-encodes').textContent(), new RegExp(`^${SCOUTS} / ${SCOUTS} \\(avg \\d+\\.\\d\\)$`));
  const rows = await tableFields();
  for (const r of rows) assert.equal(r.view, `player:${r.player}`, JSON.stringify(r));
  // The view select offers the world and every member.
  const options = await page.locator('#view-select option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(options, ['', ...rows.map((r) => String(r.player))]);
});

test('the world view shows everything: every scout and crate, every ammo', async () => {
  await page.waitForFunction(
    (n) => {
      const c = document.getElementById('arena');
      return c.dataset.viewOf === 'world' && Number(c.dataset.entities) === n && Number(c.dataset.frames) >= 3;
    },
    SCOUTS + CRATES,
    { timeout: WAIT },
  );
  assert.equal(await page.locator('#view-label').textContent(), 'world');
  const rows = await tableFields();
  assert.ok(rows.every((r) => Number.isInteger(r.team) && Number.isInteger(r.ammo)), JSON.stringify(rows));
  assert.deepEqual([...new Set(rows.map((r) => r.team))].sort(), [0, 1], 'two teams');
  await page.screenshot({ path: join(SHOTS, 'dashboard-views-world.png'), fullPage: true });
});

test('a chosen member\'s view: its team, opponents only with their ammo hidden, fewer crates', async () => {
  const before = await tableFields();
  const me = before[0];
  await page.selectOption('#view-select', String(me.player));
  await page.waitForFunction(
    (label) => {
      const c = document.getElementById('arena');
      return c.dataset.viewOf === label && Number(c.dataset.frames) >= 3;
    },
    `player:${me.player}`,
    { timeout: WAIT },
  );
  assert.equal(await page.locator('#view-label').textContent(), `player:${me.player}`);
  const seen = await mapState();
  // Every teammate always, opponents and crates only nearby: less than the world.
  const mates = before.filter((r) => r.team === me.team).length;
  assert.ok(seen.players >= mates, JSON.stringify({ seen, mates }));
  assert.ok(seen.entities < SCOUTS + CRATES, `a radius hides something: ${JSON.stringify(seen)}`);
  // The table's game columns come from this view's frames: teammates' ammo is shown,
  // an opponent's is hidden (when it is seen at all).
  const rows = await tableFields();
  for (const r of rows) {
    const team = before.find((b) => b.player === r.player).team;
    if (team === me.team) assert.ok(Number.isInteger(r.ammo), `teammate ${JSON.stringify(r)}`);
    else assert.ok(r.ammo === null || r.ammo === undefined, `opponent ${JSON.stringify(r)}`);
  }
  assert.ok(rows.some((r) => r.ammo === undefined || r.ammo === null), 'something is hidden from this member');
  assert.ok((await colourfulPixels(page)) > 100, 'the map draws the member\'s view');
  await page.waitForTimeout(800); // a few frames, for the picture
  await page.screenshot({ path: join(SHOTS, 'dashboard-views.png'), fullPage: true });
});

test('switching back shows the world again', async () => {
  await page.selectOption('#view-select', '');
  await page.waitForFunction(
    (n) => {
      const c = document.getElementById('arena');
      return c.dataset.viewOf === 'world' && Number(c.dataset.entities) === n;
    },
    SCOUTS + CRATES,
    { timeout: WAIT },
  );
  assert.equal(await page.locator('#view-label').textContent(), 'world');
  assert.deepEqual(pageErrors, []);
});
