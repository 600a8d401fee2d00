//! Views layered on a shared one (issue 16): the per-player views of a fog-of-war lobby
//! are mostly their team's view (the teammates) plus a few entities of their own (the
//! opponents near them). Diffing and encoding all of each player's view would repeat the
//! team's part once per player; instead the team's delta is encoded once, entry by entry
//! ([`SharedDelta`]), and each player's message splices those bytes with the entries of the
//! few entities its view differs in ([`Encoder::layered_delta`]). The bytes are exactly
//! those of the player's full delta encoded the ordinary way: entries in id order, the same
//! values, the same encodings.
//!
//! What a layered view is: a *base* view `B` (the team's) and a *top* view `E` (the entities
//! the player sees that `B` lacks, or sees differently, such as its own private fields).
//! The player's view is `B` with every id of `E` replaced by (or added as) `E`'s entity
//! ([`View::overlay_into`]). Its delta from one tick to the next is `B`'s delta for every
//! id neither `E` touched, and, for the ids either tick's `E` holds, the diff of what the
//! player saw of them then and sees now (`E`'s entity, else `B`'s, else nothing).

use super::delta::{Changed, Delta, diff_fields};
use super::encode::{Encoder, Out};
use super::layout::KindId;
use super::value::copy_slot;
use super::view::{Header, View};
use bytes::Bytes;
use rmp::encode::ByteBuf;
use std::ops::Range;
use std::sync::Arc;

/// A delta's entries, each encoded once, for splicing into many messages.
#[derive(Debug, Default)]
pub struct SharedDelta {
    buf: ByteBuf,
    /// `[mask, [v...]]` of the changed globals, when any changed.
    globals: Option<Range<usize>>,
    /// `(id, bytes of [id, kind, [v...]])`, ascending by id.
    added: Vec<(u32, Range<usize>)>,
    /// `(id, bytes of [id, mask, [v...]])`, ascending by id.
    changed: Vec<(u32, Range<usize>)>,
    removed: Vec<u32>,
}

impl SharedDelta {
    pub fn new() -> Self {
        Self::default()
    }

    /// Encode every entry of `d` (reusing the buffers).
    pub fn fill(&mut self, d: &Delta) {
        self.buf.as_mut_vec().clear();
        self.added.clear();
        self.changed.clear();
        self.removed.clear();
        self.removed.extend_from_slice(&d.removed);
        let mut o = Out::append(&mut self.buf);
        self.globals = (d.globals_mask != 0).then(|| {
            let start = o.len();
            o.array(2);
            o.uint(u64::from(d.globals_mask));
            o.vals(d.vals(d.globals_offset, d.globals_mask.count_ones()), &d.arena);
            start..o.len()
        });
        for a in &d.added {
            let start = o.len();
            o.array(3);
            o.uint(u64::from(a.id));
            o.uint(u64::from(a.kind));
            o.vals(d.vals(a.offset, a.len), &d.arena);
            self.added.push((a.id, start..o.len()));
        }
        for c in &d.changed {
            let start = o.len();
            o.array(3);
            o.uint(u64::from(c.id));
            o.uint(u64::from(c.mask));
            o.vals(d.vals(c.offset, c.mask.count_ones()), &d.arena);
            self.changed.push((c.id, start..o.len()));
        }
    }
}

/// Whether `id` is in the sorted `set`, advancing the cursor `at` (ids asked in ascending
/// order make the whole walk linear).
fn skip(set: &[u32], at: &mut usize, id: u32) -> bool {
    while *at < set.len() && set[*at] < id {
        *at += 1;
    }
    *at < set.len() && set[*at] == id
}

