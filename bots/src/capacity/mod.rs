//! `tickwave-bots capacity`: the capacity benchmark.
//!
//! For each step (a number of bots) it starts a fresh release server with a benchmark modes
//! file (lobbies of 16 at 30 Hz, countdown 0, an hour-long match), measures its idle RSS, runs
//! a swarm as a child process (random walk, 20 inputs/s, ramp, warmup, window), samples the
//! server's CPU and RSS from `/proc` while it runs, reads the swarm's JSON report, and
//! stops the server. With two or more cores and `taskset` present the server runs on CPU 0
//! (one tokio worker) and the bots on CPU 1, so neither steals the other's core. Each runs
//! in its own session (`setsid`), hence its own scheduler autogroup, which `--priority high`
//! (the default, as root) raises to nice -10: on a machine shared with builds, the benchmark
//! then measures Tickwave rather than the neighbours.

mod table;

pub use table::{Gate, Step, capacity, markdown};

use crate::swarm::{Report, parse_duration};
use crate::sys;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error("{0}")]
    Setup(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("reading the swarm report {path}: {msg}")]
    Report { path: PathBuf, msg: String },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CapacityError {
    let what = what.into();
    move |source| CapacityError::Io { what, source }
}

/// Whether the server and the bots get a core each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pinning {
    /// Pin when there are two or more cores and `taskset` is installed.
    Auto,
    On,
    Off,
}

/// Scheduling priority of the benchmark processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Priority {
    /// Own autogroup at nice -10 (needs root; otherwise as normal).
    High,
    /// Real-time (SCHED_FIFO 10 via `chrt`, root): other work on the machine gets only the
    /// share the kernel reserves for it (5% by default) while a step runs.
    Realtime,
    Normal,
}

/// Run the capacity benchmark: swarms of increasing size against a fresh server each.
#[derive(Debug, Clone, clap::Args)]
pub struct CapacityArgs {
    /// The server binary (default: `tickwave` beside this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Bot counts, one step each.
    #[arg(long, value_delimiter = ',', default_value = "250,500,1000,1500,2000,2500")]
    pub steps: Vec<u32>,
    /// Bots started per second.
    #[arg(long, default_value_t = 250.0)]
    pub ramp: f64,
    /// Time after the ramp before measuring.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub settle: Duration,
    /// Length of the measured window.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub measure: Duration,
    #[arg(long, default_value_t = 20)]
    pub input_hz: u32,
    #[arg(long, default_value_t = 16)]
    pub lobby_size: u32,
    #[arg(long, default_value_t = 30)]
    pub tick_hz: u32,
    /// Threads of the bot process.
    #[arg(long, default_value_t = 1)]
    pub bot_threads: usize,
    #[arg(long, value_enum, default_value = "auto")]
    pub pinning: Pinning,
    /// Scheduling of the server and the bots while a step runs. Real-time by default (as
    /// root): on a machine shared with builds, the benchmark then measures Tickwave rather
    /// than its neighbours; `high` is gentler, `normal` leaves scheduling alone.
    #[arg(long, value_enum, default_value = "realtime")]
    pub priority: Priority,
    /// Port of the benchmark server (127.0.0.1).
    #[arg(long, default_value_t = 4499)]
    pub port: u16,
    /// Where step reports, logs and the results go.
    #[arg(long, default_value = "target/capacity")]
    pub out: PathBuf,
    /// The gate a step must hold to count toward the capacity.
    #[arg(long, default_value_t = 50.0)]
    pub max_p99_ms: f64,
    #[arg(long, default_value_t = 0.99)]
    pub min_delivery: f64,
}

impl CapacityArgs {
    fn gate(&self) -> Gate {
        Gate { min_delivery: self.min_delivery, max_p99_ms: self.max_p99_ms, min_in_match: 0.99 }
    }
}

/// A child process that is killed when dropped (the benchmark never leaves a server behind).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn modes_toml(a: &CapacityArgs) -> String {
    format!(
        "# Written by tickwave-bots capacity: lobbies that start at once and run all benchmark long.\n\
         [[mode]]\nname = \"arena\"\ngame = \"arena\"\nmax_players = {}\nmin_players = 1\n\
         countdown_ms = 0\nfill_timeout_ms = 200\nbackfill = true\nmatch_length_ms = 3600000\n\
         tick_hz = {}\n",
        a.lobby_size, a.tick_hz
    )
}

