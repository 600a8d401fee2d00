//! Two teams, balanced at join, and the seat cap.

use super::*;

#[test]
fn joins_alternate_teams_and_backfill_fills_the_smaller_one() {
    let mut h = H::new(FogSettings::default(), 1, HZ, 64).unwrap();
    for id in 1..=10 {
        h.join(record(id)).unwrap();
    }
    let teams: Vec<u32> = (1..=10).map(|id| team(&h, id)).collect();
    assert_eq!(teams, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    // Three of team 0 leave: the next three joins all go to team 0, then they alternate.
    for id in [1, 3, 5] {
        h.leave(id);
    }
    for id in 11..=15 {
        h.join(record(id)).unwrap();
    }
    let late: Vec<u32> = (11..=15).map(|id| team(&h, id)).collect();
    assert_eq!(late, [0, 0, 0, 0, 1]);
    h.tick().unwrap();
    // The team is in the state too.
    for id in 11..=15 {
        assert_eq!(field(h.view(), id, "team"), i64::from(team(&h, id)));
    }
}

#[test]
fn the_sixty_fifth_player_is_refused() {
    let mut h = H::new(FogSettings::default(), 1, HZ, 64).unwrap();
    for id in 1..=64 {
        h.join(record(id)).unwrap();
    }
    let e = h.join(record(65)).unwrap_err();
    assert_eq!(e.code, "full");
    let (zero, one): (Vec<u32>, Vec<u32>) = (1..=64).partition(|&id| team(&h, id) == 0);
    assert_eq!((zero.len(), one.len()), (32, 32));
}

#[test]
fn players_spawn_on_their_side_and_teammates_always_see_each_other() {
    let mut h = running(FogSettings::default(), 9, 64);
    h.tick().unwrap();
    for id in 1..=64 {
        let (x, _) = pos(&h, id);
        if team(&h, id) == 0 {
            assert!(x <= 30, "player {id} of team 0 at x {x}");
        } else {
            assert!(x >= 90, "player {id} of team 1 at x {x}");
        }
    }
    // At the start the sides are 60 units apart, beyond any opponent's sight: each player
    // sees exactly its 32-player team.
    let v = h.view_of(1);
    let seen = ids(&v, "player");
    assert_eq!(seen.len(), 32);
    assert!(seen.iter().all(|&id| team(&h, id) == team(&h, 1)));
    assert_eq!(ids(&h.view_of(2), "player").len(), 32);
}
