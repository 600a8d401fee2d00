//! Encoding and decoding of whole messages.
//!
//! Server messages are encoded with named fields (MessagePack maps) so that any MessagePack
//! library can read them. State messages on the hot path are encoded from borrowed data
//! ([`encode_snapshot`], [`encode_delta`]) straight into a `Bytes` the server shares with every
//! member of a lobby.

use crate::message::{ClientMessage, ServerMessage};
use crate::state::{Change, Delta, Entity, WorldView};
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

/// Why bytes could not be decoded into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not MessagePack, not a map, no string `"type"`, or a field of the wrong type.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A well-formed map whose `"type"` this side does not know.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
}

/// Nesting deeper than this is refused before it can exhaust the decoder's stack.
const MAX_DEPTH: usize = 16;

#[derive(Deserialize)]
struct TypeOnly<'a> {
    #[serde(rename = "type", borrow)]
    ty: &'a str,
}

/// The `"type"` of a message, without decoding the rest.
pub fn peek_type(bytes: &[u8]) -> Result<&str, DecodeError> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    TypeOnly::deserialize(&mut de).map(|t| t.ty).map_err(|e| DecodeError::Malformed(e.to_string()))
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8], known: &[&str]) -> Result<T, DecodeError> {
    crate::validate::validate(bytes, MAX_DEPTH)
        .and_then(|()| crate::validate::string_keyed_map(bytes))
        .map_err(|e| DecodeError::Malformed(e.to_string()))?;
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    match T::deserialize(&mut de) {
        Ok(v) => Ok(v),
        // Decoding failed: say whether the type was unknown or the fields were wrong.
        Err(e) => match peek_type(bytes) {
            Ok(ty) if !known.contains(&ty) => Err(DecodeError::UnknownType(ty.to_owned())),
            _ => Err(DecodeError::Malformed(e.to_string())),
        },
    }
}

/// Every client message `type`, as on the wire.
pub const CLIENT_TYPES: &[&str] = &[
    "hello",
    "find_match",
    "cancel_match",
    "create_private",
    "join_private",
    "input",
    "leave",
    "chat",
];

/// Every server message `type`, as on the wire.
pub const SERVER_TYPES: &[&str] = &[
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
    "chat",
    "notice",
    "redirect",
];

/// Decode one client message (server side).
pub fn decode_client(bytes: &[u8]) -> Result<ClientMessage, DecodeError> {
    decode(bytes, CLIENT_TYPES)
}

/// Decode one server message (client side).
pub fn decode_server(bytes: &[u8]) -> Result<ServerMessage, DecodeError> {
    decode(bytes, SERVER_TYPES)
}

fn encode_named<T: Serialize + ?Sized>(msg: &T, capacity: usize) -> Bytes {
    let mut w = BytesMut::with_capacity(capacity).writer();
    rmp_serde::encode::write_named(&mut w, msg).expect("encoding to memory cannot fail");
    w.into_inner().freeze()
}

/// Encode one server message.
pub fn encode_server(msg: &ServerMessage) -> Bytes {
    encode_named(msg, 128)
}

/// Encode one client message.
pub fn encode_client(msg: &ClientMessage) -> Bytes {
    encode_named(msg, 64)
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    tick: u64,
    #[serde(with = "crate::acks")]
    acks: &'a [(u32, u64)],
    entities: &'a WorldView,
}

#[derive(Serialize)]
struct DeltaRef<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    tick: u64,
    base: u64,
    #[serde(with = "crate::acks")]
    acks: &'a [(u32, u64)],
    added: &'a [Entity],
    changed: &'a [Change],
    removed: &'a [u32],
}

/// Encode a `snapshot` message from borrowed state (the server's hot path).
pub fn encode_snapshot(tick: u64, acks: &[(u32, u64)], view: &WorldView) -> Bytes {
    let msg = SnapshotRef { ty: "snapshot", tick, acks, entities: view };
    encode_named(&msg, 32 + acks.len() * 8 + view.len() * 16)
}

