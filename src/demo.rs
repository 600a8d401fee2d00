//! First-run convenience for the browser demo: when the demo's bundle is missing and npm is
//! installed, build it in the background (`npm ci && npm run build` in `protocol/ts`), so
//! `cargo run --release` on a fresh clone serves a playable page after a short wait. Without
//! npm the page served at `/` says how to build it. Only the `tickwave` binary calls this.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the SDK package lives relative to the demo directory (`assets/play`).
fn sdk_dir(static_dir: &Path) -> Option<PathBuf> {
    let root = static_dir.parent()?.parent()?;
    let sdk = root.join("protocol/ts");
    sdk.join("package.json").is_file().then_some(sdk)
}

/// Start building the bundle if it is missing; returns at once.
pub fn ensure_bundle(static_dir: &Path) {
    if static_dir.join("tickwave.js").is_file() {
        return;
    }
    let Some(sdk) = sdk_dir(static_dir) else { return };
    if Command::new("npm").arg("--version").output().is_err() {
        tracing::warn!(
            "the browser demo is not built and npm is not installed: see protocol/ts/README.md"
        );
        return;
    }
    tracing::info!(dir = %sdk.display(), "building the browser demo bundle in the background (npm ci && npm run build)");
    std::thread::spawn(move || {
        let run = |args: &[&str]| {
            Command::new("npm")
                .args(args)
                .current_dir(&sdk)
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
                .output()
        };
        let result = run(&["ci", "--no-audit", "--no-fund"])
            .and_then(|o| if o.status.success() { run(&["run", "build"]) } else { Ok(o) });
        match result {
            Ok(o) if o.status.success() => tracing::info!("browser demo built: reload the page"),
            Ok(o) => tracing::warn!(
                stderr = %String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""),
                "building the browser demo failed"
            ),
            Err(e) => tracing::warn!(error = %e, "could not run npm"),
        }
    });
}
