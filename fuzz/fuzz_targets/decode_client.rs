//! Server side: arbitrary bytes from a peer through `decode_client`.
//!
//! Never panics; whatever decodes re-encodes with `encode_client` to bytes that decode to the
//! same message (and re-encode to the same bytes). `peek_type` agrees with the decoder where it
//! can read the type at all.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tickwave_protocol::{
    CLIENT_TYPES, ClientMessage, DecodeError, decode_client, encode_client, peek_type,
};

/// NaN != NaN: such messages are compared by their encodings only.
fn has_nan(m: &ClientMessage) -> bool {
    match m {
        ClientMessage::Input(i) => i.dx.is_nan() || i.dy.is_nan(),
        ClientMessage::FindMatch { skill: Some(s), .. } => s.is_nan(),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let peeked = peek_type(data).ok();
    match decode_client(data) {
        Ok(msg) => {
            if let ClientMessage::Input(i) = &msg {
                for v in [i.dx, i.dy] {
                    // Clamped when decoded; only NaN and infinities pass, for the server to refuse.
                    assert!(!v.is_finite() || (-1.0..=1.0).contains(&v), "unclamped direction {v}");
                }
            }
            let bytes = encode_client(&msg);
            let ty = peek_type(&bytes).expect("an encoded message has a readable \"type\"");
            assert!(CLIENT_TYPES.contains(&ty), "decoded a message of type {ty:?}");
            // Not every input that decodes can be peeked: serde also takes integer map keys as
            // field indices, so `{"type": T, 0: ..}` decodes but repeats `type` for
            // `peek_type` (see fuzz/README.md). When it can be peeked, the two must agree.
            if let Some(p) = peeked {
                assert_eq!(p, ty, "peek_type disagrees with the decoder");
            }
            let again = decode_client(&bytes)
                .unwrap_or_else(|e| panic!("re-encoded {msg:?} does not decode: {e}"));
            if !has_nan(&msg) {
                assert_eq!(msg, again, "round trip changed the message");
            }
            assert_eq!(bytes, encode_client(&again), "re-encoding is not stable");
        }
        Err(DecodeError::UnknownType(ty)) => {
            assert!(!CLIENT_TYPES.contains(&ty.as_str()), "known type {ty:?} reported unknown");
            assert_eq!(peeked, Some(ty.as_str()), "unknown type differs from peek_type");
        }
        Err(DecodeError::Malformed(_)) => {}
    }
});
