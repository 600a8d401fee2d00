//! Inputs the decoders accept although PROTOCOL.md says message fields are string keys of a
//! map. Found by the `decode_client` target (its first version required `peek_type` to read
//! the type of every message that decodes). These tests pin the current behaviour; if the
//! protocol crate becomes strict, flip them.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml --test leniency`

use tickwave_protocol::{ClientMessage, Input, decode_client, peek_type};

/// `{"type": "find_match", 0: "x"}`: serde's derived field visitors take an integer key as the
/// field's index, so key `0` is `mode` for the decoder but `type` (a duplicate) for
/// `peek_type`.
#[test]
fn integer_keys_are_field_indices() {
    let bytes = b"\x82\xa4type\xaafind_match\x00\xa1x";
    assert_eq!(
        decode_client(bytes),
        Ok(ClientMessage::FindMatch { mode: "x".into(), skill: None, region: None })
    );
    let e = peek_type(bytes).unwrap_err();
    assert!(e.to_string().contains("duplicate field `type`"), "{e}");
}

/// The fuzzer's own minimized input (27 bytes).
#[test]
fn fuzzer_input() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/findings/decode_client-int-key-peek-type.bin"
    ))
    .unwrap();
    assert!(decode_client(&bytes).is_ok());
    assert!(peek_type(&bytes).is_err());
}

/// `{"type": "input", 0: 7, 1: 0.5, 2: -1.0}` is an input.
#[test]
fn an_input_with_only_integer_keys() {
    let bytes = b"\x84\xa4type\xa5input\x00\x07\x01\xca\x3f\x00\x00\x00\x02\xca\xbf\x80\x00\x00";
    assert_eq!(
        decode_client(bytes),
        Ok(ClientMessage::Input(Input { seq: 7, dx: 0.5, dy: -1.0, action: false }))
    );
}

/// `["input", 7, 0.5, -1.0]`: an array instead of a map; serde's internally tagged enums take
/// the first element as the tag and the rest as the fields in order.
#[test]
fn an_input_as_an_array() {
    let bytes = b"\x94\xa5input\x07\xca\x3f\x00\x00\x00\xca\xbf\x80\x00\x00";
    let r = decode_client(bytes);
    println!("array form: {r:?}, peek_type: {:?}", peek_type(bytes));
    assert_eq!(r, Ok(ClientMessage::Input(Input { seq: 7, dx: 0.5, dy: -1.0, action: false })));
}

/// PROTOCOL.md: "Unknown keys are ignored". An integer key is not ignored: `0` is the first
/// field, so `{"type": "chat", "text": "hi", 0: "x"}` repeats `text` and is refused, and
/// `{"type": "chat", 0: "x"}` is a chat line.
#[test]
fn an_integer_key_is_not_an_unknown_key() {
    let dup = b"\x83\xa4type\xa4chat\xa4text\xa2hi\x00\xa1x";
    let r = decode_client(dup);
    println!("duplicate through an integer key: {r:?}");
    assert!(r.unwrap_err().to_string().contains("duplicate field `text`"));
    let only = b"\x82\xa4type\xa4chat\x00\xa1x";
    assert_eq!(decode_client(only), Ok(ClientMessage::Chat { text: "x".into() }));
}
