//! Scheduling priority of the benchmark's processes, only when asked for.
//!
//! Real-time scheduling once made the benchmark measure nothing: set at spawn (`chrt -f 10
//! tickwave`), it was inherited by everything the server started, and an `npm ci` spinning at
//! SCHED_FIFO on the server's pinned core starved the server itself. So `--priority
//! realtime` now:
//!
//! - first checks that it is safe ([`Preflight`]): the privilege to use it, `chrt` with
//!   `--reset-on-fork`, the kernel's real-time throttling still on, the server and the bots
//!   pinned to two CPUs with at least one more left for everything else, and a machine idle
//!   before the run;
//! - then checks that it helps: the first step runs once at normal priority and once
//!   real-time, and real-time is kept only when it clearly improves the result
//!   ([`keep_realtime`]);
//! - sets SCHED_FIFO on the running processes' threads with the reset-on-fork flag
//!   ([`apply`]), so every thread or process they start later runs at normal priority, and
//!   verifies what it set at the start of each window ([`inspect`]).

use super::table::{Contamination, Step};
use crate::sys;
use std::process::{Command, Stdio};
use std::time::Duration;

/// SCHED_FIFO priority of the benchmark's threads (low among real-time ones: kernel threads
/// that need real-time, such as migration and watchdogs, stay above it).
pub const RT_PRIORITY: u32 = 10;

/// How much better real-time must make p99 input→ack latency to be kept.
const REQUIRED_P99_GAIN: f64 = 0.10;

/// What decides whether real-time scheduling may be tried.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    /// Root, or `CAP_SYS_NICE` in the effective set.
    pub privileged: bool,
    /// `chrt` is installed and knows `--reset-on-fork`.
    pub chrt_reset_on_fork: bool,
    /// `/proc/sys/kernel/sched_rt_runtime_us` and `sched_rt_period_us`; a runtime of -1
    /// means real-time threads are never throttled.
    pub rt_runtime_us: Option<i64>,
    pub rt_period_us: Option<i64>,
    /// CPUs the server and the bots are pinned to (empty when not pinned).
    pub pinned_cpus: Vec<u32>,
    pub online_cpus: usize,
    /// Other work measured over a second before the run, cores.
    pub other_work_cores: Option<f64>,
}

impl Preflight {
    /// Read the machine (and measure it for a second).
    pub fn detect(pinned_cpus: Vec<u32>) -> Preflight {
        let read_i64 = |p: &str| std::fs::read_to_string(p).ok()?.trim().parse::<i64>().ok();
        let chrt_reset_on_fork = Command::new("chrt")
            .arg("--help")
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--reset-on-fork"));
        Preflight {
            privileged: privileged(),
            chrt_reset_on_fork,
            rt_runtime_us: read_i64("/proc/sys/kernel/sched_rt_runtime_us"),
            rt_period_us: read_i64("/proc/sys/kernel/sched_rt_period_us"),
            online_cpus: sys::cpu_times().len(),
            other_work_cores: measure_other_work(Duration::from_secs(1)),
            pinned_cpus,
        }
    }

    /// `Ok(findings)` when real-time may be calibrated, `Err(reasons)` naming everything that
    /// rules it out. `limit` is the contamination limit in cores.
    pub fn judge(&self, limit: f64) -> Result<Vec<String>, Vec<String>> {
        let mut no = Vec::new();
        let mut ok = Vec::new();
        if self.privileged {
            ok.push("privileged (CAP_SYS_NICE)".to_owned());
        } else {
            no.push("needs CAP_SYS_NICE (root, outside a container that drops it)".to_owned());
        }
        if !self.chrt_reset_on_fork {
            no.push("needs chrt (util-linux) with --reset-on-fork".to_owned());
        }
        match (self.rt_runtime_us, self.rt_period_us) {
            (Some(-1), _) => no.push(
                "real-time throttling is off (kernel.sched_rt_runtime_us = -1): a busy \
                 real-time thread could take a CPU entirely"
                    .to_owned(),
            ),
            (Some(r), Some(p)) if p > 0 => ok.push(format!(
                "the kernel keeps {:.0}% of each CPU for normal work",
                100.0 * (1.0 - r as f64 / p as f64)
            )),
            _ => no.push("cannot read the kernel's real-time throttling settings".to_owned()),
        }
        let free = self.online_cpus.saturating_sub(self.pinned_cpus.len());
        if self.pinned_cpus.is_empty() {
            no.push(
                "needs pinning (--pinning on), so the real-time threads stay on their own CPUs"
                    .to_owned(),
            );
        } else if free == 0 {
            no.push(format!(
                "{} CPUs: the server and the bots would take them all, leaving none for the \
                 rest of the system",
                self.online_cpus
            ));
        } else {
            ok.push(format!(
                "pinned to CPUs {:?}, {free} more CPU(s) left for everything else",
                self.pinned_cpus
            ));
        }
        match self.other_work_cores {
            Some(c) if c > limit => no.push(format!(
                "the machine is busy ({c:.2} core of other work before the run): real-time \
                 would only take CPU from that work, and the steps would be contaminated anyway"
            )),
            Some(c) => ok.push(format!("the machine is idle ({c:.2} core of other work)")),
            None => no.push("cannot measure other work (no /proc/stat)".to_owned()),
        }
        if no.is_empty() { Ok(ok) } else { Err(no) }
    }
}

