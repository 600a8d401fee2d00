//! The matching policy: a pure function from who is waiting (and which lobbies have seats) to
//! who goes where. No clock (waiting times are inputs), no I/O, fully deterministic.
//!
//! 1. Oldest tickets first: each one joins an open lobby of its mode with a free seat whose
//!    skill is within the ticket's window, preferring the fullest such lobby (fill lobbies
//!    before opening new ones).
//! 2. The rest form new lobbies: the oldest unplaced ticket anchors a group of up to
//!    `max_players` of the closest-skill tickets within its window; the group becomes a lobby
//!    when it has at least `min_players`, otherwise everyone keeps waiting.
//!
//! The skill window is `base + growth * seconds waited`, capped at `max`, so a player who
//! waits long enough will eventually match anyone.

use crate::config::ModeConfig;
use std::time::Duration;

/// Skill window parameters of a mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkillWindow {
    /// Skill difference accepted at once.
    pub base: f64,
    /// How much the window widens per second waited.
    pub growth_per_sec: f64,
    /// The widest the window gets.
    pub max: f64,
}

impl SkillWindow {
    /// The window a mode's settings describe.
    pub(crate) fn of(mode: &ModeConfig) -> Self {
        SkillWindow {
            base: mode.skill_window,
            growth_per_sec: mode.skill_window_growth,
            max: mode.skill_window_max,
        }
    }

    /// The window after waiting `waited`: widening, so a long wait matches anyone.
    pub fn at(&self, waited: Duration) -> f64 {
        (self.base + self.growth_per_sec * waited.as_secs_f64()).min(self.max)
    }
}

/// What the policy needs of a mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Seats per lobby: no placement exceeds it.
    pub max_players: u32,
    /// Players a new lobby needs before it is opened.
    pub min_players: u32,
    /// The mode's skill window.
    pub window: SkillWindow,
}

/// A waiting player as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiting {
    /// The player's skill rating.
    pub skill: f64,
    /// How long the player has waited (time is passed in: the policy reads no clock).
    pub waited: Duration,
}

/// A lobby that takes players now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenSeats {
    /// The lobby's id.
    pub lobby: u64,
    /// Seats it can still take.
    pub free: u32,
    /// The mean skill of its players.
    pub skill: f64,
}

/// Where tickets go; indices refer to the `waiting` slice given to [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// These waiting players join this open lobby.
    Join {
        /// The open lobby.
        lobby: u64,
        /// Indices into `waiting`.
        tickets: Vec<usize>,
    },
    /// These waiting players open a new lobby together.
    NewLobby {
        /// Indices into `waiting`.
        tickets: Vec<usize>,
    },
}

