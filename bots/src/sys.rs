//! What the load tool needs to know about processes and the machine, read from `/proc`
//! (Linux). Elsewhere the readers return `None` and reports leave the figures out.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Linux reports CPU times in `/proc/<pid>/stat` in USER_HZ units, fixed at 100 on every
/// architecture the kernel exports to user space.
const USER_HZ: f64 = 100.0;

/// CPU time (user + system) a process has used so far; `pid` "self" for this process.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_time_from_stat(&stat)
}

/// Parse utime + stime out of a `/proc/<pid>/stat` line. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn cpu_time_from_stat(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_ascii_whitespace();
    // After the name: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime(14) stime(15).
    let utime: u64 = f.nth(11)?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / USER_HZ))
}

/// Resident set size and its peak, KiB (`VmRSS`, `VmHWM` of `/proc/<pid>/status`).
pub fn rss_kib(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_ascii_whitespace().next()?.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Per-CPU (busy, total) jiffies from `/proc/stat`; busy excludes idle and iowait.
pub fn cpu_jiffies() -> Vec<(u64, u64)> {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return Vec::new() };
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> =
                l.split_ascii_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
            let total: u64 = v.iter().sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total - idle, total)
        })
        .collect()
}

/// The limit on open files of this process (soft), from `/proc/self/limits`.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_ascii_whitespace().nth(3)?.parse().ok()
}

/// The machine a report was made on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs this process may run on.
    pub cores: usize,
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: Option<String>,
    /// Total memory, MiB.
    pub memory_mib: Option<u64>,
    /// 1-minute load average when the report was made (other work on a shared machine).
    pub load_average: Option<f64>,
}

impl Machine {
    pub fn detect() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let cpu_model = read("/proc/cpuinfo").and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let memory_mib = read("/proc/meminfo").and_then(|s| {
            let kib: u64 = s
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .split_ascii_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(kib / 1024)
        });
        Machine {
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()),
            memory_mib,
            load_average: read("/proc/loadavg")
                .and_then(|s| s.split_ascii_whitespace().next()?.parse().ok()),
        }
    }

    /// One line for tables: "2 cores, AMD EPYC, 23.5 GiB, Linux 6.1".
    pub fn describe(&self) -> String {
        let mut s = format!("{} cores", self.cores);
        if let Some(m) = &self.cpu_model {
            s += &format!(", {m}");
        }
        if let Some(m) = self.memory_mib {
            s += &format!(", {:.1} GiB RAM", m as f64 / 1024.0);
        }
        if let Some(k) = &self.kernel {
            s += &format!(", Linux {k}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_in_the_name() {
        let line = "1234 (tick wave (x)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0 100 0 0";
        assert_eq!(cpu_time_from_stat(line), Some(Duration::from_secs(3)));
    }

    #[test]
    fn reads_this_process() {
        if cfg!(target_os = "linux") {
            assert!(cpu_time("self").is_some());
            let (rss, hwm) = rss_kib("self").unwrap();
            assert!(rss > 0 && hwm >= rss);
            assert!(open_files_limit().unwrap() > 0);
        }
        assert!(Machine::detect().cores >= 1);
    }
}
