//! `tickwave`: the server with its built-in games. Everything (flags, logging, signals,
//! drain) is [`tickwave::run_main`], which studio binaries call with their own games.

fn main() -> std::process::ExitCode {
    tickwave::run_main(|_| {})
}
