//! Input-to-ack latency: when each input was sent, and which inputs an ack covers.
//!
//! The server acks the highest input sequence number it applied for each player, in every
//! state message. Inputs go out in sequence order, so an ack of `n` means every input up to
//! `n` was applied (or dropped by the server, which still moves the ack past it). The ring
//! keeps the send times of the last [`RING`] inputs; an ack further behind than that counts
//! the older inputs as acked without a latency sample (`lost`).

/// Inputs remembered: 6.4 s at 20 inputs per second.
pub(crate) const RING: usize = 128;

#[derive(Debug, Clone)]
pub(crate) struct AckRing {
    seqs: [u64; RING],
    sent_us: [u64; RING],
    /// Highest sequence number sent, and highest acked (or abandoned).
    last_sent: u64,
    acked_upto: u64,
}

/// What one ack did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Acked {
    /// Inputs with a latency sample.
    pub(crate) sampled: u64,
    /// Inputs acked whose send time had left the ring.
    pub(crate) lost: u64,
}

impl Default for AckRing {
    fn default() -> Self {
        AckRing { seqs: [0; RING], sent_us: [0; RING], last_sent: 0, acked_upto: 0 }
    }
}

impl AckRing {
    /// Input `seq` (greater than every earlier one) left at `now_us`.
    pub(crate) fn sent(&mut self, seq: u64, now_us: u64) {
        debug_assert!(seq > self.last_sent);
        let i = (seq % RING as u64) as usize;
        self.seqs[i] = seq;
        self.sent_us[i] = now_us;
        self.last_sent = seq;
    }

    /// Inputs sent and not yet acked.
    pub(crate) fn outstanding(&self) -> u64 {
        self.last_sent - self.acked_upto
    }

    /// The server acked `upto`: call `sample` with the latency of each newly acked input.
    pub(crate) fn acked(&mut self, upto: u64, now_us: u64, mut sample: impl FnMut(u64)) -> Acked {
        let upto = upto.min(self.last_sent);
        let mut out = Acked::default();
        if upto <= self.acked_upto {
            return out;
        }
        let oldest_kept = upto.saturating_sub(RING as u64 - 1).max(1);
        let first = (self.acked_upto + 1).max(oldest_kept);
        out.lost = first - (self.acked_upto + 1);
        for seq in first..=upto {
            let i = (seq % RING as u64) as usize;
            if self.seqs[i] == seq {
                sample(now_us.saturating_sub(self.sent_us[i]));
                out.sampled += 1;
            } else {
                out.lost += 1;
            }
        }
        self.acked_upto = upto;
        out
    }

    /// Give up on the inputs not acked (the match ended); returns how many.
    pub(crate) fn abandon(&mut self) -> u64 {
        let n = self.outstanding();
        self.acked_upto = self.last_sent;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_sample_every_input_once() {
        let mut r = AckRing::default();
        for seq in 1..=5 {
            r.sent(seq, seq * 1000);
        }
        let mut got = Vec::new();
        let a = r.acked(3, 10_000, |l| got.push(l));
        assert_eq!(a, Acked { sampled: 3, lost: 0 });
        assert_eq!(got, [9000, 8000, 7000]);
        // A repeated or older ack does nothing.
        assert_eq!(r.acked(3, 11_000, |_| panic!()), Acked::default());
        assert_eq!(r.acked(2, 11_000, |_| panic!()), Acked::default());
        // An ack beyond what was sent is clipped.
        got.clear();
        r.acked(99, 12_000, |l| got.push(l));
        assert_eq!(got, [8000, 7000]);
        assert_eq!(r.outstanding(), 0);
    }

    #[test]
    fn far_behind_acks_count_lost_inputs() {
        let mut r = AckRing::default();
        let n = RING as u64 + 10;
        for seq in 1..=n {
            r.sent(seq, seq);
        }
        let mut samples = 0;
        let a = r.acked(n, n + 1, |_| samples += 1);
        assert_eq!(a.sampled + a.lost, n);
        assert_eq!(a.sampled, RING as u64);
        assert_eq!(samples, a.sampled);
    }

    #[test]
    fn abandon_moves_past_outstanding_inputs() {
        let mut r = AckRing::default();
        r.sent(1, 0);
        r.sent(2, 0);
        r.acked(1, 5, |_| {});
        assert_eq!(r.abandon(), 1);
        r.sent(3, 10);
        let mut got = Vec::new();
        // A new lobby acks from its own count; only seq 3 is new.
        r.acked(3, 30, |l| got.push(l));
        assert_eq!(got, [20]);
    }
}
