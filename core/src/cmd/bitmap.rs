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
use crate::store::{Record, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT: &str = "ERR BITOP NOT must be called with a single source key.";
const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
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
        count += popcount(chunk);
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
                b = if want { b & !sp.first_mask } else { b | sp.first_mask };
            }
            if i == bytes - 1 {
                b = if want { b & !sp.last_mask } else { b | sp.last_mask };
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
            let hit = chunk
                .get(j..stop)
                .and_then(|m| m.iter().position(|&x| x != skip));
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

pub(crate) fn size_bitcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
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
    if value > max
        || (bits != 64 && incr > maxincr)
        || (value >= 0 && incr > 0 && incr > maxincr)
    {
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
    e.grow(store, key, (highest >> 3) + 1);
    let mut out = Vec::with_capacity(ops.len());
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
                let new = if ov != 0 { lim } else { old.wrapping_add(f.value) };
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
        if buf != before
            && let Some(b) = buf.get(..n)
        {
            e.write(store, key, byte, b)?;
        }
    }
    e.save(store, key, ctx.now_ms)?;
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
