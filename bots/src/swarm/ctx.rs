//! What the bots of a shard share: the run's settings and target, its clock, the shard's
//! measurements and state-decoding space. Defined apart from the shard that creates it, so
//! that a bot depends on this context and not on the shard that runs it.

use super::config::SwarmConfig;
use super::games::GameTotals;
use super::net::conn::Target;
use super::net::view::Scratch;
use super::stats::{Gauges, ShardStats};
use super::views::ViewTotals;
use crate::client::ClientError;
use crate::tls::CertCheck;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::v2::{Layout, Schema, SchemaError};

/// What the bots of a shard share (single thread: `Cell`/`RefCell`, no locks).
pub(crate) struct ShardCtx {
    pub(crate) cfg: Arc<SwarmConfig>,
    pub(crate) target: Target,
    start: Instant,
    start_tokio: tokio::time::Instant,
    pub(crate) stats: RefCell<ShardStats>,
    /// Results, commands and events of the shard's bots.
    pub(crate) games: RefCell<GameTotals>,
    /// Every state message checked against the bot's own view.
    pub(crate) views: RefCell<ViewTotals>,
    /// Decoding space for state messages, shared by the shard's bots.
    pub(crate) scratch: RefCell<Scratch>,
    /// When bots stop, microseconds since start; moves earlier on Ctrl-C.
    pub(crate) stop_us: Cell<u64>,
    window: (u64, u64),
    /// Cluster mode: nodes named by `redirect`s, resolved once per shard.
    nodes: RefCell<std::collections::HashMap<String, Target>>,
    /// The compiled schema of the last protocol-2 match a bot of the shard joined: the bots
    /// of a run play one mode, so they share one layout instead of compiling one each.
    layout: RefCell<Option<Arc<Layout>>>,
}

impl ShardCtx {
    /// The context of a shard whose run starts at `start` (the common start of every shard)
    /// and measures inside `window` (microseconds since the start).
    pub(crate) fn new(
        cfg: Arc<SwarmConfig>,
        target: Target,
        start: Instant,
        window: (u64, u64),
    ) -> ShardCtx {
        ShardCtx {
            stop_us: Cell::new(cfg.duration.as_micros() as u64),
            cfg,
            target,
            start,
            start_tokio: tokio::time::Instant::from_std(start),
            stats: RefCell::new(ShardStats::new(window)),
            games: RefCell::default(),
            views: RefCell::default(),
            scratch: RefCell::default(),
            window,
            nodes: RefCell::default(),
            layout: RefCell::default(),
        }
    }

    /// The compiled form of a `match_found.schema`, shared while the schema stays the same.
    pub(crate) fn layout_for(&self, schema: &Schema) -> Result<Arc<Layout>, SchemaError> {
        let mut held = self.layout.borrow_mut();
        if let Some(l) = held.as_ref().filter(|l| l.schema() == schema) {
            return Ok(l.clone());
        }
        let l = Arc::new(Layout::new(schema.clone())?);
        *held = Some(l.clone());
        Ok(l)
    }

    pub(crate) fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    pub(crate) fn at(&self, us: u64) -> tokio::time::Instant {
        self.start_tokio + Duration::from_micros(us)
    }

    /// The target for a node URL from a `redirect` (resolved on first use, then cached; the
    /// swarm's certificate check applies, so `--pin` lists every node's fingerprint).
    pub(crate) async fn resolve(
        &self,
        url: &str,
        check: &CertCheck,
    ) -> Result<Target, ClientError> {
        if let Some(t) = self.nodes.borrow().get(url) {
            return Ok(t.clone());
        }
        let t = Target::resolve(url, check).await?;
        self.nodes.borrow_mut().insert(url.to_owned(), t.clone());
        Ok(t)
    }

    /// The measurement window, cut short by an early stop.
    pub(crate) fn window(&self) -> (u64, u64) {
        (self.window.0, self.window.1.min(self.stop_us.get()))
    }
}

/// Increments a gauge now and decrements it when dropped, however the session ends.
pub(crate) struct Gauge<'a> {
    ctx: &'a ShardCtx,
    which: fn(&mut Gauges) -> &mut u32,
}

impl<'a> Gauge<'a> {
    pub(crate) fn new(ctx: &'a ShardCtx, which: fn(&mut Gauges) -> &mut u32) -> Self {
        *which(&mut ctx.stats.borrow_mut().gauges) += 1;
        Gauge { ctx, which }
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        *(self.which)(&mut self.ctx.stats.borrow_mut().gauges) -= 1;
    }
}
