//! The sorted-set family: ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM ZCARD
//! ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE (BYSCORE BYLEX REV
//! LIMIT) ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
//! ZREVRANGEBYLEX ZREMRANGEBYRANK/SCORE/LEX ZPOPMIN ZPOPMAX ZMPOP
//! ZRANDMEMBER ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE
//! ZINTERCARD ZSCAN, with t_zset.c's replies, error texts and check order.
//!
//! Layout (docs/design/0019 section 1), two indexes per member:
//! - member index `coll::hashed(b'm', member)` → the score's f64 bits
//!   (big-endian): ZSCORE, ZADD's old score, random picks, ZSCAN;
//! - score index `b's' | score_key(score) | member` → empty: everything
//!   by score, rank or lex, in Redis's (score, member) order.
//!
//! There is no order-statistic structure: ZRANK and ranges by index walk
//! the score index, O(log n + rank) (README states it). OBJECT ENCODING
//! mirrors Redis 7.0: `listpack` while at most 128 members of at most 64
//! bytes, else `skiplist` (sticky `ENC_BIG`; the STORE commands choose
//! afresh). A listpack stores scores as text, so Redis answers `0` for a
//! `-0` stored there but `-0` in a skiplist; the member index does the same.

use super::coll::{self, ENC_BIG, LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE, Meta};
use super::num::{parse_i64, write_g17};
use super::set::{self, MAX_RANDOM_COUNT, Rng};
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, glob_match, int_arg, is_opt};
use crate::Reply;
use crate::errors;
use crate::notify::{GENERIC, ZSET};
use crate::slot::key_slot;
use crate::store::{Coll, Kind, Ns, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Bound;

/// Member index tag (shared with sets: ZUNION and friends accept sets).
const MEMBER: u8 = set::MEMBER;
/// Score index tag.
const SCORE: u8 = b's';

const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";
const XX_NX: &str = "ERR XX and NX options at the same time are not compatible";
const GT_LT_NX: &str = "ERR GT, LT, and/or NX options at the same time are not compatible";
const INCR_PAIR: &str = "ERR INCR option supports a single increment-element pair";
const MINMAX_FLOAT: &str = "ERR min or max is not a float";
const MINMAX_LEX: &str = "ERR min or max not valid string range item";
const LIMIT_RANK: &str =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const WITHSCORES_LEX: &str = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
const WEIGHT_FLOAT: &str = "ERR weight value is not a float";
const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";
const OUT_OF_RANGE_POSITIVE: &str = "ERR value is out of range, must be positive";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";
const OUT_OF_RANGE: &str = "ERR value is out of range";
const RANDOM_COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

// ---- score encoding ----

/// The order-preserving key of a score (0019): big-endian bytes sort like
/// the scores, -inf first and +inf last; -0 sorts with +0 (Redis compares
/// them equal). NaN never reaches storage: every parser refuses it.
pub(crate) fn score_key(s: f64) -> [u8; 8] {
    score_u64(s).to_be_bytes()
}

fn score_u64(s: f64) -> u64 {
    let s = if s == 0.0 { 0.0 } else { s };
    let b = s.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The score a [`score_key`] encodes (-0 comes back as +0).
fn score_from_u64(u: u64) -> f64 {
    f64::from_bits(if u >> 63 == 1 { u & !(1 << 63) } else { !u })
}

/// Score index key of (score, member).
fn index_key(score: f64, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + member.len());
    k.push(SCORE);
    k.extend_from_slice(&score_key(score));
    k.extend_from_slice(member);
    k
}

/// The first key of score index position `u` (a score key as an integer).
fn index_at(u: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(SCORE);
    k.extend_from_slice(&u.to_be_bytes());
    k
}

/// (score, member) of a score index key.
fn index_parts(sub: &[u8]) -> (f64, &[u8]) {
    let u = sub
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes);
    (score_from_u64(u), sub.get(9..).unwrap_or(&[]))
}

fn member_key(m: &[u8]) -> Vec<u8> {
    coll::hashed(MEMBER, m)
}

fn decode_score(v: &[u8]) -> Result<f64, StoreError> {
    let b: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::new("corrupt sorted-set score"))?;
    Ok(f64::from_bits(u64::from_be_bytes(b)))
}

// ---- number parsing (strtod) ----

/// C's `strtod` over the whole argument: `Some((value, erange))`, `None`
/// when any byte is left over. Leading whitespace is skipped; decimal,
/// `inf`/`infinity`/`nan` and hex forms are read; `erange` says the value
/// overflowed to ±inf or underflowed to zero, as errno would.
fn strtod(s: &[u8]) -> Option<(f64, bool)> {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(s.len());
    let t = s.get(start..).unwrap_or(&[]);
    if t.is_empty() {
        // Nothing parsed: strtod returns 0 and leaves the end at the start,
        // which callers checking only "end is NUL" accept.
        return (s.is_empty() || start == s.len()).then_some((0.0, false));
    }
    let (neg, body) = match t.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, t),
    };
    if body.len() > 2 && body.first() == Some(&b'0') && matches!(body.get(1), Some(b'x' | b'X')) {
        let v = parse_hex(body.get(2..).unwrap_or(&[]))?;
        let v = if neg { -v } else { v };
        let nonzero = body
            .iter()
            .skip(2)
            .any(|b| b.is_ascii_hexdigit() && *b != b'0');
        return Some((v, v.is_infinite() || (v == 0.0 && nonzero)));
    }
    let text = std::str::from_utf8(t).ok()?;
    let v: f64 = text.parse().ok()?;
    let literal = body
        .first()
        .is_some_and(|b| matches!(b, b'i' | b'I' | b'n' | b'N'));
    let mantissa = body
        .iter()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| (b'1'..=b'9').contains(b));
    let erange = !literal && (v.is_infinite() || (v == 0.0 && mantissa));
    Some((v, erange))
}

