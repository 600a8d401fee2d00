//! A bot's connection, built for thousands per thread.
//!
//! Connecting uses the ordinary stack (tokio TCP, tokio-rustls handshake) and a hand-written
//! WebSocket upgrade. Once upgraded, the TLS stream is taken apart: the bot reads the socket
//! straight into rustls ([`Conn::poll_fill`]), decrypts into one reusable buffer, and parses
//! WebSocket frames in place ([`super::frame`]), so a state message costs no allocation and no copy beyond the
//! decryption. Outgoing frames are masked into a reusable buffer and leave as one TLS record
//! per flush. Profiling showed the general-purpose layers (tungstenite's buffers and
//! messages, the waker proxies of tokio-tungstenite and tokio-rustls) costing a bot process
//! more than its own work.

use super::frame::{Frame, FrameError, OP_BINARY, RecvBuf};
use crate::client::{ClientError, parse_url};
use crate::tls::{CertCheck, client_config};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rustls::ClientConnection;
use rustls::pki_types::ServerName;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Largest HTTP response head to the upgrade.
const MAX_HEAD: usize = 8 * 1024;

/// Where the bots connect, resolved once for the whole swarm.
#[derive(Clone)]
pub(crate) struct Target {
    addr: SocketAddr,
    /// `Host` header and request path of the upgrade.
    host: String,
    path: String,
    /// `None` for plain ws://.
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl Target {
    pub(crate) async fn resolve(url: &str, check: &CertCheck) -> Result<Target, ClientError> {
        let (tls, host, port) = parse_url(url)?;
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await?
            .next()
            .ok_or_else(|| ClientError::Url(url.into()))?;
        let rest = url.split_once("://").map_or("", |(_, r)| r);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let tls = if tls {
            let name =
                ServerName::try_from(host.clone()).map_err(|_| ClientError::Url(url.into()))?;
            Some((TlsConnector::from(client_config(check)), name))
        } else {
            None
        };
        Ok(Target { addr, host: authority.to_owned(), path: path.to_owned(), tls })
    }
}

/// Counts the bytes of the TLS handshake and the upgrade.
struct Counted {
    inner: TcpStream,
    read: u64,
    written: u64,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            self.read += (buf.filled().len() - before) as u64;
        }
        r
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.written += n as u64;
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Reads the socket for rustls inside a poll: `Pending` becomes `WouldBlock`, and the waker
/// is registered by tokio as usual.
struct PollReader<'a, 'b> {
    tcp: &'a mut TcpStream,
    cx: &'a mut Context<'b>,
    count: &'a mut u64,
}

impl Read for PollReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *self.tcp).poll_read(self.cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                *self.count += rb.filled().len() as u64;
                Ok(rb.filled().len())
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// Writes for rustls without waiting; a full socket is `WouldBlock`.
struct TryWriter<'a> {
    tcp: &'a TcpStream,
    count: &'a mut u64,
}

impl Write for TryWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tcp.try_write(buf)?;
        *self.count += n as u64;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = self.tcp.try_write_vectored(bufs)?;
        *self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An upgraded WebSocket connection (TLS or plain).
pub(crate) struct Conn {
    tcp: TcpStream,
    tls: Option<Box<ClientConnection>>,
    /// Received plaintext, read as frames in place.
    rbuf: RecvBuf,
    /// Frames queued for the next flush, masked.
    wbuf: Vec<u8>,
    /// Plain ws://: bytes of `wbuf` already written.
    plain_sent: usize,
    /// Encoding scratch, reused.
    scratch: Vec<u8>,
    mask_state: u64,
    /// Bytes read from and written to the socket (TLS records, handshake included).
    pub(crate) wire_in: u64,
    pub(crate) wire_out: u64,
}

