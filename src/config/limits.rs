//! Limits per connection, per player and per address.

use std::time::Duration;

/// WebSocket limits and buffer sizes handed to tungstenite.
///
/// Game traffic is many small messages, so buffers are small: tungstenite allocates (and,
/// measured, zero-fills) its read buffer up to capacity, so 128 KiB defaults cost both memory
/// per connection and CPU per read. Client messages are ≈ 50 bytes, so a 1 KiB read buffer
/// holds a burst of them (a larger message grows it as needed, up to `max_message_bytes`).
/// The write buffer target is 0: tungstenite keeps its write buffer's capacity for the life
/// of the connection, and with a 4 KiB target it grew to ≈ 4 KiB per player (heap profile,
/// BENCHMARKS.md). The session writes each tick's one delta with one write either way, and
/// rustls below already turns each write into one TLS record.
#[derive(Debug, Clone, Copy)]
pub struct WsLimits {
    /// Largest client message accepted; larger closes with 1009.
    pub max_message_bytes: usize,
    /// Largest single frame accepted.
    pub max_frame_bytes: usize,
    /// tungstenite read buffer capacity.
    pub read_buffer_bytes: usize,
    /// tungstenite write buffer target before it writes to the socket (flush always writes).
    pub write_buffer_bytes: usize,
    /// Hard cap of the write buffer; past it a send fails instead of growing memory.
    pub max_write_buffer_bytes: usize,
}

impl Default for WsLimits {
    fn default() -> Self {
        WsLimits {
            max_message_bytes: 16 * 1024,
            max_frame_bytes: 16 * 1024,
            read_buffer_bytes: 1024,
            write_buffer_bytes: 0,
            max_write_buffer_bytes: 256 * 1024,
        }
    }
}

/// Chat limits, per player.
#[derive(Debug, Clone, Copy)]
pub struct ChatLimits {
    /// Longest chat line in Unicode scalar values; longer is refused (`chat_too_long`).
    pub max_chars: usize,
    /// Lines a player may send in a burst, and the sustained rate (lines per second).
    pub burst: u32,
    /// Sustained chat lines per second.
    pub per_sec: f64,
    /// Refused lines within `abuse_window` beyond which the session is closed with 1008.
    pub abuse_limit: u32,
    /// The window of `abuse_limit`.
    pub abuse_window: Duration,
    /// Lines of history a joining or resuming player gets after the snapshot.
    pub history: usize,
    /// Lines waiting for one slow reader before its oldest are dropped.
    pub backlog: usize,
}

impl Default for ChatLimits {
    fn default() -> Self {
        ChatLimits {
            max_chars: 280,
            burst: 5,
            per_sec: 1.0,
            abuse_limit: 20,
            abuse_window: Duration::from_secs(10),
            history: 20,
            backlog: 32,
        }
    }
}

/// Per-session input and frame rates. Inputs over the rate are dropped (and reported with
/// `rate_limited`, at most once a second); frames of any kind over their rate, or inputs far
/// over theirs for long, end the session with 1008 `abuse`.
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// Sustained inputs per second.
    pub inputs_per_sec: f64,
    /// Inputs allowed in a burst.
    pub inputs_burst: u32,
    /// Sustained frames of any kind per second.
    pub frames_per_sec: f64,
    /// Frames allowed in a burst.
    pub frames_burst: u32,
    /// Refused inputs or frames within `abuse_window` beyond which the session is closed.
    pub abuse_limit: u32,
    /// The window of `abuse_limit`.
    pub abuse_window: Duration,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            inputs_per_sec: 60.0,
            inputs_burst: 120,
            frames_per_sec: 240.0,
            frames_burst: 480,
            abuse_limit: 600,
            abuse_window: Duration::from_secs(5),
        }
    }
}

/// Per-address limits.
#[derive(Debug, Clone, Copy)]
pub struct IpLimits {
    /// Open connections from one address.
    pub max_per_ip: u32,
    /// New connections per second from one address (sustained), and the burst allowed.
    pub rate_per_sec: f64,
    /// New connections allowed in a burst.
    pub burst: u32,
    /// Loopback peers (local bots, a proxy on the same host) are not limited.
    pub exempt_loopback: bool,
}

impl Default for IpLimits {
    fn default() -> Self {
        IpLimits { max_per_ip: 64, rate_per_sec: 20.0, burst: 40, exempt_loopback: true }
    }
}
