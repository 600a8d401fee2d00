//! The drain: no new matches, running matches finish, then the shutdown; and the sweep of
//! expired seat holds.

use crate::counters::Counters;
use crate::link::{Draining, MatchmakerHandle, Matchmaking};
use crate::net::limits::IpLimiter;
use crate::session::registry::Registry;
use crate::session::resume::SeatHolds;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the drain uses.
pub(crate) struct DrainCtx {
    pub(crate) draining: Draining,
    pub(crate) timeout: Duration,
    /// Every session gets the drain notice.
    pub(crate) registry: Arc<Registry>,
    pub(crate) matchmaking: Arc<dyn Matchmaking>,
    pub(crate) matchmaker: MatchmakerHandle,
    pub(crate) counters: Arc<Counters>,
    pub(crate) shutdown: CancellationToken,
}

/// Start the drain once: notice to everyone, matchmaking stops, then wait for the lobbies
/// (bounded by the drain timeout) and shut down.
pub(crate) fn drain(d: &Arc<DrainCtx>) {
    if !d.draining.start() {
        return;
    }
    tracing::info!(target: "tickwave::net", timeout = ?d.timeout, "draining: no new matches; running matches finish");
    let secs = d.timeout.as_secs();
    crate::admin::broadcast_notice(
        &d.registry,
        "warning",
        &format!(
            "This server is shutting down: running matches finish (at most {secs} s), no new matches start."
        ),
    );
    tracing::info!(target: "audit", action = "drain", "drain started; notice sent to every session");
    d.matchmaking.drain_queue();
    // Retry until the matchmaker takes the request: a drain must not be lost in a full mailbox.
    let s = d.clone();
    tokio::spawn(async move {
        while !s.matchmaker.drain() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let deadline = tokio::time::Instant::now() + s.timeout;
        loop {
            if s.counters.lobbies_live() == 0 {
                tracing::info!(target: "tickwave::net", "drain complete: no lobby left");
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    target: "tickwave::net",
                    lobbies = s.counters.lobbies_live(),
                    "drain timeout: closing everyone"
                );
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = s.shutdown.cancelled() => return,
            }
        }
        s.shutdown.cancel();
    });
}

/// Expired seat holds are dropped once a second.
pub(crate) async fn sweep_holds(
    holds: Arc<SeatHolds>,
    ip_limiter: Arc<IpLimiter>,
    shutdown: CancellationToken,
) {
    let mut t = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = t.tick() => {
                holds.sweep(std::time::Instant::now());
                ip_limiter.sweep();
            }
            _ = shutdown.cancelled() => return,
        }
    }
}
