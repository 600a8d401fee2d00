//! Every bot checks that every state message it receives applies to its own view (issue 16):
//! a delta's base is the tick it holds, it applies without error, and the ids, kinds and
//! values fit the schema, with a hidden (`nil`) value only in a field the schema declares
//! `private` (the protocol crate's `View::apply` makes those checks; protocol 1's fast view
//! makes its own). A failure is counted by its kind, once per desync like the state errors
//! (the deltas after a failed one cannot apply either: they are `refused`, not counted again),
//! and any failure fails the run: [`super::slo`] always checks `view_failures <= 0`.
//!
//! So that a clean run is evidence, the bots also count what views did to them: hidden
//! values received, and entities entering (`added`) and leaving (`removed`) their view in
//! deltas.

use super::net::view::ViewError;
use crate::state::StateCheck;
use crate::state_v2::StateCheckV2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use tickwave_protocol::v2::{Delta, Layout, StateError, ValueFault};

/// Why a state message did not apply to a bot's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewFailure {
    /// Its bytes do not decode as a snapshot or delta.
    Undecodable,
    /// A delta against a tick the bot does not hold.
    BaseMismatch,
    /// A tick not after the one held.
    TickBackwards,
    /// Changes or removes an entity the view does not hold.
    UnknownEntity,
    /// Adds an entity the view holds (or repeats an id).
    DuplicateEntity,
    /// An entity of a kind the schema does not declare.
    UnknownKind,
    /// Mask bits beyond a kind's fields.
    FieldOutOfRange,
    /// Not as many values as the mask or the kind needs.
    ValueCount,
    /// A value of another type than its field's.
    WrongType,
    /// A number outside its field's declared range.
    OutOfRange,
    /// `nil` in a field the schema does not declare `private`.
    HiddenNotPrivate,
    /// Any other value fault (not finite, too long, too large).
    BadValue,
}

impl ViewFailure {
    pub(crate) const ALL: [ViewFailure; 12] = [
        ViewFailure::Undecodable,
        ViewFailure::BaseMismatch,
        ViewFailure::TickBackwards,
        ViewFailure::UnknownEntity,
        ViewFailure::DuplicateEntity,
        ViewFailure::UnknownKind,
        ViewFailure::FieldOutOfRange,
        ViewFailure::ValueCount,
        ViewFailure::WrongType,
        ViewFailure::OutOfRange,
        ViewFailure::HiddenNotPrivate,
        ViewFailure::BadValue,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ViewFailure::Undecodable => "undecodable",
            ViewFailure::BaseMismatch => "base_mismatch",
            ViewFailure::TickBackwards => "tick_backwards",
            ViewFailure::UnknownEntity => "unknown_entity",
            ViewFailure::DuplicateEntity => "duplicate_entity",
            ViewFailure::UnknownKind => "unknown_kind",
            ViewFailure::FieldOutOfRange => "field_out_of_range",
            ViewFailure::ValueCount => "value_count",
            ViewFailure::WrongType => "wrong_type",
            ViewFailure::OutOfRange => "out_of_range",
            ViewFailure::HiddenNotPrivate => "hidden_not_private",
            ViewFailure::BadValue => "bad_value",
        }
    }

    /// The failure of a protocol-2 state message.
    pub(crate) fn of_v2(e: &StateCheckV2) -> ViewFailure {
        match e {
            StateCheckV2::BaseMismatch { .. } => ViewFailure::BaseMismatch,
            StateCheckV2::Backwards { .. } => ViewFailure::TickBackwards,
            StateCheckV2::Apply(e) => match e {
                StateError::UnknownEntity(_) => ViewFailure::UnknownEntity,
                StateError::DuplicateEntity(_) => ViewFailure::DuplicateEntity,
                StateError::UnknownKind { .. } => ViewFailure::UnknownKind,
                StateError::FieldOutOfRange { .. } => ViewFailure::FieldOutOfRange,
                StateError::ValueCount { .. } => ViewFailure::ValueCount,
                StateError::Value { fault, .. } => match fault {
                    ValueFault::NotPrivate => ViewFailure::HiddenNotPrivate,
                    ValueFault::WrongType { .. } => ViewFailure::WrongType,
                    ValueFault::OutOfRange { .. } => ViewFailure::OutOfRange,
                    _ => ViewFailure::BadValue,
                },
                StateError::TooLarge => ViewFailure::BadValue,
            },
        }
    }

    /// The failure of a protocol-1 state message (its fast view's checks).
    pub(crate) fn of_v1(e: &ViewError) -> ViewFailure {
        use tickwave_protocol::StateError as E;
        match e {
            ViewError::Decode(_) => ViewFailure::Undecodable,
            ViewError::Check(StateCheck::BaseMismatch { .. }) => ViewFailure::BaseMismatch,
            ViewError::Check(StateCheck::Backwards { .. }) => ViewFailure::TickBackwards,
            ViewError::Check(StateCheck::Apply(e)) => match e {
                E::UnknownEntity(_) => ViewFailure::UnknownEntity,
                E::DuplicateEntity(_) | E::Unsorted | E::RepeatedId(_) => {
                    ViewFailure::DuplicateEntity
                }
                E::UnknownKind { .. } => ViewFailure::UnknownKind,
                E::FieldOutOfRange { .. } => ViewFailure::FieldOutOfRange,
                E::ValueCount { .. } | E::FieldCount { .. } => ViewFailure::ValueCount,
            },
        }
    }
}

