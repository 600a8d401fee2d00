//! Golden MessagePack files for the TypeScript SDK, written by the Rust protocol crate.
//!
//! The SDK in `protocol/ts` is a second implementation of the wire protocol. To catch the two
//! drifting apart, this program is the single source of example bytes:
//!
//! ```text
//! tickwave-golden-gen write DIR       write DIR/*.bin and DIR/manifest.json
//! tickwave-golden-gen verify DIR      fail when DIR differs from what the crate writes now
//! tickwave-golden-gen check-sdk DIR   decode the SDK's encodings DIR/client.<case>.bin with the
//!                                     crate and compare them with the same cases
//! ```
//!
//! `verify` catches a change on the Rust side (the committed files no longer match), the SDK's
//! node tests catch a change on the TypeScript side (it no longer decodes the files to the
//! manifest's values, or no longer encodes client messages to the same bytes), and
//! `check-sdk` makes the Rust decoder the judge of what the SDK sends.
//!
//! Every message type and error code must appear here: the exhaustive `match`es below stop
//! compiling when the crate gains a variant, which is the reminder to add a case.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tickwave_protocol::{
    CLIENT_TYPES, ClientMessage, Entity, EntityKindSchema, ErrorCode, Hello, Input, LobbyState,
    MatchFound, PROTOCOL_VERSION, PlayerInfo, Roster, RttReport, SERVER_TYPES, ScoreLine,
    ServerMessage, StateDelta, StateSnapshot, Welcome, WorldView, decode_client, decode_server,
    encode_client, encode_delta, encode_server, encode_snapshot,
};

/// One client message example. `sdk_bytes_equal` is false where the SDK's bytes may
/// legitimately differ (see `note`); the decoded values must still be equal.
struct ClientCase {
    name: &'static str,
    msg: ClientMessage,
    sdk_bytes_equal: bool,
    note: &'static str,
}

fn server_type(m: &ServerMessage) -> &'static str {
    // No wildcard: a new variant in the crate must be named (and given a case) here.
    match m {
        ServerMessage::Welcome(_) => "welcome",
        ServerMessage::Error { .. } => "error",
        ServerMessage::Rtt(_) => "rtt",
        ServerMessage::Queued { .. } => "queued",
        ServerMessage::MatchCancelled { .. } => "match_cancelled",
        ServerMessage::MatchFound(_) => "match_found",
        ServerMessage::Roster(_) => "roster",
        ServerMessage::LobbyState(_) => "lobby_state",
        ServerMessage::Snapshot(_) => "snapshot",
        ServerMessage::Delta(_) => "delta",
        ServerMessage::Results { .. } => "results",
        ServerMessage::LobbyClosed { .. } => "lobby_closed",
        ServerMessage::Chat { .. } => "chat",
        ServerMessage::Notice { .. } => "notice",
    }
}

fn client_type(m: &ClientMessage) -> &'static str {
    match m {
        ClientMessage::Hello(_) => "hello",
        ClientMessage::FindMatch { .. } => "find_match",
        ClientMessage::CancelMatch {} => "cancel_match",
        ClientMessage::CreatePrivate { .. } => "create_private",
        ClientMessage::JoinPrivate { .. } => "join_private",
        ClientMessage::Input(_) => "input",
        ClientMessage::Leave {} => "leave",
        ClientMessage::Chat { .. } => "chat",
    }
}

fn all_error_codes() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
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
    ];
    for c in &all {
        // No wildcard: a new code stops this from compiling until it is listed above.
        match c {
            ProtocolVersion | ExpectedHello | Malformed | UnknownType | TextFrame | TooLarge
            | HeartbeatTimeout | InvalidName | ServerShuttingDown | UnknownMode | AlreadyQueued
            | AlreadyInLobby | NotQueued | NotInLobby | UnknownCode | LobbyFull | InvalidInput
            | Overloaded | LobbyFailed | ResumeInvalid | ResumeForeign | ResumeExpired
            | ResumeUsed | SessionReplaced | ServerDraining | Kicked | ChatTooLong
            | ChatRateLimited | ChatInvalid | RateLimited | Abuse | AuthRequired | AuthInvalid
            | AuthExpired => {}
        }
    }
    all
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

fn server_cases() -> Vec<(&'static str, ServerMessage)> {
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
    ]
}

