//! The bitmap family: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
//! BITFIELD_RO, a port of Redis 7.0.15's bitops.c (same argument checks in
//! the same order, same replies). Bitmaps are strings; a big one is paged
//! (`cmd::pages`), so SETBIT and GETBIT touch one page and BITCOUNT/BITPOS
//! read only the pages in their range.

use super::num::parse_i64;
use super::pages::{self, Editor, PAGE};
use super::{Ctx, MAX_STRING_BYTES, R, arg, check_string, is_opt, live};
use crate::Reply;
use crate::errors;
use crate::notify::{GENERIC, STRING};
use crate::store::{Record, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT: &str = "ERR BITOP NOT must be called with a single source key.";
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const BAD_OVERFLOW: &str = "ERR Invalid OVERFLOW type specified";
const RO_GET_ONLY: &str = "ERR BITFIELD_RO only supports the GET subcommand";

fn err(text: &str) -> Reply {
    errors::err(text)
}

/// `getBitOffsetFromArgument`: a bit offset below 2^32 (512 MB of
/// bytes); with `bits > 0`, `#n` means `n * bits` (BITFIELD).
fn bit_offset(a: &[u8], bits: u64) -> Result<u64, Reply> {
    let hash = bits > 0 && a.first() == Some(&b'#');
    let digits = if hash { a.get(1..).unwrap_or(&[]) } else { a };
    let mut off = parse_i64(digits).ok_or_else(|| err(BAD_OFFSET))?;
    if hash {
        // C multiplies without an overflow check; wrapping is what it does.
        off = off.wrapping_mul(bits as i64);
    }
    match u64::try_from(off) {
        Ok(o) if (o >> 3) < MAX_STRING_BYTES => Ok(o),
        _ => Err(err(BAD_OFFSET)),
    }
}

/// SETBIT's value: `getLongFromObjectOrReply` with its own text, then 0 or 1.
fn bit_value(a: &[u8]) -> Result<bool, Reply> {
    match parse_i64(a) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(err(BAD_BIT)),
    }
}

fn long_arg(argv: &[Bytes], i: usize) -> Result<i64, Reply> {
    parse_i64(arg(argv, i)).ok_or_else(|| errors::err(errors::NOT_INTEGER))
}

/// The live string at `key` for a read (WRONGTYPE for another type).
fn string_at(store: &dyn Store, key: &[u8], now: u64) -> Result<Option<Record>, Reply> {
    let rec = live(store, key, now)?;
    if let Some(r) = &rec {
        check_string(r)?;
    }
    Ok(rec)
}

// ---- SETBIT / GETBIT ----

pub(crate) fn precheck_setbit(argv: &[Bytes]) -> Result<(), Reply> {
    bit_offset(arg(argv, 2), 0)?;
    bit_value(arg(argv, 3)).map(drop)
}

/// `setbitCommand`: grows the string to reach the bit, writes the one page
/// holding it, answers the bit's old value.
pub(crate) fn setbit(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let off = bit_offset(arg(argv, 2), 0)?;
    let on = bit_value(arg(argv, 3))?;
    let key = arg(argv, 1);
    let mut e = Editor::open(store, key, ctx.now_ms)?;
    let byte = off >> 3;
    let grew = e.len() <= byte;
    e.grow(store, key, byte + 1);
    let mut b = [0u8; 1];
    e.read(store, byte, &mut b)?;
    let mask = 1u8 << (7 - (off & 7));
    let old = b[0] & mask != 0;
    if grew || old != on {
        b[0] = if on { b[0] | mask } else { b[0] & !mask };
        e.write(store, key, byte, &b)?;
        e.save(store, key, ctx.now_ms)?;
        store.notify(STRING, "setbit", key);
    }
    Ok(Reply::Integer(i64::from(old)))
}

pub(crate) fn getbit(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let off = bit_offset(arg(argv, 2), 0)?;
    let key = arg(argv, 1);
    let Some(rec) = string_at(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let byte = off >> 3;
    let b = pages::range(store, key, &rec, byte, byte + 1)?;
    let bit = b.first().is_some_and(|v| v & (1 << (7 - (off & 7))) != 0);
    Ok(Reply::Integer(i64::from(bit)))
}

// ---- BITCOUNT / BITPOS ----

/// A byte range `start..=end` with the bits outside a BIT range masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
    /// Bits of the first byte before the range (`first_byte_neg_mask`).
    first_mask: u8,
    /// Bits of the last byte after the range (`last_byte_neg_mask`).
    last_mask: u8,
}

