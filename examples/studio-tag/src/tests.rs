//! The game's own tests, as a studio writes them: the facade's `GameHarness` drives the game
//! as a lobby does (inputs and commands through the server's own validation), with no
//! server, clock or sockets.

use super::*;
use tickwave::game::v2::schema::{Value, ValueRef};

const HZ: u32 = 20;

fn harness(settings: TagSettings, seed: u64) -> GameHarness<Tag> {
    GameHarness::<Tag>::new(settings, seed, HZ, 8).expect("tag builds")
}

fn record(id: u32, name: &str) -> PlayerRecord {
    PlayerRecord { id, name: name.into(), ..Default::default() }
}

fn pos(h: &GameHarness<Tag>, id: u32) -> (f32, f32) {
    let e = h.view().entities().find(|e| e.id() == id).expect("a player entity");
    match (e.field("x"), e.field("y")) {
        (Some(ValueRef::F32(x)), Some(ValueRef::F32(y))) => (x, y),
        other => panic!("x and y are f32: {other:?}"),
    }
}

fn it(h: &GameHarness<Tag>) -> u32 {
    match h.view().global_named("it") {
        Some(ValueRef::Int(i)) => i as u32,
        other => panic!("global it: {other:?}"),
    }
}

/// Two players, started, one tick run so the view exists.
fn two(settings: TagSettings) -> GameHarness<Tag> {
    let mut h = harness(settings, 7);
    h.join(record(1, "ann")).unwrap();
    h.join(record(2, "bob")).unwrap();
    h.start(HZ as u64 * 120);
    h.tick().unwrap();
    h
}

/// *it* runs at the other player until a tick's events include a tag (or `max` ticks pass).
fn chase(h: &mut GameHarness<Tag>, max: u64) -> Option<TickReport> {
    for _ in 0..max {
        let hunter = it(h);
        let prey = if hunter == 1 { 2 } else { 1 };
        let ((hx, hy), (px, py)) = (pos(h, hunter), pos(h, prey));
        h.input(hunter, &Run { dx: px - hx, dy: py - hy, sprint: true }).unwrap();
        let t = h.tick().unwrap();
        if t.events.iter().any(|e| e.name == "tagged") {
            return Some(t);
        }
    }
    None
}

#[test]
fn it_tags_the_player_it_catches_and_only_the_target_hears_you_are_it() {
    let mut h = two(TagSettings::default());
    let hunter = it(&h);
    let prey = 3 - hunter;
    let t = chase(&mut h, 40 * u64::from(HZ)).expect("the hunter catches up");
    let tagged = t.events.iter().find(|e| e.name == "tagged").unwrap();
    assert_eq!(tagged.to, To::All);
    assert_eq!(tagged.field("by"), Some(&Value::Int(hunter.into())));
    assert_eq!(tagged.field("target"), Some(&Value::Int(prey.into())));
    let you = t.events.iter().find(|e| e.name == "you_are_it").unwrap();
    assert_eq!(you.to, To::Player(prey));
    assert_eq!(it(&h), prey);
    assert_eq!(h.scores().iter().find(|s| s.0 == hunter).unwrap().1, 1);
    // Just tagged: the new *it* cannot tag back within a second, even standing still.
    let r = h.run(u64::from(HZ) - 2).unwrap();
    assert!(r.events.iter().all(|e| e.name != "tagged"), "no tag-back: {:?}", r.events);
}

#[test]
fn the_first_to_reach_tags_to_win_ends_the_match_with_a_payload() {
    let mut h = two(TagSettings { tags_to_win: 1, ..TagSettings::default() });
    let hunter = it(&h);
    let t = chase(&mut h, 40 * u64::from(HZ)).expect("a tag");
    let end = t.ended.expect("the match ended at the deciding tick");
    assert!(end.scores.contains(&(hunter, 1)));
    assert!(end.payload.is_some(), "the outcome travels as the payload");
}

