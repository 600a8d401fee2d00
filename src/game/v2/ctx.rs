//! What a game knows of its match while a hook runs ([`MatchCtx`]), and the values hooks
//! hand back: player records, join refusals, command replies and refusals, the match's end.
//!
//! The context is plain data the driver (the lobby core, or [`super::GameHarness`] in a
//! test) advances; nothing here reads a clock. Time is the tick counter and `tick_hz`, so a
//! game that counts "20 s without a move" counts ticks and stays deterministic.

use super::super::SplitMix64;
use bytes::Bytes;
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;
use tickwave_protocol::v2::{Encoder, Layout, ViewError, valid_code};

/// Events one tick may emit; more are dropped and counted ([`MatchCtx::dropped_events`]), so
/// a game in a loop cannot flood its players' queues.
pub const MAX_EVENTS_PER_TICK: usize = 256;

/// Entity ids at or above this are the game's own (projectiles, pickups, board cells);
/// below it are player ids, and a player's entity uses its player id (PROTOCOL.md §6).
pub const FIRST_GAME_ENTITY_ID: u32 = 1 << 31;

/// The lobby's phase as a game sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Filling seats; the match has not begun (a game may animate a lobby, or idle).
    Waiting,
    /// The countdown before the match.
    Starting,
    /// The match: inputs and commands count.
    Running,
}

/// Who receives an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// Every member of the lobby (and spectators).
    All,
    /// One player.
    Player(u32),
    /// These players.
    Players(Vec<u32>),
    /// The players the game put on this team ([`MatchCtx::set_team`]).
    Team(u32),
}

/// A player joining the lobby: who it is, as the server knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlayerRecord {
    /// The player id (below 2^31, unique on the node for the session's life).
    pub id: u32,
    /// Display name, as the client gave it in `hello` (may be empty).
    pub name: String,
    /// The account (`sub` of the token) when the server checks tokens.
    pub sub: Option<String>,
    /// Skill the ticket carried, if any.
    pub skill: Option<f64>,
    /// Region the ticket carried, if any.
    pub region: Option<String>,
    /// The party the player queued with, if any.
    pub party: Option<String>,
    /// The team the game assigned ([`MatchCtx::set_team`]); `None` until then.
    pub team: Option<u32>,
}

/// A refused command (`command_result {ok: false, code, message}`) or seat
/// ([`JoinRefusal`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refusal {
    /// snake_case, game-defined (`not_your_turn`, `team_full`).
    pub code: Cow<'static, str>,
    /// For people.
    pub message: String,
}

impl Refusal {
    /// A refusal with a snake_case code.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Refusal { code: code.into(), message: message.into() }
    }
}

/// Why a game refuses a seat: the same shape as a command refusal, and the client receives
/// its `code` and `message` in the error (`team_full`, `banned`).
pub type JoinRefusal = Refusal;

/// An accepted command's reply: `command_result {ok: true, value?}`. The value is encoded
/// when the game returns it, so the game's types never outlive the hook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply(pub(crate) Option<Vec<u8>>);

impl Reply {
    /// No value.
    pub fn none() -> Self {
        Reply(None)
    }

    /// A value (any serde type; structs are maps with named fields).
    pub fn value<T: Serialize + ?Sized>(value: &T) -> Result<Self, rmp_serde::encode::Error> {
        rmp_serde::to_vec_named(value).map(|v| Reply(Some(v)))
    }

    /// The value as one MessagePack value, if any.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }
}

/// The match's end, asked by the game ([`MatchCtx::end_match`]) or reached when its time is
/// up: `results` carries the scores and, when set, the game's payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MatchEnd {
    /// `(player, score)` in any order.
    pub scores: Vec<(u32, i64)>,
    /// A game-defined value (one MessagePack value: a winner, a reason, a replay id).
    pub payload: Option<Vec<u8>>,
}

impl MatchEnd {
    /// An end with these scores and no payload.
    pub fn new(scores: Vec<(u32, i64)>) -> Self {
        MatchEnd { scores, payload: None }
    }