/// The digits of a hex float after `0x`: `h[.h][p[+-]d]`.
fn parse_hex(s: &[u8]) -> Option<f64> {
    let mut v = 0f64;
    let mut scale = 0i32;
    let mut seen = false;
    let mut i = 0;
    let mut frac = false;
    while let Some(&b) = s.get(i) {
        if b == b'.' && !frac {
            frac = true;
        } else if let Some(d) = char::from(b).to_digit(16) {
            v = v * 16.0 + f64::from(d);
            if frac {
                scale -= 4;
            }
            seen = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let e = std::str::from_utf8(s.get(i + 1..)?).ok()?;
        let e: i32 = e.parse().ok()?;
        scale = scale.saturating_add(e);
    } else if i != s.len() {
        return None;
    }
    Some(v * 2f64.powi(scale))
}

/// `getDoubleFromObject`: no empty text, no leading space, no overflow or
/// underflow to zero, no NaN.
pub(crate) fn parse_score(s: &[u8]) -> Option<f64> {
    if s.first()
        .is_none_or(|b| b.is_ascii_whitespace() || *b == 0x0b)
    {
        return None;
    }
    match strtod(s) {
        Some((v, false)) if !v.is_nan() => Some(v),
        _ => None,
    }
}

fn score_arg(argv: &[Bytes], i: usize) -> Result<f64, Reply> {
    parse_score(arg(argv, i)).ok_or_else(|| errors::err(errors::NOT_FLOAT))
}

// ---- ranges ----

/// A score interval (`zslParseRange`).
#[derive(Debug, Clone, Copy)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

fn parse_score_bound(s: &[u8]) -> Option<(f64, bool)> {
    let (ex, body) = match s.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, s),
    };
    match strtod(body) {
        Some((v, _)) if !v.is_nan() => Some((v, ex)),
        _ => None,
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
    let bad = || errors::err(MINMAX_FLOAT);
    let (min, minex) = parse_score_bound(min).ok_or_else(bad)?;
    let (max, maxex) = parse_score_bound(max).ok_or_else(bad)?;
    Ok(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

impl ScoreRange {
    /// The score index interval `[lo, hi)` as score-key integers (`None`:
    /// empty).
    fn bounds(&self) -> Option<(u64, u64)> {
        let lo = score_u64(self.min);
        let lo = if self.minex { lo.checked_add(1)? } else { lo };
        let hi = score_u64(self.max);
        let hi = if self.maxex { hi } else { hi.checked_add(1)? };
        (lo < hi).then_some((lo, hi))
    }
}

/// One end of a lex interval (`zslParseLexRangeItem`).
#[derive(Debug, Clone)]
enum Lex {
    Min,
    Max,
    Incl(Bytes),
    Excl(Bytes),
}

fn parse_lex_item(a: &Bytes) -> Option<Lex> {
    match a.first() {
        Some(b'+') if a.len() == 1 => Some(Lex::Max),
        Some(b'-') if a.len() == 1 => Some(Lex::Min),
        Some(b'(') => Some(Lex::Excl(a.slice(1..))),
        Some(b'[') => Some(Lex::Incl(a.slice(1..))),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct LexRange {
    min: Lex,
    max: Lex,
}

fn parse_lex_range(argv: &[Bytes], min: usize, max: usize) -> Result<LexRange, Reply> {
    let bad = || errors::err(MINMAX_LEX);
    let empty = Bytes::new();
    let min = parse_lex_item(argv.get(min).unwrap_or(&empty)).ok_or_else(bad)?;
    let max = parse_lex_item(argv.get(max).unwrap_or(&empty)).ok_or_else(bad)?;
    Ok(LexRange { min, max })
}

impl LexRange {
    fn gte_min(&self, v: &[u8]) -> bool {
        match &self.min {
            Lex::Min => true,
            Lex::Max => false,
            Lex::Incl(m) => v >= &m[..],
            Lex::Excl(m) => v > &m[..],
        }
    }
    fn lte_max(&self, v: &[u8]) -> bool {
        match &self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(m) => v <= &m[..],
            Lex::Excl(m) => v < &m[..],
        }
    }
}

// ---- the zset over its two indexes ----

fn load(store: &dyn Store, key: &[u8], now: u64) -> Result<Option<Meta>, Reply> {
    coll::load(store, key, now, Kind::ZSet)
}

pub(crate) fn get_score(
    store: &dyn Store,
    m: &Meta,
    member: &[u8],
) -> Result<Option<f64>, StoreError> {
    match store.el_get(m.ns, &member_key(member))? {
        Some(v) => decode_score(&v).map(Some),
        None => Ok(None),
    }
}

/// The score as a listpack would keep it: its text form drops -0's sign.
fn stored_score(c: &Coll, score: f64) -> f64 {
    if c.enc & ENC_BIG == 0 && score == 0.0 {
        0.0
    } else {
        score
    }
}

/// Redis converts a listpack past 128 members or on a member over 64
/// bytes, and never back.
fn note_member(c: &mut Coll, member: &[u8]) {
    if c.len > LISTPACK_MAX_ENTRIES || member.len() > LISTPACK_MAX_VALUE {
        c.enc |= ENC_BIG;
    }
}

/// Bounds that hold every live score-index key, kept in the meta's `ext`
/// after the deletion count: `lo` (every key >= it) and `hi` (every key
/// < it). An LSM keeps deleted keys as tombstones until compaction, so
/// without them each ZPOPMIN would step over every member popped before
/// (a drained 60k-member queue: 73 pops/s). A pop or a trim of one end
/// moves the bound past what it removed; an insert beyond a bound moves
/// it back. Layout: flags u8 (bit0 lo, bit1 hi) | len u32 | lo | len u32 | hi.
#[derive(Debug, Default, Clone, PartialEq)]
struct Hints {
    lo: Option<Vec<u8>>,
    hi: Option<Vec<u8>>,
}

fn hints(c: &Coll) -> Hints {
    let b = c.ext.get(8..).unwrap_or(&[]);
    let Some((&flags, mut rest)) = b.split_first() else {
        return Hints::default();
    };
    let mut take = || -> Option<Vec<u8>> {
        let n = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let v = rest.get(4..4 + n)?.to_vec();
        rest = rest.get(4 + n..)?;
        Some(v)
    };
    let lo = take();
    let hi = take();
    Hints {
        lo: lo.filter(|_| flags & 1 != 0),
        hi: hi.filter(|_| flags & 2 != 0),
    }
}

fn set_hints(c: &mut Coll, h: &Hints) {
    let mut ext = Vec::with_capacity(17 + h.lo.as_ref().map_or(0, Vec::len));
    ext.extend_from_slice(&set::deletions(c).to_be_bytes());
    let flags = u8::from(h.lo.is_some()) | (u8::from(h.hi.is_some()) << 1);
    if flags != 0 {
        ext.push(flags);
        for v in [&h.lo, &h.hi] {
            let v = v.as_deref().unwrap_or(&[]);
            ext.extend_from_slice(&u32::try_from(v.len()).unwrap_or(0).to_be_bytes());
            ext.extend_from_slice(v);
        }
    }
    c.ext = Bytes::from(ext);
}

/// A new score-index key `k`: widen the bounds to cover it.
fn note_key(c: &mut Coll, k: &[u8]) {
    let mut h = hints(c);
    let mut changed = false;
    if h.lo.as_deref().is_some_and(|lo| k < lo) {
        h.lo = Some(k.to_vec());
        changed = true;
    }
    if h.hi.as_deref().is_some_and(|hi| k >= hi) {
        let mut next = k.to_vec();
        next.push(0);
        h.hi = Some(next);
        changed = true;
    }
    if changed {
        set_hints(c, &h);
    }
}

/// Everything up to `last` (inclusive) is gone: no live key is below its
/// successor.
fn trimmed_low(c: &mut Coll, last: &[u8]) {
    let mut h = hints(c);
    let mut next = last.to_vec();
    next.push(0);
    if h.lo.as_deref().is_none_or(|lo| next.as_slice() > lo) {
        h.lo = Some(next);
        set_hints(c, &h);
    }
}

/// Everything from `first` up is gone: no live key is at or above it.
fn trimmed_high(c: &mut Coll, first: &[u8]) {
    let mut h = hints(c);
    if h.hi.as_deref().is_none_or(|hi| first < hi) {
        h.hi = Some(first.to_vec());
        set_hints(c, &h);
    }
}

/// Adds a member known to be absent.
fn insert(store: &mut dyn Store, m: &mut Meta, member: &[u8], score: f64) {
    m.coll.len += 1;
    note_member(&mut m.coll, member);
    let score = stored_score(&m.coll, score);
    store.el_put(
        m.ns,
        &member_key(member),
        Bytes::copy_from_slice(&score.to_bits().to_be_bytes()),
    );
    let k = index_key(score, member);
    note_key(&mut m.coll, &k);
    store.el_put(m.ns, &k, Bytes::new());
}

/// Moves a present member from score `old` to `new`.
fn update(store: &mut dyn Store, m: &mut Meta, member: &[u8], old: f64, new: f64) {
    let new = stored_score(&m.coll, new);
    store.el_del(m.ns, &index_key(old, member));
    set::note_deletions(&mut m.coll, 1);
    store.el_put(
        m.ns,
        &member_key(member),
        Bytes::copy_from_slice(&new.to_bits().to_be_bytes()),
    );
    let k = index_key(new, member);
    note_key(&mut m.coll, &k);
    store.el_put(m.ns, &k, Bytes::new());
}

/// Removes a present member.
fn remove(store: &mut dyn Store, m: &mut Meta, member: &[u8], score: f64) {
    store.el_del(m.ns, &member_key(member));
    store.el_del(m.ns, &index_key(score, member));
    m.coll.len = m.coll.len.saturating_sub(1);
    set::note_deletions(&mut m.coll, 1);
}

/// Visits the score index in `[lo, hi)` (either end open), ascending or
/// descending; the visitor gets (score, member) and returns false to stop.
fn walk(
    store: &dyn Store,
    m: &Meta,
    lo: Option<&[u8]>,
    hi: Option<&[u8]>,
    rev: bool,
    visit: &mut dyn FnMut(f64, &[u8]) -> bool,
) -> Result<(), StoreError> {
    let first = [SCORE];
    let end = [SCORE + 1];
    let h = hints(&m.coll);
    let lo = lo.unwrap_or(&first).max(h.lo.as_deref().unwrap_or(&first));
    let hi = hi.unwrap_or(&end).min(h.hi.as_deref().unwrap_or(&end));
    if lo >= hi {
        return Ok(());
    }
    store.el_range(
        m.ns,
        Bound::Included(lo),
        Bound::Excluded(hi),
        rev,
        &mut |k, _| {
            let (s, member) = index_parts(k);
            visit(s, member)
        },
    )
}

/// Members with `min <= score < max`, ascending, as (score, member): the
/// score ranges of geo's box search (geo.c's `geoGetPointsInRange`).
pub(crate) fn walk_scores(
    store: &dyn Store,
    m: &Meta,
    min: f64,
    max: f64,
    visit: &mut dyn FnMut(f64, &[u8]) -> bool,
) -> Result<(), StoreError> {
    let (lo, hi) = (index_at(score_u64(min)), index_at(score_u64(max)));
    walk(store, m, Some(&lo), Some(&hi), false, visit)
}

/// One member of a result: (member, score).
pub(crate) type Item = (Bytes, f64);

/// Members by rank `start..=end` (Redis's index rules), or from the top
/// with `rev`. O(log n + end): the walk skips the first `start`.
fn by_rank(
    store: &dyn Store,
    m: &Meta,
    start: i64,
    end: i64,
    rev: bool,
) -> Result<Vec<Item>, Reply> {
    let len = i64::try_from(m.len()).unwrap_or(i64::MAX);
    let (mut start, mut end) = (start, end);
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return Ok(Vec::new());
    }
    if end >= len {
        end = len - 1;
    }
    let mut out = Vec::with_capacity(usize::try_from(end - start + 1).unwrap_or(0).min(1 << 16));
    let mut i = 0i64;
    walk(store, m, None, None, rev, &mut |s, member| {
        if i >= start {
            out.push((Bytes::copy_from_slice(member), s));
        }
        i += 1;
        i <= end
    })?;
    Ok(out)
}

/// Members with scores in `r`, skipping `offset` and taking at most
/// `limit` (negative: all), from the top with `rev`.
fn by_score(
    store: &dyn Store,
    m: &Meta,
    r: &ScoreRange,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Item>, Reply> {
    let mut out = Vec::new();
    // A negative offset skips everything (t_zset.c's `offset--` loop).
    if offset < 0 || limit == 0 || (offset > 0 && offset as u64 >= m.len()) {
        return Ok(out);
    }
    let Some((lo, hi)) = r.bounds() else {
        return Ok(out);
    };
    let (lo, hi) = (index_at(lo), index_at(hi));
    let mut skip = offset;
    walk(store, m, Some(&lo), Some(&hi), rev, &mut |s, member| {
        if skip > 0 {
            skip -= 1;
            return true;
        }
        out.push((Bytes::copy_from_slice(member), s));
        limit < 0 || (out.len() as i64) < limit
    })?;
    Ok(out)
}

/// How a lex walk starts: `None` when t_zset.c's `zslIsInLexRange` says
/// the range is empty (min above max, the last member below min or the
/// first above max), else the seek key. With one score throughout (the
/// case Redis documents for BYLEX) the index is in member order and the
/// walk seeks to the bound; otherwise it walks from the end (`Some(None)`),
/// as a listpack scan does.
fn lex_start(
    store: &dyn Store,
    m: &Meta,
    r: &LexRange,
    rev: bool,
) -> Result<Option<Option<Vec<u8>>>, Reply> {
    let cmp = match (&r.min, &r.max) {
        (Lex::Min, Lex::Min) | (Lex::Max, Lex::Max) => Ordering::Equal,
        (Lex::Min, _) | (_, Lex::Max) => Ordering::Less,
        (Lex::Max, _) | (_, Lex::Min) => Ordering::Greater,
        (Lex::Incl(a) | Lex::Excl(a), Lex::Incl(b) | Lex::Excl(b)) => a.cmp(b),
    };
    let exclusive = matches!(r.min, Lex::Excl(_) | Lex::Min | Lex::Max)
        || matches!(r.max, Lex::Excl(_) | Lex::Min | Lex::Max);
    if cmp == Ordering::Greater || (cmp == Ordering::Equal && exclusive) {
        return Ok(None);
    }
    let mut first = None;
    let mut last = None;
    walk(store, m, None, None, false, &mut |s, member| {
        first = Some((s, r.lte_max(member)));
        false
    })?;
    walk(store, m, None, None, true, &mut |s, member| {
        last = Some((s, r.gte_min(member)));
        false
    })?;
    let (Some((a, first_in)), Some((b, last_in))) = (first, last) else {
        return Ok(None);
    };
    if !first_in || !last_in {
        return Ok(None);
    }
    if score_u64(a) != score_u64(b) {
        return Ok(Some(None));
    }
    let bound = if rev { &r.max } else { &r.min };
    Ok(Some(match bound {
        Lex::Incl(v) | Lex::Excl(v) => {
            let mut k = index_key(a, v);
            if rev {
                // Descending walks stop below `hi`: include `v` itself.
                k.push(0);
            }
            Some(k)
        }
        Lex::Min | Lex::Max => None,
    }))
}

/// Members in lex range `r` (t_zset.c's listpack walk: from the first
/// member >= min while <= max; reversed, from the last <= max while >=
/// min), skipping `offset`, at most `limit` (negative: all).
fn by_lex(
    store: &dyn Store,
    m: &Meta,
    r: &LexRange,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Item>, Reply> {
    let mut out = Vec::new();
    if offset < 0 || limit == 0 {
        return Ok(out);
    }
    let Some(seek) = lex_start(store, m, r, rev)? else {
        return Ok(out);
    };
    let (lo, hi) = if rev {
        (None, seek.as_deref())
    } else {
        (seek.as_deref(), None)
    };
    let mut started = false;
    let mut skip = offset;
    walk(store, m, lo, hi, rev, &mut |s, member| {
        if !started {
            let (reach, inside) = if rev {
                (r.lte_max(member), r.gte_min(member))
            } else {
                (r.gte_min(member), r.lte_max(member))
            };
            if !reach {
                return true;
            }
            if !inside {
                return false;
            }
            started = true;
        } else if !(if rev {
            r.gte_min(member)
        } else {
            r.lte_max(member)
        }) {
            return false;
        }
        if skip > 0 {
            skip -= 1;
            return true;
        }
        out.push((Bytes::copy_from_slice(member), s));
        limit < 0 || (out.len() as i64) < limit
    })?;
    Ok(out)
}

/// Number of members whose score index key is below `key` (or above it
/// with `rev`): a member's rank. O(log n + rank).
fn count_before(store: &dyn Store, m: &Meta, key: &[u8], rev: bool) -> Result<u64, StoreError> {
    let mut n = 0u64;
    if rev {
        let mut lo = key.to_vec();
        lo.push(0);
        walk(store, m, Some(&lo), None, false, &mut |_, _| {
            n += 1;
            true
        })?;
    } else {
        walk(store, m, None, Some(key), false, &mut |_, _| {
            n += 1;
            true
        })?;
    }
    Ok(n)
}

fn int_reply(n: u64) -> Reply {
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

fn len_reply(n: usize) -> Reply {
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A range reply: members, or (member, score) pairs.
fn items_reply(items: Vec<Item>, withscores: bool) -> Reply {
    if withscores {
        Reply::Pairs(
            items
                .into_iter()
                .map(|(m, s)| (Reply::Bulk(m), Reply::Double(s)))
                .collect(),
        )
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

/// Writes `items` (sorted or not) as a new zset at `dst`, replacing what
/// was there (TTL included), or deletes `dst` when empty; replies the size.
/// The encoding is chosen afresh, as Redis does for a built zset.
/// `event` is the command's keyspace event for a stored result; an empty
/// one deleting `dst` is `del`.
pub(crate) fn store_items(
    store: &mut dyn Store,
    dst: &[u8],
    items: &[Item],
    now: u64,
    event: &'static str,
) -> R {
    if items.is_empty() {
        if store.get(dst)?.is_some() {
            store.delete(dst)?;
            store.notify(GENERIC, "del", dst);
        }
        return Ok(Reply::Integer(0));
    }
    let id = store.new_id();
    let mut coll = Coll::new(id);
    let big = items.len() as u64 > LISTPACK_MAX_ENTRIES
        || items.iter().any(|(m, _)| m.len() > LISTPACK_MAX_VALUE);
    if big {
        coll.enc |= ENC_BIG;
    }
    let mut m = Meta {
        kind: Kind::ZSet,
        ns: Ns {
            slot: key_slot(dst),
            id,
        },
        coll,
        expire_at_ms: None,
        stored: false,
    };
    for (member, score) in items {
        insert(store, &mut m, member, *score);
    }
    coll::save(store, dst, &m, now)?;
    store.notify(ZSET, event, dst);
    Ok(int_reply(m.len()))
}

// ---- ZADD / ZINCRBY ----

#[derive(Debug, Default, Clone, Copy)]
struct AddOpts {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
    /// argv index of the first score.
    first: usize,
}

/// zaddGenericCommand's parsing and checks, in its order.
fn parse_add(argv: &[Bytes], incr: bool) -> Result<AddOpts, Reply> {
    let mut o = AddOpts {
        incr,
        first: 2,
        ..AddOpts::default()
    };
    while o.first < argv.len() {
        let a = arg(argv, o.first);
        if is_opt(a, "nx") {
            o.nx = true;
        } else if is_opt(a, "xx") {
            o.xx = true;
        } else if is_opt(a, "ch") {
            o.ch = true;
        } else if is_opt(a, "incr") {
            o.incr = true;
        } else if is_opt(a, "gt") {
            o.gt = true;
        } else if is_opt(a, "lt") {
            o.lt = true;
        } else {
            break;
        }
        o.first += 1;
    }
    let elements = argv.len().saturating_sub(o.first);
    if elements == 0 || elements % 2 == 1 {
        return Err(errors::err(errors::SYNTAX));
    }
    if o.nx && o.xx {
        return Err(errors::err(XX_NX));
    }
    if (o.nx && (o.gt || o.lt)) || (o.gt && o.lt) {
        return Err(errors::err(GT_LT_NX));
    }
    if o.incr && elements > 2 {
        return Err(errors::err(INCR_PAIR));
    }
    for i in (o.first..argv.len()).step_by(2) {
        score_arg(argv, i)?;
    }
    Ok(o)
}

pub(crate) fn precheck_zadd(argv: &[Bytes]) -> Result<(), Reply> {
    parse_add(argv, false).map(drop)
}

pub(crate) fn precheck_zincrby(argv: &[Bytes]) -> Result<(), Reply> {
    parse_add(argv, true).map(drop)
}

fn add_generic(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, incr: bool) -> R {
    let o = parse_add(argv, incr)?;
    let key = arg(argv, 1);
    let now = ctx.now_ms;
    let mut scores = Vec::with_capacity((argv.len() - o.first) / 2);
    for i in (o.first..argv.len()).step_by(2) {
        scores.push((score_arg(argv, i)?, arg(argv, i + 1)));
    }
    let found = load(store, key, now)?;
    if found.is_none() && o.xx {
        return Ok(if o.incr {
            Reply::Nil
        } else {
            Reply::Integer(0)
        });
    }
    let mut m = match found {
        Some(m) => m,
        None => coll::load_or_new(store, key, now, Kind::ZSet)?,
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    for (score, member) in scores {
        match get_score(store, &m, member)? {
            Some(cur) => {
                if o.nx {
                    continue;
                }
                let new = if o.incr { score + cur } else { score };
                if new.is_nan() {
                    return Err(errors::err(NAN_RESULT));
                }
                if (o.lt && new >= cur) || (o.gt && new <= cur) {
                    continue;
                }
                processed += 1;
                last = new;
                if new != cur {
                    update(store, &mut m, member, cur, new);
                    updated += 1;
                }
            }
            None if !o.xx => {
                insert(store, &mut m, member, score);
                added += 1;
                processed += 1;
                last = score;
            }
            None => {}
        }
    }
    if added > 0 || updated > 0 {
        set::save_compacting(store, key, &mut m, now)?;
        store.notify(ZSET, if o.incr { "zincr" } else { "zadd" }, key);
    }
    Ok(if o.incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Integer(if o.ch { added + updated } else { added })
    })
}

pub(crate) fn zadd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    add_generic(argv, ctx, store, false)
}

pub(crate) fn zincrby(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    add_generic(argv, ctx, store, true)
}

pub(crate) fn zrem(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0i64;
    for member in argv.get(2..).unwrap_or(&[]) {
        if let Some(s) = get_score(store, &m, member)? {
            remove(store, &mut m, member, s);
            deleted += 1;
        }
        if m.len() == 0 {
            break;
        }
    }
    if deleted > 0 {
        set::save_compacting(store, key, &mut m, ctx.now_ms)?;
        coll::notify_change(store, key, &m, ZSET, "zrem");
    }
    Ok(Reply::Integer(deleted))
}

// ---- point reads ----

pub(crate) fn zcard(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    Ok(int_reply(
        load(store, arg(argv, 1), ctx.now_ms)?.map_or(0, |m| m.len()),
    ))
}

pub(crate) fn zscore(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    Ok(get_score(store, &m, arg(argv, 2))?.map_or(Reply::Nil, Reply::Double))
}

pub(crate) fn zmscore(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let m = load(store, arg(argv, 1), ctx.now_ms)?;
    let mut out = Vec::with_capacity(argv.len().saturating_sub(2));
    for member in argv.get(2..).unwrap_or(&[]) {
        let s = match &m {
            Some(m) => get_score(store, m, member)?,
            None => None,
        };
        out.push(s.map_or(Reply::Nil, Reply::Double));
    }
    Ok(Reply::Array(out))
}

fn rank_generic(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, rev: bool) -> R {
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let member = arg(argv, 2);
    let Some(s) = get_score(store, &m, member)? else {
        return Ok(Reply::Nil);
    };
    Ok(int_reply(count_before(
        store,
        &m,
        &index_key(s, member),
        rev,
    )?))
}

pub(crate) fn zrank(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    rank_generic(argv, ctx, store, false)
}

pub(crate) fn zrevrank(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    rank_generic(argv, ctx, store, true)
}

pub(crate) fn zcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let r = parse_score_range(arg(argv, 2), arg(argv, 3))?;
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    Ok(len_reply(by_score(store, &m, &r, false, 0, -1)?.len()))
}

pub(crate) fn zlexcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let r = parse_lex_range(argv, 2, 3)?;
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    Ok(len_reply(by_lex(store, &m, &r, false, 0, -1)?.len()))
}

// ---- ZRANGE and its forms ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-family request.
#[derive(Debug, Clone)]
struct RangeReq {
    by: RangeBy,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
    /// argv positions of the source key, min and max.
    key: usize,
    min: usize,
    max: usize,
}

/// zrangeGenericCommand's option parsing and checks: `at` is the source
/// key's position; `by`/`rev` fixed by the legacy forms.
fn parse_range(
    argv: &[Bytes],
    at: usize,
    store: bool,
    by: RangeBy,
    rev: Option<bool>,
) -> Result<RangeReq, Reply> {
    let mut req = RangeReq {
        by,
        rev: rev.unwrap_or(false),
        withscores: false,
        offset: 0,
        limit: -1,
        key: at,
        min: at + 1,
        max: at + 2,
    };
    let mut j = at + 3;
    while j < argv.len() {
        let a = arg(argv, j);
        let left = argv.len() - j - 1;
        if !store && is_opt(a, "withscores") {
            req.withscores = true;
        } else if is_opt(a, "limit") && left >= 2 {
            req.offset = int_arg(argv, j + 1)?;
            req.limit = int_arg(argv, j + 2)?;
            j += 2;
        } else if rev.is_none() && is_opt(a, "rev") {
            req.rev = true;
        } else if req.by == RangeBy::Auto && is_opt(a, "bylex") {
            req.by = RangeBy::Lex;
        } else if req.by == RangeBy::Auto && is_opt(a, "byscore") {
            req.by = RangeBy::Score;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    if req.by == RangeBy::Auto {
        req.by = RangeBy::Rank;
    }
    // t_zset.c keeps -1 as "no LIMIT given"; an explicit `LIMIT 0 -1` is
    // the same to it.
    if req.limit != -1 && req.by == RangeBy::Rank {
        return Err(errors::err(LIMIT_RANK));
    }
    if req.withscores && req.by == RangeBy::Lex {
        return Err(errors::err(WITHSCORES_LEX));
    }
    if req.rev && req.by != RangeBy::Rank {
        std::mem::swap(&mut req.min, &mut req.max);
    }
    Ok(req)
}

/// The range itself, parsed and checked (before the key is looked up).
enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

fn parse_spec(argv: &[Bytes], req: &RangeReq) -> Result<Spec, Reply> {
    Ok(match req.by {
        RangeBy::Score => Spec::Score(parse_score_range(arg(argv, req.min), arg(argv, req.max))?),
        RangeBy::Lex => Spec::Lex(parse_lex_range(argv, req.min, req.max)?),
        RangeBy::Rank | RangeBy::Auto => {
            Spec::Rank(int_arg(argv, req.min)?, int_arg(argv, req.max)?)
        }
    })
}

fn run_range(store: &dyn Store, m: &Meta, req: &RangeReq, spec: &Spec) -> Result<Vec<Item>, Reply> {
    match spec {
        Spec::Rank(a, b) => by_rank(store, m, *a, *b, req.rev),
        Spec::Score(r) => by_score(store, m, r, req.rev, req.offset, req.limit),
        Spec::Lex(r) => by_lex(store, m, r, req.rev, req.offset, req.limit),
    }
}

fn range_read(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, by: RangeBy, rev: Option<bool>) -> R {
    let req = parse_range(argv, 1, false, by, rev)?;
    let spec = parse_spec(argv, &req)?;
    let Some(m) = load(store, arg(argv, req.key), ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(items_reply(
        run_range(store, &m, &req, &spec)?,
        req.withscores,
    ))
}

pub(crate) fn zrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Auto, None)
}

pub(crate) fn zrevrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Rank, Some(true))
}

pub(crate) fn zrangebyscore(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Score, Some(false))
}

pub(crate) fn zrevrangebyscore(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Score, Some(true))
}

pub(crate) fn zrangebylex(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Lex, Some(false))
}

pub(crate) fn zrevrangebylex(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_read(argv, ctx, store, RangeBy::Lex, Some(true))
}

pub(crate) fn precheck_zrangestore(argv: &[Bytes]) -> Result<(), Reply> {
    let req = parse_range(argv, 2, true, RangeBy::Auto, None)?;
    parse_spec(argv, &req).map(drop)
}

pub(crate) fn zrangestore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let req = parse_range(argv, 2, true, RangeBy::Auto, None)?;
    let spec = parse_spec(argv, &req)?;
    let items = match load(store, arg(argv, req.key), ctx.now_ms)? {
        Some(m) => run_range(store, &m, &req, &spec)?,
        None => Vec::new(),
    };
    store_items(store, arg(argv, 1), &items, ctx.now_ms, "zrangestore")
}

