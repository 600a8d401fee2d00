//! A uniform grid over the map, rebuilt every tick, so hit and pickup tests look only at
//! the players near a shot or pickup: per tick O(players + shots + cells) instead of
//! O(players x shots), which at 2,000 players and 8,000 shots is the difference between
//! 0.2 M and 16 M distance tests.
//!
//! The grid holds indices into the game's player list (ordered by id), bucketed by cell
//! with a counting sort; every buffer is reused, so a rebuild allocates nothing once the
//! lobby has reached its size.

use super::SIZE;

/// Cell side in fixed-point (5 map units): about the reach of a shot in one tick plus a
/// hit radius at the defaults, so a shot looks at a handful of cells.
const CELL: i32 = 500;
/// Cells per side (the map's far edge, `SIZE`, is in the last cell).
const SIDE: usize = (SIZE / CELL) as usize + 1;

/// Player indices bucketed by cell; see the module doc.
#[derive(Debug, Clone, Default)]
pub(super) struct Grid {
    /// `starts[c]..starts[c + 1]` are cell `c`'s entries in `items`.
    starts: Vec<u32>,
    items: Vec<u32>,
    /// Scratch: each entry's cell, between the two passes of a rebuild.
    cells: Vec<u16>,
}

fn axis(v: i32) -> usize {
    (v.clamp(0, SIZE) / CELL) as usize
}

impl Grid {
    /// Bucket the points `(index, x, y)`; within a cell, entries keep the order given.
    pub(super) fn rebuild(&mut self, points: impl Iterator<Item = (u32, i32, i32)> + Clone) {
        self.starts.clear();
        self.starts.resize(SIDE * SIDE + 1, 0);
        self.cells.clear();
        for (_, x, y) in points.clone() {
            let c = axis(y) * SIDE + axis(x);
            self.cells.push(c as u16);
            self.starts[c + 1] += 1;
        }
        for c in 0..SIDE * SIDE {
            self.starts[c + 1] += self.starts[c];
        }
        self.items.clear();
        self.items.resize(self.cells.len(), 0);
        // Fill each cell from its start, advancing a cursor per cell; the cursors are the
        // starts themselves (taken, not copied), so the rebuild does not allocate.
        let mut cursor = std::mem::take(&mut self.starts);
        for ((i, _, _), &c) in points.zip(&self.cells) {
            let slot = &mut cursor[usize::from(c)];
            self.items[*slot as usize] = i;
            *slot += 1;
        }
        // `cursor[c]` now holds the end of cell `c`, which is the start of cell `c + 1`:
        // shift back by one to restore the starts.
        cursor.copy_within(0..SIDE * SIDE, 1);
        cursor[0] = 0;
        self.starts = cursor;
    }

    /// Every entry in the cells that the box `x0..=x1`, `y0..=y1` (fixed-point, clipped to
    /// the map) touches, cell by cell.
    pub(super) fn query(&self, x0: i32, y0: i32, x1: i32, y1: i32, mut f: impl FnMut(u32)) {
        if self.starts.is_empty() {
            return;
        }
        for cy in axis(y0)..=axis(y1) {
            let row = cy * SIDE;
            let (a, b) = (self.starts[row + axis(x0)], self.starts[row + axis(x1) + 1]);
            // The cells of one row are contiguous in `items`.
            for &i in &self.items[a as usize..b as usize] {
                f(i);
            }
        }
    }
}
