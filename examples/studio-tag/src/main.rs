//! The studio's server: Tickwave's own `main` (flags, checks, drain on SIGINT/SIGTERM) with
//! the tag game added to the built-in games. Run with
//! `cargo run -- --modes modes.toml` and play at mode `tag`.

fn main() -> std::process::ExitCode {
    tickwave::run_main(|games| games.register_game::<studio_tag::Tag>())
}
