//! [`ArenaSettings`]: a mode's `[mode.settings]` for the v2 arena. A superset of the v1
//! game's `ArenaConfig` (same keys, defaults and ranges), so a modes.toml written for v1
//! keeps working when the registry switches to v2.

use crate::game::GameConfig;

/// The arena's per-mode settings; every key is optional and its default is the rule the
/// module documentation describes. Unknown keys are refused by the registry (it reads the
/// table with `serde_ignored`), so a typo stops the server instead of being ignored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ArenaSettings {
    /// Pickups on the map when none is respawning (0..=64; default 12).
    pub pickups: u32,
    /// Player speed in map units per second (1..=100; default 20).
    pub speed: u32,
    /// Seconds before a taken pickup respawns (0..=60; default 1).
    pub respawn_secs: u32,
    /// Shot speed in map units per second (1..=200; default 60).
    pub shot_speed: u32,
    /// How long a shot flies before it fades, in ms (50..=10000; default 1000): with the
    /// speed, the range (60 units by default).
    pub shot_ttl_ms: u32,
    /// Time between two shots of one player, in ms (0..=10000; default 250).
    pub fire_cooldown_ms: u32,
    /// Shots of one player in flight at once (1..=16; default 4): bounds the shots in a
    /// lobby to `max_shots` x players.
    pub max_shots: u32,
    /// Hit points a shot takes (1..=100 of 100; default 25, four hits kill).
    pub damage: u32,
    /// Points a kill scores (0..=100; default 5).
    pub kill_points: u32,
    /// Time a killed player stays down before respawning, in ms (0..=60000; default 3000;
    /// at least one tick).
    pub player_respawn_ms: u32,
    /// Speed multiplier while dashing (1..=10; default 3).
    pub dash_factor: u32,
    /// How long a dash lasts, in ms (0..=5000; default 200; 0 disables dashing).
    pub dash_ms: u32,
    /// Time from the start of a dash until the next may start, in ms (0..=60000; default
    /// 2000).
    pub dash_cooldown_ms: u32,
}

impl Default for ArenaSettings {
    fn default() -> Self {
        ArenaSettings {
            pickups: 12,
            speed: 20,
            respawn_secs: 1,
            shot_speed: 60,
            shot_ttl_ms: 1000,
            fire_cooldown_ms: 250,
            max_shots: 4,
            damage: 25,
            kill_points: 5,
            player_respawn_ms: 3000,
            dash_factor: 3,
            dash_ms: 200,
            dash_cooldown_ms: 2000,
        }
    }
}

impl ArenaSettings {
    /// Every key with its value and inclusive range, in declaration order: one table for
    /// `check` and the tests, so a new key cannot be added without its range.
    pub fn ranges(&self) -> [(&'static str, u32, u32, u32); 13] {
        [
            ("pickups", self.pickups, 0, 64),
            ("speed", self.speed, 1, 100),
            ("respawn_secs", self.respawn_secs, 0, 60),
            ("shot_speed", self.shot_speed, 1, 200),
            ("shot_ttl_ms", self.shot_ttl_ms, 50, 10_000),
            ("fire_cooldown_ms", self.fire_cooldown_ms, 0, 10_000),
            ("max_shots", self.max_shots, 1, 16),
            ("damage", self.damage, 1, 100),
            ("kill_points", self.kill_points, 0, 100),
            ("player_respawn_ms", self.player_respawn_ms, 0, 60_000),
            ("dash_factor", self.dash_factor, 1, 10),
            ("dash_ms", self.dash_ms, 0, 5000),
            ("dash_cooldown_ms", self.dash_cooldown_ms, 0, 60_000),
        ]
    }
}

impl GameConfig for ArenaSettings {
    /// The first key out of range, named with its range: `pickups must be in 0..=64, got
    /// 65` (the v1 wording).
    fn check(&self) -> Result<(), String> {
        for (key, v, lo, hi) in self.ranges() {
            if !(lo..=hi).contains(&v) {
                return Err(format!("{key} must be in {lo}..={hi}, got {v}"));
            }
        }
        Ok(())
    }
}
