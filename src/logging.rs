//! The log: `tracing` events on stdout, as colourless text or one JSON object per line.
//!
//! Colour codes are for people at a terminal; in a file, a pipe or a log shipper they are
//! noise that breaks `grep` and parsers, so text is coloured only when stdout is a terminal
//! and `NO_COLOR` (<https://no-color.org>) is not set. Tools parse the text form of the
//! listening line (`INFO tickwave::net: listening on wss://ADDR/ws local_addr=ADDR
//! sha256=HEX`); in JSON the same event is
//! `{"timestamp":…,"level":"INFO","message":"listening on wss://ADDR/ws","local_addr":"ADDR","sha256":"HEX","target":"tickwave::net"}`.
//!
//! Writing the log never panics and never reports its own failures: a closed stdout (the
//! reader of a pipe went away) must not take the server down, and reporting the failure on
//! stderr is what used to panic when stderr was the same closed pipe.

use std::ffi::OsStr;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured only on a terminal).
    #[default]
    Text,
    /// One JSON object per event: timestamp, level, message, the event's fields, target.
    Json,
}

/// Whether text logs get ANSI colours: only on a terminal, and never when `NO_COLOR` is set
/// to a non-empty value.
pub(crate) fn use_colour(stdout_is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Install the process-wide subscriber: `RUST_LOG` filter (default `info`), on stdout.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).log_internal_errors(false);
    match format {
        LogFormat::Text => {
            let colour = use_colour(
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            );
            builder.with_ansi(colour).init();
        }
        LogFormat::Json => {
            builder.json().flatten_event(true).with_span_list(false).with_ansi(false).init();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::use_colour;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some(OsStr::new(""))), "an empty NO_COLOR does not count");
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, None), "a pipe or a file gets no colour");
        assert!(!use_colour(false, Some(OsStr::new("1"))));
    }
}
