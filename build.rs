//! Rebuild when a file is added to or removed from the embedded web assets: rust-embed's
//! `include_bytes!` already tracks the files that exist, not the directories' contents.

fn main() {
    println!("cargo:rerun-if-changed=assets/play");
    println!("cargo:rerun-if-changed=assets/admin");
}
