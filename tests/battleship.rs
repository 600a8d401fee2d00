//! The byte-level proof of per-player views (issue 16, item 5): a whole battleship game on a
//! real server (port 0, real wss), two protocol-2 players whose WebSockets are written by
//! hand (`battleship/raw.rs`) so that every byte the server sent each of them is recorded.
//! After the game, decoding every state message player A received and searching A's raw
//! bytes show that no ship cell of B's that A never hit ever reached A, in any form; and A's
//! state after every message is exactly what PROTOCOL.md §6.2.1 says A sees.
//!
//! The game is scripted so that B wins and most of B's fleet is never hit: A moves each of
//! its ships with `place` during the countdown; B fires at A's cells (known from A's
//! placement), ship by ship; A fires at five of B's cells (which the test knows from B's own
//! stream), then at water. The raw search is sound because B never misses: a `shot` of B's
//! that missed would carry the same four values as a never-hit cell of B's at that spot.

mod common;
#[path = "battleship/expect.rs"]
mod expect;
#[path = "battleship/raw.rs"]
mod raw;

use bytes::Bytes;
use common::*;
use expect::{FLEET_CELLS, Match, Shot, flatten};
use raw::{RawPlayer, contains};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::v2::{
    self, CommandOutcome, CommandResultMsg, Delta, EventMsg, Layout, MatchFound, ValueRef, View,
};
use tickwave_protocol::{ServerMessage, decode_server, encode_client, peek_type};

const T: Duration = Duration::from_secs(20);
/// The fleet's lengths by ship index (PROTOCOL.md §6.2.1).
const FLEET: [i64; 5] = [5, 4, 3, 3, 2];

/// A player's client state, built from its messages alone.
struct Player {
    raw: RawPlayer,
    found: Option<MatchFound>,
    view: Option<View>,
    tick: Option<u64>,
    phase: String,
    events: Vec<EventMsg>,
    results: Vec<CommandResultMsg>,
    end: Option<Bytes>,
    closed: bool,
    /// Every state message decoded: (tick, whether a snapshot, its entities or changes).
    frames: Vec<(u64, bool, Delta)>,
    /// The view after each state message, with the number of events received by then.
    states: Vec<(u64, View, usize)>,
    next_id: u32,
}

impl Player {
    async fn join(s: &TestServer, name: &str) -> Player {
        let raw = RawPlayer::join(s, name).await;
        Player {
            raw,
            found: None,
            view: None,
            tick: None,
            phase: String::new(),
            events: Vec::new(),
            results: Vec::new(),
            end: None,
            closed: false,
            frames: Vec::new(),
            states: Vec::new(),
            next_id: 0,
        }
    }

    fn id(&self) -> u32 {
        self.raw.player
    }

    fn handle(&mut self, b: Bytes) {
        match peek_type(&b).expect("every message has a type") {
            "match_found" => {
                let m = MatchFound::decode(&b).expect("a v2 match_found");
                let layout = Arc::new(Layout::new(m.schema.clone()).expect("a valid schema"));
                self.view = Some(View::new(layout));
                self.found = Some(m);
            }
            "snapshot" => {
                let s = v2::decode_snapshot(&b).unwrap();
                self.view.as_mut().unwrap().apply_snapshot(&s.state).expect("snapshot applies");
                self.tick = Some(s.tick);
                self.frames.push((s.tick, true, s.state));
                self.keep_state();
            }
            "delta" => {
                let d = v2::decode_delta(&b).unwrap();
                assert_eq!(Some(d.base), self.tick, "a delta's base is the tick held");
                self.view.as_mut().unwrap().apply(&d.delta).expect("delta applies");
                self.tick = Some(d.tick);
                self.frames.push((d.tick, false, d.delta));
                self.keep_state();
            }
            "event" => self.events.push(v2::decode_event(&b).unwrap()),
            "command_result" => self.results.push(v2::decode_command_result(&b).unwrap()),
            "results" => self.end = Some(b),
            "lobby_closed" => self.closed = true,
            "lobby_state" => {
                if let Ok(ServerMessage::LobbyState(s)) = decode_server(&b) {
                    self.phase = s.state;
                }
            }
            "error" => panic!("error: {:?}", decode_server(&b)),
            _ => {}
        }
    }

