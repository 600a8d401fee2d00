//! The packed, typed view of a lobby at one tick.
//!
//! A [`View`] is what one audience sees: entities sorted by id, each a 16-byte header (id,
//! kind, offset of its first slot, mask of hidden fields) plus one 8-byte slot per field in a
//! single `Vec<u64>`, strings in one byte arena, and the globals' slots. The server fills it
//! every tick from the game ([`View::push`] serializes a flat struct straight into slots,
//! checked against the kind as it goes), diffs it against the view last sent, and encodes
//! it; a client holds one and applies decoded deltas to it. [`View::clear`] keeps every
//! buffer's capacity, so a view reused tick after tick allocates nothing in steady state.
//!
//! A game pushes entities in any order and calls [`View::finish`], which sorts the headers
//! (slots stay where they were written) and refuses a repeated id. Reading, diffing,
//! projecting and encoding a view that was pushed to and not finished is a bug in the
//! caller and panics.

use super::layout::{Fields, KindId, Layout};
use super::value::{ValueFault, ValueRef, slot_ref, str_bytes};
use super::write::{WriteError, write_struct, write_values};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Where a value belongs, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    Entity { id: u32, kind: String },
    Globals,
    Event(String),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Entity { id, kind } => write!(f, "entity {id} ({kind})"),
            At::Globals => f.write_str("globals"),
            At::Event(e) => write!(f, "event `{e}`"),
        }
    }
}

/// Why the game's view (or event) does not fit the schema. The server fails the lobby on
/// any of these (`lobby_failed`): they are bugs in the game, never caused by a client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ViewError {
    #[error("entity {id}: kind {kind} is not in the schema")]
    UnknownKind { id: u32, kind: String },
    #[error("{at}: the schema declares {expected} fields, the value has {got}")]
    FieldCount { at: At, expected: usize, got: usize },
    #[error("{at}: field {index} is `{expected}` in the schema, but `{got}` in the value")]
    FieldName { at: At, index: usize, expected: String, got: String },
    #[error("{at} field `{field}`: {fault}")]
    Value { at: At, field: String, fault: ValueFault },
    #[error("{at}: {what} is not a flat struct")]
    Shape { at: At, what: String },
    #[error("{at} field `{field}` was skipped (skip_serializing_if is not supported)")]
    Skipped { at: At, field: String },
    #[error("{at}: {message}")]
    Custom { at: At, message: String },
    #[error("entity {id} ({kind}) is in the view twice")]
    DuplicateId { id: u32, kind: String },
    #[error("the view holds more than 2^32 values")]
    TooLarge,
}

impl ViewError {
    pub(crate) fn from_write(e: WriteError, at: At, fields: &Fields) -> ViewError {
        match e {
            WriteError::Count { got } => ViewError::FieldCount { at, expected: fields.len(), got },
            WriteError::Name { index, got } => ViewError::FieldName {
                at,
                index,
                expected: fields.name(index).to_owned(),
                got: got.to_owned(),
            },
            WriteError::Value { index, fault } => {
                ViewError::Value { at, field: fields.name(index).to_owned(), fault }
            }
            WriteError::Shape { what } => ViewError::Shape { at, what },
            WriteError::Skipped { field } => ViewError::Skipped { at, field: field.to_owned() },
            WriteError::Custom(message) => ViewError::Custom { at, message },
            WriteError::Fault(fault) => ViewError::Value { at, field: String::new(), fault },
        }
    }
}

/// One entity's header. `offset` indexes the view's slots; the field count is the kind's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) id: u32,
    pub(crate) kind: u16,
    pub(crate) offset: u32,
    /// Bit `i` set: field `i` is hidden from this view's audience (its slot is 0).
    pub(crate) hidden: u32,
}

/// The buffers of a view. Kept apart from [`View`] so that `apply` can build the next state
/// in a spare set and swap, leaving the view untouched on error without allocating.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    pub(crate) headers: Vec<Header>,
    pub(crate) slots: Vec<u64>,
    pub(crate) arena: Vec<u8>,
    pub(crate) globals: Vec<u64>,
}

