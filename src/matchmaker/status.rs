//! What the matchmaker publishes for operators: queue sizes and waiting times per mode.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One mode's queue.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct ModeQueue {
    pub mode: String,
    /// Players waiting now.
    pub waiting: usize,
    /// How long the longest-waiting player has waited, ms.
    pub oldest_wait_ms: u64,
    /// Waiting time of players who got a seat (since start), ms.
    pub wait_p50_ms: u64,
    pub wait_p99_ms: u64,
    pub seated: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct MatchmakingStatus {
    pub draining: bool,
    pub modes: Vec<ModeQueue>,
}

/// Waiting times of seated players per mode (ms, 2 significant digits, up to an hour).
#[derive(Default)]
pub(crate) struct WaitStats {
    per_mode: BTreeMap<String, hdrhistogram::Histogram<u64>>,
}

impl WaitStats {
    pub(crate) fn record(&mut self, mode: &str, waited: Duration) {
        metrics::histogram!(crate::metrics::QUEUE_WAIT).record(waited.as_secs_f64());
        let h = self.per_mode.entry(mode.to_owned()).or_insert_with(|| {
            hdrhistogram::Histogram::new_with_bounds(1, 3_600_000, 2).expect("static bounds")
        });
        let _ = h.record((waited.as_millis() as u64).clamp(1, 3_600_000));
    }

    pub(crate) fn fill(&self, q: &mut ModeQueue) {
        if let Some(h) = self.per_mode.get(&q.mode) {
            q.wait_p50_ms = h.value_at_quantile(0.5);
            q.wait_p99_ms = h.value_at_quantile(0.99);
            q.seated = h.len();
        }
    }
}
