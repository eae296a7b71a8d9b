//! The set family: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
//! SRANDMEMBER SMOVE SINTER SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE
//! SDIFFSTORE SSCAN, with t_set.c's replies, error texts and check order.
//!
//! Layout (docs/design/0019 section 1): one element per member,
//! `coll::hashed(b'm', member)` → empty, so members are stored in hash
//! order. A point operation is one element read or write plus the meta;
//! random picks seek to a random hash (exact below [`EXACT_PICK`]
//! members); SSCAN's cursor is the next hash value. OBJECT ENCODING
//! mirrors Redis 7.0: `intset` while every member is an integer and there
//! are at most 512, else `hashtable` (sticky `ENC_BIG`, as Redis never
//! converts back, except where it builds a new set: the STORE commands and
//! SPOP's keep-the-rest path).

use super::coll::{self, ENC_BIG, INTSET_MAX_ENTRIES, Meta};
use super::num::parse_i64;
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, glob_match, int_arg, is_opt};
use crate::Reply;
use crate::errors;
use crate::notify::{GENERIC, SET};
use crate::slot::key_slot;
use crate::store::{Coll, Kind, Ns, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::collections::HashSet;
use std::ops::Bound;

/// Element tag of a member (sets and the member index of sorted sets).
pub(crate) const MEMBER: u8 = b'm';

/// Below this many members a random pick reads them all and is exact
/// (Redis's small-set histogram tests hold); above, it seeks to a random
/// hash and is biased by the gap before each member (0019).
pub(crate) const EXACT_PICK: u64 = coll::EXACT_PICK_MAX;

/// An exact pick reads every element, and an LSM read also steps over the
/// deletions not yet compacted away: after SPOP drained 60k members, a
/// full read of the last 500 would walk 60k tombstones per pop. So a
/// collection counts its deletions ([`deletions`]) and past this many
/// picks by seeking, whose cost is only the tombstones in one hash gap.
pub(crate) const EXACT_MAX_DELETIONS: u64 = 4096;

/// Deletions a collection has seen since it was created: the first 8
/// bytes of its meta's `ext` (sets and sorted sets), 0 when absent.
pub(crate) fn deletions(c: &Coll) -> u64 {
    c.ext
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// Counts `n` more deletions in `c.ext`, keeping the bytes after them.
pub(crate) fn note_deletions(c: &mut Coll, n: u64) {
    let total = deletions(c).saturating_add(n);
    let mut ext = Vec::with_capacity(c.ext.len().max(8));
    ext.extend_from_slice(&total.to_be_bytes());
    ext.extend_from_slice(c.ext.get(8..).unwrap_or(&[]));
    c.ext = Bytes::from(ext);
}

/// Collections up to this many members are rebuilt under a fresh id once
/// their deletions outnumber them (see [`save_compacting`]); bigger ones
/// would make one apply copy too much.
pub(crate) const REBUILD_MAX_LEN: u64 = 65_536;

/// Saves the meta of a collection that lost members. When its deletions
/// exceed 8 × its size (+ 4096), the live elements move to a fresh id
/// first and the old id becomes garbage: an LSM keeps every deleted key as
/// a tombstone until compaction, and reads step over them, so the last
/// members of a drained set cost a seek over thousands of tombstones each
/// (3047 SPOPs took 6.5 s). Amortized O(1) per deletion: each rebuild
/// copies a size the deletions since the last one paid for.
pub(crate) fn save_compacting(
    store: &mut dyn Store,
    key: &[u8],
    m: &mut Meta,
    now: u64,
) -> Result<(), StoreError> {
    let len = m.coll.len;
    if len > 0
        && len <= REBUILD_MAX_LEN
        && deletions(&m.coll) > len.saturating_mul(8).saturating_add(EXACT_MAX_DELETIONS)
    {
        let to = Ns {
            slot: m.ns.slot,
            id: store.new_id(),
        };
        coll::copy_elements(store, m.ns, to)?;
        m.ns = to;
        m.coll.id = to.id;
        // No tombstones under the new id: no deletions, no bounds.
        m.coll.ext = Bytes::new();
    }
    coll::save(store, key, m, now)
}

/// Whether picks from `c` may read it whole (exact, like Redis).
fn exact(c: &Coll) -> bool {
    c.len < EXACT_PICK && deletions(c) < EXACT_MAX_DELETIONS
}

/// Redis would try to answer any count; a reply this large cannot be built
/// in memory, so larger counts get an error (README lists the deviation).
pub(crate) const MAX_RANDOM_COUNT: u64 = 1 << 24;

const OUT_OF_RANGE_POSITIVE: &str = "ERR value is out of range, must be positive";
const RANDOM_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
const RANDOM_COUNT_TOO_BIG: &str = "ERR value is out of range";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const NUMKEYS_TOO_MANY: &str = "ERR Number of keys can't be greater than number of args";
const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";

// ---- shared helpers (sorted sets use the random picks and the cursor) ----

/// A small deterministic generator seeded from `ctx.rand` (splitmix64), so
/// every replica applying SPOP picks the same members.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(wide >> 64).unwrap_or(0)
    }
    /// Uniform index into a slice of length `n`.
    pub fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).unwrap_or(0)
    }
}

/// Every element of `ns` under `tag` as (sub, value), in key order.
pub(crate) fn all_elements(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    let mut out = Vec::new();
    coll::each(store, ns, tag, &mut |k, v| {
        out.push((Bytes::copy_from_slice(k), Bytes::copy_from_slice(v)));
        true
    })?;
    Ok(out)
}

/// A hashed pick takes one of the next `PICK_SPREAD` elements at or after
/// a random hash, chosen at random, instead of the first: a member's
/// chance is then the mean of the `PICK_SPREAD` hash gaps before it rather
/// than one gap, whose spread is an exponential's. Measured on 10,000
/// members and 100,000 draws (df 9,999): chi-square 111,284 taking the
/// first element, 22,560 with 8, 16,276 with 16 (Redis 7: 16,866); SPOP
/// ran ~5% slower with 8 and ~25% with 16 (docs/design/0019 "Random picks
/// measured").
pub(crate) const PICK_SPREAD: usize = 8;

/// A random element of the hashed index under tag `tag` (see
/// [`PICK_SPREAD`]); None when empty.
pub(crate) fn seek_hashed(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    rng: &mut Rng,
) -> Result<Option<(Bytes, Bytes)>, StoreError> {
    pick_from(store, ns, tag, rng, &|_| false)
}

/// A random element of the hashed index that `skip` does not refuse: the
/// `n`-th acceptable one (n < [`PICK_SPREAD`], from `rng`) at or after a
/// random hash, wrapping once to the start; the last acceptable one seen
/// if fewer remain.
pub(crate) fn pick_from(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    rng: &mut Rng,
    skip: &dyn Fn(&[u8]) -> bool,
) -> Result<Option<(Bytes, Bytes)>, StoreError> {
    let h = rng.next_u64();
    let nth = rng.index(PICK_SPREAD);
    let start = coll::hash_start(tag, h);
    let end = [tag.wrapping_add(1)];
    let first = [tag];
    let mut seen = 0usize;
    let mut last: Option<(Bytes, Bytes)> = None;
    let mut found = None;
    // From the hash to the end, then wrapping: from the start to the hash.
    for (lo, hi) in [(&start[..], &end[..]), (&first[..], &start[..])] {
        store.el_range(
            ns,
            Bound::Included(lo),
            Bound::Excluded(hi),
            false,
            &mut |k, v| {
                if skip(k) {
                    return true;
                }
                let e = (Bytes::copy_from_slice(k), Bytes::copy_from_slice(v));
                if seen == nth {
                    found = Some(e);
                    return false;
                }
                seen += 1;
                last = Some(e);
                true
            },
        )?;
        if found.is_some() {
            break;
        }
    }
    Ok(found.or(last))
}

