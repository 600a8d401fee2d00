//! Inputs reach a lobby through a bounded inbox that the tick drains, not through the
//! mailbox. An input is only needed at the next tick, but a mailbox message wakes the lobby
//! task: at 20 inputs/s from 16 players that was 320 wakes per lobby per second for 30 ticks.
//! Sessions push under a short lock and wake nobody.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;
use tickwave_protocol::v2::{CommandFrame, InputFrame};

/// What a session leaves for the next tick, validated against the lobby's schema.
#[derive(Debug)]
// Inputs are the common case (20 per player per second) and stay unboxed so that none
// costs an allocation; the rare command is boxed instead.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Arrival {
    Input(InputFrame),
    /// Boxed: commands are rare, and the inbox's slots are as large as the largest variant.
    Command(Box<CommandFrame>),
}

/// An input or command with its player and the moment its session read it. Commands share
/// the inbox (and its bound) with inputs so that both reach the tick in arrival order
/// without waking the lobby.
pub(crate) type Arrived = (u32, Arrival, Instant);

#[derive(Debug)]
pub(crate) struct InputInbox {
    slots: Mutex<Vec<Arrived>>,
    /// Inputs held between two ticks, beyond which new ones are dropped (the client sees its
    /// ack lag and may resend, as with a full mailbox). Each player's own queue is bounded
    /// again at the tick (`MAX_PENDING_INPUTS`).
    cap: usize,
}

impl InputInbox {
    pub(crate) fn new(cap: usize) -> Self {
        InputInbox { slots: Mutex::new(Vec::new()), cap }
    }

    /// Leave an input or command for the next tick; false when the inbox is full.
    pub(crate) fn push(&self, player: u32, input: Arrival) -> bool {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() >= self.cap {
            return false;
        }
        slots.push((player, input, Instant::now()));
        true
    }

    /// Move everything waiting into `into` (emptied first), in arrival order. Swapping keeps
    /// both allocations, so a steady lobby allocates nothing here.
    pub(crate) fn take(&self, into: &mut Vec<Arrived>) {
        into.clear();
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::swap(&mut *slots, into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(seq: u64) -> Arrival {
        let fields = tickwave_protocol::v2::Layout::new(Default::default()).unwrap();
        let values = tickwave_protocol::v2::FieldValues::defaults(fields.input());
        Arrival::Input(InputFrame { seq, tick: None, values })
    }

    #[test]
    fn bounded_and_drained_in_order() {
        let inbox = InputInbox::new(3);
        assert!(inbox.push(1, input(1)));
        assert!(inbox.push(2, input(1)));
        assert!(inbox.push(1, input(2)));
        assert!(!inbox.push(1, input(3)), "full: dropped");
        let mut got = Vec::new();
        inbox.take(&mut got);
        let seq = |a: &Arrival| match a {
            Arrival::Input(i) => i.seq,
            Arrival::Command(_) => 0,
        };
        let order: Vec<(u32, u64)> = got.iter().map(|(p, i, _)| (*p, seq(i))).collect();
        assert_eq!(order, [(1, 1), (2, 1), (1, 2)]);
        assert!(inbox.push(1, input(3)), "room again after the tick");
        inbox.take(&mut got);
        assert_eq!(got.len(), 1);
    }
}
