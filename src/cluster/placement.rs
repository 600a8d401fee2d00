//! Where the lease holder puts a new lobby, and its own running count of the seats it placed
//! that the nodes have not reported back yet. Pure: no clock, no I/O, deterministic.
//!
//! Why a ledger: a node reports its load (seats held in its lobbies, members plus
//! reservations) in its registration, refreshed every heartbeat, and its lobbies in the
//! directory; the holder places every 100 ms. Reading only the reports, the holder would
//! place several cycles of lobbies on the node that looked emptiest a second ago and open new
//! lobbies for players that a lobby placed 100 ms earlier could still take. So every placement
//! is recorded here at once, with the sequence number the claim script gave its `assign`
//! (`tw:placed`, per node, in inbox order). A node publishes the sequence number of the last
//! `assign` it applied with its registration and directory; placements up to it are in the
//! reports, the later ones are added from here.

use crate::config::PlacementPolicy;
use std::collections::BTreeMap;

/// Placements older than this many cycles are forgotten even if their node never reported
/// them (a stuck or restarted node, or a Redis restart that reset the sequence numbers), so
/// the ledger cannot make a node look full forever. 50 cycles of 100 ms: 5 s.
pub(crate) const MAX_AGE_CYCLES: u64 = 50;
/// Bound on the placements remembered per node (the oldest go first).
pub(crate) const MAX_PER_NODE: usize = 4096;

/// A node that takes new lobbies, as the holder sees it this cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeRoom {
    pub id: String,
    pub capacity: u32,
    /// Seats held in its lobbies: reported plus placed since the report.
    pub used: u32,
}

impl NodeRoom {
    pub(crate) fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.used)
    }
}

/// The node for a new lobby of `seats` players: among the nodes with room for them, the one
/// with the most free seats (`spread`) or the fewest (`packed`, fill the fullest node first,
/// like Agones' Packed). Ties go to the smallest id, so the choice is deterministic.
pub(crate) fn choose_node(
    policy: PlacementPolicy,
    nodes: &[NodeRoom],
    seats: u32,
) -> Option<usize> {
    let fits = nodes.iter().enumerate().filter(|(_, n)| n.free() >= seats.max(1));
    match policy {
        PlacementPolicy::Spread => fits
            .max_by(|(_, a), (_, b)| a.free().cmp(&b.free()).then_with(|| b.id.cmp(&a.id)))
            .map(|(i, _)| i),
        PlacementPolicy::Packed => fits
            .min_by(|(_, a), (_, b)| a.free().cmp(&b.free()).then_with(|| a.id.cmp(&b.id)))
            .map(|(i, _)| i),
    }
}

/// A placement the holder made that its node may not have reported yet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placed {
    /// The `assign`'s sequence number on its node.
    pub seq: u64,
    pub seats: u32,
    /// `Some(lobby)` for a backfill; `None` for a new lobby (its id is the node's to pick).
    pub lobby: Option<u64>,
    pub mode: String,
    /// Seats of the mode's lobbies, so a pending new lobby can be offered to the policy.
    pub max_players: u32,
    cycle: u64,
}

/// The holder's placements per node, until the node reports them.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    cycle: u64,
    nodes: BTreeMap<String, Vec<Placed>>,
}

impl Ledger {
    /// Start a cycle: forget the nodes that are gone and placements past [`MAX_AGE_CYCLES`].
    pub(crate) fn next_cycle(&mut self, live: &[&str]) {
        self.cycle += 1;
        let now = self.cycle;
        self.nodes.retain(|id, v| {
            v.retain(|p| now - p.cycle <= MAX_AGE_CYCLES);
            live.contains(&id.as_str()) && !v.is_empty()
        });
    }

    /// Forget what `node` has reported: every `assign` up to `applied`. A sequence number
    /// above every pending one but unknown here (a Redis restart reset the counter) also
    /// settles everything, which at worst undercounts for one heartbeat.
    pub(crate) fn settle(&mut self, node: &str, applied: u64) {
        if let Some(v) = self.nodes.get_mut(node) {
            v.retain(|p| p.seq > applied);
        }
    }

    /// Remember a placement the moment its `assign` is pushed.
    pub(crate) fn record(
        &mut self,
        node: &str,
        seq: u64,
        seats: u32,
        lobby: Option<u64>,
        mode: &str,
        max_players: u32,
    ) {
        let v = self.nodes.entry(node.to_owned()).or_default();
        if v.len() >= MAX_PER_NODE {
            v.remove(0);
        }
        let p = Placed { seq, seats, lobby, mode: mode.into(), max_players, cycle: self.cycle };
        v.push(p);
    }

    /// Seats placed on `node` after its report of `applied`.
    pub(crate) fn extra_seats(&self, node: &str, applied: u64) -> u32 {
        self.pending(node, applied).map(|p| p.seats).sum()
    }

    /// Seats placed in `lobby` of `node` after the directory entry that says `applied`.
    pub(crate) fn extra_in_lobby(&self, node: &str, lobby: u64, applied: u64) -> u32 {
        self.pending(node, applied).filter(|p| p.lobby == Some(lobby)).map(|p| p.seats).sum()
    }

