//! Issue 2: transport, handshake, protocol errors, heartbeats, timeouts, shutdown — all over
//! real TLS WebSockets against a server on port 0.

mod common;

use common::*;
use futures_util::SinkExt;
use std::time::{Duration, Instant};
use tickwave_bots::connect_stream;
use tickwave_protocol::{ClientMessage, ErrorCode, Hello, ServerMessage, close};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn hello_gets_welcome() {
    let s = start().await;
    let (_c, w) = s.client("ada").await;
    assert_eq!(w.protocol, 1);
    assert!(w.session > 0 && w.player > 0);
    assert!(w.server.starts_with("tickwave/"));
    assert_eq!((w.heartbeat_ms, w.timeout_ms), (1000, 5000));
    assert!(w.modes.contains(&"arena".to_string()));
    s.eventually(SEC, "one session", |srv| srv.session_count() == 1).await;
}

/// Expect an error message with `code`, then a close frame with `close_code`.
async fn expect_refusal(c: &mut tickwave_bots::Client, code: ErrorCode, close_code: u16) {
    match c.recv_timeout(5 * SEC).await {
        Ok(ServerMessage::Error { code: got, fatal, .. }) => {
            assert_eq!(got, code);
            assert!(fatal, "a refusal is fatal");
        }
        other => panic!("expected error {code}, got {other:?}"),
    }
    let closed = c.closed(5 * SEC).await.expect("close in time");
    assert_eq!(closed.map(|(c, _)| c), Some(close_code));
}

#[tokio::test]
async fn wrong_protocol_version_is_refused_with_1002() {
    let s = start().await;
    let mut c = s.connect().await;
    c.send(&ClientMessage::Hello(Hello {
        protocol: 99,
        name: "x".into(),
        token: None,
        resume: None,
        last_tick: None,
        reservation: None,
    }))
    .await
    .unwrap();
    expect_refusal(&mut c, ErrorCode::ProtocolVersion, close::PROTOCOL_ERROR).await;
}

#[tokio::test]
async fn first_message_must_be_hello() {
    let s = start().await;
    let mut c = s.connect().await;
    c.send(&find("arena")).await.unwrap();
    expect_refusal(&mut c, ErrorCode::ExpectedHello, close::PROTOCOL_ERROR).await;
}

#[tokio::test]
async fn invalid_names_are_refused() {
    let s = start().await;
    for name in ["", "a\u{7}b", &"x".repeat(33)] {
        let mut c = s.connect().await;
        c.send(&ClientMessage::Hello(Hello {
            protocol: 1,
            name: name.into(),
            token: None,
            resume: None,
            last_tick: None,
            reservation: None,
        }))
        .await
        .unwrap();
        expect_refusal(&mut c, ErrorCode::InvalidName, close::INVALID_PAYLOAD).await;
    }
}

