//! The core driving a game of game API v2 for protocol-2 members: typed state that a
//! client view applies, commands answered at the next tick in arrival order, events routed
//! before the state of their tick, a match the game ends, a refused seat, events kept for a
//! held seat, and protocol-1 members refused from a game without a v1 form.

use super::*;
use crate::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use crate::game::v2::{
    Game, JoinRefusal, MatchCtx, MatchEnd, NoSettings, Phase, Refusal, Reply, Setup, To,
};
use serde::{Deserialize, Serialize};
use tickwave_protocol::v2::{CommandOutcome, decode_command_result, decode_delta, decode_event};

#[derive(Serialize, Default)]
struct Player<'a> {
    score: i64,
    name: &'a str,
}
#[derive(Serialize, Default)]
struct Round {
    round: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Push {
    push: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Add {
    n: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Finish {}
#[derive(Deserialize)]
#[serde(tag = "name", content = "args")]
enum Cmd {
    #[serde(rename = "add")]
    Add(Add),
    #[serde(rename = "finish")]
    Finish(Finish),
}
#[derive(Serialize, Default)]
struct Added {
    player: i64,
    n: i32,
}
#[derive(Serialize, Default)]
struct Secret {
    n: i32,
}

/// A tally: inputs push a player's score, `add` adds to it (refusing negatives), `finish`
/// ends the match; every `add` is an event to everyone and a secret to the adder.
#[derive(Default)]
struct Tally {
    players: Vec<(u32, String, i64)>,
    round: i32,
    log: Vec<String>,
}

impl Game for Tally {
    const NAME: &'static str = "tally";
    type Input = Push;
    type Command = Cmd;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Player>("player", |k| k.max_len("name", 16))
            .globals::<Round>(|g| g)
            .input::<Push>(|i| i.range("push", 0, 3))
            .command::<Add>("add", |a| a)
            .command::<Finish>("finish", |a| a)
            .event::<Added>("added", |e| e)
            .event::<Secret>("secret", |e| e)
    }
    fn new(_: NoSettings, _: Setup<'_>) -> Self {
        Tally::default()
    }
    fn join(
        &mut self,
        _: &mut MatchCtx,
        p: &crate::game::v2::PlayerRecord,
    ) -> Result<(), JoinRefusal> {
        if p.id == 99 {
            return Err(Refusal::new("banned", "player 99 may not play"));
        }
        self.players.push((p.id, p.name.clone(), 0));
        Ok(())
    }
    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.players.retain(|p| p.0 != player);
    }
    fn input(&mut self, _: &mut MatchCtx, player: u32, input: Push) {
        self.log.push(format!("input {player} {}", input.push));
        if let Some(p) = self.players.iter_mut().find(|p| p.0 == player) {
            p.2 += i64::from(input.push);
        }
    }
    fn command(&mut self, ctx: &mut MatchCtx, player: u32, c: Cmd) -> Result<Reply, Refusal> {
        match c {
            Cmd::Add(a) if a.n < 0 => Err(Refusal::new("negative", "n must be >= 0")),
            Cmd::Add(a) => {
                self.log.push(format!("add {player} {}", a.n));
                if let Some(p) = self.players.iter_mut().find(|p| p.0 == player) {
                    p.2 += i64::from(a.n);
                }
                ctx.emit(To::All, "added", &Added { player: player.into(), n: a.n });
                ctx.emit(To::Player(player), "secret", &Secret { n: a.n * 10 });
                Ok(Reply::value(&a.n).unwrap())
            }
            Cmd::Finish(_) => {
                let scores = self.players.iter().map(|p| (p.0, p.2)).collect();
                ctx.end_match(MatchEnd::new(scores).with_payload(&"done").unwrap());
                Ok(Reply::none())
            }
        }
    }
    fn step(&mut self, ctx: &mut MatchCtx) {
        if ctx.phase() == Phase::Running {
            self.round += 1;
        }
    }
    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let k = out.layout().kind_id("player").unwrap();
        for (id, name, score) in &self.players {
            out.push(*id, k, &Player { score: *score, name })?;
        }
        out.set_globals(&Round { round: self.round })
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.players.iter().map(|p| (p.0, p.2)).collect()
    }
    fn summary(&self) -> serde_json::Value {
        serde_json::json!(self.log)
    }
}

fn tally() -> Sim {
    let s = settings();
    let lobby = GameSettings { seed: 1, tick_hz: s.tick_hz, max_players: s.max_players };
    Sim::with_game(s, crate::game::v2::build::<Tally>(NoSettings {}, lobby).unwrap())
}

/// A protocol-2 member's client: every frame by type, and the state applied.
struct Client {
    view: View,
    tick: Option<u64>,
}

impl Client {
    fn new(sim: &Sim) -> Self {
        Client { view: View::new(sim.core.layout().clone()), tick: None }
    }

