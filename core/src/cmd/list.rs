//! The list family: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX
//! LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, ported from Redis
//! 7.0.15's t_list.c: the same argument checks in the same order (which
//! error a bad call gets), replies and error texts.
//!
//! Layout (docs/design/0019 section 1): a list is dense. Its meta record's
//! `Coll::ext` holds `head` (u64 BE) and element `i` is stored at position
//! `head + i`, element key `'l' | pos BE`. A new list starts at head 2^63,
//! so LPUSH (`head - 1`) and RPUSH (`head + len`) both have 2^63 positions
//! of room. LINDEX and LSET are one point operation, LRANGE and pops one
//! range read (O(log n + count)), LTRIM writes one blind delete per
//! removed element, and LINSERT/LREM shift whichever side of the change is
//! shorter. A pop or LREM that empties a list deletes the elements it read
//! one by one (so dropping the meta leaves no garbage to sweep: the common
//! queue of one element pushed and popped costs no sweep); an LTRIM that
//! empties it reads nothing and deletes only the meta, whose elements the
//! store then drops as garbage, O(1) however long the list was.
//!
//! [`pop`], [`push`], [`lmove_one`] and [`mpop`] are the operations the
//! blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) will serve
//! their waiters with.

use super::coll::{self, Meta};
use super::num::parse_i64;
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, arg_bytes, is_opt};
use crate::Reply;
use crate::errors;
use crate::notify::LIST;
use crate::store::{Kind, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::ops::Bound;

/// The `sub` tag of a list element key.
const TAG: u8 = b'l';
/// Where a new list's head starts: the middle of the position space.
const NEW_HEAD: u64 = 1 << 63;

/// Not reachable in practice (2^63 pushes to one end of one list), but a
/// position must never wrap: the elements would fall out of order.
const LIST_FULL: &str = "ERR list position space exhausted";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";
const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
const COUNT_POSITIVE: &str = "ERR count should be greater than 0";
const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";

/// The element key of position `pos`.
fn el_key(pos: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = TAG;
    k[1..].copy_from_slice(&pos.to_be_bytes());
    k
}

/// Which end of a list (`LEFT` is the head, index 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl End {
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    /// `getListPositionFromObjectOrReply`: LEFT or RIGHT, any case.
    pub(crate) fn parse(a: &[u8]) -> Result<End, Reply> {
        if is_opt(a, "right") {
            Ok(End::Right)
        } else if is_opt(a, "left") {
            Ok(End::Left)
        } else {
            Err(errors::err(errors::SYNTAX))
        }
    }
}

/// A live list: its meta and head position.
struct List {
    m: Meta,
    head: u64,
}

impl List {
    fn from_meta(key: &[u8], m: Meta) -> Result<List, Reply> {
        let head = if m.stored {
            m.coll
                .ext
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Reply::from(StoreError::corrupt(key)))?
        } else {
            NEW_HEAD
        };
        Ok(List { m, head })
    }

    /// The list at `key`; `None` when absent or expired, WRONGTYPE when the
    /// key holds another type.
    fn load(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<Option<List>, Reply> {
        match coll::load(store, key, now_ms, Kind::List)? {
            Some(m) => List::from_meta(key, m).map(Some),
            None => Ok(None),
        }
    }

    /// Like [`List::load`], an absent key giving a new empty list.
    fn load_or_new(store: &mut dyn Store, key: &[u8], now_ms: u64) -> Result<List, Reply> {
        let m = coll::load_or_new(store, key, now_ms, Kind::List)?;
        List::from_meta(key, m)
    }

    fn len(&self) -> u64 {
        self.m.coll.len
    }

    /// Position of index `i` (< len; `head + len` never overflows, see
    /// [`List::push`]).
    fn pos(&self, i: u64) -> u64 {
        self.head.wrapping_add(i)
    }

    /// Writes the meta back; an empty list is deleted, and its elements
    /// must be deleted already (`coll::save` drops none).
    fn save(&mut self, store: &mut dyn Store, key: &[u8], now_ms: u64) -> Result<(), Reply> {
        self.m.coll.ext = Bytes::copy_from_slice(&self.head.to_be_bytes());
        coll::save(store, key, &self.m, now_ms)?;
        Ok(())
    }

    /// The index a Redis index names (negative counts from the tail), if
    /// it is in range (quicklist's `index >= count` test).
    fn index(&self, i: i64) -> Option<u64> {
        let len = self.len();
        if i >= 0 {
            u64::try_from(i).ok().filter(|&i| i < len)
        } else {
            // -i - 1 without overflow for i64::MIN.
            let back = u64::try_from(!i).ok()?;
            (back < len).then(|| len - 1 - back)
        }
    }

    /// Elements `lo..=hi` (indexes, `lo <= hi < len`), from `hi` down with
    /// `rev`. The list is dense, so a missing element is a corrupt store.
    fn range(
        &self,
        store: &dyn Store,
        key: &[u8],
        lo: u64,
        hi: u64,
        rev: bool,
    ) -> Result<Vec<Bytes>, Reply> {
        let want = hi.saturating_sub(lo).saturating_add(1);
        let mut out = Vec::with_capacity(usize::try_from(want.min(4096)).unwrap_or(0));
        let (a, b) = (el_key(self.pos(lo)), el_key(self.pos(hi)));
        store.el_range(
            self.m.ns,
            Bound::Included(&a),
            Bound::Included(&b),
            rev,
            &mut |_, v| {
                out.push(Bytes::copy_from_slice(v));
                true
            },
        )?;
        if out.len() as u64 != want {
            return Err(StoreError::corrupt(key).into());
        }
        Ok(out)
    }

    /// One element, by a valid index.
    fn get(&self, store: &dyn Store, key: &[u8], i: u64) -> Result<Bytes, Reply> {
        store
            .el_get(self.m.ns, &el_key(self.pos(i)))?
            .ok_or_else(|| StoreError::corrupt(key).into())
    }

    fn push(&mut self, store: &mut dyn Store, end: End, v: Bytes) -> Result<(), Reply> {
        let len = self.len();
        match end {
            End::Left => {
                let p = self
                    .head
                    .checked_sub(1)
                    .ok_or_else(|| errors::err(LIST_FULL))?;
                store.el_put(self.m.ns, &el_key(p), v);
                self.head = p;
            }
            End::Right => {
                // Keeps head + len + 1 representable.
                let p = self
                    .head
                    .checked_add(len)
                    .filter(|p| *p < u64::MAX)
                    .ok_or_else(|| errors::err(LIST_FULL))?;
                store.el_put(self.m.ns, &el_key(p), v);
            }
        }
        self.m.coll.len = len + 1;
        Ok(())
    }

    /// Removes up to `count` elements from `end`, returned in pop order.
    fn pop(
        &mut self,
        store: &mut dyn Store,
        key: &[u8],
        end: End,
        count: u64,
    ) -> Result<Vec<Bytes>, Reply> {
        let len = self.len();
        let n = count.min(len);
        if n == 0 {
            return Ok(Vec::new());
        }
        let lo = match end {
            End::Left => 0,
            End::Right => len - n,
        };
        // One element (LPOP/RPOP without a count, BLPOP's serve) is a point
        // read, cheaper in the shard than setting up a range.
        let vals = if n == 1 {
            vec![self.get(store, key, lo)?]
        } else {
            self.range(store, key, lo, lo + n - 1, end == End::Right)?
        };
        self.delete_positions(store, lo, n);
        if end == End::Left {
            self.head = self.pos(n);
        }
        self.m.coll.len = len - n;
        Ok(vals)
    }

    /// Blind deletes of `n` elements from index `from` (the caller fixes
    /// head and len).
    fn delete_positions(&self, store: &mut dyn Store, from: u64, n: u64) {
        for i in from..from.saturating_add(n) {
            store.el_del(self.m.ns, &el_key(self.pos(i)));
        }
    }

    /// Rewrites the elements at indexes `lo..hi` to the positions `to`
    /// gives (`None` drops one). Every element is read before the first
    /// write, so a failed read leaves the list as it was.
    fn relocate(
        &self,
        store: &mut dyn Store,
        key: &[u8],
        lo: u64,
        hi: u64,
        to: &mut dyn FnMut(u64) -> Option<u64>,
    ) -> Result<(), Reply> {
        if lo >= hi {
            return Ok(());
        }
        let vals = self.range(store, key, lo, hi - 1, false)?;
        for (idx, v) in (lo..hi).zip(vals) {
            if let Some(p) = to(idx) {
                store.el_put(self.m.ns, &el_key(p), v);
            }
        }
        Ok(())
    }

    /// Inserts `v` so that it becomes index `at` (`0..=len`), moving the
    /// shorter side of the list by one position.
    fn insert(
        &mut self,
        store: &mut dyn Store,
        key: &[u8],
        at: u64,
        v: Bytes,
    ) -> Result<(), Reply> {
        let len = self.len();
        if self.head.checked_add(len).is_none_or(|end| end == u64::MAX) {
            return Err(errors::err(LIST_FULL));
        }
        if at <= len - at {
            let head = self
                .head
                .checked_sub(1)
                .ok_or_else(|| errors::err(LIST_FULL))?;
            self.relocate(store, key, 0, at, &mut |i| Some(head.wrapping_add(i)))?;
            self.head = head;
        } else {
            let head = self.head;
            self.relocate(store, key, at, len, &mut |i| {
                Some(head.wrapping_add(i).wrapping_add(1))
            })?;
        }
        store.el_put(self.m.ns, &el_key(self.pos(at)), v);
        self.m.coll.len = len + 1;
        Ok(())
    }

    /// Removes the elements at `gone` (ascending, distinct, each < len),
    /// closing the gaps from whichever side moves fewer elements.
    fn remove_at(&mut self, store: &mut dyn Store, key: &[u8], gone: &[u64]) -> Result<(), Reply> {
        let len = self.len();
        let (Some(&first), Some(&last)) = (gone.first(), gone.last()) else {
            return Ok(());
        };
        let n = gone.len() as u64;
        self.m.coll.len = len - n;
        if n == len {
            self.delete_positions(store, 0, len);
            return Ok(());
        }
        let removed = |i: u64| gone.binary_search(&i).is_ok();
        // Keeping the tail still moves the survivors before `last` toward
        // it; keeping the head moves the survivors after `first`.
        let keep_tail = last + 1 - n;
        let keep_head = len - first - n;
        let head = self.head;
        if keep_tail <= keep_head {
            self.relocate(store, key, 0, last, &mut |i| {
                let after = gone.len() - gone.partition_point(|&g| g <= i);
                (!removed(i)).then(|| head.wrapping_add(i).wrapping_add(after as u64))
            })?;
            self.delete_positions(store, 0, n);
            self.head = self.pos(n);
        } else {
            self.relocate(store, key, first + 1, len, &mut |i| {
                let before = gone.partition_point(|&g| g < i);
                (!removed(i)).then(|| head.wrapping_add(i).wrapping_sub(before as u64))
            })?;
            self.delete_positions(store, len - n, n);
        }
        Ok(())
    }
}

