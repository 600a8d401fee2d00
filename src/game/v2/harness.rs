//! [`GameHarness`]: a game driven as a lobby drives it, with no server, no clock and no
//! sockets, for a studio's unit tests (and the determinism checks of replays).
//!
//! Inputs and commands go through the real wire path: they are encoded as a client would
//! send them and validated against the game's schema by the server's own decoder, so a test
//! sees clamping, `invalid_input` and `unknown_command` exactly as a client would.

use super::Game;
use super::ctx::{
    GameFault, JoinRefusal, MatchCtx, MatchEnd, Phase, PlayerRecord, Refusal, Reply, To,
};
use super::erased::{DynGame, SetupError, build};
use super::scope::{self, Scopes, Teams, ViewKey};
use crate::game::GameSettings;
use serde::Serialize;
use std::marker::PhantomData;
use tickwave_protocol::v2::{
    CommandRefusal, InputError, Value, View, decode_command, decode_event, decode_input,
    encode_command, encode_input,
};

/// A command the server refused before the game saw it (`unknown_command`, `invalid_args`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    /// The protocol's code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// An event as a client receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct HarnessEvent {
    /// Who it was addressed to.
    pub to: To,
    /// The tick it belongs to.
    pub tick: u64,
    /// The declared name.
    pub name: String,
    /// Its fields, in schema order.
    pub data: Vec<(String, Value)>,
}

impl HarnessEvent {
    /// One field's value.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.data.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// What one [`GameHarness::tick`] produced.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    /// The tick simulated.
    pub tick: u64,
    /// Events emitted since the previous tick (by commands, joins and this step), in order.
    pub events: Vec<HarnessEvent>,
    /// The match ended at this tick: asked by the game, or its time was up.
    pub ended: Option<MatchEnd>,
}

/// Drives one game like a lobby; see the module doc.
pub struct GameHarness<G: Game> {
    game: Box<dyn DynGame>,
    ctx: MatchCtx,
    view: View,
    match_ticks: u64,
    seq: u64,
    command_id: u32,
    ended: Option<MatchEnd>,
    _game: PhantomData<fn() -> G>,
}

impl<G: Game> GameHarness<G> {
    /// A game in `waiting` at tick 0.
    pub fn new(
        settings: G::Settings,
        seed: u64,
        tick_hz: u32,
        max_players: u32,
    ) -> Result<Self, SetupError> {
        let (game, ctx) = build::<G>(settings, GameSettings { seed, tick_hz, max_players })?;
        let view = View::new(game.layout().clone());
        Ok(GameHarness {
            game,
            ctx,
            view,
            match_ticks: 0,
            seq: 0,
            command_id: 0,
            ended: None,
            _game: PhantomData,
        })
    }

    /// The context (tick, phase, players).
    pub fn ctx(&self) -> &MatchCtx {
        &self.ctx
    }

    /// A player takes a seat.
    pub fn join(&mut self, player: PlayerRecord) -> Result<(), JoinRefusal> {
        self.game.join(&mut self.ctx, &player)
    }

    /// A player leaves for good.
    pub fn leave(&mut self, player: u32) {
        self.game.leave(&mut self.ctx, player);
    }

    /// A player's connection drops (its seat held).
    pub fn disconnect(&mut self, player: u32) {
        self.game.disconnected(&mut self.ctx, player);
    }

    /// A held seat's player comes back.
    pub fn resume(&mut self, player: u32) {
        self.game.resumed(&mut self.ctx, player);
    }

    /// The countdown ends: `running` for `match_ticks` ticks from the next one.
    pub fn start(&mut self, match_ticks: u64) {
        self.match_ticks = match_ticks;
        self.ctx.set_phase(Phase::Running, match_ticks);
        self.game.start(&mut self.ctx);
    }

    /// Set the phase without the start hook (to test `waiting` or `starting`).
    pub fn set_phase(&mut self, phase: Phase) {
        self.ctx.set_phase(phase, self.match_ticks);
    }

