//! A protocol-2 client's copy of the lobby state: a typed [`View`] built from
//! `match_found.schema`, kept by applying decoded snapshots and deltas with the same checks
//! [`LocalState`](crate::state::LocalState) makes for protocol 1 (a delta must extend exactly
//! the tick held; ticks never go backwards; a delta that does not apply leaves the state
//! as it was), so a load test counts protocol-2 state errors the way it counts v1 ones.
//!
//! It also says which bot behaviour a game calls for, from its schema alone (not from mode
//! names, so a new mode with the same game gets the same bot), and rebuilds a connect4
//! board from the view's `disc` entities.

use crate::state::Applied;
use std::sync::Arc;
use tickwave_protocol::v2::{
    DeltaMsg, FieldType, Layout, MatchFound, SchemaError, SnapshotMsg, StateError, ValueRef, View,
};

/// Why a protocol-2 state message was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateCheckV2 {
    #[error("delta against base {base} but the client holds {held:?}")]
    BaseMismatch { base: u64, held: Option<u64> },
    #[error("tick went backwards: {from} -> {to}")]
    Backwards { from: u64, to: u64 },
    #[error("state does not apply: {0}")]
    Apply(#[from] StateError),
}

/// The visible state at the last applied tick, typed by the lobby's schema.
#[derive(Debug, Clone)]
pub struct LocalStateV2 {
    pub tick: Option<u64>,
    pub view: View,
    /// Sorted by player id, as the server sends them.
    pub acks: Vec<(u32, u64)>,
    pub snapshots: u64,
    pub deltas: u64,
}

impl LocalStateV2 {
    /// An empty state for a lobby whose schema compiled into `layout`.
    pub fn new(layout: Arc<Layout>) -> Self {
        LocalStateV2 {
            tick: None,
            view: View::new(layout),
            acks: Vec::new(),
            snapshots: 0,
            deltas: 0,
        }
    }

    /// An empty state for the lobby `match_found` describes; an invalid schema is an error
    /// rather than a panic because it comes off the wire.
    pub fn for_match(m: &MatchFound) -> Result<Self, SchemaError> {
        Ok(Self::new(Arc::new(Layout::new(m.schema.clone())?)))
    }

    /// Replace the state by a snapshot; its tick must not be older than the one held.
    pub fn apply_snapshot(&mut self, s: &SnapshotMsg) -> Result<Applied, StateCheckV2> {
        if let Some(t) = self.tick.filter(|t| s.tick < *t) {
            return Err(StateCheckV2::Backwards { from: t, to: s.tick });
        }
        self.view.apply_snapshot(&s.state)?;
        let missed = self.tick.map_or(0, |t| s.tick.saturating_sub(t + 1));
        self.tick = Some(s.tick);
        self.acks.clone_from(&s.acks);
        self.snapshots += 1;
        Ok(Applied { tick: s.tick, missed, snapshot: true })
    }

    /// Apply a delta: its base must be exactly the tick held, and it must move forward. On
    /// error the state is unchanged. `missed` counts ticks between base and tick, which is
    /// more than 0 in steady state when the mode's send_hz is below its tick_hz.
    pub fn apply_delta(&mut self, d: &DeltaMsg) -> Result<Applied, StateCheckV2> {
        match self.tick {
            Some(t) if d.tick <= t => return Err(StateCheckV2::Backwards { from: t, to: d.tick }),
            Some(t) if t == d.base => {}
            held => return Err(StateCheckV2::BaseMismatch { base: d.base, held }),
        }
        self.view.apply(&d.delta)?;
        let missed = d.tick - d.base - 1;
        self.tick = Some(d.tick);
        self.acks.clone_from(&d.acks);
        self.deltas += 1;
        Ok(Applied { tick: d.tick, missed, snapshot: false })
    }

    /// The last input sequence number the server applied for `player`.
    pub fn ack(&self, player: u32) -> Option<u64> {
        self.acks.binary_search_by_key(&player, |(p, _)| *p).ok().map(|i| self.acks[i].1)
    }

    /// Forget the state (a new lobby keeps the schema only if it is the same game, so
    /// callers build a new state from its `match_found` instead).
    pub fn clear(&mut self) {
        self.view.clear();
        self.tick = None;
        self.acks.clear();
    }
}

