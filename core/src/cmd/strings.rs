//! The string family: SET and its variants, GET/GETEX/GETDEL/GETSET,
//! MSET/MSETNX/MGET, the INCR family, APPEND, SETRANGE, STRLEN, GETRANGE.
//! Argument parsing mirrors t_string.c so that option combinations and the
//! order in which errors are reported match Redis 7.0.

use super::num::{format_f64, parse_f64, parse_i64};
/// The whole value of a string record (inline or paged): the one reader
/// for a whole value, also HyperLogLog's.
pub(crate) use super::pages::value;
use super::pages::{self, Editor};
#[cfg(test)]
use super::write;
use super::{
    Ctx, MAX_STRING_BYTES, R, arg, arg_bytes, check_string, int_arg, is_opt, live, live_w,
};
use crate::Reply;
use crate::errors;
use crate::notify::{GENERIC, STRING};
use crate::store::{Record, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options of SET (from argv[3]) and GETEX (from argv[2]); `expire` holds
/// the kind and the argv index of its value.
#[derive(Debug, Default)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpKind, usize)>,
}

/// `parseExtendedStringArgumentsOrReply`: the same expire kind may repeat
/// (last wins); any conflicting combination is a syntax error.
fn parse_ext(argv: &[Bytes], is_set: bool) -> Result<ExtOpts, Reply> {
    let mut o = ExtOpts::default();
    let mut j = if is_set { 3 } else { 2 };
    while j < argv.len() {
        let opt = arg(argv, j);
        let has_next = j + 1 < argv.len();
        let exp_ok = |k: ExpKind, o: &ExtOpts| {
            !o.keepttl && !o.persist && o.expire.is_none_or(|(cur, _)| cur == k) && has_next
        };
        if is_opt(opt, "nx") && !o.xx && is_set {
            o.nx = true;
        } else if is_opt(opt, "xx") && !o.nx && is_set {
            o.xx = true;
        } else if is_opt(opt, "get") && is_set {
            o.get = true;
        } else if is_opt(opt, "keepttl") && !o.persist && o.expire.is_none() && is_set {
            o.keepttl = true;
        } else if is_opt(opt, "persist") && !is_set && o.expire.is_none() && !o.keepttl {
            o.persist = true;
        } else if let Some(k) = exp_kind(opt).filter(|&k| exp_ok(k, &o)) {
            o.expire = Some((k, j + 1));
            j += 1;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(o)
}

fn exp_kind(opt: &[u8]) -> Option<ExpKind> {
    if is_opt(opt, "ex") {
        Some(ExpKind::Ex)
    } else if is_opt(opt, "px") {
        Some(ExpKind::Px)
    } else if is_opt(opt, "exat") {
        Some(ExpKind::ExAt)
    } else if is_opt(opt, "pxat") {
        Some(ExpKind::PxAt)
    } else {
        None
    }
}

/// `getExpireMillisecondsOrReply`: the absolute expiry in ms. With
/// `now_ms == 0` this is the time-independent part of the check.
fn expire_ms(kind: ExpKind, raw: &[u8], now_ms: u64, cmd: &str) -> Result<i64, Reply> {
    let v = parse_i64(raw).ok_or_else(|| errors::err(errors::NOT_INTEGER))?;
    let secs = matches!(kind, ExpKind::Ex | ExpKind::ExAt);
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(errors::invalid_expire(cmd));
    }
    let ms = if secs { v * 1000 } else { v };
    let ms = if matches!(kind, ExpKind::Ex | ExpKind::Px) {
        i64::try_from(now_ms)
            .ok()
            .and_then(|now| ms.checked_add(now))
    } else {
        Some(ms)
    };
    match ms {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(errors::invalid_expire(cmd)),
    }
}

/// Writes a string value; an expiry already in the past deletes the key
/// instead (the value could never be observed).
fn put_string(
    store: &mut dyn Store,
    key: &[u8],
    value: Bytes,
    expire_at_ms: Option<u64>,
    now_ms: u64,
) -> Result<(), StoreError> {
    let rec = Record {
        kind: crate::Kind::String,
        expire_at_ms: None,
        mtime_ms: now_ms,
        value,
        paged: false,
    };
    put_expiring(store, key, rec, expire_at_ms, now_ms)
}

/// A string record's value as a reply (nil when absent).
fn value_reply(store: &dyn Store, key: &[u8], rec: Option<&Record>) -> R {
    Ok(match rec {
        Some(r) => Reply::Bulk(value(store, key, r)?),
        None => Reply::Nil,
    })
}

/// Rewrites a live string record with another expiry (inline or paged:
/// the record, not its value, is kept); an expiry already past deletes it.
fn put_expiring(
    store: &mut dyn Store,
    key: &[u8],
    rec: Record,
    expire_at_ms: Option<u64>,
    now_ms: u64,
) -> Result<(), StoreError> {
    match expire_at_ms {
        Some(t) if t <= now_ms => {
            // Redis stores it and lets it expire: a key it did not have
            // was still created.
            if store.notifying() && store.get(key)?.is_none() {
                store.notify(crate::notify::NEW, "new", key);
            }
            store.delete(key)
        }
        _ => store.put(
            key,
            Record {
                expire_at_ms,
                mtime_ms: now_ms,
                ..rec
            },
        ),
    }
}

fn expire_u64(ms: i64) -> Option<u64> {
    u64::try_from(ms).ok()
}

fn check_len(size: u64, append: u64) -> Result<(), Reply> {
    match size.checked_add(append) {
        Some(t) if t <= MAX_STRING_BYTES => Ok(()),
        _ => Err(errors::err(errors::STRING_TOO_LONG)),
    }
}

// ---- prechecks: the errors that do not depend on stored data ----

pub(crate) fn precheck_set(argv: &[Bytes]) -> Result<(), Reply> {
    let o = parse_ext(argv, true)?;
    if let Some((k, i)) = o.expire {
        expire_ms(k, arg(argv, i), 0, "set")?;
    }
    Ok(())
}

/// GETEX checks its expire value only after finding the key (a missing
/// key answers nil even for `EX abc`), so only syntax here.
pub(crate) fn precheck_getex(argv: &[Bytes]) -> Result<(), Reply> {
    parse_ext(argv, false).map(drop)
}

pub(crate) fn precheck_setex(argv: &[Bytes]) -> Result<(), Reply> {
    expire_ms(ExpKind::Ex, arg(argv, 2), 0, "setex").map(drop)
}

pub(crate) fn precheck_psetex(argv: &[Bytes]) -> Result<(), Reply> {
    expire_ms(ExpKind::Px, arg(argv, 2), 0, "psetex").map(drop)
}

/// Key/value pairs: an even count after the name.
fn check_pairs(argv: &[Bytes], name: &str) -> Result<(), Reply> {
    if argv.len().is_multiple_of(2) {
        return Err(errors::arity(name));
    }
    Ok(())
}

pub(crate) fn precheck_mset(argv: &[Bytes]) -> Result<(), Reply> {
    check_pairs(argv, "mset")
}

pub(crate) fn precheck_msetnx(argv: &[Bytes]) -> Result<(), Reply> {
    check_pairs(argv, "msetnx")
}

pub(crate) fn precheck_incrby(argv: &[Bytes]) -> Result<(), Reply> {
    int_arg(argv, 2).map(drop)
}

pub(crate) fn precheck_decrby(argv: &[Bytes]) -> Result<(), Reply> {
    decrby_delta(argv).map(drop)
}

pub(crate) fn precheck_incrbyfloat(argv: &[Bytes]) -> Result<(), Reply> {
    parse_f64(arg(argv, 2))
        .map(drop)
        .ok_or_else(|| errors::err(errors::NOT_FLOAT))
}

pub(crate) fn precheck_setrange(argv: &[Bytes]) -> Result<(), Reply> {
    setrange_offset(argv).map(drop)
}

// ---- writes ----

pub(crate) fn setnx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (key, now) = (arg(argv, 1), ctx.now_ms);
    if live_w(store, key, now)?.is_some() {
        return Ok(Reply::Integer(0));
    }
    put_string(store, key, arg_bytes(argv, 2), None, now)?;
    store.notify(STRING, "set", key);
    Ok(Reply::Integer(1))
}

