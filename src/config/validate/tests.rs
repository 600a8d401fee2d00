//! Bounds of every knob: each end of each range is accepted, one step past it is refused,
//! by the flag parser (`Cli`) and by `Config::validate`.

use super::ranges as r;
use crate::Cli;
use crate::config::Config;
use crate::config::ModeConfig;
use clap::Parser;
use std::time::Duration;

/// Integer flags: name, range. Every one must refuse both neighbours of its range.
const INT_FLAGS: &[(&str, std::ops::RangeInclusive<u64>)] = &[
    ("--heartbeat-ms", r::HEARTBEAT_MS),
    ("--timeout-ms", r::TIMEOUT_MS),
    ("--handshake-timeout-ms", r::HANDSHAKE_TIMEOUT_MS),
    ("--shutdown-timeout-ms", r::SHUTDOWN_TIMEOUT_MS),
    ("--drain-timeout-ms", r::DRAIN_TIMEOUT_MS),
    ("--max-message-bytes", r::MAX_MESSAGE_BYTES),
    ("--outbound-queue", r::OUTBOUND_QUEUE),
    ("--max-connections", r::MAX_CONNECTIONS),
    ("--tcp-send-buffer", r::TCP_SEND_BUFFER),
    ("--chat-max-chars", r::CHAT_MAX_CHARS),
    ("--per-ip-connections", r::PER_IP_CONNECTIONS),
    ("--capacity", r::CAPACITY),
];

const FLOAT_FLAGS: &[(&str, std::ops::RangeInclusive<f64>)] = &[
    ("--chat-per-sec", r::CHAT_PER_SEC),
    ("--per-ip-rate", r::PER_IP_RATE),
    ("--input-rate", r::INPUT_RATE),
];

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("tickwave").chain(args.iter().copied()))
}

/// The timeout must be at least twice the heartbeat, so move the other one out of the way.
fn with_partner(flag: &str, v: String) -> Vec<String> {
    let mut args = vec![format!("{flag}={v}")];
    match flag {
        "--heartbeat-ms" => args.push("--timeout-ms=600000".into()),
        "--timeout-ms" => args.push("--heartbeat-ms=10".into()),
        _ => {}
    }
    args
}

