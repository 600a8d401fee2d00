//! Who sees what (issue 16): a game's per-entity audiences and per-player interest sets, and
//! the pure projection from the full world to what one player sees.
//!
//! Why a side table rather than a field of the view: a game writes its state once with
//! [`super::Game::view`], exactly as before, and says separately who may see each entity
//! ([`super::Game::scope`]). A game that scopes nothing costs nothing: every member shares the
//! world's bytes. A game that does is projected once per *distinct* view: members whose view
//! depends only on their team share their team's projection and bytes; only players that
//! something is addressed to personally (an entity for them alone, a field private to them,
//! an interest set) get a projection of their own.
//!
//! The rules, which PROTOCOL.md §6.7 states for clients:
//! - an entity's [`Audience`] decides who sees it; a viewer also sees every entity in its
//!   interest set ([`Scopes::show`]) and every entity it owns;
//! - of a visible entity, fields `private: "owner"` are `nil` for everyone but the owner, and
//!   fields `private: "team"` are `nil` for everyone but the owner and players on the owner's
//!   team; an entity without an owner shows its private fields to nobody (only to the
//!   operator's world view);
//! - an entity the game does not scope is seen by everyone, and is owned by the player whose
//!   id it has (ids below [`super::FIRST_GAME_ENTITY_ID`]), or by nobody.

use super::ctx::FIRST_GAME_ENTITY_ID;
use tickwave_protocol::v2::{EntityRef, KindId, Layout, Privacy, View, Visibility};

/// Who may see an entity (besides its owner and the players whose interest set holds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every player.
    All,
    /// The players the game put on this team ([`super::MatchCtx::set_team`]).
    Team(u32),
    /// One player.
    Player(u32),
    /// Nobody but the owner and the players that have it in their interest set: the
    /// audience of an entity that a game shows by distance or line of sight.
    Nobody,
}

/// One entity's audience and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// Who sees it.
    pub audience: Audience,
    /// The player whose `private` fields these are; `None`: nobody's (hidden from all).
    pub owner: Option<u32>,
}

impl Scope {
    /// The scope of an entity the game did not scope: everyone's, owned by the player whose
    /// id it has.
    pub fn default_for(id: u32) -> Scope {
        Scope { audience: Audience::All, owner: (id < FIRST_GAME_ENTITY_ID).then_some(id) }
    }
}

/// The scopes a game sets for one tick: filled by [`super::Game::scope`] after the view, in
/// any order. Cleared (keeping its allocations) before each call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scopes {
    /// (entity id, scope), sorted by id after [`Scopes::finish`].
    entities: Vec<(u32, Scope)>,
    /// (viewer, entity id), sorted after [`Scopes::finish`].
    interest: Vec<(u32, u32)>,
}

impl Scopes {
    /// Set entity `id`'s audience and owner. Setting the same id twice keeps the last.
    pub fn set(&mut self, id: u32, audience: Audience, owner: Option<u32>) {
        self.entities.push((id, Scope { audience, owner }));
    }

    /// Entity `id` is also visible to `viewer` this tick (an interest set, such as the
    /// nearby entities [`super::interest::Grid`] finds).
    pub fn show(&mut self, viewer: u32, id: u32) {
        self.interest.push((viewer, id));
    }

    /// [`Scopes::show`] for several entities.
    pub fn show_all(&mut self, viewer: u32, ids: impl IntoIterator<Item = u32>) {
        self.interest.extend(ids.into_iter().map(|id| (viewer, id)));
    }

    /// Nothing scoped: every entity is everyone's.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty() && self.interest.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.entities.clear();
        self.interest.clear();
    }

    /// Sort for lookups; of repeated `set`s of one id the last wins.
    pub(crate) fn finish(&mut self) {
        if !self.entities.is_sorted_by(|a, b| a.0 < b.0) {
            // Reversed then stably sorted: the last `set` of an id comes first, and stays.
            self.entities.reverse();
            self.entities.sort_by_key(|e| e.0);
            self.entities.dedup_by_key(|e| e.0);
        }
        if !self.interest.is_sorted() {
            self.interest.sort_unstable();
            self.interest.dedup();
        }
    }

    /// Make this a copy of `other`, reusing the buffers (the lobby's history ring).
    pub(crate) fn copy_from(&mut self, other: &Scopes) {
        self.entities.clone_from(&other.entities);
        self.interest.clone_from(&other.interest);
    }

    /// The scope of entity `id` (the lobby sorts the scopes before any lookup).
    pub fn scope(&self, id: u32) -> Scope {
        match self.entities.binary_search_by_key(&id, |e| e.0) {
            Ok(i) => self.entities[i].1,
            Err(_) => Scope::default_for(id),
        }
    }

    /// The interest set of `viewer`, sorted (the lobby sorts the scopes before any lookup).
    pub fn interest(&self, viewer: u32) -> impl Iterator<Item = u32> + '_ {
        let from = self.interest.partition_point(|&(v, _)| v < viewer);
        self.interest[from..].iter().take_while(move |&&(v, _)| v == viewer).map(|&(_, id)| id)
    }
}

