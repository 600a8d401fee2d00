//! Seeds of the `bots_wire` target: what a bot receives in a session, framed as a server
//! frames it (and in message mode, unframed), plus the frames a client must refuse. Written
//! to fuzz/corpus/bots_wire/ by `cargo run --manifest-path fuzz/Cargo.toml --example seed`.

use super::super::frame::{OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT};
use crate::swarm::rng::Rng;
use tickwave_protocol::{
    Delta, Entity, EntityKindSchema, ErrorCode, LobbyState, MatchFound, PROTOCOL_VERSION,
    PlayerInfo, RttReport, ScoreLine, ServerMessage, Welcome, WorldView, encode_delta,
    encode_server, encode_snapshot,
};

/// How a frame's length is written: the shortest form, or a longer one (which RFC 6455 asks
/// servers not to use, and clients read anyway).
#[derive(Clone, Copy)]
enum Len {
    Short,
    U16,
    U64,
}

fn frame(out: &mut Vec<u8>, op: u8, payload: &[u8], form: Len) {
    out.push(0x80 | op);
    match (form, payload.len()) {
        (Len::Short, n) if n < 126 => out.push(n as u8),
        (Len::Short | Len::U16, n) if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        (_, n) => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// `[mode][me]` and the messages as frames, each in the shortest length form but `long`.
fn framed(mode: u8, me: u8, msgs: &[Vec<u8>], long: &[(usize, Len)]) -> Vec<u8> {
    let mut out = vec![mode, me];
    for (i, m) in msgs.iter().enumerate() {
        let form = long.iter().find(|(j, _)| *j == i).map_or(Len::Short, |(_, f)| *f);
        frame(&mut out, OP_BINARY, m, form);
    }
    out
}

/// `[mode][me]` and the messages one after the other (message mode).
fn unframed(me: u8, msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0x80, me];
    for m in msgs {
        out.extend_from_slice(m);
    }
    out
}

fn view(es: &[(u32, u8, &[i32])]) -> WorldView {
    WorldView::from_entities(es.iter().map(|(i, k, f)| Entity::new(*i, *k, f)).collect())
        .expect("distinct ids")
}

/// A small arena, tick after tick: players move, a pickup goes, a projectile comes, an
/// entity changes shape, extreme values.
fn states() -> Vec<WorldView> {
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

/// Two larger states (40-odd entities, 0 to 8 fields), from a fixed pseudo-random sequence.
fn big_states() -> (WorldView, WorldView) {
    let mut rng = Rng::new(7);
    let mut a = Vec::new();
    let mut b = Vec::new();
    for id in 0..48u32 {
        let len = (id % 9) as usize;
        let mut fields =
            || -> Vec<i32> { (0..len).map(|_| rng.below(20_000) as i32 - 10_000).collect() };
        let (fa, fb) = (fields(), fields());
        if id % 7 != 3 {
            a.push(Entity::new(id, (id % 3) as u8, &fa));
        }
        if id % 5 != 1 {
            b.push(Entity::new(id, (id % 3) as u8, if id % 2 == 0 { &fb } else { &fa }));
        }
    }
    (WorldView::from_entities(a).expect("ids"), WorldView::from_entities(b).expect("ids"))
}

fn server(m: &ServerMessage) -> Vec<u8> {
    encode_server(m).to_vec()
}

/// The messages of one session of player 1: welcome to lobby_closed.
fn session() -> Vec<Vec<u8>> {
    let players = vec![
        PlayerInfo { player: 1, name: "bot-1".into(), connected: true },
        PlayerInfo { player: 2, name: "bot-2".into(), connected: true },
    ];
    let schema = vec![
        EntityKindSchema {
            kind: "player".into(),
            fields: ["x", "y", "hp", "score"].map(String::from).to_vec(),
        },
        EntityKindSchema { kind: "pickup".into(), fields: vec!["x".into(), "y".into()] },
    ];
    let mut out = vec![
        server(&ServerMessage::Welcome(Welcome {
            session: 42,
            protocol: PROTOCOL_VERSION,
            player: 1,
            server: "tickwave/0.1.0".into(),
            heartbeat_ms: 5000,
            timeout_ms: 15000,
            modes: vec!["arena".into()],
            resume: Some("v1.AAECAwQFBgc.c2ln".into()),
            resumed: false,
            seat_held: false,
        })),
        server(&ServerMessage::Queued { mode: "arena".into(), waiting: 1 }),
        server(&ServerMessage::MatchFound(MatchFound {
            lobby: 7,
            player: 1,
            mode: "arena".into(),
            game: "arena".into(),
            state: "starting".into(),
            tick_hz: 30,
            max_players: 4,
            roster: players,
            schema,
            code: None,
            send_hz: None,
        })),
        server(&ServerMessage::LobbyState(LobbyState {
            lobby: 7,
            state: "running".into(),
            remaining_ms: None,
            tick: 100,
        })),
    ];
    let s = states();
    out.push(encode_snapshot(100, &[(1, 9), (2, 4)], &s[0]).to_vec());
    for (i, w) in s.windows(2).enumerate() {
        let tick = 101 + i as u64;
        out.push(
            encode_delta(tick, tick - 1, &[(1, 10 + i as u64), (2, 5)], &w[0].diff(&w[1])).to_vec(),
        );
        if i == 1 {
            out.push(server(&ServerMessage::Rtt(RttReport {
                rtt_ms: 23.5,
                jitter_ms: 1.25,
                last_ms: 22.0,
            })));
            out.push(server(&ServerMessage::Chat {
                from: 2,
                name: "bot-2".into(),
                text: "bot 2 line 1".into(),
                tick: 102,
            }));
        }
    }
    out.push(encode_delta(105, 104, &[], &Delta::default()).to_vec());
    out.push(server(&ServerMessage::Error {
        code: ErrorCode::ChatRateLimited,
        message: "slow down".into(),
        fatal: false,
    }));
    out.push(server(&ServerMessage::Results {
        lobby: 7,
        scores: vec![ScoreLine { player: 1, name: "bot-1".into(), score: 3 }],
    }));
    out.push(server(&ServerMessage::LobbyClosed { lobby: 7, reason: "finished".into() }));
    out
}

/// State messages a bot must refuse, then a snapshot that resyncs it.
fn resync() -> Vec<Vec<u8>> {
    let s = states();
    let acks = [(2u32, 3u64)];
    vec![
        encode_snapshot(50, &acks, &s[1]).to_vec(),
        // Against a base the bot does not hold, then backwards.
        encode_delta(52, 49, &acks, &s[1].diff(&s[2])).to_vec(),
        encode_delta(50, 49, &acks, &s[1].diff(&s[2])).to_vec(),
        // Against another state: changes and removals of entities the bot does not hold.
        encode_delta(51, 50, &acks, &s[3].diff(&s[4])).to_vec(),
        encode_delta(51, 50, &acks, &s[2].diff(&s[1])).to_vec(),
        encode_snapshot(60, &acks, &s[2]).to_vec(),
        encode_delta(61, 60, &acks, &s[2].diff(&s[3])).to_vec(),
    ]
}

/// Messages laid out otherwise than the server writes them: `"type"` last, unknown fields.
fn other_layouts() -> Vec<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct LateRtt {
        rtt_ms: f64,
        jitter_ms: f64,
        last_ms: f64,
        r#type: &'static str,
    }
    #[derive(serde::Serialize)]
    struct ChatExtra {
        r#type: &'static str,
        tick: u64,
        extra: Vec<u8>,
        from: u32,
        name: &'static str,
        text: &'static str,
    }
    #[derive(serde::Serialize)]
    struct LateSnapshot {
        tick: u64,
        entities: Vec<(u32, u8, Vec<i32>)>,
        acks: std::collections::BTreeMap<u32, u64>,
        r#type: &'static str,
    }
    vec![
        named(&LateRtt { rtt_ms: 1.0, jitter_ms: 0.0, last_ms: f64::NAN, r#type: "rtt" }),
        named(&ChatExtra {
            r#type: "chat",
            tick: 9,
            extra: vec![1, 2, 3],
            from: 3,
            name: "c",
            text: "hi",
        }),
        named(&LateSnapshot {
            tick: 7,
            entities: vec![(5, 1, vec![1, 2]), (2, 0, vec![])],
            acks: [(1, 2), (3, 4)].into(),
            r#type: "snapshot",
        }),
    ]
}

fn named<T: serde::Serialize>(v: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(v).expect("encodes")
}

/// `(name, bytes)` of every seed.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let session = session();
    let (a, b) = big_states();
    let big = vec![
        encode_snapshot(1, &[(1, 1)], &a).to_vec(),
        encode_delta(2, 1, &[(1, 2)], &a.diff(&b)).to_vec(),
        encode_delta(3, 2, &[(1, 3)], &b.diff(&a)).to_vec(),
    ];
    let mut control = vec![0x27, 1];
    frame(&mut control, OP_PING, b"12345678", Len::Short);
    frame(&mut control, OP_BINARY, &session[4], Len::Short);
    frame(&mut control, OP_PONG, &[], Len::Short);
    frame(&mut control, OP_TEXT, b"{}", Len::Short);
    frame(&mut control, OP_CLOSE, &1000u16.to_be_bytes(), Len::Short);
    // Frames a client refuses, each after a good one.
    let refused = |name: &str, bad: &[u8]| {
        let mut s = vec![0x02, 1];
        frame(&mut s, OP_BINARY, &session[1], Len::Short);
        s.extend_from_slice(bad);
        (format!("refused_{name}"), s)
    };
    vec![
        ("session".into(), framed(0x16, 1, &session, &[(2, Len::U16)])),
        ("session_bytewise".into(), framed(0x00, 2, &session, &[(4, Len::U64), (5, Len::U16)])),
        ("resync".into(), framed(0x35, 2, &resync(), &[])),
        ("big_state".into(), framed(0x07, 1, &big, &[])),
        ("control_frames".into(), control),
        ("messages_session".into(), unframed(1, &session)),
        ("messages_resync".into(), unframed(2, &resync())),
        ("messages_other_layouts".into(), unframed(3, &other_layouts())),
        refused("masked", &[0x82, 0x81, 1, 2, 3, 4, 0x90]),
        refused("reserved_bits", &[0xc2, 0x01, 0x90]),
        refused("fragmented", &[0x02, 0x01, 0x90]),
        refused("opcode", &[0x83, 0x00]),
        refused("too_large", &[0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 1]),
        refused("control_too_large", &[0x89, 126, 0, 126]),
    ]
}
