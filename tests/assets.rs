//! The browser demo and the admin dashboard are part of the binary: served with no files on
//! disk, from any working directory, and the server never runs npm. Override directories
//! (for working on the pages without rebuilding) serve only what is inside them.

mod common;

use common::https_get;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tickwave::WebFiles;
use tickwave_bots::CertCheck;

fn repo_file(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// A `tickwave` process; killed on drop.
struct Proc {
    child: Child,
    game: SocketAddr,
    admin: SocketAddr,
    check: CertCheck,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `bin` in `cwd` with its data in `data`, both listeners on port 0, and read the game
/// and admin addresses and the certificate pin from its log.
fn spawn(bin: &Path, cwd: &Path, data: &Path, path_env: Option<&str>) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .current_dir(cwd)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("TICKWAVE_STATIC_DIR")
        .env_remove("TICKWAVE_ADMIN_STATIC_DIR")
        .env_remove("TICKWAVE_NO_BUILD_DEMO")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    let mut child = cmd.spawn().expect("the tickwave binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut game, mut admin, mut pin) = (None, None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("listening on wss://").nth(1) {
            game = rest.split('/').next().and_then(|a| a.parse().ok());
            pin = line.split("sha256=").nth(1).map(|s| s.split_whitespace().next().unwrap().into());
        }
        if let Some(rest) = line.split("admin listener on https://").nth(1) {
            admin = rest.split('/').next().and_then(|a| a.parse().ok());
        }
        if game.is_some() && admin.is_some() {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Proc {
        child,
        game: game.expect("the game listener's line"),
        admin: admin.expect("the admin listener's line"),
        check: CertCheck::Pin(pin.expect("the certificate fingerprint is logged")),
    }
}

/// The issue: started from any directory but the checkout, `/` said the demo was "not
/// built" and the dashboard answered 404. The binary is copied away from the checkout (so
/// nothing can be found next to it either) and started in `/`.
#[tokio::test]
async fn copied_binary_serves_demo_bundle_and_dashboard_from_any_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("tickwave");
    std::fs::copy(env!("CARGO_BIN_EXE_tickwave"), &bin).unwrap();
    let p = spawn(&bin, Path::new("/"), &tmp.path().join("data"), None);

    let page = https_get(p.game, &p.check, "/", &[]).await;
    assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // The built-in demo lives under the same strict policy as the dashboard (tests/browser
    // runs it so): only its own scripts, styles and origin, nothing inline, no framing.
    let csp = page.header("content-security-policy").expect("the demo's CSP");
    for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.body, repo_file("assets/play/index.html"));

    let bundle = https_get(p.game, &p.check, "/tickwave.js", &[]).await;
    assert_eq!(bundle.status, 200);
    assert_eq!(bundle.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(bundle.body, repo_file("assets/play/tickwave.js"), "the committed bundle");

    let dash = https_get(p.admin, &p.check, "/", &[]).await;
    assert_eq!(dash.status, 200, "{}", String::from_utf8_lossy(&dash.body));
    assert_eq!(dash.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(dash.header("content-security-policy").is_some(), "the dashboard's CSP is kept");
    assert_eq!(dash.header("x-frame-options"), Some("DENY"));
    assert_eq!(dash.body, repo_file("assets/admin/index.html"));
    let app = https_get(p.admin, &p.check, "/ui/app.js", &[]).await;
    assert_eq!(app.status, 200);
    assert_eq!(app.body, repo_file("assets/admin/app.js"));

    // An embedded file has an ETag; a client that has it gets 304 without the body.
    let etag = bundle.header("etag").expect("an ETag on an embedded file").to_owned();
    let again = https_get(p.game, &p.check, "/tickwave.js", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(https_get(p.game, &p.check, "/nope.js", &[]).await.status, 404);
}

/// The server used to run `npm ci && npm run build` at start (inheriting its CPU pinning and
/// scheduling) when it found a checkout without the bundle. A fake `npm` first in PATH
/// records any call; the layout it used to look for is laid out in the working directory.
#[tokio::test]
async fn the_server_never_runs_npm() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("checkout");
    std::fs::create_dir_all(work.join("assets/play")).unwrap();
    std::fs::create_dir_all(work.join("protocol/ts")).unwrap();
    std::fs::write(work.join("protocol/ts/package.json"), "{}").unwrap();
    let fakebin = tmp.path().join("bin");
    std::fs::create_dir(&fakebin).unwrap();
    let marker = tmp.path().join("npm-ran");
    let npm = fakebin.join("npm");
    std::fs::write(&npm, format!("#!/bin/sh\necho \"$@\" >> '{}'\n", marker.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", fakebin.display(), std::env::var("PATH").unwrap_or_default());

    let p = spawn(
        Path::new(env!("CARGO_BIN_EXE_tickwave")),
        &work,
        &tmp.path().join("data"),
        Some(&path),
    );
    // The server is up; the old code had called `npm --version` before it listened, and
    // started the build on a thread right after.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(300) && !marker.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !marker.exists(),
        "the server ran npm: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
    assert_eq!(https_get(p.game, &p.check, "/", &[]).await.status, 200, "the embedded demo");
}

/// An override directory with a symlink to a file outside it, one to a directory outside
/// it, and one to a file inside it.
fn override_dir(outside: &Path, tag: &str) -> tempfile::TempDir {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), format!("<!doctype html><p>{tag}</p>")).unwrap();
    std::fs::write(dir.path().join("inside.js"), "export const inside = 1;\n").unwrap();
    symlink(outside.join("secret.txt"), dir.path().join("escape.txt")).unwrap();
    symlink(outside, dir.path().join("sub")).unwrap();
    symlink(dir.path().join("inside.js"), dir.path().join("alias.js")).unwrap();
    dir
}

fn outside_dir() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("secret.txt"), "TOP-SECRET").unwrap();
    out
}

