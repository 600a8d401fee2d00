//! The interest grid against its rules and against brute force.

use super::Grid;
use crate::game::SplitMix64;
use crate::game::v2::scope::Scopes;

fn seen(g: &mut Grid, viewer: u32, x: i32, y: i32) -> Vec<u32> {
    let mut out = vec![999]; // cleared by the call
    g.visible(viewer, x, y, &mut out);
    out
}

/// One tick with a single entity 5 at `(x, 0)` and the viewer 1 at the origin.
fn tick(g: &mut Grid, x: i32) -> Vec<u32> {
    g.clear();
    g.insert(5, x, 0);
    seen(g, 1, 0, 0)
}

#[test]
fn an_entity_enters_at_the_radius_and_leaves_only_beyond_the_hysteresis() {
    let mut g = Grid::new(10, 25, 5);
    assert_eq!(tick(&mut g, 26), [] as [u32; 0], "beyond the radius, never seen: out");
    assert_eq!(tick(&mut g, 25), [5], "at the radius: in");
    // Walking along the edge, in and out of the radius: no flicker.
    for x in [26, 24, 30, 25, 29, 30, 26] {
        assert_eq!(tick(&mut g, x), [5], "x = {x}: within radius + hysteresis");
    }
    assert_eq!(tick(&mut g, 31), [] as [u32; 0], "beyond radius + hysteresis: out");
    for x in [30, 26, 28] {
        assert_eq!(tick(&mut g, x), [] as [u32; 0], "x = {x}: not back until the radius");
    }
    assert_eq!(tick(&mut g, -25), [5], "at the radius on the other side: in");
    assert_eq!(g.last(1), [5]);
}

#[test]
fn distance_is_euclidean_and_the_viewer_never_sees_itself() {
    let mut g = Grid::new(4, 10, 0);
    g.clear();
    g.insert(1, 0, 0); // the viewer's own entity
    g.insert(2, 6, 8); // exactly 10
    g.insert(3, 7, 8); // 10.6
    g.insert(4, -10, 0);
    g.insert(5, 0, -11);
    assert_eq!(seen(&mut g, 1, 0, 0), [2, 4]);
    // Another viewer at the same place sees entity 1.
    assert_eq!(seen(&mut g, 9, 0, 0), [1, 2, 4]);
}

/// What a viewer sees by the rules, from every point and its last set.
fn brute(
    points: &[(u32, i32, i32)],
    viewer: u32,
    (x, y): (i32, i32),
    r: i64,
    h: i64,
    before: &[u32],
) -> Vec<u32> {
    let mut out: Vec<u32> = points
        .iter()
        .filter(|&&(id, px, py)| {
            let (dx, dy) = (i64::from(px) - i64::from(x), i64::from(py) - i64::from(y));
            let d2 = dx * dx + dy * dy;
            id != viewer && (d2 <= r * r || (d2 <= (r + h) * (r + h) && before.contains(&id)))
        })
        .map(|p| p.0)
        .collect();
    out.sort_unstable();
    out
}

/// Random walks of `n` entities within `-span..span` (viewers are entities 0..v) for 20
/// ticks, on a grid of `(cell, radius, hysteresis)`, checking every viewer's set against
/// brute force with the same memory.
fn random_world(seed: u64, (n, v, span): (u32, u32, i32), (cell, r, h): (u32, u32, u32)) {
    let mut rng = SplitMix64::new(seed);
    let mut g = Grid::new(cell, r, h);
    let mut pts: Vec<(u32, i32, i32)> =
        (0..n).map(|id| (id, rng.range(-span, span), rng.range(-span, span))).collect();
    let mut memory: Vec<Vec<u32>> = vec![Vec::new(); v as usize];
    let mut out = Vec::new();
    let step = (r as i32 / 3).max(1);
    for t in 0..20 {
        g.clear();
        for p in &mut pts {
            p.1 += rng.range(-step, step + 1);
            p.2 += rng.range(-step, step + 1);
            g.insert(p.0, p.1, p.2);
        }
        for viewer in 0..v {
            let at = (pts[viewer as usize].1, pts[viewer as usize].2);
            g.visible(viewer, at.0, at.1, &mut out);
            let want = brute(&pts, viewer, at, r.into(), h.into(), &memory[viewer as usize]);
            assert_eq!(out, want, "seed {seed} tick {t} viewer {viewer}");
            memory[viewer as usize].clone_from(&want);
        }
    }
}

