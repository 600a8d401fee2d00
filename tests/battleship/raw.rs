//! A protocol-2 player over a WebSocket written by hand, so that the test holds every byte
//! the server sent it: the upgrade response and each frame, headers included, exactly as
//! they came out of TLS. The upgrade asks for no extension, so nothing is compressed and a
//! value the server sent is in these bytes as MessagePack encoded it.

use super::common::TestServer;
use super::common::raw::{Raw, frame, named};
use bytes::Bytes;
use std::time::{Duration, Instant};
use tickwave_bots::connect_stream;
use tickwave_protocol::{ServerMessage, decode_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Frames a test reads before giving up on one message: a bound, so a broken server
/// cannot make the reader spin forever on control frames.
const MAX_CONTROL_FRAMES: usize = 1024;

pub(crate) struct RawPlayer {
    io: Raw,
    /// Read but not yet parsed.
    buf: Vec<u8>,
    /// Every byte read from the connection, in order.
    pub(crate) recorded: Vec<u8>,
    pub(crate) player: u32,
}

impl RawPlayer {
    /// TLS, the upgrade and `hello {protocol: 2}` by hand; returns after `welcome`.
    pub(crate) async fn join(s: &TestServer, name: &str) -> RawPlayer {
        let mut io = connect_stream(&s.url, &s.check).await.unwrap();
        io.write_all(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
        let mut p = RawPlayer { io, buf: Vec::new(), recorded: Vec::new(), player: 0 };
        let mut b = [0u8; 1];
        while !p.recorded.ends_with(b"\r\n\r\n") {
            p.io.read_exact(&mut b).await.unwrap();
            p.recorded.push(b[0]);
        }
        assert!(p.recorded.starts_with(b"HTTP/1.1 101"));
        let head = String::from_utf8_lossy(&p.recorded).to_ascii_lowercase();
        assert!(!head.contains("sec-websocket-extensions"), "no compression: {head}");
        let hello = serde_json::json!({"type": "hello", "protocol": 2, "name": name});
        p.send(&named(hello)).await;
        match decode_server(&p.next(Duration::from_secs(10)).await).unwrap() {
            ServerMessage::Welcome(w) => {
                assert_eq!(w.protocol, 2);
                p.player = w.player;
            }
            other => panic!("expected welcome, got {other:?}"),
        }
        p
    }

    /// Send one binary message (a masked frame).
    pub(crate) async fn send(&mut self, payload: &[u8]) {
        self.io.write_all(&frame(2, true, payload)).await.unwrap();
    }

    /// The next binary message's payload, answering pings on the way; panics on a close
    /// frame, the end of the stream or after `t`.
    pub(crate) async fn next(&mut self, t: Duration) -> Bytes {
        let end = Instant::now() + t;
        for _ in 0..MAX_CONTROL_FRAMES {
            let (fin, op, payload) = self.frame(end).await;
            assert!(fin, "the server sends whole messages");
            match op {
                2 => return payload,
                9 => self.io.write_all(&frame(10, true, &payload)).await.unwrap(),
                8 => panic!("closed by the server: {payload:?}"),
                _ => {}
            }
        }
        panic!("{MAX_CONTROL_FRAMES} control frames without a message");
    }

    /// One frame: (fin, opcode, payload).
    async fn frame(&mut self, end: Instant) -> (bool, u8, Bytes) {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(f) = self.parse() {
                return f;
            }
            let left = end.checked_duration_since(Instant::now()).expect("a frame in time");
            match tokio::time::timeout(left, self.io.read(&mut chunk)).await {
                Ok(Ok(0)) => panic!("the server closed the connection"),
                Ok(Ok(n)) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.recorded.extend_from_slice(&chunk[..n]);
                }
                Ok(Err(e)) => panic!("read: {e}"),
                Err(_) => panic!("no frame in time"),
            }
        }
    }

    fn parse(&mut self) -> Option<(bool, u8, Bytes)> {
        let b = &self.buf;
        if b.len() < 2 {
            return None;
        }
        assert_eq!(b[1] & 0x80, 0, "server frames are not masked");
        let (fin, op, len0) = (b[0] & 0x80 != 0, b[0] & 0x0f, usize::from(b[1] & 0x7f));
        let (hdr, len) = match len0 {
            126 if b.len() >= 4 => (4, usize::from(u16::from_be_bytes([b[2], b[3]]))),
            127 if b.len() >= 10 => (10, u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize),
            126 | 127 => return None,
            n => (2, n),
        };
        if b.len() < hdr + len {
            return None;
        }
        let payload = Bytes::copy_from_slice(&b[hdr..hdr + len]);
        self.buf.drain(..hdr + len);
        Some((fin, op, payload))
    }
}

/// Whether `needle` occurs in `hay`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
