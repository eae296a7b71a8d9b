//! The blocking list and sorted-set commands. Each applies as its
//! non-blocking form; when every key is empty it answers
//! [`errors::WOULD_BLOCK`] and the io layer keeps the client blocked (see
//! io's `blocking`), proposing the command again after a write to one of
//! its keys. What the io layer needs to know about a blocking command
//! (its keys, its timeout, its reply on timeout) is here.

use super::list::{self, End};
use super::{Ctx, R, arg, arg_bytes};
use crate::Reply;
use crate::errors;
use crate::store::Store;
use bytes::Bytes;

const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
const TIMEOUT_RANGE: &str = "ERR timeout is out of range";

/// Redis's `getTimeoutFromObjectOrReply` for seconds given as a float:
/// the timeout in ms (0: forever).
pub(crate) fn parse_timeout_secs(a: &[u8]) -> Result<u64, Reply> {
    let s = std::str::from_utf8(a).map_err(|_| errors::err(TIMEOUT_NOT_FLOAT))?;
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| errors::err(TIMEOUT_NOT_FLOAT))?;
    if !f.is_finite() || s.trim() != s || s.is_empty() {
        return Err(errors::err(TIMEOUT_NOT_FLOAT));
    }
    let ms = (f * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(errors::err(TIMEOUT_RANGE));
    }
    if ms < 0.0 {
        return Err(errors::err(TIMEOUT_NEGATIVE));
    }
    Ok(ms as u64)
}

/// Where a blocking command keeps its timeout and its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `CMD key [key ...] timeout` (BLPOP BRPOP BZPOPMIN BZPOPMAX).
    KeysThenTimeout,
    /// `CMD src dst ... timeout` at `at`, waiting on src (BLMOVE
    /// BRPOPLPUSH).
    Move { at: usize },
    /// `CMD timeout numkeys key ...` (BLMPOP BZMPOP).
    TimeoutFirst,
    /// XREAD / XREADGROUP with `BLOCK ms`: waits on the keys after
    /// STREAMS (the first half of what follows).
    Streams,
}

fn shape(argv: &[Bytes]) -> Option<Shape> {
    let name = arg(argv, 0);
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    if is("blpop") || is("brpop") || is("bzpopmin") || is("bzpopmax") {
        Some(Shape::KeysThenTimeout)
    } else if is("blmove") {
        Some(Shape::Move { at: 5 })
    } else if is("brpoplpush") {
        Some(Shape::Move { at: 3 })
    } else if is("blmpop") || is("bzmpop") {
        Some(Shape::TimeoutFirst)
    } else if is(PROBE) {
        Some(Shape::KeysThenTimeout)
    } else if (is("xread") || is("xreadgroup") || is(XREAD_BLOCK)) && block_at(argv).is_some() {
        Some(Shape::Streams)
    } else {
        None
    }
}

/// `COREKV.BPROBE key… timeout`: blocks, like BLPOP, until one of its keys
/// holds a value, then answers 1 without taking anything (0: the timeout
/// passed first). The wake-up of a blocking command whose keys are in
/// several groups: one probe per group, then a pop across groups.
pub const PROBE: &str = "corekv.bprobe";

/// [`PROBE`]'s apply.
pub(crate) fn bprobe(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let keys = argv.get(1..argv.len().saturating_sub(1)).unwrap_or(&[]);
    for key in keys {
        if super::live(store, key, ctx.now_ms)?.is_some() {
            return Ok(Reply::Integer(1));
        }
    }
    would_block_reply()
}

/// The internal write a blocking XREAD becomes (io rewrites the name): a
/// read cannot wait in the log's blocking layer, a write can.
pub const XREAD_BLOCK: &str = "corekv.xreadblock";

