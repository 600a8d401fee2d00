//! Tag, a studio's own game on Tickwave's game API v2, written against the `tickwave` facade
//! alone: typed input (`dx`, `dy`, `sprint`), a command with a reply (`taunt`), events to
//! everyone and to one player, typed state (str, f32, bool, i32, i64 fields and globals),
//! its own `[mode.settings]`, the seeded RNG, a join refusal, held-seat hooks and an early
//! end with results and a payload.
//!
//! Rules: players run on a 50 x 50 field. One of them is *it* (picked from the match seed
//! when the match starts). When *it* comes within `radius` of another player, that player
//! is tagged and becomes *it* (and cannot tag back for one second). The first to tag
//! `tags_to_win` times wins and the match ends at once; otherwise the match's time decides
//! (scores are tags). Sprinting is faster and spends stamina. A player whose connection
//! drops while *it* passes *it* on; a player named `it` is refused a seat.

use serde::{Deserialize, Serialize};
use tickwave::game::GameConfig;
use tickwave::game::v2::schema::{KindId, Schema, SchemaBuilder, View, ViewError};
use tickwave::game::v2::*;

/// Side of the square field.
pub const FIELD: f32 = 50.0;
/// Longest name kept, in bytes.
pub const NAME_MAX: usize = 24;
/// Longest taunt, in bytes (the schema refuses longer ones with `invalid_args`).
pub const TAUNT_MAX: u32 = 40;
/// Stamina is 0..=100; sprinting spends this much per second, resting gives it back.
const STAMINA_PER_SEC: i32 = 40;
/// Sprinting multiplies the speed by this.
const SPRINT: f32 = 1.6;

/// The input: what a player holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default, PartialEq)]
pub struct Run {
    /// -1..=1 (clamped).
    pub dx: f32,
    /// -1..=1 (clamped).
    pub dy: f32,
    /// Run faster while stamina lasts.
    pub sprint: bool,
}

/// The commands, one variant per declared name.
#[derive(Debug, Deserialize)]
#[serde(tag = "name", content = "args")]
pub enum TagCommand {
    /// Say something to everyone (at most once every two seconds).
    #[serde(rename = "taunt")]
    Taunt(Taunt),
}

/// `taunt`'s arguments.
#[derive(Debug, Serialize, Deserialize, Default)]
pub struct Taunt {
    /// At most [`TAUNT_MAX`] bytes.
    pub text: String,
}

/// `taunt`'s reply value: how many other players heard it.
#[derive(Debug, Serialize)]
pub struct Heard {
    /// Other players in the lobby.
    pub heard: i32,
}

/// A `player` entity (entity id = player id).
#[derive(Debug, Serialize, Default)]
pub struct PlayerState<'a> {
    /// Display name.
    pub name: &'a str,
    /// 0..=50.
    pub x: f32,
    /// 0..=50.
    pub y: f32,
    /// This player is *it*.
    pub it: bool,
    /// Tags made.
    pub tags: i64,
    /// 0..=100.
    pub stamina: i32,
    /// The connection dropped; the seat is held.
    pub away: bool,
}

/// Lobby-wide values.
#[derive(Debug, Serialize, Default)]
pub struct TagGlobals {
    /// The player who is *it*; 0 before the start.
    pub it: i64,
    /// Tags needed to win (the mode's setting, so clients can show it).
    pub tags_to_win: i32,
    /// Tags made in this match.
    pub total_tags: i64,
}

/// Event `tagged`, to everyone.
#[derive(Debug, Serialize, Default)]
pub struct Tagged {
    /// The tagger (0 when *it* was passed on because its player left).
    pub by: i64,
    /// The new *it*.
    pub target: i64,
}

/// Event `you_are_it`, to the new *it* only.
#[derive(Debug, Serialize, Default)]
pub struct YouAreIt {
    /// Who tagged you (0: passed on).
    pub by: i64,
}

/// Event `taunt`, to everyone.
#[derive(Debug, Serialize, Default)]
pub struct Taunted<'a> {
    /// Who said it.
    pub player: i64,
    /// What was said.
    pub text: &'a str,
}

/// The payload of the match's results.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The winner's player id (0 when the time ran out).
    pub winner: i64,
    /// `tags` or `time`.
    pub reason: &'static str,
}

/// `[mode.settings]` of a tag mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TagSettings {
    /// Tag distance, 0.5..=10.
    pub radius: f32,
    /// Running speed in units per second, 1..=30.
    pub speed: f32,
    /// Tags to win, 1..=100.
    pub tags_to_win: i32,
}

impl Default for TagSettings {
    fn default() -> Self {
        TagSettings { radius: 2.0, speed: 8.0, tags_to_win: 5 }
    }
}