/// `CAP_SYS_NICE` in the effective set, what raising a priority needs (root in a container
/// may lack it); effective uid 0 where the capabilities cannot be read.
pub fn privileged() -> bool {
    match sys::status_field("self", "CapEff") {
        Some(c) => sys::cap_sys_nice(&c),
        None => sys::status_field("self", "Uid")
            .is_some_and(|u| u.split_whitespace().nth(1) == Some("0")),
    }
}

/// Cores busy with anything but this process over `d` (nothing else of ours runs yet).
fn measure_other_work(d: Duration) -> Option<f64> {
    let (c0, me0) = (sys::cpu_times(), sys::proc_stat("self")?.own_ticks());
    std::thread::sleep(d);
    let (c1, me1) = (sys::cpu_times(), sys::proc_stat("self")?.own_ticks());
    if c0.is_empty() || c0.len() != c1.len() {
        return None;
    }
    let busy = sys::CpuTimes::sum(c1.values()).busy() - sys::CpuTimes::sum(c0.values()).busy();
    Some((sys::ticks_to_secs(busy.saturating_sub(me1 - me0)) / d.as_secs_f64()).max(0.0))
}

/// Whether the calibration shows real-time helps: neither run disturbed by other work, p99
/// input→ack at least 10 % lower, delivery no worse. Returns the decision and why.
pub fn keep_realtime(normal: &Step, rt: &Step) -> (bool, String) {
    let figures = |s: &Step| {
        format!(
            "p99 {:.1} ms, delivery {}",
            s.ack_p99_ms,
            s.delivery.map_or("-".into(), |d| format!("{:.2}%", d * 100.0))
        )
    };
    let both = format!(
        "calibration at {} bots: normal {}; real-time {}",
        normal.bots,
        figures(normal),
        figures(rt)
    );
    if normal.contamination != Contamination::Clean || rt.contamination != Contamination::Clean {
        return (false, format!("{both}: inconclusive (a calibration run was not clean)"));
    }
    let faster = rt.ack_p99_ms <= (1.0 - REQUIRED_P99_GAIN) * normal.ack_p99_ms;
    let delivers = rt.delivery.unwrap_or(0.0) >= normal.delivery.unwrap_or(0.0) - 0.001;
    match (faster, delivers) {
        (true, true) => (true, format!("{both}: real-time kept")),
        (false, _) => (
            false,
            format!(
                "{both}: real-time does not lower p99 by {:.0}%, not used",
                REQUIRED_P99_GAIN * 100.0
            ),
        ),
        (true, false) => (false, format!("{both}: real-time loses delivery, not used")),
    }
}

/// Set SCHED_FIFO [`RT_PRIORITY`] with reset-on-fork on every current thread of `pid`.
pub fn apply(pid: u32) -> Result<(), String> {
    let out = Command::new("chrt")
        .args(["--all-tasks", "--reset-on-fork", "--fifo", "--pid"])
        .arg(RT_PRIORITY.to_string())
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("running chrt: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("chrt on pid {pid} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// What the threads of a process run under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Threads {
    pub total: usize,
    /// SCHED_FIFO at [`RT_PRIORITY`].
    pub realtime: usize,
    /// Real-time with the reset-on-fork flag.
    pub reset_on_fork: usize,
}

impl Threads {
    pub fn describe(&self) -> String {
        format!(
            "{} of {} threads SCHED_FIFO {RT_PRIORITY}, {} with reset-on-fork",
            self.realtime, self.total, self.reset_on_fork
        )
    }
}

/// Whether `chrt -p` output reports the reset-on-fork flag (the only place it shows: the
/// policy in `/proc/<pid>/stat` leaves it out).
pub fn reports_reset_on_fork(chrt_output: &str) -> bool {
    chrt_output.lines().any(|l| l.contains("policy") && l.contains("SCHED_RESET_ON_FORK"))
}

/// The scheduling of every thread of `pid` now.
pub fn inspect(pid: u32) -> Threads {
    let mut t = Threads::default();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return t };
    for task in tasks.flatten() {
        let tid = task.file_name().to_string_lossy().into_owned();
        let Some(s) = sys::proc_stat(&format!("{pid}/task/{tid}")) else { continue };
        t.total += 1;
        if s.policy == sys::SCHED_FIFO && s.rt_priority == RT_PRIORITY {
            t.realtime += 1;
            let flag = Command::new("chrt")
                .args(["--pid", &tid])
                .output()
                .is_ok_and(|o| reports_reset_on_fork(&String::from_utf8_lossy(&o.stdout)));
            t.reset_on_fork += usize::from(flag);
        }
    }
    t
}

