//! Per-player views (issue 16) through the core: each member applies exactly the state the
//! game scoped for it, members that see the same share one encode, entering and leaving a
//! view are adds and removes, a change of view is a snapshot, and resumes and resyncs are
//! per view. Hidden values never reach a member's bytes.

use super::seats::rejoin;
use super::*;
use crate::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use crate::game::v2::scope::{Audience, Scopes};
use crate::game::v2::{FIRST_GAME_ENTITY_ID, Game, JoinRefusal, MatchCtx, NoSettings, Setup};
use serde::{Deserialize, Serialize};
use tickwave_protocol::v2::decode_delta;

#[derive(Serialize, Default)]
struct Player {
    score: i64,
    /// `private: team`.
    plan: i32,
}
#[derive(Serialize, Default)]
struct Card {
    count: i32,
    /// `private: owner`.
    value: i32,
}
#[derive(Serialize, Default)]
struct Flag {
    n: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Nothing {}

/// Values no other field takes, so a search of the bytes finds only them.
const SECRET: i32 = 0x7A5B_3C00;
const PLAN: i32 = 0x6E5D_4C00;

const CARD_OF_1: u32 = FIRST_GAME_ENTITY_ID;
const CARD_OF_3: u32 = FIRST_GAME_ENTITY_ID + 1;
const TEAM_FLAG: u32 = FIRST_GAME_ENTITY_ID + 2;
const FOR_4: u32 = FIRST_GAME_ENTITY_ID + 3;
const BEACON: u32 = FIRST_GAME_ENTITY_ID + 4;

/// Players 1, 2 and 5 are on team 0, player 3 on team 1, player 4 on none. Players 1 and 3
/// hold a card (its value private to them); team 0 has a flag; player 4 has an entity of its
/// own; a beacon is in player 2's interest set on ticks 4k and 4k+1.
#[derive(Default)]
struct Hands {
    players: Vec<u32>,
    tick: u64,
}

impl Game for Hands {
    const NAME: &'static str = "hands";
    type Input = Nothing;
    type Command = crate::game::v2::NoCommand;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Player>("player", |k| k.private_team("plan"))
            .kind::<Card>("card", |k| k.private_owner("value"))
            .kind::<Flag>("flag", |k| k)
            .input::<Nothing>(|i| i)
    }
    fn new(_: NoSettings, _: Setup<'_>) -> Self {
        Hands::default()
    }
    fn join(
        &mut self,
        ctx: &mut MatchCtx,
        p: &crate::game::v2::PlayerRecord,
    ) -> Result<(), JoinRefusal> {
        match p.id {
            1 | 2 | 5 => ctx.set_team(p.id, 0),
            3 => ctx.set_team(p.id, 1),
            _ => {}
        }
        self.players.push(p.id);
        Ok(())
    }
    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.players.retain(|&p| p != player);
    }
    fn input(&mut self, _: &mut MatchCtx, _: u32, _: Nothing) {}
    fn step(&mut self, ctx: &mut MatchCtx) {
        self.tick = ctx.tick();
    }
    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let l = out.layout().clone();
        let (player, card, flag) =
            (l.kind_id("player").unwrap(), l.kind_id("card").unwrap(), l.kind_id("flag").unwrap());
        let t = self.tick as i32;
        for &p in &self.players {
            out.push(p, player, &Player { score: t.into(), plan: PLAN + p as i32 })?;
        }
        out.push(CARD_OF_1, card, &Card { count: t, value: SECRET + (t % 16) })?;
        out.push(CARD_OF_3, card, &Card { count: t, value: SECRET + 32 + (t % 16) })?;
        out.push(TEAM_FLAG, flag, &Flag { n: t })?;
        out.push(FOR_4, flag, &Flag { n: -t })?;
        out.push(BEACON, flag, &Flag { n: 7 })?;
        Ok(())
    }
    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        out.set(CARD_OF_1, Audience::All, Some(1));
        out.set(CARD_OF_3, Audience::All, Some(3));
        out.set(TEAM_FLAG, Audience::Team(0), None);
        out.set(FOR_4, Audience::Player(4), None);
        out.set(BEACON, Audience::Nobody, None);
        if self.tick % 4 < 2 {
            out.show(2, BEACON);
        }
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        Vec::new()
    }
}

fn hands() -> Sim {
    let mut s = settings();
    s.max_players = 6;
    s.match_ticks = 1000;
    let lobby = GameSettings { seed: 1, tick_hz: s.tick_hz, max_players: s.max_players };
    Sim::with_game(s, crate::game::v2::build::<Hands>(NoSettings {}, lobby).unwrap())
}

/// A client of protocol 2: applies every state frame, keeps every byte it was sent.
struct Client {
    view: View,
    tick: Option<u64>,
    bytes: Vec<u8>,
    kinds: Vec<&'static str>,
}

