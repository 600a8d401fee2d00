//! One task per connection: the hello handshake, heartbeats, routing of requests to the
//! matchmaker and lobby actors, and the socket's I/O. Actors queue messages in the session's
//! bounded outbound queue, which the same task writes to the socket when the socket takes
//! them ([`writer`]), so nothing an actor does ever waits on a slow client.

mod handler;
pub(crate) mod heartbeat;
pub(crate) mod registry;
pub(crate) mod resume;
pub(crate) mod writer;

use crate::auth::AuthMode;
use crate::config::Config;
use crate::link::{
    Draining, LobbyHandle, MatchmakerHandle, Matchmaking, Outbound, Rejoin, SessionEvent,
    SessionLink, encode, error_bytes, send_error, send_to,
};
use crate::net::ConnInfo;
use crate::net::frames::FrameMeter;
use handler::Session;
use registry::{Registry, SessionKey};
use std::sync::Arc;
use std::time::Instant;
use tickwave_protocol::{
    self as proto, ClientMessage, DecodeError, ErrorCode, Hello, ServerMessage, close,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use writer::{Io, SessionSocket};

/// What a session task uses, and nothing else: the server assembly builds one for all.
pub(crate) struct SessionCtx {
    pub(crate) config: Config,
    pub(crate) registry: Arc<Registry>,
    /// Modes, and seats redeemed with a reservation.
    pub(crate) matchmaker: MatchmakerHandle,
    /// This node's matchmaker, or the cluster's shared queue: the session does not know which.
    pub(crate) matchmaking: Arc<dyn Matchmaking>,
    /// Cancelled when the server shuts down: sessions send close 1001 and end.
    pub(crate) shutdown: CancellationToken,
    pub(crate) resume_keys: Arc<resume::ResumeKeys>,
    pub(crate) holds: Arc<resume::SeatHolds>,
    pub(crate) draining: Draining,
}

/// Capacity of the event mailbox: events are a handful per match.
/// The protocol versions a client may ask for in `hello` (PROTOCOL.md §10): 2, and 1 for
/// the clients written before it, during the transition.
pub(crate) const SUPPORTED_PROTOCOLS: [u32; 2] = [1, 2];

const EVENT_QUEUE: usize = 16;

/// Upper bound on a display name, in Unicode scalar values.
pub(crate) const MAX_NAME_CHARS: usize = 32;

pub(crate) enum Place {
    Idle,
    Queued,
    InLobby(LobbyHandle),
    /// Resumed with `welcome.seat_held`: the seat in this lobby is on its way back
    /// (`match_found` or `lobby_closed` follows). Asking for a match is refused meanwhile.
    Rejoining {
        lobby: LobbyHandle,
        since: Instant,
    },
}

impl Place {
    /// The lobby seat this place holds, if any: a seat on its way back counts as one.
    pub(crate) fn seat(&self) -> Option<&LobbyHandle> {
        match self {
            Place::InLobby(l) | Place::Rejoining { lobby: l, .. } => Some(l),
            Place::Idle | Place::Queued => None,
        }
    }
}

/// How the main loop ended.
enum End {
    /// The peer closed or vanished; nothing more to send. `intentional`: the client closed
    /// with 1000 (a deliberate quit, which gives up the seat) rather than dropping.
    Gone { intentional: bool },
    /// Send this close frame (after an optional error message), then finish.
    Close { code: u16, reason: &'static str, urgent: bool },
}

/// Drive one upgraded connection from hello to close.
pub(crate) async fn run<S>(
    ws: WebSocketStream<FrameMeter<S>>,
    info: ConnInfo,
    shared: Arc<SessionCtx>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cfg = &shared.config;
    let (out_tx, out_rx) = mpsc::channel::<Outbound>(cfg.outbound_queue);
    let mut socket = SessionSocket::new(ws, out_rx);

    let refuse = |code: ErrorCode, msg: String| {
        if let End::Close { code, reason, .. } = fatal(&out_tx, code, msg) {
            let _ = out_tx.try_send(Outbound::Close(code, reason));
        }
    };
    let deadline = tokio::time::Instant::from_std(info.accepted_at + cfg.handshake_timeout);
    let hello = tokio::select! {
        r = tokio::time::timeout_at(deadline, read_hello(&mut socket, cfg.inputs.frames_burst)) => match r {
            Ok(Ok(h)) => h,
            Ok(Err(HelloError::Refuse(code, msg))) => {
                refuse(code, msg);
                socket.finish(None).await;
                return;
            }
            Ok(Err(HelloError::Gone)) => return,
            Err(_) => {
                tracing::debug!("no hello before the handshake timeout");
                return;
            }
        },
        _ = shared.shutdown.cancelled() => return,
    };
    // Token mode: the studio's JWT names the player, and its claims beat what the client says.
    let claims = match &cfg.auth {
        AuthMode::Guest => None,
        AuthMode::Token(verifier) => {
            let checked = match hello.token.as_deref() {
                None => Err((ErrorCode::AuthRequired, "this server needs hello.token".to_owned())),
                Some(t) => verifier.verify(t).map_err(|r| (r.code, r.message)),
            };
            match checked.and_then(|c| match &c.name {
                Some(n) => check_name(n).map(|_| c).map_err(|m| (ErrorCode::AuthInvalid, m)),
                None => Ok(c),
            }) {
                Ok(c) => Some(c),
                Err((code, message)) => {
                    tracing::info!(%code, %message, "authentication refused");
                    refuse(code, message);
                    socket.finish(None).await;
                    return;
                }
            }
        }
    };
    let account: Option<Arc<str>> = claims.as_ref().map(|c| Arc::from(c.sub.as_str()));
    // A resume redeems the player's hold: same player id, and the seat if one is held.
    // Cluster mode: a token of another node may stand for a seat lost with that node.
    let mut lost = None;
    let resumed = match &hello.resume {
        None => None,
        Some(token) => {
            let redeemed = shared.resume_keys.verify(token).and_then(|c| {
                shared.holds.take(&c, account.as_deref(), Instant::now()).map(|h| (c, h))
            });
            match redeemed {
                Ok(r) => Some(r),
                // Only a cluster can tell what a genuine token of another process stands for.
                Err(resume::ResumeError::Foreign) => {
                    let looked = match shared.resume_keys.verify_signed(token) {
                        Err(e) => Err((e.code(), e.to_string())),
                        Ok(claims) => tokio::select! {
                            r = shared.matchmaking.lost_seat(claims) => r,
                            _ = shared.shutdown.cancelled() => return,
                        },
                    };
                    match looked {
                        Ok(seat) => {
                            lost = Some(seat);
                            None
                        }
                        Err((code, message)) => {
                            tracing::info!(%code, %message, "cross-node resume refused");
                            refuse(code, message);
                            socket.finish(None).await;
                            return;
                        }
                    }
                }
                Err(e) => {
                    tracing::info!(error = %e, "resume refused");
                    refuse(e.code(), e.to_string());
                    socket.finish(None).await;
                    return;
                }
            }
        }
    };
    // Cluster mode: a reservation from a `redirect` holds a seat in a lobby of this node.
    let reserved = match &hello.reservation {
        None => None,
        Some(token) => match shared.matchmaking.redeem_reservation(token) {
            Ok(lobby) => Some(lobby),
            Err((code, message)) => {
                tracing::info!(error = %message, "reservation refused");
                refuse(code, message);
                socket.finish(None).await;
                return;
            }
        },
    };
    let name: Arc<str> =
        Arc::from(claims.as_ref().and_then(|c| c.name.as_deref()).unwrap_or(&hello.name));
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let (key, sinfo) = shared.registry.register(
        name.clone(),
        info.peer,
        resumed.as_ref().map(|(c, _)| c.player),
        out_tx.clone(),
        ev_tx.clone(),
        account.clone(),
    );
    let _registered = Unregister { shared: shared.clone(), key };
    tracing::Span::current().record("session", sinfo.id);
    tracing::info!(player = sinfo.player, name = %name, resumed = resumed.is_some(), "session started");
    let mut link = SessionLink::new(sinfo.id, sinfo.player, name, out_tx.clone(), ev_tx.clone());
    link.protocol = hello.protocol;
    link.account = account.clone();
    let nonce = shared.holds.connected(sinfo.player, ev_tx, account);
    let token = shared.resume_keys.issue(sinfo.player, sinfo.id, nonce);
    let _ = out_tx.try_send(Outbound::Frame(encode(&ServerMessage::Welcome(proto::Welcome {
        session: sinfo.id,
        protocol: hello.protocol,
        player: sinfo.player,
        server: crate::SERVER_NAME.into(),
        heartbeat_ms: cfg.heartbeat_interval.as_millis() as u32,
        timeout_ms: cfg.heartbeat_timeout.as_millis() as u32,
        modes: shared.matchmaker.modes(),
        resume: Some(token),
        resumed: resumed.is_some(),
        seat_held: resumed.as_ref().is_some_and(|(_, h)| h.lobby.is_some()),
    }))));
    let mut place = Place::Idle;
    if let Some((_, hold)) = resumed {
        let rejoin = |lobby: &LobbyHandle| Rejoin {
            lobby: lobby.id,
            link: link.clone(),
            last_tick: hello.last_tick,
        };
        if let Some(live) = hold.live {
            // The old connection is still open (half-open or racing): it hands its seat over,
            // or gives it up when none was promised here.
            let handover = hold.lobby.as_ref().map(rejoin);
            if live.try_send(SessionEvent::Replaced(handover.map(Box::new))).is_err() {
                // Its mailbox is full or it is ending: the seat cannot be handed over in order.
                if let Some(lobby) = &hold.lobby {
                    let reason = "the old connection could not hand the seat over".into();
                    send_to(&link, &ServerMessage::LobbyClosed { lobby: lobby.id, reason });
                }
            } else if let Some(lobby) = hold.lobby {
                place = Place::Rejoining { lobby, since: Instant::now() };
            }
        } else if let Some(lobby) = hold.lobby {
            use tokio::sync::mpsc::error::TrySendError;
            match lobby.rejoin(rejoin(&lobby)) {
                Ok(()) => place = Place::Rejoining { lobby, since: Instant::now() },
                // The lobby ended while the player was away (match over, closed, drained).
                Err(TrySendError::Closed(_)) => {
                    let reason = "the lobby ended while you were away".into();
                    send_to(&link, &ServerMessage::LobbyClosed { lobby: lobby.id, reason });
                }
                Err(TrySendError::Full(_)) => {
                    send_error(
                        &link,
                        ErrorCode::Overloaded,
                        "lobby busy; the seat is lost, find a new match",
                    );
                }
            }
        }
    }

    if let Some(lobby) = reserved {
        if !shared.matchmaker.join_reserved(link.clone(), lobby) {
            send_error(&link, ErrorCode::Overloaded, "matchmaker busy; find a match again");
        }
    }
    let mut session = Session::new(shared.clone(), key, link, nonce, claims);
    session.set_place(place);
    if let Some(seat) = lost {
        session.requeue_lost(seat);
    }
    let end = session.main_loop(&mut socket, ev_rx).await;
    session.leave_everything(&end);
    match end {
        End::Gone { .. } => {}
        End::Close { code, reason, urgent } => {
            // A full queue cannot take the close marker: close at once instead.
            let queued = !urgent && out_tx.try_send(Outbound::Close(code, reason)).is_ok();
            socket.finish((!queued).then_some((code, reason))).await;
        }
    }
    tracing::info!("session ended");
}

/// Frees the registry entry however the session task ends, panics included.
struct Unregister {
    shared: Arc<SessionCtx>,
    key: SessionKey,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        self.shared.registry.unregister(self.key);
    }
}

/// Queue a fatal error message; the returned [`End`] sends the matching close frame after it.
fn fatal(out: &mpsc::Sender<Outbound>, code: ErrorCode, msg: String) -> End {
    tracing::debug!(%code, %msg, "closing session on protocol error");
    let _ = out.try_send(Outbound::Frame(error_bytes(code, msg)));
    End::Close {
        code: code.close_code().unwrap_or(close::POLICY_VIOLATION),
        reason: code.as_str(),
        urgent: false,
    }
}

/// Why the handshake ended without a `hello`.
#[derive(Debug, thiserror::Error)]
enum HelloError {
    /// The peer went away (or can no longer hear an error).
    #[error("the peer went away before hello")]
    Gone,
    /// Refuse the client with this error, then close.
    #[error("{0}: {1}")]
    Refuse(ErrorCode, String),
}

/// Read frames until a `hello`.
///
/// The frame budget starts with `welcome`; before it, a client gets `max_frames` frames
/// (the budget's burst) in all, pings and fragments included, or is closed as abusive, so a
/// flood before `hello` is bounded too, not only by the handshake deadline.
async fn read_hello<S>(socket: &mut SessionSocket<S>, max_frames: u32) -> Result<Hello, HelloError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut frames = 0u32;
    loop {
        let io = socket.next().await;
        frames = frames.saturating_add(socket.take_frames());
        if frames > max_frames {
            let msg = format!("more than {max_frames} frames before hello");
            return Err(HelloError::Refuse(ErrorCode::Abuse, msg));
        }
        let bytes = match io {
            Io::Frames => continue,
            // Nothing queues a close before hello; a failed write means the peer is gone.
            Io::Read(None | Some(Ok(Message::Close(_)))) | Io::Close(..) | Io::WriteFailed => {
                return Err(HelloError::Gone);
            }
            Io::Read(Some(Err(e))) => {
                return Err(ws_error(e).map_or(HelloError::Gone, |(c, m)| HelloError::Refuse(c, m)));
            }
            Io::Read(Some(Ok(Message::Binary(b)))) => b,
            Io::Read(Some(Ok(Message::Text(_)))) => {
                return Err(HelloError::Refuse(
                    ErrorCode::TextFrame,
                    "text frames are not supported".into(),
                ));
            }
            Io::Read(Some(Ok(_))) => continue,
        };
        return match proto::decode_client(&bytes) {
            Ok(ClientMessage::Hello(h)) => {
                if !SUPPORTED_PROTOCOLS.contains(&h.protocol) {
                    Err(HelloError::Refuse(
                        ErrorCode::ProtocolVersion,
                        format!(
                            "protocol {} is not supported; this server speaks 1 and 2",
                            h.protocol,
                        ),
                    ))
                } else if let Err(m) = check_name(&h.name) {
                    Err(HelloError::Refuse(ErrorCode::InvalidName, m))
                } else {
                    Ok(h)
                }
            }
            Ok(_) => Err(HelloError::Refuse(
                ErrorCode::ExpectedHello,
                "the first message must be hello".into(),
            )),
            Err(e) => {
                let (code, msg) = decode_error(e);
                Err(HelloError::Refuse(code, msg))
            }
        };
    }
}

