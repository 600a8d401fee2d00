//! The v2 arena driven through [`GameHarness`], as a lobby drives it: inputs go through the
//! schema (clamping, refusals), state is read from the view a client holds.

use super::trig::{ONE, TURN, brads, cos, radians, sin};
use super::*;
use crate::game::GameConfig;
use crate::game::v2::schema::Value;
use crate::game::v2::{GameHarness, HarnessEvent, Phase, PlayerRecord, To};
use std::f32::consts::PI as PI32;

type H = GameHarness<Arena>;

const HZ: u32 = 30;

fn harness(settings: ArenaSettings, players: &[u32]) -> H {
    let mut h = H::new(settings, 7, HZ, 16).unwrap();
    for &id in players {
        h.join(PlayerRecord { id, name: format!("p{id}"), ..Default::default() }).unwrap();
    }
    h.tick().unwrap();
    h
}

fn held(dx: f32, dy: f32, aim: f32, fire: bool, dash: bool) -> ArenaInput {
    ArenaInput { dx, dy, aim, fire, dash }
}

fn walk(dx: f32, dy: f32) -> ArenaInput {
    held(dx, dy, 0.0, false, false)
}

/// A float field of an entity, back in fixed-point.
fn fixed(h: &H, id: u32, field: &str) -> i32 {
    let v = h.view().get(id).unwrap().field(field).unwrap().as_f64().unwrap();
    (v * f64::from(SCALE)).round() as i32
}

fn pos(h: &H, id: u32) -> (i32, i32) {
    (fixed(h, id, "x"), fixed(h, id, "y"))
}

fn int(h: &H, id: u32, field: &str) -> i64 {
    h.view().get(id).unwrap().field(field).unwrap().as_i64().unwrap()
}

fn flag(h: &H, id: u32, field: &str) -> bool {
    h.view().get(id).unwrap().field(field).unwrap().as_bool().unwrap()
}

/// Ids of the entities of `kind`, in id order.
fn ids(h: &H, kind: &str) -> Vec<u32> {
    h.view().entities().filter(|e| e.kind_name() == kind).map(|e| e.id()).collect()
}

/// Hold `input` for `ticks` ticks (long enough to reach a wall from anywhere).
fn hold(h: &mut H, player: u32, input: ArenaInput, ticks: u64) -> Vec<HarnessEvent> {
    h.input(player, &input).unwrap();
    h.run(ticks).unwrap().events
}

#[test]
fn movement_is_clamped_normalised_and_bounded() {
    let mut h = harness(ArenaSettings::default(), &[1]);
    let step = 20 * SCALE / HZ as i32;
    let (x0, y0) = pos(&h, 1);
    h.input(1, &walk(5.0, 0.0)).unwrap(); // clamped to 1 by the schema
    h.tick().unwrap();
    assert_eq!(pos(&h, 1), (x0 + step, y0));
    h.input(1, &walk(-1.0, 1.0)).unwrap();
    h.tick().unwrap();
    let (x1, y1) = pos(&h, 1);
    let (mx, my) = (x1 - (x0 + step), y1 - y0);
    assert!(mx < 0 && my > 0 && mx == -my, "a clean diagonal: {mx}, {my}");
    assert!(mx * mx + my * my <= step * step, "not faster than straight: {mx}, {my}");
    hold(&mut h, 1, walk(-5.0, 9.0), 400);
    assert_eq!(pos(&h, 1), (0, SIZE), "clamped input, and the walls hold");

    h.input(1, &held(0.0, 0.0, 10.0, false, false)).unwrap();
    h.tick().unwrap();
    let aim = h.view().get(1).unwrap().field("aim").unwrap().as_f64().unwrap();
    assert_eq!(aim as f32, PI32, "aim clamped to pi");
    h.input(1, &held(0.0, 0.0, -10.0, false, false)).unwrap();
    h.tick().unwrap();
    let aim = h.view().get(1).unwrap().field("aim").unwrap().as_f64().unwrap();
    assert_eq!(aim as f32, -PI32);
    assert!(h.input(1, &walk(f32::NAN, 0.0)).is_err(), "NaN is refused by the schema");
}

