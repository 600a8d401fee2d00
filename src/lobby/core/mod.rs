//! The lobby's tick as a pure state machine: members, phases, inputs, the game, the views of
//! recent ticks, chat, and what each member is sent. No tokio, no clock, no sockets.
//!
//! Why the split (as quinn-proto's `Connection` is driven by quinn's `ConnectionDriver`):
//!
//! - **Deterministic tests.** Time is a tick counter that only [`Core::tick`] advances
//!   (the fill timeout, countdown, match length and seat grace are counted in ticks), and
//!   the input-lag figure takes the time since the lobby began as an argument. Tests drive
//!   a core tick by tick with simulated member queues (`core/tests/`) instead of sockets
//!   and sleeps.
//! - **The bench runs the real path.** `benches/tick.rs` builds a core with N members and
//!   calls the same `tick` the server calls, instead of a copy of it kept in step by hand.
//! - **Replay later.** Everything that changes a lobby enters through a method call, so a
//!   recorded sequence of calls reproduces a match.
//!
//! What stays in the actor (`lobby/actor.rs`): the mailbox, the `TickClock` (Instant-based
//! deadlines), cancellation, the input inbox, the seat counters shared with the matchmaker,
//! counters and metrics, the admin status and spectator frames, and requeueing tickets.
//!
//! The core reaches members through [`Link`], which the actor implements on a session's
//! queues. Frames go through it at once rather than as queued outputs because two decisions
//! depend on the queue as it is at that moment: a lagging member is resynced only when its
//! queue has room for the roster, the lobby state and a snapshot, and chat only uses room
//! beyond what state needs. A full queue comes back as [`Delivery::Full`] and the core
//! marks that member for a resync itself. Lobby-level effects (a seat freed, whether the
//! lobby takes players, status to publish, a failure) are queued as [`Output`]s that the
//! actor drains with [`Core::poll_output`] after each call.
//!
//! Game code runs under `catch_unwind` inside the core: a panic ends this lobby only (its
//! players get `lobby_failed` and go back to idle), never the process or another lobby. A
//! view that breaks the game's own schema ends the lobby the same way, before it is sent.

mod chat;
mod fanout;
mod history;
mod layers;
mod members;
mod streams;
#[cfg(test)]
mod tests;
mod tick;

pub(crate) use chat::ChatLine;
pub(crate) use fanout::MAX_PENDING_INPUTS;
pub(crate) use fanout::Member;

use crate::game::Built;
use crate::game::v2::{DynGame, MatchCtx};
use bytes::Bytes;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use streams::Fanout;
use tickwave_protocol::v2::{CommandFrame, InputFrame, Layout, View};
use tickwave_protocol::{self as proto, EntityKindSchema, ErrorCode, ServerMessage};

mod commands;
mod events;

/// Views of recent ticks kept for catching up a resumed player with one delta (about two
/// seconds at 30 Hz); an older tick gets a snapshot instead.
pub const RECENT_TICKS: usize = 64;

/// A lobby's fixed settings, with every duration already in ticks.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The lobby id clients see in every lobby message.
    pub lobby: u64,
    /// The mode's name, for `match_found`.
    pub mode: String,
    /// The private code, if the lobby is private.
    pub code: Option<String>,
    /// Ticks per second: only for the `remaining_ms` clients are told.
    pub tick_hz: u32,
    /// State messages per second, 1..=`tick_hz`: the ticks in between run the game but no
    /// view, diff, encode or send (see [`Core::sends_state_at`]).
    pub send_hz: u32,
    /// The countdown starts with at least this many players after the fill timeout.
    pub min_players: u32,
    /// Seats; a full lobby starts its countdown at once.
    pub max_players: u32,
    /// A `waiting` lobby that is not full starts after this many ticks with `min_players`.
    pub fill_timeout_ticks: u64,
    /// Length of `starting`.
    pub countdown_ticks: u64,
    /// Length of `running`; then `results` and the close.
    pub match_ticks: u64,
    /// How long a dropped player's seat is held for a resume.
    pub grace_ticks: u64,
    /// Whether a running lobby takes players.
    pub backfill: bool,
    /// Chat lines kept for joining or resuming players.
    pub chat_history: usize,
    /// Chat lines waiting for one slow reader before its oldest are dropped.
    pub chat_backlog: usize,
}

/// What became of a frame handed to a member's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued.
    Sent,
    /// The queue is full: the frame was dropped.
    Full,
    /// The session is gone.
    Closed,
}

