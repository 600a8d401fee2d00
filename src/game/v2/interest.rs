//! Interest management for large lobbies (issue 16): a uniform spatial grid that finds, for
//! each viewer, the entities within a radius of it, in O(entities nearby) per viewer, with
//! hysteresis so an entity at the edge does not flicker in and out of a view.
//!
//! Why a grid rebuilt every tick rather than a structure updated as entities move: a game
//! already knows every position each tick, a rebuild is one counting sort of the points
//! (no per-entity bookkeeping to keep consistent with the game's own lists), and a viewer
//! looks only at the cells its radius touches.
//!
//! Why hysteresis: an entity that walks along the edge of a viewer's radius would enter and
//! leave that viewer's view every other tick, and each time it cost an `added` (all its
//! fields) and a `removed` in that viewer's deltas. Here an entity *enters* a viewer's set at
//! a distance of at most `radius` and *leaves* it only beyond `radius + hysteresis`, so the
//! grid remembers each viewer's last set.
//!
//! Use, each tick (on `&mut self`, in the game's `step`, since [`super::Game::scope`] only
//! reads):
//!
//! ```
//! use tickwave::game::v2::interest::Grid;
//! let mut grid = Grid::new(10, 25, 5);
//! let mut out = Vec::new();
//! grid.clear();
//! grid.insert(7, 0, 0);
//! grid.insert(8, 24, 0);
//! grid.insert(9, 27, 0);
//! grid.visible(1, 0, 0, &mut out);
//! assert_eq!(out, [7, 8]); // 9 is beyond the radius and was not seen before
//! grid.clear();
//! grid.insert(8, 28, 0); // 8 moved out, but stays within radius + hysteresis
//! grid.visible(1, 0, 0, &mut out);
//! assert_eq!(out, [8]);
//! assert_eq!(grid.last(1), [8]);
//! ```
//!
//! Then, in `scope`, [`Grid::show`] writes a viewer's remembered set into the
//! [`super::scope::Scopes`] (or the game reads [`Grid::last`]).
//!
//! Deterministic: the sets come out sorted by id, whatever the insertion order, and nothing
//! iterates a hash map. Allocation-free once the lobby has reached its size: the points, the
//! cell index and the remembered sets keep their buffers across ticks (a forgotten viewer's
//! set goes to a spare pool, for the next viewer).

use super::scope::Scopes;

/// Cells per axis at most: a grid this coarse is what the radius makes useful, and the bound
/// keeps the cell index small whatever the points' spread (bigger worlds get bigger cells).
const MAX_SIDE: i64 = 256;

