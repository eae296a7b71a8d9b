//! Row cache: user key → record (`None`: known absent), in front of the
//! overlay and fjall, bounded by `--cache-mb` of what it keeps alive.
//!
//! A written record's value arrives as a zero-copy slice of the Raft entry
//! that carried it (a batch of a turn's commands, kilobytes to megabytes),
//! and a `Bytes` slice keeps its whole buffer alive. Cached as is, one
//! 100-byte value pinned its batch while weighed as 100 bytes: 315 MB RSS
//! with a 64 MiB cache after 1M SETs (docs/design/0018). So an entry's
//! value always owns its buffer: the write path caches a slice of the
//! record's own encoding, which the persist job needed anyway
//! ([`own_encoded`], [`RowCache::insert_owned`]), and a record read from
//! fjall owns its value already (`Record::decode` copies it out of the
//! block); a value of unknown provenance is copied ([`RowCache::insert`]). And the weight counts the cache's bookkeeping,
//! so the budget bounds memory, not just key and value bytes.

use bytes::Bytes;
use corekv_core::store::Record;

/// Heap bytes a resident entry costs beyond its key and value bytes: its
/// slot in quick_cache's slab (key and record headers, links: 112 bytes),
/// its share of the hash index, the shared headers its key and value
/// `Bytes` grow when first cloned (24 each), allocator rounding.
/// `shard/tests/cache_memory.rs` checks the whole cache's heap against
/// the budget with these constants for values of 0 to 8000 bytes.
pub const ENTRY_OVERHEAD: u64 = 256;

/// Key plus value bytes an entry is weighed as at least, so the number
/// of entries, and with it the slab, has a bound known up front.
const MIN_PAYLOAD: u64 = 64;

/// Heap of one ghost (a recently evicted key's hash, kept for the CLOCK-Pro
/// policy): a slab slot and its index share. quick_cache keeps up to half
/// as many ghosts as the estimated entries; they are paid for off the top.
const GHOST_SLOT: u64 = 128;

/// Keys up to this long live inside the cache entry (see [`CacheKey`]).
const INLINE_KEY: usize = 23;

/// A cached key: short keys are held in the entry itself. A lookup's
/// key comparison then reads the slab slot it already loaded, where a
/// `Bytes` key cost one more dependent cache miss per GET (the memcmp of
/// the key bytes was 8-10% of a pipelined GET's CPU, docs/design/0021).
/// As large as a `Bytes` (32 bytes), so [`ENTRY_OVERHEAD`] still holds;
/// a short key no longer has a heap buffer at all.
type CacheKey = crate::keys::InlineKey<INLINE_KEY>;

// The hash is the key's bytes' [`key_hash`], written as one `u64` for
// [`PassHasher`]; a lookup ([`Probe`]) brings the same value precomputed.
impl std::hash::Hash for CacheKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(key_hash(self.as_slice()));
    }
}

/// The one hash of a key's bytes: it picks the sub-cache and, passed
/// through [`PassHasher`], the bucket inside it, so a lookup hashes once.
/// Keyed per process, like the `ahash` default it replaces.
fn key_hash(key: &[u8]) -> u64 {
    static KEYS: std::sync::LazyLock<ahash::RandomState> =
        std::sync::LazyLock::new(ahash::RandomState::new);
    KEYS.hash_one(key)
}

/// A lookup of `key`, whose [`key_hash`] is `hash`.
struct Probe<'a> {
    hash: u64,
    key: &'a [u8],
}

impl std::hash::Hash for Probe<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl quick_cache::Equivalent<CacheKey> for Probe<'_> {
    fn equivalent(&self, key: &CacheKey) -> bool {
        self.key == key.as_slice()
    }
}

/// Hands on the one `u64` a [`CacheKey`] or a [`Probe`] writes.
#[derive(Default)]
struct PassHasher(u64);

impl std::hash::Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Never called (both key types write one u64); still a hash.
        self.0 = key_hash(bytes) ^ self.0.rotate_left(5);
    }
}

#[derive(Clone, Default)]
struct PassBuild;

impl std::hash::BuildHasher for PassBuild {
    type Hasher = PassHasher;

    fn build_hasher(&self) -> PassHasher {
        PassHasher::default()
    }
}

/// Values up to this long are cached in one allocation with their
/// refcount ([`small_value`]).
const SMALL_VALUE: usize = 55;

/// A small value's buffer: with `Bytes::from_owner` its refcount sits
/// right before it, 64 bytes in all, one cache line.
struct SmallValue {
    len: u8,
    bytes: [u8; SMALL_VALUE],
}

