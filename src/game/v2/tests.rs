//! The v2 game API driven through [`GameHarness`]: what the driver guarantees a game (phases,
//! time, events, faults, the end of a match), with a small game built for the purpose.

use super::schema::{Schema, SchemaBuilder, View, ViewError};
use super::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Default)]
struct Token {
    owner: i64,
    label: String,
}

#[derive(Serialize, Deserialize, Default)]
struct In {
    push: bool,
}

#[derive(Deserialize)]
#[serde(tag = "name", content = "args")]
enum Cmd {
    #[serde(rename = "say")]
    Say(Say),
    #[serde(rename = "finish")]
    Finish(()),
    #[serde(rename = "misbehave")]
    Misbehave(Misbehave),
}

#[derive(Serialize, Deserialize, Default)]
struct Say {
    team: i32,
}

#[derive(Serialize, Deserialize, Default)]
struct Misbehave {
    how: i32,
}

#[derive(Serialize, Default)]
struct Said {
    player: i64,
}

#[derive(Default)]
struct Probe {
    tokens: Vec<(u32, u32)>,
    pushes: i64,
}

impl Game for Probe {
    const NAME: &'static str = "probe";
    type Input = In;
    type Command = Cmd;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Token>("token", |k| k.max_len("label", 8))
            .input::<In>(|i| i)
            .command::<Say>("say", |a| a.range("team", 0, 1))
            .command::<()>("finish", |a| a)
            .command::<Misbehave>("misbehave", |a| a)
            .event::<Said>("said", |e| e)
    }

    fn new(_: NoSettings, _: Setup<'_>) -> Self {
        Probe::default()
    }

    fn join(&mut self, ctx: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        if p.name == "banned" {
            return Err(JoinRefusal::new("banned", "not here"));
        }
        ctx.set_team(p.id, p.id % 2);
        let id = ctx.new_entity_id();
        self.tokens.push((id, p.id));
        Ok(())
    }

    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.tokens.retain(|t| t.1 != player);
    }

    fn input(&mut self, ctx: &mut MatchCtx, _: u32, input: In) {
        if input.push && ctx.phase() == Phase::Running {
            self.pushes += 1;
        }
    }

    fn command(&mut self, ctx: &mut MatchCtx, player: u32, c: Cmd) -> Result<Reply, Refusal> {
        match c {
            Cmd::Say(s) => {
                ctx.emit(To::Team(s.team as u32), "said", &Said { player: player.into() });
                Ok(Reply::value(&self.pushes).unwrap())
            }
            Cmd::Finish(()) => {
                ctx.end_match(MatchEnd::new(vec![(player, 1)]).with_payload("early").unwrap());
                Ok(Reply::none())
            }
            Cmd::Misbehave(m) => match m.how {
                0 => {
                    ctx.emit(To::All, "nope", &());
                    Ok(Reply::none())
                }
                1 => Err(Refusal::new("Not Snake", "bad code")),
                _ => {
                    self.tokens.push((7, 7));
                    self.tokens.push((7, 7));
                    Ok(Reply::none())
                }
            },
        }
    }

    fn step(&mut self, _: &mut MatchCtx) {}

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let k = out.layout().kind_id("token").unwrap();
        for &(id, owner) in &self.tokens {
            out.push(id, k, &Token { owner: owner.into(), label: format!("p{owner}") })?;
        }
        Ok(())
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        vec![(0, self.pushes)]
    }
}

fn harness() -> GameHarness<Probe> {
    let mut h = GameHarness::<Probe>::new(NoSettings {}, 1, 10, 4).unwrap();
    for (id, name) in [(1, "a"), (2, "b")] {
        h.join(PlayerRecord { id, name: name.into(), ..Default::default() }).unwrap();
    }
    h
}

#[test]
fn joins_get_records_teams_and_game_entity_ids() {
    let mut h = harness();
    let e = h.join(PlayerRecord { id: 3, name: "banned".into(), ..Default::default() });
    assert_eq!(e.unwrap_err().code, "banned");
    assert_eq!(h.ctx().players().len(), 2, "a refused player is not seated");
    assert_eq!(h.ctx().player(1).unwrap().team, Some(1));
    h.tick().unwrap();
    let ids: Vec<u32> = h.view().entities().map(|e| e.id()).collect();
    assert_eq!(ids, vec![FIRST_GAME_ENTITY_ID, FIRST_GAME_ENTITY_ID + 1]);
    h.leave(1);
    assert_eq!(h.ctx().players().len(), 1);
}