    fn keep_state(&mut self) {
        let view = self.view.clone().unwrap();
        self.states.push((self.tick.unwrap(), view, self.events.len()));
    }

    /// Read until `f` holds (or panic after `T`).
    async fn until(&mut self, what: &str, mut f: impl FnMut(&Player) -> bool) {
        let end = Instant::now() + T;
        while !f(self) {
            let left = end.checked_duration_since(Instant::now());
            let left = left.unwrap_or_else(|| panic!("{what}: not within {T:?}"));
            let b = self.raw.next(left).await;
            self.handle(b);
        }
    }

    /// Send a command and wait for its result.
    async fn command<A: Serialize>(&mut self, name: &str, args: &A) -> CommandOutcome {
        self.next_id += 1;
        let id = self.next_id;
        self.raw.send(&v2::encode_command(id, name, Some(args)).unwrap()).await;
        self.until("command_result", |c| c.results.iter().any(|r| r.id == id)).await;
        let i = self.results.iter().position(|r| r.id == id).unwrap();
        self.results.remove(i).outcome
    }

    fn global(&self, name: &str) -> Option<i64> {
        self.view.as_ref()?.global_named(name)?.as_i64()
    }

    /// The `ship_cell`s of `owner` in the current view: (x, y) -> hit.
    fn cells_of(&self, owner: u32) -> Vec<(i64, i64, bool)> {
        let v = self.view.as_ref().unwrap();
        let mut c: Vec<_> = v
            .entities()
            .filter(|e| e.kind_name() == "ship_cell")
            .filter(|e| e.field("owner").and_then(|v| v.as_i64()) == Some(owner.into()))
            .map(|e| {
                let f = |n| e.field(n).unwrap().as_i64().unwrap();
                (f("x"), f("y"), e.field("hit").unwrap().as_bool().unwrap())
            })
            .collect();
        c.sort_unstable();
        c
    }
}

#[derive(Serialize)]
struct Fire {
    x: i64,
    y: i64,
}

#[derive(Serialize)]
struct Place {
    ship: i64,
    x: i64,
    y: i64,
    vertical: bool,
}

fn ok(o: &CommandOutcome) -> bool {
    matches!(o, CommandOutcome::Ok(_))
}

/// Move each ship of `p`, in index order, to the first horizontal run in reading order that
/// none of `p`'s current cells occupy, during the countdown; returns each ship's cells. Such
/// a run always exists: blocking every run of 5 in a row takes 2 cells of that row, 20 in
/// all, and a fleet has 17. Each move is awaited in the state, so the next one sees it.
async fn place_fleet(p: &mut Player) -> Vec<Vec<(i64, i64)>> {
    let me = p.id();
    p.until("its own fleet", |p| p.view.is_some() && p.cells_of(me).len() == FLEET_CELLS).await;
    let mut ships = Vec::new();
    for (ship, &len) in FLEET.iter().enumerate() {
        let taken: Vec<(i64, i64)> = p.cells_of(me).iter().map(|c| (c.0, c.1)).collect();
        let run = |x: i64, y: i64| (0..len).map(move |i| (x + i, y));
        let (x, y) = (0..10)
            .flat_map(|y| (0..=10 - len).map(move |x| (x, y)))
            .find(|&(x, y)| run(x, y).all(|c| !taken.contains(&c)))
            .expect("a free run");
        let o = p.command("place", &Place { ship: ship as i64, x, y, vertical: false }).await;
        assert!(ok(&o), "place {ship} at ({x}, {y}): {o:?}");
        let cells: Vec<_> = run(x, y).collect();
        p.until("the ship moved", |p| {
            let now: Vec<_> = p.cells_of(me).iter().map(|c| (c.0, c.1)).collect();
            cells.iter().all(|c| now.contains(c))
        })
        .await;
        ships.push(cells);
    }
    ships
}

