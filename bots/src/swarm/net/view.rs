//! A bot's copy of the lobby state, decoded and applied without allocating.
//!
//! State messages are 60% of what a bot handles, and decoding them through serde (a `Vec` per
//! field list, generic dispatch per value) was the largest user-space cost of a bot process.
//! Here a snapshot or delta is read straight from the MessagePack bytes ([`super::msgpack`])
//! into scratch buffers that are reused for every message, checked, and applied in place.
//!
//! The checks are those of [`crate::state::LocalState`] (which uses the protocol crate's
//! `WorldView::apply`); a test feeds both the same encoded messages and compares.

use super::msgpack::{Malformed, Reader};
use crate::state::{Applied, StateCheck};
use tickwave_protocol::{MAX_FIELDS, StateError};

/// Largest number of acks or entities a message may list (as the protocol crate's bound).
const MAX_LIST: usize = 1 << 16;

/// One entity: id, kind and up to eight integer fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ent {
    pub(crate) id: u32,
    pub(crate) kind: u8,
    len: u8,
    fields: [i32; MAX_FIELDS],
}

impl Ent {
    #[cfg(test)]
    pub(crate) fn new(id: u32, kind: u8, values: &[i32]) -> Self {
        let mut fields = [0; MAX_FIELDS];
        fields[..values.len()].copy_from_slice(values);
        Ent { id, kind, len: values.len() as u8, fields }
    }

    /// The entity's fields (the fuzz harness compares them with the protocol crate's).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn fields(&self) -> &[i32] {
        &self.fields[..usize::from(self.len)]
    }

    pub(crate) fn field(&self, i: usize) -> i32 {
        if i < usize::from(self.len) { self.fields[i] } else { 0 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Chg {
    id: u32,
    mask: u8,
    values: [i32; MAX_FIELDS],
}

/// Why a state message was refused.
#[derive(Debug)]
pub(crate) enum ViewError {
    Decode(Malformed),
    Check(StateCheck),
}

impl std::fmt::Display for ViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewError::Decode(e) => e.fmt(f),
            ViewError::Check(e) => e.fmt(f),
        }
    }
}

impl From<Malformed> for ViewError {
    fn from(e: Malformed) -> Self {
        ViewError::Decode(e)
    }
}

/// The state at the last applied tick, as one bot holds it. Only the bot's own ack is kept.
#[derive(Debug, Default)]
pub(crate) struct View {
    tick: Option<u64>,
    ents: Vec<Ent>,
    ack: Option<u64>,
}

/// Space for the message being decoded, shared by all the bots of a thread: it stays hot in
/// the cache, where per-bot buffers would each be a cache miss.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    added: Vec<Ent>,
    changed: Vec<Chg>,
    removed: Vec<u32>,
    ents: Vec<Ent>,
}

fn read_values(r: &mut Reader<'_>) -> Result<(u8, [i32; MAX_FIELDS]), Malformed> {
    let n = r.array_len()?;
    if n > MAX_FIELDS {
        return Err(Malformed("more than 8 fields"));
    }
    let mut out = [0; MAX_FIELDS];
    for v in out.iter_mut().take(n) {
        *v = r.int::<i32>()?;
    }
    Ok((n as u8, out))
}

fn read_triple_header(r: &mut Reader<'_>) -> Result<(), Malformed> {
    if r.array_len()? != 3 {
        return Err(Malformed("an entity or change is a 3-element array"));
    }
    Ok(())
}

fn read_ents(r: &mut Reader<'_>, out: &mut Vec<Ent>) -> Result<(), Malformed> {
    out.clear();
    let n = r.array_len()?;
    if n > MAX_LIST {
        return Err(Malformed("too many entities"));
    }
    for _ in 0..n {
        read_triple_header(r)?;
        let id = r.int::<u32>()?;
        let kind = r.int::<u8>()?;
        let (len, fields) = read_values(r)?;
        out.push(Ent { id, kind, len, fields });
    }
    Ok(())
}

/// Read the acks map; returns the ack of `me`, if listed.
fn read_acks(r: &mut Reader<'_>, me: u32) -> Result<Option<u64>, Malformed> {
    let n = r.map_len()?;
    if n > 1024 {
        return Err(Malformed("too many acks"));
    }
    let mut mine = None;
    for _ in 0..n {
        let k = r.int::<u32>()?;
        let v = r.int::<u64>()?;
        if k == me {
            mine = Some(v);
        }
    }
    Ok(mine)
}

impl View {
    pub(crate) fn tick(&self) -> Option<u64> {
        self.tick
    }