/// Encode a `delta` message from borrowed state (the server's hot path).
pub fn encode_delta(tick: u64, base: u64, acks: &[(u32, u64)], delta: &Delta) -> Bytes {
    let msg = DeltaRef {
        ty: "delta",
        tick,
        base,
        acks,
        added: &delta.added,
        changed: &delta.changed,
        removed: &delta.removed,
    };
    encode_named(&msg, 48 + acks.len() * 8 + delta.changed.len() * 12 + delta.added.len() * 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::*;
    use crate::{ErrorCode, PROTOCOL_VERSION};

    #[test]
    fn hello_round_trips_as_a_named_map() {
        let m = ClientMessage::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            name: "ada".into(),
            token: None,
            resume: None,
            last_tick: None,
            reservation: None,
        });
        let b = encode_client(&m);
        // fixmap with 3 entries, first key "type"
        assert_eq!(b[0], 0x83);
        assert_eq!(&b[1..6], b"\xa4type");
        assert_eq!(decode_client(&b).unwrap(), m);
    }

    #[test]
    fn unknown_type_and_malformed_are_told_apart() {
        let b = rmp_serde::to_vec_named(&serde_json_like("warp")).unwrap();
        assert_eq!(decode_client(&b), Err(DecodeError::UnknownType("warp".into())));
        assert!(matches!(decode_client(b"\xc1garbage"), Err(DecodeError::Malformed(_))));
        // known type, wrong field type
        let bad = rmp_serde::to_vec_named(&BadInput { r#type: "input", seq: "x" }).unwrap();
        assert!(matches!(decode_client(&bad), Err(DecodeError::Malformed(_))));
        // not a map at all
        assert!(matches!(decode_client(&[0x01]), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut b = vec![0x82, 0xa4, b't', b'y', b'p', b'e', 0xa5, b'h', b'e', b'l', b'l', b'o'];
        b.extend_from_slice(&[0xa1, b'x']);
        b.extend(std::iter::repeat_n(0x91, 100_000));
        b.push(0x00);
        assert!(decode_client(&b).is_err());
    }

    #[test]
    fn input_action_defaults_to_false() {
        #[derive(Serialize)]
        struct I {
            r#type: &'static str,
            seq: u64,
            dx: f32,
            dy: f32,
        }
        let b = rmp_serde::to_vec_named(&I { r#type: "input", seq: 7, dx: 1.0, dy: -0.5 }).unwrap();
        assert_eq!(
            decode_client(&b).unwrap(),
            ClientMessage::Input(Input { seq: 7, dx: 1.0, dy: -0.5, action: false })
        );
    }

    /// Issue 13: directions are read as float64 (or integers) and clamped before they are
    /// narrowed, so a finite value beyond f32's range is a full deflection, not infinity.
    #[test]
    fn input_directions_are_read_as_f64_then_clamped() {
        #[derive(Serialize)]
        struct I<T> {
            r#type: &'static str,
            seq: u64,
            dx: T,
            dy: T,
        }
        let dec = |dx: f64, dy: f64| match decode_client(
            &rmp_serde::to_vec_named(&I { r#type: "input", seq: 1, dx, dy }).unwrap(),
        ) {
            Ok(ClientMessage::Input(i)) => (i.dx, i.dy),
            other => panic!("{other:?}"),
        };
        assert_eq!(dec(1e300, -1e300), (1.0, -1.0));
        assert_eq!(dec(f64::MAX, -f64::MAX), (1.0, -1.0));
        assert_eq!(dec(3.5e38, 0.25), (1.0, 0.25));
        assert_eq!(dec(-0.5, 1e-300), (-0.5, 0.0));
        assert_eq!(dec(f64::INFINITY, f64::NEG_INFINITY), (f32::INFINITY, f32::NEG_INFINITY));
        assert!(dec(f64::NAN, 0.0).0.is_nan(), "NaN stays NaN, for the server to refuse");
        let ints = rmp_serde::to_vec_named(&I { r#type: "input", seq: 1, dx: 7i64, dy: -1i64 });
        match decode_client(&ints.unwrap()) {
            Ok(ClientMessage::Input(i)) => assert_eq!((i.dx, i.dy), (1.0, -1.0)),
            other => panic!("{other:?}"),
        }
        let f32s = rmp_serde::to_vec_named(&I { r#type: "input", seq: 1, dx: 0.5f32, dy: -2f32 });
        match decode_client(&f32s.unwrap()) {
            Ok(ClientMessage::Input(i)) => assert_eq!((i.dx, i.dy), (0.5, -1.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn state_messages_decode_as_server_messages() {
        let a = WorldView::from_entities(vec![Entity::new(1, 0, &[1, 2, 3])]).unwrap();
        let b = WorldView::from_entities(vec![Entity::new(1, 0, &[1, 5, 3])]).unwrap();
        let snap = encode_snapshot(10, &[(1, 4)], &a);
        match decode_server(&snap).unwrap() {
            ServerMessage::Snapshot(s) => {
                assert_eq!((s.tick, s.acks.as_slice(), &s.entities), (10, &[(1, 4)][..], &a));
            }
            other => panic!("{other:?}"),
        }
        let d = encode_delta(11, 10, &[(1, 5)], &a.diff(&b));
        match decode_server(&d).unwrap() {
            ServerMessage::Delta(d) => {
                assert_eq!((d.tick, d.base), (11, 10));
                let mut x = a.clone();
                x.apply(&crate::Delta { added: d.added, changed: d.changed, removed: d.removed })
                    .unwrap();
                assert_eq!(x, b);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn error_message_carries_snake_case_code() {
        let b = encode_server(&ServerMessage::Error {
            code: ErrorCode::ProtocolVersion,
            message: "x".into(),
            fatal: true,
        });
        let v: std::collections::BTreeMap<String, rmpv_like::V> =
            rmp_serde::from_slice(&b).unwrap();
        assert_eq!(v["type"], rmpv_like::V::S("error".into()));
        assert_eq!(v["code"], rmpv_like::V::S("protocol_version".into()));
    }

    #[derive(Serialize)]
    struct Ty {
        r#type: &'static str,
    }
    fn serde_json_like(t: &'static str) -> Ty {
        Ty { r#type: t }
    }
    #[derive(Serialize)]
    struct BadInput {
        r#type: &'static str,
        seq: &'static str,
    }

    /// A tiny dynamic value, enough to look at a decoded map without another dependency.
    mod rmpv_like {
        use serde::Deserialize;
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(untagged)]
        pub(super) enum V {
            B(bool),
            I(i64),
            S(String),
        }
    }
}
