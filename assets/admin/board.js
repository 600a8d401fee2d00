// Views for games whose entities have no `x`/`y`: a board for kinds with `column`/`row`
// fields (connect4's discs), drawn on the map canvas, and a table of every entity with its
// fields by name. Both come from the schema and the frame, never from one game's constants.

import { $, el, setText } from './dom.js';
import { isNum, playerColor } from './format.js';
import { fieldSchema, fmtValue, hasCell, hasPos, kindColor, kindFields } from './schema.js';

const TABLE_MAX_ROWS = 200;

/** The board's size: the schema's `column`/`row` ranges, else what the frame shows. */
function boardSize(schema, cells) {
  let cols = 0;
  let rows = 0;
  for (const e of cells) {
    cols = Math.max(cols, e.fields.column + 1);
    rows = Math.max(rows, e.fields.row + 1);
    const c = fieldSchema(schema, e.kind, 'column');
    const r = fieldSchema(schema, e.kind, 'row');
    if (isNum(c?.max)) cols = Math.max(cols, c.max + 1);
    if (isNum(r?.max)) rows = Math.max(rows, r.max + 1);
  }
  return [Math.min(64, Math.max(1, cols)), Math.min(64, Math.max(1, rows))];
}

/**
 * Draws the cell entities of `cur` on a board filling the square `pad..pad+inner`; row 0 at
 * the bottom (the convention of gravity games such as connect4). A cell entity with a
 * numeric `player` field takes that player's colour, so it matches the scoreboard.
 * Returns how many were drawn.
 */
export function drawBoard(ctx, cur, { schema, kinds, pad, inner, dpr }) {
  const cells = [...cur.byId.values()].filter(hasCell);
  // A kind the schema gives `column` and `row` is a board even before its first piece.
  const boardKind = schema?.kinds.find((k) => ['column', 'row'].every((n) => k.fields?.some((f) => f.name === n)))?.kind;
  if (!cells.length && !boardKind) return 0;
  const [cols, rows] = boardSize(schema, cells.length ? cells : [{ kind: boardKind, fields: { column: 0, row: 0 } }]);
  const cell = inner / Math.max(cols, rows);
  const ox = pad + (inner - cell * cols) / 2;
  const oy = pad + (inner - cell * rows) / 2;
  ctx.fillStyle = '#13233f';
  ctx.fillRect(ox, oy, cell * cols, cell * rows);
  ctx.fillStyle = '#070b12';
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      ctx.beginPath();
      ctx.arc(ox + (c + 0.5) * cell, oy + (rows - r - 0.5) * cell, cell * 0.38, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  for (const e of cells) {
    const { column, row, player } = e.fields;
    const col = isNum(player) ? playerColor(player) : kindColor(kinds, e.kind);
    ctx.beginPath();
    ctx.arc(ox + (column + 0.5) * cell, oy + (rows - row - 0.5) * cell, cell * 0.38, 0, Math.PI * 2);
    ctx.fillStyle = col;
    ctx.shadowColor = col;
    ctx.shadowBlur = 8 * dpr;
    ctx.fill();
    ctx.shadowBlur = 0;
  }
  return cells.length;
}

/**
 * The entity table: shown while the frame has entities the map cannot place (no `x`/`y`),
 * one row an entity with its kind and every field by name; hidden values read "hidden".
 */
export function renderEntityTable(cur, { schema, kinds }) {
  const wrap = $('entities-section');
  const all = cur ? [...cur.byId.values()] : [];
  const show = all.some((e) => !hasPos(e));
  wrap.hidden = !show;
  if (!show) return;
  all.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.id - b.id);
  const rows = all.slice(0, TABLE_MAX_ROWS).map((e) => {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = kindColor(kinds, e.kind);
    const fields = el('td', { class: 'efields' });
    // The schema's field order (the frame's JSON object need not keep it), then any extra.
    const names = kindFields(schema, e.kind) ?? [];
    for (const k of Object.keys(e.fields)) if (!names.includes(k)) names.push(k);
    for (const k of names) {
      const v = e.fields[k];
      fields.append(
        el(
          'span',
          { class: `efield${v === null ? ' hidden-value' : ''}`, dataset: { field: k } },
          el('span', { class: 'ek', text: k }),
          el('span', { class: 'ev', text: fmtValue(v) }),
        ),
      );
    }
    return el(
      'tr',
      { dataset: { entity: String(e.id), kind: e.kind } },
      el('td', { class: 'num dim', text: String(e.id) }),
      el('td', {}, sw, el('span', { text: e.kind })),
      fields,
    );
  });
  $('entity-rows').replaceChildren(...rows);
  setText($('entities-count'), all.length > TABLE_MAX_ROWS ? `${TABLE_MAX_ROWS} of ${all.length}` : String(all.length));
}
