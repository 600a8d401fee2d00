//! Game API v2 end to end over real TLS WebSockets, as a protocol-2 client written from
//! PROTOCOL.md plays it: `hello.protocol` 2, the typed schema in `match_found`, typed state
//! applied to a client view, commands and their results, events before the state of their
//! tick, `results` with the game's payload, and inputs validated against the game's input
//! fields. Also: a protocol-1 client is kept out of a protocol-2-only mode, and a command
//! outside a lobby is answered.

mod common;

use bytes::Bytes;
use common::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave::ModeConfig;
use tickwave_bots::{Client, ClientError};
use tickwave_protocol::v2::{
    self, CommandOutcome, CommandResultMsg, EventMsg, Layout, MatchFound, Value, View,
};
use tickwave_protocol::{ErrorCode, Hello, ServerMessage, close, peek_type};

const T: Duration = Duration::from_secs(10);

/// A protocol-2 client: every message read raw and handled by its `type`.
struct V2 {
    c: Client,
    player: u32,
    found: Option<MatchFound>,
    view: Option<View>,
    tick: Option<u64>,
    state: String,
    events: Vec<EventMsg>,
    results: Vec<CommandResultMsg>,
    errors: Vec<(ErrorCode, String)>,
    /// The `results` message, raw.
    end: Option<Bytes>,
    /// Every message type in arrival order.
    seen: Vec<String>,
}

impl V2 {
    async fn join(s: &TestServer, name: &str) -> V2 {
        let mut c = s.connect().await;
        let w = c
            .hello_with(Hello { protocol: 2, ..Client::plain_hello(name) })
            .await
            .expect("welcome");
        assert_eq!(w.protocol, 2, "welcome echoes the negotiated version");
        V2 {
            c,
            player: w.player,
            found: None,
            view: None,
            tick: None,
            state: String::new(),
            events: Vec::new(),
            results: Vec::new(),
            errors: Vec::new(),
            end: None,
            seen: Vec::new(),
        }
    }

    fn handle(&mut self, b: Bytes) {
        let ty = peek_type(&b).expect("every message has a type").to_owned();
        match ty.as_str() {
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
            }
            "delta" => {
                let d = v2::decode_delta(&b).unwrap();
                assert_eq!(Some(d.base), self.tick, "a delta's base is the tick held");
                self.view.as_mut().unwrap().apply(&d.delta).expect("delta applies");
                self.tick = Some(d.tick);
            }
            "event" => self.events.push(v2::decode_event(&b).unwrap()),
            "command_result" => self.results.push(v2::decode_command_result(&b).unwrap()),
            "results" => self.end = Some(b),
            _ => match tickwave_protocol::decode_server(&b).expect("the other messages are v1's") {
                ServerMessage::Error { code, message, .. } => self.errors.push((code, message)),
                ServerMessage::LobbyState(s) => self.state = s.state,
                _ => {}
            },
        }
        self.seen.push(ty);
    }

    /// Read until `f` holds (or panic after `t`).
    async fn until(&mut self, what: &str, mut f: impl FnMut(&V2) -> bool) {
        let end = Instant::now() + T;
        while !f(self) {
            let left = end.checked_duration_since(Instant::now()).unwrap_or_else(|| {
                panic!("{what}: not within {T:?}; seen {:?}", self.seen);
            });
            match tokio::time::timeout(left, self.c.recv_bytes()).await {
                Ok(Ok(b)) => self.handle(b),
                Ok(Err(e)) => panic!("{what}: {e}; seen {:?}", self.seen),
                Err(_) => panic!("{what}: not within {T:?}; seen {:?}", self.seen),
            }
        }
    }

    async fn send(&mut self, bytes: Bytes) {
        self.c.send_raw(bytes.to_vec()).await.unwrap();
    }

    /// Send a command and wait for its result.
    async fn command<A: Serialize>(&mut self, id: u32, name: &str, args: &A) -> CommandOutcome {
        self.send(v2::encode_command(id, name, Some(args)).unwrap()).await;
        self.until("command_result", |c| c.results.iter().any(|r| r.id == id)).await;
        let i = self.results.iter().position(|r| r.id == id).unwrap();
        self.results.remove(i).outcome
    }

    fn global(&self, name: &str) -> Option<i64> {
        self.view.as_ref()?.global_named(name)?.as_i64()
    }
}

#[derive(Serialize)]
struct Drop {
    column: i32,
}

fn refused(o: &CommandOutcome) -> &str {
    match o {
        CommandOutcome::Err { code, .. } => code,
        CommandOutcome::Ok(_) => "ok",
    }
}

fn connect4_mode() -> ModeConfig {
    ModeConfig {
        name: "connect4".into(),
        game: "connect4".into(),
        max_players: 2,
        min_players: 2,
        countdown_ms: 0,
        fill_timeout_ms: 0,
        backfill: false,
        match_length_ms: 900_000,
        tick_hz: 20,
        ..ModeConfig::default()
    }
}

fn data(e: &EventMsg, key: &str) -> Option<i64> {
    e.data.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
        Value::Int(i) => Some(*i),
        _ => None,
    })
}

