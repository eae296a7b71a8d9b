//! Point-in-time views for the heavy pool, and the merge of overlay and
//! disk shared by every scan.
//!
//! A [`SnapshotView`] is built on the owning core (fjall snapshot + a copy
//! of the overlay), then moved to a heavy-pool thread, where KEYS/SCAN run
//! against it without touching the core's executor.

use crate::elems;
use crate::engine::{DataOp, EngineError, ReadHealth};
use crate::keys;
use bytes::Bytes;
use corekv_core::{Ns, Record, Store, StoreError};
use fjall::{Keyspace, Readable, Snapshot};
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::ops::Range;
use std::sync::Arc;

pub struct SnapshotView {
    pub(crate) snapshot: Snapshot,
    pub(crate) data: Keyspace,
    /// The data halves of the jobs not yet written when the view was taken,
    /// oldest first: laid over the snapshot (the group's share of them,
    /// built on first use, on the thread that reads the view).
    chunks: Vec<Arc<Vec<DataOp>>>,
    layers: OnceCell<Layers>,
    pub(crate) clears: Vec<(u16, u16)>,
    pub(crate) key_count: u64,
    pub(crate) slots: Range<u16>,
    pub(crate) health: Arc<ReadHealth>,
    pub(crate) elem: Keyspace,
    /// Dropped collections not purged yet (a snapshot stream skips them).
    pub(crate) garbage: HashSet<Ns>,
    /// The last record read from fjall by [`Store::get`] (user key and
    /// record): a GET run on the pool reads its key once, and the server
    /// fills the core's row cache with it ([`SnapshotView::last_read`]).
    last: std::cell::RefCell<Option<(Vec<u8>, Option<Record>)>>,
    /// The one record this view is for was in neither record overlay nor
    /// a pending clear when the view was taken ([`SnapshotView::for_clean_record`]):
    /// its point read goes straight to the snapshot, without building the
    /// layers (every unwritten op of the group, sorted: milliseconds under
    /// write load, for one GET).
    clean_record: Option<Vec<u8>>,
    /// The group's transaction state when the view was taken (a snapshot
    /// sent to a follower carries it), unless empty.
    txn: Option<bytes::Bytes>,
    /// The meta group's users (group 0 only), if any.
    acl: Option<bytes::Bytes>,
}

/// The overlays of a view: records by data key (sorted) and elements.
struct Layers {
    overlay: Vec<(Bytes, Option<Record>)>,
    el_overlay: elems::ElOverlay<Option<Bytes>>,
}

