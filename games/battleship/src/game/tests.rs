//! What the harness cannot reach: the operator summary (`GameHarness` does not expose the
//! game or its summary, so this builds the game directly and sets a position).

use super::super::fleet::Ship;
use super::*;
use tickwave::game::v2::schema::Layout;

fn game() -> Battleship {
    let layout =
        Layout::new(Battleship::schema(&BattleshipSettings::default()).build().unwrap()).unwrap();
    let setup = Setup { seed: 1, tick_hz: 10, max_players: 2, layout: &layout };
    Battleship::new(BattleshipSettings::default(), setup)
}

fn seat(id: u32, slot: u8) -> Seat {
    let ship = |i: usize| Ship { x: 0, y: 2 * i as u8, vertical: false, len: FLEET[i] };
    let fleet = Fleet::from_ships(std::array::from_fn(ship)).unwrap();
    Seat {
        id,
        slot,
        fleet,
        damaged: [[false; BOARD]; BOARD],
        shots: [[Mark::Untried; BOARD]; BOARD],
        fired: 0,
        hits: 0,
    }
}

#[test]
fn the_summary_shows_both_boards_with_hits_and_misses_and_the_turn() {
    let mut g = game();
    assert_eq!(g.summary()["boards"], serde_json::json!([]));
    g.seats = vec![seat(4, 1), seat(9, 0)];
    // 9 hit 4's carrier at (1, 0) and missed at (9, 9); 4 fired nothing.
    g.seats[0].damaged[0][1] = true;
    g.seats[1].shots[0][1] = Mark::Hit;
    g.seats[1].shots[9][9] = Mark::Miss;
    g.seats[1].fired = 2;
    g.stage = Stage::Playing { to_move: 0, deadline: 300 };
    let s = g.summary();
    assert_eq!((&s["turn"], &s["winner"]), (&4.into(), &0.into()));
    let b = &s["boards"][0];
    assert_eq!((&b["player"], &b["ships_left"], &b["shots"]), (&4.into(), &5.into(), &0.into()));
    assert_eq!(b["board"][0], "oXooo.....");
    assert_eq!(b["board"][1], "..........");
    assert_eq!(b["board"][8], "oo........");
    assert_eq!(b["board"][9], ".........*");
    assert_eq!(s["boards"][1]["shots"], 2);
    assert_eq!(s["boards"][1]["board"][9], "..........", "4 fired nothing");
    g.stage = Stage::Over { winner: 9 };
    assert_eq!((&g.summary()["turn"], &g.summary()["winner"]), (&0.into(), &9.into()));
}

#[test]
fn entity_ids_depend_on_the_seat_and_the_cell_alone_and_never_collide() {
    let mut ids: Vec<u32> = Vec::new();
    for slot in 0..SEATS as u8 {
        for y in 0..BOARD as u8 {
            for x in 0..BOARD as u8 {
                ids.push(cell_id(slot, x, y));
                ids.push(shot_id(slot, x, y));
            }
        }
    }
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(ids[0] >= FIRST_GAME_ENTITY_ID);
    assert_eq!(cell_id(1, 3, 2), FIRST_GAME_ENTITY_ID + 100 + 23);
    assert_eq!(shot_id(0, 3, 2), FIRST_GAME_ENTITY_ID + 200 + 23);
}