    /// Apply the state messages among `frames`; returns each frame's type in order.
    fn take(&mut self, frames: &[Bytes]) -> Vec<String> {
        let mut out = Vec::new();
        for b in frames {
            let ty = tickwave_protocol::peek_type(b).unwrap().to_owned();
            match ty.as_str() {
                "snapshot" => {
                    let s = v2::decode_snapshot(b).unwrap();
                    self.view.apply_snapshot(&s.state).unwrap();
                    self.tick = Some(s.tick);
                }
                "delta" => {
                    let d = decode_delta(b).unwrap();
                    assert_eq!(Some(d.base), self.tick, "a delta applies to the tick held");
                    self.view.apply(&d.delta).unwrap();
                    self.tick = Some(d.tick);
                }
                "event" => {
                    let e = decode_event(b).unwrap();
                    out.push(format!("event:{}@{}", e.name, e.tick));
                    continue;
                }
                _ => {}
            }
            out.push(ty);
        }
        out
    }
}

impl Sim {
    fn frames(&mut self, player: u32) -> Vec<Bytes> {
        self.links[&player].q.borrow_mut().frames.drain(..).collect()
    }

    fn command(&mut self, player: u32, id: u32, name: &str, n: i32) {
        let bytes = if name == "add" {
            v2::encode_command(id, name, Some(&Add { n })).unwrap()
        } else {
            v2::encode_command(id, name, Some(&Finish {})).unwrap()
        };
        let frame = v2::decode_command(self.core.layout(), &bytes).unwrap();
        self.core.push_command(player, frame);
    }

    fn push(&mut self, player: u32, seq: u64, push: i32) {
        let bytes = v2::encode_input(seq, None, &Push { push }).unwrap();
        let frame = v2::decode_input(self.core.layout().input(), &bytes).unwrap();
        self.core.push_input(player, frame, self.now);
    }
}

/// A command's id and its outcome: the reply's bytes, or the refusal's code.
type Answer = (u32, Result<Option<Vec<u8>>, String>);

fn results(frames: &[Bytes]) -> Vec<Answer> {
    frames
        .iter()
        .filter(|b| tickwave_protocol::peek_type(b).unwrap() == "command_result")
        .map(|b| {
            let r = decode_command_result(b).unwrap();
            let o = match r.outcome {
                CommandOutcome::Ok(v) => Ok(v),
                CommandOutcome::Err { code, .. } => Err(code),
            };
            (r.id, o)
        })
        .collect()
}

#[test]
fn a_v2_member_gets_the_typed_schema_and_state_it_can_apply() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.join_as(2, CAP, 2);
    let first = sim.frames(1);
    let mf = v2::MatchFound::decode(&first[0]).expect("a v2 match_found");
    assert_eq!(mf.game, "tally");
    assert_eq!(mf.schema, *sim.core.layout().schema());
    let mut c = Client::new(&sim);
    c.take(&first);
    for _ in 0..30 {
        sim.push(1, sim.core.tick_count() + 1, 2);
        sim.tick();
        let f = sim.frames(1);
        c.take(&f);
    }
    assert_eq!(c.tick, Some(sim.core.tick_count()));
    assert!(c.view.diff(sim.core.last_view()).is_empty(), "the client holds the lobby's view");
    assert_eq!(c.view.get(1).unwrap().field("score").unwrap().as_i64(), Some(60));
    assert_eq!(c.view.get(2).unwrap().field("name").unwrap().as_str(), Some("p2"));
    assert!(c.view.global_named("round").unwrap().as_i64().unwrap() > 0, "running");
}

#[test]
fn commands_apply_at_the_next_tick_after_its_inputs_in_arrival_order() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.join_as(2, CAP, 2);
    sim.tick();
    let (mut c1, mut c2) = (Client::new(&sim), Client::new(&sim));
    c1.take(&sim.frames(1));
    c2.take(&sim.frames(2));
    sim.command(2, 7, "add", 5);
    sim.command(1, 8, "add", -1);
    sim.push(1, 1, 3);
    assert!(results(&sim.frames(2)).is_empty(), "not before the tick");
    let stats = sim.tick();
    assert_eq!(stats.commands, 2);
    let (f1, f2) = (sim.frames(1), sim.frames(2));
    assert_eq!(sim.core.summary(), serde_json::json!(["input 1 3", "add 2 5"]), "inputs first");
    assert_eq!(results(&f2), [(7, Ok(Some(rmp_serde::to_vec(&5).unwrap())))]);
    assert_eq!(results(&f1), [(8, Err("negative".to_string()))]);
    // Events: `added` to both, `secret` only to the adder, both before the tick's state.
    let t = sim.core.tick_count();
    let n1 = c1.take(&f1);
    let n2 = c2.take(&f2);
    assert!(n1.contains(&format!("event:added@{t}")) && !n1.iter().any(|n| n.contains("secret")));
    let pos = |n: &[String], what: &str| n.iter().position(|x| x == what).unwrap();
    assert!(pos(&n2, &format!("event:secret@{t}")) < pos(&n2, "delta"), "{n2:?}");
    assert!(pos(&n1, &format!("event:added@{t}")) < pos(&n1, "delta"), "{n1:?}");
    assert_eq!(c2.view.get(2).unwrap().field("score").unwrap().as_i64(), Some(5));
}

