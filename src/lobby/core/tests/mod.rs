//! An in-process harness for the lobby core with simulated time and simulated member
//! queues, in the manner of quinn-proto's test `Pair`: no sockets, no tokio, no sleeps.
//! A [`Sim`] owns a [`Core`] whose [`Link`]s are bounded in-memory queues the test drains
//! (or leaves full) when it chooses, and it advances time one tick at a time, so each test
//! is deterministic and runs in microseconds.

mod failures;
mod inputs;
mod phases;
mod seats;
mod send_rate;
mod typed;
mod views;

use super::{Core, Delivery, Link, Output, Settings, TickStats};
use crate::game::compat::V1Input;
use crate::game::v2::PlayerRecord;
use crate::game::{Game, GameSettings, arena::Arena};
use bytes::Bytes;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;
use tickwave_protocol::v2;
use tickwave_protocol::{EntityKindSchema, Input, ServerMessage, WorldView, decode_server};

/// One member's outbound queue, as a session's bounded `mpsc` would hold it.
#[derive(Debug, Default)]
struct Queue {
    cap: usize,
    frames: VecDeque<Bytes>,
    closed: bool,
    /// `lobby_ended` calls (the session's `LobbyEnded` events).
    ended: u32,
}

#[derive(Debug, Clone)]
struct SimLink {
    session: u64,
    q: Rc<RefCell<Queue>>,
    protocol: u32,
}

impl Link for SimLink {
    fn session(&self) -> u64 {
        self.session
    }

    fn send(&self, bytes: Bytes) -> Delivery {
        let mut q = self.q.borrow_mut();
        if q.closed {
            Delivery::Closed
        } else if q.frames.len() >= q.cap {
            Delivery::Full
        } else {
            q.frames.push_back(bytes);
            Delivery::Sent
        }
    }

    fn room(&self) -> Option<usize> {
        let q = self.q.borrow();
        (!q.closed).then(|| q.cap - q.frames.len())
    }

    fn lobby_ended(&self, _lobby: u64) {
        self.q.borrow_mut().ended += 1;
    }

    fn protocol(&self) -> u32 {
        self.protocol
    }
}

/// Queue capacity of a well-behaved member (the server's default is larger; this is ample).
const CAP: usize = 64;
const HZ: u32 = 10;

/// Settings for tests: 10 Hz, so one tick is 100 ms; durations are given in ticks.
fn settings() -> Settings {
    Settings {
        lobby: 7,
        mode: "test".into(),
        code: None,
        tick_hz: HZ,
        send_hz: HZ,
        min_players: 2,
        max_players: 4,
        fill_timeout_ticks: 10,
        countdown_ticks: 5,
        match_ticks: 20,
        grace_ticks: 8,
        backfill: true,
        chat_history: 3,
        chat_backlog: 4,
    }
}

fn arena(max_players: u32) -> Box<dyn Game> {
    Box::new(Arena::new(GameSettings { seed: 42, tick_hz: HZ, max_players }))
}

struct Sim {
    core: Core<SimLink>,
    /// The current link of each player who ever had a seat.
    links: BTreeMap<u32, SimLink>,
    next_session: u64,
    /// Simulated time since the lobby began.
    now: Duration,
    /// Every output the core produced, in order.
    outputs: Vec<Output>,
    last: TickStats,
}

impl Sim {
    fn new(s: Settings, game: Box<dyn Game>) -> Self {
        let lobby = GameSettings { seed: 42, tick_hz: s.tick_hz, max_players: s.max_players };
        let built = crate::game::compat::wrap_v1(game, lobby).expect("a valid v1 schema");
        Sim::with_game(s, built)
    }

    /// A lobby of any game (v2 games through `game::v2::build`).
    fn with_game(s: Settings, built: crate::game::Built) -> Self {
        let core = Core::new(s, built);
        let mut sim = Sim {
            core,
            links: BTreeMap::new(),
            next_session: 1,
            now: Duration::ZERO,
            outputs: Vec::new(),
            last: TickStats::default(),
        };
        sim.drain_outputs();
        sim
    }

    /// An arena lobby with the test settings.
    fn arena() -> Self {
        let s = settings();
        let max = s.max_players;
        Sim::new(s, arena(max))
    }

    fn drain_outputs(&mut self) {
        while let Some(o) = self.core.poll_output() {
            self.outputs.push(o);
        }
    }

    fn link(&mut self, player: u32, cap: usize) -> SimLink {
        let session = self.next_session;
        self.next_session += 1;
        let q = Rc::new(RefCell::new(Queue { cap, ..Queue::default() }));
        let link = SimLink { session, q, protocol: 1 };
        self.links.insert(player, link.clone());
        link
    }

    /// Seat a player as a `Join` does (seat, then the roster to everyone).
    fn join(&mut self, player: u32) {
        self.join_with(player, CAP);
    }

    fn join_with(&mut self, player: u32, cap: usize) {
        self.join_as(player, cap, 1);
    }