impl Store {
    pub(crate) fn clear(&mut self, globals: usize) {
        self.headers.clear();
        self.slots.clear();
        self.arena.clear();
        self.globals.clear();
        // Every type's zero (false, 0, 0.0, "") is the all-zero slot.
        self.globals.resize(globals, 0);
    }

    pub(crate) fn entity_slots(&self, h: &Header, n: usize) -> &[u64] {
        &self.slots[h.offset as usize..h.offset as usize + n]
    }
}

/// The view of one audience at one tick; see the module doc.
pub struct View {
    pub(crate) layout: Arc<Layout>,
    pub(crate) live: Store,
    /// Scratch for [`View::apply`]; never observable.
    pub(crate) spare: Store,
    /// False after a push out of id order, until [`View::finish`].
    pub(crate) sorted: bool,
}

impl View {
    /// An empty view (no entities, every global at its zero value).
    pub fn new(layout: Arc<Layout>) -> Self {
        let mut live = Store::default();
        live.clear(layout.globals().len());
        View { layout, live, spare: Store::default(), sorted: true }
    }

    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// Empty the view for the next tick, keeping every allocation. Globals return to their
    /// zero values (a game writes them every tick).
    pub fn clear(&mut self) {
        self.live.clear(self.layout.globals().len());
        self.sorted = true;
    }

    /// Make this view a copy of `other`, reusing this view's buffers: a server keeps the
    /// views of recent ticks this way without allocating once its ring is full.
    pub fn copy_from(&mut self, other: &View) {
        if !Arc::ptr_eq(&self.layout, &other.layout) {
            self.layout = other.layout.clone();
        }
        self.live.headers.clone_from(&other.live.headers);
        self.live.slots.clone_from(&other.live.slots);
        self.live.arena.clone_from(&other.live.arena);
        self.live.globals.clone_from(&other.live.globals);
        self.sorted = other.sorted;
    }

    /// Write entity `id` of `kind` from a flat struct whose fields are the kind's, in order.
    /// On error the view is as before the call.
    pub fn push<T: Serialize + ?Sized>(
        &mut self,
        id: u32,
        kind: KindId,
        value: &T,
    ) -> Result<(), ViewError> {
        self.push_with(id, kind, |fields, slots, arena| write_struct(fields, slots, arena, value))
    }

    /// [`View::push`] with the kind given by name (a binary search over the kinds).
    pub fn push_named<T: Serialize + ?Sized>(
        &mut self,
        id: u32,
        kind: &str,
        value: &T,
    ) -> Result<(), ViewError> {
        let Some(k) = self.layout.kind_id(kind) else {
            return Err(ViewError::UnknownKind { id, kind: kind.to_owned() });
        };
        self.push(id, k, value)
    }

