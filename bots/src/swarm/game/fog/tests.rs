//! The fog bot on a fog-shaped schema: shape detection, aim, fire, drift.

use super::*;
use crate::state_v2::GameShape;
use crate::swarm::behaviour::Behaviour;
use crate::swarm::game::input::Plan;
use serde::Serialize;
use std::sync::Arc;
use tickwave_protocol::v2::{Schema, decode_input};

#[derive(Serialize, Default)]
struct Player {
    x: i32,
    y: i32,
    aim: i32,
    hp: i32,
    team: i32,
    score: i32,
}
#[derive(Serialize, Default)]
struct FogInput {
    mx: f32,
    my: f32,
    aim: f32,
    fire: bool,
}

fn fog() -> Arc<Layout> {
    let pi = std::f64::consts::PI;
    let s = Schema::builder()
        .kind::<Player>("player", |k| k.range("x", 0, 120).range("y", 0, 120))
        .input::<FogInput>(|i| {
            i.clamp("mx", -1.0, 1.0).clamp("my", -1.0, 1.0).clamp("aim", -pi, pi)
        })
        .build()
        .unwrap();
    Arc::new(Layout::new(s).unwrap())
}

/// `(id, x, y, hp, team)`.
fn view(l: &Arc<Layout>, players: &[(u32, i32, i32, i32, i32)]) -> View {
    let mut v = View::new(l.clone());
    for &(id, x, y, hp, team) in players {
        v.push_named(id, "player", &Player { x, y, hp, team, ..Player::default() }).unwrap();
    }
    v.finish().unwrap();
    v
}

fn float(v: Val) -> f64 {
    let Val::Float(f) = v else { panic!("{v:?}") };
    f
}

#[test]
fn the_shape_is_fog_and_the_arena_is_not() {
    let l = fog();
    assert_eq!(GameShape::of(&l), GameShape::Fog);
    assert!(FogBot::new(&l).is_some());
    #[derive(Serialize, Default)]
    struct NoTeam {
        x: i32,
        y: i32,
    }
    let s = Schema::builder().kind::<NoTeam>("player", |k| k).input::<FogInput>(|i| i);
    let other = Layout::new(s.build().unwrap()).unwrap();
    assert_eq!(GameShape::of(&other), GameShape::Other, "no team: not fog");
    assert!(FogBot::new(&other).is_none());
}

#[test]
fn it_aims_at_the_nearest_living_opponent_and_fires_in_range() {
    let l = fog();
    let plan = Plan::new(&l.schema().input);
    let mut bot = FogBot::new(&l).unwrap();
    // Me (team 0) at (50, 50); a teammate next to me, a downed opponent close by, a living
    // opponent straight below (y grows downward: aim pi/2) and another farther.
    let v = view(
        &l,
        &[
            (1, 50, 50, 100, 0),
            (2, 51, 50, 100, 0),
            (3, 49, 50, 0, 1),
            (4, 50, 70, 100, 1),
            (5, 80, 80, 100, 1),
        ],
    );
    let (mut pol, mut rng) = (Policy::new(Behaviour::RandomWalk, Rng::new(1)), Rng::new(2));
    let (mut vals, mut fired) = (Vec::new(), 0);
    for _ in 0..200 {
        plan.defaults(&mut vals);
        bot.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
        let aim = float(vals[bot.aim]);
        assert!((aim - std::f64::consts::FRAC_PI_2).abs() < 1e-9, "{aim}");
        fired += usize::from(vals[bot.fire] == Val::Bool(true));
        let mut out = Vec::new();
        plan.input(1, Some(3), &vals, &mut out);
        decode_input(l.input(), &out).expect("a valid fog input");
    }
    assert!(fired > 100, "held most of the time in range: {fired}");
    // Only teammates in sight: rare shots, aim along the heading.
    let v = view(&l, &[(1, 50, 50, 100, 0), (2, 52, 50, 100, 0)]);
    let mut fired = 0;
    for _ in 0..400 {
        plan.defaults(&mut vals);
        bot.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
        fired += usize::from(vals[bot.fire] == Val::Bool(true));
        let (dx, dy) = (float(vals[bot.mx]), float(vals[bot.my]));
        assert!((float(vals[bot.aim]) - dy.atan2(dx)).abs() < 1e-6);
    }
    assert!(fired < 40, "{fired}");
}

#[test]
fn walkers_drift_to_the_middle_and_chasers_go_for_the_opponent() {
    let l = fog();
    let plan = Plan::new(&l.schema().input);
    let mut bot = FogBot::new(&l).unwrap();
    // A walker in the top-left corner: on average it heads down and right.
    let v = view(&l, &[(1, 5, 5, 100, 0)]);
    let (mut pol, mut rng) = (Policy::new(Behaviour::RandomWalk, Rng::new(7)), Rng::new(8));
    let (mut vals, mut sum) = (Vec::new(), (0.0, 0.0));
    // 4,000 inputs are about 200 legs of the walk: the pull (about 0.35 of each input on
    // each axis) outweighs the legs' random directions many times over.
    for _ in 0..4000 {
        plan.defaults(&mut vals);
        bot.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
        sum = (sum.0 + float(vals[bot.mx]), sum.1 + float(vals[bot.my]));
    }
    assert!(sum.0 > 600.0 && sum.1 > 600.0, "{sum:?}");
    // A chaser right of an opponent on its row goes left (pulled a little to the middle).
    let v = view(&l, &[(1, 100, 60, 100, 0), (2, 80, 60, 100, 1)]);
    let mut pol = Policy::new(Behaviour::Chase, Rng::new(1));
    plan.defaults(&mut vals);
    bot.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
    assert!(float(vals[bot.mx]) < -0.99, "{:?}", vals[bot.mx]);
}
