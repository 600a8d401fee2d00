//! `[mode.settings]`: defaults, unknown keys, ranges named by key.

use serde::Deserialize;
use serde::de::value::{Error, MapDeserializer};
use tickwave::game::GameConfig;
use tickwave_connect4::Connect4Settings;

/// Settings from a table of `u32` values, as the registry reads `[mode.settings]`.
fn parse(pairs: &[(&'static str, u32)]) -> Result<Connect4Settings, Error> {
    Connect4Settings::deserialize(MapDeserializer::new(pairs.iter().copied()))
}

#[test]
fn an_empty_table_is_the_defaults() {
    assert_eq!(parse(&[]).unwrap(), Connect4Settings { turn_secs: 20 });
    assert_eq!(Connect4Settings::default().turn_secs, 20);
    assert_eq!(parse(&[]).unwrap().check(), Ok(()));
}

#[test]
fn an_unknown_key_is_refused_and_named() {
    let e = parse(&[("turn_sec", 30)]).unwrap_err().to_string();
    assert!(e.contains("unknown field `turn_sec`"), "{e}");
}

#[test]
fn out_of_range_turn_secs_are_refused_with_the_key_named() {
    for bad in [0, 4, 301, u32::MAX] {
        let e = parse(&[("turn_secs", bad)]).unwrap().check().unwrap_err();
        assert_eq!(e, format!("turn_secs must be in 5..=300, got {bad}"));
    }
    for good in [5, 20, 300] {
        assert_eq!(parse(&[("turn_secs", good)]).unwrap().check(), Ok(()), "{good}");
    }
}