/// Up to `count` distinct random elements of `c`'s hashed index
/// (`count < len`). Exact while [`exact`], or when `count`
/// is a third of `len` or more (one full read, Redis's case 3); else
/// repeated seeks, a repeat taking the next unchosen element.
pub(crate) fn sample_distinct(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    c: &Coll,
    count: u64,
    rng: &mut Rng,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    if exact(c) || count.saturating_mul(3) > c.len {
        let mut all = all_elements(store, ns, tag)?;
        let want = usize::try_from(count).unwrap_or(usize::MAX).min(all.len());
        // Partial Fisher-Yates: the first `want` become a uniform sample.
        for i in 0..want {
            let j = i + rng.index(all.len() - i);
            all.swap(i, j);
        }
        all.truncate(want);
        return Ok(all);
    }
    let mut chosen: HashSet<Bytes> = HashSet::new();
    let mut out = Vec::new();
    while (out.len() as u64) < count {
        let pick = pick_from(store, ns, tag, rng, &|k| chosen.contains(k))?;
        let Some((k, v)) = pick else { break };
        chosen.insert(k.clone());
        out.push((k, v));
    }
    Ok(out)
}

/// `count` random elements with repeats (a negative SRANDMEMBER count).
pub(crate) fn sample_with_repeats(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    c: &Coll,
    count: u64,
    rng: &mut Rng,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if exact(c) {
        let all = all_elements(store, ns, tag)?;
        if all.is_empty() {
            return Ok(Vec::new());
        }
        return Ok((0..n)
            .filter_map(|_| all.get(rng.index(all.len())).cloned())
            .collect());
    }
    let mut out = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        match seek_hashed(store, ns, tag, rng)? {
            Some(e) => out.push(e),
            None => break,
        }
    }
    Ok(out)
}

/// One random element.
pub(crate) fn pick_one(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    c: &Coll,
    rng: &mut Rng,
) -> Result<Option<(Bytes, Bytes)>, StoreError> {
    if exact(c) {
        let mut all = all_elements(store, ns, tag)?;
        if all.is_empty() {
            return Ok(None);
        }
        let i = rng.index(all.len());
        return Ok(Some(all.swap_remove(i)));
    }
    seek_hashed(store, ns, tag, rng)
}

/// [`super::num::parse_scan_cursor`] with SSCAN/ZSCAN's error reply.
pub(crate) fn parse_scan_cursor(s: &[u8]) -> Result<u64, Reply> {
    super::num::parse_scan_cursor(s).ok_or_else(|| errors::err(errors::INVALID_CURSOR))
}

