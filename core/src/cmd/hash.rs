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

use super::coll::{self, ENC_BIG, LISTPACK_MAX_VALUE, Meta};
use super::num::{format_f64, parse_f64, parse_i64};
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, arg_bytes, glob_match, int_arg, is_opt};
use crate::Reply;
use crate::errors;
use crate::notify::HASH;
use crate::store::{Coll, Kind, Ns, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::collections::HashSet;

/// The element tag of a hash field (0019's layout table).
const TAG: u8 = b'f';

/// Redis 7.0.15's `hash-max-listpack-entries` default: 512 for hashes
/// (config.c; zsets use 128, `coll::LISTPACK_MAX_ENTRIES`).
const HASH_MAX_LISTPACK_ENTRIES: u64 = 512;

// HRANDFIELD's pick strategy (Redis's small-hash distribution tests hold
// below EXACT_PICK_MAX fields): see the constants' docs in coll.rs.
use super::coll::{EXACT_PICK_MAX, MAX_REPEATED_PICKS, SUB_STRATEGY_MUL};

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
/// more than 512 fields, turn a listpack into a hashtable for good.
fn note_size(m: &mut Meta, field: &[u8], value: &[u8]) {
    if field.len() > LISTPACK_MAX_VALUE
        || value.len() > LISTPACK_MAX_VALUE
        || m.coll.len > HASH_MAX_LISTPACK_ENTRIES
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

/// HSET/HMSET take field/value pairs after the key: an odd argc is
/// Redis's arity error.
fn check_pairs(argv: &[Bytes], name: &str) -> Result<(), Reply> {
    if !argv.len().is_multiple_of(2) {
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
    store.notify(HASH, "hset", key);
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
    store.notify(HASH, "hset", key);
    Ok(Reply::Integer(1))
}

pub(crate) fn hdel(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    // Reads first; a field named twice is deleted (and counted) once.
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut doomed: Vec<Vec<u8>> = Vec::new();
    for field in argv.get(2..).unwrap_or(&[]) {
        if !seen.insert(field) {
            continue;
        }
        let sub = field_key(field);
        if store.el_get(m.ns, &sub)?.is_some() {
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
    coll::notify_change(store, key, &m, HASH, "hdel");
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
    store.notify(HASH, "hincrby", key);
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
    store.notify(HASH, "hincrbyfloat", key);
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

/// HSCAN key cursor [MATCH pattern] [COUNT count]. Redis checks the cursor,
/// then the key (a missing key answers an empty scan whatever the options
/// say), then the options. A listpack-sized hash comes whole in one call
/// with cursor 0, as in Redis. A bigger one is visited in hash order from
/// the cursor; a call examines about COUNT fields and stops only between
/// two distinct hash values, answering the next hash value as the cursor,
/// so a field present for the whole scan is returned, and none twice.
pub(crate) fn hscan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let cursor = super::set::parse_scan_cursor(arg(argv, 2))?;
    let empty = || {
        Reply::Array(vec![
            Reply::Bulk(Bytes::from_static(b"0")),
            Reply::Array(vec![]),
        ])
    };
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(empty());
    };
    let (pattern, count) = super::set::parse_scan_opts(argv, 3)?;
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
    let next = super::set::scan_hashed(store, m.ns, TAG, cursor, count, &mut push)?;
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from(next.to_string())),
        Reply::Array(found),
    ]))
}

