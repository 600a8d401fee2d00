//! Issue 7: the bad-input suite over real wss. Each attack gets a clear error and/or the
//! right close code, and a well-behaved player in the same lobby keeps its tick rate
//! throughout (a watcher counts its deltas per second for the whole test).

mod common;

use common::raw::*;
use common::*;
use futures_util::SinkExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_bots::{Client, LocalState, connect_stream};
use tickwave_protocol::{ClientMessage, ErrorCode, Input, ServerMessage, close};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// A well-behaved player: applies every state message and counts deltas per second.
struct Watcher {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<(Vec<u32>, LocalState, u32)>,
}

async fn watcher(s: &TestServer) -> (Watcher, u32) {
    let (mut c, w) = s.client("watcher").await;
    c.send(&find("arena")).await.unwrap();
    match_found(&mut c).await;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut st = LocalState::default();
        let mut per_sec = vec![0u32];
        let t0 = Instant::now();
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                m = c.recv() => {
                    let m = m.expect("the watcher is never disconnected");
                    st.apply(&m).expect("the watcher's state is always consistent");
                    let sec = t0.elapsed().as_secs() as usize;
                    per_sec.resize(sec + 1, 0);
                    if matches!(m, ServerMessage::Delta(_)) {
                        per_sec[sec] += 1;
                    }
                }
            }
        }
        per_sec.pop(); // the last second is partial
        (per_sec, st, 0)
    });
    (Watcher { stop, task }, w.player)
}

/// A client in the watcher's lobby (arena, backfilled).
async fn offender(s: &TestServer, name: &str) -> (Client, u32) {
    let (mut c, w) = s.client(name).await;
    c.send(&find("arena")).await.unwrap();
    match_found(&mut c).await;
    (c, w.player)
}

