//! The documented range of every numeric knob, and the checks that hold a [`Config`] to them.
//!
//! Why: a value outside its range does not fail at start on its own, it fails later and
//! worse (`--heartbeat-ms 0` panicked every session; `--timeout-ms 0` closed everyone at the
//! first ping). So the flags are parsed against these ranges (clap names the flag and the
//! range), and [`Config::validate`] checks the same ranges for configs built in code (tests,
//! a studio's `main`), because `Server::start` takes a `Config`, not flags. The README's
//! configuration tables list the same ranges.

use super::Config;
use std::ops::RangeInclusive;
use std::time::Duration;

/// Ranges of the flags (the README's tables list them). Milliseconds, bytes or counts.
pub(crate) mod ranges {
    use std::ops::RangeInclusive;

    pub(crate) const HEARTBEAT_MS: RangeInclusive<u64> = 10..=60_000;
    pub(crate) const TIMEOUT_MS: RangeInclusive<u64> = 20..=600_000;
    pub(crate) const HANDSHAKE_TIMEOUT_MS: RangeInclusive<u64> = 100..=120_000;
    pub(crate) const SHUTDOWN_TIMEOUT_MS: RangeInclusive<u64> = 100..=600_000;
    pub(crate) const DRAIN_TIMEOUT_MS: RangeInclusive<u64> = 0..=86_400_000;
    pub(crate) const MAX_MESSAGE_BYTES: RangeInclusive<u64> = 1024..=16 * 1024 * 1024;
    pub(crate) const OUTBOUND_QUEUE: RangeInclusive<u64> = 4..=65_536;
    pub(crate) const MAX_CONNECTIONS: RangeInclusive<u64> = 1..=1_000_000;
    /// Besides 0, which leaves the buffer to kernel autotuning.
    pub(crate) const TCP_SEND_BUFFER: RangeInclusive<u64> = 4096..=64 * 1024 * 1024;
    pub(crate) const CHAT_MAX_CHARS: RangeInclusive<u64> = 1..=4096;
    pub(crate) const CHAT_PER_SEC: RangeInclusive<f64> = 0.01..=1000.0;
    pub(crate) const PER_IP_CONNECTIONS: RangeInclusive<u64> = 1..=1_000_000;
    pub(crate) const PER_IP_RATE: RangeInclusive<f64> = 0.1..=100_000.0;
    /// At most the per-session frame rate (240/s): more inputs could never arrive.
    pub(crate) const INPUT_RATE: RangeInclusive<f64> = 1.0..=240.0;
    pub(crate) const CAPACITY: RangeInclusive<u64> = 1..=1_000_000;
}

/// A configuration the server refuses to start with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// One value outside its documented range.
    #[error("{knob} must be in {range}, got {got}")]
    OutOfRange {
        /// The setting.
        knob: String,
        /// Its documented range.
        range: String,
        /// The value given.
        got: String,
    },
    /// Values that are each in range but cannot work together.
    #[error("{0}")]
    Inconsistent(String),
}

/// A clap value parser for a float flag: finite and within `range`.
pub(crate) fn f64_in(
    range: RangeInclusive<f64>,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let shown = format!("{}..={}", range.start(), range.end());
        let v: f64 = s.trim().parse().map_err(|_| format!("not a number; must be in {shown}"))?;
        if v.is_finite() && range.contains(&v) {
            Ok(v)
        } else {
            Err(format!("{v} is not in {shown}"))
        }
    }
}

/// The clap value parser of `--tcp-send-buffer`: 0 (autotuning) or a size in range.
pub(crate) fn tcp_send_buffer(s: &str) -> Result<u32, String> {
    let r = ranges::TCP_SEND_BUFFER;
    let shown = format!("0 or {}..={}", r.start(), r.end());
    let v: u64 = s.trim().parse().map_err(|_| format!("not a number; must be {shown}"))?;
    if v == 0 || r.contains(&v) { Ok(v as u32) } else { Err(format!("{v} is not in {shown}")) }
}

pub(crate) fn check<T: PartialOrd + std::fmt::Display>(
    knob: impl Into<String>,
    range: RangeInclusive<T>,
    unit: &str,
    got: T,
) -> Result<(), ConfigError> {
    if range.contains(&got) {
        return Ok(());
    }
    Err(ConfigError::OutOfRange {
        knob: knob.into(),
        range: format!("{}..={}{unit}", range.start(), range.end()),
        got: format!("{got}{unit}"),
    })
}

