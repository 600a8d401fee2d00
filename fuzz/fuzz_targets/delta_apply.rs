//! Client side: a snapshot, then a delta against it, both decoded from the fuzz input, and the
//! delta applied with `WorldView::apply`.
//!
//! Input layout: `[n: u16 little endian][snapshot message: n bytes][delta message: the rest]`
//! (`n` is taken modulo what is left, so every input splits somewhere). A first part that is not
//! a `snapshot` message gives an empty base view, so the delta decoder is exercised either way.
//!
//! Properties: nothing panics; a failed apply leaves the view unchanged; a successful apply
//! yields a sorted view holding exactly what the delta says; and `base.diff(&result)` applied to
//! `base` (also after a trip through `encode_delta` / `decode_server`) gives `result` again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tickwave_fuzz::check_apply;
use tickwave_protocol::{Delta, ServerMessage, WorldView, decode_server};

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    if data.len() < 2 {
        return (&[], data);
    }
    let rest = &data[2..];
    let n = usize::from(u16::from_le_bytes([data[0], data[1]])) % (rest.len() + 1);
    rest.split_at(n)
}

fn delta_of(msg: ServerMessage) -> Option<(u64, Delta)> {
    match msg {
        ServerMessage::Delta(d) => {
            Some((d.tick, Delta { added: d.added, changed: d.changed, removed: d.removed }))
        }
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let (snap, rest) = split(data);
    let (base_tick, base) = match decode_server(snap) {
        Ok(ServerMessage::Snapshot(s)) => (s.tick, s.entities),
        _ => (0, WorldView::new()),
    };
    assert!(base.entities().windows(2).all(|w| w[0].id < w[1].id), "decoded view not sorted");
    let Some((tick, delta)) = decode_server(rest).ok().and_then(delta_of) else { return };

    check_apply(&base, base_tick, &delta, tick);
});
