// The JSON API under /admin/* (Authorization: Bearer <token>), and signing in and out.
// The token lives in sessionStorage (this tab only).

import { closeDialog } from './actions.js';
import { selectFromHash, selectLobby } from './detail.js';
import { $ } from './dom.js';
import { startPolling, stopPolling } from './panels.js';
import { S } from './state.js';

export const TOKEN_KEY = 'tickwave.admin.token';
const REQUEST_TIMEOUT_MS = 8000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
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

export function describeError(e) {
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

export function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('token').value = '';
  $('token').focus();
  document.title = 'Tickwave admin · sign in';
}

export async function signIn(token, { fromStorage = false } = {}) {
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

export function signOut(message) {
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
