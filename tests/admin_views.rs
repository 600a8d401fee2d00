//! Issue 16, item 3: what one player sees, through the admin API over real HTTPS and wss.
//! `GET /admin/lobbies/{id}/view?player=N` answers exactly the state that player's own
//! client holds at that tick (its private fields and the entities addressed to it, nothing
//! of anyone else's), `watch?player=N` streams it labelled `player:N`, the plain watch stays
//! the world, and bad requests get 400 and 404.

mod common;

use bytes::Bytes;
use common::*;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave::ModeConfig;
use tickwave::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::scope::{Audience, Scopes};
use tickwave::game::v2::{
    FIRST_GAME_ENTITY_ID, Game, JoinRefusal, MatchCtx, NoCommand, NoSettings, PlayerRecord, Setup,
};
use tickwave_bots::Client;
use tickwave_protocol::v2::{self, Layout, MatchFound, ValueRef};
use tickwave_protocol::{Hello, peek_type};
use tokio_tungstenite::tungstenite::Message;

const T: Duration = Duration::from_secs(10);
const GEM: u32 = FIRST_GAME_ENTITY_ID;
const SECRET: i32 = 1000;

#[derive(Serialize, Default)]
struct Dot {
    x: i32,
    y: i32,
    /// `private: owner`: only the dot's player sees it.
    secret: i32,
}
#[derive(Serialize, Default)]
struct Gem {
    value: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Nothing {}

/// A dot per player (its id, so its own), whose `secret` only its player sees, and one gem
/// that only the lowest player id sees.
#[derive(Default)]
struct Peek {
    players: Vec<u32>,
    tick: u64,
}

impl Game for Peek {
    const NAME: &'static str = "peek";
    type Input = Nothing;
    type Command = NoCommand;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Dot>("dot", |k| k.private_owner("secret"))
            .kind::<Gem>("gem", |k| k)
            .input::<Nothing>(|i| i)
    }
    fn new(_: NoSettings, _: Setup<'_>) -> Self {
        Peek::default()
    }
    fn join(&mut self, _: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        self.players.push(p.id);
        self.players.sort_unstable();
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
        let (dot, gem) = (l.kind_id("dot").unwrap(), l.kind_id("gem").unwrap());
        for &p in &self.players {
            let x = self.tick as i32 % 100;
            out.push(p, dot, &Dot { x, y: p as i32, secret: SECRET + p as i32 })?;
        }
        out.push(GEM, gem, &Gem { value: 7 })?;
        Ok(())
    }
    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        if let Some(&first) = self.players.first() {
            out.set(GEM, Audience::Player(first), None);
        }
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        Vec::new()
    }
}

fn peek_mode() -> ModeConfig {
    ModeConfig { game: "peek".into(), tick_hz: 20, ..quick_mode("peek", 2, 2) }
}

/// A protocol-2 player that applies its state and keeps the JSON of each tick it held (the
/// spectator frame's `entities` shape), so a frame can be compared with the same tick.
struct Player {
    c: Client,
    id: u32,
    lobby: u64,
    view: Option<View>,
    tick: Option<u64>,
    held: BTreeMap<u64, Value>,
}

impl Player {
    async fn join(s: &TestServer, name: &str) -> Player {
        let mut c = s.connect().await;
        let w = c.hello_with(Hello { protocol: 2, ..Client::plain_hello(name) }).await.unwrap();
        c.send(&find("peek")).await.unwrap();
        let view = None;
        Player { c, id: w.player, lobby: 0, view, tick: None, held: BTreeMap::new() }
    }

