//! The bot swarm against a real server on port 0 over wss: a small swarm plays without a
//! single error, every bot is matched and every delta verified; the JSON report and chart
//! are sane; SLO gates set the exit code both ways; churning bots resume their seats;
//! chatting bots' lines reach the lobby and their own echoes are timed.

mod common;

use clap::Parser;
use common::*;
use std::time::Duration;
use tickwave_bots::swarm::{
    self, Behaviour, BehaviourMix, ChurnMode, Report, Slo, SwarmConfig, slo,
};

/// The tests of this file run one at a time: each is a server and a swarm, and measuring
/// latency while another swarm runs on the same cores would test the machine, not the code.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Run a swarm from a blocking thread (the server keeps running on the test's runtime).
async fn swarm(cfg: SwarmConfig) -> Report {
    tokio::task::spawn_blocking(move || swarm::run(cfg)).await.unwrap().expect("swarm runs")
}

fn config(s: &TestServer, bots: u32, secs: f64) -> SwarmConfig {
    SwarmConfig {
        bots,
        ramp: 100.0,
        duration: Duration::from_secs_f64(secs),
        warmup: Duration::from_secs(1),
        ..SwarmConfig::new(s.url.clone(), s.check.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_bots_play_without_errors_and_report() {
    let _serial = SERIAL.lock().await;
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let lenient =
        Slo { max_p99_ms: Some(1000.0), max_error_rate: Some(0.0), min_delivery: Some(0.9) };
    let r = swarm(SwarmConfig { slo: lenient, ..config(&s, 50, 4.0) }).await;
    let table = r.table();

    assert_eq!(r.errors.total, 0, "{table}");
    assert_eq!(r.bots.spawned, 50, "{table}");
    assert_eq!(r.bots.matched, 50, "every bot got a match\n{table}");
    assert_eq!(r.bots.connects_ok, 50, "{table}");
    // Deltas were applied and checked: plenty received, no state error of any kind.
    assert!(r.delivery.received > 50 * 30, "{table}");
    let ratio = r.delivery.ratio.expect("delivery measured");
    assert!(ratio >= 0.9, "delivery {ratio}\n{table}");
    for kind in ["decode", "base_mismatch", "tick_backwards", "delta_apply"] {
        assert_eq!(r.errors.by_kind[kind], 0, "{kind}\n{table}");
    }
    assert!(r.traffic.inputs_acked > 0 && r.latency.input_to_ack.count > 0, "{table}");
    assert!(r.latency.rtt_server.count > 0 && r.latency.rtt_bot.count > 0, "{table}");
    assert!(r.latency.connect.count == 50 && r.latency.find_to_match.count == 50, "{table}");
    assert_eq!(r.per_bot.len(), 50);
    assert!(r.per_bot.iter().all(|b| b.matches >= 1 && b.state_msgs > 0 && b.errors == 0));
    assert!(r.passed, "{:?}", r.slo);

    // The JSON report is complete and reads back.
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["settings"]["bots"], 50);
    assert!(json["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(json["server"].as_str().unwrap().starts_with("tickwave/"));
    assert!(json["bot_process"]["cpu_s"].as_f64().unwrap() > 0.0);
    assert!(json["series"].as_array().unwrap().len() >= 3);
    assert_eq!(json["per_bot"].as_array().unwrap().len(), 50);
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.bots.matched, 50);

    // SLO gates, both ways, on the measured report.
    assert_eq!(slo::exit_code(&r.slo), 0);
    let strict = Slo { max_p99_ms: Some(0.001), max_error_rate: None, min_delivery: Some(1.01) };
    let checks = slo::evaluate(&r, &strict);
    assert_eq!(checks.iter().filter(|c| !c.ok).count(), 2, "{checks:?}");
    assert_eq!(slo::exit_code(&checks), slo::EXIT_SLO_VIOLATED);
    s.server.shutdown().await;
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: swarm::SwarmArgs,
}

/// The command line end to end: flags, table, report and chart files, and the exit code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_writes_files_and_fails_a_violated_slo() {
    let _serial = SERIAL.lock().await;
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let dir = tempfile::tempdir().unwrap();
    let (report, chart) = (dir.path().join("r.json"), dir.path().join("c.svg"));
    let tickwave_bots::CertCheck::Pin(pin) = s.check.clone() else { panic!("pinned") };
    let run = |extra: &[&str]| {
        let mut argv = vec!["swarm", "--url", &s.url, "--pin", &pin, "--bots", "8", "--ramp", "0"];
        argv.extend(["--duration", "2s", "--progress", "none"]);
        argv.extend(["--report", report.to_str().unwrap(), "--chart", chart.to_str().unwrap()]);
        argv.extend(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        tokio::task::spawn_blocking(move || swarm::run_cli(&cli.args))
    };
    let code = run(&["--max-p99-ms", "0.001", "--max-error-rate", "0"]).await.unwrap().unwrap();
    assert_eq!(code, slo::EXIT_SLO_VIOLATED);
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!((r.bots.matched, r.errors.total), (8, 0));
    assert!(!r.passed && r.slo.iter().any(|c| c.name == "p99_ack_ms" && !c.ok));
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("</svg>"));

    let code = run(&["--max-p99-ms", "5000", "--min-delivery", "0.5"]).await.unwrap().unwrap();
    assert_eq!(code, 0);
    s.server.shutdown().await;
}

/// Churning bots drop their connection and come back with `hello.resume`: same seat, state
/// caught up, and still not a single error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churning_bots_resume_their_seats() {
    let _serial = SERIAL.lock().await;
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let r = swarm(SwarmConfig {
        behaviour: BehaviourMix::single(Behaviour::Churn),
        churn_every: Duration::from_millis(700),
        churn_mode: ChurnMode::Resume,
        ..config(&s, 12, 3.5)
    })
    .await;
    let table = r.table();
    assert_eq!(r.errors.total, 0, "{table}");
    assert!(r.errors.churns > 0, "{table}");
    assert!(r.bots.resumes > 0, "{table}");
    assert!(r.bots.resume_deltas + r.bots.resume_snapshots > 0, "{table}");
    assert_eq!(r.bots.matches, 12, "a resumed seat is the same match\n{table}");
    s.server.shutdown().await;
}

/// Chatting bots (half of the swarm, at the default rate, within the server's limit) send
/// lines that every member of their lobby receives, the sender included: no line refused,
/// no error, and the time to each bot's own echo measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatting_bots_are_heard_and_echoed() {
    let _serial = SERIAL.lock().await;
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 2)]).await;
    let mix: BehaviourMix = "random-walk:50,chat:50".parse().unwrap();
    let r = swarm(SwarmConfig { behaviour: mix, ..config(&s, 20, 4.5) }).await;
    let table = r.table();
    assert_eq!(r.settings.chat_rate, swarm::DEFAULT_CHAT_RATE);
    assert!(r.settings.chat_rate <= swarm::SERVER_CHAT_RATE);
    assert_eq!(r.errors.total, 0, "{table}");
    assert_eq!(r.bots.matched, 20, "{table}");
    assert_eq!((r.chat.refused, r.errors.by_kind["chat_refused"]), (0, 0), "{table}");
    assert!(r.chat.sent > 0, "{table}");
    assert!(r.chat.received >= r.chat.sent, "everyone hears every line\n{table}");
    assert!(r.chat.echo_latency.count > 0, "{table}");
    assert!(r.chat.echo_latency.p99_ms < 1000.0, "{table}");
    assert!(table.contains("chat "), "{table}");
    // Only chat bots speak; every bot hears.
    let (chatty, quiet): (Vec<_>, Vec<_>) = r.per_bot.iter().partition(|b| b.behaviour == "chat");
    assert!(!chatty.is_empty() && !quiet.is_empty());
    assert!(quiet.iter().all(|b| b.chat_sent == 0));
    assert_eq!(chatty.iter().map(|b| b.chat_sent).sum::<u64>(), r.chat.sent);
    assert_eq!(r.per_bot.iter().map(|b| b.chat_received).sum::<u64>(), r.chat.received);

    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let chat = &json["chat"];
    assert_eq!(chat["sent"], r.chat.sent);
    assert_eq!(chat["received"], r.chat.received);
    assert_eq!(chat["refused"], 0);
    assert!(chat["echo_latency"]["p50_ms"].as_f64().unwrap() > 0.0);
    assert!(chat["echo_latency"]["p99_ms"].as_f64().is_some());
    assert!(chat["echo_latency"]["max_ms"].as_f64().is_some());
    s.server.shutdown().await;
}
