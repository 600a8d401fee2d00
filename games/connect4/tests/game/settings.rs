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

/// The server's own start-up check of a mode's `[mode.settings]`. The registry does not
/// take v2 games yet, so a v1 stand-in factory carries the settings type; only the check
/// runs.
fn registry_check(pairs: &[(&str, i64)]) -> Result<(), tickwave::game::SettingsError> {
    use tickwave::game::{GameRegistry, ModeSettings, arena::Arena};
    let mut r = GameRegistry::default();
    r.register_with_settings("connect4", |s, _: Connect4Settings| Box::new(Arena::new(s)));
    let mut table = ModeSettings::new();
    for &(k, v) in pairs {
        table.insert(k.to_owned(), v.into());
    }
    r.check_settings("connect4", &table).expect("registered")
}

#[test]
fn the_registry_refuses_bad_settings_naming_the_key() {
    assert_eq!(registry_check(&[]), Ok(()));
    assert_eq!(registry_check(&[("turn_secs", 300)]), Ok(()));
    let e = registry_check(&[("turn_secs", 4)]).unwrap_err().to_string();
    assert!(e.contains("turn_secs must be in 5..=300, got 4"), "{e}");
    let e = registry_check(&[("turn_sec", 20)]).unwrap_err().to_string();
    assert!(e.contains("unknown field `turn_sec`"), "{e}");
    let e = registry_check(&[("turn_secs", -1)]).unwrap_err().to_string();
    assert!(e.contains("in `turn_secs`"), "a negative value, named by its key: {e}");
}
