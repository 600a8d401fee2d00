//! Every message of the protocol. Field names here are the wire names (public contract).

use crate::error::ErrorCode;
use crate::state::{Change, Entity, WorldView};
use serde::{Deserialize, Serialize};

/// Messages a client sends. Each is a MessagePack map with `"type"` naming the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message on every connection.
    Hello(Hello),
    /// Join the matchmaking queue of a mode.
    FindMatch {
        mode: String,
        /// Skill rating; players are grouped with others within a window that widens with
        /// waiting time. Absent means the mode's default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        skill: Option<f64>,
        /// Players are only grouped with players of the same region (absent is its own pool).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// Leave the matchmaking queue.
    CancelMatch {},
    /// Create a private lobby; the answer is `match_found` with a `code` to share.
    CreatePrivate { mode: String },
    /// Join a private lobby by its code.
    JoinPrivate { code: String },
    /// One input for the lobby's game, applied at the next tick.
    Input(Input),
    /// Leave the current lobby (the session stays open and may find another match).
    Leave {},
    /// A chat line to everyone in the player's lobby.
    Chat { text: String },
}

/// `hello`: the versioned handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Must equal [`crate::PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Display name, 1 to 32 Unicode scalar values.
    pub name: String,
    /// Player authentication token (used when the server runs in token mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Resume token from an earlier `welcome` (reconnect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
    /// With `resume`: the last tick whose state the client holds, so the server can catch it
    /// up with one delta instead of a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tick: Option<u64>,
    /// Cluster mode: the seat reservation from a `redirect`, redeemed on the node it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<String>,
}

/// `input`: the arena-style input every built-in game reads: a direction and an action button.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Client sequence number, strictly increasing per player. Stale or repeated numbers are
    /// ignored; the last applied one comes back in every state message's `acks`.
    pub seq: u64,
    /// Horizontal direction in [-1, 1]; values outside are clamped when decoded.
    #[serde(deserialize_with = "axis")]
    pub dx: f32,
    /// Vertical direction in [-1, 1] (positive is down); clamped like `dx`.
    #[serde(deserialize_with = "axis")]
    pub dy: f32,
    /// Action button held.
    #[serde(default)]
    pub action: bool,
}

/// Decode one direction of an `input`: any MessagePack number (float32, float64 or an
/// integer) is read as f64 and clamped to [-1, 1] *before* it is narrowed to f32, because
/// the narrowing turns a finite float64 beyond f32's range (1e300) into an infinity, which
/// the server refuses, where the protocol promises a clamp. NaN and infinities are kept as
/// they are, for the server to refuse (`invalid_input`). The Rust type stays f32: the wire
/// is unchanged, and so is the [`Input`] every game receives (always within [-1, 1]).
fn axis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    let v = f64::deserialize(d)?;
    Ok(if v.is_finite() { v.clamp(-1.0, 1.0) as f32 } else { v as f32 })
}

/// Messages the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome(Welcome),
    Error {
        code: ErrorCode,
        message: String,
        /// True when a close frame follows.
        #[serde(default)]
        fatal: bool,
    },
    Rtt(RttReport),
    /// `find_match` accepted: the player waits in the queue of `mode`.
    Queued {
        mode: String,
        /// Players waiting in that queue, including this one.
        waiting: u32,
    },
    /// The player left the queue (`cancel_match`, or the server stopped matching).
    MatchCancelled {
        reason: String,
    },
    MatchFound(MatchFound),
    Roster(Roster),
    LobbyState(LobbyState),
    Snapshot(StateSnapshot),
    Delta(StateDelta),
    /// End of a match: scores, best first. A `lobby_closed` follows.
    Results {
        lobby: u64,
        scores: Vec<ScoreLine>,
    },
    /// The player is no longer in the lobby; the session is back to idle.
    LobbyClosed {
        lobby: u64,
        reason: String,
    },
    /// A chat line in the lobby (also echoed to its sender), in the order the lobby got them.
    Chat {
        from: u32,
        name: String,
        text: String,
        /// The lobby's tick when the line was received.
        tick: u64,
    },
    /// A message from the operators to every connected player.
    Notice {
        /// `info`, `warning` or `critical`.
        severity: String,
        text: String,
    },
    /// Cluster mode: the player's match is on another node. Close this connection, connect to
    /// `url` and send `hello` with `reservation` (single-use, expires in seconds).
    Redirect {
        url: String,
        reservation: String,
    },
}

