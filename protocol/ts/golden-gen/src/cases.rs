//! The golden cases: one or more examples of every server and client message.

use tickwave_protocol::{
    ClientMessage, Entity, EntityKindSchema, ErrorCode, Hello, Input, LobbyState, MatchFound,
    PROTOCOL_VERSION, PlayerInfo, Roster, RttReport, ScoreLine, ServerMessage, StateDelta,
    StateSnapshot, Welcome, WorldView,
};

/// One client message example. `sdk_bytes_equal` is false where the SDK's bytes may
/// legitimately differ (see `note`); the decoded values must still be equal.
pub(crate) struct ClientCase {
    pub(crate) name: &'static str,
    pub(crate) msg: ClientMessage,
    pub(crate) sdk_bytes_equal: bool,
    pub(crate) note: &'static str,
}

fn player(id: u32, name: &str, connected: bool) -> PlayerInfo {
    PlayerInfo { player: id, name: name.into(), connected }
}

fn arena_schema() -> Vec<EntityKindSchema> {
    let kind = |k: &str, f: &[&str]| EntityKindSchema {
        kind: k.into(),
        fields: f.iter().map(|s| s.to_string()).collect(),
    };
    vec![kind("player", &["x", "y", "score", "boost"]), kind("pickup", &["x", "y", "value"])]
}

fn view(es: &[(u32, u8, &[i32])]) -> WorldView {
    WorldView::from_entities(es.iter().map(|(i, k, f)| Entity::new(*i, *k, f)).collect())
        .expect("distinct ids")
}

/// The worked example of PROTOCOL.md §7 (ticks 41 and 42), then a tick 43 that adds,
/// replaces (kind change under the same id) and uses the largest id and a negative value.
fn worked_views() -> [WorldView; 3] {
    let t41 = view(&[
        (1, 0, &[5000, 5000, 0, 0]),
        (2, 0, &[2500, 7500, 2, 0]),
        (2147483648, 1, &[5350, 5000, 3]),
    ]);
    let t42 = view(&[(1, 0, &[5066, 5000, 3, 0]), (2, 0, &[2500, 7500, 2, 0])]);
    let t43 = view(&[
        (1, 0, &[5132, 4934, 3, 1]),
        (2, 1, &[-5, 7500, 1]),
        (3, 0, &[0, 10000, 0, 0]),
        (u32::MAX, 1, &[100, 200, 2]),
    ]);
    [t41, t42, t43]
}

