//! Shared by the bots' end-to-end tests: the real server binary of this profile (built on
//! first use, so a test never runs a stale one) started on port 0 with the test's own modes
//! file in a temporary directory, its wss address and certificate fingerprint read from its
//! `listening on` log line.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tickwave_bots::CertCheck;
use tickwave_bots::capacity::parse_listening;

pub(crate) const BOTS: &str = env!("CARGO_BIN_EXE_tickwave-bots");

/// The server binary of this profile, built now (`cargo test -p tickwave-bots` alone does
/// not build the `tickwave` package).
pub(crate) fn server_bin() -> PathBuf {
    let dir = Path::new(BOTS).parent().expect("target directory").to_path_buf();
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", "tickwave", "--bin", "tickwave"]);
    // What cargo sets for this test process (CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...) is
    // watched by some build scripts (ring's): passed on, it would rebuild half the tree here
    // and again at the next build from a shell.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_"]
            .iter()
            .any(|p| k.starts_with(p))
            || k == "OUT_DIR"
            || k == "CARGO_TARGET_TMPDIR"
        {
            build.env_remove(&*k);
        }
    }
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            build.arg("--release");
        }
        Some(profile) => {
            build.args(["--profile", profile]);
        }
    }
    let status = build.status().expect("running cargo build");
    assert!(status.success(), "building the server failed");
    dir.join("tickwave")
}

/// A server process, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    pub(crate) pin: String,
    pub(crate) log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Start the server with these modes (TOML), on 127.0.0.1 port 0, no admin listener.
    pub(crate) fn start(modes_toml: &str) -> Server {
        let bin = server_bin();
        let dir = tempfile::tempdir().unwrap();
        let modes = dir.path().join("modes.toml");
        std::fs::write(&modes, modes_toml).unwrap();
        let log = dir.path().join("server.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(&bin);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("TICKWAVE_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .current_dir(dir.path())
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "off"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--modes")
            .arg(&modes)
            .env("RUST_LOG", "warn,tickwave::net=info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("starting the server");
        let mut s = Server { child, url: String::new(), pin: String::new(), log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(l) = parse_listening(&s.log_text()) {
                (s.url, s.pin) = (l.url, l.fingerprint);
                return s;
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                panic!("the server exited ({status}):\n{}", s.log_text());
            }
            assert!(Instant::now() < deadline, "no listening line:\n{}", s.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn check(&self) -> CertCheck {
        CertCheck::Pin(self.pin.clone())
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `[[mode]]` that starts as soon as `min` players are in (no fill wait, no countdown).
pub(crate) fn quick_mode(name: &str, game: &str, max: u32, min: u32) -> String {
    format!(
        "[[mode]]\nname = \"{name}\"\ngame = \"{game}\"\nmax_players = {max}\nmin_players = {min}\n\
         countdown_ms = 0\nfill_timeout_ms = 0\nbackfill = true\nmatch_length_ms = 600000\n\
         tick_hz = 30\n\n"
    )
}
