//! The lobby's state streams (issue 16): the world, and one projection per distinct view.
//!
//! Each [`Stream`] is one sequence of views that members follow: the last view sent on it
//! (`prev`, of the tick `prev_tick`) and this tick's (`cur`). A tick diffs and encodes each
//! stream at most once per protocol version in use, and every member that follows it gets
//! the same `Bytes`. When the game scopes nothing every member follows the world stream,
//! which is exactly the lobby of before views: one diff and one encode per tick.
//!
//! A member follows the stream of its [`ViewKey`]; when its key changes (it joined a team,
//! something became addressed to it personally) or its stream was not sent last time, the
//! deltas of its new stream would not apply to what it holds, so it gets a snapshot of the
//! new stream instead. Streams no member needs this tick are dropped, so a lobby holds at
//! most one per connected member plus the world.

use super::layers::Layer;
use crate::game::compat::to_v1_view;
use crate::game::v2::scope::{self, Scopes, Teams, ViewKey};
use bytes::Bytes;
use std::sync::Arc;
use tickwave_protocol::v2::{self, Encoder, Layout, SharedDelta, View};
use tickwave_protocol::{Delta, WorldView, encode_delta, encode_snapshot};

/// The v1 forms of a stream's last and current views, kept only while v1 members follow it.
#[derive(Default)]
struct V1Views {
    prev: WorldView,
    cur: WorldView,
    delta: Delta,
    /// The tick `prev` is the view of; when it is not the stream's last sent tick (no v1
    /// member then), `prev` is converted again from the v2 view of that tick.
    prev_tick: Option<u64>,
    /// Whether `cur` holds this tick's view.
    cur_ready: bool,
}

/// One sequence of views that some members follow.
pub(crate) struct Stream {
    pub(crate) prev: View,
    pub(crate) cur: View,
    /// The tick of `prev` (the last state sent on this stream); `None`: nothing sent yet.
    pub(crate) prev_tick: Option<u64>,
    delta: v2::Delta,
    /// Whether `delta` holds this tick's v2 diff.
    diffed: bool,
    /// That diff encoded entry by entry, for the layers on this stream (`core/layers.rs`).
    shared: SharedDelta,
    shared_ready: bool,
    v1: V1Views,
    /// This tick's delta and snapshot per protocol (index 0: v1, 1: v2), encoded once.
    deltas: [Option<Bytes>; 2],
    snapshots: [Option<Bytes>; 2],
    /// Whether a member needs this stream this tick.
    used: bool,
    /// Whether a member follows it this tick (not only layers on it).
    direct: bool,
}

fn slot(protocol: u32) -> usize {
    usize::from(protocol != 1)
}

impl Stream {
    fn new(layout: Arc<Layout>) -> Stream {
        Stream {
            prev: View::new(layout.clone()),
            cur: View::new(layout),
            prev_tick: None,
            delta: v2::Delta::new(),
            diffed: false,
            shared: SharedDelta::new(),
            shared_ready: false,
            v1: V1Views::default(),
            deltas: [None, None],
            snapshots: [None, None],
            used: false,
            direct: false,
        }
    }

    fn v1_cur(&mut self) {
        if !self.v1.cur_ready {
            to_v1_view(&self.cur, &mut self.v1.cur);
            self.v1.cur_ready = true;
        }
    }

    /// The delta from `prev` to `cur` (caller checked `prev_tick`), encoded once a tick.
    fn delta(&mut self, tick: u64, acks: &[(u32, u64)], protocol: u32, n: &mut Counts) -> Bytes {
        if let Some(b) = &self.deltas[slot(protocol)] {
            return b.clone();
        }
        let base = self.prev_tick.unwrap_or(0);
        let b = if protocol == 1 {
            self.v1_cur();
            if self.v1.prev_tick != Some(base) {
                to_v1_view(&self.prev, &mut self.v1.prev);
            }
            let v = &mut self.v1;
            v.prev.diff_into(&v.cur, &mut v.delta);
            encode_delta(tick, base, acks, &v.delta)
        } else {
            self.v2_diff();
            n.enc.delta(tick, base, acks, &self.delta)
        };
        n.encodes += 1;
        n.last_delta_len = b.len();
        self.deltas[slot(protocol)] = Some(b.clone());
        b
    }

