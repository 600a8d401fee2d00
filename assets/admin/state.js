// Shared mutable state of the dashboard: one object, imported by every module that reads
// or changes it (modules never keep their own copies of these fields).

export const S = {
  token: null,
  role: null,
  selected: null, // lobby id (number) or null
  lobbies: [],
  detail: null, // last lobby detail JSON
  schema: null, // its game's schema ({kinds, globals, ...}) when the server sends one
  detailGone: false,
  mm: null,
  sessionsTotal: null,
  sessions: [],
  pollTimer: 0,
  polling: false,
  lastOk: 0,
  pollGen: 0,
  removing: new Set(), // sessions being kicked (row dimmed until gone)
};
