//! The Tickwave wire protocol.
//!
//! Every message is one binary WebSocket frame holding one MessagePack map whose string key
//! `"type"` names the message. `PROTOCOL.md` beside this crate is the normative description;
//! this crate is the reference implementation that the server, the bots and the tests share.
//!
//! The crate knows nothing of sockets or clocks, so it can be used from any runtime (or none).
//!
//! Key types:
//! - [`ClientMessage`] / [`ServerMessage`]: every message, with [`decode_client`] /
//!   [`encode_server`] and the reverse pair for clients.
//! - [`WorldView`] / [`Delta`]: the state a client sees, and the difference between two ticks
//!   ([`WorldView::diff`], [`WorldView::apply`]).
//! - [`ErrorCode`] and [`close`]: the machine-readable error codes and WebSocket close codes.
//! - [`text`]: the characters display names and chat refuse.
//! - [`v2`]: the building blocks of protocol version 2 (typed schemas, packed views, deltas,
//!   input and command validation), beside v1 until the server switches over.

mod acks;
mod codec;
mod error;
mod message;
mod state;
pub mod text;
mod validate;

pub mod v2;

pub use codec::{
    CLIENT_TYPES, DecodeError, SERVER_TYPES, decode_client, decode_server, encode_client,
    encode_delta, encode_server, encode_snapshot, peek_type,
};
pub use error::{ErrorCode, close};
pub use message::{
    ClientMessage, EntityKindSchema, Hello, Input, LobbyState, MatchFound, PlayerInfo, Roster,
    RttReport, ScoreLine, ServerMessage, StateDelta, StateSnapshot, Welcome,
};
pub use state::{Change, Delta, Entity, MAX_FIELDS, StateError, WorldView};

/// The protocol version this crate speaks. A client whose `hello.protocol` differs is refused
/// with [`ErrorCode::ProtocolVersion`] and close code [`close::PROTOCOL_ERROR`] (1002).
pub const PROTOCOL_VERSION: u32 = 1;