impl AsRef<[u8]> for SmallValue {
    fn as_ref(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

/// A copy of a small `value` whose refcount and bytes share a cache
/// line. A GET hit clones the cached value (a locked increment of its
/// buffer's refcount) and copies its bytes into the reply: with a
/// value sliced from a larger buffer, the refcount lives in a separate
/// allocation and the two were two dependent cache misses per hit
/// (`shared_clone` 7% of a pipelined GET's CPU, docs/design/0021).
fn small_value(value: &[u8]) -> Option<Bytes> {
    small_concat(&[value])
}

/// `parts` one after the other in one allocation with its refcount
/// ([`SmallValue`]), if they fit in [`SMALL_VALUE`] bytes. A `Bytes`
/// built from a `Vec` and then cloned costs two allocations (the vector
/// and the shared header its first clone makes); this costs one, and
/// its clones and slices none.
pub(crate) fn small_concat(parts: &[&[u8]]) -> Option<Bytes> {
    let mut bytes = [0u8; SMALL_VALUE];
    let mut len = 0;
    for part in parts {
        bytes.get_mut(len..len + part.len())?.copy_from_slice(part);
        len += part.len();
    }
    Some(Bytes::from_owner(SmallValue {
        len: len as u8,
        bytes,
    }))
}

#[derive(Clone)]
struct RowWeight;

impl quick_cache::Weighter<CacheKey, Option<Record>> for RowWeight {
    fn weight(&self, key: &CacheKey, rec: &Option<Record>) -> u64 {
        weight_of(key.as_slice().len(), rec)
    }
}

/// What an entry of a `key_len`-byte key holding `rec` weighs.
fn weight_of(key_len: usize, rec: &Option<Record>) -> u64 {
    let payload = key_len as u64 + rec.as_ref().map_or(0, |r| r.value.len() as u64);
    payload.max(MIN_PAYLOAD) + ENTRY_OVERHEAD
}

/// `rec` with a small value in one cache line with its refcount
/// ([`small_value`]), a larger one as is (it must own its buffer).
fn small_in_line(rec: Record) -> Record {
    match small_value(&rec.value) {
        Some(value) => Record { value, ..rec },
        None => rec,
    }
}

/// A written record as the shard keeps it: encoded once (the bytes the
/// persist job writes to fjall) with its value a slice of that encoding,
/// so the overlay, the persist job and the cache share one buffer the
/// size of the record instead of pinning the Raft batch the value came
/// in, and caching it needs no copy ([`RowCache::insert_owned`]).
///
/// A record whose encoding fits in [`SMALL_VALUE`] bytes is encoded into a
/// [`SmallValue`]: one allocation for the encoding, the value and the
/// cached copy, whose refcount shares a cache line with the value as
/// [`small_value`]'s does (so [`RowCache::insert_encoded`] needs no copy).
pub fn own_encoded(rec: Record) -> (Record, Bytes) {
    let (head, n) = rec.header();
    let enc = match small_concat(&[head.get(..n).unwrap_or_default(), &rec.value]) {
        Some(enc) => enc,
        None => Bytes::from(rec.encode()),
    };
    let value = enc.slice(enc.len().saturating_sub(rec.value.len())..);
    (Record { value, ..rec }, enc)
}

/// Whether [`own_encoded`] put `rec` in one [`SmallValue`] (its value is
/// in line with its refcount already).
fn encoded_in_line(rec: &Record) -> bool {
    rec.header().1 + rec.value.len() <= SMALL_VALUE
}

/// A record of [`own_encoded`] as the cache keeps it.
fn encoded_for_cache(rec: Record) -> Record {
    if encoded_in_line(&rec) {
        rec
    } else {
        small_in_line(rec)
    }
}

type Sub = quick_cache::unsync::Cache<CacheKey, Option<Record>, RowWeight, PassBuild, Evictions>;

/// Whether the cache holds every record ([`RowCache::set_complete`]),
/// shared with the sub-caches' lifecycle: letting an entry go (an
/// eviction, or an insert too heavy to admit) ends it.
#[derive(Clone)]
struct Evictions(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl quick_cache::Lifecycle<CacheKey, Option<Record>> for Evictions {
    type RequestState = ();

    fn begin_request(&self) {}

    fn on_evict(&self, _: &mut (), _: CacheKey, _: Option<Record>) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a complete cache answers for a key it does not hold.
static ABSENT: Option<Record> = None;

/// The most entries (ghosts included) a sub-cache is sized for. A
/// sub-cache's index and slab grow by doubling as it fills, and a growth
/// step rehashes the sub-cache on the executor: this bounds that stall
/// (~16k entries, about a millisecond).
const SUB_SLOTS: u64 = 16 << 10;

/// The least budget of a sub-cache: a value heavier than ~97% of it is
/// never cached (quick_cache admits nothing larger than its hot part).
const SUB_MIN_BYTES: u64 = 4 << 20;

/// Single-threaded (one per core); the shard wraps it in a `RefCell` so
/// reads can fill it.
///
/// Split by key hash into sub-caches, each with an equal share of the
/// budget, whose indexes grow with what they hold. One index sized up
/// front for the budget's most entries (a 10 MB index for the default
/// 256 MiB) spread 100k keys over 10 MB: two of a GET's four dependent
/// cache misses were in it, ~10% of a pipelined GET's CPU
/// (docs/design/0021). Grown with the data, the index of 100k keys is
/// ~0.6 MB.
pub struct RowCache {
    subs: Box<[Sub]>,
    /// `subs.len() - 1` (a power of two).
    mask: u64,
    /// Mutations so far (inserts and clears); a pool read remembers it to
    /// know later whether its key was written meanwhile ([`RowCache::fill`]).
    epoch: u64,
    /// The epoch of the last clear.
    cleared_at: u64,
    /// Per key-hash bucket: the epoch of the last insert into it.
    stamps: Box<[u64]>,
    /// Times the misses that go on to fjall ([`MissTimer`]).
    misses: MissTimer,
    /// Holds every record of the core ([`RowCache::set_complete`]); the
    /// sub-caches clear it when they let an entry go.
    complete: Evictions,
}

/// Buckets of [`RowCache::stamps`]: 32 KiB per core. A fill whose key
/// shares a bucket with a later write is skipped, which costs only a
/// refill; a wrong fill would serve an old value.
const STAMP_BUCKETS: usize = 4096;

/// How long the row cache's misses that reach fjall take on the thread
/// that reads inline (the core's executor), as the share of them slower
/// than [`SLOW_MISS`]. The shard reads no clock of its own: the server
/// installs one ([`RowCache::set_miss_clock`]), read only on a miss, so
/// a hit costs nothing. A miss is timed from the lookup that missed to
/// the fill of the same key (`Shard::get_record` fills the cache right
/// after its fjall read); a miss answered by the overlay is never
/// filled, and a write of that key later is not taken for one (only the
/// fill that directly follows counts).
struct MissTimer {
    clock: Option<fn() -> std::time::Instant>,
    /// The miss being read: its key's hash and when it missed.
    open: std::cell::Cell<Option<(u64, std::time::Instant)>>,
    /// Share of timed misses slower than [`SLOW_MISS`], in 1/65536
    /// (an exponential average over about the last 16).
    slow: std::cell::Cell<u32>,
    /// Timed misses so far.
    timed: std::cell::Cell<u64>,
}

/// An inline read slower than this went past the OS page cache (a
/// page-cache copy of a 4 KiB block costs a few µs; a disk read on this
/// class of VM 100 µs or more), or the thread lost its CPU meanwhile.
pub const SLOW_MISS: std::time::Duration = std::time::Duration::from_micros(50);

/// 1.0 in the fixed point of [`MissTimer::slow`].
pub const SHARE_ONE: u32 = 1 << 16;

/// Weight of the newest sample in a share's exponential average: 1/16.
pub const SHARE_SHIFT: u32 = 4;

/// The exponential average `share` moved toward `slow` (0 or 1) by one
/// sample, in 1/65536.
pub fn share_step(share: u32, slow: bool) -> u32 {
    share_step_by(share, slow, SHARE_SHIFT)
}

/// [`share_step`] with the newest sample weighing 2^-`shift`.
pub fn share_step_by(share: u32, slow: bool, shift: u32) -> u32 {
    let target = if slow { SHARE_ONE } else { 0 };
    let s = i64::from(share);
    let step = (i64::from(target) - s) >> shift;
    // Round toward the target so a share can reach 0 and 1 exactly.
    let step = if step == 0 && s != i64::from(target) {
        if slow { 1 } else { -1 }
    } else {
        step
    };
    (s + step).clamp(0, i64::from(SHARE_ONE)) as u32
}

/// An injected read delay in µs for every data read that misses the row
/// cache, on the core and on the pool (0: none). Tests only: set through
/// `COREKV.DEBUG READDELAY`, which needs `--debug-commands`.
pub static DEBUG_READ_DELAY_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sleeps for the injected read delay, if one is set (one relaxed load
/// otherwise).
pub fn debug_read_delay() {
    let us = DEBUG_READ_DELAY_US.load(std::sync::atomic::Ordering::Relaxed);
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

impl RowCache {
    /// A cache whose heap stays within `bytes` (at least 1 MiB).
    pub fn new(bytes: u64) -> RowCache {
        let bytes = bytes.max(1 << 20);
        // The most entries there can be (each at least the minimum
        // weight), with their ghosts' slots taken off the top:
        // items * (ENTRY_OVERHEAD + MIN_PAYLOAD) + items / 2 * GHOST_SLOT
        // = bytes.
        let items = bytes / (ENTRY_OVERHEAD + MIN_PAYLOAD + GHOST_SLOT / 2);
        let weights = bytes - items / 2 * GHOST_SLOT;
        // Enough sub-caches that each holds at most SUB_SLOTS entries and
        // ghosts, as few as keep each at SUB_MIN_BYTES or more.
        let by_slots = (items + items / 2).div_ceil(SUB_SLOTS).next_power_of_two();
        let by_bytes = (bytes / SUB_MIN_BYTES).max(1);
        let n = by_slots.min(prev_power_of_two(by_bytes));
        // Not reserved: a sub-cache's index grows with its entries (a
        // bounded rehash, above), and its slab's unused capacity is never
        // touched (RSS), so the budget still bounds memory.
        let complete = Evictions(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
            false,
        )));
        let subs = (0..n)
            .map(|_| {
                Sub::with(
                    (items / n) as usize,
                    weights / n,
                    RowWeight,
                    PassBuild,
                    complete.clone(),
                )
            })
            .collect();
        RowCache {
            subs,
            mask: n - 1,
            epoch: 0,
            cleared_at: 0,
            stamps: vec![0; STAMP_BUCKETS].into_boxed_slice(),
            misses: MissTimer {
                clock: None,
                open: std::cell::Cell::new(None),
                slow: std::cell::Cell::new(0),
                timed: std::cell::Cell::new(0),
            },
            complete,
        }
    }

    /// The store holds no records, so from now on every record is written
    /// through this cache: while it lets nothing go, a key it does not
    /// hold is absent, and a read of it needs neither the overlay nor
    /// fjall (a GET of a missing key was a memtable and bloom search).
    /// Lost for good at the first eviction or clear (a range clear or a
    /// snapshot install: records it never saw may follow).
    pub fn set_complete(&mut self) {
        self.set_complete_to(true);
    }

    fn set_complete_to(&mut self, complete: bool) {
        self.complete
            .0
            .store(complete, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the cache holds every record (see [`RowCache::set_complete`]).
    pub fn is_complete(&self) -> bool {
        self.complete.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The sub-cache of `hash`: bits clear of the index's bucket (low)
    /// and tag (top 7) bits.
    fn sub_of(&self, hash: u64) -> usize {
        ((hash >> 40) & self.mask) as usize
    }

    fn sub(&self, hash: u64) -> Option<&Sub> {
        self.subs.get(self.sub_of(hash))
    }

    fn sub_mut(&mut self, hash: u64) -> Option<&mut Sub> {
        let i = self.sub_of(hash);
        self.subs.get_mut(i)
    }

    fn lookup(&self, hash: u64, key: &[u8]) -> Option<&Option<Record>> {
        self.sub(hash)?.get(&Probe { hash, key })
    }

    pub fn get(&self, key: &[u8]) -> Option<&Option<Record>> {
        let hash = key_hash(key);
        let got = self.lookup(hash, key);
        if got.is_none() {
            if self.is_complete() {
                return Some(&ABSENT);
            }
            self.missed(hash);
        }
        got
    }

    /// Whether `key` is cached (as a record or as known absent), without
    /// starting a miss's timer.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.is_complete() || self.lookup(key_hash(key), key).is_some()
    }

    /// Starts timing a miss of the key hashed `h` (a clock read only when
    /// a clock is installed).
    #[cold]
    fn missed(&self, h: u64) {
        if let Some(clock) = self.misses.clock {
            self.misses.open.set(Some((h, clock())));
        }
        debug_read_delay();
    }

    /// Ends the timing of the miss of `key`, if it is the open one.
    fn filled(&self, h: u64) {
        let m = &self.misses;
        if let (Some((open, at)), Some(clock)) = (m.open.get(), m.clock) {
            m.open.set(None);
            if open == h {
                let slow = clock().saturating_duration_since(at) > SLOW_MISS;
                m.slow.set(share_step(m.slow.get(), slow));
                m.timed.set(m.timed.get() + 1);
            }
        }
    }

    /// Installs the clock misses are timed with (none: not timed).
    pub fn set_miss_clock(&mut self, clock: fn() -> std::time::Instant) {
        self.misses.clock = Some(clock);
    }

    /// The share of timed misses slower than [`SLOW_MISS`], in 1/65536
    /// ([`SHARE_ONE`] is all of them).
    pub fn slow_share(&self) -> u32 {
        self.misses.slow.get()
    }

    /// Restarts the slow share at `share` (the server does when it stops
    /// sending misses elsewhere: the share it last saw there).
    pub fn set_slow_share(&self, share: u32) {
        self.misses.slow.set(share.min(SHARE_ONE));
    }

    /// Misses timed so far.
    pub fn timed_misses(&self) -> u64 {
        self.misses.timed.get()
    }

    /// The mutation count a read made elsewhere remembers, to be passed to
    /// [`RowCache::fill`] with its result.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Counts a mutation touching `h`'s bucket.
    fn stamp(&mut self, h: u64) {
        self.epoch += 1;
        if let Some(s) = self.stamps.get_mut(h as usize % STAMP_BUCKETS) {
            *s = self.epoch;
        }
    }

    /// Caches `rec` for `key`, read elsewhere (a pool thread) from a view
    /// taken at epoch `since`, unless the cache may hold or have held a
    /// newer record of `key` since: `key` is cached now, or it (or a key
    /// of its bucket) was inserted, or the cache was cleared, after
    /// `since`. Every write of the shard goes through [`RowCache::insert_owned`]
    /// (and a range clear through [`RowCache::clear`]), so an older record
    /// never replaces a newer one, even if the newer one was evicted
    /// already. True if cached. `rec`'s value must own its buffer (as
    /// `Record::decode` makes it).
    pub fn fill(&mut self, key: Bytes, rec: Option<Record>, since: u64) -> bool {
        let h = key_hash(&key);
        let written = self
            .stamps
            .get(h as usize % STAMP_BUCKETS)
            .is_none_or(|&s| s > since);
        if written || self.cleared_at > since || self.lookup(h, &key).is_some() {
            return false;
        }
        self.put(h, key, rec.map(small_in_line));
        true
    }

    /// Caches `rec` under `key`, with the value copied out of whatever
    /// buffer it slices (see the module doc). `key` must own its buffer
    /// (callers pass a fresh data key or a copy).
    pub fn insert(&mut self, key: Bytes, rec: Option<Record>) {
        let h = key_hash(&key);
        self.stamp(h);
        let rec = rec.map(|r| Record {
            value: small_value(&r.value).unwrap_or_else(|| Bytes::copy_from_slice(&r.value)),
            ..r
        });
        self.put(h, key, rec);
    }

    /// Caches `rec` as is: its value must own its buffer, at most a
    /// record header larger than itself ([`own_encoded`] and
    /// `Record::decode` make it so).
    pub fn insert_owned(&mut self, key: Bytes, rec: Option<Record>) {
        let h = key_hash(&key);
        self.filled(h);
        self.stamp(h);
        self.put(h, key, rec.map(small_in_line));
    }

    /// [`RowCache::insert_owned`] for a record made by [`own_encoded`]
    /// (a small one is cached without another copy).
    pub fn insert_encoded(&mut self, key: Bytes, rec: Option<Record>) {
        let h = key_hash(&key);
        self.filled(h);
        self.stamp(h);
        self.put(h, key, rec.map(encoded_for_cache));
    }

    /// Read-and-replace of a cached key in one probe: `None` if `key` is
    /// not cached (nothing changed, and no miss is timed); otherwise `f`
    /// sees the cached entry and either leaves it (`None`) or gives what
    /// to cache instead, a record of [`own_encoded`] or known absent, with
    /// something for the caller. Counts as a write like
    /// [`RowCache::insert_encoded`].
    ///
    /// quick_cache reweighs an entry changed in place but evicts nothing
    /// for it, so a heavier record is inserted the ordinary way (a second
    /// probe, which evicts what the budget needs).
    pub fn replace_cached<T>(
        &mut self,
        key: &Bytes,
        f: impl FnOnce(&Option<Record>) -> Option<(Option<Record>, T)>,
    ) -> Option<Option<T>> {
        let h = key_hash(key);
        let complete = self.is_complete();
        let entry = self.sub_mut(h)?.get_mut(&Probe { hash: h, key });
        if entry.is_none() && !complete {
            return None;
        }
        // Not held by a complete cache: absent.
        let Some((rec, out)) = f(entry.as_deref().unwrap_or(&ABSENT)) else {
            return Some(None);
        };
        let rec = rec.map(encoded_for_cache);
        match entry {
            Some(mut entry) if weight_of(key.len(), &rec) <= weight_of(key.len(), &entry) => {
                *entry = rec;
            }
            entry => {
                drop(entry);
                self.put(h, key.clone(), rec);
            }
        }
        self.filled(h);
        self.stamp(h);
        Some(Some(out))
    }

    /// Inserts into the sub-cache of `hash` (the [`key_hash`] of `key`).
    fn put(&mut self, hash: u64, key: Bytes, rec: Option<Record>) {
        if let Some(sub) = self.sub_mut(hash) {
            sub.insert(CacheKey::new(&key), rec);
        }
    }

    /// Drops `key` as an eviction would (no write is recorded).
    #[cfg(test)]
    fn remove_for_test(&mut self, key: &[u8]) {
        let h = key_hash(key);
        if let Some(sub) = self.sub_mut(h) {
            sub.remove(&Probe { hash: h, key });
        }
        self.set_complete_to(false);
    }

    pub fn clear(&mut self) {
        self.set_complete_to(false);
        self.epoch += 1;
        self.cleared_at = self.epoch;
        for sub in self.subs.iter_mut() {
            sub.clear();
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.subs.iter().map(|s| s.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.subs.iter().all(|s| s.is_empty())
    }

    /// Current total weight (bytes by the weight above).
    pub fn weight(&self) -> u64 {
        self.subs.iter().map(|s| s.weight()).sum()
    }

    /// The budget in bytes.
    pub fn capacity(&self) -> u64 {
        self.subs.iter().map(|s| s.capacity()).sum()
    }
}

/// The largest power of two at most `n` (`n` >= 1).
fn prev_power_of_two(n: u64) -> u64 {
    1 << (63 - n.max(1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_value_does_not_retain_its_batch() {
        let mut cache = RowCache::new(1 << 20);
        // A 1 MiB "Raft batch" whose 100 bytes at offset 4096 are a value.
        let batch = Bytes::from(vec![7u8; 1 << 20]);
        let value = batch.slice(4096..4196);
        cache.insert(Bytes::from_static(b"k"), Some(Record::string(value, 1)));
        let cached = cache.get(b"k").cloned().flatten().expect("cached");
        assert_eq!(cached.value, vec![7u8; 100]);
        // The cached value lies outside the batch's buffer: dropping every
        // other reference frees the megabyte.
        let range = batch.as_ptr_range();
        assert!(!range.contains(&cached.value.as_ptr()));
        // `Bytes::try_into_mut` succeeds only for the sole owner of the
        // whole buffer: the cache holds no reference to it.
        drop(cached);
        assert!(batch.try_into_mut().is_ok());
    }

    #[test]
    fn written_value_shares_only_its_own_encoding() {
        let batch = Bytes::from(vec![9u8; 1 << 20]);
        let (r, enc) = own_encoded(Record::string(batch.slice(8192..8292), 1));
        assert_eq!(r.value, vec![9u8; 100]);
        assert_eq!(Record::decode(&enc).as_ref(), Some(&r));
        // The value lies inside the encoding, not the batch.
        assert!(enc.as_ptr_range().contains(&r.value.as_ptr()));
        assert!(!batch.as_ptr_range().contains(&r.value.as_ptr()));
        let mut cache = RowCache::new(1 << 20);
        cache.insert_owned(Bytes::from_static(b"k"), Some(r));
        drop(enc);
        assert!(batch.try_into_mut().is_ok());
        assert_eq!(
            cache.get(b"k").cloned().flatten().map(|r| r.value),
            Some(Bytes::from(vec![9u8; 100]))
        );
    }

    #[test]
    fn weight_counts_key_value_and_overhead() {
        let mut cache = RowCache::new(1 << 20);
        cache.insert(
            Bytes::from_static(b"abc"),
            Some(Record::string(Bytes::from(vec![0u8; 100]), 1)),
        );
        cache.insert(Bytes::from_static(b"gone"), None);
        assert_eq!(cache.weight(), 103 + MIN_PAYLOAD + 2 * ENTRY_OVERHEAD);
        assert_eq!(cache.get(b"gone"), Some(&None));
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn short_and_long_keys_are_found_by_their_bytes() {
        let mut cache = RowCache::new(1 << 20);
        let long = vec![b'k'; INLINE_KEY + 1];
        let edge = vec![b'e'; INLINE_KEY];
        for k in [&b""[..], b"a", &edge, &long] {
            let v = Bytes::copy_from_slice(k);
            cache.insert(Bytes::copy_from_slice(k), Some(Record::string(v, 1)));
        }
        for k in [&b""[..], b"a", &edge, &long] {
            let got = cache.get(k).cloned().flatten().map(|r| r.value);
            assert_eq!(got.as_deref(), Some(k), "key of {} bytes", k.len());
        }
        // A prefix of an inline key, or an inline key one byte longer, is
        // another key.
        assert!(cache.get(&edge[..INLINE_KEY - 1]).is_none());
        assert!(cache.get(&long[..INLINE_KEY]).is_none());
        assert!(matches!(
            CacheKey::new(&Bytes::from(edge)),
            CacheKey::Inline { .. }
        ));
        assert!(matches!(
            CacheKey::new(&Bytes::from(long)),
            CacheKey::Heap(_)
        ));
        assert_eq!(
            std::mem::size_of::<CacheKey>(),
            std::mem::size_of::<Bytes>()
        );
    }

    #[test]
    fn small_values_are_one_cache_line_with_their_refcount() {
        // `Bytes::from_owner` boxes the refcount (8 bytes) and the owner.
        assert_eq!(8 + std::mem::size_of::<SmallValue>(), 64);
        let mut cache = RowCache::new(1 << 20);
        for len in [0, 1, SMALL_VALUE, SMALL_VALUE + 1, 4000] {
            let key = Bytes::from(format!("k{len}"));
            let value = Bytes::from(vec![b'v'; len]);
            cache.insert(key.clone(), Some(Record::string(value.clone(), 1)));
            let got = cache.get(&key).cloned().flatten().map(|r| r.value);
            assert_eq!(got, Some(value), "value of {len} bytes");
        }
    }

    thread_local! {
        static NOW: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    }

    /// A clock the test moves by hand.
    fn fake_now() -> std::time::Instant {
        NOW.with(|n| {
            let t = n.get().unwrap_or_else(std::time::Instant::now);
            n.set(Some(t));
            t
        })
    }

    fn advance(d: std::time::Duration) {
        let t = fake_now() + d;
        NOW.with(|n| n.set(Some(t)));
    }

    fn rec(v: &'static str) -> Option<Record> {
        Some(Record::string(Bytes::from_static(v.as_bytes()), 1))
    }

    #[test]
    fn misses_are_timed_from_the_lookup_to_the_fill_of_that_key() {
        let mut cache = RowCache::new(1 << 20);
        // No clock installed: nothing is timed.
        assert!(cache.get(b"a").is_none());
        cache.insert_owned(Bytes::from_static(b"a"), rec("1"));
        assert_eq!(cache.timed_misses(), 0);

        cache.set_miss_clock(fake_now);
        // A slow read (miss, 200 µs, fill) counts as slow.
        assert!(cache.get(b"k1").is_none());
        advance(SLOW_MISS * 4);
        cache.insert_owned(Bytes::from_static(b"k1"), rec("v"));
        assert_eq!(cache.timed_misses(), 1);
        assert_eq!(cache.slow_share(), SHARE_ONE >> SHARE_SHIFT);
        // A fast one moves the share back down.
        assert!(cache.get(b"k2").is_none());
        advance(SLOW_MISS / 10);
        cache.insert_owned(Bytes::from_static(b"k2"), rec("v"));
        assert_eq!(cache.timed_misses(), 2);
        assert!(cache.slow_share() < SHARE_ONE >> SHARE_SHIFT);
        // A miss the overlay answered is never filled; a later write of
        // another key is not its fill, and a hit starts no timer.
        let before = cache.slow_share();
        assert!(cache.get(b"k3").is_none());
        advance(SLOW_MISS * 100);
        cache.insert_owned(Bytes::from_static(b"other"), rec("w"));
        assert!(cache.get(b"k1").is_some());
        advance(SLOW_MISS * 100);
        cache.insert_owned(Bytes::from_static(b"k3"), rec("w"));
        assert_eq!(cache.timed_misses(), 2);
        assert_eq!(cache.slow_share(), before);
    }

    #[test]
    fn a_fill_never_replaces_a_newer_write() {
        let mut cache = RowCache::new(1 << 20);
        // Nothing written since: the fill goes in.
        let since = cache.epoch();
        assert!(cache.fill(Bytes::from_static(b"a"), rec("old"), since));
        assert_eq!(
            cache.get(b"a").cloned().flatten().map(|r| r.value),
            Some(Bytes::from_static(b"old"))
        );
        // Cached already (by a write or an earlier fill): kept.
        let since = cache.epoch();
        cache.insert_owned(Bytes::from_static(b"b"), rec("new"));
        assert!(!cache.fill(Bytes::from_static(b"b"), rec("old"), since));
        // Written after the view and gone from the cache since: still
        // refused, the cache no longer holds the newer record to compare
        // with. (A record heavier than the whole cache is not kept: the
        // quickest way to a write that is no longer cached.)
        let since = cache.epoch();
        let huge = Record::string(Bytes::from(vec![b'n'; 2 << 20]), 1);
        cache.insert_owned(Bytes::from_static(b"c"), Some(huge));
        assert!(!cache.contains(b"c"), "c is still cached");
        assert!(!cache.fill(Bytes::from_static(b"c"), rec("old"), since));
        assert!(!cache.contains(b"c"));
        // Cleared after the view: refused; a view taken after: filled.
        let since = cache.epoch();
        cache.clear();
        assert!(!cache.fill(Bytes::from_static(b"d"), rec("old"), since));
        assert!(cache.fill(Bytes::from_static(b"d"), rec("v"), cache.epoch()));
        // Another key's write refuses only keys of its bucket.
        let since = cache.epoch();
        cache.insert_owned(Bytes::from_static(b"e"), rec("v"));
        let mut others = 0;
        for i in 0..64u32 {
            let k = Bytes::from(format!("f{i}"));
            if key_hash(&k) as usize % STAMP_BUCKETS != key_hash(b"e") as usize % STAMP_BUCKETS {
                assert!(cache.fill(k, rec("v"), since));
                others += 1;
            }
        }
        assert!(others >= 60);
    }

    #[test]
    fn sub_caches_split_the_budget_and_find_every_key() {
        let cache = RowCache::new(256 << 20);
        // Each sub-cache at most ~SUB_SLOTS entries and ghosts, at least
        // SUB_MIN_BYTES of budget.
        assert_eq!(cache.subs.len(), 64);
        // The weights of all of them: the budget less the ghosts' slots.
        let items = (256 << 20) / (ENTRY_OVERHEAD + MIN_PAYLOAD + GHOST_SLOT / 2);
        let weights = (256 << 20) - items / 2 * GHOST_SLOT;
        assert!(cache.capacity() <= weights && cache.capacity() + 64 > weights);
        assert_eq!(RowCache::new(1 << 20).subs.len(), 1);
        assert_eq!(RowCache::new(8 << 20).subs.len(), 2);

        let mut cache = RowCache::new(64 << 20);
        assert!(cache.subs.len() > 1);
        for i in 0..50_000u32 {
            let k = Bytes::from(format!("key:{i:012}"));
            cache.insert(k, Some(Record::string(Bytes::from(i.to_string()), 1)));
        }
        // Overwritten and known-absent entries replace what was there.
        cache.insert(Bytes::from_static(b"key:000000000007"), None);
        cache.insert(
            Bytes::from_static(b"key:000000000008"),
            Some(Record::string(Bytes::from_static(b"new"), 2)),
        );
        assert_eq!(cache.len(), 50_000);
        let used: Vec<usize> = cache.subs.iter().map(|s| s.len()).collect();
        assert!(
            used.iter().all(|&n| n > 0),
            "every sub-cache used: {used:?}"
        );
        for i in 0..50_000u32 {
            let got = cache.get(format!("key:{i:012}").as_bytes()).cloned();
            let want = match i {
                7 => Some(None),
                8 => Some(Some(Bytes::from_static(b"new"))),
                _ => Some(Some(Bytes::from(i.to_string()))),
            };
            assert_eq!(got.map(|r| r.map(|r| r.value)), want, "key {i}");
        }
        assert!(cache.get(b"key:000000050000").is_none());
        cache.clear();
        assert!(cache.is_empty());
        assert_eq!(cache.weight(), 0);
    }

    #[test]
    fn weight_stays_within_budget() {
        let mut cache = RowCache::new(1 << 20);
        for i in 0..100_000u32 {
            let v = Bytes::from(vec![1u8; 100]);
            cache.insert(
                Bytes::from(i.to_be_bytes().to_vec()),
                Some(Record::string(v, 1)),
            );
        }
        assert!(cache.weight() <= cache.capacity());
        assert!(cache.len() > 1000);
    }

    #[test]
    fn a_small_record_is_one_buffer_its_value_and_copy_share() {
        for (value, ttl) in [(0, None), (3, None), (45, None), (46, None), (37, Some(9))] {
            let mut r = Record::string(Bytes::from(vec![b'v'; value]), 7);
            r.expire_at_ms = ttl;
            let (owned, enc) = own_encoded(r.clone());
            assert_eq!(Record::decode(&enc), Some(r.clone()), "{value} bytes");
            assert_eq!(owned.value, r.value);
            // The value is a slice of the encoding, whatever its size.
            let range = enc.as_ptr_range();
            assert!(value == 0 || range.contains(&owned.value.as_ptr()));
            // A record that fits is cached as it is (no copy of the value).
            let small = r.header().1 + value <= SMALL_VALUE;
            assert_eq!(small, value <= 45 && (ttl.is_none() || value <= 37));
            let cached = encoded_for_cache(owned.clone());
            assert_eq!(cached.value, r.value);
            assert_eq!(small, cached.value.as_ptr() == owned.value.as_ptr());
        }
    }

    #[test]
    fn replace_cached_reads_and_replaces_in_one_probe() {
        let mut cache = RowCache::new(1 << 20);
        let key = Bytes::from_static(b"k");
        // Not cached: nothing happens, nothing is inserted.
        let got = cache.replace_cached(&key, |_| Some((rec("x"), 1)));
        assert_eq!(got, None);
        assert!(!cache.contains(b"k"));
        cache.insert_owned(key.clone(), rec("old"));
        // Declined: left as it was.
        assert_eq!(cache.replace_cached(&key, |_| None::<(_, ())>), Some(None));
        assert_eq!(
            cache.get(b"k").cloned().flatten().map(|r| r.value),
            Some(Bytes::from_static(b"old"))
        );
        // Replaced, the old record seen first.
        let since = cache.epoch();
        let (new, _) = own_encoded(Record::string(Bytes::from_static(b"new"), 2));
        let got = cache.replace_cached(&key, |old| {
            Some((Some(new.clone()), old.as_ref().map(|r| r.value.clone())))
        });
        assert_eq!(got, Some(Some(Some(Bytes::from_static(b"old")))));
        assert_eq!(
            cache.get(b"k").cloned().flatten().map(|r| r.value),
            Some(Bytes::from_static(b"new"))
        );
        // It counts as a write: a pool read from before it is not filled.
        cache.remove_for_test(b"k");
        assert!(!cache.fill(key.clone(), rec("stale"), since));
        // A heavier record goes in the ordinary way: the budget holds.
        let mut heavy = RowCache::new(1 << 20);
        for i in 0..20_000u32 {
            heavy.insert_owned(Bytes::from(i.to_be_bytes().to_vec()), rec("v"));
        }
        for i in 0..20_000u32 {
            let k = Bytes::from(i.to_be_bytes().to_vec());
            let (big, _) = own_encoded(Record::string(Bytes::from(vec![1u8; 2000]), 1));
            let _ = heavy.replace_cached(&k, |_| Some((Some(big), ())));
            assert!(heavy.weight() <= heavy.capacity(), "after {i}");
        }
    }

    #[test]
    fn a_complete_cache_knows_absent_keys_until_it_lets_one_go() {
        let mut cache = RowCache::new(1 << 20);
        assert!(cache.get(b"x").is_none());
        cache.set_complete();
        assert_eq!(cache.get(b"x"), Some(&None));
        assert!(cache.contains(b"x"));
        // A SET of a key it does not hold sees it absent and caches it.
        let key = Bytes::from_static(b"k");
        let (r, _) = own_encoded(Record::string(Bytes::from_static(b"v"), 1));
        let seen = cache.replace_cached(&key, |old| Some((Some(r.clone()), old.is_none())));
        assert_eq!(seen, Some(Some(true)));
        assert_eq!(
            cache.get(b"k").cloned().flatten().map(|r| r.value),
            Some(Bytes::from_static(b"v"))
        );
        // Filled past its budget, it evicts: no longer complete.
        for i in 0..100_000u32 {
            cache.insert_owned(Bytes::from(i.to_be_bytes().to_vec()), rec("v"));
            if !cache.is_complete() {
                break;
            }
        }
        assert!(!cache.is_complete());
        assert!(cache.get(b"x").is_none());
        assert_eq!(
            cache.replace_cached(&Bytes::from_static(b"y"), |_| Some((rec("w"), ()))),
            None
        );
        // A clear ends it too.
        let mut cache = RowCache::new(1 << 20);
        cache.set_complete();
        cache.clear();
        assert!(cache.get(b"x").is_none());
    }
}
