//! Values: borrowed and owned forms for readers, and the 8-byte slot every value is stored in.
//!
//! A slot is a `u64`: `bool` as 0/1, integers as the bits of an `i64` (sign-extended), `f32`
//! as its bits in the low half, `f64` as its bits, and a string as `offset << 32 | len` into
//! the byte arena of the view (or delta, or input frame) that owns it. Equal slots mean equal
//! values for every type but `str`, whose bytes are compared; floats compare by bits, so
//! `-0.0` and `0.0` differ (a change the client can see) and NaN never occurs (refused).

use super::layout::FieldSpec;
use super::schema::{FieldType, Number};

/// A value read from a view, a delta or an input, borrowing its string.
///
/// Integers are `i64` whatever the declared width (the schema says which); `Nil` is a hidden
/// field (privacy, issue 16).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    F32(f32),
    F64(f64),
    Str(&'a str),
}

/// An owned [`ValueRef`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    F32(f32),
    F64(f64),
    Str(String),
}

impl<'a> ValueRef<'a> {
    /// What the value is, for error messages: `nil`, `bool`, `integer`, `float32`, `float64`
    /// or `string`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Nil => "nil",
            ValueRef::Bool(_) => "bool",
            ValueRef::Int(_) => "integer",
            ValueRef::F32(_) => "float32",
            ValueRef::F64(_) => "float64",
            ValueRef::Str(_) => "string",
        }
    }

    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Nil => Value::Nil,
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::F32(f) => Value::F32(f),
            ValueRef::F64(f) => Value::F64(f),
            ValueRef::Str(s) => Value::Str(s.to_owned()),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        if let ValueRef::Bool(b) = self { Some(*b) } else { None }
    }

    pub fn as_i64(&self) -> Option<i64> {
        if let ValueRef::Int(i) = self { Some(*i) } else { None }
    }

    /// Floats and integers as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            ValueRef::Int(i) => Some(i as f64),
            ValueRef::F32(f) => Some(f.into()),
            ValueRef::F64(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        if let ValueRef::Str(s) = self { Some(s) } else { None }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, ValueRef::Nil)
    }
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Nil => ValueRef::Nil,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Int(i) => ValueRef::Int(*i),
            Value::F32(f) => ValueRef::F32(*f),
            Value::F64(f) => ValueRef::F64(*f),
            Value::Str(s) => ValueRef::Str(s),
        }
    }
}

/// Why one value does not fit its field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueFault {
    #[error("expected {expected}, got {got}")]
    WrongType { expected: FieldType, got: &'static str },
    #[error("{got} is outside {min}..={max}")]
    OutOfRange { got: Number, min: Number, max: Number },
    #[error("not a finite number")]
    NotFinite,
    #[error("a string of {len} bytes is longer than max_len {max_len}")]
    TooLong { len: usize, max_len: u32 },
    #[error("nil, but the field is not private")]
    NotPrivate,
    #[error("more than 4 GiB of strings")]
    ArenaFull,
}

#[inline]
pub(crate) fn pack_str(off: usize, len: usize) -> u64 {
    ((off as u64) << 32) | len as u64
}

fn unpack_str(slot: u64) -> (usize, usize) {
    ((slot >> 32) as usize, (slot & 0xffff_ffff) as usize)
}

/// The bytes of a string slot.
pub(crate) fn str_bytes(arena: &[u8], slot: u64) -> &[u8] {
    let (off, len) = unpack_str(slot);
    &arena[off..off + len]
}

/// The string of a slot. Arenas only ever receive bytes of a `&str` or of validated UTF-8, so
/// this cannot fail unless the view's own bookkeeping is broken.
pub(crate) fn str_at(arena: &[u8], slot: u64) -> &str {
    std::str::from_utf8(str_bytes(arena, slot)).expect("arenas hold only UTF-8")
}

/// Append a string to an arena, returning its slot.
#[inline]
pub(crate) fn push_str(arena: &mut Vec<u8>, s: &[u8]) -> Result<u64, ValueFault> {
    let off = arena.len();
    if off + s.len() > u32::MAX as usize {
        return Err(ValueFault::ArenaFull);
    }
    arena.extend_from_slice(s);
    Ok(pack_str(off, s.len()))
}