/// SSCAN/ZSCAN's options after the cursor: (MATCH pattern, COUNT).
pub(crate) fn parse_scan_opts(argv: &[Bytes], from: usize) -> Result<(Option<&[u8]>, u64), Reply> {
    let mut count: u64 = 10;
    let mut pattern = None;
    let mut i = from;
    while i < argv.len() {
        let opt = arg(argv, i);
        let has_value = i + 1 < argv.len();
        if is_opt(opt, "count") && has_value {
            let c = int_arg(argv, i + 1)?;
            if c < 1 {
                return Err(errors::err(errors::SYNTAX));
            }
            count = c.unsigned_abs();
        } else if is_opt(opt, "match") && has_value {
            let p = arg(argv, i + 1);
            pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 2;
    }
    Ok((pattern, count))
}

/// One step of a hashed-index scan from cursor `cursor`: visits elements
/// in hash order until `count` are examined, stopping only between two
/// distinct hash values, so a member present throughout is returned once
/// (0019). Returns the next cursor (0 at the end).
pub(crate) fn scan_hashed(
    store: &dyn Store,
    ns: Ns,
    tag: u8,
    cursor: u64,
    count: u64,
    visit: &mut dyn FnMut(&[u8], &[u8]),
) -> Result<u64, StoreError> {
    let start = coll::hash_start(tag, cursor);
    let end = [tag.wrapping_add(1)];
    let mut examined = 0u64;
    let mut last: Option<u64> = None;
    let mut next = 0u64;
    store.el_range(
        ns,
        Bound::Included(&start[..]),
        Bound::Excluded(&end[..]),
        false,
        &mut |k, v| {
            let h = coll::hashed_hash(k);
            if examined >= count && last != Some(h) {
                next = h;
                return false;
            }
            examined += 1;
            last = Some(h);
            visit(k, v);
            true
        },
    )?;
    Ok(next)
}

// ---- set helpers ----

fn load(store: &dyn Store, key: &[u8], now: u64) -> Result<Option<Meta>, Reply> {
    coll::load(store, key, now, Kind::Set)
}

fn member_key(m: &[u8]) -> Vec<u8> {
    coll::hashed(MEMBER, m)
}

fn contains(store: &dyn Store, m: &Meta, member: &[u8]) -> Result<bool, StoreError> {
    Ok(store.el_get(m.ns, &member_key(member))?.is_some())
}

/// Whether a member keeps a set `intset`: `isSdsRepresentableAsLongLong`.
fn is_int(member: &[u8]) -> bool {
    parse_i64(member).is_some()
}

/// Redis converts an intset to a hashtable on a non-integer member or past
/// `set-max-intset-entries`, and never back.
fn note_added(c: &mut Coll, member: &[u8]) {
    if c.len > INTSET_MAX_ENTRIES || !is_int(member) {
        c.enc |= ENC_BIG;
    }
}

/// Adds `member`; whether it was new.
fn add(store: &mut dyn Store, m: &mut Meta, member: &[u8]) -> Result<bool, StoreError> {
    let k = member_key(member);
    if store.el_get(m.ns, &k)?.is_some() {
        return Ok(false);
    }
    store.el_put(m.ns, &k, Bytes::new());
    m.coll.len += 1;
    note_added(&mut m.coll, member);
    Ok(true)
}

/// Removes `member`; whether it was there.
fn remove(store: &mut dyn Store, m: &mut Meta, member: &[u8]) -> Result<bool, StoreError> {
    let k = member_key(member);
    if store.el_get(m.ns, &k)?.is_none() {
        return Ok(false);
    }
    store.el_del(m.ns, &k);
    m.coll.len = m.coll.len.saturating_sub(1);
    note_deletions(&mut m.coll, 1);
    Ok(true)
}

/// Every member, in hash order.
fn members(store: &dyn Store, m: &Meta) -> Result<Vec<Bytes>, StoreError> {
    let mut out = Vec::with_capacity(usize::try_from(m.len()).unwrap_or(0).min(1 << 16));
    coll::each(store, m.ns, MEMBER, &mut |k, _| {
        out.push(Bytes::copy_from_slice(coll::hashed_member(k)));
        true
    })?;
    Ok(out)
}

fn bulks(items: Vec<Bytes>) -> Vec<Reply> {
    items.into_iter().map(Reply::Bulk).collect()
}

/// Each key's set (`None` when absent or expired), WRONGTYPE at the first
/// key of another type: every key is checked before any result.
fn load_all(store: &dyn Store, keys: &[Bytes], now: u64) -> Result<Vec<Option<Meta>>, Reply> {
    keys.iter().map(|k| load(store, k, now)).collect()
}

/// The intersection, stopping at `limit` members (0: none).
fn inter(store: &dyn Store, sets: &[Option<Meta>], limit: u64) -> Result<Vec<Bytes>, Reply> {
    let mut live: Vec<&Meta> = Vec::with_capacity(sets.len());
    for s in sets {
        match s {
            Some(m) => live.push(m),
            None => return Ok(Vec::new()),
        }
    }
    live.sort_by_key(|m| m.len());
    let Some((first, rest)) = live.split_first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for member in members(store, first)? {
        let mut all = true;
        for other in rest {
            if other.ns != first.ns && !contains(store, other, &member)? {
                all = false;
                break;
            }
        }
        if all {
            out.push(member);
            if limit != 0 && out.len() as u64 >= limit {
                break;
            }
        }
    }
    Ok(out)
}

fn union(store: &dyn Store, sets: &[Option<Meta>]) -> Result<Vec<Bytes>, Reply> {
    let mut seen: HashSet<Bytes> = HashSet::new();
    let mut out = Vec::new();
    for m in sets.iter().flatten() {
        for member in members(store, m)? {
            if seen.insert(member.clone()) {
                out.push(member);
            }
        }
    }
    Ok(out)
}

fn diff(store: &dyn Store, sets: &[Option<Meta>]) -> Result<Vec<Bytes>, Reply> {
    let Some(Some(first)) = sets.first() else {
        return Ok(Vec::new());
    };
    let others: Vec<&Meta> = sets.iter().skip(1).flatten().collect();
    let mut out = Vec::new();
    for member in members(store, first)? {
        let mut keep = true;
        for other in &others {
            if other.ns == first.ns || contains(store, other, &member)? {
                keep = false;
                break;
            }
        }
        if keep {
            out.push(member);
        }
    }
    Ok(out)
}

/// Stores `result` as a new set at `dst` (replacing whatever was there,
/// TTL included), or deletes `dst` when empty; replies the size.
fn store_result(
    store: &mut dyn Store,
    dst: &[u8],
    result: &[Bytes],
    now: u64,
    event: &'static str,
) -> R {
    if result.is_empty() {
        if store.get(dst)?.is_some() {
            store.delete(dst)?;
            store.notify(GENERIC, "del", dst);
        }
        return Ok(Reply::Integer(0));
    }
    let id = store.new_id();
    let ns = Ns {
        slot: key_slot(dst),
        id,
    };
    let mut m = Meta {
        kind: Kind::Set,
        ns,
        coll: Coll::new(id),
        expire_at_ms: None,
        stored: false,
    };
    for member in result {
        store.el_put(ns, &member_key(member), Bytes::new());
        m.coll.len += 1;
        note_added(&mut m.coll, member);
    }
    coll::save(store, dst, &m, now)?;
    store.notify(SET, event, dst);
    Ok(Reply::Integer(i64::try_from(m.len()).unwrap_or(i64::MAX)))
}

fn keys_from(argv: &[Bytes], i: usize) -> &[Bytes] {
    argv.get(i..).unwrap_or(&[])
}

// ---- prechecks ----

/// SPOP's count: `getPositiveLongFromObjectOrReply`; more arguments are a
/// syntax error.
fn spop_count(argv: &[Bytes]) -> Result<Option<u64>, Reply> {
    match argv.len() {
        0..=2 => Ok(None),
        3 => {
            // Not an integer is "out of range" too (t_set.c passes no
            // message of its own).
            match parse_i64(arg(argv, 2)) {
                Some(n) if n >= 0 => Ok(Some(n.unsigned_abs())),
                _ => Err(errors::err(OUT_OF_RANGE_POSITIVE)),
            }
        }
        _ => Err(errors::err(errors::SYNTAX)),
    }
}

pub(crate) fn precheck_spop(argv: &[Bytes]) -> Result<(), Reply> {
    spop_count(argv).map(drop)
}

// ---- writes ----

pub(crate) fn sadd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let mut m = coll::load_or_new(store, key, ctx.now_ms, Kind::Set)?;
    let mut added = 0i64;
    for member in keys_from(argv, 2) {
        if add(store, &mut m, member)? {
            added += 1;
        }
    }
    if added > 0 {
        coll::save(store, key, &m, ctx.now_ms)?;
        store.notify(SET, "sadd", key);
    }
    Ok(Reply::Integer(added))
}

pub(crate) fn srem(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let mut removed = 0i64;
    for member in keys_from(argv, 2) {
        if remove(store, &mut m, member)? {
            removed += 1;
            if m.len() == 0 {
                break;
            }
        }
    }
    if removed > 0 {
        save_compacting(store, key, &mut m, ctx.now_ms)?;
        coll::notify_change(store, key, &m, SET, "srem");
    }
    Ok(Reply::Integer(removed))
}

pub(crate) fn smove(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (src, dst, member) = (arg(argv, 1), arg(argv, 2), arg(argv, 3));
    let now = ctx.now_ms;
    // t_set.c looks both up first; a missing source answers 0 before any
    // type check.
    let Some(mut from) = load(store, src, now)? else {
        return Ok(Reply::Integer(0));
    };
    let to = load(store, dst, now)?;
    if src == dst {
        return Ok(Reply::Integer(i64::from(contains(store, &from, member)?)));
    }
    if !remove(store, &mut from, member)? {
        return Ok(Reply::Integer(0));
    }
    save_compacting(store, src, &mut from, now)?;
    coll::notify_change(store, src, &from, SET, "srem");
    let mut to = match to {
        Some(m) => m,
        None => coll::load_or_new(store, dst, now, Kind::Set)?,
    };
    if add(store, &mut to, member)? {
        coll::save(store, dst, &to, now)?;
        store.notify(SET, "sadd", dst);
    }
    Ok(Reply::Integer(1))
}