// ---- ZREMRANGEBY* ----

fn remrange(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, spec: Spec) -> R {
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let items = match &spec {
        Spec::Rank(a, b) => by_rank(store, &m, *a, *b, false)?,
        Spec::Score(r) => by_score(store, &m, r, false, 0, -1)?,
        Spec::Lex(r) => by_lex(store, &m, r, false, 0, -1)?,
    };
    let len = i64::try_from(m.len()).unwrap_or(i64::MAX);
    for (member, score) in &items {
        // The score index holds +0 for -0; the member index has the
        // stored score, whose index key is the same.
        remove(store, &mut m, member, *score);
    }
    // A trim of either end (ZREMRANGEBYSCORE k -inf x, ZREMRANGEBYRANK k
    // 0 n) moves that end's bound past what it removed.
    let (prefix, suffix) = match &spec {
        Spec::Rank(a, b) => {
            let start = if *a < 0 { a.saturating_add(len) } else { *a };
            let end = if *b < 0 { b.saturating_add(len) } else { *b };
            (start <= 0, end >= len - 1)
        }
        Spec::Score(r) => (
            r.min == f64::NEG_INFINITY && !r.minex,
            r.max == f64::INFINITY && !r.maxex,
        ),
        Spec::Lex(r) => (matches!(r.min, Lex::Min), matches!(r.max, Lex::Max)),
    };
    if let (Some((fm, fs)), Some((lm, ls))) = (items.first(), items.last()) {
        if prefix {
            trimmed_low(&mut m.coll, &index_key(*ls, lm));
        }
        if suffix {
            trimmed_high(&mut m.coll, &index_key(*fs, fm));
        }
    }
    if !items.is_empty() {
        set::save_compacting(store, key, &mut m, ctx.now_ms)?;
        let event = match &spec {
            Spec::Rank(..) => "zremrangebyrank",
            Spec::Score(_) => "zremrangebyscore",
            Spec::Lex(_) => "zremrangebylex",
        };
        coll::notify_change(store, key, &m, ZSET, event);
    }
    Ok(len_reply(items.len()))
}

