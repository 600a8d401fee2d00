//! The `tickwave` binary's `main`, offered to studio binaries: the same flags (`--help`),
//! the same configuration checks and exit codes, and the same signal handling (the first
//! SIGINT/SIGTERM drains, a second exits at once), with the studio's own games registered.
//! A studio's server is then a one-line `main` that behaves exactly like the built-in one,
//! which is what its operators' scripts, probes and runbooks expect.
//!
//! Nothing here may panic on a closed stdout or stderr (`tickwave | head -3`): errors are
//! written with `writeln!` and the result ignored, and the signal handlers are installed
//! before the server starts and watched by this function itself, not by a task that a
//! panic elsewhere could end (which used to leave SIGTERM caught and ignored for good).

use crate::game::GameRegistry;
use crate::{Cli, Server};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Exit status of a configuration the server refuses (clap uses the same for bad flags).
const EXIT_CONFIG: u8 = 2;
/// Exit status after a second signal cut the drain short (128 + SIGINT, as shells do).
const EXIT_SECOND_SIGNAL: i32 = 130;

/// Run the server as the `tickwave` binary does, with `register` adding games to the
/// built-in ones before the modes are checked (so `--modes` may name them). Returns when the
/// server has stopped; use it as the whole of `main`:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     tickwave::run_main(|games| {
///         // games.register_game::<MyGame>();
///         let _ = games;
///     })
/// }
/// ```
pub fn run_main(register: impl FnOnce(&mut GameRegistry)) -> ExitCode {
    let cli = Cli::parse();
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(serve(cli, register)),
        Err(e) => fail(1, &format!("starting the runtime: {e}")),
    }
}

async fn serve(cli: Cli, register: impl FnOnce(&mut GameRegistry)) -> ExitCode {
    crate::init_logging(cli.log_format);
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => return fail(1, &format!("installing the signal handlers: {e}")),
    };
    if cli.no_build_demo {
        tracing::warn!(
            "--no-build-demo (TICKWAVE_NO_BUILD_DEMO) is deprecated and has no effect: the demo is built in"
        );
    }
    let mut games = GameRegistry::default();
    register(&mut games);
    let config = match cli.into_config_with(games) {
        Ok(c) => c,
        Err(e) => return fail(EXIT_CONFIG, &e.to_string()),
    };
    let server = match Server::start(config).await {
        Ok(s) => s,
        Err(e) => return fail(1, &format!("starting the server: {e}")),
    };
    let drainer = server.drainer();
    let stopped = server.wait();
    tokio::pin!(stopped);
    tokio::select! {
        _ = &mut stopped => return ExitCode::SUCCESS,
        _ = signals.recv() => {}
    }
    // Drain first, log after: the drain must not depend on the log being writable.
    drainer.drain();
    tracing::info!("signal received: draining (a second signal exits at once)");
    tokio::select! {
        _ = &mut stopped => ExitCode::SUCCESS,
        _ = signals.recv() => {
            tracing::warn!("second signal: exiting now");
            std::process::exit(EXIT_SECOND_SIGNAL);
        }
    }
}

/// Report a fatal error on stderr (ignoring a closed stderr) and return the exit status.
fn fail(code: u8, message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "tickwave: {message}");
    ExitCode::from(code)
}

/// SIGINT and SIGTERM, registered once at start so that every later signal is seen.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