#[test]
fn names_are_cut_to_24_bytes_at_a_char_boundary() {
    let mut h = H::new(ArenaSettings::default(), 1, HZ, 4).unwrap();
    let long = "ééééééééééééééééé"; // 34 bytes of 2-byte characters
    h.join(PlayerRecord { id: 3, name: long.into(), ..Default::default() }).unwrap();
    h.tick().unwrap();
    let name = h.view().get(3).unwrap().field("name").unwrap().as_str().unwrap().to_owned();
    assert_eq!(name, "é".repeat(12));
}

#[test]
fn sin_and_cos_match_known_values_across_the_turn() {
    let q = TURN / 4;
    assert_eq!([sin(0), sin(q), sin(2 * q), sin(3 * q), sin(-q)], [0, ONE, 0, -ONE, -ONE]);
    assert_eq!([cos(0), cos(q), cos(2 * q), cos(-2 * q)], [ONE, 0, -ONE, -ONE]);
    let one = f64::from(ONE);
    // 30 degrees is 5461.33 brads, so 5461 is 0.33 brads (3e-5 rad) short of it.
    assert!((f64::from(sin(TURN / 12)) / one - 0.5).abs() < 5e-5, "sin 30 degrees");
    assert!((f64::from(cos(TURN / 8)) / one - 0.5f64.sqrt()).abs() < 2e-5, "cos 45 degrees");
    let mut worst = 0.0f64;
    for a in (-2 * TURN..=2 * TURN).step_by(37) {
        let rad = f64::from(a) * std::f64::consts::TAU / f64::from(TURN);
        worst = worst.max((f64::from(sin(a)) / one - rad.sin()).abs());
        worst = worst.max((f64::from(cos(a)) / one - rad.cos()).abs());
        assert_eq!(sin(-a), -sin(a), "odd at {a}");
    }
    assert!(worst <= 1.0 / one, "within one step of the true value: {worst}");
    assert_eq!([brads(PI32), brads(-PI32), brads(PI32 / 2.0), brads(0.0)], [q * 2, -q * 2, q, 0]);
    assert_eq!(radians(q), PI32 / 2.0);
}

#[test]
fn aim_turns_into_the_shot_direction() {
    let mut h = harness(ArenaSettings::default(), &[1]);
    hold(&mut h, 1, walk(-1.0, -1.0), 400);
    hold(&mut h, 1, walk(1.0, 1.0), 100);
    h.input(1, &walk(0.0, 0.0)).unwrap();
    let (px, py) = pos(&h, 1);
    assert!((3000..7000).contains(&px) && px == py, "near the centre: {px}, {py}");
    let speed = f64::from(60 * SCALE / HZ as i32);
    for (aim, want) in [(0.0, (1.0, 0.0)), (PI32 / 2.0, (0.0, 1.0)), (PI32, (-1.0, 0.0))]
        .into_iter()
        .chain([(-PI32 / 2.0, (0.0, -1.0))])
    {
        let before = ids(&h, "shot");
        h.input(1, &held(0.0, 0.0, aim, true, false)).unwrap();
        h.tick().unwrap();
        h.input(1, &held(0.0, 0.0, aim, false, false)).unwrap();
        let new: Vec<u32> = ids(&h, "shot").into_iter().filter(|s| !before.contains(s)).collect();
        assert_eq!(new.len(), 1, "one shot for aim {aim}");
        let (sx, sy) = pos(&h, new[0]);
        assert_eq!(int(&h, new[0], "owner"), 1);
        let (vx, vy) = (f64::from(sx - px), f64::from(sy - py));
        assert!(((vx * vx + vy * vy).sqrt() - speed).abs() < 1.5, "speed at {aim}: {vx}, {vy}");
        let (ux, uy) = (vx / speed, vy / speed);
        assert!((ux - want.0).abs() < 0.01 && (uy - want.1).abs() < 0.01, "{aim}: {ux}, {uy}");
        h.tick().unwrap();
        assert_eq!(pos(&h, new[0]), (sx + (sx - px), sy + (sy - py)), "straight on");
        h.run(10).unwrap(); // the cooldown
    }
}

