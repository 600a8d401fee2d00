//! One step: a fresh server, one swarm process, `/proc` sampled every 250 ms, and the
//! step's figures from the swarm's report and the samples of its window.

use super::args::{CapacityArgs, Priority};
use super::error::{CapacityError, io};
use super::interrupt::Interrupt;
use super::realtime;
use super::server::{self, Reaped, ServerSpec};
use super::table::{Contamination, LatencyOf, Step};
use super::usage::{self, Sample};
use crate::swarm::Report;
use crate::sys;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Everything a step needs besides its size.
pub(crate) struct StepEnv<'a> {
    pub(crate) args: &'a CapacityArgs,
    pub(crate) server: ServerSpec<'a>,
    pub(crate) bots_cpu: Option<u32>,
    /// CPUs the server and the bots may run on: what contamination is measured over.
    pub(crate) cpus: &'a [u32],
    pub(crate) priority: Priority,
    pub(crate) stop: &'a Interrupt,
}

fn sample(t0: Instant, server: u32, bots: u32, cpus: &[u32]) -> Sample {
    let all = sys::cpu_times();
    let tree = sys::process_tree_ticks(server);
    Sample {
        t: t0.elapsed().as_secs_f64(),
        cpus: cpus.iter().filter_map(|c| all.get(c).copied()).collect(),
        server: tree.map(|t| t.0),
        server_children: tree.map_or(0, |t| t.1),
        bots: sys::process_tree_ticks(bots).map(|t| t.0),
        tool: sys::proc_stat("self").map(|s| s.own_ticks()),
        server_rss_kib: sys::rss_kib(&server.to_string()).map(|r| r.0),
    }
}

/// Real-time scheduling during a step: the server's threads at once, the bots' once their
/// threads exist, both again just before the window (catching threads started since), and
/// what that left is recorded.
#[derive(Default)]
struct RtStages {
    bots_done: bool,
    window_done: bool,
    verified: Option<String>,
}

impl RtStages {
    fn advance(&mut self, t: f64, warmup: f64, server: u32, bots: u32) -> Result<(), String> {
        if !self.bots_done && t >= 0.5 {
            realtime::apply(bots)?;
            self.bots_done = true;
        }
        if self.bots_done && !self.window_done && t >= (warmup - 1.0).max(0.5) {
            realtime::apply(server)?;
            realtime::apply(bots)?;
            self.window_done = true;
            let (s, b) = (realtime::inspect(server), realtime::inspect(bots));
            self.verified = Some(format!("server {}; bots {}", s.describe(), b.describe()));
        }
        Ok(())
    }
}

fn sleep_checked(d: Duration, stop: &Interrupt) -> Result<(), CapacityError> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        stop.check()?;
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    Ok(())
}