/// The kind of game a schema describes, for choosing a bot behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GameShape {
    /// Input with `aim`, `fire` and `dash` (the arena on game API v2).
    ArenaV2,
    /// A `drop` command and a `disc` kind (connect4).
    Connect4,
    /// A `fire` command and a `ship_cell` kind (battleship).
    Battleship,
    /// Players with a `team` and input `mx`, `my`, `aim`, `fire` (fog, issue 16).
    Fog,
    /// A v1 game played over protocol 2: the compat schema's input, `dx` and `dy` (floats)
    /// and optionally `action` (bool), and no command.
    V1Compat,
    /// Anything else (a studio's own game): random valid inputs from the schema.
    Other,
}

impl GameShape {
    /// Read the shape from the compiled schema.
    pub fn of(layout: &Layout) -> GameShape {
        let input = layout.input();
        let has = |n: &str| input.index_of(n).is_some();
        let float = |n: &str| input.index_of(n).is_some_and(|i| input.ty(i).is_float());
        let compat_field = |i: usize| match input.name(i) {
            "dx" | "dy" => input.ty(i).is_float(),
            "action" => input.ty(i) == FieldType::Bool,
            _ => false,
        };
        if layout.command_id("drop").is_some() && layout.kind_id("disc").is_some() {
            GameShape::Connect4
        } else if layout.command_id("fire").is_some() && layout.kind_id("ship_cell").is_some() {
            GameShape::Battleship
        } else if float("mx") && float("my") && float("aim") && has("fire") && teams(layout) {
            GameShape::Fog
        } else if has("aim") && has("fire") && has("dash") {
            GameShape::ArenaV2
        } else if float("dx")
            && float("dy")
            && (0..input.len()).all(compat_field)
            && layout.command_count() == 0
        {
            GameShape::V1Compat
        } else {
            GameShape::Other
        }
    }
}

/// Whether the schema's `player` kind has a `team` field.
fn teams(layout: &Layout) -> bool {
    layout.kind_id("player").is_some_and(|k| layout.kind(k).index_of("team").is_some())
}

/// Columns and rows of a connect4 board (games/connect4/src/board.rs; `board[row][column]`,
/// row 0 at the bottom; 0 empty, 1 the first mover's disc, 2 the second's).
pub const C4_COLUMNS: usize = 7;
pub const C4_ROWS: usize = 6;
pub type C4Board = [[u8; C4_COLUMNS]; C4_ROWS];

fn as_int(v: Option<ValueRef<'_>>) -> Option<i64> {
    match v? {
        ValueRef::Int(i) => Some(i),
        _ => None,
    }
}

/// The connect4 board in the view, seen by player `me`: `(board, my colour)`. Colours come
/// from the `player` entities' `color` (1 = first mover); a disc whose owner has left (no
/// `player` entity any more) takes the colour that is not the other known player's.
/// `None` while `me` has no `player` entity (before the first state) or a disc is off the
/// board (a schema that is not connect4's).
pub fn connect4_board(view: &View, me: u32) -> Option<(C4Board, u8)> {
    let mut mine = None;
    let mut colours: Vec<(i64, u8)> = Vec::new();
    for e in view.entities().filter(|e| e.kind_name() == "player") {
        let c = u8::try_from(as_int(e.field("color"))?).ok()?;
        colours.push((i64::from(e.id()), c));
        if e.id() == me {
            mine = Some(c);
        }
    }
    let mine = mine?;
    let theirs = 3 - mine;
    let mut board = [[0u8; C4_COLUMNS]; C4_ROWS];
    for e in view.entities().filter(|e| e.kind_name() == "disc") {
        let col = usize::try_from(as_int(e.field("column"))?).ok()?;
        let row = usize::try_from(as_int(e.field("row"))?).ok()?;
        let owner = as_int(e.field("player"))?;
        let c = if owner == i64::from(me) {
            mine
        } else {
            colours.iter().find(|(p, _)| *p == owner).map_or(theirs, |(_, c)| *c)
        };
        *board.get_mut(row)?.get_mut(col)? = c;
    }
    Some((board, mine))
}

