//! Resume tokens and seat holds: how a player whose connection dropped gets the same seat back.
//!
//! A token is `v1.<payload>.<mac>` (base64url): the payload names the issuing server, the
//! player, the session and a nonce; the MAC is HMAC-SHA256 under a key only this server holds.
//! The token is single-use because the [`SeatHolds`] table keeps, per player, the one nonce
//! that is valid now; using it (or welcoming the player again) replaces it.
//!
//! Verification is pure (time is an argument), so the rules are unit-tested without a clock.

pub(crate) use crate::link::Claims;
use crate::link::{LobbyHandle, SessionEvent};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tickwave_protocol::ErrorCode;
use tokio::sync::mpsc;

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResumeError {
    #[error("the resume token is malformed or its signature is wrong")]
    Invalid,
    #[error("the resume token was issued by another server")]
    Foreign,
    #[error("the seat is no longer held (grace period over)")]
    Expired,
    #[error("the resume token was already used")]
    Used,
}

impl ResumeError {
    pub(crate) fn code(self) -> ErrorCode {
        match self {
            ResumeError::Invalid => ErrorCode::ResumeInvalid,
            ResumeError::Foreign => ErrorCode::ResumeForeign,
            ResumeError::Expired => ErrorCode::ResumeExpired,
            ResumeError::Used => ErrorCode::ResumeUsed,
        }
    }
}

const PAYLOAD_LEN: usize = 8 + 4 + 8 + 8;

/// The server's signing identity.
pub(crate) struct ResumeKeys {
    server: u64,
    key: hmac::Key,
}

impl ResumeKeys {
    /// A fresh random identity: tokens die with the process, which is what a single node wants
    /// (a restarted server has lost the seats anyway).
    pub(crate) fn random() -> Self {
        use ring::rand::{SecureRandom, SystemRandom};
        let rng = SystemRandom::new();
        let mut secret = [0u8; 32];
        let mut id = [0u8; 8];
        rng.fill(&mut secret).expect("system randomness");
        rng.fill(&mut id).expect("system randomness");
        Self::new(u64::from_be_bytes(id), &secret)
    }

    /// Cluster mode: a random server id (tokens still name the process that issued them) but
    /// a key derived from the cluster secret, so that any node can check a token's signature
    /// and tell a player of a dead node that its lobby is lost ([`Self::verify_signed`]).
    pub(crate) fn cluster(secret: &[u8]) -> Self {
        use ring::rand::{SecureRandom, SystemRandom};
        let mut id = [0u8; 8];
        SystemRandom::new().fill(&mut id).expect("system randomness");
        // Domain-separated from the reservation key derived from the same secret.
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"tickwave-resume");
        Self::new(u64::from_be_bytes(id), derived.as_ref())
    }

    pub(crate) fn new(server: u64, secret: &[u8]) -> Self {
        ResumeKeys { server, key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    pub(crate) fn server(&self) -> u64 {
        self.server
    }

    pub(crate) fn issue(&self, player: u32, session: u64, nonce: u64) -> String {
        let mut p = Vec::with_capacity(PAYLOAD_LEN);
        p.extend_from_slice(&self.server.to_be_bytes());
        p.extend_from_slice(&player.to_be_bytes());
        p.extend_from_slice(&session.to_be_bytes());
        p.extend_from_slice(&nonce.to_be_bytes());
        let tag = hmac::sign(&self.key, &p);
        format!("v1.{}.{}", B64.encode(&p), B64.encode(tag.as_ref()))
    }

    /// Check format, signature and issuer. Seat state (expiry, reuse) is [`SeatHolds`]' job.
    ///
    /// The MAC is checked before any field of the payload is read: a token that does not
    /// verify is `Invalid` whatever it claims, so flipping its server-id bytes cannot turn a
    /// forgery into `Foreign`. `Foreign` is therefore only ever said of a genuine token of
    /// another process, which only cluster mode (one key for every node) can recognise; a
    /// single server's key dies with its process, so its earlier tokens are `Invalid`.
    pub(crate) fn verify(&self, token: &str) -> Result<Claims, ResumeError> {
        let claims = self.verify_signed(token)?;
        if claims.server != self.server {
            return Err(ResumeError::Foreign);
        }
        Ok(claims)
    }

    /// Check format and signature only, whichever server issued the token. Meaningful in
    /// cluster mode, where every node signs with the same derived key.
    pub(crate) fn verify_signed(&self, token: &str) -> Result<Claims, ResumeError> {
        let (p, t) = split(token)?;
        hmac::verify(&self.key, &p, &t).map_err(|_| ResumeError::Invalid)?;
        Ok(claims(&p))
    }
}

/// Split and decode a token into the signed payload and the tag; reads no field.
fn split(token: &str) -> Result<([u8; PAYLOAD_LEN], Vec<u8>), ResumeError> {
    if token.len() > 256 {
        return Err(ResumeError::Invalid);
    }
    let mut parts = token.split('.');
    let (Some("v1"), Some(p), Some(t), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ResumeError::Invalid);
    };
    let p = B64.decode(p).map_err(|_| ResumeError::Invalid)?;
    let t = B64.decode(t).map_err(|_| ResumeError::Invalid)?;
    let p = p.try_into().map_err(|_| ResumeError::Invalid)?;
    Ok((p, t))
}