/// Redis's `start`/`end` of LRANGE and LTRIM as an inclusive index range,
/// `None` when empty.
fn clamp_range(start: i64, end: i64, len: u64) -> Option<(u64, u64)> {
    let llen = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = if start < 0 { llen + start } else { start };
    let end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    let end = end.min(llen - 1);
    Some((u64::try_from(start).ok()?, u64::try_from(end).ok()?))
}

fn long_arg(argv: &[Bytes], i: usize) -> Result<i64, Reply> {
    parse_i64(arg(argv, i)).ok_or_else(|| errors::err(errors::NOT_INTEGER))
}

/// `getPositiveLongFromObjectOrReply`: a non-negative integer, `msg` for a
/// non-integer as well as for a negative one.
fn non_negative(a: &[u8], msg: &str) -> Result<i64, Reply> {
    parse_i64(a)
        .filter(|v| *v >= 0)
        .ok_or_else(|| errors::err(msg))
}

fn bulks(vals: Vec<Bytes>) -> Reply {
    Reply::Array(vals.into_iter().map(Reply::Bulk).collect())
}

fn as_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

// ---- operations the blocking commands reuse ----

/// Pops up to `count` elements from `end` of the list at `key`, in pop
/// order; `None` when the key is absent (or expired). Saves the list,
/// deleting it when emptied.
pub(crate) fn pop(
    store: &mut dyn Store,
    key: &[u8],
    now_ms: u64,
    end: End,
    count: u64,
) -> Result<Option<Vec<Bytes>>, Reply> {
    let Some(mut l) = List::load(store, key, now_ms)? else {
        return Ok(None);
    };
    let vals = l.pop(store, key, end, count)?;
    if !vals.is_empty() {
        l.save(store, key, now_ms)?;
        coll::notify_change(store, key, &l.m, LIST, end.pop_event());
    }
    Ok(Some(vals))
}

/// Pushes `vals` one by one at `end` (so LPUSH a b c leaves c first),
/// creating the list unless `only_existing`; the new length, `None` when
/// `only_existing` and there is no list.
pub(crate) fn push(
    store: &mut dyn Store,
    key: &[u8],
    now_ms: u64,
    end: End,
    vals: &[Bytes],
    only_existing: bool,
) -> Result<Option<u64>, Reply> {
    let mut l = if only_existing {
        match List::load(store, key, now_ms)? {
            Some(l) => l,
            None => return Ok(None),
        }
    } else {
        List::load_or_new(store, key, now_ms)?
    };
    for v in vals {
        l.push(store, end, v.clone())?;
    }
    l.save(store, key, now_ms)?;
    store.notify(LIST, end.push_event(), key);
    Ok(Some(l.len()))
}

/// LMOVE's work: pops one element from `from` of `src` and pushes it at
/// `to` of `dst`; `None` when `src` is absent. A `dst` of another type is
/// WRONGTYPE and nothing moves.
pub(crate) fn lmove_one(
    store: &mut dyn Store,
    src: &[u8],
    dst: &[u8],
    now_ms: u64,
    from: End,
    to: End,
) -> Result<Option<Bytes>, Reply> {
    let Some(mut s) = List::load(store, src, now_ms)? else {
        return Ok(None);
    };
    if s.len() == 0 {
        return Ok(None);
    }
    if src == dst {
        // One list: the same end, or a single element, leaves it as it
        // is; otherwise a rotation (the pop cannot empty it).
        // Redis pops and pushes whatever the ends: both events.
        if from == to || s.len() == 1 {
            let i = if from == End::Left { 0 } else { s.len() - 1 };
            let v = s.get(store, src, i)?;
            store.notify(LIST, to.push_event(), src);
            store.notify(LIST, from.pop_event(), src);
            return Ok(Some(v));
        }
        let v = s.pop(store, src, from, 1)?.into_iter().next();
        let v = v.ok_or_else(|| Reply::from(StoreError::corrupt(src)))?;
        s.push(store, to, v.clone())?;
        s.save(store, src, now_ms)?;
        store.notify(LIST, to.push_event(), src);
        store.notify(LIST, from.pop_event(), src);
        return Ok(Some(v));
    }
    let mut d = List::load_or_new(store, dst, now_ms)?;
    let v = s.pop(store, src, from, 1)?.into_iter().next();
    let v = v.ok_or_else(|| Reply::from(StoreError::corrupt(src)))?;
    d.push(store, to, v.clone())?;
    s.save(store, src, now_ms)?;
    d.save(store, dst, now_ms)?;
    store.notify(LIST, to.push_event(), dst);
    coll::notify_change(store, src, &s.m, LIST, from.pop_event());
    Ok(Some(v))
}

/// LMPOP's work: pops up to `count` from `end` of the first non-empty list
/// among `keys`; the key and the elements, `None` when every key is
/// absent. A key of another type before that list is WRONGTYPE.
pub(crate) fn mpop(
    store: &mut dyn Store,
    keys: &[Bytes],
    now_ms: u64,
    end: End,
    count: u64,
) -> Result<Option<(Bytes, Vec<Bytes>)>, Reply> {
    for key in keys {
        let Some(mut l) = List::load(store, key, now_ms)? else {
            continue;
        };
        if l.len() == 0 {
            continue;
        }
        let vals = l.pop(store, key, end, count)?;
        l.save(store, key, now_ms)?;
        coll::notify_change(store, key, &l.m, LIST, end.pop_event());
        return Ok(Some((key.clone(), vals)));
    }
    Ok(None)
}

// ---- prechecks: the errors that do not depend on stored data ----

/// LPOP/RPOP: at most one argument after the key, a non-negative count.
pub(crate) fn precheck_pop(argv: &[Bytes]) -> Result<(), Reply> {
    parse_pop(argv).map(drop)
}

