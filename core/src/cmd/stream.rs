//! The stream family: XADD XLEN XRANGE XREVRANGE XREAD XDEL XTRIM XSETID
//! XINFO, and consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM), with Redis 7.0.15's semantics and error texts (t_stream.c:
//! argument parsing and the order of its checks are mirrored, so the same
//! bad command gets the same error).
//!
//! Layout (docs/design/0019 section 1): the meta record's `ext` holds the
//! stream's ids and counters ([`SMeta`]); one element per entry
//! (`'x' | ms | seq`), group (`'g' | name`), consumer (`'c' | gno | name`),
//! group PEL entry (`'p' | gno | id`) and consumer PEL entry (`'q' | gno |
//! len | consumer | id`). A group has a number (`gno`) never reused in its
//! stream, so its consumers and PEL sort together and a destroyed group's
//! number is never seen again. Counters a reply needs in O(1) (a group's
//! PEL size and consumer count, a consumer's PEL size) live in the group
//! and consumer records.
//!
//! `~` trimming removes whole chunks of 100 entries counted from the oldest
//! (Redis removes whole radix-tree nodes of up to 100 entries), so the
//! length stays within 100 of the limit, as in Redis.

use super::coll::{self, Meta};
use super::num::parse_i64;
#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, arg_bytes, is_opt};
use crate::Reply;
use crate::errors;
use crate::notify::STREAM;
use crate::store::{Kind, Ns, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Bound;

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
const XADD_SMALLER: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
const XADD_ZERO: &str = "ERR The ID specified in XADD must be greater than 0-0";
const XADD_EXHAUSTED: &str =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
const TOO_LARGE: &str = "ERR Elements are too large to be stored";
const MAXLEN_AND_MINID: &str =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
const MAXLEN_NEGATIVE: &str = "ERR The MAXLEN argument must be >= 0.";
const LIMIT_NEGATIVE: &str = "ERR The LIMIT argument must be >= 0.";
const LIMIT_NO_STRATEGY: &str =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
const XTRIM_NO_STRATEGY: &str = "ERR syntax error, XTRIM must be called with a trimming strategy";
const LIMIT_NO_APPROX: &str = "ERR syntax error, LIMIT cannot be used without the special ~ option";
const BAD_START: &str = "ERR invalid start ID for the interval";
const BAD_END: &str = "ERR invalid end ID for the interval";
const UNBALANCED: &str =
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
const GROUP_ONLY_XREADGROUP: &str =
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
const NOACK_ONLY_XREADGROUP: &str =
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
const MISSING_GROUP: &str = "ERR Missing GROUP option for XREADGROUP";
const DOLLAR_IN_XREADGROUP: &str = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.";
const GT_IN_XREAD: &str = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.";
const TIMEOUT_NOT_INT: &str = "ERR timeout is not an integer or out of range";
const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
const XGROUP_NEEDS_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
const ENTRIESREAD_RANGE: &str = "ERR value for ENTRIESREAD must be positive or -1";
const BUSYGROUP: &str = "BUSYGROUP Consumer Group name already exists";
const ENTRIES_ADDED_NEGATIVE: &str = "ERR entries_added must be positive";
const XSETID_BELOW_MAXDELETED: &str =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
const XSETID_BELOW_TOP: &str =
    "ERR The ID specified in XSETID is smaller than the target stream top item";
const XSETID_ADDED_BELOW_LEN: &str =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";
const AUTOCLAIM_COUNT: &str = "ERR COUNT must be > 0";

/// Entries per chunk for `~` trimming (Redis's `stream-node-max-entries`).
const CHUNK: u64 = 100;
/// Redis's default LIMIT for `~` (100 nodes).
const APPROX_LIMIT: i64 = 100 * CHUNK as i64;
/// Redis's `STREAM_LISTPACK_MAX_SIZE`: an entry's fields and values in all.
const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// Redis's SCG_INVALID_ENTRIES_READ.
const INVALID_READS: i64 = -1;

// ---- ids ----

/// A stream entry id `<ms>-<seq>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };
    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }
    /// The next id, `None` past the last possible one.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }
    /// The previous id, `None` before 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }
    fn bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }
    fn from_bytes(b: &[u8]) -> Option<StreamId> {
        let ms = u64::from_be_bytes(b.get(0..8)?.try_into().ok()?);
        let seq = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
        Some(StreamId::new(ms, seq))
    }
    pub fn reply(self) -> Reply {
        Reply::Bulk(Bytes::from(self.to_string()))
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Redis's `string2ull`: `string2ll` when that parses (negative refused),
/// else `strtoull` (leading spaces, a sign, leading zeros; `-n` wraps).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while s
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s.get(i..).unwrap_or(&[]);
    if s.is_empty() || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `streamGenericParseIDOrReply`. `seq_given`: the `<ms>-*` form is
/// allowed and reported as `false`.
fn parse_id_full(
    raw: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_star: bool,
) -> Option<(StreamId, bool)> {
    if raw.len() > 127 {
        return None;
    }
    // A C string: an embedded NUL ends it.
    let buf = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    if buf == b"-" || buf == b"+" {
        if strict {
            return None;
        }
        return Some((
            if buf == b"-" {
                StreamId::MIN
            } else {
                StreamId::MAX
            },
            true,
        ));
    }
    match buf.iter().position(|&b| b == b'-') {
        Some(dash) => {
            let ms = string2ull(buf.get(..dash)?)?;
            let rest = buf.get(dash + 1..)?;
            if allow_star && rest == b"*" {
                return Some((StreamId::new(ms, 0), false));
            }
            Some((StreamId::new(ms, string2ull(rest)?), true))
        }
        None => Some((StreamId::new(string2ull(buf)?, missing_seq), true)),
    }
}

fn invalid_id() -> Reply {
    errors::err(INVALID_ID)
}

/// A strict id (`-` and `+` refused).
fn strict_id(raw: &[u8]) -> Result<StreamId, Reply> {
    parse_id_full(raw, 0, true, false)
        .map(|(id, _)| id)
        .ok_or_else(invalid_id)
}

/// An id where `-` and `+` mean the smallest and largest.
fn loose_id(raw: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_full(raw, missing_seq, false, false)
        .map(|(id, _)| id)
        .ok_or_else(invalid_id)
}

/// `streamParseIntervalIDOrReply`: a range bound, `(` for exclusive.
fn interval_id(raw: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    match raw.split_first() {
        Some((b'(', rest)) if raw.len() > 1 => parse_id_full(rest, missing_seq, true, false)
            .map(|(id, _)| (id, true))
            .ok_or_else(invalid_id),
        _ => loose_id(raw, missing_seq).map(|id| (id, false)),
    }
}

/// A range's inclusive (start, end) from its two bounds.
fn range_bounds(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId), Reply> {
    let (mut s, sx) = interval_id(start, 0)?;
    if sx {
        s = s.incr().ok_or_else(|| errors::err(BAD_START))?;
    }
    let (mut e, ex) = interval_id(end, u64::MAX)?;
    if ex {
        e = e.decr().ok_or_else(|| errors::err(BAD_END))?;
    }
    Ok((s, e))
}

fn int_at(argv: &[Bytes], i: usize) -> Result<i64, Reply> {
    parse_i64(arg(argv, i)).ok_or_else(|| errors::err(errors::NOT_INTEGER))
}

fn int_msg(argv: &[Bytes], i: usize, msg: &str) -> Result<i64, Reply> {
    parse_i64(arg(argv, i)).ok_or_else(|| Reply::Error(format!("ERR {msg}")))
}

// ---- the meta record's ext ----

/// The stream's fields kept in the meta record (`Coll::ext`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SMeta {
    pub last: StreamId,
    pub max_deleted: StreamId,
    pub first: StreamId,
    pub entries_added: u64,
    pub groups: u32,
    pub next_gno: u32,
}

impl SMeta {
    fn encode(&self) -> Bytes {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(&self.last.bytes());
        v.extend_from_slice(&self.max_deleted.bytes());
        v.extend_from_slice(&self.first.bytes());
        v.extend_from_slice(&self.entries_added.to_be_bytes());
        v.extend_from_slice(&self.groups.to_be_bytes());
        v.extend_from_slice(&self.next_gno.to_be_bytes());
        Bytes::from(v)
    }
    fn decode(b: &[u8]) -> Option<SMeta> {
        if b.is_empty() {
            return Some(SMeta::default());
        }
        if b.len() != 64 {
            return None;
        }
        Some(SMeta {
            last: StreamId::from_bytes(b.get(0..16)?)?,
            max_deleted: StreamId::from_bytes(b.get(16..32)?)?,
            first: StreamId::from_bytes(b.get(32..48)?)?,
            entries_added: u64::from_be_bytes(b.get(48..56)?.try_into().ok()?),
            groups: u32::from_be_bytes(b.get(56..60)?.try_into().ok()?),
            next_gno: u32::from_be_bytes(b.get(60..64)?.try_into().ok()?),
        })
    }
}

/// A live stream: its meta and decoded ext.
struct Stream {
    m: Meta,
    s: SMeta,
}

impl Stream {
    fn ns(&self) -> Ns {
        self.m.ns
    }
    fn len(&self) -> u64 {
        self.m.coll.len
    }
}

fn wrap(key: &[u8], m: Meta) -> Result<Stream, Reply> {
    let s = SMeta::decode(&m.coll.ext).ok_or_else(|| Reply::from(StoreError::corrupt(key)))?;
    Ok(Stream { m, s })
}

fn load(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<Option<Stream>, Reply> {
    match coll::load(store, key, now_ms, Kind::Stream)? {
        Some(m) => wrap(key, m).map(Some),
        None => Ok(None),
    }
}

fn load_or_new(store: &mut dyn Store, key: &[u8], now_ms: u64) -> Result<Stream, Reply> {
    let m = coll::load_or_new(store, key, now_ms, Kind::Stream)?;
    wrap(key, m)
}

fn save(store: &mut dyn Store, key: &[u8], st: &mut Stream, now_ms: u64) -> Result<(), Reply> {
    st.m.coll.ext = st.s.encode();
    coll::save(store, key, &st.m, now_ms)?;
    st.m.stored = true;
    Ok(())
}

// ---- element keys and values ----

const T_ENTRY: u8 = b'x';
const T_GROUP: u8 = b'g';
const T_CONSUMER: u8 = b'c';
const T_PEL: u8 = b'p';
const T_CPEL: u8 = b'q';

fn entry_key(id: StreamId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = T_ENTRY;
    k[1..].copy_from_slice(&id.bytes());
    k
}

fn group_key(name: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(T_GROUP);
    k.extend_from_slice(name);
    k
}

fn consumer_prefix(gno: u32) -> [u8; 5] {
    let mut k = [0u8; 5];
    k[0] = T_CONSUMER;
    k[1..].copy_from_slice(&gno.to_be_bytes());
    k
}

fn consumer_key(gno: u32, name: &[u8]) -> Vec<u8> {
    let mut k = consumer_prefix(gno).to_vec();
    k.extend_from_slice(name);
    k
}

fn pel_key(gno: u32, id: StreamId) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[0] = T_PEL;
    k[1..5].copy_from_slice(&gno.to_be_bytes());
    k[5..].copy_from_slice(&id.bytes());
    k
}

/// `'q' | gno | len(4) | consumer`: the prefix of one consumer's PEL (the
/// length keeps one consumer's name from being a prefix of another's).
fn cpel_prefix(gno: u32, consumer: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + consumer.len() + 16);
    k.push(T_CPEL);
    k.extend_from_slice(&gno.to_be_bytes());
    k.extend_from_slice(
        &u32::try_from(consumer.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    k.extend_from_slice(consumer);
    k
}

fn cpel_key(gno: u32, consumer: &[u8], id: StreamId) -> Vec<u8> {
    let mut k = cpel_prefix(gno, consumer);
    k.extend_from_slice(&id.bytes());
    k
}

/// The id at the end of an element key (entry, PEL, consumer PEL).
fn key_id(sub: &[u8]) -> StreamId {
    let n = sub.len();
    sub.get(n.saturating_sub(16)..)
        .and_then(StreamId::from_bytes)
        .unwrap_or_default()
}

/// The key just past every key starting with `prefix` (`None`: no bound).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Visits the elements under `prefix` from `from` (inclusive, a full key;
/// `None`: the first) in order, or backwards with `rev`.
fn scan_prefix(
    store: &dyn Store,
    ns: Ns,
    prefix: &[u8],
    from: Option<&[u8]>,
    rev: bool,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
) -> Result<(), StoreError> {
    let end = prefix_end(prefix);
    let hi = match &end {
        Some(e) => Bound::Excluded(&e[..]),
        None => Bound::Unbounded,
    };
    let lo = Bound::Included(from.unwrap_or(prefix));
    if rev {
        // Backwards from `from` (inclusive) down to the prefix.
        let hi = match from {
            Some(f) => Bound::Included(f),
            None => hi,
        };
        return store.el_range(ns, Bound::Included(prefix), hi, true, visit);
    }
    store.el_range(ns, lo, hi, false, visit)
}

/// An entry's fields and values: `(u32 len, bytes)` each.
fn encode_fields(fv: &[Bytes]) -> Bytes {
    let total: usize = fv.iter().map(|b| 4 + b.len()).sum();
    let mut v = Vec::with_capacity(total);
    for b in fv {
        v.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
        v.extend_from_slice(b);
    }
    Bytes::from(v)
}

fn decode_fields(mut b: &[u8]) -> Option<Vec<Reply>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let n = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
        out.push(Reply::Bulk(Bytes::copy_from_slice(b.get(4..4 + n)?)));
        b = b.get(4 + n..)?;
    }
    Some(out)
}

/// `[id, [field, value, ...]]`
fn entry_reply(id: StreamId, value: &[u8]) -> Result<Reply, StoreError> {
    let fields = decode_fields(value).ok_or_else(|| StoreError::new("corrupt stream entry"))?;
    Ok(Reply::Array(vec![id.reply(), Reply::Array(fields)]))
}