/// The MessagePack of a `ship_cell`'s values as the server encodes them (smallest int
/// encodings): `[owner, x, y, hit]`.
fn encoded_cell(owner: u32, x: i64, y: i64, hit: bool) -> Vec<u8> {
    rmp_serde::to_vec(&(i64::from(owner), x, y, hit)).unwrap()
}

/// A uint32 entity id as MessagePack encodes it (`ce` + 4 bytes, for ids >= 2^16).
fn encoded_id(id: u32) -> Vec<u8> {
    rmp_serde::to_vec(&id).unwrap()
}

/// Every `ship_cell` of `owner` that a state message sent, added or changed: (id, hit).
fn cells_sent(p: &Player, owner: u32) -> Vec<(u64, u32, Option<bool>)> {
    let f = p.found.as_ref().unwrap();
    let kind = f.schema.kinds.iter().position(|k| k.kind == "ship_cell").unwrap();
    let field = |n: &str| f.schema.kinds[kind].fields.iter().position(|x| x.name == n).unwrap();
    let (owner_at, hit_at) = (field("owner"), field("hit"));
    let mut ids_of_owner = BTreeSet::new();
    let mut out = Vec::new();
    for (tick, _, d) in &p.frames {
        for (id, k, values) in d.added() {
            let v: Vec<ValueRef<'_>> = values.iter().collect();
            if k == kind && v[owner_at] == ValueRef::Int(owner.into()) {
                ids_of_owner.insert(id);
                out.push((*tick, id, v[hit_at].as_bool()));
            }
        }
        for (id, mask, _) in d.changed() {
            if ids_of_owner.contains(&id) {
                // Any change of such a cell is reported, with the hit bit if it is set.
                out.push((*tick, id, (mask & (1 << hit_at) != 0).then_some(true)));
            }
        }
    }
    out
}

