//! The same seed and inputs give the same views; another seed another game.

use super::*;

/// 16 players on scripted inputs for 200 ticks; every world and every player's view.
fn play(seed: u64) -> Vec<String> {
    let mut h = running(FogSettings::default(), seed, 16);
    let mut out = Vec::new();
    for t in 0..200u32 {
        for p in 1..=16u32 {
            let a = (t as f32) / 10.0 + p as f32;
            hold(&mut h, p, a.cos(), a.sin(), a - std::f32::consts::PI, (t + 7 * p) % 50 < 10);
        }
        h.tick().unwrap();
        out.push(format!("{:?}", h.view()));
        if t % 20 == 0 {
            for p in 1..=16 {
                out.push(format!("{:?}", h.view_of(p)));
            }
        }
    }
    out
}

#[test]
fn the_same_seed_and_inputs_give_the_same_views() {
    let a = play(21);
    assert_eq!(a, play(21));
    assert_ne!(a, play(22), "the seed places the players");
}
