//! The bot swarm against a cluster: pointed at one node, the bots follow `redirect`s to the
//! nodes that hold their matches (hello with the reservation), play there without a single
//! error, and churning bots resume on the node of their seat, not the one they started on.
//!
//! Without redis-server installed the test is skipped with a message, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Duration;
use tickwave_bots::CertCheck;
use tickwave_bots::swarm::{self, BehaviourMix, ChurnMode, SwarmConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_pointed_at_one_node_follows_redirects_and_plays_on_the_others() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start().await else { return };
    // The entry node has no room for lobbies, so the leader places every match elsewhere and
    // every bot is redirected.
    let n1 = node_with(&redis, "n1", |c| {
        if let Some(cl) = c.cluster.as_mut() {
            cl.capacity = 4;
        }
    })
    .await;
    let n2 = node(&redis, "n2").await;
    let n3 = node(&redis, "n3").await;
    cluster_view_until(&n1, 10 * SEC, "3 live nodes", |v| {
        v["nodes"].as_array().is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == 3)
    })
    .await;
    let pins: Vec<String> = [&n1, &n2, &n3]
        .iter()
        .map(|n| match &n.check {
            CertCheck::Pin(p) => p.clone(),
            CertCheck::Insecure => unreachable!("test nodes are pinned"),
        })
        .collect();
    let bots = 16;
    let cfg = SwarmConfig {
        bots,
        ramp: 100.0,
        duration: Duration::from_secs(6),
        warmup: Duration::from_secs(1),
        mode: "duo".into(),
        behaviour: "random-walk:50,churn:50".parse::<BehaviourMix>().unwrap(),
        churn_every: Duration::from_millis(1500),
        churn_mode: ChurnMode::Resume,
        ..SwarmConfig::new(n1.url.clone(), CertCheck::Pin(pins.join(",")))
    };
    let r = tokio::task::spawn_blocking(move || swarm::run(cfg)).await.unwrap().expect("swarm");
    let table = r.table();
    assert_eq!(r.errors.total, 0, "{table}");
    assert_eq!(r.bots.matched, bots, "{table}");
    assert_eq!(r.bots.matches, u64::from(bots), "one match each (resumes keep it)\n{table}");
    assert_eq!(r.bots.redirects, u64::from(bots), "every bot was redirected once\n{table}");
    assert!(r.bots.resumes > 0, "churning bots resumed on their match's node\n{table}");
    assert!(r.delivery.received > u64::from(bots) * 30, "{table}");
    // (A redirect is only sent for a lobby on another node: every match ran on n2 or n3.)
}
