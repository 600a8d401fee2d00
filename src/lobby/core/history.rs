//! The views of the last [`RECENT_TICKS`](super::RECENT_TICKS) ticks, kept to catch a resumed
//! player up with one delta. Each is a copy of the tick's typed [`View`] into a buffer that
//! the ring reuses once full (`View::copy_from`), so a steady lobby allocates nothing here.
//!
//! Memory: a view costs 8 bytes per field plus string bytes (an arena player of 5 fields is
//! 60 bytes with its header), so 64 views of 16 players and 12 pickups are about 110 KiB per
//! lobby. The v1 ring stored 4-byte fields packed (about half); the typed slots are what
//! lets one ring serve every field type and both protocols.

use crate::game::v2::scope::Scopes;
use std::collections::VecDeque;
use std::sync::Arc;
use tickwave_protocol::v2::{Layout, View};

pub(super) struct History {
    /// (tick, world view, the game's scopes of that tick), oldest first: a resumed player's
    /// view at any kept tick is projected from them again (issue 16).
    ring: VecDeque<(u64, View, Scopes)>,
    cap: usize,
    layout: Arc<Layout>,
}

impl History {
    pub(super) fn new(cap: usize, layout: Arc<Layout>) -> Self {
        History { ring: VecDeque::with_capacity(cap), cap, layout }
    }

    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }

    /// Keep this tick's view and scopes, reusing the oldest buffers once the ring is full.
    pub(super) fn remember(&mut self, tick: u64, view: &View, scopes: &Scopes) {
        let (mut kept, mut kept_scopes) = match self.ring.len() == self.cap {
            true => self.ring.pop_front().map(|(_, v, s)| (v, s)),
            false => None,
        }
        .unwrap_or_else(|| (View::new(self.layout.clone()), Scopes::default()));
        kept.copy_from(view);
        kept_scopes.copy_from(scopes);
        self.ring.push_back((tick, kept, kept_scopes));
    }

    /// The newest tick kept.
    pub(super) fn latest(&self) -> Option<u64> {
        self.ring.back().map(|(t, _, _)| *t)
    }

    /// The view and scopes of `tick`, if still kept.
    pub(super) fn get(&self, tick: u64) -> Option<(&View, &Scopes)> {
        self.ring.iter().find(|(t, _, _)| *t == tick).map(|(_, v, s)| (v, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use tickwave_protocol::v2::Schema;

    #[derive(Serialize, Default)]
    struct P<'a> {
        x: i64,
        name: &'a str,
    }

    fn view(layout: &Arc<Layout>, tick: i64) -> View {
        let k = layout.kind_id("p").unwrap();
        let mut v = View::new(layout.clone());
        v.push(7, k, &P { x: tick, name: "seven" }).unwrap();
        v.push(2, k, &P { x: -tick, name: if tick % 2 == 0 { "even" } else { "odd" } }).unwrap();
        v.finish().unwrap();
        v
    }

    #[test]
    fn views_come_back_exactly_and_the_ring_is_bounded() {
        let schema = Schema::builder().kind::<P>("p", |k| k).build().unwrap();
        let layout = Arc::new(Layout::new(schema).unwrap());
        let mut h = History::new(4, layout.clone());
        for t in 1..=10u64 {
            let mut scopes = Scopes::default();
            scopes.show(2, t as u32);
            h.remember(t, &view(&layout, t as i64), &scopes);
        }
        assert_eq!(h.len(), 4);
        assert_eq!(h.latest(), Some(10));
        assert!(h.get(6).is_none(), "older than the ring");
        for t in 7..=10u64 {
            let (got, scopes) = h.get(t).unwrap();
            assert_eq!(scopes.interest(2).collect::<Vec<_>>(), [t as u32]);
            assert!(got.diff(&view(&layout, t as i64)).is_empty(), "tick {t}");
            assert_eq!(
                got.get(2).unwrap().field("name"),
                view(&layout, t as i64).get(2).unwrap().field("name")
            );
        }
    }
}
