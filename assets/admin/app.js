// Tickwave admin dashboard: plain ES module, no dependencies.
//
// Data: the JSON API under /admin/* (Authorization: Bearer <token>), polled every second,
// and the spectator WebSocket /admin/lobbies/{id}/watch?token=... for the live arena.
// The token lives in sessionStorage (this tab only). Everything the server sends is put
// into the page with textContent, never as HTML. No inline scripts or handlers, so a strict
// Content-Security-Policy (script-src 'self') works.

const TOKEN_KEY = 'tickwave.admin.token';
const POLL_MS = 1000;
const STALE_MS = 3500;
const REQUEST_TIMEOUT_MS = 8000;
const SESSION_LIMIT = 200; // rows in the sessions panel
const ARENA_DEFAULT_SIZE = 10000; // fixed-point (1/100 unit): 100 x 100 units
const TRAIL_POINTS = 24;

const PLAYER_COLORS = [
  '#4f9dff', '#ff8a4c', '#3ecf8e', '#c084fc', '#f7d154', '#ff5f87',
  '#2dd4bf', '#a3e635', '#f472b6', '#60a5fa', '#fb923c', '#e879f9',
];
const PICKUP_COLORS = { 1: '#46d3c1', 2: '#f5c542', 3: '#f472b6' };

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------
// State

const S = {
  token: null,
  role: null,
  selected: null, // lobby id (number) or null
  lobbies: [],
  detail: null, // last lobby detail JSON
  detailGone: false,
  mm: null,
  sessionsTotal: null,
  sessions: [],
  pollTimer: 0,
  polling: false,
  lastOk: 0,
  pollGen: 0,
  removing: new Set(), // sessions being kicked (row dimmed until gone)
};

// ---------------------------------------------------------------------------------------
// Formatting

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function fmtMs(v, digits = 1) {
  if (!isNum(v)) return '—';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v.toFixed(v < 10 ? Math.max(digits, 2) : digits)} ms`;
}
function fmtUs(us) {
  if (!isNum(us)) return '—';
  if (us < 1000) return `${(us / 1000).toFixed(2)}`;
  return `${(us / 1000).toFixed(1)}`;
}
function fmtDuration(ms) {
  if (!isNum(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}
function fmtBytes(b) {
  if (!isNum(b)) return '—';
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}
const fmtInt = (v) => (isNum(v) ? nf0.format(v) : '—');
const playerColor = (id) => PLAYER_COLORS[Math.abs(Number(id) || 0) % PLAYER_COLORS.length];

function level(v, warn, bad) {
  if (!isNum(v)) return '';
  return v >= bad ? 'bad' : v >= warn ? 'warn' : '';
}

// ---------------------------------------------------------------------------------------
// DOM helpers

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Set a cell's text and class only when they change (keeps the DOM quiet). */
function setCell(td, text, cls = '') {
  if (td.textContent !== text) td.textContent = text;
  if (td.className !== cls) td.className = cls;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Keyed table update: rows are created once per key and updated in place, so hover,
 * focus and selection survive the 1 s refresh.
 */
function syncRows(tbody, items, keyOf, create, update) {
  const existing = new Map();
  for (const tr of tbody.children) existing.set(tr.dataset.key, tr);
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let tr = existing.get(key);
    if (tr) existing.delete(key);
    else {
      tr = create(item);
      tr.dataset.key = key;
    }
    update(tr, item);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of existing.values()) tr.remove();
}

// ---------------------------------------------------------------------------------------
// Toasts, banner, status

function toast(message, kind = 'info', ms = 4500) {
  const t = el('div', { class: `toast ${kind}`, role: kind === 'bad' ? 'alert' : 'status', text: message });
  $('toasts').append(t);
  setTimeout(() => t.remove(), ms);
}

function banner(message) {
  const b = $('banner');
  if (!message) {
    b.hidden = true;
    return;
  }
  setText(b, message);
  b.hidden = false;
}

function setConn(state, text) {
  const c = $('conn');
  if (c.dataset.state !== state) c.dataset.state = state;
  setText($('conn-text'), text);
}

// ---------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${S.token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    if (e?.name === 'TimeoutError') throw new ApiError(0, 'timeout', `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    throw new ApiError(0, 'network', `server unreachable (${e.message || e})`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (res.status === 401) {
    signOut('The server rejected the token (401). Sign in again.');
    throw new ApiError(401, 'unauthorized', data?.message || 'unauthorized');
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error, data?.message || `${res.status} ${res.statusText}`);
  }
  return data;
}

function describeError(e) {
  if (!(e instanceof ApiError)) return String(e?.message || e);
  if (e.status === 403) return 'Not allowed: this token may only read (403).';
  if (e.status === 0) return e.message;
  return `${e.message}${e.code ? ` [${e.code}]` : ''} (${e.status})`;
}

// ---------------------------------------------------------------------------------------
// Sign in / out

async function whoami(token) {
  const res = await fetch('/admin/whoami', {
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
    credentials: 'omit',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data?.error, data?.message);
  return data;
}

function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('token').value = '';
  $('token').focus();
  document.title = 'Tickwave admin · sign in';
}

