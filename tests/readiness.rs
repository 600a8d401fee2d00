//! `/healthz` is liveness, `/readyz` readiness (issue 17, item 5), over real TLS: ready
//! unless draining on a single node; a cluster node is unready before it registers and while
//! Redis is unreachable, ready again when Redis is back.
//!
//! The cluster test needs redis-server: skipped with a message without it, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::cluster::*;
use common::*;
use std::time::Duration;

async fn probe(s: &TestServer, path: &str) -> (u16, String) {
    https(s.server.local_addr(), &s.check, "GET", path, None, None).await
}

/// Poll `/readyz` until it answers `status`; returns the body.
async fn readyz_until(s: &TestServer, status: u16, t: Duration) -> String {
    let end = tokio::time::Instant::now() + t;
    loop {
        let (st, body) = probe(s, "/readyz").await;
        if st == status {
            return body;
        }
        assert!(tokio::time::Instant::now() < end, "readyz stayed {st} {body}, wanted {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_single_node_is_ready_until_it_drains_and_stays_live() {
    let s = start_with(|c| c.modes = vec![quick_mode("duo", 2, 2)]).await;
    let (st, body) = probe(&s, "/readyz").await;
    assert_eq!((st, body.as_str()), (200, r#"{"ready":true}"#));
    // A running match keeps the draining server up, so the probes can be asked.
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    match_found(&mut a).await;
    match_found(&mut b).await;
    s.server.drain();
    let body = readyz_until(&s, 503, 5 * SEC).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect(&body);
    assert_eq!(v, serde_json::json!({"ready": false, "reason": "draining"}));
    let (st, _) = probe(&s, "/healthz").await;
    assert_eq!(st, 200, "draining is not dead: liveness stays 200");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_node_is_unready_before_registering_and_while_redis_is_away() {
    let _serial = SERIAL.lock().await;
    let Some(mut redis) = Redis::start().await else { return };
    // Before registration: a node whose Redis is not there (yet) has never registered.
    let port = free_port();
    let lonely = start_with(move |c| {
        let url = format!("redis://127.0.0.1:{port}");
        c.cluster = Some(tickwave::ClusterConfig::new(&url, "lonely", "wss://x/ws", SECRET));
    })
    .await;
    let (st, body) = probe(&lonely, "/readyz").await;
    assert_eq!((st, body.as_str()), (503, r#"{"ready":false,"reason":"not_registered"}"#));
    lonely.server.shutdown().await;

    let n1 = node(&redis, "n1").await;
    readyz_until(&n1, 200, 10 * SEC).await;
    let t0 = std::time::Instant::now();
    redis.kill();
    let body = readyz_until(&n1, 503, 10 * SEC).await;
    eprintln!("readyz: 503 {} ms after redis was killed", t0.elapsed().as_millis());
    assert!(body.contains(r#""reason":"redis_unreachable""#), "{body}");
    let (st, _) = probe(&n1, "/healthz").await;
    assert_eq!(st, 200, "liveness does not depend on Redis");
    let t1 = std::time::Instant::now();
    redis.restart().await;
    readyz_until(&n1, 200, 10 * SEC).await;
    eprintln!("readyz: 200 {} ms after redis was back", t1.elapsed().as_millis());
}
