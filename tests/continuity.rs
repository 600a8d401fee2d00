//! Issue 6: resume with seat hold and catch-up, fault isolation, drain, abrupt and half-open
//! peers, and connection churn — over real TLS WebSockets.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tickwave::game::arena::Arena;
use tickwave::game::{Game, GameSettings};
use tickwave_bots::{Client, ClientError, LocalState};
use tickwave_protocol::{
    ClientMessage, EntityKindSchema, ErrorCode, Hello, Input, ServerMessage, WorldView, close,
};

/// Arena that records every input it applies, and panics on the input `dx == 0.5` (the
/// "bomb"), so tests can count inputs and crash a lobby on purpose.
struct Probe {
    inner: Arena,
    log: Arc<Mutex<Vec<(u32, u64)>>>,
}

impl Game for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn schema(&self) -> Vec<EntityKindSchema> {
        self.inner.schema()
    }
    fn add_player(&mut self, p: u32) {
        self.inner.add_player(p)
    }
    fn remove_player(&mut self, p: u32) {
        self.inner.remove_player(p)
    }
    fn apply_input(&mut self, p: u32, i: &Input) {
        assert!(i.dx != 0.5, "boom: the probe game was asked to explode");
        self.log.lock().unwrap().push((p, i.seq));
        self.inner.apply_input(p, i)
    }
    fn step(&mut self) {
        self.inner.step()
    }
    fn view(&self, out: &mut WorldView) {
        self.inner.view(out)
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.inner.scores()
    }
}

type Log = Arc<Mutex<Vec<(u32, u64)>>>;

async fn probe_server(grace_ms: u64, f: impl FnOnce(&mut tickwave::Config)) -> (TestServer, Log) {
    let log: Log = Arc::default();
    let l = log.clone();
    let mut mode = quick_mode("probe", 16, 2);
    mode.game = "probe".into();
    mode.seat_grace_ms = grace_ms;
    let s = start_with(move |c| {
        c.games.register("probe", move |s: GameSettings| {
            Box::new(Probe { inner: Arena::new(s), log: l.clone() })
        });
        c.modes = vec![mode, quick_mode("arena", 16, 1)];
        f(c);
    })
    .await;
    (s, log)
}

fn hello(name: &str, resume: Option<String>, last_tick: Option<u64>) -> ClientMessage {
    ClientMessage::Hello(Hello {
        protocol: 1,
        name: name.into(),
        token: None,
        resume,
        last_tick,
        reservation: None,
    })
}

/// Two players matched in `mode`; returns (a, a's welcome, a's state, b, b's welcome).
async fn pair(
    s: &TestServer,
    mode: &str,
) -> (Client, tickwave_protocol::Welcome, LocalState, Client, tickwave_protocol::Welcome) {
    let (mut a, wa) = s.client("a").await;
    let (mut b, wb) = s.client("b").await;
    a.send(&find(mode)).await.unwrap();
    b.send(&find(mode)).await.unwrap();
    match_found(&mut a).await;
    match_found(&mut b).await;
    let mut st = LocalState::default();
    follow(&mut a, &mut st, Duration::from_millis(300)).await;
    (a, wa, st, b, wb)
}

