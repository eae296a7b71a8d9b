//! Element cache: element key → value (`None`: known absent), in front of
//! fjall's element keyspace for point reads (HGET, ZSCORE, SISMEMBER, and
//! the member lookups of ZADD, HSET, SADD), bounded by a share of
//! `--cache-mb`.
//!
//! Without it every element point read that missed the element overlay
//! was a fjall lookup: a memtable skiplist search plus the tables' filters
//! and blocks, 32% of the core thread under `ZADD -P 16` (docs/design/0024).
//!
//! It is kept exact the way the row cache is: every element write goes
//! through [`crate::shard::Shard`]'s `write_element`, which updates it, and
//! a range clear (FLUSHALL, a snapshot install) empties it. Elements of a
//! dropped collection are deleted behind by the garbage sweep without
//! touching it: their namespace id is never used again, so nothing can
//! read them, and they age out.

use bytes::Bytes;

/// Heap bytes an entry costs beyond its key and value bytes: its slab
/// slot (two `Bytes` headers, links), its share of the hash index, the
/// shared headers of its key and value, allocator rounding.
const ENTRY_OVERHEAD: u64 = 192;
/// Heap of one ghost slot (see `crate::cache`).
const GHOST_SLOT: u64 = 128;
/// Key plus value bytes an entry is weighed as at least.
const MIN_PAYLOAD: u64 = 32;

#[derive(Clone)]
struct ElWeight;

impl quick_cache::Weighter<Bytes, Option<Bytes>> for ElWeight {
    fn weight(&self, key: &Bytes, val: &Option<Bytes>) -> u64 {
        let payload = key.len() as u64 + val.as_ref().map_or(0, |v| v.len() as u64);
        payload.max(MIN_PAYLOAD) + ENTRY_OVERHEAD
    }
}

/// Single-threaded (one per core), like the row cache.
pub struct ElemCache {
    inner: quick_cache::unsync::Cache<Bytes, Option<Bytes>, ElWeight>,
}

impl ElemCache {
    /// A cache whose heap stays within about `bytes` (at least 256 KiB).
    pub fn new(bytes: u64) -> ElemCache {
        let bytes = bytes.max(256 << 10);
        let items = bytes / (ENTRY_OVERHEAD + MIN_PAYLOAD + GHOST_SLOT / 2);
        let weights = bytes - items / 2 * GHOST_SLOT;
        ElemCache {
            inner: quick_cache::unsync::Cache::with_weighter(items as usize, weights, ElWeight),
        }
    }

    pub fn get(&self, ek: &[u8]) -> Option<&Option<Bytes>> {
        self.inner.get(ek)
    }

    /// Caches `val` under `ek`. The value is copied: it may slice a Raft
    /// batch, which a cached slice would keep alive whole. `ek` must own
    /// its buffer (element keys are built per write).
    pub fn insert(&mut self, ek: Bytes, val: Option<&[u8]>) {
        self.inner.insert(ek, val.map(Bytes::copy_from_slice));
    }

    /// Updates `ek` if it is cached (a write of an element nobody read
    /// does not displace what is read).
    pub fn update(&mut self, ek: &[u8], val: Option<&[u8]>) {
        if let Some(mut slot) = self.inner.get_mut(ek) {
            *slot = val.map(Bytes::copy_from_slice);
        }
    }

    pub fn clear(&mut self) {
        self.inner.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_was_inserted_and_updates_only_what_it_holds() {
        let mut c = ElemCache::new(1 << 20);
        c.insert(Bytes::from_static(b"k1"), Some(b"v1"));
        c.insert(Bytes::from_static(b"k2"), None);
        c.update(b"k1", Some(b"v2"));
        c.update(b"k3", Some(b"v3"));
        assert_eq!(c.get(b"k1"), Some(&Some(Bytes::from_static(b"v2"))));
        assert_eq!(c.get(b"k2"), Some(&None));
        assert_eq!(c.get(b"k3"), None, "an update does not insert");
        c.clear();
        assert_eq!(c.get(b"k1"), None);
    }

    #[test]
    fn stays_within_its_budget() {
        let mut c = ElemCache::new(1 << 20);
        for i in 0..100_000u32 {
            c.insert(Bytes::from(i.to_be_bytes().to_vec()), Some(b"value"));
        }
        assert!(c.inner.weight() <= c.inner.capacity());
        assert!(c.inner.len() < 100_000);
    }
}
