//! Settings of a swarm run, as the library takes them and as the report records them.

use super::behaviour::{Behaviour, BehaviourMix};
use crate::tls::CertCheck;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How live progress is shown (on stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressMode {
    /// A live bar on a terminal, plain lines otherwise.
    Auto,
    /// Always the live bar.
    Bar,
    /// A line every 5 seconds (CI logs).
    Plain,
    /// Nothing.
    None,
}

/// How churning bots reconnect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChurnMode {
    #[default]
    /// Drop the connection without a close frame (a lost network) and come back with
    /// `hello.resume` and `last_tick`: same player, same seat, caught up by one delta.
    Resume,
    /// Close normally (1000), reconnect with a fresh `hello` and `find_match` again.
    Fresh,
}

/// The protocol version the bots speak (`hello.protocol`, PROTOCOL.md §2). Version 2 is
/// game API v2: typed state, inputs checked against `match_found.schema`, commands and
/// events. In reports it is the number, `1` or `2`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize,
)]
#[serde(into = "u32", try_from = "u32")]
pub enum Protocol {
    #[value(name = "1")]
    V1,
    #[default]
    #[value(name = "2")]
    V2,
}

impl Protocol {
    /// The number `hello.protocol` carries.
    pub fn number(self) -> u32 {
        match self {
            Protocol::V1 => 1,
            Protocol::V2 => 2,
        }
    }

    /// Reports written before `--protocol` existed were protocol 1 runs.
    fn of_old_reports() -> Protocol {
        Protocol::V1
    }
}

impl From<Protocol> for u32 {
    fn from(p: Protocol) -> u32 {
        p.number()
    }
}

impl TryFrom<u32> for Protocol {
    type Error = String;
    fn try_from(n: u32) -> Result<Protocol, String> {
        match n {
            1 => Ok(Protocol::V1),
            2 => Ok(Protocol::V2),
            n => Err(format!("protocol {n}: 1 or 2")),
        }
    }
}

/// Service-level objectives; a violated one makes the run fail (exit code 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Largest acceptable p99 input-to-ack latency, milliseconds.
    pub max_p99_ms: Option<f64>,
    /// Largest acceptable fraction of sessions (connection attempts) that saw an error.
    pub max_error_rate: Option<f64>,
    /// Smallest acceptable fraction of expected state messages received.
    pub min_delivery: Option<f64>,
}

/// Chat lines per second of a `chat` bot unless `--chat-rate` says otherwise.
pub const DEFAULT_CHAT_RATE: f64 = 0.5;
/// The server's default sustained chat limit per player, lines per second.
pub const SERVER_CHAT_RATE: f64 = 1.0;
/// Largest `--chat-rate` accepted (for a server whose limit was raised).
const MAX_CHAT_RATE: f64 = 100.0;

/// Longest `--think`: a minute per move is already slower than any turn clock.
pub(crate) const MAX_THINK: Duration = Duration::from_secs(60);

/// Everything a swarm run needs.
#[derive(Debug, Clone)]
pub struct SwarmConfig {
    /// `wss://host:port/ws` (or `ws://`); in cluster mode a comma-separated list of nodes
    /// ([`SwarmConfig::urls`]).
    pub url: String,
    pub check: CertCheck,
    pub bots: u32,
    /// Bots started per second; 0 starts them all at once.
    pub ramp: f64,
    /// Length of the whole run, ramp included.
    pub duration: Duration,
    /// Latency, RTT, traffic and delivery are measured from this point of the run on.
    pub warmup: Duration,
    pub mode: String,
    /// What the bots speak; with 2 they choose what to send from the lobby's schema.
    pub protocol: Protocol,
    pub behaviour: BehaviourMix,
    /// Inputs per second per bot.
    pub input_hz: u32,
    /// Chat lines per second of each `chat` bot. The server allows 1 line/s sustained (burst
    /// of 5) by default; lines above its limit are refused (`chat_refused` errors).
    pub chat_rate: f64,
    pub seed: u64,
    /// Threads of bots (each a single-threaded runtime with its share of the bots).
    pub threads: usize,
    /// Mean connection lifetime of churning bots.
    pub churn_every: Duration,
    pub churn_mode: ChurnMode,
    /// Turn-based games (connect4): how long a bot thinks before each move, from the first
    /// state that shows its turn. 0 moves at once, which makes a game last a few ticks and
    /// turns a run into a matchmaking and lobby-churn benchmark; people take seconds.
    pub think: Duration,
    /// WebSocket pings of each bot, for the bot's own view of the RTT; `None`: no pings.
    pub ping_interval: Option<Duration>,
    pub connect_timeout: Duration,
    /// A bot waiting longer than this for `match_found` counts a `match_timeout` error.
    pub match_timeout: Duration,
    /// Bots are named `<prefix><number>`.
    pub name_prefix: String,
    pub slo: Slo,
    pub progress: ProgressMode,
    /// Stop early (and still report) on Ctrl-C. The command line sets it; tests do not.
    pub handle_ctrl_c: bool,
}

