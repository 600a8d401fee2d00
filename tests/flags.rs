//! Issue 13 item 7: every numeric flag, variable and modes.toml value has a documented range;
//! the real binary refuses to start outside it (exit status 2, stderr naming the flag and the
//! range) and starts at both ends of every range. `Server::start` refuses a `Config` built in
//! code with an out-of-range value the same way.

mod common;

use common::binary::{Proc, read_until, tickwave};
use std::process::Stdio;
use std::time::Duration;

/// flag, a value below its range (if it has one), a value above, how the range is written.
const RANGES: &[(&str, Option<&str>, &str, &str)] = &[
    ("--heartbeat-ms", Some("9"), "60001", "10..=60000"),
    ("--timeout-ms", Some("19"), "600001", "20..=600000"),
    ("--handshake-timeout-ms", Some("99"), "120001", "100..=120000"),
    ("--shutdown-timeout-ms", Some("99"), "600001", "100..=600000"),
    ("--drain-timeout-ms", None, "86400001", "0..=86400000"),
    ("--max-message-bytes", Some("1023"), "16777217", "1024..=16777216"),
    ("--outbound-queue", Some("3"), "65537", "4..=65536"),
    ("--max-connections", Some("0"), "1000001", "1..=1000000"),
    ("--tcp-send-buffer", Some("4095"), "67108865", "0 or 4096..=67108864"),
    ("--chat-max-chars", Some("0"), "4097", "1..=4096"),
    ("--chat-per-sec", Some("0.001"), "1001", "0.01..=1000"),
    ("--per-ip-connections", Some("0"), "1000001", "1..=1000000"),
    ("--per-ip-rate", Some("0.05"), "100001", "0.1..=100000"),
    ("--input-rate", Some("0.5"), "241", "1..=240"),
    ("--capacity", Some("0"), "1000001", "1..=1000000"),
];

/// A case: its name, its arguments, its environment.
type Case = (String, Vec<String>, Vec<(String, String)>);

