//! Admin API handlers: JSON views of lobbies, sessions and matchmaking, the actions, and the
//! Prometheus rendering.

use super::AdminCtx;
use super::auth::Role;
use super::{Body, error, json};
use crate::session::registry::{Registry, SessionInfo};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tickwave_protocol::{self as proto, ServerMessage};

pub(super) struct Ctx<'a> {
    pub(super) shared: &'a Arc<AdminCtx>,
    pub(super) role: Role,
    pub(super) peer: SocketAddr,
}

impl Ctx<'_> {
    /// Write an action to the audit log: who (role, address), what, on what, when (the log's
    /// timestamp).
    fn audit(&self, action: &str, target: &str, detail: &str) {
        tracing::info!(
            target: "audit",
            role = self.role.as_str(),
            peer = %self.peer,
            action,
            on = target,
            detail,
            "admin action"
        );
    }
}

fn query_param<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn session_json(s: &SessionInfo, now: Instant) -> Value {
    json!({
        "id": s.id,
        "player": s.player,
        "name": &*s.name,
        "account": s.account.as_deref(),
        "peer": s.peer.to_string(),
        "state": s.state,
        "lobby": s.lobby,
        "connected_ms": now.duration_since(s.connected_at).as_millis() as u64,
        "rtt_ms": s.rtt.map(|r| ms(r.srtt)),
        "jitter_ms": s.rtt.map(|r| ms(r.jitter)),
        "last_rtt_ms": s.rtt.map(|r| ms(r.last)),
        "rtt_samples": s.rtt.map_or(0, |r| r.samples),
    })
}

fn lobby_summary(l: &crate::lobby::status::LobbyStatus, now: Instant) -> Value {
    json!({
        "id": l.id,
        "mode": l.mode,
        "game": l.game,
        "state": l.state,
        "players": l.players,
        "connected": l.connected,
        "max_players": l.max_players,
        "private": l.private,
        "age_ms": now.duration_since(l.created).as_millis() as u64,
        "tick": l.tick,
        "tick_hz": l.tick_hz,
        "tick_p50_us": l.tick_p50_us,
        "tick_p99_us": l.tick_p99_us,
        "tick_max_us": l.tick_max_us,
        "overruns": l.overruns,
        "skipped_ticks": l.skipped_ticks,
    })
}

/// `GET /admin/lobbies?mode=&state=`
pub(super) fn lobbies(ctx: &Ctx<'_>, query: Option<&str>) -> Response<Body> {
    let (mode, state) = (query_param(query, "mode"), query_param(query, "state"));
    let now = Instant::now();
    let list: Vec<Value> = ctx
        .shared
        .directory
        .statuses()
        .iter()
        .filter(|l| mode.is_none_or(|m| l.mode == m))
        .filter(|l| state.is_none_or(|s| l.state == s))
        .map(|l| lobby_summary(l, now))
        .collect();
    json(StatusCode::OK, &json!({ "lobbies": list }))
}

/// `GET /admin/lobbies/{id}`: the lobby, its players (with RTT from the session registry)
/// and the game's own summary.
pub(super) fn lobby(ctx: &Ctx<'_>, id: Option<u64>) -> Response<Body> {
    let Some(l) = id.and_then(|id| ctx.shared.directory.status(id)) else {
        return error(StatusCode::NOT_FOUND, "no_such_lobby", "no live lobby with that id");
    };
    let now = Instant::now();
    let mut out = lobby_summary(&l, now);
    let players: Vec<Value> = l
        .members
        .iter()
        .map(|m| {
            let s = ctx.shared.registry.get(m.session);
            let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
            v["rtt_ms"] = json!(s.as_ref().and_then(|s| s.rtt).map(|r| ms(r.srtt)));
            v["jitter_ms"] = json!(s.as_ref().and_then(|s| s.rtt).map(|r| ms(r.jitter)));
            v["connected_ms"] =
                json!(s.as_ref().map(|s| now.duration_since(s.connected_at).as_millis() as u64));
            v
        })
        .collect();
    out["players_detail"] = Value::Array(players);
    out["summary"] = l.summary.clone();
    out["recent_chat"] = serde_json::to_value(&l.recent_chat).unwrap_or(Value::Null);
    out["last_delta_bytes"] = json!(l.last_delta_bytes);
    out["last_snapshot_bytes"] = json!(l.last_snapshot_bytes);
    // Per-player views (issue 16): how many distinct views this lobby encodes per tick.
    out["encodes_last_tick"] = json!(l.encodes_last_tick);
    out["views_last_tick"] = json!(l.views_last_tick);
    out["encodes_per_tick"] = json!(l.encodes_per_tick);
    // The game's schema (as `match_found` of protocol 2 carries it), so a dashboard names
    // kinds, fields and globals from the game itself rather than from one game's constants.
    if let Some(h) = ctx.shared.directory.handle(l.id) {
        out["schema"] = serde_json::to_value(h.layout.schema()).unwrap_or(Value::Null);
        out["protocol_1"] = json!(h.v1);
    }
    json(StatusCode::OK, &out)
}

/// `POST /admin/lobbies/{id}/close` `{"reason": ...}`
pub(super) fn close_lobby(ctx: &Ctx<'_>, id: Option<u64>, body: &Value) -> Response<Body> {
    let Some((id, lobby)) = id.and_then(|id| ctx.shared.directory.handle(id).map(|l| (id, l)))
    else {
        return error(StatusCode::NOT_FOUND, "no_such_lobby", "no live lobby with that id");
    };
    let reason = body["reason"].as_str().unwrap_or("closed by an operator").chars().take(200);
    let reason: String = reason.collect();
    ctx.audit("close_lobby", &format!("lobby {id}"), &reason);
    match lobby.close(reason) {
        true => json(StatusCode::ACCEPTED, &json!({ "closing": id })),
        false => error(StatusCode::SERVICE_UNAVAILABLE, "busy", "lobby mailbox full; retry"),
    }
}

