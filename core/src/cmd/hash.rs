//! The hash family: HSET HSETNX HMSET HGET HMGET HDEL HLEN HEXISTS HSTRLEN
//! HGETALL HKEYS HVALS HINCRBY HINCRBYFLOAT HSCAN HRANDFIELD, with
//! t_hash.c's replies and the order in which it reports errors.
//!
//! A hash is a meta record plus one element per field:
//! `coll::hashed(b'f', field)` → value (docs/design/0019). A point command
//! costs one element read or write per field plus the meta; whole-hash
//! reads come in hash order (Redis promises no order). HSCAN's cursor is the
//! hash value of the next field, so it needs no server state. Every write
//! reads everything it needs before it writes anything, so a failed read
//! leaves the hash as it was.

use super::coll::{self, ENC_BIG, LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE, Meta};
use super::num::{format_f64, parse_f64, parse_i64};
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, arg_bytes, glob_match, int_arg, is_opt};
use crate::Reply;
use crate::errors;
use crate::store::{Kind, Ns, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::collections::HashSet;
use std::ops::Bound;

/// The element tag of a hash field (0019's layout table).
const TAG: u8 = b'f';

/// Below this many fields HRANDFIELD reads every field and picks exactly
/// uniformly (Redis's small-hash distribution tests hold); above it a pick
/// seeks a random hash value, O(log n) but biased by the hash gaps.
const EXACT_PICK_MAX: u64 = 512;

/// HRANDFIELD with a negative count answers this many picks at most: Redis
/// streams any count into its output buffer, but a reply here is built
/// whole in memory, so an unbounded count could exhaust it. As large as a
/// whole 1M-field HGETALL.
const MAX_REPEATED_PICKS: u64 = 1_000_000;

/// Redis's `HRANDFIELD_SUB_STRATEGY_MUL`: a distinct sample of more than a
/// third of the hash reads the whole hash and drops fields instead.
const SUB_STRATEGY_MUL: u64 = 3;

fn load(store: &dyn Store, key: &[u8], now: u64) -> Result<Option<Meta>, Reply> {
    coll::load(store, key, now, Kind::Hash)
}

fn field_key(field: &[u8]) -> Vec<u8> {
    coll::hashed(TAG, field)
}

fn get_field(store: &dyn Store, ns: Ns, field: &[u8]) -> Result<Option<Bytes>, StoreError> {
    store.el_get(ns, &field_key(field))
}

/// `hashTypeSet`'s conversions: a field or value longer than 64 bytes, or
/// more than 128 fields, turn a listpack into a hashtable for good.
fn note_size(m: &mut Meta, field: &[u8], value: &[u8]) {
    if field.len() > LISTPACK_MAX_VALUE
        || value.len() > LISTPACK_MAX_VALUE
        || m.coll.len > LISTPACK_MAX_ENTRIES
    {
        m.coll.enc |= ENC_BIG;
    }
}

/// Writes one field whose prior existence the caller has read.
fn put_field(store: &mut dyn Store, m: &mut Meta, field: &[u8], value: Bytes, existed: bool) {
    if !existed {
        m.coll.len += 1;
    }
    note_size(m, field, &value);
    store.el_put(m.ns, &field_key(field), value);
}

/// Every (field, value) of the hash, in hash order.
fn all_pairs(store: &dyn Store, ns: Ns) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    let mut out = Vec::new();
    coll::each(store, ns, TAG, &mut |k, v| {
        out.push((
            Bytes::copy_from_slice(coll::hashed_member(k)),
            Bytes::copy_from_slice(v),
        ));
        true
    })?;
    Ok(out)
}

