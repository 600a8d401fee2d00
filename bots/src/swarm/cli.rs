//! `tickwave-bots swarm`: the command line of a swarm run.

use super::behaviour::BehaviourMix;
use super::config::{ChurnMode, ProgressMode, Protocol, Slo, SwarmConfig};
use super::error::SwarmError;
use super::run::run;
use super::{chart, slo};
use crate::tls::CertCheck;
use std::path::PathBuf;
use std::time::Duration;

/// A duration: `30` or `30s`, `500ms`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 =
        num.trim().parse().map_err(|_| format!("{s:?} is not a duration (30, 30s, 500ms, 2m)"))?;
    if !(v >= 0.0 && v.is_finite()) {
        return Err(format!("{s:?} must be 0 or more"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

/// Run a swarm of bots against a server and report.
#[derive(Debug, Clone, clap::Args)]
pub struct SwarmArgs {
    /// Server URL. In cluster mode any node: bots follow `redirect`s to the node of their
    /// match (and resume there). Several nodes (repeat `--url`, or comma-separated): bot `i`
    /// starts on node `i mod n`, and a bot whose node is gone (connect refused after its
    /// connection dropped) resumes on the next node (`lobby_lost`, re-queued there).
    #[arg(long, value_delimiter = ',', num_args = 1.., default_value = "wss://127.0.0.1:4433/ws")]
    pub url: Vec<String>,
    /// Skip certificate verification (development server with a self-signed certificate).
    #[arg(long, conflicts_with = "pin")]
    pub insecure: bool,
    /// Accept only a certificate with this SHA-256 fingerprint (hex, as the server logs it);
    /// a comma-separated list for a cluster whose nodes have their own certificates.
    #[arg(long)]
    pub pin: Option<String>,
    /// Number of bots.
    #[arg(long, default_value_t = 100)]
    pub bots: u32,
    /// Bots started per second (0: all at once).
    #[arg(long, default_value_t = 100.0)]
    pub ramp: f64,
    /// Length of the run, ramp included (30, 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Leave the first part of the run out of latency, RTT, traffic and delivery figures
    /// (connection setup and errors always cover the whole run).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Game mode to queue for.
    #[arg(long, default_value = "arena")]
    pub mode: String,
    /// Protocol version: 2 (game API v2: the bots read the lobby's schema and play its game:
    /// the arenas, connect4, or random valid inputs for any other game) or 1.
    #[arg(long, value_enum, default_value = "2")]
    pub protocol: Protocol,
    /// random-walk, chase, idle, churn, circle, chat; or a weighted mix: random-walk:80,chat:20.
    #[arg(long, default_value = "random-walk")]
    pub behaviour: BehaviourMix,
    /// Inputs per second per bot.
    #[arg(long, default_value_t = 20)]
    pub input_hz: u32,
    /// Chat lines per second of each `chat` bot. Keep it at or below the server's limit
    /// (1 line/s sustained by default) unless that was raised: excess lines are refused.
    #[arg(long, default_value_t = super::config::DEFAULT_CHAT_RATE)]
    pub chat_rate: f64,
    /// Mean connection lifetime of churning bots before they reconnect.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub churn_every: Duration,
    /// How churning bots come back: resume (drop, then hello.resume: same seat) or fresh
    /// (close, new session, find_match again).
    #[arg(long, value_enum, default_value = "resume")]
    pub churn_mode: ChurnMode,
    /// Turn-based games (connect4): think this long before each move (0: at once; at most
    /// 60s, and above the mode's turn limit a bot forfeits).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub think: Duration,
    /// Seed of every random choice (behaviours, directions, lifetimes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads of bots, each a single-threaded runtime (one thread drives about a thousand
    /// bots at 20 inputs/s on this class of machine).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Interval of each bot's own WebSocket pings (its view of the RTT); 0 turns them off.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub ping_interval: Duration,
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Waiting longer than this for match_found counts a match_timeout error.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub match_timeout: Duration,
    /// Bots are named `<prefix><number>`.
    #[arg(long, default_value = "bot-")]
    pub name_prefix: String,
    /// SLO: fail (exit 3) when the p99 input-to-ack latency is above this many ms.
    #[arg(long)]
    pub max_p99_ms: Option<f64>,
    /// SLO: fail when more than this fraction of sessions saw an error (0.01 = 1%).
    #[arg(long)]
    pub max_error_rate: Option<f64>,
    /// SLO: fail when fewer than this fraction of expected state messages arrived (0.99).
    #[arg(long)]
    pub min_delivery: Option<f64>,
    /// Write the JSON report here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write an SVG chart of bots and latency over time here.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Live progress on stderr.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
}

impl SwarmArgs {
    pub fn config(&self) -> Result<SwarmConfig, SwarmError> {
        let check = match (&self.pin, self.insecure) {
            (Some(p), _) => CertCheck::Pin(p.clone()),
            (None, true) => CertCheck::Insecure,
            (None, false) if self.url.iter().all(|u| u.starts_with("ws://")) => CertCheck::Insecure,
            (None, false) => {
                return Err(SwarmError::Config(
                    "wss needs --pin <sha256> (printed by the server at start) or --insecure for a dev server".into(),
                ));
            }
        };
        Ok(SwarmConfig {
            bots: self.bots,
            ramp: self.ramp,
            duration: self.duration,
            warmup: self.warmup,
            mode: self.mode.clone(),
            protocol: self.protocol,
            behaviour: self.behaviour.clone(),
            input_hz: self.input_hz,
            chat_rate: self.chat_rate,
            seed: self.seed,
            threads: self.threads,
            churn_every: self.churn_every,
            churn_mode: self.churn_mode,
            think: self.think,
            ping_interval: (!self.ping_interval.is_zero()).then_some(self.ping_interval),
            connect_timeout: self.connect_timeout,
            match_timeout: self.match_timeout,
            name_prefix: self.name_prefix.clone(),
            slo: Slo {
                max_p99_ms: self.max_p99_ms,
                max_error_rate: self.max_error_rate,
                min_delivery: self.min_delivery,
            },
            progress: self.progress,
            handle_ctrl_c: true,
            ..SwarmConfig::new(self.url.join(","), check)
        })
    }
}

/// Run, print the table on stdout, write the report and chart; returns the exit code
/// (0, or [`slo::EXIT_SLO_VIOLATED`]).
pub fn run_cli(args: &SwarmArgs) -> Result<i32, SwarmError> {
    let report = run(args.config()?)?;
    print!("{}", report.table());
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_json() + "\n")?;
        eprintln!("report written to {}", path.display());
    }
    if let Some(path) = &args.chart {
        let svg = chart::svg(&report).map_err(SwarmError::Config)?;
        std::fs::write(path, svg)?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(slo::exit_code(&report.slo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        a: SwarmArgs,
    }

    fn parse(args: &[&str]) -> Result<SwarmArgs, String> {
        use clap::Parser;
        let argv =
            ["swarm", "--url", "ws://127.0.0.1:1/ws"].into_iter().chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|c| c.a).map_err(|e| e.to_string())
    }

    #[test]
    fn the_protocol_is_2_unless_told() {
        assert_eq!(parse(&[]).unwrap().config().unwrap().protocol, Protocol::V2);
        let one = parse(&["--protocol", "1"]).unwrap().config().unwrap();
        assert_eq!((one.protocol, one.settings().protocol), (Protocol::V1, Protocol::V1));
        assert!(parse(&["--protocol", "3"]).unwrap_err().contains("--protocol"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("-1").is_err());
    }
}
