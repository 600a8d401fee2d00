//! The `Game` trait a studio implements, and the registry of games the server can run.
//!
//! A game is a pure, deterministic state machine: the lobby feeds it players, inputs and
//! ticks, and asks it for the state clients see. It never reads the clock, never does I/O and
//! never sees a socket, so the same seed and the same inputs always give the same state, and
//! a game can be unit-tested without a server.

pub mod arena;
mod rng;

pub use rng::SplitMix64;
/// The protocol types the game API's signatures use, so a game crate needs only `tickwave`.
pub use tickwave_protocol::{Entity, EntityKindSchema, Input, MAX_FIELDS, StateError, WorldView};

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// What a lobby knows about its game's setting when creating it.
#[derive(Debug, Clone, Copy)]
pub struct GameSettings {
    /// Seed for every random choice the game makes.
    pub seed: u64,
    /// Ticks per second; the game's time step is `1 / tick_hz`.
    pub tick_hz: u32,
    /// Seats of the lobby the game runs in.
    pub max_players: u32,
}

/// A game simulation. See the README section "Plugging in a game".
pub trait Game: Send + 'static {
    /// Name sent to clients in `match_found.game`.
    fn name(&self) -> &'static str;
    /// Entity kinds and their field names; `Entity::kind` indexes this list. Asked once, when
    /// the lobby starts: clients learn it once too, from `match_found`.
    fn schema(&self) -> Vec<EntityKindSchema>;
    /// A player took a seat (also mid-match, with backfill).
    fn add_player(&mut self, player: u32);
    /// A player left; the game forgets it.
    fn remove_player(&mut self, player: u32);
    /// Apply one input of a player. Called in sequence order at the tick boundary, before
    /// `step`. `dx` and `dy` are finite and within [-1, 1] (clamped when decoded).
    fn apply_input(&mut self, player: u32, input: &Input);
    /// The countdown ended: reset scores and whatever the warm-up changed.
    fn start_match(&mut self) {}
    /// Advance the simulation by one tick.
    fn step(&mut self);
    /// Write the state clients see into `out` (already cleared). Entities may be pushed in any
    /// order; the lobby sorts them. Ids must be unique, and every entity must have a kind of
    /// the schema and exactly that kind's number of fields: a view that breaks this is never
    /// sent, and ends the lobby like a panic (`lobby_failed`).
    fn view(&self, out: &mut WorldView);
    /// Scores for `results`, any order.
    fn scores(&self) -> Vec<(u32, i64)>;
    /// Filter or rewrite a chat line (a word filter, say) before the lobby delivers it;
    /// `None` drops it. Lines reaching here are already length-, character- and rate-checked.
    fn filter_chat<'a>(&mut self, _player: u32, text: &'a str) -> Option<Cow<'a, str>> {
        Some(Cow::Borrowed(text))
    }
    /// A short summary for operators (admin API, dashboard): anything JSON.
    fn summary(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// Makes a game for a new lobby.
pub type GameFactory = Arc<dyn Fn(GameSettings) -> Box<dyn Game> + Send + Sync>;

/// The games a server can run, by name; modes name one of them.
#[derive(Clone)]
pub struct GameRegistry {
    games: HashMap<String, GameFactory>,
}

impl std::fmt::Debug for GameRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.games.keys()).finish()
    }
}

impl Default for GameRegistry {
    /// The built-in games: `arena`.
    fn default() -> Self {
        let mut r = GameRegistry { games: HashMap::new() };
        r.register("arena", |s| Box::new(arena::Arena::new(s)));
        r
    }
}

impl GameRegistry {
    /// Register (or replace) a game under a name.
    pub fn register<F>(&mut self, name: &str, factory: F)
    where
        F: Fn(GameSettings) -> Box<dyn Game> + Send + Sync + 'static,
    {
        self.games.insert(name.to_owned(), Arc::new(factory));
    }

    /// The factory registered under `name`.
    pub fn get(&self, name: &str) -> Option<GameFactory> {
        self.games.get(name).cloned()
    }
}