/// Run every case at once (each refusal is immediate; a server that wrongly starts is found
/// by the deadline); returns each case's exit status and stderr.
fn run_all(cases: Vec<Case>) -> Vec<(String, Option<i32>, String)> {
    let dirs: Vec<_> = cases.iter().map(|_| tempfile::tempdir().unwrap()).collect();
    let mut procs: Vec<_> = cases
        .iter()
        .zip(&dirs)
        .map(|((_, args, env), dir)| {
            let mut cmd = tickwave(dir.path());
            cmd.args(args).envs(env.iter().cloned());
            Proc::spawn(cmd.env("NO_COLOR", "1").stdout(Stdio::null()).stderr(Stdio::piped()))
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    cases
        .iter()
        .zip(procs.iter_mut())
        .map(|((name, _, _), p)| {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let status = p.wait_for(left);
            let mut err = String::new();
            if status.is_some() {
                std::io::Read::read_to_string(&mut p.0.stderr.take().unwrap(), &mut err).unwrap();
            }
            (name.clone(), status.map(|s| s.code().unwrap_or(-1)), err)
        })
        .collect()
}

fn case(args: &[&str]) -> Case {
    (args.join(" "), args.iter().map(|s| s.to_string()).collect(), Vec::new())
}

#[test]
fn out_of_range_flags_and_variables_refuse_to_start_naming_flag_and_range() {
    let mut cases = Vec::new();
    let mut expect = Vec::new();
    for &(flag, below, above, range) in RANGES {
        for v in below.into_iter().chain([above]) {
            cases.push(case(&[flag, v]));
            expect.push(vec![flag.to_owned(), range.to_owned()]);
        }
    }
    for (flag, bad) in [("--chat-per-sec", "NaN"), ("--per-ip-rate", "inf"), ("--input-rate", "-1")]
    {
        cases.push(case(&[&format!("{flag}={bad}")]));
        expect.push(vec![flag.to_owned()]);
    }
    // the same ranges through the environment
    let env = |var: &str, v: &str| {
        (format!("{var}={v}"), Vec::new(), vec![(var.to_owned(), v.to_owned())])
    };
    cases.push(env("TICKWAVE_HEARTBEAT_MS", "0"));
    expect.push(vec!["--heartbeat-ms".into(), "10..=60000".into()]);
    cases.push(env("TICKWAVE_MAX_MESSAGE_BYTES", "0"));
    expect.push(vec!["--max-message-bytes".into(), "1024..=16777216".into()]);
    cases.push(env("TICKWAVE_TIMEOUT_MS", "0"));
    expect.push(vec!["--timeout-ms".into(), "20..=600000".into()]);
    // values in range that contradict each other
    cases.push(case(&["--heartbeat-ms", "1000", "--timeout-ms", "1500"]));
    expect.push(vec!["--timeout-ms".into(), "--heartbeat-ms".into(), "2 ×".into()]);
    cases.push(case(&["--admin-listen", "nowhere"]));
    expect.push(vec!["--admin-listen".into()]);

    let results = run_all(cases);
    let mut failures = Vec::new();
    for ((name, code, err), want) in results.iter().zip(&expect) {
        if *code != Some(2) {
            failures.push(format!("{name}: exit {code:?} (want 2) {err}"));
        } else if let Some(w) = want.iter().find(|w| !err.contains(w.as_str())) {
            failures.push(format!("{name}: stderr lacks {w:?}: {err}"));
        }
    }
    assert!(failures.is_empty(), "{} cases wrong:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn out_of_range_modes_file_values_refuse_to_start_naming_the_key_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let mode = |k: usize, body: &str| {
        let path = dir.path().join(format!("m{k}.toml"));
        std::fs::write(&path, format!("[[mode]]\nname = \"m\"\n{body}\n")).unwrap();
        path.display().to_string()
    };
    let table: Vec<(&str, &str)> = vec![
        ("tick_hz = 0", "1..=240"),
        ("tick_hz = 241", "1..=240"),
        ("send_hz = 0", "1..=30"),
        ("send_hz = 31", "1..=30"),
        ("max_players = 0", "1..=1024"),
        ("countdown_ms = 600001", "0..=600000"),
        ("fill_timeout_ms = 3600001", "0..=3600000"),
        ("match_length_ms = 99", "100..=86400000"),
        ("seat_grace_ms = 3600001", "0..=3600000"),
        ("max_catch_up_ticks = 241", "0..=240"),
        ("default_skill = -1.0", "0..=1000000"),
        ("skill_window = -1.0", "0..=1000000"),
        ("skill_window_growth = -1.0", "0..=1000000"),
        ("skill_window = 500.0\nskill_window_max = 400.0", "skill_window_max"),
    ];
    let cases: Vec<_> = table
        .iter()
        .enumerate()
        .map(|(k, (body, _))| {
            let path = mode(k, body);
            (body.to_string(), vec!["--modes".to_owned(), path], Vec::new())
        })
        .collect();
    let results = run_all(cases);
    let mut failures = Vec::new();
    for ((name, code, err), (body, range)) in results.iter().zip(&table) {
        let key = body.split(' ').next().unwrap();
        if *code != Some(2) {
            failures.push(format!("{name}: exit {code:?} (want 2) {err}"));
        } else if !(err.contains(key) && err.contains(range) && err.contains("mode \"m\"")) {
            failures.push(format!("{name}: stderr lacks {key:?} or {range:?}: {err}"));
        }
    }
    assert!(failures.is_empty(), "{} cases wrong:\n{}", failures.len(), failures.join("\n"));
}

/// A mode's `[mode.settings]` are the game's own typed settings: an unknown key, a wrong type
/// or a value outside the game's range refuses to start, naming the mode and the key.
#[test]
fn bad_game_settings_of_a_mode_refuse_to_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let table: Vec<(&str, &str)> = vec![
        ("pickup = 3", "unknown key `pickup`"),
        ("pickups = 65", "pickups must be in 0..=64, got 65"),
        ("speed = 0", "speed must be in 1..=100, got 0"),
        ("speed = \"fast\"", "speed"),
    ];
    let cases: Vec<_> = table
        .iter()
        .enumerate()
        .map(|(k, (body, _))| {
            let path = dir.path().join(format!("s{k}.toml"));
            std::fs::write(&path, format!("[[mode]]\nname = \"m\"\n[mode.settings]\n{body}\n"))
                .unwrap();
            (body.to_string(), vec!["--modes".to_owned(), path.display().to_string()], Vec::new())
        })
        .collect();
    let mut failures = Vec::new();
    for ((name, code, err), (_, want)) in run_all(cases).iter().zip(&table) {
        if *code != Some(2) {
            failures.push(format!("{name}: exit {code:?} (want 2) {err}"));
        } else if !(err.contains(want) && err.contains("mode \"m\"")) {
            failures.push(format!("{name}: stderr lacks {want:?}: {err}"));
        }
    }
    assert!(failures.is_empty(), "{} cases wrong:\n{}", failures.len(), failures.join("\n"));
}

/// Both ends of every range start a server that reaches its listening line.
#[test]
fn every_flag_at_both_ends_of_its_range_starts() {
    let low: Vec<&str> = vec![
        "--heartbeat-ms",
        "10",
        "--timeout-ms",
        "20",
        "--handshake-timeout-ms",
        "100",
        "--shutdown-timeout-ms",
        "100",
        "--drain-timeout-ms",
        "0",
        "--max-message-bytes",
        "1024",
        "--outbound-queue",
        "4",
        "--max-connections",
        "1",
        "--tcp-send-buffer",
        "0",
        "--chat-max-chars",
        "1",
        "--chat-per-sec",
        "0.01",
        "--per-ip-connections",
        "1",
        "--per-ip-rate",
        "0.1",
        "--input-rate",
        "1",
        "--capacity",
        "1",
    ];
    let high: Vec<&str> = vec![
        "--heartbeat-ms",
        "60000",
        "--timeout-ms",
        "600000",
        "--handshake-timeout-ms",
        "120000",
        "--shutdown-timeout-ms",
        "600000",
        "--drain-timeout-ms",
        "86400000",
        "--max-message-bytes",
        "16777216",
        "--outbound-queue",
        "65536",
        "--max-connections",
        "1000000",
        "--tcp-send-buffer",
        "67108864",
        "--chat-max-chars",
        "4096",
        "--chat-per-sec",
        "1000",
        "--per-ip-connections",
        "1000000",
        "--per-ip-rate",
        "100000",
        "--input-rate",
        "240",
        "--capacity",
        "1000000",
    ];
    let smallest_buffer: Vec<&str> = vec!["--tcp-send-buffer", "4096"];
    for args in [low, high, smallest_buffer] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = tickwave(dir.path());
        cmd.args(&args).env("NO_COLOR", "1").stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut p = Proc::spawn(&mut cmd);
        let out = p.0.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            read_until(out, |l| l.contains("listening on wss://"));
        });
        let end = std::time::Instant::now() + Duration::from_secs(20);
        while !reader.is_finished() {
            assert!(p.0.try_wait().unwrap().is_none(), "{args:?}: exited instead of starting");
            assert!(std::time::Instant::now() < end, "{args:?}: no listening line");
            std::thread::sleep(Duration::from_millis(20));
        }
        reader.join().expect("a listening line");
    }
}

