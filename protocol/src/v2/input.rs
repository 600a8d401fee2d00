//! Validation of client `input` and `command` messages against the schema, straight from the
//! MessagePack bytes.
//!
//! One pass over the message with [`Reader`]: each key is matched against the declared
//! fields (a scan of at most 32 short names; nothing is hashed), each value is read from its
//! MessagePack type and checked against its field: integers of any width that fit the
//! declared range; floats from float32, float64 or integers, NaN and infinities refused,
//! clamped into `min..=max` where the schema says `clamp`, refused outside otherwise; bools
//! only from bools; strings valid UTF-8 of at most `max_len` bytes. Omitted fields take their
//! default. The result is a fixed-size [`FieldValues`] (no allocation unless a string is
//! given), which [`Fields::deserialize`](super::Fields::deserialize) turns into the game's
//! own type without re-parsing anything.
//!
//! Errors name the field and come in a fixed precedence, whatever the order of the keys:
//! an unknown (or repeated) key first, then a wrong type, then a value out of range. A
//! malformed message (not a map, a key that is not a string, no `seq`, a `type` that is not
//! `input`) is [`InputError::Malformed`], which the server treats like any malformed message.

use super::layout::{CommandId, FieldSpec, Fields, Layout};
use super::read::{Num, Reader, WireError, marker_name};
use super::schema::{FieldType, MAX_FIELDS, Number};
use super::value::{ValueFault, ValueRef, push_str, slot_ref, str_bytes};
use rmp::Marker;

/// Validated values of an input or a command's arguments, in schema order. Read them with
/// [`FieldValues::get`] or deserialize them with [`Fields::deserialize`].
#[derive(Clone, PartialEq, Eq)]
pub struct FieldValues {
    len: u8,
    pub(crate) slots: [u64; MAX_FIELDS],
    pub(crate) arena: Vec<u8>,
}

impl FieldValues {
    /// Every field at its default (what a message with no fields gives).
    pub fn defaults(fields: &Fields) -> Self {
        let mut v =
            FieldValues { len: fields.len() as u8, slots: [0; MAX_FIELDS], arena: Vec::new() };
        for i in 0..fields.len() {
            v.set_default(fields, i);
        }
        v
    }

    fn set_default(&mut self, fields: &Fields, i: usize) {
        let d = fields.default_slots[i];
        self.slots[i] = if fields.ty(i) == FieldType::Str {
            push_str(&mut self.arena, str_bytes(&fields.default_arena, d)).unwrap_or(0)
        } else {
            d
        };
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Field `i`, read with the `fields` these values were validated against.
    pub fn get<'a>(&'a self, fields: &Fields, i: usize) -> Option<ValueRef<'a>> {
        if i >= self.len() || i >= fields.len() {
            return None;
        }
        Some(slot_ref(fields.ty(i), self.slots[i], &self.arena))
    }
}

impl std::fmt::Debug for FieldValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldValues").field("slots", &&self.slots[..self.len()]).finish()
    }
}

/// A validated `input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFrame {
    pub seq: u64,
    /// The last state tick the client had applied when it sent the input.
    pub tick: Option<u64>,
    pub values: FieldValues,
}

/// A validated `command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFrame {
    /// Chosen by the client, echoed in `command_result`.
    pub id: u32,
    pub command: CommandId,
    pub args: FieldValues,
}

/// What is wrong with one field of an input or of a command's arguments.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldFault {
    #[error("not in the schema")]
    Unknown,
    #[error("given twice")]
    Duplicate,
    #[error(transparent)]
    Value(ValueFault),
}

impl FieldFault {
    /// Precedence: unknown keys, then types, then ranges.
    fn rank(&self) -> u8 {
        match self {
            FieldFault::Unknown | FieldFault::Duplicate => 0,
            FieldFault::Value(ValueFault::WrongType { .. }) => 1,
            FieldFault::Value(_) => 2,
        }
    }
}

/// One field's problem: the message of an `invalid_input` error or an `invalid_args` refusal.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {fault}")]
pub struct FieldError {
    pub field: String,
    pub fault: FieldFault,
}

