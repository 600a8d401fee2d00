//! Per-tick cost of a lobby running the built-in `arena` game, without sockets.
//!
//! `Sim` reproduces the hot path of `Lobby::tick` (src/lobby/mod.rs) and `Fanout`
//! (src/lobby/fanout.rs) step for step: apply each member's input (skipping stale sequence
//! numbers), step the game, view into `cur` and `finish()` it, diff `prev -> cur`, build the
//! sorted acks, encode the delta once, then rotate the buffers. Sending is `try_send` of a
//! cloned `Bytes` per member and is left out.
//!
//! The play is scripted and deterministic: player `p` steers at angle `tick / 10 + p`
//! radians (a smooth turn of 0.1 rad per tick) and holds `action` 10 ticks out of 50.
//!
//! Before the benchmarks, `main` prints the byte sizes of deltas and snapshots over 30 s of
//! that play (900 ticks at 30 Hz) for 16 and 64 players.
//!
//! Run: `cargo bench --bench tick -- --warm-up-time 1 --measurement-time 3`

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group};
use std::hint::black_box;
use tickwave::game::arena::Arena;
use tickwave::game::{Game, GameSettings};
use tickwave_protocol::{Delta, Input, WorldView, encode_delta, encode_snapshot};

const TICK_HZ: u32 = 30;
const SEED: u64 = 0x7469_636b_7761_7665;
/// Ticks run before anything is measured, so pickups have been taken and respawned and the
/// acks carry multi-byte sequence numbers, as in a match under way.
const WARMUP_TICKS: u64 = 300;
/// Ticks over which byte sizes are averaged: 30 s at 30 Hz.
const MEASURE_TICKS: u64 = 900;
/// The direction table holds angles `k / 10` for `k` in `0..TURN`: 62.8 rad is ten full
/// turns, so wrapping around costs a 0.03 rad jump once every 628 ticks.
const TURN: usize = 628;

/// A lobby's per-tick state, as `Lobby` and `Fanout` hold it.
struct Sim {
    game: Arena,
    players: Vec<u32>,
    /// `Member::last_applied`, per player.
    last_applied: Vec<u64>,
    tick: u64,
    prev: WorldView,
    cur: WorldView,
    delta: Delta,
    acks: Vec<(u32, u64)>,
    /// `(cos, sin)` of `k / 10` radians; precomputed so the bench times the server, not the
    /// trigonometry of a client.
    dirs: Vec<(f32, f32)>,
}

impl Sim {
    fn new(n: u32) -> Self {
        let mut game = Arena::new(GameSettings { seed: SEED, tick_hz: TICK_HZ, max_players: n });
        let players: Vec<u32> = (1..=n).collect();
        for &p in &players {
            game.add_player(p);
        }
        let dirs = (0..TURN)
            .map(|k| {
                let a = k as f32 / 10.0;
                (a.cos(), a.sin())
            })
            .collect();
        Sim {
            game,
            last_applied: vec![0; players.len()],
            players,
            tick: 0,
            prev: WorldView::new(),
            cur: WorldView::new(),
            delta: Delta::default(),
            acks: Vec::new(),
            dirs,
        }
    }

    /// A new simulation with `n` players, past its warm-up.
    fn warmed(n: u32) -> Self {
        let mut s = Sim::new(n);
        for _ in 0..WARMUP_TICKS {
            s.full_tick();
        }
        s
    }

    /// The input player `p` sends for tick `t` (its sequence number is `t`).
    fn input(&self, p: u32, t: u64) -> Input {
        let (dx, dy) = self.dirs[(t as usize + 10 * p as usize) % TURN];
        Input { seq: t, dx, dy, action: (t + 7 * u64::from(p)) % 50 < 10 }
    }

    /// Apply every member's input for tick `t` to `game`, as the lobby drains `pending`.
    fn apply_inputs(&mut self, t: u64) {
        for i in 0..self.players.len() {
            let p = self.players[i];
            let input = self.input(p, t);
            if input.seq > self.last_applied[i] {
                self.game.apply_input(p, &input);
                self.last_applied[i] = input.seq;
            }
        }
    }

    /// `game.view` into the cleared `cur`, then `finish`, as `Lobby::tick` does.
    fn view(&mut self) {
        self.game.view(&mut self.cur);
        self.cur.finish().expect("the arena's entity ids are unique");
    }

    /// `Lobby::tick` builds the acks from every member's last applied input, sorted.
    fn build_acks(&mut self) {
        self.acks.clear();
        self.acks.extend(self.players.iter().copied().zip(self.last_applied.iter().copied()));
        self.acks.sort_unstable();
    }

    /// `Fanout::encode_delta`: diff once, encode once.
    fn encode_delta(&mut self) -> Bytes {
        self.prev.diff_into(&self.cur, &mut self.delta);
        encode_delta(self.tick, self.tick.saturating_sub(1), &self.acks, &self.delta)
    }

    /// `Fanout::rotate`.
    fn rotate(&mut self) {
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.cur.clear();
    }

    /// One whole tick: inputs, step, view, diff, acks, encode once, rotate.
    fn full_tick(&mut self) -> Bytes {
        self.tick += 1;
        self.apply_inputs(self.tick);
        self.game.step();
        self.view();
        self.build_acks();
        let b = self.encode_delta();
        self.rotate();
        b
    }