    fn handle(&mut self, b: Bytes) {
        match peek_type(&b).unwrap() {
            "match_found" => {
                let m = MatchFound::decode(&b).unwrap();
                let layout = Arc::new(Layout::new(m.schema.clone()).unwrap());
                self.lobby = m.lobby;
                self.view = Some(View::new(layout));
            }
            "snapshot" => {
                let s = v2::decode_snapshot(&b).unwrap();
                self.view.as_mut().unwrap().apply_snapshot(&s.state).unwrap();
                self.held_at(s.tick);
            }
            "delta" => {
                let d = v2::decode_delta(&b).unwrap();
                assert_eq!(Some(d.base), self.tick);
                self.view.as_mut().unwrap().apply(&d.delta).unwrap();
                self.held_at(d.tick);
            }
            _ => {}
        }
    }

    fn held_at(&mut self, tick: u64) {
        self.tick = Some(tick);
        self.held.insert(tick, entities(self.view.as_ref().unwrap()));
        while self.held.len() > 200 {
            self.held.pop_first();
        }
    }

    /// Read until this player holds `tick` or later.
    async fn hold(&mut self, tick: u64) {
        let end = Instant::now() + T;
        while self.tick.is_none_or(|t| t < tick) {
            let left = end.checked_duration_since(Instant::now()).expect("state in time");
            let b = tokio::time::timeout(left, self.c.recv_bytes()).await.unwrap().unwrap();
            self.handle(b);
        }
    }
}

/// A view's entities as the spectator frame writes them.
fn entities(v: &View) -> Value {
    let list: Vec<Value> = v
        .entities()
        .map(|e| {
            let f = e.fields();
            let fields: serde_json::Map<_, _> = e
                .values()
                .enumerate()
                .map(|(i, v)| {
                    let v = match v {
                        ValueRef::Nil => Value::Null,
                        ValueRef::Int(i) => i.into(),
                        other => panic!("the test game has ints only: {other:?}"),
                    };
                    (f.name(i).to_owned(), v)
                })
                .collect();
            json!({ "id": e.id(), "kind": e.kind_name(), "fields": fields })
        })
        .collect();
    Value::Array(list)
}

fn entity(frame: &Value, id: u32) -> Option<&Value> {
    frame["entities"].as_array().unwrap().iter().find(|e| e["id"] == id)
}

/// The next text frame of a spectator socket whose tick is at least `tick`.
async fn next_frame(ws: &mut Client, tick: u64) -> Value {
    tokio::time::timeout(T, async {
        loop {
            match ws.ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["tick"].as_u64().unwrap_or(0) >= tick {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the spectator stream ended: {other:?}"),
            }
        }
    })
    .await
    .expect("a frame in time")
}

