//! What each player sees (`view_of`): its own fleet always, the opponent's cells only once
//! hit, every shot; the world (the operator's spectator) sees everything.

use super::*;
use tickwave::game::v2::FIRST_GAME_ENTITY_ID;
use tickwave_battleship::FLEET_CELLS;

#[test]
fn a_player_never_sees_an_unhit_cell_of_the_opponent() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    for (me, other) in [(1, 2), (2, 1)] {
        let v = h.view_of(me);
        assert_eq!(cells_of(&v, me).len(), FLEET_CELLS);
        assert!(cells_of(&v, other).is_empty(), "{me} sees none of {other}'s cells");
        assert!(v.get(other).is_some(), "but the opponent's player entity");
    }
    assert_eq!(h.view().entities().filter(|e| e.kind_name() == "ship_cell").count(), 34);
    // 1 hits a cell of 2's, misses... then 2 misses.
    let two = fleet_cells(&Fleet::random(SEED, 2));
    let (hx, hy) = two[3];
    shoot(&mut h, 1, hx as i32, hy as i32);
    let (mx, my) = water(&Fleet::random(SEED, 1))[0];
    shoot(&mut h, 2, mx, my);
    let one = h.view_of(1);
    assert_eq!(cells_of(&one, 2), BTreeMap::from([((hx, hy), true)]), "only the hit cell");
    let theirs = h.view_of(2);
    let own = cells_of(&theirs, 2);
    assert_eq!(own.len(), FLEET_CELLS);
    assert_eq!(own.iter().filter(|c| *c.1).map(|c| *c.0).collect::<Vec<_>>(), vec![(hx, hy)]);
    assert!(cells_of(&theirs, 1).is_empty(), "2 missed: it sees none of 1's cells");
    // Both see both shots.
    for v in [&one, &theirs] {
        let mut s: Vec<_> = v
            .entities()
            .filter(|e| e.kind_name() == "shot")
            .map(|e| {
                let f = |n| e.field(n).unwrap().as_i64().unwrap();
                (f("shooter"), f("x"), f("y"), e.field("hit").unwrap().as_bool().unwrap())
            })
            .collect();
        s.sort_unstable();
        assert_eq!(s, vec![(1, hx, hy, true), (2, mx.into(), my.into(), false)]);
    }
}

#[test]
fn hidden_cells_stay_hidden_through_a_whole_game() {
    let mut h = running(&[1, 2]);
    let two = Fleet::random(SEED, 2);
    let one = Fleet::random(SEED, 1);
    let mut misses = water(&one).into_iter();
    let mut hit = Vec::new();
    for (_, (x, y)) in two.cells() {
        shoot(&mut h, 1, x.into(), y.into());
        hit.push((i64::from(x), i64::from(y)));
        hit.sort_unstable();
        // Exactly the cells hit so far, every one marked hit.
        let seen = cells_of(&h.view_of(1), 2);
        assert_eq!(seen.keys().copied().collect::<Vec<_>>(), hit);
        assert!(seen.values().all(|&h| h));
        if h.ended().is_some() {
            break;
        }
        let (mx, my) = misses.next().unwrap();
        shoot(&mut h, 2, mx, my);
        assert!(cells_of(&h.view_of(2), 1).is_empty());
    }
    assert!(h.ended().is_some());
}

#[test]
fn ship_cell_ids_tell_nothing_but_the_seat_and_the_cell() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    // 1 joined first: seat slot 0, ids 2^31 + y * 10 + x; 2's cells from 2^31 + 100.
    for e in h.view().entities().filter(|e| e.kind_name() == "ship_cell") {
        let f = |n| e.field(n).unwrap().as_i64().unwrap() as u32;
        let base = if f("owner") == 1 { 0 } else { 100 };
        assert_eq!(e.id(), FIRST_GAME_ENTITY_ID + base + f("y") * 10 + f("x"));
    }
}
