//! The difference between two views (applying it on a client is in `apply.rs`).
//!
//! [`View::diff_into`] walks the two id-sorted entity lists once (a merge), compares each
//! common entity's slots (a slice compare when the kind has no strings and nothing is
//! hidden), and writes a [`Delta`]: entities added (all values), changed (a `u32` mask of the
//! changed fields plus their new values), removed (ids), and the globals' mask and values. A
//! field that becomes hidden or visible counts as changed (hidden is `nil`). An entity whose
//! kind changes is removed and added under the same id.
//!
//! A `Delta` owns its values (tagged with their MessagePack type) and strings, so the same
//! type comes out of [`super::decode_delta`] on a client. [`View::apply`] checks everything
//! against the schema: unknown or duplicate entities, mask bits beyond the kind's fields,
//! value counts, types, ranges, string lengths, `nil` only for private fields. On error the
//! view is unchanged.

use super::layout::{Fields, KindId, Layout};
use super::value::{Val, ValueFault, ValueRef, str_bytes};
use super::view::{At, Header, Store, View};
use std::sync::Arc;

/// An added entity: `len` values from `offset` in the delta's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Added {
    pub(crate) id: u32,
    pub(crate) kind: u16,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

/// A changed entity: one value per set bit of `mask`, from `offset`, in ascending bit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Changed {
    pub(crate) id: u32,
    pub(crate) mask: u32,
    pub(crate) offset: u32,
}

/// What changed between two views; see the module doc. Reused with [`Delta::clear`], it
/// allocates nothing in steady state. A decoded snapshot is a `Delta` too: every entity
/// added and every global set (see [`View::apply_snapshot`]).
///
/// Two deltas are equal when they say the same thing (same entities, masks and values,
/// strings by content), however their values are laid out inside.
#[derive(Debug, Clone, Default)]
pub struct Delta {
    pub(crate) added: Vec<Added>,
    pub(crate) changed: Vec<Changed>,
    pub(crate) removed: Vec<u32>,
    pub(crate) globals_mask: u32,
    pub(crate) globals_offset: u32,
    pub(crate) values: Vec<Val>,
    pub(crate) arena: Vec<u8>,
}

/// Why a delta (or snapshot) could not be applied. The client must then wait for, or ask
/// for, a snapshot; the server never sends a delta against a base the client lacks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    #[error("the delta changes or removes entity {0}, which the base does not hold")]
    UnknownEntity(u32),
    #[error("the delta adds entity {0}, which the base already holds")]
    DuplicateEntity(u32),
    #[error("entity {id} has kind {kind}, which the schema does not declare")]
    UnknownKind { id: u32, kind: u16 },
    #[error("{at}: mask {mask:#b} has bits beyond its {len} fields")]
    FieldOutOfRange { at: At, mask: u32, len: usize },
    #[error("{at}: {got} values where {expected} are needed")]
    ValueCount { at: At, expected: usize, got: usize },
    #[error("{at} field `{field}`: {fault}")]
    Value { at: At, field: String, fault: ValueFault },
    #[error("the view would hold more than 2^32 values")]
    TooLarge,
}

impl Delta {
    pub fn new() -> Self {
        Self::default()
    }

    /// Clear for reuse, keeping the allocations.
    pub fn clear(&mut self) {
        self.added.clear();
        self.changed.clear();
        self.removed.clear();
        self.globals_mask = 0;
        self.globals_offset = 0;
        self.values.clear();
        self.arena.clear();
    }

    /// True when nothing changed. The server still sends such a delta: it carries the tick
    /// and the acks.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.globals_mask == 0
    }

    /// Ids of removed entities, ascending.
    pub fn removed(&self) -> &[u32] {
        &self.removed
    }

    /// Added entities, ascending by id: `(id, kind index, values)`.
    pub fn added(&self) -> impl ExactSizeIterator<Item = (u32, usize, Values<'_>)> + '_ {
        self.added.iter().map(move |a| {
            (a.id, usize::from(a.kind), Values { delta: self, offset: a.offset, len: a.len })
        })
    }

    /// Changed entities, ascending by id: `(id, mask, values of the set bits)`.
    pub fn changed(&self) -> impl ExactSizeIterator<Item = (u32, u32, Values<'_>)> + '_ {
        self.changed.iter().map(move |c| {
            (c.id, c.mask, Values { delta: self, offset: c.offset, len: c.mask.count_ones() })
        })
    }

    /// Mask of the changed globals (0 when none changed) and their values.
    pub fn globals(&self) -> (u32, Values<'_>) {
        let len = self.globals_mask.count_ones();
        (self.globals_mask, Values { delta: self, offset: self.globals_offset, len })
    }

    pub(crate) fn vals(&self, offset: u32, len: u32) -> &[Val] {
        let start = (offset as usize).min(self.values.len());
        let end = (offset as usize + len as usize).min(self.values.len());
        &self.values[start..end]
    }

    pub(crate) fn push_entity(&mut self, layout: &Layout, store: &Store, h: &Header) {
        let f = layout.kind(KindId(h.kind));
        let offset = self.values.len() as u32;
        for (i, slot) in store.entity_slots(h, f.len()).iter().enumerate() {
            let v = if h.hidden & (1 << i) != 0 {
                Val::Nil
            } else {
                Val::from_slot(f.ty(i), *slot, &store.arena, &mut self.arena)
            };
            self.values.push(v);
        }
        self.added.push(Added { id: h.id, kind: h.kind, offset, len: f.len() as u32 });
    }
}

impl PartialEq for Delta {
    fn eq(&self, o: &Delta) -> bool {
        let same = |a: &[Val], b: &[Val]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| match (x, y) {
                    (Val::Str(..), Val::Str(..)) => x.get(&self.arena) == y.get(&o.arena),
                    _ => x == y,
                })
        };
        self.removed == o.removed
            && self.globals_mask == o.globals_mask
            && same(
                self.vals(self.globals_offset, self.globals_mask.count_ones()),
                o.vals(o.globals_offset, o.globals_mask.count_ones()),
            )
            && self.added.len() == o.added.len()
            && self.added.iter().zip(&o.added).all(|(x, y)| {
                (x.id, x.kind, x.len) == (y.id, y.kind, y.len)
                    && same(self.vals(x.offset, x.len), o.vals(y.offset, y.len))
            })
            && self.changed.len() == o.changed.len()
            && self.changed.iter().zip(&o.changed).all(|(x, y)| {
                let n = x.mask.count_ones();
                (x.id, x.mask) == (y.id, y.mask)
                    && same(self.vals(x.offset, n), o.vals(y.offset, n))
            })
    }
}