/// Whether any kind of the schema has a `private` field (only then can a value be hidden,
/// and only then are hidden values counted).
pub(crate) fn has_private_fields(layout: &Layout) -> bool {
    (0..layout.kind_count())
        .filter_map(|k| layout.kind_at(k))
        .any(|k| layout.kind(k).hideable_mask() != 0)
}

/// Hidden (`nil`) values in a decoded delta or snapshot (which applied, so each is in a
/// `private` field).
pub(crate) fn hidden_in(d: &Delta) -> u64 {
    let nils = |v: tickwave_protocol::v2::Values<'_>| v.iter().filter(|v| v.is_nil()).count();
    let added: usize = d.added().map(|(_, _, v)| nils(v)).sum();
    let changed: usize = d.changed().map(|(_, _, v)| nils(v)).sum();
    (added + changed) as u64
}

/// A shard's view checks (kept beside its other totals; the collector merges them).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ViewTotals {
    /// State messages that applied to the bot's view.
    pub(crate) applied: u64,
    /// State messages that did not (each failure and the deltas after it until a snapshot).
    pub(crate) refused: u64,
    /// Failures by [`ViewFailure`], once per desync (undecodable ones every time).
    pub(crate) failures: [u64; ViewFailure::ALL.len()],
    pub(crate) hidden_values: u64,
    pub(crate) entered: u64,
    pub(crate) left: u64,
}

impl ViewTotals {
    pub(crate) fn merge(&mut self, o: &ViewTotals) {
        self.applied += o.applied;
        self.refused += o.refused;
        for (a, b) in self.failures.iter_mut().zip(o.failures) {
            *a += b;
        }
        self.hidden_values += o.hidden_values;
        self.entered += o.entered;
        self.left += o.left;
    }

    /// An applied delta (or, with `added` and `removed` empty, a snapshot): what it hid and
    /// who entered and left the view.
    pub(crate) fn applied(&mut self, hidden: u64, entered: usize, left: usize) {
        self.applied += 1;
        self.hidden_values += hidden;
        self.entered += entered as u64;
        self.left += left as u64;
    }
}

/// The report's view checks (whole run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Views {
    /// State messages checked against the bot's own view and applied.
    pub applied: u64,
    /// State messages that did not apply (failures and the deltas after them).
    pub refused: u64,
    /// Failures, once per desync: a server bug each, and the run fails on any.
    pub failed: u64,
    /// Failures by kind (every kind, zeros included).
    pub failures: BTreeMap<String, u64>,
    /// `nil` values received in private fields: the views hid something.
    pub hidden_values: u64,
    /// Entities that entered and left the bots' views in deltas.
    pub entered: u64,
    pub left: u64,
}

