// The selected lobby: its stats, players and recent chat (from the API), with the live
// arena beside them (spectator.js, arena.js). The map shows the world or, picked in the view
// select, exactly what one member is sent; each member's row says which view it follows.

import { kickPlayer } from './actions.js';
import { arena } from './arena.js';
import { $, el, setCell, setText, syncRows } from './dom.js';
import { fmtBytes, fmtDuration, fmtInt, fmtMs, fmtUs, isNum, level, playerColor } from './format.js';
import { refreshSoon } from './panels.js';
import { fieldSchema, fmtValue, schemaOf } from './schema.js';
import { spectator } from './spectator.js';
import { S } from './state.js';

export function selectLobby(id, { updateHash = true } = {}) {
  const next = id === null || id === undefined || Number.isNaN(id) ? null : Number(id);
  if (next === S.selected) return;
  S.selected = next;
  S.detail = null;
  S.schema = null;
  S.detailGone = false;
  arena.reset();
  if (updateHash) {
    const h = next === null ? '' : `#/lobby/${next}`;
    if (location.hash !== h) history.replaceState(null, '', h || location.pathname);
  }
  for (const tr of $('lobby-rows').children) {
    tr.setAttribute('aria-selected', String(Number(tr.dataset.lobbyId) === next));
  }
  $('detail').hidden = next === null;
  $('detail-empty').hidden = next !== null;
  if (next === null) {
    spectator.stop();
    return;
  }
  setText($('d-id'), `#${next}`);
  $('player-rows').replaceChildren();
  renderDetailPlaceholders();
  spectator.start(next);
  refreshSoon();
}

export function selectFromHash() {
  const m = /^#\/lobby\/(\d+)$/.exec(location.hash);
  selectLobby(m ? Number(m[1]) : null, { updateHash: false });
}

function renderDetailPlaceholders() {
  for (const id of ['d-players', 'd-tick', 'd-ticktime', 'd-tickmax', 'd-overruns', 'd-bytes', 'd-encodes', 'd-age', 'd-fps']) {
    setText($(id), '–');
    $(id).className = '';
  }
  setText($('d-state'), '…');
  $('d-state').dataset.state = '';
  setText($('d-mode'), '');
  $('d-private').hidden = true;
  $('d-gone').hidden = true;
  $('d-summary').replaceChildren();
  $('chat-section').hidden = true;
  $('chat-list').replaceChildren();
  delete $('chat-list').dataset.sig;
  $('players-empty').hidden = true;
  syncViewSelect([]);
}

/** The view select: the world, then one option per member; the stream follows a change. */
export function initViewSelect() {
  $('view-select').addEventListener('change', (ev) => {
    const v = ev.target.value;
    spectator.setView(v === '' ? null : Number(v));
    showViewLabel();
  });
}

function showViewLabel() {
  const label = $('view-label');
  const personal = spectator.view !== null;
  setText(label, spectator.label());
  label.dataset.personal = String(personal);
}

/** Options for `players` (sorted); a watched member that left puts the map back on the world. */
function syncViewSelect(players) {
  const sel = $('view-select');
  const want = [['', 'World (everything)'], ...players.map((p) => [String(p.player), `${p.name} #${p.player}${p.view ? ` · ${p.view}` : ''}`])];
  const sig = want.map((o) => o.join('\u0001')).join('\u0000');
  if (sel.dataset.sig !== sig) {
    sel.dataset.sig = sig;
    sel.replaceChildren(...want.map(([value, text]) => el('option', { value, text })));
  }
  const watched = spectator.view === null ? '' : String(spectator.view);
  if (watched !== '' && !players.some((p) => String(p.player) === watched)) {
    spectator.setView(null);
  }
  sel.value = spectator.view === null ? '' : String(spectator.view);
  showViewLabel();
}

