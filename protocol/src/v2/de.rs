//! A small serde `Deserializer` over validated [`FieldValues`], so the server turns a client's
//! input or command into the game's own types (`G::Input`, `G::Command`) without parsing
//! MessagePack a second time.
//!
//! The values present themselves as a map of field name to value (a struct derive matches
//! fields by name, so a struct whose fields were reordered still deserializes correctly).
//! A command presents itself as `{"name": <command>, "args": {...}}`, the shape of an
//! adjacently tagged enum (`#[serde(tag = "name", content = "args")]`); a command without
//! arguments reads as unit for a unit variant, or as an empty map for a struct variant.
//! Integers are offered as `i64` (serde's primitive visitors narrow them with a range check,
//! which validation already guaranteed), floats as `f32`/`f64`, strings borrowed.

use super::input::{CommandFrame, FieldValues};
use super::layout::{CommandId, Fields, Layout};
use super::value::ValueRef;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use std::fmt;

/// Why validated values did not deserialize into the game's type: the type does not match
/// the schema it was traced from (a game bug, caught at registration by deserializing the
/// defaults of every command and of the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeError(pub String);

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl Fields {
    /// Deserialize validated values (of these fields) into `T`.
    pub fn deserialize<'a, T: Deserialize<'a>>(
        &'a self,
        values: &'a FieldValues,
    ) -> Result<T, DeError> {
        T::deserialize(ValuesDe { fields: self, values })
    }
}

impl Layout {
    /// Deserialize a validated command into the game's command type (an adjacently tagged
    /// enum, `#[serde(tag = "name", content = "args")]`).
    pub fn deserialize_command<'a, C: Deserialize<'a>>(
        &'a self,
        frame: &'a CommandFrame,
    ) -> Result<C, DeError> {
        let args = ValuesDe { fields: self.command_args(frame.command), values: &frame.args };
        C::deserialize(CommandDe { name: self.command_name(frame.command), args })
    }

    /// The command `c` with every argument at its default, deserialized into `C`: the
    /// registration check that the game's command type accepts every declared command.
    pub fn default_command<C: for<'a> Deserialize<'a>>(&self, c: CommandId) -> Result<C, DeError> {
        let values = FieldValues::defaults(self.command_args(c));
        let args = ValuesDe { fields: self.command_args(c), values: &values };
        C::deserialize(CommandDe { name: self.command_name(c), args })
    }
}

#[derive(Clone, Copy)]
struct ValuesDe<'a> {
    fields: &'a Fields,
    values: &'a FieldValues,
}

impl<'de> de::Deserializer<'de> for ValuesDe<'de> {
    type Error = DeError;

    /// A map of the fields; no fields at all is unit (a unit variant's content).
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.fields.is_empty() { v.visit_unit() } else { self.deserialize_map(v) }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_map(FieldsMap { de: self, next: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

struct FieldsMap<'a> {
    de: ValuesDe<'a>,
    next: usize,
}

impl<'de> MapAccess<'de> for FieldsMap<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.next >= self.de.fields.len() {
            return Ok(None);
        }
        let name: &'de str = self.de.fields.name(self.next);
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let i = self.next;
        self.next += 1;
        let v = self
            .de
            .values
            .get(self.de.fields, i)
            .ok_or_else(|| DeError("value past the last field".into()))?;
        seed.deserialize(ValueDe(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.de.fields.len() - self.next)
    }
}

/// One value.
struct ValueDe<'a>(ValueRef<'a>);

impl<'de> de::Deserializer<'de> for ValueDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            ValueRef::Nil => v.visit_unit(),
            ValueRef::Bool(b) => v.visit_bool(b),
            ValueRef::Int(i) => v.visit_i64(i),
            ValueRef::F32(f) => v.visit_f32(f),
            ValueRef::F64(f) => v.visit_f64(f),
            ValueRef::Str(s) => v.visit_borrowed_str(s),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.0.is_nil() { v.visit_none() } else { v.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// `{"name": ..., "args": ...}`.
struct CommandDe<'a> {
    name: &'a str,
    args: ValuesDe<'a>,
}

impl<'de> de::Deserializer<'de> for CommandDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_map(CommandMap { de: self, next: 0 })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct CommandMap<'a> {
    de: CommandDe<'a>,
    next: u8,
}

impl<'de> MapAccess<'de> for CommandMap<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let key: &'de str = match self.next {
            0 => "name",
            1 => "args",
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.next += 1;
        if self.next == 1 {
            let name: &'de str = self.de.name;
            seed.deserialize(name.into_deserializer())
        } else {
            seed.deserialize(self.de.args)
        }
    }
}
