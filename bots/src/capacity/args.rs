//! The command line of `tickwave-bots capacity`, its validation, and where the processes run.

use super::error::CapacityError;
use super::table::Gate;
use crate::swarm::{Protocol, parse_duration};
use std::path::PathBuf;
use std::time::Duration;

/// Whether the server and the bots get a CPU each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pinning {
    /// Leave placement to the kernel: both share every CPU this tool may use.
    Off,
    /// Server on the first CPU this tool may use (one tokio worker), bots on the second.
    On,
    /// On when three or more CPUs are available (one is then left for everything else).
    Auto,
}

/// Scheduling priority of the benchmark processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Priority {
    /// As started: the kernel's normal scheduling.
    Normal,
    /// Server and bots each in their own autogroup at nice -10 (root or CAP_SYS_NICE).
    High,
    /// SCHED_FIFO 10 with reset-on-fork, after checking that it is safe (pinned, a CPU left
    /// for everything else, an idle machine) and that it helps (a calibration step both ways).
    Realtime,
}

impl Priority {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Realtime => "realtime",
        }
    }
}

fn parse_cores(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=64.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of cores in 0..=64")),
    }
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a fraction in 0..=1")),
    }
}

fn parse_step(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(v) if (1..=100_000).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of bots in 1..=100000")),
    }
}

/// Run the capacity benchmark: swarms of increasing size against a fresh server each.
#[derive(Debug, Clone, clap::Args)]
pub struct CapacityArgs {
    /// The server binary (default: `tickwave` beside this executable; `bots/capacity.sh`
    /// builds both in release mode).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Extra flag for the server, e.g. `--server-arg=--tcp-send-buffer=0` (repeatable). The
    /// server gets none of the caller's TICKWAVE_* variables.
    #[arg(long, allow_hyphen_values = true)]
    pub server_arg: Vec<String>,
    /// Bot counts, one step each.
    #[arg(long, value_delimiter = ',', value_parser = parse_step,
          default_value = "250,500,1000,1500,2000,2500")]
    pub steps: Vec<u32>,
    /// Bots started per second (0: all at once).
    #[arg(long, default_value_t = 250.0)]
    pub ramp: f64,
    /// Time after the ramp before measuring.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub settle: Duration,
    /// Length of the measured window (at least 2 s).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub measure: Duration,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub input_hz: u32,
    /// The game the benchmark mode runs (a registered game of the server: `arena` (the
    /// typed arena), `arena_v1` (the v1 arena, for protocol 1), `connect4`, `fog`, or a
    /// studio's own); the mode gets the game's name.
    #[arg(long, default_value = "arena")]
    pub game: String,
    /// Protocol version the bots speak (passed to the swarm): 2 or 1. `arena`, `arena_v2`,
    /// `connect4` and `fog` need 2 (protocol 1 plays `arena_v1`).
    #[arg(long, value_enum, default_value = "2")]
    pub protocol: Protocol,
    /// Turn-based games: how long each bot thinks before a move (passed to the swarm's
    /// `--think`; 0 moves at once, which measures lobby churn more than play).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub think: Duration,
    /// Players per lobby (default 16; 2 for connect4, a game of two; 64 for fog).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub lobby_size: Option<u32>,
    /// Tick rate of the mode (default 30; 10 for connect4, its built-in mode's rate: a turn
    /// game at 30 Hz would triple its lobbies' ticks and state messages for nothing).
    #[arg(long = "tick-hz", value_parser = clap::value_parser!(u32).range(1..=240))]
    pub tick_hz_arg: Option<u32>,
    /// Threads of the bot process.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub bot_threads: u16,
    #[arg(long, value_enum, default_value = "off")]
    pub pinning: Pinning,
    /// Scheduling of the server and the bots while a step runs.
    #[arg(long, value_enum, default_value = "normal")]
    pub priority: Priority,
    /// Port of the benchmark server on 127.0.0.1 (0: one the kernel picks).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// How long the server may take to log its listening line and answer a hello.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub start_timeout: Duration,
    /// Where step reports, logs and the results go.
    #[arg(long, default_value = "target/capacity")]
    pub out: PathBuf,
    /// The gate a step must hold to count toward the capacity.
    #[arg(long, default_value_t = 50.0)]
    pub max_p99_ms: f64,
    #[arg(long, default_value_t = 0.99, value_parser = parse_fraction)]
    pub min_delivery: f64,
    /// The share of bots that must be in a match over the window. Lower it for games whose
    /// matches end and re-queue (connect4: bots spend a moment between games queued).
    #[arg(long, default_value_t = 0.99, value_parser = parse_fraction)]
    pub min_in_match: f64,
    /// Other work (cores) in a window above which a step is contaminated.
    #[arg(long, default_value_t = 0.10, value_parser = parse_cores)]
    pub max_foreign_cores: f64,
    /// Run a contaminated step again, up to this many times.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
}

