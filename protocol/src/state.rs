//! The visible state of a lobby and the deltas between two ticks.
//!
//! A game maps whatever it simulates onto *entities*: an id, a kind (an index into the schema
//! sent in `match_found`) and up to [`MAX_FIELDS`] integer fields. Integers keep the encoding
//! compact and exact (positions are fixed-point), and make "changed" a bitwise question, so the
//! delta of an entity is a bit mask plus the values of the set bits, as in naia's dirty masks.
//!
//! Everything here is pure: no clock, no I/O. The server diffs once per tick and encodes once;
//! clients (the bots, the tests, third-party code) apply the decoded deltas with [`WorldView::apply`].

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The most integer fields one entity may have (the change mask is a `u8`-sized set of bits).
pub const MAX_FIELDS: usize = 8;

/// One entity as a client sees it. Serialized as `[id, kind, [field, ...]]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Entity {
    /// Unique within the lobby; stable for the entity's life.
    pub id: u32,
    /// Index into the lobby's schema (`match_found.schema`).
    pub kind: u8,
    len: u8,
    fields: [i32; MAX_FIELDS],
}

impl Entity {
    /// Build an entity; panics when more than [`MAX_FIELDS`] fields are given, which is a bug
    /// in the game's view code, not something a peer can cause.
    pub fn new(id: u32, kind: u8, values: &[i32]) -> Self {
        assert!(values.len() <= MAX_FIELDS, "an entity has at most {MAX_FIELDS} fields");
        let mut fields = [0; MAX_FIELDS];
        fields[..values.len()].copy_from_slice(values);
        Entity { id, kind, len: values.len() as u8, fields }
    }

    /// The entity's field values, in schema order.
    pub fn fields(&self) -> &[i32] {
        &self.fields[..self.len as usize]
    }

    /// Field `i`, or 0 when the entity has fewer fields.
    pub fn field(&self, i: usize) -> i32 {
        self.fields().get(i).copied().unwrap_or(0)
    }
}

impl fmt::Debug for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entity({}, kind {}, {:?})", self.id, self.kind, self.fields())
    }
}

/// The changed fields of one entity: bit `i` of `mask` set means field `i` changed, and
/// `values` holds the new values of the set bits in ascending bit order.
/// Serialized as `[id, mask, [value, ...]]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: u32,
    pub mask: u8,
    len: u8,
    values: [i32; MAX_FIELDS],
}

impl Change {
    /// The new values of the changed fields, in ascending field order.
    pub fn values(&self) -> &[i32] {
        &self.values[..self.len as usize]
    }
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Change({}, mask {:#b}, {:?})", self.id, self.mask, self.values())
    }
}

/// Entities that appeared, changed or disappeared between two ticks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    pub added: Vec<Entity>,
    pub changed: Vec<Change>,
    pub removed: Vec<u32>,
}

impl Delta {
    /// True when nothing changed; the server still sends such a delta, because it carries the
    /// tick and the input acks.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// Clear for reuse without giving back the allocations.
    pub fn clear(&mut self) {
        self.added.clear();
        self.changed.clear();
        self.removed.clear();
    }
}

/// Why a delta could not be applied. A client that sees one must ask for (or wait for) a
/// snapshot; the server never sends a delta against a base the client does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("delta changes entity {0}, which the base does not hold")]
    UnknownEntity(u32),
    #[error("delta adds entity {0}, which the base already holds")]
    DuplicateEntity(u32),
    #[error("entity {id} changes field bits {mask:#b} but has only {len} fields")]
    FieldOutOfRange { id: u32, mask: u8, len: u8 },
    #[error("change of entity {id} has {got} values for mask {mask:#b}")]
    ValueCount { id: u32, mask: u8, got: usize },
    #[error("entities are not sorted by id or repeat an id")]
    Unsorted,
    #[error("entity id {0} appears more than once")]
    RepeatedId(u32),
    #[error("entity {id} has kind {kind}, which the schema does not have")]
    UnknownKind { id: u32, kind: u8 },
    #[error("entity {id} of kind {kind} has {got} fields; the schema gives that kind {want}")]
    FieldCount { id: u32, kind: u8, got: u8, want: u8 },
}