/// Run `bots` bots against a fresh server; reports, logs and charts go to `out/<name>`.
pub(crate) fn run_step(env: &StepEnv<'_>, bots: u32, name: &str) -> Result<Step, CapacityError> {
    let a = env.args;
    let dir = a.out.join(name);
    std::fs::create_dir_all(&dir).map_err(io("creating the step directory"))?;
    let srv = server::start(&env.server, &dir, env.stop)?;
    let spid = srv.child.pid();
    if let Some(cpu) = env.server.pin_cpu {
        let allowed = sys::allowed_cpus(&spid.to_string());
        if allowed.as_deref() != Some(&[cpu][..]) {
            return Err(CapacityError::Setup(format!(
                "the server should run on CPU {cpu} only, but may run on {allowed:?}"
            )));
        }
    }
    match env.priority {
        Priority::Realtime => realtime::apply(spid).map_err(CapacityError::Setup)?,
        Priority::High => realtime::raise_autogroup(spid),
        Priority::Normal => {}
    }
    sleep_checked(Duration::from_secs(1), env.stop)?;
    let idle = sys::rss_kib(&spid.to_string()).map(|r| r.0);

    let ramp_s = if a.ramp > 0.0 { f64::from(bots) / a.ramp } else { 0.0 };
    let warmup = Duration::from_secs_f64(ramp_s.ceil()) + a.settle;
    let duration = warmup + a.measure;
    let report_path = dir.join("swarm.json");
    let exe = std::env::current_exe().map_err(io("finding this executable"))?;
    let mut cmd = server::command(env.bots_cpu, &exe);
    cmd.arg("swarm")
        .args(["--url", &srv.listening.url])
        .args(["--pin", &srv.listening.fingerprint])
        .args(["--bots", &bots.to_string()])
        .args(["--ramp", &a.ramp.to_string()])
        .args(["--duration", &format!("{}s", duration.as_secs_f64())])
        .args(["--warmup", &format!("{}s", warmup.as_secs_f64())])
        .args(["--mode", &a.game, "--protocol", &a.protocol.number().to_string()])
        .args(["--input-hz", &a.input_hz.to_string()])
        .args(["--think", &format!("{}s", a.think.as_secs_f64())])
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
    let bpid = swarm.pid();
    if env.priority == Priority::High {
        realtime::raise_autogroup(bpid);
    }
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
    let mut rt = RtStages::default();
    let mut srv = srv;
    let status = loop {
        let s = sample(t0, spid, bpid, env.cpus);
        if env.priority == Priority::Realtime {
            rt.advance(s.t, warmup.as_secs_f64(), spid, bpid).map_err(CapacityError::Setup)?;
        }
        samples.push(s);
        if let Ok(Some(status)) = srv.child.0.try_wait() {
            return Err(CapacityError::Setup(format!(
                "the server exited ({status}) during the step of {bots} bots; see {}",
                srv.log.display()
            )));
        }
        env.stop.check()?;
        match swarm.0.try_wait().map_err(io("waiting for the swarm"))? {
            Some(status) => break status,
            None => std::thread::sleep(Duration::from_millis(250)),
        }
    };
    let _ = relay.join();
    drop(srv.child);
    if !matches!(status.code(), Some(0 | 3)) {
        return Err(CapacityError::Setup(format!(
            "the swarm of {bots} bots failed ({status}); see {}",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&report_path).map_err(io("reading the swarm report"))?;
    let r: Report = serde_json::from_str(&text)
        .map_err(|e| CapacityError::Report { path: report_path.clone(), msg: e.to_string() })?;
    let mut step = step_figures(&r, bots, &samples, idle, a.max_foreign_cores);
    if step.connected == 0 {
        return Err(CapacityError::Setup(format!(
            "none of the {bots} bots connected to {} (errors: {:?}); see {} and {}",
            srv.listening.url,
            r.errors.by_kind,
            dir.join("swarm.txt").display(),
            srv.log.display()
        )));
    }
    step.server_url = srv.listening.url;
    step.realtime = rt.verified;
    Ok(step)
}

/// Combine the swarm's report with the samples over the same window.
fn step_figures(
    r: &Report,
    bots: u32,
    samples: &[Sample],
    idle_kib: Option<u64>,
    limit: f64,
) -> Step {
    // The swarm's clock starts a few tens of ms after it is spawned; close enough at 250 ms
    // sampling over a window of seconds.
    let (w0, w1) = r.window_s;
    let u = match (usage::nearest(samples, w0), usage::nearest(samples, w1)) {
        (Some(a), Some(b)) => usage::usage(a, b),
        _ => None,
    };
    let rss = usage::peak_rss_kib(samples, w0, w1);
    let in_match = r.bots.mean_in_match;
    let mib = |k: u64| k as f64 / 1024.0;
    // A game played by commands sends no inputs: its latency is the commands' round trip.
    let (latency, lat) = if r.latency.input_to_ack.count == 0 && r.games.command_rtt.count > 0 {
        (LatencyOf::CommandToResult, &r.games.command_rtt)
    } else {
        (LatencyOf::InputToAck, &r.latency.input_to_ack)
    };
    let contamination = match &u {
        Some(u) if u.contaminated(limit) => Contamination::Contaminated,
        Some(_) => Contamination::Clean,
        None => Contamination::Unmeasured,
    };
    Step {
        bots,
        server_url: String::new(),
        connected: r.per_bot.iter().filter(|b| b.connect_ms.is_some()).count() as u32,
        matched: r.bots.matched,
        in_match,
        server_cores: u.as_ref().map(|u| u.server_cores),
        server_rss_idle_mib: idle_kib.map(mib),
        server_rss_mib: rss.map(mib),
        rss_per_player_kib: match (rss, idle_kib) {
            (Some(r), Some(i)) if in_match > 0.0 => Some(r.saturating_sub(i) as f64 / in_match),
            _ => None,
        },
        bot_cores: u.as_ref().map(|u| u.bots_cores).or(r.bot_process.cores_used),
        server_children_seen: samples.iter().map(|s| s.server_children).max().unwrap_or(0),
        wire_bytes_per_s_per_player: r.traffic.wire_in_bytes_per_s_per_bot,
        state_bytes_per_s_per_player: r.traffic.state_bytes_per_s_per_bot,
        delivery: r.delivery.ratio,
        ack_p50_ms: lat.p50_ms,
        ack_p99_ms: lat.p99_ms,
        ack_p999_ms: lat.p999_ms,
        latency,
        errors: r.errors.total,
        resyncs: r.delivery.resyncs,
        usage: u,
        contamination,
        attempts: 1,
        discarded_foreign_cores: Vec::new(),
        realtime: None,
    }
}

/// Where a step's files go.
pub(crate) fn step_name(prefix: &str, bots: u32, attempt: u32) -> String {
    if attempt == 0 {
        format!("{prefix}-{bots}")
    } else {
        format!("{prefix}-{bots}-retry{attempt}")
    }
}

/// Is this a debug build (figures of an unoptimised server say little)?
pub(crate) fn looks_like_debug_build(bin: &Path) -> bool {
    bin.components().any(|c| c.as_os_str() == "debug")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::CpuTimes;

    #[test]
    fn figures_of_a_step_come_from_its_window() {
        let mut r = Report { window_s: (2.0, 12.0), ..Report::default() };
        r.bots.mean_in_match = 100.0;
        r.bots.matched = 100;
        r.delivery.ratio = Some(1.0);
        // 10 s window, one CPU: server 0.5 core, bots 0.3, other work 0.15 core.
        let at = |t: f64, k: u64| Sample {
            t,
            cpus: vec![CpuTimes { user: k * 95, idle: 1000 * k, ..CpuTimes::default() }],
            server: Some(k * 50),
            server_children: 0,
            bots: Some(k * 30),
            tool: Some(0),
            server_rss_kib: Some(10_000 + k * 100),
        };
        let samples: Vec<Sample> = (0..=14).map(|k| at(k as f64, k)).collect();
        let s = step_figures(&r, 100, &samples, Some(10_000), 0.10);
        let u = s.usage.clone().unwrap();
        assert!((u.foreign_cores - 0.15).abs() < 1e-9, "{u:?}");
        assert_eq!(s.contamination, Contamination::Contaminated);
        assert_eq!(
            step_figures(&r, 100, &samples, Some(10_000), 0.2).contamination,
            Contamination::Clean
        );
        assert!((s.server_cores.unwrap() - 0.5).abs() < 1e-9);
        assert!((s.bot_cores.unwrap() - 0.3).abs() < 1e-9);
        // Peak RSS inside the window (at 12 s), over the idle server, per player.
        assert!((s.rss_per_player_kib.unwrap() - 12.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.matched, 100);
        assert_eq!(s.latency, LatencyOf::InputToAck);
        // Without inputs (connect4) the latency is the commands' round trip.
        let mut c4 = r.clone();
        c4.games.command_rtt.count = 10;
        c4.games.command_rtt.p99_ms = 41.0;
        let s4 = step_figures(&c4, 100, &samples, Some(10_000), 0.10);
        assert_eq!((s4.latency, s4.ack_p99_ms), (LatencyOf::CommandToResult, 41.0));
        // Without /proc nothing is invented.
        let bare: Vec<Sample> =
            samples.iter().map(|x| Sample { cpus: vec![], ..x.clone() }).collect();
        let s = step_figures(&r, 100, &bare, None, 0.10);
        assert_eq!(
            (s.contamination, s.server_cores, s.usage),
            (Contamination::Unmeasured, None, None)
        );
    }

    #[test]
    fn names_and_builds() {
        assert_eq!(step_name("step", 500, 0), "step-500");
        assert_eq!(step_name("step", 500, 2), "step-500-retry2");
        assert!(looks_like_debug_build(Path::new("/w/target/debug/tickwave")));
        assert!(!looks_like_debug_build(Path::new("/w/target/release/tickwave")));
    }
}
