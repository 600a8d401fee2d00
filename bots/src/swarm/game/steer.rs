//! Moving bots on protocol 2: the behaviours' movement (random walk, chase, circle) as the
//! input's `dx`/`dy` (and `action` for a v1 game's compat schema), and for the arena on game
//! API v2 also `aim` (at the nearest other living player if one is seen, else along the
//! heading), `fire` (held while an enemy is in range, now and then otherwise) and a rare
//! `dash`. Positions come from the typed view by the schema's field names, found once per
//! match; reading them costs no allocation.

use super::input::{Plan, Role, Val};
use crate::swarm::behaviour::Policy;
use crate::swarm::rng::Rng;
use tickwave_protocol::v2::{KindId, Layout, Number, ValueRef, View};

/// Share of the map's width within which a bot holds `fire` at an enemy (the arena's shots
/// fly 60 units of its 100 in their second).
const FIRE_RANGE: f64 = 0.45;
/// Map width when the schema declares no range for `x`.
const DEFAULT_MAP: f64 = 100.0;
/// One input in this many holds `fire` when no enemy is in range.
const WILD_FIRE: u64 = 40;
/// One input in this many holds `dash` (the arena's dash is ready every 2 s).
const DASH_EVERY: u64 = 100;

/// Where a kind keeps its position.
#[derive(Debug, Clone, Copy)]
struct Pos {
    kind: KindId,
    x: usize,
    y: usize,
}

impl Pos {
    fn of(layout: &Layout, kind: &str) -> Option<Pos> {
        let k = layout.kind_id(kind)?;
        let f = layout.kind(k);
        Some(Pos { kind: k, x: f.index_of("x")?, y: f.index_of("y")? })
    }
}

/// A point of the map.
type Point = (f64, f64);

/// The nearest enemy: where it is, its squared distance, and where the bot is.
struct Enemy {
    at: Point,
    d2: f64,
    from: Point,
}

fn num(v: Option<ValueRef<'_>>) -> Option<f64> {
    v?.as_f64()
}

/// A moving bot's view of the schema, and its aim between inputs.
#[derive(Debug, Clone)]
pub(crate) struct Steer {
    dx: Option<usize>,
    dy: Option<usize>,
    action: Option<usize>,
    aim: Option<usize>,
    fire: Option<usize>,
    dash: Option<usize>,
    player: Option<Pos>,
    pickup: Option<Pos>,
    /// The `alive` field of players, if the game has one (dead players are not targets).
    alive: Option<usize>,
    /// Fire range in the map's units.
    range: f64,
    last_aim: f64,
}

impl Steer {
    pub(crate) fn new(layout: &Layout, plan: &Plan) -> Steer {
        let player = Pos::of(layout, "player");
        let map = player
            .and_then(|p| layout.schema().kinds.get(p.kind.index())?.fields.get(p.x)?.max)
            .map_or(DEFAULT_MAP, Number::as_f64);
        Steer {
            dx: plan.find(Role::Dx),
            dy: plan.find(Role::Dy),
            action: plan.find(Role::Action),
            aim: plan.find(Role::Aim),
            fire: plan.find(Role::Fire),
            dash: plan.find(Role::Dash),
            player,
            pickup: Pos::of(layout, "pickup"),
            alive: player.and_then(|p| layout.kind(p.kind).index_of("alive")),
            range: FIRE_RANGE * map,
            last_aim: 0.0,
        }
    }

    fn position(&self, view: &View, id: u32) -> Option<Point> {
        let p = self.player?;
        let e = view.get(id).filter(|e| e.kind() == p.kind)?;
        Some((num(e.get(p.x))?, num(e.get(p.y))?))
    }