impl Conn {
    /// Read what the socket has; `Ready(Ok(false))` at the end of the stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let Some(tls) = &mut self.tls else {
            let mut buf = [0u8; 2048];
            let mut rb = ReadBuf::new(&mut buf);
            return match Pin::new(&mut self.tcp).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    let n = rb.filled().len();
                    self.wire_in += n as u64;
                    self.rbuf.extend(rb.filled());
                    Poll::Ready(Ok(n > 0))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            };
        };
        let mut rd = PollReader { tcp: &mut self.tcp, cx, count: &mut self.wire_in };
        match tls.read_tls(&mut rd) {
            Ok(0) => return Poll::Ready(Ok(false)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
            Err(e) => return Poll::Ready(Err(e)),
        }
        let state = match tls.process_new_packets() {
            Ok(s) => s,
            Err(e) => return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e))),
        };
        let n = state.plaintext_bytes_to_read();
        if n > 0 {
            if let Err(e) = tls.reader().read_exact(self.rbuf.spare(n)) {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Ready(Ok(!state.peer_has_closed() || n > 0))
    }

    /// The next complete frame received, if any.
    #[inline]
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        self.rbuf.next_frame()
    }

    #[inline]
    pub(crate) fn payload(&self, f: &Frame) -> &[u8] {
        self.rbuf.payload(f)
    }

    /// Forget the frames handed out (call after handling them).
    #[inline]
    pub(crate) fn compact(&mut self) {
        self.rbuf.compact();
    }

    fn mask_key(&mut self) -> [u8; 4] {
        // xorshift64*: masking needs unpredictability only against proxies, not secrecy.
        let mut x = self.mask_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.mask_state = x;
        ((x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32).to_be_bytes()
    }

    /// Queue one frame (masked, as a client must) for the next flush.
    pub(crate) fn queue(&mut self, op: u8, payload: &[u8]) {
        let key = self.mask_key();
        let w = &mut self.wbuf;
        w.push(0x80 | op);
        match payload.len() {
            n if n < 126 => w.push(0x80 | n as u8),
            n if n <= 0xffff => {
                w.push(0x80 | 126);
                w.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                w.push(0x80 | 127);
                w.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        w.extend_from_slice(&key);
        w.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    }

    /// Queue a binary message encoded from `msg` (no allocation once warm).
    pub(crate) fn queue_msg(&mut self, msg: &tickwave_protocol::ClientMessage) {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        rmp_serde::encode::write_named(&mut s, msg).expect("encoding to memory cannot fail");
        self.queue(OP_BINARY, &s);
        self.scratch = s;
    }

    /// Queue one binary message that `build` writes into the (reused) encoding buffer; it
    /// returns whether there is a message (nothing is queued when it says no).
    pub(crate) fn queue_built(&mut self, build: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        let built = build(&mut s);
        if built {
            self.queue(OP_BINARY, &s);
        }
        self.scratch = s;
        built
    }

    pub(crate) fn has_queued(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Send everything queued: one TLS record, normally one syscall.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if let Some(tls) = &mut self.tls {
            if !self.wbuf.is_empty() {
                tls.writer().write_all(&self.wbuf)?;
                self.wbuf.clear();
            }
        }
        loop {
            let pending = match &mut self.tls {
                Some(tls) => {
                    let mut w = TryWriter { tcp: &self.tcp, count: &mut self.wire_out };
                    while tls.wants_write() {
                        match tls.write_tls(&mut w) {
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                    tls.wants_write()
                }
                None => {
                    while self.plain_sent < self.wbuf.len() {
                        match self.tcp.try_write(&self.wbuf[self.plain_sent..]) {
                            Ok(n) => {
                                self.plain_sent += n;
                                self.wire_out += n as u64;
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(e),
                        }
                    }
                    let pending = self.plain_sent < self.wbuf.len();
                    if !pending {
                        self.wbuf.clear();
                        self.plain_sent = 0;
                    }
                    pending
                }
            };
            if !pending {
                return Ok(());
            }
            self.tcp.writable().await?;
        }
    }
}

fn accept_key(key: &str) -> String {
    let mut d = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    d.update(key.as_bytes());
    d.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    B64.encode(d.finish())
}

/// The HTTP/1.1 upgrade; returns bytes received after the response head.
async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    target: &Target,
    nonce: u64,
) -> Result<Vec<u8>, ClientError> {
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&nonce.to_le_bytes());
    raw[8..]
        .copy_from_slice(&nonce.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    let key = B64.encode(raw);
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        target.path, target.host
    );
    s.write_all(req.as_bytes()).await?;
    s.flush().await?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let end = loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Err(ClientError::Closed(None));
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if head.len() > MAX_HEAD {
            return Err(ClientError::Unexpected("upgrade response head too large".into()));
        }
    };
    let text = String::from_utf8_lossy(&head[..end]);
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101") {
        return Err(ClientError::Unexpected(format!("upgrade refused: {status}")));
    }
    let accept = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|(_, v)| v.trim().to_owned());
    if accept.as_deref() != Some(accept_key(&key).as_str()) {
        return Err(ClientError::Unexpected("upgrade: wrong Sec-WebSocket-Accept".into()));
    }
    Ok(head[end..].to_vec())
}

/// TCP connect, TLS handshake (for wss) and WebSocket upgrade. `nonce` seeds the upgrade key
/// and the frame masks.
pub(crate) async fn connect(target: &Target, nonce: u64) -> Result<Conn, ClientError> {
    let tcp = TcpStream::connect(target.addr).await?;
    tcp.set_nodelay(true)?;
    let mut tcp = Counted { inner: tcp, read: 0, written: 0 };
    let (tcp, tls, rest) = match &target.tls {
        None => {
            let rest = upgrade(&mut tcp, target, nonce).await?;
            (tcp, None, rest)
        }
        Some((connector, name)) => {
            let mut stream = connector.connect(name.clone(), tcp).await?;
            let rest = upgrade(&mut stream, target, nonce).await?;
            let (tcp, conn) = stream.into_inner();
            (tcp, Some(Box::new(conn)), rest)
        }
    };
    Ok(Conn {
        tcp: tcp.inner,
        tls,
        rbuf: RecvBuf::new(rest),
        wbuf: Vec::with_capacity(128),
        plain_sent: 0,
        scratch: Vec::with_capacity(64),
        mask_state: nonce | 1,
        wire_in: tcp.read,
        wire_out: tcp.written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
