//! The storage seam between command semantics and a shard's state.
//!
//! Command logic in this crate reads and writes user keys only through
//! [`Store`]. The shard crate implements it over fjall (plus an in-memory
//! overlay of applied-but-not-yet-flushed writes); tests use [`MemStore`].
//! Keys passed here are user keys (no slot prefix); the implementation adds
//! the slot prefix itself.

use crate::Reply;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Bound;

/// A read of the storage under a [`Store`] failed: an IO error, or a record
/// that does not decode. Never the same as "the key is absent": a command
/// that saw absence where a value exists would overwrite it (INCR from 0,
/// APPEND to nothing), so every read of the seam says which it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    detail: String,
}

impl StoreError {
    /// An error with a one-line description (newlines are flattened: it
    /// becomes part of an error reply).
    pub fn new(detail: impl std::fmt::Display) -> StoreError {
        let detail = detail
            .to_string()
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        StoreError { detail }
    }

    /// The record stored under `key` does not decode.
    pub fn corrupt(key: &[u8]) -> StoreError {
        StoreError::new(format_args!(
            "corrupt record for key '{}'",
            String::from_utf8_lossy(key.get(..64).unwrap_or(key))
        ))
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", crate::errors::STORAGE_READ, self.detail)
    }
}

impl std::error::Error for StoreError {}

/// The client sees `-ERR storage read error: <detail>` (one line; Redis has
/// no equivalent, a Redis read cannot fail).
impl From<StoreError> for Reply {
    fn from(e: StoreError) -> Reply {
        Reply::Error(e.to_string())
    }
}

/// The type tag of a stored value. A string keeps its value in its record;
/// a collection's record is a meta record ([`Coll`]) and its elements are
/// stored one per entry under the collection's namespace ([`Ns`]), see
/// docs/design/0019.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String = 0,
    List = 1,
    Hash = 2,
    Set = 3,
    ZSet = 4,
    Stream = 5,
}

impl Kind {
    pub fn from_u8(v: u8) -> Option<Kind> {
        match v {
            0 => Some(Kind::String),
            1 => Some(Kind::List),
            2 => Some(Kind::Hash),
            3 => Some(Kind::Set),
            4 => Some(Kind::ZSet),
            5 => Some(Kind::Stream),
            _ => None,
        }
    }
    /// Name as returned by TYPE.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }
    pub fn is_collection(self) -> bool {
        self != Kind::String
    }
}

/// One collection's element namespace: its slot (the user key's) and the
/// id its meta record names. A collection gets a fresh id whenever its meta
/// record is created, so DEL, overwrite and expiry replace only the meta:
/// the old id's elements are unreachable at once and reclaimed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ns {
    pub slot: u16,
    pub id: u64,
}

/// The value of a collection's meta record, or of a paged string's record
/// (`len` is then its byte length, see [`Record::paged`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coll {
    /// The element namespace (see [`Ns`]).
    pub id: u64,
    /// Number of elements (LLEN, HLEN, SCARD, ZCARD, XLEN).
    pub len: u64,
    /// Sticky encoding bits a family keeps for OBJECT ENCODING.
    pub enc: u8,
    /// Family-specific fields (a list's head position, a stream's ids).
    pub ext: Bytes,
}

impl Coll {
    pub fn new(id: u64) -> Coll {
        Coll {
            id,
            ..Coll::default()
        }
    }
    /// Layout: id u64 BE | len u64 BE | enc u8 | ext bytes.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(17 + self.ext.len());
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.len.to_be_bytes());
        out.push(self.enc);
        out.extend_from_slice(&self.ext);
        Bytes::from(out)
    }
    pub fn decode(buf: &[u8]) -> Option<Coll> {
        let id = u64::from_be_bytes(buf.get(0..8)?.try_into().ok()?);
        let len = u64::from_be_bytes(buf.get(8..16)?.try_into().ok()?);
        let enc = *buf.get(16)?;
        let ext = Bytes::copy_from_slice(buf.get(17..)?);
        Some(Coll { id, len, enc, ext })
    }
}

