//! [`Battleship`]: the game on `tickwave::game::v2` (the rules and the schema as a client
//! sees them are in the crate's README.md).
//!
//! The match moves through three stages: `Open` (seats filling, fleets may be moved with
//! `place`), `Playing` (two players, one of them to fire, its turn ending at a fixed tick)
//! and `Over` (decided: the game asked the lobby to end the match).
//!
//! What hides the fleets is [`Game::scope`]: each ship cell is its owner's alone until it is
//! hit, then everyone's. The entity ids of ship cells are a function of the owner's seat and
//! the cell alone, never of the ship or of the cell's place in it, so the id of a cell that
//! becomes visible tells the opponent nothing it does not see in the cell's fields.

use super::fleet::{BOARD, FLEET, Fleet, PlaceError};
use super::settings::{BattleshipSettings, MAX_TURN_SECS, MIN_TURN_SECS};
use super::wire::{
    BattleshipCommand, BattleshipGlobals, EndPayload, EndReason, FireArgs, PlaceArgs, PlayerState,
    ShipCellState, ShotEvent, ShotState,
};
use tickwave::game::v2::schema::{KindId, Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::scope::{Audience, Scopes};
use tickwave::game::v2::{
    FIRST_GAME_ENTITY_ID, Game, JoinRefusal, MatchCtx, MatchEnd, Phase, PlayerRecord, Refusal,
    Reply, Setup, To,
};

/// Players in a match.
const SEATS: usize = 2;
/// Cells of one board.
const CELLS: u32 = (BOARD * BOARD) as u32;
/// Entity ids per seat slot for ship cells (one per board cell), then for shots.
const SHOT_IDS: u32 = FIRST_GAME_ENTITY_ID + SEATS as u32 * CELLS;

/// The entity id of the ship cell at `(x, y)` of the fleet in seat slot `slot`.
fn cell_id(slot: u8, x: u8, y: u8) -> u32 {
    FIRST_GAME_ENTITY_ID + u32::from(slot) * CELLS + u32::from(y) * BOARD as u32 + u32::from(x)
}

/// The entity id of the shot fired at `(x, y)` by the player in seat slot `slot` (a player
/// fires at a cell at most once).
fn shot_id(slot: u8, x: u8, y: u8) -> u32 {
    SHOT_IDS + u32::from(slot) * CELLS + u32::from(y) * BOARD as u32 + u32::from(x)
}

/// What a player's shot at a cell found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Untried,
    Miss,
    Hit,
}

/// One player: its fleet, the damage done to it, and its own shots at the other board.
#[derive(Debug, Clone)]
struct Seat {
    id: u32,
    /// 0 or 1, the first free when it joined: fixes its entity ids.
    slot: u8,
    fleet: Fleet,
    /// `damaged[y][x]`: the opponent hit this seat's ship at `(x, y)`.
    damaged: [[bool; BOARD]; BOARD],
    /// `shots[y][x]`: this seat's shot at the opponent's `(x, y)`.
    shots: [[Mark; BOARD]; BOARD],
    fired: i32,
    hits: i32,
}

impl Seat {
    fn sunk(&self, ship: usize) -> bool {
        self.fleet.ship(ship).cells().all(|(x, y)| self.damaged[usize::from(y)][usize::from(x)])
    }

    fn ships_left(&self) -> i32 {
        (0..FLEET.len()).filter(|&i| !self.sunk(i)).count() as i32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not begun: fewer than two players, or the match is not running yet.
    Open,
    /// `seats[to_move]` fires; its turn passes at tick `deadline`.
    Playing { to_move: usize, deadline: u64 },
    /// Decided.
    Over { winner: u32 },
}

#[derive(Debug, Clone, Copy)]
struct Kinds {
    cell: KindId,
    shot: KindId,
    player: KindId,
}

/// Battleship for two players; the rules are in the crate's README.md.
#[derive(Debug, Clone)]
pub struct Battleship {
    kinds: Kinds,
    seed: u64,
    /// The turn's length in ms, turned into ticks by `ctx.ticks_for_ms`.
    turn_ms: u64,
    /// Ordered by id; at most [`SEATS`].
    seats: Vec<Seat>,
    stage: Stage,
}

impl Battleship {
    /// The player to fire, if play is on.
    pub fn turn(&self) -> Option<u32> {
        match self.stage {
            Stage::Playing { to_move, .. } => Some(self.seats[to_move].id),
            _ => None,
        }
    }

