//! The bots' fast wire readers, kept together: the bottom layer of the swarm, below every
//! bot. Profiling showed the general-purpose layers (tungstenite, serde's buffering of
//! internally tagged enums) costing a bot process more than its own work, so a bot reads its
//! connection with these instead:
//!
//! - [`conn`]: connect, TLS and the WebSocket upgrade, then the socket read straight into
//!   rustls and frames written as one TLS record per flush;
//! - [`frame`]: the frame reader, in place in the received plaintext;
//! - [`msgpack`]: a strict MessagePack reader over a byte slice;
//! - [`wire`]: server messages sorted by `"type"`, the hot ones read without allocating;
//! - [`view`]: snapshots and deltas decoded, checked and applied in place.
//!
//! They import nothing of the swarm, only the public client library ([`crate::client`],
//! [`crate::state`], [`crate::tls`]) and the protocol crate. `fuzz` holds what the fuzz
//! target `bots_wire` checks of them (fuzz/README.md).

pub(crate) mod conn;
pub(crate) mod frame;
// Public to the fuzz crate (feature `fuzzing`, re-exported as `tickwave_bots::fuzzing`);
// crate-private in this crate's tests, which run it over the committed seeds.
#[cfg(any(test, feature = "fuzzing"))]
#[allow(unreachable_pub)]
pub mod fuzz;
pub(crate) mod msgpack;
pub(crate) mod view;
pub(crate) mod wire;