pub(crate) fn precheck_range(argv: &[Bytes]) -> Result<(), Reply> {
    long_arg(argv, 2)?;
    long_arg(argv, 3).map(drop)
}

pub(crate) fn precheck_linsert(argv: &[Bytes]) -> Result<(), Reply> {
    parse_linsert(argv).map(drop)
}

pub(crate) fn precheck_lrem(argv: &[Bytes]) -> Result<(), Reply> {
    long_arg(argv, 2).map(drop)
}

pub(crate) fn precheck_lmove(argv: &[Bytes]) -> Result<(), Reply> {
    End::parse(arg(argv, 3))?;
    End::parse(arg(argv, 4)).map(drop)
}

pub(crate) fn precheck_lmpop(argv: &[Bytes]) -> Result<(), Reply> {
    parse_lmpop(argv).map(drop)
}

/// The count of LPOP/RPOP, `None` without one.
fn parse_pop(argv: &[Bytes]) -> Result<Option<u64>, Reply> {
    match argv.len() {
        0..=2 => Ok(None),
        3 => non_negative(arg(argv, 2), MUST_BE_POSITIVE).map(|c| Some(as_u64(c))),
        _ => Err(errors::arity(&String::from_utf8_lossy(arg(argv, 0)))),
    }
}

fn parse_linsert(argv: &[Bytes]) -> Result<End, Reply> {
    let w = arg(argv, 2);
    if is_opt(w, "after") {
        Ok(End::Right)
    } else if is_opt(w, "before") {
        Ok(End::Left)
    } else {
        Err(errors::err(errors::SYNTAX))
    }
}

/// LMPOP numkeys key... LEFT|RIGHT [COUNT count]: (first key index, key
/// count, end, count).
pub(crate) fn parse_lmpop(argv: &[Bytes]) -> Result<(usize, usize, End, u64), Reply> {
    let numkeys = parse_i64(arg(argv, 1))
        .filter(|n| *n >= 1)
        .ok_or_else(|| errors::err(NUMKEYS_POSITIVE))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    let where_idx = numkeys.saturating_add(2);
    if where_idx >= argv.len() {
        return Err(errors::err(errors::SYNTAX));
    }
    let end = End::parse(arg(argv, where_idx))?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && is_opt(arg(argv, j), "count") && j + 1 < argv.len() {
            j += 1;
            let c = parse_i64(arg(argv, j))
                .filter(|c| *c >= 1)
                .ok_or_else(|| errors::err(COUNT_POSITIVE))?;
            count = Some(as_u64(c));
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    Ok((2, numkeys, end, count.unwrap_or(1)))
}

// ---- writes ----

fn push_cmd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, end: End, xx: bool) -> R {
    let vals = argv.get(2..).unwrap_or(&[]);
    let n = push(store, arg(argv, 1), ctx.now_ms, end, vals, xx)?;
    Ok(Reply::Integer(
        n.map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX)),
    ))
}

pub(crate) fn lpush(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    push_cmd(argv, ctx, store, End::Left, false)
}

pub(crate) fn rpush(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    push_cmd(argv, ctx, store, End::Right, false)
}

pub(crate) fn lpushx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    push_cmd(argv, ctx, store, End::Left, true)
}

pub(crate) fn rpushx(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    push_cmd(argv, ctx, store, End::Right, true)
}

fn pop_cmd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, end: End) -> R {
    let count = parse_pop(argv)?;
    let key = arg(argv, 1);
    // A missing key answers before a zero count is looked at.
    let Some(vals) = pop(store, key, ctx.now_ms, end, count.unwrap_or(1))? else {
        return Ok(if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        });
    };
    Ok(match count {
        None => vals.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
        Some(_) => bulks(vals),
    })
}

pub(crate) fn lpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    pop_cmd(argv, ctx, store, End::Left)
}

pub(crate) fn rpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    pop_cmd(argv, ctx, store, End::Right)
}

/// LSET: the key is looked up before the index is parsed (a missing key
/// answers "no such key" whatever the index), so nothing is prechecked.
pub(crate) fn lset(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut l) = List::load(store, key, ctx.now_ms)? else {
        return Err(errors::err(errors::NO_SUCH_KEY));
    };
    let i = long_arg(argv, 2)?;
    let i = l.index(i).ok_or_else(|| errors::err(INDEX_OUT_OF_RANGE))?;
    store.el_put(l.m.ns, &el_key(l.pos(i)), arg_bytes(argv, 3));
    l.save(store, key, ctx.now_ms)?;
    store.notify(LIST, "lset", key);
    Ok(Reply::ok())
}

pub(crate) fn linsert(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let side = parse_linsert(argv)?;
    let key = arg(argv, 1);
    let Some(mut l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let pivot = arg(argv, 3);
    let mut found = None;
    let mut i = 0u64;
    let (a, b) = (el_key(l.pos(0)), el_key(l.pos(l.len().saturating_sub(1))));
    if l.len() > 0 {
        store.el_range(
            l.m.ns,
            Bound::Included(&a),
            Bound::Included(&b),
            false,
            &mut |_, v| {
                if v == pivot {
                    found = Some(i);
                    return false;
                }
                i += 1;
                true
            },
        )?;
    }
    let Some(at) = found else {
        return Ok(Reply::Integer(-1));
    };
    let at = if side == End::Right { at + 1 } else { at };
    l.insert(store, key, at, arg_bytes(argv, 4))?;
    l.save(store, key, ctx.now_ms)?;
    store.notify(LIST, "linsert", key);
    Ok(Reply::Integer(i64::try_from(l.len()).unwrap_or(i64::MAX)))
}

pub(crate) fn lrem(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let count = long_arg(argv, 2)?;
    let key = arg(argv, 1);
    let Some(mut l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let len = l.len();
    if len == 0 {
        return Ok(Reply::Integer(0));
    }
    // 0 removes every match; i64::MIN's magnitude exceeds any length.
    let limit = count.unsigned_abs();
    let rev = count < 0;
    let elem = arg(argv, 3);
    let mut gone = Vec::new();
    let mut i = 0u64;
    let (a, b) = (el_key(l.pos(0)), el_key(l.pos(len - 1)));
    store.el_range(
        l.m.ns,
        Bound::Included(&a),
        Bound::Included(&b),
        rev,
        &mut |_, v| {
            if v == elem {
                gone.push(if rev { len - 1 - i } else { i });
                if limit != 0 && gone.len() as u64 == limit {
                    return false;
                }
            }
            i += 1;
            true
        },
    )?;
    if gone.is_empty() {
        return Ok(Reply::Integer(0));
    }
    if rev {
        gone.reverse();
    }
    l.remove_at(store, key, &gone)?;
    l.save(store, key, ctx.now_ms)?;
    coll::notify_change(store, key, &l.m, LIST, "lrem");
    Ok(Reply::Integer(
        i64::try_from(gone.len()).unwrap_or(i64::MAX),
    ))
}

pub(crate) fn ltrim(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let start = long_arg(argv, 2)?;
    let end = long_arg(argv, 3)?;
    let key = arg(argv, 1);
    let Some(mut l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(Reply::ok());
    };
    let len = l.len();
    let (ltrim, rtrim) = match clamp_range(start, end, len) {
        Some((s, e)) => (s, len - 1 - e),
        None => (len, 0),
    };
    if ltrim + rtrim == 0 {
        // Redis notifies even when nothing was trimmed.
        store.notify(LIST, "ltrim", key);
        return Ok(Reply::ok());
    }
    if ltrim + rtrim == len {
        // Nothing left: dropping the meta makes the store drop every
        // element as garbage (swept in the background), so this costs
        // O(1) like DEL instead of one delete per element.
        store.delete(key)?;
        store.notify(LIST, "ltrim", key);
        store.notify(crate::notify::GENERIC, "del", key);
        return Ok(Reply::ok());
    }
    l.delete_positions(store, 0, ltrim);
    l.delete_positions(store, len - rtrim, rtrim);
    l.head = l.pos(ltrim);
    l.m.coll.len = len - ltrim - rtrim;
    l.save(store, key, ctx.now_ms)?;
    store.notify(LIST, "ltrim", key);
    Ok(Reply::ok())
}

fn lmove_cmd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, from: End, to: End) -> R {
    let v = lmove_one(store, arg(argv, 1), arg(argv, 2), ctx.now_ms, from, to)?;
    Ok(v.map_or(Reply::Nil, Reply::Bulk))
}

pub(crate) fn lmove(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let from = End::parse(arg(argv, 3))?;
    let to = End::parse(arg(argv, 4))?;
    lmove_cmd(argv, ctx, store, from, to)
}

pub(crate) fn rpoplpush(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    lmove_cmd(argv, ctx, store, End::Right, End::Left)
}

pub(crate) fn lmpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (first, n, end, count) = parse_lmpop(argv)?;
    let keys = argv.get(first..first.saturating_add(n)).unwrap_or(&[]);
    Ok(match mpop(store, keys, ctx.now_ms, end, count)? {
        Some((key, vals)) => Reply::Array(vec![Reply::Bulk(key), bulks(vals)]),
        None => Reply::NilArray,
    })
}

