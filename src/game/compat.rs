//! Games written against the v1 [`Game`] trait, run by the v2 lobby.
//!
//! Why an adapter instead of two lobby cores: the lobby drives one object-safe game,
//! [`DynGame`], so a v1 game gets a v2 schema made from its own (every field an `i32`, the
//! input `dx`, `dy` clamped to -1..=1 and `action`), and its view is copied into the lobby's
//! typed [`View`] each tick. Such a layout is also what a protocol-1 client can be sent
//! ([`v1_schema`]), which keeps version 1 clients playing during the transition.

use super::v2::schema::{FieldType, KindId, Layout, Schema, ValueRef, View, ViewError};
use super::v2::{DynGame, JoinRefusal, MatchCtx, PlayerRecord, Refusal, Reply, SetupError};
use super::{Game, GameSettings, Input, WorldView};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use tickwave_protocol::v2::{
    CommandFrame, FieldSchema, FieldValues, Fields, InputError, InputFrame, decode_input,
    encode_input,
};
use tickwave_protocol::{EntityKindSchema, MAX_FIELDS};

/// The v1 input (`dx`, `dy`, `action`) as the fields of a v2 input.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct V1Input {
    /// Steering, -1..=1 (clamped).
    pub dx: f32,
    /// Steering, -1..=1 (clamped).
    pub dy: f32,
    /// The one button.
    pub action: bool,
}

struct V1Adapter {
    game: Box<dyn Game>,
    layout: Arc<Layout>,
    kinds: Vec<KindId>,
    /// The v1 game writes here; the adapter copies it into the lobby's view. A `RefCell`
    /// because `view` takes `&self` (the v1 `view` needs a `&mut WorldView` of its own).
    scratch: RefCell<WorldView>,
}

/// Wrap a v1 game: its schema is asked once, here.
pub fn wrap_v1(
    game: Box<dyn Game>,
    lobby: GameSettings,
) -> Result<(Box<dyn DynGame>, MatchCtx), SetupError> {
    let name = game.name();
    let schema_error = |error| SetupError::Schema { game: name, error: Box::new(error) };
    let mut b = Schema::builder();
    for k in game.schema() {
        let fields =
            k.fields.iter().map(|f| FieldSchema::new(f.as_str(), FieldType::I32)).collect();
        b = b.kind_fields(&k.kind, fields);
    }
    let schema = b
        .input::<V1Input>(|i| i.clamp("dx", -1.0, 1.0).clamp("dy", -1.0, 1.0))
        .build()
        .map_err(schema_error)?;
    let layout = Arc::new(Layout::new(schema).map_err(schema_error)?);
    let kinds = (0..layout.kind_count()).filter_map(|i| layout.kind_at(i)).collect();
    let ctx = MatchCtx::new(layout.clone(), lobby.seed, lobby.tick_hz);
    let adapter = V1Adapter { game, layout, kinds, scratch: RefCell::new(WorldView::new()) };
    Ok((Box::new(adapter), ctx))
}

/// The v1 form of a layout, if a protocol-1 client can be sent its state and can drive its
/// input: every kind has at most [`MAX_FIELDS`] fields, all `i32` and none private, and the
/// input has only `dx`, `dy` (floats) and `action` (bool). Globals, commands and events are
/// simply not seen by v1 clients; a game that needs them to be played should not be
/// offered to them, so any command or event also makes a layout v2-only.
pub fn v1_schema(layout: &Layout) -> Option<Vec<EntityKindSchema>> {
    let s = layout.schema();
    if !s.commands.is_empty() || !s.events.is_empty() || !s.globals.is_empty() {
        return None;
    }
    let input_ok = s.input.iter().all(|f| match f.name.as_str() {
        "dx" | "dy" => matches!(f.ty, FieldType::F32 | FieldType::F64),
        "action" => f.ty == FieldType::Bool,
        _ => false,
    });
    let kinds_ok = s.kinds.iter().all(|k| {
        k.fields.len() <= MAX_FIELDS
            && k.fields.iter().all(|f| f.ty == FieldType::I32 && f.private.is_none())
    });
    (input_ok && kinds_ok).then(|| {
        s.kinds
            .iter()
            .map(|k| EntityKindSchema {
                kind: k.kind.clone(),
                fields: k.fields.iter().map(|f| f.name.clone()).collect(),
            })
            .collect()
    })
}

/// A v1 client's input as the v2 fields of a v1-compatible layout's input.
pub fn v1_input_values(input: &Input) -> V1Input {
    V1Input { dx: input.dx, dy: input.dy, action: input.action }
}

/// A v1 `input` as a validated frame of `layout`'s input fields, checked (and clamped)
/// exactly as a protocol-2 `input` with the same values would be.
pub fn v1_input_frame(layout: &Layout, input: &Input) -> Result<InputFrame, InputError> {
    let bytes = encode_input(input.seq, None, &v1_input_values(input))
        .expect("a flat struct of two floats and a bool encodes");
    decode_input(layout.input(), &bytes)
}

