//! Measurements: what each bot records, what a shard (one thread of bots) aggregates, and the
//! per-second intervals the collector turns into the time series.
//!
//! Bots of a shard run on one thread, so they record straight into the shard's `ShardStats`
//! (a `RefCell`, no lock, no atomics). Once a second the shard hands its `Interval` to the
//! collector thread; at the end it hands over its `Totals` and the per-bot records.
//!
//! Time is microseconds since the swarm's start (`now_us`). Steady-state figures (latency,
//! RTT, traffic, delivery) are counted only inside the measurement window
//! `[warmup, duration]`; connection setup figures and errors cover the whole run.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest value histograms keep, microseconds (larger values are clamped to it).
const HIST_MAX_US: u64 = 120_000_000;

/// An aggregate histogram of microseconds: 2 significant digits (1% resolution).
pub(crate) fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 2).expect("valid histogram bounds")
}

/// A small per-bot histogram: 1 significant digit (about 6% resolution), 4-byte counts,
/// about 1.5 KiB, so thousands of bots can each keep one.
pub(crate) fn bot_hist() -> Histogram<u32> {
    Histogram::new_with_bounds(1, HIST_MAX_US, 1).expect("valid histogram bounds")
}

pub(crate) fn record<T: hdrhistogram::Counter>(h: &mut Histogram<T>, us: u64) {
    h.saturating_record(us.clamp(1, HIST_MAX_US));
}

/// Quantiles of a histogram of microseconds, reported in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HistSummary {
    pub count: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl HistSummary {
    pub fn of<T: hdrhistogram::Counter>(h: &Histogram<T>) -> Self {
        if h.is_empty() {
            return HistSummary::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        HistSummary {
            count: h.len(),
            min_ms: ms(h.min()),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// Slots of the tick-phase histogram of state message arrivals.
pub(crate) const PHASE_SLOTS: usize = 32;

/// The share of arrivals in the busiest eighth of the tick period (0.125 when spread evenly,
/// near 1 when every lobby ticks at the same moment).
pub(crate) fn busiest_eighth(phase: &[u64; PHASE_SLOTS]) -> Option<f64> {
    let total: u64 = phase.iter().sum();
    let w = PHASE_SLOTS / 8;
    let best = (0..PHASE_SLOTS)
        .map(|i| (0..w).map(|k| phase[(i + k) % PHASE_SLOTS]).sum::<u64>())
        .max()?;
    (total > 0).then(|| best as f64 / total as f64)
}

/// Kinds of error a bot counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// TCP connect, TLS handshake or WebSocket upgrade failed or timed out.
    Connect,
    /// `hello` refused, or no `welcome`.
    Handshake,
    /// A frame that does not decode (or a text frame).
    Decode,
    /// A delta whose base is not the tick the bot holds.
    BaseMismatch,
    /// A state message whose tick is not after the one held.
    TickBackwards,
    /// A delta that does not apply to the state held (unknown entity, ...).
    DeltaApply,
    /// No `match_found` within `--match-timeout`.
    MatchTimeout,
    /// An `error` message from the server (its codes are counted separately).
    ServerError,
    /// The server closed the connection or it broke, unasked.
    Disconnect,
    /// A chat line the server refused (`chat_rate_limited`, `chat_too_long`,
    /// `chat_invalid`; the codes are counted separately).
    ChatRefused,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Connect,
        ErrorKind::Handshake,
        ErrorKind::Decode,
        ErrorKind::BaseMismatch,
        ErrorKind::TickBackwards,
        ErrorKind::DeltaApply,
        ErrorKind::MatchTimeout,
        ErrorKind::ServerError,
        ErrorKind::Disconnect,
        ErrorKind::ChatRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Handshake => "handshake",
            ErrorKind::Decode => "decode",
            ErrorKind::BaseMismatch => "base_mismatch",
            ErrorKind::TickBackwards => "tick_backwards",
            ErrorKind::DeltaApply => "delta_apply",
            ErrorKind::MatchTimeout => "match_timeout",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Disconnect => "disconnect",
            ErrorKind::ChatRefused => "chat_refused",
        }
    }
}

/// Counters that add up across bots, shards and seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Snapshots and deltas received.
    pub state_msgs: u64,
    /// Their MessagePack bytes.
    pub state_bytes: u64,
    /// Other server messages (rtt, roster, lobby_state, ...).
    pub other_msgs: u64,
    /// Bytes read from / written to the TCP sockets (TLS records included).
    pub wire_in: u64,
    pub wire_out: u64,
    pub inputs_sent: u64,
    /// Inputs whose sequence number came back in `acks`.
    pub inputs_acked: u64,
    /// State messages whose tick jumped over ticks, and how many ticks were jumped.
    pub gaps: u64,
    pub missed_ticks: u64,
    /// Snapshots after the first of a match (the server resynced a lagging client).
    pub resyncs: u64,
    pub errors: u64,
    /// Chat lines sent by `chat` bots, and chat lines received by any bot (from anyone).
    #[serde(default)]
    pub chat_sent: u64,
    #[serde(default)]
    pub chat_received: u64,
}

