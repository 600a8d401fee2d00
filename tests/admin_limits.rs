//! Issue 13 item 14: the admin listener bounds what a client may hold. A body that never
//! arrives is answered (408) and closed, a declared body over the limit is refused (413) at
//! once, an unauthenticated connection cannot idle past the handshake timeout, and 256 idle
//! connections cannot lock an operator out. All over real TLS sockets.

mod common;

use common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TLS connection to the admin listener, pinned to the server's certificate.
async fn admin_stream(s: &TestServer) -> Box<dyn tickwave_bots::client::Io> {
    let url = format!("wss://{}/", s.server.admin_addr().unwrap());
    tickwave_bots::connect_stream(&url, &s.check).await.expect("TLS connect to admin")
}

/// Read until the server closes; the bytes and how long it took. Panics after `t`.
async fn read_to_close(
    io: &mut Box<dyn tickwave_bots::client::Io>,
    t: Duration,
) -> (String, Duration) {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((t0 + t).into(), io.read(&mut buf)).await {
            Err(_) => panic!("not closed within {t:?}; got {:?}", String::from_utf8_lossy(&out)),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), t0.elapsed())
}

#[tokio::test]
async fn a_body_sent_one_byte_a_second_is_answered_408_and_closed() {
    let s = start().await;
    let mut io = admin_stream(&s).await;
    let head = format!(
        "POST /admin/notice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
    );
    io.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = tokio::io::split(io);
    let trickle = tokio::spawn(async move {
        for _ in 0..30 {
            tokio::time::sleep(SEC).await;
            if wr.write_all(b" ").await.is_err() || wr.flush().await.is_err() {
                break;
            }
        }
    });
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(9 * SEC, rd.read(&mut buf)).await {
            Err(_) => panic!("no answer within 9 s; got {:?}", String::from_utf8_lossy(&out)),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"error\":\"body_timeout\""), "{text}");
    assert!(t0.elapsed() < 8 * SEC, "answered and closed in {:?}", t0.elapsed());
    trickle.abort();
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_413_at_once() {
    let s = start().await;
    let mut io = admin_stream(&s).await;
    let head = format!(
        "POST /admin/notice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
    );
    io.write_all(head.as_bytes()).await.unwrap();
    let (text, took) = read_to_close(&mut io, 3 * SEC).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"error\":\"body_too_large\""), "{text}");
    assert!(took < 2 * SEC, "refused in {took:?}");
    // the limit itself still passes
    let (status, v) = s
        .admin(
            "POST",
            "/admin/notice",
            Some(OPERATOR),
            Some(r#"{"text":"hello","severity":"info"}"#),
        )
        .await;
    assert_eq!(status, 202, "{v}");
}

#[tokio::test]
async fn an_idle_unauthenticated_connection_is_closed_after_the_handshake_timeout() {
    let s = start_with(|c| c.handshake_timeout = Duration::from_millis(1000)).await;
    let mut io = admin_stream(&s).await;
    let (text, took) = read_to_close(&mut io, 4 * SEC).await;
    assert!(took >= Duration::from_millis(500), "closed too early ({took:?}): {text}");
    // idle after one request (keep-alive) is bounded the same way
    let mut io = admin_stream(&s).await;
    let req =
        format!("GET /admin/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {VIEWER}\r\n\r\n");
    io.write_all(req.as_bytes()).await.unwrap();
    let (text, _) = read_to_close(&mut io, 4 * SEC).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// 256 connections that never send a request (TLS done, so the server holds each one) do not
/// keep an operator out: a new connection takes the place of the oldest unauthenticated one.
/// The handshake timeout is long here so that only that eviction can let the operator in.
#[tokio::test]
async fn idle_connections_cannot_lock_an_operator_out() {
    let s = start_with(|c| c.handshake_timeout = Duration::from_secs(60)).await;
    let mut held = Vec::new();
    for round in 0..2 {
        for chunk in 0..8 {
            let batch = (0..32).map(|_| admin_stream(&s));
            held.extend(futures_util::future::join_all(batch).await);
            assert!(held.len() == (round * 8 + chunk + 1) * 32);
        }
        let t0 = Instant::now();
        let (status, v) =
            tokio::time::timeout(5 * SEC, s.admin("GET", "/admin/whoami", Some(OPERATOR), None))
                .await
                .expect("operator answered within 5 s");
        assert_eq!((status, v["role"].as_str()), (200, Some("operator")), "round {round}");
        assert!(t0.elapsed() < 5 * SEC);
    }
    // the newest idle connections are the ones still held; the oldest were given up
    let mut newest = held.pop().unwrap();
    newest
        .write_all(b"GET /admin/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (text, _) = read_to_close(&mut newest, 5 * SEC).await;
    assert!(text.starts_with("HTTP/1.1 401"), "the newest idle connection still served: {text}");
    let mut oldest = held.swap_remove(0);
    let (text, _) = read_to_close(&mut oldest, 5 * SEC).await;
    assert!(text.is_empty(), "the oldest idle connection was closed: {text}");
}
