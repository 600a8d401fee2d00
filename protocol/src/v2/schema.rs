//! The wire form of a game's schema (`match_found.schema`) and the rules it must follow.
//!
//! One schema, declared by the game, drives everything: clients learn from it what the state
//! messages mean, the server validates inputs and command arguments against it, and the
//! server checks the game's own view and events against it. These types are exactly the
//! MessagePack map sent to clients, so a third-party client can decode them with any
//! MessagePack library; [`Schema::validate`] enforces the rules the rest of this module relies
//! on (names, counts, limits that make sense for their type).

use serde::{Deserialize, Serialize};
use std::fmt;

/// At most this many fields per kind, globals, input, command args or event: the change mask
/// of a delta is a `u32` with one bit per field.
pub const MAX_FIELDS: usize = 32;
/// At most this many kinds, commands and events each (kind indices travel as small ints).
pub const MAX_ITEMS: usize = 64;
/// Longest name of a kind, field, command or event, in bytes.
pub const MAX_NAME_LEN: usize = 32;
/// `max_len` of a `str` field that declares none, in bytes.
pub const DEFAULT_MAX_LEN: u32 = 64;
/// Largest `max_len` a `str` field may declare, in bytes: strings are for names and labels,
/// not payloads, and a bound keeps every view's size predictable.
pub const MAX_STR_LEN: u32 = 1024;
/// Input field names that would collide with the keys of the `input` message itself.
pub const RESERVED_INPUT_NAMES: [&str; 3] = ["type", "seq", "tick"];

/// The type of a value (state field, global, input field, command argument, event field).
/// On the wire: `"bool"`, `"i32"`, `"i64"`, `"f32"`, `"f64"`, `"str"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Bool,
    /// Encoded as the smallest MessagePack int; values fit `i32`.
    I32,
    /// Encoded as the smallest MessagePack int. JavaScript reads it exactly only below 2^53.
    I64,
    /// Encoded as MessagePack float32.
    F32,
    /// Encoded as MessagePack float64.
    F64,
    /// UTF-8, at most `max_len` bytes.
    Str,
}

impl FieldType {
    /// The wire name, e.g. `"i32"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Bool => "bool",
            FieldType::I32 => "i32",
            FieldType::I64 => "i64",
            FieldType::F32 => "f32",
            FieldType::F64 => "f64",
            FieldType::Str => "str",
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, FieldType::I32 | FieldType::I64)
    }

    pub fn is_float(self) -> bool {
        matches!(self, FieldType::F32 | FieldType::F64)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bound (`min`/`max`): an integer for integer fields, a number for float fields.
/// Serialized untagged, so `0` and `-1.0` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

macro_rules! number_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Number {
            fn from(x: $t) -> Self {
                Number::$v(x.into())
            }
        }
    )*};
}
number_from!(i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => Int, u16 => Int, u32 => Int,
    f32 => Float, f64 => Float);

/// The value an omitted input field or command argument takes (`default` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// Who may see a private field (issue 16). Others receive `nil` in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    /// Only the player that owns the entity.
    Owner,
    /// The players of the owner's team.
    Team,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One field. Optional members are omitted from the wire when unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSchema {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Smallest allowed value (numeric fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Number>,
    /// Largest allowed value (numeric fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Number>,
    /// Float input fields and arguments only: a value beyond `min`/`max` is clamped into the
    /// range instead of refused (joystick axes overshoot; refusing them would drop inputs).
    #[serde(default, skip_serializing_if = "is_false")]
    pub clamp: bool,
    /// `str` fields: the longest value in bytes ([`DEFAULT_MAX_LEN`] when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u32>,
    /// State fields only: who sees the value; others see `nil`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<Privacy>,
    /// Input fields and command arguments only: the value when the client omits the field
    /// (absent means 0, false or "").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Scalar>,
}

impl FieldSchema {
    /// A field with no limits.
    pub fn new(name: impl Into<String>, ty: FieldType) -> Self {
        FieldSchema {
            name: name.into(),
            ty,
            min: None,
            max: None,
            clamp: false,
            max_len: None,
            private: None,
            default: None,
        }
    }

    /// The effective `max_len` of a `str` field.
    pub fn max_len_or_default(&self) -> u32 {
        self.max_len.unwrap_or(DEFAULT_MAX_LEN)
    }
}

/// An entity kind: its name and fields in order (an entity's values are in this order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindSchema {
    pub kind: String,
    #[serde(default)]
    pub fields: Vec<FieldSchema>,
}

/// A command the client may send, with its typed arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandSchema {
    pub name: String,
    #[serde(default)]
    pub args: Vec<FieldSchema>,
}

/// An event the game may emit, with its typed data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSchema {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldSchema>,
}

/// The whole schema, as sent in `match_found.schema`. Unknown keys are ignored when decoding,
/// so a later server may add members without breaking older clients.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Entity kinds; an entity's `kind` on the wire is an index into this list.
    #[serde(default)]
    pub kinds: Vec<KindSchema>,
    /// Lobby-wide values (round, turn, time left) without inventing an entity.
    #[serde(default)]
    pub globals: Vec<FieldSchema>,
    /// The fields of the `input` message, at its top level.
    #[serde(default)]
    pub input: Vec<FieldSchema>,
    #[serde(default)]
    pub commands: Vec<CommandSchema>,
    #[serde(default)]
    pub events: Vec<EventSchema>,
}