impl Eq for Delta {}

/// A run of values inside a [`Delta`].
#[derive(Clone, Copy)]
pub struct Values<'a> {
    delta: &'a Delta,
    offset: u32,
    len: u32,
}

impl<'a> Values<'a> {
    pub fn len(&self) -> usize {
        self.delta.vals(self.offset, self.len).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = ValueRef<'a>> + 'a {
        let d = self.delta;
        d.vals(self.offset, self.len).iter().map(move |v| v.get(&d.arena))
    }
}

impl std::fmt::Debug for Values<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The mask of fields that differ, pushing the new values (or `Nil` for hidden) to `out`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn diff_fields(
    f: &Fields,
    a: &[u64],
    a_hidden: u32,
    a_arena: &[u8],
    b: &[u64],
    b_hidden: u32,
    b_arena: &[u8],
    out: &mut Delta,
) -> u32 {
    // Most entities of most ticks: no strings, nothing hidden changed, a memcmp.
    if a_hidden == b_hidden && f.str_mask == 0 && a == b {
        return 0;
    }
    let mut mask = 0;
    for i in 0..f.len() {
        let bit = 1u32 << i;
        let now_hidden = b_hidden & bit != 0;
        let changed = if (a_hidden ^ b_hidden) & bit != 0 {
            true
        } else if now_hidden {
            false
        } else if f.str_mask & bit != 0 {
            str_bytes(a_arena, a[i]) != str_bytes(b_arena, b[i])
        } else {
            a[i] != b[i]
        };
        if changed {
            mask |= bit;
            let v = if now_hidden {
                Val::Nil
            } else {
                Val::from_slot(f.ty(i), b[i], b_arena, &mut out.arena)
            };
            out.values.push(v);
        }
    }
    mask
}

fn same_layout(a: &Arc<Layout>, b: &Arc<Layout>) {
    assert!(Arc::ptr_eq(a, b) || a == b, "views of different schemas cannot be diffed");
}

impl View {
    /// Write into `out` what changed from `self` (the base) to `next`. One merge pass; no
    /// allocation beyond `out`'s growth. Both views must have the same layout.
    pub fn diff_into(&self, next: &View, out: &mut Delta) {
        self.assert_finished();
        next.assert_finished();
        same_layout(&self.layout, &next.layout);
        out.clear();
        let layout = &*next.layout;
        let (sa, sb) = (&self.live, &next.live);
        let g = layout.globals();
        out.globals_offset = 0;
        out.globals_mask =
            diff_fields(g, &sa.globals, 0, &sa.arena, &sb.globals, 0, &sb.arena, out);
        let (a, b) = (&sa.headers, &sb.headers);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (x, y) = (&a[i], &b[j]);
            if x.id == y.id {
                if x.kind != y.kind {
                    out.removed.push(x.id);
                    out.push_entity(layout, sb, y);
                } else {
                    let f = layout.kind(KindId(y.kind));
                    let n = f.len();
                    let offset = out.values.len() as u32;
                    let (xs, ys) = (sa.entity_slots(x, n), sb.entity_slots(y, n));
                    let mask =
                        diff_fields(f, xs, x.hidden, &sa.arena, ys, y.hidden, &sb.arena, out);
                    if mask != 0 {
                        out.changed.push(Changed { id: y.id, mask, offset });
                    }
                }
                i += 1;
                j += 1;
            } else if x.id < y.id {
                out.removed.push(x.id);
                i += 1;
            } else {
                out.push_entity(layout, sb, y);
                j += 1;
            }
        }
        out.removed.extend(a[i..].iter().map(|h| h.id));
        for y in &b[j..] {
            out.push_entity(layout, sb, y);
        }
    }

    /// The delta from `self` to `next`.
    pub fn diff(&self, next: &View) -> Delta {
        let mut d = Delta::default();
        self.diff_into(next, &mut d);
        d
    }

    /// This view as a snapshot: every entity added, every global set (what
    /// [`super::decode_snapshot`] yields for the encoded snapshot of this view).
    pub fn snapshot_into(&self, out: &mut Delta) {
        self.assert_finished();
        out.clear();
        let g = self.layout.globals();
        out.globals_mask = g.full_mask();
        for (i, slot) in self.live.globals.iter().enumerate() {
            let v = Val::from_slot(g.ty(i), *slot, &self.live.arena, &mut out.arena);
            out.values.push(v);
        }
        for h in &self.live.headers {
            out.push_entity(&self.layout, &self.live, h);
        }
    }
}
