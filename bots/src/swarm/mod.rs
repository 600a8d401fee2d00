//! The bot swarm: thousands of bots speaking the real protocol over wss, measuring the
//! server from the players' side.
//!
//! How a run goes:
//!
//! 1. [`run`] resolves the target once and starts `threads` shards ([`shard`]): each an OS
//!    thread with a single-threaded tokio runtime, owning bots `i % threads == shard`.
//! 2. Each shard starts its bots on the ramp's schedule. A bot ([`bot`]) is one task with one
//!    timer: connect, `hello`, `find_match`, inputs at `input_hz` chosen by its
//!    [`behaviour`], and every snapshot and delta applied to a local copy and checked.
//! 3. Bots record into their shard's [`stats`] without locks; every second each shard sends
//!    the collector (the calling thread) an interval, which becomes a point of the time
//!    series and the live [`progress`] line.
//! 4. At the stop, shards send their totals and per-bot records; the collector builds the
//!    [`Report`] (table, JSON, [`chart`]) and checks the [`slo`]s.

pub mod behaviour;
mod bot;
pub mod chart;
mod cli;
mod config;
mod conn;
mod msgpack;
mod progress;
pub mod record;
pub mod report;
mod shard;
pub mod slo;
pub mod stats;
mod track;
mod view;
mod wire;

pub use behaviour::{Behaviour, BehaviourMix};
pub use cli::{SwarmArgs, parse_duration, run_cli};
pub use config::{
    ChurnMode, DEFAULT_CHAT_RATE, ProgressMode, SERVER_CHAT_RATE, Settings, Slo, SwarmConfig,
};
pub use report::Report;

use crate::client::ClientError;
use crate::sys;
use record::BotRecord;
use report::{BotCounts, BotProcess, Chat, Delivery, Errors, Latency, Point, Spread, Traffic};
use shard::{ShardMsg, ShardPlan};
use stats::{ErrorKind, HistSummary, Interval, Totals};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Why a swarm could not run (measurements that fail an SLO are not errors: see [`slo`]).
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error("invalid settings: {0}")]
    Config(String),
    #[error("target: {0}")]
    Target(#[from] ClientError),
    #[error("starting: {0}")]
    Io(#[from] std::io::Error),
    #[error("a bot thread failed: {0}")]
    Shard(String),
}

/// Run a swarm to the end and report. Blocks the calling thread (which collects and shows
/// progress); call it from `spawn_blocking` inside an async context.
pub fn run(cfg: SwarmConfig) -> Result<Report, SwarmError> {
    cfg.validate().map_err(SwarmError::Config)?;
    let target = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(conn::Target::resolve(&cfg.url, &cfg.check))?;
    if let Some(limit) = sys::open_files_limit() {
        if u64::from(cfg.bots) + 64 > limit {
            tracing::warn!(
                limit,
                bots = cfg.bots,
                "the open-files limit is below the bot count: raise it (ulimit -n)"
            );
        }
    }
    let cfg = Arc::new(cfg);
    let started_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let cpu0 = sys::cpu_time("self").unwrap_or_default();
    // A common start a little ahead, so every shard's seconds line up.
    let start = Instant::now() + Duration::from_millis(50);
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let mut threads = Vec::new();
    for index in 0..cfg.threads {
        let plan = ShardPlan {
            index,
            cfg: cfg.clone(),
            target: target.clone(),
            start,
            stop: stop.clone(),
            tx: tx.clone(),
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("bots-{index}"))
                .spawn(move || shard::run(plan))?,
        );
    }
    drop(tx);
    let collected = collect(&cfg, rx, start, cpu0);
    for t in threads {
        let _ = t.join();
    }
    let c = collected?;
    Ok(build_report(&cfg, c, started_unix_s, start.elapsed()))
}

/// What the collector gathered.
struct Collected {
    series: Vec<Point>,
    totals: Totals,
    records: Vec<BotRecord>,
    /// (seconds since start, CPU seconds of this process) once a second.
    cpu: Vec<(f64, f64)>,
}

