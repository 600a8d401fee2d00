//! Connection admission: per-address concurrency and new-connection rate, checked at accept
//! time (before TLS, so refusing costs almost nothing), plus rate-limited logging of refusals.

use crate::session::ratelimit::TokenBucket;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per-address limits.
#[derive(Debug, Clone, Copy)]
pub struct IpLimits {
    /// Open connections from one address.
    pub max_per_ip: u32,
    /// New connections per second from one address (sustained), and the burst allowed.
    pub rate_per_sec: f64,
    pub burst: u32,
    /// Loopback peers (local bots, a proxy on the same host) are not limited.
    pub exempt_loopback: bool,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits { max_per_ip: 64, rate_per_sec: 20.0, burst: 40, exempt_loopback: true }
    }
}

/// Why a connection was refused at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooManyFromAddress,
    TooFastFromAddress,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TooManyFromAddress => "per_ip_connections",
            Refusal::TooFastFromAddress => "per_ip_rate",
        }
    }
}

struct Entry {
    open: u32,
    bucket: TokenBucket,
}

/// Tracks addresses with open connections or recent attempts. Entries with nothing open are
/// dropped when their bucket would be full again, so the table stays bounded by activity.
pub struct IpLimiter {
    limits: IpLimits,
    epoch: Instant,
    map: Mutex<HashMap<IpAddr, Entry>>,
}

/// Releases an address's slot when the connection ends.
pub struct IpSlot {
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
    pub fn new(limits: IpLimits) -> Arc<Self> {
        Arc::new(IpLimiter { limits, epoch: Instant::now(), map: Mutex::new(HashMap::new()) })
    }

    /// Admit a new connection from `ip`, or say why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<IpSlot, Refusal> {
        if self.limits.exempt_loopback && ip.is_loopback() {
            return Ok(IpSlot { limiter: self.clone(), ip: None });
        }
        let now = self.epoch.elapsed();
        let mut map = self.map.lock().expect("ip limiter lock");
        if map.len() > 100_000 {
            // Under a wide flood, forget idle addresses rather than grow without bound.
            map.retain(|_, e| e.open > 0);
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

    /// Drop entries with no open connection (called periodically).
    pub fn sweep(&self) {
        self.map.lock().expect("ip limiter lock").retain(|_, e| e.open > 0);
    }
}

/// Log a refusal at most once per second per reason, with the count since the last line:
/// a flood must not turn into a flood of log lines.
pub fn log_refusal(reason: &'static str, peer: std::net::SocketAddr) {
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

/// How long sweeps wait between runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

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
}
