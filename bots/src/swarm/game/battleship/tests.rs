//! Target choice and turn-taking on a battleship-shaped schema (PROTOCOL.md §6.2.1).

use super::*;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;
use tickwave_protocol::v2::{Schema, decode_command};

#[derive(Serialize, Default)]
struct Player {
    ships_left: i32,
    shots: i32,
}
#[derive(Serialize, Default)]
struct Cell {
    owner: i64,
    x: i32,
    y: i32,
    hit: bool,
}
#[derive(Serialize, Default)]
struct Shot {
    shooter: i64,
    x: i32,
    y: i32,
    hit: bool,
}
#[derive(Serialize, Default)]
struct Globals {
    turn: i64,
    turn_deadline_tick: i64,
}
#[derive(Serialize, Default)]
struct Fire {
    x: i32,
    y: i32,
}
#[derive(Serialize, Default)]
struct Place {
    ship: i32,
    x: i32,
    y: i32,
    vertical: bool,
}

pub(crate) fn layout() -> Arc<Layout> {
    let schema = Schema::builder()
        .kind::<Cell>("ship_cell", |k| k)
        .kind::<Shot>("shot", |k| k)
        .kind::<Player>("player", |k| k)
        .globals::<Globals>(|g| g)
        .command::<Fire>("fire", |c| c)
        .command::<Place>("place", |c| c)
        .build()
        .unwrap();
    Arc::new(Layout::new(schema).unwrap())
}

/// A view for players 3 and 9 with `shots` as (shooter, x, y, hit), `turn` to move.
fn view(l: &Arc<Layout>, turn: i64, shots: &[(i64, i32, i32, bool)]) -> View {
    let mut v = View::new(l.clone());
    for id in [3u32, 9] {
        let n = shots.iter().filter(|s| s.0 == i64::from(id)).count() as i32;
        v.push_named(id, "player", &Player { ships_left: 5, shots: n }).unwrap();
    }
    for (i, &(shooter, x, y, hit)) in shots.iter().enumerate() {
        v.push_named((1 << 31) + i as u32, "shot", &Shot { shooter, x, y, hit }).unwrap();
    }
    v.set_globals(&Globals { turn, turn_deadline_tick: 300 }).unwrap();
    v.finish().unwrap();
    v
}

fn board(marks: &[(usize, usize, Mark)]) -> Shots {
    let mut b = [[Mark::Untried; SIDE]; SIDE];
    for &(x, y, m) in marks {
        b[y][x] = m;
    }
    b
}

fn fired(l: &Layout, out: &[u8]) -> (u32, i64, i64) {
    let f = decode_command(l, out).expect("a valid fire");
    let c = l.command_id("fire").unwrap();
    let arg = |i| f.args.get(l.command_args(c), i).unwrap().as_i64().unwrap();
    (f.id, arg(0), arg(1))
}

#[test]
fn hunting_fires_on_one_checkerboard_colour_and_varies_with_the_tie() {
    let empty = board(&[]);
    let picks: BTreeSet<_> = (0..64).map(|t| pick_target(&empty, t).unwrap()).collect();
    assert!(picks.iter().all(|&(x, y)| (x + y) % 2 == 0), "{picks:?}");
    assert!(picks.len() > 10, "the seed spreads the bots: {picks:?}");
}

#[test]
fn a_hit_draws_fire_to_its_neighbours_and_a_line_to_its_ends() {
    use Mark::*;
    let one = board(&[(4, 4, Hit)]);
    let near = BTreeSet::from([(3, 4), (5, 4), (4, 3), (4, 5)]);
    for t in 0..32 {
        assert!(near.contains(&pick_target(&one, t).unwrap()), "tie {t}");
    }
    // Two hits in a row: the ends of the line, not the sides.
    let line = board(&[(4, 4, Hit), (5, 4, Hit), (3, 4, Miss)]);
    for t in 0..32 {
        assert_eq!(pick_target(&line, t), Some((6, 4)), "tie {t}");
    }
    // At the board's edge the line goes the other way.
    let edge = board(&[(0, 9, Hit), (0, 8, Hit)]);
    for t in 0..32 {
        assert_eq!(pick_target(&edge, t), Some((0, 7)));
    }
}

