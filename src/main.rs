//! `tickwave`: parse flags, set up logging, run the server until SIGINT/SIGTERM.

use anyhow::Context;
use clap::Parser;
use tickwave::{Cli, Server};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if cli.no_build_demo {
        tracing::warn!(
            "--no-build-demo (TICKWAVE_NO_BUILD_DEMO) is deprecated and has no effect: the demo is built in"
        );
    }
    let config = cli.into_config().context("configuration")?;
    let server = Server::start(config).await.context("starting the server")?;
    let drainer = server.drainer();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received: draining (a second signal exits at once)");
        drainer.drain();
        wait_for_signal().await;
        tracing::warn!("second signal: exiting now");
        std::process::exit(130);
    });
    server.wait().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
