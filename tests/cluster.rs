//! Cluster mode over real Redis: nodes on loopback ports sharing matchmaking through a
//! redis-server each test starts on its own free port (no persistence, temp dir).
//!
//! Without redis-server installed the tests are skipped with a message, except under CI
//! (`CI` set), where that is a failure.

mod common;

use common::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tickwave::cluster::ClusterConfig;
use tickwave_bots::Client;
use tickwave_protocol::ServerMessage;

const SECRET: &[u8] = b"a test cluster secret, 32 bytes!";

struct Redis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// Start redis-server on a free loopback port, or `None` (skip) when it is not installed.
    async fn start() -> Option<Redis> {
        if Command::new("redis-server").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed; CI must install it (apt-get install redis-server)"
            );
            eprintln!("SKIPPED: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let mut r = Redis { child: spawn_redis(port, dir.path()), port, _dir: dir };
        r.wait_up().await;
        Some(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn wait_up(&mut self) {
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_redis(port: u16, dir: &std::path::Path) -> Child {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir)
        .args(["--daemonize", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A cluster node on a pre-picked loopback port (its public URL must be known at start).
async fn node(redis: &Redis, id: &str) -> TestServer {
    let port = free_port();
    let url = redis.url();
    let id = id.to_owned();
    start_with(move |c| {
        c.listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.modes = vec![quick_mode("duo", 2, 2)];
        let public = format!("wss://127.0.0.1:{port}/ws");
        c.cluster = Some(ClusterConfig::new(&url, &id, &public, SECRET));
    })
    .await
}

/// After `find_match`: the seat, directly or through a redirect. Returns the client that
/// holds the seat and its `match_found`.
async fn seat(
    nodes: &[&TestServer],
    mut c: Client,
    name: &str,
) -> (Client, tickwave_protocol::MatchFound) {
    let next = c
        .recv_until(20 * SEC, "match_found or redirect", |m| match m {
            ServerMessage::MatchFound(_) | ServerMessage::Redirect { .. } => Some(m.clone()),
            _ => None,
        })
        .await
        .expect("match_found or redirect");
    match next {
        ServerMessage::MatchFound(f) => (c, f),
        ServerMessage::Redirect { url, reservation } => {
            drop(c);
            // Each test node has its own self-signed certificate: pin the one of the target.
            let s = nodes.iter().find(|n| n.url == url).expect("redirect to a known node");
            let (mut c2, _w) =
                Client::follow_redirect(&url, &s.check, name, &reservation).await.expect("redeem");
            let f = match_found(&mut c2).await;
            (c2, f)
        }
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_on_different_nodes_end_up_in_one_lobby_through_redirects() {
    let Some(redis) = Redis::start().await else { return };
    let n1 = node(&redis, "n1").await;
    let n2 = node(&redis, "n2").await;
    let n3 = node(&redis, "n3").await;
    let (mut a, _) = n1.client("a").await;
    let (mut b, _) = n2.client("b").await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((_a, fa), (_b, fb)) = {
        let all = [&n1, &n2, &n3];
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
