//! The outcome of a run: the JSON report (`--report`), and the table printed at the end.

use super::config::Settings;
use super::games::Games;
use super::record::BotRecord;
use super::stats::HistSummary;
use super::views::Views;
use crate::sys::Machine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The points of [`Report::series`] (defined with the measurements the collector turns into
/// them).
pub use super::stats::Point;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// `tickwave-bots/<version>`.
    pub tool: String,
    pub settings: Settings,
    pub machine: Machine,
    /// `welcome.server` (e.g. `tickwave/0.1.0`).
    pub server: Option<String>,
    pub started_unix_s: u64,
    pub elapsed_s: f64,
    /// The measurement window `[warmup, stop]`, seconds from the start.
    pub window_s: (f64, f64),
    pub bots: BotCounts,
    pub latency: Latency,
    pub traffic: Traffic,
    pub delivery: Delivery,
    /// Chat lines (`chat` bots), inside the window.
    #[serde(default)]
    pub chat: Chat,
    pub errors: Errors,
    /// Matches ended with `results`, and protocol 2's commands and events.
    #[serde(default)]
    pub games: Games,
    /// Every state message checked against the bot's own view (issue 16): failures by kind
    /// fail the run.
    #[serde(default)]
    pub views: Views,
    /// Cluster mode with several `--url`s: bots whose node was lost under them.
    #[serde(default)]
    pub node_loss: NodeLoss,
    pub bot_process: BotProcess,
    pub per_bot_spread: Spread,
    /// Each SLO given, with the measured value.
    pub slo: Vec<SloCheck>,
    /// True when every SLO given holds.
    pub passed: bool,
    /// One point per second of the run.
    pub series: Vec<Point>,
    pub per_bot: Vec<BotRecord>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BotCounts {
    pub target: u32,
    pub spawned: u32,
    /// Bots that got at least one `match_found`.
    pub matched: u32,
    pub peak_connected: u32,
    pub peak_in_match: u32,
    /// Mean of bots in a match over the window (the divisor of the per-bot rates).
    pub mean_in_match: f64,
    pub sessions: u64,
    pub connects_ok: u64,
    pub matches: u64,
    /// Sessions the server resumed, and whether the seat caught up with one delta or needed
    /// a snapshot.
    pub resumes: u64,
    pub resume_deltas: u64,
    pub resume_snapshots: u64,
    /// Cluster mode: `redirect`s followed to the node holding the seat.
    #[serde(default)]
    pub redirects: u64,
}

/// Bots whose node went away (a welcomed connection broke and the reconnect was refused),
/// and how long until they were in a match again on another node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeLoss {
    /// Bots that lost their node at least once.
    pub players_affected: u32,
    /// Node losses in all (a bot can lose two nodes).
    pub losses: u32,
    /// Losses followed by a `match_found` before the end of the run.
    pub recovered: u32,
    /// Bots still without a match at the end of the run, by id.
    pub stranded: Vec<u32>,
    /// Connection break to the next `match_found`, ms (`None` without losses).
    pub time_to_match_p50_ms: Option<f64>,
    pub time_to_match_max_ms: Option<f64>,
}

impl NodeLoss {
    /// From the per-bot records.
    pub fn of(records: &[BotRecord]) -> NodeLoss {
        let mut times: Vec<f64> =
            records.iter().flat_map(|r| r.recover_ms.iter().copied()).collect();
        times.sort_by(f64::total_cmp);
        NodeLoss {
            players_affected: records.iter().filter(|r| r.node_losses > 0).count() as u32,
            losses: records.iter().map(|r| r.node_losses).sum(),
            recovered: times.len() as u32,
            stranded: records.iter().filter(|r| r.stranded).map(|r| r.id).collect(),
            time_to_match_p50_ms: times.get(times.len().saturating_sub(1) / 2).copied(),
            time_to_match_max_ms: times.last().copied(),
        }
    }
}

/// Latency distributions. Connection setup covers the whole run; the others the window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// TCP + TLS + WebSocket upgrade.
    pub connect: HistSummary,
    /// `find_match` sent to `match_found` received.
    pub find_to_match: HistSummary,
    /// `match_found` to the first snapshot.
    pub first_snapshot: HistSummary,
    /// Resuming bots: reconnect start to the first state message of the held seat.
    pub resume: HistSummary,
    /// The server's measurement (`rtt.last_ms` of its pings).
    pub rtt_server: HistSummary,
    /// The bots' own WebSocket pings.
    pub rtt_bot: HistSummary,
    /// Input sent until a state message acks it.
    pub input_to_ack: HistSummary,
}

