//! The `tickwave` binary as a user runs it: starts with built-in defaults (self-signed
//! certificate created in its data directory), serves wss, and on SIGTERM closes every
//! session with 1001 and exits 0.

mod common;

use common::SEC;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tickwave_bots::{CertCheck, Client};
use tickwave_protocol::close;

#[tokio::test]
async fn binary_serves_wss_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickwave"))
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (url, pin) = common::listening_line(child.stdout.take().unwrap());
    assert!(dir.path().join("dev-cert.pem").exists(), "certificate kept in the data dir");

    let (mut c, _) = Client::join(&url, &CertCheck::Pin(pin), "sig").await.unwrap();
    let t0 = Instant::now();
    assert!(
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success()
    );
    let (code, _) = c.closed(5 * SEC).await.unwrap().expect("close frame");
    assert_eq!(code, close::GOING_AWAY);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(t0.elapsed() < Duration::from_secs(12), "exits within the shutdown timeout");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
}
