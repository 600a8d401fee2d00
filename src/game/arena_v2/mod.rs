//! `arena` on game API v2: the default game, a free-for-all shooter on a square map.
//!
//! # Rules
//!
//! - **Map.** 100 x 100 units, origin top-left, `x` to the right and `y` down. Players are
//!   kept inside `0..=100` on both axes.
//! - **Input** (held: a player's last input stays in effect until its next one; a player
//!   whose connection drops lets go of everything). `dx`, `dy` (f32, clamped to -1..1):
//!   movement, normalised so a diagonal is no faster. `aim` (f32 radians, clamped to
//!   -pi..pi): 0 points along +x, pi/2 along +y. `fire` (bool): shoot while held.
//!   `dash` (bool): dash while held (and the dash is ready).
//! - **Moving.** 20 units/s (`speed`). A dash multiplies the speed by 3 (`dash_factor`) for
//!   0.2 s (`dash_ms`) and can start again 2 s (`dash_cooldown_ms`) after it started. A dash
//!   goes where the player moves, or along its aim when it stands still.
//! - **Shooting.** A shot starts at the shooter and flies along its aim at 60 units/s
//!   (`shot_speed`) for 1 s (`shot_ttl_ms`), or until it leaves the map. A player fires at
//!   most every 250 ms (`fire_cooldown_ms`) and has at most 4 shots in flight
//!   (`max_shots`); with 4 in flight, the next leaves on the tick after one ends. A shot
//!   hits the first other living player whose centre comes within 1.5 units of its path
//!   during a tick (the earliest along the path; the lowest id on a tie), and ends there. A
//!   player is never hit by its own shots; there are no teams.
//! - **Damage and kills.** Players have 100 hp; a hit takes 25 (`damage`). At 0 hp the
//!   victim dies: every player receives the event `kill {killer, victim}`, the killer scores
//!   5 (`kill_points`), and the victim respawns 3 s later (`player_respawn_ms`) at a random
//!   place with full hp. While dead a player does not move, shoot, get hit or collect. Shots
//!   already in flight fly on when their shooter dies, and still score for it.
//! - **Pickups.** 12 (`pickups`) lie on the map, each worth 1 to 3 points. A living player
//!   within 3 units collects it (the lowest player id when several are in reach); another
//!   appears at a random place 1 s later (`respawn_secs`).
//! - **Phases.** Before the match runs (waiting, starting) players move and shoot, but shots
//!   do no damage (they still end on the first player they meet) and pickups are not
//!   collected. When the match starts every player's score is reset, hp filled, position
//!   drawn anew, cooldowns cleared, and shots in flight removed.
//! - **Score** = pickup points + kill points; `results` carries it.
//!
//! # Schema (the public wire names)
//!
//! - kind `player` (entity id = player id): `x`, `y` (f32 units), `aim` (f32 radians),
//!   `score` (i64), `name` (str, at most 24 bytes: the player's name, cut at a character
//!   boundary), `hp` (i32 0..=100), `dashing` (bool), `alive` (bool).
//! - kind `shot` (ids from 2^31): `x`, `y` (f32), `owner` (i64 player id).
//! - kind `pickup` (ids from 3 x 2^30): `x`, `y` (f32), `value` (i32 1..=3). (The id
//!   ranges keep the view in id order cheaply; clients tell kinds apart by `kind`.)
//! - globals: `time_left_ms` (i64; 0 when the match is not running).
//! - input: `dx`, `dy`, `aim` (f32), `fire`, `dash` (bool).
//! - event `kill`: `killer`, `victim` (i64 player ids), to everyone.
//! - no commands.
//!
//! # Determinism
//!
//! All positions are integers in 1/100 of a unit; the aim becomes a direction through an
//! integer sine ([`trig`]) rather than the platform's libm, and randomness comes from the
//! lobby's seed. The same seed and inputs give the same views, bit for bit, everywhere.
//!
//! # Cost
//!
//! Per tick O(players + shots): players and shots live in vectors ordered by id, the
//! hit and pickup tests go through a grid of the living players, rebuilt each tick, and the view
//! pushes players, shots and pickups in id order (the id ranges are chosen so) with names
//! borrowed, so `View::finish` does not sort and nothing allocates per entity.

mod grid;
mod settings;
mod sim;
#[cfg(test)]
mod tests;
pub mod trig;

pub use settings::ArenaSettings;