/// `program` in a new session (its own autogroup), pinned to `pin_cpu` if given.
fn command(a: &CapacityArgs, pin_cpu: Option<u32>, program: &Path) -> Command {
    let mut c = Command::new("setsid");
    if a.priority == Priority::Realtime {
        c.args(["chrt", "-f", "10"]);
    }
    if let Some(cpu) = pin_cpu {
        c.arg("taskset").arg("-c").arg(cpu.to_string());
    }
    c.arg(program);
    c
}

/// Raise the autogroup of `pid` to nice -10 once `setsid` has given it its own; best effort.
fn boost(a: &CapacityArgs, pid: u32) {
    if a.priority != Priority::High {
        return;
    }
    let path = format!("/proc/{pid}/autogroup");
    let group = |p: &str| {
        std::fs::read_to_string(p).ok().and_then(|s| s.split_whitespace().next().map(str::to_owned))
    };
    let ours = group("/proc/self/autogroup");
    for _ in 0..200 {
        match group(&path) {
            // Still in our group: the child has not called setsid yet.
            Some(g) if Some(&g) == ours.as_ref() => std::thread::sleep(Duration::from_millis(5)),
            Some(_) => {
                let _ = std::fs::write(&path, "-10");
                return;
            }
            None => return,
        }
    }
}