export function renderDetail() {
  const d = S.detail;
  const gone = S.detailGone;
  if (!d && !gone) return;
  $('d-gone').hidden = !gone;
  $('close-lobby-btn').disabled = gone;
  $('detail').dataset.gone = String(gone);
  if (gone) {
    setText($('d-state'), 'closed');
    $('d-state').dataset.state = 'finished';
    for (const tr of $('player-rows').children) {
      tr.classList.add('leaving');
      for (const b of tr.querySelectorAll('button')) b.disabled = true;
    }
    return;
  }
  setText($('d-state'), d.state);
  $('d-state').dataset.state = d.state;
  setText($('d-mode'), `${d.mode}${d.game && d.game !== d.mode ? ` · ${d.game}` : ''}`);
  $('d-private').hidden = !d.private;
  const dc = d.players - d.connected;
  setText($('d-players'), `${d.players}/${d.max_players}${dc > 0 ? ` · ${dc} dc` : ''}`);
  setText($('d-tick'), `${fmtInt(d.tick)} @ ${d.tick_hz} Hz`);
  const budget = d.tick_hz ? 1e6 / d.tick_hz : Infinity;
  setText($('d-ticktime'), `${fmtUs(d.tick_p50_us)} / ${fmtUs(d.tick_p99_us)}`);
  $('d-ticktime').className = level(d.tick_p99_us, budget * 0.5, budget);
  setText($('d-tickmax'), `${fmtUs(d.tick_max_us)} (budget ${fmtUs(budget)})`);
  $('d-tickmax').className = level(d.tick_max_us, budget, budget * 3);
  setText($('d-overruns'), `${fmtInt(d.overruns)} / ${fmtInt(d.skipped_ticks)}`);
  $('d-overruns').className = (d.overruns || 0) + (d.skipped_ticks || 0) > 0 ? 'warn' : '';
  setText($('d-bytes'), `${fmtBytes(d.last_delta_bytes)} / ${fmtBytes(d.last_snapshot_bytes)}`);
  // Per-player views: one encode per distinct view and protocol (1 when all see the same).
  const enc = $('d-encodes');
  if (isNum(d.encodes_last_tick)) {
    const avg = isNum(d.encodes_per_tick) ? ` (avg ${d.encodes_per_tick.toFixed(1)})` : '';
    setText(enc, `${fmtInt(d.encodes_last_tick)} / ${fmtInt(d.views_last_tick)}${avg}`);
    enc.dataset.encodes = String(d.encodes_last_tick);
    enc.dataset.views = String(d.views_last_tick);
  } else setText(enc, '–');
  setText($('d-age'), fmtDuration(d.age_ms));

  // The game's own summary, whatever keys it has.
  const sum = d.summary && typeof d.summary === 'object' ? d.summary : {};
  const dl = $('d-summary');
  const entries = Object.entries(sum).filter(([, v]) => v === null || typeof v !== 'object');
  if (dl.childElementCount !== entries.length * 2) dl.replaceChildren();
  entries.forEach(([k, v], i) => {
    let dt = dl.children[i * 2];
    let dd = dl.children[i * 2 + 1];
    if (!dt) dl.append((dt = el('dt')), (dd = el('dd')));
    setText(dt, k.replaceAll('_', ' '));
    setText(dd, v === null ? '—' : typeof v === 'number' ? fmtInt(v) : String(v));
  });
  S.schema = schemaOf(d);
  arena.size = mapSize(sum);

  const players = Array.isArray(d.players_detail) ? [...d.players_detail] : [];
  players.sort((a, b) => a.player - b.player);
  arena.names = new Map(players.map((p) => [p.player, p.name]));
  const live = new Set([...players.map((p) => p.session), ...S.sessions.map((x) => x.id)]);
  for (const s of S.removing) if (!live.has(s)) S.removing.delete(s);
  syncPlayerHead();
  syncRows($('player-rows'), players, (p) => p.session, playerRowCreate, playerRowUpdate);
  $('players-empty').hidden = players.length > 0;
  syncViewSelect(players);

  renderChat(d.recent_chat);
}

/**
 * The map's extent in the game's `x`/`y` unit: the largest `max` the schema gives an `x` or
 * `y` field, else the v1 arena's `arena_units` summary (fixed-point, 1/100 unit), else the
 * current size (the v1 arena's default).
 */
function mapSize(sum) {
  let size = 0;
  for (const k of S.schema?.kinds ?? []) {
    for (const f of ['x', 'y']) {
      const max = fieldSchema(S.schema, k.kind, f)?.max;
      if (isNum(max) && max > size) size = max;
    }
  }
  if (size > 0) return size;
  if (isNum(sum.arena_units) && sum.arena_units > 0) return sum.arena_units * 100;
  return arena.size;
}

// Fixed columns: player, session, RTT, jitter, input lag, queue, sent, resync/drop, view
// (0..8); then one a field of the game's `player` kind; then time in lobby and the actions.
const NET_COLS = 9;
let gameCols = []; // the `player` kind's field names the header shows

/** Rebuilds the header (and so the rows) when the `player` kind's fields change. */
function syncPlayerHead() {
  const want = arena.playerFields();
  if (want.join('\u0000') === gameCols.join('\u0000') && $('player-head').dataset.built) return;
  gameCols = want;
  const head = $('player-head');
  head.dataset.built = '1';
  for (const th of head.querySelectorAll('th.game-col')) th.remove();
  const age = $('player-head-age');
  for (const name of gameCols) {
    age.before(el('th', { scope: 'col', class: 'num game-col', dataset: { field: name }, text: name.replaceAll('_', ' ') }));
  }
  $('player-rows').replaceChildren();
}