/// Entries with `start <= id <= end`, ascending (descending with `rev`),
/// at most `count` (0: all).
fn range(
    store: &dyn Store,
    ns: Ns,
    start: StreamId,
    end: StreamId,
    count: u64,
    rev: bool,
) -> Result<Vec<Reply>, StoreError> {
    let mut out = Vec::new();
    if start > end {
        return Ok(out);
    }
    let (lo, hi) = (entry_key(start), entry_key(end));
    let mut bad = None;
    store.el_range(
        ns,
        Bound::Included(&lo[..]),
        Bound::Included(&hi[..]),
        rev,
        &mut |k, v| {
            match entry_reply(key_id(k), v) {
                Ok(r) => out.push(r),
                Err(e) => {
                    bad = Some(e);
                    return false;
                }
            }
            count == 0 || (out.len() as u64) < count
        },
    )?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The ids of up to `n` entries from the oldest, below `before` if given.
fn first_ids(
    store: &dyn Store,
    ns: Ns,
    n: u64,
    before: Option<StreamId>,
) -> Result<Vec<StreamId>, StoreError> {
    let mut ids = Vec::new();
    if n == 0 {
        return Ok(ids);
    }
    let lo = [T_ENTRY];
    let hi_key = before.map(entry_key);
    let hi_end = [T_ENTRY + 1];
    let hi = match &hi_key {
        Some(k) => Bound::Excluded(&k[..]),
        None => Bound::Excluded(&hi_end[..]),
    };
    store.el_range(ns, Bound::Included(&lo[..]), hi, false, &mut |k, _| {
        ids.push(key_id(k));
        (ids.len() as u64) < n
    })?;
    Ok(ids)
}

/// The id of the newest (`rev`) or oldest live entry.
fn edge_id(store: &dyn Store, ns: Ns, rev: bool) -> Result<Option<StreamId>, StoreError> {
    let mut id = None;
    scan_prefix(store, ns, &[T_ENTRY], None, rev, &mut |k, _| {
        id = Some(key_id(k));
        false
    })?;
    Ok(id)
}

fn entry_exists(store: &dyn Store, ns: Ns, id: StreamId) -> Result<bool, StoreError> {
    Ok(store.el_get(ns, &entry_key(id))?.is_some())
}

// ---- groups, consumers, PEL ----

#[derive(Debug, Clone)]
struct Group {
    name: Bytes,
    gno: u32,
    last: StreamId,
    entries_read: i64,
    pending: u64,
    consumers: u64,
}

impl Group {
    fn encode(&self) -> Bytes {
        let mut v = Vec::with_capacity(44);
        v.extend_from_slice(&self.gno.to_be_bytes());
        v.extend_from_slice(&self.last.bytes());
        v.extend_from_slice(&self.entries_read.to_be_bytes());
        v.extend_from_slice(&self.pending.to_be_bytes());
        v.extend_from_slice(&self.consumers.to_be_bytes());
        Bytes::from(v)
    }
    fn decode(name: &[u8], b: &[u8]) -> Option<Group> {
        Some(Group {
            name: Bytes::copy_from_slice(name),
            gno: u32::from_be_bytes(b.get(0..4)?.try_into().ok()?),
            last: StreamId::from_bytes(b.get(4..20)?)?,
            entries_read: i64::from_be_bytes(b.get(20..28)?.try_into().ok()?),
            pending: u64::from_be_bytes(b.get(28..36)?.try_into().ok()?),
            consumers: u64::from_be_bytes(b.get(36..44)?.try_into().ok()?),
        })
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::new(format_args!("corrupt stream {what}"))
}

fn get_group(store: &dyn Store, ns: Ns, name: &[u8]) -> Result<Option<Group>, StoreError> {
    match store.el_get(ns, &group_key(name))? {
        Some(v) => Group::decode(name, &v)
            .map(Some)
            .ok_or_else(|| corrupt("group")),
        None => Ok(None),
    }
}

fn put_group(store: &mut dyn Store, ns: Ns, g: &Group) {
    store.el_put(ns, &group_key(&g.name), g.encode());
}

/// Every group in name order.
fn all_groups(store: &dyn Store, ns: Ns) -> Result<Vec<Group>, StoreError> {
    let mut out = Vec::new();
    let mut bad = false;
    coll::each(store, ns, T_GROUP, &mut |k, v| {
        match Group::decode(k.get(1..).unwrap_or(&[]), v) {
            Some(g) => out.push(g),
            None => bad = true,
        }
        !bad
    })?;
    if bad {
        return Err(corrupt("group"));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Consumer {
    seen_ms: u64,
    pending: u64,
}

impl Consumer {
    fn encode(&self) -> Bytes {
        let mut v = Vec::with_capacity(16);
        v.extend_from_slice(&self.seen_ms.to_be_bytes());
        v.extend_from_slice(&self.pending.to_be_bytes());
        Bytes::from(v)
    }
    fn decode(b: &[u8]) -> Option<Consumer> {
        Some(Consumer {
            seen_ms: u64::from_be_bytes(b.get(0..8)?.try_into().ok()?),
            pending: u64::from_be_bytes(b.get(8..16)?.try_into().ok()?),
        })
    }
}

/// Every consumer of group `gno` in name order.
fn all_consumers(
    store: &dyn Store,
    ns: Ns,
    gno: u32,
) -> Result<Vec<(Bytes, Consumer)>, StoreError> {
    let mut out = Vec::new();
    let mut bad = false;
    scan_prefix(
        store,
        ns,
        &consumer_prefix(gno),
        None,
        false,
        &mut |k, v| {
            match Consumer::decode(v) {
                Some(c) => out.push((Bytes::copy_from_slice(k.get(5..).unwrap_or(&[])), c)),
                None => bad = true,
            }
            !bad
        },
    )?;
    if bad {
        return Err(corrupt("consumer"));
    }
    Ok(out)
}

/// A group PEL entry (Redis's NACK).
#[derive(Debug, Clone)]
struct Nack {
    /// Empty only for an entry XCLAIM FORCE has just created.
    consumer: Option<Bytes>,
    delivery_ms: u64,
    count: u64,
}

impl Nack {
    fn encode(&self) -> Bytes {
        let name = self.consumer.as_deref().unwrap_or(&[]);
        let mut v = Vec::with_capacity(16 + name.len());
        v.extend_from_slice(&self.delivery_ms.to_be_bytes());
        v.extend_from_slice(&self.count.to_be_bytes());
        v.extend_from_slice(name);
        Bytes::from(v)
    }
    fn decode(b: &[u8]) -> Option<Nack> {
        Some(Nack {
            delivery_ms: u64::from_be_bytes(b.get(0..8)?.try_into().ok()?),
            count: u64::from_be_bytes(b.get(8..16)?.try_into().ok()?),
            consumer: Some(Bytes::copy_from_slice(b.get(16..)?)),
        })
    }
}

/// A write's view of one group: the group record and the consumers it
/// touched, written back once by [`GroupW::flush`].
struct GroupW {
    ns: Ns,
    g: Group,
    consumers: BTreeMap<Bytes, Option<Consumer>>,
    /// Consumers created since the last flush (each one an
    /// `xgroup-createconsumer` event).
    created: usize,
}

impl GroupW {
    fn new(ns: Ns, g: Group) -> GroupW {
        GroupW {
            ns,
            g,
            consumers: BTreeMap::new(),
            created: 0,
        }
    }

    fn consumer(
        &mut self,
        store: &dyn Store,
        name: &Bytes,
    ) -> Result<Option<&mut Consumer>, StoreError> {
        if !self.consumers.contains_key(name) {
            let c = match store.el_get(self.ns, &consumer_key(self.g.gno, name))? {
                Some(v) => Some(Consumer::decode(&v).ok_or_else(|| corrupt("consumer"))?),
                None => None,
            };
            self.consumers.insert(name.clone(), c);
        }
        Ok(self.consumers.get_mut(name).and_then(|c| c.as_mut()))
    }

    /// `streamLookupConsumer` (refreshing seen-time) or
    /// `streamCreateConsumer`; true if it was created.
    fn touch_consumer(
        &mut self,
        store: &dyn Store,
        name: &Bytes,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        if let Some(c) = self.consumer(store, name)? {
            c.seen_ms = now_ms;
            return Ok(false);
        }
        self.consumers.insert(
            name.clone(),
            Some(Consumer {
                seen_ms: now_ms,
                pending: 0,
            }),
        );
        self.g.consumers += 1;
        self.created += 1;
        Ok(true)
    }

    fn nack(&self, store: &dyn Store, id: StreamId) -> Result<Option<Nack>, StoreError> {
        match store.el_get(self.ns, &pel_key(self.g.gno, id))? {
            Some(v) => Nack::decode(&v)
                .map(Some)
                .ok_or_else(|| corrupt("pending entry")),
            None => Ok(None),
        }
    }

    fn put_nack(&self, store: &mut dyn Store, id: StreamId, n: &Nack) {
        store.el_put(self.ns, &pel_key(self.g.gno, id), n.encode());
    }

    /// Moves `id`'s ownership from `from` (if any) to `to`.
    fn reassign(
        &mut self,
        store: &mut dyn Store,
        id: StreamId,
        from: Option<&Bytes>,
        to: &Bytes,
    ) -> Result<(), StoreError> {
        if let Some(old) = from {
            store.el_del(self.ns, &cpel_key(self.g.gno, old, id));
            if let Some(c) = self.consumer(store, old)? {
                c.pending = c.pending.saturating_sub(1);
            }
        }
        store.el_put(self.ns, &cpel_key(self.g.gno, to, id), Bytes::new());
        if let Some(c) = self.consumer(store, to)? {
            c.pending += 1;
        }
        Ok(())
    }

    /// Drops `id` from the group PEL and its owner's.
    fn remove(&mut self, store: &mut dyn Store, id: StreamId, n: &Nack) -> Result<(), StoreError> {
        store.el_del(self.ns, &pel_key(self.g.gno, id));
        self.g.pending = self.g.pending.saturating_sub(1);
        if let Some(owner) = &n.consumer {
            store.el_del(self.ns, &cpel_key(self.g.gno, owner, id));
            if let Some(c) = self.consumer(store, owner)? {
                c.pending = c.pending.saturating_sub(1);
            }
        }
        Ok(())
    }

    /// Writes the group and its touched consumers back; emits the
    /// creations of consumers on stream `key`.
    fn flush(&mut self, store: &mut dyn Store, key: &[u8]) {
        for _ in 0..std::mem::take(&mut self.created) {
            store.notify(STREAM, "xgroup-createconsumer", key);
        }
        put_group(store, self.ns, &self.g);
        for (name, c) in &self.consumers {
            if let Some(c) = c {
                store.el_put(self.ns, &consumer_key(self.g.gno, name), c.encode());
            }
        }
    }
}

/// Ids in one consumer's PEL from `start` to `end`, at most `count` (0: all).
fn consumer_pel(
    store: &dyn Store,
    ns: Ns,
    gno: u32,
    consumer: &[u8],
    start: StreamId,
    end: StreamId,
    count: u64,
) -> Result<Vec<StreamId>, StoreError> {
    let prefix = cpel_prefix(gno, consumer);
    let mut from = prefix.clone();
    from.extend_from_slice(&start.bytes());
    let mut ids = Vec::new();
    scan_prefix(store, ns, &prefix, Some(&from), false, &mut |k, _| {
        let id = key_id(k);
        if id > end {
            return false;
        }
        ids.push(id);
        count == 0 || (ids.len() as u64) < count
    })?;
    Ok(ids)
}

/// Group PEL entries from `start` to `end`, visited in id order.
fn group_pel(
    store: &dyn Store,
    ns: Ns,
    gno: u32,
    start: StreamId,
    end: StreamId,
    visit: &mut dyn FnMut(StreamId, Nack) -> bool,
) -> Result<(), StoreError> {
    if start > end {
        return Ok(());
    }
    let (lo, hi) = (pel_key(gno, start), pel_key(gno, end));
    let mut bad = false;
    store.el_range(
        ns,
        Bound::Included(&lo[..]),
        Bound::Included(&hi[..]),
        false,
        &mut |k, v| match Nack::decode(v) {
            Some(n) => visit(key_id(k), n),
            None => {
                bad = true;
                false
            }
        },
    )?;
    if bad {
        return Err(corrupt("pending entry"));
    }
    Ok(())
}

// ---- lag and read counters (t_stream.c, 7.0) ----

/// `streamRangeHasTombstones(s, start, NULL)`.
fn has_tombstones_from(s: &SMeta, len: u64, start: StreamId) -> bool {
    if len == 0 || s.max_deleted.is_zero() || s.first > s.max_deleted {
        return false;
    }
    start <= s.max_deleted
}

/// `streamEstimateDistanceFromFirstEverEntry`.
fn estimate_reads(s: &SMeta, len: u64, id: StreamId) -> i64 {
    let added = i64::try_from(s.entries_added).unwrap_or(i64::MAX);
    if s.entries_added == 0 {
        return 0;
    }
    if len == 0 && id <= s.last {
        return added;
    }
    if id == s.last {
        return added;
    } else if id > s.last {
        return INVALID_READS;
    }
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if s.max_deleted.is_zero() || s.max_deleted < s.first {
        if id < s.first {
            return added - len;
        } else if id == s.first {
            return added - len + 1;
        }
    }
    INVALID_READS
}

/// `streamReplyWithCGLag`.
fn lag_reply(s: &SMeta, len: u64, g: &Group) -> Reply {
    let added = i64::try_from(s.entries_added).unwrap_or(i64::MAX);
    if s.entries_added == 0 {
        return Reply::Integer(0);
    }
    if g.entries_read != INVALID_READS && !has_tombstones_from(s, len, g.last) {
        return Reply::Integer(added - g.entries_read);
    }
    match estimate_reads(s, len, g.last) {
        INVALID_READS => Reply::Nil,
        r => Reply::Integer(added - r),
    }
}

fn entries_read_reply(g: &Group) -> Reply {
    if g.entries_read == INVALID_READS {
        Reply::Nil
    } else {
        Reply::Integer(g.entries_read)
    }
}

fn nogroup_key(key: &[u8], group: &[u8]) -> Reply {
    Reply::Error(sanitize(&format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    )))
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::Error(sanitize(&format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    )))
}

/// `addReplyErrorFormat` turns CR/LF into spaces.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// `addReplySubcommandSyntaxError`.
fn subcommand_syntax(argv: &[Bytes], cmd: &str) -> Reply {
    let sub = arg(argv, 1);
    let sub = String::from_utf8_lossy(sub.get(..128).unwrap_or(sub));
    Reply::Error(sanitize(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
    )))
}

// ---- XADD / XTRIM ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    None,
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Debug, Clone, Copy)]
struct TrimArgs {
    strategy: Strategy,
    approx: bool,
    /// 0: no limit.
    limit: u64,
    nomkstream: bool,
    /// XADD: the id argument's position and the parsed id, if not `*`.
    id_pos: usize,
    id: Option<(StreamId, bool)>,
}