fn rank_spec(argv: &[Bytes]) -> Result<Spec, Reply> {
    Ok(Spec::Rank(int_arg(argv, 2)?, int_arg(argv, 3)?))
}

pub(crate) fn precheck_zremrangebyrank(argv: &[Bytes]) -> Result<(), Reply> {
    rank_spec(argv).map(drop)
}

pub(crate) fn precheck_zremrangebyscore(argv: &[Bytes]) -> Result<(), Reply> {
    parse_score_range(arg(argv, 2), arg(argv, 3)).map(drop)
}

pub(crate) fn precheck_zremrangebylex(argv: &[Bytes]) -> Result<(), Reply> {
    parse_lex_range(argv, 2, 3).map(drop)
}

pub(crate) fn zremrangebyrank(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let spec = rank_spec(argv)?;
    remrange(argv, ctx, store, spec)
}

pub(crate) fn zremrangebyscore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let spec = Spec::Score(parse_score_range(arg(argv, 2), arg(argv, 3))?);
    remrange(argv, ctx, store, spec)
}

pub(crate) fn zremrangebylex(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let spec = Spec::Lex(parse_lex_range(argv, 2, 3)?);
    remrange(argv, ctx, store, spec)
}

// ---- pops ----

/// Pops up to `count` from the low (or high, `max`) end of `m`.
fn pop(
    store: &mut dyn Store,
    key: &[u8],
    m: &mut Meta,
    count: u64,
    max: bool,
    now: u64,
) -> Result<Vec<Item>, Reply> {
    let mut items = Vec::new();
    walk(store, m, None, None, max, &mut |s, member| {
        items.push((Bytes::copy_from_slice(member), s));
        (items.len() as u64) < count
    })?;
    for (member, score) in &items {
        remove(store, m, member, *score);
    }
    // The popped end is now empty up to the last one taken.
    if let Some((member, score)) = items.last() {
        let k = index_key(*score, member);
        if max {
            trimmed_high(&mut m.coll, &k);
        } else {
            trimmed_low(&mut m.coll, &k);
        }
    }
    if !items.is_empty() {
        set::save_compacting(store, key, m, now)?;
        coll::notify_change(store, key, m, ZSET, if max { "zpopmax" } else { "zpopmin" });
    }
    Ok(items)
}

/// ZPOPMIN/ZPOPMAX's count: `None` without one.
fn pop_count(argv: &[Bytes]) -> Result<Option<u64>, Reply> {
    match argv.len() {
        0..=2 => Ok(None),
        3 => match parse_i64(arg(argv, 2)) {
            Some(n) if n >= 0 => Ok(Some(n.unsigned_abs())),
            _ => Err(errors::err(OUT_OF_RANGE_POSITIVE)),
        },
        _ => Err(errors::err(errors::SYNTAX)),
    }
}

pub(crate) fn precheck_zpop(argv: &[Bytes]) -> Result<(), Reply> {
    pop_count(argv).map(drop)
}

fn zpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, max: bool) -> R {
    let count = pop_count(argv)?;
    let key = arg(argv, 1);
    let Some(mut m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let items = pop(store, key, &mut m, count.unwrap_or(1), max, ctx.now_ms)?;
    Ok(match count {
        // No count: one flat pair in both protocols.
        None => Reply::Array(
            items
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        ),
        Some(_) => items_reply(items, true),
    })
}

pub(crate) fn zpopmin(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    zpop(argv, ctx, store, false)
}

pub(crate) fn zpopmax(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    zpop(argv, ctx, store, true)
}

/// ZMPOP's (numkeys, max, count).
fn parse_mpop(argv: &[Bytes]) -> Result<(usize, bool, u64), Reply> {
    let numkeys = match parse_i64(arg(argv, 1)) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(errors::err(NUMKEYS_POSITIVE)),
    };
    let where_at = numkeys.saturating_add(2);
    if where_at >= argv.len() {
        return Err(errors::err(errors::SYNTAX));
    }
    let w = arg(argv, where_at);
    let max = if is_opt(w, "min") {
        false
    } else if is_opt(w, "max") {
        true
    } else {
        return Err(errors::err(errors::SYNTAX));
    };
    let mut count: Option<u64> = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && is_opt(arg(argv, j), "count") && j + 1 < argv.len() {
            j += 1;
            count = match parse_i64(arg(argv, j)) {
                Some(n) if n >= 1 => Some(n.unsigned_abs()),
                _ => return Err(errors::err(COUNT_POSITIVE)),
            };
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    Ok((numkeys, max, count.unwrap_or(1)))
}

pub(crate) fn precheck_zmpop(argv: &[Bytes]) -> Result<(), Reply> {
    parse_mpop(argv).map(drop)
}

pub(crate) fn zmpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (numkeys, max, count) = parse_mpop(argv)?;
    for key in argv.get(2..2 + numkeys).unwrap_or(&[]) {
        // The first existing key is popped; only its type is checked.
        let Some(mut m) = load(store, key, ctx.now_ms)? else {
            continue;
        };
        let items = pop(store, key, &mut m, count, max, ctx.now_ms)?;
        let pairs = items
            .into_iter()
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(pairs),
        ]));
    }
    Ok(Reply::NilArray)
}

// ---- ZRANDMEMBER ----

fn member_item(k: &[u8], v: &[u8]) -> Result<Item, StoreError> {
    Ok((
        Bytes::copy_from_slice(coll::hashed_member(k)),
        decode_score(v)?,
    ))
}

pub(crate) fn zrandmember(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let mut rng = Rng::new(ctx.rand);
    let key = arg(argv, 1);
    if argv.len() < 3 {
        let Some(m) = load(store, key, ctx.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let pick = set::pick_one(store, m.ns, MEMBER, &m.coll, &mut rng)?;
        return Ok(pick.map_or(Reply::Nil, |(k, _)| {
            Reply::Bulk(Bytes::copy_from_slice(coll::hashed_member(&k)))
        }));
    }
    let l = int_arg(argv, 2)?;
    if l == i64::MIN {
        return Err(errors::err(RANDOM_COUNT_RANGE));
    }
    let withscores = match argv.len() {
        3 => false,
        4 if is_opt(arg(argv, 3), "withscores") => true,
        _ => return Err(errors::err(errors::SYNTAX)),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(errors::err(OUT_OF_RANGE));
    }
    let Some(m) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let count = l.unsigned_abs();
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let picked = if l < 0 || count == 1 {
        if count > MAX_RANDOM_COUNT {
            return Err(errors::err(OUT_OF_RANGE));
        }
        set::sample_with_repeats(store, m.ns, MEMBER, &m.coll, count, &mut rng)?
    } else if count >= m.len() {
        set::all_elements(store, m.ns, MEMBER)?
    } else {
        set::sample_distinct(store, m.ns, MEMBER, &m.coll, count, &mut rng)?
    };
    let mut items = Vec::with_capacity(picked.len());
    for (k, v) in &picked {
        items.push(member_item(k, v)?);
    }
    Ok(items_reply(items, withscores))
}

// ---- ZSCAN ----

/// `d2string`: integral scores within ±2^62 print as integers, the rest
/// with `%.17g` (ZSCAN replies scores as text, not doubles).
fn d2string(d: f64) -> Bytes {
    const HALF: f64 = (i64::MAX / 2) as f64;
    let mut s = String::with_capacity(24);
    if d == 0.0 {
        s.push_str(if d.is_sign_negative() { "-0" } else { "0" });
    } else if (-HALF..=HALF).contains(&d) && d.fract() == 0.0 {
        s = format!("{}", d as i64);
    } else {
        let _ = write_g17(d, &mut s);
    }
    Bytes::from(s)
}

pub(crate) fn zscan(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let cursor = set::parse_scan_cursor(arg(argv, 2))?;
    let Some(m) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(set::scan_reply(0, Vec::new()));
    };
    let (pattern, count) = set::parse_scan_opts(argv, 3)?;
    let mut found = Vec::new();
    let mut bad = None;
    let mut keep = |k: &[u8], v: &[u8]| {
        let member = coll::hashed_member(k);
        if pattern.is_none_or(|p| glob_match(p, member, false)) {
            match decode_score(v) {
                Ok(s) => {
                    found.push(Reply::Bulk(Bytes::copy_from_slice(member)));
                    found.push(Reply::Bulk(d2string(s)));
                }
                Err(e) => bad = Some(e),
            }
        }
    };
    // A listpack answers everything in one call with cursor 0, as Redis's
    // non-hashtable encodings do.
    let next = if m.coll.enc & ENC_BIG == 0 {
        set::scan_hashed(store, m.ns, MEMBER, 0, u64::MAX, &mut keep)?
    } else {
        set::scan_hashed(store, m.ns, MEMBER, cursor, count, &mut keep)?
    };
    if let Some(e) = bad {
        return Err(e.into());
    }
    Ok(set::scan_reply(next, found))
}

// ---- ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// A parsed multi-key request: keys at `keys`, one weight per key.
#[derive(Debug, Clone)]
struct MultiReq {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: u64,
}

