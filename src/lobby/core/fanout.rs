//! A lobby's members and how each gets its state message (the streams they follow, diffed
//! and encoded once per view and protocol, are in `core/streams.rs`).
//!
//! A member whose queue is full is never waited for: it is marked for resync and skips
//! deltas (which would not apply without the ones it missed) until its queue has room again,
//! then gets the roster, the lobby state and a snapshot, and continues with deltas.

use super::{Delivery, Link, Name};
use crate::game::v2::PlayerRecord;
use crate::game::v2::scope::ViewKey;
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Duration;
use tickwave_protocol::v2::InputFrame;

/// Inputs a member may have waiting for the next tick; older ones are dropped past this.
pub(crate) const MAX_PENDING_INPUTS: usize = 32;

/// Largest accepted step between consecutive input sequence numbers.
pub(crate) const MAX_SEQ_STEP: u64 = 1 << 20;

/// Commands one member may have waiting for the next tick; more are answered
/// `too_many_commands` at once.
pub(crate) const MAX_PENDING_COMMANDS: u32 = 16;

/// Events kept for a held seat, for its resume; older ones are dropped (and counted).
pub(crate) const MAX_HELD_EVENTS: usize = 256;

/// Free queue slots a lagging member needs before it is resynced (roster, lobby state,
/// snapshot), so the resync itself does not overflow.
const RESYNC_ROOM: usize = 4;

pub(crate) struct Member<L> {
    pub(crate) player: u32,
    pub(crate) name: Name,
    pub(crate) link: L,
    /// The protocol version of the member's connection (1 or 2), asked of its link.
    pub(crate) protocol: u32,
    /// Inputs for the next tick, with their arrival time since the lobby began (for the
    /// input-lag figure).
    pub(crate) pending: VecDeque<(InputFrame, Duration)>,
    /// Commands of this member in the lobby's queue.
    pub(crate) commands_pending: u32,
    /// Events addressed to this member while its seat was held, for its resume.
    pub(crate) held_events: VecDeque<Bytes>,
    pub(crate) events_dropped: u64,
    /// Highest input sequence number applied (0: none yet).
    pub(crate) last_applied: u64,
    /// Highest sequence number accepted into `pending`, to drop duplicates early.
    pub(crate) last_queued: u64,
    /// True until the member holds the current state: it gets a snapshot, not a delta.
    pub(crate) needs_resync: bool,
    /// Just seated: `match_found` already told it the roster and state, so its first sync is
    /// the snapshot alone.
    pub(crate) fresh: bool,
    /// Whether this seat was ever sent the lobby's state (a snapshot). Until then a resume's
    /// `last_tick` cannot be about this lobby (it is a tick of an earlier one, whose numbers
    /// overlap), so it gets a snapshot rather than a catch-up delta from a foreign base.
    pub(crate) has_state: bool,
    pub(crate) resyncs: u64,
    pub(crate) inputs_dropped: u64,
    /// False while the connection is gone and the seat is held for a resume.
    pub(crate) connected: bool,
    /// While disconnected: the tick at which the held seat is given up.
    pub(crate) held_until: Option<u64>,
    /// Smoothed arrival-to-apply time of inputs, ms (EWMA, gain 1/8).
    pub(crate) input_lag_ms: f64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_sent: u64,
    /// When the member was seated, as time since the lobby began.
    pub(crate) joined: Duration,
    /// Chat lines waiting for queue room (see `lobby/core/chat.rs`).
    pub(crate) chat_backlog: VecDeque<Bytes>,
    pub(crate) chat_dropped: u64,
    /// The view this member gets this tick (set at each fan-out).
    pub(crate) key: ViewKey,
    /// The stream whose last state this member holds (`None`: none yet); a delta of another
    /// stream would not apply, so a change of key sends a snapshot (`core/streams.rs`).
    pub(crate) follows: Option<ViewKey>,
}

