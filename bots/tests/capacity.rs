//! `tickwave-bots capacity` end to end, as a new user runs it: the real binaries (this
//! profile's build), default scheduling and placement, a tiny run (20 and 40 bots, 5 s
//! windows). It must start its own server (temporary data dir, a free port read from the
//! listening line), connect every bot, and record what the machine did in each window. It
//! asserts on nothing that depends on the machine's speed or its neighbours: contamination is
//! recorded either way, never asserted clean.
//!
//! A server that never comes up, or logs its listening line and then never answers, must be
//! reported as such, not measured as "0 of N connected".

mod common;

use common::{BOTS, server_bin};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn capacity(args: &[&str]) -> Output {
    Command::new(BOTS)
        .arg("capacity")
        .args(args)
        // A user's shell may carry server settings; the tool must not pass them on (this one
        // would make the server refuse to start without a token secret).
        .env("TICKWAVE_AUTH", "token")
        .output()
        .expect("running tickwave-bots capacity")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_tiny_run_starts_its_own_server_connects_every_bot_and_records_other_work() {
    let server = server_bin();
    let out = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let o = capacity(&[
        "--server-bin",
        server.to_str().unwrap(),
        "--steps",
        "20,40",
        "--ramp",
        "100",
        "--settle",
        "1s",
        "--measure",
        "5s",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    assert!(t0.elapsed() < Duration::from_secs(60), "a tiny run stays short\n{log}");

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("capacity.json")).unwrap())
            .unwrap();
    assert_eq!(json["priority"]["requested"], "normal", "no real-time by default\n{json:#}");
    assert_eq!(json["priority"]["used"], "normal", "{json:#}");
    assert_eq!(json["placement"]["pinned"], false, "no pinning by default\n{json:#}");
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{json:#}");
    for (s, n) in steps.iter().zip([20u64, 40]) {
        assert_eq!(s["bots"], n, "{s:#}");
        assert_eq!(s["connected"], n, "every bot connected\n{s:#}\n{log}");
        assert_eq!(s["matched"], n, "every bot was matched\n{s:#}");
        assert_eq!(s["errors"], 0, "{s:#}");
        let url = s["server_url"].as_str().unwrap();
        assert!(url.starts_with("wss://127.0.0.1:") && url.ends_with("/ws"), "{url}");
        assert_eq!(s["server_children_seen"], 0, "the server spawned nothing\n{s:#}");
        // Measured, whatever the neighbours did.
        assert!(["clean", "contaminated"].contains(&s["contamination"].as_str().unwrap()), "{s:#}");
        let u = &s["usage"];
        assert!(u["window_s"].as_f64().unwrap() >= 4.0, "{u:#}");
        for k in ["server_cores", "bots_cores"] {
            assert!(u[k].as_f64().unwrap() > 0.0, "{k} was measured\n{u:#}");
        }
        for k in ["foreign_cores", "steal_cores", "tool_cores", "busy_cores"] {
            assert!(u[k].as_f64().unwrap() >= 0.0, "{k}\n{u:#}");
        }
        let contaminated = u["foreign_cores"].as_f64().unwrap() > 0.10
            || u["steal_cores"].as_f64().unwrap() > 0.10;
        assert_eq!(s["contamination"] == "contaminated", contaminated, "{s:#}");
    }
    assert!(!json["verdict"]["text"].as_str().unwrap().is_empty(), "{json:#}");

    let md = std::fs::read_to_string(out.path().join("capacity.md")).unwrap();
    let header = md.lines().find(|l| l.starts_with("| bots")).expect("a table");
    for col in ["server CPU", "RSS idle", "bots CPU", "foreign CPU", "delivery", "SLO", "contam"] {
        assert!(header.contains(col), "column {col:?} in\n{md}");
    }
    assert_eq!(md.lines().filter(|l| l.starts_with("| 20 ") || l.starts_with("| 40 ")).count(), 2);
    assert!(String::from_utf8_lossy(&o.stdout).contains(header), "the table is printed");
}

/// `--game connect4`: the generated mode runs connect4 in lobbies of two, the swarm queues
/// for it with protocol 2 and plays games by commands, and the step's latency is the
/// commands' round trip (its bots send no inputs).
#[test]
fn a_capacity_step_can_target_connect4() {
    let server = server_bin();
    let out = tempfile::tempdir().unwrap();
    let o = capacity(&[
        "--server-bin",
        server.to_str().unwrap(),
        "--game",
        "connect4",
        "--steps",
        "8",
        "--ramp",
        "0",
        "--settle",
        "1s",
        "--measure",
        "3s",
        "--min-in-match",
        "0.5",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    let modes = std::fs::read_to_string(out.path().join("modes.toml")).unwrap();
    for line in ["name = \"connect4\"", "game = \"connect4\"", "max_players = 2", "min_players = 2"]
    {
        assert!(modes.contains(line), "{line}\n{modes}");
    }
    let swarm: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("step-8/swarm.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(swarm["settings"]["mode"], "connect4");
    assert_eq!(swarm["settings"]["protocol"], 2);
    assert_eq!(swarm["errors"]["total"], 0, "{log}");
    assert!(swarm["games"]["commands_sent"].as_u64().unwrap() > 0, "{log}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("capacity.json")).unwrap())
            .unwrap();
    let step = &json["steps"][0];
    assert_eq!(step["latency"], "command_to_result", "{step:#}");
    assert!(step["ack_p99_ms"].as_f64().unwrap() > 0.0, "{step:#}");
    assert_eq!(
        (&json["settings"]["game"], &json["settings"]["protocol"]),
        (&"connect4".into(), &2.into())
    );
}

/// A fake server: logs a listening line with a fingerprint, then never accepts a connection.
fn silent_server(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = dir.join("silent-server");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"INFO tickwave::net: listening on wss://127.0.0.1:{port}/ws \
             local_addr=127.0.0.1:{port} sha256={}\"\nexec sleep 60\n",
            "ab".repeat(32)
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn a_server_that_logs_its_address_but_never_answers_is_an_error_not_a_measurement() {
    let dir = tempfile::tempdir().unwrap();
    let fake = silent_server(dir.path());
    let t0 = Instant::now();
    let o = capacity(&[
        "--server-bin",
        fake.to_str().unwrap(),
        "--steps",
        "20",
        "--start-timeout",
        "3s",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    let log = text(&o);
    assert!(!o.status.success(), "{log}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did not answer"), "says what went wrong\n{log}");
    assert!(err.contains("server.log"), "points at the log\n{log}");
    assert!(!dir.path().join("out/capacity.json").exists(), "no results from a dead server");
    assert!(t0.elapsed() < Duration::from_secs(20), "{log}");
}

#[test]
fn a_server_that_exits_at_once_is_an_error_with_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("broken-server");
    std::fs::write(&script, "#!/bin/sh\necho 'error: bad flag --frobnicate' >&2\nexit 2\n")
        .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = capacity(&[
        "--server-bin",
        script.to_str().unwrap(),
        "--steps",
        "20",
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    let log = text(&o);
    assert!(!o.status.success(), "{log}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exited") && err.contains("before listening"), "{log}");
    assert!(err.contains("bad flag --frobnicate"), "the last lines of its log are shown\n{log}");
}

/// What `--priority realtime` sets must not reach anything the server starts: a process
/// made real-time this way forks a child, which runs at normal priority. Needs CAP_SYS_NICE
/// (root, outside a container that drops it); skipped with a message without it. The
/// processes only sleep, so real-time costs the machine nothing here.
#[test]
fn real_time_threads_do_not_pass_real_time_to_what_they_start() {
    use std::io::Write;
    use tickwave_bots::capacity::realtime;
    if !realtime::privileged() {
        eprintln!("skipped: no CAP_SYS_NICE, real-time scheduling cannot be set here");
        return;
    }
    let mut sh = std::process::Command::new("sh")
        .args(["-c", "read _; sleep 30 & wait"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = sh.id();
    if let Err(e) = realtime::apply(pid) {
        let _ = sh.kill();
        let _ = sh.wait();
        panic!("privileged, so real-time must be available: {e}");
    }
    let parent = realtime::inspect(pid);
    assert_eq!(parent.total, 1);
    assert_eq!((parent.realtime, parent.reset_on_fork), (1, 1), "{}", parent.describe());
    // Now it starts a child.
    writeln!(sh.stdin.as_mut().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let child = loop {
        if let Some(c) = tickwave_bots::sys::children(pid).first() {
            break *c;
        }
        assert!(Instant::now() < deadline, "the shell started no child");
        std::thread::sleep(Duration::from_millis(20));
    };
    let c = realtime::inspect(child);
    let _ = Command::new("kill").arg(child.to_string()).status();
    let _ = sh.kill();
    let _ = sh.wait();
    assert_eq!(c.total, 1, "{}", c.describe());
    assert_eq!(c.realtime, 0, "the child runs at normal priority: {}", c.describe());
}
