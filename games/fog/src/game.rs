//! [`Fog`]: the game on `tickwave::game::v2` (rules and schema in the crate's README.md).
//!
//! Who sees what ([`Game::scope`]): a player entity is its team's (`Audience::Team`, owned
//! by the player), a shot its shooter's team's (owned by the shooter), and each player's
//! interest set holds the opponents and opponents' shots within the radius, found by one
//! [`Grid`] per team (the grid of team `k` holds team `k`'s players and shots, and players
//! of the other team query it). The grids run in `step`, every tick, so their hysteresis
//! memory follows every tick even when the mode sends less often; `scope` only reads them.
//!
//! Cost per tick: O(players + shots) to move and index, O(shots x players) for hits (at most
//! 256 x 64 distance tests), and per player O(entities near it) for its view.

use super::settings::FogSettings;
use super::wire::{FogGlobals, FogInput, Kill, PlayerState, ShotState, aim_units};
use tickwave::game::SplitMix64;
use tickwave::game::arena_v2::trig;
use tickwave::game::v2::interest::Grid;
use tickwave::game::v2::schema::{KindId, Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::scope::{Audience, Scopes};
use tickwave::game::v2::{Game, JoinRefusal, MatchCtx, NoCommand, PlayerRecord, Setup};

/// Fixed point of the simulation: 100 = one map unit (the wire shows whole units).
pub const SCALE: i32 = 100;
/// Hit points of a fresh player.
pub const MAX_HP: i32 = 100;
/// Seats the game takes, whatever the mode says (a mode may have fewer).
pub const MAX_PLAYERS: usize = 64;
/// Teams: 0 and 1.
pub const TEAMS: u32 = 2;
/// A shot whose path comes this close (fixed point) to an opponent's centre hits it.
pub(super) const HIT_RADIUS: i32 = 150;
/// Shots of one player in flight at once: bounds a lobby's shots to 4 x 64.
pub(super) const MAX_SHOTS: u32 = 4;

#[derive(Debug, Clone)]
pub(super) struct Player {
    pub(super) id: u32,
    pub(super) team: u32,
    /// Fixed point.
    pub(super) x: i32,
    pub(super) y: i32,
    /// Held movement in hundredths, each in -100..=100.
    pub(super) mx: i32,
    pub(super) my: i32,
    /// Held aim in brads.
    pub(super) aim: i32,
    pub(super) fire: bool,
    pub(super) hp: i32,
    pub(super) score: i32,
    /// Ticks until a dead player respawns; 0 while alive.
    pub(super) down: u32,
    pub(super) fire_wait: u32,
    /// Its shots in flight.
    pub(super) shots: u32,
}

impl Player {
    pub(super) fn alive(&self) -> bool {
        self.down == 0
    }
}

#[derive(Debug, Clone)]
pub(super) struct Shot {
    pub(super) id: u32,
    pub(super) owner: u32,
    pub(super) team: u32,
    /// Where it was fired, fixed point, on whole units.
    pub(super) ox: i32,
    pub(super) oy: i32,
    /// Fixed point per tick.
    pub(super) vx: i32,
    pub(super) vy: i32,
    /// The tick it was fired at.
    pub(super) fired: u64,
    /// Where it is now, fixed point.
    pub(super) x: i32,
    pub(super) y: i32,
}

/// The settings turned into ticks and fixed point, once, at `new`.
#[derive(Debug, Clone)]
pub(super) struct Rules {
    pub(super) size: i32,
    pub(super) step: i32,
    pub(super) shot_speed: i64,
    pub(super) shot_ttl: u64,
    pub(super) fire_cooldown: u32,
    pub(super) damage: i32,
    pub(super) respawn: u32,
    pub(super) tick_hz: i64,
}

#[derive(Debug, Clone, Copy)]
struct Kinds {
    player: KindId,
    shot: KindId,
}

/// Fog for up to 64 players in two teams; see the module doc and README.md.
#[derive(Debug, Clone)]
pub struct Fog {
    pub(super) rules: Rules,
    kinds: Kinds,
    pub(super) rng: SplitMix64,
    /// Ordered by id.
    pub(super) players: Vec<Player>,
    /// Ordered by id (fire order).
    pub(super) shots: Vec<Shot>,
    /// Kills per team.
    pub(super) team_score: [i32; 2],
    /// `grids[k]`: team `k`'s players and shots, queried by the other team's players.
    pub(super) grids: [Grid; 2],
    pub(super) scratch: Vec<u32>,
}

/// `ms` as ticks at `hz`, rounded up.
fn ticks(ms: u32, hz: u32) -> u32 {
    (u64::from(ms) * u64::from(hz)).div_ceil(1000).min(u64::from(u32::MAX)) as u32
}

/// A clamped float direction as hundredths in -100..=100.
fn hundredths(v: f32) -> i32 {
    if v.is_finite() { (v.clamp(-1.0, 1.0) * 100.0).round() as i32 } else { 0 }
}

/// Fixed point to whole units, rounded to nearest (positions are never negative).
pub(super) fn units(v: i32) -> i32 {
    (v + SCALE / 2) / SCALE
}

impl Fog {
    pub(super) fn index(&self, player: u32) -> Option<usize> {
        self.players.binary_search_by_key(&player, |p| p.id).ok()
    }

    /// A random whole-unit point on `team`'s side: team 0 in the left quarter of the map,
    /// team 1 in the right quarter, anywhere in height (a unit from the edges).
    pub(super) fn spawn_point(&mut self, team: u32) -> (i32, i32) {
        let s = self.rules.size / SCALE;
        let (x0, x1) = if team == 0 { (1, s / 4) } else { (s - s / 4, s - 1) };
        let (x, y) = (self.rng.range(x0, x1 + 1), self.rng.range(1, s));
        (x * SCALE, y * SCALE)
    }

    /// A player back at full strength at a fresh place on its side.
    pub(super) fn respawn(&mut self, i: usize) {
        let (x, y) = self.spawn_point(self.players[i].team);
        let p = &mut self.players[i];
        (p.x, p.y, p.hp, p.down, p.fire_wait) = (x, y, MAX_HP, 0, 0);
    }

    /// The team a new player joins: the smaller, team 0 on a tie.
    fn smaller_team(&self) -> u32 {
        let ones = self.players.iter().filter(|p| p.team == 1).count();
        u32::from(ones < self.players.len() - ones)
    }
}

impl Game for Fog {
    const NAME: &'static str = "fog";
    type Input = FogInput;
    type Command = NoCommand;
    type Settings = FogSettings;

    fn schema(s: &FogSettings) -> SchemaBuilder {
        let map = s.map as i32;
        let pi = std::f64::consts::PI;
        Schema::builder()
            .kind::<PlayerState>("player", |k| {
                k.range("x", 0, map)
                    .range("y", 0, map)
                    .range("aim", 0, 255)
                    .range("hp", 0, MAX_HP)
                    .range("team", 0, TEAMS as i32 - 1)
                    .range("score", 0, i32::MAX)
            })
            .kind::<ShotState>("shot", |k| k.range("x", 0, map).range("y", 0, map))
            .globals::<FogGlobals>(|g| g.range("score0", 0, i32::MAX).range("score1", 0, i32::MAX))
            .input::<FogInput>(|i| {
                i.clamp("mx", -1.0, 1.0).clamp("my", -1.0, 1.0).clamp("aim", -pi, pi)
            })
            .event::<Kill>("kill", |e| e)
    }

    fn new(s: FogSettings, setup: Setup<'_>) -> Self {
        let hz = setup.tick_hz.max(1);
        let kind = |name| setup.layout.kind_id(name).expect("fog's own schema");
        let grid = || {
            Grid::new(s.cell * SCALE as u32, s.radius * SCALE as u32, s.hysteresis * SCALE as u32)
        };
        Fog {
            rules: Rules {
                size: s.map.min(1000) as i32 * SCALE,
                step: (s.speed.min(100) as i32 * SCALE) / hz as i32,
                shot_speed: i64::from(s.shot_speed.min(200)) * i64::from(SCALE),
                shot_ttl: u64::from(ticks(s.shot_ttl_ms, hz).max(1)),
                fire_cooldown: ticks(s.fire_cooldown_ms, hz),
                damage: s.damage.clamp(1, 100) as i32,
                respawn: ticks(s.respawn_ms, hz).max(1),
                tick_hz: i64::from(hz),
            },
            kinds: Kinds { player: kind("player"), shot: kind("shot") },
            rng: SplitMix64::new(setup.seed),
            players: Vec::new(),
            shots: Vec::new(),
            team_score: [0, 0],
            grids: [grid(), grid()],
            scratch: Vec::new(),
        }
    }

    fn join(&mut self, ctx: &mut MatchCtx, record: &PlayerRecord) -> Result<(), JoinRefusal> {
        if self.index(record.id).is_none() && self.players.len() >= MAX_PLAYERS {
            return Err(JoinRefusal::new("full", "fog takes at most 64 players"));
        }
        let team = match self.index(record.id) {
            Some(i) => self.players[i].team,
            None => self.smaller_team(),
        };
        ctx.set_team(record.id, team);
        let (x, y) = self.spawn_point(team);
        let p = Player {
            id: record.id,
            team,
            x,
            y,
            mx: 0,
            my: 0,
            aim: if team == 0 { 0 } else { trig::TURN / 2 },
            fire: false,
            hp: MAX_HP,
            score: 0,
            down: 0,
            fire_wait: 0,
            shots: 0,
        };
        match self.players.binary_search_by_key(&record.id, |p| p.id) {
            Ok(i) => self.players[i] = p,
            Err(i) => self.players.insert(i, p),
        }
        Ok(())
    }

    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        if let Some(i) = self.index(player) {
            self.players.remove(i);
            // Its shots go with it: a kill must credit a player who is still here.
            self.shots.retain(|s| s.owner != player);
            for g in &mut self.grids {
                g.forget(player);
            }
        }
    }

    fn disconnected(&mut self, _: &mut MatchCtx, player: u32) {
        // A held seat lets go of its input, so an absent player does not fire forever.
        if let Some(i) = self.index(player) {
            let p = &mut self.players[i];
            (p.mx, p.my, p.fire) = (0, 0, false);
        }
    }

    fn input(&mut self, _: &mut MatchCtx, player: u32, input: FogInput) {
        if let Some(i) = self.index(player) {
            let p = &mut self.players[i];
            p.mx = hundredths(input.mx);
            p.my = hundredths(input.my);
            p.aim = trig::brads(input.aim);
            p.fire = input.fire;
        }
    }

    fn start(&mut self, _: &mut MatchCtx) {
        for i in 0..self.players.len() {
            self.respawn(i);
            let p = &mut self.players[i];
            (p.score, p.shots) = (0, 0);
        }
        self.shots.clear();
        self.team_score = [0, 0];
    }

    fn step(&mut self, ctx: &mut MatchCtx) {
        self.advance_shots(ctx);
        self.step_players(ctx);
        self.update_interest();
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let k = self.kinds;
        for p in &self.players {
            let state = PlayerState {
                x: units(p.x),
                y: units(p.y),
                aim: aim_units(p.aim),
                hp: p.hp,
                team: p.team as i32,
                score: p.score,
            };
            out.push(p.id, k.player, &state)?;
        }
        for s in &self.shots {
            let state = ShotState {
                x: units(s.ox),
                y: units(s.oy),
                vx: s.vx,
                vy: s.vy,
                fired: s.fired as i64,
                owner: s.owner.into(),
            };
            out.push(s.id, k.shot, &state)?;
        }
        out.set_globals(&FogGlobals { score0: self.team_score[0], score1: self.team_score[1] })
    }

    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        for p in &self.players {
            out.set(p.id, Audience::Team(p.team), Some(p.id));
        }
        for s in &self.shots {
            out.set(s.id, Audience::Team(s.team), Some(s.owner));
        }
        for p in &self.players {
            let seen = self.grids[1 - p.team as usize].last(p.id);
            out.show_all(p.id, seen.iter().copied());
        }
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.players.iter().map(|p| (p.id, i64::from(p.score))).collect()
    }

    fn summary(&self) -> serde_json::Value {
        let team = |t: u32| self.players.iter().filter(|p| p.team == t).count();
        serde_json::json!({
            "players": self.players.len(),
            "teams": [team(0), team(1)],
            "alive": self.players.iter().filter(|p| p.alive()).count(),
            "shots": self.shots.len(),
            "score": self.team_score,
        })
    }
}