/// The text without ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Start the server and wait for its fingerprint in the log.
fn start_server(
    a: &CapacityArgs,
    bin: &Path,
    pin: bool,
    dir: &Path,
) -> Result<(Reaped, String), CapacityError> {
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).map_err(io("creating server.log"))?;
    let mut cmd = command(a, pin.then_some(0), bin);
    cmd.args(["--listen", &format!("127.0.0.1:{}", a.port)])
        .arg("--data-dir")
        .arg(a.out.join("data"))
        .arg("--modes")
        .arg(a.out.join("modes.toml"))
        .env("RUST_LOG", "warn,tickwave::net=info")
        .env("NO_COLOR", "1")
        // Only the game listener: an admin listener on its default port would collide with
        // another server on the machine.
        .env("TICKWAVE_ADMIN_LISTEN", "off")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(io("opening server.log"))?)
        .stderr(log);
    if pin {
        cmd.env("TOKIO_WORKER_THREADS", "1");
    }
    let mut child = Reaped(cmd.spawn().map_err(io(format!("starting {}", bin.display())))?);
    boost(a, child.0.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(CapacityError::Setup(format!(
                "the server exited ({status}); see {}",
                log_path.display()
            )));
        }
        let text = strip_ansi(&std::fs::read_to_string(&log_path).unwrap_or_default());
        if let Some(fp) = text.split("sha256=").nth(1) {
            let fp: String = fp.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if fp.len() == 64 {
                return Ok((child, fp));
            }
        }
        if Instant::now() > deadline {
            return Err(CapacityError::Setup(format!(
                "no fingerprint in {} after 20 s",
                log_path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One `/proc` sample of the server: seconds since the swarm started, CPU seconds, RSS KiB.
#[derive(Debug, Clone)]
struct Sample {
    t: f64,
    cpu: f64,
    rss_kib: u64,
    /// (busy, total) jiffies of each CPU of the machine.
    cores: Vec<(u64, u64)>,
}

fn sample(pid: &str, t0: Instant) -> Option<Sample> {
    Some(Sample {
        t: t0.elapsed().as_secs_f64(),
        cpu: sys::cpu_time(pid)?.as_secs_f64(),
        rss_kib: sys::rss_kib(pid)?.0,
        cores: sys::cpu_jiffies(),
    })
}

fn nearest(samples: &[Sample], t: f64) -> Option<&Sample> {
    samples.iter().min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
}

fn run_step(a: &CapacityArgs, bin: &Path, pin: bool, bots: u32) -> Result<Step, CapacityError> {
    let dir = a.out.join(format!("step-{bots}"));
    std::fs::create_dir_all(&dir).map_err(io("creating the step directory"))?;
    let (server, fp) = start_server(a, bin, pin, &dir)?;
    let pid = server.0.id().to_string();
    std::thread::sleep(Duration::from_secs(1));
    let idle = sys::rss_kib(&pid).map(|r| r.0);

    let ramp_s = if a.ramp > 0.0 { f64::from(bots) / a.ramp } else { 0.0 };
    let warmup = Duration::from_secs_f64(ramp_s.ceil()) + a.settle;
    let duration = warmup + a.measure;
    let report_path = dir.join("swarm.json");
    let exe = std::env::current_exe().map_err(io("finding this executable"))?;
    let mut cmd = command(a, pin.then_some(1), &exe);
    cmd.arg("swarm")
        .args(["--url", &format!("wss://127.0.0.1:{}/ws", a.port)])
        .args(["--pin", &fp])
        .args(["--bots", &bots.to_string()])
        .args(["--ramp", &a.ramp.to_string()])
        .args(["--duration", &format!("{}s", duration.as_secs_f64())])
        .args(["--warmup", &format!("{}s", warmup.as_secs_f64())])
        .args(["--input-hz", &a.input_hz.to_string()])
        .args(["--behaviour", "random-walk", "--seed", "1"])
        .args(["--threads", &a.bot_threads.to_string()])
        .args(["--progress", "plain"])
        .arg("--report")
        .arg(&report_path)
        .arg("--chart")
        .arg(dir.join("swarm.svg"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("swarm.txt")).map_err(io("creating swarm.txt"))?)
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut swarm = Reaped(cmd.spawn().map_err(io("starting the swarm"))?);
    boost(a, swarm.0.id());
    // Show the swarm's progress lines as they come.
    let stderr = swarm.0.stderr.take();
    let relay = std::thread::spawn(move || {
        if let Some(e) = stderr {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                eprintln!("    {line}");
            }
        }
    });
    let mut samples = Vec::new();
    let status = loop {
        if let Some(s) = sample(&pid, t0) {
            samples.push(s);
        }
        match swarm.0.try_wait().map_err(io("waiting for the swarm"))? {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(250)),
        }
    };
    let _ = relay.join();
    drop(server);
    if !matches!(status.code(), Some(0 | 3)) {
        return Err(CapacityError::Setup(format!(
            "the swarm of {bots} failed ({status}); see {}",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&report_path).map_err(io("reading the swarm report"))?;
    let r: Report = serde_json::from_str(&text)
        .map_err(|e| CapacityError::Report { path: report_path.clone(), msg: e.to_string() })?;
    Ok(step_figures(&r, bots, &samples, idle))
}

/// Combine the swarm's report with the server samples over the same window.
fn step_figures(r: &Report, bots: u32, samples: &[Sample], idle_kib: Option<u64>) -> Step {
    // The swarm's clock starts a few tens of ms after it is spawned; close enough at 250 ms
    // sampling over a 20 s window.
    let (w0, w1) = r.window_s;
    let (a, b) = (nearest(samples, w0), nearest(samples, w1));
    let server_cores = match (a, b) {
        (Some(a), Some(b)) if b.t - a.t > 1.0 => Some((b.cpu - a.cpu) / (b.t - a.t)),
        _ => None,
    };
    // How busy each core was, whoever used it (softirq work and other processes included).
    let core_busy = match (a, b) {
        (Some(a), Some(b)) => a
            .cores
            .iter()
            .zip(&b.cores)
            .map(|(x, y)| (y.0 - x.0) as f64 / (y.1 - x.1).max(1) as f64)
            .collect(),
        _ => Vec::new(),
    };
    let loaded: Vec<u64> =
        samples.iter().filter(|s| s.t >= w0 && s.t <= w1).map(|s| s.rss_kib).collect();
    let rss = loaded.iter().copied().max();
    let in_match = r.bots.mean_in_match;
    let mib = |k: u64| k as f64 / 1024.0;
    Step {
        bots,
        in_match,
        server_cores,
        server_rss_idle_mib: idle_kib.map(mib),
        server_rss_mib: rss.map(mib),
        rss_per_player_kib: match (rss, idle_kib) {
            (Some(r), Some(i)) if in_match > 0.0 => Some(r.saturating_sub(i) as f64 / in_match),
            _ => None,
        },
        bot_cores: r.bot_process.cores_used,
        wire_bytes_per_s_per_player: r.traffic.wire_in_bytes_per_s_per_bot,
        state_bytes_per_s_per_player: r.traffic.state_bytes_per_s_per_bot,
        delivery: r.delivery.ratio,
        ack_p50_ms: r.latency.input_to_ack.p50_ms,
        ack_p99_ms: r.latency.input_to_ack.p99_ms,
        ack_p999_ms: r.latency.input_to_ack.p999_ms,
        errors: r.errors.total,
        resyncs: r.delivery.resyncs,
        core_busy,
    }
}

/// Run every step; print and write the results (`capacity.md`, `capacity.json` in `--out`).
pub fn run_cli(a: &CapacityArgs) -> Result<Vec<Step>, CapacityError> {
    let bin = match &a.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .map_err(io("finding this executable"))?
            .with_file_name("tickwave"),
    };
    if !bin.exists() {
        return Err(CapacityError::Setup(format!(
            "no server binary at {} (cargo build --release, or --server-bin)",
            bin.display()
        )));
    }
    let machine = sys::Machine::detect();
    let has_taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let pin = match a.pinning {
        Pinning::On => true,
        Pinning::Off => false,
        Pinning::Auto => machine.cores >= 2 && has_taskset,
    };
    if pin && !has_taskset {
        return Err(CapacityError::Setup("--pinning on needs taskset".into()));
    }
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let a =
        &CapacityArgs { priority: if root { a.priority } else { Priority::Normal }, ..a.clone() };
    std::fs::create_dir_all(&a.out).map_err(io("creating the output directory"))?;
    std::fs::write(a.out.join("modes.toml"), modes_toml(a)).map_err(io("writing modes.toml"))?;
    let mut placement = if pin {
        "server pinned to CPU 0 (TOKIO_WORKER_THREADS=1), bots pinned to CPU 1".to_owned()
    } else {
        "server and bots unpinned, sharing all cores".to_owned()
    };
    match a.priority {
        Priority::High => placement += "; each in its own autogroup at nice -10",
        Priority::Realtime => placement += "; each SCHED_FIFO 10 (real-time) in its own session",
        Priority::Normal => {}
    }
    eprintln!("capacity benchmark on {}: {placement}", machine.describe());
    let mut steps = Vec::new();
    for &bots in &a.steps {
        eprintln!("== {bots} bots");
        let step = run_step(a, &bin, pin, bots)?;
        eprintln!(
            "   server {} cores, RSS/player {} KiB, bots {} cores, delivery {}, p99 {:.1} ms",
            step.server_cores.map_or("-".into(), |c| format!("{c:.2}")),
            step.rss_per_player_kib.map_or("-".into(), |c| format!("{c:.1}")),
            step.bot_cores.map_or("-".into(), |c| format!("{c:.2}")),
            step.delivery.map_or("-".into(), |d| format!("{:.2}%", d * 100.0)),
            step.ack_p99_ms
        );
        steps.push(step);
    }
    let g = a.gate();
    let md = format!(
        "Machine: {}; load average before the run {}.\nPlacement: {placement}.\n\
         Workload: lobbies of {}, {} Hz, {} inputs/s per bot (random walk), wss with TLS, \
         ramp {} bots/s, {} s settle, {} s measured.\n\n{}",
        machine.describe(),
        machine.load_average.map_or("-".into(), |l| format!("{l:.2}")),
        a.lobby_size,
        a.tick_hz,
        a.input_hz,
        a.ramp,
        a.settle.as_secs_f64(),
        a.measure.as_secs_f64(),
        markdown(&steps, &g)
    );
    println!("{md}");
    std::fs::write(a.out.join("capacity.md"), &md).map_err(io("writing capacity.md"))?;
    let json = serde_json::json!({ "machine": machine, "pinned": pin, "gate": g, "steps": steps });
    std::fs::write(
        a.out.join("capacity.json"),
        serde_json::to_string_pretty(&json).expect("serializes"),
    )
    .map_err(io("writing capacity.json"))?;
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_survives_colours() {
        let line = "INFO \u{1b}[3msha256\u{1b}[0m\u{1b}[2m=\u{1b}[0mab12 x";
        assert_eq!(strip_ansi(line), "INFO sha256=ab12 x");
    }
}
