//! Issue 16, item 6: the swarm's bots check every state message against their own view.
//! Against a real server on port 0 over wss, with a game that hides fields from other teams
//! and from everyone but the owner and shows beacons to each player only some of the time,
//! a swarm applies every snapshot and delta to its own view without one failure, receives
//! hidden values, and sees entities enter and leave its view; the report says so and the
//! run passes (`view_failures` is always checked).

mod common;

use common::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tickwave::ModeConfig;
use tickwave::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::scope::{Audience, Scopes};
use tickwave::game::v2::{
    FIRST_GAME_ENTITY_ID, Game, JoinRefusal, MatchCtx, NoCommand, NoSettings, PlayerRecord, Setup,
};
use tickwave_bots::swarm::{self, Report, SwarmConfig};

const BEACONS: u32 = 6;

#[derive(Serialize, Default)]
struct Scout {
    x: i32,
    y: i32,
    /// `private: team`.
    plan: i32,
    /// `private: owner`.
    secret: i32,
}
#[derive(Serialize, Default)]
struct Beacon {
    n: i32,
}
#[derive(Serialize, Default)]
struct Flag {
    team: i32,
}
#[derive(Serialize, Deserialize, Default)]
struct Steer {
    dx: i32,
}

/// Two teams (by player id parity); each team has a flag only it sees; each player sees
/// beacon `b` while `(tick / 10 + b + player) % 3 == 0`, so beacons enter and leave views.
#[derive(Default)]
struct Scouts {
    players: Vec<(u32, i32)>,
    tick: u64,
}

impl Game for Scouts {
    const NAME: &'static str = "scouts";
    type Input = Steer;
    type Command = NoCommand;
    type Settings = NoSettings;

    fn schema(_: &NoSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Scout>("scout", |k| k.private_team("plan").private_owner("secret"))
            .kind::<Beacon>("beacon", |k| k)
            .kind::<Flag>("flag", |k| k)
            .input::<Steer>(|i| i.range("dx", -1, 1))
    }
    fn new(_: NoSettings, _: Setup<'_>) -> Self {
        Scouts::default()
    }
    fn join(&mut self, ctx: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        ctx.set_team(p.id, p.id % 2);
        self.players.push((p.id, 0));
        Ok(())
    }
    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.players.retain(|p| p.0 != player);
    }
    fn input(&mut self, _: &mut MatchCtx, player: u32, input: Steer) {
        if let Some(p) = self.players.iter_mut().find(|p| p.0 == player) {
            p.1 = (p.1 + input.dx).clamp(-100, 100);
        }
    }
    fn step(&mut self, ctx: &mut MatchCtx) {
        self.tick = ctx.tick();
    }
    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let l = out.layout().clone();
        let (scout, beacon, flag) =
            (l.kind_id("scout").unwrap(), l.kind_id("beacon").unwrap(), l.kind_id("flag").unwrap());
        let t = self.tick as i32;
        for &(p, x) in &self.players {
            let s = Scout { x, y: t % 50, plan: t % 7, secret: p as i32 };
            out.push(p, scout, &s)?;
        }
        for b in 0..BEACONS {
            out.push(FIRST_GAME_ENTITY_ID + b, beacon, &Beacon { n: t / 10 })?;
        }
        for team in 0..2 {
            out.push(FIRST_GAME_ENTITY_ID + 100 + team, flag, &Flag { team: team as i32 })?;
        }
        Ok(())
    }
    fn scope(&self, _: &MatchCtx, out: &mut Scopes) {
        for b in 0..BEACONS {
            out.set(FIRST_GAME_ENTITY_ID + b, Audience::Nobody, None);
        }
        for team in 0..2 {
            out.set(FIRST_GAME_ENTITY_ID + 100 + team, Audience::Team(team), None);
        }
        let phase = self.tick / 10;
        for &(p, _) in &self.players {
            let seen = (0..BEACONS).filter(|b| (phase + u64::from(*b) + u64::from(p)) % 3 == 0);
            out.show_all(p, seen.map(|b| FIRST_GAME_ENTITY_ID + b));
        }
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        Vec::new()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bot_applies_every_state_message_to_its_own_view() {
    let mode = ModeConfig { game: "scouts".into(), tick_hz: 20, ..quick_mode("scouts", 4, 2) };
    let s = start_with(|c| {
        c.games.register_game::<Scouts>();
        c.modes = vec![mode];
    })
    .await;
    let cfg = SwarmConfig {
        bots: 8,
        ramp: 100.0,
        duration: Duration::from_secs(4),
        warmup: Duration::from_millis(500),
        mode: "scouts".into(),
        ..SwarmConfig::new(s.url.clone(), s.check.clone())
    };
    let r: Report =
        tokio::task::spawn_blocking(move || swarm::run(cfg)).await.unwrap().expect("swarm runs");
    let table = r.table();
    eprintln!("{table}");
    let v = &r.views;
    assert_eq!(r.bots.matched, 8, "{table}");
    assert_eq!(v.failed, 0, "{table}");
    assert_eq!(v.refused, 0, "{table}");
    assert!(v.failures.values().all(|n| *n == 0) && v.failures.len() >= 10, "{table}");
    // 8 bots x 20 Hz x about 3.5 s in a match.
    assert!(v.applied > 8 * 40, "{table}");
    // Each bot sees the other team's plan and everyone else's secret as nil.
    assert!(v.hidden_values > 8 * 2, "{table}");
    // Beacons came into and went out of the bots' views (every 10 ticks).
    assert!(v.entered > 8 && v.left > 8, "{table}");
    assert!(table.contains("views "), "{table}");
    let check = r.slo.iter().find(|c| c.name == "view_failures").expect("always checked");
    assert!(check.ok && r.passed, "{table}");
    assert_eq!(r.errors.total, 0, "{table}");
}