impl Encoder {
    /// A delta made of `shared`'s entries for every id not in `touched` (sorted) and of
    /// `own`'s entries for the ids in `touched`, merged in id order: byte for byte the
    /// delta [`Encoder::delta`] writes for the merged [`Delta`]. `own` carries no globals.
    pub fn layered_delta(
        &mut self,
        tick: u64,
        base: u64,
        acks: &[(u32, u64)],
        shared: &SharedDelta,
        touched: &[u32],
        own: &Delta,
    ) -> Bytes {
        debug_assert_eq!(own.globals_mask, 0, "a top view's globals are never sent");
        let sb = shared.buf.as_slice();
        let mut o = Out::new(&mut self.buf);
        o.map(if shared.globals.is_some() { 8 } else { 7 });
        o.str("type");
        o.str("delta");
        o.str("tick");
        o.uint(tick);
        o.str("base");
        o.uint(base);
        o.str("acks");
        o.acks(acks);
        if let Some(g) = &shared.globals {
            o.str("globals");
            o.raw(&sb[g.clone()]);
        }
        let kept = |list: &[(u32, Range<usize>)]| {
            let mut at = 0;
            list.iter().filter(|(id, _)| !skip(touched, &mut at, *id)).count()
        };
        // added
        o.str("added");
        o.array(kept(&shared.added) + own.added.len());
        let (mut at, mut mine) = (0, own.added.iter().peekable());
        for (id, r) in &shared.added {
            if skip(touched, &mut at, *id) {
                continue;
            }
            while let Some(a) = mine.next_if(|a| a.id < *id) {
                o.array(3);
                o.uint(u64::from(a.id));
                o.uint(u64::from(a.kind));
                o.vals(own.vals(a.offset, a.len), &own.arena);
            }
            o.raw(&sb[r.clone()]);
        }
        for a in mine {
            o.array(3);
            o.uint(u64::from(a.id));
            o.uint(u64::from(a.kind));
            o.vals(own.vals(a.offset, a.len), &own.arena);
        }
        // changed
        o.str("changed");
        o.array(kept(&shared.changed) + own.changed.len());
        let (mut at, mut mine) = (0, own.changed.iter().peekable());
        for (id, r) in &shared.changed {
            if skip(touched, &mut at, *id) {
                continue;
            }
            while let Some(c) = mine.next_if(|c| c.id < *id) {
                o.array(3);
                o.uint(u64::from(c.id));
                o.uint(u64::from(c.mask));
                o.vals(own.vals(c.offset, c.mask.count_ones()), &own.arena);
            }
            o.raw(&sb[r.clone()]);
        }
        for c in mine {
            o.array(3);
            o.uint(u64::from(c.id));
            o.uint(u64::from(c.mask));
            o.vals(own.vals(c.offset, c.mask.count_ones()), &own.arena);
        }
        // removed
        o.str("removed");
        let mut at = 0;
        let n = shared.removed.iter().filter(|id| !skip(touched, &mut at, **id)).count();
        o.array(n + own.removed.len());
        let (mut at, mut mine) = (0, own.removed.iter().peekable());
        for id in &shared.removed {
            if skip(touched, &mut at, *id) {
                continue;
            }
            while let Some(m) = mine.next_if(|m| *m < id) {
                o.uint(u64::from(*m));
            }
            o.uint(u64::from(*id));
        }
        for m in mine {
            o.uint(u64::from(*m));
        }
        o.to_bytes()
    }
}

impl View {
    /// Append entity `id` of `src`, with the private fields in `hide` hidden as well (their
    /// values are not copied). False when `src` has no such entity. Call
    /// [`View::finish`] after pushing out of id order.
    pub fn push_from(&mut self, src: &View, id: u32, hide: u32) -> bool {
        src.assert_finished();
        let Ok(i) = src.live.headers.binary_search_by_key(&id, |h| h.id) else {
            return false;
        };
        if !Arc::ptr_eq(&self.layout, &src.layout) {
            self.layout = src.layout.clone();
        }
        let h = src.live.headers[i];
        self.copy_entity(src, &h, hide);
        true
    }

    fn copy_entity(&mut self, src: &View, h: &Header, hide: u32) {
        let f = src.layout.kind(KindId(h.kind));
        let hidden = h.hidden | (hide & f.hideable_mask());
        let dst = &mut self.live;
        let offset = dst.slots.len() as u32;
        for (i, slot) in src.live.entity_slots(h, f.len()).iter().enumerate() {
            let s = if hidden & (1 << i) != 0 {
                0
            } else {
                copy_slot(f.ty(i), *slot, &src.live.arena, &mut dst.arena)
            };
            dst.slots.push(s);
        }
        if dst.headers.last().is_some_and(|l| l.id >= h.id) {
            self.sorted = false;
        }
        dst.headers.push(Header { id: h.id, kind: h.kind, offset, hidden });
    }