    /// Write an entity from dynamic values (tools, replays, tests), with the same checks.
    pub fn push_values(
        &mut self,
        id: u32,
        kind: KindId,
        values: &[ValueRef<'_>],
    ) -> Result<(), ViewError> {
        self.push_with(id, kind, |fields, slots, arena| write_values(fields, slots, arena, values))
    }

    fn push_with(
        &mut self,
        id: u32,
        kind: KindId,
        write: impl FnOnce(&Fields, &mut Vec<u64>, &mut Vec<u8>) -> Result<(), WriteError>,
    ) -> Result<(), ViewError> {
        if kind.index() >= self.layout.kind_count() {
            return Err(ViewError::UnknownKind { id, kind: format!("#{}", kind.index()) });
        }
        let (slots0, arena0) = (self.live.slots.len(), self.live.arena.len());
        let offset = u32::try_from(slots0).map_err(|_| ViewError::TooLarge)?;
        let fields = self.layout.kind(kind);
        if let Err(e) = write(fields, &mut self.live.slots, &mut self.live.arena) {
            self.live.slots.truncate(slots0);
            self.live.arena.truncate(arena0);
            let at = At::Entity { id, kind: self.layout.kind_name(kind).to_owned() };
            return Err(ViewError::from_write(e, at, fields));
        }
        if self.live.headers.last().is_some_and(|h| h.id >= id) {
            self.sorted = false;
        }
        self.live.headers.push(Header { id, kind: kind.0, offset, hidden: 0 });
        Ok(())
    }

    /// Write the globals from a flat struct whose fields are the schema's globals. On error
    /// the globals are back at their zero values.
    pub fn set_globals<T: Serialize + ?Sized>(&mut self, globals: &T) -> Result<(), ViewError> {
        self.globals_with(|fields, slots, arena| write_struct(fields, slots, arena, globals))
    }

    /// Write the globals from dynamic values, with the same checks.
    pub fn set_global_values(&mut self, values: &[ValueRef<'_>]) -> Result<(), ViewError> {
        self.globals_with(|fields, slots, arena| write_values(fields, slots, arena, values))
    }

    fn globals_with(
        &mut self,
        write: impl FnOnce(&Fields, &mut Vec<u64>, &mut Vec<u8>) -> Result<(), WriteError>,
    ) -> Result<(), ViewError> {
        let fields = self.layout.globals();
        self.live.globals.clear();
        let r = write(fields, &mut self.live.globals, &mut self.live.arena);
        if let Err(e) = r {
            self.live.globals.clear();
            self.live.globals.resize(fields.len(), 0);
            return Err(ViewError::from_write(e, At::Globals, fields));
        }
        Ok(())
    }

    /// Sort the entities by id after pushing; refuses a repeated id. Games that push in id
    /// order pay only the check done while pushing.
    pub fn finish(&mut self) -> Result<(), ViewError> {
        if !self.sorted {
            self.live.headers.sort_unstable_by_key(|h| h.id);
            if let Some(w) = self.live.headers.windows(2).find(|w| w[0].id == w[1].id) {
                let kind = self.layout.kind_name(KindId(w[1].kind)).to_owned();
                return Err(ViewError::DuplicateId { id: w[0].id, kind });
            }
            self.sorted = true;
        }
        Ok(())
    }

    pub(crate) fn assert_finished(&self) {
        assert!(self.sorted, "View::finish must be called after pushing entities");
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.live.headers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.headers.is_empty()
    }

    /// The entities in id order.
    pub fn entities(&self) -> impl ExactSizeIterator<Item = EntityRef<'_>> + '_ {
        self.assert_finished();
        self.live.headers.iter().map(move |h| self.entity(h))
    }

    /// The entity with this id.
    pub fn get(&self, id: u32) -> Option<EntityRef<'_>> {
        self.assert_finished();
        let i = self.live.headers.binary_search_by_key(&id, |h| h.id).ok()?;
        Some(self.entity(&self.live.headers[i]))
    }

    pub(crate) fn entity<'a>(&'a self, h: &'a Header) -> EntityRef<'a> {
        EntityRef { layout: &self.layout, h, store: &self.live }
    }

    /// Global `i`.
    pub fn global(&self, i: usize) -> Option<ValueRef<'_>> {
        let g = self.layout.globals();
        let slot = *self.live.globals.get(i)?;
        Some(slot_ref(g.ty(i), slot, &self.live.arena))
    }

    /// A global by name (a linear scan).
    pub fn global_named(&self, name: &str) -> Option<ValueRef<'_>> {
        self.global(self.layout.globals().index_of(name)?)
    }

    /// The globals in schema order.
    pub fn globals(&self) -> impl ExactSizeIterator<Item = ValueRef<'_>> + '_ {
        let g = self.layout.globals();
        self.live
            .globals
            .iter()
            .enumerate()
            .map(move |(i, s)| slot_ref(g.ty(i), *s, &self.live.arena))
    }
}

