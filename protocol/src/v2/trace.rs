//! The schema tracer: the fields of a flat struct, read from `T::default()` by serializing it.
//!
//! A studio declares its state, input, command arguments and events as plain Rust structs
//! with `#[derive(Serialize, Default)]`. Serializing the default value through [`Tracer`]
//! yields the field names in order with their [`FieldType`] (the table of v2-design.md §2),
//! so the schema can never drift from the types the game actually uses. Narrow integer types
//! carry their natural range into the schema (`u8` is an `i32` field with `min: 0, max: 255`),
//! so a value the server accepts always fits the game's type when deserialized.
//!
//! Refused, with an error naming the struct, the field and what was found: `u64`, `i128`,
//! `char`, bytes, `Option`, nested structs, sequences, maps, enums, and
//! `#[serde(skip_serializing_if)]` (a field must always be present to have a slot).

use super::schema::{DEFAULT_MAX_LEN, FieldSchema, FieldType, Number, Scalar};
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// Why a type cannot be traced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{ty}`{}: {found} is not supported (a flat struct of bool, i8..i64, u8..u32, f32, f64 and strings is)", .field.map(|f| format!(" field `{f}`")).unwrap_or_default())]
pub struct TraceError {
    /// The Rust type being traced (`std::any::type_name`).
    pub ty: &'static str,
    /// The field, when the problem is one field.
    pub field: Option<&'static str>,
    /// What was found instead, e.g. `u64 (use i64 or u32)`, `nested struct Vec2`.
    pub found: String,
}

/// The fields of `T`, in declaration order, with types and natural integer ranges; `str`
/// fields get `max_len` [`DEFAULT_MAX_LEN`]. No `default` is recorded (see
/// [`trace_fields_with_defaults`]).
pub fn trace_fields<T: Serialize + Default>() -> Result<Vec<FieldSchema>, TraceError> {
    trace(&T::default(), std::any::type_name::<T>(), false)
}

/// As [`trace_fields`], and each field's `default` is its value in `T::default()`: what an
/// omitted input field or command argument becomes, the same value serde's
/// `#[serde(default)]` would give the game.
pub fn trace_fields_with_defaults<T: Serialize + Default>() -> Result<Vec<FieldSchema>, TraceError>
{
    trace(&T::default(), std::any::type_name::<T>(), true)
}

/// Trace a value (normally `T::default()`). `ty` names the type in errors.
pub fn trace<T: Serialize + ?Sized>(
    value: &T,
    ty: &'static str,
    defaults: bool,
) -> Result<Vec<FieldSchema>, TraceError> {
    let mut t = Tracer { defaults, fields: Vec::new() };
    value.serialize(&mut t).map_err(|e| e.into_trace(ty))?;
    Ok(t.fields)
}

/// Serializes a flat struct and records its fields.
struct Tracer {
    defaults: bool,
    fields: Vec<FieldSchema>,
}

/// The serde error of the tracer; turned into [`TraceError`] with the type's name.
#[derive(Debug)]
enum Err {
    Found { field: Option<&'static str>, found: String },
    Custom(String),
}

impl Err {
    fn into_trace(self, ty: &'static str) -> TraceError {
        match self {
            Err::Found { field, found } => TraceError { ty, field, found },
            Err::Custom(m) => TraceError { ty, field: None, found: format!("an error ({m})") },
        }
    }
}

impl fmt::Display for Err {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Err::Found { found, .. } => f.write_str(found),
            Err::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Err {}

impl ser::Error for Err {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Err::Custom(msg.to_string())
    }
}

fn top(found: impl Into<String>) -> Err {
    Err::Found { field: None, found: found.into() }
}

macro_rules! refuse_top {
    ($($f:ident($($a:ty),*) => $what:expr;)*) => {$(
        fn $f(self, $(_: $a),*) -> Result<Self::Ok, Err> {
            Err(top(concat!("a top-level ", $what, " (a struct is expected)")))
        }
    )*};
}

impl ser::Serializer for &mut Tracer {
    type Ok = ();
    type Error = Err;
    type SerializeSeq = Impossible<(), Err>;
    type SerializeTuple = Impossible<(), Err>;
    type SerializeTupleStruct = Impossible<(), Err>;
    type SerializeTupleVariant = Impossible<(), Err>;
    type SerializeMap = Impossible<(), Err>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Err>;

    refuse_top! {
        serialize_bool(bool) => "bool";
        serialize_i8(i8) => "integer";
        serialize_i16(i16) => "integer";
        serialize_i32(i32) => "integer";
        serialize_i64(i64) => "integer";
        serialize_u8(u8) => "integer";
        serialize_u16(u16) => "integer";
        serialize_u32(u32) => "integer";
        serialize_u64(u64) => "integer";
        serialize_f32(f32) => "float";
        serialize_f64(f64) => "float";
        serialize_char(char) => "char";
        serialize_str(&str) => "string";
        serialize_bytes(&[u8]) => "byte string";
        serialize_none() => "Option";
        serialize_unit_variant(&'static str, u32, &'static str) => "enum";
    }

    /// `()`: no fields (a command without arguments, an event without data).
    fn serialize_unit(self) -> Result<(), Err> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Err> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), Err> {
        Err(top("a top-level Option (a struct is expected)"))
    }