/// Why an `input` was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// Not a well-formed `input` message: the server answers `malformed` (fatal, as for
    /// every malformed message).
    #[error("malformed input: {0}")]
    Malformed(WireError),
    /// A game field is unknown, of the wrong type or out of range: the server answers
    /// `invalid_input` with this message and drops the input (non-fatal).
    #[error("{0}")]
    Field(FieldError),
}

/// The code of a command refusal that the protocol crate decides (the server adds
/// `not_in_lobby`, `rate_limited` and `too_many_commands`; see [`codes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    UnknownCommand,
    InvalidArgs,
}

impl RefusalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::UnknownCommand => codes::UNKNOWN_COMMAND,
            RefusalCode::InvalidArgs => codes::INVALID_ARGS,
        }
    }
}

/// The `command_result` codes the server itself uses (games add their own snake_case codes).
pub mod codes {
    /// The command's `name` is not in the schema.
    pub const UNKNOWN_COMMAND: &str = "unknown_command";
    /// An argument is unknown, of the wrong type or out of range; the message names it.
    pub const INVALID_ARGS: &str = "invalid_args";
    /// The player is not in a lobby.
    pub const NOT_IN_LOBBY: &str = "not_in_lobby";
    /// Commands faster than their rate (default 20/s, burst 20, per session).
    pub const RATE_LIMITED: &str = "rate_limited";
    /// More than 16 commands of one player waiting for one tick.
    pub const TOO_MANY_COMMANDS: &str = "too_many_commands";
}

/// Why a `command` was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandRefusal {
    /// No usable `id` (or not a command message at all): no `command_result` can answer it;
    /// the server answers `malformed`.
    #[error("malformed command: {0}")]
    Malformed(WireError),
    /// Answered by `command_result {id, ok: false, code, message}`.
    #[error("command {id}: {code:?}: {message}")]
    Refused { id: u32, code: RefusalCode, message: String },
}

/// Collects the first field error of the lowest rank.
#[derive(Default)]
struct FirstError(Option<FieldError>);

impl FirstError {
    fn note(&mut self, field: &str, fault: FieldFault) {
        if self.0.as_ref().is_none_or(|e| fault.rank() < e.fault.rank()) {
            self.0 = Some(FieldError { field: field.to_owned(), fault });
        }
    }
}

/// Read one declared field's value (its key already read) into `vals`.
fn field_value(
    r: &mut Reader<'_>,
    fields: &Fields,
    key: &str,
    vals: &mut FieldValues,
    seen: &mut u32,
    err: &mut FirstError,
) -> Result<(), WireError> {
    let Some(i) = fields.index_of(key) else {
        err.note(key, FieldFault::Unknown);
        return r.skip(1);
    };
    if *seen & (1 << i) != 0 {
        err.note(key, FieldFault::Duplicate);
        return r.skip(1);
    }
    *seen |= 1 << i;
    match client_value(r, &fields.specs[i], &mut vals.arena)? {
        Ok(slot) => vals.slots[i] = slot,
        Err(fault) => err.note(key, FieldFault::Value(fault)),
    }
    Ok(())
}

fn wrong(spec: &FieldSpec, m: Marker) -> ValueFault {
    ValueFault::WrongType { expected: spec.ty, got: marker_name(m) }
}

