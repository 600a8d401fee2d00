//! A builder that assembles a [`Schema`] from traced Rust types plus limits added by name.
//!
//! The server's game API wraps this (`Schema::new().kind::<PlayerState>(|k| k.max_len("name",
//! 32))` with the kind's name taken from a trait constant). Limits name fields by string, so
//! each is checked to exist: a typo is an error at registration, not a silently ignored
//! limit. Errors are collected and the first one is returned by [`SchemaBuilder::build`], so a
//! schema reads as one expression without a `?` per line.

use super::schema::{
    CommandSchema, EventSchema, FieldProblem, FieldSchema, FieldType, KindSchema, Number, Part,
    Privacy, Scalar, Schema, SchemaError,
};
use super::trace::{trace_fields, trace_fields_with_defaults};
use serde::Serialize;

/// The fields of one part (a kind, the globals, the input, a command's args, an event), with
/// methods that add limits by field name.
#[derive(Debug, Clone)]
pub struct FieldsBuilder {
    part: Part,
    fields: Vec<FieldSchema>,
    error: Option<SchemaError>,
}

impl FieldsBuilder {
    /// Start from already traced (or hand-written) fields.
    pub fn new(part: Part, fields: Vec<FieldSchema>) -> Self {
        FieldsBuilder { part, fields, error: None }
    }

    fn with(
        mut self,
        name: &str,
        change: impl FnOnce(&mut FieldSchema) -> Result<(), FieldProblem>,
    ) -> Self {
        if self.error.is_some() {
            return self;
        }
        let Some(f) = self.fields.iter_mut().find(|f| f.name == name) else {
            self.error =
                Some(SchemaError::NoSuchField { part: self.part.clone(), field: name.to_owned() });
            return self;
        };
        if let Err(problem) = change(f) {
            self.error = Some(SchemaError::BadField {
                part: self.part.clone(),
                field: name.to_owned(),
                problem,
            });
        }
        self
    }

    /// Values outside `min..=max` are refused: a client's input or argument is answered with
    /// `invalid_input` / `invalid_args`, a game's own value fails its lobby. On a narrow
    /// integer type (`u8`, ...) the range may only narrow the type's own range.
    pub fn range(self, name: &str, min: impl Into<Number>, max: impl Into<Number>) -> Self {
        let (min, max) = (min.into(), max.into());
        self.with(name, |f| {
            // (Not a let chain: the workspace's rust-version is 1.85.)
            if let (Some(Number::Int(lo)), Some(Number::Int(hi)), Number::Int(a), Number::Int(b)) =
                (f.min, f.max, min, max)
            {
                if a < lo || b > hi {
                    return Err(FieldProblem::WiderThanType {
                        min,
                        max,
                        lo: Number::Int(lo),
                        hi: Number::Int(hi),
                    });
                }
            }
            // Float fields carry float bounds on the wire, however the caller spelled them.
            let float = |n: Number| if f.ty.is_float() { Number::Float(n.as_f64()) } else { n };
            f.min = Some(float(min));
            f.max = Some(float(max));
            Ok(())
        })
    }

    /// Float input fields and arguments: values beyond `min..=max` are clamped into it.
    pub fn clamp(self, name: &str, min: f64, max: f64) -> Self {
        self.with(name, |f| {
            f.min = Some(Number::Float(min));
            f.max = Some(Number::Float(max));
            f.clamp = true;
            Ok(())
        })
    }

    /// `str` fields: the longest value in bytes (1..=1024; 64 when not set).
    pub fn max_len(self, name: &str, max_len: u32) -> Self {
        self.with(name, |f| {
            f.max_len = Some(max_len);
            Ok(())
        })
    }

    /// State fields: only the entity's owner sees the value; others get `nil`.
    pub fn private_owner(self, name: &str) -> Self {
        self.with(name, |f| {
            f.private = Some(Privacy::Owner);
            Ok(())
        })
    }

    /// State fields: only the owner's team sees the value; others get `nil`.
    pub fn private_team(self, name: &str) -> Self {
        self.with(name, |f| {
            f.private = Some(Privacy::Team);
            Ok(())
        })
    }

    /// Input fields and arguments: the value an omitted field takes (the traced default
    /// value otherwise).
    pub fn default_value(self, name: &str, value: Scalar) -> Self {
        self.with(name, |f| {
            f.default = Some(value);
            Ok(())
        })
    }

