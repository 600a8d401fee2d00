//! Shared helpers for the integration tests: a real server on port 0 with a fresh
//! self-signed certificate, and real TLS WebSocket clients.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;
use tickwave::matchmaker::ModeConfig;
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

/// A quick mode: starts as soon as `min` players are in, countdown 0.
pub fn quick_mode(name: &str, max: u32, min: u32) -> ModeConfig {
    ModeConfig {
        name: name.into(),
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

/// Receive until `match_found`; returns (lobby, player).
pub async fn match_found(c: &mut Client) -> tickwave_protocol::MatchFound {
    c.recv_until(10 * SEC, "match_found", |m| match m {
        ServerMessage::MatchFound(f) => Some(f.clone()),
        _ => None,
    })
    .await
    .expect("match_found")
}
