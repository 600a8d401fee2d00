//! Game API v2: a studio's game as plain Rust types (issue 15).
//!
//! A game declares its state, input, commands and events as flat serde structs in
//! [`Game::schema`]; the server validates every client message against that schema before the
//! game sees it, and every value the game writes against it before a client does. Hooks get a
//! [`MatchCtx`]: the phase, the tick and the time left, the match's RNG, the players' records
//! and teams, events to emit and the power to end the match.
//!
//! Why a trait with associated types and a separate object-safe [`DynGame`]: the studio
//! writes `fn input(&mut self, ctx, player, input: MyInput)` with its own type and never
//! parses MessagePack, while the lobby holds any game behind one vtable. [`build`] checks the
//! schema against the types once, at lobby start.
//!
//! Determinism is the contract: no clock (count ticks, [`MatchCtx::ticks_for_ms`]), no I/O,
//! no `HashMap` iteration order in anything that reaches the state, randomness only from
//! [`Setup::seed`] or [`MatchCtx::rng`]. Replays and the tests of [`GameHarness`] rely on it.
//!
//! # Example: a complete game
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use tickwave::game::v2::*;
//! use tickwave::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
//!
//! /// What a player's entity shows.
//! #[derive(Serialize, Default)]
//! struct Dot { x: f32, score: i64 }
//! /// Lobby-wide values.
//! #[derive(Serialize, Default)]
//! struct Round { round: i32 }
//! /// Held every tick.
//! #[derive(Serialize, Deserialize, Default)]
//! struct Steer { dx: f32 }
//! /// Discrete actions.
//! #[derive(Deserialize)]
//! #[serde(tag = "name", content = "args")]
//! enum Cmd {
//!     #[serde(rename = "jump")]
//!     Jump(Jump),
//! }
//! #[derive(Serialize, Deserialize, Default)]
//! struct Jump { height: i32 }
//! #[derive(Serialize, Default)]
//! struct Jumped { player: i64, height: i32 }
//!
//! #[derive(Default)]
//! struct Dots { dots: Vec<(u32, f32, i64)> }
//!
//! impl Game for Dots {
//!     const NAME: &'static str = "dots";
//!     type Input = Steer;
//!     type Command = Cmd;
//!     type Settings = NoSettings;
//!
//!     fn schema(_: &NoSettings) -> SchemaBuilder {
//!         Schema::builder()
//!             .kind::<Dot>("dot", |k| k)
//!             .globals::<Round>(|g| g)
//!             .input::<Steer>(|i| i.clamp("dx", -1.0, 1.0))
//!             .command::<Jump>("jump", |a| a.range("height", 0, 3))
//!             .event::<Jumped>("jumped", |e| e)
//!     }
//!     fn new(_: NoSettings, _: Setup<'_>) -> Self { Dots::default() }
//!     fn join(&mut self, _: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
//!         self.dots.push((p.id, 0.0, 0));
//!         Ok(())
//!     }
//!     fn leave(&mut self, _: &mut MatchCtx, player: u32) { self.dots.retain(|d| d.0 != player) }
//!     fn input(&mut self, _: &mut MatchCtx, player: u32, input: Steer) {
//!         if let Some(d) = self.dots.iter_mut().find(|d| d.0 == player) { d.1 += input.dx }
//!     }
//!     fn command(&mut self, ctx: &mut MatchCtx, player: u32, c: Cmd) -> Result<Reply, Refusal> {
//!         let Cmd::Jump(j) = c;
//!         if ctx.phase() != Phase::Running {
//!             return Err(Refusal::new("not_running", "the match has not started"));
//!         }
//!         ctx.emit(To::All, "jumped", &Jumped { player: player.into(), height: j.height });
//!         Ok(Reply::none())
//!     }
//!     fn step(&mut self, _: &mut MatchCtx) {}
//!     fn view(&self, out: &mut View) -> Result<(), ViewError> {
//!         let dot = out.layout().kind_id("dot").unwrap();
//!         for &(id, x, score) in &self.dots { out.push(id, dot, &Dot { x, score })?; }
//!         out.set_globals(&Round { round: 1 })
//!     }
//!     fn scores(&self) -> Vec<(u32, i64)> { self.dots.iter().map(|d| (d.0, d.2)).collect() }
//! }
//!
//! // A deterministic test of the game, as the server would run it, without a server.
//! let mut h = GameHarness::<Dots>::new(NoSettings::default(), 7, 30, 4).unwrap();
//! h.join(PlayerRecord { id: 1, name: "ada".into(), ..Default::default() }).unwrap();
//! h.start(300);
//! h.input(1, &Steer { dx: 5.0 }).unwrap(); // clamped to 1.0 by the schema
//! assert!(h.command(1, "jump", &Jump { height: 9 }).is_err()); // out of range: invalid_args
//! h.command(1, "jump", &Jump { height: 2 }).unwrap().unwrap();
//! let t = h.tick().unwrap();
//! assert_eq!(t.events[0].name, "jumped");
//! assert_eq!(h.view().get(1).unwrap().field("x").unwrap().as_f64(), Some(1.0));
//! ```

mod ctx;
mod erased;
mod harness;
pub mod interest;
pub mod scope;
#[cfg(test)]
mod tests;

