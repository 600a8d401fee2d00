//! In process, with simulated time: the pure matching policy groups waiting players, the
//! groups become lobby cores, and the cores run to results; a late player joins an open
//! lobby the policy picks. No sockets, no tokio, no sleeps (the socket versions of these
//! paths are in `lobbies.rs` and `foundation.rs`).

use bytes::Bytes;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;
use tickwave::game::arena::Arena;
use tickwave::game::{Game, GameSettings};
use tickwave::testing::policy::{OpenSeats, Params, Placement, SkillWindow, Waiting, plan};
use tickwave::testing::{Core, Delivery, Link, Output, Settings};
use tickwave_protocol::{ServerMessage, decode_server};

#[derive(Clone, Default)]
struct Queue(Rc<RefCell<VecDeque<Bytes>>>);

impl Link for Queue {
    fn session(&self) -> u64 {
        1
    }
    fn send(&self, bytes: Bytes) -> Delivery {
        self.0.borrow_mut().push_back(bytes);
        Delivery::Sent
    }
    fn room(&self) -> Option<usize> {
        Some(1024)
    }
    fn lobby_ended(&self, _lobby: u64) {}
}

impl Queue {
    fn drain(&self) -> Vec<ServerMessage> {
        self.0.borrow_mut().drain(..).map(|b| decode_server(&b).unwrap()).collect()
    }
}

const HZ: u32 = 10;
const MAX: u32 = 4;

fn params() -> Params {
    Params {
        max_players: MAX,
        min_players: 2,
        window: SkillWindow { base: 100.0, growth_per_sec: 50.0, max: 1000.0 },
    }
}

fn lobby(id: u64) -> Core<Queue> {
    let settings = Settings {
        lobby: id,
        mode: "arena".into(),
        code: None,
        tick_hz: HZ,
        send_hz: HZ,
        min_players: 2,
        max_players: MAX,
        fill_timeout_ticks: 10,
        countdown_ticks: 5,
        match_ticks: 20,
        grace_ticks: 50,
        backfill: true,
        chat_history: 20,
        chat_backlog: 32,
    };
    let lobby = GameSettings { seed: id, tick_hz: HZ, max_players: MAX };
    let game: Box<dyn Game> = Box::new(Arena::new(lobby));
    Core::new(settings, tickwave::game::compat::wrap_v1(game, lobby).unwrap())
}

struct Player {
    id: u32,
    skill: f64,
    waited: Duration,
    queue: Queue,
}

fn seat(core: &mut Core<Queue>, p: &Player) {
    assert!(core.admits());
    let name = format!("p{}", p.id);
    let record =
        tickwave::game::v2::PlayerRecord { id: p.id, name: name.clone(), ..Default::default() };
    assert!(core.seat(record, name.into(), p.queue.clone(), Duration::ZERO));
    core.announce(&[p.id]);
}

#[test]
fn the_policy_groups_players_and_their_lobbies_run_to_results() {
    let secs = Duration::from_secs;
    let players: Vec<Player> =
        [(1, 1500.0, 3), (2, 1510.0, 2), (3, 2600.0, 1), (4, 1490.0, 0), (5, 2610.0, 0)]
            .into_iter()
            .map(|(id, skill, s)| Player { id, skill, waited: secs(s), queue: Queue::default() })
            .collect();
    let waiting: Vec<Waiting> =
        players.iter().map(|p| Waiting { skill: p.skill, waited: p.waited }).collect();
    let placements = plan(&waiting, &[], &params());
    assert_eq!(
        placements,
        [
            Placement::NewLobby { tickets: vec![0, 1, 3] },
            Placement::NewLobby { tickets: vec![2, 4] }
        ],
        "close skills together; the oldest ticket anchors"
    );

    let mut lobbies: Vec<(Core<Queue>, Vec<usize>)> = Vec::new();
    for (i, placement) in placements.iter().enumerate() {
        let Placement::NewLobby { tickets } = placement else { unreachable!() };
        let mut core = lobby(i as u64 + 1);
        for &t in tickets {
            seat(&mut core, &players[t]);
        }
        lobbies.push((core, tickets.clone()));
    }

    // Three ticks in, a new player arrives; the policy puts it in the lobby with a seat and
    // a close skill rather than starting one.
    for (core, _) in &mut lobbies {
        for _ in 0..3 {
            core.tick(Duration::ZERO);
        }
    }
    let late = Player { id: 6, skill: 1505.0, waited: Duration::ZERO, queue: Queue::default() };
    let open: Vec<OpenSeats> = lobbies
        .iter()
        .filter(|(core, _)| core.admits())
        .map(|(core, tickets)| OpenSeats {
            lobby: core.id(),
            free: MAX - tickets.len() as u32,
            skill: tickets.iter().map(|&t| players[t].skill).sum::<f64>() / tickets.len() as f64,
        })
        .collect();
    let joins = plan(&[Waiting { skill: late.skill, waited: late.waited }], &open, &params());
    assert_eq!(joins, [Placement::Join { lobby: 1, tickets: vec![0] }]);
    seat(&mut lobbies[0].0, &late);

    // Lobby 1 is full now (4 of 4) and starts at once; lobby 2 waits out its fill timeout.
    let mut ticks = [3u64; 2];
    for (i, (core, _)) in lobbies.iter_mut().enumerate() {
        while !core.is_done() {
            core.tick(Duration::from_millis(100));
            ticks[i] += 1;
            while let Some(o) = core.poll_output() {
                assert!(!matches!(o, Output::Failed(_)), "{o:?}");
            }
        }
    }
    assert_eq!(ticks, [4 + 5 + 20, 10 + 5 + 20], "full: starts at tick 4; else at the timeout");
    for p in players.iter().chain([&late]) {
        let msgs = p.queue.drain();
        let results = msgs.iter().find_map(|m| match m {
            ServerMessage::Results { scores, .. } => Some(scores.len()),
            _ => None,
        });
        let want = if [3, 5].contains(&p.id) { 2 } else { 4 };
        assert_eq!(results, Some(want), "player {} gets its lobby's results", p.id);
        assert!(
            matches!(msgs.last(), Some(ServerMessage::LobbyClosed { reason, .. }) if reason == "match over")
        );
    }
}
