//! WATCH at a group's leader (docs/design/0025, "WATCH").
//!
//! A WATCH is registered on the core leading the keys' group, when its
//! `COREKV.TXWATCH` is queued. From then on a write queued for the group
//! that names a watched key *touches* the watch (and sets the log index
//! it will be applied by), and a write whose apply changed a watched key
//! makes it *dirty* (a DEL of a missing key changes nothing, as in Redis).
//! The EXEC's prepare (or one-group `COREKV.MULTI`) names the watch: once
//! every touching write is applied it goes on if the watch is clean, and
//! is refused (`TXWATCHFAIL`) if it is dirty, unknown here (another
//! leader, a restart), from another term, or a watched key that was live
//! has expired.
//! Leader-local and never replicated: a watch only has to outlive one
//! leadership, and losing it fails the EXEC, which is always safe.

use bytes::Bytes;
use corekv_core::txn::TxId;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Watches older than this are dropped (their EXEC then fails): a client
/// that never came back must not hold memory for ever.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// At most this many watches per group; the oldest go first.
const MAX_WATCHES: usize = 100_000;

struct Entry {
    /// Each key, and whether it held a live value when watched.
    keys: Vec<(Bytes, bool)>,
    term: u64,
    dirty: bool,
    /// The log index by which every write that named a watched key since
    /// the watch is applied (0: none did).
    touched: u64,
    at: Instant,
}

/// What a watch says about the transaction that names it.
#[derive(Debug, PartialEq, Eq)]
pub enum Holds {
    Yes,
    No,
    /// Writes that named a watched key are not applied yet: ask again.
    Wait,
}

#[derive(Default)]
pub struct WatchTable {
    by_key: HashMap<Bytes, Vec<TxId>>,
    entries: HashMap<TxId, Entry>,
}

impl WatchTable {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn register(&mut self, id: TxId, keys: Vec<(Bytes, bool)>, term: u64, now: Instant) {
        if self.entries.len() >= MAX_WATCHES {
            self.prune(now, true);
        }
        for (k, _) in &keys {
            let ids = self.by_key.entry(k.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let e = self.entries.entry(id).or_insert(Entry {
            keys: Vec::new(),
            term,
            dirty: false,
            touched: 0,
            at: now,
        });
        if e.term != term {
            e.dirty = true;
        }
        e.keys.extend(keys);
    }

    pub fn remove(&mut self, id: TxId) {
        let Some(e) = self.entries.remove(&id) else {
            return;
        };
        for (k, _) in e.keys {
            if let Some(ids) = self.by_key.get_mut(&k) {
                ids.retain(|x| *x != id);
                if ids.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
    }

    /// A write naming `key` is being proposed; it is applied by log index
    /// `by` at the latest.
    pub fn touch(&mut self, key: &[u8], by: u64) {
        if let Some(ids) = self.by_key.get(key) {
            for id in ids {
                if let Some(e) = self.entries.get_mut(id) {
                    e.touched = e.touched.max(by);
                }
            }
        }
    }

    /// An applied write changed `key`.
    pub fn changed(&mut self, key: &[u8]) {
        if let Some(ids) = self.by_key.get(key) {
            for id in ids {
                if let Some(e) = self.entries.get_mut(id) {
                    e.dirty = true;
                }
            }
        }
    }

    /// A write of the whole group (FLUSHALL) is being proposed: every
    /// watch of a key holding a value now (`live`) is dirty.
    pub fn flush(&mut self, live: impl Fn(&[u8]) -> Option<bool>) {
        for e in self.entries.values_mut() {
            if e.keys.iter().any(|(k, _)| live(k) != Some(false)) {
                e.dirty = true;
            }
        }
    }

    /// Whether watch `id` still holds in `term` with the group applied to
    /// `applied` (`idle`: nothing proposed is unapplied): known, clean once
    /// its touching writes are applied, and no key that was live when
    /// watched has expired since (`live` reads one).
    pub fn holds(
        &self,
        id: TxId,
        term: u64,
        applied: u64,
        idle: bool,
        live: impl Fn(&[u8]) -> Option<bool>,
    ) -> Holds {
        let Some(e) = self.entries.get(&id) else {
            return Holds::No;
        };
        if e.dirty || e.term != term {
            return Holds::No;
        }
        if e.touched > applied && !idle {
            return Holds::Wait;
        }
        if e.dirty {
            return Holds::No;
        }
        let expired = e.keys.iter().any(|(k, was)| *was && live(k) != Some(true));
        if expired { Holds::No } else { Holds::Yes }
    }

    /// Drops watches older than [`MAX_AGE`], or (`oldest`) the oldest tenth.
    pub fn prune(&mut self, now: Instant, oldest: bool) {
        let mut ids: Vec<(Instant, TxId)> =
            self.entries.iter().map(|(id, e)| (e.at, *id)).collect();
        ids.sort();
        let cut = if oldest { ids.len().div_ceil(10) } else { 0 };
        for (i, (at, id)) in ids.into_iter().enumerate() {
            if i < cut || now.duration_since(at) > MAX_AGE {
                self.remove(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_a_new_term_or_an_expiry_breaks_a_watch() {
        let now = Instant::now();
        let (a, b) = (TxId { node: 1, hlc: 1 }, TxId { node: 1, hlc: 2 });
        let mut t = WatchTable::default();
        t.register(a, vec![(Bytes::from("k"), true)], 5, now);
        t.register(b, vec![(Bytes::from("j"), false)], 5, now);
        let yes = |_: &[u8]| Some(true);
        let no = |_: &[u8]| Some(false);
        assert_eq!(t.holds(a, 5, 10, false, yes), Holds::Yes);
        assert_eq!(t.holds(a, 6, 10, false, yes), Holds::No, "another term");
        assert_eq!(t.holds(a, 5, 10, false, no), Holds::No, "expired since");
        assert_eq!(t.holds(b, 5, 10, false, no), Holds::Yes, "was not live");
        // A write naming k is proposed: wait until it is applied.
        t.touch(b"k", 12);
        assert_eq!(t.holds(a, 5, 11, false, yes), Holds::Wait);
        assert_eq!(t.holds(a, 5, 11, true, yes), Holds::Yes, "idle group");
        // It changed nothing (a DEL of nothing): the watch holds.
        assert_eq!(t.holds(a, 5, 12, false, yes), Holds::Yes);
        t.changed(b"k");
        assert_eq!(t.holds(a, 5, 12, false, yes), Holds::No);
        assert_eq!(t.holds(b, 5, 12, false, no), Holds::Yes);
        t.flush(no);
        assert_eq!(
            t.holds(b, 5, 12, false, no),
            Holds::Yes,
            "flush removed nothing"
        );
        t.flush(yes);
        assert_eq!(t.holds(b, 5, 12, false, no), Holds::No);
        t.remove(a);
        t.remove(b);
        assert!(t.is_empty() && t.by_key.is_empty());
        assert_eq!(t.holds(a, 5, 12, false, yes), Holds::No, "unknown");
    }
}
