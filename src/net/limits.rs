//! Connection admission: per-address concurrency and new-connection rate, checked at accept
//! time (before TLS, so refusing costs almost nothing), plus rate-limited logging of refusals.

use crate::config::IpLimits;
use crate::ratelimit::TokenBucket;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a connection was refused at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // "too many from address", "too fast from address": the reason reads best whole
pub(crate) enum Refusal {
    TooManyFromAddress,
    TooFastFromAddress,
    /// A flood from more addresses than the table tracks, each of them still limited.
    TooManyAddresses,
}

impl Refusal {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Refusal::TooManyFromAddress => "per_ip_connections",
            Refusal::TooFastFromAddress => "per_ip_rate",
            Refusal::TooManyAddresses => "per_ip_table_full",
        }
    }
}

struct Entry {
    open: u32,
    bucket: TokenBucket,
}

impl Entry {
    /// Whether forgetting this entry at `now` would change a later decision: it has a
    /// connection open, or its bucket is not full yet (a fresh entry would start full, so
    /// dropping it early hands the address a new burst).
    fn still_counts(&self, now: Duration) -> bool {
        self.open > 0 || !self.bucket.is_full_at(now)
    }
}

/// Addresses tracked at once. When the table is full, a new address triggers a sweep (at
/// most every [`FULL_SWEEP_EVERY`], so a flood cannot make every accept scan the table) and is
/// refused if nothing could be forgotten: a wide flood cannot grow the table without bound.
const MAX_TRACKED: usize = 100_000;
const FULL_SWEEP_EVERY: Duration = Duration::from_millis(100);

/// Tracks addresses with open connections or recent attempts. Entries with nothing open are
/// dropped when their bucket would be full again, so the table stays bounded by activity.
pub(crate) struct IpLimiter {
    limits: IpLimits,
    epoch: Instant,
    max_tracked: usize,
    map: Mutex<HashMap<IpAddr, Entry>>,
    /// When a full table was last swept by [`IpLimiter::admit_at`].
    full_sweep: Mutex<Option<Duration>>,
}

/// Releases an address's slot when the connection ends.
pub(crate) struct IpSlot {
    limiter: Arc<IpLimiter>,
    ip: Option<IpAddr>,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Some(ip) = self.ip {
            let mut map = self.limiter.map.lock().expect("ip limiter lock");
            if let Some(e) = map.get_mut(&ip) {
                e.open = e.open.saturating_sub(1);
            }
        }
    }
}

impl IpLimiter {
    pub(crate) fn new(limits: IpLimits) -> Arc<Self> {
        Self::with_max_tracked(limits, MAX_TRACKED)
    }

    /// A limiter that tracks at most `max_tracked` addresses (tests use a small table).
    pub(crate) fn with_max_tracked(limits: IpLimits, max_tracked: usize) -> Arc<Self> {
        Arc::new(IpLimiter {
            limits,
            epoch: Instant::now(),
            max_tracked,
            map: Mutex::new(HashMap::new()),
            full_sweep: Mutex::new(None),
        })
    }

    /// Admit a new connection from `ip`, or say why not.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<IpSlot, Refusal> {
        self.admit_at(ip, self.epoch.elapsed())
    }

    /// [`IpLimiter::admit`] at `now` (time since the limiter's epoch), for simulated time.
    pub(crate) fn admit_at(self: &Arc<Self>, ip: IpAddr, now: Duration) -> Result<IpSlot, Refusal> {
        if self.limits.exempt_loopback && ip.is_loopback() {
            return Ok(IpSlot { limiter: self.clone(), ip: None });
        }
        let mut map = self.map.lock().expect("ip limiter lock");
        if map.len() >= self.max_tracked && !map.contains_key(&ip) {
            // A wide flood: forget what can be forgotten without giving anyone a fresh burst.
            // If every entry still counts, refuse the newcomer rather than grow the table or
            // drop an address's history (which would hand it a new burst). Each entry expires
            // within burst / rate (2 s by default) once its address stops trying.
            let mut swept = self.full_sweep.lock().expect("ip limiter lock");
            if swept.is_none_or(|t| now.saturating_sub(t) >= FULL_SWEEP_EVERY) {
                *swept = Some(now);
                map.retain(|_, e| e.still_counts(now));
            }
            if map.len() >= self.max_tracked {
                return Err(Refusal::TooManyAddresses);
            }
        }
        let l = self.limits;
        let e = map.entry(ip).or_insert_with(|| Entry {
            open: 0,
            bucket: TokenBucket::new(l.burst, l.rate_per_sec, now),
        });
        if e.open >= l.max_per_ip {
            return Err(Refusal::TooManyFromAddress);
        }
        if !e.bucket.try_take(now) {
            return Err(Refusal::TooFastFromAddress);
        }
        e.open += 1;
        Ok(IpSlot { limiter: self.clone(), ip: Some(ip) })
    }

    /// Drop the entries that no longer count: nothing open and the bucket full again (called
    /// every second).
    pub(crate) fn sweep(&self) {
        self.sweep_at(self.epoch.elapsed());
    }

    /// [`IpLimiter::sweep`] at `now`.
    pub(crate) fn sweep_at(&self, now: Duration) {
        self.map.lock().expect("ip limiter lock").retain(|_, e| e.still_counts(now));
    }

    /// Addresses tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.map.lock().expect("ip limiter lock").len()
    }
}

