//! Client-side decoders of the v2 server messages.
//!
//! State messages decode without the schema into a [`Delta`] whose values keep their
//! MessagePack types (any int width is an int, float32 and float64 stay apart, nil is nil);
//! [`View::apply`](super::View::apply) / [`View::apply_snapshot`](super::View::apply_snapshot)
//! then check them against the schema. The decoders check the structure: required keys
//! present and not repeated, ids strictly ascending in `added`, `changed` and `removed`, one
//! value per mask bit, at most 32 values per entity. Unknown keys are skipped, so a later
//! server may add members (the protocol's extension policy).

use super::delta::{Added, Changed, Delta};
use super::layout::{EventId, Layout, full_mask};
use super::read::{Reader, WireError};
use super::schema::MAX_FIELDS;
use super::value::{Value, ValueFault, store};

/// Most acks a decoder accepts: a lobby never has more players.
const MAX_ACKS: usize = 1024;

/// A decoded `snapshot`: `state` holds every entity as added and every global.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotMsg {
    pub tick: u64,
    /// Sorted by player id.
    pub acks: Vec<(u32, u64)>,
    pub state: Delta,
}

/// A decoded `delta`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaMsg {
    pub tick: u64,
    /// The tick of the state this delta applies to (the previous state message's tick, which
    /// is not `tick - 1` when the mode's send_hz is below its tick_hz).
    pub base: u64,
    /// Sorted by player id.
    pub acks: Vec<(u32, u64)>,
    pub delta: Delta,
}

/// A decoded `event`: `data` in the order it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMsg {
    pub tick: u64,
    pub name: String,
    pub data: Vec<(String, Value)>,
}

/// The outcome in a decoded `command_result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    /// `value` as raw MessagePack (one value), for `rmp_serde::from_slice` into the client's
    /// own type; `None` when the server sent none.
    Ok(Option<Vec<u8>>),
    Err {
        code: String,
        message: String,
    },
}

/// A decoded `command_result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResultMsg {
    pub id: u32,
    pub outcome: CommandOutcome,
}

/// Tracks which known keys were seen, to refuse repeats and report missing ones.
struct Keys(u32);

impl Keys {
    fn see(&mut self, bit: u32, key: &str) -> Result<(), WireError> {
        if self.0 & bit != 0 {
            return Err(WireError::DuplicateKey(key.to_owned()));
        }
        self.0 |= bit;
        Ok(())
    }

    fn need(&self, bit: u32, key: &'static str) -> Result<(), WireError> {
        if self.0 & bit == 0 { Err(WireError::Missing(key)) } else { Ok(()) }
    }
}

fn message_type(r: &mut Reader<'_>, expected: &'static str) -> Result<(), WireError> {
    let t = r.str("type")?;
    if t != expected {
        return Err(WireError::WrongType { expected, found: t.to_owned() });
    }
    Ok(())
}

fn acks(r: &mut Reader<'_>) -> Result<Vec<(u32, u64)>, WireError> {
    let n = r.map_len("acks")?;
    if n > MAX_ACKS {
        return Err(WireError::TooMany { at: "acks", max: MAX_ACKS });
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((r.u32("acks key")?, r.uint("acks value")?));
    }
    out.sort_unstable();
    Ok(out)
}

fn values(r: &mut Reader<'_>, at: &'static str, d: &mut Delta) -> Result<u32, WireError> {
    let n = r.array_len(at)?;
    if n > MAX_FIELDS {
        return Err(WireError::TooMany { at, max: MAX_FIELDS });
    }
    for _ in 0..n {
        let v = r.val(at, &mut d.arena)?;
        d.values.push(v);
    }
    Ok(n as u32)
}

fn ascending(list: &'static str, last: &mut Option<u32>, id: u32) -> Result<(), WireError> {
    if last.is_some_and(|l| id <= l) {
        return Err(WireError::Unsorted { list, id });
    }
    *last = Some(id);
    Ok(())
}

/// `[[id, kind, [v...]], ...]` into `d.added`.
fn entities(r: &mut Reader<'_>, at: &'static str, d: &mut Delta) -> Result<(), WireError> {
    let n = r.array_len(at)?;
    d.added.reserve(n);
    let mut last = None;
    for _ in 0..n {
        if r.array_len(at)? != 3 {
            return Err(WireError::Unexpected {
                at,
                expected: "[id, kind, values]",
                found: "another array",
            });
        }
        let id = r.u32(at)?;
        ascending(at, &mut last, id)?;
        let kind = u16::try_from(r.uint(at)?).map_err(|_| WireError::IntRange { at })?;
        let offset = d.values.len() as u32;
        let len = values(r, at, d)?;
        d.added.push(Added { id, kind, offset, len });
    }
    Ok(())
}