/// The fields of a payload whose MAC has been checked.
fn claims(p: &[u8; PAYLOAD_LEN]) -> Claims {
    let u64_at = |i: usize| u64::from_be_bytes(p[i..i + 8].try_into().expect("in bounds"));
    Claims {
        server: u64_at(0),
        player: u32::from_be_bytes(p[8..12].try_into().expect("in bounds")),
        session: u64_at(12),
        nonce: u64_at(20),
    }
}

/// A player's identity and seat, kept while the player is connected and for the grace period
/// after an unplanned drop.
#[derive(Debug)]
pub(crate) struct Hold {
    /// The nonce of the one token that may resume this player now.
    nonce: u64,
    /// While connected: how to tell the live session that it has been replaced.
    pub(crate) live: Option<mpsc::Sender<SessionEvent>>,
    /// The lobby holding the seat, if any: kept current while connected (so a resume that
    /// races a live connection knows whether a seat comes back) and fixed at a drop.
    pub(crate) lobby: Option<LobbyHandle>,
    /// After a drop: when the hold ends.
    deadline: Option<Instant>,
    /// The authenticated account (token mode): only the same account may resume.
    account: Option<Arc<str>>,
}

/// Holds of every player, by player id.
#[derive(Default)]
pub(crate) struct SeatHolds {
    map: Mutex<HashMap<u32, Hold>>,
    next_nonce: std::sync::atomic::AtomicU64,
}

impl SeatHolds {
    /// A connected session's hold; returns the nonce for its token.
    pub(crate) fn connected(
        &self,
        player: u32,
        live: mpsc::Sender<SessionEvent>,
        account: Option<Arc<str>>,
    ) -> u64 {
        let nonce = self.next_nonce.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let hold = Hold { nonce, live: Some(live), lobby: None, deadline: None, account };
        self.map.lock().expect("holds lock").insert(player, hold);
        nonce
    }

    /// The connected session (whose token has `nonce`) took a seat or gave it up.
    pub(crate) fn placed(&self, player: u32, nonce: u64, lobby: Option<LobbyHandle>) {
        let mut map = self.map.lock().expect("holds lock");
        if let Some(h) = map.get_mut(&player).filter(|h| h.nonce == nonce && h.live.is_some()) {
            h.lobby = lobby;
        }
    }

    /// The session (whose token had `nonce`) dropped without leaving: keep its seat until
    /// `now + grace`. A hold already taken over by a newer session is left alone.
    pub(crate) fn dropped(
        &self,
        player: u32,
        nonce: u64,
        lobby: Option<LobbyHandle>,
        now: Instant,
        grace: Duration,
    ) {
        let mut map = self.map.lock().expect("holds lock");
        if let Some(h) = map.get_mut(&player).filter(|h| h.nonce == nonce) {
            h.live = None;
            h.lobby = lobby;
            h.deadline = Some(now + grace);
        }
    }

