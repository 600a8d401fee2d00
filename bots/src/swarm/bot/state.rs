//! A state message of either version, once applied (or refused): delivery, gaps, resyncs
//! and resume catch-ups counted, state errors counted once per desync, and the ack matched
//! with the inputs sent for the input-to-ack latency.

use super::{Bot, Sess};
use crate::state::{Applied, StateCheck};
use crate::swarm::config::Protocol;
use crate::swarm::net::view::ViewError;
use crate::swarm::stats::{ErrorKind, PHASE_SLOTS, record};
use crate::swarm::views::ViewFailure;

/// Why a state message (of either version) was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StateFault {
    /// Its bytes do not decode; the state held stays valid.
    Decode,
    /// It does not fit the state held: the kind of error counted, and of view failure.
    Check(ErrorKind, ViewFailure),
}

impl From<ViewError> for StateFault {
    fn from(e: ViewError) -> Self {
        let failure = ViewFailure::of_v1(&e);
        match e {
            ViewError::Decode(_) => StateFault::Decode,
            ViewError::Check(c) => StateFault::Check(
                match c {
                    StateCheck::BaseMismatch { .. } => ErrorKind::BaseMismatch,
                    StateCheck::Backwards { .. } => ErrorKind::TickBackwards,
                    StateCheck::Apply(_) => ErrorKind::DeltaApply,
                },
                failure,
            ),
        }
    }
}

impl Bot {
    /// A state message (either version) applied, or refused: counted, checked, and its ack
    /// matched with the inputs sent.
    pub(super) fn on_state(
        &mut self,
        s: &mut Sess,
        applied: Result<Applied, StateFault>,
        len: usize,
        now: u64,
    ) {
        let ctx = self.ctx.clone();
        let mut st = ctx.stats.borrow_mut();
        let in_win = st.in_window(now);
        st.count(now, |c| {
            c.state_msgs += 1;
            c.state_bytes += len as u64;
        });
        let mut rec = self.rec.borrow_mut();
        let Some(m) = s.in_match.as_mut() else {
            return;
        };
        // Delivery counts from the first message of a match (or the catch-up of a resumed
        // seat): `tick_hz x time` more are expected after it.
        if m.states == 0 {
            rec.open_match(now, m.hz);
        }
        if in_win {
            rec.state_msgs += 1;
            rec.state_bytes += len as u64;
            let period = 1_000_000 / u64::from(m.hz.max(1));
            st.totals.phase[((now % period) * PHASE_SLOTS as u64 / period) as usize] += 1;
        }
        m.states += 1;
        let ap = match applied {
            Ok(ap) => ap,
            Err(e) => {
                tracing::debug!(bot = self.id, error = ?e, "state message refused");
                drop((st, rec));
                let mut views = ctx.views.borrow_mut();
                views.refused += 1;
                match e {
                    // Undecodable bytes are counted every time; the state held stays valid.
                    StateFault::Decode => {
                        views.failures[ViewFailure::Undecodable as usize] += 1;
                        drop(views);
                        self.error(ErrorKind::Decode);
                    }
                    StateFault::Check(kind, failure) if !self.desynced => {
                        views.failures[failure as usize] += 1;
                        drop(views);
                        self.desynced = true;
                        self.error(kind);
                    }
                    StateFault::Check(..) => {}
                }
                return;
            }
        };
        self.desynced = false;
        let catch_up = m.rejoined && m.states == 1;
        if catch_up {
            // The catch-up of a resumed seat: one delta over the ticks missed, or a snapshot.
            record(&mut st.totals.resume, now - s.start_us);
            if ap.snapshot {
                st.totals.resume_snapshots += 1;
                m.snapshots += 1;
            } else {
                st.totals.resume_deltas += 1;
            }
        } else if ap.snapshot {
            if m.snapshots == 0 {
                record(&mut st.totals.first_snapshot, now - m.found_us);
                rec.first_snapshot_ms.get_or_insert((now - m.found_us) as f64 / 1000.0);
            } else {
                st.count(now, |c| c.resyncs += 1);
                if in_win {
                    rec.resyncs += 1;
                }
            }
            m.snapshots += 1;
        }
        if ap.missed > 0 && !catch_up {
            st.count(now, |c| {
                c.gaps += 1;
                c.missed_ticks += ap.missed;
            });
            if in_win {
                rec.gaps += 1;
                rec.missed_ticks += ap.missed;
            }
        }
        let ack = match &self.play {
            Some(p) if self.ctx.cfg.protocol == Protocol::V2 => p.state.ack(m.player),
            _ => self.state.ack(),
        };
        if let Some(n) = ack {
            let a = self.ring.acked(n, now, |lat| {
                st.ack_latency(now, lat);
                if in_win {
                    record(&mut rec.ack, lat);
                }
            });
            let acked = a.sampled + a.lost;
            if acked > 0 {
                st.count(now, |c| c.inputs_acked += acked);
                if in_win {
                    rec.inputs_acked += acked;
                }
            }
        }
    }
}