#[test]
fn equals_brute_force_on_random_worlds() {
    for seed in 0..20 {
        // Without hysteresis, with, a cell smaller and larger than the radius.
        random_world(seed, (200, 64, 300), (25, 25, 0));
        random_world(seed, (200, 64, 300), (25, 25, 8));
        random_world(seed, (150, 30, 200), (7, 30, 10));
        random_world(seed, (150, 30, 200), (90, 30, 10));
    }
}

#[test]
fn a_huge_spread_coarsens_the_cells_and_stays_exact() {
    let mut g = Grid::new(1, 3, 0);
    g.clear();
    let far = [(1, i32::MIN, i32::MIN), (2, i32::MAX, i32::MAX), (3, 0, 2), (4, 0, 4)];
    for &(id, x, y) in &far {
        g.insert(id, x, y);
    }
    assert_eq!(seen(&mut g, 9, 0, 0), [3]);
    assert_eq!(seen(&mut g, 8, i32::MAX, i32::MAX - 3), [2]);
    assert_eq!(seen(&mut g, 7, i32::MIN + 1, i32::MIN + 1), [1]);
    assert_eq!(seen(&mut g, 6, 1_000_000, 0), [] as [u32; 0]);
}

#[test]
fn a_forgotten_viewer_starts_without_memory() {
    let mut g = Grid::new(10, 25, 5);
    assert_eq!(tick(&mut g, 20), [5]);
    assert_eq!(tick(&mut g, 28), [5], "remembered");
    g.forget(1);
    assert_eq!(g.last(1), [] as [u32; 0]);
    assert_eq!(g.viewers(), 0);
    assert_eq!(tick(&mut g, 28), [] as [u32; 0], "forgotten: 28 is beyond the radius");
}

#[test]
fn a_viewer_not_asked_about_for_a_tick_is_forgotten() {
    let mut g = Grid::new(10, 25, 5);
    assert_eq!(tick(&mut g, 20), [5]);
    g.clear(); // viewer 1 was asked since the last clear: kept
    g.insert(5, 28, 0);
    assert_eq!(g.viewers(), 1);
    g.clear(); // not asked this time: forgotten (it left the game)
    assert_eq!(g.viewers(), 0);
    assert_eq!(tick(&mut g, 28), [] as [u32; 0]);
    // Its set's buffer was reused, not a new one.
    assert!(g.spare.is_empty());
}

#[test]
fn results_do_not_depend_on_insertion_order() {
    let mut rng = SplitMix64::new(42);
    let pts: Vec<(u32, i32, i32)> =
        (0..300).map(|id| (id * 7 + 3, rng.range(0, 200), rng.range(0, 200))).collect();
    let run = |order: &[(u32, i32, i32)]| {
        let mut g = Grid::new(16, 30, 6);
        let mut all = Vec::new();
        for shift in 0..3 {
            g.clear();
            for &(id, x, y) in order {
                g.insert(id, x + shift * 4, y);
            }
            for viewer in 0..40u32 {
                let mut out = Vec::new();
                g.visible(viewer, (viewer as i32) * 5, 100, &mut out);
                all.push(out);
            }
        }
        all
    };
    let forward = run(&pts);
    let mut reversed = pts.clone();
    reversed.reverse();
    let mut shuffled = pts.clone();
    for i in (1..shuffled.len()).rev() {
        let j = rng.range(0, i as i32 + 1) as usize;
        shuffled.swap(i, j);
    }
    assert_eq!(run(&reversed), forward);
    assert_eq!(run(&shuffled), forward);
    assert!(forward.iter().any(|s| s.len() > 3), "the test sees something");
}

#[test]
fn show_writes_the_set_into_the_scopes() {
    let mut g = Grid::new(10, 25, 0);
    g.clear();
    g.insert(30, 5, 5);
    g.insert(20, 1, 1);
    g.insert(40, 100, 100);
    let mut s = Scopes::default();
    g.show(1, 0, 0, &mut s);
    g.show(2, 100, 90, &mut s);
    s.finish();
    assert_eq!(s.interest(1).collect::<Vec<_>>(), [20, 30]);
    assert_eq!(s.interest(2).collect::<Vec<_>>(), [40]);
    assert_eq!(g.last(2), [40]);
}

#[test]
fn an_empty_grid_shows_nothing_and_keeps_no_stale_points() {
    let mut g = Grid::new(10, 25, 5);
    assert_eq!(tick(&mut g, 3), [5]);
    g.clear();
    assert!(g.is_empty());
    assert_eq!(seen(&mut g, 1, 0, 0), [] as [u32; 0], "5 was not inserted this tick");
    assert_eq!(g.len(), 0);
}