use super::SplitMix64;
use super::v2::schema::{KindId, Schema, SchemaBuilder, View, ViewError};
use super::v2::{Game, JoinRefusal, MatchCtx, NoCommand, PlayerRecord, Setup};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Fixed-point scale: 100 = one map unit.
pub const SCALE: i32 = 100;
/// The map is `SIZE` x `SIZE` fixed-point (100 x 100 units).
pub const SIZE: i32 = 100 * SCALE;
/// Hit points of a fresh player.
pub const MAX_HP: i32 = 100;
/// A shot whose path comes this close (fixed-point) to a player's centre hits it.
pub const HIT_RADIUS: i32 = 150;
/// A player within this distance (fixed-point) of a pickup collects it.
pub const PICKUP_RADIUS: i32 = 3 * SCALE;
/// Longest name shown, in bytes.
pub const NAME_MAX: usize = 24;
/// Shots take ids from here up to [`PICKUP_ID_BASE`]: above every player id and below
/// every pickup id, so pushing players, shots, then pickups is pushing in id order.
const SHOT_ID_BASE: u32 = 1 << 31;
const PICKUP_ID_BASE: u32 = 3 << 30;

/// What a player holds (the schema's input).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ArenaInput {
    /// Movement, -1..1 (clamped).
    pub dx: f32,
    /// Movement, -1..1 (clamped).
    pub dy: f32,
    /// Aim in radians, -pi..pi (clamped); 0 is +x, pi/2 is +y.
    pub aim: f32,
    /// Shoot while held.
    pub fire: bool,
    /// Dash while held.
    pub dash: bool,
}

/// A `player` entity as clients see it (the name is borrowed: no allocation per view).
#[derive(Debug, Default, Serialize)]
pub struct PlayerState<'a> {
    /// Position in map units, 0..=100.
    pub x: f32,
    /// Position in map units, 0..=100.
    pub y: f32,
    /// The aim in radians, as the simulation uses it (rounded to 1/65536 of a turn).
    pub aim: f32,
    /// Pickup points plus kill points.
    pub score: i64,
    /// The player's name, at most [`NAME_MAX`] bytes.
    pub name: &'a str,
    /// Hit points, 0..=100.
    pub hp: i32,
    /// Dashing this tick.
    pub dashing: bool,
    /// False while dead, waiting to respawn.
    pub alive: bool,
}

/// A `shot` entity.
#[derive(Debug, Default, Serialize)]
pub struct ShotState {
    /// Position in map units.
    pub x: f32,
    /// Position in map units.
    pub y: f32,
    /// The shooter's player id.
    pub owner: i64,
}

/// A `pickup` entity.
#[derive(Debug, Default, Serialize)]
pub struct PickupState {
    /// Position in map units.
    pub x: f32,
    /// Position in map units.
    pub y: f32,
    /// Points it scores, 1..=3.
    pub value: i32,
}

/// The globals.
#[derive(Debug, Default, Serialize)]
pub struct ArenaGlobals {
    /// Milliseconds left in the match; 0 when it is not running.
    pub time_left_ms: i64,
}

/// The `kill` event, to everyone.
#[derive(Debug, Default, Serialize)]
pub struct Kill {
    /// The shooter's player id.
    pub killer: i64,
    /// The killed player's id.
    pub victim: i64,
}

#[derive(Debug, Clone)]
struct Player {
    id: u32,
    name: String,
    x: i32,
    y: i32,
    /// Held movement in hundredths, each in -100..=100.
    dx: i32,
    dy: i32,
    /// Held aim in brads.
    aim: i32,
    fire: bool,
    dash: bool,
    score: i64,
    hp: i32,
    /// Ticks until a dead player respawns; 0 while alive.
    down: u32,
    fire_wait: u32,
    dash_wait: u32,
    dash_left: u32,
    /// Its shots in flight (for `max_shots`).
    shots: u32,
}

impl Player {
    fn alive(&self) -> bool {
        self.down == 0
    }
}

#[derive(Debug, Clone)]
struct Shot {
    id: u32,
    owner: u32,
    x: i32,
    y: i32,
    /// Fixed-point per tick.
    vx: i32,
    vy: i32,
    /// Moves left.
    ttl: u32,
}

#[derive(Debug, Clone)]
struct Pickup {
    id: u32,
    x: i32,
    y: i32,
    value: i32,
}

/// The settings turned into ticks and fixed-point, once, at `new`.
#[derive(Debug, Clone)]
struct Rules {
    tick_hz: i64,
    /// Walking distance per tick, fixed-point.
    step: i32,
    /// Shot speed, fixed-point per second.
    shot_speed: i64,
    shot_ttl: u32,
    fire_cooldown: u32,
    max_shots: u32,
    damage: i32,
    kill_points: i64,
    player_respawn: u32,
    dash_factor: i32,
    dash_ticks: u32,
    dash_cooldown: u32,
    pickup_respawn: u32,
    pickups: u32,
}

