//! What one bot measured over the run: the per-bot half of the report.

use super::stats::bot_hist;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// What one bot measured over the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BotRecord {
    pub id: u32,
    pub behaviour: String,
    /// Connection attempts and matches joined.
    pub sessions: u32,
    pub matches: u32,
    /// First connect (TCP + TLS + upgrade), find_match to match_found, and match_found to
    /// first snapshot, milliseconds.
    pub connect_ms: Option<f64>,
    pub match_ms: Option<f64>,
    pub first_snapshot_ms: Option<f64>,
    /// Inside the measurement window: state messages received, their bytes, and how many a
    /// bot in a match for that long should have received (tick_hz x time in match).
    pub state_msgs: u64,
    pub state_bytes: u64,
    pub expected_state: f64,
    pub delivery: Option<f64>,
    pub inputs_sent: u64,
    pub inputs_acked: u64,
    pub ack_p50_ms: Option<f64>,
    pub ack_p99_ms: Option<f64>,
    pub ack_max_ms: Option<f64>,
    /// Last RTT the server reported, milliseconds.
    pub rtt_ms: Option<f64>,
    pub gaps: u64,
    pub missed_ticks: u64,
    pub resyncs: u64,
    pub errors: u64,
    pub disconnects: u64,
    pub churns: u64,
    pub resumes: u64,
    /// Cluster mode: `redirect`s followed.
    #[serde(default)]
    pub redirects: u64,
    /// Cluster mode, several `--url`s: times this bot's node was lost under it, how long each
    /// took until the next `match_found` (ms), and whether the run ended before one came.
    #[serde(default)]
    pub node_losses: u32,
    #[serde(default)]
    pub recover_ms: Vec<f64>,
    #[serde(default)]
    pub stranded: bool,
    /// Inside the window: chat lines sent, and chat lines received from anyone.
    #[serde(default)]
    pub chat_sent: u64,
    #[serde(default)]
    pub chat_received: u64,
    /// Matches that ended with `results` for this bot, and those it won (by the game's
    /// payload); commands it sent (protocol 2).
    #[serde(default)]
    pub games: u32,
    #[serde(default)]
    pub wins: u32,
    #[serde(default)]
    pub commands: u64,
    #[serde(skip, default = "bot_hist")]
    pub(crate) ack: Histogram<u32>,
    /// The match being counted for delivery: since when (first state message) and its rate.
    #[serde(skip)]
    pub(crate) open: Option<(u64, u32)>,
}

impl BotRecord {
    pub(crate) fn new(id: u32, behaviour: &str) -> Self {
        BotRecord {
            id,
            behaviour: behaviour.to_owned(),
            sessions: 0,
            matches: 0,
            connect_ms: None,
            match_ms: None,
            first_snapshot_ms: None,
            state_msgs: 0,
            state_bytes: 0,
            expected_state: 0.0,
            delivery: None,
            inputs_sent: 0,
            inputs_acked: 0,
            ack_p50_ms: None,
            ack_p99_ms: None,
            ack_max_ms: None,
            rtt_ms: None,
            gaps: 0,
            missed_ticks: 0,
            resyncs: 0,
            errors: 0,
            disconnects: 0,
            churns: 0,
            resumes: 0,
            redirects: 0,
            node_losses: 0,
            recover_ms: Vec::new(),
            stranded: false,
            chat_sent: 0,
            chat_received: 0,
            games: 0,
            wins: 0,
            commands: 0,
            ack: bot_hist(),
            open: None,
        }
    }

    /// The first state message of a match arrived: delivery is counted from here.
    pub(crate) fn open_match(&mut self, now_us: u64, tick_hz: u32) {
        self.open = Some((now_us, tick_hz));
    }

    /// The match ended (or the bot left, or the run stopped): add the state messages it
    /// should have received inside the window. A count that opens inside the window starts
    /// with a message, so it holds `ceil(x)` messages for `x` periods: `x + 1/2` on average.
    pub(crate) fn close_match(&mut self, now_us: u64, window: (u64, u64)) {
        if let Some((since, hz)) = self.open.take() {
            let (a, b) = (since.max(window.0), now_us.min(window.1));
            if b > a {
                let opened_inside = since >= window.0;
                self.expected_state +=
                    (b - a) as f64 / 1e6 * f64::from(hz) + if opened_inside { 0.5 } else { 0.0 };
            }
        }
    }

    /// Fill the derived figures once the bot is done.
    pub(crate) fn finish(&mut self, now_us: u64, window: (u64, u64)) {
        self.close_match(now_us, window);
        self.delivery = (self.expected_state >= 1.0)
            .then(|| (self.state_msgs as f64 / self.expected_state).min(1.0));
        if !self.ack.is_empty() {
            let ms = |us: u64| us as f64 / 1000.0;
            self.ack_p50_ms = Some(ms(self.ack.value_at_quantile(0.5)));
            self.ack_p99_ms = Some(ms(self.ack.value_at_quantile(0.99)));
            self.ack_max_ms = Some(ms(self.ack.max()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_counts_only_the_window() {
        let mut r = BotRecord::new(1, "idle");
        let w = (2_000_000, 12_000_000);
        // In a match from 1 s to 5 s: 3 s inside the window at 30 Hz.
        r.open_match(1_000_000, 30);
        r.close_match(5_000_000, w);
        assert!((r.expected_state - 90.0).abs() < 1e-9);
        // Again from 11 s, still open at the stop (13 s): 1 s counted, and the opening
        // message inside the window is worth half a message on average.
        r.open_match(11_000_000, 30);
        r.state_msgs = 100;
        r.finish(13_000_000, w);
        assert!((r.expected_state - 120.5).abs() < 1e-9);
        assert!((r.delivery.unwrap() - 100.0 / 120.5).abs() < 1e-9);
    }
}