function playerRowCreate() {
  const tr = el('tr');
  const cols = NET_COLS + gameCols.length + 2;
  for (let i = 0; i < cols; i++) tr.append(el('td'));
  for (let i = 0; i < gameCols.length; i++) tr.children[NET_COLS + i].dataset.field = gameCols[i];
  // Name with its arena colour, player id, and a tag while the link is down.
  tr.children[0].className = 'pcell';
  tr.children[0].append(
    el('span', { class: 'swatch' }),
    el('span', { class: 'pname' }),
    el('span', { class: 'pid' }),
  );
  const act = tr.lastElementChild;
  act.className = 'op-only act';
  if (S.role === 'operator') {
    const b = el('button', { type: 'button', class: 'btn danger small kick-btn', text: 'Kick…' });
    b.addEventListener('click', () => kickPlayer(Number(tr.dataset.session)));
    act.append(b);
  }
  return tr;
}

function playerRowUpdate(tr, p) {
  const c = tr.children;
  tr.dataset.session = String(p.session);
  tr.dataset.player = String(p.player);
  tr.dataset.name = p.name;
  tr.dataset.connected = String(Boolean(p.connected));
  tr.classList.toggle('leaving', S.removing.has(p.session));
  const [sw, name, pid] = c[0].children;
  sw.style.background = playerColor(p.player);
  setText(name, p.name);
  setText(pid, `#${p.player}`);
  setCell(c[1], String(p.session), 'num dim');
  if (p.connected) setCell(c[2], fmtMs(p.rtt_ms), `num rtt ${level(p.rtt_ms, 80, 200)}`);
  else setCell(c[2], 'dropped', 'num rtt warn');
  c[2].title = p.connected ? '' : 'connection lost; the seat is held for a resume';
  c[2].dataset.rtt = p.connected && isNum(p.rtt_ms) ? String(p.rtt_ms) : '';
  setCell(c[3], fmtMs(p.jitter_ms), `num ${level(p.jitter_ms, 20, 60)}`);
  setCell(c[4], fmtMs(p.input_lag_ms), `num ${level(p.input_lag_ms, 67, 150)}`);
  setCell(c[5], fmtInt(p.queue_depth), `num ${level(p.queue_depth, 16, 48)}`);
  setCell(c[6], fmtBytes(p.bytes_sent), 'num');
  c[6].title = `${fmtInt(p.messages_sent)} messages`;
  const rd = (p.resyncs || 0) + (p.inputs_dropped || 0);
  setCell(c[7], `${fmtInt(p.resyncs)} / ${fmtInt(p.inputs_dropped)}`, `num ${rd > 0 ? 'warn' : 'dim'}`);
  setCell(c[8], p.view ?? '–', 'view-cell');
  c[8].dataset.view = p.view ?? '';
  updateGameCells(tr);
  setCell(c[NET_COLS + gameCols.length], fmtDuration(p.in_lobby_ms), 'num');
  const kick = tr.lastElementChild.querySelector('button');
  if (kick) kick.disabled = S.removing.has(p.session);
}

/** The row's `player`-kind cells from the latest frame; a hidden (null) value says so. */
function updateGameCells(tr) {
  const player = Number(tr.dataset.player);
  for (const td of tr.querySelectorAll('td[data-field]')) {
    const name = td.dataset.field;
    const v = arena.fieldOf(player, name);
    const text = v === undefined ? '—' : v === null ? 'hidden' : isNum(v) && Number.isInteger(v) ? fmtInt(v) : fmtValue(v);
    setCell(td, text, `num game${name === 'score' ? ' score' : ''}${v === null ? ' hidden-value' : ''}`);
  }
}

/** Game fields come from the spectator frames (10/s); refresh them between polls. */
export function renderPlayerScores() {
  syncPlayerHead();
  for (const tr of $('player-rows').children) updateGameCells(tr);
}

/** Renders `recent_chat: [{from, name, text, tick}]` once the API provides it. */
function renderChat(chat) {
  const section = $('chat-section');
  if (!Array.isArray(chat)) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const list = $('chat-list');
  const last = chat[chat.length - 1];
  const sig = `${S.selected}|${chat.length}|${last?.tick}|${last?.from}|${last?.text}`;
  if (list.dataset.sig === sig) return;
  list.dataset.sig = sig;
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  const items = chat.slice(-100).map((m) => {
    const name = el('span', { class: 'chat-name', text: `${m?.name ?? `#${m?.from ?? '?'}`}:` });
    if (isNum(m?.from)) name.style.color = playerColor(m.from);
    return el(
      'li',
      {},
      el('span', { class: 'chat-tick', text: isNum(m?.tick) ? `t${m.tick}` : '' }),
      name,
      el('span', { class: 'chat-text', text: String(m?.text ?? '') }),
    );
  });
  if (!items.length) items.push(el('li', { class: 'muted', text: 'No chat yet.' }));
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}
