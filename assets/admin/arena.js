// The arena canvas: draws the spectator frames (interpolated, with trails), and the
// scoreboard beside it.

import { renderPlayerScores } from './detail.js';
import { $, el, setText } from './dom.js';
import { fmtInt, isNum, playerColor } from './format.js';
import { S } from './state.js';

const ARENA_DEFAULT_SIZE = 10000; // fixed-point (1/100 unit): 100 x 100 units
const TRAIL_POINTS = 24;
const PICKUP_COLORS = { 1: '#46d3c1', 2: '#f5c542', 3: '#f472b6' };

export const arena = {
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

export function renderScoreboard() {
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
