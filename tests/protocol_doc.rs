//! Issue 13, item 6: statements of PROTOCOL.md that a client author writing from it alone
//! found missing or unclear, checked against the server over real TLS WebSockets: what a
//! new or resumed member receives and in which order, whom `acks` names, and the ping
//! counter.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tickwave_bots::{Client, ClientError, LocalState};
use tickwave_protocol::{Hello, ServerMessage};

/// Apply every message for `d`; returns them.
async fn pump(c: &mut Client, st: &mut LocalState, d: Duration) -> Vec<ServerMessage> {
    let end = Instant::now() + d;
    let mut out = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match c.recv_timeout(left).await {
            Ok(m) => {
                st.apply(&m).expect("state applies");
                out.push(m);
            }
            Err(ClientError::Timeout(_)) => break,
            Err(e) => panic!("{e}"),
        }
    }
    out
}

fn kind(m: &ServerMessage) -> &'static str {
    match m {
        ServerMessage::MatchFound(_) => "match_found",
        ServerMessage::LobbyState(_) => "lobby_state",
        ServerMessage::Roster(_) => "roster",
        ServerMessage::Snapshot(_) => "snapshot",
        ServerMessage::Delta(_) => "delta",
        ServerMessage::Chat { .. } => "chat",
        ServerMessage::Rtt(_) => "rtt",
        ServerMessage::Queued { .. } => "queued",
        _ => "other",
    }
}

/// PROTOCOL.md §5 "What a new member receives": `match_found`, the `lobby_state` of that
/// moment (tick 0 before the lobby's first tick), the `roster`, then the snapshot of the
/// next tick; a phase change in that tick comes first. A backfilled member's `lobby_state`
/// carries the latest tick and the time left, and its snapshot is of the next tick.
#[tokio::test]
async fn a_new_member_gets_match_found_lobby_state_roster_then_its_snapshot() {
    let mut mode = quick_mode("arena", 4, 2);
    mode.countdown_ms = 60_000;
    let s = start_with(|c| c.modes = vec![mode]).await;
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    a.send(&find("arena")).await.unwrap();
    b.send(&find("arena")).await.unwrap();
    let mut st = LocalState::default();
    let msgs: Vec<ServerMessage> = pump(&mut a, &mut st, Duration::from_millis(400))
        .await
        .into_iter()
        .filter(|m| !matches!(m, ServerMessage::Rtt(_) | ServerMessage::Queued { .. }))
        .collect();
    let kinds: Vec<&str> = msgs.iter().map(kind).collect();
    assert_eq!(&kinds[..5], ["match_found", "lobby_state", "roster", "lobby_state", "snapshot"]);
    match (&msgs[1], &msgs[3], &msgs[4]) {
        (
            ServerMessage::LobbyState(w),
            ServerMessage::LobbyState(st),
            ServerMessage::Snapshot(s),
        ) => {
            assert_eq!((w.state.as_str(), w.tick, w.remaining_ms), ("waiting", 0, None));
            assert_eq!(
                (st.state.as_str(), st.tick, st.remaining_ms),
                ("starting", 1, Some(60_000))
            );
            assert_eq!(s.tick, 1, "ticks count from 1");
        }
        other => panic!("{other:?}"),
    }
    // A third player joins the lobby while it counts down.
    let (mut c, _) = s.client("c").await;
    c.send(&find("arena")).await.unwrap();
    let mut st = LocalState::default();
    let msgs: Vec<ServerMessage> = pump(&mut c, &mut st, Duration::from_millis(400))
        .await
        .into_iter()
        .filter(|m| !matches!(m, ServerMessage::Rtt(_) | ServerMessage::Queued { .. }))
        .collect();
    let kinds: Vec<&str> = msgs.iter().map(kind).collect();
    assert_eq!(&kinds[..4], ["match_found", "lobby_state", "roster", "snapshot"]);
    match (&msgs[1], &msgs[3]) {
        (ServerMessage::LobbyState(l), ServerMessage::Snapshot(s)) => {
            assert_eq!(l.state, "starting");
            assert!(l.tick > 0 && l.remaining_ms.is_some_and(|r| r < 60_000), "{l:?}");
            assert_eq!(s.tick, l.tick + 1);
        }
        other => panic!("{other:?}"),
    }
}

