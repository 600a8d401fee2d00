//! `arena`: the built-in demo game.
//!
//! A bounded square arena. Players move with `dx`/`dy`; holding `action` boosts their speed.
//! Pickups worth 1 to 3 points lie around; touching one scores it, and a new one appears
//! elsewhere a second later. All arithmetic is integer fixed-point (1/100 of a unit), so the
//! simulation is bit-for-bit deterministic on every platform.
//!
//! Entities (kind index, fields):
//! - 0 `player`: `x`, `y`, `score`, `boost` (1 while boosting); the entity id is the player id.
//! - 1 `pickup`: `x`, `y`, `value`; ids start at 2^31 and are never reused within a lobby.

use super::{Game, GameSettings, SplitMix64};
use std::collections::BTreeMap;
use tickwave_protocol::{Entity, EntityKindSchema, Input, WorldView};

/// Fixed-point scale: 100 = one unit.
pub const SCALE: i32 = 100;
/// The arena is `SIZE` x `SIZE` fixed-point (100 x 100 units), origin top-left.
pub const SIZE: i32 = 100 * SCALE;
/// Walking speed, fixed-point per second.
pub const SPEED: i32 = 20 * SCALE;
/// Boost multiplies the speed by this.
pub const BOOST: i32 = 2;
/// A player within this distance of a pickup collects it.
pub const PICKUP_RADIUS: i32 = 3 * SCALE;
/// Pickups present when none is waiting to respawn.
pub const PICKUPS: usize = 12;
/// A collected pickup reappears after this many seconds.
pub const RESPAWN_SECS: u32 = 1;

const PICKUP_ID_BASE: u32 = 1 << 31;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Player {
    x: i32,
    y: i32,
    /// Direction in hundredths, each in -100..=100.
    dx: i32,
    dy: i32,
    boost: bool,
    score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pickup {
    x: i32,
    y: i32,
    value: i32,
}

/// The arena's per-mode settings (`[mode.settings]` in modes.toml); every key is optional
/// and the defaults are the rules PROTOCOL.md describes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ArenaConfig {
    /// Pickups on the map when none is respawning (0..=64; default 12).
    pub pickups: u32,
    /// Player speed in map units per second (1..=100; default 20).
    pub speed: u32,
    /// Seconds before a taken pickup respawns (0..=60; default 1).
    pub respawn_secs: u32,
}

impl Default for ArenaConfig {
    fn default() -> Self {
        ArenaConfig {
            pickups: PICKUPS as u32,
            speed: (SPEED / SCALE) as u32,
            respawn_secs: RESPAWN_SECS,
        }
    }
}

impl super::GameConfig for ArenaConfig {
    fn check(&self) -> Result<(), String> {
        let range = |key: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{key} must be in {lo}..={hi}, got {v}"))
            }
        };
        range("pickups", self.pickups, 0, 64)?;
        range("speed", self.speed, 1, 100)?;
        range("respawn_secs", self.respawn_secs, 0, 60)
    }
}

/// The arena simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arena {
    rng_state: u64,
    tick_hz: i32,
    players: BTreeMap<u32, Player>,
    pickups: BTreeMap<u32, Pickup>,
    /// Ticks left until each missing pickup respawns.
    respawns: Vec<u32>,
    next_pickup: u32,
    /// Fixed-point map units per second.
    speed: i32,
    respawn_secs: u32,
}

impl Arena {
    /// A fresh arena for these settings, with the default rules.
    pub fn new(s: GameSettings) -> Self {
        Arena::with_config(s, &ArenaConfig::default())
    }

    /// A fresh arena with a mode's own rules (checked by [`ArenaConfig`]'s `check`).
    pub fn with_config(s: GameSettings, c: &ArenaConfig) -> Self {
        let mut a = Arena {
            rng_state: s.seed,
            tick_hz: s.tick_hz.max(1) as i32,
            players: BTreeMap::new(),
            pickups: BTreeMap::new(),
            respawns: Vec::new(),
            next_pickup: 0,
            speed: c.speed.min(100) as i32 * SCALE,
            respawn_secs: c.respawn_secs,
        };
        for _ in 0..c.pickups.min(64) {
            a.spawn_pickup();
        }
        a
    }

    fn rng(&mut self) -> SplitMix64 {
        // The generator state lives in the struct as a plain u64 so `Arena` stays `Eq`.
        SplitMix64::new(self.rng_state)
    }