/// A client's value for one field: the outer `Err` is malformed MessagePack, the inner one a
/// value that does not fit.
fn client_value(
    r: &mut Reader<'_>,
    spec: &FieldSpec,
    arena: &mut Vec<u8>,
) -> Result<Result<u64, ValueFault>, WireError> {
    let m = r.marker()?;
    match spec.ty {
        FieldType::Bool => match m {
            Marker::True => Ok(Ok(1)),
            Marker::False => Ok(Ok(0)),
            _ => r.skip_after(m, 1).map(|()| Err(wrong(spec, m))),
        },
        FieldType::I32 | FieldType::I64 => Ok(match r.num_payload(m)? {
            Some(Num::Int(i)) if i < spec.lo || i > spec.hi => Err(ValueFault::OutOfRange {
                got: Number::Int(i),
                min: Number::Int(spec.lo),
                max: Number::Int(spec.hi),
            }),
            Some(Num::Int(i)) => Ok(i as u64),
            Some(Num::Big(v)) => Err(ValueFault::OutOfRange {
                got: Number::Float(v as f64),
                min: Number::Int(spec.lo),
                max: Number::Int(spec.hi),
            }),
            Some(_) => Err(wrong(spec, m)),
            None => return r.skip_after(m, 1).map(|()| Err(wrong(spec, m))),
        }),
        FieldType::F32 | FieldType::F64 => {
            let x = match r.num_payload(m)? {
                Some(Num::Int(i)) => i as f64,
                Some(Num::Big(v)) => v as f64,
                Some(Num::F32(f)) => f.into(),
                Some(Num::F64(f)) => f,
                None => return r.skip_after(m, 1).map(|()| Err(wrong(spec, m))),
            };
            Ok(client_float(spec, x))
        }
        FieldType::Str => {
            let start = r.pos;
            r.pos -= 1;
            let s = match r.str("value") {
                Ok(s) => s,
                Err(WireError::Unexpected { .. }) => {
                    r.pos = start;
                    return r.skip_after(m, 1).map(|()| Err(wrong(spec, m)));
                }
                Err(e) => return Err(e),
            };
            if s.len() > spec.max_len as usize {
                return Ok(Err(ValueFault::TooLong { len: s.len(), max_len: spec.max_len }));
            }
            Ok(push_str(arena, s.as_bytes()))
        }
    }
}

fn client_float(spec: &FieldSpec, x: f64) -> Result<u64, ValueFault> {
    if !x.is_finite() {
        return Err(ValueFault::NotFinite);
    }
    let x = if spec.clamp {
        x.clamp(spec.flo, spec.fhi)
    } else if x < spec.flo || x > spec.fhi {
        return Err(ValueFault::OutOfRange {
            got: Number::Float(x),
            min: Number::Float(spec.flo),
            max: Number::Float(spec.fhi),
        });
    } else {
        x
    };
    if spec.ty == FieldType::F64 {
        return Ok(x.to_bits());
    }
    let f = x as f32;
    if !f.is_finite() {
        return Err(ValueFault::OutOfRange {
            got: Number::Float(x),
            min: Number::Float(f32::MIN.into()),
            max: Number::Float(f32::MAX.into()),
        });
    }
    Ok(u64::from(f.to_bits()))
}

/// Fill the fields not given with their defaults.
fn fill_defaults(fields: &Fields, vals: &mut FieldValues, seen: u32) {
    for i in 0..fields.len() {
        if seen & (1 << i) == 0 {
            vals.set_default(fields, i);
        }
    }
}

fn empty(fields: &Fields) -> FieldValues {
    FieldValues { len: fields.len() as u8, slots: [0; MAX_FIELDS], arena: Vec::new() }
}

fn once(seen: &mut u8, bit: u8, key: &str) -> Result<(), WireError> {
    if *seen & bit != 0 {
        return Err(WireError::DuplicateKey(key.to_owned()));
    }
    *seen |= bit;
    Ok(())
}

/// Validate an `input` message (the whole message's bytes) against the schema's input
/// fields; see the module doc.
pub fn decode_input(fields: &Fields, bytes: &[u8]) -> Result<InputFrame, InputError> {
    decode_input_inner(fields, bytes).map_err(InputError::Malformed)?
}

fn decode_input_inner(
    fields: &Fields,
    bytes: &[u8],
) -> Result<Result<InputFrame, InputError>, WireError> {
    let mut r = Reader::new(bytes);
    let n = r.map_len("input")?;
    let (mut keys, mut seq, mut tick) = (0u8, None, None);
    let (mut vals, mut seen, mut err) = (empty(fields), 0u32, FirstError::default());
    for _ in 0..n {
        let key = r.str("key")?;
        match key {
            "type" => {
                once(&mut keys, 1, key)?;
                let t = r.str("type")?;
                if t != "input" {
                    return Err(WireError::WrongType { expected: "input", found: t.to_owned() });
                }
            }
            "seq" => {
                once(&mut keys, 2, key)?;
                seq = Some(r.uint("seq")?);
            }
            "tick" => {
                once(&mut keys, 4, key)?;
                tick = if r.take_nil() { None } else { Some(r.uint("tick")?) };
            }
            _ => field_value(&mut r, fields, key, &mut vals, &mut seen, &mut err)?,
        }
    }
    r.end()?;
    if keys & 1 == 0 {
        return Err(WireError::Missing("type"));
    }
    let seq = seq.ok_or(WireError::Missing("seq"))?;
    if let Some(e) = err.0 {
        return Ok(Err(InputError::Field(e)));
    }
    fill_defaults(fields, &mut vals, seen);
    Ok(Ok(InputFrame { seq, tick, values: vals }))
}