#[test]
fn fire_has_a_cooldown_and_a_cap_on_shots_in_flight() {
    let settings = ArenaSettings { max_shots: 2, pickups: 0, ..Default::default() };
    let mut h = harness(settings, &[1]);
    hold(&mut h, 1, walk(-1.0, -1.0), 400);
    h.input(1, &held(0.0, 0.0, 0.0, true, false)).unwrap();
    let (mut seen, mut spawned, mut most) = (Vec::new(), Vec::new(), 0);
    for t in 0..70 {
        h.tick().unwrap();
        let now = ids(&h, "shot");
        most = most.max(now.len());
        for s in now {
            if !seen.contains(&s) {
                seen.push(s);
                spawned.push(t);
            }
        }
    }
    assert_eq!(most, 2, "never more than max_shots in flight");
    // 250 ms is 8 ticks; a shot flies 30 ticks, so the third waits for the first to end.
    assert_eq!(spawned, vec![0, 8, 30, 38, 60, 68]);
}

/// Players 1 at (0, 0) and 2 at (100, 0), in `phase` (started when running).
fn duel(phase: Phase) -> H {
    let settings = ArenaSettings { shot_speed: 200, pickups: 0, ..Default::default() };
    let mut h = harness(settings, &[1, 2]);
    if phase == Phase::Running {
        h.start(100_000);
    } else {
        h.set_phase(phase);
    }
    h.input(2, &walk(1.0, -1.0)).unwrap();
    hold(&mut h, 1, walk(-1.0, -1.0), 400);
    assert_eq!((pos(&h, 1), pos(&h, 2)), ((0, 0), (SIZE, 0)));
    h
}

#[test]
fn four_hits_kill_score_and_the_victim_respawns() {
    let mut h = duel(Phase::Running);
    h.input(1, &held(0.0, 0.0, 0.0, true, false)).unwrap();
    let (mut hps, mut kills, mut kill_tick) = (Vec::new(), Vec::new(), 0);
    for _ in 0..60 {
        let t = h.tick().unwrap();
        let hp = int(&h, 2, "hp");
        if hps.last() != Some(&hp) && hp < 100 {
            hps.push(hp);
        }
        if !t.events.is_empty() {
            kill_tick = t.tick;
        }
        kills.extend(t.events);
        if int(&h, 2, "hp") == 0 {
            break;
        }
    }
    assert_eq!(hps, vec![75, 50, 25, 0]);
    assert_eq!(kills.len(), 1);
    let k = &kills[0];
    assert_eq!((k.name.as_str(), &k.to), ("kill", &To::All));
    assert_eq!(
        (k.field("killer"), k.field("victim")),
        (Some(&Value::Int(1)), Some(&Value::Int(2)))
    );
    assert!(!flag(&h, 2, "alive"));
    assert_eq!(int(&h, 1, "hp"), 100, "no self-hits");
    assert_eq!(h.scores(), vec![(1, 5), (2, 0)]);

    h.input(1, &walk(0.0, 0.0)).unwrap();
    let respawn = h.ctx().ticks_for_ms(3000);
    while h.ctx().tick() < kill_tick + respawn {
        h.tick().unwrap();
        assert!(!flag(&h, 2, "alive"), "down until the respawn tick");
        assert_eq!(pos(&h, 2), (SIZE, 0), "the dead do not move");
    }
    h.tick().unwrap();
    assert_eq!(h.ctx().tick() - 1, kill_tick + respawn);
    assert!(flag(&h, 2, "alive"));
    assert_eq!(int(&h, 2, "hp"), 100);
    assert_ne!(pos(&h, 2), (SIZE, 0), "somewhere else");
}