#[tokio::test]
async fn no_unhit_cell_of_the_opponent_ever_reaches_a_player() {
    // The built-in mode, as shipped: 10 Hz, 3 s countdown, 30 s turns.
    let s = start().await;
    let mut a = Player::join(&s, "ada").await;
    let mut b = Player::join(&s, "bob").await;
    for p in [&mut a, &mut b] {
        p.raw.send(&encode_client(&find("battleship"))).await;
    }
    for p in [&mut a, &mut b] {
        p.until("match_found", |p| p.found.is_some()).await;
    }
    assert_eq!(a.found.as_ref().unwrap().game, "battleship");
    let a_ships = place_fleet(&mut a).await;
    let mut a_fleet: Vec<(i64, i64)> = a_ships.concat();
    a_fleet.sort_unstable();
    for p in [&mut a, &mut b] {
        p.until("running, with a turn", |p| p.global("turn").is_some_and(|t| t != 0)).await;
    }
    let (ia, ib) = (a.id(), b.id());
    assert_eq!(a.cells_of(ia).iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(), a_fleet);
    assert!(a.cells_of(ib).is_empty() && b.cells_of(ia).is_empty(), "fleets are hidden");
    let b_fleet: Vec<(i64, i64)> = b.cells_of(ib).iter().map(|c| (c.0, c.1)).collect();
    assert_eq!(b_fleet.len(), FLEET_CELLS);

    // B fires at A's fleet ship by ship; A at five of B's cells, then at water.
    let mut b_targets = a_ships.concat().into_iter();
    let water = (0..10).flat_map(|y| (0..10).map(move |x| (x, y)));
    let water = water.filter(|c| !b_fleet.contains(c));
    let mut a_targets = b_fleet[..5].iter().copied().chain(water);
    let a_first = ia < ib;
    for turn in 0.. {
        let a_turn = (turn % 2 == 0) == a_first;
        let (p, target) =
            if a_turn { (&mut a, a_targets.next()) } else { (&mut b, b_targets.next()) };
        let me = i64::from(p.id());
        p.until("my turn or the end", |p| p.end.is_some() || p.global("turn") == Some(me)).await;
        if p.end.is_some() {
            break;
        }
        let (x, y) = target.expect("a cell not tried yet");
        let o = p.command("fire", &Fire { x, y }).await;
        assert!(ok(&o), "turn {turn}: {me} at ({x}, {y}): {o:?}");
        // The result comes before the state of its tick: wait for the turn to pass in it,
        // so that this player's next `turn == me` is not the stale one.
        p.until("the shot in the state", |p| p.end.is_some() || p.global("turn") != Some(me)).await;
    }
    for p in [&mut a, &mut b] {
        p.until("results and lobby_closed", |p| p.end.is_some() && p.closed).await;
    }

    // The end: B sank A's fleet.
    #[derive(Deserialize)]
    struct Line {
        player: u32,
        score: i64,
    }
    #[derive(Deserialize)]
    struct Payload {
        winner: i64,
        reason: String,
    }
    #[derive(Deserialize)]
    struct Results {
        scores: Vec<Line>,
        payload: Payload,
    }
    let r: Results = rmp_serde::from_slice(a.end.as_ref().unwrap()).unwrap();
    assert_eq!((r.payload.winner, r.payload.reason.as_str()), (i64::from(ib), "won"));
    let score = |p: u32| r.scores.iter().find(|l| l.player == p).map(|l| l.score);
    assert_eq!((score(ib), score(ia)), (Some(17), Some(5)));

    // The events both players got: every shot, B's results exactly (A's layout is known).
    let shots: Vec<Shot> = a.events.iter().map(Shot::of).collect();
    assert_eq!(shots, b.events.iter().map(Shot::of).collect::<Vec<_>>(), "events are public");
    let mut cell = 0;
    for s in shots.iter().filter(|s| s.player == ib) {
        let (ship, k) = ship_cell(cell);
        let want = if k + 1 == FLEET[ship] { "sunk" } else { "hit" };
        assert_eq!(s.result, want, "B's shot {cell}");
        cell += 1;
    }
    assert_eq!(cell, FLEET_CELLS);
    for s in shots.iter().filter(|s| s.player == ia) {
        assert_eq!(s.hit(), b_fleet.contains(&(s.x, s.y)), "A's shot at ({}, {})", s.x, s.y);
    }
    let hit_by_a: Vec<(i64, i64)> =
        shots.iter().filter(|s| s.player == ia && s.hit()).map(|s| (s.x, s.y)).collect();
    assert_eq!(hit_by_a, b_fleet[..5]);
    let never_hit: Vec<(i64, i64)> =
        b_fleet.iter().copied().filter(|c| !hit_by_a.contains(c)).collect();
    assert_eq!(never_hit.len(), 12);

    // 1. Decoded: no state message to A ever carried a cell of B's that was not hit.
    // (A gets a snapshot at the last tick: with its whole fleet hit, nothing of A's is its
    // own alone any more, so its view becomes the shared one of players on no team, and a
    // change of view is a snapshot. It may carry B's hit cells again; only hit ones.)
    let sent = cells_sent(&a, ib);
    assert!(sent.iter().all(|&(_, _, hit)| hit == Some(true)), "{sent:?}");
    let mut first_sent: Vec<(u64, u32)> = Vec::new();
    for &(tick, id, _) in &sent {
        if !first_sent.iter().any(|f| f.1 == id) {
            first_sent.push((tick, id));
        }
    }
    let b_ids = cell_ids(&b, ib);
    let hit_at: Vec<(u64, u32)> = shots
        .iter()
        .filter(|s| s.player == ia && s.hit())
        .map(|s| (s.tick, b_ids[&(s.x, s.y)]))
        .collect();
    assert_eq!(first_sent, hit_at, "each of B's cells reaches A in the tick A hit it");
    assert!(cells_sent(&b, ia).iter().all(|&(_, _, hit)| hit == Some(true)));

    // 2. Raw: neither the values nor the id of a never-hit cell of B's is anywhere in A's
    // bytes; the same patterns are in B's own bytes (so the search can find them), and the
    // cells A hit are in A's bytes with `hit: true`.
    for &(x, y) in &never_hit {
        let values = encoded_cell(ib, x, y, false);
        let id = encoded_id(b_ids[&(x, y)]);
        assert!(!contains(&a.raw.recorded, &values), "B's cell ({x}, {y}) reached A");
        assert!(!contains(&a.raw.recorded, &id), "the id of B's cell ({x}, {y}) reached A");
        assert!(contains(&b.raw.recorded, &values), "B's own stream has ({x}, {y})");
        assert!(contains(&b.raw.recorded, &id));
    }
    for &(x, y) in &hit_by_a {
        assert!(contains(&a.raw.recorded, &encoded_cell(ib, x, y, true)), "hit ({x}, {y})");
    }

    // 3. A's state after every message is what A should see.
    check_every_state(&a, ib, &shots);
    check_every_state(&b, ia, &shots);
    drop(s);
}

