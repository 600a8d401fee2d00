//! Tickwave client library and bot swarm.
//!
//! [`Client`] speaks the real protocol over ws:// or wss:// (the same code the integration
//! tests and the `client` subcommand use); [`state::LocalState`] applies snapshots and deltas
//! and checks them. [`swarm`] runs thousands of such players from one process and measures
//! the server (`tickwave-bots swarm`); [`capacity`] runs swarms of growing size against a
//! fresh server to find how many players it holds (`tickwave-bots capacity`).
//!
//! Layers, lowest first; a module imports only from its own layer or below, with no cycle
//! (`bots/tests/layering.rs` checks it, and the layers inside [`swarm`]):
//!
//! 1. [`state`], [`state_v2`] (the protocol-2 state and game shapes), [`connect4`] (a bot's
//!    move chooser on the board `state_v2` rebuilds) and [`tls`], then [`client`]: the public
//!    client library, which imports nothing else of the crate;
//! 2. [`sys`]: what a process reads of itself and of the machine (`/proc`, limits);
//! 3. [`swarm`]: bots on top of the client library;
//! 4. [`capacity`]: swarms run as child processes against fresh servers, read back through
//!    [`swarm::Report`]; [`player`]: one protocol-2 player (`tickwave-bots client
//!    --protocol 2`) playing its game as a swarm bot would.

pub mod capacity;
pub mod client;
pub mod connect4;
pub mod player;
pub mod state;
pub mod state_v2;
pub mod swarm;
pub mod sys;
pub mod tls;

/// The properties the fuzz target `bots_wire` checks of the bots' wire readers, for the fuzz
/// crate (feature `fuzzing`; not part of the library's API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use swarm::net::fuzz as fuzzing;

pub use client::{Client, ClientError, connect_stream, connect_stream_with};
pub use state::LocalState;
pub use tls::CertCheck;
