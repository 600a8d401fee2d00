//! The session's main loop after `welcome`: heartbeats, events from actors, client requests,
//! and what the session gives up when it ends.

use super::heartbeat::{HeartbeatConfig, HeartbeatTracker, Verdict};
use super::ratelimit::{AbuseMeter, TokenBucket};
use super::registry::SessionKey;
use super::writer::{Io, SessionSocket};
use super::{
    End, Place, SessionEvent, SessionLink, decode_error, encode, error_bytes, fatal, ws_error,
};
use crate::auth::PlayerClaims;
use crate::lobby::LobbyMsg;
use crate::matchmaker::{MmRequest, Ticket};
use crate::net::Shared;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::{self as proto, ClientMessage, ErrorCode, RttReport, ServerMessage, close};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub(super) struct Session {
    shared: Arc<Shared>,
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
    /// Refused inputs and frames; too many in a window close the session (`abuse`).
    flood: AbuseMeter,
    /// When the client was last told `rate_limited` (at most once a second).
    last_rate_warning: Option<Duration>,
}

impl Session {
    pub(super) fn new(
        shared: Arc<Shared>,
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
            flood: AbuseMeter::new(i.abuse_limit, i.abuse_window),
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
            HeartbeatConfig { interval: cfg.heartbeat_interval, timeout: cfg.heartbeat_timeout },
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
                io = socket.next() => match io {
                    Io::WriteFailed => {
                        tracing::debug!("write failed (socket closed or failed)");
                        return End::Gone { intentional: false };
                    }
                    // Only the session queues a close marker, and only when it ends.
                    Io::Close(code, reason) => {
                        return End::Close { code, reason, urgent: true };
                    }
                    Io::Read(m) => match m {
                    Some(Ok(_)) if !self.frame_bucket.try_take(self.epoch.elapsed()) => {
                        // Any frame (pings included) beyond the frame rate is dropped unread.
                        if let Some(end) = self.flooded() {
                            return end;
                        }
                    }
                    None => return End::Gone { intentional: peer_close == Some(close::NORMAL) },
                    Some(Err(e)) => {
                        return match ws_error(e) {
                            Some((code, msg)) => fatal(&self.link.out, code, msg),
                            None => End::Gone { intentional: peer_close == Some(close::NORMAL) },
                        };
                    }
                    Some(Ok(Message::Binary(b))) => {
                        if let Err(end) = self.on_message(&b) {
                            return end;
                        }
                    }
                    Some(Ok(Message::Text(_))) => {
                        let msg = "text frames are not supported; send binary MessagePack";
                        return fatal(&self.link.out, ErrorCode::TextFrame, msg.into());
                    }
                    Some(Ok(Message::Pong(p))) => {
                        if let Some(est) = hb.on_pong(&p, epoch.elapsed()) {
                            self.shared.registry.update(self.key, |s| s.rtt = Some(est));
                            metrics::histogram!(crate::metrics::RTT).record(est.srtt.as_secs_f64());
                            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                            let report = RttReport { rtt_ms: ms(est.srtt), jitter_ms: ms(est.jitter), last_ms: ms(est.last) };
                            self.link.try_send(encode(&ServerMessage::Rtt(report)));
                        }
                    }
                    // tungstenite answers the close; the stream ends right after.
                    Some(Ok(Message::Close(f))) => {
                        peer_close = Some(f.map_or(close::NORMAL, |f| u16::from(f.code)));
                    }
                    // tungstenite answers pings itself.
                    Some(Ok(_)) => {}
                    },
                },
            }
        }
    }

    /// Cluster mode: this player's lobby died with its node. Say so and queue the player
    /// again, first in line, in the same mode (when this node runs it).
    pub(super) fn requeue_lost(&mut self, seat: crate::cluster::LostSeat) {
        let Some(cluster) = self.shared.cluster.clone() else { return };
        let runs_mode = self.shared.matchmaker.has_mode(&seat.mode);
        self.error(
            ErrorCode::LobbyLost,
            format!(
                "lobby {} on node {} was lost with its node; {}",
                seat.lobby,
                seat.node,
                if runs_mode { "you are queued again with priority" } else { "find a match again" }
            ),
        );
        if runs_mode && !self.shared.draining() {
            let (skill, region) = match &self.claims {
                Some(c) => (c.skill, c.region.clone()),
                None => (None, None),
            };
            cluster.enqueue(Ticket::new(self.link.clone(), seat.mode, skill, region), true);
            self.set_place(Place::Queued);
        }
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.link.try_send(error_bytes(code, message));
    }

    pub(super) fn set_place(&mut self, place: Place) {
        let seat = match &place {
            Place::InLobby(l) | Place::Rejoining { lobby: l, .. } => Some(l.clone()),
            Place::Idle | Place::Queued => None,
        };
        let (state, lobby) = match &place {
            Place::Idle => ("idle", None),
            Place::Queued => ("queued", None),
            // A seat on its way back counts as a seat.
            Place::InLobby(l) | Place::Rejoining { lobby: l, .. } => ("in_lobby", Some(l.id)),
        };
        self.shared.registry.update(self.key, |s| {
            s.state = state;
            s.lobby = lobby;
        });
        // Keep the hold current, so a resume racing this connection knows about the seat.
        self.shared.holds.placed(self.link.player, self.nonce, seat);
        self.place = place;
    }

    /// A promised seat that did not come back within this long is reported lost: the
    /// `Rejoin` can only vanish with a lobby task that died without draining its mailbox,
    /// but the client must never wait for a `match_found` forever.
    const REJOIN_TIMEOUT: Duration = Duration::from_secs(5);

    fn check_rejoin(&mut self) {
        if let Place::Rejoining { lobby, since } = &self.place {
            if since.elapsed() > Self::REJOIN_TIMEOUT {
                let id = lobby.id;
                self.seat_lost(id, "the seat was not restored in time");
            }
        }
    }

    /// The promised seat is not coming back: the client is idle again and told so.
    fn seat_lost(&mut self, lobby: u64, reason: &str) {
        if matches!(&self.place, Place::Rejoining { lobby: l, .. } if l.id == lobby) {
            tracing::info!(lobby, reason, "held seat lost");
            self.set_place(Place::Idle);
            let msg = ServerMessage::LobbyClosed { lobby, reason: reason.into() };
            self.link.try_send(encode(&msg));
        }
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
            SessionEvent::Replaced(rejoin) => {
                tracing::info!("replaced by a resumed connection");
                let (player, session) = (self.link.player, self.link.session);
                match (std::mem::replace(&mut self.place, Place::Idle), rejoin.map(|r| *r)) {
                    (Place::InLobby(l) | Place::Rejoining { lobby: l, .. }, Some((_, rejoin))) => {
                        // Mailbox order puts the Rejoin after anything this session sent.
                        if let Err(e) = l.tx.try_send(rejoin) {
                            let reason = "the lobby could not take the seat back";
                            seat_lost(e.into_inner(), l.id, reason);
                        }
                    }
                    // Seated, but the new connection was told no seat is held: give it up.
                    (Place::InLobby(l) | Place::Rejoining { lobby: l, .. }, None) => {
                        let _ = l.tx.try_send(LobbyMsg::Leave { player, session });
                    }
                    (place, rejoin) => {
                        if matches!(place, Place::Queued) {
                            if let Some(c) = &self.shared.cluster {
                                c.cancel(session, false);
                            }
                            let _ = self.shared.matchmaker.try_send(MmRequest::Cancel { session });
                        }
                        // Promised a seat this session has left meanwhile.
                        if let Some((lobby, rejoin)) = rejoin {
                            seat_lost(rejoin, lobby, "the seat was given up before the resume");
                        }
                    }
                }
                // The hold now belongs to the new session: forget nothing on the way out.
                self.nonce = 0;
                let msg = "this player resumed on another connection";
                return Some(fatal(&self.link.out, ErrorCode::SessionReplaced, msg.into()));
            }
        }
        None
    }

    /// Handle one client message. Err ends the session after a fatal error.
    fn on_message(&mut self, bytes: &[u8]) -> Result<(), End> {
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
                return self.flooded().map_or(Ok(()), Err);
            }
            ClientMessage::Input(input) => match &self.place {
                Place::InLobby(l) => {
                    if !(input.dx.is_finite() && input.dy.is_finite()) {
                        self.error(ErrorCode::InvalidInput, "dx and dy must be finite numbers");
                    } else {
                        // A full inbox drops the input: the client sees its ack lag and may
                        // resend; the tick is never delayed for it.
                        let _ = l.inputs.push(self.link.player, input);
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
                    self.ask_matchmaker(MmRequest::FindMatch(ticket), Place::Queued);
                }
            }
            ClientMessage::CancelMatch {} => match self.place {
                Place::Queued => {
                    let req = MmRequest::Cancel { session: self.link.session };
                    self.ask_matchmaker(req, Place::Idle);
                }
                _ => self.error(ErrorCode::NotQueued, "not waiting in a queue"),
            },
            ClientMessage::CreatePrivate { mode } => {
                if self.can_join(Some(&mode)) {
                    let req = MmRequest::CreatePrivate { link: self.link.clone(), mode };
                    self.ask_matchmaker(req, Place::Queued);
                }
            }
            ClientMessage::JoinPrivate { code } => {
                if self.can_join(None) {
                    let req = MmRequest::JoinPrivate { link: self.link.clone(), code };
                    self.ask_matchmaker(req, Place::Queued);
                }
            }
            ClientMessage::Chat { text } => return self.on_chat(text),
            ClientMessage::Leave {} if matches!(self.place, Place::Rejoining { .. }) => {
                let msg = "the held seat is being restored; leave after its match_found";
                self.error(ErrorCode::NotInLobby, msg);
            }
            ClientMessage::Leave {} => match &self.place {
                Place::InLobby(l) => {
                    let msg =
                        LobbyMsg::Leave { player: self.link.player, session: self.link.session };
                    let _ = l.tx.try_send(msg);
                    self.set_place(Place::Idle);
                }
                _ => self.error(ErrorCode::NotInLobby, "not in a lobby"),
            },
        }
        Ok(())
    }

    /// A frame or input over its rate was dropped: warn the client (at most once a second)
    /// and end the session when it keeps flooding.
    fn flooded(&mut self) -> Option<End> {
        let now = self.epoch.elapsed();
        if self.flood.refused(now) {
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
    /// length limit, no control characters, within the rate. Refusals are errors; many of
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
        } else if text.trim().is_empty() || text.chars().any(char::is_control) {
            Some((ErrorCode::ChatInvalid, "empty, or contains control characters".into()))
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
                let msg = LobbyMsg::Chat { player: self.link.player, text };
                if lobby.tx.try_send(msg).is_err() {
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
        } else if self.shared.draining() {
            self.error(ErrorCode::ServerDraining, "this server is draining; connect to another");
        } else if let Some(mode) = mode.filter(|m| !self.shared.matchmaker.has_mode(m)) {
            self.error(ErrorCode::UnknownMode, format!("no mode named {mode:?}"));
        } else {
            return true;
        }
        false
    }

    fn ask_matchmaker(&mut self, req: MmRequest, then: Place) {
        // Cluster mode: public matchmaking goes through the shared queue in Redis.
        let req = match (&self.shared.cluster, req) {
            (Some(c), MmRequest::FindMatch(t)) => {
                c.enqueue(t, false);
                self.set_place(then);
                return;
            }
            (Some(c), MmRequest::JoinPrivate { link, code }) => {
                crate::cluster::private::join(&self.shared, c, link, code);
                self.set_place(then);
                return;
            }
            (Some(c), req @ MmRequest::CreatePrivate { .. }) => {
                c.publish_soon();
                req
            }
            (Some(c), MmRequest::Cancel { session }) => {
                if !c.cancel(session, true) {
                    // Already matched: the seat or redirect on its way is dropped.
                    let msg = ServerMessage::MatchCancelled { reason: "cancelled".into() };
                    self.link.try_send(encode(&msg));
                }
                self.set_place(then);
                return;
            }
            (_, req) => req,
        };
        if self.shared.matchmaker.try_send(req) {
            self.set_place(then);
        } else {
            self.error(ErrorCode::Overloaded, "matchmaker busy, try again");
        }
    }

    /// The connection is ending. A deliberate end (client close 1000, a protocol violation)
    /// gives up seat and hold; an unplanned drop keeps the seat for the grace period so the
    /// player can resume.
    pub(super) fn leave_everything(&mut self, end: &End) {
        let holds = &self.shared.holds;
        let player = self.link.player;
        if self.nonce == 0 {
            return; // replaced: the new session owns the seat and the hold
        }
        let dropped = matches!(end, End::Gone { intentional: false })
            || matches!(
                end,
                End::Close { code: close::POLICY_VIOLATION, reason: "heartbeat timeout", .. }
            );
        match std::mem::replace(&mut self.place, Place::Idle) {
            Place::InLobby(l) | Place::Rejoining { lobby: l, .. } => {
                let session = self.link.session;
                let msg = if dropped {
                    holds.dropped(player, self.nonce, Some(l.clone()), Instant::now(), l.grace);
                    LobbyMsg::Disconnected { player, session }
                } else {
                    holds.forget(player, self.nonce);
                    LobbyMsg::Leave { player, session }
                };
                // If the mailbox is full the lobby still notices: the member's queue closes.
                let _ = l.tx.try_send(msg);
                return;
            }
            Place::Queued => {
                if let Some(c) = &self.shared.cluster {
                    c.cancel(self.link.session, false);
                }
                let _ = self
                    .shared
                    .matchmaker
                    .try_send(MmRequest::Cancel { session: self.link.session });
            }
            Place::Idle => {}
        }
        if dropped {
            let grace = self.shared.config.resume_grace;
            holds.dropped(player, self.nonce, None, Instant::now(), grace);
        } else {
            holds.forget(player, self.nonce);
        }
    }
}

/// Tell the resumed session behind a `Rejoin` that its promised seat is not coming back.
fn seat_lost(rejoin: LobbyMsg, lobby: u64, reason: &'static str) {
    if let LobbyMsg::Rejoin { link, .. } = rejoin {
        let _ = link.events.try_send(SessionEvent::SeatLost { lobby, reason });
    }
}
