// What the selected lobby's game looks like: kinds, fields and globals from the lobby
// detail's `schema` (the same shape as protocol 2's `match_found.schema`), falling back to
// what the spectator frames carry. The dashboard draws any game from this instead of one
// game's constants, so a new game needs no dashboard change.

import { isNum } from './format.js';

// Saturated colours, one a kind in schema order (players keep their own colours on the map).
const KIND_COLORS = ['#4f9dff', '#46d3c1', '#f5c542', '#f472b6', '#ff8a4c', '#a3e635', '#c084fc', '#ff5f87'];

/** The schema of `detail` when it has a usable one, else null. */
export function schemaOf(detail) {
  const s = detail?.schema;
  return s && typeof s === 'object' && Array.isArray(s.kinds) ? s : null;
}

/**
 * The kind names to show: the schema's (in its order), then any kind seen in a frame but
 * missing from the schema (an older server without `schema`).
 */
export function kindNames(schema, frameKinds = []) {
  const names = schema ? schema.kinds.map((k) => String(k.kind)) : [];
  for (const k of frameKinds) if (!names.includes(k)) names.push(k);
  return names;
}

/** The colour of a kind: by its place in `names` so the legend and the map agree. */
export function kindColor(names, kind) {
  const i = names.indexOf(kind);
  return KIND_COLORS[(i < 0 ? names.length : i) % KIND_COLORS.length];
}

/** The field names of `kind` from the schema, or null when the schema does not name it. */
export function kindFields(schema, kind) {
  const k = schema?.kinds.find((x) => x.kind === kind);
  return k && Array.isArray(k.fields) ? k.fields.map((f) => String(f.name)) : null;
}

/** The schema's field entry (`{name, type, min?, max?, private?}`) of `kind.field`. */
export function fieldSchema(schema, kind, field) {
  return schema?.kinds.find((x) => x.kind === kind)?.fields?.find((f) => f.name === field) ?? null;
}

/** The global names: the schema's order first, then any extra the frame has. */
export function globalNames(schema, globals) {
  const names = Array.isArray(schema?.globals) ? schema.globals.map((g) => String(g.name)) : [];
  for (const k of Object.keys(globals ?? {})) if (!names.includes(k)) names.push(k);
  return names;
}

/**
 * A typed state value as text. `null` is a private value this viewer may not see (or an
 * absent one): shown as "hidden", never as 0 or an empty string that would look real.
 */
export function fmtValue(v) {
  if (v === null || v === undefined) return 'hidden';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (isNum(v)) return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

/** Whether an entity has a drawable position (numeric `x` and `y`, int or float). */
export const hasPos = (e) => isNum(e?.fields?.x) && isNum(e?.fields?.y);

/** Whether an entity sits on a board (numeric `column` and `row`). */
export const hasCell = (e) => isNum(e?.fields?.column) && isNum(e?.fields?.row);
