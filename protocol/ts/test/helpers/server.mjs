// Start a real Tickwave server (target/debug/tickwave) on a free port for a test, with a
// throwaway data dir (fresh self-signed certificate) and fast test modes.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
export const serverBin = process.env.TICKWAVE_BIN ?? join(repoRoot, "target/debug/tickwave");
/** The server plus examples/scouts.rs, a game with per-player views (`cargo build --example scouts`). */
export const scoutsBin = process.env.TICKWAVE_SCOUTS_BIN ?? join(repoRoot, "target/debug/examples/scouts");

/**
 * Modes for tests: an arena lobby starts 200 ms after two players are in and runs two
 * minutes; "trio" needs three players, so a lone player stays queued.
 */
export const TEST_MODES = `
[[mode]]
name = "arena"
game = "arena_v1"
max_players = 16
min_players = 2
fill_timeout_ms = 200
countdown_ms = 300
match_length_ms = 120000
seat_grace_ms = 15000

[[mode]]
name = "trio"
game = "arena_v1"
max_players = 3
min_players = 3
fill_timeout_ms = 0
`;

/**
 * Start the server; resolves once it logs its listening address. `stop()` ends it.
 * Output is kept and printed if the test fails to start it. `listen` for a pre-picked port
 * (a cluster node must know its public URL before it starts). `bin`: another server binary
 * (`scoutsBin`: the server with the scouts game of examples/scouts.rs).
 */
export async function startServer({ modes = TEST_MODES, env = {}, args = [], listen = "127.0.0.1:0", bin = serverBin } = {}) {
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`cargo build --bin tickwave --example scouts\` first (tests/sdk.sh does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "tickwave-sdk-"));
  writeFileSync(join(dir, "modes.toml"), modes);
  const proc = spawn(
    bin,
    ["--listen", listen, "--data-dir", dir, "--modes", join(dir, "modes.toml"), ...args],
    {
      cwd: repoRoot,
      // The admin listener (when this server has one) on a free port with a known token.
      env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1", TICKWAVE_ADMIN_LISTEN: "127.0.0.1:0", TICKWAVE_ADMIN_TOKEN: "sdk-test-operator", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 15_000);
    const onData = (chunk) => {
      log += chunk.toString().replace(/\x1b\[[0-9;]*m/g, "");
      const m = log.match(/listening on (wss:\/\/127\.0\.0\.1:(\d+)\/ws)/);
      if (m) {
        clearTimeout(timer);
        // The admin line follows right after the game listener's; give it a moment.
        setTimeout(() => resolve(m), 150);
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const m = await ready;
  const admin = log.match(/admin listener on (https?:\/\/127\.0\.0\.1:\d+)\//)?.[1];
  return {
    url: m[1],
    port: Number(m[2]),
    /** Base URL of the admin API, when this server has one. */
    admin,
    adminToken: "sdk-test-operator",
    /** The server's data dir: its self-signed certificate is `dev-cert.pem` there. */
    dataDir: dir,
    log: () => log,
    async stop() {
      // A process ended by a signal keeps `exitCode` null (its `signalCode` is set), so both
      // are checked: waiting for the "exit" of a process already killed would hang the test
      // run for ever (a second stop() after a failed assertion did, until CI's time limit).
      if (proc.exitCode === null && proc.signalCode === null) {
        // SIGINT would drain (running matches go on for minutes); nothing here needs saving.
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
