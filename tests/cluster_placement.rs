//! Placement across a cluster (issue 17, items 1 and 2), over real sockets and a real
//! redis-server: a burst of players on one node makes about as many lobbies as one node
//! would, spread over every node; a reservation nobody redeems gives its seat back and the
//! lobby it leaves empty closes.
//!
//! Without redis-server installed the tests are skipped with a message, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Duration;
use tickwave::ModeConfig;
use tickwave_bots::CertCheck;
use tickwave_bots::swarm::{self, SwarmConfig};
use tickwave_protocol::ServerMessage;

/// 16 seats that wait up to 2 s to fill (as `arena` does), long matches so that every lobby
/// of the run is still there to count at the end.
fn squad() -> ModeConfig {
    ModeConfig { fill_timeout_ms: 2000, match_length_ms: 60_000, ..quick_mode("squad", 16, 2) }
}

const BOTS: u32 = 96;

fn swarm_cfg(url: &str, check: CertCheck) -> SwarmConfig {
    SwarmConfig {
        bots: BOTS,
        ramp: 60.0,
        duration: Duration::from_secs(5),
        warmup: Duration::ZERO,
        mode: "squad".into(),
        ..SwarmConfig::new(url, check)
    }
}

/// Run the swarm while sampling each server's live lobbies every 50 ms; returns the report
/// and the most lobbies seen on each server. Matches last 60 s and no bot leaves before the
/// end, so no lobby closes during the run: the peak is the number of lobbies made.
async fn run_swarm(cfg: SwarmConfig, servers: &[&TestServer]) -> (swarm::Report, Vec<usize>) {
    let run = tokio::task::spawn_blocking(move || swarm::run(cfg));
    tokio::pin!(run);
    let mut peak = vec![0; servers.len()];
    loop {
        for (p, s) in peak.iter_mut().zip(servers) {
            *p = (*p).max(s.server.lobby_count());
        }
        tokio::select! {
            r = &mut run => return (r.unwrap().expect("swarm"), peak),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_on_one_node_makes_as_many_lobbies_as_one_node_and_spread_uses_every_node() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    // The yardstick: the same swarm against one node, no cluster.
    let single = start_with(|c| c.modes = vec![squad()]).await;
    let (r1, peak) = run_swarm(swarm_cfg(&single.url, single.check.clone()), &[&single]).await;
    assert_eq!(r1.errors.total, 0, "{}", r1.table());
    assert_eq!(r1.bots.matched, BOTS, "{}", r1.table());
    let one_node = peak[0];
    single.server.shutdown().await;

    let squad_node = |id: &'static str| {
        node_with(&redis, id, |c| {
            c.modes = vec![squad()];
        })
    };
    let n1 = squad_node("n1").await;
    let n2 = squad_node("n2").await;
    let n3 = squad_node("n3").await;
    cluster_view_until(&n1, 10 * SEC, "3 live nodes and a matchmaker", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 3)
            && v["matchmaker"].is_string()
    })
    .await;
    let pins: Vec<String> = [&n1, &n2, &n3]
        .iter()
        .map(|n| match &n.check {
            CertCheck::Pin(p) => p.clone(),
            CertCheck::Insecure => unreachable!("test nodes are pinned"),
        })
        .collect();
    let cfg = swarm_cfg(&n1.url, CertCheck::Pin(pins.join(",")));
    let (r3, per_node) = run_swarm(cfg, &[&n1, &n2, &n3]).await;
    let table = r3.table();
    assert_eq!(r3.errors.total, 0, "{table}");
    assert_eq!(r3.bots.matched, BOTS, "{table}");
    let total: usize = per_node.iter().sum();
    eprintln!(
        "placement: {BOTS} bots of 16-seat lobbies; one node: {one_node} lobbies, find_match p50 \
         {:.0} ms p99 {:.0} ms; 3 nodes (spread): {total} lobbies {per_node:?}, find_match p50 \
         {:.0} ms p99 {:.0} ms, {} redirects",
        r1.latency.find_to_match.p50_ms,
        r1.latency.find_to_match.p99_ms,
        r3.latency.find_to_match.p50_ms,
        r3.latency.find_to_match.p99_ms,
        r3.bots.redirects,
    );
    assert!(total <= one_node + 3, "{total} lobbies {per_node:?} vs {one_node} on one node");
    // Issue 17's latency target: a redirect and a cross-node placement cost at most as much
    // again as one node's matching (measured: 46-60 ms vs 113 ms, docs/CLUSTER.md).
    let (p1, p3) = (r1.latency.find_to_match.p99_ms, r3.latency.find_to_match.p99_ms);
    assert!(p3 <= 2.0 * p1, "find_match p99 {p3:.0} ms on 3 nodes vs {p1:.0} ms on one");
    assert!(per_node.iter().all(|&n| n > 0), "spread leaves no node empty: {per_node:?}");
}

