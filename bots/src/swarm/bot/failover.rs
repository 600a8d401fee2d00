//! Cluster mode with several `--url`s: a bot whose node is gone moves to another node and
//! comes back into a match through the server's `lobby_lost` path (protocol/PROTOCOL.md
//! §11.3): it resumes there with the dead node's token (signed cluster-wide), the server
//! waits until that node is declared dead, then answers `welcome`, `lobby_lost` and `queued`
//! (re-queued with priority). Without this, bots retried the dead node's URL forever.
//!
//! A node counts as lost for a bot when a connection that had been welcomed broke and the
//! reconnect to the same node was refused (or timed out): the recovery time runs from the
//! break to the next `match_found`, and a bot still waiting at the end is stranded.

use super::{Bot, End};
use crate::client::ClientError;
use crate::swarm::net::conn::Target;

impl Bot {
    /// Where the next connection goes: the node of the bot's seat (from a `redirect`), else
    /// its own node of the `--url` list (the one target resolved up front when there is one).
    pub(super) async fn node_target(&self) -> Result<Target, ClientError> {
        let ctx = &self.ctx;
        match (&self.node, ctx.cfg.urls()) {
            (None, urls) if urls.len() == 1 => Ok(ctx.target.clone()),
            (None, urls) => ctx.resolve(urls[self.home], &ctx.cfg.check).await,
            (Some(url), _) => ctx.resolve(url, &ctx.cfg.check).await,
        }
    }

    /// A connect failed: with several nodes, move to the next one (not the one that failed)
    /// and, if a welcomed connection broke just before, count a node loss.
    pub(super) fn connect_failed(&mut self) -> End {
        let urls = self.ctx.cfg.urls();
        if urls.len() < 2 {
            return End::Failed;
        }
        let dead = self.node.take().unwrap_or_else(|| urls[self.home].to_owned());
        self.home = next_node(&urls, self.home, &dead);
        if let Some(at) = self.dropped_at.take() {
            if self.lost_since.is_none() {
                self.lost_since = Some(at);
                self.rec.borrow_mut().node_losses += 1;
            }
        }
        End::NodeLost
    }

    /// A `match_found`: a bot recovering from a node loss is back in a match.
    pub(super) fn recovered(&mut self, now: u64) {
        if let Some(at) = self.lost_since.take() {
            self.rec.borrow_mut().recover_ms.push(now.saturating_sub(at) as f64 / 1000.0);
        }
    }

    /// The run ended: a bot still recovering is stranded.
    pub(super) fn stranded(&self) -> bool {
        self.lost_since.is_some()
    }
}

/// The node to use now that `dead` refused: `home` if it is another one (the bot had been
/// redirected away from it), else the next one after it whose URL is not `dead` (`home`
/// itself if every one is).
fn next_node(urls: &[&str], home: usize, dead: &str) -> usize {
    (0..urls.len()).map(|k| (home + k) % urls.len()).find(|&i| urls[i] != dead).unwrap_or(home)
}

#[cfg(test)]
mod tests {
    use super::next_node;

    #[test]
    fn the_next_node_skips_the_dead_one() {
        let urls = ["a", "b", "c"];
        assert_eq!(next_node(&urls, 0, "a"), 1);
        assert_eq!(next_node(&urls, 2, "c"), 0);
        // Redirected to b, whose home was a: b died, back home to a.
        assert_eq!(next_node(&urls, 0, "b"), 0);
        assert_eq!(next_node(&urls, 1, "b"), 2);
        assert_eq!(next_node(&["a", "a"], 0, "a"), 0);
    }
}
