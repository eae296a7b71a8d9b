//! Point-in-time views for the heavy pool, and the merge of overlay and
//! disk shared by every scan.
//!
//! A [`SnapshotView`] is built on the owning core (fjall snapshot + a copy
//! of the overlay), then moved to a heavy-pool thread, where KEYS/SCAN run
//! against it without touching the core's executor.

use crate::engine::{EngineError, ReadHealth};
use crate::keys;
use bytes::Bytes;
use corekv_core::{Record, Store, StoreError};
use fjall::{Keyspace, Readable, Snapshot};
use std::ops::Range;
use std::sync::Arc;

pub struct SnapshotView {
    pub(crate) snapshot: Snapshot,
    pub(crate) data: Keyspace,
    pub(crate) overlay: Vec<(Bytes, Option<Record>)>,
    pub(crate) clears: Vec<(u16, u16)>,
    pub(crate) key_count: u64,
    pub(crate) slots: Range<u16>,
    pub(crate) health: Arc<ReadHealth>,
}

impl SnapshotView {
    pub fn slots(&self) -> Range<u16> {
        self.slots.clone()
    }

    fn cleared(&self, slot: u16) -> bool {
        self.clears.iter().any(|&(a, b)| slot >= a && slot < b)
    }
}

/// A failed data read as the seam reports it (counted once, here or in
/// the engine).
pub(crate) fn read_error(e: EngineError) -> StoreError {
    match e {
        EngineError::Fjall(e) => StoreError::new(e),
        other => StoreError::new(other),
    }
}

/// Decodes a stored record; one that does not decode is an error (counted
/// in `health`), never an absent key.
pub(crate) fn decode(health: &ReadHealth, key: &[u8], v: &[u8]) -> Result<Record, StoreError> {
    Record::decode(v).ok_or_else(|| {
        health.note_error();
        StoreError::corrupt(key)
    })
}

impl Store for SnapshotView {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        let slot = corekv_core::slot::key_slot(key);
        let dk = keys::data_key(slot, key);
        if let Ok(i) = self
            .overlay
            .binary_search_by(|(k, _)| k.as_ref().cmp(dk.as_slice()))
        {
            return Ok(self.overlay.get(i).and_then(|(_, r)| r.clone()));
        }
        if self.cleared(slot) {
            return Ok(None);
        }
        self.health.check().map_err(read_error)?;
        match self.snapshot.get(&self.data, &dk) {
            Ok(Some(v)) => decode(&self.health, key, &v).map(Some),
            Ok(None) => Ok(None),
            Err(e) => {
                self.health.note_error();
                Err(StoreError::new(e))
            }
        }
    }
    fn put(&mut self, _key: &[u8], _rec: Record) -> Result<(), StoreError> {
        debug_assert!(false, "read-only view");
        Ok(())
    }
    fn delete(&mut self, _key: &[u8]) -> Result<(), StoreError> {
        debug_assert!(false, "read-only view");
        Ok(())
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        self.health.check().map_err(read_error)?;
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
        merge_scan(&over, disk, &|slot| self.cleared(slot), &self.health, visit)
    }
    fn clear(&mut self, _from_slot: u16, _to_slot: u16) {
        debug_assert!(false, "read-only view");
    }
    fn len(&self) -> u64 {
        self.key_count
    }
    fn el_get(&self, _ns: corekv_core::Ns, _sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Err(StoreError::new("collections are not stored yet"))
    }
    fn el_range(
        &self,
        _ns: corekv_core::Ns,
        _lo: std::ops::Bound<&[u8]>,
        _hi: std::ops::Bound<&[u8]>,
        _rev: bool,
        _visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        Err(StoreError::new("collections are not stored yet"))
    }
    fn el_put(&mut self, _ns: corekv_core::Ns, _sub: &[u8], _value: Bytes) {}
    fn el_del(&mut self, _ns: corekv_core::Ns, _sub: &[u8]) {}
    fn new_id(&mut self) -> u64 {
        0
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
/// records of slots with a pending clear are skipped. A disk read error or
/// a record that does not decode ends the scan with an error: skipping it
/// would answer KEYS/SCAN (or stream a snapshot) without a key that exists.
pub(crate) fn merge_scan(
    over: &[(Bytes, Option<Record>)],
    disk: fjall::Iter,
    cleared: &dyn Fn(u16) -> bool,
    health: &ReadHealth,
    visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
) -> Result<(), StoreError> {
    let mut over = over.iter().peekable();
    let mut disk = disk
        .map(|kv| {
            kv.into_inner().map_err(|e| {
                health.note_error();
                StoreError::new(e)
            })
        })
        .peekable();
    loop {
        let take_over = match (over.peek(), disk.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (_, Some(Err(_))) => {
                if let Some(Err(e)) = disk.next() {
                    return Err(e);
                }
                break;
            }
            (None, Some(Ok(_))) => false,
            (Some((ok, _)), Some(Ok((dk, _)))) => ok.as_ref() <= &dk[..],
        };
        if take_over {
            let Some((k, rec)) = over.next() else { break };
            if disk
                .peek()
                .is_some_and(|d| d.as_ref().is_ok_and(|(dk, _)| &dk[..] == k.as_ref()))
            {
                disk.next();
            }
            if let (Some(rec), Some((slot, key))) = (rec, keys::split_data_key(k))
                && !visit(slot, key, rec)
            {
                return Ok(());
            }
        } else {
            let Some(Ok((k, v))) = disk.next() else { break };
            let Some((slot, key)) = keys::split_data_key(&k) else {
                continue;
            };
            if cleared(slot) {
                continue;
            }
            let rec = decode(health, key, &v)?;
            if !visit(slot, key, &rec) {
                return Ok(());
            }
        }
    }
    Ok(())
}