/// Packed fills one node before the next: the same burst, every lobby on one node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_placement_fills_one_node_first() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let packed = |id: &'static str| {
        node_with(&redis, id, |c| {
            c.modes = vec![quick_mode("duo", 2, 2)];
            if let Some(cl) = c.cluster.as_mut() {
                cl.placement = tickwave::PlacementPolicy::Packed;
            }
        })
    };
    let n1 = packed("n1").await;
    let n2 = packed("n2").await;
    cluster_view_until(&n1, 10 * SEC, "2 live nodes and a matchmaker", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 2)
            && v["matchmaker"].is_string()
    })
    .await;
    let all = targets(&[&n1, &n2]);
    let mut seated = Vec::new();
    for pair in 0..3 {
        let (na, nb) = (format!("a{pair}"), format!("b{pair}"));
        let (mut a, _) = n1.client(&na).await;
        let (mut b, _) = n2.client(&nb).await;
        a.send(&find("duo")).await.unwrap();
        b.send(&find("duo")).await.unwrap();
        let (sa, sb) = tokio::join!(seat(&all, a, &na), seat(&all, b, &nb));
        assert_eq!(sa.1.lobby, sb.1.lobby);
        seated.push((sa, sb));
    }
    let per_node = [n1.server.lobby_count(), n2.server.lobby_count()];
    assert!(per_node == [3, 0] || per_node == [0, 3], "packed: one node takes all {per_node:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unredeemed_reservation_gives_its_seat_back_and_the_empty_lobby_closes() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let ttl = Duration::from_millis(1500);
    let with_ttl = move |c: &mut tickwave::Config| {
        if let Some(cl) = c.cluster.as_mut() {
            cl.reservation_ttl = ttl;
        }
    };
    // n1 has room for no lobby (capacity 1 < 2 seats): the lobby goes to n2, and both
    // players, on n1, get a redirect.
    let n1 = node_with(&redis, "n1", move |c| {
        with_ttl(c);
        if let Some(cl) = c.cluster.as_mut() {
            cl.capacity = 1;
        }
    })
    .await;
    let n2 = node_with(&redis, "n2", with_ttl).await;
    cluster_view_until(&n1, 10 * SEC, "2 live nodes and a matchmaker", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 2)
            && v["matchmaker"].is_string()
    })
    .await;
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n1.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    for c in [&mut a, &mut b] {
        c.recv_until(10 * SEC, "redirect", |m| match m {
            ServerMessage::Redirect { url, .. } => Some(url.clone()),
            _ => None,
        })
        .await
        .expect("a redirect");
    }
    let t0 = std::time::Instant::now();
    assert_eq!(n2.server.lobby_count(), 1, "the lobby waits on n2 for its two reservations");
    // Neither player goes to n2 (they stay connected to n1). The seats come back at the
    // reservation's expiry and the lobby, with no one in it or on the way, closes.
    until(ttl + 3 * SEC, "the empty lobby closes", || n2.server.lobby_count() == 0).await;
    let took = t0.elapsed();
    eprintln!("abandoned reservations: lobby closed {} ms after the redirects", took.as_millis());
    assert!(took >= ttl - Duration::from_millis(300), "not before the TTL: {took:?}");
    // And it leaves the directory, so no placement goes there.
    cluster_view_until(&n1, 5 * SEC, "no lobby in the directory", |v| {
        lobbies_of(v, "n2").is_empty()
    })
    .await;
}