#[test]
fn a_member_may_have_only_so_many_commands_waiting() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.frames(1);
    for id in 0..20 {
        sim.command(1, id, "add", 1);
    }
    let early = results(&sim.frames(1));
    let refused: Vec<u32> = early.iter().map(|r| r.0).collect();
    assert_eq!(refused, (16..20).collect::<Vec<_>>(), "answered at once");
    assert!(early.iter().all(|r| r.1 == Err("too_many_commands".into())));
    sim.tick();
    assert_eq!(results(&sim.frames(1)).len(), 16, "the 16 waiting ones answered");
}

#[test]
fn the_game_ends_the_match_with_its_payload_after_the_deciding_state() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.join_as(2, CAP, 2);
    sim.tick();
    sim.frames(1);
    sim.frames(2);
    sim.command(1, 1, "finish", 0);
    sim.tick();
    assert!(sim.core.is_done());
    let f1 = sim.frames(1);
    let types: Vec<&str> = f1.iter().map(|b| tickwave_protocol::peek_type(b).unwrap()).collect();
    let at =
        |t: &str| types.iter().position(|x| *x == t).unwrap_or_else(|| panic!("{t} in {types:?}"));
    assert!(at("command_result") < at("results") && at("delta") < at("results"), "{types:?}");
    assert_eq!(types.last(), Some(&"lobby_closed"));
    #[derive(Deserialize)]
    struct Results {
        payload: Option<String>,
    }
    let r: Results = rmp_serde::from_slice(&f1[at("results")]).unwrap();
    assert_eq!(r.payload.as_deref(), Some("done"));
    let f2 = sim.frames(2);
    assert!(f2.iter().any(|b| b == &f1[at("results")]), "the same results to everyone");
}

#[test]
fn a_protocol_1_member_is_refused_from_a_game_without_a_v1_form() {
    let mut sim = tally();
    assert!(sim.core.v1_schema().is_none());
    sim.join_as(1, CAP, 2);
    let link = sim.link(3, CAP);
    let record = PlayerRecord { id: 3, name: "v1".into(), ..Default::default() };
    assert!(!sim.core.seat(record, "v1".into(), link, sim.now));
    assert_eq!(sim.names(3), ["error:mode_needs_protocol"]);
    assert_eq!(sim.ended(3), 1);
    assert!(!sim.core.is_member(3));
}

#[test]
fn the_game_may_refuse_a_seat_with_its_own_code() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.drain_outputs();
    let mut link = sim.link(99, CAP);
    link.protocol = 2;
    let record = PlayerRecord { id: 99, name: "x".into(), ..Default::default() };
    let before = sim.count(&Output::SeatFreed);
    assert!(!sim.core.seat(record, "x".into(), link, sim.now));
    sim.drain_outputs();
    assert_eq!(sim.count(&Output::SeatFreed), before + 1, "the reserved seat is freed");
    let f = sim.frames(99);
    #[derive(Deserialize)]
    struct E {
        code: String,
        refusal: String,
        fatal: bool,
    }
    let e: E = rmp_serde::from_slice(&f[0]).unwrap();
    assert_eq!((e.code.as_str(), e.refusal.as_str(), e.fatal), ("seat_refused", "banned", false));
    assert!(!sim.core.is_member(99) && sim.core.is_member(1));
}

#[test]
fn events_for_a_held_seat_wait_for_its_resume() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.join_as(2, CAP, 2);
    sim.tick();
    let s2 = sim.session(2);
    sim.core.disconnect(2, s2);
    sim.frames(2);
    sim.command(1, 1, "add", 4);
    sim.tick();
    sim.tick();
    let mut link = sim.link(2, CAP);
    link.protocol = 2;
    let last = sim.core.tick_count();
    sim.core.rejoin(2, "p2".into(), link, Some(last)).map_err(drop).unwrap();
    let names = Client::new(&sim).take(&sim.frames(2));
    let t = last - 1;
    assert!(names.contains(&format!("event:added@{t}")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("secret")), "the secret was player 1's");
}

#[test]
fn inputs_are_validated_values_the_game_reads_by_its_own_type() {
    let mut sim = tally();
    sim.join_as(1, CAP, 2);
    sim.push(1, 1, 3);
    sim.push(1, 2, 1);
    sim.command(1, 1, "add", 2);
    sim.tick();
    assert_eq!(sim.core.last_view().get(1).unwrap().field("score").unwrap().as_i64(), Some(6));
}