impl Client {
    fn new(sim: &Sim) -> Self {
        Client {
            view: View::new(sim.core.layout().clone()),
            tick: None,
            bytes: vec![],
            kinds: vec![],
        }
    }

    fn take(&mut self, sim: &mut Sim, player: u32) {
        let frames: Vec<Bytes> = sim.links[&player].q.borrow_mut().frames.drain(..).collect();
        for b in frames {
            self.bytes.extend_from_slice(&b);
            match tickwave_protocol::peek_type(&b).unwrap() {
                "snapshot" => {
                    let s = v2::decode_snapshot(&b).unwrap();
                    self.view.apply_snapshot(&s.state).unwrap();
                    self.tick = Some(s.tick);
                    self.kinds.push("snapshot");
                }
                "delta" => {
                    let d = decode_delta(&b).unwrap();
                    assert_eq!(Some(d.base), self.tick, "player {player}: base is the tick held");
                    self.view.apply(&d.delta).unwrap();
                    self.tick = Some(d.tick);
                    self.kinds.push("delta");
                }
                _ => {}
            }
        }
    }

    fn ids(&self) -> Vec<u32> {
        self.view.entities().map(|e| e.id()).collect()
    }
}

/// A positive value of 2^16 or more as MessagePack writes it (`ce` + 4 bytes, big-endian).
fn int32(v: i32) -> [u8; 5] {
    assert!(v >= 1 << 16);
    let b = v.to_be_bytes();
    [0xce, b[0], b[1], b[2], b[3]]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

const ALL: [u32; 5] = [1, 2, 3, 4, 5];

fn lobby_of_five() -> (Sim, Vec<Client>) {
    let mut sim = hands();
    for p in ALL {
        sim.join_as(p, CAP, 2);
    }
    let clients = ALL.iter().map(|_| Client::new(&sim)).collect();
    (sim, clients)
}

#[test]
fn each_member_holds_its_own_view_and_hidden_values_never_reach_its_bytes() {
    let (mut sim, mut clients) = lobby_of_five();
    for _ in 0..20 {
        sim.tick();
        for (c, p) in clients.iter_mut().zip(ALL) {
            c.take(&mut sim, p);
            assert_eq!(c.view, sim.core.view_of(p), "player {p} holds its projection");
        }
    }
    let t = sim.core.tick_count();
    let [c1, c2, c3, c4, c5] = &clients[..] else { unreachable!() };
    // Owner-private: only the owner sees the value; everyone sees that the card exists.
    fn value(c: &Client, id: u32) -> tickwave_protocol::v2::ValueRef<'_> {
        c.view.get(id).unwrap().field("value").unwrap()
    }
    assert!(value(c1, CARD_OF_1).as_i64().is_some());
    assert!(value(c2, CARD_OF_1).is_nil() && value(c3, CARD_OF_1).is_nil());
    assert!(value(c3, CARD_OF_3).as_i64().is_some() && value(c1, CARD_OF_3).is_nil());
    // Team-private: teammates see the plan, others get nil.
    fn plan(c: &Client, id: u32) -> tickwave_protocol::v2::ValueRef<'_> {
        c.view.get(id).unwrap().field("plan").unwrap()
    }
    assert_eq!(plan(c2, 1).as_i64(), Some(i64::from(PLAN + 1)));
    assert!(plan(c3, 1).is_nil() && plan(c4, 1).is_nil());
    assert_eq!(plan(c3, 3).as_i64(), Some(i64::from(PLAN + 3)));
    assert_eq!(plan(c4, 4).as_i64(), Some(i64::from(PLAN + 4)), "an owner sees all of its own");
    // Audiences: the team flag to team 0, player 4's entity to player 4.
    for (c, p) in clients.iter().zip(ALL) {
        assert_eq!(c.ids().contains(&TEAM_FLAG), [1, 2, 5].contains(&p), "flag for {p}");
        assert_eq!(c.ids().contains(&FOR_4), p == 4, "player 4's entity for {p}");
        assert_eq!(c.tick, Some(t));
    }
    let _ = c5;
    // The bytes: no member but the owner ever got a card's value, nor another team's plan.
    for (c, p) in clients.iter().zip(ALL) {
        for v in 0..16 {
            assert_eq!(contains(&c.bytes, &int32(SECRET + v)), p == 1, "card of 1 to {p}");
            assert_eq!(contains(&c.bytes, &int32(SECRET + 32 + v)), p == 3, "card of 3 to {p}");
        }
        for q in ALL {
            let team = |x: u32| [1, 2, 5].contains(&x) as u8 + 2 * (x == 3) as u8;
            let sees = q == p || (team(q) != 0 && team(q) == team(p));
            let plan = int32(PLAN + q as i32);
            assert_eq!(contains(&c.bytes, &plan), sees, "plan of {q} to {p}");
        }
    }
}