/// Position of XREAD/XREADGROUP's BLOCK value (options come before
/// STREAMS).
fn block_at(argv: &[Bytes]) -> Option<usize> {
    let mut i = 1;
    while i + 1 < argv.len() {
        let a = arg(argv, i);
        if a.eq_ignore_ascii_case(b"streams") {
            return None;
        }
        if a.eq_ignore_ascii_case(b"block") {
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// The keys after STREAMS.
fn stream_keys(argv: &[Bytes]) -> &[Bytes] {
    let Some(at) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"streams")) else {
        return &[];
    };
    let rest = argv.get(at + 1..).unwrap_or(&[]);
    rest.get(..rest.len() / 2).unwrap_or(&[])
}

/// A blocking XREAD's would-block answer carries the id each stream waits
/// after (`$` resolved at apply): writes them over the `$` arguments so
/// the serves read after those ids.
pub fn resolve_ids(argv: &mut [Bytes], reply: &Reply) {
    let Reply::Error(text) = reply else { return };
    let Some(ids) = text.strip_prefix(errors::WOULD_BLOCK) else {
        return;
    };
    let Some(at) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"streams")) else {
        return;
    };
    let n = argv.len().saturating_sub(at + 1) / 2;
    for (i, id) in ids.split_whitespace().enumerate().take(n) {
        if let Some(a) = argv.get_mut(at + 1 + n + i)
            && a.as_ref() == b"$"
        {
            *a = Bytes::copy_from_slice(id.as_bytes());
        }
    }
}

/// Whether `argv` is a blocking command this module knows.
pub fn is_blocking(argv: &[Bytes]) -> bool {
    argv.first()
        .is_some_and(|n| matches!(n.first(), Some(b'b' | b'B' | b'x' | b'X' | b'c' | b'C')))
        && shape(argv).is_some()
}

/// Whether a blocking command waits on streams (for entries after ids)
/// rather than on keys that hold no value.
pub fn waits_on_streams(argv: &[Bytes]) -> bool {
    shape(argv) == Some(Shape::Streams)
}

/// XREAD with BLOCK: io sends it through the log as [`XREAD_BLOCK`].
pub fn is_xread_block(argv: &[Bytes]) -> bool {
    arg(argv, 0).eq_ignore_ascii_case(b"xread") && block_at(argv).is_some()
}

/// The keys a blocked client waits on (a write to any of them wakes it).
pub fn wait_keys(argv: &[Bytes]) -> Vec<Bytes> {
    match shape(argv) {
        Some(Shape::KeysThenTimeout) => argv
            .get(1..argv.len().saturating_sub(1))
            .unwrap_or(&[])
            .to_vec(),
        Some(Shape::Move { .. }) => vec![arg_bytes(argv, 1)],
        Some(Shape::TimeoutFirst) => {
            let n = super::num::parse_i64(arg(argv, 2)).unwrap_or(0).max(0) as usize;
            argv.get(3..3 + n).unwrap_or(&[]).to_vec()
        }
        Some(Shape::Streams) => stream_keys(argv).to_vec(),
        None => Vec::new(),
    }
}

/// The timeout in ms (0: block forever); `None` if it does not parse
/// (the precheck refused such a command before it was proposed).
pub fn timeout_ms(argv: &[Bytes]) -> Option<u64> {
    if shape(argv)? == Shape::Streams {
        // XREAD's BLOCK is integer milliseconds.
        let ms = super::num::parse_i64(arg(argv, block_at(argv)?))?;
        return u64::try_from(ms).ok();
    }
    let at = match shape(argv)? {
        Shape::KeysThenTimeout => argv.len().checked_sub(1)?,
        Shape::Move { at } => at,
        Shape::TimeoutFirst => 1,
        Shape::Streams => return None,
    };
    parse_timeout_secs(arg(argv, at)).ok()
}

/// What a client gets when its timeout passes: a null array, or for
/// BLMOVE/BRPOPLPUSH a null bulk.
pub fn timeout_reply(argv: &[Bytes]) -> Reply {
    match shape(argv) {
        Some(Shape::Move { .. }) => Reply::Nil,
        _ => Reply::NilArray,
    }
}

/// Whether a reply is the apply's "nothing to pop yet" (a blocking XREAD
/// appends the ids it waits after).
pub fn would_block(r: &Reply) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with(errors::WOULD_BLOCK))
}

