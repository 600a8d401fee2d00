//! `acks` travel as a MessagePack map from player id (integer key) to the last applied input
//! sequence number. In memory they are a sorted `Vec` of pairs: cheaper than a map to build
//! every tick, and the order makes the encoding deterministic.

use serde::de::{MapAccess, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

/// Upper bound on entries read from the wire, so a peer cannot make a decoder reserve memory by
/// claiming a huge map. A lobby never has more players than this.
const MAX_ACKS: usize = 1024;

pub(crate) fn serialize<S: Serializer>(acks: &[(u32, u64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(acks.iter().map(|(k, v)| (k, v)))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u32, u64)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(u32, u64)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map from player id to input sequence number")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0).min(64));
            while let Some((k, v)) = m.next_entry::<u32, u64>()? {
                if out.len() == MAX_ACKS {
                    return Err(serde::de::Error::custom("too many acks"));
                }
                out.push((k, v));
            }
            out.sort_unstable();
            Ok(out)
        }
    }
    d.deserialize_map(V)
}