impl GameConfig for TagSettings {
    fn check(&self) -> Result<(), String> {
        if !(0.5..=10.0).contains(&self.radius) {
            return Err(format!("radius must be in 0.5..=10, got {}", self.radius));
        }
        if !(1.0..=30.0).contains(&self.speed) {
            return Err(format!("speed must be in 1..=30, got {}", self.speed));
        }
        if !(1..=100).contains(&self.tags_to_win) {
            return Err(format!("tags_to_win must be in 1..=100, got {}", self.tags_to_win));
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Runner {
    id: u32,
    name: String,
    x: f32,
    y: f32,
    held: Run,
    tags: i64,
    stamina: i32,
    away: bool,
    /// Tick before which this player cannot tag (just tagged).
    immune_until: u64,
    /// Tick of the last taunt.
    last_taunt: Option<u64>,
}

/// The game.
#[derive(Debug)]
pub struct Tag {
    settings: TagSettings,
    tick_hz: u32,
    player_kind: KindId,
    runners: Vec<Runner>,
    it: Option<u32>,
    total_tags: i64,
}

impl Tag {
    fn runner(&mut self, id: u32) -> Option<&mut Runner> {
        self.runners.iter_mut().find(|r| r.id == id)
    }

    /// Make `target` it, telling everyone and the target.
    fn make_it(&mut self, ctx: &mut MatchCtx, by: u32, target: u32) {
        self.it = Some(target);
        let immune = ctx.tick() + u64::from(self.tick_hz);
        if let Some(r) = self.runner(target) {
            r.immune_until = immune;
        }
        ctx.emit(To::All, "tagged", &Tagged { by: by.into(), target: target.into() });
        ctx.emit(To::Player(target), "you_are_it", &YouAreIt { by: by.into() });
    }

    /// Pass *it* to a random other player that is here (the current one left or dropped).
    fn pass_on(&mut self, ctx: &mut MatchCtx, from: u32) {
        let others: Vec<u32> =
            self.runners.iter().filter(|r| r.id != from && !r.away).map(|r| r.id).collect();
        if others.is_empty() {
            self.it = None;
            return;
        }
        let pick = ctx.rng().range(0, others.len() as i32) as usize;
        self.make_it(ctx, 0, others[pick.min(others.len() - 1)]);
    }

    fn run(&mut self, dt: f32) {
        let stamina_step = (STAMINA_PER_SEC / self.tick_hz as i32).max(1);
        for r in &mut self.runners {
            let sprinting = r.held.sprint && r.stamina > 0;
            r.stamina =
                if sprinting { r.stamina - stamina_step } else { r.stamina + stamina_step / 2 }
                    .clamp(0, 100);
            let speed = self.settings.speed * if sprinting { SPRINT } else { 1.0 };
            let (dx, dy) = (r.held.dx, r.held.dy);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            r.x = (r.x + dx / len * speed * dt).clamp(0.0, FIELD);
            r.y = (r.y + dy / len * speed * dt).clamp(0.0, FIELD);
        }
    }

    /// The player *it* touches, if any (the nearest within the radius, not immune).
    fn touched(&self, now: u64) -> Option<u32> {
        let it = self.runners.iter().find(|r| Some(r.id) == self.it)?;
        if it.immune_until > now {
            return None;
        }
        let d2 = |r: &Runner| (r.x - it.x).powi(2) + (r.y - it.y).powi(2);
        let reach = self.settings.radius * self.settings.radius;
        self.runners
            .iter()
            .filter(|r| r.id != it.id && !r.away && d2(r) <= reach)
            .min_by(|a, b| d2(a).total_cmp(&d2(b)).then(a.id.cmp(&b.id)))
            .map(|r| r.id)
    }
}

impl Game for Tag {
    const NAME: &'static str = "tag";
    type Input = Run;
    type Command = TagCommand;
    type Settings = TagSettings;

    fn schema(_: &TagSettings) -> SchemaBuilder {
        Schema::builder()
            .kind::<PlayerState<'static>>("player", |k| {
                k.max_len("name", NAME_MAX as u32).range("stamina", 0, 100)
            })
            .globals::<TagGlobals>(|g| g.range("tags_to_win", 1, 100))
            .input::<Run>(|i| i.clamp("dx", -1.0, 1.0).clamp("dy", -1.0, 1.0))
            .command::<Taunt>("taunt", |a| a.max_len("text", TAUNT_MAX))
            .event::<Tagged>("tagged", |e| e)
            .event::<YouAreIt>("you_are_it", |e| e)
            .event::<Taunted<'static>>("taunt", |e| e.max_len("text", TAUNT_MAX))
    }

    fn new(settings: TagSettings, setup: Setup<'_>) -> Self {
        Tag {
            settings,
            tick_hz: setup.tick_hz.max(1),
            player_kind: setup.layout.kind_id("player").expect("tag's own schema"),
            runners: Vec::new(),
            it: None,
            total_tags: 0,
        }
    }

    fn join(&mut self, ctx: &mut MatchCtx, p: &PlayerRecord) -> Result<(), JoinRefusal> {
        if p.name.eq_ignore_ascii_case("it") {
            return Err(Refusal::new("reserved_name", "`it` is a role, not a name: pick another"));
        }
        let mut name = p.name.clone();
        while name.len() > NAME_MAX {
            name.pop();
        }
        let (x, y) = (ctx.rng().range(0, FIELD as i32), ctx.rng().range(0, FIELD as i32));
        self.runners.push(Runner {
            id: p.id,
            name,
            x: x as f32,
            y: y as f32,
            held: Run::default(),
            tags: 0,
            stamina: 100,
            away: false,
            immune_until: 0,
            last_taunt: None,
        });
        // Entity ids are player ids: keep them sorted, as views must be in id order.
        self.runners.sort_by_key(|r| r.id);
        Ok(())
    }

    fn leave(&mut self, ctx: &mut MatchCtx, player: u32) {
        if self.it == Some(player) && ctx.phase() == Phase::Running {
            self.pass_on(ctx, player);
        }
        self.runners.retain(|r| r.id != player);
    }

    fn disconnected(&mut self, ctx: &mut MatchCtx, player: u32) {
        if let Some(r) = self.runner(player) {
            r.away = true;
            r.held = Run::default();
        }
        if self.it == Some(player) && ctx.phase() == Phase::Running {
            self.pass_on(ctx, player);
        }
    }

    fn resumed(&mut self, _: &mut MatchCtx, player: u32) {
        if let Some(r) = self.runner(player) {
            r.away = false;
        }
    }

    fn input(&mut self, ctx: &mut MatchCtx, player: u32, input: Run) {
        if ctx.phase() != Phase::Running {
            return;
        }
        if let Some(r) = self.runner(player) {
            r.held = input;
        }
    }

    fn command(
        &mut self,
        ctx: &mut MatchCtx,
        player: u32,
        c: TagCommand,
    ) -> Result<Reply, Refusal> {
        let TagCommand::Taunt(Taunt { text }) = c;
        if ctx.phase() != Phase::Running {
            return Err(Refusal::new("not_running", "the match has not started"));
        }
        let now = ctx.tick();
        let gap = 2 * u64::from(self.tick_hz);
        let r = self.runner(player).ok_or_else(|| Refusal::new("not_playing", "no runner"))?;
        if r.last_taunt.is_some_and(|t| now < t + gap) {
            return Err(Refusal::new("too_soon", "one taunt every two seconds"));
        }
        r.last_taunt = Some(now);
        ctx.emit(To::All, "taunt", &Taunted { player: player.into(), text: &text });
        let heard = self.runners.len().saturating_sub(1) as i32;
        Reply::value(&Heard { heard }).map_err(|e| Refusal::new("internal", e.to_string()))
    }

    fn start(&mut self, ctx: &mut MatchCtx) {
        if self.it.is_none() && !self.runners.is_empty() {
            let pick = ctx.rng().range(0, self.runners.len() as i32) as usize;
            let id = self.runners[pick.min(self.runners.len() - 1)].id;
            self.make_it(ctx, 0, id);
        }
    }

    fn step(&mut self, ctx: &mut MatchCtx) {
        if ctx.phase() != Phase::Running || ctx.ending() {
            return;
        }
        if self.it.is_none() {
            self.start(ctx);
        }
        self.run(1.0 / self.tick_hz as f32);
        let Some(target) = self.touched(ctx.tick()) else { return };
        let Some(by) = self.it else { return };
        self.total_tags += 1;
        let tags = match self.runner(by) {
            Some(r) => {
                r.tags += 1;
                r.tags
            }
            None => 0,
        };
        self.make_it(ctx, by, target);
        if tags >= i64::from(self.settings.tags_to_win) {
            let end = MatchEnd::new(self.scores());
            let outcome = Outcome { winner: by.into(), reason: "tags" };
            ctx.end_match(end.clone().with_payload(&outcome).unwrap_or(end));
        }
    }

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        for r in &self.runners {
            let state = PlayerState {
                name: &r.name,
                x: r.x,
                y: r.y,
                it: self.it == Some(r.id),
                tags: r.tags,
                stamina: r.stamina,
                away: r.away,
            };
            out.push(r.id, self.player_kind, &state)?;
        }
        out.set_globals(&TagGlobals {
            it: self.it.map_or(0, i64::from),
            tags_to_win: self.settings.tags_to_win,
            total_tags: self.total_tags,
        })
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.runners.iter().map(|r| (r.id, r.tags)).collect()
    }
}

#[cfg(test)]
mod tests;
