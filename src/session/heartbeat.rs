//! The ping tracker: a pure state machine fed with the time by its driver.
//!
//! It decides when to ping, matches pongs by nonce, keeps a smoothed RTT and jitter the way
//! TCP does (RFC 6298: gain 1/8 for the mean, 1/4 for the deviation), and says when a peer
//! has been silent for too long. It reads no clock: every call takes `now`, a duration since
//! an epoch the driver chose, so tests run on a simulated clock.

use std::collections::VecDeque;
use std::time::Duration;

/// Pings still unanswered beyond this are forgotten (oldest first); a peer that answers none
/// of them times out anyway, so more would only cost memory.
const MAX_OUTSTANDING: usize = 8;

#[derive(Debug, Clone, Copy)]
pub(crate) struct HeartbeatConfig {
    /// A peer silent this long is given up on (the driver pings at its own interval).
    pub(crate) timeout: Duration,
}

/// What the driver should do at a heartbeat tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Send a WebSocket ping carrying this payload.
    Ping([u8; 8]),
    /// No pong for the timeout: close the session.
    TimedOut,
}

/// Smoothed round-trip estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttEstimate {
    /// Smoothed round-trip time.
    pub srtt: Duration,
    /// Smoothed variation of the round-trip time.
    pub jitter: Duration,
    /// The latest sample.
    pub last: Duration,
    /// Samples taken so far.
    pub samples: u64,
}

#[derive(Debug)]
pub(crate) struct HeartbeatTracker {
    cfg: HeartbeatConfig,
    next_nonce: u64,
    outstanding: VecDeque<(u64, Duration)>,
    last_heard: Duration,
    estimate: Option<RttEstimate>,
}

impl HeartbeatTracker {
    /// Start tracking a peer that was last heard from at `now` (the handshake).
    pub(crate) fn new(cfg: HeartbeatConfig, now: Duration) -> Self {
        HeartbeatTracker {
            cfg,
            next_nonce: 1,
            outstanding: VecDeque::with_capacity(MAX_OUTSTANDING),
            last_heard: now,
            estimate: None,
        }
    }

    /// Called by the driver every `interval`: either ping or give up.
    pub(crate) fn on_tick(&mut self, now: Duration) -> Verdict {
        if now.saturating_sub(self.last_heard) >= self.cfg.timeout {
            return Verdict::TimedOut;
        }
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        if self.outstanding.len() == MAX_OUTSTANDING {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back((nonce, now));
        Verdict::Ping(nonce.to_be_bytes())
    }

    /// A pong arrived. Returns the new estimate when it answered one of our pings; unsolicited
    /// or unknown pongs (RFC 6455 allows them) change nothing.
    pub(crate) fn on_pong(&mut self, payload: &[u8], now: Duration) -> Option<RttEstimate> {
        let nonce = u64::from_be_bytes(payload.try_into().ok()?);
        let pos = self.outstanding.iter().position(|(n, _)| *n == nonce)?;
        let (_, sent) = self.outstanding[pos];
        // Older pings were lost or answered out of order: they no longer count.
        self.outstanding.drain(..=pos);
        self.last_heard = now;
        let sample = now.saturating_sub(sent);
        let est = match self.estimate {
            None => RttEstimate { srtt: sample, jitter: sample / 2, last: sample, samples: 1 },
            Some(e) => {
                let dev = e.srtt.abs_diff(sample);
                RttEstimate {
                    jitter: e.jitter.mul_f64(0.75) + dev.mul_f64(0.25),
                    srtt: e.srtt.mul_f64(0.875) + sample.mul_f64(0.125),
                    last: sample,
                    samples: e.samples + 1,
                }
            }
        };
        self.estimate = Some(est);
        Some(est)
    }

    #[cfg(test)]
    fn estimate(&self) -> Option<RttEstimate> {
        self.estimate
    }

    /// When the peer was last heard from (a matching pong, or the start).
    #[cfg(test)]
    fn last_heard(&self) -> Duration {
        self.last_heard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn cfg() -> HeartbeatConfig {
        HeartbeatConfig { timeout: ms(5000) }
    }

    fn ping(t: &mut HeartbeatTracker, now: Duration) -> [u8; 8] {
        match t.on_tick(now) {
            Verdict::Ping(p) => p,
            v => panic!("expected ping, got {v:?}"),
        }
    }

    #[test]
    fn first_sample_sets_srtt_and_half_jitter() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        let p = ping(&mut t, ms(1000));
        let e = t.on_pong(&p, ms(1040)).unwrap();
        assert_eq!((e.srtt, e.jitter, e.last, e.samples), (ms(40), ms(20), ms(40), 1));
    }

    #[test]
    fn ewma_moves_an_eighth_toward_each_sample() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        let p = ping(&mut t, ms(1000));
        t.on_pong(&p, ms(1080)).unwrap();
        let p = ping(&mut t, ms(2000));
        let e = t.on_pong(&p, ms(2000 + 160)).unwrap();
        assert_eq!(e.srtt, ms(90)); // 80 * 7/8 + 160 / 8
        assert_eq!(e.jitter, ms(50)); // 40 * 3/4 + 80 / 4
    }

    #[test]
    fn silent_peer_times_out_after_timeout_not_before() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        for s in 1..5 {
            ping(&mut t, ms(s * 1000));
        }
        assert_eq!(t.on_tick(ms(4999)), Verdict::Ping(5u64.to_be_bytes()));
        assert_eq!(t.on_tick(ms(5000)), Verdict::TimedOut);
    }

    #[test]
    fn answering_pongs_keep_the_peer_alive() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        for s in 1..100 {
            let p = ping(&mut t, ms(s * 1000));
            t.on_pong(&p, ms(s * 1000 + 3)).unwrap();
        }
        assert!(matches!(t.on_tick(ms(100_000)), Verdict::Ping(_)));
    }

    #[test]
    fn unknown_and_malformed_pongs_are_ignored() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        ping(&mut t, ms(1000));
        assert!(t.on_pong(&999u64.to_be_bytes(), ms(1001)).is_none());
        assert!(t.on_pong(b"hi", ms(1001)).is_none());
        assert!(t.estimate().is_none());
        assert_eq!(t.last_heard(), ms(0));
    }

    #[test]
    fn late_pong_for_an_older_ping_still_counts_and_clears_older_ones() {
        let mut t = HeartbeatTracker::new(cfg(), ms(0));
        let p1 = ping(&mut t, ms(1000));
        let p2 = ping(&mut t, ms(2000));
        let e = t.on_pong(&p2, ms(2010)).unwrap();
        assert_eq!(e.last, ms(10));
        // p1 was sent before p2 and is now forgotten
        assert!(t.on_pong(&p1, ms(2020)).is_none());
    }

    #[test]
    fn outstanding_pings_are_bounded() {
        let mut t =
            HeartbeatTracker::new(HeartbeatConfig { timeout: Duration::from_secs(3600) }, ms(0));
        let first = ping(&mut t, ms(1));
        for i in 2..100 {
            ping(&mut t, ms(i));
        }
        assert!(t.outstanding.len() <= MAX_OUTSTANDING);
        assert!(t.on_pong(&first, ms(200)).is_none());
    }
}
