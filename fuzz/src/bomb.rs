//! MessagePack "length bombs": headers that claim a long array, map, string, binary or
//! extension with only a few bytes after them, placed where the protocol decoders will meet
//! them (a bare value, or a field of a message map, before or after its `"type"`), optionally
//! nested (each array's first element / each map's first key is the next header).

use arbitrary::Arbitrary;

/// The kind of a MessagePack length-prefixed value.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Array,
    Map,
    Str,
    Bin,
    Ext,
}

/// One header and the length it claims. It is written in the smallest MessagePack form that
/// holds the claim, unless `wide` asks for the 32-bit form (e.g. `dd 00 00 00 01`).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub claimed: u32,
    pub wide: bool,
}

impl Header {
    pub fn new(kind: Kind, claimed: u32) -> Self {
        Header { kind, claimed, wide: false }
    }

    /// True for arrays and maps, which another header can follow inside.
    pub fn is_container(&self) -> bool {
        matches!(self.kind, Kind::Array | Kind::Map)
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        let n = self.claimed;
        let be16 = (n as u16).to_be_bytes();
        let be32 = n.to_be_bytes();
        let small = !self.wide;
        match self.kind {
            Kind::Array if small && n < 16 => out.push(0x90 | n as u8),
            Kind::Array if small && n <= 0xffff => out.extend([0xdc, be16[0], be16[1]]),
            Kind::Array => out.extend([0xdd, be32[0], be32[1], be32[2], be32[3]]),
            Kind::Map if small && n < 16 => out.push(0x80 | n as u8),
            Kind::Map if small && n <= 0xffff => out.extend([0xde, be16[0], be16[1]]),
            Kind::Map => out.extend([0xdf, be32[0], be32[1], be32[2], be32[3]]),
            Kind::Str if small && n < 32 => out.push(0xa0 | n as u8),
            Kind::Str if small && n <= 0xff => out.extend([0xd9, n as u8]),
            Kind::Str if small && n <= 0xffff => out.extend([0xda, be16[0], be16[1]]),
            Kind::Str => out.extend([0xdb, be32[0], be32[1], be32[2], be32[3]]),
            Kind::Bin if small && n <= 0xff => out.extend([0xc4, n as u8]),
            Kind::Bin if small && n <= 0xffff => out.extend([0xc5, be16[0], be16[1]]),
            Kind::Bin => out.extend([0xc6, be32[0], be32[1], be32[2], be32[3]]),
            // ext: length, then a one-byte type tag
            Kind::Ext if small && n <= 0xff => out.extend([0xc7, n as u8, 0x01]),
            Kind::Ext if small && n <= 0xffff => out.extend([0xc8, be16[0], be16[1], 0x01]),
            Kind::Ext => out.extend([0xc9, be32[0], be32[1], be32[2], be32[3], 0x01]),
        }
    }
}

/// Which public decoder reads the bytes.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    Client,
    Server,
    PeekType,
}

/// `"type"` values: every client and server type, and one nobody knows.
pub const TYPES: &[&str] = &[
    "hello",
    "find_match",
    "cancel_match",
    "create_private",
    "join_private",
    "input",
    "leave",
    "chat",
    "welcome",
    "error",
    "rtt",
    "queued",
    "match_cancelled",
    "match_found",
    "roster",
    "lobby_state",
    "snapshot",
    "delta",
    "results",
    "lobby_closed",
    "notice",
    "warp",
];

/// Field names of the messages (and one unknown field).
pub const KEYS: &[&str] = &[
    "type",
    "protocol",
    "name",
    "token",
    "resume",
    "last_tick",
    "mode",
    "skill",
    "region",
    "code",
    "seq",
    "dx",
    "dy",
    "action",
    "text",
    "modes",
    "roster",
    "schema",
    "players",
    "joined",
    "left",
    "acks",
    "entities",
    "added",
    "changed",
    "removed",
    "scores",
    "fields",
    "message",
    "tick",
    "base",
    "x",
];

