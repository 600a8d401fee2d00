//! [`Connect4`]: the game on `tickwave::game::v2` (the rules and the schema as a client sees
//! them are in the crate's README.md).
//!
//! The match moves through three stages: `Open` (seats filling, or running with one
//! player), `Playing` (two players, colours fixed, one of them to move, its clock counting)
//! and `Over` (decided: the game asked the lobby to end the match). Colours are fixed when
//! play begins, so a player who leaves afterwards does not change who owned which disc.

use super::board::{self, Board, COLUMNS, ROWS};
use super::settings::{Connect4Settings, MAX_TURN_SECS, MIN_TURN_SECS};
use super::wire::{
    Connect4Command, Connect4Globals, DiscState, Draw, DropArgs, EndPayload, EndReason, Forfeited,
    Moved, NAME_MAX, PlayerState, Won,
};
use tickwave::game::v2::schema::{KindId, Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::{
    FIRST_GAME_ENTITY_ID, Game, JoinRefusal, MatchCtx, MatchEnd, Phase, PlayerRecord, Refusal,
    Reply, Setup, To,
};

/// Players in a match.
const SEATS: usize = 2;

/// The entity id of the disc at `(row, column)`: a fixed function of the cell (a cell holds
/// one disc per match), so ids are stable, and pushing cells in row-major order is pushing
/// in id order.
fn disc_id(row: usize, column: usize) -> u32 {
    FIRST_GAME_ENTITY_ID + (row * COLUMNS + column) as u32
}

/// The longest prefix of `name` of at most [`NAME_MAX`] bytes ending at a char boundary.
fn short_name(name: &str) -> String {
    let mut end = name.len().min(NAME_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

#[derive(Debug, Clone)]
struct Seat {
    id: u32,
    name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not begun: fewer than two players, or the match is not running yet.
    Open,
    /// `colors[to_move]` moves; it has used `used` of its `turn_ticks`.
    Playing { to_move: usize, used: u64 },
    /// Decided; `winner` is `None` after a draw.
    Over { winner: Option<u32> },
}

#[derive(Debug, Clone, Copy)]
struct Kinds {
    disc: KindId,
    player: KindId,
}

/// Connect four for two players; the rules are in the crate's README.md.
#[derive(Debug, Clone)]
pub struct Connect4 {
    kinds: Kinds,
    tick_hz: u32,
    /// The turn's length in ms, turned into ticks by `ctx.ticks_for_ms` when play begins.
    turn_ms: u64,
    /// The turn's length in ticks, set when play begins.
    turn_ticks: u64,
    /// Ordered by id; at most [`SEATS`].
    seats: Vec<Seat>,
    /// The player ids of colour 1 and colour 2, fixed when play begins.
    colors: Option<[u32; SEATS]>,
    board: Board,
    moves: i32,
    stage: Stage,
}

impl Connect4 {
    /// The board as it stands (`board[row][column]`, row 0 at the bottom; 0 empty, 1 or 2
    /// a colour), e.g. for a bot's [`super::pick_column`].
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The player to move, if play is on.
    pub fn turn(&self) -> Option<u32> {
        match (self.stage, self.colors) {
            (Stage::Playing { to_move, .. }, Some(c)) => Some(c[to_move]),
            _ => None,
        }
    }

    /// The winner, once decided (`None` while undecided and after a draw).
    pub fn winner(&self) -> Option<u32> {
        match self.stage {
            Stage::Over { winner } => winner,
            _ => None,
        }
    }

    /// A player's colour: fixed once play has begun, else its rank by id among the seats
    /// (what it will be if play began now).
    fn color_of(&self, id: u32) -> i32 {
        let fixed = self.colors.and_then(|c| c.iter().position(|&p| p == id));
        let rank = || self.seats.iter().position(|s| s.id == id).unwrap_or(0);
        fixed.unwrap_or_else(rank) as i32 + 1
    }

    /// Begin play when the match runs and both seats are taken: colours by id (the lower id
    /// moves first, whoever joined first), and the first mover's clock starts.
    fn maybe_begin(&mut self, ctx: &MatchCtx) {
        if self.stage != Stage::Open || ctx.phase() != Phase::Running || self.seats.len() < SEATS {
            return;
        }
        self.colors = Some([self.seats[0].id, self.seats[1].id]);
        self.turn_ticks = ctx.ticks_for_ms(self.turn_ms);
        self.stage = Stage::Playing { to_move: 0, used: 0 };
    }

    /// Decide the match: `winner` scores 1 and `loser` 0.
    fn finish_won(&mut self, ctx: &mut MatchCtx, winner: u32, loser: u32, reason: EndReason) {
        self.stage = Stage::Over { winner: Some(winner) };
        let end = MatchEnd::new(vec![(winner, 1), (loser, 0)]);
        end_with(ctx, end, EndPayload { winner: winner.into(), reason });
    }

    fn finish_draw(&mut self, ctx: &mut MatchCtx, colors: [u32; SEATS]) {
        self.stage = Stage::Over { winner: None };
        ctx.emit(To::All, "draw", &Draw { moves: self.moves });
        let end = MatchEnd::new(colors.iter().map(|&p| (p, 0)).collect());
        end_with(ctx, end, EndPayload { winner: 0, reason: EndReason::Draw });
    }

    /// `player` forfeits (out of time, or gone); the other wins.
    fn forfeit(&mut self, ctx: &mut MatchCtx, player: u32, reason: EndReason) {
        let Some(colors) = self.colors else { return };
        let Some(i) = colors.iter().position(|&p| p == player) else { return };
        ctx.emit(To::All, "forfeited", &Forfeited { player: player.into() });
        self.finish_won(ctx, colors[1 - i], player, reason);
    }

    fn drop_disc(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        column: i32,
    ) -> Result<Reply, Refusal> {
        let (to_move, colors) = match (self.stage, self.colors) {
            (Stage::Over { .. }, _) => {
                return Err(Refusal::new("game_over", "the game is decided: no more moves"));
            }
            _ if ctx.phase() != Phase::Running => {
                return Err(Refusal::new("not_running", "the match has not started yet"));
            }
            (Stage::Playing { to_move, .. }, Some(colors)) => (to_move, colors),
            _ => {
                return Err(Refusal::new("not_running", "waiting for a second player"));
            }
        };
        if colors[to_move] != player {
            return Err(Refusal::new("not_your_turn", "it is the other player's turn"));
        }
        let Some(col) = usize::try_from(column).ok().filter(|&c| c < COLUMNS) else {
            return Err(Refusal::new(
                "bad_column",
                format!("column must be in 0..={}, got {column}", COLUMNS - 1),
            ));
        };
        let Some(row) = board::landing_row(&self.board, col) else {
            return Err(Refusal::new("column_full", format!("column {col} is full")));
        };
        self.board[row][col] = to_move as u8 + 1;
        self.moves += 1;
        let moved = Moved { player: player.into(), column, row: row as i32 };
        ctx.emit(To::All, "moved", &moved);
        if board::wins_at(&self.board, row, col) {
            ctx.emit(To::All, "won", &Won { player: player.into() });
            self.finish_won(ctx, player, colors[1 - to_move], EndReason::FourInARow);
        } else if board::is_full(&self.board) {
            self.finish_draw(ctx, colors);
        } else {
            self.stage = Stage::Playing { to_move: 1 - to_move, used: 0 };
        }
        Ok(Reply::none())
    }
}

/// End the match with `end` and `payload`. Encoding a two-field struct cannot fail; if it
/// somehow did, the match still ends with the right scores (the payload is extra).
fn end_with(ctx: &mut MatchCtx, end: MatchEnd, payload: EndPayload) {
    let end = end.clone().with_payload(&payload).unwrap_or(end);
    ctx.end_match(end);
}

impl Game for Connect4 {
    const NAME: &'static str = "connect4";
    type Input = ();
    type Command = Connect4Command;
    type Settings = Connect4Settings;

    fn schema(_: &Connect4Settings) -> SchemaBuilder {
        let last_column = COLUMNS as i64 - 1;
        let last_row = ROWS as i64 - 1;
        Schema::builder()
            .kind::<DiscState>("disc", |k| {
                k.range("column", 0, last_column).range("row", 0, last_row)
            })
            .kind::<PlayerState<'static>>("player", |k| {
                k.max_len("name", NAME_MAX as u32).range("color", 1, 2)
            })
            .globals::<Connect4Globals>(|g| {
                g.range("moves", 0, (COLUMNS * ROWS) as i64).range(
                    "turn_ms_left",
                    0,
                    i64::from(MAX_TURN_SECS) * 1000,
                )
            })
            // No range on `column`: the game answers `bad_column` itself (see `DropArgs`).
            .command::<DropArgs>("drop", |a| a)
            .event::<Moved>("moved", |e| {
                e.range("column", 0, last_column).range("row", 0, last_row)
            })
            .event::<Won>("won", |e| e)
            .event::<Draw>("draw", |e| e)
            .event::<Forfeited>("forfeited", |e| e)
    }

    fn new(settings: Connect4Settings, setup: Setup<'_>) -> Self {
        let kind = |name| setup.layout.kind_id(name).expect("connect4's own schema");
        // The registry checked the range; clamped again so a hand-built value cannot give a
        // zero-length turn.
        let secs = settings.turn_secs.clamp(MIN_TURN_SECS, MAX_TURN_SECS);
        Connect4 {
            kinds: Kinds { disc: kind("disc"), player: kind("player") },
            tick_hz: setup.tick_hz.max(1),
            turn_ms: u64::from(secs) * 1000,
            turn_ticks: 0,
            seats: Vec::with_capacity(SEATS),
            colors: None,
            board: [[0; COLUMNS]; ROWS],
            moves: 0,
            stage: Stage::Open,
        }
    }

    fn join(&mut self, ctx: &mut MatchCtx, record: &PlayerRecord) -> Result<(), JoinRefusal> {
        let seat = Seat { id: record.id, name: short_name(&record.name) };
        match self.seats.binary_search_by_key(&record.id, |s| s.id) {
            Ok(i) => self.seats[i] = seat,
            Err(_) if matches!(self.stage, Stage::Over { .. }) => {
                return Err(Refusal::new("game_over", "this match is decided"));
            }
            Err(_) if self.seats.len() >= SEATS => {
                return Err(Refusal::new("lobby_full", "connect four is for two players"));
            }
            Err(i) => self.seats.insert(i, seat),
        }
        self.maybe_begin(ctx);
        Ok(())
    }

    fn leave(&mut self, ctx: &mut MatchCtx, player: u32) {
        if matches!(self.stage, Stage::Playing { .. }) {
            self.forfeit(ctx, player, EndReason::Left);
        }
        self.seats.retain(|s| s.id != player);
    }

    // `disconnected` keeps the default (nothing): a held seat's clock runs on, and its
    // player can come back and move before it runs out.

    fn input(&mut self, _: &mut MatchCtx, _: u32, (): ()) {}

    fn command(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        command: Connect4Command,
    ) -> Result<Reply, Refusal> {
        match command {
            Connect4Command::Drop(DropArgs { column }) => self.drop_disc(ctx, player, column),
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
        if let (Stage::Playing { to_move, used }, Some(colors)) = (self.stage, self.colors) {
            let used = used + 1;
            self.stage = Stage::Playing { to_move, used };
            if used >= self.turn_ticks {
                self.forfeit(ctx, colors[to_move], EndReason::Forfeit);
            }
        }
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        // Players (ids below 2^31) then discs (ids from 2^31, row-major): id order.
        for s in &self.seats {
            let state = PlayerState { name: &s.name, color: self.color_of(s.id) };
            out.push(s.id, self.kinds.player, &state)?;
        }
        let owners = self.colors.unwrap_or_default();
        for (row, cells) in self.board.iter().enumerate() {
            for (column, &cell) in cells.iter().enumerate() {
                if cell == 0 {
                    continue;
                }
                let disc = DiscState {
                    column: column as i32,
                    row: row as i32,
                    player: owners[usize::from(cell - 1)].into(),
                };
                out.push(disc_id(row, column), self.kinds.disc, &disc)?;
            }
        }
        let turn_ms_left = match self.stage {
            Stage::Playing { used, .. } => {
                self.turn_ticks.saturating_sub(used) * 1000 / u64::from(self.tick_hz)
            }
            _ => 0,
        };
        out.set_globals(&Connect4Globals {
            turn: self.turn().map_or(0, i64::from),
            moves: self.moves,
            turn_ms_left: i32::try_from(turn_ms_left).unwrap_or(i32::MAX),
            winner: self.winner().map_or(0, i64::from),
        })
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        let winner = self.winner();
        let score = |id: u32| (id, i64::from(winner == Some(id)));
        match self.colors {
            Some(c) => c.iter().map(|&id| score(id)).collect(),
            None => self.seats.iter().map(|s| score(s.id)).collect(),
        }
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "board": board::render(&self.board),
            "turn": self.turn().unwrap_or(0),
            "moves": self.moves,
            "winner": self.winner().unwrap_or(0),
            "players": self.seats.iter().map(|s| s.id).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests;
