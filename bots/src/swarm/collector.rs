//! The collector: the calling thread of a run. It starts the shards (OS threads of bots),
//! merges the interval each sends every second into one point of the time series (shown on
//! the live progress line), and gathers their totals and per-bot records at the end.

use super::config::SwarmConfig;
use super::error::SwarmError;
use super::games::GameTotals;
use super::net::conn::Target;
use super::progress::Progress;
use super::record::BotRecord;
use super::shard::{self, ShardMsg, ShardPlan};
use super::stats::{Interval, Point, Totals};
use super::views::ViewTotals;
use crate::sys;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the collector gathered.
pub(crate) struct Collected {
    pub(crate) series: Vec<Point>,
    pub(crate) totals: Totals,
    pub(crate) games: GameTotals,
    pub(crate) views: ViewTotals,
    pub(crate) records: Vec<BotRecord>,
    /// (seconds since start, CPU seconds of this process) once a second.
    pub(crate) cpu: Vec<(f64, f64)>,
    /// When the run started (Unix time, seconds), and how long it took (until the last shard
    /// thread ended).
    pub(crate) started_unix_s: u64,
    pub(crate) elapsed: Duration,
}

/// Resolve the target once, start `threads` shards on a common start, collect their seconds
/// (the time series and the progress line) and their totals until the last one is done.
pub(crate) fn run_shards(cfg: &Arc<SwarmConfig>) -> Result<Collected, SwarmError> {
    let target = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(Target::resolve(cfg.urls()[0], &cfg.check))?;
    if let Some(limit) = sys::open_files_limit() {
        if u64::from(cfg.bots) + 64 > limit {
            tracing::warn!(
                limit,
                bots = cfg.bots,
                "the open-files limit is below the bot count: raise it (ulimit -n)"
            );
        }
    }
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
    let collected = collect(cfg, rx, start, cpu0);
    for t in threads {
        let _ = t.join();
    }
    let mut c = collected?;
    c.started_unix_s = started_unix_s;
    c.elapsed = start.elapsed();
    Ok(c)
}

fn collect(
    cfg: &SwarmConfig,
    rx: mpsc::Receiver<ShardMsg>,
    start: Instant,
    cpu0: Duration,
) -> Result<Collected, SwarmError> {
    let shards = cfg.threads;
    let mut progress = Progress::new(cfg.progress, cfg.bots);
    let mut pending: BTreeMap<u64, (usize, Interval)> = BTreeMap::new();
    let mut c = Collected {
        series: Vec::new(),
        totals: Totals::new(),
        games: GameTotals::default(),
        views: ViewTotals::default(),
        records: Vec::new(),
        cpu: vec![(0.0, cpu0.as_secs_f64())],
        started_unix_s: 0,
        elapsed: Duration::ZERO,
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
            Ok(ShardMsg::Done { totals, games, views, records }) => {
                done += 1;
                c.totals.merge(&totals);
                c.games.merge(&games);
                c.views.merge(&views);
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
