//! Tickwave: a multiplayer game session server.
//!
//! The server loop, in the order a packet meets it (docs/ARCHITECTURE.md has the layers):
//!
//! 1. The listener (`net/`) accepts TCP, runs the TLS handshake (rustls), serves HTTP/1.1
//!    with hyper and upgrades `GET /ws` to a WebSocket (tokio-tungstenite).
//! 2. A session task per connection (`session/`) reads frames, decodes them with
//!    `tickwave-protocol`, answers heartbeats (a pure tracker), and routes requests through
//!    handles: `find_match` to matchmaking (this node's matchmaker or the cluster's queue),
//!    `input` to the player's lobby (into its bounded input inbox, which the tick drains:
//!    inputs do not wake the lobby).
//! 3. The matchmaker groups waiting players with a pure policy and starts lobbies.
//! 4. Each lobby is its own task: at a fixed tick it applies queued inputs, steps its
//!    [`game::Game`], diffs the visible state against the previous tick, encodes the delta
//!    ONCE to `Bytes` and `try_send`s the same bytes to every member's bounded queue. A full
//!    queue never blocks the tick: that member skips state and is resynced with a snapshot.
//! 5. The same session task drains its queue to the socket, one flush per batch and at most
//!    one batch in flight, between reads (no second task, no split socket halves).
//!
//! Key types: [`Server`] (start, address, shutdown), [`Config`], [`Cli`], [`game::Game`] (what
//! a studio implements, with the protocol types its signatures use), [`ModeConfig`]
//! (per-mode settings). A game crate depends on `tickwave` alone.

#![warn(missing_docs)]

// Private: reached through the `pub use` list below; docs/ARCHITECTURE.md maps them.
// The game crates under games/ are also compiled as modules of this one (see `games`);
// their `tickwave::` paths then resolve here.
extern crate self as tickwave;

mod admin;
mod auth;
mod cluster;
mod config;
mod counters;
pub mod game;
pub mod games;
mod link;
mod lobby;
mod logging;
mod matchmaker;
mod metrics;
mod net;
mod ratelimit;
mod run;
mod server;
mod session;
mod tls;

pub use auth::{AuthMode, AuthSetupError, TokenVerifier};
pub use cluster::ClusterError;
pub use config::{
    ChatLimits, Cli, ClusterConfig, Config, ConfigError, InputLimits, IpLimits, LeaseTiming,
    LoadError, ModeConfig, ModesError, PlacementPolicy, RedisTarget, RedisUrlError, TlsMode,
    WebFiles, WebFilesError, WsLimits,
};
pub use logging::{LogFormat, init as init_logging};
pub use run::run_main;
pub use server::{Drainer, Server, StartError};
pub use session::heartbeat::RttEstimate;
pub use session::registry::SessionInfo;
pub use tls::TlsError;

/// Test-only hooks for benches, examples and tests: the pure cores (the lobby's tick, the
/// matching policy) for `benches/tick.rs` and the in-process tests in `tests/`, and the
/// cluster queue drain for `examples/cluster_bench.rs`. Not part of the supported API.
#[doc(hidden)]
pub mod testing {
    pub use crate::cluster::bench::queue_drain;
    pub use crate::lobby::core::{
        Core, Delivery, Failure, Link, Output, RECENT_TICKS, Settings, TickStats,
    };
    pub use crate::matchmaker::policy;
}

/// `tickwave/<version>`: the `server` of `welcome` and the HTTP `Server` header.
pub const SERVER_NAME: &str = concat!("tickwave/", env!("CARGO_PKG_VERSION"));