    /// The winner, once decided.
    pub fn winner(&self) -> Option<u32> {
        match self.stage {
            Stage::Over { winner } => Some(winner),
            _ => None,
        }
    }

    /// The fleet of a seated player.
    pub fn fleet(&self, player: u32) -> Option<&Fleet> {
        self.seats.iter().find(|s| s.id == player).map(|s| &s.fleet)
    }

    /// Begin play when the match runs and both seats are taken: the lower id fires first.
    fn maybe_begin(&mut self, ctx: &MatchCtx) {
        if self.stage != Stage::Open || ctx.phase() != Phase::Running || self.seats.len() < SEATS {
            return;
        }
        self.stage = Stage::Playing { to_move: 0, deadline: self.deadline(ctx) };
    }

    /// When a turn that begins now passes.
    fn deadline(&self, ctx: &MatchCtx) -> u64 {
        ctx.tick() + ctx.ticks_for_ms(self.turn_ms)
    }

    /// Every seat's score: the opponent's ship cells it hit (0..=17).
    fn hit_scores(&self) -> Vec<(u32, i64)> {
        self.seats.iter().map(|s| (s.id, i64::from(s.hits))).collect()
    }

    /// Decide the match for `winner`.
    fn finish(&mut self, ctx: &mut MatchCtx, winner: u32, reason: EndReason) {
        self.stage = Stage::Over { winner };
        let end = MatchEnd::new(self.hit_scores());
        let payload = EndPayload { winner: winner.into(), reason };
        // Encoding a two-field struct cannot fail; if it somehow did, the match still ends
        // with the right scores (the payload is extra).
        ctx.end_match(end.clone().with_payload(&payload).unwrap_or(end));
    }

    fn fire(&mut self, ctx: &mut MatchCtx, player: u32, x: i32, y: i32) -> Result<Reply, Refusal> {
        let to_move = match self.stage {
            Stage::Playing { to_move, .. } if ctx.phase() == Phase::Running => to_move,
            Stage::Over { .. } => {
                return Err(Refusal::new("not_running", "the game is decided: no more shots"));
            }
            _ => return Err(Refusal::new("not_running", "the match has not started yet")),
        };
        if self.seats[to_move].id != player {
            return Err(Refusal::new("not_your_turn", "it is the other player's turn"));
        }
        let on = |v: i32| u8::try_from(v).ok().filter(|&v| usize::from(v) < BOARD);
        let (Some(cx), Some(cy)) = (on(x), on(y)) else {
            return Err(Refusal::new(
                "out_of_range",
                format!("x and y must be in 0..={}, got ({x}, {y})", BOARD - 1),
            ));
        };
        let (ux, uy) = (usize::from(cx), usize::from(cy));
        if self.seats[to_move].shots[uy][ux] != Mark::Untried {
            return Err(Refusal::new("already_fired", format!("you already fired at ({x}, {y})")));
        }
        let other = 1 - to_move;
        let target = &mut self.seats[other];
        let result = match target.fleet.ship_at(cx, cy) {
            None => "miss",
            Some(ship) => {
                target.damaged[uy][ux] = true;
                if target.sunk(ship) { "sunk" } else { "hit" }
            }
        };
        let all_sunk = target.ships_left() == 0;
        let me = &mut self.seats[to_move];
        me.shots[uy][ux] = if result == "miss" { Mark::Miss } else { Mark::Hit };
        me.fired += 1;
        me.hits += i32::from(result != "miss");
        ctx.emit(To::All, "shot", &ShotEvent { player: player.into(), x, y, result });
        if all_sunk {
            self.finish(ctx, player, EndReason::Won);
        } else {
            self.stage = Stage::Playing { to_move: other, deadline: self.deadline(ctx) };
        }
        Ok(Reply::none())
    }

