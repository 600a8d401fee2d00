//! A token bucket, pure (time is an argument): `capacity` tokens, refilled at `rate` per
//! second. Used for per-session chat and input limits.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket at time `now`.
    pub fn new(capacity: u32, rate_per_sec: f64, now: Duration) -> Self {
        TokenBucket {
            capacity: capacity.max(1) as f64,
            rate: rate_per_sec.max(0.0),
            tokens: capacity.max(1) as f64,
            last: now,
        }
    }

    /// Whether the bucket would be full at `now` (it refills to capacity and no further), so
    /// that a fresh bucket would behave the same from then on. Never with a zero rate.
    pub fn is_full_at(&self, now: Duration) -> bool {
        let dt = now.saturating_sub(self.last).as_secs_f64();
        self.tokens + dt * self.rate >= self.capacity
    }

    /// Take one token if there is one.
    pub fn try_take(&mut self, now: Duration) -> bool {
        let dt = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Counts refusals in fixed windows of `window` (a new window starts with the first refusal
/// after the previous one ended); past `limit` refusals in one window the peer is abusive.
#[derive(Debug, Clone)]
pub struct AbuseMeter {
    window: Duration,
    limit: u32,
    start: Duration,
    count: u32,
}

impl AbuseMeter {
    pub fn new(limit: u32, window: Duration) -> Self {
        AbuseMeter { window, limit, start: Duration::ZERO, count: 0 }
    }

    /// Record a refusal at `now`; true when the limit is passed.
    pub fn refused(&mut self, now: Duration) -> bool {
        if now.saturating_sub(self.start) > self.window {
            self.start = now;
            self.count = 0;
        }
        self.count += 1;
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
