//! Helpers shared by the fuzz targets, the seed generator and the reproducer tests:
//! - [`CountingAlloc`]: a global allocator around `System` that, while armed on the current
//!   thread, records the largest single allocation and the peak of live bytes;
//! - [`bomb`]: MessagePack inputs whose array/map/str/bin/ext headers claim lengths the bytes
//!   after them do not back;
//! - [`seeds`]: real encoded messages of every type, for the seed corpora;
//! - [`check_apply`]: the properties of `WorldView::apply` that the delta targets check;
//! - [`delta`]: structured snapshot + delta messages for the `delta_structured` target.

pub mod bomb;
pub mod delta;
pub mod seeds;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use tickwave_protocol::{Delta, ServerMessage, WorldView, decode_server, encode_delta};

/// What [`measure`] saw while its closure ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Largest single allocation (or the new size of a reallocation), bytes.
    pub largest: usize,
    /// Highest number of bytes allocated and not yet freed, counted from the start.
    pub peak_live: usize,
    /// Number of allocations and reallocations.
    pub count: usize,
}

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

/// Install in a binary with `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
/// Counting is per thread and only inside [`measure`], so it needs no locks and sees nothing
/// of other threads (libFuzzer's own bookkeeping is C++ and does not come through here).
#[derive(Debug)]
pub struct CountingAlloc;

fn on_alloc(size: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            LARGEST.set(LARGEST.get().max(size));
            COUNT.set(COUNT.get() + 1);
            let live = LIVE.get() + size as isize;
            LIVE.set(live);
            PEAK.set(PEAK.get().max(live));
        }
    });
}

fn on_free(size: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            LIVE.set(LIVE.get() - size as isize);
        }
    });
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_free(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_free(layout.size());
        on_alloc(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Run `f` with allocation counting armed on this thread. Meaningful only in a binary whose
/// global allocator is [`CountingAlloc`]; elsewhere the stats stay zero.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    LARGEST.set(0);
    LIVE.set(0);
    PEAK.set(0);
    COUNT.set(0);
    ARMED.set(true);
    let r = f();
    ARMED.set(false);
    let stats = AllocStats {
        largest: LARGEST.get(),
        peak_live: PEAK.get().max(0) as usize,
        count: COUNT.get(),
    };
    (r, stats)
}

/// The bound the issue sets: no single allocation while decoding `len` bytes may exceed this.
pub fn alloc_limit(len: usize) -> usize {
    64 * len + 4096
}

/// Lower-case hex of `bytes`, for reports.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Apply `delta` to a copy of `base` and check what must hold:
/// - a refused delta leaves the view unchanged;
/// - an accepted one gives a view sorted by id without repeats, holding every added entity,
///   none of the removed ones (unless re-added), every changed field, every untouched entity as
///   it was, and the right number of entities;
/// - `base.diff(&result)` applied to `base` gives `result`, directly and after a trip through
///   `encode_delta` / `decode_server`.
///
/// Returns whether the delta was accepted.
pub fn check_apply(base: &WorldView, base_tick: u64, delta: &Delta, tick: u64) -> bool {
    let mut result = base.clone();
    if result.apply(delta).is_err() {
        assert_eq!(&result, base, "a failed apply changed the view");
        return false;
    }

    let es = result.entities();
    assert!(es.windows(2).all(|w| w[0].id < w[1].id), "applied view not sorted: {es:?}");
    for a in &delta.added {
        assert_eq!(result.get(a.id), Some(a), "added entity {} missing or different", a.id);
    }
    for id in &delta.removed {
        if !delta.added.iter().any(|a| a.id == *id) {
            assert!(result.get(*id).is_none(), "removed entity {id} still there");
        }
    }
    for c in &delta.changed {
        let e = result.get(c.id).unwrap_or_else(|| panic!("changed entity {} gone", c.id));
        let mut vals = c.values().iter();
        for k in 0..8 {
            if c.mask & (1 << k) != 0 {
                assert_eq!(Some(&e.field(k)), vals.next(), "field {k} of {} not applied", c.id);
            }
        }
    }
    for e in base.entities() {
        let touched = delta.removed.contains(&e.id) || delta.changed.iter().any(|c| c.id == e.id);
        if !touched {
            assert_eq!(result.get(e.id), Some(e), "untouched entity {} changed", e.id);
        }
    }
    let removed = base.entities().iter().filter(|e| delta.removed.contains(&e.id)).count();
    assert_eq!(result.len(), base.len() + delta.added.len() - removed, "entity count");

    // diff(base, result) re-applied to base gives result, directly and over the wire.
    let d2 = base.diff(&result);
    let mut again = base.clone();
    again.apply(&d2).expect("the delta from diff applies to its own base");
    assert_eq!(again, result, "diff then apply does not round trip");

    let wire = encode_delta(tick, base_tick, &[], &d2);
    let d3 = match decode_server(&wire).expect("an encoded delta decodes") {
        ServerMessage::Delta(d) => Delta { added: d.added, changed: d.changed, removed: d.removed },
        other => panic!("encode_delta decoded as {other:?}"),
    };
    assert_eq!(d3, d2, "delta changed over the wire");
    let mut over_wire = base.clone();
    over_wire.apply(&d3).expect("the decoded diff applies");
    assert_eq!(over_wire, result, "diff over the wire does not round trip");
    true
}
