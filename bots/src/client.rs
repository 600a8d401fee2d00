//! A protocol client over a real WebSocket (TLS via rustls, or plain).

use crate::tls::{CertCheck, client_config};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tickwave_protocol::{self as proto, ClientMessage, DecodeError, Hello, ServerMessage, Welcome};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

/// Any byte stream a WebSocket can run over (TCP, or TLS over TCP).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The WebSocket type clients use.
pub type Ws = WebSocketStream<Box<dyn Io>>;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("bad url {0:?}: expected ws://host:port/path or wss://host:port/path")]
    Url(String),
    #[error("connect: {0}")]
    Io(#[from] std::io::Error),
    #[error("websocket: {0}")]
    Ws(#[from] tungstenite::Error),
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("connection closed{}", .0.as_ref().map(|(c, r)| format!(" with {c} {r:?}")).unwrap_or_default())]
    Closed(Option<(u16, String)>),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("server refused: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("unexpected message: {0}")]
    Unexpected(String),
}

/// Split a ws/wss URL into (tls, host, port).
pub(crate) fn parse_url(url: &str) -> Result<(bool, String, u16), ClientError> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("wss://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("ws://") {
        (false, r)
    } else {
        return Err(ClientError::Url(url.into()));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h.trim_matches(['[', ']']).to_owned(),
            p.parse().map_err(|_| ClientError::Url(url.into()))?,
        ),
        _ => (authority.to_owned(), if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(ClientError::Url(url.into()));
    }
    Ok((tls, host, port))
}

/// Open TCP (and TLS for wss) to the URL's host, without the WebSocket handshake; tests use
/// this to misbehave at the byte level.
pub async fn connect_stream(url: &str, check: &CertCheck) -> Result<Box<dyn Io>, ClientError> {
    connect_stream_with(url, check, None).await
}

/// [`connect_stream`] with a chosen socket receive buffer (tests use a small one to make a
/// client that stops reading back up quickly).
pub async fn connect_stream_with(
    url: &str,
    check: &CertCheck,
    recv_buffer: Option<u32>,
) -> Result<Box<dyn Io>, ClientError> {
    let (tls, host, port) = parse_url(url)?;
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await?
        .next()
        .ok_or_else(|| ClientError::Url(url.into()))?;
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    if let Some(n) = recv_buffer {
        sock.set_recv_buffer_size(n)?;
    }
    let tcp: TcpStream = sock.connect(addr).await?;
    tcp.set_nodelay(true)?;
    if !tls {
        return Ok(Box::new(tcp));
    }
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|_| ClientError::Url(url.into()))?;
    let stream = tokio_rustls::TlsConnector::from(client_config(check)).connect(name, tcp).await?;
    Ok(Box::new(stream))
}

/// Small buffers: a bot process holds thousands of connections.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

/// A connected protocol client.
pub struct Client {
    pub ws: Ws,
}

impl Client {
    /// TCP + TLS + WebSocket upgrade.
    pub async fn connect(url: &str, check: &CertCheck) -> Result<Client, ClientError> {
        Self::connect_with(url, check, None).await
    }

    /// [`Client::connect`] with a chosen socket receive buffer.
    pub async fn connect_with(
        url: &str,
        check: &CertCheck,
        recv_buffer: Option<u32>,
    ) -> Result<Client, ClientError> {
        let stream = connect_stream_with(url, check, recv_buffer).await?;
        let req = url.into_client_request()?;
        let (ws, _resp) =
            tokio_tungstenite::client_async_with_config(req, stream, Some(ws_config())).await?;
        Ok(Client { ws })
    }

    /// Connect and complete hello/welcome.
    pub async fn join(
        url: &str,
        check: &CertCheck,
        name: &str,
    ) -> Result<(Client, Welcome), ClientError> {
        let mut c = Client::connect(url, check).await?;
        let w = c.hello(name).await?;
        Ok((c, w))
    }

    pub async fn hello(&mut self, name: &str) -> Result<Welcome, ClientError> {
        self.hello_with(Self::plain_hello(name)).await
    }

