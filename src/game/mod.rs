//! The `Game` trait a studio implements, and the registry of games the server can run.
//!
//! A game is a pure, deterministic state machine: the lobby feeds it players, inputs and
//! ticks, and asks it for the state clients see. It never reads the clock, never does I/O and
//! never sees a socket, so the same seed and the same inputs always give the same state, and
//! a game can be unit-tested without a server.

pub mod arena;
pub mod arena_v2;
pub mod compat;
mod rng;
pub mod v2;

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

/// A mode's `[mode.settings]` table from modes.toml, for its game (empty when absent).
pub type ModeSettings = toml::Table;

/// Settings a game takes per mode (`[mode.settings]` in modes.toml), as its own type: the
/// server deserializes the table into it at start, refuses unknown keys, and asks the game
/// to check the values, so one registered game serves many variants (a small map, more
/// pickups) and a typo stops the server instead of being silently ignored.
pub trait GameConfig: serde::de::DeserializeOwned + Send + Sync + 'static {
    /// Check value ranges; the error names the key and its range (`pickups must be in
    /// 0..=64, got 100`).
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Why a mode's settings cannot be used by its game.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// The game was registered without settings (`register`), but the mode has some.
    #[error("game {game:?} takes no settings, but the mode has [mode.settings]")]
    NoneTaken {
        /// The game.
        game: String,
    },
    /// A key the game's settings type does not have (a typo, or another game's key).
    #[error("unknown key `{key}` in [mode.settings] of game {game:?}")]
    UnknownKey {
        /// The game.
        game: String,
        /// The key's path, e.g. `pickup` or `map.size`.
        key: String,
    },
    /// A value of the wrong type, or out of the range the game's check allows.
    #[error("[mode.settings] of game {game:?}: {message}")]
    Invalid {
        /// The game.
        game: String,
        /// What is wrong, naming the key.
        message: String,
    },
    /// The game's schema breaks a rule, or disagrees with its Rust types.
    #[error(transparent)]
    Setup(#[from] v2::SetupError),
}

/// A game ready for a lobby: the game behind its vtable and its match context.
pub type Built = (Box<dyn v2::DynGame>, v2::MatchCtx);

/// Makes a game for a new lobby from the lobby's settings and its mode's `[mode.settings]`
/// (already checked at start by [`GameRegistry::check_settings`]).
pub type GameFactory =
    Arc<dyn Fn(GameSettings, &ModeSettings) -> Result<Built, SettingsError> + Send + Sync>;

/// The games a server can run, by name; modes name one of them.
#[derive(Clone)]
pub struct GameRegistry {
    games: HashMap<String, GameFactory>,
    /// The start-up check of a mode's settings for each game (no game is built for it).
    checks: HashMap<String, SettingsCheck>,
}

type SettingsCheck = Arc<dyn Fn(&ModeSettings) -> Result<(), SettingsError> + Send + Sync>;

impl std::fmt::Debug for GameRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.games.keys()).finish()
    }
}

impl Default for GameRegistry {
    /// The built-in games: `arena` (the arena on game API v2, settings
    /// [`arena_v2::ArenaSettings`]; also registered as `arena_v2`, its name while it was
    /// new, so modes files that say so keep working), `arena_v1` (the arena of game API v1,
    /// [`arena::ArenaConfig`], which protocol-1 clients can play), `connect4`,
    /// `battleship` and `fog`.
    fn default() -> Self {
        let mut r = GameRegistry { games: HashMap::new(), checks: HashMap::new() };
        r.register_with_settings("arena_v1", |s, c: arena::ArenaConfig| {
            Box::new(arena::Arena::with_config(s, &c))
        });
        r.register_game::<arena_v2::Arena>();
        r.register_game_as::<arena_v2::Arena>("arena_v2");
        r.register_game::<crate::games::connect4::Connect4>();
        r.register_game::<crate::games::battleship::Battleship>();
        r.register_game::<crate::games::fog::Fog>();
        r
    }
}

/// The lobby a start-up check builds a game for (a mode's own values change neither a
/// schema nor a settings check).
const PROBE: GameSettings = GameSettings { seed: 0, tick_hz: 30, max_players: 16 };

/// Deserialize `table` into `C`, refusing unknown keys, then let the game check it.
fn parse_settings<C: GameConfig>(game: &str, table: &ModeSettings) -> Result<C, SettingsError> {
    let mut unknown = None;
    let value = toml::Value::Table(table.clone());
    let c: C = serde_ignored::deserialize(value, |path| {
        unknown.get_or_insert_with(|| path.to_string());
    })
    .map_err(|e| SettingsError::Invalid { game: game.into(), message: e.to_string() })?;
    if let Some(key) = unknown {
        return Err(SettingsError::UnknownKey { game: game.into(), key });
    }
    c.check().map_err(|message| SettingsError::Invalid { game: game.into(), message })?;
    Ok(c)
}

impl GameRegistry {
    /// Register (or replace) a game that takes no per-mode settings: a mode with a
    /// `[mode.settings]` table for it is refused at start.
    pub fn register<F>(&mut self, name: &str, factory: F)
    where
        F: Fn(GameSettings) -> Box<dyn Game> + Send + Sync + 'static,
    {
        let game = name.to_owned();
        let make: GameFactory = Arc::new(move |s, table: &ModeSettings| {
            if !table.is_empty() {
                return Err(SettingsError::NoneTaken { game: game.clone() });
            }
            Ok(compat::wrap_v1(factory(s), s)?)
        });
        self.games.insert(name.to_owned(), make);
        let game = name.to_owned();
        let check: SettingsCheck = Arc::new(move |table: &ModeSettings| {
            if table.is_empty() {
                Ok(())
            } else {
                Err(SettingsError::NoneTaken { game: game.clone() })
            }
        });
        self.checks.insert(name.to_owned(), check);
    }

