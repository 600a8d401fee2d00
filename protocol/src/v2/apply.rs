//! Applying a [`Delta`] (or a decoded snapshot) to a client's [`View`], checked against the
//! schema: unknown or duplicate entities, unknown kinds, mask bits beyond a kind's fields,
//! value counts, types, ranges, string lengths, and `nil` only for private fields. The next
//! state is built in the view's spare buffers and swapped in, so on error the view is
//! unchanged and in steady state nothing is allocated.

use super::delta::{Delta, StateError};
use super::layout::{Fields, KindId, Layout, full_mask};
use super::value::{Val, ValueFault, ValueRef, copy_slot, store};
use super::view::{At, Header, Store, View};

impl View {
    /// Apply a delta in place; on error the view is unchanged. See the module doc for the
    /// checks.
    pub fn apply(&mut self, delta: &Delta) -> Result<(), StateError> {
        self.apply_inner(delta, false)
    }

    /// Replace the view by a decoded snapshot (which must set every global); on error the
    /// view is unchanged.
    pub fn apply_snapshot(&mut self, snapshot: &Delta) -> Result<(), StateError> {
        self.apply_inner(snapshot, true)
    }

    fn apply_inner(&mut self, d: &Delta, snapshot: bool) -> Result<(), StateError> {
        self.assert_finished();
        let mut dst = std::mem::take(&mut self.spare);
        dst.clear(0);
        let r = build(&self.layout, &self.live, snapshot, d, &mut dst);
        match r {
            Ok(()) => {
                self.spare = std::mem::replace(&mut self.live, dst);
                Ok(())
            }
            Err(e) => {
                self.spare = dst;
                Err(e)
            }
        }
    }
}

fn at_entity(layout: &Layout, id: u32, kind: u16) -> At {
    At::Entity { id, kind: layout.kind_name(KindId(kind)).to_owned() }
}

/// Write `f.len()` slots into `slots`: changed fields (bits of `mask`) from `vals`, the others
/// from `base` (with `base_hidden`). Returns the new hidden mask.
#[allow(clippy::too_many_arguments)]
fn merge_fields(
    f: &Fields,
    at: impl Fn() -> At,
    base: Option<(&[u64], u32, &[u8])>,
    mask: u32,
    vals: &[Val],
    d_arena: &[u8],
    slots: &mut Vec<u64>,
    arena: &mut Vec<u8>,
) -> Result<u32, StateError> {
    let n = f.len();
    if mask & !full_mask(n) != 0 {
        return Err(StateError::FieldOutOfRange { at: at(), mask, len: n });
    }
    let want = mask.count_ones() as usize;
    if vals.len() != want {
        return Err(StateError::ValueCount { at: at(), expected: want, got: vals.len() });
    }
    let mut hidden = 0u32;
    let mut next = vals.iter();
    for i in 0..n {
        let bit = 1u32 << i;
        let slot = if mask & bit != 0 {
            let v = next.next().map_or(ValueRef::Nil, |v| v.get(d_arena));
            if v.is_nil() {
                if f.hideable_mask() & bit == 0 {
                    let field = f.name(i).to_owned();
                    return Err(StateError::Value {
                        at: at(),
                        field,
                        fault: ValueFault::NotPrivate,
                    });
                }
                hidden |= bit;
                0
            } else {
                store(&f.specs[i], v, arena).map_err(|fault| StateError::Value {
                    at: at(),
                    field: f.name(i).to_owned(),
                    fault,
                })?
            }
        } else {
            match base {
                Some((s, h, a)) if h & bit == 0 => copy_slot(f.ty(i), s[i], a, arena),
                Some(_) => {
                    hidden |= bit;
                    0
                }
                None => 0,
            }
        };
        slots.push(slot);
    }
    Ok(hidden)
}

