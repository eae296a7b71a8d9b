//! A storage read error is never "the key is absent": client reads answer
//! an error and cache nothing; an apply whose read fails waits (that entry
//! and everything after it) and then computes from the stored value. (The
//! 3-replica case, a faulty follower falling behind instead of diverging,
//! is in `replicas.rs`, on its replica harness.)

mod common;
use bytes::Bytes;
use common::{argv, settle};
use corekv_core::cmd::{Ctx, apply_write};
use corekv_core::{MemStore, Record, Reply, Store, StoreError};
use corekv_shard::{Engine, GroupSpec, Shard, Token};
use std::cell::RefCell;
use std::path::Path;

const FAULT: &str = "ERR storage read error: injected read fault";

fn open(dir: &Path) -> Shard {
    let engine = Engine::open(dir, 8 << 20).expect("open");
    let spec = GroupSpec {
        id: 1,
        slots: 0..16384,
    };
    Shard::open(engine, &[spec], 1 << 20).expect("shard")
}

fn get(shard: &Shard, cmd: &[&str]) -> Reply {
    shard.read(0, &argv(cmd), 1000, 0)
}

/// A shard with `k` = "10" and `s` = "ab" written and then reopened, so
/// neither the row cache nor the overlay holds them: reads go to fjall.
fn cold(dir: &Path) -> Shard {
    {
        let mut shard = open(dir);
        settle(&mut shard);
        shard
            .propose(0, 1000, &argv(&["SET", "k", "10"]), 1)
            .expect("propose");
        shard
            .propose(0, 1000, &argv(&["SET", "s", "ab"]), 2)
            .expect("propose");
        assert_eq!(settle(&mut shard).len(), 2);
    }
    let mut shard = open(dir);
    settle(&mut shard);
    shard
}

#[test]
fn a_client_read_fault_is_an_error_and_is_not_cached() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shard = cold(dir.path());
    let health = shard.engine().health.clone();
    health.inject(1);
    assert_eq!(get(&shard, &["GET", "k"]), Reply::err(FAULT));
    // Had the failed read been cached as "absent", this would be nil.
    assert_eq!(get(&shard, &["GET", "k"]), Reply::bulk(&b"10"[..]));

    let errors_before = health
        .read_errors
        .load(std::sync::atomic::Ordering::Relaxed);
    health.inject(u64::MAX);
    for cmd in [
        &["GET", "s"][..],
        &["MGET", "s"],
        &["STRLEN", "s"],
        &["EXISTS", "s"],
        &["TTL", "s"],
        &["TYPE", "s"],
        &["KEYS", "*"],
        &["SCAN", "0"],
        &["RANDOMKEY"],
        &[
            "COREKV.COUNTKEYSINSLOT",
            &corekv_core::slot::key_slot(b"s").to_string(),
        ],
    ] {
        assert_eq!(get(&shard, cmd), Reply::err(FAULT), "{cmd:?}");
    }
    // Cached before the fault: served without a read.
    assert_eq!(get(&shard, &["GET", "k"]), Reply::bulk(&b"10"[..]));
    // The heavy pool's view fails the same way.
    let view = shard.snapshot_view(0).expect("view");
    let ctx = Ctx {
        now_ms: 1000,
        slots: view.slots(),
        rand: 0,
    };
    assert_eq!(
        corekv_core::cmd::read(&argv(&["KEYS", "*"]), &ctx, &view),
        Reply::err(FAULT)
    );
    assert!(
        health
            .read_errors
            .load(std::sync::atomic::Ordering::Relaxed)
            > errors_before
    );
    health.inject(0);
    assert_eq!(get(&shard, &["GET", "s"]), Reply::bulk(&b"ab"[..]));
    assert_eq!(
        corekv_core::cmd::read(&argv(&["KEYS", "*"]), &ctx, &view).items_sorted(),
        vec!["k", "s"]
    );
}

trait Sorted {
    fn items_sorted(&self) -> Vec<String>;
}

impl Sorted for Reply {
    fn items_sorted(&self) -> Vec<String> {
        let Reply::Array(items) = self else {
            panic!("not an array: {self:?}");
        };
        let mut out: Vec<String> = items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        out.sort();
        out
    }
}