/// One user key's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: Kind,
    /// Absolute expiry in unix ms; `None` means no TTL.
    pub expire_at_ms: Option<u64>,
    /// Unix ms of the last write (OBJECT IDLETIME).
    pub mtime_ms: u64,
    /// The string value (for strings); a collection's or a paged
    /// string's [`Coll`] header.
    pub value: Bytes,
    /// A string whose bytes live in pages under a [`Coll`] header's id
    /// (`cmd::pages`, docs/design/0019 "Bitmaps"), not in `value`.
    pub paged: bool,
}

impl Record {
    pub fn string(value: Bytes, mtime_ms: u64) -> Record {
        Record {
            kind: Kind::String,
            expire_at_ms: None,
            mtime_ms,
            value,
            paged: false,
        }
    }
    /// A collection's meta record.
    pub fn coll(kind: Kind, coll: &Coll, mtime_ms: u64) -> Record {
        Record {
            kind,
            expire_at_ms: None,
            mtime_ms,
            value: coll.encode(),
            paged: false,
        }
    }
    /// A paged string's record: `coll.len` bytes in pages under `coll.id`.
    pub fn paged(coll: &Coll, mtime_ms: u64) -> Record {
        Record {
            kind: Kind::String,
            expire_at_ms: None,
            mtime_ms,
            value: coll.encode(),
            paged: true,
        }
    }
    /// Whether this record names an element namespace (a collection or a
    /// paged string): copying it to another key must copy the elements.
    pub fn has_elements(&self) -> bool {
        self.paged || self.kind.is_collection()
    }
    /// The header of a collection's meta record or of a paged string;
    /// `None` for an inline string or a header that does not decode.
    pub fn coll_header(&self) -> Option<Coll> {
        if self.has_elements() {
            Coll::decode(&self.value)
        } else {
            None
        }
    }
    /// The element namespace this record names, if it is a collection with
    /// elements or a paged string: replacing or deleting it makes them
    /// garbage.
    pub fn garbage_ns(&self, key: &[u8]) -> Option<(Ns, u64)> {
        let c = self.coll_header()?;
        (c.len > 0).then_some((
            Ns {
                slot: crate::slot::key_slot(key),
                id: c.id,
            },
            c.len,
        ))
    }
    pub fn is_expired(&self, now_ms: u64) -> bool {
        matches!(self.expire_at_ms, Some(t) if t <= now_ms)
    }

    /// Encoded layout: kind u8 | flags u8 (bit0: has expiry, bit1: paged
    /// string) | [expire u64 BE] | mtime u64 BE | value bytes.
    pub fn encode(&self) -> Vec<u8> {
        let (head, n) = self.header();
        let mut out = Vec::with_capacity(n + self.value.len());
        out.extend_from_slice(head.get(..n).unwrap_or_default());
        out.extend_from_slice(&self.value);
        out
    }

