//! Per-tick cost of a lobby running the built-in `arena` game, without sockets.
//!
//! `full_tick` drives the server's own lobby core (`tickwave::testing::Core`, the code
//! `src/lobby/core/` runs in every lobby task) with N members: each iteration pushes every
//! member's input into the core, as the lobby task moves its input inbox, and calls
//! `Core::tick`: held seats, inputs (stale sequence numbers skipped), phase, `step`, `view`
//! and `finish_checked`, `diff_into`, sorted acks, ONE `encode_delta`, a `Bytes` clone
//! handed to each member's link, chat flush, the recent-ticks ring, rotate. The links drop what
//! they are given: the `try_send` into a session queue and everything after it are left out.
//!
//! `step`, `view_diff`, `encode_delta` and `encode_snapshot` time pieces of that tick on
//! their own, on an arena and views staged by `Pieces` with the same script.
//!
//! The play is scripted and deterministic: player `p` steers at angle `tick / 10 + p`
//! radians (a smooth turn of 0.1 rad per tick) and holds `action` 10 ticks out of 50.
//!
//! Before the benchmarks, `main` prints the byte sizes of deltas and snapshots over 30 s of
//! that play (900 ticks at 30 Hz) for 16 and 64 players, as the core encodes them.
//!
//! Run: `cargo bench --bench tick -- --warm-up-time 1 --measurement-time 3`

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;
use tickwave::game::Built;
use tickwave::game::arena::Arena;
use tickwave::game::arena_v2;
use tickwave::game::compat::{v1_input_frame, wrap_v1};
use tickwave::game::v2::PlayerRecord;
use tickwave::game::{Game, GameSettings};
use tickwave::testing::{Core, Delivery, Link, Settings};
use tickwave_protocol::v2::{FieldValues, InputFrame, Layout, decode_input, encode_input};

/// `arena_v2`'s input as the script drives it.
#[derive(serde::Serialize)]
struct V2Input {
    dx: f32,
    dy: f32,
    aim: f32,
    fire: bool,
}
use tickwave_protocol::{
    Delta, Input, ServerMessage, WorldView, decode_server, encode_delta, encode_snapshot,
};

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

/// A member's link that takes every frame and drops it; for the byte sizes it also keeps
/// the last frame.
struct BenchLink {
    last: Option<Rc<RefCell<Option<Bytes>>>>,
    /// The protocol version the member speaks (1 for the v1 arena, 2 for `arena_v2`).
    protocol: u32,
}

impl Link for BenchLink {
    fn session(&self) -> u64 {
        1
    }
    fn send(&self, bytes: Bytes) -> Delivery {
        if let Some(last) = &self.last {
            *last.borrow_mut() = Some(bytes);
        }
        Delivery::Sent
    }
    fn room(&self) -> Option<usize> {
        Some(usize::MAX / 2)
    }
    fn lobby_ended(&self, _lobby: u64) {}
    fn protocol(&self) -> u32 {
        self.protocol
    }
}

/// The scripted inputs: `(cos, sin)` of `k / 10` radians, precomputed so the bench times
/// the server, not the trigonometry of a client.
struct Script {
    dirs: Vec<(f32, f32)>,
    /// The same inputs as the lobby core takes them (validated frames of the game's input
    /// fields, as the session hands them over), for each direction and button state: the
    /// session's decoding is not part of the tick, so it is done here once.
    frames: Vec<[FieldValues; 2]>,
}

impl Script {
    fn new() -> Self {
        let (game, _) = wrap_v1(Box::new(arena(2)), settings(2)).expect("the arena's schema");
        Script::for_layout(game.layout())
    }

    /// The script as frames of `layout`'s input: `dx`, `dy`, `action` for the v1 arena;
    /// for `arena_v2` the same steering, `aim` along it and `fire` for `action`.
    fn for_layout(layout: &Layout) -> Self {
        let dirs: Vec<(f32, f32)> = (0..TURN)
            .map(|k| {
                let a = k as f32 / 10.0;
                (a.cos(), a.sin())
            })
            .collect();
        let v2 = layout.input().index_of("aim").is_some();
        let frame = |dx: f32, dy: f32, action| {
            if v2 {
                let aim = dy.atan2(dx);
                let bytes = encode_input(1, None, &V2Input { dx, dy, aim, fire: action }).unwrap();
                decode_input(layout.input(), &bytes).expect("a valid input").values
            } else {
                let input = Input { seq: 1, dx, dy, action };
                v1_input_frame(layout, &input).expect("a valid input").values
            }
        };
        let frames = dirs.iter().map(|&(dx, dy)| [frame(dx, dy, false), frame(dx, dy, true)]);
        Script { frames: frames.collect(), dirs }
    }

    /// [`Script::input`] as the core takes it.
    fn frame(&self, p: u32, t: u64) -> InputFrame {
        let k = (t as usize + 10 * p as usize) % TURN;
        let action = (t + 7 * u64::from(p)) % 50 < 10;
        InputFrame { seq: t, tick: None, values: self.frames[k][usize::from(action)].clone() }
    }

