//! A `serde::Serializer` that writes a flat struct straight into 8-byte slots, checking each
//! field against the schema as it goes.
//!
//! This is how a game's `view.push(id, &PlayerState { .. })`, its globals and its events
//! reach the wire without an intermediate value tree: derive-generated `serialize` calls land
//! here, field by field, in declaration order. Each field's name is compared with the
//! schema's (a few bytes; it catches a struct pushed under the wrong kind), its value is
//! checked by [`store`] and becomes one slot, strings are appended to the arena. Nothing is
//! allocated unless a string arena must grow.

use super::layout::Fields;
use super::schema::FieldType;
use super::value::push_str;
use super::value::{ValueFault, ValueRef, store};
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// What went wrong while writing, before the caller adds where (entity, globals, event).
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The struct has a different number of fields than the schema.
    Count { got: usize },
    /// Field `index` is named `got` in the struct.
    Name { index: usize, got: &'static str },
    /// Field `index` has a value that does not fit.
    Value { index: usize, fault: ValueFault },
    /// Not a struct at all (or a flattened one).
    Shape { what: String },
    /// A field was skipped (`skip_serializing_if`).
    Skipped { field: &'static str },
    /// A `Serialize` impl reported its own error.
    Custom(String),
    /// A value-level problem inside one field, before the index is known.
    Fault(ValueFault),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WriteError::Custom(msg.to_string())
    }
}

/// Write `value` (a flat struct, or `()` when `fields` is empty) as `fields.len()` slots
/// appended to `slots`, strings to `arena`. On error the caller truncates both.
pub(crate) fn write_struct<T: Serialize + ?Sized>(
    fields: &Fields,
    slots: &mut Vec<u64>,
    arena: &mut Vec<u8>,
    value: &T,
) -> Result<(), WriteError> {
    let mut w = StructWriter { fields, slots, arena, next: 0 };
    value.serialize(&mut w)
}

/// Check dynamic values against `fields` (the same rules as [`write_struct`]).
pub(crate) fn write_values(
    fields: &Fields,
    slots: &mut Vec<u64>,
    arena: &mut Vec<u8>,
    values: &[ValueRef<'_>],
) -> Result<(), WriteError> {
    if values.len() != fields.len() {
        return Err(WriteError::Count { got: values.len() });
    }
    for (index, (spec, v)) in fields.specs.iter().zip(values).enumerate() {
        let slot = store(spec, *v, arena).map_err(|fault| WriteError::Value { index, fault })?;
        slots.push(slot);
    }
    Ok(())
}

struct StructWriter<'a> {
    fields: &'a Fields,
    slots: &'a mut Vec<u64>,
    arena: &'a mut Vec<u8>,
    next: usize,
}

fn shape<T>(what: &str) -> Result<T, WriteError> {
    Err(WriteError::Shape { what: what.to_owned() })
}

macro_rules! not_a_struct {
    ($($f:ident($($a:ty),*) => $what:expr;)*) => {$(
        fn $f(self, $(_: $a),*) -> Result<(), WriteError> {
            shape($what)
        }
    )*};
}

