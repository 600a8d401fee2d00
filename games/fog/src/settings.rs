//! [`FogSettings`]: a mode's `[mode.settings]` for fog.

use tickwave::game::GameConfig;

/// Fog's per-mode settings; every key is optional and its default is the rule README.md
/// describes. An unknown key is refused rather than ignored, so a typo stops the server at
/// start instead of silently running the defaults. Distances are in map units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FogSettings {
    /// The map's side (20..=1000; default 120). Up to 127 a position is one byte on the
    /// wire, which is why the default map is just under.
    pub map: u32,
    /// The interest grid's cell side (1..=1000; default 10).
    pub cell: u32,
    /// An opponent (or its shot) enters a player's view within this distance (1..=1000;
    /// default 25).
    pub radius: u32,
    /// ...and leaves it only beyond `radius + hysteresis` (0..=100; default 5), so one at
    /// the edge does not flicker in and out.
    pub hysteresis: u32,
    /// Player speed in units per second (1..=100; default 15).
    pub speed: u32,
    /// Shot speed in units per second (1..=200; default 45).
    pub shot_speed: u32,
    /// How long a shot flies, in ms (50..=10000; default 1000).
    pub shot_ttl_ms: u32,
    /// Time between two shots of one player, in ms (0..=10000; default 300).
    pub fire_cooldown_ms: u32,
    /// Hit points a shot takes (1..=100 of 100; default 20: five hits kill).
    pub damage: u32,
    /// Time a killed player stays down before respawning on its side, in ms (0..=60000;
    /// default 3000; at least one tick).
    pub respawn_ms: u32,
}

impl Default for FogSettings {
    fn default() -> Self {
        FogSettings {
            map: 120,
            cell: 10,
            radius: 25,
            hysteresis: 5,
            speed: 15,
            shot_speed: 45,
            shot_ttl_ms: 1000,
            fire_cooldown_ms: 300,
            damage: 20,
            respawn_ms: 3000,
        }
    }
}

impl FogSettings {
    /// Every key with its value and inclusive range, in declaration order: one table for
    /// `check` and the tests, so a new key cannot be added without its range.
    pub fn ranges(&self) -> [(&'static str, u32, u32, u32); 10] {
        [
            ("map", self.map, 20, 1000),
            ("cell", self.cell, 1, 1000),
            ("radius", self.radius, 1, 1000),
            ("hysteresis", self.hysteresis, 0, 100),
            ("speed", self.speed, 1, 100),
            ("shot_speed", self.shot_speed, 1, 200),
            ("shot_ttl_ms", self.shot_ttl_ms, 50, 10_000),
            ("fire_cooldown_ms", self.fire_cooldown_ms, 0, 10_000),
            ("damage", self.damage, 1, 100),
            ("respawn_ms", self.respawn_ms, 0, 60_000),
        ]
    }
}

impl GameConfig for FogSettings {
    /// The first key out of range, named with its range: `radius must be in 1..=1000, got
    /// 0`.
    fn check(&self) -> Result<(), String> {
        for (key, v, lo, hi) in self.ranges() {
            if !(lo..=hi).contains(&v) {
                return Err(format!("{key} must be in {lo}..={hi}, got {v}"));
            }
        }
        Ok(())
    }
}