/// PROTOCOL.md §3.2: `acks` has one entry per member, held seats included.
#[tokio::test]
async fn acks_name_every_member_including_held_seats() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 4, 2)]).await;
    let (mut a, wa) = s.client("a").await;
    let (mut b, wb) = s.client("b").await;
    a.send(&find("arena")).await.unwrap();
    b.send(&find("arena")).await.unwrap();
    match_found(&mut a).await;
    match_found(&mut b).await;
    drop(b); // abrupt: the seat is held
    let mut st = LocalState::default();
    let held = a
        .recv_until(5 * SEC, "b held", |m| {
            st.apply(m).unwrap();
            match m {
                ServerMessage::Roster(r) => r
                    .players
                    .iter()
                    .any(|p| p.player == wb.player && !p.connected)
                    .then(|| r.players.iter().map(|p| p.player).collect::<Vec<_>>()),
                _ => None,
            }
        })
        .await
        .unwrap();
    pump(&mut a, &mut st, Duration::from_millis(200)).await;
    let keys: Vec<u32> = st.acks.iter().map(|(p, _)| *p).collect();
    let mut members = held;
    members.sort_unstable();
    assert_eq!(keys, members, "acks of {} and the held {}", wa.player, wb.player);
}

/// The payloads of the first `n` pings on a connection (big-endian u64).
async fn pings(c: &mut Client, n: usize) -> Vec<u64> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(5 * SEC, c.ws.next()).await.unwrap() {
            Some(Ok(Message::Ping(p))) => {
                out.push(u64::from_be_bytes(p.as_ref().try_into().unwrap()))
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    out
}

/// PROTOCOL.md §9: the ping counter starts at 1 on every connection, resumed ones included.
#[tokio::test]
async fn ping_payloads_count_from_1_on_every_connection() {
    let s = start_with(|c| c.heartbeat_interval = Duration::from_millis(100)).await;
    let (mut a, w) = s.client("a").await;
    assert_eq!(pings(&mut a, 3).await, [1, 2, 3]);
    let (mut b, _) = s.client("b").await;
    assert_eq!(pings(&mut b, 2).await, [1, 2]);
    drop(a);
    let mut a = s.connect().await;
    a.hello_with(Hello { resume: w.resume, ..Client::plain_hello("a") }).await.unwrap();
    assert_eq!(pings(&mut a, 2).await, [1, 2]);
}

/// PROTOCOL.md §11.3: a resume into a held seat gets `match_found`, then the `lobby_state`
/// of that moment, then the catch-up delta from `last_tick`.
#[tokio::test]
async fn a_resume_gets_match_found_lobby_state_then_the_catch_up() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 4, 2)]).await;
    let (mut a, wa) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    a.send(&find("arena")).await.unwrap();
    b.send(&find("arena")).await.unwrap();
    match_found(&mut a).await;
    match_found(&mut b).await;
    let mut st = LocalState::default();
    pump(&mut a, &mut st, Duration::from_millis(300)).await;
    let held = st.tick.unwrap();
    drop(a);
    // until the server has seen the drop, and a few ticks went by
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut a = s.connect().await;
    let hello = Hello { resume: wa.resume, last_tick: Some(held), ..Client::plain_hello("a") };
    assert!(a.hello_with(hello).await.unwrap().seat_held);
    let msgs: Vec<ServerMessage> = pump(&mut a, &mut st, Duration::from_millis(300))
        .await
        .into_iter()
        .filter(|m| !matches!(m, ServerMessage::Rtt(_)))
        .collect();
    let kinds: Vec<&str> = msgs.iter().map(kind).collect();
    assert_eq!(&kinds[..4], ["match_found", "lobby_state", "delta", "roster"], "{kinds:?}");
    match (&msgs[1], &msgs[2]) {
        (ServerMessage::LobbyState(l), ServerMessage::Delta(d)) => {
            assert_eq!(d.base, held);
            assert_eq!(l.tick, d.tick, "the lobby's latest tick");
        }
        other => panic!("{other:?}"),
    }
}
