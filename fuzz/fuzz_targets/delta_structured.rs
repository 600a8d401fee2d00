//! Structured companion of `delta_apply`: a base state and a delta built with `arbitrary`
//! (small id space, so adds, changes and removals collide with the base), written as `snapshot`
//! and `delta` messages, decoded with `decode_server` and applied with `WorldView::apply`.
//!
//! Reaches far larger states and deltas than byte mutations of messages do, and checks the same
//! properties (`tickwave_fuzz::check_apply`); well-formed cases must also decode.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tickwave_fuzz::check_apply;
use tickwave_fuzz::delta::Case;
use tickwave_protocol::{Delta, ServerMessage, decode_server};

fuzz_target!(|case: Case| {
    let (snap, delta) = case.messages();
    let base = match decode_server(&snap) {
        Ok(ServerMessage::Snapshot(s)) => s.entities,
        Ok(other) => panic!("a snapshot decoded as {other:?}"),
        Err(e) => {
            assert!(!case.well_formed, "well-formed snapshot refused: {e}");
            return;
        }
    };
    let d = match decode_server(&delta) {
        Ok(ServerMessage::Delta(d)) => d,
        Ok(other) => panic!("a delta decoded as {other:?}"),
        Err(e) => {
            assert!(!case.well_formed, "well-formed delta refused: {e}");
            return;
        }
    };
    let delta = Delta { added: d.added, changed: d.changed, removed: d.removed };
    check_apply(&base, 100, &delta, 101);
});
