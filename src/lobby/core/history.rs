//! The views of the last [`RECENT_TICKS`](super::RECENT_TICKS) ticks, kept to catch a resumed
//! player up with one delta. Only a resume reads them, so they are stored packed: an entity
//! is its id, kind, field count and its fields (22 bytes for an arena player) instead of a
//! 40-byte [`Entity`] with room for every possible field. The heap profile showed this ring
//! as the largest per-lobby allocation (≈ 72 KiB for 16 players and 12 pickups, 4.2 KiB per
//! player); packed it is about half.

use std::collections::VecDeque;
use tickwave_protocol::{Entity, MAX_FIELDS, WorldView};

#[derive(Debug)]
pub(super) struct History {
    /// (tick, packed view), oldest first.
    ring: VecDeque<(u64, Vec<u8>)>,
    cap: usize,
}

impl History {
    pub(super) fn new(cap: usize) -> Self {
        History { ring: VecDeque::with_capacity(cap), cap }
    }

    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }

    /// Keep this tick's view, reusing the oldest allocation once the ring is full.
    pub(super) fn remember(&mut self, tick: u64, view: &WorldView) {
        let mut buf = if self.ring.len() == self.cap {
            self.ring.pop_front().map(|(_, b)| b).unwrap_or_default()
        } else {
            Vec::new()
        };
        buf.clear();
        // Exactly the packed size: growing by doubling would round it up to a power of two
        // and give back most of the saving (measured: 1 KiB per view instead of ≈ 600 B).
        let size: usize = view.entities().iter().map(|e| 6 + 4 * e.fields().len()).sum();
        buf.reserve_exact(size);
        buf.shrink_to(size);
        for e in view.entities() {
            let fields = e.fields();
            buf.extend_from_slice(&e.id.to_le_bytes());
            buf.push(e.kind);
            buf.push(fields.len() as u8);
            for f in fields {
                buf.extend_from_slice(&f.to_le_bytes());
            }
        }
        self.ring.push_back((tick, buf));
    }

    /// The newest tick kept.
    pub(super) fn latest(&self) -> Option<u64> {
        self.ring.back().map(|(t, _)| *t)
    }

    /// The view of `tick`, if it is still kept.
    pub(super) fn view(&self, tick: u64) -> Option<WorldView> {
        let (_, buf) = self.ring.iter().find(|(t, _)| *t == tick)?;
        Some(unpack(buf))
    }
}

fn unpack(mut buf: &[u8]) -> WorldView {
    let mut view = WorldView::new();
    let mut fields = [0i32; MAX_FIELDS];
    while buf.len() >= 6 {
        let id = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let (kind, n) = (buf[4], usize::from(buf[5]));
        buf = &buf[6..];
        for f in fields.iter_mut().take(n) {
            *f = i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
            buf = &buf[4..];
        }
        view.push(Entity::new(id, kind, &fields[..n]));
    }
    // Packed from a finished view: sorted and unique, so this cannot fail.
    let _ = view.finish();
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(tick: i32) -> WorldView {
        let mut v = WorldView::new();
        v.push(Entity::new(7, 0, &[tick, -tick, 3, 1]));
        v.push(Entity::new(2, 1, &[i32::MIN, i32::MAX, 0]));
        v.push(Entity::new(9, 2, &[]));
        v.finish().unwrap();
        v
    }

    #[test]
    fn views_come_back_exactly_and_the_ring_is_bounded() {
        let mut h = History::new(4);
        for t in 1..=10u64 {
            h.remember(t, &view(t as i32));
        }
        assert_eq!(h.len(), 4);
        assert_eq!(h.latest(), Some(10));
        assert!(h.view(6).is_none(), "older than the ring");
        for t in 7..=10u64 {
            let got = h.view(t).unwrap();
            assert_eq!(got.entities(), view(t as i32).entities());
            assert!(got.diff(&view(t as i32)).is_empty());
        }
    }
}
