//! What the fuzz target `bots_wire` (fuzz/fuzz_targets/bots_wire.rs) checks: the bots' fast
//! wire readers against independent readers, on anything a server could send.
//!
//! It lives beside the readers so that it sees their crate-private API, and so that
//! `cargo test` runs it over the committed seeds (fuzz/corpus/bots_wire/), their truncations
//! and their byte flips, without libFuzzer. It is compiled for tests and with the `fuzzing`
//! feature (which the fuzz crate turns on) only.
//!
//! An input is `[mode][me][stream]`. `me` is the bot's player id (whose ack it keeps). In
//! frame mode (`mode < 0x80`) `stream` is the plaintext a bot reads after the upgrade:
//! WebSocket frames, read in chunks of random sizes seeded by `mode` (up to
//! `2^(mode & 7)` bytes each), and each binary payload is a message. In message mode
//! (`mode >= 0x80`) `stream` is MessagePack messages one after the other, without frames.
//! Checked:
//!
//! 1. Frames (`RecvBuf`): read in chunks (compacted after each, as a bot does), the frames
//!    and the first error are those of one read of the whole stream; tungstenite's header
//!    parser finds each frame on the same bytes (final, no reserved bits, unmasked, a known
//!    opcode, the same length and payload), a header this client must refuse where it
//!    refused, and where it waits for more bytes, a frame that is not complete.
//! 2. MessagePack (`Reader::skip`), on every message: where it ends a value, rmp-serde
//!    (skipping it as `IgnoredAny`) ends it too, and what rmp-serde skips it skips, unless
//!    nested deeper than its bound.
//! 3. Messages (`wire::decode`): a message that `decode_server` accepts is sorted as the
//!    same type, an `rtt` with the same values, a `chat` with the same sender and text; and
//!    it must be accepted when its bytes are what the server's own encoder writes for it.
//!    Protocol 2's sorter (`wire::decode_v2`) reads every message too, and must not panic.
//! 4. State (`View`): each snapshot and delta `decode_server` accepts goes to the fast view
//!    and to [`LocalState`] (the protocol crate's `WorldView::apply`). When both accept, the
//!    same `Applied` and then the same tick, entities and own ack; when one refuses a check
//!    (tick, base, entities), the other refuses the same check; the fast view refuses no
//!    message as malformed that is exactly what the server's encoder writes. Once the two
//!    have taken different messages (the fast view is less strict about layout than serde,
//!    and serde than the fast view), their states are not compared any more.

mod seeds;

pub use seeds::seeds;

use super::frame::{
    FrameError, MAX_PAYLOAD, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, RecvBuf,
};
use super::msgpack::{Malformed, Reader};
use super::view::{Scratch, View, ViewError};
use super::wire::{self, Incoming};
use crate::state::{Applied, LocalState, StateCheck};
use crate::swarm::rng::Rng;
use serde::Deserialize;
use std::io::Cursor;
use tickwave_protocol::{ServerMessage, decode_server, encode_server};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// Check one input (see the module docs); panics when a property does not hold.
pub fn wire(data: &[u8]) {
    let [mode, me, stream @ ..] = data else { return };
    let mut state = States { me: u32::from(*me), ..States::default() };
    if *mode >= 0x80 {
        let mut rest = stream;
        while let Some(n) = reference_skip(rest).filter(|n| *n > 0) {
            state.message(&rest[..n]);
            rest = &rest[n..];
        }
        return;
    }
    let whole = read(stream, || stream.len());
    let mut rng = Rng::new(u64::from(*mode));
    let cap = 1u64 << (mode & 7);
    let chunked = read(stream, || 1 + rng.below(cap) as usize);
    assert_eq!(chunked, whole, "read in chunks of up to {cap} bytes, the frames differ");
    check_headers(stream, &whole);
    for (op, payload) in &whole.frames {
        if *op == OP_BINARY {
            state.message(payload);
        }
    }
}

/// What a bot reads from a stream: its frames, and the error that ended it (`None`: the
/// stream ended, maybe inside a frame).
#[derive(Debug, PartialEq)]
struct Frames {
    frames: Vec<(u8, Vec<u8>)>,
    error: Option<FrameError>,
}

