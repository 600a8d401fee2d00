//! Turn order and the turn limit: alternate shots (a hit gives no extra shot), a deadline
//! that is a fixed tick, the turn passing when it runs out.

use super::*;
use tickwave::game::v2::Phase;
use tickwave_battleship::BattleshipSettings;

#[test]
fn turns_alternate_and_a_hit_gives_no_extra_shot() {
    let mut h = running(&[1, 2]);
    h.tick().unwrap();
    let (x, y) = fleet_cells(&Fleet::random(SEED, 2))[0];
    let events = shoot(&mut h, 1, x as i32, y as i32);
    assert_eq!(shots(&events), vec![(1, x, y, "hit".to_owned())]);
    assert_eq!(global(&h, "turn"), 2, "a hit passes the turn like a miss");
    assert_eq!(refused_fire(&mut h, 1, 0, 0).code, "not_your_turn");
    let (mx, my) = water(&Fleet::random(SEED, 1))[0];
    let events = shoot(&mut h, 2, mx, my);
    assert_eq!(shots(&events), vec![(2, mx.into(), my.into(), "miss".to_owned())]);
    assert_eq!(global(&h, "turn"), 1);
}

#[test]
fn the_deadline_is_a_fixed_tick_and_the_turn_passes_when_it_comes() {
    let mut h = seated(&[1, 2]);
    h.run(3).unwrap();
    let start = h.ctx().tick();
    h.start(MATCH_TICKS);
    h.tick().unwrap();
    let deadline = start + TURN_TICKS;
    assert_eq!((global(&h, "turn"), global(&h, "turn_deadline_tick")), (1, deadline as i64));
    // Quiet ticks change nothing at all in the state: no countdown to resend.
    let before = h.view().clone();
    while h.ctx().tick() < deadline {
        h.tick().unwrap();
        assert_eq!(h.view(), &before, "tick {}", h.ctx().tick());
    }
    // The deadline's own tick: the turn passes, without a shot.
    h.tick().unwrap();
    assert_eq!(global(&h, "turn"), 2);
    assert_eq!(global(&h, "turn_deadline_tick"), (deadline + TURN_TICKS) as i64);
    assert_eq!((field(&h, 1, "shots"), field(&h, 2, "shots")), (0, 0));
    assert_eq!(refused_fire(&mut h, 1, 0, 0).code, "not_your_turn");
}

#[test]
fn a_shot_applied_in_the_deadline_tick_still_counts() {
    let mut h = running(&[1, 2]);
    let deadline = h.ctx().tick() + TURN_TICKS;
    while h.ctx().tick() < deadline {
        h.tick().unwrap();
    }
    // Commands are applied before the step of the tick they arrive in.
    let events = shoot(&mut h, 1, 0, 0);
    assert_eq!(shots(&events).len(), 1);
    assert_eq!(global(&h, "turn"), 2);
    assert_eq!(global(&h, "turn_deadline_tick"), (deadline + TURN_TICKS) as i64);
}

#[test]
fn a_held_seat_s_turn_passes_too_and_the_turn_secs_setting_counts() {
    let mut h = H::new(BattleshipSettings { turn_secs: 5 }, SEED, HZ, 2).unwrap();
    h.join(record(1)).unwrap();
    h.join(record(2)).unwrap();
    h.start(MATCH_TICKS);
    h.disconnect(1);
    h.run(5 * HZ as u64 + 1).unwrap();
    assert_eq!(global(&h, "turn"), 2, "5 s at 10 Hz");
    h.resume(1);
    shoot(&mut h, 2, 0, 0);
    assert_eq!(global(&h, "turn"), 1);
}

#[test]
fn settings_out_of_range_are_refused() {
    use tickwave::game::GameConfig;
    assert_eq!(
        BattleshipSettings { turn_secs: 4 }.check().unwrap_err(),
        "turn_secs must be in 5..=300, got 4"
    );
    assert!(BattleshipSettings { turn_secs: 301 }.check().is_err());
    assert!(BattleshipSettings::default().check().is_ok());
    assert_eq!(BattleshipSettings::default().turn_secs, 30);
    // Ticks before the match runs do not count.
    let mut h = seated(&[1, 2]);
    h.set_phase(Phase::Starting);
    h.run(2 * TURN_TICKS).unwrap();
    assert_eq!(global(&h, "turn_deadline_tick"), 0);
}
