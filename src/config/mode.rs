//! Per-mode settings: matchmaking, lobby lifecycle and tick rate.

use super::ModesError;
use super::validate::{ConfigError, check};
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
    /// Seats of a lobby.
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
    /// State messages per second, at most `tick_hz` (absent: `tick_hz`). Lower saves the
    /// view, diff, encode and send of the skipped ticks, at the cost of up to one send
    /// period of extra latency before a client sees a change (and its input acked).
    pub send_hz: Option<u32>,
    /// A player whose connection drops keeps their seat this long for a resume.
    pub seat_grace_ms: u64,
    /// Ticks run back to back to catch up after a stall, before the rest are skipped.
    pub max_catch_up_ticks: u32,
    /// Skill assumed when `find_match` gives none.
    pub default_skill: f64,
    /// Skill window at 0 s of waiting, its growth per second, and its cap.
    pub skill_window: f64,
    /// Growth of the skill window per second waited.
    pub skill_window_growth: f64,
    /// Cap of the skill window.
    pub skill_window_max: f64,
    /// The game's own settings for this mode (`[mode.settings]`), checked against the game's
    /// settings type at start: unknown keys and out-of-range values refuse to start.
    pub settings: toml::Table,
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
            send_hz: None,
            seat_grace_ms: 15_000,
            max_catch_up_ticks: 3,
            default_skill: 1500.0,
            skill_window: 200.0,
            skill_window_growth: 50.0,
            skill_window_max: 1000.0,
            settings: toml::Table::new(),
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
    /// The built-in modes: `arena` (16 players; the arena on game API v2 with aim, fire and
    /// dash, protocol 2 only) and `arena_v2` (the same, its transitional name); `arena_v1`
    /// (16 players) and `duel` (2 players, no backfill) of the v1 arena, which protocol-1
    /// clients can play; `connect4` (2 players, turn-based at 10 Hz, 15 minutes: 42
    /// turns of at most 20 s fit); `battleship` (the same shape: 2 players, 10 Hz,
    /// 15 minutes, hidden fleets); and `fog` (64 players in two teams, opponents seen only
    /// within a radius; otherwise the arena's defaults).
    pub fn defaults() -> Vec<ModeConfig> {
        vec![
            ModeConfig::default(),
            ModeConfig {
                name: "arena_v1".into(),
                game: "arena_v1".into(),
                ..ModeConfig::default()
            },
            ModeConfig {
                name: "duel".into(),
                game: "arena_v1".into(),
                max_players: 2,
                min_players: 2,
                fill_timeout_ms: 0,
                backfill: false,
                match_length_ms: 120_000,
                ..ModeConfig::default()
            },
            ModeConfig {
                name: "arena_v2".into(),
                game: "arena_v2".into(),
                ..ModeConfig::default()
            },
            ModeConfig {
                name: "connect4".into(),
                game: "connect4".into(),
                max_players: 2,
                min_players: 2,
                fill_timeout_ms: 0,
                backfill: false,
                match_length_ms: 900_000,
                tick_hz: 10,
                seat_grace_ms: 30_000,
                ..ModeConfig::default()
            },
            ModeConfig {
                name: "battleship".into(),
                game: "battleship".into(),
                max_players: 2,
                min_players: 2,
                fill_timeout_ms: 0,
                backfill: false,
                match_length_ms: 900_000,
                tick_hz: 10,
                seat_grace_ms: 30_000,
                ..ModeConfig::default()
            },
            ModeConfig {
                name: "fog".into(),
                game: "fog".into(),
                max_players: 64,
                ..ModeConfig::default()
            },
        ]
    }

    /// Read `[[mode]]` tables from a TOML file (see `assets/modes.toml`).
    pub fn load(path: &Path) -> Result<Vec<ModeConfig>, ModesError> {
        let path_buf = || path.to_path_buf();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ModesError::Read { path: path_buf(), source })?;
        let file: ModesFile = toml::from_str(&text)
            .map_err(|source| ModesError::Parse { path: path_buf(), source })?;
        if file.mode.is_empty() {
            return Err(ModesError::Empty { path: path_buf() });
        }
        for m in &file.mode {
            m.validate()
                .map_err(|source| ModesError::InvalidInFile { path: path_buf(), source })?;
        }
        Ok(file.mode)
    }

    /// Check this mode's values against their documented ranges (README, "Game modes"):
    /// a mode file or a studio's code is refused at start, not when the first lobby runs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Inconsistent("a mode needs a name".into()));
        }
        let key = |k: &str| format!("mode {:?}: {k}", self.name);
        check(key("max_players"), 1..=1024, "", self.max_players)?;
        check(key("min_players"), 1..=self.max_players, "", self.min_players)?;
        check(key("tick_hz"), 1..=240, "", self.tick_hz)?;
        if let Some(s) = self.send_hz {
            check(key("send_hz"), 1..=self.tick_hz, "", s)?;
        }
        check(key("countdown_ms"), 0..=600_000, "", self.countdown_ms)?;
        check(key("fill_timeout_ms"), 0..=3_600_000, "", self.fill_timeout_ms)?;
        check(key("match_length_ms"), 100..=86_400_000, "", self.match_length_ms)?;
        check(key("seat_grace_ms"), 0..=3_600_000, "", self.seat_grace_ms)?;
        check(key("max_catch_up_ticks"), 0..=240, "", self.max_catch_up_ticks)?;
        check(key("default_skill"), 0.0..=1e6, "", self.default_skill)?;
        check(key("skill_window"), 0.0..=1e6, "", self.skill_window)?;
        check(key("skill_window_growth"), 0.0..=1e6, "", self.skill_window_growth)?;
        check(key("skill_window_max"), self.skill_window..=1e6, "", self.skill_window_max)?;
        Ok(())
    }

    /// Ticks that `ms` milliseconds last at this mode's rate (rounded up).
    pub fn ticks(&self, ms: u64) -> u64 {
        (ms * self.tick_hz as u64).div_ceil(1000)
    }

    /// State messages per second (`send_hz`, or one per tick).
    pub fn send_rate(&self) -> u32 {
        self.send_hz.unwrap_or(self.tick_hz).clamp(1, self.tick_hz)
    }

    /// The time between two ticks.
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
