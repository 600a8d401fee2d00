//! Connect four driven through `GameHarness`, as a lobby drives it: commands go through the
//! server's own wire decoder, state is read from the view a client holds.

mod clock;
mod refusals;
mod settings;
mod view;
mod wins;

use serde::Serialize;
use tickwave::game::v2::schema::Value;
use tickwave::game::v2::{
    CommandError, GameHarness, HarnessEvent, MatchEnd, PlayerRecord, Refusal, Reply,
};
use tickwave_connect4::{Connect4, Connect4Settings, DropArgs};

pub(crate) type H = GameHarness<Connect4>;

pub(crate) const HZ: u32 = 30;
/// Long enough that the match's own time never ends a test's game.
pub(crate) const MATCH_TICKS: u64 = 30 * 60 * HZ as u64;

pub(crate) fn record(id: u32) -> PlayerRecord {
    PlayerRecord { id, name: format!("p{id}"), ..Default::default() }
}

/// A harness in `waiting` with `players` joined in this order.
pub(crate) fn seated(settings: Connect4Settings, players: &[u32]) -> H {
    let mut h = H::new(settings, 7, HZ, 2).unwrap();
    for &id in players {
        h.join(record(id)).unwrap();
    }
    h
}

/// Players joined in this order and the match running (not yet ticked).
pub(crate) fn running(players: &[u32]) -> H {
    let mut h = seated(Connect4Settings::default(), players);
    h.start(MATCH_TICKS);
    h
}

/// A drop as a client sends it.
pub(crate) fn drop(
    h: &mut H,
    player: u32,
    column: i32,
) -> Result<Result<Reply, Refusal>, CommandError> {
    h.command(player, "drop", &DropArgs { column })
}

/// A drop the game refuses: its refusal.
pub(crate) fn refused(h: &mut H, player: u32, column: i32) -> Refusal {
    drop(h, player, column).expect("the server passes it to the game").unwrap_err()
}

/// Play `columns` in turn, `first` and `second` alternating, one move a tick; every move
/// must be accepted. Returns every event.
pub(crate) fn play(h: &mut H, first: u32, second: u32, columns: &[i32]) -> Vec<HarnessEvent> {
    let mut events = Vec::new();
    for (i, &c) in columns.iter().enumerate() {
        let p = if i % 2 == 0 { first } else { second };
        drop(h, p, c).unwrap().unwrap_or_else(|r| panic!("move {i} ({p} in {c}): {r}"));
        events.extend(h.tick().unwrap().events);
    }
    events
}

pub(crate) fn int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Int(i)) => *i,
        other => panic!("not an int: {other:?}"),
    }
}

/// An integer field of entity `id` in the view.
pub(crate) fn field(h: &H, id: u32, name: &str) -> i64 {
    h.view().get(id).unwrap().field(name).unwrap().as_i64().unwrap()
}

pub(crate) fn global(h: &H, name: &str) -> i64 {
    h.view().global_named(name).unwrap().as_i64().unwrap()
}

/// The events' names, in order.
pub(crate) fn names(events: &[HarnessEvent]) -> Vec<&str> {
    events.iter().map(|e| e.name.as_str()).collect()
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