pub use ctx::{
    FIRST_GAME_ENTITY_ID, GameFault, JoinRefusal, MAX_EVENTS_PER_TICK, MatchCtx, MatchEnd,
    OutEvent, Phase, PlayerRecord, Refusal, Reply, To,
};
pub use erased::{DynGame, SetupError, build};
pub use harness::{CommandError, GameHarness, HarnessEvent, TickReport};

use super::GameConfig;
use std::borrow::Cow;

/// The schema types a game's `schema` and `view` use, re-exported so a game crate needs
/// only `tickwave`.
pub mod schema {
    pub use tickwave_protocol::v2::{
        FieldType, FieldsBuilder, KindId, Layout, NO_LIMITS, Schema, SchemaBuilder, SchemaError,
        Value, ValueRef, View, ViewError,
    };
}

/// What a game is built from, besides its settings.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The lobby's seed: every random choice derives from it.
    pub seed: u64,
    /// Ticks per second.
    pub tick_hz: u32,
    /// Seats.
    pub max_players: u32,
    /// The compiled schema, to resolve kind ids once instead of by name every tick.
    pub layout: &'a schema::Layout,
}

/// Settings for a game that takes none: an empty `[mode.settings]` (or none); any key is
/// refused at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NoSettings {}

impl GameConfig for NoSettings {}

/// The command type of a game without commands (it declares none in its schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum NoCommand {}

/// A game on Tickwave: a pure, deterministic state machine over its own types. The lobby
/// calls, each tick: queued joins and leaves, then every input in arrival order
/// ([`Game::input`]), then commands in arrival order ([`Game::command`]), then
/// [`Game::step`], then [`Game::view`] on the ticks that send state.
pub trait Game: Sized + Send + 'static {
    /// The name in `match_found.game` and in modes.toml's `game`.
    const NAME: &'static str;
    /// The input a player holds, a flat struct (its fields are the schema's input; omitted
    /// fields take their `Default` values).
    type Input: serde::de::DeserializeOwned + 'static;
    /// The commands: an adjacently tagged enum (`#[serde(tag = "name", content = "args")]`,
    /// one variant per declared command, renamed to its name), or [`NoCommand`].
    type Command: serde::de::DeserializeOwned + 'static;
    /// The mode's `[mode.settings]`, or [`NoSettings`].
    type Settings: GameConfig + Clone;

    /// The schema: entity kinds, globals, input, commands and events, with their limits.
    fn schema(settings: &Self::Settings) -> schema::SchemaBuilder;
    /// A new game for a lobby.
    fn new(settings: Self::Settings, setup: Setup<'_>) -> Self;
    /// A player asks for a seat (also mid-match, with backfill). `Err` refuses it; the
    /// client gets the code and message. A game that balances teams calls
    /// [`MatchCtx::set_team`] here.
    fn join(&mut self, ctx: &mut MatchCtx, player: &PlayerRecord) -> Result<(), JoinRefusal>;
    /// A player left for good (or its held seat expired).
    fn leave(&mut self, ctx: &mut MatchCtx, player: u32);
    /// A player's connection dropped and its seat is held for a resume: pause its avatar,
    /// skip its turn, or nothing.
    fn disconnected(&mut self, _ctx: &mut MatchCtx, _player: u32) {}
    /// A held seat's player came back.
    fn resumed(&mut self, _ctx: &mut MatchCtx, _player: u32) {}
    /// One input, validated against the schema (ranges checked, floats clamped).
    fn input(&mut self, ctx: &mut MatchCtx, player: u32, input: Self::Input);
    /// One command, validated against the schema. Commands of games without any are
    /// refused as `unknown_command` before reaching here.
    fn command(
        &mut self,
        _ctx: &mut MatchCtx,
        _player: u32,
        _command: Self::Command,
    ) -> Result<Reply, Refusal> {
        Err(Refusal::new("unknown_command", "this game takes no commands"))
    }
    /// The countdown ended and the match runs: reset what the warm-up changed.
    fn start(&mut self, _ctx: &mut MatchCtx) {}
    /// Advance one tick. Called in every phase; [`MatchCtx::phase`] tells which.
    fn step(&mut self, ctx: &mut MatchCtx);
    /// Write the state clients see into `out` (already cleared), in any id order: the whole
    /// world; [`Game::scope`] says who sees which part of it.
    fn view(&self, out: &mut schema::View) -> Result<(), schema::ViewError>;
    /// Who sees what, on the ticks that send state, after [`Game::view`]: set the audience
    /// and owner of entities that are not everyone's ([`scope::Scopes::set`]) and each
    /// player's interest set ([`scope::Scopes::show`]); `out` is empty. The default scopes
    /// nothing: every entity is everyone's, and a player's own entity (its id) is its own
    /// for `private` fields. The lobby encodes once per distinct view (see [`scope`]).
    fn scope(&self, _ctx: &MatchCtx, _out: &mut scope::Scopes) {}
    /// Scores for `results` when the match's time is up.
    fn scores(&self) -> Vec<(u32, i64)>;
    /// Filter or rewrite a chat line; `None` drops it.
    fn filter_chat<'a>(&mut self, _player: u32, text: &'a str) -> Option<Cow<'a, str>> {
        Some(Cow::Borrowed(text))
    }
    /// A short summary for operators (admin API, dashboard).
    fn summary(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}