impl ServerMessage {
    /// An `error` for `code`: `fatal` exactly when the code closes the connection (PROTOCOL.md
    /// section 4), so no sender can get that pairing wrong.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error { code, message: message.into(), fatal: code.close_code().is_some() }
    }
}

/// `welcome`: the answer to a good `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    pub session: u64,
    pub protocol: u32,
    /// The player id this session plays under.
    pub player: u32,
    /// Server software and version, e.g. `tickwave/0.1.0`.
    pub server: String,
    /// Interval of the server's WebSocket pings.
    pub heartbeat_ms: u32,
    /// A session that answers no ping for this long is closed.
    pub timeout_ms: u32,
    /// Game modes the server runs.
    pub modes: Vec<String>,
    /// Single-use token to resume this player after a dropped connection (`hello.resume`).
    /// Each `welcome` carries a new one; the previous one stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
    /// True when this `welcome` answers a successful resume: same player, seat kept.
    #[serde(default)]
    pub resumed: bool,
    /// True when a resume hands a held lobby seat back: `match_found` follows (or
    /// `lobby_closed` / error `overloaded` when the lobby can no longer take the player), so
    /// the client must not ask for a match meanwhile. Only the server knows whether a seat was
    /// held at the moment of the resume (a `match_found` may have been in flight when the
    /// connection dropped), hence a field rather than client-side bookkeeping.
    #[serde(default)]
    pub seat_held: bool,
}

/// `rtt`: the server's measurement of this session's round trip.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RttReport {
    /// Smoothed round-trip time (EWMA, 1/8 gain), milliseconds.
    pub rtt_ms: f64,
    /// Smoothed mean deviation (1/4 gain), milliseconds.
    pub jitter_ms: f64,
    /// The most recent sample, milliseconds.
    pub last_ms: f64,
}

/// One member of a lobby.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerInfo {
    pub player: u32,
    pub name: String,
    /// False while the player's connection is gone but the seat is held.
    pub connected: bool,
}

/// A kind of entity and the names of its integer fields, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityKindSchema {
    pub kind: String,
    pub fields: Vec<String>,
}

/// `match_found`: the player has a seat in a lobby.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchFound {
    pub lobby: u64,
    pub player: u32,
    pub mode: String,
    /// The game the lobby runs (e.g. `arena`).
    pub game: String,
    pub state: String,
    pub tick_hz: u32,
    pub max_players: u32,
    pub roster: Vec<PlayerInfo>,
    /// Entity kinds of the state messages: `kind` in an entity is an index into this list.
    pub schema: Vec<EntityKindSchema>,
    /// Code of a private lobby, to share with friends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// State messages per second, when the mode sends them less often than it ticks
    /// (absent: one per tick). Deltas then span several ticks: `base` is the tick of the
    /// previous state message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_hz: Option<u32>,
}

/// `roster`: the full member list, sent whenever it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    pub lobby: u64,
    pub players: Vec<PlayerInfo>,
    /// Players that joined since the previous roster.
    #[serde(default)]
    pub joined: Vec<u32>,
    /// Players that left since the previous roster.
    #[serde(default)]
    pub left: Vec<u32>,
}

/// `lobby_state`: a lifecycle change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LobbyState {
    pub lobby: u64,
    /// `waiting`, `starting`, `running` or `finished`.
    pub state: String,
    /// Time left in this state when it is timed (countdown, match), milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<u64>,
    pub tick: u64,
}

/// `snapshot`: the full visible state at `tick`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateSnapshot {
    pub tick: u64,
    #[serde(with = "crate::acks")]
    pub acks: Vec<(u32, u64)>,
    pub entities: WorldView,
}

/// `delta`: the change from tick `base` to tick `tick`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDelta {
    pub tick: u64,
    pub base: u64,
    #[serde(with = "crate::acks")]
    pub acks: Vec<(u32, u64)>,
    pub added: Vec<Entity>,
    pub changed: Vec<Change>,
    pub removed: Vec<u32>,
}

/// One line of `results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub player: u32,
    pub name: String,
    pub score: i64,
}