#[test]
fn members_that_see_the_same_share_one_encode() {
    let (mut sim, mut clients) = lobby_of_five();
    sim.ticks(3);
    for (c, p) in clients.iter_mut().zip(ALL) {
        c.take(&mut sim, p);
    }
    // Tick 4k+3: no beacon since 4k+2 (when player 2 changed view, a snapshot more). Views:
    // player 1 and 3 (own cards), player 4 (its entity), and team 0's for players 2 and 5.
    while sim.core.tick_count() % 4 != 2 {
        sim.tick();
    }
    let stats = sim.tick();
    assert_eq!(sim.core.tick_count() % 4, 3);
    assert_eq!((stats.views, stats.encodes), (4, 4), "{stats:?}");
    let f2 = sim.links[&2].q.borrow().frames.back().cloned().unwrap();
    let f5 = sim.links[&5].q.borrow().frames.back().cloned().unwrap();
    assert_eq!(f2.as_ptr(), f5.as_ptr(), "players 2 and 5 get the same Bytes");
    // With the beacon in its interest set player 2 has a view of its own.
    let stats = sim.tick();
    assert_eq!(sim.core.tick_count() % 4, 0);
    assert_eq!((stats.views, stats.encodes), (5, 5), "{stats:?}");
}

#[test]
fn a_public_game_still_costs_one_encode_per_tick() {
    let mut sim = Sim::arena();
    for p in 1..=4 {
        sim.join_as(p, CAP, 2);
    }
    sim.ticks(2);
    let stats = sim.tick();
    assert_eq!((stats.views, stats.encodes), (1, 1), "{stats:?}");
}

#[test]
fn entering_and_leaving_a_view_are_adds_and_removes_and_a_new_view_is_a_snapshot() {
    let (mut sim, mut clients) = lobby_of_five();
    let mut seen = Vec::new();
    for _ in 0..12 {
        sim.tick();
        let c = &mut clients[1];
        c.take(&mut sim, 2);
        let t = sim.core.tick_count();
        assert_eq!(c.ids().contains(&BEACON), t % 4 < 2, "beacon at tick {t}");
        assert_eq!(c.view, sim.core.view_of(2));
        seen.push(*c.kinds.last().unwrap());
        let c5 = &mut clients[4];
        c5.take(&mut sim, 5);
        assert!(!c5.ids().contains(&BEACON), "never in player 5's view");
    }
    // Player 2's view changes (team 0's <-> its own) every two ticks, and still it gets
    // deltas only after its first snapshot: its own view is layered on its team's, so it
    // moves between the two on the state it holds. Player 5 stays on its team's deltas.
    assert_eq!(seen.iter().filter(|k| **k == "snapshot").count(), 1, "{seen:?}");
    assert_eq!(clients[4].kinds.iter().filter(|k| **k == "snapshot").count(), 1);
}

#[test]
fn a_resumed_member_catches_up_with_a_delta_of_its_own_view() {
    let (mut sim, mut clients) = lobby_of_five();
    for _ in 0..5 {
        sim.tick();
        clients[2].take(&mut sim, 3);
    }
    let s3 = sim.session(3);
    sim.core.disconnect(3, s3);
    sim.ticks(3);
    rejoin(&mut sim, 3, clients[2].tick).expect("the seat is held");
    let c = &mut clients[2];
    let before = c.kinds.len();
    c.take(&mut sim, 3);
    assert_eq!(&c.kinds[before..], ["delta"], "a catch-up delta, not a snapshot");
    assert_eq!(c.view, sim.core.view_of(3));
    sim.tick();
    c.take(&mut sim, 3);
    assert_eq!(c.kinds.last(), Some(&"delta"), "and deltas of its stream after it");
    assert_eq!(c.view, sim.core.view_of(3));
    for v in 0..16 {
        assert!(!contains(&c.bytes, &int32(SECRET + v)), "never player 1's card");
    }
}

#[test]
fn a_lagging_member_is_resynced_with_its_own_view() {
    let mut sim = hands();
    for p in [1, 2] {
        sim.join_as(p, CAP, 2);
    }
    sim.join_as(3, 8, 2);
    let mut c = Client::new(&sim);
    sim.ticks(10); // player 3's queue fills: it lags
    assert!(sim.core.members().iter().any(|m| m.player == 3 && m.needs_resync));
    c.take(&mut sim, 3);
    c.tick = None;
    sim.tick();
    c.take(&mut sim, 3);
    assert_eq!(c.kinds.last(), Some(&"snapshot"));
    assert_eq!(c.view, sim.core.view_of(3));
    assert!(c.view.get(CARD_OF_1).unwrap().field("value").unwrap().is_nil());
}
