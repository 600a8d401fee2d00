//! Real encoded messages of every type, built with the protocol crate's own encoders.

use tickwave_protocol::*;

/// `(file name, bytes)` of every client message type, in a few shapes each.
pub fn client_messages() -> Vec<(String, Vec<u8>)> {
    let hello = |token: Option<&str>, resume: Option<&str>, last_tick| {
        ClientMessage::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            name: "ada".into(),
            token: token.map(Into::into),
            resume: resume.map(Into::into),
            last_tick,
            reservation: None,
        })
    };
    let input = |seq, dx, dy, action| ClientMessage::Input(Input { seq, dx, dy, action });
    let msgs = [
        ("hello", hello(None, None, None)),
        ("hello_token", hello(Some("tok-3f9a"), None, None)),
        ("hello_resume", hello(None, Some("v1.AAECAwQFBgc.c2ln"), Some(1234))),
        (
            "hello_reservation",
            ClientMessage::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                name: "ada".into(),
                token: None,
                resume: None,
                last_tick: None,
                reservation: Some("r1.eyJub2RlIjoibjIifQ.c2ln".into()),
            }),
        ),
        (
            "find_match",
            ClientMessage::FindMatch { mode: "arena".into(), skill: None, region: None },
        ),
        (
            "find_match_skill_region",
            ClientMessage::FindMatch {
                mode: "duel".into(),
                skill: Some(1512.5),
                region: Some("eu".into()),
            },
        ),
        ("cancel_match", ClientMessage::CancelMatch {}),
        ("create_private", ClientMessage::CreatePrivate { mode: "arena".into() }),
        ("join_private", ClientMessage::JoinPrivate { code: "K7QX2M".into() }),
        ("input", input(1, 0.0, 0.0, false)),
        ("input_action", input(4_000_000_000, -1.0, 0.5, true)),
        ("leave", ClientMessage::Leave {}),
        ("chat", ClientMessage::Chat { text: "gg \u{1f44b}".into() }),
    ];
    msgs.into_iter().map(|(n, m)| (n.to_owned(), encode_client(&m).to_vec())).collect()
}

fn view(es: &[(u32, u8, &[i32])]) -> WorldView {
    WorldView::from_entities(es.iter().map(|(i, k, f)| Entity::new(*i, *k, f)).collect())
        .expect("distinct ids")
}

/// A few consecutive states of a small arena: players move, a pickup vanishes, a projectile
/// appears, one entity changes shape.
pub fn states() -> Vec<WorldView> {
    vec![
        view(&[(1, 0, &[1000, 2000, 100, 0]), (2, 0, &[3000, 500, 100, 0]), (10, 1, &[50, 60])]),
        view(&[(1, 0, &[1010, 2000, 100, 0]), (2, 0, &[2990, 510, 95, 1]), (10, 1, &[50, 60])]),
        view(&[
            (1, 0, &[1020, 1990, 100, 0]),
            (2, 0, &[2980, 520, 95, 1]),
            (40, 2, &[2980, 520, -8, 0, 7]),
        ]),
        view(&[(1, 0, &[1020, 1990, 100, 3]), (2, 0, &[-1, i32::MIN, i32::MAX, 0, 0, 0, 0, 0])]),
        view(&[]),
    ]
}

