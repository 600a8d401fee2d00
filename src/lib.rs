//! Tickwave: a multiplayer game session server.
//!
//! The server loop, in the order a packet meets it:
//!
//! 1. [`net`] accepts TCP, runs the TLS handshake (rustls), serves HTTP/1.1 with hyper and
//!    upgrades `GET /ws` to a WebSocket (tokio-tungstenite).
//! 2. A [`session`] task per connection reads frames, decodes them with `tickwave-protocol`,
//!    answers heartbeats ([`session::heartbeat`], a pure tracker), and routes requests:
//!    `find_match` to the [`matchmaker`] actor, `input` to the player's [`lobby`] (into its
//!    bounded input inbox, which the tick drains: inputs do not wake the lobby).
//! 3. The matchmaker groups waiting players with a pure policy ([`matchmaker::policy`]) and
//!    starts lobbies.
//! 4. Each lobby is its own task: at a fixed tick it applies queued inputs, steps its
//!    [`game::Game`], diffs the visible state against the previous tick, encodes the delta
//!    ONCE to `Bytes` and `try_send`s the same bytes to every member's bounded queue. A full
//!    queue never blocks the tick: that member skips state and is resynced with a snapshot.
//! 5. The same session task drains its queue to the socket, one flush per batch and at most
//!    one batch in flight, between reads (no second task, no split socket halves).
//!
//! Key types: [`Server`] (start, address, shutdown), [`Config`], [`game::Game`] (what a studio
//! implements), [`ModeConfig`] (per-mode settings).

pub mod admin;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod counters;
pub mod game;
pub(crate) mod link;
pub mod lobby;
pub mod logging;
pub mod matchmaker;
pub mod metrics;
pub mod net;
pub(crate) mod ratelimit;
pub mod server;
pub mod session;
pub mod tls;

pub use config::WebFiles;
pub use config::{Cli, ClusterConfig, Config, ModeConfig, TlsMode};
pub use server::{Server, StartError};

/// The pure cores (the lobby's tick, the matching policy), for `benches/tick.rs` and the
/// in-process tests in `tests/`; not an API.
#[doc(hidden)]
pub mod testing {
    pub use crate::lobby::core::{
        Core, Delivery, Failure, Link, Output, RECENT_TICKS, Settings, TickStats,
    };
    pub use crate::matchmaker::policy;
}

/// `tickwave/<version>`: the `server` of `welcome` and the HTTP `Server` header.
pub const SERVER_NAME: &str = concat!("tickwave/", env!("CARGO_PKG_VERSION"));
