//! One task per connection: the hello handshake, heartbeats, and routing of requests to the
//! matchmaker and lobby actors. Writing happens in a separate task ([`writer`]) fed by a
//! bounded queue, so nothing a session reads ever waits on a slow socket write.

pub mod heartbeat;
pub mod registry;
pub(crate) mod writer;

use crate::lobby::{LobbyHandle, LobbyMsg};
use crate::matchmaker::{MmRequest, Ticket};
use crate::net::{ConnInfo, Shared};
use bytes::Bytes;
use futures_util::StreamExt;
use heartbeat::{HeartbeatConfig, HeartbeatTracker, Verdict};
use registry::SessionKey;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::{
    self as proto, ClientMessage, DecodeError, ErrorCode, Hello, RttReport, ServerMessage, close,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
pub use writer::Outbound;
use writer::Urgent;

/// How a lobby or the matchmaker reaches a session: its outbound queue (for messages) and
/// its event mailbox (for changes of state the session must know about).
#[derive(Clone)]
pub(crate) struct SessionLink {
    pub(crate) session: u64,
    pub(crate) player: u32,
    pub(crate) name: Arc<str>,
    pub(crate) out: mpsc::Sender<Outbound>,
    pub(crate) events: mpsc::Sender<SessionEvent>,
}

impl SessionLink {
    /// Queue a message without waiting; false when the queue is full or the session gone.
    pub(crate) fn try_send(&self, bytes: Bytes) -> bool {
        self.out.try_send(Outbound::Frame(bytes)).is_ok()
    }
}

/// Changes of a session's state decided by an actor.
#[derive(Debug)]
pub(crate) enum SessionEvent {
    /// The player has a seat in this lobby: inputs go there from now on.
    Joined(LobbyHandle),
    /// The player is no longer in this lobby (match over, lobby closed, removed).
    LobbyEnded { lobby: u64 },
    /// The player is no longer waiting in a queue.
    QueueLeft,
}

/// Capacity of the event mailbox: events are a handful per match.
const EVENT_QUEUE: usize = 16;

/// Upper bound on a display name, in Unicode scalar values.
pub const MAX_NAME_CHARS: usize = 32;

enum Place {
    Idle,
    Queued,
    InLobby(LobbyHandle),
}

/// How the main loop ended.
enum End {
    /// The peer closed or vanished; nothing more to send.
    Gone,
    /// Send this close frame (after an optional error message), then finish.
    Close {
        code: u16,
        reason: &'static str,
        urgent: bool,
    },
}

fn encode(msg: &ServerMessage) -> Bytes {
    proto::encode_server(msg)
}

fn error_bytes(code: ErrorCode, message: impl Into<String>) -> Bytes {
    encode(&ServerMessage::Error {
        code,
        message: message.into(),
        fatal: code.close_code().is_some(),
    })
}

/// Drive one upgraded connection from hello to close.
pub(crate) async fn run<S>(ws: WebSocketStream<S>, info: ConnInfo, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cfg = &shared.config;
    let (sink, mut stream) = ws.split();
    let (out_tx, out_rx) = mpsc::channel::<Outbound>(cfg.outbound_queue);
    let (urgent_tx, urgent_rx) = mpsc::channel::<Urgent>(4);
    let mut writer = tokio::spawn(writer::run(sink, out_rx, urgent_rx));

    let deadline = tokio::time::Instant::from_std(info.accepted_at + cfg.handshake_timeout);
    let hello = tokio::select! {
        r = tokio::time::timeout_at(deadline, read_hello(&mut stream)) => match r {
            Ok(Ok(h)) => h,
            Ok(Err(Some((code, msg)))) => {
                if let End::Close { code, reason, .. } = fatal(&out_tx, code, msg) {
                    let _ = out_tx.try_send(Outbound::Close(code, reason));
                }
                finish(stream, writer).await;
                return;
            }
            Ok(Err(None)) => return,
            Err(_) => {
                tracing::debug!("no hello before the handshake timeout");
                return;
            }
        },
        _ = shared.shutdown.cancelled() => return,
    };
    let name: Arc<str> = Arc::from(hello.name.as_str());
    let (key, sinfo) = shared.registry.register(name.clone(), info.peer);
    tracing::Span::current().record("session", sinfo.id);
    tracing::info!(player = sinfo.player, name = %name, "session started");
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let link = SessionLink {
        session: sinfo.id,
        player: sinfo.player,
        name,
        out: out_tx.clone(),
        events: ev_tx,
    };
    let _ = out_tx.try_send(Outbound::Frame(encode(&ServerMessage::Welcome(
        proto::Welcome {
            session: sinfo.id,
            protocol: proto::PROTOCOL_VERSION,
            player: sinfo.player,
            server: crate::SERVER_NAME.into(),
            heartbeat_ms: cfg.heartbeat_interval.as_millis() as u32,
            timeout_ms: cfg.heartbeat_timeout.as_millis() as u32,
            modes: shared.matchmaker.modes(),
        },
    ))));

    let mut session = Session {
        shared: shared.clone(),
        key,
        link,
        place: Place::Idle,
    };
    let end = session
        .main_loop(&mut stream, ev_rx, &urgent_tx, &mut writer)
        .await;
    session.leave_everything();
    shared.registry.unregister(key);
    match end {
        End::Gone => {
            writer.abort();
        }
        End::Close {
            code,
            reason,
            urgent,
        } => {
            if urgent || out_tx.try_send(Outbound::Close(code, reason)).is_err() {
                let _ = urgent_tx.try_send(Urgent::Close(code, reason));
            }
            finish(stream, writer).await;
        }
    }
    tracing::info!("session ended");
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

/// Let the writer send what is queued and the close frame, then give the peer a moment to
/// answer the close; bounded so a silent peer cannot hold the task.
async fn finish<St>(mut stream: St, mut writer: tokio::task::JoinHandle<()>)
where
    St: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
{
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}

/// Read frames until a `hello`. Err(None): the peer went away; Err(Some): refuse with this.
async fn read_hello<St>(stream: &mut St) -> Result<Hello, Option<(ErrorCode, String)>>
where
    St: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
{
    loop {
        let bytes = match stream.next().await {
            None | Some(Ok(Message::Close(_))) => return Err(None),
            Some(Err(e)) => return Err(ws_error(e)),
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Text(_))) => {
                return Err(Some((
                    ErrorCode::TextFrame,
                    "text frames are not supported".into(),
                )));
            }
            Some(Ok(_)) => continue,
        };
        return match proto::decode_client(&bytes) {
            Ok(ClientMessage::Hello(h)) => {
                if h.protocol != proto::PROTOCOL_VERSION {
                    Err(Some((
                        ErrorCode::ProtocolVersion,
                        format!(
                            "protocol {} is not supported; this server speaks {}",
                            h.protocol,
                            proto::PROTOCOL_VERSION
                        ),
                    )))
                } else if let Err(m) = check_name(&h.name) {
                    Err(Some((ErrorCode::InvalidName, m)))
                } else {
                    Ok(h)
                }
            }
            Ok(_) => Err(Some((
                ErrorCode::ExpectedHello,
                "the first message must be hello".into(),
            ))),
            Err(e) => Err(Some(decode_error(e))),
        };
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters, got {n}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(())
}

fn decode_error(e: DecodeError) -> (ErrorCode, String) {
    match e {
        DecodeError::UnknownType(t) => (
            ErrorCode::UnknownType,
            format!("unknown message type {t:?}"),
        ),
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

struct Session {
    shared: Arc<Shared>,
    key: SessionKey,
    link: SessionLink,
    place: Place,
}

impl Session {
    async fn main_loop<St>(
        &mut self,
        stream: &mut St,
        mut events: mpsc::Receiver<SessionEvent>,
        urgent: &mpsc::Sender<Urgent>,
        writer: &mut tokio::task::JoinHandle<()>,
    ) -> End
    where
        St: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
    {
        let cfg = &self.shared.config;
        let epoch = Instant::now();
        let mut hb = HeartbeatTracker::new(
            HeartbeatConfig {
                interval: cfg.heartbeat_interval,
                timeout: cfg.heartbeat_timeout,
            },
            Duration::ZERO,
        );
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + cfg.heartbeat_interval,
            cfg.heartbeat_interval,
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = self.shared.shutdown.cancelled() => {
                    return End::Close { code: close::GOING_AWAY, reason: "server shutting down", urgent: true };
                }
                Some(ev) = events.recv() => self.on_event(ev),
                _ = ticker.tick() => match hb.on_tick(epoch.elapsed()) {
                    Verdict::Ping(p) => {
                        let _ = urgent.try_send(Urgent::Ping(Bytes::copy_from_slice(&p)));
                    }
                    Verdict::TimedOut => {
                        tracing::info!("heartbeat timeout");
                        return End::Close { code: close::POLICY_VIOLATION, reason: "heartbeat timeout", urgent: true };
                    }
                },
                _ = &mut *writer => {
                    tracing::debug!("writer ended (socket closed or failed)");
                    return End::Gone;
                }
                m = stream.next() => match m {
                    None => return End::Gone,
                    Some(Err(e)) => {
                        return match ws_error(e) {
                            Some((code, msg)) => fatal(&self.link.out, code, msg),
                            None => End::Gone,
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
                            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                            let report = RttReport { rtt_ms: ms(est.srtt), jitter_ms: ms(est.jitter), last_ms: ms(est.last) };
                            self.link.try_send(encode(&ServerMessage::Rtt(report)));
                        }
                    }
                    // tungstenite answers pings itself; a close is answered and ends the stream.
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) {
        self.link.try_send(error_bytes(code, message));
    }

    fn set_place(&mut self, place: Place) {
        let (state, lobby) = match &place {
            Place::Idle => ("idle", None),
            Place::Queued => ("queued", None),
            Place::InLobby(l) => ("in_lobby", Some(l.id)),
        };
        self.shared.registry.update(self.key, |s| {
            s.state = state;
            s.lobby = lobby;
        });
        self.place = place;
    }

    fn on_event(&mut self, ev: SessionEvent) {
        match ev {
            SessionEvent::Joined(lobby) => self.set_place(Place::InLobby(lobby)),
            SessionEvent::LobbyEnded { lobby } => {
                if matches!(&self.place, Place::InLobby(l) if l.id == lobby) {
                    self.set_place(Place::Idle);
                }
            }
            SessionEvent::QueueLeft => {
                if matches!(self.place, Place::Queued) {
                    self.set_place(Place::Idle);
                }
            }
        }
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
            ClientMessage::Input(input) => match &self.place {
                Place::InLobby(l) => {
                    if !(input.dx.is_finite() && input.dy.is_finite()) {
                        self.error(ErrorCode::InvalidInput, "dx and dy must be finite numbers");
                    } else {
                        // A full lobby mailbox drops the input: the client sees its ack lag and
                        // may resend; the tick is never delayed for it.
                        let _ = l.tx.try_send(LobbyMsg::Input {
                            player: self.link.player,
                            input,
                        });
                    }
                }
                _ => self.error(ErrorCode::NotInLobby, "input outside a lobby"),
            },
            ClientMessage::Hello(_) => {
                let msg = "hello was already received";
                return Err(fatal(&self.link.out, ErrorCode::ExpectedHello, msg.into()));
            }
            ClientMessage::FindMatch {
                mode,
                skill,
                region,
            } => {
                if let Some(code) = self.busy() {
                    self.error(code, "finish or leave the current queue or lobby first");
                } else if !self.shared.matchmaker.has_mode(&mode) {
                    self.error(ErrorCode::UnknownMode, format!("no mode named {mode:?}"));
                } else {
                    let ticket = Ticket::new(self.link.clone(), mode, skill, region);
                    self.ask_matchmaker(MmRequest::FindMatch(ticket), Place::Queued);
                }
            }
            ClientMessage::CancelMatch {} => match self.place {
                Place::Queued => {
                    let req = MmRequest::Cancel {
                        session: self.link.session,
                    };
                    self.ask_matchmaker(req, Place::Idle);
                }
                _ => self.error(ErrorCode::NotQueued, "not waiting in a queue"),
            },
            ClientMessage::CreatePrivate { mode } => {
                if let Some(code) = self.busy() {
                    self.error(code, "finish or leave the current queue or lobby first");
                } else if !self.shared.matchmaker.has_mode(&mode) {
                    self.error(ErrorCode::UnknownMode, format!("no mode named {mode:?}"));
                } else {
                    let req = MmRequest::CreatePrivate {
                        link: self.link.clone(),
                        mode,
                    };
                    self.ask_matchmaker(req, Place::Queued);
                }
            }
            ClientMessage::JoinPrivate { code } => {
                if let Some(c) = self.busy() {
                    self.error(c, "finish or leave the current queue or lobby first");
                } else {
                    let req = MmRequest::JoinPrivate {
                        link: self.link.clone(),
                        code,
                    };
                    self.ask_matchmaker(req, Place::Queued);
                }
            }
            ClientMessage::Leave {} => match &self.place {
                Place::InLobby(l) => {
                    let _ = l.tx.try_send(LobbyMsg::Leave {
                        player: self.link.player,
                    });
                    self.set_place(Place::Idle);
                }
                _ => self.error(ErrorCode::NotInLobby, "not in a lobby"),
            },
        }
        Ok(())
    }

    fn busy(&self) -> Option<ErrorCode> {
        match self.place {
            Place::Idle => None,
            Place::Queued => Some(ErrorCode::AlreadyQueued),
            Place::InLobby(_) => Some(ErrorCode::AlreadyInLobby),
        }
    }

    fn ask_matchmaker(&mut self, req: MmRequest, then: Place) {
        if self.shared.matchmaker.try_send(req) {
            self.set_place(then);
        } else {
            self.error(ErrorCode::Overloaded, "matchmaker busy, try again");
        }
    }

    /// The connection is ending: give up the seat or the queue ticket.
    fn leave_everything(&mut self) {
        match std::mem::replace(&mut self.place, Place::Idle) {
            Place::InLobby(l) => {
                // If the mailbox is full the lobby still notices: the member's queue is closed.
                let _ = l.tx.try_send(LobbyMsg::Leave {
                    player: self.link.player,
                });
            }
            Place::Queued => {
                let _ = self.shared.matchmaker.try_send(MmRequest::Cancel {
                    session: self.link.session,
                });
            }
            Place::Idle => {}
        }
    }
}

/// Used by the lobby and matchmaker to send a `ServerMessage` to one session.
pub(crate) fn send_to(link: &SessionLink, msg: &ServerMessage) -> bool {
    link.try_send(encode(msg))
}

/// Used by actors for non-fatal errors.
pub(crate) fn send_error(link: &SessionLink, code: ErrorCode, message: impl Into<String>) {
    link.try_send(error_bytes(code, message));
}