    fn place(&mut self, ctx: &MatchCtx, player: u32, a: PlaceArgs) -> Result<Reply, Refusal> {
        if ctx.phase() == Phase::Running || self.stage != Stage::Open {
            return Err(Refusal::new("not_placing", "ships are placed before the match runs"));
        }
        let Some(seat) = self.seats.iter_mut().find(|s| s.id == player) else {
            return Err(Refusal::new("not_placing", "you have no seat"));
        };
        let PlaceArgs { ship, x, y, vertical } = a;
        match seat.fleet.place(ship, x, y, vertical) {
            Ok(()) => Ok(Reply::none()),
            Err(PlaceError::OutOfRange) => Err(Refusal::new(
                "out_of_range",
                format!(
                    "ship {ship} at ({x}, {y}) does not fit: ships are 0..={}, the board 0..={}",
                    FLEET.len() - 1,
                    BOARD - 1
                ),
            )),
            Err(PlaceError::Overlaps) => Err(Refusal::new(
                "overlaps",
                format!("ship {ship} at ({x}, {y}) would overlap another ship"),
            )),
        }
    }
}

impl Game for Battleship {
    const NAME: &'static str = "battleship";
    type Input = ();
    type Command = BattleshipCommand;
    type Settings = BattleshipSettings;

    fn schema(_: &BattleshipSettings) -> SchemaBuilder {
        let last = BOARD as i64 - 1;
        let cells = (BOARD * BOARD) as i64;
        Schema::builder()
            .kind::<ShipCellState>("ship_cell", |k| k.range("x", 0, last).range("y", 0, last))
            .kind::<ShotState>("shot", |k| k.range("x", 0, last).range("y", 0, last))
            .kind::<PlayerState>("player", |k| {
                k.range("ships_left", 0, FLEET.len() as i64).range("shots", 0, cells)
            })
            .globals::<BattleshipGlobals>(|g| g.range("turn_deadline_tick", 0, i64::MAX))
            // No ranges on the arguments: the game answers `out_of_range` itself (see
            // `FireArgs`).
            .command::<FireArgs>("fire", |a| a)
            .command::<PlaceArgs>("place", |a| a)
            .event::<ShotEvent>("shot", |e| {
                e.range("x", 0, last).range("y", 0, last).max_len("result", 4)
            })
    }

    fn new(settings: BattleshipSettings, setup: Setup<'_>) -> Self {
        let kind = |name| setup.layout.kind_id(name).expect("battleship's own schema");
        // The registry checked the range; clamped again so a hand-built value cannot give a
        // zero-length turn.
        let secs = settings.turn_secs.clamp(MIN_TURN_SECS, MAX_TURN_SECS);
        Battleship {
            kinds: Kinds { cell: kind("ship_cell"), shot: kind("shot"), player: kind("player") },
            seed: setup.seed,
            turn_ms: u64::from(secs) * 1000,
            seats: Vec::with_capacity(SEATS),
            stage: Stage::Open,
        }
    }

    fn join(&mut self, ctx: &mut MatchCtx, record: &PlayerRecord) -> Result<(), JoinRefusal> {
        match self.seats.binary_search_by_key(&record.id, |s| s.id) {
            Ok(_) => {}
            Err(_) if matches!(self.stage, Stage::Over { .. }) => {
                return Err(Refusal::new("game_over", "this match is decided"));
            }
            Err(_) if self.seats.len() >= SEATS => {
                return Err(Refusal::new("lobby_full", "battleship is for two players"));
            }
            Err(i) => {
                let slot = u8::from(self.seats.first().is_some_and(|s| s.slot == 0));
                self.seats.insert(
                    i,
                    Seat {
                        id: record.id,
                        slot,
                        fleet: Fleet::random(self.seed, record.id),
                        damaged: [[false; BOARD]; BOARD],
                        shots: [[Mark::Untried; BOARD]; BOARD],
                        fired: 0,
                        hits: 0,
                    },
                );
            }
        }
        self.maybe_begin(ctx);
        Ok(())
    }

    fn leave(&mut self, ctx: &mut MatchCtx, player: u32) {
        // Playing means both seats are taken.
        if let Stage::Playing { .. } = self.stage
            && self.seats.iter().any(|s| s.id == player)
            && let Some(other) = self.seats.iter().find(|s| s.id != player).map(|s| s.id)
        {
            self.finish(ctx, other, EndReason::Left);
        }
        self.seats.retain(|s| s.id != player);
    }