/// `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(argv: &[Bytes], xadd: bool) -> Result<TrimArgs, Reply> {
    let mut a = TrimArgs {
        strategy: Strategy::None,
        approx: false,
        limit: 0,
        nomkstream: false,
        id_pos: argv.len(),
        id: None,
    };
    let mut limit: Option<i64> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = arg(argv, i);
        if xadd && opt == b"*" {
            break;
        } else if (is_opt(opt, "maxlen") || is_opt(opt, "minid")) && more > 0 {
            if a.strategy != Strategy::None {
                return Err(errors::err(MAXLEN_AND_MINID));
            }
            a.approx = false;
            let next = arg(argv, i + 1);
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if is_opt(opt, "maxlen") {
                let n = int_at(argv, i + 1)?;
                if n < 0 {
                    return Err(errors::err(MAXLEN_NEGATIVE));
                }
                a.strategy = Strategy::MaxLen(n as u64);
            } else {
                a.strategy = Strategy::MinId(strict_id(arg(argv, i + 1))?);
            }
            i += 1;
        } else if is_opt(opt, "limit") && more > 0 {
            let n = int_at(argv, i + 1)?;
            if n < 0 {
                return Err(errors::err(LIMIT_NEGATIVE));
            }
            limit = Some(n);
            i += 1;
        } else if xadd && is_opt(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let id = parse_id_full(opt, 0, true, true).ok_or_else(invalid_id)?;
            a.id = Some(id);
            break;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 1;
    }
    a.id_pos = i;
    if limit.is_some_and(|l| l != 0) && a.strategy == Strategy::None {
        return Err(errors::err(LIMIT_NO_STRATEGY));
    }
    if !xadd && a.strategy == Strategy::None {
        return Err(errors::err(XTRIM_NO_STRATEGY));
    }
    match limit {
        Some(_) if !a.approx => return Err(errors::err(LIMIT_NO_APPROX)),
        Some(l) => a.limit = l as u64,
        None if a.approx => a.limit = APPROX_LIMIT as u64,
        None => a.limit = 0,
    }
    if xadd {
        let fields = argv.len().saturating_sub(a.id_pos + 1);
        if fields < 2 || fields % 2 == 1 {
            return Err(errors::arity("xadd"));
        }
        if matches!(a.id, Some((id, true)) if id.is_zero()) {
            return Err(errors::err(XADD_ZERO));
        }
    }
    Ok(a)
}

pub(crate) fn precheck_xadd(argv: &[Bytes]) -> Result<(), Reply> {
    parse_add_trim(argv, true).map(|_| ())
}

pub(crate) fn precheck_xtrim(argv: &[Bytes]) -> Result<(), Reply> {
    parse_add_trim(argv, false).map(|_| ())
}

/// Deletes entries `ids` (oldest first, all live) and fixes the counters.
fn delete_front(store: &mut dyn Store, st: &mut Stream, ids: &[StreamId]) {
    for id in ids {
        store.el_del(st.ns(), &entry_key(*id));
    }
    st.m.coll.len = st.len().saturating_sub(ids.len() as u64);
}

/// `streamTrim`: the number of entries removed.
fn trim(store: &mut dyn Store, st: &mut Stream, a: &TrimArgs) -> Result<u64, StoreError> {
    let mut deleted: u64 = 0;
    match (a.strategy, a.approx) {
        (Strategy::None, _) => return Ok(0),
        (Strategy::MaxLen(max), false) => {
            let n = st.len().saturating_sub(max);
            let ids = first_ids(store, st.ns(), n, None)?;
            delete_front(store, st, &ids);
            deleted = ids.len() as u64;
        }
        (Strategy::MinId(min), false) => {
            if st.len() > 0 && st.s.first < min {
                let ids = first_ids(store, st.ns(), u64::MAX, Some(min))?;
                delete_front(store, st, &ids);
                deleted = ids.len() as u64;
            }
        }
        (Strategy::MaxLen(max), true) => loop {
            // Whole chunks of CHUNK entries from the oldest, as Redis
            // removes whole nodes.
            let chunk = st.len().min(CHUNK);
            if chunk == 0 || st.len() - chunk < max {
                break;
            }
            if a.limit != 0 && deleted + chunk > a.limit {
                break;
            }
            let ids = first_ids(store, st.ns(), chunk, None)?;
            if ids.is_empty() {
                break;
            }
            delete_front(store, st, &ids);
            deleted += ids.len() as u64;
        },
        (Strategy::MinId(min), true) => loop {
            if st.len() == 0 || st.s.first >= min {
                break;
            }
            let ids = first_ids(store, st.ns(), CHUNK, None)?;
            match ids.last() {
                Some(last) if *last < min => {}
                _ => break,
            }
            if a.limit != 0 && deleted + ids.len() as u64 > a.limit {
                break;
            }
            delete_front(store, st, &ids);
            deleted += ids.len() as u64;
            st.s.first = edge_id(store, st.ns(), false)?.unwrap_or_default();
        },
    }
    if st.len() == 0 {
        st.s.first = StreamId::MIN;
    } else if deleted > 0 {
        st.s.first = edge_id(store, st.ns(), false)?.unwrap_or_default();
    }
    Ok(deleted)
}

pub(crate) fn xadd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_add_trim(argv, true)?;
    let key = arg(argv, 1);
    if a.nomkstream && load(store, key, ctx.now_ms)?.is_none() {
        return Ok(Reply::Nil);
    }
    let mut st = load_or_new(store, key, ctx.now_ms)?;
    let last = st.s.last;
    if last == StreamId::MAX {
        return Err(errors::err(XADD_EXHAUSTED));
    }
    let id = match a.id {
        Some((id, true)) => id,
        Some((id, false)) => {
            if last.ms == id.ms {
                if last.seq == u64::MAX {
                    return Err(errors::err(XADD_SMALLER));
                }
                StreamId::new(id.ms, last.seq + 1)
            } else {
                id
            }
        }
        None if ctx.now_ms > last.ms => StreamId::new(ctx.now_ms, 0),
        None => last.incr().unwrap_or(StreamId::MIN),
    };
    if id <= last {
        return Err(errors::err(XADD_SMALLER));
    }
    let fv = argv.get(a.id_pos + 1..).unwrap_or(&[]);
    if fv.iter().map(|b| b.len() as u64).sum::<u64>() > MAX_ENTRY_BYTES {
        return Err(errors::err(TOO_LARGE));
    }
    store.el_put(st.ns(), &entry_key(id), encode_fields(fv));
    st.m.coll.len += 1;
    st.s.entries_added += 1;
    st.s.last = id;
    if st.len() == 1 {
        st.s.first = id;
    }
    let trimmed = trim(store, &mut st, &a)?;
    save(store, key, &mut st, ctx.now_ms)?;
    store.notify(STREAM, "xadd", key);
    if trimmed > 0 {
        store.notify(STREAM, "xtrim", key);
    }
    Ok(id.reply())
}

pub(crate) fn xtrim(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_add_trim(argv, false)?;
    let key = arg(argv, 1);
    let Some(mut st) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let n = trim(store, &mut st, &a)?;
    if n > 0 {
        save(store, key, &mut st, ctx.now_ms)?;
        store.notify(STREAM, "xtrim", key);
    }
    Ok(Reply::Integer(n as i64))
}

