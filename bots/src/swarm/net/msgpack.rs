//! A small MessagePack reader over a byte slice: just what the bots' state decoder needs
//! (maps, arrays, strings, integers, and skipping any value), strict about types and bounds.

use std::fmt;

/// Bytes that are not the MessagePack the protocol describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed message: {}", self.0)
    }
}

/// Nesting deeper than this is refused (as in the protocol crate).
const MAX_DEPTH: usize = 16;

pub(crate) struct Reader<'a> {
    b: &'a [u8],
}

/// Integer types a field may be read as; out-of-range values are errors.
pub(crate) trait FromWire: Sized {
    fn from_i128(v: i128) -> Option<Self>;
}

macro_rules! from_wire {
    ($($t:ty),*) => {$(
        impl FromWire for $t {
            fn from_i128(v: i128) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}
from_wire!(u8, u32, u64, i32);

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { b }
    }

    /// Bytes not read yet (the fuzz harness compares where a skip ends).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn remaining(&self) -> usize {
        self.b.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.b.len() < n {
            return Err(Malformed("truncated"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, Malformed> {
        Ok(self.take(n)?.iter().fold(0u64, |a, b| a << 8 | u64::from(*b)))
    }

    /// Length of a collection whose items are at least one byte each, checked against what
    /// is left so a forged length cannot make a caller loop or reserve for nothing.
    fn len(&mut self, n: u64, per_item: usize) -> Result<usize, Malformed> {
        let n = usize::try_from(n).map_err(|_| Malformed("length"))?;
        if n.saturating_mul(per_item) > self.b.len() {
            return Err(Malformed("truncated"));
        }
        Ok(n)
    }

    pub(crate) fn map_len(&mut self) -> Result<usize, Malformed> {
        let n = match self.byte()? {
            m @ 0x80..=0x8f => u64::from(m & 0x0f),
            0xde => self.be(2)?,
            0xdf => self.be(4)?,
            _ => return Err(Malformed("expected a map")),
        };
        self.len(n, 2)
    }

    pub(crate) fn array_len(&mut self) -> Result<usize, Malformed> {
        let n = match self.byte()? {
            m @ 0x90..=0x9f => u64::from(m & 0x0f),
            0xdc => self.be(2)?,
            0xdd => self.be(4)?,
            _ => return Err(Malformed("expected an array")),
        };
        self.len(n, 1)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, Malformed> {
        let n = match self.byte()? {
            m @ 0xa0..=0xbf => u64::from(m & 0x1f),
            0xd9 => self.be(1)?,
            0xda => self.be(2)?,
            0xdb => self.be(4)?,
            _ => return Err(Malformed("expected a string")),
        };
        let n = self.len(n, 1)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Malformed("string is not UTF-8"))
    }

    pub(crate) fn int<T: FromWire>(&mut self) -> Result<T, Malformed> {
        let v: i128 = match self.byte()? {
            m @ 0x00..=0x7f => i128::from(m),
            m @ 0xe0..=0xff => i128::from(m as i8),
            0xcc => i128::from(self.be(1)?),
            0xcd => i128::from(self.be(2)?),
            0xce => i128::from(self.be(4)?),
            0xcf => i128::from(self.be(8)?),
            0xd0 => i128::from(self.be(1)? as u8 as i8),
            0xd1 => i128::from(self.be(2)? as u16 as i16),
            0xd2 => i128::from(self.be(4)? as u32 as i32),
            0xd3 => i128::from(self.be(8)? as i64),
            _ => return Err(Malformed("expected an integer")),
        };
        T::from_i128(v).ok_or(Malformed("integer out of range"))
    }

    /// Skip one value of any type.
    pub(crate) fn skip(&mut self) -> Result<(), Malformed> {
        self.skip_at(0)
    }

    fn skip_at(&mut self, depth: usize) -> Result<(), Malformed> {
        if depth > MAX_DEPTH {
            return Err(Malformed("nested too deep"));
        }
        let m = self.byte()?;
        let (skip, items) = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
            0x80..=0x8f => (0, 2 * u64::from(m & 0x0f)),
            0x90..=0x9f => (0, u64::from(m & 0x0f)),
            0xa0..=0xbf => (u64::from(m & 0x1f), 0),
            0xcc | 0xd0 => (1, 0),
            0xcd | 0xd1 => (2, 0),
            0xca | 0xce | 0xd2 => (4, 0),
            0xcb | 0xcf | 0xd3 => (8, 0),
            0xc4 | 0xd9 => (self.be(1)?, 0),
            0xc5 | 0xda => (self.be(2)?, 0),
            0xc6 | 0xdb => (self.be(4)?, 0),
            0xd4 => (2, 0),
            0xd5 => (3, 0),
            0xd6 => (5, 0),
            0xd7 => (9, 0),
            0xd8 => (17, 0),
            0xc7 => (self.be(1)? + 1, 0),
            0xc8 => (self.be(2)? + 1, 0),
            0xc9 => (self.be(4)? + 1, 0),
            0xdc => (0, self.be(2)?),
            0xdd => (0, self.be(4)?),
            0xde => (0, 2 * self.be(2)?),
            0xdf => (0, 2 * self.be(4)?),
            0xc1 => return Err(Malformed("reserved byte 0xc1")),
        };
        let n = self.len(skip, 1)?;
        self.take(n)?;
        let items = self.len(items, 1)?;
        for _ in 0..items {
            self.skip_at(depth + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Sample {
        a: u8,
        b: i32,
        c: u64,
        d: Vec<(String, bool, f64, Option<u8>)>,
        e: std::collections::BTreeMap<u32, Vec<u8>>,
        f: i64,
    }

    #[test]
    fn reads_and_skips_what_rmp_serde_writes() {
        let s = Sample {
            a: 200,
            b: -70_000,
            c: u64::MAX,
            d: vec![("x".repeat(40), true, 1.5, None), ("é".into(), false, -0.0, Some(3))],
            e: [(1, vec![1, 2]), (70_000, vec![])].into(),
            f: -3,
        };
        let b = rmp_serde::to_vec_named(&s).unwrap();
        let mut r = Reader::new(&b);
        assert_eq!(r.map_len().unwrap(), 6);
        assert_eq!(r.str().unwrap(), "a");
        assert_eq!(r.int::<u8>().unwrap(), 200);
        assert_eq!(r.str().unwrap(), "b");
        assert_eq!(r.int::<i32>().unwrap(), -70_000);
        assert_eq!(r.str().unwrap(), "c");
        assert_eq!(r.int::<u64>().unwrap(), u64::MAX);
        assert_eq!(r.str().unwrap(), "d");
        r.skip().unwrap();
        assert_eq!(r.str().unwrap(), "e");
        r.skip().unwrap();
        assert_eq!(r.str().unwrap(), "f");
        assert_eq!(r.int::<i32>().unwrap(), -3);
        assert!(r.b.is_empty());
        // Out of range and wrong type.
        let mut r = Reader::new(&b[1..]);
        r.str().unwrap();
        assert!(Reader::new(&[0xcd, 1, 0]).int::<u8>().is_err());
        assert!(Reader::new(&[0xff]).int::<u32>().is_err());
        assert!(Reader::new(&[0xa1, b'x']).int::<u32>().is_err());
    }

    #[test]
    fn forged_lengths_and_depth_are_refused() {
        assert!(Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff]).array_len().is_err());
        assert!(Reader::new(&[0xdb, 0, 0, 0, 9, b'a']).str().is_err());
        let mut deep = vec![0x91; 100];
        deep.push(0);
        assert!(Reader::new(&deep).skip().is_err());
        assert!(Reader::new(&[0xc1]).skip().is_err());
        assert!(Reader::new(&[]).skip().is_err());
    }
}