async fn assert_confined(addr: SocketAddr, check: &CertCheck, prefix: &str, tag: &str) {
    let index = https_get(addr, check, &format!("{prefix}/"), &[]).await;
    assert_eq!(index.status, 200);
    assert_eq!(String::from_utf8_lossy(&index.body), format!("<!doctype html><p>{tag}</p>"));
    let inside = https_get(addr, check, &format!("{prefix}/alias.js"), &[]).await;
    assert_eq!(inside.status, 200, "a symlink to a file inside the directory is served");
    assert_eq!(inside.header("content-type"), Some("text/javascript; charset=utf-8"));
    for path in ["/escape.txt", "/sub/secret.txt"] {
        let r = https_get(addr, check, &format!("{prefix}{path}"), &[]).await;
        assert_eq!(r.status, 404, "{prefix}{path} points outside the directory");
        assert!(!String::from_utf8_lossy(&r.body).contains("TOP-SECRET"), "{prefix}{path}");
    }
}

#[tokio::test]
async fn override_dirs_serve_their_files_and_no_symlink_out_of_them() {
    let outside = outside_dir();
    let demo = override_dir(outside.path(), "demo override");
    let dash = override_dir(outside.path(), "dashboard override");
    let (d, a): (PathBuf, PathBuf) = (demo.path().into(), dash.path().into());
    let s = common::start_with(move |c| {
        c.demo_files = WebFiles::Dir(d);
        c.dashboard_files = WebFiles::Dir(a);
    })
    .await;
    assert_confined(s.server.local_addr(), &s.check, "", "demo override").await;
    let admin = s.server.admin_addr().unwrap();
    assert_confined(admin, &s.check, "/ui", "dashboard override").await;
}

fn config_from(args: &[&str]) -> Result<tickwave::Config, String> {
    use clap::Parser;
    let cli =
        tickwave::Cli::try_parse_from(std::iter::once("tickwave").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
    cli.into_config().map_err(|e| e.to_string())
}

#[test]
fn override_flags_are_checked_at_start_and_name_the_flag() {
    let c = config_from(&[]).unwrap();
    assert_eq!((c.demo_files, c.dashboard_files), (WebFiles::Embedded, WebFiles::Embedded));
    let c = config_from(&["--static-dir", "off", "--admin-static-dir", ""]).unwrap();
    assert_eq!((c.demo_files, c.dashboard_files), (WebFiles::Off, WebFiles::Off));
    // A relative directory is fixed at start: a later working directory does not matter.
    let c = config_from(&["--static-dir", "assets/play"]).unwrap();
    let play = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/play").canonicalize().unwrap();
    assert_eq!(c.demo_files, WebFiles::Dir(play));

    let e = config_from(&["--static-dir", "/nonexistent/tickwave-play"]).unwrap_err();
    assert!(e.contains("--static-dir /nonexistent/tickwave-play"), "{e}");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let e = config_from(&["--admin-static-dir", file.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("--admin-static-dir") && e.contains("not a directory"), "{e}");
}

/// Scripts written for the npm build still start: the flag and its variable are accepted.
#[test]
fn the_deprecated_no_build_demo_flag_is_still_accepted() {
    assert!(config_from(&["--no-build-demo"]).is_ok());
    let out = Command::new(env!("CARGO_BIN_EXE_tickwave"))
        .args(["--static-dir", "/nonexistent/tickwave-play", "--no-build-demo"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    // It gets as far as the configuration, which refuses the directory and names the flag.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--static-dir /nonexistent/tickwave-play"), "{stderr}");
}
