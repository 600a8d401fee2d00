//! A structural pass over MessagePack bytes before serde sees them.
//!
//! serde pre-allocates collections from the length a peer *claims* (capped, but at up to
//! 1 MiB), and nesting recurses. This pass walks the bytes once without allocating and
//! refuses any length that cannot fit in the bytes that remain (every array element and map
//! entry needs at least one byte) and nesting deeper than a limit, so decoding afterwards
//! never allocates more than a small multiple of the message's real size.

use rmp::Marker;

/// Why the bytes were refused before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invalid {
    Truncated,
    LengthBomb { claimed: u64, remaining: usize },
    TooDeep,
    Trailing,
    Reserved,
    NotAMap,
    NonStringKey,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Truncated => f.write_str("truncated MessagePack"),
            Invalid::LengthBomb { claimed, remaining } => {
                write!(f, "a length of {claimed} with only {remaining} bytes left")
            }
            Invalid::TooDeep => f.write_str("nesting too deep"),
            Invalid::Trailing => f.write_str("bytes after the message"),
            Invalid::Reserved => f.write_str("reserved MessagePack marker 0xc1"),
            Invalid::NotAMap => f.write_str("a message must be a map"),
            Invalid::NonStringKey => f.write_str("a message's keys must be strings"),
        }
    }
}

struct Walker<'a> {
    b: &'a [u8],
    i: usize,
    max_depth: usize,
}

