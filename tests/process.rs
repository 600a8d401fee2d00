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

/// Issue 13 item 11: `tickwave | head -3` closes stdout (and, with `2>&1`, stderr) under the
/// running server. No write may panic, and SIGTERM must still drain and exit 0. Before the
/// fix the signal task's first log line failed, tracing reported that on the closed stderr
/// with `eprintln!`, the panic killed the task, and every later SIGTERM was swallowed.
#[tokio::test]
async fn closed_stdout_and_stderr_do_not_stop_the_drain_on_sigterm() {
    use common::binary::{Proc, read_until, tickwave};
    let dir = tempfile::tempdir().unwrap();
    let mut p = Proc::spawn(
        tickwave(dir.path()).env("NO_COLOR", "1").stdout(Stdio::piped()).stderr(Stdio::piped()),
    );
    drop(p.0.stderr.take()); // the reader of stderr is gone from the start
    let (lines, rest) = read_until(p.0.stdout.take().unwrap(), |l| l.contains("viewer token"));
    let (url, pin) = listening(&lines);
    drop(rest); // `head` has read its lines and exits: stdout is closed too
    // the server still serves, and logs (into the closed pipes) while it does
    let (mut c, _) = Client::join(&url, &CertCheck::Pin(pin), "after-close").await.unwrap();
    p.sigterm();
    let (code, _) = c.closed(5 * SEC).await.unwrap().expect("close frame after SIGTERM");
    assert_eq!(code, close::GOING_AWAY);
    let status = p.wait_for(Duration::from_secs(12)).expect("exits within the shutdown timeout");
    assert!(status.success(), "exit status {status:?}");
}

/// Item 11, the other order: stdout and stderr closed before the server writes anything
/// (the admin tokens are printed into a closed pipe). It still serves and drains on SIGTERM.
#[tokio::test]
async fn stdout_closed_from_the_start_still_serves_and_drains() {
    use common::binary::{Proc, tickwave, wait_for_port};
    let dir = tempfile::tempdir().unwrap();
    let port = common::cluster::free_port();
    let mut cmd = tickwave(dir.path());
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::piped());
    let mut p = Proc::spawn(cmd.stderr(Stdio::piped()));
    drop(p.0.stdout.take());
    drop(p.0.stderr.take());
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for_port(&mut p, addr, Duration::from_secs(10));
    let url = format!("wss://{addr}/ws");
    let (mut c, _) = Client::join(&url, &CertCheck::Insecure, "no-stdout").await.unwrap();
    p.sigterm();
    let (code, _) = c.closed(5 * SEC).await.unwrap().expect("close frame after SIGTERM");
    assert_eq!(code, close::GOING_AWAY);
    let status = p.wait_for(Duration::from_secs(12)).expect("exits within the shutdown timeout");
    assert!(status.success(), "exit status {status:?}");
}

/// The wss URL and certificate pin of the listening line (text format) among `lines`.
fn listening(lines: &[String]) -> (String, String) {
    let line = lines.iter().find(|l| l.contains("listening on wss://")).expect("listening line");
    let url = line.split("listening on ").nth(1).unwrap().split_whitespace().next().unwrap();
    let pin = line.split("sha256=").nth(1).expect("fingerprint").split_whitespace().next();
    (url.to_owned(), pin.unwrap().to_owned())
}

/// Item 10: a log written to a pipe (or file) has no ANSI colour codes, even without
/// NO_COLOR, and the listening line keeps the form tools parse.
#[test]
fn text_log_into_a_pipe_has_no_colour_codes() {
    use common::binary::{Proc, read_until, tickwave};
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tickwave(dir.path());
    cmd.env_remove("NO_COLOR").env_remove("TICKWAVE_LOG_FORMAT").stdout(Stdio::piped());
    let mut p = Proc::spawn(cmd.stderr(Stdio::inherit()));
    let (lines, _rest) = read_until(p.0.stdout.take().unwrap(), |l| l.contains("viewer token"));
    for l in &lines {
        assert!(!l.contains('\x1b'), "ANSI escape in a piped log line: {l:?}");
    }
    let line = lines.iter().find(|l| l.contains("listening on wss://")).unwrap();
    assert!(line.contains(" INFO tickwave::net: listening on wss://127.0.0.1:"), "{line}");
    assert!(line.contains(" sha256="), "{line}");
}

/// Item 10: `--log-format json` (and TICKWAVE_LOG_FORMAT=json) writes one JSON object per
/// log line; the listening event carries its address and fingerprint as fields.
#[test]
fn json_log_format_writes_one_object_per_line() {
    use common::binary::{Proc, read_until, tickwave};
    for via_env in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = tickwave(dir.path());
        cmd.env_remove("NO_COLOR").stdout(Stdio::piped()).stderr(Stdio::inherit());
        // tokens given: nothing but log events reaches stdout
        cmd.args(["--admin-token", "operator-token-123", "--viewer-token", "viewer-token-123"]);
        if via_env {
            cmd.env("TICKWAVE_LOG_FORMAT", "json");
        } else {
            cmd.args(["--log-format", "json"]);
        }
        let mut p = Proc::spawn(&mut cmd);
        let (lines, _rest) =
            read_until(p.0.stdout.take().unwrap(), |l| l.contains("admin listener on"));
        let events: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
            .collect();
        let listening = events
            .iter()
            .find(|e| e["message"].as_str().is_some_and(|m| m.starts_with("listening on wss://")))
            .expect("the listening event");
        assert_eq!(listening["target"], "tickwave::net");
        assert_eq!(listening["level"], "INFO");
        assert!(listening["timestamp"].is_string());
        let addr = listening["local_addr"].as_str().expect("local_addr field");
        assert_eq!(listening["message"], format!("listening on wss://{addr}/ws"));
        assert_eq!(listening["sha256"].as_str().expect("sha256 field").len(), 64);
    }
}

