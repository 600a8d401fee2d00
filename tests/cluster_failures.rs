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
    match c.recv_timeout(5 * SEC).await.expect("lobby_lost") {
        ServerMessage::Error { code: ErrorCode::LobbyLost, fatal: false, message } => {
            assert!(message.contains("n3"), "names the dead node: {message}");
        }
        other => panic!("expected lobby_lost, got {other:?}"),
    }
    match c.recv_timeout(5 * SEC).await.expect("queued") {
        ServerMessage::Queued { mode, .. } => assert_eq!(mode, "duo"),
        other => panic!("expected queued, got {other:?}"),
    }
    seat(all, c, name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_players_are_told_lobby_lost_requeued_and_matched_again() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    // n1 holds the lease before the node that will die starts, so matching never waits for
    // a lease failover in this test (that case has its own test).
    until(10 * SEC, "n1 takes the lease", || n1.server.is_cluster_leader()).await;
    let n2 = node(&redis, "n2").await;
    // n3 has the most free capacity, so the leader places the new lobby there.
    let mut n3 = NodeProc::start(&redis, "n3", 5000);
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