    /// The player left for good (or was replaced and the new session owns the hold).
    pub(crate) fn forget(&self, player: u32, nonce: u64) {
        let mut map = self.map.lock().expect("holds lock");
        if map.get(&player).is_some_and(|h| h.nonce == nonce) {
            map.remove(&player);
        }
    }

    /// Redeem a verified token: the hold if the nonce is the current one and it has not
    /// expired. The hold is removed either way except on a replay.
    pub(crate) fn take(
        &self,
        claims: &Claims,
        account: Option<&str>,
        now: Instant,
    ) -> Result<Hold, ResumeError> {
        let mut map = self.map.lock().expect("holds lock");
        let Some(h) = map.get(&claims.player) else { return Err(ResumeError::Expired) };
        if h.nonce != claims.nonce {
            return Err(ResumeError::Used);
        }
        if h.account.as_deref() != account {
            // Someone else's seat: refuse without disturbing the hold.
            return Err(ResumeError::Invalid);
        }
        let h = map.remove(&claims.player).expect("present");
        if h.deadline.is_some_and(|d| now >= d) {
            return Err(ResumeError::Expired);
        }
        Ok(h)
    }

    /// Drop expired holds (called periodically).
    pub(crate) fn sweep(&self, now: Instant) {
        self.map.lock().expect("holds lock").retain(|_, h| h.deadline.is_none_or(|d| now < d));
    }

