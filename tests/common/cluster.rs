//! Cluster test helpers: a real redis-server per test on its own free loopback port (no
//! persistence, temp dir, killed on drop), nodes in this process or as real `tickwave`
//! processes (to kill -9), and following a `redirect` like a client does.

use super::*;
use std::process::{Child, Command, Stdio};
use tickwave::ClusterConfig;

pub const SECRET: &[u8] = b"a test cluster secret, 32 bytes!";

/// The tests of a cluster file run one at a time: each starts a redis-server and several
/// nodes, and two such clusters on two shared cores would test the machine, not the code.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Redis {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    /// Start redis-server on a free loopback port, or `None` (skip) when it is not installed.
    /// Under CI (`CI` set) a missing redis-server is a failure, never a skip.
    pub async fn start() -> Option<Redis> {
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
        let mut r = Redis { child: spawn_redis(port, dir.path()), port, dir };
        r.wait_up().await;
        Some(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kill the server (SIGKILL: nothing is saved, and persistence is off anyway).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_port_closed(self.port);
    }

    /// Start a fresh, empty redis-server on the same port.
    pub async fn restart(&mut self) {
        self.child = spawn_redis(self.port, self.dir.path());
        self.wait_up().await;
    }

    async fn wait_up(&mut self) {
        let end = std::time::Instant::now() + 10 * SEC;
        while std::time::Instant::now() < end {
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("redis-server on port {} exited: {st}", self.port);
            }
            if redis_ping(self.port) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not answer PING on port {}", self.port);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One PING over a raw socket: the server is up when it answers PONG, not merely when the
/// port accepts (it accepts before it loads).
fn redis_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

fn wait_port_closed(port: u16) {
    let end = std::time::Instant::now() + 5 * SEC;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(std::time::Instant::now() < end, "port {port} still accepts after kill");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_redis(port: u16, dir: &std::path::Path) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A cluster node in this process on a pre-picked loopback port (its public URL must be
/// known at start). `f` adjusts the config further.
pub async fn node_with(
    redis: &Redis,
    id: &str,
    f: impl FnOnce(&mut tickwave::Config) + Send + 'static,
) -> TestServer {
    let port = free_port();
    let url = redis.url();
    let id = id.to_owned();
    start_with(move |c| {
        c.listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.modes = vec![quick_mode("duo", 2, 2)];
        let public = format!("wss://127.0.0.1:{port}/ws");
        c.cluster = Some(ClusterConfig::new(&url, &id, &public, SECRET));
        f(c);
    })
    .await
}

pub async fn node(redis: &Redis, id: &str) -> TestServer {
    node_with(redis, id, |_| {}).await
}

/// Three nodes where `n1` holds the matchmaker lease and the third, a real process with the
/// most free capacity, is where the leader places new lobbies: the setup of the node-loss
/// tests (they measure the loss of a node, not a lease failover, which has its own test).
pub async fn two_nodes_and_a_victim(redis: &Redis) -> (TestServer, TestServer, NodeProc) {
    let n1 = node(redis, "n1").await;
    until(10 * SEC, "n1 takes the lease", || n1.server.is_cluster_leader()).await;
    let n2 = node(redis, "n2").await;
    let n3 = NodeProc::start(redis, "n3", 5000);
    (n1, n2, n3)
}

/// A node as a real `tickwave` process, so a test can kill -9 it.
pub struct NodeProc {
    pub child: Child,
    pub url: String,
    pub check: CertCheck,
    _dir: tempfile::TempDir,
}

impl NodeProc {
    /// Start `tickwave --cluster ...` with the `duo` mode of [`quick_mode`] and `capacity`.
    pub fn start(redis: &Redis, id: &str, capacity: u32) -> NodeProc {
        let dir = tempfile::tempdir().unwrap();
        let modes = dir.path().join("modes.toml");
        std::fs::write(
            &modes,
            "[[mode]]\nname = \"duo\"\ngame = \"arena_v1\"\nmax_players = 2\nmin_players = 2\ncountdown_ms = 0\n\
             fill_timeout_ms = 0\n",
        )
        .unwrap();
        let port = free_port();
        let public = format!("wss://127.0.0.1:{port}/ws");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickwave"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.path())
            .arg("--modes")
            .arg(&modes)
            .args(["--cluster", &redis.url(), "--node-id", id, "--public-url", &public])
            .args(["--capacity", &capacity.to_string()])
            .env("TICKWAVE_CLUSTER_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the tickwave binary starts");
        let (_, pin) = listening_line(child.stdout.take().unwrap());
        NodeProc { child, url: public, check: CertCheck::Pin(pin), _dir: dir }
    }

    pub async fn client(&self, name: &str) -> (Client, tickwave_protocol::Welcome) {
        Client::join(&self.url, &self.check, name).await.expect("hello/welcome")
    }

    /// SIGKILL: no drain, no lease release, sockets reset by the kernel.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a client may be redirected: every node's URL and certificate pin.
pub type Targets = Vec<(String, CertCheck)>;

pub fn targets(nodes: &[&TestServer]) -> Targets {
    nodes.iter().map(|n| (n.url.clone(), n.check.clone())).collect()
}

/// After `find_match`: the seat, directly or through a redirect. Returns the client that
/// holds the seat and its `match_found`.
pub async fn seat(
    targets: &Targets,
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
            let (_, check) = targets.iter().find(|(u, _)| *u == url).expect("a known node");
            let (mut c2, _w) =
                Client::follow_redirect(&url, check, name, &reservation).await.expect("redeem");
            let f = match_found(&mut c2).await;
            (c2, f)
        }
        _ => unreachable!(),
    }
}

/// `GET /admin/cluster` on `n` until `f` holds (polled every 100 ms), or panic after `t`.
pub async fn cluster_view_until(
    n: &TestServer,
    t: Duration,
    what: &str,
    f: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let end = tokio::time::Instant::now() + t;
    loop {
        let (status, v) = n.admin("GET", "/admin/cluster", Some(VIEWER), None).await;
        if status == 200 && f(&v) {
            return v;
        }
        assert!(tokio::time::Instant::now() < end, "timed out waiting for {what}: {status} {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The directory entries of `node` in an admin cluster view.
pub fn lobbies_of<'a>(v: &'a serde_json::Value, node: &str) -> Vec<&'a serde_json::Value> {
    v["lobbies"][node].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// Poll `f` every 20 ms until it holds; panic with `what` after `t`.
pub async fn until(t: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let end = tokio::time::Instant::now() + t;
    while !f() {
        assert!(tokio::time::Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
