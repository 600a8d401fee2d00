//! The fields of a protocol-2 `input` (or a command's arguments) as a bot writes them: the
//! schema's declared fields, compiled once per match into a [`Plan`], and values fitted to
//! each field's type and limits when they are written, so that a bot never sends what the
//! server refuses with `invalid_input` (a wrong type, a value out of range, a string too
//! long), whatever its policy computed.
//!
//! [`Plan::random`] is the fallback for a game the bots do not know: a random valid value
//! for every declared field, so a studio's own game can be load-tested without a bot of its
//! own.

use super::pack::Pack;
use crate::swarm::rng::Rng;
use tickwave_protocol::v2::{FieldSchema, FieldType, Number, Scalar};

/// Longest string a bot writes (a field's `max_len` may be larger).
pub(crate) const MAX_BOT_STR: usize = 16;

/// What a field means to the bots' movement policies (by name, as the arena's schemas name
/// them); `Other` fields get their default, or a random value from the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Dx,
    Dy,
    Aim,
    Fire,
    Dash,
    Action,
    Other,
}

impl Role {
    fn of(name: &str) -> Role {
        match name {
            "dx" => Role::Dx,
            "dy" => Role::Dy,
            "aim" => Role::Aim,
            "fire" => Role::Fire,
            "dash" => Role::Dash,
            "action" => Role::Action,
            _ => Role::Other,
        }
    }
}

/// One value, before it is fitted to its field. Strings are inline (no allocation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str { len: u8, bytes: [u8; MAX_BOT_STR] },
}

impl Val {
    /// An inline string of at most [`MAX_BOT_STR`] bytes (cut at a character boundary).
    pub(crate) fn str(s: &str) -> Val {
        let mut end = s.len().min(MAX_BOT_STR);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0u8; MAX_BOT_STR];
        bytes[..end].copy_from_slice(&s.as_bytes()[..end]);
        Val::Str { len: end as u8, bytes }
    }
}

/// One declared field, compiled.
#[derive(Debug, Clone)]
pub(crate) struct PlanField {
    pub(crate) name: String,
    pub(crate) ty: FieldType,
    pub(crate) role: Role,
    /// Integer fields: the inclusive range (type range intersected with min/max).
    ilo: i64,
    ihi: i64,
    /// Float fields: the inclusive range (infinite when not declared).
    flo: f64,
    fhi: f64,
    /// `str` fields: the longest value in bytes.
    max_len: usize,
    /// The value an omitted field takes.
    pub(crate) default: Val,
}

fn type_range(ty: FieldType) -> (i64, i64) {
    match ty {
        FieldType::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    }
}

impl PlanField {
    fn new(f: &FieldSchema) -> PlanField {
        let (mut ilo, mut ihi) = type_range(f.ty);
        if let Some(Number::Int(m)) = f.min {
            ilo = ilo.max(m);
        }
        if let Some(Number::Int(m)) = f.max {
            ihi = ihi.min(m);
        }
        let mut p = PlanField {
            name: f.name.clone(),
            ty: f.ty,
            role: Role::of(&f.name),
            ilo,
            ihi,
            flo: f.min.map_or(f64::NEG_INFINITY, Number::as_f64),
            fhi: f.max.map_or(f64::INFINITY, Number::as_f64),
            max_len: f.max_len_or_default() as usize,
            default: Val::Int(0),
        };
        p.default = match &f.default {
            Some(Scalar::Bool(b)) => Val::Bool(*b),
            Some(Scalar::Int(i)) => Val::Int(*i),
            Some(Scalar::Float(x)) => Val::Float(*x),
            Some(Scalar::Str(s)) => Val::str(s),
            None if f.ty == FieldType::Bool => Val::Bool(false),
            None if f.ty == FieldType::Str => Val::str(""),
            None => Val::Int(0),
        };
        p
    }

