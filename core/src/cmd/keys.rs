//! The generic-key family: DEL/UNLINK, EXISTS/TOUCH/TYPE, the EXPIRE family
//! and TTL readers, PERSIST, RENAME/RENAMENX, COPY, FLUSHALL/FLUSHDB, KEYS,
//! SCAN (slot-numbered cursor), RANDOMKEY, DBSIZE, OBJECT, and the internal
//! COREKV.EXPIREIF used by active expiry and COREKV.COUNTKEYSINSLOT /
//! GETKEYSINSLOT behind CLUSTER's slot queries. Ports of db.c / expire.c /
//! object.c behaviour for one logical database.

use super::num::{parse_i32, parse_i64};
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, expire_i64, glob_match, int_arg, is_opt, live, live_w};
use crate::Reply;
use crate::errors;
use crate::notify::{EXPIRED, GENERIC};
use crate::slot::SLOTS;
use crate::store::{Record, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;

/// SCAN stops at the first slot boundary after this many examined keys even
/// if COUNT asks for more (a single slot is always finished).
const SCAN_MAX_EXAMINED: u64 = 100_000;
/// RANDOMKEY picks among at most this many live keys of the chosen slot.
const RANDOMKEY_SAMPLE: usize = 64;
/// Redis shares integer objects below this value (OBJ_SHARED_INTEGERS).
const SHARED_INTEGERS: i64 = 10_000;
/// Longest value Redis stores as an embedded string.
const EMBSTR_MAX_BYTES: usize = 44;

// ---- prechecks: the errors that do not depend on stored data ----

pub(crate) fn precheck_copy(argv: &[Bytes]) -> Result<(), Reply> {
    parse_copy(argv).map(drop)
}

pub(crate) fn precheck_expire(argv: &[Bytes]) -> Result<(), Reply> {
    parse_expire(&EXPIRE, argv).map(drop)
}

pub(crate) fn precheck_pexpire(argv: &[Bytes]) -> Result<(), Reply> {
    parse_expire(&PEXPIRE, argv).map(drop)
}

pub(crate) fn precheck_expireat(argv: &[Bytes]) -> Result<(), Reply> {
    parse_expire(&EXPIREAT, argv).map(drop)
}

pub(crate) fn precheck_pexpireat(argv: &[Bytes]) -> Result<(), Reply> {
    parse_expire(&PEXPIREAT, argv).map(drop)
}

/// FLUSHALL's and FLUSHDB's `[ASYNC|SYNC]`.
pub(crate) fn precheck_flush(argv: &[Bytes]) -> Result<(), Reply> {
    parse_flush(argv)
}

// ---- writes ----

fn delete_keys(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let mut n = 0;
    for k in argv.get(1..).unwrap_or(&[]) {
        if let Some(r) = store.get(k)? {
            store.delete(k)?;
            if !r.is_expired(ctx.now_ms) {
                n += 1;
                store.notify(GENERIC, "del", k);
            }
        }
    }
    Ok(Reply::Integer(n))
}

pub(crate) fn del(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    delete_keys(argv, ctx, store)
}

/// UNLINK frees memory lazily in Redis; here it is DEL.
pub(crate) fn unlink(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    delete_keys(argv, ctx, store)
}

pub(crate) fn rename(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    rename_to(false, argv, ctx.now_ms, store)
}

pub(crate) fn renamenx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    rename_to(true, argv, ctx.now_ms, store)
}

pub(crate) fn expire(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expire(&EXPIRE, argv, ctx.now_ms, store)
}

pub(crate) fn pexpire(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expire(&PEXPIRE, argv, ctx.now_ms, store)
}

pub(crate) fn expireat(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expire(&EXPIREAT, argv, ctx.now_ms, store)
}

pub(crate) fn pexpireat(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expire(&PEXPIREAT, argv, ctx.now_ms, store)
}

pub(crate) fn persist(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (key, now) = (arg(argv, 1), ctx.now_ms);
    match live_w(store, key, now)? {
        Some(mut r) if r.expire_at_ms.is_some() => {
            r.expire_at_ms = None;
            r.mtime_ms = now;
            store.put(key, r)?;
            store.notify(GENERIC, "persist", key);
            Ok(Reply::Integer(1))
        }
        _ => Ok(Reply::Integer(0)),
    }
}

/// Clears the group's slots: a flush is one entry per group.
fn flush(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    parse_flush(argv)?;
    store.clear(ctx.slots.start, ctx.slots.end);
    Ok(Reply::ok())
}

pub(crate) fn flushall(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    flush(argv, ctx, store)
}

pub(crate) fn flushdb(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    flush(argv, ctx, store)
}

/// COREKV.EXPIREIF: active expiry's delete, a no-op unless the key is
/// still expired at apply time (it may have been rewritten meanwhile).
pub(crate) fn expireif(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    match store.get(key)? {
        Some(r) if r.is_expired(ctx.now_ms) => {
            store.delete(key)?;
            store.notify(EXPIRED, "expired", key);
            Ok(Reply::Integer(1))
        }
        _ => Ok(Reply::Integer(0)),
    }
}

