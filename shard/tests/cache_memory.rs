//! The row cache holds no more memory than its budget. Measured as this
//! process's resident set: quick_cache reserves its slab for the most
//! entries there can be, and only the part entries use is ever touched,
//! so RSS, not allocated bytes, is what the budget bounds. One test
//! function, so nothing else runs meanwhile.

use bytes::Bytes;
use corekv_core::store::Record;
use corekv_shard::cache::{RowCache, own_encoded};

fn rss() -> u64 {
    // Free heap pages go back first, so a base taken after dropping an
    // earlier cache does not count memory the next one reuses.
    unsafe {
        libc::malloc_trim(0);
    }
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("rss");
    pages * 4096
}

/// A 15-byte key as the shard caches it: a slice of a fresh data key.
fn key(i: u32) -> Bytes {
    let mut dk = Vec::with_capacity(18);
    dk.extend_from_slice(b"\0\0\0key:");
    dk.extend_from_slice(&(i as u64 * 7919).to_be_bytes());
    dk.extend_from_slice(b"00");
    Bytes::from(dk).slice(3..)
}

#[test]
fn cache_memory_stays_within_budget() {
    // Big allocations (the slab, the index, the 64 KiB "batches") come
    // straight from mmap and go back on free; glibc would otherwise raise
    // the threshold after the first free and keep them in its heap.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 10);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10);
    }

    // 1. Values sliced from big shared buffers (Raft batches): each entry
    // from its own 64 KiB batch, every other reference to it dropped.
    // Retaining the batches would be 64 KiB per entry.
    const BUDGET: u64 = 4 << 20;
    let base = rss();
    let mut cache = RowCache::new(BUDGET);
    for i in 0..20_000u32 {
        let batch = Bytes::from(vec![(i % 251) as u8; 64 << 10]);
        cache.insert(key(i), Some(Record::string(batch.slice(1000..1100), 1)));
    }
    // Reads clone the records (a clone grows a `Bytes` its shared header).
    for i in 0..20_000u32 {
        let _ = cache.get(&key(i)[..]).cloned();
    }
    let used = rss().saturating_sub(base);
    assert!(cache.len() > 1000, "cache kept {} entries", cache.len());
    println!(
        "batch slices, budget {BUDGET}: {} entries, {used} bytes",
        cache.len()
    );
    assert!(
        used <= BUDGET,
        "cache of budget {BUDGET} holds {used} bytes ({} entries)",
        cache.len()
    );
    drop(cache);

    // 1b. The write path's way: the record encoded once for the persist
    // job, the cached value a slice of that encoding (no copy).
    let base = rss();
    let mut cache = RowCache::new(BUDGET);
    for i in 0..20_000u32 {
        let batch = Bytes::from(vec![(i % 251) as u8; 64 << 10]);
        let (r, enc) = own_encoded(Record::string(batch.slice(1000..1100), 1));
        drop(enc); // written by the persist thread, then dropped
        cache.insert_owned(key(i), Some(r));
    }
    for i in 0..20_000u32 {
        let _ = cache.get(&key(i)[..]).cloned();
    }
    let used = rss().saturating_sub(base);
    println!(
        "encoded, budget {BUDGET}: {} entries, {used} bytes",
        cache.len()
    );
    assert!(cache.len() > 1000, "cache kept {} entries", cache.len());
    assert!(used <= BUDGET, "encoded: {used} bytes over budget {BUDGET}");
    drop(cache);

    // 2. Filled past the budget with values of each size, each read once
    // (a read clones the record): memory stays within the budget.
    for size in [0usize, 16, 100, 1000, 8000] {
        let budget = 16u64 << 20;
        let base = rss();
        let mut cache = RowCache::new(budget);
        let n = (3 * budget / (size as u64 + 16)) as u32;
        for i in 0..n {
            cache.insert(
                key(i),
                Some(Record::string(Bytes::from(vec![1u8; size]), 1)),
            );
            let _ = cache.get(&key(i)[..]).cloned();
        }
        let used = rss().saturating_sub(base);
        let len = cache.len() as u64;
        println!(
            "value {size}, budget {budget}: {len} entries, {used} bytes, {} per entry",
            used / len
        );
        assert!(
            used <= budget,
            "value {size}: {used} bytes over budget {budget}"
        );
    }

    // 3. The index grows with the data, not with the budget: the default
    // 256 MiB cache holding 20k small entries costs about what they do.
    // An index sized for the budget's most entries was ~10 MB, and random
    // keys touch all of it (docs/design/0021): a GET's lookups then miss
    // the CPU caches.
    let base = rss();
    let mut cache = RowCache::new(256 << 20);
    for i in 0..20_000u32 {
        let (r, _) = own_encoded(Record::string(Bytes::from_static(b"xyz"), 1));
        cache.insert_owned(key(i), Some(r));
    }
    for i in 0..20_000u32 {
        assert!(cache.get(&key(i)[..]).is_some(), "key {i} cached");
    }
    let used = rss().saturating_sub(base);
    println!("20k entries in a 256 MiB cache: {used} bytes");
    assert!(
        used <= 20_000 * 400,
        "20k entries of a 256 MiB cache hold {used} bytes"
    );
}