/// The timeout argument's precheck.
fn check_timeout(argv: &[Bytes]) -> Result<(), Reply> {
    let at = match shape(argv) {
        Some(Shape::KeysThenTimeout) => argv.len().saturating_sub(1),
        Some(Shape::Move { at }) => at,
        Some(Shape::TimeoutFirst) => 1,
        Some(Shape::Streams) | None => return Ok(()),
    };
    parse_timeout_secs(arg(argv, at)).map(drop)
}

fn would_block_reply() -> R {
    Err(errors::err(errors::WOULD_BLOCK))
}

// ---- lists ----

/// BLPOP/BRPOP: pops one element from the first non-empty list, in key
/// order; a key of another type on the way is WRONGTYPE.
fn bpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, end: End) -> R {
    let keys = argv.get(1..argv.len().saturating_sub(1)).unwrap_or(&[]);
    for key in keys {
        if let Some(vals) = list::pop(store, key, ctx.now_ms, end, 1)?
            && let Some(v) = vals.into_iter().next()
        {
            return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v)]));
        }
    }
    would_block_reply()
}

pub(crate) fn blpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    bpop(argv, ctx, store, End::Left)
}

pub(crate) fn brpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    bpop(argv, ctx, store, End::Right)
}

fn bmove(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, from: End, to: End) -> R {
    match list::lmove_one(store, arg(argv, 1), arg(argv, 2), ctx.now_ms, from, to)? {
        Some(v) => Ok(Reply::Bulk(v)),
        None => would_block_reply(),
    }
}

pub(crate) fn blmove(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let from = End::parse(arg(argv, 3))?;
    let to = End::parse(arg(argv, 4))?;
    bmove(argv, ctx, store, from, to)
}

pub(crate) fn brpoplpush(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    bmove(argv, ctx, store, End::Right, End::Left)
}

/// BLMPOP is LMPOP after its timeout argument.
pub(crate) fn blmpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let rest = argv.get(1..).unwrap_or(&[]);
    let (first, n, end, count) = list::parse_lmpop(rest)?;
    let keys = rest.get(first..first.saturating_add(n)).unwrap_or(&[]);
    match list::mpop(store, keys, ctx.now_ms, end, count)? {
        Some((key, vals)) => Ok(Reply::Array(vec![
            Reply::Bulk(key),
            Reply::Array(vals.into_iter().map(Reply::Bulk).collect()),
        ])),
        None => would_block_reply(),
    }
}

// ---- sorted sets ----

/// BZPOPMIN/BZPOPMAX: the lowest (highest) member of the first non-empty
/// sorted set, as [key, member, score].
fn bzpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store, max: bool) -> R {
    let keys = argv.get(1..argv.len().saturating_sub(1)).unwrap_or(&[]);
    let name = if max { "ZPOPMAX" } else { "ZPOPMIN" };
    for key in keys {
        let one = [Bytes::from_static(name.as_bytes()), key.clone()];
        let popped = if max {
            super::zset::zpopmax(&one, ctx, store)?
        } else {
            super::zset::zpopmin(&one, ctx, store)?
        };
        if let Reply::Array(items) = popped
            && items.len() == 2
        {
            let mut out = vec![Reply::Bulk(key.clone())];
            out.extend(items);
            return Ok(Reply::Array(out));
        }
    }
    would_block_reply()
}

pub(crate) fn bzpopmin(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    bzpop(argv, ctx, store, false)
}

pub(crate) fn bzpopmax(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    bzpop(argv, ctx, store, true)
}

/// BZMPOP is ZMPOP after its timeout argument.
pub(crate) fn bzmpop(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    match super::zset::zmpop(argv.get(1..).unwrap_or(&[]), ctx, store)? {
        Reply::NilArray => would_block_reply(),
        r => Ok(r),
    }
}

// ---- prechecks ----

pub(crate) fn precheck_bpop(argv: &[Bytes]) -> Result<(), Reply> {
    check_timeout(argv)
}

pub(crate) fn precheck_blmove(argv: &[Bytes]) -> Result<(), Reply> {
    End::parse(arg(argv, 3))?;
    End::parse(arg(argv, 4))?;
    check_timeout(argv)
}

