//! The object-safe face of a [`Game`]: what a lobby drives without knowing the game's
//! types. [`build`] checks the game's schema against its Rust types once, at lobby start,
//! so a mismatch is a start-up error (`SetupError`), not a failure mid-match.

use super::ctx::{GameFault, JoinRefusal, MatchCtx, PlayerRecord, Refusal, Reply};
use super::{Game, Setup};
use crate::game::GameSettings;
use std::borrow::Cow;
use std::sync::Arc;
use tickwave_protocol::v2::{
    CommandFrame, FieldValues, InputFrame, Layout, SchemaError, View, ViewError,
};

/// Why a game could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    /// The declared schema breaks a rule (names, counts, limits).
    #[error("game {game:?}: schema: {error}")]
    Schema {
        /// The game.
        game: &'static str,
        /// The rule broken (boxed: the error is large and setup is not a hot path).
        error: Box<SchemaError>,
    },
    /// A declared command (with default arguments) or the default input does not
    /// deserialize into the game's type: schema and type disagree.
    #[error("game {game:?}: {what} does not fit the game's type: {error}")]
    Type {
        /// The game.
        game: &'static str,
        /// `input` or `command NAME`.
        what: String,
        /// The serde error.
        error: String,
    },
}

/// A game behind a vtable. Every method runs game code: the driver wraps calls in
/// `catch_unwind` and fails the lobby on a panic or a [`GameFault`].
pub trait DynGame: Send {
    /// The game's name, for `match_found.game`.
    fn name(&self) -> &'static str;
    /// The compiled schema (the same `Arc` the context holds).
    fn layout(&self) -> &Arc<Layout>;
    /// A player takes a seat; `Err` refuses it.
    fn join(&mut self, ctx: &mut MatchCtx, player: &PlayerRecord) -> Result<(), JoinRefusal>;
    /// A player left for good.
    fn leave(&mut self, ctx: &mut MatchCtx, player: u32);
    /// A player's connection dropped; its seat is held for a resume.
    fn disconnected(&mut self, ctx: &mut MatchCtx, player: u32);
    /// A held seat's player came back.
    fn resumed(&mut self, ctx: &mut MatchCtx, player: u32);
    /// One input, already validated against the schema's input fields (with its `seq` and
    /// the client's `tick`, which v2 games do not see but adapters may).
    fn input(&mut self, ctx: &mut MatchCtx, player: u32, frame: &InputFrame);
    /// One command, already validated; the reply or refusal for `command_result`.
    fn command(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        frame: &CommandFrame,
    ) -> Result<Reply, Refusal>;
    /// The countdown ended.
    fn start(&mut self, ctx: &mut MatchCtx);
    /// One tick.
    fn step(&mut self, ctx: &mut MatchCtx);
    /// Write the state into `out` (cleared); the driver calls `finish` after.
    fn view(&self, out: &mut View) -> Result<(), ViewError>;
    /// [`Game::scope`].
    fn scope(&self, ctx: &MatchCtx, out: &mut super::scope::Scopes);
    /// Scores for `results` when the time is up.
    fn scores(&self) -> Vec<(u32, i64)>;
    /// Filter a chat line.
    fn filter_chat<'a>(&mut self, player: u32, text: &'a str) -> Option<Cow<'a, str>>;
    /// Operator summary.
    fn summary(&self) -> serde_json::Value;
}

struct Erased<G: Game> {
    game: G,
    layout: Arc<Layout>,
}

/// Build `G` for a lobby: compile its schema, check its input and commands against its
/// Rust types, then call [`Game::new`]. Returns the game and a context for it.
pub fn build<G: Game>(
    settings: G::Settings,
    lobby: GameSettings,
) -> Result<(Box<dyn DynGame>, MatchCtx), SetupError> {
    let schema_error = |error| SetupError::Schema { game: G::NAME, error: Box::new(error) };
    let schema = G::schema(&settings).build().map_err(schema_error)?;
    let layout = Arc::new(Layout::new(schema).map_err(schema_error)?);
    let type_error = |what: String, e: &dyn std::fmt::Display| SetupError::Type {
        game: G::NAME,
        what,
        error: e.to_string(),
    };
    let defaults = FieldValues::defaults(layout.input());
    layout
        .input()
        .deserialize::<G::Input>(&defaults)
        .map_err(|e| type_error("input".into(), &e))?;
    for c in layout.command_ids() {
        layout
            .default_command::<G::Command>(c)
            .map_err(|e| type_error(format!("command {:?}", layout.command_name(c)), &e))?;
    }
    let game = G::new(
        settings,
        Setup {
            seed: lobby.seed,
            tick_hz: lobby.tick_hz,
            max_players: lobby.max_players,
            layout: &layout,
        },
    );
    let ctx = MatchCtx::new(layout.clone(), lobby.seed, lobby.tick_hz);
    Ok((Box::new(Erased { game, layout }), ctx))
}

impl<G: Game> DynGame for Erased<G> {
    fn name(&self) -> &'static str {
        G::NAME
    }

    fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    fn join(&mut self, ctx: &mut MatchCtx, player: &PlayerRecord) -> Result<(), JoinRefusal> {
        ctx.add_player(player.clone());
        let r = self.game.join(ctx, player);
        if let Err(refusal) = &r {
            ctx.remove_player(player.id);
            ctx.check_code(&refusal.code);
        }
        r
    }

    fn leave(&mut self, ctx: &mut MatchCtx, player: u32) {
        self.game.leave(ctx, player);
        ctx.remove_player(player);
    }

    fn disconnected(&mut self, ctx: &mut MatchCtx, player: u32) {
        self.game.disconnected(ctx, player);
    }

    fn resumed(&mut self, ctx: &mut MatchCtx, player: u32) {
        self.game.resumed(ctx, player);
    }

    fn input(&mut self, ctx: &mut MatchCtx, player: u32, frame: &InputFrame) {
        match self.layout.input().deserialize::<G::Input>(&frame.values) {
            Ok(input) => self.game.input(ctx, player, input),
            Err(e) => {
                ctx.record_fault(GameFault::Type { what: "input".into(), error: e.to_string() })
            }
        }
    }

    fn command(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        frame: &CommandFrame,
    ) -> Result<Reply, Refusal> {
        let command = match self.layout.deserialize_command::<G::Command>(frame) {
            Ok(c) => c,
            Err(e) => {
                let what = format!("command {:?}", self.layout.command_name(frame.command));
                ctx.record_fault(GameFault::Type { what, error: e.to_string() });
                return Err(Refusal::new("internal", "the game could not read this command"));
            }
        };
        let r = self.game.command(ctx, player, command);
        if let Err(refusal) = &r {
            ctx.check_code(&refusal.code);
        }
        r
    }

    fn start(&mut self, ctx: &mut MatchCtx) {
        self.game.start(ctx);
    }

    fn step(&mut self, ctx: &mut MatchCtx) {
        self.game.step(ctx);
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        self.game.view(out)
    }

    fn scope(&self, ctx: &MatchCtx, out: &mut super::scope::Scopes) {
        self.game.scope(ctx, out)
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.game.scores()
    }

    fn filter_chat<'a>(&mut self, player: u32, text: &'a str) -> Option<Cow<'a, str>> {
        self.game.filter_chat(player, text)
    }

    fn summary(&self) -> serde_json::Value {
        self.game.summary()
    }
}