/// Everything the clients of a lobby can see at one tick: entities sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorldView {
    entities: Vec<Entity>,
}

impl WorldView {
    pub fn new() -> Self {
        Self::default()
    }

    /// Build from entities in any order; fails on a repeated id.
    pub fn from_entities(mut entities: Vec<Entity>) -> Result<Self, StateError> {
        entities.sort_unstable_by_key(|e| e.id);
        if entities.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(StateError::Unsorted);
        }
        Ok(WorldView { entities })
    }

    /// The entities, sorted by id.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    pub fn get(&self, id: u32) -> Option<&Entity> {
        self.entities.binary_search_by_key(&id, |e| e.id).ok().map(|i| &self.entities[i])
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// Start filling the view for a new tick, keeping the allocation.
    pub fn clear(&mut self) {
        self.entities.clear();
    }

    /// Add an entity while filling; call [`WorldView::finish`] when done.
    pub fn push(&mut self, e: Entity) {
        self.entities.push(e);
    }

    /// Sort after a fill. Games that push in id order pay only a linear check.
    pub fn finish(&mut self) -> Result<(), StateError> {
        if !self.entities.windows(2).all(|w| w[0].id < w[1].id) {
            self.entities.sort_unstable_by_key(|e| e.id);
            if let Some(w) = self.entities.windows(2).find(|w| w[0].id == w[1].id) {
                return Err(StateError::RepeatedId(w[0].id));
            }
        }
        Ok(())
    }

    /// [`WorldView::finish`], then check every entity against the schema the clients were
    /// given: `fields_per_kind[k]` is the number of fields of kind `k`. A view that fails is
    /// not something a client can apply correctly (an unknown kind, or fields that do not
    /// match their names), so the server must not send it. One pass, no allocation.
    pub fn finish_checked(&mut self, fields_per_kind: &[u8]) -> Result<(), StateError> {
        self.finish()?;
        for e in &self.entities {
            match fields_per_kind.get(usize::from(e.kind)) {
                None => return Err(StateError::UnknownKind { id: e.id, kind: e.kind }),
                Some(&want) if want != e.len => {
                    return Err(StateError::FieldCount {
                        id: e.id,
                        kind: e.kind,
                        got: e.len,
                        want,
                    });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Write into `out` what changed from `self` (the base) to `next`: one merge pass over the
    /// two sorted lists, no allocation beyond `out`'s growth.
    pub fn diff_into(&self, next: &WorldView, out: &mut Delta) {
        out.clear();
        let (a, b) = (&self.entities, &next.entities);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.id == y.id => {
                    if x.kind != y.kind || x.len != y.len {
                        // A changed shape is a replacement: remove then add under the same id.
                        out.removed.push(x.id);
                        out.added.push(*y);
                    } else if x.fields() != y.fields() {
                        let mut c = Change { id: y.id, mask: 0, len: 0, values: [0; MAX_FIELDS] };
                        for (k, (old, new)) in x.fields().iter().zip(y.fields()).enumerate() {
                            if old != new {
                                c.mask |= 1 << k;
                                c.values[c.len as usize] = *new;
                                c.len += 1;
                            }
                        }
                        out.changed.push(c);
                    }
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.id < y.id => {
                    out.removed.push(x.id);
                    i += 1;
                }
                (Some(_), Some(y)) => {
                    out.added.push(*y);
                    j += 1;
                }
                (Some(x), None) => {
                    out.removed.push(x.id);
                    i += 1;
                }
                (None, Some(y)) => {
                    out.added.push(*y);
                    j += 1;
                }
                (None, None) => unreachable!(),
            }
        }
    }

    /// The delta from `self` to `next`.
    pub fn diff(&self, next: &WorldView) -> Delta {
        let mut d = Delta::default();
        self.diff_into(next, &mut d);
        d
    }

    /// Apply a delta in place. On error the view is left unchanged.
    pub fn apply(&mut self, delta: &Delta) -> Result<(), StateError> {
        let mut next: Vec<Entity> = Vec::with_capacity(self.entities.len() + delta.added.len());
        let mut removed: Vec<u32> = delta.removed.clone();
        removed.sort_unstable();
        let mut changes: Vec<&Change> = delta.changed.iter().collect();
        changes.sort_unstable_by_key(|c| c.id);
        let mut ci = 0;
        for e in &self.entities {
            if removed.binary_search(&e.id).is_ok() {
                continue;
            }
            let mut e = *e;
            if let Some(c) = changes.get(ci).filter(|c| c.id == e.id) {
                ci += 1;
                if c.mask.count_ones() as usize != c.values().len() {
                    return Err(StateError::ValueCount {
                        id: c.id,
                        mask: c.mask,
                        got: c.values().len(),
                    });
                }
                if u32::from(c.mask) >> e.len != 0 {
                    return Err(StateError::FieldOutOfRange { id: c.id, mask: c.mask, len: e.len });
                }
                let mut vals = c.values().iter();
                for k in 0..e.len as usize {
                    if c.mask & (1 << k) != 0 {
                        e.fields[k] = *vals.next().expect("count checked above");
                    }
                }
            }
            next.push(e);
        }
        if let Some(c) = changes.get(ci) {
            return Err(StateError::UnknownEntity(c.id));
        }
        for id in &removed {
            if self.get(*id).is_none() {
                return Err(StateError::UnknownEntity(*id));
            }
        }
        for a in &delta.added {
            if self.get(a.id).is_some() && removed.binary_search(&a.id).is_err() {
                return Err(StateError::DuplicateEntity(a.id));
            }
        }
        next.extend_from_slice(&delta.added);
        next.sort_unstable_by_key(|e| e.id);
        if next.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(StateError::Unsorted);
        }
        self.entities = next;
        Ok(())
    }
}

impl Serialize for WorldView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entities.serialize(s)
    }
}

