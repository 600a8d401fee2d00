//! A connect4 bot's turns: when the state says it is its move (`turn` == its player id), one
//! `drop` command with the column [`pick_column`] chooses, and no other until it is answered.
//! After an accepted drop it waits for the state to show the move (`moves` grew), so it
//! never drops twice for one turn; after a refusal it looks at the next state again
//! (`not_your_turn`, `column_full`: the state it acted on was stale), and after
//! `game_over` it waits for the next match.

use super::input::{Plan, Val};
use crate::connect4::pick_column;
use crate::state_v2::{connect4_board, global_int};
use tickwave_protocol::v2::{Layout, View};

/// A `drop` sent and not answered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) id: u32,
    pub(crate) sent_us: u64,
    /// `moves` in the state the drop was chosen on.
    moves: i64,
}

/// What the bot waits for before it may drop again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Nothing: drop when it is my turn.
    Ready,
    /// An accepted drop: until the state shows more moves than this.
    MovesAbove(i64),
    /// A refusal: the next state message.
    NextState,
    /// The game is decided.
    Over,
}

/// An answer to one of this bot's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answered {
    /// Command sent to `command_result` received, microseconds.
    pub(crate) rtt_us: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Turns {
    args: Plan,
    column: Option<usize>,
    vals: Vec<Val>,
    next_id: u32,
    pending: Option<Pending>,
    wait: Wait,
    /// Idle bots sit at the board and let their clock run out.
    plays: bool,
    /// Thinking time before each move, microseconds (`--think`).
    think_us: u64,
    /// The turn being thought about: (`moves` when it began, when it began).
    thinking: Option<(i64, u64)>,
}