fn set_expiring(kind: ExpKind, name: &str, argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let at = expire_ms(kind, arg(argv, 2), now, name)?;
    let key = arg(argv, 1);
    put_string(store, key, arg_bytes(argv, 3), expire_u64(at), now)?;
    store.notify(STRING, "set", key);
    store.notify(GENERIC, "expire", key);
    Ok(Reply::ok())
}

pub(crate) fn setex(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expiring(ExpKind::Ex, "setex", argv, ctx, store)
}

pub(crate) fn psetex(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    set_expiring(ExpKind::Px, "psetex", argv, ctx, store)
}

pub(crate) fn getset(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (key, now) = (arg(argv, 1), ctx.now_ms);
    let old = live_w(store, key, now)?;
    if let Some(r) = &old {
        check_string(r)?;
    }
    // Read before the write: a paged value's pages go with its record.
    let reply = value_reply(store, key, old.as_ref())?;
    put_string(store, key, arg_bytes(argv, 2), None, now)?;
    store.notify(STRING, "set", key);
    Ok(reply)
}

pub(crate) fn getdel(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(old) = live_w(store, key, ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    check_string(&old)?;
    let v = value(store, key, &old)?;
    store.delete(key)?;
    store.notify(GENERIC, "del", key);
    Ok(Reply::Bulk(v))
}

pub(crate) fn incr(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    incr_by(store, arg(argv, 1), 1, ctx.now_ms)
}

pub(crate) fn decr(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    incr_by(store, arg(argv, 1), -1, ctx.now_ms)
}

pub(crate) fn incrby(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let d = int_arg(argv, 2)?;
    incr_by(store, arg(argv, 1), d, ctx.now_ms)
}

pub(crate) fn decrby(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let d = decrby_delta(argv)?;
    incr_by(store, arg(argv, 1), d, ctx.now_ms)
}

pub(crate) fn set(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let o = parse_ext(argv, true)?;
    let exp = match o.expire {
        Some((k, i)) => Some(expire_ms(k, arg(argv, i), now, "set")?),
        None => None,
    };
    let key = arg(argv, 1);
    let old = live_w(store, key, now)?;
    if o.get
        && let Some(r) = &old
    {
        check_string(r)?;
    }
    let found = old.is_some();
    // Read before the write: a paged value's pages go with its record.
    let reply = if o.get {
        value_reply(store, key, old.as_ref())?
    } else {
        Reply::Nil
    };
    if (o.nx && found) || (o.xx && !found) {
        return Ok(reply);
    }
    let expire_at = if o.keepttl {
        old.as_ref().and_then(|r| r.expire_at_ms)
    } else {
        exp.and_then(expire_u64)
    };
    put_string(store, key, arg_bytes(argv, 2), expire_at, now)?;
    store.notify(STRING, "set", key);
    if exp.is_some() {
        store.notify(GENERIC, "expire", key);
    }
    Ok(if o.get { reply } else { Reply::ok() })
}

pub(crate) fn getex(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let o = parse_ext(argv, false)?;
    let key = arg(argv, 1);
    let Some(rec) = live_w(store, key, now)? else {
        return Ok(Reply::Nil);
    };
    check_string(&rec)?;
    let exp = match o.expire {
        Some((k, i)) => Some(expire_ms(k, arg(argv, i), now, "getex")?),
        None => None,
    };
    let reply = Reply::Bulk(value(store, key, &rec)?);
    if let Some(at) = exp {
        let at = expire_u64(at);
        put_expiring(store, key, rec, at, now)?;
        // A time already past deletes the key (Redis's getexCommand).
        let gone = at.is_some_and(|t| t <= now);
        store.notify(GENERIC, if gone { "del" } else { "expire" }, key);
    } else if o.persist && rec.expire_at_ms.is_some() {
        put_expiring(store, key, rec, None, now)?;
        store.notify(GENERIC, "persist", key);
    }
    Ok(reply)
}

pub(crate) fn mset(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    check_pairs(argv, "mset")?;
    put_pairs(argv, false, ctx.now_ms, store)
}

pub(crate) fn msetnx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    check_pairs(argv, "msetnx")?;
    put_pairs(argv, true, ctx.now_ms, store)
}