impl Walker<'_> {
    fn remaining(&self) -> usize {
        self.b.len() - self.i
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Invalid> {
        if self.remaining() < n {
            return Err(Invalid::Truncated);
        }
        let s = &self.b[self.i..self.i + n];
        self.i += n;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Invalid> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
    }

    /// Skip `len` payload bytes that must be present.
    fn payload(&mut self, len: u64) -> Result<(), Invalid> {
        if len > self.remaining() as u64 {
            return Err(Invalid::LengthBomb { claimed: len, remaining: self.remaining() });
        }
        self.i += len as usize;
        Ok(())
    }

    /// `n` values follow, each at least one byte.
    fn values(&mut self, n: u64, depth: usize) -> Result<(), Invalid> {
        if n > self.remaining() as u64 {
            return Err(Invalid::LengthBomb { claimed: n, remaining: self.remaining() });
        }
        for _ in 0..n {
            self.value(depth + 1)?;
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<(), Invalid> {
        if depth > self.max_depth {
            return Err(Invalid::TooDeep);
        }
        let m = Marker::from_u8(self.take(1)?[0]);
        match m {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                Ok(())
            }
            Marker::U8 | Marker::I8 => self.take(1).map(drop),
            Marker::U16 | Marker::I16 => self.take(2).map(drop),
            Marker::U32 | Marker::I32 | Marker::F32 => self.take(4).map(drop),
            Marker::U64 | Marker::I64 | Marker::F64 => self.take(8).map(drop),
            Marker::FixStr(n) => self.payload(n as u64),
            Marker::Str8 | Marker::Bin8 => {
                let n = self.uint(1)?;
                self.payload(n)
            }
            Marker::Str16 | Marker::Bin16 => {
                let n = self.uint(2)?;
                self.payload(n)
            }
            Marker::Str32 | Marker::Bin32 => {
                let n = self.uint(4)?;
                self.payload(n)
            }
            Marker::FixArray(n) => self.values(n as u64, depth),
            Marker::Array16 => {
                let n = self.uint(2)?;
                self.values(n, depth)
            }
            Marker::Array32 => {
                let n = self.uint(4)?;
                self.values(n, depth)
            }
            Marker::FixMap(n) => self.values(2 * n as u64, depth),
            Marker::Map16 => {
                let n = self.uint(2)?;
                self.values(2 * n, depth)
            }
            Marker::Map32 => {
                let n = self.uint(4)?;
                self.values(2 * n, depth)
            }
            Marker::FixExt1 => self.take(2).map(drop),
            Marker::FixExt2 => self.take(3).map(drop),
            Marker::FixExt4 => self.take(5).map(drop),
            Marker::FixExt8 => self.take(9).map(drop),
            Marker::FixExt16 => self.take(17).map(drop),
            Marker::Ext8 => {
                let n = self.uint(1)?;
                self.payload(n + 1)
            }
            Marker::Ext16 => {
                let n = self.uint(2)?;
                self.payload(n + 1)
            }
            Marker::Ext32 => {
                let n = self.uint(4)?;
                self.payload(n + 1)
            }
            Marker::Reserved => Err(Invalid::Reserved),
        }
    }
}

/// Check that `bytes` hold exactly one well-formed MessagePack value whose every claimed
/// length fits in the bytes present, nested at most `max_depth` deep.
pub(crate) fn validate(bytes: &[u8], max_depth: usize) -> Result<(), Invalid> {
    let mut w = Walker { b: bytes, i: 0, max_depth };
    w.value(0)?;
    if w.remaining() != 0 {
        return Err(Invalid::Trailing);
    }
    Ok(())
}

/// Check that a (validated) message is a map whose keys are all strings. serde's derived
/// decoders would otherwise take an integer key as a field's index and an array as the
/// fields in order, a laxer wire format than PROTOCOL.md documents, which third-party
/// clients could come to rely on (found by the `decode_client` fuzz target).
pub(crate) fn string_keyed_map(bytes: &[u8]) -> Result<(), Invalid> {
    let mut w = Walker { b: bytes, i: 0, max_depth: usize::MAX };
    let n = match Marker::from_u8(w.take(1)?[0]) {
        Marker::FixMap(n) => u64::from(n),
        Marker::Map16 => w.uint(2)?,
        Marker::Map32 => w.uint(4)?,
        _ => return Err(Invalid::NotAMap),
    };
    for _ in 0..n {
        let len = match Marker::from_u8(w.take(1)?[0]) {
            Marker::FixStr(n) => u64::from(n),
            Marker::Str8 => w.uint(1)?,
            Marker::Str16 => w.uint(2)?,
            Marker::Str32 => w.uint(4)?,
            _ => return Err(Invalid::NonStringKey),
        };
        w.payload(len)?;
        w.value(1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_messages_pass() {
        let b = rmp_serde::to_vec_named(&(1u8, "x", vec![1i32, -5, 70000], true, 2.5f64)).unwrap();
        assert_eq!(validate(&b, 16), Ok(()));
    }

    #[test]
    fn length_bombs_are_refused_before_decoding() {
        // array32 claiming 4 billion elements, with 3 bytes after it
        let bomb = [0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(matches!(validate(&bomb, 16), Err(Invalid::LengthBomb { .. })));
        // map16 claiming 65535 entries
        assert!(matches!(validate(&[0xde, 0xff, 0xff, 0x01], 16), Err(Invalid::LengthBomb { .. })));
        // str32 claiming 1 GiB
        assert!(matches!(
            validate(&[0xdb, 0x40, 0, 0, 0, b'a'], 16),
            Err(Invalid::LengthBomb { .. })
        ));
        // bin32
        assert!(matches!(validate(&[0xc6, 0x40, 0, 0, 0], 16), Err(Invalid::LengthBomb { .. })));
    }

    #[test]
    fn messages_are_maps_with_string_keys() {
        let named = rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("a", 1)]));
        assert_eq!(string_keyed_map(&named.unwrap()), Ok(()));
        // {"type": "find_match", 0: "x"}
        let int_key = b"\x82\xa4type\xaafind_match\x00\xa1x";
        assert_eq!(string_keyed_map(int_key), Err(Invalid::NonStringKey));
        // ["input", 7]
        assert_eq!(string_keyed_map(b"\x92\xa5input\x07"), Err(Invalid::NotAMap));
        assert_eq!(string_keyed_map(b"\x80"), Ok(()));
    }

    #[test]
    fn depth_trailing_and_truncation() {
        let mut deep = vec![0x91; 40];
        deep.push(0x00);
        assert_eq!(validate(&deep, 16), Err(Invalid::TooDeep));
        assert_eq!(validate(&[0x01, 0x02], 16), Err(Invalid::Trailing));
        assert_eq!(validate(&[0xcd, 0x01], 16), Err(Invalid::Truncated));
        assert_eq!(validate(&[0xc1], 16), Err(Invalid::Reserved));
        assert_eq!(validate(&[], 16), Err(Invalid::Truncated));
    }
}
