//! Property: a client that starts from a snapshot and applies every decoded delta in order
//! holds exactly the server's state at every tick — also across a forced resync, where it
//! misses deltas and must take a new snapshot.

use proptest::prelude::*;
use tickwave_protocol::{
    Delta, Entity, MAX_FIELDS, ServerMessage, WorldView, decode_server, encode_delta,
    encode_snapshot,
};

/// A random walk of states: entities appear, vanish, and change some fields each step.
fn arb_states() -> impl Strategy<Value = Vec<WorldView>> {
    let step = proptest::collection::vec(
        (
            0u32..48,
            0u8..3,
            proptest::collection::vec(-5000i32..5000, 0..=MAX_FIELDS),
            any::<bool>(),
        ),
        0..20,
    );
    (proptest::collection::vec(step, 2..40)).prop_map(|steps| {
        let mut cur: std::collections::BTreeMap<u32, Entity> = Default::default();
        let mut out = Vec::new();
        for changes in steps {
            for (id, kind, fields, remove) in changes {
                if remove {
                    cur.remove(&id);
                } else {
                    match cur.get_mut(&id) {
                        // mostly keep the shape and change values, sometimes replace it
                        Some(e) if e.fields().len() == fields.len() || id % 5 != 0 => {
                            let mut f = e.fields().to_vec();
                            for (i, v) in fields.iter().enumerate().take(f.len()) {
                                if v % 2 == 0 {
                                    f[i] = *v;
                                }
                            }
                            *e = Entity::new(id, e.kind, &f);
                        }
                        _ => {
                            cur.insert(id, Entity::new(id, kind, &fields));
                        }
                    }
                }
            }
            out.push(WorldView::from_entities(cur.values().copied().collect()).unwrap());
        }
        out
    })
}

fn apply(client: &mut WorldView, held: &mut u64, bytes: &[u8]) {
    match decode_server(bytes).unwrap() {
        ServerMessage::Snapshot(s) => {
            *client = s.entities;
            *held = s.tick;
        }
        ServerMessage::Delta(d) => {
            assert_eq!(d.base, *held, "delta must apply to the tick the client holds");
            client
                .apply(&Delta { added: d.added, changed: d.changed, removed: d.removed })
                .unwrap();
            *held = d.tick;
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn deltas_reproduce_every_state(states in arb_states(), drop_from in 0usize..40, drop_len in 1usize..5) {
        let acks = [(1u32, 7u64)];
        let mut client = WorldView::new();
        let mut held = 0u64;
        apply(&mut client, &mut held, &encode_snapshot(0, &acks, &states[0]));
        prop_assert_eq!(&client, &states[0]);
        let mut lagging = false;
        for t in 1..states.len() {
            let tick = t as u64;
            // the server diffs against its previous tick, once, for everyone
            let delta = states[t - 1].diff(&states[t]);
            let bytes = encode_delta(tick, tick - 1, &acks, &delta);
            if t >= drop_from && t < drop_from + drop_len {
                lagging = true; // queue full: this client misses the delta
                continue;
            }
            if lagging {
                // resync: a snapshot of the current tick instead of the delta
                apply(&mut client, &mut held, &encode_snapshot(tick, &acks, &states[t]));
                lagging = false;
            } else {
                apply(&mut client, &mut held, &bytes);
            }
            prop_assert_eq!(held, tick);
            prop_assert_eq!(&client, &states[t]);
        }
    }
}
