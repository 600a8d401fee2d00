//! The session's main loop after `welcome`: heartbeats, events from actors, client requests,
//! and what the session gives up when it ends.

use super::SessionCtx;
use super::heartbeat::{HeartbeatConfig, HeartbeatTracker, Verdict};
use super::registry::SessionKey;
use super::writer::{Io, SessionSocket};
use super::{End, Place, decode_error, fatal, ws_error};
use crate::auth::PlayerClaims;
use crate::link::{Matchmaking, SessionEvent, SessionLink, Ticket, encode, error_bytes};
use crate::ratelimit::{AbuseMeter, TokenBucket};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::{self as proto, ClientMessage, ErrorCode, RttReport, ServerMessage, close};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

mod seat;
mod typed;

pub(super) struct Session {
    shared: Arc<SessionCtx>,
    key: SessionKey,
    link: SessionLink,
    place: Place,
    /// Nonce of this session's resume token: its seat hold is ours while it matches.
    nonce: u64,
    epoch: Instant,
    chat_bucket: TokenBucket,
    chat_abuse: AbuseMeter,
    /// The player token's claims (token mode): its skill and region are the ones used.
    claims: Option<PlayerClaims>,
    frame_bucket: TokenBucket,
    input_bucket: TokenBucket,
    /// Commands per second (protocol 2): beyond it a command is answered `rate_limited`.
    command_bucket: TokenBucket,
    /// Refused inputs and frames; too many in a window close the session (`abuse`).
    flood: AbuseMeter,
    /// Frames over the frame rate were read since the last message: that message is dropped.
    over_frame_rate: bool,
    /// When the client was last told `rate_limited` (at most once a second).
    last_rate_warning: Option<Duration>,
}

impl Session {
    pub(super) fn new(
        shared: Arc<SessionCtx>,
        key: SessionKey,
        link: SessionLink,
        nonce: u64,
        claims: Option<PlayerClaims>,
    ) -> Self {
        let c = shared.config.chat;
        let i = shared.config.inputs;
        Session {
            shared,
            key,
            link,
            place: Place::Idle,
            nonce,
            epoch: Instant::now(),
            chat_bucket: TokenBucket::new(c.burst, c.per_sec, Duration::ZERO),
            chat_abuse: AbuseMeter::new(c.abuse_limit, c.abuse_window),
            claims,
            frame_bucket: TokenBucket::new(i.frames_burst, i.frames_per_sec, Duration::ZERO),
            input_bucket: TokenBucket::new(i.inputs_burst, i.inputs_per_sec, Duration::ZERO),
            command_bucket: TokenBucket::new(
                typed::COMMANDS_BURST,
                typed::COMMANDS_PER_SEC,
                Duration::ZERO,
            ),
            flood: AbuseMeter::new(i.abuse_limit, i.abuse_window),
            over_frame_rate: false,
            last_rate_warning: None,
        }
    }