impl Counters {
    pub fn add(&mut self, o: &Counters) {
        self.state_msgs += o.state_msgs;
        self.state_bytes += o.state_bytes;
        self.other_msgs += o.other_msgs;
        self.wire_in += o.wire_in;
        self.wire_out += o.wire_out;
        self.inputs_sent += o.inputs_sent;
        self.inputs_acked += o.inputs_acked;
        self.gaps += o.gaps;
        self.missed_ticks += o.missed_ticks;
        self.resyncs += o.resyncs;
        self.errors += o.errors;
        self.chat_sent += o.chat_sent;
        self.chat_received += o.chat_received;
    }
}

/// Bots by stage, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gauges {
    /// Bots started so far (the ramp).
    pub spawned: u32,
    /// Opening TCP + TLS + WebSocket.
    pub connecting: u32,
    /// Connected (hello done or not), in any stage after the upgrade.
    pub connected: u32,
    /// Holding a seat in a lobby.
    pub in_match: u32,
}

impl Gauges {
    pub fn add(&mut self, o: &Gauges) {
        self.spawned += o.spawned;
        self.connecting += o.connecting;
        self.connected += o.connected;
        self.in_match += o.in_match;
    }
}

/// One second of the run: the collector makes one from the shards' `Interval`s.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Point {
    pub t_s: u64,
    #[serde(flatten)]
    pub gauges: Gauges,
    pub state_msgs_per_s: u64,
    pub state_bytes_per_s: u64,
    pub wire_in_per_s: u64,
    pub wire_out_per_s: u64,
    pub inputs_per_s: u64,
    pub errors: u64,
    pub ack_p50_ms: Option<f64>,
    pub ack_p99_ms: Option<f64>,
    /// Cores the bot process used in this second.
    pub bot_cores: Option<f64>,
}

/// One second of one shard.
#[derive(Debug, Clone)]
pub(crate) struct Interval {
    pub(crate) counters: Counters,
    pub(crate) gauges: Gauges,
    pub(crate) ack: Histogram<u64>,
}

impl Interval {
    pub(crate) fn new() -> Self {
        Interval { counters: Counters::default(), gauges: Gauges::default(), ack: hist() }
    }
}

/// Whole-run aggregates of a shard (merged across shards at the end).
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    /// Counters inside the measurement window (errors: whole run).
    pub(crate) counters: Counters,
    pub(crate) errors: [u64; ErrorKind::ALL.len()],
    pub(crate) server_codes: BTreeMap<String, u64>,
    /// Connection attempts, successful upgrades, and sessions with at least one error.
    pub(crate) sessions: u64,
    pub(crate) connects_ok: u64,
    pub(crate) sessions_with_errors: u64,
    pub(crate) matches: u64,
    /// Intentional reconnects of churning bots.
    pub(crate) churns: u64,
    /// Sessions the server resumed (`welcome.resumed`), and how the seat caught up.
    pub(crate) resumes: u64,
    pub(crate) resume_deltas: u64,
    pub(crate) resume_snapshots: u64,
    /// Cluster mode: `redirect`s followed to another node.
    pub(crate) redirects: u64,
    /// Inputs that never got an ack (their match ended or the bot stopped first).
    pub(crate) inputs_unacked: u64,
    /// When state messages arrive within the tick period (32 slots; all bots share one
    /// clock): shows whether the server's lobbies tick spread out or all at once.
    pub(crate) phase: [u64; PHASE_SLOTS],
    pub(crate) connect: Histogram<u64>,
    pub(crate) find_to_match: Histogram<u64>,
    pub(crate) first_snapshot: Histogram<u64>,
    /// Reconnect (TCP connect start) to the first state message of the resumed seat.
    pub(crate) resume: Histogram<u64>,
    pub(crate) rtt_server: Histogram<u64>,
    pub(crate) rtt_bot: Histogram<u64>,
    pub(crate) ack: Histogram<u64>,
    /// A chat line sent until its own echo came back.
    pub(crate) chat_echo: Histogram<u64>,
    /// `welcome.server` of the first session.
    pub(crate) server: Option<String>,
}

impl Totals {
    pub(crate) fn new() -> Self {
        Totals {
            counters: Counters::default(),
            errors: [0; ErrorKind::ALL.len()],
            server_codes: BTreeMap::new(),
            sessions: 0,
            connects_ok: 0,
            sessions_with_errors: 0,
            matches: 0,
            churns: 0,
            resumes: 0,
            redirects: 0,
            resume_deltas: 0,
            resume_snapshots: 0,
            inputs_unacked: 0,
            phase: [0; PHASE_SLOTS],
            connect: hist(),
            find_to_match: hist(),
            first_snapshot: hist(),
            resume: hist(),
            rtt_server: hist(),
            rtt_bot: hist(),
            ack: hist(),
            chat_echo: hist(),
            server: None,
        }
    }

