//! Sorting server messages on the bots' hot path.
//!
//! `decode_server` reads the internally tagged `ServerMessage`, which makes serde buffer the
//! whole map before it knows the variant. State messages are most of the traffic, so the bot
//! looks at the `"type"` first: snapshots and deltas go to the bot's allocation-free state
//! decoder ([`super::view`]), rtt reports straight into their struct, chat lines (every
//! member of a lobby gets every line) to their sender and text borrowed from the frame, and
//! everything else (a few messages per match) through `decode_server`.
//!
//! A protocol-2 connection ([`decode_v2`]) also gets `event` and `command_result`, and its
//! `match_found` (typed schema) and `results` (the game's payload) have their v2 forms; the
//! rest is sorted as in version 1. State messages are left to the caller either way.

use super::msgpack::{Malformed, Reader};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tickwave_protocol::v2::{
    self, CommandResultMsg, EventMsg, decode_command_result, decode_event,
};
use tickwave_protocol::{
    DecodeError, RttReport, ScoreLine, ServerMessage, decode_server, peek_type,
};

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
    /// Protocol 2: `match_found` with the game's typed schema.
    MatchFound(Box<v2::MatchFound>),
    /// Protocol 2: an event of the game.
    Event(EventMsg),
    /// Protocol 2: the answer to a command.
    CommandResult(CommandResultMsg),
    /// Protocol 2: `results`, with what the bots read of the game's payload.
    Results(Results),
}

/// A v2 `results`: the scores and, when the game set a payload that is a map, its `winner`
/// and `reason` (connect4's `{"winner": 3, "reason": "four_in_a_row"}`). Another payload
/// (PROTOCOL.md §3.3: "any" value of the game's choosing) is skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Results {
    pub(crate) lobby: u64,
    pub(crate) scores: Vec<ScoreLine>,
    #[serde(default)]
    payload: Option<Payload>,
}

impl Results {
    /// The payload's `winner` (`0`: none, a draw), if it has one.
    pub(crate) fn winner(&self) -> Option<i64> {
        match &self.payload {
            Some(Payload::Known(k)) => k.winner,
            _ => None,
        }
    }