    pub(super) async fn main_loop<S>(
        &mut self,
        socket: &mut SessionSocket<S>,
        mut events: mpsc::Receiver<SessionEvent>,
    ) -> End
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let cfg = &self.shared.config;
        let epoch = Instant::now();
        let mut hb = HeartbeatTracker::new(
            HeartbeatConfig { timeout: cfg.heartbeat_timeout },
            Duration::ZERO,
        );
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + cfg.heartbeat_interval,
            cfg.heartbeat_interval,
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut peer_close: Option<u16> = None;
        // One waiter for the whole session: a fresh `cancelled()` per loop would register and
        // unregister in the token's waiter list (a lock) at every wake, 50 times a second.
        let shutdown = self.shared.shutdown.clone().cancelled_owned();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                _ = &mut shutdown => {
                    return End::Close { code: close::GOING_AWAY, reason: "server shutting down", urgent: true };
                }
                Some(ev) = events.recv() => {
                    if let Some(end) = self.on_event(ev) {
                        return end;
                    }
                }
                _ = ticker.tick() => {
                    self.check_rejoin();
                    match hb.on_tick(epoch.elapsed()) {
                        Verdict::Ping(p) => {
                            socket.ping(Bytes::copy_from_slice(&p));
                        }
                        Verdict::TimedOut => {
                            tracing::info!("heartbeat timeout");
                            return End::Close { code: close::POLICY_VIOLATION, reason: "heartbeat timeout", urgent: true };
                        }
                    }
                }
                io = socket.next() => {
                    // Every read first charges the frames it brought (net/frames.rs).
                    if let Err(end) = self.charge_frames(socket.take_frames()) {
                        return end;
                    }
                    match io {
                        Io::WriteFailed => {
                            tracing::debug!("write failed (socket closed or failed)");
                            return End::Gone { intentional: false };
                        }
                        // Only the session queues a close marker, and only when it ends.
                        Io::Close(code, reason) => {
                            return End::Close { code, reason, urgent: true };
                        }
                        Io::Frames => {}
                        // A message with a frame beyond the frame rate (pings and continuations
                        // count) is dropped unread. A close is still a close.
                        Io::Read(Some(Ok(ref msg)))
                            if self.over_frame_rate && !matches!(msg, Message::Close(_)) =>
                        {
                            self.over_frame_rate = false;
                        }
                        Io::Read(None) => {
                            return End::Gone { intentional: peer_close == Some(close::NORMAL) };
                        }
                        Io::Read(Some(Err(e))) => {
                            return match ws_error(e) {
                                Some((code, msg)) => fatal(&self.link.out, code, msg),
                                None => End::Gone { intentional: peer_close == Some(close::NORMAL) },
                            };
                        }
                        Io::Read(Some(Ok(Message::Binary(b)))) => {
                            if let Err(end) = self.on_message(&b) {
                                return end;
                            }
                        }
                        Io::Read(Some(Ok(Message::Text(_)))) => {
                            let msg = "text frames are not supported; send binary MessagePack";
                            return fatal(&self.link.out, ErrorCode::TextFrame, msg.into());
                        }
                        Io::Read(Some(Ok(Message::Pong(p)))) => {
                            if let Some(est) = hb.on_pong(&p, epoch.elapsed()) {
                                self.shared.registry.update(self.key, |s| s.rtt = Some(est));
                                metrics::histogram!(crate::metrics::RTT).record(est.srtt.as_secs_f64());
                                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                                let report = RttReport { rtt_ms: ms(est.srtt), jitter_ms: ms(est.jitter), last_ms: ms(est.last) };
                                self.link.try_send(encode(&ServerMessage::Rtt(report)));
                            }
                        }
                        // tungstenite answers the close; the stream ends right after.
                        Io::Read(Some(Ok(Message::Close(f)))) => {
                            peer_close = Some(f.map_or(close::NORMAL, |f| u16::from(f.code)));
                        }
                        // tungstenite answers pings itself.
                        Io::Read(Some(Ok(_))) => {}
                    }
                },
            }
        }
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.link.try_send(error_bytes(code, message));
    }

    /// Apply an actor's event; `Some` ends the session.
    fn on_event(&mut self, ev: SessionEvent) -> Option<End> {
        match ev {
            SessionEvent::Joined(lobby) => self.set_place(Place::InLobby(*lobby)),
            SessionEvent::LobbyEnded { lobby } => {
                if matches!(&self.place, Place::InLobby(l) if l.id == lobby) {
                    self.set_place(Place::Idle);
                }
            }
            SessionEvent::SeatLost { lobby, reason } => self.seat_lost(lobby, reason),
            SessionEvent::QueueLeft => {
                if matches!(self.place, Place::Queued) {
                    self.set_place(Place::Idle);
                }
            }
            SessionEvent::Refused(code) => {
                return Some(fatal(&self.link.out, code, code.to_string()));
            }
            SessionEvent::Kick { reason } => {
                tracing::info!(%reason, "kicked by an operator");
                return Some(fatal(&self.link.out, ErrorCode::Kicked, reason));
            }
            SessionEvent::Replaced(rejoin) => return Some(self.replaced(rejoin.map(|r| *r))),
        }
        None
    }

    /// Handle one client message. Err ends the session after a fatal error.
    fn on_message(&mut self, bytes: &[u8]) -> Result<(), End> {
        if self.link.protocol != 1 {
            match proto::peek_type(bytes) {
                Ok("input") => return self.on_typed_input(bytes),
                Ok("command") => return self.on_command(bytes),
                _ => {}
            }
        }
        let msg = match proto::decode_client(bytes) {
            Ok(m) => m,
            Err(e) => {
                let (code, msg) = decode_error(e);
                return Err(fatal(&self.link.out, code, msg));
            }
        };
        match msg {
            ClientMessage::Input(_) if !self.input_bucket.try_take(self.epoch.elapsed()) => {
                metrics::counter!(crate::metrics::INPUTS_DROPPED).increment(1);
                return self.flooded(1).map_or(Ok(()), Err);
            }
            ClientMessage::Input(input) => match &self.place {
                Place::InLobby(l) => {
                    if !(input.dx.is_finite() && input.dy.is_finite()) {
                        self.error(ErrorCode::InvalidInput, "dx and dy must be finite numbers");
                    } else {
                        match typed::v1_input(l, &input) {
                            // A full inbox drops the input: the client sees its ack lag and
                            // may resend; the tick is never delayed for it.
                            Ok(frame) => drop(l.push_input(self.link.player, frame)),
                            Err(msg) => self.error(ErrorCode::InvalidInput, msg),
                        }
                    }
                }
                _ => self.error(ErrorCode::NotInLobby, "input outside a lobby"),
            },
            ClientMessage::Hello(_) => {
                let msg = "hello was already received";
                return Err(fatal(&self.link.out, ErrorCode::ExpectedHello, msg.into()));
            }
            ClientMessage::FindMatch { mode, skill, region } => {
                // An authenticated player's skill and region come from its token.
                let (skill, region) = match &self.claims {
                    Some(c) => (c.skill.or(skill), c.region.clone().or(region)),
                    None => (skill, region),
                };
                if self.can_join(Some(&mode)) {
                    let ticket = Ticket::new(self.link.clone(), mode, skill, region);
                    self.ask_matchmaker(|m| m.find_match(ticket, false), Place::Queued);
                }
            }
            ClientMessage::CancelMatch {} => match self.place {
                Place::Queued => {
                    let link = self.link.clone();
                    self.ask_matchmaker(|m| m.cancel(&link), Place::Idle);
                }
                _ => self.error(ErrorCode::NotQueued, "not waiting in a queue"),
            },
            ClientMessage::CreatePrivate { mode } => {
                if self.can_join(Some(&mode)) {
                    let link = self.link.clone();
                    self.ask_matchmaker(|m| m.create_private(link, mode), Place::Queued);
                }
            }
            ClientMessage::JoinPrivate { code } => {
                if self.can_join(None) {
                    let link = self.link.clone();
                    self.ask_matchmaker(|m| m.join_private(link, code), Place::Queued);
                }
            }
            ClientMessage::Chat { text } => return self.on_chat(text),
            ClientMessage::Leave {} if matches!(self.place, Place::Rejoining { .. }) => {
                let msg = "the held seat is being restored; leave after its match_found";
                self.error(ErrorCode::NotInLobby, msg);
            }
            ClientMessage::Leave {} => match &self.place {
                Place::InLobby(l) => {
                    l.leave(self.link.player, self.link.session);
                    self.set_place(Place::Idle);
                }
                _ => self.error(ErrorCode::NotInLobby, "not in a lobby"),
            },
        }
        Ok(())
    }

    /// Charge `n` frames read from the client to the frame budget. Those beyond it are
    /// refused (and the message they belong to dropped); see [`Session::flooded`].
    fn charge_frames(&mut self, n: u32) -> Result<(), End> {
        if n == 0 {
            return Ok(());
        }
        let taken = self.frame_bucket.take_up_to(self.epoch.elapsed(), n);
        if taken < n {
            self.over_frame_rate = true;
            if let Some(end) = self.flooded(n - taken) {
                return Err(end);
            }
        }
        Ok(())
    }

    /// `n` frames or an input over their rate were dropped: warn the client (at most once a
    /// second) and end the session when it keeps flooding.
    fn flooded(&mut self, n: u32) -> Option<End> {
        let now = self.epoch.elapsed();
        if self.flood.refused_n(now, n) {
            tracing::info!("closing a flooding session");
            return Some(fatal(&self.link.out, ErrorCode::Abuse, "message flood".into()));
        }
        if self.last_rate_warning.is_none_or(|t| now.saturating_sub(t) >= Duration::from_secs(1)) {
            self.last_rate_warning = Some(now);
            let i = self.shared.config.inputs;
            self.error(
                ErrorCode::RateLimited,
                format!(
                    "over {} inputs or {} frames per second; dropped",
                    i.inputs_per_sec, i.frames_per_sec
                ),
            );
        }
        None
    }

    /// Check a chat line here (cheap, before it reaches the lobby): in a lobby, within the
    /// length limit, none of the characters names refuse either, within the rate. Refusals are errors; many of
    /// them in a short window close the session (1008).
    fn on_chat(&mut self, text: String) -> Result<(), End> {
        let Place::InLobby(lobby) = &self.place else {
            self.error(ErrorCode::NotInLobby, "chat is only possible in a lobby");
            return Ok(());
        };
        let limits = self.shared.config.chat;
        let chars = text.chars().count();
        let refusal = if chars > limits.max_chars {
            Some((
                ErrorCode::ChatTooLong,
                format!("{chars} characters; the limit is {}", limits.max_chars),
            ))
        } else if text.trim().is_empty() {
            Some((ErrorCode::ChatInvalid, "empty or whitespace only".into()))
        } else if let Some(c) = proto::text::refused_char(&text) {
            let what = super::refused_what(c);
            Some((ErrorCode::ChatInvalid, format!("contains U+{:04X}: {what}", c as u32)))
        } else if !self.chat_bucket.try_take(self.epoch.elapsed()) {
            Some((
                ErrorCode::ChatRateLimited,
                format!("at most {} lines per second", limits.per_sec),
            ))
        } else {
            None
        };
        match refusal {
            None => {
                if !lobby.chat(self.link.player, text) {
                    self.error(ErrorCode::Overloaded, "lobby busy; chat line dropped");
                }
                Ok(())
            }
            Some((code, message)) => {
                if self.chat_abuse.refused(self.epoch.elapsed()) {
                    return Err(fatal(&self.link.out, ErrorCode::Abuse, "chat flooding".into()));
                }
                self.error(code, message);
                Ok(())
            }
        }
    }

    /// May this session ask for a match now? Answers the client with the reason when not.
    fn can_join(&self, mode: Option<&str>) -> bool {
        let refusal = match self.place {
            Place::Queued => Some(ErrorCode::AlreadyQueued),
            Place::InLobby(_) | Place::Rejoining { .. } => Some(ErrorCode::AlreadyInLobby),
            Place::Idle => None,
        };
        if let Some(code) = refusal {
            self.error(code, "finish or leave the current queue or lobby first");
        } else if self.shared.draining.get() {
            self.error(ErrorCode::ServerDraining, "this server is draining; connect to another");
        } else if let Some(mode) = mode.filter(|m| !self.shared.matchmaker.has_mode(m)) {
            self.error(ErrorCode::UnknownMode, format!("no mode named {mode:?}"));
        } else if let Some(mode) =
            mode.filter(|m| self.link.protocol == 1 && self.shared.matchmaker.needs_v2(m))
        {
            let v1 = self.shared.matchmaker.v1_modes();
            let msg = if v1.is_empty() {
                format!("mode {mode} needs protocol 2")
            } else {
                format!("mode {mode} needs protocol 2; protocol 1 can play {}", v1.join(", "))
            };
            self.error(ErrorCode::ModeNeedsProtocol, msg);
        } else {
            return true;
        }
        false
    }

    /// Ask matchmaking (this node's or the cluster's: the session does not know which); on
    /// success the session is `then`, else the client hears `overloaded`.
    fn ask_matchmaker(&mut self, ask: impl FnOnce(&dyn Matchmaking) -> bool, then: Place) {
        if ask(&*self.shared.matchmaking) {
            self.set_place(then);
        } else {
            self.error(ErrorCode::Overloaded, "matchmaker busy, try again");
        }
    }
}
