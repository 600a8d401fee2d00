//! What a player must hold after a state message, rebuilt from the rules of PROTOCOL.md
//! §6.2.1 and what the test knows independently: its own fleet (it placed it) and the
//! `shot` events (public, each sent before the state of its tick).

use std::collections::BTreeSet;
use tickwave_protocol::v2::{EventMsg, Value, ValueRef, View};

const FIRST: u32 = 1 << 31;
pub(crate) const FLEET_CELLS: usize = 17;

/// A state as comparable data: (id, kind, values) per entity, and the globals.
pub(crate) type Flat = (BTreeSet<(u32, String, Vec<i64>)>, Vec<i64>);

fn int(v: ValueRef<'_>) -> i64 {
    match v {
        ValueRef::Int(i) => i,
        ValueRef::Bool(b) => i64::from(b),
        other => panic!("battleship sends ints and bools only, got {other:?}"),
    }
}

/// A view as [`Flat`] data.
pub(crate) fn flatten(v: &View) -> Flat {
    let entities = v
        .entities()
        .map(|e| (e.id(), e.kind_name().to_owned(), e.values().map(int).collect()))
        .collect();
    (entities, v.globals().map(int).collect())
}

/// One `shot` event: (tick, player, x, y, result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shot {
    pub(crate) tick: u64,
    pub(crate) player: u32,
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) result: String,
}

impl Shot {
    pub(crate) fn of(e: &EventMsg) -> Shot {
        assert_eq!(e.name, "shot", "battleship has one event");
        let get = |k: &str| &e.data.iter().find(|(n, _)| n == k).expect(k).1;
        let int = |k| match get(k) {
            Value::Int(i) => *i,
            other => panic!("{k}: {other:?}"),
        };
        let result = match get("result") {
            Value::Str(s) => s.clone(),
            other => panic!("result: {other:?}"),
        };
        Shot { tick: e.tick, player: int("player") as u32, x: int("x"), y: int("y"), result }
    }

    pub(crate) fn hit(&self) -> bool {
        self.result != "miss"
    }
}

/// What the test knows of a match to predict one player's state.
pub(crate) struct Match {
    /// The viewer and its opponent.
    pub(crate) me: u32,
    pub(crate) other: u32,
    /// Seat slots (0: seated first), read from the viewer's own cell ids.
    pub(crate) my_slot: u32,
    /// The viewer's fleet cells.
    pub(crate) my_cells: Vec<(i64, i64)>,
    /// The first running tick (the first state whose `turn` is not 0).
    pub(crate) first_turn_tick: u64,
    pub(crate) turn_ticks: u64,
}

impl Match {
    fn slot(&self, p: u32) -> u32 {
        if p == self.me { self.my_slot } else { 1 - self.my_slot }
    }

    fn cell_id(&self, owner: u32, x: i64, y: i64) -> u32 {
        FIRST + self.slot(owner) * 100 + (y * 10 + x) as u32
    }

    fn shot_id(&self, shooter: u32, x: i64, y: i64) -> u32 {
        FIRST + 200 + self.slot(shooter) * 100 + (y * 10 + x) as u32
    }

    /// The viewer's state once play has begun, after `shots` (every shot so far).
    pub(crate) fn expected(&self, shots: &[Shot]) -> Flat {
        let mut e = BTreeSet::new();
        let by = |p: u32| shots.iter().filter(move |s| s.player == p);
        for p in [self.me, self.other] {
            let sunk = by(if p == self.me { self.other } else { self.me })
                .filter(|s| s.result == "sunk")
                .count() as i64;
            e.insert((p, "player".to_owned(), vec![5 - sunk, by(p).count() as i64]));
        }
        for &(x, y) in &self.my_cells {
            let hit = by(self.other).any(|s| (s.x, s.y) == (x, y));
            let values = vec![self.me.into(), x, y, i64::from(hit)];
            e.insert((self.cell_id(self.me, x, y), "ship_cell".to_owned(), values));
        }
        for s in by(self.me).filter(|s| s.hit()) {
            let values = vec![self.other.into(), s.x, s.y, 1];
            e.insert((self.cell_id(self.other, s.x, s.y), "ship_cell".to_owned(), values));
        }
        for s in shots {
            let values = vec![s.player.into(), s.x, s.y, i64::from(s.hit())];
            e.insert((self.shot_id(s.player, s.x, s.y), "shot".to_owned(), values));
        }
        let over =
            [self.me, self.other].iter().any(|&p| by(p).filter(|s| s.hit()).count() == FLEET_CELLS);
        let globals = match shots.last() {
            _ if over => vec![0, 0],
            None => {
                let first = self.me.min(self.other);
                vec![first.into(), (self.first_turn_tick + self.turn_ticks) as i64]
            }
            Some(last) => {
                let next = if last.player == self.me { self.other } else { self.me };
                vec![next.into(), (last.tick + self.turn_ticks) as i64]
            }
        };
        (e, globals)
    }
}