async function signIn(token, { fromStorage = false } = {}) {
  const btn = $('login-submit');
  btn.disabled = true;
  try {
    const who = await whoami(token);
    S.token = token;
    S.role = who.role;
    sessionStorage.setItem(TOKEN_KEY, token);
    startApp();
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    const msg =
      e instanceof ApiError && e.status === 401
        ? fromStorage
          ? 'Your saved token is no longer valid. Sign in again.'
          : 'Wrong token: the server does not know it (401).'
        : `Could not reach the admin API: ${e.message || e}`;
    showLogin(msg);
  } finally {
    btn.disabled = false;
  }
}

function signOut(message) {
  stopPolling();
  selectLobby(null, { updateHash: false });
  $('lobby-rows').replaceChildren();
  $('mm-rows').replaceChildren();
  $('session-rows').replaceChildren();
  S.token = null;
  S.role = null;
  S.detail = null;
  sessionStorage.removeItem(TOKEN_KEY);
  document.body.classList.remove('role-operator', 'role-viewer');
  closeDialog();
  showLogin(message);
}

function startApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  const operator = S.role === 'operator';
  document.body.classList.toggle('role-operator', operator);
  document.body.classList.toggle('role-viewer', !operator);
  const badge = $('role-badge');
  badge.dataset.role = S.role;
  badge.textContent = S.role;
  badge.title = operator ? 'Operator: may read and act' : 'Viewer: read-only, actions are hidden';
  document.title = 'Tickwave admin';
  selectFromHash();
  startPolling();
}

// ---------------------------------------------------------------------------------------
// Polling

function startPolling() {
  stopPolling();
  S.polling = true;
  const gen = ++S.pollGen;
  const loop = async () => {
    if (!S.polling || gen !== S.pollGen) return;
    const started = performance.now();
    await pollOnce();
    if (!S.polling || gen !== S.pollGen) return;
    S.pollTimer = setTimeout(loop, Math.max(150, POLL_MS - (performance.now() - started)));
  };
  loop();
}

function stopPolling() {
  S.polling = false;
  S.pollGen++;
  clearTimeout(S.pollTimer);
}

/** Refresh now (after an action) without waiting for the next tick of the loop. */
function refreshSoon() {
  if (S.polling) startPolling();
}

async function pollOnce() {
  const q = new URLSearchParams();
  const mode = $('filter-mode').value;
  const st = $('filter-state').value;
  if (mode) q.set('mode', mode);
  if (st) q.set('state', st);
  const qs = q.toString();
  const sel = S.selected;
  const [lob, mm, ses, det] = await Promise.allSettled([
    api(`/admin/lobbies${qs ? `?${qs}` : ''}`),
    api('/admin/matchmaking'),
    api(`/admin/sessions?limit=${SESSION_LIMIT}`),
    sel === null ? Promise.resolve(null) : api(`/admin/lobbies/${sel}`),
  ]);
  if (!S.token) return; // signed out meanwhile (401)

  const failures = [lob, mm, ses].filter((r) => r.status === 'rejected');
  if (lob.status === 'fulfilled') {
    S.lobbies = Array.isArray(lob.value?.lobbies) ? lob.value.lobbies : [];
    renderLobbies();
  }
  if (mm.status === 'fulfilled') {
    S.mm = mm.value;
    renderMatchmaking();
  }
  if (ses.status === 'fulfilled') {
    S.sessionsTotal = ses.value?.total ?? null;
    S.sessions = Array.isArray(ses.value?.sessions) ? ses.value.sessions : [];
    renderSessions();
  }
  renderServerStats();

  if (sel !== null && sel === S.selected) {
    if (det.status === 'fulfilled') {
      S.detail = det.value;
      S.detailGone = false;
      renderDetail();
    } else if (det.reason instanceof ApiError && det.reason.status === 404) {
      if (!S.detailGone) {
        S.detailGone = true;
        renderDetail();
        spectator.ended('lobby closed');
      }
    } else {
      failures.push(det);
    }
  }

  if (failures.length) {
    const msg = describeError(failures[0].reason);
    setConn('error', 'API error');
    banner(`Live update failed: ${msg}. Retrying every second…`);
  } else {
    S.lastOk = Date.now();
    setConn('ok', `live · ${new Date().toLocaleTimeString([], { hour12: false })}`);
    banner(null);
  }
}

// Show "stale" when polls stop succeeding without an explicit error (e.g. a hung request).
setInterval(() => {
  if (!S.polling || !S.lastOk) return;
  if (Date.now() - S.lastOk > STALE_MS && $('conn').dataset.state === 'ok') {
    setConn('stale', `stale · ${Math.round((Date.now() - S.lastOk) / 1000)} s old`);
  }
}, 1000);

// ---------------------------------------------------------------------------------------
// Server stats, lobbies, matchmaking

