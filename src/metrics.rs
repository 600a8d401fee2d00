//! Prometheus metrics through the `metrics` facade. The recorder is process-wide (installed
//! once, shared by every server in the process, e.g. in tests); `/metrics` on the admin
//! listener renders it. Gauges that describe current state (sessions, lobbies, queues) are
//! set from the live tables right before each render, so they can never drift.
//!
//! Every metric is registered at zero when the recorder is installed, with every value of
//! its labels that is known in advance: a series that appears only once something happened
//! cannot be alerted on (`increase()` of a series that did not exist is nothing, not 0), and
//! an operator reading README or API.md must find each documented name on a fresh server.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use tickwave_protocol::ErrorCode;

pub(crate) const CONNECTIONS_TOTAL: &str = "tickwave_connections_total";
pub(crate) const CONNECTIONS_OPEN: &str = "tickwave_connections_open";
pub(crate) const CONNECTIONS_REFUSED: &str = "tickwave_connections_refused_total";
pub(crate) const SESSIONS: &str = "tickwave_sessions";
pub(crate) const LOBBIES: &str = "tickwave_lobbies";
pub(crate) const QUEUE_WAITING: &str = "tickwave_matchmaking_waiting";
pub(crate) const QUEUE_WAIT: &str = "tickwave_matchmaking_wait_seconds";
pub(crate) const TICK_DURATION: &str = "tickwave_tick_duration_seconds";
pub(crate) const TICK_OVERRUNS: &str = "tickwave_tick_overruns_total";
pub(crate) const TICKS_SKIPPED: &str = "tickwave_ticks_skipped_total";
pub(crate) const STATE_BYTES: &str = "tickwave_state_bytes_total";
pub(crate) const STATE_MESSAGES: &str = "tickwave_state_messages_total";
pub(crate) const STATE_ENCODES: &str = "tickwave_state_encodes_total";
pub(crate) const STATE_TICKS: &str = "tickwave_state_ticks_total";
pub(crate) const INPUT_MESSAGES: &str = "tickwave_input_messages_total";
pub(crate) const COMMANDS: &str = "tickwave_commands_total";
pub(crate) const EVENTS: &str = "tickwave_events_total";
pub(crate) const INPUTS_DROPPED: &str = "tickwave_inputs_dropped_total";
pub(crate) const RTT: &str = "tickwave_rtt_seconds";
pub(crate) const ERRORS: &str = "tickwave_errors_total";
pub(crate) const RESYNCS: &str = "tickwave_resyncs_total";
pub(crate) const LOBBY_PANICS: &str = "tickwave_lobby_panics_total";
pub(crate) const LOBBY_BAD_VIEWS: &str = "tickwave_lobby_bad_views_total";
pub(crate) const CHAT_MESSAGES: &str = "tickwave_chat_messages_total";
pub(crate) const CHAT_DROPPED: &str = "tickwave_chat_dropped_total";
pub(crate) const NOTICES: &str = "tickwave_notices_total";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often histogram samples are folded into buckets when nobody scrapes `/metrics`.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Install the recorder (once per process) and return the handle that renders it.
pub(crate) fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let secs = [
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
            2.5, 5.0, 10.0, 30.0, 60.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &secs)
            .expect("static buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // The exporter keeps every histogram sample until it is drained, and only a render
        // (`/metrics`) or an upkeep drains it: with no scraper (admin listener off, or nobody
        // scraping) each tick and pong would grow the process by 8 bytes forever. Upkeep
        // folds the samples into the fixed buckets every few seconds, which bounds it.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no metrics upkeep thread; histograms grow until scraped");
        }
        // Another recorder may already be installed by an embedding application; then our
        // handle renders only what we describe, which is still correct output.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        register_at_zero();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(CONNECTIONS_TOTAL, "TCP connections accepted on the game listener");
    describe_gauge!(CONNECTIONS_OPEN, "connections open at any stage (TLS, HTTP, WebSocket)");
    describe_counter!(CONNECTIONS_REFUSED, "connections refused, by reason");
    describe_gauge!(SESSIONS, "sessions by state (idle, queued, in_lobby)");
    describe_gauge!(LOBBIES, "lobbies by state (waiting, starting, running, finished)");
    describe_gauge!(QUEUE_WAITING, "players waiting in matchmaking, by mode");
    describe_histogram!(QUEUE_WAIT, "time from find_match to a seat");
    describe_histogram!(
        TICK_DURATION,
        "time to run one lobby tick (inputs, step, diff, encode, fan-out)"
    );
    describe_counter!(TICK_OVERRUNS, "ticks that finished after the next tick's deadline");
    describe_counter!(TICKS_SKIPPED, "ticks dropped after a stall longer than the catch-up limit");
    describe_counter!(STATE_BYTES, "bytes of snapshot and delta messages queued to players");
    describe_counter!(STATE_MESSAGES, "snapshot and delta messages queued to players");
    describe_counter!(
        STATE_ENCODES,
        "snapshot and delta messages encoded (once per distinct view and protocol per tick); \
         divided by tickwave_state_ticks_total: encodes per tick"
    );
    describe_counter!(STATE_TICKS, "lobby ticks that sent state");
    describe_counter!(INPUT_MESSAGES, "input messages applied by lobbies");
    describe_counter!(COMMANDS, "commands applied by lobbies' games (answered ok or refused)");
    describe_counter!(EVENTS, "game event frames queued to players");
    describe_counter!(INPUTS_DROPPED, "input messages dropped by the per-session rate limit");
    describe_histogram!(RTT, "smoothed round-trip time of sessions, sampled at each pong");
    describe_counter!(ERRORS, "error messages sent to clients, by code");
    describe_counter!(RESYNCS, "players who fell behind (full queue) and were resynced");
    describe_counter!(LOBBY_PANICS, "lobbies ended because their game code panicked");
    describe_counter!(
        LOBBY_BAD_VIEWS,
        "lobbies ended because their game's view broke its schema (unknown kind, wrong field count, repeated id)"
    );
    describe_counter!(CHAT_MESSAGES, "chat lines delivered into lobbies");
    describe_counter!(CHAT_DROPPED, "chat lines dropped for slow readers");
    describe_counter!(NOTICES, "server notices broadcast");
}

