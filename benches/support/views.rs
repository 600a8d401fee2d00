//! Bytes and encodes of per-player views (issue 16, item 7), measured deterministically
//! through the server's own lobby core: a 64-player `fog` lobby against a 16-player
//! `arena` lobby (the typed arena, protocol 2), both on the same scripted play. Shared by
//! `benches/views.rs` (which prints the figures) and `tests/view_bytes.rs` (which holds fog
//! to issue 16's bound of 1.5x the arena's bytes per player per second).
//!
//! The figures are counts, not timings: the same on any machine.
//!
//! The script, for player `p` at tick `t`: it walks in legs of 2 s, each in a direction drawn
//! from `(p, leg)` by a fixed hash, so players cross the whole map (in fog the teams meet);
//! it aims at `t / 10 + p` radians (a turn of 0.1 rad per tick, so the aim changes every
//! tick), and holds fire 10 ticks out of 50.

use bytes::Bytes;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tickwave::game::v2::{PlayerRecord, build};
use tickwave::game::{Built, GameSettings, SplitMix64, arena_v2};
use tickwave::games::fog;
use tickwave::testing::{Core, Delivery, Link, Settings, TickStats};
use tickwave_protocol::v2::{InputFrame, Layout, decode_input, encode_input};

pub const TICK_HZ: u32 = 30;
/// Ticks before anything is counted: the teams have met, sequence numbers are multi-byte.
pub const WARMUP_TICKS: u64 = 300;
/// Ticks counted: 30 s at 30 Hz.
pub const MEASURE_TICKS: u64 = 900;
const SEED: u64 = 0x7469_636b_7761_7665;

/// A member's link that takes every frame and drops it, counting the snapshots and their
/// bytes (a frame is a map whose first member is `type`: `81..8f a4 "type"`, then the
/// type's name, `a8 "snapshot"` for a snapshot).
struct Sink(Rc<Cell<(u64, u64)>>);

impl Link for Sink {
    fn session(&self) -> u64 {
        1
    }
    fn send(&self, bytes: Bytes) -> Delivery {
        if bytes.get(6..15) == Some(b"\xa8snapshot") {
            let (n, b) = self.0.get();
            self.0.set((n + 1, b + bytes.len() as u64));
        }
        Delivery::Sent
    }
    fn room(&self) -> Option<usize> {
        Some(usize::MAX / 2)
    }
    fn lobby_ended(&self, _: u64) {}
    fn protocol(&self) -> u32 {
        2
    }
}

/// The games compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Game {
    /// The typed arena (`arena`).
    Arena,
    /// `fog` with its default settings.
    Fog,
}

#[derive(serde::Serialize)]
struct ArenaInput {
    dx: f32,
    dy: f32,
    aim: f32,
    fire: bool,
}

#[derive(serde::Serialize)]
struct FogInput {
    mx: f32,
    my: f32,
    aim: f32,
    fire: bool,
}

/// What one lobby sent over the counted ticks.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub game: Game,
    pub players: u32,
    /// State bytes (deltas and snapshots) per player per second.
    pub bytes_per_player_s: f64,
    /// State messages encoded per tick (mean and largest).
    pub encodes_mean: f64,
    pub encodes_max: u64,
    /// Distinct views per tick (mean).
    pub views_mean: f64,
    /// Snapshots sent per tick (a member whose view changed, e.g. from its team's to its
    /// own, gets one instead of a delta), and their share of the bytes.
    pub snapshots_per_tick: f64,
    pub snapshot_share: f64,
}

/// The script's input for player `p` at tick `t`, as the core takes it.
fn input(layout: &Layout, game: Game, p: u32, t: u64) -> InputFrame {
    let leg = t / 60;
    let mut h = SplitMix64::new(u64::from(p) << 32 ^ leg);
    let heading = (h.next_u64() % 6283) as f32 / 1000.0;
    let (dx, dy) = (heading.cos(), heading.sin());
    let aim = ((t as f32 / 10.0 + p as f32) % std::f32::consts::TAU) - std::f32::consts::PI;
    let fire = (t + 7 * u64::from(p)) % 50 < 10;
    let bytes = match game {
        Game::Arena => encode_input(t, None, &ArenaInput { dx, dy, aim, fire }),
        Game::Fog => encode_input(t, None, &FogInput { mx: dx, my: dy, aim, fire }),
    };
    let values = decode_input(layout.input(), &bytes.unwrap()).expect("a valid input").values;
    InputFrame { seq: t, tick: None, values }
}