#[test]
fn an_apply_read_fault_delays_the_write_which_then_uses_the_stored_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shard = cold(dir.path());
    let health = shard.engine().health.clone();
    let applied = |s: &Shard| s.raft_status()[0].applied;
    let before = applied(&shard);
    health.inject(u64::MAX);
    shard
        .propose(0, 1000, &argv(&["INCR", "k"]), 10)
        .expect("propose");
    shard
        .propose(0, 1000, &argv(&["APPEND", "s", "c"]), 11)
        .expect("propose");
    // Neither entry applies (nor anything after the first), however many
    // turns run: no reply, applied index unchanged, nothing written.
    for _ in 0..5 {
        assert_eq!(settle(&mut shard), vec![]);
    }
    assert!(shard.apply_stalled());
    let status = &shard.raft_status()[0];
    assert_eq!(status.applied, before);
    assert_eq!(status.commit, before + 2);
    assert_eq!(
        health
            .apply_stalls
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // One more failing read, then the disk answers again.
    health.inject(1);
    assert_eq!(settle(&mut shard), vec![]);
    let done = settle(&mut shard);
    assert_eq!(
        done,
        vec![(10, Reply::Integer(11)), (11, Reply::Integer(3))]
    );
    assert!(!shard.apply_stalled());
    assert_eq!(applied(&shard), before + 2);
    assert_eq!(get(&shard, &["GET", "k"]), Reply::bulk(&b"11"[..]));
    assert_eq!(get(&shard, &["GET", "s"]), Reply::bulk(&b"abc"[..]));
    drop(shard);
    // What was persisted is the applied state, not a half-applied one.
    let mut shard = open(dir.path());
    settle(&mut shard);
    assert_eq!(get(&shard, &["GET", "k"]), Reply::bulk(&b"11"[..]));
    assert_eq!(get(&shard, &["GET", "s"]), Reply::bulk(&b"abc"[..]));
}

#[test]
fn a_write_stalled_at_a_crash_is_applied_from_the_stored_value_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shard = cold(dir.path());
    shard.engine().health.inject(u64::MAX);
    shard
        .propose(0, 1000, &argv(&["INCR", "k"]), 10)
        .expect("propose");
    assert_eq!(settle(&mut shard), vec![]);
    drop(shard);
    // The committed INCR is replayed from the log once reads work.
    let mut shard = open(dir.path());
    settle(&mut shard);
    assert_eq!(get(&shard, &["GET", "k"]), Reply::bulk(&b"11"[..]));
}

/// A [`MemStore`] that records the keys read.
struct Recording {
    inner: MemStore,
    reads: RefCell<Vec<Vec<u8>>>,
}

impl Store for Recording {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        self.reads.borrow_mut().push(key.to_vec());
        self.inner.get(key)
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        // The shard's apply reads the old record on every write.
        self.reads.borrow_mut().push(key.to_vec());
        self.inner.put(key, rec)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.reads.borrow_mut().push(key.to_vec());
        self.inner.delete(key)
    }
    fn scan(
        &self,
        _from: u16,
        _to: u16,
        _visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        panic!("a write scanned: apply cannot prefetch a scan");
    }
    fn clear(&mut self, from: u16, to: u16) {
        self.inner.clear(from, to)
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    // Element reads are not prefetched: the staged apply reads them as it
    // goes (0019 section 2), so they are not recorded here.
    fn el_get(&self, ns: corekv_core::Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.inner.el_get(ns, sub)
    }
    fn el_range(
        &self,
        ns: corekv_core::Ns,
        lo: std::ops::Bound<&[u8]>,
        hi: std::ops::Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.inner.el_range(ns, lo, hi, rev, visit)
    }
    fn el_put(&mut self, ns: corekv_core::Ns, sub: &[u8], value: Bytes) {
        self.inner.el_put(ns, sub, value)
    }
    fn el_del(&mut self, ns: corekv_core::Ns, sub: &[u8]) {
        self.inner.el_del(ns, sub)
    }
    fn new_id(&mut self) -> u64 {
        self.inner.new_id()
    }
}