fn int_reply(n: u64) -> Reply {
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

// ---- prechecks ----

/// HSET/HMSET take field/value pairs: an even argc is Redis's arity error.
fn check_pairs(argv: &[Bytes], name: &str) -> Result<(), Reply> {
    if argv.len().is_multiple_of(2) {
        return Err(errors::arity(name));
    }
    Ok(())
}

pub(crate) fn precheck_hset(argv: &[Bytes]) -> Result<(), Reply> {
    check_pairs(argv, "hset")
}

pub(crate) fn precheck_hmset(argv: &[Bytes]) -> Result<(), Reply> {
    check_pairs(argv, "hmset")
}

pub(crate) fn precheck_hincrby(argv: &[Bytes]) -> Result<(), Reply> {
    int_arg(argv, 3).map(drop)
}

pub(crate) fn precheck_hincrbyfloat(argv: &[Bytes]) -> Result<(), Reply> {
    float_incr(argv).map(drop)
}

/// HINCRBYFLOAT's increment: a float (NaN is not one), and finite.
fn float_incr(argv: &[Bytes]) -> Result<f64, Reply> {
    let incr = parse_f64(arg(argv, 3)).ok_or_else(|| errors::err(errors::NOT_FLOAT))?;
    if !incr.is_finite() {
        return Err(errors::err(errors::NAN_OR_INF_VALUE));
    }
    Ok(incr)
}

// ---- writes ----

fn set_pairs(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, name: &str) -> Result<u64, Reply> {
    check_pairs(argv, name)?;
    let key = arg(argv, 1);
    let mut m = coll::load_or_new(store, key, ctx.now_ms, Kind::Hash)?;
    let pairs = argv.get(2..).unwrap_or(&[]);
    // Reads first: which fields exist (a field repeated in one command
    // exists from its second write on).
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut existed = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks_exact(2) {
        let field = pair.first().map(|b| &b[..]).unwrap_or(&[]);
        let there = !seen.insert(field) || (m.stored && get_field(store, m.ns, field)?.is_some());
        existed.push(there);
    }
    let mut created = 0;
    for (pair, there) in pairs.chunks_exact(2).zip(existed) {
        if let [f, v] = pair {
            put_field(store, &mut m, f, v.clone(), there);
            created += u64::from(!there);
        }
    }
    coll::save(store, key, &m, ctx.now_ms)?;
    Ok(created)
}

pub(crate) fn hset(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_pairs(argv, ctx, store, "hset").map(int_reply)
}

pub(crate) fn hmset(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_pairs(argv, ctx, store, "hmset").map(|_| Reply::ok())
}

pub(crate) fn hsetnx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (key, field) = (arg(argv, 1), arg(argv, 2));
    let mut m = coll::load_or_new(store, key, ctx.now_ms, Kind::Hash)?;
    if m.stored && get_field(store, m.ns, field)?.is_some() {
        return Ok(Reply::Integer(0));
    }
    put_field(store, &mut m, field, arg_bytes(argv, 3), false);
    coll::save(store, key, &m, ctx.now_ms)?;
    Ok(Reply::Integer(1))
}

pub(crate) fn hdel(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let mut doomed: Vec<Vec<u8>> = Vec::new();
    for field in argv.get(2..).unwrap_or(&[]) {
        let sub = field_key(field);
        if !doomed.contains(&sub) && store.el_get(m.ns, &sub)?.is_some() {
            doomed.push(sub);
        }
    }
    if doomed.is_empty() {
        return Ok(Reply::Integer(0));
    }
    for sub in &doomed {
        store.el_del(m.ns, sub);
    }
    let n = doomed.len() as u64;
    m.coll.len = m.coll.len.saturating_sub(n);
    // An emptied hash loses its key (coll::save deletes the meta).
    coll::save(store, key, &m, ctx.now_ms)?;
    Ok(int_reply(n))
}

pub(crate) fn hincrby(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let incr = int_arg(argv, 3)?;
    let (key, field) = (arg(argv, 1), arg(argv, 2));
    let mut m = coll::load_or_new(store, key, ctx.now_ms, Kind::Hash)?;
    let old = if m.stored {
        get_field(store, m.ns, field)?
    } else {
        None
    };
    let value = match &old {
        Some(v) => parse_i64(v).ok_or_else(|| errors::err(errors::HASH_NOT_INTEGER))?,
        None => 0,
    };
    let new = value
        .checked_add(incr)
        .ok_or_else(|| errors::err(errors::OVERFLOW))?;
    put_field(
        store,
        &mut m,
        field,
        Bytes::from(new.to_string()),
        old.is_some(),
    );
    coll::save(store, key, &m, ctx.now_ms)?;
    Ok(Reply::Integer(new))
}

