//! Placement rules: random fleets are valid and deterministic, `place` refuses what it must.

use super::*;
use std::collections::BTreeSet;

fn cell_set(f: &Fleet) -> BTreeSet<(u8, u8)> {
    f.cells().map(|(_, c)| c).collect()
}

#[test]
fn random_fleets_are_valid_for_many_seeds() {
    for seed in 0..500u64 {
        for player in [1, 2, 77, u32::MAX >> 1] {
            let f = Fleet::random(seed, player);
            assert_eq!(cell_set(&f).len(), FLEET_CELLS, "seed {seed}: no shared cell");
            for (i, s) in f.ships().iter().enumerate() {
                assert_eq!(s.len, FLEET[i]);
                let cells: Vec<_> = s.cells().collect();
                assert!(
                    cells.iter().all(|&(x, y)| usize::from(x) < BOARD && usize::from(y) < BOARD)
                );
            }
        }
    }
}

#[test]
fn the_same_seed_and_player_give_the_same_fleet_and_others_differ() {
    assert_eq!(Fleet::random(42, 1), Fleet::random(42, 1));
    assert_ne!(Fleet::random(42, 1), Fleet::random(42, 2), "two players of one match");
    assert_ne!(Fleet::random(42, 1), Fleet::random(43, 1), "two matches");
}

#[test]
fn first_free_fills_a_crowded_board_in_reading_order() {
    // Rows 0..=8 blocked by nine horizontal length-10 "ships" is not a fleet, so build
    // the obstacle from ships of length 5: two per row for rows 0..=8.
    let mut ships = Vec::new();
    for y in 0..9 {
        ships.push(Ship { x: 0, y, vertical: false, len: 5 });
        ships.push(Ship { x: 5, y, vertical: false, len: 5 });
    }
    assert_eq!(first_free(5, &ships), Some(Ship { x: 0, y: 9, vertical: false, len: 5 }));
    ships.push(Ship { x: 0, y: 9, vertical: false, len: 5 });
    ships.push(Ship { x: 6, y: 9, vertical: false, len: 4 });
    assert_eq!(first_free(2, &ships), None);
    assert_eq!(first_free(1, &ships), Some(Ship { x: 5, y: 9, vertical: false, len: 1 }));
}

#[test]
fn place_moves_a_ship_and_refuses_out_of_range_and_overlaps() {
    // Every ship on its own row, from row 5 down.
    let mut f = Fleet::from_ships(std::array::from_fn(|i| Ship {
        x: 0,
        y: 5 + i as u8,
        vertical: false,
        len: FLEET[i],
    }))
    .unwrap();
    f.place(4, 8, 0, false).unwrap();
    assert_eq!(f.ship(4), Ship { x: 8, y: 0, vertical: false, len: 2 });
    assert_eq!(f.ship_at(9, 0), Some(4));
    assert_eq!(f.ship_at(7, 0), None);
    // Off the board: the end cell is what counts.
    assert_eq!(f.place(4, 9, 0, false), Err(PlaceError::OutOfRange));
    assert_eq!(f.place(0, 0, 6, true), Err(PlaceError::OutOfRange), "rows 6..=10");
    for (ship, x, y) in
        [(-1, 0, 0), (5, 0, 0), (0, -1, 0), (0, 0, -1), (0, i32::MAX, 0), (0, 0, i32::MIN)]
    {
        assert_eq!(f.place(ship, x, y, false), Err(PlaceError::OutOfRange), "{ship} {x} {y}");
    }
    // Across ship 1 (row 6): overlaps; a ship may replace its own cells.
    assert_eq!(f.place(0, 3, 2, true), Err(PlaceError::Overlaps));
    f.place(1, 1, 6, false).unwrap();
    assert_eq!(f.ship(1), Ship { x: 1, y: 6, vertical: false, len: 4 });
    // Touching is allowed.
    f.place(4, 0, 4, false).unwrap();
    assert_eq!(cell_set(&f).len(), FLEET_CELLS);
}

#[test]
fn from_ships_checks_lengths_bounds_and_overlaps() {
    let row = |i: usize| Ship { x: 0, y: i as u8, vertical: false, len: FLEET[i] };
    assert!(Fleet::from_ships(std::array::from_fn(row)).is_ok());
    let mut ships: [Ship; 5] = std::array::from_fn(row);
    ships[4].len = 3;
    assert_eq!(Fleet::from_ships(ships), Err(PlaceError::OutOfRange), "wrong length");
    let mut ships: [Ship; 5] = std::array::from_fn(row);
    ships[0].x = 6;
    assert_eq!(Fleet::from_ships(ships), Err(PlaceError::OutOfRange), "off the board");
    let mut ships: [Ship; 5] = std::array::from_fn(row);
    ships[2].y = 1;
    assert_eq!(Fleet::from_ships(ships), Err(PlaceError::Overlaps));
}