pub(crate) fn spop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let count = spop_count(argv)?;
    let key = arg(argv, 1);
    let now = ctx.now_ms;
    let mut rng = Rng::new(ctx.rand);
    let Some(mut m) = load(store, key, now)? else {
        return Ok(match count {
            None => Reply::Nil,
            Some(_) => Reply::Set(Vec::new()),
        });
    };
    let Some(count) = count else {
        let Some((k, _)) = pick_one(store, m.ns, MEMBER, &m.coll, &mut rng)? else {
            return Ok(Reply::Nil);
        };
        store.el_del(m.ns, &k);
        m.coll.len = m.coll.len.saturating_sub(1);
        note_deletions(&mut m.coll, 1);
        save_compacting(store, key, &mut m, now)?;
        coll::notify_change(store, key, &m, SET, "spop");
        return Ok(Reply::Bulk(Bytes::copy_from_slice(coll::hashed_member(&k))));
    };
    if count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    if count >= m.len() {
        let all = members(store, &m)?;
        store.delete(key)?;
        store.notify(SET, "spop", key);
        store.notify(GENERIC, "del", key);
        return Ok(Reply::Set(bulks(all)));
    }
    let picked = sample_distinct(store, m.ns, MEMBER, &m.coll, count, &mut rng)?;
    let remaining = m.len().saturating_sub(picked.len() as u64);
    if remaining.saturating_mul(5) <= count {
        // Redis builds a new set of the few members left (its encoding
        // chosen afresh) and replies the old one's remains.
        let gone: HashSet<&[u8]> = picked.iter().map(|(k, _)| &k[..]).collect();
        let mut enc = 0;
        let mut left = 0u64;
        coll::each(store, m.ns, MEMBER, &mut |k, _| {
            if !gone.contains(k) {
                left += 1;
                if !is_int(coll::hashed_member(k)) {
                    enc |= ENC_BIG;
                }
            }
            true
        })?;
        if left > INTSET_MAX_ENTRIES {
            enc |= ENC_BIG;
        }
        m.coll.enc = enc;
    }
    let mut out = Vec::with_capacity(picked.len());
    for (k, _) in picked {
        store.el_del(m.ns, &k);
        out.push(Reply::Bulk(Bytes::copy_from_slice(coll::hashed_member(&k))));
    }
    m.coll.len = remaining;
    note_deletions(&mut m.coll, count);
    save_compacting(store, key, &mut m, now)?;
    coll::notify_change(store, key, &m, SET, "spop");
    Ok(Reply::Set(out))
}

fn store_op(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, op: SetOp) -> R {
    let sets = load_all(store, keys_from(argv, 2), ctx.now_ms)?;
    let (result, event) = match op {
        SetOp::Inter => (inter(store, &sets, 0)?, "sinterstore"),
        SetOp::Union => (union(store, &sets)?, "sunionstore"),
        SetOp::Diff => (diff(store, &sets)?, "sdiffstore"),
    };
    store_result(store, arg(argv, 1), &result, ctx.now_ms, event)
}

#[derive(Clone, Copy)]
enum SetOp {
    Inter,
    Union,
    Diff,
}

pub(crate) fn sinterstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    store_op(argv, ctx, store, SetOp::Inter)
}

pub(crate) fn sunionstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    store_op(argv, ctx, store, SetOp::Union)
}

pub(crate) fn sdiffstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    store_op(argv, ctx, store, SetOp::Diff)
}

// ---- reads ----

pub(crate) fn scard(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let len = load(store, arg(argv, 1), ctx.now_ms)?.map_or(0, |m| m.len());
    Ok(Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX)))
}

pub(crate) fn sismember(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    Ok(Reply::Integer(i64::from(contains(
        store,
        &m,
        arg(argv, 2),
    )?)))
}

pub(crate) fn smismember(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let m = load(store, arg(argv, 1), ctx.now_ms)?;
    let mut out = Vec::with_capacity(argv.len().saturating_sub(2));
    for member in keys_from(argv, 2) {
        let found = match &m {
            Some(m) => contains(store, m, member)?,
            None => false,
        };
        out.push(Reply::Integer(i64::from(found)));
    }
    Ok(Reply::Array(out))
}

pub(crate) fn smembers(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    Ok(Reply::Set(bulks(members(store, &m)?)))
}

pub(crate) fn srandmember(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let mut rng = Rng::new(ctx.rand);
    let key = arg(argv, 1);
    match argv.len() {
        0..=2 => {
            let Some(m) = load(store, key, ctx.now_ms)? else {
                return Ok(Reply::Nil);
            };
            let pick = pick_one(store, m.ns, MEMBER, &m.coll, &mut rng)?;
            Ok(pick.map_or(Reply::Nil, |(k, _)| {
                Reply::Bulk(Bytes::copy_from_slice(coll::hashed_member(&k)))
            }))
        }
        3 => {
            let n = int_arg(argv, 2)?;
            if n == i64::MIN {
                return Err(errors::err(RANDOM_COUNT_RANGE));
            }
            let Some(m) = load(store, key, ctx.now_ms)? else {
                return Ok(Reply::Array(Vec::new()));
            };
            let count = n.unsigned_abs();
            if count == 0 {
                return Ok(Reply::Array(Vec::new()));
            }
            let picked = if n < 0 || count == 1 {
                if count > MAX_RANDOM_COUNT {
                    return Err(errors::err(RANDOM_COUNT_TOO_BIG));
                }
                sample_with_repeats(store, m.ns, MEMBER, &m.coll, count, &mut rng)?
            } else if count >= m.len() {
                return Ok(Reply::Array(bulks(members(store, &m)?)));
            } else {
                sample_distinct(store, m.ns, MEMBER, &m.coll, count, &mut rng)?
            };
            Ok(Reply::Array(
                picked
                    .into_iter()
                    .map(|(k, _)| Reply::Bulk(Bytes::copy_from_slice(coll::hashed_member(&k))))
                    .collect(),
            ))
        }
        _ => Err(errors::err(errors::SYNTAX)),
    }
}

pub(crate) fn sinter(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let sets = load_all(store, keys_from(argv, 1), ctx.now_ms)?;
    Ok(Reply::Set(bulks(inter(store, &sets, 0)?)))
}

pub(crate) fn sunion(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let sets = load_all(store, keys_from(argv, 1), ctx.now_ms)?;
    Ok(Reply::Set(bulks(union(store, &sets)?)))
}

pub(crate) fn sdiff(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let sets = load_all(store, keys_from(argv, 1), ctx.now_ms)?;
    Ok(Reply::Set(bulks(diff(store, &sets)?)))
}

/// `numkeys` of SINTERCARD (and the sorted-set commands with one): at
/// least 1, at most the arguments after it.
fn numkeys(argv: &[Bytes], at: usize) -> Result<usize, Reply> {
    // A non-integer gets the same message (t_set.c passes it for both).
    let n = match parse_i64(arg(argv, at)) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(errors::err(NUMKEYS_POSITIVE)),
    };
    if n > argv.len().saturating_sub(at + 1) {
        return Err(errors::err(NUMKEYS_TOO_MANY));
    }
    Ok(n)
}

pub(crate) fn sintercard(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let n = numkeys(argv, 1)?;
    let mut limit: u64 = 0;
    let mut j = 2 + n;
    while j < argv.len() {
        if is_opt(arg(argv, j), "limit") && j + 1 < argv.len() {
            j += 1;
            limit = match parse_i64(arg(argv, j)) {
                Some(l) if l >= 0 => l.unsigned_abs(),
                _ => return Err(errors::err(LIMIT_NEGATIVE)),
            };
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    let keys = argv.get(2..2 + n).unwrap_or(&[]);
    let sets = load_all(store, keys, ctx.now_ms)?;
    let found = inter(store, &sets, limit)?;
    Ok(Reply::Integer(
        i64::try_from(found.len()).unwrap_or(i64::MAX),
    ))
}

pub(crate) fn sscan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let cursor = parse_scan_cursor(arg(argv, 2))?;
    // t_set.c answers a missing key before it parses the options.
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let (pattern, count) = parse_scan_opts(argv, 3)?;
    let mut found = Vec::new();
    let mut keep = |k: &[u8], _: &[u8]| {
        let member = coll::hashed_member(k);
        if pattern.is_none_or(|p| glob_match(p, member, false)) {
            found.push(Reply::Bulk(Bytes::copy_from_slice(member)));
        }
    };
    // An intset answers everything in one call with cursor 0, as Redis's
    // non-hashtable encodings do.
    let next = if m.coll.enc & ENC_BIG == 0 {
        scan_hashed(store, m.ns, MEMBER, 0, u64::MAX, &mut keep)?
    } else {
        scan_hashed(store, m.ns, MEMBER, cursor, count, &mut keep)?
    };
    Ok(scan_reply(next, found))
}

pub(crate) fn scan_reply(next: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(next.to_string())),
        Reply::Array(items),
    ])
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("sadd", write(None, sadd)),
    ("srem", write(None, srem)),
    ("smove", write(None, smove)),
    ("spop", write(Some(precheck_spop), spop)),
    ("sinterstore", write(None, sinterstore)),
    ("sunionstore", write(None, sunionstore)),
    ("sdiffstore", write(None, sdiffstore)),
    ("scard", Handler::Read(scard)),
    ("sismember", Handler::Read(sismember)),
    ("smismember", Handler::Read(smismember)),
    ("smembers", Handler::Read(smembers)),
    ("srandmember", Handler::Read(srandmember)),
    ("sinter", Handler::Read(sinter)),
    ("sunion", Handler::Read(sunion)),
    ("sdiff", Handler::Read(sdiff)),
    ("sintercard", Handler::Read(sintercard)),
    ("sscan", Handler::Read(sscan)),
];