/// zunionInterDiffGenericCommand's numkeys check: the keys' positions.
/// `numkeys_at` is 1 (ZUNION, ZINTERCARD) or 2 (the STORE forms).
fn multi_keys(
    argv: &[Bytes],
    numkeys_at: usize,
    name: &str,
) -> Result<std::ops::Range<usize>, Reply> {
    let setnum = int_arg(argv, numkeys_at)?;
    if setnum < 1 {
        return Err(Reply::Error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let first = numkeys_at + 1;
    let n = usize::try_from(setnum).unwrap_or(usize::MAX);
    if n > argv.len().saturating_sub(first) {
        return Err(errors::err(errors::SYNTAX));
    }
    Ok(first..first + n)
}

/// The options after the keys (Redis parses them after looking the keys
/// up, so a WRONGTYPE key is reported before a bad option).
fn multi_opts(
    argv: &[Bytes],
    keys: std::ops::Range<usize>,
    op: Op,
    store: bool,
    card: bool,
) -> Result<MultiReq, Reply> {
    let n = keys.len();
    let mut j = keys.end;
    let mut req = MultiReq {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = arg(argv, j);
        if op != Op::Diff && !card && remaining > n && is_opt(a, "weights") {
            j += 1;
            for w in req.weights.iter_mut() {
                *w = parse_score(arg(argv, j)).ok_or_else(|| errors::err(WEIGHT_FLOAT))?;
                j += 1;
            }
        } else if op != Op::Diff && !card && remaining >= 2 && is_opt(a, "aggregate") {
            let v = arg(argv, j + 1);
            req.aggregate = if is_opt(v, "sum") {
                Aggregate::Sum
            } else if is_opt(v, "min") {
                Aggregate::Min
            } else if is_opt(v, "max") {
                Aggregate::Max
            } else {
                return Err(errors::err(errors::SYNTAX));
            };
            j += 2;
        } else if !store && !card && is_opt(a, "withscores") {
            req.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && is_opt(a, "limit") {
            req.limit = match parse_i64(arg(argv, j + 1)) {
                Some(l) if l >= 0 => l.unsigned_abs(),
                _ => return Err(errors::err(LIMIT_NEGATIVE)),
            };
            j += 2;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
    }
    Ok(req)
}

/// Which multi-key command: where numkeys is, the algebra, whether it
/// stores (no WITHSCORES) or counts (LIMIT only), its name for errors.
#[derive(Clone, Copy)]
struct Form {
    numkeys_at: usize,
    op: Op,
    dst: bool,
    card: bool,
    name: &'static str,
}

/// numkeys, then the keys' types, then the options: Redis's order.
fn parse_and_load(
    argv: &[Bytes],
    store: &dyn Store,
    now: u64,
    f: Form,
) -> Result<(MultiReq, Vec<Option<Source>>), Reply> {
    let keys = multi_keys(argv, f.numkeys_at, f.name)?;
    let mut srcs = load_sources(store, argv, keys.clone(), now)?;
    let req = multi_opts(argv, keys, f.op, f.dst, f.card)?;
    for (s, w) in srcs.iter_mut().zip(&req.weights) {
        if let Some(s) = s {
            s.weight = *w;
        }
    }
    Ok((req, srcs))
}

fn precheck_multi(argv: &[Bytes], op: Op, name: &str) -> Result<(), Reply> {
    let keys = multi_keys(argv, 2, name)?;
    multi_opts(argv, keys, op, true, false).map(drop)
}

/// One input of the set algebra: a zset, or a set (every score 1).
struct Source {
    ns: Ns,
    len: u64,
    is_set: bool,
    weight: f64,
}

fn load_sources(
    store: &dyn Store,
    argv: &[Bytes],
    keys: std::ops::Range<usize>,
    now: u64,
) -> Result<Vec<Option<Source>>, Reply> {
    let mut out = Vec::with_capacity(keys.len());
    for at in keys {
        let key = arg(argv, at);
        let rec = match store.get(key)? {
            Some(r) if !r.is_expired(now) => r,
            _ => {
                out.push(None);
                continue;
            }
        };
        if rec.kind != Kind::ZSet && rec.kind != Kind::Set {
            return Err(errors::err(errors::WRONGTYPE));
        }
        let c = rec
            .coll_header()
            .ok_or_else(|| Reply::from(StoreError::corrupt(key)))?;
        out.push(Some(Source {
            ns: Ns {
                slot: key_slot(key),
                id: c.id,
            },
            len: c.len,
            is_set: rec.kind == Kind::Set,
            weight: 1.0,
        }));
    }
    Ok(out)
}

/// Every (member, score) of a source, in member-index order.
fn source_items(store: &dyn Store, s: &Source) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::with_capacity(usize::try_from(s.len).unwrap_or(0).min(1 << 16));
    let mut bad = None;
    coll::each(store, s.ns, MEMBER, &mut |k, v| {
        let member = Bytes::copy_from_slice(coll::hashed_member(k));
        if s.is_set {
            out.push((member, 1.0));
        } else {
            match decode_score(v) {
                Ok(sc) => out.push((member, sc)),
                Err(e) => {
                    bad = Some(e);
                    return false;
                }
            }
        }
        true
    })?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn source_score(store: &dyn Store, s: &Source, member: &[u8]) -> Result<Option<f64>, StoreError> {
    match store.el_get(s.ns, &member_key(member))? {
        None => Ok(None),
        Some(_) if s.is_set => Ok(Some(1.0)),
        Some(v) => decode_score(&v).map(Some),
    }
}

fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// Redis's result order: by score, then member bytes.
fn sort_items(items: &mut [Item]) {
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
}

/// The algebra over loaded sources; `limit` stops ZINTERCARD early.
fn compute(
    store: &dyn Store,
    srcs: Vec<Option<Source>>,
    op: Op,
    how: Aggregate,
    limit: u64,
) -> Result<Vec<Item>, Reply> {
    match op {
        Op::Inter => {
            let mut live = Vec::with_capacity(srcs.len());
            for s in srcs {
                match s {
                    Some(s) => live.push(s),
                    None => return Ok(Vec::new()),
                }
            }
            live.sort_by_key(|s| s.len);
            let Some((first, rest)) = live.split_first() else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            'members: for (member, sc) in source_items(store, first)? {
                let mut score = first.weight * sc;
                if score.is_nan() {
                    score = 0.0;
                }
                for other in rest {
                    let Some(v) = source_score(store, other, &member)? else {
                        continue 'members;
                    };
                    aggregate(&mut score, v * other.weight, how);
                }
                out.push((member, score));
                if limit != 0 && out.len() as u64 >= limit {
                    break;
                }
            }
            Ok(out)
        }
        Op::Union => {
            let mut live: Vec<Source> = srcs.into_iter().flatten().collect();
            live.sort_by_key(|s| s.len);
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            for s in &live {
                for (member, sc) in source_items(store, s)? {
                    let mut score = s.weight * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&member) {
                        Some(t) => aggregate(t, score, how),
                        None => {
                            acc.insert(member, score);
                        }
                    }
                }
            }
            Ok(acc.into_iter().collect())
        }
        Op::Diff => {
            let mut it = srcs.into_iter();
            let Some(Some(first)) = it.next() else {
                return Ok(Vec::new());
            };
            let others: Vec<Source> = it.flatten().collect();
            let mut out = Vec::new();
            'diff: for (member, sc) in source_items(store, &first)? {
                for o in &others {
                    if o.ns == first.ns || source_score(store, o, &member)?.is_some() {
                        continue 'diff;
                    }
                }
                out.push((member, sc));
            }
            Ok(out)
        }
    }
}

fn multi_read(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, op: Op, name: &'static str) -> R {
    let (req, srcs) = parse_and_load(
        argv,
        store,
        ctx.now_ms,
        Form {
            numkeys_at: 1,
            op,
            dst: false,
            card: false,
            name,
        },
    )?;
    let mut items = compute(store, srcs, op, req.aggregate, 0)?;
    sort_items(&mut items);
    Ok(items_reply(items, req.withscores))
}

pub(crate) fn zunion(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    multi_read(argv, ctx, store, Op::Union, "zunion")
}

pub(crate) fn zinter(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    multi_read(argv, ctx, store, Op::Inter, "zinter")
}

pub(crate) fn zdiff(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    multi_read(argv, ctx, store, Op::Diff, "zdiff")
}

pub(crate) fn zintercard(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let form = Form {
        numkeys_at: 1,
        op: Op::Inter,
        dst: false,
        card: true,
        name: "zintercard",
    };
    let (req, srcs) = parse_and_load(argv, store, ctx.now_ms, form)?;
    Ok(len_reply(
        compute(store, srcs, Op::Inter, req.aggregate, req.limit)?.len(),
    ))
}

fn multi_store(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, op: Op, name: &'static str) -> R {
    let (req, srcs) = parse_and_load(
        argv,
        store,
        ctx.now_ms,
        Form {
            numkeys_at: 2,
            op,
            dst: true,
            card: false,
            name,
        },
    )?;
    let mut items = compute(store, srcs, op, req.aggregate, 0)?;
    sort_items(&mut items);
    store_items(store, arg(argv, 1), &items, ctx.now_ms, name)
}

pub(crate) fn precheck_zunionstore(argv: &[Bytes]) -> Result<(), Reply> {
    precheck_multi(argv, Op::Union, "zunionstore")
}

pub(crate) fn precheck_zinterstore(argv: &[Bytes]) -> Result<(), Reply> {
    precheck_multi(argv, Op::Inter, "zinterstore")
}

pub(crate) fn precheck_zdiffstore(argv: &[Bytes]) -> Result<(), Reply> {
    precheck_multi(argv, Op::Diff, "zdiffstore")
}

pub(crate) fn zunionstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    multi_store(argv, ctx, store, Op::Union, "zunionstore")
}

pub(crate) fn zinterstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    multi_store(argv, ctx, store, Op::Inter, "zinterstore")
}

pub(crate) fn zdiffstore(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    multi_store(argv, ctx, store, Op::Diff, "zdiffstore")
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("zadd", write(Some(precheck_zadd), zadd)),
    ("zincrby", write(Some(precheck_zincrby), zincrby)),
    ("zrem", write(None, zrem)),
    (
        "zrangestore",
        write(Some(precheck_zrangestore), zrangestore),
    ),
    (
        "zremrangebyrank",
        write(Some(precheck_zremrangebyrank), zremrangebyrank),
    ),
    (
        "zremrangebyscore",
        write(Some(precheck_zremrangebyscore), zremrangebyscore),
    ),
    (
        "zremrangebylex",
        write(Some(precheck_zremrangebylex), zremrangebylex),
    ),
    ("zpopmin", write(Some(precheck_zpop), zpopmin)),
    ("zpopmax", write(Some(precheck_zpop), zpopmax)),
    ("zmpop", write(Some(precheck_zmpop), zmpop)),
    (
        "zunionstore",
        write(Some(precheck_zunionstore), zunionstore),
    ),
    (
        "zinterstore",
        write(Some(precheck_zinterstore), zinterstore),
    ),
    ("zdiffstore", write(Some(precheck_zdiffstore), zdiffstore)),
    ("zcard", Handler::Read(zcard)),
    ("zscore", Handler::Read(zscore)),
    ("zmscore", Handler::Read(zmscore)),
    ("zrank", Handler::Read(zrank)),
    ("zrevrank", Handler::Read(zrevrank)),
    ("zcount", Handler::Read(zcount)),
    ("zlexcount", Handler::Read(zlexcount)),
    ("zrange", Handler::Read(zrange)),
    ("zrevrange", Handler::Read(zrevrange)),
    ("zrangebyscore", Handler::Read(zrangebyscore)),
    ("zrevrangebyscore", Handler::Read(zrevrangebyscore)),
    ("zrangebylex", Handler::Read(zrangebylex)),
    ("zrevrangebylex", Handler::Read(zrevrangebylex)),
    ("zrandmember", Handler::Read(zrandmember)),
    ("zunion", Handler::Read(zunion)),
    ("zinter", Handler::Read(zinter)),
    ("zdiff", Handler::Read(zdiff)),
    ("zintercard", Handler::Read(zintercard)),
    ("zscan", Handler::Read(zscan)),
];

/// ZSCAN's heavy-pool estimate: see [`coll::scan_size`].
pub(crate) fn zscan_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    coll::scan_size(argv, ctx, store, crate::Kind::ZSet)
}

/// ZRANDMEMBER's heavy-pool estimate: see [`coll::pick_size`].
pub(crate) fn zrandmember_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    coll::pick_size(argv, ctx, store, crate::Kind::ZSet)
}

/// ZRANK, ZREVRANK (O(log n + rank)), ZCOUNT, ZLEXCOUNT (O(log n +
/// count)): they may walk the whole sorted set.
pub(crate) fn walk_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    coll::len_size(argv, ctx, store, crate::Kind::ZSet)
}