/// Apply reads only what `write_keys` prefetched; a read outside it would
/// make a read error fatal (`ShardError::ApplyRead`) instead of a delay.
#[test]
fn every_write_reads_only_its_key_positions() {
    let samples: &[&[&str]] = &[
        &["SET", "{a}1", "v", "GET", "KEEPTTL"],
        &["SETNX", "{a}1", "v"],
        &["SETEX", "{a}1", "10", "v"],
        &["PSETEX", "{a}1", "10", "v"],
        &["GETSET", "{a}1", "v"],
        &["GETDEL", "{a}1"],
        &["GETEX", "{a}1", "PERSIST"],
        &["GETEX", "{a}2", "EX", "100"],
        &["MSET", "{a}1", "1", "{a}2", "2", "{a}3", "3"],
        &["MSETNX", "{a}4", "1", "{a}5", "2"],
        &["INCR", "{a}1"],
        &["DECR", "{a}1"],
        &["INCRBY", "{a}1", "5"],
        &["DECRBY", "{a}1", "5"],
        &["INCRBYFLOAT", "{a}1", "1.5"],
        &["APPEND", "{a}1", "x"],
        &["SETRANGE", "{a}1", "2", "yy"],
        &["DEL", "{a}1", "{a}2", "{a}9"],
        &["UNLINK", "{a}3", "{a}9"],
        &["RENAME", "{a}4", "{a}6"],
        &["RENAMENX", "{a}5", "{a}6"],
        &["RENAMENX", "{a}5", "{a}7"],
        &["COPY", "{a}6", "{a}8", "DB", "0", "REPLACE"],
        &["EXPIRE", "{a}8", "100", "NX"],
        &["PEXPIRE", "{a}8", "100000", "XX"],
        &["EXPIREAT", "{a}8", "99999999999", "GT"],
        &["PEXPIREAT", "{a}8", "1", "LT"],
        &["PERSIST", "{a}6"],
        &["COREKV.EXPIREIF", "{a}6"],
        // hashes (issue 10)
        &["HSET", "{a}h", "f", "1", "g", "2"],
        &["HMSET", "{a}h", "f", "3"],
        &["HSETNX", "{a}h", "n", "1"],
        &["HINCRBY", "{a}h", "f", "2"],
        &["HINCRBYFLOAT", "{a}h", "g", "0.5"],
        &["HDEL", "{a}h", "n", "zz"],
        // lists (issue 10)
        &["RPUSH", "{a}l", "a", "b", "c", "d"],
        &["LPUSH", "{a}l", "z"],
        &["LPUSHX", "{a}l", "y"],
        &["RPUSHX", "{a}l", "e"],
        &["LPOP", "{a}l"],
        &["RPOP", "{a}l", "1"],
        &["LSET", "{a}l", "0", "x"],
        &["LINSERT", "{a}l", "BEFORE", "c", "w"],
        &["LREM", "{a}l", "0", "w"],
        &["LTRIM", "{a}l", "0", "-1"],
        &["LMOVE", "{a}l", "{a}m", "LEFT", "RIGHT"],
        &["RPOPLPUSH", "{a}l", "{a}m"],
        &["LMPOP", "2", "{a}none", "{a}m", "LEFT", "COUNT", "2"],
        // blocking lists: applied as their non-blocking form
        &["RPUSH", "{a}m", "1", "2", "3", "4", "5"],
        &["BLPOP", "{a}none", "{a}m", "0"],
        &["COREKV.BPROBE", "{a}none", "{a}m", "0"],
        &["BRPOP", "{a}m", "0"],
        &["BLMOVE", "{a}m", "{a}l", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "{a}l", "{a}m", "0"],
        &["BLMPOP", "0", "2", "{a}none", "{a}m", "LEFT"],
        &["SADD", "{a}s", "1", "2", "x"],
        &["SREM", "{a}s", "2"],
        &["SMOVE", "{a}s", "{a}t", "1"],
        &["SPOP", "{a}s"],
        &["SPOP", "{a}t", "3"],
        &["SADD", "{a}s", "1", "2", "x"],
        &["SINTERSTORE", "{a}d", "{a}s", "{a}t"],
        &["SUNIONSTORE", "{a}d", "{a}s", "{a}t"],
        &["SDIFFSTORE", "{a}d", "{a}s", "{a}t"],
        &["ZADD", "{a}z", "1", "a", "2", "b", "3", "c"],
        &["ZINCRBY", "{a}z", "1", "a"],
        &["ZREM", "{a}z", "b"],
        &["ZRANGESTORE", "{a}y", "{a}z", "0", "-1"],
        &["ZREMRANGEBYRANK", "{a}y", "0", "0"],
        &["ZREMRANGEBYSCORE", "{a}y", "0", "1"],
        &["ZREMRANGEBYLEX", "{a}y", "-", "+"],
        &["ZPOPMIN", "{a}z"],
        &["ZPOPMAX", "{a}z", "2"],
        &["ZADD", "{a}z", "1", "a", "2", "b", "3", "c"],
        &["ZMPOP", "1", "{a}z", "MIN"],
        &["ZUNIONSTORE", "{a}y", "1", "{a}z"],
        &["ZINTERSTORE", "{a}y", "1", "{a}z"],
        &["ZDIFFSTORE", "{a}y", "1", "{a}z"],
        &["ZADD", "{a}z", "1", "a", "2", "b", "3", "c"],
        &["BZPOPMIN", "{a}none", "{a}z", "0"],
        &["BZPOPMAX", "{a}z", "0"],
        &["BZMPOP", "0", "1", "{a}z", "MIN"],
        &["XADD", "{a}x", "1-0", "f", "v"],
        &["XADD", "{a}x", "2-0", "f", "v"],
        &["XGROUP", "CREATE", "{a}x", "g", "0"],
        &["XGROUP", "CREATECONSUMER", "{a}x", "g", "c2"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "{a}x", ">"],
        &["XACK", "{a}x", "g", "1-0"],
        &["XCLAIM", "{a}x", "g", "c2", "0", "2-0"],
        &["XAUTOCLAIM", "{a}x", "g", "c", "0", "0"],
        &["XGROUP", "SETID", "{a}x", "g", "0"],
        &["XGROUP", "DELCONSUMER", "{a}x", "g", "c"],
        &["XGROUP", "DESTROY", "{a}x", "g"],
        &["XDEL", "{a}x", "1-0"],
        &["XTRIM", "{a}x", "MAXLEN", "0"],
        &["XSETID", "{a}x", "5-0"],
        &["XADD", "{a}x", "6-0", "f", "v"],
        &["COREKV.XREADBLOCK", "BLOCK", "0", "STREAMS", "{a}x", "0"],
        // hyperloglog (issue 10, slice 5)
        &["PFADD", "{a}p", "a", "b"],
        &["PFADD", "{a}q", "c"],
        &["PFMERGE", "{a}r", "{a}p", "{a}q", "{a}none"],
        &["GEOADD", "{a}g", "13.4", "52.5", "m1", "13.5", "52.6", "m2"],
        &[
            "GEOSEARCHSTORE",
            "{a}gd",
            "{a}g",
            "FROMMEMBER",
            "m1",
            "BYRADIUS",
            "50",
            "km",
        ],
        &[
            "GEORADIUS",
            "{a}g",
            "13.4",
            "52.5",
            "50",
            "km",
            "STORE",
            "{a}gd",
        ],
        &[
            "GEORADIUSBYMEMBER",
            "{a}g",
            "m2",
            "50",
            "km",
            "STOREDIST",
            "{a}gd",
        ],
        &["SETBIT", "{a}b", "40000", "1"],
        &["BITFIELD", "{a}b", "INCRBY", "u8", "#9000", "1"],
        &["BITOP", "OR", "{a}c", "{a}b", "{a}none"],
        &["FLUSHDB", "ASYNC"],
        &["FLUSHALL"],
    ];
    let mut store = Recording {
        inner: MemStore::new(),
        reads: RefCell::new(Vec::new()),
    };
    let ctx = Ctx {
        now_ms: 1000,
        slots: 0..16384,
        rand: 0,
    };
    for cmd in samples {
        let a = argv(cmd);
        store.reads.borrow_mut().clear();
        let reply = apply_write(&a, &ctx, &mut store);
        assert!(!reply.is_error(), "{cmd:?}: {reply:?}");
        // A movablekeys write (ZUNIONSTORE, ZMPOP) reads every key its key
        // specs name; staged apply serves the ones the prefetch missed.
        let mut keys: Vec<&[u8]> = corekv_shard::write_keys(&a)
            .filter_map(|i| a.get(i).map(|k| &k[..]))
            .collect();
        if let Some(spec) = corekv_core::table::find(&a) {
            keys.extend(
                corekv_core::table::routing_key_indexes(spec, &a)
                    .into_iter()
                    .filter_map(|i| a.get(i).map(|k| &k[..])),
            );
        }
        for r in store.reads.borrow().iter() {
            assert!(
                keys.contains(&&r[..]),
                "{cmd:?} read {r:?} outside {keys:?}"
            );
        }
    }
    // Every write handler of the table (subcommands included) has a
    // sample here.
    // (A subcommand's name is `container|sub`.)
    let sampled: Vec<String> = samples
        .iter()
        .flat_map(|c| {
            [
                c[0].to_string(),
                format!("{}|{}", c[0], c.get(1).unwrap_or(&"")),
            ]
        })
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let table = corekv_core::table::all();
    for spec in table.iter().chain(table.iter().flat_map(|s| s.subcommands)) {
        // The transaction commands are applied by the shard itself, against
        // its locks (corekv_shard::txn, tested there), never by apply_write.
        if corekv_shard::txn::is_txn_cmd(&[bytes::Bytes::from_static(spec.name.as_bytes())]) {
            continue;
        }
        if spec.handler.is_write() {
            assert!(
                sampled.contains(&spec.name.to_ascii_lowercase()),
                "no sample for {}",
                spec.name
            );
        }
    }
}