    /// The fields, or the first error.
    pub fn finish(self) -> Result<Vec<FieldSchema>, SchemaError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.fields),
        }
    }
}

/// Builds a [`Schema`] from Rust types; see the module doc.
#[derive(Debug, Clone, Default)]
pub struct SchemaBuilder {
    schema: Schema,
    error: Option<SchemaError>,
}

impl Schema {
    /// Start a schema from Rust types.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::default()
    }
}

impl SchemaBuilder {
    fn part(
        &mut self,
        part: Part,
        traced: Result<Vec<FieldSchema>, super::trace::TraceError>,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Option<Vec<FieldSchema>> {
        if self.error.is_some() {
            return None;
        }
        let fields = match traced {
            Ok(f) => f,
            Err(error) => {
                self.error = Some(SchemaError::Trace { part, error });
                return None;
            }
        };
        match limits(FieldsBuilder::new(part, fields)).finish() {
            Ok(f) => Some(f),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// An entity kind whose fields are those of `T` (a flat struct).
    pub fn kind<T: Serialize + Default>(
        mut self,
        name: &str,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Self {
        if let Some(fields) = self.part(Part::Kind(name.into()), trace_fields::<T>(), limits) {
            self.schema.kinds.push(KindSchema { kind: name.into(), fields });
        }
        self
    }

    /// The lobby-wide values, the fields of `T`.
    pub fn globals<T: Serialize + Default>(
        mut self,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Self {
        if let Some(fields) = self.part(Part::Globals, trace_fields::<T>(), limits) {
            self.schema.globals = fields;
        }
        self
    }

    /// The input, the fields of `T`; an omitted field takes its value in `T::default()`.
    pub fn input<T: Serialize + Default>(
        mut self,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Self {
        if let Some(fields) = self.part(Part::Input, trace_fields_with_defaults::<T>(), limits) {
            self.schema.input = fields;
        }
        self
    }

    /// A command whose arguments are the fields of `A` (`()` for none); an omitted argument
    /// takes its value in `A::default()`.
    pub fn command<A: Serialize + Default>(
        mut self,
        name: &str,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Self {
        let part = Part::Command(name.into());
        if let Some(args) = self.part(part, trace_fields_with_defaults::<A>(), limits) {
            self.schema.commands.push(CommandSchema { name: name.into(), args });
        }
        self
    }

    /// An event whose data are the fields of `E` (`()` for none).
    pub fn event<E: Serialize + Default>(
        mut self,
        name: &str,
        limits: impl FnOnce(FieldsBuilder) -> FieldsBuilder,
    ) -> Self {
        if let Some(fields) = self.part(Part::Event(name.into()), trace_fields::<E>(), limits) {
            self.schema.events.push(EventSchema { name: name.into(), fields });
        }
        self
    }

    /// A field list written by hand (for schemas not backed by a Rust type, e.g. tools).
    pub fn kind_fields(mut self, name: &str, fields: Vec<FieldSchema>) -> Self {
        if self.error.is_none() {
            self.schema.kinds.push(KindSchema { kind: name.into(), fields });
        }
        self
    }

    /// The schema, or the first error: from tracing, from a limit, or from
    /// [`Schema::validate`].
    pub fn build(self) -> Result<Schema, SchemaError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.schema.validate()?;
        Ok(self.schema)
    }
}

/// No limits: `|k| k` for the builder's closures, spelled as a function.
pub const NO_LIMITS: fn(FieldsBuilder) -> FieldsBuilder = |b| b;

/// The zero value of a type: what an omitted field is when no default is declared.
pub(crate) fn zero(ty: FieldType) -> Scalar {
    match ty {
        FieldType::Bool => Scalar::Bool(false),
        FieldType::I32 | FieldType::I64 => Scalar::Int(0),
        FieldType::F32 | FieldType::F64 => Scalar::Float(0.0),
        FieldType::Str => Scalar::Str(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Default)]
    struct PlayerState<'a> {
        x: i32,
        y: i32,
        score: i64,
        name: &'a str,
        hp: u8,
    }

    #[derive(Serialize, Deserialize, Default, Clone)]
    struct ArenaInput {
        dx: f32,
        dy: f32,
        aim: f32,
        fire: bool,
        dash: bool,
    }

    #[derive(Serialize, Deserialize, Default)]
    struct DropArgs {
        column: i32,
    }

    #[derive(Serialize, Default)]
    struct Moved {
        player: u32,
        column: i32,
        row: i32,
    }

    #[derive(Serialize, Default)]
    struct Globals {
        turn: i32,
    }

    #[test]
    fn the_design_example_builds() {
        use std::f64::consts::PI;
        let s = Schema::builder()
            .kind::<PlayerState>("player", |k| k.max_len("name", 32).range("hp", 0, 100))
            .globals::<Globals>(NO_LIMITS)
            .input::<ArenaInput>(|i| {
                i.clamp("dx", -1.0, 1.0).clamp("dy", -1.0, 1.0).clamp("aim", -PI, PI)
            })
            .command::<DropArgs>("drop", |c| c.range("column", 0, 6))
            .command::<()>("resign", NO_LIMITS)
            .event::<Moved>("moved", NO_LIMITS)
            .build()
            .unwrap();
        let name = &s.kinds[0].fields[3];
        assert_eq!((name.ty, name.max_len), (FieldType::Str, Some(32)));
        let hp = &s.kinds[0].fields[4];
        assert_eq!((hp.min, hp.max), (Some(Number::Int(0)), Some(Number::Int(100))));
        let dx = &s.input[0];
        assert!(dx.clamp);
        assert_eq!(dx.default, Some(Scalar::Float(0.0)));
        assert_eq!(s.commands[0].args[0].default, Some(Scalar::Int(0)));
        assert!(s.commands[1].args.is_empty());
        assert_eq!(s.events[0].fields[0].ty, FieldType::I64);
    }

    #[test]
    fn float_ranges_are_float_bounds_on_the_wire() {
        #[derive(Serialize, Default)]
        struct F {
            power: f64,
        }
        let s = Schema::builder().globals::<F>(|g| g.range("power", 0, 1)).build().unwrap();
        assert_eq!(
            (s.globals[0].min, s.globals[0].max),
            (Some(Number::Float(0.0)), Some(Number::Float(1.0)))
        );
    }

    #[test]
    fn a_limit_on_a_missing_field_is_an_error() {
        let e = Schema::builder()
            .kind::<PlayerState>("player", |k| k.max_len("nmae", 32))
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            SchemaError::NoSuchField { part: Part::Kind("player".into()), field: "nmae".into() }
        );
        assert_eq!(
            e.to_string(),
            "kind `player` has no field `nmae` (a limit names a field the type does not have)"
        );
    }

    #[test]
    fn a_range_may_not_widen_a_narrow_type() {
        let e = Schema::builder()
            .kind::<PlayerState>("player", |k| k.range("hp", 0, 300))
            .build()
            .unwrap_err();
        assert!(
            matches!(&e, SchemaError::BadField { field, problem: FieldProblem::WiderThanType { .. }, .. } if field == "hp"),
            "{e:?}"
        );
    }

    #[test]
    fn limits_of_the_wrong_kind_fail_validation() {
        let e = Schema::builder()
            .kind::<PlayerState>("player", |k| k.max_len("x", 3))
            .build()
            .unwrap_err();
        assert!(matches!(e, SchemaError::BadField { problem: FieldProblem::MaxLenNotStr, .. }));
        let e =
            Schema::builder().globals::<Globals>(|g| g.private_team("turn")).build().unwrap_err();
        assert!(matches!(
            e,
            SchemaError::BadField { problem: FieldProblem::PrivateOutsideKind, .. }
        ));
    }

    #[test]
    fn trace_errors_name_the_part() {
        #[derive(Serialize, Default)]
        struct Bad {
            v: Vec<u8>,
        }
        let e = Schema::builder().event::<Bad>("boom", NO_LIMITS).build().unwrap_err();
        match e {
            SchemaError::Trace { part, error } => {
                assert_eq!(part, Part::Event("boom".into()));
                assert_eq!(error.field, Some("v"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_error_wins() {
        let e = Schema::builder()
            .kind::<PlayerState>("player", |k| k.max_len("a", 1).max_len("b", 1))
            .kind::<PlayerState>("Bad", NO_LIMITS)
            .build()
            .unwrap_err();
        assert!(matches!(e, SchemaError::NoSuchField { field, .. } if field == "a"));
    }
}
