//! Per-audience views (issue 16): derive what one player, team or spectator sees from the
//! full world, reusing the target's buffers, so a lobby encodes once per distinct view.

use super::layout::KindId;
use super::value::copy_slot;
use super::view::{EntityRef, Header, View};
use std::sync::Arc;

/// What a projection rule decides for one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The entity is not in the audience's view (a client sees it removed if it had it).
    Hidden,
    /// The entity is in the view; fields whose bit is set in `hide` are `nil`. Only private
    /// fields can be hidden: bits of other fields are ignored, so a rule cannot hide what
    /// the schema told clients is always present.
    Shown { hide: u32 },
}

impl Visibility {
    /// In the view with every field.
    pub const SHOWN: Visibility = Visibility::Shown { hide: 0 };
}

impl View {
    /// Derive an audience's view from this one (normally the full world) into `out`, reusing
    /// `out`'s buffers: for each entity `rule` decides whether it is visible and which
    /// private fields are hidden. Hidden values are never copied (their slots are 0), so a
    /// bug further down cannot leak them. Globals are copied as they are.
    pub fn project_into(&self, out: &mut View, mut rule: impl FnMut(EntityRef<'_>) -> Visibility) {
        self.assert_finished();
        if !Arc::ptr_eq(&self.layout, &out.layout) {
            out.layout = self.layout.clone();
        }
        out.clear();
        let (src, dst) = (&self.live, &mut out.live);
        let g = self.layout.globals();
        for (i, slot) in src.globals.iter().enumerate() {
            dst.globals[i] = copy_slot(g.ty(i), *slot, &src.arena, &mut dst.arena);
        }
        for h in &src.headers {
            let hide = match rule(self.entity(h)) {
                Visibility::Hidden => continue,
                Visibility::Shown { hide } => hide,
            };
            let f = self.layout.kind(KindId(h.kind));
            let hidden = h.hidden | (hide & f.hideable_mask());
            let offset = dst.slots.len() as u32;
            for (i, slot) in src.entity_slots(h, f.len()).iter().enumerate() {
                let s = if hidden & (1 << i) != 0 {
                    0
                } else {
                    copy_slot(f.ty(i), *slot, &src.arena, &mut dst.arena)
                };
                dst.slots.push(s);
            }
            dst.headers.push(Header { id: h.id, kind: h.kind, offset, hidden });
        }
    }

    /// [`View::project_into`] into a new view.
    pub fn project(&self, rule: impl FnMut(EntityRef<'_>) -> Visibility) -> View {
        let mut out = View::new(self.layout.clone());
        self.project_into(&mut out, rule);
        out
    }
}
