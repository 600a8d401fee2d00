//! Counting a client's WebSocket frames below tungstenite.
//!
//! tungstenite assembles messages itself and hands over only whole messages (and control
//! frames), so a session that counted what it was given counted messages: one message split
//! into 10,000 empty continuation frames was read to the end and cost one token of the frame
//! budget, and a stream of continuations that never ends a message was never seen at all.
//!
//! [`FrameMeter`] sits between the socket and tungstenite and reads the frame headers as the
//! bytes go by ([`FrameScanner`]: only headers are looked at, payloads are skipped by their
//! length, nothing is copied or buffered). The frames it counts wait, *unclaimed*, for the
//! session to charge them to its budget; while some wait, the meter lets tungstenite read no
//! further (`Pending`), and the session's socket turns that into [`Io::Frames`] so the session
//! charges them at once. A legitimate client (one frame per message) never waits: its frame
//! is claimed with the message it belongs to. A flood of fragments is charged every read
//! (at most `read_buffer_bytes`, 1 KiB, i.e. at most ~170 empty frames), so it meets the rate
//! limit and the abuse close however long its message would be.
//!
//! [`Io::Frames`]: crate::session::writer::Io::Frames

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Counts frame headers in a client-to-server byte stream (RFC 6455 §5.2). Pure: bytes in,
/// number of frames out.
#[derive(Debug, Default, Clone)]
pub(crate) struct FrameScanner {
    /// The current frame's header bytes seen so far (2 to 14 bytes in all).
    head: [u8; 14],
    have: usize,
    /// Payload bytes of the current frame still to go by.
    skip: u64,
}

impl FrameScanner {
    /// Feed the next bytes of the stream; returns how many frame headers they completed.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> u32 {
        let mut frames = 0u32;
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = bytes.len().min(usize::try_from(self.skip).unwrap_or(usize::MAX));
                bytes = &bytes[n..];
                self.skip -= n as u64;
                continue;
            }
            self.head[self.have] = bytes[0];
            self.have += 1;
            bytes = &bytes[1..];
            if let Some(payload) = self.header_len() {
                frames = frames.saturating_add(1);
                self.skip = payload;
                self.have = 0;
            }
        }
        frames
    }

    /// The payload length once the header is complete.
    fn header_len(&self) -> Option<u64> {
        let h = &self.head[..self.have];
        let second = *h.get(1)?;
        let ext = match second & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if second & 0x80 != 0 { 4 } else { 0 };
        if h.len() < 2 + ext + mask {
            return None;
        }
        Some(match ext {
            2 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            8 => u64::from_be_bytes(h[2..10].try_into().expect("8 bytes")),
            _ => u64::from(second & 0x7f),
        })
    }
}

/// The byte stream under a session's WebSocket, counting the client's frames; see the
/// module doc. Writes pass through untouched.
pub(crate) struct FrameMeter<S> {
    inner: S,
    scan: FrameScanner,
    /// Frames read and not yet charged by the session.
    unclaimed: u32,
    /// Off once the session no longer charges frames (its closing handshake).
    metering: bool,
}

impl<S> FrameMeter<S> {
    pub(crate) fn new(inner: S) -> Self {
        FrameMeter { inner, scan: FrameScanner::default(), unclaimed: 0, metering: true }
    }

    /// Frames counted since the last claim; reading goes on after this.
    pub(crate) fn claim(&mut self) -> u32 {
        std::mem::take(&mut self.unclaimed)
    }

    /// Frames counted and not yet claimed.
    pub(crate) fn unclaimed(&self) -> u32 {
        self.unclaimed
    }

    /// Stop counting, and holding reads back (nobody charges frames any more).
    pub(crate) fn stop(&mut self) {
        self.metering = false;
        self.unclaimed = 0;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FrameMeter<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.metering && this.unclaimed > 0 {
            // Counted frames wait to be charged before anything more is read. The session's
            // socket sees them right after this `Pending` and reports them; the wake is only
            // a safety net for any other reader, which would otherwise wait for the peer.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if this.metering {
            let frames = this.scan.feed(&buf.filled()[before..]);
            this.unclaimed = this.unclaimed.saturating_add(frames);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FrameMeter<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A masked client frame, as a client library writes it.
    fn frame(opcode: u8, fin: bool, len: usize) -> Vec<u8> {
        let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
        match len {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n < 65536 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&[1, 2, 3, 4]);
        f.extend(std::iter::repeat_n(0x5a, len));
        f
    }

    #[test]
    fn counts_every_frame_however_the_bytes_are_cut() {
        let mut stream = Vec::new();
        let sizes = [0, 1, 125, 126, 300, 65535, 65536, 70_000, 0, 0];
        for (i, n) in sizes.iter().enumerate() {
            stream.extend(frame(if i == 0 { 2 } else { 0 }, i == sizes.len() - 1, *n));
        }
        stream.extend(frame(9, true, 4)); // a ping
        for cut in [1, 2, 3, 7, 13, 64, 1024, stream.len()] {
            let mut s = FrameScanner::default();
            let n: u32 = stream.chunks(cut).map(|c| s.feed(c)).sum();
            assert_eq!(n, sizes.len() as u32 + 1, "chunks of {cut}");
            assert_eq!((s.have, s.skip), (0, 0), "ends between frames");
        }
    }

    #[test]
    fn counts_a_header_as_soon_as_it_is_complete() {
        let mut s = FrameScanner::default();
        let f = frame(2, true, 10);
        assert_eq!(s.feed(&f[..5]), 0, "2 of the 4 mask bytes");
        assert_eq!(s.feed(&f[5..6]), 1, "header complete, payload not yet");
        assert_eq!(s.feed(&f[6..]), 0);
        // An unmasked frame (not from a conforming client) has no mask bytes.
        assert_eq!(s.feed(&[0x82, 0x01, 0xff, 0x82, 0x00]), 2);
    }

    /// Reads stop while counted frames wait, and go on once they are claimed.
    #[tokio::test]
    async fn reads_wait_until_the_counted_frames_are_claimed() {
        let bytes: Vec<u8> = (0..3).flat_map(|_| frame(0, false, 0)).collect();
        let mut m = FrameMeter::new(&bytes[..]);
        let mut buf = [0u8; 64];
        assert_eq!(m.read(&mut buf).await.unwrap(), 18);
        assert_eq!(m.unclaimed(), 3);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut rb = ReadBuf::new(&mut buf);
        assert!(Pin::new(&mut m).poll_read(&mut cx, &mut rb).is_pending(), "held back");
        assert_eq!(m.claim(), 3);
        assert_eq!(m.read(&mut buf).await.unwrap(), 0, "then reads go on (here: EOF)");
        let mut m = FrameMeter::new(&bytes[..]);
        assert_eq!(m.read(&mut buf[..6]).await.unwrap(), 6);
        m.stop();
        assert_eq!(m.read(&mut buf).await.unwrap(), 12, "not held back once stopped");
        assert_eq!(m.unclaimed(), 0, "nor counting: nobody would claim them");
    }
}
