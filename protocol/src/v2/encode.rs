//! Encoders of the v2 server messages from borrowed data into `Bytes`.
//!
//! Written with `rmp`'s low-level writers straight from the view's slots, so nothing is
//! copied into an intermediate tree: integers take their smallest MessagePack encoding
//! (`write_sint`/`write_uint`), `f32` fields are float32, `f64` fields float64, hidden
//! fields `nil`. The output depends only on the inputs (entities are id-sorted, fields in
//! schema order, map keys in a fixed order), so identical inputs give identical bytes: the
//! server encodes once per distinct view and shares the `Bytes` with every member of it.
//!
//! Key order of each message (a client must not rely on it; it is fixed for determinism):
//! - snapshot: `type, tick, acks, globals, entities`
//! - delta: `type, tick, base, acks, [globals], added, changed, removed`
//! - event: `type, tick, name, data`
//! - command_result: `type, id, ok, [value]` or `type, id, ok, code, message`

use super::delta::Delta;
use super::layout::{EventId, Fields, KindId, Layout};
use super::value::{Val, str_bytes};
use super::view::{At, View, ViewError};
use super::write::write_struct;
use bytes::Bytes;
use rmp::encode::{self as enc, ByteBuf, ValueWriteError};
use serde::Serialize;
use std::convert::Infallible;

/// Why a command result (or a client message) could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Codes are snake_case, `[a-z][a-z0-9_]*`, 1 to 64 bytes, so clients can match them.
    #[error("command result code {0:?} is not snake_case ([a-z][a-z0-9_]*, at most 64 bytes)")]
    InvalidCode(String),
    /// The value's `Serialize` impl failed.
    #[error("value could not be encoded: {0}")]
    Value(String),
    /// Input fields must serialize as a map (a struct).
    #[error("input fields must be a struct, got another MessagePack value")]
    NotAStruct,
}

/// Whether `code` may be a `command_result` code.
pub fn valid_code(code: &str) -> bool {
    let b = code.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn ok<T>(r: Result<T, ValueWriteError<Infallible>>) -> T {
    match r {
        Ok(v) => v,
        Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
            match e {}
        }
    }
}

fn ok0(r: Result<(), Infallible>) {
    match r {
        Ok(()) => {}
        Err(e) => match e {},
    }
}

/// A MessagePack writer into a byte buffer; every write is infallible by type.
pub(crate) struct Out<'a>(&'a mut ByteBuf);

impl<'a> Out<'a> {
    /// Start a message in `buf` (cleared, capacity kept).
    pub(crate) fn new(buf: &'a mut ByteBuf) -> Self {
        buf.as_mut_vec().clear();
        Out(buf)
    }

    /// Continue writing at the end of `buf` (a fragment after the ones already there).
    pub(crate) fn append(buf: &'a mut ByteBuf) -> Self {
        Out(buf)
    }

    /// Bytes written to the buffer so far.
    pub(crate) fn len(&self) -> usize {
        self.0.as_slice().len()
    }

    /// The message as an exactly sized `Bytes`: one allocation, no spare capacity held by the
    /// session queues that carry it, and the scratch buffer stays for the next message.
    pub(crate) fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.0.as_slice())
    }

    pub(crate) fn uint(&mut self, v: u64) {
        ok(enc::write_uint(&mut *self.0, v));
    }

    pub(crate) fn sint(&mut self, v: i64) {
        ok(enc::write_sint(&mut *self.0, v));
    }

    pub(crate) fn bool(&mut self, v: bool) {
        ok0(enc::write_bool(&mut *self.0, v));
    }

    pub(crate) fn nil(&mut self) {
        ok0(enc::write_nil(&mut *self.0));
    }

    pub(crate) fn f32(&mut self, v: f32) {
        ok(enc::write_f32(&mut *self.0, v));
    }

    pub(crate) fn f64(&mut self, v: f64) {
        ok(enc::write_f64(&mut *self.0, v));
    }

    /// A string from bytes already known to be UTF-8 (a view's arena).
    pub(crate) fn str_bytes(&mut self, s: &[u8]) {
        ok(enc::write_str_len(&mut *self.0, s.len() as u32));
        self.0.as_mut_vec().extend_from_slice(s);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.str_bytes(s.as_bytes());
    }

    /// Lengths are bounded far below 2^32 by the view's own limits.
    pub(crate) fn array(&mut self, len: usize) {
        ok(enc::write_array_len(&mut *self.0, len as u32));
    }

    pub(crate) fn map(&mut self, len: usize) {
        ok(enc::write_map_len(&mut *self.0, len as u32));
    }

    /// Bytes that already are one MessagePack value.
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.0.as_mut_vec().extend_from_slice(b);
    }

    pub(crate) fn acks(&mut self, acks: &[(u32, u64)]) {
        self.map(acks.len());
        for (player, seq) in acks {
            self.uint(u64::from(*player));
            self.uint(*seq);
        }
    }

    fn slot(&mut self, f: &Fields, i: usize, slot: u64, hidden: bool, arena: &[u8]) {
        use super::schema::FieldType::*;
        if hidden {
            return self.nil();
        }
        match f.ty(i) {
            Bool => self.bool(slot != 0),
            I32 | I64 => self.sint(slot as i64),
            F32 => self.f32(f32::from_bits(slot as u32)),
            F64 => self.f64(f64::from_bits(slot)),
            Str => self.str_bytes(str_bytes(arena, slot)),
        }
    }

    fn val(&mut self, v: Val, arena: &[u8]) {
        match v {
            Val::Nil => self.nil(),
            Val::Bool(b) => self.bool(b),
            Val::Int(i) => self.sint(i),
            Val::F32(b) => self.f32(f32::from_bits(b)),
            Val::F64(b) => self.f64(f64::from_bits(b)),
            Val::Str(off, len) => self.str_bytes(&arena[off as usize..off as usize + len as usize]),
        }
    }

    pub(crate) fn vals(&mut self, vals: &[Val], arena: &[u8]) {
        self.array(vals.len());
        for v in vals {
            self.val(*v, arena);
        }
    }
}