/// One entity of a view.
#[derive(Clone, Copy)]
pub struct EntityRef<'a> {
    layout: &'a Layout,
    h: &'a Header,
    store: &'a Store,
}

impl<'a> EntityRef<'a> {
    pub fn id(&self) -> u32 {
        self.h.id
    }

    pub fn kind(&self) -> KindId {
        KindId(self.h.kind)
    }

    pub fn kind_name(&self) -> &'a str {
        self.layout.kind_name(self.kind())
    }

    /// The kind's fields (names, types, privacy masks).
    pub fn fields(&self) -> &'a Fields {
        self.layout.kind(self.kind())
    }

    /// Mask of the fields hidden from this view's audience.
    pub fn hidden(&self) -> u32 {
        self.h.hidden
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields().len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    /// Field `i`: `Nil` when hidden, `None` past the last field.
    pub fn get(&self, i: usize) -> Option<ValueRef<'a>> {
        let f = self.fields();
        if i >= f.len() {
            return None;
        }
        if self.h.hidden & (1 << i) != 0 {
            return Some(ValueRef::Nil);
        }
        Some(slot_ref(f.ty(i), self.store.slots[self.h.offset as usize + i], &self.store.arena))
    }

    /// A field by name (a linear scan over the kind's fields).
    pub fn field(&self, name: &str) -> Option<ValueRef<'a>> {
        self.get(self.fields().index_of(name)?)
    }

    /// The values in schema order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = ValueRef<'a>> + 'a {
        let me = *self;
        (0..me.len()).map(move |i| me.get(i).unwrap_or(ValueRef::Nil))
    }
}

impl fmt::Debug for EntityRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = self.fields();
        let mut m = f.debug_struct("Entity");
        m.field("id", &self.id()).field("kind", &self.kind_name());
        for (i, v) in self.values().enumerate() {
            m.field(fields.name(i), &v);
        }
        m.finish()
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let globals: Vec<_> = self.globals().collect();
        f.debug_struct("View")
            .field("globals", &globals)
            .field(
                "entities",
                &self.live.headers.iter().map(|h| self.entity(h)).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Clone for View {
    fn clone(&self) -> Self {
        View {
            layout: self.layout.clone(),
            live: self.live.clone(),
            spare: Store::default(),
            sorted: self.sorted,
        }
    }
}

/// Same layout, same entities (id, kind, hidden mask) and the same visible values. Floats
/// compare by bits and strings by content, exactly as the diff decides "changed".
impl PartialEq for View {
    fn eq(&self, other: &View) -> bool {
        if !(Arc::ptr_eq(&self.layout, &other.layout) || self.layout == other.layout) {
            return false;
        }
        let (a, b) = (&self.live, &other.live);
        let g = self.layout.globals();
        if !fields_equal(g, &a.globals, 0, &a.arena, &b.globals, 0, &b.arena) {
            return false;
        }
        a.headers.len() == b.headers.len()
            && a.headers.iter().zip(&b.headers).all(|(x, y)| {
                let f = self.layout.kind(KindId(x.kind));
                x.id == y.id
                    && x.kind == y.kind
                    && x.hidden == y.hidden
                    && fields_equal(
                        f,
                        a.entity_slots(x, f.len()),
                        x.hidden,
                        &a.arena,
                        b.entity_slots(y, f.len()),
                        y.hidden,
                        &b.arena,
                    )
            })
    }
}

/// Whether two value lists of `fields` are equal, skipping hidden fields.
pub(crate) fn fields_equal(
    fields: &Fields,
    a: &[u64],
    hidden: u32,
    a_arena: &[u8],
    b: &[u64],
    _: u32,
    b_arena: &[u8],
) -> bool {
    (0..fields.len()).all(|i| {
        let bit = 1u32 << i;
        if hidden & bit != 0 {
            true
        } else if fields.str_mask & bit != 0 {
            str_bytes(a_arena, a[i]) == str_bytes(b_arena, b[i])
        } else {
            a[i] == b[i]
        }
    })
}