    /// Attach a payload (any serde type).
    pub fn with_payload<T: Serialize + ?Sized>(
        mut self,
        payload: &T,
    ) -> Result<Self, rmp_serde::encode::Error> {
        self.payload = Some(rmp_serde::to_vec_named(payload)?);
        Ok(self)
    }
}

/// An event the game emitted this tick, encoded, with its audience.
#[derive(Debug, Clone)]
pub struct OutEvent {
    /// Who receives it.
    pub to: To,
    /// The `event` frame.
    pub bytes: Bytes,
}

/// A mistake of the game's that the server cannot send: like a view that breaks the
/// schema, it fails the lobby (`lobby_failed`), never a client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GameFault {
    /// An event that is not declared, or whose data break its declared fields.
    #[error("event {name:?}: {error}")]
    BadEvent {
        /// The name the game used.
        name: String,
        /// What was wrong.
        error: String,
    },
    /// A refusal or join refusal whose code is not snake_case.
    #[error("refusal code {0:?} is not snake_case")]
    BadCode(String),
    /// A value the game could not encode (a reply, a payload).
    #[error("{0}")]
    Encode(String),
    /// The game's view broke its schema.
    #[error("view: {0}")]
    View(#[from] ViewError),
    /// A validated input or command did not deserialize into the game's type: the schema
    /// and the type disagree (caught at registration for defaults; this is the rest).
    #[error("{what} did not fit the game's type: {error}")]
    Type {
        /// `input` or `command NAME`.
        what: String,
        /// The serde error.
        error: String,
    },
}

/// Everything a hook may read or do besides changing the game itself. One per lobby; the
/// driver sets the phase and tick before each hook and drains events after.
pub struct MatchCtx {
    layout: Arc<Layout>,
    tick: u64,
    tick_hz: u32,
    phase: Phase,
    ends_at: Option<u64>,
    rng: SplitMix64,
    next_entity: u32,
    players: Vec<PlayerRecord>,
    events: Vec<OutEvent>,
    dropped_events: u64,
    fault: Option<GameFault>,
    end: Option<MatchEnd>,
    enc: Encoder,
}

impl std::fmt::Debug for MatchCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchCtx")
            .field("tick", &self.tick)
            .field("phase", &self.phase)
            .field("players", &self.players.len())
            .finish_non_exhaustive()
    }
}

impl MatchCtx {
    /// A context at tick 0 in `waiting`; the RNG is seeded from `seed`.
    pub fn new(layout: Arc<Layout>, seed: u64, tick_hz: u32) -> Self {
        MatchCtx {
            layout,
            tick: 0,
            tick_hz: tick_hz.max(1),
            phase: Phase::Waiting,
            ends_at: None,
            // A different stream than the one `Setup` hands `new`, so a game that uses both
            // does not see the same numbers twice.
            rng: SplitMix64::new(seed ^ 0x6a09_e667_f3bc_c908),
            next_entity: FIRST_GAME_ENTITY_ID,
            players: Vec::new(),
            events: Vec::new(),
            dropped_events: 0,
            fault: None,
            end: None,
            enc: Encoder::new(),
        }
    }

    /// The tick being simulated (the one the next state message carries).
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Ticks per second.
    pub fn tick_hz(&self) -> u32 {
        self.tick_hz
    }

