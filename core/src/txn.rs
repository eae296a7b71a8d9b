//! Values and effects of transactions across Raft groups
//! (docs/design/0025).
//!
//! A prepare answers the current *values* of its keys (record plus
//! elements); the coordinator runs the transaction's program on a scratch
//! [`MemStore`] loaded with them and ships the *effects* (the final value of
//! every key the program changed) to each group's commit. Both travel as
//! one encoding, [`encode_values`]: a list of `(key, Option<Value>)`.
//!
//! Also here: the names of the internal transaction commands, and which
//! keys a command holds in a transaction ([`tx_keys`]), so the lock check
//! of the shard and of the core agree with the coordinator.

use crate::KeyEvent;
use crate::store::{MemStore, Ns, Record, Store, StoreError};
use bytes::Bytes;
use std::ops::Bound;

/// `COREKV.TXPREP <slot> <txid> <primary gid> <watch> key…`: lock, answer values.
pub const PREP: &str = "corekv.txprep";
/// `COREKV.TXPREPALL <slot> <txid> <primary gid> <watch>`: a prepare of the
/// whole group (a MULTI with FLUSHALL, DBSIZE, KEYS, SCAN ...): locks every
/// key, present and future, and answers every key's value.
pub const PREP_ALL: &str = "corekv.txprepall";
/// At most this many keys a group may hold for a transaction to lock it
/// whole (its prepare answers every value).
pub const MAX_WHOLE_KEYS: u64 = 10_000;
/// `COREKV.TXCOMMIT <slot> <txid> <n> (<gid> <effects>)…`: write, release.
pub const COMMIT: &str = "corekv.txcommit";
/// `COREKV.TXABORT <slot> <txid>`: release (a tombstone at the primary).
pub const ABORT: &str = "corekv.txabort";
/// `COREKV.TXRESOLVE <slot> <txid> <gid>`: at the primary, the outcome.
pub const RESOLVE: &str = "corekv.txresolve";
/// `COREKV.TXFORGET <slot> <txid> [r]`: at the primary, drop the record;
/// `r` (sent by recovery) keeps the id as committed for a while, for a
/// coordinator that may still ask.
pub const FORGET: &str = "corekv.txforget";
/// `COREKV.MULTI <slot> <watch> <argc> args… <argc> args…`: a transaction
/// whose keys are all in one group, as one log entry.
pub const MULTI: &str = "corekv.multi";
/// `COREKV.TXWATCH <slot> <watch> key…`: WATCH at the group's leader
/// (registered when queued; proposed as a no-op so its reply comes after
/// every write proposed before it).
pub const WATCH: &str = "corekv.txwatch";
/// `COREKV.TXUNWATCH <slot> <watch>`: forget a WATCH (never proposed).
pub const UNWATCH: &str = "corekv.txunwatch";
/// `COREKV.TXSNAP <slot> <watch> key…`: the first half of a snapshot read
/// (a read-only transaction): registers a watch on the keys when proposed
/// (after any lock on them is released), and its apply answers their
/// values, or `TXCONFLICT` if one is locked by then. Takes no lock.
pub const SNAP: &str = "corekv.txsnap";
/// `COREKV.TXSNAPHOLD`: a [`SNAP`] by a reader that has failed its checks
/// before: until its check (at most a moment), the leader refuses new
/// prepares of its keys, so a stream of transactions cannot starve it.
pub const SNAP_HOLD: &str = "corekv.txsnaphold";

/// Whether `name` is [`SNAP`] or [`SNAP_HOLD`].
pub fn is_snap(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(SNAP.as_bytes()) || name.eq_ignore_ascii_case(SNAP_HOLD.as_bytes())
}
/// `COREKV.TXCHECK <slot> <watch> key…`: the second half, answered by the
/// leader at once (never proposed): `+OK` if no key changed since its
/// `COREKV.TXSNAP` and none is locked, else `TXWATCHFAIL`. Drops the watch.
pub const CHECK: &str = "corekv.txcheck";
/// A prepare or one-group transaction whose WATCH saw a change.
pub const WATCH_FAILED: &str = "TXWATCHFAIL a watched key changed";
/// No WATCH (the `<watch>` argument).
pub const NO_WATCH: &str = "-";

