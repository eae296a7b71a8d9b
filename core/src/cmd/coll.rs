//! What the collection families share: loading and saving a collection's
//! meta record (type check, lazy expiry, fresh ids), element keys, and the
//! encodings OBJECT ENCODING reports. Families never build storage keys by
//! hand: an element is `(Ns, sub)`, where `sub` is built here. Layout and
//! reasons: docs/design/0019.

use super::{Ctx, arg};
use crate::Reply;
use crate::errors;
use crate::slot::key_slot;
use crate::store::{Coll, Kind, Ns, Record, Store, StoreError};
use bytes::Bytes;
use std::ops::Bound;

/// A live collection: its meta record decoded.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub kind: Kind,
    pub ns: Ns,
    pub coll: Coll,
    pub expire_at_ms: Option<u64>,
    /// Whether a meta record exists (false: created by this command and not
    /// saved yet).
    pub stored: bool,
}

impl Meta {
    pub fn len(&self) -> u64 {
        self.coll.len
    }
}

/// Sticky OBJECT ENCODING bits of [`Coll::enc`]: once a collection
/// outgrows its compact encoding it keeps the big one, as in Redis.
pub(crate) const ENC_BIG: u8 = 1;

/// Redis 7.0's thresholds (`*-max-listpack-entries/value`,
/// `set-max-intset-entries`).
pub(crate) const LISTPACK_MAX_ENTRIES: u64 = 128;
pub(crate) const LISTPACK_MAX_VALUE: usize = 64;
pub(crate) const INTSET_MAX_ENTRIES: u64 = 512;

/// OBJECT ENCODING of a collection, as Redis 7.0.15 names it.
pub(crate) fn encoding_name(kind: Kind, enc: u8) -> &'static str {
    let big = enc & ENC_BIG != 0;
    match kind {
        Kind::String => "raw",
        Kind::List => "quicklist",
        Kind::Hash if big => "hashtable",
        Kind::Hash => "listpack",
        Kind::Set if big => "hashtable",
        Kind::Set => "intset",
        Kind::ZSet if big => "skiplist",
        Kind::ZSet => "listpack",
        Kind::Stream => "stream",
    }
}

fn decode(key: &[u8], rec: &Record) -> Result<Meta, Reply> {
    let coll = rec
        .coll_header()
        .ok_or_else(|| Reply::from(StoreError::corrupt(key)))?;
    Ok(Meta {
        kind: rec.kind,
        ns: Ns {
            slot: key_slot(key),
            id: coll.id,
        },
        coll,
        expire_at_ms: rec.expire_at_ms,
        stored: true,
    })
}

/// The live collection at `key`, `None` if absent or expired; WRONGTYPE if
/// the key holds another type.
pub(crate) fn load(
    store: &dyn Store,
    key: &[u8],
    now_ms: u64,
    kind: Kind,
) -> Result<Option<Meta>, Reply> {
    match store.get(key)? {
        Some(r) if r.is_expired(now_ms) => Ok(None),
        Some(r) if r.kind != kind => Err(errors::err(errors::WRONGTYPE)),
        Some(r) => decode(key, &r).map(Some),
        None => Ok(None),
    }
}

/// Like [`load`], for a write that creates the collection when absent: an
/// absent or expired key gives a new, empty, unsaved collection with a
/// fresh id (saving it replaces an expired record, whose elements become
/// garbage).
pub(crate) fn load_or_new(
    store: &mut dyn Store,
    key: &[u8],
    now_ms: u64,
    kind: Kind,
) -> Result<Meta, Reply> {
    if let Some(m) = load(store, key, now_ms, kind)? {
        return Ok(m);
    }
    let id = store.new_id();
    Ok(Meta {
        kind,
        ns: Ns {
            slot: key_slot(key),
            id,
        },
        coll: Coll::new(id),
        expire_at_ms: None,
        stored: false,
    })
}

/// Writes the meta record back after a change: an empty list, hash, set or
/// zset is deleted (Redis never keeps one); a stream stays.
pub(crate) fn save(
    store: &mut dyn Store,
    key: &[u8],
    m: &Meta,
    now_ms: u64,
) -> Result<(), StoreError> {
    let mut rec = Record::coll(m.kind, &m.coll, now_ms);
    rec.expire_at_ms = m.expire_at_ms;
    if m.coll.len == 0 && m.kind != Kind::Stream {
        if m.stored {
            // Its elements went one by one: the empty header first, so the
            // delete drops no elements (no garbage to sweep). A store
            // applies an entry's writes together, so only the delete lands.
            store.put(key, rec)?;
            store.delete(key)?;
        }
        return Ok(());
    }
    store.put(key, rec)
}

