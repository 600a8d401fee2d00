//! Protocol version 2 building blocks: typed schemas, packed typed views, deltas, and the
//! v2 messages' encoders, decoders and validators. Pure: no I/O, no clock, no tokio.
//!
//! This module sits beside the v1 items while the server moves over (issue 15); the wire
//! details are in PROTOCOL.md (§3.3, §6.3-6.6, §8.1, §8.2). The pieces, in the order data flows:
//!
//! 1. **Schema.** A game declares its kinds, globals, input, commands and events as flat Rust
//!    structs. [`Schema::builder`] traces each type ([`trace_fields`]) and adds limits by
//!    field name (ranges, clamps, string lengths, privacy); [`Schema::validate`] enforces the
//!    rules; [`Layout::new`] compiles it for the hot paths. The [`Schema`] itself is the wire
//!    form of `match_found.schema`.
//! 2. **View.** Every tick the game writes its state into a reused [`View`]:
//!    [`View::push`] serializes each entity's struct straight into 8-byte slots, checked
//!    against its kind; [`View::set_globals`] likewise. [`View::project_into`] derives what
//!    one audience sees (entities filtered, private fields hidden) for issue 16.
//! 3. **Delta.** [`View::diff_into`] compares the view last sent with the new one in one
//!    merge pass into a reused [`Delta`] (`u32` change masks, kind change = remove + add).
//! 4. **Encode.** [`Encoder`] writes `snapshot`, `delta`, `event` and `command_result` into
//!    `Bytes`, deterministically, once per distinct view.
//! 5. **Client.** [`decode_snapshot`] / [`decode_delta`] give a [`Delta`] that
//!    [`View::apply_snapshot`] / [`View::apply`] check against the schema.
//! 6. **Inputs and commands.** [`decode_input`] and [`decode_command`] validate a client's
//!    message from its MessagePack bytes against the schema, and [`Fields::deserialize`] /
//!    [`Layout::deserialize_command`] turn the validated values into the game's types.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use std::sync::Arc;
//! use tickwave_protocol::v2::*;
//!
//! #[derive(Serialize, Default)]
//! struct Player<'a> { x: i32, y: i32, name: &'a str }
//! #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
//! struct Input { dx: f32, fire: bool }
//!
//! let schema = Schema::builder()
//!     .kind::<Player>("player", |k| k.max_len("name", 16))
//!     .input::<Input>(|i| i.clamp("dx", -1.0, 1.0))
//!     .build()
//!     .unwrap();
//! let layout = Arc::new(Layout::new(schema).unwrap());
//! let player = layout.kind_id("player").unwrap();
//!
//! // Server: two ticks of state, diffed and encoded once.
//! let mut before = View::new(layout.clone());
//! before.push(1, player, &Player { x: 0, y: 0, name: "ada" }).unwrap();
//! before.finish().unwrap();
//! let mut after = View::new(layout.clone());
//! after.push(1, player, &Player { x: 5, y: 0, name: "ada" }).unwrap();
//! after.finish().unwrap();
//! let mut delta = Delta::new();
//! before.diff_into(&after, &mut delta);
//! let bytes = Encoder::new().delta(2, 1, &[(1, 7)], &delta);
//!
//! // Client: decode and apply against the same schema.
//! let mut mine = before.clone();
//! mine.apply(&decode_delta(&bytes).unwrap().delta).unwrap();
//! assert_eq!(mine, after);
//!
//! // Server: a client's input, validated and turned into the game's type.
//! let msg = encode_input(3, Some(2), &Input { dx: 4.0, fire: true }).unwrap();
//! let frame = decode_input(layout.input(), &msg).unwrap();
//! let input: Input = layout.input().deserialize(&frame.values).unwrap();
//! assert_eq!(input, Input { dx: 1.0, fire: true }); // clamped
//! ```

mod apply;
mod build;
mod de;
mod decode;
mod delta;
mod encode;
mod input;
mod layered;
mod layout;
mod msg;
mod project;
mod read;
mod schema;
mod trace;
mod value;
mod view;
mod write;

pub use build::{FieldsBuilder, NO_LIMITS, SchemaBuilder};
pub use de::DeError;
pub use decode::{
    CommandOutcome, CommandResultMsg, DeltaMsg, EventCheckError, EventMsg, SnapshotMsg,
    decode_command_result, decode_delta, decode_event, decode_snapshot,
};
pub use delta::{Delta, StateError, Values};
pub use encode::{
    EncodeError, Encoder, encode_command, encode_delta, encode_input, encode_snapshot, valid_code,
};
pub use input::{
    CommandFrame, CommandRefusal, FieldError, FieldFault, FieldValues, InputError, InputFrame,
    RefusalCode, codes, decode_command, decode_input,
};
pub use layered::{LayerDiff, SharedDelta};
pub use layout::{CommandId, EventId, Fields, KindId, Layout};
pub use msg::MatchFound;
pub use project::Visibility;
pub use read::WireError;
pub use schema::{
    CommandSchema, DEFAULT_MAX_LEN, EventSchema, FieldProblem, FieldSchema, FieldType, Item,
    KindSchema, MAX_FIELDS, MAX_ITEMS, MAX_NAME_LEN, MAX_STR_LEN, Number, Part, Privacy,
    RESERVED_INPUT_NAMES, Scalar, Schema, SchemaError, valid_name,
};
pub use trace::{TraceError, trace, trace_fields, trace_fields_with_defaults};
pub use value::{Value, ValueFault, ValueRef};
pub use view::{At, EntityRef, View, ViewError};

/// The protocol version these building blocks implement.
pub const PROTOCOL_VERSION: u32 = 2;