async fn refused(c: &mut Client, code: ErrorCode, close_code: u16) {
    let got = c
        .recv_until(10 * SEC, "an error", |m| match m {
            ServerMessage::Error { code, fatal: true, .. } => Some(*code),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(got, code);
    assert_eq!(c.closed(5 * SEC).await.unwrap().map(|c| c.0), Some(close_code), "{code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_never_disturbs_other_players() {
    let s = Arc::new(
        start_with(|c| {
            c.modes = vec![quick_mode("arena", 16, 1)];
            c.handshake_timeout = Duration::from_millis(1500);
            c.ip.exempt_loopback = false;
            c.ip.max_per_ip = 60;
            c.ip.rate_per_sec = 1000.0;
            c.ip.burst = 1000;
        })
        .await,
    );
    let (watch, watcher_player) = watcher(&s).await;

    // MessagePack-level attacks from players in the same lobby
    let cases: Vec<(&str, Vec<u8>, ErrorCode, u16)> = vec![
        (
            "malformed",
            vec![0x83, 0xa4, b't', 0xc1, 0xff],
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
        (
            "wrong field types",
            named(serde_json::json!({"type": "input", "seq": [1], "dx": "left", "dy": null})),
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
        (
            "unknown type",
            named(serde_json::json!({"type": "teleport"})),
            ErrorCode::UnknownType,
            close::UNSUPPORTED_DATA,
        ),
        (
            "huge length prefix",
            [
                &[0x82, 0xa4][..],
                b"type",
                &[0xa5],
                b"input",
                &[0xa3],
                b"seq",
                &[0xdd, 0xff, 0xff, 0xff, 0xff, 1],
            ]
            .concat(),
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
        (
            "deep nesting",
            [&[0x82, 0xa4][..], b"type", &[0xa5], b"input", &[0xa1, b'x'], &[0x91; 5000], &[0x00]]
                .concat(),
            ErrorCode::Malformed,
            close::INVALID_PAYLOAD,
        ),
    ];
    for (what, bytes, code, close_code) in cases {
        let (mut c, _) = offender(&s, what).await;
        c.send_raw(bytes).await.unwrap();
        refused(&mut c, code, close_code).await;
    }

    // a text frame
    let (mut c, _) = offender(&s, "text").await;
    c.ws.send(Message::Text("{\"type\":\"input\"}".into())).await.unwrap();
    refused(&mut c, ErrorCode::TextFrame, close::UNSUPPORTED_DATA).await;

    // an input naming another player's id acts on the sender only; sequence rules
    let (mut c, me) = offender(&s, "seq").await;
    let send = |v: serde_json::Value| named(v);
    c.send_raw(send(
        serde_json::json!({"type":"input","seq":10,"dx":1.0,"dy":0.0,"player":watcher_player}),
    ))
    .await
    .unwrap();
    c.send_raw(send(serde_json::json!({"type":"input","seq":5,"dx":1.0,"dy":0.0}))).await.unwrap(); // backwards
    c.send(&ClientMessage::Input(Input { seq: 10 + (1 << 31), dx: 0.0, dy: 1.0, action: false }))
        .await
        .unwrap();
    let code = c
        .recv_until(5 * SEC, "invalid_input", |m| match m {
            ServerMessage::Error { code, fatal: false, .. } => Some(*code),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(code, ErrorCode::InvalidInput, "a jump of 2^31 is refused");
    c.send(&ClientMessage::Input(Input { seq: 11, dx: 0.0, dy: 1.0, action: false }))
        .await
        .unwrap();
    let acks = c
        .recv_until(5 * SEC, "ack 11", |m| match m {
            ServerMessage::Delta(d) if d.acks.contains(&(me, 11)) => Some(d.acks.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert!(acks.contains(&(watcher_player, 0)), "nobody can send inputs for another player");

    // 10x the allowed input rate: rate_limited, then closed as abuse
    let (mut c, _) = offender(&s, "flood").await;
    let mut seq = 0;
    let flood = async {
        loop {
            seq += 1;
            let i = ClientMessage::Input(Input { seq, dx: 0.0, dy: 0.0, action: false });
            if c.send(&i).await.is_err() {
                break;
            }
            if seq % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(16)).await; // ~600 per second
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), flood).await;
    let mut codes = Vec::new();
    let closed = loop {
        match c.recv_timeout(5 * SEC).await {
            Ok(ServerMessage::Error { code, .. }) => codes.push(code),
            Ok(_) => {}
            Err(tickwave_bots::ClientError::Closed(f)) => break f.map(|f| f.0),
            // the flood may still be in flight when the server closes: a reset, not a frame
            Err(_) => break None,
        }
    };
    assert!(codes.contains(&ErrorCode::RateLimited), "{codes:?}");
    // The flooder reads nothing, so its queue may be too full for the `abuse` error itself;
    // the close (1008, or a reset while its flood is still in flight) is what counts.
    assert!(matches!(closed, Some(close::POLICY_VIOLATION) | None), "{closed:?}");
    s.eventually(5 * SEC, "the flooder is gone", |srv| srv.session_count() <= 3).await;

    // a ping flood
    let mut raw = raw_session(&s).await;
    let pings: Vec<u8> = (0..3000).flat_map(|_| frame(9, true, b"p")).collect();
    let _ = raw.write_all(&pings).await;
    assert_eq!(raw_close_code(&mut raw).await, Some(close::POLICY_VIOLATION), "ping flood");

    // a fragmented message over the size limit (16 KiB): 3 fragments of 8 KiB
    let mut raw = raw_session(&s).await;
    let part = vec![0u8; 8 * 1024];
    let mut frags = frame(2, false, &part);
    frags.extend(frame(0, false, &part));
    frags.extend(frame(0, true, &part));
    let _ = raw.write_all(&frags).await;
    assert_eq!(raw_close_code(&mut raw).await, Some(close::MESSAGE_TOO_BIG), "fragmented oversize");

    // 100 KB of HTTP headers
    let mut raw = connect_stream(&s.url, &s.check).await.unwrap();
    let big = format!("GET /ws HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(100 * 1024));
    let _ = raw.write_all(big.as_bytes()).await;
    let mut resp = vec![0u8; 64];
    let n = tokio::time::timeout(5 * SEC, raw.read(&mut resp)).await.unwrap().unwrap_or(0);
    let head = String::from_utf8_lossy(&resp[..n]).into_owned();
    assert!(n == 0 || head.starts_with("HTTP/1.1 431"), "huge headers: {head:?}");

    // a TLS client that stalls mid-handshake: dropped at the handshake timeout
    let mut tcp = tokio::net::TcpStream::connect(s.server.local_addr()).await.unwrap();
    tcp.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]).await.unwrap(); // a ClientHello's start
    let t0 = Instant::now();
    let mut b = [0u8; 1];
    let r = tokio::time::timeout(5 * SEC, tcp.read(&mut b)).await.expect("dropped in time");
    assert!(matches!(r, Ok(0) | Err(_)));
    assert!(t0.elapsed() < Duration::from_millis(2500));

    // 500 connections from one address: the per-address limit (60) holds
    let mut socks = Vec::new();
    for _ in 0..500 {
        if let Ok(t) = tokio::net::TcpStream::connect(s.server.local_addr()).await {
            socks.push(t);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut closed = 0;
    for t in &mut socks {
        let mut b = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(5), t.read(&mut b)).await
        {
            closed += 1;
        }
    }
    assert!(closed >= 440, "only {closed} of 500 refused");
    assert!(s.server.connection_count() <= 60);
    drop(socks);

    // the watcher never noticed any of it
    watch.stop.send(true).unwrap();
    let (per_sec, _, _) = watch.task.await.unwrap();
    assert!(per_sec.len() >= 5, "the test ran {} s", per_sec.len());
    for (sec, n) in per_sec.iter().enumerate().skip(1) {
        assert!(*n >= 26, "second {sec}: only {n} deltas (30 Hz expected): {per_sec:?}");
    }
}