#[test]
fn integer_flags_take_both_ends_and_refuse_one_past() {
    for (flag, range) in INT_FLAGS {
        for v in [*range.start(), *range.end()] {
            let args = with_partner(flag, v.to_string());
            let cli = parse(&args.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_else(|e| panic!("{flag}={v} refused: {e}"));
            cli.into_config().unwrap_or_else(|e| panic!("{flag}={v}: {e}"));
        }
        let below = range.start().checked_sub(1).filter(|_| *flag != "--tcp-send-buffer");
        for v in below.into_iter().chain([range.end() + 1]) {
            let e = parse(&[&format!("{flag}={v}")])
                .err()
                .unwrap_or_else(|| panic!("{flag}={v} taken"));
            let text = e.to_string();
            assert!(text.contains(flag), "{flag}={v}: {text}");
            assert!(text.contains(&format!("{}..={}", range.start(), range.end())), "{text}");
        }
    }
}

#[test]
fn tcp_send_buffer_zero_means_autotuning_and_small_values_are_refused() {
    assert_eq!(
        parse(&["--tcp-send-buffer=0"]).unwrap().into_config().unwrap().tcp_send_buffer,
        None
    );
    for v in ["1", "4095"] {
        let e = parse(&["--tcp-send-buffer", v]).unwrap_err().to_string();
        assert!(e.contains("0 or 4096..=67108864"), "{e}");
    }
}

#[test]
fn float_flags_take_both_ends_and_refuse_outside_and_non_finite() {
    for (flag, range) in FLOAT_FLAGS {
        for v in [*range.start(), *range.end()] {
            let cli =
                parse(&[&format!("{flag}={v}")]).unwrap_or_else(|e| panic!("{flag}={v}: {e}"));
            cli.into_config().unwrap_or_else(|e| panic!("{flag}={v}: {e}"));
        }
        let outside = [range.start() * 0.99, range.end() * 1.01];
        for v in outside.iter().map(f64::to_string).chain(["NaN".into(), "inf".into(), "x".into()])
        {
            let e = parse(&[&format!("{flag}={v}")])
                .err()
                .unwrap_or_else(|| panic!("{flag}={v} taken"));
            let text = e.to_string();
            assert!(text.contains(flag), "{text}");
            assert!(text.contains(&format!("{}..={}", range.start(), range.end())), "{text}");
        }
    }
}

#[test]
fn timeout_shorter_than_two_heartbeats_is_refused_naming_both() {
    let e =
        parse(&["--heartbeat-ms=1000", "--timeout-ms=1999"]).unwrap().into_config().unwrap_err();
    let text = e.to_string();
    assert!(text.contains("--timeout-ms") && text.contains("--heartbeat-ms"), "{text}");
    parse(&["--heartbeat-ms=1000", "--timeout-ms=2000"]).unwrap().into_config().unwrap();
}

#[test]
fn empty_static_dir_means_nothing_and_the_default_is_embedded() {
    use crate::config::WebFiles;
    let off = parse(&["--static-dir", ""]).unwrap().into_config().unwrap().demo_files;
    assert!(matches!(off, WebFiles::Off), "{off:?}");
    let d = parse(&[]).unwrap().into_config().unwrap().demo_files;
    assert!(matches!(d, WebFiles::Embedded), "{d:?}");
}

#[test]
fn the_defaults_are_valid() {
    Config::default().validate().unwrap();
    parse(&[]).unwrap().into_config().unwrap().validate().unwrap();
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn cluster_ttl(ttl_ms: u64) -> crate::config::ClusterConfig {
    let mut cl =
        crate::config::ClusterConfig::new("redis://127.0.0.1:1", "n1", "wss://n1/ws", &[7; 16]);
    cl.reservation_ttl = ms(ttl_ms);
    cl
}

/// A `Config` edit, whether it is valid, and the knob an error must name.
type Case = (fn(&mut Config), bool, &'static str);

#[test]
fn config_validate_checks_every_knob_at_its_bounds() {
    let cases: Vec<Case> = vec![
        (|c| c.heartbeat_interval = ms(10), true, ""),
        (|c| c.heartbeat_interval = ms(9), false, "--heartbeat-ms"),
        (|c| c.heartbeat_interval = Duration::ZERO, false, "--heartbeat-ms"),
        (|c| (c.heartbeat_interval, c.heartbeat_timeout) = (ms(60_000), ms(600_000)), true, ""),
        (|c| c.heartbeat_interval = ms(60_001), false, "--heartbeat-ms"),
        (|c| (c.heartbeat_interval, c.heartbeat_timeout) = (ms(10), ms(20)), true, ""),
        (|c| c.heartbeat_timeout = ms(19), false, "--timeout-ms"),
        (|c| c.heartbeat_timeout = ms(600_001), false, "--timeout-ms"),
        (|c| c.heartbeat_timeout = ms(1999), false, "2 × --heartbeat-ms"),
        (|c| c.handshake_timeout = ms(100), true, ""),
        (|c| c.handshake_timeout = ms(99), false, "--handshake-timeout-ms"),
        (|c| c.handshake_timeout = ms(120_001), false, "--handshake-timeout-ms"),
        (|c| c.shutdown_timeout = ms(99), false, "--shutdown-timeout-ms"),
        (|c| c.shutdown_timeout = ms(600_001), false, "--shutdown-timeout-ms"),
        (|c| c.drain_timeout = Duration::ZERO, true, ""),
        (|c| c.drain_timeout = ms(86_400_001), false, "--drain-timeout-ms"),
        (|c| c.ws.max_message_bytes = 1024, true, ""),
        (|c| c.ws.max_message_bytes = 1023, false, "--max-message-bytes"),
        (|c| c.ws.max_message_bytes = 16 * 1024 * 1024 + 1, false, "--max-message-bytes"),
        (|c| c.ws.max_frame_bytes = 0, false, "Config::ws.max_frame_bytes"),
        (|c| c.ws.read_buffer_bytes = 0, false, "Config::ws.read_buffer_bytes"),
        (|c| c.ws.write_buffer_bytes = 300 * 1024, false, "Config::ws.max_write_buffer_bytes"),
        (|c| c.outbound_queue = 4, true, ""),
        (|c| c.outbound_queue = 3, false, "--outbound-queue"),
        (|c| c.outbound_queue = 65_537, false, "--outbound-queue"),
        (|c| c.tcp_send_buffer = None, true, ""),
        (|c| c.tcp_send_buffer = Some(4095), false, "--tcp-send-buffer"),
        (|c| c.tcp_send_buffer = Some(64 * 1024 * 1024 + 1), false, "--tcp-send-buffer"),
        (|c| c.max_header_bytes = 8191, false, "Config::max_header_bytes"),
        (|c| c.max_connections = 0, false, "--max-connections"),
        (|c| c.max_connections = 1, true, ""),
        (|c| c.mailbox = 0, false, "Config::mailbox"),
        (|c| c.mailbox = 1, true, ""),
        (|c| c.resume_grace = ms(3_600_001), false, "Config::resume_grace"),
        (|c| c.chat.max_chars = 0, false, "--chat-max-chars"),
        (|c| c.chat.max_chars = 4097, false, "--chat-max-chars"),
        (|c| c.chat.per_sec = 0.0, false, "--chat-per-sec"),
        (|c| c.chat.per_sec = f64::NAN, false, "--chat-per-sec"),
        (|c| c.chat.per_sec = 1000.0, true, ""),
        (|c| c.chat.burst = 0, false, "Config::chat.burst"),
        (|c| c.chat.abuse_window = Duration::ZERO, false, "Config::chat.abuse_window"),
        (|c| c.chat.backlog = 0, false, "Config::chat.backlog"),
        (|c| c.inputs.inputs_per_sec = 0.5, false, "--input-rate"),
        (|c| c.inputs.inputs_per_sec = 241.0, false, "--input-rate"),
        (|c| c.inputs.inputs_burst = 0, false, "Config::inputs.inputs_burst"),
        (|c| c.inputs.frames_per_sec = f64::INFINITY, false, "Config::inputs.frames_per_sec"),
        (|c| c.inputs.frames_burst = 0, false, "Config::inputs.frames_burst"),
        (|c| c.inputs.abuse_limit = 0, false, "Config::inputs.abuse_limit"),
        (|c| c.ip.max_per_ip = 0, false, "--per-ip-connections"),
        (|c| c.ip.rate_per_sec = 0.05, false, "--per-ip-rate"),
        (|c| c.ip.burst = 0, false, "Config::ip.burst"),
        (|c| c.cluster = Some(cluster_ttl(500)), true, ""),
        (|c| c.cluster = Some(cluster_ttl(499)), false, "Config::cluster.reservation_ttl"),
        (|c| c.cluster = Some(cluster_ttl(600_001)), false, "Config::cluster.reservation_ttl"),
        (|c| c.modes.clear(), false, "Config::modes"),
        (|c| c.modes[1].name = "arena".into(), false, "two modes are named \"arena\""),
        (|c| c.modes[0].tick_hz = 0, false, "mode \"arena\": tick_hz must be in 1..=240"),
    ];
    for (k, (edit, ok, knob)) in cases.into_iter().enumerate() {
        let mut c = Config::default();
        edit(&mut c);
        match c.validate() {
            Ok(()) => assert!(ok, "case {k}: {knob} accepted"),
            Err(e) => {
                assert!(!ok, "case {k}: refused: {e}");
                assert!(e.to_string().contains(knob), "case {k}: {e} does not name {knob}");
            }
        }
    }
}

#[test]
fn mode_values_at_their_bounds() {
    type Edit = fn(&mut ModeConfig);
    let cases: Vec<(Edit, Option<&str>)> = vec![
        (|m| m.max_players = 1024, None),
        (|m| m.max_players = 1025, Some("max_players must be in 1..=1024")),
        (|m| m.min_players = 0, Some("min_players must be in 1..=16")),
        (|m| m.min_players = 17, Some("min_players must be in 1..=16")),
        (|m| m.tick_hz = 240, None),
        (|m| m.tick_hz = 241, Some("tick_hz must be in 1..=240")),
        (|m| m.send_hz = Some(1), None),
        (|m| m.send_hz = Some(30), None),
        (|m| m.send_hz = Some(0), Some("mode \"arena\": send_hz must be in 1..=30")),
        (|m| m.send_hz = Some(31), Some("send_hz must be in 1..=30")),
        (|m| m.countdown_ms = 0, None),
        (|m| m.countdown_ms = 600_001, Some("countdown_ms must be in 0..=600000")),
        (|m| m.fill_timeout_ms = 3_600_001, Some("fill_timeout_ms must be in 0..=3600000")),
        (|m| m.match_length_ms = 100, None),
        (|m| m.match_length_ms = 99, Some("match_length_ms must be in 100..=86400000")),
        (|m| m.match_length_ms = 86_400_001, Some("match_length_ms")),
        (|m| m.seat_grace_ms = 0, None),
        (|m| m.seat_grace_ms = 3_600_001, Some("seat_grace_ms must be in 0..=3600000")),
        (|m| m.max_catch_up_ticks = 0, None),
        (|m| m.max_catch_up_ticks = 241, Some("max_catch_up_ticks must be in 0..=240")),
        (|m| m.default_skill = f64::NAN, Some("default_skill")),
        (|m| m.skill_window = -0.5, Some("skill_window must be in 0..=1000000")),
        (|m| m.skill_window_growth = 1e7, Some("skill_window_growth")),
        (|m| m.skill_window_max = 199.0, Some("skill_window_max must be in 200..=1000000")),
        (|m| m.name.clear(), Some("a mode needs a name")),
    ];
    for (k, (edit, want)) in cases.into_iter().enumerate() {
        let mut m = ModeConfig::default();
        edit(&mut m);
        match (m.validate(), want) {
            (Ok(()), None) => {}
            (Err(e), Some(w)) => assert!(e.to_string().contains(w), "case {k}: {e} lacks {w}"),
            (r, w) => panic!("case {k}: got {r:?}, wanted {w:?}"),
        }
    }
}
