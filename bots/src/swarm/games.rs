//! What games add to the measurements: matches that ended with `results` (and how: wins,
//! draws, forfeits, the game's reason), protocol 2's commands (sent, answered, refused by
//! code, command-to-result time) and events by name.
//!
//! A shard's bots record into one `GameTotals` (kept beside the shard's other totals, not
//! inside them, so that these figures depend on the statistics helpers and not the other way
//! round); the collector merges them and the report shows them as [`Games`]. Counts cover the
//! whole run; the command round trip, a latency, only the measurement window.
//!
//! Every map is keyed by what the server sent (refusal codes, a payload's reason, event names)
//! and holds at most `MAX_KEYS` keys; the rest are counted under `OTHER`, so a server that
//! invents a code per message cannot grow a bot process.

use super::stats::{HistSummary, hist, record};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Keys a map of [`GameTotals`] holds before it counts new ones under [`OTHER`].
pub(crate) const MAX_KEYS: usize = 64;
/// Where keys beyond [`MAX_KEYS`] are counted.
pub(crate) const OTHER: &str = "(other)";

/// Count one `key` in `map`, allocating only for a key not seen before.
pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str, by: u64) {
    if let Some(n) = map.get_mut(key) {
        *n += by;
    } else if map.len() < MAX_KEYS {
        map.insert(key.to_owned(), by);
    } else {
        *map.entry(OTHER.to_owned()).or_default() += by;
    }
}

/// How a match ended for one seat, from its `results`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// The payload's `winner` is this seat / another player / `0` (a draw).
    pub(crate) won: bool,
    pub(crate) lost: bool,
    pub(crate) draw: bool,
    /// The payload's `reason` (`four_in_a_row`, `draw`, `forfeit`, `left`); `None` without
    /// a payload (the match length ran out) or without a reason.
    pub(crate) reason: Option<String>,
    /// This seat counts the game: its player id is the lowest of the `scores` (or, when a
    /// player left, which takes the leaver out of the `results`, it is the winner), so each
    /// game is counted once however many of its players are bots of the swarm.
    pub(crate) counts_game: bool,
}

impl Outcome {
    /// The outcome for player `me` of a `results` with these players and payload.
    pub(crate) fn of(
        me: u32,
        players: impl Iterator<Item = u32>,
        winner: Option<i64>,
        reason: Option<String>,
    ) -> Outcome {
        let lowest = players.min();
        let won = winner == Some(i64::from(me));
        let left = reason.as_deref() == Some("left");
        Outcome {
            won,
            lost: winner.is_some_and(|w| w != 0 && w != i64::from(me)),
            draw: winner == Some(0),
            counts_game: if left { won } else { lowest.is_none_or(|p| p == me) },
            reason,
        }
    }

    fn forfeit(&self) -> bool {
        matches!(self.reason.as_deref(), Some("forfeit" | "left"))
    }
}

/// A shard's game figures.
#[derive(Debug, Clone)]
pub(crate) struct GameTotals {
    pub(crate) results: u64,
    pub(crate) finished: u64,
    pub(crate) wins: u64,
    pub(crate) losses: u64,
    pub(crate) draws: u64,
    pub(crate) forfeits: u64,
    pub(crate) end_reasons: BTreeMap<String, u64>,
    pub(crate) commands_sent: u64,
    pub(crate) command_results: u64,
    pub(crate) refusals: BTreeMap<String, u64>,
    pub(crate) command_rtt: Histogram<u64>,
    pub(crate) events: BTreeMap<String, u64>,
}

impl Default for GameTotals {
    fn default() -> Self {
        GameTotals {
            results: 0,
            finished: 0,
            wins: 0,
            losses: 0,
            draws: 0,
            forfeits: 0,
            end_reasons: BTreeMap::new(),
            commands_sent: 0,
            command_results: 0,
            refusals: BTreeMap::new(),
            command_rtt: hist(),
            events: BTreeMap::new(),
        }
    }
}

impl GameTotals {
    /// One seat's `results`.
    pub(crate) fn result(&mut self, o: &Outcome) {
        self.results += 1;
        self.finished += u64::from(o.counts_game);
        self.wins += u64::from(o.won);
        self.losses += u64::from(o.lost);
        self.draws += u64::from(o.draw);
        self.forfeits += u64::from(o.forfeit());
        bump(&mut self.end_reasons, o.reason.as_deref().unwrap_or("(no payload)"), 1);
    }

    /// A `command_result` answering a command of the bot's; `rtt_us` inside the window only.
    pub(crate) fn answered(&mut self, refusal: Option<&str>, rtt_us: Option<u64>) {
        self.command_results += 1;
        if let Some(code) = refusal {
            bump(&mut self.refusals, code, 1);
        }
        if let Some(us) = rtt_us {
            record(&mut self.command_rtt, us);
        }
    }