#[test]
fn the_seed_decides_who_is_it_and_the_same_seed_replays_the_same_match() {
    let play = |seed| {
        let mut h = harness(TagSettings::default(), seed);
        for (id, n) in [(1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            h.join(record(id, n)).unwrap();
        }
        h.start(1000);
        for k in 0..60u32 {
            let dx = if k % 20 < 10 { 1.0 } else { -0.5 };
            h.input(1 + k % 4, &Run { dx, dy: 0.3, sprint: k % 3 == 0 }).unwrap();
            h.tick().unwrap();
        }
        h.view().clone()
    };
    assert_eq!(play(11), play(11), "same seed, same inputs: same world");
    let its: std::collections::BTreeSet<u32> = (0..16u64)
        .map(|s| {
            let mut h = harness(TagSettings::default(), s);
            for id in 1..=4 {
                h.join(record(id, "p")).unwrap();
            }
            h.start(100);
            h.tick().unwrap();
            it(&h)
        })
        .collect();
    assert!(its.len() > 1, "the seed picks different players: {its:?}");
}

#[test]
fn inputs_and_commands_are_checked_against_the_schema_before_the_game_sees_them() {
    let mut h = two(TagSettings::default());
    #[derive(Serialize)]
    struct Bad {
        sprint: i32,
    }
    let e = h.input(1, &Bad { sprint: 1 }).unwrap_err();
    assert!(e.to_string().contains("sprint"), "{e}");
    #[derive(Serialize)]
    struct Wide {
        dx: f32,
    }
    h.input(1, &Wide { dx: 7.0 }).expect("clamped, not refused");
    let long = Taunt { text: "x".repeat(TAUNT_MAX as usize + 1) };
    assert_eq!(h.command(1, "taunt", &long).unwrap_err().code, "invalid_args");
    assert_eq!(h.command(1, "fly", &Taunt::default()).unwrap_err().code, "unknown_command");
}

#[test]
fn a_taunt_is_heard_by_everyone_once_every_two_seconds() {
    let mut h = two(TagSettings::default());
    let hi = Taunt { text: "catch me".into() };
    let reply = h.command(2, "taunt", &hi).unwrap().expect("accepted");
    assert!(reply.bytes().is_some(), "the reply carries a value");
    let again = h.command(2, "taunt", &hi).unwrap().unwrap_err();
    assert_eq!(again.code, "too_soon");
    let t = h.tick().unwrap();
    let ev = t.events.iter().find(|e| e.name == "taunt").expect("the taunt event");
    assert_eq!(ev.field("text"), Some(&Value::Str("catch me".into())));
    h.run(2 * u64::from(HZ)).unwrap();
    assert!(h.command(2, "taunt", &hi).unwrap().is_ok(), "two seconds later");
}

#[test]
fn a_seat_named_it_is_refused_and_it_is_passed_on_when_its_player_drops() {
    let mut h = harness(TagSettings::default(), 3);
    assert_eq!(h.join(record(9, "It")).unwrap_err().code, "reserved_name");
    for id in 1..=3 {
        h.join(record(id, "p")).unwrap();
    }
    h.start(1000);
    h.tick().unwrap();
    let first = it(&h);
    h.disconnect(first);
    let t = h.tick().unwrap();
    let passed = t.events.iter().find(|e| e.name == "tagged").expect("passed on");
    assert_eq!(passed.field("by"), Some(&Value::Int(0)));
    assert_ne!(it(&h), first);
    let away = h.view().entities().find(|e| e.id() == first).unwrap().field("away");
    assert_eq!(away, Some(ValueRef::Bool(true)));
    h.resume(first);
    h.tick().unwrap();
    let away = h.view().entities().find(|e| e.id() == first).unwrap().field("away");
    assert_eq!(away, Some(ValueRef::Bool(false)));
}

#[test]
fn settings_out_of_range_are_refused_with_their_name() {
    let bad = TagSettings { radius: 0.1, ..TagSettings::default() };
    assert!(bad.check().unwrap_err().contains("radius"));
    let bad = TagSettings { tags_to_win: 0, ..TagSettings::default() };
    assert!(bad.check().unwrap_err().contains("tags_to_win"));
    assert!(TagSettings::default().check().is_ok());
}
