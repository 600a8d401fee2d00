// The SDK as a published package: `npm pack`, check what the tarball holds (manifest,
// exports, licences, source maps), install it into a scratch project the way a user would
// (`npm install <tarball> ws`), and run README's TypeScript snippet there in node against a
// real server: it must connect and find a match with no option beyond the URL and name.
// Also `npm publish --dry-run`.
//
// Needs dist/ built (npm run build; tests/sdk.sh does it) and target/debug/tickwave. npm
// takes @msgpack/msgpack and ws from its cache (filled by `npm ci` here) or the registry.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { repoRoot, startServer } from "./helpers/server.mjs";

const run = promisify(execFile);
const sdkDir = join(repoRoot, "protocol/ts");
const manifest = JSON.parse(readFileSync(join(sdkDir, "package.json"), "utf8"));
// One arena player is enough for a match: README's snippet is a single client.
const SOLO_MODES = `
[[mode]]
name = "arena"
game = "arena"
max_players = 16
min_players = 1
fill_timeout_ms = 0
countdown_ms = 0
match_length_ms = 120000
`;

let scratch;
let tarball;
let pkgDir; // the unpacked tarball
let server;

const npm = (args, cwd) => run("npm", args, { cwd, maxBuffer: 16 << 20, env: { ...process.env, npm_config_update_notifier: "false" } });

before(async () => {
  assert.ok(existsSync(join(sdkDir, "dist/index.js")), "dist/ is missing: run `npm run build` first (tests/sdk.sh does)");
  scratch = mkdtempSync(join(tmpdir(), "tickwave-pack-"));
  // --ignore-scripts: dist/ is built already (prepack would build it again).
  const { stdout } = await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], sdkDir);
  const [info] = JSON.parse(stdout);
  tarball = join(scratch, info.filename);
  pkgDir = join(scratch, "unpacked");
  await run("mkdir", ["-p", pkgDir]);
  await run("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
});

after(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [relative(pkgDir, p)];
  });
}