/// A prepare refused: another transaction holds one of its keys.
pub const CONFLICT: &str = "TXCONFLICT key locked by another transaction";
/// The primary aborted the transaction (a resolve came first).
pub const ABORTED: &str = "TXABORTED transaction aborted";

/// Keys and their values (`None`: absent), as prepares answer them and
/// commits write them.
pub type Values = Vec<(Bytes, Option<Value>)>;

/// One key's value: its record and, for a collection or paged string, every
/// element as (sub, value) in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub rec: Record,
    pub elements: Vec<(Bytes, Bytes)>,
}

/// A transaction id: the coordinator's node and an HLC reading (unique;
/// every attempt of a transaction takes a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId {
    pub hlc: u64,
    pub node: u64,
}

impl TxId {
    pub fn to_arg(self) -> Bytes {
        Bytes::from(format!("{}:{}", self.node, self.hlc))
    }
    pub fn parse(a: &[u8]) -> Option<TxId> {
        let s = std::str::from_utf8(a).ok()?;
        let (n, h) = s.split_once(':')?;
        Some(TxId {
            node: n.parse().ok()?,
            hlc: h.parse().ok()?,
        })
    }
    /// The id at `argv[i]` (a transaction command's argument).
    pub fn at(argv: &[Bytes], i: usize) -> Option<TxId> {
        TxId::parse(argv.get(i)?)
    }
    /// Physical ms of the id's HLC reading (48-bit ms | 16-bit logical).
    pub fn ms(self) -> u64 {
        self.hlc >> 16
    }
}

/// The live value of `key` at `now_ms` (an expired key is absent).
pub fn read_value(store: &dyn Store, key: &[u8], now_ms: u64) -> Result<Option<Value>, StoreError> {
    let Some(rec) = store.get(key)?.filter(|r| !r.is_expired(now_ms)) else {
        return Ok(None);
    };
    let mut elements = Vec::new();
    if let Some(c) = rec.coll_header() {
        let ns = Ns {
            slot: crate::slot::key_slot(key),
            id: c.id,
        };
        store.el_range(
            ns,
            Bound::Unbounded,
            Bound::Unbounded,
            false,
            &mut |s, v| {
                elements.push((Bytes::copy_from_slice(s), Bytes::copy_from_slice(v)));
                true
            },
        )?;
    }
    Ok(Some(Value { rec, elements }))
}