/// `GET /admin/sessions?limit=`
pub(super) fn sessions(ctx: &Ctx<'_>, query: Option<&str>) -> Response<Body> {
    let limit = query_param(query, "limit").and_then(|l| l.parse().ok()).unwrap_or(500usize);
    let now = Instant::now();
    let list: Vec<Value> =
        ctx.shared.registry.list(limit.min(5000)).iter().map(|s| session_json(s, now)).collect();
    json(StatusCode::OK, &json!({ "total": ctx.shared.registry.len(), "sessions": list }))
}

/// `GET /admin/sessions/{id}`
pub(super) fn session(ctx: &Ctx<'_>, id: Option<u64>) -> Response<Body> {
    match id.and_then(|id| ctx.shared.registry.get(id)) {
        Some(s) => json(StatusCode::OK, &session_json(&s, Instant::now())),
        None => error(StatusCode::NOT_FOUND, "no_such_session", "no live session with that id"),
    }
}

/// `POST /admin/sessions/{id}/kick` `{"reason": ...}`: the client gets error `kicked` with
/// the reason, then close 1008.
pub(super) fn kick(ctx: &Ctx<'_>, id: Option<u64>, body: &Value) -> Response<Body> {
    let Some(s) = id.and_then(|id| ctx.shared.registry.get(id)) else {
        return error(StatusCode::NOT_FOUND, "no_such_session", "no live session with that id");
    };
    let reason: String =
        body["reason"].as_str().unwrap_or("kicked by an operator").chars().take(200).collect();
    ctx.audit("kick", &format!("session {} (player {})", s.id, s.player), &reason);
    match s.kick(reason) {
        true => json(StatusCode::ACCEPTED, &json!({ "kicking": s.id })),
        false => error(StatusCode::SERVICE_UNAVAILABLE, "busy", "session mailbox full; retry"),
    }
}

/// `GET /admin/matchmaking`
pub(super) fn matchmaking(ctx: &Ctx<'_>) -> Response<Body> {
    json(StatusCode::OK, &**ctx.shared.mm_status.borrow())
}

/// `POST /admin/drain`
pub(super) fn drain(ctx: &Ctx<'_>) -> Response<Body> {
    ctx.audit("drain", "server", "");
    (ctx.shared.drain)();
    json(
        StatusCode::ACCEPTED,
        &json!({ "draining": true, "timeout_ms": ctx.shared.config.drain_timeout.as_millis() as u64 }),
    )
}

/// `POST /admin/notice` `{"text": ..., "severity": "info"|"warning"|"critical"}`
pub(super) fn notice(ctx: &Ctx<'_>, body: &Value) -> Response<Body> {
    let Some(text) = body["text"].as_str().filter(|t| !t.trim().is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "bad_notice", "text is required");
    };
    if text.chars().count() > 500 {
        return error(StatusCode::BAD_REQUEST, "bad_notice", "text is limited to 500 characters");
    }
    let severity = body["severity"].as_str().unwrap_or("info");
    if !["info", "warning", "critical"].contains(&severity) {
        return error(StatusCode::BAD_REQUEST, "bad_notice", "severity: info, warning or critical");
    }
    ctx.audit("notice", "all sessions", text);
    let delivered = broadcast_notice(&ctx.shared.registry, severity, text);
    json(StatusCode::ACCEPTED, &json!({ "delivered": delivered }))
}

/// Encode a notice once and queue it to every session; returns how many took it.
pub(crate) fn broadcast_notice(registry: &Registry, severity: &str, text: &str) -> usize {
    let bytes = proto::encode_server(&ServerMessage::Notice {
        severity: severity.into(),
        text: text.into(),
    });
    metrics::counter!(crate::metrics::NOTICES).increment(1);
    registry.broadcast(&bytes)
}

/// `GET /metrics`: Prometheus text. State gauges are set from the live tables first.
pub(super) fn metrics(ctx: &Ctx<'_>) -> Response<Body> {
    use crate::metrics as m;
    let s = ctx.shared;
    let (idle, queued, in_lobby) = s.registry.counts();
    metrics::gauge!(m::SESSIONS, "state" => "idle").set(idle as f64);
    metrics::gauge!(m::SESSIONS, "state" => "queued").set(queued as f64);
    metrics::gauge!(m::SESSIONS, "state" => "in_lobby").set(in_lobby as f64);
    let statuses = s.directory.statuses();
    for state in ["waiting", "starting", "running", "finished"] {
        let n = statuses.iter().filter(|l| l.state == state).count();
        metrics::gauge!(m::LOBBIES, "state" => state).set(n as f64);
    }
    // every configured mode, also before the matchmaker first published its queues
    let queues = s.mm_status.borrow().clone();
    for mode in s.matchmaker.modes() {
        let waiting = queues.modes.iter().find(|q| q.mode == mode).map_or(0, |q| q.waiting);
        metrics::gauge!(m::QUEUE_WAITING, "mode" => mode).set(waiting as f64);
    }
    metrics::gauge!(m::CONNECTIONS_OPEN)
        .set(s.open_connections.load(std::sync::atomic::Ordering::Relaxed) as f64);
    let text = crate::metrics::handle().render();
    let mut r = Response::new(http_body_util::Full::new(bytes::Bytes::from(text)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
