//! Tickwave client library and bot swarm.
//!
//! [`Client`] speaks the real protocol over ws:// or wss:// (the same code the swarm, the
//! integration tests and the `client` subcommand use); [`state::LocalState`] applies snapshots
//! and deltas and checks them.

pub mod client;
pub mod state;
pub mod tls;

pub use client::{Client, ClientError, connect_stream, connect_stream_with};
pub use state::LocalState;
pub use tls::CertCheck;