/// Log a refusal at most once per second per reason, with the count since the last line:
/// a flood must not turn into a flood of log lines.
pub(crate) fn log_refusal(reason: &'static str, peer: std::net::SocketAddr) {
    static LAST: Mutex<Option<HashMap<&'static str, (u64, u64)>>> = Mutex::new(None);
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    static TOTAL: AtomicU64 = AtomicU64::new(0);
    TOTAL.fetch_add(1, Ordering::Relaxed);
    let sec = START.get_or_init(Instant::now).elapsed().as_secs();
    let mut g = LAST.lock().expect("log lock");
    let e = g.get_or_insert_with(HashMap::new).entry(reason).or_insert((u64::MAX, 0));
    e.1 += 1;
    if e.0 != sec {
        tracing::warn!(reason, %peer, refused_since_last_log = e.1, "connection refused");
        *e = (sec, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_concurrency_and_rate() {
        let l = IpLimiter::new(IpLimits {
            max_per_ip: 2,
            rate_per_sec: 0.0,
            burst: 3,
            exempt_loopback: true,
        });
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let a = l.admit(ip).unwrap();
        let _b = l.admit(ip).unwrap();
        assert_eq!(l.admit(ip).err(), Some(Refusal::TooManyFromAddress));
        drop(a);
        let _c = l.admit(ip).unwrap(); // third token of the burst
        drop(_c);
        assert_eq!(l.admit(ip).err(), Some(Refusal::TooFastFromAddress));
        // another address is unaffected, loopback is exempt
        assert!(l.admit("203.0.113.10".parse().unwrap()).is_ok());
        for _ in 0..10 {
            assert!(l.admit("127.0.0.1".parse().unwrap()).is_ok());
        }
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn limits(rate_per_sec: f64, burst: u32) -> IpLimits {
        IpLimits { max_per_ip: 1000, rate_per_sec, burst, exempt_loopback: false }
    }

    /// Issue 13: connections that close at once must not earn a fresh burst at each sweep.
    /// Bursts of 60 attempts every 1.1 s for 8 s, with a sweep every second (as the server
    /// runs it): the contract is at most `rate × t + burst` admitted.
    #[test]
    fn quickly_closed_connections_earn_no_fresh_burst() {
        let l = IpLimiter::new(limits(20.0, 40));
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let (mut admitted, mut next_sweep) = (0u32, 1.0);
        let mut t = 0.0;
        while t <= 8.0 {
            while next_sweep <= t {
                l.sweep_at(secs(next_sweep));
                next_sweep += 1.0;
            }
            for _ in 0..60 {
                // admitted, then closed at once: the slot is released before the next try
                if l.admit_at(ip, secs(t)).is_ok() {
                    admitted += 1;
                }
            }
            t += 1.1;
        }
        let allowed = (20.0 * 7.7 + 40.0) as u32;
        assert!(admitted <= allowed, "admitted {admitted}, the contract allows {allowed}");
        assert!(admitted >= 40, "the burst itself is admitted ({admitted})");
    }

    #[test]
    fn an_idle_entry_is_dropped_only_once_its_bucket_is_full_again() {
        let l = IpLimiter::new(limits(2.0, 4));
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..4 {
            assert!(l.admit_at(ip, secs(0.0)).is_ok());
        }
        assert_eq!(l.admit_at(ip, secs(0.0)).err(), Some(Refusal::TooFastFromAddress));
        l.sweep_at(secs(0.1));
        assert_eq!(l.tracked(), 1, "kept: its bucket is empty, not full");
        assert_eq!(l.admit_at(ip, secs(0.2)).err(), Some(Refusal::TooFastFromAddress));
        assert!(l.admit_at(ip, secs(0.6)).is_ok(), "one token after 0.5 s at 2/s");
        l.sweep_at(secs(2.0));
        assert_eq!(l.tracked(), 1, "at 2 s the bucket holds 3 of 4 tokens");
        l.sweep_at(secs(2.6));
        assert_eq!(l.tracked(), 0, "full again at 2.6 s: forgetting it changes nothing");
        // An address with a connection open is always kept.
        let _open = l.admit_at(ip, secs(10.0)).unwrap();
        l.sweep_at(secs(100.0));
        assert_eq!(l.tracked(), 1);
    }

    /// The flood path: a full table forgets only entries whose bucket is full again, and
    /// refuses new addresses while every tracked one still counts.
    #[test]
    fn a_full_table_keeps_partial_buckets_and_refuses_new_addresses() {
        let l = IpLimiter::with_max_tracked(limits(1.0, 2), 2);
        let (a, b, c): (IpAddr, IpAddr, IpAddr) = (
            "203.0.113.1".parse().unwrap(),
            "203.0.113.2".parse().unwrap(),
            "203.0.113.3".parse().unwrap(),
        );
        for ip in [a, b] {
            assert!(l.admit_at(ip, secs(0.0)).is_ok() && l.admit_at(ip, secs(0.0)).is_ok());
        }
        assert_eq!(l.admit_at(c, secs(0.5)).err(), Some(Refusal::TooManyAddresses));
        assert_eq!(
            l.admit_at(a, secs(0.5)).err(),
            Some(Refusal::TooFastFromAddress),
            "no fresh burst"
        );
        // At 2.5 s b's bucket is full again (a took a token at 1.5 s): b is forgotten, c fits.
        assert!(l.admit_at(a, secs(1.5)).is_ok());
        assert!(l.admit_at(c, secs(2.5)).is_ok());
        assert_eq!(l.tracked(), 2);
        // a kept its bucket (1.5 tokens), not a fresh burst of 2
        assert!(l.admit_at(a, secs(2.5)).is_ok());
        assert_eq!(l.admit_at(a, secs(2.5)).err(), Some(Refusal::TooFastFromAddress));
    }
}