impl Views {
    pub(crate) fn of(t: &ViewTotals) -> Views {
        Views {
            applied: t.applied,
            refused: t.refused,
            failed: t.failures.iter().sum(),
            failures: ViewFailure::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), t.failures[*k as usize]))
                .collect(),
            hidden_values: t.hidden_values,
            entered: t.entered,
            left: t.left,
        }
    }

    /// The line of the report's table.
    pub(crate) fn table(&self, o: &mut String) {
        let kinds: Vec<String> = self
            .failures
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(
            o,
            "views     {} state messages applied to the bots' own views, {} refused, {} failures{} | hidden values {} | entered {} left {}",
            self.applied,
            self.refused,
            self.failed,
            if kinds.is_empty() { String::new() } else { format!(": {}", kinds.join(", ")) },
            self.hidden_values,
            self.entered,
            self.left,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state_v2::LocalStateV2;
    use serde::Serialize;
    use std::sync::Arc;
    use tickwave_protocol::v2::{
        Schema, SchemaBuilder, ValueRef, View, Visibility, decode_delta, decode_snapshot,
        encode_delta, encode_snapshot,
    };

    #[derive(Serialize, Default)]
    struct Card {
        count: i32,
        value: i32,
    }
    #[derive(Serialize, Default)]
    struct Named {
        count: i32,
        value: String,
    }

    fn layout(b: SchemaBuilder) -> Arc<Layout> {
        Arc::new(Layout::new(b.build().unwrap()).unwrap())
    }

    /// What the server holds: `value` private to the owner.
    fn server() -> Arc<Layout> {
        layout(Schema::builder().kind::<Card>("card", |k| k.private_owner("value")))
    }

    /// The world at tick `t`: cards 1..=3 (card `i` owned by player `i`), values 10 + id.
    fn world(l: &Arc<Layout>, t: i32) -> View {
        let mut v = View::new(l.clone());
        for id in 1..=3u32 {
            v.push_named(id, "card", &Card { count: t, value: 10 + id as i32 }).unwrap();
        }
        v.finish().unwrap();
        v
    }

    /// What player 1 sees: its own card whole, the others' values hidden, card 3 only on
    /// even ticks (it enters and leaves the view).
    fn seen_by_1(w: &View, t: i32) -> View {
        let mut out = View::new(w.layout().clone());
        w.project_into(&mut out, |e| match e.id() {
            1 => Visibility::SHOWN,
            3 if t % 2 == 1 => Visibility::Hidden,
            _ => Visibility::Shown { hide: u32::MAX },
        });
        out
    }

    /// Apply the server's messages for player 1 over ticks 1..=4 to a client of `client`'s
    /// schema: the tallies, or the first failure.
    fn run(client: Arc<Layout>) -> Result<ViewTotals, ViewFailure> {
        let l = server();
        let mut st = LocalStateV2::new(client);
        let mut t = ViewTotals::default();
        let mut prev = seen_by_1(&world(&l, 0), 0);
        let s = decode_snapshot(&encode_snapshot(0, &[], &prev)).unwrap();
        st.apply_snapshot(&s).map_err(|e| ViewFailure::of_v2(&e))?;
        t.applied(hidden_in(&s.state), 0, 0);
        for tick in 1..=4 {
            let cur = seen_by_1(&world(&l, tick), tick);
            let d = prev.diff(&cur);
            let m = decode_delta(&encode_delta(tick as u64, tick as u64 - 1, &[], &d)).unwrap();
            st.apply_delta(&m).map_err(|e| ViewFailure::of_v2(&e))?;
            t.applied(hidden_in(&m.delta), m.delta.added().len(), m.delta.removed().len());
            prev = cur;
        }
        assert_eq!(st.view.get(2).unwrap().field("value"), Some(ValueRef::Nil));
        assert_eq!(st.view.get(1).unwrap().field("value"), Some(ValueRef::Int(11)));
        Ok(t)
    }

    #[test]
    fn a_projected_view_applies_and_its_hidden_values_and_moves_are_counted() {
        assert!(has_private_fields(&server()));
        let t = run(server()).unwrap();
        // The snapshot hides cards 2 and 3's values; card 3 re-enters (hidden) at ticks 2, 4.
        assert_eq!((t.applied, t.hidden_values), (5, 2 + 2));
        assert_eq!((t.entered, t.left), (2, 2));
    }

    #[test]
    fn a_view_that_breaks_the_schema_is_a_failure_of_its_kind() {
        // The client was told `value` is not private: a nil there is a failure.
        let public = layout(Schema::builder().kind::<Card>("card", |k| k));
        assert!(!has_private_fields(&public));
        assert_eq!(run(public).unwrap_err(), ViewFailure::HiddenNotPrivate);
        // Values of another type, or outside the declared range.
        let strings = layout(Schema::builder().kind::<Named>("card", |k| k.private_owner("value")));
        assert_eq!(run(strings).unwrap_err(), ViewFailure::WrongType);
        let narrow = layout(
            Schema::builder()
                .kind::<Card>("card", |k| k.private_owner("value").range("value", 0, 5)),
        );
        assert_eq!(run(narrow).unwrap_err(), ViewFailure::OutOfRange);
    }

    #[test]
    fn state_errors_map_to_their_failure_kinds() {
        let l = server();
        let (a, b) = (world(&l, 0), world(&l, 1));
        let mut st = LocalStateV2::new(l.clone());
        let delta = |tick, base, from: &View, to: &View| {
            decode_delta(&encode_delta(tick, base, &[], &from.diff(to))).unwrap()
        };
        let fail = |st: &mut LocalStateV2, m| ViewFailure::of_v2(&st.apply_delta(&m).unwrap_err());
        assert_eq!(fail(&mut st, delta(1, 0, &a, &b)), ViewFailure::BaseMismatch);
        st.apply_snapshot(&decode_snapshot(&encode_snapshot(5, &[], &a)).unwrap()).unwrap();
        assert_eq!(fail(&mut st, delta(5, 5, &a, &b)), ViewFailure::TickBackwards);
        // A delta from a base without card 3 adds it again.
        let mut without = View::new(l.clone());
        a.project_into(&mut without, |e| {
            if e.id() == 3 { Visibility::Hidden } else { Visibility::SHOWN }
        });
        assert_eq!(fail(&mut st, delta(6, 5, &without, &b)), ViewFailure::DuplicateEntity);
        // One that removes an entity the client never had.
        let mut four = View::new(l.clone());
        four.push_named(4, "card", &Card::default()).unwrap();
        four.finish().unwrap();
        let gone = View::new(l.clone());
        assert_eq!(fail(&mut st, delta(6, 5, &four, &gone)), ViewFailure::UnknownEntity);
        let kinds: std::collections::BTreeSet<_> =
            ViewFailure::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds.len(), ViewFailure::ALL.len(), "distinct names");
        let mut t = ViewTotals::default();
        t.failures[ViewFailure::UnknownKind as usize] = 2;
        let v = Views::of(&t);
        assert_eq!((v.failed, v.failures["unknown_kind"], v.failures.len()), (2, 2, 12));
        let mut line = String::new();
        v.table(&mut line);
        assert!(line.contains("2 failures: unknown_kind 2"), "{line}");
    }
}
