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
///
/// Every read may fail with a [`StoreError`], which command logic passes
/// on (`?`) as its error reply; `Ok(None)` always means the key is absent.
/// `put` and `delete` may fail too: an implementation may need the old
/// record (key counts, the expiry index) and read it.
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
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        Ok(self
            .map
            .get(&(crate::slot::key_slot(key), key.to_vec()))
            .cloned())
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        self.map
            .insert((crate::slot::key_slot(key), key.to_vec()), rec);
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.map.remove(&(crate::slot::key_slot(key), key.to_vec()));
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
    }
    fn len(&self) -> u64 {
        self.map.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::{Ctx, apply_write, read};

    /// A [`MemStore`] whose reads of `bad` (and scans, when `bad` is empty)
    /// fail, as a disk read error would.
    struct Faulty {
        inner: MemStore,
        bad: &'static [u8],
    }

    impl Store for Faulty {
        fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
            if key == self.bad {
                return Err(StoreError::new("injected\r\nfault"));
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
            // Visits what it can, then fails: a partial result must not
            // become the answer.
            self.inner.scan(from_slot, to_slot, visit)?;
            Err(StoreError::new("injected\r\nfault"))
        }
        fn clear(&mut self, from_slot: u16, to_slot: u16) {
            self.inner.clear(from_slot, to_slot)
        }
        fn len(&self) -> u64 {
            self.inner.len()
        }
    }

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
        Faulty { inner, bad: b"k" }
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
