//! Starting a benchmark server that needs nothing from the machine or the user's shell: its
//! own temporary working and data directory (so nothing relative to a checkout, such as the
//! demo's sources or `.tickwave/`, is found or touched), a port the kernel picks, the modes
//! file of the benchmark, no admin listener, and none of the caller's `TICKWAVE_*`
//! variables. Its address and certificate fingerprint come from its `listening on wss://…`
//! log line, and it counts as up only once it has answered a real `hello`.

use super::error::{CapacityError, io};
use super::interrupt::Interrupt;
use crate::client::{Client, ClientError};
use crate::tls::CertCheck;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when dropped (the benchmark never leaves a server behind).
pub(crate) struct Reaped(pub(crate) Child);

impl Reaped {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `program` in a new session (its own scheduler autogroup, and out of reach of the
/// terminal's Ctrl-C, which this tool handles), pinned to `pin_cpu` if given.
pub(crate) fn command(pin_cpu: Option<u32>, program: &Path) -> Command {
    let mut c = Command::new("setsid");
    if let Some(cpu) = pin_cpu {
        c.arg("taskset").arg("-c").arg(cpu.to_string());
    }
    c.arg(program);
    c
}

/// What the server said when it started listening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    /// `wss://127.0.0.1:PORT/ws`.
    pub url: String,
    /// SHA-256 of its certificate, hex.
    pub fingerprint: String,
}

/// The text without ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Find the `listening on wss://ADDR/ws ... sha256=HEX` line in a server log (colours or
/// not); `None` until the whole line, with a complete fingerprint, is there.
pub fn parse_listening(log: &str) -> Option<Listening> {
    let log = strip_ansi(log);
    let line = log.lines().find(|l| l.contains("listening on wss://"))?;
    let url = line[line.find("wss://")?..].split_whitespace().next()?.to_owned();
    let fingerprint: String =
        line.split("sha256=").nth(1)?.chars().take_while(char::is_ascii_hexdigit).collect();
    (fingerprint.len() == 64 && url.len() > "wss://".len())
        .then_some(Listening { url, fingerprint })
}

/// The last `n` lines of a log, indented, for an error message.
fn tail(path: &Path, n: usize) -> String {
    let text = strip_ansi(&std::fs::read_to_string(path).unwrap_or_default());
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return "    (empty)".into();
    }
    lines[lines.len().saturating_sub(n)..].iter().map(|l| format!("    {l}\n")).collect()
}

/// How to start one benchmark server.
pub(crate) struct ServerSpec<'a> {
    pub(crate) bin: &'a Path,
    /// Working directory and data directory (temporary, removed after the run).
    pub(crate) home: &'a Path,
    pub(crate) modes: &'a Path,
    pub(crate) port: u16,
    pub(crate) pin_cpu: Option<u32>,
    pub(crate) extra_args: &'a [String],
    pub(crate) start_timeout: Duration,
}

/// A running benchmark server.
pub(crate) struct Server {
    pub(crate) child: Reaped,
    pub(crate) listening: Listening,
    pub(crate) log: PathBuf,
}