// ---- reads ----

pub(crate) fn llen(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let n = List::load(store, arg(argv, 1), ctx.now_ms)?.map_or(0, |l| l.len());
    Ok(Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// LINDEX: like LSET, the key before the index.
pub(crate) fn lindex(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Nil);
    };
    let i = long_arg(argv, 2)?;
    match l.index(i) {
        Some(i) => l.get(store, key, i).map(Reply::Bulk),
        None => Ok(Reply::Nil),
    }
}

pub(crate) fn lrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let start = long_arg(argv, 2)?;
    let end = long_arg(argv, 3)?;
    let key = arg(argv, 1);
    let Some(l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    match clamp_range(start, end, l.len()) {
        Some((lo, hi)) => Ok(bulks(l.range(store, key, lo, hi, false)?)),
        None => Ok(Reply::Array(Vec::new())),
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. The
/// rank and match arithmetic wraps like t_list.c's longs, so RANK
/// -9223372036854775808 behaves as it does in Redis.
pub(crate) fn lpos(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let mut rank: i64 = 1;
    let mut count: i64 = -1; // -1: no COUNT option
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = arg(argv, j);
        let more = j + 1 < argv.len();
        if is_opt(opt, "rank") && more {
            j += 1;
            rank = long_arg(argv, j)?;
            if rank == 0 {
                return Err(errors::err(RANK_ZERO));
            }
        } else if is_opt(opt, "count") && more {
            j += 1;
            count = non_negative(arg(argv, j), COUNT_NEGATIVE)?;
        } else if is_opt(opt, "maxlen") && more {
            j += 1;
            maxlen = non_negative(arg(argv, j), MAXLEN_NEGATIVE)?;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    let rev = rank < 0;
    if rev {
        rank = rank.wrapping_neg();
    }
    let key = arg(argv, 1);
    let Some(l) = List::load(store, key, ctx.now_ms)? else {
        return Ok(if count != -1 {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        });
    };
    let len = l.len();
    let scan = if maxlen == 0 {
        len
    } else {
        as_u64(maxlen).min(len)
    };
    let mut out = Vec::new();
    let mut found = None;
    if scan > 0 {
        let (lo, hi) = if rev {
            (len - scan, len - 1)
        } else {
            (0, scan - 1)
        };
        let (a, b) = (el_key(l.pos(lo)), el_key(l.pos(hi)));
        let elem = arg(argv, 2);
        let mut index: u64 = 0;
        let mut matches: i64 = 0;
        store.el_range(
            l.m.ns,
            Bound::Included(&a),
            Bound::Included(&b),
            rev,
            &mut |_, v| {
                if v == elem {
                    matches = matches.wrapping_add(1);
                    let at = if rev { len - index - 1 } else { index };
                    let at = i64::try_from(at).unwrap_or(i64::MAX);
                    if matches >= rank {
                        if count == -1 {
                            found = Some(at);
                            return false;
                        }
                        out.push(Reply::Integer(at));
                        if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                            return false;
                        }
                    }
                }
                index += 1;
                true
            },
        )?;
    }
    Ok(if count != -1 {
        Reply::Array(out)
    } else {
        found.map_or(Reply::Nil, Reply::Integer)
    })
}

// ---- heavy-pool size estimates (docs/design/0019 section 4) ----

/// The live list length at `key` for an estimate: 0 when absent, expired
/// or of another type (the command then answers at once).
fn len_for_size(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<u64, StoreError> {
    Ok(match store.get(key)? {
        Some(r) if r.kind == Kind::List && !r.is_expired(now_ms) => {
            r.coll_header().map_or(0, |c| c.len)
        }
        _ => 0,
    })
}

/// LRANGE reads exactly the elements its clamped range names (0 for bad
/// arguments: the command fails without reading any).
pub(crate) fn lrange_size(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let (Some(start), Some(end)) = (parse_i64(arg(argv, 2)), parse_i64(arg(argv, 3))) else {
        return Ok(0);
    };
    let len = len_for_size(store, arg(argv, 1), ctx.now_ms)?;
    Ok(clamp_range(start, end, len).map_or(0, |(lo, hi)| hi - lo + 1))
}

/// LPOS may scan the whole list, or MAXLEN elements of it.
pub(crate) fn lpos_size(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let len = len_for_size(store, arg(argv, 1), ctx.now_ms)?;
    let mut maxlen = 0;
    let mut j = 3;
    while j + 1 < argv.len() {
        if is_opt(arg(argv, j), "maxlen") {
            maxlen = parse_i64(arg(argv, j + 1)).map_or(0, as_u64);
        }
        j += 2;
    }
    Ok(if maxlen == 0 { len } else { len.min(maxlen) })
}

#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("lpush", write(None, lpush)),
    ("rpush", write(None, rpush)),
    ("lpushx", write(None, lpushx)),
    ("rpushx", write(None, rpushx)),
    ("lpop", write(Some(precheck_pop), lpop)),
    ("rpop", write(Some(precheck_pop), rpop)),
    ("llen", Handler::Read(llen)),
    ("lrange", Handler::Read(lrange)),
    ("lindex", Handler::Read(lindex)),
    ("lset", write(None, lset)),
    ("linsert", write(Some(precheck_linsert), linsert)),
    ("lrem", write(Some(precheck_lrem), lrem)),
    ("ltrim", write(Some(precheck_range), ltrim)),
    ("lpos", Handler::Read(lpos)),
    ("lmove", write(Some(precheck_lmove), lmove)),
    ("rpoplpush", write(None, rpoplpush)),
    ("lmpop", write(Some(precheck_lmpop), lmpop)),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::MUST_BE_POSITIVE;
    use crate::errors::{NO_SUCH_KEY, NOT_INTEGER, SYNTAX, WRONGTYPE};
    use crate::store::faults::{Faulty, RangeFault};
    use crate::table::Handler;
    use crate::{MemStore, Reply};
    use std::collections::VecDeque;

    fn arr(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| bulk(s)).collect())
    }

    fn ints(items: &[i64]) -> Reply {
        Reply::Array(items.iter().map(|&i| int(i)).collect())
    }

    fn all(s: &mut MemStore, key: &str) -> Reply {
        run(s, &["LRANGE", key, "0", "-1"])
    }

    /// A list of `n` elements "0".."n-1".
    fn numbered(s: &mut MemStore, key: &str, n: usize) {
        let mut cmd = vec!["RPUSH".to_string(), key.to_string()];
        cmd.extend((0..n).map(|i| i.to_string()));
        let v: Vec<&str> = cmd.iter().map(String::as_str).collect();
        assert_eq!(run(s, &v), int(n as i64));
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["LPUSH", "l", "a", "b", "c"]), int(3));
        assert_eq!(all(&mut s, "l"), arr(&["c", "b", "a"]));
        assert_eq!(run(&mut s, &["RPUSH", "l", "d", "e"]), int(5));
        assert_eq!(all(&mut s, "l"), arr(&["c", "b", "a", "d", "e"]));
        assert_eq!(run(&mut s, &["LLEN", "l"]), int(5));
        assert_eq!(run(&mut s, &["LPOP", "l"]), bulk("c"));
        assert_eq!(run(&mut s, &["RPOP", "l"]), bulk("e"));
        assert_eq!(run(&mut s, &["LPOP", "l", "0"]), arr(&[]));
        assert_eq!(run(&mut s, &["RPOP", "l", "2"]), arr(&["d", "a"]));
        assert_eq!(s.element_count(), 1);
        assert_eq!(run(&mut s, &["LPOP", "l", "10"]), arr(&["b"]));
        // The emptied list is gone, elements included.
        assert_eq!(run(&mut s, &["EXISTS", "l"]), int(0));
        assert_eq!(s.element_count(), 0);
        assert_eq!(run(&mut s, &["LPOP", "l"]), Reply::Nil);
        assert_eq!(run(&mut s, &["LPOP", "l", "1"]), Reply::NilArray);
        // A missing key answers before the zero count is looked at.
        assert_eq!(run(&mut s, &["RPOP", "l", "0"]), Reply::NilArray);
        assert_eq!(run(&mut s, &["LLEN", "l"]), int(0));
        // Binary-safe elements.
        assert_eq!(run(&mut s, &["RPUSH", "b", "", "a\r\nb\0"]), int(2));
        assert_eq!(all(&mut s, "b"), arr(&["", "a\r\nb\0"]));
    }

    #[test]
    fn pop_count_errors_come_before_the_key() {
        let mut s = MemStore::new();
        run(&mut s, &["SET", "str", "x"]);
        for c in ["-1", "x", "1.5", "-9223372036854775808"] {
            assert_eq!(run(&mut s, &["LPOP", "str", c]), err(MUST_BE_POSITIVE));
            assert_eq!(run(&mut s, &["RPOP", "nokey", c]), err(MUST_BE_POSITIVE));
        }
        assert_eq!(
            run(&mut s, &["LPOP", "l", "1", "2"]),
            err("ERR wrong number of arguments for 'lpop' command")
        );
        assert_eq!(
            run(&mut s, &["rpop", "l", "1", "2"]),
            err("ERR wrong number of arguments for 'rpop' command")
        );
        assert_eq!(run(&mut s, &["LPOP", "str"]), err(WRONGTYPE));
        assert_eq!(run(&mut s, &["RPOP", "str", "0"]), err(WRONGTYPE));
        // A huge count pops everything.
        run(&mut s, &["RPUSH", "l", "a", "b"]);
        assert_eq!(
            run(&mut s, &["RPOP", "l", "9223372036854775807"]),
            arr(&["b", "a"])
        );
    }

    #[test]
    fn pushx_needs_an_existing_list() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["LPUSHX", "l", "a"]), int(0));
        assert_eq!(run(&mut s, &["RPUSHX", "l", "a", "b"]), int(0));
        assert_eq!(run(&mut s, &["EXISTS", "l"]), int(0));
        run(&mut s, &["RPUSH", "l", "x"]);
        assert_eq!(run(&mut s, &["LPUSHX", "l", "a", "b"]), int(3));
        assert_eq!(run(&mut s, &["RPUSHX", "l", "c"]), int(4));
        assert_eq!(all(&mut s, "l"), arr(&["b", "a", "x", "c"]));
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["LPUSHX", "str", "a"]), err(WRONGTYPE));
        assert_eq!(run(&mut s, &["LPUSH", "str", "a"]), err(WRONGTYPE));
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut s = MemStore::new();
        run(&mut s, &["SET", "str", "x"]);
        run(&mut s, &["RPUSH", "l", "a"]);
        for cmd in [
            &["RPUSH", "str", "a"][..],
            &["RPUSHX", "str", "a"],
            &["LLEN", "str"],
            &["LRANGE", "str", "0", "-1"],
            &["LINDEX", "str", "0"],
            &["LINDEX", "str", "notanint"],
            &["LSET", "str", "0", "x"],
            &["LSET", "str", "notanint", "x"],
            &["LINSERT", "str", "BEFORE", "a", "b"],
            &["LREM", "str", "0", "a"],
            &["LTRIM", "str", "0", "1"],
            &["LPOS", "str", "a"],
            &["LMOVE", "str", "l", "LEFT", "LEFT"],
            &["LMOVE", "l", "str", "LEFT", "LEFT"],
            &["RPOPLPUSH", "str", "l"],
            &["RPOPLPUSH", "l", "str"],
            &["LMPOP", "2", "str", "l", "LEFT"],
        ] {
            assert_eq!(run(&mut s, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        // Nothing moved.
        assert_eq!(all(&mut s, "l"), arr(&["a"]));
        assert_eq!(run(&mut s, &["GET", "str"]), bulk("x"));
        assert_eq!(run(&mut s, &["TYPE", "l"]), Reply::Simple("list".into()));
        assert_eq!(run(&mut s, &["OBJECT", "ENCODING", "l"]), bulk("quicklist"));
    }

    #[test]
    fn lrange_indexes() {
        let mut s = MemStore::new();
        numbered(&mut s, "l", 5);
        for (a, b, want) in [
            ("0", "-1", &["0", "1", "2", "3", "4"][..]),
            ("1", "2", &["1", "2"]),
            ("-2", "-1", &["3", "4"]),
            ("-100", "1", &["0", "1"]),
            ("3", "100", &["3", "4"]),
            ("4", "4", &["4"]),
            ("5", "10", &[]),
            ("2", "1", &[]),
            ("-1", "-2", &[]),
            ("0", "-6", &[]),
            (
                "-9223372036854775808",
                "9223372036854775807",
                &["0", "1", "2", "3", "4"],
            ),
            ("9223372036854775807", "-9223372036854775808", &[]),
        ] {
            assert_eq!(run(&mut s, &["LRANGE", "l", a, b]), arr(want), "{a} {b}");
        }
        assert_eq!(run(&mut s, &["LRANGE", "nokey", "0", "-1"]), arr(&[]));
        assert_eq!(
            run(&mut s, &["LRANGE", "nokey", "x", "-1"]),
            err(NOT_INTEGER)
        );
        assert_eq!(run(&mut s, &["LRANGE", "l", "0", "1.0"]), err(NOT_INTEGER));
    }

    #[test]
    fn lindex_and_lset() {
        let mut s = MemStore::new();
        numbered(&mut s, "l", 3);
        for (i, want) in [
            ("0", bulk("0")),
            ("2", bulk("2")),
            ("-1", bulk("2")),
            ("-3", bulk("0")),
            ("3", Reply::Nil),
            ("-4", Reply::Nil),
            ("9223372036854775807", Reply::Nil),
            ("-9223372036854775808", Reply::Nil),
        ] {
            assert_eq!(run(&mut s, &["LINDEX", "l", i]), want, "{i}");
        }
        // The key is looked up before the index is parsed.
        assert_eq!(run(&mut s, &["LINDEX", "nokey", "x"]), Reply::Nil);
        assert_eq!(run(&mut s, &["LINDEX", "l", "x"]), err(NOT_INTEGER));
        assert_eq!(run(&mut s, &["LSET", "nokey", "x", "v"]), err(NO_SUCH_KEY));
        assert_eq!(run(&mut s, &["LSET", "nokey", "0", "v"]), err(NO_SUCH_KEY));
        assert_eq!(run(&mut s, &["LSET", "l", "x", "v"]), err(NOT_INTEGER));
        assert_eq!(
            run(&mut s, &["LSET", "l", "3", "v"]),
            err("ERR index out of range")
        );
        assert_eq!(
            run(&mut s, &["LSET", "l", "-4", "v"]),
            err("ERR index out of range")
        );
        assert_eq!(run(&mut s, &["LSET", "l", "1", "b"]), ok());
        assert_eq!(run(&mut s, &["LSET", "l", "-1", "c"]), ok());
        assert_eq!(all(&mut s, "l"), arr(&["0", "b", "c"]));
        assert_eq!(s.element_count(), 3);
    }

    #[test]
    fn linsert_on_either_side_of_every_pivot() {
        for n in 1..=7usize {
            for p in 0..n {
                for (side, off) in [("BEFORE", 0), ("after", 1)] {
                    let mut s = MemStore::new();
                    numbered(&mut s, "l", n);
                    // Pushes on the left first, so head moved before.
                    run(&mut s, &["LPUSH", "l", "x"]);
                    run(&mut s, &["LPOP", "l"]);
                    let pivot = p.to_string();
                    assert_eq!(
                        run(&mut s, &["LINSERT", "l", side, &pivot, "new"]),
                        int(n as i64 + 1)
                    );
                    let mut want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
                    want.insert(p + off, "new".into());
                    let want: Vec<&str> = want.iter().map(String::as_str).collect();
                    assert_eq!(all(&mut s, "l"), arr(&want), "{n} {p} {side}");
                    assert_eq!(s.element_count(), n + 1, "no stale element");
                }
            }
        }
        let mut s = MemStore::new();
        run(&mut s, &["RPUSH", "l", "a", "b", "a"]);
        // The first pivot from the head.
        assert_eq!(run(&mut s, &["LINSERT", "l", "AFTER", "a", "x"]), int(4));
        assert_eq!(all(&mut s, "l"), arr(&["a", "x", "b", "a"]));
        assert_eq!(run(&mut s, &["LINSERT", "l", "BEFORE", "zz", "x"]), int(-1));
        assert_eq!(
            run(&mut s, &["LINSERT", "nokey", "BEFORE", "a", "x"]),
            int(0)
        );
        assert_eq!(run(&mut s, &["EXISTS", "nokey"]), int(0));
        assert_eq!(
            run(&mut s, &["LINSERT", "nokey", "MIDDLE", "a", "x"]),
            err(SYNTAX)
        );
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(
            run(&mut s, &["LINSERT", "str", "MIDDLE", "a", "x"]),
            err(SYNTAX)
        );
    }

    #[test]
    fn linsert_and_lrem_on_a_long_list() {
        let n = 2348;
        for p in [1, n / 3, n / 2, n - 2] {
            let mut s = MemStore::new();
            numbered(&mut s, "l", n);
            let pivot = p.to_string();
            run(&mut s, &["LINSERT", "l", "BEFORE", &pivot, "new"]);
            let mut want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            want.insert(p, "new".into());
            let want: Vec<&str> = want.iter().map(String::as_str).collect();
            assert_eq!(all(&mut s, "l"), arr(&want));
            assert_eq!(run(&mut s, &["LREM", "l", "1", "new"]), int(1));
            let want: Vec<String> = (0..n).map(|i| i.to_string()).collect();
            let want: Vec<&str> = want.iter().map(String::as_str).collect();
            assert_eq!(all(&mut s, "l"), arr(&want));
            assert_eq!(s.element_count(), n);
        }
    }

    #[test]
    fn lrem_counts_and_directions() {
        let setup = |s: &mut MemStore| {
            run(s, &["DEL", "l"]);
            run(s, &["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"]);
        };
        let mut s = MemStore::new();
        for (count, removed, want) in [
            ("0", 4, &["b", "c", "b"][..]),
            ("2", 2, &["b", "c", "a", "b", "a"]),
            ("-2", 2, &["a", "b", "a", "c", "b"]),
            ("-1", 1, &["a", "b", "a", "c", "a", "b"]),
            ("1", 1, &["b", "a", "c", "a", "b", "a"]),
            ("100", 4, &["b", "c", "b"]),
            ("-9223372036854775808", 4, &["b", "c", "b"]),
        ] {
            setup(&mut s);
            assert_eq!(run(&mut s, &["LREM", "l", count, "a"]), int(removed));
            assert_eq!(all(&mut s, "l"), arr(want), "{count}");
            assert_eq!(s.element_count(), want.len());
        }
        setup(&mut s);
        assert_eq!(run(&mut s, &["LREM", "l", "0", "zz"]), int(0));
        assert_eq!(run(&mut s, &["LREM", "nokey", "0", "a"]), int(0));
        assert_eq!(run(&mut s, &["LREM", "nokey", "x", "a"]), err(NOT_INTEGER));
        // Removing every element deletes the list.
        run(&mut s, &["RPUSH", "same", "z", "z", "z"]);
        assert_eq!(run(&mut s, &["LREM", "same", "0", "z"]), int(3));
        assert_eq!(run(&mut s, &["EXISTS", "same"]), int(0));
    }

    #[test]
    fn ltrim_ranges() {
        let mut s = MemStore::new();
        for (a, b, want) in [
            ("0", "-1", &["0", "1", "2", "3", "4"][..]),
            ("1", "-2", &["1", "2", "3"]),
            ("0", "0", &["0"]),
            ("-1", "-1", &["4"]),
            ("-100", "1", &["0", "1"]),
            ("3", "100", &["3", "4"]),
        ] {
            run(&mut s, &["DEL", "l"]);
            numbered(&mut s, "l", 5);
            assert_eq!(run(&mut s, &["LTRIM", "l", a, b]), ok());
            assert_eq!(all(&mut s, "l"), arr(want), "{a} {b}");
            assert_eq!(s.element_count(), want.len());
            // Both ends still work after the trim.
            run(&mut s, &["LPUSH", "l", "L"]);
            run(&mut s, &["RPUSH", "l", "R"]);
            let mut w = vec!["L"];
            w.extend_from_slice(want);
            w.push("R");
            assert_eq!(all(&mut s, "l"), arr(&w));
        }
        for (a, b) in [("5", "10"), ("2", "1"), ("0", "-6")] {
            run(&mut s, &["DEL", "l"]);
            numbered(&mut s, "l", 5);
            assert_eq!(run(&mut s, &["LTRIM", "l", a, b]), ok());
            assert_eq!(run(&mut s, &["EXISTS", "l"]), int(0));
            assert_eq!(s.element_count(), 0);
        }
        assert_eq!(run(&mut s, &["LTRIM", "nokey", "0", "1"]), ok());
        assert_eq!(run(&mut s, &["LTRIM", "nokey", "a", "1"]), err(NOT_INTEGER));
        assert_eq!(run(&mut s, &["LTRIM", "nokey", "0", "b"]), err(NOT_INTEGER));
    }

    #[test]
    fn lpos_like_redis() {
        let mut s = MemStore::new();
        run(
            &mut s,
            &[
                "RPUSH", "l", "a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3",
            ],
        );
        let q = |s: &mut MemStore, extra: &[&str]| {
            let mut v = vec!["LPOS", "l"];
            v.extend_from_slice(extra);
            run(s, &v)
        };
        assert_eq!(q(&mut s, &["3"]), int(6));
        assert_eq!(q(&mut s, &["3", "RANK", "2"]), int(8));
        assert_eq!(q(&mut s, &["3", "RANK", "-1"]), int(10));
        assert_eq!(q(&mut s, &["3", "RANK", "-5"]), Reply::Nil);
        assert_eq!(
            q(&mut s, &["3", "COUNT", "0", "RANK", "2"]),
            ints(&[8, 9, 10])
        );
        assert_eq!(q(&mut s, &["3", "COUNT", "2"]), ints(&[6, 8]));
        assert_eq!(
            q(&mut s, &["3", "COUNT", "2", "RANK", "-1"]),
            ints(&[10, 9])
        );
        assert_eq!(q(&mut s, &["3", "MAXLEN", "6"]), Reply::Nil);
        assert_eq!(q(&mut s, &["3", "MAXLEN", "7"]), int(6));
        assert_eq!(
            q(&mut s, &["3", "COUNT", "0", "MAXLEN", "10"]),
            ints(&[6, 8, 9])
        );
        assert_eq!(
            q(&mut s, &["3", "RANK", "-1", "MAXLEN", "1", "COUNT", "0"]),
            ints(&[10])
        );
        assert_eq!(q(&mut s, &["zz"]), Reply::Nil);
        assert_eq!(q(&mut s, &["zz", "COUNT", "1"]), ints(&[]));
        // Options repeat; the last wins.
        assert_eq!(q(&mut s, &["3", "RANK", "5", "RANK", "1"]), int(6));
        // RANK i64::MIN wraps like t_list.c's long: from the tail, and the
        // COUNT test never fires.
        assert_eq!(q(&mut s, &["3", "RANK", "-9223372036854775808"]), int(10));
        assert_eq!(
            q(&mut s, &["3", "RANK", "-9223372036854775808", "COUNT", "1"]),
            ints(&[10, 9, 8, 6])
        );
        assert_eq!(
            run(&mut s, &["LPOS", "nokey", "a", "COUNT", "0"]),
            ints(&[])
        );
        assert_eq!(run(&mut s, &["LPOS", "nokey", "a"]), Reply::Nil);
        for (opts, e) in [
            (&["a", "RANK", "0"][..], super::RANK_ZERO),
            (&["a", "RANK", "x"], NOT_INTEGER),
            (&["a", "COUNT", "-1"], super::COUNT_NEGATIVE),
            (&["a", "COUNT", "x"], super::COUNT_NEGATIVE),
            (&["a", "MAXLEN", "-1"], super::MAXLEN_NEGATIVE),
            (&["a", "MAXLEN", "x"], super::MAXLEN_NEGATIVE),
            (&["a", "RANK"], SYNTAX),
            (&["a", "FOO", "1"], SYNTAX),
            (&["a", "COUNT", "1", "RANK", "0"], super::RANK_ZERO),
        ] {
            assert_eq!(q(&mut s, opts), err(e), "{opts:?}");
        }
        // Option errors come before the key's type.
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(
            run(&mut s, &["LPOS", "str", "a", "RANK", "0"]),
            err(super::RANK_ZERO)
        );
    }

    #[test]
    fn lmove_between_lists_and_within_one() {
        let mut s = MemStore::new();
        run(&mut s, &["RPUSH", "src", "a", "b", "c"]);
        assert_eq!(
            run(&mut s, &["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
            bulk("a")
        );
        assert_eq!(
            run(&mut s, &["LMOVE", "src", "dst", "right", "left"]),
            bulk("c")
        );
        assert_eq!(all(&mut s, "src"), arr(&["b"]));
        assert_eq!(all(&mut s, "dst"), arr(&["c", "a"]));
        assert_eq!(run(&mut s, &["RPOPLPUSH", "src", "dst"]), bulk("b"));
        assert_eq!(run(&mut s, &["EXISTS", "src"]), int(0));
        assert_eq!(all(&mut s, "dst"), arr(&["b", "c", "a"]));
        assert_eq!(run(&mut s, &["RPOPLPUSH", "src", "dst"]), Reply::Nil);
        assert_eq!(
            run(&mut s, &["LMOVE", "src", "dst", "LEFT", "LEFT"]),
            Reply::Nil
        );
        // Rotations of one list.
        assert_eq!(run(&mut s, &["RPOPLPUSH", "dst", "dst"]), bulk("a"));
        assert_eq!(all(&mut s, "dst"), arr(&["a", "b", "c"]));
        assert_eq!(
            run(&mut s, &["LMOVE", "dst", "dst", "LEFT", "RIGHT"]),
            bulk("a")
        );
        assert_eq!(all(&mut s, "dst"), arr(&["b", "c", "a"]));
        assert_eq!(
            run(&mut s, &["LMOVE", "dst", "dst", "LEFT", "LEFT"]),
            bulk("b")
        );
        assert_eq!(
            run(&mut s, &["LMOVE", "dst", "dst", "RIGHT", "RIGHT"]),
            bulk("a")
        );
        assert_eq!(all(&mut s, "dst"), arr(&["b", "c", "a"]));
        assert_eq!(s.element_count(), 3);
        run(&mut s, &["RPUSH", "one", "x"]);
        assert_eq!(
            run(&mut s, &["LMOVE", "one", "one", "LEFT", "RIGHT"]),
            bulk("x")
        );
        assert_eq!(all(&mut s, "one"), arr(&["x"]));
        // The position words are checked before the keys.
        assert_eq!(
            run(&mut s, &["LMOVE", "nokey", "dst", "UP", "LEFT"]),
            err(SYNTAX)
        );
        assert_eq!(
            run(&mut s, &["LMOVE", "nokey", "dst", "LEFT", "x"]),
            err(SYNTAX)
        );
        // A missing source answers nil even when the destination is no list.
        run(&mut s, &["SET", "str", "x"]);
        assert_eq!(run(&mut s, &["RPOPLPUSH", "nokey", "str"]), Reply::Nil);
    }

    #[test]
    fn lmpop_pops_from_the_first_non_empty_list() {
        let mut s = MemStore::new();
        run(&mut s, &["RPUSH", "b", "1", "2", "3"]);
        assert_eq!(
            run(&mut s, &["LMPOP", "2", "a", "b", "LEFT"]),
            Reply::Array(vec![bulk("b"), arr(&["1"])])
        );
        assert_eq!(
            run(
                &mut s,
                &["LMPOP", "3", "a", "b", "c", "right", "COUNT", "10"]
            ),
            Reply::Array(vec![bulk("b"), arr(&["3", "2"])])
        );
        assert_eq!(run(&mut s, &["EXISTS", "b"]), int(0));
        assert_eq!(
            run(&mut s, &["LMPOP", "2", "a", "b", "LEFT"]),
            Reply::NilArray
        );
        run(&mut s, &["SET", "str", "x"]);
        run(&mut s, &["RPUSH", "c", "z"]);
        // A wrong type before the first list fails; after it, it is not looked at.
        assert_eq!(
            run(&mut s, &["LMPOP", "2", "str", "c", "LEFT"]),
            err(WRONGTYPE)
        );
        assert_eq!(
            run(&mut s, &["LMPOP", "2", "c", "str", "LEFT"]),
            Reply::Array(vec![bulk("c"), arr(&["z"])])
        );
        for (cmd, e) in [
            (&["LMPOP", "0", "a", "LEFT"][..], super::NUMKEYS_POSITIVE),
            (&["LMPOP", "x", "a", "LEFT"], super::NUMKEYS_POSITIVE),
            (&["LMPOP", "-1", "a", "LEFT"], super::NUMKEYS_POSITIVE),
            (&["LMPOP", "3", "a", "LEFT"], SYNTAX),
            (&["LMPOP", "9223372036854775807", "a", "LEFT"], SYNTAX),
            (&["LMPOP", "1", "a", "UP"], SYNTAX),
            (&["LMPOP", "1", "a", "LEFT", "COUNT"], SYNTAX),
            (
                &["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
                super::COUNT_POSITIVE,
            ),
            (
                &["LMPOP", "1", "a", "LEFT", "COUNT", "x"],
                super::COUNT_POSITIVE,
            ),
            (
                &["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"],
                SYNTAX,
            ),
            (&["LMPOP", "1", "a", "LEFT", "FOO"], SYNTAX),
            (
                &["LMPOP", "1", "a"],
                "ERR wrong number of arguments for 'lmpop' command",
            ),
        ] {
            assert_eq!(run(&mut s, cmd), err(e), "{cmd:?}");
        }
    }

    #[test]
    fn an_expired_list_is_absent_and_a_push_starts_a_new_one() {
        let mut s = MemStore::new();
        run(&mut s, &["RPUSH", "l", "a", "b"]);
        assert_eq!(run(&mut s, &["PEXPIRE", "l", "100"]), int(1));
        let later = NOW + 200;
        assert_eq!(run_at(&mut s, later, &["LLEN", "l"]), int(0));
        assert_eq!(run_at(&mut s, later, &["LRANGE", "l", "0", "-1"]), arr(&[]));
        assert_eq!(run_at(&mut s, later, &["LPOP", "l"]), Reply::Nil);
        assert_eq!(
            run_at(&mut s, later, &["LSET", "l", "0", "x"]),
            err(NO_SUCH_KEY)
        );
        assert_eq!(run_at(&mut s, later, &["RPUSHX", "l", "x"]), int(0));
        assert_eq!(run_at(&mut s, later, &["RPUSH", "l", "c"]), int(1));
        assert_eq!(
            run_at(&mut s, later, &["LRANGE", "l", "0", "-1"]),
            arr(&["c"])
        );
        assert_eq!(run_at(&mut s, later, &["TTL", "l"]), int(-1));
        assert_eq!(s.element_count(), 1, "the expired list's elements went");
        // An expired string does not make a push WRONGTYPE.
        run(&mut s, &["SET", "s", "x", "PX", "100"]);
        assert_eq!(run_at(&mut s, later, &["LPUSH", "s", "a"]), int(1));
    }

    #[test]
    fn a_push_keeps_the_ttl() {
        let mut s = MemStore::new();
        run(&mut s, &["RPUSH", "l", "a"]);
        run(&mut s, &["EXPIRE", "l", "100"]);
        run(&mut s, &["RPUSH", "l", "b"]);
        run(&mut s, &["LPOP", "l"]);
        assert_eq!(run(&mut s, &["TTL", "l"]), int(100));
    }

    #[test]
    fn size_estimates_for_the_heavy_pool() {
        let mut s = MemStore::new();
        numbered(&mut s, "l", 1000);
        run(&mut s, &["SET", "str", "x"]);
        let size = |s: &MemStore, f: crate::table::SizeFn, a: &[&str]| {
            f(&argv(a), &ctx(), s).unwrap_or(u64::MAX)
        };
        let lr = super::lrange_size;
        assert_eq!(size(&s, lr, &["LRANGE", "l", "0", "9"]), 10);
        assert_eq!(size(&s, lr, &["LRANGE", "l", "0", "-1"]), 1000);
        assert_eq!(size(&s, lr, &["LRANGE", "l", "-5", "100000"]), 5);
        assert_eq!(size(&s, lr, &["LRANGE", "l", "5", "1"]), 0);
        assert_eq!(size(&s, lr, &["LRANGE", "l", "x", "1"]), 0);
        assert_eq!(size(&s, lr, &["LRANGE", "nokey", "0", "-1"]), 0);
        assert_eq!(size(&s, lr, &["LRANGE", "str", "0", "-1"]), 0);
        let lp = super::lpos_size;
        assert_eq!(size(&s, lp, &["LPOS", "l", "x"]), 1000);
        assert_eq!(size(&s, lp, &["LPOS", "l", "x", "MAXLEN", "50"]), 50);
        assert_eq!(
            size(&s, lp, &["LPOS", "l", "x", "RANK", "2", "MAXLEN", "0"]),
            1000
        );
        assert_eq!(size(&s, lp, &["LPOS", "nokey", "x"]), 0);
        // The estimate is what the table routes by.
        let spec = crate::table::lookup(b"lrange").unwrap_or_else(|| panic!("lrange"));
        assert!(spec.heavy && spec.heavy_size.is_some());
        let spec = crate::table::lookup(b"lpos").unwrap_or_else(|| panic!("lpos"));
        assert!(spec.heavy && spec.heavy_size.is_some());
    }

    /// Every list command whose read fails answers the storage error and
    /// changes nothing: a meta read of its key, or an element read.
    #[test]
    fn a_failed_read_is_an_error_and_changes_nothing() {
        const ERR: &str = "ERR storage read error: injected";
        let cmds: &[&[&str]] = &[
            &["LLEN", "k"],
            &["LRANGE", "k", "0", "-1"],
            &["LINDEX", "k", "1"],
            &["LPOS", "k", "c"],
            &["LPOS", "k", "c", "COUNT", "0"],
            &["LPUSH", "k", "x"],
            &["RPUSHX", "k", "x"],
            &["LPOP", "k"],
            &["RPOP", "k", "2"],
            &["LSET", "k", "0", "x"],
            &["LINSERT", "k", "BEFORE", "c", "x"],
            &["LINSERT", "k", "AFTER", "a", "x"],
            &["LREM", "k", "0", "b"],
            &["LREM", "k", "-1", "a"],
            &["LTRIM", "k", "1", "-1"],
            &["LMOVE", "k", "d", "LEFT", "RIGHT"],
            &["LMOVE", "d", "k", "LEFT", "RIGHT"],
            &["LMOVE", "k", "k", "LEFT", "RIGHT"],
            &["RPOPLPUSH", "k", "k"],
            &["LMPOP", "2", "nokey", "k", "LEFT"],
        ];
        // Commands that read no element (LLEN, pushes, LSET, LTRIM) fail
        // only on the meta; the rest on either.
        let no_element_read = ["LLEN", "LPUSH", "RPUSHX", "LSET", "LTRIM"];
        for (bad, elements) in [(&b"k"[..], false), (&b""[..], true)] {
            for cmd in cmds {
                let name = cmd.first().copied().unwrap_or("");
                if elements && no_element_read.contains(&name) {
                    continue;
                }
                let mut inner = MemStore::new();
                run(&mut inner, &["RPUSH", "k", "a", "b", "c", "b", "a"]);
                run(&mut inner, &["RPUSH", "d", "z"]);
                // Meta reads of `bad` fail, or every element read (a
                // range after visiting one element).
                let mut s = Faulty {
                    bad_key: Some(bad),
                    all_elements: elements,
                    ranges: if elements {
                        RangeFault::AfterFirst
                    } else {
                        RangeFault::Never
                    },
                    ..Faulty::new(inner)
                };
                let v = argv(cmd);
                let spec = crate::table::resolve(&v).unwrap_or_else(|e| panic!("{e:?}"));
                let got = match spec.handler {
                    Handler::Write { apply, .. } => apply(&v, &ctx(), &mut s),
                    Handler::Read(f) => f(&v, &ctx(), &s),
                    _ => panic!("{cmd:?}"),
                };
                assert_eq!(got, Err(err(ERR)), "{cmd:?} elements={elements}");
                let mut inner = s.inner;
                assert_eq!(
                    all(&mut inner, "k"),
                    arr(&["a", "b", "c", "b", "a"]),
                    "{cmd:?}"
                );
                assert_eq!(all(&mut inner, "d"), arr(&["z"]), "{cmd:?}");
                assert_eq!(inner.element_count(), 6, "{cmd:?}");
            }
        }
    }

    /// Random commands against a VecDeque model: contents and the stored
    /// element count match after every step.
    #[test]
    fn random_commands_match_a_model() {
        let mut s = MemStore::new();
        let mut m: VecDeque<String> = VecDeque::new();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n.max(1)
        };
        for step in 0..3000 {
            let v = rnd(6).to_string();
            let len = m.len() as i64;
            let idx = rnd(len as u64 + 4) as i64 - 2;
            match rnd(9) {
                0 => {
                    run(&mut s, &["LPUSH", "k", &v]);
                    m.push_front(v.clone());
                }
                1 => {
                    run(&mut s, &["RPUSH", "k", &v, &v]);
                    m.push_back(v.clone());
                    m.push_back(v.clone());
                }
                2 => {
                    let c = rnd(3);
                    run(&mut s, &["LPOP", "k", &c.to_string()]);
                    for _ in 0..c {
                        m.pop_front();
                    }
                }
                3 => {
                    let got = run(&mut s, &["RPOP", "k"]);
                    assert_eq!(got, m.pop_back().map_or(Reply::Nil, |x| bulk(&x)));
                }
                4 => {
                    let side = if rnd(2) == 0 { "BEFORE" } else { "AFTER" };
                    let got = run(&mut s, &["LINSERT", "k", side, &v, "n"]);
                    match m.iter().position(|x| *x == v) {
                        Some(p) => {
                            m.insert(if side == "AFTER" { p + 1 } else { p }, "n".into());
                            assert_eq!(got, int(m.len() as i64));
                        }
                        None if m.is_empty() => assert_eq!(got, int(0)),
                        None => assert_eq!(got, int(-1)),
                    }
                }
                5 => {
                    let c = rnd(5) as i64 - 2;
                    let got = run(&mut s, &["LREM", "k", &c.to_string(), &v]);
                    let mut removed = 0i64;
                    let limit = c.unsigned_abs() as i64;
                    if c >= 0 {
                        let mut i = 0;
                        while i < m.len() {
                            if m.get(i) == Some(&v) && (limit == 0 || removed < limit) {
                                m.remove(i);
                                removed += 1;
                            } else {
                                i += 1;
                            }
                        }
                    } else {
                        let mut i = m.len();
                        while i > 0 {
                            i -= 1;
                            if m.get(i) == Some(&v) && removed < limit {
                                m.remove(i);
                                removed += 1;
                            }
                        }
                    }
                    assert_eq!(got, int(removed));
                }
                6 => {
                    let a = rnd(len as u64 + 2) as i64 - 1;
                    let b = len - rnd(3) as i64 - 1;
                    run(&mut s, &["LTRIM", "k", &a.to_string(), &b.to_string()]);
                    let st = if a < 0 { (len + a).max(0) } else { a };
                    let en = if b < 0 { len + b } else { b.min(len - 1) };
                    if st > en || st >= len {
                        m.clear();
                    } else {
                        m = m.range(st as usize..=en as usize).cloned().collect();
                    }
                }
                7 => {
                    let got = run(&mut s, &["LSET", "k", &idx.to_string(), &v]);
                    let i = if idx < 0 { len + idx } else { idx };
                    if m.is_empty() {
                        assert_eq!(got, err(NO_SUCH_KEY));
                    } else if i < 0 || i >= len {
                        assert_eq!(got, err("ERR index out of range"));
                    } else {
                        if let Some(x) = m.get_mut(i as usize) {
                            *x = v.clone();
                        }
                        assert_eq!(got, ok());
                    }
                }
                _ => {
                    let (from, to) = (rnd(2) == 0, rnd(2) == 0);
                    let f = if from { "LEFT" } else { "RIGHT" };
                    let t = if to { "LEFT" } else { "RIGHT" };
                    run(&mut s, &["LMOVE", "k", "k", f, t]);
                    let x = if from { m.pop_front() } else { m.pop_back() };
                    if let Some(x) = x {
                        if to {
                            m.push_front(x);
                        } else {
                            m.push_back(x);
                        }
                    }
                }
            }
            let want: Vec<&str> = m.iter().map(String::as_str).collect();
            assert_eq!(all(&mut s, "k"), arr(&want), "step {step}");
            assert_eq!(s.element_count(), m.len(), "step {step}");
            assert_eq!(run(&mut s, &["EXISTS", "k"]), int(i64::from(!m.is_empty())));
        }
    }
}
