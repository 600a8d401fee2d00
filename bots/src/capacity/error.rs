//! Why a capacity run failed.

use std::path::PathBuf;

/// Why a capacity run stopped (a step that fails its gate is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error("{0}")]
    Setup(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("reading the swarm report {path}: {msg}")]
    Report { path: PathBuf, msg: String },
    #[error("interrupted")]
    Interrupted,
}

/// For `map_err`: an I/O error, with what was being done when it happened.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CapacityError {
    let what = what.into();
    move |source| CapacityError::Io { what, source }
}