/// Place waiting players: into open lobbies first, then new lobbies of at least
/// `min_players` within each other's skill window; deterministic for the same input.
pub fn plan(waiting: &[Waiting], open: &[OpenSeats], p: &Params) -> Vec<Placement> {
    let mut order: Vec<usize> = (0..waiting.len()).collect();
    // Longest wait first; ties by index, so the result is deterministic.
    order.sort_by(|&a, &b| waiting[b].waited.cmp(&waiting[a].waited).then(a.cmp(&b)));
    let mut placed = vec![false; waiting.len()];
    let mut free: Vec<u32> = open.iter().map(|o| o.free).collect();
    let mut joins: Vec<Vec<usize>> = vec![Vec::new(); open.len()];

    for &t in &order {
        let w = p.window.at(waiting[t].waited);
        let best = (0..open.len())
            .filter(|&l| free[l] > 0 && (open[l].skill - waiting[t].skill).abs() <= w)
            .min_by_key(|&l| (free[l], l));
        if let Some(l) = best {
            free[l] -= 1;
            joins[l].push(t);
            placed[t] = true;
        }
    }
    let mut out: Vec<Placement> = joins
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(l, tickets)| Placement::Join { lobby: open[l].lobby, tickets })
        .collect();

    for &anchor in &order {
        if placed[anchor] {
            continue;
        }
        let a = waiting[anchor];
        let w = p.window.at(a.waited);
        let mut cands: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&t| !placed[t] && t != anchor && (waiting[t].skill - a.skill).abs() <= w)
            .collect();
        cands.sort_by(|&x, &y| {
            let dx = (waiting[x].skill - a.skill).abs();
            let dy = (waiting[y].skill - a.skill).abs();
            dx.total_cmp(&dy).then(waiting[y].waited.cmp(&waiting[x].waited)).then(x.cmp(&y))
        });
        let mut group = vec![anchor];
        group.extend(cands.into_iter().take(p.max_players.saturating_sub(1) as usize));
        if group.len() as u32 >= p.min_players.max(1) {
            for &t in &group {
                placed[t] = true;
            }
            out.push(Placement::NewLobby { tickets: group });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(max: u32, min: u32) -> Params {
        Params {
            max_players: max,
            min_players: min,
            window: SkillWindow { base: 100.0, growth_per_sec: 50.0, max: 1000.0 },
        }
    }

    fn w(skill: f64, secs: u64) -> Waiting {
        Waiting { skill, waited: Duration::from_secs(secs) }
    }

    fn sizes(p: &[Placement]) -> Vec<usize> {
        p.iter()
            .map(|x| match x {
                Placement::Join { tickets, .. } | Placement::NewLobby { tickets } => tickets.len(),
            })
            .collect()
    }

    #[test]
    fn seventeen_players_make_a_full_lobby_and_leave_one_waiting() {
        let waiting: Vec<_> = (0..17).map(|i| w(1500.0, 17 - i)).collect();
        let out = plan(&waiting, &[], &params(16, 2));
        assert_eq!(sizes(&out), vec![16]);
        // the youngest ticket (index 16) is the one left out
        match &out[0] {
            Placement::NewLobby { tickets } => assert!(!tickets.contains(&16)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn below_min_players_everyone_waits() {
        assert!(plan(&[w(1500.0, 3)], &[], &params(16, 2)).is_empty());
    }

    #[test]
    fn skill_window_keeps_far_apart_players_apart_until_it_widens() {
        let p = params(16, 2);
        assert!(plan(&[w(1000.0, 0), w(1500.0, 0)], &[], &p).is_empty());
        // after 8 s the window is 100 + 400 = 500
        let out = plan(&[w(1000.0, 8), w(1500.0, 8)], &[], &p);
        assert_eq!(sizes(&out), vec![2]);
    }

    #[test]
    fn open_lobbies_are_filled_first_fullest_first() {
        let open = [
            OpenSeats { lobby: 1, free: 5, skill: 1500.0 },
            OpenSeats { lobby: 2, free: 1, skill: 1500.0 },
        ];
        let out = plan(&[w(1500.0, 2), w(1500.0, 1)], &open, &params(16, 2));
        assert_eq!(
            out,
            vec![
                Placement::Join { lobby: 1, tickets: vec![1] },
                Placement::Join { lobby: 2, tickets: vec![0] },
            ]
        );
    }

    #[test]
    fn groups_take_the_closest_skills() {
        let waiting = [w(1500.0, 10), w(1900.0, 1), w(1510.0, 1), w(1490.0, 1)];
        let out = plan(&waiting, &[], &params(3, 2));
        assert_eq!(out, vec![Placement::NewLobby { tickets: vec![0, 2, 3] }]);
    }

    #[test]
    fn every_ticket_is_placed_at_most_once() {
        let waiting: Vec<_> = (0..100).map(|i| w(1000.0 + (i * 37 % 400) as f64, i % 7)).collect();
        let open = [OpenSeats { lobby: 9, free: 3, skill: 1200.0 }];
        let out = plan(&waiting, &open, &params(8, 2));
        let mut seen = std::collections::HashSet::new();
        for p in &out {
            let (Placement::Join { tickets, .. } | Placement::NewLobby { tickets }) = p;
            assert!(tickets.len() <= 8);
            for t in tickets {
                assert!(seen.insert(*t), "ticket {t} placed twice");
            }
        }
    }
}
