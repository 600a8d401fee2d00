//! What a bot does: pure input policies driven by a seeded generator, so a run with the same
//! `--seed` gives every bot the same behaviour, lifetimes and choices.

use super::net::view::View;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use tickwave_protocol::EntityKindSchema;

/// The seeded generator behind every choice (defined apart so that modules below the
/// behaviours, such as the state view's tests, can use it too).
pub use super::rng::Rng;

/// A bot's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Walk in a random direction, turning about once a second; boost now and then.
    RandomWalk,
    /// Head for the nearest pickup in the local state copy (random walk when none is seen).
    Chase,
    /// Join a match and send nothing: an AFK player (no inputs, so no input-to-ack samples).
    Idle,
    /// Random walk, and close the connection and reconnect with a fresh `hello` after a
    /// random lifetime (exponential, mean `--churn-every`).
    Churn,
    /// Walk in circles (what the single `client` does).
    Circle,
    /// Random walk, and send a chat line at `--chat-rate` lines per second; each line
    /// carries a bot-local sequence number so its echo can be matched.
    Chat,
}

impl Behaviour {
    pub const ALL: [Behaviour; 6] = [
        Behaviour::RandomWalk,
        Behaviour::Chase,
        Behaviour::Idle,
        Behaviour::Churn,
        Behaviour::Circle,
        Behaviour::Chat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::RandomWalk => "random-walk",
            Behaviour::Chase => "chase",
            Behaviour::Idle => "idle",
            Behaviour::Churn => "churn",
            Behaviour::Circle => "circle",
            Behaviour::Chat => "chat",
        }
    }

    /// Whether bots of this behaviour send inputs at all.
    pub fn sends_inputs(self) -> bool {
        self != Behaviour::Idle
    }

    /// Whether bots of this behaviour send chat lines.
    pub fn chats(self) -> bool {
        self == Behaviour::Chat
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A weighted mix of behaviours: `random-walk`, or `random-walk:70,chase:20,churn:10`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BehaviourMix(Vec<(Behaviour, u32)>);

impl BehaviourMix {
    pub fn single(b: Behaviour) -> Self {
        BehaviourMix(vec![(b, 1)])
    }

    pub fn parts(&self) -> &[(Behaviour, u32)] {
        &self.0
    }

    /// The behaviour of bot number `bot`: a seeded draw by weight.
    pub fn pick(&self, seed: u64, bot: u32) -> Behaviour {
        let total: u64 = self.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = Rng::for_bot(seed ^ 0xb5ad_4ece_da1c_e2a9, bot).below(total);
        for (b, w) in &self.0 {
            if x < u64::from(*w) {
                return *b;
            }
            x -= u64::from(*w);
        }
        self.0[0].0
    }
}

impl fmt::Display for BehaviourMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [(b, _)] = self.0.as_slice() {
            return f.write_str(b.as_str());
        }
        let parts: Vec<String> = self.0.iter().map(|(b, w)| format!("{b}:{w}")).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for BehaviourMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = match part.split_once(':') {
                Some((n, w)) => (
                    n.trim(),
                    w.trim().parse::<u32>().map_err(|_| format!("bad weight in {part:?}"))?,
                ),
                None => (part, 1),
            };
            let name = name.replace('_', "-");
            let b = Behaviour::ALL.into_iter().find(|b| b.as_str() == name).ok_or_else(|| {
                let names: Vec<_> = Behaviour::ALL.iter().map(|b| b.as_str()).collect();
                format!("unknown behaviour {name:?}; one of {}", names.join(", "))
            })?;
            if weight > 0 {
                out.push((b, weight));
            }
        }
        if out.is_empty() {
            return Err("no behaviour with a weight above 0".into());
        }
        Ok(BehaviourMix(out))
    }
}

/// Where pickups are in a lobby's entities, from the `match_found` schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PickupSchema {
    kind: u8,
    x: usize,
    y: usize,
}

impl PickupSchema {
    /// Finds the kind named `pickup` with fields `x` and `y`; `None` for other games.
    pub(crate) fn from_schema(schema: &[EntityKindSchema]) -> Option<Self> {
        let (kind, k) = schema.iter().enumerate().find(|(_, k)| k.kind == "pickup")?;
        let field = |n: &str| k.fields.iter().position(|f| f == n);
        Some(PickupSchema { kind: u8::try_from(kind).ok()?, x: field("x")?, y: field("y")? })
    }
}

