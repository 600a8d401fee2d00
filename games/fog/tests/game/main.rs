//! Fog driven through `GameHarness`, as a lobby drives it: inputs go through the server's
//! own wire decoder, and what a player sees is `view_of`, the lobby's own projection.

mod determinism;
mod settings;
mod shots;
mod sight;
mod teams;

use tickwave::game::v2::schema::View;
use tickwave::game::v2::{GameHarness, PlayerRecord};
use tickwave_fog::{Fog, FogInput, FogSettings};

pub(crate) type H = GameHarness<Fog>;

pub(crate) const HZ: u32 = 30;
/// Long enough that the match's own time never ends a test's game.
pub(crate) const MATCH_TICKS: u64 = 30 * 60 * HZ as u64;

pub(crate) fn record(id: u32) -> PlayerRecord {
    PlayerRecord { id, name: format!("p{id}"), ..Default::default() }
}

/// Settings where a player walks exactly one unit a tick along an axis (30 units/s at
/// 30 Hz), so positions stay whole and distances in tests are exact.
pub(crate) fn unit_steps() -> FogSettings {
    FogSettings { speed: 30, ..FogSettings::default() }
}

/// A harness with players `1..=n` joined and the match running (not yet ticked).
pub(crate) fn running(settings: FogSettings, seed: u64, n: u32) -> H {
    let mut h = H::new(settings, seed, HZ, 64).unwrap();
    for id in 1..=n {
        h.join(record(id)).unwrap();
    }
    h.start(MATCH_TICKS);
    h
}

/// Hold this input.
pub(crate) fn hold(h: &mut H, player: u32, mx: f32, my: f32, aim: f32, fire: bool) {
    h.input(player, &FogInput { mx, my, aim, fire }).unwrap();
}

/// An integer field of entity `id` in `view`.
pub(crate) fn field(view: &View, id: u32, name: &str) -> i64 {
    view.get(id).unwrap().field(name).unwrap().as_i64().unwrap()
}

/// Player `id`'s whole-unit position in the world.
pub(crate) fn pos(h: &H, id: u32) -> (i64, i64) {
    (field(h.view(), id, "x"), field(h.view(), id, "y"))
}

/// The team the game put `id` on.
pub(crate) fn team(h: &H, id: u32) -> u32 {
    h.ctx().player(id).unwrap().team.unwrap()
}

/// Ids of `kind` in `view`.
pub(crate) fn ids(view: &View, kind: &str) -> Vec<u32> {
    view.entities().filter(|e| e.kind_name() == kind).map(|e| e.id()).collect()
}