    /// A `hello` with only a name; set `resume`, `reservation` or `token` on it as needed.
    pub fn plain_hello(name: &str) -> Hello {
        Hello {
            protocol: proto::PROTOCOL_VERSION,
            name: name.into(),
            token: None,
            resume: None,
            last_tick: None,
            reservation: None,
        }
    }

    /// Send this `hello` and wait for `welcome` (a refusal is [`ClientError::Refused`]).
    /// Waits up to 15 s: in cluster mode a resume on another node may take a few seconds.
    pub async fn hello_with(&mut self, hello: Hello) -> Result<Welcome, ClientError> {
        self.send(&ClientMessage::Hello(hello)).await?;
        match self.recv_timeout(Duration::from_secs(15)).await? {
            ServerMessage::Welcome(w) => Ok(w),
            ServerMessage::Error { code, message, .. } => {
                Err(ClientError::Refused { code: code.to_string(), message })
            }
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Cluster mode: connect to the node a `redirect` names and redeem its reservation.
    /// Returns the new client and its `welcome`; the seat's `match_found` follows on it.
    pub async fn follow_redirect(
        url: &str,
        check: &CertCheck,
        name: &str,
        reservation: &str,
    ) -> Result<(Client, Welcome), ClientError> {
        let mut c = Client::connect(url, check).await?;
        let w = c
            .hello_with(Hello { reservation: Some(reservation.into()), ..Self::plain_hello(name) })
            .await?;
        Ok((c, w))
    }

    pub async fn send(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        self.ws.send(Message::Binary(proto::encode_client(msg))).await?;
        Ok(())
    }

    /// Send raw bytes as one binary message.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.ws.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    /// The next server message (pings are answered by tungstenite and skipped here).
    pub async fn recv(&mut self) -> Result<ServerMessage, ClientError> {
        loop {
            match self.ws.next().await {
                None => return Err(ClientError::Closed(None)),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Binary(b))) => return Ok(proto::decode_server(&b)?),
                Some(Ok(Message::Close(f))) => {
                    return Err(ClientError::Closed(
                        f.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next server message's bytes, undecoded: protocol 2's state, event and
    /// `command_result` messages are read with `tickwave_protocol::v2`'s decoders.
    pub async fn recv_bytes(&mut self) -> Result<bytes::Bytes, ClientError> {
        loop {
            match self.ws.next().await {
                None => return Err(ClientError::Closed(None)),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Binary(b))) => return Ok(b),
                Some(Ok(Message::Close(f))) => {
                    return Err(ClientError::Closed(
                        f.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn recv_timeout(&mut self, t: Duration) -> Result<ServerMessage, ClientError> {
        tokio::time::timeout(t, self.recv()).await.map_err(|_| ClientError::Timeout("a message"))?
    }

    /// Receive until `f` returns `Some`, skipping other messages; bounded by `t`.
    pub async fn recv_until<T>(
        &mut self,
        t: Duration,
        what: &'static str,
        mut f: impl FnMut(&ServerMessage) -> Option<T>,
    ) -> Result<T, ClientError> {
        tokio::time::timeout(t, async {
            loop {
                let m = self.recv().await?;
                if let Some(v) = f(&m) {
                    return Ok(v);
                }
            }
        })
        .await
        .map_err(|_| ClientError::Timeout(what))?
    }

    /// Read until the server closes; returns the close code and reason (None: no close frame).
    pub async fn closed(&mut self, t: Duration) -> Result<Option<(u16, String)>, ClientError> {
        tokio::time::timeout(t, async {
            loop {
                match self.ws.next().await {
                    None | Some(Err(_)) => return Ok(None),
                    Some(Ok(Message::Close(f))) => {
                        return Ok(f.map(|f| (u16::from(f.code), f.reason.to_string())));
                    }
                    Some(Ok(_)) => continue,
                }
            }
        })
        .await
        .map_err(|_| ClientError::Timeout("the close"))?
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn urls() {
        assert_eq!(parse_url("wss://127.0.0.1:4433/ws").unwrap(), (true, "127.0.0.1".into(), 4433));
        assert_eq!(parse_url("ws://localhost/ws").unwrap(), (false, "localhost".into(), 80));
        assert_eq!(parse_url("wss://[::1]:9/ws").unwrap(), (true, "::1".into(), 9));
        assert!(parse_url("http://x/ws").is_err());
    }
}