/// Read a slot of type `ty`.
pub(crate) fn slot_ref(ty: FieldType, slot: u64, arena: &[u8]) -> ValueRef<'_> {
    match ty {
        FieldType::Bool => ValueRef::Bool(slot != 0),
        FieldType::I32 | FieldType::I64 => ValueRef::Int(slot as i64),
        FieldType::F32 => ValueRef::F32(f32::from_bits(slot as u32)),
        FieldType::F64 => ValueRef::F64(f64::from_bits(slot)),
        FieldType::Str => ValueRef::Str(str_at(arena, slot)),
    }
}

/// Copy a slot (of type `ty`, strings in `src`) into another arena.
pub(crate) fn copy_slot(ty: FieldType, slot: u64, src: &[u8], dst: &mut Vec<u8>) -> u64 {
    if ty == FieldType::Str {
        // The source arena is no larger than the destination may grow: a copy of a view's
        // strings fits wherever the view fit.
        push_str(dst, str_bytes(src, slot)).unwrap_or(0)
    } else {
        slot
    }
}

/// Check `v` against a field and return its slot (strings appended to `arena`).
///
/// The one place that decides what fits a field, shared by the game's writes, the dynamic
/// writes and the client's `apply`: integers of any width that fit the declared range, f32
/// for f32 (f64 would lose precision silently), f32 or f64 for f64, finite floats within
/// min/max, strings up to max_len.
pub(crate) fn store(
    spec: &FieldSpec,
    v: ValueRef<'_>,
    arena: &mut Vec<u8>,
) -> Result<u64, ValueFault> {
    match (spec.ty, v) {
        (FieldType::Bool, ValueRef::Bool(b)) => Ok(u64::from(b)),
        (FieldType::I32 | FieldType::I64, ValueRef::Int(i)) => {
            if i < spec.lo || i > spec.hi {
                return Err(ValueFault::OutOfRange {
                    got: Number::Int(i),
                    min: Number::Int(spec.lo),
                    max: Number::Int(spec.hi),
                });
            }
            Ok(i as u64)
        }
        (FieldType::F32, ValueRef::F32(x)) => {
            float_ok(spec, x.into())?;
            Ok(u64::from(x.to_bits()))
        }
        (FieldType::F64, ValueRef::F32(x)) => {
            float_ok(spec, x.into())?;
            Ok(f64::from(x).to_bits())
        }
        (FieldType::F64, ValueRef::F64(x)) => {
            float_ok(spec, x)?;
            Ok(x.to_bits())
        }
        (FieldType::Str, ValueRef::Str(s)) => {
            if s.len() > spec.max_len as usize {
                return Err(ValueFault::TooLong { len: s.len(), max_len: spec.max_len });
            }
            push_str(arena, s.as_bytes())
        }
        (expected, v) => Err(ValueFault::WrongType { expected, got: v.type_name() }),
    }
}

fn float_ok(spec: &FieldSpec, x: f64) -> Result<(), ValueFault> {
    if !x.is_finite() {
        return Err(ValueFault::NotFinite);
    }
    if x < spec.flo || x > spec.fhi {
        return Err(ValueFault::OutOfRange {
            got: Number::Float(x),
            min: Number::Float(spec.flo),
            max: Number::Float(spec.fhi),
        });
    }
    Ok(())
}

/// A value inside a [`super::Delta`], tagged with its MessagePack type so that a delta decoded
/// without the schema can be checked against it on apply. Floats are kept as bits so that a
/// decoded delta equals the one that was encoded, bit for bit; strings are `(offset, len)`
/// into the delta's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Val {
    Nil,
    Bool(bool),
    Int(i64),
    F32(u32),
    F64(u64),
    Str(u32, u32),
}

