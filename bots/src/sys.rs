//! What the load tool needs to know about processes and the machine, read from `/proc`
//! (Linux). Elsewhere the readers return `None` and reports leave the figures out.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Linux reports CPU times in `/proc/<pid>/stat` in USER_HZ units, fixed at 100 on every
/// architecture the kernel exports to user space.
const USER_HZ: f64 = 100.0;

/// CPU time (user + system) a process has used so far; `pid` "self" for this process.
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_time_from_stat(&stat)
}

/// Parse utime + stime out of a `/proc/<pid>/stat` line.
pub fn cpu_time_from_stat(stat: &str) -> Option<Duration> {
    Some(Duration::from_secs_f64(ticks_to_secs(ProcStat::parse(stat)?.own_ticks())))
}

/// Seconds in a number of USER_HZ ticks (the unit of `/proc/stat` and `/proc/<pid>/stat`).
pub fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / USER_HZ
}

/// The fields of a `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) line the load tool
/// uses; CPU times in USER_HZ ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcStat {
    pub ppid: u32,
    pub utime: u64,
    pub stime: u64,
    /// CPU of the children this process has waited for (exited and reaped).
    pub cutime: u64,
    pub cstime: u64,
    pub threads: u32,
    /// 1..=99 under a real-time policy, 0 otherwise.
    pub rt_priority: u32,
    /// `SCHED_OTHER` 0, `SCHED_FIFO` 1, `SCHED_RR` 2, `SCHED_BATCH` 3, `SCHED_IDLE` 5. The
    /// reset-on-fork flag is not part of it (only `sched_getscheduler` reports that).
    pub policy: u32,
}

/// `SCHED_FIFO` in [`ProcStat::policy`].
pub const SCHED_FIFO: u32 = 1;

impl ProcStat {
    /// Parse one stat line. The command name (field 2) may hold spaces and parentheses, so
    /// fields are counted from the last `)`.
    pub fn parse(line: &str) -> Option<ProcStat> {
        let rest = &line[line.rfind(')')? + 1..];
        // Index 0 is field 3 (state): field n of proc(5) is index n - 3.
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        let num = |field: usize| f.get(field - 3)?.parse::<u64>().ok();
        let small = |field: usize| num(field).and_then(|v| u32::try_from(v).ok());
        Some(ProcStat {
            ppid: small(4)?,
            utime: num(14)?,
            stime: num(15)?,
            // cutime and cstime are signed in proc(5), never negative in practice.
            cutime: num(16).unwrap_or(0),
            cstime: num(17).unwrap_or(0),
            threads: small(20).unwrap_or(1),
            rt_priority: small(40).unwrap_or(0),
            policy: small(41).unwrap_or(0),
        })
    }

    /// The process's own CPU (user + system).
    pub fn own_ticks(&self) -> u64 {
        self.utime + self.stime
    }

    /// Its own CPU and that of the children it has reaped.
    pub fn with_reaped_ticks(&self) -> u64 {
        self.own_ticks() + self.cutime + self.cstime
    }
}