/// Replaces `key` with `value` (or deletes it): the old value's elements
/// become garbage, the new one's go under a fresh id of this store.
pub fn write_value(
    store: &mut dyn Store,
    key: &[u8],
    value: Option<&Value>,
) -> Result<(), StoreError> {
    store.delete(key)?;
    let Some(v) = value else {
        return Ok(());
    };
    let mut rec = v.rec.clone();
    if let Some(mut c) = rec.coll_header() {
        c.id = store.new_id();
        rec.value = c.encode();
        let ns = Ns {
            slot: crate::slot::key_slot(key),
            id: c.id,
        };
        for (sub, val) in &v.elements {
            store.el_put(ns, sub, val.clone());
        }
    }
    store.put(key, rec)
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

/// `n(4) | (key | present(1) [record | m(4) | (sub | value)*])*`, each
/// byte string length-prefixed (4, BE).
pub fn encode_values(values: &[(Bytes, Option<Value>)]) -> Bytes {
    let mut out = Vec::new();
    out.extend_from_slice(&(values.len() as u32).to_be_bytes());
    for (key, v) in values {
        put_bytes(&mut out, key);
        match v {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                put_bytes(&mut out, &v.rec.encode());
                out.extend_from_slice(&(v.elements.len() as u32).to_be_bytes());
                for (s, val) in &v.elements {
                    put_bytes(&mut out, s);
                    put_bytes(&mut out, val);
                }
            }
        }
    }
    Bytes::from(out)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Option<u32> {
        let v = u32::from_be_bytes(self.buf.get(self.pos..self.pos + 4)?.try_into().ok()?);
        self.pos += 4;
        Some(v)
    }
    fn u8(&mut self) -> Option<u8> {
        let v = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    fn bytes(&mut self) -> Option<&[u8]> {
        let n = self.u32()? as usize;
        let v = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(v)
    }
}

/// Decodes [`encode_values`]; `None` if the bytes are not such a list.
pub fn decode_values(buf: &[u8]) -> Option<Vec<(Bytes, Option<Value>)>> {
    let mut r = Reader { buf, pos: 0 };
    let out = read_values(&mut r)?;
    (r.pos == buf.len()).then_some(out)
}

/// One group's part of a commit: [`encode_values`] of the effects, then,
/// if the run emitted any keyspace events on the group's keys, `n(4) |
/// (class(4) | event | key)*` (docs/design/0030): every replica applying
/// the commit emits them, as it would the commands'.
pub fn encode_effects(values: &[(Bytes, Option<Value>)], events: &[KeyEvent]) -> Bytes {
    let base = encode_values(values);
    if events.is_empty() {
        return base;
    }
    let mut out = Vec::from(&base[..]);
    out.extend_from_slice(&(events.len() as u32).to_be_bytes());
    for e in events {
        out.extend_from_slice(&e.class.to_be_bytes());
        put_bytes(&mut out, e.event.as_bytes());
        put_bytes(&mut out, &e.key);
    }
    Bytes::from(out)
}

/// Decodes [`encode_effects`] (an [`encode_values`] alone has no events);
/// `None` if malformed. An event name this build does not know is
/// dropped, not an error: the effects must apply the same everywhere.
pub fn decode_effects(buf: &[u8]) -> Option<(Values, Vec<KeyEvent>)> {
    let mut r = Reader { buf, pos: 0 };
    let values = read_values(&mut r)?;
    let mut events = Vec::new();
    if r.pos < buf.len() {
        let n = r.u32()? as usize;
        events.reserve(n.min(4096));
        for _ in 0..n {
            let class = r.u32()?;
            let event = crate::notify::event_name(r.bytes()?);
            let key = Bytes::copy_from_slice(r.bytes()?);
            if let Some(event) = event {
                events.push(KeyEvent { class, event, key });
            }
        }
    }
    (r.pos == buf.len()).then_some((values, events))
}

fn read_values(r: &mut Reader<'_>) -> Option<Vec<(Bytes, Option<Value>)>> {
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let key = Bytes::copy_from_slice(r.bytes()?);
        let v = match r.u8()? {
            0 => None,
            1 => {
                let rec = Record::decode(r.bytes()?)?;
                let m = r.u32()? as usize;
                let mut elements = Vec::with_capacity(m.min(1 << 16));
                for _ in 0..m {
                    let s = Bytes::copy_from_slice(r.bytes()?);
                    let v = Bytes::copy_from_slice(r.bytes()?);
                    elements.push((s, v));
                }
                Some(Value { rec, elements })
            }
            _ => return None,
        };
        out.push((key, v));
    }
    Some(out)
}

/// A scratch store holding a transaction's keys, and only those: a command
/// reaching outside them is an error, never a silent miss.
pub struct Scratch {
    store: MemStore,
    keys: std::collections::HashSet<Bytes>,
    original: Vec<(Bytes, Option<Value>)>,
    /// Keys reached that the transaction did not declare (a script's
    /// undeclared key): the run is void, and the coordinator runs it again
    /// with them locked too.
    undeclared: std::cell::RefCell<Vec<Bytes>>,
    /// Loaded with every key of the keyspace (a whole-keyspace
    /// transaction): any key may be reached, and scans and clears work.
    complete: bool,
    /// The run scanned or cleared the keyspace (a script's KEYS or
    /// FLUSHALL) without holding it all: void, to run again over every
    /// group.
    wants_whole: std::cell::Cell<bool>,
}

/// The error a transaction's command gets for a key it did not declare.
pub const UNDECLARED: &str =
    "ERR corekv: a transaction across groups touched a key it did not declare";

