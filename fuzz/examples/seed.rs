//! Writes the seed corpora: real encoded messages of every type.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed` (from the repository root) fills
//! `fuzz/corpus/{decode_client,decode_server,delta_apply,bots_wire}/`, replacing files of the
//! same name (`cargo test -p tickwave-bots` fails while `bots_wire/` differs from its
//! generator, `tickwave_bots::fuzzing::seeds`).

use std::path::Path;
use tickwave_fuzz::seeds;

fn write(dir: &Path, files: Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    write_as(dir, files, "msgpack")
}

fn write_as(dir: &Path, files: Vec<(String, Vec<u8>)>, ext: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let n = files.len();
    for (name, bytes) in files {
        std::fs::write(dir.join(format!("{name}.{ext}")), bytes)?;
    }
    println!("{}: {n} seeds", dir.display());
    Ok(())
}

fn main() -> std::io::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    write(&corpus.join("decode_client"), seeds::client_messages())?;
    write(&corpus.join("decode_server"), seeds::server_messages())?;
    write(&corpus.join("delta_apply"), seeds::delta_pairs())?;
    // Frames and messages as a bot receives them (not MessagePack files: see the target).
    write_as(&corpus.join("bots_wire"), tickwave_bots::fuzzing::seeds(), "bin")?;
    Ok(())
}
