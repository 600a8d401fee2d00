//! The swarm speaking protocol 2 against the real server binary over wss (port 0, pinned
//! certificate): connect4 bots queue, play whole games by commands and queue again; arena
//! bots drive the typed arena with inputs the server accepts and acks; and protocol 1 on the
//! v1 arena still plays as before. Each run is a few seconds; the tests take turns, so that
//! two swarms never share the machine's cores.

mod common;

use common::{BOTS, Server, quick_mode};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;
use tickwave_bots::swarm::{self, BehaviourMix, Protocol, Report, SwarmConfig};

static SERIAL: Mutex<()> = Mutex::new(());

const STATE_ERRORS: [&str; 4] = ["decode", "base_mismatch", "tick_backwards", "delta_apply"];

fn config(s: &Server, mode: &str, bots: u32, secs: f64) -> SwarmConfig {
    SwarmConfig {
        bots,
        ramp: 0.0,
        duration: Duration::from_secs_f64(secs),
        warmup: Duration::from_millis(500),
        mode: mode.into(),
        ..SwarmConfig::new(s.url.clone(), s.check())
    }
}

fn no_state_errors(r: &Report, table: &str) {
    for kind in STATE_ERRORS {
        assert_eq!(r.errors.by_kind[kind], 0, "{kind}\n{table}");
    }
    assert!(!r.errors.server_codes.contains_key("invalid_input"), "{table}");
}

/// Eight bots on connect4 (lobbies of two, 30 Hz so that a game takes seconds): every bot
/// plays, games end by a win or a draw, bots queue again after each, and every drop is one
/// the game accepts: its turn, a column with room.
#[test]
fn connect4_bots_play_whole_games_and_queue_again() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start(&quick_mode("connect4", "connect4", 2, 2));
    let r = swarm::run(config(&s, "connect4", 8, 7.0)).expect("the swarm runs");
    let table = r.table();
    eprintln!("{table}");
    assert_eq!(r.settings.protocol, Protocol::V2, "protocol 2 is the default");
    assert_eq!(r.errors.total, 0, "{table}\n{}", s.log_text());
    no_state_errors(&r, &table);
    assert_eq!(r.bots.matched, 8, "{table}");
    let g = &r.games;
    assert!(g.finished >= 2, "{table}");
    assert!(g.results >= g.finished && g.wins + g.draws >= g.finished, "{table}");
    assert!(r.bots.matches > 8, "bots queued again after their games\n{table}");
    // Every refusal is one a race can cause (the game decided in the same tick).
    let unexpected: Vec<_> = g.command_refusals.keys().filter(|c| *c != "game_over").collect();
    assert!(unexpected.is_empty(), "{unexpected:?}\n{table}");
    assert!(g.commands_sent > 20 && g.command_results + 8 >= g.commands_sent, "{table}");
    assert!(g.command_rtt.count > 0 && g.command_rtt.p50_ms > 0.0, "{table}");
    assert!(g.events["moved"] > 20, "{table}");
    assert!(
        g.events.get("won").copied().unwrap_or(0) + g.events.get("draw").copied().unwrap_or(0) > 0
    );
    // No inputs in a game played by commands; its state still arrives and is checked.
    assert_eq!(r.traffic.inputs_sent, 0, "{table}");
    assert!(r.delivery.received > 8 * 30, "{table}");
    assert!(table.contains("games ") && table.contains("commands ") && table.contains("events "));
    // The JSON report carries the same figures and reads back.
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["settings"]["protocol"], 2);
    assert_eq!(json["games"]["finished"], g.finished);
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.games, r.games);
}

/// The typed arena through the command line without `--protocol` (2 by default): inputs
/// with aim, fire and dash in the schema's types, every one accepted and acked.
#[test]
fn arena_v2_bots_send_inputs_the_server_accepts_and_acks() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start(&quick_mode("arena_v2", "arena_v2", 8, 1));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let mix = "random-walk:1,chase:1,circle:1,chat:2";
    let out = Command::new(BOTS)
        .args(["swarm", "--url", &s.url, "--pin", &s.pin, "--mode", "arena_v2"])
        .args(["--bots", "10", "--ramp", "0", "--duration", "4s", "--warmup", "500ms"])
        .args(["--behaviour", mix, "--progress", "none", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r.settings.protocol, Protocol::V2);
    assert!(stdout.contains("protocol 2"), "{stdout}");
    assert_eq!(r.errors.total, 0, "{stdout}\n{}", s.log_text());
    no_state_errors(&r, &stdout);
    assert_eq!(r.bots.matched, 10, "{stdout}");
    assert!(r.traffic.inputs_sent > 100 && r.traffic.inputs_acked > 100, "{stdout}");
    assert!(r.latency.input_to_ack.count > 100, "{stdout}");
    assert!(r.delivery.ratio.is_some_and(|d| d > 0.9), "{stdout}");
    // Every behaviour of the mix is there (seed 1), chat included.
    for b in ["random-walk", "chase", "circle", "chat"] {
        assert!(r.per_bot.iter().any(|p| p.behaviour == b), "{b}\n{stdout}");
    }
    assert!(r.chat.echo_latency.count > 0, "chat works on protocol 2 too\n{stdout}");
    assert_eq!(r.games.commands_sent, 0, "the arena has no commands");
}

/// `--protocol 1` plays the v1 arena as the swarm always did: v1 inputs, acks, no error.
#[test]
fn protocol_1_still_plays_the_v1_arena() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start(&quick_mode("arena", "arena_v1", 8, 1));
    let mix: BehaviourMix = "random-walk:3,chase:1".parse().unwrap();
    let r = swarm::run(SwarmConfig {
        protocol: Protocol::V1,
        behaviour: mix,
        ..config(&s, "arena", 8, 3.0)
    })
    .expect("the swarm runs");
    let table = r.table();
    assert_eq!(r.settings.protocol, Protocol::V1);
    assert!(table.contains("protocol 1"), "{table}");
    assert_eq!(r.errors.total, 0, "{table}");
    no_state_errors(&r, &table);
    assert_eq!(r.bots.matched, 8, "{table}");
    assert!(r.latency.input_to_ack.count > 50 && r.traffic.inputs_acked > 50, "{table}");
    assert_eq!((r.games.commands_sent, r.games.events.len()), (0, 0), "{table}");
}

/// The compat schema of a v1 game over protocol 2: the same movement, as `dx`, `dy` and
/// `action` fields of the schema.
#[test]
fn protocol_2_plays_a_v1_game_through_its_compat_schema() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start(&quick_mode("arena", "arena_v1", 8, 1));
    let r = swarm::run(config(&s, "arena", 6, 3.0)).expect("the swarm runs");
    let table = r.table();
    assert_eq!(r.errors.total, 0, "{table}");
    no_state_errors(&r, &table);
    assert!(r.latency.input_to_ack.count > 30, "{table}");
}
