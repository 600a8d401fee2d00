//! The state a client holds (what a resumed client gets in its snapshot), the summary, and
//! determinism; and a bot playing from the view alone with `pick_column`.

use super::*;
use std::collections::BTreeSet;
use tickwave::game::v2::FIRST_GAME_ENTITY_ID;
use tickwave_connect4::{Board, COLUMNS, ROWS, pick_column};

/// The discs in the view: (entity id, column, row, player).
fn discs(h: &H) -> BTreeSet<(u32, i64, i64, i64)> {
    h.view()
        .entities()
        .filter(|e| e.kind_name() == "disc")
        .map(|e| {
            let f = |n| e.field(n).unwrap().as_i64().unwrap();
            (e.id(), f("column"), f("row"), f("player"))
        })
        .collect()
}

/// The board rebuilt from the view alone, as a client (or a bot) would.
fn board_from_view(h: &H) -> Board {
    let mut b: Board = [[0; COLUMNS]; ROWS];
    for (_, column, row, player) in discs(h) {
        b[row as usize][column as usize] = field(h, player as u32, "color") as u8;
    }
    b
}

#[test]
fn the_view_after_some_moves_shows_exactly_the_discs() {
    let mut h = running(&[20, 10]);
    play(&mut h, 10, 20, &[3, 3, 4, 0, 3]);
    let id = |row: u32, column: u32| FIRST_GAME_ENTITY_ID + row * 7 + column;
    let want = BTreeSet::from([
        (id(0, 3), 3, 0, 10),
        (id(1, 3), 3, 1, 20),
        (id(0, 4), 4, 0, 10),
        (id(0, 0), 0, 0, 20),
        (id(2, 3), 3, 2, 10),
    ]);
    assert_eq!(discs(&h), want);
    assert_eq!(h.view().len(), 2 + 5, "two players, five discs, nothing else");
    assert_eq!((global(&h, "moves"), global(&h, "turn"), global(&h, "winner")), (5, 20, 0));
    let player = |id| {
        let e = h.view().get(id).unwrap();
        assert_eq!(e.kind_name(), "player");
        let name = e.field("name").unwrap().as_str().unwrap().to_owned();
        (name, e.field("color").unwrap().as_i64().unwrap())
    };
    assert_eq!(player(10), ("p10".to_owned(), 1));
    assert_eq!(player(20), ("p20".to_owned(), 2));
    // The state is the position alone, not its history: the same discs reached in another
    // order give the same view, which is all a resumed client is sent.
    let mut other = running(&[20, 10]);
    play(&mut other, 10, 20, &[4, 0, 3, 3, 3]);
    assert_eq!(other.view(), h.view());
}

#[test]
fn long_names_are_cut_at_32_bytes_on_a_char_boundary() {
    let mut h = H::new(Connect4Settings::default(), 1, HZ, 2).unwrap();
    let name = format!("{}é", "a".repeat(31)); // 33 bytes; the é straddles byte 32
    h.join(PlayerRecord { id: 1, name, ..Default::default() }).unwrap();
    h.tick().unwrap();
    let shown = h.view().get(1).unwrap().field("name").unwrap().as_str().unwrap().to_owned();
    assert_eq!(shown, "a".repeat(31));
}

#[test]
fn the_same_moves_give_the_same_view_whatever_the_seed() {
    let game = |seed: u64| {
        let mut h = H::new(Connect4Settings::default(), seed, HZ, 2).unwrap();
        h.join(record(2)).unwrap();
        h.join(record(1)).unwrap();
        h.start(MATCH_TICKS);
        let events = play(&mut h, 1, 2, &super::wins::DRAW[..30]);
        (h, events)
    };
    let (a, ea) = game(1);
    let (b, eb) = game(99);
    assert_eq!(a.view(), b.view());
    assert_eq!(ea, eb);
    assert_eq!(a.scores(), b.scores());
    assert_eq!(discs(&a).len(), 30);
}

#[test]
fn a_bot_playing_from_the_view_with_pick_column_never_makes_an_illegal_move() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    let mut moves = 0;
    while h.ended().is_none() {
        let me = global(&h, "turn") as u32;
        let color = field(&h, me, "color") as u8;
        let column = pick_column(&board_from_view(&h), color).expect("a free column");
        drop(&mut h, me, column.into()).unwrap().unwrap();
        h.tick().unwrap();
        moves += 1;
        assert!(moves <= 42);
    }
    // Both sides play the same deterministic rules, so the game ends the same way every
    // run: the first mover, having the centre, wins on its 8th disc.
    assert_eq!((moves, global(&h, "moves")), (15, 15));
    let want = expected_end(vec![(1, 1), (2, 0)], 1, "four_in_a_row");
    assert_eq!(h.ended(), Some(&want));
}