/// Build `base + d` into `dst` (a cleared store).
fn build(
    layout: &Layout,
    live: &Store,
    snapshot: bool,
    d: &Delta,
    dst: &mut Store,
) -> Result<(), StateError> {
    let g = layout.globals();
    let gvals = d.vals(d.globals_offset, d.globals_mask.count_ones());
    if snapshot && d.globals_mask != g.full_mask() {
        let got = d.globals_mask.count_ones() as usize;
        return Err(StateError::ValueCount { at: At::Globals, expected: g.len(), got });
    }
    let base = (!snapshot).then_some((&live.globals[..], 0, &live.arena[..]));
    merge_fields(
        g,
        || At::Globals,
        base,
        d.globals_mask,
        gvals,
        &d.arena,
        &mut dst.globals,
        &mut dst.arena,
    )?;

    let empty: &[Header] = &[];
    let base = if snapshot { empty } else { &live.headers[..] };
    let (removed, changed, added) = (&d.removed, &d.changed, &d.added);
    let (mut i, mut r, mut c, mut a) = (0, 0, 0, 0);
    loop {
        let bid = base.get(i).map(|h| h.id);
        let aid = added.get(a).map(|x| x.id);
        let cur = match (bid, aid) {
            (None, None) => break,
            (Some(x), None) | (None, Some(x)) => x,
            (Some(x), Some(y)) => x.min(y),
        };
        // Anything removed or changed below `cur` names an entity the base does not hold.
        if let Some(&rid) = removed.get(r).filter(|&&rid| rid < cur) {
            return Err(StateError::UnknownEntity(rid));
        }
        if let Some(ch) = changed.get(c).filter(|ch| ch.id < cur) {
            return Err(StateError::UnknownEntity(ch.id));
        }
        let change_here = changed.get(c).filter(|ch| ch.id == cur).copied();
        if bid == Some(cur) {
            let h = base[i];
            i += 1;
            if removed.get(r) == Some(&cur) {
                r += 1;
                if change_here.is_some() {
                    return Err(StateError::UnknownEntity(cur));
                }
            } else {
                if aid == Some(cur) {
                    return Err(StateError::DuplicateEntity(cur));
                }
                if change_here.is_some() {
                    c += 1;
                }
                let (mask, vals) = match change_here {
                    Some(ch) => (ch.mask, d.vals(ch.offset, ch.mask.count_ones())),
                    None => (0, &[][..]),
                };
                let f = layout.kind(KindId(h.kind));
                let offset = u32::try_from(dst.slots.len()).map_err(|_| StateError::TooLarge)?;
                let src = Some((live.entity_slots(&h, f.len()), h.hidden, &live.arena[..]));
                let at = || at_entity(layout, h.id, h.kind);
                let hidden =
                    merge_fields(f, at, src, mask, vals, &d.arena, &mut dst.slots, &mut dst.arena)?;
                dst.headers.push(Header { id: h.id, kind: h.kind, offset, hidden });
                continue;
            }
        } else if removed.get(r) == Some(&cur) || change_here.is_some() {
            // `cur` is only being added: removing or changing it names an unknown entity.
            return Err(StateError::UnknownEntity(cur));
        }
        if aid == Some(cur) {
            let x = added[a];
            a += 1;
            if layout.kind_at(usize::from(x.kind)).is_none() {
                return Err(StateError::UnknownKind { id: x.id, kind: x.kind });
            }
            let f = layout.kind(KindId(x.kind));
            let at = || at_entity(layout, x.id, x.kind);
            if x.len as usize != f.len() {
                return Err(StateError::ValueCount {
                    at: at(),
                    expected: f.len(),
                    got: x.len as usize,
                });
            }
            let offset = u32::try_from(dst.slots.len()).map_err(|_| StateError::TooLarge)?;
            let vals = d.vals(x.offset, x.len);
            let all = f.full_mask();
            let hidden =
                merge_fields(f, at, None, all, vals, &d.arena, &mut dst.slots, &mut dst.arena)?;
            dst.headers.push(Header { id: x.id, kind: x.kind, offset, hidden });
        }
    }
    if let Some(&rid) = removed.get(r) {
        return Err(StateError::UnknownEntity(rid));
    }
    if let Some(ch) = changed.get(c) {
        return Err(StateError::UnknownEntity(ch.id));
    }
    Ok(())
}
