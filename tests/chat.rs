//! Issue 8: lobby chat over real wss — order, limits, history, and slow readers.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tickwave_bots::{Client, ClientError, LocalState};
use tickwave_protocol::{ClientMessage, ErrorCode, ServerMessage};

fn chat(text: &str) -> ClientMessage {
    ClientMessage::Chat { text: text.into() }
}

/// Collect chat lines (from, text) for `d`, applying state as it comes.
async fn chat_lines(c: &mut Client, st: &mut LocalState, d: Duration) -> Vec<(u32, String)> {
    let end = Instant::now() + d;
    let mut out = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match c.recv_timeout(left).await {
            Ok(m) => {
                st.apply(&m).expect("state stays consistent");
                if let ServerMessage::Chat { from, text, .. } = m {
                    out.push((from, text));
                }
            }
            Err(ClientError::Timeout(_)) => break,
            Err(e) => panic!("{e}"),
        }
    }
    out
}

async fn lobby_of(s: &TestServer, n: usize) -> Vec<(Client, tickwave_protocol::Welcome)> {
    let mut v = Vec::new();
    for i in 0..n {
        let (mut c, w) = s.client(&format!("p{i}")).await;
        c.send(&find("arena")).await.unwrap();
        v.push((c, w));
    }
    let mut lobby = None;
    for (c, _) in &mut v {
        let l = match_found(c).await.lobby;
        assert_eq!(*lobby.get_or_insert(l), l, "one lobby");
    }
    v
}

#[tokio::test]
async fn everyone_gets_every_line_in_the_same_order() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let mut p = lobby_of(&s, 3).await;
    for round in 0..3 {
        for (i, (c, _)) in p.iter_mut().enumerate() {
            c.send(&chat(&format!("hi {round} from {i}"))).await.unwrap();
        }
    }
    let mut seen = Vec::new();
    for (c, _) in &mut p {
        let mut st = LocalState::default();
        seen.push(chat_lines(c, &mut st, Duration::from_millis(800)).await);
    }
    assert_eq!(seen[0].len(), 9, "{:?}", seen[0]);
    assert_eq!(seen[0], seen[1], "same order for everyone");
    assert_eq!(seen[1], seen[2]);
    // the sender gets its own echo, with its player id
    let me = p[0].1.player;
    assert!(seen[0].iter().any(|(from, t)| *from == me && t == "hi 0 from 0"));
    // operators see the same recent chat in the lobby detail
    let (_, lobbies) = s.admin("GET", "/admin/lobbies", Some(VIEWER), None).await;
    let id = lobbies["lobbies"][0]["id"].as_u64().unwrap();
    let (_, d) = s.admin("GET", &format!("/admin/lobbies/{id}"), Some(VIEWER), None).await;
    let texts: Vec<&str> =
        d["recent_chat"].as_array().unwrap().iter().map(|l| l["text"].as_str().unwrap()).collect();
    let expected: Vec<&str> = seen[0].iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, expected);
}

#[tokio::test]
async fn too_long_and_too_fast_are_refused_while_the_tick_holds() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let mut p = lobby_of(&s, 2).await;
    let long = "é".repeat(281); // 281 scalar values, 562 bytes
    p[0].0.send(&chat(&long)).await.unwrap();
    p[0].0.send(&chat("bell \u{7}")).await.unwrap();
    let mut codes = Vec::new();
    // a burst of 12: 5 pass (the bucket), the rest are refused
    for i in 0..12 {
        p[0].0.send(&chat(&format!("spam {i}"))).await.unwrap();
    }
    let mut st = LocalState::default();
    let mut delivered = 0;
    let end = Instant::now() + Duration::from_millis(800);
    while Instant::now() < end {
        match p[0].0.recv_timeout(Duration::from_millis(100)).await {
            Ok(ServerMessage::Error { code, fatal, .. }) => {
                assert!(!fatal);
                codes.push(code);
            }
            Ok(ServerMessage::Chat { .. }) => delivered += 1,
            Ok(m) => {
                st.apply(&m).unwrap();
            }
            Err(_) => {}
        }
    }
    assert_eq!(codes[0], ErrorCode::ChatTooLong);
    assert_eq!(codes[1], ErrorCode::ChatInvalid);
    assert_eq!(codes.iter().filter(|c| **c == ErrorCode::ChatRateLimited).count(), 7);
    assert_eq!(delivered, 5);
    // the other player kept its full tick rate all along
    let (c, _) = &mut p[1];
    let mut st = LocalState::default();
    let t0 = Instant::now();
    let mut deltas = 0;
    while t0.elapsed() < Duration::from_secs(1) {
        if let Ok(m) = c.recv_timeout(SEC).await {
            if st.apply(&m).is_ok() && matches!(m, ServerMessage::Delta(_)) {
                deltas += 1;
            }
        }
    }
    assert!(deltas >= 25, "{deltas} deltas in a second");
}