/// Encodes v2 server messages. Keep one per lobby: it holds the scratch buffers (the message
/// being written, an event's slots), so in steady state each message costs exactly one
/// allocation, its exactly sized `Bytes`.
#[derive(Debug, Default)]
pub struct Encoder {
    pub(crate) buf: ByteBuf,
    slots: Vec<u64>,
    arena: Vec<u8>,
}

impl Encoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `{"type":"snapshot","tick","acks","globals":[v...],"entities":[[id,kind,[v...]],...]}`.
    pub fn snapshot(&mut self, tick: u64, acks: &[(u32, u64)], view: &View) -> Bytes {
        view.assert_finished();
        let s = &view.live;
        let layout = &*view.layout;
        let mut o = Out::new(&mut self.buf);
        o.map(5);
        o.str("type");
        o.str("snapshot");
        o.str("tick");
        o.uint(tick);
        o.str("acks");
        o.acks(acks);
        o.str("globals");
        let g = layout.globals();
        o.array(g.len());
        for (i, slot) in s.globals.iter().enumerate() {
            o.slot(g, i, *slot, false, &s.arena);
        }
        o.str("entities");
        o.array(s.headers.len());
        for h in &s.headers {
            let f = layout.kind(KindId(h.kind));
            o.array(3);
            o.uint(u64::from(h.id));
            o.uint(u64::from(h.kind));
            o.array(f.len());
            for (i, slot) in s.entity_slots(h, f.len()).iter().enumerate() {
                o.slot(f, i, *slot, h.hidden & (1 << i) != 0, &s.arena);
            }
        }
        o.to_bytes()
    }

    /// `{"type":"delta","tick","base","acks","globals"?:[mask,[v...]],"added":[[id,kind,[v...]]],
    /// "changed":[[id,mask,[v...]]],"removed":[id...]}`; `globals` only when one changed.
    pub fn delta(&mut self, tick: u64, base: u64, acks: &[(u32, u64)], d: &Delta) -> Bytes {
        let mut o = Out::new(&mut self.buf);
        o.map(if d.globals_mask != 0 { 8 } else { 7 });
        o.str("type");
        o.str("delta");
        o.str("tick");
        o.uint(tick);
        o.str("base");
        o.uint(base);
        o.str("acks");
        o.acks(acks);
        if d.globals_mask != 0 {
            o.str("globals");
            o.array(2);
            o.uint(u64::from(d.globals_mask));
            o.vals(d.vals(d.globals_offset, d.globals_mask.count_ones()), &d.arena);
        }
        o.str("added");
        o.array(d.added.len());
        for a in &d.added {
            o.array(3);
            o.uint(u64::from(a.id));
            o.uint(u64::from(a.kind));
            o.vals(d.vals(a.offset, a.len), &d.arena);
        }
        o.str("changed");
        o.array(d.changed.len());
        for c in &d.changed {
            o.array(3);
            o.uint(u64::from(c.id));
            o.uint(u64::from(c.mask));
            o.vals(d.vals(c.offset, c.mask.count_ones()), &d.arena);
        }
        o.str("removed");
        o.array(d.removed.len());
        for id in &d.removed {
            o.uint(u64::from(*id));
        }
        o.to_bytes()
    }

    /// `{"type":"event","tick","name","data":{field: value, ...}}` from the game's event
    /// struct, checked against the event's fields like a view (a failure is a game bug).
    pub fn event<T: Serialize + ?Sized>(
        &mut self,
        tick: u64,
        layout: &Layout,
        event: EventId,
        data: &T,
    ) -> Result<Bytes, ViewError> {
        let name = layout.event_name(event);
        let f = layout.event_fields(event);
        self.slots.clear();
        self.arena.clear();
        write_struct(f, &mut self.slots, &mut self.arena, data)
            .map_err(|e| ViewError::from_write(e, At::Event(name.to_owned()), f))?;
        let mut o = Out::new(&mut self.buf);
        o.map(4);
        o.str("type");
        o.str("event");
        o.str("tick");
        o.uint(tick);
        o.str("name");
        o.str(name);
        o.str("data");
        o.map(f.len());
        for (i, slot) in self.slots.iter().enumerate() {
            o.str(f.name(i));
            o.slot(f, i, *slot, false, &self.arena);
        }
        Ok(o.to_bytes())
    }

    /// `{"type":"command_result","id","ok":true,"value"?:any}`; `value` is encoded with
    /// named fields (structs as maps), like every other message.
    pub fn command_ok<T: Serialize + ?Sized>(
        &mut self,
        id: u32,
        value: Option<&T>,
    ) -> Result<Bytes, EncodeError> {
        let v = match value {
            Some(v) => {
                Some(rmp_serde::to_vec_named(v).map_err(|e| EncodeError::Value(e.to_string()))?)
            }
            None => None,
        };
        Ok(self.command_ok_raw(id, v.as_deref()))
    }

    /// [`Encoder::command_ok`] with `value` already encoded as one MessagePack value (the
    /// game API encodes a reply when the game returns it, before the tick's frames are
    /// written). The bytes are copied as they are: the caller guarantees one valid value.
    pub fn command_ok_raw(&mut self, id: u32, value: Option<&[u8]>) -> Bytes {
        let mut o = Out::new(&mut self.buf);
        o.map(if value.is_some() { 4 } else { 3 });
        o.str("type");
        o.str("command_result");
        o.str("id");
        o.uint(u64::from(id));
        o.str("ok");
        o.bool(true);
        if let Some(v) = value {
            o.str("value");
            o.raw(v);
        }
        o.to_bytes()
    }

    /// `{"type":"command_result","id","ok":false,"code","message"}`.
    pub fn command_err(
        &mut self,
        id: u32,
        code: &str,
        message: &str,
    ) -> Result<Bytes, EncodeError> {
        if !valid_code(code) {
            return Err(EncodeError::InvalidCode(code.to_owned()));
        }
        let mut o = Out::new(&mut self.buf);
        o.map(5);
        o.str("type");
        o.str("command_result");
        o.str("id");
        o.uint(u64::from(id));
        o.str("ok");
        o.bool(false);
        o.str("code");
        o.str(code);
        o.str("message");
        o.str(message);
        Ok(o.to_bytes())
    }
}