    /// The bytes [`Record::encode`] puts before the value: the array and
    /// how much of it is used (10, or 18 with an expiry).
    pub fn header(&self) -> ([u8; 18], usize) {
        let mut head = [0u8; 18];
        let mut n = 0;
        let mut put = |bytes: &[u8]| {
            if let Some(dst) = head.get_mut(n..n + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
            n += bytes.len();
        };
        let paged = if self.paged { 2 } else { 0 };
        put(&[self.kind as u8]);
        match self.expire_at_ms {
            Some(t) => {
                put(&[1 | paged]);
                put(&t.to_be_bytes());
            }
            None => put(&[paged]),
        }
        put(&self.mtime_ms.to_be_bytes());
        (head, n)
    }

    /// Decodes [`Record::encode`]'s layout; `None` on corrupt input.
    pub fn decode(buf: &[u8]) -> Option<Record> {
        let kind = Kind::from_u8(*buf.first()?)?;
        let flags = *buf.get(1)?;
        let mut pos = 2;
        let expire_at_ms = if flags & 1 == 1 {
            let t = u64::from_be_bytes(buf.get(pos..pos + 8)?.try_into().ok()?);
            pos += 8;
            Some(t)
        } else {
            None
        };
        let mtime_ms = u64::from_be_bytes(buf.get(pos..pos + 8)?.try_into().ok()?);
        pos += 8;
        let value = Bytes::copy_from_slice(buf.get(pos..)?);
        if flags & 2 == 2 && kind != Kind::String {
            return None;
        }
        Some(Record {
            kind,
            expire_at_ms,
            mtime_ms,
            value,
            paged: flags & 2 == 2,
        })
    }
}

/// Access to the keys of one group (one contiguous slot range).
///
/// `get` returns the raw record even if it is expired; command logic decides
/// (lazy expiry). Writes are buffered by the implementation and become
/// durable with the Raft entry that caused them.
///
/// Every read may fail with a [`StoreError`], which command logic passes
/// on (`?`) as its error reply; `Ok(None)` always means the key is absent.
/// `put` and `delete` may fail too: an implementation may need the old
/// record (key counts, the expiry index) and read it.
///
/// Collections: a `put` or `delete` that replaces a collection's meta
/// record with one naming another id (or none) makes the old id's
/// elements garbage; the implementation reclaims them, however many, at
/// its own pace: the command costs O(1).
pub trait Store {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError>;
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError>;
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError>;
    /// Visits keys whose slot is in `from_slot..to_slot` (end exclusive) in
    /// (slot, key) order, starting at `from_slot`. The visitor returns
    /// `false` to stop. An error ends the scan: the keys visited so far are
    /// not the whole range, and the caller must not answer as if they were.
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError>;
    /// Removes every key of slots `from_slot..to_slot`, elements included.
    fn clear(&mut self, from_slot: u16, to_slot: u16);
    /// Number of keys (including not-yet-reaped expired ones) in the group.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One element of collection `ns` (`sub` is the family's element key).
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError>;
    /// Visits the elements of `ns` with `lo <= sub < hi` (as the bounds
    /// say) in ascending order, or descending with `rev`; the visitor gets
    /// (sub, value) and returns `false` to stop. An error ends the visit:
    /// what was visited is never to be answered as the whole.
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError>;
    /// Blind element writes: they read nothing, so they cannot fail.
    fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes);
    fn el_del(&mut self, ns: Ns, sub: &[u8]);
    /// A fresh collection id: never used before in this group, and the
    /// same on every replica applying the same log.
    fn new_id(&mut self) -> u64;