    fn snapshot(&mut self, tick: u64, acks: &[(u32, u64)], protocol: u32, n: &mut Counts) -> Bytes {
        if let Some(b) = &self.snapshots[slot(protocol)] {
            return b.clone();
        }
        let b = if protocol == 1 {
            self.v1_cur();
            encode_snapshot(tick, acks, &self.v1.cur)
        } else {
            n.enc.snapshot(tick, acks, &self.cur)
        };
        n.encodes += 1;
        n.last_snapshot_len = b.len();
        self.snapshots[slot(protocol)] = Some(b.clone());
        b
    }

    /// This tick's v2 diff, computed once.
    fn v2_diff(&mut self) {
        if !self.diffed {
            self.prev.diff_into(&self.cur, &mut self.delta);
            self.diffed = true;
        }
    }

    /// This tick's v2 diff encoded entry by entry, once, for the layers on this stream.
    pub(crate) fn shared(&mut self) -> &SharedDelta {
        if !self.shared_ready {
            self.v2_diff();
            self.shared.fill(&self.delta);
            self.shared_ready = true;
        }
        &self.shared
    }

    /// `cur` (of `tick`) becomes the base of the next diff.
    fn rotate(&mut self, tick: u64) {
        self.prev_tick = Some(tick);
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.cur.clear();
        let v = &mut self.v1;
        if v.cur_ready {
            std::mem::swap(&mut v.prev, &mut v.cur);
            v.prev_tick = Some(tick);
        } else {
            v.prev_tick = None;
        }
        v.cur_ready = false;
        self.deltas = [None, None];
        self.snapshots = [None, None];
        self.diffed = false;
        self.shared_ready = false;
        self.used = false;
        self.direct = false;
    }
}

/// The encoder and this tick's figures, apart from the streams so both can be borrowed.
pub(crate) struct Counts {
    pub(crate) enc: Encoder,
    /// State messages encoded this tick (deltas and snapshots, over all streams and
    /// protocols): 1 in a lobby whose members all see the same thing.
    pub(crate) encodes: u32,
    pub(crate) last_delta_len: usize,
    pub(crate) last_snapshot_len: usize,
}

/// Scratch space reused every tick, so a steady tick allocates only the encoded bytes.
pub(crate) struct Fanout {
    /// The full world; `world.cur` is what the game's `view` writes.
    pub(crate) world: Stream,
    /// One stream per distinct view members need, sorted by key (never `World`).
    classes: Vec<(ViewKey, Stream)>,
    /// The personal views of protocol-2 members, layered on their team's stream, sorted by
    /// player (`core/layers.rs`).
    layers: Vec<(u32, Layer)>,
    /// What the game's `scope` set this tick.
    pub(crate) scopes: Scopes,
    pub(crate) teams: Teams,
    /// Whether this tick's views differ between members at all.
    pub(crate) scoped: bool,
    personal: Vec<u32>,
    /// Whether the schema has `private` fields (then views differ even unscoped).
    private_fields: bool,
    pub(crate) n: Counts,
    pub(crate) acks: Vec<(u32, u64)>,
    /// The tick of the last state sent: the `base` of the next delta, which spans several
    /// ticks when the mode sends less often than it ticks.
    pub(crate) sent_tick: u64,
    layout: Arc<Layout>,
}

impl Counts {
    /// Count a message built by a layer (`new`: not a cached copy).
    fn count(&mut self, new: bool, b: &Bytes, snapshot: bool) {
        if new {
            self.encodes += 1;
            if snapshot {
                self.last_snapshot_len = b.len();
            } else {
                self.last_delta_len = b.len();
            }
        }
    }
}

