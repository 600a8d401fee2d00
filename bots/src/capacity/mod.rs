//! `tickwave-bots capacity`: the capacity benchmark.
//!
//! For each step (a number of bots) it starts a fresh server with a benchmark modes file
//! (lobbies of 16 at 30 Hz, countdown 0, an hour-long match) in a temporary directory, on a
//! port the kernel picks, checks that it answers, measures its idle RSS, runs a swarm as a
//! child process (random walk, 20 inputs/s, ramp, settle, window), samples `/proc` every
//! 250 ms, reads the swarm's JSON report, and stops the server.
//!
//! It measures the machine as well as the server: over each window, the CPU the machine's
//! CPUs spent on anything but the server, the bots and this tool is "foreign" work, and a
//! step with more than `--max-foreign-cores` of it (or as much steal time) is contaminated:
//! shown, and not counted as pass or fail ([`usage`], [`table::verdict`]).
//!
//! Scheduling is left alone by default. Pinning (`--pinning`) and a higher priority
//! (`--priority high|realtime`) are options, and real-time is used only after it was shown
//! to be safe and to help ([`realtime`]).

mod args;
mod error;
mod interrupt;
pub mod realtime;
mod server;
mod step;
mod table;
pub mod usage;

pub use args::{CapacityArgs, Pinning, Placement, Priority, placement};
pub use error::CapacityError;
pub use server::{Listening, parse_listening};
pub use table::{Contamination, Gate, LatencyOf, Status, Step, Verdict, markdown, verdict};

use crate::sys;
use error::io;
use interrupt::Interrupt;
use serde_json::json;
use server::ServerSpec;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use step::{StepEnv, run_step, step_name};

/// The benchmark's one mode: `--game`'s game under its own name, lobbies that start at once
/// and run all benchmark long (a game that ends its matches sooner, like connect4, re-queues
/// its bots).
fn modes_toml(a: &CapacityArgs) -> String {
    format!(
        "# Written by tickwave-bots capacity: lobbies that start at once and run all benchmark long.\n\
         [[mode]]\nname = \"{game}\"\ngame = \"{game}\"\nmax_players = {}\nmin_players = {}\n\
         countdown_ms = 0\nfill_timeout_ms = 200\nbackfill = {}\nmatch_length_ms = 3600000\n\
         tick_hz = {}\n",
        a.lobby(),
        a.min_players(),
        // A seat of a finished game of two is no seat: connect4's built-in mode has none.
        a.game != "connect4",
        a.tick_hz(),
        game = a.game
    )
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Raise the soft open-files limit (inherited by the server and the bots) to what the
/// largest step needs: one descriptor per connection on each side, plus some.
fn ensure_open_files(max_bots: u32) -> Result<u64, CapacityError> {
    let need = u64::from(max_bots) + 256;
    let got = rlimit::increase_nofile_limit(need).map_err(io("raising the open-files limit"))?;
    if got < need {
        return Err(CapacityError::Setup(format!(
            "the largest step ({max_bots} bots) needs about {need} open files in the server and \
             in the bot process, but the hard limit is {got}: raise it (ulimit -Hn, \
             /etc/security/limits.conf) or use smaller --steps"
        )));
    }
    Ok(got)
}

fn server_bin(a: &CapacityArgs) -> Result<PathBuf, CapacityError> {
    let bin = match &a.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .map_err(io("finding this executable"))?
            .with_file_name("tickwave"),
    };
    if !bin.is_file() {
        return Err(CapacityError::Setup(format!(
            "no server binary at {}: build it with `cargo build --release -p tickwave -p \
             tickwave-bots` (bots/capacity.sh does), or pass --server-bin",
            bin.display()
        )));
    }
    Ok(bin)
}

/// What was asked for and what is used, with the findings that decided it.
struct PriorityChoice {
    used: Priority,
    findings: Vec<String>,
    calibration: Vec<Step>,
}

