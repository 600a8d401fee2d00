// Which view plays a lobby, decided from its `match_found.schema` alone (never from the mode
// name: a mode's name says nothing about its game, and `arena` may run either arena).
//
// Pure functions, no DOM: tests/browser/logic.test.mjs runs them in node.

/** The SDK's parsed v2 schema (`client.lobby.typed`) → `{ name, ... }` of the view to use. */
export function viewOf(schema) {
  if (!schema) return { name: "none" };
  const kind = (k) => schema.kinds.find((x) => x.kind === k);
  const disc = kind("disc");
  if (disc && hasFields(disc, "column", "row", "player") && schema.commands.some((c) => c.name === "drop")) {
    return { name: "connect4" };
  }
  const cell = kind("ship_cell");
  if (cell && hasFields(cell, "owner", "x", "y", "hit") && schema.commands.some((c) => c.name === "fire")) {
    return { name: "battleship" };
  }
  const player = kind("player");
  if (player && hasFields(player, "x", "y")) {
    const input = new Set(schema.input.map((f) => f.name));
    return {
      name: "arena",
      range: rangeOf(player.fields.find((f) => f.name === "x")),
      // v2 arena: aim follows the pointer, fire and dash are buttons; v1: one action button.
      aim: input.has("aim"),
      fire: input.has("fire"),
      dash: input.has("dash"),
      action: input.has("action"),
      // Movement as `dx`/`dy` (the arenas) or `mx`/`my` (fog).
      move: (input.has("dx") && input.has("dy")) || (input.has("mx") && input.has("my")),
      moveKeys: input.has("dx") && input.has("dy") ? ["dx", "dy"] : ["mx", "my"],
      input: [...input],
    };
  }
  return { name: "unknown", kinds: schema.kinds.map((k) => k.kind) };
}

/**
 * The lobby's schema in the v2 shape: the SDK's parsed one (`lobby.typed`, protocol 2), or a
 * protocol-1 schema (an array of `{kind, fields: [names]}`; i32 fields, input dx/dy/action)
 * put in that shape, for a server that only speaks protocol 1.
 */
export function schemaOfLobby(lobby) {
  if (!lobby) return null;
  if (lobby.typed) return lobby.typed;
  const f32 = (name) => ({ name, type: "f32", min: -1, max: 1, clamp: true });
  return {
    kinds: (lobby.schema ?? []).map((k) => ({ kind: k.kind, fields: k.fields.map((name) => ({ name, type: "i32" })) })),
    globals: [],
    input: [f32("dx"), f32("dy"), { name: "action", type: "bool" }],
    commands: [],
    events: [],
  };
}

function hasFields(kind, ...names) {
  return names.every((n) => kind.fields.some((f) => f.name === n));
}

/**
 * The map's coordinate range from the position field: its declared `min`/`max` when the
 * schema has them (the v2 arena: f32 0..100), else the known arenas' ranges by type (the v1
 * arena's fixed point i32 0..10000 carries no bounds; a float field means units 0..100).
 */
export function rangeOf(field) {
  if (field && Number.isFinite(field.min) && Number.isFinite(field.max) && field.max > field.min) {
    return { min: field.min, max: field.max };
  }
  const float = field && (field.type === "f32" || field.type === "f64");
  return { min: 0, max: float ? 100 : 10_000 };
}

/**
 * The aim angle (radians, -pi..pi, 0 along +x, pi/2 along +y: the map's y grows downward, as
 * the screen's does) from `from` to `to`, rounded to hundredths so that jitter of the pointer
 * does not send a new input every frame; `null` when the points coincide.
 */
export function aimAngle(from, to) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (dx === 0 && dy === 0) return null;
  const a = Math.round(Math.atan2(dy, dx) * 100) / 100;
  return Math.max(-Math.PI, Math.min(Math.PI, a));
}
