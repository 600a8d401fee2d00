//! The figures of one capacity step, the verdict over all steps, and the Markdown table.
//! Pure: no I/O, so the verdict rules are unit-tested on hand-made steps.

use super::usage::Usage;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What the capacity benchmark holds a step to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub min_delivery: f64,
    pub max_p99_ms: f64,
    /// A step only counts if at least this fraction of its bots were in a match.
    pub min_in_match: f64,
    /// Other work (cores) in a window above which the step is contaminated.
    pub max_foreign_cores: f64,
}

/// Whether other work on the machine disturbed a step's window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Contamination {
    /// Other work stayed at or below the limit.
    Clean,
    /// Other processes (or the hypervisor, as steal time) took more than the limit: the
    /// figures measured the neighbours as much as the server, so the step is not counted.
    Contaminated,
    /// Could not be measured (no `/proc`, or a process vanished mid-window).
    #[default]
    Unmeasured,
}

/// What a step's latency figures (`ack_*_ms`) measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyOf {
    /// Input sent until a state message acks it.
    #[default]
    InputToAck,
    /// Command sent until its `command_result` (a game played by commands, such as connect4,
    /// whose bots send no inputs).
    CommandToResult,
}

/// One step of the benchmark, measured over the swarm's window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub bots: u32,
    /// The server's game URL, from its listening line.
    pub server_url: String,
    /// Peak bots connected, bots that got a `match_found`.
    pub connected: u32,
    pub matched: u32,
    /// Mean bots in a match over the window.
    pub in_match: f64,
    /// The server process and its descendants, cores over the window.
    pub server_cores: Option<f64>,
    pub server_rss_idle_mib: Option<f64>,
    pub server_rss_mib: Option<f64>,
    /// (RSS - idle RSS) / players in a match.
    pub rss_per_player_kib: Option<f64>,
    /// The bot process and its descendants, cores over the window.
    pub bot_cores: Option<f64>,
    /// Most processes the server had started at any sample (it should start none).
    pub server_children_seen: u32,
    /// TCP payload the server sent per player per second, as the bots read it (TLS records).
    pub wire_bytes_per_s_per_player: f64,
    /// MessagePack bytes of state messages per player per second.
    pub state_bytes_per_s_per_player: f64,
    pub delivery: Option<f64>,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_p999_ms: f64,
    /// What the three latency figures above measure.
    #[serde(default)]
    pub latency: LatencyOf,
    pub errors: u64,
    pub resyncs: u64,
    /// Where the CPU of the window went, from `/proc/stat` and the processes' stat files.
    pub usage: Option<Usage>,
    pub contamination: Contamination,
    /// Runs of this step (more than 1 when contaminated runs were retried).
    pub attempts: u32,
    /// Other work (cores) of each discarded contaminated run, in order.
    pub discarded_foreign_cores: Vec<f64>,
    /// Real-time scheduling as verified at the window's start, when it was used.
    pub realtime: Option<String>,
}

/// How a step counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// Not counted either way; `would_pass` says how its (disturbed) figures came out.
    Contaminated {
        would_pass: bool,
    },
}

impl Step {
    pub fn cores_per_1000(&self) -> Option<f64> {
        self.server_cores.filter(|_| self.in_match > 0.0).map(|c| c * 1000.0 / self.in_match)
    }

    /// Whether the figures hold the SLO, contamination aside.
    pub fn holds(&self, g: &Gate) -> bool {
        self.delivery.is_some_and(|d| d >= g.min_delivery)
            && self.ack_p99_ms <= g.max_p99_ms
            && self.in_match >= g.min_in_match * f64::from(self.bots)
    }

    pub fn status(&self, g: &Gate) -> Status {
        match (self.contamination, self.holds(g)) {
            (Contamination::Contaminated, would_pass) => Status::Contaminated { would_pass },
            (_, true) => Status::Pass,
            (_, false) => Status::Fail,
        }
    }

    fn foreign(&self) -> Option<f64> {
        self.usage.as_ref().map(|u| u.foreign_cores)
    }
}

/// The outcome of a whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The largest clean step that holds the SLO.
    pub capacity: Option<u32>,
    /// True when a contaminated step above `capacity` might have held it: the capacity is
    /// then "at least".
    pub lower_bound: bool,
    pub contaminated_steps: Vec<u32>,
    pub unmeasured_steps: Vec<u32>,
    pub text: String,
}

