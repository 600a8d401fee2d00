//! One protocol-2 player for `tickwave-bots client --protocol 2`: hello, find a match, play
//! whatever game the lobby's schema describes as a swarm bot would (the arenas: circles,
//! aim and fire; connect4: its drops; another game: random valid inputs), and print what
//! happens. The state is checked like the swarm's: a state message that does not apply ends
//! the run with an error.

use crate::client::{Client, ClientError};
use crate::state_v2::StateCheckV2;
use crate::swarm::Behaviour;
use crate::swarm::behaviour::{Policy, Rng};
use crate::swarm::game::GamePlay;
use crate::swarm::net::wire::{Incoming, decode_v2};
use crate::tls::CertCheck;
use std::io::Write;
use std::time::{Duration, Instant};
use tickwave_protocol::v2::{
    CommandOutcome, SchemaError, WireError, decode_delta, decode_snapshot,
};
use tickwave_protocol::{ClientMessage, DecodeError, Hello, ServerMessage};

/// Inputs per second of the single player (as the v1 client).
const INPUT_HZ: u32 = 20;

/// Why a run of the single player stopped early.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("state message: {0}")]
    Wire(#[from] WireError),
    #[error("state check: {0}")]
    State(#[from] StateCheckV2),
    #[error("match_found.schema: {0}")]
    Schema(#[from] SchemaError),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

/// What the run did, for its last line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub tick: Option<u64>,
    pub snapshots: u64,
    pub deltas: u64,
    pub inputs: u64,
    /// The last `acks[me]` applied.
    pub acked: Option<u64>,
    pub commands: u64,
    pub events: u64,
    pub results: u64,
}

/// Play for `seconds` on the server at `url`, printing to `out`.
pub async fn play(
    url: &str,
    check: &CertCheck,
    name: &str,
    mode: &str,
    seconds: f64,
    out: &mut dyn Write,
) -> Result<Summary, PlayError> {
    let mut c = Client::connect(url, check).await?;
    let w = c.hello_with(Hello { protocol: 2, ..Client::plain_hello(name) }).await?;
    writeln!(
        out,
        "welcome: session {} player {} ({}), protocol {}",
        w.session, w.player, w.server, w.protocol
    )?;
    c.send(&ClientMessage::FindMatch { mode: mode.into(), skill: None, region: None }).await?;
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(seconds);
    let mut policy = Policy::new(Behaviour::Circle, Rng::new(1));
    let mut play: Option<GamePlay> = None;
    let (mut me, mut seq, mut sum) = (w.player, 0u64, Summary::default());
    let mut inputs = tokio::time::interval(Duration::from_millis(1000 / u64::from(INPUT_HZ)));
    let mut buf = Vec::new();
    while Instant::now() < end {
        let sending = play.as_ref().is_some_and(GamePlay::sends_inputs);
        tokio::select! {
            _ = inputs.tick(), if sending => {
                let Some(p) = play.as_mut() else { continue };
                seq += 1;
                buf.clear();
                p.input(&mut policy, INPUT_HZ, me, seq, &mut buf);
                c.send_raw(buf.clone()).await?;
                sum.inputs += 1;
            }
            m = tokio::time::timeout(Duration::from_millis(500), c.recv_bytes()) => {
                let Ok(b) = m else { continue };
                let b = b?;
                let now_us = t0.elapsed().as_micros() as u64;
                match decode_v2(&b)? {
                    Incoming::MatchFound(m) => {
                        me = m.player;
                        let p = GamePlay::new(&m, Rng::new(u64::from(me)), true)?;
                        writeln!(
                            out,
                            "match_found: lobby {} as player {}, game {} ({:?}), {} in roster",
                            m.lobby, m.player, m.game, p.shape, m.roster.len()
                        )?;
                        play = Some(p);
                    }
                    Incoming::State { snapshot } => {
                        let Some(p) = play.as_mut() else { continue };
                        if snapshot {
                            p.state.apply_snapshot(&decode_snapshot(&b)?)?;
                            sum.snapshots += 1;
                        } else {
                            p.state.apply_delta(&decode_delta(&b)?)?;
                            sum.deltas += 1;
                        }
                        (sum.tick, sum.acked) = (p.state.tick, p.state.ack(me));
                        buf.clear();
                        if p.after_state(me, now_us, &mut buf) {
                            c.send_raw(buf.clone()).await?;
                            sum.commands += 1;
                        }
                    }
                    Incoming::Event(e) => {
                        sum.events += 1;
                        let data: Vec<String> =
                            e.data.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                        writeln!(out, "event {} at tick {}: {}", e.name, e.tick, data.join(" "))?;
                    }
                    Incoming::CommandResult(r) => {
                        let refusal = match &r.outcome {
                            CommandOutcome::Ok(_) => None,
                            CommandOutcome::Err { code, .. } => Some(code.as_str()),
                        };
                        let rtt = play
                            .as_mut()
                            .and_then(|p| p.on_command_result(r.id, refusal, now_us))
                            .map_or(String::new(), |a| format!(" after {:.1} ms", a.rtt_us as f64 / 1000.0));
                        match refusal {
                            None => writeln!(out, "command {}: ok{rtt}", r.id)?,
                            Some(code) => writeln!(out, "command {}: refused {code}{rtt}", r.id)?,
                        }
                    }
                    Incoming::Results(r) => {
                        sum.results += 1;
                        writeln!(
                            out,
                            "results: lobby {}, winner {:?}, reason {:?}, scores {:?}",
                            r.lobby,
                            r.winner(),
                            r.reason(),
                            r.scores.iter().map(|l| (l.player, l.score)).collect::<Vec<_>>()
                        )?;
                    }
                    Incoming::Rtt(r) => {
                        writeln!(out, "rtt {:.2} ms, jitter {:.2} ms", r.rtt_ms, r.jitter_ms)?
                    }
                    Incoming::Chat { from, text } => writeln!(out, "chat from {from}: {text}")?,
                    Incoming::Other(m @ ServerMessage::LobbyClosed { .. }) => {
                        play = None;
                        writeln!(out, "{m:?}")?;
                    }
                    Incoming::Other(m) => writeln!(out, "{m:?}")?,
                }
            }
        }
    }
    writeln!(
        out,
        "tick {:?}: {} snapshots, {} deltas applied, last ack {:?} of {} inputs, {} commands, {} events, {} results",
        sum.tick,
        sum.snapshots,
        sum.deltas,
        sum.acked,
        sum.inputs,
        sum.commands,
        sum.events,
        sum.results
    )?;
    Ok(sum)
}