/// `(file name, bytes)` of every server message type, in a few shapes each.
pub fn server_messages() -> Vec<(String, Vec<u8>)> {
    let players = vec![
        PlayerInfo { player: 1, name: "ada".into(), connected: true },
        PlayerInfo { player: 2, name: "bob".into(), connected: false },
    ];
    let schema = vec![
        EntityKindSchema {
            kind: "player".into(),
            fields: ["x", "y", "hp", "score"].map(String::from).to_vec(),
        },
        EntityKindSchema { kind: "pickup".into(), fields: vec!["x".into(), "y".into()] },
    ];
    let match_found = |code: Option<&str>| {
        ServerMessage::MatchFound(MatchFound {
            lobby: 7,
            player: 1,
            mode: "arena".into(),
            game: "arena".into(),
            state: "waiting".into(),
            tick_hz: 30,
            max_players: 4,
            roster: players.clone(),
            schema: schema.clone(),
            code: code.map(Into::into),
            send_hz: None,
        })
    };
    let mut out: Vec<(String, Vec<u8>)> = [
        (
            "welcome",
            ServerMessage::Welcome(Welcome {
                session: 42,
                protocol: PROTOCOL_VERSION,
                player: 1,
                server: "tickwave/0.1.0".into(),
                heartbeat_ms: 5000,
                timeout_ms: 15000,
                modes: vec!["arena".into(), "duel".into()],
                resume: Some("v1.AAECAwQFBgc.c2ln".into()),
                resumed: false,
                seat_held: false,
            }),
        ),
        (
            "error",
            ServerMessage::Error {
                code: ErrorCode::UnknownMode,
                message: "no mode \"x\"".into(),
                fatal: false,
            },
        ),
        (
            "error_fatal",
            ServerMessage::Error {
                code: ErrorCode::ProtocolVersion,
                message: "protocol 2 is not supported".into(),
                fatal: true,
            },
        ),
        ("rtt", ServerMessage::Rtt(RttReport { rtt_ms: 23.5, jitter_ms: 1.25, last_ms: 22.0 })),
        ("queued", ServerMessage::Queued { mode: "arena".into(), waiting: 3 }),
        ("match_cancelled", ServerMessage::MatchCancelled { reason: "cancelled".into() }),
        ("match_found", match_found(None)),
        ("match_found_private", match_found(Some("K7QX2M"))),
        (
            "roster",
            ServerMessage::Roster(Roster {
                lobby: 7,
                players: players.clone(),
                joined: vec![2],
                left: vec![],
            }),
        ),
        (
            "lobby_state",
            ServerMessage::LobbyState(LobbyState {
                lobby: 7,
                state: "starting".into(),
                remaining_ms: Some(3000),
                tick: 0,
            }),
        ),
        (
            "results",
            ServerMessage::Results {
                lobby: 7,
                scores: vec![
                    ScoreLine { player: 1, name: "ada".into(), score: 12 },
                    ScoreLine { player: 2, name: "bob".into(), score: -3 },
                ],
            },
        ),
        ("lobby_closed", ServerMessage::LobbyClosed { lobby: 7, reason: "finished".into() }),
        ("chat", ServerMessage::Chat { from: 1, name: "ada".into(), text: "gg".into(), tick: 900 }),
        (
            "notice",
            ServerMessage::Notice { severity: "warning".into(), text: "restart in 5 min".into() },
        ),
        (
            "redirect",
            ServerMessage::Redirect {
                url: "wss://node-2.example.com/ws".into(),
                reservation: "r1.eyJub2RlIjoibjIifQ.c2ln".into(),
            },
        ),
    ]
    .into_iter()
    .map(|(n, m)| (n.to_owned(), encode_server(&m).to_vec()))
    .collect();

    let s = states();
    for (i, v) in s.iter().enumerate() {
        out.push((
            format!("snapshot_{i}"),
            encode_snapshot(100 + i as u64, &[(1, 9), (2, 4)], v).to_vec(),
        ));
    }
    for (i, w) in s.windows(2).enumerate() {
        let d = w[0].diff(&w[1]);
        let (tick, base) = (101 + i as u64, 100 + i as u64);
        out.push((
            format!("delta_{i}"),
            encode_delta(tick, base, &[(1, 10 + i as u64)], &d).to_vec(),
        ));
    }
    out.push(("delta_empty".into(), encode_delta(200, 199, &[], &Delta::default()).to_vec()));
    out
}

/// Two larger consecutive states (40 entities, every field count from 0 to 8), from a fixed
/// pseudo-random sequence: most entities move, some vanish, some appear.
pub fn big_states() -> (WorldView, WorldView) {
    let mut x: u32 = 0x9e37_79b9;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    for id in 0..48u32 {
        let len = (id % 9) as usize;
        let fields: Vec<i32> = (0..len).map(|_| (next() % 20_000) as i32 - 10_000).collect();
        let kind = (id % 3) as u8;
        if id < 40 {
            a.push(Entity::new(id, kind, &fields));
        }
        match next() % 8 {
            0 if id < 40 => {} // removed
            1 | 2 => b.push(Entity::new(id, kind, &fields)),
            _ if id >= 40 || next() % 2 == 0 => {
                let moved: Vec<i32> =
                    fields.iter().map(|f| if next() % 2 == 0 { f + 7 } else { *f }).collect();
                b.push(Entity::new(id, kind, &moved));
            }
            _ => b.push(Entity::new(id, kind, &fields)),
        }
    }
    (
        WorldView::from_entities(a).expect("distinct ids"),
        WorldView::from_entities(b).expect("distinct ids"),
    )
}

/// Inputs of the `delta_apply` target: `[n: u16 LE][snapshot: n bytes][delta]`.
pub fn delta_pairs() -> Vec<(String, Vec<u8>)> {
    let s = states();
    let mut out = Vec::new();
    let mut pair = |name: String, base_tick: u64, base: &WorldView, next: &WorldView| {
        let snap = encode_snapshot(base_tick, &[(1, 3)], base);
        let delta = encode_delta(base_tick + 1, base_tick, &[(1, 4)], &base.diff(next));
        let mut b = (snap.len() as u16).to_le_bytes().to_vec();
        b.extend_from_slice(&snap);
        b.extend_from_slice(&delta);
        out.push((name, b));
    };
    for i in 0..s.len() {
        for j in 0..s.len() {
            if i != j && (j == i + 1 || i == 0 || j == 0) {
                pair(format!("pair_{i}_{j}"), 100 + i as u64, &s[i], &s[j]);
            }
        }
    }
    let (a, b) = big_states();
    pair("big_a_b".into(), 500, &a, &b);
    pair("big_b_a".into(), 600, &b, &a);
    out
}