#[tokio::test]
async fn an_operator_sees_exactly_what_one_player_holds() {
    let s = start_with(|c| {
        c.games.register_game::<Peek>();
        c.modes = vec![peek_mode()];
    })
    .await;
    let mut a = Player::join(&s, "ann").await;
    let mut b = Player::join(&s, "bob").await;
    a.hold(1).await;
    b.hold(1).await;
    let lobby = a.lobby;
    let (first, second) = if a.id < b.id { (&mut a, &mut b) } else { (&mut b, &mut a) };

    // The view of each player is the state its own client holds at the frame's tick.
    for p in [&mut *first, &mut *second] {
        let path = format!("/admin/lobbies/{lobby}/view?player={}", p.id);
        let (status, frame) = s.admin("GET", &path, Some(VIEWER), None).await;
        assert_eq!(status, 200, "{frame}");
        assert_eq!(frame["view"], format!("player:{}", p.id));
        assert_eq!((frame["lobby"].as_u64(), frame["game"].as_str()), (Some(lobby), Some("peek")));
        let tick = frame["tick"].as_u64().unwrap();
        p.hold(tick).await;
        assert_eq!(frame["entities"], p.held[&tick], "player {} at tick {tick}", p.id);
    }
    let (_, fv) = s
        .admin(
            "GET",
            &format!("/admin/lobbies/{lobby}/view?player={}", first.id),
            Some(VIEWER),
            None,
        )
        .await;
    let (_, sv) = s
        .admin(
            "GET",
            &format!("/admin/lobbies/{lobby}/view?player={}", second.id),
            Some(VIEWER),
            None,
        )
        .await;
    // Its own secret, not the other's; the gem only for the player it is addressed to.
    assert_eq!(entity(&fv, first.id).unwrap()["fields"]["secret"], SECRET + first.id as i32);
    assert_eq!(entity(&fv, second.id).unwrap()["fields"]["secret"], Value::Null);
    assert_eq!(entity(&sv, first.id).unwrap()["fields"]["secret"], Value::Null);
    assert!(entity(&fv, GEM).is_some() && entity(&sv, GEM).is_none(), "{fv}\n{sv}");

    // The lobby detail says who follows which view and what that costs: each player owns a
    // dot with a private field, so each has a view of its own, encoded once each per tick.
    let detail = format!("/admin/lobbies/{lobby}");
    let (first_id, second_id) = (first.id, second.id);
    let mut d = Value::Null;
    for _ in 0..100 {
        d = s.admin("GET", &detail, Some(VIEWER), None).await.1;
        if d["views_last_tick"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (d["views_last_tick"].as_u64(), d["encodes_last_tick"].as_u64()),
        (Some(2), Some(2)),
        "{d}"
    );
    assert!(d["encodes_per_tick"].as_f64().unwrap() > 0.0, "{d}");
    for m in d["players_detail"].as_array().unwrap() {
        let p = m["player"].as_u64().unwrap() as u32;
        assert!(p == first_id || p == second_id, "{m}");
        assert_eq!(m["view"], format!("player:{p}"), "{m}");
    }

    // The plain watch is the world: everything, labelled so.
    let admin = s.server.admin_addr().unwrap();
    let watch = |q: &str| format!("wss://{admin}/admin/lobbies/{lobby}/watch?token={VIEWER}{q}");
    let mut world = Client::connect(&watch(""), &s.check).await.unwrap();
    let w = next_frame(&mut world, 1).await;
    assert_eq!(w["view"], "world");
    assert_eq!(entity(&w, second.id).unwrap()["fields"]["secret"], SECRET + second.id as i32);
    assert!(entity(&w, GEM).is_some());
    // Watching a player streams that player's view, again what it holds, tick after tick.
    let mut theirs =
        Client::connect(&watch(&format!("&player={}", second.id)), &s.check).await.unwrap();
    let mut last = 0;
    for _ in 0..3 {
        let f = next_frame(&mut theirs, last + 1).await;
        assert_eq!(f["view"], format!("player:{}", second.id));
        let tick = f["tick"].as_u64().unwrap();
        second.hold(tick).await;
        first.hold(tick).await;
        assert_eq!(f["entities"], second.held[&tick], "tick {tick}");
        last = tick;
    }

    // Bad requests: a query that is not a player, none at all, a stranger, an unknown lobby.
    let get = |path: String| {
        let s = &s;
        async move { s.admin("GET", &path, Some(VIEWER), None).await }
    };
    for q in ["?player=abc", "?player=-1", "", "?players=1"] {
        let (status, v) = get(format!("/admin/lobbies/{lobby}/view{q}")).await;
        assert_eq!((status, v["error"].as_str()), (400, Some("bad_query")), "{q}: {v}");
    }
    let (status, v) = get(format!("/admin/lobbies/{lobby}/view?player=999999")).await;
    assert_eq!((status, v["error"].as_str()), (404, Some("no_such_player")), "{v}");
    let (status, v) = get(format!("/admin/lobbies/987654/view?player={}", first.id)).await;
    assert_eq!((status, v["error"].as_str()), (404, Some("no_such_lobby")), "{v}");
    assert!(Client::connect(&watch("&player=999999"), &s.check).await.is_err(), "no stream");
    // A token is needed, as for every admin route.
    let path = format!("/admin/lobbies/{lobby}/view?player={}", first.id);
    let (status, _) = s.admin("GET", &path, None, None).await;
    assert_eq!(status, 401);
}