/// Client side: an `input` message from the game fields in `fields` (a struct, whose fields
/// are written at the top level of the message).
pub fn encode_input<T: Serialize + ?Sized>(
    seq: u64,
    tick: Option<u64>,
    fields: &T,
) -> Result<Bytes, EncodeError> {
    let body = rmp_serde::to_vec_named(fields).map_err(|e| EncodeError::Value(e.to_string()))?;
    let mut r = super::read::Reader::new(&body);
    let n = r.map_len("input").map_err(|_| EncodeError::NotAStruct)?;
    let mut buf = ByteBuf::new();
    let mut o = Out::new(&mut buf);
    o.map(n + 2 + usize::from(tick.is_some()));
    o.str("type");
    o.str("input");
    o.str("seq");
    o.uint(seq);
    if let Some(t) = tick {
        o.str("tick");
        o.uint(t);
    }
    o.raw(&body[r.pos..]);
    Ok(o.to_bytes())
}

/// Client side: a `command` message; `args` is a struct (or `None` for no arguments).
pub fn encode_command<T: Serialize + ?Sized>(
    id: u32,
    name: &str,
    args: Option<&T>,
) -> Result<Bytes, EncodeError> {
    let body = match args {
        Some(a) => Some(rmp_serde::to_vec_named(a).map_err(|e| EncodeError::Value(e.to_string()))?),
        None => None,
    };
    let mut buf = ByteBuf::new();
    let mut o = Out::new(&mut buf);
    o.map(if body.is_some() { 4 } else { 3 });
    o.str("type");
    o.str("command");
    o.str("id");
    o.uint(u64::from(id));
    o.str("name");
    o.str(name);
    if let Some(b) = body {
        o.str("args");
        o.raw(&b);
    }
    Ok(o.to_bytes())
}

/// [`Encoder::snapshot`] without keeping an encoder.
pub fn encode_snapshot(tick: u64, acks: &[(u32, u64)], view: &View) -> Bytes {
    Encoder::new().snapshot(tick, acks, view)
}

/// [`Encoder::delta`] without keeping an encoder.
pub fn encode_delta(tick: u64, base: u64, acks: &[(u32, u64)], delta: &Delta) -> Bytes {
    Encoder::new().delta(tick, base, acks, delta)
}