/// How the core reaches one member's session. The server implements it on a session's
/// bounded queues (`try_send`, never waiting); tests on a simulated queue.
pub trait Link {
    /// The connection this link belongs to: messages about an older connection of the same
    /// player (a leave that raced a resume) are ignored.
    fn session(&self) -> u64;
    /// Queue a frame without waiting.
    fn send(&self, bytes: Bytes) -> Delivery;
    /// Free slots in the queue now; `None` when the session is gone.
    fn room(&self) -> Option<usize>;
    /// The protocol version the client negotiated in `hello` (1 or 2): which form of the
    /// lobby's messages it is sent. A link that does not say speaks version 1.
    fn protocol(&self) -> u32 {
        1
    }
    /// The player is no longer in this lobby: its inputs go nowhere from now on.
    fn lobby_ended(&self, lobby: u64);
}

/// A lobby-level effect the actor carries out (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A member left for good: the matchmaker may fill its seat again.
    SeatFreed,
    /// Whether the lobby takes new players now (the matchmaker reads it).
    Accepting(bool),
    /// Membership or phase changed: publish the admin status.
    Status,
    /// Game code failed and the lobby ended with `lobby_failed`.
    Failed(Failure),
    /// An error message went to a client (counted per code, as sessions count theirs).
    ErrorSent(ErrorCode),
}

/// Why a lobby failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Game code panicked; the panic message.
    Panic(String),
    /// The game's view broke its own schema.
    BadView(String),
    /// The game broke another rule it cannot be trusted past (an undeclared or ill-typed
    /// event, a refusal code that is not snake_case, a value it could not encode).
    Fault(String),
}

/// What one tick did, for the actor's metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickStats {
    /// Inputs applied to the game.
    pub inputs: u64,
    /// Commands applied to the game (answered ok or refused by it).
    pub commands: u64,
    /// Event frames queued to members.
    pub events: u64,
    /// State messages sent (deltas plus snapshots) and their bytes.
    pub state_messages: u64,
    /// Bytes of those state messages.
    pub state_bytes: u64,
    /// Members whose queue was full this tick (each will be resynced).
    pub lagging: u64,
    /// State messages encoded this tick (deltas and snapshots, per distinct view and
    /// protocol): 1 when every member sees the same thing.
    pub encodes: u64,
    /// Distinct views the members followed this tick.
    pub views: u64,
    /// The tick got as far as a view and fan-out ([`Core::last_view`] is this tick's).
    pub viewed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Waiting { since: u64 },
    Starting { until: u64 },
    Running { until: u64 },
    Finished,
}

impl Phase {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Waiting { .. } => "waiting",
            Phase::Starting { .. } => "starting",
            Phase::Running { .. } => "running",
            Phase::Finished => "finished",
        }
    }
}

/// One lobby's state machine, generic over how it reaches members (see [`Link`]).
pub struct Core<L> {
    s: Settings,
    game: Box<dyn DynGame>,
    ctx: MatchCtx,
    layout: Arc<Layout>,
    /// The schema in its v1 form when protocol-1 clients can be sent this game (see
    /// `game::compat::v1_schema`); `None` makes the lobby protocol-2 only.
    v1_schema: Option<Vec<EntityKindSchema>>,
    /// Commands waiting for the next tick, in arrival order (see `core/commands.rs`).
    commands: VecDeque<(u32, CommandFrame)>,
    phase: Phase,
    tick: u64,
    members: Vec<Member<L>>,
    fan: Fanout,
    /// Views of the last [`RECENT_TICKS`] ticks, packed.
    recent: history::History,
    /// Mirrors the seats' `accepting` flag, which only the core changes (besides closing).
    accepting: bool,
    done: bool,
    /// The last `chat_history` lines, encoded.
    chat_history: VecDeque<Bytes>,
    /// The same lines as text, for the admin view.
    chat_log: VecDeque<ChatLine>,
    outputs: VecDeque<Output>,
}

impl<L: Link> Core<L> {
    /// A lobby in `waiting` at tick 0 with no members; the game's schema was compiled when it was built.
    pub fn new(settings: Settings, (game, ctx): Built) -> Self {
        let layout = game.layout().clone();
        Core {
            s: settings,
            game,
            ctx,
            v1_schema: crate::game::compat::v1_schema(&layout),
            fan: Fanout::new(layout.clone()),
            recent: history::History::new(RECENT_TICKS, layout.clone()),
            layout,
            commands: VecDeque::new(),
            phase: Phase::Waiting { since: 0 },
            tick: 0,
            members: Vec::new(),
            accepting: true,
            done: false,
            chat_history: VecDeque::new(),
            chat_log: VecDeque::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The next lobby-level effect to carry out, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The lobby's id.
    pub fn id(&self) -> u64 {
        self.s.lobby
    }

    /// The last tick run (0 before the first).
    pub fn tick_count(&self) -> u64 {
        self.tick
    }

    /// True once the lobby has ended; the actor stops then.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// `waiting`, `starting`, `running` or `finished` (also once ended in another phase).
    pub fn state(&self) -> &'static str {
        if self.done { "finished" } else { self.phase.name() }
    }

    /// The phase's name, even once the lobby has ended.
    pub fn phase(&self) -> &'static str {
        self.phase.name()
    }

