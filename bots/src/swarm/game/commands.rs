//! Commands of a game the bots do not know (a studio's own): now and then, one of the
//! schema's declared commands with random valid arguments, at most one unanswered, so a load
//! test also drives the game's command path (the server's validation, the game's own
//! refusals, its reply values). Gaps are exponential with a mean of [`MEAN_GAP`], so a swarm
//! does not send in step; each answer's round trip is timed like connect4's drops.

use super::input::{Plan, Val};
use super::turns::Answered;
use crate::swarm::rng::Rng;
use std::time::Duration;
use tickwave_protocol::v2::Layout;

/// Mean gap between one bot's commands.
const MEAN_GAP: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub(crate) struct Commands {
    /// Every declared command: its name and its arguments' plan (none for idle bots).
    plans: Vec<(String, Plan)>,
    vals: Vec<Val>,
    next_id: u32,
    /// The command in flight: (id, sent at µs).
    pending: Option<(u32, u64)>,
    /// No command before this time (µs); set at the first state.
    next_at_us: Option<u64>,
}

impl Commands {
    pub(crate) fn new(layout: &Layout, plays: bool) -> Commands {
        let plans = if plays {
            layout.schema().commands.iter().map(|c| (c.name.clone(), Plan::new(&c.args))).collect()
        } else {
            Vec::new()
        };
        Commands { plans, vals: Vec::new(), next_id: 0, pending: None, next_at_us: None }
    }

    /// A state was applied: when the gap is over and nothing is in flight, write a random
    /// command into `out` and return true.
    pub(crate) fn on_state(&mut self, rng: &mut Rng, now_us: u64, out: &mut Vec<u8>) -> bool {
        if self.plans.is_empty() || self.pending.is_some() {
            return false;
        }
        let gap = |rng: &mut Rng| rng.exp(MEAN_GAP).as_micros() as u64;
        let at = *self.next_at_us.get_or_insert_with(|| now_us + gap(rng));
        if now_us < at {
            return false;
        }
        let (name, plan) = &self.plans[rng.below(self.plans.len() as u64) as usize];
        plan.random(rng, &mut self.vals);
        self.next_id = self.next_id.wrapping_add(1);
        plan.command(self.next_id, name, &self.vals, out);
        self.pending = Some((self.next_id, now_us));
        self.next_at_us = Some(now_us + gap(rng));
        true
    }

    /// A `command_result`: `None` when it answers no command of this bot's.
    pub(crate) fn on_result(&mut self, id: u32, now_us: u64) -> Option<Answered> {
        let (_, sent) = self.pending.filter(|(p, _)| *p == id)?;
        self.pending = None;
        Some(Answered { rtt_us: now_us.saturating_sub(sent) })
    }

    /// A resume: an answer in flight was lost with the connection.
    pub(crate) fn on_resume(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use tickwave_protocol::v2::{Schema, decode_command};

    #[derive(Serialize, Default)]
    struct Taunt {
        text: String,
        loud: bool,
    }
    #[derive(Serialize, Default)]
    struct Buy {
        item: i32,
    }

    fn layout() -> Layout {
        let s = Schema::builder()
            .command::<Taunt>("taunt", |a| a.max_len("text", 8))
            .command::<Buy>("buy", |a| a.range("item", 0, 9))
            .build()
            .unwrap();
        Layout::new(s).unwrap()
    }

    #[test]
    fn random_commands_are_valid_spaced_and_one_at_a_time() {
        let l = layout();
        let mut c = Commands::new(&l, true);
        let mut rng = Rng::new(5);
        let (mut out, mut sent, mut names) = (Vec::new(), 0, std::collections::BTreeSet::new());
        let mut now = 0u64;
        while now < 120_000_000 {
            out.clear();
            if c.on_state(&mut rng, now, &mut out) {
                let f = decode_command(&l, &out).expect("a command the server accepts");
                names.insert(l.command_name(f.command).to_owned());
                assert!(!c.on_state(&mut rng, now + 1, &mut Vec::new()), "one in flight");
                assert_eq!(c.on_result(f.id + 1, now + 10), None, "not ours");
                assert_eq!(c.on_result(f.id, now + 500), Some(Answered { rtt_us: 500 }));
                sent += 1;
            }
            now += 50_000; // a state every 50 ms
        }
        // About one every 2 s over 120 s.
        assert!((30..=100).contains(&sent), "{sent} commands");
        assert_eq!(names.len(), 2, "both commands are used: {names:?}");
        let mut idle = Commands::new(&l, false);
        assert!(!idle.on_state(&mut rng, 10_000_000, &mut out), "idle bots send nothing");
    }
}
