//! Opponents within the radius only, with hysteresis at the edge.

use super::*;

/// Player 1 (team 0) and player 2 (team 1) on one row: player 2 walks along it so that the
/// distance to player 1 follows `path` (one unit a tick), and the test checks, each tick,
/// the rule with hysteresis against what each sees. The first distance is where the walk
/// starts; returns `(distance, visible)` at each later one.
fn walk_and_watch(path: &[i64]) -> Vec<(i64, bool)> {
    let (r, keep) = (25i64, 30i64); // the defaults: radius 25, hysteresis 5
    let mut h = running(unit_steps(), 3, 2);
    h.tick().unwrap();
    assert_eq!((team(&h, 1), team(&h, 2)), (0, 1));
    // Line player 2 up with player 1's row.
    while pos(&h, 2).1 != pos(&h, 1).1 {
        let dy = (pos(&h, 1).1 - pos(&h, 2).1).signum() as f32;
        hold(&mut h, 2, 0.0, dy, 0.0, false);
        h.tick().unwrap();
    }
    // Walk player 2 to each distance of the path in turn (one unit a tick), checking every
    // tick on the way; record what is seen on arriving.
    let mut seen = false;
    let mut out = Vec::new();
    for (i, &want) in path.iter().enumerate() {
        loop {
            let d = pos(&h, 2).0 - pos(&h, 1).0;
            if d == want {
                break;
            }
            hold(&mut h, 2, (want - d).signum() as f32, 0.0, 0.0, false);
            h.tick().unwrap();
            let d = pos(&h, 2).0 - pos(&h, 1).0;
            seen = d <= r || (d <= keep && seen);
            let by_1 = h.view_of(1).get(2).is_some();
            let by_2 = h.view_of(2).get(1).is_some();
            assert_eq!(by_1, seen, "distance {d}: player 1 sees player 2");
            assert_eq!(by_2, seen, "distance {d}: player 2 sees player 1");
        }
        if i > 0 {
            out.push((want, seen));
        }
    }
    out
}

#[test]
fn a_far_opponent_is_hidden_and_a_near_one_seen() {
    let got = walk_and_watch(&[60, 40, 35, 30, 26, 25, 20, 10]);
    assert_eq!(
        got,
        [(40, false), (35, false), (30, false), (26, false), (25, true), (20, true), (10, true)]
    );
}

#[test]
fn at_the_edge_an_opponent_stays_seen_until_beyond_the_hysteresis() {
    // In at 25, then back and forth between 26 and 30 (no flicker), out at 31, and not
    // back until 25 again.
    let got = walk_and_watch(&[50, 25, 26, 28, 30, 27, 30, 31, 30, 28, 26, 25]);
    let want = [
        (25, true),
        (26, true),
        (28, true),
        (30, true),
        (27, true),
        (30, true),
        (31, false),
        (30, false),
        (28, false),
        (26, false),
        (25, true),
    ];
    assert_eq!(got, want);
}

#[test]
fn a_hidden_opponent_is_absent_from_the_bytes_of_the_view_not_just_blank() {
    let mut h = running(FogSettings::default(), 5, 4);
    h.run(2).unwrap();
    let v = h.view_of(1);
    for id in [2, 4] {
        assert!(v.get(id).is_none(), "opponent {id} is far: not in the view at all");
        assert!(h.view().get(id).is_some(), "but in the world");
    }
    assert!(v.get(3).is_some(), "the teammate is there");
    assert_eq!(h.view_of(2).get(4).map(|e| e.id()), Some(4));
}