impl Turns {
    pub(crate) fn new(layout: &Layout, plays: bool, think_us: u64) -> Turns {
        let args = layout
            .schema()
            .commands
            .iter()
            .find(|c| c.name == "drop")
            .map_or_else(Plan::default, |c| Plan::new(&c.args));
        let column = args.fields.iter().position(|f| f.name == "column");
        let mut vals = Vec::new();
        args.defaults(&mut vals);
        Turns {
            args,
            column,
            vals,
            next_id: 0,
            pending: None,
            wait: Wait::Ready,
            plays,
            think_us,
            thinking: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn pending(&self) -> Option<Pending> {
        self.pending
    }

    /// A state message was applied: if it is my move and nothing holds the bot back, write
    /// a `drop` into `out` and return true. `tie` breaks ties between equal columns.
    pub(crate) fn on_state(
        &mut self,
        view: &View,
        me: u32,
        now_us: u64,
        tie: u64,
        out: &mut Vec<u8>,
    ) -> bool {
        if !self.plays || self.pending.is_some() {
            return false;
        }
        let moves = global_int(view, "moves").unwrap_or(0);
        match self.wait {
            Wait::Over => return false,
            Wait::MovesAbove(m) if moves <= m => return false,
            _ => self.wait = Wait::Ready,
        }
        if global_int(view, "turn") != Some(i64::from(me)) {
            return false;
        }
        // Think from the first state of this turn on (states come every send tick).
        if self.think_us > 0 {
            match self.thinking {
                Some((m, since)) if m == moves => {
                    if now_us < since.saturating_add(self.think_us) {
                        return false;
                    }
                }
                _ => {
                    self.thinking = Some((moves, now_us));
                    return false;
                }
            }
        }
        let Some((board, mine)) = connect4_board(view, me) else { return false };
        let Some(col) = pick_column(&board, mine, tie) else { return false };
        self.next_id = self.next_id.wrapping_add(1);
        if let Some(v) = self.column.and_then(|i| self.vals.get_mut(i)) {
            *v = Val::Int(col as i64);
        }
        self.args.command(self.next_id, "drop", &self.vals, out);
        self.pending = Some(Pending { id: self.next_id, sent_us: now_us, moves });
        true
    }

    /// A `command_result`: `None` when it answers no command of this bot's; `refusal` is the
    /// code of a refused command.
    pub(crate) fn on_result(
        &mut self,
        id: u32,
        refusal: Option<&str>,
        now_us: u64,
    ) -> Option<Answered> {
        let p = self.pending.filter(|p| p.id == id)?;
        self.pending = None;
        self.wait = match refusal {
            None => Wait::MovesAbove(p.moves),
            Some("game_over") => Wait::Over,
            Some(_) => Wait::NextState,
        };
        Some(Answered { rtt_us: now_us.saturating_sub(p.sent_us) })
    }

    /// The seat came back after a dropped connection: an answer in flight was lost with it,
    /// so decide again from the catch-up state (which shows whether the drop was applied).
    pub(crate) fn on_resume(&mut self) {
        self.pending = None;
        if self.wait != Wait::Over {
            self.wait = Wait::NextState;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_v2::c4_fixture::{c4_layout as layout, server as view};
    use tickwave_protocol::v2::decode_command;

    fn dropped(l: &Layout, out: &[u8]) -> (u32, i64) {
        let f = decode_command(l, out).expect("a valid drop");
        let c = l.command_id("drop").unwrap();
        let col = f.args.get(l.command_args(c), 0).unwrap().as_i64().unwrap();
        (f.id, col)
    }

    #[test]
    fn one_drop_per_turn_and_none_out_of_turn() {
        let l = layout();
        let mut t = Turns::new(&l, true, 0);
        let mut out = Vec::new();
        // Not my turn: nothing.
        assert!(!t.on_state(&view(&l, 9, &[]), 3, 0, 1, &mut out));
        // My turn: a drop in the centre, then nothing while it is outstanding.
        let empty = view(&l, 3, &[]);
        assert!(t.on_state(&empty, 3, 1_000, 1, &mut out));
        assert_eq!(dropped(&l, &out), (1, 3));
        out.clear();
        assert!(!t.on_state(&empty, 3, 1_100, 1, &mut out));
        assert_eq!(t.on_result(77, None, 1_200), None, "another id is not ours");
        assert_eq!(t.on_result(1, None, 1_500), Some(Answered { rtt_us: 500 }));
        // Accepted, but the state does not show the move yet: no second drop.
        assert!(!t.on_state(&empty, 3, 1_600, 1, &mut out));
        // The move shows, the opponent moves, my turn again: the opponent threatens
        // nothing, I stack the centre.
        let v = view(&l, 3, &[(3, 0, 3), (0, 0, 9)]);
        assert!(t.on_state(&v, 3, 2_000, 1, &mut out));
        assert_eq!(dropped(&l, &out), (2, 3));
        assert_eq!(t.pending().map(|p| p.id), Some(2));
    }

    #[test]
    fn refusals_wait_for_the_next_state_and_game_over_stops() {
        let l = layout();
        let mut t = Turns::new(&l, true, 0);
        let mut out = Vec::new();
        let mine = view(&l, 3, &[]);
        assert!(t.on_state(&mine, 3, 0, 1, &mut out));
        assert!(t.on_result(1, Some("not_your_turn"), 10).is_some());
        // The next state decides again.
        out.clear();
        assert!(t.on_state(&mine, 3, 20, 1, &mut out));
        assert!(t.on_result(2, Some("game_over"), 30).is_some());
        assert!(!t.on_state(&mine, 3, 40, 1, &mut out), "decided: no more drops");
        // A resume forgets the drop in flight and looks at the catch-up state.
        let mut t = Turns::new(&l, true, 0);
        assert!(t.on_state(&mine, 3, 0, 1, &mut out));
        t.on_resume();
        assert_eq!(t.pending(), None);
        assert!(t.on_state(&mine, 3, 50, 1, &mut out));
        // Idle bots never drop.
        let mut idle = Turns::new(&l, false, 0);
        assert!(!idle.on_state(&mine, 3, 0, 1, &mut out));
    }

    #[test]
    fn a_thinking_bot_moves_think_after_the_first_state_of_its_turn() {
        let l = layout();
        let mut t = Turns::new(&l, true, 500_000);
        let mut out = Vec::new();
        let mine = view(&l, 3, &[]);
        assert!(!t.on_state(&mine, 3, 1_000_000, 1, &mut out), "the turn begins: think");
        assert!(!t.on_state(&mine, 3, 1_499_999, 1, &mut out));
        assert!(t.on_state(&mine, 3, 1_500_000, 1, &mut out), "half a second later: move");
        assert!(t.on_result(1, None, 1_600_000).is_some());
        // The next turn (more moves) thinks again from its own first state.
        let next = view(&l, 3, &[(3, 0, 3), (0, 0, 9)]);
        assert!(!t.on_state(&next, 3, 3_000_000, 1, &mut out));
        assert!(!t.on_state(&next, 3, 3_400_000, 1, &mut out));
        assert!(t.on_state(&next, 3, 3_500_000, 1, &mut out));
    }
}
