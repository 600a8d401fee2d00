//! The `tickwave` binary as an operator runs it: spawn with flags, read its log, signal it,
//! wait for its exit with a deadline. A spawned process is killed when its [`Proc`] drops,
//! so a failing test never leaves a server behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// `tickwave` on loopback port 0 (game and admin, through the environment so that a test's
/// `--listen` overrides it), its certificate in `dir`, logging at info. The environment says
/// nothing about colour: tests that care set or remove `NO_COLOR`.
pub fn tickwave(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tickwave"));
    c.env("TICKWAVE_LISTEN", "127.0.0.1:0")
        .env("TICKWAVE_ADMIN_LISTEN", "127.0.0.1:0")
        .arg("--data-dir")
        .arg(dir)
        .current_dir(dir)
        .env("TICKWAVE_NO_BUILD_DEMO", "true")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    c
}

/// A running `tickwave` process; killed (SIGKILL) and reaped on drop if still running.
pub struct Proc(pub Child);

impl Proc {
    pub fn spawn(cmd: &mut Command) -> Proc {
        Proc(cmd.spawn().expect("the tickwave binary starts"))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    pub fn sigterm(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        assert!(ok.unwrap().success(), "kill -TERM");
    }

    /// The exit status if the process ends within `t`; `None` if it is still running.
    pub fn wait_for(&mut self, t: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + t;
        loop {
            if let Some(st) = self.0.try_wait().unwrap() {
                return Some(st);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's stdout, read until `until` matches one (inclusive). Panics if the
/// stream ends first. The reader is returned so the caller can keep or drop (close) it.
pub fn read_until(
    out: ChildStdout,
    until: impl Fn(&str) -> bool,
) -> (Vec<String>, std::io::Lines<BufReader<ChildStdout>>) {
    let mut lines = BufReader::new(out).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("log line");
        let done = until(&line);
        seen.push(line);
        if done {
            return (seen, lines);
        }
    }
    panic!("the log ended before the expected line; got {seen:#?}");
}

/// Keep draining a child's remaining output on a thread so it never blocks on a full pipe.
pub fn drain(lines: std::io::Lines<BufReader<ChildStdout>>) {
    std::thread::spawn(move || for _ in lines {});
}

/// The `ADDR` of `https://ADDR/` in the admin listener's log line (text format).
pub fn admin_addr(line: &str) -> Option<std::net::SocketAddr> {
    let rest = line.split("admin listener on https://").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

/// Poll until something accepts TCP on `addr`, or panic after `t` (or once `p` has exited).
pub fn wait_for_port(p: &mut Proc, addr: std::net::SocketAddr, t: Duration) {
    let end = Instant::now() + t;
    loop {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Some(st) = p.0.try_wait().unwrap() {
            panic!("tickwave exited with {st:?} before listening on {addr}");
        }
        assert!(Instant::now() < end, "nothing listening on {addr} after {t:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