/// Which list of fields an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Kind(String),
    Globals,
    Input,
    Command(String),
    Event(String),
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Kind(k) => write!(f, "kind `{k}`"),
            Part::Globals => f.write_str("globals"),
            Part::Input => f.write_str("input"),
            Part::Command(c) => write!(f, "command `{c}` args"),
            Part::Event(e) => write!(f, "event `{e}`"),
        }
    }
}

/// What a name names, for [`SchemaError::BadName`] and [`SchemaError::Duplicate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Kind,
    Command,
    Event,
    Field(Part),
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Kind => f.write_str("kind"),
            Item::Command => f.write_str("command"),
            Item::Event => f.write_str("event"),
            Item::Field(p) => write!(f, "field of {p}"),
        }
    }
}

/// What is wrong with one field's limits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldProblem {
    #[error("max_len applies to str fields only")]
    MaxLenNotStr,
    #[error("max_len {0} is outside 1..={MAX_STR_LEN}")]
    MaxLenRange(u32),
    #[error("min/max apply to numeric fields only")]
    BoundsNotNumeric,
    #[error("bound {0} is not an integer that fits the field's type")]
    BoundNotInteger(Number),
    #[error("bound {0} is not a finite number")]
    BoundNotFinite(Number),
    #[error("min {min} is above max {max}")]
    MinAboveMax { min: Number, max: Number },
    #[error("range {min}..={max} is wider than the Rust type allows ({lo}..={hi})")]
    WiderThanType { min: Number, max: Number, lo: Number, hi: Number },
    #[error("clamp applies to float input fields and command args with a min or max")]
    Clamp,
    #[error("private applies to entity fields only")]
    PrivateOutsideKind,
    #[error("default applies to input fields and command args only")]
    DefaultOutsideInput,
    #[error("default {0:?} does not have the field's type")]
    DefaultWrongType(Scalar),
    #[error("default {0:?} is outside min/max or over max_len")]
    DefaultOutOfRange(Scalar),
}

/// Why a schema was refused. Every variant names the offending item.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "{item} name {name:?} is invalid: names match [a-z][a-z0-9_]* and have 1 to {MAX_NAME_LEN} bytes"
    )]
    BadName { item: Item, name: String },
    #[error("{item} name {name:?} is used twice")]
    Duplicate { item: Item, name: String },
    #[error(
        "input field name {0:?} is reserved (type, seq and tick are keys of the input message)"
    )]
    ReservedInputName(String),
    #[error("{part} has {count} fields; at most {MAX_FIELDS} are allowed")]
    TooManyFields { part: Part, count: usize },
    #[error("{count} {what}; at most {MAX_ITEMS} are allowed")]
    TooMany { what: &'static str, count: usize },
    #[error("{part} field `{field}`: {problem}")]
    BadField { part: Part, field: String, problem: FieldProblem },
    #[error("{part} has no field `{field}` (a limit names a field the type does not have)")]
    NoSuchField { part: Part, field: String },
    #[error("{part}: {error}")]
    Trace { part: Part, error: super::trace::TraceError },
}

/// `[a-z][a-z0-9_]*`, 1 to [`MAX_NAME_LEN`] bytes: safe as a JavaScript property, a Python
/// identifier and a log field, and the same in every client.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Where in the schema a list of fields sits: decides which limits are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Entity fields: may be private.
    State,
    /// Globals and event data: written by the game, checked, never hidden.
    Output,
    /// Input fields and command arguments: written by clients, may clamp and have defaults.
    Client,
}

impl Schema {
    /// Check every rule of the schema (see the module doc and PROTOCOL.md §6.4). The server refuses to
    /// register a game whose schema fails, so clients never see an invalid one.
    pub fn validate(&self) -> Result<(), SchemaError> {
        count("kinds", self.kinds.len())?;
        count("commands", self.commands.len())?;
        count("events", self.events.len())?;
        names(Item::Kind, self.kinds.iter().map(|k| k.kind.as_str()))?;
        names(Item::Command, self.commands.iter().map(|c| c.name.as_str()))?;
        names(Item::Event, self.events.iter().map(|e| e.name.as_str()))?;
        for k in &self.kinds {
            fields(Part::Kind(k.kind.clone()), &k.fields, Role::State)?;
        }
        fields(Part::Globals, &self.globals, Role::Output)?;
        if let Some(f) = self.input.iter().find(|f| RESERVED_INPUT_NAMES.contains(&f.name.as_str()))
        {
            return Err(SchemaError::ReservedInputName(f.name.clone()));
        }
        fields(Part::Input, &self.input, Role::Client)?;
        for c in &self.commands {
            fields(Part::Command(c.name.clone()), &c.args, Role::Client)?;
        }
        for e in &self.events {
            fields(Part::Event(e.name.clone()), &e.fields, Role::Output)?;
        }
        Ok(())
    }
}

