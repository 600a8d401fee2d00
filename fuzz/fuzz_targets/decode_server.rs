//! Client side: arbitrary bytes through `decode_server` (every server message, snapshot and
//! delta included).
//!
//! Never panics; whatever decodes re-encodes with `encode_server` to bytes that decode to the
//! same message. Snapshots and deltas must also encode to the same bytes through the server's
//! hot-path encoders (`encode_snapshot`, `encode_delta`) as through `encode_server`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tickwave_protocol::{
    DecodeError, Delta, SERVER_TYPES, ServerMessage, decode_server, encode_delta, encode_server,
    encode_snapshot, peek_type,
};

/// NaN != NaN: such messages are compared by their encodings only.
fn has_nan(m: &ServerMessage) -> bool {
    match m {
        ServerMessage::Rtt(r) => r.rtt_ms.is_nan() || r.jitter_ms.is_nan() || r.last_ms.is_nan(),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let peeked = peek_type(data).ok();
    match decode_server(data) {
        Ok(msg) => {
            let bytes = encode_server(&msg);
            let ty = peek_type(&bytes).expect("an encoded message has a readable \"type\"");
            assert!(SERVER_TYPES.contains(&ty), "decoded a message of type {ty:?}");
            // Not every input that decodes can be peeked: serde also takes integer map keys as
            // field indices, so `{"type": T, 0: ..}` decodes but repeats `type` for
            // `peek_type` (see fuzz/README.md). When it can be peeked, the two must agree.
            if let Some(p) = peeked {
                assert_eq!(p, ty, "peek_type disagrees with the decoder");
            }
            let again = decode_server(&bytes)
                .unwrap_or_else(|e| panic!("re-encoded {msg:?} does not decode: {e}"));
            if !has_nan(&msg) {
                assert_eq!(msg, again, "round trip changed the message");
            }
            assert_eq!(bytes, encode_server(&again), "re-encoding is not stable");
            match &msg {
                ServerMessage::Snapshot(s) => {
                    let hot = encode_snapshot(s.tick, &s.acks, &s.entities);
                    assert_eq!(hot, bytes, "encode_snapshot differs from encode_server");
                }
                ServerMessage::Delta(d) => {
                    let delta = Delta {
                        added: d.added.clone(),
                        changed: d.changed.clone(),
                        removed: d.removed.clone(),
                    };
                    let hot = encode_delta(d.tick, d.base, &d.acks, &delta);
                    assert_eq!(hot, bytes, "encode_delta differs from encode_server");
                }
                _ => {}
            }
        }
        Err(DecodeError::UnknownType(ty)) => {
            assert!(!SERVER_TYPES.contains(&ty.as_str()), "known type {ty:?} reported unknown");
            assert_eq!(peeked, Some(ty.as_str()), "unknown type differs from peek_type");
        }
        Err(DecodeError::Malformed(_)) => {}
    }
});