    pub(crate) fn len(&self) -> usize {
        self.map.lock().expect("holds lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_carry_their_claims() {
        let k = ResumeKeys::new(7, b"secret");
        let c = k.verify(&k.issue(42, 9, 1234)).unwrap();
        assert_eq!(c, Claims { server: 7, player: 42, session: 9, nonce: 1234 });
    }

    #[test]
    fn forged_foreign_and_malformed_tokens_are_refused() {
        let k = ResumeKeys::new(7, b"secret");
        let t = k.issue(42, 9, 1);
        // same server id, other key: a forgery
        let forger = ResumeKeys::new(7, b"guess");
        assert_eq!(k.verify(&forger.issue(42, 9, 1)), Err(ResumeError::Invalid));
        // tampered payload (player 43 instead of 42) under the original mac
        let mut parts: Vec<&str> = t.split('.').collect();
        let mut p = B64.decode(parts[1]).unwrap();
        p[11] = 43;
        let tampered = B64.encode(&p);
        parts[1] = &tampered;
        assert_eq!(k.verify(&parts.join(".")), Err(ResumeError::Invalid));
        assert_eq!(
            k.verify(&ResumeKeys::new(8, b"secret").issue(42, 9, 1)),
            Err(ResumeError::Foreign)
        );
        for bad in ["", "v1", "v2.a.b", "v1.!!.??", "v1.AAAA.AAAA", &"v1.".repeat(100)] {
            assert_eq!(k.verify(bad), Err(ResumeError::Invalid), "{bad}");
        }
    }

    /// Issue 13: whichever byte of a real token is changed (the issuer's id included), the
    /// answer is `Invalid`: nothing of a payload counts before its MAC is checked.
    #[test]
    fn every_tampered_byte_is_invalid_never_foreign() {
        let k = ResumeKeys::new(7, b"secret");
        let t = k.issue(42, 9, 1234);
        for i in 0..t.len() {
            for flip in [0x01u8, 0x02, 0x20] {
                let mut b = t.clone().into_bytes();
                b[i] ^= flip;
                let Ok(bad) = String::from_utf8(b) else { continue };
                assert_eq!(
                    k.verify(&bad),
                    Err(ResumeError::Invalid),
                    "byte {i} ^ {flip:#x}: {bad}"
                );
                assert_eq!(k.verify_signed(&bad), Err(ResumeError::Invalid), "byte {i}");
            }
        }
        // A token of another process signed with another key: indistinguishable from a forgery.
        assert_eq!(
            k.verify(&ResumeKeys::new(8, b"other").issue(42, 9, 1)),
            Err(ResumeError::Invalid)
        );
    }

    #[test]
    fn cluster_keys_check_each_others_signatures_but_still_name_the_issuer() {
        let a = ResumeKeys::cluster(b"shared cluster secret");
        let b = ResumeKeys::cluster(b"shared cluster secret");
        let t = a.issue(42, 9, 1);
        assert_eq!(b.verify(&t), Err(ResumeError::Foreign));
        assert_eq!(b.verify_signed(&t).unwrap().server, a.server());
        let stranger = ResumeKeys::cluster(b"another cluster secret");
        assert_eq!(stranger.verify_signed(&t), Err(ResumeError::Invalid));
    }

    #[test]
    fn holds_are_single_use_and_expire() {
        let holds = SeatHolds::default();
        let (tx, _rx) = mpsc::channel(1);
        let t0 = Instant::now();
        let n1 = holds.connected(5, tx.clone(), None);
        let claims = |nonce| Claims { server: 1, player: 5, session: 1, nonce };
        holds.dropped(5, n1, None, t0, Duration::from_secs(15));
        assert!(holds.take(&claims(n1), None, t0 + Duration::from_secs(3)).is_ok());
        // the hold is gone: using the same token again is refused
        let n2 = holds.connected(5, tx.clone(), None);
        assert_eq!(holds.take(&claims(n1), None, t0).unwrap_err(), ResumeError::Used);
        holds.dropped(5, n2, None, t0, Duration::from_secs(15));
        assert_eq!(
            holds.take(&claims(n2), None, t0 + Duration::from_secs(16)).unwrap_err(),
            ResumeError::Expired
        );
        assert_eq!(holds.take(&claims(n2), None, t0).unwrap_err(), ResumeError::Expired);
    }

    #[test]
    fn a_live_hold_knows_its_seat_and_a_replaced_session_cannot_change_it() {
        let holds = SeatHolds::default();
        let (tx, _rx) = mpsc::channel(1);
        let (ltx, _lrx) = mpsc::channel(1);
        let inputs = Arc::new(crate::link::InputInbox::new(1));
        let layout = Arc::new(tickwave_protocol::v2::Layout::new(Default::default()).unwrap());
        let lobby = LobbyHandle::new(9, ltx, inputs, Duration::from_secs(15), layout, true);
        let claims = |nonce| Claims { server: 1, player: 5, session: 1, nonce };
        let n1 = holds.connected(5, tx.clone(), None);
        holds.placed(5, n1, Some(lobby.clone()));
        let h = holds.take(&claims(n1), None, Instant::now()).unwrap();
        assert_eq!(h.lobby.map(|l| l.id), Some(9), "seat known while still connected");
        // The next session of the player: the old nonce may no longer move its seat.
        let n2 = holds.connected(5, tx.clone(), None);
        holds.placed(5, n1, Some(lobby.clone()));
        holds.placed(5, n2, None);
        assert!(holds.take(&claims(n2), None, Instant::now()).unwrap().lobby.is_none());
        // After a drop the seat is fixed: a late placement of the dead session changes nothing.
        let n3 = holds.connected(5, tx, None);
        holds.placed(5, n3, Some(lobby));
        holds.dropped(5, n3, None, Instant::now(), Duration::from_secs(15));
        holds.placed(5, n3, None);
        assert!(holds.take(&claims(n3), None, Instant::now()).unwrap().lobby.is_none());
    }

    #[test]
    fn sweep_drops_only_expired_holds() {
        let holds = SeatHolds::default();
        let (tx, _rx) = mpsc::channel(1);
        let t0 = Instant::now();
        holds.connected(1, tx.clone(), None);
        let n = holds.connected(2, tx.clone(), None);
        holds.dropped(2, n, None, t0, Duration::from_secs(1));
        holds.sweep(t0 + Duration::from_secs(2));
        assert_eq!(holds.len(), 1);
    }
}
