//! The compiled schema: what the hot paths consult instead of the wire form.
//!
//! [`Layout::new`] validates a [`Schema`] once and turns each list of fields into a
//! [`Fields`]: per field a [`FieldSpec`] with its bounds resolved (an `i32` field's range is
//! the declared range intersected with `i32`), bit masks of the `str` and private fields, and
//! the default slots of input fields and arguments. Writers, the diff, the encoders and the
//! input decoder then index fields by position; no name is looked up per field and nothing is
//! hashed. Kinds, commands and events are found by name through a sorted index (at most 64
//! names, so a binary search of a few string compares).

use super::build::zero;
use super::schema::{
    FieldSchema, FieldType, Number, Privacy, Scalar, Schema, SchemaError, int_type_range,
};
use super::value::{ValueRef, store};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One field, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldSpec {
    pub(crate) ty: FieldType,
    /// Integer fields: the inclusive range (type range intersected with min/max).
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    /// Float fields: the inclusive range (infinite when not declared).
    pub(crate) flo: f64,
    pub(crate) fhi: f64,
    pub(crate) clamp: bool,
    pub(crate) max_len: u32,
    pub(crate) private: Option<Privacy>,
}

impl FieldSpec {
    pub(crate) fn new(f: &FieldSchema) -> Self {
        let (mut lo, mut hi) = int_type_range(f.ty);
        if let Some(Number::Int(m)) = f.min {
            lo = lo.max(m);
        }
        if let Some(Number::Int(m)) = f.max {
            hi = hi.min(m);
        }
        FieldSpec {
            ty: f.ty,
            lo,
            hi,
            flo: f.min.map_or(f64::NEG_INFINITY, Number::as_f64),
            fhi: f.max.map_or(f64::INFINITY, Number::as_f64),
            clamp: f.clamp,
            max_len: f.max_len_or_default(),
            private: f.private,
        }
    }
}

/// The fields of one kind, the globals, the input, a command's arguments or an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    names: Vec<String>,
    pub(crate) specs: Vec<FieldSpec>,
    /// Bit `i` set: field `i` is a `str` (compared by bytes, copied between arenas).
    pub(crate) str_mask: u32,
    owner_mask: u32,
    team_mask: u32,
    /// The slot an omitted field takes (input and arguments), strings in `default_arena`.
    pub(crate) default_slots: Vec<u64>,
    pub(crate) default_arena: Vec<u8>,
    /// Per field, the address of the last `&'static str` key that matched its name.
    seen_keys: Vec<KeyCache>,
}

/// The address of a serde field key (always a `&'static str`) already found equal to a
/// field's name. A key at the same address with the same length is the same bytes, so the
/// writer skips the byte comparison for every push of a type after its first: the name
/// check stays exact and costs a load and a compare. Relaxed ordering is enough: a stale
/// value only means one more byte comparison.
#[derive(Debug, Default)]
struct KeyCache(AtomicUsize);

impl Clone for KeyCache {
    fn clone(&self) -> Self {
        KeyCache(AtomicUsize::new(self.0.load(Ordering::Relaxed)))
    }
}

/// A cache never makes two field lists differ.
impl PartialEq for KeyCache {
    fn eq(&self, _: &KeyCache) -> bool {
        true
    }
}

impl Fields {
    fn new(fs: &[FieldSchema]) -> Self {
        let specs: Vec<FieldSpec> = fs.iter().map(FieldSpec::new).collect();
        let mask = |pred: &dyn Fn(&FieldSpec) -> bool| {
            specs.iter().enumerate().filter(|(_, s)| pred(s)).fold(0u32, |m, (i, _)| m | 1 << i)
        };
        let str_mask = mask(&|s| s.ty == FieldType::Str);
        let owner_mask = mask(&|s| s.private == Some(Privacy::Owner));
        let team_mask = mask(&|s| s.private == Some(Privacy::Team));
        let mut default_arena = Vec::new();
        let default_slots = fs
            .iter()
            .zip(&specs)
            .map(|(f, spec)| {
                let d = f.default.clone().unwrap_or_else(|| zero(f.ty));
                let v = match (&d, f.ty) {
                    (Scalar::Bool(b), _) => ValueRef::Bool(*b),
                    (Scalar::Int(i), FieldType::F32) => ValueRef::F32(*i as f32),
                    (Scalar::Int(i), FieldType::F64) => ValueRef::F64(*i as f64),
                    (Scalar::Int(i), _) => ValueRef::Int(*i),
                    (Scalar::Float(x), FieldType::F32) => ValueRef::F32(*x as f32),
                    (Scalar::Float(x), _) => ValueRef::F64(*x),
                    (Scalar::Str(s), _) => ValueRef::Str(s),
                };
                // Schema::validate checked the default against the field.
                store(spec, v, &mut default_arena).unwrap_or(0)
            })
            .collect();
        Fields {
            names: fs.iter().map(|f| f.name.clone()).collect(),
            specs,
            str_mask,
            owner_mask,
            team_mask,
            default_slots,
            default_arena,
            seen_keys: fs.iter().map(|_| KeyCache::default()).collect(),
        }
    }