    /// The input player `p` sends for tick `t` (its sequence number is `t`).
    fn input(&self, p: u32, t: u64) -> Input {
        let (dx, dy) = self.dirs[(t as usize + 10 * p as usize) % TURN];
        Input { seq: t, dx, dy, action: (t + 7 * u64::from(p)) % 50 < 10 }
    }
}

fn settings(n: u32) -> GameSettings {
    GameSettings { seed: SEED, tick_hz: TICK_HZ, max_players: n }
}

fn arena(n: u32) -> Arena {
    Arena::new(settings(n))
}

/// A lobby core with `n` members (players `1..=n`) that fills at once, starts without a
/// countdown and runs far longer than any bench.
struct Lobby {
    core: Core<BenchLink>,
    players: Vec<u32>,
    script: Script,
    /// Member 1's last frame, when the lobby was built to keep it.
    last: Option<Rc<RefCell<Option<Bytes>>>>,
}

impl Lobby {
    /// A lobby whose mode sends state `send_hz` times per second (the mode's `send_hz`).
    fn with_send_rate(n: u32, keep_last: bool, send_hz: u32) -> Self {
        let built = wrap_v1(Box::new(arena(n)), self::settings(n)).expect("the arena's schema");
        Lobby::with_game(n, keep_last, send_hz, built, 1)
    }

    /// A lobby of any built game whose members speak `protocol`.
    fn with_game(n: u32, keep_last: bool, send_hz: u32, built: Built, protocol: u32) -> Self {
        let settings = Settings {
            lobby: 1,
            mode: "arena".into(),
            code: None,
            tick_hz: TICK_HZ,
            send_hz,
            min_players: 1,
            max_players: n,
            fill_timeout_ticks: 0,
            countdown_ticks: 0,
            match_ticks: u64::MAX / 4,
            grace_ticks: u64::MAX / 4,
            backfill: true,
            chat_history: 20,
            chat_backlog: 32,
        };
        let script = Script::for_layout(built.0.layout());
        let mut core = Core::new(settings, built);
        let players: Vec<u32> = (1..=n).collect();
        let last = keep_last.then(|| Rc::new(RefCell::new(None)));
        for &p in &players {
            let link = BenchLink { last: if p == 1 { last.clone() } else { None }, protocol };
            let record = PlayerRecord { id: p, name: format!("player{p}"), ..Default::default() };
            core.seat(record, format!("player{p}").into(), link, Duration::ZERO);
        }
        core.announce(&players);
        while core.poll_output().is_some() {}
        Lobby { core, players, script, last }
    }

    /// A lobby with `n` members, past its warm-up.
    fn warmed(n: u32, keep_last: bool) -> Self {
        Lobby::warmed_at(n, keep_last, TICK_HZ)
    }

    fn warmed_at(n: u32, keep_last: bool, send_hz: u32) -> Self {
        let mut l = Lobby::with_send_rate(n, keep_last, send_hz);
        for _ in 0..WARMUP_TICKS {
            l.full_tick();
        }
        l
    }

    /// One whole tick of the core, with this tick's input of every member.
    fn full_tick(&mut self) {
        let t = self.core.tick_count() + 1;
        for &p in &self.players {
            self.core.push_input(p, self.script.frame(p, t), Duration::ZERO);
        }
        black_box(self.core.tick(Duration::ZERO));
        // Outputs are lobby-level effects (status, seats): none in a steady tick.
        while self.core.poll_output().is_some() {}
    }
}

/// The pieces of a tick, staged on an arena of their own with the same script: the inputs
/// of the next tick applied, then `step`, `view`, `diff_into` and the sorted acks.
struct Pieces {
    game: Arena,
    players: Vec<u32>,
    script: Script,
    tick: u64,
    prev: WorldView,
    cur: WorldView,
    delta: Delta,
    acks: Vec<(u32, u64)>,
}

impl Pieces {
    fn new(n: u32) -> Self {
        let mut game = arena(n);
        let players: Vec<u32> = (1..=n).collect();
        for &p in &players {
            game.add_player(p);
        }
        Pieces {
            game,
            players,
            script: Script::new(),
            tick: 0,
            prev: WorldView::new(),
            cur: WorldView::new(),
            delta: Delta::default(),
            acks: Vec::new(),
        }
    }

    fn apply_inputs(&mut self, t: u64) {
        for &p in &self.players {
            self.game.apply_input(p, &self.script.input(p, t));
        }
    }

    /// Run the next tick up to (not including) the rotation.
    fn stage(&mut self) {
        self.tick += 1;
        self.apply_inputs(self.tick);
        self.game.step();
        self.cur.clear();
        self.game.view(&mut self.cur);
        self.cur.finish().expect("the arena's entity ids are unique");
        self.acks.clear();
        self.acks.extend(self.players.iter().map(|&p| (p, self.tick)));
        self.prev.diff_into(&self.cur, &mut self.delta);
    }

