//! The matchmaker lease: exactly one node runs the shared matchmaker at a time.
//!
//! The lease is one Redis key, `tw:mm:lease`, holding the holder's node id with a TTL.
//! Taking it is `SET key me NX PX ttl`; renewing is a script that extends the TTL only while
//! the value is still `me`. Redis serializes both, so two nodes can never both succeed: that
//! is the whole consensus, and it is Redis's, not ours. A holder that dies stops renewing and
//! the key expires; the next node's attempt then succeeds (within `ttl` + one retry period).
//!
//! [`LeaseState`] is the pure part: it decides when to try and whether we may act as holder,
//! from the results of those commands and a monotonic time in ms. A holder stops acting on
//! its own clock once `ttl - margin` has passed since its last successful renewal, even if
//! Redis cannot be reached to tell it so, so a cut-off holder steps down before anyone else
//! can take over.

use crate::config::LeaseTiming;
use redis::aio::ConnectionManager;

/// Redis key of the lease.
pub(crate) const LEASE_KEY: &str = "tw:mm:lease";

/// What the last attempt to take or renew the lease returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// We hold the lease now (taken or renewed).
    Held,
    /// Someone else holds it.
    Taken,
    /// Redis did not answer.
    Failed,
}

/// The pure lease state machine.
#[derive(Debug, Clone)]
pub(crate) struct LeaseState {
    timing: LeaseTiming,
    /// When the last successful take/renewal was sent (monotonic ms), if we hold it.
    held_since: Option<u64>,
    last_attempt: Option<u64>,
}

impl LeaseState {
    pub(crate) fn new(timing: LeaseTiming) -> Self {
        LeaseState { timing, held_since: None, last_attempt: None }
    }

    /// Is it time to take or renew?
    pub(crate) fn due(&self, now: u64) -> bool {
        self.last_attempt.is_none_or(|t| now.saturating_sub(t) >= self.timing.renew_ms)
    }

    /// Record an attempt that was *sent* at `sent` (the TTL started no earlier than that).
    pub(crate) fn record(&mut self, sent: u64, result: Attempt) {
        self.last_attempt = Some(sent);
        match result {
            Attempt::Held => self.held_since = Some(sent),
            Attempt::Taken => self.held_since = None,
            // Keep the old renewal time: is_holder() runs out on its own.
            Attempt::Failed => {}
        }
    }

    /// May we act as the matchmaker at `now`?
    pub(crate) fn is_holder(&self, now: u64) -> bool {
        let limit = self.timing.ttl_ms.saturating_sub(self.timing.margin_ms);
        self.held_since.is_some_and(|t| now.saturating_sub(t) < limit)
    }

    /// Give the lease up (drain, shutdown): we stop acting at once.
    pub(crate) fn release(&mut self) {
        self.held_since = None;
    }
}

/// Renew only while the value is ours; take it when free. Returns 1 when held.
const TAKE_OR_RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
"#;

/// One take-or-renew round trip.
pub(crate) async fn attempt(conn: &mut ConnectionManager, node: &str, ttl_ms: u64) -> Attempt {
    let script = redis::Script::new(TAKE_OR_RENEW);
    match script.key(LEASE_KEY).arg(node).arg(ttl_ms).invoke_async::<i64>(conn).await {
        Ok(1) => Attempt::Held,
        Ok(_) => Attempt::Taken,
        Err(e) => {
            tracing::debug!(error = %e, "lease attempt failed");
            Attempt::Failed
        }
    }
}

/// Delete the lease if it is ours (graceful stop), so another node takes over at once.
pub(crate) async fn release(conn: &mut ConnectionManager, node: &str) {
    let script = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
    );
    let _ = script.key(LEASE_KEY).arg(node).invoke_async::<i64>(conn).await;
}

/// The current holder, for the admin view.
pub(crate) async fn holder(conn: &mut ConnectionManager) -> Option<String> {
    redis::cmd("GET").arg(LEASE_KEY).query_async(conn).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_acts_until_ttl_minus_margin_after_its_last_renewal() {
        let mut s = LeaseState::new(LeaseTiming::default());
        assert!(s.due(0) && !s.is_holder(0));
        s.record(0, Attempt::Held);
        assert!(s.is_holder(2499));
        assert!(!s.due(999) && s.due(1000));
        // Redis unreachable: renewals fail, the holder steps down on its own clock
        s.record(1000, Attempt::Failed);
        s.record(2000, Attempt::Failed);
        assert!(!s.is_holder(2500));
        // a successful renewal restores it
        s.record(3000, Attempt::Held);
        assert!(s.is_holder(3100));
    }

    #[test]
    fn losing_the_lease_or_releasing_it_stops_acting_at_once() {
        let mut s = LeaseState::new(LeaseTiming::default());
        s.record(0, Attempt::Held);
        s.record(1000, Attempt::Taken);
        assert!(!s.is_holder(1001));
        s.record(2000, Attempt::Held);
        s.release();
        assert!(!s.is_holder(2001));
    }
}