pub(crate) fn precheck_bzmpop(argv: &[Bytes]) -> Result<(), Reply> {
    check_timeout(argv)?;
    super::zset::precheck_zmpop(argv.get(1..).unwrap_or(&[]))
}

pub(crate) fn precheck_blmpop(argv: &[Bytes]) -> Result<(), Reply> {
    check_timeout(argv)?;
    list::parse_lmpop(argv.get(1..).unwrap_or(&[])).map(drop)
}

#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, crate::table::Handler)] = &[
    ("blpop", super::write(Some(precheck_bpop), blpop)),
    ("brpop", super::write(Some(precheck_bpop), brpop)),
    ("blmove", super::write(Some(precheck_blmove), blmove)),
    ("brpoplpush", super::write(Some(precheck_bpop), brpoplpush)),
    ("blmpop", super::write(Some(precheck_blmpop), blmpop)),
    ("bzpopmin", super::write(Some(precheck_bpop), bzpopmin)),
    ("bzpopmax", super::write(Some(precheck_bpop), bzpopmax)),
    ("bzmpop", super::write(Some(precheck_bzmpop), bzmpop)),
    (PROBE, super::write(Some(precheck_bpop), bprobe)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testutil::argv;

    #[test]
    fn timeouts_parse_like_redis() {
        assert_eq!(parse_timeout_secs(b"0"), Ok(0));
        assert_eq!(parse_timeout_secs(b"0.1"), Ok(100));
        assert_eq!(parse_timeout_secs(b"1.0001"), Ok(1001));
        assert_eq!(
            parse_timeout_secs(b"-1"),
            Err(errors::err(TIMEOUT_NEGATIVE))
        );
        assert_eq!(
            parse_timeout_secs(b"x"),
            Err(errors::err(TIMEOUT_NOT_FLOAT))
        );
        assert_eq!(
            parse_timeout_secs(b"inf"),
            Err(errors::err(TIMEOUT_NOT_FLOAT))
        );
        assert_eq!(
            parse_timeout_secs(b"1e300"),
            Err(errors::err(TIMEOUT_RANGE))
        );
    }

    #[test]
    fn keys_and_timeouts_per_shape() {
        let v = argv(&["BLPOP", "a", "b", "1.5"]);
        assert!(is_blocking(&v));
        assert_eq!(wait_keys(&v), argv(&["a", "b"]));
        assert_eq!(timeout_ms(&v), Some(1500));
        assert_eq!(timeout_reply(&v), Reply::NilArray);
        let v = argv(&["blmove", "s", "d", "LEFT", "RIGHT", "0"]);
        assert_eq!(wait_keys(&v), argv(&["s"]));
        assert_eq!(timeout_ms(&v), Some(0));
        assert_eq!(timeout_reply(&v), Reply::Nil);
        let v = argv(&["BZMPOP", "2", "2", "x", "y", "MIN"]);
        assert_eq!(wait_keys(&v), argv(&["x", "y"]));
        assert_eq!(timeout_ms(&v), Some(2000));
        assert!(!is_blocking(&argv(&["LPOP", "a"])));
        let v = argv(&[
            "XREAD", "COUNT", "2", "BLOCK", "150", "STREAMS", "a", "b", "$", "0",
        ]);
        assert!(is_blocking(&v) && is_xread_block(&v));
        assert_eq!(wait_keys(&v), argv(&["a", "b"]));
        assert_eq!(timeout_ms(&v), Some(150));
        let mut w = v.clone();
        resolve_ids(
            &mut w,
            &Reply::Error(format!("{} 5-1 0-0", errors::WOULD_BLOCK)),
        );
        assert_eq!(w.get(8), Some(&Bytes::from_static(b"5-1")));
        assert_eq!(
            w.get(9),
            Some(&Bytes::from_static(b"0")),
            "only $ is replaced"
        );
        assert!(!is_blocking(&argv(&["XREAD", "STREAMS", "block", "0"])));
        assert!(!is_blocking(&argv(&["BITCOUNT", "a"])));
    }
}
