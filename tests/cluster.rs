//! Cluster mode over real Redis: nodes on loopback ports sharing matchmaking through a
//! redis-server each test starts on its own free port (no persistence, temp dir).
//!
//! Without redis-server installed the tests are skipped with a message, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Duration;
use tickwave_protocol::ServerMessage;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_on_different_nodes_end_up_in_one_lobby_through_redirects() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let n3 = node(&redis, "n3").await;
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n2.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((_a, fa), (_b, fb)) = {
        let all = targets(&[&n1, &n2, &n3]);
        tokio::join!(seat(&all, a, "a"), seat(&all, b, "b"))
    };
    assert_eq!(fa.lobby, fb.lobby, "same lobby");
    assert!(fa.roster.len() + fb.roster.len() >= 3, "the roster grows to both");
    let lobbies: usize = [&n1, &n2, &n3].iter().map(|n| n.server.lobby_count()).sum();
    assert_eq!(lobbies, 1, "exactly one lobby in the cluster");
    // The directory and the admin view show it.
    let mut found = false;
    for _ in 0..50 {
        let (status, v) = n3.admin("GET", "/admin/cluster", Some(VIEWER), None).await;
        assert_eq!(status, 200, "{v}");
        let n = v["lobbies"]
            .as_object()
            .map_or(0, |m| m.values().map(|l| l.as_array().map_or(0, Vec::len)).sum::<usize>());
        if v["nodes"].as_array().map_or(0, Vec::len) == 3 && n == 1 {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "admin view lists 3 nodes and 1 lobby");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matchmaker_lease_fails_over_and_queued_tickets_survive() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let end = tokio::time::Instant::now() + 10 * SEC;
    while !(n1.server.is_cluster_leader() || n2.server.is_cluster_leader()) {
        assert!(tokio::time::Instant::now() < end, "no node took the lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (leader, survivor) = if n1.server.is_cluster_leader() { (n1, n2) } else { (n2, n1) };
    // Queued before the holder dies...
    let (mut a, _) = survivor.client("a").await;
    a.send(&find("duo")).await.unwrap();
    a.recv_until(5 * SEC, "queued", |m| matches!(m, ServerMessage::Queued { .. }).then_some(()))
        .await
        .unwrap();
    // ...the holder stops without releasing its lease (as if killed): the lease must expire.
    let t0 = std::time::Instant::now();
    leader.server.shutdown().await;
    let (mut b, _) = survivor.client("b").await;
    b.send(&find("duo")).await.unwrap();
    let (fa, fb) = tokio::join!(match_found(&mut a), async {
        b.recv_until(15 * SEC, "match_found", |m| match m {
            ServerMessage::MatchFound(f) => Some(f.clone()),
            _ => None,
        })
        .await
        .unwrap()
    });
    assert_eq!(fa.lobby, fb.lobby);
    assert!(survivor.server.is_cluster_leader());
    eprintln!("lease failover + match took {:?}", t0.elapsed());
}