/// The stat line of `pid` ("self" for this process), or of one thread (`"123/task/124"`).
pub fn proc_stat(pid: &str) -> Option<ProcStat> {
    ProcStat::parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The live children of `pid` (every thread's `children` file; `CONFIG_PROC_CHILDREN`).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut out = Vec::new();
    for t in tasks.flatten() {
        if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(s.split_ascii_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    out
}

/// Largest process tree [`tree_ticks`] walks: a runaway fork loop must not stall sampling.
const MAX_TREE: usize = 4096;

/// CPU of a process and all its descendants, ticks, with the number of descendants alive.
/// Each live process counts its own CPU and that of the children it reaped, so a child's CPU
/// is counted once whether it is still running or already gone. `None` when `root` is gone.
pub fn tree_ticks(
    root: u32,
    stat: impl Fn(u32) -> Option<ProcStat>,
    children: impl Fn(u32) -> Vec<u32>,
) -> Option<(u64, u32)> {
    let mut ticks = stat(root)?.with_reaped_ticks();
    let mut descendants = 0u32;
    let mut todo = children(root);
    let mut seen = 1usize;
    while let Some(pid) = todo.pop() {
        seen += 1;
        if seen > MAX_TREE {
            break;
        }
        // A child that exited between the two reads is in its parent's reaped CPU next time.
        if let Some(s) = stat(pid) {
            ticks += s.with_reaped_ticks();
            descendants += 1;
            todo.extend(children(pid));
        }
    }
    Some((ticks, descendants))
}

/// [`tree_ticks`] of a live process from `/proc`.
pub fn process_tree_ticks(root: u32) -> Option<(u64, u32)> {
    tree_ticks(root, |p| proc_stat(&p.to_string()), children)
}

/// One CPU's line of `/proc/stat`, USER_HZ ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    /// Time the hypervisor ran something else while this virtual CPU wanted to run.
    pub steal: u64,
}

impl CpuTimes {
    /// Time spent running anything on this CPU. Guest time is already inside user and nice.
    /// Interrupt time is included: without `CONFIG_IRQ_TIME_ACCOUNTING` the kernel bills it
    /// to the process it interrupted too, so process CPU and this busy time add up.
    pub fn busy(&self) -> u64 {
        self.user + self.nice + self.system + self.irq + self.softirq
    }

    pub fn sum<'a>(cpus: impl IntoIterator<Item = &'a CpuTimes>) -> CpuTimes {
        cpus.into_iter().fold(CpuTimes::default(), |a, c| CpuTimes {
            user: a.user + c.user,
            nice: a.nice + c.nice,
            system: a.system + c.system,
            idle: a.idle + c.idle,
            iowait: a.iowait + c.iowait,
            irq: a.irq + c.irq,
            softirq: a.softirq + c.softirq,
            steal: a.steal + c.steal,
        })
    }
}

/// The per-CPU lines (`cpu0`, `cpu1`, ...) of a `/proc/stat` text, by CPU number. Fields a
/// kernel does not report (very old ones lack steal) read as 0.
pub fn parse_proc_stat(text: &str) -> BTreeMap<u32, CpuTimes> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_ascii_whitespace();
            let cpu: u32 = f.next()?.strip_prefix("cpu")?.parse().ok()?;
            let v: Vec<u64> = f.map_while(|x| x.parse().ok()).collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0);
            (v.len() >= 4).then(|| {
                let t = CpuTimes {
                    user: at(0),
                    nice: at(1),
                    system: at(2),
                    idle: at(3),
                    iowait: at(4),
                    irq: at(5),
                    softirq: at(6),
                    steal: at(7),
                };
                (cpu, t)
            })
        })
        .collect()
}

/// The online CPUs' times now (empty where `/proc/stat` is missing).
pub fn cpu_times() -> BTreeMap<u32, CpuTimes> {
    std::fs::read_to_string("/proc/stat").map(|s| parse_proc_stat(&s)).unwrap_or_default()
}

/// A kernel CPU list (`0-3,8,10-11`) as CPU numbers; `None` when malformed or absurdly long.
pub fn parse_cpu_list(s: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let a = part.parse::<u32>().ok()?;
                (a, a)
            }
        };
        if a > b || out.len() + (b - a) as usize >= 65_536 {
            return None;
        }
        out.extend(a..=b);
    }
    Some(out)
}

/// A value of `/proc/<pid>/status` (`"Cpus_allowed_list"`, `"CapEff"`, ...).
pub fn status_field(pid: &str, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_value(&status, name).map(str::to_owned)
}

fn status_value<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

/// The CPUs `pid` may run on.
pub fn allowed_cpus(pid: &str) -> Option<Vec<u32>> {
    parse_cpu_list(&status_field(pid, "Cpus_allowed_list")?)
}