/// SSCAN's heavy-pool estimate: see [`coll::scan_size`].
pub(crate) fn sscan_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    coll::scan_size(argv, ctx, store, crate::Kind::Set)
}

/// SRANDMEMBER's heavy-pool estimate: see [`coll::pick_size`].
pub(crate) fn srandmember_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    coll::pick_size(argv, ctx, store, crate::Kind::Set)
}

/// SMEMBERS's heavy-pool estimate: the set's size.
pub(crate) fn smembers_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    super::coll::len_of(store, arg(argv, 1), ctx.now_ms, crate::Kind::Set)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::testutil::*;
    use super::super::{Ctx, apply_write, read};
    use super::*;
    use crate::MemStore;
    use crate::store::faults::{Faulty, RangeFault};

    /// The members of a reply, sorted (sets have no order).
    fn sorted(r: Reply) -> Vec<String> {
        let items = match r {
            Reply::Set(v) | Reply::Array(v) => v,
            other => panic!("not a collection: {other:?}"),
        };
        let mut out: Vec<String> = items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        out.sort();
        out
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn enc(s: &mut MemStore, key: &str) -> Reply {
        run(s, &["OBJECT", "ENCODING", key])
    }

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn sadd_srem_scard_sismember() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "s", "a", "b", "a"]), int(2));
        assert_eq!(run(&mut s, &["SADD", "s", "b", "c"]), int(1));
        assert_eq!(run(&mut s, &["SCARD", "s"]), int(3));
        assert_eq!(run(&mut s, &["SCARD", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "a"]), int(1));
        assert_eq!(run(&mut s, &["SISMEMBER", "s", "z"]), int(0));
        assert_eq!(run(&mut s, &["SISMEMBER", "nokey", "a"]), int(0));
        assert_eq!(
            run(&mut s, &["SMISMEMBER", "s", "a", "z", "c"]),
            Reply::Array(vec![int(1), int(0), int(1)])
        );
        assert_eq!(
            run(&mut s, &["SMISMEMBER", "nokey", "a"]),
            Reply::Array(vec![int(0)])
        );
        assert_eq!(run(&mut s, &["SREM", "s", "a", "z", "a"]), int(1));
        assert_eq!(run(&mut s, &["SREM", "nokey", "a"]), int(0));
        assert_eq!(sorted(run(&mut s, &["SMEMBERS", "s"])), strs(&["b", "c"]));
        // Emptying the set deletes the key and its elements.
        assert_eq!(run(&mut s, &["SREM", "s", "b", "c", "d"]), int(2));
        assert_eq!(run(&mut s, &["EXISTS", "s"]), int(0));
        assert_eq!(s.element_count(), 0);
        assert_eq!(run(&mut s, &["SMEMBERS", "s"]), Reply::Set(vec![]));
        // The empty member is a member like any other.
        assert_eq!(run(&mut s, &["SADD", "e", ""]), int(1));
        assert_eq!(run(&mut s, &["SISMEMBER", "e", ""]), int(1));
        assert_eq!(run(&mut s, &["TYPE", "e"]), Reply::Simple("set".into()));
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "str", "v"]), ok());
        assert_eq!(run(&mut s, &["SADD", "set", "a"]), int(1));
        for cmd in [
            &["SADD", "str", "a"][..],
            &["SREM", "str", "a"],
            &["SCARD", "str"],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SMEMBERS", "str"],
            &["SPOP", "str"],
            &["SPOP", "str", "0"],
            &["SRANDMEMBER", "str"],
            &["SRANDMEMBER", "str", "2"],
            &["SINTER", "nokey", "str"],
            &["SINTER", "set", "str"],
            &["SUNION", "set", "str"],
            &["SDIFF", "nokey", "str"],
            &["SINTERCARD", "2", "nokey", "str"],
            &["SINTERSTORE", "d", "nokey", "str"],
            &["SUNIONSTORE", "d", "set", "str"],
            &["SDIFFSTORE", "d", "set", "str"],
            &["SSCAN", "str", "0"],
            &["SMOVE", "str", "set", "a"],
            &["SMOVE", "set", "str", "a"],
        ] {
            assert_eq!(run(&mut s, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        // A missing source answers 0 before the destination's type is checked.
        assert_eq!(run(&mut s, &["SMOVE", "nokey", "str", "a"]), int(0));
        // A failed STORE leaves the destination alone.
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        assert_eq!(run(&mut s, &["GET", "str"]), bulk("v"));
    }

    #[test]
    fn an_expired_set_is_absent_and_is_replaced() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "s", "a", "b"]), int(2));
        assert_eq!(run(&mut s, &["PEXPIRE", "s", "10"]), int(1));
        let later = NOW + 20;
        assert_eq!(run_at(&mut s, later, &["SCARD", "s"]), int(0));
        assert_eq!(run_at(&mut s, later, &["SISMEMBER", "s", "a"]), int(0));
        assert_eq!(run_at(&mut s, later, &["SPOP", "s"]), Reply::Nil);
        assert_eq!(run_at(&mut s, later, &["SREM", "s", "a"]), int(0));
        assert_eq!(run_at(&mut s, later, &["SADD", "s", "c"]), int(1));
        assert_eq!(
            sorted(run_at(&mut s, later, &["SMEMBERS", "s"])),
            strs(&["c"])
        );
        assert_eq!(run_at(&mut s, later, &["TTL", "s"]), int(-1));
        // The expired collection's elements went with its meta.
        assert_eq!(s.element_count(), 1);
    }

    #[test]
    fn encodings_follow_redis_7_0() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "i", "1", "-2", "300"]), int(3));
        assert_eq!(enc(&mut s, "i"), bulk("intset"));
        // Not integers for string2ll: leading zero, plus sign, spaces.
        for m in ["01", "+1", " 1", "1.0", "a"] {
            let mut t = MemStore::new();
            assert_eq!(run(&mut t, &["SADD", "x", "1", m]), int(2));
            assert_eq!(enc(&mut t, "x"), bulk("hashtable"), "{m}");
        }
        // Past 512 members an intset becomes a hashtable, and stays one.
        let mut args: Vec<String> = vec!["SADD".into(), "big".into()];
        args.extend((0..512).map(|i| i.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(512));
        assert_eq!(enc(&mut s, "big"), bulk("intset"));
        assert_eq!(run(&mut s, &["SADD", "big", "512"]), int(1));
        assert_eq!(enc(&mut s, "big"), bulk("hashtable"));
        assert_eq!(run(&mut s, &["SREM", "big", "512", "511"]), int(2));
        assert_eq!(enc(&mut s, "big"), bulk("hashtable"));
        // A STORE builds a new set: its encoding is chosen afresh.
        assert_eq!(run(&mut s, &["SADD", "h", "a", "1", "2"]), int(3));
        assert_eq!(run(&mut s, &["SDIFFSTORE", "d", "h", "nokey"]), int(3));
        assert_eq!(enc(&mut s, "d"), bulk("hashtable"));
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "h", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["SADD", "j", "1", "x"]), int(2));
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "h", "j"]), int(1));
        assert_eq!(enc(&mut s, "d"), bulk("intset"));
    }

    #[test]
    fn spop_and_srandmember_errors_and_shapes() {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["SPOP", "s", "-1"]),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            run(&mut s, &["SPOP", "s", "x"]),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            run(&mut s, &["SPOP", "s", "1", "2"]),
            err("ERR syntax error")
        );
        assert_eq!(run(&mut s, &["SPOP", "s"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SPOP", "s", "3"]), Reply::Set(vec![]));
        assert_eq!(run(&mut s, &["SRANDMEMBER", "s"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "3"]),
            Reply::Array(vec![])
        );
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "-9223372036854775808"]),
            err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
            )
        );
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "1", "2"]),
            err("ERR syntax error")
        );
        assert_eq!(run(&mut s, &["SADD", "s", "a", "b", "c"]), int(3));
        assert_eq!(run(&mut s, &["SPOP", "s", "0"]), Reply::Set(vec![]));
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "0"]),
            Reply::Array(vec![])
        );
        assert_eq!(
            sorted(run(&mut s, &["SRANDMEMBER", "s", "10"])),
            strs(&["a", "b", "c"])
        );
        let rep = sorted(run(&mut s, &["SRANDMEMBER", "s", "-7"]));
        assert_eq!(rep.len(), 7);
        assert!(rep.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
        let two = sorted(run(&mut s, &["SRANDMEMBER", "s", "2"]));
        assert_eq!(two.len(), 2);
        assert_ne!(two.first(), two.get(1));
        assert_eq!(
            run(&mut s, &["SRANDMEMBER", "s", "-9223372036854775807"]),
            err("ERR value is out of range")
        );
        assert_eq!(run(&mut s, &["SCARD", "s"]), int(3));
        // SPOP with a count at least the size pops everything.
        assert_eq!(
            sorted(run(&mut s, &["SPOP", "s", "3"])),
            strs(&["a", "b", "c"])
        );
        assert_eq!(run(&mut s, &["EXISTS", "s"]), int(0));
        assert_eq!(s.element_count(), 0);
    }

    #[test]
    fn spop_removes_what_it_returns() {
        for n in [5usize, 40, 700] {
            for count in [1u64, 2, 3, 33, 600, 699] {
                let mut s = MemStore::new();
                let mut args: Vec<String> = vec!["SADD".into(), "s".into()];
                args.extend((0..n).map(|i| format!("m{i}")));
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                assert_eq!(run(&mut s, &refs), int(n as i64));
                let c = count.to_string();
                let popped = sorted(run(&mut s, &["SPOP", "s", &c]));
                let want = (count as usize).min(n);
                assert_eq!(popped.len(), want, "n {n} count {count}");
                let mut uniq = popped.clone();
                uniq.dedup();
                assert_eq!(uniq.len(), want);
                let left = sorted(run(&mut s, &["SMEMBERS", "s"]));
                assert_eq!(left.len(), n - want);
                assert!(popped.iter().all(|m| !left.contains(m)));
                assert_eq!(run(&mut s, &["SCARD", "s"]), int((n - want) as i64));
                assert_eq!(s.element_count(), n - want);
            }
        }
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "s", "x"]), int(1));
        assert_eq!(run(&mut s, &["SPOP", "s"]), bulk("x"));
        assert_eq!(run(&mut s, &["EXISTS", "s"]), int(0));
    }

    #[test]
    fn spop_keeping_few_members_chooses_their_encoding_afresh() {
        let mut s = MemStore::new();
        let mut args: Vec<String> = vec!["SADD".into(), "s".into(), "x".into()];
        args.extend((0..20).map(|i| i.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(21));
        assert_eq!(enc(&mut s, "s"), bulk("hashtable"));
        // Keep exactly one member; find a seed whose survivor is an integer.
        for seed in 0..64u64 {
            let mut t = s.clone();
            let c = Ctx {
                rand: seed,
                ..ctx()
            };
            let r = apply_write(&argv(&["SPOP", "s", "20"]), &c, &mut t);
            assert_eq!(sorted(r).len(), 20);
            let left = sorted(run(&mut t, &["SMEMBERS", "s"]));
            let want = if left == strs(&["x"]) {
                "hashtable"
            } else {
                "intset"
            };
            assert_eq!(enc(&mut t, "s"), bulk(want));
        }
    }

    #[test]
    fn random_picks_are_deterministic_per_seed_and_cover_members() {
        let mut s = MemStore::new();
        let mut args: Vec<String> = vec!["SADD".into(), "s".into()];
        args.extend((0..600).map(|i| format!("m{i}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(600));
        let pop = |seed: u64| {
            let mut t = s.clone();
            let c = Ctx {
                rand: seed,
                ..ctx()
            };
            apply_write(&argv(&["SPOP", "s", "5"]), &c, &mut t)
        };
        // Replicas applying the same entry pop the same members.
        assert_eq!(pop(9), pop(9));
        let mut seen = HashSet::new();
        for seed in 0..3000u64 {
            let c = Ctx {
                rand: seed,
                ..ctx()
            };
            if let Reply::Bulk(b) = read(&argv(&["SRANDMEMBER", "s"]), &c, &s) {
                seen.insert(b);
            }
        }
        // 3000 seeks over 600 members reach most of them (biased, not exact).
        assert!(seen.len() > 400, "{}", seen.len());
        // A big unique sample by seeks has no repeats.
        let c = Ctx { rand: 5, ..ctx() };
        let r = sorted(read(&argv(&["SRANDMEMBER", "s", "150"]), &c, &s));
        let mut u = r.clone();
        u.dedup();
        assert_eq!((r.len(), u.len()), (150, 150));
        let r = sorted(read(&argv(&["SRANDMEMBER", "s", "-1000"]), &c, &s));
        assert_eq!(r.len(), 1000);
    }

    /// Hashed picks (above the exact size) average `PICK_SPREAD` hash gaps:
    /// on 2,000 members and 60,000 draws the chi-square against uniform
    /// stays far below one-gap picks' (about 31 × the degrees of freedom;
    /// 8 gaps give about 4.75 ×).
    #[test]
    fn hashed_picks_spread_over_the_members() {
        let mut s = MemStore::new();
        const N: usize = 2000;
        for chunk in (0..N).collect::<Vec<_>>().chunks(500) {
            let mut args: Vec<String> = vec!["SADD".into(), "big".into()];
            args.extend(chunk.iter().map(|i| format!("m{i}")));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_eq!(run(&mut s, &refs), int(chunk.len() as i64));
        }
        let mut counts: std::collections::HashMap<Bytes, u64> = Default::default();
        let mut draws = 0u64;
        for seed in 0..60u64 {
            let c = Ctx {
                rand: seed,
                ..ctx()
            };
            if let Reply::Array(v) = read(&argv(&["SRANDMEMBER", "big", "-1000"]), &c, &s) {
                for m in v {
                    if let Reply::Bulk(b) = m {
                        *counts.entry(b).or_default() += 1;
                        draws += 1;
                    }
                }
            }
        }
        assert_eq!(draws, 60_000);
        let want = draws as f64 / N as f64;
        let chi: f64 = counts
            .values()
            .map(|&c| (c as f64 - want).powi(2) / want)
            .sum::<f64>()
            + (N - counts.len()) as f64 * want;
        let df = (N - 1) as f64;
        assert!(
            chi < 10.0 * df,
            "chi-square {chi:.0} for {df} degrees of freedom"
        );
    }

    #[test]
    fn small_sets_pick_uniformly() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "s", "a", "b", "c", "d"]), int(4));
        let mut counts = std::collections::HashMap::new();
        for seed in 0..4000u64 {
            let c = Ctx {
                rand: seed,
                ..ctx()
            };
            if let Reply::Bulk(b) = read(&argv(&["SRANDMEMBER", "s"]), &c, &s) {
                *counts.entry(b).or_insert(0u32) += 1;
            }
        }
        assert_eq!(counts.len(), 4);
        assert!(
            counts.values().all(|&n| (800..1200).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn picks_stop_reading_everything_after_many_deletions() {
        let mut s = MemStore::new();
        let mut args: Vec<String> = vec!["SADD".into(), "s".into()];
        args.extend((0..5000).map(|i| format!("m{i}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(5000));
        let coll = |s: &MemStore| {
            load(s, b"s", NOW)
                .ok()
                .flatten()
                .map(|m| m.coll)
                .unwrap_or_default()
        };
        let id = coll(&s).id;
        assert_eq!(sorted(run(&mut s, &["SPOP", "s", "4000"])).len(), 4000);
        let c = coll(&s);
        assert_eq!((c.len, deletions(&c), c.id), (1000, 4000, id));
        // 1000 members, 4000 deletions: picks seek instead of reading all.
        assert!(!exact(&c));
        // Past 8 x size + 4096 deletions the live members move to a
        // fresh id (the old one is garbage): no tombstones, exact again.
        assert_eq!(sorted(run(&mut s, &["SPOP", "s", "990"])).len(), 990);
        let c = coll(&s);
        assert_ne!(c.id, id);
        assert_eq!((c.len, deletions(&c)), (10, 0));
        assert!(exact(&c));
        assert_eq!(s.element_count(), 10);
        let mut left = Vec::new();
        for seed in 0..10u64 {
            let cx = Ctx {
                rand: seed,
                ..ctx()
            };
            if let Reply::Bulk(b) = apply_write(&argv(&["SPOP", "s"]), &cx, &mut s) {
                left.push(b);
            }
        }
        assert_eq!(left.len(), 10);
        assert_eq!(run(&mut s, &["EXISTS", "s"]), int(0));
    }

    #[test]
    fn smove() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "a", "x", "y"]), int(2));
        assert_eq!(run(&mut s, &["SMOVE", "a", "b", "x"]), int(1));
        assert_eq!(run(&mut s, &["SMOVE", "a", "b", "nope"]), int(0));
        assert_eq!(sorted(run(&mut s, &["SMEMBERS", "b"])), strs(&["x"]));
        assert_eq!(run(&mut s, &["SADD", "b", "y"]), int(1));
        // Already in the destination: still moved (1), the source loses it.
        assert_eq!(run(&mut s, &["SMOVE", "a", "b", "y"]), int(1));
        assert_eq!(run(&mut s, &["EXISTS", "a"]), int(0));
        assert_eq!(sorted(run(&mut s, &["SMEMBERS", "b"])), strs(&["x", "y"]));
        // Same key: membership only.
        assert_eq!(run(&mut s, &["SMOVE", "b", "b", "x"]), int(1));
        assert_eq!(run(&mut s, &["SMOVE", "b", "b", "z"]), int(0));
        assert_eq!(run(&mut s, &["SCARD", "b"]), int(2));
        assert_eq!(s.element_count(), 2);
    }

    #[test]
    fn algebra() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "a", "1", "2", "3", "4"]), int(4));
        assert_eq!(run(&mut s, &["SADD", "b", "3", "4", "5"]), int(3));
        assert_eq!(run(&mut s, &["SADD", "c", "4", "6"]), int(2));
        assert_eq!(
            sorted(run(&mut s, &["SINTER", "a", "b"])),
            strs(&["3", "4"])
        );
        assert_eq!(
            sorted(run(&mut s, &["SINTER", "a", "b", "c"])),
            strs(&["4"])
        );
        assert_eq!(sorted(run(&mut s, &["SINTER", "a", "a"])).len(), 4);
        assert_eq!(run(&mut s, &["SINTER", "a", "nokey"]), Reply::Set(vec![]));
        assert_eq!(
            sorted(run(&mut s, &["SUNION", "a", "nokey", "c"])),
            strs(&["1", "2", "3", "4", "6"])
        );
        assert_eq!(
            sorted(run(&mut s, &["SDIFF", "a", "b", "c"])),
            strs(&["1", "2"])
        );
        assert_eq!(sorted(run(&mut s, &["SDIFF", "a", "nokey"])).len(), 4);
        assert_eq!(run(&mut s, &["SDIFF", "a", "a"]), Reply::Set(vec![]));
        assert_eq!(run(&mut s, &["SDIFF", "nokey", "a"]), Reply::Set(vec![]));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "b"]), int(2));
        assert_eq!(
            run(&mut s, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]),
            int(1)
        );
        assert_eq!(
            run(&mut s, &["SINTERCARD", "2", "a", "b", "limit", "0"]),
            int(2)
        );
        assert_eq!(run(&mut s, &["SINTERCARD", "1", "a", "LIMIT", "9"]), int(4));
        assert_eq!(run(&mut s, &["SINTERCARD", "2", "a", "nokey"]), int(0));
        for (args, e) in [
            (
                &["SINTERCARD", "0", "a"][..],
                "ERR numkeys should be greater than 0",
            ),
            (
                &["SINTERCARD", "x", "a"],
                "ERR numkeys should be greater than 0",
            ),
            (
                &["SINTERCARD", "3", "a", "b"],
                "ERR Number of keys can't be greater than number of args",
            ),
            (
                &["SINTERCARD", "1", "a", "LIMIT", "-1"],
                "ERR LIMIT can't be negative",
            ),
            (
                &["SINTERCARD", "1", "a", "LIMIT", "x"],
                "ERR LIMIT can't be negative",
            ),
            (&["SINTERCARD", "1", "a", "LIMIT"], "ERR syntax error"),
            (&["SINTERCARD", "1", "a", "b"], "ERR syntax error"),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
    }

    #[test]
    fn store_commands_replace_the_destination() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SADD", "a", "1", "2", "3"]), int(3));
        assert_eq!(run(&mut s, &["SADD", "b", "2", "3", "4"]), int(3));
        assert_eq!(run(&mut s, &["SET", "d", "str", "EX", "100"]), ok());
        assert_eq!(run(&mut s, &["SUNIONSTORE", "d", "a", "b"]), int(4));
        assert_eq!(run(&mut s, &["TYPE", "d"]), Reply::Simple("set".into()));
        assert_eq!(run(&mut s, &["TTL", "d"]), int(-1));
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "a", "b"]), int(2));
        assert_eq!(sorted(run(&mut s, &["SMEMBERS", "d"])), strs(&["2", "3"]));
        assert_eq!(run(&mut s, &["SDIFFSTORE", "d", "a", "b"]), int(1));
        assert_eq!(sorted(run(&mut s, &["SMEMBERS", "d"])), strs(&["1"]));
        // A source may be the destination.
        assert_eq!(run(&mut s, &["SUNIONSTORE", "a", "a", "b"]), int(4));
        assert_eq!(run(&mut s, &["SCARD", "a"]), int(4));
        // An empty result deletes the destination.
        assert_eq!(run(&mut s, &["SINTERSTORE", "d", "a", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        assert_eq!(run(&mut s, &["SDIFFSTORE", "a", "a", "a"]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "a"]), int(0));
        // Only live collections hold elements: b (3).
        assert_eq!(s.element_count(), 3);
    }

    #[test]
    fn sscan_walks_every_member_once() {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["SSCAN", "nokey", "0", "COUNT", "0"]),
            scan_reply(0, vec![])
        );
        assert_eq!(
            run(&mut s, &["SSCAN", "nokey", "x"]),
            err("ERR invalid cursor")
        );
        assert_eq!(run(&mut s, &["SADD", "i", "1", "2", "3"]), int(3));
        // An intset answers everything at once, whatever the cursor.
        for cur in ["0", "-1", "77", ""] {
            let r = run(&mut s, &["SSCAN", "i", cur, "COUNT", "1"]);
            let Reply::Array(parts) = r else { panic!() };
            assert_eq!(parts.first(), Some(&bulk("0")));
            assert_eq!(sorted(parts.get(1).cloned().unwrap_or(Reply::Nil)).len(), 3);
        }
        for (args, e) in [
            (&["SSCAN", "i", "0", "COUNT", "0"][..], "ERR syntax error"),
            (
                &["SSCAN", "i", "0", "COUNT", "x"],
                "ERR value is not an integer or out of range",
            ),
            (&["SSCAN", "i", "0", "TYPE", "set"], "ERR syntax error"),
            (&["SSCAN", "i", "0", "MATCH"], "ERR syntax error"),
            (
                &["SSCAN", "i", "18446744073709551616"],
                "ERR invalid cursor",
            ),
            (&["SSCAN", "i", " 1"], "ERR invalid cursor"),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
        let mut args: Vec<String> = vec!["SADD".into(), "h".into()];
        args.extend((0..1000).map(|i| format!("k{i}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut s, &refs), int(1000));
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        let mut calls = 0;
        loop {
            let r = run(&mut s, &["SSCAN", "h", &cursor, "COUNT", "37"]);
            let Reply::Array(parts) = r else { panic!() };
            let Some(Reply::Bulk(next)) = parts.first() else {
                panic!()
            };
            let batch = sorted(parts.get(1).cloned().unwrap_or(Reply::Nil));
            assert!(batch.len() <= 40);
            seen.extend(batch);
            cursor = String::from_utf8_lossy(next).into_owned();
            calls += 1;
            if cursor == "0" || calls > 100 {
                break;
            }
        }
        assert!(calls >= 27, "{calls}");
        seen.sort();
        let mut want: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
        want.sort();
        assert_eq!(seen, want);
        let r = run(
            &mut s,
            &["SSCAN", "h", "0", "MATCH", "k99*", "COUNT", "5000"],
        );
        let Reply::Array(parts) = r else { panic!() };
        assert_eq!(parts.first(), Some(&bulk("0")));
        assert_eq!(
            sorted(parts.get(1).cloned().unwrap_or(Reply::Nil)),
            strs(&[
                "k99", "k990", "k991", "k992", "k993", "k994", "k995", "k996", "k997", "k998",
                "k999"
            ])
        );
    }

    /// A store whose element reads fail (a range after visiting every
    /// element), as a disk read error would.
    pub(crate) fn faulty_elements(inner: MemStore) -> Faulty {
        Faulty {
            all_elements: true,
            ranges: RangeFault::AfterAll,
            ..Faulty::new(inner)
        }
    }

    #[test]
    fn a_failed_element_read_is_an_error_never_absence() {
        let mut m = MemStore::new();
        let mut args: Vec<String> = vec!["SADD".into(), "{t}b".into()];
        args.extend((0..600).map(|i| format!("m{i}")));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(&mut m, &refs), int(600));
        assert_eq!(run(&mut m, &["SADD", "{t}a", "1", "2"]), int(2));
        let want = err("ERR storage read error: injected");
        let mut s = faulty_elements(m);
        for cmd in [
            &["SISMEMBER", "{t}a", "1"][..],
            &["SMISMEMBER", "{t}a", "1"],
            &["SMEMBERS", "{t}a"],
            &["SRANDMEMBER", "{t}a"],
            &["SRANDMEMBER", "{t}b"],
            &["SRANDMEMBER", "{t}b", "5"],
            &["SRANDMEMBER", "{t}b", "-5"],
            &["SINTER", "{t}a", "{t}b"],
            &["SINTERCARD", "2", "{t}a", "{t}b"],
            &["SUNION", "{t}a", "{t}b"],
            &["SDIFF", "{t}a", "{t}b"],
            &["SSCAN", "{t}a", "0"],
            &["SSCAN", "{t}b", "0"],
        ] {
            assert_eq!(read(&argv(cmd), &ctx(), &s), want, "{cmd:?}");
        }
        for cmd in [
            &["SADD", "{t}a", "3"][..],
            &["SREM", "{t}a", "1"],
            &["SMOVE", "{t}a", "{t}b", "1"],
            &["SPOP", "{t}a"],
            &["SPOP", "{t}b", "5"],
            &["SINTERSTORE", "{t}d", "{t}a", "{t}b"],
            &["SUNIONSTORE", "{t}d", "{t}a", "{t}b"],
            &["SDIFFSTORE", "{t}d", "{t}a", "{t}b"],
        ] {
            assert_eq!(apply_write(&argv(cmd), &ctx(), &mut s), want, "{cmd:?}");
        }
        // No meta changed (staged apply drops the elements too, 0019).
        assert_eq!(run(&mut s.inner, &["SCARD", "{t}a"]), int(2));
        assert_eq!(run(&mut s.inner, &["SCARD", "{t}b"]), int(600));
        assert_eq!(run(&mut s.inner, &["EXISTS", "{t}d"]), int(0));
    }

    #[test]
    fn scan_cursor_parses_like_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Ok(0));
        assert_eq!(parse_scan_cursor(b""), Ok(0));
        assert_eq!(parse_scan_cursor(b"+5"), Ok(5));
        assert_eq!(parse_scan_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert!(parse_scan_cursor(b"18446744073709551616").is_err());
        assert!(parse_scan_cursor(b"1x").is_err());
        assert!(parse_scan_cursor(b"-").is_err());
    }
}
