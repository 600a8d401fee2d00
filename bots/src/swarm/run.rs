//! `run`: a swarm from start to report. The collector gathers the measurements; here they
//! become the [`Report`] (per-bot rates over the window, latency summaries, delivery, the
//! bot process's own cost) and its SLOs are checked.

use super::collector::{self, Collected};
use super::config::SwarmConfig;
use super::error::SwarmError;
use super::games::Games;
use super::report::{
    BotCounts, BotProcess, Chat, Delivery, Errors, Latency, NodeLoss, Point, Report, Spread,
    Traffic,
};
use super::slo;
use super::stats::{self, ErrorKind, HistSummary};
use super::views::Views;
use crate::sys;
use std::sync::Arc;

/// Run a swarm to the end and report. Blocks the calling thread (which collects and shows
/// progress); call it from `spawn_blocking` inside an async context.
pub fn run(cfg: SwarmConfig) -> Result<Report, SwarmError> {
    cfg.validate().map_err(SwarmError::Config)?;
    let cfg = Arc::new(cfg);
    let c = collector::run_shards(&cfg)?;
    Ok(build_report(&cfg, c))
}

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn build_report(cfg: &SwarmConfig, c: Collected) -> Report {
    let t = &c.totals;
    let elapsed_s = c.elapsed.as_secs_f64();
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
        started_unix_s: c.started_unix_s,
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
        games: Games::of(&c.games),
        views: Views::of(&c.views),
        node_loss: NodeLoss::of(&c.records),
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