/// A random field (see `set::pick_from`); `skip` fields are passed over
/// (a distinct sample's picks so far).
fn seek(
    store: &dyn Store,
    ns: Ns,
    rng: &mut super::set::Rng,
    skip: &HashSet<Bytes>,
) -> Result<Option<(Bytes, Bytes)>, StoreError> {
    let pick = super::set::pick_from(store, ns, TAG, rng, &|k| {
        skip.contains(coll::hashed_member(k))
    })?;
    Ok(pick.map(|(k, v)| (Bytes::copy_from_slice(coll::hashed_member(&k)), v)))
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
    // HRANDFIELD is a read: the read's entropy, no replica need agree.
    let mut rng = super::set::Rng::new(ctx.rand);
    let Some((l, withvalues)) = parsed else {
        let Some(m) = m else {
            return Ok(Reply::Nil);
        };
        let pick = if m.len() < EXACT_PICK_MAX {
            let mut all = all_pairs(store, m.ns)?;
            let i = rng.index(all.len().max(1));
            (i < all.len()).then(|| all.swap_remove(i))
        } else {
            seek(store, m.ns, &mut rng, &HashSet::new())?
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
    rng: &mut super::set::Rng,
) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(n);
    if m.len() < EXACT_PICK_MAX {
        let all = all_pairs(store, m.ns)?;
        if all.is_empty() {
            return Ok(out);
        }
        for _ in 0..n {
            if let Some(p) = all.get(rng.index(all.len())) {
                out.push(p.clone());
            }
        }
    } else {
        let none = HashSet::new();
        for _ in 0..n {
            if let Some(p) = seek(store, m.ns, rng, &none)? {
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
    rng: &mut super::set::Rng,
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
            let j = i + rng.index(all.len() - i);
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
        let Some((f, v)) = seek(store, m.ns, rng, &taken)? else {
            break;
        };
        taken.insert(f.clone());
        out.push((f, v));
    }
    Ok(out)
}

// ---- size estimates for heavy routing (`CommandSpec::heavy_size`) ----

/// The live hash header at argv[1]; `None` when absent, expired, another
/// type or undecodable (the read itself then answers at once).
fn size_header(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<Option<Coll>, StoreError> {
    Ok(match store.get(arg(argv, 1))? {
        Some(r) if r.kind == Kind::Hash && !r.is_expired(ctx.now_ms) => r.coll_header(),
        _ => None,
    })
}

/// HGETALL, HKEYS, HVALS: every field.
pub(crate) fn size_all(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    Ok(size_header(argv, ctx, store)?.map_or(0, |c| c.len))
}

/// HSCAN: see [`coll::scan_size`].
pub(crate) fn size_hscan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    coll::scan_size(argv, ctx, store, Kind::Hash)
}

/// HRANDFIELD: see [`coll::pick_size`].
pub(crate) fn size_hrandfield(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, StoreError> {
    coll::pick_size(argv, ctx, store, Kind::Hash)
}

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

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{Ctx, apply_write, read};
    use crate::store::faults::{Faulty, RangeFault};
    use crate::{MemStore, Reply, Store};
    use std::collections::{BTreeMap, BTreeSet};

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn s(v: &str) -> String {
        v.to_string()
    }

    fn text(r: &Reply) -> String {
        match r {
            Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        }
    }

    fn texts(r: Reply) -> Vec<String> {
        match r {
            Reply::Array(v) => v.iter().map(text).collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    fn sorted(r: Reply) -> Vec<String> {
        let mut v = texts(r);
        v.sort();
        v
    }

    /// HGETALL's map as a sorted map.
    fn map(r: Reply) -> BTreeMap<String, String> {
        match r {
            Reply::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), text(v))).collect(),
            other => panic!("not a map: {other:?}"),
        }
    }

    /// A read with its own entropy (HRANDFIELD).
    fn read_rand(st: &MemStore, rand: u64, args: &[&str]) -> Reply {
        read(&argv(args), &Ctx { rand, ..ctx() }, st)
    }

    /// A hash `h` with fields f0..f{n-1} holding v0..v{n-1}.
    fn filled(n: usize) -> MemStore {
        let mut st = MemStore::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
            let mut cmd = vec![s("HSET"), s("h")];
            for i in chunk {
                cmd.push(format!("f{i}"));
                cmd.push(format!("v{i}"));
            }
            let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
            assert_eq!(run(&mut st, &cmd), int(chunk.len() as i64));
        }
        st
    }

    fn enc(st: &mut MemStore, key: &str) -> Reply {
        run(st, &["OBJECT", "ENCODING", key])
    }

    #[test]
    fn set_get_and_point_reads() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HSET", "h", "a", "1", "b", "2"]), int(2));
        assert_eq!(run(&mut st, &["HSET", "h", "a", "10", "c", "3"]), int(1));
        assert_eq!(run(&mut st, &["HSET", "h", "d", "4", "d", "5"]), int(1));
        assert_eq!(run(&mut st, &["HGET", "h", "a"]), bulk("10"));
        assert_eq!(run(&mut st, &["HGET", "h", "d"]), bulk("5"));
        assert_eq!(run(&mut st, &["HGET", "h", "zz"]), Reply::Nil);
        assert_eq!(run(&mut st, &["HGET", "nope", "a"]), Reply::Nil);
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(4));
        assert_eq!(run(&mut st, &["HLEN", "nope"]), int(0));
        assert_eq!(
            run(&mut st, &["HMGET", "h", "a", "zz", "b", "a"]),
            Reply::Array(vec![bulk("10"), Reply::Nil, bulk("2"), bulk("10")])
        );
        assert_eq!(
            run(&mut st, &["HMGET", "nope", "a", "b"]),
            Reply::Array(vec![Reply::Nil, Reply::Nil])
        );
        assert_eq!(run(&mut st, &["HEXISTS", "h", "b"]), int(1));
        assert_eq!(run(&mut st, &["HEXISTS", "h", "zz"]), int(0));
        assert_eq!(run(&mut st, &["HEXISTS", "nope", "b"]), int(0));
        assert_eq!(run(&mut st, &["HSTRLEN", "h", "a"]), int(2));
        assert_eq!(run(&mut st, &["HSTRLEN", "h", "zz"]), int(0));
        assert_eq!(run(&mut st, &["HSTRLEN", "nope", "a"]), int(0));
        assert_eq!(run(&mut st, &["HMSET", "h", "a", "x", "e", "5"]), ok());
        assert_eq!(run(&mut st, &["HGET", "h", "a"]), bulk("x"));
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(5));
        assert_eq!(run(&mut st, &["HSETNX", "h", "a", "y"]), int(0));
        assert_eq!(run(&mut st, &["HGET", "h", "a"]), bulk("x"));
        assert_eq!(run(&mut st, &["HSETNX", "h", "f", "6"]), int(1));
        assert_eq!(run(&mut st, &["HSETNX", "new", "f", "6"]), int(1));
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(6));
        // Empty fields and values are fields and values.
        assert_eq!(run(&mut st, &["HSET", "h", "", ""]), int(1));
        assert_eq!(run(&mut st, &["HEXISTS", "h", ""]), int(1));
        assert_eq!(run(&mut st, &["HGET", "h", ""]), bulk(""));
        assert_eq!(st.element_count(), 8, "7 fields of h, 1 of new");
    }

    #[test]
    fn arity_and_pairs() {
        let mut st = MemStore::new();
        for (cmd, name) in [
            (&["HSET", "h"][..], "hset"),
            (&["HSET", "h", "a"], "hset"),
            (&["HSET", "h", "a", "1", "b"], "hset"),
            (&["HMSET", "h", "a", "1", "b"], "hmset"),
            (&["HSETNX", "h", "a"], "hsetnx"),
            (&["HGET", "h"], "hget"),
            (&["HMGET", "h"], "hmget"),
            (&["HDEL", "h"], "hdel"),
            (&["HINCRBY", "h", "a"], "hincrby"),
            (&["HSCAN", "h"], "hscan"),
            (&["HRANDFIELD"], "hrandfield"),
        ] {
            assert_eq!(
                run(&mut st, cmd),
                err(&format!(
                    "ERR wrong number of arguments for '{name}' command"
                )),
                "{cmd:?}"
            );
        }
        assert!(st.is_empty());
    }

    #[test]
    fn hdel_counts_and_an_emptied_hash_is_gone() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HDEL", "h", "a"]), int(0));
        assert_eq!(
            run(&mut st, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
            int(3)
        );
        assert_eq!(run(&mut st, &["HDEL", "h", "a", "a", "zz"]), int(1));
        assert_eq!(run(&mut st, &["HDEL", "h", "zz"]), int(0));
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(2));
        assert_eq!(run(&mut st, &["HGET", "h", "a"]), Reply::Nil);
        assert_eq!(run(&mut st, &["HDEL", "h", "b", "c", "zz"]), int(2));
        assert_eq!(run(&mut st, &["EXISTS", "h"]), int(0));
        assert_eq!(run(&mut st, &["TYPE", "h"]), Reply::Simple(s("none")));
        assert!(st.is_empty());
        assert_eq!(st.element_count(), 0);
    }

    #[test]
    fn hincrby() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HINCRBY", "h", "n", "5"]), int(5));
        assert_eq!(run(&mut st, &["HINCRBY", "h", "n", "-7"]), int(-2));
        assert_eq!(run(&mut st, &["HGET", "h", "n"]), bulk("-2"));
        assert_eq!(
            run(&mut st, &["HINCRBY", "h", "n", "1.5"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut st, &["HINCRBY", "nope", "n", "x"]),
            err("ERR value is not an integer or out of range"),
            "the increment is checked before the key"
        );
        assert_eq!(run(&mut st, &["EXISTS", "nope"]), int(0));
        assert_eq!(run(&mut st, &["HSET", "h", "s", "abc", "sp", " 1"]), int(2));
        for f in ["s", "sp"] {
            assert_eq!(
                run(&mut st, &["HINCRBY", "h", f, "1"]),
                err("ERR hash value is not an integer"),
                "{f}"
            );
        }
        assert_eq!(
            run(&mut st, &["HSET", "h", "m", "9223372036854775807"]),
            int(1)
        );
        assert_eq!(
            run(&mut st, &["HINCRBY", "h", "m", "1"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(
            run(&mut st, &["HINCRBY", "h", "n", "-9223372036854775807"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(
            run(&mut st, &["HINCRBY", "h", "m", "-9223372036854775807"]),
            int(0)
        );
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(4));
        // A write keeps the key's TTL.
        assert_eq!(run(&mut st, &["EXPIRE", "h", "100"]), int(1));
        assert_eq!(run(&mut st, &["HINCRBY", "h", "n", "1"]), int(-1));
        assert_eq!(run(&mut st, &["TTL", "h"]), int(100));
    }

    #[test]
    fn hincrbyfloat() {
        let mut st = MemStore::new();
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "f", "10.5"]),
            bulk("10.5")
        );
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "f", "0.1"]),
            bulk("10.6")
        );
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "f", "-10.6"]),
            bulk("0")
        );
        assert_eq!(run(&mut st, &["HSET", "h", "g", "5.0e3"]), int(1));
        assert_eq!(run(&mut st, &["HINCRBYFLOAT", "h", "g", "0"]), bulk("5000"));
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "g", "-1e3"]),
            bulk("4000")
        );
        assert_eq!(run(&mut st, &["HGET", "h", "g"]), bulk("4000"));
        assert_eq!(run(&mut st, &["HINCRBY", "h", "g", "1"]), int(4001));
        // Redis's issue #2846 test: human formatting, no 1.2999...
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "r", "x", "1.23"]),
            bulk("1.23")
        );
        assert_eq!(run(&mut st, &["HINCRBYFLOAT", "r", "x", "0.77"]), bulk("2"));
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "r", "x", "-0.1"]),
            bulk("1.9")
        );
        assert_eq!(run(&mut st, &["HSET", "r", "nul", "1\u{0}2"]), int(1));
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "r", "nul", "1"]),
            err("ERR hash value is not a float")
        );
        assert_eq!(run(&mut st, &["HINCRBYFLOAT", "gone", "x", "+inf"]), {
            err("ERR value is NaN or Infinity")
        });
        assert_eq!(run(&mut st, &["EXISTS", "gone"]), int(0));
        for bad in ["abc", "nan", " 1", "1 ", ""] {
            assert_eq!(
                run(&mut st, &["HINCRBYFLOAT", "h", "f", bad]),
                err("ERR value is not a valid float"),
                "{bad:?}"
            );
        }
        for inf in ["inf", "-inf", "+inf", "Infinity"] {
            assert_eq!(
                run(&mut st, &["HINCRBYFLOAT", "h", "f", inf]),
                err("ERR value is NaN or Infinity"),
                "{inf}"
            );
        }
        // f64 overflows here; Redis's long double would not (README
        // lists the deviation), but the error text is the one Redis has.
        assert_eq!(
            run(&mut st, &["HSET", "h", "big", "1.7e308", "s", "x"]),
            int(2)
        );
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "big", "1.7e308"]),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(run(&mut st, &["HGET", "h", "big"]), bulk("1.7e308"));
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "h", "s", "1"]),
            err("ERR hash value is not a float")
        );
        assert_eq!(run(&mut st, &["SET", "str", "1"]), ok());
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "str", "f", "x"]),
            err("ERR value is not a valid float"),
            "the increment is checked before the type"
        );
        assert_eq!(
            run(&mut st, &["HINCRBYFLOAT", "str", "f", "1"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn wrong_type_both_ways() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["SET", "s", "v"]), ok());
        for cmd in [
            &["HSET", "s", "a", "1"][..],
            &["HMSET", "s", "a", "1"],
            &["HSETNX", "s", "a", "1"],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HDEL", "s", "a"],
            &["HLEN", "s"],
            &["HEXISTS", "s", "a"],
            &["HSTRLEN", "s", "a"],
            &["HGETALL", "s"],
            &["HKEYS", "s"],
            &["HVALS", "s"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HSCAN", "s", "0"],
            &["HRANDFIELD", "s"],
            &["HRANDFIELD", "s", "0"],
            &["HRANDFIELD", "s", "-5", "WITHVALUES"],
        ] {
            assert_eq!(run(&mut st, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        assert_eq!(run(&mut st, &["GET", "s"]), bulk("v"));
        assert_eq!(run(&mut st, &["HSET", "h", "a", "1"]), int(1));
        for cmd in [
            &["GET", "h"][..],
            &["APPEND", "h", "x"],
            &["INCR", "h"],
            &["STRLEN", "h"],
            &["GETDEL", "h"],
        ] {
            assert_eq!(run(&mut st, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        // SET replaces a hash whatever its type, and its fields go.
        assert_eq!(run(&mut st, &["SET", "h", "v"]), ok());
        assert_eq!(run(&mut st, &["GET", "h"]), bulk("v"));
        assert_eq!(st.element_count(), 0);
    }

    #[test]
    fn an_expired_hash_is_absent_and_a_write_starts_a_new_one() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HSET", "h", "a", "1", "b", "2"]), int(2));
        assert_eq!(run(&mut st, &["PEXPIRE", "h", "100"]), int(1));
        assert_eq!(run_at(&mut st, NOW + 99, &["HGET", "h", "a"]), bulk("1"));
        let later = NOW + 100;
        assert_eq!(run_at(&mut st, later, &["HGET", "h", "a"]), Reply::Nil);
        assert_eq!(run_at(&mut st, later, &["HLEN", "h"]), int(0));
        assert_eq!(run_at(&mut st, later, &["HEXISTS", "h", "a"]), int(0));
        assert_eq!(
            run_at(&mut st, later, &["HGETALL", "h"]),
            Reply::Map(vec![])
        );
        assert_eq!(
            run_at(&mut st, later, &["HSCAN", "h", "0"]),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
        assert_eq!(run_at(&mut st, later, &["HRANDFIELD", "h"]), Reply::Nil);
        assert_eq!(run_at(&mut st, later, &["HDEL", "h", "a"]), int(0));
        assert_eq!(run_at(&mut st, later, &["HSETNX", "h", "b", "9"]), int(1));
        assert_eq!(
            map(run_at(&mut st, later, &["HGETALL", "h"])),
            BTreeMap::from([(s("b"), s("9"))]),
            "no field of the expired hash survives"
        );
        assert_eq!(run_at(&mut st, later, &["TTL", "h"]), int(-1));
        assert_eq!(st.element_count(), 1, "the old fields were reclaimed");
        // An increment on an expired hash starts from 0.
        assert_eq!(run_at(&mut st, later, &["PEXPIRE", "h", "10"]), int(1));
        assert_eq!(
            run_at(&mut st, later + 10, &["HINCRBY", "h", "b", "1"]),
            int(1)
        );
    }

    #[test]
    fn whole_hash_reads() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HGETALL", "h"]), Reply::Map(vec![]));
        assert_eq!(run(&mut st, &["HKEYS", "h"]), Reply::Array(vec![]));
        assert_eq!(run(&mut st, &["HVALS", "h"]), Reply::Array(vec![]));
        assert_eq!(
            run(&mut st, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
            int(3)
        );
        assert_eq!(
            map(run(&mut st, &["HGETALL", "h"])),
            BTreeMap::from([(s("a"), s("1")), (s("b"), s("2")), (s("c"), s("3"))])
        );
        assert_eq!(sorted(run(&mut st, &["HKEYS", "h"])), ["a", "b", "c"]);
        assert_eq!(sorted(run(&mut st, &["HVALS", "h"])), ["1", "2", "3"]);
        // HKEYS and HVALS walk in the same order.
        let keys = texts(run(&mut st, &["HKEYS", "h"]));
        let vals = texts(run(&mut st, &["HVALS", "h"]));
        let paired: Vec<String> = keys
            .iter()
            .zip(&vals)
            .map(|(k, v)| format!("{k}{v}"))
            .collect();
        assert_eq!(
            paired.iter().collect::<BTreeSet<_>>(),
            ["a1", "b2", "c3"]
                .iter()
                .map(|x| s(x))
                .collect::<Vec<_>>()
                .iter()
                .collect()
        );
        let mut big = filled(1000);
        let m = map(run(&mut big, &["HGETALL", "h"]));
        assert_eq!(m.len(), 1000);
        assert_eq!(m.get("f999").map(String::as_str), Some("v999"));
        assert_eq!(texts(run(&mut big, &["HKEYS", "h"])).len(), 1000);
    }

    #[test]
    fn object_encoding_follows_redis_7_0_and_is_sticky() {
        let mut st = MemStore::new();
        let long = "x".repeat(65);
        let edge = "x".repeat(64);
        assert_eq!(run(&mut st, &["HSET", "h", &edge, &edge]), int(1));
        assert_eq!(enc(&mut st, "h"), bulk("listpack"));
        assert_eq!(run(&mut st, &["HSET", "h", "v", &long]), int(1));
        assert_eq!(enc(&mut st, "h"), bulk("hashtable"));
        assert_eq!(run(&mut st, &["HDEL", "h", "v"]), int(1));
        assert_eq!(enc(&mut st, "h"), bulk("hashtable"), "sticky");
        // A long field name by HINCRBY converts too (hashTypeSet's check).
        assert_eq!(run(&mut st, &["HINCRBY", "i", &long, "1"]), int(1));
        assert_eq!(enc(&mut st, "i"), bulk("hashtable"));
        // HSETNX on an existing field writes nothing, so converts nothing.
        assert_eq!(run(&mut st, &["HSET", "n", "a", "1"]), int(1));
        assert_eq!(run(&mut st, &["HSETNX", "n", "a", &long]), int(0));
        assert_eq!(enc(&mut st, "n"), bulk("listpack"));
        assert_eq!(run(&mut st, &["HSETNX", "n", "b", &long]), int(1));
        assert_eq!(enc(&mut st, "n"), bulk("hashtable"));
        // A long HINCRBYFLOAT result.
        let Reply::Bulk(b) = run(&mut st, &["HINCRBYFLOAT", "f", "a", "1e100"]) else {
            panic!("bulk");
        };
        assert!(b.len() > 64);
        assert_eq!(enc(&mut st, "f"), bulk("hashtable"));
        // 512 fields are a listpack, the 513th makes a hashtable.
        let mut st = filled(512);
        assert_eq!(enc(&mut st, "h"), bulk("listpack"));
        assert_eq!(run(&mut st, &["HSET", "h", "f0", "again"]), int(0));
        assert_eq!(enc(&mut st, "h"), bulk("listpack"));
        assert_eq!(run(&mut st, &["HSET", "h", "one-more", "1"]), int(1));
        assert_eq!(enc(&mut st, "h"), bulk("hashtable"));
        assert_eq!(run(&mut st, &["HDEL", "h", "one-more", "f1"]), int(2));
        assert_eq!(enc(&mut st, "h"), bulk("hashtable"));
        // Deleted and recreated: a new hash starts compact again.
        assert_eq!(run(&mut st, &["DEL", "h"]), int(1));
        assert_eq!(run(&mut st, &["HSET", "h", "a", "1"]), int(1));
        assert_eq!(enc(&mut st, "h"), bulk("listpack"));
    }

    /// One HSCAN call: (next cursor, fields and values).
    fn scan_call(st: &mut MemStore, args: &[&str]) -> (String, Vec<String>) {
        match run(st, args) {
            Reply::Array(v) => match v.as_slice() {
                [c, Reply::Array(items)] => (text(c), items.iter().map(text).collect()),
                other => panic!("bad scan reply {other:?}"),
            },
            other => panic!("bad scan reply {other:?}"),
        }
    }

    /// A whole HSCAN from cursor 0: (calls, fields seen in order).
    fn scan_all(st: &mut MemStore, extra: &[&str]) -> (usize, Vec<(String, String)>) {
        let mut cursor = s("0");
        let mut seen = Vec::new();
        for calls in 1..10_000 {
            let mut cmd = vec!["HSCAN", "h", cursor.as_str()];
            cmd.extend_from_slice(extra);
            let (next, items) = scan_call(st, &cmd);
            for pair in items.chunks(2) {
                if let [f, v] = pair {
                    seen.push((f.clone(), v.clone()));
                }
            }
            if next == "0" {
                return (calls, seen);
            }
            cursor = next;
        }
        panic!("scan did not end");
    }

    #[test]
    fn hscan_small_hash_is_one_call_like_a_listpack() {
        let mut st = MemStore::new();
        assert_eq!(
            run(&mut st, &["HSCAN", "h", "0"]),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
        // A missing key answers before the options are parsed (Redis).
        assert_eq!(
            run(&mut st, &["HSCAN", "h", "0", "COUNT", "x", "BOGUS"]),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
        assert_eq!(
            run(&mut st, &["HSCAN", "h", "x"]),
            err("ERR invalid cursor"),
            "the cursor is checked first"
        );
        let mut st = filled(100);
        let (calls, seen) = scan_all(&mut st, &["COUNT", "5"]);
        assert_eq!((calls, seen.len()), (1, 100));
        let (_, seen) = scan_all(&mut st, &["MATCH", "f1*"]);
        let fields: BTreeSet<String> = seen.iter().map(|(f, _)| f.clone()).collect();
        let want: BTreeSet<String> = std::iter::once(s("f1"))
            .chain((10..20).map(|i| format!("f{i}")))
            .collect();
        assert_eq!(fields, want);
        assert!(
            seen.iter().all(|(f, v)| f[1..] == v[1..]),
            "values follow fields"
        );
        for (bad, e) in [
            (&["COUNT", "0"][..], "ERR syntax error"),
            (&["COUNT", "-1"], "ERR syntax error"),
            (
                &["COUNT", "x"],
                "ERR value is not an integer or out of range",
            ),
            (&["COUNT"], "ERR syntax error"),
            (&["MATCH"], "ERR syntax error"),
            (&["TYPE", "hash"], "ERR syntax error"),
            (&["NOVALUES"], "ERR syntax error"),
        ] {
            let mut cmd = vec!["HSCAN", "h", "0"];
            cmd.extend_from_slice(bad);
            assert_eq!(run(&mut st, &cmd), err(e), "{bad:?}");
        }
        for c in [" 1", "1x", "18446744073709551616", "0x1", "-"] {
            assert_eq!(
                run(&mut st, &["HSCAN", "h", c]),
                err("ERR invalid cursor"),
                "{c}"
            );
        }
        // strtoul: empty is 0, `-1` wraps to 2^64 - 1.
        for c in ["", "+0", "-1", "18446744073709551615"] {
            assert_eq!(scan_call(&mut st, &["HSCAN", "h", c]).0, "0", "{c:?}");
        }
    }

    #[test]
    fn hscan_big_hash_visits_every_field_once_statelessly() {
        let mut st = filled(1000);
        assert_eq!(enc(&mut st, "h"), bulk("hashtable"));
        let (calls, seen) = scan_all(&mut st, &[]);
        assert_eq!(seen.len(), 1000);
        assert_eq!(
            seen.iter().collect::<BTreeSet<_>>().len(),
            1000,
            "none twice"
        );
        assert!(
            (95..=105).contains(&calls),
            "about COUNT 10 per call: {calls}"
        );
        let (calls, seen) = scan_all(&mut st, &["COUNT", "100"]);
        assert_eq!((calls, seen.len()), (10, 1000));
        let (calls, seen) = scan_all(&mut st, &["COUNT", "9223372036854775807"]);
        assert_eq!((calls, seen.len()), (1, 1000));
        // MATCH filters after COUNT examined: fewer per call, same calls.
        let (calls, seen) = scan_all(&mut st, &["MATCH", "f99*", "COUNT", "100"]);
        assert_eq!(calls, 10);
        assert_eq!(seen.len(), 11);
        // Fields present for the whole scan are returned even when others
        // come and go between calls; nothing is returned twice.
        let mut cursor = s("0");
        let mut seen = BTreeSet::new();
        for round in 0..10_000 {
            let (next, items) = scan_call(&mut st, &["HSCAN", "h", &cursor, "COUNT", "20"]);
            for f in items.chunks(2).filter_map(|p| p.first()) {
                assert!(seen.insert(f.clone()), "{f} twice");
            }
            let extra = format!("new{round}");
            assert_eq!(run(&mut st, &["HSET", "h", &extra, "x"]), int(1));
            let gone = format!("f{}", 999 - round);
            if round < 500 {
                assert_eq!(run(&mut st, &["HDEL", "h", &gone]), int(1));
            }
            if next == "0" {
                break;
            }
            cursor = next;
        }
        for i in 0..500 {
            assert!(seen.contains(&format!("f{i}")), "f{i} was there throughout");
        }
    }

    #[test]
    fn hrandfield_arguments_and_shapes() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HRANDFIELD", "h"]), Reply::Nil);
        assert_eq!(
            run(&mut st, &["HRANDFIELD", "h", "5"]),
            Reply::Array(vec![])
        );
        assert_eq!(
            run(&mut st, &["HRANDFIELD", "h", "-5", "WITHVALUES"]),
            Reply::Array(vec![])
        );
        let range = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
        for (cmd, e) in [
            (
                &["HRANDFIELD", "h", "x"][..],
                "ERR value is not an integer or out of range",
            ),
            (&["HRANDFIELD", "h", "1", "WITHSCORES"], "ERR syntax error"),
            (
                &["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
                "ERR syntax error",
            ),
            (&["HRANDFIELD", "h", "-9223372036854775808"], range),
            (&["HRANDFIELD", "h", "-9223372036854775808", "BAD"], range),
            (
                &["HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"],
                "ERR value is out of range",
            ),
            (
                &["HRANDFIELD", "h", "4611686018427387904", "withvalues"],
                "ERR value is out of range",
            ),
        ] {
            assert_eq!(run(&mut st, cmd), err(e), "{cmd:?}");
        }
        assert_eq!(
            run(
                &mut st,
                &["HRANDFIELD", "h", "4611686018427387903", "withvalues"]
            ),
            Reply::Array(vec![])
        );
        assert_eq!(
            run(&mut st, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
            int(3)
        );
        assert_eq!(
            run(&mut st, &["HRANDFIELD", "h", "0"]),
            Reply::Array(vec![])
        );
        assert_eq!(
            run(&mut st, &["HRANDFIELD", "h", "0", "WITHVALUES"]),
            Reply::Array(vec![])
        );
        assert_eq!(
            sorted(run(&mut st, &["HRANDFIELD", "h", "3"])),
            ["a", "b", "c"]
        );
        assert_eq!(
            sorted(run(&mut st, &["HRANDFIELD", "h", "100"])),
            ["a", "b", "c"]
        );
        let Reply::Pairs(pairs) = run(&mut st, &["HRANDFIELD", "h", "100", "WITHVALUES"]) else {
            panic!("pairs");
        };
        let got: BTreeMap<String, String> = pairs.iter().map(|(f, v)| (text(f), text(v))).collect();
        assert_eq!(
            got,
            BTreeMap::from([(s("a"), s("1")), (s("b"), s("2")), (s("c"), s("3"))])
        );
        let Reply::Pairs(pairs) = run(&mut st, &["HRANDFIELD", "h", "-20", "withvalues"]) else {
            panic!("pairs");
        };
        assert_eq!(pairs.len(), 20);
        for (f, v) in &pairs {
            assert_eq!(
                text(f)
                    .replace('a', "1")
                    .replace('b', "2")
                    .replace('c', "3"),
                text(v)
            );
        }
        assert_eq!(
            texts(run(&mut st, &["HRANDFIELD", "h", "-1001"])).len(),
            1001
        );
        let two = texts(run(&mut st, &["HRANDFIELD", "h", "2"]));
        assert_eq!(two.len(), 2);
        assert_ne!(two.first(), two.get(1), "distinct");
        // A repeated count beyond what a reply may hold.
        assert_eq!(
            run(&mut st, &["HRANDFIELD", "h", "-1000001"]),
            err("ERR value is out of range")
        );
        assert_eq!(
            texts(run(&mut st, &["HRANDFIELD", "h", "-1000000"])).len(),
            1_000_000
        );
    }

    /// Picks over many read seeds: every field shows up, evenly below 512.
    #[test]
    fn hrandfield_is_uniform_on_small_hashes() {
        let st = filled(10);
        let mut hist: BTreeMap<String, u32> = BTreeMap::new();
        for seed in 0..10_000u64 {
            *hist
                .entry(text(&read_rand(&st, seed, &["HRANDFIELD", "h"])))
                .or_default() += 1;
        }
        assert_eq!(hist.len(), 10);
        // Chi-square with 9 degrees of freedom; 40 is Redis's own bound.
        let chi: f64 = hist
            .values()
            .map(|&n| (f64::from(n) - 1000.0).powi(2) / 1000.0)
            .sum();
        assert!(chi < 40.0, "{hist:?}");
        let picks = texts(read_rand(&st, 1, &["HRANDFIELD", "h", "-1000"]));
        let mut hist: BTreeMap<&str, u32> = BTreeMap::new();
        for p in &picks {
            *hist.entry(p).or_default() += 1;
        }
        let chi: f64 = hist
            .values()
            .map(|&n| (f64::from(n) - 100.0).powi(2) / 100.0)
            .sum();
        assert!(hist.len() == 10 && chi < 40.0, "{hist:?}");
        // Distinct samples: each field in about half of 5-of-10 samples.
        let mut hist: BTreeMap<String, u32> = BTreeMap::new();
        for seed in 0..2000u64 {
            let got = texts(read_rand(&st, seed, &["HRANDFIELD", "h", "5"]));
            assert_eq!(got.iter().collect::<BTreeSet<_>>().len(), 5);
            for f in got {
                *hist.entry(f).or_default() += 1;
            }
        }
        assert!(
            hist.values().all(|&n| (850..=1150).contains(&n)),
            "{hist:?}"
        );
    }

    #[test]
    fn hrandfield_on_big_hashes_seeks_and_stays_distinct() {
        let st = filled(2000);
        let all: BTreeSet<String> = (0..2000).map(|i| format!("f{i}")).collect();
        let mut hist: BTreeSet<String> = BTreeSet::new();
        for seed in 0..20_000u64 {
            let f = text(&read_rand(&st, seed, &["HRANDFIELD", "h"]));
            assert!(all.contains(&f));
            hist.insert(f);
        }
        assert!(
            hist.len() > 1800,
            "most fields are reachable: {}",
            hist.len()
        );
        // Fewer than a third: seeks with skips; more: full read and drop.
        for count in ["100", "600", "700", "1999", "2000", "5000"] {
            for seed in 0..5u64 {
                let got = texts(read_rand(&st, seed, &["HRANDFIELD", "h", count]));
                let n: usize = count.parse().unwrap_or(0);
                assert_eq!(got.len(), n.min(2000), "{count}");
                let set: BTreeSet<String> = got.into_iter().collect();
                assert_eq!(set.len(), n.min(2000), "{count}: distinct");
                assert!(set.is_subset(&all));
            }
        }
        let Reply::Pairs(pairs) = read_rand(&st, 3, &["HRANDFIELD", "h", "-300", "WITHVALUES"])
        else {
            panic!("pairs");
        };
        assert_eq!(pairs.len(), 300);
        for (f, v) in pairs {
            assert_eq!(text(&f)[1..], text(&v)[1..]);
        }
        // The same seed picks the same fields (it is the read's entropy).
        assert_eq!(
            read_rand(&st, 42, &["HRANDFIELD", "h", "50"]),
            read_rand(&st, 42, &["HRANDFIELD", "h", "50"])
        );
    }

    #[test]
    fn generic_key_commands_on_hashes() {
        let mut st = MemStore::new();
        assert_eq!(run(&mut st, &["HSET", "h", "a", "1", "b", "2"]), int(2));
        assert_eq!(run(&mut st, &["SET", "s", "v"]), ok());
        assert_eq!(run(&mut st, &["TYPE", "h"]), Reply::Simple(s("hash")));
        assert_eq!(run(&mut st, &["EXISTS", "h", "s", "x"]), int(2));
        assert_eq!(run(&mut st, &["OBJECT", "ENCODING", "h"]), bulk("listpack"));
        // EXPIRE / TTL / PERSIST keep the fields.
        assert_eq!(run(&mut st, &["EXPIRE", "h", "50"]), int(1));
        assert_eq!(run(&mut st, &["TTL", "h"]), int(50));
        assert_eq!(run(&mut st, &["HSET", "h", "c", "3"]), int(1));
        assert_eq!(run(&mut st, &["TTL", "h"]), int(50), "HSET keeps the TTL");
        assert_eq!(run(&mut st, &["PERSIST", "h"]), int(1));
        assert_eq!(run(&mut st, &["TTL", "h"]), int(-1));
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(3));
        // SCAN TYPE hash.
        let scan = run(&mut st, &["SCAN", "0", "TYPE", "hash", "COUNT", "1000"]);
        let Reply::Array(parts) = scan else {
            panic!("scan");
        };
        assert_eq!(parts.get(1), Some(&Reply::Array(vec![bulk("h")])));
        let scan = run(&mut st, &["SCAN", "0", "TYPE", "HASH", "COUNT", "1000"]);
        let Reply::Array(parts) = scan else {
            panic!("scan");
        };
        assert_eq!(parts.get(1), Some(&Reply::Array(vec![bulk("h")])));
        // COPY: an independent copy.
        assert_eq!(run(&mut st, &["COPY", "h", "c"]), int(1));
        assert_eq!(run(&mut st, &["COPY", "h", "c"]), int(0));
        assert_eq!(
            run(&mut st, &["HSET", "c", "a", "changed", "z", "26"]),
            int(1)
        );
        assert_eq!(run(&mut st, &["HGET", "h", "a"]), bulk("1"));
        assert_eq!(run(&mut st, &["HLEN", "h"]), int(3));
        assert_eq!(run(&mut st, &["HLEN", "c"]), int(4));
        assert_eq!(run(&mut st, &["TYPE", "c"]), Reply::Simple(s("hash")));
        assert_eq!(st.element_count(), 7);
        // COPY REPLACE over a string, and over a hash.
        assert_eq!(run(&mut st, &["COPY", "h", "s", "REPLACE"]), int(1));
        assert_eq!(run(&mut st, &["HGET", "s", "b"]), bulk("2"));
        assert_eq!(run(&mut st, &["COPY", "h", "c", "REPLACE"]), int(1));
        assert_eq!(run(&mut st, &["HGET", "c", "z"]), Reply::Nil);
        assert_eq!(st.element_count(), 9, "c's old fields went");
        // RENAME moves the fields; over an existing hash drops its fields.
        assert_eq!(run(&mut st, &["RENAME", "h", "r"]), ok());
        assert_eq!(run(&mut st, &["EXISTS", "h"]), int(0));
        assert_eq!(
            map(run(&mut st, &["HGETALL", "r"])),
            BTreeMap::from([(s("a"), s("1")), (s("b"), s("2")), (s("c"), s("3"))])
        );
        assert_eq!(run(&mut st, &["RENAME", "r", "c"]), ok());
        assert_eq!(run(&mut st, &["HLEN", "c"]), int(3));
        assert_eq!(st.element_count(), 6, "s and c hold 3 fields each");
        assert_eq!(run(&mut st, &["RENAMENX", "c", "s"]), int(0));
        // A big hash keeps its encoding through RENAME and COPY.
        let mut big = filled(600);
        assert_eq!(run(&mut big, &["RENAME", "h", "{x}h"]), ok());
        assert_eq!(enc(&mut big, "{x}h"), bulk("hashtable"));
        assert_eq!(run(&mut big, &["COPY", "{x}h", "{x}c"]), int(1));
        assert_eq!(enc(&mut big, "{x}c"), bulk("hashtable"));
        assert_eq!(run(&mut big, &["HLEN", "{x}c"]), int(600));
        assert_eq!(big.element_count(), 1200);
        // DEL and UNLINK drop the fields at once (MemStore reclaims them).
        assert_eq!(run(&mut st, &["DEL", "c", "s"]), int(2));
        assert_eq!(st.element_count(), 0);
        assert_eq!(run(&mut big, &["UNLINK", "{x}c"]), int(1));
        assert_eq!(big.element_count(), 600);
        // An expiry in the past deletes the hash.
        assert_eq!(run(&mut big, &["EXPIREAT", "{x}h", "1"]), int(1));
        assert_eq!(run(&mut big, &["EXISTS", "{x}h"]), int(0));
        assert_eq!(big.element_count(), 0);
    }

    #[test]
    fn size_estimates_follow_what_each_read_touches() {
        use super::{size_all, size_hrandfield, size_hscan};
        let est = |st: &MemStore, f: crate::table::SizeFn, args: &[&str]| {
            f(&argv(args), &ctx(), st).unwrap_or(u64::MAX)
        };
        let mut st = filled(100);
        assert_eq!(run(&mut st, &["SET", "s", "v"]), ok());
        assert_eq!(est(&st, size_all, &["HGETALL", "h"]), 100);
        assert_eq!(est(&st, size_all, &["HKEYS", "nope"]), 0);
        assert_eq!(
            est(&st, size_all, &["HVALS", "s"]),
            0,
            "WRONGTYPE costs nothing"
        );
        // A listpack-sized hash scans whole whatever COUNT says.
        assert_eq!(
            est(&st, size_hscan, &["HSCAN", "h", "0", "COUNT", "5"]),
            100
        );
        assert_eq!(est(&st, size_hrandfield, &["HRANDFIELD", "h"]), 100);
        assert_eq!(
            est(&st, size_hrandfield, &["HRANDFIELD", "h", "-1000"]),
            1100
        );
        assert_eq!(est(&st, size_hrandfield, &["HRANDFIELD", "h", "3"]), 100);
        let big = filled(3000);
        assert_eq!(est(&big, size_all, &["HGETALL", "h"]), 3000);
        assert_eq!(est(&big, size_hscan, &["HSCAN", "h", "0"]), 10);
        assert_eq!(
            est(
                &big,
                size_hscan,
                &["HSCAN", "h", "0", "MATCH", "x", "COUNT", "500"]
            ),
            500
        );
        assert_eq!(
            est(&big, size_hscan, &["HSCAN", "h", "0", "COUNT", "99999"]),
            3000
        );
        assert_eq!(est(&big, size_hrandfield, &["HRANDFIELD", "h"]), 1);
        assert_eq!(est(&big, size_hrandfield, &["HRANDFIELD", "h", "50"]), 50);
        assert_eq!(
            est(&big, size_hrandfield, &["HRANDFIELD", "h", "1001"]),
            3000
        );
        assert_eq!(est(&big, size_hrandfield, &["HRANDFIELD", "h", "-70"]), 70);
        assert_eq!(
            est(
                &big,
                size_hrandfield,
                &["HRANDFIELD", "h", "-9223372036854775807"]
            ),
            1_000_000
        );
    }

    /// A store whose reads of field `bad` and element ranges fail, and
    /// with `meta` its meta reads too: a hash command answers the storage
    /// error, never a partial or empty answer, and a write changes nothing.
    fn faults(inner: MemStore, meta: bool) -> Faulty {
        Faulty {
            all_meta: meta,
            bad_member: Some(b"bad"),
            ranges: RangeFault::AfterAll,
            ..Faulty::new(inner)
        }
    }

    #[test]
    fn a_failed_read_is_an_error_and_a_write_changes_nothing() {
        let want = Reply::Error(s("ERR storage read error: injected"));
        let base = filled(600);
        let reads = [
            &["HGET", "h", "bad"][..],
            &["HMGET", "h", "f1", "bad"],
            &["HEXISTS", "h", "bad"],
            &["HSTRLEN", "h", "bad"],
            &["HGETALL", "h"],
            &["HKEYS", "h"],
            &["HVALS", "h"],
            &["HSCAN", "h", "0"],
            &["HRANDFIELD", "h"],
            &["HRANDFIELD", "h", "5"],
            &["HRANDFIELD", "h", "-5"],
            &["HRANDFIELD", "h", "500", "WITHVALUES"],
        ];
        let writes = [
            // A good field before the bad one: nothing may be written
            // before every read is done.
            &["HSET", "h", "f1", "x", "new", "y", "bad", "z"][..],
            &["HMSET", "h", "f1", "x", "bad", "y"],
            &["HSETNX", "h", "bad", "y"],
            &["HDEL", "h", "f1", "f2", "bad"],
            &["HINCRBY", "h", "bad", "1"],
            &["HINCRBYFLOAT", "h", "bad", "1"],
        ];
        for meta in [false, true] {
            let st = faults(base.clone(), meta);
            for cmd in reads {
                assert_eq!(read(&argv(cmd), &ctx(), &st), want, "{cmd:?} {meta}");
            }
            let hlen = read(&argv(&["HLEN", "h"]), &ctx(), &st);
            assert_eq!(hlen, if meta { want.clone() } else { int(600) });
            let snapshot = |s: &MemStore| (format!("{:?}", s), s.element_count());
            for cmd in writes {
                let mut st = faults(base.clone(), meta);
                let before = snapshot(&st.inner);
                assert_eq!(apply_write(&argv(cmd), &ctx(), &mut st), want, "{cmd:?}");
                // Not assert_eq: a failure would print 600 elements twice.
                assert!(snapshot(&st.inner) == before, "{cmd:?} wrote something");
            }
        }
    }
}
