//! Structured: MessagePack headers claiming huge array/map/str/bin/ext lengths with few bytes
//! after them (see `tickwave_fuzz::bomb`), decoded by `decode_client`, `decode_server` or
//! `peek_type` under a counting global allocator.
//!
//! Asserts that no single allocation during the decode exceeds `64 * len + 4096` bytes, `len`
//! being the encoded input's length: decoding must never allocate in proportion to a length
//! the peer claims before the bytes arrive.
//!
//! Knobs (environment), both off by default:
//! - `LENGTH_BOMB_FLOOR=N`: the limit becomes `max(64 * len + 4096, N)`. With `N = 1048576`
//!   (serde's cap on a pre-allocation from a size hint, see fuzz/README.md) the run looks for
//!   allocations that are not bounded by that cap.
//! - `LENGTH_BOMB_MAX_LIVE=N`: also fail when the bytes live at once during a decode exceed
//!   `max(64 * len + 4096, N)`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tickwave_fuzz::bomb::{Bomb, decode_with};
use tickwave_fuzz::{CountingAlloc, alloc_limit, hex, measure};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn env(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn floors() -> (usize, Option<usize>) {
    static F: OnceLock<(usize, Option<usize>)> = OnceLock::new();
    *F.get_or_init(|| (env("LENGTH_BOMB_FLOOR").unwrap_or(0), env("LENGTH_BOMB_MAX_LIVE")))
}

fuzz_target!(|bomb: Bomb| {
    let bytes = bomb.bytes();
    let ((), stats) = measure(|| decode_with(bomb.decoder, &bytes));
    let (floor, live_floor) = floors();
    let limit = alloc_limit(bytes.len()).max(floor);
    assert!(
        stats.largest <= limit,
        "{:?} allocated {} bytes at once (limit {limit}) decoding {} bytes; peak live {}; \
         input {}",
        bomb.decoder,
        stats.largest,
        bytes.len(),
        stats.peak_live,
        hex(&bytes),
    );
    if let Some(live) = live_floor {
        let live_limit = alloc_limit(bytes.len()).max(live);
        assert!(
            stats.peak_live <= live_limit,
            "{:?} held {} bytes at once (limit {live_limit}) decoding {} bytes; input {}",
            bomb.decoder,
            stats.peak_live,
            bytes.len(),
            hex(&bytes),
        );
    }
});
