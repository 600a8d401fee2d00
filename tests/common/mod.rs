//! Shared helpers for the integration tests: a real server on port 0 with a fresh
//! self-signed certificate, and real TLS WebSocket clients.
#![allow(dead_code, unreachable_pub)]

pub mod binary;
pub mod cluster;
pub mod raw;

use std::time::Duration;
use tickwave::ModeConfig;
use tickwave::{Config, Server, TlsMode};
use tickwave_bots::{CertCheck, Client};
use tickwave_protocol::{ClientMessage, Input, ServerMessage};

pub struct TestServer {
    pub server: Server,
    pub url: String,
    pub check: CertCheck,
    pub _dir: tempfile::TempDir,
}

/// A config for tests: port 0, a certificate in a temp dir, and the modes given.
pub fn config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: TlsMode::SelfSigned { data_dir: dir.to_path_buf() },
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        admin_token: Some(OPERATOR.into()),
        viewer_token: Some(VIEWER.into()),
        ..Config::default()
    }
}

/// A quick mode of the v1 arena (which these tests' protocol-1 clients can play): starts as
/// soon as `min` players are in, countdown 0.
pub fn quick_mode(name: &str, max: u32, min: u32) -> ModeConfig {
    ModeConfig {
        name: name.into(),
        game: "arena_v1".into(),
        max_players: max,
        min_players: min,
        countdown_ms: 0,
        fill_timeout_ms: 0,
        ..ModeConfig::default()
    }
}

pub async fn start_with(f: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    f(&mut cfg);
    let server = Server::start(cfg).await.expect("server starts");
    let url = format!("wss://{}/ws", server.local_addr());
    // Pin the real certificate: the tests check TLS for real, not with verification off.
    let check = CertCheck::Pin(server.cert_fingerprint().unwrap().to_owned());
    TestServer { server, url, check, _dir: dir }
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

impl TestServer {
    pub async fn client(&self, name: &str) -> (Client, tickwave_protocol::Welcome) {
        Client::join(&self.url, &self.check, name).await.expect("hello/welcome")
    }

    pub async fn connect(&self) -> Client {
        Client::connect(&self.url, &self.check).await.expect("connect")
    }

    /// Wait until `f` holds, polling; panics with `what` after `t`.
    pub async fn eventually(&self, t: Duration, what: &str, f: impl Fn(&Server) -> bool) {
        let end = tokio::time::Instant::now() + t;
        while !f(&self.server) {
            assert!(tokio::time::Instant::now() < end, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub const SEC: Duration = Duration::from_secs(1);
pub const OPERATOR: &str = "test-operator-token";
pub const VIEWER: &str = "test-viewer-token";

pub fn input(seq: u64, dx: f32, dy: f32) -> ClientMessage {
    ClientMessage::Input(Input { seq, dx, dy, action: false })
}

pub fn find(mode: &str) -> ClientMessage {
    ClientMessage::FindMatch { mode: mode.into(), skill: None, region: None }
}

/// Receive until the next error message; its code.
pub async fn next_error(c: &mut Client) -> tickwave_protocol::ErrorCode {
    c.recv_until(5 * SEC, "an error", |m| match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    })
    .await
    .expect("an error message")
}

/// Receive until `match_found`; returns (lobby, player).
pub async fn match_found(c: &mut Client) -> tickwave_protocol::MatchFound {
    c.recv_until(10 * SEC, "match_found", |m| match m {
        ServerMessage::MatchFound(f) => Some(f.clone()),
        _ => None,
    })
    .await
    .expect("match_found")
}

/// A minimal HTTPS/1.1 request over a pinned TLS connection (`Connection: close`); returns
/// the status code and the body. Enough for the admin API, without another HTTP client.
pub async fn https(
    addr: std::net::SocketAddr,
    check: &CertCheck,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = format!("wss://{addr}/");
    let mut s = tickwave_bots::connect_stream(&url, check).await.expect("TLS connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(10 * SEC, s.read_to_end(&mut out)).await.expect("response in time").ok();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// One HTTPS/1.1 response, bytes and headers kept (for static files).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// `GET path` over a pinned TLS connection with extra request headers (`Connection: close`).
pub async fn https_get(
    addr: std::net::SocketAddr,
    check: &CertCheck,
    path: &str,
    extra: &[(&str, &str)],
) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = format!("wss://{addr}/");
    let mut s = tickwave_bots::connect_stream(&url, check).await.expect("TLS connect");
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in extra {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(10 * SEC, s.read_to_end(&mut out)).await.expect("response in time").ok();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("end of the head");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok());
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply { status: status.expect("status line"), headers, body: out[split + 4..].to_vec() }
}

impl TestServer {
    /// Call the admin API with a token; returns status and parsed JSON (Null if not JSON).
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let addr = self.server.admin_addr().expect("admin listener");
        let (status, body) = https(addr, &self.check, method, path, token, body).await;
        (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
    }
}

impl TestServer {
    /// The value of an unlabelled metric in the `/metrics` text (0 when absent). The recorder
    /// is process-wide: it counts for every server of the test binary.
    pub async fn metric(&self, name: &str) -> f64 {
        let addr = self.server.admin_addr().expect("admin listener");
        let (status, body) =
            https(addr, &self.check, "GET", "/metrics", Some(OPERATOR), None).await;
        assert_eq!(status, 200);
        body.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    }
}

/// Read a spawned `tickwave` process's log until its listening line and return the wss URL
/// and certificate fingerprint in it; the rest of the log is drained on a thread so the
/// process never blocks on a full pipe.
pub fn listening_line(stdout: std::process::ChildStdout) -> (String, String) {
    use std::io::{BufRead, BufReader};
    let mut lines = BufReader::new(stdout).lines();
    let (mut url, mut pin) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(i) = line.find("wss://") {
            url = Some(line[i..].split_whitespace().next().unwrap().to_owned());
            pin = line
                .split("sha256=")
                .nth(1)
                .map(|s| s.split_whitespace().next().unwrap().to_owned());
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (url.expect("a listening line"), pin.expect("the certificate fingerprint is logged"))
}
