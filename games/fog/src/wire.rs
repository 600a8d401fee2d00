//! The types of fog's schema: what a client sees and sends. Field names here are the wire
//! names, so renaming one is a protocol change (README.md lists them).
//!
//! Why integers everywhere: issue 16 asks that a 64-player fog lobby send each player no
//! more than 1.5x the bytes per second of a 16-player arena, while each fog player sees
//! about 31 teammates. A whole-unit position on a map under 128 units is one byte on the
//! wire (an `f32` is five); an aim in 1/256 of a turn is one or two; and a shot is sent once,
//! when it appears, with where it was fired and its velocity, never again while it flies.

use serde::{Deserialize, Serialize};

/// What a player holds (the schema's input).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FogInput {
    /// Movement, -1..1 (clamped).
    pub mx: f32,
    /// Movement, -1..1 (clamped).
    pub my: f32,
    /// Aim in radians, -pi..pi (clamped); 0 is +x, pi/2 is +y.
    pub aim: f32,
    /// Shoot while held.
    pub fire: bool,
}

/// A `player` entity (entity id = player id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlayerState {
    /// Position in whole map units, 0..=map.
    pub x: i32,
    /// Position in whole map units, 0..=map.
    pub y: i32,
    /// The aim in 1/256 of a turn, 0..=255: 0 is +x, 64 is +y.
    pub aim: i32,
    /// Hit points, 0..=100; 0 while down, waiting to respawn.
    pub hp: i32,
    /// 0 or 1.
    pub team: i32,
    /// Kills this match.
    pub score: i32,
}

/// A `shot` entity: sent when it appears and never changed while it flies. At tick `t` it
/// is at `(x + vx * (t - fired) / 100, y + vy * (t - fired) / 100)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ShotState {
    /// Where it was fired, in whole map units.
    pub x: i32,
    /// Where it was fired, in whole map units.
    pub y: i32,
    /// Velocity in 1/100 of a unit per tick.
    pub vx: i32,
    /// Velocity in 1/100 of a unit per tick.
    pub vy: i32,
    /// The tick it was fired at (at `x`, `y` in that tick's state).
    pub fired: i64,
    /// The shooter's player id.
    pub owner: i64,
}

/// The globals: each team's kills this match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FogGlobals {
    /// Kills by team 0.
    pub score0: i32,
    /// Kills by team 1.
    pub score1: i32,
}

/// The event `kill`, to everyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Kill {
    /// The shooter's player id.
    pub killer: i64,
    /// The killed player's id.
    pub victim: i64,
}

/// An angle in brads (65536 a turn, as `tickwave::game::arena_v2::trig` counts) as the
/// wire's `aim`: 1/256 of a turn, rounded to nearest, in 0..=255.
pub fn aim_units(brads: i32) -> i32 {
    ((brads.rem_euclid(1 << 16) + 128) >> 8) & 255
}
