//! One tick of the arena, in the order [`Arena::step`](super::Arena) runs it: players
//! (respawn, timers, dash, move, fire), then shots (move, hit, damage, kill), then pickups
//! (collect, respawn). Players come before shots so a shot fired this tick moves this tick
//! and can hit at point-blank range; pickups come last so they see the final positions.

use super::grid::Grid;
use super::{Arena, HIT_RADIUS, Kill, PICKUP_RADIUS, Player, SHOT_ID_BASE, SIZE, Shot, trig};
use crate::game::v2::{MatchCtx, Phase, To};

/// A player's shot ended: it may fire again (`max_shots`).
fn release(players: &mut [Player], owner: u32) {
    if let Ok(i) = players.binary_search_by_key(&owner, |p| p.id) {
        players[i].shots = players[i].shots.saturating_sub(1);
    }
}

/// The living player other than `owner` that the segment `(x0, y0)`-`(x1, y1)` passes
/// within [`HIT_RADIUS`] of, earliest along the segment (then lowest id): the index in
/// `players`. Integer maths only: the closest point is `p0 + d * t / |d|²` with `t` the
/// clamped dot product, so every platform finds the same hit.
fn first_hit(
    grid: &Grid,
    players: &[Player],
    owner: u32,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Option<usize> {
    let r = HIT_RADIUS;
    let (dx, dy) = (i64::from(x1 - x0), i64::from(y1 - y0));
    let den = dx * dx + dy * dy;
    let r2 = i64::from(r) * i64::from(r);
    let mut best: Option<(i64, u32, usize)> = None;
    grid.query(x0.min(x1) - r, y0.min(y1) - r, x0.max(x1) + r, y0.max(y1) + r, |i| {
        let p = &players[i as usize];
        if p.id == owner || !p.alive() {
            return;
        }
        let (wx, wy) = (i64::from(p.x - x0), i64::from(p.y - y0));
        let (t, cx, cy) = if den == 0 {
            (0, 0, 0)
        } else {
            let t = (wx * dx + wy * dy).clamp(0, den);
            (t, dx * t / den, dy * t / den)
        };
        let (ex, ey) = (wx - cx, wy - cy);
        if ex * ex + ey * ey <= r2 && best.is_none_or(|(bt, bid, _)| (t, p.id) < (bt, bid)) {
            best = Some((t, p.id, i as usize));
        }
    });
    best.map(|b| b.2)
}

impl Arena {
    pub(super) fn step_players(&mut self) {
        for i in 0..self.players.len() {
            if !self.players[i].alive() {
                self.players[i].down -= 1;
                if self.players[i].down == 0 {
                    self.respawn(i);
                }
                continue;
            }
            let Arena { players, shots, rules, next_shot, .. } = self;
            let p = &mut players[i];
            p.fire_wait = p.fire_wait.saturating_sub(1);
            p.dash_wait = p.dash_wait.saturating_sub(1);
            p.dash_left = p.dash_left.saturating_sub(1);
            if p.dash && p.dash_wait == 0 && p.dash_left == 0 && rules.dash_ticks > 0 {
                p.dash_left = rules.dash_ticks;
                p.dash_wait = rules.dash_cooldown;
            }

            let (mut dx, mut dy) = (i64::from(p.dx), i64::from(p.dy));
            let mut speed = i64::from(rules.step);
            if p.dash_left > 0 {
                speed *= i64::from(rules.dash_factor);
                if dx == 0 && dy == 0 {
                    let one = i64::from(trig::ONE);
                    dx = i64::from(trig::cos(p.aim)) * 100 / one;
                    dy = i64::from(trig::sin(p.aim)) * 100 / one;
                }
            }
            // The direction's length in 1/100 of a hundredth: a diagonal is cut to length
            // 100 (hundredths) so it is no faster than a straight line.
            let len = (dx * dx + dy * dy).unsigned_abs().saturating_mul(10_000).isqrt() as i64;
            let (mx, my) = if len > 10_000 {
                (dx * speed * 100 / len, dy * speed * 100 / len)
            } else {
                (dx * speed / 100, dy * speed / 100)
            };
            p.x = (i64::from(p.x) + mx).clamp(0, i64::from(SIZE)) as i32;
            p.y = (i64::from(p.y) + my).clamp(0, i64::from(SIZE)) as i32;

            if p.fire && p.fire_wait == 0 && p.shots < rules.max_shots {
                let div = i64::from(trig::ONE) * rules.tick_hz;
                let vx = rules.shot_speed * i64::from(trig::cos(p.aim)) / div;
                let vy = rules.shot_speed * i64::from(trig::sin(p.aim)) / div;
                let id = SHOT_ID_BASE + *next_shot % (1 << 30);
                *next_shot = next_shot.wrapping_add(1);
                let (vx, vy) = (vx as i32, vy as i32);
                shots.push(Shot { id, owner: p.id, x: p.x, y: p.y, vx, vy, ttl: rules.shot_ttl });
                p.shots += 1;
                p.fire_wait = rules.fire_cooldown;
            }
        }
    }

    /// Move every shot one tick; a hit ends it (and damages while the match runs), as do
    /// leaving the map and the end of its flight time.
    pub(super) fn advance_shots(&mut self, ctx: &mut MatchCtx) {
        let running = ctx.phase() == Phase::Running;
        let Arena { players, shots, grid, rules, .. } = self;
        let living = players.iter().enumerate().filter(|(_, p)| p.alive());
        grid.rebuild(living.map(|(i, p)| (i as u32, p.x, p.y)));
        shots.retain_mut(|s| {
            let (x1, y1) = (s.x + s.vx, s.y + s.vy);
            s.ttl -= 1;
            if let Some(i) = first_hit(grid, players, s.owner, (s.x, s.y), (x1, y1)) {
                if running {
                    let v = &mut players[i];
                    v.hp = (v.hp - rules.damage).max(0);
                    if v.hp == 0 {
                        v.down = rules.player_respawn;
                        v.dash_left = 0;
                        let victim = v.id;
                        if let Ok(k) = players.binary_search_by_key(&s.owner, |p| p.id) {
                            players[k].score += rules.kill_points;
                        }
                        let kill = Kill { killer: s.owner.into(), victim: victim.into() };
                        ctx.emit(To::All, "kill", &kill);
                    }
                }
                release(players, s.owner);
                return false;
            }
            if s.ttl == 0 || !(0..=SIZE).contains(&x1) || !(0..=SIZE).contains(&y1) {
                release(players, s.owner);
                return false;
            }
            (s.x, s.y) = (x1, y1);
            true
        });
    }

    /// While the match runs, a living player in reach takes each pickup (lowest id first).
    /// Uses the grid [`Arena::advance_shots`] built this tick: players do not move between.
    pub(super) fn collect_pickups(&mut self, ctx: &MatchCtx) {
        if ctx.phase() != Phase::Running {
            return;
        }
        let Arena { players, pickups, pickup_timers, grid, rules, .. } = self;
        let (r, r2) = (PICKUP_RADIUS, i64::from(PICKUP_RADIUS).pow(2));
        pickups.retain(|k| {
            let mut best: Option<usize> = None;
            grid.query(k.x - r, k.y - r, k.x + r, k.y + r, |i| {
                let p = &players[i as usize];
                let (ex, ey) = (i64::from(p.x - k.x), i64::from(p.y - k.y));
                // Players are ordered by id, so the lowest index is the lowest id.
                if p.alive() && ex * ex + ey * ey <= r2 && best.is_none_or(|b| (i as usize) < b) {
                    best = Some(i as usize);
                }
            });
            let Some(i) = best else { return true };
            players[i].score += i64::from(k.value);
            pickup_timers.push(rules.pickup_respawn);
            false
        });
    }

    /// Count down the taken pickups' timers and place those that are due.
    pub(super) fn respawn_pickups(&mut self) {
        let mut due = 0;
        self.pickup_timers.retain_mut(|t| {
            *t = t.saturating_sub(1);
            let keep = *t > 0;
            due += usize::from(!keep);
            keep
        });
        for _ in 0..due {
            self.spawn_pickup();
        }
    }
}
