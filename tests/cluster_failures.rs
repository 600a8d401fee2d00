//! Cluster failure cases over real Redis and real sockets: a node killed with SIGKILL (a
//! real `tickwave` process) and its players re-queued and matched again on the other
//! nodes; Redis killed and restarted empty under a running match.
//!
//! Without redis-server installed the tests are skipped with a message, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Instant;
use tickwave_bots::Client;
use tickwave_protocol::{ErrorCode, ServerMessage};

/// The next message that is not an `rtt` report (those may come at any time).
async fn next_non_rtt(c: &mut Client) -> ServerMessage {
    c.recv_until(5 * SEC, "a message", |m| (!matches!(m, ServerMessage::Rtt(_))).then(|| m.clone()))
        .await
        .expect("a message")
}

/// Reconnect to `url` with the resume token of a dead node; expect a fresh welcome, then
/// `lobby_lost`, then `queued` (in that order), then a seat (maybe through a redirect).
async fn come_back(
    all: &Targets,
    url: &str,
    check: &tickwave_bots::CertCheck,
    name: &str,
    token: String,
) -> (Client, tickwave_protocol::MatchFound) {
    let mut c = Client::connect(url, check).await.expect("connect");
    let hello = tickwave_protocol::Hello { resume: Some(token), ..Client::plain_hello(name) };
    let w = c.hello_with(hello).await.expect("welcome after a lost lobby");
    assert!(!w.resumed, "the seat died with its node: not a resume");
    match next_non_rtt(&mut c).await {
        ServerMessage::Error { code: ErrorCode::LobbyLost, fatal: false, message } => {
            assert!(message.contains("n3"), "names the dead node: {message}");
        }
        other => panic!("expected lobby_lost, got {other:?}"),
    }
    match next_non_rtt(&mut c).await {
        ServerMessage::Queued { mode, .. } => assert_eq!(mode, "duo"),
        other => panic!("expected queued, got {other:?}"),
    }
    seat(all, c, name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_players_are_told_lobby_lost_requeued_and_matched_again() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let (n1, n2, mut n3) = two_nodes_and_a_victim(&redis).await;
    let mut all = targets(&[&n1, &n2]);
    all.push((n3.url.clone(), n3.check.clone()));
    cluster_view_until(&n1, 15 * SEC, "3 live nodes", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 3)
    })
    .await;

    let (mut a, wa) = n3.client("a").await;
    let (mut b, wb) = n3.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((mut a, fa), (mut b, fb)) = tokio::join!(seat(&all, a, "a"), seat(&all, b, "b"));
    assert_eq!(fa.lobby, fb.lobby);
    // The lobby runs on n3 with both players, and the directory knows who sits there.
    let v = cluster_view_until(&n1, 10 * SEC, "n3's lobby with 2 members", |v| {
        lobbies_of(v, "n3").iter().any(|l| l["members"].as_array().is_some_and(|m| m.len() == 2))
    })
    .await;
    assert_eq!(lobbies_of(&v, "n3").len(), 1, "{v}");
    // Both are playing: state messages flow.
    for c in [&mut a, &mut b] {
        c.recv_until(5 * SEC, "state", |m| {
            matches!(m, ServerMessage::Snapshot(_) | ServerMessage::Delta(_)).then_some(())
        })
        .await
        .unwrap();
    }

    let t0 = Instant::now();
    n3.kill9();
    // The clients see their connection die (reset or EOF, no close frame from a dead node).
    for c in [&mut a, &mut b] {
        let end = c.closed(10 * SEC).await.expect("the connection ends");
        assert!(end.as_ref().is_none_or(|(code, _)| *code != 1000), "{end:?}");
    }
    // They come back on the surviving nodes with the tokens the dead node gave them.
    let token = |w: &tickwave_protocol::Welcome| w.resume.clone().expect("a resume token");
    let ((_a2, fa2), (_b2, fb2)) = tokio::join!(
        come_back(&all, &n1.url, &n1.check, "a", token(&wa)),
        come_back(&all, &n2.url, &n2.check, "b", token(&wb)),
    );
    assert_eq!(fa2.lobby, fb2.lobby, "re-matched together");
    assert_eq!(fa2.mode, "duo");
    eprintln!("node death -> both players matched again in {:?}", t0.elapsed());

    // The directory marks n3's lobby lost and n3 drops out of the live nodes; the new lobby
    // is on n1 or n2.
    let v = cluster_view_until(&n1, 15 * SEC, "n3's lobby marked lost", |v| {
        lobbies_of(v, "n3").iter().any(|l| l["state"] == "lost")
    })
    .await;
    let live: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["health"] == "up")
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert!(!live.contains(&"n3"), "n3 is not live: {v}");
    assert_eq!(n1.server.lobby_count() + n2.server.lobby_count(), 1, "one new lobby");

    // The dead node's token works once: a second use is refused (the seat was re-queued).
    let mut again = Client::connect(&n2.url, &n2.check).await.unwrap();
    let hello = tickwave_protocol::Hello { resume: Some(token(&wa)), ..Client::plain_hello("a") };
    match again.hello_with(hello).await {
        Err(tickwave_bots::ClientError::Refused { code, .. }) => assert_eq!(code, "resume_used"),
        other => panic!("expected resume_used, got {other:?}"),
    }
}

