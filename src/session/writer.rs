//! A session's socket: the session task itself writes its outbound queue and reads client
//! frames, with no second task and no split halves.
//!
//! Each poll of [`SessionSocket::next`] first moves what is ready to the socket (a heartbeat
//! ping first, then up to [`MAX_BATCH`] queued messages, then one flush), then polls for a
//! client frame. Before, a writer task per connection was fed through the queue and shared the
//! socket with the reader through a `BiLock`: the profile put that plumbing (a task wake, the
//! lock and the channel hand-off per delta) at 22 % of the server, against 0.8 % for the game.
//!
//! Backpressure is unchanged: when the socket takes no more (the client reads slowly), the
//! queue is not drained, it fills to its bound, and the lobby skips state for that client and
//! resyncs it later. A slow client never blocks a tick or grows memory, and reading goes on.

use crate::link::Outbound;
use crate::net::frames::FrameMeter;
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// At most this many queued messages are fed before a flush and a look at the client's
/// frames, so one busy session cannot keep its own reads (pongs) waiting.
const MAX_BATCH: usize = 64;

/// What [`SessionSocket::next`] has to report.
#[derive(Debug)]
pub(crate) enum Io {
    /// A client frame or read error; `None` when the stream ended. Charge
    /// [`SessionSocket::take_frames`] first: they include this message's frames.
    Read(Option<Result<Message, WsError>>),
    /// Frames were read that no message accounts for yet (fragments of one being assembled,
    /// a flood of continuations): reading waits until [`SessionSocket::take_frames`] takes
    /// them, so the session charges every frame as it comes, not once per message.
    Frames,
    /// The queue reached a [`Outbound::Close`]: everything before it went to the socket.
    Close(u16, &'static str),
    /// Writing failed: the connection is gone.
    WriteFailed,
}

/// The WebSocket and the outbound queue of one session.
pub(crate) struct SessionSocket<S> {
    ws: WebSocketStream<FrameMeter<S>>,
    queue: mpsc::Receiver<Outbound>,
    /// A heartbeat ping the socket has not taken yet; it overtakes the queue. One slot: a
    /// newer ping replaces one that never left.
    ping: Option<Bytes>,
    /// Messages went to the socket since the last completed flush.
    unflushed: bool,
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.into() }))
}

impl<S> SessionSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    pub(crate) fn new(ws: WebSocketStream<FrameMeter<S>>, queue: mpsc::Receiver<Outbound>) -> Self {
        SessionSocket { ws, queue, ping: None, unflushed: false }
    }

    /// Frames read from the client since the last call (see [`Io::Frames`]).
    pub(crate) fn take_frames(&mut self) -> u32 {
        self.ws.get_mut().claim()
    }

    /// Send a ping ahead of the queue at the next poll.
    pub(crate) fn ping(&mut self, payload: Bytes) {
        self.ping = Some(payload);
    }

    /// Write what is ready, then wait for a client frame (or a close marker, or a failure).
    /// Cancel safe: nothing is lost when another `select!` branch wins.
    pub(crate) async fn next(&mut self) -> Io {
        poll_fn(|cx| self.poll_io(cx)).await
    }

    fn poll_io(&mut self, cx: &mut Context<'_>) -> Poll<Io> {
        if let Some(io) = self.poll_write(cx) {
            return Poll::Ready(io);
        }
        match Pin::new(&mut self.ws).poll_next(cx) {
            Poll::Ready(r) => Poll::Ready(Io::Read(r)),
            // The meter holds reads back until these frames are charged.
            Poll::Pending if self.ws.get_ref().unclaimed() > 0 => Poll::Ready(Io::Frames),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Move the ping and queued messages to the socket while it takes them, then flush.
    /// At most one batch is in flight. `Some` stops the session's I/O: a close marker was reached or the socket failed.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Option<Io> {
        // The last batch must have reached the kernel before the next is fed: rustls would
        // otherwise buffer up to 64 KiB of records for a client that stopped reading, and the
        // queue, which is what makes the lobby skip state for that client, would never fill.
        if self.unflushed {
            match Pin::new(&mut self.ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(_)) => return Some(Io::WriteFailed),
                Poll::Pending => return None,
            }
        }
        let mut fed = 0;
        loop {
            if self.ping.is_none() && fed == MAX_BATCH {
                // More may be queued: come back right after this flush and a read.
                cx.waker().wake_by_ref();
                break;
            }
            match Pin::new(&mut self.ws).poll_ready(cx) {
                // The socket is full; its readiness wakes us. The queue waits meanwhile.
                Poll::Pending => break,
                Poll::Ready(Err(_)) => return Some(Io::WriteFailed),
                Poll::Ready(Ok(())) => {}
            }
            let msg = match self.ping.take() {
                Some(p) => Message::Ping(p),
                None => match self.queue.poll_recv(cx) {
                    Poll::Ready(Some(Outbound::Frame(b))) => Message::Binary(b),
                    Poll::Ready(Some(Outbound::Close(code, reason))) => {
                        return Some(Io::Close(code, reason));
                    }
                    // `None` cannot happen while the session holds a sender.
                    Poll::Ready(None) | Poll::Pending => break,
                },
            };
            if Pin::new(&mut self.ws).start_send(msg).is_err() {
                return Some(Io::WriteFailed);
            }
            self.unflushed = true;
            fed += 1;
        }
        if self.unflushed {
            match Pin::new(&mut self.ws).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(_)) => return Some(Io::WriteFailed),
                Poll::Pending => {}
            }
        }
        None
    }

    /// End the connection. `None`: a close marker is queued; send everything before it and
    /// its close frame. `Some`: urgent (timeout, shutdown, full queue), send this close frame
    /// now, skipping the queue. Then give the peer a moment to answer the close. Every step
    /// is bounded, so a client that stopped reading cannot hold the task.
    pub(crate) async fn finish(mut self, urgent: Option<(u16, &'static str)>) {
        // Nobody charges the client's frames any more; its reads must not wait for that.
        self.ws.get_mut().stop();
        let close = match urgent {
            Some(c) => Some(c),
            None => tokio::time::timeout(Duration::from_secs(2), async {
                loop {
                    match self.next().await {
                        Io::Close(code, reason) => return Some((code, reason)),
                        Io::WriteFailed | Io::Read(None | Some(Err(_))) => return None,
                        // The client's frames are no longer of interest.
                        Io::Read(Some(Ok(_))) | Io::Frames => {}
                    }
                }
            })
            .await
            .ok()
            .flatten(),
        };
        let Some((code, reason)) = close else { return };
        let frame = close_frame(code, reason);
        if tokio::time::timeout(Duration::from_secs(1), self.ws.send(frame)).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}