    /// The nearest entity of `pos`'s kind other than `me` accepted by `keep`: its position
    /// and squared distance.
    fn nearest(
        view: &View,
        pos: Pos,
        me: u32,
        from: Point,
        keep: impl Fn(&tickwave_protocol::v2::EntityRef<'_>) -> bool,
    ) -> Option<(Point, f64)> {
        view.entities()
            .filter(|e| e.kind() == pos.kind && e.id() != me && keep(e))
            .filter_map(|e| Some((num(e.get(pos.x))?, num(e.get(pos.y))?)))
            .map(|(x, y)| ((x, y), (x - from.0).powi(2) + (y - from.1).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn toward_pickup(&self, view: &View, me: u32) -> Option<(f32, f32)> {
        let from = self.position(view, me)?;
        let ((x, y), d2) = Self::nearest(view, self.pickup?, me, from, |_| true)?;
        let len = d2.sqrt();
        if len < 1e-6 {
            return Some((0.0, 0.0));
        }
        Some((((x - from.0) / len) as f32, ((y - from.1) / len) as f32))
    }

    fn enemy(&self, view: &View, me: u32) -> Option<Enemy> {
        let from = self.position(view, me)?;
        let alive = self.alive;
        let living = |e: &tickwave_protocol::v2::EntityRef<'_>| {
            alive.is_none_or(|i| e.get(i).and_then(|v| v.as_bool()) != Some(false))
        };
        let (at, d2) = Self::nearest(view, self.player?, me, from, living)?;
        Some(Enemy { at, d2, from })
    }

    /// Fill the input's values for the next input of `policy`.
    pub(crate) fn next(
        &mut self,
        policy: &mut Policy,
        rng: &mut Rng,
        input_hz: u32,
        me: u32,
        view: &View,
        vals: &mut [Val],
    ) {
        let (dx, dy, boost) = policy.next_move(input_hz, || self.toward_pickup(view, me));
        let mut set = |i: Option<usize>, v: Val| {
            if let Some(slot) = i.and_then(|i| vals.get_mut(i)) {
                *slot = v;
            }
        };
        set(self.dx, Val::Float(f64::from(dx)));
        set(self.dy, Val::Float(f64::from(dy)));
        set(self.action, Val::Bool(boost));
        if self.aim.is_none() && self.fire.is_none() && self.dash.is_none() {
            return;
        }
        let moving = dx != 0.0 || dy != 0.0;
        let enemy = self.enemy(view, me);
        if let Some(Enemy { at: (x, y), from, .. }) = enemy {
            self.last_aim = (y - from.1).atan2(x - from.0);
        } else if moving {
            self.last_aim = f64::from(dy).atan2(f64::from(dx));
        }
        let in_range = enemy.is_some_and(|e| e.d2 <= self.range * self.range);
        let fire = if in_range { rng.below(4) != 0 } else { rng.below(WILD_FIRE) == 0 };
        set(self.aim, Val::Float(self.last_aim));
        set(self.fire, Val::Bool(fire));
        set(self.dash, Val::Bool(moving && rng.below(DASH_EVERY) == 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::behaviour::Behaviour;
    use serde::Serialize;
    use std::sync::Arc;
    use tickwave_protocol::v2::{Schema, decode_input};

    #[derive(Serialize, Default)]
    struct Player {
        x: f32,
        y: f32,
        alive: bool,
    }
    #[derive(Serialize, Default)]
    struct Pickup {
        x: f32,
        y: f32,
    }
    #[derive(Serialize, Default)]
    struct ArenaInput {
        dx: f32,
        dy: f32,
        aim: f32,
        fire: bool,
        dash: bool,
    }

    fn arena() -> Arc<Layout> {
        let pi = std::f64::consts::PI;
        let s = Schema::builder()
            .kind::<Player>("player", |k| k.range("x", 0, 100).range("y", 0, 100))
            .kind::<Pickup>("pickup", |k| k)
            .input::<ArenaInput>(|i| {
                i.clamp("dx", -1.0, 1.0).clamp("dy", -1.0, 1.0).clamp("aim", -pi, pi)
            })
            .build()
            .unwrap();
        Arc::new(Layout::new(s).unwrap())
    }

    fn view(l: &Arc<Layout>, players: &[(u32, f32, f32, bool)], pickups: &[(f32, f32)]) -> View {
        let mut v = View::new(l.clone());
        for &(id, x, y, alive) in players {
            v.push_named(id, "player", &Player { x, y, alive }).unwrap();
        }
        for (i, &(x, y)) in pickups.iter().enumerate() {
            v.push_named((1 << 31) + i as u32, "pickup", &Pickup { x, y }).unwrap();
        }
        v.finish().unwrap();
        v
    }

    fn field(vals: &[Val], plan: &Plan, role: Role) -> Val {
        vals[plan.find(role).unwrap()]
    }

    #[test]
    fn it_aims_at_the_nearest_living_enemy_and_fires_in_range() {
        let l = arena();
        let plan = Plan::new(&l.schema().input);
        let mut s = Steer::new(&l, &plan);
        assert_eq!(s.range, 45.0, "from the schema's x range");
        // Me at (50, 50); a dead player right next to me, a living one straight below
        // (y grows downward: aim pi/2), another far away.
        let v =
            view(&l, &[(1, 50.0, 50.0, true), (2, 51.0, 50.0, false), (3, 50.0, 70.0, true)], &[]);
        let (mut pol, mut rng) = (Policy::new(Behaviour::RandomWalk, Rng::new(1)), Rng::new(2));
        let mut vals = Vec::new();
        let mut fired = 0;
        for _ in 0..200 {
            plan.defaults(&mut vals);
            s.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
            let Val::Float(aim) = field(&vals, &plan, Role::Aim) else { panic!() };
            assert!((aim - std::f64::consts::FRAC_PI_2).abs() < 1e-9, "{aim}");
            fired += usize::from(field(&vals, &plan, Role::Fire) == Val::Bool(true));
            let mut out = Vec::new();
            plan.input(1, Some(3), &vals, &mut out);
            decode_input(l.input(), &out).expect("a valid arena input");
        }
        assert!(fired > 100, "held most of the time in range: {fired}");
        // Out of range (the only other living player is 60 away): rare shots, aim along
        // the heading.
        let v = view(&l, &[(1, 10.0, 10.0, true), (3, 70.0, 10.0, true)], &[]);
        let mut fired = 0;
        for _ in 0..400 {
            plan.defaults(&mut vals);
            s.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
            fired += usize::from(field(&vals, &plan, Role::Fire) == Val::Bool(true));
        }
        assert!(fired < 40, "{fired}");
        let v = view(&l, &[(1, 10.0, 10.0, true)], &[]);
        plan.defaults(&mut vals);
        s.next(&mut pol, &mut rng, 20, 1, &v, &mut vals);
        let (Val::Float(dx), Val::Float(dy), Val::Float(aim)) = (
            field(&vals, &plan, Role::Dx),
            field(&vals, &plan, Role::Dy),
            field(&vals, &plan, Role::Aim),
        ) else {
            panic!()
        };
        assert!((aim - dy.atan2(dx)).abs() < 1e-6, "alone: aim along the heading");
    }

    #[test]
    fn chasers_head_for_the_nearest_pickup_in_the_typed_view() {
        let l = arena();
        let plan = Plan::new(&l.schema().input);
        let mut s = Steer::new(&l, &plan);
        let v = view(&l, &[(4, 10.0, 10.0, true)], &[(10.0, 90.0), (40.0, 10.0)]);
        let (mut pol, mut rng) = (Policy::new(Behaviour::Chase, Rng::new(1)), Rng::new(2));
        let mut vals = Vec::new();
        plan.defaults(&mut vals);
        s.next(&mut pol, &mut rng, 20, 4, &v, &mut vals);
        assert_eq!(field(&vals, &plan, Role::Dx), Val::Float(1.0));
        assert_eq!(field(&vals, &plan, Role::Dy), Val::Float(0.0));
    }
}