impl Val {
    pub(crate) fn get(self, arena: &[u8]) -> ValueRef<'_> {
        match self {
            Val::Nil => ValueRef::Nil,
            Val::Bool(b) => ValueRef::Bool(b),
            Val::Int(i) => ValueRef::Int(i),
            Val::F32(b) => ValueRef::F32(f32::from_bits(b)),
            Val::F64(b) => ValueRef::F64(f64::from_bits(b)),
            Val::Str(off, len) => {
                ValueRef::Str(str_at(arena, pack_str(off as usize, len as usize)))
            }
        }
    }

    /// The value of a view's slot, strings copied into `dst`.
    pub(crate) fn from_slot(ty: FieldType, slot: u64, src: &[u8], dst: &mut Vec<u8>) -> Val {
        match ty {
            FieldType::Bool => Val::Bool(slot != 0),
            FieldType::I32 | FieldType::I64 => Val::Int(slot as i64),
            FieldType::F32 => Val::F32(slot as u32),
            FieldType::F64 => Val::F64(slot),
            FieldType::Str => {
                let (off, len) = unpack_str(copy_slot(ty, slot, src, dst));
                Val::Str(off as u32, len as u32)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::schema::FieldSchema;

    fn spec(f: FieldSchema) -> FieldSpec {
        FieldSpec::new(&f)
    }

    #[test]
    fn store_checks_type_range_finiteness_and_length() {
        let mut arena = Vec::new();
        let i32f = spec(FieldSchema::new("a", FieldType::I32));
        assert_eq!(store(&i32f, ValueRef::Int(-5), &mut arena), Ok((-5i64) as u64));
        assert!(matches!(
            store(&i32f, ValueRef::Int(1 << 31), &mut arena),
            Err(ValueFault::OutOfRange { .. })
        ));
        assert_eq!(
            store(&i32f, ValueRef::F32(1.0), &mut arena),
            Err(ValueFault::WrongType { expected: FieldType::I32, got: "float32" })
        );
        let f32f = spec(FieldSchema::new("f", FieldType::F32));
        assert_eq!(store(&f32f, ValueRef::F32(f32::NAN), &mut arena), Err(ValueFault::NotFinite));
        assert!(matches!(
            store(&f32f, ValueRef::F64(1.0), &mut arena),
            Err(ValueFault::WrongType { got: "float64", .. })
        ));
        let f64f = spec(FieldSchema::new("g", FieldType::F64));
        assert_eq!(store(&f64f, ValueRef::F32(0.5), &mut arena), Ok(0.5f64.to_bits()));
        assert_eq!(
            store(&f64f, ValueRef::F64(f64::INFINITY), &mut arena),
            Err(ValueFault::NotFinite)
        );
        let mut s = FieldSchema::new("s", FieldType::Str);
        s.max_len = Some(3);
        let s = spec(s);
        let slot = store(&s, ValueRef::Str("abc"), &mut arena).unwrap();
        assert_eq!(str_at(&arena, slot), "abc");
        assert_eq!(
            store(&s, ValueRef::Str("abcd"), &mut arena),
            Err(ValueFault::TooLong { len: 4, max_len: 3 })
        );
        let b = spec(FieldSchema::new("b", FieldType::Bool));
        assert_eq!(
            store(&b, ValueRef::Nil, &mut arena),
            Err(ValueFault::WrongType { expected: FieldType::Bool, got: "nil" })
        );
    }

    #[test]
    fn slots_round_trip_every_type() {
        let mut arena = Vec::new();
        let cases = [
            (FieldType::Bool, ValueRef::Bool(true)),
            (FieldType::I32, ValueRef::Int(i32::MIN.into())),
            (FieldType::I64, ValueRef::Int(i64::MAX)),
            (FieldType::F32, ValueRef::F32(-0.0)),
            (FieldType::F64, ValueRef::F64(1e300)),
            (FieldType::Str, ValueRef::Str("héllo")),
        ];
        for (ty, v) in cases {
            let slot = store(&spec(FieldSchema::new("x", ty)), v, &mut arena).unwrap();
            assert_eq!(slot_ref(ty, slot, &arena), v);
            let mut other = Vec::new();
            let val = Val::from_slot(ty, slot, &arena, &mut other);
            assert_eq!(val.get(&other), v);
        }
        // -0.0 is kept as its own bits.
        assert_eq!(slot_ref(FieldType::F32, (-0.0f32).to_bits().into(), &[]), ValueRef::F32(-0.0));
        assert_ne!((-0.0f32).to_bits(), 0.0f32.to_bits());
    }
}