function renderServerStats() {
  const lobbies = S.lobbies;
  const filtered = $('filter-mode').value || $('filter-state').value;
  setText($('stat-lobbies'), fmtInt(lobbies.length) + (filtered ? '*' : ''));
  setText($('stat-players'), fmtInt(lobbies.reduce((a, l) => a + (l.players || 0), 0)) + (filtered ? '*' : ''));
  const queued = S.mm?.modes?.reduce((a, m) => a + (m.waiting || 0), 0);
  setText($('stat-queued'), fmtInt(queued));
  setText($('stat-sessions'), fmtInt(S.sessionsTotal));
  $('drain-badge').hidden = !S.mm?.draining;
  $('drain-btn').hidden = Boolean(S.mm?.draining);
}

function lobbyRowCreate() {
  const tr = el('tr', { tabindex: '0', 'aria-selected': 'false' });
  for (let i = 0; i < 8; i++) tr.append(el('td'));
  return tr;
}

function lobbyRowUpdate(tr, l) {
  const c = tr.children;
  tr.dataset.lobbyId = String(l.id);
  tr.dataset.players = String(l.players);
  tr.dataset.state = l.state;
  tr.setAttribute('aria-selected', String(l.id === S.selected));
  // ID (+ lock for private lobbies)
  setCell(c[0], `#${l.id}`, 'lobby-id');
  setCell(c[1], l.private ? `${l.mode} (private)` : l.mode);
  // State chip
  let chip = c[2].firstElementChild;
  if (!chip) c[2].append((chip = el('span', { class: 'chip' })));
  if (chip.dataset.state !== l.state) chip.dataset.state = l.state;
  setText(chip, l.state);
  // Players: bar + count (+ disconnected)
  let bar = c[3].querySelector('.bar');
  let txt = c[3].querySelector('span.pc');
  if (!bar) {
    c[3].className = 'num';
    bar = el('span', { class: 'bar' }, el('i'));
    txt = el('span', { class: 'pc' });
    c[3].append(bar, txt);
  }
  const frac = l.max_players ? Math.min(1, l.players / l.max_players) : 0;
  bar.firstChild.style.width = `${Math.round(frac * 100)}%`;
  const dc = l.players - l.connected;
  setText(txt, `${l.players}/${l.max_players}${dc > 0 ? ` (${dc} dc)` : ''}`);
  setCell(c[4], fmtInt(l.tick), 'num');
  const budget = l.tick_hz ? 1e6 / l.tick_hz : Infinity;
  setCell(c[5], `${fmtUs(l.tick_p99_us)} ms`, `num ${level(l.tick_p99_us, budget * 0.5, budget)}`);
  const over = (l.overruns || 0) + (l.skipped_ticks || 0);
  setCell(c[6], `${fmtInt(l.overruns)}/${fmtInt(l.skipped_ticks)}`, `num ${over > 0 ? 'warn' : 'dim'}`);
  setCell(c[7], fmtDuration(l.age_ms), 'num');
}

function renderLobbies() {
  const list = [...S.lobbies].sort((a, b) => a.id - b.id);
  syncRows($('lobby-rows'), list, (l) => l.id, lobbyRowCreate, lobbyRowUpdate);
  setText($('lobby-count'), String(list.length));
  const filtered = $('filter-mode').value || $('filter-state').value;
  $('lobby-empty').textContent = filtered ? 'No live lobby matches the filter.' : 'No live lobbies.';
  $('lobby-empty').hidden = list.length > 0;
}

function renderMatchmaking() {
  const mm = S.mm || { modes: [] };
  const chip = $('mm-state');
  const state = mm.draining ? 'draining' : 'accepting';
  chip.dataset.state = state;
  setText(chip, mm.draining ? 'draining' : 'accepting players');
  $('mm-panel').dataset.draining = String(Boolean(mm.draining));
  const modes = Array.isArray(mm.modes) ? mm.modes : [];
  syncRows(
    $('mm-rows'),
    modes,
    (m) => m.mode,
    () => {
      const tr = el('tr');
      for (let i = 0; i < 6; i++) tr.append(el('td'));
      return tr;
    },
    (tr, m) => {
      const c = tr.children;
      tr.dataset.mode = m.mode;
      setCell(c[0], m.mode);
      setCell(c[1], fmtInt(m.waiting), `num ${m.waiting > 0 ? '' : 'dim'}`);
      setCell(c[2], m.waiting > 0 ? fmtDuration(m.oldest_wait_ms) : '—', `num ${level(m.oldest_wait_ms, 10000, 30000)}`);
      setCell(c[3], m.seated ? fmtMs(m.wait_p50_ms, 0) : '—', 'num');
      setCell(c[4], m.seated ? fmtMs(m.wait_p99_ms, 0) : '—', 'num');
      setCell(c[5], fmtInt(m.seated), 'num');
    },
  );
  // Mode filter options follow the configured modes.
  const sel = $('filter-mode');
  const have = new Set([...sel.options].map((o) => o.value));
  for (const m of modes) {
    if (!have.has(m.mode)) sel.append(el('option', { value: m.mode, text: m.mode }));
  }
}

