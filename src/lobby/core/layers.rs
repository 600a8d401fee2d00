//! Personal views layered on their team's view (issue 16), for protocol-2 members.
//!
//! In a fog-of-war lobby every player's view is its own (the opponents near it), but most of
//! it is its team's (the teammates, the team's shots). Projecting, diffing and encoding each
//! whole view would repeat the team's part once per player, which is most of the tick's
//! work in a 64-player lobby. A [`Layer`] holds only what its player sees *differently* from
//! its team ([`scope::extras`]: usually a few entities), and its delta splices the team's
//! delta, encoded once per tick, with the entries of those few entities
//! (`tickwave_protocol::v2::layered`): byte for byte the delta of the whole view.
//!
//! A layer's delta applies only when both it and its team's stream hold the last sent tick;
//! otherwise its member gets a snapshot of the whole view ([`View::overlay_into`]).

use super::streams::Stream;
use crate::game::v2::scope::{self, Scopes, Teams, ViewKey};
use bytes::Bytes;
use std::sync::Arc;
use tickwave_protocol::v2::{Encoder, LayerDiff, Layout, View};

pub(crate) struct Layer {
    /// The team stream this layer sits on (`ViewKey::Team`).
    pub(crate) team: ViewKey,
    top_prev: View,
    top_cur: View,
    /// The tick of `top_prev`.
    pub(crate) prev_tick: Option<u64>,
    diff: LayerDiff,
    whole: View,
    ids: Vec<u32>,
    delta: Option<Bytes>,
    snapshot: Option<Bytes>,
    pub(crate) used: bool,
}

impl Layer {
    pub(crate) fn new(layout: Arc<Layout>, team: ViewKey) -> Layer {
        Layer {
            team,
            top_prev: View::new(layout.clone()),
            top_cur: View::new(layout.clone()),
            prev_tick: None,
            diff: LayerDiff::new(layout.clone()),
            whole: View::new(layout),
            ids: Vec::new(),
            delta: None,
            snapshot: None,
            used: false,
        }
    }

    /// This tick's top, from the world and the scopes.
    pub(crate) fn fill(&mut self, world: &View, scopes: &Scopes, teams: &Teams, player: u32) {
        scope::extras(world, scopes, teams, player, &mut self.ids, &mut self.top_cur);
    }

    /// Start at `tick` with the top of that tick (a resumed member caught up to it).
    pub(crate) fn seed(
        &mut self,
        world: &View,
        scopes: &Scopes,
        teams: &Teams,
        player: u32,
        tick: u64,
    ) {
        scope::extras(world, scopes, teams, player, &mut self.ids, &mut self.top_prev);
        self.prev_tick = Some(tick);
    }

    /// The delta of the whole view, spliced from the team's (needed this tick). Returns the
    /// bytes and whether they were encoded now (not taken from this tick's cache).
    pub(crate) fn delta(
        &mut self,
        team: &mut Stream,
        enc: &mut Encoder,
        tick: u64,
        acks: &[(u32, u64)],
    ) -> (Bytes, bool) {
        if let Some(b) = &self.delta {
            return (b.clone(), false);
        }
        let base = self.prev_tick.unwrap_or(0);
        self.diff.diff(&team.prev, &team.cur, &self.top_prev, &self.top_cur);
        let shared = team.shared();
        let b = enc.layered_delta(tick, base, acks, shared, self.diff.touched(), self.diff.own());
        self.delta = Some(b.clone());
        (b, true)
    }

    /// A snapshot of the whole view.
    pub(crate) fn snapshot(
        &mut self,
        team: &Stream,
        enc: &mut Encoder,
        tick: u64,
        acks: &[(u32, u64)],
    ) -> (Bytes, bool) {
        if let Some(b) = &self.snapshot {
            return (b.clone(), false);
        }
        team.cur.overlay_into(&self.top_cur, &mut self.whole);
        let b = enc.snapshot(tick, acks, &self.whole);
        self.snapshot = Some(b.clone());
        (b, true)
    }

    /// Whether the member's view at the last sent tick was its team's alone.
    pub(crate) fn top_is_empty(&self) -> bool {
        self.top_prev.is_empty()
    }

    /// Start at `tick` holding nothing of its own: a member that followed its team's
    /// stream until then holds exactly the base.
    pub(crate) fn start_empty(&mut self, tick: u64) {
        self.top_prev.clear();
        self.prev_tick = Some(tick);
    }

    pub(crate) fn rotate(&mut self, tick: u64) {
        std::mem::swap(&mut self.top_prev, &mut self.top_cur);
        self.top_cur.clear();
        self.prev_tick = Some(tick);
        self.delta = None;
        self.snapshot = None;
        self.used = false;
    }
}
