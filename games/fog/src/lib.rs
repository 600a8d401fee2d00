//! Fog on Tickwave's game API v2: up to 64 players in two teams on a square map; teammates
//! always see each other, opponents only within an interest radius (issue 16's proof of
//! per-player views and of the interest grid). README.md has the rules and the schema as a
//! client sees it.
//!
//! Like `games/connect4`, this crate uses nothing of the server but its public facade
//! (`tickwave::game`), and the server also compiles these files as one of its own modules,
//! so nothing here names `crate::`: items are reached through `self::` and `super::` only.

mod game;
mod settings;
mod sim;
mod wire;

pub use self::game::{Fog, MAX_HP, MAX_PLAYERS, SCALE, TEAMS};
pub use self::settings::FogSettings;
pub use self::wire::{FogGlobals, FogInput, Kill, PlayerState, ShotState, aim_units};