#[derive(Debug, Clone, Copy)]
struct Kinds {
    player: KindId,
    shot: KindId,
    pickup: KindId,
}

/// The v2 arena; see the module doc.
#[derive(Debug, Clone)]
pub struct Arena {
    rules: Rules,
    kinds: Kinds,
    rng: SplitMix64,
    /// Ordered by id.
    players: Vec<Player>,
    /// Ordered by id (spawn order).
    shots: Vec<Shot>,
    /// Ordered by id (spawn order).
    pickups: Vec<Pickup>,
    /// Ticks left until each missing pickup respawns.
    pickup_timers: Vec<u32>,
    next_shot: u32,
    next_pickup: u32,
    time_left_ms: i64,
    grid: grid::Grid,
}

/// `ms` as ticks at `hz`, rounded up (as `MatchCtx::ticks_for_ms`, which `new` cannot use).
fn ticks(ms: u32, hz: u32) -> u32 {
    (u64::from(ms) * u64::from(hz)).div_ceil(1000).min(u64::from(u32::MAX)) as u32
}

/// Map a clamped float direction to hundredths in -100..=100.
fn hundredths(v: f32) -> i32 {
    if v.is_finite() { (v.clamp(-1.0, 1.0) * 100.0).round() as i32 } else { 0 }
}