/// The highest tick in the state messages received within `t`.
async fn ticks_for(c: &mut Client, t: std::time::Duration) -> (u64, u64) {
    let end = tokio::time::Instant::now() + t;
    let (mut first, mut last) = (None, 0);
    while let Ok(Ok(m)) = tokio::time::timeout_at(end, c.recv()).await {
        let tick = match m {
            ServerMessage::Snapshot(s) => s.tick,
            ServerMessage::Delta(d) => d.tick,
            _ => continue,
        };
        first.get_or_insert(tick);
        last = last.max(tick);
    }
    (first.unwrap_or(0), last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_empty_under_a_running_match_the_match_goes_on_and_matching_resumes() {
    let _serial = SERIAL.lock().await;
    let Some(mut redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let all = targets(&[&n1, &n2]);
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n2.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((mut a, fa), (mut b, fb)) = tokio::join!(seat(&all, a, "a"), seat(&all, b, "b"));
    assert_eq!(fa.lobby, fb.lobby);

    // Redis goes away. The match is on one node and never asks Redis anything per tick: its
    // state keeps flowing (30 Hz: ~60 ticks in 2 s; at least 30 asked, for a loaded
    // machine), and inputs keep being acknowledged.
    redis.kill();
    a.send(&input(1, 1.0, 0.0)).await.unwrap();
    let me = fa.player;
    a.recv_until(5 * SEC, "the input's ack", |m| match m {
        ServerMessage::Delta(d) => d.acks.contains(&(me, 1)).then_some(()),
        ServerMessage::Snapshot(s) => s.acks.contains(&(me, 1)).then_some(()),
        _ => None,
    })
    .await
    .unwrap();
    let (t0, t1) = ticks_for(&mut a, 2 * SEC).await;
    assert!(t1 >= t0 + 30, "ticks {t0}..{t1} in 2 s without Redis");
    let (_, tb) = ticks_for(&mut b, std::time::Duration::from_millis(200)).await;
    assert!(tb >= t1, "b's state is as current as a's ({tb} vs {t1})");
    // A find_match while Redis is down is accepted and waits (its write is retried).
    let (mut c, _) = n1.client("c").await;
    c.send(&find("duo")).await.unwrap();
    c.recv_until(5 * SEC, "queued", |m| matches!(m, ServerMessage::Queued { .. }).then_some(()))
        .await
        .unwrap();

    // Redis comes back empty: the nodes re-register, re-publish their lobbies, re-queue their
    // waiting players, one takes the lease again, and matching resumes.
    let t_back = Instant::now();
    redis.restart().await;
    let v = cluster_view_until(&n2, 20 * SEC, "both nodes registered again", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 2)
    })
    .await;
    let listed: usize = ["n1", "n2"].iter().map(|n| lobbies_of(&v, n).len()).sum();
    assert!(listed >= 1, "the running lobby is back in the directory: {v}");
    let (mut d, _) = n2.client("d").await;
    d.send(&find("duo")).await.unwrap();
    let ((_c, fc), (_d, fd)) = tokio::join!(seat(&all, c, "c"), seat(&all, d, "d"));
    assert_eq!(fc.lobby, fd.lobby, "matched together after the restart");
    assert_ne!(fc.lobby, fa.lobby);
    eprintln!("redis back -> new match in {:?}", t_back.elapsed());

    // The first match still runs, and nothing panicked.
    let (_, t2) = ticks_for(&mut a, std::time::Duration::from_millis(500)).await;
    assert!(t2 > t1, "the first match is still ticking");
    assert_eq!(n1.server.lobby_panics() + n2.server.lobby_panics(), 0);
    assert!(n1.server.is_cluster_leader() || n2.server.is_cluster_leader());
}