impl SnapshotView {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        snapshot: Snapshot,
        data: Keyspace,
        chunks: Vec<Arc<Vec<DataOp>>>,
        clears: Vec<(u16, u16)>,
        key_count: u64,
        slots: Range<u16>,
        health: Arc<ReadHealth>,
        elem: Keyspace,
        garbage: HashSet<Ns>,
    ) -> SnapshotView {
        SnapshotView {
            snapshot,
            data,
            chunks,
            layers: OnceCell::new(),
            clean_record: None,
            txn: None,
            acl: None,
            clears,
            key_count,
            slots,
            health,
            elem,
            garbage,
            last: std::cell::RefCell::new(None),
        }
    }

    /// Carries the group's transaction state (when it holds any).
    pub(crate) fn with_txn(mut self, st: &crate::txn::TxnState) -> SnapshotView {
        if !st.held.is_empty()
            || !st.records.is_empty()
            || !st.tombstones.is_empty()
            || !st.done.is_empty()
        {
            self.txn = Some(bytes::Bytes::from(st.encode()));
        }
        self
    }

    /// Carries the meta group's users.
    pub(crate) fn with_acl(mut self, acl: Option<&[u8]>) -> SnapshotView {
        self.acl = acl.map(bytes::Bytes::copy_from_slice);
        self
    }

    /// The meta group's users as a snapshot stream sends them.
    pub fn acl_state(&self) -> Option<&bytes::Bytes> {
        self.acl.as_ref()
    }

    /// The group's transaction state as a snapshot stream sends it.
    pub fn txn_state(&self) -> Option<&bytes::Bytes> {
        self.txn.as_ref()
    }

    /// The last record [`Store::get`] read from fjall (not the overlay),
    /// with its user key, taken out of the view.
    pub fn last_read(&self) -> Option<(Vec<u8>, Option<Record>)> {
        self.last.borrow_mut().take()
    }

    /// Marks `key`'s record as written to the snapshot already (the
    /// caller checked the shard's overlays and pending clears: only
    /// `Shard::clean_record_view` calls this).
    pub(crate) fn for_clean_record(mut self, key: &[u8]) -> SnapshotView {
        self.clean_record = Some(key.to_vec());
        self
    }

    fn layers(&self) -> &Layers {
        self.layers.get_or_init(|| {
            let in_range = |slot: u16| self.slots.contains(&slot);
            let mut recs: HashMap<Bytes, Option<Bytes>> = HashMap::new();
            let mut el_overlay: elems::ElOverlay<Option<Bytes>> = BTreeMap::new();
            for op in self.chunks.iter().flat_map(|c| c.iter()) {
                let data_in = |k: &Bytes| keys::split_data_key(k).is_some_and(|(s, _)| in_range(s));
                let el_in = |k: &Bytes| keys::elem_ns(k).is_some_and(|ns| in_range(ns.slot));
                match op {
                    DataOp::Put(k, enc) if data_in(k) => {
                        recs.insert(k.clone(), Some(enc.clone()));
                    }
                    DataOp::Del(k) if data_in(k) => {
                        recs.insert(k.clone(), None);
                    }
                    DataOp::ElPut(k, v) if el_in(k) => {
                        el_overlay.insert(elems::ElKey::new(k), Some(v.clone()));
                    }
                    DataOp::ElDel(k) if el_in(k) => {
                        el_overlay.insert(elems::ElKey::new(k), None);
                    }
                    DataOp::Clear(from, to) => {
                        let gone = |s: u16| s >= *from && s < *to;
                        recs.retain(|k, _| !keys::split_data_key(k).is_some_and(|(s, _)| gone(s)));
                        el_overlay.retain(|k, _| {
                            !keys::elem_ns(k.as_slice()).is_some_and(|ns| gone(ns.slot))
                        });
                    }
                    _ => {}
                }
            }
            let mut overlay: Vec<(Bytes, Option<Record>)> = Vec::with_capacity(recs.len());
            for (k, enc) in recs {
                match enc {
                    // Encoded by this core's own apply.
                    Some(enc) => {
                        if let Some(rec) = Record::decode(&enc) {
                            overlay.push((k, Some(rec)));
                        } else {
                            self.health.note_error();
                        }
                    }
                    None => overlay.push((k, None)),
                }
            }
            overlay.sort_by(|a, b| a.0.cmp(&b.0));
            Layers {
                overlay,
                el_overlay,
            }
        })
    }

    fn overlay(&self) -> &[(Bytes, Option<Record>)] {
        &self.layers().overlay
    }

    fn el_overlay(&self) -> &elems::ElOverlay<Option<Bytes>> {
        &self.layers().el_overlay
    }

    pub fn slots(&self) -> Range<u16> {
        self.slots.clone()
    }

    fn cleared(&self, slot: u16) -> bool {
        self.clears.iter().any(|&(a, b)| slot >= a && slot < b)
    }

    /// Visits element keys in `range` as of the view: disk with the
    /// overlay copy laid over it.
    fn elements(
        &self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        rev: bool,
        skip_disk: &dyn Fn(&[u8]) -> bool,
        visit: &mut elems::Visit<'_>,
    ) -> Result<(), StoreError> {
        let top = elems::overlay_iter(self.el_overlay(), elems::as_ref(range), rev, |v| {
            v.as_deref()
        });
        elems::layer(
            top,
            rev,
            &mut |f| {
                self.health.check().map_err(read_error)?;
                let iter = self.snapshot.range(&self.elem, range.clone());
                elems::visit_disk(iter, rev, &self.health, &mut |k, v| skip_disk(k) || f(k, v))
            },
            visit,
        )
    }

    /// Every live element of the view's slots as (element key, value), for
    /// a snapshot stream: garbage namespaces and cleared slots are skipped.
    pub fn scan_elements(&self, visit: &mut elems::Visit<'_>) -> Result<(), StoreError> {
        let lo = Bound::Included(keys::slot_start(self.slots.start));
        let hi = if self.slots.end >= corekv_core::slot::SLOTS {
            Bound::Unbounded
        } else {
            Bound::Excluded(keys::slot_start(self.slots.end))
        };
        let dead = |k: &[u8]| {
            keys::elem_ns(k).is_none_or(|ns| self.garbage.contains(&ns) || self.cleared(ns.slot))
        };
        self.elements(&(lo, hi), false, &|k| self.cleared_key(k), &mut |k, v| {
            dead(k) || visit(k, v)
        })
    }

    fn cleared_key(&self, k: &[u8]) -> bool {
        keys::elem_ns(k).is_none_or(|ns| self.cleared(ns.slot))
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
        let clean = self.clean_record.as_deref() == Some(key);
        if !clean
            && let Ok(i) = self
                .overlay()
                .binary_search_by(|(k, _)| k.as_ref().cmp(dk.as_slice()))
        {
            return Ok(self.overlay().get(i).and_then(|(_, r)| r.clone()));
        }
        if self.cleared(slot) {
            return Ok(None);
        }
        if let Some((k, rec)) = self.last.borrow().as_ref()
            && k.as_slice() == key
        {
            return Ok(rec.clone());
        }
        self.health.check().map_err(read_error)?;
        crate::cache::debug_read_delay();
        let rec = match self.snapshot.get(&self.data, &dk) {
            Ok(Some(v)) => decode(&self.health, key, &v).map(Some)?,
            Ok(None) => None,
            Err(e) => {
                self.health.note_error();
                return Err(StoreError::new(e));
            }
        };
        *self.last.borrow_mut() = Some((key.to_vec(), rec.clone()));
        Ok(rec)
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
            .overlay()
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
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        let ek = keys::elem_key(ns, sub);
        if let Some(v) = self.el_overlay().get(ek.as_slice()) {
            return Ok(v.clone());
        }
        if self.cleared(ns.slot) {
            return Ok(None);
        }
        self.health.check().map_err(read_error)?;
        match self.snapshot.get(&self.elem, &ek) {
            Ok(v) => Ok(v.map(|v| Bytes::copy_from_slice(&v))),
            Err(e) => {
                self.health.note_error();
                Err(StoreError::new(e))
            }
        }
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let cleared = self.cleared(ns.slot);
        self.elements(
            &elems::bounds(ns, lo, hi),
            rev,
            &|_| cleared,
            &mut |k, v| visit(k.get(keys::ELEM_KEY_PREFIX..).unwrap_or(&[]), v),
        )
    }
    fn el_put(&mut self, _ns: Ns, _sub: &[u8], _value: Bytes) {
        debug_assert!(false, "read-only view");
    }
    fn el_del(&mut self, _ns: Ns, _sub: &[u8]) {
        debug_assert!(false, "read-only view");
    }
    fn new_id(&mut self) -> u64 {
        debug_assert!(false, "read-only view");
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