    /// The payload's `reason`, if it has one.
    pub(crate) fn reason(&self) -> Option<&str> {
        match &self.payload {
            Some(Payload::Known(k)) => k.reason.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum Payload {
    Known(KnownPayload),
    Other(#[allow(dead_code)] IgnoredAnyEq),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct KnownPayload {
    #[serde(default)]
    winner: Option<i64>,
    #[serde(default)]
    reason: Option<String>,
}

/// A skipped value (`IgnoredAny` with the comparisons the message types derive).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "IgnoredAny")]
struct IgnoredAnyEq;

impl From<IgnoredAny> for IgnoredAnyEq {
    fn from(_: IgnoredAny) -> Self {
        IgnoredAnyEq
    }
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

fn type_of(b: &[u8]) -> Result<&str, DecodeError> {
    match leading_type(b) {
        Some(t) => Ok(t),
        None => peek_type(b),
    }
}

fn malformed(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Malformed(e.to_string())
}

/// Sort (and except for state messages, decode) one server message of a protocol-2
/// connection.
pub(crate) fn decode_v2(b: &[u8]) -> Result<Incoming<'_>, DecodeError> {
    let ty = type_of(b)?;
    Ok(match ty {
        "match_found" => {
            Incoming::MatchFound(Box::new(v2::MatchFound::decode(b).map_err(malformed)?))
        }
        "event" => Incoming::Event(decode_event(b).map_err(malformed)?),
        "command_result" => Incoming::CommandResult(decode_command_result(b).map_err(malformed)?),
        "results" => Incoming::Results(decode_as(b)?),
        _ => sort(b, ty)?,
    })
}

/// Sort (and except for state messages, decode) one server message.
pub(crate) fn decode(b: &[u8]) -> Result<Incoming<'_>, DecodeError> {
    sort(b, type_of(b)?)
}

fn sort<'a>(b: &'a [u8], ty: &str) -> Result<Incoming<'a>, DecodeError> {
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
    fn protocol_2_messages_are_sorted_by_type() {
        use tickwave_protocol::v2::{CommandOutcome, Encoder, Schema};
        #[derive(serde::Serialize, Default)]
        struct Moved {
            player: i64,
            column: i32,
        }
        let schema = Schema::builder().event::<Moved>("moved", |e| e).build().unwrap();
        let layout = tickwave_protocol::v2::Layout::new(schema.clone()).unwrap();
        let mut enc = Encoder::new();
        let moved = layout.event_id("moved").unwrap();
        let ev = enc.event(11, &layout, moved, &Moved { player: 3, column: 4 }).unwrap();
        match decode_v2(&ev).unwrap() {
            Incoming::Event(e) => {
                assert_eq!((e.tick, e.name.as_str(), e.data.len()), (11, "moved", 2))
            }
            other => panic!("{other:?}"),
        }
        let ok = enc.command_ok_raw(7, None);
        let err = enc.command_err(8, "not_your_turn", "wait").unwrap();
        match (decode_v2(&ok).unwrap(), decode_v2(&err).unwrap()) {
            (Incoming::CommandResult(a), Incoming::CommandResult(b)) => {
                assert_eq!((a.id, a.outcome), (7, CommandOutcome::Ok(None)));
                assert_eq!(b.id, 8);
                assert!(
                    matches!(b.outcome, CommandOutcome::Err { code, .. } if code == "not_your_turn")
                );
            }
            other => panic!("{other:?}"),
        }
        let mf = v2::MatchFound {
            lobby: 1,
            player: 2,
            mode: "m".into(),
            game: "g".into(),
            state: "waiting".into(),
            tick_hz: 30,
            max_players: 2,
            roster: vec![],
            schema,
            code: None,
            send_hz: None,
            team: None,
        };
        match decode_v2(&mf.encode()).unwrap() {
            Incoming::MatchFound(m) => assert_eq!(*m, mf),
            other => panic!("{other:?}"),
        }
        assert!(decode(&mf.encode()).is_err(), "not a v1 match_found");
        // Everything else as in version 1.
        let q = encode_server(&ServerMessage::Queued { mode: "arena".into(), waiting: 3 });
        assert!(matches!(decode_v2(&q).unwrap(), Incoming::Other(ServerMessage::Queued { .. })));
        assert!(decode_v2(&ev[..ev.len() - 1]).is_err());
    }

    #[test]
    fn results_payloads_are_read_when_they_are_maps() {
        use tickwave_protocol::v2::Encoder;
        #[derive(serde::Serialize)]
        struct Payload<'a> {
            winner: i64,
            reason: &'a str,
        }
        let scores = [ScoreLine { player: 3, name: "a".into(), score: 1 }];
        let p = rmp_serde::to_vec_named(&Payload { winner: 3, reason: "four_in_a_row" }).unwrap();
        let r =
            |payload: Option<&[u8]>| match decode_v2(&Encoder::new().results(9, &scores, payload))
                .unwrap()
            {
                Incoming::Results(r) => r,
                other => panic!("{other:?}"),
            };
        let won = r(Some(&p));
        assert_eq!((won.lobby, won.winner(), won.reason()), (9, Some(3), Some("four_in_a_row")));
        assert_eq!(won.scores, scores);
        let none = r(None);
        assert_eq!((none.winner(), none.reason()), (None, None));
        // A payload of another shape is skipped, not an error.
        for other in [rmp_serde::to_vec(&[1, 2, 3]).unwrap(), rmp_serde::to_vec("x").unwrap()] {
            assert_eq!(r(Some(&other)).winner(), None);
        }
        let odd =
            rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("winner", "x")])).unwrap();
        assert_eq!(r(Some(&odd)).winner(), None);
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