    /// The private code, if any.
    pub fn code(&self) -> Option<&str> {
        self.s.code.as_deref()
    }

    /// The game's registered name.
    pub fn game_name(&self) -> &'static str {
        self.game.name()
    }

    /// The game's compiled schema (`match_found.schema` of protocol 2).
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// The schema in its protocol-1 form, when version 1 clients can play this game.
    pub fn v1_schema(&self) -> Option<&[EntityKindSchema]> {
        self.v1_schema.as_deref()
    }

    /// Whether a `Join` may take a seat now (else its ticket goes back to matchmaking).
    pub fn admits(&self) -> bool {
        let full = self.members.len() as u32 >= self.s.max_players;
        !full && self.phase != Phase::Finished && self.accepting
    }

    /// Whether the player has a seat here, connected or held.
    pub fn is_member(&self, player: u32) -> bool {
        self.member(player).is_some()
    }

    /// Members, seated or held, in seat order.
    pub(crate) fn members(&self) -> &[Member<L>] {
        &self.members
    }

    /// The view of the last tick that got as far as its fan-out.
    pub fn last_view(&self) -> &View {
        self.fan.prev()
    }

    /// What `player` was sent at the last tick that got as far as its fan-out: the world
    /// as the game scoped it for that player (issue 16). The world itself when the game
    /// scopes nothing.
    pub fn view_of(&self, player: u32) -> View {
        self.fan.view_of(player)
    }

    /// [`Core::last_view`] in its protocol-1 form (empty when the game has none).
    pub fn last_view_v1(&self) -> proto::WorldView {
        let mut v = proto::WorldView::new();
        if self.v1_schema.is_some() {
            crate::game::compat::to_v1_view(self.fan.prev(), &mut v);
        }
        v
    }

    /// A protocol-2 snapshot of the last tick's view with its acks, encoded as a resync
    /// would send it (for the bench's byte sizes and for tests; the tick itself encodes one
    /// only when a member needs it).
    pub fn snapshot(&self) -> Bytes {
        tickwave_protocol::v2::encode_snapshot(self.fan.sent_tick, &self.fan.acks, self.fan.prev())
    }

    /// Whether `tick` sends state. With `send_hz < tick_hz` the send ticks are spread as
    /// evenly as integers allow (`send_hz` of every `tick_hz`, Bresenham style), so any rate
    /// works, not only divisors, and the schedule is a pure function of the tick number.
    pub fn sends_state_at(&self, tick: u64) -> bool {
        let (send, hz) = (u64::from(self.s.send_hz), u64::from(self.s.tick_hz.max(1)));
        send >= hz || tick * send / hz != tick.saturating_sub(1) * send / hz
    }

    /// Bytes of the last delta and snapshot encoded.
    pub fn last_delta_len(&self) -> usize {
        self.fan.n.last_delta_len
    }

    /// Bytes of the last snapshot a resync sent.
    pub fn last_snapshot_len(&self) -> usize {
        self.fan.n.last_snapshot_len
    }

    /// The recent chat lines, oldest first.
    pub fn chat_log(&self) -> impl Iterator<Item = &ChatLine> {
        self.chat_log.iter()
    }

    /// The game's own summary for the admin view (`null` if it panics; that alone does not
    /// end the lobby, as it is not part of the match).
    pub fn summary(&self) -> serde_json::Value {
        std::panic::catch_unwind(AssertUnwindSafe(|| self.game.summary()))
            .unwrap_or(serde_json::Value::Null)
    }

    /// Queue a member's input for the next tick; `arrived` is when its session read it
    /// (time since the lobby began), for the input-lag figure. The session validated it
    /// against the game's input fields (a v1 client's input was converted to them).
    pub fn push_input(&mut self, player: u32, input: InputFrame, arrived: Duration) {
        if self.done {
            return;
        }
        let Some(m) = self.members.iter_mut().find(|m| m.player == player && m.connected) else {
            return;
        };
        if let Err(step) = m.queue_input(input, arrived) {
            let max = fanout::MAX_SEQ_STEP;
            let msg = format!("input seq jumped by {step}; at most {max} is accepted");
            m.link.send(error_bytes(ErrorCode::InvalidInput, msg));
            self.outputs.push_back(Output::ErrorSent(ErrorCode::InvalidInput));
        }
    }

    /// The player left on purpose (from this connection): free the seat now.
    pub fn leave(&mut self, player: u32, session: u64) {
        self.guarded(|c| {
            if c.member(player).is_some_and(|m| m.link.session() == session) {
                if let Some(m) = c.remove(player) {
                    let lobby = c.s.lobby;
                    let msg = ServerMessage::LobbyClosed { lobby, reason: "left".into() };
                    m.link.send(proto::encode_server(&msg));
                }
            }
        })
    }

    /// The player's connection dropped: hold the seat for the grace period.
    pub fn disconnect(&mut self, player: u32, session: u64) {
        self.guarded(|c| {
            if c.member(player).is_some_and(|m| m.link.session() == session) {
                c.hold_seat(player);
            }
        })
    }

    /// The server is draining: take no one new, and close unless the match is running.
    pub fn drain(&mut self) {
        self.guarded(|c| {
            c.set_accepting(false);
            if !matches!(c.phase, Phase::Running { .. }) {
                c.close_all(None, "server draining");
            }
        })
    }

    /// An operator closes the lobby.
    pub fn close(&mut self, reason: &str) {
        self.guarded(|c| {
            tracing::info!(%reason, "closed on request");
            c.close_all(None, reason);
        })
    }

    fn member(&self, player: u32) -> Option<&Member<L>> {
        self.members.iter().find(|m| m.player == player)
    }

    fn set_accepting(&mut self, accepting: bool) {
        self.accepting = accepting;
        self.outputs.push_back(Output::Accepting(accepting));
    }

    /// Run code that calls into the game; a panic ends this lobby cleanly. Does nothing once
    /// the lobby has ended.
    fn guarded<R: Default>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        if self.done {
            return R::default();
        }
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(r) => {
                if let Some(fault) = self.ctx.take_fault() {
                    self.game_fault(fault);
                }
                r
            }
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".into());
                tracing::error!(lobby = self.s.lobby, panic = %what, "game code panicked; ending this lobby");
                self.outputs.push_back(Output::Failed(Failure::Panic(what)));
                self.close_all(Some(ErrorCode::LobbyFailed), "lobby failed");
                R::default()
            }
        }
    }

    /// The game's view broke its schema: end the lobby as a panic does, before any of that
    /// view is encoded, so no client ever gets a state it cannot apply or name. Logged once
    /// (the lobby ends here), counted apart from panics.
    fn bad_view(&mut self, error: tickwave_protocol::v2::ViewError) {
        tracing::error!(lobby = self.s.lobby, tick = self.tick, %error, "game view breaks its schema; ending this lobby");
        self.outputs.push_back(Output::Failed(Failure::BadView(error.to_string())));
        self.close_all(Some(ErrorCode::LobbyFailed), "lobby failed");
    }

    /// The game broke a rule of the API ([`crate::game::v2::GameFault`]): end the lobby as
    /// a bad view does (a bad view reached through the context counts as one).
    fn game_fault(&mut self, fault: crate::game::v2::GameFault) {
        if self.done {
            return;
        }
        tracing::error!(lobby = self.s.lobby, tick = self.tick, %fault, "game fault; ending this lobby");
        let failure = match fault {
            crate::game::v2::GameFault::View(e) => Failure::BadView(e.to_string()),
            f => Failure::Fault(f.to_string()),
        };
        self.outputs.push_back(Output::Failed(failure));
        self.close_all(Some(ErrorCode::LobbyFailed), "lobby failed");
    }

    /// End the lobby for everyone now: an optional error, then `lobby_closed`.
    fn close_all(&mut self, error: Option<ErrorCode>, reason: &str) {
        let lobby = self.s.lobby;
        for m in self.members.iter().filter(|m| m.connected) {
            if let Some(code) = error {
                m.link.send(error_bytes(code, format!("lobby {lobby}: {reason}")));
                self.outputs.push_back(Output::ErrorSent(code));
            }
            let msg = ServerMessage::LobbyClosed { lobby, reason: reason.into() };
            m.link.send(proto::encode_server(&msg));
            m.link.lobby_ended(lobby);
        }
        self.done = true;
    }
}

/// A non-fatal error for one client (the caller queues [`Output::ErrorSent`] to count it).
fn error_bytes(code: ErrorCode, message: String) -> Bytes {
    proto::encode_server(&ServerMessage::error(code, message))
}

/// A member's name as the roster shows it.
type Name = Arc<str>;
