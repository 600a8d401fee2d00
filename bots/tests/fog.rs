//! Fog (issue 16) end to end against the real server binary over wss: the swarm's fog bots
//! play a lobby where each of them gets a view of its own (teammates always, opponents only
//! near), and every state message they receive applies to the view they hold; and
//! `tickwave-bots capacity --game fog` runs lobbies of 64. The tests take turns, so two
//! swarms never share the machine's cores.

mod common;

use common::{BOTS, Server, quick_mode, server_bin};
use serde_json::Value;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;
use tickwave_bots::swarm::{self, BehaviourMix, SwarmConfig};

static SERIAL: Mutex<()> = Mutex::new(());

/// 24 bots in one fog lobby for 6 s: the teams walk to the middle and fight. Each bot's
/// deltas are checked against its own view (a delta of someone else's view would not
/// apply: `base_mismatch` or `delta_apply`), inputs are accepted and acked.
#[test]
fn fog_bots_play_a_lobby_and_every_state_applies_to_their_own_view() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start(&quick_mode("fog", "fog", 24, 1));
    let mix: BehaviourMix = "random-walk:2,chase:2".parse().unwrap();
    let r = swarm::run(SwarmConfig {
        bots: 24,
        ramp: 0.0,
        duration: Duration::from_secs(6),
        warmup: Duration::from_millis(500),
        mode: "fog".into(),
        behaviour: mix,
        ..SwarmConfig::new(s.url.clone(), s.check())
    })
    .expect("the swarm runs");
    let table = r.table();
    eprintln!("{table}");
    assert_eq!(r.errors.total, 0, "{table}\n{}", s.log_text());
    for kind in ["decode", "base_mismatch", "tick_backwards", "delta_apply"] {
        assert_eq!(r.errors.by_kind[kind], 0, "{kind}\n{table}");
    }
    assert_eq!(r.bots.matched, 24, "{table}");
    assert!(r.traffic.inputs_sent > 500 && r.traffic.inputs_acked > 500, "{table}");
    assert!(r.delivery.ratio.is_some_and(|d| d > 0.9), "{table}");
    assert_eq!(r.games.commands_sent, 0, "fog has no commands");
    // Every state message was checked against the bot's own view and applied; entities
    // (shots, opponents coming near) entered and left the views.
    let v = &r.views;
    assert_eq!((v.failed, v.refused), (0, 0), "{table}");
    assert!(v.applied > 24 * 100, "{table}");
    assert!(v.entered > 0 && v.left > 0, "{table}");
}

/// `--game fog`: the generated mode runs fog in lobbies of 64 (its own size), one step of
/// 64 bots, protocol 2.
#[test]
fn a_capacity_step_can_target_fog_in_lobbies_of_64() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = server_bin();
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(BOTS)
        .arg("capacity")
        .args(["--server-bin", server.to_str().unwrap(), "--game", "fog", "--steps", "64"])
        .args(["--ramp", "0", "--settle", "1s", "--measure", "3s"])
        .args(["--out", out.path().to_str().unwrap()])
        .env("TICKWAVE_AUTH", "token")
        .output()
        .expect("running tickwave-bots capacity");
    let log = format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{log}");
    let modes = std::fs::read_to_string(out.path().join("modes.toml")).unwrap();
    for line in ["name = \"fog\"", "game = \"fog\"", "max_players = 64"] {
        assert!(modes.contains(line), "{line}\n{modes}");
    }
    let swarm: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("step-64/swarm.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(swarm["settings"]["mode"], "fog");
    assert_eq!(swarm["settings"]["protocol"], 2);
    assert_eq!(swarm["errors"]["total"], 0, "{log}");
    assert_eq!(swarm["bots"]["matched"], 64, "{log}");
    assert!(swarm["traffic"]["inputs_acked"].as_u64().unwrap() > 0, "{log}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("capacity.json")).unwrap())
            .unwrap();
    assert_eq!(json["settings"]["lobby_size"], 64, "{json:#}");
}