/// A spatial grid of entity positions and each viewer's remembered visible set; see the
/// module doc.
#[derive(Debug, Clone)]
pub struct Grid {
    cell: i64,
    radius: i64,
    hysteresis: i64,
    /// This tick's points, `(id, x, y)`, in insertion order.
    points: Vec<(u32, i32, i32)>,
    /// Whether `starts` and `items` index `points` (false after an insert).
    built: bool,
    /// The bounding box's corner and the grid's shape, set by the build.
    origin: (i64, i64),
    /// Cell side actually used (the requested one, or larger for a huge spread).
    used_cell: i64,
    cols: i64,
    rows: i64,
    /// `starts[c]..starts[c + 1]` are cell `c`'s entries in `items` (indices into `points`).
    starts: Vec<u32>,
    items: Vec<u32>,
    /// Scratch: each point's cell, between the two passes of a build.
    cells: Vec<u32>,
    /// Each viewer's last set, sorted by viewer; each set sorted by id.
    viewers: Vec<Viewer>,
    /// Sets of forgotten viewers, kept for their allocations.
    spare: Vec<Vec<u32>>,
    /// Scratch for [`Grid::show`].
    scratch: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Viewer {
    id: u32,
    set: Vec<u32>,
    /// Asked for since the last [`Grid::clear`]: viewers that were not are forgotten at the
    /// next one.
    asked: bool,
}

impl Grid {
    /// A grid of square cells of side `cell`, finding entities within `radius` that stay in a
    /// set until beyond `radius + hysteresis` (all in the game's position units; `cell` at
    /// least 1, negative values count as 0). A cell about the radius is a good start: a
    /// viewer then visits 3 x 3 to 4 x 4 cells.
    pub fn new(cell: u32, radius: u32, hysteresis: u32) -> Grid {
        Grid {
            cell: i64::from(cell.max(1)),
            radius: i64::from(radius),
            hysteresis: i64::from(hysteresis),
            points: Vec::new(),
            built: false,
            origin: (0, 0),
            used_cell: 1,
            cols: 0,
            rows: 0,
            starts: Vec::new(),
            items: Vec::new(),
            cells: Vec::new(),
            viewers: Vec::new(),
            spare: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Start a new tick: forget the points, and the viewers that were not asked about since
    /// the last `clear` (players that left; [`Grid::forget`] does it at once).
    pub fn clear(&mut self) {
        self.points.clear();
        self.built = false;
        let spare = &mut self.spare;
        self.viewers.retain_mut(|v| {
            if !v.asked {
                let mut set = std::mem::take(&mut v.set);
                set.clear();
                spare.push(set);
            }
            std::mem::replace(&mut v.asked, false)
        });
    }

    /// An entity that can be seen this tick, at `(x, y)`. Ids should be unique per tick.
    pub fn insert(&mut self, id: u32, x: i32, y: i32) {
        self.points.push((id, x, y));
        self.built = false;
    }

    /// Entities inserted this tick.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing was inserted this tick.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The entities `viewer`, at `(x, y)`, sees this tick, sorted by id, into `out`
    /// (cleared first): those within `radius`, and those it saw at its last call that are
    /// still within `radius + hysteresis`. The viewer's own id is never in its set. The
    /// grid remembers the set for the next call.
    pub fn visible(&mut self, viewer: u32, x: i32, y: i32, out: &mut Vec<u32>) {
        self.build();
        out.clear();
        let i = match self.viewers.binary_search_by_key(&viewer, |v| v.id) {
            Ok(i) => i,
            Err(i) => {
                let set = self.spare.pop().unwrap_or_default();
                self.viewers.insert(i, Viewer { id: viewer, set, asked: false });
                i
            }
        };
        let (x, y) = (i64::from(x), i64::from(y));
        let (r, keep) = (self.radius, self.radius + self.hysteresis);
        let (r2, keep2) = (r * r, keep * keep);
        let before = &self.viewers[i].set;
        self.each_near(x, y, keep, |&(id, px, py)| {
            if id == viewer {
                return;
            }
            let (dx, dy) = (i64::from(px) - x, i64::from(py) - y);
            let d2 = dx * dx + dy * dy;
            if d2 <= r2 || (d2 <= keep2 && before.binary_search(&id).is_ok()) {
                out.push(id);
            }
        });
        out.sort_unstable();
        out.dedup();
        let v = &mut self.viewers[i];
        v.set.clone_from(out);
        v.asked = true;
    }

    /// [`Grid::visible`], then the set goes into `scopes` as `viewer`'s interest set
    /// ([`Scopes::show_all`]). For a game that computes and scopes in one place; a game
    /// whose `scope` runs apart from its `step` uses [`Grid::last`] there instead.
    pub fn show(&mut self, viewer: u32, x: i32, y: i32, scopes: &mut Scopes) {
        let mut out = std::mem::take(&mut self.scratch);
        self.visible(viewer, x, y, &mut out);
        scopes.show_all(viewer, out.iter().copied());
        self.scratch = out;
    }

    /// `viewer`'s set from its last [`Grid::visible`] (empty for a viewer never asked about
    /// or forgotten), sorted by id.
    pub fn last(&self, viewer: u32) -> &[u32] {
        match self.viewers.binary_search_by_key(&viewer, |v| v.id) {
            Ok(i) => &self.viewers[i].set,
            Err(_) => &[],
        }
    }

    /// Forget `viewer` now (it left): its next [`Grid::visible`] starts without memory.
    pub fn forget(&mut self, viewer: u32) {
        if let Ok(i) = self.viewers.binary_search_by_key(&viewer, |v| v.id) {
            let mut v = self.viewers.remove(i);
            v.set.clear();
            self.spare.push(v.set);
        }
    }

    /// Viewers remembered now.
    pub fn viewers(&self) -> usize {
        self.viewers.len()
    }

    /// Index the points by cell (a counting sort over the points' bounding box), once per
    /// tick, at the first query after the inserts.
    fn build(&mut self) {
        if self.built {
            return;
        }
        self.built = true;
        self.starts.clear();
        self.items.clear();
        self.cells.clear();
        let Some(&(_, x0, y0)) = self.points.first() else {
            (self.cols, self.rows) = (0, 0);
            return;
        };
        let (mut lo, mut hi) = ((i64::from(x0), i64::from(y0)), (i64::from(x0), i64::from(y0)));
        for &(_, x, y) in &self.points {
            let (x, y) = (i64::from(x), i64::from(y));
            lo = (lo.0.min(x), lo.1.min(y));
            hi = (hi.0.max(x), hi.1.max(y));
        }
        let span = (hi.0 - lo.0).max(hi.1 - lo.1) + 1;
        self.used_cell = self.cell.max((span + MAX_SIDE - 1) / MAX_SIDE);
        self.origin = lo;
        self.cols = (hi.0 - lo.0) / self.used_cell + 1;
        self.rows = (hi.1 - lo.1) / self.used_cell + 1;
        let n = (self.cols * self.rows) as usize;
        self.starts.resize(n + 1, 0);
        for &(_, x, y) in &self.points {
            let c = self.cell_of(i64::from(x), i64::from(y));
            self.cells.push(c);
            self.starts[c as usize + 1] += 1;
        }
        for c in 0..n {
            self.starts[c + 1] += self.starts[c];
        }
        self.items.resize(self.points.len(), 0);
        // Fill each cell from its start, the starts serving as cursors, then shift them back.
        for (i, &c) in self.cells.iter().enumerate() {
            let slot = &mut self.starts[c as usize];
            self.items[*slot as usize] = i as u32;
            *slot += 1;
        }
        self.starts.copy_within(0..n, 1);
        self.starts[0] = 0;
    }

    fn cell_of(&self, x: i64, y: i64) -> u32 {
        let cx = (x - self.origin.0) / self.used_cell;
        let cy = (y - self.origin.1) / self.used_cell;
        (cy * self.cols + cx) as u32
    }

    /// Every point in the cells that the square of half-side `reach` around `(x, y)`
    /// touches.
    fn each_near(&self, x: i64, y: i64, reach: i64, mut f: impl FnMut(&(u32, i32, i32))) {
        if self.cols == 0 {
            return;
        }
        let axis = |v: i64, o: i64, n: i64| ((v - o).div_euclid(self.used_cell)).clamp(-1, n);
        let (cx0, cx1) =
            (axis(x - reach, self.origin.0, self.cols), axis(x + reach, self.origin.0, self.cols));
        let (cy0, cy1) =
            (axis(y - reach, self.origin.1, self.rows), axis(y + reach, self.origin.1, self.rows));
        let (cx0, cx1) = (cx0.max(0), cx1.min(self.cols - 1));
        let (cy0, cy1) = (cy0.max(0), cy1.min(self.rows - 1));
        if cx0 > cx1 || cy0 > cy1 {
            return;
        }
        for cy in cy0..=cy1 {
            let row = cy * self.cols;
            // The cells of one row are contiguous in `items`.
            let a = self.starts[(row + cx0) as usize] as usize;
            let b = self.starts[(row + cx1 + 1) as usize] as usize;
            for &i in &self.items[a..b] {
                f(&self.points[i as usize]);
            }
        }
    }
}

#[cfg(test)]
mod tests;
