//! Issue 3: matchmaking into lobbies and fixed-tick state over real wss.

mod common;

use common::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tickwave_bots::{Client, LocalState};
use tickwave_protocol::{ClientMessage, ErrorCode, ServerMessage};

/// Read for `d`, applying state; returns the messages seen (state included).
async fn pump(c: &mut Client, st: &mut LocalState, d: Duration) -> Vec<ServerMessage> {
    let end = Instant::now() + d;
    let mut out = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match c.recv_timeout(left).await {
            Ok(m) => {
                st.apply(&m).expect("state applies");
                out.push(m);
            }
            Err(tickwave_bots::ClientError::Timeout(_)) => break,
            Err(e) => panic!("{e}"),
        }
    }
    out
}

fn pos(st: &LocalState, player: u32) -> Option<(i32, i32)> {
    st.view.get(player).map(|e| (e.field(0), e.field(1)))
}

#[tokio::test]
async fn two_players_share_a_lobby_and_see_each_other_move() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let (mut a, wa) = s.client("ada").await;
    let (mut b, wb) = s.client("bob").await;
    a.send(&find("arena")).await.unwrap();
    b.send(&find("arena")).await.unwrap();
    let (fa, fb) = (match_found(&mut a).await, match_found(&mut b).await);
    assert_eq!(fa.lobby, fb.lobby, "same lobby");
    assert_eq!((fa.player, fb.player), (wa.player, wb.player));
    assert_eq!(fa.game, "arena");
    assert_eq!(fa.schema[0].fields, ["x", "y", "score", "boost"]);

    let (mut sa, mut sb) = (LocalState::default(), LocalState::default());
    pump(&mut a, &mut sa, Duration::from_millis(300)).await;
    pump(&mut b, &mut sb, Duration::from_millis(300)).await;
    let b_before = pos(&sa, wb.player).expect("ada sees bob");
    let a_before = pos(&sb, wa.player).expect("bob sees ada");
    // ada walks right, bob walks down, for half a second of inputs
    for seq in 1..=10u64 {
        a.send(&input(seq, 1.0, 0.0)).await.unwrap();
        b.send(&input(seq, 0.0, 1.0)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pump(&mut a, &mut sa, Duration::from_millis(500)).await;
    pump(&mut b, &mut sb, Duration::from_millis(500)).await;
    let b_after = pos(&sa, wb.player).unwrap();
    let a_after = pos(&sb, wa.player).unwrap();
    assert!(
        a_after.0 > a_before.0 && a_after.1 == a_before.1,
        "bob sees ada move right: {a_before:?} -> {a_after:?}"
    );
    assert!(
        b_after.1 > b_before.1 && b_after.0 == b_before.0,
        "ada sees bob move down: {b_before:?} -> {b_after:?}"
    );
    assert_eq!(sa.ack(wa.player), Some(10), "ada's inputs acknowledged up to seq 10");
    assert_eq!(sb.ack(wb.player), Some(10));
    assert_eq!(sa.ack(wb.player), Some(10), "acks of every player travel to everyone");
}

#[tokio::test]
async fn seventeen_players_fill_two_lobbies() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    let mut clients = Vec::new();
    for i in 0..17 {
        let (mut c, _) = s.client(&format!("p{i}")).await;
        c.send(&find("arena")).await.unwrap();
        clients.push(c);
    }
    let mut lobbies = std::collections::HashMap::<u64, usize>::new();
    for c in &mut clients {
        *lobbies.entry(match_found(c).await.lobby).or_default() += 1;
    }
    let mut sizes: Vec<usize> = lobbies.values().copied().collect();
    sizes.sort();
    assert_eq!(sizes, vec![1, 16]);
}

#[tokio::test]
async fn a_player_who_disconnects_leaves_the_roster() {
    let mut mode = quick_mode("arena", 16, 2);
    mode.seat_grace_ms = 700;
    let s = start_with(|c| c.modes = vec![mode]).await;
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    let (mut c, wc) = s.client("c").await;
    for x in [&mut a, &mut b, &mut c] {
        x.send(&find("arena")).await.unwrap();
    }
    let lobby = match_found(&mut a).await.lobby;
    assert_eq!(match_found(&mut b).await.lobby, lobby);
    assert_eq!(match_found(&mut c).await.lobby, lobby);
    // let the match get going, following the state from the first snapshot
    let (mut sa, mut sb) = (LocalState::default(), LocalState::default());
    pump(&mut a, &mut sa, Duration::from_millis(300)).await;
    pump(&mut b, &mut sb, Duration::from_millis(300)).await;
    assert!(sa.view.get(wc.player).is_some(), "c is in the state before it leaves");
    // drop c without a close frame: its seat is held (shown disconnected), then given up
    drop(c);
    for (x, st) in [(&mut a, &mut sa), (&mut b, &mut sb)] {
        x.recv_until(5 * SEC, "c shown disconnected", |m| {
            st.apply(m).expect("state applies");
            match m {
                ServerMessage::Roster(r) => {
                    r.players.iter().any(|p| p.player == wc.player && !p.connected).then_some(())
                }
                _ => None,
            }
        })
        .await
        .unwrap();
        let r = x
            .recv_until(5 * SEC, "roster without c", |m| {
                st.apply(m).expect("state applies");
                match m {
                    ServerMessage::Roster(r) if r.left.contains(&wc.player) => Some(r.clone()),
                    _ => None,
                }
            })
            .await
            .unwrap();
        assert_eq!(r.players.len(), 2);
        assert!(r.players.iter().all(|p| p.player != wc.player));
        // and its entity disappears from the state
        pump(x, st, Duration::from_millis(300)).await;
        assert!(st.view.get(wc.player).is_none(), "c removed from the state");
    }
    s.eventually(2 * SEC, "c's session freed", |srv| srv.session_count() == 2).await;
}