pub(crate) fn server_cases() -> Vec<(&'static str, ServerMessage)> {
    let [t41, t42, t43] = worked_views();
    let welcome = Welcome {
        session: 12,
        protocol: PROTOCOL_VERSION,
        player: 7,
        server: "tickwave/0.1.0".into(),
        heartbeat_ms: 1000,
        timeout_ms: 5000,
        modes: vec!["arena".into(), "duel".into()],
        resume: Some("v1.AAAAAAAAAAEAAAAHAAAAAAAAAAwAAAAAAAAAAQ.c2lnbmF0dXJl".into()),
        resumed: false,
        seat_held: false,
    };
    let match_found = MatchFound {
        lobby: 3,
        player: 7,
        mode: "arena".into(),
        game: "arena".into(),
        state: "waiting".into(),
        tick_hz: 30,
        max_players: 16,
        roster: vec![player(7, "ada", true), player(9, "émile", false)],
        schema: arena_schema(),
        code: None,
        send_hz: None,
    };
    let d42 = t41.diff(&t42);
    let d43 = t42.diff(&t43);
    vec![
        ("welcome", ServerMessage::Welcome(welcome.clone())),
        (
            "welcome_resumed",
            ServerMessage::Welcome(Welcome {
                session: 13,
                resumed: true,
                seat_held: true,
                ..welcome.clone()
            }),
        ),
        ("welcome_without_resume", ServerMessage::Welcome(Welcome { resume: None, ..welcome })),
        (
            "error_fatal",
            ServerMessage::Error {
                code: ErrorCode::ResumeExpired,
                message: "the seat is no longer held (grace period over)".into(),
                fatal: true,
            },
        ),
        (
            "error_nonfatal",
            ServerMessage::Error {
                code: ErrorCode::ServerDraining,
                message: "this server is draining; connect to another".into(),
                fatal: false,
            },
        ),
        ("rtt", ServerMessage::Rtt(RttReport { rtt_ms: 0.75, jitter_ms: 0.1875, last_ms: 1.5 })),
        ("queued", ServerMessage::Queued { mode: "arena".into(), waiting: 3 }),
        ("match_cancelled", ServerMessage::MatchCancelled { reason: "cancelled".into() }),
        ("match_found", ServerMessage::MatchFound(match_found.clone())),
        (
            "match_found_send_hz",
            ServerMessage::MatchFound(MatchFound { send_hz: Some(10), ..match_found.clone() }),
        ),
        (
            "match_found_private",
            ServerMessage::MatchFound(MatchFound {
                mode: "duel".into(),
                max_players: 2,
                roster: vec![player(7, "ada", true)],
                code: Some("6NSRT5".into()),
                ..match_found
            }),
        ),
        (
            "roster",
            ServerMessage::Roster(Roster {
                lobby: 3,
                players: vec![player(7, "ada", true), player(9, "émile", true)],
                joined: vec![9],
                left: vec![4],
            }),
        ),
        (
            "lobby_state",
            ServerMessage::LobbyState(LobbyState {
                lobby: 3,
                state: "starting".into(),
                remaining_ms: Some(3000),
                tick: 150,
            }),
        ),
        (
            "lobby_state_untimed",
            ServerMessage::LobbyState(LobbyState {
                lobby: 3,
                state: "waiting".into(),
                remaining_ms: None,
                tick: 1,
            }),
        ),
        (
            "snapshot",
            ServerMessage::Snapshot(StateSnapshot {
                tick: 41,
                acks: vec![(1, 7), (2, 5)],
                entities: t41,
            }),
        ),
        (
            "delta",
            ServerMessage::Delta(StateDelta {
                tick: 42,
                base: 41,
                acks: vec![(1, 8), (2, 5)],
                added: d42.added,
                changed: d42.changed,
                removed: d42.removed,
            }),
        ),
        (
            "delta_reshape",
            ServerMessage::Delta(StateDelta {
                tick: 43,
                base: 42,
                acks: vec![(1, 9), (2, 5), (3, 0)],
                added: d43.added,
                changed: d43.changed,
                removed: d43.removed,
            }),
        ),
        (
            "results",
            ServerMessage::Results {
                lobby: 3,
                scores: vec![
                    ScoreLine { player: 9, name: "émile".into(), score: 12 },
                    ScoreLine { player: 7, name: "ada".into(), score: 3 },
                ],
            },
        ),
        ("lobby_closed", ServerMessage::LobbyClosed { lobby: 3, reason: "match over".into() }),
        (
            "chat",
            ServerMessage::Chat {
                from: 9,
                name: "émile".into(),
                text: "gg — à bientôt 👋".into(),
                tick: 4242,
            },
        ),
        (
            "notice",
            ServerMessage::Notice {
                severity: "warning".into(),
                text: "server restarts in 5 minutes".into(),
            },
        ),
        (
            "redirect",
            ServerMessage::Redirect {
                url: "wss://node-2.example.com/ws".into(),
                reservation: "r1.eyJub2RlIjoibjIifQ.c2ln".into(),
            },
        ),
    ]
}

pub(crate) fn client_cases() -> Vec<ClientCase> {
    let hello = |token: Option<&str>, resume: Option<&str>, last_tick: Option<u64>| {
        ClientMessage::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            name: "ada".into(),
            token: token.map(Into::into),
            resume: resume.map(Into::into),
            last_tick,
            reservation: None,
        })
    };
    let hello_reserved = ClientMessage::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        name: "ada".into(),
        token: None,
        resume: None,
        last_tick: None,
        reservation: Some("r1.eyJub2RlIjoibjIifQ.c2ln".into()),
    });
    let same = |name, msg| ClientCase { name, msg, sdk_bytes_equal: true, note: "" };
    vec![
        same("hello", hello(None, None, None)),
        same(
            "hello_resume",
            hello(Some("secret"), Some("v1.AAAAAAAAAAEAAAAH.c2ln"), Some(4_294_967_296)),
        ),
        same("hello_reservation", hello_reserved),
        same(
            "find_match",
            ClientMessage::FindMatch { mode: "arena".into(), skill: None, region: None },
        ),
        same(
            "find_match_full",
            ClientMessage::FindMatch {
                mode: "duel".into(),
                skill: Some(1612.5),
                region: Some("eu".into()),
            },
        ),
        same("cancel_match", ClientMessage::CancelMatch {}),
        same("create_private", ClientMessage::CreatePrivate { mode: "duel".into() }),
        same("join_private", ClientMessage::JoinPrivate { code: "6nsrt5".into() }),
        same("input", ClientMessage::Input(Input { seq: 8, dx: 0.5, dy: -0.25, action: true })),
        ClientCase {
            name: "input_integral",
            msg: ClientMessage::Input(Input { seq: 300, dx: 1.0, dy: 0.0, action: false }),
            sdk_bytes_equal: false,
            note: "Rust writes 1.0f32 as float32 (ca); @msgpack/msgpack writes integral numbers \
                   as integers, which the server reads as floats (PROTOCOL.md §12)",
        },
        same("leave", ClientMessage::Leave {}),
        same("chat", ClientMessage::Chat { text: "gl hf ✨".into() }),
    ]
}