pub(crate) fn xdel(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let Some(mut st) = load(store, key, ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let ids = argv
        .get(2..)
        .unwrap_or(&[])
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut deleted = 0i64;
    let mut first_gone = false;
    for id in ids {
        if !entry_exists(store, st.ns(), id)? {
            continue;
        }
        store.el_del(st.ns(), &entry_key(id));
        st.m.coll.len = st.len().saturating_sub(1);
        if id == st.s.first {
            first_gone = true;
        }
        if id > st.s.max_deleted {
            st.s.max_deleted = id;
        }
        deleted += 1;
    }
    if deleted > 0 {
        if st.len() == 0 {
            st.s.first = StreamId::MIN;
        } else if first_gone {
            st.s.first = edge_id(store, st.ns(), false)?.unwrap_or_default();
        }
        save(store, key, &mut st, ctx.now_ms)?;
        store.notify(STREAM, "xdel", key);
    }
    Ok(Reply::Integer(deleted))
}

// ---- XSETID ----

struct SetIdArgs {
    id: StreamId,
    entries_added: Option<u64>,
    max_deleted: StreamId,
}

fn parse_xsetid(argv: &[Bytes]) -> Result<SetIdArgs, Reply> {
    let mut a = SetIdArgs {
        id: strict_id(arg(argv, 2))?,
        entries_added: None,
        max_deleted: StreamId::MIN,
    };
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = arg(argv, i);
        if is_opt(opt, "entriesadded") && more > 0 {
            let n = int_at(argv, i + 1)?;
            if n < 0 {
                return Err(errors::err(ENTRIES_ADDED_NEGATIVE));
            }
            a.entries_added = Some(n as u64);
        } else if is_opt(opt, "maxdeletedid") && more > 0 {
            let m = strict_id(arg(argv, i + 1))?;
            if a.id < m {
                return Err(errors::err(XSETID_BELOW_MAXDELETED));
            }
            a.max_deleted = m;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 2;
    }
    Ok(a)
}

pub(crate) fn precheck_xsetid(argv: &[Bytes]) -> Result<(), Reply> {
    parse_xsetid(argv).map(|_| ())
}

pub(crate) fn xsetid(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_xsetid(argv)?;
    let key = arg(argv, 1);
    let Some(mut st) = load(store, key, ctx.now_ms)? else {
        return Err(errors::err(errors::NO_SUCH_KEY));
    };
    if st.len() > 0 {
        let top = edge_id(store, st.ns(), true)?.unwrap_or_default();
        if a.id < top {
            return Err(errors::err(XSETID_BELOW_TOP));
        }
        if a.entries_added.is_some_and(|n| st.len() > n) {
            return Err(errors::err(XSETID_ADDED_BELOW_LEN));
        }
    }
    st.s.last = a.id;
    if let Some(n) = a.entries_added {
        st.s.entries_added = n;
    }
    if !a.max_deleted.is_zero() {
        st.s.max_deleted = a.max_deleted;
    }
    save(store, key, &mut st, ctx.now_ms)?;
    store.notify(STREAM, "xsetid", key);
    Ok(Reply::ok())
}

// ---- XLEN / XRANGE / XREVRANGE ----

pub(crate) fn xlen(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let n = load(store, arg(argv, 1), ctx.now_ms)?.map_or(0, |st| st.len());
    Ok(Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// XRANGE/XREVRANGE's parsed arguments: inclusive bounds and COUNT
/// (`None`: no COUNT; `Some(0)`: the null reply).
fn parse_range(argv: &[Bytes], rev: bool) -> Result<(StreamId, StreamId, Option<u64>), Reply> {
    let (start, end) = if rev {
        (arg(argv, 3), arg(argv, 2))
    } else {
        (arg(argv, 2), arg(argv, 3))
    };
    let (s, e) = range_bounds(start, end)?;
    let mut count = None;
    let mut j = 4;
    while j < argv.len() {
        if is_opt(arg(argv, j), "count") && j + 1 < argv.len() {
            count = Some(int_at(argv, j + 1)?.max(0) as u64);
            j += 2;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
    }
    Ok((s, e, count))
}

fn range_cmd(argv: &[Bytes], ctx: &Ctx, store: &dyn Store, rev: bool) -> R {
    let (s, e, count) = parse_range(argv, rev)?;
    let Some(st) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Array(vec![]));
    };
    if count == Some(0) {
        return Ok(Reply::NilArray);
    }
    Ok(Reply::Array(range(
        store,
        st.ns(),
        s,
        e,
        count.unwrap_or(0),
        rev,
    )?))
}

pub(crate) fn xrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_cmd(argv, ctx, store, false)
}

pub(crate) fn xrevrange(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    range_cmd(argv, ctx, store, true)
}

/// Heavy-pool estimate for XRANGE/XREVRANGE: COUNT or the stream length.
pub(crate) fn xrange_size(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let len = stream_len(store, arg(argv, 1), ctx.now_ms)?;
    let count = match parse_range(argv, false) {
        Ok((_, _, Some(c))) if c > 0 => c,
        _ => u64::MAX,
    };
    Ok(len.min(count))
}

/// The length of the stream at `key` for a size estimate (0 if absent or
/// not a stream: the command itself will answer quickly).
fn stream_len(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<u64, StoreError> {
    Ok(match store.get(key)? {
        Some(r) if !r.is_expired(now_ms) && r.kind == Kind::Stream => {
            r.coll_header().map_or(0, |c| c.len)
        }
        _ => 0,
    })
}

// ---- XREAD / XREADGROUP ----

/// The parsed options of XREAD/XREADGROUP.
#[derive(Debug)]
struct ReadArgs {
    /// 0: no limit.
    count: u64,
    block: Option<i64>,
    noack: bool,
    group: Option<(Bytes, Bytes)>,
    /// Index of the first key.
    streams: usize,
    nstreams: usize,
}

/// `xreadCommand`'s option loop and its checks before any key lookup.
fn parse_read(argv: &[Bytes], group_cmd: bool) -> Result<ReadArgs, Reply> {
    let mut a = ReadArgs {
        count: 0,
        block: None,
        noack: false,
        group: None,
        streams: 0,
        nstreams: 0,
    };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let o = arg(argv, i);
        if is_opt(o, "block") && more > 0 {
            i += 1;
            let t = parse_i64(arg(argv, i)).ok_or_else(|| errors::err(TIMEOUT_NOT_INT))?;
            if t < 0 {
                return Err(errors::err(TIMEOUT_NEGATIVE));
            }
            a.block = Some(t);
        } else if is_opt(o, "count") && more > 0 {
            i += 1;
            a.count = int_at(argv, i)?.max(0) as u64;
        } else if is_opt(o, "streams") && more > 0 {
            a.streams = i + 1;
            let n = argv.len() - a.streams;
            if !n.is_multiple_of(2) {
                return Err(errors::err(UNBALANCED));
            }
            a.nstreams = n / 2;
            break;
        } else if is_opt(o, "group") && more >= 2 {
            if !group_cmd {
                return Err(errors::err(GROUP_ONLY_XREADGROUP));
            }
            a.group = Some((arg_bytes(argv, i + 1), arg_bytes(argv, i + 2)));
            i += 2;
        } else if is_opt(o, "noack") {
            if !group_cmd {
                return Err(errors::err(NOACK_ONLY_XREADGROUP));
            }
            a.noack = true;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        i += 1;
    }
    if a.streams == 0 {
        return Err(errors::err(errors::SYNTAX));
    }
    if group_cmd && a.group.is_none() {
        return Err(errors::err(MISSING_GROUP));
    }
    Ok(a)
}

pub(crate) fn precheck_xreadgroup(argv: &[Bytes]) -> Result<(), Reply> {
    parse_read(argv, true).map(|_| ())
}

/// The last id of the stream at `key` (0-0 if absent): what `$` means in
/// XREAD. A blocking XREAD resolves `$` with it when it registers.
pub fn stream_last_id(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<StreamId, Reply> {
    Ok(load(store, key, now_ms)?.map_or(StreamId::MIN, |st| st.s.last))
}

/// The non-blocking read XREAD does (and a blocking XREAD's serve can
/// reuse): for each `(key, after)`, the entries with ids greater than
/// `after`, at most `count` per stream (0: all). Streams with nothing
/// newer (or absent) are left out; an empty result is the caller's null
/// reply. WRONGTYPE for a key holding another type.
pub fn entries_after(
    store: &dyn Store,
    now_ms: u64,
    streams: &[(Bytes, StreamId)],
    count: u64,
) -> Result<Vec<(Bytes, Vec<Reply>)>, Reply> {
    let mut out = Vec::new();
    for (key, after) in streams {
        let Some(st) = load(store, key, now_ms)? else {
            continue;
        };
        if st.len() == 0 {
            continue;
        }
        let Some(start) = after.incr() else {
            continue;
        };
        let entries = range(store, st.ns(), start, StreamId::MAX, count, false)?;
        if !entries.is_empty() {
            out.push((key.clone(), entries));
        }
    }
    Ok(out)
}

/// XREAD's reply: per stream served `[key, entries]` (a map in RESP3);
/// null if no stream was served. (XREADGROUP serves a consumer's history
/// even when it is empty.)
fn read_reply(served: Vec<(Bytes, Vec<Reply>)>) -> Reply {
    if served.is_empty() {
        return Reply::NilArray;
    }
    Reply::PairMap(
        served
            .into_iter()
            .map(|(k, e)| (Reply::Bulk(k), Reply::Array(e)))
            .collect(),
    )
}

pub(crate) fn xread(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let a = parse_read(argv, false)?;
    let mut streams = Vec::with_capacity(a.nstreams);
    for i in 0..a.nstreams {
        let key = arg_bytes(argv, a.streams + i);
        let raw = arg(argv, a.streams + a.nstreams + i);
        // The type check comes first, as in Redis's parse loop.
        let st = load(store, &key, ctx.now_ms)?;
        let after = if raw == b"$" {
            st.map_or(StreamId::MIN, |st| st.s.last)
        } else if raw == b">" {
            return Err(errors::err(GT_IN_XREAD));
        } else {
            strict_id(raw)?
        };
        streams.push((key, after));
    }
    Ok(read_reply(entries_after(
        store, ctx.now_ms, &streams, a.count,
    )?))
}

/// XREAD with BLOCK, applied through the log (io turns `XREAD ... BLOCK`
/// into this internal write so the blocking layer can hold it): entries
/// now, or `WOULD_BLOCK` followed by the id each stream waits after (`$`
/// resolved here, at apply, so no entry added after the command arrived is
/// missed).
pub(crate) fn xread_block(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_read(argv, false)?;
    let mut streams = Vec::with_capacity(a.nstreams);
    for i in 0..a.nstreams {
        let key = arg_bytes(argv, a.streams + i);
        let raw = arg(argv, a.streams + a.nstreams + i);
        let st = load(&*store, &key, ctx.now_ms)?;
        let after = if raw == b"$" {
            st.map_or(StreamId::MIN, |st| st.s.last)
        } else if raw == b">" {
            return Err(errors::err(GT_IN_XREAD));
        } else {
            strict_id(raw)?
        };
        streams.push((key, after));
    }
    let served = entries_after(&*store, ctx.now_ms, &streams, a.count)?;
    if !served.is_empty() {
        return Ok(read_reply(served));
    }
    let mut text = String::from(errors::WOULD_BLOCK);
    for (_, after) in &streams {
        text.push(' ');
        text.push_str(&format!("{}-{}", after.ms, after.seq));
    }
    Err(Reply::Error(text))
}

pub(crate) fn precheck_xread_block(argv: &[Bytes]) -> Result<(), Reply> {
    let a = parse_read(argv, false)?;
    for i in 0..a.nstreams {
        let raw = arg(argv, a.streams + a.nstreams + i);
        if raw == b">" {
            return Err(errors::err(GT_IN_XREAD));
        }
        if raw != b"$" {
            strict_id(raw)?;
        }
    }
    Ok(())
}

/// Heavy-pool estimate for XREAD: per stream, COUNT or its length.
pub(crate) fn xread_size(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Result<u64, StoreError> {
    let Ok(a) = parse_read(argv, false) else {
        return Ok(0);
    };
    let mut total: u64 = 0;
    for i in 0..a.nstreams {
        let len = stream_len(store, arg(argv, a.streams + i), ctx.now_ms)?;
        let n = if a.count == 0 { len } else { len.min(a.count) };
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// What XREADGROUP asks of one stream.
enum GroupRead {
    /// `>`: entries never delivered to the group.
    New,
    /// The consumer's own pending entries after this id.
    History(StreamId),
}

pub(crate) fn xreadgroup(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_read(argv, true)?;
    let Some((gname, cname)) = a.group.clone() else {
        return Err(errors::err(MISSING_GROUP));
    };
    let now = ctx.now_ms;
    // Redis's parse loop: every key's type, group and id are checked
    // before anything is served.
    let mut plan = Vec::with_capacity(a.nstreams);
    for i in 0..a.nstreams {
        let key = arg_bytes(argv, a.streams + i);
        let raw = arg(argv, a.streams + a.nstreams + i);
        let st = load(store, &key, now)?;
        let g = match &st {
            Some(st) => get_group(store, st.ns(), &gname)?,
            None => None,
        };
        let (Some(st), Some(g)) = (st, g) else {
            return Err(Reply::Error(sanitize(&format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&gname)
            ))));
        };
        let what = if raw == b"$" {
            return Err(errors::err(DOLLAR_IN_XREADGROUP));
        } else if raw == b">" {
            GroupRead::New
        } else {
            GroupRead::History(strict_id(raw)?)
        };
        plan.push((key, st, g, what));
    }
    let mut served = Vec::new();
    for (key, mut st, g, what) in plan {
        // A key named twice sees what the first read wrote.
        let g = get_group(store, st.ns(), &g.name)?.unwrap_or(g);
        let mut gw = GroupW::new(st.ns(), g);
        let entries = match what {
            GroupRead::History(after) => {
                gw.touch_consumer(store, &cname, now)?;
                let Some(start) = after.incr() else {
                    gw.flush(store, &key);
                    served.push((key, Vec::new()));
                    continue;
                };
                read_history(store, &mut gw, &cname, start, a.count, now)?
            }
            GroupRead::New => {
                if st.len() == 0 {
                    continue;
                }
                let top = edge_id(store, st.ns(), true)?.unwrap_or_default();
                if top <= gw.g.last {
                    continue;
                }
                gw.touch_consumer(store, &cname, now)?;
                read_new(store, &mut st, &mut gw, &cname, a.count, a.noack, now)?
            }
        };
        gw.flush(store, &key);
        served.push((key, entries));
    }
    if served.is_empty() && a.block.is_some() {
        // Nothing new for any `>`: the blocking layer holds the client.
        return Err(errors::err(errors::WOULD_BLOCK));
    }
    Ok(read_reply(served))
}

/// `streamReplyWithRangeFromConsumerPEL`: the consumer's pending entries
/// from `start`; each one served again counts a delivery.
fn read_history(
    store: &mut dyn Store,
    gw: &mut GroupW,
    consumer: &Bytes,
    start: StreamId,
    count: u64,
    now: u64,
) -> Result<Vec<Reply>, Reply> {
    let ids = consumer_pel(
        store,
        gw.ns,
        gw.g.gno,
        consumer,
        start,
        StreamId::MAX,
        count,
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match store.el_get(gw.ns, &entry_key(id))? {
            Some(v) => {
                out.push(entry_reply(id, &v)?);
                if let Some(mut n) = gw.nack(store, id)? {
                    n.delivery_ms = now;
                    n.count += 1;
                    gw.put_nack(store, id, &n);
                }
            }
            None => out.push(Reply::Array(vec![id.reply(), Reply::NilArray])),
        }
    }
    Ok(out)
}

/// `streamReplyWithRange` with a group: entries after the group's last
/// delivered id, moving it and adding each to the PEL (unless NOACK).
fn read_new(
    store: &mut dyn Store,
    st: &mut Stream,
    gw: &mut GroupW,
    consumer: &Bytes,
    count: u64,
    noack: bool,
    now: u64,
) -> Result<Vec<Reply>, Reply> {
    let Some(start) = gw.g.last.incr() else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    let entries = {
        let mut out = Vec::new();
        let lo = entry_key(start);
        let hi = [T_ENTRY + 1];
        let mut bad = None;
        store.el_range(
            st.ns(),
            Bound::Included(&lo[..]),
            Bound::Excluded(&hi[..]),
            false,
            &mut |k, v| {
                let id = key_id(k);
                match entry_reply(id, v) {
                    Ok(r) => {
                        out.push(r);
                        ids.push(id);
                    }
                    Err(e) => {
                        bad = Some(e);
                        return false;
                    }
                }
                count == 0 || (out.len() as u64) < count
            },
        )?;
        if let Some(e) = bad {
            return Err(e.into());
        }
        out
    };
    for id in ids {
        if id > gw.g.last {
            if gw.g.entries_read != INVALID_READS && !has_tombstones_from(&st.s, st.len(), id) {
                gw.g.entries_read += 1;
            } else if st.s.entries_added != 0 {
                gw.g.entries_read = estimate_reads(&st.s, st.len(), id);
            }
            gw.g.last = id;
        }
        if noack {
            continue;
        }
        let fresh = Nack {
            consumer: Some(consumer.clone()),
            delivery_ms: now,
            count: 1,
        };
        match gw.nack(store, id)? {
            // Already pending (XGROUP SETID moved the group back): it
            // moves to this consumer with a fresh delivery count.
            Some(old) => {
                if old.consumer.as_ref() != Some(consumer) {
                    gw.reassign(store, id, old.consumer.as_ref(), consumer)?;
                }
            }
            None => {
                gw.g.pending += 1;
                gw.reassign(store, id, None, consumer)?;
            }
        }
        gw.put_nack(store, id, &fresh);
    }
    Ok(entries)
}

/// A reply relayed from the node leading the keys' group arrives parsed
/// from RESP3, where XREAD's per-stream map and its null look like a plain
/// map and a null bulk: this gives XREAD/XREADGROUP's reply back the shape
/// a RESP2 client must see (`[[key, entries], ...]`, `*-1`). Other
/// replies pass unchanged.
pub fn relayed(argv: &[Bytes], r: Reply) -> Reply {
    let name = arg(argv, 0);
    if !is_opt(name, "xread")
        && !is_opt(name, "xreadgroup")
        && !is_opt(name, super::blocking::XREAD_BLOCK)
    {
        return r;
    }
    match r {
        Reply::Map(pairs) => Reply::PairMap(pairs),
        Reply::Nil => Reply::NilArray,
        other => other,
    }
}

// ---- XGROUP ----

struct XgroupOpts {
    mkstream: bool,
    entries_read: i64,
}

/// XGROUP's option loop (argv[5..]), before any key lookup.
fn parse_xgroup_opts(argv: &[Bytes]) -> Result<XgroupOpts, Reply> {
    let sub = arg(argv, 1);
    let create = is_opt(sub, "create");
    let setid = is_opt(sub, "setid");
    let mut o = XgroupOpts {
        mkstream: false,
        entries_read: INVALID_READS,
    };
    let mut i = 5;
    while i < argv.len() {
        let a = arg(argv, i);
        if create && is_opt(a, "mkstream") {
            o.mkstream = true;
            i += 1;
        } else if (create || setid) && is_opt(a, "entriesread") && i + 1 < argv.len() {
            let n = int_at(argv, i + 1)?;
            if n < 0 && n != INVALID_READS {
                return Err(errors::err(ENTRIESREAD_RANGE));
            }
            o.entries_read = n;
            i += 2;
        } else {
            return Err(subcommand_syntax(argv, "XGROUP"));
        }
    }
    Ok(o)
}

pub(crate) fn precheck_xgroup(argv: &[Bytes]) -> Result<(), Reply> {
    parse_xgroup_opts(argv).map(|_| ())
}

/// The checks every XGROUP subcommand shares: options, the key (must
/// exist unless MKSTREAM) and, for some, the group.
fn xgroup_common(
    argv: &[Bytes],
    ctx: &Ctx,
    store: &dyn Store,
    needs_group: bool,
) -> Result<(XgroupOpts, Option<Stream>, Option<Group>), Reply> {
    let o = parse_xgroup_opts(argv)?;
    let key = arg(argv, 2);
    let st = load(store, key, ctx.now_ms)?;
    let mut g = None;
    if !o.mkstream {
        let Some(s) = &st else {
            return Err(errors::err(XGROUP_NEEDS_KEY));
        };
        g = get_group(store, s.ns(), arg(argv, 3))?;
        if g.is_none() && needs_group {
            return Err(nogroup_for_key(arg(argv, 3), key));
        }
    }
    Ok((o, st, g))
}

pub(crate) fn xgroup_create(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (o, st, _) = xgroup_common(argv, ctx, store, false)?;
    if argv.len() > 8 {
        return Err(subcommand_syntax(argv, "XGROUP"));
    }
    let key = arg(argv, 2);
    let raw = arg(argv, 4);
    let id = if raw == b"$" {
        st.as_ref().map_or(StreamId::MIN, |s| s.s.last)
    } else {
        strict_id(raw)?
    };
    let mut st = match st {
        Some(st) => st,
        None => load_or_new(store, key, ctx.now_ms)?,
    };
    let name = arg_bytes(argv, 3);
    if get_group(store, st.ns(), &name)?.is_some() {
        return Err(errors::err(BUSYGROUP));
    }
    let g = Group {
        name,
        gno: st.s.next_gno,
        last: id,
        entries_read: o.entries_read,
        pending: 0,
        consumers: 0,
    };
    st.s.next_gno = st.s.next_gno.wrapping_add(1);
    st.s.groups += 1;
    put_group(store, st.ns(), &g);
    save(store, key, &mut st, ctx.now_ms)?;
    store.notify(STREAM, "xgroup-create", key);
    Ok(Reply::ok())
}

pub(crate) fn xgroup_setid(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (o, st, g) = xgroup_common(argv, ctx, store, true)?;
    let (Some(st), Some(mut g)) = (st, g) else {
        return Err(errors::err(XGROUP_NEEDS_KEY));
    };
    if argv.len() != 5 && argv.len() != 7 {
        return Err(subcommand_syntax(argv, "XGROUP"));
    }
    let raw = arg(argv, 4);
    g.last = if raw == b"$" {
        st.s.last
    } else {
        loose_id(raw, 0)?
    };
    g.entries_read = o.entries_read;
    put_group(store, st.ns(), &g);
    store.notify(STREAM, "xgroup-setid", arg(argv, 2));
    Ok(Reply::ok())
}

pub(crate) fn xgroup_destroy(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (_, st, g) = xgroup_common(argv, ctx, store, false)?;
    let (Some(mut st), Some(g)) = (st, g) else {
        return Ok(Reply::Integer(0));
    };
    // Its consumers and both PELs go with it: O(consumers + pending), as
    // Redis frees them.
    let mut doomed: Vec<Vec<u8>> = vec![group_key(&g.name)];
    for tag in [T_CONSUMER, T_PEL, T_CPEL] {
        let mut prefix = vec![tag];
        prefix.extend_from_slice(&g.gno.to_be_bytes());
        scan_prefix(store, st.ns(), &prefix, None, false, &mut |k, _| {
            doomed.push(k.to_vec());
            true
        })?;
    }
    for k in doomed {
        store.el_del(st.ns(), &k);
    }
    st.s.groups = st.s.groups.saturating_sub(1);
    save(store, arg(argv, 2), &mut st, ctx.now_ms)?;
    store.notify(STREAM, "xgroup-destroy", arg(argv, 2));
    Ok(Reply::Integer(1))
}

pub(crate) fn xgroup_createconsumer(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (_, st, g) = xgroup_common(argv, ctx, store, true)?;
    let (Some(st), Some(g)) = (st, g) else {
        return Err(errors::err(XGROUP_NEEDS_KEY));
    };
    let mut gw = GroupW::new(st.ns(), g);
    let name = arg_bytes(argv, 4);
    if gw.consumer(store, &name)?.is_some() {
        return Ok(Reply::Integer(0));
    }
    gw.touch_consumer(store, &name, ctx.now_ms)?;
    gw.flush(store, arg(argv, 2));
    Ok(Reply::Integer(1))
}

pub(crate) fn xgroup_delconsumer(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let (_, st, g) = xgroup_common(argv, ctx, store, true)?;
    let (Some(st), Some(mut g)) = (st, g) else {
        return Err(errors::err(XGROUP_NEEDS_KEY));
    };
    let name = arg(argv, 4);
    let ck = consumer_key(g.gno, name);
    let Some(c) = store.el_get(st.ns(), &ck)? else {
        return Ok(Reply::Integer(0));
    };
    let c = Consumer::decode(&c).ok_or_else(|| corrupt("consumer"))?;
    let ids = consumer_pel(store, st.ns(), g.gno, name, StreamId::MIN, StreamId::MAX, 0)?;
    for id in &ids {
        store.el_del(st.ns(), &pel_key(g.gno, *id));
        store.el_del(st.ns(), &cpel_key(g.gno, name, *id));
    }
    store.el_del(st.ns(), &ck);
    g.pending = g.pending.saturating_sub(ids.len() as u64);
    g.consumers = g.consumers.saturating_sub(1);
    put_group(store, st.ns(), &g);
    store.notify(STREAM, "xgroup-delconsumer", arg(argv, 2));
    Ok(Reply::Integer(i64::try_from(c.pending).unwrap_or(i64::MAX)))
}

// ---- XACK ----

pub(crate) fn xack(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let Some(st) = load(store, arg(argv, 1), ctx.now_ms)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(g) = get_group(store, st.ns(), arg(argv, 2))? else {
        return Ok(Reply::Integer(0));
    };
    let ids = argv
        .get(3..)
        .unwrap_or(&[])
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut gw = GroupW::new(st.ns(), g);
    let mut acked = 0;
    for id in ids {
        if let Some(n) = gw.nack(store, id)? {
            gw.remove(store, id, &n)?;
            acked += 1;
        }
    }
    if acked > 0 {
        gw.flush(store, arg(argv, 1));
    }
    Ok(Reply::Integer(acked))
}

// ---- XPENDING ----

pub(crate) fn xpending(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let n = argv.len();
    if n != 3 && !(6..=9).contains(&n) {
        return Err(errors::err(errors::SYNTAX));
    }
    let mut ext = None;
    if n >= 6 {
        let mut si = 3;
        let mut minidle = 0i64;
        if is_opt(arg(argv, 3), "idle") {
            minidle = int_at(argv, 4)?;
            if n < 8 {
                return Err(errors::err(errors::SYNTAX));
            }
            si += 2;
        }
        let count = int_at(argv, si + 2)?.max(0) as u64;
        let (s, e) = range_bounds(arg(argv, si), arg(argv, si + 1))?;
        let consumer = argv.get(si + 3).cloned();
        ext = Some((minidle, count, s, e, consumer));
    }
    let key = arg(argv, 1);
    let gname = arg(argv, 2);
    let st = load(store, key, ctx.now_ms)?;
    let g = match &st {
        Some(st) => get_group(store, st.ns(), gname)?,
        None => None,
    };
    let (Some(st), Some(g)) = (st, g) else {
        return Err(nogroup_key(key, gname));
    };
    let ns = st.ns();
    let Some((minidle, mut count, s, e, consumer)) = ext else {
        // Summary: count, smallest and largest pending id, consumers with
        // pending entries.
        if g.pending == 0 {
            return Ok(Reply::Array(vec![
                Reply::Integer(0),
                Reply::Nil,
                Reply::Nil,
                Reply::NilArray,
            ]));
        }
        let prefix = {
            let mut p = vec![T_PEL];
            p.extend_from_slice(&g.gno.to_be_bytes());
            p
        };
        let mut first = StreamId::MIN;
        let mut last = StreamId::MIN;
        scan_prefix(store, ns, &prefix, None, false, &mut |k, _| {
            first = key_id(k);
            false
        })?;
        scan_prefix(store, ns, &prefix, None, true, &mut |k, _| {
            last = key_id(k);
            false
        })?;
        let consumers = all_consumers(store, ns, g.gno)?
            .into_iter()
            .filter(|(_, c)| c.pending > 0)
            .map(|(name, c)| {
                Reply::Array(vec![
                    Reply::Bulk(name),
                    Reply::Bulk(Bytes::from(c.pending.to_string())),
                ])
            })
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Integer(i64::try_from(g.pending).unwrap_or(i64::MAX)),
            first.reply(),
            last.reply(),
            Reply::Array(consumers),
        ]));
    };
    let now = i64::try_from(ctx.now_ms).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    let row = |id: StreamId, n: &Nack| {
        let elapsed = (now - i64::try_from(n.delivery_ms).unwrap_or(i64::MAX)).max(0);
        Reply::Array(vec![
            id.reply(),
            Reply::Bulk(n.consumer.clone().unwrap_or_default()),
            Reply::Integer(elapsed),
            Reply::Integer(i64::try_from(n.count).unwrap_or(i64::MAX)),
        ])
    };
    let idle_ok = |n: &Nack| {
        minidle == 0 || now - i64::try_from(n.delivery_ms).unwrap_or(i64::MAX) >= minidle
    };
    match consumer {
        Some(c) => {
            if store.el_get(ns, &consumer_key(g.gno, &c))?.is_none() {
                return Ok(Reply::Array(vec![]));
            }
            if count == 0 {
                return Ok(Reply::Array(vec![]));
            }
            let prefix = cpel_prefix(g.gno, &c);
            let mut from = prefix.clone();
            from.extend_from_slice(&s.bytes());
            let mut ids = Vec::new();
            scan_prefix(store, ns, &prefix, Some(&from), false, &mut |k, _| {
                let id = key_id(k);
                if id > e {
                    return false;
                }
                ids.push(id);
                true
            })?;
            let gw = GroupW::new(ns, g);
            for id in ids {
                if count == 0 {
                    break;
                }
                let Some(n) = gw.nack(store, id)? else {
                    continue;
                };
                if !idle_ok(&n) {
                    continue;
                }
                out.push(row(id, &n));
                count -= 1;
            }
        }
        None => {
            group_pel(store, ns, g.gno, s, e, &mut |id, n| {
                if count == 0 {
                    return false;
                }
                if idle_ok(&n) {
                    out.push(row(id, &n));
                    count -= 1;
                }
                count > 0
            })?;
        }
    }
    Ok(Reply::Array(out))
}

// ---- XCLAIM / XAUTOCLAIM ----

pub(crate) fn xclaim(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let gname = arg(argv, 2);
    let st = load(store, key, ctx.now_ms)?;
    let g = match &st {
        Some(st) => get_group(store, st.ns(), gname)?,
        None => None,
    };
    let (Some(st), Some(g)) = (st, g) else {
        return Err(nogroup_key(key, gname));
    };
    let minidle = int_msg(argv, 4, "Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_id_full(arg(argv, j), 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = i64::try_from(ctx.now_ms).unwrap_or(i64::MAX);
    let (mut force, mut justid) = (false, false);
    let mut delivery: Option<i64> = None;
    let mut retry: i64 = -1;
    let mut lastid = StreamId::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = arg(argv, j);
        if is_opt(opt, "force") {
            force = true;
        } else if is_opt(opt, "justid") {
            justid = true;
        } else if is_opt(opt, "idle") && more > 0 {
            j += 1;
            let v = int_msg(argv, j, "Invalid IDLE option argument for XCLAIM")?;
            delivery = Some(now.wrapping_sub(v));
        } else if is_opt(opt, "time") && more > 0 {
            j += 1;
            delivery = Some(int_msg(argv, j, "Invalid TIME option argument for XCLAIM")?);
        } else if is_opt(opt, "retrycount") && more > 0 {
            j += 1;
            retry = int_msg(argv, j, "Invalid RETRYCOUNT option argument for XCLAIM")?;
        } else if is_opt(opt, "lastid") && more > 0 {
            j += 1;
            lastid = strict_id(arg(argv, j))?;
        } else {
            return Err(Reply::Error(sanitize(&format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            ))));
        }
        j += 1;
    }
    let mut gw = GroupW::new(st.ns(), g);
    let mut dirty = false;
    if lastid > gw.g.last {
        gw.g.last = lastid;
        dirty = true;
    }
    let delivery = match delivery {
        Some(d) if d >= 0 && d <= now => d as u64,
        _ => ctx.now_ms,
    };
    let name = arg_bytes(argv, 3);
    let mut out = Vec::new();
    let mut have_consumer = false;
    for id in ids {
        let nack = gw.nack(store, id)?;
        let Some(value) = store.el_get(st.ns(), &entry_key(id))? else {
            // The entry is gone: its PEL entry goes too.
            if let Some(n) = nack {
                gw.remove(store, id, &n)?;
                dirty = true;
            }
            continue;
        };
        let mut n = match nack {
            Some(n) => n,
            // `streamCreateNACK`: delivered once, now.
            None if force => {
                gw.g.pending += 1;
                Nack {
                    consumer: None,
                    delivery_ms: ctx.now_ms,
                    count: 1,
                }
            }
            None => continue,
        };
        if n.consumer.is_some() && minidle > 0 {
            let idle = now - i64::try_from(n.delivery_ms).unwrap_or(i64::MAX);
            if idle < minidle {
                continue;
            }
        }
        if !have_consumer {
            gw.touch_consumer(store, &name, ctx.now_ms)?;
            have_consumer = true;
        }
        n.delivery_ms = delivery;
        if retry >= 0 {
            n.count = retry as u64;
        } else if !justid {
            n.count += 1;
        }
        if n.consumer.as_ref() != Some(&name) {
            gw.reassign(store, id, n.consumer.as_ref(), &name)?;
            n.consumer = Some(name.clone());
        }
        gw.put_nack(store, id, &n);
        dirty = true;
        out.push(if justid {
            id.reply()
        } else {
            entry_reply(id, &value)?
        });
    }
    if dirty {
        gw.flush(store, arg(argv, 1));
    }
    Ok(Reply::Array(out))
}