/// The longest prefix of `name` of at most [`NAME_MAX`] bytes ending at a char boundary.
fn short_name(name: &str) -> String {
    let mut end = name.len().min(NAME_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

fn units(v: i32) -> f32 {
    v as f32 / SCALE as f32
}

impl Arena {
    fn random_point(&mut self) -> (i32, i32) {
        (self.rng.range(SCALE, SIZE - SCALE), self.rng.range(SCALE, SIZE - SCALE))
    }

    fn spawn_pickup(&mut self) {
        let (x, y) = self.random_point();
        let value = self.rng.range(1, 4);
        let id = PICKUP_ID_BASE + (self.next_pickup % (1 << 30));
        self.next_pickup = self.next_pickup.wrapping_add(1);
        self.pickups.push(Pickup { id, x, y, value });
    }

    fn index(&self, player: u32) -> Option<usize> {
        self.players.binary_search_by_key(&player, |p| p.id).ok()
    }

    /// A player back at full strength at a fresh random place, cooldowns and dash cleared.
    fn respawn(&mut self, i: usize) {
        let (x, y) = self.random_point();
        let p = &mut self.players[i];
        (p.x, p.y, p.hp, p.down) = (x, y, MAX_HP, 0);
        (p.fire_wait, p.dash_wait, p.dash_left) = (0, 0, 0);
    }
}

impl Game for Arena {
    const NAME: &'static str = "arena";
    type Input = ArenaInput;
    type Command = NoCommand;
    type Settings = ArenaSettings;

    fn schema(_: &ArenaSettings) -> SchemaBuilder {
        let map = 100;
        Schema::builder()
            .kind::<PlayerState<'static>>("player", |k| {
                k.range("x", 0, map)
                    .range("y", 0, map)
                    .max_len("name", NAME_MAX as u32)
                    .range("hp", 0, MAX_HP)
            })
            .kind::<ShotState>("shot", |k| k.range("x", 0, map).range("y", 0, map))
            .kind::<PickupState>("pickup", |k| {
                k.range("x", 0, map).range("y", 0, map).range("value", 1, 3)
            })
            .globals::<ArenaGlobals>(|g| g)
            .input::<ArenaInput>(|i| {
                i.clamp("dx", -1.0, 1.0).clamp("dy", -1.0, 1.0).clamp("aim", -PI, PI)
            })
            .event::<Kill>("kill", |e| e)
    }

    fn new(s: ArenaSettings, setup: Setup<'_>) -> Self {
        let hz = setup.tick_hz.max(1);
        let kind = |name| setup.layout.kind_id(name).expect("the arena's own schema");
        let rules = Rules {
            tick_hz: i64::from(hz),
            step: (s.speed.min(100) as i32 * SCALE) / hz as i32,
            shot_speed: i64::from(s.shot_speed.min(200)) * i64::from(SCALE),
            shot_ttl: ticks(s.shot_ttl_ms, hz).max(1),
            fire_cooldown: ticks(s.fire_cooldown_ms, hz),
            max_shots: s.max_shots.clamp(1, 16),
            damage: s.damage.clamp(1, 100) as i32,
            kill_points: i64::from(s.kill_points),
            player_respawn: ticks(s.player_respawn_ms, hz).max(1),
            dash_factor: s.dash_factor.clamp(1, 10) as i32,
            dash_ticks: ticks(s.dash_ms, hz),
            dash_cooldown: ticks(s.dash_cooldown_ms, hz),
            pickup_respawn: s.respawn_secs.min(60) * hz,
            pickups: s.pickups.min(64),
        };
        let mut a = Arena {
            kinds: Kinds { player: kind("player"), shot: kind("shot"), pickup: kind("pickup") },
            rng: SplitMix64::new(setup.seed),
            players: Vec::new(),
            shots: Vec::new(),
            pickups: Vec::new(),
            pickup_timers: Vec::new(),
            next_shot: 0,
            next_pickup: 0,
            time_left_ms: 0,
            grid: grid::Grid::default(),
            rules,
        };
        for _ in 0..a.rules.pickups {
            a.spawn_pickup();
        }
        a
    }

    fn join(&mut self, _: &mut MatchCtx, record: &PlayerRecord) -> Result<(), JoinRefusal> {
        let (x, y) = self.random_point();
        let p = Player {
            id: record.id,
            name: short_name(&record.name),
            x,
            y,
            dx: 0,
            dy: 0,
            aim: 0,
            fire: false,
            dash: false,
            score: 0,
            hp: MAX_HP,
            down: 0,
            fire_wait: 0,
            dash_wait: 0,
            dash_left: 0,
            shots: 0,
        };
        match self.players.binary_search_by_key(&record.id, |p| p.id) {
            Ok(i) => self.players[i] = p,
            Err(i) => self.players.insert(i, p),
        }
        Ok(())
    }

    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        if let Some(i) = self.index(player) {
            self.players.remove(i);
            // Its shots go with it: a kill must credit a player who is still here.
            self.shots.retain(|s| s.owner != player);
        }
    }

    fn disconnected(&mut self, _: &mut MatchCtx, player: u32) {
        // A held seat lets go of its input, so an absent player does not fire forever.
        if let Some(i) = self.index(player) {
            let p = &mut self.players[i];
            (p.dx, p.dy, p.fire, p.dash) = (0, 0, false, false);
        }
    }

    fn input(&mut self, _: &mut MatchCtx, player: u32, input: ArenaInput) {
        if let Some(i) = self.index(player) {
            let p = &mut self.players[i];
            p.dx = hundredths(input.dx);
            p.dy = hundredths(input.dy);
            p.aim = trig::brads(input.aim);
            p.fire = input.fire;
            p.dash = input.dash;
        }
    }

    fn start(&mut self, ctx: &mut MatchCtx) {
        for i in 0..self.players.len() {
            self.respawn(i);
            let p = &mut self.players[i];
            (p.score, p.shots) = (0, 0);
        }
        self.shots.clear();
        self.time_left_ms = ctx.time_left_ms().map_or(0, |t| t as i64);
    }

    fn step(&mut self, ctx: &mut MatchCtx) {
        self.time_left_ms = ctx.time_left_ms().map_or(0, |t| t as i64);
        self.step_players();
        self.advance_shots(ctx);
        self.collect_pickups(ctx);
        self.respawn_pickups();
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let k = self.kinds;
        for p in &self.players {
            let state = PlayerState {
                x: units(p.x),
                y: units(p.y),
                aim: trig::radians(p.aim),
                score: p.score,
                name: &p.name,
                hp: p.hp,
                dashing: p.dash_left > 0,
                alive: p.alive(),
            };
            out.push(p.id, k.player, &state)?;
        }
        for s in &self.shots {
            let state = ShotState { x: units(s.x), y: units(s.y), owner: s.owner.into() };
            out.push(s.id, k.shot, &state)?;
        }
        for c in &self.pickups {
            out.push(
                c.id,
                k.pickup,
                &PickupState { x: units(c.x), y: units(c.y), value: c.value },
            )?;
        }
        out.set_globals(&ArenaGlobals { time_left_ms: self.time_left_ms })
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.players.iter().map(|p| (p.id, p.score)).collect()
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "players": self.players.len(),
            "alive": self.players.iter().filter(|p| p.alive()).count(),
            "shots": self.shots.len(),
            "pickups": self.pickups.len(),
            "top_score": self.players.iter().map(|p| p.score).max(),
        })
    }
}
