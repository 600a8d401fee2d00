//! Per-tick state for members: diff once, encode once per protocol version in use, send the
//! same `Bytes` to every member of that version.
//!
//! The lobby's state is a typed v2 [`View`]. While protocol-1 members are connected to a
//! game that has a v1 form, the view is also converted to a v1 [`WorldView`] and diffed
//! and encoded in v1 once more; a lobby without v1 members pays nothing for them.
//!
//! A member whose queue is full is never waited for: it is marked for resync and skips
//! deltas (which would not apply without the ones it missed) until its queue has room again,
//! then gets the roster, the lobby state and a snapshot, and continues with deltas.

use super::{Delivery, Link, Name};
use crate::game::compat::to_v1_view;
use crate::game::v2::PlayerRecord;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tickwave_protocol::v2::{self, Encoder, InputFrame, Layout, View};
use tickwave_protocol::{Delta, WorldView, encode_delta, encode_snapshot};

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

/// This tick's state message for each protocol version, encoded when a member needs it.
#[derive(Default)]
pub(crate) struct Frames {
    pub(crate) v1: Option<Bytes>,
    pub(crate) v2: Option<Bytes>,
}

impl Frames {
    pub(crate) fn get(&self, protocol: u32) -> Option<&Bytes> {
        if protocol == 1 { self.v1.as_ref() } else { self.v2.as_ref() }
    }
}

/// The v1 forms of the last and current views, kept only while v1 members are connected.
#[derive(Default)]
struct V1Views {
    prev: WorldView,
    cur: WorldView,
    delta: Delta,
    /// The tick `prev` is the view of; when it is not the last sent tick (no v1 member
    /// then), `prev` is converted again from the v2 view of that tick.
    prev_tick: Option<u64>,
    /// Whether `cur` holds this tick's view.
    cur_ready: bool,
}

/// Scratch space reused every tick, so a steady tick allocates only the encoded bytes.
pub(crate) struct Fanout {
    pub(crate) prev: View,
    pub(crate) cur: View,
    delta: v2::Delta,
    pub(crate) enc: Encoder,
    v1: V1Views,
    pub(crate) acks: Vec<(u32, u64)>,
    /// The tick of the last state sent (`prev`'s): the `base` of the next delta, which spans
    /// several ticks when the mode sends less often than it ticks.
    pub(crate) sent_tick: u64,
    /// Bytes of the last encoded delta and snapshot, for metrics and the closing figures.
    pub(crate) last_delta_len: usize,
    pub(crate) last_snapshot_len: usize,
}

impl Fanout {
    pub(crate) fn new(layout: Arc<Layout>) -> Self {
        Fanout {
            prev: View::new(layout.clone()),
            cur: View::new(layout),
            delta: v2::Delta::new(),
            enc: Encoder::new(),
            v1: V1Views::default(),
            acks: Vec::new(),
            sent_tick: 0,
            last_delta_len: 0,
            last_snapshot_len: 0,
        }
    }

    /// Diff `cur` against `prev` and encode the delta once per protocol that `need`s it.
    pub(crate) fn encode_deltas(&mut self, tick: u64, need: [bool; 2]) -> Frames {
        let mut f = Frames::default();
        if need[1] {
            self.prev.diff_into(&self.cur, &mut self.delta);
            let b = self.enc.delta(tick, self.sent_tick, &self.acks, &self.delta);
            self.last_delta_len = b.len();
            f.v2 = Some(b);
        }
        if need[0] {
            self.v1_cur();
            if self.v1.prev_tick != Some(self.sent_tick) {
                to_v1_view(&self.prev, &mut self.v1.prev);
            }
            let v = &mut self.v1;
            v.prev.diff_into(&v.cur, &mut v.delta);
            let b = encode_delta(tick, self.sent_tick, &self.acks, &v.delta);
            if !need[1] {
                self.last_delta_len = b.len();
            }
            f.v1 = Some(b);
        }
        f
    }

    fn v1_cur(&mut self) {
        if !self.v1.cur_ready {
            to_v1_view(&self.cur, &mut self.v1.cur);
            self.v1.cur_ready = true;
        }
    }

    pub(crate) fn encode_snapshot(&mut self, tick: u64, protocol: u32) -> Bytes {
        let b = if protocol == 1 {
            self.v1_cur();
            encode_snapshot(tick, &self.acks, &self.v1.cur)
        } else {
            self.enc.snapshot(tick, &self.acks, &self.cur)
        };
        self.last_snapshot_len = b.len();
        b
    }

    /// The current view (of `tick`) becomes the base of the next diff.
    pub(crate) fn rotate(&mut self, tick: u64) {
        self.sent_tick = tick;
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.cur.clear();
        let v = &mut self.v1;
        if v.cur_ready {
            std::mem::swap(&mut v.prev, &mut v.cur);
            v.prev_tick = Some(tick);
        } else {
            v.prev_tick = None;
        }
        v.cur_ready = false;
    }
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