impl<'de> Deserialize<'de> for WorldView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entities = Vec::<Entity>::deserialize(d)?;
        WorldView::from_entities(entities).map_err(de::Error::custom)
    }
}

/// Serializes `[i32]` slices without allocating a Vec.
struct Values<'a>(&'a [i32]);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

/// Reads an array of at most [`MAX_FIELDS`] integers into a fixed buffer; more is an error,
/// so a peer cannot make a decoder allocate by claiming a long array.
struct ValuesVisitor;

impl<'de> Visitor<'de> for ValuesVisitor {
    type Value = (u8, [i32; MAX_FIELDS]);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of at most {MAX_FIELDS} integers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = [0; MAX_FIELDS];
        let mut n = 0usize;
        while let Some(v) = seq.next_element::<i32>()? {
            if n == MAX_FIELDS {
                return Err(de::Error::invalid_length(n + 1, &self));
            }
            out[n] = v;
            n += 1;
        }
        Ok((n as u8, out))
    }
}

struct FieldsDe((u8, [i32; MAX_FIELDS]));

impl<'de> Deserialize<'de> for FieldsDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ValuesVisitor).map(FieldsDe)
    }
}

impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.kind)?;
        t.serialize_element(&Values(self.fields()))?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (id, kind, FieldsDe((len, fields))) = <(u32, u8, FieldsDe)>::deserialize(d)?;
        Ok(Entity { id, kind, len, fields })
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.mask)?;
        t.serialize_element(&Values(self.values()))?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (id, mask, FieldsDe((len, values))) = <(u32, u8, FieldsDe)>::deserialize(d)?;
        if mask.count_ones() != u32::from(len) {
            return Err(de::Error::custom(format_args!(
                "change of entity {id}: mask {mask:#b} needs {} values, got {len}",
                mask.count_ones()
            )));
        }
        Ok(Change { id, mask, len, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn view(es: &[(u32, u8, &[i32])]) -> WorldView {
        WorldView::from_entities(es.iter().map(|(i, k, f)| Entity::new(*i, *k, f)).collect())
            .unwrap()
    }

    #[test]
    fn diff_reports_only_changed_fields() {
        let a = view(&[(1, 0, &[10, 20, 0]), (2, 1, &[5, 5]), (3, 1, &[7, 7])]);
        let b = view(&[(1, 0, &[11, 20, 1]), (3, 1, &[7, 7]), (9, 1, &[1, 2])]);
        let d = a.diff(&b);
        assert_eq!(d.removed, vec![2]);
        assert_eq!(d.added, vec![Entity::new(9, 1, &[1, 2])]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].mask, 0b101);
        assert_eq!(d.changed[0].values(), &[11, 1]);
        let mut c = a.clone();
        c.apply(&d).unwrap();
        assert_eq!(c, b);
    }

    #[test]
    fn apply_rejects_unknown_entity_and_leaves_view_intact() {
        let a = view(&[(1, 0, &[1])]);
        let b = view(&[(2, 0, &[1])]);
        let d = a.diff(&view(&[(1, 0, &[2])]));
        let mut x = b.clone();
        assert_eq!(x.apply(&d), Err(StateError::UnknownEntity(1)));
        assert_eq!(x, b);
    }

    #[test]
    fn finish_checked_refuses_repeated_ids_unknown_kinds_and_wrong_field_counts() {
        let fill = |es: &[(u32, u8, &[i32])]| {
            let mut v = WorldView::new();
            for (id, kind, f) in es {
                v.push(Entity::new(*id, *kind, f));
            }
            v
        };
        let schema = [2u8, 3];
        let mut ok = fill(&[(5, 1, &[1, 2, 3]), (2, 0, &[1, 2])]);
        assert_eq!(ok.finish_checked(&schema), Ok(()));
        assert_eq!(ok.entities().iter().map(|e| e.id).collect::<Vec<_>>(), [2, 5], "sorted");
        let mut v = fill(&[(5, 1, &[1, 2, 3]), (2, 0, &[1, 2]), (5, 0, &[1, 2])]);
        assert_eq!(v.finish_checked(&schema), Err(StateError::RepeatedId(5)));
        let mut v = fill(&[(2, 0, &[1, 2]), (7, 2, &[])]);
        assert_eq!(v.finish_checked(&schema), Err(StateError::UnknownKind { id: 7, kind: 2 }));
        let mut v = fill(&[(2, 0, &[1, 2]), (7, 1, &[1, 2])]);
        let want = StateError::FieldCount { id: 7, kind: 1, got: 2, want: 3 };
        assert_eq!(v.finish_checked(&schema), Err(want));
    }

    #[test]
    fn too_many_fields_is_a_decode_error() {
        let bytes = rmp_serde::to_vec(&(1u32, 0u8, vec![0i32; MAX_FIELDS + 1])).unwrap();
        assert!(rmp_serde::from_slice::<Entity>(&bytes).is_err());
    }

    #[test]
    fn mask_value_mismatch_is_a_decode_error() {
        let bytes = rmp_serde::to_vec(&(1u32, 0b11u8, vec![5i32])).unwrap();
        assert!(rmp_serde::from_slice::<Change>(&bytes).is_err());
    }

    fn arb_view() -> impl Strategy<Value = WorldView> {
        proptest::collection::btree_map(
            0u32..40,
            (0u8..3, proptest::collection::vec(-1000i32..1000, 0..=MAX_FIELDS)),
            0..24,
        )
        .prop_map(|m| {
            WorldView::from_entities(
                m.into_iter().map(|(id, (k, f))| Entity::new(id, k, &f)).collect(),
            )
            .unwrap()
        })
    }

    proptest! {
        /// Applying the delta from a to b onto a gives exactly b, also after a round trip
        /// through MessagePack.
        #[test]
        fn diff_then_apply_round_trips(a in arb_view(), b in arb_view()) {
            let d = a.diff(&b);
            let bytes = rmp_serde::to_vec(&(&d.added, &d.changed, &d.removed)).unwrap();
            let (added, changed, removed): (Vec<Entity>, Vec<Change>, Vec<u32>) =
                rmp_serde::from_slice(&bytes).unwrap();
            let mut x = a.clone();
            x.apply(&Delta { added, changed, removed }).unwrap();
            prop_assert_eq!(x, b);
        }
    }
}
