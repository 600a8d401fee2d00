//! Issue 13 ("every documented promise holds"), the wire-contract items: what README.md and
//! PROTOCOL.md promise about limits, inputs, resume tokens, reservations, game views and
//! display text, checked over real TLS WebSockets against a server on port 0 (item 6, the
//! text of PROTOCOL.md, is tests/protocol_doc.rs).

mod common;

use common::raw::*;
use common::*;
use std::time::{Duration, Instant};
use tickwave::game::arena::Arena;
use tickwave::game::{Game, GameSettings};
use tickwave_bots::{Client, LocalState, connect_stream};
use tickwave_protocol::{
    ClientMessage, Entity, EntityKindSchema, ErrorCode, Hello, Input, ServerMessage, WorldView,
    close,
};
use tokio::io::AsyncWriteExt;

/// README: 20 new connections per second per address, burst 40 (here 2/s, burst 4, to keep
/// the test short). Connections that close at once must not earn a fresh burst each time
/// the server sweeps its table (every second): bursts of attempts every 1.1 s.
#[tokio::test]
async fn the_per_address_rate_holds_for_connections_that_close_at_once() {
    let s = start_with(|c| {
        c.ip.exempt_loopback = false;
        c.ip.max_per_ip = 64;
        c.ip.rate_per_sec = 2.0;
        c.ip.burst = 4;
    })
    .await;
    let t0 = Instant::now();
    let mut admitted = 0u32;
    for burst in 0..6u32 {
        tokio::time::sleep_until((t0 + Duration::from_millis(1100) * burst).into()).await;
        for _ in 0..10 {
            // Admitted connections complete TLS; refused ones are closed before it.
            if let Ok(stream) = connect_stream(&s.url, &s.check).await {
                admitted += 1;
                drop(stream);
            }
        }
    }
    let allowed = 4.0 + 2.0 * t0.elapsed().as_secs_f64();
    assert!(admitted >= 4, "the burst is admitted ({admitted})");
    assert!(
        f64::from(admitted) <= allowed,
        "admitted {admitted} connections; the contract allows {allowed:.1}"
    );
}

/// PROTOCOL.md §8: at most 240 frames/s of any kind (burst 480), continuations included;
/// more than 600 refused in 5 s close with `abuse`. One input message split over 10,000
/// empty continuation frames is a flood of frames, however small the message. Before
/// `hello`, more than 480 frames close the connection at once.
#[tokio::test]
async fn a_flood_of_continuation_frames_is_rate_limited_then_closed_as_abuse() {
    let s = start().await;
    let mut raw = raw_session(&s).await;
    let input = named(serde_json::json!({"type": "input", "seq": 1, "dx": 1.0, "dy": 0.0}));
    let (head, tail) = input.split_at(5);
    let mut flood = frame(2, false, head);
    for _ in 0..10_000 {
        flood.extend(frame(0, false, &[]));
    }
    flood.extend(frame(0, true, tail));
    let _ = raw.write_all(&flood).await; // the server may close before it has read it all
    let (msgs, code) = raw_until_close(&mut raw).await;
    let codes: Vec<ErrorCode> = msgs
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect();
    let rate = codes.iter().position(|c| *c == ErrorCode::RateLimited);
    let abuse = codes.iter().position(|c| *c == ErrorCode::Abuse);
    assert!(rate.is_some() && rate < abuse, "rate_limited, then abuse: {codes:?}");
    assert_eq!(code, Some(close::POLICY_VIOLATION));

    // A message in a few fragments is fine.
    let mut raw = raw_session(&s).await;
    let find = named(serde_json::json!({"type": "find_match", "mode": "nope"}));
    let mut frags = Vec::new();
    for (i, part) in find.chunks(4).enumerate() {
        let last = (i + 1) * 4 >= find.len();
        frags.extend(frame(if i == 0 { 2 } else { 0 }, last, part));
    }
    raw.write_all(&frags).await.unwrap();
    let mut r = FrameReader::new();
    let answer = loop {
        match r.next(&mut raw, 5 * SEC).await.expect("an answer") {
            ServerFrame::Message(ServerMessage::Error { code, .. }) => break code,
            ServerFrame::Close(c) => panic!("closed with {c:?}"),
            _ => {}
        }
    };
    assert_eq!(answer, ErrorCode::UnknownMode, "the fragmented message was read as one");

    // Before hello the budget is the burst (480 frames) in all.
    let mut raw = raw_upgraded(&s).await;
    let pings: Vec<u8> = (0..1000).flat_map(|_| frame(9, true, b"p")).collect();
    let _ = raw.write_all(&pings).await;
    let (msgs, code) = raw_until_close(&mut raw).await;
    assert!(
        matches!(&msgs[..], [ServerMessage::Error { code: ErrorCode::Abuse, fatal: true, .. }]),
        "{msgs:?}"
    );
    assert_eq!(code, Some(close::POLICY_VIOLATION));
}

