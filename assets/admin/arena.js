// The map canvas: draws the spectator frames of any game (entities with `x`/`y` placed on
// the map, interpolated, players with trails; `column`/`row` entities on a board), the
// scoreboard, the legend of the lobby's own kinds and its globals beside it. Kinds, fields
// and globals come from the lobby's schema (S.schema) and the frames, not one game's names.
// The frames are the world or one member's view (spectator.setView): the map draws exactly
// what the frames hold, marks the member whose view it is, and rings players by `team`.

import { drawBoard, renderEntityTable } from './board.js';
import { renderPlayerScores } from './detail.js';
import { $, el, setText } from './dom.js';
import { fmtInt, isNum, playerColor } from './format.js';
import { fmtValue, globalNames, hasPos, kindColor, kindFields, kindNames } from './schema.js';
import { S } from './state.js';

// The v1 arena's fixed-point map (1/100 unit: 100 x 100 units) when neither the schema's
// `x`/`y` ranges nor the game summary say otherwise.
const ARENA_DEFAULT_SIZE = 10000;
const TRAIL_POINTS = 24;
// Ring colours of players by a numeric `team` field (team 0, 1, ...).
const TEAM_COLORS = ['#ff5f87', '#46d3c1', '#f5c542', '#c084fc'];

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
  viewer: null, // the member whose view the frames are, or null for the world
  viewOf: '', // the `view` label of the last frame

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

  /** Forget the frames (another lobby, or another view of this one: `viewer`). */
  clearFrames(viewer = null) {
    this.prev = this.cur = null;
    this.frames = 0;
    this.frameTimes = [];
    this.trails.clear();
    this.viewer = viewer;
    this.viewOf = '';
    const c = this.canvas;
    if (c) Object.assign(c.dataset, { tick: '0', drawnTick: '0', frames: '0', players: '0', pickups: '0', entities: '0', viewOf: '' });
    this.requestDraw();
  },

  reset() {
    this.clearFrames(null);
    this.names = new Map();
    this.size = ARENA_DEFAULT_SIZE;
    const c = this.canvas;
    if (c) Object.assign(c.dataset, { tick: '0', drawnTick: '0', frames: '0', players: '0', pickups: '0', view: '' });
    renderLegend();
    renderGlobals();
    renderEntityTable(null, { schema: null, kinds: [] });
    this.requestDraw();
  },

  /** The kinds to show, in a stable order: the schema's, then any only the frames name. */
  kinds() {
    return kindNames(S.schema, this.cur ? [...new Set([...this.cur.byId.values()].map((e) => e.kind))] : []);
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
    const globals = f.globals && typeof f.globals === 'object' ? f.globals : {};
    this.cur = { tick: f.tick, state: f.state, game: f.game, byId, players, pickups, globals };
    this.curAt = now;
    this.frames++;
    this.frameTimes.push(now);
    while (this.frameTimes.length && now - this.frameTimes[0] > 2000) this.frameTimes.shift();
    // Trails of players.
    for (const [id, e] of byId) {
      if (e.kind !== 'player' || !hasPos(e)) continue;
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
    ds.entities = String(byId.size);
    this.viewOf = String(f.view ?? 'world');
    ds.viewOf = this.viewOf;
    renderScoreboard();
    renderLegend();
    renderGlobals();
    renderEntityTable(this.cur, { schema: S.schema, kinds: this.kinds() });
    renderPlayerScores();
    setText($('d-fps'), `${this.fps().toFixed(1)} frames/s`);
    this.requestDraw();
  },

  /**
   * Field `name` of player `player`'s entity (a `player` entity's id is its player id):
   * undefined when there is no such entity or field, null when the value is hidden.
   */
  fieldOf(player, name) {
    const e = this.cur?.byId.get(player);
    return e && e.kind === 'player' ? e.fields[name] : undefined;
  },

  /**
   * The `player` kind's field names for the player table: the schema's, else those the
   * frames show; without `x`/`y`, which the map already shows (and would crowd the table).
   */
  playerFields() {
    const e = this.cur && [...this.cur.byId.values()].find((x) => x.kind === 'player');
    const names = kindFields(S.schema, 'player') ?? (e ? Object.keys(e.fields) : []);
    return names.filter((n) => n !== 'x' && n !== 'y');
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
    const k = inner / this.size; // canvas px per map unit (the schema's `x`/`y` unit)
    const u = inner / 100; // entity sizes are in hundredths of the map, whatever its unit
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
      if (Math.abs(dx) + Math.abs(dy) > this.size / 5) return [e.fields.x, e.fields.y]; // teleport
      return [p.fields.x + dx * a, p.fields.y + dy * a];
    };

    const players = [];
    const others = [];
    for (const e of cur.byId.values()) {
      if (!hasPos(e)) continue;
      (e.kind === 'player' ? players : others).push(e);
    }
    const kinds = this.kinds();
    // No positions at all: a board for `column`/`row` kinds, else the entity table only.
    let view = players.length + others.length ? 'map' : 'table';
    if (view === 'table' && drawBoard(ctx, cur, { schema: S.schema, kinds, pad, inner, dpr }) > 0) view = 'board';
    else if (view === 'table' && S.schema?.kinds.some((k) => k.fields?.some((f) => f.name === 'column'))) view = 'board';
    canvas.dataset.view = view;

    // Every other positioned entity as a diamond in its kind's colour (as in the legend),
    // larger for a bigger numeric `value` (1..3) when the kind has one.
    for (const e of others) {
      const [x, y] = pos(e);
      const v = e.fields.value;
      const r = (isNum(v) ? 0.7 + 0.3 * Math.min(3, Math.max(1, v)) : 1) * u;
      ctx.save();
      ctx.translate(X(x), X(y));
      ctx.rotate(Math.PI / 4);
      ctx.fillStyle = kindColor(kinds, e.kind);
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
      if (isNum(e.fields.team)) {
        ctx.beginPath();
        ctx.arc(cx, cy, pr + 2.5 * dpr, 0, Math.PI * 2);
        ctx.lineWidth = 2 * dpr;
        ctx.strokeStyle = TEAM_COLORS[Math.abs(e.fields.team) % TEAM_COLORS.length];
        ctx.stroke();
      }
      if (e.id === this.viewer) {
        // The member whose view this is: a white ring and a crosshair.
        ctx.beginPath();
        ctx.arc(cx, cy, pr + 6 * dpr, 0, Math.PI * 2);
        ctx.lineWidth = 2 * dpr;
        ctx.strokeStyle = '#ffffff';
        ctx.setLineDash([4 * dpr, 3 * dpr]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      const name = this.names.get(e.id) ?? (typeof e.fields.name === 'string' ? e.fields.name : `#${e.id}`);
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
    const seen = this.viewer === null ? 'world' : `view of ${this.names.get(this.viewer) ?? `#${this.viewer}`}`;
    const info = `tick ${cur.tick ?? '?'} · ${cur.state ?? ''} · ${this.fps().toFixed(1)} fps · ${seen}`;
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
      el('span', { class: 'sb-name', text: arena.names.get(e.id) ?? (typeof e.fields.name === 'string' ? e.fields.name : `#${e.id}`) }),
      e.fields.boost ? el('span', { class: 'sb-boost', text: 'BOOST' }) : null,
      'score' in e.fields ? el('span', { class: 'sb-score', text: e.fields.score === null ? 'hidden' : fmtInt(e.fields.score) }) : null,
    );
  });
  ol.replaceChildren(...items);
}