/// `Server::start` checks a `Config` built in code (a studio's main, a test) like the flags.
#[tokio::test]
async fn server_start_refuses_an_out_of_range_config_naming_the_knob() {
    type Edit = fn(&mut tickwave::Config);
    let cases: Vec<(Edit, &str)> = vec![
        (|c| c.heartbeat_interval = Duration::ZERO, "--heartbeat-ms"),
        (|c| c.heartbeat_timeout = Duration::ZERO, "--timeout-ms"),
        (|c| c.ws.max_message_bytes = 0, "--max-message-bytes"),
        (|c| c.outbound_queue = 0, "--outbound-queue"),
        (|c| c.mailbox = 0, "Config::mailbox"),
        (|c| c.max_header_bytes = 100, "Config::max_header_bytes"),
        (|c| c.chat.per_sec = f64::NAN, "--chat-per-sec"),
        (|c| c.inputs.inputs_burst = 0, "Config::inputs.inputs_burst"),
        (|c| c.modes[0].tick_hz = 0, "tick_hz"),
        (|c| c.modes.clear(), "Config::modes"),
    ];
    for (edit, knob) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = common::config(dir.path());
        edit(&mut cfg);
        match tickwave::Server::start(cfg).await {
            Ok(_) => panic!("started with a bad {knob}"),
            Err(e) => assert!(e.to_string().contains(knob), "{knob}: {e}"),
        }
    }
}
