//! `tickwave-bots`: a command-line client for Tickwave servers.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::time::{Duration, Instant};
use tickwave_bots::capacity::CapacityArgs;
use tickwave_bots::swarm::{Protocol, SwarmArgs};
use tickwave_bots::{CertCheck, Client, LocalState};
use tickwave_protocol::{ClientMessage, Input, ServerMessage};

#[derive(Parser)]
#[command(name = "tickwave-bots", version, about = "Tickwave client and load tool")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// Server URL.
    #[arg(long, default_value = "wss://127.0.0.1:4433/ws")]
    url: String,
    /// Skip certificate verification (development server with a self-signed certificate).
    #[arg(long, conflicts_with = "pin")]
    insecure: bool,
    /// Accept only a certificate with this SHA-256 fingerprint (hex, as the server logs it).
    #[arg(long)]
    pin: Option<String>,
}

impl Target {
    fn check(&self) -> anyhow::Result<CertCheck> {
        match (&self.pin, self.insecure) {
            (Some(p), _) => Ok(CertCheck::Pin(p.clone())),
            (None, true) => Ok(CertCheck::Insecure),
            (None, false) if self.url.starts_with("ws://") => Ok(CertCheck::Insecure),
            (None, false) => anyhow::bail!(
                "wss needs --pin <sha256> (printed by the server at start) or --insecure for a dev server"
            ),
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Connect one player: hello, find a match, play (move in circles; with protocol 2 the
    /// lobby's game as a swarm bot plays it: aim and fire, connect4 drops, or random valid
    /// inputs), print what happens.
    Client {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "bot")]
        name: String,
        #[arg(long, default_value = "arena")]
        mode: String,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Protocol version: 2 (game API v2) or 1.
        #[arg(long, value_enum, default_value = "2")]
        protocol: Protocol,
    },
    /// Run a swarm of bots against a server: live progress, a summary table, and optionally
    /// a JSON report, an SVG chart and SLO gates (exit code 3 when one is violated).
    Swarm(Box<SwarmArgs>),
    /// Capacity benchmark: a fresh server per step, swarms of growing size, server CPU and
    /// RSS from /proc, the CPU other work used in each window (a step with too much of it is
    /// contaminated and not counted), and the largest clean size that holds the SLO.
    Capacity(CapacityArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match Cli::parse().cmd {
        Cmd::Client { target, name, mode, seconds, protocol } => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            match protocol {
                Protocol::V1 => rt.block_on(client(target, name, mode, seconds)),
                Protocol::V2 => rt.block_on(client_v2(target, name, mode, seconds)),
            }
        }
        Cmd::Swarm(args) => {
            let code = tickwave_bots::swarm::run_cli(&args)?;
            std::process::exit(code)
        }
        Cmd::Capacity(args) => {
            tickwave_bots::capacity::run_cli(&args)?;
            Ok(())
        }
    }
}

async fn client_v2(target: Target, name: String, mode: String, seconds: f64) -> anyhow::Result<()> {
    let check = target.check()?;
    let mut out = std::io::stdout();
    tickwave_bots::player::play(&target.url, &check, &name, &mode, seconds, &mut out).await?;
    Ok(())
}

async fn client(target: Target, name: String, mode: String, seconds: f64) -> anyhow::Result<()> {
    let check = target.check()?;
    let (mut c, welcome) = Client::join(&target.url, &check, &name).await.context("connecting")?;
    println!("welcome: session {} player {} ({})", welcome.session, welcome.player, welcome.server);
    c.send(&ClientMessage::FindMatch { mode, skill: None, region: None }).await?;
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut state = LocalState::default();
    let mut seq = 0u64;
    let mut inputs = tokio::time::interval(Duration::from_millis(50));
    let mut in_lobby = false;
    while Instant::now() < end {
        tokio::select! {
            _ = inputs.tick(), if in_lobby => {
                seq += 1;
                let a = seq as f32 / 10.0;
                c.send(&ClientMessage::Input(Input { seq, dx: a.cos(), dy: a.sin(), action: false })).await?;
            }
            m = c.recv_timeout(Duration::from_millis(500)) => {
                let m = match m {
                    Ok(m) => m,
                    Err(tickwave_bots::ClientError::Timeout(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                state.apply(&m).context("state check")?;
                match m {
                    ServerMessage::MatchFound(f) => {
                        in_lobby = true;
                        println!("match_found: lobby {} as player {}, {} in roster", f.lobby, f.player, f.roster.len());
                    }
                    ServerMessage::Rtt(r) => println!("rtt {:.2} ms, jitter {:.2} ms", r.rtt_ms, r.jitter_ms),
                    ServerMessage::Snapshot(_) | ServerMessage::Delta(_) => {}
                    ServerMessage::LobbyClosed { .. } => { in_lobby = false; println!("{m:?}") }
                    other => println!("{other:?}"),
                }
            }
        }
    }
    println!(
        "tick {:?}: {} snapshots, {} deltas applied, last ack {:?} of {seq} inputs",
        state.tick,
        state.snapshots,
        state.deltas,
        state.ack(welcome.player)
    );
    Ok(())
}