fn parse_flush(argv: &[Bytes]) -> Result<(), Reply> {
    match argv.len() {
        1 => Ok(()),
        2 if is_opt(arg(argv, 1), "sync") || is_opt(arg(argv, 1), "async") => Ok(()),
        _ => Err(errors::err(errors::SYNTAX)),
    }
}

fn rename_to(nx: bool, argv: &[Bytes], now: u64, store: &mut dyn Store) -> R {
    let (src, dst) = (arg(argv, 1), arg(argv, 2));
    let Some(mut rec) = live_w(store, src, now)? else {
        return Err(errors::err(errors::NO_SUCH_KEY));
    };
    let done = if nx { Reply::Integer(1) } else { Reply::ok() };
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::ok() });
    }
    let replaced = live_w(store, dst, now)?.is_some();
    if replaced && nx {
        return Ok(Reply::Integer(0));
    }
    // A collection (or paged string) moves to a fresh id under the
    // destination's slot: the source's delete below makes its old id
    // garbage (O(n), 0019).
    if rec.has_elements() {
        rec = super::coll::duplicate(store, src, &rec, dst)?;
    }
    rec.mtime_ms = now;
    if replaced {
        // Redis deletes the destination and adds it anew (`new` event).
        store.delete(dst)?;
    }
    store.put(dst, rec)?;
    store.delete(src)?;
    store.notify(GENERIC, "rename_from", src);
    store.notify(GENERIC, "rename_to", dst);
    Ok(done)
}