/// The verdict: only clean (or unmeasured) steps count; contaminated ones are named.
pub fn verdict(steps: &[Step], g: &Gate) -> Verdict {
    let capacity = steps.iter().filter(|s| s.status(g) == Status::Pass).map(|s| s.bots).max();
    let contaminated: Vec<&Step> =
        steps.iter().filter(|s| s.contamination == Contamination::Contaminated).collect();
    let unmeasured: Vec<u32> = steps
        .iter()
        .filter(|s| s.contamination == Contamination::Unmeasured)
        .map(|s| s.bots)
        .collect();
    let lower_bound = capacity.is_some_and(|c| contaminated.iter().any(|s| s.bots > c));
    let latency = if steps.iter().any(|s| s.latency == LatencyOf::CommandToResult) {
        "command→result"
    } else {
        "input→ack"
    };
    let slo = format!(
        "delivery ≥ {:.0}%, p99 {latency} ≤ {} ms, ≥ {:.0}% of bots in a match",
        g.min_delivery * 100.0,
        g.max_p99_ms,
        g.min_in_match * 100.0
    );
    let mut text = match capacity {
        Some(n) if lower_bound => format!("Capacity ({slo}): **at least {n} players**"),
        Some(n) => format!("Capacity ({slo}): **{n} players**"),
        None if !steps.is_empty() && contaminated.len() == steps.len() => {
            format!("Capacity ({slo}): **unknown**, every step was contaminated")
        }
        None if contaminated.is_empty() => {
            format!("Capacity ({slo}): **below the smallest step**")
        }
        None => format!("Capacity ({slo}): **no clean step holds it**"),
    };
    if !contaminated.is_empty() {
        let list: Vec<String> = contaminated
            .iter()
            .map(|s| match &s.usage {
                Some(u) if u.steal_cores > u.foreign_cores => {
                    format!("{} (steal {:.2} core)", s.bots, u.steal_cores)
                }
                Some(u) => format!("{} ({:.2} core)", s.bots, u.foreign_cores),
                None => s.bots.to_string(),
            })
            .collect();
        let _ = write!(
            text,
            ".\nContaminated (other work above {:.2} core in the window), not counted as pass or \
             fail: {}. Rerun on a quiet machine, or with --retries N.",
            g.max_foreign_cores,
            list.join(", ")
        );
    }
    if !unmeasured.is_empty() {
        let list: Vec<String> = unmeasured.iter().map(u32::to_string).collect();
        let _ = write!(text, "\nOther work was not measured for: {}.", list.join(", "));
    }
    Verdict {
        capacity,
        lower_bound,
        contaminated_steps: contaminated.iter().map(|s| s.bots).collect(),
        unmeasured_steps: unmeasured,
        text,
    }
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// The table of steps and the verdict, as Markdown.
pub fn markdown(steps: &[Step], g: &Gate) -> String {
    let mut o = String::new();
    o.push_str(
        "| bots | in match | server CPU (cores) | per 1000 players | server RSS idle → loaded (MiB) | RSS / player (KiB) | bots CPU (cores) | foreign CPU (cores) | server → player (B/s, wire) | delivery | input→ack p50 / p99 / p99.9 (ms) | errors | SLO | contamination |\n",
    );
    o.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|:--|:--|\n");
    for s in steps {
        let slo = match s.status(g) {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Contaminated { would_pass: true } => "not counted (pass)",
            Status::Contaminated { would_pass: false } => "not counted (fail)",
        };
        let contamination = match (s.contamination, &s.usage) {
            (Contamination::Clean, _) => "clean".to_owned(),
            (Contamination::Contaminated, Some(u)) if u.steal_cores > g.max_foreign_cores => {
                format!("**contaminated** (steal {:.2})", u.steal_cores)
            }
            (Contamination::Contaminated, _) => "**contaminated**".to_owned(),
            (Contamination::Unmeasured, _) => "unmeasured".to_owned(),
        };
        let retried =
            if s.attempts > 1 { format!(", run {} times", s.attempts) } else { String::new() };
        let _ = writeln!(
            o,
            "| {} | {:.0} | {} | {} | {} → {} | {} | {} | {} | {:.0} | {} | {:.1} / {:.1} / {:.1}{} | {} | {} | {}{} |",
            s.bots,
            s.in_match,
            f(s.server_cores, 2),
            f(s.cores_per_1000(), 2),
            f(s.server_rss_idle_mib, 1),
            f(s.server_rss_mib, 1),
            f(s.rss_per_player_kib, 1),
            f(s.bot_cores, 2),
            f(s.foreign(), 2),
            s.wire_bytes_per_s_per_player,
            s.delivery.map_or("-".into(), |d| format!("{:.2}%", d * 100.0)),
            s.ack_p50_ms,
            s.ack_p99_ms,
            s.ack_p999_ms,
            if s.latency == LatencyOf::CommandToResult { " (command→result)" } else { "" },
            s.errors,
            slo,
            contamination,
            retried,
        );
    }
    let _ = writeln!(o, "\n{}", verdict(steps, g).text);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATE: Gate =
        Gate { min_delivery: 0.99, max_p99_ms: 50.0, min_in_match: 0.99, max_foreign_cores: 0.1 };

    fn step(bots: u32, delivery: f64, p99: f64) -> Step {
        Step {
            bots,
            in_match: f64::from(bots),
            server_cores: Some(f64::from(bots) / 2500.0),
            delivery: Some(delivery),
            ack_p99_ms: p99,
            usage: Some(Usage { foreign_cores: 0.02, ..Usage::default() }),
            contamination: Contamination::Clean,
            attempts: 1,
            ..Step::default()
        }
    }

    fn contaminated(mut s: Step, foreign: f64) -> Step {
        s.usage = Some(Usage { foreign_cores: foreign, ..Usage::default() });
        s.contamination = Contamination::Contaminated;
        s
    }

    #[test]
    fn capacity_is_the_largest_clean_passing_step() {
        let steps = [
            step(500, 1.0, 40.0),
            step(1000, 0.995, 45.0),
            step(1500, 0.98, 45.0),
            step(2000, 1.0, 60.0),
        ];
        let v = verdict(&steps, &GATE);
        assert_eq!((v.capacity, v.lower_bound), (Some(1000), false));
        assert!(v.text.contains("**1000 players**"), "{}", v.text);
        assert_eq!(verdict(&steps[2..], &GATE).capacity, None);
        assert!(verdict(&steps[2..], &GATE).text.contains("below the smallest step"));
        let mut short = step(3000, 1.0, 10.0);
        short.in_match = 2000.0;
        assert_eq!(short.status(&GATE), Status::Fail, "a step whose bots did not all play");
        assert!((steps[1].cores_per_1000().unwrap() - 0.4).abs() < 1e-9);
    }

    #[test]
    fn a_contaminated_step_counts_neither_way_and_is_named() {
        // 1000 would pass and 1500 would fail, but both were disturbed.
        let steps = [
            step(500, 1.0, 40.0),
            contaminated(step(1000, 1.0, 45.0), 0.35),
            contaminated(step(1500, 0.9, 200.0), 0.8),
        ];
        assert_eq!(steps[1].status(&GATE), Status::Contaminated { would_pass: true });
        assert_eq!(steps[2].status(&GATE), Status::Contaminated { would_pass: false });
        let v = verdict(&steps, &GATE);
        assert_eq!(v.capacity, Some(500), "the passing 1000 is not counted");
        assert!(v.lower_bound, "a disturbed larger step might have held");
        assert_eq!(v.contaminated_steps, vec![1000, 1500]);
        assert!(v.text.contains("**at least 500 players**"), "{}", v.text);
        assert!(v.text.contains("1000 (0.35 core), 1500 (0.80 core)"), "{}", v.text);
        assert!(v.text.contains("--retries"), "{}", v.text);

        // A contaminated step below a clean pass does not make it a lower bound.
        let below = [contaminated(step(500, 1.0, 40.0), 0.2), step(1000, 1.0, 40.0)];
        let v = verdict(&below, &GATE);
        assert_eq!((v.capacity, v.lower_bound), (Some(1000), false));
        assert!(v.text.contains("Contaminated"), "still named: {}", v.text);

        let all = [contaminated(step(500, 1.0, 40.0), 0.2)];
        assert!(verdict(&all, &GATE).text.contains("**unknown**"));
        let fail_and_dirty = [step(500, 0.5, 400.0), contaminated(step(1000, 1.0, 40.0), 0.2)];
        let v = verdict(&fail_and_dirty, &GATE);
        assert_eq!(v.capacity, None);
        assert!(v.text.contains("no clean step holds it"), "{}", v.text);
    }

    #[test]
    fn steal_time_is_named_and_unmeasured_steps_are_flagged() {
        let mut s = contaminated(step(750, 1.0, 40.0), 0.01);
        s.usage.as_mut().unwrap().steal_cores = 0.3;
        let mut u = step(500, 1.0, 40.0);
        u.contamination = Contamination::Unmeasured;
        u.usage = None;
        let v = verdict(&[u.clone(), s.clone()], &GATE);
        assert_eq!(v.capacity, Some(500), "an unmeasured step counts, flagged");
        assert_eq!(v.unmeasured_steps, vec![500]);
        assert!(v.text.contains("750 (steal 0.30 core)"), "{}", v.text);
        assert!(v.text.contains("not measured for: 500"), "{}", v.text);
        let md = markdown(&[u, s], &GATE);
        assert!(md.contains("| unmeasured |"), "{md}");
        assert!(md.contains("**contaminated** (steal 0.30)"), "{md}");
    }

    #[test]
    fn the_table_has_a_row_per_step_and_says_what_counted() {
        let mut retried = step(1000, 0.995, 45.0);
        retried.attempts = 3;
        retried.discarded_foreign_cores = vec![0.4, 0.3];
        let steps = [step(500, 1.0, 40.0), retried, contaminated(step(1500, 1.0, 45.0), 0.35)];
        let md = markdown(&steps, &GATE);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 4, "header and three steps\n{md}");
        for col in ["server CPU", "per 1000", "RSS idle → loaded", "RSS / player", "bots CPU"] {
            assert!(rows[0].contains(col), "{col}");
        }
        for col in ["foreign CPU", "delivery", "p50 / p99 / p99.9", "SLO", "contamination"] {
            assert!(rows[0].contains(col), "{col}");
        }
        assert!(rows[1].ends_with("| pass | clean |"), "{}", rows[1]);
        assert!(rows[2].ends_with("| pass | clean, run 3 times |"), "{}", rows[2]);
        assert!(rows[3].contains("| 0.35 |"), "foreign CPU shown: {}", rows[3]);
        assert!(rows[3].ends_with("| not counted (pass) | **contaminated** |"), "{}", rows[3]);
        assert!(md.contains("**at least 1000 players**"), "{md}");
    }
}
