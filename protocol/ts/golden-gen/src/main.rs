//! Golden MessagePack files for the TypeScript SDK, written by the Rust protocol crate.
//!
//! The SDK in `protocol/ts` is a second implementation of the wire protocol. To catch the two
//! drifting apart, this program is the single source of example bytes:
//!
//! ```text
//! tickwave-golden-gen write DIR       write DIR/*.bin and DIR/manifest.json
//! tickwave-golden-gen verify DIR      fail when DIR differs from what the crate writes now
//! tickwave-golden-gen check-sdk DIR   decode the SDK's encodings DIR/client.<case>.bin with the
//!                                     crate and compare them with the same cases
//! ```
//!
//! `verify` catches a change on the Rust side (the committed files no longer match), the SDK's
//! node tests catch a change on the TypeScript side (it no longer decodes the files to the
//! manifest's values, or no longer encodes client messages to the same bytes), and
//! `check-sdk` makes the Rust decoder the judge of what the SDK sends.
//!
//! Every message type and error code must appear here: the exhaustive `match`es in `names.rs`
//! stop compiling when the crate gains a variant, which is the reminder to add a case to
//! `cases.rs`. `golden.rs` has the three commands; this file only parses the command line.

mod cases;
mod golden;
mod names;
mod v2;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, dir] => {
            let dir = PathBuf::from(dir);
            match cmd.as_str() {
                "write" => golden::write(&dir),
                "verify" => golden::verify(&dir),
                "check-sdk" => golden::check_sdk(&dir),
                _ => Err(format!("unknown command {cmd:?}")),
            }
        }
        _ => Err("usage: tickwave-golden-gen write|verify|check-sdk DIR".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("golden-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