/// Emits `event` (of `class`) for a change that left `m` as saved, then
/// `del` if the change emptied it and [`save`] deleted it (Redis's order:
/// the command's event, then the key's deletion).
pub(crate) fn notify_change(
    store: &mut dyn Store,
    key: &[u8],
    m: &Meta,
    class: u32,
    event: &'static str,
) {
    store.notify(class, event, key);
    if m.coll.len == 0 && m.kind != Kind::Stream {
        store.notify(crate::notify::GENERIC, "del", key);
    }
}

/// The length of the live `kind` collection at `key` (0 if absent,
/// expired or another type): what a heavy read's size estimate starts from.
pub(crate) fn len_of(
    store: &dyn Store,
    key: &[u8],
    now_ms: u64,
    kind: Kind,
) -> Result<u64, StoreError> {
    Ok(match store.get(key)? {
        Some(r) if r.kind == kind && !r.is_expired(now_ms) => r.coll_header().map_or(0, |c| c.len),
        _ => 0,
    })
}

/// A fixed 64-bit hash of a member (xxh3, seed 0). It is part of the
/// on-disk format: members are stored in hash order, which spreads them
/// uniformly (random picks by seeking a random hash) and makes SCAN
/// cursors stateless (the cursor is the next hash value).
pub(crate) fn h64(b: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(b)
}

/// Element key of a hashed member: `tag | h64(member) BE | member`.
pub(crate) fn hashed(tag: u8, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + member.len());
    k.push(tag);
    k.extend_from_slice(&h64(member).to_be_bytes());
    k.extend_from_slice(member);
    k
}

/// The member of a [`hashed`] element key.
pub(crate) fn hashed_member(sub: &[u8]) -> &[u8] {
    sub.get(9..).unwrap_or(&[])
}

/// The hash value of a [`hashed`] element key.
pub(crate) fn hashed_hash(sub: &[u8]) -> u64 {
    sub.get(1..9)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// The first key of hash value `h` under `tag` (a cursor's seek target).
pub(crate) fn hash_start(tag: u8, h: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&h.to_be_bytes());
    k
}

/// Every element of `ns` whose key starts with `tag`, in key order.
pub(crate) fn each(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
) -> Result<(), StoreError> {
    let lo = [tag];
    let hi = [tag.wrapping_add(1)];
    let hi = if tag == u8::MAX {
        Bound::Unbounded
    } else {
        Bound::Excluded(&hi[..])
    };
    store.el_range(ns, Bound::Included(&lo[..]), hi, false, visit)
}

/// Copies every element of `from` into `to` (RENAME and COPY of a
/// collection into a key of another slot, or under a fresh id). O(n).
pub(crate) fn copy_elements(store: &mut dyn Store, from: Ns, to: Ns) -> Result<(), StoreError> {
    let mut all: Vec<(Vec<u8>, Bytes)> = Vec::new();
    store.el_range(
        from,
        Bound::Unbounded,
        Bound::Unbounded,
        false,
        &mut |k, v| {
            all.push((k.to_vec(), Bytes::copy_from_slice(v)));
            true
        },
    )?;
    for (k, v) in all {
        store.el_put(to, &k, v);
    }
    Ok(())
}

/// A copy of collection (or paged string) record `rec` (stored at `src`)
/// for key `dst`: a fresh id holding a copy of every element. The source
/// is untouched.
pub(crate) fn duplicate(
    store: &mut dyn Store,
    src: &[u8],
    rec: &Record,
    dst: &[u8],
) -> Result<Record, Reply> {
    let m = decode(src, rec)?;
    let to = Ns {
        slot: key_slot(dst),
        id: store.new_id(),
    };
    copy_elements(store, m.ns, to)?;
    let mut coll = m.coll;
    coll.id = to.id;
    // Same record (kind, expiry, paged flag), another id.
    Ok(Record {
        value: coll.encode(),
        ..rec.clone()
    })
}

// ---- size estimates for heavy routing shared by the families ----

/// The live header of `key` if it holds a `kind` collection (`None` when
/// absent, expired or another type: the read itself then answers at once).
fn header_of(
    store: &dyn Store,
    key: &[u8],
    now_ms: u64,
    kind: Kind,
) -> Result<Option<Coll>, StoreError> {
    Ok(match store.get(key)? {
        Some(r) if r.kind == kind && !r.is_expired(now_ms) => r.coll_header(),
        _ => None,
    })
}

