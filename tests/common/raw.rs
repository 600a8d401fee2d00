//! WebSocket by hand, for attacks below the WebSocket library: masked client frames written
//! as bytes, and server frames parsed from bytes.

use super::{SEC, TestServer};
use std::time::{Duration, Instant};
use tickwave_bots::connect_stream;
use tickwave_protocol::ServerMessage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub type Raw = Box<dyn tickwave_bots::client::Io>;

/// A masked client frame (RFC 6455 5.2).
pub fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mask = [7, 1, 9, 3];
    let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65536 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// A map as MessagePack with named keys.
pub fn named(v: serde_json::Value) -> Vec<u8> {
    rmp_serde::to_vec_named(&v).unwrap()
}

/// TLS and the upgrade by hand; no message sent yet.
pub async fn raw_upgraded(s: &TestServer) -> Raw {
    let mut raw = connect_stream(&s.url, &s.check).await.unwrap();
    raw.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        raw.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    raw
}

/// TLS + upgrade + hello by hand.
pub async fn raw_session(s: &TestServer) -> Raw {
    let mut raw = raw_upgraded(s).await;
    let hello = named(serde_json::json!({"type": "hello", "protocol": 1, "name": "raw"}));
    raw.write_all(&frame(2, true, &hello)).await.unwrap();
    raw
}

/// One server frame (servers do not mask).
#[derive(Debug)]
pub enum ServerFrame {
    Message(ServerMessage),
    Ping(Vec<u8>),
    /// The close frame's code, if it has one.
    Close(Option<u16>),
    Other(u8),
}

/// Reads server frames from a raw connection.
pub struct FrameReader {
    buf: Vec<u8>,
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameReader {
    pub fn new() -> Self {
        FrameReader { buf: Vec::new() }
    }

    /// The next complete frame; `None` on EOF, a read error or after `t`.
    pub async fn next(&mut self, raw: &mut Raw, t: Duration) -> Option<ServerFrame> {
        let end = Instant::now() + t;
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(f) = self.parse() {
                return Some(f);
            }
            let left = end.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, raw.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn parse(&mut self) -> Option<ServerFrame> {
        let b = &self.buf;
        if b.len() < 2 {
            return None;
        }
        let (op, len0) = (b[0] & 0x0f, (b[1] & 0x7f) as usize);
        let (hdr, len) = match len0 {
            126 if b.len() >= 4 => (4, u16::from_be_bytes([b[2], b[3]]) as usize),
            127 if b.len() >= 10 => (10, u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize),
            126 | 127 => return None,
            n => (2, n),
        };
        if b.len() < hdr + len {
            return None;
        }
        let p = b[hdr..hdr + len].to_vec();
        self.buf.drain(..hdr + len);
        Some(match op {
            2 => {
                ServerFrame::Message(tickwave_protocol::decode_server(&p).expect("server message"))
            }
            8 => ServerFrame::Close((p.len() >= 2).then(|| u16::from_be_bytes([p[0], p[1]]))),
            9 => ServerFrame::Ping(p),
            op => ServerFrame::Other(op),
        })
    }
}

/// Read until the close frame: the messages before it and its code (`None`: EOF without a
/// close frame). Panics when nothing closes within 10 s.
pub async fn raw_until_close(raw: &mut Raw) -> (Vec<ServerMessage>, Option<u16>) {
    let mut r = FrameReader::new();
    let mut msgs = Vec::new();
    let end = Instant::now() + 10 * SEC;
    loop {
        let left = end.checked_duration_since(Instant::now()).expect("no close within 10 s");
        match r.next(raw, left).await {
            Some(ServerFrame::Message(m)) => msgs.push(m),
            Some(ServerFrame::Close(code)) => return (msgs, code),
            Some(_) => {}
            None if Instant::now() >= end => panic!("no close within 10 s"),
            None => return (msgs, None),
        }
    }
}

/// Read raw frames until a close frame; returns its code (None on EOF without one).
pub async fn raw_close_code(raw: &mut Raw) -> Option<u16> {
    raw_until_close(raw).await.1
}