impl Scratch {
    /// Loads the prepared values (every key of the transaction, present or
    /// not).
    /// It collects the keyspace events of what runs on it
    /// ([`Scratch::take_events`]) whatever this node's
    /// `notify-keyspace-events`: the groups' replicas on other nodes may
    /// want them (they travel in the commit, [`encode_effects`]).
    pub fn load(values: Vec<(Bytes, Option<Value>)>) -> Scratch {
        let mut store = MemStore::new();
        let mut keys = std::collections::HashSet::new();
        for (k, v) in &values {
            keys.insert(k.clone());
            // A MemStore cannot fail.
            let _ = write_value(&mut store, k, v.as_ref());
        }
        store.collect_events();
        Scratch {
            store,
            keys,
            original: values,
            undeclared: std::cell::RefCell::new(Vec::new()),
            complete: false,
            wants_whole: std::cell::Cell::new(false),
        }
    }

    /// Loads every key of the keyspace (what whole-group prepares
    /// answered): keys not among them are absent, not undeclared.
    pub fn load_all(values: Vec<(Bytes, Option<Value>)>) -> Scratch {
        let mut s = Scratch::load(values);
        s.complete = true;
        s
    }

    /// The keyspace events collected since the last call.
    pub fn take_events(&mut self) -> Vec<crate::KeyEvent> {
        self.store.take_events()
    }

    /// Whether the run reached the whole keyspace without holding it.
    pub fn wants_whole(&self) -> bool {
        self.wants_whole.get()
    }

    /// The undeclared keys the run reached (see [`Scratch`]).
    pub fn undeclared(&self) -> Vec<Bytes> {
        self.undeclared.borrow().clone()
    }

    /// The final value of every key that changed, in the order loaded.
    pub fn effects(&self) -> Vec<(Bytes, Option<Value>)> {
        let mut out = Vec::new();
        for (k, before) in &self.original {
            let after = read_value(&self.store, k, 0).ok().flatten();
            let same = match (before, &after) {
                (None, None) => true,
                (Some(a), Some(b)) => a.elements == b.elements && same_record(&a.rec, &b.rec),
                _ => false,
            };
            if !same {
                out.push((k.clone(), after));
            }
        }
        if self.complete {
            // Keys the run created.
            let mut created = Vec::new();
            let _ = self.store.scan(0, crate::slot::SLOTS, &mut |_, k, _| {
                if !self.keys.contains(k) {
                    created.push(Bytes::copy_from_slice(k));
                }
                true
            });
            for k in created {
                let v = read_value(&self.store, &k, 0).ok().flatten();
                out.push((k, v));
            }
        }
        out
    }

    fn check(&self, key: &[u8]) -> Result<(), StoreError> {
        if self.complete || self.keys.contains(key) {
            Ok(())
        } else {
            let mut u = self.undeclared.borrow_mut();
            if !u.iter().any(|k| &k[..] == key) {
                u.push(Bytes::copy_from_slice(key));
            }
            Err(StoreError::new(UNDECLARED))
        }
    }
}

/// Equal but for the collection id (the scratch store renumbers them).
fn same_record(a: &Record, b: &Record) -> bool {
    match (a.coll_header(), b.coll_header()) {
        (Some(mut x), Some(y)) => {
            x.id = y.id;
            a.kind == b.kind
                && a.expire_at_ms == b.expire_at_ms
                && a.mtime_ms == b.mtime_ms
                && a.paged == b.paged
                && x == y
        }
        _ => a == b,
    }
}

impl Store for Scratch {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        self.check(key)?;
        self.store.get(key)
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        self.check(key)?;
        self.store.put(key, rec)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.check(key)?;
        self.store.delete(key)
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        if self.complete {
            return self.store.scan(from_slot, to_slot, visit);
        }
        self.wants_whole.set(true);
        Err(StoreError::new(UNDECLARED))
    }
    fn clear(&mut self, from_slot: u16, to_slot: u16) {
        if self.complete {
            self.store.clear(from_slot, to_slot);
        } else {
            self.wants_whole.set(true);
        }
    }
    fn len(&self) -> u64 {
        if !self.complete {
            // DBSIZE over a store of some keys: void (see `wants_whole`).
            self.wants_whole.set(true);
        }
        self.store.len()
    }
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.store.el_get(ns, sub)
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.store.el_range(ns, lo, hi, rev, visit)
    }
    fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes) {
        self.store.el_put(ns, sub, value)
    }
    fn el_del(&mut self, ns: Ns, sub: &[u8]) {
        self.store.el_del(ns, sub)
    }
    fn new_id(&mut self) -> u64 {
        self.store.new_id()
    }
    fn notifying(&self) -> bool {
        self.store.notifying()
    }
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        self.store.notify(class, event, key)
    }
}