/// Traffic inside the window. Per-bot rates divide by the mean number of bots in a match.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Traffic {
    pub state_msgs: u64,
    pub state_msgs_per_s: f64,
    pub state_bytes_per_s: f64,
    pub state_msgs_per_s_per_bot: f64,
    pub state_bytes_per_s_per_bot: f64,
    /// TCP payload (TLS records, WebSocket frames, pings) per bot per second.
    pub wire_in_bytes_per_s_per_bot: f64,
    pub wire_out_bytes_per_s_per_bot: f64,
    pub other_msgs: u64,
    pub inputs_sent: u64,
    pub inputs_acked: u64,
    /// Whole run: inputs never acked because their match ended or the bot stopped.
    pub inputs_unacked: u64,
    pub inputs_per_s: f64,
}

/// State messages received against `tick_hz x time in a match`, inside the window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Delivery {
    pub expected: f64,
    pub received: u64,
    /// received / expected, at most 1; `None` when nothing was expected.
    pub ratio: Option<f64>,
    pub gaps: u64,
    pub missed_ticks: u64,
    pub resyncs: u64,
    /// Arrivals of state messages over the tick period (32 slots), and the share in its
    /// busiest eighth: 0.125 when lobbies tick spread out, near 1 when they all tick at once.
    #[serde(default)]
    pub arrival_phase: Vec<u64>,
    pub busiest_eighth_share: Option<f64>,
}

/// Chat inside the window: lines the `chat` bots sent, lines all bots received (every member
/// of a lobby receives every line, so received is about sent x lobby size), and the time
/// from sending a line to receiving its own echo.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Chat {
    pub sent: u64,
    pub received: u64,
    pub sent_per_s: f64,
    pub received_per_s: f64,
    /// A line sent until the sender received it back.
    pub echo_latency: HistSummary,
    /// Whole run: lines the server refused (`chat_rate_limited`, `chat_too_long`,
    /// `chat_invalid`); also counted as `chat_refused` errors.
    pub refused: u64,
}

/// Errors over the whole run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Errors {
    pub total: u64,
    /// Sessions (connection attempts) that saw at least one error, over all sessions.
    pub rate: f64,
    pub sessions_with_errors: u64,
    pub by_kind: BTreeMap<String, u64>,
    /// `error` codes the server sent, and close codes (`close 1008`).
    pub server_codes: BTreeMap<String, u64>,
    pub disconnects: u64,
    /// Intentional reconnects of churning bots (not errors).
    pub churns: u64,
}

/// The bot process itself, so a run shows whether it measured the server or the bots.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BotProcess {
    pub threads: usize,
    /// CPU (user + system) over the whole run, seconds.
    pub cpu_s: f64,
    /// Cores used on average inside the window.
    pub cores_used: Option<f64>,
    pub max_rss_mib: Option<f64>,
}