/**
 * The legend: the lobby's own kinds (schema order), each with the colour the map and the
 * entity table use; kinds drawn in each player's colour get a swatch of several. Rebuilt
 * only when the list changes.
 */
export function renderLegend() {
  const box = $('legend');
  const kinds = arena.kinds();
  const sig = kinds.join('\u0000');
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const items = kinds.map((k) => {
    // Players, and pieces owned by one (a numeric `player` field), take each player's colour.
    const perPlayer = k === 'player' || kindFields(S.schema, k)?.includes('player');
    const sw = el('i', { class: `lg${perPlayer ? ' lg-multi' : ''}` });
    if (!perPlayer) sw.style.background = kindColor(kinds, k);
    return el('span', { dataset: { kind: k } }, sw, el('span', { text: k }));
  });
  if (!items.length) items.push(el('span', { class: 'muted', text: 'no kinds yet' }));
  box.replaceChildren(...items);
}

/** The lobby's globals (turn, moves, time left, ...) by name, from the latest frame. */
export function renderGlobals() {
  const dl = $('d-globals');
  const globals = arena.cur?.globals ?? {};
  const names = globalNames(S.schema, globals);
  $('globals-wrap').hidden = names.length === 0;
  if (dl.childElementCount !== names.length * 2) dl.replaceChildren();
  names.forEach((name, i) => {
    let dt = dl.children[i * 2];
    let dd = dl.children[i * 2 + 1];
    if (!dt) dl.append((dt = el('dt')), (dd = el('dd')));
    dt.dataset.global = name;
    dd.dataset.global = name;
    setText(dt, name);
    const v = arena.cur ? globals[name] : undefined;
    setText(dd, v === undefined ? '–' : fmtValue(v));
    dd.classList.toggle('hidden-value', Boolean(arena.cur) && v === null);
  });
}
