//! A fog bot (the two-team game of issue 16, `games/fog`): it moves as its behaviour says,
//! drifting toward the middle of the map so the teams meet; it aims at the nearest living
//! opponent it sees (fog shows opponents only within a radius, so whatever it sees is
//! near), holds `fire` most of the time while one is in range and now and then otherwise.
//!
//! Chosen by the schema's shape ([`crate::state_v2::GameShape::Fog`]: `player` entities
//! with a `team` field, input `mx`, `my`, `aim`, `fire`), never by the mode's name. Reading
//! the view costs no allocation.

use super::input::Val;
use crate::swarm::behaviour::Policy;
use crate::swarm::rng::Rng;
use tickwave_protocol::v2::{EntityRef, KindId, Layout, Number, View};

/// Within this share of the map a bot holds fire at an opponent (fog's shots fly 45 units
/// of the 120 in their second, and the interest radius is 25).
const FIRE_RANGE: f64 = 0.3;
/// Map side when the schema declares no range for `x`.
const DEFAULT_MAP: f64 = 120.0;
/// One input in this many holds `fire` with no opponent in range.
const WILD_FIRE: u64 = 40;
/// Weight of the pull toward the middle against the behaviour's own direction.
const PULL: f32 = 0.6;

/// Field indices of the fog schema a bot reads and writes.
#[derive(Debug, Clone)]
pub(crate) struct FogBot {
    player: KindId,
    x: usize,
    y: usize,
    team: usize,
    hp: Option<usize>,
    mx: usize,
    my: usize,
    aim: usize,
    fire: usize,
    map: f64,
    last_aim: f64,
}

fn int(e: &EntityRef<'_>, i: usize) -> Option<i64> {
    e.get(i)?.as_i64()
}

fn num(e: &EntityRef<'_>, i: usize) -> Option<f64> {
    e.get(i)?.as_f64()
}

impl FogBot {
    /// The bot for a fog-shaped `layout`, or `None` when it is not one.
    pub(crate) fn new(layout: &Layout) -> Option<FogBot> {
        let player = layout.kind_id("player")?;
        let k = layout.kind(player);
        let input = layout.input();
        let (x, team) = (k.index_of("x")?, k.index_of("team")?);
        let map = layout
            .schema()
            .kinds
            .get(player.index())
            .and_then(|kind| kind.fields.get(x)?.max)
            .map_or(DEFAULT_MAP, Number::as_f64);
        Some(FogBot {
            player,
            x,
            y: k.index_of("y")?,
            team,
            hp: k.index_of("hp"),
            mx: input.index_of("mx")?,
            my: input.index_of("my")?,
            aim: input.index_of("aim")?,
            fire: input.index_of("fire")?,
            map,
            last_aim: 0.0,
        })
    }

    /// `me`'s position and team, if its entity is in the view.
    fn me(&self, view: &View, me: u32) -> Option<((f64, f64), i64)> {
        let e = view.get(me).filter(|e| e.kind() == self.player)?;
        Some(((num(&e, self.x)?, num(&e, self.y)?), int(&e, self.team)?))
    }

    /// The nearest living player of another team than `team`: its position and squared
    /// distance from `from`.
    fn nearest_opponent(
        &self,
        view: &View,
        from: (f64, f64),
        team: i64,
    ) -> Option<((f64, f64), f64)> {
        view.entities()
            .filter(|e| e.kind() == self.player && int(e, self.team).is_some_and(|t| t != team))
            .filter(|e| self.hp.is_none_or(|i| int(e, i) != Some(0)))
            .filter_map(|e| Some((num(&e, self.x)?, num(&e, self.y)?)))
            .map(|(x, y)| ((x, y), (x - from.0).powi(2) + (y - from.1).powi(2)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
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
        let mine = self.me(view, me);
        let target =
            mine.and_then(|(from, team)| Some((from, self.nearest_opponent(view, from, team)?)));
        // Chasers head for the opponent they see; every moving bot drifts to the middle.
        let toward = |(fx, fy): (f64, f64), (tx, ty): (f64, f64)| {
            let (dx, dy) = (tx - fx, ty - fy);
            let len = (dx * dx + dy * dy).sqrt();
            (len > 1e-6).then(|| ((dx / len) as f32, (dy / len) as f32))
        };
        let (mut dx, mut dy, _) =
            policy.next_move(input_hz, || target.and_then(|(from, (at, _))| toward(from, at)));
        let middle = (self.map / 2.0, self.map / 2.0);
        if (dx != 0.0 || dy != 0.0)
            && let Some((px, py)) = mine.and_then(|(from, _)| toward(from, middle))
        {
            let (bx, by) = (dx + PULL * px, dy + PULL * py);
            let len = (bx * bx + by * by).sqrt();
            if len > 1e-6 {
                (dx, dy) = (bx / len, by / len);
            }
        }
        let in_range = if let Some((from, ((x, y), d2))) = target {
            self.last_aim = (y - from.1).atan2(x - from.0);
            d2 <= (FIRE_RANGE * self.map).powi(2)
        } else {
            if dx != 0.0 || dy != 0.0 {
                self.last_aim = f64::from(dy).atan2(f64::from(dx));
            }
            false
        };
        let fire = if in_range { rng.below(4) != 0 } else { rng.below(WILD_FIRE) == 0 };
        for (i, v) in [
            (self.mx, Val::Float(f64::from(dx))),
            (self.my, Val::Float(f64::from(dy))),
            (self.aim, Val::Float(self.last_aim)),
            (self.fire, Val::Bool(fire)),
        ] {
            if let Some(slot) = vals.get_mut(i) {
                *slot = v;
            }
        }
    }
}

#[cfg(test)]
mod tests;