struct AutoclaimArgs {
    minidle: i64,
    start: StreamId,
    count: u64,
    justid: bool,
}

fn parse_xautoclaim(argv: &[Bytes]) -> Result<AutoclaimArgs, Reply> {
    let minidle = int_msg(argv, 4, "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let (mut start, ex) = interval_id(arg(argv, 5), 0)?;
    if ex {
        start = start.incr().ok_or_else(|| errors::err(BAD_START))?;
    }
    let mut a = AutoclaimArgs {
        minidle,
        start,
        count: 100,
        justid: false,
    };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = arg(argv, j);
        if is_opt(opt, "count") && more > 0 {
            let max = i64::MAX / 16;
            match parse_i64(arg(argv, j + 1)) {
                Some(c) if (1..=max).contains(&c) => a.count = c as u64,
                _ => return Err(errors::err(AUTOCLAIM_COUNT)),
            }
            j += 1;
        } else if is_opt(opt, "justid") {
            a.justid = true;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(a)
}

pub(crate) fn precheck_xautoclaim(argv: &[Bytes]) -> Result<(), Reply> {
    parse_xautoclaim(argv).map(|_| ())
}

pub(crate) fn xautoclaim(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let a = parse_xautoclaim(argv)?;
    let key = arg(argv, 1);
    let gname = arg(argv, 2);
    let st = load(store, key, ctx.now_ms)?;
    let g = match &st {
        Some(st) => get_group(store, st.ns(), gname)?,
        None => None,
    };
    let (Some(st), Some(g)) = (st, g) else {
        return Err(nogroup_key(key, gname));
    };
    let ns = st.ns();
    let now = i64::try_from(ctx.now_ms).unwrap_or(i64::MAX);
    let mut count = a.count;
    let mut attempts = a.count.saturating_mul(10);
    // The PEL entries the loop may look at (at most `attempts`), plus the
    // one after them: the cursor.
    let mut pel: Vec<(StreamId, Nack)> = Vec::new();
    let want = attempts.saturating_add(1);
    group_pel(store, ns, g.gno, a.start, StreamId::MAX, &mut |id, n| {
        pel.push((id, n));
        (pel.len() as u64) < want
    })?;
    let mut gw = GroupW::new(ns, g);
    let name = arg_bytes(argv, 3);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut have_consumer = false;
    let mut next = 0usize;
    let mut dirty = false;
    for (i, (id, mut n)) in pel.iter().cloned().enumerate() {
        if attempts == 0 || count == 0 {
            break;
        }
        attempts -= 1;
        next = i + 1;
        let Some(value) = store.el_get(ns, &entry_key(id))? else {
            gw.remove(store, id, &n)?;
            deleted.push(id.reply());
            count -= 1;
            dirty = true;
            continue;
        };
        if a.minidle > 0 && now - i64::try_from(n.delivery_ms).unwrap_or(i64::MAX) < a.minidle {
            continue;
        }
        if !have_consumer {
            gw.touch_consumer(store, &name, ctx.now_ms)?;
            have_consumer = true;
        }
        n.delivery_ms = ctx.now_ms;
        if !a.justid {
            n.count += 1;
        }
        if n.consumer.as_ref() != Some(&name) {
            gw.reassign(store, id, n.consumer.as_ref(), &name)?;
            n.consumer = Some(name.clone());
        }
        gw.put_nack(store, id, &n);
        dirty = true;
        claimed.push(if a.justid {
            id.reply()
        } else {
            entry_reply(id, &value)?
        });
        count -= 1;
    }
    let cursor = pel.get(next).map_or(StreamId::MIN, |(id, _)| *id);
    if dirty {
        gw.flush(store, arg(argv, 1));
    }
    Ok(Reply::Array(vec![
        cursor.reply(),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}

// ---- XINFO ----

fn need_stream(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<Stream, Reply> {
    load(store, key, now_ms)?.ok_or_else(|| errors::err(errors::NO_SUCH_KEY))
}

fn field(name: &str, v: Reply) -> (Reply, Reply) {
    (Reply::Bulk(Bytes::copy_from_slice(name.as_bytes())), v)
}

fn int_u64(v: u64) -> Reply {
    Reply::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

pub(crate) fn xinfo_consumers(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let key = arg(argv, 2);
    let st = need_stream(store, key, ctx.now_ms)?;
    let Some(g) = get_group(store, st.ns(), arg(argv, 3))? else {
        return Err(nogroup_for_key(arg(argv, 3), key));
    };
    let now = i64::try_from(ctx.now_ms).unwrap_or(i64::MAX);
    let out = all_consumers(store, st.ns(), g.gno)?
        .into_iter()
        .map(|(name, c)| {
            let idle = (now - i64::try_from(c.seen_ms).unwrap_or(i64::MAX)).max(0);
            Reply::Map(vec![
                field("name", Reply::Bulk(name)),
                field("pending", int_u64(c.pending)),
                field("idle", Reply::Integer(idle)),
            ])
        })
        .collect();
    Ok(Reply::Array(out))
}

pub(crate) fn xinfo_groups(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let st = need_stream(store, arg(argv, 2), ctx.now_ms)?;
    let out = all_groups(store, st.ns())?
        .into_iter()
        .map(|g| {
            Reply::Map(vec![
                field("name", Reply::Bulk(g.name.clone())),
                field("consumers", int_u64(g.consumers)),
                field("pending", int_u64(g.pending)),
                field("last-delivered-id", g.last.reply()),
                field("entries-read", entries_read_reply(&g)),
                field("lag", lag_reply(&st.s, st.len(), &g)),
            ])
        })
        .collect();
    Ok(Reply::Array(out))
}

/// XINFO STREAM's FULL option: `None` for the short form, else COUNT
/// (0: everything).
fn parse_xinfo_stream(argv: &[Bytes]) -> Result<Option<u64>, Reply> {
    let opts = argv.get(3..).unwrap_or(&[]);
    if opts.is_empty() {
        return Ok(None);
    }
    if (opts.len() != 1 && opts.len() != 3) || !is_opt(arg(argv, 3), "full") {
        return Err(subcommand_syntax(argv, "XINFO"));
    }
    if opts.len() == 3 {
        if !is_opt(arg(argv, 4), "count") {
            return Err(subcommand_syntax(argv, "XINFO"));
        }
        let c = int_at(argv, 5)?;
        return Ok(Some(if c < 0 { 10 } else { c as u64 }));
    }
    Ok(Some(10))
}

pub(crate) fn xinfo_stream(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let st = need_stream(store, arg(argv, 2), ctx.now_ms)?;
    let full = parse_xinfo_stream(argv)?;
    let ns = st.ns();
    // Redis's radix tree has one key per node of up to 100 entries; this
    // is what it would have for a stream filled in order.
    let keys = st.len().div_ceil(CHUNK);
    let mut m = vec![
        field("length", int_u64(st.len())),
        field("radix-tree-keys", int_u64(keys)),
        field("radix-tree-nodes", int_u64(keys + 1)),
        field("last-generated-id", st.s.last.reply()),
        field("max-deleted-entry-id", st.s.max_deleted.reply()),
        field("entries-added", int_u64(st.s.entries_added)),
        field("recorded-first-entry-id", st.s.first.reply()),
    ];
    let Some(count) = full else {
        m.push(field("groups", int_u64(u64::from(st.s.groups))));
        let first = range(store, ns, StreamId::MIN, StreamId::MAX, 1, false)?;
        let last = range(store, ns, StreamId::MIN, StreamId::MAX, 1, true)?;
        m.push(field(
            "first-entry",
            first.into_iter().next().unwrap_or(Reply::Nil),
        ));
        m.push(field(
            "last-entry",
            last.into_iter().next().unwrap_or(Reply::Nil),
        ));
        return Ok(Reply::Map(m));
    };
    m.push(field(
        "entries",
        Reply::Array(range(
            store,
            ns,
            StreamId::MIN,
            StreamId::MAX,
            count,
            false,
        )?),
    ));
    let mut groups = Vec::new();
    for g in all_groups(store, ns)? {
        let mut pel = Vec::new();
        group_pel(
            store,
            ns,
            g.gno,
            StreamId::MIN,
            StreamId::MAX,
            &mut |id, n| {
                pel.push(Reply::Array(vec![
                    id.reply(),
                    Reply::Bulk(n.consumer.clone().unwrap_or_default()),
                    int_u64(n.delivery_ms),
                    int_u64(n.count),
                ]));
                count == 0 || (pel.len() as u64) < count
            },
        )?;
        let gw = GroupW::new(ns, g.clone());
        let mut consumers = Vec::new();
        for (name, c) in all_consumers(store, ns, g.gno)? {
            let ids = consumer_pel(store, ns, g.gno, &name, StreamId::MIN, StreamId::MAX, count)?;
            let mut cpel = Vec::with_capacity(ids.len());
            for id in ids {
                let n = gw.nack(store, id)?.unwrap_or(Nack {
                    consumer: None,
                    delivery_ms: 0,
                    count: 0,
                });
                cpel.push(Reply::Array(vec![
                    id.reply(),
                    int_u64(n.delivery_ms),
                    int_u64(n.count),
                ]));
            }
            consumers.push(Reply::Map(vec![
                field("name", Reply::Bulk(name)),
                field("seen-time", int_u64(c.seen_ms)),
                field("pel-count", int_u64(c.pending)),
                field("pending", Reply::Array(cpel)),
            ]));
        }
        groups.push(Reply::Map(vec![
            field("name", Reply::Bulk(g.name.clone())),
            field("last-delivered-id", g.last.reply()),
            field("entries-read", entries_read_reply(&g)),
            field("lag", lag_reply(&st.s, st.len(), &g)),
            field("pel-count", int_u64(g.pending)),
            field("pending", Reply::Array(pel)),
            field("consumers", Reply::Array(consumers)),
        ]));
    }
    m.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(m))
}

#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    (
        "corekv.xreadblock",
        super::write(Some(precheck_xread_block), xread_block),
    ),
    ("xlen", Handler::Read(xlen)),
    ("xrange", Handler::Read(xrange)),
    ("xrevrange", Handler::Read(xrevrange)),
    ("xread", Handler::Read(xread)),
    ("xpending", Handler::Read(xpending)),
    ("xinfo|consumers", Handler::Read(xinfo_consumers)),
    ("xinfo|groups", Handler::Read(xinfo_groups)),
    ("xinfo|stream", Handler::Read(xinfo_stream)),
    ("xadd", write(Some(precheck_xadd), xadd)),
    ("xtrim", write(Some(precheck_xtrim), xtrim)),
    ("xdel", write(None, xdel)),
    ("xsetid", write(Some(precheck_xsetid), xsetid)),
    ("xgroup|create", write(Some(precheck_xgroup), xgroup_create)),
    ("xgroup|setid", write(Some(precheck_xgroup), xgroup_setid)),
    (
        "xgroup|destroy",
        write(Some(precheck_xgroup), xgroup_destroy),
    ),
    (
        "xgroup|createconsumer",
        write(Some(precheck_xgroup), xgroup_createconsumer),
    ),
    (
        "xgroup|delconsumer",
        write(Some(precheck_xgroup), xgroup_delconsumer),
    ),
    ("xreadgroup", write(Some(precheck_xreadgroup), xreadgroup)),
    ("xack", write(None, xack)),
    ("xclaim", write(None, xclaim)),
    ("xautoclaim", write(Some(precheck_xautoclaim), xautoclaim)),
];

/// `XINFO HELP`'s lines (t_stream.c, xinfoCommand).
pub const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// `XGROUP HELP`'s lines (t_stream.c, xgroupCommand).
pub const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

#[cfg(test)]
// A test that indexes past a reply's end fails, which is what it should do.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::MemStore;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn arr(v: Vec<Reply>) -> Reply {
        Reply::Array(v)
    }

    fn entry(id: &str, fv: &[&str]) -> Reply {
        arr(vec![bulk(id), arr(fv.iter().map(|s| bulk(s)).collect())])
    }

    fn add(s: &mut MemStore, key: &str, id: &str) {
        assert_eq!(run(s, &["XADD", key, id, "f", id]), bulk(id), "XADD {id}");
    }

    fn filled(key: &str, n: u64) -> MemStore {
        let mut s = MemStore::new();
        for i in 1..=n {
            add(&mut s, key, &format!("{i}-0"));
        }
        s
    }

    /// A field of a Map reply.
    fn get<'a>(r: &'a Reply, name: &str) -> &'a Reply {
        let Reply::Map(pairs) = r else {
            panic!("not a map: {r:?}")
        };
        pairs
            .iter()
            .find(|(k, _)| *k == bulk(name))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no {name} in {r:?}"))
    }

    fn items(r: Reply) -> Vec<Reply> {
        match r {
            Reply::Array(v) => v,
            other => panic!("not an array: {other:?}"),
        }
    }

    #[test]
    fn ids_parse_like_string2ull() {
        let p =
            |s: &str| parse_id_full(s.as_bytes(), 0, true, true).map(|(id, g)| (id.to_string(), g));
        assert_eq!(p("1-2"), Some(("1-2".into(), true)));
        assert_eq!(p("5"), Some(("5-0".into(), true)));
        assert_eq!(p("5-*"), Some(("5-0".into(), false)));
        // strtoull's leniency: leading zeros, a plus sign, leading spaces.
        assert_eq!(p("007-+3"), Some(("7-3".into(), true)));
        assert_eq!(p(" 7"), Some(("7-0".into(), true)));
        // A negative number refused by string2ll... but "-0x" forms go to
        // strtoull, which negates.
        assert_eq!(p("1--1"), None);
        assert_eq!(p("1--01"), Some((format!("1-{}", u64::MAX), true)));
        for bad in [
            "",
            "-",
            "+",
            "x",
            "1-",
            "-1",
            "1-2-3",
            "1 ",
            "18446744073709551616",
            "*",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
        assert_eq!(
            p("18446744073709551615-18446744073709551615"),
            Some((StreamId::MAX.to_string(), true))
        );
        assert_eq!(p(&"1".repeat(128)), None);
        // Not strict: - and + are the ends.
        assert_eq!(loose_id(b"-", 0), Ok(StreamId::MIN));
        assert_eq!(loose_id(b"+", 0), Ok(StreamId::MAX));
        assert_eq!(loose_id(b"3", u64::MAX), Ok(StreamId::new(3, u64::MAX)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::MIN.decr(), None);
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
    }

    #[test]
    fn xadd_generates_ids_from_the_entry_time() {
        let mut s = MemStore::new();
        assert_eq!(
            run_at(&mut s, 1000, &["XADD", "s", "*", "a", "1"]),
            bulk("1000-0")
        );
        assert_eq!(
            run_at(&mut s, 1000, &["XADD", "s", "*", "a", "1"]),
            bulk("1000-1")
        );
        // A clock behind the top item never goes backwards.
        assert_eq!(
            run_at(&mut s, 900, &["XADD", "s", "*", "a", "1"]),
            bulk("1000-2")
        );
        assert_eq!(
            run_at(&mut s, 2000, &["XADD", "s", "*", "a", "1"]),
            bulk("2000-0")
        );
        assert_eq!(
            run(&mut s, &["XADD", "s", "2000-*", "a", "1"]),
            bulk("2000-1")
        );
        assert_eq!(run(&mut s, &["XLEN", "s"]), int(5));
        assert_eq!(
            run(&mut s, &["XADD", "s", "2000-1", "a", "1"]),
            err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        );
        // Binary fields survive.
        assert_eq!(
            run(&mut s, &["XADD", "s", "3000", "", "\r\n"]),
            bulk("3000-0")
        );
        assert_eq!(
            run(&mut s, &["XRANGE", "s", "3000", "3000"]),
            arr(vec![entry("3000-0", &["", "\r\n"])])
        );
        // The last possible id.
        let max = "18446744073709551615-18446744073709551615";
        assert_eq!(run(&mut s, &["XADD", "s", max, "a", "1"]), bulk(max));
        assert_eq!(
            run(&mut s, &["XADD", "s", "*", "a", "1"]),
            err("ERR The stream has exhausted the last possible ID, unable to add more items")
        );
        let mut s = MemStore::new();
        add(&mut s, "t", &format!("5-{}", u64::MAX));
        assert_eq!(
            run(&mut s, &["XADD", "t", "5-*", "a", "1"]),
            err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        );
        assert_eq!(
            run_at(&mut s, 5, &["XADD", "t", "*", "a", "1"]),
            bulk("6-0")
        );
    }

    #[test]
    fn xadd_argument_errors_come_before_the_key() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SET", "str", "x"]), ok());
        for (args, want) in [
            (&["XADD", "str", "0-0", "a", "b"][..], XADD_ZERO),
            (&["XADD", "str", "x", "a", "b"], INVALID_ID),
            (
                &["XADD", "str", "MAXLEN", "-1", "*", "a", "b"],
                MAXLEN_NEGATIVE,
            ),
            (
                &["XADD", "str", "MINID", "~", "-", "*", "a", "b"],
                INVALID_ID,
            ),
            (
                &["XADD", "str", "LIMIT", "5", "*", "a", "b"],
                LIMIT_NO_STRATEGY,
            ),
            (
                &["XADD", "str", "MAXLEN", "5", "LIMIT", "5", "*", "a", "b"],
                LIMIT_NO_APPROX,
            ),
            (
                &["XADD", "str", "MAXLEN", "1", "MINID", "1", "*", "a", "b"],
                MAXLEN_AND_MINID,
            ),
            (
                &["XADD", "str", "*", "a"],
                "ERR wrong number of arguments for 'xadd' command",
            ),
        ] {
            assert_eq!(run(&mut s, args), err(want), "{args:?}");
            assert_eq!(precheck_xadd(&argv(args)), Err(err(want)), "{args:?}");
        }
        assert_eq!(run(&mut s, &["XADD", "str", "*", "a", "b"]), err(WRONGTYPE));
        assert_eq!(
            run(&mut s, &["XADD", "n", "NOMKSTREAM", "*", "a", "b"]),
            Reply::Nil
        );
        assert_eq!(s.len(), 1);
        // LIMIT 0 without a strategy is accepted (it means no limit).
        assert_eq!(
            run(&mut s, &["XADD", "n", "LIMIT", "0", "1", "a", "b"]),
            err(LIMIT_NO_APPROX)
        );
        assert_eq!(
            run(
                &mut s,
                &["XADD", "n", "MAXLEN", "~", "1", "LIMIT", "0", "1", "a", "b"]
            ),
            bulk("1-0")
        );
    }

    #[test]
    fn an_expired_stream_is_absent() {
        let mut s = MemStore::new();
        add(&mut s, "s", "1-0");
        assert_eq!(run(&mut s, &["PEXPIRE", "s", "10"]), int(1));
        let later = NOW + 11;
        assert_eq!(run_at(&mut s, later, &["XLEN", "s"]), int(0));
        assert_eq!(
            run_at(&mut s, later, &["XRANGE", "s", "-", "+"]),
            arr(vec![])
        );
        assert_eq!(
            run_at(&mut s, later, &["XINFO", "STREAM", "s"]),
            err("ERR no such key")
        );
        // A write starts a new stream (the old entries are gone with it).
        assert_eq!(
            run_at(&mut s, later, &["XADD", "s", "1-0", "a", "b"]),
            bulk("1-0")
        );
        assert_eq!(run_at(&mut s, later, &["XLEN", "s"]), int(1));
        assert_eq!(s.element_count(), 1);
    }

    #[test]
    fn xrange_and_xrevrange() {
        let mut s = filled("s", 5);
        let r = |s: &mut MemStore, a: &[&str]| run(s, a);
        assert_eq!(
            r(&mut s, &["XRANGE", "s", "2", "(4-0"]),
            arr(vec![
                entry("2-0", &["f", "2-0"]),
                entry("3-0", &["f", "3-0"])
            ])
        );
        assert_eq!(
            r(&mut s, &["XREVRANGE", "s", "+", "-", "COUNT", "2"]),
            arr(vec![
                entry("5-0", &["f", "5-0"]),
                entry("4-0", &["f", "4-0"])
            ])
        );
        assert_eq!(
            r(&mut s, &["XRANGE", "s", "-", "+", "COUNT", "0"]),
            Reply::NilArray
        );
        assert_eq!(
            r(
                &mut s,
                &["XRANGE", "s", "-", "+", "count", "1", "COUNT", "3"]
            )
            .clone(),
            {
                let v = items(r(&mut s, &["XRANGE", "s", "-", "+"]));
                arr(v.into_iter().take(3).collect())
            }
        );
        assert_eq!(r(&mut s, &["XRANGE", "s", "4", "2"]), arr(vec![]));
        assert_eq!(
            r(&mut s, &["XRANGE", "s", "-", "+", "COUNT"]),
            err("ERR syntax error")
        );
        assert_eq!(r(&mut s, &["XRANGE", "s", "((1", "+"]), err(INVALID_ID));
        assert_eq!(r(&mut s, &["XRANGE", "s", "(+", "+"]), err(INVALID_ID));
        assert_eq!(r(&mut s, &["XREVRANGE", "s", "(0-0", "-"]), err(BAD_END));
        // Ids are checked before the key.
        assert_eq!(r(&mut s, &["SET", "str", "x"]), ok());
        assert_eq!(r(&mut s, &["XRANGE", "str", "x", "+"]), err(INVALID_ID));
        assert_eq!(r(&mut s, &["XRANGE", "str", "-", "+"]), err(WRONGTYPE));
        // The size estimate: COUNT, else the length.
        let c = ctx();
        assert_eq!(
            xrange_size(&argv(&["XRANGE", "s", "-", "+"]), &c, &s),
            Ok(5)
        );
        assert_eq!(
            xrange_size(&argv(&["XRANGE", "s", "-", "+", "COUNT", "2"]), &c, &s),
            Ok(2)
        );
        assert_eq!(
            xrange_size(&argv(&["XRANGE", "none", "-", "+"]), &c, &s),
            Ok(0)
        );
    }

    #[test]
    fn xread_reads_after_each_id() {
        let mut s = filled("a", 3);
        add(&mut s, "b", "9-0");
        assert_eq!(
            run(&mut s, &["XREAD", "STREAMS", "a", "$"]),
            Reply::NilArray
        );
        assert_eq!(
            run(
                &mut s,
                &["XREAD", "COUNT", "1", "STREAMS", "a", "b", "1", "0"]
            ),
            Reply::PairMap(vec![
                (bulk("a"), arr(vec![entry("2-0", &["f", "2-0"])])),
                (bulk("b"), arr(vec![entry("9-0", &["f", "9-0"])])),
            ])
        );
        assert_eq!(
            run(&mut s, &["XREAD", "STREAMS", "a", "b", "3", "9"]),
            Reply::NilArray
        );
        assert_eq!(
            run(&mut s, &["XREAD", "COUNT", "-5", "STREAMS", "a", "2"]),
            Reply::PairMap(vec![(bulk("a"), arr(vec![entry("3-0", &["f", "3-0"])]))])
        );
        // After the last possible id there is nothing.
        assert_eq!(
            run(
                &mut s,
                &[
                    "XREAD",
                    "STREAMS",
                    "a",
                    "18446744073709551615-18446744073709551615"
                ]
            ),
            Reply::NilArray
        );
        assert_eq!(
            run(&mut s, &["XREAD", "STREAMS", "a"]),
            err("ERR wrong number of arguments for 'xread' command")
        );
        assert_eq!(
            run(&mut s, &["XREAD", "COUNT", "1", "a", "0"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["XREAD", "NOACK", "STREAMS", "a", "0"]),
            err(NOACK_ONLY_XREADGROUP)
        );
        assert_eq!(
            run(&mut s, &["XREAD", "BLOCK", "x", "STREAMS", "a", "0"]),
            err(TIMEOUT_NOT_INT)
        );
        assert_eq!(
            run(&mut s, &["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"]),
            err(TIMEOUT_NEGATIVE)
        );
        // BLOCK parses; io sends a blocking XREAD through the log.
        assert_eq!(
            precheck_xread_block(&argv(&["XREAD", "BLOCK", "0", "STREAMS", "a", "$"])),
            Ok(())
        );
        assert_eq!(
            precheck_xread_block(&argv(&["XREAD", "BLOCK", "0", "STREAMS", "a", ">"])),
            Err(err(GT_IN_XREAD))
        );
        assert_eq!(run(&mut s, &["SET", "str", "x"]), ok());
        // The type error of an earlier key comes before a later bad id.
        assert_eq!(
            run(&mut s, &["XREAD", "STREAMS", "str", "a", "0", "x"]),
            err(WRONGTYPE)
        );
        assert_eq!(
            run(&mut s, &["XREAD", "STREAMS", "a", "str", "x", "0"]),
            err(INVALID_ID)
        );
        // The reusable read (blocking serves): `$` resolved by the caller.
        let last = stream_last_id(&s, b"a", NOW).unwrap_or_default();
        assert_eq!(last, StreamId::new(3, 0));
        assert_eq!(
            entries_after(&s, NOW, &[(Bytes::from("a"), last)], 0),
            Ok(vec![])
        );
        let got = entries_after(&s, NOW, &[(Bytes::from("a"), StreamId::new(2, 0))], 0);
        assert_eq!(
            got,
            Ok(vec![(Bytes::from("a"), vec![entry("3-0", &["f", "3-0"])])])
        );
        // Size: per stream COUNT or length.
        let c = ctx();
        assert_eq!(
            xread_size(&argv(&["XREAD", "STREAMS", "a", "b", "0", "0"]), &c, &s),
            Ok(4)
        );
        assert_eq!(
            xread_size(
                &argv(&["XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]),
                &c,
                &s
            ),
            Ok(3)
        );
    }

    #[test]
    fn a_relayed_xread_reply_gets_its_shape_back() {
        let pairs = vec![(bulk("s"), arr(vec![]))];
        let xread = argv(&["XREAD", "STREAMS", "s", "0"]);
        assert_eq!(
            relayed(&xread, Reply::Map(pairs.clone())),
            Reply::PairMap(pairs.clone())
        );
        assert_eq!(relayed(&xread, Reply::Nil), Reply::NilArray);
        assert_eq!(relayed(&argv(&["xreadgroup"]), Reply::Nil), Reply::NilArray);
        assert_eq!(
            relayed(&argv(&["HGETALL", "h"]), Reply::Map(pairs.clone())),
            Reply::Map(pairs)
        );
        assert_eq!(relayed(&argv(&["GET", "k"]), Reply::Nil), Reply::Nil);
    }

    #[test]
    fn xdel_tracks_first_and_max_deleted() {
        let mut s = filled("s", 4);
        assert_eq!(
            run(&mut s, &["XDEL", "s", "1-0", "1-0", "3-0", "7-0"]),
            int(2)
        );
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "length"), &int(2));
        assert_eq!(get(&info, "recorded-first-entry-id"), &bulk("2-0"));
        assert_eq!(get(&info, "max-deleted-entry-id"), &bulk("3-0"));
        assert_eq!(get(&info, "first-entry"), &entry("2-0", &["f", "2-0"]));
        assert_eq!(run(&mut s, &["XDEL", "s", "2-0", "4-0"]), int(2));
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "recorded-first-entry-id"), &bulk("0-0"));
        assert_eq!(get(&info, "first-entry"), &Reply::Nil);
        assert_eq!(get(&info, "last-entry"), &Reply::Nil);
        assert_eq!(get(&info, "last-generated-id"), &bulk("4-0"));
        assert_eq!(get(&info, "entries-added"), &int(4));
        // The empty stream stays.
        assert_eq!(run(&mut s, &["EXISTS", "s"]), int(1));
        assert_eq!(run(&mut s, &["TYPE", "s"]), Reply::Simple("stream".into()));
        assert_eq!(s.element_count(), 0);
        assert_eq!(run(&mut s, &["XDEL", "none", "x"]), int(0));
        assert_eq!(run(&mut s, &["XDEL", "s", "x"]), err(INVALID_ID));
    }

    #[test]
    fn exact_and_approximate_trims() {
        let mut s = filled("s", 250);
        assert_eq!(run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "200"]), int(0));
        assert_eq!(run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "149"]), int(100));
        assert_eq!(run(&mut s, &["XLEN", "s"]), int(150));
        // LIMIT below a chunk does nothing; a LIMIT of 0 means no limit.
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "99"]),
            int(0)
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "100"]),
            int(100)
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"]),
            int(50)
        );
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "recorded-first-entry-id"), &bulk("0-0"));
        let mut s = filled("s", 250);
        assert_eq!(run(&mut s, &["XTRIM", "s", "MINID", "~", "150"]), int(100));
        assert_eq!(run(&mut s, &["XTRIM", "s", "MINID", "~", "250"]), int(100));
        assert_eq!(run(&mut s, &["XTRIM", "s", "MINID", "~", "250"]), int(0));
        assert_eq!(run(&mut s, &["XTRIM", "s", "MINID", "=", "250"]), int(49));
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "recorded-first-entry-id"), &bulk("250-0"));
        assert_eq!(run(&mut s, &["XTRIM", "s", "MAXLEN", "0"]), int(1));
        assert_eq!(s.element_count(), 0);
        // XADD trims after adding.
        let mut s = filled("s", 3);
        assert_eq!(
            run(&mut s, &["XADD", "s", "MAXLEN", "2", "9", "a", "b"]),
            bulk("9-0")
        );
        assert_eq!(
            run(&mut s, &["XRANGE", "s", "-", "+", "COUNT", "1"]),
            arr(vec![entry("3-0", &["f", "3-0"])])
        );
        assert_eq!(
            run(&mut s, &["XADD", "s", "MINID", "9", "10", "a", "b"]),
            bulk("10-0")
        );
        assert_eq!(run(&mut s, &["XLEN", "s"]), int(2));
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "1", "LIMIT"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "LIMIT", "1"]),
            err(LIMIT_NO_STRATEGY)
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "LIMIT", "0"]),
            err(XTRIM_NO_STRATEGY)
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "1", "*"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "x"]),
            err("ERR value is not an integer or out of range")
        );
    }

    #[test]
    fn xsetid_checks_and_sets() {
        let mut s = filled("s", 3);
        assert_eq!(run(&mut s, &["XDEL", "s", "3-0"]), int(1));
        // Below the deleted top item is fine, below the live top is not.
        assert_eq!(run(&mut s, &["XSETID", "s", "2-5"]), ok());
        assert_eq!(run(&mut s, &["XSETID", "s", "1-9"]), err(XSETID_BELOW_TOP));
        assert_eq!(
            run(&mut s, &["XSETID", "s", "5", "ENTRIESADDED", "1"]),
            err(XSETID_ADDED_BELOW_LEN)
        );
        assert_eq!(
            run(&mut s, &["XSETID", "s", "5", "MAXDELETEDID", "5-1"]),
            err(XSETID_BELOW_MAXDELETED)
        );
        assert_eq!(
            run(&mut s, &["XSETID", "s", "5", "ENTRIESADDED"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(
                &mut s,
                &["XSETID", "s", "5", "ENTRIESADDED", "9", "MAXDELETEDID", "4"]
            ),
            ok()
        );
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "last-generated-id"), &bulk("5-0"));
        assert_eq!(get(&info, "entries-added"), &int(9));
        assert_eq!(get(&info, "max-deleted-entry-id"), &bulk("4-0"));
        assert_eq!(
            run(&mut s, &["XADD", "s", "5", "a", "b"]),
            err(XADD_SMALLER)
        );
        assert_eq!(
            run(&mut s, &["XSETID", "none", "5"]),
            err("ERR no such key")
        );
        // An empty stream takes any id.
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"]),
            ok()
        );
        assert_eq!(run(&mut s, &["XSETID", "e", "0-0"]), ok());
    }

    fn grouped() -> MemStore {
        let mut s = filled("s", 4);
        assert_eq!(run(&mut s, &["XGROUP", "CREATE", "s", "g", "0"]), ok());
        s
    }

    #[test]
    fn xreadgroup_delivers_once_and_serves_history() {
        let mut s = grouped();
        let r = run(
            &mut s,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "a",
                "COUNT",
                "3",
                "STREAMS",
                "s",
                ">",
            ],
        );
        assert_eq!(
            r,
            Reply::PairMap(vec![(
                bulk("s"),
                arr(vec![
                    entry("1-0", &["f", "1-0"]),
                    entry("2-0", &["f", "2-0"]),
                    entry("3-0", &["f", "3-0"])
                ])
            )])
        );
        let r = run(
            &mut s,
            &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"],
        );
        assert_eq!(
            r,
            Reply::PairMap(vec![(bulk("s"), arr(vec![entry("4-0", &["f", "4-0"])]))])
        );
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"]
            ),
            Reply::NilArray
        );
        // An empty history is still an answer for that stream.
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"]
            ),
            Reply::PairMap(vec![(bulk("s"), arr(vec![]))])
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "a",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "s",
                    "1"
                ]
            ),
            Reply::PairMap(vec![(bulk("s"), arr(vec![entry("2-0", &["f", "2-0"])]))])
        );
        // Counters: entries-read follows the deliveries, lag what is left.
        let groups = items(run(&mut s, &["XINFO", "GROUPS", "s"]));
        assert_eq!(get(&groups[0], "entries-read"), &int(4));
        assert_eq!(get(&groups[0], "lag"), &int(0));
        assert_eq!(get(&groups[0], "pending"), &int(4));
        assert_eq!(get(&groups[0], "consumers"), &int(3));
        let cons = items(run(&mut s, &["XINFO", "CONSUMERS", "s", "g"]));
        let pend: Vec<&Reply> = cons.iter().map(|c| get(c, "pending")).collect();
        assert_eq!(pend, [&int(3), &int(1), &int(0)]);
        // The history read counted a second delivery of 2-0.
        let p = items(run(&mut s, &["XPENDING", "s", "g", "2-0", "2-0", "1"]));
        assert_eq!(items(p[0].clone())[3], int(2));
        // Errors, and the order they come in.
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "$"]
            ),
            err(DOLLAR_IN_XREADGROUP)
        );
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "x", "a", "STREAMS", "s", "$"]
            ),
            err("NOGROUP No such key 's' or consumer group 'x' in XREADGROUP with GROUP option")
        );
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "STREAMS", "s", ">", "x"]
            ),
            err("ERR syntax error")
        );
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">", "x"]
            ),
            err(UNBALANCED)
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "a",
                    "BLOCK",
                    "10",
                    "STREAMS",
                    "s",
                    ">"
                ]
            ),
            err(errors::WOULD_BLOCK)
        );
        assert_eq!(
            precheck_xreadgroup(&argv(&[
                "XREADGROUP",
                "COUNT",
                "1",
                "NOACK",
                "STREAMS",
                "s",
                ">"
            ])),
            Err(err(MISSING_GROUP))
        );
        assert_eq!(run(&mut s, &["SET", "str", "x"]), ok());
        assert_eq!(
            run(
                &mut s,
                &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "str", ">"]
            ),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn xreadgroup_noack_and_tombstones() {
        let mut s = grouped();
        assert_eq!(run(&mut s, &["XDEL", "s", "3-0"]), int(1));
        run(
            &mut s,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "a",
                "NOACK",
                "COUNT",
                "1",
                "STREAMS",
                "s",
                ">",
            ],
        );
        assert_eq!(
            run(&mut s, &["XPENDING", "s", "g"]),
            arr(vec![int(0), Reply::Nil, Reply::Nil, Reply::NilArray])
        );
        // A tombstone ahead makes the lag unknown until the group passes it.
        let groups = items(run(&mut s, &["XINFO", "GROUPS", "s"]));
        assert_eq!(get(&groups[0], "lag"), &Reply::Nil);
        assert_eq!(get(&groups[0], "entries-read"), &Reply::Nil);
        run(
            &mut s,
            &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
        );
        let groups = items(run(&mut s, &["XINFO", "GROUPS", "s"]));
        assert_eq!(get(&groups[0], "last-delivered-id"), &bulk("4-0"));
        assert_eq!(get(&groups[0], "entries-read"), &int(4));
        assert_eq!(get(&groups[0], "lag"), &int(0));
        // A group made at `$` of a fresh stream has lag 0 and no reads.
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATE", "n", "g", "$", "MKSTREAM"]),
            ok()
        );
        let groups = items(run(&mut s, &["XINFO", "GROUPS", "n"]));
        assert_eq!(get(&groups[0], "entries-read"), &Reply::Nil);
        assert_eq!(get(&groups[0], "lag"), &int(0));
    }

    #[test]
    fn xack_xclaim_and_the_pel() {
        let mut s = grouped();
        run_at(
            &mut s,
            NOW,
            &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
        );
        let later = NOW + 1000;
        assert_eq!(
            run_at(&mut s, later, &["XCLAIM", "s", "g", "b", "2000", "1-0"]),
            arr(vec![])
        );
        assert_eq!(
            run_at(
                &mut s,
                later,
                &["XCLAIM", "s", "g", "b", "1000", "1-0", "2-0", "JUSTID"]
            ),
            arr(vec![bulk("1-0"), bulk("2-0")])
        );
        assert_eq!(
            run_at(&mut s, later, &["XPENDING", "s", "g"]),
            arr(vec![
                int(4),
                bulk("1-0"),
                bulk("4-0"),
                arr(vec![
                    arr(vec![bulk("a"), bulk("2")]),
                    arr(vec![bulk("b"), bulk("2")])
                ])
            ])
        );
        // TIME in the future is now; IDLE sets the delivery time back.
        assert_eq!(
            run_at(
                &mut s,
                later,
                &[
                    "XCLAIM",
                    "s",
                    "g",
                    "b",
                    "0",
                    "3-0",
                    "IDLE",
                    "500",
                    "RETRYCOUNT",
                    "9"
                ]
            ),
            arr(vec![entry("3-0", &["f", "3-0"])])
        );
        let p = items(run_at(
            &mut s,
            later,
            &["XPENDING", "s", "g", "-", "+", "10", "b"],
        ));
        let rows: Vec<Vec<Reply>> = p.into_iter().map(items).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], vec![bulk("3-0"), bulk("b"), int(500), int(9)]);
        assert_eq!(rows[0][3], int(1));
        let p = items(run_at(
            &mut s,
            later,
            &["XPENDING", "s", "g", "IDLE", "600", "-", "+", "10"],
        ));
        assert_eq!(p.len(), 1);
        assert_eq!(items(p[0].clone())[0], bulk("4-0"));
        // XACK removes from both PELs.
        assert_eq!(
            run(&mut s, &["XACK", "s", "g", "1-0", "4-0", "4-0"]),
            int(2)
        );
        let cons = items(run(&mut s, &["XINFO", "CONSUMERS", "s", "g"]));
        assert_eq!(get(&cons[0], "pending"), &int(0));
        assert_eq!(get(&cons[1], "pending"), &int(2));
        // A deleted entry's PEL entry goes when XCLAIM meets it.
        assert_eq!(run(&mut s, &["XDEL", "s", "2-0"]), int(1));
        assert_eq!(
            run(&mut s, &["XCLAIM", "s", "g", "a", "0", "2-0"]),
            arr(vec![])
        );
        assert_eq!(
            run(&mut s, &["XPENDING", "s", "g"]).clone(),
            arr(vec![
                int(1),
                bulk("3-0"),
                bulk("3-0"),
                arr(vec![arr(vec![bulk("b"), bulk("1")])])
            ])
        );
        // FORCE only for existing entries.
        assert_eq!(
            run(
                &mut s,
                &[
                    "XCLAIM", "s", "g", "a", "0", "1-0", "2-0", "FORCE", "JUSTID"
                ]
            ),
            arr(vec![bulk("1-0")])
        );
        assert_eq!(
            run(&mut s, &["XCLAIM", "nokey", "g", "a", "0", "1-0"]),
            err("NOGROUP No such key 'nokey' or consumer group 'g'")
        );
        assert_eq!(
            run(&mut s, &["XCLAIM", "s", "g", "a", "0", "1-0", "TIME", "x"]),
            err("ERR Invalid TIME option argument for XCLAIM")
        );
        assert_eq!(
            run(
                &mut s,
                &["XCLAIM", "s", "g", "a", "0", "1-0", "RETRYCOUNT", "x"]
            ),
            err("ERR Invalid RETRYCOUNT option argument for XCLAIM")
        );
        assert_eq!(
            run(
                &mut s,
                &["XCLAIM", "s", "g", "a", "0", "1-0", "LASTID", "x"]
            ),
            err(INVALID_ID)
        );
        assert_eq!(
            run(&mut s, &["XCLAIM", "s", "g", "a", "0", "1-0", "IDLE"]),
            err("ERR Unrecognized XCLAIM option 'IDLE'")
        );
    }

    #[test]
    fn xautoclaim_walks_the_pel_with_a_cursor() {
        let mut s = filled("s", 30);
        assert_eq!(run(&mut s, &["XGROUP", "CREATE", "s", "g", "0"]), ok());
        run_at(
            &mut s,
            NOW,
            &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
        );
        for id in ["5-0", "6-0"] {
            assert_eq!(run(&mut s, &["XDEL", "s", id]), int(1));
        }
        // Deleted entries count against COUNT and are reported.
        let r = items(run(
            &mut s,
            &[
                "XAUTOCLAIM",
                "s",
                "g",
                "b",
                "0",
                "4",
                "COUNT",
                "3",
                "JUSTID",
            ],
        ));
        assert_eq!(
            r,
            vec![
                bulk("7-0"),
                arr(vec![bulk("4-0")]),
                arr(vec![bulk("5-0"), bulk("6-0")])
            ]
        );
        // Entries not idle enough use up attempts (10 per COUNT): the
        // cursor stops after COUNT * 10 of them.
        let later = NOW + 100;
        run_at(
            &mut s,
            later,
            &[
                "XCLAIM", "s", "g", "a", "0", "7-0", "8-0", "9-0", "10-0", "11-0", "12-0", "13-0",
                "14-0", "15-0", "16-0", "17-0", "JUSTID",
            ],
        );
        let r = items(run_at(
            &mut s,
            later + 50,
            &[
                "XAUTOCLAIM",
                "s",
                "g",
                "c",
                "100",
                "7",
                "COUNT",
                "1",
                "JUSTID",
            ],
        ));
        assert_eq!(r, vec![bulk("17-0"), arr(vec![]), arr(vec![])]);
        let r = items(run_at(
            &mut s,
            later + 50,
            &[
                "XAUTOCLAIM",
                "s",
                "g",
                "c",
                "100",
                "17-0",
                "COUNT",
                "1",
                "JUSTID",
            ],
        ));
        assert_eq!(r, vec![bulk("19-0"), arr(vec![bulk("18-0")]), arr(vec![])]);
        let r = items(run_at(
            &mut s,
            later + 50,
            &["XAUTOCLAIM", "s", "g", "c", "0", "29", "COUNT", "5"],
        ));
        assert_eq!(
            r,
            vec![
                bulk("0-0"),
                arr(vec![
                    entry("29-0", &["f", "29-0"]),
                    entry("30-0", &["f", "30-0"])
                ]),
                arr(vec![])
            ]
        );
        assert_eq!(
            precheck_xautoclaim(&argv(&[
                "XAUTOCLAIM",
                "s",
                "g",
                "c",
                "0",
                "0",
                "COUNT",
                "0"
            ])),
            Err(err(AUTOCLAIM_COUNT))
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XAUTOCLAIM",
                    "s",
                    "g",
                    "c",
                    "0",
                    "0",
                    "COUNT",
                    "2305843009213693952"
                ]
            ),
            err(AUTOCLAIM_COUNT)
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XAUTOCLAIM",
                    "s",
                    "g",
                    "c",
                    "0",
                    "(18446744073709551615-18446744073709551615"
                ]
            ),
            err(BAD_START)
        );
        assert_eq!(
            run(&mut s, &["XAUTOCLAIM", "none", "g", "c", "0", "0"]),
            err("NOGROUP No such key 'none' or consumer group 'g'")
        );
    }

    #[test]
    fn xgroup_subcommands_and_cleanup() {
        let mut s = grouped();
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATE", "s", "g", "0"]),
            err(BUSYGROUP)
        );
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATE", "none", "g", "0"]),
            err(XGROUP_NEEDS_KEY)
        );
        assert_eq!(
            run(&mut s, &["XGROUP", "DESTROY", "none", "g"]),
            err(XGROUP_NEEDS_KEY)
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XGROUP",
                    "CREATE",
                    "s",
                    "h",
                    "0",
                    "MKSTREAM",
                    "ENTRIESREAD",
                    "2",
                    "x"
                ]
            ),
            err(
                "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
            )
        );
        assert_eq!(
            run(
                &mut s,
                &[
                    "XGROUP", "CREATE", "s", "h", "0", "MKSTREAM", "MKSTREAM", "MKSTREAM",
                    "MKSTREAM"
                ]
            ),
            err(
                "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
            )
        );
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATECONSUMER", "s", "nog", "c"]),
            err("NOGROUP No such consumer group 'nog' for key name 's'")
        );
        assert_eq!(run(&mut s, &["XGROUP", "SETID", "s", "g", "+"]), ok());
        let groups = items(run(&mut s, &["XINFO", "GROUPS", "s"]));
        assert_eq!(
            get(&groups[0], "last-delivered-id"),
            &bulk("18446744073709551615-18446744073709551615")
        );
        assert_eq!(run(&mut s, &["XGROUP", "SETID", "s", "g", "0"]), ok());
        let base = s.element_count();
        run(
            &mut s,
            &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
        );
        run(&mut s, &["XGROUP", "CREATECONSUMER", "s", "g", "b"]);
        // Consumer a: its record, 4 PEL entries in each index.
        assert_eq!(s.element_count(), base + 1 + 8 + 1);
        assert_eq!(
            run(&mut s, &["XGROUP", "DELCONSUMER", "s", "g", "a"]),
            int(4)
        );
        assert_eq!(s.element_count(), base + 1);
        run(
            &mut s,
            &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", "0"],
        );
        assert_eq!(run(&mut s, &["XGROUP", "SETID", "s", "g", "0"]), ok());
        run(
            &mut s,
            &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"],
        );
        assert_eq!(run(&mut s, &["XGROUP", "DESTROY", "s", "g"]), int(1));
        // Only the entries are left.
        assert_eq!(s.element_count(), 4);
        let info = run(&mut s, &["XINFO", "STREAM", "s"]);
        assert_eq!(get(&info, "groups"), &int(0));
        // A new group of the same name starts clean.
        assert_eq!(run(&mut s, &["XGROUP", "CREATE", "s", "g", "$"]), ok());
        assert_eq!(
            run(&mut s, &["XPENDING", "s", "g"]),
            arr(vec![int(0), Reply::Nil, Reply::Nil, Reply::NilArray])
        );
        // MKSTREAM on a key of another type.
        assert_eq!(run(&mut s, &["SET", "str", "x"]), ok());
        assert_eq!(
            run(&mut s, &["XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"]),
            err(WRONGTYPE)
        );
    }

    #[test]
    fn xinfo_stream_full() {
        let mut s = grouped();
        run_at(
            &mut s,
            77,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "a",
                "COUNT",
                "2",
                "STREAMS",
                "s",
                ">",
            ],
        );
        let full = run(&mut s, &["XINFO", "STREAM", "s", "FULL", "COUNT", "1"]);
        assert_eq!(
            get(&full, "entries"),
            &arr(vec![entry("1-0", &["f", "1-0"])])
        );
        let Reply::Array(groups) = get(&full, "groups") else {
            panic!()
        };
        let g = &groups[0];
        assert_eq!(get(g, "pel-count"), &int(2));
        assert_eq!(
            get(g, "pending"),
            &arr(vec![arr(vec![bulk("1-0"), bulk("a"), int(77), int(1)])])
        );
        assert_eq!(get(g, "lag"), &int(2));
        let Reply::Array(cons) = get(g, "consumers") else {
            panic!()
        };
        assert_eq!(get(&cons[0], "seen-time"), &int(77));
        assert_eq!(
            get(&cons[0], "pending"),
            &arr(vec![arr(vec![bulk("1-0"), int(77), int(1)])])
        );
        let all = run(&mut s, &["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]);
        assert_eq!(items(get(&all, "entries").clone()).len(), 4);
        let neg = run(&mut s, &["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"]);
        assert_eq!(items(get(&neg, "entries").clone()).len(), 4);
        assert_eq!(
            run(&mut s, &["XINFO", "STREAM", "s", "FULL", "LIMIT", "1"]),
            err(
                "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."
            )
        );
        assert_eq!(
            run(&mut s, &["XINFO", "STREAM", "s", "FULL", "COUNT", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut s, &["XINFO", "CONSUMERS", "s", "x"]),
            err("NOGROUP No such consumer group 'x' for key name 's'")
        );
    }
}