impl SwarmConfig {
    /// Defaults for everything but the target.
    pub fn new(url: impl Into<String>, check: CertCheck) -> Self {
        SwarmConfig {
            url: url.into(),
            check,
            bots: 100,
            ramp: 100.0,
            duration: Duration::from_secs(30),
            warmup: Duration::ZERO,
            mode: "arena".into(),
            protocol: Protocol::V2,
            behaviour: BehaviourMix::single(Behaviour::RandomWalk),
            input_hz: 20,
            chat_rate: DEFAULT_CHAT_RATE,
            seed: 1,
            threads: 1,
            churn_every: Duration::from_secs(10),
            churn_mode: ChurnMode::Resume,
            think: Duration::ZERO,
            ping_interval: Some(Duration::from_secs(1)),
            connect_timeout: Duration::from_secs(10),
            match_timeout: Duration::from_secs(30),
            name_prefix: "bot-".into(),
            slo: Slo::default(),
            progress: ProgressMode::None,
            handle_ctrl_c: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.bots == 0 {
            return Err("--bots must be at least 1".into());
        }
        if !(self.ramp >= 0.0 && self.ramp.is_finite()) {
            return Err("--ramp must be a number of bots per second, 0 or more".into());
        }
        if self.duration.is_zero() {
            return Err("--duration must be above 0".into());
        }
        if self.warmup >= self.duration {
            return Err("--warmup must be shorter than --duration".into());
        }
        if self.think > MAX_THINK {
            return Err(format!("--think must be at most {} s", MAX_THINK.as_secs()));
        }
        if !(1..=1000).contains(&self.input_hz) {
            return Err("--input-hz must be 1..=1000".into());
        }
        if !(self.chat_rate > 0.0 && self.chat_rate <= MAX_CHAT_RATE) {
            return Err(format!("--chat-rate must be above 0 and at most {MAX_CHAT_RATE}"));
        }
        if self.chat_rate > SERVER_CHAT_RATE
            && self.behaviour.parts().iter().any(|(b, _)| b.chats())
        {
            tracing::warn!(
                chat_rate = self.chat_rate,
                "--chat-rate is above the server's default of 1 line/s: unless the server's \
                 limit was raised, lines will be refused (chat_refused errors)"
            );
        }
        if self.threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        if self.name_prefix.chars().count() > 20 {
            return Err("--name-prefix must be at most 20 characters".into());
        }
        Ok(())
    }

    /// The measurement window. It ends half a second before the bots stop, so that the burst
    /// of closing connections at the stop cannot delay (and drop from the window) the last
    /// messages a bot receives.
    pub(crate) fn window(&self) -> (Duration, Duration) {
        let cooldown = if self.duration >= self.warmup + Duration::from_secs(2) {
            Duration::from_millis(500)
        } else {
            Duration::ZERO
        };
        (self.warmup, self.duration - cooldown)
    }

    /// When bot number `i` starts, from the start of the run.
    pub(crate) fn start_offset(&self, i: u32) -> Duration {
        if self.ramp == 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(f64::from(i) / self.ramp)
        }
    }

    /// The nodes of [`SwarmConfig::url`], in order (at least one).
    pub fn urls(&self) -> Vec<&str> {
        let v: Vec<&str> = self.url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect();
        if v.is_empty() { vec![self.url.as_str()] } else { v }
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings {
            url: self.url.clone(),
            cert: match &self.check {
                CertCheck::Insecure => "insecure".into(),
                CertCheck::Pin(p) => format!("pin {p}"),
            },
            bots: self.bots,
            ramp: self.ramp,
            duration_s: self.duration.as_secs_f64(),
            warmup_s: self.warmup.as_secs_f64(),
            mode: self.mode.clone(),
            protocol: self.protocol,
            behaviour: self.behaviour.to_string(),
            input_hz: self.input_hz,
            chat_rate: self.chat_rate,
            seed: self.seed,
            threads: self.threads,
            churn_every_s: self.churn_every.as_secs_f64(),
            churn_mode: self.churn_mode,
            think_s: self.think.as_secs_f64(),
            ping_interval_ms: self.ping_interval.map(|d| d.as_secs_f64() * 1000.0),
            connect_timeout_s: self.connect_timeout.as_secs_f64(),
            match_timeout_s: self.match_timeout.as_secs_f64(),
            slo: self.slo,
        }
    }
}

/// The settings as the JSON report records them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub url: String,
    pub cert: String,
    pub bots: u32,
    pub ramp: f64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub mode: String,
    /// `1` or `2` (reports from before the flag: 1).
    #[serde(default = "Protocol::of_old_reports")]
    pub protocol: Protocol,
    pub behaviour: String,
    pub input_hz: u32,
    /// Chat lines per second of each `chat` bot.
    #[serde(default)]
    pub chat_rate: f64,
    pub seed: u64,
    pub threads: usize,
    pub churn_every_s: f64,
    pub churn_mode: ChurnMode,
    /// Seconds a bot thinks before each move of a turn-based game (old reports: 0).
    #[serde(default)]
    pub think_s: f64,
    pub ping_interval_ms: Option<f64>,
    pub connect_timeout_s: f64,
    pub match_timeout_s: f64,
    pub slo: Slo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_carry_the_protocol_as_a_number_and_old_ones_were_protocol_1() {
        let s = SwarmConfig::new("ws://x/ws", CertCheck::Insecure).settings();
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["protocol"], 2);
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("protocol");
        assert_eq!(serde_json::from_value::<Settings>(old).unwrap().protocol, Protocol::V1);
        let mut bad = json;
        bad["protocol"] = 3.into();
        assert!(serde_json::from_value::<Settings>(bad).is_err());
    }
}