#[test]
fn inputs_count_only_while_running_and_time_up_ends_with_scores() {
    let mut h = harness();
    h.input(1, &In { push: true }).unwrap();
    assert!(h.input(1, &serde_json::json!({"push": 3})).is_err(), "wrong type refused");
    h.tick().unwrap();
    assert_eq!(h.scores(), vec![(0, 0)], "waiting: not counted");
    h.start(3);
    assert_eq!(h.ctx().ticks_left(), Some(3));
    assert_eq!(h.ctx().time_left_ms(), Some(300));
    h.input(2, &In { push: true }).unwrap();
    let r = h.run(10).unwrap();
    assert_eq!(r.ended.unwrap().scores, vec![(0, 1)]);
    assert_eq!(r.tick, 3, "ticks 1, 2, 3 ran; the match ended after the third");
}

#[test]
fn commands_are_validated_replied_and_emit_events_to_a_team() {
    let mut h = harness();
    let e = h.command(1, "shout", &()).unwrap_err();
    assert_eq!(e.code, "unknown_command");
    let e = h.command(1, "say", &Say { team: 5 }).unwrap_err();
    assert_eq!(e.code, "invalid_args");
    let reply = h.command(2, "say", &Say { team: 1 }).unwrap().unwrap();
    assert_eq!(reply.bytes(), Some(&[0u8][..]), "the value 0 as MessagePack");
    let t = h.tick().unwrap();
    assert_eq!(t.events.len(), 1);
    assert_eq!(t.events[0].to, To::Team(1));
    assert_eq!(t.events[0].tick, 0);
    assert_eq!(t.events[0].field("player"), Some(&schema::Value::Int(2)));
}

#[test]
fn the_game_ends_the_match_early_with_a_payload() {
    let mut h = harness();
    h.start(100);
    h.command(2, "finish", &()).unwrap().unwrap();
    let end = h.tick().unwrap().ended.unwrap();
    assert_eq!(end.scores, vec![(2, 1)]);
    assert_eq!(end.payload, Some(rmp_serde::to_vec("early").unwrap()));
    assert!(h.tick().unwrap().ended.is_none(), "reported once");
    assert!(h.ended().is_some());
}

#[test]
fn game_mistakes_are_faults_not_client_errors() {
    for (how, want) in [(0, "event \"nope\""), (1, "snake_case"), (2, "twice")] {
        let mut h = harness();
        h.command(1, "misbehave", &Misbehave { how }).unwrap().ok();
        let f = h.tick().unwrap_err();
        assert!(f.to_string().contains(want), "{how}: {f}");
    }
}

#[test]
fn too_many_events_in_a_tick_are_dropped_and_counted() {
    let mut h = harness();
    for _ in 0..MAX_EVENTS_PER_TICK + 5 {
        h.command(1, "say", &Say { team: 0 }).unwrap().unwrap();
    }
    let t = h.tick().unwrap();
    assert_eq!(t.events.len(), MAX_EVENTS_PER_TICK);
    assert_eq!(h.ctx().dropped_events(), 5);
}

#[test]
fn time_is_counted_in_ticks_rounded_up() {
    let h = harness();
    assert_eq!(h.ctx().ticks_for_ms(20_000), 200);
    assert_eq!(h.ctx().ticks_for_ms(1), 1);
}

#[test]
fn a_schema_that_does_not_fit_the_types_is_refused_at_setup() {
    struct Bad;
    impl Game for Bad {
        const NAME: &'static str = "bad";
        type Input = In;
        type Command = NoCommand;
        type Settings = NoSettings;
        fn schema(_: &NoSettings) -> SchemaBuilder {
            Schema::builder().input::<In>(|i| i).command::<()>("go", |a| a)
        }
        fn new(_: NoSettings, _: Setup<'_>) -> Self {
            Bad
        }
        fn join(&mut self, _: &mut MatchCtx, _: &PlayerRecord) -> Result<(), JoinRefusal> {
            Ok(())
        }
        fn leave(&mut self, _: &mut MatchCtx, _: u32) {}
        fn input(&mut self, _: &mut MatchCtx, _: u32, _: In) {}
        fn step(&mut self, _: &mut MatchCtx) {}
        fn view(&self, _: &mut View) -> Result<(), ViewError> {
            Ok(())
        }
        fn scores(&self) -> Vec<(u32, i64)> {
            vec![]
        }
    }
    let e = GameHarness::<Bad>::new(NoSettings {}, 1, 10, 2).err().unwrap();
    assert!(matches!(e, SetupError::Type { .. }), "{e}");
}