/// One bot's input policy.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    behaviour: Behaviour,
    rng: Rng,
    dir: (f32, f32),
    boost: bool,
    /// Inputs left before the random walk turns.
    turn_in: u32,
    /// Inputs sent, for the circle.
    n: u64,
}

impl Policy {
    pub(crate) fn new(behaviour: Behaviour, rng: Rng) -> Self {
        Policy { behaviour, rng, dir: (1.0, 0.0), boost: false, turn_in: 0, n: 0 }
    }

    pub(crate) fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// Lifetime of the next connection of a churning bot; `None` for the others.
    pub(crate) fn connection_lifetime(&mut self, mean: Duration) -> Option<Duration> {
        (self.behaviour == Behaviour::Churn).then(|| self.rng.exp(mean))
    }

    /// The next input `(dx, dy, action)`, given the bot's player id and its state copy.
    /// `input_hz` sets how often the random walk turns (about once a second).
    pub(crate) fn next_input(
        &mut self,
        input_hz: u32,
        me: u32,
        view: &View,
        pickups: Option<PickupSchema>,
    ) -> (f32, f32, bool) {
        self.next_move(input_hz, || pickups.and_then(|p| toward_nearest(me, view, p)))
    }

    /// The next movement `(dx, dy, boost)` whatever the state looks like: `chase` gives the
    /// unit direction to the nearest pickup (called only by chasing bots), so the same
    /// policies drive protocol 1's integer view and protocol 2's typed one.
    pub(crate) fn next_move(
        &mut self,
        input_hz: u32,
        chase: impl FnOnce() -> Option<(f32, f32)>,
    ) -> (f32, f32, bool) {
        self.n += 1;
        match self.behaviour {
            Behaviour::Idle => (0.0, 0.0, false),
            Behaviour::Circle => {
                let a = self.n as f32 / 10.0;
                (a.cos(), a.sin(), false)
            }
            Behaviour::Chase => match chase() {
                Some((dx, dy)) => (dx, dy, false),
                None => self.walk(input_hz),
            },
            Behaviour::RandomWalk | Behaviour::Churn | Behaviour::Chat => self.walk(input_hz),
        }
    }

    /// The gap between chat lines at `rate` lines per second, microseconds; `None` for bots
    /// that do not chat (or a rate of 0).
    pub(crate) fn chat_period_us(&self, rate: f64) -> Option<u64> {
        (self.behaviour.chats() && rate > 0.0 && rate.is_finite())
            .then(|| ((1e6 / rate) as u64).max(1))
    }

    fn walk(&mut self, input_hz: u32) -> (f32, f32, bool) {
        if self.turn_in == 0 {
            let a = self.rng.unit() * std::f64::consts::TAU;
            self.dir = (a.cos() as f32, a.sin() as f32);
            self.boost = self.rng.below(10) == 0;
            // About a second, give or take half.
            let hz = u64::from(input_hz.max(1));
            self.turn_in = (hz / 2 + self.rng.below(hz + 1)).max(1) as u32;
        }
        self.turn_in -= 1;
        (self.dir.0, self.dir.1, self.boost)
    }
}