impl<'a, 'b> ser::Serializer for &'b mut StructWriter<'a> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Impossible<(), WriteError>;
    type SerializeTuple = Impossible<(), WriteError>;
    type SerializeTupleStruct = Impossible<(), WriteError>;
    type SerializeTupleVariant = Impossible<(), WriteError>;
    type SerializeMap = Impossible<(), WriteError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), WriteError>;

    not_a_struct! {
        serialize_bool(bool) => "a bool";
        serialize_i8(i8) => "an integer";
        serialize_i16(i16) => "an integer";
        serialize_i32(i32) => "an integer";
        serialize_i64(i64) => "an integer";
        serialize_u8(u8) => "an integer";
        serialize_u16(u16) => "an integer";
        serialize_u32(u32) => "an integer";
        serialize_u64(u64) => "an integer";
        serialize_f32(f32) => "a float";
        serialize_f64(f64) => "a float";
        serialize_char(char) => "a char";
        serialize_str(&str) => "a string";
        serialize_bytes(&[u8]) => "bytes";
        serialize_none() => "an Option";
        serialize_unit_variant(&'static str, u32, &'static str) => "an enum";
    }

    fn serialize_unit(self) -> Result<(), WriteError> {
        self.empty()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), WriteError> {
        self.empty()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), WriteError> {
        shape("an Option")
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), WriteError> {
        shape("an enum")
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WriteError> {
        shape("a sequence")
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WriteError> {
        shape("a tuple")
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WriteError> {
        shape("a tuple struct")
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WriteError> {
        shape("an enum")
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WriteError> {
        shape("a map (or #[serde(flatten)])")
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self, WriteError> {
        if len != self.fields.len() {
            return Err(WriteError::Count { got: len });
        }
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WriteError> {
        shape("an enum")
    }
}

impl StructWriter<'_> {
    fn empty(&mut self) -> Result<(), WriteError> {
        if self.fields.is_empty() { Ok(()) } else { Err(WriteError::Count { got: 0 }) }
    }
}

impl ser::SerializeStruct for &mut StructWriter<'_> {
    type Ok = ();
    type Error = WriteError;

    #[inline]
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        let index = self.next;
        if index >= self.fields.len() {
            return Err(WriteError::Count { got: index + 1 });
        }
        if !self.fields.key_matches(index, key) {
            return Err(WriteError::Name { index, got: key });
        }
        let spec = &self.fields.specs[index];
        let slot = value.serialize(SlotSer { spec, arena: self.arena }).map_err(|e| match e {
            WriteError::Fault(fault) => WriteError::Value { index, fault },
            other => other,
        })?;
        self.slots.push(slot);
        self.next += 1;
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), WriteError> {
        Err(WriteError::Skipped { field: key })
    }

    fn end(self) -> Result<(), WriteError> {
        if self.next != self.fields.len() {
            return Err(WriteError::Count { got: self.next });
        }
        Ok(())
    }
}

/// Serializes one primitive into its slot.
struct SlotSer<'s> {
    spec: &'s super::layout::FieldSpec,
    arena: &'s mut Vec<u8>,
}

impl SlotSer<'_> {
    // The common case of each primitive is checked inline in the caller's monomorphized
    // code; anything unusual (an error, an f32 widened into an f64 field) takes the cold
    // path through `store`, which also words the error.

    #[inline]
    fn int(self, v: i64) -> Result<u64, WriteError> {
        let s = self.spec;
        if matches!(s.ty, FieldType::I32 | FieldType::I64) && v >= s.lo && v <= s.hi {
            Ok(v as u64)
        } else {
            self.slow(ValueRef::Int(v))
        }
    }

    #[inline]
    fn float32(self, v: f32) -> Result<u64, WriteError> {
        let s = self.spec;
        let x = f64::from(v);
        if s.ty == FieldType::F32 && v.is_finite() && x >= s.flo && x <= s.fhi {
            Ok(u64::from(v.to_bits()))
        } else {
            self.slow(ValueRef::F32(v))
        }
    }

    #[inline]
    fn float64(self, v: f64) -> Result<u64, WriteError> {
        let s = self.spec;
        if s.ty == FieldType::F64 && v.is_finite() && v >= s.flo && v <= s.fhi {
            Ok(v.to_bits())
        } else {
            self.slow(ValueRef::F64(v))
        }
    }

    #[inline]
    fn string(self, v: &str) -> Result<u64, WriteError> {
        if self.spec.ty == FieldType::Str && v.len() <= self.spec.max_len as usize {
            push_str(self.arena, v.as_bytes()).map_err(WriteError::Fault)
        } else {
            self.slow(ValueRef::Str(v))
        }
    }

    #[cold]
    #[inline(never)]
    fn slow(self, v: ValueRef<'_>) -> Result<u64, WriteError> {
        store(self.spec, v, self.arena).map_err(WriteError::Fault)
    }

    #[cold]
    fn wrong(self, got: &'static str) -> Result<u64, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got }))
    }
}

impl ser::Serializer for SlotSer<'_> {
    type Ok = u64;
    type Error = WriteError;
    type SerializeSeq = Impossible<u64, WriteError>;
    type SerializeTuple = Impossible<u64, WriteError>;
    type SerializeTupleStruct = Impossible<u64, WriteError>;
    type SerializeTupleVariant = Impossible<u64, WriteError>;
    type SerializeMap = Impossible<u64, WriteError>;
    type SerializeStruct = Impossible<u64, WriteError>;
    type SerializeStructVariant = Impossible<u64, WriteError>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<u64, WriteError> {
        if self.spec.ty == FieldType::Bool {
            Ok(u64::from(v))
        } else {
            self.slow(ValueRef::Bool(v))
        }
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<u64, WriteError> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<u64, WriteError> {
        match i64::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.wrong("i128 beyond i64"),
        }
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<u64, WriteError> {
        self.int(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<u64, WriteError> {
        match i64::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.wrong("u64 beyond i64"),
        }
    }
    fn serialize_u128(self, v: u128) -> Result<u64, WriteError> {
        match i64::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.wrong("u128 beyond i64"),
        }
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Result<u64, WriteError> {
        self.float32(v)
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result<u64, WriteError> {
        self.float64(v)
    }
    fn serialize_char(self, _: char) -> Result<u64, WriteError> {
        self.wrong("char")
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<u64, WriteError> {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<u64, WriteError> {
        self.wrong("bytes")
    }
    fn serialize_none(self) -> Result<u64, WriteError> {
        self.wrong("Option")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<u64, WriteError> {
        self.wrong("Option")
    }
    fn serialize_unit(self) -> Result<u64, WriteError> {
        self.wrong("()")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<u64, WriteError> {
        self.wrong("a unit struct")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<u64, WriteError> {
        self.wrong("an enum")
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<u64, WriteError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<u64, WriteError> {
        self.wrong("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got: "a sequence" }))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got: "a tuple" }))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType {
            expected: self.spec.ty,
            got: "a tuple struct",
        }))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got: "an enum" }))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got: "a map" }))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType {
            expected: self.spec.ty,
            got: "a nested struct",
        }))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WriteError> {
        Err(WriteError::Fault(ValueFault::WrongType { expected: self.spec.ty, got: "an enum" }))
    }
}