/// COPY options: returns REPLACE. Only DB 0 exists.
fn parse_copy(argv: &[Bytes]) -> Result<bool, Reply> {
    let mut replace = false;
    let mut j = 3;
    while j < argv.len() {
        let opt = arg(argv, j);
        if is_opt(opt, "replace") {
            replace = true;
        } else if is_opt(opt, "db") && j + 1 < argv.len() {
            let db = parse_i32(arg(argv, j + 1)).ok_or_else(|| errors::err(errors::NOT_INTEGER))?;
            if db != 0 {
                return Err(errors::err(errors::DB_INDEX));
            }
            j += 1;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    if arg(argv, 1) == arg(argv, 2) {
        return Err(errors::err(errors::SAME_OBJECT));
    }
    Ok(replace)
}

pub(crate) fn copy(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let replace = parse_copy(argv)?;
    let (src, dst) = (arg(argv, 1), arg(argv, 2));
    let Some(mut rec) = live_w(store, src, now)? else {
        return Ok(Reply::Integer(0));
    };
    let replaced = live_w(store, dst, now)?.is_some();
    if replaced && !replace {
        return Ok(Reply::Integer(0));
    }
    if rec.has_elements() {
        rec = super::coll::duplicate(store, src, &rec, dst)?;
    }
    rec.mtime_ms = now;
    if replaced {
        // Redis deletes the destination and adds it anew (`new` event).
        store.delete(dst)?;
    }
    store.put(dst, rec)?;
    store.notify(GENERIC, "copy_to", dst);
    Ok(Reply::Integer(1))
}

/// What tells the EXPIRE family apart.
struct ExpireCmd {
    name: &'static str,
    /// The time is in seconds (EXPIRE, EXPIREAT), else ms.
    seconds: bool,
    /// The time is relative to now (EXPIRE, PEXPIRE), else absolute.
    relative: bool,
}

const EXPIRE: ExpireCmd = ExpireCmd {
    name: "expire",
    seconds: true,
    relative: true,
};
const PEXPIRE: ExpireCmd = ExpireCmd {
    name: "pexpire",
    seconds: false,
    relative: true,
};
const EXPIREAT: ExpireCmd = ExpireCmd {
    name: "expireat",
    seconds: true,
    relative: false,
};
const PEXPIREAT: ExpireCmd = ExpireCmd {
    name: "pexpireat",
    seconds: false,
    relative: false,
};

#[derive(Debug, Default, Clone, Copy)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// `parseExtendedExpireArgumentsOrReply` plus the integer and unit checks;
/// returns the flags and the time in ms, not yet offset by the base time.
fn parse_expire(cmd: &ExpireCmd, argv: &[Bytes]) -> Result<(ExpireFlags, i64), Reply> {
    let mut f = ExpireFlags::default();
    for opt in argv.get(3..).unwrap_or(&[]) {
        if is_opt(opt, "nx") {
            f.nx = true;
        } else if is_opt(opt, "xx") {
            f.xx = true;
        } else if is_opt(opt, "gt") {
            f.gt = true;
        } else if is_opt(opt, "lt") {
            f.lt = true;
        } else {
            return Err(errors::unsupported_option(opt));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(errors::err(errors::NX_XX_GT_LT));
    }
    if f.gt && f.lt {
        return Err(errors::err(errors::GT_LT));
    }
    let when = int_arg(argv, 2)?;
    let when = if cmd.seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(errors::invalid_expire(cmd.name));
        }
        when * 1000
    } else {
        when
    };
    Ok((f, when))
}

fn set_expire(cmd: &ExpireCmd, argv: &[Bytes], now: u64, store: &mut dyn Store) -> R {
    let (f, when) = parse_expire(cmd, argv)?;
    let base = if cmd.relative {
        i64::try_from(now).unwrap_or(i64::MAX)
    } else {
        0
    };
    if when > i64::MAX - base {
        return Err(errors::invalid_expire(cmd.name));
    }
    let when = when + base;
    let key = arg(argv, 1);
    let Some(mut rec) = live_w(store, key, now)? else {
        return Ok(Reply::Integer(0));
    };
    let current = expire_i64(&rec);
    let refused = (f.nx && current.is_some())
        || (f.xx && current.is_none())
        || (f.gt && current.is_none_or(|c| when <= c))
        || (f.lt && current.is_some_and(|c| when >= c));
    if refused {
        return Ok(Reply::Integer(0));
    }
    match u64::try_from(when) {
        Ok(w) if w > now => {
            rec.expire_at_ms = Some(w);
            rec.mtime_ms = now;
            store.put(key, rec)?;
            store.notify(GENERIC, "expire", key);
        }
        _ => {
            store.delete(key)?;
            store.notify(GENERIC, "del", key);
        }
    }
    Ok(Reply::Integer(1))
}

// ---- reads ----

/// One failed read fails the whole count: a smaller count would claim the
/// key is absent.
fn count_live(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let mut n = 0;
    for k in argv.get(1..).unwrap_or(&[]) {
        if live(store, k, ctx.now_ms)?.is_some() {
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

pub(crate) fn exists(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    count_live(argv, ctx, store)
}

/// TOUCH would update the access time; nothing tracks it, so it counts.
pub(crate) fn touch(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    count_live(argv, ctx, store)
}

pub(crate) fn type_of(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let name = live(store, arg(argv, 1), ctx.now_ms)?.map_or("none", |r| r.kind.type_name());
    Ok(Reply::Simple(name.to_string()))
}

pub(crate) fn ttl(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let now = ctx.now_ms;
    Ok(ttl_reply(
        live(store, arg(argv, 1), now)?,
        now,
        false,
        false,
    ))
}

pub(crate) fn pttl(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let now = ctx.now_ms;
    Ok(ttl_reply(live(store, arg(argv, 1), now)?, now, true, false))
}

pub(crate) fn expiretime(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let now = ctx.now_ms;
    Ok(ttl_reply(live(store, arg(argv, 1), now)?, now, false, true))
}

pub(crate) fn pexpiretime(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let now = ctx.now_ms;
    Ok(ttl_reply(live(store, arg(argv, 1), now)?, now, true, true))
}

pub(crate) fn keys(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    keys_matching(arg(argv, 1), ctx, store)
}

pub(crate) fn randomkey(_argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    random_key(ctx, store)
}

pub(crate) fn dbsize(_argv: &[Bytes], _ctx: &Ctx, store: &dyn Store) -> R {
    Ok(Reply::Integer(
        i64::try_from(store.len()).unwrap_or(i64::MAX),
    ))
}

/// The slot named by argv[1]: what COREKV.*KEYSINSLOT read.
fn slot_arg(argv: &[Bytes]) -> Result<u16, Reply> {
    std::str::from_utf8(arg(argv, 1))
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| *s < SLOTS)
        // What CLUSTER answers; io checks the slot before routing, so
        // only a member's malformed request sees this.
        .ok_or_else(|| errors::err("ERR Invalid slot"))
}

/// Visits the live keys of `slot`, at most `max`. A failed scan is an
/// error: the keys visited so far are not the slot's keys (a slot
/// migration that moved only those would leave the rest behind).
fn slot_keys(
    slot: u16,
    max: u64,
    ctx: &Ctx,
    store: &dyn Store,
    mut each: impl FnMut(&[u8]),
) -> Result<(), StoreError> {
    let mut n = 0u64;
    store.scan(slot, slot.saturating_add(1), &mut |_, key, rec| {
        if rec.is_expired(ctx.now_ms) {
            return true;
        }
        if n >= max {
            return false;
        }
        n += 1;
        each(key);
        true
    })
}

/// `COREKV.COUNTKEYSINSLOT <slot>`: live keys of one slot.
pub(crate) fn countkeysinslot(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let slot = slot_arg(argv)?;
    let mut n: i64 = 0;
    slot_keys(slot, u64::MAX, ctx, store, |_| n += 1)?;
    Ok(Reply::Integer(n))
}

/// `COREKV.GETKEYSINSLOT <slot> <count>`: up to `count` live keys of one
/// slot.
pub(crate) fn getkeysinslot(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let slot = slot_arg(argv)?;
    let max = std::str::from_utf8(arg(argv, 2))
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| errors::err(errors::NOT_INTEGER))?;
    let mut keys = Vec::new();
    slot_keys(slot, max, ctx, store, |k| {
        keys.push(Reply::Bulk(Bytes::copy_from_slice(k)));
    })?;
    Ok(Reply::Array(keys))
}

/// `ttlGenericCommand`: -2 missing, -1 no expiry, seconds are rounded.
fn ttl_reply(rec: Option<Record>, now: u64, ms: bool, abs: bool) -> Reply {
    let Some(rec) = rec else {
        return Reply::Integer(-2);
    };
    let Some(at) = expire_i64(&rec) else {
        return Reply::Integer(-1);
    };
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let t = if abs { at } else { at.saturating_sub(now) }.max(0);
    Reply::Integer(if ms { t } else { t.saturating_add(500) / 1000 })
}

fn keys_matching(pattern: &[u8], ctx: &Ctx, store: &dyn Store) -> R {
    let all = pattern == b"*";
    let mut out = Vec::new();
    store.scan(ctx.slots.start, ctx.slots.end, &mut |_, k, rec| {
        if !rec.is_expired(ctx.now_ms) && (all || glob_match(pattern, k, false)) {
            out.push(Reply::Bulk(Bytes::copy_from_slice(k)));
        }
        true
    })?;
    Ok(Reply::Array(out))
}

/// `parseScanCursorOrReply` (strtoul semantics) restricted to slot numbers.
fn parse_cursor(s: &[u8]) -> Option<u16> {
    // A negative cursor wraps to a huge one, which names no slot.
    super::num::parse_scan_cursor(s)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&v| v < SLOTS)
}

pub(crate) fn scan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let cursor = parse_cursor(arg(argv, 1)).ok_or_else(|| errors::err(errors::INVALID_CURSOR))?;
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
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
        } else if is_opt(opt, "type") && has_value {
            type_name = Some(arg(argv, i + 1));
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 2;
    }
    let target = (count as u64).min(SCAN_MAX_EXAMINED);
    let start = cursor.max(ctx.slots.start);
    let end = ctx.slots.end;
    let mut examined: u64 = 0;
    let mut cur_slot: Option<u16> = None;
    let mut stopped_at: Option<u16> = None;
    let mut found = Vec::new();
    if start < end {
        store.scan(start, end, &mut |slot, k, rec| {
            if cur_slot != Some(slot) {
                if examined >= target {
                    stopped_at = Some(slot);
                    return false;
                }
                cur_slot = Some(slot);
            }
            examined += 1;
            let wanted = !rec.is_expired(ctx.now_ms)
                && type_name
                    .is_none_or(|t| t.eq_ignore_ascii_case(rec.kind.type_name().as_bytes()))
                && pattern.is_none_or(|p| glob_match(p, k, false));
            if wanted {
                found.push(Reply::Bulk(Bytes::copy_from_slice(k)));
            }
            true
        })?;
    }
    let next = stopped_at.unwrap_or(end.max(start));
    let next = if next >= SLOTS {
        Bytes::from_static(b"0")
    } else {
        Bytes::from(next.to_string())
    };
    Ok(Reply::Array(vec![Reply::Bulk(next), Reply::Array(found)]))
}