/// Start the server, wait for its listening line, and check that it answers a `hello`.
pub(crate) fn start(
    spec: &ServerSpec<'_>,
    step_dir: &Path,
    stop: &Interrupt,
) -> Result<Server, CapacityError> {
    let log = step_dir.join("server.log");
    let file = std::fs::File::create(&log).map_err(io("creating server.log"))?;
    let mut cmd = command(spec.pin_cpu, spec.bin);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TICKWAVE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(spec.home)
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", spec.port))
        .arg("--data-dir")
        .arg(spec.home.join("data"))
        .arg("--modes")
        .arg(spec.modes)
        // Only the game listener: an admin listener on its default port would collide with
        // another server on the machine.
        .args(["--admin-listen", "off"])
        .args(spec.extra_args)
        .env("RUST_LOG", "warn,tickwave::net=info")
        .env("NO_COLOR", "1")
        .env_remove("TOKIO_WORKER_THREADS")
        .stdin(Stdio::null())
        .stdout(file.try_clone().map_err(io("opening server.log"))?)
        .stderr(file);
    if spec.pin_cpu.is_some() {
        // One core, one worker: "cores used" is then the server's whole story.
        cmd.env("TOKIO_WORKER_THREADS", "1");
    }
    let mut child =
        Reaped(cmd.spawn().map_err(|e| {
            CapacityError::Setup(format!("cannot start {}: {e}", spec.bin.display()))
        })?);
    let deadline = Instant::now() + spec.start_timeout;
    let listening = loop {
        stop.check()?;
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(CapacityError::Setup(format!(
                "the server {} exited ({status}) before listening; the end of {}:\n{}",
                spec.bin.display(),
                log.display(),
                tail(&log, 10)
            )));
        }
        if let Some(l) = parse_listening(&std::fs::read_to_string(&log).unwrap_or_default()) {
            break l;
        }
        if Instant::now() > deadline {
            return Err(CapacityError::Setup(format!(
                "the server did not log `listening on wss://…` within {:.0} s; the end of {}:\n{}",
                spec.start_timeout.as_secs_f64(),
                log.display(),
                tail(&log, 10)
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    probe(&listening, deadline, &mut child, stop).map_err(|e| match e {
        CapacityError::Setup(why) => CapacityError::Setup(format!(
            "the server logged `listening on {}` but did not answer a hello within {:.0} s \
             ({why}): is it getting CPU? See {}:\n{}",
            listening.url,
            spec.start_timeout.as_secs_f64(),
            log.display(),
            tail(&log, 10)
        )),
        other => other,
    })?;
    Ok(Server { child, listening, log })
}

/// Connect one client and complete `hello`/`welcome`, retrying until `deadline` (at least
/// two seconds from now); the error says what the last attempt saw.
fn probe(
    l: &Listening,
    deadline: Instant,
    child: &mut Reaped,
    stop: &Interrupt,
) -> Result<(), CapacityError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io("starting a runtime for the probe"))?;
    let deadline = deadline.max(Instant::now() + Duration::from_secs(2));
    let check = CertCheck::Pin(l.fingerprint.clone());
    loop {
        stop.check()?;
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt = rt.block_on(async {
            tokio::time::timeout(left.min(Duration::from_secs(5)), async {
                let (mut c, _welcome) = Client::join(&l.url, &check, "capacity-probe").await?;
                let _ = c.ws.close(None).await;
                Ok::<_, ClientError>(())
            })
            .await
        });
        let why = match attempt {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no welcome".to_owned(),
        };
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(CapacityError::Setup(format!("it exited: {status}")));
        }
        if Instant::now() >= deadline {
            return Err(CapacityError::Setup(why));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "2987fb87d3a1c0e4b5f6a7980112233445566778899aabbccddeeff001122334";

    #[test]
    fn the_listening_line_gives_the_address_and_fingerprint() {
        let log = format!(
            "WARN tickwave: something first\n\
             2026-01-01T00:00:00Z  INFO tickwave::net: listening on wss://127.0.0.1:40123/ws \
             local_addr=127.0.0.1:40123 sha256={FP}\nadmin operator token: x\n"
        );
        assert_eq!(
            parse_listening(&log),
            Some(Listening { url: "wss://127.0.0.1:40123/ws".into(), fingerprint: FP.into() })
        );
    }

    #[test]
    fn colours_and_partial_lines() {
        let coloured = format!(
            "\u{1b}[32m INFO\u{1b}[0m \u{1b}[2mtickwave::net\u{1b}[0m: listening on \
             wss://127.0.0.1:4433/ws \u{1b}[3mlocal_addr\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:4433 \
             \u{1b}[3msha256\u{1b}[0m\u{1b}[2m=\u{1b}[0m{FP}\n"
        );
        let l = parse_listening(&coloured).unwrap();
        assert_eq!((l.url.as_str(), l.fingerprint.as_str()), ("wss://127.0.0.1:4433/ws", FP));
        // Written half-way: the fingerprint is cut, so wait for the rest.
        let half = format!("INFO listening on wss://127.0.0.1:1/ws sha256={}", &FP[..40]);
        assert_eq!(parse_listening(&half), None);
        // A plain ws:// server is not what the benchmark starts.
        assert_eq!(
            parse_listening("WARN listening on plain ws://127.0.0.1:1/ws without TLS"),
            None
        );
        assert_eq!(parse_listening(""), None);
        assert_eq!(strip_ansi("a\u{1b}[3mb\u{1b}[0mc"), "abc");
    }
}