/// Floats must also be finite (NaN is in no range, but says so more clearly this way).
fn check_f64(knob: &str, range: RangeInclusive<f64>, got: f64) -> Result<(), ConfigError> {
    check(knob, range, "", got)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn n(v: impl TryInto<u64>) -> u64 {
    v.try_into().unwrap_or(u64::MAX)
}

impl Config {
    /// Check every knob against its documented range, and the knobs that depend on each
    /// other. `Server::start` calls this; the flags are checked by their parsers already.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use ranges as r;
        let c = self;
        check(
            "--heartbeat-ms (Config::heartbeat_interval)",
            r::HEARTBEAT_MS,
            " ms",
            ms(c.heartbeat_interval),
        )?;
        check(
            "--timeout-ms (Config::heartbeat_timeout)",
            r::TIMEOUT_MS,
            " ms",
            ms(c.heartbeat_timeout),
        )?;
        if c.heartbeat_timeout < 2 * c.heartbeat_interval {
            return Err(ConfigError::Inconsistent(format!(
                "--timeout-ms ({} ms) must be at least 2 × --heartbeat-ms ({} ms): a session \
                 that answers every ping would otherwise time out",
                ms(c.heartbeat_timeout),
                ms(c.heartbeat_interval)
            )));
        }
        check(
            "--handshake-timeout-ms (Config::handshake_timeout)",
            r::HANDSHAKE_TIMEOUT_MS,
            " ms",
            ms(c.handshake_timeout),
        )?;
        check(
            "--shutdown-timeout-ms (Config::shutdown_timeout)",
            r::SHUTDOWN_TIMEOUT_MS,
            " ms",
            ms(c.shutdown_timeout),
        )?;
        check(
            "--drain-timeout-ms (Config::drain_timeout)",
            r::DRAIN_TIMEOUT_MS,
            " ms",
            ms(c.drain_timeout),
        )?;
        check(
            "--max-message-bytes (Config::ws.max_message_bytes)",
            r::MAX_MESSAGE_BYTES,
            "",
            n(c.ws.max_message_bytes),
        )?;
        check("Config::ws.max_frame_bytes", r::MAX_MESSAGE_BYTES, "", n(c.ws.max_frame_bytes))?;
        check(
            "Config::ws.read_buffer_bytes",
            256..=16 * 1024 * 1024,
            "",
            n(c.ws.read_buffer_bytes),
        )?;
        check(
            "Config::ws.write_buffer_bytes",
            0..=16 * 1024 * 1024,
            "",
            n(c.ws.write_buffer_bytes),
        )?;
        // tungstenite asserts this (a panic in every session) when it builds a socket
        let min_max_write = n(c.ws.write_buffer_bytes) + 1;
        check(
            "Config::ws.max_write_buffer_bytes",
            min_max_write..=64 * 1024 * 1024,
            "",
            n(c.ws.max_write_buffer_bytes),
        )?;
        check(
            "--outbound-queue (Config::outbound_queue)",
            r::OUTBOUND_QUEUE,
            "",
            n(c.outbound_queue),
        )?;
        if let Some(b) = c.tcp_send_buffer {
            check("--tcp-send-buffer (Config::tcp_send_buffer)", r::TCP_SEND_BUFFER, "", n(b))?;
        }
        // hyper refuses (panics) below 8 KiB
        check("Config::max_header_bytes", 8192..=1024 * 1024, "", n(c.max_header_bytes))?;
        check(
            "--max-connections (Config::max_connections)",
            r::MAX_CONNECTIONS,
            "",
            n(c.max_connections),
        )?;
        check("Config::mailbox", 1..=1 << 20, "", n(c.mailbox))?;
        check("Config::resume_grace", 0..=3_600_000, " ms", ms(c.resume_grace))?;
        let chat = &c.chat;
        check(
            "--chat-max-chars (Config::chat.max_chars)",
            r::CHAT_MAX_CHARS,
            "",
            n(chat.max_chars),
        )?;
        check_f64("--chat-per-sec (Config::chat.per_sec)", r::CHAT_PER_SEC, chat.per_sec)?;
        check("Config::chat.burst", 1..=10_000, "", chat.burst)?;
        check("Config::chat.abuse_limit", 1..=1_000_000, "", chat.abuse_limit)?;
        check("Config::chat.abuse_window", 1..=3_600_000, " ms", ms(chat.abuse_window))?;
        check("Config::chat.history", 0..=1000, "", n(chat.history))?;
        check("Config::chat.backlog", 1..=10_000, "", n(chat.backlog))?;
        let i = &c.inputs;
        check_f64("--input-rate (Config::inputs.inputs_per_sec)", r::INPUT_RATE, i.inputs_per_sec)?;
        check("Config::inputs.inputs_burst", 1..=100_000, "", i.inputs_burst)?;
        check_f64("Config::inputs.frames_per_sec", 1.0..=100_000.0, i.frames_per_sec)?;
        check("Config::inputs.frames_burst", 1..=100_000, "", i.frames_burst)?;
        check("Config::inputs.abuse_limit", 1..=1_000_000, "", i.abuse_limit)?;
        check("Config::inputs.abuse_window", 1..=3_600_000, " ms", ms(i.abuse_window))?;
        check(
            "--per-ip-connections (Config::ip.max_per_ip)",
            r::PER_IP_CONNECTIONS,
            "",
            n(c.ip.max_per_ip),
        )?;
        check_f64("--per-ip-rate (Config::ip.rate_per_sec)", r::PER_IP_RATE, c.ip.rate_per_sec)?;
        check("Config::ip.burst", 1..=1_000_000, "", c.ip.burst)?;
        if let Some(cl) = &c.cluster {
            check("--capacity (Config::cluster.capacity)", r::CAPACITY, "", n(cl.capacity))?;
            // Not a flag (15 s in production); tests shorten it to see an expiry. Below 0.5 s
            // a redirected client could not reconnect in time; above 10 min a seat nobody
            // takes would be held that long.
            let ttl = ms(cl.reservation_ttl);
            check("Config::cluster.reservation_ttl", 500..=600_000, " ms", ttl)?;
        }
        if c.modes.is_empty() {
            return Err(ConfigError::Inconsistent(
                "Config::modes is empty: at least one game mode is needed".into(),
            ));
        }
        for (k, m) in c.modes.iter().enumerate() {
            m.validate()?;
            match c.games.check_settings(&m.game, &m.settings) {
                None => {
                    return Err(ConfigError::Inconsistent(format!(
                        "mode {:?} names unknown game {:?}",
                        m.name, m.game
                    )));
                }
                Some(Err(e)) => {
                    return Err(ConfigError::Inconsistent(format!("mode {:?}: {e}", m.name)));
                }
                Some(Ok(())) => {}
            }
            if c.modes[..k].iter().any(|o| o.name == m.name) {
                return Err(ConfigError::Inconsistent(format!(
                    "Config::modes: two modes are named {:?}",
                    m.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
