//! One core's fjall database and the persist side of writes.
//!
//! The executor never writes to fjall: it builds a [`PersistJob`] per loop
//! turn and hands it to the core's persist thread, which writes the log
//! halves of every job queued meanwhile to the core's Raft log segments
//! ([`Engine::persist_log`]: one write and at most one fsync), and later
//! hands the gathered data halves to the core's data thread
//! ([`Engine::persist_data`]). Point reads (`get`, short scans) are done on
//! the executor directly.

use crate::keys;
use crate::wal::{LogRec, WalWriter};
use fjall::config::PinningPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const RAFT_MEMTABLE_BYTES: u64 = 4 << 20;
const DATA_MEMTABLE_BYTES: u64 = 8 << 20;
/// The expiry index and meta keyspaces get small records only; fjall's
/// default (64 MiB each) would let them hold far more memory than the
/// data keyspace. Fixed when a data directory is created (fjall keeps a
/// keyspace's options).
const EXPIRE_MEMTABLE_BYTES: u64 = 4 << 20;
const META_MEMTABLE_BYTES: u64 = 1 << 20;
/// Records a range clear deletes per fjall batch (a few ms of work each),
/// so a FLUSHALL never builds one batch of millions of deletes.
pub const CLEAR_CHUNK_RECORDS: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("storage: {0}")]
    Fjall(#[from] fjall::Error),
    #[error("corrupt record in {0}")]
    Corrupt(&'static str),
    #[error("injected read fault")]
    InjectedFault,
    #[error("raft log: {0}")]
    Log(#[from] std::io::Error),
}

/// How data reads of a node's engines fare: failures seen (real and
/// injected) and the read fault tests inject. One per node, shared by every
/// core's [`Engine`] (the stats socket and `COREKV.DEBUG READFAULT` see it).
#[derive(Debug, Default)]
pub struct ReadHealth {
    /// Data reads still to fail: 0 none, `u64::MAX` every one until cleared.
    fault: AtomicU64,
    /// Data reads that failed (IO error, corrupt record, injected fault).
    pub read_errors: AtomicU64,
    /// Times a group stopped applying at an entry because a read failed
    /// (counted once per stop, not per retry).
    pub apply_stalls: AtomicU64,
}

impl ReadHealth {
    /// Makes the next `n` data reads fail (`u64::MAX`: all until cleared;
    /// 0 clears). Tests only: reachable through `COREKV.DEBUG READFAULT`,
    /// which needs `--debug-commands`.
    pub fn inject(&self, n: u64) {
        self.fault.store(n, Relaxed);
    }

    /// Whether this read must fail (consumes one when counting down). A
    /// relaxed load when no fault is set: nothing on the hot path.
    fn take_fault(&self) -> bool {
        if self.fault.load(Relaxed) == 0 {
            return false;
        }
        self.fault
            .fetch_update(Relaxed, Relaxed, |n| match n {
                0 => None,
                u64::MAX => Some(u64::MAX),
                n => Some(n - 1),
            })
            .is_ok()
    }

    /// Counts a failed data read.
    pub fn note_error(&self) {
        self.read_errors.fetch_add(1, Relaxed);
    }

    /// Fails with [`EngineError::InjectedFault`] if a fault is pending.
    pub fn check(&self) -> Result<(), EngineError> {
        if self.take_fault() {
            self.note_error();
            return Err(EngineError::InjectedFault);
        }
        Ok(())
    }
}

/// Durability of a persist call, from `--fsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// fdatasync before any reply: every acknowledged write survives power loss.
    Always,
    /// Written to the OS before the reply (survives a process crash), synced once a second.
    EverySec,
    /// Written to the OS before the reply, synced when the OS decides.
    Never,
}

/// One data-keyspace operation, in apply order.
#[derive(Debug, Clone)]
pub enum DataOp {
    /// Data key, encoded record.
    Put(bytes::Bytes, bytes::Bytes),
    Del(bytes::Bytes),
    /// Delete every record of slots `from..to`.
    Clear(u16, u16),
    /// Element key, value (the `elem` keyspace).
    ElPut(bytes::Bytes, bytes::Bytes),
    ElDel(bytes::Bytes),
    ExpirePut(Vec<u8>),
    ExpireDel(Vec<u8>),
    /// Raft-keyspace write that must land atomically with the data ops
    /// before it (the applied index of a group).
    RaftPut(Vec<u8>, Vec<u8>),
    RaftDel(Vec<u8>),
}

/// A job's data half: built by one turn (pushes are cheap while the list is
/// not shared), then shared, never copied, by the persist thread and the
/// shard, which serves it as the overlay of heavy-pool views until it is
/// written (docs/design/0020).
#[derive(Debug, Default, Clone)]
pub struct DataOps(Arc<Vec<DataOp>>);

impl DataOps {
    pub fn push(&mut self, op: DataOp) {
        Arc::make_mut(&mut self.0).push(op);
    }

    pub fn extend(&mut self, ops: impl IntoIterator<Item = DataOp>) {
        Arc::make_mut(&mut self.0).extend(ops);
    }

    /// The same list, shared.
    pub fn share(&self) -> Arc<Vec<DataOp>> {
        self.0.clone()
    }
}

impl std::ops::Deref for DataOps {
    type Target = [DataOp];
    fn deref(&self) -> &[DataOp] {
        &self.0
    }
}

impl From<Vec<DataOp>> for DataOps {
    fn from(v: Vec<DataOp>) -> DataOps {
        DataOps(Arc::new(v))
    }
}

/// Everything one loop turn of a core wants persisted.
#[derive(Debug, Default)]
pub struct PersistJob {
    pub seq: u64,
    /// Raft log entries, hard states and resets for the core's segmented
    /// log (crate::wal): the critical, synced part.
    pub log: Vec<LogRec>,
    /// This job's log starts a new segment with a checkpoint of every
    /// group's live log: older segments go once the data half of this job
    /// is durable (docs/design/0020).
    pub rotate: bool,
    /// Log records written only after this job's data half is durable (a
    /// snapshot install's reset of the log).
    pub after_data: Vec<LogRec>,
    /// Raft-keyspace writes that must be durable with the log half (a new
    /// group's first configuration): rare, synced in fjall.
    pub raft_puts: Vec<(Vec<u8>, Vec<u8>)>,
    pub data: DataOps,
    /// (group id, ready number) to acknowledge once durable.
    pub readies: Vec<(u32, u64)>,
    /// Installs a snapshot: both halves must be durable before the log
    /// half is acknowledged (the log now starts after the snapshot).
    pub install: bool,
    /// Write this job's data half behind with the short window: an
    /// ordered overlay or a heavy-pool view pays for every unwritten op
    /// (docs/design/0020, "Two windows").
    pub short_window: bool,
}

impl PersistJob {
    pub fn is_empty(&self) -> bool {
        self.raft_puts.is_empty()
            && self.log.is_empty()
            && self.data.is_empty()
            && self.readies.is_empty()
    }
}

#[derive(Clone)]
pub struct Engine {
    pub db: Database,
    pub raft: Keyspace,
    pub data: Keyspace,
    pub expire: Keyspace,
    pub meta: Keyspace,
    /// Collection elements (keys::elem_key).
    pub elem: Keyspace,
    /// Shared by every clone (the persist thread's too); a node points all
    /// its engines at one with [`Engine::with_health`].
    pub health: Arc<ReadHealth>,
    /// The directory of the core's Raft log segments (crate::wal).
    pub log_dir: std::path::PathBuf,
    /// The log writer of [`Engine::persist`] (tests and tools only).
    inline_log: Arc<std::sync::Mutex<Option<WalWriter>>>,
}

impl Engine {
    /// Opens (or creates) the database of one core. fjall recovers its
    /// journal here, so a database left by kill -9 reopens to its last
    /// durable batch. `block_cache_bytes` is fjall's block cache
    /// (`--block-cache-mb`), apart from the shard's row cache.
    pub fn open(path: &Path, block_cache_bytes: u64) -> Result<Engine, EngineError> {
        let db = Database::builder(path)
            .worker_threads(1)
            .cache_size(block_cache_bytes)
            .manual_journal_persist(true)
            .open()?;
        // Small memtables: point lookups in a skiplist are cache-miss bound,
        // and a 64 MiB memtable of small records made apply-time reads the
        // top cost of SET (docs/design/0002).
        let raft = db.keyspace("raft", || {
            KeyspaceCreateOptions::default().max_memtable_size(RAFT_MEMTABLE_BYTES)
        })?;
        // Filter and index blocks pinned at every level: with the default
        // (pinned in L0/L1 only) a store ten times the block cache reloaded
        // and checksummed a multi-MiB filter or index block on most point
        // reads: 146 µs of CPU per GET of 5M keys with 8 MiB caches, 6.9 µs
        // pinned (docs/design/0020). They cost about 2 bytes per key.
        let data = db.keyspace("data", || {
            KeyspaceCreateOptions::default()
                .max_memtable_size(DATA_MEMTABLE_BYTES)
                .filter_block_pinning_policy(PinningPolicy::all(true))
                .index_block_pinning_policy(PinningPolicy::all(true))
        })?;
        let expire = db.keyspace("expire", || {
            KeyspaceCreateOptions::default().max_memtable_size(EXPIRE_MEMTABLE_BYTES)
        })?;
        let meta = db.keyspace("meta", || {
            KeyspaceCreateOptions::default().max_memtable_size(META_MEMTABLE_BYTES)
        })?;
        let elem = db.keyspace("elem", || {
            KeyspaceCreateOptions::default()
                .max_memtable_size(DATA_MEMTABLE_BYTES)
                .filter_block_pinning_policy(PinningPolicy::all(true))
                .index_block_pinning_policy(PinningPolicy::all(true))
        })?;
        Ok(Engine {
            db,
            raft,
            data,
            expire,
            meta,
            elem,
            health: Arc::default(),
            log_dir: path.join("raftlog"),
            inline_log: Arc::default(),
        })
    }

    /// This engine reporting to (and faulted by) `health`.
    pub fn with_health(mut self, health: Arc<ReadHealth>) -> Engine {
        self.health = health;
        self
    }

    /// Whether the data keyspace holds nothing at all (a new store).
    pub fn data_is_empty(&self) -> Result<bool, EngineError> {
        self.data.is_empty().map_err(EngineError::from)
    }

    /// A point read of the data keyspace (`dk` is a data key). Every read
    /// the state machine makes goes through here or [`Engine::data_range`],
    /// so an injected fault reaches them all.
    pub fn read_data(&self, dk: &[u8]) -> Result<Option<fjall::Slice>, EngineError> {
        self.health.check()?;
        self.data.get(dk).map_err(|e| {
            self.health.note_error();
            EngineError::from(e)
        })
    }

    /// A point read of one element (`ek` is an element key).
    pub fn read_elem(&self, ek: &[u8]) -> Result<Option<fjall::Slice>, EngineError> {
        self.health.check()?;
        self.elem.get(ek).map_err(|e| {
            self.health.note_error();
            EngineError::from(e)
        })
    }

    /// Elements with keys in `lo..hi` (each bound as given).
    pub fn elem_range(
        &self,
        lo: std::ops::Bound<Vec<u8>>,
        hi: std::ops::Bound<Vec<u8>>,
    ) -> Result<fjall::Iter, EngineError> {
        self.health.check()?;
        Ok(self.elem.range((lo, hi)))
    }

    /// The data keyspace's records of slots `from..to`, for a scan. Errors
    /// of the iterator itself are the caller's to count.
    pub fn data_range(&self, from: u16, to: u16) -> Result<fjall::Iter, EngineError> {
        self.health.check()?;
        Ok(crate::snapshot::data_range(&self.data, from, to))
    }

    /// Writes the jobs in order (log part, then data part, then the
    /// after-data records) and syncs if asked, with a log writer the engine
    /// opens on first use. For tests and tools that drive a shard without a
    /// persist thread; never mixed with a persist thread's own writer.
    pub fn persist(&self, jobs: &[PersistJob], sync: bool) -> Result<(), EngineError> {
        self.with_inline_log(|wal| {
            self.persist_log(wal, jobs, sync)?;
            self.persist_data(jobs)?;
            for job in jobs {
                wal.add(&job.after_data);
            }
            wal.write(sync)?;
            Ok(())
        })
    }

    /// The log half of [`Engine::persist`] alone (tests of a slow data half).
    pub fn persist_log_inline(&self, jobs: &[PersistJob], sync: bool) -> Result<(), EngineError> {
        self.with_inline_log(|wal| self.persist_log(wal, jobs, sync).map(|_| ()))
    }

    fn with_inline_log(
        &self,
        f: impl FnOnce(&mut WalWriter) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let mut guard = self
            .inline_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(self.open_log()?);
        }
        match guard.as_mut() {
            Some(wal) => f(wal),
            None => Ok(()),
        }
    }

    /// Opens the writer of this core's Raft log: a new segment after those
    /// on disk. Call after the shard has recovered from them.
    pub fn open_log(&self) -> Result<WalWriter, EngineError> {
        Ok(WalWriter::open(&self.log_dir)?)
    }

    /// Makes everything written so far durable (fdatasync of the journal),
    /// or, with `sync` false, hands it to the OS.
    pub fn sync(&self, sync: bool) -> Result<(), EngineError> {
        let mode = if sync {
            PersistMode::SyncData
        } else {
            PersistMode::Buffer
        };
        self.db.persist(mode)?;
        Ok(())
    }

    /// The critical half: Raft entries, hard states and resets appended to
    /// the log (one write, then one fdatasync with `sync`), plus any rare
    /// fjall raft-keyspace writes. Once this returns the readies of `jobs`
    /// may be acknowledged to Raft. Returns the segment and job a rotation
    /// in `jobs` started, if any: segments before it may go once that job's
    /// data half is durable. Runs on the persist thread only.
    pub fn persist_log(
        &self,
        wal: &mut WalWriter,
        jobs: &[PersistJob],
        sync: bool,
    ) -> Result<Option<(u64, u64)>, EngineError> {
        let mut rotated = None;
        for job in jobs {
            if job.rotate {
                rotated = Some((wal.rotate(sync)?, job.seq));
            }
            wal.add(&job.log);
        }
        wal.write(sync)?;
        if jobs.iter().any(|j| !j.raft_puts.is_empty()) {
            let mut batch = self.db.batch();
            for job in jobs {
                for (k, v) in &job.raft_puts {
                    batch.insert(&self.raft, k.as_slice(), v.as_slice());
                }
            }
            batch.commit()?;
            self.sync(sync)?;
        }
        Ok(rotated)
    }

    /// The deferred half: state-machine writes with the applied index they
    /// cover (atomically, in one batch). Not synced on its own: it is
    /// rebuilt from the Raft log after a crash, and log segments are purged
    /// only after an explicit sync (docs/design/0020).
    pub fn persist_data(&self, jobs: &[PersistJob]) -> Result<(), EngineError> {
        self.persist_data_with(jobs, &mut || {})
    }

    /// [`Engine::persist_data`], calling `between` after every chunk of a
    /// range clear (FLUSHALL/FLUSHDB), which deletes one record at a time
    /// and may take long. The data thread runs it, so log halves keep being
    /// written meanwhile; `between` lets a test see the chunks. Data written
    /// later still lands after the clear.
    pub fn persist_data_with(
        &self,
        jobs: &[PersistJob],
        between: &mut dyn FnMut(),
    ) -> Result<(), EngineError> {
        if !jobs
            .iter()
            .any(|j| j.data.iter().any(|op| matches!(op, DataOp::Clear(..))))
        {
            return self.persist_coalesced(jobs);
        }
        let mut batch = self.db.batch();
        for job in jobs {
            for op in job.data.iter() {
                if let DataOp::Clear(from, to) = op {
                    // Everything before the clear lands first; the clear
                    // itself is idempotent, so a crash inside it replays
                    // cleanly from the last applied index.
                    std::mem::replace(&mut batch, self.db.batch()).commit()?;
                    self.clear_range(*from, *to, between)?;
                } else {
                    self.add_op(&mut batch, op);
                }
            }
        }
        batch.commit()?;
        Ok(())
    }

    /// The data halves of `jobs` (no range clear among them) in one batch
    /// holding only the last write of each key: written behind, a hot key
    /// costs one LSM insert per write-behind window, not one per write.
    fn persist_coalesced(&self, jobs: &[PersistJob]) -> Result<(), EngineError> {
        let n: usize = jobs.iter().map(|j| j.data.len()).sum();
        let mut last: HashMap<(u8, &[u8]), &DataOp, ahash::RandomState> =
            HashMap::with_capacity_and_hasher(n, ahash::RandomState::new());
        for op in jobs.iter().flat_map(|j| j.data.iter()) {
            let key: (u8, &[u8]) = match op {
                DataOp::Put(k, _) | DataOp::Del(k) => (0, k),
                DataOp::ElPut(k, _) | DataOp::ElDel(k) => (1, k),
                DataOp::ExpirePut(k) | DataOp::ExpireDel(k) => (2, k),
                DataOp::RaftPut(k, _) | DataOp::RaftDel(k) => (3, k),
                DataOp::Clear(..) => continue,
            };
            last.insert(key, op);
        }
        // In key order: each memtable insert then searches the skiplist
        // along nearly the path the previous one warmed, instead of a
        // random one (the search was a third of this thread).
        let mut ops: Vec<((u8, &[u8]), &DataOp)> = last.into_iter().collect();
        ops.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut batch = self.db.batch();
        for (_, op) in ops {
            self.add_op(&mut batch, op);
        }
        batch.commit()?;
        Ok(())
    }

    /// Adds one point write to `batch` (a range clear is the caller's: it
    /// is not a batch operation).
    fn add_op(&self, batch: &mut fjall::OwnedWriteBatch, op: &DataOp) {
        match op {
            DataOp::Put(k, v) => batch.insert(&self.data, k.as_ref(), v.as_ref()),
            DataOp::Del(k) => batch.remove(&self.data, k.as_ref()),
            DataOp::ElPut(k, v) => batch.insert(&self.elem, k.as_ref(), v.as_ref()),
            DataOp::ElDel(k) => batch.remove(&self.elem, k.as_ref()),
            DataOp::ExpirePut(k) => batch.insert(&self.expire, k.as_slice(), &[][..]),
            DataOp::ExpireDel(k) => batch.remove(&self.expire, k.as_slice()),
            DataOp::RaftPut(k, v) => batch.insert(&self.raft, k.as_slice(), v.as_slice()),
            DataOp::RaftDel(k) => batch.remove(&self.raft, k.as_slice()),
            DataOp::Clear(..) => {}
        }
    }

    fn clear_range(
        &self,
        from: u16,
        to: u16,
        between: &mut dyn FnMut(),
    ) -> Result<(), EngineError> {
        let lo = keys::slot_start(from);
        let mut batch = self.db.batch();
        let mut n = 0usize;
        let range = if to as u32 >= corekv_core::slot::SLOTS as u32 {
            self.data.range(lo..)
        } else {
            self.data.range(lo..keys::slot_start(to))
        };
        for kv in range {
            let k = kv.key()?;
            batch.remove(&self.data, k);
            n += 1;
            if n.is_multiple_of(CLEAR_CHUNK_RECORDS) {
                std::mem::replace(&mut batch, self.db.batch()).commit()?;
                between();
            }
        }
        batch.commit()?;
        // Elements are slot-first too.
        let mut batch = self.db.batch();
        let range = if to as u32 >= corekv_core::slot::SLOTS as u32 {
            self.elem.range(keys::slot_start(from)..)
        } else {
            self.elem
                .range(keys::slot_start(from)..keys::slot_start(to))
        };
        for kv in range {
            let k = kv.key()?;
            batch.remove(&self.elem, k);
            n += 1;
            if n.is_multiple_of(CLEAR_CHUNK_RECORDS) {
                std::mem::replace(&mut batch, self.db.batch()).commit()?;
                between();
            }
        }
        batch.commit()?;
        // The expiry index is ordered by time, not slot: walk all of it,
        // in the same chunks.
        let mut batch = self.db.batch();
        for (i, kv) in self.expire.iter().enumerate() {
            let k = kv.key()?;
            if let Some((_, slot, _)) = keys::split_expire_key(&k)
                && slot >= from
                && slot < to
            {
                batch.remove(&self.expire, k);
            }
            if (i + 1).is_multiple_of(CLEAR_CHUNK_RECORDS) {
                std::mem::replace(&mut batch, self.db.batch()).commit()?;
                between();
            }
        }
        batch.commit()?;
        Ok(())
    }
}
