// The SDK against a real 3-node cluster (a redis-server and three tickwave processes on
// loopback, PROTOCOL.md §5.4 and §11.3): clients given every node's URL survive the SIGKILL of
// the node their match runs on. They resume on another node with the dead node's token, get
// `lobby_lost`, are queued again with priority and matched again, without calling findMatch.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { Tickwave } from "../dist/index.js";
import { startServer } from "./helpers/server.mjs";

const DUO = `
[[mode]]
name = "duo"
game = "arena_v1"
max_players = 2
min_players = 2
countdown_ms = 0
fill_timeout_ms = 0
match_length_ms = 600000
`;
const SECRET = "sdk-cluster-test-secret-0123456789";
const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;
// Under CI a missing redis-server is a failure, never a skip (tests/run-all.sh installs it).
if (!hasRedis && process.env.CI) throw new Error("redis-server is not installed; CI must install it");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tickwave-sdk-redis-"));
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), r(true)));
      s.on("error", () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => (proc.kill("SIGKILL"), rmSync(dir, { recursive: true, force: true })) };
}

async function startNode(redis, id) {
  const port = await freePort();
  const publicUrl = `wss://127.0.0.1:${port}/ws`;
  const node = await startServer({
    modes: DUO,
    listen: `127.0.0.1:${port}`,
    args: ["--cluster", redis.url, "--node-id", id, "--public-url", publicUrl],
    env: { TICKWAVE_CLUSTER_SECRET: SECRET },
  });
  return { ...node, url: publicUrl };
}

let redis;
let nodes = [];
const clients = [];

before(async () => {
  if (!hasRedis) return;
  redis = await startRedis();
  nodes = await Promise.all(["n1", "n2", "n3"].map((id) => startNode(redis, id)));
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(nodes.map((n) => n.stop()));
  redis?.stop();
});

test("a node is SIGKILLed: every player of its matches is matched again on another node within 6 s", { skip: !hasRedis && "redis-server is not installed" }, async () => {
  const urls = nodes.map((n) => n.url);
  // Player i starts on node i % 3 and lists the others after it.
  const found = [];
  for (let i = 0; i < 8; i++) {
    const list = urls.map((_, k) => urls[(i + k) % urls.length]);
    const c = await Tickwave.connect(list, {
      name: `p${i}`,
      WebSocket,
      webSocketOptions: { rejectUnauthorized: false }, // each node's self-signed dev certificate
      reconnect: { baseMs: 50, maxMs: 500, maxAttempts: Infinity },
    });
    clients.push(c);
    found.push(c.findMatch("duo"));
  }
  await Promise.all(found);
  const victim = nodes.find((n) => clients.some((c) => c.url === n.url));
  const affected = clients.filter((c) => c.url === victim.url);
  const others = clients.filter((c) => c.url !== victim.url);
  assert.ok(affected.length >= 2, "at least one match runs on the victim");
  const rematched = affected.map((c) => new Promise((resolve) => c.once("matchFound").then(() => resolve(Date.now()))));
  let othersDisturbed = 0;
  for (const c of others) c.on("lobbyClosed", () => othersDisturbed++);

  // A node publishes its lobbies' members about 50 ms after each placement; a node killed
  // before that leaves its newest players without a lost seat to claim (`resume_expired`).
  await new Promise((r) => setTimeout(r, 500));
  const killedAt = Date.now();
  await victim.stop(); // SIGKILL
  nodes = nodes.filter((n) => n !== victim);
  const deadline = new Promise((_, reject) => setTimeout(() => reject(new Error("not every player was matched again within 6 s")), 6000));
  const times = await Promise.race([Promise.all(rematched), deadline]);
  for (const c of affected) {
    assert.notEqual(c.url, victim.url, "the player moved to a live node");
    assert.equal(c.place, "lobby");
  }
  assert.equal(othersDisturbed, 0, "players of the other nodes kept their matches");
  console.log(`${affected.length} players of the killed node matched again after ${Math.max(...times) - killedAt} ms (max)`);
});
