//! Where the CPU of a measurement window went: the server, the bots, this tool, and
//! everything else ("foreign" work), from two samples of `/proc`. Pure arithmetic on samples
//! the step loop takes; the sampling itself is in `step.rs`.
//!
//! Foreign work is what the machine's CPUs were busy with (`/proc/stat`, over the CPUs the
//! benchmark may run on) minus what the benchmark's own processes used (`/proc/<pid>/stat`,
//! descendants included). Both are counted in the same USER_HZ ticks. Steal time (the
//! hypervisor running another guest) is kept apart: it is not in "busy", but it takes CPU
//! from the benchmark just the same, so it contaminates a step too.

use crate::sys::{CpuTimes, ticks_to_secs};
use serde::{Deserialize, Serialize};

/// One sample, taken every 250 ms while a swarm runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Seconds since the swarm was started.
    pub t: f64,
    /// Each measured CPU's times, in the order of the measured CPU list.
    pub cpus: Vec<CpuTimes>,
    /// CPU ticks of the server and its descendants; `None` when it could not be read.
    pub server: Option<u64>,
    /// Descendants of the server alive at this sample.
    pub server_children: u32,
    pub bots: Option<u64>,
    /// This tool's own CPU (not its children: they are the server and the bots).
    pub tool: Option<u64>,
    pub server_rss_kib: Option<u64>,
}

/// CPU use over a window, in cores (CPU seconds per second).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Length of the window between the two samples, seconds.
    pub window_s: f64,
    /// CPUs covered (those the server and bots may run on).
    pub cpus: usize,
    /// Everything that ran on those CPUs (user, nice, system, irq, softirq).
    pub busy_cores: f64,
    pub server_cores: f64,
    pub bots_cores: f64,
    pub tool_cores: f64,
    /// busy - server - bots - tool, at least 0: other processes, and interrupt work the
    /// kernel did not bill to any of ours.
    pub foreign_cores: f64,
    /// Time the hypervisor gave these virtual CPUs to someone else.
    pub steal_cores: f64,
    /// Busy fraction of each covered CPU, whoever used it.
    pub core_busy: Vec<f64>,
}

impl Usage {
    /// More than `limit` cores of other work (or steal) during the window.
    pub fn contaminated(&self, limit: f64) -> bool {
        self.foreign_cores > limit || self.steal_cores > limit
    }
}

/// The sample closest to `t` seconds.
pub fn nearest(samples: &[Sample], t: f64) -> Option<&Sample> {
    samples.iter().min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
}

/// Usage between samples `a` and `b`; `None` when they are less than a second apart, cover
/// different CPUs, or a process could not be read at either end.
pub fn usage(a: &Sample, b: &Sample) -> Option<Usage> {
    let dt = b.t - a.t;
    if dt < 1.0 || a.cpus.len() != b.cpus.len() || a.cpus.is_empty() {
        return None;
    }
    let cores = |x: Option<u64>, y: Option<u64>| -> Option<f64> {
        Some(ticks_to_secs(y?.checked_sub(x?)?) / dt)
    };
    let (server, bots, tool) =
        (cores(a.server, b.server)?, cores(a.bots, b.bots)?, cores(a.tool, b.tool)?);
    let (x, y) = (CpuTimes::sum(&a.cpus), CpuTimes::sum(&b.cpus));
    let busy = ticks_to_secs(y.busy().saturating_sub(x.busy())) / dt;
    let steal = ticks_to_secs(y.steal.saturating_sub(x.steal)) / dt;
    let core_busy = a
        .cpus
        .iter()
        .zip(&b.cpus)
        .map(|(x, y)| {
            let total = |c: &CpuTimes| c.busy() + c.idle + c.iowait + c.steal;
            let busy = y.busy().saturating_sub(x.busy()) as f64;
            busy / total(y).saturating_sub(total(x)).max(1) as f64
        })
        .collect();
    Some(Usage {
        window_s: dt,
        cpus: a.cpus.len(),
        busy_cores: busy,
        server_cores: server,
        bots_cores: bots,
        tool_cores: tool,
        // Ticks are sampled: with almost nothing else running the difference can come out a
        // little below zero, which means none.
        foreign_cores: (busy - server - bots - tool).max(0.0),
        steal_cores: steal,
        core_busy,
    })
}

