//! A battleship bot's turns (PROTOCOL.md §6.2.1): when the state says it is its turn
//! (`turn` == its player id), one `fire` at a cell it has not tried, and no other until it
//! is answered. After an accepted shot it waits for the state to show it (its `player`
//! entity's `shots` grew), so it never fires twice in one turn; after a refusal it looks at
//! the next state again.
//!
//! The target is chosen from the state alone (the bot's own `shot` entities), as a resumed
//! client would redraw the board: extend a line of two or more hits, else try a neighbour
//! of a hit, else hunt on the cells of one colour of a checkerboard (every ship covers one,
//! the smallest being 2 long). It does not know which hits belong to a sunk ship (the state
//! does not say), so it wastes a few shots around them; that is enough for a load test,
//! whose games must end by a win rather than by the match's time.
//!
//! The server places the fleets (the bots send no `place`).

use super::input::{Plan, Val};
use super::turns::Answered;
use tickwave_protocol::v2::{Layout, ValueRef, View};

/// Cells along a board's side.
pub(crate) const SIDE: usize = 10;

/// What one of the bot's own shots at a cell of the opponent's board found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Untried,
    Miss,
    Hit,
}

/// The bot's shots at the opponent's board, `[y][x]`.
pub(crate) type Shots = [[Mark; SIDE]; SIDE];

fn int(v: Option<ValueRef<'_>>) -> Option<i64> {
    match v? {
        ValueRef::Int(i) => Some(i),
        _ => None,
    }
}

/// The board of `me`'s shots, from the `shot` entities of the state.
pub(crate) fn my_shots(view: &View, me: u32) -> Shots {
    let mut b = [[Mark::Untried; SIDE]; SIDE];
    for e in view.entities().filter(|e| e.kind_name() == "shot") {
        if int(e.field("shooter")) != Some(i64::from(me)) {
            continue;
        }
        let on = |v: Option<i64>| v.and_then(|v| usize::try_from(v).ok()).filter(|&v| v < SIDE);
        let (Some(x), Some(y)) = (on(int(e.field("x"))), on(int(e.field("y")))) else {
            continue;
        };
        let hit = matches!(e.field("hit"), Some(ValueRef::Bool(true)));
        b[y][x] = if hit { Mark::Hit } else { Mark::Miss };
    }
    b
}

/// SplitMix64's finaliser: turns nearby inputs into unrelated outputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hits next to `(x, y)` along one axis, on both sides, counted outwards until a cell that
/// is not a hit.
fn run_through(b: &Shots, x: usize, y: usize, (dx, dy): (isize, isize)) -> usize {
    let side = |sign: isize| {
        (1..SIDE as isize)
            .take_while(|k| {
                let (cx, cy) = (x as isize + sign * k * dx, y as isize + sign * k * dy);
                (0..SIDE as isize).contains(&cx)
                    && (0..SIDE as isize).contains(&cy)
                    && b[cy as usize][cx as usize] == Mark::Hit
            })
            .count()
    };
    side(1) + side(-1)
}

/// The cell to fire at, `(x, y)`, or `None` when every cell was tried. In order: a cell
/// that extends a line of two or more hits; a neighbour of a hit; a cell of the
/// checkerboard colour `(x + y)` even; any untried cell. `tie` (a seeded random number)
/// breaks ties, so bots do not all fire in the same order.
pub(crate) fn pick_target(b: &Shots, tie: u64) -> Option<(usize, usize)> {
    (0..SIDE * SIDE)
        .map(|i| (i % SIDE, i / SIDE))
        .filter(|&(x, y)| b[y][x] == Mark::Untried)
        .max_by_key(|&(x, y)| {
            let run = [(1, 0), (0, 1)].iter().map(|&d| run_through(b, x, y, d)).max();
            let hunt = run.unwrap_or(0).min(2);
            let parity = (x + y) % 2 == 0;
            (hunt, parity, mix(tie ^ (y * SIDE + x) as u64))
        })
}

/// A `fire` sent and not answered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    id: u32,
    sent_us: u64,
    /// The bot's `shots` in the state the shot was chosen on.
    shots: i64,
}

/// What the bot waits for before it may fire again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Ready,
    /// An accepted shot: until the state shows more shots than this.
    ShotsAbove(i64),
    /// A refusal: the next state message.
    NextState,
}

#[derive(Debug, Clone)]
pub(crate) struct Salvo {
    args: Plan,
    /// Where `x` and `y` are in the arguments.
    xy: Option<(usize, usize)>,
    vals: Vec<Val>,
    next_id: u32,
    pending: Option<Pending>,
    wait: Wait,
    /// Idle bots let their turns run out.
    plays: bool,
    /// Thinking time before each shot, microseconds (`--think`).
    think_us: u64,
    /// The turn being thought about: (`shots` when it began, when it began).
    thinking: Option<(i64, u64)>,
}

impl Salvo {
    pub(crate) fn new(layout: &Layout, plays: bool, think_us: u64) -> Salvo {
        let args = layout
            .schema()
            .commands
            .iter()
            .find(|c| c.name == "fire")
            .map_or_else(Plan::default, |c| Plan::new(&c.args));
        let at = |n: &str| args.fields.iter().position(|f| f.name == n);
        let xy = at("x").zip(at("y"));
        let mut vals = Vec::new();
        args.defaults(&mut vals);
        Salvo {
            args,
            xy,
            vals,
            next_id: 0,
            pending: None,
            wait: Wait::Ready,
            plays,
            think_us,
            thinking: None,
        }
    }

    /// A state message was applied: if it is my turn and nothing holds the bot back, write
    /// a `fire` into `out` and return true. `tie` breaks ties between equal cells.
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
        let Some(shots) = view.get(me).and_then(|e| int(e.field("shots"))) else { return false };
        match self.wait {
            Wait::ShotsAbove(n) if shots <= n => return false,
            _ => self.wait = Wait::Ready,
        }
        if int(view.global_named("turn")) != Some(i64::from(me)) {
            return false;
        }
        if self.think_us > 0 {
            match self.thinking {
                Some((n, since)) if n == shots => {
                    if now_us < since.saturating_add(self.think_us) {
                        return false;
                    }
                }
                _ => {
                    self.thinking = Some((shots, now_us));
                    return false;
                }
            }
        }
        let (Some((xi, yi)), Some((x, y))) = (self.xy, pick_target(&my_shots(view, me), tie))
        else {
            return false;
        };
        for (i, v) in [(xi, x), (yi, y)] {
            if let Some(slot) = self.vals.get_mut(i) {
                *slot = Val::Int(v as i64);
            }
        }
        self.next_id = self.next_id.wrapping_add(1);
        self.args.command(self.next_id, "fire", &self.vals, out);
        self.pending = Some(Pending { id: self.next_id, sent_us: now_us, shots });
        true
    }

    /// A `command_result`: `None` when it answers no command of this bot's.
    pub(crate) fn on_result(
        &mut self,
        id: u32,
        refusal: Option<&str>,
        now_us: u64,
    ) -> Option<Answered> {
        let p = self.pending.filter(|p| p.id == id)?;
        self.pending = None;
        self.wait = if refusal.is_none() { Wait::ShotsAbove(p.shots) } else { Wait::NextState };
        Some(Answered { rtt_us: now_us.saturating_sub(p.sent_us) })
    }

    /// The seat came back after a dropped connection: decide again from the catch-up state.
    pub(crate) fn on_resume(&mut self) {
        self.pending = None;
        self.wait = Wait::NextState;
    }
}

#[cfg(test)]
mod tests;