/// Apply everything that arrives for `d`.
async fn follow(c: &mut Client, st: &mut LocalState, d: Duration) {
    let end = Instant::now() + d;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match c.recv_timeout(left).await {
            Ok(m) => {
                st.apply(&m).expect("state applies");
            }
            Err(ClientError::Timeout(_)) => return,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn roster_shows(c: &mut Client, player: u32, connected: bool) {
    roster_until(c, |r| r.players.iter().any(|p| p.player == player && p.connected == connected))
        .await;
}

async fn roster_shows_left(c: &mut Client, player: u32) {
    roster_until(c, |r| r.left.contains(&player)).await;
}

async fn roster_until(c: &mut Client, f: impl Fn(&tickwave_protocol::Roster) -> bool) {
    c.recv_until(5 * SEC, "roster change", |m| match m {
        ServerMessage::Roster(r) => f(r).then_some(()),
        _ => None,
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn resume_mid_match_catches_up_with_a_delta() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    let (a, wa, st, mut b, _) = pair(&s, "probe").await;
    let token = wa.resume.clone().expect("welcome carries a resume token");
    let held = st.tick.unwrap();
    drop(a); // abrupt: TCP closed, no close frame
    roster_shows(&mut b, wa.player, false).await;

    let mut a = s.connect().await;
    a.send(&hello("a", Some(token), Some(held))).await.unwrap();
    let w = match a.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Welcome(w) => w,
        other => panic!("{other:?}"),
    };
    assert!(w.resumed);
    assert_eq!(w.player, wa.player, "same player id");
    assert_ne!(w.resume, wa.resume, "a fresh token for the next resume");
    // match_found again, then a delta whose base is exactly the tick we held
    let mut st = st;
    let first = a
        .recv_until(5 * SEC, "state", |m| match m {
            ServerMessage::Snapshot(_) | ServerMessage::Delta(_) => Some(m.clone()),
            _ => None,
        })
        .await
        .unwrap();
    match &first {
        ServerMessage::Delta(d) => assert_eq!(d.base, held, "catch-up delta from our tick"),
        other => panic!("expected a catch-up delta, got {other:?}"),
    }
    st.apply(&first).expect("the catch-up delta applies to the state we kept");
    follow(&mut a, &mut st, Duration::from_millis(300)).await;
    assert_eq!(st.snapshots, 1, "no snapshot was needed");
    roster_shows(&mut b, wa.player, true).await;
}

#[tokio::test]
async fn resume_from_an_old_tick_gets_a_snapshot() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    let (a, wa, _, _b, _) = pair(&s, "probe").await;
    drop(a);
    // let the ring of recent ticks (64 ticks, about 2.1 s at 30 Hz) move past tick 1
    tokio::time::sleep(Duration::from_millis(2400)).await;
    let mut a = s.connect().await;
    a.send(&hello("a", wa.resume.clone(), Some(1))).await.unwrap();
    let first = a
        .recv_until(5 * SEC, "state", |m| match m {
            ServerMessage::Snapshot(_) | ServerMessage::Delta(_) => Some(m.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert!(matches!(first, ServerMessage::Snapshot(_)), "{first:?}");
}

#[tokio::test]
async fn resume_after_the_grace_period_is_refused_and_the_seat_freed() {
    let (s, _) = probe_server(500, |_| {}).await;
    let (a, wa, _, mut b, _) = pair(&s, "probe").await;
    drop(a);
    b.recv_until(5 * SEC, "a leaves after the grace period", |m| match m {
        ServerMessage::Roster(r) if r.left.contains(&wa.player) => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    let mut a = s.connect().await;
    a.send(&hello("a", wa.resume.clone(), None)).await.unwrap();
    assert_eq!(next_error(&mut a).await, ErrorCode::ResumeExpired);
    assert_eq!(a.closed(5 * SEC).await.unwrap().map(|c| c.0), Some(close::POLICY_VIOLATION));
}

#[tokio::test]
async fn tokens_are_single_use_and_must_be_ours() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    let (a, wa) = s.client("a").await;
    drop(a);
    let token = wa.resume.clone().unwrap();
    let (mut again, w2) = {
        let mut c = s.connect().await;
        c.send(&hello("a", Some(token.clone()), None)).await.unwrap();
        match c.recv_timeout(5 * SEC).await.unwrap() {
            ServerMessage::Welcome(w) => (c, w),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(w2.player, wa.player);
    // replay of the used token
    let mut replay = s.connect().await;
    replay.send(&hello("a", Some(token.clone()), None)).await.unwrap();
    assert_eq!(next_error(&mut replay).await, ErrorCode::ResumeUsed);
    // forged: flip a character of the signature
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let mut f = s.connect().await;
    f.send(&hello("a", Some(forged), None)).await.unwrap();
    assert_eq!(next_error(&mut f).await, ErrorCode::ResumeInvalid);
    // a token from another single server: signed with a key this one never had, so it is
    // indistinguishable from a forgery (only cluster nodes share a key: resume_foreign)
    let (other, _) = probe_server(10_000, |_| {}).await;
    let (_o, wo) = other.client("o").await;
    let mut x = s.connect().await;
    x.send(&hello("o", wo.resume.clone(), None)).await.unwrap();
    assert_eq!(next_error(&mut x).await, ErrorCode::ResumeInvalid);
    // the resumed session is unaffected by all of this
    again.send(&find("arena")).await.unwrap();
    match_found(&mut again).await;
}

#[tokio::test]
async fn resume_while_the_old_connection_lingers_replaces_it() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    let (mut a, wa, _, _b, _) = pair(&s, "probe").await;
    // the old connection is still open (e.g. half-open): the new one takes over
    let mut a2 = s.connect().await;
    a2.send(&hello("a", wa.resume.clone(), None)).await.unwrap();
    assert_eq!(next_error(&mut a).await, ErrorCode::SessionReplaced);
    let f = match_found(&mut a2).await;
    assert_eq!(f.player, wa.player);
}

/// The welcome of a resume, read first on a new connection.
async fn resumed_welcome(c: &mut Client) -> tickwave_protocol::Welcome {
    match c.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Welcome(w) => w,
        other => panic!("expected welcome, got {other:?}"),
    }
}

/// `a` asks for a match and drops (or is resumed elsewhere) before reading its `match_found`:
/// only the server knows a seat is held, so `welcome.seat_held` says so, a `find_match` sent
/// meanwhile is refused, and the seat arrives with `match_found`. (The swarm's churning bots
/// hit exactly this race.)
#[tokio::test]
async fn a_seat_found_while_away_is_announced_in_the_welcome() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    for live in [true, false] {
        let (mut a, wa) = s.client("a").await;
        let (mut b, _) = s.client("b").await;
        a.send(&find("probe")).await.unwrap();
        b.send(&find("probe")).await.unwrap();
        let lobby = match_found(&mut b).await.lobby; // a is seated too; it reads nothing
        if !live {
            drop(a); // abrupt: TCP closed, no close frame
            roster_shows(&mut b, wa.player, false).await;
        }
        let mut a2 = s.connect().await;
        a2.send(&hello("a", wa.resume.clone(), None)).await.unwrap();
        let w = resumed_welcome(&mut a2).await;
        assert!(w.resumed && w.seat_held, "live={live}: {w:?}");
        a2.send(&find("probe")).await.unwrap();
        // The refusal and the seat arrive in either order.
        let (mut found, mut refused) = (None, None);
        while found.is_none() || refused.is_none() {
            match a2.recv_timeout(5 * SEC).await.unwrap() {
                ServerMessage::MatchFound(f) => found = Some(f),
                ServerMessage::Error { code, .. } => refused = Some(code),
                _ => {}
            }
        }
        let f = found.unwrap();
        assert_eq!((f.lobby, f.player), (lobby, wa.player), "live={live}");
        assert_eq!(refused, Some(ErrorCode::AlreadyInLobby), "live={live}");
        // The seat is a normal one: leave gives it up.
        a2.send(&ClientMessage::Leave {}).await.unwrap();
        roster_shows_left(&mut b, wa.player).await;
    }
}

/// Resumed while idle or queued: no seat is held, the welcome says so, and the player can
/// ask for a match at once.
#[tokio::test]
async fn a_resume_without_a_seat_says_so() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    for queued in [false, true] {
        let (mut a, wa) = s.client("a").await;
        if queued {
            a.send(&find("probe")).await.unwrap(); // nobody else: stays queued
        }
        let mut a2 = s.connect().await;
        a2.send(&hello("a", wa.resume.clone(), None)).await.unwrap();
        let w = resumed_welcome(&mut a2).await;
        assert!(w.resumed && !w.seat_held, "queued={queued}: {w:?}");
        assert_eq!(next_error(&mut a).await, ErrorCode::SessionReplaced);
        let (mut b, _) = s.client("b").await;
        a2.send(&find("probe")).await.unwrap();
        b.send(&find("probe")).await.unwrap();
        assert_eq!(match_found(&mut a2).await.player, wa.player, "queued={queued}");
        match_found(&mut b).await;
        a2.send(&ClientMessage::Leave {}).await.unwrap();
        b.send(&ClientMessage::Leave {}).await.unwrap();
    }
}

#[tokio::test]
async fn no_input_is_lost_or_applied_twice_across_a_resume() {
    let (s, log) = probe_server(10_000, |_| {}).await;
    let (mut a, wa, mut st, _b, _) = pair(&s, "probe").await;
    let send = |seq: u64| ClientMessage::Input(Input { seq, dx: 0.1, dy: 0.0, action: false });
    for seq in 1..=20 {
        a.send(&send(seq)).await.unwrap();
        if seq % 4 == 0 {
            follow(&mut a, &mut st, Duration::from_millis(40)).await;
        }
    }
    // drop right after sending: some inputs are in flight, some acknowledged
    drop(a);
    let mut a = s.connect().await;
    a.send(&hello("a", wa.resume.clone(), st.tick)).await.unwrap();
    let mut st2 = st.clone();
    let acked = a
        .recv_until(5 * SEC, "state", |m| {
            st2.apply(m).expect("applies");
            matches!(m, ServerMessage::Snapshot(_) | ServerMessage::Delta(_))
                .then(|| st2.ack(wa.player).unwrap_or(0))
        })
        .await
        .unwrap();
    // the client resends what was not acknowledged, then goes on
    for seq in acked + 1..=40 {
        a.send(&send(seq)).await.unwrap();
    }
    a.recv_until(5 * SEC, "ack of 40", |m| {
        st2.apply(m).expect("applies");
        (st2.ack(wa.player) == Some(40)).then_some(())
    })
    .await
    .unwrap();
    let applied: Vec<u64> =
        log.lock().unwrap().iter().filter(|(p, _)| *p == wa.player).map(|(_, s)| *s).collect();
    assert_eq!(applied, (1..=40).collect::<Vec<_>>(), "each input applied exactly once, in order");
}

#[tokio::test]
async fn a_panicking_game_ends_only_its_lobby() {
    let (s, _) = probe_server(10_000, |_| {}).await;
    // lobby 2: a lone arena player, whose tick rate we watch
    let (mut watcher, _) = s.client("watcher").await;
    watcher.send(&find("arena")).await.unwrap();
    match_found(&mut watcher).await;
    // lobby 1: the probe game, which we blow up
    let (mut a, _, _, mut b, _) = pair(&s, "probe").await;
    assert_eq!(s.server.lobby_count(), 2);
    a.send(&ClientMessage::Input(Input { seq: 1, dx: 0.5, dy: 0.0, action: false })).await.unwrap();
    for c in [&mut a, &mut b] {
        assert_eq!(next_error(c).await, ErrorCode::LobbyFailed);
        c.recv_until(2 * SEC, "lobby_closed", |m| {
            matches!(m, ServerMessage::LobbyClosed { .. }).then_some(())
        })
        .await
        .unwrap();
    }
    s.eventually(2 * SEC, "the failed lobby gone", |srv| srv.lobby_count() == 1).await;
    assert_eq!(s.server.lobby_panics(), 1);
    assert!(s.metric("tickwave_lobby_panics_total").await >= 1.0, "exported to /metrics");
    // the other lobby never noticed: it still ticks at 30 Hz
    let mut st = LocalState::default();
    let t0 = Instant::now();
    let mut deltas = 0;
    while t0.elapsed() < Duration::from_secs(1) {
        let m = watcher.recv_timeout(SEC).await.unwrap();
        if st.apply(&m).is_ok() && matches!(m, ServerMessage::Delta(_)) {
            deltas += 1;
        }
    }
    assert!(deltas >= 25, "{deltas} deltas in 1 s");
    // and the players of the failed lobby can play again
    a.send(&find("arena")).await.unwrap();
    match_found(&mut a).await;
}

#[tokio::test]
async fn drain_lets_the_running_match_finish_then_exits() {
    let mut mode = quick_mode("short", 2, 2);
    mode.match_length_ms = 1500;
    let s = start_with(|c| c.modes = vec![mode]).await;
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    let (mut idle, _) = s.client("idle").await;
    a.send(&find("short")).await.unwrap();
    b.send(&find("short")).await.unwrap();
    match_found(&mut a).await;
    a.recv_until(5 * SEC, "running", |m| {
        matches!(m, ServerMessage::LobbyState(l) if l.state == "running").then_some(())
    })
    .await
    .unwrap();
    s.server.drain();
    idle.send(&find("short")).await.unwrap();
    assert_eq!(next_error(&mut idle).await, ErrorCode::ServerDraining);
    // the match plays to its end
    a.recv_until(5 * SEC, "results", |m| matches!(m, ServerMessage::Results { .. }).then_some(()))
        .await
        .unwrap();
    // then everyone gets 1001 and the server stops
    for c in [&mut a, &mut b, &mut idle] {
        let (code, _) = c.closed(5 * SEC).await.unwrap().expect("close frame");
        assert_eq!(code, close::GOING_AWAY);
    }
    let TestServer { server, .. } = s;
    tokio::time::timeout(5 * SEC, server.wait()).await.expect("server stopped");
}

#[tokio::test]
async fn drain_timeout_closes_a_long_match() {
    let s = start_with(|c| {
        c.modes = vec![quick_mode("arena", 2, 2)];
        c.drain_timeout = Duration::from_millis(700);
    })
    .await;
    let (mut a, _, _, mut b, _) = pair(&s, "arena").await;
    let t0 = Instant::now();
    s.server.drain();
    for c in [&mut a, &mut b] {
        let (code, _) = c.closed(5 * SEC).await.unwrap().expect("close frame");
        assert_eq!(code, close::GOING_AWAY);
    }
    assert!(t0.elapsed() >= Duration::from_millis(600));
}