impl<L: Link> Member<L> {
    pub(crate) fn new(record: PlayerRecord, name: Name, link: L, joined: Duration) -> Self {
        Member {
            player: record.id,
            name,
            protocol: link.protocol(),
            link,
            pending: VecDeque::new(),
            commands_pending: 0,
            held_events: VecDeque::new(),
            events_dropped: 0,
            last_applied: 0,
            last_queued: 0,
            needs_resync: true,
            fresh: true,
            has_state: false,
            resyncs: 0,
            inputs_dropped: 0,
            connected: true,
            held_until: None,
            input_lag_ms: 0.0,
            bytes_sent: 0,
            messages_sent: 0,
            joined,
            chat_backlog: VecDeque::new(),
            chat_dropped: 0,
            key: ViewKey::World,
            follows: None,
        }
    }

    /// Queue an input for the next tick. Stale or repeated sequence numbers are ignored;
    /// a jump of more than [`MAX_SEQ_STEP`] is refused (it would make every later input look
    /// stale), and the caller tells the client.
    pub(crate) fn queue_input(&mut self, input: InputFrame, arrived: Duration) -> Result<(), u64> {
        if input.seq <= self.last_queued {
            return Ok(());
        }
        if input.seq - self.last_queued > MAX_SEQ_STEP {
            self.inputs_dropped += 1;
            return Err(input.seq - self.last_queued);
        }
        self.last_queued = input.seq;
        if self.pending.len() == MAX_PENDING_INPUTS {
            self.pending.pop_front();
            self.inputs_dropped += 1;
        }
        self.pending.push_back((input, arrived));
        Ok(())
    }

    /// Queue a message; counts what was sent. False when the queue is full or closed.
    pub(crate) fn send(&mut self, bytes: &Bytes) -> bool {
        let ok = self.link.send(bytes.clone()) == Delivery::Sent;
        if ok {
            self.bytes_sent += bytes.len() as u64;
            self.messages_sent += 1;
        }
        ok
    }
}

/// What happened to one member's state message this tick.
pub(crate) enum Sent {
    Ok,
    /// The queue was full: the member now waits for a resync.
    Lagging,
    /// The session is gone.
    Closed,
    /// Still lagging and not enough room yet.
    Skipped,
}

/// Send this tick's delta to an up-to-date member.
pub(crate) fn send_delta<L: Link>(m: &mut Member<L>, delta: &Bytes) -> Sent {
    match m.link.send(delta.clone()) {
        Delivery::Sent => {
            m.bytes_sent += delta.len() as u64;
            m.messages_sent += 1;
            Sent::Ok
        }
        Delivery::Full => {
            m.needs_resync = true;
            m.resyncs += 1;
            Sent::Lagging
        }
        Delivery::Closed => Sent::Closed,
    }
}

/// Resync a lagging member if its queue has room: `prelude` (roster, lobby state) then the
/// snapshot, which `snapshot` encodes at most once per tick and protocol for all lagging
/// members.
pub(crate) fn send_resync<L: Link>(
    m: &mut Member<L>,
    prelude: &[Bytes],
    snapshot: &mut dyn FnMut(u32) -> Bytes,
) -> Sent {
    let Some(room) = m.link.room() else {
        return Sent::Closed;
    };
    let prelude = if m.fresh { &[][..] } else { prelude };
    if room < RESYNC_ROOM + prelude.len() {
        return Sent::Skipped;
    }
    for b in prelude {
        if !m.send(b) {
            return Sent::Skipped;
        }
    }
    let snap = snapshot(m.protocol);
    match m.link.send(snap.clone()) {
        Delivery::Sent => {
            m.bytes_sent += snap.len() as u64;
            m.messages_sent += 1;
            m.needs_resync = false;
            m.fresh = false;
            m.has_state = true;
            Sent::Ok
        }
        Delivery::Full => Sent::Skipped,
        Delivery::Closed => Sent::Closed,
    }
}
