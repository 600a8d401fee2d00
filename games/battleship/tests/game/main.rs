//! Battleship driven through `GameHarness`, as a lobby drives it: commands go through the
//! server's own wire decoder, state is read from the view a client holds (`view_of`: the
//! world as the game scopes it for that player).

mod placement;
mod play;
mod refusals;
mod turns;
mod view;

use serde::Serialize;
use std::collections::BTreeMap;
use tickwave::game::v2::schema::{Value, View};
use tickwave::game::v2::{
    CommandError, GameHarness, HarnessEvent, MatchEnd, PlayerRecord, Refusal, Reply,
};
use tickwave_battleship::{Battleship, BattleshipSettings, FireArgs, Fleet, PlaceArgs};

pub(crate) type H = GameHarness<Battleship>;

pub(crate) const SEED: u64 = 7;
pub(crate) const HZ: u32 = 10;
/// Long enough that the match's own time never ends a test's game.
pub(crate) const MATCH_TICKS: u64 = 60 * 60 * HZ as u64;
/// The default turn (30 s) in ticks.
pub(crate) const TURN_TICKS: u64 = 30 * HZ as u64;

pub(crate) fn record(id: u32) -> PlayerRecord {
    PlayerRecord { id, name: format!("p{id}"), ..Default::default() }
}

/// A harness in `waiting` with `players` joined in this order.
pub(crate) fn seated(players: &[u32]) -> H {
    let mut h = H::new(BattleshipSettings::default(), SEED, HZ, 2).unwrap();
    for &id in players {
        h.join(record(id)).unwrap();
    }
    h
}

/// Players joined in this order and the match running (not yet ticked).
pub(crate) fn running(players: &[u32]) -> H {
    let mut h = seated(players);
    h.start(MATCH_TICKS);
    h
}

/// A shot as a client sends it.
pub(crate) fn fire(
    h: &mut H,
    player: u32,
    x: i32,
    y: i32,
) -> Result<Result<Reply, Refusal>, CommandError> {
    h.command(player, "fire", &FireArgs { x, y })
}

/// A shot the game refuses: its refusal.
pub(crate) fn refused_fire(h: &mut H, player: u32, x: i32, y: i32) -> Refusal {
    fire(h, player, x, y).expect("the server passes it to the game").unwrap_err()
}

/// A shot the game accepts, and the tick after it: that tick's events.
pub(crate) fn shoot(h: &mut H, player: u32, x: i32, y: i32) -> Vec<HarnessEvent> {
    fire(h, player, x, y).unwrap().unwrap_or_else(|r| panic!("{player} at ({x}, {y}): {r}"));
    h.tick().unwrap().events
}

/// A `place` as a client sends it.
pub(crate) fn place(
    h: &mut H,
    player: u32,
    ship: i32,
    x: i32,
    y: i32,
    vertical: bool,
) -> Result<Result<Reply, Refusal>, CommandError> {
    h.command(player, "place", &PlaceArgs { ship, x, y, vertical })
}

/// The `ship_cell` entities of `owner` in `view`: cell -> hit.
pub(crate) fn cells_of(view: &View, owner: u32) -> BTreeMap<(i64, i64), bool> {
    view.entities()
        .filter(|e| e.kind_name() == "ship_cell")
        .filter(|e| e.field("owner").unwrap().as_i64() == Some(owner.into()))
        .map(|e| {
            let f = |n| e.field(n).unwrap().as_i64().unwrap();
            ((f("x"), f("y")), e.field("hit").unwrap().as_bool().unwrap())
        })
        .collect()
}

/// The cells of a fleet, as `cells_of` spells them.
pub(crate) fn fleet_cells(f: &Fleet) -> Vec<(i64, i64)> {
    let mut v: Vec<_> = f.cells().map(|(_, (x, y))| (i64::from(x), i64::from(y))).collect();
    v.sort_unstable();
    v
}

/// The water cells of `f` in reading order (cells `f` does not cover).
pub(crate) fn water(f: &Fleet) -> Vec<(i32, i32)> {
    (0..10)
        .flat_map(|y| (0..10).map(move |x| (x, y)))
        .filter(|&(x, y)| f.ship_at(x as u8, y as u8).is_none())
        .collect()
}

pub(crate) fn global(h: &H, name: &str) -> i64 {
    h.view().global_named(name).unwrap().as_i64().unwrap()
}

/// An integer field of entity `id` in the world view.
pub(crate) fn field(h: &H, id: u32, name: &str) -> i64 {
    h.view().get(id).unwrap().field(name).unwrap().as_i64().unwrap()
}

/// The `shot` events as (player, x, y, result).
pub(crate) fn shots(events: &[HarnessEvent]) -> Vec<(i64, i64, i64, String)> {
    events
        .iter()
        .filter(|e| e.name == "shot")
        .map(|e| {
            let int = |n| match e.field(n) {
                Some(Value::Int(i)) => *i,
                other => panic!("{n}: {other:?}"),
            };
            let result = match e.field("result") {
                Some(Value::Str(s)) => s.clone(),
                other => panic!("result: {other:?}"),
            };
            (int("player"), int("x"), int("y"), result)
        })
        .collect()
}

/// The payload as the wire spells it, built independently of the crate's own type.
#[derive(Serialize)]
struct Payload {
    winner: i64,
    reason: &'static str,
}

/// The end a client's `results` must carry.
pub(crate) fn expected_end(scores: Vec<(u32, i64)>, winner: u32, reason: &'static str) -> MatchEnd {
    MatchEnd::new(scores).with_payload(&Payload { winner: winner.into(), reason }).unwrap()
}