/// Within one entry, later commands see earlier ones' writes, deletes and
/// clears (the prefetched records are not reused once stale), with the
/// same replies as the reference store.
#[test]
fn commands_of_one_entry_see_each_others_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shard = cold(dir.path());
    let batch: &[&[&str]] = &[
        &["INCR", "k"],
        &["SET", "n", "1"],
        &["INCR", "n"],
        &["APPEND", "s", "c"],
        &["DEL", "s", "nosuch"],
        &["APPEND", "s", "d"],
        &["DEL", "nosuch"],
        &["GETSET", "nosuch", "x"],
        &["RENAME", "n", "m"],
        &["INCR", "m"],
        &["EXISTS", "n"],
        &["FLUSHDB"],
        &["INCR", "k"],
        &["MSET", "a", "1", "k", "5", "a", "2"],
        &["MGET", "a", "k"],
        &["INCR", "k"],
    ];
    let writes: Vec<Vec<Bytes>> = batch
        .iter()
        .filter(|c| {
            corekv_core::table::lookup(c[0].as_bytes()).is_some_and(|s| s.handler.is_write())
        })
        .map(|c| argv(c))
        .collect();
    let toks: Vec<Token> = (0..writes.len() as u64).collect();
    shard
        .propose_batch(0, 1000, &writes, toks)
        .expect("propose");
    let mut got = settle(&mut shard);
    got.sort_by_key(|(t, _)| *t);
    let mut reference = MemStore::new();
    let ctx = Ctx {
        now_ms: 1000,
        slots: 0..16384,
        rand: 0,
    };
    for (k, v) in [("k", "10"), ("s", "ab")] {
        apply_write(&argv(&["SET", k, v]), &ctx, &mut reference);
    }
    let want: Vec<(Token, Reply)> = writes
        .iter()
        .enumerate()
        .map(|(i, a)| (i as Token, apply_write(a, &ctx, &mut reference)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(want[0].1, Reply::Integer(11));
    for key in ["k", "a", "m", "n", "s", "nosuch"] {
        assert_eq!(
            get(&shard, &["GET", key]),
            corekv_core::cmd::read(&argv(&["GET", key]), &ctx, &reference),
            "{key}"
        );
    }
    assert_eq!(get(&shard, &["DBSIZE"]), Reply::Integer(2));
}
