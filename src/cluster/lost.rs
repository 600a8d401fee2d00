//! Players of a dead node: what another node answers when one of them comes back with a
//! resume token issued by the dead node.
//!
//! In cluster mode every node signs resume tokens with a key derived from the cluster secret,
//! so any node can check that a token is genuine even though it names another process
//! (`server`). The directory says which lobby of which process seated the player
//! ([`super::directory::DirEntry::members`]). The answer is then:
//!
//! - the issuing process is still registered: wait (bounded by the node TTL plus two
//!   heartbeats, ~5 s) for its registration to expire, because a node killed a moment ago
//!   still looks alive; if it stays, the player is told to resume on that node
//!   (`resume_foreign` naming its URL);
//! - it is gone and the player had a seat in one of its lobbies: the lobby is lost. The
//!   player is welcomed as a new session, told `lobby_lost` and queued again with priority in
//!   the same mode. Each (process, player) is re-queued once (`tw:lost:*`, `SET NX`);
//! - it is gone and the player had no seat: `resume_expired`, as for an expired hold.

use super::directory::{self, DirEntry};
use super::{Cluster, registry};
use crate::link::{Claims, LostSeat};
use std::time::Duration;
use tickwave_protocol::ErrorCode;

/// How long a lost seat can be claimed once (key TTL of `tw:lost:<server>:<player>`).
const LOST_CLAIM_TTL: Duration = Duration::from_secs(120);
/// Poll period while waiting for a recently killed node's registration to expire.
const POLL: Duration = Duration::from_millis(250);

enum Lookup {
    /// The issuing process is registered: its URL.
    Alive(String),
    Lost(LostSeat),
    NoSeat,
}

pub(crate) fn lost_key(server: u64, player: u32) -> String {
    format!("tw:lost:{server:016x}:{player}")
}

/// Which lobby (if any) of which process held this player.
pub(crate) fn find_seat<'a>(entries: &'a [DirEntry], claims: &Claims) -> Option<&'a DirEntry> {
    entries.iter().find(|e| e.server == claims.server && e.members.contains(&claims.player))
}

impl Cluster {
    /// Decide what a resume token of another node means here (see the module doc). The
    /// error is what to refuse the hello with.
    pub(crate) async fn lost_seat(&self, claims: &Claims) -> Result<LostSeat, (ErrorCode, String)> {
        let deadline = tokio::time::Instant::now() + self.cfg.node_ttl + 2 * self.cfg.heartbeat;
        loop {
            let last = tokio::time::Instant::now() >= deadline;
            match self.lookup(claims).await {
                Ok(Lookup::Lost(seat)) => return self.claim(claims, seat).await,
                Ok(Lookup::NoSeat) => {
                    let msg = "the node that held this player is gone and it had no seat; \
                               connect without resume";
                    return Err((ErrorCode::ResumeExpired, msg.into()));
                }
                Ok(Lookup::Alive(url)) if last => {
                    let msg = format!("this player's seat is on another node; resume at {url}");
                    return Err((ErrorCode::ResumeForeign, msg));
                }
                Err(e) if last => {
                    let msg = format!("the cluster cannot be reached ({e}); try again");
                    return Err((ErrorCode::Overloaded, msg));
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    async fn lookup(&self, claims: &Claims) -> redis::RedisResult<Lookup> {
        let Some(mut conn) = self.conn().await else {
            return Err(redis::RedisError::from((redis::ErrorKind::Io, "not connected")));
        };
        let (live, _dead) = registry::nodes(&mut conn).await?;
        if let Some(n) = live.values().find(|n| n.resume_server == claims.server) {
            return Ok(Lookup::Alive(n.url.clone()));
        }
        let entries = directory::all(&mut conn).await?;
        Ok(match find_seat(&entries, claims) {
            Some(e) => Lookup::Lost(LostSeat {
                mode: e.mode.clone(),
                lobby: e.lobby,
                node: e.node.clone(),
            }),
            None => Lookup::NoSeat,
        })
    }

    /// Re-queue a lost seat once per (process, player), whichever node is asked.
    async fn claim(
        &self,
        claims: &Claims,
        seat: LostSeat,
    ) -> Result<LostSeat, (ErrorCode, String)> {
        let unreachable = |e: redis::RedisError| {
            (ErrorCode::Overloaded, format!("the cluster cannot be reached ({e}); try again"))
        };
        let mut conn = self
            .conn()
            .await
            .ok_or_else(|| unreachable(redis::RedisError::from((redis::ErrorKind::Io, "down"))))?;
        let set: Option<String> = redis::cmd("SET")
            .arg(lost_key(claims.server, claims.player))
            .arg(self.cfg.node_id.as_str())
            .arg("NX")
            .arg("PX")
            .arg(LOST_CLAIM_TTL.as_millis() as u64)
            .query_async(&mut conn)
            .await
            .map_err(unreachable)?;
        match set {
            Some(_) => Ok(seat),
            None => Err((ErrorCode::ResumeUsed, "this lost seat was already re-queued".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(server: u64, lobby: u64, members: &[u32]) -> DirEntry {
        DirEntry {
            node: "n3".into(),
            lobby,
            mode: "duo".into(),
            state: "lost".into(),
            players: members.len() as u32,
            max_players: 2,
            code: None,
            updated_ms: 0,
            server,
            members: members.to_vec(),
            seats: members.len() as u32,
            seq: 0,
        }
    }

    #[test]
    fn a_seat_is_found_by_issuing_process_and_player() {
        let entries = [entry(7, 1, &[1, 2]), entry(8, 1, &[3]), entry(7, 2, &[3])];
        let c = |server, player| Claims { server, player, session: 1, nonce: 1 };
        assert_eq!(find_seat(&entries, &c(7, 2)).map(|e| e.lobby), Some(1));
        assert_eq!(find_seat(&entries, &c(7, 3)).map(|e| e.lobby), Some(2));
        assert_eq!(find_seat(&entries, &c(8, 3)).map(|e| e.server), Some(8));
        assert!(find_seat(&entries, &c(9, 1)).is_none());
    }
}
