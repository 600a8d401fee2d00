//! The diagnostics echo route (`/echo`, off unless `--diagnostics-echo`): echoes every text
//! and binary message through the same TLS, HTTP and WebSocket stack as `/ws`, so the
//! Autobahn conformance suite can test Tickwave's WebSocket layer. Never enable it in
//! production: it lets anyone make the server send data back.

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Autobahn's limits cases (9.*) send messages up to 16 MiB.
pub(crate) const ECHO_MAX_MESSAGE: usize = 16 * 1024 * 1024 + 1024;

pub(crate) fn config(base: WebSocketConfig) -> WebSocketConfig {
    base.max_message_size(Some(ECHO_MAX_MESSAGE))
        .max_frame_size(Some(ECHO_MAX_MESSAGE))
        .max_write_buffer_size(2 * ECHO_MAX_MESSAGE)
}

pub(crate) async fn run<S>(mut ws: WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(msg) = ws.next().await {
        let reply = match msg {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => m,
            Err(_) => break,
            // tungstenite queues the close reply (and pongs); the next poll writes it, and the
            // stream then ends.
            Ok(_) => continue,
        };
        if ws.send(reply).await.is_err() {
            break;
        }
    }
    // Complete the closing handshake, then shut the transport down properly (TLS
    // close_notify, then FIN): the server closes the TCP connection first (RFC 6455 7.1.1).
    let _ = ws.close(None).await;
    let mut io = ws.into_inner();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), io.shutdown()).await;
}
