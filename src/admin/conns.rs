//! Which admin connections the listener keeps when it is full.
//!
//! The admin listener takes at most [`super::MAX_ADMIN_CONNECTIONS`] connections. Refusing
//! new ones when full let anyone who can reach the port lock operators out by holding
//! idle connections (256 of them did, for as long as the idle timeout, again and again).
//! So a new connection instead takes the place of the oldest connection that has not yet
//! presented a valid token: an attacker without a token only ever evicts its own
//! connections, and an operator's new connection is the youngest, the last to be evicted.
//! Only when every connection is authenticated is a new one refused.
//!
//! Pure bookkeeping (no I/O, no clock: age is admission order); the listener keeps a
//! cancellation handle per entry and cancels what [`ConnTable::admit`] evicts.

/// A connection's entry: admission order is its id.
#[derive(Debug)]
struct Entry<T> {
    id: u64,
    authenticated: bool,
    handle: T,
}

/// The admitted connections, oldest first.
#[derive(Debug)]
pub(crate) struct ConnTable<T> {
    cap: usize,
    next_id: u64,
    open: Vec<Entry<T>>,
}

/// What [`ConnTable::admit`] decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission<T> {
    /// Admitted with this id; there was room.
    Admitted(u64),
    /// Admitted with this id in place of the oldest unauthenticated connection, whose
    /// handle is returned so that the caller closes it.
    Evicting { id: u64, evicted: T },
    /// Full of authenticated connections: the new one is not admitted.
    Refused,
}

impl<T> ConnTable<T> {
    pub(crate) fn new(cap: usize) -> Self {
        ConnTable { cap, next_id: 0, open: Vec::with_capacity(cap) }
    }

    /// Admit a new connection, evicting the oldest unauthenticated one when full.
    pub(crate) fn admit(&mut self, handle: T) -> Admission<T> {
        let evicted = if self.open.len() < self.cap {
            None
        } else {
            match self.open.iter().position(|e| !e.authenticated) {
                Some(i) => Some(self.open.remove(i).handle),
                None => return Admission::Refused,
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        self.open.push(Entry { id, authenticated: false, handle });
        match evicted {
            None => Admission::Admitted(id),
            Some(evicted) => Admission::Evicting { id, evicted },
        }
    }

    /// The connection presented a valid token: it is no longer evicted for newcomers.
    pub(crate) fn authenticate(&mut self, id: u64) {
        if let Some(e) = self.open.iter_mut().find(|e| e.id == id) {
            e.authenticated = true;
        }
    }

    /// The connection ended (or was evicted: then this does nothing).
    pub(crate) fn remove(&mut self, id: u64) {
        self.open.retain(|e| e.id != id);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::{Admission, ConnTable};

    #[test]
    fn admits_up_to_the_cap_then_evicts_the_oldest_unauthenticated() {
        let mut t = ConnTable::new(3);
        assert_eq!(t.admit("a"), Admission::Admitted(0));
        assert_eq!(t.admit("b"), Admission::Admitted(1));
        assert_eq!(t.admit("c"), Admission::Admitted(2));
        t.authenticate(0); // the operator's connection
        assert_eq!(t.admit("d"), Admission::Evicting { id: 3, evicted: "b" });
        assert_eq!(t.admit("e"), Admission::Evicting { id: 4, evicted: "c" });
        assert_eq!(t.admit("f"), Admission::Evicting { id: 5, evicted: "d" });
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn refuses_only_when_every_connection_is_authenticated() {
        let mut t = ConnTable::new(2);
        let (Admission::Admitted(a), Admission::Admitted(b)) = (t.admit(()), t.admit(())) else {
            panic!("room for two");
        };
        t.authenticate(a);
        t.authenticate(b);
        assert_eq!(t.admit(()), Admission::Refused);
        t.remove(a);
        assert_eq!(t.admit(()), Admission::Admitted(2));
    }

    #[test]
    fn removing_an_evicted_or_unknown_id_changes_nothing() {
        let mut t = ConnTable::new(1);
        assert_eq!(t.admit('x'), Admission::Admitted(0));
        assert_eq!(t.admit('y'), Admission::Evicting { id: 1, evicted: 'x' });
        t.remove(0); // the evicted connection's task ends later
        t.authenticate(0);
        assert_eq!(t.len(), 1);
        assert_eq!(t.admit('z'), Admission::Evicting { id: 2, evicted: 'y' });
    }
}
