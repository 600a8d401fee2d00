//! A token bucket, pure (time is an argument): `capacity` tokens, refilled at `rate` per
//! second. Used for per-session chat and input limits.

use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket at time `now`.
    pub(crate) fn new(capacity: u32, rate_per_sec: f64, now: Duration) -> Self {
        TokenBucket {
            capacity: capacity.max(1) as f64,
            rate: rate_per_sec.max(0.0),
            tokens: capacity.max(1) as f64,
            last: now,
        }
    }

    /// Whether the bucket would be full at `now` (it refills to capacity and no further), so
    /// that a fresh bucket would behave the same from then on. Never with a zero rate.
    pub(crate) fn is_full_at(&self, now: Duration) -> bool {
        let dt = now.saturating_sub(self.last).as_secs_f64();
        self.tokens + dt * self.rate >= self.capacity
    }

    /// Take one token if there is one.
    pub(crate) fn try_take(&mut self, now: Duration) -> bool {
        self.take_up_to(now, 1) == 1
    }

    /// Take up to `n` tokens; returns how many there were.
    pub(crate) fn take_up_to(&mut self, now: Duration, n: u32) -> u32 {
        let dt = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
        let taken = self.tokens.floor().min(f64::from(n));
        self.tokens -= taken;
        taken as u32
    }
}

/// Counts refusals in fixed windows of `window` (a new window starts with the first refusal
/// after the previous one ended); past `limit` refusals in one window the peer is abusive.
#[derive(Debug, Clone)]
pub(crate) struct AbuseMeter {
    window: Duration,
    limit: u32,
    start: Duration,
    count: u32,
}

impl AbuseMeter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        AbuseMeter { window, limit, start: Duration::ZERO, count: 0 }
    }

    /// Record a refusal at `now`; true when the limit is passed.
    pub(crate) fn refused(&mut self, now: Duration) -> bool {
        self.refused_n(now, 1)
    }

    /// Record `n` refusals at `now`; true when the limit is passed.
    pub(crate) fn refused_n(&mut self, now: Duration, n: u32) -> bool {
        if now.saturating_sub(self.start) > self.window {
            self.start = now;
            self.count = 0;
        }
        self.count = self.count.saturating_add(n);
        self.count > self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let mut b = TokenBucket::new(3, 2.0, ms(0));
        assert!(b.try_take(ms(0)) && b.try_take(ms(0)) && b.try_take(ms(0)));
        assert!(!b.try_take(ms(0)));
        assert!(!b.try_take(ms(400)));
        assert!(b.try_take(ms(500)));
        assert!(
            !b.is_full_at(ms(1999)) && b.is_full_at(ms(2000)),
            "empty at 500 ms, 2/s, 3 tokens"
        );
        // a long pause refills to capacity, not beyond
        for _ in 0..3 {
            assert!(b.try_take(ms(60_000)));
        }
        assert!(!b.try_take(ms(60_000)));
    }

    #[test]
    fn several_tokens_at_once_take_what_there_is() {
        let mut b = TokenBucket::new(5, 10.0, ms(0));
        assert_eq!(b.take_up_to(ms(0), 3), 3);
        assert_eq!(b.take_up_to(ms(0), 3), 2, "only 2 left");
        assert_eq!(b.take_up_to(ms(50), 3), 0, "half a token is none");
        assert_eq!(b.take_up_to(ms(250), 0), 0);
        assert_eq!(b.take_up_to(ms(250), 9), 2, "2.5 tokens after 250 ms at 10/s");
        let mut a = AbuseMeter::new(10, Duration::from_secs(5));
        assert!(!a.refused_n(ms(0), 10) && a.refused_n(ms(1), 1));
    }

    #[test]
    fn abuse_needs_many_refusals_within_the_window() {
        let mut a = AbuseMeter::new(3, Duration::from_secs(10));
        assert!(!a.refused(ms(0)) && !a.refused(ms(1)) && !a.refused(ms(2)));
        assert!(a.refused(ms(3)));
        let mut a = AbuseMeter::new(3, Duration::from_secs(10));
        for i in 0..10 {
            assert!(!a.refused(Duration::from_secs(11 * i)), "spread out refusals are fine");
        }
    }
}