    fn random_point(&mut self) -> (i32, i32) {
        let mut r = self.rng();
        let p = (r.range(SCALE, SIZE - SCALE), r.range(SCALE, SIZE - SCALE));
        self.rng_state = r.next_u64();
        p
    }

    fn spawn_pickup(&mut self) {
        let (x, y) = self.random_point();
        let mut r = self.rng();
        let value = r.range(1, 4);
        self.rng_state = r.next_u64();
        let id = PICKUP_ID_BASE | (self.next_pickup & !PICKUP_ID_BASE);
        self.next_pickup = self.next_pickup.wrapping_add(1);
        self.pickups.insert(id, Pickup { x, y, value });
    }

    /// Score of a player, for tests and summaries.
    pub fn score(&self, player: u32) -> Option<i64> {
        self.players.get(&player).map(|p| p.score)
    }

    /// Position of a player in fixed-point, for tests.
    pub fn position(&self, player: u32) -> Option<(i32, i32)> {
        self.players.get(&player).map(|p| (p.x, p.y))
    }
}

/// Map a float direction to hundredths in -100..=100; NaN is treated as 0.
fn quantize(v: f32) -> i32 {
    if v.is_nan() { 0 } else { (v.clamp(-1.0, 1.0) * 100.0).round() as i32 }
}