#[tokio::test]
async fn state_arrives_at_the_tick_rate_with_increasing_ticks() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    let (mut a, _) = s.client("metronome").await;
    a.send(&find("arena")).await.unwrap();
    match_found(&mut a).await;
    let mut st = LocalState::default();
    pump(&mut a, &mut st, Duration::from_millis(300)).await; // settle
    let first = st.tick.unwrap();
    let t0 = Instant::now();
    let mut ticks = Vec::new();
    while t0.elapsed() < Duration::from_secs(3) {
        let m = a.recv_timeout(SEC).await.unwrap();
        st.apply(&m).unwrap();
        if let ServerMessage::Delta(d) = &m {
            ticks.push(d.tick);
        }
    }
    let n = ticks.len() as f64;
    assert!((81.0..=99.0).contains(&n), "{n} deltas in 3 s at 30 Hz");
    assert!(ticks.windows(2).all(|w| w[1] == w[0] + 1), "consecutive ticks");
    assert!(ticks[0] > first);
}

#[tokio::test]
async fn a_mode_with_a_lower_send_rate_sends_deltas_spanning_its_skipped_ticks() {
    let s = start_with(|c| {
        let mut m = quick_mode("arena", 16, 1);
        m.send_hz = Some(10); // of 30 ticks per second: every third tick
        c.modes = vec![m];
    })
    .await;
    let (mut a, _) = s.client("slow-sender").await;
    a.send(&find("arena")).await.unwrap();
    let found = match_found(&mut a).await;
    assert_eq!((found.tick_hz, found.send_hz), (30, Some(10)));
    let mut st = LocalState::default();
    pump(&mut a, &mut st, Duration::from_millis(300)).await; // settle
    let t0 = Instant::now();
    let mut spans = Vec::new();
    let mut seq = 0;
    while t0.elapsed() < Duration::from_secs(3) {
        seq += 1;
        a.send(&input(seq, 1.0, 0.0)).await.unwrap();
        let m = a.recv_timeout(SEC).await.unwrap();
        // LocalState refuses a delta whose base is not the tick it holds.
        st.apply(&m).unwrap();
        if let ServerMessage::Delta(d) = &m {
            spans.push((d.tick, d.tick - d.base));
        }
    }
    let n = spans.len() as f64;
    assert!((25.0..=33.0).contains(&n), "{n} deltas in 3 s at send_hz 10");
    assert!(spans.iter().all(|(t, span)| *span == 3 && t % 3 == 0), "{spans:?}");
    let acked = st.acks.iter().find(|(p, _)| *p == found.player).map_or(0, |a| a.1);
    assert!(acked > 0, "inputs are acked");
}

#[tokio::test]
async fn a_client_that_stops_reading_does_not_slow_the_others() {
    let s = start_with(|c| {
        c.modes = vec![quick_mode("arena", 16, 2)];
        c.outbound_queue = 16;
        c.tcp_send_buffer = Some(4096);
        // the stalled client must not be timed out during the test
        c.heartbeat_timeout = Duration::from_secs(30);
    })
    .await;
    let (mut fast, _) = s.client("fast").await;
    let mut slow = Client::connect_with(&s.url, &s.check, Some(4096)).await.unwrap();
    slow.hello("slow").await.unwrap();
    fast.send(&find("arena")).await.unwrap();
    slow.send(&find("arena")).await.unwrap();
    match_found(&mut fast).await;
    match_found(&mut slow).await;

    // slow now stops reading for 6 s; fast keeps counting state messages
    let mut st = LocalState::default();
    let t0 = Instant::now();
    let msgs = pump(&mut fast, &mut st, Duration::from_secs(6)).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let states = msgs
        .iter()
        .filter(|m| matches!(m, ServerMessage::Delta(_) | ServerMessage::Snapshot(_)))
        .count();
    assert!(
        states as f64 >= 0.9 * 30.0 * elapsed,
        "fast got {states} state messages in {elapsed:.1} s"
    );

    // slow resumes: everything it gets must apply cleanly, it must have been resynced with a
    // snapshot, and it must have received far fewer messages than ticks passed (skipped,
    // not buffered without bound).
    let mut sst = LocalState::default();
    let smsgs = pump(&mut slow, &mut sst, Duration::from_millis(1500)).await;
    let sstates = smsgs
        .iter()
        .filter(|m| matches!(m, ServerMessage::Delta(_) | ServerMessage::Snapshot(_)))
        .count();
    assert!(sst.snapshots >= 2, "the stalled client was resynced ({} snapshots)", sst.snapshots);
    // Kernel socket buffers still absorb a few seconds of these small messages; what matters
    // is that the rest were skipped instead of queued.
    let ticks_passed = (7.5 * 30.0) as usize;
    assert!(
        sstates + 10 < ticks_passed,
        "slow got {sstates} of ~{ticks_passed} ticks: some were skipped"
    );
    // once caught up it follows the live tick
    assert!(sst.tick.unwrap() + 5 >= st.tick.unwrap());
}