/// Highest server RSS inside `[w0, w1]`, KiB.
pub fn peak_rss_kib(samples: &[Sample], w0: f64, w1: f64) -> Option<u64> {
    samples.iter().filter(|s| s.t >= w0 && s.t <= w1).filter_map(|s| s.server_rss_kib).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(busy_user: u64, system: u64, idle: u64, steal: u64) -> CpuTimes {
        CpuTimes { user: busy_user, system, idle, steal, ..CpuTimes::default() }
    }

    fn sample(t: f64, cpus: Vec<CpuTimes>, server: u64, bots: u64, tool: u64) -> Sample {
        Sample {
            t,
            cpus,
            server: Some(server),
            bots: Some(bots),
            tool: Some(tool),
            ..Sample::default()
        }
    }

    #[test]
    fn foreign_work_is_what_the_cpus_did_beyond_our_processes() {
        // Two CPUs over 20 s (2000 ticks each). CPU 0: server 1200 ticks + a build 300;
        // CPU 1: bots 1000, tool 20, build 100, stolen 50.
        let a = sample(5.0, vec![cpu(1000, 0, 5000, 0), cpu(2000, 0, 5000, 10)], 700, 300, 40);
        let b = sample(
            25.0,
            vec![cpu(1000 + 1200, 300, 5000 + 500, 0), cpu(2000 + 1000, 120, 5000 + 830, 60)],
            700 + 1200,
            300 + 1000,
            40 + 20,
        );
        let u = usage(&a, &b).unwrap();
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(close(u.window_s, 20.0));
        assert_eq!(u.cpus, 2);
        assert!(close(u.busy_cores, (1500.0 + 1120.0) / 100.0 / 20.0), "{u:?}");
        assert!(close(u.server_cores, 0.6) && close(u.bots_cores, 0.5), "{u:?}");
        assert!(close(u.tool_cores, 0.01), "{u:?}");
        assert!(close(u.foreign_cores, 400.0 / 100.0 / 20.0), "the build's 0.2 core: {u:?}");
        assert!(close(u.steal_cores, 0.025), "{u:?}");
        assert!(close(u.core_busy[0], 0.75) && close(u.core_busy[1], 1120.0 / 2000.0), "{u:?}");
        assert!(u.contaminated(0.10));
        assert!(!u.contaminated(0.25));
    }

    #[test]
    fn a_quiet_window_is_clean_even_when_sampling_rounds_below_zero() {
        let a = sample(0.0, vec![cpu(0, 0, 0, 0)], 0, 0, 0);
        // The CPU's ticks say 98, the processes' precise times 100: no other work.
        let b = sample(10.0, vec![cpu(98, 0, 902, 0)], 60, 40, 0);
        let u = usage(&a, &b).unwrap();
        assert_eq!(u.foreign_cores, 0.0);
        assert!(!u.contaminated(0.10));
        // Steal alone contaminates.
        let stolen = sample(10.0, vec![cpu(100, 0, 750, 150)], 60, 40, 0);
        let u = usage(&a, &stolen).unwrap();
        assert!(u.steal_cores > 0.1 && u.contaminated(0.10), "{u:?}");
    }

    #[test]
    fn no_usage_without_both_ends() {
        let a = sample(0.0, vec![cpu(0, 0, 0, 0)], 0, 0, 0);
        let b = sample(10.0, vec![cpu(100, 0, 900, 0)], 50, 50, 0);
        assert!(usage(&a, &sample(0.5, b.cpus.clone(), 50, 50, 0)).is_none(), "too short");
        assert!(usage(&a, &Sample { server: None, ..b.clone() }).is_none(), "server gone");
        assert!(usage(&a, &Sample { cpus: vec![], ..b.clone() }).is_none(), "no /proc/stat");
        let went_back = Sample { bots: Some(0), ..b.clone() };
        assert!(usage(&Sample { bots: Some(10), ..a.clone() }, &went_back).is_none(), "restarted");
        assert!(usage(&a, &b).is_some());
    }

    #[test]
    fn window_ends_are_the_nearest_samples_and_rss_peaks_inside() {
        let s: Vec<Sample> = (0..20u32)
            .map(|i| Sample {
                t: f64::from(i) * 0.25,
                server_rss_kib: Some(1000 + u64::from(i % 7) * 10),
                ..Sample::default()
            })
            .collect();
        assert_eq!(nearest(&s, 1.1).unwrap().t, 1.0);
        assert_eq!(nearest(&s, 99.0).unwrap().t, 4.75);
        assert_eq!(nearest(&[], 1.0), None);
        assert_eq!(peak_rss_kib(&s, 0.0, 1.0), Some(1040));
        assert_eq!(peak_rss_kib(&s, 0.0, 2.0), Some(1060));
        assert_eq!(peak_rss_kib(&s, 10.0, 20.0), None);
    }
}