/// The teams of the lobby's players, sorted by player, for lookups while projecting.
#[derive(Debug, Clone, Default)]
pub struct Teams(Vec<(u32, u32)>);

impl Teams {
    /// From (player, team) pairs in any order.
    pub fn new(pairs: impl IntoIterator<Item = (u32, u32)>) -> Teams {
        let mut t = Teams(Vec::new());
        t.refill(pairs);
        t
    }

    /// Replace the pairs, keeping the allocation.
    pub fn refill(&mut self, pairs: impl IntoIterator<Item = (u32, u32)>) {
        self.0.clear();
        self.0.extend(pairs);
        self.0.sort_unstable();
    }

    /// The team of `player`, if it has one.
    pub fn of(&self, player: u32) -> Option<u32> {
        let i = self.0.binary_search_by_key(&player, |p| p.0).ok()?;
        Some(self.0[i].1)
    }
}

/// Who a view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKey {
    /// Everything, nothing hidden: the operator's spectator view, and every member's when
    /// the game scopes nothing and has no private fields.
    World,
    /// A member whose view depends only on its team (`None`: on no team).
    Team(Option<u32>),
    /// A member that something is addressed to personally.
    Player(u32),
}

impl ViewKey {
    /// The viewer to project for: a team key is projected as a player of that team that owns
    /// nothing and has no interest set, which is exactly what each of its members sees.
    fn viewer(self, teams: &Teams) -> Option<(Option<u32>, Option<u32>)> {
        match self {
            ViewKey::World => None,
            ViewKey::Team(t) => Some((None, t)),
            ViewKey::Player(p) => Some((Some(p), teams.of(p))),
        }
    }

    /// A label for operators: `world`, `team:N`, `no_team` or `player:N`.
    pub fn label(self) -> String {
        match self {
            ViewKey::World => "world".into(),
            ViewKey::Team(Some(t)) => format!("team:{t}"),
            ViewKey::Team(None) => "no_team".into(),
            ViewKey::Player(p) => format!("player:{p}"),
        }
    }
}

/// Whether a game's views can differ between players at all: it scoped something this tick,
/// or its schema has private fields. When not, every member gets the world.
pub fn scoped(layout: &Layout, scopes: &Scopes) -> bool {
    !scopes.is_empty() || has_private_fields(layout)
}

/// Whether any kind of the schema has a `private` field.
pub fn has_private_fields(layout: &Layout) -> bool {
    (0..layout.kind_count())
        .filter_map(|k| layout.kind_at(k))
        .any(|k| layout.kind(k).hideable_mask() != 0)
}