    /// Run the next tick up to (not including) the rotation, so `prev`, `cur`, `delta` and
    /// `acks` hold a consistent state for benchmarking the pieces on their own.
    fn staged(n: u32) -> Self {
        let mut s = Sim::warmed(n);
        s.tick += 1;
        s.apply_inputs(s.tick);
        s.game.step();
        s.view();
        s.build_acks();
        s.prev.diff_into(&s.cur, &mut s.delta);
        s
    }
}

/// Byte sizes of the messages of one lobby over `MEASURE_TICKS` of scripted play.
#[derive(Debug)]
struct Sizes {
    players: u32,
    delta_min: usize,
    delta_max: usize,
    delta_mean: f64,
    /// Mean entities per delta in `changed`, and totals of `added` / `removed`.
    changed_mean: f64,
    added: usize,
    removed: usize,
    /// Bytes of a snapshot at the last tick, and the smallest / largest over the run.
    snapshot_last: usize,
    snapshot_min: usize,
    snapshot_max: usize,
    entities_last: usize,
}

fn measure_sizes(n: u32) -> Sizes {
    let mut s = Sim::warmed(n);
    let (mut dmin, mut dmax, mut dsum) = (usize::MAX, 0, 0usize);
    let (mut smin, mut smax, mut slast) = (usize::MAX, 0, 0);
    let (mut changed, mut added, mut removed) = (0usize, 0usize, 0usize);
    let mut entities_last = 0;
    for _ in 0..MEASURE_TICKS {
        s.tick += 1;
        s.apply_inputs(s.tick);
        s.game.step();
        s.view();
        s.build_acks();
        let d = s.encode_delta().len();
        let snap = encode_snapshot(s.tick, &s.acks, &s.cur).len();
        (dmin, dmax, dsum) = (dmin.min(d), dmax.max(d), dsum + d);
        (smin, smax, slast) = (smin.min(snap), smax.max(snap), snap);
        changed += s.delta.changed.len();
        added += s.delta.added.len();
        removed += s.delta.removed.len();
        entities_last = s.cur.len();
        s.rotate();
    }
    let ticks = MEASURE_TICKS as f64;
    Sizes {
        players: n,
        delta_min: dmin,
        delta_max: dmax,
        delta_mean: dsum as f64 / ticks,
        changed_mean: changed as f64 / ticks,
        added,
        removed,
        snapshot_last: slast,
        snapshot_min: smin,
        snapshot_max: smax,
        entities_last,
    }
}

fn report_sizes() {
    eprintln!(
        "arena byte sizes: {MEASURE_TICKS} ticks at {TICK_HZ} Hz after {WARMUP_TICKS} warm-up ticks"
    );
    for n in [16, 64] {
        let z = measure_sizes(n);
        let per_client = z.delta_mean * f64::from(TICK_HZ);
        eprintln!(
            "  {} players: delta bytes mean {:.1} min {} max {}; snapshot bytes {} \
             (min {} max {}, {} entities); per delta {:.2} changed, {} added / {} removed \
             in total; {:.1} KB/s per client, {:.1} KB/s per lobby",
            z.players,
            z.delta_mean,
            z.delta_min,
            z.delta_max,
            z.snapshot_last,
            z.snapshot_min,
            z.snapshot_max,
            z.entities_last,
            z.changed_mean,
            z.added,
            z.removed,
            per_client / 1000.0,
            per_client * f64::from(z.players) / 1000.0,
        );
    }
}

fn bench_arena(c: &mut Criterion, n: u32, pieces: bool) {
    let mut g = c.benchmark_group(format!("arena_{n}"));
    if pieces {
        // Game step only: each iteration steps a clone of a live game whose inputs for that
        // tick are already applied; cloning and input happen in the untimed setup.
        let mut live = Sim::warmed(n);
        g.bench_function("step", |b| {
            b.iter_batched(
                || {
                    live.full_tick();
                    let mut game = live.game.clone();
                    let t = live.tick + 1;
                    for &p in &live.players {
                        game.apply_input(p, &live.input(p, t));
                    }
                    game
                },
                |mut game| {
                    game.step();
                    game
                },
                BatchSize::NumIterations(64),
            )
        });

        // View into `cur` (cleared, capacity kept) and diff against `prev`.
        let mut s = Sim::staged(n);
        g.bench_function("view_diff", |b| {
            b.iter(|| {
                s.cur.clear();
                s.game.view(&mut s.cur);
                s.cur.finish().expect("unique ids");
                s.prev.diff_into(&s.cur, &mut s.delta);
                black_box(&s.delta);
            })
        });

        let s = Sim::staged(n);
        g.bench_function("encode_delta", |b| {
            b.iter(|| {
                encode_delta(black_box(s.tick), s.tick - 1, black_box(&s.acks), black_box(&s.delta))
            })
        });
        g.bench_function("encode_snapshot", |b| {
            b.iter(|| encode_snapshot(black_box(s.tick), black_box(&s.acks), black_box(&s.cur)))
        });
    }

    let mut s = Sim::warmed(n);
    g.bench_function("full_tick", |b| b.iter(|| s.full_tick()));
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_arena(c, 16, true);
    bench_arena(c, 64, false);
}

criterion_group!(tick, benches);

fn main() {
    // `--list` (and `cargo bench -- --list`) should print only the benchmark names.
    if !std::env::args().any(|a| a == "--list") {
        report_sizes();
    }
    tick();
    Criterion::default().configure_from_args().final_summary();
}