pub(crate) fn hincrbyfloat(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let incr = float_incr(argv)?;
    let (key, field) = (arg(argv, 1), arg(argv, 2));
    let mut m = coll::load_or_new(store, key, ctx.now_ms, Kind::Hash)?;
    let old = if m.stored {
        get_field(store, m.ns, field)?
    } else {
        None
    };
    let value = match &old {
        Some(v) => parse_f64(v).ok_or_else(|| errors::err(errors::HASH_NOT_FLOAT))?,
        None => 0.0,
    };
    let sum = value + incr;
    if !sum.is_finite() {
        return Err(errors::err(errors::NAN_OR_INF));
    }
    let text = Bytes::from(format_f64(sum));
    put_field(store, &mut m, field, text.clone(), old.is_some());
    coll::save(store, key, &m, ctx.now_ms)?;
    Ok(Reply::Bulk(text))
}

// ---- point reads ----

pub(crate) fn hget(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    Ok(get_field(store, m.ns, arg(argv, 2))?.map_or(Reply::Nil, Reply::Bulk))
}

pub(crate) fn hmget(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let m = load(store, arg(argv, 1), ctx.now_ms)?;
    let fields = argv.get(2..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(fields.len());
    for f in fields {
        let v = match &m {
            Some(m) => get_field(store, m.ns, f)?,
            None => None,
        };
        out.push(v.map_or(Reply::Nil, Reply::Bulk));
    }
    Ok(Reply::Array(out))
}

pub(crate) fn hlen(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    Ok(int_reply(
        load(store, arg(argv, 1), ctx.now_ms)?.map_or(0, |m| m.len()),
    ))
}

pub(crate) fn hexists(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let there = get_field(store, m.ns, arg(argv, 2))?.is_some();
    Ok(Reply::Integer(i64::from(there)))
}

pub(crate) fn hstrlen(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let len = get_field(store, m.ns, arg(argv, 2))?.map_or(0, |v| v.len());
    Ok(int_reply(len as u64))
}

// ---- whole-hash reads ----

pub(crate) fn hgetall(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Map(Vec::new()));
    };
    let pairs = all_pairs(store, m.ns)?;
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
            .collect(),
    ))
}

/// HKEYS (`values` false) and HVALS (`values` true).
fn one_side(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, values: bool) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let mut out = Vec::new();
    coll::each(store, m.ns, TAG, &mut |k, v| {
        let b = if values { v } else { coll::hashed_member(k) };
        out.push(Reply::Bulk(Bytes::copy_from_slice(b)));
        true
    })?;
    Ok(Reply::Array(out))
}

pub(crate) fn hkeys(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    one_side(argv, ctx, store, false)
}

pub(crate) fn hvals(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    one_side(argv, ctx, store, true)
}

