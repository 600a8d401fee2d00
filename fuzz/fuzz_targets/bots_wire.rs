//! The bots' fast wire readers (bots/src/swarm/net): the frame reader, the MessagePack
//! reader, the message sorter and the state view, on what a server could send.
//!
//! Input: `[mode][me][stream]`. In frame mode (`mode < 0x80`) `stream` is the plaintext a bot
//! reads after the upgrade, cut into reads of random sizes seeded by `mode`; in message mode
//! (`mode >= 0x80`) it is MessagePack messages one after the other. The properties (chunked
//! and whole reads agree, tungstenite finds the same frame headers, the MessagePack skip ends
//! where rmp-serde's does, messages and state agree with `decode_server` and
//! `WorldView::apply`) are in `tickwave_bots::fuzzing`, where `cargo test -p tickwave-bots`
//! also runs them over the committed seeds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tickwave_bots::fuzzing::wire(data);
});