/// An unknown log format is refused at start, naming the flag and the values it takes.
#[test]
fn unknown_log_format_is_refused() {
    use common::binary::{Proc, tickwave};
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tickwave(dir.path());
    cmd.args(["--log-format", "xml"]).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut p = Proc::spawn(&mut cmd);
    let status = p.wait_for(Duration::from_secs(10)).expect("refuses at once");
    assert_eq!(status.code(), Some(2));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut p.0.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("--log-format") && err.contains("text") && err.contains("json"), "{err}");
}

/// Item 8: `--static-dir ""` and `TICKWAVE_STATIC_DIR=""` serve nothing at `/` (README and
/// `--help` say so); the parser used to refuse the empty value.
#[tokio::test]
async fn empty_static_dir_serves_nothing() {
    use common::binary::{Proc, drain, read_until, tickwave};
    for (flag, env) in [(true, None), (false, Some(""))] {
        let dir = tempfile::tempdir().unwrap();
        // a demo that would be served if the empty value were ignored
        std::fs::create_dir_all(dir.path().join("assets/play")).unwrap();
        std::fs::write(dir.path().join("assets/play/index.html"), "demo page").unwrap();
        let mut cmd = tickwave(dir.path());
        cmd.env("NO_COLOR", "1").stdout(Stdio::piped()).stderr(Stdio::piped());
        if flag {
            cmd.args(["--static-dir", ""]);
        }
        if let Some(v) = env {
            cmd.env("TICKWAVE_STATIC_DIR", v);
        }
        let mut p = Proc::spawn(&mut cmd);
        let out = p.0.stdout.take().unwrap();
        let started = std::thread::spawn(move || {
            let (lines, rest) = read_until(out, |l| l.contains("listening on wss://"));
            drain(rest);
            lines
        });
        let status = p.wait_for(Duration::from_millis(500));
        if let Some(st) = status {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut p.0.stderr.take().unwrap(), &mut err).unwrap();
            panic!("flag {flag} env {env:?}: refused to start ({st:?}): {err}");
        }
        let (url, pin) = listening(&started.join().unwrap());
        let addr = url.trim_start_matches("wss://").trim_end_matches("/ws").parse().unwrap();
        let (status, body) =
            common::https(addr, &CertCheck::Pin(pin), "GET", "/", None, None).await;
        assert_eq!(status, 404, "flag {flag} env {env:?}: {body}");
        assert!(!body.contains("demo page"), "nothing served: {body}");
    }
}

/// Item 9: every metric README.md or assets/admin/API.md names is on /metrics of a fresh
/// server, before any traffic, and every documented counter is at zero. The names come
/// from the documents, so a newly documented metric is checked without touching this test.
#[tokio::test]
async fn every_documented_metric_is_exported_from_start_at_zero() {
    use common::binary::{Proc, admin_addr, read_until, tickwave};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documented = std::collections::BTreeSet::new();
    for doc in ["README.md", "assets/admin/API.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        documented.extend(metric_names(&text));
    }
    assert!(documented.len() >= 20, "the docs list the metrics: {documented:?}");
    assert!(documented.contains("tickwave_lobby_panics_total"));

    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tickwave(dir.path());
    cmd.args(["--admin-token", "op-token-for-metrics", "--viewer-token", "viewer-for-metrics"]);
    let mut p = Proc::spawn(cmd.env("NO_COLOR", "1").stdout(Stdio::piped()));
    let (lines, _rest) = read_until(p.0.stdout.take().unwrap(), |l| admin_addr(l).is_some());
    let (_, pin) = listening(&lines);
    let admin = admin_addr(lines.last().unwrap()).unwrap();
    let check = CertCheck::Pin(pin);
    let (status, text) =
        common::https(admin, &check, "GET", "/metrics", Some("viewer-for-metrics"), None).await;
    assert_eq!(status, 200, "{text}");
    let mut kinds = std::collections::HashMap::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            kinds.insert(it.next().unwrap().to_owned(), it.next().unwrap().to_owned());
        }
    }
    let missing: Vec<_> = documented.iter().filter(|n| !kinds.contains_key(*n)).collect();
    assert!(missing.is_empty(), "documented but not on /metrics: {missing:?}\n{text}");
    for name in &documented {
        let series: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.strip_prefix(name.as_str()).is_some_and(|r| r.starts_with([' ', '{'])))
            .collect();
        assert!(!series.is_empty() || kinds[name] == "histogram", "{name} has no sample");
        if kinds[name] == "counter" {
            for s in series {
                assert!(s.ends_with(" 0"), "fresh server, counter not at zero: {s}");
            }
        }
    }
}

/// `tickwave_*` names in backticks (labels in braces dropped), outside fenced code blocks:
/// how the docs name metrics.
fn metric_names(doc: &str) -> Vec<String> {
    let mut fenced = false;
    let mut names = Vec::new();
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for span in line.split('`').skip(1).step_by(2) {
            let name = span.split('{').next().unwrap();
            let ok = name.starts_with("tickwave_")
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if ok {
                names.push(name.to_owned());
            }
        }
    }
    names
}