/// The ZRANGE family's heavy-pool estimate: `LIMIT offset count` bounds it,
/// a by-rank range is its clamped length, anything else may touch the
/// whole sorted set.
pub(crate) fn range_size(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
) -> Result<u64, crate::StoreError> {
    let len = super::coll::len_of(store, arg(argv, 1), ctx.now_ms, crate::Kind::ZSet)?;
    if len == 0 {
        return Ok(0);
    }
    if let Some(i) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"limit"))
        && let (Some(off), Some(n)) = (parse_i64(arg(argv, i + 1)), parse_i64(arg(argv, i + 2)))
        && n >= 0
    {
        return Ok(len.min(off.max(0).unsigned_abs().saturating_add(n.unsigned_abs())));
    }
    let name = arg(argv, 0);
    let by_rank = (name.eq_ignore_ascii_case(b"zrange") || name.eq_ignore_ascii_case(b"zrevrange"))
        && !argv
            .iter()
            .any(|a| a.eq_ignore_ascii_case(b"byscore") || a.eq_ignore_ascii_case(b"bylex"));
    if by_rank && let (Some(start), Some(stop)) = (parse_i64(arg(argv, 2)), parse_i64(arg(argv, 3)))
    {
        let n = i64::try_from(len).unwrap_or(i64::MAX);
        let norm = |x: i64| if x < 0 { (n + x).max(0) } else { x };
        let (a, b) = (norm(start), norm(stop).min(n - 1));
        return Ok(if a > b { 0 } else { (b - a + 1).unsigned_abs() });
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{Ctx, apply_write, read};
    use super::*;
    use crate::MemStore;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn d(x: f64) -> Reply {
        Reply::Double(x)
    }

    fn members(r: Reply) -> Vec<String> {
        match r {
            Reply::Array(v) => v
                .into_iter()
                .map(|i| match i {
                    Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                    other => panic!("not a bulk: {other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    fn pairs(v: &[(&str, f64)]) -> Reply {
        Reply::Pairs(v.iter().map(|(m, s)| (bulk(m), d(*s))).collect())
    }

    fn fill(s: &mut MemStore, key: &str, n: usize) {
        let mut args: Vec<String> = vec!["ZADD".into(), key.into()];
        for i in 0..n {
            args.push(i.to_string());
            args.push(format!("m{i:04}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(run(s, &refs), int(n as i64));
    }

    #[test]
    fn range_reads_estimate_what_they_touch() {
        let mut s = MemStore::new();
        fill(&mut s, "z", 100);
        let size = |args: &[&str]| range_size(&argv(args), &ctx(), &s).unwrap_or(u64::MAX);
        assert_eq!(size(&["ZRANGE", "z", "0", "9"]), 10);
        assert_eq!(size(&["ZREVRANGE", "z", "-5", "-1"]), 5);
        assert_eq!(size(&["ZRANGE", "z", "0", "-1"]), 100);
        assert_eq!(size(&["ZRANGE", "z", "50", "10"]), 0);
        assert_eq!(
            size(&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "5", "10"]),
            15
        );
        assert_eq!(size(&["ZRANGEBYSCORE", "z", "0", "5"]), 100);
        assert_eq!(size(&["ZRANGE", "z", "0", "5", "BYSCORE"]), 100);
        assert_eq!(size(&["ZRANGE", "none", "0", "-1"]), 0);
    }

    #[test]
    fn score_key_orders_like_the_scores() {
        let ordered = [
            f64::NEG_INFINITY,
            f64::MIN,
            -1.0,
            -f64::MIN_POSITIVE,
            -5e-324,
            0.0,
            5e-324,
            2.2e-308,
            f64::MIN_POSITIVE,
            1.0,
            1.5,
            f64::MAX,
            f64::INFINITY,
        ];
        for w in ordered.windows(2) {
            if let [a, b] = w {
                assert!(score_key(*a) < score_key(*b), "{a} < {b}");
            }
        }
        // -0 sorts with +0 (Redis compares them equal).
        assert_eq!(score_key(-0.0), score_key(0.0));
        assert!(score_key(-5e-324) < score_key(-0.0));
        assert!(score_key(-0.0) < score_key(5e-324));
        for s in ordered {
            assert_eq!(score_from_u64(score_u64(s)).to_bits(), s.to_bits(), "{s}");
        }
        assert_eq!(score_from_u64(score_u64(-0.0)).to_bits(), 0.0f64.to_bits());
        // The layout is part of the on-disk format.
        assert_eq!(score_key(0.0), [0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            score_key(f64::NEG_INFINITY),
            [0x00, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(score_key(f64::INFINITY), [0xff, 0xf0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn scores_parse_like_strtod() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"0x1p-2"), Some(0.25));
        assert_eq!(parse_score(b"1e-310"), Some(1e-310));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e999",
            b"1e-400",
            b"abc",
            b"1x",
            b".",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        // Range bounds: strtod without the ERANGE and space checks.
        assert_eq!(parse_score_bound(b"(1"), Some((1.0, true)));
        assert_eq!(parse_score_bound(b" 2"), Some((2.0, false)));
        assert_eq!(parse_score_bound(b"1e999"), Some((f64::INFINITY, false)));
        assert_eq!(parse_score_bound(b""), Some((0.0, false)));
        assert_eq!(parse_score_bound(b"("), Some((0.0, true)));
        assert_eq!(parse_score_bound(b"nan"), None);
        assert_eq!(parse_score_bound(b"1x"), None);
    }

    #[test]
    fn zadd_options() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["ZADD", "z", "1", "a", "2", "b"]), int(2));
        assert_eq!(
            run(&mut s, &["ZADD", "z", "NX", "5", "a", "3", "c"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), d(1.0));
        assert_eq!(
            run(&mut s, &["ZADD", "z", "XX", "5", "a", "4", "d"]),
            int(0)
        );
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), d(5.0));
        assert_eq!(run(&mut s, &["ZSCORE", "z", "d"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["ZADD", "z", "CH", "6", "a", "2", "b", "9", "e"]),
            int(2)
        );
        assert_eq!(
            run(&mut s, &["ZADD", "z", "GT", "CH", "1", "a", "7", "b"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZSCORE", "z", "a"]), d(6.0));
        assert_eq!(
            run(&mut s, &["ZADD", "z", "LT", "CH", "1", "a", "8", "b"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZSCORE", "z", "b"]), d(7.0));
        // GT/LT never block new members.
        assert_eq!(run(&mut s, &["ZADD", "z", "GT", "0", "f"]), int(1));
        assert_eq!(run(&mut s, &["ZADD", "z", "INCR", "2", "a"]), d(3.0));
        assert_eq!(
            run(&mut s, &["ZADD", "z", "NX", "INCR", "2", "a"]),
            Reply::Nil
        );
        assert_eq!(
            run(&mut s, &["ZADD", "z", "XX", "INCR", "2", "zz"]),
            Reply::Nil
        );
        assert_eq!(
            run(&mut s, &["ZADD", "z", "GT", "INCR", "-1", "a"]),
            Reply::Nil
        );
        assert_eq!(run(&mut s, &["ZADD", "nokey", "XX", "1", "a"]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["ZINCRBY", "z", "1.5", "a"]), d(4.5));
        assert_eq!(run(&mut s, &["ZINCRBY", "new", "-2", "x"]), d(-2.0));
        // Same score again: processed, not updated.
        assert_eq!(run(&mut s, &["ZADD", "z", "CH", "4.5", "a"]), int(0));
        for (args, e) in [
            (&["ZADD", "z", "CH", "1"][..], "ERR syntax error"),
            (&["ZADD", "z", "NX", "XX"], "ERR syntax error"),
            (&["ZADD", "z", "1", "a", "2"], "ERR syntax error"),
            (&["ZADD", "z", "NX", "XX", "1", "a"], XX_NX),
            (&["ZADD", "z", "NX", "GT", "1", "a"], GT_LT_NX),
            (&["ZADD", "z", "GT", "LT", "1", "a"], GT_LT_NX),
            (&["ZADD", "z", "INCR", "1", "a", "2", "b"], INCR_PAIR),
            (&["ZADD", "z", "x", "a"], "ERR value is not a valid float"),
            (
                &["ZADD", "z", "1", "a", "nan", "b"],
                "ERR value is not a valid float",
            ),
            (
                &["ZADD", "z", "1e999", "a"],
                "ERR value is not a valid float",
            ),
            (
                &["ZINCRBY", "z", "x", "a"],
                "ERR value is not a valid float",
            ),
            (&["ZINCRBY", "z", "nx", "a"], "ERR syntax error"),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
        // inf + -inf is NaN: an error, nothing changes.
        assert_eq!(run(&mut s, &["ZADD", "i", "inf", "a"]), int(1));
        assert_eq!(run(&mut s, &["ZINCRBY", "i", "-inf", "a"]), err(NAN_RESULT));
        assert_eq!(run(&mut s, &["ZSCORE", "i", "a"]), d(f64::INFINITY));
    }

    #[test]
    fn zrem_zcard_zscore_zmscore_and_types() {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
            int(3)
        );
        assert_eq!(run(&mut s, &["ZCARD", "z"]), int(3));
        assert_eq!(run(&mut s, &["ZCARD", "nokey"]), int(0));
        assert_eq!(run(&mut s, &["ZSCORE", "nokey", "a"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["ZMSCORE", "z", "a", "x", "c"]),
            Reply::Array(vec![d(1.0), Reply::Nil, d(3.0)])
        );
        assert_eq!(
            run(&mut s, &["ZMSCORE", "nokey", "a"]),
            Reply::Array(vec![Reply::Nil])
        );
        assert_eq!(run(&mut s, &["ZREM", "z", "a", "x", "a"]), int(1));
        assert_eq!(run(&mut s, &["ZREM", "z", "b", "c"]), int(2));
        assert_eq!(run(&mut s, &["EXISTS", "z"]), int(0));
        assert_eq!(s.element_count(), 0);
        assert_eq!(run(&mut s, &["SET", "str", "v"]), ok());
        for cmd in [
            &["ZADD", "str", "1", "a"][..],
            &["ZINCRBY", "str", "1", "a"],
            &["ZREM", "str", "a"],
            &["ZCARD", "str"],
            &["ZSCORE", "str", "a"],
            &["ZMSCORE", "str", "a"],
            &["ZRANK", "str", "a"],
            &["ZCOUNT", "str", "0", "1"],
            &["ZLEXCOUNT", "str", "-", "+"],
            &["ZRANGE", "str", "0", "1"],
            &["ZRANGESTORE", "d", "str", "0", "1"],
            &["ZREMRANGEBYRANK", "str", "0", "1"],
            &["ZPOPMIN", "str"],
            &["ZMPOP", "2", "nokey", "str", "MIN"],
            &["ZRANDMEMBER", "str"],
            &["ZUNION", "2", "nokey", "str"],
            &["ZINTERSTORE", "d", "1", "str"],
            &["ZINTERCARD", "1", "str"],
            &["ZSCAN", "str", "0"],
        ] {
            assert_eq!(run(&mut s, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        assert_eq!(run(&mut s, &["TYPE", "new"]), Reply::Simple("none".into()));
        assert_eq!(run(&mut s, &["ZADD", "new", "1", "a"]), int(1));
        assert_eq!(run(&mut s, &["TYPE", "new"]), Reply::Simple("zset".into()));
    }

    #[test]
    fn ranks_and_ranges() {
        let mut s = MemStore::new();
        assert_eq!(
            run(
                &mut s,
                &[
                    "ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "-inf", "n", "inf", "p"
                ]
            ),
            int(6)
        );
        assert_eq!(run(&mut s, &["ZRANK", "z", "n"]), int(0));
        assert_eq!(run(&mut s, &["ZRANK", "z", "c"]), int(3));
        assert_eq!(run(&mut s, &["ZREVRANK", "z", "c"]), int(2));
        assert_eq!(run(&mut s, &["ZREVRANK", "z", "p"]), int(0));
        assert_eq!(run(&mut s, &["ZRANK", "z", "x"]), Reply::Nil);
        assert_eq!(run(&mut s, &["ZRANK", "nokey", "x"]), Reply::Nil);
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "-1"])),
            ["n", "a", "b", "c", "d", "p"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "-2", "100"])),
            ["d", "p"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "3", "1"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "1", "REV"])),
            ["p", "d"]
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGE", "z", "0", "1"])),
            ["p", "d"]
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "z", "1", "2", "WITHSCORES"]),
            pairs(&[("a", 1.0), ("b", 2.0)])
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "(1", "3", "BYSCORE"])),
            ["b", "c", "d"]
        );
        assert_eq!(
            members(run(
                &mut s,
                &["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"]
            )),
            ["a", "b"]
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGEBYSCORE", "z", "3", "(1"])),
            ["d", "c", "b"]
        );
        assert_eq!(
            members(run(
                &mut s,
                &[
                    "ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"
                ]
            )),
            ["d", "c"]
        );
        assert_eq!(
            members(run(
                &mut s,
                &["ZRANGEBYSCORE", "z", "2", "2", "LIMIT", "-1", "5"]
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(
                &mut s,
                &["ZRANGEBYSCORE", "z", "2", "2", "LIMIT", "0", "-5"]
            )),
            ["b", "c"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYSCORE", "z", "(2", "(2"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYSCORE", "z", "3", "1"])),
            Vec::<String>::new()
        );
        assert_eq!(run(&mut s, &["ZCOUNT", "z", "-inf", "+inf"]), int(6));
        assert_eq!(run(&mut s, &["ZCOUNT", "z", "(1", "2"]), int(2));
        assert_eq!(
            run(&mut s, &["ZCOUNT", "nokey", "x", "2"]),
            err(MINMAX_FLOAT)
        );
        assert_eq!(
            run(&mut s, &["ZRANGE", "nokey", "0", "-1"]),
            Reply::Array(vec![])
        );
        for (args, e) in [
            (
                &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"][..],
                LIMIT_RANK,
            ),
            (
                &["ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"],
                WITHSCORES_LEX,
            ),
            (
                &["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"],
                "ERR syntax error",
            ),
            (&["ZRANGEBYSCORE", "z", "0", "1", "REV"], "ERR syntax error"),
            (&["ZREVRANGE", "z", "0", "1", "REV"], "ERR syntax error"),
            (
                &["ZRANGE", "z", "a", "1"],
                "ERR value is not an integer or out of range",
            ),
            (
                &["ZRANGE", "z", "0", "1", "LIMIT", "x", "1"],
                "ERR value is not an integer or out of range",
            ),
            (&["ZRANGE", "z", "0", "1", "LIMIT", "1"], "ERR syntax error"),
            (&["ZRANGEBYSCORE", "z", "nan", "1"], MINMAX_FLOAT),
            (&["ZRANGEBYLEX", "z", "a", "[b"], MINMAX_LEX),
            (
                &["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
                WITHSCORES_LEX,
            ),
            (
                &["ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"],
                "ERR syntax error",
            ),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
        // An explicit `LIMIT 0 -1` is no limit to t_zset.c, even by rank.
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "0", "LIMIT", "0", "-1"])),
            ["n"]
        );
    }

    #[test]
    fn lex_ranges() {
        let mut s = MemStore::new();
        assert_eq!(
            run(
                &mut s,
                &[
                    "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab"
                ]
            ),
            int(6)
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "z", "-", "+"])),
            ["a", "ab", "b", "c", "d", "e"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "z", "[b", "(d"])),
            ["b", "c"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "z", "(a", "[b"])),
            ["ab", "b"]
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGEBYLEX", "z", "[c", "-"])),
            ["c", "b", "ab", "a"]
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGEBYLEX", "z", "(c", "(a"])),
            ["b", "ab"]
        );
        assert_eq!(
            members(run(
                &mut s,
                &["ZRANGE", "z", "[e", "[b", "BYLEX", "REV", "LIMIT", "1", "2"]
            )),
            ["d", "c"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "z", "+", "-"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "z", "[z", "+"])),
            Vec::<String>::new()
        );
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "z", "[b", "+"]), int(4));
        assert_eq!(run(&mut s, &["ZLEXCOUNT", "z", "-", "+"]), int(6));
        assert_eq!(run(&mut s, &["ZREMRANGEBYLEX", "z", "[aa", "(c"]), int(2));
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "-1"])),
            ["a", "c", "d", "e"]
        );
        // Mixed scores: walked like Redis's listpack (first >= min, while <= max).
        assert_eq!(
            run(&mut s, &["ZADD", "m", "1", "b", "2", "a", "3", "c"]),
            int(3)
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "m", "[b", "+"])),
            ["b", "a", "c"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "m", "-", "[a"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGEBYLEX", "m", "+", "[b"])),
            ["c"]
        );
        // The first member (b) is above max: empty, as zslIsInLexRange says.
        assert_eq!(
            members(run(&mut s, &["ZREVRANGEBYLEX", "m", "[a", "-"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "m", "[b", "[a"])),
            Vec::<String>::new()
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGEBYLEX", "m", "(b", "[b"])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn remrange_and_pops() {
        let mut s = MemStore::new();
        fill(&mut s, "z", 10);
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "0", "1"]), int(2));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), int(1));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "5", "2"]), int(0));
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "z", "(2", "4"]), int(2));
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYRANK", "nokey", "0", "-1"]),
            int(0)
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "-1"])),
            ["m0002", "m0005", "m0006", "m0007", "m0008"]
        );
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYRANK", "z", "x", "1"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYSCORE", "z", "x", "1"]),
            err(MINMAX_FLOAT)
        );
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYLEX", "z", "x", "+"]),
            err(MINMAX_LEX)
        );
        assert_eq!(
            run(&mut s, &["ZPOPMIN", "z"]),
            Reply::Array(vec![bulk("m0002"), d(2.0)])
        );
        assert_eq!(
            run(&mut s, &["ZPOPMAX", "z", "2"]),
            pairs(&[("m0008", 8.0), ("m0007", 7.0)])
        );
        assert_eq!(run(&mut s, &["ZPOPMIN", "z", "0"]), Reply::Array(vec![]));
        assert_eq!(run(&mut s, &["ZPOPMIN", "nokey"]), Reply::Array(vec![]));
        assert_eq!(
            run(&mut s, &["ZPOPMIN", "z", "-1"]),
            err(OUT_OF_RANGE_POSITIVE)
        );
        assert_eq!(
            run(&mut s, &["ZPOPMIN", "z", "1", "2"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["ZPOPMIN", "z", "10"]),
            pairs(&[("m0005", 5.0), ("m0006", 6.0)])
        );
        assert_eq!(run(&mut s, &["EXISTS", "z"]), int(0));
        assert_eq!(s.element_count(), 0);
        // ZMPOP takes the first existing key.
        assert_eq!(run(&mut s, &["ZADD", "b", "1", "x", "2", "y"]), int(2));
        assert_eq!(
            run(&mut s, &["ZMPOP", "2", "a", "b", "MAX", "COUNT", "5"]),
            Reply::Array(vec![
                bulk("b"),
                Reply::Array(vec![
                    Reply::Array(vec![bulk("y"), d(2.0)]),
                    Reply::Array(vec![bulk("x"), d(1.0)]),
                ]),
            ])
        );
        assert_eq!(
            run(&mut s, &["ZMPOP", "2", "a", "b", "MIN"]),
            Reply::NilArray
        );
        for (args, e) in [
            (&["ZMPOP", "0", "a", "MIN"][..], NUMKEYS_POSITIVE),
            (&["ZMPOP", "x", "a", "MIN"], NUMKEYS_POSITIVE),
            (&["ZMPOP", "2", "a", "MIN"], "ERR syntax error"),
            (&["ZMPOP", "1", "a", "MID"], "ERR syntax error"),
            (&["ZMPOP", "1", "a", "MIN", "COUNT", "0"], COUNT_POSITIVE),
            (
                &["ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"],
                "ERR syntax error",
            ),
            (&["ZMPOP", "1", "a", "MIN", "COUNT"], "ERR syntax error"),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
    }

    #[test]
    fn encodings_and_negative_zero() {
        let mut s = MemStore::new();
        fill(&mut s, "z", 128);
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "z"]), bulk("listpack"));
        assert_eq!(run(&mut s, &["ZADD", "z", "1", "extra"]), int(1));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "z", "0", "100"]), int(101));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
        let long = "x".repeat(65);
        assert_eq!(run(&mut s, &["ZADD", "l", "1", &long]), int(1));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "l"]), bulk("skiplist"));
        // A listpack keeps -0 as 0; a skiplist keeps the sign.
        assert_eq!(run(&mut s, &["ZADD", "small", "-0", "a"]), int(1));
        assert_eq!(run(&mut s, &["ZSCORE", "small", "a"]), d(0.0));
        let Reply::Double(z) = run(&mut s, &["ZSCORE", "small", "a"]) else {
            panic!()
        };
        assert!(z.is_sign_positive());
        assert_eq!(run(&mut s, &["ZADD", "l", "-0", "a"]), int(1));
        let Reply::Double(z) = run(&mut s, &["ZSCORE", "l", "a"]) else {
            panic!()
        };
        assert!(z.is_sign_negative());
        assert_eq!(
            run(&mut s, &["ZRANGEBYSCORE", "l", "0", "0"]),
            Reply::Array(vec![bulk("a")])
        );
        assert_eq!(run(&mut s, &["ZREM", "l", "a"]), int(1));
        // A STORE chooses afresh.
        assert_eq!(run(&mut s, &["ZRANGESTORE", "d", "z", "0", "2"]), int(3));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "d"]), bulk("listpack"));
        assert_eq!(run(&mut s, &["ZUNIONSTORE", "d", "2", "z", "l"]), int(29));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "d"]), bulk("skiplist"));
    }

    #[test]
    fn algebra() {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["ZADD", "a", "1", "x", "2", "y", "3", "z"]),
            int(3)
        );
        assert_eq!(
            run(&mut s, &["ZADD", "b", "10", "y", "20", "z", "30", "w"]),
            int(3)
        );
        assert_eq!(run(&mut s, &["SADD", "s", "z", "q"]), int(2));
        assert_eq!(
            run(&mut s, &["ZUNION", "2", "a", "b", "WITHSCORES"]),
            pairs(&[("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)])
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "ZINTER",
                    "2",
                    "a",
                    "b",
                    "WEIGHTS",
                    "2",
                    "0.5",
                    "AGGREGATE",
                    "MAX",
                    "WITHSCORES"
                ]
            ),
            pairs(&[("y", 5.0), ("z", 10.0)])
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "ZINTER",
                    "3",
                    "a",
                    "b",
                    "s",
                    "AGGREGATE",
                    "MIN",
                    "WITHSCORES"
                ]
            ),
            pairs(&[("z", 1.0)])
        );
        assert_eq!(members(run(&mut s, &["ZDIFF", "2", "a", "b"])), ["x"]);
        assert_eq!(
            run(&mut s, &["ZDIFF", "2", "a", "s", "WITHSCORES"]),
            pairs(&[("x", 1.0), ("y", 2.0)])
        );
        assert_eq!(
            members(run(&mut s, &["ZINTER", "2", "a", "nokey"])),
            Vec::<String>::new()
        );
        assert_eq!(run(&mut s, &["ZINTERCARD", "2", "a", "b"]), int(2));
        assert_eq!(
            run(&mut s, &["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]),
            int(1)
        );
        assert_eq!(run(&mut s, &["ZUNIONSTORE", "d", "2", "a", "s"]), int(4));
        assert_eq!(
            run(&mut s, &["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
            pairs(&[("q", 1.0), ("x", 1.0), ("y", 2.0), ("z", 4.0)])
        );
        assert_eq!(
            run(&mut s, &["ZINTERSTORE", "d", "2", "a", "nokey"]),
            int(0)
        );
        assert_eq!(run(&mut s, &["EXISTS", "d"]), int(0));
        assert_eq!(run(&mut s, &["ZDIFFSTORE", "a", "2", "a", "b"]), int(1));
        assert_eq!(
            run(&mut s, &["ZRANGE", "a", "0", "-1", "WITHSCORES"]),
            pairs(&[("x", 1.0)])
        );
        // inf + -inf sums to 0.
        assert_eq!(run(&mut s, &["ZADD", "p", "inf", "m"]), int(1));
        assert_eq!(run(&mut s, &["ZADD", "n", "-inf", "m"]), int(1));
        assert_eq!(
            run(&mut s, &["ZUNION", "2", "p", "n", "WITHSCORES"]),
            pairs(&[("m", 0.0)])
        );
        for (args, e) in [
            (
                &["ZUNION", "0", "a"][..],
                "ERR at least 1 input key is needed for 'zunion' command",
            ),
            (
                &["ZUNIONSTORE", "d", "0", "a"],
                "ERR at least 1 input key is needed for 'zunionstore' command",
            ),
            (
                &["ZINTERCARD", "0", "a"],
                "ERR at least 1 input key is needed for 'zintercard' command",
            ),
            (
                &["ZUNION", "x", "a"],
                "ERR value is not an integer or out of range",
            ),
            (&["ZUNION", "3", "a", "b"], "ERR syntax error"),
            (
                &["ZUNION", "2", "a", "b", "WEIGHTS", "1"],
                "ERR syntax error",
            ),
            (
                &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
                WEIGHT_FLOAT,
            ),
            (
                &["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"],
                "ERR syntax error",
            ),
            (
                &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"],
                "ERR syntax error",
            ),
            (
                &["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"],
                "ERR syntax error",
            ),
            (&["ZINTERCARD", "1", "a", "LIMIT", "-1"], LIMIT_NEGATIVE),
            (&["ZINTERCARD", "1", "a", "WITHSCORES"], "ERR syntax error"),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
        // A wrong type is reported before a bad option (keys first).
        assert_eq!(run(&mut s, &["SET", "str", "v"]), ok());
        assert_eq!(run(&mut s, &["ZUNION", "1", "str", "BAD"]), err(WRONGTYPE));
    }

    #[test]
    fn zrandmember() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["ZRANDMEMBER", "nokey"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "nokey", "2"]),
            Reply::Array(vec![])
        );
        assert_eq!(run(&mut s, &["ZADD", "z", "1", "a", "2", "b"]), int(2));
        assert_eq!(
            run(&mut s, &["ZRANDMEMBER", "z", "0"]),
            Reply::Array(vec![])
        );
        let all = run(&mut s, &["ZRANDMEMBER", "z", "5", "WITHSCORES"]);
        let Reply::Pairs(p) = all else { panic!() };
        assert_eq!(p.len(), 2);
        assert!(p.contains(&(bulk("a"), d(1.0))) && p.contains(&(bulk("b"), d(2.0))));
        let Reply::Array(v) = run(&mut s, &["ZRANDMEMBER", "z", "-5"]) else {
            panic!()
        };
        assert_eq!(v.len(), 5);
        for (args, e) in [
            (
                &["ZRANDMEMBER", "z", "x"][..],
                "ERR value is not an integer or out of range",
            ),
            (&["ZRANDMEMBER", "z", "1", "x"], "ERR syntax error"),
            (
                &["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"],
                "ERR syntax error",
            ),
            (
                &["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"],
                OUT_OF_RANGE,
            ),
            (
                &["ZRANDMEMBER", "z", "-9223372036854775808"],
                RANDOM_COUNT_RANGE,
            ),
        ] {
            assert_eq!(run(&mut s, args), err(e), "{args:?}");
        }
        fill(&mut s, "big", 700);
        let c = Ctx { rand: 11, ..ctx() };
        let Reply::Array(v) = read(&argv(&["ZRANDMEMBER", "big", "100"]), &c, &s) else {
            panic!()
        };
        let mut u: Vec<Reply> = v.clone();
        u.dedup();
        assert_eq!((v.len(), u.len()), (100, 100));
    }

    #[test]
    fn zscan_replies_scores_as_text() {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["ZADD", "z", "1.5", "a", "1e17", "b", "-0", "c"]),
            int(3)
        );
        let Reply::Array(parts) = run(&mut s, &["ZSCAN", "z", "0", "COUNT", "1"]) else {
            panic!()
        };
        assert_eq!(parts.first(), Some(&bulk("0")));
        let Some(Reply::Array(items)) = parts.get(1) else {
            panic!()
        };
        let mut got: Vec<(Reply, Reply)> = items
            .chunks(2)
            .filter_map(|c| match c {
                [m, sc] => Some((m.clone(), sc.clone())),
                _ => None,
            })
            .collect();
        got.sort_by_key(|(m, _)| format!("{m:?}"));
        assert_eq!(
            got,
            vec![
                (bulk("a"), bulk("1.5")),
                (bulk("b"), bulk("100000000000000000")),
                (bulk("c"), bulk("0")),
            ]
        );
        assert_eq!(d2string(1.1), Bytes::from("1.1000000000000001"));
        assert_eq!(d2string(-0.0), Bytes::from("-0"));
        assert_eq!(d2string(1e300), Bytes::from("1.0000000000000001e+300"));
        fill(&mut s, "big", 500);
        let mut cursor = "0".to_string();
        let mut seen = 0;
        for _ in 0..200 {
            let Reply::Array(parts) = run(&mut s, &["ZSCAN", "big", &cursor, "COUNT", "20"]) else {
                panic!()
            };
            let Some(Reply::Bulk(next)) = parts.first() else {
                panic!()
            };
            let Some(Reply::Array(items)) = parts.get(1) else {
                panic!()
            };
            seen += items.len() / 2;
            cursor = String::from_utf8_lossy(next).into_owned();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen, 500);
    }

    #[test]
    fn zrank_walks_and_big_ranges() {
        let mut s = MemStore::new();
        fill(&mut s, "z", 1000);
        assert_eq!(run(&mut s, &["ZRANK", "z", "m0999"]), int(999));
        assert_eq!(run(&mut s, &["ZREVRANK", "z", "m0999"]), int(0));
        assert_eq!(run(&mut s, &["ZRANK", "z", "m0500"]), int(500));
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "500", "502"])),
            ["m0500", "m0501", "m0502"]
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "z", "0", "1", "REV"])),
            ["m0999", "m0998"]
        );
        assert_eq!(run(&mut s, &["ZCOUNT", "z", "100", "(200"]), int(100));
        assert_eq!(
            apply_write(&argv(&["ZPOPMIN", "z", "3"]), &ctx(), &mut s),
            pairs(&[("m0000", 0.0), ("m0001", 1.0), ("m0002", 2.0)])
        );
        assert_eq!(run(&mut s, &["ZCARD", "z"]), int(997));
    }

    #[test]
    fn end_bounds_follow_pops_trims_and_inserts() {
        let mut s = MemStore::new();
        fill(&mut s, "q", 10);
        assert_eq!(
            run(&mut s, &["ZPOPMIN", "q", "3"]),
            pairs(&[("m0000", 0.0), ("m0001", 1.0), ("m0002", 2.0)])
        );
        let lo = |s: &mut MemStore| {
            let m = load(s, b"q", NOW).ok().flatten().map(|m| hints(&m.coll));
            m.unwrap_or_default()
        };
        let mut want = index_key(2.0, b"m0002");
        want.push(0);
        assert_eq!(lo(&mut s).lo, Some(want));
        // A member below the bound moves it back: nothing is hidden.
        assert_eq!(
            run(&mut s, &["ZADD", "q", "-5", "low", "1", "m0001"]),
            int(2)
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "q", "0", "2"])),
            ["low", "m0001", "m0003"]
        );
        assert_eq!(run(&mut s, &["ZRANK", "q", "m0003"]), int(2));
        assert_eq!(
            run(&mut s, &["ZPOPMAX", "q", "2"]),
            pairs(&[("m0009", 9.0), ("m0008", 8.0)])
        );
        assert_eq!(lo(&mut s).hi, Some(index_key(8.0, b"m0008")));
        assert_eq!(
            run(&mut s, &["ZADD", "q", "8", "m0008", "100", "top"]),
            int(2)
        );
        assert_eq!(
            members(run(&mut s, &["ZREVRANGE", "q", "0", "1"])),
            ["top", "m0008"]
        );
        assert_eq!(run(&mut s, &["ZCOUNT", "q", "-inf", "+inf"]), int(9));
        // Trims of either end.
        assert_eq!(run(&mut s, &["ZREMRANGEBYSCORE", "q", "-inf", "3"]), int(3));
        assert_eq!(run(&mut s, &["ZREMRANGEBYRANK", "q", "-2", "-1"]), int(2));
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "q", "0", "-1"])),
            ["m0004", "m0005", "m0006", "m0007"]
        );
        assert_eq!(run(&mut s, &["ZADD", "q", "0", "a", "50", "z"]), int(2));
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "q", "0", "-1"])),
            ["a", "m0004", "m0005", "m0006", "m0007", "z"]
        );
        assert_eq!(run(&mut s, &["ZREMRANGEBYLEX", "q", "-", "+"]), int(6));
        assert_eq!(run(&mut s, &["EXISTS", "q"]), int(0));
        // A drained queue moves to a fresh id (bounds and count reset).
        fill(&mut s, "big", 5000);
        assert_eq!(
            run(&mut s, &["ZREMRANGEBYRANK", "big", "0", "4989"]),
            int(4990)
        );
        let m = load(&s, b"big", NOW).ok().flatten();
        let c = m.map(|m| m.coll).unwrap_or_default();
        assert_eq!(
            (c.len, set::deletions(&c), hints(&c)),
            (10, 0, Hints::default())
        );
        assert_eq!(
            members(run(&mut s, &["ZRANGE", "big", "0", "1"])),
            ["m4990", "m4991"]
        );
        assert_eq!(run(&mut s, &["ZRANK", "big", "m4999"]), int(9));
        // The deletion count rides in the same ext.
        fill(&mut s, "c", 3);
        assert_eq!(run(&mut s, &["ZREM", "c", "m0001"]), int(1));
        let m = load(&s, b"c", NOW)
            .ok()
            .flatten()
            .map(|m| set::deletions(&m.coll));
        assert_eq!(m, Some(1));
    }

    #[test]
    fn a_failed_element_read_is_an_error_never_absence() {
        let mut m = MemStore::new();
        fill(&mut m, "{t}z", 200);
        assert_eq!(run(&mut m, &["ZADD", "{t}y", "1", "a"]), int(1));
        let want = err("ERR storage read error: injected");
        let mut s = super::super::set::tests::faulty_elements(m);
        for cmd in [
            &["ZSCORE", "{t}z", "m0001"][..],
            &["ZMSCORE", "{t}z", "m0001"],
            &["ZRANK", "{t}z", "m0001"],
            &["ZCOUNT", "{t}z", "0", "5"],
            &["ZLEXCOUNT", "{t}z", "-", "+"],
            &["ZRANGE", "{t}z", "0", "5"],
            &["ZRANGE", "{t}z", "0", "5", "BYSCORE"],
            &["ZRANGEBYLEX", "{t}z", "-", "+"],
            &["ZRANDMEMBER", "{t}z"],
            &["ZRANDMEMBER", "{t}z", "-3"],
            &["ZUNION", "2", "{t}z", "{t}y"],
            &["ZINTERCARD", "2", "{t}z", "{t}y"],
            &["ZSCAN", "{t}z", "0"],
        ] {
            assert_eq!(read(&argv(cmd), &ctx(), &s), want, "{cmd:?}");
        }
        for cmd in [
            &["ZADD", "{t}z", "1", "m0001"][..],
            &["ZINCRBY", "{t}z", "1", "m0001"],
            &["ZREM", "{t}z", "m0001"],
            &["ZPOPMIN", "{t}z"],
            &["ZMPOP", "1", "{t}z", "MAX"],
            &["ZREMRANGEBYRANK", "{t}z", "0", "1"],
            &["ZRANGESTORE", "{t}d", "{t}z", "0", "1"],
            &["ZUNIONSTORE", "{t}d", "2", "{t}z", "{t}y"],
        ] {
            assert_eq!(apply_write(&argv(cmd), &ctx(), &mut s), want, "{cmd:?}");
        }
        assert_eq!(run(&mut s.inner, &["ZCARD", "{t}z"]), int(200));
        assert_eq!(run(&mut s.inner, &["EXISTS", "{t}d"]), int(0));
    }
}
