//! Inputs the decoders used to accept although PROTOCOL.md says a message is a map with
//! string keys: serde's derived field visitors took an integer key as a field's index, and
//! internally tagged enums took an array as the fields in order. Found by the `decode_client`
//! target; the protocol crate now refuses both as `malformed` (`validate::string_keyed_map`),
//! and these tests keep it that way.
//!
//! `cargo test -p tickwave-protocol --test strict_wire`

use tickwave_protocol::{ClientMessage, DecodeError, decode_client};

fn malformed(bytes: &[u8]) -> String {
    match decode_client(bytes) {
        Err(DecodeError::Malformed(m)) => m,
        other => panic!("expected malformed, got {other:?}"),
    }
}

/// `{"type": "find_match", 0: "x"}`: key `0` is not a field name.
#[test]
fn integer_keys_are_refused() {
    let m = malformed(b"\x82\xa4type\xaafind_match\x00\xa1x");
    assert!(m.contains("keys must be strings"), "{m}");
}

/// The fuzzer's own minimized input (27 bytes).
#[test]
fn fuzzer_input() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/findings/decode_client-int-key-peek-type.bin"
    ))
    .unwrap();
    malformed(&bytes);
}

/// `{"type": "input", 0: 7, 1: 0.5, 2: -1.0}` is not an input.
#[test]
fn an_input_with_only_integer_keys() {
    malformed(b"\x84\xa4type\xa5input\x00\x07\x01\xca\x3f\x00\x00\x00\x02\xca\xbf\x80\x00\x00");
}

/// `["input", 7, 0.5, -1.0]`: an array instead of a map.
#[test]
fn an_input_as_an_array() {
    let m = malformed(b"\x94\xa5input\x07\xca\x3f\x00\x00\x00\xca\xbf\x80\x00\x00");
    assert!(m.contains("must be a map"), "{m}");
}

/// PROTOCOL.md: "Unknown keys are ignored" — unknown *string* keys are; an integer key is
/// refused rather than silently taken as the first field.
#[test]
fn unknown_string_keys_are_ignored_integer_keys_refused() {
    let extra = b"\x83\xa4type\xa4chat\xa4text\xa2hi\xa5extra\xa1x";
    assert_eq!(decode_client(extra), Ok(ClientMessage::Chat { text: "hi".into() }));
    malformed(b"\x83\xa4type\xa4chat\xa4text\xa2hi\x00\xa1x");
    malformed(b"\x82\xa4type\xa4chat\x00\xa1x");
}
