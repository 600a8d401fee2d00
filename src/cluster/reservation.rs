//! Seat reservations: how a player matched onto another node proves, on arrival, that the
//! cluster gave it a seat there.
//!
//! A reservation is `r1.<payload>.<mac>` (base64url). The payload is JSON naming the node, the
//! lobby, the player (its display name and the ticket it came from), the expiry (Unix ms) and
//! a random nonce; the MAC is HMAC-SHA256 under the cluster secret that every node shares.
//! Signature, node and expiry are checked here, purely (time is an argument). Single use is
//! the redeeming node's job ([`UsedNonces`]): a reservation names exactly one node, so that
//! node's memory of redeemed nonces is enough and no Redis round trip sits in `hello`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tickwave_protocol::ErrorCode;

/// What a reservation asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reservation {
    /// The node that holds the seat.
    pub node: String,
    /// The lobby id on that node.
    pub lobby: u64,
    /// The ticket the seat was made for (`node:session` of the player's original node).
    pub ticket: String,
    /// The player's display name.
    pub player: String,
    /// Expiry, Unix milliseconds.
    pub expires_ms: u64,
    /// Random, so that each reservation is distinct and can be marked used.
    pub nonce: u64,
}

/// Why a reservation is refused; each maps to its own wire error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReservationError {
    #[error("the reservation is malformed or its signature is wrong")]
    Invalid,
    #[error("the reservation has expired; find a match again")]
    Expired,
    #[error("the reservation was already used")]
    Used,
    #[error("the reservation is for another node")]
    Foreign,
}

impl ReservationError {
    pub(crate) fn code(self) -> ErrorCode {
        match self {
            ReservationError::Invalid => ErrorCode::ReservationInvalid,
            ReservationError::Expired => ErrorCode::ReservationExpired,
            ReservationError::Used => ErrorCode::ReservationUsed,
            ReservationError::Foreign => ErrorCode::ReservationForeign,
        }
    }
}

/// Longest token accepted before any decoding (a hello field is attacker-controlled).
const MAX_TOKEN: usize = 1024;

/// Signs and checks reservations with the cluster secret.
pub(crate) struct ReservationKeys {
    key: hmac::Key,
}

impl ReservationKeys {
    pub(crate) fn new(secret: &[u8]) -> Self {
        // Domain-separated from any other use of the same secret (resume tokens).
        let derived =
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), b"tickwave-reservation");
        ReservationKeys { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) }
    }

    pub(crate) fn issue(&self, r: &Reservation) -> String {
        let p = serde_json::to_vec(r).expect("a reservation serializes");
        let tag = hmac::sign(&self.key, &p);
        format!("r1.{}.{}", B64.encode(&p), B64.encode(tag.as_ref()))
    }

    /// Check format, signature, node and expiry at `now_ms` (Unix ms).
    pub(crate) fn verify(
        &self,
        token: &str,
        node: &str,
        now_ms: u64,
    ) -> Result<Reservation, ReservationError> {
        if token.len() > MAX_TOKEN {
            return Err(ReservationError::Invalid);
        }
        let mut parts = token.split('.');
        let (Some("r1"), Some(p), Some(t), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ReservationError::Invalid);
        };
        let p = B64.decode(p).map_err(|_| ReservationError::Invalid)?;
        let t = B64.decode(t).map_err(|_| ReservationError::Invalid)?;
        hmac::verify(&self.key, &p, &t).map_err(|_| ReservationError::Invalid)?;
        let r: Reservation = serde_json::from_slice(&p).map_err(|_| ReservationError::Invalid)?;
        if r.node != node {
            return Err(ReservationError::Foreign);
        }
        if now_ms >= r.expires_ms {
            return Err(ReservationError::Expired);
        }
        Ok(r)
    }
}

/// Nonces redeemed on this node, kept until their reservation would have expired anyway.
#[derive(Debug, Default)]
pub(crate) struct UsedNonces {
    map: HashMap<u64, u64>,
}

impl UsedNonces {
    /// Mark a verified reservation used; `Used` if it already was.
    pub(crate) fn redeem(&mut self, r: &Reservation, now_ms: u64) -> Result<(), ReservationError> {
        self.map.retain(|_, exp| *exp > now_ms);
        if self.map.insert(r.nonce, r.expires_ms).is_some() {
            return Err(ReservationError::Used);
        }
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resv(node: &str) -> Reservation {
        Reservation {
            node: node.into(),
            lobby: 7,
            ticket: "n1:3".into(),
            player: "ada".into(),
            expires_ms: 10_000,
            nonce: 42,
        }
    }

    #[test]
    fn issued_reservations_verify_on_their_node_until_they_expire() {
        let k = ReservationKeys::new(b"cluster secret");
        let t = k.issue(&resv("n2"));
        assert_eq!(k.verify(&t, "n2", 9_999), Ok(resv("n2")));
        assert_eq!(k.verify(&t, "n2", 10_000), Err(ReservationError::Expired));
        assert_eq!(k.verify(&t, "n3", 1), Err(ReservationError::Foreign));
    }

    #[test]
    fn forged_tampered_and_malformed_reservations_are_invalid() {
        let k = ReservationKeys::new(b"cluster secret");
        let forged = ReservationKeys::new(b"guess").issue(&resv("n2"));
        assert_eq!(k.verify(&forged, "n2", 1), Err(ReservationError::Invalid));
        let t = k.issue(&resv("n2"));
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut r = resv("n2");
        r.lobby = 8;
        parts[1] = B64.encode(serde_json::to_vec(&r).unwrap());
        assert_eq!(k.verify(&parts.join("."), "n2", 1), Err(ReservationError::Invalid));
        for bad in ["", "r1", "v1.a.b", "r1.!!.??", "r1.AAAA.AAAA", &"r1.".repeat(400)] {
            assert_eq!(k.verify(bad, "n2", 1), Err(ReservationError::Invalid), "{bad}");
        }
    }

    #[test]
    fn a_reservation_redeems_once() {
        let mut used = UsedNonces::default();
        let r = resv("n2");
        assert_eq!(used.redeem(&r, 1), Ok(()));
        assert_eq!(used.redeem(&r, 2), Err(ReservationError::Used));
        // expired entries are forgotten (the reservation itself is refused as expired by then)
        let mut other = resv("n2");
        other.nonce = 43;
        used.redeem(&other, 20_000).unwrap();
        assert_eq!(used.len(), 1);
    }
}