function renderSessions() {
  const list = [...S.sessions].sort((a, b) => a.id - b.id);
  syncRows(
    $('session-rows'),
    list,
    (s) => s.id,
    () => {
      const tr = el('tr');
      for (let i = 0; i < 7; i++) tr.append(el('td'));
      tr.children[1].className = 'pcell';
      tr.children[1].append(el('span', { class: 'swatch' }), el('span', { class: 'pname' }));
      tr.children[3].className = 'num';
      const act = tr.children[6];
      act.className = 'op-only act';
      if (S.role === 'operator') {
        const b = el('button', { type: 'button', class: 'btn danger small kick-btn', text: 'Kick…' });
        b.addEventListener('click', () => kickSession(Number(tr.dataset.session)));
        act.append(b);
      }
      return tr;
    },
    (tr, s) => {
      const c = tr.children;
      tr.dataset.session = String(s.id);
      tr.dataset.name = s.name;
      tr.title = `player #${s.player} · ${s.peer ?? ''}${s.account ? ` · account ${s.account}` : ''}`;
      tr.classList.toggle('leaving', S.removing.has(s.id));
      setCell(c[0], String(s.id), 'num dim');
      c[1].firstChild.style.background = playerColor(s.player);
      setText(c[1].lastChild, s.name);
      let chip = c[2].firstElementChild;
      if (!chip) c[2].append((chip = el('span', { class: 'chip' })));
      const st = String(s.state ?? '');
      if (chip.dataset.state !== st) chip.dataset.state = st;
      setText(chip, st.replaceAll('_', ' '));
      let link = c[3].firstElementChild;
      if (isNum(s.lobby)) {
        if (!link) {
          link = el('a', { class: 'lobby-link' });
          c[3].replaceChildren(link);
        }
        link.href = `#/lobby/${s.lobby}`;
        setText(link, `#${s.lobby}`);
      } else if (link || c[3].textContent !== '—') {
        c[3].replaceChildren('—');
      }
      setCell(c[4], fmtMs(s.rtt_ms), `num ${level(s.rtt_ms, 80, 200)}`);
      setCell(c[5], fmtDuration(s.connected_ms), 'num');
      const kick = c[6].querySelector('button');
      if (kick) kick.disabled = S.removing.has(s.id);
    },
  );
  const total = S.sessionsTotal ?? list.length;
  setText($('session-count'), fmtInt(total));
  $('session-more').hidden = total <= list.length;
  setText($('session-more'), `showing ${list.length} of ${fmtInt(total)}`);
  $('session-empty').hidden = list.length > 0;
}

// ---------------------------------------------------------------------------------------
// Lobby detail

