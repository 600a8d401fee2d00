//! Tickwave client library and bot swarm.
//!
//! [`Client`] speaks the real protocol over ws:// or wss:// (the same code the integration
//! tests and the `client` subcommand use); [`state::LocalState`] applies snapshots and deltas
//! and checks them. [`swarm`] runs thousands of such players from one process and measures
//! the server (`tickwave-bots swarm`); [`capacity`] runs swarms of growing size against a
//! fresh server to find how many players it holds (`tickwave-bots capacity`).

pub mod capacity;
pub mod client;
pub mod state;
pub mod swarm;
pub mod sys;
pub mod tls;

pub use client::{Client, ClientError, connect_stream, connect_stream_with};
pub use state::LocalState;
pub use tls::CertCheck;
