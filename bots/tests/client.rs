//! `tickwave-bots client` against the real server binary: with `--protocol 2` (the default)
//! one player plays the typed arena (inputs acked) and two players play connect4 to its end;
//! `--protocol 1` keeps the v1 client.

mod common;

use common::{BOTS, Server, quick_mode};
use std::process::{Command, Output};

fn client(s: &Server, args: &[&str]) -> std::process::Child {
    Command::new(BOTS)
        .args(["client", "--url", &s.url, "--pin", &s.pin])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running tickwave-bots client")
}

fn done(c: std::process::Child) -> (Output, String) {
    let o = c.wait_with_output().unwrap();
    let text = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    (o, text)
}

/// The last ack from the summary line (`last ack Some(n) of m inputs`).
fn last_ack(text: &str) -> u64 {
    let rest = text.split("last ack Some(").nth(1).unwrap_or_else(|| panic!("no ack:\n{text}"));
    rest.split(')').next().unwrap().parse().unwrap()
}

#[test]
fn one_player_on_the_typed_arena_and_two_on_connect4() {
    let modes =
        quick_mode("arena_v2", "arena_v2", 4, 1) + &quick_mode("connect4", "connect4", 2, 2);
    let s = Server::start(&modes);
    let (_, text) = done(client(&s, &["--mode", "arena_v2", "--seconds", "2"]));
    assert!(text.contains("protocol 2"), "{text}");
    assert!(text.contains("(ArenaV2)"), "{text}");
    assert!(last_ack(&text) > 10, "{text}");
    assert!(!text.contains("invalid_input"), "{text}");

    let a = client(&s, &["--mode", "connect4", "--seconds", "8", "--name", "ada"]);
    let b = client(&s, &["--mode", "connect4", "--seconds", "8", "--name", "bob"]);
    for (_, text) in [done(a), done(b)] {
        assert!(text.contains("(Connect4)"), "{text}");
        assert!(text.contains("event moved"), "{text}");
        assert!(text.contains("command 1: ok"), "{text}");
        assert!(!text.contains("refused"), "{text}");
        let results = text.lines().find(|l| l.starts_with("results:")).unwrap_or_else(|| {
            panic!("the game ended\n{text}");
        });
        assert!(results.contains("four_in_a_row") || results.contains("draw"), "{results}");
    }
}

#[test]
fn protocol_1_keeps_the_v1_client() {
    let s = Server::start(&quick_mode("arena", "arena_v1", 4, 1));
    let (_, text) = done(client(&s, &["--protocol", "1", "--seconds", "2"]));
    assert!(text.contains("match_found: lobby"), "{text}");
    assert!(last_ack(&text) > 10, "{text}");
}
