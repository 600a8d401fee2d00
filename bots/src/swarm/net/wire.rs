//! Sorting server messages on the bots' hot path.
//!
//! `decode_server` reads the internally tagged `ServerMessage`, which makes serde buffer the
//! whole map before it knows the variant. State messages are most of the traffic, so the bot
//! looks at the `"type"` first: snapshots and deltas go to the bot's allocation-free state
//! decoder ([`super::view`]), rtt reports straight into their struct, chat lines (every
//! member of a lobby gets every line) to their sender and text borrowed from the frame, and
//! everything else (a few messages per match) through `decode_server`.

use super::msgpack::{Malformed, Reader};
use tickwave_protocol::{DecodeError, RttReport, ServerMessage, decode_server, peek_type};

/// Same nesting bound as the protocol crate's decoder.
const MAX_DEPTH: usize = 16;

/// A decoded server message.
#[derive(Debug)]
pub(crate) enum Incoming<'a> {
    /// A snapshot or a delta, left for the state decoder.
    State {
        snapshot: bool,
    },
    Rtt(RttReport),
    /// A chat line: its sender's player id and its text (the name and tick are skipped).
    Chat {
        from: u32,
        text: &'a str,
    },
    Other(ServerMessage),
}

/// Read a `chat` message without allocating: `from` and `text`, the rest skipped.
fn decode_chat(b: &[u8]) -> Result<Incoming<'_>, Malformed> {
    let mut r = Reader::new(b);
    let (mut from, mut text) = (None, None);
    for _ in 0..r.map_len()? {
        match r.str()? {
            "from" => from = Some(r.int::<u32>()?),
            "text" => text = Some(r.str()?),
            _ => r.skip()?,
        }
    }
    match (from, text) {
        (Some(from), Some(text)) => Ok(Incoming::Chat { from, text }),
        _ => Err(Malformed("chat without from or text")),
    }
}

/// The `"type"` of a message when it is the map's first key, as every Tickwave server writes
/// it; `None` for any other layout (then [`peek_type`] reads the whole map).
pub(crate) fn leading_type(b: &[u8]) -> Option<&str> {
    let rest = match *b.first()? {
        0x80..=0x8f => &b[1..],
        0xde => b.get(3..)?,
        0xdf => b.get(5..)?,
        _ => return None,
    };
    let rest = rest.strip_prefix(b"\xa4type")?;
    let (len, rest) = match *rest.first()? {
        h @ 0xa0..=0xbf => (usize::from(h & 0x1f), &rest[1..]),
        0xd9 => (usize::from(*rest.get(1)?), rest.get(2..)?),
        _ => return None,
    };
    std::str::from_utf8(rest.get(..len)?).ok()
}

fn decode_as<'a, T: serde::Deserialize<'a>>(b: &'a [u8]) -> Result<T, DecodeError> {
    let mut de = rmp_serde::Deserializer::from_read_ref(b);
    de.set_max_depth(MAX_DEPTH);
    T::deserialize(&mut de).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Sort (and except for state messages, decode) one server message.
pub(crate) fn decode(b: &[u8]) -> Result<Incoming<'_>, DecodeError> {
    let ty = match leading_type(b) {
        Some(t) => t,
        None => peek_type(b)?,
    };
    Ok(match ty {
        "delta" => Incoming::State { snapshot: false },
        "snapshot" => Incoming::State { snapshot: true },
        "rtt" => Incoming::Rtt(decode_as(b)?),
        "chat" => decode_chat(b).map_err(|e| DecodeError::Malformed(e.to_string()))?,
        _ => Incoming::Other(decode_server(b)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwave_protocol::{Entity, WorldView, encode_delta, encode_server, encode_snapshot};

    #[test]
    fn messages_are_sorted_by_type() {
        let a = WorldView::from_entities(vec![Entity::new(1, 0, &[1, 2])]).unwrap();
        let d = encode_delta(8, 7, &[(1, 3)], &a.diff(&a));
        assert_eq!(leading_type(&d), Some("delta"));
        assert!(matches!(decode(&d).unwrap(), Incoming::State { snapshot: false }));
        let s = encode_snapshot(8, &[(1, 3)], &a);
        assert!(matches!(decode(&s).unwrap(), Incoming::State { snapshot: true }));
        let r = RttReport { rtt_ms: 1.5, jitter_ms: 0.25, last_ms: 2.0 };
        match decode(&encode_server(&ServerMessage::Rtt(r))).unwrap() {
            Incoming::Rtt(x) => assert_eq!(x, r),
            other => panic!("{other:?}"),
        }
        let q = encode_server(&ServerMessage::Queued { mode: "arena".into(), waiting: 3 });
        assert!(matches!(
            decode(&q).unwrap(),
            Incoming::Other(ServerMessage::Queued { waiting: 3, .. })
        ));
    }

    #[test]
    fn chat_lines_are_read_in_place() {
        let c = encode_server(&ServerMessage::Chat {
            from: 7,
            name: "bot-7".into(),
            text: "bot 7 line 3".into(),
            tick: 99,
        });
        assert_eq!(leading_type(&c), Some("chat"));
        match decode(&c).unwrap() {
            Incoming::Chat { from, text } => assert_eq!((from, text), (7, "bot 7 line 3")),
            other => panic!("{other:?}"),
        }
        // Truncated or missing fields: decode errors, never a panic.
        for cut in 0..c.len() {
            assert!(decode(&c[..cut]).is_err(), "cut at {cut}");
        }
        #[derive(serde::Serialize)]
        struct NoText {
            r#type: &'static str,
            from: u32,
        }
        let b = rmp_serde::to_vec_named(&NoText { r#type: "chat", from: 1 }).unwrap();
        assert!(matches!(decode(&b), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn other_layouts_and_garbage() {
        // "type" not first: found by peek_type.
        #[derive(serde::Serialize)]
        struct Late {
            rtt_ms: f64,
            jitter_ms: f64,
            last_ms: f64,
            r#type: &'static str,
        }
        let b = rmp_serde::to_vec_named(&Late {
            rtt_ms: 1.0,
            jitter_ms: 0.0,
            last_ms: 1.0,
            r#type: "rtt",
        })
        .unwrap();
        assert_eq!(leading_type(&b), None);
        assert!(matches!(decode(&b).unwrap(), Incoming::Rtt(_)));
        assert!(decode(b"\xc1").is_err());
        assert!(decode(&[0x81, 0xa4, b't', b'y', b'p', b'e', 0xa5, b'd']).is_err());
        #[derive(serde::Serialize)]
        struct Bad {
            r#type: &'static str,
            rtt_ms: &'static str,
        }
        let b = rmp_serde::to_vec_named(&Bad { r#type: "rtt", rtt_ms: "x" }).unwrap();
        assert!(matches!(decode(&b), Err(DecodeError::Malformed(_))));
    }
}