    /// A float fitted to the field: finite, within `min..=max`, and for an `f32` field a
    /// float32 whose value (read back as a float64, as the server reads it) is still within.
    fn fit_float(&self, v: f64) -> f64 {
        let v = if v.is_finite() { v } else { 0.0 };
        let v = v.clamp(self.flo.max(-f64::MAX), self.fhi.min(f64::MAX));
        if self.ty != FieldType::F32 {
            return v;
        }
        let mut x = (v as f32).clamp(-f32::MAX, f32::MAX);
        if f64::from(x) > self.fhi {
            x = next_toward_zero_or_down(x);
        }
        if f64::from(x) < self.flo {
            x = next_up(x);
        }
        f64::from(x)
    }

    fn fit_int(&self, v: i64) -> i64 {
        v.clamp(self.ilo, self.ihi)
    }

    /// Write `v` in the field's declared form, converted and fitted.
    fn write(&self, p: &mut Pack<'_>, v: Val) {
        match self.ty {
            FieldType::Bool => p.bool(match v {
                Val::Bool(b) => b,
                Val::Int(i) => i != 0,
                Val::Float(x) => x != 0.0,
                Val::Str { .. } => false,
            }),
            FieldType::I32 | FieldType::I64 => p.int(self.fit_int(match v {
                Val::Bool(b) => i64::from(b),
                Val::Int(i) => i,
                // `as` saturates and maps NaN to 0.
                Val::Float(x) => x.round() as i64,
                Val::Str { .. } => 0,
            })),
            FieldType::F32 | FieldType::F64 => {
                let x = self.fit_float(match v {
                    Val::Bool(b) => f64::from(u8::from(b)),
                    Val::Int(i) => i as f64,
                    Val::Float(x) => x,
                    Val::Str { .. } => 0.0,
                });
                if self.ty == FieldType::F32 { p.f32(x as f32) } else { p.f64(x) }
            }
            FieldType::Str => {
                let s = match &v {
                    Val::Str { len, bytes } => {
                        std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
                    }
                    _ => "",
                };
                let mut end = s.len().min(self.max_len);
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                p.str(&s[..end]);
            }
        }
    }

    /// A random value that fits the field.
    fn random(&self, rng: &mut Rng) -> Val {
        match self.ty {
            FieldType::Bool => Val::Bool(rng.below(2) == 1),
            FieldType::I32 | FieldType::I64 => {
                let span = (i128::from(self.ihi) - i128::from(self.ilo)) as u128;
                if span >= u128::from(u64::MAX) {
                    Val::Int(rng.next_u64() as i64)
                } else {
                    Val::Int((i128::from(self.ilo) + i128::from(rng.below(span as u64 + 1))) as i64)
                }
            }
            FieldType::F32 | FieldType::F64 => {
                // Undeclared bounds: a range of a thousand around the declared one (or 0).
                let u = rng.unit();
                let (lo, hi) = match (self.flo.is_finite(), self.fhi.is_finite()) {
                    (true, true) => (self.flo, self.fhi),
                    (true, false) => (self.flo, self.flo + 1000.0),
                    (false, true) => (self.fhi - 1000.0, self.fhi),
                    (false, false) => (-1000.0, 1000.0),
                };
                Val::Float(lo * (1.0 - u) + hi * u)
            }
            FieldType::Str => {
                let len = rng.below(self.max_len.min(MAX_BOT_STR) as u64 + 1) as usize;
                let mut bytes = [0u8; MAX_BOT_STR];
                for b in &mut bytes[..len] {
                    *b = b'a' + rng.below(26) as u8;
                }
                Val::Str { len: len as u8, bytes }
            }
        }
    }
}

/// The next float32 below `x` (toward negative infinity).
fn next_toward_zero_or_down(x: f32) -> f32 {
    if x == 0.0 {
        -f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() - 1)
    } else {
        f32::from_bits(x.to_bits() + 1)
    }
}

/// The next float32 above `x` (toward positive infinity).
fn next_up(x: f32) -> f32 {
    -next_toward_zero_or_down(-x)
}

/// The declared fields of an input (or a command's arguments), in schema order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) fields: Vec<PlanField>,
}