/// MSET's and MSETNX's writes; with `nx` nothing is written if any key
/// exists.
fn put_pairs(argv: &[Bytes], nx: bool, now: u64, store: &mut dyn Store) -> R {
    let pairs = argv.get(1..).unwrap_or(&[]);
    if nx {
        let mut busy = false;
        for pair in pairs.chunks_exact(2) {
            if let Some(k) = pair.first() {
                busy |= live_w(store, k, now)?.is_some();
            }
        }
        if busy {
            return Ok(Reply::Integer(0));
        }
    }
    for pair in pairs.chunks_exact(2) {
        if let [k, v] = pair {
            put_string(store, k, v.clone(), None, now)?;
            store.notify(STRING, "set", k);
        }
    }
    Ok(if nx { Reply::Integer(1) } else { Reply::ok() })
}

fn decrby_delta(argv: &[Bytes]) -> Result<i64, Reply> {
    let d = int_arg(argv, 2)?;
    d.checked_neg()
        .ok_or_else(|| errors::err(errors::DECREMENT_OVERFLOW))
}

fn incr_by(store: &mut dyn Store, key: &[u8], delta: i64, now: u64) -> R {
    let old = live_w(store, key, now)?;
    let (value, expire) = match &old {
        Some(r) => {
            check_string(r)?;
            // A paged value is longer than 4 KiB: never a number.
            let n = if r.paged { None } else { parse_i64(&r.value) };
            (
                n.ok_or_else(|| errors::err(errors::NOT_INTEGER))?,
                r.expire_at_ms,
            )
        }
        None => (0, None),
    };
    let new = value
        .checked_add(delta)
        .ok_or_else(|| errors::err(errors::OVERFLOW))?;
    put_string(store, key, Bytes::from(new.to_string()), expire, now)?;
    store.notify(STRING, "incrby", key);
    Ok(Reply::Integer(new))
}