function selectLobby(id, { updateHash = true } = {}) {
  const next = id === null || id === undefined || Number.isNaN(id) ? null : Number(id);
  if (next === S.selected) return;
  S.selected = next;
  S.detail = null;
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

function selectFromHash() {
  const m = /^#\/lobby\/(\d+)$/.exec(location.hash);
  selectLobby(m ? Number(m[1]) : null, { updateHash: false });
}

function renderDetailPlaceholders() {
  for (const id of ['d-players', 'd-tick', 'd-ticktime', 'd-tickmax', 'd-overruns', 'd-bytes', 'd-age', 'd-fps']) {
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
}

function renderDetail() {
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
  if (isNum(sum.arena_units) && sum.arena_units > 0) arena.size = sum.arena_units * 100;

  const players = Array.isArray(d.players_detail) ? [...d.players_detail] : [];
  players.sort((a, b) => a.player - b.player);
  arena.names = new Map(players.map((p) => [p.player, p.name]));
  const live = new Set([...players.map((p) => p.session), ...S.sessions.map((x) => x.id)]);
  for (const s of S.removing) if (!live.has(s)) S.removing.delete(s);
  syncRows($('player-rows'), players, (p) => p.session, playerRowCreate, playerRowUpdate);
  $('players-empty').hidden = players.length > 0;

  renderChat(d.recent_chat);
}

const PLAYER_COLS = 11;

function playerRowCreate() {
  const tr = el('tr');
  for (let i = 0; i < PLAYER_COLS; i++) tr.append(el('td'));
  // Name with its arena colour, player id, and a tag while the link is down.
  tr.children[0].className = 'pcell';
  tr.children[0].append(
    el('span', { class: 'swatch' }),
    el('span', { class: 'pname' }),
    el('span', { class: 'pid' }),
  );
  const act = tr.children[PLAYER_COLS - 1];
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
  const score = arena.scoreOf(p.player);
  setCell(c[8], score === null ? '—' : fmtInt(score), 'num score');
  setCell(c[9], fmtDuration(p.in_lobby_ms), 'num');
  const kick = c[PLAYER_COLS - 1].querySelector('button');
  if (kick) kick.disabled = S.removing.has(p.session);
}

/** Scores come from the spectator frames (10/s); refresh that column between polls. */
function renderPlayerScores() {
  for (const tr of $('player-rows').children) {
    const td = tr.querySelector('td.score');
    if (!td) continue;
    const score = arena.scoreOf(Number(tr.dataset.player));
    setText(td, score === null ? '—' : fmtInt(score));
  }
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

// ---------------------------------------------------------------------------------------
// Spectator WebSocket

const spectator = {
  ws: null,
  lobby: null,
  retry: 0,
  timer: 0,
  stopped: true,

  start(lobby) {
    this.stop();
    this.lobby = lobby;
    this.stopped = false;
    this.retry = 0;
    this.connect();
  },

  connect() {
    if (this.stopped || !S.token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}/admin/lobbies/${this.lobby}/watch?token=${encodeURIComponent(S.token)}`;
    setArenaStatus('connecting', 'connecting…');
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      setArenaStatus('error', 'stream error');
      return;
    }
    this.ws = ws;
    const lobby = this.lobby;
    ws.addEventListener('open', () => {
      if (this.ws === ws) setArenaStatus('connecting', 'waiting for frames…');
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let f;
      try {
        f = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!f || !Array.isArray(f.entities) || (f.lobby !== undefined && f.lobby !== lobby)) return;
      this.retry = 0;
      setArenaStatus('live', 'live');
      arena.onFrame(f);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (S.detailGone) {
        this.ended('lobby closed');
        return;
      }
      // The lobby may still exist (network hiccup): retry with a growing delay.
      const delay = Math.min(5000, 500 * 2 ** this.retry++);
      setArenaStatus('error', `reconnecting in ${Math.round(delay / 100) / 10} s`);
      this.timer = setTimeout(() => this.connect(), delay);
    });
  },

  ended(why) {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    setArenaStatus('ended', why);
  },

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    setArenaStatus('idle', 'idle');
  },
};

function setArenaStatus(state, text) {
  const s = $('arena-status');
  s.dataset.state = state;
  setText($('arena-status-text'), text);
  arena.statusText = text;
  if (state !== 'live') setText($('d-fps'), text);
  arena.requestDraw();
}

// ---------------------------------------------------------------------------------------
// Arena canvas

const arena = {
  canvas: null,
  ctx: null,
  size: ARENA_DEFAULT_SIZE,
  prev: null,
  cur: null,
  prevAt: 0,
  curAt: 0,
  frames: 0,
  frameTimes: [],
  trails: new Map(),
  names: new Map(),
  raf: 0,
  statusText: '',
  dpr: 1,

  init() {
    this.canvas = $('arena');
    this.ctx = this.canvas.getContext('2d');
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(this.canvas);
    this.resize();
  },

  resize() {
    const r = this.canvas.getBoundingClientRect();
    if (!r.width) return;
    const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
    const px = Math.round(r.width * dpr);
    if (this.canvas.width !== px || this.canvas.height !== px) {
      this.canvas.width = px;
      this.canvas.height = px;
    }
    this.dpr = dpr;
    this.requestDraw();
  },

  reset() {
    this.prev = this.cur = null;
    this.frames = 0;
    this.frameTimes = [];
    this.trails.clear();
    this.names = new Map();
    this.size = ARENA_DEFAULT_SIZE;
    const c = this.canvas;
    if (c) Object.assign(c.dataset, { tick: '0', drawnTick: '0', frames: '0', players: '0', pickups: '0' });
    this.requestDraw();
  },

  onFrame(f) {
    const now = performance.now();
    const byId = new Map();
    let players = 0;
    let pickups = 0;
    for (const e of f.entities) {
      if (!e || !e.fields) continue;
      byId.set(e.id, e);
      if (e.kind === 'player') players++;
      else if (e.kind === 'pickup') pickups++;
    }
    this.prev = this.cur;
    this.prevAt = this.curAt;
    this.cur = { tick: f.tick, state: f.state, game: f.game, byId, players, pickups };
    this.curAt = now;
    this.frames++;
    this.frameTimes.push(now);
    while (this.frameTimes.length && now - this.frameTimes[0] > 2000) this.frameTimes.shift();
    // Trails of players.
    for (const [id, e] of byId) {
      if (e.kind !== 'player') continue;
      let t = this.trails.get(id);
      if (!t) this.trails.set(id, (t = []));
      t.push([e.fields.x, e.fields.y]);
      if (t.length > TRAIL_POINTS) t.shift();
    }
    for (const id of this.trails.keys()) if (!byId.has(id)) this.trails.delete(id);
    const ds = this.canvas.dataset;
    ds.tick = String(f.tick ?? 0);
    ds.frames = String(this.frames);
    ds.players = String(players);
    ds.pickups = String(pickups);
    ds.state = String(f.state ?? '');
    renderScoreboard();
    renderPlayerScores();
    setText($('d-fps'), `${this.fps().toFixed(1)} frames/s`);
    this.requestDraw();
  },

  scoreOf(player) {
    const e = this.cur?.byId.get(player);
    return e && e.kind === 'player' && isNum(e.fields.score) ? e.fields.score : null;
  },

  fps() {
    const t = this.frameTimes;
    if (t.length < 2) return 0;
    return ((t.length - 1) * 1000) / (t[t.length - 1] - t[0]);
  },

  requestDraw() {
    if (!this.raf && this.ctx) this.raf = requestAnimationFrame(() => this.draw());
  },

  draw() {
    this.raf = 0;
    const { ctx, canvas } = this;
    const W = canvas.width;
    const dpr = this.dpr;
    const pad = 10 * dpr;
    const inner = W - pad * 2;
    const k = inner / this.size; // canvas px per fixed-point unit
    const u = 100 * k; // canvas px per game unit
    const X = (x) => pad + x * k;

    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, W);
    ctx.fillStyle = '#070b12';
    ctx.fillRect(0, 0, W, W);
    // Floor with a 10-unit grid.
    ctx.fillStyle = '#0c1320';
    ctx.fillRect(pad, pad, inner, inner);
    ctx.lineWidth = Math.max(1, dpr * 0.75);
    for (let i = 1; i < 10; i++) {
      const p = Math.round(pad + (inner * i) / 10) + 0.5;
      ctx.strokeStyle = i === 5 ? '#1c2940' : '#142033';
      ctx.beginPath();
      ctx.moveTo(p, pad);
      ctx.lineTo(p, pad + inner);
      ctx.moveTo(pad, p);
      ctx.lineTo(pad + inner, p);
      ctx.stroke();
    }
    ctx.strokeStyle = '#2b3b57';
    ctx.lineWidth = 1.5 * dpr;
    ctx.strokeRect(pad, pad, inner, inner);

    const cur = this.cur;
    if (!cur) {
      ctx.fillStyle = '#5b6880';
      ctx.font = `${13 * dpr}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      const msg = S.selected === null ? 'No lobby selected' : `Spectator stream: ${this.statusText || 'connecting…'}`;
      ctx.fillText(msg, W / 2, W / 2);
      return;
    }

    // Interpolate between the last two frames (~10/s) for smooth motion.
    const span = this.prev ? Math.max(40, Math.min(400, this.curAt - this.prevAt)) : 1;
    const a = this.prev ? Math.min(1, (performance.now() - this.curAt) / span) : 1;
    const pos = (e) => {
      const p = this.prev?.byId.get(e.id);
      if (!p || p.kind !== e.kind || a >= 1) return [e.fields.x, e.fields.y];
      const dx = e.fields.x - p.fields.x;
      const dy = e.fields.y - p.fields.y;
      if (Math.abs(dx) + Math.abs(dy) > 2000) return [e.fields.x, e.fields.y]; // teleport
      return [p.fields.x + dx * a, p.fields.y + dy * a];
    };

    const players = [];
    const others = [];
    for (const e of cur.byId.values()) {
      if (!isNum(e.fields.x) || !isNum(e.fields.y)) continue;
      (e.kind === 'player' ? players : others).push(e);
    }

    // Pickups (and any other positioned entity) as diamonds.
    for (const e of others) {
      const [x, y] = pos(e);
      const v = e.fields.value;
      const r = (e.kind === 'pickup' ? 0.7 + 0.3 * Math.min(3, Math.max(1, v || 1)) : 1) * u;
      ctx.save();
      ctx.translate(X(x), X(y));
      ctx.rotate(Math.PI / 4);
      ctx.fillStyle = e.kind === 'pickup' ? PICKUP_COLORS[v] || '#9aa7bd' : '#9aa7bd';
      ctx.shadowColor = ctx.fillStyle;
      ctx.shadowBlur = 8 * dpr;
      ctx.fillRect(-r / 1.6, -r / 1.6, (r * 2) / 1.6, (r * 2) / 1.6);
      ctx.restore();
    }

    // Player trails.
    ctx.lineCap = 'round';
    for (const e of players) {
      const t = this.trails.get(e.id);
      if (!t || t.length < 2) continue;
      const col = playerColor(e.id);
      for (let i = 1; i < t.length; i++) {
        ctx.globalAlpha = (i / t.length) * 0.45;
        ctx.strokeStyle = col;
        ctx.lineWidth = u * 0.8 * (i / t.length);
        ctx.beginPath();
        ctx.moveTo(X(t[i - 1][0]), X(t[i - 1][1]));
        ctx.lineTo(X(t[i][0]), X(t[i][1]));
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
    }

    // Players.
    const pr = 2 * u;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (const e of players) {
      const [x, y] = pos(e);
      const cx = X(x);
      const cy = X(y);
      const col = playerColor(e.id);
      ctx.beginPath();
      ctx.arc(cx, cy, pr, 0, Math.PI * 2);
      ctx.fillStyle = col;
      ctx.shadowColor = col;
      ctx.shadowBlur = 10 * dpr;
      ctx.fill();
      ctx.shadowBlur = 0;
      ctx.lineWidth = (e.fields.boost ? 2.5 : 1.25) * dpr;
      ctx.strokeStyle = e.fields.boost ? '#ffffff' : 'rgba(0,0,0,.55)';
      ctx.stroke();
      const name = this.names.get(e.id) ?? `#${e.id}`;
      const label = isNum(e.fields.score) ? `${name} · ${e.fields.score}` : name;
      ctx.font = `600 ${11 * dpr}px system-ui, sans-serif`;
      const tw = ctx.measureText(label).width;
      // Keep the label inside the canvas: above the player, or below it at the top edge.
      const lh = 15 * dpr;
      const above = cy - pr - 3 * dpr - lh >= 0;
      const ly = above ? cy - pr - 3 * dpr : cy + pr + 3 * dpr + lh;
      const lx = Math.min(W - tw / 2 - 6 * dpr, Math.max(tw / 2 + 6 * dpr, cx));
      ctx.fillStyle = 'rgba(7, 11, 18, .72)';
      ctx.fillRect(lx - tw / 2 - 4 * dpr, ly - 14 * dpr, tw + 8 * dpr, lh);
      ctx.fillStyle = '#e3e9f2';
      ctx.fillText(label, lx, ly);
    }

    // Overlay: tick, state, frame rate.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.font = `600 ${11 * dpr}px ui-monospace, Menlo, Consolas, monospace`;
    const info = `tick ${cur.tick ?? '?'} · ${cur.state ?? ''} · ${this.fps().toFixed(1)} fps`;
    const iw = ctx.measureText(info).width;
    ctx.fillStyle = 'rgba(7, 11, 18, .8)';
    ctx.fillRect(pad + 6 * dpr, pad + 6 * dpr, iw + 12 * dpr, 18 * dpr);
    ctx.fillStyle = '#8694aa';
    ctx.fillText(info, pad + 12 * dpr, pad + 9 * dpr);

    canvas.dataset.drawnTick = String(cur.tick ?? 0);
    // Keep animating while interpolation has somewhere to go.
    if (a < 1) this.requestDraw();
  },
};

function renderScoreboard() {
  const cur = arena.cur;
  const ol = $('scoreboard');
  if (!cur) {
    ol.replaceChildren(el('li', { class: 'empty-li', text: 'No frames yet.' }));
    return;
  }
  const players = [...cur.byId.values()].filter((e) => e.kind === 'player');
  players.sort((a, b) => (b.fields.score ?? 0) - (a.fields.score ?? 0) || a.id - b.id);
  if (!players.length) {
    ol.replaceChildren(el('li', { class: 'empty-li', text: 'No players.' }));
    return;
  }
  const items = players.map((e) => {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = playerColor(e.id);
    return el(
      'li',
      { dataset: { player: String(e.id) } },
      sw,
      el('span', { class: 'sb-name', text: arena.names.get(e.id) ?? `#${e.id}` }),
      e.fields.boost ? el('span', { class: 'sb-boost', text: 'BOOST' }) : null,
      el('span', { class: 'sb-score', text: fmtInt(e.fields.score) }),
    );
  });
  ol.replaceChildren(...items);
}

// ---------------------------------------------------------------------------------------
// Confirmation dialog

let dialogResolve = null;

/** Ask before an action. Resolves to {reason} when confirmed, or null. */
function confirmAction({ title, body, ok = 'Confirm', reason = null, reasonLabel = 'Reason' }) {
  const dlg = $('confirm');
  if (dlg.open) closeDialog();
  setText($('confirm-title'), title);
  setText($('confirm-body'), body);
  setText($('confirm-ok'), ok);
  const wrap = $('confirm-reason-wrap');
  wrap.hidden = reason === null;
  setText($('confirm-reason-label'), reasonLabel);
  $('confirm-reason').value = reason ?? '';
  return new Promise((resolve) => {
    dialogResolve = resolve;
    dlg.showModal();
    $('confirm-cancel').focus();
  });
}

function closeDialog(result = null) {
  const dlg = $('confirm');
  const r = dialogResolve;
  dialogResolve = null;
  if (dlg.open) dlg.close();
  if (r) r(result);
}

function wireDialog() {
  const dlg = $('confirm');
  $('confirm-form').addEventListener('submit', (e) => {
    e.preventDefault();
    closeDialog({ reason: $('confirm-reason').value.trim() });
  });
  $('confirm-cancel').addEventListener('click', () => closeDialog(null));
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    closeDialog(null);
  });
  // A click on the backdrop cancels.
  dlg.addEventListener('click', (e) => {
    if (e.target === dlg) closeDialog(null);
  });
}

// ---------------------------------------------------------------------------------------
// Operator actions

async function kickPlayer(session) {
  const p = S.detail?.players_detail?.find((x) => x.session === session);
  if (p) await kick({ session, name: p.name, player: p.player, where: `in lobby #${S.selected}` });
}

async function kickSession(session) {
  const s = S.sessions.find((x) => x.id === session);
  if (!s) return;
  const where = isNum(s.lobby) ? `in lobby #${s.lobby}` : `(${String(s.state).replaceAll('_', ' ')})`;
  await kick({ session, name: s.name, player: s.player, where });
}

async function kick({ session, name, player, where }) {
  const res = await confirmAction({
    title: `Kick ${name}?`,
    body: `Player #${player} (session ${session}) ${where} gets the error "kicked" with this reason and is disconnected; a seat is given up at once.`,
    ok: 'Kick player',
    reason: 'kicked by an operator',
    reasonLabel: 'Reason (shown to the player)',
  });
  if (!res) return;
  try {
    await api(`/admin/sessions/${session}/kick`, {
      method: 'POST',
      body: { reason: res.reason || 'kicked by an operator' },
    });
    S.removing.add(session);
    renderDetail();
    renderSessions();
    toast(`Kicking ${name} (session ${session}).`, 'ok');
  } catch (e) {
    if (e.status === 401) return;
    toast(e.status === 404 ? `${name} is already gone.` : `Kick failed: ${describeError(e)}`, 'bad');
  }
  refreshSoon();
}

async function closeLobby() {
  const id = S.selected;
  const d = S.detail;
  if (id === null || !d) return;
  const res = await confirmAction({
    title: `Close lobby #${id}?`,
    body: `The ${d.mode} match (${d.players} player${d.players === 1 ? '' : 's'}, ${d.state}) ends now; every player is told the lobby closed, with this reason.`,
    ok: 'Close lobby',
    reason: 'closed by an operator',
    reasonLabel: 'Reason (shown to the players)',
  });
  if (!res) return;
  try {
    await api(`/admin/lobbies/${id}/close`, { method: 'POST', body: { reason: res.reason || 'closed by an operator' } });
    toast(`Closing lobby #${id}.`, 'ok');
  } catch (e) {
    if (e.status === 401) return;
    toast(e.status === 404 ? `Lobby #${id} is already gone.` : `Close failed: ${describeError(e)}`, 'bad');
  }
  refreshSoon();
}

async function drainServer() {
  const res = await confirmAction({
    title: 'Drain this server?',
    body:
      'Matchmaking stops: no new matches start. Every player gets a shutdown notice, running matches play on (up to the drain timeout), and the server exits when the last lobby has closed. This cannot be undone from the dashboard.',
    ok: 'Start drain',
  });
  if (!res) return;
  try {
    const r = await api('/admin/drain', { method: 'POST' });
    const t = isNum(r?.timeout_ms) ? ` (timeout ${fmtDuration(r.timeout_ms)})` : '';
    toast(`Draining${t}: no new matches.`, 'ok', 6000);
  } catch (e) {
    if (e.status === 401) return;
    toast(`Drain failed: ${describeError(e)}`, 'bad');
  }
  refreshSoon();
}

async function sendNotice(ev) {
  ev.preventDefault();
  const text = $('notice-text').value.trim();
  const severity = $('notice-severity').value;
  const status = $('notice-status');
  if (!text) return;
  const res = await confirmAction({
    title: `Send a ${severity} notice?`,
    body: `Every connected session receives: “${text.length > 160 ? `${text.slice(0, 160)}…` : text}”`,
    ok: 'Send to everyone',
  });
  if (!res) return;
  const btn = $('notice-send');
  btn.disabled = true;
  try {
    const r = await api('/admin/notice', { method: 'POST', body: { text, severity } });
    const n = r?.delivered ?? 0;
    status.className = 'small ok';
    status.textContent = `Delivered to ${n} session${n === 1 ? '' : 's'} at ${new Date().toLocaleTimeString([], { hour12: false })}.`;
    status.dataset.delivered = String(n);
    $('notice-text').value = '';
    updateNoticeCount();
  } catch (e) {
    if (e.status === 401) return;
    status.className = 'small bad';
    status.textContent = `Not sent: ${describeError(e)}`;
  } finally {
    btn.disabled = false;
  }
}

function updateNoticeCount() {
  setText($('notice-count'), `${$('notice-text').value.length} / 500`);
}

// ---------------------------------------------------------------------------------------
// Wiring

function init() {
  arena.init();
  wireDialog();
  renderScoreboard();

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token').value.trim();
    if (t) signIn(t);
  });
  $('logout-btn').addEventListener('click', () => signOut(null));
  $('drain-btn').addEventListener('click', drainServer);
  $('close-lobby-btn').addEventListener('click', closeLobby);
  $('notice-form').addEventListener('submit', sendNotice);
  $('notice-text').addEventListener('input', updateNoticeCount);
  for (const id of ['filter-mode', 'filter-state']) $(id).addEventListener('change', refreshSoon);

  const rows = $('lobby-rows');
  rows.addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-lobby-id]');
    if (tr) selectLobby(Number(tr.dataset.lobbyId));
  });
  rows.addEventListener('keydown', (e) => {
    const tr = e.target.closest('tr[data-lobby-id]');
    if (!tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      selectLobby(Number(tr.dataset.lobbyId));
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
      next?.focus();
    }
  });
  window.addEventListener('hashchange', () => {
    if (S.token) selectFromHash();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('confirm').open && S.selected !== null && !e.target.closest('input, textarea, select')) {
      selectLobby(null);
    }
  });

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved, { fromStorage: true });
  else showLogin(null);
}

init();