#[tokio::test]
async fn queue_errors_and_cancel() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let (mut a, _) = s.client("a").await;
    a.send(&find("nope")).await.unwrap();
    let err = next_error(&mut a).await;
    assert_eq!(err, ErrorCode::UnknownMode);
    a.send(&input(1, 0.0, 0.0)).await.unwrap();
    let err = a
        .recv_until(5 * SEC, "error", |m| match m {
            ServerMessage::Error { code, fatal: false, .. } => Some(*code),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(err, ErrorCode::NotInLobby);
    a.send(&find("arena")).await.unwrap();
    let waiting = a
        .recv_until(5 * SEC, "queued", |m| match m {
            ServerMessage::Queued { waiting, .. } => Some(*waiting),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(waiting, 1);
    a.send(&find("arena")).await.unwrap();
    let err = next_error(&mut a).await;
    assert_eq!(err, ErrorCode::AlreadyQueued);
    a.send(&ClientMessage::CancelMatch {}).await.unwrap();
    a.recv_until(5 * SEC, "match_cancelled", |m| {
        matches!(m, ServerMessage::MatchCancelled { .. }).then_some(())
    })
    .await
    .unwrap();
    // after cancelling, a second player arriving does not get matched with a
    let (mut b, _) = s.client("b").await;
    b.send(&find("arena")).await.unwrap();
    let r = b
        .recv_until(Duration::from_millis(600), "match_found", |m| {
            matches!(m, ServerMessage::MatchFound(_)).then_some(())
        })
        .await;
    assert!(r.is_err(), "b must not be matched with a cancelled player");
}

#[tokio::test]
async fn private_lobby_by_code() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 4, 2)]).await;
    let (mut host, _) = s.client("host").await;
    host.send(&ClientMessage::CreatePrivate { mode: "arena".into() }).await.unwrap();
    let f = match_found(&mut host).await;
    let code = f.code.clone().expect("a private lobby has a code");
    assert_eq!(code.len(), 6);
    // public matchmaking never lands in it
    let (mut stranger, _) = s.client("stranger").await;
    stranger.send(&find("arena")).await.unwrap();
    let (mut friend, _) = s.client("friend").await;
    friend.send(&ClientMessage::JoinPrivate { code: code.to_lowercase() }).await.unwrap();
    assert_eq!(match_found(&mut friend).await.lobby, f.lobby);
    let (mut lost, _) = s.client("lost").await;
    lost.send(&ClientMessage::JoinPrivate { code: "ZZZZZZ".into() }).await.unwrap();
    let err = next_error(&mut lost).await;
    assert_eq!(err, ErrorCode::UnknownCode);
    let r = stranger
        .recv_until(Duration::from_millis(500), "match_found", |m| {
            matches!(m, ServerMessage::MatchFound(_)).then_some(())
        })
        .await;
    assert!(r.is_err(), "a public player must not be put into a private lobby");
}

#[tokio::test]
async fn full_lifecycle_ends_with_results_and_frees_the_lobby() {
    let mut mode = quick_mode("sprint", 2, 2);
    mode.countdown_ms = 200;
    mode.match_length_ms = 800;
    let s = start_with(|c| c.modes = vec![mode]).await;
    let (mut a, wa) = s.client("a").await;
    let (mut b, wb) = s.client("b").await;
    a.send(&find("sprint")).await.unwrap();
    b.send(&find("sprint")).await.unwrap();
    let lobby = match_found(&mut a).await.lobby;
    let mut states = Vec::new();
    let scores = a
        .recv_until(5 * SEC, "results", |m| match m {
            ServerMessage::LobbyState(l) => {
                states.push(l.state.clone());
                None
            }
            ServerMessage::Results { scores, .. } => Some(scores.clone()),
            _ => None,
        })
        .await
        .unwrap();
    // the state at seating (match_found is followed by the current lobby_state), then changes
    assert_eq!(states, ["waiting", "starting", "running", "finished"]);
    let ids: HashSet<u32> = scores.iter().map(|s| s.player).collect();
    assert_eq!(ids, HashSet::from([wa.player, wb.player]));
    assert!(scores.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    a.recv_until(SEC, "lobby_closed", |m| {
        matches!(m, ServerMessage::LobbyClosed { lobby: l, .. } if *l == lobby).then_some(())
    })
    .await
    .unwrap();
    // back to idle: can queue again
    a.send(&find("sprint")).await.unwrap();
    a.recv_until(SEC, "queued", |m| matches!(m, ServerMessage::Queued { .. }).then_some(()))
        .await
        .unwrap();
    drop(b);
}