    /// `self` (a base view) with `top`'s entities in place of (or added to) its own, into
    /// `out`: a layered view made whole, for a snapshot. Globals are the base's.
    pub fn overlay_into(&self, top: &View, out: &mut View) {
        self.assert_finished();
        top.assert_finished();
        if !Arc::ptr_eq(&self.layout, &out.layout) {
            out.layout = self.layout.clone();
        }
        out.clear();
        let g = self.layout.globals();
        for (i, slot) in self.live.globals.iter().enumerate() {
            out.live.globals[i] = copy_slot(g.ty(i), *slot, &self.live.arena, &mut out.live.arena);
        }
        let (a, b) = (&self.live.headers, &top.live.headers);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let take_top = j < b.len() && (i == a.len() || b[j].id <= a[i].id);
            if take_top {
                if i < a.len() && a[i].id == b[j].id {
                    i += 1;
                }
                out.copy_entity(top, &b[j], 0);
                j += 1;
            } else {
                out.copy_entity(self, &a[i], 0);
                i += 1;
            }
        }
    }
}

/// The scratch of one layered view's delta: the ids its top view touched in either tick and
/// the entries for them. Reused tick after tick.
#[derive(Debug)]
pub struct LayerDiff {
    touched: Vec<u32>,
    own: Delta,
}

impl LayerDiff {
    /// The layout is the views'; kept in the signature so callers need not change when
    /// the scratch grows.
    pub fn new(_layout: Arc<super::layout::Layout>) -> Self {
        LayerDiff { touched: Vec::new(), own: Delta::new() }
    }

    /// The entries of the ids that `top_prev` or `top_cur` hold, from what the layered view
    /// showed of each then (the top's entity, else the base's, else nothing) to now.
    pub fn diff(&mut self, base_prev: &View, base_cur: &View, top_prev: &View, top_cur: &View) {
        self.touched.clear();
        let (a, b) = (&top_prev.live.headers, &top_cur.live.headers);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let id = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.id == y.id => {
                    i += 1;
                    j += 1;
                    x.id
                }
                (Some(x), Some(y)) if x.id < y.id => {
                    i += 1;
                    x.id
                }
                (Some(x), None) => {
                    i += 1;
                    x.id
                }
                (_, Some(y)) => {
                    j += 1;
                    y.id
                }
                (None, None) => unreachable!(),
            };
            self.touched.push(id);
        }
        // Diff each touched id straight from the views that hold it (no copies): what the
        // layered view showed then (the top's entity, else the base's) and shows now.
        let d = &mut self.own;
        d.clear();
        let layout = &*base_cur.layout;
        let find = |v: &'_ View, id: u32| {
            let i = v.live.headers.binary_search_by_key(&id, |h| h.id).ok()?;
            Some(v.live.headers[i])
        };
        for &id in &self.touched {
            let old = match find(top_prev, id) {
                Some(h) => Some((top_prev, h)),
                None => find(base_prev, id).map(|h| (base_prev, h)),
            };
            let new = match find(top_cur, id) {
                Some(h) => Some((top_cur, h)),
                None => find(base_cur, id).map(|h| (base_cur, h)),
            };
            match (old, new) {
                (None, None) => {}
                (Some(_), None) => d.removed.push(id),
                (None, Some((v, y))) => d.push_entity(layout, &v.live, &y),
                (Some((_, x)), Some((vb, y))) if x.kind != y.kind => {
                    d.removed.push(id);
                    d.push_entity(layout, &vb.live, &y);
                }
                (Some((va, x)), Some((vb, y))) => {
                    let f = layout.kind(KindId(y.kind));
                    let n = f.len();
                    let offset = d.values.len() as u32;
                    let (xs, ys) = (va.live.entity_slots(&x, n), vb.live.entity_slots(&y, n));
                    let (aa, ba) = (&va.live.arena, &vb.live.arena);
                    let mask = diff_fields(f, xs, x.hidden, aa, ys, y.hidden, ba, d);
                    if mask != 0 {
                        d.changed.push(Changed { id, mask, offset });
                    }
                }
            }
        }
    }

    /// The ids touched, ascending.
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    /// Their entries.
    pub fn own(&self) -> &Delta {
        &self.own
    }
}
