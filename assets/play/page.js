// The page around the game views: the shared state, the join form's status, chat, notices,
// the event list, command refusals, the banner and the connection pill.

export const $ = (id) => document.getElementById(id);

/** What the page knows, for automated tests and the console. */
export const exposed = (window.tickwave = {
  ready: false,
  connection: "offline",
  player: null,
  lobby: null,
  /** The server's modes (`welcome.modes`), as the mode picker lists them. */
  modes: [],
  /**
   * The view playing the lobby, from its schema (views.js `viewOf`): `{ name: "arena", range,
   * aim, fire, dash, action, input }`, `{ name: "connect4" }`, or null outside a lobby.
   */
  view: null,
  /** Arena: `{ tick, me: {id, x, y, ...} | null, players: [...], pickups: [...], shots: [...] }` */
  state: null,
  /** Inputs: `{ sent, acked, last }` (the seq of the latest sent and acked input, its fields). */
  input: { sent: 0, acked: 0, last: null },
  /**
   * Connect4: `{ tick, board: [column][row] player id, turn, moves, turnMsLeft, winner, me,
   * players, refusals: [codes], events: [{name, data}], result }`; kept after the match.
   */
  c4: null,
  /**
   * Battleship: `{ tick, turn, deadlineTick, msLeft, me, opponent, mine, enemy (100 cell
   * marks each, bslogic.js), leaks (unhit enemy ship cells ever in one state: must stay 0),
   * players, sunk, refusals: [codes], events: [{name, data}], winner, result }`.
   */
  bs: null,
  /** The in-page bot (connect4 or battleship): `{ player, state, moves }`, or null. */
  bot: null,
  /** Smoothed RTT in ms from the server's `rtt` reports. */
  rtt: null,
  client: null,
});

/** The page's own state, shared by its modules (play.js, arena.js). */
export const game = {
  client: null,
  /** The last two states, for interpolation: other players move smoothly between ticks. */
  prev: null,
  cur: null,
  curAt: 0,
  names: new Map(), // player id → { name, connected }
  /** The current view's module (arena.js or connect4.js), or null. */
  view: null,
};

// ------------------------------------------------------------------ join form

export function showJoin(status) {
  $("join").hidden = false;
  $("find").disabled = false;
  $("cancel").hidden = true;
  setJoinStatus(status);
}

export function setJoinStatus(text) {
  $("join-status").textContent = text;
}

// ------------------------------------------------------------------ chat and notices

/** The chat form and the notice's close button. */
export function wireChat() {
  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text) return;
    if (!game.client?.chat(text)) system("Chat works inside a lobby.");
    $("chat-input").value = "";
  });
  $("notice-close").addEventListener("click", () => ($("notice").hidden = true));
}

export function setChatEnabled(on) {
  for (const el of $("chat-form").elements) el.disabled = !on;
}

export function line(from, text, color) {
  const li = document.createElement("li");
  const who = document.createElement("span");
  who.className = "from";
  who.style.color = color;
  who.textContent = from;
  li.append(who, document.createTextNode(text));
  append(li);
}

export function system(text) {
  const li = document.createElement("li");
  li.className = "sys";
  li.textContent = text;
  append(li);
}

function append(li) {
  const log = $("chat-log");
  log.append(li);
  while (log.children.length > 100) log.firstChild.remove();
  log.scrollTop = log.scrollHeight;
}

let noticeTimer;
export function notice(severity, text) {
  const el = $("notice");
  el.dataset.severity = severity;
  $("notice-text").textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  if (severity === "info") noticeTimer = setTimeout(() => (el.hidden = true), 15_000);
}

let bannerTimer;
export function banner(text) {
  clearTimeout(bannerTimer);
  $("banner").textContent = text;
  $("banner").hidden = !text;
}
export function flash(text, ms) {
  banner(text);
  bannerTimer = setTimeout(() => banner(""), ms);
}

export function setConnection(state) {
  exposed.connection = state;
  $("conn").dataset.state = state;
  $("conn").textContent = state;
  $("game").dataset.connection = state;
  if (state === "online") banner("");
}

// ------------------------------------------------------------------ events and refusals

/** A line in the events list (kills, moves, wins: the game's `event`s, as words). */
export function eventLine(text, className = "") {
  $("events-box").hidden = false;
  const li = document.createElement("li");
  if (className) li.className = className;
  li.textContent = text;
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 50) list.lastChild.remove();
}

export function clearEvents() {
  $("events").replaceChildren();
  $("events-box").hidden = true;
}

const REFUSALS = {
  not_your_turn: "Not your turn",
  column_full: "That column is full",
  bad_column: "No such column",
  not_running: "The match has not started yet",
  game_over: "The game is decided",
  already_fired: "You already fired there",
  out_of_range: "That cell is off the board",
};

let refusalTimer;
/** Show a command's refusal (its code) beside the game for a few seconds. */
export function showRefusal(code, message) {
  const el = $("refusal");
  el.dataset.code = code;
  el.textContent = REFUSALS[code] ?? `Refused: ${message || code}`;
  el.hidden = false;
  clearTimeout(refusalTimer);
  refusalTimer = setTimeout(hideRefusal, 2500);
}

export function hideRefusal() {
  clearTimeout(refusalTimer);
  $("refusal").hidden = true;
  delete $("refusal").dataset.code;
}
