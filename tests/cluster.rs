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
    // Any node's lobby list shows the whole cluster; a single node says it is not clustered.
    let (status, v) = n1.admin("GET", "/admin/lobbies?scope=cluster", Some(VIEWER), None).await;
    assert_eq!(status, 200, "{v}");
    let listed = v["lobbies"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(listed[0]["id"], fa.lobby, "{v}");
    assert!(listed[0]["players"].as_u64().is_some_and(|p| (1..=2).contains(&p)), "{v}");
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

/// A node with the `duo` mode and a `trio` mode (3 seats, starts with 2, backfill on).
async fn node3(redis: &Redis, id: &str) -> TestServer {
    node_with(redis, id, |c| c.modes.push(quick_mode("trio", 3, 2))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_codes_work_from_any_node() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let n3 = node(&redis, "n3").await;
    let all = targets(&[&n1, &n2, &n3]);
    let (mut a, _) = n1.client("a").await;
    a.send(&tickwave_protocol::ClientMessage::CreatePrivate { mode: "duo".into() }).await.unwrap();
    let fa = match_found(&mut a).await;
    let code = fa.code.clone().expect("a private lobby has a code");
    // A friend on another node joins by the code: redirected to n1 with a reservation.
    let (mut b, _) = n2.client("b").await;
    let join = |code: &str| tickwave_protocol::ClientMessage::JoinPrivate { code: code.into() };
    b.send(&join(&code.to_lowercase())).await.unwrap();
    let (_b, fb) = seat(&all, b, "b").await;
    assert_eq!(fb.lobby, fa.lobby);
    assert_eq!(fb.code.as_deref(), Some(code.as_str()));
    assert_eq!(n1.server.lobby_count(), 1);
    assert_eq!(n2.server.lobby_count() + n3.server.lobby_count(), 0);
    // The lobby is full now: a third player on a third node is refused, and an unknown
    // code is refused too (after the lookup's grace for codes not yet published).
    let (mut c, _) = n3.client("c").await;
    c.send(&join(&code)).await.unwrap();
    assert_eq!(next_error(&mut c).await, tickwave_protocol::ErrorCode::LobbyFull);
    c.send(&join("ZZZZZZ")).await.unwrap();
    assert_eq!(next_error(&mut c).await, tickwave_protocol::ErrorCode::UnknownCode);
    // Refused, the player is idle and may play on.
    c.send(&find("duo")).await.unwrap();
    c.recv_until(5 * SEC, "queued", |m| matches!(m, ServerMessage::Queued { .. }).then_some(()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_lobby_is_backfilled_from_another_node() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let n1 = node3(&redis, "n1").await;
    let n2 = node3(&redis, "n2").await;
    let n3 = node3(&redis, "n3").await;
    let all = targets(&[&n1, &n2, &n3]);
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n2.client("b").await;
    a.send(&find("trio")).await.unwrap();
    b.send(&find("trio")).await.unwrap();
    let ((mut a, fa), (_b, fb)) = tokio::join!(seat(&all, a, "a"), seat(&all, b, "b"));
    assert_eq!(fa.lobby, fb.lobby);
    // The match starts with two (min 2, no countdown): it is running when the third comes.
    a.recv_until(5 * SEC, "running", |m| match m {
        ServerMessage::LobbyState(s) if s.state == "running" => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    let (mut c, _) = n3.client("c").await;
    c.send(&find("trio")).await.unwrap();
    let (_c, fc) = seat(&all, c, "c").await;
    assert_eq!(fc.lobby, fa.lobby, "backfilled into the running lobby");
    assert_eq!(fc.roster.len(), 3);
    let lobbies: usize = [&n1, &n2, &n3].iter().map(|n| n.server.lobby_count()).sum();
    assert_eq!(lobbies, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_node_gets_no_new_lobbies_and_gives_up_the_lease() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    // n3 first, with the most room: it holds the lease and would get every new lobby.
    let n3 = node_with(&redis, "n3", |c| {
        if let Some(cl) = c.cluster.as_mut() {
            cl.capacity = 5000;
        }
    })
    .await;
    until(10 * SEC, "n3 takes the lease", || n3.server.is_cluster_leader()).await;
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let all = targets(&[&n1, &n2, &n3]);
    // A running match on n3 keeps it alive while it drains.
    let (mut x, _) = n3.client("x").await;
    let (mut y, _) = n3.client("y").await;
    x.send(&find("duo")).await.unwrap();
    y.send(&find("duo")).await.unwrap();
    let ((mut x, fx), _) = tokio::join!(seat(&all, x, "x"), seat(&all, y, "y"));
    assert_eq!(n3.server.lobby_count(), 1);
    // (A drain closes lobbies that have not started: wait until this one runs.)
    x.recv_until(5 * SEC, "running", |m| match m {
        ServerMessage::LobbyState(s) if s.state == "running" => Some(()),
        _ => None,
    })
    .await
    .unwrap();

    n3.server.drain();
    cluster_view_until(&n1, 10 * SEC, "n3 registered as draining", |v| {
        v["nodes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n["node"] == "n3" && n["health"] == "draining"))
    })
    .await;
    until(10 * SEC, "another node takes the lease", || {
        n1.server.is_cluster_leader() || n2.server.is_cluster_leader()
    })
    .await;
    assert!(!n3.server.is_cluster_leader());
    // New matches go to n1 or n2, never to the draining node with the most room.
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n2.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((_a, fa), (_b, fb)) = tokio::join!(seat(&all, a, "a"), seat(&all, b, "b"));
    assert_eq!(fa.lobby, fb.lobby);
    assert_eq!(n1.server.lobby_count() + n2.server.lobby_count(), 1);
    assert_eq!(n3.server.lobby_count(), 1, "only its running match");
    // Players on the draining node are told to go elsewhere; its match plays on.
    let (mut z, _) = n3.client("z").await;
    z.send(&find("duo")).await.unwrap();
    assert_eq!(next_error(&mut z).await, tickwave_protocol::ErrorCode::ServerDraining);
    x.recv_until(5 * SEC, "state", |m| match m {
        ServerMessage::Delta(d) if d.tick > 0 => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(fx.mode, "duo");
}