/// Display-name rules (PROTOCOL.md §2), for `hello.name` and a token's `name` claim alike.
fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!("name must be 1 to {MAX_NAME_CHARS} characters, got {n}"));
    }
    if let Some(c) = proto::text::refused_char(name) {
        return Err(format!("name contains U+{:04X}: {}", c as u32, refused_what(c)));
    }
    Ok(())
}

/// Why a character of [`proto::text::refused_char`] is refused, for error messages.
pub(crate) fn refused_what(c: char) -> &'static str {
    if c.is_control() {
        "no control characters"
    } else {
        "no bidirectional controls or invisible format characters"
    }
}

fn decode_error(e: DecodeError) -> (ErrorCode, String) {
    match e {
        DecodeError::UnknownType(t) => {
            (ErrorCode::UnknownType, format!("unknown message type {t:?}"))
        }
        DecodeError::Malformed(m) => (ErrorCode::Malformed, m),
    }
}

/// Map a read error to the error to report, if the peer can still hear one.
fn ws_error(e: WsError) -> Option<(ErrorCode, String)> {
    match e {
        WsError::Capacity(c) => Some((ErrorCode::TooLarge, c.to_string())),
        WsError::Protocol(p) => {
            tracing::debug!(error = %p, "WebSocket protocol error");
            None
        }
        WsError::Utf8(_) => None,
        other => {
            tracing::debug!(error = %other, "read error");
            None
        }
    }
}
