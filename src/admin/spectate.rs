//! The spectator stream: `GET /admin/lobbies/{id}/watch` upgrades to a WebSocket that sends
//! the lobby's visible state as JSON text frames (about 10 per second). Frames come from a
//! `watch` channel: a slow spectator skips frames instead of queueing them.
//!
//! With `?player=N` the frames are what that player sees (issue 16), and
//! `GET /admin/lobbies/{id}/view?player=N` answers that view once. Both ask the lobby
//! through its mailbox, which projects the view only while someone asks.

use super::AdminCtx;
use super::{Body, error};
use crate::link::ViewReply;
use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// How long the lobby may take to answer a view request (it answers between ticks).
const VIEW_TIMEOUT: Duration = Duration::from_secs(2);

fn no_lobby() -> Response<Body> {
    error(StatusCode::NOT_FOUND, "no_such_lobby", "no live lobby with that id")
}

fn bad_player() -> Response<Body> {
    error(StatusCode::BAD_REQUEST, "bad_query", "player must be a player id (an integer)")
}

/// The `player` of the query: `Ok(None)` without one, `Err` when it is not a player id.
fn player_param(query: Option<&str>) -> Result<Option<u32>, std::num::ParseIntError> {
    query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("player=")))
        .map(str::parse)
        .transpose()
}

/// Why a view request got no view.
enum Refused {
    NoLobby,
    Busy,
    NoPlayer,
    TooMany,
}

impl Refused {
    fn response(self) -> Response<Body> {
        match self {
            Refused::NoLobby => no_lobby(),
            Refused::Busy => {
                error(StatusCode::SERVICE_UNAVAILABLE, "busy", "the lobby did not answer; retry")
            }
            Refused::NoPlayer => {
                error(StatusCode::NOT_FOUND, "no_such_player", "no member with that id here")
            }
            Refused::TooMany => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_views",
                "too many players' views are watched in this lobby; close one",
            ),
        }
    }
}

/// Ask lobby `id` for `player`'s view.
async fn ask(
    shared: &AdminCtx,
    id: Option<u64>,
    player: u32,
    stream: bool,
) -> Result<ViewReply, Refused> {
    let lobby = id.and_then(|id| shared.directory.handle(id)).ok_or(Refused::NoLobby)?;
    // A full mailbox, or a lobby that does not answer in time (it answers between ticks).
    let rx = lobby.view_of(player, stream).ok_or(Refused::Busy)?;
    match tokio::time::timeout(VIEW_TIMEOUT, rx).await {
        Ok(Ok(ViewReply::NoSuchPlayer)) => Err(Refused::NoPlayer),
        Ok(Ok(ViewReply::TooMany)) => Err(Refused::TooMany),
        Ok(Ok(reply)) => Ok(reply),
        // The lobby ended before answering.
        Ok(Err(_)) => Err(Refused::NoLobby),
        Err(_) => Err(Refused::Busy),
    }
}

/// `GET /admin/lobbies/{id}/view?player=N`: what player N was sent at the last state tick,
/// in the spectator frame's shape with `"view": "player:N"`.
pub(super) async fn view(
    shared: &AdminCtx,
    id: Option<u64>,
    query: Option<&str>,
) -> Response<Body> {
    let player = match player_param(query) {
        Ok(Some(p)) => p,
        Ok(None) => return error(StatusCode::BAD_REQUEST, "bad_query", "?player=N is required"),
        Err(_) => return bad_player(),
    };
    match ask(shared, id, player, false).await {
        Ok(ViewReply::Frame(f)) => super::json_text(StatusCode::OK, f.as_bytes()),
        Ok(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected answer"),
        Err(r) => r.response(),
    }
}

pub(super) async fn watch(
    mut req: Request<Incoming>,
    shared: &Arc<AdminCtx>,
    id: Option<u64>,
) -> Response<Body> {
    let Ok(player) = player_param(req.uri().query()) else {
        return bad_player();
    };
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return error(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this route is a WebSocket",
        );
    };
    let mut frames = match player {
        None => match id.and_then(|id| shared.directory.spectate(id)) {
            Some(f) => f,
            None => return no_lobby(),
        },
        Some(p) => match ask(shared, id, p, true).await {
            Ok(ViewReply::Stream(f)) => f,
            Ok(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected"),
            Err(r) => return r.response(),
        },
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let shutdown = shared.shutdown.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let cfg = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0)
            .max_message_size(Some(4096))
            .max_frame_size(Some(4096));
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(cfg)).await;
        let (mut tx, mut rx) = ws.split();
        // Send the current frame at once, then every change.
        frames.mark_changed();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                changed = frames.changed() => {
                    if changed.is_err() {
                        let _ = tx.send(Message::Close(None)).await;
                        break; // lobby gone
                    }
                    let frame = frames.borrow_and_update().clone();
                    let sent = tokio::time::timeout(Duration::from_secs(5), tx.send(Message::Text(frame.as_ref().into()))).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        break;
                    }
                }
                m = rx.next() => match m {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    });
    let mut r = Response::new(http_body_util::Full::new(bytes::Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .expect("base64 is a valid header"),
    );
    r
}