/// Decode a `snapshot` message.
pub fn decode_snapshot(bytes: &[u8]) -> Result<SnapshotMsg, WireError> {
    const TYPE: u32 = 1;
    const TICK: u32 = 2;
    const ACKS: u32 = 4;
    const GLOBALS: u32 = 8;
    const ENTITIES: u32 = 16;
    let mut r = Reader::new(bytes);
    let n = r.map_len("snapshot")?;
    let (mut keys, mut tick, mut ack) = (Keys(0), 0, Vec::new());
    let mut state = Delta::default();
    for _ in 0..n {
        let key = r.str("key")?;
        match key {
            "type" => {
                keys.see(TYPE, key)?;
                message_type(&mut r, "snapshot")?;
            }
            "tick" => {
                keys.see(TICK, key)?;
                tick = r.uint("tick")?;
            }
            "acks" => {
                keys.see(ACKS, key)?;
                ack = acks(&mut r)?;
            }
            "globals" => {
                keys.see(GLOBALS, key)?;
                state.globals_offset = state.values.len() as u32;
                let k = values(&mut r, "globals", &mut state)?;
                state.globals_mask = full_mask(k as usize);
            }
            "entities" => {
                keys.see(ENTITIES, key)?;
                entities(&mut r, "entities", &mut state)?;
            }
            _ => r.skip(1)?,
        }
    }
    r.end()?;
    keys.need(TYPE, "type")?;
    keys.need(TICK, "tick")?;
    keys.need(ACKS, "acks")?;
    keys.need(GLOBALS, "globals")?;
    keys.need(ENTITIES, "entities")?;
    Ok(SnapshotMsg { tick, acks: ack, state })
}

fn change(r: &mut Reader<'_>, at: &'static str, d: &mut Delta) -> Result<(u32, u32), WireError> {
    let mask = r.u32(at)?;
    let offset = d.values.len() as u32;
    let got = values(r, at, d)? as usize;
    let need = mask.count_ones() as usize;
    if got != need {
        return Err(WireError::MaskMismatch { at, mask, need, got });
    }
    Ok((mask, offset))
}

/// Decode a `delta` message.
pub fn decode_delta(bytes: &[u8]) -> Result<DeltaMsg, WireError> {
    const TYPE: u32 = 1;
    const TICK: u32 = 2;
    const BASE: u32 = 4;
    const ACKS: u32 = 8;
    const GLOBALS: u32 = 16;
    const ADDED: u32 = 32;
    const CHANGED: u32 = 64;
    const REMOVED: u32 = 128;
    let mut r = Reader::new(bytes);
    let n = r.map_len("delta")?;
    let (mut keys, mut tick, mut base, mut ack) = (Keys(0), 0, 0, Vec::new());
    let mut d = Delta::default();
    for _ in 0..n {
        let key = r.str("key")?;
        match key {
            "type" => {
                keys.see(TYPE, key)?;
                message_type(&mut r, "delta")?;
            }
            "tick" => {
                keys.see(TICK, key)?;
                tick = r.uint("tick")?;
            }
            "base" => {
                keys.see(BASE, key)?;
                base = r.uint("base")?;
            }
            "acks" => {
                keys.see(ACKS, key)?;
                ack = acks(&mut r)?;
            }
            "globals" => {
                keys.see(GLOBALS, key)?;
                if r.array_len("globals")? != 2 {
                    let (expected, found) = ("[mask, values]", "another array");
                    return Err(WireError::Unexpected { at: "globals", expected, found });
                }
                let (mask, offset) = change(&mut r, "globals", &mut d)?;
                d.globals_mask = mask;
                d.globals_offset = offset;
            }
            "added" => {
                keys.see(ADDED, key)?;
                entities(&mut r, "added", &mut d)?;
            }
            "changed" => {
                keys.see(CHANGED, key)?;
                let k = r.array_len("changed")?;
                let mut last = None;
                for _ in 0..k {
                    if r.array_len("changed")? != 3 {
                        let (expected, found) = ("[id, mask, values]", "another array");
                        return Err(WireError::Unexpected { at: "changed", expected, found });
                    }
                    let id = r.u32("changed")?;
                    ascending("changed", &mut last, id)?;
                    let (mask, offset) = change(&mut r, "changed", &mut d)?;
                    d.changed.push(Changed { id, mask, offset });
                }
            }
            "removed" => {
                keys.see(REMOVED, key)?;
                let k = r.array_len("removed")?;
                let mut last = None;
                for _ in 0..k {
                    let id = r.u32("removed")?;
                    ascending("removed", &mut last, id)?;
                    d.removed.push(id);
                }
            }
            _ => r.skip(1)?,
        }
    }
    r.end()?;
    for (bit, key) in [
        (TYPE, "type"),
        (TICK, "tick"),
        (BASE, "base"),
        (ACKS, "acks"),
        (ADDED, "added"),
        (CHANGED, "changed"),
        (REMOVED, "removed"),
    ] {
        keys.need(bit, key)?;
    }
    Ok(DeltaMsg { tick, base, acks: ack, delta: d })
}