    /// Seconds as ticks at this lobby's rate (rounded up, at least 1 for a positive time):
    /// how a game turns "20 s" into something it can count.
    pub fn ticks_for_ms(&self, ms: u64) -> u64 {
        (ms * u64::from(self.tick_hz)).div_ceil(1000)
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Ticks left in `running`, counting the one being simulated (1 on the last tick);
    /// `None` outside `running`.
    pub fn ticks_left(&self) -> Option<u64> {
        self.ends_at.map(|e| e.saturating_sub(self.tick))
    }

    /// Time left in `running`, in milliseconds.
    pub fn time_left_ms(&self) -> Option<u64> {
        self.ticks_left().map(|t| t * 1000 / u64::from(self.tick_hz))
    }

    /// The match's random numbers: seeded from the lobby's seed, so a replay draws the same.
    pub fn rng(&mut self) -> &mut SplitMix64 {
        &mut self.rng
    }

    /// A fresh id for a game entity, >= 2^31, never repeated in this lobby.
    pub fn new_entity_id(&mut self) -> u32 {
        let id = self.next_entity;
        // 2^31 ids: a projectile a tick at 60 Hz for a year is 2^31 / 60 / 86400 days.
        self.next_entity = self.next_entity.checked_add(1).unwrap_or(FIRST_GAME_ENTITY_ID);
        id
    }

    /// The players seated now (held seats included), in join order.
    pub fn players(&self) -> &[PlayerRecord] {
        &self.players
    }

    /// One player's record.
    pub fn player(&self, id: u32) -> Option<&PlayerRecord> {
        self.players.iter().find(|p| p.id == id)
    }

    /// Put a player on a team (`To::Team`, private team fields and the roster use it).
    pub fn set_team(&mut self, player: u32, team: u32) {
        if let Some(p) = self.players.iter_mut().find(|p| p.id == player) {
            p.team = Some(team);
        }
    }

    /// Emit a declared event to `to`, delivered before the state of the next tick. `data`
    /// is a flat struct of the event's fields (`&()` for none). An undeclared name or data
    /// that break the schema fail the lobby like a bad view; beyond
    /// [`MAX_EVENTS_PER_TICK`] events are dropped and counted.
    pub fn emit<T: Serialize + ?Sized>(&mut self, to: To, name: &str, data: &T) {
        if self.events.len() >= MAX_EVENTS_PER_TICK {
            self.dropped_events += 1;
            return;
        }
        let Some(id) = self.layout.event_id(name) else {
            self.fault(GameFault::BadEvent { name: name.into(), error: "not declared".into() });
            return;
        };
        match self.enc.event(self.tick, &self.layout, id, data) {
            Ok(bytes) => self.events.push(OutEvent { to, bytes }),
            Err(e) => self.fault(GameFault::BadEvent { name: name.into(), error: e.to_string() }),
        }
    }

    /// End the match now with `end`'s results (the lobby sends `results` after this tick
    /// and closes). The first call wins.
    pub fn end_match(&mut self, end: MatchEnd) {
        if self.end.is_none() {
            self.end = Some(end);
        }
    }

    /// Whether the game asked to end the match.
    pub fn ending(&self) -> bool {
        self.end.is_some()
    }

    /// Events dropped because a tick emitted more than [`MAX_EVENTS_PER_TICK`].
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// The compiled schema.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    fn fault(&mut self, f: GameFault) {
        self.fault.get_or_insert(f);
    }

    // ---- the driver's side -------------------------------------------------------------

    pub(crate) fn set_tick(&mut self, tick: u64) {
        self.tick = tick;
    }

    /// Enter `phase`; `running` ends after `match_ticks` more ticks.
    pub(crate) fn set_phase(&mut self, phase: Phase, match_ticks: u64) {
        self.phase = phase;
        self.ends_at = (phase == Phase::Running).then(|| self.tick + match_ticks);
    }

    pub(crate) fn add_player(&mut self, record: PlayerRecord) {
        self.players.retain(|p| p.id != record.id);
        self.players.push(record);
    }

    pub(crate) fn remove_player(&mut self, id: u32) {
        self.players.retain(|p| p.id != id);
    }

    pub(crate) fn check_code(&mut self, code: &str) -> bool {
        let ok = valid_code(code);
        if !ok {
            self.fault(GameFault::BadCode(code.to_owned()));
        }
        ok
    }

    pub(crate) fn record_fault(&mut self, f: GameFault) {
        self.fault(f);
    }

    /// The first fault since the last call.
    pub(crate) fn take_fault(&mut self) -> Option<GameFault> {
        self.fault.take()
    }

    /// This tick's events, in emission order.
    pub(crate) fn drain_events(&mut self) -> std::vec::Drain<'_, OutEvent> {
        self.events.drain(..)
    }

    /// The end the game asked for, once.
    pub(crate) fn take_end(&mut self) -> Option<MatchEnd> {
        self.end.take()
    }
}