impl Plan {
    pub(crate) fn new(fields: &[FieldSchema]) -> Plan {
        Plan { fields: fields.iter().map(PlanField::new).collect() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The position of the first field with this role.
    pub(crate) fn find(&self, role: Role) -> Option<usize> {
        self.fields.iter().position(|f| f.role == role)
    }

    /// Every field's default, into `vals` (resized to the fields).
    pub(crate) fn defaults(&self, vals: &mut Vec<Val>) {
        vals.clear();
        vals.extend(self.fields.iter().map(|f| f.default));
    }

    /// A random valid value for every field, into `vals`.
    pub(crate) fn random(&self, rng: &mut Rng, vals: &mut Vec<Val>) {
        vals.clear();
        vals.extend(self.fields.iter().map(|f| f.random(rng)));
    }

    /// The fields as map entries (`name`, value), each value fitted to its field.
    fn entries(&self, p: &mut Pack<'_>, vals: &[Val]) {
        for (f, v) in self.fields.iter().zip(vals) {
            p.str(&f.name);
            f.write(p, *v);
        }
    }

    /// `{"type": "input", "seq", "tick"?, <field>: value, ...}` into `out`, every declared
    /// field written (an input states the whole intent; PROTOCOL.md §8.1).
    pub(crate) fn input(&self, seq: u64, tick: Option<u64>, vals: &[Val], out: &mut Vec<u8>) {
        let n = self.fields.len().min(vals.len());
        let mut p = Pack(out);
        p.map(2 + usize::from(tick.is_some()) + n);
        p.str("type");
        p.str("input");
        p.str("seq");
        p.uint(seq);
        if let Some(t) = tick {
            p.str("tick");
            p.uint(t);
        }
        self.entries(&mut p, &vals[..n]);
    }

    /// `{"type": "command", "id", "name", "args": {...}}` into `out`, this plan being the
    /// command's arguments.
    pub(crate) fn command(&self, id: u32, name: &str, vals: &[Val], out: &mut Vec<u8>) {
        let n = self.fields.len().min(vals.len());
        let mut p = Pack(out);
        p.map(4);
        p.str("type");
        p.str("command");
        p.str("id");
        p.uint(u64::from(id));
        p.str("name");
        p.str(name);
        p.str("args");
        p.map(n);
        self.entries(&mut p, &vals[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::f32::consts::PI;
    use tickwave_protocol::v2::Scalar;
    use tickwave_protocol::v2::{Layout, Schema, ValueRef, decode_command, decode_input};

    /// Every field type, with ranges, a clamp, a string limit and defaults.
    #[derive(Serialize, Default)]
    struct Everything {
        on: bool,
        slot: i32,
        big: i64,
        any: i64,
        power: f32,
        angle: f32,
        speed: f64,
        free: f64,
        tag: String,
    }

    fn everything() -> Layout {
        let schema = Schema::builder()
            .input::<Everything>(|i| {
                i.range("slot", -3, 9)
                    .range("big", 0, 4_294_967_295i64)
                    .range("power", 0.0, 1.0)
                    .clamp("angle", -std::f64::consts::PI, std::f64::consts::PI)
                    .default_value("slot", Scalar::Int(2))
                    .range("speed", -2.5, 1e6)
                    .max_len("tag", 5)
            })
            .command::<Everything>("act", |c| c.range("slot", 0, 2).max_len("tag", 3))
            .build()
            .unwrap();
        Layout::new(schema).unwrap()
    }

    #[test]
    fn random_inputs_of_every_field_type_are_valid() {
        let layout = everything();
        let plan = Plan::new(&layout.schema().input);
        let mut rng = Rng::new(11);
        let (mut vals, mut out) = (Vec::new(), Vec::new());
        let (mut trues, mut tags) = (0, std::collections::BTreeSet::new());
        for seq in 1..=2000u64 {
            plan.random(&mut rng, &mut vals);
            out.clear();
            plan.input(seq, Some(seq * 2), &vals, &mut out);
            let f = decode_input(layout.input(), &out)
                .unwrap_or_else(|e| panic!("seq {seq}: {e:?} for {vals:?}"));
            assert_eq!((f.seq, f.tick), (seq, Some(seq * 2)));
            let get = |n: &str| f.values.get(layout.input(), layout.input().index_of(n).unwrap());
            let Some(ValueRef::Int(slot)) = get("slot") else { panic!() };
            assert!((-3..=9).contains(&slot));
            let Some(ValueRef::F32(p)) = get("power") else { panic!("power is a float32") };
            assert!((0.0..=1.0).contains(&p));
            let Some(ValueRef::Str(tag)) = get("tag") else { panic!() };
            assert!(tag.len() <= 5);
            tags.insert(tag.to_owned());
            trues += usize::from(get("on") == Some(ValueRef::Bool(true)));
        }
        // Random, not constant.
        assert!((700..1300).contains(&trues), "{trues} of 2000 true");
        assert!(tags.len() > 100, "{} distinct tags", tags.len());
    }

    #[test]
    fn values_are_fitted_to_their_fields_whatever_the_policy_computed() {
        let layout = everything();
        let plan = Plan::new(&layout.schema().input);
        let i = |n: &str| plan.fields.iter().position(|f| f.name == n).unwrap();
        let mut vals = Vec::new();
        plan.defaults(&mut vals);
        assert_eq!(vals[i("slot")], Val::Int(2), "the schema's default");
        assert_eq!(vals[i("on")], Val::Bool(false));
        // Wrong kinds, out of range, not finite, too long: all fitted, none refused.
        vals[i("on")] = Val::Int(5);
        vals[i("slot")] = Val::Float(99.7);
        vals[i("big")] = Val::Int(-4);
        vals[i("power")] = Val::Float(f64::NAN);
        vals[i("angle")] = Val::Float(f64::from(PI) + 1e-9);
        vals[i("speed")] = Val::Float(-1e300);
        vals[i("free")] = Val::Bool(true);
        vals[i("tag")] = Val::str("much too long");
        let mut out = Vec::new();
        plan.input(7, None, &vals, &mut out);
        let f = decode_input(layout.input(), &out).expect("every value fitted");
        let get = |n: &str| f.values.get(layout.input(), layout.input().index_of(n).unwrap());
        assert_eq!(get("on"), Some(ValueRef::Bool(true)));
        assert_eq!(get("slot"), Some(ValueRef::Int(9)));
        assert_eq!(get("big"), Some(ValueRef::Int(0)));
        assert_eq!(get("power"), Some(ValueRef::F32(0.0)));
        assert_eq!(get("speed"), Some(ValueRef::F64(-2.5)));
        assert_eq!(get("free"), Some(ValueRef::F64(1.0)));
        assert_eq!(get("tag"), Some(ValueRef::Str("much ")));
        // A float32 just above pi (rounded up from pi in f64) is refused where a field is
        // not clamped: the writer steps down to the float32 below.
        let tight = PlanField {
            fhi: std::f64::consts::PI,
            flo: -std::f64::consts::PI,
            ..plan.fields[i("power")].clone()
        };
        let x = tight.fit_float(std::f64::consts::PI);
        assert!(x <= std::f64::consts::PI && x > std::f64::consts::PI - 1e-6, "{x}");
        assert!(f64::from(std::f64::consts::PI as f32) > std::f64::consts::PI, "why it matters");
    }

    #[test]
    fn commands_carry_their_fitted_arguments() {
        let layout = everything();
        let c = layout.command_id("act").unwrap();
        let args = Plan::new(&layout.schema().commands[0].args);
        let mut vals = Vec::new();
        args.defaults(&mut vals);
        vals[1] = Val::Int(7);
        let mut out = Vec::new();
        args.command(42, "act", &vals, &mut out);
        let f = decode_command(&layout, &out).unwrap();
        assert_eq!((f.id, f.command), (42, c));
        let slot = layout.command_args(c).index_of("slot").unwrap();
        assert_eq!(f.args.get(layout.command_args(c), slot), Some(ValueRef::Int(2)));
        let mut rng = Rng::new(3);
        for id in 0..500 {
            args.random(&mut rng, &mut vals);
            out.clear();
            args.command(id, "act", &vals, &mut out);
            decode_command(&layout, &out).unwrap_or_else(|e| panic!("{vals:?}: {e:?}"));
        }
    }
}