impl CapacityArgs {
    pub(crate) fn gate(&self) -> Gate {
        Gate {
            min_delivery: self.min_delivery,
            max_p99_ms: self.max_p99_ms,
            min_in_match: self.min_in_match,
            max_foreign_cores: self.max_foreign_cores,
        }
    }

    /// Players per lobby: `--lobby-size`, else the game's own size.
    pub(crate) fn lobby(&self) -> u32 {
        self.lobby_size.unwrap_or(match self.game.as_str() {
            "connect4" => 2,
            "fog" => 64,
            _ => 16,
        })
    }

    /// The mode's tick rate: `--tick-hz`, else the game's own.
    pub(crate) fn tick_hz(&self) -> u32 {
        self.tick_hz_arg.unwrap_or(if self.game == "connect4" { 10 } else { 30 })
    }

    /// Players a lobby waits for before it starts: 1 (at once), or both of a connect4 game
    /// (a lone player there just waits for an opponent).
    pub(crate) fn min_players(&self) -> u32 {
        if self.game == "connect4" { self.lobby().min(2) } else { 1 }
    }

    /// What clap's parsers cannot check alone.
    pub(crate) fn validate(&self) -> Result<(), CapacityError> {
        let bad = |m: &str| Err(CapacityError::Setup(m.to_owned()));
        if !self.game.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || self.game.is_empty()
        {
            return bad("--game must be a game's registered name (letters, digits, _ and -)");
        }
        // Not `arena`: on servers before the typed arena became the default (the A side of an
        // A/B run against an old binary) `arena` is the v1 game. A current server answers
        // protocol 1 on `arena` with `mode_needs_protocol`, which the run reports.
        if self.protocol == Protocol::V1
            && ["arena_v2", "connect4", "fog"].contains(&self.game.as_str())
        {
            return Err(CapacityError::Setup(format!(
                "--game {} needs --protocol 2: protocol 1 cannot play it",
                self.game
            )));
        }
        if self.steps.is_empty() {
            return bad("--steps needs at least one bot count");
        }
        if !(self.ramp >= 0.0 && self.ramp <= 100_000.0) {
            return bad("--ramp must be 0..=100000 bots per second");
        }
        if self.measure < Duration::from_secs(2) || self.measure > Duration::from_secs(3600) {
            return bad("--measure must be 2 s..=1 h");
        }
        if self.settle > Duration::from_secs(600) {
            return bad("--settle must be at most 10 min");
        }
        if self.start_timeout < Duration::from_secs(1)
            || self.start_timeout > Duration::from_secs(600)
        {
            return bad("--start-timeout must be 1 s..=10 min");
        }
        if !(self.max_p99_ms > 0.0 && self.max_p99_ms.is_finite()) {
            return bad("--max-p99-ms must be above 0");
        }
        Ok(())
    }
}

/// Where the server and the bots run, and which CPUs their windows are measured over.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub server_cpu: Option<u32>,
    pub bots_cpu: Option<u32>,
    /// CPUs counted in the contamination figures.
    pub measured_cpus: Vec<u32>,
    pub describe: String,
}