/// How the bots compare with each other.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Spread {
    pub delivery_min: Option<f64>,
    pub delivery_median: Option<f64>,
    pub ack_p99_ms_median: Option<f64>,
    pub ack_p99_ms_max: Option<f64>,
    /// The bot with the worst p99 input-to-ack latency.
    pub worst_bot: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SloCheck {
    pub name: String,
    /// `<=` or `>=`.
    pub op: String,
    pub limit: f64,
    pub actual: Option<f64>,
    pub ok: bool,
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}{unit}"))
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// The end-of-run summary table.
    pub fn table(&self) -> String {
        let s = &self.settings;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "tickwave-bots swarm: {} bots -> {} ({}), mode {}, protocol {}, {}, {} inputs/s",
            s.bots,
            s.url,
            self.server.as_deref().unwrap_or("server unknown"),
            s.mode,
            s.protocol.number(),
            s.behaviour,
            s.input_hz
        );
        let _ = writeln!(
            o,
            "run {:.1} s, measured {:.1}-{:.1} s; machine: {}\n",
            self.elapsed_s,
            self.window_s.0,
            self.window_s.1,
            self.machine.describe()
        );
        let b = &self.bots;
        let _ = writeln!(
            o,
            "bots      spawned {} | matched {} | peak connected {} | peak in match {} | sessions {} | matches {} | resumed {} ({} by delta, {} by snapshot) | redirects {}",
            b.spawned,
            b.matched,
            b.peak_connected,
            b.peak_in_match,
            b.sessions,
            b.matches,
            b.resumes,
            b.resume_deltas,
            b.resume_snapshots,
            b.redirects
        );
        let n = &self.node_loss;
        if n.losses > 0 {
            let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
            let _ = writeln!(
                o,
                "node loss players affected {} | losses {} | recovered {} | stranded {} | time to a new match p50 {} ms, max {} ms",
                n.players_affected,
                n.losses,
                n.recovered,
                n.stranded.len(),
                ms(n.time_to_match_p50_ms),
                ms(n.time_to_match_max_ms)
            );
        }
        let _ = writeln!(
            o,
            "\n{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max"
        );
        let l = &self.latency;
        for (name, h) in [
            ("connect (tcp+tls+ws)", &l.connect),
            ("find_match -> match", &l.find_to_match),
            ("match -> 1st snapshot", &l.first_snapshot),
            ("resume -> state", &l.resume),
            ("rtt (server pings)", &l.rtt_server),
            ("rtt (bot pings)", &l.rtt_bot),
            ("input -> ack", &l.input_to_ack),
        ] {
            let _ = writeln!(
                o,
                "  {:<22} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                name, h.count, h.p50_ms, h.p90_ms, h.p99_ms, h.p999_ms, h.max_ms
            );
        }
        let t = &self.traffic;
        let _ = writeln!(
            o,
            "\ntraffic   {} state msgs ({:.0}/s, {:.1}/s per bot) | state {:.0} B/s per bot | wire in {:.0} B/s, out {:.0} B/s per bot",
            thousands(t.state_msgs),
            t.state_msgs_per_s,
            t.state_msgs_per_s_per_bot,
            t.state_bytes_per_s_per_bot,
            t.wire_in_bytes_per_s_per_bot,
            t.wire_out_bytes_per_s_per_bot
        );
        let _ = writeln!(
            o,
            "inputs    {} sent ({:.0}/s), {} acked, {} never acked",
            thousands(t.inputs_sent),
            t.inputs_per_s,
            thousands(t.inputs_acked),
            thousands(t.inputs_unacked)
        );
        let d = &self.delivery;
        let _ = writeln!(
            o,
            "delivery  {} ({} of {:.0} expected) | gaps {} ({} ticks missed) | resyncs {}",
            d.ratio.map_or("-".into(), |r| format!("{:.3}%", r * 100.0)),
            thousands(d.received),
            d.expected,
            d.gaps,
            d.missed_ticks,
            d.resyncs
        );
        if let Some(share) = d.busiest_eighth_share {
            let _ = writeln!(
                o,
                "arrival   {:.0}% of state messages in the busiest 1/8 of the tick period (12% = lobbies tick spread out)",
                share * 100.0
            );
        }
        let c = &self.chat;
        if c.sent + c.received + c.refused > 0 || s.behaviour.contains("chat") {
            let h = &c.echo_latency;
            let _ = writeln!(
                o,
                "chat      {} sent ({:.1}/s), {} received ({:.1}/s), {} refused | own echo p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} echoes)",
                thousands(c.sent),
                c.sent_per_s,
                thousands(c.received),
                c.received_per_s,
                c.refused,
                h.p50_ms,
                h.p99_ms,
                h.max_ms,
                h.count
            );
        }
        self.games.table(&mut o);
        self.views.table(&mut o);
        let e = &self.errors;
        let kinds: Vec<String> =
            e.by_kind.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect();
        let codes: Vec<String> = e.server_codes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            o,
            "errors    {} in {} of {} sessions ({:.2}%){}{} | disconnects {} | churn reconnects {}",
            e.total,
            e.sessions_with_errors,
            b.sessions,
            e.rate * 100.0,
            if kinds.is_empty() { String::new() } else { format!(": {}", kinds.join(", ")) },
            if codes.is_empty() {
                String::new()
            } else {
                format!(" (server: {})", codes.join(", "))
            },
            e.disconnects,
            e.churns
        );
        let p = &self.bot_process;
        let _ = writeln!(
            o,
            "bots cpu  {} cores in the window ({} per 1000 bots), {:.1} s total, max RSS {}, {} thread(s)",
            p.cores_used.map_or("-".into(), |c| format!("{c:.2}")),
            p.cores_used
                .filter(|_| b.mean_in_match > 0.0)
                .map_or("-".into(), |c| format!("{:.2}", c * 1000.0 / b.mean_in_match)),
            p.cpu_s,
            opt(p.max_rss_mib, " MiB"),
            p.threads
        );
        let sp = &self.per_bot_spread;
        let _ = writeln!(
            o,
            "per bot   delivery min {} median {} | input->ack p99 median {} worst {}{}",
            opt(sp.delivery_min.map(|v| v * 100.0), "%"),
            opt(sp.delivery_median.map(|v| v * 100.0), "%"),
            opt(sp.ack_p99_ms_median, " ms"),
            opt(sp.ack_p99_ms_max, " ms"),
            sp.worst_bot.map_or(String::new(), |b| format!(" (bot {b})"))
        );
        if !self.slo.is_empty() {
            let _ = writeln!(o);
            for c in &self.slo {
                let _ = writeln!(
                    o,
                    "SLO {:<16} {} {:<8} measured {:<10} {}",
                    c.name,
                    c.op,
                    c.limit,
                    c.actual.map_or("-".into(), |a| format!("{a:.4}")),
                    if c.ok { "ok" } else { "VIOLATED" }
                );
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