#[tokio::test]
async fn sustained_chat_flooding_closes_with_1008() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let mut p = lobby_of(&s, 2).await;
    for i in 0..60 {
        if p[0].0.send(&chat(&format!("flood {i}"))).await.is_err() {
            break;
        }
    }
    let closed = p[0].0.closed(5 * SEC).await.unwrap();
    assert_eq!(closed.map(|c| c.0), Some(tickwave_protocol::close::POLICY_VIOLATION));
}

#[tokio::test]
async fn chat_outside_a_lobby_is_refused() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let (mut a, _) = s.client("waiting").await;
    a.send(&find("arena")).await.unwrap(); // alone: stays queued
    a.send(&chat("anyone?")).await.unwrap();
    let code = next_error(&mut a).await;
    assert_eq!(code, ErrorCode::NotInLobby);
}

#[tokio::test]
async fn a_late_joiner_gets_the_history_after_its_snapshot() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let mut p = lobby_of(&s, 2).await;
    for i in 0..3 {
        p[i % 2].0.send(&chat(&format!("before {i}"))).await.unwrap();
    }
    // the order the lobby received them in (lines from two players may race)
    let mut st0 = LocalState::default();
    let seen: Vec<String> = chat_lines(&mut p[0].0, &mut st0, Duration::from_millis(400))
        .await
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(seen.len(), 3);
    let (mut late, _) = s.client("late").await;
    late.send(&find("arena")).await.unwrap();
    match_found(&mut late).await;
    let mut st = LocalState::default();
    let mut order = Vec::new();
    let end = Instant::now() + Duration::from_millis(800);
    while Instant::now() < end {
        if let Ok(m) = late.recv_timeout(Duration::from_millis(100)).await {
            st.apply(&m).unwrap();
            match m {
                ServerMessage::Snapshot(_) => order.push("snapshot".to_string()),
                ServerMessage::Chat { text, .. } => order.push(text),
                _ => {}
            }
        }
    }
    assert_eq!(order[0], "snapshot", "history comes after the snapshot: {order:?}");
    assert_eq!(order[1..4], seen[..], "the history, in the lobby's order");
}

#[tokio::test]
async fn a_slow_reader_loses_chat_lines_but_never_its_state() {
    let s = start_with(|c| {
        c.modes = vec![quick_mode("arena", 16, 2)];
        c.outbound_queue = 16;
        c.tcp_send_buffer = Some(4096);
        c.heartbeat_timeout = Duration::from_secs(30);
        c.chat.burst = 1000;
        c.chat.per_sec = 1000.0;
        c.chat.abuse_limit = 1000;
        c.chat.backlog = 8;
    })
    .await;
    let (mut talker, _) = s.client("talker").await;
    let mut slow = Client::connect_with(&s.url, &s.check, Some(4096)).await.unwrap();
    slow.hello("slow").await.unwrap();
    talker.send(&find("arena")).await.unwrap();
    slow.send(&find("arena")).await.unwrap();
    match_found(&mut talker).await;
    match_found(&mut slow).await;
    let mut slow_state = LocalState::default();
    chat_lines(&mut slow, &mut slow_state, Duration::from_millis(300)).await;
    // slow stops reading while 300 lines of chat go by
    let mut tst = LocalState::default();
    for i in 0..300 {
        talker.send(&chat(&format!("line {i:03} {}", "x".repeat(200)))).await.unwrap();
        if i % 30 == 0 {
            chat_lines(&mut talker, &mut tst, Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // slow reads again: state applies cleanly throughout, chat lines come in order with gaps
    let got = chat_lines(&mut slow, &mut slow_state, Duration::from_secs(2)).await;
    let nums: Vec<u32> = got.iter().map(|(_, t)| t[5..8].parse().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] < w[1]), "in order: {nums:?}");
    assert!(nums.len() < 300, "some lines were dropped for the slow reader ({} kept)", nums.len());
    assert_eq!(nums.last(), Some(&299), "the newest lines are kept, the oldest dropped");
    let before = slow_state.tick.unwrap();
    chat_lines(&mut slow, &mut slow_state, Duration::from_millis(500)).await;
    assert!(slow_state.tick.unwrap() >= before + 10, "state keeps flowing after");
}
