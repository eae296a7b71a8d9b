//! The storage seam between command semantics and a shard's state.
//!
//! Command logic in this crate reads and writes user keys only through
//! [`Store`]. The shard crate implements it over fjall (plus an in-memory
//! overlay of applied-but-not-yet-flushed writes); tests use [`MemStore`].
//! Keys passed here are user keys (no slot prefix); the implementation adds
//! the slot prefix itself.

use bytes::Bytes;
use std::collections::BTreeMap;

/// The type tag of a stored value. Only strings exist today; collections
/// will be wide (one record per element) and keep only a meta record here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String = 0,
}

impl Kind {
    pub fn from_u8(v: u8) -> Option<Kind> {
        match v {
            0 => Some(Kind::String),
            _ => None,
        }
    }
    /// Name as returned by TYPE.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::String => "string",
        }
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
    /// The string value (for strings).
    pub value: Bytes,
}

impl Record {
    pub fn string(value: Bytes, mtime_ms: u64) -> Record {
        Record {
            kind: Kind::String,
            expire_at_ms: None,
            mtime_ms,
            value,
        }
    }
    pub fn is_expired(&self, now_ms: u64) -> bool {
        matches!(self.expire_at_ms, Some(t) if t <= now_ms)
    }

    /// Encoded layout: kind u8 | flags u8 (bit0: has expiry) | [expire u64 BE]
    /// | mtime u64 BE | value bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.value.len());
        out.push(self.kind as u8);
        match self.expire_at_ms {
            Some(t) => {
                out.push(1);
                out.extend_from_slice(&t.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.mtime_ms.to_be_bytes());
        out.extend_from_slice(&self.value);
        out
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
        Some(Record {
            kind,
            expire_at_ms,
            mtime_ms,
            value,
        })
    }
}

/// Access to the keys of one group (one contiguous slot range).
///
/// `get` returns the raw record even if it is expired; command logic decides
/// (lazy expiry). Writes are buffered by the implementation and become
/// durable with the Raft entry that caused them.
pub trait Store {
    fn get(&self, key: &[u8]) -> Option<Record>;
    fn put(&mut self, key: &[u8], rec: Record);
    fn delete(&mut self, key: &[u8]);
    /// Visits keys whose slot is in `from_slot..to_slot` (end exclusive) in
    /// (slot, key) order, starting at `from_slot`. The visitor returns
    /// `false` to stop.
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    );
    /// Removes every key of slots `from_slot..to_slot`.
    fn clear(&mut self, from_slot: u16, to_slot: u16);
    /// Number of keys (including not-yet-reaped expired ones) in the group.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// In-memory [`Store`] for tests and simulations.
#[derive(Debug, Default, Clone)]
pub struct MemStore {
    map: BTreeMap<(u16, Vec<u8>), Record>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Option<Record> {
        self.map
            .get(&(crate::slot::key_slot(key), key.to_vec()))
            .cloned()
    }
    fn put(&mut self, key: &[u8], rec: Record) {
        self.map
            .insert((crate::slot::key_slot(key), key.to_vec()), rec);
    }
    fn delete(&mut self, key: &[u8]) {
        self.map.remove(&(crate::slot::key_slot(key), key.to_vec()));
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) {
        for ((slot, key), rec) in self.map.range((from_slot, Vec::new())..) {
            if *slot >= to_slot || !visit(*slot, key, rec) {
                break;
            }
        }
    }
    fn clear(&mut self, from_slot: u16, to_slot: u16) {
        self.map
            .retain(|(slot, _), _| *slot < from_slot || *slot >= to_slot);
    }
    fn len(&self) -> u64 {
        self.map.len() as u64
    }
}
