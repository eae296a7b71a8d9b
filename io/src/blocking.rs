//! Blocked clients (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP), kept on the core that leads the keys' group.
//!
//! A blocking command is proposed like any write; its apply runs the
//! non-blocking form and answers `errors::WOULD_BLOCK` when every key is
//! empty. The core then keeps the client here, queued per key in arrival
//! order, instead of answering. When an applied write touches a key with
//! waiters, the core proposes the front waiter's command again (a serve);
//! it either pops (the client gets that reply and the next waiter of the
//! key is served) or finds the key empty again (a concurrent pop won) and
//! stays at the front. Nothing polls: a waiter costs memory only, until a
//! write to one of its keys or its deadline. docs/design/0019 section 5.

use bytes::Bytes;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

/// Where the reply of a blocked command goes (the proposal's waiter).
pub(crate) struct BWaiter<T> {
    pub pos: usize,
    pub argv: Vec<Bytes>,
    pub keys: Vec<Bytes>,
    pub to: T,
    pub deadline: Option<Instant>,
    /// A serve is proposed and not applied yet.
    pub inflight: bool,
    /// The deadline passed while a serve was in flight: if the serve finds
    /// nothing, the client gets its timeout reply.
    pub expired: bool,
    /// The connection's id, for CLIENT UNBLOCK (0: not known).
    pub client: u64,
    /// CLIENT UNBLOCK arrived while a serve was in flight: the serve's
    /// outcome decides (an element popped wins; nothing popped unblocks).
    pub unblock: Option<Unblock>,
}

/// A CLIENT UNBLOCK waiting for the outcome of an in-flight serve.
pub(crate) struct Unblock {
    /// ERROR (the client gets `-UNBLOCKED ...`) rather than TIMEOUT.
    pub error: bool,
    /// Gets 1 if the client was unblocked; dropped unsent otherwise.
    pub answer: flume::Sender<u64>,
}

/// The blocked clients of one core.
pub(crate) struct Blocked<T> {
    next_id: u64,
    waiters: HashMap<u64, BWaiter<T>, ahash::RandomState>,
    by_key: HashMap<(usize, Bytes), VecDeque<u64>, ahash::RandomState>,
    deadlines: BTreeSet<(Instant, u64)>,
}

impl<T> Default for Blocked<T> {
    fn default() -> Self {
        Blocked {
            next_id: 1,
            waiters: HashMap::default(),
            by_key: HashMap::default(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<T> Blocked<T> {
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// Blocks a client at the back of each of its keys' queues.
    pub fn add(&mut self, w: BWaiter<T>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        for k in &w.keys {
            let q = self.by_key.entry((w.pos, k.clone())).or_default();
            if !q.contains(&id) {
                q.push_back(id);
            }
        }
        if let Some(d) = w.deadline {
            self.deadlines.insert((d, id));
        }
        self.waiters.insert(id, w);
        id
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut BWaiter<T>> {
        self.waiters.get_mut(&id)
    }

    /// Removes a waiter from every queue (served, timed out, cancelled).
    pub fn remove(&mut self, id: u64) -> Option<BWaiter<T>> {
        let w = self.waiters.remove(&id)?;
        for k in &w.keys {
            let key = (w.pos, k.clone());
            if let Some(q) = self.by_key.get_mut(&key) {
                q.retain(|x| *x != id);
                if q.is_empty() {
                    self.by_key.remove(&key);
                }
            }
        }
        if let Some(d) = w.deadline {
            self.deadlines.remove(&(d, id));
        }
        Some(w)
    }

    /// Whether any client waits on `key` of group `pos`.
    pub fn watched(&self, pos: usize, key: &Bytes) -> bool {
        self.by_key.contains_key(&(pos, key.clone()))
    }

    /// The waiter to serve after a write to `key`: the oldest one, unless
    /// a serve of it is already in flight (its outcome decides what next).
    pub fn front(&self, pos: usize, key: &Bytes) -> Option<u64> {
        let id = *self.by_key.get(&(pos, key.clone()))?.front()?;
        let w = self.waiters.get(&id)?;
        (!w.inflight).then_some(id)
    }

    /// Waiters whose deadline is at or before `now`.
    pub fn due(&self, now: Instant) -> Vec<u64> {
        self.deadlines
            .iter()
            .take_while(|(d, _)| *d <= now)
            .map(|(_, id)| *id)
            .collect()
    }

    /// The blocked command of connection `client`, if any (CLIENT
    /// UNBLOCK; a scan, it is an admin command).
    pub fn of_client(&self, client: u64) -> Option<u64> {
        if client == 0 {
            return None;
        }
        self.waiters
            .iter()
            .find(|(_, w)| w.client == client)
            .map(|(id, _)| *id)
    }

    pub fn ids(&self) -> Vec<u64> {
        self.waiters.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn w(keys: &[&str], deadline: Option<Instant>) -> BWaiter<()> {
        BWaiter {
            pos: 0,
            argv: Vec::new(),
            keys: keys
                .iter()
                .map(|k| Bytes::copy_from_slice(k.as_bytes()))
                .collect(),
            to: (),
            deadline,
            inflight: false,
            expired: false,
            client: 0,
            unblock: None,
        }
    }

    #[test]
    fn waiters_are_served_in_arrival_order_per_key() {
        let mut b = Blocked::default();
        let now = Instant::now();
        let a = b.add(w(&["q", "r"], None));
        let c = b.add(w(&["q"], Some(now + Duration::from_millis(5))));
        let q = Bytes::from_static(b"q");
        let r = Bytes::from_static(b"r");
        assert_eq!(b.front(0, &q), Some(a));
        assert_eq!(b.front(0, &r), Some(a));
        if let Some(x) = b.get_mut(a) {
            x.inflight = true;
        }
        assert_eq!(b.front(0, &q), None, "the front is being served");
        b.remove(a);
        assert_eq!(b.front(0, &q), Some(c));
        assert!(!b.watched(0, &r));
        assert_eq!(b.due(now), Vec::<u64>::new());
        assert_eq!(b.due(now + Duration::from_millis(5)), vec![c]);
        b.remove(c);
        assert!(b.is_empty() && b.by_key.is_empty() && b.deadlines.is_empty());
    }
}