impl Fanout {
    pub(crate) fn new(layout: Arc<Layout>) -> Self {
        Fanout {
            world: Stream::new(layout.clone()),
            classes: Vec::new(),
            layers: Vec::new(),
            scopes: Scopes::default(),
            teams: Teams::default(),
            scoped: false,
            personal: Vec::new(),
            private_fields: scope::has_private_fields(&layout),
            n: Counts { enc: Encoder::new(), encodes: 0, last_delta_len: 0, last_snapshot_len: 0 },
            acks: Vec::new(),
            sent_tick: 0,
            layout,
        }
    }

    /// The last world view sent.
    pub(crate) fn prev(&self) -> &View {
        &self.world.prev
    }

    /// After the game's `view` and `scope`: decide whether views differ this tick and find
    /// who has a view of its own. Then [`Fanout::key_of`] answers per member.
    pub(crate) fn prepare(&mut self, teams: impl IntoIterator<Item = (u32, u32)>) {
        self.n.encodes = 0;
        self.scopes.finish();
        self.scoped = self.private_fields || !self.scopes.is_empty();
        if self.scoped {
            self.teams.refill(teams);
            scope::personal(&self.world.cur, &self.scopes, &self.teams, &mut self.personal);
        }
    }

    /// The view `player` gets this tick.
    pub(crate) fn key_of(&self, player: u32) -> ViewKey {
        if self.scoped {
            scope::key_of(player, &self.personal, &self.teams)
        } else {
            ViewKey::World
        }
    }

    /// Mark `key`'s stream as needed this tick, projecting the world into it the first time.
    /// A protocol-2 member's personal view is a layer on its team's stream, which is needed
    /// (and projected) with it.
    pub(crate) fn need(&mut self, key: ViewKey, protocol: u32) {
        let ViewKey::Player(p) = key else {
            return self.need_stream(key, true);
        };
        if protocol == 1 {
            return self.need_stream(key, true);
        }
        let team = ViewKey::Team(self.teams.of(p));
        self.need_stream(team, false);
        let i = self.layer_index(p, team);
        let l = &mut self.layers[i].1;
        if !l.used {
            l.used = true;
            l.fill(&self.world.cur, &self.scopes, &self.teams, p);
        }
    }

    /// The stream a member follows this tick, and whether its delta applies to what the
    /// member holds (else it gets a snapshot). `key` is the member's view now, `follows`
    /// the stream it followed. A protocol-2 member moving between its team's stream and a
    /// layer on it needs no snapshot: a layer that held nothing of its own *is* the team's
    /// view, and a new layer starts empty on it. A layer that still held entities of its own
    /// stays one tick more, while its top empties.
    pub(crate) fn follow(
        &mut self,
        player: u32,
        key: ViewKey,
        follows: Option<ViewKey>,
        protocol: u32,
    ) -> (ViewKey, bool) {
        let sent = self.sent_tick;
        if protocol != 1 {
            match (follows, key) {
                (Some(me @ ViewKey::Player(p)), ViewKey::Team(_)) if p == player => {
                    let team_held = self.stream_tick(key) == Some(sent);
                    if let Some(l) = self.layer(p)
                        && l.team == key
                        && l.prev_tick == Some(sent)
                        && team_held
                    {
                        let next = if l.top_is_empty() { key } else { me };
                        self.need(next, protocol);
                        return (next, true);
                    }
                }
                (Some(team @ ViewKey::Team(_)), ViewKey::Player(p))
                    if p == player
                        && ViewKey::Team(self.teams.of(p)) == team
                        && self.stream_tick(team) == Some(sent) =>
                {
                    let i = self.layer_index(p, team);
                    self.layers[i].1.start_empty(sent);
                    self.need(key, protocol);
                    return (key, true);
                }
                _ => {}
            }
        }
        self.need(key, protocol);
        (key, follows == Some(key) && self.holds(key, protocol, sent))
    }