/// Whether an effective capability set (`CapEff` of `/proc/<pid>/status`, hex) holds
/// `CAP_SYS_NICE`, which real-time scheduling needs.
pub fn cap_sys_nice(cap_eff_hex: &str) -> bool {
    const CAP_SYS_NICE: u32 = 23;
    u64::from_str_radix(cap_eff_hex.trim(), 16).is_ok_and(|c| c & (1 << CAP_SYS_NICE) != 0)
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

    /// A real line of `/proc/<pid>/stat` (a `sleep` under `chrt -f 10`), name changed.
    const STAT: &str = "20863 (tick wave (x)) S 20858 20858 14534 0 -1 4194304 136 0 1 0 \
        250 50 7 3 -11 0 4 0 122572 2990080 421 18446744073709551615 94633734811648 \
        94633734829577 140735055105984 0 0 0 0 6 0 1 0 0 17 1 10 1 0 0 0 94633734843664 \
        94633734844928 94634236588032 140735055108841 140735055108850 140735055108850 \
        140735055110121 0";

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let s = ProcStat::parse(STAT).unwrap();
        assert_eq!(
            s,
            ProcStat {
                ppid: 20858,
                utime: 250,
                stime: 50,
                cutime: 7,
                cstime: 3,
                threads: 4,
                rt_priority: 10,
                policy: SCHED_FIFO
            }
        );
        assert_eq!((s.own_ticks(), s.with_reaped_ticks()), (300, 310));
        assert_eq!(cpu_time_from_stat(STAT), Some(Duration::from_secs(3)));
        // An old kernel's shorter line still gives the CPU times.
        let short = "1 (init) S 0 1 1 0 -1 0 0 0 0 0 12 8 0 0 20 0 1 0 5";
        assert_eq!(ProcStat::parse(short).map(|s| (s.own_ticks(), s.policy)), Some((20, 0)));
        assert_eq!(ProcStat::parse("1 (init S 0"), None);
        assert_eq!(ProcStat::parse("garbage"), None);
    }

    #[test]
    fn proc_stat_lines_per_cpu() {
        let text = "cpu  89332 0 21748 93648 2237 0 461 3848 0 0\n\
                    cpu0 43844 0 10566 48298 926 0 102 1867 0 0\n\
                    cpu1 45488 5 11182 45349 1310 2 359 1980 100 0\n\
                    intr 123 4 5\nctxt 999\ncpu2 1 2 3\n";
        let cpus = parse_proc_stat(text);
        assert_eq!(cpus.keys().copied().collect::<Vec<_>>(), vec![0, 1], "aggregate line skipped");
        let c1 = cpus[&1];
        assert_eq!(
            c1,
            CpuTimes {
                user: 45488,
                nice: 5,
                system: 11182,
                idle: 45349,
                iowait: 1310,
                irq: 2,
                softirq: 359,
                steal: 1980
            }
        );
        // Guest time (100) is inside user already: not added again; idle, iowait, steal out.
        assert_eq!(c1.busy(), 45488 + 5 + 11182 + 2 + 359);
        assert_eq!(CpuTimes::sum(cpus.values()).steal, 1867 + 1980);
        // An old kernel without steal and later fields.
        let old = parse_proc_stat("cpu0 10 0 5 100\n");
        assert_eq!((old[&0].busy(), old[&0].steal), (15, 0));
    }

    #[test]
    fn cpu_lists_and_capabilities() {
        assert_eq!(parse_cpu_list("0-3,8,10-11\n"), Some(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list("5"), Some(vec![5]));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("0-x"), None);
        assert_eq!(parse_cpu_list("0-4294967295"), None, "bounded");
        let status = "Name:\tsleep\nCapEff:\t000001ffffffffff\nCpus_allowed_list:\t0-1\n";
        assert_eq!(status_value(status, "Cpus_allowed_list"), Some("0-1"));
        assert_eq!(status_value(status, "Cpus_allowed"), None, "the whole name, not a prefix");
        assert!(cap_sys_nice(status_value(status, "CapEff").unwrap()));
        assert!(!cap_sys_nice("0000000000000000"));
        assert!(cap_sys_nice("0000000000800000"), "bit 23 alone");
        assert!(!cap_sys_nice("zz"));
    }

    #[test]
    fn a_process_tree_counts_each_child_once() {
        // 10 -> 11 -> 12, and 10 -> 13 which exited between listing and reading.
        let stat = |pid: u32| {
            let (own, reaped) = match pid {
                10 => (100, 40),
                11 => (30, 5),
                12 => (7, 0),
                _ => return None,
            };
            Some(ProcStat { utime: own, cutime: reaped, ..ProcStat::default() })
        };
        let children = |pid: u32| match pid {
            10 => vec![11, 13],
            11 => vec![12],
            _ => vec![],
        };
        assert_eq!(tree_ticks(10, stat, children), Some((100 + 40 + 30 + 5 + 7, 2)));
        assert_eq!(tree_ticks(99, stat, children), None, "gone");
        // A cycle (pids reused while walking) ends at the bound instead of looping.
        assert!(tree_ticks(10, stat, |_| vec![10]).is_some());
    }

    #[test]
    fn reads_this_process() {
        if cfg!(target_os = "linux") {
            assert!(cpu_time("self").is_some());
            let (rss, hwm) = rss_kib("self").unwrap();
            assert!(!cpu_times().is_empty());
            assert!(!allowed_cpus("self").unwrap().is_empty());
            let me = std::process::id();
            assert!(process_tree_ticks(me).is_some());
            assert!(children(me).is_empty() || children(me).iter().all(|&c| c != me));
            assert!(rss > 0 && hwm >= rss);
            assert!(open_files_limit().unwrap() > 0);
        }
        assert!(Machine::detect().cores >= 1);
    }
}