#[test]
fn shots_do_no_damage_before_the_match_runs() {
    for phase in [Phase::Waiting, Phase::Starting] {
        let mut h = duel(phase);
        h.input(1, &held(0.0, 0.0, 0.0, true, false)).unwrap();
        let mut fired = Vec::new();
        let mut events = 0;
        for _ in 0..90 {
            events += h.tick().unwrap().events.len();
            for s in ids(&h, "shot") {
                if !fired.contains(&s) {
                    fired.push(s);
                }
            }
            assert_eq!(int(&h, 2, "hp"), 100, "{phase:?}");
            assert!(ids(&h, "shot").len() <= 2, "shots end on the player they meet");
        }
        assert!(fired.len() >= 8, "{phase:?}: shots were fired: {fired:?}");
        assert_eq!(events, 0);
        assert_eq!(h.scores(), vec![(1, 0), (2, 0)]);
    }
}

#[test]
fn dash_bursts_then_cools_down() {
    let mut h = harness(ArenaSettings::default(), &[1]);
    hold(&mut h, 1, walk(-1.0, 0.0), 400);
    let step = 20 * SCALE / HZ as i32;
    h.input(1, &held(1.0, 0.0, 0.0, false, true)).unwrap();
    let (mut moves, mut dashing) = (Vec::new(), Vec::new());
    for _ in 0..70 {
        let x = pos(&h, 1).0;
        h.tick().unwrap();
        moves.push(pos(&h, 1).0 - x);
        dashing.push(flag(&h, 1, "dashing"));
    }
    // 3x for 0.2 s (6 ticks); ready again 2 s (60 ticks) after it started.
    let want: Vec<i32> = (0..70).map(|t| if t % 60 < 6 { 3 * step } else { step }).collect();
    assert_eq!(moves, want);
    assert_eq!(dashing, want.iter().map(|&m| m > step).collect::<Vec<_>>());

    // Standing still, a dash goes along the aim.
    let mut h = harness(ArenaSettings::default(), &[1]);
    hold(&mut h, 1, walk(0.0, -1.0), 400);
    let (x, y) = pos(&h, 1);
    h.input(1, &held(0.0, 0.0, PI32 / 2.0, false, true)).unwrap();
    h.tick().unwrap();
    assert_eq!(pos(&h, 1), (x, y + 3 * step));
}

/// Steer player 1 toward pickup `id` until within `near` (fixed-point) or it is gone.
fn steer_to(h: &mut H, id: u32, near: i32) {
    for _ in 0..600 {
        let Some(k) = h.view().get(id) else { return };
        let (kx, ky) =
            (k.field("x").unwrap().as_f64().unwrap(), k.field("y").unwrap().as_f64().unwrap());
        let (x, y) = pos(h, 1);
        let (dx, dy) = (kx * 100.0 - f64::from(x), ky * 100.0 - f64::from(y));
        let len = (dx * dx + dy * dy).sqrt();
        if len < f64::from(near) {
            h.input(1, &walk(0.0, 0.0)).unwrap();
            return;
        }
        h.input(1, &walk((dx / len) as f32, (dy / len) as f32)).unwrap();
        h.tick().unwrap();
    }
    panic!("did not reach pickup {id}");
}