fn random_key(ctx: &Ctx, store: &dyn Store) -> R {
    let (lo, hi) = (ctx.slots.start, ctx.slots.end);
    if lo >= hi {
        return Ok(Reply::Nil);
    }
    let span = u64::from(hi - lo);
    let start = lo + u16::try_from(ctx.rand % span).unwrap_or(0);
    let pick = |from: u16, to: u16| -> Result<Option<Bytes>, StoreError> {
        let mut slot_found: Option<u16> = None;
        let mut sample: Vec<Bytes> = Vec::new();
        store.scan(from, to, &mut |slot, k, rec| {
            if slot_found.is_some_and(|s| s != slot) || sample.len() >= RANDOMKEY_SAMPLE {
                return false;
            }
            if !rec.is_expired(ctx.now_ms) {
                slot_found = Some(slot);
                sample.push(Bytes::copy_from_slice(k));
            }
            true
        })?;
        let n = sample.len() as u64;
        if n == 0 {
            return Ok(None);
        }
        let i = usize::try_from((ctx.rand >> 32) % n).unwrap_or(0);
        Ok(sample.into_iter().nth(i))
    };
    let found = match pick(start, hi)? {
        Some(k) => Some(k),
        None => pick(lo, start)?,
    };
    Ok(found.map_or(Reply::Nil, Reply::Bulk))
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Print this help.",
];

/// `OBJECT HELP`'s reply (also served by the server layer, which owns the
/// keyless subcommand).
pub fn object_help() -> Reply {
    Reply::Array(
        OBJECT_HELP
            .iter()
            .map(|l| Reply::Simple((*l).to_string()))
            .collect(),
    )
}

/// How OBJECT ENCODING names a string value.
pub(crate) fn object_encoding(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(rec) = live(store, arg(argv, 2), ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    if let Some(c) = rec.coll_header() {
        let name = super::coll::encoding_name(rec.kind, c.enc);
        return Ok(Reply::Bulk(Bytes::from_static(name.as_bytes())));
    }
    let enc: &'static [u8] = if parse_i64(&rec.value).is_some() {
        b"int"
    } else if rec.value.len() <= EMBSTR_MAX_BYTES {
        b"embstr"
    } else {
        b"raw"
    };
    Ok(Reply::Bulk(Bytes::from_static(enc)))
}

/// No LFU policy exists, so an existing key has no frequency to report.
pub(crate) fn object_freq(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    match live(store, arg(argv, 2), ctx.now_ms)? {
        None => Ok(Reply::Nil),
        Some(_) => Err(errors::err(errors::LFU_NOT_SELECTED)),
    }
}