/// Resolve `--priority`: privileges for `high`; for `realtime` the preflight, then a
/// calibration of the first step at normal and at real-time priority.
fn choose_priority(
    a: &CapacityArgs,
    env: &mut StepEnv<'_>,
    placement: &Placement,
) -> Result<PriorityChoice, CapacityError> {
    let normal =
        |findings| PriorityChoice { used: Priority::Normal, findings, calibration: vec![] };
    match a.priority {
        Priority::Normal => Ok(normal(vec![])),
        Priority::High => Ok(if realtime::privileged() {
            PriorityChoice { used: Priority::High, findings: vec![], calibration: vec![] }
        } else {
            normal(vec!["high priority needs CAP_SYS_NICE: not used".into()])
        }),
        Priority::Realtime => {
            let pinned: Vec<u32> =
                placement.server_cpu.into_iter().chain(placement.bots_cpu).collect();
            let mut findings = match realtime::Preflight::detect(pinned).judge(a.max_foreign_cores)
            {
                Ok(f) => f,
                Err(no) => {
                    return Ok(normal(
                        no.iter().map(|r| format!("real-time not used: {r}")).collect(),
                    ));
                }
            };
            let bots = a.steps[0];
            eprintln!("== calibrating real-time with {bots} bots ({})", findings.join("; "));
            env.priority = Priority::Normal;
            let n = run_step(env, bots, &step_name("calibrate-normal", bots, 0))?;
            env.priority = Priority::Realtime;
            let r = run_step(env, bots, &step_name("calibrate-realtime", bots, 0))?;
            let (keep, why) = realtime::keep_realtime(&n, &r);
            findings.push(why);
            if let Some(v) = &r.realtime {
                findings.push(format!("verified in the calibration window: {v}"));
            }
            let used = if keep { Priority::Realtime } else { Priority::Normal };
            Ok(PriorityChoice { used, findings, calibration: vec![n, r] })
        }
    }
}

/// Run every step; print and write the results (`capacity.md`, `capacity.json` in `--out`).
pub fn run_cli(a: &CapacityArgs) -> Result<Vec<Step>, CapacityError> {
    a.validate()?;
    let stop = Interrupt::install();
    let bin = server_bin(a)?;
    if !found("setsid") {
        return Err(CapacityError::Setup("setsid (util-linux) is not installed".into()));
    }
    let machine = sys::Machine::detect();
    let allowed = sys::allowed_cpus("self").unwrap_or_else(|| (0..machine.cores as u32).collect());
    let place = placement(a.pinning, &allowed, found("taskset")).map_err(CapacityError::Setup)?;
    let max_bots = a.steps.iter().copied().max().unwrap_or(0);
    let open_files = ensure_open_files(max_bots)?;
    std::fs::create_dir_all(&a.out).map_err(io("creating the output directory"))?;
    let home = tempfile::Builder::new()
        .prefix("tickwave-capacity-")
        .tempdir()
        .map_err(io("creating a temporary directory for the server"))?;
    let modes = home.path().join("modes.toml");
    std::fs::write(&modes, modes_toml(a)).map_err(io("writing modes.toml"))?;
    std::fs::write(a.out.join("modes.toml"), modes_toml(a)).map_err(io("writing modes.toml"))?;
    let mut env = StepEnv {
        args: a,
        server: ServerSpec {
            bin: &bin,
            home: home.path(),
            modes: &modes,
            port: a.port,
            pin_cpu: place.server_cpu,
            extra_args: &a.server_arg,
            start_timeout: a.start_timeout,
        },
        bots_cpu: place.bots_cpu,
        cpus: &place.measured_cpus,
        priority: Priority::Normal,
        stop: &stop,
    };
    let debug = step::looks_like_debug_build(&bin);
    eprintln!(
        "capacity benchmark on {}\n  server {}{}\n  {}\n  open files limit {open_files}",
        machine.describe(),
        bin.display(),
        if debug { " (a debug build: figures are not representative)" } else { "" },
        place.describe
    );
    let choice = choose_priority(a, &mut env, &place)?;
    for f in &choice.findings {
        eprintln!("  {f}");
    }
    env.priority = choice.used;
    let mut steps = Vec::new();
    let result = run_steps(&env, &mut steps);
    if steps.is_empty() {
        result?;
        return Ok(steps);
    }
    let g = a.gate();
    let priority = match (a.priority, choice.used) {
        (asked, used) if asked == used => used.name().to_owned(),
        (asked, used) => format!("{} ({} was asked for, not used)", used.name(), asked.name()),
    };
    let aborted = result.as_ref().err().map(ToString::to_string);
    let think = if a.think.is_zero() {
        String::new()
    } else {
        format!(", {} s of thought per move", a.think.as_secs_f64())
    };
    let md = format!(
        "Machine: {}; load average before the run {}.\nServer: {}{}.\nPlacement: {}; \
         priority {priority}.\nWorkload: game {}, protocol {}, lobbies of {}, {} Hz, {} inputs/s \
         per bot (random walk){think}, wss with TLS, ramp {} bots/s, {} s settle, {} s measured; \
         contaminated above {:.2} core of other work.\n\n{}{}",
        machine.describe(),
        machine.load_average.map_or("-".into(), |l| format!("{l:.2}")),
        bin.display(),
        if debug { " (debug build)" } else { "" },
        place.describe,
        a.game,
        a.protocol.number(),
        a.lobby(),
        a.tick_hz(),
        a.input_hz,
        a.ramp,
        a.settle.as_secs_f64(),
        a.measure.as_secs_f64(),
        a.max_foreign_cores,
        markdown(&steps, &g),
        aborted.as_ref().map_or(String::new(), |e| format!("\n**Aborted**: {e}\n")),
    );
    println!("{md}");
    std::fs::write(a.out.join("capacity.md"), &md).map_err(io("writing capacity.md"))?;
    let json = json!({
        "tool": concat!("tickwave-bots/", env!("CARGO_PKG_VERSION")),
        "machine": machine,
        "server_bin": bin,
        "debug_build": debug,
        "open_files_limit": open_files,
        "placement": {
            "pinned": place.server_cpu.is_some(),
            "server_cpu": place.server_cpu,
            "bots_cpu": place.bots_cpu,
            "measured_cpus": place.measured_cpus,
            "describe": place.describe,
        },
        "priority": {
            "requested": a.priority.name(),
            "used": choice.used.name(),
            "findings": choice.findings,
            "calibration": choice.calibration,
        },
        "settings": {
            "steps": a.steps, "ramp": a.ramp, "settle_s": a.settle.as_secs_f64(),
            "measure_s": a.measure.as_secs_f64(), "input_hz": a.input_hz,
            "game": a.game, "protocol": a.protocol.number(),
            "lobby_size": a.lobby(), "tick_hz": a.tick_hz(), "bot_threads": a.bot_threads,
            "retries": a.retries, "server_args": a.server_arg,
        },
        "gate": g,
        "steps": steps,
        "verdict": verdict(&steps, &g),
        "aborted": aborted,
    });
    std::fs::write(
        a.out.join("capacity.json"),
        serde_json::to_string_pretty(&json).expect("serializes"),
    )
    .map_err(io("writing capacity.json"))?;
    result.map(|()| steps)
}

