#!/usr/bin/env bash
# Capacity benchmark of Tickwave (see BENCHMARKS.md): builds the release server and bots, then
# runs swarms of growing size against a fresh server each (lobbies of 16 at 30 Hz, 20 inputs/s
# per bot, wss), pinned to separate cores, and prints the Markdown table. Options go to
# `tickwave-bots capacity` (--steps 250,500,..., --measure 20s, --pinning off, --help).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p tickwave -p tickwave-bots
exec target/release/tickwave-bots capacity "$@"
