//! Every refusal code, with its message, and who moves first.

use super::*;
use tickwave::game::v2::Phase;

#[test]
fn drops_before_the_match_runs_are_not_running() {
    let mut h = seated(Connect4Settings::default(), &[1, 2]);
    for phase in [Phase::Waiting, Phase::Starting] {
        h.set_phase(phase);
        let r = refused(&mut h, 1, 3);
        assert_eq!(r.code, "not_running", "{phase:?}");
        assert_eq!(r.message, "the match has not started yet");
    }
    h.tick().unwrap();
    assert_eq!(global(&h, "moves"), 0);
    assert_eq!(global(&h, "turn"), 0, "nobody to move before the match runs");
}

#[test]
fn a_running_match_with_one_player_waits_for_the_second() {
    let mut h = running(&[5]);
    let r = refused(&mut h, 5, 3);
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("not_running", "waiting for a second player")
    );
    h.run(10).unwrap();
    // The second arrives (backfill): play begins at once, the lower id first.
    h.join(record(3)).unwrap();
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 3);
    drop(&mut h, 3, 0).unwrap().unwrap();
}

#[test]
fn the_lower_id_moves_first_even_if_it_joined_second() {
    let mut h = running(&[9, 4]);
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 4);
    assert_eq!((field(&h, 4, "color"), field(&h, 9, "color")), (1, 2));
    let r = refused(&mut h, 9, 3);
    assert_eq!(r.code, "not_your_turn");
    assert_eq!(r.message, "it is the other player's turn");
    drop(&mut h, 4, 3).unwrap().unwrap();
    // Now it is 9's turn, and 4 is the one refused.
    assert_eq!(refused(&mut h, 4, 3).code, "not_your_turn");
    drop(&mut h, 9, 3).unwrap().unwrap();
}

#[test]
fn out_of_range_columns_reach_the_game_as_bad_column() {
    let mut h = running(&[1, 2]);
    for column in [-1, 7, 100, i32::MIN, i32::MAX] {
        let r = refused(&mut h, 1, column);
        assert_eq!(r.code, "bad_column", "{column}");
        assert_eq!(r.message, format!("column must be in 0..=6, got {column}"));
    }
    // Still 1's turn: a refusal is not a move.
    drop(&mut h, 1, 6).unwrap().unwrap();
    // A column of the wrong type is the server's `invalid_args`, before the game.
    #[derive(serde::Serialize)]
    struct Text {
        column: &'static str,
    }
    let e = h.command(2, "drop", &Text { column: "3" }).unwrap_err();
    assert_eq!(e.code, "invalid_args");
    assert_eq!(h.command(2, "fly", &()).unwrap_err().code, "unknown_command");
}

#[test]
fn a_full_column_is_column_full() {
    let mut h = running(&[1, 2]);
    // Six discs alternating in column 0: full, and no four of one colour.
    play(&mut h, 1, 2, &[0, 0, 0, 0, 0, 0]);
    let r = refused(&mut h, 1, 0);
    assert_eq!((r.code.as_ref(), r.message.as_str()), ("column_full", "column 0 is full"));
    drop(&mut h, 1, 1).unwrap().unwrap();
}

#[test]
fn after_the_game_is_decided_drops_are_game_over() {
    let mut h = running(&[1, 2]);
    play(&mut h, 1, 2, &[0, 1, 0, 1, 0, 1, 0]);
    assert!(h.ended().is_some());
    for (p, c) in [(2, 1), (1, 5), (2, 9)] {
        let r = refused(&mut h, p, c);
        assert_eq!(r.code, "game_over", "{p} in {c}");
        assert_eq!(r.message, "the game is decided: no more moves");
    }
}

#[test]
fn a_third_player_is_refused_lobby_full() {
    let mut h = seated(Connect4Settings::default(), &[1, 2]);
    let r = h.join(record(3)).unwrap_err();
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("lobby_full", "connect four is for two players")
    );
    h.start(MATCH_TICKS);
    assert_eq!(h.join(record(0)).unwrap_err().code, "lobby_full", "also mid-match");
    h.tick().unwrap();
    assert_eq!(h.ctx().players().len(), 2);
    assert_eq!(h.view().len(), 2, "only the two players' entities");
    // The same player joining again (a new record) keeps its seat, with the new name.
    h.join(PlayerRecord { id: 2, name: "again".into(), ..Default::default() }).unwrap();
    h.tick().unwrap();
    assert_eq!(h.view().len(), 2);
    assert_eq!(h.view().get(2).unwrap().field("name").unwrap().as_str(), Some("again"));
}

#[test]
fn the_game_takes_no_input_fields() {
    #[derive(serde::Serialize)]
    struct Nothing {}
    #[derive(serde::Serialize)]
    struct Steer {
        dx: f32,
    }
    let mut h = running(&[1, 2]);
    h.input(1, &Nothing {}).unwrap();
    let e = h.input(1, &Steer { dx: 1.0 }).unwrap_err();
    assert!(e.to_string().contains("field `dx`: not in the schema"), "{e}");
    h.tick().unwrap();
    assert_eq!(global(&h, "moves"), 0);
}
