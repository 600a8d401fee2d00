//! What a protocol-2 bot does with the messages of game API v2: `match_found` builds the
//! match's [`GamePlay`] from its schema (or continues it after a resume); snapshots and
//! deltas are decoded once and applied to the typed state with v1's checks, counted as v1
//! counts them, and may prompt a command (connect4's drop); events are checked against the
//! schema and counted by name; `command_result`s close the command's round trip; `results`
//! (both versions) say how the match ended.

use super::state::StateFault;
use super::{Bot, Sess};
use crate::state_v2::StateCheckV2;
use crate::swarm::game::GamePlay;
use crate::swarm::games::{Outcome, bump};
use crate::swarm::net::conn::Conn;
use crate::swarm::rng::Rng;
use crate::swarm::stats::ErrorKind;
use crate::swarm::views::{ViewFailure, has_private_fields, hidden_in};
use tickwave_protocol::v2::{
    CommandOutcome, CommandResultMsg, Delta, DeltaMsg, EventMsg, MatchFound, SnapshotMsg,
    WireError, decode_delta, decode_snapshot,
};

/// A decoded protocol-2 state message.
pub(super) enum StateMsg {
    Snapshot(SnapshotMsg),
    Delta(DeltaMsg),
}

impl StateMsg {
    pub(super) fn decode(b: &[u8], snapshot: bool) -> Result<StateMsg, WireError> {
        Ok(if snapshot {
            StateMsg::Snapshot(decode_snapshot(b)?)
        } else {
            StateMsg::Delta(decode_delta(b)?)
        })
    }
}

impl From<StateCheckV2> for StateFault {
    fn from(e: StateCheckV2) -> Self {
        let failure = ViewFailure::of_v2(&e);
        let kind = match e {
            StateCheckV2::BaseMismatch { .. } => ErrorKind::BaseMismatch,
            StateCheckV2::Backwards { .. } => ErrorKind::TickBackwards,
            StateCheckV2::Apply(_) => ErrorKind::DeltaApply,
        };
        StateFault::Check(kind, failure)
    }
}

impl Bot {
    /// A protocol-2 snapshot or delta: applied to the match's typed state and measured like
    /// a v1 one; when it applied, the game may answer it with a command.
    pub(super) fn on_state_v2(
        &mut self,
        conn: &mut Conn,
        s: &mut Sess,
        decoded: Result<StateMsg, WireError>,
        len: usize,
        now: u64,
    ) {
        let Some(play) = self.play.as_deref_mut() else {
            // No match (or one whose schema did not compile, counted then): nothing to hold.
            self.ctx.stats.borrow_mut().count(now, |c| c.state_msgs += 1);
            return;
        };
        // What the message did to the view, counted when it applied (issue 16).
        let private = has_private_fields(play.state.view.layout());
        let hidden = |d: &Delta| if private { hidden_in(d) } else { 0 };
        let applied = match decoded {
            Ok(StateMsg::Snapshot(m)) => {
                play.state.apply_snapshot(&m).map_err(StateFault::from).inspect(|_| {
                    self.ctx.views.borrow_mut().applied(hidden(&m.state), 0, 0);
                })
            }
            Ok(StateMsg::Delta(m)) => {
                play.state.apply_delta(&m).map_err(StateFault::from).inspect(|_| {
                    let d = &m.delta;
                    self.ctx.views.borrow_mut().applied(
                        hidden(d),
                        d.added().len(),
                        d.removed().len(),
                    );
                })
            }
            Err(e) => {
                tracing::debug!(bot = self.id, error = %e, "undecodable state message");
                Err(StateFault::Decode)
            }
        };
        let ok = applied.is_ok();
        self.on_state(s, applied, len, now);
        let (Some(m), Some(play), true) = (&s.in_match, self.play.as_deref_mut(), ok) else {
            return;
        };
        let me = m.player;
        if conn.queue_built(|buf| play.after_state(me, now, buf)) {
            self.ctx.games.borrow_mut().commands_sent += 1;
            self.rec.borrow_mut().commands += 1;
        }
    }

    /// A protocol-2 `match_found`: a new match gets a new play from its schema; the seat of
    /// the match the bot was in (a resume) keeps its state.
    pub(super) fn on_match_found_v2(&mut self, s: &mut Sess, m: &MatchFound, now: u64) {
        let rejoined = self.on_match_found(s, m.player, m.tick_hz, None, now);
        match self.play.as_deref_mut() {
            Some(p) if rejoined => p.on_resume(),
            _ => {
                let rng = Rng::new(self.play_rng.next_u64());
                let plays = self.policy.behaviour().sends_inputs();
                match self.ctx.layout_for(&m.schema) {
                    Ok(l) => {
                        let think = self.ctx.cfg.think.as_micros() as u64;
                        self.play = Some(Box::new(GamePlay::with_layout(l, rng, plays, think)));
                    }
                    Err(e) => {
                        tracing::debug!(bot = self.id, error = %e, "match_found with a bad schema");
                        self.play = None;
                        self.error(ErrorKind::Decode);
                    }
                }
            }
        }
        if !self.play.as_ref().is_some_and(|p| p.sends_inputs()) {
            s.next_input = None;
        }
    }

    /// An event: checked against the schema (one that does not fit is a decode error) and
    /// counted by name.
    pub(super) fn on_event(&mut self, e: &EventMsg, now: u64) {
        self.ctx.stats.borrow_mut().count(now, |c| c.other_msgs += 1);
        let Some(play) = &self.play else { return };
        match e.check(play.state.view.layout()) {
            Ok(_) => bump(&mut self.ctx.games.borrow_mut().events, &e.name, 1),
            Err(err) => {
                tracing::debug!(bot = self.id, error = %err, "event outside the schema");
                self.error(ErrorKind::Decode);
            }
        }
    }

    /// A `command_result`: the round trip of the command it answers, and its refusal code.
    pub(super) fn on_command_result(&mut self, r: &CommandResultMsg, now: u64) {
        let in_window = {
            let mut st = self.ctx.stats.borrow_mut();
            st.count(now, |c| c.other_msgs += 1);
            st.in_window(now)
        };
        let refusal = match &r.outcome {
            CommandOutcome::Ok(_) => None,
            CommandOutcome::Err { code, .. } => Some(code.as_str()),
        };
        let Some(a) =
            self.play.as_deref_mut().and_then(|p| p.on_command_result(r.id, refusal, now))
        else {
            tracing::debug!(bot = self.id, id = r.id, "a command_result for no command of ours");
            return;
        };
        self.ctx.games.borrow_mut().answered(refusal, in_window.then_some(a.rtt_us));
    }

    /// `results` (either version): how the match ended for this seat.
    pub(super) fn on_results(
        &mut self,
        s: &Sess,
        players: impl Iterator<Item = u32>,
        winner: Option<i64>,
        reason: Option<&str>,
    ) {
        let Some(m) = &s.in_match else { return };
        let o = Outcome::of(m.player, players, winner, reason.map(str::to_owned));
        self.ctx.games.borrow_mut().result(&o);
        let mut rec = self.rec.borrow_mut();
        rec.games += 1;
        rec.wins += u32::from(o.won);
    }
}
