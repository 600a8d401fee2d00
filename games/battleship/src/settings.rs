//! [`BattleshipSettings`]: a mode's `[mode.settings]` for battleship.

use tickwave::game::GameConfig;

/// The shortest turn a mode may set, in seconds: below it a player on a slow link could not
/// answer in time.
pub const MIN_TURN_SECS: u32 = 5;
/// The longest turn a mode may set, in seconds: beyond it a player who walked away holds
/// the other hostage for too long.
pub const MAX_TURN_SECS: u32 = 300;

/// Battleship's per-mode settings. Every key is optional (an absent table is the defaults);
/// an unknown key is refused rather than ignored, so a typo such as `turn_sec` stops the
/// server at start instead of silently running 30 s turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BattleshipSettings {
    /// Seconds the player to fire has before its turn passes to the other (5..=300;
    /// default 30).
    pub turn_secs: u32,
}

impl Default for BattleshipSettings {
    fn default() -> Self {
        BattleshipSettings { turn_secs: 30 }
    }
}

impl GameConfig for BattleshipSettings {
    /// The key and its range: `turn_secs must be in 5..=300, got 4`.
    fn check(&self) -> Result<(), String> {
        if (MIN_TURN_SECS..=MAX_TURN_SECS).contains(&self.turn_secs) {
            Ok(())
        } else {
            Err(format!(
                "turn_secs must be in {MIN_TURN_SECS}..={MAX_TURN_SECS}, got {}",
                self.turn_secs
            ))
        }
    }
}
