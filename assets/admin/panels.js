// Polling the API every second, and the panels it fills: server stats, lobbies,
// matchmaking and sessions.

import { kickSession } from './actions.js';
import { ApiError, api, describeError } from './api.js';
import { renderDetail } from './detail.js';
import { $, banner, el, setCell, setConn, setText, syncRows } from './dom.js';
import { fmtDuration, fmtInt, fmtMs, fmtUs, isNum, level, playerColor } from './format.js';
import { spectator } from './spectator.js';
import { S } from './state.js';

const POLL_MS = 1000;
const STALE_MS = 3500;
const SESSION_LIMIT = 200; // rows in the sessions panel

export function startPolling() {
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

export function stopPolling() {
  S.polling = false;
  S.pollGen++;
  clearTimeout(S.pollTimer);
}

/** Refresh now (after an action) without waiting for the next tick of the loop. */
export function refreshSoon() {
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
  tr.dataset.mode = String(l.mode ?? '');
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

export function renderSessions() {
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