    pub(crate) fn entities(&self) -> &[Ent] {
        &self.ents
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Ent> {
        self.ents.binary_search_by_key(&id, |e| e.id).ok().map(|i| &self.ents[i])
    }

    /// The last input sequence number the server applied for the bot's player.
    pub(crate) fn ack(&self) -> Option<u64> {
        self.ack
    }

    /// Forget everything (a new lobby).
    pub(crate) fn reset(&mut self) {
        self.tick = None;
        self.ents.clear();
        self.ack = None;
    }

    #[cfg(test)]
    pub(crate) fn from_entities(tick: u64, mut ents: Vec<Ent>) -> Self {
        ents.sort_by_key(|e| e.id);
        View { tick: Some(tick), ents, ..View::default() }
    }

    /// Decode a `snapshot` (whose `"type"` the caller has read) and replace the state; `me`
    /// is the bot's player, whose ack is kept.
    pub(crate) fn apply_snapshot(
        &mut self,
        bytes: &[u8],
        me: u32,
        sc: &mut Scratch,
    ) -> Result<Applied, ViewError> {
        let mut r = Reader::new(bytes);
        let (mut tick, mut acks, mut ents) = (None, None, false);
        for _ in 0..r.map_len()? {
            match r.str()? {
                "tick" => tick = Some(r.int::<u64>()?),
                "acks" => acks = Some(read_acks(&mut r, me)?),
                "entities" => {
                    read_ents(&mut r, &mut sc.ents)?;
                    ents = true;
                }
                _ => r.skip()?,
            }
        }
        let (Some(tick), Some(ack), true) = (tick, acks, ents) else {
            return Err(Malformed("snapshot without tick, acks or entities").into());
        };
        // The protocol crate refuses repeated ids while decoding.
        sc.ents.sort_unstable_by_key(|e| e.id);
        if sc.ents.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(Malformed("repeated entity id").into());
        }
        if let Some(t) = self.tick.filter(|t| tick < *t) {
            return Err(ViewError::Check(StateCheck::Backwards { from: t, to: tick }));
        }
        let missed = self.tick.map_or(0, |t| tick.saturating_sub(t + 1));
        self.ents.clear();
        self.ents.extend_from_slice(&sc.ents);
        self.ack = ack;
        self.tick = Some(tick);
        Ok(Applied { tick, missed, snapshot: true })
    }

    /// Decode a `delta`, check it against the state held and apply it in place. On any error
    /// the state is unchanged.
    pub(crate) fn apply_delta(
        &mut self,
        bytes: &[u8],
        me: u32,
        sc: &mut Scratch,
    ) -> Result<Applied, ViewError> {
        let mut r = Reader::new(bytes);
        let (mut tick, mut base) = (None, None);
        let mut ack = None;
        let mut seen = 0u8;
        for _ in 0..r.map_len()? {
            match r.str()? {
                "tick" => tick = Some(r.int::<u64>()?),
                "base" => base = Some(r.int::<u64>()?),
                "acks" => {
                    ack = read_acks(&mut r, me)?;
                    seen |= 1;
                }
                "added" => {
                    read_ents(&mut r, &mut sc.added)?;
                    seen |= 2;
                }
                "changed" => {
                    sc.changed.clear();
                    let n = r.array_len()?;
                    if n > MAX_LIST {
                        return Err(Malformed("too many changes").into());
                    }
                    for _ in 0..n {
                        read_triple_header(&mut r)?;
                        let id = r.int::<u32>()?;
                        let mask = r.int::<u8>()?;
                        let (len, values) = read_values(&mut r)?;
                        if mask.count_ones() != u32::from(len) {
                            return Err(Malformed("change mask and values disagree").into());
                        }
                        sc.changed.push(Chg { id, mask, values });
                    }
                    seen |= 4;
                }
                "removed" => {
                    sc.removed.clear();
                    let n = r.array_len()?;
                    if n > MAX_LIST {
                        return Err(Malformed("too many removals").into());
                    }
                    for _ in 0..n {
                        sc.removed.push(r.int::<u32>()?);
                    }
                    seen |= 8;
                }
                _ => r.skip()?,
            }
        }
        let (Some(tick), Some(base), 15) = (tick, base, seen) else {
            return Err(
                Malformed("delta without tick, base, acks, added, changed or removed").into()
            );
        };
        match self.tick {
            Some(t) if tick <= t => {
                return Err(ViewError::Check(StateCheck::Backwards { from: t, to: tick }));
            }
            Some(t) if t == base => {}
            held => return Err(ViewError::Check(StateCheck::BaseMismatch { base, held })),
        }
        self.check_delta(sc).map_err(|e| ViewError::Check(StateCheck::Apply(e)))?;
        // Checked: apply in place.
        if !sc.removed.is_empty() {
            let removed = &sc.removed;
            self.ents.retain(|e| removed.binary_search(&e.id).is_err());
        }
        for c in &sc.changed {
            let i = self.ents.binary_search_by_key(&c.id, |e| e.id).expect("checked above");
            let e = &mut self.ents[i];
            let mut vals = c.values.iter();
            for k in 0..usize::from(e.len) {
                if c.mask & (1 << k) != 0 {
                    e.fields[k] = *vals.next().expect("count checked");
                }
            }
        }
        if !sc.added.is_empty() {
            self.ents.extend_from_slice(&sc.added);
            self.ents.sort_unstable_by_key(|e| e.id);
        }
        self.ack = ack;
        self.tick = Some(tick);
        Ok(Applied { tick, missed: tick - base - 1, snapshot: false })
    }