/// `--priority high`: raise the autogroup of `pid` to nice -10 once `setsid` has given it
/// its own (an autogroup's nice weighs the whole session against other sessions, and
/// nothing real-time is involved). Best effort.
pub fn raise_autogroup(pid: u32) {
    let path = format!("/proc/{pid}/autogroup");
    let group = |p: &str| {
        std::fs::read_to_string(p).ok().and_then(|s| s.split_whitespace().next().map(str::to_owned))
    };
    let ours = group("/proc/self/autogroup");
    for _ in 0..200 {
        match group(&path) {
            // Still in our group: the child has not called setsid yet.
            Some(g) if Some(&g) == ours.as_ref() => std::thread::sleep(Duration::from_millis(5)),
            Some(_) => {
                let _ = std::fs::write(&path, "-10");
                return;
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet_big_machine() -> Preflight {
        Preflight {
            privileged: true,
            chrt_reset_on_fork: true,
            rt_runtime_us: Some(950_000),
            rt_period_us: Some(1_000_000),
            pinned_cpus: vec![0, 1],
            online_cpus: 4,
            other_work_cores: Some(0.02),
        }
    }

    #[test]
    fn realtime_is_tried_only_where_it_is_safe() {
        let ok = quiet_big_machine().judge(0.1).unwrap();
        assert!(ok.iter().any(|f| f.contains("5% of each CPU")), "{ok:?}");
        assert!(ok.iter().any(|f| f.contains("2 more CPU(s)")), "{ok:?}");

        // The machine of issue 13 item 17: two CPUs, both pinned.
        let two = Preflight { online_cpus: 2, ..quiet_big_machine() };
        let no = two.judge(0.1).unwrap_err();
        assert_eq!(no.len(), 1, "{no:?}");
        assert!(no[0].contains("leaving none"), "{no:?}");

        let unpinned = Preflight { pinned_cpus: vec![], ..quiet_big_machine() };
        assert!(unpinned.judge(0.1).unwrap_err()[0].contains("--pinning on"));
        let busy = Preflight { other_work_cores: Some(0.8), ..quiet_big_machine() };
        assert!(busy.judge(0.1).unwrap_err()[0].contains("busy (0.80 core"));
        let unthrottled = Preflight { rt_runtime_us: Some(-1), ..quiet_big_machine() };
        assert!(unthrottled.judge(0.1).unwrap_err()[0].contains("throttling is off"));

        let everything_wrong = Preflight {
            privileged: false,
            chrt_reset_on_fork: false,
            rt_runtime_us: None,
            rt_period_us: None,
            pinned_cpus: vec![],
            online_cpus: 1,
            other_work_cores: None,
        };
        assert_eq!(everything_wrong.judge(0.1).unwrap_err().len(), 5, "every reason is named");
    }

    fn step(p99: f64, delivery: f64, contamination: Contamination) -> Step {
        Step {
            bots: 500,
            ack_p99_ms: p99,
            delivery: Some(delivery),
            contamination,
            ..Step::default()
        }
    }

    #[test]
    fn realtime_is_kept_only_when_it_clearly_helps() {
        use Contamination::*;
        let (keep, why) = keep_realtime(&step(60.0, 0.999, Clean), &step(40.0, 1.0, Clean));
        assert!(keep, "{why}");
        assert!(why.contains("normal p99 60.0 ms") && why.contains("real-time p99 40.0 ms"));
        let (keep, why) = keep_realtime(&step(40.0, 1.0, Clean), &step(38.0, 1.0, Clean));
        assert!(!keep && why.contains("does not lower p99 by 10%"), "{why}");
        let (keep, why) = keep_realtime(&step(60.0, 1.0, Clean), &step(30.0, 0.98, Clean));
        assert!(!keep && why.contains("loses delivery"), "{why}");
        let (keep, why) = keep_realtime(&step(60.0, 1.0, Contaminated), &step(30.0, 1.0, Clean));
        assert!(!keep && why.contains("inconclusive"), "{why}");
        let (keep, _) = keep_realtime(&step(60.0, 1.0, Clean), &step(30.0, 1.0, Unmeasured));
        assert!(!keep, "an unmeasured run proves nothing");
    }

    #[test]
    fn reset_on_fork_is_read_from_chrt() {
        let with = "pid 20863's current scheduling policy: SCHED_FIFO|SCHED_RESET_ON_FORK\n\
                    pid 20863's current scheduling priority: 10\n";
        let without = "pid 20863's current scheduling policy: SCHED_FIFO\n\
                       pid 20863's current scheduling priority: 10\n";
        assert!(reports_reset_on_fork(with));
        assert!(!reports_reset_on_fork(without));
        assert!(!reports_reset_on_fork(""));
    }
}
