//! A fleet and its placement rules as pure functions over plain integers, shared by the game
//! and its tests: no state beyond the ships, no allocation, so the same seed gives the same
//! fleet everywhere (replays rely on it).
//!
//! Coordinates: `x` is the column and `y` the row, both `0..BOARD`; a ship's `(x, y)` is its
//! first cell, and it extends towards `+x` (horizontal) or `+y` (vertical).

use tickwave::game::SplitMix64;

/// Cells along each side of a board.
pub const BOARD: usize = 10;
/// The ships' lengths, by ship index (the `ship` argument of `place`).
pub const FLEET: [u8; 5] = [5, 4, 3, 3, 2];
/// Cells of a whole fleet (the sum of [`FLEET`]).
pub const FLEET_CELLS: usize = 17;

/// Random draws per ship before the placement falls back to the first free position in
/// reading order: with 17 cells on 100 a draw almost never fails, but the loop must end.
const DRAWS_PER_SHIP: u32 = 64;

/// One ship: its first cell, its direction and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ship {
    /// The first cell's column, `0..BOARD`.
    pub x: u8,
    /// The first cell's row, `0..BOARD`.
    pub y: u8,
    /// Extends along `+y` when set, along `+x` otherwise.
    pub vertical: bool,
    /// Cells, one of [`FLEET`].
    pub len: u8,
}

impl Ship {
    /// Its cells, from the first.
    pub fn cells(self) -> impl Iterator<Item = (u8, u8)> {
        (0..self.len)
            .map(move |i| if self.vertical { (self.x, self.y + i) } else { (self.x + i, self.y) })
    }

    /// Whether it covers `(x, y)`.
    pub fn covers(self, x: u8, y: u8) -> bool {
        if self.vertical {
            x == self.x && (self.y..self.y + self.len).contains(&y)
        } else {
            y == self.y && (self.x..self.x + self.len).contains(&x)
        }
    }

    /// A ship of `len` cells at `(x, y)`, if it fits on the board.
    fn at(x: i32, y: i32, vertical: bool, len: u8) -> Option<Ship> {
        // In i64: a client's `i32::MAX` plus a length must not overflow.
        let (x, y) = (i64::from(x), i64::from(y));
        let last = i64::from(len) - 1;
        let (end_x, end_y) = if vertical { (x, y + last) } else { (x + last, y) };
        let on = |v: i64| (0..BOARD as i64).contains(&v);
        (on(x) && on(y) && on(end_x) && on(end_y)).then_some(Ship {
            x: x as u8,
            y: y as u8,
            vertical,
            len,
        })
    }
}

/// Why a [`Fleet::place`] was refused (the game's `out_of_range` and `overlaps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// No such ship, or the ship would leave the board.
    OutOfRange,
    /// The ship would share a cell with another of the fleet.
    Overlaps,
}

/// A player's five ships, by ship index: always valid (on the board, no two sharing a cell).
/// Ships may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fleet([Ship; FLEET.len()]);

impl Fleet {
    /// The fleet the server places for `player` in a match of `seed`: the same seed and
    /// player always give the same fleet, and two players of one match get unrelated ones.
    pub fn random(seed: u64, player: u32) -> Fleet {
        let mut rng = SplitMix64::new(seed ^ u64::from(player).wrapping_mul(0xd1b5_4a32_d192_ed03));
        let mut ships: Vec<Ship> = Vec::with_capacity(FLEET.len());
        for &len in &FLEET {
            let free = |s: &Ship| ships.iter().all(|o| !overlap(*o, *s));
            let drawn = (0..DRAWS_PER_SHIP).find_map(|_| {
                let vertical = rng.next_u64() & 1 == 1;
                let span = (BOARD - usize::from(len) + 1) as i32;
                let (x, y) = if vertical {
                    (rng.range(0, BOARD as i32), rng.range(0, span))
                } else {
                    (rng.range(0, span), rng.range(0, BOARD as i32))
                };
                Ship::at(x, y, vertical, len).filter(free)
            });
            // The fallback cannot fail: 12 cells are taken at most when a ship is placed,
            // and a 10 x 10 board always has a free straight run of 5 then.
            let ship = drawn.or_else(|| first_free(len, &ships)).expect("a free run exists");
            ships.push(ship);
        }
        Fleet(std::array::from_fn(|i| ships[i]))
    }

    /// A fleet of these ships, checked like [`Fleet::place`]: each must have its index's
    /// length from [`FLEET`], be on the board and share no cell with another.
    pub fn from_ships(ships: [Ship; FLEET.len()]) -> Result<Fleet, PlaceError> {
        for (i, s) in ships.iter().enumerate() {
            let on = Ship::at(s.x.into(), s.y.into(), s.vertical, s.len);
            if s.len != FLEET[i] || on.is_none() {
                return Err(PlaceError::OutOfRange);
            }
            if ships[..i].iter().any(|o| overlap(*o, *s)) {
                return Err(PlaceError::Overlaps);
            }
        }
        Ok(Fleet(ships))
    }

    /// Ship `ship`.
    pub fn ship(&self, ship: usize) -> Ship {
        self.0[ship]
    }

    /// The ships, by index.
    pub fn ships(&self) -> &[Ship; FLEET.len()] {
        &self.0
    }

    /// The index of the ship covering `(x, y)`, if any.
    pub fn ship_at(&self, x: u8, y: u8) -> Option<usize> {
        self.0.iter().position(|s| s.covers(x, y))
    }

    /// Every cell of the fleet with its ship index, ship by ship.
    pub fn cells(&self) -> impl Iterator<Item = (usize, (u8, u8))> + '_ {
        self.0.iter().enumerate().flat_map(|(i, s)| s.cells().map(move |c| (i, c)))
    }

    /// Move ship `ship` to `(x, y)`, `vertical` or not. Refused when there is no such ship,
    /// when it would leave the board, or when it would share a cell with another ship; a
    /// refused move changes nothing.
    pub fn place(&mut self, ship: i32, x: i32, y: i32, vertical: bool) -> Result<(), PlaceError> {
        let i = usize::try_from(ship)
            .ok()
            .filter(|&i| i < FLEET.len())
            .ok_or(PlaceError::OutOfRange)?;
        let moved = Ship::at(x, y, vertical, FLEET[i]).ok_or(PlaceError::OutOfRange)?;
        if self.0.iter().enumerate().any(|(j, o)| j != i && overlap(*o, moved)) {
            return Err(PlaceError::Overlaps);
        }
        self.0[i] = moved;
        Ok(())
    }
}

/// Whether two ships share a cell.
fn overlap(a: Ship, b: Ship) -> bool {
    a.cells().any(|(x, y)| b.covers(x, y))
}

/// The first position in reading order (horizontal before vertical) where a ship of `len`
/// fits beside `ships`.
fn first_free(len: u8, ships: &[Ship]) -> Option<Ship> {
    (0..BOARD as i32)
        .flat_map(|y| (0..BOARD as i32).map(move |x| (x, y)))
        .flat_map(|(x, y)| [false, true].map(|v| Ship::at(x, y, v, len)))
        .flatten()
        .find(|s| ships.iter().all(|o| !overlap(*o, *s)))
}

#[cfg(test)]
mod tests;