/// BITCOUNT's and BITPOS's index arithmetic: negative indexes from the
/// end, clamped; BIT ranges become bytes plus edge masks. `None`: empty.
fn span(totlen: u64, start: i64, end: i64, isbit: bool) -> Option<Span> {
    let totlen = i128::from(totlen) * if isbit { 8 } else { 1 };
    let (mut s, mut e) = (i128::from(start), i128::from(end));
    if s < 0 {
        s += totlen;
    }
    if e < 0 {
        e += totlen;
    }
    s = s.max(0);
    e = e.max(0);
    if e >= totlen {
        e = totlen - 1;
    }
    if s > e {
        return None;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if isbit {
        first_mask = !((1u16 << (8 - (s & 7))) - 1) as u8;
        last_mask = ((1u16 << (7 - (e & 7))) - 1) as u8;
        s >>= 3;
        e >>= 3;
    }
    Some(Span {
        start: u64::try_from(s).ok()?,
        end: u64::try_from(e).ok()?,
        first_mask,
        last_mask,
    })
}

/// Set bits in `b`, a word at a time.
fn popcount(b: &[u8]) -> u64 {
    let mut words = b.chunks_exact(8);
    let mut n: u64 = words
        .by_ref()
        .map(|w| u64::from(u64::from_ne_bytes(w.try_into().unwrap_or([0; 8])).count_ones()))
        .sum();
    n += words
        .remainder()
        .iter()
        .map(|x| u64::from(x.count_ones()))
        .sum::<u64>();
    n
}

/// `bitcountCommand`: the key first (missing → 0, WRONGTYPE), then the
/// range arguments.
pub(crate) fn bitcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(rec) = string_at(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let strlen = pages::len(key, &rec)?;
    let sp = match argv.len() {
        4 | 5 => {
            let start = long_arg(argv, 2)?;
            let end = long_arg(argv, 3)?;
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            let isbit = unit(argv, 4)?;
            span(strlen, start, end, isbit)
        }
        2 => span(strlen, 0, -1, false),
        _ => return Err(errors::err(errors::SYNTAX)),
    };
    let Some(sp) = sp else {
        return Ok(Reply::Integer(0));
    };
    let (mut count, mut first, mut last, mut seen) = (0u64, 0u8, 0u8, 0u64);
    pages::visit(store, key, &rec, sp.start, sp.end + 1, &mut |chunk| {
        if seen == 0
            && let Some(&b) = chunk.first()
        {
            first = b;
        }
        if let Some(&b) = chunk.last() {
            last = b;
        }
        seen += chunk.len() as u64;
        if !pages::is_missing(chunk) {
            count += popcount(chunk);
        }
        true
    })?;
    // Bits of the edge bytes outside a BIT range were counted: take them
    // off (Redis's `firstlast` trick).
    count -= u64::from((first & sp.first_mask).count_ones());
    count -= u64::from((last & sp.last_mask).count_ones());
    Ok(Reply::Integer(count as i64))
}

/// The optional BYTE|BIT argument at `i`.
fn unit(argv: &[Bytes], i: usize) -> Result<bool, Reply> {
    match argv.get(i) {
        None => Ok(false),
        Some(a) if is_opt(a, "bit") => Ok(true),
        Some(a) if is_opt(a, "byte") => Ok(false),
        Some(_) => Err(errors::err(errors::SYNTAX)),
    }
}

/// `bitposCommand`.
pub(crate) fn bitpos(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let bit = long_arg(argv, 2)?;
    if bit != 0 && bit != 1 {
        return Err(err(BITPOS_BIT));
    }
    let want = bit == 1;
    let key = arg(argv, 1);
    // A missing key is an infinite run of zeros.
    let Some(rec) = string_at(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(if want { -1 } else { 0 }));
    };
    let strlen = pages::len(key, &rec)?;
    let mut end_given = false;
    let sp = match argv.len() {
        4..=6 => {
            let start = long_arg(argv, 3)?;
            let isbit = unit(argv, 5)?;
            let end = if argv.len() >= 5 {
                end_given = true;
                long_arg(argv, 4)?
            } else {
                // `isbit` is false here: BIT needs an end.
                i64::try_from(strlen).unwrap_or(i64::MAX) - 1
            };
            span(strlen, start, end, isbit)
        }
        3 => span(strlen, 0, -1, false),
        _ => return Err(errors::err(errors::SYNTAX)),
    };
    // An empty range holds neither a 0 nor a 1.
    let Some(sp) = sp else {
        return Ok(Reply::Integer(-1));
    };
    let bytes = sp.end - sp.start + 1;
    // The first `want` bit of the range, with the bits outside a BIT range
    // forced to the other value (what Redis's three-piece search with
    // `redisBitpos` finds).
    let skip = if want { 0u8 } else { 0xff };
    let mut idx = 0u64;
    let mut found: Option<u64> = None;
    pages::visit(store, key, &rec, sp.start, sp.end + 1, &mut |chunk| {
        let mut check = |i: u64, mut b: u8| -> bool {
            if i == 0 {
                b = if want {
                    b & !sp.first_mask
                } else {
                    b | sp.first_mask
                };
            }
            if i == bytes - 1 {
                b = if want {
                    b & !sp.last_mask
                } else {
                    b | sp.last_mask
                };
            }
            if b != skip {
                let lead = if want { b } else { !b }.leading_zeros();
                found = Some(i * 8 + u64::from(lead));
                return true;
            }
            false
        };
        let n = chunk.len();
        // Edge bytes one by one (masks), the middle by a plain search.
        let mut j = 0usize;
        while j < n {
            let i = idx + j as u64;
            let b = chunk.get(j).copied().unwrap_or(skip);
            if i == 0 || i == bytes - 1 {
                if check(i, b) {
                    return false;
                }
                j += 1;
                continue;
            }
            // 0 < i < bytes - 1: search up to the range's last byte.
            let stop = ((bytes - 1 - idx) as usize).min(n);
            let hit = if want && pages::is_missing(chunk) {
                None
            } else {
                chunk.get(j..stop).and_then(|m| first_not(m, skip))
            };
            match hit {
                Some(p) => {
                    let b = chunk.get(j + p).copied().unwrap_or(skip);
                    check(idx + (j + p) as u64, b);
                    return false;
                }
                None => j = stop,
            }
        }
        let n = n as u64;
        idx += n;
        true
    })?;
    let pos = match found {
        Some(p) => p,
        // No 1 in the range; no 0 either: the string is zero-padded on
        // the right, unless the caller gave the end.
        None if want => return Ok(Reply::Integer(-1)),
        None if end_given => return Ok(Reply::Integer(-1)),
        None => bytes * 8,
    };
    Ok(Reply::Integer((pos + sp.start * 8) as i64))
}

/// The index of the first byte of `m` that is not `skip`, a word at a
/// time (`redisBitpos`'s word loop).
fn first_not(m: &[u8], skip: u8) -> Option<usize> {
    let word = u64::from_ne_bytes([skip; 8]);
    let mut words = m.chunks_exact(8);
    let mut base = 0usize;
    for w in words.by_ref() {
        if u64::from_ne_bytes(w.try_into().unwrap_or([skip; 8])) != word {
            break;
        }
        base += 8;
    }
    m.get(base..)?
        .iter()
        .position(|&x| x != skip)
        .map(|p| base + p)
}

/// Heavy-read estimate of BITCOUNT and BITPOS: the pages their range
/// covers (0 for an inline string, a missing key or bad arguments).
fn range_pages(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    first: usize,
) -> Result<u64, StoreError> {
    let key = arg(argv, 1);
    let Some(rec) = live(store, key, ctx.now_ms)? else {
        return Ok(0);
    };
    if !rec.paged || check_string(&rec).is_err() {
        return Ok(0);
    }
    let strlen = pages::len(key, &rec)?;
    let num = |i: usize| argv.get(i).map(|a| parse_i64(a));
    let isbit = argv.get(first + 2).is_some_and(|a| is_opt(a, "bit"));
    let (start, end) = match (num(first), num(first + 1)) {
        (None, _) => (0, -1),
        (Some(Some(s)), None) => (s, -1),
        (Some(Some(s)), Some(Some(e))) => (s, e),
        _ => return Ok(0),
    };
    Ok(match span(strlen, start, end, isbit) {
        Some(sp) => pages::pages_in(key, &rec, sp.start, sp.end + 1)?,
        None => 0,
    })
}

pub(crate) fn size_bitcount(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, StoreError> {
    range_pages(argv, ctx, store, 2)
}

pub(crate) fn size_bitpos(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    range_pages(argv, ctx, store, 3)
}

// ---- BITOP ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn bitop_op(argv: &[Bytes]) -> Result<Op, Reply> {
    let name = arg(argv, 1);
    let op = if is_opt(name, "and") {
        Op::And
    } else if is_opt(name, "or") {
        Op::Or
    } else if is_opt(name, "xor") {
        Op::Xor
    } else if is_opt(name, "not") {
        Op::Not
    } else {
        return Err(errors::err(errors::SYNTAX));
    };
    if op == Op::Not && argv.len() != 4 {
        return Err(err(BITOP_NOT));
    }
    Ok(op)
}

pub(crate) fn precheck_bitop(argv: &[Bytes]) -> Result<(), Reply> {
    bitop_op(argv).map(drop)
}

/// Bytes of BITOP's result computed at a time: a multiple of the page, so
/// a paged result is written page by page without holding it whole.
const BITOP_WINDOW: u64 = 64 * PAGE;

/// `bitopCommand`: missing sources are empty strings, the result is as
/// long as the longest source (shorter ones zero-padded), an empty result
/// deletes the destination; answers the result's length.
pub(crate) fn bitop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let op = bitop_op(argv)?;
    let dest = arg(argv, 2);
    let mut srcs: Vec<(&[u8], Option<Record>, u64)> = Vec::new();
    let mut maxlen = 0u64;
    for k in argv.get(3..).unwrap_or(&[]) {
        let rec = string_at(store, k, ctx.now_ms)?;
        let len = match &rec {
            Some(r) => pages::len(k, r)?,
            None => 0,
        };
        maxlen = maxlen.max(len);
        srcs.push((&k[..], rec, len));
    }
    if maxlen == 0 {
        if live(store, dest, ctx.now_ms)?.is_some() {
            store.delete(dest)?;
            store.notify(GENERIC, "del", dest);
        }
        return Ok(Reply::Integer(0));
    }
    let mut out = pages::Fresh::new(store, dest, maxlen);
    let mut at = 0u64;
    while at < maxlen {
        let to = (at + BITOP_WINDOW).min(maxlen);
        let width = (to - at) as usize;
        let mut res = vec![0u8; width];
        for (i, (k, rec, _)) in srcs.iter().enumerate() {
            let mut buf = vec![0u8; width];
            if let Some(r) = rec {
                let mut pos = 0usize;
                pages::visit(&*store, k, r, at, to, &mut |s| {
                    if let Some(d) = buf.get_mut(pos..pos + s.len()) {
                        d.copy_from_slice(s);
                    }
                    pos += s.len();
                    true
                })?;
            }
            if i == 0 {
                res = buf;
                if op == Op::Not {
                    res.iter_mut().for_each(|b| *b = !*b);
                }
                continue;
            }
            let pairs = res.iter_mut().zip(buf.iter());
            match op {
                Op::And => pairs.for_each(|(o, b)| *o &= b),
                Op::Or => pairs.for_each(|(o, b)| *o |= b),
                Op::Xor => pairs.for_each(|(o, b)| *o ^= b),
                Op::Not => {}
            }
        }
        out.push(store, &res);
        at = to;
    }
    out.finish(store, dest, ctx.now_ms)?;
    store.notify(STRING, "set", dest);
    Ok(Reply::Integer(maxlen as i64))
}

