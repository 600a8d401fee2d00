//! The spectator stream: `GET /admin/lobbies/{id}/watch` upgrades to a WebSocket that sends
//! the lobby's visible state as JSON text frames (about 10 per second). Frames come from a
//! `watch` channel: a slow spectator skips frames instead of queueing them.

use super::AdminCtx;
use super::{Body, error};
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

pub(super) fn watch(
    mut req: Request<Incoming>,
    shared: &Arc<AdminCtx>,
    id: Option<u64>,
) -> Response<Body> {
    let Some(mut frames) = id.and_then(|id| shared.directory.spectate(id)) else {
        return error(StatusCode::NOT_FOUND, "no_such_lobby", "no live lobby with that id");
    };
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return error(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this route is a WebSocket",
        );
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
