//! The figures of one capacity step, the capacity verdict, and the Markdown table.

use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What the capacity benchmark holds a step to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub min_delivery: f64,
    pub max_p99_ms: f64,
    /// A step only counts if at least this fraction of its bots were in a match.
    pub min_in_match: f64,
}

/// One step of the benchmark, measured over the swarm's window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub bots: u32,
    /// Mean bots in a match over the window.
    pub in_match: f64,
    pub server_cores: Option<f64>,
    pub server_rss_idle_mib: Option<f64>,
    pub server_rss_mib: Option<f64>,
    /// (RSS - idle RSS) / players in a match.
    pub rss_per_player_kib: Option<f64>,
    pub bot_cores: Option<f64>,
    /// TCP payload the server sent per player per second, as the bots read it (TLS records).
    pub wire_bytes_per_s_per_player: f64,
    /// MessagePack bytes of state messages per player per second.
    pub state_bytes_per_s_per_player: f64,
    pub delivery: Option<f64>,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_p999_ms: f64,
    pub errors: u64,
    pub resyncs: u64,
    /// Fraction of each CPU that was busy over the window (anyone's work, softirq included).
    #[serde(default)]
    pub core_busy: Vec<f64>,
}

impl Step {
    pub fn cores_per_1000(&self) -> Option<f64> {
        self.server_cores.filter(|_| self.in_match > 0.0).map(|c| c * 1000.0 / self.in_match)
    }

    pub fn passes(&self, g: &Gate) -> bool {
        self.delivery.is_some_and(|d| d >= g.min_delivery)
            && self.ack_p99_ms <= g.max_p99_ms
            && self.in_match >= g.min_in_match * f64::from(self.bots)
    }
}

/// The largest step that passes the gate.
pub fn capacity(steps: &[Step], g: &Gate) -> Option<u32> {
    steps.iter().filter(|s| s.passes(g)).map(|s| s.bots).max()
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// The table of steps, as Markdown.
pub fn markdown(steps: &[Step], g: &Gate) -> String {
    let mut o = String::new();
    o.push_str(
                "| bots | in match | server CPU (cores) | server CPU / 1000 players | server RSS idle → loaded (MiB) | RSS / player (KiB) | bots CPU (cores) | CPU busy (all work, per core) | server → player (B/s, wire) | state (B/s / player) | delivery | input→ack p50 (ms) | p99 (ms) | p99.9 (ms) | errors | SLO |\n",
    );
    o.push_str(
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--|\n",
    );
    for s in steps {
        let _ = writeln!(
            o,
            "| {} | {:.0} | {} | {} | {} → {} | {} | {} | {} | {:.0} | {:.0} | {} | {:.1} | {:.1} | {:.1} | {} | {} |",
            s.bots,
            s.in_match,
            f(s.server_cores, 2),
            f(s.cores_per_1000(), 2),
            f(s.server_rss_idle_mib, 1),
            f(s.server_rss_mib, 1),
            f(s.rss_per_player_kib, 1),
            f(s.bot_cores, 2),
            if s.core_busy.is_empty() {
                "-".to_owned()
            } else {
                s.core_busy
                    .iter()
                    .map(|b| format!("{:.0}%", b * 100.0))
                    .collect::<Vec<_>>()
                    .join(" / ")
            },
            s.wire_bytes_per_s_per_player,
            s.state_bytes_per_s_per_player,
            s.delivery.map_or("-".into(), |d| format!("{:.2}%", d * 100.0)),
            s.ack_p50_ms,
            s.ack_p99_ms,
            s.ack_p999_ms,
            s.errors,
            if s.passes(g) { "pass" } else { "fail" }
        );
    }
    let _ = writeln!(
        o,
        "\nCapacity (delivery ≥ {:.0}%, p99 input→ack ≤ {} ms, ≥ {:.0}% of bots in a match): **{}**",
        g.min_delivery * 100.0,
        g.max_p99_ms,
        g.min_in_match * 100.0,
        capacity(steps, g).map_or("below the smallest step".into(), |n| format!("{n} players"))
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(bots: u32, delivery: f64, p99: f64) -> Step {
        Step {
            bots,
            in_match: f64::from(bots),
            server_cores: Some(f64::from(bots) / 2500.0),
            delivery: Some(delivery),
            ack_p99_ms: p99,
            ..Step::default()
        }
    }

    #[test]
    fn capacity_is_the_largest_passing_step() {
        let g = Gate { min_delivery: 0.99, max_p99_ms: 50.0, min_in_match: 0.99 };
        let steps = [
            step(500, 1.0, 40.0),
            step(1000, 0.995, 45.0),
            step(1500, 0.98, 45.0),
            step(2000, 1.0, 60.0),
        ];
        assert_eq!(capacity(&steps, &g), Some(1000));
        assert_eq!(capacity(&steps[2..], &g), None);
        let mut short = step(3000, 1.0, 10.0);
        short.in_match = 2000.0;
        assert!(!short.passes(&g), "a step whose bots did not all play does not count");
        assert!((steps[1].cores_per_1000().unwrap() - 0.4).abs() < 1e-9);
        let md = markdown(&steps, &g);
        assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 5);
        assert!(md.contains("**1000 players**"), "{md}");
        assert!(md.contains("| fail |"));
    }
}