    /// Register (or replace) a game with typed per-mode settings `C`, deserialized from the
    /// mode's `[mode.settings]` (absent: an empty table, so `C`'s serde defaults apply).
    pub fn register_with_settings<C, F>(&mut self, name: &str, factory: F)
    where
        C: GameConfig,
        F: Fn(GameSettings, C) -> Box<dyn Game> + Send + Sync + 'static,
    {
        let game = name.to_owned();
        let make: GameFactory = Arc::new(move |s, table: &ModeSettings| {
            Ok(compat::wrap_v1(factory(s, parse_settings(&game, table)?), s)?)
        });
        self.games.insert(name.to_owned(), make);
        let game = name.to_owned();
        let check: SettingsCheck =
            Arc::new(move |table: &ModeSettings| parse_settings::<C>(&game, table).map(drop));
        self.checks.insert(name.to_owned(), check);
    }

    /// Register (or replace) a game of game API v2 under its own name, [`v2::Game::NAME`].
    pub fn register_game<G: v2::Game>(&mut self) {
        self.register_game_as::<G>(G::NAME);
    }

    /// Register a v2 game under another name (modes.toml's `game`), for variants of one
    /// game type or two versions side by side. The start-up check builds one game with
    /// the mode's settings, so a schema that breaks a rule or disagrees with the game's
    /// types stops the server at start rather than failing a lobby.
    pub fn register_game_as<G: v2::Game>(&mut self, name: &str) {
        let game = name.to_owned();
        let make: GameFactory = Arc::new(move |s, table: &ModeSettings| {
            let settings = parse_settings::<G::Settings>(&game, table)?;
            Ok(v2::build::<G>(settings, s)?)
        });
        self.games.insert(name.to_owned(), make.clone());
        let check: SettingsCheck =
            Arc::new(move |table: &ModeSettings| make(PROBE, table).map(drop));
        self.checks.insert(name.to_owned(), check);
    }

    /// Whether protocol-1 clients can play `name`'s game with this `[mode.settings]`
    /// (`None`: no such game, or settings it refuses). Builds one game to find out.
    pub fn v1_playable(&self, name: &str, table: &ModeSettings) -> Option<bool> {
        let (game, _) = self.get(name)?(PROBE, table).ok()?;
        Some(compat::v1_schema(game.layout()).is_some())
    }

    /// The factory registered under `name`.
    pub fn get(&self, name: &str) -> Option<GameFactory> {
        self.games.get(name).cloned()
    }

    /// Whether `name`'s game accepts this `[mode.settings]` table (`None`: no such game):
    /// the start-up check, which builds no game.
    pub fn check_settings(
        &self,
        name: &str,
        table: &ModeSettings,
    ) -> Option<Result<(), SettingsError>> {
        Some(self.checks.get(name)?(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> ModeSettings {
        toml::from_str(text).unwrap()
    }

    fn probe() -> GameSettings {
        GameSettings { seed: 1, tick_hz: 30, max_players: 4 }
    }

    #[test]
    fn arena_settings_are_typed_defaulted_and_checked() {
        let r = GameRegistry::default();
        assert_eq!(r.check_settings("arena", &table("")), Some(Ok(())));
        assert_eq!(r.check_settings("arena", &table("pickups = 3\nspeed = 40")), Some(Ok(())));
        assert_eq!(r.check_settings("nope", &table("")), None);
        let e = r.check_settings("arena", &table("pickup = 3")).unwrap().unwrap_err();
        assert_eq!(e, SettingsError::UnknownKey { game: "arena".into(), key: "pickup".into() });
        let e = r.check_settings("arena", &table("pickups = 65")).unwrap().unwrap_err();
        assert!(e.to_string().contains("pickups must be in 0..=64, got 65"), "{e}");
        let e = r.check_settings("arena", &table("speed = -1")).unwrap().unwrap_err();
        assert!(matches!(e, SettingsError::Invalid { .. }), "{e}");
        // The factory applies them.
        let make = r.get("arena").unwrap();
        let (game, _) = make(probe(), &table("pickups = 3")).unwrap();
        let mut view = v2::schema::View::new(game.layout().clone());
        game.view(&mut view).unwrap();
        assert_eq!(view.len(), 3, "3 pickups, no players yet");
    }

    #[test]
    fn a_game_registered_without_settings_refuses_a_settings_table() {
        let mut r = GameRegistry::default();
        r.register("plain", |s| Box::new(arena::Arena::new(s)));
        assert_eq!(r.check_settings("plain", &table("")), Some(Ok(())));
        let e = r.check_settings("plain", &table("x = 1")).unwrap().unwrap_err();
        assert_eq!(e, SettingsError::NoneTaken { game: "plain".into() });
        assert!(r.get("plain").unwrap()(probe(), &table("x = 1")).is_err());
    }

    #[test]
    fn nested_unknown_keys_are_named_by_their_path() {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Map {
            size: u32,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Custom {
            map: Map,
        }
        impl GameConfig for Custom {}
        let mut r = GameRegistry::default();
        r.register_with_settings("custom", |s, c: Custom| {
            let _ = c.map.size;
            Box::new(arena::Arena::new(s))
        });
        assert_eq!(r.check_settings("custom", &table("[map]\nsize = 3")), Some(Ok(())));
        let e = r.check_settings("custom", &table("[map]\nsise = 3")).unwrap().unwrap_err();
        assert_eq!(e, SettingsError::UnknownKey { game: "custom".into(), key: "map.sise".into() });
    }
}