pub(crate) fn incrbyfloat(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let key = arg(argv, 1);
    let old = live_w(store, key, now)?;
    let not_float = || errors::err(errors::NOT_FLOAT);
    let (value, expire) = match &old {
        Some(r) => {
            check_string(r)?;
            // `parse_f64` refuses 5 KiB and more (Redis's string2ld), so
            // only a paged value shorter than that is read.
            let v = if !r.paged {
                parse_f64(&r.value)
            } else if pages::len(key, r)? < 5 * 1024 {
                parse_f64(&value(store, key, r)?)
            } else {
                None
            };
            (v.ok_or_else(not_float)?, r.expire_at_ms)
        }
        None => (0.0, None),
    };
    let incr = parse_f64(arg(argv, 2)).ok_or_else(not_float)?;
    let sum = value + incr;
    if !sum.is_finite() {
        return Err(errors::err(errors::NAN_OR_INF));
    }
    let text = Bytes::from(format_f64(sum));
    put_string(store, key, text.clone(), expire, now)?;
    store.notify(STRING, "incrbyfloat", key);
    Ok(Reply::Bulk(text))
}

pub(crate) fn append(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let key = arg(argv, 1);
    let add = arg(argv, 2);
    let mut e = Editor::open(store, key, now)?;
    if e.existed() {
        check_len(e.len(), add.len() as u64)?;
    }
    let at = e.len();
    e.write(store, key, at, add)?;
    let len = e.len();
    if !e.existed() && add.is_empty() {
        // APPEND of nothing to nothing still creates an empty string.
        put_string(store, key, Bytes::new(), None, now)?;
    } else {
        e.save(store, key, now)?;
    }
    store.notify(STRING, "append", key);
    Ok(Reply::Integer(len as i64))
}

/// SETRANGE's offset: an integer, not negative, and (for a non-empty value)
/// not pushing the string past proto-max-bulk-len.
fn setrange_offset(argv: &[Bytes]) -> Result<usize, Reply> {
    let off = int_arg(argv, 2)?;
    let off = u64::try_from(off).map_err(|_| errors::err(errors::OFFSET_OUT_OF_RANGE))?;
    let len = arg(argv, 3).len() as u64;
    if len > 0 {
        check_len(off, len)?;
    }
    // Only reached with len == 0 when off is huge; callers never index then.
    Ok(usize::try_from(off).unwrap_or(usize::MAX))
}

pub(crate) fn setrange(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let now = ctx.now_ms;
    let key = arg(argv, 1);
    let value = arg(argv, 3);
    let off = setrange_offset(argv)?;
    let mut e = Editor::open(store, key, now)?;
    if value.is_empty() {
        return Ok(Reply::Integer(e.len() as i64));
    }
    e.write(store, key, off as u64, value)?;
    let len = e.len();
    e.save(store, key, now)?;
    store.notify(STRING, "setrange", key);
    Ok(Reply::Integer(len as i64))
}

// ---- reads ----

pub(crate) fn get(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    match live(store, arg(argv, 1), ctx.now_ms)? {
        None => Ok(Reply::Nil),
        Some(r) => {
            check_string(&r)?;
            // One flag test; an inline value is a refcount bump.
            if !r.paged {
                return Ok(Reply::Bulk(r.value));
            }
            let key = arg(argv, 1);
            if pages::pages_in(key, &r, 0, u64::MAX)? > crate::table::HEAVY_MIN {
                // Too big for the core: the server reruns the read on
                // the heavy pool as `COREKV.GETPAGED key`.
                return Err(Reply::Error(TO_POOL.to_string()));
            }
            Ok(Reply::Bulk(value(store, key, &r)?))
        }
    }
}

/// What GET answers on the core for a paged string of more than
/// `table::HEAVY_MIN` pages: the server reruns it on the heavy pool as
/// `COREKV.GETPAGED key` (see [`pool_argv`]); never sent to a client.
/// Checking for it costs an inline GET nothing: the handler tests the
/// record's `paged` flag, which it reads anyway.
pub const TO_POOL: &str = "COREKV-TOPOOL";

/// The argv a read that answered [`TO_POOL`] runs as on the heavy pool.
pub fn pool_argv(argv: &[Bytes], reply: &Reply) -> Option<Vec<Bytes>> {
    match reply {
        Reply::Error(e) if e == TO_POOL => Some(vec![
            Bytes::from_static(b"corekv.getpaged"),
            arg_bytes(argv, 1),
        ]),
        _ => None,
    }
}