/// The integer global `name` (connect4's `turn`, `moves`, `winner`), if the view has it.
pub fn global_int(view: &View, name: &str) -> Option<i64> {
    as_int(view.global_named(name))
}

/// A connect4-shaped schema and server views for the bots' unit tests (state tracking here,
/// turn-taking in `swarm::game::turns`), defined once.
#[cfg(test)]
pub(crate) mod c4_fixture {
    use serde::Serialize;
    use std::sync::Arc;
    use tickwave_protocol::v2::{Layout, Schema, View};

    #[derive(Serialize, Default)]
    struct Player {
        name: String,
        color: i32,
    }
    #[derive(Serialize, Default)]
    struct Disc {
        column: i32,
        row: i32,
        player: i64,
    }
    #[derive(Serialize, Default)]
    struct Globals {
        turn: i64,
        moves: i32,
    }
    /// The `drop` command's arguments.
    #[derive(Serialize, Default)]
    pub(crate) struct Drop {
        pub(crate) column: i32,
    }

    /// Kinds `player` and `disc`, globals `turn` and `moves`, command `drop`.
    pub(crate) fn c4_layout() -> Arc<Layout> {
        let schema = Schema::builder()
            .kind::<Player>("player", |k| k)
            .kind::<Disc>("disc", |k| k)
            .globals::<Globals>(|g| g)
            .command::<Drop>("drop", |c| c)
            .build()
            .unwrap();
        Arc::new(Layout::new(schema).unwrap())
    }