/// Counts rtt messages a well-behaved client receives in `d`.
async fn rtt_messages_during(c: &mut tickwave_bots::Client, d: Duration) -> usize {
    let end = Instant::now() + d;
    let mut n = 0;
    while Instant::now() < end {
        if let Ok(ServerMessage::Rtt(_)) = c.recv_timeout(end - Instant::now()).await {
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn bad_input_closes_only_the_offender() {
    let s = start_with(|c| c.heartbeat_interval = Duration::from_millis(200)).await;
    let (mut good, _) = s.client("good").await;

    let cases: Vec<(&str, Message, ErrorCode, u16)> = vec![
        (
            "garbage",
            Message::Binary(vec![0xc1, 0xff, 0x00, 0x13].into()),
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
        (
            "text",
            Message::Text("{\"type\":\"hello\"}".into()),
            ErrorCode::TextFrame,
            close::UNSUPPORTED_DATA,
        ),
        (
            "unknown type",
            Message::Binary(
                rmp_serde::to_vec_named(&serde_json::json!({"type": "teleport", "x": 1}))
                    .unwrap()
                    .into(),
            ),
            ErrorCode::UnknownType,
            close::UNSUPPORTED_DATA,
        ),
        (
            "wrong field type",
            Message::Binary(
                rmp_serde::to_vec_named(
                    &serde_json::json!({"type": "input", "seq": "one", "dx": 0, "dy": 0}),
                )
                .unwrap()
                .into(),
            ),
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
        (
            "oversized",
            Message::Binary(vec![0u8; 64 * 1024].into()),
            ErrorCode::TooLarge,
            close::MESSAGE_TOO_BIG,
        ),
    ];
    for (what, msg, code, close_code) in cases {
        let (mut bad, _) = s.client(what).await;
        bad.ws.send(msg).await.unwrap();
        expect_refusal(&mut bad, code, close_code).await;
        // The well-behaved client keeps its heartbeat and rtt reports throughout.
        assert!(
            rtt_messages_during(&mut good, Duration::from_millis(700)).await >= 2,
            "after {what}"
        );
    }
    s.eventually(2 * SEC, "only the good session left", |srv| srv.session_count() == 1).await;
}

#[tokio::test]
async fn rtt_is_measured_and_reported() {
    let s = start_with(|c| c.heartbeat_interval = Duration::from_millis(100)).await;
    let (mut c, _) = s.client("pinger").await;
    let mut reports = Vec::new();
    while reports.len() < 5 {
        if let ServerMessage::Rtt(r) = c.recv_timeout(2 * SEC).await.unwrap() {
            reports.push(r);
        }
    }
    for r in &reports {
        assert!(r.rtt_ms > 0.0 && r.rtt_ms < 200.0, "loopback rtt {r:?}");
        assert!(r.last_ms > 0.0 && r.jitter_ms >= 0.0);
    }
}

#[tokio::test]
async fn rtt_arrives_at_least_every_two_seconds_by_default() {
    let s = start().await;
    let (mut c, _) = s.client("waiter").await;
    let t0 = Instant::now();
    for _ in 0..2 {
        c.recv_until(2500 * std::time::Duration::from_millis(1), "rtt", |m| {
            matches!(m, ServerMessage::Rtt(_)).then_some(())
        })
        .await
        .unwrap();
    }
    assert!(t0.elapsed() < Duration::from_millis(4500));
}

/// A client frame (masked, as RFC 6455 requires of clients).
fn masked_binary(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mask = [0x11, 0x22, 0x33, 0x44];
    let mut f = vec![0x82, 0x80 | payload.len() as u8];
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

const UPGRADE: &str = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[tokio::test]
async fn silent_client_is_closed_by_heartbeat_timeout_and_freed() {
    let s = start_with(|c| {
        c.heartbeat_interval = Duration::from_millis(200);
        c.heartbeat_timeout = Duration::from_millis(1000);
    })
    .await;
    // Raw TLS: upgrade and hello by hand, then never read again (so never pong).
    let mut raw = connect_stream(&s.url, &s.check).await.unwrap();
    raw.write_all(UPGRADE.as_bytes()).await.unwrap();
    let hello = rmp_serde::to_vec_named(
        &serde_json::json!({"type": "hello", "protocol": 1, "name": "mute"}),
    )
    .unwrap();
    raw.write_all(&masked_binary(&hello)).await.unwrap();
    s.eventually(2 * SEC, "the session to register", |srv| srv.session_count() == 1).await;
    let t0 = Instant::now();
    s.eventually(5 * SEC, "the silent session to be freed", |srv| srv.session_count() == 0).await;
    let took = t0.elapsed();
    assert!(took <= Duration::from_millis(2500), "freed after {took:?} with a 1 s timeout");
    s.eventually(5 * SEC, "its connection to close", |srv| srv.connection_count() == 0).await;
    drop(raw);
}

#[tokio::test]
async fn tcp_that_never_speaks_is_dropped_by_handshake_timeout() {
    let s = start_with(|c| c.handshake_timeout = Duration::from_millis(500)).await;
    let mut tcp = tokio::net::TcpStream::connect(s.server.local_addr()).await.unwrap();
    s.eventually(SEC, "the connection to count", |srv| srv.connection_count() == 1).await;
    let t0 = Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(5 * SEC, tcp.read(&mut buf)).await.expect("dropped in time");
    assert!(matches!(n, Ok(0) | Err(_)), "connection should be closed, read {n:?}");
    assert!(t0.elapsed() < Duration::from_millis(1500));
    s.eventually(SEC, "the count to return to 0", |srv| srv.connection_count() == 0).await;
}

#[tokio::test]
async fn upgraded_but_no_hello_is_dropped_by_handshake_timeout() {
    let s = start_with(|c| c.handshake_timeout = Duration::from_millis(500)).await;
    let mut c = s.connect().await;
    let closed = c.closed(3 * SEC).await.expect("dropped in time");
    // No close frame is owed to a peer that never said hello; the socket is just dropped.
    assert!(closed.is_none() || closed.unwrap().0 != 1000);
    s.eventually(SEC, "the count to return to 0", |srv| srv.connection_count() == 0).await;
}

#[tokio::test]
async fn shutdown_sends_1001_to_every_session() {
    let s = start().await;
    let (mut a, _) = s.client("a").await;
    let (mut b, _) = s.client("b").await;
    a.send(&find("arena_v1")).await.unwrap();
    let t0 = Instant::now();
    let TestServer { server, _dir, .. } = s;
    let stopping = tokio::spawn(server.shutdown());
    for c in [&mut a, &mut b] {
        let (code, reason) = c.closed(5 * SEC).await.unwrap().expect("a close frame");
        assert_eq!(code, close::GOING_AWAY);
        assert_eq!(reason, "server shutting down");
    }
    stopping.await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
}

async fn http(s: &TestServer, req: &str) -> String {
    let mut raw = connect_stream(&s.url, &s.check).await.unwrap();
    raw.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(2 * SEC, async {
        let mut buf = [0u8; 1024];
        while let Ok(n) = raw.read(&mut buf).await {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if out.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn plain_http_gets_clear_answers() {
    let s = start().await;
    let r = http(&s, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 426"), "{r}");
    assert!(r.to_ascii_lowercase().contains("upgrade: websocket"), "{r}");
    let r = http(&s, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    let r = http(&s, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 426") && r.contains("sec-websocket-version: 13"), "{r}");
    let r = http(&s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let r = http(&s, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");
}

#[tokio::test]
async fn plain_mode_serves_ws_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.tls = tickwave::TlsMode::Plain;
    let server = tickwave::Server::start(cfg).await.unwrap();
    assert!(server.cert_fingerprint().is_none());
    let url = format!("ws://{}/ws", server.local_addr());
    let (_c, w) = tickwave_bots::Client::join(&url, &tickwave_bots::CertCheck::Insecure, "plain")
        .await
        .unwrap();
    assert_eq!(w.protocol, 1);
}

#[tokio::test]
async fn wrong_pin_is_refused_by_the_client() {
    let s = start().await;
    let bad = tickwave_bots::CertCheck::Pin("00".repeat(32));
    assert!(tickwave_bots::Client::connect(&s.url, &bad).await.is_err());
}
