//! The bot swarm survives a node loss: bots spread over three nodes (`--url` list), one node
//! (a real `tickwave` process) is killed with SIGKILL under running matches, and every bot
//! that was on it resumes on another node through `lobby_lost` and is in a match again within
//! 6 s; none is stranded. Asserted from the swarm's report (`node_loss`).
//!
//! Without redis-server installed the test is skipped with a message, except under CI (`CI`
//! set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Duration;
use tickwave_bots::CertCheck;
use tickwave_bots::swarm::{self, SwarmConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_over_three_nodes_gets_back_into_matches_when_one_is_killed() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    let (n1, n2, mut n3) = two_nodes_and_a_victim(&redis).await;
    cluster_view_until(&n1, 15 * SEC, "3 live nodes", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 3)
    })
    .await;
    let pin = |c: &CertCheck| match c {
        CertCheck::Pin(p) => p.clone(),
        CertCheck::Insecure => unreachable!("test nodes are pinned"),
    };
    let pins = [pin(&n1.check), pin(&n2.check), pin(&n3.check)].join(",");
    let urls = [n1.url.clone(), n2.url.clone(), n3.url.clone()].join(",");
    let bots = 12;
    let cfg = SwarmConfig {
        bots,
        ramp: 50.0,
        duration: Duration::from_secs(14),
        mode: "duo".into(),
        ..SwarmConfig::new(urls, CertCheck::Pin(pins))
    };
    let run = tokio::task::spawn_blocking(move || swarm::run(cfg));
    // Kill n3 once every bot is in a match (well before the end of the run).
    cluster_view_until(&n1, 8 * SEC, "n3 runs lobbies", |v| {
        lobbies_of(v, "n3").iter().filter(|l| l["state"] != "lost").count() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    n3.kill9();
    let r = run.await.unwrap().expect("swarm");
    let table = r.table();
    let loss = &r.node_loss;
    eprintln!("{table}");
    assert!(loss.players_affected >= 4, "n3's players lost their node\n{table}");
    assert!(loss.stranded.is_empty(), "stranded bots {:?}\n{table}", loss.stranded);
    assert_eq!(loss.recovered, loss.losses, "every loss ended in a new match\n{table}");
    let max = loss.time_to_match_max_ms.expect("recovery times");
    assert!(max <= 6000.0, "every bot back in a match within 6 s: max {max} ms\n{table}");
    assert_eq!(r.bots.matched, bots, "{table}");
    // They came back through the server's lobby_lost path (resume with the dead node's token).
    assert!(r.errors.server_codes.get("lobby_lost").is_some_and(|&n| n > 0), "{table}");
}
