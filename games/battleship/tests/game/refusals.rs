//! Every `fire` refusal, with its message, and the seats.

use super::*;
use tickwave::game::v2::Phase;

#[test]
fn shots_before_the_match_runs_are_not_running() {
    let mut h = seated(&[1, 2]);
    for phase in [Phase::Waiting, Phase::Starting] {
        h.set_phase(phase);
        let r = refused_fire(&mut h, 1, 3, 3);
        assert_eq!(r.code, "not_running", "{phase:?}");
        assert_eq!(r.message, "the match has not started yet");
    }
    h.tick().unwrap();
    assert_eq!((global(&h, "turn"), global(&h, "turn_deadline_tick")), (0, 0));
    assert_eq!(field(&h, 1, "shots"), 0);
}

#[test]
fn a_running_match_with_one_player_waits_for_the_second() {
    let mut h = running(&[5]);
    assert_eq!(refused_fire(&mut h, 5, 0, 0).code, "not_running");
    h.run(10).unwrap();
    h.join(record(3)).unwrap();
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 3, "the lower id fires first");
}

#[test]
fn the_lower_id_fires_first_even_if_it_joined_second() {
    let mut h = running(&[9, 4]);
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 4);
    let r = refused_fire(&mut h, 9, 0, 0);
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("not_your_turn", "it is the other player's turn")
    );
    shoot(&mut h, 4, 0, 0);
    assert_eq!(refused_fire(&mut h, 4, 1, 1).code, "not_your_turn");
    shoot(&mut h, 9, 0, 0);
}

#[test]
fn off_board_cells_reach_the_game_as_out_of_range() {
    let mut h = running(&[1, 2]);
    for (x, y) in [(-1, 0), (10, 0), (0, -1), (0, 10), (i32::MIN, 5), (5, i32::MAX)] {
        let r = refused_fire(&mut h, 1, x, y);
        assert_eq!(r.code, "out_of_range", "({x}, {y})");
        assert_eq!(r.message, format!("x and y must be in 0..=9, got ({x}, {y})"));
    }
    // Still 1's turn: a refusal is not a shot.
    shoot(&mut h, 1, 9, 9);
    assert_eq!(field(&h, 1, "shots"), 1);
    // Coordinates of the wrong type are the server's `invalid_args`, before the game.
    #[derive(serde::Serialize)]
    struct Text {
        x: &'static str,
        y: i32,
    }
    let e = h.command(2, "fire", &Text { x: "3", y: 0 }).unwrap_err();
    assert_eq!(e.code, "invalid_args");
    assert_eq!(h.command(2, "bomb", &()).unwrap_err().code, "unknown_command");
}

#[test]
fn a_cell_fired_at_twice_is_already_fired_but_each_board_is_separate() {
    let mut h = running(&[1, 2]);
    shoot(&mut h, 1, 4, 4);
    // 2 may fire at (4, 4) of 1's board: it is another board.
    shoot(&mut h, 2, 4, 4);
    let r = refused_fire(&mut h, 1, 4, 4);
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("already_fired", "you already fired at (4, 4)")
    );
    // Still 1's turn.
    shoot(&mut h, 1, 4, 5);
    assert_eq!((field(&h, 1, "shots"), field(&h, 2, "shots")), (2, 1));
}

#[test]
fn a_third_player_is_refused_lobby_full() {
    let mut h = seated(&[1, 2]);
    let r = h.join(record(3)).unwrap_err();
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("lobby_full", "battleship is for two players")
    );
    // The same player joining again keeps its seat and its fleet.
    h.join(record(2)).unwrap();
    h.tick().unwrap();
    assert_eq!(h.view().entities().filter(|e| e.kind_name() == "player").count(), 2);
    assert_eq!(
        cells_of(&h.view_of(2), 2).keys().copied().collect::<Vec<_>>(),
        fleet_cells(&Fleet::random(SEED, 2))
    );
}

#[test]
fn the_game_takes_no_input_fields() {
    #[derive(serde::Serialize)]
    struct Steer {
        dx: f32,
    }
    let mut h = running(&[1, 2]);
    let e = h.input(1, &Steer { dx: 1.0 }).unwrap_err();
    assert!(e.to_string().contains("field `dx`: not in the schema"), "{e}");
}