#[test]
fn it_never_fires_twice_at_a_cell_and_gives_up_on_a_full_board() {
    let mut b = board(&[]);
    let mut seen = BTreeSet::new();
    for t in 0..(SIDE * SIDE) as u64 {
        let (x, y) = pick_target(&b, t).unwrap();
        assert!(seen.insert((x, y)), "({x}, {y}) twice");
        b[y][x] = if (x * 7 + y) % 5 == 0 { Mark::Hit } else { Mark::Miss };
    }
    assert_eq!(pick_target(&b, 1), None);
}

#[test]
fn the_board_comes_from_my_own_shot_entities() {
    let l = layout();
    let v = view(&l, 3, &[(3, 1, 2, true), (9, 1, 2, false), (3, 9, 0, false)]);
    let b = my_shots(&v, 3);
    assert_eq!((b[2][1], b[0][9]), (Mark::Hit, Mark::Miss));
    let tried = b.iter().flatten().filter(|m| **m != Mark::Untried).count();
    assert_eq!(tried, 2, "9's shot is at my board, not this one");
}

#[test]
fn one_shot_per_turn_and_none_out_of_turn() {
    let l = layout();
    let mut s = Salvo::new(&l, true, 0);
    let mut out = Vec::new();
    assert!(!s.on_state(&view(&l, 9, &[]), 3, 0, 1, &mut out), "not my turn");
    let mine = view(&l, 3, &[]);
    assert!(s.on_state(&mine, 3, 1_000, 1, &mut out));
    let (id, x, y) = fired(&l, &out);
    assert_eq!(id, 1);
    out.clear();
    assert!(!s.on_state(&mine, 3, 1_100, 1, &mut out), "one in flight");
    assert_eq!(s.on_result(7, None, 1_200), None, "not ours");
    assert_eq!(s.on_result(1, None, 1_500), Some(Answered { rtt_us: 500 }));
    // Accepted but not in the state yet (`turn` still says me): no second shot.
    assert!(!s.on_state(&mine, 3, 1_600, 1, &mut out));
    // The shot shows, 9 fires, my turn again: a new cell.
    let next = view(&l, 3, &[(3, x as i32, y as i32, false), (9, 0, 0, false)]);
    assert!(s.on_state(&next, 3, 2_000, 1, &mut out));
    let (id, x2, y2) = fired(&l, &out);
    assert_eq!(id, 2);
    assert_ne!((x2, y2), (x, y));
}

#[test]
fn refusals_look_again_idlers_never_fire_and_thinkers_wait() {
    let l = layout();
    let mine = view(&l, 3, &[]);
    let mut out = Vec::new();
    let mut s = Salvo::new(&l, true, 0);
    assert!(s.on_state(&mine, 3, 0, 1, &mut out));
    assert!(s.on_result(1, Some("not_your_turn"), 10).is_some());
    assert!(s.on_state(&mine, 3, 20, 1, &mut out), "the next state decides again");
    s.on_resume();
    assert!(s.on_state(&mine, 3, 30, 1, &mut out), "a resume forgets the shot in flight");
    assert!(!Salvo::new(&l, false, 0).on_state(&mine, 3, 0, 1, &mut out));
    let mut t = Salvo::new(&l, true, 500_000);
    assert!(!t.on_state(&mine, 3, 1_000_000, 1, &mut out), "the turn begins: think");
    assert!(!t.on_state(&mine, 3, 1_499_999, 1, &mut out));
    assert!(t.on_state(&mine, 3, 1_500_000, 1, &mut out));
}

#[test]
fn the_schema_makes_a_battleship_bot() {
    use crate::state_v2::GameShape;
    assert_eq!(GameShape::of(&layout()), GameShape::Battleship);
}