    /// A newtype around the struct is transparent.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Err> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Err> {
        Err(top("a top-level enum (a struct is expected)"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Err> {
        Err(top("a top-level sequence (a struct is expected)"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Err> {
        Err(top("a top-level tuple (a struct with named fields is expected)"))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Err> {
        Err(top(format!("tuple struct {name} (a struct with named fields is expected)")))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Err> {
        Err(top("a top-level enum (a struct is expected)"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Err> {
        Err(top("a map or #[serde(flatten)] (a flat struct is expected)"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Err> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Err> {
        Err(top("a top-level enum (a struct is expected)"))
    }
}

impl ser::SerializeStruct for &mut Tracer {
    type Ok = ();
    type Error = Err;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Err> {
        let traced = value
            .serialize(FieldTracer)
            .map_err(|e| Err::Found { field: Some(key), found: e.to_string() })?;
        let mut f = FieldSchema::new(key, traced.ty);
        if let Some((lo, hi)) = traced.range {
            f.min = Some(Number::Int(lo));
            f.max = Some(Number::Int(hi));
        }
        if traced.ty == FieldType::Str {
            f.max_len = Some(DEFAULT_MAX_LEN);
        }
        if self.defaults {
            f.default = Some(traced.default);
        }
        self.fields.push(f);
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Err> {
        Err(Err::Found {
            field: Some(key),
            found: "#[serde(skip_serializing_if)] (a field must always be present)".into(),
        })
    }

    fn end(self) -> Result<(), Err> {
        Ok(())
    }
}

/// What one field traced to.
struct Traced {
    ty: FieldType,
    default: Scalar,
    /// The natural range of a narrow integer type.
    range: Option<(i64, i64)>,
}

/// Serializes one field's value; any non-primitive is an error describing it.
struct FieldTracer;

fn int(ty: FieldType, v: i64, range: Option<(i64, i64)>) -> Result<Traced, Err> {
    Ok(Traced { ty, default: Scalar::Int(v), range })
}

fn found(what: impl Into<String>) -> Err {
    top(what)
}

impl ser::Serializer for FieldTracer {
    type Ok = Traced;
    type Error = Err;
    type SerializeSeq = Impossible<Traced, Err>;
    type SerializeTuple = Impossible<Traced, Err>;
    type SerializeTupleStruct = Impossible<Traced, Err>;
    type SerializeTupleVariant = Impossible<Traced, Err>;
    type SerializeMap = Impossible<Traced, Err>;
    type SerializeStruct = Impossible<Traced, Err>;
    type SerializeStructVariant = Impossible<Traced, Err>;

    fn serialize_bool(self, v: bool) -> Result<Traced, Err> {
        Ok(Traced { ty: FieldType::Bool, default: Scalar::Bool(v), range: None })
    }
    fn serialize_i8(self, v: i8) -> Result<Traced, Err> {
        int(FieldType::I32, v.into(), Some((i8::MIN.into(), i8::MAX.into())))
    }
    fn serialize_i16(self, v: i16) -> Result<Traced, Err> {
        int(FieldType::I32, v.into(), Some((i16::MIN.into(), i16::MAX.into())))
    }
    fn serialize_i32(self, v: i32) -> Result<Traced, Err> {
        int(FieldType::I32, v.into(), None)
    }
    fn serialize_i64(self, v: i64) -> Result<Traced, Err> {
        int(FieldType::I64, v, None)
    }
    fn serialize_u8(self, v: u8) -> Result<Traced, Err> {
        int(FieldType::I32, v.into(), Some((0, u8::MAX.into())))
    }
    fn serialize_u16(self, v: u16) -> Result<Traced, Err> {
        int(FieldType::I32, v.into(), Some((0, u16::MAX.into())))
    }
    fn serialize_u32(self, v: u32) -> Result<Traced, Err> {
        int(FieldType::I64, v.into(), Some((0, u32::MAX.into())))
    }
    fn serialize_u64(self, _: u64) -> Result<Traced, Err> {
        Err(found("u64 (use i64, or u32 for ids)"))
    }
    fn serialize_i128(self, _: i128) -> Result<Traced, Err> {
        Err(found("i128 (use i64)"))
    }
    fn serialize_u128(self, _: u128) -> Result<Traced, Err> {
        Err(found("u128 (use i64)"))
    }
    fn serialize_f32(self, v: f32) -> Result<Traced, Err> {
        Ok(Traced { ty: FieldType::F32, default: Scalar::Float(v.into()), range: None })
    }
    fn serialize_f64(self, v: f64) -> Result<Traced, Err> {
        Ok(Traced { ty: FieldType::F64, default: Scalar::Float(v), range: None })
    }
    fn serialize_char(self, _: char) -> Result<Traced, Err> {
        Err(found("char (use String)"))
    }
    fn serialize_str(self, v: &str) -> Result<Traced, Err> {
        Ok(Traced { ty: FieldType::Str, default: Scalar::Str(v.to_owned()), range: None })
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Traced, Err> {
        Err(found("a byte string"))
    }
    fn serialize_none(self) -> Result<Traced, Err> {
        Err(found("Option (state fields always have a value)"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Traced, Err> {
        Err(found("Option (state fields always have a value)"))
    }
    fn serialize_unit(self) -> Result<Traced, Err> {
        Err(found("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<Traced, Err> {
        Err(found(format!("unit struct {name}")))
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Traced, Err> {
        Err(found(format!("enum {name}")))
    }
    /// A newtype (`struct Meters(i32)`) is its inner value.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Traced, Err> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Traced, Err> {
        Err(found(format!("enum {name}")))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Err> {
        Err(found("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Err> {
        Err(found("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Err> {
        Err(found(format!("tuple struct {name}")))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Err> {
        Err(found(format!("enum {name}")))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Err> {
        Err(found("a map"))
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct, Err> {
        Err(found(format!("nested struct {name}")))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Err> {
        Err(found(format!("enum {name}")))
    }
}

#[cfg(test)]
mod tests;