test("package.json is publishable: not private, licence files, ws an optional peer", () => {
  const shipped = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.equal(shipped.private, undefined, "a private package cannot be published");
  assert.equal(shipped.license, "MIT OR Apache-2.0");
  assert.ok(shipped.peerDependencies?.ws, "ws is a peer dependency (node without a global WebSocket)");
  assert.equal(shipped.peerDependenciesMeta?.ws?.optional, true, "browsers need no ws");
  const files = walk(pkgDir);
  for (const f of ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "dist/index.js", "dist/index.d.ts"]) {
    assert.ok(files.includes(f), `${f} is in the tarball (got ${files.join(", ")})`);
  }
  assert.match(readFileSync(join(pkgDir, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0/);
  assert.match(readFileSync(join(pkgDir, "LICENSE-MIT"), "utf8"), /Permission is hereby granted, free of charge/);
  for (const f of files) {
    assert.ok(!/^(test|scripts|golden-gen|node_modules)\//.test(f), `${f} is not shipped`);
  }
  // Every export target is in the tarball.
  const targets = JSON.stringify(shipped.exports).match(/"\.\/[^"]+"/g).map((s) => s.slice(3, -1));
  for (const t of [...targets, shipped.main.slice(2), shipped.types.slice(2)]) {
    assert.ok(files.includes(t), `exports/main/types target ${t} is shipped`);
  }
});

test("every source map in the tarball points at files that are shipped with it", () => {
  const files = walk(pkgDir);
  let maps = 0;
  for (const f of files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
    const url = readFileSync(join(pkgDir, f), "utf8").match(/\/\/# sourceMappingURL=(\S+)\s*$/)?.[1];
    if (url) assert.ok(existsSync(resolve(pkgDir, dirname(f), url)), `${f} names ${url}, which is not shipped`);
  }
  for (const f of files.filter((f) => f.endsWith(".map"))) {
    maps++;
    const map = JSON.parse(readFileSync(join(pkgDir, f), "utf8"));
    for (const [i, s] of map.sources.entries()) {
      if (map.sourcesContent?.[i] != null) continue; // carried inside the map
      const src = resolve(pkgDir, dirname(f), map.sourceRoot ?? "", s);
      assert.ok(src.startsWith(pkgDir) && existsSync(src), `${f}: source ${s} is not shipped`);
    }
  }
  assert.ok(maps > 0 || !files.some((f) => f.endsWith(".map")));
});

/** The first fenced TypeScript block of `file` that imports the package. */
function snippet(file) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const code = blocks.find((b) => b.includes('from "@tickwave/client"'));
  assert.ok(code, `${file} has a ts block importing @tickwave/client`);
  return code;
}

async function runSnippet(name, code) {
  // The snippet is TypeScript: strip the types the way a user's build would (esbuild, a dev
  // dependency of the SDK), nothing else.
  const { transform } = await import(join(sdkDir, "node_modules/esbuild/lib/main.js"));
  const js = (await transform(code, { loader: "ts", format: "esm" })).code;
  const readmeUrl = "wss://127.0.0.1:4433/ws";
  assert.ok(js.includes(readmeUrl) || js.includes("wss://game.example.com:4433/ws"), "the snippet names a URL to replace");
  const body = js.replace(readmeUrl, server.url).replace("wss://game.example.com:4433/ws", server.url);
  // The functions a snippet leaves to the application, and the end of the run.
  const prelude = `globalThis.draws = 0;
for (const f of ["draw", "showRtt", "log", "banner"]) globalThis[f] = () => { if (f === "draw") globalThis.draws++; };
`;
  const epilogue = `
await new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error("no state with this player within 10 s")), 10_000);
  const seen = (w) => { if (w.get(client.player)) { clearTimeout(t); resolve(); } };
  if (client.world) seen(client.world);
  client.on("state", seen);
});
console.log("RESULT " + JSON.stringify({ player: client.player, place: client.place, draws: globalThis.draws, globalWebSocket: typeof globalThis.WebSocket }));
client.close();
`;
  const file = join(scratch, "app", `${name}.mjs`);
  writeFileSync(file, prelude + body + epilogue);
  // A user trusts the server's development certificate the node way; no SDK option.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(server.dataDir, "dev-cert.pem") };
  const child = spawn(process.execPath, [file], { cwd: join(scratch, "app"), env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code_ = await new Promise((r) => {
    const t = setTimeout(() => (child.kill("SIGKILL"), r("timeout")), 30_000);
    child.on("exit", (c) => (clearTimeout(t), r(c)));
  });
  assert.equal(code_, 0, `${name} exits 0 (after close(), nothing keeps it alive):\n${out}`);
  const result = JSON.parse(out.match(/^RESULT (.*)$/m)?.[1] ?? "null");
  assert.ok(result, out);
  assert.equal(result.place, "lobby", out);
  assert.ok(result.player > 0 && result.draws > 0, out);
  if (Number(process.versions.node.split(".")[0]) < 22) {
    assert.equal(result.globalWebSocket, "undefined", "node 20: the SDK found ws by itself");
  }
}

test("README's snippets run in node from the installed tarball and find a match", async () => {
  const app = join(scratch, "app");
  await run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const wsVersion = JSON.parse(readFileSync(join(sdkDir, "node_modules/ws/package.json"), "utf8")).version;
  await npm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, `ws@${wsVersion}`], app);
  server = await startServer({ modes: SOLO_MODES });
  await runSnippet("readme", snippet(join(repoRoot, "README.md")));
  await runSnippet("sdk-readme", snippet(join(sdkDir, "README.md")));
});

test("npm publish --dry-run accepts the package, with public access, offline", async () => {
  // --offline and an unreachable registry: the dry run needs no network (without --offline
  // npm tries the registry, with retries of a minute, and goes on when it cannot reach it).
  const { stdout, stderr } = await npm(
    ["publish", "--dry-run", "--offline", "--ignore-scripts", "--json", "--registry", "http://127.0.0.1:9/"],
    sdkDir,
  );
  const parsed = JSON.parse(stdout.slice(stdout.indexOf("{")));
  const info = parsed[manifest.name] ?? parsed;
  assert.equal(info.name, manifest.name, stderr);
  assert.equal(info.version, manifest.version);
  // A scoped package is restricted unless told otherwise: the first publish would fail.
  assert.match(stderr, /with tag latest and public access/, stderr);
});