fn collect(
    cfg: &SwarmConfig,
    rx: mpsc::Receiver<ShardMsg>,
    start: Instant,
    cpu0: Duration,
) -> Result<Collected, SwarmError> {
    let shards = cfg.threads;
    let mut progress = progress::Progress::new(cfg.progress, cfg.bots);
    let mut pending: BTreeMap<u64, (usize, Interval)> = BTreeMap::new();
    let mut c = Collected {
        series: Vec::new(),
        totals: Totals::new(),
        records: Vec::new(),
        cpu: vec![(0.0, cpu0.as_secs_f64())],
    };
    let mut done = 0;
    let mut last_cpu = (start.elapsed().as_secs_f64(), cpu0.as_secs_f64());
    while done < shards {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(ShardMsg::Second { index, interval }) => {
                let e = pending.entry(index).or_insert_with(|| (0, Interval::new()));
                e.0 += 1;
                e.1.counters.add(&interval.counters);
                e.1.gauges.add(&interval.gauges);
                e.1.ack.add(&interval.ack).expect("same bounds");
                while let Some(entry) = pending.first_entry() {
                    if entry.get().0 < shards {
                        break;
                    }
                    let (t_s, (_, iv)) = entry.remove_entry();
                    let now = (
                        start.elapsed().as_secs_f64(),
                        sys::cpu_time("self").map_or(last_cpu.1, |d| d.as_secs_f64()),
                    );
                    let cores = (now.0 > last_cpu.0 + 0.2)
                        .then(|| (now.1 - last_cpu.1) / (now.0 - last_cpu.0));
                    last_cpu = now;
                    c.cpu.push(now);
                    let point = point(t_s, &iv, cores);
                    progress.update(&point);
                    c.series.push(point);
                }
            }
            Ok(ShardMsg::Done { totals, records }) => {
                done += 1;
                c.totals.merge(&totals);
                c.records.extend(records);
            }
            Ok(ShardMsg::Failed(e)) => {
                progress.finish();
                return Err(SwarmError::Shard(e));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                progress.finish();
                return Err(SwarmError::Shard("a bot thread ended early".into()));
            }
        }
    }
    progress.finish();
    if let Some(cpu) = sys::cpu_time("self") {
        c.cpu.push((start.elapsed().as_secs_f64(), cpu.as_secs_f64()));
    }
    c.records.sort_by_key(|r| r.id);
    Ok(c)
}