#[tokio::test]
async fn connect4_is_played_to_a_win_with_commands_events_and_a_results_payload() {
    let s = start_with(|c| c.modes = vec![connect4_mode()]).await;
    let mut a = V2::join(&s, "ada").await;
    let mut b = V2::join(&s, "bob").await;
    for c in [&mut a, &mut b] {
        c.c.send(&find("connect4")).await.unwrap();
    }
    for c in [&mut a, &mut b] {
        c.until("running with the board", |c| {
            c.state == "running" && c.global("turn").is_some_and(|t| t != 0)
        })
        .await;
    }
    let f = a.found.as_ref().unwrap();
    assert_eq!(f.game, "connect4");
    assert!(f.schema.commands.iter().any(|c| c.name == "drop"), "the schema declares drop");
    // The lower player id moves first.
    let (first, second) = if a.player < b.player { (&mut a, &mut b) } else { (&mut b, &mut a) };
    assert_eq!(first.global("turn"), Some(i64::from(first.player)));

    assert_eq!(refused(&second.command(1, "drop", &Drop { column: 3 }).await), "not_your_turn");
    assert_eq!(refused(&first.command(2, "drop", &Drop { column: 9 }).await), "bad_column");
    #[derive(Serialize)]
    struct Bad {
        column: &'static str,
    }
    assert_eq!(refused(&first.command(3, "drop", &Bad { column: "x" }).await), "invalid_args");
    assert_eq!(refused(&first.command(4, "fly", &Drop { column: 0 }).await), "unknown_command");

    // First: column 0 four times; second: column 1 three times.
    let mut id = 10;
    for turn in 0..7 {
        let (mover, col) = if turn % 2 == 0 { (&mut *first, 0) } else { (&mut *second, 1) };
        id += 1;
        let r = mover.command(id, "drop", &Drop { column: col }).await;
        assert_eq!(refused(&r), "ok", "turn {turn}");
    }
    for c in [&mut *first, &mut *second] {
        c.until("results", |c| c.end.is_some()).await;
        c.until("lobby_closed", |c| c.seen.last().is_some_and(|t| t == "lobby_closed")).await;
    }
    let (fp, sp) = (i64::from(first.player), i64::from(second.player));
    let moved: Vec<&EventMsg> = second.events.iter().filter(|e| e.name == "moved").collect();
    assert_eq!(moved.len(), 7, "moved goes to both players");
    assert_eq!(
        (data(moved[0], "player"), data(moved[0], "column"), data(moved[0], "row")),
        (Some(fp), Some(0), Some(0))
    );
    assert_eq!(data(moved[6], "row"), Some(3), "the fourth disc in column 0 lands on row 3");
    let won = second.events.iter().find(|e| e.name == "won").expect("won");
    assert_eq!(data(won, "player"), Some(fp));
    // The event of the deciding tick came before that tick's state, and both before results.
    let seen = &second.seen;
    let won_at = seen.iter().rposition(|t| t == "event").unwrap();
    let results_at = seen.iter().position(|t| t == "results").unwrap();
    assert!(
        won_at < results_at && seen[won_at..results_at].iter().any(|t| t == "delta"),
        "{seen:?}"
    );
    // The board is in the state: the client's view holds the seven discs.
    let view = second.view.as_ref().unwrap();
    let discs: Vec<_> = view.entities().filter(|e| e.kind_name() == "disc").collect();
    assert_eq!(discs.len(), 7);
    assert_eq!(view.global_named("winner").and_then(|v| v.as_i64()), Some(fp));
    #[derive(Deserialize, Debug)]
    struct Line {
        player: u32,
        score: i64,
    }
    #[derive(Deserialize, Debug)]
    struct Payload {
        winner: i64,
        reason: String,
    }
    #[derive(Deserialize, Debug)]
    struct Results {
        scores: Vec<Line>,
        payload: Payload,
    }
    let r: Results = rmp_serde::from_slice(second.end.as_ref().unwrap()).unwrap();
    assert_eq!((r.payload.winner, r.payload.reason.as_str()), (fp, "four_in_a_row"));
    let score = |p: i64| r.scores.iter().find(|l| i64::from(l.player) == p).map(|l| l.score);
    assert_eq!((score(fp), score(sp)), (Some(1), Some(0)));
}

#[tokio::test]
async fn a_protocol_1_client_is_kept_out_of_a_protocol_2_mode() {
    let s = start_with(|c| c.modes = vec![connect4_mode(), quick_mode("arena", 4, 1)]).await;
    let (mut c, w) = s.client("old").await;
    assert_eq!(w.protocol, 1);
    assert!(
        w.modes.contains(&"connect4".to_string()),
        "listed, so the refusal is not unknown_mode"
    );
    c.send(&find("connect4")).await.unwrap();
    assert_eq!(next_error(&mut c).await, ErrorCode::ModeNeedsProtocol);
    // Not fatal: the v1 arena still works for it.
    c.send(&find("arena")).await.unwrap();
    let m = match_found(&mut c).await;
    assert_eq!(m.game, "arena");
    assert!(!m.schema.is_empty(), "a v1 schema for the v1 game");
}