    /// Whether this store collects keyspace events ([`Store::notify`]):
    /// when it does, a write also reaps its expired keys first and emits
    /// `expired` and `new` (`cmd::apply_write`). Off by default: a store
    /// that does not collect pays nothing.
    fn notifying(&self) -> bool {
        false
    }
    /// A keyspace event of class `class` (a `notify` constant) named
    /// `event` happened to `key`: called by write commands where Redis
    /// 7.0.15 calls notifyKeyspaceEvent, in its order. Ignored by default.
    fn notify(&mut self, _class: u32, _event: &'static str, _key: &[u8]) {}
}

/// The (lo, hi) bounds of an element range as owned keys of `ns`.
type ElKey = (u16, u64, Vec<u8>);

fn el_bounds(ns: Ns, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> (Bound<ElKey>, Bound<ElKey>) {
    let k = |b: &[u8]| (ns.slot, ns.id, b.to_vec());
    let lo = match lo {
        Bound::Included(b) => Bound::Included(k(b)),
        Bound::Excluded(b) => Bound::Excluded(k(b)),
        Bound::Unbounded => Bound::Included((ns.slot, ns.id, Vec::new())),
    };
    let hi = match hi {
        Bound::Included(b) => Bound::Included(k(b)),
        Bound::Excluded(b) => Bound::Excluded(k(b)),
        Bound::Unbounded => Bound::Excluded((ns.slot, ns.id.wrapping_add(1), Vec::new())),
    };
    (lo, hi)
}

/// In-memory [`Store`] for tests and simulations.
#[derive(Debug, Default, Clone)]
pub struct MemStore {
    map: BTreeMap<(u16, Vec<u8>), Record>,
    els: BTreeMap<ElKey, Bytes>,
    next_id: u64,
    /// Keyspace events emitted so far, when collecting
    /// ([`MemStore::collect_events`]).
    events: Option<Vec<crate::KeyEvent>>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }
    /// Number of stored elements of every collection (garbage is removed
    /// at once here, so this is what live collections hold).
    pub fn element_count(&self) -> usize {
        self.els.len()
    }
    /// Collect keyspace events from now on ([`Store::notify`]).
    pub fn collect_events(&mut self) {
        self.events.get_or_insert_with(Vec::new);
    }
    /// The events collected since the last call.
    pub fn take_events(&mut self) -> Vec<crate::KeyEvent> {
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }
    /// A replaced meta's elements go at once (the shard sweeps them later).
    fn replaced(&mut self, key: &[u8], old: Option<&Record>, new: Option<&Record>) {
        let Some((ns, _)) = old.and_then(|r| r.garbage_ns(key)) else {
            return;
        };
        if new
            .and_then(|r| r.coll_header())
            .is_some_and(|c| c.id == ns.id)
        {
            return;
        }
        let (lo, hi) = el_bounds(ns, Bound::Unbounded, Bound::Unbounded);
        let doomed: Vec<ElKey> = self.els.range((lo, hi)).map(|(k, _)| k.clone()).collect();
        for k in doomed {
            self.els.remove(&k);
        }
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        Ok(self
            .map
            .get(&(crate::slot::key_slot(key), key.to_vec()))
            .cloned())
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        let old = self
            .map
            .insert((crate::slot::key_slot(key), key.to_vec()), rec.clone());
        self.replaced(key, old.as_ref(), Some(&rec));
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        let old = self.map.remove(&(crate::slot::key_slot(key), key.to_vec()));
        self.replaced(key, old.as_ref(), None);
        Ok(())
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        for ((slot, key), rec) in self.map.range((from_slot, Vec::new())..) {
            if *slot >= to_slot || !visit(*slot, key, rec) {
                break;
            }
        }
        Ok(())
    }
    fn clear(&mut self, from_slot: u16, to_slot: u16) {
        self.map
            .retain(|(slot, _), _| *slot < from_slot || *slot >= to_slot);
        self.els
            .retain(|(slot, _, _), _| *slot < from_slot || *slot >= to_slot);
    }
    fn len(&self) -> u64 {
        self.map.len() as u64
    }
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Ok(self.els.get(&(ns.slot, ns.id, sub.to_vec())).cloned())
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let range = self.els.range(el_bounds(ns, lo, hi));
        if rev {
            for ((_, _, sub), v) in range.rev() {
                if !visit(sub, v) {
                    break;
                }
            }
        } else {
            for ((_, _, sub), v) in range {
                if !visit(sub, v) {
                    break;
                }
            }
        }
        Ok(())
    }
    fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes) {
        self.els.insert((ns.slot, ns.id, sub.to_vec()), value);
    }
    fn el_del(&mut self, ns: Ns, sub: &[u8]) {
        self.els.remove(&(ns.slot, ns.id, sub.to_vec()));
    }
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn notifying(&self) -> bool {
        self.events.is_some()
    }
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if let Some(ev) = self.events.as_mut() {
            ev.push(crate::KeyEvent {
                class,
                event,
                key: Bytes::copy_from_slice(key),
            });
        }
    }
}

