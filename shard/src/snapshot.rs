//! Point-in-time views for the heavy pool, and the merge of overlay and
//! disk shared by every scan.
//!
//! A [`SnapshotView`] is built on the owning core (fjall snapshot + a copy
//! of the overlay), then moved to a heavy-pool thread, where KEYS/SCAN run
//! against it without touching the core's executor.

use crate::keys;
use bytes::Bytes;
use corekv_core::{Record, Store};
use fjall::{Keyspace, Readable, Snapshot};
use std::ops::Range;

pub struct SnapshotView {
    pub(crate) snapshot: Snapshot,
    pub(crate) data: Keyspace,
    pub(crate) overlay: Vec<(Bytes, Option<Record>)>,
    pub(crate) clears: Vec<(u16, u16)>,
    pub(crate) key_count: u64,
    pub(crate) slots: Range<u16>,
}

impl SnapshotView {
    pub fn slots(&self) -> Range<u16> {
        self.slots.clone()
    }

    fn cleared(&self, slot: u16) -> bool {
        self.clears.iter().any(|&(a, b)| slot >= a && slot < b)
    }
}

impl Store for SnapshotView {
    fn get(&self, key: &[u8]) -> Option<Record> {
        let slot = corekv_core::slot::key_slot(key);
        let dk = keys::data_key(slot, key);
        if let Ok(i) = self
            .overlay
            .binary_search_by(|(k, _)| k.as_ref().cmp(dk.as_slice()))
        {
            return self.overlay.get(i).and_then(|(_, r)| r.clone());
        }
        if self.cleared(slot) {
            return None;
        }
        match self.snapshot.get(&self.data, &dk) {
            Ok(Some(v)) => Record::decode(&v),
            _ => None,
        }
    }
    fn put(&mut self, _key: &[u8], _rec: Record) {
        debug_assert!(false, "read-only view");
    }
    fn delete(&mut self, _key: &[u8]) {
        debug_assert!(false, "read-only view");
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) {
        let lo = keys::slot_start(from_slot);
        let disk = if to_slot >= corekv_core::slot::SLOTS {
            self.snapshot.range(&self.data, lo..)
        } else {
            self.snapshot
                .range(&self.data, lo..keys::slot_start(to_slot))
        };
        let over: Vec<(Bytes, Option<Record>)> = self
            .overlay
            .iter()
            .filter(|(k, _)| {
                keys::split_data_key(k).is_some_and(|(s, _)| s >= from_slot && s < to_slot)
            })
            .cloned()
            .collect();
        merge_scan(&over, disk, &|slot| self.cleared(slot), visit);
    }
    fn clear(&mut self, _from_slot: u16, _to_slot: u16) {
        debug_assert!(false, "read-only view");
    }
    fn len(&self) -> u64 {
        self.key_count
    }
}

/// The data keyspace's records of slots `from..to`.
pub(crate) fn data_range(data: &Keyspace, from: u16, to: u16) -> fjall::Iter {
    let lo = keys::slot_start(from);
    if to >= corekv_core::slot::SLOTS {
        data.range(lo..)
    } else {
        data.range(lo..keys::slot_start(to))
    }
}

/// Merges sorted overlay entries with sorted disk records in key order; the
/// overlay wins on equal keys, a `None` there hides the key, and disk
/// records of slots with a pending clear are skipped.
pub(crate) fn merge_scan(
    over: &[(Bytes, Option<Record>)],
    disk: fjall::Iter,
    cleared: &dyn Fn(u16) -> bool,
    visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
) {
    let mut over = over.iter().peekable();
    let mut disk = disk.filter_map(|kv| kv.into_inner().ok()).peekable();
    loop {
        let take_over = match (over.peek(), disk.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((ok, _)), Some((dk, _))) => ok.as_ref() <= &dk[..],
        };
        if take_over {
            let Some((k, rec)) = over.next() else { break };
            if disk.peek().is_some_and(|(dk, _)| &dk[..] == k.as_ref()) {
                disk.next();
            }
            if let (Some(rec), Some((slot, key))) = (rec, keys::split_data_key(k))
                && !visit(slot, key, rec)
            {
                return;
            }
        } else {
            let Some((k, v)) = disk.next() else { break };
            let Some((slot, key)) = keys::split_data_key(&k) else {
                continue;
            };
            if cleared(slot) {
                continue;
            }
            if let Some(rec) = Record::decode(&v)
                && !visit(slot, key, &rec)
            {
                return;
            }
        }
    }
}