    /// Seat a player whose connection speaks `protocol`.
    fn join_as(&mut self, player: u32, cap: usize, protocol: u32) {
        assert!(self.core.admits(), "the lobby admits player {player}");
        let mut link = self.link(player, cap);
        link.protocol = protocol;
        self.links.insert(player, link.clone());
        let name = format!("p{player}");
        let record = PlayerRecord { id: player, name: name.clone(), ..Default::default() };
        self.core.seat(record, name.into(), link, self.now);
        self.core.announce(&[player]);
        self.drain_outputs();
    }

    fn session(&self, player: u32) -> u64 {
        self.links[&player].session
    }

    /// Run one tick, a period after the previous one.
    fn tick(&mut self) -> TickStats {
        self.now += Duration::from_secs(1) / HZ;
        self.last = self.core.tick(self.now);
        self.drain_outputs();
        self.last
    }

    fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }

    fn input(&mut self, player: u32, seq: u64) {
        let fields = V1Input { dx: 1.0, dy: 0.0, action: false };
        let bytes = v2::encode_input(seq, None, &fields).unwrap();
        let frame = v2::decode_input(self.core.layout().input(), &bytes).unwrap();
        self.core.push_input(player, frame, self.now);
    }

    /// Everything queued for `player` so far, decoded, and the queue emptied.
    fn recv(&mut self, player: u32) -> Vec<ServerMessage> {
        let frames: Vec<Bytes> = self.links[&player].q.borrow_mut().frames.drain(..).collect();
        frames.iter().map(|b| decode_server(b).expect("the core encodes valid messages")).collect()
    }

    /// The short names of what `player` was sent (see [`name`]).
    fn names(&mut self, player: u32) -> Vec<String> {
        self.recv(player).iter().map(name).collect()
    }

    fn queued(&self, player: u32) -> usize {
        self.links[&player].q.borrow().frames.len()
    }

    fn ended(&self, player: u32) -> u32 {
        self.links[&player].q.borrow().ended
    }

    /// The session's queue closes (the connection dropped without a `Disconnected` yet).
    fn close_queue(&mut self, player: u32) {
        self.links[&player].q.borrow_mut().closed = true;
    }

    fn count(&self, o: &Output) -> usize {
        self.outputs.iter().filter(|x| *x == o).count()
    }
}

/// A short, assertable name for a server message: its type, plus the state or reason
/// for lobby states, closes and errors, and `tick<-base` for deltas.
fn name(m: &ServerMessage) -> String {
    match m {
        ServerMessage::LobbyState(s) => format!("lobby_state:{}", s.state),
        ServerMessage::LobbyClosed { reason, .. } => format!("lobby_closed:{reason}"),
        ServerMessage::Error { code, .. } => format!("error:{}", code.as_str()),
        ServerMessage::Delta(d) => format!("delta:{}<-{}", d.tick, d.base),
        ServerMessage::Snapshot(s) => format!("snapshot:{}", s.tick),
        ServerMessage::MatchFound(_) => "match_found".into(),
        ServerMessage::Roster(_) => "roster".into(),
        ServerMessage::Results { .. } => "results".into(),
        ServerMessage::Chat { text, .. } => format!("chat:{text}"),
        other => format!("{other:?}"),
    }
}

/// A small game for failure cases: one entity per player with one field, and a switch that
/// makes `step` panic or `view` break the schema at a given step.
struct Faulty {
    players: Vec<u32>,
    steps: u64,
    panic_at: Option<u64>,
    bad_view_at: Option<u64>,
    panic_on_chat: bool,
}

impl Faulty {
    fn new() -> Self {
        Faulty {
            players: Vec::new(),
            steps: 0,
            panic_at: None,
            bad_view_at: None,
            panic_on_chat: false,
        }
    }
}

impl Game for Faulty {
    fn name(&self) -> &'static str {
        "faulty"
    }
    fn schema(&self) -> Vec<EntityKindSchema> {
        vec![EntityKindSchema { kind: "dot".into(), fields: vec!["x".into()] }]
    }
    fn add_player(&mut self, player: u32) {
        self.players.push(player);
    }
    fn remove_player(&mut self, player: u32) {
        self.players.retain(|p| *p != player);
    }
    fn apply_input(&mut self, _player: u32, _input: &Input) {}
    fn step(&mut self) {
        self.steps += 1;
        if self.panic_at == Some(self.steps) {
            panic!("faulty game: step {}", self.steps);
        }
    }
    fn view(&self, out: &mut WorldView) {
        for &p in &self.players {
            let fields: &[i32] = if self.bad_view_at == Some(self.steps) { &[1, 2] } else { &[1] };
            out.push(tickwave_protocol::Entity::new(p, 0, fields));
        }
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.players.iter().map(|&p| (p, i64::from(p))).collect()
    }
    fn filter_chat<'a>(
        &mut self,
        _player: u32,
        text: &'a str,
    ) -> Option<std::borrow::Cow<'a, str>> {
        assert!(!self.panic_on_chat, "faulty game: chat filter");
        (text != "blocked").then_some(std::borrow::Cow::Borrowed(text))
    }
}