/// A [`MemStore`] whose reads fail where a test says, as a disk read error
/// would: the one fault-injecting store of the families' tests.
#[cfg(test)]
pub(crate) mod faults {
    use super::{MemStore, Ns, Record, Store, StoreError};
    use bytes::Bytes;
    use std::ops::Bound;

    /// How an element range read fails.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum RangeFault {
        Never,
        /// Visits every element, then fails.
        AfterAll,
        /// Visits one element, then fails.
        AfterFirst,
    }

    pub(crate) struct Faulty {
        pub inner: MemStore,
        /// The error's detail.
        pub text: &'static str,
        /// Meta reads of this key fail.
        pub bad_key: Option<&'static [u8]>,
        /// Every meta read fails.
        pub all_meta: bool,
        /// Meta scans visit what they can, then fail.
        pub scans: bool,
        /// Every element point read fails.
        pub all_elements: bool,
        /// Point reads of this hashed member (`coll::hashed`) fail.
        pub bad_member: Option<&'static [u8]>,
        pub ranges: RangeFault,
    }

    impl Faulty {
        /// Fails nothing until fields are set.
        pub(crate) fn new(inner: MemStore) -> Faulty {
            Faulty {
                inner,
                text: "injected",
                bad_key: None,
                all_meta: false,
                scans: false,
                all_elements: false,
                bad_member: None,
                ranges: RangeFault::Never,
            }
        }

        fn fault(&self) -> StoreError {
            StoreError::new(self.text)
        }
    }

    impl Store for Faulty {
        fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
            if self.all_meta || self.bad_key == Some(key) {
                return Err(self.fault());
            }
            self.inner.get(key)
        }
        fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
            self.inner.put(key, rec)
        }
        fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
            self.inner.delete(key)
        }
        fn scan(
            &self,
            from_slot: u16,
            to_slot: u16,
            visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
        ) -> Result<(), StoreError> {
            self.inner.scan(from_slot, to_slot, visit)?;
            if self.scans {
                // A partial result must not become the answer.
                return Err(self.fault());
            }
            Ok(())
        }
        fn clear(&mut self, from_slot: u16, to_slot: u16) {
            self.inner.clear(from_slot, to_slot)
        }
        fn len(&self) -> u64 {
            self.inner.len()
        }
        fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
            if self.all_elements
                || self
                    .bad_member
                    .is_some_and(|m| crate::cmd::coll::hashed_member(sub) == m)
            {
                return Err(self.fault());
            }
            self.inner.el_get(ns, sub)
        }
        fn el_range(
            &self,
            ns: Ns,
            lo: Bound<&[u8]>,
            hi: Bound<&[u8]>,
            rev: bool,
            visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
        ) -> Result<(), StoreError> {
            match self.ranges {
                RangeFault::Never => self.inner.el_range(ns, lo, hi, rev, visit),
                RangeFault::AfterAll => {
                    self.inner.el_range(ns, lo, hi, rev, visit)?;
                    Err(self.fault())
                }
                RangeFault::AfterFirst => {
                    let mut first = true;
                    self.inner.el_range(ns, lo, hi, rev, &mut |k, v| {
                        let go = first;
                        first = false;
                        go && visit(k, v)
                    })?;
                    Err(self.fault())
                }
            }
        }
        fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes) {
            self.inner.el_put(ns, sub, value)
        }
        fn el_del(&mut self, ns: Ns, sub: &[u8]) {
            self.inner.el_del(ns, sub)
        }
        fn new_id(&mut self) -> u64 {
            self.inner.new_id()
        }
        fn notifying(&self) -> bool {
            self.inner.notifying()
        }
        fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
            self.inner.notify(class, event, key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::faults::Faulty;
    use super::*;
    use crate::cmd::{Ctx, apply_write, read};

    fn argv(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn ctx() -> Ctx {
        Ctx {
            now_ms: 1_000,
            slots: 0..crate::slot::SLOTS,
            rand: 3,
        }
    }

    const ERR: &str = "ERR storage read error: injected  fault";

    fn faulty() -> Faulty {
        let mut inner = MemStore::new();
        for (k, v) in [("k", "10"), ("other", "x")] {
            let _ = inner.put(k.as_bytes(), Record::string(Bytes::from(v), 1));
        }
        Faulty {
            text: "injected\r\nfault",
            bad_key: Some(b"k"),
            scans: true,
            ..Faulty::new(inner)
        }
    }

    #[test]
    fn a_failed_read_is_an_error_reply_never_absence() {
        let s = faulty();
        for cmd in [
            &["GET", "k"][..],
            &["MGET", "other", "k"],
            &["STRLEN", "k"],
            &["GETRANGE", "k", "0", "-1"],
            &["EXISTS", "other", "k"],
            &["TOUCH", "k"],
            &["TTL", "k"],
            &["PTTL", "k"],
            &["EXPIRETIME", "k"],
            &["PEXPIRETIME", "k"],
            &["TYPE", "k"],
            &["SUBSTR", "k", "0", "-1"],
            &["OBJECT", "ENCODING", "k"],
            &["OBJECT", "FREQ", "k"],
            &["OBJECT", "IDLETIME", "k"],
            &["OBJECT", "REFCOUNT", "k"],
            &["LCS", "k", "other"],
            &["KEYS", "*"],
            &["SCAN", "0", "COUNT", "1000"],
            &["RANDOMKEY"],
            &["COREKV.COUNTKEYSINSLOT", "0"],
            &["COREKV.GETKEYSINSLOT", "0", "10"],
            &["XLEN", "k"],
            &["XRANGE", "k", "-", "+"],
            &["XREVRANGE", "k", "+", "-"],
            &["XREAD", "STREAMS", "k", "0"],
            &["XPENDING", "k", "g"],
            &["XINFO", "STREAM", "k"],
            &["XINFO", "GROUPS", "k"],
            &["XINFO", "CONSUMERS", "k", "g"],
        ] {
            assert_eq!(
                read(&argv(cmd), &ctx(), &s),
                Reply::Error(ERR.into()),
                "{cmd:?}"
            );
        }
        assert_eq!(
            read(&argv(&["GET", "other"]), &ctx(), &s),
            Reply::Bulk(Bytes::from("x"))
        );
    }

    #[test]
    fn a_write_whose_read_fails_changes_nothing() {
        for cmd in [
            &["INCR", "k"][..],
            &["APPEND", "k", "1"],
            &["SET", "k", "1"],
            &["SETNX", "k", "1"],
            &["MSETNX", "other", "y", "k", "1"],
            &["DEL", "k"],
            &["RENAME", "other", "k"],
            &["COPY", "other", "k", "REPLACE"],
            &["EXPIRE", "k", "100"],
            &["PERSIST", "k"],
            &["GETDEL", "k"],
            &["GETEX", "k", "PERSIST"],
            &["INCRBYFLOAT", "k", "1.5"],
            &["SETRANGE", "k", "0", "x"],
            &["COREKV.EXPIREIF", "k"],
            &["XADD", "k", "*", "f", "v"],
            &["XDEL", "k", "1-0"],
            &["XTRIM", "k", "MAXLEN", "0"],
            &["XSETID", "k", "5"],
            &["XGROUP", "CREATE", "k", "g", "$", "MKSTREAM"],
            &["XGROUP", "DESTROY", "k", "g"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"],
            &["XACK", "k", "g", "1-0"],
            &["XCLAIM", "k", "g", "c", "0", "1-0"],
            &["XAUTOCLAIM", "k", "g", "c", "0", "0"],
        ] {
            let mut s = faulty();
            let before = s.inner.clone().map;
            assert_eq!(
                apply_write(&argv(cmd), &ctx(), &mut s),
                Reply::Error(ERR.into()),
                "{cmd:?}"
            );
            assert_eq!(s.inner.map, before, "{cmd:?} wrote nothing");
        }
    }
}