/// The ship and the index in it of A's `n`th cell when its ships are fired at in order.
fn ship_cell(n: usize) -> (usize, i64) {
    let mut n = n as i64;
    for (ship, &len) in FLEET.iter().enumerate() {
        if n < len {
            return (ship, n);
        }
        n -= len;
    }
    panic!("past the fleet");
}

/// The entity ids of `owner`'s cells in `p`'s final view, by cell.
fn cell_ids(p: &Player, owner: u32) -> std::collections::BTreeMap<(i64, i64), u32> {
    let v = p.view.as_ref().unwrap();
    v.entities()
        .filter(|e| e.kind_name() == "ship_cell")
        .filter(|e| e.field("owner").and_then(|v| v.as_i64()) == Some(owner.into()))
        .map(|e| {
            let f = |n| e.field(n).unwrap().as_i64().unwrap();
            ((f("x"), f("y")), e.id())
        })
        .collect()
}

/// Compare each state `p` held with the one §6.2.1 predicts from the events it had then.
fn check_every_state(p: &Player, other: u32, shots: &[Shot]) {
    let me = p.id();
    let first = p.states.iter().position(|(_, v, _)| {
        v.global_named("turn").and_then(|t| t.as_i64()).is_some_and(|t| t != 0)
    });
    let first = first.expect("a state with a turn");
    let (t0, v0, _) = &p.states[first];
    let my_cells: Vec<(u32, i64, i64)> = v0
        .entities()
        .filter(|e| e.kind_name() == "ship_cell")
        .map(|e| {
            let f = |n| e.field(n).unwrap().as_i64().unwrap();
            assert_eq!(f("owner"), i64::from(me), "only its own cells at the start");
            (e.id(), f("x"), f("y"))
        })
        .collect();
    let (id, x, y) = my_cells[0];
    let my_slot = (id - (1 << 31) - (y * 10 + x) as u32) / 100;
    assert!(my_slot < 2, "seat slot {my_slot}");
    let tick_hz = p.found.as_ref().unwrap().tick_hz;
    let m = Match {
        me,
        other,
        my_slot,
        my_cells: my_cells.iter().map(|c| (c.1, c.2)).collect(),
        first_turn_tick: *t0,
        turn_ticks: u64::from(tick_hz) * 30,
    };
    for (i, (tick, view, n)) in p.states.iter().enumerate() {
        let known = &shots[..*n];
        assert!(known.iter().all(|s| s.tick <= *tick), "events come before their state");
        assert!(shots[*n..].iter().all(|s| s.tick > *tick), "and not after it");
        let got = flatten(view);
        if i < first {
            // Before play: its own 17 cells only (placement may still move them), no turn.
            assert_eq!(got.1, vec![0, 0], "tick {tick}");
            let cells = got.0.iter().filter(|e| e.1 == "ship_cell");
            assert!(cells.clone().all(|e| e.2[0] == i64::from(me)), "tick {tick}");
            assert_eq!(cells.count(), FLEET_CELLS, "tick {tick}");
            continue;
        }
        assert_eq!(got, m.expected(known), "{me}'s state at tick {tick}");
    }
    assert!(p.states.len() > first + 20, "states were checked throughout the game");
}