/// The player's own entity (arena: fields x, y, score, boost).
fn own(st: &LocalState, me: u32) -> Option<(i32, i32)> {
    st.view.get(me).map(|e| (e.field(0), e.field(1)))
}

/// Receive and apply state until `f` holds for it; fails on any error message.
async fn state_until(
    c: &mut Client,
    st: &mut LocalState,
    what: &'static str,
    f: impl Fn(&LocalState) -> bool,
) {
    let end = Instant::now() + 5 * SEC;
    while !f(st) {
        let left = end.checked_duration_since(Instant::now()).unwrap_or_else(|| panic!("{what}"));
        match c.recv_timeout(left).await {
            Ok(ServerMessage::Error { code, message, .. }) => panic!("{what}: {code}: {message}"),
            Ok(m) => {
                st.apply(&m).expect("state applies");
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

#[derive(serde::Serialize)]
struct F64Input {
    r#type: &'static str,
    seq: u64,
    dx: f64,
    dy: f64,
}

/// PROTOCOL.md §8: `dx`/`dy` are clamped to [-1, 1]; only NaN and infinities are refused.
/// A finite float64 beyond f32's range (1e300) is a full-speed move, not `invalid_input`.
#[tokio::test]
async fn finite_float64_directions_beyond_f32_are_clamped() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    let (mut c, w) = s.client("far").await;
    let me = w.player;
    c.send(&find("arena")).await.unwrap();
    match_found(&mut c).await;
    let mut st = LocalState::default();
    state_until(&mut c, &mut st, "own entity", |st| own(st, me).is_some()).await;
    let (x0, y0) = own(&st, me).unwrap();
    // Away from the nearest walls, so that 10 ticks of movement show.
    let (sx, sy) = (if x0 < 5000 { 1.0 } else { -1.0 }, if y0 < 5000 { 1.0 } else { -1.0 });
    let i = F64Input { r#type: "input", seq: 1, dx: sx * 1e300, dy: sy * 1e300 };
    c.send_raw(rmp_serde::to_vec_named(&i).unwrap()).await.unwrap();
    state_until(&mut c, &mut st, "ack 1", |st| st.ack(me) == Some(1)).await;
    let ((x1, y1), t1) = (own(&st, me).unwrap(), st.tick.unwrap());
    state_until(&mut c, &mut st, "10 ticks", |st| st.tick.unwrap() >= t1 + 10).await;
    let (x2, y2) = own(&st, me).unwrap();
    // Clamped to (±1, ±1), a diagonal normalised to length 1: 46 or 47 per tick and axis.
    for (d, v) in [(x2 - x1, sx), (y2 - y1, sy)] {
        assert!(d.signum() as f64 == v && d.abs() >= 10 * 46, "moved {d} in 10 ticks");
    }
    // NaN and infinities are still refused.
    for (seq, dx) in [(2, f64::NAN), (3, f64::INFINITY)] {
        let i = F64Input { r#type: "input", seq, dx, dy: 0.0 };
        c.send_raw(rmp_serde::to_vec_named(&i).unwrap()).await.unwrap();
        assert_eq!(next_error(&mut c).await, ErrorCode::InvalidInput);
    }
}

fn resume_hello(name: &str, token: String) -> ClientMessage {
    ClientMessage::Hello(Hello { resume: Some(token), ..Client::plain_hello(name) })
}

/// A fatal refusal of a `hello`: the error code, then close 1008.
async fn refused_hello(s: &TestServer, hello: ClientMessage) -> ErrorCode {
    let mut c = s.connect().await;
    c.send(&hello).await.unwrap();
    let code = match c.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Error { code, fatal: true, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let closed = c.closed(5 * SEC).await.unwrap().map(|c| c.0);
    assert_eq!(closed, Some(close::POLICY_VIOLATION), "{code}");
    code
}

/// PROTOCOL.md §4: a tampered token is `resume_invalid`, whichever byte was changed (the
/// MAC is checked before any field is read, the server id included), and the real token
/// still works afterwards.
#[tokio::test]
async fn every_tampered_resume_token_is_resume_invalid() {
    let s = start().await;
    let (mut a, w) = s.client("a").await;
    let token = w.resume.clone().unwrap();
    for i in 0..token.len() {
        let mut b = token.clone().into_bytes();
        b[i] ^= 0x01;
        let tampered = String::from_utf8(b).unwrap();
        let code = refused_hello(&s, resume_hello("a", tampered.clone())).await;
        assert_eq!(code, ErrorCode::ResumeInvalid, "byte {i} flipped: {tampered}");
    }
    // None of it touched the player: the genuine token resumes it.
    let mut c = s.connect().await;
    c.send(&resume_hello("a", token)).await.unwrap();
    match c.recv_timeout(5 * SEC).await.unwrap() {
        ServerMessage::Welcome(w2) => assert!(w2.resumed && w2.player == w.player),
        other => panic!("{other:?}"),
    }
    assert_eq!(next_error(&mut a).await, ErrorCode::SessionReplaced);
}

/// PROTOCOL.md §4: `reservation_invalid` when "this server is not in cluster mode".
#[tokio::test]
async fn a_reservation_on_a_server_without_cluster_is_reservation_invalid() {
    let s = start().await;
    let hello = ClientMessage::Hello(Hello {
        reservation: Some("r1.AAAA.AAAA".into()),
        ..Client::plain_hello("a")
    });
    assert_eq!(refused_hello(&s, hello).await, ErrorCode::ReservationInvalid);
}

/// Ways a game's view can break its schema.
#[derive(Clone, Copy, Debug)]
enum Breakage {
    UnknownKind,
    FieldCount,
    DuplicateId,
}

/// The arena, until an input with `dx == 0.25`: from then on its view breaks the schema.
struct Broken {
    inner: Arena,
    how: Breakage,
    broken: Option<u32>,
}

/// The id of the entity a broken view adds.
const BAD_ID: u32 = 4242;

impl Game for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn schema(&self) -> Vec<EntityKindSchema> {
        self.inner.schema()
    }
    fn add_player(&mut self, p: u32) {
        self.inner.add_player(p)
    }
    fn remove_player(&mut self, p: u32) {
        self.inner.remove_player(p)
    }
    fn apply_input(&mut self, p: u32, i: &Input) {
        if i.dx == 0.25 {
            self.broken = Some(p);
        }
        self.inner.apply_input(p, i)
    }
    fn step(&mut self) {
        self.inner.step()
    }
    fn view(&self, out: &mut WorldView) {
        self.inner.view(out);
        let Some(p) = self.broken else { return };
        out.push(match self.how {
            Breakage::UnknownKind => Entity::new(BAD_ID, 7, &[1, 2]),
            Breakage::FieldCount => Entity::new(BAD_ID, 0, &[1, 2]),
            Breakage::DuplicateId => Entity::new(p, 1, &[1, 2, 3]),
        });
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.inner.scores()
    }
}

/// A view that breaks its schema (unknown kind, wrong number of fields, repeated id) fails
/// its lobby like a panic: `lobby_failed`, `lobby_closed {reason: "lobby failed"}`, never a
/// state message with the bad entity; the session stays usable and other lobbies tick on.
#[tokio::test]
async fn a_view_that_breaks_the_schema_fails_its_lobby_only() {
    let s = start_with(|c| {
        let mut modes = vec![quick_mode("arena", 16, 1)];
        for (name, how) in [
            ("kind", Breakage::UnknownKind),
            ("fields", Breakage::FieldCount),
            ("dupe", Breakage::DuplicateId),
        ] {
            c.games.register(name, move |g: GameSettings| {
                Box::new(Broken { inner: Arena::new(g), how, broken: None })
            });
            let mut m = quick_mode(name, 16, 1);
            m.game = name.into();
            modes.push(m);
        }
        c.modes = modes;
    })
    .await;
    // A player in another lobby counts its deltas throughout.
    let (mut other, _) = s.client("other").await;
    other.send(&find("arena")).await.unwrap();
    let other_lobby = match_found(&mut other).await.lobby;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        let mut st = LocalState::default();
        let t0 = Instant::now();
        while !*stopped.borrow() {
            let m = tokio::select! {
                _ = stopped.changed() => break,
                m = other.recv_timeout(2 * SEC) => m.expect("the other lobby keeps going"),
            };
            st.apply(&m).expect("the other lobby's state applies");
            assert!(!matches!(m, ServerMessage::LobbyClosed { .. }), "{m:?}");
        }
        (st.deltas, t0.elapsed())
    });

    for mode in ["kind", "fields", "dupe"] {
        let (mut c, w) = s.client(mode).await;
        c.send(&find(mode)).await.unwrap();
        let lobby = match_found(&mut c).await.lobby;
        assert_ne!(lobby, other_lobby);
        let mut st = LocalState::default();
        state_until(&mut c, &mut st, "own entity", |st| own(st, w.player).is_some()).await;
        c.send(&input(1, 0.25, 0.0)).await.unwrap();
        let mut failed = false;
        let reason = loop {
            match c.recv_timeout(5 * SEC).await.unwrap() {
                ServerMessage::Error { code: ErrorCode::LobbyFailed, fatal: false, .. } => {
                    failed = true;
                }
                ServerMessage::LobbyClosed { lobby: l, reason } if l == lobby => break reason,
                m => {
                    st.apply(&m).unwrap_or_else(|e| panic!("{mode}: a broken state was sent: {e}"));
                    if let Some(e) = st.view.get(BAD_ID) {
                        panic!("{mode}: the bad entity reached the client: {e:?}");
                    }
                    if let Some(e) = st.view.get(w.player).filter(|e| e.kind != 0) {
                        panic!("{mode}: the player's entity was replaced: {e:?}");
                    }
                }
            }
        };
        assert!(failed, "{mode}: lobby_failed before lobby_closed");
        assert_eq!(reason, "lobby failed", "{mode}");
        // idle and usable
        c.send(&find("arena")).await.unwrap();
        assert_eq!(match_found(&mut c).await.lobby, other_lobby, "{mode}");
    }
    stop.send(true).unwrap();
    let (deltas, took) = watcher.await.unwrap();
    let expected = took.as_secs_f64() * 30.0;
    assert!(deltas as f64 >= expected * 0.8, "the other lobby ticked on: {deltas} in {took:?}");
    assert_eq!((s.server.lobby_bad_views(), s.server.lobby_panics()), (3, 0));
    assert!(s.metric("tickwave_lobby_bad_views_total").await >= 3.0);
}

/// PROTOCOL.md §2, §5.1: display names and chat refuse the characters that reorder or hide
/// text (bidirectional embeddings, overrides and isolates, zero-width and other invisible
/// format characters), as they already refuse control characters.
#[tokio::test]
async fn bidi_and_invisible_characters_are_refused_in_names_and_chat() {
    let s = start_with(|c| c.modes = vec![quick_mode("arena", 16, 1)]).await;
    for name in [
        "ada\u{202E}",
        "\u{2066}ada\u{2069}",
        "a\u{200B}da",
        "\u{FEFF}ada",
        "ad\u{061C}a",
        "\u{3164}",
    ] {
        let mut c = s.connect().await;
        c.send(&ClientMessage::Hello(Client::plain_hello(name))).await.unwrap();
        assert_eq!(next_error(&mut c).await, ErrorCode::InvalidName, "{name:?}");
        assert_eq!(c.closed(5 * SEC).await.unwrap().map(|c| c.0), Some(close::INVALID_PAYLOAD));
    }
    // Emoji with a variation selector, accents and other scripts are fine.
    let (mut c, w) = s.client("Ada ❤\u{FE0F} Łódź ليلى").await;
    c.send(&find("arena")).await.unwrap();
    match_found(&mut c).await;
    for text in ["olleh\u{202E}", "zero\u{200B}width", "hidden\u{2060}joiner", "\u{E0041}tag"] {
        c.send(&ClientMessage::Chat { text: text.into() }).await.unwrap();
        assert_eq!(next_error(&mut c).await, ErrorCode::ChatInvalid, "{text:?}");
    }
    c.send(&ClientMessage::Chat { text: "gg ❤\u{FE0F} مرحبا".into() }).await.unwrap();
    let echo = c
        .recv_until(5 * SEC, "the echo", |m| match m {
            ServerMessage::Chat { from, text, .. } => Some((*from, text.clone())),
            ServerMessage::Error { code, .. } => panic!("{code}"),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(echo, (w.player, "gg ❤\u{FE0F} مرحبا".to_owned()));
}

/// PROTOCOL.md §2.1: a token's `name` claim follows the same rules (`auth_invalid`).
#[tokio::test]
async fn a_token_name_claim_with_a_bidi_override_is_auth_invalid() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    use tickwave::{AuthMode, TokenVerifier};
    const SECRET: &[u8] = b"studio-backend-shared-secret-0123456789";
    let s = start_with(|c| {
        c.auth = AuthMode::Token(Box::new(TokenVerifier::hs256(SECRET, "tickwave").unwrap()));
    })
    .await;
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let claims = serde_json::json!({
        "sub": "p1", "aud": "tickwave", "exp": exp.as_secs() + 60, "name": "admin\u{202E}nimda",
    });
    let token =
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    let hello = ClientMessage::Hello(Hello { token: Some(token), ..Client::plain_hello("ok") });
    assert_eq!(refused_hello(&s, hello).await, ErrorCode::AuthInvalid);
}