    /// Whether the serde key of field `i` is its name.
    #[inline]
    pub(crate) fn key_matches(&self, i: usize, key: &'static str) -> bool {
        let name = &self.names[i];
        if key.len() != name.len() {
            return false;
        }
        let cache = &self.seen_keys[i].0;
        if cache.load(Ordering::Relaxed) == key.as_ptr() as usize {
            return true;
        }
        let same = key == name;
        if same {
            cache.store(key.as_ptr() as usize, Ordering::Relaxed);
        }
        same
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Name of field `i`.
    #[inline]
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Type of field `i`.
    #[inline]
    pub fn ty(&self, i: usize) -> FieldType {
        self.specs[i].ty
    }

    /// Position of a field by name (a linear scan: for tools and tests, not per value).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The mask of the fields private to `p`: the bits a per-player projection may hide.
    pub fn private_mask(&self, p: Privacy) -> u32 {
        match p {
            Privacy::Owner => self.owner_mask,
            Privacy::Team => self.team_mask,
        }
    }

    /// The mask of every private field, whatever the audience.
    pub fn hideable_mask(&self) -> u32 {
        self.owner_mask | self.team_mask
    }

    /// All bits of the fields (`len` ones).
    pub fn full_mask(&self) -> u32 {
        full_mask(self.len())
    }
}

pub(crate) fn full_mask(n: usize) -> u32 {
    if n >= 32 { u32::MAX } else { (1u32 << n) - 1 }
}

/// A named item (kind, command, event) with its fields.
#[derive(Debug, Clone, PartialEq)]
struct Named {
    name: String,
    fields: Fields,
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) u16);

        impl $name {
            /// Position in the schema's list (the index used on the wire).
            pub fn index(self) -> usize {
                usize::from(self.0)
            }
        }
    };
}

id_type!(
    /// An entity kind: its index in `schema.kinds`, which is its number on the wire.
    KindId
);
id_type!(
    /// A command: its index in `schema.commands`.
    CommandId
);
id_type!(
    /// An event: its index in `schema.events`.
    EventId
);

/// A validated, compiled [`Schema`]. Shared (behind an `Arc`) by every view of a lobby.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    schema: Schema,
    kinds: Vec<Named>,
    kind_order: Vec<u16>,
    globals: Fields,
    input: Fields,
    commands: Vec<Named>,
    command_order: Vec<u16>,
    events: Vec<Named>,
    event_order: Vec<u16>,
}

fn order(items: &[Named]) -> Vec<u16> {
    let mut o: Vec<u16> = (0..items.len() as u16).collect();
    o.sort_unstable_by(|a, b| items[usize::from(*a)].name.cmp(&items[usize::from(*b)].name));
    o
}

fn find(items: &[Named], order: &[u16], name: &str) -> Option<u16> {
    order
        .binary_search_by(|i| items[usize::from(*i)].name.as_str().cmp(name))
        .ok()
        .map(|p| order[p])
}

impl Layout {
    /// Validate and compile.
    pub fn new(schema: Schema) -> Result<Self, SchemaError> {
        schema.validate()?;
        let named =
            |name: &str, fs: &[FieldSchema]| Named { name: name.into(), fields: Fields::new(fs) };
        let kinds: Vec<Named> = schema.kinds.iter().map(|k| named(&k.kind, &k.fields)).collect();
        let commands: Vec<Named> =
            schema.commands.iter().map(|c| named(&c.name, &c.args)).collect();
        let events: Vec<Named> = schema.events.iter().map(|e| named(&e.name, &e.fields)).collect();
        Ok(Layout {
            kind_order: order(&kinds),
            command_order: order(&commands),
            event_order: order(&events),
            globals: Fields::new(&schema.globals),
            input: Fields::new(&schema.input),
            kinds,
            commands,
            events,
            schema,
        })
    }