/// Every step in turn, a contaminated one again up to `--retries` times; completed steps
/// are in `steps` even when a later one fails.
fn run_steps(env: &StepEnv<'_>, steps: &mut Vec<Step>) -> Result<(), CapacityError> {
    let a = env.args;
    for &bots in &a.steps {
        let mut discarded = Vec::new();
        for attempt in 0..=a.retries {
            eprintln!(
                "== {bots} bots{}",
                if attempt > 0 { format!(", retry {attempt}") } else { String::new() }
            );
            let mut step = run_step(env, bots, &step_name("step", bots, attempt))?;
            let foreign = step.usage.as_ref().map_or(0.0, |u| u.foreign_cores.max(u.steal_cores));
            eprintln!(
                "   server {} cores, bots {} cores, other work {foreign:.2} cores ({}), delivery {}, p99 {:.1} ms",
                step.server_cores.map_or("-".into(), |c| format!("{c:.2}")),
                step.bot_cores.map_or("-".into(), |c| format!("{c:.2}")),
                match step.contamination {
                    Contamination::Clean => "clean",
                    Contamination::Contaminated => "CONTAMINATED",
                    Contamination::Unmeasured => "unmeasured",
                },
                step.delivery.map_or("-".into(), |d| format!("{:.2}%", d * 100.0)),
                step.ack_p99_ms
            );
            let last = attempt == a.retries;
            if step.contamination == Contamination::Contaminated && !last {
                discarded.push(foreign);
                continue;
            }
            step.attempts = attempt + 1;
            step.discarded_foreign_cores = std::mem::take(&mut discarded);
            steps.push(step);
            break;
        }
    }
    Ok(())
}
