// Operator actions (kick, close lobby, drain, notice), each behind a confirmation dialog.

import { api, describeError } from './api.js';
import { renderDetail } from './detail.js';
import { $, setText, toast } from './dom.js';
import { fmtDuration, isNum } from './format.js';
import { refreshSoon, renderSessions } from './panels.js';
import { S } from './state.js';

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

export function closeDialog(result = null) {
  const dlg = $('confirm');
  const r = dialogResolve;
  dialogResolve = null;
  if (dlg.open) dlg.close();
  if (r) r(result);
}

export function wireDialog() {
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

export async function kickPlayer(session) {
  const p = S.detail?.players_detail?.find((x) => x.session === session);
  if (p) await kick({ session, name: p.name, player: p.player, where: `in lobby #${S.selected}` });
}

export async function kickSession(session) {
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

export async function closeLobby() {
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

export async function drainServer() {
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

export async function sendNotice(ev) {
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

export function updateNoticeCount() {
  setText($('notice-count'), `${$('notice-text').value.length} / 500`);
}
