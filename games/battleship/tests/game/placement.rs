//! Fleets: placed from the seed (deterministic and valid), moved with `place` before the
//! match runs, and every `place` refusal.

use super::*;
use tickwave::game::v2::Phase;
use tickwave_battleship::{BOARD, FLEET, FLEET_CELLS};

/// Whether `cells` are `FLEET`'s ships: straight contiguous runs of 5, 4, 3, 3, 2 on the
/// board, sharing no cell (read from the view alone, as a client would check it).
fn is_a_fleet(cells: &BTreeMap<(i64, i64), bool>) -> bool {
    let mut left: Vec<(i64, i64)> = cells.keys().copied().collect();
    let mut lens = Vec::new();
    // Ships may touch, so try every split: take each ship of the fleet, longest first, as
    // any straight run of its length that is still free.
    fn fit(left: &mut Vec<(i64, i64)>, ships: &[u8], lens: &mut Vec<u8>) -> bool {
        let Some((&len, rest)) = ships.split_first() else { return left.is_empty() };
        for &(x, y) in left.clone().iter() {
            for (dx, dy) in [(1, 0), (0, 1)] {
                let run: Vec<_> = (0..i64::from(len)).map(|i| (x + i * dx, y + i * dy)).collect();
                if run.iter().all(|c| left.contains(c)) {
                    left.retain(|c| !run.contains(c));
                    lens.push(len);
                    if fit(left, rest, lens) {
                        return true;
                    }
                    lens.pop();
                    left.extend(run);
                    left.sort_unstable();
                }
            }
        }
        false
    }
    cells.keys().all(|&(x, y)| (0..BOARD as i64).contains(&x) && (0..BOARD as i64).contains(&y))
        && fit(&mut left, &FLEET, &mut lens)
}

#[test]
fn each_player_sees_its_own_fleet_placed_from_the_seed() {
    let mut h = seated(&[1, 2]);
    h.tick().unwrap();
    for p in [1, 2] {
        let own = cells_of(&h.view_of(p), p);
        assert_eq!(own.len(), FLEET_CELLS, "{p}: 17 cells");
        assert!(own.values().all(|&hit| !hit));
        assert!(is_a_fleet(&own), "{p}: {own:?}");
        assert_eq!(own.keys().copied().collect::<Vec<_>>(), fleet_cells(&Fleet::random(SEED, p)));
    }
    assert_ne!(fleet_cells(&Fleet::random(SEED, 1)), fleet_cells(&Fleet::random(SEED, 2)));
}

#[test]
fn the_same_seed_gives_the_same_fleets_whatever_the_join_order() {
    let mut a = seated(&[1, 2]);
    let mut b = seated(&[2, 1]);
    a.tick().unwrap();
    b.tick().unwrap();
    for p in [1, 2] {
        assert_eq!(cells_of(&a.view_of(p), p), cells_of(&b.view_of(p), p));
    }
    let mut c = H::new(BattleshipSettings::default(), SEED + 1, HZ, 2).unwrap();
    c.join(record(1)).unwrap();
    c.tick().unwrap();
    assert_ne!(cells_of(&c.view_of(1), 1), cells_of(&a.view_of(1), 1), "another seed");
}

/// Ship `i` on row `2 * i` from column 0: a known fleet. A move onto a ship not yet moved
/// is refused (`overlaps`), so this makes rounds until every ship is in place.
pub(crate) fn line_up(h: &mut H, p: u32) {
    let mut todo: Vec<i32> = (0..FLEET.len() as i32).collect();
    for _ in 0..FLEET.len() {
        todo.retain(|&i| place(h, p, i, 0, 2 * i, false).unwrap().is_err());
    }
    assert!(todo.is_empty(), "ships {todo:?} could not be lined up");
}

#[test]
fn place_moves_a_ship_while_waiting_and_starting() {
    let mut h = seated(&[1, 2]);
    line_up(&mut h, 1);
    h.tick().unwrap();
    let want: Vec<(i64, i64)> = FLEET
        .iter()
        .enumerate()
        .flat_map(|(i, &len)| (0..i64::from(len)).map(move |x| (x, 2 * i as i64)))
        .collect();
    let mut want = want;
    want.sort_unstable();
    assert_eq!(cells_of(&h.view_of(1), 1).keys().copied().collect::<Vec<_>>(), want);
    // During the countdown too: the submarine (ship 3) goes vertical in column 9.
    h.set_phase(Phase::Starting);
    place(&mut h, 1, 3, 9, 0, true).unwrap().unwrap();
    h.tick().unwrap();
    let own = cells_of(&h.view_of(1), 1);
    assert!([(9, 0), (9, 1), (9, 2)].iter().all(|c| own.contains_key(c)));
    assert!(!own.contains_key(&(0, 6)), "moved away from row 6");
    assert!(is_a_fleet(&own));
    // Player 2's fleet did not move.
    assert_eq!(
        cells_of(&h.view_of(2), 2).keys().copied().collect::<Vec<_>>(),
        fleet_cells(&Fleet::random(SEED, 2))
    );
}

#[test]
fn place_refuses_out_of_range_and_overlaps_and_changes_nothing() {
    let mut h = seated(&[1, 2]);
    line_up(&mut h, 1);
    h.tick().unwrap();
    let before = cells_of(&h.view_of(1), 1);
    for (ship, x, y, vertical) in [
        (5, 0, 0, false),
        (-1, 0, 0, false),
        (0, 6, 0, false),
        (0, 0, 6, true),
        (4, 9, 0, false),
        (4, -1, 0, false),
        (4, 0, 10, false),
        (4, i32::MAX, 0, true),
    ] {
        let r = place(&mut h, 1, ship, x, y, vertical).unwrap().unwrap_err();
        assert_eq!(r.code, "out_of_range", "{ship} at ({x}, {y}) {vertical}");
        assert_eq!(
            r.message,
            format!("ship {ship} at ({x}, {y}) does not fit: ships are 0..=4, the board 0..=9")
        );
    }
    // Ship 4 (row 8) vertical from row 0 in column 0 crosses ships 0..=3.
    let r = place(&mut h, 1, 4, 0, 0, true).unwrap().unwrap_err();
    assert_eq!(
        (r.code.as_ref(), r.message.as_str()),
        ("overlaps", "ship 4 at (0, 0) would overlap another ship")
    );
    h.tick().unwrap();
    assert_eq!(cells_of(&h.view_of(1), 1), before);
    // Arguments of the wrong type are the server's `invalid_args`, before the game.
    #[derive(serde::Serialize)]
    struct Bad {
        ship: i32,
        x: i32,
        y: i32,
        vertical: i32,
    }
    let e = h.command(1, "place", &Bad { ship: 0, x: 0, y: 0, vertical: 1 }).unwrap_err();
    assert_eq!(e.code, "invalid_args");
}

#[test]
fn place_is_refused_once_the_match_runs() {
    let mut h = running(&[1, 2]);
    for p in [1, 2] {
        let r = place(&mut h, p, 4, 8, 9, false).unwrap().unwrap_err();
        assert_eq!(
            (r.code.as_ref(), r.message.as_str()),
            ("not_placing", "ships are placed before the match runs")
        );
    }
    h.tick().unwrap();
    assert_eq!(
        cells_of(&h.view_of(1), 1).keys().copied().collect::<Vec<_>>(),
        fleet_cells(&Fleet::random(SEED, 1))
    );
}