/// Unit direction from the bot's own entity to the nearest pickup.
fn toward_nearest(me: u32, view: &View, p: PickupSchema) -> Option<(f32, f32)> {
    let mine = view.get(me)?;
    let (mx, my) = (mine.field(0) as f64, mine.field(1) as f64);
    let (tx, ty) = view
        .entities()
        .iter()
        .filter(|e| e.kind == p.kind)
        .map(|e| (e.field(p.x) as f64, e.field(p.y) as f64))
        .min_by(|a, b| {
            let d = |q: &(f64, f64)| (q.0 - mx).powi(2) + (q.1 - my).powi(2);
            d(a).total_cmp(&d(b))
        })?;
    let (dx, dy) = (tx - mx, ty - my);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return Some((0.0, 0.0));
    }
    Some(((dx / len) as f32, (dy / len) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::net::view::Ent;

    #[test]
    fn mixes_parse_and_print() {
        let m: BehaviourMix = "random-walk:70, chase:20,churn:10".parse().unwrap();
        assert_eq!(m.parts().len(), 3);
        assert_eq!(m.to_string(), "random-walk:70,chase:20,churn:10");
        assert_eq!("idle".parse::<BehaviourMix>().unwrap().to_string(), "idle");
        assert_eq!(
            "random_walk".parse::<BehaviourMix>().unwrap(),
            BehaviourMix::single(Behaviour::RandomWalk)
        );
        assert!("dance".parse::<BehaviourMix>().is_err());
        assert!("idle:0".parse::<BehaviourMix>().is_err());
        assert!("idle:x".parse::<BehaviourMix>().is_err());
    }

    #[test]
    fn picks_follow_weights_and_seed() {
        let m: BehaviourMix = "random-walk:3,idle:1".parse().unwrap();
        let picks: Vec<_> = (0..4000).map(|i| m.pick(7, i)).collect();
        let idle = picks.iter().filter(|b| **b == Behaviour::Idle).count();
        assert!((800..1200).contains(&idle), "{idle} of 4000 idle");
        let again: Vec<_> = (0..4000).map(|i| m.pick(7, i)).collect();
        assert_eq!(picks, again, "same seed, same behaviours");
        let other: Vec<_> = (0..4000).map(|i| m.pick(8, i)).collect();
        assert_ne!(picks, other);
    }

    #[test]
    fn random_walk_is_reproducible_and_unit_length() {
        let view = View::default();
        let run = |seed| {
            let mut p = Policy::new(Behaviour::RandomWalk, Rng::for_bot(seed, 3));
            (0..100).map(|_| p.next_input(20, 1, &view, None)).collect::<Vec<_>>()
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        for (dx, dy, _) in &a {
            assert!(((dx * dx + dy * dy) - 1.0).abs() < 1e-4);
        }
        // It turns: more than one direction in 100 inputs (5 s at 20 Hz).
        let mut dirs: Vec<_> = a.iter().map(|(x, y, _)| (x.to_bits(), y.to_bits())).collect();
        dirs.dedup();
        assert!(dirs.len() > 2);
    }

    #[test]
    fn chase_heads_for_the_nearest_pickup() {
        let schema = vec![
            EntityKindSchema { kind: "player".into(), fields: vec!["x".into(), "y".into()] },
            EntityKindSchema {
                kind: "pickup".into(),
                fields: vec!["x".into(), "y".into(), "value".into()],
            },
        ];
        let p = PickupSchema::from_schema(&schema).unwrap();
        let view = View::from_entities(
            1,
            vec![
                Ent::new(5, 0, &[100, 100]),
                Ent::new(1 << 31, 1, &[100, 900, 1]),
                Ent::new((1 << 31) + 1, 1, &[400, 100, 2]),
            ],
        );
        let mut pol = Policy::new(Behaviour::Chase, Rng::new(1));
        let (dx, dy, _) = pol.next_input(20, 5, &view, Some(p));
        assert!((dx - 1.0).abs() < 1e-6 && dy.abs() < 1e-6, "{dx},{dy}");
        // Without a view of itself it still moves (random walk).
        let (dx, dy, _) = pol.next_input(20, 99, &view, Some(p));
        assert!(dx != 0.0 || dy != 0.0);
    }

    #[test]
    fn chat_bots_walk_and_have_a_period() {
        let p = Policy::new(Behaviour::Chat, Rng::new(1));
        assert_eq!(p.chat_period_us(0.5), Some(2_000_000));
        assert_eq!(p.chat_period_us(0.0), None);
        assert_eq!(Policy::new(Behaviour::RandomWalk, Rng::new(1)).chat_period_us(0.5), None);
        assert!(Behaviour::Chat.sends_inputs() && Behaviour::Chat.chats());
        assert!(!Behaviour::Chase.chats());
        // A chat bot moves like a random walker.
        let view = View::default();
        let mut c = Policy::new(Behaviour::Chat, Rng::for_bot(1, 3));
        let mut w = Policy::new(Behaviour::RandomWalk, Rng::for_bot(1, 3));
        for _ in 0..50 {
            assert_eq!(c.next_input(20, 1, &view, None), w.next_input(20, 1, &view, None));
        }
    }

    #[test]
    fn idle_sends_nothing_and_only_churn_has_lifetimes() {
        assert!(!Behaviour::Idle.sends_inputs());
        assert!(Behaviour::Chase.sends_inputs());
        let mean = Duration::from_secs(10);
        let mut c = Policy::new(Behaviour::Churn, Rng::new(3));
        let lifetimes: Vec<_> = (0..2000).map(|_| c.connection_lifetime(mean).unwrap()).collect();
        let avg = lifetimes.iter().sum::<Duration>() / 2000;
        assert!(avg > Duration::from_secs(8) && avg < Duration::from_secs(12), "{avg:?}");
        let mut w = Policy::new(Behaviour::RandomWalk, Rng::new(3));
        assert_eq!(w.connection_lifetime(mean), None);
    }
}
