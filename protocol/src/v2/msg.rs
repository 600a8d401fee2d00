//! The v2 forms of the lobby messages whose shape changed with the typed API:
//! `match_found` carries the typed [`Schema`] (kinds, globals, input, commands, events)
//! instead of v1's list of integer kinds, and `results` may carry the game's payload.
//! Every other message keeps its v1 form in version 2.

use super::encode::{Encoder, Out};
use super::schema::Schema;
use crate::message::{PlayerInfo, ScoreLine};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// `match_found` in protocol 2. Same members as v1 except `schema`, plus the player's team
/// when the game assigned one at join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchFound {
    pub lobby: u64,
    pub player: u32,
    pub mode: String,
    pub game: String,
    pub state: String,
    pub tick_hz: u32,
    pub max_players: u32,
    pub roster: Vec<PlayerInfo>,
    /// The game's schema: state, input, commands and events (PROTOCOL.md §6.4).
    pub schema: Schema,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_hz: Option<u32>,
    /// The team the game put this player on, if it uses teams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<u32>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Tagged<'a> {
    MatchFound(&'a MatchFound),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum TaggedOwned {
    MatchFound(MatchFound),
}

impl MatchFound {
    /// The message's bytes (`{"type":"match_found", ...}`, named keys).
    pub fn encode(&self) -> Bytes {
        let mut v = Vec::with_capacity(256);
        rmp_serde::encode::write_named(&mut v, &Tagged::MatchFound(self))
            .expect("encoding to memory cannot fail");
        Bytes::from(v)
    }

    /// Client side: read a v2 `match_found`.
    pub fn decode(bytes: &[u8]) -> Result<Self, rmp_serde::decode::Error> {
        let TaggedOwned::MatchFound(m) = rmp_serde::from_slice(bytes)?;
        Ok(m)
    }
}

impl Encoder {
    /// `{"type":"results","lobby","scores":[{player,name,score}],"payload"?:any}`; `payload`
    /// is one MessagePack value the game encoded (its `MatchEnd` payload), copied as is.
    pub fn results(&mut self, lobby: u64, scores: &[ScoreLine], payload: Option<&[u8]>) -> Bytes {
        let mut o = Out::new(&mut self.buf);
        o.map(if payload.is_some() { 4 } else { 3 });
        o.str("type");
        o.str("results");
        o.str("lobby");
        o.uint(lobby);
        o.str("scores");
        o.array(scores.len());
        for s in scores {
            o.map(3);
            o.str("player");
            o.uint(u64::from(s.player));
            o.str("name");
            o.str(&s.name);
            o.str("score");
            o.sint(s.score);
        }
        if let Some(p) = payload {
            o.str("payload");
            o.raw(p);
        }
        o.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_with_and_without_payload_read_back_as_plain_messagepack() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct Payload {
            winner: u32,
        }
        #[derive(Deserialize, Debug)]
        struct Results {
            r#type: String,
            lobby: u64,
            scores: Vec<ScoreLine>,
            payload: Option<Payload>,
        }
        let scores = [ScoreLine { player: 3, name: "ada".into(), score: -2 }];
        let mut e = Encoder::new();
        let payload = rmp_serde::to_vec_named(&Payload { winner: 3 }).unwrap();
        let b = e.results(9, &scores, Some(&payload));
        let r: Results = rmp_serde::from_slice(&b).unwrap();
        assert_eq!((r.r#type.as_str(), r.lobby), ("results", 9));
        assert_eq!(r.scores, scores);
        assert_eq!(r.payload, Some(Payload { winner: 3 }));
        let r: Results = rmp_serde::from_slice(&e.results(9, &[], None)).unwrap();
        assert!(r.payload.is_none() && r.scores.is_empty());
    }

    #[test]
    fn match_found_round_trips_with_its_type() {
        let schema = Schema::builder().build().unwrap();
        let m = MatchFound {
            lobby: 1,
            player: 2,
            mode: "m".into(),
            game: "g".into(),
            state: "waiting".into(),
            tick_hz: 30,
            max_players: 2,
            roster: vec![PlayerInfo { player: 2, name: "x".into(), connected: true }],
            schema,
            code: None,
            send_hz: None,
            team: Some(1),
        };
        let b = m.encode();
        assert_eq!(crate::peek_type(&b).unwrap(), "match_found");
        assert_eq!(MatchFound::decode(&b).unwrap(), m);
    }
}
