//! The bot's WebSocket frame reader: frames of the server (RFC 6455 §5.2, as a client receives
//! them: unmasked, unfragmented) parsed in place in the buffer of received plaintext, so a
//! state message costs no allocation and no copy. Pure: the connection ([`super::conn`])
//! appends what it decrypts and hands the frames out.

/// Largest message a bot accepts from the server.
pub(crate) const MAX_PAYLOAD: usize = 1 << 20;

pub(crate) const OP_TEXT: u8 = 0x1;
pub(crate) const OP_BINARY: u8 = 0x2;
pub(crate) const OP_CLOSE: u8 = 0x8;
pub(crate) const OP_PING: u8 = 0x9;
pub(crate) const OP_PONG: u8 = 0xa;

/// Why the server's bytes are not a WebSocket frame this client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameError(pub(crate) &'static str);

/// A received frame; its payload is `RecvBuf::payload(frame)` until the next `compact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) op: u8,
    start: usize,
    end: usize,
}

/// Received plaintext; the frames before `pos` have been handed out.
#[derive(Debug, Default)]
pub(crate) struct RecvBuf {
    buf: Vec<u8>,
    pos: usize,
}

impl RecvBuf {
    /// A buffer holding `rest`, what arrived after the upgrade's response head.
    pub(crate) fn new(rest: Vec<u8>) -> Self {
        RecvBuf { buf: rest, pos: 0 }
    }

    /// Append bytes received.
    pub(crate) fn extend(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// `n` more bytes at the end, for the caller to fill (rustls decrypts into them).
    pub(crate) fn spare(&mut self, n: usize) -> &mut [u8] {
        let start = self.buf.len();
        self.buf.resize(start + n, 0);
        &mut self.buf[start..]
    }

    /// The next complete frame received, if any.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let b = &self.buf[self.pos..];
        if b.len() < 2 {
            return Ok(None);
        }
        if b[0] & 0x70 != 0 {
            return Err(FrameError("reserved bits set"));
        }
        if b[0] & 0x80 == 0 {
            return Err(FrameError("fragmented messages are not expected"));
        }
        if b[1] & 0x80 != 0 {
            return Err(FrameError("a server frame must not be masked"));
        }
        let op = b[0] & 0x0f;
        if ![OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG].contains(&op) {
            return Err(FrameError("unknown opcode"));
        }
        let (len, head) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (usize::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => {
                let v = u64::from_be_bytes(b[2..10].try_into().expect("8 bytes"));
                (usize::try_from(v).unwrap_or(usize::MAX), 10)
            }
            126 | 127 => return Ok(None),
            n => (usize::from(n), 2),
        };
        if len > MAX_PAYLOAD {
            return Err(FrameError("message too large"));
        }
        if op >= OP_CLOSE && len > 125 {
            return Err(FrameError("control frame too large"));
        }
        if b.len() < head + len {
            return Ok(None);
        }
        let start = self.pos + head;
        self.pos = start + len;
        Ok(Some(Frame { op, start, end: start + len }))
    }

    pub(crate) fn payload(&self, f: &Frame) -> &[u8] {
        &self.buf[f.start..f.end]
    }

    /// Forget the frames handed out (call after handling them).
    pub(crate) fn compact(&mut self) {
        if self.pos == self.buf.len() {
            self.buf.clear();
        } else if self.pos > 0 {
            self.buf.drain(..self.pos);
        }
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame of `bytes`, fed `chunk` bytes at a time, as a bot reads them.
    fn frames(bytes: &[u8], chunk: usize) -> Result<Vec<(u8, Vec<u8>)>, FrameError> {
        let mut r = RecvBuf::default();
        let mut out = Vec::new();
        for part in bytes.chunks(chunk) {
            r.extend(part);
            while let Some(f) = r.next_frame()? {
                out.push((f.op, r.payload(&f).to_vec()));
            }
            r.compact();
        }
        Ok(out)
    }

    #[test]
    fn frames_split_anywhere_read_the_same() {
        let mut s = vec![0x82, 3, 1, 2, 3, 0x89, 0];
        s.extend([0x82, 126, 0x01, 0x00]);
        s.extend(std::iter::repeat_n(7, 256));
        s.extend([0x88, 2, 0x03, 0xe8]);
        let whole = frames(&s, s.len()).unwrap();
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[1], (OP_PING, vec![]));
        assert_eq!(whole[2].1.len(), 256);
        for chunk in 1..12 {
            assert_eq!(frames(&s, chunk).unwrap(), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn frames_a_server_must_not_send_are_refused() {
        let err = |b: &[u8]| RecvBuf::new(b.to_vec()).next_frame().unwrap_err().0;
        assert_eq!(err(&[0xc2, 0]), "reserved bits set");
        assert_eq!(err(&[0x02, 0]), "fragmented messages are not expected");
        assert_eq!(err(&[0x82, 0x80]), "a server frame must not be masked");
        assert_eq!(err(&[0x83, 0]), "unknown opcode");
        assert_eq!(err(&[0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 1]), "message too large");
        assert_eq!(err(&[0x89, 126, 0, 126]), "control frame too large");
        // Incomplete headers wait for more bytes.
        assert_eq!(RecvBuf::new(vec![0x82, 127, 0]).next_frame(), Ok(None));
    }
}
