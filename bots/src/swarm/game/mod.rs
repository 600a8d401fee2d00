//! What a protocol-2 bot sends, chosen from the game's schema ([`GameShape`]), never from
//! the mode's name, so a new mode of a known game gets the right bot:
//!
//! - the arena on game API v2 and v1 games played over protocol 2 ([`steer`]): the
//!   behaviours' movement, plus aim, fire and dash where the input has them;
//! - connect4 ([`turns`]): a `drop` when it is the bot's turn, one at a time;
//! - battleship ([`battleship`]): a `fire` at an untried cell when it is the bot's turn,
//!   hunting around its hits;
//! - fog ([`fog`]): move toward the middle, aim at the nearest opponent in sight, fire;
//! - any other game: random valid values for every declared input field ([`input`]) and,
//!   now and then, one of its declared commands with random valid arguments ([`commands`]),
//!   so a studio's own game can be load-tested.
//!
//! Every message is written by [`input::Plan`] in the types and limits the schema declares,
//! into a buffer the caller reuses.

mod battleship;
mod commands;
mod fog;
mod input;
mod pack;
mod steer;
mod turns;

pub(crate) use turns::Answered;

use crate::state_v2::{GameShape, LocalStateV2};
use crate::swarm::behaviour::Policy;
use crate::swarm::rng::Rng;
use battleship::Salvo;
use commands::Commands;
use input::{Plan, Val};
use std::sync::Arc;
use steer::Steer;
use tickwave_protocol::v2::{Layout, MatchFound, SchemaError};
use turns::Turns;

#[derive(Debug, Clone)]
enum Brain {
    Steer(Box<Steer>),
    Turns(Box<Turns>),
    Salvo(Box<Salvo>),
    Random(Box<Commands>),
    Fog(Box<fog::FogBot>),
}

/// One protocol-2 match as a bot plays it: the typed state, checked like v1's, and what the
/// bot sends.
#[derive(Debug, Clone)]
pub(crate) struct GamePlay {
    pub(crate) state: LocalStateV2,
    pub(crate) shape: GameShape,
    input: Plan,
    vals: Vec<Val>,
    brain: Brain,
    rng: Rng,
}

impl GamePlay {
    /// The play of the match `m` announces; `plays` is false for idle bots (they send
    /// nothing, so a connect4 idler lets its clock run out). An invalid schema is an error.
    pub(crate) fn new(m: &MatchFound, rng: Rng, plays: bool) -> Result<GamePlay, SchemaError> {
        Ok(Self::with_layout(Arc::new(Layout::new(m.schema.clone())?), rng, plays, 0))
    }

    /// The play of a match whose schema compiled into `layout`.
    /// `think_us`: how long a turn-based bot waits before each move (`--think`).
    pub(crate) fn with_layout(
        layout: Arc<Layout>,
        rng: Rng,
        plays: bool,
        think_us: u64,
    ) -> GamePlay {
        let shape = GameShape::of(&layout);
        let input = Plan::new(&layout.schema().input);
        let brain = match shape {
            GameShape::ArenaV2 | GameShape::V1Compat => {
                Brain::Steer(Box::new(Steer::new(&layout, &input)))
            }
            GameShape::Connect4 => Brain::Turns(Box::new(Turns::new(&layout, plays, think_us))),
            GameShape::Battleship => Brain::Salvo(Box::new(Salvo::new(&layout, plays, think_us))),
            GameShape::Fog => match fog::FogBot::new(&layout) {
                Some(f) => Brain::Fog(Box::new(f)),
                None => Brain::Random(Box::new(Commands::new(&layout, plays))),
            },
            GameShape::Other => Brain::Random(Box::new(Commands::new(&layout, plays))),
        };
        let mut vals = Vec::with_capacity(input.fields.len());
        input.defaults(&mut vals);
        GamePlay { state: LocalStateV2::new(layout), shape, input, vals, brain, rng }
    }

    /// Whether the bot sends `input`s at all: not for a game without input fields, and not
    /// for connect4, which is played by commands.
    pub(crate) fn sends_inputs(&self) -> bool {
        !self.input.is_empty() && !matches!(self.brain, Brain::Turns(_) | Brain::Salvo(_))
    }

    /// Write the next `input` (sequence number `seq`) into `out`.
    pub(crate) fn input(
        &mut self,
        policy: &mut Policy,
        input_hz: u32,
        me: u32,
        seq: u64,
        out: &mut Vec<u8>,
    ) {
        match &mut self.brain {
            Brain::Steer(s) => {
                self.input.defaults(&mut self.vals);
                s.next(policy, &mut self.rng, input_hz, me, &self.state.view, &mut self.vals);
            }
            Brain::Fog(f) => {
                self.input.defaults(&mut self.vals);
                f.next(policy, &mut self.rng, input_hz, me, &self.state.view, &mut self.vals);
            }
            Brain::Random(_) => self.input.random(&mut self.rng, &mut self.vals),
            Brain::Turns(_) | Brain::Salvo(_) => self.input.defaults(&mut self.vals),
        }
        self.input.input(seq, self.state.tick, &self.vals, out);
    }

    /// A state message was applied: a command to send (connect4's drop) goes into `out`;
    /// returns whether one did.
    pub(crate) fn after_state(&mut self, me: u32, now_us: u64, out: &mut Vec<u8>) -> bool {
        match &mut self.brain {
            Brain::Turns(t) => {
                let tie = self.rng.next_u64();
                t.on_state(&self.state.view, me, now_us, tie, out)
            }
            Brain::Salvo(s) => {
                let tie = self.rng.next_u64();
                s.on_state(&self.state.view, me, now_us, tie, out)
            }
            Brain::Random(c) => c.on_state(&mut self.rng, now_us, out),
            Brain::Steer(_) | Brain::Fog(_) => false,
        }
    }

    /// A `command_result` for command `id` (`refusal`: its code when refused): `None` when
    /// the bot sent no such command.
    pub(crate) fn on_command_result(
        &mut self,
        id: u32,
        refusal: Option<&str>,
        now_us: u64,
    ) -> Option<Answered> {
        match &mut self.brain {
            Brain::Turns(t) => t.on_result(id, refusal, now_us),
            Brain::Salvo(s) => s.on_result(id, refusal, now_us),
            Brain::Random(c) => c.on_result(id, now_us),
            Brain::Steer(_) | Brain::Fog(_) => None,
        }
    }

    /// The seat came back by a resume: the state held continues, answers in flight are lost.
    pub(crate) fn on_resume(&mut self) {
        match &mut self.brain {
            Brain::Turns(t) => t.on_resume(),
            Brain::Salvo(s) => s.on_resume(),
            Brain::Random(c) => c.on_resume(),
            Brain::Steer(_) | Brain::Fog(_) => {}
        }
    }
}
