//! Where the demo and the dashboard are served from.

use super::WebFilesError;
use std::ffi::OsString;
use std::path::PathBuf;

/// Where a listener's web files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebFiles {
    /// The copy compiled into the binary (the default).
    Embedded,
    /// A directory read on each request (for working on the pages without a rebuild).
    Dir(PathBuf),
    /// Nothing is served.
    Off,
}

impl WebFiles {
    /// From a command-line flag: absent is the embedded copy, `off` (or `""`) is nothing,
    /// anything else must be a directory. The path is made absolute here, so the working
    /// directory does not matter after start; the error names `flag`.
    pub fn from_flag(flag: &str, value: Option<OsString>) -> Result<WebFiles, WebFilesError> {
        let Some(value) = value else { return Ok(WebFiles::Embedded) };
        if value.is_empty() || value == "off" {
            return Ok(WebFiles::Off);
        }
        let path = PathBuf::from(value);
        let dir = std::fs::canonicalize(&path).map_err(|source| WebFilesError::Resolve {
            flag: flag.to_owned(),
            path: path.clone(),
            source,
        })?;
        if !dir.is_dir() {
            return Err(WebFilesError::NotADirectory { flag: flag.to_owned(), path });
        }
        if !dir.join("index.html").is_file() {
            tracing::warn!(dir = %dir.display(), "{flag}: the directory has no index.html");
        }
        Ok(WebFiles::Dir(dir))
    }
}
