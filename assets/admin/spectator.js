// The spectator WebSocket /admin/lobbies/{id}/watch?token=...: JSON frames of the selected
// lobby for the arena canvas, reconnected with a growing delay while the lobby lives. With
// `&player=N` (setView) the frames are what member N is sent, labelled `player:N`; without,
// the whole world (`world`).

import { arena } from './arena.js';
import { $, setText } from './dom.js';
import { S } from './state.js';

export const spectator = {
  ws: null,
  lobby: null,
  retry: 0,
  timer: 0,
  stopped: true,
  view: null, // the member whose view is watched, or null for the world

  start(lobby) {
    this.stop();
    this.lobby = lobby;
    this.view = null;
    this.stopped = false;
    this.retry = 0;
    this.connect();
  },

  /** Watch member `player`'s view (a number), or the world (null): a new stream. */
  setView(player) {
    const next = player === null || player === undefined || Number.isNaN(player) ? null : Number(player);
    if (next === this.view || this.lobby === null) return;
    const lobby = this.lobby;
    this.stop();
    this.lobby = lobby;
    this.view = next;
    this.stopped = false;
    this.retry = 0;
    // Frames of another view must not be interpolated into this one's.
    arena.clearFrames(next);
    this.connect();
  },

  /** The `view` label the frames of the current stream carry. */
  label() {
    return this.view === null ? 'world' : `player:${this.view}`;
  },

  connect() {
    if (this.stopped || !S.token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const who = this.view === null ? '' : `&player=${this.view}`;
    const url = `${scheme}://${location.host}/admin/lobbies/${this.lobby}/watch?token=${encodeURIComponent(S.token)}${who}`;
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
      // A server without views labels nothing: its frames are the world.
      if ((f.view ?? 'world') !== this.label()) return;
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
