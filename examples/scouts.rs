//! A team game with per-player views (issue 16), small enough to read: two teams of scouts
//! on a 1000 x 1000 map (integer `x`/`y`). A scout always sees its teammates, sees an
//! opponent only within `RADIUS`, and sees a supply crate only within `RADIUS`; a scout's
//! `ammo` is private to its team (`nil` to opponents that see it). The lobby then encodes
//! one view per scout, and operators can watch any scout's view in the dashboard.
//!
//! It is the whole `tickwave` server with this game added (`tickwave::run_main`), so it
//! takes the server's flags: `cargo run --example scouts -- --modes modes.toml`, with a mode
//! whose `game = "scouts"`. The dashboard's browser test (tests/dashboard) runs it, with bots
//! (`tickwave-bots swarm --mode scouts`) moving the scouts.
//!
//! The visible sets are found by comparing every pair (fine for a few dozen players); a big
//! lobby would use a spatial grid.

use serde::{Deserialize, Serialize};
use std::process::ExitCode;
use tickwave::game::SplitMix64;
use tickwave::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::scope::{Audience, Scopes};
use tickwave::game::v2::*;

/// The map's side, in the units of `x` and `y`.
const SIZE: i32 = 1000;
/// How far a scout sees opponents and crates.
const RADIUS: i32 = 300;
/// Map units a scout moves per tick at full steer.
const SPEED: i32 = 6;
const CRATES: u32 = 12;

/// A scout as clients see it.
#[derive(Serialize, Default)]
struct ScoutState {
    x: i32,
    y: i32,
    team: i32,
    /// `private: team`.
    ammo: i32,
}

/// A supply crate.
#[derive(Serialize, Default)]
struct CrateState {
    x: i32,
    y: i32,
}

/// Held every tick: the direction to move in.
#[derive(Serialize, Deserialize, Default)]
struct Steer {
    dx: i32,
    dy: i32,
}

struct Scout {
    id: u32,
    team: u32,
    x: i32,
    y: i32,
    steer: (i32, i32),
    ammo: i32,
}

struct Scouts {
    rng: SplitMix64,
    scouts: Vec<Scout>,
    crates: Vec<(i32, i32)>,
}

fn near(a: (i32, i32), b: (i32, i32)) -> bool {
    let (dx, dy) = (i64::from(a.0 - b.0), i64::from(a.1 - b.1));
    dx * dx + dy * dy <= i64::from(RADIUS) * i64::from(RADIUS)
}

impl Scouts {
    fn spot(&mut self) -> (i32, i32) {
        let side = SIZE as u64 + 1;
        ((self.rng.next_u64() % side) as i32, (self.rng.next_u64() % side) as i32)
    }
}

impl Game for Scouts {
    const NAME: &'static str = "scouts";
    type Input = Steer;
    type Command = NoCommand;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<ScoutState>("player", |k| {
                k.range("x", 0, SIZE).range("y", 0, SIZE).range("team", 0, 1).private_team("ammo")
            })
            .kind::<CrateState>("crate", |k| k.range("x", 0, SIZE).range("y", 0, SIZE))
            .input::<Steer>(|i| i.range("dx", -1, 1).range("dy", -1, 1))
    }
    fn new(_: NoSettings, setup: Setup<'_>) -> Self {
        let mut game =
            Scouts { rng: SplitMix64::new(setup.seed), scouts: Vec::new(), crates: Vec::new() };
        game.crates = (0..CRATES).map(|_| game.spot()).collect();
        game
    }
    fn join(&mut self, ctx: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        // The smaller team gets the newcomer.
        let on_0 = self.scouts.iter().filter(|s| s.team == 0).count();
        let team = u32::from(on_0 * 2 > self.scouts.len());
        ctx.set_team(p.id, team);
        let (x, y) = self.spot();
        self.scouts.push(Scout { id: p.id, team, x, y, steer: (0, 0), ammo: 30 });
        Ok(())
    }
    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.scouts.retain(|s| s.id != player);
    }
    fn input(&mut self, _: &mut MatchCtx, player: u32, input: Steer) {
        if let Some(s) = self.scouts.iter_mut().find(|s| s.id == player) {
            s.steer = (input.dx, input.dy);
        }
    }
    fn step(&mut self, _: &mut MatchCtx) {
        for s in &mut self.scouts {
            s.x = (s.x + s.steer.0 * SPEED).clamp(0, SIZE);
            s.y = (s.y + s.steer.1 * SPEED).clamp(0, SIZE);
        }
    }
    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let l = out.layout().clone();
        let (player, krate) =
            (l.kind_id("player").expect("declared"), l.kind_id("crate").expect("declared"));
        for s in &self.scouts {
            let state = ScoutState { x: s.x, y: s.y, team: s.team as i32, ammo: s.ammo };
            out.push(s.id, player, &state)?;
        }
        for (i, &(x, y)) in self.crates.iter().enumerate() {
            out.push(FIRST_GAME_ENTITY_ID + i as u32, krate, &CrateState { x, y })?;
        }
        Ok(())
    }
    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        for s in &self.scouts {
            out.set(s.id, Audience::Team(s.team), Some(s.id));
        }
        for i in 0..self.crates.len() {
            out.set(FIRST_GAME_ENTITY_ID + i as u32, Audience::Nobody, None);
        }
        for me in &self.scouts {
            let at = (me.x, me.y);
            let opponents =
                self.scouts.iter().filter(|o| o.team != me.team && near(at, (o.x, o.y)));
            out.show_all(me.id, opponents.map(|o| o.id));
            let crates = self.crates.iter().enumerate().filter(|(_, c)| near(at, **c));
            out.show_all(me.id, crates.map(|(i, _)| FIRST_GAME_ENTITY_ID + i as u32));
        }
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.scouts.iter().map(|s| (s.id, 0)).collect()
    }
    fn summary(&self) -> serde_json::Value {
        serde_json::json!({ "scouts": self.scouts.len(), "radius": RADIUS })
    }
}

fn main() -> ExitCode {
    tickwave::run_main(|games| games.register_game::<Scouts>())
}
