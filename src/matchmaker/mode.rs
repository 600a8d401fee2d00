//! Per-mode settings: matchmaking, lobby lifecycle and tick rate.

use super::policy::SkillWindow;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// One game mode. Defaults are those of the built-in `arena` mode; the README lists them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModeConfig {
    /// Name clients use in `find_match.mode`.
    pub name: String,
    /// Registered game this mode runs.
    pub game: String,
    pub max_players: u32,
    /// A lobby starts its countdown only with at least this many players.
    pub min_players: u32,
    /// Countdown between `starting` and `running`.
    pub countdown_ms: u64,
    /// A `waiting` lobby that is not full starts after this long if it has `min_players`.
    pub fill_timeout_ms: u64,
    /// Whether running lobbies with free seats take players from the queue.
    pub backfill: bool,
    /// Length of the `running` phase; then `results` and the lobby closes.
    pub match_length_ms: u64,
    /// Simulation ticks per second.
    pub tick_hz: u32,
    /// A player whose connection drops keeps their seat this long for a resume.
    pub seat_grace_ms: u64,
    /// Ticks run back to back to catch up after a stall, before the rest are skipped.
    pub max_catch_up_ticks: u32,
    /// Skill assumed when `find_match` gives none.
    pub default_skill: f64,
    /// Skill window at 0 s of waiting, its growth per second, and its cap.
    pub skill_window: f64,
    pub skill_window_growth: f64,
    pub skill_window_max: f64,
}

impl Default for ModeConfig {
    fn default() -> Self {
        ModeConfig {
            name: "arena".into(),
            game: "arena".into(),
            max_players: 16,
            min_players: 2,
            countdown_ms: 3_000,
            fill_timeout_ms: 5_000,
            backfill: true,
            match_length_ms: 180_000,
            tick_hz: 30,
            seat_grace_ms: 15_000,
            max_catch_up_ticks: 3,
            default_skill: 1500.0,
            skill_window: 200.0,
            skill_window_growth: 50.0,
            skill_window_max: 1000.0,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModesFile {
    #[serde(default)]
    mode: Vec<ModeConfig>,
}

impl ModeConfig {
    /// The built-in modes: `arena` (16 players) and `duel` (2 players, no backfill).
    pub fn defaults() -> Vec<ModeConfig> {
        vec![
            ModeConfig::default(),
            ModeConfig {
                name: "duel".into(),
                max_players: 2,
                min_players: 2,
                fill_timeout_ms: 0,
                backfill: false,
                match_length_ms: 120_000,
                ..ModeConfig::default()
            },
        ]
    }

    /// Read `[[mode]]` tables from a TOML file (see `assets/modes.toml`).
    pub fn load(path: &Path) -> Result<Vec<ModeConfig>, crate::StartError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::StartError::Modes(format!("{}: {e}", path.display())))?;
        let file: ModesFile = toml::from_str(&text)
            .map_err(|e| crate::StartError::Modes(format!("{}: {e}", path.display())))?;
        if file.mode.is_empty() {
            return Err(crate::StartError::Modes(format!("{}: no [[mode]]", path.display())));
        }
        for m in &file.mode {
            m.validate().map_err(crate::StartError::Modes)?;
        }
        Ok(file.mode)
    }

    pub fn validate(&self) -> Result<(), String> {
        let n = &self.name;
        if n.is_empty() {
            return Err("a mode needs a name".into());
        }
        if !(1..=1024).contains(&self.max_players) {
            return Err(format!("mode {n}: max_players must be 1..=1024"));
        }
        if self.min_players == 0 || self.min_players > self.max_players {
            return Err(format!("mode {n}: min_players must be 1..=max_players"));
        }
        if !(1..=240).contains(&self.tick_hz) {
            return Err(format!("mode {n}: tick_hz must be 1..=240"));
        }
        Ok(())
    }

    pub fn skill_window(&self) -> SkillWindow {
        SkillWindow {
            base: self.skill_window,
            growth_per_sec: self.skill_window_growth,
            max: self.skill_window_max,
        }
    }

    /// Ticks that `ms` milliseconds last at this mode's rate (rounded up).
    pub fn ticks(&self, ms: u64) -> u64 {
        (ms * self.tick_hz as u64).div_ceil(1000)
    }

    pub fn tick_period(&self) -> Duration {
        Duration::from_secs(1) / self.tick_hz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_modes_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/modes.toml");
        let modes = ModeConfig::load(&path).unwrap();
        assert_eq!(modes, ModeConfig::defaults());
    }
}