fn client_cases() -> Vec<ClientCase> {
    let hello = |token: Option<&str>, resume: Option<&str>, last_tick: Option<u64>| {
        ClientMessage::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            name: "ada".into(),
            token: token.map(Into::into),
            resume: resume.map(Into::into),
            last_tick,
        })
    };
    let same = |name, msg| ClientCase { name, msg, sdk_bytes_equal: true, note: "" };
    vec![
        same("hello", hello(None, None, None)),
        same(
            "hello_resume",
            hello(Some("secret"), Some("v1.AAAAAAAAAAEAAAAH.c2ln"), Some(4_294_967_296)),
        ),
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

/// Every file `write` produces, by file name.
fn generate() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut server = Vec::new();
    for (name, msg) in server_cases() {
        let bytes = encode_server(&msg).to_vec();
        assert_eq!(decode_server(&bytes).expect("own bytes decode"), msg, "{name}");
        // The hot-path encoders must produce the same bytes as the generic one.
        match &msg {
            ServerMessage::Snapshot(s) => {
                assert_eq!(encode_snapshot(s.tick, &s.acks, &s.entities).to_vec(), bytes, "{name}");
            }
            ServerMessage::Delta(d) => {
                let delta = tickwave_protocol::Delta {
                    added: d.added.clone(),
                    changed: d.changed.clone(),
                    removed: d.removed.clone(),
                };
                assert_eq!(encode_delta(d.tick, d.base, &d.acks, &delta).to_vec(), bytes, "{name}");
            }
            _ => {}
        }
        let file = format!("server.{name}.bin");
        server.push(json!({
            "name": name,
            "type": server_type(&msg),
            "file": file,
            "value": serde_json::to_value(&msg).expect("json"),
        }));
        files.insert(file, bytes);
    }
    let mut client = Vec::new();
    for c in client_cases() {
        let bytes = encode_client(&c.msg).to_vec();
        assert_eq!(decode_client(&bytes).expect("own bytes decode"), c.msg, "{}", c.name);
        let file = format!("client.{}.bin", c.name);
        let mut entry = json!({
            "name": c.name,
            "type": client_type(&c.msg),
            "file": file,
            "value": serde_json::to_value(&c.msg).expect("json"),
            "sdk_bytes_equal": c.sdk_bytes_equal,
        });
        if !c.note.is_empty() {
            entry["note"] = Value::from(c.note);
        }
        client.push(entry);
        files.insert(file, bytes);
    }
    for t in SERVER_TYPES {
        assert!(server.iter().any(|c| c["type"] == *t), "no golden case for server type {t}");
    }
    for t in CLIENT_TYPES {
        assert!(client.iter().any(|c| c["type"] == *t), "no golden case for client type {t}");
    }
    let codes: Vec<Value> = all_error_codes()
        .into_iter()
        .map(|c| json!({"code": c.as_str(), "fatal": c.close_code().is_some(), "close": c.close_code()}))
        .collect();
    let manifest = json!({
        "about": "Written by protocol/ts/golden-gen from the tickwave-protocol crate; do not edit. \
                  Regenerate with tests/sdk.sh --regen-golden.",
        "protocol": PROTOCOL_VERSION,
        "server_types": SERVER_TYPES,
        "client_types": CLIENT_TYPES,
        "error_codes": codes,
        "server": server,
        "client": client,
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("json");
    text.push('\n');
    files.insert("manifest.json".into(), text.into_bytes());
    files
}

fn write(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, bytes) in generate() {
        std::fs::write(dir.join(&name), bytes).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

fn verify(dir: &Path) -> Result<(), String> {
    let want = generate();
    let mut problems = Vec::new();
    for (name, bytes) in &want {
        match std::fs::read(dir.join(name)) {
            Ok(have) if &have == bytes => {}
            Ok(_) => problems.push(format!("{name} differs from what the protocol crate writes")),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if !want.contains_key(&name) {
            problems.push(format!("{name} is not written by the generator (stale?)"));
        }
    }
    if problems.is_empty() {
        println!(
            "golden files in {} match the protocol crate ({} files)",
            dir.display(),
            want.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{}\nthe Rust protocol changed: regenerate with `tests/sdk.sh --regen-golden`, then \
             update the SDK until its tests pass",
            problems.join("\n")
        ))
    }
}

fn check_sdk(dir: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let cases = client_cases();
    for c in &cases {
        let path = dir.join(format!("client.{}.bin", c.name));
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("{}: {e} (did the SDK test write it?)", path.display()));
                continue;
            }
        };
        match decode_client(&bytes) {
            Ok(m) if m == c.msg => {}
            Ok(m) => problems.push(format!("{}: SDK sent {m:?}, expected {:?}", c.name, c.msg)),
            Err(e) => {
                problems.push(format!("{}: the server would refuse the SDK's bytes: {e}", c.name))
            }
        }
        if c.sdk_bytes_equal && bytes != encode_client(&c.msg).to_vec() {
            problems.push(format!(
                "{}: SDK bytes {} differ from the crate's {}",
                c.name,
                hex(&bytes),
                hex(&encode_client(&c.msg))
            ));
        }
    }
    if problems.is_empty() {
        println!("the protocol crate decodes all {} SDK client encodings as expected", cases.len());
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, dir] => {
            let dir = PathBuf::from(dir);
            match cmd.as_str() {
                "write" => write(&dir),
                "verify" => verify(&dir),
                "check-sdk" => check_sdk(&dir),
                _ => Err(format!("unknown command {cmd:?}")),
            }
        }
        _ => Err("usage: tickwave-golden-gen write|verify|check-sdk DIR".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("golden-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
