// The TypeScript SDK against a studio's own game (examples/studio-tag, built out of tree by
// tests/studio-game.sh): nothing in the SDK knows the game, so this is the generic path a
// studio's client takes. Two clients find a `tag` match; one runs with typed inputs and
// taunts (a command whose reply carries a value), the other hears the taunt as an event and
// sees the runner move in its typed world; a taunt that breaks the schema is refused.
//
//   node tests/studio/sdk_tag.mjs wss://127.0.0.1:PORT/ws
import assert from "node:assert/strict";
// `ws` from the SDK's own dependencies (node 20 has no global WebSocket).
import WebSocket from "../../protocol/ts/node_modules/ws/wrapper.mjs";
import { CommandError, Tickwave } from "../../protocol/ts/dist/index.js";

const url = process.argv[2];
assert.ok(url, "usage: sdk_tag.mjs URL");
const opts = (name) => ({ name, WebSocket, webSocketOptions: { rejectUnauthorized: false }, reconnect: false });
const deadline = setTimeout(() => {
  console.error("sdk_tag: timed out");
  process.exit(1);
}, 30_000);

function waitFor(client, event, pred = () => true) {
  return new Promise((resolve) => {
    const off = client.on(event, (v) => {
      if (pred(v)) off(), resolve(v);
    });
  });
}

const a = await Tickwave.connect(url, opts("runner"));
const b = await Tickwave.connect(url, opts("watcher"));
const [ma] = await Promise.all([a.findMatch("tag"), b.findMatch("tag")]);
assert.equal(ma.mode, "tag");
assert.deepEqual(a.lobby.typed.commands.map((c) => c.name), ["taunt"]);
assert.deepEqual(a.lobby.typed.input.map((f) => f.name), ["dx", "dy", "sprint"]);
await Promise.all([a, b].map((c) => waitFor(c, "lobbyState", (s) => s.state === "running")));

// The watcher sees the runner's entity move in its typed world.
const me = () => b.world?.ofKind("player").find((e) => e.id === a.player)?.fields;
await waitFor(b, "state", () => me() !== undefined);
const start = { ...me() };
assert.equal(start.name, "runner");
assert.equal(typeof start.it, "boolean");
const dir = start.x < 25 ? 1 : -1;
const timer = setInterval(() => a.sendInput({ dx: dir, dy: 0, sprint: true }), 50);
await waitFor(b, "state", () => Math.abs(me().x - start.x) > 2);
clearInterval(timer);
console.log(`sdk_tag: the runner moved from x=${start.x} to x=${me().x.toFixed(2)}; stamina ${me().stamina}`);

// A command with a reply value, heard by the other as an event.
const heard = waitFor(b, "event", (e) => e.name === "taunt");
const value = await a.command("taunt", { text: "catch me" });
assert.deepEqual(value, { heard: 1 });
const ev = await heard;
assert.deepEqual(ev.data, { player: a.player, text: "catch me" });
// The game's own refusal, then the schema's.
const soon = await a.command("taunt", { text: "again" }).catch((e) => e);
assert.ok(soon instanceof CommandError && soon.code === "too_soon", String(soon));
const long = await a.command("taunt", { text: "x".repeat(41) }).catch((e) => e);
assert.ok(long instanceof CommandError && long.code === "invalid_args", String(long));
console.log("sdk_tag: taunt answered {heard: 1}, heard as an event; too_soon and invalid_args refused");

a.close();
b.close();
clearTimeout(deadline);
console.log("sdk_tag: ok");
