#!/usr/bin/env bash
# Capacity benchmark of Tickwave (see BENCHMARKS.md, "Command"): builds the release server and
# bots, then runs `tickwave-bots capacity`, which finds the server beside itself
# (target/release/tickwave), starts a fresh one per step in a temporary directory on a free
# port, runs swarms of growing size (lobbies of 16 at 30 Hz, 20 inputs/s per bot, wss,
# protocol 2 unless --protocol 1; --game arena_v2 or connect4 to load another game),
# records the CPU other processes used in each window (contaminated above 0.10 core), and
# prints the Markdown table. No pinning and no real-time priority unless asked for. Options go
# to `tickwave-bots capacity` (--steps 250,500,..., --measure 20s, --pinning on, --retries 2,
# --help).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p tickwave -p tickwave-bots
exec target/release/tickwave-bots capacity "$@"