/// `parseScanCursorOrReply`: strtoul in base 10 (an empty cursor is 0, a
/// leading `+` is allowed, a leading `-` negates modulo 2^64), refusing
/// leading spaces, trailing bytes and overflow.
fn parse_scan_cursor(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. Redis checks the cursor,
/// then the key (a missing key answers an empty scan whatever the options
/// say), then the options. A listpack-sized hash comes whole in one call
/// with cursor 0, as in Redis. A bigger one is visited in hash order from
/// the cursor; a call examines about COUNT fields and stops only between
/// two distinct hash values, answering the next hash value as the cursor,
/// so a field present for the whole scan is returned, and none twice.
pub(crate) fn hscan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let cursor =
        parse_scan_cursor(arg(argv, 2)).ok_or_else(|| errors::err(errors::INVALID_CURSOR))?;
    let empty = || Reply::Array(vec![Reply::Bulk(Bytes::from_static(b"0")), Reply::Array(vec![])]);
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(empty());
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < argv.len() {
        let opt = arg(argv, i);
        let has_value = i + 1 < argv.len();
        if is_opt(opt, "count") && has_value {
            count = int_arg(argv, i + 1)?;
            if count < 1 {
                return Err(errors::err(errors::SYNTAX));
            }
        } else if is_opt(opt, "match") && has_value {
            let p = arg(argv, i + 1);
            pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 2;
    }
    let wanted = |field: &[u8]| pattern.is_none_or(|p| glob_match(p, field, false));
    let mut found = Vec::new();
    let mut push = |k: &[u8], v: &[u8]| {
        let field = coll::hashed_member(k);
        if wanted(field) {
            found.push(Reply::Bulk(Bytes::copy_from_slice(field)));
            found.push(Reply::Bulk(Bytes::copy_from_slice(v)));
        }
    };
    if m.coll.enc & ENC_BIG == 0 {
        coll::each(store, m.ns, TAG, &mut |k, v| {
            push(k, v);
            true
        })?;
        return Ok(Reply::Array(vec![
            Reply::Bulk(Bytes::from_static(b"0")),
            Reply::Array(found),
        ]));
    }
    let target = u64::try_from(count).unwrap_or(1);
    let mut examined: u64 = 0;
    let mut last: Option<u64> = None;
    let mut next: u64 = 0;
    let start = coll::hash_start(TAG, cursor);
    let end = [TAG + 1];
    store.el_range(
        m.ns,
        Bound::Included(&start[..]),
        Bound::Excluded(&end[..]),
        false,
        &mut |k, v| {
            let h = coll::hashed_hash(k);
            if examined >= target && last != Some(h) {
                next = h;
                return false;
            }
            examined += 1;
            last = Some(h);
            push(k, v);
            true
        },
    )?;
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from(next.to_string())),
        Reply::Array(found),
    ]))
}

/// splitmix64 over the read's entropy (`ctx.rand`): HRANDFIELD is a read,
/// so it needs no replica to agree with it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The first field at or after hash value `h`, wrapping around to the
/// first field of the hash; `skip` fields are passed over (a distinct
/// sample's picks so far).
fn seek(
    store: &dyn Store,
    ns: Ns,
    h: u64,
    skip: &HashSet<Bytes>,
) -> Result<Option<(Bytes, Bytes)>, StoreError> {
    let start = coll::hash_start(TAG, h);
    let end = [TAG + 1];
    let first = |lo: &[u8], hi: &[u8]| -> Result<Option<(Bytes, Bytes)>, StoreError> {
        let mut hit = None;
        store.el_range(
            ns,
            Bound::Included(lo),
            Bound::Excluded(hi),
            false,
            &mut |k, v| {
                let field = coll::hashed_member(k);
                if skip.contains(field) {
                    return true;
                }
                hit = Some((Bytes::copy_from_slice(field), Bytes::copy_from_slice(v)));
                false
            },
        )?;
        Ok(hit)
    };
    match first(&start[..], &end[..])? {
        Some(p) => Ok(Some(p)),
        None => first(&[TAG][..], &start[..]),
    }
}

/// HRANDFIELD's count argument, checked in Redis's order: an integer, not
/// LONG_MIN, only WITHVALUES may follow, and with it no count whose double
/// overflows.
fn parse_randfield(argv: &[Bytes]) -> Result<Option<(i64, bool)>, Reply> {
    if argv.len() < 3 {
        return Ok(None);
    }
    let l = int_arg(argv, 2)?;
    if l == i64::MIN {
        return Err(errors::err(errors::LONG_RANGE));
    }
    let withvalues = match argv.get(3) {
        None => false,
        Some(a) if argv.len() == 4 && is_opt(a, "withvalues") => true,
        Some(_) => return Err(errors::err(errors::SYNTAX)),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(errors::err(errors::VALUE_OUT_OF_RANGE));
    }
    Ok(Some((l, withvalues)))
}