    /// A server-side view: players 3 (colour 1) and 9 (colour 2), and `discs` as
    /// (column, row, owner).
    pub(crate) fn server(l: &Arc<Layout>, turn: i64, discs: &[(i32, i32, i64)]) -> View {
        let mut v = View::new(l.clone());
        for (id, color) in [(3u32, 1), (9, 2)] {
            v.push_named(id, "player", &Player { name: format!("p{id}"), color }).unwrap();
        }
        for &(column, row, player) in discs {
            let id = (1u32 << 31) + (row * 7 + column) as u32;
            v.push_named(id, "disc", &Disc { column, row, player }).unwrap();
        }
        v.set_globals(&Globals { turn, moves: discs.len() as i32 }).unwrap();
        v.finish().unwrap();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::c4_fixture::{Drop, c4_layout, server};
    use super::*;
    use serde::Serialize;
    use tickwave_protocol::v2::{
        Delta, Schema, decode_delta, decode_snapshot, encode_delta, encode_snapshot,
    };

    #[derive(Serialize, Default)]
    struct Player {
        name: String,
        color: i32,
    }
    #[derive(Serialize, Default)]
    struct ArenaInput {
        dx: f32,
        dy: f32,
        aim: f32,
        fire: bool,
        dash: bool,
    }

    fn snap(tick: u64, v: &View) -> SnapshotMsg {
        decode_snapshot(&encode_snapshot(tick, &[(3, tick), (9, 1)], v)).unwrap()
    }

    fn delta(tick: u64, base: u64, from: &View, to: &View) -> DeltaMsg {
        let d: Delta = from.diff(to);
        decode_delta(&encode_delta(tick, base, &[(3, tick)], &d)).unwrap()
    }

    #[test]
    fn snapshots_and_deltas_off_the_wire_track_the_server_view() {
        let l = c4_layout();
        let (a, b) = (server(&l, 3, &[]), server(&l, 9, &[(3, 0, 3)]));
        let mut st = LocalStateV2::new(l.clone());
        assert_eq!(st.apply_snapshot(&snap(10, &a)).unwrap().missed, 0);
        let ap = st.apply_delta(&delta(12, 10, &a, &b)).unwrap();
        assert_eq!((ap.tick, ap.missed, ap.snapshot), (12, 1, false));
        assert_eq!(st.view, b);
        assert_eq!((st.ack(3), st.ack(9)), (Some(12), None));
        assert_eq!(global_int(&st.view, "turn"), Some(9));
        assert_eq!(global_int(&st.view, "moves"), Some(1));
        assert_eq!((st.snapshots, st.deltas), (1, 1));
    }

    #[test]
    fn bad_deltas_are_counted_and_leave_the_state_unchanged() {
        let l = c4_layout();
        let (a, b) = (server(&l, 3, &[]), server(&l, 9, &[(3, 0, 3)]));
        let mut st = LocalStateV2::new(l.clone());
        assert_eq!(
            st.apply_delta(&delta(11, 10, &a, &b)),
            Err(StateCheckV2::BaseMismatch { base: 10, held: None })
        );
        st.apply_snapshot(&snap(10, &a)).unwrap();
        assert_eq!(
            st.apply_delta(&delta(11, 9, &a, &b)),
            Err(StateCheckV2::BaseMismatch { base: 9, held: Some(10) })
        );
        assert_eq!(
            st.apply_delta(&delta(10, 10, &a, &b)),
            Err(StateCheckV2::Backwards { from: 10, to: 10 })
        );
        assert_eq!(
            st.apply_snapshot(&snap(9, &a)).unwrap_err(),
            StateCheckV2::Backwards { from: 10, to: 9 }
        );
        // A delta from a base the client does not hold: the disc it changes is unknown.
        let other = server(&l, 3, &[(0, 0, 9)]);
        let bad = delta(11, 10, &other, &server(&l, 3, &[(0, 0, 3)]));
        assert!(matches!(st.apply_delta(&bad), Err(StateCheckV2::Apply(_))));
        assert_eq!(st.view, a);
        assert_eq!(st.tick, Some(10));
    }

    #[test]
    fn the_shape_comes_from_the_schema_not_the_mode_name() {
        assert_eq!(GameShape::of(&c4_layout()), GameShape::Connect4);
        let arena = Schema::builder()
            .kind::<Player>("player", |k| k)
            .input::<ArenaInput>(|i| i)
            .build()
            .unwrap();
        assert_eq!(GameShape::of(&Layout::new(arena).unwrap()), GameShape::ArenaV2);
        // The compat schema of a v1 game (dx, dy and action) steers; a game with other
        // input fields, or with dx as an int, is a game of its own.
        #[derive(Serialize, Default)]
        struct Compat {
            dx: f32,
            dy: f32,
            action: bool,
        }
        #[derive(Serialize, Default)]
        struct IntDx {
            dx: i32,
            dy: f32,
        }
        #[derive(Serialize, Default)]
        struct Extra {
            dx: f32,
            dy: f32,
            jump: bool,
        }
        let shape = |b: tickwave_protocol::v2::SchemaBuilder| {
            GameShape::of(&Layout::new(b.build().unwrap()).unwrap())
        };
        let compat = Schema::builder().kind::<Player>("player", |k| k).input::<Compat>(|i| i);
        assert_eq!(shape(compat), GameShape::V1Compat);
        assert_eq!(shape(Schema::builder().input::<IntDx>(|i| i)), GameShape::Other);
        assert_eq!(shape(Schema::builder().input::<Extra>(|i| i)), GameShape::Other);
        assert_eq!(
            shape(Schema::builder().input::<Compat>(|i| i).command::<Drop>("drop", |c| c)),
            GameShape::Other
        );
        // A drop command without discs is not connect4.
        let no_discs =
            Schema::builder().kind::<Player>("player", |k| k).command::<Drop>("drop", |c| c);
        assert_eq!(
            GameShape::of(&Layout::new(no_discs.build().unwrap()).unwrap()),
            GameShape::Other
        );
    }

    #[test]
    fn the_board_is_rebuilt_from_discs_with_row_0_at_the_bottom() {
        let l = c4_layout();
        // Player 3 moved first (colour 1); 42 is a player who has left.
        let v = server(&l, 9, &[(3, 0, 3), (3, 1, 9), (0, 0, 42)]);
        let (board, mine) = connect4_board(&v, 9).unwrap();
        assert_eq!(mine, 2);
        assert_eq!(board[0][3], 1);
        assert_eq!(board[1][3], 2);
        // A disc whose owner has no `player` entity and is not me is the opponent's.
        assert_eq!(board[0][0], 1);
        assert_eq!(board.iter().flatten().filter(|c| **c != 0).count(), 3);
        let (_, first) = connect4_board(&v, 3).unwrap();
        assert_eq!(first, 1);
        assert!(connect4_board(&v, 5).is_none(), "a stranger has no colour");
    }
}