#[test]
fn pickups_score_only_while_running_and_respawn_elsewhere() {
    let mut h = harness(ArenaSettings { pickups: 1, ..Default::default() }, &[1]);
    let id = ids(&h, "pickup")[0];
    let value = int(&h, id, "value");
    assert!((1..=3).contains(&value));
    steer_to(&mut h, id, 50);
    h.run(10).unwrap();
    assert_eq!(ids(&h, "pickup"), vec![id], "waiting: not collected");
    assert_eq!(h.scores(), vec![(1, 0)]);

    h.start(100_000);
    steer_to(&mut h, id, 0);
    assert_eq!(ids(&h, "pickup"), Vec::<u32>::new(), "collected");
    assert_eq!(h.scores(), vec![(1, value)]);
    h.input(1, &walk(0.0, 0.0)).unwrap();
    h.run(30).unwrap();
    let again = ids(&h, "pickup");
    assert_eq!(again.len(), 1, "back after respawn_secs");
    assert_ne!(again[0], id, "a new entity");
}

#[test]
fn the_clock_shows_time_left_only_while_running() {
    let mut h = harness(ArenaSettings::default(), &[1]);
    assert_eq!(h.view().global_named("time_left_ms").unwrap().as_i64(), Some(0));
    h.start(300);
    h.tick().unwrap();
    assert_eq!(h.view().global_named("time_left_ms").unwrap().as_i64(), Some(10_000));
    h.tick().unwrap();
    assert_eq!(h.view().global_named("time_left_ms").unwrap().as_i64(), Some(9_966));
}

#[test]
fn leaving_takes_the_player_and_its_shots() {
    let mut h = harness(ArenaSettings::default(), &[1, 2]);
    h.input(1, &held(0.0, 0.0, 0.0, true, false)).unwrap();
    h.input(2, &held(0.0, 0.0, 0.0, true, false)).unwrap();
    h.run(3).unwrap();
    assert_eq!(ids(&h, "shot").len(), 2);
    h.leave(1);
    h.tick().unwrap();
    assert!(h.view().get(1).is_none());
    let owners: Vec<i64> = ids(&h, "shot").iter().map(|&s| int(&h, s, "owner")).collect();
    assert_eq!(owners, vec![2]);
}

/// A scripted match: 6 players, inputs from the tick number, started at tick 30.
fn scripted(seed: u64) -> Vec<View> {
    let mut h = H::new(ArenaSettings::default(), seed, HZ, 8).unwrap();
    for id in 1..=6 {
        h.join(PlayerRecord { id, name: format!("p{id}"), ..Default::default() }).unwrap();
    }
    let mut views = Vec::new();
    for t in 0..300u32 {
        if t == 30 {
            h.start(9_000);
        }
        for p in 1..=6u32 {
            let aim = ((t * 7 + p * 13) % 628) as f32 / 100.0 - 3.0;
            let dx = ((t / 20 + p) % 3) as f32 - 1.0;
            let dy = ((t / 25 + 2 * p) % 3) as f32 - 1.0;
            h.input(p, &held(dx, dy, aim, (t + p) % 5 != 0, t % 45 == p)).unwrap();
        }
        h.tick().unwrap();
        views.push(h.view().clone());
    }
    views
}