/// `COREKV.GETPAGED key`: GET without the size limit, run on the heavy
/// pool for a GET that answered [`TO_POOL`].
pub(crate) fn get_paged(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let key = arg(argv, 1);
    match live(store, key, ctx.now_ms)? {
        None => Ok(Reply::Nil),
        Some(r) => {
            check_string(&r)?;
            Ok(Reply::Bulk(value(store, key, &r)?))
        }
    }
}

pub(crate) fn mget(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    // One failed read fails the whole MGET: a nil in its place would claim
    // the key is absent.
    let keys = argv.get(1..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(match live(store, k, ctx.now_ms)? {
            Some(r) if check_string(&r).is_ok() && r.paged => Reply::Bulk(value(store, k, &r)?),
            Some(r) if check_string(&r).is_ok() => Reply::Bulk(r.value),
            _ => Reply::Nil,
        });
    }
    Ok(Reply::Array(out))
}

pub(crate) fn strlen(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    match live(store, arg(argv, 1), ctx.now_ms)? {
        None => Ok(Reply::Integer(0)),
        Some(r) => {
            check_string(&r)?;
            Ok(Reply::Integer(pages::len(arg(argv, 1), &r)? as i64))
        }
    }
}

pub(crate) fn getrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range(argv, ctx.now_ms, store)
}

/// SUBSTR: GETRANGE's old name.
pub(crate) fn substr(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range(argv, ctx.now_ms, store)
}

/// GETRANGE's `start..end` (end exclusive) in a string of `len` bytes:
/// negative indexes from the end, clamped; `None` when empty.
fn clamp_range(len: u64, start: i64, end: i64) -> Option<(u64, u64)> {
    let len = i128::from(len);
    let (mut start, mut end) = (i128::from(start), i128::from(end));
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    // 0 <= start <= end < len here, so both fit u64.
    Some((start as u64, end as u64 + 1))
}

fn range(argv: &[Bytes], now: u64, store: &dyn Store) -> R {
    let start = int_arg(argv, 2)?;
    let end = int_arg(argv, 3)?;
    let key = arg(argv, 1);
    let Some(rec) = live(store, key, now)? else {
        return Ok(Reply::Bulk(Bytes::new()));
    };
    check_string(&rec)?;
    Ok(Reply::Bulk(
        match clamp_range(pages::len(key, &rec)?, start, end) {
            Some((s, e)) => pages::range(store, key, &rec, s, e)?,
            None => Bytes::new(),
        },
    ))
}