/// The default `arena` is the v2 game: a protocol-2 client gets its typed schema, and a
/// protocol-1 client is told where it can still play (the built-in `arena_v1` and `duel`).
#[tokio::test]
async fn the_default_arena_is_the_v2_game_and_old_clients_are_pointed_to_arena_v1() {
    let s = start().await;
    let (mut old, w) = s.client("old").await;
    assert!(w.modes.iter().any(|m| m == "arena_v1"), "{:?}", w.modes);
    old.send(&find("arena")).await.unwrap();
    let message = loop {
        match old.recv_timeout(5 * SEC).await.unwrap() {
            ServerMessage::Error { code, message, fatal } => {
                assert_eq!((code, fatal), (ErrorCode::ModeNeedsProtocol, false));
                break message;
            }
            _ => continue,
        }
    };
    assert!(message.contains("protocol 1 can play arena_v1, duel"), "{message}");
    old.send(&find("arena_v1")).await.unwrap();
    old.recv_timeout(5 * SEC).await.unwrap(); // queued: arena_v1 waits for a second player
    // The default arena starts with two players.
    let (mut p, mut q) = (V2::join(&s, "new").await, V2::join(&s, "newer").await);
    p.c.send(&find("arena")).await.unwrap();
    q.c.send(&find("arena")).await.unwrap();
    p.until("match_found", |c| c.found.is_some()).await;
    let found = p.found.as_ref().unwrap();
    assert_eq!(found.game, "arena");
    for f in ["aim", "fire", "dash"] {
        assert!(found.schema.input.iter().any(|i| i.name == f), "input {f}");
    }
    assert!(found.schema.kinds.iter().any(|k| k.kind == "shot"), "shots are entities");
}

#[tokio::test]
async fn the_v2_arena_validates_inputs_against_its_schema_and_acks_them() {
    let mode = ModeConfig { game: "arena_v2".into(), ..quick_mode("arena_v2", 4, 1) };
    let s = start_with(|c| c.modes = vec![mode]).await;
    let mut p = V2::join(&s, "aim").await;
    p.c.send(&find("arena_v2")).await.unwrap();
    p.until("state", |c| c.tick.is_some()).await;
    let input = &p.found.as_ref().unwrap().schema.input;
    for f in ["dx", "dy", "aim", "fire", "dash"] {
        assert!(input.iter().any(|i| i.name == f), "input field {f} in {input:?}");
    }
    #[derive(Serialize)]
    struct Aim {
        dx: f32,
        aim: f32,
        fire: bool,
    }
    p.send(v2::encode_input(1, p.tick, &Aim { dx: 1.0, aim: 1.5, fire: true }).unwrap()).await;
    #[derive(Serialize)]
    struct Typo {
        zz: i32,
    }
    p.send(v2::encode_input(2, None, &Typo { zz: 1 }).unwrap()).await;
    #[derive(Serialize)]
    struct WrongType {
        fire: i32,
    }
    p.send(v2::encode_input(3, None, &WrongType { fire: 3 }).unwrap()).await;
    p.until("two refusals", |c| c.errors.len() >= 2).await;
    assert_eq!(p.errors[0].0, ErrorCode::InvalidInput);
    assert!(p.errors[0].1.contains("`zz`"), "names the field: {}", p.errors[0].1);
    assert!(p.errors[1].1.contains("`fire`"), "{}", p.errors[1].1);
    // The valid input was applied: the player moved and a shot exists.
    let me = p.player;
    p.until("a shot", |c| {
        c.view.as_ref().is_some_and(|v| v.entities().any(|e| e.kind_name() == "shot"))
    })
    .await;
    let x = p.view.as_ref().unwrap().get(me).unwrap().field("x").unwrap().as_f64().unwrap();
    p.send(v2::encode_input(4, p.tick, &Aim { dx: 1.0, aim: 0.0, fire: false }).unwrap()).await;
    p.until("moved on", |c| {
        c.view.as_ref().unwrap().get(me).unwrap().field("x").unwrap().as_f64().unwrap() != x
    })
    .await;
    // The session is alive after the refusals.
    let mut q = V2::join(&s, "other").await;
    q.c.send(&find("arena_v2")).await.unwrap();
    q.until("match_found", |c| c.found.is_some()).await;
    p.until("roster of two", |c| c.seen.iter().filter(|t| *t == "roster").count() >= 1).await;
}

#[tokio::test]
async fn commands_outside_a_lobby_are_answered_and_v1_clients_may_not_send_them() {
    let s = start().await;
    let mut p = V2::join(&s, "idle").await;
    let r = p.command(5, "drop", &Drop { column: 1 }).await;
    assert_eq!(refused(&r), "not_in_lobby");
    let (mut old, _) = s.client("old").await;
    old.send_raw(v2::encode_command(1, "drop", Some(&Drop { column: 1 })).unwrap().to_vec())
        .await
        .unwrap();
    let closed = loop {
        match old.recv().await {
            Ok(_) => continue,
            Err(ClientError::Closed(c)) => break c,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(closed.map(|c| c.0), Some(close::UNSUPPORTED_DATA), "an unknown type for v1");
}
