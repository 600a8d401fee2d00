//! The bot swarm: thousands of bots speaking the real protocol over wss, measuring the
//! server from the players' side.
//!
//! How a run goes:
//!
//! 1. [`run`] hands the settings to the collector (`collector`), which resolves the target
//!    once and starts `threads` shards (`shard`): each an OS thread with a single-threaded
//!    tokio runtime, owning bots `i % threads == shard`.
//! 2. Each shard starts its bots on the ramp's schedule. A bot (`bot`) is one task with one
//!    timer: connect, `hello`, `find_match`, inputs at `input_hz` chosen by its
//!    [`behaviour`], and every snapshot and delta applied to a local copy and checked. With
//!    protocol 2 ([`Protocol`]) the copy is typed by `match_found.schema`, and the schema says
//!    what the bot sends (`game`): the arena's aim and fire, connect4's drops, or random
//!    valid inputs for a game the bots do not know; results, commands and events are counted
//!    ([`games`]).
//! 3. Bots record into their shard's [`stats`] without locks; every second each shard sends
//!    the collector (the calling thread) an interval, which becomes a point of the time
//!    series and the live progress line (`progress`).
//! 4. At the stop, shards send their totals and per-bot records; [`run`] builds the
//!    [`Report`] (table, JSON, [`chart`]) and checks the [`slo`]s.
//!
//! # Layers
//!
//! Each module imports only from its own layer or the layers below it, with no cycle inside
//! a layer, and never through this file (it only declares and re-exports). Lowest first:
//!
//! 1. `error` ([`SwarmError`]) and `rng` (the seeded generator, [`behaviour::Rng`]): leaves.
//! 2. `net`: the fast wire readers, a folder of their own: the connection and its frame
//!    reader, the MessagePack reader, the message sorter and the allocation-free state view.
//!    Below them only the public client library ([`crate::client`], [`crate::state`],
//!    [`crate::tls`]).
//! 3. Measurement and policy: [`stats`], `track` (input-to-ack), [`record`] (per bot),
//!    [`behaviour`], `chat` (when chat lines are due), `game` (what a protocol-2 bot sends:
//!    inputs fitted to the schema, connect4 turns, the fallback for unknown games), `games`
//!    (what protocol-2 games add to the measurements: results, commands, events), `views`
//!    (every state message checked against the bot's own view), `config`.
//! 4. Bots: `ctx` (what the bots of a shard share) and `bot`.
//! 5. Orchestration: `shard` (a thread of bots), `collector`, `progress`.
//! 6. The outcome: [`report`], [`slo`], [`chart`], and `run`.
//! 7. `cli` (`tickwave-bots swarm`).
//!
//! `bots/tests/layering.rs` reads the crate's paths and fails on a cycle or an arrow up
//! these layers.

pub mod behaviour;
mod bot;
pub mod chart;
mod chat;
mod cli;
mod collector;
mod config;
mod ctx;
mod error;
pub(crate) mod game;
pub mod games;
pub(crate) mod net;
mod progress;
pub mod record;
pub mod report;
mod rng;
mod run;
mod shard;
pub mod slo;
pub mod stats;
mod track;
pub mod views;

pub use behaviour::{Behaviour, BehaviourMix};
pub use cli::{SwarmArgs, parse_duration, run_cli};
pub use config::{
    ChurnMode, DEFAULT_CHAT_RATE, ProgressMode, Protocol, SERVER_CHAT_RATE, Settings, Slo,
    SwarmConfig,
};
pub use error::SwarmError;
pub use report::Report;
pub use run::run;