pub(crate) fn hrandfield(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let parsed = parse_randfield(argv)?;
    let m = load(store, arg(argv, 1), ctx.now_ms)?;
    let mut rng = Rng(ctx.rand);
    let Some((l, withvalues)) = parsed else {
        let Some(m) = m else {
            return Ok(Reply::Nil);
        };
        let pick = if m.len() < EXACT_PICK_MAX {
            let mut all = all_pairs(store, m.ns)?;
            let i = rng.below(all.len().max(1));
            (i < all.len()).then(|| all.swap_remove(i))
        } else {
            seek(store, m.ns, rng.next(), &HashSet::new())?
        };
        return Ok(pick.map_or(Reply::Nil, |(f, _)| Reply::Bulk(f)));
    };
    let Some(m) = m else {
        return Ok(Reply::Array(Vec::new()));
    };
    let count = l.unsigned_abs();
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let picks = if l < 0 {
        if count > MAX_REPEATED_PICKS {
            return Err(errors::err(errors::VALUE_OUT_OF_RANGE));
        }
        repeated_picks(store, &m, count, &mut rng)?
    } else {
        distinct_picks(store, &m, count, &mut rng)?
    };
    Ok(if withvalues {
        Reply::Pairs(
            picks
                .into_iter()
                .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
                .collect(),
        )
    } else {
        Reply::Array(picks.into_iter().map(|(f, _)| Reply::Bulk(f)).collect())
    })
}

/// `count` fields drawn independently (Redis's case 1: repeats allowed,
/// random order).
fn repeated_picks(
    store: &dyn Store,
    m: &Meta,
    count: u64,
    rng: &mut Rng,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(n);
    if m.len() < EXACT_PICK_MAX {
        let all = all_pairs(store, m.ns)?;
        if all.is_empty() {
            return Ok(out);
        }
        for _ in 0..n {
            if let Some(p) = all.get(rng.below(all.len())) {
                out.push(p.clone());
            }
        }
    } else {
        let none = HashSet::new();
        for _ in 0..n {
            if let Some(p) = seek(store, m.ns, rng.next(), &none)? {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// `count` distinct fields (Redis's cases 2-4): the whole hash when count
/// reaches its size; a full read minus random fields when count is more
/// than a third of it (or the hash is small enough to pick exactly);
/// otherwise random seeks that skip fields already picked.
fn distinct_picks(
    store: &dyn Store,
    m: &Meta,
    count: u64,
    rng: &mut Rng,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    if count >= m.len() {
        return all_pairs(store, m.ns);
    }
    if m.len() < EXACT_PICK_MAX || count.saturating_mul(SUB_STRATEGY_MUL) > m.len() {
        // A partial Fisher-Yates shuffle: the first `count` are a uniform
        // sample, in random order.
        let mut all = all_pairs(store, m.ns)?;
        let n = usize::try_from(count).unwrap_or(usize::MAX).min(all.len());
        for i in 0..n {
            let j = i + rng.below(all.len() - i);
            all.swap(i, j);
        }
        all.truncate(n);
        return Ok(all);
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    let mut taken: HashSet<Bytes> = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // At most a third of the fields are taken, so a fresh seek mostly
        // lands on a new one; skipping taken fields bounds the loop anyway.
        let Some((f, v)) = seek(store, m.ns, rng.next(), &taken)? else {
            break;
        };
        taken.insert(f.clone());
        out.push((f, v));
    }
    Ok(out)
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("hset", write(Some(precheck_hset), hset)),
    ("hmset", write(Some(precheck_hmset), hmset)),
    ("hsetnx", write(None, hsetnx)),
    ("hdel", write(None, hdel)),
    ("hincrby", write(Some(precheck_hincrby), hincrby)),
    (
        "hincrbyfloat",
        write(Some(precheck_hincrbyfloat), hincrbyfloat),
    ),
    ("hget", Handler::Read(hget)),
    ("hmget", Handler::Read(hmget)),
    ("hlen", Handler::Read(hlen)),
    ("hexists", Handler::Read(hexists)),
    ("hstrlen", Handler::Read(hstrlen)),
    ("hgetall", Handler::Read(hgetall)),
    ("hkeys", Handler::Read(hkeys)),
    ("hvals", Handler::Read(hvals)),
    ("hscan", Handler::Read(hscan)),
    ("hrandfield", Handler::Read(hrandfield)),
];