/// Read `stream` as a bot does, in chunks of `chunk()` bytes.
fn read(stream: &[u8], mut chunk: impl FnMut() -> usize) -> Frames {
    let mut buf = RecvBuf::default();
    let mut out = Frames { frames: Vec::new(), error: None };
    let mut rest = stream;
    while !rest.is_empty() {
        let n = chunk().clamp(1, rest.len());
        buf.extend(&rest[..n]);
        rest = &rest[n..];
        loop {
            match buf.next_frame() {
                Ok(Some(f)) => out.frames.push((f.op, buf.payload(&f).to_vec())),
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
        buf.compact();
    }
    out
}

/// A frame header a client accepts from a server, as tungstenite reads it.
fn acceptable(h: &FrameHeader, len: u64) -> bool {
    let control = matches!(h.opcode, OpCode::Control(_));
    let known = matches!(
        h.opcode,
        OpCode::Data(Data::Text | Data::Binary)
            | OpCode::Control(Control::Close | Control::Ping | Control::Pong)
    );
    h.is_final
        && !(h.rsv1 || h.rsv2 || h.rsv3)
        && h.mask.is_none()
        && known
        && len <= MAX_PAYLOAD as u64
        && (!control || len <= 125)
}

fn opcode(op: u8) -> OpCode {
    match op {
        OP_TEXT => OpCode::Data(Data::Text),
        OP_BINARY => OpCode::Data(Data::Binary),
        OP_CLOSE => OpCode::Control(Control::Close),
        OP_PING => OpCode::Control(Control::Ping),
        OP_PONG => OpCode::Control(Control::Pong),
        other => panic!("the reader returned a frame with opcode {other:#x}"),
    }
}

/// The frames read, against tungstenite's header parser on the same bytes.
fn check_headers(stream: &[u8], r: &Frames) {
    let mut c = Cursor::new(stream);
    for (i, (op, payload)) in r.frames.iter().enumerate() {
        let (h, len) = match FrameHeader::parse(&mut c) {
            Ok(Some(h)) => h,
            other => panic!("frame {i}: read, but tungstenite finds no header: {other:?}"),
        };
        assert!(acceptable(&h, len), "frame {i}: accepted, but its header is {h:?}, length {len}");
        assert_eq!(h.opcode, opcode(*op), "frame {i}: opcode");
        let at = c.position() as usize;
        assert_eq!(stream.get(at..at + len as usize), Some(&payload[..]), "frame {i}: payload");
        c.set_position((at + len as usize) as u64);
    }
    let n = r.frames.len();
    match (FrameHeader::parse(&mut c), r.error) {
        // Where the reader refused a frame: a header it must refuse, or too few bytes for
        // tungstenite to tell (the reader refuses a masked frame before its mask arrives).
        (Ok(Some((h, len))), Some(e)) => {
            assert!(!acceptable(&h, len), "frame {n}: refused ({}), but its header is {h:?}", e.0)
        }
        (Ok(None) | Err(_), Some(_)) => {}
        // Where it waits: an incomplete frame.
        (Ok(Some((h, len))), None) => {
            let end = c.position().saturating_add(len);
            assert!(acceptable(&h, len), "frame {n}: waited on, but its header is {h:?}");
            assert!(end > stream.len() as u64, "frame {n}: complete, but not read");
        }
        (Ok(None), None) => {}
        (Err(e), None) => panic!("frame {n}: waited on, but tungstenite refuses it: {e}"),
    }
}

/// Where rmp-serde ends the first value of `b` (skipping it as `IgnoredAny`).
fn reference_skip(b: &[u8]) -> Option<usize> {
    let mut de = rmp_serde::Deserializer::new(Cursor::new(b));
    serde::de::IgnoredAny::deserialize(&mut de).ok()?;
    Some(de.position() as usize)
}

/// The MessagePack reader's skip against rmp-serde's.
fn check_skip(b: &[u8]) {
    let mut r = Reader::new(b);
    let ours = r.skip().map(|()| b.len() - r.remaining());
    match (ours, reference_skip(b)) {
        (Ok(a), Some(b)) => assert_eq!(a, b, "skip ends at {a}, rmp-serde at {b}"),
        (Ok(a), None) => panic!("skipped {a} bytes that rmp-serde does not read as a value"),
        (Err(Malformed("nested too deep")), _) | (Err(_), None) => {}
        (Err(e), Some(n)) => panic!("skip refuses ({e}) a value rmp-serde reads ({n} bytes)"),
    }
}

/// The fast view and the protocol crate's state, side by side.
#[derive(Default)]
struct States {
    me: u32,
    fast: View,
    scratch: Scratch,
    reference: LocalState,
    /// The two took different messages: their states are no longer comparable.
    apart: bool,
}

impl States {
    /// One server message through the message and state readers, against `decode_server`.
    fn message(&mut self, b: &[u8]) {
        check_skip(b);
        // A protocol-2 connection's sorter takes anything without panicking.
        let _ = wire::decode_v2(b);
        let ours = wire::decode(b);
        let theirs = decode_server(b).ok();
        // What a Tickwave server writes for this message, byte for byte.
        let canonical = theirs.as_ref().is_some_and(|m| encode_server(m)[..] == *b);
        let snapshot = match (&ours, &theirs) {
            (Ok(Incoming::State { snapshot }), _) => Some(*snapshot),
            (Err(e), Some(m)) if canonical => {
                panic!("refused ({e}) as the server writes it: {m:?}")
            }
            _ => None,
        };
        if let (Ok(ours), Some(m)) = (&ours, &theirs) {
            same_message(ours, m);
        }
        if let Some(snapshot) = snapshot {
            self.state(b, snapshot, theirs, canonical);
        }
    }

    fn state(&mut self, b: &[u8], snapshot: bool, theirs: Option<ServerMessage>, canonical: bool) {
        let ours = if snapshot {
            self.fast.apply_snapshot(b, self.me, &mut self.scratch)
        } else {
            self.fast.apply_delta(b, self.me, &mut self.scratch)
        };
        let theirs: Option<Result<Applied, StateCheck>> = match theirs {
            Some(ServerMessage::Snapshot(s)) => Some(self.reference.apply_snapshot(s)),
            Some(ServerMessage::Delta(d)) => Some(self.reference.apply_delta(d)),
            _ => None,
        };
        if self.apart {
            return;
        }
        match (&ours, &theirs) {
            (Ok(a), Some(Ok(b))) => assert_eq!(a, b, "applied differently"),
            (Err(ViewError::Check(a)), Some(Err(b))) => assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "refused differently: {a} / {b}"
            ),
            (Err(ViewError::Decode(e)), Some(Ok(_))) if canonical => {
                panic!("refused ({e}) a state message as the server writes it")
            }
            (Ok(_), Some(Err(e))) => {
                panic!("applied a state message the protocol crate refuses: {e}")
            }
            (Err(ViewError::Check(e)), Some(Ok(_))) => {
                panic!("refused ({e}) a state message the protocol crate applies")
            }
            // Both left their state as it was.
            (Err(_), None) | (Err(ViewError::Decode(_)), Some(Err(_))) => {}
            // One of them took a message the other did not.
            (Ok(_), None) | (Err(ViewError::Decode(_)), Some(Ok(_))) => self.apart = true,
        }
        if !self.apart {
            self.same_state();
        }
    }

    fn same_state(&self) {
        let (f, r) = (&self.fast, &self.reference);
        assert_eq!(f.tick(), r.tick, "tick");
        let ours: Vec<(u32, u8, &[i32])> =
            f.entities().iter().map(|e| (e.id, e.kind, e.fields())).collect();
        let theirs: Vec<(u32, u8, &[i32])> =
            r.view.entities().iter().map(|e| (e.id, e.kind, e.fields())).collect();
        assert_eq!(ours, theirs, "entities");
        // A repeated key in `acks` leaves the reference's own ack ambiguous.
        if r.acks.iter().filter(|(p, _)| *p == self.me).count() <= 1 {
            assert_eq!(f.ack(), r.ack(self.me), "own ack");
        }
    }
}

/// A message the fast sorter read, against what `decode_server` made of the same bytes.
fn same_message(ours: &Incoming<'_>, m: &ServerMessage) {
    match (ours, m) {
        (Incoming::State { snapshot: true }, ServerMessage::Snapshot(_))
        | (Incoming::State { snapshot: false }, ServerMessage::Delta(_)) => {}
        (Incoming::Rtt(a), ServerMessage::Rtt(b)) => {
            let bits = |r: &tickwave_protocol::RttReport| {
                [r.rtt_ms.to_bits(), r.jitter_ms.to_bits(), r.last_ms.to_bits()]
            };
            assert_eq!(bits(a), bits(b), "rtt");
        }
        (Incoming::Chat { from, text }, ServerMessage::Chat { from: f, text: t, .. }) => {
            assert_eq!((*from, *text), (*f, t.as_str()), "chat");
        }
        (Incoming::Other(a), b) => assert_eq!(a, b),
        (a, b) => panic!("sorted as {a:?}, decoded as {b:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn committed() -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/bots_wire");
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                let p = e.expect("directory entry").path();
                let name = p.file_name().expect("a file").to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("seed readable"))
            })
            .collect();
        out.sort();
        out
    }

    /// The committed seeds are the generator's (regenerate them with
    /// `cargo run --manifest-path fuzz/Cargo.toml --example seed`), and every one holds.
    #[test]
    fn the_seeds_hold_and_are_committed() {
        let mut generated: Vec<(String, Vec<u8>)> =
            seeds().into_iter().map(|(n, b)| (format!("{n}.bin"), b)).collect();
        generated.sort();
        let committed = committed();
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|s| s.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&committed), names(&generated), "fuzz/corpus/bots_wire/ is stale");
        for ((name, c), (_, g)) in committed.iter().zip(&generated) {
            assert_eq!(c, g, "{name} is stale");
            wire(c);
        }
    }

    /// Truncations and byte flips of every seed at positions drawn by a fixed generator: a
    /// sample of libFuzzer's first mutations, small enough for every `cargo test` (about a
    /// second in a debug build; the fuzz target explores the rest).
    #[test]
    fn truncated_and_flipped_seeds_hold() {
        let mut rng = Rng::new(14);
        for (name, s) in seeds() {
            let mut at = || 2 + rng.below(s.len() as u64 - 2) as usize;
            let cuts: Vec<usize> = (0..24).map(|_| at()).collect();
            let flips: Vec<usize> = (0..48).map(|_| at()).collect();
            for cut in cuts {
                let r = std::panic::catch_unwind(|| wire(&s[..cut]));
                assert!(r.is_ok(), "{name} cut at {cut}");
            }
            for (k, i) in flips.into_iter().enumerate() {
                let mut m = s.clone();
                m[i] ^= [0x01, 0x80, 0xff][k % 3];
                let r = std::panic::catch_unwind(|| wire(&m));
                assert!(r.is_ok(), "{name}, byte {i} ^ {:#x}", [0x01, 0x80, 0xff][k % 3]);
            }
        }
    }
}