/// A small honest value for the fields before the bomb.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Small {
    Nil,
    Bool(bool),
    Int(i64),
    F32(f32),
    Str(u8),
    EmptyArray,
}

impl Small {
    fn write(&self, out: &mut Vec<u8>) {
        match *self {
            Small::Nil => out.push(0xc0),
            Small::Bool(b) => out.push(if b { 0xc3 } else { 0xc2 }),
            Small::Int(i) if (0..128).contains(&i) => out.push(i as u8),
            Small::Int(i) => {
                out.push(0xd3);
                out.extend(i.to_be_bytes());
            }
            Small::F32(f) => {
                out.push(0xca);
                out.extend(f.to_be_bytes());
            }
            Small::Str(k) => write_str(out, KEYS[usize::from(k) % KEYS.len()]),
            Small::EmptyArray => out.push(0x90),
        }
    }
}

/// Where the bomb sits.
#[derive(Arbitrary, Debug, Clone)]
pub enum Place {
    /// The whole message is the bomb chain.
    Bare,
    /// A message map: `{"type": T, before.., key: <bomb>}` (or with `"type"` last).
    /// `map_claimed` replaces the honest entry count of the outer map when set.
    Field { ty: u8, type_first: bool, before: Vec<(u8, Small)>, key: u8, map_claimed: Option<u32> },
}

/// One structured length-bomb input.
#[derive(Arbitrary, Debug, Clone)]
pub struct Bomb {
    pub decoder: Decoder,
    pub place: Place,
    /// Nested headers: each array's first element / map's first key is the next one. A string,
    /// binary or extension header ends the chain. At most [`MAX_CHAIN`] are used.
    pub chain: Vec<Header>,
    /// Bytes after the last header (at most [`MAX_TAIL`] are used).
    pub tail: Vec<u8>,
}

pub const MAX_CHAIN: usize = 24;
pub const MAX_TAIL: usize = 64;
const MAX_BEFORE: usize = 4;

pub fn write_str(out: &mut Vec<u8>, s: &str) {
    Header::new(Kind::Str, s.len() as u32).write(out);
    out.extend(s.as_bytes());
}

impl Bomb {
    /// The encoded input.
    pub fn bytes(&self) -> Vec<u8> {
        let mut chain = Vec::new();
        for h in self.chain.iter().take(MAX_CHAIN) {
            h.write(&mut chain);
            if !h.is_container() {
                break;
            }
        }
        chain.extend(self.tail.iter().take(MAX_TAIL));

        let mut out = Vec::new();
        match &self.place {
            Place::Bare => out.extend(chain),
            Place::Field { ty, type_first, before, key, map_claimed } => {
                let before = &before[..before.len().min(MAX_BEFORE)];
                let honest = 2 + before.len() as u32;
                Header { kind: Kind::Map, claimed: map_claimed.unwrap_or(honest), wide: false }
                    .write(&mut out);
                let ty = TYPES[usize::from(*ty) % TYPES.len()];
                if *type_first {
                    write_str(&mut out, "type");
                    write_str(&mut out, ty);
                }
                for (k, v) in before {
                    write_str(&mut out, KEYS[usize::from(*k) % KEYS.len()]);
                    v.write(&mut out);
                }
                write_str(&mut out, KEYS[usize::from(*key) % KEYS.len()]);
                out.extend(chain);
                if !*type_first {
                    write_str(&mut out, "type");
                    write_str(&mut out, ty);
                }
            }
        }
        out
    }
}

/// Run `bytes` through `decoder`, discarding the result (decode errors are expected).
pub fn decode_with(decoder: Decoder, bytes: &[u8]) {
    match decoder {
        Decoder::Client => drop(tickwave_protocol::decode_client(bytes)),
        Decoder::Server => drop(tickwave_protocol::decode_server(bytes)),
        Decoder::PeekType => drop(tickwave_protocol::peek_type(bytes)),
    }
}