/// Convert a v2 view of a v1-compatible layout ([`v1_schema`]) into a v1 view.
pub fn to_v1_view(view: &View, out: &mut WorldView) {
    out.clear();
    let mut fields = [0i32; MAX_FIELDS];
    for e in view.entities() {
        let n = e.len().min(MAX_FIELDS);
        for (i, v) in e.values().take(n).enumerate() {
            fields[i] = v.as_i64().unwrap_or(0) as i32;
        }
        let kind = u8::try_from(e.kind().index()).unwrap_or(u8::MAX);
        out.push(tickwave_protocol::Entity::new(e.id(), kind, &fields[..n]));
    }
    // From a finished view: sorted and unique.
    let _ = out.finish();
}

fn input_of(fields: &Fields, values: &FieldValues) -> Input {
    let f = |name: &str| fields.index_of(name).and_then(|i| values.get(fields, i));
    let num = |name| f(name).and_then(|v| v.as_f64()).unwrap_or(0.0) as f32;
    Input {
        seq: 0,
        dx: num("dx"),
        dy: num("dy"),
        action: f("action").and_then(|v| v.as_bool()).unwrap_or(false),
    }
}

impl DynGame for V1Adapter {
    fn name(&self) -> &'static str {
        self.game.name()
    }

    fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    fn join(&mut self, ctx: &mut MatchCtx, player: &PlayerRecord) -> Result<(), JoinRefusal> {
        ctx.add_player(player.clone());
        self.game.add_player(player.id);
        Ok(())
    }

    fn leave(&mut self, ctx: &mut MatchCtx, player: u32) {
        self.game.remove_player(player);
        ctx.remove_player(player);
    }

    fn disconnected(&mut self, _: &mut MatchCtx, _: u32) {}

    fn resumed(&mut self, _: &mut MatchCtx, _: u32) {}

    fn input(&mut self, _: &mut MatchCtx, player: u32, frame: &InputFrame) {
        // A v1 game sees the sequence number too (v1's `Input` has it).
        let input = Input { seq: frame.seq, ..input_of(self.layout.input(), &frame.values) };
        self.game.apply_input(player, &input);
    }

    fn command(&mut self, _: &mut MatchCtx, _: u32, _: &CommandFrame) -> Result<Reply, Refusal> {
        Err(Refusal::new("unknown_command", "this game takes no commands"))
    }

    fn start(&mut self, _: &mut MatchCtx) {
        self.game.start_match();
    }

    fn step(&mut self, _: &mut MatchCtx) {
        self.game.step();
    }

    /// v1 games are public: every entity is everyone's.
    fn scope(&self, _: &MatchCtx, _: &mut crate::game::v2::scope::Scopes) {}

    fn view(&self, out: &mut View) -> Result<(), ViewError> {
        let mut scratch = self.scratch.borrow_mut();
        scratch.clear();
        self.game.view(&mut scratch);
        let mut values = [ValueRef::Int(0); MAX_FIELDS];
        for e in scratch.entities() {
            let Some(&kind) = self.kinds.get(usize::from(e.kind)) else {
                return Err(ViewError::UnknownKind { id: e.id, kind: format!("#{}", e.kind) });
            };
            let n = e.fields().len().min(MAX_FIELDS);
            for (slot, f) in values.iter_mut().zip(e.fields()) {
                *slot = ValueRef::Int(i64::from(*f));
            }
            out.push_values(e.id, kind, &values[..n])?;
        }
        Ok(())
    }

    fn scores(&self) -> Vec<(u32, i64)> {
        self.game.scores()
    }

    fn filter_chat<'a>(&mut self, player: u32, text: &'a str) -> Option<Cow<'a, str>> {
        self.game.filter_chat(player, text)
    }

    fn summary(&self) -> serde_json::Value {
        self.game.summary()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::arena::Arena;

    fn lobby() -> GameSettings {
        GameSettings { seed: 3, tick_hz: 30, max_players: 4 }
    }

    #[test]
    fn a_v1_game_keeps_its_state_through_the_adapter() {
        let (mut g, mut ctx) = wrap_v1(Box::new(Arena::new(lobby())), lobby()).unwrap();
        let layout = g.layout().clone();
        let v1 = v1_schema(&layout).expect("the v1 arena is v1-compatible");
        let mut direct = Arena::new(lobby());
        assert_eq!(v1, Game::schema(&direct));
        g.join(&mut ctx, &PlayerRecord { id: 1, ..Default::default() }).unwrap();
        direct.add_player(1);
        let frame = tickwave_protocol::v2::decode_input(
            layout.input(),
            &tickwave_protocol::v2::encode_input(
                1,
                None,
                &V1Input { dx: 3.0, dy: -0.5, action: true },
            )
            .unwrap(),
        )
        .unwrap();
        g.input(&mut ctx, 1, &frame);
        direct.apply_input(1, &Input { seq: 1, dx: 1.0, dy: -0.5, action: true });
        for _ in 0..5 {
            g.step(&mut ctx);
            direct.step();
        }
        let mut view = View::new(layout);
        g.view(&mut view).unwrap();
        view.finish().unwrap();
        let (mut got, mut want) = (WorldView::new(), WorldView::new());
        to_v1_view(&view, &mut got);
        direct.view(&mut want);
        want.finish().unwrap();
        assert_eq!(got.entities(), want.entities());
    }

    #[test]
    fn typed_layouts_are_not_v1_compatible() {
        let b = Schema::builder().kind_fields("x", vec![FieldSchema::new("name", FieldType::Str)]);
        let layout = Layout::new(b.build().unwrap()).unwrap();
        assert!(v1_schema(&layout).is_none());
    }
}