    /// The layer of `player` on `team`, created (empty, holding nothing) if missing or on
    /// another team.
    fn layer_index(&mut self, player: u32, team: ViewKey) -> usize {
        match self.layers.binary_search_by_key(&player, |l| l.0) {
            Ok(i) => {
                if self.layers[i].1.team != team {
                    self.layers[i].1 = Layer::new(self.layout.clone(), team);
                }
                i
            }
            Err(i) => {
                self.layers.insert(i, (player, Layer::new(self.layout.clone(), team)));
                i
            }
        }
    }

    fn need_stream(&mut self, key: ViewKey, direct: bool) {
        if key == ViewKey::World {
            return;
        }
        let i = match self.classes.binary_search_by_key(&key, |c| c.0) {
            Ok(i) => i,
            Err(i) => {
                self.classes.insert(i, (key, Stream::new(self.layout.clone())));
                i
            }
        };
        let s = &mut self.classes[i].1;
        s.direct |= direct;
        if !s.used {
            s.used = true;
            scope::project(&self.world.cur, &self.scopes, &self.teams, key, &mut s.cur);
        }
    }

    fn stream_tick(&self, key: ViewKey) -> Option<u64> {
        if key == ViewKey::World {
            return self.world.prev_tick;
        }
        let i = self.classes.binary_search_by_key(&key, |c| c.0).ok()?;
        self.classes[i].1.prev_tick
    }

    fn layer(&self, player: u32) -> Option<&Layer> {
        let i = self.layers.binary_search_by_key(&player, |l| l.0).ok()?;
        Some(&self.layers[i].1)
    }

    /// Whether the stream a member of `key` and `protocol` follows last sent the state of
    /// `tick` (so its delta applies to what the member holds). A layer needs its team's
    /// stream to hold that tick too.
    pub(crate) fn holds(&self, key: ViewKey, protocol: u32, tick: u64) -> bool {
        match key {
            ViewKey::Player(p) if protocol != 1 => self.layer(p).is_some_and(|l| {
                l.prev_tick == Some(tick) && self.stream_tick(l.team) == Some(tick)
            }),
            _ => self.stream_tick(key) == Some(tick),
        }
    }

    /// This tick's delta of `key`'s stream (needed first).
    pub(crate) fn delta(&mut self, key: ViewKey, tick: u64, protocol: u32) -> Bytes {
        if let ViewKey::Player(p) = key
            && protocol != 1
        {
            let (team, l) = team_and_layer(&mut self.world, &mut self.classes, &mut self.layers, p);
            let (b, new) = l.delta(team, &mut self.n.enc, tick, &self.acks);
            self.n.count(new, &b, false);
            return b;
        }
        stream_mut(&mut self.world, &mut self.classes, key).delta(
            tick,
            &self.acks,
            protocol,
            &mut self.n,
        )
    }

    /// This tick's snapshot of `key`'s stream (needed first).
    pub(crate) fn snapshot(&mut self, key: ViewKey, tick: u64, protocol: u32) -> Bytes {
        if let ViewKey::Player(p) = key
            && protocol != 1
        {
            let (team, l) = team_and_layer(&mut self.world, &mut self.classes, &mut self.layers, p);
            let (b, new) = l.snapshot(team, &mut self.n.enc, tick, &self.acks);
            self.n.count(new, &b, true);
            return b;
        }
        stream_mut(&mut self.world, &mut self.classes, key).snapshot(
            tick,
            &self.acks,
            protocol,
            &mut self.n,
        )
    }

    /// Start the stream a resumed member follows at `tick` (it was caught up to it with one
    /// delta): `view` is its whole view then, `world` and `scopes` that tick's kept ones.
    /// Nothing to do when the stream already holds that tick.
    pub(crate) fn seed(
        &mut self,
        key: ViewKey,
        protocol: u32,
        tick: u64,
        view: &View,
        (world, scopes): (&View, &Scopes),
    ) {
        if key == ViewKey::World || self.holds(key, protocol, tick) {
            return;
        }
        if let ViewKey::Player(p) = key
            && protocol != 1
        {
            let team = ViewKey::Team(self.teams.of(p));
            let i = self.layer_index(p, team);
            self.layers[i].1.seed(world, scopes, &self.teams, p, tick);
            return;
        }
        let i = match self.classes.binary_search_by_key(&key, |c| c.0) {
            Ok(i) => i,
            Err(i) => {
                self.classes.insert(i, (key, Stream::new(self.layout.clone())));
                i
            }
        };
        let s = &mut self.classes[i].1;
        s.prev.copy_from(view);
        s.prev_tick = Some(tick);
    }