/// Decide the placement from the CPUs this process may use. Pure.
pub fn placement(p: Pinning, allowed: &[u32], has_taskset: bool) -> Result<Placement, String> {
    let pin = match p {
        Pinning::Off => false,
        Pinning::Auto => allowed.len() >= 3 && has_taskset,
        Pinning::On if !has_taskset => return Err("--pinning on needs taskset (util-linux)".into()),
        Pinning::On if allowed.len() < 2 => {
            return Err(format!("--pinning on needs two CPUs; this process may use {allowed:?}"));
        }
        Pinning::On => true,
    };
    let list = |c: &[u32]| c.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    Ok(if pin {
        let (s, b) = (allowed[0], allowed[1]);
        let free = match allowed.len() - 2 {
            0 => "no CPU left".to_owned(),
            n => format!("{n} more CPU(s) left"),
        };
        Placement {
            server_cpu: Some(s),
            bots_cpu: Some(b),
            measured_cpus: vec![s, b],
            describe: format!(
                "server pinned to CPU {s} (TOKIO_WORKER_THREADS=1), bots pinned to CPU {b}, \
                 {free} for everything else"
            ),
        }
    } else {
        Placement {
            server_cpu: None,
            bots_cpu: None,
            measured_cpus: allowed.to_vec(),
            describe: format!("server and bots unpinned, sharing CPUs {}", list(allowed)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: CapacityArgs,
    }

    fn parse(args: &[&str]) -> Result<CapacityArgs, String> {
        Cli::try_parse_from(std::iter::once("capacity").chain(args.iter().copied()))
            .map(|c| c.a)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_leave_scheduling_and_placement_alone() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.priority, Priority::Normal, "no real-time by default");
        assert_eq!(a.pinning, Pinning::Off, "no pinning by default");
        assert_eq!(a.port, 0, "a port the kernel picks");
        assert_eq!((a.max_foreign_cores, a.retries), (0.10, 0));
        assert_eq!(
            (a.game.as_str(), a.protocol, a.lobby(), a.min_players()),
            ("arena", Protocol::V2, 16, 1)
        );
        assert_eq!(a.gate().min_in_match, 0.99);
        assert!(a.validate().is_ok());
    }

    #[test]
    fn the_game_sets_the_lobby_and_needs_its_protocol() {
        let c4 = parse(&["--game", "connect4", "--min-in-match", "0.9"]).unwrap();
        assert_eq!((c4.lobby(), c4.min_players(), c4.gate().min_in_match), (2, 2, 0.9));
        assert_eq!(c4.tick_hz(), 10, "connect4's own rate");
        assert_eq!(parse(&["--game", "connect4", "--tick-hz", "20"]).unwrap().tick_hz(), 20);
        assert_eq!(parse(&[]).unwrap().tick_hz(), 30);
        assert!(c4.validate().is_ok());
        let big = parse(&["--game", "arena_v2", "--lobby-size", "32"]).unwrap();
        assert_eq!((big.lobby(), big.min_players()), (32, 1));
        for game in ["connect4", "arena_v2"] {
            let e = parse(&["--game", game, "--protocol", "1"]).unwrap().validate().unwrap_err();
            assert!(e.to_string().contains("--protocol 2"), "{e}");
        }
        assert!(parse(&["--game", "arena_v1", "--protocol", "1"]).unwrap().validate().is_ok());
        // An older server's `arena` is the v1 game: left to the server to refuse.
        assert!(parse(&["--game", "arena", "--protocol", "1"]).unwrap().validate().is_ok());
        let e = parse(&["--game", "a\"\nb"]).unwrap().validate().unwrap_err();
        assert!(e.to_string().contains("--game"), "{e}");
        assert!(parse(&["--protocol", "3"]).is_err());
    }

    #[test]
    fn out_of_range_values_name_their_flag() {
        for (args, flag) in [
            (&["--steps", "0"][..], "--steps"),
            (&["--steps", "10,x"], "--steps"),
            (&["--min-delivery", "1.5"], "--min-delivery"),
            (&["--max-foreign-cores=-1"], "--max-foreign-cores"),
            (&["--retries", "11"], "--retries"),
            (&["--bot-threads", "0"], "--bot-threads"),
        ] {
            let e = parse(args).unwrap_err();
            assert!(e.contains(flag), "{args:?}: {e}");
        }
        for (args, flag) in [
            (&["--measure", "1s"][..], "--measure"),
            (&["--ramp=-5"], "--ramp"),
            (&["--start-timeout", "0s"], "--start-timeout"),
            (&["--max-p99-ms", "0"], "--max-p99-ms"),
        ] {
            let e = parse(args).unwrap().validate().unwrap_err().to_string();
            assert!(e.contains(flag), "{args:?}: {e}");
        }
    }

    #[test]
    fn placement_pins_only_when_asked_or_roomy() {
        let off = placement(Pinning::Off, &[0, 1], true).unwrap();
        assert_eq!((off.server_cpu, off.measured_cpus.clone()), (None, vec![0, 1]));
        assert!(off.describe.contains("unpinned"), "{}", off.describe);
        // Auto on two CPUs would leave nothing for the rest of the system.
        assert_eq!(placement(Pinning::Auto, &[0, 1], true).unwrap().server_cpu, None);
        let auto = placement(Pinning::Auto, &[2, 3, 5], true).unwrap();
        assert_eq!((auto.server_cpu, auto.bots_cpu), (Some(2), Some(3)), "this process's CPUs");
        assert_eq!(auto.measured_cpus, vec![2, 3]);
        assert!(auto.describe.contains("1 more CPU(s) left"), "{}", auto.describe);
        assert_eq!(placement(Pinning::Auto, &[0, 1, 2], false).unwrap().server_cpu, None);
        assert!(placement(Pinning::On, &[0], true).unwrap_err().contains("two CPUs"));
        assert!(placement(Pinning::On, &[0, 1], false).unwrap_err().contains("taskset"));
        let two = placement(Pinning::On, &[0, 1], true).unwrap();
        assert_eq!((two.server_cpu, two.bots_cpu), (Some(0), Some(1)));
        assert!(two.describe.contains("no CPU left for everything else"), "{}", two.describe);
    }
}