    /// New lobbies of `mode` placed on `node` after its directory said `applied`: they exist
    /// (or are being made) but the holder does not know their ids yet.
    pub(crate) fn new_lobbies<'a>(
        &'a self,
        node: &str,
        mode: &'a str,
        applied: u64,
    ) -> impl Iterator<Item = &'a Placed> + use<'a> {
        self.pending(node, applied).filter(move |p| p.lobby.is_none() && p.mode == mode)
    }

    fn pending<'a>(
        &'a self,
        node: &str,
        applied: u64,
    ) -> impl Iterator<Item = &'a Placed> + use<'a> {
        self.nodes.get(node).into_iter().flatten().filter(move |p| p.seq > applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlacementPolicy::{Packed, Spread};

    fn room(id: &str, capacity: u32, used: u32) -> NodeRoom {
        NodeRoom { id: id.into(), capacity, used }
    }

    #[test]
    fn spread_takes_the_node_with_most_room_and_packed_the_fullest_that_fits() {
        let nodes = [room("n1", 100, 40), room("n2", 100, 10), room("n3", 100, 95)];
        assert_eq!(choose_node(Spread, &nodes, 16), Some(1));
        // n3 has 5 free: too few for 16, so packed takes the next fullest.
        assert_eq!(choose_node(Packed, &nodes, 16), Some(0));
        assert_eq!(choose_node(Packed, &nodes, 5), Some(2));
    }

    #[test]
    fn ties_go_to_the_smallest_id_and_no_room_means_no_node() {
        let nodes = [room("n2", 10, 0), room("n1", 10, 0), room("n3", 10, 0)];
        assert_eq!(choose_node(Spread, &nodes, 2), Some(1));
        assert_eq!(choose_node(Packed, &nodes, 2), Some(1));
        let full = [room("n1", 10, 9), room("n2", 4, 4)];
        assert_eq!(choose_node(Spread, &full, 2), None);
        assert_eq!(choose_node(Packed, &full, 2), None);
        assert_eq!(choose_node(Spread, &[], 2), None);
    }

    /// What the swarm of issue 17 needs: placing lobby after lobby with the ledger's count,
    /// spread rotates over every node and packed stays on one until it is full.
    #[test]
    fn counting_each_placement_at_once_spreads_or_packs_a_burst() {
        for (policy, want) in [(Spread, vec![0, 1, 2, 0, 1, 2]), (Packed, vec![0, 0, 0, 1, 1, 1])] {
            let mut ledger = Ledger::default();
            ledger.next_cycle(&["n1", "n2", "n3"]);
            let mut got = Vec::new();
            for seq in 1..=6 {
                let nodes: Vec<NodeRoom> = ["n1", "n2", "n3"]
                    .iter()
                    .map(|id| room(id, 48, ledger.extra_seats(id, 0)))
                    .collect();
                let i = choose_node(policy, &nodes, 16).expect("room");
                ledger.record(&nodes[i].id, seq, 16, None, "arena", 16);
                got.push(i);
            }
            assert_eq!(got, want, "{policy:?}");
        }
    }

    #[test]
    fn a_report_settles_what_it_includes_and_old_placements_expire() {
        let mut l = Ledger::default();
        l.next_cycle(&["n1"]);
        l.record("n1", 1, 4, None, "arena", 16);
        l.record("n1", 2, 3, Some(7), "arena", 16);
        l.record("n1", 3, 2, Some(7), "arena", 16);
        assert_eq!(l.extra_seats("n1", 0), 9);
        assert_eq!(l.extra_in_lobby("n1", 7, 0), 5);
        // A directory entry published after assign 2 already counts its seats.
        assert_eq!(l.extra_in_lobby("n1", 7, 2), 2);
        assert_eq!(l.new_lobbies("n1", "arena", 0).count(), 1);
        assert_eq!(l.new_lobbies("n1", "arena", 1).count(), 0);
        assert_eq!(l.new_lobbies("n1", "duo", 0).count(), 0);
        l.settle("n1", 2);
        assert_eq!(l.extra_seats("n1", 0), 2);
        for _ in 0..MAX_AGE_CYCLES {
            l.next_cycle(&["n1"]);
        }
        assert_eq!(l.extra_seats("n1", 0), 2, "still within the age bound");
        l.next_cycle(&["n1"]);
        assert_eq!(l.extra_seats("n1", 0), 0, "forgotten after MAX_AGE_CYCLES");
    }

    #[test]
    fn a_dead_node_is_forgotten_and_the_ledger_is_bounded() {
        let mut l = Ledger::default();
        l.next_cycle(&["n1", "n2"]);
        l.record("n2", 1, 2, None, "duo", 2);
        l.next_cycle(&["n1"]);
        assert_eq!(l.extra_seats("n2", 0), 0);
        for seq in 0..(MAX_PER_NODE as u64 + 10) {
            l.record("n1", seq + 1, 1, None, "duo", 2);
        }
        assert_eq!(l.extra_seats("n1", 0), MAX_PER_NODE as u32);
    }
}