/// Packs commands into one argument list: `argc args… argc args…` (the tail
/// of a `COREKV.MULTI`).
pub fn pack_cmds(cmds: &[Vec<Bytes>], out: &mut Vec<Bytes>) {
    for c in cmds {
        out.push(Bytes::from(c.len().to_string()));
        out.extend(c.iter().cloned());
    }
}

/// Unpacks [`pack_cmds`]; `None` if malformed.
pub fn unpack_cmds(args: &[Bytes]) -> Option<Vec<Vec<Bytes>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let n: usize = std::str::from_utf8(args.get(i)?).ok()?.parse().ok()?;
        if n == 0 {
            return None;
        }
        out.push(args.get(i + 1..i + 1 + n)?.to_vec());
        i += 1 + n;
    }
    Some(out)
}

/// Whether `name` is one of the `COREKV.TX*` commands (a transaction's
/// prepare, commit, abort, resolve, forget, watch, unwatch).
pub fn is_tx_command(name: &[u8]) -> bool {
    name.get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"corekv.tx"))
}

/// A `COREKV.TXCOMMIT`'s (gid, effects) pairs; `None` if malformed.
pub fn commit_parts(argv: &[Bytes]) -> Option<Vec<(u32, Bytes)>> {
    let num = |i: usize| -> Option<u64> { std::str::from_utf8(argv.get(i)?).ok()?.parse().ok() };
    let n = num(3)?;
    let mut parts = Vec::new();
    for i in 0..n as usize {
        let g = u32::try_from(num(4 + 2 * i)?).ok()?;
        parts.push((g, argv.get(5 + 2 * i)?.clone()));
    }
    Some(parts)
}

/// Whether `keys` span more than one slot (Redis Cluster's CROSSSLOT rule).
pub fn spans_slots<'a>(keys: impl IntoIterator<Item = &'a Bytes>) -> bool {
    let mut slots = keys.into_iter().map(|k| crate::slot::key_slot(k));
    let first = slots.next();
    slots.any(|s| Some(s) != first)
}