/// Validate a `command` message against the schema's commands; see the module doc.
///
/// Precedence: malformed (no usable `id`), then `unknown_command`, then `invalid_args`
/// (an argument unknown, of the wrong type or out of range, `args` not a map, or a
/// top-level key other than `type`, `id`, `name`, `args`).
pub fn decode_command(layout: &Layout, bytes: &[u8]) -> Result<CommandFrame, CommandRefusal> {
    let mut r = Reader::new(bytes);
    let m = |e| CommandRefusal::Malformed(e);
    let n = r.map_len("command").map_err(m)?;
    let (mut keys, mut id, mut name, mut args_at) = (0u8, None, None, None);
    let mut stray: Option<String> = None;
    for _ in 0..n {
        let key = r.str("key").map_err(m)?;
        match key {
            "type" => {
                once(&mut keys, 1, key).map_err(m)?;
                let t = r.str("type").map_err(m)?;
                if t != "command" {
                    return Err(m(WireError::WrongType {
                        expected: "command",
                        found: t.to_owned(),
                    }));
                }
            }
            "id" => {
                once(&mut keys, 2, key).map_err(m)?;
                id = Some(r.u32("id").map_err(m)?);
            }
            "name" => {
                once(&mut keys, 4, key).map_err(m)?;
                let start = r.pos;
                r.skip(1).map_err(m)?;
                name = Some(start);
            }
            "args" => {
                once(&mut keys, 8, key).map_err(m)?;
                args_at = Some(r.pos);
                r.skip(1).map_err(m)?;
            }
            other => {
                stray.get_or_insert_with(|| other.to_owned());
                r.skip(1).map_err(m)?;
            }
        }
    }
    r.end().map_err(m)?;
    if keys & 1 == 0 {
        return Err(m(WireError::Missing("type")));
    }
    let id = id.ok_or(m(WireError::Missing("id")))?;
    let refuse = |code, message: String| CommandRefusal::Refused { id, code, message };
    let name = match name.map(|at| Reader::at(bytes, at).str("name")) {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Err(refuse(RefusalCode::UnknownCommand, e.to_string())),
        None => return Err(refuse(RefusalCode::UnknownCommand, "the command has no name".into())),
    };
    let Some(command) = layout.command_id(name) else {
        return Err(refuse(RefusalCode::UnknownCommand, format!("unknown command `{name}`")));
    };
    if let Some(k) = stray {
        let message = format!("unknown key `{k}` (a command has type, id, name and args)");
        return Err(refuse(RefusalCode::InvalidArgs, message));
    }
    let fields = layout.command_args(command);
    let (mut vals, mut seen, mut err) = (empty(fields), 0u32, FirstError::default());
    if let Some(at) = args_at {
        let mut a = Reader::at(bytes, at);
        if !a.take_nil() {
            let k =
                a.map_len("args").map_err(|e| refuse(RefusalCode::InvalidArgs, e.to_string()))?;
            for _ in 0..k {
                let key = match a.str("args key") {
                    Ok(k) => k,
                    Err(e) => return Err(refuse(RefusalCode::InvalidArgs, e.to_string())),
                };
                field_value(&mut a, fields, key, &mut vals, &mut seen, &mut err).map_err(m)?;
            }
        }
    }
    if let Some(e) = err.0 {
        return Err(refuse(RefusalCode::InvalidArgs, e.to_string()));
    }
    fill_defaults(fields, &mut vals, seen);
    Ok(CommandFrame { id, command, args: vals })
}
