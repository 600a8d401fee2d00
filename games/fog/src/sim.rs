//! One tick of fog, in the order [`Fog::step`](super::Fog) runs it: shots fly and hit
//! (against the players where the last tick left them), then players respawn, move and
//! fire (a new shot is at its origin in this tick's state, and flies from the next), then
//! the interest grids are rebuilt and every player's view found.

use super::game::{Fog, HIT_RADIUS, MAX_SHOTS, Player, SCALE, Shot, units};
use super::wire::Kill;
use tickwave::game::arena_v2::trig;
use tickwave::game::v2::{MatchCtx, Phase, To};

/// The living opponent of `team` that the segment `(x0, y0)`-`(x1, y1)` passes within
/// [`HIT_RADIUS`] of, earliest along the segment (then lowest id): its index. Integer
/// maths only, so every platform finds the same hit.
fn first_hit(
    players: &[Player],
    team: u32,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Option<usize> {
    let (dx, dy) = (i64::from(x1 - x0), i64::from(y1 - y0));
    let den = dx * dx + dy * dy;
    let r2 = i64::from(HIT_RADIUS).pow(2);
    let mut best: Option<(i64, usize)> = None;
    for (i, p) in players.iter().enumerate() {
        if p.team == team || !p.alive() {
            continue;
        }
        let (wx, wy) = (i64::from(p.x - x0), i64::from(p.y - y0));
        let (t, cx, cy) = if den == 0 {
            (0, 0, 0)
        } else {
            let t = (wx * dx + wy * dy).clamp(0, den);
            (t, dx * t / den, dy * t / den)
        };
        let (ex, ey) = (wx - cx, wy - cy);
        // Players are ordered by id: on a tie the first found is the lowest id.
        if ex * ex + ey * ey <= r2 && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, i));
        }
    }
    best.map(|b| b.1)
}

/// A player's shot ended: it may fire again.
fn release(players: &mut [Player], owner: u32) {
    if let Ok(i) = players.binary_search_by_key(&owner, |p| p.id) {
        players[i].shots = players[i].shots.saturating_sub(1);
    }
}

impl Fog {
    /// Move every shot one tick; a hit ends it (and damages while the match runs), as do
    /// leaving the map and the end of its flight time.
    pub(super) fn advance_shots(&mut self, ctx: &mut MatchCtx) {
        let (tick, running) = (ctx.tick(), ctx.phase() == Phase::Running);
        let Fog { players, shots, rules, team_score, .. } = self;
        shots.retain_mut(|s| {
            let age = tick.saturating_sub(s.fired) as i32;
            let (x1, y1) = (s.ox + s.vx * age, s.oy + s.vy * age);
            if let Some(i) = first_hit(players, s.team, (s.x, s.y), (x1, y1)) {
                if running {
                    let v = &mut players[i];
                    v.hp = (v.hp - rules.damage).max(0);
                    if v.hp == 0 {
                        v.down = rules.respawn;
                        let victim = v.id;
                        if let Ok(k) = players.binary_search_by_key(&s.owner, |p| p.id) {
                            players[k].score += 1;
                        }
                        team_score[s.team as usize] += 1;
                        ctx.emit(
                            To::All,
                            "kill",
                            &Kill { killer: s.owner.into(), victim: victim.into() },
                        );
                    }
                }
                release(players, s.owner);
                return false;
            }
            let gone = u64::from(age as u32) >= rules.shot_ttl
                || !(0..=rules.size).contains(&x1)
                || !(0..=rules.size).contains(&y1);
            if gone {
                release(players, s.owner);
                return false;
            }
            (s.x, s.y) = (x1, y1);
            true
        });
    }

    /// Respawn timers, movement (a diagonal is no faster) and firing.
    pub(super) fn step_players(&mut self, ctx: &mut MatchCtx) {
        let tick = ctx.tick();
        for i in 0..self.players.len() {
            if !self.players[i].alive() {
                self.players[i].down -= 1;
                if self.players[i].down == 0 {
                    self.respawn(i);
                }
                continue;
            }
            let Fog { players, shots, rules, .. } = self;
            let p = &mut players[i];
            p.fire_wait = p.fire_wait.saturating_sub(1);
            let (dx, dy) = (i64::from(p.mx), i64::from(p.my));
            let speed = i64::from(rules.step);
            let len = (dx * dx + dy * dy).unsigned_abs().saturating_mul(10_000).isqrt() as i64;
            let (mx, my) = if len > 10_000 {
                (dx * speed * 100 / len, dy * speed * 100 / len)
            } else {
                (dx * speed / 100, dy * speed / 100)
            };
            p.x = (i64::from(p.x) + mx).clamp(0, i64::from(rules.size)) as i32;
            p.y = (i64::from(p.y) + my).clamp(0, i64::from(rules.size)) as i32;

            if p.fire && p.fire_wait == 0 && p.shots < MAX_SHOTS {
                let div = i64::from(trig::ONE) * rules.tick_hz;
                let vx = (rules.shot_speed * i64::from(trig::cos(p.aim)) / div) as i32;
                let vy = (rules.shot_speed * i64::from(trig::sin(p.aim)) / div) as i32;
                // From the whole unit nearest the shooter, so the wire's origin is exact.
                let (ox, oy) = (units(p.x) * SCALE, units(p.y) * SCALE);
                let id = ctx.new_entity_id();
                let (owner, team) = (p.id, p.team);
                shots.push(Shot { id, owner, team, ox, oy, vx, vy, fired: tick, x: ox, y: oy });
                p.shots += 1;
                p.fire_wait = rules.fire_cooldown;
            }
        }
    }

    /// Rebuild both teams' grids and find every player's view of the other team.
    pub(super) fn update_interest(&mut self) {
        let Fog { players, shots, grids, scratch, .. } = self;
        for g in grids.iter_mut() {
            g.clear();
        }
        for p in players.iter() {
            grids[p.team as usize].insert(p.id, p.x, p.y);
        }
        for s in shots.iter() {
            grids[s.team as usize].insert(s.id, s.x, s.y);
        }
        for p in players.iter() {
            grids[1 - p.team as usize].visible(p.id, p.x, p.y, scratch);
        }
    }
}
