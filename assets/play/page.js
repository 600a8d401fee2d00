// The page around the arena: the shared state, the join form's status, chat, notices, the
// banner and the connection pill.

export const $ = (id) => document.getElementById(id);

/** What the page knows, for automated tests and the console. */
export const exposed = (window.tickwave = {
  ready: false,
  connection: "offline",
  player: null,
  lobby: null,
  /** `{ tick, me: {x, y, score, boost} | null, players: [...], pickups: [...] }` */
  state: null,
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