/// HSCAN, SSCAN, ZSCAN (`<cmd> key cursor [MATCH p] [COUNT n]`): a small
/// (listpack/intset) collection comes whole; a bigger one about COUNT
/// elements a call (a bad option answers an error, costing nothing).
pub(crate) fn scan_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    kind: Kind,
) -> Result<u64, StoreError> {
    let Some(c) = header_of(store, arg(argv, 1), ctx.now_ms, kind)? else {
        return Ok(0);
    };
    if c.enc & ENC_BIG == 0 {
        return Ok(c.len);
    }
    let mut count: u64 = 10;
    let mut i = 3;
    while i + 1 < argv.len() {
        if arg(argv, i).eq_ignore_ascii_case(b"count") {
            count = super::num::parse_i64(arg(argv, i + 1))
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0);
        }
        i += 2;
    }
    Ok(count.min(c.len))
}

/// Below this many elements a random pick (HRANDFIELD, SRANDMEMBER,
/// ZRANDMEMBER, SPOP) reads every element and picks exactly uniformly;
/// above it a pick seeks a random hash value, O(log n) but biased by the
/// hash gaps.
pub(crate) const EXACT_PICK_MAX: u64 = 512;

/// A negative count answers this many picks at most: a reply is built
/// whole in memory, so an unbounded count could exhaust it. As large as a
/// whole 1M-field HGETALL.
pub(crate) const MAX_REPEATED_PICKS: u64 = 1_000_000;

/// Redis's `*_SUB_STRATEGY_MUL`: a distinct sample of more than a third
/// of the collection reads it whole and drops elements instead.
pub(crate) const SUB_STRATEGY_MUL: u64 = 3;

/// HRANDFIELD, SRANDMEMBER, ZRANDMEMBER (`<cmd> key [count ...]`): what a
/// pick reads, plus the picks it answers.
pub(crate) fn pick_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    kind: Kind,
) -> Result<u64, StoreError> {
    let Some(c) = header_of(store, arg(argv, 1), ctx.now_ms, kind)? else {
        return Ok(0);
    };
    let whole = if c.len < EXACT_PICK_MAX { c.len } else { 0 };
    let Some(l) = argv.get(2).and_then(|a| super::num::parse_i64(a)) else {
        // No count (one pick), or a bad one (an error reply).
        return Ok(whole.max(1));
    };
    let count = l.unsigned_abs();
    Ok(if l < 0 {
        whole.saturating_add(count.min(MAX_REPEATED_PICKS))
    } else if count >= c.len || count.saturating_mul(SUB_STRATEGY_MUL) > c.len {
        c.len
    } else {
        whole.max(count)
    })
}

/// Commands that may walk the whole collection (ZRANK's O(log n + rank),
/// ZCOUNT's O(log n + count)): its length.
pub(crate) fn len_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    kind: Kind,
) -> Result<u64, StoreError> {
    len_of(store, arg(argv, 1), ctx.now_ms, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    #[test]
    fn hashed_keys_round_trip_and_sort_by_hash() {
        let a = hashed(b'f', b"alpha");
        assert_eq!(hashed_member(&a), b"alpha");
        assert_eq!(hashed_hash(&a), h64(b"alpha"));
        assert!(hash_start(b'f', h64(b"alpha")).as_slice() <= a.as_slice());
        // The hash is part of the on-disk format: it must never change.
        assert_eq!(h64(b""), 0x2d06800538d394c2);
    }

    #[test]
    fn a_new_collection_has_a_fresh_id_and_empty_ones_are_not_kept() {
        let mut s = MemStore::new();
        let mut m = load_or_new(&mut s, b"h", 0, Kind::Hash).unwrap_or_else(|e| panic!("{e:?}"));
        let m2 = load_or_new(&mut s, b"h2", 0, Kind::Hash).unwrap_or_else(|e| panic!("{e:?}"));
        assert_ne!(m.ns.id, m2.ns.id);
        assert!(!m.stored);
        // Saving an empty new collection writes nothing.
        save(&mut s, b"h", &m, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 0);
        s.el_put(m.ns, b"x", Bytes::from_static(b"1"));
        m.coll.len = 1;
        save(&mut s, b"h", &m, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 1);
        assert_eq!(
            load(&s, b"h", 0, Kind::Set).err(),
            Some(errors::err(errors::WRONGTYPE))
        );
        // Deleting the meta reclaims its elements.
        s.delete(b"h").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.element_count(), 0);
    }
}