fn lobby(game: Game, n: u32, counts: &Rc<Cell<(u64, u64)>>) -> Core<Sink> {
    let gs = GameSettings { seed: SEED, tick_hz: TICK_HZ, max_players: n };
    let built: Built = match game {
        Game::Arena => build::<arena_v2::Arena>(arena_v2::ArenaSettings::default(), gs),
        Game::Fog => build::<fog::Fog>(fog::FogSettings::default(), gs),
    }
    .expect("a built-in game");
    let settings = Settings {
        lobby: 1,
        mode: format!("{game:?}").to_lowercase(),
        code: None,
        tick_hz: TICK_HZ,
        send_hz: TICK_HZ,
        min_players: 1,
        max_players: n,
        fill_timeout_ticks: 0,
        countdown_ticks: 0,
        match_ticks: 1 << 30,
        grace_ticks: 1 << 30,
        backfill: true,
        chat_history: 20,
        chat_backlog: 32,
    };
    let mut core = Core::new(settings, built);
    let players: Vec<u32> = (1..=n).collect();
    for &p in &players {
        let record = PlayerRecord { id: p, name: format!("player{p}"), ..Default::default() };
        core.seat(record, format!("player{p}").into(), Sink(counts.clone()), Duration::ZERO);
    }
    core.announce(&players);
    while core.poll_output().is_some() {}
    core
}

/// A lobby of `game` with players `1..=n` on the script.
pub struct Lobby {
    core: Core<Sink>,
    layout: std::sync::Arc<Layout>,
    game: Game,
    n: u32,
    /// Snapshots sent and their bytes, over all members.
    counts: Rc<Cell<(u64, u64)>>,
}

impl Lobby {
    pub fn new(game: Game, n: u32) -> Lobby {
        let counts = Rc::new(Cell::new((0, 0)));
        let core = lobby(game, n, &counts);
        let layout = core.layout().clone();
        Lobby { core, layout, game, n, counts }
    }

    /// One tick of the core with every player's scripted input.
    pub fn tick(&mut self) -> TickStats {
        let t = self.core.tick_count() + 1;
        for p in 1..=self.n {
            self.core.push_input(p, input(&self.layout, self.game, p, t), Duration::ZERO);
        }
        let s = self.core.tick(Duration::ZERO);
        while self.core.poll_output().is_some() {}
        s
    }
}

/// Run `game` with `n` players: the warm-up, then the counted ticks.
pub fn measure(game: Game, n: u32) -> Figures {
    let mut l = Lobby::new(game, n);
    for _ in 0..WARMUP_TICKS {
        l.tick();
    }
    l.counts.set((0, 0));
    let (mut bytes, mut encodes, mut encodes_max, mut views) = (0u64, 0, 0, 0);
    for _ in 0..MEASURE_TICKS {
        let s = l.tick();
        assert!(s.viewed, "every tick sends state");
        bytes += s.state_bytes;
        encodes += s.encodes;
        encodes_max = encodes_max.max(s.encodes);
        views += s.views;
    }
    let ticks = MEASURE_TICKS as f64;
    let (snapshots, snapshot_bytes) = l.counts.get();
    Figures {
        game,
        players: n,
        bytes_per_player_s: bytes as f64 / ticks * f64::from(TICK_HZ) / f64::from(n),
        encodes_mean: encodes as f64 / ticks,
        encodes_max,
        views_mean: views as f64 / ticks,
        snapshots_per_tick: snapshots as f64 / ticks,
        snapshot_share: snapshot_bytes as f64 / bytes.max(1) as f64,
    }
}
