//! What the harness cannot reach: the operator summary (`GameHarness` does not expose the
//! game or its summary, so this builds the game directly and sets a position).

use super::*;
use tickwave::game::v2::schema::Layout;

fn game() -> Connect4 {
    let layout =
        Layout::new(Connect4::schema(&Connect4Settings::default()).build().unwrap()).unwrap();
    let setup = Setup { seed: 1, tick_hz: 30, max_players: 2, layout: &layout };
    Connect4::new(Connect4Settings::default(), setup)
}

#[test]
fn the_summary_shows_the_board_top_row_first_and_the_turn() {
    let mut g = game();
    assert_eq!(g.summary()["board"][5], ".......");
    assert_eq!(g.summary()["turn"], 0);
    g.seats = vec![Seat { id: 4, name: "a".into() }, Seat { id: 9, name: "b".into() }];
    g.colors = Some([4, 9]);
    g.board[0][0] = 1;
    g.board[0][3] = 2;
    g.board[1][3] = 1;
    g.moves = 3;
    g.stage = Stage::Playing { to_move: 1, used: 0 };
    let s = g.summary();
    let board = [".......", ".......", ".......", ".......", "...1...", "1..2..."];
    assert_eq!(s["board"], serde_json::json!(board));
    assert_eq!((&s["turn"], &s["moves"], &s["winner"]), (&9.into(), &3.into(), &0.into()));
    assert_eq!(s["players"], serde_json::json!([4, 9]));
    g.stage = Stage::Over { winner: Some(4) };
    assert_eq!((&g.summary()["turn"], &g.summary()["winner"]), (&0.into(), &4.into()));
}
