//! Codec cost of state deltas on synthetic views, server side and client side.
//!
//! A view of `n` entities (ids `1..=n`, kind 0, four fields like an arena player: `x`, `y`,
//! `score`, `boost`) moves to the next tick with about half of all fields changed (each
//! field of each entity flips a fair coin from a fixed seed), and one entity replaced by a
//! new id, like a pickup taken and respawned, so `added`, `changed` and `removed` are all
//! exercised. The delta message carries `n` acks.
//!
//! Benchmarks, each for 16 and 64 entities:
//! - `diff_into`: `WorldView::diff_into` (server, once per tick);
//! - `encode_delta`: the `delta` message (server, once per tick);
//! - `decode_delta`: `decode_server` of that message (client);
//! - `apply`: `WorldView::apply` of the decoded delta onto the base (client).
//!
//! Run: `cargo bench -p tickwave-protocol --bench delta -- --warm-up-time 1 --measurement-time 3`

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tickwave_protocol::{Delta, Entity, ServerMessage, WorldView, decode_server, encode_delta};

const SIZES: [u32; 2] = [16, 64];
const TICK: u64 = 1_000;

/// SplitMix64, so the synthetic views are the same on every run and platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `lo..hi`.
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo) as u64) as i32
    }
}

/// The base view, the next view, and the acks of one synthetic tick.
struct Case {
    base: WorldView,
    next: WorldView,
    acks: Vec<(u32, u64)>,
}

fn case(n: u32) -> Case {
    let mut rng = Rng(u64::from(n));
    let base: Vec<Entity> = (1..=n)
        .map(|id| {
            let fields =
                [rng.range(0, 10_000), rng.range(0, 10_000), rng.range(0, 40), rng.range(0, 2)];
            Entity::new(id, 0, &fields)
        })
        .collect();
    let mut changed_fields = 0;
    let mut next: Vec<Entity> = base
        .iter()
        .take(n as usize - 1)
        .map(|e| {
            let mut f = [0; 4];
            f.copy_from_slice(e.fields());
            for (k, v) in f.iter_mut().enumerate() {
                if rng.next() & 1 == 1 {
                    changed_fields += 1;
                    *v = match k {
                        // A move of up to 1.33 units (two ticks of boosted speed).
                        0 | 1 => (*v + rng.range(-133, 134)).clamp(0, 10_000),
                        2 => *v + rng.range(1, 4),
                        _ => 1 - *v,
                    };
                    // A move of zero is no change; keep the intended ratio honest.
                    if *v == e.fields()[k] {
                        *v += 1;
                    }
                }
            }
            Entity::new(e.id, 0, &f)
        })
        .collect();
    next.push(Entity::new(n + 1, 0, &[5_000, 5_000, 0, 0]));
    let frac = f64::from(changed_fields) / f64::from(4 * (n - 1));
    assert!(
        (0.35..=0.65).contains(&frac),
        "{n} entities: {frac:.2} of fields changed, want about half"
    );
    let acks = (1..=n).map(|p| (p, TICK - u64::from(p % 3))).collect();
    Case {
        base: WorldView::from_entities(base).expect("unique ids"),
        next: WorldView::from_entities(next).expect("unique ids"),
        acks,
    }
}

fn decode_delta(bytes: &[u8]) -> Delta {
    match decode_server(bytes).expect("a valid delta") {
        ServerMessage::Delta(d) => Delta { added: d.added, changed: d.changed, removed: d.removed },
        other => panic!("expected a delta, got {other:?}"),
    }
}

fn benches(c: &mut Criterion) {
    let cases: Vec<(u32, Case)> = SIZES.iter().map(|&n| (n, case(n))).collect();

    let mut g = c.benchmark_group("diff_into");
    for (n, k) in &cases {
        let mut out = Delta::default();
        g.bench_with_input(BenchmarkId::from_parameter(n), k, |b, k| {
            b.iter(|| {
                black_box(&k.base).diff_into(black_box(&k.next), &mut out);
                black_box(&out);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("encode_delta");
    for (n, k) in &cases {
        let delta = k.base.diff(&k.next);
        g.bench_with_input(BenchmarkId::from_parameter(n), k, |b, k| {
            b.iter(|| {
                encode_delta(black_box(TICK), TICK - 1, black_box(&k.acks), black_box(&delta))
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("decode_delta");
    for (n, k) in &cases {
        let d = k.base.diff(&k.next);
        let bytes = encode_delta(TICK, TICK - 1, &k.acks, &d);
        eprintln!(
            "delta of {n} entities: {} bytes ({} changed, {} added, {} removed, {} acks)",
            bytes.len(),
            d.changed.len(),
            d.added.len(),
            d.removed.len(),
            k.acks.len()
        );
        g.bench_with_input(BenchmarkId::from_parameter(n), &bytes, |b, bytes| {
            b.iter(|| decode_server(black_box(bytes)).expect("a valid delta"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("apply");
    for (n, k) in &cases {
        let bytes = encode_delta(TICK, TICK - 1, &k.acks, &k.base.diff(&k.next));
        let delta = decode_delta(&bytes);
        let mut check = k.base.clone();
        check.apply(&delta).expect("the delta applies to its base");
        assert_eq!(check, k.next, "diff, encode, decode, apply round-trips");
        // `apply` works in place, so each iteration gets a fresh copy of the base; the copy
        // is made in the untimed setup, small batches keep the copies in cache.
        g.bench_with_input(BenchmarkId::from_parameter(n), k, |b, k| {
            b.iter_batched_ref(
                || k.base.clone(),
                |view| view.apply(black_box(&delta)).expect("applies"),
                BatchSize::NumIterations(64),
            )
        });
    }
    g.finish();
}

criterion_group!(delta, benches);
criterion_main!(delta);