#[test]
fn same_seed_and_inputs_give_identical_views() {
    let (a, b) = (scripted(42), scripted(42));
    assert_eq!(a.len(), 300);
    for (t, (va, vb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(va, vb, "tick {t}");
    }
    let shots = a.iter().map(|v| v.entities().filter(|e| e.kind_name() == "shot").count());
    assert!(shots.max().unwrap() > 0, "the script fires");
    assert_ne!(a.last(), scripted(43).last(), "another seed, another game");
}

#[test]
fn settings_out_of_range_are_refused_naming_the_key() {
    let d = ArenaSettings::default();
    assert_eq!(d.check(), Ok(()));
    assert_eq!(toml::from_str::<ArenaSettings>("").unwrap(), d);
    let v1 = crate::game::arena::ArenaConfig::default();
    assert_eq!((d.pickups, d.speed, d.respawn_secs), (v1.pickups, v1.speed, v1.respawn_secs));
    for (key, _, lo, hi) in d.ranges() {
        let ok: ArenaSettings = toml::from_str(&format!("{key} = {hi}")).unwrap();
        assert_eq!(ok.check(), Ok(()), "{key} = {hi}");
        let mut bad = vec![hi + 1];
        if lo > 0 {
            bad.push(lo - 1);
        }
        for v in bad {
            let s: ArenaSettings = toml::from_str(&format!("{key} = {v}")).unwrap();
            assert_eq!(s.check(), Err(format!("{key} must be in {lo}..={hi}, got {v}")));
        }
    }
    assert!(toml::from_str::<ArenaSettings>("speed = -1").is_err(), "negative: a type error");
    let mut unknown = Vec::new();
    let table: toml::Table = toml::from_str("pickup = 3\nspeed = 30").unwrap();
    let s: ArenaSettings =
        serde_ignored::deserialize(toml::Value::Table(table), |p| unknown.push(p.to_string()))
            .unwrap();
    assert_eq!((unknown, s.speed), (vec!["pickup".to_owned()], 30), "a typo is reported");
}

#[test]
fn the_wire_names_are_the_documented_ones() {
    let h = harness(ArenaSettings::default(), &[]);
    let s = h.view().layout().schema();
    let names = |f: &[tickwave_protocol::v2::FieldSchema]| -> Vec<String> {
        f.iter().map(|f| f.name.clone()).collect()
    };
    let kinds: Vec<(String, Vec<String>)> =
        s.kinds.iter().map(|k| (k.kind.clone(), names(&k.fields))).collect();
    let want = |k: &str, f: &[&str]| (k.to_owned(), f.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        kinds,
        vec![
            want("player", &["x", "y", "aim", "score", "name", "hp", "dashing", "alive"]),
            want("shot", &["x", "y", "owner"]),
            want("pickup", &["x", "y", "value"]),
        ]
    );
    assert_eq!(names(&s.globals), ["time_left_ms"]);
    assert_eq!(names(&s.input), ["dx", "dy", "aim", "fire", "dash"]);
    assert_eq!(s.events.len(), 1);
    assert_eq!(
        (s.events[0].name.as_str(), names(&s.events[0].fields)),
        ("kill", vec!["killer".to_owned(), "victim".to_owned()])
    );
    assert!(s.commands.is_empty());
}

#[test]
fn a_dropped_connection_lets_go_of_the_input() {
    let mut h = harness(ArenaSettings::default(), &[1]);
    hold(&mut h, 1, walk(-1.0, 0.0), 400);
    h.input(1, &held(1.0, 0.0, 0.0, true, false)).unwrap();
    h.run(5).unwrap();
    h.disconnect(1);
    h.run(30).unwrap(); // the shot fired before the drop ends; no other follows
    let here = pos(&h, 1);
    h.run(5).unwrap();
    assert_eq!(pos(&h, 1), here, "stands still");
    assert_eq!(ids(&h, "shot"), Vec::<u32>::new(), "and holds fire");
    h.resume(1);
    h.input(1, &held(1.0, 0.0, 0.0, false, false)).unwrap();
    h.tick().unwrap();
    assert_eq!(pos(&h, 1).0, here.0 + 20 * SCALE / HZ as i32, "moves again on its next input");
}

#[test]
fn the_summary_counts_players_shots_pickups_and_the_top_score() {
    use crate::game::{GameSettings, v2::build};
    let (mut game, mut ctx) = build::<Arena>(
        ArenaSettings::default(),
        GameSettings { seed: 3, tick_hz: HZ, max_players: 4 },
    )
    .unwrap();
    for id in [1, 2] {
        game.join(&mut ctx, &PlayerRecord { id, ..Default::default() }).unwrap();
    }
    game.step(&mut ctx);
    let s = game.summary();
    assert_eq!(s["players"], 2);
    assert_eq!(s["alive"], 2);
    assert_eq!(s["shots"], 0);
    assert_eq!(s["pickups"], 12);
    assert_eq!(s["top_score"], 0);
}