impl Game for Arena {
    fn name(&self) -> &'static str {
        "arena"
    }

    fn schema(&self) -> Vec<EntityKindSchema> {
        let s = |kind: &str, fields: &[&str]| EntityKindSchema {
            kind: kind.into(),
            fields: fields.iter().map(|f| (*f).into()).collect(),
        };
        vec![s("player", &["x", "y", "score", "boost"]), s("pickup", &["x", "y", "value"])]
    }

    fn add_player(&mut self, player: u32) {
        let (x, y) = self.random_point();
        self.players.insert(player, Player { x, y, dx: 0, dy: 0, boost: false, score: 0 });
    }

    fn remove_player(&mut self, player: u32) {
        self.players.remove(&player);
    }

    fn apply_input(&mut self, player: u32, input: &Input) {
        if let Some(p) = self.players.get_mut(&player) {
            p.dx = quantize(input.dx);
            p.dy = quantize(input.dy);
            p.boost = input.action;
        }
    }

    fn start_match(&mut self) {
        for p in self.players.values_mut() {
            p.score = 0;
        }
    }

    fn step(&mut self) {
        let per_tick = self.speed / self.tick_hz;
        for p in self.players.values_mut() {
            // Normalise diagonal movement so it is not faster than straight movement.
            let (mut dx, mut dy) = (p.dx as i64, p.dy as i64);
            let len2 = dx * dx + dy * dy;
            if len2 > 100 * 100 {
                let len = (len2 as f64).sqrt();
                dx = (dx as f64 * 100.0 / len).round() as i64;
                dy = (dy as f64 * 100.0 / len).round() as i64;
            }
            let speed = per_tick as i64 * if p.boost { BOOST as i64 } else { 1 };
            p.x = (p.x as i64 + dx * speed / 100).clamp(0, SIZE as i64) as i32;
            p.y = (p.y as i64 + dy * speed / 100).clamp(0, SIZE as i64) as i32;
        }
        let r2 = (PICKUP_RADIUS as i64).pow(2);
        let mut taken = Vec::new();
        for (id, k) in &self.pickups {
            // Lowest player id wins a tie: deterministic.
            if let Some(p) = self.players.values_mut().find(|p| {
                let (ddx, ddy) = ((p.x - k.x) as i64, (p.y - k.y) as i64);
                ddx * ddx + ddy * ddy <= r2
            }) {
                p.score += k.value as i64;
                taken.push(*id);
            }
        }
        for id in taken {
            self.pickups.remove(&id);
            self.respawns.push(self.respawn_secs * self.tick_hz as u32);
        }
        let mut due = 0;
        self.respawns.retain_mut(|t| {
            *t = t.saturating_sub(1);
            if *t == 0 {
                due += 1;
                false
            } else {
                true
            }
        });
        for _ in 0..due {
            self.spawn_pickup();
        }
    }

    fn view(&self, out: &mut WorldView) {
        for (id, p) in &self.players {
            let score = p.score.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            out.push(Entity::new(*id, 0, &[p.x, p.y, score, p.boost as i32]));
        }
        for (id, k) in &self.pickups {
            out.push(Entity::new(*id, 1, &[k.x, k.y, k.value]));
        }
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.players.iter().map(|(id, p)| (*id, p.score)).collect()
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "players": self.players.len(),
            "pickups": self.pickups.len(),
            "respawning": self.respawns.len(),
            "top_score": self.players.values().map(|p| p.score).max(),
            "arena_units": SIZE / SCALE,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(seed: u64) -> GameSettings {
        GameSettings { seed, tick_hz: 30, max_players: 16 }
    }

    fn input(seq: u64, dx: f32, dy: f32, action: bool) -> Input {
        Input { seq, dx, dy, action }
    }

    /// Runs a scripted match: 4 players, inputs derived from the tick number.
    fn run(seed: u64) -> Arena {
        let mut a = Arena::new(settings(seed));
        for p in 1..=4 {
            a.add_player(p);
        }
        for t in 0..900u64 {
            for p in 1..=4u32 {
                let ang = (t as f32 / 17.0) + p as f32;
                a.apply_input(p, &input(t, ang.cos(), ang.sin(), t % 50 < 10));
            }
            if t == 300 {
                a.remove_player(3);
            }
            a.step();
        }
        a
    }

    #[test]
    fn same_seed_and_inputs_give_the_same_state() {
        let (a, b) = (run(42), run(42));
        assert_eq!(a, b);
        let (mut va, mut vb) = (WorldView::new(), WorldView::new());
        a.view(&mut va);
        b.view(&mut vb);
        assert_eq!(va, vb);
        assert_ne!(a, run(43), "a different seed should give a different game");
    }

    #[test]
    fn a_modes_settings_change_speed_and_pickups() {
        let c = ArenaConfig { pickups: 2, speed: 40, respawn_secs: 0 };
        let mut a = Arena::with_config(settings(1), &c);
        assert_eq!(a.pickups.len(), 2);
        a.add_player(7);
        let (x0, y0) = a.position(7).unwrap();
        a.apply_input(7, &input(1, 1.0, 0.0, false));
        a.step();
        assert_eq!(a.position(7).unwrap(), (x0 + 2 * SPEED / 30, y0), "twice the default speed");
        assert_eq!(ArenaConfig::default(), ArenaConfig { pickups: 12, speed: 20, respawn_secs: 1 });
    }

    #[test]
    fn players_move_by_input_and_stay_in_bounds() {
        let mut a = Arena::new(settings(1));
        a.add_player(7);
        let (x0, y0) = a.position(7).unwrap();
        a.apply_input(7, &input(1, 1.0, 0.0, false));
        a.step();
        assert_eq!(a.position(7).unwrap(), (x0 + SPEED / 30, y0));
        a.apply_input(7, &input(2, -5.0, 9.0, true)); // clamped to (-1, 1)
        for _ in 0..10_000 {
            a.step();
        }
        assert_eq!(a.position(7).unwrap(), (0, SIZE));
    }

    #[test]
    fn diagonal_is_not_faster() {
        let mut a = Arena::new(settings(1));
        a.add_player(1);
        a.players.get_mut(&1).unwrap().x = SIZE / 2;
        a.players.get_mut(&1).unwrap().y = SIZE / 2;
        a.apply_input(1, &input(1, 1.0, 1.0, false));
        a.step();
        let (x, y) = a.position(1).unwrap();
        let moved = (((x - SIZE / 2) as f64).powi(2) + ((y - SIZE / 2) as f64).powi(2)).sqrt();
        assert!(moved <= (SPEED / 30) as f64 + 1.0, "moved {moved}");
    }

    #[test]
    fn touching_a_pickup_scores_and_it_respawns_elsewhere() {
        let mut a = Arena::new(settings(5));
        a.add_player(1);
        let (&id, k) = a.pickups.iter().next().unwrap();
        let (kx, ky, value) = (k.x, k.y, k.value);
        a.players.get_mut(&1).unwrap().x = kx;
        a.players.get_mut(&1).unwrap().y = ky;
        a.step();
        assert_eq!(a.score(1), Some(value as i64));
        assert!(!a.pickups.contains_key(&id));
        assert_eq!(a.pickups.len(), PICKUPS - 1);
        a.players.get_mut(&1).unwrap().x = 0;
        a.players.get_mut(&1).unwrap().y = 0;
        for _ in 0..30 {
            a.step();
        }
        assert_eq!(a.pickups.len(), PICKUPS);
    }

    #[test]
    fn nan_input_is_harmless() {
        let mut a = Arena::new(settings(3));
        a.add_player(1);
        let before = a.position(1);
        a.apply_input(1, &input(1, f32::NAN, f32::NAN, false));
        a.step();
        assert_eq!(a.position(1), before);
    }
}