    pub(crate) fn merge(&mut self, o: &Totals) {
        self.counters.add(&o.counters);
        for (a, b) in self.errors.iter_mut().zip(o.errors) {
            *a += b;
        }
        for (k, v) in &o.server_codes {
            *self.server_codes.entry(k.clone()).or_default() += v;
        }
        self.sessions += o.sessions;
        self.connects_ok += o.connects_ok;
        self.sessions_with_errors += o.sessions_with_errors;
        self.matches += o.matches;
        self.churns += o.churns;
        self.resumes += o.resumes;
        self.redirects += o.redirects;
        self.resume_deltas += o.resume_deltas;
        self.resume_snapshots += o.resume_snapshots;
        self.inputs_unacked += o.inputs_unacked;
        for (a, b) in self.phase.iter_mut().zip(o.phase) {
            *a += b;
        }
        for (a, b) in [
            (&mut self.connect, &o.connect),
            (&mut self.find_to_match, &o.find_to_match),
            (&mut self.first_snapshot, &o.first_snapshot),
            (&mut self.resume, &o.resume),
            (&mut self.rtt_server, &o.rtt_server),
            (&mut self.rtt_bot, &o.rtt_bot),
            (&mut self.ack, &o.ack),
            (&mut self.chat_echo, &o.chat_echo),
        ] {
            a.add(b).expect("same bounds");
        }
        if self.server.is_none() {
            self.server.clone_from(&o.server);
        }
    }
}

/// What the bots of one shard record into.
#[derive(Debug)]
pub(crate) struct ShardStats {
    /// Measurement window, microseconds since start.
    pub(crate) window: (u64, u64),
    pub(crate) gauges: Gauges,
    pub(crate) interval: Interval,
    pub(crate) totals: Totals,
}

impl ShardStats {
    pub(crate) fn new(window: (u64, u64)) -> Self {
        ShardStats {
            window,
            gauges: Gauges::default(),
            interval: Interval::new(),
            totals: Totals::new(),
        }
    }

    pub(crate) fn in_window(&self, now_us: u64) -> bool {
        now_us >= self.window.0 && now_us < self.window.1
    }

    /// Add to this second's counters, and to the totals inside the window.
    pub(crate) fn count(&mut self, now_us: u64, f: impl Fn(&mut Counters)) {
        f(&mut self.interval.counters);
        if self.in_window(now_us) {
            f(&mut self.totals.counters);
        }
    }

    pub(crate) fn ack_latency(&mut self, now_us: u64, us: u64) {
        record(&mut self.interval.ack, us);
        if self.in_window(now_us) {
            record(&mut self.totals.ack, us);
        }
    }

    pub(crate) fn error(&mut self, kind: ErrorKind) {
        self.totals.errors[kind as usize] += 1;
        self.totals.counters.errors += 1;
        self.interval.counters.errors += 1;
    }

    /// Take this second's interval (with the gauges as they are now) and start the next.
    pub(crate) fn take_interval(&mut self) -> Interval {
        let mut iv = std::mem::replace(&mut self.interval, Interval::new());
        iv.gauges = self.gauges;
        iv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_stats_window_and_intervals() {
        let mut s = ShardStats::new((1_000, 2_000));
        s.count(500, |c| c.state_msgs += 1);
        s.count(1_500, |c| c.state_msgs += 1);
        s.ack_latency(500, 40_000);
        s.ack_latency(1_500, 30_000);
        s.error(ErrorKind::Decode);
        s.gauges.connected = 3;
        let iv = s.take_interval();
        assert_eq!(iv.counters.state_msgs, 2);
        assert_eq!(iv.ack.len(), 2);
        assert_eq!(iv.gauges.connected, 3);
        assert_eq!(s.totals.counters.state_msgs, 1);
        assert_eq!(s.totals.ack.len(), 1);
        assert_eq!(s.totals.errors[ErrorKind::Decode as usize], 1);
        assert_eq!(s.interval.counters.state_msgs, 0);
        let sum = HistSummary::of(&s.totals.ack);
        assert!((sum.p99_ms - 30.0).abs() < 0.5, "{sum:?}");
    }

    #[test]
    fn phase_concentration() {
        let mut p = [10u64; PHASE_SLOTS];
        assert!((busiest_eighth(&p).unwrap() - 0.125).abs() < 1e-9);
        p = [0; PHASE_SLOTS];
        p[31] = 50;
        p[0] = 50;
        assert_eq!(busiest_eighth(&p), Some(1.0));
        assert_eq!(busiest_eighth(&[0; PHASE_SLOTS]), None);
    }

    #[test]
    fn totals_merge() {
        let mut a = Totals::new();
        let mut b = Totals::new();
        b.sessions = 2;
        b.errors[ErrorKind::Connect as usize] = 1;
        *b.server_codes.entry("overloaded".into()).or_default() += 1;
        record(&mut b.ack, 1000);
        b.server = Some("tickwave/9".into());
        a.merge(&b);
        a.merge(&b);
        assert_eq!(a.sessions, 4);
        assert_eq!(a.errors[0], 2);
        assert_eq!(a.server_codes["overloaded"], 2);
        assert_eq!(a.ack.len(), 2);
        assert_eq!(a.server.as_deref(), Some("tickwave/9"));
    }
}