pub(crate) fn object_idletime(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let now = ctx.now_ms;
    let Some(rec) = live(store, arg(argv, 2), now)? else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::Integer(
        i64::try_from(now.saturating_sub(rec.mtime_ms) / 1000).unwrap_or(i64::MAX),
    ))
}

/// Redis shares small integers, so their refcount is INT_MAX.
pub(crate) fn object_refcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(rec) = live(store, arg(argv, 2), ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    // A paged value (longer than 4 KiB) is never a shared integer.
    let n = if rec.paged {
        None
    } else {
        parse_i64(&rec.value)
    };
    Ok(match n {
        Some(v) if (0..SHARED_INTEGERS).contains(&v) => Reply::Integer(i64::from(i32::MAX)),
        _ => Reply::Integer(1),
    })
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("exists", Handler::Read(exists)),
    ("touch", Handler::Read(touch)),
    ("type", Handler::Read(type_of)),
    ("ttl", Handler::Read(ttl)),
    ("pttl", Handler::Read(pttl)),
    ("expiretime", Handler::Read(expiretime)),
    ("pexpiretime", Handler::Read(pexpiretime)),
    ("keys", Handler::Read(keys)),
    ("scan", Handler::Read(scan)),
    ("randomkey", Handler::Read(randomkey)),
    ("dbsize", Handler::Read(dbsize)),
    ("object|encoding", Handler::Read(object_encoding)),
    ("object|freq", Handler::Read(object_freq)),
    ("object|idletime", Handler::Read(object_idletime)),
    ("object|refcount", Handler::Read(object_refcount)),
    ("corekv.countkeysinslot", Handler::Read(countkeysinslot)),
    ("corekv.getkeysinslot", Handler::Read(getkeysinslot)),
    ("del", write(None, del)),
    ("unlink", write(None, unlink)),
    ("rename", write(None, rename)),
    ("renamenx", write(None, renamenx)),
    ("copy", write(Some(precheck_copy), copy)),
    ("expire", write(Some(precheck_expire), expire)),
    ("pexpire", write(Some(precheck_pexpire), pexpire)),
    ("expireat", write(Some(precheck_expireat), expireat)),
    ("pexpireat", write(Some(precheck_pexpireat), pexpireat)),
    ("persist", write(None, persist)),
    ("flushall", write(Some(precheck_flush), flushall)),
    ("flushdb", write(Some(precheck_flush), flushdb)),
    ("corekv.expireif", write(None, expireif)),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{Ctx, read};
    use crate::slot::key_slot;
    use crate::{MemStore, Reply, Store};

    #[test]
    fn del_unlink_exists_touch_type() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["MSET", "a", "1", "b", "2"]), ok());
        assert_eq!(run(&mut s, &["EXISTS", "a", "a", "b", "c"]), int(3));
        assert_eq!(run(&mut s, &["TOUCH", "a", "c"]), int(1));
        assert_eq!(run(&mut s, &["TYPE", "a"]), Reply::Simple("string".into()));
        assert_eq!(run(&mut s, &["TYPE", "c"]), Reply::Simple("none".into()));
        assert_eq!(run(&mut s, &["DEL", "a", "a", "c"]), int(1));
        assert_eq!(run(&mut s, &["UNLINK", "b"]), int(1));
        assert_eq!(run(&mut s, &["SET", "x", "1", "PX", "10"]), ok());
        assert_eq!(run_at(&mut s, NOW + 10, &["EXISTS", "x"]), int(0));
        assert_eq!(
            run_at(&mut s, NOW + 10, &["DEL", "x"]),
            int(0),
            "expired key does not count"
        );
        assert!(s.is_empty(), "but it is removed");
    }

    #[test]
    fn expire_family_and_ttl_readers() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["EXPIRE", "k", "10"]), int(0));
        assert_eq!(run(&mut s, &["TTL", "k"]), int(-2));
        assert_eq!(run(&mut s, &["PEXPIRETIME", "k"]), int(-2));
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["TTL", "k"]), int(-1));
        assert_eq!(run(&mut s, &["EXPIRETIME", "k"]), int(-1));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "100"]), int(1));
        assert_eq!(run(&mut s, &["TTL", "k"]), int(100));
        assert_eq!(
            run_at(&mut s, NOW + 1499, &["TTL", "k"]),
            int(99),
            "TTL rounds to nearest second"
        );
        assert_eq!(run_at(&mut s, NOW + 1501, &["TTL", "k"]), int(98));
        assert_eq!(run(&mut s, &["PTTL", "k"]), int(100_000));
        assert_eq!(
            run(&mut s, &["PEXPIRETIME", "k"]),
            int((NOW + 100_000) as i64)
        );
        assert_eq!(
            run(&mut s, &["EXPIRETIME", "k"]),
            int((NOW / 1000 + 100) as i64)
        );
        assert_eq!(run(&mut s, &["PEXPIRE", "k", "5000"]), int(1));
        assert_eq!(run(&mut s, &["PTTL", "k"]), int(5000));
        let at = (NOW / 1000 + 50).to_string();
        assert_eq!(run(&mut s, &["EXPIREAT", "k", &at]), int(1));
        assert_eq!(run(&mut s, &["TTL", "k"]), int(50));
        let pat = (NOW + 700).to_string();
        assert_eq!(run(&mut s, &["PEXPIREAT", "k", &pat]), int(1));
        assert_eq!(run(&mut s, &["PTTL", "k"]), int(700));
        assert_eq!(run(&mut s, &["PERSIST", "k"]), int(1));
        assert_eq!(run(&mut s, &["PERSIST", "k"]), int(0));
        assert_eq!(run(&mut s, &["PERSIST", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["TTL", "k"]), int(-1));
        // Past or zero time deletes and answers 1.
        assert_eq!(run(&mut s, &["EXPIRE", "k", "0"]), int(1));
        assert_eq!(run(&mut s, &["EXISTS", "k"]), int(0));
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["EXPIRE", "k", "-5"]), int(1));
        assert_eq!(run(&mut s, &["EXISTS", "k"]), int(0));
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["PEXPIREAT", "k", "1"]), int(1));
        assert!(s.is_empty());
    }

    #[test]
    fn expire_flags() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["EXPIRE", "k", "100", "XX"]), int(0));
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "100", "GT"]),
            int(0),
            "no TTL counts as infinite for GT"
        );
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "100", "LT"]),
            int(1),
            "and LT passes"
        );
        assert_eq!(run(&mut s, &["EXPIRE", "k", "50", "NX"]), int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "200", "LT"]), int(0));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "200", "gt"]), int(1));
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "200", "GT"]),
            int(0),
            "equal is not greater"
        );
        assert_eq!(run(&mut s, &["EXPIRE", "k", "10", "XX", "LT"]), int(1));
        assert_eq!(run(&mut s, &["TTL", "k"]), int(10));
        assert_eq!(run(&mut s, &["PERSIST", "k"]), int(1));
        assert_eq!(run(&mut s, &["EXPIRE", "k", "10", "NX"]), int(1));
        let both = err("ERR NX and XX, GT or LT options at the same time are not compatible");
        assert_eq!(run(&mut s, &["EXPIRE", "k", "10", "NX", "XX"]), both);
        assert_eq!(run(&mut s, &["EXPIRE", "k", "10", "GT", "NX"]), both);
        assert_eq!(
            run(&mut s, &["PEXPIRE", "k", "10", "GT", "LT"]),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "10", "FOO"]),
            err("ERR Unsupported option FOO")
        );
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "FOO", "bar"]),
            err("ERR Unsupported option bar"),
            "options first"
        );
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "1.5"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["EXPIRE", "k", "9223372036854776"]),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            run(&mut s, &["EXPIREAT", "k", "-9223372036854776"]),
            err("ERR invalid expire time in 'expireat' command")
        );
        assert_eq!(
            run(&mut s, &["PEXPIRE", "k", "9223372036854775807"]),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(
            run(&mut s, &["PEXPIREAT", "k", "9223372036854775807"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["PTTL", "k"]), int(i64::MAX - NOW as i64));
    }

    #[test]
    fn rename_renamenx_copy() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["RENAME", "a", "b"]), err("ERR no such key"));
        assert_eq!(run(&mut s, &["RENAMENX", "a", "b"]), err("ERR no such key"));
        assert_eq!(run(&mut s, &["RENAME", "a", "a"]), err("ERR no such key"));
        assert_eq!(run(&mut s, &["SET", "a", "1", "EX", "100"]), ok());
        assert_eq!(run(&mut s, &["RENAME", "a", "a"]), ok());
        assert_eq!(run(&mut s, &["RENAMENX", "a", "a"]), int(0));
        assert_eq!(run(&mut s, &["RENAME", "a", "b"]), ok());
        assert_eq!(run(&mut s, &["EXISTS", "a"]), int(0));
        assert_eq!(run(&mut s, &["GET", "b"]), bulk("1"));
        assert_eq!(run(&mut s, &["TTL", "b"]), int(100), "RENAME keeps the TTL");
        assert_eq!(run(&mut s, &["SET", "c", "2"]), ok());
        assert_eq!(run(&mut s, &["RENAMENX", "b", "c"]), int(0));
        assert_eq!(run(&mut s, &["RENAMENX", "b", "d"]), int(1));
        assert_eq!(run(&mut s, &["RENAME", "d", "c"]), ok());
        assert_eq!(run(&mut s, &["GET", "c"]), bulk("1"));
        assert_eq!(
            run(&mut s, &["TTL", "c"]),
            int(100),
            "overwritten destination takes the source TTL"
        );

        assert_eq!(run(&mut s, &["COPY", "c", "e"]), int(1));
        assert_eq!(run(&mut s, &["GET", "e"]), bulk("1"));
        assert_eq!(run(&mut s, &["TTL", "e"]), int(100));
        assert_eq!(run(&mut s, &["SET", "f", "x"]), ok());
        assert_eq!(run(&mut s, &["COPY", "f", "e"]), int(0));
        assert_eq!(
            run(&mut s, &["COPY", "f", "e", "REPLACE", "DB", "0"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["GET", "e"]), bulk("x"));
        assert_eq!(run(&mut s, &["TTL", "e"]), int(-1));
        assert_eq!(run(&mut s, &["COPY", "nokey", "e"]), int(0));
        assert_eq!(
            run(&mut s, &["COPY", "f", "f"]),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "DB", "1"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "DB", "-1"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "DB", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "DB", "4294967296"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "DB"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["COPY", "f", "g", "FOO"]),
            err("ERR syntax error")
        );
    }

    #[test]
    fn flush_and_expireif() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["MSET", "a", "1", "b", "2"]), ok());
        assert_eq!(run(&mut s, &["DBSIZE"]), int(2));
        assert_eq!(run(&mut s, &["FLUSHDB", "now"]), err("ERR syntax error"));
        assert_eq!(
            run(&mut s, &["FLUSHALL", "ASYNC", "SYNC"]),
            err("ERR syntax error")
        );
        assert_eq!(run(&mut s, &["FLUSHALL", "sync"]), ok());
        assert_eq!(run(&mut s, &["DBSIZE"]), int(0));
        assert_eq!(run(&mut s, &["SET", "a", "1", "PX", "5"]), ok());
        assert_eq!(run(&mut s, &["FLUSHDB", "ASYNC"]), ok());
        assert!(s.is_empty());

        assert_eq!(run(&mut s, &["SET", "a", "1", "PX", "5"]), ok());
        assert_eq!(run(&mut s, &["COREKV.EXPIREIF", "a"]), int(0));
        assert_eq!(run(&mut s, &["DBSIZE"]), int(1));
        assert_eq!(run_at(&mut s, NOW + 5, &["corekv.expireif", "a"]), int(1));
        assert_eq!(run(&mut s, &["COREKV.EXPIREIF", "nokey"]), int(0));
        assert!(s.is_empty());
    }

    #[test]
    fn flush_clears_only_the_group() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["MSET", "foo", "1", "bar", "2"]), ok());
        let (foo, bar) = (key_slot(b"foo"), key_slot(b"bar"));
        assert!(bar < foo);
        let ctx = Ctx {
            now_ms: NOW,
            slots: foo..foo + 1,
            rand: 0,
        };
        assert_eq!(
            super::super::apply_write(&argv(&["FLUSHALL"]), &ctx, &mut s),
            ok()
        );
        assert_eq!(s.get(b"foo"), Ok(None));
        assert!(s.get(b"bar").is_ok_and(|r| r.is_some()));
    }

    #[test]
    fn keys_glob() {
        let mut s = MemStore::new();
        assert_eq!(
            run(
                &mut s,
                &[
                    "MSET", "hello", "1", "hallo", "2", "hxllo", "3", "other", "4"
                ]
            ),
            ok()
        );
        assert_eq!(run(&mut s, &["SET", "hzllo", "5", "PX", "1"]), ok());
        let sorted = |r: Reply| match r {
            Reply::Array(mut v) => {
                v.sort_by_key(|x| format!("{x:?}"));
                v
            }
            other => panic!("not an array: {other:?}"),
        };
        assert_eq!(
            sorted(run_at(&mut s, NOW + 1, &["KEYS", "h?llo"])),
            vec![bulk("hallo"), bulk("hello"), bulk("hxllo")]
        );
        assert_eq!(
            sorted(run(&mut s, &["KEYS", "h[ae]llo"])),
            vec![bulk("hallo"), bulk("hello")]
        );
        assert_eq!(
            sorted(run(&mut s, &["KEYS", "h[^e]llo"])),
            vec![bulk("hallo"), bulk("hxllo"), bulk("hzllo")]
        );
        assert_eq!(
            sorted(run_at(&mut s, NOW + 1, &["KEYS", "h*[^e]llo"])),
            vec![bulk("hallo"), bulk("hxllo")]
        );
        assert_eq!(sorted(run_at(&mut s, NOW + 1, &["KEYS", "*"])).len(), 4);
        assert_eq!(run(&mut s, &["KEYS", "nomatch*"]), Reply::Array(vec![]));
    }

    fn scan_all(s: &MemStore, extra: &[&str]) -> (Vec<Reply>, usize) {
        let mut cursor = "0".to_string();
        let mut keys = Vec::new();
        let mut calls = 0;
        loop {
            let mut a = vec!["SCAN", cursor.as_str()];
            a.extend_from_slice(extra);
            let c = Ctx {
                now_ms: NOW + 1,
                ..ctx()
            };
            let r = read(&argv(&a), &c, s);
            calls += 1;
            let Reply::Array(parts) = r else {
                panic!("bad reply {r:?}")
            };
            let [Reply::Bulk(c), Reply::Array(ks)] = parts.as_slice() else {
                panic!("bad shape")
            };
            keys.extend(ks.iter().cloned());
            cursor = String::from_utf8(c.to_vec()).unwrap_or_default();
            if cursor == "0" {
                return (keys, calls);
            }
            assert!(calls < 20_000);
        }
    }

    #[test]
    fn scan_walks_slots_and_filters() {
        let mut s = MemStore::new();
        for i in 0..200 {
            let k = format!("key:{i}");
            assert_eq!(run(&mut s, &["SET", &k, "v"]), ok());
        }
        assert_eq!(run(&mut s, &["SET", "gone", "v", "PX", "1"]), ok());
        let (keys, calls) = scan_all(&s, &[]);
        assert_eq!(keys.len(), 200);
        assert!(
            (200 / 10..200).contains(&calls),
            "COUNT 10 per call: {calls}"
        );
        let (keys, calls) = scan_all(&s, &["COUNT", "1000"]);
        assert_eq!((keys.len(), calls), (200, 1));
        let (keys, _) = scan_all(&s, &["MATCH", "key:1?", "COUNT", "7"]);
        assert_eq!(keys.len(), 10);
        let (keys, _) = scan_all(&s, &["TYPE", "STRING"]);
        assert_eq!(keys.len(), 200);
        let (keys, _) = scan_all(&s, &["TYPE", "list"]);
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn scan_cursor_and_errors() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "foo", "1"]), ok());
        let foo = key_slot(b"foo");
        let shape = |c: &str, ks: Vec<Reply>| Reply::Array(vec![bulk(c), Reply::Array(ks)]);
        assert_eq!(run(&mut s, &["SCAN", "0"]), shape("0", vec![bulk("foo")]));
        assert_eq!(
            run(&mut s, &["SCAN", &(foo + 1).to_string()]),
            shape("0", vec![])
        );
        assert_eq!(
            run(&mut s, &["SCAN", ""]),
            shape("0", vec![bulk("foo")]),
            "strtoul reads '' as 0"
        );
        let ctx = Ctx {
            now_ms: NOW,
            slots: 100..foo + 1,
            rand: 0,
        };
        assert_eq!(
            read(&argv(&["SCAN", "0"]), &ctx, &s),
            shape(&(foo + 1).to_string(), vec![bulk("foo")])
        );
        let inv = err("ERR invalid cursor");
        for bad in [
            "16384",
            "-1",
            "abc",
            " 1",
            "1 ",
            "+",
            "99999999999999999999999",
        ] {
            assert_eq!(run(&mut s, &["SCAN", bad]), inv, "{bad:?}");
        }
        assert_eq!(run(&mut s, &["SCAN", "00"]), shape("0", vec![bulk("foo")]));
        assert_eq!(
            run(&mut s, &["SCAN", "0", "COUNT", "0"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["SCAN", "0", "COUNT", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["SCAN", "0", "COUNT"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["SCAN", "0", "FOO", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["SCAN", "x", "FOO", "1"]),
            inv,
            "cursor is checked first"
        );
    }

    #[test]
    fn randomkey_and_dbsize() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["RANDOMKEY"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SET", "a", "1", "PX", "1"]), ok());
        assert_eq!(
            run_at(&mut s, NOW + 1, &["RANDOMKEY"]),
            Reply::Nil,
            "expired keys are not chosen"
        );
        assert_eq!(
            run_at(&mut s, NOW + 1, &["DBSIZE"]),
            int(1),
            "DBSIZE counts unreaped keys like Redis"
        );
        for k in ["x", "y", "z"] {
            assert_eq!(run(&mut s, &["SET", k, "1"]), ok());
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in 0..64u64 {
            let ctx = Ctx {
                now_ms: NOW + 1,
                slots: 0..16384,
                rand: r.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            };
            match read(&argv(&["RANDOMKEY"]), &ctx, &s) {
                Reply::Bulk(k) => {
                    seen.insert(k);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen.len(), 3, "every live key is reachable");
    }

    #[test]
    fn object_subcommands() {
        let mut s = MemStore::new();
        assert_eq!(
            run(
                &mut s,
                &[
                    "MSET", "i", "123", "big", "100000", "e", "hello", "neg", "-5"
                ]
            ),
            ok()
        );
        assert_eq!(run(&mut s, &["SET", "r", &"x".repeat(45)]), ok());
        assert_eq!(run(&mut s, &["SET", "z", "0123"]), ok());
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "i"]), bulk("int"));
        assert_eq!(run(&mut s, &["OBJECT", "encoding", "z"]), bulk("embstr"));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "e"]), bulk("embstr"));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "r"]), bulk("raw"));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "nokey"]), Reply::Nil);
        assert_eq!(run(&mut s, &["OBJECT", "REFCOUNT", "i"]), int(2147483647));
        assert_eq!(run(&mut s, &["OBJECT", "REFCOUNT", "big"]), int(1));
        assert_eq!(run(&mut s, &["OBJECT", "REFCOUNT", "neg"]), int(1));
        assert_eq!(run(&mut s, &["OBJECT", "REFCOUNT", "e"]), int(1));
        assert_eq!(
            run_at(&mut s, NOW + 12_999, &["OBJECT", "IDLETIME", "e"]),
            int(12)
        );
        assert_eq!(run(&mut s, &["OBJECT", "FREQ", "nokey"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["OBJECT", "FREQ", "e"]),
            err(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
            )
        );
        let Reply::Array(help) = run(&mut s, &["OBJECT", "HELP"]) else {
            panic!()
        };
        assert_eq!(help.len(), 15);
        assert_eq!(
            help.first().cloned().unwrap_or(Reply::Nil),
            Reply::Simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into())
        );
        assert_eq!(
            run(&mut s, &["OBJECT", "FOO", "e"]),
            err("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
        );
        assert_eq!(
            run(&mut s, &["OBJECT", "ENCODING"]),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
    }
}