    // `disconnected` keeps the default (nothing): a held seat's turn runs out like anyone's
    // and passes, and its player can resume and fire before it does.

    fn input(&mut self, _: &mut MatchCtx, _: u32, (): ()) {}

    fn command(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        command: BattleshipCommand,
    ) -> Result<Reply, Refusal> {
        match command {
            BattleshipCommand::Fire(FireArgs { x, y }) => self.fire(ctx, player, x, y),
            BattleshipCommand::Place(args) => self.place(ctx, player, args),
        }
    }

    fn start(&mut self, ctx: &mut MatchCtx) {
        self.maybe_begin(ctx);
    }

    fn step(&mut self, ctx: &mut MatchCtx) {
        self.maybe_begin(ctx);
        if ctx.phase() != Phase::Running {
            return;
        }
        if let Stage::Playing { to_move, deadline } = self.stage
            && ctx.tick() >= deadline
        {
            self.stage = Stage::Playing { to_move: 1 - to_move, deadline: self.deadline(ctx) };
        }
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        for s in &self.seats {
            let state = PlayerState { ships_left: s.ships_left(), shots: s.fired };
            out.push(s.id, self.kinds.player, &state)?;
        }
        for s in &self.seats {
            for (_, (x, y)) in s.fleet.cells() {
                let hit = s.damaged[usize::from(y)][usize::from(x)];
                let cell = ShipCellState { owner: s.id.into(), x: x.into(), y: y.into(), hit };
                out.push(cell_id(s.slot, x, y), self.kinds.cell, &cell)?;
            }
        }
        for s in &self.seats {
            for (y, row) in s.shots.iter().enumerate() {
                for (x, &mark) in row.iter().enumerate() {
                    if mark == Mark::Untried {
                        continue;
                    }
                    let (x, y) = (x as u8, y as u8);
                    let shot = ShotState {
                        shooter: s.id.into(),
                        x: x.into(),
                        y: y.into(),
                        hit: mark == Mark::Hit,
                    };
                    out.push(shot_id(s.slot, x, y), self.kinds.shot, &shot)?;
                }
            }
        }
        let (turn, deadline) = match self.stage {
            Stage::Playing { to_move, deadline } => (self.seats[to_move].id.into(), deadline),
            _ => (0, 0),
        };
        out.set_globals(&BattleshipGlobals {
            turn,
            turn_deadline_tick: i64::try_from(deadline).unwrap_or(i64::MAX),
        })
    }

    /// Each ship cell is its owner's until it is hit, then everyone's; shots and players
    /// are left unscoped (everyone's).
    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        for s in &self.seats {
            for (_, (x, y)) in s.fleet.cells() {
                let audience = if s.damaged[usize::from(y)][usize::from(x)] {
                    Audience::All
                } else {
                    Audience::Player(s.id)
                };
                out.set(cell_id(s.slot, x, y), audience, Some(s.id));
            }
        }
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.hit_scores()
    }

    fn summary(&self) -> serde_json::Value {
        let boards: Vec<_> = self
            .seats
            .iter()
            .map(|s| {
                let opponent = self.seats.iter().find(|o| o.id != s.id);
                serde_json::json!({
                    "player": s.id,
                    "board": render(s, opponent),
                    "ships_left": s.ships_left(),
                    "shots": s.fired,
                })
            })
            .collect();
        serde_json::json!({
            "turn": self.turn().unwrap_or(0),
            "winner": self.winner().unwrap_or(0),
            "boards": boards,
        })
    }
}

/// A seat's own board for operators, one string per row from row 0: `.` water, `o` ship,
/// `X` hit ship, `*` the opponent's miss.
fn render(own: &Seat, opponent: Option<&Seat>) -> Vec<String> {
    (0..BOARD as u8)
        .map(|y| {
            (0..BOARD as u8)
                .map(|x| {
                    let (ux, uy) = (usize::from(x), usize::from(y));
                    match own.fleet.ship_at(x, y) {
                        Some(_) if own.damaged[uy][ux] => 'X',
                        Some(_) => 'o',
                        None if opponent.is_some_and(|o| o.shots[uy][ux] == Mark::Miss) => '*',
                        None => '.',
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests;