    fn rotate(&mut self) {
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.cur.clear();
    }

    /// Past the warm-up, with the next tick staged.
    fn staged(n: u32) -> Self {
        let mut s = Pieces::new(n);
        for _ in 0..WARMUP_TICKS {
            s.stage();
            s.rotate();
        }
        s.stage();
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
    let mut l = Lobby::warmed(n, true);
    let (mut dmin, mut dmax, mut dsum) = (usize::MAX, 0, 0usize);
    let (mut smin, mut smax, mut slast) = (usize::MAX, 0, 0);
    let (mut changed, mut added, mut removed) = (0usize, 0usize, 0usize);
    let mut entities_last = 0;
    for _ in 0..MEASURE_TICKS {
        l.full_tick();
        let d = l.core.last_delta_len();
        let snap = l.core.snapshot().len();
        (dmin, dmax, dsum) = (dmin.min(d), dmax.max(d), dsum + d);
        (smin, smax, slast) = (smin.min(snap), smax.max(snap), snap);
        let frame = l.last.as_ref().and_then(|f| f.borrow_mut().take()).expect("a delta");
        assert_eq!(frame.len(), d, "member 1 got this tick's delta");
        let Ok(ServerMessage::Delta(delta)) = decode_server(&frame) else {
            panic!("member 1 got a delta")
        };
        changed += delta.changed.len();
        added += delta.added.len();
        removed += delta.removed.len();
        entities_last = l.core.last_view().len();
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
        let mut live = Pieces::staged(n);
        g.bench_function("step", |b| {
            b.iter_batched(
                || {
                    live.rotate();
                    live.stage();
                    let mut game = live.game.clone();
                    let t = live.tick + 1;
                    for &p in &live.players {
                        game.apply_input(p, &live.script.input(p, t));
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
        let mut s = Pieces::staged(n);
        g.bench_function("view_diff", |b| {
            b.iter(|| {
                s.cur.clear();
                s.game.view(&mut s.cur);
                s.cur.finish().expect("unique ids");
                s.prev.diff_into(&s.cur, &mut s.delta);
                black_box(&s.delta);
            })
        });

        let s = Pieces::staged(n);
        g.bench_function("encode_delta", |b| {
            b.iter(|| {
                encode_delta(black_box(s.tick), s.tick - 1, black_box(&s.acks), black_box(&s.delta))
            })
        });
        g.bench_function("encode_snapshot", |b| {
            b.iter(|| encode_snapshot(black_box(s.tick), black_box(&s.acks), black_box(&s.cur)))
        });
    }

    let mut l = Lobby::warmed(n, false);
    g.bench_function("full_tick", |b| b.iter(|| l.full_tick()));
    // The mean tick of a mode with `send_hz = 10`: two ticks of every three skip the view,
    // diff, encode and fan-out.
    let mut l = Lobby::warmed_at(n, false, 10);
    g.bench_function("full_tick_send_hz_10", |b| b.iter(|| l.full_tick()));
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_arena(c, 16, true);
    bench_arena(c, 64, false);
}

criterion_group!(tick, benches);

/// `TICK_BENCH_FIXED=players,send_hz,ticks` (and `TICK_BENCH_GAME=arena_v2` for the v2 arena
/// with protocol-2 members instead of the v1 arena): run exactly that many ticks after the warm-up
/// and exit, for instruction counts under `valgrind --tool=callgrind` (which do not depend on
/// what else the machine runs). Two runs with different `ticks` give the cost per tick by
/// difference, setup and warm-up cancelling out.
fn fixed_run(spec: &str) {
    let v: Vec<u64> =
        spec.split(',').map(|x| x.trim().parse().expect("players,send_hz,ticks")).collect();
    let [players, send_hz, ticks] = v[..] else { panic!("TICK_BENCH_FIXED=players,send_hz,ticks") };
    let n = players as u32;
    let mut l = if std::env::var("TICK_BENCH_GAME").as_deref() == Ok("arena_v2") {
        let s = arena_v2::ArenaSettings::default();
        let built = tickwave::game::v2::build::<arena_v2::Arena>(s, settings(n)).unwrap();
        Lobby::with_game(n, false, send_hz as u32, built, 2)
    } else {
        Lobby::with_send_rate(n, false, send_hz as u32)
    };
    for _ in 0..WARMUP_TICKS {
        l.full_tick();
    }
    for _ in 0..ticks {
        l.full_tick();
    }
}

fn main() {
    if let Ok(spec) = std::env::var("TICK_BENCH_FIXED") {
        return fixed_run(&spec);
    }
    // `--list` (and `cargo bench -- --list`) should print only the benchmark names.
    if !std::env::args().any(|a| a == "--list") {
        report_sizes();
    }
    tick();
    Criterion::default().configure_from_args().final_summary();
}