fn count(what: &'static str, count: usize) -> Result<(), SchemaError> {
    if count > MAX_ITEMS { Err(SchemaError::TooMany { what, count }) } else { Ok(()) }
}

fn names<'a>(item: Item, it: impl Iterator<Item = &'a str> + Clone) -> Result<(), SchemaError> {
    for (i, name) in it.clone().enumerate() {
        if !valid_name(name) {
            return Err(SchemaError::BadName { item, name: name.to_owned() });
        }
        // Lists are at most 64 long: a quadratic check is cheaper than a set.
        if it.clone().take(i).any(|n| n == name) {
            return Err(SchemaError::Duplicate { item, name: name.to_owned() });
        }
    }
    Ok(())
}

fn fields(part: Part, fs: &[FieldSchema], role: Role) -> Result<(), SchemaError> {
    if fs.len() > MAX_FIELDS {
        return Err(SchemaError::TooManyFields { part, count: fs.len() });
    }
    names(Item::Field(part.clone()), fs.iter().map(|f| f.name.as_str()))?;
    for f in fs {
        field(f, role).map_err(|problem| SchemaError::BadField {
            part: part.clone(),
            field: f.name.clone(),
            problem,
        })?;
    }
    Ok(())
}

/// The integer range a type can hold, as bounds are compared in `i64`.
pub(crate) fn int_type_range(ty: FieldType) -> (i64, i64) {
    match ty {
        FieldType::I32 => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

fn field(f: &FieldSchema, role: Role) -> Result<(), FieldProblem> {
    if let Some(n) = f.max_len {
        if f.ty != FieldType::Str {
            return Err(FieldProblem::MaxLenNotStr);
        }
        if n == 0 || n > MAX_STR_LEN {
            return Err(FieldProblem::MaxLenRange(n));
        }
    }
    if f.min.is_some() || f.max.is_some() {
        if !(f.ty.is_int() || f.ty.is_float()) {
            return Err(FieldProblem::BoundsNotNumeric);
        }
        for b in [f.min, f.max].into_iter().flatten() {
            check_bound(f.ty, b)?;
        }
        if let (Some(lo), Some(hi)) = (f.min, f.max) {
            let above = match (lo, hi) {
                (Number::Int(a), Number::Int(b)) => a > b,
                _ => lo.as_f64() > hi.as_f64(),
            };
            if above {
                return Err(FieldProblem::MinAboveMax { min: lo, max: hi });
            }
        }
    }
    if f.clamp && (role != Role::Client || !f.ty.is_float() || (f.min.is_none() && f.max.is_none()))
    {
        return Err(FieldProblem::Clamp);
    }
    if f.private.is_some() && role != Role::State {
        return Err(FieldProblem::PrivateOutsideKind);
    }
    if let Some(d) = &f.default {
        if role != Role::Client {
            return Err(FieldProblem::DefaultOutsideInput);
        }
        check_default(f, d)?;
    }
    Ok(())
}

fn check_bound(ty: FieldType, b: Number) -> Result<(), FieldProblem> {
    match (ty.is_int(), b) {
        (true, Number::Int(i)) => {
            let (lo, hi) = int_type_range(ty);
            if i < lo || i > hi { Err(FieldProblem::BoundNotInteger(b)) } else { Ok(()) }
        }
        (true, Number::Float(_)) => Err(FieldProblem::BoundNotInteger(b)),
        (false, _) if !b.as_f64().is_finite() => Err(FieldProblem::BoundNotFinite(b)),
        (false, _) => Ok(()),
    }
}

fn check_default(f: &FieldSchema, d: &Scalar) -> Result<(), FieldProblem> {
    let out = || FieldProblem::DefaultOutOfRange(d.clone());
    let below = |x: f64| f.min.is_some_and(|m| x < m.as_f64());
    let above = |x: f64| f.max.is_some_and(|m| x > m.as_f64());
    match (f.ty, d) {
        (FieldType::Bool, Scalar::Bool(_)) => Ok(()),
        (FieldType::Str, Scalar::Str(s)) if s.len() > f.max_len_or_default() as usize => Err(out()),
        (FieldType::Str, Scalar::Str(_)) => Ok(()),
        (t, Scalar::Int(i)) if t.is_int() => {
            let (lo, hi) = int_type_range(t);
            let lo = match f.min {
                Some(Number::Int(m)) => m,
                _ => lo,
            };
            let hi = match f.max {
                Some(Number::Int(m)) => m,
                _ => hi,
            };
            if *i < lo || *i > hi { Err(out()) } else { Ok(()) }
        }
        (t, Scalar::Int(i)) if t.is_float() => {
            if below(*i as f64) || above(*i as f64) {
                Err(out())
            } else {
                Ok(())
            }
        }
        (t, Scalar::Float(x)) if t.is_float() => {
            let beyond_f32 = t == FieldType::F32 && !(*x as f32).is_finite();
            if !x.is_finite() || below(*x) || above(*x) || beyond_f32 { Err(out()) } else { Ok(()) }
        }
        _ => Err(FieldProblem::DefaultWrongType(d.clone())),
    }
}

#[cfg(test)]
mod tests;