    /// This tick's views become the bases of the next diffs; streams nobody needed are
    /// dropped (a seeded one is needed by its member at the next tick, before this runs).
    pub(crate) fn rotate(&mut self, tick: u64) {
        self.sent_tick = tick;
        self.world.rotate(tick);
        self.classes.retain_mut(|(_, s)| {
            if s.used {
                s.rotate(tick);
                true
            } else {
                false
            }
        });
        self.layers.retain_mut(|(_, l)| {
            if l.used {
                l.rotate(tick);
                true
            } else {
                false
            }
        });
    }

    /// A resumed player's key now, and its views of two kept ticks (world and scopes), for
    /// its catch-up delta. Teams are today's: a team change while the seat was held makes
    /// the delta describe the new team's view from the old base, which the game's teams
    /// never do mid-match in the built-in games.
    pub(crate) fn views_of(
        &self,
        player: u32,
        base: (&View, &Scopes),
        cur: (&View, &Scopes),
    ) -> (ViewKey, View, View) {
        if !scope::scoped(&self.layout, base.1) && !scope::scoped(&self.layout, cur.1) {
            return (ViewKey::World, base.0.clone(), cur.0.clone());
        }
        let mut personal = Vec::new();
        scope::personal(cur.0, cur.1, &self.teams, &mut personal);
        let key = scope::key_of(player, &personal, &self.teams);
        // A team key's view is what its members see, so projecting as the player itself
        // gives the same view for either key.
        let me = ViewKey::Player(player);
        let (mut from, mut to) = (View::new(self.layout.clone()), View::new(self.layout.clone()));
        scope::project(base.0, base.1, &self.teams, me, &mut from);
        scope::project(cur.0, cur.1, &self.teams, me, &mut to);
        (key, from, to)
    }

    /// What `player` was sent at the last state tick: the last world projected for it
    /// with that tick's scopes (the world itself when nothing was scoped).
    pub(crate) fn view_of(&self, player: u32) -> View {
        let mut out = View::new(self.layout.clone());
        let key = if self.scoped { ViewKey::Player(player) } else { ViewKey::World };
        scope::project(&self.world.prev, &self.scopes, &self.teams, key, &mut out);
        out
    }

    /// Distinct views (streams) members followed this tick.
    pub(crate) fn views(&self) -> usize {
        if !self.scoped {
            return 1;
        }
        // A team stream that only carries layers is not a view anyone is sent.
        self.layers.iter().filter(|l| l.1.used).count()
            + self.classes.iter().filter(|c| c.1.direct).count()
    }
}

/// The stream of `key` (it was needed this tick).
fn stream_mut<'a>(
    world: &'a mut Stream,
    classes: &'a mut [(ViewKey, Stream)],
    key: ViewKey,
) -> &'a mut Stream {
    if key == ViewKey::World {
        return world;
    }
    match classes.binary_search_by_key(&key, |c| c.0) {
        Ok(i) => &mut classes[i].1,
        Err(_) => unreachable!("stream {key:?} was not needed this tick"),
    }
}

/// `player`'s layer and the team stream under it (both needed this tick).
fn team_and_layer<'a>(
    world: &'a mut Stream,
    classes: &'a mut [(ViewKey, Stream)],
    layers: &'a mut [(u32, Layer)],
    player: u32,
) -> (&'a mut Stream, &'a mut Layer) {
    let i = layers.binary_search_by_key(&player, |l| l.0).expect("layer needed this tick");
    let l = &mut layers[i].1;
    (stream_mut(world, classes, l.team), l)
}