    pub(crate) fn merge(&mut self, o: &GameTotals) {
        self.results += o.results;
        self.finished += o.finished;
        self.wins += o.wins;
        self.losses += o.losses;
        self.draws += o.draws;
        self.forfeits += o.forfeits;
        self.commands_sent += o.commands_sent;
        self.command_results += o.command_results;
        for (mine, theirs) in [
            (&mut self.end_reasons, &o.end_reasons),
            (&mut self.refusals, &o.refusals),
            (&mut self.events, &o.events),
        ] {
            for (k, n) in theirs {
                bump(mine, k, *n);
            }
        }
        self.command_rtt.add(&o.command_rtt).expect("same bounds");
    }
}

/// Games in the report: how matches ended, commands and events (PROTOCOL.md §3.3, §6.6,
/// §8.2). Counts cover the whole run, the command round trip the measurement window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Games {
    /// Matches that ended with `results`, each counted once (by its lowest player id).
    pub finished: u64,
    /// `results` received: one per seat of a swarm bot, so a game between two bots gives 2.
    pub results: u64,
    /// Seats whose payload named them the winner, another player, or no one (a draw).
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    /// Seats whose game ended by a forfeit (out of time, or a player left).
    pub forfeits: u64,
    /// Seats by the payload's `reason` (`(no payload)`: the match length ran out).
    pub end_reasons: BTreeMap<String, u64>,
    /// Commands sent and `command_result`s received for them.
    pub commands_sent: u64,
    pub command_results: u64,
    /// Refused commands by code (`not_your_turn`, `column_full`, ...).
    pub command_refusals: BTreeMap<String, u64>,
    /// Command sent until its `command_result` came back.
    pub command_rtt: HistSummary,
    /// `event`s received, by name.
    pub events: BTreeMap<String, u64>,
}

fn list(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
}

impl Games {
    pub(crate) fn of(t: &GameTotals) -> Games {
        Games {
            finished: t.finished,
            results: t.results,
            wins: t.wins,
            losses: t.losses,
            draws: t.draws,
            forfeits: t.forfeits,
            end_reasons: t.end_reasons.clone(),
            commands_sent: t.commands_sent,
            command_results: t.command_results,
            command_refusals: t.refusals.clone(),
            command_rtt: HistSummary::of(&t.command_rtt),
            events: t.events.clone(),
        }
    }

    /// The table's lines about games; nothing for a run that saw none of it.
    pub(crate) fn table(&self, o: &mut String) {
        if self.results > 0 {
            let _ = writeln!(
                o,
                "games     {} finished ({} results) | wins {} losses {} draws {} forfeits {} | ended by: {}",
                self.finished,
                self.results,
                self.wins,
                self.losses,
                self.draws,
                self.forfeits,
                list(&self.end_reasons)
            );
        }
        if self.commands_sent > 0 {
            let h = &self.command_rtt;
            let _ = writeln!(
                o,
                "commands  {} sent, {} answered | refused: {} | command -> result p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                self.commands_sent,
                self.command_results,
                list(&self.command_refusals),
                h.p50_ms,
                h.p99_ms,
                h.max_ms
            );
        }
        if !self.events.is_empty() {
            let _ = writeln!(o, "events    {}", list(&self.events));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_count_each_game_once_and_each_seat_its_own() {
        let mut t = GameTotals::default();
        // A win of player 3 over 9: both seats report.
        for me in [3, 9] {
            let o = Outcome::of(me, [9, 3].into_iter(), Some(3), Some("four_in_a_row".into()));
            t.result(&o);
        }
        // A draw, and a forfeit seen only by the winner (the other left).
        for me in [4, 5] {
            t.result(&Outcome::of(me, [4, 5].into_iter(), Some(0), Some("draw".into())));
        }
        t.result(&Outcome::of(8, [7, 8].into_iter(), Some(8), Some("left".into())));
        // A match whose time ran out: no payload.
        t.result(&Outcome::of(1, [1, 2].into_iter(), None, None));
        let g = Games::of(&t);
        assert_eq!((g.results, g.finished), (6, 4), "the winner counts the game the other left");
        assert_eq!((g.wins, g.losses, g.draws, g.forfeits), (2, 1, 2, 1));
        assert_eq!(g.end_reasons["four_in_a_row"], 2);
        assert_eq!(g.end_reasons["(no payload)"], 1);
        let mut table = String::new();
        g.table(&mut table);
        assert!(table.contains("games     4 finished (6 results)"), "{table}");
        assert!(!table.contains("commands"), "no command was sent: {table}");
    }

    #[test]
    fn maps_are_bounded_and_merge() {
        let mut a = GameTotals::default();
        for i in 0..200 {
            a.answered(Some(&format!("code_{i}")), Some(1000 + i));
        }
        assert_eq!(a.refusals.len(), MAX_KEYS + 1);
        assert_eq!(a.refusals[OTHER], 200 - MAX_KEYS as u64);
        let mut b = GameTotals { commands_sent: 3, ..GameTotals::default() };
        b.answered(None, Some(2000));
        bump(&mut b.events, "moved", 2);
        a.merge(&b);
        a.merge(&b);
        assert_eq!((a.commands_sent, a.command_results), (6, 202));
        assert_eq!(a.events["moved"], 4);
        assert_eq!(a.command_rtt.len(), 202);
        assert_eq!(
            a.refusals.values().sum::<u64>(),
            200,
            "answers without a code are not refusals"
        );
    }
}