    /// The checks of `WorldView::apply`, without changing anything.
    fn check_delta(&self, sc: &mut Scratch) -> Result<(), StateError> {
        let held = |id: u32| self.ents.binary_search_by_key(&id, |e| e.id).ok();
        sc.removed.sort_unstable();
        if !sc.changed.windows(2).all(|w| w[0].id < w[1].id) {
            sc.changed.sort_unstable_by_key(|c| c.id);
            if let Some(w) = sc.changed.windows(2).find(|w| w[0].id == w[1].id) {
                return Err(StateError::UnknownEntity(w[1].id));
            }
        }
        let removed = &sc.removed;
        let is_removed = |id: u32| removed.binary_search(&id).is_ok();
        for c in &sc.changed {
            let i = match held(c.id) {
                Some(i) if !is_removed(c.id) => i,
                _ => return Err(StateError::UnknownEntity(c.id)),
            };
            let len = self.ents[i].len;
            if u32::from(c.mask) >> len != 0 {
                return Err(StateError::FieldOutOfRange { id: c.id, mask: c.mask, len });
            }
        }
        for id in removed {
            if held(*id).is_none() {
                return Err(StateError::UnknownEntity(*id));
            }
        }
        for a in &sc.added {
            if held(a.id).is_some() && !is_removed(a.id) {
                return Err(StateError::DuplicateEntity(a.id));
            }
        }
        if sc.added.len() > 1 {
            sc.added.sort_unstable_by_key(|a| a.id);
            if sc.added.windows(2).any(|w| w[0].id == w[1].id) {
                return Err(StateError::Unsorted);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::LocalState;
    use crate::swarm::rng::Rng;
    use tickwave_protocol::{Entity, WorldView, encode_delta, encode_snapshot};

    fn random_view(rng: &mut Rng) -> WorldView {
        let mut es = Vec::new();
        for id in 0..40u32 {
            if rng.below(3) > 0 {
                let n = rng.below(MAX_FIELDS as u64 + 1) as usize;
                let vals: Vec<i32> = (0..n).map(|_| rng.below(2000) as i32 - 1000).collect();
                es.push(Entity::new(id, (id % 3) as u8, &vals));
            }
        }
        WorldView::from_entities(es).unwrap()
    }

    fn same(view: &View, wv: &WorldView) {
        assert_eq!(view.entities().len(), wv.len());
        for (a, b) in view.entities().iter().zip(wv.entities()) {
            assert_eq!((a.id, a.kind), (b.id, b.kind));
            assert_eq!(&a.fields[..usize::from(a.len)], b.fields());
        }
    }

    /// The fast view and the protocol crate's state agree on every message of a random run,
    /// including refusals.
    #[test]
    fn agrees_with_the_protocol_crate() {
        let mut rng = Rng::new(42);
        for _ in 0..200 {
            let (mut view, mut local) = (View::default(), LocalState::default());
            let mut sc = Scratch::default();
            let mut prev = random_view(&mut rng);
            let acks = [(3u32, 9u64), (1, 4)];
            let snap = encode_snapshot(5, &acks, &prev);
            view.apply_snapshot(&snap, 3, &mut sc).unwrap();
            local.apply_snapshot(rmp_serde::from_slice(&snap).unwrap()).unwrap();
            same(&view, &local.view);
            assert_eq!(view.ack(), Some(9));
            for tick in 6..12u64 {
                let next = random_view(&mut rng);
                // Sometimes a delta against the wrong base, or against another view.
                let (base, from) = match rng.below(10) {
                    0 => (tick - 2, prev.clone()),
                    1 => (tick - 1, random_view(&mut rng)),
                    _ => (tick - 1, prev.clone()),
                };
                let d = encode_delta(tick, base, &acks, &from.diff(&next));
                let ours = view.apply_delta(&d, 3, &mut sc);
                let theirs = local.apply_delta(rmp_serde::from_slice(&d).unwrap());
                match (&ours, &theirs) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(ViewError::Check(a)), Err(b)) => {
                        assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b))
                    }
                    other => panic!("disagree: {other:?}"),
                }
                same(&view, &local.view);
                assert_eq!(view.tick(), local.tick);
                assert_eq!(view.ack(), local.ack(3));
                if ours.is_ok() {
                    prev = next;
                }
            }
        }
    }

    #[test]
    fn malformed_messages_are_decode_errors() {
        let wv = WorldView::from_entities(vec![Entity::new(1, 0, &[1])]).unwrap();
        let good = encode_snapshot(1, &[], &wv);
        let mut v = View::default();
        let sc = &mut Scratch::default();
        for cut in 0..good.len() {
            assert!(matches!(v.apply_snapshot(&good[..cut], 1, sc), Err(ViewError::Decode(_))));
        }
        assert!(v.apply_snapshot(&good, 1, sc).is_ok());
        // A map missing fields.
        let b =
            rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("tick", 3u64)])).unwrap();
        assert!(matches!(v.apply_delta(&b, 1, sc), Err(ViewError::Decode(_))));
        assert!(matches!(v.apply_snapshot(&b, 1, sc), Err(ViewError::Decode(_))));
        assert_eq!(v.tick(), Some(1));
    }
}
