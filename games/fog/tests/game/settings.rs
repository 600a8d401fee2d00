//! `[mode.settings]`: defaults, unknown keys, ranges named by key.

use serde::Deserialize;
use serde::de::value::{Error, MapDeserializer};
use tickwave::game::GameConfig;
use tickwave_fog::FogSettings;

fn parse(pairs: &[(&'static str, u32)]) -> Result<FogSettings, Error> {
    FogSettings::deserialize(MapDeserializer::new(pairs.iter().copied()))
}

#[test]
fn an_empty_table_is_the_defaults() {
    assert_eq!(parse(&[]).unwrap(), FogSettings::default());
    assert_eq!(FogSettings::default().check(), Ok(()));
    assert_eq!(parse(&[("radius", 40), ("cell", 20)]).unwrap().radius, 40);
}

#[test]
fn an_unknown_key_is_refused_and_named() {
    let e = parse(&[("raduis", 30)]).unwrap_err().to_string();
    assert!(e.contains("unknown field `raduis`"), "{e}");
}

#[test]
fn every_key_is_checked_against_its_range() {
    for (key, _, lo, hi) in FogSettings::default().ranges() {
        for bad in [lo.checked_sub(1), hi.checked_add(1)].into_iter().flatten() {
            let e = parse(&[(key, bad)]).unwrap().check().unwrap_err();
            assert_eq!(e, format!("{key} must be in {lo}..={hi}, got {bad}"));
        }
        for good in [lo, hi] {
            assert_eq!(parse(&[(key, good)]).unwrap().check(), Ok(()), "{key} = {good}");
        }
    }
}