    /// Send an input as a client would (`fields` is any struct: extra or mistyped fields
    /// are refused as the server refuses them) and apply it.
    pub fn input<T: Serialize + ?Sized>(
        &mut self,
        player: u32,
        fields: &T,
    ) -> Result<(), InputError> {
        self.seq += 1;
        let bytes = encode_input(self.seq, None, fields).expect("input fields are a struct");
        let frame = decode_input(self.game.layout().input(), &bytes)?;
        self.game.input(&mut self.ctx, player, &frame);
        Ok(())
    }

    /// Send a command as a client would and apply it: `Err` is the server's refusal,
    /// `Ok(Err)` the game's.
    pub fn command<T: Serialize + ?Sized>(
        &mut self,
        player: u32,
        name: &str,
        args: &T,
    ) -> Result<Result<Reply, Refusal>, CommandError> {
        self.command_id += 1;
        let bytes = encode_command(self.command_id, name, Some(args)).expect("args are a struct");
        match decode_command(self.game.layout(), &bytes) {
            Ok(frame) => Ok(self.game.command(&mut self.ctx, player, &frame)),
            Err(CommandRefusal::Refused { code, message, .. }) => {
                Err(CommandError { code: code.as_str().to_owned(), message })
            }
            Err(CommandRefusal::Malformed(e)) => {
                Err(CommandError { code: "malformed".into(), message: e.to_string() })
            }
        }
    }

    /// Step one tick and rebuild the view. A game fault (a bad event, a view that breaks
    /// the schema, a refusal code that is not snake_case) is an error, as it would fail
    /// the lobby.
    pub fn tick(&mut self) -> Result<TickReport, GameFault> {
        let tick = self.ctx.tick();
        if self.ended.is_none() {
            self.game.step(&mut self.ctx);
        }
        self.view.clear();
        self.game.view(&mut self.view)?;
        self.view.finish()?;
        if let Some(f) = self.ctx.take_fault() {
            return Err(f);
        }
        let events = self
            .ctx
            .drain_events()
            .map(|e| {
                let m = decode_event(&e.bytes).expect("the server's own event frame");
                HarnessEvent { to: e.to, tick: m.tick, name: m.name, data: m.data }
            })
            .collect();
        let mut ended = None;
        if self.ended.is_none() {
            ended = self.ctx.take_end();
            if ended.is_none() && self.ctx.ticks_left() == Some(1) {
                ended = Some(MatchEnd::new(self.game.scores()));
            }
            self.ended.clone_from(&ended);
        }
        self.ctx.set_tick(tick + 1);
        Ok(TickReport { tick, events, ended })
    }

    /// Tick `n` times, collecting every event; stops early when the match ends.
    pub fn run(&mut self, n: u64) -> Result<TickReport, GameFault> {
        let mut all = TickReport::default();
        for _ in 0..n {
            let t = self.tick()?;
            all.tick = t.tick;
            all.events.extend(t.events);
            if t.ended.is_some() {
                all.ended = t.ended;
                break;
            }
        }
        Ok(all)
    }

    /// The whole world after the last tick (what the operator's spectator sees).
    pub fn view(&self) -> &View {
        &self.view
    }

    /// What `player` sees after the last tick: the world as the game's [`Game::scope`]
    /// scopes it for that player, exactly as the lobby projects it (issue 16).
    pub fn view_of(&self, player: u32) -> View {
        let mut scopes = Scopes::default();
        self.game.scope(&self.ctx, &mut scopes);
        scopes.finish();
        let teams = Teams::new(self.ctx.players().iter().filter_map(|p| Some((p.id, p.team?))));
        let key = if scope::scoped(self.view.layout(), &scopes) {
            ViewKey::Player(player)
        } else {
            ViewKey::World
        };
        let mut out = View::new(self.view.layout().clone());
        scope::project(&self.view, &scopes, &teams, key, &mut out);
        out
    }

    /// How the match ended, once it has.
    pub fn ended(&self) -> Option<&MatchEnd> {
        self.ended.as_ref()
    }

    /// The game's scores now.
    pub fn scores(&self) -> Vec<(u32, i64)> {
        self.game.scores()
    }
}