/// GETRANGE's and SUBSTR's heavy-read estimate: the pages of a paged
/// string the range covers (0 for an inline one: it is in its record).
pub(crate) fn size_range(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let key = arg(argv, 1);
    let Some(rec) = live(store, key, ctx.now_ms)? else {
        return Ok(0);
    };
    if !rec.paged || check_string(&rec).is_err() {
        return Ok(0);
    }
    let (Some(s), Some(e)) = (parse_i64(arg(argv, 2)), parse_i64(arg(argv, 3))) else {
        return Ok(0);
    };
    match clamp_range(pages::len(key, &rec)?, s, e) {
        Some((s, e)) => pages::pages_in(key, &rec, s, e),
        None => Ok(0),
    }
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("get", Handler::Read(get)),
    ("corekv.getpaged", Handler::Read(get_paged)),
    ("mget", Handler::Read(mget)),
    ("strlen", Handler::Read(strlen)),
    ("getrange", Handler::Read(getrange)),
    ("substr", Handler::Read(substr)),
    ("set", write(Some(precheck_set), set)),
    ("setnx", write(None, setnx)),
    ("setex", write(Some(precheck_setex), setex)),
    ("psetex", write(Some(precheck_psetex), psetex)),
    ("getset", write(None, getset)),
    ("getdel", write(None, getdel)),
    ("getex", write(Some(precheck_getex), getex)),
    ("mset", write(Some(precheck_mset), mset)),
    ("msetnx", write(Some(precheck_msetnx), msetnx)),
    ("incr", write(None, incr)),
    ("decr", write(None, decr)),
    ("incrby", write(Some(precheck_incrby), incrby)),
    ("decrby", write(Some(precheck_decrby), decrby)),
    (
        "incrbyfloat",
        write(Some(precheck_incrbyfloat), incrbyfloat),
    ),
    ("append", write(None, append)),
    ("setrange", write(Some(precheck_setrange), setrange)),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::{MemStore, Reply, Store};

    fn ttl(s: &mut MemStore) -> Reply {
        run(s, &["PTTL", "k"])
    }

    #[test]
    fn set_get_basic_and_options() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["GET", "k"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("v"));
        assert_eq!(run(&mut s, &["SET", "k", "w", "NX"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SET", "k", "w", "XX"]), ok());
        assert_eq!(run(&mut s, &["SET", "n", "w", "XX"]), Reply::Nil);
        assert_eq!(run(&mut s, &["GET", "n"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SET", "k", "x", "GET"]), bulk("w"));
        assert_eq!(run(&mut s, &["SET", "n", "x", "GET"]), Reply::Nil);
        assert_eq!(run(&mut s, &["SET", "n", "y", "NX", "GET"]), bulk("x"));
        assert_eq!(run(&mut s, &["GET", "n"]), bulk("x"));
        assert_eq!(run(&mut s, &["SET", "m", "y", "NX", "GET"]), Reply::Nil);
        assert_eq!(run(&mut s, &["GET", "m"]), bulk("y"));
        assert_eq!(run(&mut s, &["SET", "z", "y", "XX", "GET"]), Reply::Nil);
        assert_eq!(run(&mut s, &["GET", "z"]), Reply::Nil);
    }

    #[test]
    fn set_expiry_options() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "k", "v", "EX", "10"]), ok());
        assert_eq!(ttl(&mut s), int(10_000));
        assert_eq!(run(&mut s, &["SET", "k", "v", "px", "1500"]), ok());
        assert_eq!(ttl(&mut s), int(1500));
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "EX", "5", "EX", "7"]),
            ok(),
            "same kind may repeat"
        );
        assert_eq!(ttl(&mut s), int(7000));
        assert_eq!(run(&mut s, &["SET", "k", "w", "KEEPTTL"]), ok());
        assert_eq!(ttl(&mut s), int(7000));
        assert_eq!(run(&mut s, &["SET", "k", "w"]), ok());
        assert_eq!(ttl(&mut s), int(-1), "plain SET clears the TTL");
        let at = (NOW / 1000 + 100).to_string();
        assert_eq!(run(&mut s, &["SET", "k", "v", "EXAT", &at]), ok());
        assert_eq!(run(&mut s, &["TTL", "k"]), int(100));
        let pat = (NOW + 2500).to_string();
        assert_eq!(run(&mut s, &["SET", "k", "v", "PXAT", &pat]), ok());
        assert_eq!(ttl(&mut s), int(2500));
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "PXAT", "1"]),
            ok(),
            "past absolute time is accepted"
        );
        assert_eq!(run(&mut s, &["GET", "k"]), Reply::Nil);
        assert_eq!(s.get(b"k"), Ok(None));
        // Lazy expiry.
        assert_eq!(run(&mut s, &["SET", "k", "v", "PX", "100"]), ok());
        assert_eq!(run_at(&mut s, NOW + 99, &["GET", "k"]), bulk("v"));
        assert_eq!(run_at(&mut s, NOW + 100, &["GET", "k"]), Reply::Nil);
        assert_eq!(run_at(&mut s, NOW + 100, &["SET", "k", "w", "NX"]), ok());
    }

    #[test]
    fn set_errors() {
        let mut s = MemStore::new();
        let syn = err("ERR syntax error");
        for bad in [
            &["SET", "k", "v", "NX", "XX"][..],
            &["SET", "k", "v", "XX", "NX"],
            &["SET", "k", "v", "EX", "10", "PX", "10"],
            &["SET", "k", "v", "EX", "10", "KEEPTTL"],
            &["SET", "k", "v", "KEEPTTL", "EXAT", "10"],
            &["SET", "k", "v", "EX"],
            &["SET", "k", "v", "PERSIST"],
            &["SET", "k", "v", "FOO"],
            &["SET", "k", "v", "EXAT", "1", "PXAT", "1"],
        ] {
            assert_eq!(run(&mut s, bad), syn, "{bad:?}");
        }
        let inv = err("ERR invalid expire time in 'set' command");
        assert_eq!(run(&mut s, &["SET", "k", "v", "EX", "0"]), inv);
        assert_eq!(run(&mut s, &["SET", "k", "v", "PX", "-1"]), inv);
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "EX", "9223372036854775"]),
            inv
        );
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "PX", "9223372036854775807"]),
            inv,
            "now + px overflows"
        );
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "EX", "1x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "EX", "+1"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["SET", "k", "v", "PXAT", "9223372036854775807"]),
            ok()
        );
        assert!(s.is_empty() || run(&mut s, &["GET", "k"]) == bulk("v"));
    }

    #[test]
    fn setnx_setex_psetex_getset_getdel() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SETNX", "k", "a"]), int(1));
        assert_eq!(run(&mut s, &["SETNX", "k", "b"]), int(0));
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("a"));
        assert_eq!(run(&mut s, &["SETEX", "k", "5", "b"]), ok());
        assert_eq!(ttl(&mut s), int(5000));
        assert_eq!(run(&mut s, &["PSETEX", "k", "5", "c"]), ok());
        assert_eq!(ttl(&mut s), int(5));
        assert_eq!(
            run(&mut s, &["SETEX", "k", "0", "b"]),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            run(&mut s, &["PSETEX", "k", "-5", "b"]),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(
            run(&mut s, &["SETEX", "k", "x", "b"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(run(&mut s, &["GETSET", "k", "d"]), bulk("c"));
        assert_eq!(ttl(&mut s), int(-1));
        assert_eq!(run(&mut s, &["GETSET", "new", "d"]), Reply::Nil);
        assert_eq!(run(&mut s, &["GETDEL", "k"]), bulk("d"));
        assert_eq!(run(&mut s, &["GETDEL", "k"]), Reply::Nil);
        assert_eq!(run(&mut s, &["EXISTS", "k"]), int(0));
    }

    #[test]
    fn getex() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["GETEX", "k"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["GETEX", "k", "EX", "abc"]),
            Reply::Nil,
            "missing key wins over bad value"
        );
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert_eq!(
            run(&mut s, &["GETEX", "k", "EX", "abc"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["GETEX", "k", "EX", "0"]),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(run(&mut s, &["GETEX", "k", "EX", "10"]), bulk("v"));
        assert_eq!(ttl(&mut s), int(10_000));
        assert_eq!(run(&mut s, &["GETEX", "k"]), bulk("v"));
        assert_eq!(ttl(&mut s), int(10_000));
        assert_eq!(run(&mut s, &["GETEX", "k", "PERSIST"]), bulk("v"));
        assert_eq!(ttl(&mut s), int(-1));
        assert_eq!(
            run(&mut s, &["GETEX", "k", "PX", "20", "PX", "30"]),
            bulk("v")
        );
        assert_eq!(ttl(&mut s), int(30));
        for bad in [
            &["GETEX", "k", "PERSIST", "EX", "1"][..],
            &["GETEX", "k", "EX", "1", "PERSIST"],
            &["GETEX", "k", "KEEPTTL"],
            &["GETEX", "k", "NX"],
            &["GETEX", "k", "GET"],
            &["GETEX", "k", "EX"],
            &["GETEX", "k", "EX", "1", "PXAT", "1"],
        ] {
            assert_eq!(run(&mut s, bad), err("ERR syntax error"), "{bad:?}");
        }
        assert_eq!(
            run(&mut s, &["GETEX", "k", "EXAT", "1"]),
            bulk("v"),
            "past time deletes after replying"
        );
        assert_eq!(run(&mut s, &["EXISTS", "k"]), int(0));
    }

    #[test]
    fn mset_msetnx_mget() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["MSET", "a", "1", "b", "2"]), ok());
        assert_eq!(
            run(&mut s, &["MSET", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(
            run(&mut s, &["MGET", "a", "x", "b", "a"]),
            Reply::Array(vec![bulk("1"), Reply::Nil, bulk("2"), bulk("1")])
        );
        assert_eq!(run(&mut s, &["MSETNX", "a", "9", "c", "3"]), int(0));
        assert_eq!(run(&mut s, &["GET", "c"]), Reply::Nil);
        assert_eq!(run(&mut s, &["MSETNX", "c", "3", "d", "4"]), int(1));
        assert_eq!(
            run(&mut s, &["MGET", "c", "d"]),
            Reply::Array(vec![bulk("3"), bulk("4")])
        );
        assert_eq!(
            run(&mut s, &["MSETNX", "c", "3", "d"]),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(run(&mut s, &["MSET", "e", "1", "e", "2"]), ok());
        assert_eq!(run(&mut s, &["GET", "e"]), bulk("2"));
    }

    #[test]
    fn incr_family() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["INCR", "n"]), int(1));
        assert_eq!(run(&mut s, &["INCRBY", "n", "10"]), int(11));
        assert_eq!(run(&mut s, &["DECR", "n"]), int(10));
        assert_eq!(run(&mut s, &["DECRBY", "n", "-5"]), int(15));
        assert_eq!(run(&mut s, &["GET", "n"]), bulk("15"));
        assert_eq!(
            run(&mut s, &["INCRBY", "n", "1.5"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["DECRBY", "n", "-9223372036854775808"]),
            err("ERR decrement would overflow")
        );
        assert_eq!(run(&mut s, &["SET", "n", "9223372036854775807"]), ok());
        assert_eq!(
            run(&mut s, &["INCR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(run(&mut s, &["SET", "n", "-9223372036854775808"]), ok());
        assert_eq!(
            run(&mut s, &["DECR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        for bad in ["abc", " 1", "01", "+1", "1.0", ""] {
            assert_eq!(run(&mut s, &["SET", "n", bad]), ok());
            assert_eq!(
                run(&mut s, &["INCR", "n"]),
                err("ERR value is not an integer or out of range"),
                "{bad:?}"
            );
        }
        assert_eq!(run(&mut s, &["SET", "n", "5", "EX", "100"]), ok());
        assert_eq!(run(&mut s, &["INCR", "n"]), int(6));
        assert_eq!(
            run(&mut s, &["PTTL", "n"]),
            int(100_000),
            "INCR keeps the TTL"
        );
        assert_eq!(
            run_at(&mut s, NOW + 100_000, &["INCR", "n"]),
            int(1),
            "expired counter restarts"
        );
    }

    #[test]
    fn incrbyfloat() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["INCRBYFLOAT", "f", "10.5"]), bulk("10.5"));
        assert_eq!(run(&mut s, &["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
        assert_eq!(run(&mut s, &["SET", "f", "5.0e3"]), ok());
        assert_eq!(run(&mut s, &["INCRBYFLOAT", "f", "0"]), bulk("5000"));
        assert_eq!(run(&mut s, &["INCRBYFLOAT", "f", "-5000"]), bulk("0"));
        assert_eq!(
            run(&mut s, &["INCRBYFLOAT", "f", "abc"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            run(&mut s, &["INCRBYFLOAT", "f", "inf"]),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(
            run(&mut s, &["INCRBYFLOAT", "f", "nan"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(run(&mut s, &["SET", "f", "x"]), ok());
        assert_eq!(
            run(&mut s, &["INCRBYFLOAT", "f", "1"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(run(&mut s, &["SET", "f", "3", "EX", "9"]), ok());
        assert_eq!(run(&mut s, &["INCRBYFLOAT", "f", "1.25"]), bulk("4.25"));
        assert_eq!(run(&mut s, &["TTL", "f"]), int(9));
    }

    #[test]
    fn append_setrange_strlen_getrange() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["APPEND", "k", "Hello"]), int(5));
        assert_eq!(run(&mut s, &["APPEND", "k", " World"]), int(11));
        assert_eq!(run(&mut s, &["STRLEN", "k"]), int(11));
        assert_eq!(run(&mut s, &["STRLEN", "nope"]), int(0));
        assert_eq!(run(&mut s, &["SETRANGE", "k", "6", "Redis"]), int(11));
        assert_eq!(run(&mut s, &["GET", "k"]), bulk("Hello Redis"));
        assert_eq!(run(&mut s, &["SETRANGE", "z", "3", "ab"]), int(5));
        assert_eq!(
            run(&mut s, &["GET", "z"]),
            Reply::Bulk(bytes::Bytes::from_static(b"\0\0\0ab"))
        );
        assert_eq!(run(&mut s, &["SETRANGE", "e", "10", ""]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "e"]), int(0));
        assert_eq!(run(&mut s, &["SETRANGE", "k", "100", ""]), int(11));
        assert_eq!(
            run(&mut s, &["SETRANGE", "k", "-1", "x"]),
            err("ERR offset is out of range")
        );
        assert_eq!(
            run(&mut s, &["SETRANGE", "k", "a", "x"]),
            err("ERR value is not an integer or out of range")
        );
        let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(run(&mut s, &["SETRANGE", "k", "536870912", "x"]), too_long);
        assert_eq!(run(&mut s, &["SETRANGE", "k", "536870911", ""]), int(11));

        assert_eq!(run(&mut s, &["SET", "s", "This is a string"]), ok());
        for (a, b, want) in [
            ("0", "3", "This"),
            ("-3", "-1", "ing"),
            ("0", "-1", "This is a string"),
            ("10", "100", "string"),
            ("5", "3", ""),
            ("-1", "-5", ""),
            ("-100", "2", "Thi"),
            (
                "-9223372036854775808",
                "9223372036854775807",
                "This is a string",
            ),
            ("100", "200", ""),
        ] {
            assert_eq!(run(&mut s, &["GETRANGE", "s", a, b]), bulk(want), "{a} {b}");
        }
        assert_eq!(run(&mut s, &["SUBSTR", "s", "0", "3"]), bulk("This"));
        assert_eq!(run(&mut s, &["GETRANGE", "nope", "0", "3"]), bulk(""));
        assert_eq!(
            run(&mut s, &["GETRANGE", "nope", "x", "3"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(run(&mut s, &["SET", "empty", ""]), ok());
        assert_eq!(run(&mut s, &["GETRANGE", "empty", "0", "-1"]), bulk(""));
        // APPEND keeps the TTL.
        assert_eq!(run(&mut s, &["SET", "t", "a", "EX", "50"]), ok());
        assert_eq!(run(&mut s, &["APPEND", "t", "b"]), int(2));
        assert_eq!(run(&mut s, &["TTL", "t"]), int(50));
    }
}
