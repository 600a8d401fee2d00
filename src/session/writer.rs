//! The write half of a session: drains the bounded outbound queue to the socket.
//!
//! Messages are fed without flushing while more are ready, then flushed once, so a tick's
//! messages for a player cost one TLS record batch and one syscall where possible.

use bytes::Bytes;
use futures_util::{Sink, SinkExt};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// One item of a session's ordered outbound queue.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// An encoded message, shared (`Bytes` clones are reference counts).
    Frame(Bytes),
    /// Close after everything queued before it.
    Close(u16, &'static str),
}

/// Commands that overtake the queue: pings must not wait behind state, and an urgent close
/// (timeout, shutdown) must not wait for a client that stopped reading.
#[derive(Debug)]
pub(crate) enum Urgent {
    Ping(Bytes),
    Close(u16, &'static str),
}

/// At most this many queued messages are fed before a flush, so one busy session cannot keep
/// its writer from noticing urgent commands.
const MAX_BATCH: usize = 64;

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.into() }))
}

pub(crate) async fn run<S>(
    mut sink: S,
    mut queue: mpsc::Receiver<Outbound>,
    mut urgent: mpsc::Receiver<Urgent>,
) where
    S: Sink<Message> + Unpin,
{
    loop {
        let close = tokio::select! {
            biased;
            u = urgent.recv() => match u {
                Some(Urgent::Ping(p)) => {
                    if sink.feed(Message::Ping(p)).await.is_err() {
                        return;
                    }
                    None
                }
                Some(Urgent::Close(code, reason)) => Some((code, reason)),
                None => return,
            },
            m = queue.recv() => match m {
                Some(Outbound::Frame(b)) => {
                    if sink.feed(Message::Binary(b)).await.is_err() {
                        return;
                    }
                    let mut close = None;
                    for _ in 0..MAX_BATCH {
                        match queue.try_recv() {
                            Ok(Outbound::Frame(b)) => {
                                if sink.feed(Message::Binary(b)).await.is_err() {
                                    return;
                                }
                            }
                            Ok(Outbound::Close(code, reason)) => {
                                close = Some((code, reason));
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    close
                }
                Some(Outbound::Close(code, reason)) => Some((code, reason)),
                None => return,
            },
        };
        if let Some((code, reason)) = close {
            // Bounded: a peer that does not read cannot hold the task.
            let _ =
                tokio::time::timeout(Duration::from_secs(1), sink.send(close_frame(code, reason)))
                    .await;
            return;
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}