// ---- BITFIELD / BITFIELD_RO ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set,
    Incrby,
}

#[derive(Debug, Clone, Copy)]
struct Field {
    op: FieldOp,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
    bits: u64,
    signed: bool,
}

/// `getBitfieldTypeFromArgument`: `i1`..`i64`, `u1`..`u63`.
fn field_type(a: &[u8]) -> Result<(bool, u64), Reply> {
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err(BAD_TYPE)),
    };
    // C reads the rest as a C string: up to a NUL byte.
    let rest = a.get(1..).unwrap_or(&[]);
    let rest = rest.split(|&b| b == 0).next().unwrap_or(&[]);
    match parse_i64(rest) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u64)),
        _ => Err(err(BAD_TYPE)),
    }
}

/// `bitfieldGeneric`'s argument loop: every op, whether any writes, and
/// the highest bit a write reaches.
fn parse_fields(argv: &[Bytes]) -> Result<(Vec<Field>, bool, u64), Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest = 0u64;
    let mut j = 2;
    while j < argv.len() {
        let rem = argv.len() - j - 1;
        let sub = arg(argv, j);
        let op = if is_opt(sub, "get") && rem >= 2 {
            FieldOp::Get
        } else if is_opt(sub, "set") && rem >= 3 {
            FieldOp::Set
        } else if is_opt(sub, "incrby") && rem >= 3 {
            FieldOp::Incrby
        } else if is_opt(sub, "overflow") && rem >= 1 {
            let t = arg(argv, j + 1);
            overflow = if is_opt(t, "wrap") {
                Overflow::Wrap
            } else if is_opt(t, "sat") {
                Overflow::Sat
            } else if is_opt(t, "fail") {
                Overflow::Fail
            } else {
                return Err(err(BAD_OVERFLOW));
            };
            j += 2;
            continue;
        } else {
            return Err(errors::err(errors::SYNTAX));
        };
        let (signed, bits) = field_type(arg(argv, j + 1))?;
        let offset = bit_offset(arg(argv, j + 2), bits)?;
        let mut value = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest = highest.max(offset + bits - 1);
            value = long_arg(argv, j + 3)?;
        }
        ops.push(Field {
            op,
            offset,
            value,
            overflow,
            bits,
            signed,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok((ops, readonly, highest))
}

pub(crate) fn precheck_bitfield(argv: &[Bytes]) -> Result<(), Reply> {
    parse_fields(argv).map(drop)
}

/// `getUnsignedBitfield` over `p`, bit `offset` from its start.
fn get_unsigned(p: &[u8], offset: u64, bits: u64) -> u64 {
    let mut v = 0u64;
    for o in offset..offset + bits {
        let byte = p.get((o >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | u64::from((byte >> (7 - (o & 7))) & 1);
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u64) -> i64 {
    let mut v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

/// `setUnsignedBitfield`.
fn set_unsigned(p: &mut [u8], offset: u64, bits: u64, value: u64) {
    for j in 0..bits {
        let o = offset + j;
        let on = value & (1u64 << (bits - 1 - j)) != 0;
        if let Some(b) = p.get_mut((o >> 3) as usize) {
            let m = 1u8 << (7 - (o & 7));
            *b = if on { *b | m } else { *b & !m };
        }
    }
}

/// `checkUnsignedBitfieldOverflow`: 0, 1 (overflow) or -1 (underflow),
/// and the value WRAP or SAT stores instead.
fn unsigned_overflow(value: u64, incr: i64, bits: u64, ow: Overflow) -> (i32, u64) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits >= 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > maxincr) {
        (1, if ow == Overflow::Wrap { wrap() } else { max })
    } else if incr < 0 && incr < minincr {
        (-1, if ow == Overflow::Wrap { wrap() } else { 0 })
    } else {
        (0, 0)
    }
}

/// `checkSignedBitfieldOverflow`.
fn signed_overflow(value: i64, incr: i64, bits: u64, ow: Overflow) -> (i32, i64) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let msb = 1u64 << (bits - 1);
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & msb != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        (1, if ow == Overflow::Wrap { wrap() } else { max })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        (-1, if ow == Overflow::Wrap { wrap() } else { min })
    } else {
        (0, 0)
    }
}

/// Bytes holding bits `offset .. offset + bits` (at most 9).
fn field_bytes(f: &Field) -> (u64, usize) {
    let byte = f.offset >> 3;
    let last = (f.offset + f.bits - 1) >> 3;
    (byte, (last - byte + 1) as usize)
}

/// A GET's value from the up-to-9 bytes at the field's first byte.
fn get_field(buf: &[u8; 9], f: &Field) -> i64 {
    let within = f.offset & 7;
    if f.signed {
        get_signed(buf, within, f.bits)
    } else {
        get_unsigned(buf, within, f.bits) as i64
    }
}

/// Answers only GETs: BITFIELD with no write, BITFIELD_RO.
fn bitfield_read(key: &[u8], ops: &[Field], ctx: &Ctx, store: &dyn Store) -> R {
    let rec = string_at(store, key, ctx.now_ms)?;
    let mut out = Vec::with_capacity(ops.len());
    for f in ops {
        let mut buf = [0u8; 9];
        if let Some(r) = &rec {
            let byte = f.offset >> 3;
            let b = pages::range(store, key, r, byte, byte + 9)?;
            let k = b.len().min(9);
            if let (Some(d), Some(s)) = (buf.get_mut(..k), b.get(..k)) {
                d.copy_from_slice(s);
            }
        }
        out.push(Reply::Integer(get_field(&buf, f)));
    }
    Ok(Reply::Array(out))
}

/// `bitfieldCommand`: the string grows to the farthest bit a write
/// reaches (even if every write then FAILs), the ops run in order.
pub(crate) fn bitfield(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (ops, readonly, highest) = parse_fields(argv)?;
    let key = arg(argv, 1);
    if readonly {
        return bitfield_read(key, &ops, ctx, &*store);
    }
    let mut e = Editor::open(store, key, ctx.now_ms)?;
    // Created or grown: every write counts as a change (bitfieldGeneric's
    // `dirty`), else only one that changed its field.
    let dirty = !e.existed() || e.len() <= highest >> 3;
    e.grow(store, key, (highest >> 3) + 1);
    let mut out = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for f in &ops {
        let (byte, n) = field_bytes(f);
        let mut buf = [0u8; 9];
        if let Some(b) = buf.get_mut(..n) {
            e.read(store, byte, b)?;
        }
        if f.op == FieldOp::Get {
            out.push(Reply::Integer(get_field(&buf, f)));
            continue;
        }
        let within = f.offset & 7;
        // (overflow, the reply, the value to store), as bitfieldGeneric.
        let (ov, reply, new) = if f.signed {
            let old = get_signed(&buf, within, f.bits);
            if f.op == FieldOp::Incrby {
                let (ov, lim) = signed_overflow(old, f.value, f.bits, f.overflow);
                let new = if ov != 0 {
                    lim
                } else {
                    old.wrapping_add(f.value)
                };
                (ov, new, new as u64)
            } else {
                let (ov, lim) = signed_overflow(f.value, 0, f.bits, f.overflow);
                (ov, old, if ov != 0 { lim } else { f.value } as u64)
            }
        } else {
            let old = get_unsigned(&buf, within, f.bits);
            if f.op == FieldOp::Incrby {
                let (ov, lim) = unsigned_overflow(old, f.value, f.bits, f.overflow);
                let new = if ov != 0 {
                    lim
                } else {
                    old.wrapping_add(f.value as u64)
                };
                (ov, new as i64, new)
            } else {
                let (ov, lim) = unsigned_overflow(f.value as u64, 0, f.bits, f.overflow);
                (ov, old as i64, if ov != 0 { lim } else { f.value as u64 })
            }
        };
        let fail = ov != 0 && f.overflow == Overflow::Fail;
        if fail {
            out.push(Reply::Nil);
            continue;
        }
        out.push(Reply::Integer(reply));
        let before = buf;
        set_unsigned(&mut buf, within, f.bits, new);
        if dirty || buf != before {
            changes += 1;
        }
        if buf != before
            && let Some(b) = buf.get(..n)
        {
            e.write(store, key, byte, b)?;
        }
    }
    e.save(store, key, ctx.now_ms)?;
    if changes > 0 {
        store.notify(STRING, "setbit", key);
    }
    Ok(Reply::Array(out))
}

/// `bitfieldroCommand`: GET only, checked after every argument parses.
pub(crate) fn bitfield_ro(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let (ops, readonly, _) = parse_fields(argv)?;
    if !readonly {
        return Err(err(RO_GET_ONLY));
    }
    bitfield_read(arg(argv, 1), &ops, ctx, store)
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("setbit", super::write(Some(precheck_setbit), setbit)),
    ("getbit", Handler::Read(getbit)),
    ("bitcount", Handler::Read(bitcount)),
    ("bitpos", Handler::Read(bitpos)),
    ("bitop", super::write(Some(precheck_bitop), bitop)),
    ("bitfield", super::write(Some(precheck_bitfield), bitfield)),
    ("bitfield_ro", Handler::Read(bitfield_ro)),
];

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // test data indexed by construction
mod tests {
    use super::super::testutil::*;
    use crate::store::faults::Faulty;
    use crate::{MemStore, Reply, Store};
    use bytes::Bytes;

    fn arr(items: Vec<Reply>) -> Reply {
        Reply::Array(items)
    }

    fn raw(b: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b))
    }

    fn paged(s: &MemStore, key: &str) -> bool {
        s.get(key.as_bytes())
            .ok()
            .flatten()
            .is_some_and(|r| r.paged)
    }

    #[test]
    fn setbit_getbit_and_their_errors() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SETBIT", "k", "7", "1"]), int(0));
        assert_eq!(run(&mut s, &["SETBIT", "k", "7", "1"]), int(1));
        assert_eq!(run(&mut s, &["GET", "k"]), raw(b"\x01"));
        assert_eq!(run(&mut s, &["GETBIT", "k", "7"]), int(1));
        assert_eq!(run(&mut s, &["GETBIT", "k", "6"]), int(0));
        assert_eq!(run(&mut s, &["GETBIT", "k", "100000"]), int(0));
        assert_eq!(run(&mut s, &["GETBIT", "nope", "3"]), int(0));
        assert_eq!(run(&mut s, &["SETBIT", "k", "7", "0"]), int(1));
        assert_eq!(run(&mut s, &["SETBIT", "k", "9", "0"]), int(0));
        assert_eq!(run(&mut s, &["STRLEN", "k"]), int(2), "grows even for 0");
        let off = err("ERR bit offset is not an integer or out of range");
        let bit = err("ERR bit is not an integer or out of range");
        for bad in ["-1", "x", "4294967296", "#1", " 1", "1.0"] {
            assert_eq!(run(&mut s, &["SETBIT", "k", bad, "1"]), off, "{bad}");
            assert_eq!(run(&mut s, &["GETBIT", "k", bad]), off, "{bad}");
        }
        for bad in ["2", "-1", "x", "", "01"] {
            assert_eq!(run(&mut s, &["SETBIT", "k", "1", bad]), bit, "{bad}");
        }
        // Argument errors come before the key's type.
        assert_eq!(run(&mut s, &["LPUSH", "l", "a"]), int(1));
        assert_eq!(run(&mut s, &["GETBIT", "l", "x"]), off);
        let wrong = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(run(&mut s, &["GETBIT", "l", "1"]), wrong);
        assert_eq!(run(&mut s, &["SETBIT", "l", "1", "1"]), wrong);
        // The highest offset writes one page, not 512 MB.
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SETBIT", "big", "4294967295", "1"]), int(0));
        assert_eq!(s.element_count(), 1);
        assert_eq!(run(&mut s, &["STRLEN", "big"]), int(512 * 1024 * 1024));
        assert_eq!(run(&mut s, &["GETBIT", "big", "4294967295"]), int(1));
        assert_eq!(run(&mut s, &["GETBIT", "big", "4294967294"]), int(0));
        assert_eq!(run(&mut s, &["SETBIT", "big", "4294967287", "1"]), int(0));
        assert_eq!(s.element_count(), 1, "same page");
        assert_eq!(run(&mut s, &["SETBIT", "big", "0", "1"]), int(0));
        assert_eq!(s.element_count(), 2);
        assert_eq!(
            run(&mut s, &["GETRANGE", "big", "-2", "-1"]),
            raw(b"\x01\x01")
        );
        assert_eq!(run(&mut s, &["DEL", "big"]), int(1));
        assert_eq!(s.element_count(), 0, "its pages went with it");
    }

    #[test]
    fn a_string_is_paged_past_4096_bytes() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SETBIT", "k", "32767", "1"]), int(0));
        assert!(!paged(&s, "k"), "4096 bytes stay inline");
        assert_eq!(s.element_count(), 0);
        assert_eq!(run(&mut s, &["SETBIT", "k", "32768", "1"]), int(0));
        assert!(paged(&s, "k"), "4097 bytes are paged");
        assert_eq!(run(&mut s, &["STRLEN", "k"]), int(4097));
        let mut want = vec![0u8; 4097];
        want[4095] = 1;
        want[4096] = 0x80;
        assert_eq!(run(&mut s, &["GET", "k"]), raw(&want));
        // SET replaces a paged string with an inline one.
        assert_eq!(run(&mut s, &["SET", "k", "v"]), ok());
        assert!(!paged(&s, "k"));
        assert_eq!(s.element_count(), 0);
        // A big SET stays inline until a bit or range write touches it.
        let big = "x".repeat(5000);
        assert_eq!(run(&mut s, &["SET", "k", &big]), ok());
        assert!(!paged(&s, "k"));
        assert_eq!(run(&mut s, &["SETBIT", "k", "0", "1"]), int(0));
        assert!(paged(&s, "k"));
        assert_eq!(run(&mut s, &["GETRANGE", "k", "0", "1"]), raw(b"\xf8x"));
        assert_eq!(run(&mut s, &["STRLEN", "k"]), int(5000));
    }

    #[test]
    fn bitcount_ranges_units_and_errors() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "k", "foobar"]), ok());
        for (args, want) in [
            (&[][..], 26),
            (&["0", "0"], 4),
            (&["1", "1"], 6),
            (&["1", "1", "BYTE"], 6),
            (&["5", "30", "BIT"], 17),
            (&["-2", "-1"], 7),
            (&["-1", "-2"], 0),
            (&["2", "1"], 0),
            (&["0", "100"], 26),
            (&["-100", "-1"], 26),
            (&["0", "0", "bit"], 0),
            (&["1", "1", "bit"], 1),
            (&["-1", "-1", "BIT"], 0),
            (&["-1", "-5", "foo"], 0),
        ] {
            let mut a = vec!["BITCOUNT", "k"];
            a.extend_from_slice(args);
            assert_eq!(run(&mut s, &a), int(want), "{a:?}");
        }
        let syn = err("ERR syntax error");
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0"]), syn);
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0", "1", "BIT", "x"]), syn);
        assert_eq!(run(&mut s, &["BITCOUNT", "k", "0", "1", "x"]), syn);
        assert_eq!(
            run(&mut s, &["BITCOUNT", "k", "a", "1"]),
            err("ERR value is not an integer or out of range")
        );
        // The key comes first: a missing key is 0 whatever the arguments.
        assert_eq!(run(&mut s, &["BITCOUNT", "nope", "0"]), int(0));
        assert_eq!(run(&mut s, &["BITCOUNT", "nope", "x", "y"]), int(0));
    }

    #[test]
    fn bitpos_follows_redis_including_a_given_end() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "k", "\u{0}\u{ff}\u{f0}"]), ok());
        // "\u{ff}" is two UTF-8 bytes; set raw bytes instead.
        assert_eq!(run(&mut s, &["DEL", "k"]), int(1));
        assert_eq!(run(&mut s, &["SETRANGE", "k", "0", "\0"]), int(1));
        assert_eq!(
            run(&mut s, &["BITFIELD", "k", "SET", "u16", "8", "65520"]),
            arr(vec![int(0)])
        );
        assert_eq!(run(&mut s, &["GET", "k"]), raw(b"\x00\xff\xf0"));
        for (args, want) in [
            (&["1"][..], 8),
            (&["0"], 0),
            (&["1", "2"], 16),
            (&["1", "2", "-1"], 16),
            (&["0", "1"], 20),
            (&["0", "1", "1"], -1),
            (&["0", "1", "-1"], 20),
            (&["1", "7", "15", "BIT"], 8),
            (&["0", "7", "15", "BIT"], 7),
            (&["0", "8", "15", "bit"], -1),
            (&["0", "8", "19", "BIT"], -1),
            (&["0", "8", "20", "BIT"], 20),
            (&["1", "3", "2"], -1),
            (&["1", "0", "0"], -1),
            (&["0", "3"], -1),
            (&["1", "-1", "-1", "BYTE"], 16),
        ] {
            let mut a = vec!["BITPOS", "k"];
            a.extend_from_slice(args);
            assert_eq!(run(&mut s, &a), int(want), "{a:?}");
        }
        assert_eq!(run(&mut s, &["SET", "ones", "\u{7f}"]), ok());
        assert_eq!(run(&mut s, &["SETBIT", "ones", "0", "1"]), int(0));
        assert_eq!(run(&mut s, &["BITPOS", "ones", "0"]), int(8), "zero-padded");
        assert_eq!(run(&mut s, &["BITPOS", "ones", "0", "0", "-1"]), int(-1));
        assert_eq!(run(&mut s, &["BITPOS", "nope", "1"]), int(-1));
        assert_eq!(run(&mut s, &["BITPOS", "nope", "0"]), int(0));
        assert_eq!(run(&mut s, &["SET", "e", ""]), ok());
        assert_eq!(run(&mut s, &["BITPOS", "e", "0"]), int(-1));
        assert_eq!(
            run(&mut s, &["BITPOS", "k", "2"]),
            err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(
            run(&mut s, &["BITPOS", "nope", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["BITPOS", "k", "1", "0", "1", "x"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["BITPOS", "k", "1", "0", "1", "BIT", "x"]),
            err("ERR syntax error")
        );
    }

    /// The same bytes inline (SET keeps any length inline) and paged give
    /// the same answers to every read.
    #[test]
    fn paged_and_inline_strings_answer_alike() {
        let mut s = MemStore::new();
        let mut data = vec![0u8; 3 * 4096 + 100];
        for (i, b) in data.iter_mut().enumerate() {
            if i % 1000 < 3 || (5000..5100).contains(&i) {
                *b = (i % 251) as u8 | 1;
            }
        }
        // Inline: SET keeps any length inline; write the record directly
        // (the bytes are not UTF-8 text).
        s.put(b"i", crate::Record::string(Bytes::from(data.clone()), 0))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut at = 0;
        while at < data.len() {
            let end = (at + 777).min(data.len());
            let chunk = &data[at..end];
            let _ = run_bytes(
                &mut s,
                &[b"SETRANGE", b"p", at.to_string().as_bytes(), chunk],
            );
            at = end;
        }
        assert!(paged(&s, "p") && !paged(&s, "i"));
        let ranges: &[&[&str]] = &[
            &[],
            &["0", "-1"],
            &["4095", "4096"],
            &["4000", "9000"],
            &["-5000", "-3"],
            &["100", "50"],
            &["4097", "12287", "BIT"],
            &["32760", "32790", "BIT"],
            &["-100", "-1", "BIT"],
        ];
        for r in ranges {
            let mut a = vec!["BITCOUNT", "i"];
            a.extend_from_slice(r);
            let want = run(&mut s, &a);
            a[1] = "p";
            assert_eq!(run(&mut s, &a), want, "{a:?}");
            for bit in ["0", "1"] {
                let mut a = vec!["BITPOS", "i", bit];
                a.extend_from_slice(r);
                let want = run(&mut s, &a);
                a[1] = "p";
                assert_eq!(run(&mut s, &a), want, "{a:?}");
            }
        }
        for r in [
            ["0", "-1"],
            ["4090", "4200"],
            ["-300", "-200"],
            ["8191", "8192"],
        ] {
            let want = run(&mut s, &["GETRANGE", "i", r[0], r[1]]);
            assert_eq!(run(&mut s, &["GETRANGE", "p", r[0], r[1]]), want);
        }
        for c in [
            &["GET"][..],
            &["STRLEN"],
            &["TYPE"],
            &["OBJECT", "ENCODING"],
        ] {
            let mut a = c.to_vec();
            a.push("i");
            let want = run(&mut s, &a);
            *a.last_mut().unwrap_or(&mut "") = "p";
            assert_eq!(run(&mut s, &a), want, "{c:?}");
        }
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "p"]), bulk("raw"));
        assert_eq!(run(&mut s, &["OBJECT", "REFCOUNT", "p"]), int(1));
        for off in ["0", "7", "40007", "98311", "98400"] {
            let want = run(&mut s, &["GETBIT", "i", off]);
            assert_eq!(run(&mut s, &["GETBIT", "p", off]), want, "{off}");
            let f = ["BITFIELD_RO", "i", "GET", "i64", off, "GET", "u7", off];
            let want = run(&mut s, &f);
            let mut g = f;
            g[1] = "p";
            assert_eq!(run(&mut s, &g), want, "{off}");
        }
        let wrong = err("ERR value is not an integer or out of range");
        assert_eq!(run(&mut s, &["INCR", "p"]), wrong);
        assert_eq!(run(&mut s, &["DECRBY", "p", "2"]), wrong);
        assert_eq!(
            run(&mut s, &["INCRBYFLOAT", "p", "1"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(run(&mut s, &["SET", "s", "\u{1}\u{1}\u{1}"]), ok());
        let want = run(&mut s, &["LCS", "s", "i", "IDX"]);
        assert_eq!(run(&mut s, &["LCS", "s", "p", "IDX"]), want);
    }

    /// Arguments as raw bytes (values that are not UTF-8).
    fn run_bytes(s: &mut MemStore, args: &[&[u8]]) -> Reply {
        let v: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let spec = crate::table::resolve(&v).unwrap_or_else(|e| panic!("{e:?}"));
        match spec.handler {
            crate::table::Handler::Write { precheck, .. } => {
                if let Some(Err(e)) = precheck.map(|p| p(&v)) {
                    return e;
                }
                crate::cmd::apply_write(&v, &ctx(), s)
            }
            _ => crate::cmd::read(&v, &ctx(), s),
        }
    }

    #[test]
    fn string_commands_on_a_paged_string() {
        let mut s = MemStore::new();
        let setup = |s: &mut MemStore, k: &str| {
            assert_eq!(run(s, &["SETRANGE", k, "10000", "tail"]), int(10004));
            assert_eq!(run(s, &["SETRANGE", k, "0", "head"]), int(10004));
            assert!(paged(s, k));
        };
        let mut whole = vec![0u8; 10004];
        whole[..4].copy_from_slice(b"head");
        whole[10000..].copy_from_slice(b"tail");
        setup(&mut s, "k");
        assert_eq!(run(&mut s, &["GET", "k"]), raw(&whole));
        assert_eq!(
            run(&mut s, &["MGET", "k", "x", "k"]),
            arr(vec![raw(&whole), Reply::Nil, raw(&whole)])
        );
        assert_eq!(run(&mut s, &["SUBSTR", "k", "-4", "-1"]), bulk("tail"));
        assert_eq!(run(&mut s, &["APPEND", "k", "!"]), int(10005));
        assert_eq!(
            run(&mut s, &["GETRANGE", "k", "9999", "-1"]),
            raw(b"\0tail!")
        );
        whole.push(b'!');
        // GETEX keeps the value paged and sets the TTL on the record.
        let n = s.element_count();
        assert_eq!(run(&mut s, &["GETEX", "k", "EX", "100"]), raw(&whole));
        assert!(paged(&s, "k"));
        assert_eq!(s.element_count(), n);
        assert_eq!(run(&mut s, &["TTL", "k"]), int(100));
        assert_eq!(run(&mut s, &["SETBIT", "k", "0", "1"]), int(0));
        assert_eq!(
            run(&mut s, &["TTL", "k"]),
            int(100),
            "bit writes keep the TTL"
        );
        assert!(!run(&mut s, &["GETEX", "k", "PERSIST"]).is_error());
        assert_eq!(run(&mut s, &["TTL", "k"]), int(-1));
        whole[0] |= 0x80;
        assert_eq!(run(&mut s, &["TYPE", "k"]), Reply::Simple("string".into()));
        assert_eq!(
            run(&mut s, &["SCAN", "0", "TYPE", "string"]),
            arr(vec![bulk("0"), arr(vec![bulk("k")])])
        );
        // COPY and RENAME copy the pages to a fresh id: the source's DEL
        // leaves the copy whole.
        assert_eq!(run(&mut s, &["COPY", "k", "c"]), int(1));
        assert_eq!(run(&mut s, &["RENAME", "c", "r"]), ok());
        assert_eq!(run(&mut s, &["DEL", "k"]), int(1));
        assert_eq!(run(&mut s, &["GET", "r"]), raw(&whole));
        assert_eq!(run(&mut s, &["GETSET", "r", "small"]), raw(&whole));
        assert_eq!(s.element_count(), 0, "replaced pages are garbage");
        setup(&mut s, "k");
        assert!(!run(&mut s, &["SET", "k", "v", "GET"]).is_error());
        assert_eq!(s.element_count(), 0);
        setup(&mut s, "k");
        assert!(!run(&mut s, &["GETDEL", "k"]).is_error());
        assert_eq!(s.element_count(), 0);
        // Expiry drops it like any key.
        setup(&mut s, "k");
        assert_eq!(run(&mut s, &["PEXPIRE", "k", "10"]), int(1));
        assert_eq!(run_at(&mut s, NOW + 10, &["GET", "k"]), Reply::Nil);
        assert_eq!(run_at(&mut s, NOW + 10, &["SETBIT", "k", "1", "1"]), int(0));
        assert_eq!(run_at(&mut s, NOW + 10, &["GET", "k"]), raw(b"\x40"));
        assert_eq!(s.element_count(), 0);
        // APPEND and SETRANGE past the 512 MB limit.
        setup(&mut s, "k");
        let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        assert_eq!(run(&mut s, &["SETRANGE", "k", "536870911", "xy"]), too_long);
        assert_eq!(
            run(&mut s, &["SETRANGE", "k", "536870911", "x"]),
            int(512 * 1024 * 1024)
        );
        assert_eq!(run(&mut s, &["APPEND", "k", "x"]), too_long);
    }

    /// GET of a paged string over `HEAVY_MIN` pages answers the pool
    /// marker on the core; the server reruns it as COREKV.GETPAGED.
    #[test]
    fn a_big_paged_get_is_rerun_on_the_pool() {
        let mut s = MemStore::new();
        let last = (crate::table::HEAVY_MIN * 4096 - 1).to_string();
        assert_eq!(run(&mut s, &["SETRANGE", "k", &last, "x"]), int(65536));
        let c = ctx();
        let want = {
            let mut v = vec![0u8; 65536];
            v[65535] = b'x';
            raw(&v)
        };
        assert_eq!(crate::cmd::read(&argv(&["GET", "k"]), &c, &s), want);
        assert_eq!(run(&mut s, &["APPEND", "k", "y"]), int(65537));
        let get = argv(&["GET", "k"]);
        let reply = crate::cmd::read(&get, &c, &s);
        assert_eq!(reply, err(crate::cmd::TO_POOL));
        let again = crate::cmd::pool_argv(&get, &reply).unwrap_or_default();
        assert_eq!(again, argv(&["corekv.getpaged", "k"]));
        let Reply::Bulk(v) = crate::cmd::read(&again, &c, &s) else {
            panic!("not a bulk")
        };
        assert_eq!(v.len(), 65537);
        assert_eq!(
            crate::cmd::read(&argv(&["corekv.getpaged", "none"]), &c, &s),
            Reply::Nil
        );
        // Inline values never take that way, whatever their length.
        let big = "v".repeat(200_000);
        assert_eq!(run(&mut s, &["SET", "i", &big]), ok());
        assert_eq!(crate::cmd::read(&argv(&["GET", "i"]), &c, &s), bulk(&big));
    }

    #[test]
    fn bitop_lengths_missing_keys_and_not() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "a", "\u{1}\u{2}\u{3}"]), ok());
        assert_eq!(run(&mut s, &["SET", "b", "\u{7}"]), ok());
        assert_eq!(run(&mut s, &["BITOP", "AND", "d", "a", "b"]), int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), raw(b"\x01\0\0"));
        assert_eq!(
            run(&mut s, &["BITOP", "or", "d", "a", "b", "missing"]),
            int(3)
        );
        assert_eq!(run(&mut s, &["GET", "d"]), raw(b"\x07\x02\x03"));
        assert_eq!(run(&mut s, &["BITOP", "XOR", "d", "a", "b"]), int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), raw(b"\x06\x02\x03"));
        assert_eq!(run(&mut s, &["BITOP", "NOT", "d", "b"]), int(1));
        assert_eq!(run(&mut s, &["GET", "d"]), raw(b"\xf8"));
        assert_eq!(run(&mut s, &["BITOP", "AND", "d", "a", "missing"]), int(3));
        assert_eq!(run(&mut s, &["GET", "d"]), raw(b"\0\0\0"));
        // Nothing in: the destination goes.
        assert_eq!(run(&mut s, &["SET", "d", "x", "EX", "100"]), ok());
        assert_eq!(run(&mut s, &["BITOP", "OR", "d", "m1", "m2"]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        // The result has no TTL; the destination may be a source.
        assert_eq!(run(&mut s, &["SET", "d", "\u{1}", "EX", "100"]), ok());
        assert_eq!(run(&mut s, &["BITOP", "OR", "d", "d", "a"]), int(3));
        assert_eq!(run(&mut s, &["TTL", "d"]), int(-1));
        assert_eq!(
            run(&mut s, &["BITOP", "NOT", "d", "a", "b"]),
            err("ERR BITOP NOT must be called with a single source key.")
        );
        assert_eq!(
            run(&mut s, &["BITOP", "NAND", "d", "a"]),
            err("ERR syntax error")
        );
        assert_eq!(run(&mut s, &["LPUSH", "l", "x"]), int(1));
        assert_eq!(
            run(&mut s, &["BITOP", "AND", "d", "a", "l"]),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        // Paged sources of different lengths; a paged result.
        assert_eq!(run(&mut s, &["SETBIT", "p", "80000", "1"]), int(0));
        assert_eq!(run(&mut s, &["SETBIT", "q", "40000", "1"]), int(0));
        assert_eq!(run(&mut s, &["SETBIT", "q", "7", "1"]), int(0));
        assert_eq!(
            run(&mut s, &["BITOP", "OR", "d", "p", "q", "a"]),
            int(10001)
        );
        assert!(paged(&s, "d"));
        assert_eq!(run(&mut s, &["BITCOUNT", "d"]), int(6));
        assert_eq!(run(&mut s, &["BITPOS", "d", "1", "3"]), int(40000));
        assert_eq!(run(&mut s, &["BITOP", "NOT", "d", "p"]), int(10001));
        assert_eq!(run(&mut s, &["BITCOUNT", "d"]), int(10001 * 8 - 1));
        assert_eq!(run(&mut s, &["BITOP", "AND", "d", "p", "q"]), int(10001));
        assert_eq!(run(&mut s, &["BITCOUNT", "d"]), int(0));
        assert_eq!(
            s.get(b"d")
                .ok()
                .flatten()
                .and_then(|r| r.coll_header())
                .map(|c| c.len),
            Some(10001)
        );
    }

    #[test]
    fn bitfield_types_offsets_and_overflow() {
        let mut s = MemStore::new();
        let r = |s: &mut MemStore, a: &[&str]| run(s, a);
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "SET", "i8", "0", "-100"]),
            arr(vec![int(0)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "GET", "i8", "0"]),
            arr(vec![int(-100)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "SET", "u8", "0", "255"]),
            arr(vec![int(156)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "GET", "u8", "0"]),
            arr(vec![int(255)])
        );
        // `#n` offsets count in the type's width.
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "s", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66", "SET", "u8",
                    "#2", "67"
                ]
            ),
            arr(vec![int(0), int(0), int(0)])
        );
        assert_eq!(r(&mut s, &["GET", "s"]), bulk("ABC"));
        // WRAP (the default), SAT, FAIL; unsigned and signed.
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "SET", "u8", "0", "100"]),
            arr(vec![int(0)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "INCRBY", "u8", "0", "257"]),
            arr(vec![int(101)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "INCRBY", "u8", "0", "255"]),
            arr(vec![int(100)])
        );
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "257", "INCRBY", "u8",
                    "0", "-255"
                ]
            ),
            arr(vec![int(255), int(0)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "SET", "i8", "0", "100"]),
            arr(vec![int(0)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "INCRBY", "i8", "0", "257"]),
            arr(vec![int(101)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "INCRBY", "i8", "0", "255"]),
            arr(vec![int(100)])
        );
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "w", "OVERFLOW", "sat", "INCRBY", "i8", "0", "257", "INCRBY", "i8",
                    "0", "-255"
                ]
            ),
            arr(vec![int(127), int(-128)])
        );
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "INCRBY", "i8",
                    "0", "1", "SET", "u2", "0", "4", "OVERFLOW", "WRAP", "SET", "u2", "0", "5"
                ]
            ),
            arr(vec![Reply::Nil, int(-127), Reply::Nil, int(2)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "w", "GET", "u2", "0"]),
            arr(vec![int(1)])
        );
        // i64 wraps and saturates at the i64 bounds; u63 is the widest unsigned.
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD",
                    "x",
                    "SET",
                    "i64",
                    "0",
                    "9223372036854775807",
                    "INCRBY",
                    "i64",
                    "0",
                    "1",
                    "OVERFLOW",
                    "SAT",
                    "INCRBY",
                    "i64",
                    "0",
                    "-1",
                    "INCRBY",
                    "i64",
                    "0",
                    "-9223372036854775808",
                    "INCRBY",
                    "i64",
                    "0",
                    "-9223372036854775808"
                ]
            ),
            arr(vec![
                int(0),
                int(i64::MIN),
                int(i64::MIN),
                int(i64::MIN),
                int(i64::MIN)
            ])
        );
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD",
                    "x",
                    "SET",
                    "u63",
                    "1",
                    "9223372036854775807",
                    "GET",
                    "u63",
                    "1",
                    "INCRBY",
                    "u63",
                    "1",
                    "1"
                ]
            ),
            arr(vec![int(0), int(i64::MAX), int(0)])
        );
        // A write that FAILs still grows (creates) the string.
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10"
                ]
            ),
            arr(vec![Reply::Nil])
        );
        assert_eq!(r(&mut s, &["STRLEN", "f"]), int(13));
        // Only GETs: nothing is created.
        assert_eq!(
            r(&mut s, &["BITFIELD", "g", "GET", "u8", "0"]),
            arr(vec![int(0)])
        );
        assert_eq!(r(&mut s, &["BITFIELD", "g"]), arr(vec![]));
        assert_eq!(r(&mut s, &["EXISTS", "g"]), int(0));
        // A GET after a SET in one call sees it; far offsets page.
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD", "p", "SET", "u16", "#5000", "4660", "GET", "u16", "#5000", "GET",
                    "u4", "80004"
                ]
            ),
            arr(vec![int(0), int(4660), int(2)])
        );
        assert!(paged(&s, "p"));
        assert_eq!(s.element_count(), 1);
        let bad_type = err(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        );
        for t in ["u64", "i65", "i0", "u0", "x8", "", "I8", "u", "i-1", "u08"] {
            assert_eq!(
                r(&mut s, &["BITFIELD", "k", "GET", t, "0"]),
                bad_type,
                "{t}"
            );
        }
        let off = err("ERR bit offset is not an integer or out of range");
        for o in ["-1", "#-1", "x", "4294967296", "#536870912", "##1"] {
            assert_eq!(r(&mut s, &["BITFIELD", "k", "GET", "u8", o]), off, "{o}");
        }
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "GET", "u8", "#536870911"]),
            arr(vec![int(0)])
        );
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "OVERFLOW", "X"]),
            err("ERR Invalid OVERFLOW type specified")
        );
        let syn = err("ERR syntax error");
        assert_eq!(r(&mut s, &["BITFIELD", "k", "GET", "u8"]), syn);
        assert_eq!(r(&mut s, &["BITFIELD", "k", "OVERFLOW"]), syn);
        assert_eq!(r(&mut s, &["BITFIELD", "k", "FOO", "u8", "0"]), syn);
        assert_eq!(
            r(&mut s, &["BITFIELD", "k", "SET", "u8", "0", "x"]),
            err("ERR value is not an integer or out of range")
        );
        // BITFIELD_RO: GET only, checked after the arguments parse.
        assert_eq!(
            r(&mut s, &["BITFIELD_RO", "s", "GET", "u8", "#1"]),
            arr(vec![int(66)])
        );
        assert_eq!(r(&mut s, &["BITFIELD_RO", "s"]), arr(vec![]));
        let ro = err("ERR BITFIELD_RO only supports the GET subcommand");
        assert_eq!(r(&mut s, &["BITFIELD_RO", "s", "SET", "u8", "0", "1"]), ro);
        assert_eq!(
            r(
                &mut s,
                &[
                    "BITFIELD_RO",
                    "s",
                    "INCRBY",
                    "u8",
                    "0",
                    "1",
                    "GET",
                    "x",
                    "0"
                ]
            ),
            bad_type
        );
        assert_eq!(
            r(&mut s, &["BITFIELD_RO", "s", "OVERFLOW", "SAT"]),
            arr(vec![])
        );
        assert_eq!(r(&mut s, &["LPUSH", "l", "x"]), int(1));
        let wrong = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(r(&mut s, &["BITFIELD", "l", "GET", "u8", "0"]), wrong);
        assert_eq!(r(&mut s, &["BITFIELD", "l", "SET", "u8", "0", "1"]), wrong);
        assert_eq!(r(&mut s, &["BITFIELD_RO", "l", "GET", "u8", "0"]), wrong);
    }

    /// Random bit and range writes on a few keys agree with a plain byte
    /// vector, across the inline/paged boundary and far offsets.
    #[test]
    fn random_writes_match_a_model() {
        let mut s = MemStore::new();
        let mut model: Vec<Vec<u8>> = vec![Vec::new(); 3];
        let mut x: u64 = 99;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n.max(1)
        };
        for i in 0..2000 {
            let k = next(3) as usize;
            let key = ["a", "b", "c"][k];
            let m = &mut model[k];
            let far = if next(20) == 0 { 1_000_000 } else { 0 };
            match next(4) {
                0 => {
                    let off = next(70_000) + far * 8;
                    let on = next(2);
                    let byte = (off / 8) as usize;
                    if m.len() <= byte {
                        m.resize(byte + 1, 0);
                    }
                    let mask = 1u8 << (7 - off % 8);
                    let old = m[byte] & mask != 0;
                    m[byte] = if on == 1 {
                        m[byte] | mask
                    } else {
                        m[byte] & !mask
                    };
                    let a = ["SETBIT", key, &off.to_string(), &on.to_string()];
                    assert_eq!(run(&mut s, &a), int(i64::from(old)), "{i} {a:?}");
                }
                1 => {
                    let off = next(9000) as usize + far as usize;
                    let v = "r".repeat(next(5000) as usize + 1);
                    let end = off + v.len();
                    if m.len() < end {
                        m.resize(end, 0);
                    }
                    m[off..end].copy_from_slice(v.as_bytes());
                    let a = ["SETRANGE", key, &off.to_string(), &v];
                    assert_eq!(run(&mut s, &a), int(m.len() as i64), "{i}");
                }
                2 => {
                    let v = "p".repeat(next(3000) as usize);
                    m.extend_from_slice(v.as_bytes());
                    assert_eq!(run(&mut s, &["APPEND", key, &v]), int(m.len() as i64));
                }
                _ => {
                    let off = next(70_000) + far * 8;
                    let val = next(256);
                    // BITFIELD grows the string to the last bit it writes.
                    let need = (((off + 7) >> 3) + 1) as usize;
                    if m.len() < need {
                        m.resize(need, 0);
                    }
                    let mut old = 0u64;
                    for j in 0..8 {
                        let o = off + j;
                        let (byte, mask) = ((o / 8) as usize, 1u8 << (7 - o % 8));
                        old = (old << 1) | u64::from(m[byte] & mask != 0);
                        if val & (1 << (7 - j)) != 0 {
                            m[byte] |= mask;
                        } else {
                            m[byte] &= !mask;
                        }
                    }
                    let a = [
                        "BITFIELD",
                        key,
                        "SET",
                        "u8",
                        &off.to_string(),
                        &val.to_string(),
                    ];
                    let got = run(&mut s, &a);
                    assert_eq!(got, arr(vec![int(old as i64)]), "{i} {a:?}");
                }
            }
            if i % 97 == 0 {
                for (k, key) in ["a", "b", "c"].iter().enumerate() {
                    let m = &model[k];
                    if m.is_empty() {
                        continue;
                    }
                    assert_eq!(run(&mut s, &["STRLEN", key]), int(m.len() as i64), "{i}");
                    assert_eq!(run(&mut s, &["GET", key]), raw(m), "{i} {key}");
                    let ones: u32 = m.iter().map(|b| b.count_ones()).sum();
                    assert_eq!(run(&mut s, &["BITCOUNT", key]), int(i64::from(ones)));
                }
            }
        }
    }

    #[test]
    fn a_failed_page_read_is_an_error_and_changes_nothing() {
        let mut inner = MemStore::new();
        assert_eq!(run(&mut inner, &["SETBIT", "p", "40000", "1"]), int(0));
        assert_eq!(run(&mut inner, &["SET", "i", "abc"]), ok());
        let mut s = Faulty {
            all_elements: true,
            ..Faulty::new(inner)
        };
        s.ranges = crate::store::faults::RangeFault::AfterAll;
        let e = err("ERR storage read error: injected");
        let c = ctx();
        for a in [
            &["GET", "p"][..],
            &["MGET", "i", "p"],
            &["GETRANGE", "p", "0", "-1"],
            &["GETBIT", "p", "40000"],
            &["BITCOUNT", "p"],
            &["BITPOS", "p", "1"],
            &["BITFIELD_RO", "p", "GET", "u8", "0"],
            &["LCS", "p", "i"],
        ] {
            assert_eq!(crate::cmd::read(&argv(a), &c, &s), e, "{a:?}");
        }
        assert_eq!(crate::cmd::read(&argv(&["GET", "i"]), &c, &s), bulk("abc"));
        assert_eq!(crate::cmd::read(&argv(&["STRLEN", "p"]), &c, &s), int(5001));
        let before = s.inner.clone();
        for a in [
            &["SETBIT", "p", "0", "1"][..],
            &["SETRANGE", "p", "1", "x"],
            &["APPEND", "p", "x"],
            &["BITFIELD", "p", "INCRBY", "u8", "0", "1"],
            &["BITOP", "OR", "p", "p", "i"],
            &["GETDEL", "p"],
            &["GETSET", "p", "x"],
            &["COPY", "p", "q"],
        ] {
            assert_eq!(crate::cmd::apply_write(&argv(a), &c, &mut s), e, "{a:?}");
            assert_eq!(s.inner.len(), before.len(), "{a:?}");
            assert_eq!(s.inner.element_count(), before.element_count(), "{a:?}");
            assert_eq!(s.inner.get(b"p"), before.get(b"p"), "{a:?}");
        }
    }
}
