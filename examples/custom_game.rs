//! A studio's own game on Tickwave, as README's "Plugging in a game" shows it: a typed game
//! of game API v2 (input, a command, an event, state, settings), registered in a mode, and a
//! `main` that drains on SIGINT/SIGTERM so running matches end before the process does.
//! Compiled with every `cargo build --all-targets` (so the README's copy cannot rot), run
//! with `cargo run --example custom_game`.

use serde::{Deserialize, Serialize};
use tickwave::game::GameConfig;
use tickwave::game::v2::schema::{Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::*;

/// A player's dot as clients see it.
#[derive(Serialize, Default)]
struct Dot<'a> {
    x: f32,
    score: i64,
    name: &'a str,
}

/// Held every tick: steering.
#[derive(Serialize, Deserialize, Default)]
struct Steer {
    dx: f32,
}

/// Discrete actions, one variant per declared command.
#[derive(Deserialize)]
#[serde(tag = "name", content = "args")]
enum Cmd {
    #[serde(rename = "jump")]
    Jump(Jump),
}

#[derive(Serialize, Deserialize, Default)]
struct Jump {
    height: i32,
}

/// Sent to everyone when someone jumps.
#[derive(Serialize, Default)]
struct Jumped {
    player: i64,
    height: i32,
}

/// `[mode.settings]` of the mode: unknown keys and bad values refuse to start.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DotsSettings {
    speed: f32,
}

impl Default for DotsSettings {
    fn default() -> Self {
        DotsSettings { speed: 1.0 }
    }
}

impl GameConfig for DotsSettings {
    fn check(&self) -> Result<(), String> {
        if (0.1..=10.0).contains(&self.speed) {
            Ok(())
        } else {
            Err(format!("speed must be in 0.1..=10, got {}", self.speed))
        }
    }
}

struct Dots {
    speed: f32,
    dots: Vec<(u32, String, f32, i64)>,
}

impl Game for Dots {
    const NAME: &'static str = "dots";
    type Input = Steer;
    type Command = Cmd;
    type Settings = DotsSettings;

    fn schema(_: &DotsSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<Dot>("dot", |k| k.max_len("name", 32))
            .input::<Steer>(|i| i.clamp("dx", -1.0, 1.0))
            .command::<Jump>("jump", |a| a.range("height", 0, 3))
            .event::<Jumped>("jumped", |e| e)
    }
    fn new(settings: DotsSettings, _: Setup<'_>) -> Self {
        Dots { speed: settings.speed, dots: Vec::new() }
    }
    fn join(&mut self, _: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        self.dots.push((p.id, p.name.clone(), 0.0, 0));
        Ok(())
    }
    fn leave(&mut self, _: &mut MatchCtx, player: u32) {
        self.dots.retain(|d| d.0 != player);
    }
    fn input(&mut self, _: &mut MatchCtx, player: u32, input: Steer) {
        if let Some(d) = self.dots.iter_mut().find(|d| d.0 == player) {
            d.2 += input.dx * self.speed;
        }
    }
    fn command(&mut self, ctx: &mut MatchCtx, player: u32, c: Cmd) -> Result<Reply, Refusal> {
        let Cmd::Jump(j) = c;
        if ctx.phase() != Phase::Running {
            return Err(Refusal::new("not_running", "the match has not started"));
        }
        if let Some(d) = self.dots.iter_mut().find(|d| d.0 == player) {
            d.3 += i64::from(j.height);
        }
        ctx.emit(To::All, "jumped", &Jumped { player: player.into(), height: j.height });
        Ok(Reply::none())
    }
    fn step(&mut self, _: &mut MatchCtx) {}
    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let dot = out.layout().kind_id("dot").expect("declared in schema");
        for (id, name, x, score) in &self.dots {
            out.push(*id, dot, &Dot { x: *x, score: *score, name })?;
        }
        Ok(())
    }
    fn scores(&self) -> Vec<(u32, i64)> {
        self.dots.iter().map(|d| (d.0, d.3)).collect()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tickwave::init_logging(tickwave::LogFormat::Text);
    let mut config = tickwave::Config::default();
    config.games.register_game::<Dots>();
    let mut settings = tickwave::game::ModeSettings::new();
    settings.insert("speed".into(), toml::Value::Float(2.0));
    config.modes.push(tickwave::ModeConfig {
        name: "dots".into(),
        game: "dots".into(),
        max_players: 8,
        settings,
        ..Default::default()
    });
    let server = tickwave::Server::start(config).await?;
    println!("dots on wss://{}/ws", server.local_addr());
    // A signal starts the drain: no new lobbies, running matches play to their end (bounded
    // by the drain timeout), then the server stops. A second signal exits at once.
    let drainer = server.drainer();
    let stopped = server.wait();
    tokio::pin!(stopped);
    tokio::select! {
        _ = &mut stopped => return Ok(()),
        _ = tokio::signal::ctrl_c() => drainer.drain(),
    }
    tokio::select! {
        _ = &mut stopped => Ok(()),
        _ = tokio::signal::ctrl_c() => std::process::exit(130),
    }
}