fn point(t_s: u64, iv: &Interval, bot_cores: Option<f64>) -> Point {
    let q = |q: f64| (!iv.ack.is_empty()).then(|| iv.ack.value_at_quantile(q) as f64 / 1000.0);
    let n = &iv.counters;
    Point {
        t_s,
        gauges: iv.gauges,
        state_msgs_per_s: n.state_msgs,
        state_bytes_per_s: n.state_bytes,
        wire_in_per_s: n.wire_in,
        wire_out_per_s: n.wire_out,
        inputs_per_s: n.inputs_sent,
        errors: n.errors,
        ack_p50_ms: q(0.5),
        ack_p99_ms: q(0.99),
        bot_cores,
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn build_report(cfg: &SwarmConfig, c: Collected, started_unix_s: u64, elapsed: Duration) -> Report {
    let t = &c.totals;
    let elapsed_s = elapsed.as_secs_f64();
    let (w0, w1) = cfg.window();
    let (w0, w1) = (w0.as_secs_f64(), w1.as_secs_f64().min(elapsed_s));
    let window = (w1 - w0).max(1e-9);
    // Mean bots in a match over the seconds inside the window.
    let inside: Vec<&Point> =
        c.series.iter().filter(|p| p.t_s as f64 >= w0 && (p.t_s + 1) as f64 <= w1 + 0.5).collect();
    let mean_in_match = if inside.is_empty() {
        0.0
    } else {
        inside.iter().map(|p| f64::from(p.gauges.in_match)).sum::<f64>() / inside.len() as f64
    };
    let per_bot = |v: f64| if mean_in_match > 0.0 { v / window / mean_in_match } else { 0.0 };
    let n = &t.counters;
    let received: u64 = c.records.iter().map(|r| r.state_msgs).sum();
    let expected: f64 = c.records.iter().map(|r| r.expected_state).sum();
    let by_kind =
        ErrorKind::ALL.iter().map(|k| (k.as_str().to_owned(), t.errors[*k as usize])).collect();
    // CPU of this process inside the window: the samples nearest its ends.
    let cpu_at =
        |s: f64| c.cpu.iter().min_by(|a, b| (a.0 - s).abs().total_cmp(&(b.0 - s).abs())).copied();
    let cores_used = match (cpu_at(w0), cpu_at(w1)) {
        (Some(a), Some(b)) if b.0 - a.0 > 0.5 => Some((b.1 - a.1) / (b.0 - a.0)),
        _ => None,
    };
    let mut deliveries: Vec<f64> = c.records.iter().filter_map(|r| r.delivery).collect();
    let mut ack_p99s: Vec<f64> = c.records.iter().filter_map(|r| r.ack_p99_ms).collect();
    let worst = c
        .records
        .iter()
        .filter_map(|r| Some((r.id, r.ack_p99_ms?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut report = Report {
        tool: concat!("tickwave-bots/", env!("CARGO_PKG_VERSION")).into(),
        settings: cfg.settings(),
        machine: sys::Machine::detect(),
        server: t.server.clone(),
        started_unix_s,
        elapsed_s,
        window_s: (w0, w1),
        bots: BotCounts {
            target: cfg.bots,
            spawned: c.records.len() as u32,
            matched: c.records.iter().filter(|r| r.matches > 0).count() as u32,
            peak_connected: c.series.iter().map(|p| p.gauges.connected).max().unwrap_or(0),
            peak_in_match: c.series.iter().map(|p| p.gauges.in_match).max().unwrap_or(0),
            mean_in_match,
            sessions: t.sessions,
            connects_ok: t.connects_ok,
            matches: t.matches,
            resumes: t.resumes,
            resume_deltas: t.resume_deltas,
            resume_snapshots: t.resume_snapshots,
            redirects: t.redirects,
        },
        latency: Latency {
            connect: HistSummary::of(&t.connect),
            find_to_match: HistSummary::of(&t.find_to_match),
            first_snapshot: HistSummary::of(&t.first_snapshot),
            resume: HistSummary::of(&t.resume),
            rtt_server: HistSummary::of(&t.rtt_server),
            rtt_bot: HistSummary::of(&t.rtt_bot),
            input_to_ack: HistSummary::of(&t.ack),
        },
        traffic: Traffic {
            state_msgs: n.state_msgs,
            state_msgs_per_s: n.state_msgs as f64 / window,
            state_bytes_per_s: n.state_bytes as f64 / window,
            state_msgs_per_s_per_bot: per_bot(n.state_msgs as f64),
            state_bytes_per_s_per_bot: per_bot(n.state_bytes as f64),
            wire_in_bytes_per_s_per_bot: per_bot(n.wire_in as f64),
            wire_out_bytes_per_s_per_bot: per_bot(n.wire_out as f64),
            other_msgs: n.other_msgs,
            inputs_sent: n.inputs_sent,
            inputs_acked: n.inputs_acked,
            inputs_unacked: t.inputs_unacked,
            inputs_per_s: n.inputs_sent as f64 / window,
        },
        delivery: Delivery {
            expected,
            received,
            ratio: (expected >= 1.0).then(|| (received as f64 / expected).min(1.0)),
            gaps: n.gaps,
            missed_ticks: n.missed_ticks,
            resyncs: n.resyncs,
            arrival_phase: t.phase.to_vec(),
            busiest_eighth_share: stats::busiest_eighth(&t.phase),
        },
        chat: Chat {
            sent: n.chat_sent,
            received: n.chat_received,
            sent_per_s: n.chat_sent as f64 / window,
            received_per_s: n.chat_received as f64 / window,
            echo_latency: HistSummary::of(&t.chat_echo),
            refused: t.errors[ErrorKind::ChatRefused as usize],
        },
        errors: Errors {
            total: t.errors.iter().sum(),
            rate: if t.sessions > 0 {
                t.sessions_with_errors as f64 / t.sessions as f64
            } else {
                0.0
            },
            sessions_with_errors: t.sessions_with_errors,
            by_kind,
            server_codes: t.server_codes.clone(),
            disconnects: t.errors[ErrorKind::Disconnect as usize],
            churns: t.churns,
        },
        bot_process: BotProcess {
            threads: cfg.threads,
            cpu_s: match (c.cpu.first(), c.cpu.last()) {
                (Some(a), Some(b)) => b.1 - a.1,
                _ => 0.0,
            },
            cores_used,
            max_rss_mib: sys::rss_kib("self").map(|(_, hwm)| hwm as f64 / 1024.0),
        },
        per_bot_spread: Spread {
            delivery_min: deliveries.iter().copied().reduce(f64::min),
            delivery_median: median(&mut deliveries),
            ack_p99_ms_median: median(&mut ack_p99s),
            ack_p99_ms_max: worst.map(|w| w.1),
            worst_bot: worst.map(|w| w.0),
        },
        slo: Vec::new(),
        passed: true,
        series: c.series,
        per_bot: c.records,
    };
    report.slo = slo::evaluate(&report, &cfg.slo);
    report.passed = report.slo.iter().all(|c| c.ok);
    report
}
