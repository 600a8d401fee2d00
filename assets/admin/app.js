// Tickwave admin dashboard: plain ES modules, no dependencies.
//
// Data: the JSON API under /admin/* (Authorization: Bearer <token>), polled every second,
// and the spectator WebSocket /admin/lobbies/{id}/watch?token=... for the live arena.
// The token lives in sessionStorage (this tab only). Everything the server sends is put
// into the page with textContent, never as HTML. No inline scripts or handlers, so a strict
// Content-Security-Policy (script-src 'self') works.
//
// The entry point: wires the page's controls and starts. The modules, by concern:
//   state.js      the shared mutable state (one object, S)
//   format.js     number, duration and size formatting; player colours
//   dom.js        DOM helpers, toasts, banner, connection status
//   api.js        the JSON API, sign in and out
//   panels.js     polling, server stats, lobbies, matchmaking, sessions
//   detail.js     the selected lobby: stats, players, chat
//   spectator.js  the spectator WebSocket
//   arena.js      the arena canvas and scoreboard
//   actions.js    the confirmation dialog and operator actions
// Modules import each other in cycles (for example api.js <-> panels.js); that is safe
// because no module uses an import while it is being evaluated, only later from functions.

import { closeLobby, drainServer, sendNotice, updateNoticeCount, wireDialog } from './actions.js';
import { TOKEN_KEY, showLogin, signIn, signOut } from './api.js';
import { arena, renderScoreboard } from './arena.js';
import { initViewSelect, selectFromHash, selectLobby } from './detail.js';
import { $ } from './dom.js';
import { refreshSoon } from './panels.js';
import { S } from './state.js';

function init() {
  arena.init();
  initViewSelect();
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