    /// The wire form, for `match_found.schema`.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn kind_count(&self) -> usize {
        self.kinds.len()
    }

    /// A kind by name.
    pub fn kind_id(&self, name: &str) -> Option<KindId> {
        find(&self.kinds, &self.kind_order, name).map(KindId)
    }

    /// A kind by its wire index.
    pub fn kind_at(&self, index: usize) -> Option<KindId> {
        (index < self.kinds.len()).then_some(KindId(index as u16))
    }

    pub fn kind_name(&self, k: KindId) -> &str {
        &self.kinds[k.index()].name
    }

    pub fn kind(&self, k: KindId) -> &Fields {
        &self.kinds[k.index()].fields
    }

    pub fn globals(&self) -> &Fields {
        &self.globals
    }

    pub fn input(&self) -> &Fields {
        &self.input
    }

    pub fn command_count(&self) -> usize {
        self.commands.len()
    }

    pub fn command_id(&self, name: &str) -> Option<CommandId> {
        find(&self.commands, &self.command_order, name).map(CommandId)
    }

    pub fn command_name(&self, c: CommandId) -> &str {
        &self.commands[c.index()].name
    }

    /// A command's arguments.
    pub fn command_args(&self, c: CommandId) -> &Fields {
        &self.commands[c.index()].fields
    }

    /// Every command, in schema order (e.g. to check at registration that the game's
    /// command type accepts each with default arguments).
    pub fn command_ids(&self) -> impl Iterator<Item = CommandId> + '_ {
        (0..self.commands.len() as u16).map(CommandId)
    }

    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    pub fn event_id(&self, name: &str) -> Option<EventId> {
        find(&self.events, &self.event_order, name).map(EventId)
    }

    pub fn event_name(&self, e: EventId) -> &str {
        &self.events[e.index()].name
    }

    pub fn event_fields(&self, e: EventId) -> &Fields {
        &self.events[e.index()].fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::schema::{CommandSchema, KindSchema};

    #[test]
    fn lookups_by_name_and_index() {
        let kinds = ["zeta", "alpha", "mid"]
            .iter()
            .map(|k| KindSchema { kind: (*k).into(), fields: vec![] })
            .collect();
        let commands = vec![
            CommandSchema { name: "drop".into(), args: vec![] },
            CommandSchema { name: "buy".into(), args: vec![] },
        ];
        let l = Layout::new(Schema { kinds, commands, ..Schema::default() }).unwrap();
        assert_eq!(l.kind_id("zeta"), Some(KindId(0)));
        assert_eq!(l.kind_id("alpha"), Some(KindId(1)));
        assert_eq!(l.kind_id("mid"), Some(KindId(2)));
        assert_eq!(l.kind_id("nope"), None);
        assert_eq!(l.kind_at(2), Some(KindId(2)));
        assert_eq!(l.kind_at(3), None);
        assert_eq!(l.command_id("buy"), Some(CommandId(1)));
        assert_eq!(l.command_name(CommandId(0)), "drop");
        assert_eq!(l.event_id("x"), None);
    }

    #[test]
    fn specs_resolve_bounds_masks_and_defaults() {
        let mut a = FieldSchema::new("a", FieldType::I32);
        a.min = Some(Number::Int(-3));
        let mut s = FieldSchema::new("s", FieldType::Str);
        s.private = Some(Privacy::Team);
        s.default = Some(Scalar::Str("hi".into()));
        let mut f = FieldSchema::new("f", FieldType::F32);
        f.private = Some(Privacy::Owner);
        f.default = Some(Scalar::Int(2));
        let fields = Fields::new(&[a, s, f]);
        assert_eq!((fields.specs[0].lo, fields.specs[0].hi), (-3, i32::MAX.into()));
        assert_eq!(fields.str_mask, 0b010);
        assert_eq!(fields.private_mask(Privacy::Team), 0b010);
        assert_eq!(fields.private_mask(Privacy::Owner), 0b100);
        assert_eq!(fields.hideable_mask(), 0b110);
        assert_eq!(fields.default_slots[0], 0);
        assert_eq!(crate::v2::value::str_at(&fields.default_arena, fields.default_slots[1]), "hi");
        assert_eq!(fields.default_slots[2], u64::from(2.0f32.to_bits()));
        assert_eq!(fields.full_mask(), 0b111);
        assert_eq!(full_mask(32), u32::MAX);
        assert_eq!(full_mask(0), 0);
    }

    #[test]
    fn the_key_cache_never_accepts_another_name() {
        let fields = Fields::new(&[FieldSchema::new("x", FieldType::I32)]);
        static XY: &str = "xy";
        let x: &'static str = &XY[..1];
        assert!(fields.key_matches(0, x), "same bytes");
        assert!(fields.key_matches(0, x), "now from the cache");
        // The cached address with another length, and another name of the same length.
        assert!(!fields.key_matches(0, XY));
        assert!(!fields.key_matches(0, "y"));
        assert!(fields.key_matches(0, "x"), "equal bytes elsewhere still match");
    }

    #[test]
    fn an_invalid_schema_is_refused() {
        let s = Schema {
            kinds: vec![KindSchema { kind: "A".into(), fields: vec![] }],
            ..Schema::default()
        };
        assert!(Layout::new(s).is_err());
    }
}
