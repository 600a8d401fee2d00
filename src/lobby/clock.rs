//! Fixed-tick scheduling as a pure function of time.
//!
//! Tick `n` is due at `start + n * period`: deadlines are computed from the start, never from
//! when the previous tick happened to finish, so a late tick does not shift the ones after it
//! (no drift). When the lobby falls behind, it runs up to `max_catch_up` ticks back to back to
//! keep simulation time in step with the wall clock; beyond that, the missed ticks are skipped
//! (counted) and the schedule jumps to the next deadline, so a long stall does not turn into a
//! burst of hundreds of ticks.

use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct TickClock {
    period: Duration,
    /// Index of the next tick to run (deadline `next * period` after the epoch).
    next: u64,
    max_catch_up: u32,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TickPlan {
    /// Ticks to run now, back to back.
    pub run: u32,
    /// Ticks dropped from the schedule because the lobby fell too far behind.
    pub skipped: u64,
}

impl TickClock {
    /// The first tick is due one period after the epoch.
    pub(crate) fn new(hz: u32, max_catch_up: u32) -> Self {
        TickClock {
            period: Duration::from_secs(1) / hz.max(1),
            next: 1,
            max_catch_up: max_catch_up.max(1),
        }
    }

    pub(crate) fn period(&self) -> Duration {
        self.period
    }

    /// Time since the epoch at which the next tick is due.
    pub(crate) fn next_deadline(&self) -> Duration {
        Duration::from_nanos((self.period.as_nanos() as u64).saturating_mul(self.next))
    }

    /// Given the time since the epoch, how many ticks to run and how many to skip.
    pub(crate) fn due(&mut self, now: Duration) -> TickPlan {
        // Deadlines passed so far: ticks 1..=passed are due.
        let passed = (now.as_nanos() / self.period.as_nanos()) as u64;
        if passed < self.next {
            return TickPlan { run: 0, skipped: 0 };
        }
        let behind = passed - self.next + 1;
        let run = behind.min(self.max_catch_up as u64);
        let skipped = behind - run;
        self.next = passed + 1;
        TickPlan { run: run as u32, skipped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn on_time_ticks_run_one_each() {
        let mut c = TickClock::new(50, 3); // 20 ms
        assert_eq!(c.next_deadline(), ms(20));
        assert_eq!(c.due(ms(19)), TickPlan { run: 0, skipped: 0 });
        assert_eq!(c.due(ms(20)), TickPlan { run: 1, skipped: 0 });
        assert_eq!(c.next_deadline(), ms(40));
        assert_eq!(c.due(ms(41)), TickPlan { run: 1, skipped: 0 });
    }

    #[test]
    fn a_late_tick_does_not_shift_later_deadlines() {
        let mut c = TickClock::new(50, 3);
        c.due(ms(20));
        // tick 2 is 15 ms late
        assert_eq!(c.due(ms(55)), TickPlan { run: 1, skipped: 0 });
        assert_eq!(c.next_deadline(), ms(60), "deadline stays on the 20 ms grid");
    }

    #[test]
    fn small_stalls_catch_up_large_ones_skip() {
        let mut c = TickClock::new(50, 3);
        assert_eq!(c.due(ms(60)), TickPlan { run: 3, skipped: 0 });
        // 200 ms stall: ticks 4..=13 due, 3 run, 7 skipped
        assert_eq!(c.due(ms(260)), TickPlan { run: 3, skipped: 7 });
        assert_eq!(c.next_deadline(), ms(280));
    }

    #[test]
    fn thirty_hz_has_no_cumulative_drift_over_an_hour() {
        let mut c = TickClock::new(30, 3);
        let mut ran = 0u64;
        let mut t = Duration::ZERO;
        while t < Duration::from_secs(3600) {
            t = c.next_deadline();
            ran += c.due(t).run as u64;
        }
        // 30 Hz -> period 33.333333 ms (rounded to ns); within one tick of exact after an hour.
        assert!((ran as i64 - 108_000).abs() <= 1, "ran {ran}");
    }
}
