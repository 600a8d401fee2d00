// The arena's input: keys, the pointer and the on-screen buttons, turned into the input fields
// the lobby's schema has (views.js `viewOf`): `dx`, `dy` and `action` for the v1 arena;
// `dx`, `dy`, `aim`, `fire` and `dash` for the v2 arena. Sent when the intent changes (the
// server keeps the last one), pointer-driven changes at most every 50 ms.

import { $, exposed, game } from "./page.js";
import { aimAngle } from "./views.js";

const canvas = $("arena");
const KEYS = {
  ArrowLeft: "left", KeyA: "left", ArrowRight: "right", KeyD: "right",
  ArrowUp: "up", KeyW: "up", ArrowDown: "down", KeyS: "down",
  Space: "primary", ShiftLeft: "dash", ShiftRight: "dash",
};
const held = new Set();
/** Where the pointer is, in map coordinates, and whether it is pressed / a finger. */
let pointer = null;
let pressed = false;
let touch = false;
let primaryButton = false; // the on-screen boost / fire button
let dashButton = false;
/** The last aim sent: kept while the pointer is away, so the player keeps facing there. */
let aim = 0;
let lastIntent = null;
let lastSentAt = 0;

function typing(ev) {
  return ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement;
}

function arenaView() {
  return exposed.view?.name === "arena" ? exposed.view : null;
}

/** A new lobby starts from no input: send what is held now, and show its buttons. */
export function resetIntent() {
  lastIntent = null;
  aim = 0;
  const v = arenaView();
  const coarse = matchMedia("(pointer: coarse)").matches;
  // One primary button: boost in the v1 arena, fire in the v2 one.
  $("boost").hidden = !(v && coarse && (v.action || v.fire));
  $("boost").textContent = v?.fire ? "fire" : "boost";
  $("dash").hidden = !(v && coarse && v.dash);
}

/** Keys, the pointer on the canvas and the on-screen buttons. */
export function wireInput() {
  addEventListener("keydown", (ev) => {
    const k = KEYS[ev.code];
    if (!k || typing(ev) || !arenaView()) return;
    ev.preventDefault(); // no page scrolling with arrows and space
    held.add(k);
    sendIntent(true);
  });
  addEventListener("keyup", (ev) => {
    const k = KEYS[ev.code];
    if (!k) return;
    held.delete(k);
    sendIntent(true);
  });
  addEventListener("blur", () => {
    held.clear();
    pressed = false;
    pointer = null;
    sendIntent(true);
  });

  canvas.addEventListener("pointerdown", (ev) => {
    if (!arenaView()) return;
    canvas.setPointerCapture(ev.pointerId);
    pointer = toMap(ev);
    pressed = true;
    touch = ev.pointerType === "touch";
    sendIntent(true);
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!arenaView()) return;
    // The v2 arena aims with the mouse even without a button; otherwise only a press counts.
    if (pressed || (arenaView().aim && ev.pointerType === "mouse")) pointer = toMap(ev);
  });
  canvas.addEventListener("pointerleave", (ev) => {
    if (ev.pointerType === "mouse" && !pressed) pointer = null; // the aim stays where it was
  });
  for (const type of ["pointerup", "pointercancel"]) {
    canvas.addEventListener(type, () => {
      pressed = false;
      if (touch || !arenaView()?.aim) pointer = null;
      touch = false;
      sendIntent(true);
    });
  }
  const hold = (el, set) => {
    el.addEventListener("pointerdown", () => (set(true), sendIntent(true)));
    for (const t of ["pointerup", "pointercancel", "pointerleave"]) el.addEventListener(t, () => (set(false), sendIntent(true)));
  };
  hold($("boost"), (v) => (primaryButton = v));
  hold($("dash"), (v) => (dashButton = v));
}

/** Where the mouse points on the map, when it aims (not a finger): for the crosshair. */
export function pointerAt() {
  return pointer && !touch ? pointer : null;
}

function toMap(ev) {
  const r = canvas.getBoundingClientRect();
  const { min, max } = arenaView().range;
  return {
    x: min + ((ev.clientX - r.left) / r.width) * (max - min),
    y: min + ((ev.clientY - r.top) / r.height) * (max - min),
  };
}

/** What the player wants now, as the schema's input fields. */
function intent(v) {
  let dx = (held.has("right") ? 1 : 0) - (held.has("left") ? 1 : 0);
  let dy = (held.has("down") ? 1 : 0) - (held.has("up") ? 1 : 0);
  const me = game.client?.me;
  const span = v.range.max - v.range.min;
  // Move toward a held pointer: a finger always; the mouse only where it does not aim.
  const steer = pointer && pressed && (touch || !v.aim);
  if (steer && me) {
    const vx = pointer.x - me.fields.x;
    const vy = pointer.y - me.fields.y;
    const d = Math.hypot(vx, vy);
    if (d > span * 0.015) (dx = vx / d), (dy = vy / d);
  }
  const len = Math.hypot(dx, dy);
  if (len > 1) (dx /= len), (dy /= len);
  const r = (n) => Math.round(n * 100) / 100; // the server rounds to hundredths anyway
  const out = {};
  if (v.move) {
    const [kx, ky] = v.moveKeys || ["dx", "dy"];
    (out[kx] = r(dx)), (out[ky] = r(dy));
  }
  const primary = held.has("primary") || primaryButton;
  if (v.action) out.action = primary;
  if (v.aim) {
    const a = pointer && me ? aimAngle(me.fields, pointer) : null;
    if (a !== null) aim = a;
    out.aim = aim;
  }
  if (v.fire) out.fire = primary || (pressed && !touch);
  if (v.dash) out.dash = held.has("dash") || dashButton;
  return out;
}

function same(a, b) {
  if (!a || !b) return false;
  for (const k in a) if (a[k] !== b[k]) return false;
  return true;
}

/** Send the intent when it changed; without `now`, at most every 50 ms. */
export function sendIntent(now) {
  const v = arenaView();
  if (!v || !game.client || game.client.place !== "lobby") return;
  const i = intent(v);
  if (same(i, lastIntent) || (!now && performance.now() - lastSentAt < 50)) return;
  const seq = game.client.sendInput(i);
  if (seq === undefined) return;
  lastIntent = i;
  lastSentAt = performance.now();
  exposed.input.sent = seq;
  exposed.input.last = i;
}
