//! Issue 5: the admin API over real HTTPS, the spectator WebSocket, and /metrics.

mod common;

use common::*;
use std::time::Duration;
use tickwave_bots::LocalState;
use tickwave_protocol::{ErrorCode, ServerMessage, close};

#[tokio::test]
async fn every_admin_route_requires_a_token_and_leaks_nothing() {
    let s = start().await;
    let (_c, w) = s.client("secret-name").await;
    for path in [
        "/admin/lobbies",
        "/admin/sessions",
        &format!("/admin/sessions/{}", w.session),
        "/metrics",
        "/admin/matchmaking",
    ] {
        for token in [None, Some("wrong")] {
            let addr = s.server.admin_addr().unwrap();
            let (status, body) = https(addr, &s.check, "GET", path, token, None).await;
            assert_eq!(status, 401, "{path} with {token:?}");
            let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
            assert_eq!(v["error"], "unauthorized");
            assert!(!body.contains("secret-name"), "no admin data in a 401");
        }
    }
    // a viewer reads but may not act
    let (status, _) = s.admin("GET", "/admin/sessions", Some(VIEWER), None).await;
    assert_eq!(status, 200);
    let (status, v) = s
        .admin("POST", &format!("/admin/sessions/{}/kick", w.session), Some(VIEWER), Some("{}"))
        .await;
    assert_eq!((status, v["error"].as_str()), (403, Some("forbidden")));
    let (status, v) = s.admin("POST", "/admin/drain", Some(VIEWER), None).await;
    assert_eq!((status, v["error"].as_str()), (403, Some("forbidden")));
    let (_, v) = s.admin("GET", "/admin/whoami", Some(OPERATOR), None).await;
    assert_eq!(v["role"], "operator");
}