/// Why each counter may be refused a connection (the `reason` label).
pub(crate) const REFUSAL_REASONS: [&str; 5] =
    ["per_ip_connections", "per_ip_rate", "per_ip_table_full", "max_connections", "origin"];

/// Every error code, for its zero series. The match below fails to compile when a code is
/// added to the protocol, so the list cannot fall behind.
const ERROR_CODES: [ErrorCode; 41] = {
    use ErrorCode::*;
    [
        ProtocolVersion,
        ExpectedHello,
        Malformed,
        UnknownType,
        TextFrame,
        TooLarge,
        HeartbeatTimeout,
        InvalidName,
        ServerShuttingDown,
        UnknownMode,
        AlreadyQueued,
        AlreadyInLobby,
        NotQueued,
        NotInLobby,
        UnknownCode,
        LobbyFull,
        InvalidInput,
        Overloaded,
        LobbyFailed,
        ResumeInvalid,
        ResumeForeign,
        ResumeExpired,
        ResumeUsed,
        SessionReplaced,
        ServerDraining,
        Kicked,
        ChatTooLong,
        ChatRateLimited,
        ChatInvalid,
        RateLimited,
        Abuse,
        AuthRequired,
        AuthInvalid,
        AuthExpired,
        ReservationInvalid,
        ReservationExpired,
        ReservationUsed,
        ReservationForeign,
        LobbyLost,
        SeatRefused,
        ModeNeedsProtocol,
    ]
};

#[allow(dead_code)]
const fn every_code_is_listed(c: ErrorCode) {
    use ErrorCode::*;
    // Adding a variant breaks this match: add it to ERROR_CODES too.
    match c {
        ProtocolVersion | ExpectedHello | Malformed | UnknownType | TextFrame | TooLarge
        | HeartbeatTimeout | InvalidName | ServerShuttingDown | UnknownMode | AlreadyQueued
        | AlreadyInLobby | NotQueued | NotInLobby | UnknownCode | LobbyFull | InvalidInput
        | Overloaded | LobbyFailed | ResumeInvalid | ResumeForeign | ResumeExpired | ResumeUsed
        | SessionReplaced | ServerDraining | Kicked | ChatTooLong | ChatRateLimited
        | ChatInvalid | RateLimited | Abuse | AuthRequired | AuthInvalid | AuthExpired
        | ReservationInvalid | ReservationExpired | ReservationUsed | ReservationForeign
        | LobbyLost | SeatRefused | ModeNeedsProtocol => {}
    }
}

/// Register every metric (and each known label value) so that it renders, at zero, before
/// anything happened. Gauges of live state are set at each render (`admin::api::metrics`).
fn register_at_zero() {
    for name in [
        CONNECTIONS_TOTAL,
        TICK_OVERRUNS,
        TICKS_SKIPPED,
        STATE_BYTES,
        STATE_MESSAGES,
        STATE_ENCODES,
        STATE_TICKS,
        INPUT_MESSAGES,
        COMMANDS,
        EVENTS,
        INPUTS_DROPPED,
        RESYNCS,
        LOBBY_PANICS,
        LOBBY_BAD_VIEWS,
        CHAT_MESSAGES,
        CHAT_DROPPED,
        NOTICES,
    ] {
        metrics::counter!(name).increment(0);
    }
    for reason in REFUSAL_REASONS {
        metrics::counter!(CONNECTIONS_REFUSED, "reason" => reason).increment(0);
    }
    for code in ERROR_CODES {
        metrics::counter!(ERRORS, "code" => code.as_str()).increment(0);
    }
    for name in [QUEUE_WAIT, TICK_DURATION, RTT] {
        // registering creates the (empty) distribution the exporter renders
        let _ = metrics::histogram!(name);
    }
    metrics::gauge!(CONNECTIONS_OPEN).set(0.0);
}

/// Count an error sent to a client.
pub(crate) fn error(code: tickwave_protocol::ErrorCode) {
    metrics::counter!(ERRORS, "code" => code.as_str()).increment(1);
}