/// The keys `argv` holds in a transaction's sense: a data command's key
/// positions, a `COREKV.MULTI`'s commands' keys, a prepare's keys, a
/// commit's effect keys. What the lock checks compare.
pub fn tx_keys(argv: &[Bytes]) -> Vec<Bytes> {
    let name = argv.first().map_or(&[][..], |a| &a[..]);
    if name.eq_ignore_ascii_case(MULTI.as_bytes()) {
        let cmds = unpack_cmds(argv.get(3..).unwrap_or(&[])).unwrap_or_default();
        return cmds.iter().flat_map(|c| tx_keys(c)).collect();
    }
    if name.eq_ignore_ascii_case(PREP.as_bytes()) {
        return argv.get(5..).unwrap_or(&[]).to_vec();
    }
    if is_snap(name) || name.eq_ignore_ascii_case(CHECK.as_bytes()) {
        return argv.get(3..).unwrap_or(&[]).to_vec();
    }
    if name.eq_ignore_ascii_case(COMMIT.as_bytes()) {
        // Locked already by the same transaction: a commit never waits.
        return Vec::new();
    }
    match crate::table::find(argv) {
        Some(spec) => crate::table::all_key_positions(spec, argv)
            .filter_map(|i| argv.get(i).cloned())
            .collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testutil::{argv, ctx};

    fn run(s: &mut Scratch, args: &[&str]) -> crate::Reply {
        crate::cmd::apply_write(&argv(args), &ctx(), s)
    }

    #[test]
    fn values_round_trip_and_effects_name_only_changed_keys() {
        let mut m = MemStore::new();
        let c = ctx();
        crate::cmd::apply_write(&argv(&["SADD", "s", "a", "b"]), &c, &mut m);
        crate::cmd::apply_write(&argv(&["SET", "x", "1"]), &c, &mut m);
        let vals: Vec<_> = ["s", "x", "none", "d"]
            .iter()
            .map(|k| {
                (
                    Bytes::from(*k),
                    read_value(&m, k.as_bytes(), c.now_ms).unwrap(),
                )
            })
            .collect();
        let enc = encode_values(&vals);
        assert_eq!(decode_values(&enc).unwrap(), vals);
        assert!(decode_values(&enc[..enc.len() - 1]).is_none());

        let mut s = Scratch::load(vals);
        assert_eq!(
            run(&mut s, &["SMOVE", "s", "d", "a"]),
            crate::Reply::Integer(1)
        );
        let eff = s.effects();
        let names: Vec<_> = eff.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(names, vec![Bytes::from("s"), Bytes::from("d")]);
        // Applied elsewhere, the effects rebuild the same sets.
        let mut m2 = m.clone();
        for (k, v) in &eff {
            write_value(&mut m2, k, v.as_ref()).unwrap();
        }
        let members = |k: &str| crate::cmd::read(&argv(&["SMEMBERS", k]), &c, &m2);
        assert_eq!(
            members("d"),
            crate::Reply::Set(vec![crate::Reply::bulk("a")])
        );
        assert_eq!(
            members("s"),
            crate::Reply::Set(vec![crate::Reply::bulk("b")])
        );
    }

    /// A transaction's run collects its keyspace events; they travel with
    /// the effects and come back whole, and effects without events are
    /// plain values (what older commits hold).
    #[test]
    fn effects_carry_the_runs_keyspace_events() {
        let mut s = Scratch::load(vec![(Bytes::from("s"), None), (Bytes::from("d"), None)]);
        run(&mut s, &["SADD", "s", "a"]);
        run(&mut s, &["SMOVE", "s", "d", "a"]);
        let events = s.take_events();
        let names: Vec<_> = events.iter().map(|e| (e.event, &e.key[..])).collect();
        assert_eq!(
            names,
            vec![
                ("new", &b"s"[..]),
                ("sadd", b"s"),
                ("srem", b"s"),
                ("del", b"s"),
                ("new", b"d"),
                ("sadd", b"d"),
            ]
        );
        let eff = s.effects();
        let enc = encode_effects(&eff, &events);
        assert_eq!(decode_effects(&enc), Some((eff.clone(), events)));
        assert!(decode_effects(&enc[..enc.len() - 1]).is_none());
        assert!(decode_values(&enc).is_none(), "events are not values");
        let plain = encode_effects(&eff, &[]);
        assert_eq!(plain, encode_values(&eff));
        assert_eq!(decode_effects(&plain), Some((eff, Vec::new())));
    }

    #[test]
    fn undeclared_keys_fail_loudly() {
        let mut s = Scratch::load(vec![(Bytes::from("a"), None)]);
        assert_eq!(run(&mut s, &["SET", "a", "1"]), crate::Reply::ok());
        let r = run(&mut s, &["SET", "b", "1"]);
        assert!(r.is_error(), "{r:?}");
        assert_eq!(s.undeclared(), vec![Bytes::from("b")]);
    }

    #[test]
    fn packed_commands_and_their_keys() {
        let cmds = vec![
            argv(&["SET", "a", "1"]),
            argv(&["MSET", "b", "1", "c", "2"]),
        ];
        let mut packed = vec![Bytes::from(MULTI), Bytes::from("0"), Bytes::from(NO_WATCH)];
        pack_cmds(&cmds, &mut packed);
        assert_eq!(unpack_cmds(&packed[3..]).unwrap(), cmds);
        assert_eq!(tx_keys(&packed), argv(&["a", "b", "c"]));
        assert!(unpack_cmds(&argv(&["3", "SET", "a"])).is_none());
        let id = TxId {
            node: 3,
            hlc: 99 << 16,
        };
        assert_eq!(TxId::parse(&id.to_arg()), Some(id));
        assert_eq!(id.ms(), 99);
    }
}