/// The players whose view is their own this tick (see the module doc), sorted: an interest
/// set, an entity addressed to them alone, or an owned entity that they see differently from
/// their team. Everyone else shares the view of their team.
pub fn personal(world: &View, scopes: &Scopes, teams: &Teams, out: &mut Vec<u32>) {
    out.clear();
    out.extend(scopes.interest.iter().map(|&(v, _)| v));
    let layout = world.layout();
    for (id, s) in &scopes.entities {
        if let Audience::Player(p) = s.audience {
            out.push(p);
        }
        if let Some(o) = s.owner
            && let Some(e) = world.get(*id)
            && owner_differs(layout, e.kind(), s, teams.of(o))
        {
            out.push(o);
        }
    }
    // Player entities the game left unscoped: owned by their id, public.
    let all = Scope { audience: Audience::All, owner: None };
    for e in world.entities().take_while(|e| e.id() < FIRST_GAME_ENTITY_ID) {
        if scopes.entities.binary_search_by_key(&e.id(), |x| x.0).is_err()
            && owner_differs(layout, e.kind(), &all, teams.of(e.id()))
        {
            out.push(e.id());
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Whether an entity's owner sees it differently from a teammate that owns nothing.
fn owner_differs(layout: &Layout, kind: KindId, s: &Scope, team: Option<u32>) -> bool {
    let f = layout.kind(kind);
    let seen_by_team = match s.audience {
        Audience::All => true,
        Audience::Team(t) => team == Some(t),
        Audience::Player(_) | Audience::Nobody => false,
    };
    !seen_by_team || f.private_mask(Privacy::Owner) != 0 || {
        team.is_none() && f.private_mask(Privacy::Team) != 0
    }
}

/// The key of `player`'s view, given this tick's sorted personal set.
pub fn key_of(player: u32, personal: &[u32], teams: &Teams) -> ViewKey {
    if personal.binary_search(&player).is_ok() {
        ViewKey::Player(player)
    } else {
        ViewKey::Team(teams.of(player))
    }
}

/// What `player` sees differently from its team's view (the entities its team's view lacks
/// and its own entities whose private fields the team does not see), into `out` in id
/// order: the top of its layered view (`tickwave_protocol::v2::LayerDiff`), which is
/// usually a few entities (the opponents near it) where its whole view is its team's and
/// those. `ids` is scratch. Costs one pass over the scoped entities plus the candidates.
pub fn extras(
    world: &View,
    scopes: &Scopes,
    teams: &Teams,
    player: u32,
    ids: &mut Vec<u32>,
    out: &mut View,
) {
    let team = teams.of(player);
    ids.clear();
    ids.extend(scopes.interest(player));
    for (id, s) in &scopes.entities {
        if s.owner == Some(player) || s.audience == Audience::Player(player) {
            ids.push(*id);
        }
    }
    if player < FIRST_GAME_ENTITY_ID
        && scopes.entities.binary_search_by_key(&player, |e| e.0).is_err()
    {
        ids.push(player);
    }
    ids.sort_unstable();
    ids.dedup();
    out.clear();
    for &id in ids.iter() {
        let Some(e) = world.get(id) else { continue };
        let s = scopes.scope(id);
        let f = e.fields();
        let in_team = match s.audience {
            Audience::All => true,
            Audience::Team(t) => team == Some(t),
            Audience::Player(_) | Audience::Nobody => false,
        };
        let base_hide = {
            let mut hide = f.private_mask(Privacy::Owner);
            let team_mask = f.private_mask(Privacy::Team);
            if team_mask != 0 && !(team.is_some() && s.owner.is_some_and(|o| teams.of(o) == team)) {
                hide |= team_mask;
            }
            hide
        };
        let owner = s.owner == Some(player);
        if in_team && !(owner && base_hide & f.hideable_mask() != 0) {
            continue; // exactly as in its team's view
        }
        out.push_from(world, id, if owner { 0 } else { base_hide });
    }
    // Pushed in id order: nothing to sort, no id twice.
    let _ = out.finish();
}

/// Project the world into what `key` sees, reusing `out`'s buffers. Hidden values are never
/// copied (see [`View::project_into`]).
pub fn project(world: &View, scopes: &Scopes, teams: &Teams, key: ViewKey, out: &mut View) {
    let Some((player, team)) = key.viewer(teams) else {
        out.copy_from(world);
        return;
    };
    let mut interest = player.map(|p| scopes.interest(p).peekable());
    let mut entities = scopes.entities.iter().peekable();
    world.project_into(out, |e: EntityRef<'_>| {
        let id = e.id();
        while entities.next_if(|x| x.0 < id).is_some() {}
        let s = match entities.peek() {
            Some(x) if x.0 == id => x.1,
            _ => Scope::default_for(id),
        };
        let listed = interest.as_mut().is_some_and(|it| {
            while it.next_if(|&x| x < id).is_some() {}
            it.peek() == Some(&id)
        });
        let owner = player.is_some() && s.owner == player;
        let seen = owner
            || listed
            || match s.audience {
                Audience::All => true,
                Audience::Team(t) => team == Some(t),
                Audience::Player(p) => player == Some(p),
                Audience::Nobody => false,
            };
        if !seen {
            return Visibility::Hidden;
        }
        if owner {
            return Visibility::SHOWN;
        }
        let f = e.fields();
        let mut hide = f.private_mask(Privacy::Owner);
        let team_mask = f.private_mask(Privacy::Team);
        // The owner's team is looked up only for kinds that have team fields.
        if team_mask != 0 && !(team.is_some() && s.owner.is_some_and(|o| teams.of(o) == team)) {
            hide |= team_mask;
        }
        Visibility::Shown { hide }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::sync::Arc;
    use tickwave_protocol::v2::Schema;

    #[derive(Serialize, Default)]
    struct Thing {
        x: i32,
        mine: i32,
        ours: i32,
    }

    const G: u32 = FIRST_GAME_ENTITY_ID;

    fn world() -> View {
        let schema = Schema::builder()
            .kind::<Thing>("thing", |k| k.private_owner("mine").private_team("ours"))
            .build()
            .unwrap();
        let layout = Arc::new(Layout::new(schema).unwrap());
        let k = layout.kind_id("thing").unwrap();
        let mut v = View::new(layout);
        for id in [1, 2, 3, G, G + 1, G + 2] {
            v.push(id, k, &Thing { x: id as i32, mine: 10, ours: 20 }).unwrap();
        }
        v.finish().unwrap();
        v
    }

    fn ids(v: &View) -> Vec<u32> {
        v.entities().map(|e| e.id()).collect()
    }

    #[test]
    fn the_last_set_wins_and_interest_sets_are_per_viewer() {
        let mut s = Scopes::default();
        s.set(G, Audience::Nobody, None);
        s.set(5, Audience::All, None);
        s.set(G, Audience::Team(1), Some(2));
        s.show_all(3, [G + 2, G + 1, G + 1]);
        s.show(1, G);
        s.finish();
        assert_eq!(s.scope(G), Scope { audience: Audience::Team(1), owner: Some(2) });
        assert_eq!(s.scope(7), Scope::default_for(7), "unscoped: public, owned by its id");
        assert_eq!(s.scope(G + 9).owner, None);
        assert_eq!(s.interest(3).collect::<Vec<_>>(), [G + 1, G + 2]);
        assert_eq!(s.interest(2).count(), 0);
    }

    #[test]
    fn projection_follows_audience_interest_ownership_and_privacy() {
        let w = world();
        let teams = Teams::new([(1, 0), (2, 0), (3, 1)]);
        let mut s = Scopes::default();
        s.set(G, Audience::Team(0), None);
        s.set(G + 1, Audience::Player(3), Some(3));
        s.set(G + 2, Audience::Nobody, Some(1));
        s.show(2, G + 2);
        s.finish();
        let mut out = View::new(w.layout().clone());
        let see = |key, out: &mut View| {
            project(&w, &s, &teams, key, out);
            ids(out)
        };
        assert_eq!(see(ViewKey::Player(1), &mut out), [1, 2, 3, G, G + 2], "owner sees G+2");
        assert_eq!(see(ViewKey::Player(2), &mut out), [1, 2, 3, G, G + 2], "interest");
        assert_eq!(see(ViewKey::Player(3), &mut out), [1, 2, 3, G + 1]);
        assert_eq!(see(ViewKey::Team(Some(0)), &mut out), [1, 2, 3, G]);
        assert_eq!(see(ViewKey::World, &mut out), [1, 2, 3, G, G + 1, G + 2]);
        project(&w, &s, &teams, ViewKey::Player(2), &mut out);
        let f = |id: u32, name: &str| out.get(id).unwrap().field(name).unwrap().as_i64();
        assert_eq!((f(2, "mine"), f(2, "ours")), (Some(10), Some(20)), "its own entity");
        assert_eq!((f(1, "mine"), f(1, "ours")), (None, Some(20)), "a teammate's");
        assert_eq!((f(3, "mine"), f(3, "ours")), (None, None), "an opponent's");
        assert_eq!((f(G, "mine"), f(G, "ours")), (None, None), "nobody's: hidden from all");
    }

    #[test]
    fn personal_views_are_only_where_a_player_sees_differently_from_its_team() {
        let w = world();
        let mut out = Vec::new();
        // Every player owns its entity, whose `mine` field is owner-private: all personal.
        let teams = Teams::new([(1, 0), (2, 0), (3, 1)]);
        personal(&w, &Scopes::default(), &teams, &mut out);
        assert_eq!(out, [1, 2, 3]);
        // Player entities given to nobody in particular: no one is personal but player 3,
        // which the game addresses an entity to.
        let mut s = Scopes::default();
        for id in [1, 2, 3] {
            s.set(id, Audience::All, None);
        }
        s.set(G, Audience::Player(3), None);
        s.finish();
        personal(&w, &s, &teams, &mut out);
        assert_eq!(out, [3]);
        assert_eq!(key_of(1, &out, &teams), ViewKey::Team(Some(0)));
        assert_eq!(key_of(3, &out, &teams), ViewKey::Player(3));
        assert_eq!(key_of(9, &out, &teams), ViewKey::Team(None));
    }
}
