//! A zero-copy MessagePack cursor over a message's bytes, built on `rmp::Marker`.
//!
//! The v2 decoders (client state messages, server-side inputs and commands) read exactly the
//! shapes they expect and nothing else, so errors can say where and what: "entities: expected
//! an array of 3, found map". Every claimed length is checked against the bytes that remain
//! before anything is reserved (an array element or map entry needs at least one byte), and
//! skipping an unknown value is bounded in depth, so no input can make a decoder allocate more
//! than a small multiple of the message or recurse without bound.

use super::value::Val;
use rmp::Marker;

/// Deepest nesting a skipped value may have.
pub(crate) const MAX_DEPTH: usize = 16;

/// Why bytes are not a valid v2 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated MessagePack")]
    Truncated,
    #[error("bytes after the message")]
    Trailing,
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("{at}: expected {expected}, found {found}")]
    Unexpected { at: &'static str, expected: &'static str, found: &'static str },
    #[error("{at}: a length of {len} with only {remaining} bytes left")]
    LengthBomb { at: &'static str, len: u64, remaining: usize },
    #[error("{at}: integer out of range")]
    IntRange { at: &'static str },
    #[error("{at}: more than {max} entries")]
    TooMany { at: &'static str, max: usize },
    #[error("invalid UTF-8 in a string")]
    InvalidUtf8,
    #[error("missing key `{0}`")]
    Missing(&'static str),
    #[error("key `{0}` appears twice")]
    DuplicateKey(String),
    #[error("message type {found:?} where {expected:?} was expected")]
    WrongType { expected: &'static str, found: String },
    #[error("{list}: id {id} is not above the previous one (ids are strictly ascending)")]
    Unsorted { list: &'static str, id: u32 },
    #[error("{at}: mask {mask:#b} needs {need} values, got {got}")]
    MaskMismatch { at: &'static str, mask: u32, need: usize, got: usize },
}

/// What a marker is, for errors.
pub(crate) fn marker_name(m: Marker) -> &'static str {
    match m {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 => "float32",
        Marker::F64 => "float64",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::Reserved => "reserved marker 0xc1",
        _ => "extension",
    }
}

/// A number as read, before it is checked against a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    /// Beyond `i64::MAX`.
    Big(u64),
    F32(f32),
    F64(f64),
}

pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    pub(crate) fn at(b: &'a [u8], pos: usize) -> Self {
        Reader { b, pos }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.b
    }

    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.remaining() < n {
            return Err(WireError::Truncated);
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, WireError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    pub(crate) fn marker(&mut self) -> Result<Marker, WireError> {
        Ok(Marker::from_u8(self.take(1)?[0]))
    }

    /// Consume a `nil` if one is next.
    pub(crate) fn take_nil(&mut self) -> bool {
        if self.b.get(self.pos) == Some(&0xc0) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The end of the message: nothing may follow.
    pub(crate) fn end(&self) -> Result<(), WireError> {
        if self.remaining() != 0 { Err(WireError::Trailing) } else { Ok(()) }
    }

    fn count(&self, at: &'static str, n: u64, per: u64) -> Result<usize, WireError> {
        if n.saturating_mul(per) > self.remaining() as u64 {
            return Err(WireError::LengthBomb { at, len: n, remaining: self.remaining() });
        }
        Ok(n as usize)
    }

    fn len_of(&mut self, m: Marker) -> Result<Option<(u64, bool)>, WireError> {
        Ok(Some(match m {
            Marker::FixArray(n) => (n.into(), false),
            Marker::Array16 => (self.be(2)?, false),
            Marker::Array32 => (self.be(4)?, false),
            Marker::FixMap(n) => (n.into(), true),
            Marker::Map16 => (self.be(2)?, true),
            Marker::Map32 => (self.be(4)?, true),
            _ => return Ok(None),
        }))
    }

    pub(crate) fn array_len(&mut self, at: &'static str) -> Result<usize, WireError> {
        let m = self.marker()?;
        match self.len_of(m)? {
            Some((n, false)) => self.count(at, n, 1),
            _ => Err(WireError::Unexpected { at, expected: "an array", found: marker_name(m) }),
        }
    }

    pub(crate) fn map_len(&mut self, at: &'static str) -> Result<usize, WireError> {
        let m = self.marker()?;
        match self.len_of(m)? {
            Some((n, true)) => self.count(at, n, 2),
            _ => Err(WireError::Unexpected { at, expected: "a map", found: marker_name(m) }),
        }
    }

    /// The payload of a string whose marker was read.
    fn str_payload(&mut self, m: Marker) -> Result<Option<&'a [u8]>, WireError> {
        let n = match m {
            Marker::FixStr(n) => u64::from(n),
            Marker::Str8 => self.be(1)?,
            Marker::Str16 => self.be(2)?,
            Marker::Str32 => self.be(4)?,
            _ => return Ok(None),
        };
        let n = self.count("string", n, 1)?;
        self.take(n).map(Some)
    }

    pub(crate) fn str(&mut self, at: &'static str) -> Result<&'a str, WireError> {
        let m = self.marker()?;
        match self.str_payload(m)? {
            Some(b) => std::str::from_utf8(b).map_err(|_| WireError::InvalidUtf8),
            None => Err(WireError::Unexpected { at, expected: "a string", found: marker_name(m) }),
        }
    }

    /// A number whose marker was read, or `None` when the marker is not a number.
    pub(crate) fn num_payload(&mut self, m: Marker) -> Result<Option<Num>, WireError> {
        let n = match m {
            Marker::FixPos(v) => Num::Int(v.into()),
            Marker::FixNeg(v) => Num::Int(v.into()),
            Marker::U8 => Num::Int(self.be(1)? as i64),
            Marker::U16 => Num::Int(self.be(2)? as i64),
            Marker::U32 => Num::Int(self.be(4)? as i64),
            Marker::U64 => {
                let v = self.be(8)?;
                i64::try_from(v).map_or(Num::Big(v), Num::Int)
            }
            Marker::I8 => Num::Int(i64::from(self.be(1)? as u8 as i8)),
            Marker::I16 => Num::Int(i64::from(self.be(2)? as u16 as i16)),
            Marker::I32 => Num::Int(i64::from(self.be(4)? as u32 as i32)),
            Marker::I64 => Num::Int(self.be(8)? as i64),
            Marker::F32 => Num::F32(f32::from_bits(self.be(4)? as u32)),
            Marker::F64 => Num::F64(f64::from_bits(self.be(8)?)),
            _ => return Ok(None),
        };
        Ok(Some(n))
    }

    /// An unsigned integer of any encoding.
    pub(crate) fn uint(&mut self, at: &'static str) -> Result<u64, WireError> {
        let m = self.marker()?;
        match self.num_payload(m)? {
            Some(Num::Int(i)) => u64::try_from(i).map_err(|_| WireError::IntRange { at }),
            Some(Num::Big(v)) => Ok(v),
            _ => Err(WireError::Unexpected { at, expected: "an integer", found: marker_name(m) }),
        }
    }

    pub(crate) fn u32(&mut self, at: &'static str) -> Result<u32, WireError> {
        u32::try_from(self.uint(at)?).map_err(|_| WireError::IntRange { at })
    }

    pub(crate) fn bool(&mut self, at: &'static str) -> Result<bool, WireError> {
        match self.marker()? {
            Marker::True => Ok(true),
            Marker::False => Ok(false),
            m => Err(WireError::Unexpected { at, expected: "a bool", found: marker_name(m) }),
        }
    }

    /// A scalar value of a state message (strings copied into `arena`).
    pub(crate) fn val(&mut self, at: &'static str, arena: &mut Vec<u8>) -> Result<Val, WireError> {
        let m = self.marker()?;
        Ok(match m {
            Marker::Null => Val::Nil,
            Marker::True => Val::Bool(true),
            Marker::False => Val::Bool(false),
            _ => match self.num_payload(m)? {
                Some(Num::Int(i)) => Val::Int(i),
                Some(Num::Big(_)) => return Err(WireError::IntRange { at }),
                Some(Num::F32(f)) => Val::F32(f.to_bits()),
                Some(Num::F64(f)) => Val::F64(f.to_bits()),
                None => match self.str_payload(m)? {
                    Some(b) => {
                        std::str::from_utf8(b).map_err(|_| WireError::InvalidUtf8)?;
                        let off = arena.len() as u32;
                        arena.extend_from_slice(b);
                        Val::Str(off, b.len() as u32)
                    }
                    None => {
                        let found = marker_name(m);
                        return Err(WireError::Unexpected { at, expected: "a scalar", found });
                    }
                },
            },
        })
    }

    /// Skip one value.
    pub(crate) fn skip(&mut self, depth: usize) -> Result<(), WireError> {
        let m = self.marker()?;
        self.skip_after(m, depth)
    }

    /// Skip the rest of a value whose marker was read.
    pub(crate) fn skip_after(&mut self, m: Marker, depth: usize) -> Result<(), WireError> {
        if depth > MAX_DEPTH {
            return Err(WireError::TooDeep);
        }
        if let Some((n, is_map)) = self.len_of(m)? {
            let items = if is_map { n.saturating_mul(2) } else { n };
            let items = self.count("value", items, 1)?;
            for _ in 0..items {
                self.skip(depth + 1)?;
            }
            return Ok(());
        }
        // Fixed-size payloads: missing bytes are a truncation.
        let fixed = match m {
            Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => {
                0
            }
            Marker::U8 | Marker::I8 => 1,
            Marker::U16 | Marker::I16 => 2,
            Marker::U32 | Marker::I32 | Marker::F32 => 4,
            Marker::U64 | Marker::I64 | Marker::F64 => 8,
            Marker::FixExt1 => 2,
            Marker::FixExt2 => 3,
            Marker::FixExt4 => 5,
            Marker::FixExt8 => 9,
            Marker::FixExt16 => 17,
            _ => usize::MAX,
        };
        if fixed != usize::MAX {
            return self.take(fixed).map(drop);
        }
        // Claimed lengths: checked against what remains before use.
        let n: u64 = match m {
            Marker::FixStr(n) => n.into(),
            Marker::Str8 | Marker::Bin8 => self.be(1)?,
            Marker::Str16 | Marker::Bin16 => self.be(2)?,
            Marker::Str32 | Marker::Bin32 => self.be(4)?,
            Marker::Ext8 => self.be(1)? + 1,
            Marker::Ext16 => self.be(2)? + 1,
            Marker::Ext32 => self.be(4)? + 1,
            _ => {
                let found = marker_name(m);
                return Err(WireError::Unexpected { at: "value", expected: "a value", found });
            }
        };
        let n = self.count("value", n, 1)?;
        self.take(n).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_every_width_read_the_same() {
        // 5 as fixint, u8, u16, u32, u64, i8, i16, i32, i64
        for b in [
            &[0x05][..],
            &[0xcc, 5],
            &[0xcd, 0, 5],
            &[0xce, 0, 0, 0, 5],
            &[0xcf, 0, 0, 0, 0, 0, 0, 0, 5],
            &[0xd0, 5],
            &[0xd1, 0, 5],
            &[0xd2, 0, 0, 0, 5],
            &[0xd3, 0, 0, 0, 0, 0, 0, 0, 5],
        ] {
            assert_eq!(Reader::new(b).uint("x"), Ok(5), "{b:?}");
        }
        assert_eq!(Reader::new(&[0xff]).uint("x"), Err(WireError::IntRange { at: "x" }));
        assert_eq!(Reader::new(&[0xd0, 0xfe]).val("x", &mut Vec::new()), Ok(Val::Int(-2)));
        assert_eq!(
            Reader::new(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).uint("x"),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn lengths_are_checked_before_use() {
        let mut r = Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff, 1]);
        assert!(matches!(r.array_len("a"), Err(WireError::LengthBomb { .. })));
        let mut r = Reader::new(&[0xdf, 0, 0, 0, 1, 1]);
        assert!(matches!(r.map_len("m"), Err(WireError::LengthBomb { .. })));
        let mut r = Reader::new(&[0xdb, 0x40, 0, 0, 0, b'a']);
        assert!(matches!(r.str("s"), Err(WireError::LengthBomb { .. })));
        let mut deep = vec![0x91; 40];
        deep.push(0);
        assert_eq!(Reader::new(&deep).skip(0), Err(WireError::TooDeep));
        assert_eq!(Reader::new(&[0xcd, 1]).skip(0), Err(WireError::Truncated));
        assert_eq!(Reader::new(&[0xa2, 0xff, 0xfe]).str("s"), Err(WireError::InvalidUtf8));
    }

    #[test]
    fn skip_passes_every_kind_of_value() {
        let v = rmp_serde::to_vec_named(&(
            1u8,
            -300i32,
            "hello",
            vec![1.5f64, 2.5],
            std::collections::BTreeMap::from([("a", true)]),
            serde_bytes_like(),
            (),
        ))
        .unwrap();
        let mut r = Reader::new(&v);
        r.skip(0).unwrap();
        r.end().unwrap();
        // fixext4 and ext8
        let mut r = Reader::new(&[0xd6, 1, 0, 0, 0, 0, 0xc7, 2, 7, 1, 2]);
        r.skip(0).unwrap();
        r.skip(0).unwrap();
        r.end().unwrap();
    }

    fn serde_bytes_like() -> Vec<u8> {
        vec![0, 1, 2]
    }
}