/// Decode an `event` message.
pub fn decode_event(bytes: &[u8]) -> Result<EventMsg, WireError> {
    let mut r = Reader::new(bytes);
    let n = r.map_len("event")?;
    let (mut keys, mut tick, mut name, mut data) = (Keys(0), 0, String::new(), Vec::new());
    for _ in 0..n {
        let key = r.str("key")?;
        match key {
            "type" => {
                keys.see(1, key)?;
                message_type(&mut r, "event")?;
            }
            "tick" => {
                keys.see(2, key)?;
                tick = r.uint("tick")?;
            }
            "name" => {
                keys.see(4, key)?;
                name = r.str("name")?.to_owned();
            }
            "data" => {
                keys.see(8, key)?;
                let k = r.map_len("data")?;
                if k > MAX_FIELDS {
                    return Err(WireError::TooMany { at: "data", max: MAX_FIELDS });
                }
                let mut arena = Vec::new();
                for _ in 0..k {
                    let field = r.str("data key")?.to_owned();
                    arena.clear();
                    let v = r.val("data", &mut arena)?.get(&arena).to_owned();
                    data.push((field, v));
                }
            }
            _ => r.skip(1)?,
        }
    }
    r.end()?;
    for (bit, key) in [(1, "type"), (2, "tick"), (4, "name"), (8, "data")] {
        keys.need(bit, key)?;
    }
    Ok(EventMsg { tick, name, data })
}

/// Why a decoded event does not match the schema.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventCheckError {
    #[error("event `{0}` is not in the schema")]
    UnknownEvent(String),
    #[error("event `{event}` field `{field}`: {problem}")]
    Field { event: String, field: String, problem: String },
}

impl EventMsg {
    /// Check the event against the schema: a declared name, every declared field exactly
    /// once (in any order), nothing else, each value of its field's type and limits.
    pub fn check(&self, layout: &Layout) -> Result<EventId, EventCheckError> {
        let id = layout
            .event_id(&self.name)
            .ok_or_else(|| EventCheckError::UnknownEvent(self.name.clone()))?;
        let f = layout.event_fields(id);
        let bad = |field: &str, problem: String| EventCheckError::Field {
            event: self.name.clone(),
            field: field.to_owned(),
            problem,
        };
        let mut seen = 0u32;
        let mut scratch = Vec::new();
        for (name, v) in &self.data {
            let i = f.index_of(name).ok_or_else(|| bad(name, "not in the schema".into()))?;
            if seen & (1 << i) != 0 {
                return Err(bad(name, "given twice".into()));
            }
            seen |= 1 << i;
            let fault = match v.as_ref() {
                super::ValueRef::Nil => Some(ValueFault::NotPrivate),
                v => store(&f.specs[i], v, &mut scratch).err(),
            };
            if let Some(fault) = fault {
                return Err(bad(name, fault.to_string()));
            }
        }
        if let Some(i) = (0..f.len()).find(|i| seen & (1 << i) == 0) {
            return Err(bad(f.name(i), "missing".into()));
        }
        Ok(id)
    }
}

/// Decode a `command_result` message.
pub fn decode_command_result(bytes: &[u8]) -> Result<CommandResultMsg, WireError> {
    let mut r = Reader::new(bytes);
    let n = r.map_len("command_result")?;
    let mut keys = Keys(0);
    let (mut id, mut okv, mut value) = (0, false, None);
    let (mut code, mut message) = (String::new(), String::new());
    for _ in 0..n {
        let key = r.str("key")?;
        match key {
            "type" => {
                keys.see(1, key)?;
                message_type(&mut r, "command_result")?;
            }
            "id" => {
                keys.see(2, key)?;
                id = r.u32("id")?;
            }
            "ok" => {
                keys.see(4, key)?;
                okv = r.bool("ok")?;
            }
            "value" => {
                keys.see(8, key)?;
                let start = r.pos;
                r.skip(1)?;
                value = Some(r.bytes()[start..r.pos].to_vec());
            }
            "code" => {
                keys.see(16, key)?;
                code = r.str("code")?.to_owned();
            }
            "message" => {
                keys.see(32, key)?;
                message = r.str("message")?.to_owned();
            }
            _ => r.skip(1)?,
        }
    }
    r.end()?;
    for (bit, key) in [(1, "type"), (2, "id"), (4, "ok")] {
        keys.need(bit, key)?;
    }
    let outcome = if okv {
        CommandOutcome::Ok(value)
    } else {
        keys.need(16, "code")?;
        keys.need(32, "message")?;
        CommandOutcome::Err { code, message }
    };
    Ok(CommandResultMsg { id, outcome })
}