#[tokio::test]
async fn lobby_views_reflect_real_players_and_kick_and_close_work() {
    let s = start_with(|c| {
        c.modes = vec![quick_mode("arena", 16, 2)];
        c.heartbeat_interval = Duration::from_millis(100);
    })
    .await;
    let (mut a, wa) = s.client("alice").await;
    let (mut b, wb) = s.client("bob").await;
    a.send(&find("arena")).await.unwrap();
    b.send(&find("arena")).await.unwrap();
    let lobby = match_found(&mut a).await.lobby;
    match_found(&mut b).await;
    // let RTT samples and a status publication happen; keep both clients reading (pongs)
    let (mut sa, mut sb) = (LocalState::default(), LocalState::default());
    for _ in 0..10 {
        let _ = a.recv_timeout(Duration::from_millis(50)).await.map(|m| sa.apply(&m));
        let _ = b.recv_timeout(Duration::from_millis(50)).await.map(|m| sb.apply(&m));
    }
    let (status, v) = s.admin("GET", "/admin/lobbies?mode=arena", Some(VIEWER), None).await;
    assert_eq!(status, 200);
    let l = v["lobbies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == lobby)
        .expect("our lobby")
        .clone();
    assert_eq!(l["players"], 2);
    assert_eq!(l["max_players"], 16);
    assert!(l["tick"].as_u64().unwrap() > 0);
    assert!(["waiting", "starting", "running"].contains(&l["state"].as_str().unwrap()));
    let (_, none) = s.admin("GET", "/admin/lobbies?mode=duel", Some(VIEWER), None).await;
    assert!(none["lobbies"].as_array().unwrap().is_empty(), "filter by mode");

    let (status, d) = s.admin("GET", &format!("/admin/lobbies/{lobby}"), Some(VIEWER), None).await;
    assert_eq!(status, 200);
    let players = d["players_detail"].as_array().unwrap();
    let names: Vec<&str> = players.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"alice") && names.contains(&"bob"), "{names:?}");
    for p in players {
        let rtt = p["rtt_ms"].as_f64().expect("RTT measured");
        assert!(rtt > 0.0 && rtt < 500.0);
        assert!(p["jitter_ms"].as_f64().is_some());
        assert!(p["bytes_sent"].as_u64().unwrap() > 0);
        assert!(p["queue_depth"].as_u64().is_some());
        assert_eq!(p["view"], "world", "a public game: everyone sees the world");
    }
    assert_eq!(d["summary"]["players"], 2, "the game's own summary");
    assert_eq!(d["views_last_tick"], 1);
    assert_eq!(d["encodes_last_tick"], 1, "one encode per tick for a public game");
    let (status, sess) =
        s.admin("GET", &format!("/admin/sessions/{}", wa.session), Some(VIEWER), None).await;
    assert_eq!((status, sess["lobby"].as_u64()), (200, Some(lobby)));
    assert_eq!(sess["state"], "in_lobby");

    // kick bob with a reason
    let (status, _) = s
        .admin(
            "POST",
            &format!("/admin/sessions/{}/kick", wb.session),
            Some(OPERATOR),
            Some(r#"{"reason":"be nice"}"#),
        )
        .await;
    assert_eq!(status, 202);
    let (code, message) = b
        .recv_until(5 * SEC, "kick", |m| match m {
            ServerMessage::Error { code, message, .. } => Some((*code, message.clone())),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!((code, message.as_str()), (ErrorCode::Kicked, "be nice"));
    assert_eq!(b.closed(5 * SEC).await.unwrap().map(|c| c.0), Some(close::POLICY_VIOLATION));

    // close the lobby: alice is told and is idle again
    let (status, _) = s
        .admin(
            "POST",
            &format!("/admin/lobbies/{lobby}/close"),
            Some(OPERATOR),
            Some(r#"{"reason":"maintenance"}"#),
        )
        .await;
    assert_eq!(status, 202);
    let reason = a
        .recv_until(5 * SEC, "lobby_closed", |m| match m {
            ServerMessage::LobbyClosed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(reason, "maintenance");
    s.eventually(2 * SEC, "the lobby gone", |srv| srv.lobby_count() == 0).await;
    let (status, _) = s.admin("GET", &format!("/admin/lobbies/{lobby}"), Some(VIEWER), None).await;
    assert_eq!(status, 404);
    // The cluster views answer a single node with a clear refusal.
    for path in ["/admin/cluster", "/admin/lobbies?scope=cluster"] {
        let (status, v) = s.admin("GET", path, Some(VIEWER), None).await;
        assert_eq!((status, v["error"].as_str()), (404, Some("not_clustered")), "{path}: {v}");
    }
}

#[tokio::test]
async fn spectator_stream_sends_the_lobby_state_as_json() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    let (mut a, wa) = s.client("solo").await;
    a.send(&find("arena")).await.unwrap();
    let lobby = match_found(&mut a).await.lobby;
    let url = format!(
        "wss://{}/admin/lobbies/{lobby}/watch?token={VIEWER}",
        s.server.admin_addr().unwrap()
    );
    let mut spec = tickwave_bots::Client::connect(&url, &s.check).await.expect("spectator upgrade");
    use futures_util::StreamExt;
    let frame = tokio::time::timeout(5 * SEC, async {
        loop {
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = spec.ws.next().await
            {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["entities"].as_array().is_some_and(|e| !e.is_empty()) {
                    return v;
                }
            }
        }
    })
    .await
    .expect("a frame");
    assert_eq!(frame["lobby"], lobby);
    let me = frame["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == wa.player)
        .expect("the player");
    assert_eq!(me["kind"], "player");
    assert!(me["fields"]["x"].as_i64().is_some());
    // without a token, no stream
    let bad = format!("wss://{}/admin/lobbies/{lobby}/watch", s.server.admin_addr().unwrap());
    assert!(tickwave_bots::Client::connect(&bad, &s.check).await.is_err());
}

/// Parse Prometheus text: every sample line is `name{labels} value`.
fn samples(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad sample line {l:?}"));
            (k.to_owned(), v.parse::<f64>().unwrap_or_else(|_| panic!("bad value in {l:?}")))
        })
        .collect()
}

fn value(samples: &[(String, f64)], key: &str) -> f64 {
    samples.iter().filter(|(k, _)| k == key).map(|(_, v)| *v).sum()
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_move_with_traffic() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    let addr = s.server.admin_addr().unwrap();
    let (status, before) = https(addr, &s.check, "GET", "/metrics", Some(VIEWER), None).await;
    assert_eq!(status, 200);
    let before = samples(&before);
    let (mut a, _) = s.client("m").await;
    a.send(&find("arena")).await.unwrap();
    match_found(&mut a).await;
    let mut st = LocalState::default();
    for seq in 1..=10 {
        a.send(&input(seq, 1.0, 0.0)).await.unwrap();
        let _ = a.recv_timeout(Duration::from_millis(60)).await.map(|m| st.apply(&m));
    }
    let (_, after_text) = https(addr, &s.check, "GET", "/metrics", Some(VIEWER), None).await;
    for name in [
        "tickwave_connections_total",
        "tickwave_state_messages_total",
        "tickwave_state_bytes_total",
        "tickwave_input_messages_total",
        "tickwave_tick_duration_seconds_count",
        "tickwave_matchmaking_wait_seconds_count",
    ] {
        assert!(after_text.contains(name), "{name} missing");
    }
    let after = samples(&after_text);
    for name in [
        "tickwave_state_messages_total",
        "tickwave_state_bytes_total",
        "tickwave_input_messages_total",
        "tickwave_connections_total",
    ] {
        assert!(value(&after, name) > value(&before, name), "{name} did not move");
    }
    assert!(value(&after, "tickwave_sessions{state=\"in_lobby\"}") >= 1.0);
    assert!(after_text.contains("# TYPE tickwave_tick_duration_seconds histogram"));
}

#[tokio::test]
async fn admin_drain_stops_new_matches_and_exits_when_lobbies_finish() {
    let mut mode = quick_mode("short", 2, 2);
    mode.match_length_ms = 1000;
    let s = start_with(|c| c.modes = vec![mode]).await;
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    a.send(&find("short")).await.unwrap();
    b.send(&find("short")).await.unwrap();
    match_found(&mut a).await;
    a.recv_until(5 * SEC, "running", |m| {
        matches!(m, ServerMessage::LobbyState(l) if l.state == "running").then_some(())
    })
    .await
    .unwrap();
    let (status, v) = s.admin("POST", "/admin/drain", Some(OPERATOR), None).await;
    assert_eq!((status, v["draining"].as_bool()), (202, Some(true)));
    // the matchmaker publishes its status every 100 ms
    let mut draining = false;
    for _ in 0..50 {
        let (_, mm) = s.admin("GET", "/admin/matchmaking", Some(VIEWER), None).await;
        draining = mm["draining"] == true;
        if draining {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(draining, "matchmaking reports draining");
    let (mut late, _) = s.client("late").await;
    late.send(&find("short")).await.unwrap();
    let code = next_error(&mut late).await;
    assert_eq!(code, ErrorCode::ServerDraining);
    a.recv_until(5 * SEC, "results", |m| matches!(m, ServerMessage::Results { .. }).then_some(()))
        .await
        .unwrap();
    let TestServer { server, .. } = s;
    tokio::time::timeout(5 * SEC, server.wait()).await.expect("the server exits after the drain");
}

#[tokio::test]
async fn a_notice_reaches_players_in_queue_and_in_lobby() {
    let s =
        start_with(|c| c.modes = vec![quick_mode("arena", 16, 1), quick_mode("pairs", 2, 2)]).await;
    let (mut queued, _) = s.client("queued").await;
    queued.send(&find("pairs")).await.unwrap(); // waits alone: min 2
    let (mut playing, _) = s.client("playing").await;
    playing.send(&find("arena")).await.unwrap();
    match_found(&mut playing).await;
    let (_idle, _) = s.client("idle").await;
    let (status, v) = s
        .admin(
            "POST",
            "/admin/notice",
            Some(OPERATOR),
            Some(r#"{"text":"restart in 5 minutes","severity":"warning"}"#),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(v["delivered"], 3);
    for c in [&mut queued, &mut playing] {
        let (sev, text) = c
            .recv_until(5 * SEC, "notice", |m| match m {
                ServerMessage::Notice { severity, text } => Some((severity.clone(), text.clone())),
                _ => None,
            })
            .await
            .unwrap();
        assert_eq!((sev.as_str(), text.as_str()), ("warning", "restart in 5 minutes"));
    }
    let (status, _) =
        s.admin("POST", "/admin/notice", Some(OPERATOR), Some(r#"{"severity":"loud"}"#)).await;
    assert_eq!(status, 400);
}

/// A game whose `apply_input` panics: the lobby running it ends, nothing else does.
struct Exploding(tickwave::game::arena::Arena);

impl tickwave::game::Game for Exploding {
    fn name(&self) -> &'static str {
        "exploding"
    }
    fn schema(&self) -> Vec<tickwave_protocol::EntityKindSchema> {
        self.0.schema()
    }
    fn add_player(&mut self, p: u32) {
        self.0.add_player(p)
    }
    fn remove_player(&mut self, p: u32) {
        self.0.remove_player(p)
    }
    fn apply_input(&mut self, _: u32, _: &tickwave_protocol::Input) {
        panic!("exploding game: an input arrived");
    }
    fn step(&mut self) {
        self.0.step()
    }
    fn view(&self, out: &mut tickwave_protocol::WorldView) {
        self.0.view(out)
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.0.scores()
    }
}

/// Issue 13 item 9: `tickwave_lobby_panics_total` is on /metrics and counts a lobby whose
/// game panicked (it used to be only an internal counter).
#[tokio::test]
async fn a_lobby_panic_is_counted_on_metrics() {
    let s = start_with(|c| {
        c.games
            .register("exploding", |st| Box::new(Exploding(tickwave::game::arena::Arena::new(st))));
        let mut mode = quick_mode("boom", 2, 1);
        mode.game = "exploding".into();
        c.modes = vec![mode];
    })
    .await;
    let addr = s.server.admin_addr().unwrap();
    let raw = || https(addr, &s.check, "GET", "/metrics", Some(VIEWER), None);
    let (_, before) = raw().await;
    let before = samples(&before);
    assert!(
        before.iter().any(|(k, _)| k == "tickwave_lobby_panics_total"),
        "tickwave_lobby_panics_total exported before any panic"
    );
    let (mut a, _) = s.client("boom").await;
    a.send(&find("boom")).await.unwrap();
    match_found(&mut a).await;
    a.send(&input(1, 1.0, 0.0)).await.unwrap();
    assert_eq!(next_error(&mut a).await, ErrorCode::LobbyFailed);
    s.eventually(5 * SEC, "the panic counted", |srv| srv.lobby_panics() == 1).await;
    let (_, after) = raw().await;
    let after = samples(&after);
    assert_eq!(
        value(&after, "tickwave_lobby_panics_total"),
        value(&before, "tickwave_lobby_panics_total") + 1.0
    );
}
