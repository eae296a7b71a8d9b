//! One core's world: its Raft groups, their state machines over the core's
//! fjall database, and the overlay of applied writes not yet on disk.
//!
//! Driven as a state machine by the core's executor: `propose` and `read`
//! from connections, `drive` once per loop turn (Ready handling and apply),
//! `take_job` to hand the turn's writes to the persist thread, and
//! `on_persisted` when that thread reports a job durable. It never does IO
//! other than fjall point reads and short scans, and never blocks.

use crate::cache::RowCache;
use crate::elems::{self, Garbage};
use crate::engine::{DataOp, Engine, EngineError, PersistJob};
use crate::keys;
use crate::log::LogStore;
use crate::wal::{self, LogRec};
use bytes::Bytes;
use corekv_core::cmd::{self, Ctx};
use corekv_core::notify;
use corekv_core::slot::key_slot;
use corekv_core::{KeyEvent, Ns, Record, Reply, Store, StoreError, errors};
use protobuf::Message as _;
use raft::eraftpb::{ConfChangeV2, ConfState, Entry, EntryType, HardState, Message, MessageType};
use raft::{RawNode, StateRole};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::{Bound, Range};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Opaque id the caller attaches to a proposal; handed back with the reply.
pub type Token = u64;

/// This node's Raft id and the voters of every group.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub node_id: u64,
    /// Every member's node id, sorted; `[node_id]` for a single node.
    pub voters: Vec<u64>,
    /// How long a confirmed leadership may serve reads without a Raft round
    /// trip: below the minimum election timeout, with margin for clock rate
    /// differences (see docs/design/0010).
    pub lease: Duration,
    /// A follower more than this many entries behind no longer holds back
    /// the leader's log truncation; it catches up from a snapshot.
    pub max_lag: u64,
    /// Nor does any follower once the group's in-memory log holds more than
    /// this many payload bytes: entries are batches of commands, so an entry
    /// count alone does not bound memory.
    pub max_lag_bytes: u64,
    /// This node joins an existing cluster: its groups start empty (no
    /// voters) and wait for a leader to add them and send a snapshot.
    pub join: bool,
}

impl Cluster {
    pub fn single() -> Cluster {
        Cluster {
            node_id: 1,
            voters: vec![1],
            lease: Duration::from_millis(400),
            max_lag: DEFAULT_MAX_FOLLOWER_LAG,
            max_lag_bytes: DEFAULT_MAX_FOLLOWER_LAG_BYTES,
            join: false,
        }
    }

    /// The node that should lead group `gid` when it is healthy, so leaders
    /// spread evenly over nodes (and, with groups spread over cores, over
    /// the cores of each node).
    pub fn preferred_leader(&self, gid: u32) -> u64 {
        corekv_core::slot::preferred_leader(&self.voters, gid).unwrap_or(self.node_id)
    }
}

/// Default for [`Cluster::max_lag`].
pub const DEFAULT_MAX_FOLLOWER_LAG: u64 = 1 << 16;
/// Default for [`Cluster::max_lag_bytes`] (64 MiB per group).
pub const DEFAULT_MAX_FOLLOWER_LAG_BYTES: u64 = 64 << 20;
/// Most bytes of snapshot data a follower stages in memory for one group.
pub const MAX_SNAPSHOT_BYTES: usize = 1 << 30;
/// How long a deposed leader's pending proposals wait for the log to
/// decide them before their callers hear "outcome unknown".
pub const ORPHAN_TIMEOUT: Duration = Duration::from_secs(5);
/// Minimum time between two leadership transfers of one group.
const TRANSFER_BACKOFF: Duration = Duration::from_secs(5);
/// Applied entries kept before truncating the in-memory log. An entry is a
/// batch of up to a turn's writes, so this is tens of thousands of
/// commands; it bounds the live tail every segment checkpoint copies
/// (docs/design/0020).
const LOG_KEEP: u64 = 128;
/// Log bytes written to one segment before the next job starts a new one
/// with a checkpoint (docs/design/0020): big enough that the checkpoint
/// (every group's live tail) is a small fraction, small enough that the
/// disk held by purged-but-not-yet-removed segments stays modest.
pub const SEGMENT_BYTES: u64 = 64 << 20;
/// Data ops looked at per turn to trim the element overlay after a data
/// write (see `Shard::el_trim`).
const EL_TRIM_PER_TURN: usize = 4096;
/// Element-overlay entries above which jobs ask for the short write-behind
/// window: the ordered overlay every collection write searches slows down
/// as it grows (docs/design/0020, "Two windows").
const EL_OVERLAY_SHORT: usize = 32 * 1024;

#[derive(Debug, Clone)]
pub struct GroupSpec {
    pub id: u32,
    pub slots: Range<u16>,
}

struct Group {
    id: u32,
    slots: Range<u16>,
    raw: RawNode<LogStore>,
    applied: u64,
    key_count: u64,
    /// (index, term, tokens) of proposals waiting for apply, in index order
    /// (see [`Group::track`]).
    proposals: VecDeque<(u64, u64, Vec<Token>)>,
    /// Persist jobs in flight that carry readies of this group.
    inflight: u32,
    /// Messages raft-rs wants sent only once the Ready that produced them
    /// is durable (votes, append responses): (ready number, messages).
    held: VecDeque<(u64, Vec<Message>)>,
    /// Leadership confirmed by a quorum (ReadIndex) lets reads run locally
    /// until then.
    lease_until: Option<Instant>,
    /// The ReadIndex request in flight: (context, sent at).
    read_req: Option<(u64, Instant)>,
    last_transfer: Option<Instant>,
    /// A snapshot installed by Ready number `.0` at index `.1`: raft's
    /// applied index moves there once that Ready is durable.
    snap_ready: Option<(u64, u64)>,
    /// Preferred leader set by an operator (`COREKV.CLUSTER TRANSFER`),
    /// replicated through the log; overrides the round-robin default.
    preferred: Option<u64>,
    /// Follower reads (see [`Shard::follower_read_ticket`]).
    fread: FollowerReads,
    /// When this replica was first seen not leading with proposals still
    /// pending (see [`Shard::orphans`]).
    deposed_at: Option<Instant>,
    /// Committed entries raft-rs handed over that are not applied yet, in
    /// index order: apply stops at an entry whose reads fail and retries it
    /// next turn (see [`Shard::apply`]).
    backlog: VecDeque<Entry>,
    /// The entry apply stopped at and why, while it waits (logged once).
    stalled: Option<(u64, StoreError)>,
    /// Locks and records of transactions across groups (docs/design/0025).
    txn: crate::txn::TxnState,
}

/// A follower's ReadIndex requests to its leader. Request `n` covers the
/// reads that arrived before it was sent: the leader answers with its
/// commit index at some time after that, so every write acknowledged before
/// such a read started is at or below it.
#[derive(Default)]
struct FollowerReads {
    /// Sequence number of the last request sent.
    issued: u64,
    /// The highest request a waiting read needs (issue when above `issued`).
    wanted: u64,
    /// Requests in flight: (sequence, context, sent at).
    inflight: VecDeque<(u64, u64, Instant)>,
    /// The newest answer: (sequence, read index).
    done: (u64, u64),
}

impl Group {
    /// Records that the entry just appended (the log's last) carries
    /// `tokens`. Kept in index order: a leader that lost leadership with
    /// proposals in flight and leads again appends at indexes its abandoned
    /// proposals held, and each must still be resolved by the entry
    /// committed at its own index (a committed proposal once got the
    /// abandoned ones' "try again", and its client ran it twice).
    fn track(&mut self, tokens: Vec<Token>) {
        let idx = self.raw.raft.raft_log.last_index();
        let term = self.raw.raft.term;
        let at = self.proposals.partition_point(|p| p.0 <= idx);
        self.proposals.insert(at, (idx, term, tokens));
    }

    /// Answers the proposals at indexes up to `through` with "outcome
    /// unknown": this replica can no longer tell whether they committed.
    fn give_up_through(&mut self, through: u64, out: &mut Vec<(Token, Reply)>) {
        while self.proposals.front().is_some_and(|p| p.0 <= through) {
            if let Some((_, _, tokens)) = self.proposals.pop_front() {
                out.extend(
                    tokens
                        .into_iter()
                        .map(|t| (t, errors::err(errors::OUTCOME_UNKNOWN))),
                );
            }
        }
    }
}

/// Prefix of a log entry that carries a group-admin record instead of a
/// batch of commands (a batch starts with its 8-byte timestamp, never this).
const ADMIN_PREFIX: &[u8] = b"\xffCKVADM";
/// An admin record carrying an ACL change (meta group 0 only).
const ACL_ADMIN: &[u8] = b"acl\n";
/// `raft` key tag of the meta group's users (gid 0 | b'l').
const ACL_TAG: u8 = b'l';

/// A snapshot for another node: the Raft message (metadata only) and a
/// view of the group's data at exactly the snapshot's index.
pub struct SnapshotSend {
    pub gid: u32,
    pub msg: Message,
    pub view: crate::snapshot::SnapshotView,
}

/// A group's state as a snapshot stream carries it.
#[derive(Debug, Default)]
pub struct SnapshotData {
    /// (user key, encoded record).
    pub records: Vec<(Bytes, Bytes)>,
    /// (element key, value) of the live collections.
    pub elements: Vec<(Bytes, Bytes)>,
    /// The group's transaction state (`TxnState::encode`), if any.
    pub txn: Option<Bytes>,
    /// The meta group's users (`corekv_core::acl::Acl::encode`), if any.
    pub acl: Option<Bytes>,
}

/// Snapshot data received for a group, waiting for Raft to accept the
/// snapshot message.
struct Staged {
    index: u64,
    term: u64,
    data: SnapshotData,
}

struct OverlayEntry {
    rec: Option<Record>,
}

/// An element write not yet in fjall (`val` None: deleted).
struct ElEntry {
    val: Option<Bytes>,
    seq: u64,
}

/// One group's Raft state as INFO and the stats socket show it.
#[derive(Debug, Clone, Default)]
pub struct GroupStatus {
    pub id: u32,
    pub applied: u64,
    pub last_index: u64,
    /// First index still in the in-memory log (truncated below it).
    pub first_index: u64,
    /// Payload bytes of the in-memory log.
    pub log_bytes: u64,
    pub commit: u64,
    pub term: u64,
    pub leader: bool,
    /// Node id of the leader this replica knows (0: none).
    pub leader_id: u64,
    pub voters: usize,
    pub voter_ids: Vec<u64>,
    pub learner_ids: Vec<u64>,
}

/// Per-turn counters the executor turns into stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct DriveStats {
    pub applied: u64,
    pub readies: u64,
}

pub struct Shard {
    engine: Engine,
    groups: Vec<Group>,
    overlay: HashMap<Bytes, OverlayEntry, ahash::RandomState>,
    /// The previous generation of the overlay: entries of jobs up to
    /// `overlay_old_through`, dropped whole once those are written (no
    /// per-key removal: docs/design/0020). `overlay` wins over it.
    overlay_old: HashMap<Bytes, OverlayEntry, ahash::RandomState>,
    overlay_old_through: u64,
    /// Row cache of user key → record (None: known absent). Every write
    /// goes through it, so a hit is always the newest value; eviction only
    /// drops entries. Single-threaded: the RefCell lets reads fill it.
    cache: RefCell<RowCache>,
    /// Element point reads, in front of fjall (crate::elcache).
    el_cache: RefCell<crate::elcache::ElemCache>,
    /// (job seq, data keys, element keys) the job wrote to the overlays.
    /// (job seq, the job's data half) of jobs not yet written: what they
    /// wrote to the overlays, and the overlay of heavy-pool views.
    overlay_log: VecDeque<(u64, Arc<Vec<DataOp>>)>,
    /// Element writes not yet in fjall, ordered (element ranges merge it).
    el_overlay: elems::ElOverlay<ElEntry>,
    /// Dropped collections whose elements are still on disk, oldest first.
    garbage: VecDeque<Garbage>,
    clears: VecDeque<(u64, u16, u16)>,
    expiry: BTreeSet<(u64, u16, Vec<u8>)>,
    job: PersistJob,
    persisted_seq: u64,
    /// Written jobs' data halves whose element keys still have to leave
    /// the element overlay, and how far into the first one that got: a
    /// few thousand per turn, so one big data write never stalls the
    /// executor (an entry left a little longer is harmless: its value is
    /// the one on disk).
    el_trim: VecDeque<Arc<Vec<DataOp>>>,
    el_trim_at: usize,
    /// A heavy-pool view was taken since the last job: views lay every
    /// unwritten data half over their snapshot, so while they run the data
    /// halves are written behind with the short window.
    view_taken: Cell<bool>,
    completions: Vec<(Token, Reply)>,
    cluster: Cluster,
    /// Raft messages for other nodes: (group id, message).
    outgoing: Vec<(u32, Message)>,
    next_read_ctx: u64,
    snap_sends: Vec<SnapshotSend>,
    staged: HashMap<u32, Staged>,
    announced: Vec<(u64, String)>,
    /// The meta group's users (`corekv_core::acl::Acl::encode`), when this
    /// core holds group 0 and an ACL change was ever applied.
    acl: Option<Vec<u8>>,
    /// Set when `acl` changed (applied, loaded at open, or installed from a
    /// snapshot): the io layer takes it and swaps the node's users.
    acl_changed: bool,
    /// Ticks left during which vote requests are ignored (see
    /// [`VOTE_FENCE_TICKS`]).
    vote_fence: u32,
    /// The records one entry's keys had before it applied (see
    /// [`Shard::prefetch`]); kept between entries for its capacity.
    prefetched: Prefetched,
    /// Collect the keys applied writes changed (blocked clients wait).
    watch_writes: bool,
    written: Vec<(usize, Bytes)>,
    /// A group was flushed (FLUSHALL, FLUSHDB) since the last
    /// [`Shard::take_flushed`], while `watch_writes` is on.
    flushed: bool,
    /// `notify-keyspace-events` as set on this node ([`Shard::set_notify`]);
    /// 0 (the default `""`) collects nothing.
    notify_flags: u32,
    /// Keyspace events of the entries applied since the last
    /// [`Shard::take_key_events`]: (group id, event), in apply order.
    key_events: Vec<(u32, KeyEvent)>,
    /// Log bytes handed out since the current segment began.
    log_bytes: u64,
    /// Log bytes at which the next job starts a new segment.
    segment_bytes: u64,
}

/// User key (a slice of the entry's argv: no copy) → its record: the value
/// before the entry, then the entry's own writes (see [`ApplyView`]).
type Prefetched = HashMap<Bytes, PreKey, ahash::RandomState>;

/// One key of an entry being applied.
struct PreKey {
    /// The newest value: read before the entry, then as the entry wrote it.
    cur: Option<Record>,
    /// `Some(value before the entry)` once the entry wrote the key.
    orig: Option<Option<Record>>,
}

/// First ReadIndex context of a replica: the node id in the top 16 bits.
/// Contexts must be unique across the nodes of a group: raft-rs's leader
/// merges requests with the same context and counts any heartbeat
/// response echoing a context as an acknowledgment of it, and forwards a
/// follower's request on behalf of the node it went to, so a context two
/// nodes both used let one node's answer (or an old heartbeat round)
/// confirm another's request — found as a stale follower read by the
/// register linearizability check.
fn read_ctx_base(node_id: u64, seed: u64) -> u64 {
    (node_id << 48) | ((seed & ((1 << 40) - 1)) << 1) | 1
}

/// After a restart a replica ignores vote requests for this many ticks (an
/// election timeout). Before the crash it may have acknowledged a leader's
/// heartbeat, and that leader serves reads on a lease counting on the
/// acknowledgers to refuse votes for an election timeout; a restart forgets
/// having heard from it, so without the fence a new leader could be elected
/// inside the old one's lease (stale reads). Leadership-transfer votes pass:
/// a leader drops its lease when it starts a transfer.
pub const VOTE_FENCE_TICKS: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("raft: {0}")]
    Raft(#[from] raft::Error),
    #[error("corrupt raft state of group {0}")]
    Corrupt(u32),
    /// A read that apply did not prefetch failed halfway through an entry
    /// (a write command read a key outside its table key positions). The
    /// entry is partly applied here and nowhere else, so the core must stop
    /// rather than go on with a state no other replica has.
    #[error("group {0}: read outside the prefetched keys failed during apply: {1}")]
    ApplyRead(u32, StoreError),
}

fn logger() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}

/// Log entry payload: a batch of commands proposed in one loop turn,
/// `ts(8) | ncmds(4) | (argc(4) | (len(4) | bytes)*)*`. One entry per
/// group per turn: raft-rs's per-entry work is paid once per batch.
pub fn encode_batch(ts_ms: u64, cmds: &[Vec<Bytes>]) -> Vec<u8> {
    let size = 12
        + cmds
            .iter()
            .map(|c| 4 + c.iter().map(|a| a.len() + 4).sum::<usize>())
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&ts_ms.to_be_bytes());
    out.extend_from_slice(&(cmds.len() as u32).to_be_bytes());
    for argv in cmds {
        out.extend_from_slice(&(argv.len() as u32).to_be_bytes());
        for a in argv {
            out.extend_from_slice(&(a.len() as u32).to_be_bytes());
            out.extend_from_slice(a);
        }
    }
    out
}

/// Decodes [`encode_batch`]; arguments are zero-copy slices of `data`.
pub fn decode_batch(data: &Bytes) -> Option<(u64, Vec<Vec<Bytes>>)> {
    let u32_at = |pos: usize| -> Option<usize> {
        Some(u32::from_be_bytes(data.get(pos..pos + 4)?.try_into().ok()?) as usize)
    };
    let ts = u64::from_be_bytes(data.get(..8)?.try_into().ok()?);
    let ncmds = u32_at(8)?;
    let mut pos = 12;
    let mut cmds = Vec::with_capacity(ncmds.min(4096));
    for _ in 0..ncmds {
        let argc = u32_at(pos)?;
        pos += 4;
        let mut argv = Vec::with_capacity(argc.min(1024));
        for _ in 0..argc {
            let len = u32_at(pos)?;
            pos += 4;
            if pos + len > data.len() {
                return None;
            }
            argv.push(data.slice(pos..pos + len));
            pos += len;
        }
        cmds.push(argv);
    }
    Some((ts, cmds))
}

/// A log chunk: the entries of one Ready, each `len(4) | protobuf`.
fn decode_chunk(v: &[u8]) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < v.len() {
        let len = u32::from_be_bytes(v.get(pos..pos + 4)?.try_into().ok()?) as usize;
        pos += 4;
        out.push(Entry::parse_from_bytes(v.get(pos..pos + len)?).ok()?);
        pos += len;
    }
    Some(out)
}

/// The log of `gid` from index `from` on, as versions before the segmented
/// log kept it: chunk records in fjall's raft keyspace. Their keys are
/// deleted by `job`'s data half, after its log half (the open's checkpoint)
/// has rewritten the entries into a segment.
fn legacy_log(
    engine: &Engine,
    gid: u32,
    from: u64,
    job: &mut PersistJob,
) -> Result<Vec<Entry>, ShardError> {
    let mut entries: Vec<Entry> = Vec::new();
    for kv in engine
        .raft
        .range(keys::chunk_key(gid, 0)..=keys::chunk_key(gid, u64::MAX))
    {
        let (k, v) = kv.into_inner().map_err(EngineError::from)?;
        job.data.push(DataOp::RaftDel(k.to_vec()));
        if v.is_empty() {
            continue;
        }
        let chunk = decode_chunk(&v).ok_or(ShardError::Corrupt(gid))?;
        for e in chunk {
            if e.index < from {
                continue;
            }
            if entries.last().is_some_and(|l| l.index + 1 != e.index)
                || (entries.is_empty() && e.index != from)
            {
                return Ok(entries);
            }
            entries.push(e);
        }
    }
    Ok(entries)
}

impl Shard {
    /// Opens the groups of one core from its database, recovering each
    /// group's log, hard state and applied index.
    pub fn open(
        engine: Engine,
        specs: &[GroupSpec],
        cache_bytes: u64,
    ) -> Result<Shard, ShardError> {
        Shard::open_cluster(engine, specs, cache_bytes, Cluster::single())
    }

    /// [`Shard::open`] for a replica of a cluster: every group has
    /// `cluster.voters` as voters, this replica is `cluster.node_id`.
    pub fn open_cluster(
        engine: Engine,
        specs: &[GroupSpec],
        cache_bytes: u64,
        cluster: Cluster,
    ) -> Result<Shard, ShardError> {
        let mut groups = Vec::with_capacity(specs.len());
        let mut job = PersistJob {
            seq: 1,
            ..Default::default()
        };
        let mut recovered = wal::recover(&engine.log_dir).map_err(EngineError::from)?;
        if let Some(&(seg, at)) = recovered
            .torn
            .iter()
            .find(|t| Some(&t.0) != recovered.segments.last())
        {
            // Only the newest segment can be torn by a crash; this one was
            // not the newest when written after.
            eprintln!(
                "corekv: raft log segment {seg:016x}.log ends in a damaged record at byte {at}; \
                 records after it in that segment are skipped"
            );
        }
        for spec in specs {
            let logged = recovered.groups.remove(&spec.id);
            groups.push(open_group(&engine, spec, &mut job, &cluster, logged)?);
        }
        let mut expiry = BTreeSet::new();
        for kv in engine.expire.iter() {
            let k = kv.key().map_err(EngineError::from)?;
            if let Some((t, slot, key)) = keys::split_expire_key(&k)
                && specs.iter().any(|s| s.slots.contains(&slot))
            {
                expiry.insert((t, slot, key.to_vec()));
            }
        }
        // Addresses of members added at run time, as the groups recorded them.
        let mut announced = Vec::new();
        for spec in specs {
            let lo = keys::node_addr_key(spec.id, 0);
            let hi = keys::node_addr_key(spec.id, u64::MAX);
            for kv in engine.raft.range(lo..=hi) {
                let (k, v) = kv.into_inner().map_err(EngineError::from)?;
                if let (Some(id), Ok(addr)) = (
                    k.get(5..13)
                        .and_then(|b| b.try_into().ok())
                        .map(u64::from_be_bytes),
                    std::str::from_utf8(&v),
                ) {
                    announced.push((id, addr.to_string()));
                }
            }
        }
        // The users the meta group applied (docs/design/0028).
        let mut acl = None;
        if specs.iter().any(|s| s.id == 0) {
            acl = engine
                .raft
                .get(keys::raft_key(0, ACL_TAG))
                .map_err(EngineError::from)?
                .map(|v| v.to_vec());
        }
        let mut garbage = VecDeque::new();
        for spec in specs {
            let lo = keys::raft_key(spec.id, b'g');
            let hi = keys::raft_key(spec.id, b'h');
            for kv in engine.raft.range(lo..hi) {
                let k = kv.key().map_err(EngineError::from)?;
                if let Some(ns) = k.get(5..).and_then(keys::elem_ns) {
                    garbage.push_back(Garbage {
                        gid: spec.id,
                        ns,
                        after_seq: 0,
                    });
                }
            }
        }
        let mut shard = Shard {
            engine,
            groups,
            overlay: HashMap::default(),
            overlay_old: HashMap::default(),
            overlay_old_through: 0,
            el_overlay: BTreeMap::new(),
            garbage,
            // A quarter of the cache budget serves element point reads.
            cache: RefCell::new(RowCache::new(cache_bytes - cache_bytes / 4)),
            el_cache: RefCell::new(crate::elcache::ElemCache::new(cache_bytes / 4)),
            overlay_log: VecDeque::new(),
            clears: VecDeque::new(),
            expiry,
            job,
            persisted_seq: 0,
            el_trim: VecDeque::new(),
            el_trim_at: 0,
            view_taken: Cell::new(false),
            completions: Vec::new(),
            cluster,
            outgoing: Vec::new(),
            next_read_ctx: 0,
            snap_sends: Vec::new(),
            staged: HashMap::default(),
            announced,
            acl_changed: acl.is_some(),
            acl,
            vote_fence: 0,
            prefetched: HashMap::default(),
            watch_writes: false,
            written: Vec::new(),
            flushed: false,
            notify_flags: 0,
            key_events: Vec::new(),
            log_bytes: 0,
            segment_bytes: SEGMENT_BYTES,
        };
        // A new store: every record from now on goes through the row
        // cache, which then answers for absent keys too (until it evicts).
        if shard.engine.data_is_empty()? {
            shard.cache.borrow_mut().set_complete();
        }
        // A replica that ever saw an election (term above the bootstrap's
        // 1) may have acknowledged a leader before this start.
        // Every run starts a segment with a checkpoint, so the segments of
        // earlier runs can go once this first job's data half is durable.
        shard.checkpoint();
        if shard.cluster.voters.len() > 1 && shard.groups.iter().any(|g| g.raw.raft.term > 1) {
            shard.vote_fence = VOTE_FENCE_TICKS;
        }
        shard.next_read_ctx = read_ctx_base(shard.cluster.node_id, 0);
        for g in &mut shard.groups {
            // A one-voter group elects itself at once; in a cluster the
            // preferred node starts an election (a pre-vote, harmless if a
            // leader is alive) instead of waiting out a timeout.
            if g.raw.raft.state != StateRole::Leader
                && !shard.cluster.join
                && g.raw
                    .raft
                    .prs()
                    .conf()
                    .voters()
                    .contains(shard.cluster.node_id)
                && shard.cluster.preferred_leader(g.id) == shard.cluster.node_id
            {
                g.raw.campaign()?;
            }
        }
        Ok(shard)
    }

    /// Sets the log bytes after which a new segment starts (at least 64 KiB).
    pub fn set_segment_bytes(&mut self, bytes: u64) {
        self.segment_bytes = bytes.max(64 << 10);
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Local position of the group owning `slot`, if this core has it.
    pub fn group_of_slot(&self, slot: u16) -> Option<usize> {
        self.groups.iter().position(|g| g.slots.contains(&slot))
    }

    pub fn group_pos(&self, gid: u32) -> Option<usize> {
        self.groups.iter().position(|g| g.id == gid)
    }

    pub fn group_ids(&self) -> Vec<u32> {
        self.groups.iter().map(|g| g.id).collect()
    }

    pub fn group_slots(&self, pos: usize) -> Option<Range<u16>> {
        self.groups.get(pos).map(|g| g.slots.clone())
    }

    /// Whether group `pos` may serve reads: it leads and has applied an
    /// entry of its own term, so everything committed before it (by an
    /// earlier term, or before a restart) is applied too.
    /// In a cluster it also needs a lease: a quorum confirmed the
    /// leadership less than `cluster.lease` ago (no other leader can have
    /// been elected since), see [`Shard::maintain`].
    pub fn read_ready(&self, pos: usize, now: Instant) -> bool {
        self.read_ready_at(pos, now, self.committed(pos))
    }

    /// [`Shard::read_ready`] for a read that arrived when the commit index
    /// was `need`: this leader must have applied that far. (Followers learn
    /// commits from the leader and may apply an entry before the leader
    /// has — its own log write can be the slowest of the quorum — and
    /// serve it; a leader read must not then return older state.)
    pub fn read_ready_at(&self, pos: usize, now: Instant, need: u64) -> bool {
        self.groups.get(pos).is_some_and(|g| {
            g.raw.raft.state == StateRole::Leader
                && g.raw.raft.apply_to_current_term()
                // One voter: nobody else can have seen what it has not
                // applied, and its own acknowledgments follow apply.
                && (single_voter(g) || g.applied >= need)
                && (single_voter(g)
                    || (g.raw.raft.lead_transferee.is_none()
                        && g.lease_until.is_some_and(|t| now < t)))
        })
    }

    /// Whether a write to group `pos` may be proposed now as far as
    /// transactions go: `Free`, or it waits for a lock, or (a prepare of
    /// `by`) it is refused at once (docs/design/0025). A leader that
    /// has not applied an entry of its own term may not know every lock
    /// of earlier terms yet: everything waits.
    pub fn tx_check(
        &self,
        pos: usize,
        argv: &[Bytes],
        by: Option<corekv_core::txn::TxId>,
    ) -> crate::txn::TxCheck {
        let Some(g) = self.groups.get(pos) else {
            return crate::txn::TxCheck::Free;
        };
        if !g.raw.raft.apply_to_current_term() {
            return crate::txn::TxCheck::Wait;
        }
        if g.txn.is_empty() {
            return crate::txn::TxCheck::Free;
        }
        let keys = corekv_core::txn::tx_keys(argv);
        g.txn.check(&keys, by, g.raw.raft.term)
    }

    /// Whether a whole-group prepare by `id` may be proposed to group
    /// `pos` now (see [`crate::txn::TxnState::check_all`]).
    pub fn tx_check_all(&self, pos: usize, id: corekv_core::txn::TxId) -> crate::txn::TxCheck {
        let Some(g) = self.groups.get(pos) else {
            return crate::txn::TxCheck::Free;
        };
        if !g.raw.raft.apply_to_current_term() {
            return crate::txn::TxCheck::Conflict;
        }
        g.txn.check_all(id, Some(g.raw.raft.term))
    }

    /// Group `pos`'s applied index and last log index at this replica.
    pub fn applied_and_last(&self, pos: usize) -> (u64, u64) {
        self.groups
            .get(pos)
            .map_or((0, 0), |g| (g.applied, g.raw.raft.raft_log.last_index()))
    }

    /// Group `pos`'s current Raft term at this replica.
    pub fn term(&self, pos: usize) -> u64 {
        self.groups.get(pos).map_or(0, |g| g.raw.raft.term)
    }

    /// Whether `key` (of group `pos`) holds a live value at `now_ms`; None
    /// if its record cannot be read.
    pub fn record_live(&self, key: &[u8], now_ms: u64) -> Option<bool> {
        self.get_record(key)
            .ok()
            .map(|r| r.is_some_and(|r| !r.is_expired(now_ms)))
    }

    /// A prepare of `id` over `argv`'s keys is being proposed: its keys are
    /// locked at this leader from now on.
    pub fn tx_proposed(&mut self, pos: usize, id: corekv_core::txn::TxId, argv: &[Bytes]) {
        let Some(g) = self.groups.get_mut(pos) else {
            return;
        };
        if g.txn.proposed_term != g.raw.raft.term {
            g.txn.proposed.clear();
            g.txn.proposed_whole = None;
            g.txn.proposed_term = g.raw.raft.term;
        }
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(corekv_core::txn::PREP_ALL.as_bytes()))
        {
            g.txn.proposed_whole = Some(id);
            return;
        }
        for k in corekv_core::txn::tx_keys(argv) {
            g.txn.proposed.insert(k, id);
        }
    }

    /// Whether a read of `argv` on group `pos` must wait for a
    /// transaction's commit: an applied lock holds one of its keys, or, for
    /// a read of the whole group (DBSIZE, KEYS, SCAN: no keys), any lock
    /// (it would count a transaction's change in this group before the
    /// others apply theirs).
    pub fn tx_read_locked(&self, pos: usize, argv: &[Bytes]) -> bool {
        self.groups.get(pos).is_some_and(|g| {
            if g.txn.whole.is_some() {
                return true;
            }
            if g.txn.locks.is_empty() {
                return false;
            }
            let keys = corekv_core::txn::tx_keys(argv);
            keys.is_empty() || g.txn.read_locked(&keys)
        })
    }

    /// Groups where a lock was released since the last call (their waiting
    /// writes and reads may go).
    pub fn tx_take_released(&mut self) -> bool {
        let mut any = false;
        for g in &mut self.groups {
            any |= std::mem::take(&mut g.txn.released);
        }
        any
    }

    /// Recovery work this replica's led groups owe (docs/design/0025):
    /// locks held longer than `after` (ask the primary), and, as primary,
    /// records older than `after` (re-send the commits).
    pub fn tx_overdue(&self, now: Instant, after: std::time::Duration) -> crate::txn::Overdue {
        let mut out = crate::txn::Overdue::default();
        for (pos, g) in self.groups.iter().enumerate() {
            if g.raw.raft.state != StateRole::Leader {
                continue;
            }
            for (id, h) in &g.txn.held {
                if now.duration_since(h.since) >= after {
                    out.locks.push((pos, g.id, *id, h.primary));
                }
            }
            for (id, (effects, at)) in &g.txn.records {
                if now.duration_since(*at) >= after {
                    out.records.push((g.id, *id, effects.clone()));
                }
            }
        }
        out
    }

    /// Group `pos`'s commit index as this replica knows it.
    pub fn committed(&self, pos: usize) -> u64 {
        self.groups
            .get(pos)
            .map_or(0, |g| g.raw.raft.raft_log.committed)
    }

    /// The node id of group `pos`'s leader as this replica knows it.
    pub fn leader_of(&self, pos: usize) -> Option<u64> {
        self.groups
            .get(pos)
            .map(|g| g.raw.raft.leader_id)
            .filter(|&id| id != 0)
    }

    pub fn node_id(&self) -> u64 {
        self.cluster.node_id
    }

    /// Asks a quorum to confirm group `pos`'s leadership (ReadIndex), unless
    /// a request is already in flight; its answer extends the lease.
    pub fn request_lease(&mut self, pos: usize, now: Instant) {
        let ctx = self.next_read_ctx;
        let Some(g) = self.groups.get_mut(pos) else {
            return;
        };
        if g.raw.raft.state != StateRole::Leader
            || single_voter(g)
            || g.raw.raft.lead_transferee.is_some()
        {
            return;
        }
        // A request that got no answer (leadership lost, or asked before
        // the term's first commit) is given up after a lease period.
        if g.read_req
            .is_some_and(|(_, t)| now.duration_since(t) < self.cluster.lease)
        {
            return;
        }
        self.next_read_ctx += 1;
        g.raw.read_index(ctx.to_be_bytes().to_vec());
        g.read_req = Some((ctx, now));
    }

    /// Starts this replica's ReadIndex contexts at a value that differs on
    /// every start (the caller passes something like the clock), so an
    /// answer to a request made before a restart is never taken for one
    /// made after it.
    pub fn seed_read_ctx(&mut self, seed: u64) {
        self.next_read_ctx = read_ctx_base(self.cluster.node_id, seed);
    }

    /// A read of group `pos` arrived at this follower: the returned ticket
    /// names the ReadIndex request that will cover it (sent by the next
    /// [`Shard::send_follower_reads`]); the read may run here once
    /// [`Shard::follower_read_ready`] says so.
    pub fn follower_read_ticket(&mut self, pos: usize) -> u64 {
        let Some(g) = self.groups.get_mut(pos) else {
            return u64::MAX;
        };
        let f = &mut g.fread;
        f.wanted = f.issued + 1;
        f.wanted
    }

    /// Whether a read holding `ticket` may run on this replica now: its
    /// request was answered and everything up to the answer is applied.
    pub fn follower_read_ready(&self, pos: usize, ticket: u64) -> bool {
        self.groups.get(pos).is_some_and(|g| {
            g.fread.done.0 >= ticket && g.applied >= g.fread.done.1 && g.applied > 0
        })
    }

    /// Sends the ReadIndex requests waiting reads need (one per group per
    /// call), and gives up on requests unanswered for a lease period (the
    /// leader changed or the message was lost): their reads get the next.
    pub fn send_follower_reads(&mut self, now: Instant) {
        for g in &mut self.groups {
            let f = &mut g.fread;
            while f
                .inflight
                .front()
                .is_some_and(|r| now.duration_since(r.2) >= self.cluster.lease)
            {
                f.inflight.pop_front();
                f.wanted = f.wanted.max(f.issued + 1);
            }
            if f.wanted <= f.issued || g.raw.raft.state == StateRole::Leader {
                continue;
            }
            let ctx = self.next_read_ctx;
            self.next_read_ctx += 1;
            f.issued += 1;
            f.inflight.push_back((f.issued, ctx, now));
            g.raw.read_index(ctx.to_be_bytes().to_vec());
        }
    }

    /// Per tick: keep leases of led groups fresh (renew at half life), and
    /// hand leadership to a group's preferred node when it is caught up.
    pub fn maintain(&mut self, now: Instant) {
        if self.cluster.voters.len() == 1 && !self.cluster.join {
            return;
        }
        let lease = self.cluster.lease;
        for pos in 0..self.groups.len() {
            let Some(g) = self.groups.get_mut(pos) else {
                continue;
            };
            if g.raw.raft.state != StateRole::Leader {
                self.orphans(pos, now);
                continue;
            }
            g.deposed_at = None;
            if g.lease_until.is_none_or(|t| t < now + lease / 2) {
                self.request_lease(pos, now);
            }
            self.balance(pos, now);
        }
    }

    /// Proposals of a leader that lost leadership stay pending until the
    /// entry committed at their index decides them; cut off from the
    /// majority, that can take as long as the partition. After
    /// [`ORPHAN_TIMEOUT`] their callers get "outcome unknown" instead of
    /// waiting on (the entries may still commit later; nobody is told).
    fn orphans(&mut self, pos: usize, now: Instant) {
        let Some(g) = self.groups.get_mut(pos) else {
            return;
        };
        if g.proposals.is_empty() {
            g.deposed_at = None;
            return;
        }
        let since = *g.deposed_at.get_or_insert(now);
        if now.duration_since(since) < ORPHAN_TIMEOUT {
            return;
        }
        g.give_up_through(u64::MAX, &mut self.completions);
        g.deposed_at = None;
    }

    fn balance(&mut self, pos: usize, now: Instant) {
        let me = self.cluster.node_id;
        let Some(g) = self.groups.get_mut(pos) else {
            return;
        };
        let want = g
            .preferred
            .unwrap_or_else(|| self.cluster.preferred_leader(g.id));
        if want == me
            || g.last_transfer
                .is_some_and(|t| now.duration_since(t) < TRANSFER_BACKOFF)
        {
            return;
        }
        let last = g.raw.raft.raft_log.last_index();
        let caught_up = g
            .raw
            .raft
            .prs()
            .get(want)
            .is_some_and(|p| p.matched == last && p.recent_active);
        if caught_up {
            g.last_transfer = Some(now);
            // A transfer lets the target win an election at once (followers
            // skip their lease for it), so this leader's lease ends now and
            // no answer to an earlier lease request may extend it.
            g.lease_until = None;
            g.read_req = None;
            g.raw.transfer_leader(want);
        }
    }

    /// A Raft message from another node for group `gid`.
    /// `now` decides whether a follower's ReadIndex can be answered from
    /// this leader's lease.
    pub fn step(&mut self, gid: u32, msg: Message, now: Instant) {
        if msg.get_msg_type() == MessageType::MsgReadIndex
            && msg.entries.len() == 1
            && let Some(g) = self.groups.iter().find(|g| g.id == gid)
            && g.raw.raft.state == StateRole::Leader
            && g.raw.raft.commit_to_current_term()
            && g.raw.raft.lead_transferee.is_none()
            && g.lease_until.is_some_and(|t| now < t)
        {
            // A follower's read while our lease holds: no other leader can
            // exist until it ends, so our commit index is a safe read index
            // without the heartbeat round raft-rs would do.
            let mut resp = Message::default();
            resp.set_msg_type(MessageType::MsgReadIndexResp);
            resp.to = msg.from;
            resp.from = self.cluster.node_id;
            resp.term = g.raw.raft.term;
            resp.index = g.raw.raft.raft_log.committed;
            resp.entries = msg.entries;
            self.outgoing.push((gid, resp));
            return;
        }
        self.step_raft(gid, msg);
    }

    /// Hands a message to raft-rs (vote requests dropped while the restart
    /// fence holds).
    fn step_raft(&mut self, gid: u32, msg: Message) {
        if self.vote_fence > 0
            && matches!(
                msg.get_msg_type(),
                MessageType::MsgRequestVote | MessageType::MsgRequestPreVote
            )
            && msg.context != raft::CAMPAIGN_TRANSFER
        {
            return;
        }
        if let Some(g) = self.groups.iter_mut().find(|g| g.id == gid) {
            // Messages from unknown peers or stale terms are dropped by
            // raft-rs; an error here is never fatal.
            let _ = g.raw.step(msg);
        }
    }

    /// Raft messages to send: (group id, message); `message.to` is the node.
    pub fn take_outgoing(&mut self) -> Vec<(u32, Message)> {
        std::mem::take(&mut self.outgoing)
    }

    /// Snapshots to stream to followers, each with its data view.
    pub fn take_snapshot_sends(&mut self) -> Vec<SnapshotSend> {
        std::mem::take(&mut self.snap_sends)
    }

    /// The leader finished (or failed) streaming a snapshot to `to`.
    pub fn report_snapshot(&mut self, gid: u32, to: u64, ok: bool) {
        if let Some(g) = self.groups.iter_mut().find(|g| g.id == gid) {
            let status = if ok {
                raft::SnapshotStatus::Finish
            } else {
                raft::SnapshotStatus::Failure
            };
            g.raw.report_snapshot(to, status);
        }
    }

    /// Snapshot data for group `gid` arrived in full; then the snapshot's
    /// Raft message is stepped. Raft decides whether to install it.
    pub fn stage_snapshot(&mut self, gid: u32, msg: Message, data: SnapshotData) {
        // A record that does not decode would be lost by the install: this
        // replica would hold less than the leader. Refused, the leader
        // sends the snapshot again.
        if data
            .records
            .iter()
            .any(|(_, v)| Record::decode(v).is_none())
        {
            self.engine.health.note_error();
            return;
        }
        let meta = msg.get_snapshot().get_metadata();
        self.staged.insert(
            gid,
            Staged {
                index: meta.index,
                term: meta.term,
                data,
            },
        );
        self.step_raft(gid, msg);
    }

    /// Replaces group `pos`'s state with a staged snapshot Raft accepted:
    /// clears its slots, loads the records, moves the log to the snapshot
    /// point. Written with the next job, fully (both halves) before it is
    /// acknowledged.
    fn install_snapshot(
        &mut self,
        pos: usize,
        snap: &raft::eraftpb::Snapshot,
    ) -> Result<(), ShardError> {
        let meta = snap.get_metadata();
        let Some(g) = self.groups.get(pos) else {
            return Ok(());
        };
        let gid = g.id;
        let slots = g.slots.clone();
        let staged = match self.staged.remove(&gid) {
            Some(st) if st.index == meta.index && st.term == meta.term => st,
            _ => return Err(ShardError::Corrupt(gid)),
        };
        self.clear_group(pos, slots.start, slots.end);
        for (key, val) in staged.data.records {
            // Checked when staged (`stage_snapshot`).
            if let Some(rec) = Record::decode(&val) {
                self.write_record(pos, &key, None, Some(rec));
            }
        }
        for (ek, val) in staged.data.elements {
            if keys::elem_ns(&ek).is_some_and(|ns| slots.contains(&ns.slot)) {
                self.write_element(ek, Some(val));
            }
        }
        let cs_bytes = meta
            .get_conf_state()
            .write_to_bytes()
            .map_err(|_| ShardError::Corrupt(gid))?;
        let Some(g) = self.groups.get_mut(pos) else {
            return Ok(());
        };
        g.txn = staged
            .data
            .txn
            .as_deref()
            .and_then(crate::txn::TxnState::decode)
            .unwrap_or_default();
        let txn_blob = g.txn.encode();
        self.job
            .data
            .push(DataOp::RaftPut(keys::raft_key(gid, b'x'), txn_blob));
        if gid == 0
            && let Some(acl) = staged.data.acl
        {
            self.job
                .data
                .push(DataOp::RaftPut(keys::raft_key(0, ACL_TAG), acl.to_vec()));
            self.acl = Some(acl.to_vec());
            self.acl_changed = true;
        }
        g.raw
            .mut_store()
            .apply_snapshot(meta.index, meta.term, meta.get_conf_state().clone());
        g.applied = meta.index;
        // Entries the snapshot covers are in its state already.
        g.backlog.retain(|e| e.index > meta.index);
        g.stalled = None;
        // Proposals the snapshot covers (this replica led, lost leadership
        // and fell behind): committed or overwritten, there is no telling
        // which, and a committed one's reply was computed elsewhere.
        g.give_up_through(meta.index, &mut self.completions);
        // Written only once the snapshot's data is durable (a crash before
        // that must find the old log).
        self.job
            .after_data
            .push(LogRec::Reset(gid, meta.index, meta.term));
        self.job.data.push(DataOp::RaftPut(
            keys::raft_key(gid, b'a'),
            keys::u64_pair(g.applied, g.key_count),
        ));
        self.job.data.push(DataOp::RaftPut(
            keys::raft_key(gid, b't'),
            keys::u64_pair(meta.index, meta.term),
        ));
        self.job
            .data
            .push(DataOp::RaftPut(keys::raft_key(gid, b'c'), cs_bytes));
        self.job.install = true;
        Ok(())
    }

    pub fn is_leader(&self, pos: usize) -> bool {
        self.groups
            .get(pos)
            .is_some_and(|g| g.raw.raft.state == StateRole::Leader)
    }

    /// WAIT's counts for this core's groups: `.0` is the fewest followers
    /// holding the committed log in a group this replica leads (counted
    /// from Raft progress; a group with no known leader counts the quorum
    /// any acknowledged write is on, voters / 2), `None` if it leads none
    /// and knows every leader; `.1` is that quorum floor over all groups.
    pub fn replica_counts(&self) -> (Option<u64>, u64) {
        let me = self.node_id();
        let mut led: Option<u64> = None;
        let mut floor = u64::MAX;
        for g in &self.groups {
            let cs = &g.raw.store().cs;
            let quorum = cs.voters.len() as u64 / 2;
            floor = floor.min(quorum);
            let n = if g.raw.raft.state == StateRole::Leader {
                let commit = g.raw.raft.raft_log.committed;
                g.raw
                    .raft
                    .prs()
                    .iter()
                    .filter(|(id, p)| **id != me && p.matched >= commit && cs.voters.contains(id))
                    .count() as u64
            } else if g.raw.raft.leader_id == 0 {
                quorum
            } else {
                continue;
            };
            led = Some(led.map_or(n, |m| m.min(n)));
        }
        (led, floor)
    }

    /// Raft state of every group, for INFO and the stats socket.
    pub fn raft_status(&self) -> Vec<GroupStatus> {
        self.groups
            .iter()
            .map(|g| GroupStatus {
                id: g.id,
                applied: g.applied,
                last_index: g.raw.raft.raft_log.last_index(),
                first_index: g.raw.store().first_index(),
                log_bytes: g.raw.store().bytes,
                commit: g.raw.raft.raft_log.committed,
                term: g.raw.raft.term,
                leader: g.raw.raft.state == StateRole::Leader,
                leader_id: g.raw.raft.leader_id,
                voters: g.raw.store().cs.voters.len(),
                voter_ids: sorted(&g.raw.store().cs.voters),
                learner_ids: sorted(&g.raw.store().cs.learners),
            })
            .collect()
    }

    /// Newest proposal timestamp (ms) in any group's in-memory log.
    pub fn max_log_ts_ms(&self) -> u64 {
        self.groups
            .iter()
            .flat_map(|g| g.raw.store().entries.iter())
            .filter(|e| e.entry_type == EntryType::EntryNormal && !e.data.starts_with(ADMIN_PREFIX))
            .filter_map(|e| {
                e.data
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
            })
            .max()
            .unwrap_or(0)
    }

    pub fn key_count(&self) -> u64 {
        self.groups.iter().map(|g| g.key_count).sum()
    }

    pub fn expiring_count(&self) -> usize {
        self.expiry.len()
    }

    /// Proposes a write command to group `pos`; its reply comes back from
    /// `take_completions` after it is committed, durable and applied.
    pub fn propose(
        &mut self,
        pos: usize,
        ts_ms: u64,
        argv: &[Bytes],
        token: Token,
    ) -> Result<(), Reply> {
        self.propose_batch(pos, ts_ms, &[argv.to_vec()], vec![token])
    }

    /// Proposes a batch of write commands to group `pos` as one log entry;
    /// `tokens[i]` gets the reply of `cmds[i]` from `take_completions` once
    /// the entry is committed, durable and applied.
    pub fn propose_batch(
        &mut self,
        pos: usize,
        ts_ms: u64,
        cmds: &[Vec<Bytes>],
        tokens: Vec<Token>,
    ) -> Result<(), Reply> {
        debug_assert_eq!(cmds.len(), tokens.len());
        let Some(g) = self.groups.get_mut(pos) else {
            return Err(errors::err(errors::NOT_LEADER));
        };
        if g.raw.raft.state != StateRole::Leader {
            return Err(errors::err(errors::NOT_LEADER));
        }
        if g.raw
            .propose(Vec::new(), encode_batch(ts_ms, cmds))
            .is_err()
        {
            return Err(errors::err(errors::NOT_LEADER));
        }
        g.track(tokens);
        Ok(())
    }

    /// Proposes a membership change of group `pos` (joint consensus when it
    /// has several steps or asks for it); `token` gets `+OK` once applied.
    pub fn propose_conf_change(
        &mut self,
        pos: usize,
        cc: ConfChangeV2,
        token: Token,
    ) -> Result<(), Reply> {
        let Some(g) = self.groups.get_mut(pos) else {
            return Err(errors::err(errors::NOT_LEADER));
        };
        if g.raw.raft.state != StateRole::Leader {
            return Err(errors::err(errors::NOT_LEADER));
        }
        if g.raw.raft.has_pending_conf() {
            return Err(errors::err(
                "ERR a membership change of this group is still in progress, try again",
            ));
        }
        let before = g.raw.raft.raft_log.last_index();
        if g.raw.propose_conf_change(Vec::new(), cc).is_err() {
            return Err(errors::err(
                "ERR membership change refused by Raft (in progress or invalid)",
            ));
        }
        let idx = g.raw.raft.raft_log.last_index();
        if idx == before {
            return Err(errors::err("ERR membership change refused by Raft"));
        }
        g.track(vec![token]);
        Ok(())
    }

    /// Proposes that node `node` lead group `pos` from now on; the leader
    /// hands over once that node is caught up.
    pub fn propose_preferred(&mut self, pos: usize, node: u64, token: Token) -> Result<(), Reply> {
        let Some(g) = self.groups.get_mut(pos) else {
            return Err(errors::err(errors::NOT_LEADER));
        };
        if g.raw.raft.state != StateRole::Leader {
            return Err(errors::err(errors::NOT_LEADER));
        }
        let mut data = ADMIN_PREFIX.to_vec();
        data.extend_from_slice(format!("prefer={node}").as_bytes());
        if g.raw.propose(Vec::new(), data).is_err() {
            return Err(errors::err(errors::NOT_LEADER));
        }
        g.last_transfer = None;
        g.track(vec![token]);
        Ok(())
    }

    /// Proposes an ACL change (`corekv_core::acl::apply_op`'s arguments) on
    /// the meta group at `pos` (this replica leads it).
    pub fn propose_acl(&mut self, pos: usize, args: &[Bytes], token: Token) -> Result<(), Reply> {
        let Some(g) = self.groups.get_mut(pos) else {
            return Err(errors::err(errors::NOT_LEADER));
        };
        if g.id != 0 || g.raw.raft.state != StateRole::Leader {
            return Err(errors::err(errors::NOT_LEADER));
        }
        let mut data = ADMIN_PREFIX.to_vec();
        data.extend_from_slice(ACL_ADMIN);
        data.extend_from_slice(&encode_batch(0, &[args.to_vec()]));
        if g.raw.propose(Vec::new(), data).is_err() {
            return Err(errors::err(errors::NOT_LEADER));
        }
        g.track(vec![token]);
        Ok(())
    }

    /// The meta group's users, once after each change (see `acl_changed`).
    pub fn take_acl(&mut self) -> Option<Vec<u8>> {
        if !std::mem::take(&mut self.acl_changed) {
            return None;
        }
        self.acl.clone()
    }

    /// Node addresses announced by applied membership changes: (id, addr).
    pub fn take_announced(&mut self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.announced)
    }

    /// Voters and learners of group `pos`.
    pub fn members(&self, pos: usize) -> (Vec<u64>, Vec<u64>) {
        self.groups.get(pos).map_or_else(Default::default, |g| {
            let cs = &g.raw.store().cs;
            (cs.voters.clone(), cs.learners.clone())
        })
    }

    /// Executes a read-only command against group `pos` at `now_ms`.
    pub fn read(&self, pos: usize, argv: &[Bytes], now_ms: u64, rand: u64) -> Reply {
        match self.read_view(pos, now_ms, rand) {
            Some((view, ctx)) => cmd::read(argv, &ctx, &view),
            None => errors::err(errors::NOT_LEADER),
        }
    }

    /// Group `pos` as a read sees it now, with the read's context.
    fn read_view(&self, pos: usize, now_ms: u64, rand: u64) -> Option<(ReadView<'_>, Ctx)> {
        let g = self.groups.get(pos)?;
        let ctx = Ctx {
            now_ms,
            slots: g.slots.clone(),
            rand,
        };
        Some((
            ReadView {
                shard: self,
                group: g,
            },
            ctx,
        ))
    }

    /// A heavy read's size estimate (`CommandSpec::heavy_size`) against
    /// group `pos` now; a failed read counts as big (the pool answers it).
    pub fn read_size(
        &self,
        pos: usize,
        argv: &[Bytes],
        now_ms: u64,
        size: corekv_core::table::SizeFn,
    ) -> u64 {
        match self.read_view(pos, now_ms, 0) {
            Some((view, ctx)) => size(argv, &ctx, &view).unwrap_or(u64::MAX),
            None => u64::MAX,
        }
    }

    /// Up to `max` keys whose expiry is due at `now_ms`: (group pos, key).
    pub fn due_expiries(&self, now_ms: u64, max: usize) -> Vec<(usize, Bytes)> {
        let mut out = Vec::new();
        for (t, slot, key) in &self.expiry {
            if *t > now_ms || out.len() >= max {
                break;
            }
            if let Some(pos) = self.group_of_slot(*slot) {
                out.push((pos, Bytes::copy_from_slice(key)));
            }
        }
        out
    }

    pub fn tick(&mut self) {
        self.vote_fence = self.vote_fence.saturating_sub(1);
        for g in &mut self.groups {
            g.raw.tick();
        }
    }

    /// Handles every group's Ready: new entries and hard states go into the
    /// pending persist job, committed entries are applied. Replies appear in
    /// `take_completions`.
    pub fn drive(&mut self) -> Result<DriveStats, ShardError> {
        if !self.el_trim.is_empty() {
            self.trim_el_overlay();
        }
        let mut stats = DriveStats::default();
        for pos in 0..self.groups.len() {
            let Some(g) = self.groups.get_mut(pos) else {
                continue;
            };
            if !g.raw.has_ready() {
                if !g.backlog.is_empty() {
                    // Entries held back by a failed read: try again.
                    stats.applied += self.apply(pos)?;
                }
                continue;
            }
            stats.readies += 1;
            let mut rd = g.raw.ready();
            let gid = g.id;
            let mut needs_persist = false;
            // A leader's appends go out before its own write (Raft allows
            // it: the leader counts itself only once durable). Snapshots
            // are streamed separately, with a view taken now: nothing was
            // applied since raft-rs asked the log store for the snapshot.
            let applied_now = g.applied;
            for m in rd.take_messages() {
                if m.get_msg_type() == raft::eraftpb::MessageType::MsgSnapshot {
                    let at = m.get_snapshot().get_metadata().index;
                    if at == applied_now {
                        let view = self.snapshot_view(pos);
                        if let Some(view) = view {
                            self.snap_sends.push(SnapshotSend { gid, msg: m, view });
                        }
                    } else if let Some(g) = self.groups.get_mut(pos) {
                        g.raw.report_snapshot(m.to, raft::SnapshotStatus::Failure);
                    }
                } else {
                    self.outgoing.push((gid, m));
                }
            }
            let Some(g) = self.groups.get_mut(pos) else {
                continue;
            };
            for rs in rd.take_read_states() {
                if let Some((ctx, sent)) = g.read_req
                    && rs.request_ctx.as_slice() == ctx.to_be_bytes()
                {
                    g.lease_until = Some(sent + self.cluster.lease);
                    g.read_req = None;
                } else if let Some(&(seq, _, _)) = g
                    .fread
                    .inflight
                    .iter()
                    .find(|r| rs.request_ctx.as_slice() == r.1.to_be_bytes())
                {
                    let f = &mut g.fread;
                    f.done = (f.done.0.max(seq), f.done.1.max(rs.index));
                    // Earlier requests are covered by this later one.
                    f.inflight.retain(|r| r.0 > seq);
                }
            }
            let mut snap_at = None;
            if !rd.snapshot().is_empty() {
                let snap = rd.snapshot().clone();
                snap_at = Some(snap.get_metadata().index);
                self.install_snapshot(pos, &snap)?;
                needs_persist = true;
            }
            let Some(g) = self.groups.get_mut(pos) else {
                continue;
            };
            let entries = rd.take_entries();
            if !entries.is_empty() {
                g.raw.mut_store().append(&entries);
                // One record per Ready; a conflicting suffix is replaced by
                // replay (crate::wal), nothing is deleted.
                let rec = LogRec::Entries(gid, entries);
                self.log_bytes += rec.size() as u64;
                self.job.log.push(rec);
                needs_persist = true;
            }
            if let Some(hs) = rd.hs() {
                g.raw.mut_store().hs = hs.clone();
                if rd.must_sync() {
                    // Term or vote changed (or entries came with it): durable
                    // before anything is acknowledged.
                    let rec = LogRec::Hard(gid, hs.clone());
                    self.log_bytes += rec.size() as u64;
                    self.job.log.push(rec);
                    needs_persist = true;
                } else {
                    // Only the commit index moved. Raft treats it as volatile
                    // (recovery re-derives it, clamped to the applied index),
                    // so it rides with the data half: no fsync of its own.
                    // Under its own key: the data half of a job is written
                    // after the log half of every job in the same persist
                    // call, so a whole hard state here could undo a later
                    // job's term and vote (a vote forgotten by a restart can
                    // be given twice).
                    self.job.data.push(DataOp::RaftPut(
                        keys::raft_key(gid, b'k'),
                        hs.commit.to_be_bytes().to_vec(),
                    ));
                }
            }
            let committed = rd.take_committed_entries();
            let persisted_msgs = rd.take_persisted_messages();
            let number = rd.number();
            if let Some(idx) = snap_at {
                g.snap_ready = Some((number, idx));
            }
            g.raw.advance_append_async(rd);
            if needs_persist || g.inflight > 0 {
                g.inflight += 1;
                self.job.readies.push((gid, number));
                if !persisted_msgs.is_empty() {
                    g.held.push_back((number, persisted_msgs));
                }
            } else {
                g.raw.on_persist_ready(number);
                self.outgoing
                    .extend(persisted_msgs.into_iter().map(|m| (gid, m)));
            }
            if g.raw.raft.state != StateRole::Leader || g.raw.raft.lead_transferee.is_some() {
                g.lease_until = None;
                g.read_req = None;
            }
            g.backlog.extend(committed);
            stats.applied += self.apply(pos)?;
        }
        Ok(stats)
    }

    /// Applies group `pos`'s backlog of committed entries in order; returns
    /// how many. An entry applies with all its reads or not at all: when a
    /// read fails, apply stops before that entry, which stays first in the
    /// backlog and is tried again next turn. Every replica applies the same
    /// entries in the same order from the same state, so a read error here
    /// only delays this replica; it never changes what an entry does
    /// (docs/design/0016). Replies, `applied` and the persist job cover
    /// exactly the entries applied.
    fn apply(&mut self, pos: usize) -> Result<u64, ShardError> {
        let mut pre = std::mem::take(&mut self.prefetched);
        let mut n = 0u64;
        let mut outcome = Ok(());
        while let Some(e) = self.groups.get_mut(pos).and_then(|g| g.backlog.pop_front()) {
            match self.apply_entry(pos, &e, &mut pre) {
                Ok(true) => n += 1,
                Ok(false) => {
                    if let Some(g) = self.groups.get_mut(pos) {
                        g.backlog.push_front(e);
                    }
                    break;
                }
                Err(err) => {
                    outcome = Err(err);
                    break;
                }
            }
        }
        pre.clear();
        self.prefetched = pre;
        outcome?;
        if n == 0 {
            return Ok(0);
        }
        let Some(g) = self.groups.get_mut(pos) else {
            return Ok(n);
        };
        g.raw.advance_apply_to(g.applied);
        if g.txn.dirty {
            g.txn.dirty = false;
            self.job
                .data
                .push(DataOp::RaftPut(keys::raft_key(g.id, b'x'), g.txn.encode()));
        }
        self.job.data.push(DataOp::RaftPut(
            keys::raft_key(g.id, b'a'),
            keys::u64_pair(g.applied, g.key_count),
        ));
        // A leader keeps what its followers still need (up to a bound:
        // further behind needs a snapshot).
        let mut keep_from = g.applied;
        if g.raw.raft.state == StateRole::Leader
            && g.raw.store().bytes <= self.cluster.max_lag_bytes
        {
            let me = self.cluster.node_id;
            for (&id, p) in g.raw.raft.prs().iter() {
                if id != me && p.matched + self.cluster.max_lag > g.applied {
                    keep_from = keep_from.min(p.matched);
                }
            }
        }
        let store = g.raw.store();
        if keep_from >= store.truncated_index + 2 * LOG_KEEP {
            let to = keep_from - LOG_KEEP;
            // Memory only: segments go whole, once a checkpoint has
            // rewritten what is still live (docs/design/0020).
            g.raw.mut_store().compact_to(to);
            let s = g.raw.store();
            self.job.data.push(DataOp::RaftPut(
                keys::raft_key(g.id, b't'),
                keys::u64_pair(s.truncated_index, s.truncated_term),
            ));
        }
        Ok(n)
    }

    /// Applies one committed entry; `false` if a read failed first (nothing
    /// of the entry happened).
    fn apply_entry(
        &mut self,
        pos: usize,
        e: &Entry,
        pre: &mut Prefetched,
    ) -> Result<bool, ShardError> {
        let mut replies: Vec<Reply> = Vec::new();
        if e.entry_type == EntryType::EntryConfChangeV2 {
            replies.push(self.apply_conf_change(pos, e)?);
        } else if e.entry_type == EntryType::EntryNormal && e.data.starts_with(ADMIN_PREFIX) {
            replies.push(self.apply_admin(pos, e.data.get(ADMIN_PREFIX.len()..).unwrap_or(&[])));
        } else if e.entry_type == EntryType::EntryNormal && !e.data.is_empty() {
            match decode_batch(&e.data) {
                Some((ts, cmds)) => {
                    let Some(g) = self.groups.get(pos) else {
                        return Ok(true);
                    };
                    let (gid, slots) = (g.id, g.slots.clone());
                    // Plain SETs at the head of the batch go straight to the
                    // shard; the rest, if any, through the apply view.
                    let mut fast_events = Vec::new();
                    let fast =
                        self.apply_plain_sets(pos, &cmds, ts, &mut replies, &mut fast_events);
                    let cmds = cmds.get(fast..).unwrap_or(&[]);
                    if let Err(err) = self.prefetch(cmds, pre) {
                        pre.clear();
                        self.note_stall(pos, e.index, err);
                        return Ok(false);
                    }
                    replies.reserve(cmds.len());
                    let mut view = ApplyView::new(self, pos, pre, e.index);
                    // Staged with the view's: they reach the shard only if
                    // the whole entry applies (a stalled entry runs its
                    // SETs again).
                    view.events = fast_events;
                    for (i, argv) in cmds.iter().enumerate() {
                        let ctx = Ctx {
                            now_ms: ts,
                            slots: slots.clone(),
                            rand: e
                                .index
                                .wrapping_mul(0x9E37_79B9)
                                .wrapping_add((fast + i) as u64),
                        };
                        if crate::txn::is_txn_cmd(argv) {
                            let mut st = match view.shard.groups.get_mut(pos) {
                                Some(g) => std::mem::take(&mut g.txn),
                                None => Default::default(),
                            };
                            let r = crate::txn::apply(&mut st, gid, argv, &ctx, &mut view);
                            if crate::txn::tracing() {
                                crate::txn::trace(format_args!(
                                    "apply node={} g{gid} idx={} term={} {} -> {}",
                                    view.shard.cluster.node_id,
                                    e.index,
                                    e.term,
                                    crate::txn::describe(argv),
                                    crate::txn::brief(&r)
                                ));
                            }
                            replies.push(r);
                            if let Some(g) = view.shard.groups.get_mut(pos) {
                                g.txn = st;
                            }
                        } else {
                            replies.push(cmd::apply_write(argv, &ctx, &mut view));
                        }
                        if view.failed.get_mut().is_some() {
                            break;
                        }
                    }
                    if let Some(err) = view.failed.get_mut().take() {
                        if view.partial {
                            return Err(ShardError::ApplyRead(gid, err));
                        }
                        // Nothing of the entry reached the shard: it waits.
                        drop(view);
                        pre.clear();
                        self.note_stall(pos, e.index, err);
                        return Ok(false);
                    }
                    view.commit();
                    pre.clear();
                }
                None => replies.push(errors::err("ERR corrupt log entry")),
            }
        }
        let Some(g) = self.groups.get_mut(pos) else {
            return Ok(true);
        };
        if let Some((idx, _)) = g.stalled.take() {
            eprintln!("corekv: group {}: apply resumed at entry {idx}", g.id);
        }
        g.applied = e.index;
        g.raw.mut_store().applied = e.index;
        while g.proposals.front().is_some_and(|p| p.0 <= e.index) {
            let Some((idx, term, tokens)) = g.proposals.pop_front() else {
                break;
            };
            // The committed entry at an index is the same on every
            // replica: ours if the term matches, otherwise ours was
            // overwritten and never ran. (An index below this entry's
            // was skipped by a snapshot; see `install_snapshot`.)
            let ours = idx == e.index && term == e.term && replies.len() == tokens.len();
            let fallback = if idx == e.index {
                errors::NOT_LEADER
            } else {
                errors::OUTCOME_UNKNOWN
            };
            let mut replies = if ours {
                std::mem::take(&mut replies)
            } else {
                Vec::new()
            }
            .into_iter();
            for token in tokens {
                let r = replies.next().unwrap_or_else(|| errors::err(fallback));
                self.completions.push((token, r));
            }
        }
        Ok(true)
    }

    /// Reads every key the commands of one entry name (their table key
    /// positions, see [`write_keys`]) into `pre`, before any of them runs.
    /// The only side effect is caching what was read, so on an error the
    /// entry has not started; on success its apply reads nothing else.
    fn prefetch(&self, cmds: &[Vec<Bytes>], pre: &mut Prefetched) -> Result<(), StoreError> {
        // A batch is mostly one command: look its spec up once per run.
        let mut spec: Option<(&[u8], Option<&'static corekv_core::table::CommandSpec>)> = None;
        for argv in cmds {
            let name = argv.first().map_or(&[][..], |n| &n[..]);
            let mut found = match spec {
                Some((n, found)) if n == name => found,
                _ => {
                    let found = corekv_core::table::lookup(name);
                    spec = Some((name, found));
                    found
                }
            };
            // A container's keys are its subcommand's (what apply runs).
            if found.is_some_and(|s| s.is_container()) {
                found = corekv_core::table::find(argv);
            }
            for i in key_positions(found, argv) {
                let Some(k) = argv.get(i) else { continue };
                if let std::collections::hash_map::Entry::Vacant(v) = pre.entry(k.clone()) {
                    v.insert(PreKey {
                        cur: self.get_record(k)?,
                        orig: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// Applies the plain `SET key value`s at the head of an entry's batch
    /// straight to the shard, without the apply view's staging map, the
    /// command table or a copy of the old record (docs/design/0023): it
    /// needs only whether the key exists and its expiry, read from the row
    /// cache or the overlay in place. Stops at the first other command, or
    /// key whose old record is a collection or paged string (its elements
    /// become garbage: the view's job) or is in neither map (a read that
    /// can fail belongs to the view's prefetch, which can stall the entry).
    /// Returns how many it applied; their replies are pushed.
    ///
    /// If the rest of the batch then stalls on a failed read, the entry is
    /// retried whole and these SETs run again: a SET is idempotent, and key
    /// count and expiry index are derived from the record found then.
    fn apply_plain_sets(
        &mut self,
        pos: usize,
        cmds: &[Vec<Bytes>],
        ts: u64,
        replies: &mut Vec<Reply>,
        events: &mut Vec<KeyEvent>,
    ) -> usize {
        let flags = self.notify_flags;
        let mut n = 0;
        for argv in cmds {
            let [name, key, value] = argv.as_slice() else {
                break;
            };
            if !name.eq_ignore_ascii_case(b"SET") {
                break;
            }
            let slot = key_slot(key);
            let dk = keys::data_key_bytes(slot, key);
            let (rec, enc) = crate::cache::own_encoded(Record::string(value.clone(), ts));
            // The cached entry is read and replaced in one probe; a key
            // not cached is looked up in the overlay and cached after.
            let ukey = dk.slice(keys::DATA_KEY_PREFIX..);
            let cached = self
                .cache
                .borrow_mut()
                .replace_cached(&ukey, |old| Some((Some(rec.clone()), plain_meta(old)?)));
            let old_exp = match cached {
                Some(Some(old_exp)) => old_exp,
                Some(None) => break,
                None => {
                    let Some(old_exp) = self.unwritten(&dk).and_then(|e| plain_meta(&e.rec)) else {
                        break;
                    };
                    self.cache
                        .borrow_mut()
                        .insert_encoded(ukey, Some(rec.clone()));
                    old_exp
                }
            };
            if self.watch_writes {
                self.written.push((pos, key.clone()));
            }
            if flags != 0 {
                // What a SET through the view emits (cmd::apply_write).
                let expired = matches!(old_exp, Some(Some(t)) if t <= ts);
                if expired {
                    push_event(events, flags, notify::EXPIRED, "expired", key);
                }
                if expired || old_exp.is_none() {
                    push_event(events, flags, notify::NEW, "new", key);
                }
                push_event(events, flags, notify::STRING, "set", key);
            }
            self.record_written(pos, key, slot, old_exp, dk, Some((rec, enc)));
            replies.push(Reply::ok());
            n += 1;
        }
        n
    }

    /// The overlay's entry of data key `dk` (the newer generation wins):
    /// the newest record of a key written but not yet in fjall.
    fn unwritten(&self, dk: &[u8]) -> Option<&OverlayEntry> {
        self.overlay.get(dk).or_else(|| self.overlay_old.get(dk))
    }

    /// Apply of group `pos` waits at entry `idx` because a read failed:
    /// logged and counted once per entry, however many turns it retries.
    fn note_stall(&mut self, pos: usize, idx: u64, err: StoreError) {
        let Some(g) = self.groups.get_mut(pos) else {
            return;
        };
        if g.stalled.as_ref().is_none_or(|(i, _)| *i != idx) {
            eprintln!(
                "corekv: group {}: apply waits at entry {idx}, retrying every turn: {err}",
                g.id
            );
            self.engine
                .health
                .apply_stalls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        g.stalled = Some((idx, err));
    }

    /// Whether some group's apply is waiting on a failed read.
    pub fn apply_stalled(&self) -> bool {
        self.groups.iter().any(|g| g.stalled.is_some())
    }

    fn apply_conf_change(&mut self, pos: usize, e: &Entry) -> Result<Reply, ShardError> {
        let Some(g) = self.groups.get_mut(pos) else {
            return Ok(Reply::ok());
        };
        let gid = g.id;
        let cc = ConfChangeV2::parse_from_bytes(&e.data).map_err(|_| ShardError::Corrupt(gid))?;
        // The context announces a new node's address: "id=host:port".
        if let Some((id, addr)) = std::str::from_utf8(&cc.context)
            .ok()
            .and_then(|c| c.split_once('='))
            .and_then(|(i, a)| Some((i.parse::<u64>().ok()?, a.to_string())))
        {
            self.job.data.push(DataOp::RaftPut(
                keys::node_addr_key(gid, id),
                addr.clone().into_bytes(),
            ));
            self.announced.push((id, addr));
        }
        let cs = match g.raw.apply_conf_change(&cc) {
            Ok(cs) => cs,
            // Invalid for this configuration (raft-rs checked it at
            // proposal time, so only a stale duplicate gets here).
            Err(e) => {
                return Ok(errors::err(&format!(
                    "ERR membership change not applied: {e}"
                )));
            }
        };
        g.raw.mut_store().cs = cs.clone();
        let bytes = cs.write_to_bytes().map_err(|_| ShardError::Corrupt(gid))?;
        self.job
            .data
            .push(DataOp::RaftPut(keys::raft_key(gid, b'c'), bytes));
        Ok(Reply::ok())
    }

    fn apply_admin(&mut self, pos: usize, rec: &[u8]) -> Reply {
        if let Some(op) = rec.strip_prefix(ACL_ADMIN) {
            return self.apply_acl(pos, op);
        }
        let Some(g) = self.groups.get_mut(pos) else {
            return Reply::ok();
        };
        if let Some(n) = std::str::from_utf8(rec)
            .ok()
            .and_then(|r| r.strip_prefix("prefer="))
            .and_then(|n| n.parse::<u64>().ok())
        {
            g.preferred = Some(n);
            g.last_transfer = None;
            self.job.data.push(DataOp::RaftPut(
                keys::raft_key(g.id, b'p'),
                n.to_be_bytes().to_vec(),
            ));
        }
        Reply::ok()
    }

    /// An ACL change, applied the same way on every replica of group 0.
    fn apply_acl(&mut self, pos: usize, op: &[u8]) -> Reply {
        if self.groups.get(pos).is_none_or(|g| g.id != 0) {
            return errors::err("ERR ACL changes belong to the meta group");
        }
        let Some((_, mut cmds)) = decode_batch(&Bytes::copy_from_slice(op)) else {
            return errors::err("ERR corrupt ACL change");
        };
        let args = cmds.pop().unwrap_or_default();
        let mut acl = match &self.acl {
            Some(b) => match corekv_core::acl::Acl::decode(b) {
                Some(a) => a,
                // Never written by this code: refuse rather than reset.
                None => return errors::err("ERR stored ACL state does not decode"),
            },
            None => corekv_core::acl::Acl::default(),
        };
        let reply = corekv_core::acl::apply_op(&mut acl, &args);
        if !reply.is_error() {
            let blob = acl.encode();
            self.job
                .data
                .push(DataOp::RaftPut(keys::raft_key(0, ACL_TAG), blob.clone()));
            self.acl = Some(blob);
            self.acl_changed = true;
        }
        reply
    }

    pub fn take_completions(&mut self) -> Vec<(Token, Reply)> {
        std::mem::take(&mut self.completions)
    }

    /// The writes of this turn, if any, for the persist thread.
    pub fn take_job(&mut self) -> Option<PersistJob> {
        if self.job.is_empty() {
            return None;
        }
        let seq = self.job.seq;
        let mut job = std::mem::replace(
            &mut self.job,
            PersistJob {
                seq: seq + 1,
                ..Default::default()
            },
        );
        job.short_window =
            self.view_taken.replace(false) || self.el_overlay.len() >= EL_OVERLAY_SHORT;
        self.overlay_log.push_back((seq, job.data.share()));
        if self.log_bytes >= self.segment_bytes {
            self.checkpoint();
        }
        Some(job)
    }

    /// Starts the next job's log with a new segment holding every group's
    /// hard state and live log (entries above its truncation point), so
    /// every older segment can go once this job's data half is durable
    /// (docs/design/0020). Must run before anything else is added to the
    /// job's log.
    fn checkpoint(&mut self) {
        let mut recs = Vec::with_capacity(self.groups.len() * 2);
        for g in &self.groups {
            let store = g.raw.store();
            recs.push(LogRec::Hard(g.id, store.hs.clone()));
            // Nothing when the log is empty: older segments hold only
            // entries at or below the truncation point then, and those must
            // stay readable until the data half covering them is durable.
            if !store.entries.is_empty() {
                recs.push(LogRec::Entries(g.id, store.entries.clone()));
            }
        }
        recs.append(&mut self.job.log);
        self.job.log = recs;
        self.job.rotate = true;
        // The checkpoint does not count towards the next rotation: a live
        // tail near the segment size would otherwise rotate at every job.
        self.log_bytes = 0;
    }

    /// The persist thread made job `seq` (and all before it) durable, both
    /// halves.
    pub fn on_persisted(&mut self, seq: u64, readies: &[(u32, u64)]) {
        self.on_log_persisted(readies);
        self.on_data_written(seq);
    }

    /// The log half of some jobs is durable: acknowledge their readies.
    pub fn on_log_persisted(&mut self, readies: &[(u32, u64)]) {
        for &(gid, number) in readies {
            if let Some(g) = self.groups.iter_mut().find(|g| g.id == gid) {
                g.raw.on_persist_ready(number);
                g.inflight = g.inflight.saturating_sub(1);
                if let Some((n, idx)) = g.snap_ready
                    && n <= number
                {
                    g.snap_ready = None;
                    if g.raw.raft.raft_log.applied < idx {
                        g.raw.advance_apply_to(idx);
                    }
                }
                while g.held.front().is_some_and(|h| h.0 <= number) {
                    if let Some((_, msgs)) = g.held.pop_front() {
                        self.outgoing.extend(msgs.into_iter().map(|m| (gid, m)));
                    }
                }
            }
        }
    }

    /// The data half of jobs up to `seq` is in fjall: their overlay entries
    /// can go, reads find them on disk.
    pub fn on_data_written(&mut self, seq: u64) {
        self.persisted_seq = self.persisted_seq.max(seq);
        while self.overlay_log.front().is_some_and(|(s, _)| *s <= seq) {
            let Some((_, ops)) = self.overlay_log.pop_front() else {
                break;
            };
            self.el_trim.push_back(ops);
        }
        self.trim_el_overlay();
        // Records go by generation: the old one once all its jobs are
        // written, and the current one becomes old (its entries belong to
        // jobs up to the one this turn is building).
        if seq >= self.overlay_old_through {
            self.overlay_old.clear();
            if !self.overlay.is_empty() {
                std::mem::swap(&mut self.overlay, &mut self.overlay_old);
                self.overlay_old_through = self.job.seq;
            }
        }
        while self.clears.front().is_some_and(|c| c.0 <= seq) {
            self.clears.pop_front();
        }
    }

    /// Removes written element keys from the element overlay, at most
    /// [`EL_TRIM_PER_TURN`] ops' worth per call.
    fn trim_el_overlay(&mut self) {
        let seq = self.persisted_seq;
        let mut budget = EL_TRIM_PER_TURN;
        while budget > 0 {
            let Some(ops) = self.el_trim.front() else {
                break;
            };
            let end = (self.el_trim_at + budget).min(ops.len());
            for op in ops.get(self.el_trim_at..end).unwrap_or(&[]) {
                // One search: removed, and put back in the rare case it
                // was written again since (two searches per op made this
                // a third of the core thread under ZADD).
                if let DataOp::ElPut(k, _) | DataOp::ElDel(k) = op
                    && let Some((k, e)) = self.el_overlay.remove_entry(k.as_ref())
                    && e.seq > seq
                {
                    self.el_overlay.insert(k, e);
                }
            }
            budget -= end - self.el_trim_at;
            if end >= ops.len() {
                self.el_trim.pop_front();
                self.el_trim_at = 0;
            } else {
                self.el_trim_at = end;
            }
        }
    }

    pub fn overlay_len(&self) -> usize {
        self.overlay.len() + self.overlay_old.len()
    }

    fn clear_pending(&self, slot: u16) -> bool {
        self.clears
            .iter()
            .any(|&(_, from, to)| slot >= from && slot < to)
    }

    /// The newest record of `key`: row cache, overlay, then fjall. A failed
    /// read (or a record that does not decode) is an error and is not
    /// cached: the next read tries the disk again.
    fn get_record(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        if let Some(rec) = self.cache.borrow().get(key) {
            return Ok(rec.clone());
        }
        let slot = key_slot(key);
        let dk = keys::data_key(slot, key);
        if let Some(e) = self.unwritten(&dk) {
            return Ok(e.rec.clone());
        }
        if self.clear_pending(slot) {
            return Ok(None);
        }
        let rec = match self.engine.read_data(&dk) {
            Ok(Some(v)) => Some(crate::snapshot::decode(&self.engine.health, key, &v)?),
            Ok(None) => None,
            Err(e) => return Err(crate::snapshot::read_error(e)),
        };
        // `Record::decode` copied the value out of fjall's block: it owns
        // its buffer, so the cache takes it without another copy.
        self.cache
            .borrow_mut()
            .insert_owned(Bytes::copy_from_slice(key), rec.clone());
        Ok(rec)
    }

    fn scan_records(
        &self,
        from: u16,
        to: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        let disk = self
            .engine
            .data_range(from, to)
            .map_err(crate::snapshot::read_error)?;
        let over = self.overlay_range(from, to);
        crate::snapshot::merge_scan(
            &over,
            disk,
            &|slot| self.clear_pending(slot),
            &self.engine.health,
            visit,
        )
    }

    /// The newest value of one element: overlay, then fjall (elements are
    /// not in the row cache: a range read must not evict the working set,
    /// and fjall's block cache serves point reads).
    fn get_elem(&self, ek: &[u8]) -> Result<Option<Bytes>, StoreError> {
        // The cache first: a write updates a cached element, and a clear
        // empties it (no entry can come back while the clear is pending:
        // reads then return before filling it), so a hit is the newest
        // value, and saves the ordered overlay's search.
        if let Some(v) = self.el_cache.borrow().get(ek) {
            return Ok(v.clone());
        }
        if let Some(e) = self.el_overlay.get(ek) {
            return Ok(e.val.clone());
        }
        if keys::elem_ns(ek).is_some_and(|ns| self.clear_pending(ns.slot)) {
            return Ok(None);
        }
        match self.engine.read_elem(ek) {
            Ok(v) => {
                let v = v.map(|v| Bytes::copy_from_slice(&v));
                self.el_cache
                    .borrow_mut()
                    .insert(Bytes::copy_from_slice(ek), v.as_deref());
                Ok(v)
            }
            Err(e) => Err(crate::snapshot::read_error(e)),
        }
    }

    /// Visits the newest elements of `ns` in `range` (element keys), disk
    /// with the overlay laid over it.
    fn elem_range(
        &self,
        ns: Ns,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        rev: bool,
        visit: &mut elems::Visit<'_>,
    ) -> Result<(), StoreError> {
        let top = elems::overlay_iter(&self.el_overlay, elems::as_ref(range), rev, |e| {
            e.val.as_deref()
        });
        let cleared = self.clear_pending(ns.slot);
        elems::layer(
            top,
            rev,
            &mut |f| {
                if cleared {
                    return Ok(());
                }
                let iter = self
                    .engine
                    .elem_range(range.0.clone(), range.1.clone())
                    .map_err(crate::snapshot::read_error)?;
                elems::visit_disk(iter, rev, &self.engine.health, f)
            },
            visit,
        )
    }

    fn write_element(&mut self, ek: Bytes, val: Option<Bytes>) {
        let seq = self.job.seq;
        self.job.data.push(match &val {
            Some(v) => DataOp::ElPut(ek.clone(), v.clone()),
            None => DataOp::ElDel(ek.clone()),
        });
        self.el_cache.borrow_mut().update(&ek, val.as_deref());
        self.el_overlay
            .insert(elems::ElKey::new(&ek), ElEntry { val, seq });
    }

    /// Collection `ns` of group `pos` was dropped with `len` elements: they
    /// are garbage, purged by [`Shard::sweep`] on every replica.
    fn add_garbage(&mut self, pos: usize, ns: Ns, len: u64) {
        let Some(g) = self.groups.get(pos) else {
            return;
        };
        self.job.data.push(DataOp::RaftPut(
            keys::garbage_key(g.id, ns),
            len.to_be_bytes().to_vec(),
        ));
        self.garbage.push_back(Garbage {
            gid: g.id,
            ns,
            after_seq: self.job.seq,
        });
    }

    /// Deletes up to [`elems::SWEEP_CHUNK`] elements of dropped
    /// collections (local writes, not through Raft: every replica drops
    /// the same collections at the same log index and purges them at its
    /// own pace). Returns how many it deleted. Runs once per tick.
    pub fn sweep(&mut self) -> usize {
        let mut budget = elems::SWEEP_CHUNK;
        let mut deleted = 0;
        let mut tries = self.garbage.len();
        while budget > 0 && tries > 0 {
            tries -= 1;
            let Some(gb) = self.garbage.pop_front() else {
                break;
            };
            if gb.after_seq > self.persisted_seq {
                self.garbage.push_back(gb);
                continue;
            }
            let range = elems::bounds(gb.ns, Bound::Unbounded, Bound::Unbounded);
            let mut doomed: Vec<Bytes> = Vec::new();
            let read = self
                .engine
                .elem_range(range.0, range.1)
                .map_err(crate::snapshot::read_error)
                .and_then(|iter| {
                    elems::visit_disk(iter, false, &self.engine.health, &mut |k, _| {
                        doomed.push(Bytes::copy_from_slice(k));
                        doomed.len() < budget
                    })
                });
            if read.is_err() {
                // Tried again next tick; nothing reads these elements.
                self.garbage.push_back(gb);
                break;
            }
            let done = doomed.len() < budget;
            budget -= doomed.len();
            deleted += doomed.len();
            for k in doomed {
                self.job.data.push(DataOp::ElDel(k));
            }
            if done {
                self.job
                    .data
                    .push(DataOp::RaftDel(keys::garbage_key(gb.gid, gb.ns)));
            } else {
                self.garbage.push_back(Garbage {
                    after_seq: self.job.seq,
                    ..gb
                });
            }
        }
        deleted
    }

    /// Whether to collect the keys applied writes change (see
    /// [`Shard::take_written`]); on while clients block on keys.
    pub fn set_watch_writes(&mut self, on: bool) {
        self.watch_writes = on;
        if !on {
            self.written.clear();
            self.flushed = false;
        }
    }

    /// Whether a group was flushed since the last call (its keys are not
    /// in [`Shard::take_written`]), while [`Shard::set_watch_writes`] is on.
    pub fn take_flushed(&mut self) -> bool {
        std::mem::take(&mut self.flushed)
    }

    /// This node's `notify-keyspace-events` flags (`corekv_core::notify`):
    /// while they select some class and K or E, every applied entry's
    /// keyspace events are collected for [`Shard::take_key_events`]; else
    /// none are (the default costs nothing). Events already collected are
    /// kept.
    pub fn set_notify(&mut self, flags: u32) {
        self.notify_flags = if notify::collects(flags) { flags } else { 0 };
    }

    /// The keyspace events of every entry applied since the last call, as
    /// (group id, event), in apply order: each applied entry's exactly
    /// once (an entry that stalls and is retried contributes only when it
    /// finally applies), on every replica that applies it, only the
    /// classes [`Shard::set_notify`]'s flags select.
    pub fn take_key_events(&mut self) -> Vec<(u32, KeyEvent)> {
        std::mem::take(&mut self.key_events)
    }

    /// (group pos, user key) of every key a write applied since the last
    /// call changed, while [`Shard::set_watch_writes`] is on.
    pub fn take_written(&mut self) -> Vec<(usize, Bytes)> {
        std::mem::take(&mut self.written)
    }

    /// Collections dropped and not yet purged.
    pub fn garbage_len(&self) -> usize {
        self.garbage.len()
    }

    /// Overlay entries of slots `from..to`, sorted by data key.
    fn overlay_range(&self, from: u16, to: u16) -> Vec<(Bytes, Option<Record>)> {
        let in_range =
            |k: &Bytes| keys::split_data_key(k).is_some_and(|(s, _)| s >= from && s < to);
        let mut over: Vec<(Bytes, Option<Record>)> = self
            .overlay
            .iter()
            .chain(
                self.overlay_old
                    .iter()
                    .filter(|(k, _)| !self.overlay.contains_key(*k)),
            )
            .filter(|(k, _)| in_range(k))
            .map(|(k, e)| (k.clone(), e.rec.clone()))
            .collect();
        over.sort_by(|a, b| a.0.cmp(&b.0));
        over
    }

    /// Whether `key`'s newest record may not be in fjall yet: it is in a
    /// record overlay, or its slot has a range clear pending. Otherwise a
    /// fjall snapshot taken now holds it (a generation of the overlay is
    /// dropped only once fjall has its writes).
    fn record_unwritten(&self, key: &[u8]) -> bool {
        let slot = key_slot(key);
        self.clear_pending(slot) || self.unwritten(&keys::data_key(slot, key)).is_some()
    }

    /// A view of group `pos` for a point read of `key` on a pool thread
    /// (io/src/miss.rs), reading `key`'s record straight from the snapshot
    /// without building the view's layers; `None` if that record may not
    /// be in fjall yet (the overlay answers it on the core, no disk read).
    pub fn clean_record_view(
        &self,
        pos: usize,
        key: &[u8],
    ) -> Option<crate::snapshot::SnapshotView> {
        if self.record_unwritten(key) {
            return None;
        }
        Some(self.snapshot_view(pos)?.for_clean_record(key))
    }

    /// The row cache, for the server's routing of cache misses
    /// (io/src/miss.rs): its probe, miss timing and fills from the pool.
    pub fn row_cache(&self) -> &RefCell<RowCache> {
        &self.cache
    }

    /// A consistent, `Send` view of group `pos` for the heavy pool: a fjall
    /// snapshot plus the unwritten jobs' data halves (shared, laid over it
    /// on the reading thread) and the pending clears, taken together on
    /// this thread (the data halves are newer than anything the snapshot
    /// can hold, and leave the shard only on this thread).
    pub fn snapshot_view(&self, pos: usize) -> Option<crate::snapshot::SnapshotView> {
        let g = self.groups.get(pos)?;
        self.view_taken.set(true);
        let snapshot = self.engine.db.snapshot();
        // The unwritten jobs' data halves, shared: the heavy thread lays
        // them over the fjall snapshot (a copy here would cost the executor
        // time in proportion to the write-behind window).
        let mut chunks: Vec<Arc<Vec<DataOp>>> = self
            .overlay_log
            .iter()
            .map(|(_, ops)| ops.clone())
            .collect();
        chunks.push(self.job.data.share());
        Some(
            crate::snapshot::SnapshotView::new(
                snapshot,
                self.engine.data.clone(),
                chunks,
                self.clears.iter().map(|&(_, a, b)| (a, b)).collect(),
                g.key_count,
                g.slots.clone(),
                self.engine.health.clone(),
                self.engine.elem.clone(),
                self.garbage
                    .iter()
                    .filter(|gb| gb.gid == g.id)
                    .map(|gb| gb.ns)
                    .collect(),
            )
            .with_txn(&g.txn)
            .with_acl(if g.id == 0 { self.acl.as_deref() } else { None }),
        )
    }

    fn write_record(&mut self, pos: usize, key: &[u8], old: Option<Record>, rec: Option<Record>) {
        self.write_record_exp(pos, key, old.map(|r| r.expire_at_ms), rec);
    }

    /// [`Shard::write_record`] given only what it needs of the old record:
    /// `None` if absent, else its expiry.
    fn write_record_exp(
        &mut self,
        pos: usize,
        key: &[u8],
        old: Option<Option<u64>>,
        rec: Option<Record>,
    ) {
        let slot = key_slot(key);
        let dk = keys::data_key_bytes(slot, key);
        // One allocation serves the overlay, the persist job and the cache:
        // the user key is a slice of the data key, the value one of the
        // encoded record (not of the Raft batch: crate::cache).
        let written = rec.map(crate::cache::own_encoded);
        self.cache.borrow_mut().insert_encoded(
            dk.slice(keys::DATA_KEY_PREFIX..),
            written.as_ref().map(|(r, _)| r.clone()),
        );
        self.record_written(pos, key, slot, old, dk, written);
    }

    /// The rest of a record write once the cache has it: key count,
    /// expiry index, the persist job's op and the overlay. `written` is
    /// [`crate::cache::own_encoded`]'s record and encoding (`None` for a
    /// delete).
    fn record_written(
        &mut self,
        pos: usize,
        key: &[u8],
        slot: u16,
        old: Option<Option<u64>>,
        dk: Bytes,
        written: Option<(Record, Bytes)>,
    ) {
        let (rec, op) = match written {
            Some((r, enc)) => (Some(r), DataOp::Put(dk.clone(), enc)),
            None => (None, DataOp::Del(dk.clone())),
        };
        if let Some(g) = self.groups.get_mut(pos) {
            match (&old, &rec) {
                (None, Some(_)) => g.key_count += 1,
                (Some(_), None) => g.key_count = g.key_count.saturating_sub(1),
                _ => {}
            }
        }
        let old_exp = old.flatten();
        let new_exp = rec.as_ref().and_then(|r| r.expire_at_ms);
        if old_exp != new_exp {
            if let Some(t) = old_exp {
                self.expiry.remove(&(t, slot, key.to_vec()));
                self.job
                    .data
                    .push(DataOp::ExpireDel(keys::expire_key(t, slot, key)));
            }
            if let Some(t) = new_exp {
                self.expiry.insert((t, slot, key.to_vec()));
                self.job
                    .data
                    .push(DataOp::ExpirePut(keys::expire_key(t, slot, key)));
            }
        }
        self.job.data.push(op);
        self.overlay.insert(dk, OverlayEntry { rec });
    }

    fn clear_group(&mut self, pos: usize, from: u16, to: u16) {
        let seq = self.job.seq;
        if let Some(g) = self.groups.get_mut(pos) {
            g.key_count = 0;
        }
        self.overlay
            .retain(|k, _| !keys::split_data_key(k).is_some_and(|(s, _)| s >= from && s < to));
        self.overlay_old
            .retain(|k, _| !keys::split_data_key(k).is_some_and(|(s, _)| s >= from && s < to));
        self.el_overlay.retain(|k, _| {
            !keys::elem_ns(k.as_slice()).is_some_and(|ns| ns.slot >= from && ns.slot < to)
        });
        // The range clear takes the dropped collections' elements too.
        let mut gone = Vec::new();
        self.garbage.retain(|gb| {
            let inside = gb.ns.slot >= from && gb.ns.slot < to;
            if inside {
                gone.push(keys::garbage_key(gb.gid, gb.ns));
            }
            !inside
        });
        self.job.data.extend(gone.into_iter().map(DataOp::RaftDel));
        self.cache.borrow_mut().clear();
        self.el_cache.borrow_mut().clear();
        self.expiry.retain(|(_, s, _)| *s < from || *s >= to);
        self.job.data.push(DataOp::Clear(from, to));
        self.clears.push_back((seq, from, to));
    }
}

/// Opens one group from its fjall state and what the log segments hold for
/// it (`logged`). Versions before the segmented log kept the log and hard
/// state in fjall's raft keyspace: what is found there is used when the
/// segments know nothing of the group, rewritten into a segment by the
/// open's checkpoint, and deleted by that job's data half.
fn open_group(
    engine: &Engine,
    spec: &GroupSpec,
    job: &mut PersistJob,
    cluster: &Cluster,
    logged: Option<wal::GroupLog>,
) -> Result<Group, ShardError> {
    let gid = spec.id;
    let get = |tag: u8| {
        engine
            .raft
            .get(keys::raft_key(gid, tag))
            .map_err(EngineError::from)
    };
    let legacy_hs = match get(b'h')? {
        Some(v) => {
            job.data.push(DataOp::RaftDel(keys::raft_key(gid, b'h')));
            Some(HardState::parse_from_bytes(&v).map_err(|_| ShardError::Corrupt(gid))?)
        }
        None => None,
    };
    let mut hs = logged
        .as_ref()
        .and_then(|l| l.hs.clone())
        .or(legacy_hs)
        .unwrap_or_default();
    let mut bootstrap = false;
    let cs = match get(b'c')? {
        Some(v) => ConfState::parse_from_bytes(&v).map_err(|_| ShardError::Corrupt(gid))?,
        // Joining: no configuration until a leader's snapshot brings one.
        None if cluster.join => ConfState::default(),
        None => {
            // A new group starts from a snapshot at index 1 holding the
            // initial voters, so a node added later always receives a
            // snapshot (with the configuration) rather than replaying a
            // log that never mentions the first voters.
            let cs = ConfState {
                voters: cluster.voters.clone(),
                ..Default::default()
            };
            let bytes = cs.write_to_bytes().map_err(|_| ShardError::Corrupt(gid))?;
            job.raft_puts.push((keys::raft_key(gid, b'c'), bytes));
            job.raft_puts
                .push((keys::raft_key(gid, b't'), keys::u64_pair(1, 1)));
            // The hard state goes to the log with the open's checkpoint.
            hs.term = hs.term.max(1);
            hs.commit = hs.commit.max(1);
            bootstrap = true;
            cs
        }
    };
    let preferred = get(b'p')?.and_then(|v| Some(u64::from_be_bytes(v.as_ref().try_into().ok()?)));
    let (applied, key_count) = match get(b'a')? {
        Some(v) => keys::read_u64_pair(&v).ok_or(ShardError::Corrupt(gid))?,
        None => (0, 0),
    };
    // Transactions prepared or decided here, as of the applied index.
    let txn = match get(b'x')? {
        Some(v) => crate::txn::TxnState::decode(&v).ok_or(ShardError::Corrupt(gid))?,
        None => crate::txn::TxnState::default(),
    };
    let (trunc_idx, trunc_term) = match get(b't')? {
        Some(v) => keys::read_u64_pair(&v).ok_or(ShardError::Corrupt(gid))?,
        None if bootstrap => (1, 1),
        None => (0, 0),
    };
    let legacy_entries = legacy_log(engine, gid, trunc_idx + 1, job)?;
    let mut replayed = match logged {
        Some(l) => l.entries,
        None => legacy_entries,
    };
    // Log matching: entries after the truncation point continue the
    // history only if the entry at it (when still held) has its term. A
    // snapshot installed just before a crash can leave an older history in
    // the segments (its reset is written after its data).
    if trunc_idx > 0
        && replayed
            .iter()
            .find(|e| e.index == trunc_idx)
            .is_some_and(|e| e.term != trunc_term)
    {
        replayed.clear();
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(replayed.len());
    let mut next = trunc_idx + 1;
    for e in replayed {
        if e.index < next {
            continue;
        }
        if e.index != next {
            // A gap: nothing after it was ever acknowledged.
            break;
        }
        entries.push(e);
        next += 1;
    }
    let mut store = LogStore {
        hs: HardState::default(),
        cs,
        truncated_index: trunc_idx,
        truncated_term: trunc_term,
        bytes: crate::log::payload_bytes(&entries),
        entries,
        applied: 0,
    };
    let last = store.last_index();
    // Anything applied was committed; the hard state may lag the applied
    // marker because they are written in different turns, and commit-only
    // moves are kept under their own key.
    let commit = get(b'k')?
        .and_then(|v| Some(u64::from_be_bytes(v.as_ref().try_into().ok()?)))
        .unwrap_or(0);
    hs.commit = hs.commit.max(commit).max(applied).min(last);
    store.hs = hs;
    let applied = applied.min(last).max(trunc_idx);
    store.applied = applied;
    let cfg = raft::Config {
        id: cluster.node_id,
        election_tick: 10,
        heartbeat_tick: 2,
        applied,
        max_size_per_msg: 1 << 20,
        max_inflight_msgs: 256,
        pre_vote: true,
        check_quorum: true,
        ..Default::default()
    };
    cfg.validate()?;
    let raw = RawNode::new(&cfg, store, &logger())?;
    Ok(Group {
        id: gid,
        slots: spec.slots.clone(),
        raw,
        applied,
        key_count,
        proposals: VecDeque::new(),
        inflight: 0,
        held: VecDeque::new(),
        lease_until: None,
        read_req: None,
        last_transfer: None,
        snap_ready: None,
        preferred,
        fread: FollowerReads::default(),
        deposed_at: None,
        backlog: VecDeque::new(),
        stalled: None,
        txn,
    })
}

fn sorted(v: &[u64]) -> Vec<u64> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}

/// Whether group `g` has one voter (no lease needed: it is its own quorum).
fn single_voter(g: &Group) -> bool {
    g.raw.raft.prs().conf().voters().ids().len() <= 1
}

struct ReadView<'a> {
    shard: &'a Shard,
    group: &'a Group,
}

impl Store for ReadView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        self.shard.get_record(key)
    }
    fn put(&mut self, _key: &[u8], _rec: Record) -> Result<(), StoreError> {
        debug_assert!(false, "read-only view");
        Ok(())
    }
    fn delete(&mut self, _key: &[u8]) -> Result<(), StoreError> {
        debug_assert!(false, "read-only view");
        Ok(())
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        self.shard.scan_records(from_slot, to_slot, visit)
    }
    fn clear(&mut self, _from_slot: u16, _to_slot: u16) {
        debug_assert!(false, "read-only view");
    }
    fn len(&self) -> u64 {
        self.group.key_count
    }
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.shard.get_elem(&keys::elem_key(ns, sub))
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let range = elems::bounds(ns, lo, hi);
        self.shard.elem_range(ns, &range, rev, &mut |k, v| {
            visit(k.get(keys::ELEM_KEY_PREFIX..).unwrap_or(&[]), v)
        })
    }
    fn el_put(&mut self, _ns: Ns, _sub: &[u8], _value: Bytes) {
        debug_assert!(false, "read-only view");
    }
    fn el_del(&mut self, _ns: Ns, _sub: &[u8]) {
        debug_assert!(false, "read-only view");
    }
    fn new_id(&mut self) -> u64 {
        debug_assert!(false, "read-only view");
        0
    }
}

/// Positions in `argv` of the keys a write command reads: the key positions
/// of the table entry apply runs (`table::find`, as `cmd::apply_write`
/// does; internal writes such as COREKV.EXPIREIF are entries too). A name
/// the table does not know reads nothing: apply answers it the
/// unknown-command error without touching the store.
pub fn write_keys(argv: &[Bytes]) -> impl Iterator<Item = usize> {
    key_positions(corekv_core::table::find(argv), argv)
}

/// The key positions routing uses (`table::all_key_positions`: the legacy
/// range, or for a movablekeys command such as LMPOP every key its key
/// specs find); none for a command the table does not know.
fn key_positions(
    spec: Option<&corekv_core::table::CommandSpec>,
    argv: &[Bytes],
) -> impl Iterator<Item = usize> {
    spec.map(|spec| corekv_core::table::all_key_positions(spec, argv))
        .into_iter()
        .flatten()
}

/// The store one entry's commands apply against. Reads come from the
/// entry's prefetched records (then the shard); writes are staged here and
/// reach the shard only when the whole entry ran ([`ApplyView::commit`]),
/// so a read that fails halfway leaves nothing of the entry applied: it
/// waits and runs again, the same on every replica (docs/design/0016,
/// 0019).
struct ApplyView<'a> {
    shard: &'a mut Shard,
    pos: usize,
    pre: &'a mut Prefetched,
    /// Element writes of this entry by element key (`None`: deleted).
    els: BTreeMap<Bytes, Option<Bytes>>,
    /// Collections this entry dropped: (namespace, element count).
    garbage: Vec<(Ns, u64)>,
    /// The next collection id: the entry's index in the top 40 bits.
    next_id: u64,
    /// Writes were committed before the entry ended (a FLUSH's clear); a
    /// later failed read can no longer be undone.
    partial: bool,
    /// The first read that failed: the entry is abandoned.
    failed: RefCell<Option<StoreError>>,
    /// The shard's `notify_flags`, 0 when not collecting.
    notify_flags: u32,
    /// Keyspace events of this entry so far (handed over by `commit`).
    events: Vec<KeyEvent>,
}

impl<'a> ApplyView<'a> {
    fn new(shard: &'a mut Shard, pos: usize, pre: &'a mut Prefetched, index: u64) -> Self {
        let notify_flags = shard.notify_flags;
        ApplyView {
            shard,
            pos,
            pre,
            els: BTreeMap::new(),
            garbage: Vec::new(),
            next_id: index << 24,
            partial: false,
            failed: RefCell::new(None),
            notify_flags,
            events: Vec::new(),
        }
    }

    fn fail(&self, e: &StoreError) {
        let mut f = self.failed.borrow_mut();
        if f.is_none() {
            *f = Some(e.clone());
        }
    }

    /// The key's entry in `pre`, read from the shard if the prefetch did
    /// not (a command reading outside its key positions).
    fn slot(&mut self, key: &[u8]) -> Result<&mut PreKey, StoreError> {
        if !self.pre.contains_key(key) {
            let cur = self.shard.get_record(key).inspect_err(|e| self.fail(e))?;
            self.pre
                .insert(Bytes::copy_from_slice(key), PreKey { cur, orig: None });
        }
        self.pre
            .get_mut(key)
            .ok_or_else(|| StoreError::new("apply: key vanished from the entry's map"))
    }

    /// Stages `key := new`; a collection it replaces becomes garbage.
    fn set(&mut self, key: &[u8], new: Option<Record>) -> Result<(), StoreError> {
        let p = self.slot(key)?;
        let dropped = p
            .cur
            .as_ref()
            .and_then(|r| r.garbage_ns(key))
            .filter(|(ns, _)| {
                new.as_ref()
                    .and_then(|r| r.coll_header())
                    .is_none_or(|c| c.id != ns.id)
            });
        let before = std::mem::replace(&mut p.cur, new);
        if p.orig.is_none() {
            p.orig = Some(before);
        }
        self.garbage.extend(dropped);
        Ok(())
    }

    /// Hands everything staged so far to the shard (overlay, cache,
    /// persist job).
    fn commit(&mut self) {
        for (key, p) in self.pre.iter_mut() {
            if let Some(orig) = p.orig.take()
                && (orig.is_some() || p.cur.is_some())
            {
                if self.shard.watch_writes {
                    self.shard.written.push((self.pos, key.clone()));
                }
                self.shard.write_record(self.pos, key, orig, p.cur.clone());
            }
        }
        for (ek, v) in std::mem::take(&mut self.els) {
            self.shard.write_element(ek, v);
        }
        for (ns, len) in std::mem::take(&mut self.garbage) {
            self.shard.add_garbage(self.pos, ns, len);
        }
        if !self.events.is_empty() {
            let gid = self.shard.groups.get(self.pos).map_or(0, |g| g.id);
            self.shard
                .key_events
                .extend(self.events.drain(..).map(|e| (gid, e)));
        }
    }
}

impl Store for ApplyView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        match self.pre.get(key) {
            Some(p) => Ok(p.cur.clone()),
            None => self.shard.get_record(key).inspect_err(|e| self.fail(e)),
        }
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        self.set(key, Some(rec))
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        // Deleting an absent key writes nothing.
        if self.slot(key)?.cur.is_some() {
            self.set(key, None)?;
        }
        Ok(())
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        // No write scans today; one that did would not see this entry's
        // staged writes.
        self.shard
            .scan_records(from_slot, to_slot, visit)
            .inspect_err(|e| self.fail(e))
    }
    fn clear(&mut self, from_slot: u16, to_slot: u16) {
        // The clear goes to the shard at once, after what came before it.
        self.commit();
        self.partial = true;
        if self.shard.watch_writes {
            self.shard.flushed = true;
        }
        self.shard.clear_group(self.pos, from_slot, to_slot);
        for (k, p) in self.pre.iter_mut() {
            if (from_slot..to_slot).contains(&key_slot(k)) {
                p.cur = None;
            }
        }
    }
    fn len(&self) -> u64 {
        self.shard.groups.get(self.pos).map_or(0, |g| g.key_count)
    }
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        let ek = keys::elem_key(ns, sub);
        if let Some(v) = self.els.get(ek.as_slice()) {
            return Ok(v.clone());
        }
        self.shard.get_elem(&ek).inspect_err(|e| self.fail(e))
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let range = elems::bounds(ns, lo, hi);
        let top = elems::overlay_iter(&self.els, elems::as_ref(&range), rev, |v| v.as_deref());
        elems::layer(
            top,
            rev,
            &mut |f| self.shard.elem_range(ns, &range, rev, f),
            &mut |k, v| visit(k.get(keys::ELEM_KEY_PREFIX..).unwrap_or(&[]), v),
        )
        .inspect_err(|e| self.fail(e))
    }
    fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes) {
        self.els
            .insert(Bytes::from(keys::elem_key(ns, sub)), Some(value));
    }
    fn el_del(&mut self, ns: Ns, sub: &[u8]) {
        self.els.insert(Bytes::from(keys::elem_key(ns, sub)), None);
    }
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn notifying(&self) -> bool {
        self.notify_flags != 0
    }
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        push_event(&mut self.events, self.notify_flags, class, event, key);
    }
}

/// Adds an event if `flags` publish its class (nothing is copied for a
/// class no one listens to).
/// For [`Shard::apply_plain_sets`], what a plain SET needs of the old
/// record (cached or in the overlay): `Some(None)` if the key is absent,
/// `Some(Some(expiry))` if it holds an inline string; `None` for a record
/// with elements (their removal is the apply view's job).
fn plain_meta(r: &Option<Record>) -> Option<Option<Option<u64>>> {
    match r {
        None => Some(None),
        Some(r) if !r.has_elements() => Some(Some(r.expire_at_ms)),
        Some(_) => None,
    }
}

fn push_event(events: &mut Vec<KeyEvent>, flags: u32, class: u32, event: &'static str, key: &[u8]) {
    if notify::publishes(flags, class) {
        events.push(KeyEvent {
            class,
            event,
            key: Bytes::copy_from_slice(key),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corekv_core::Coll;

    fn open(dir: &std::path::Path) -> Shard {
        let engine = Engine::open(dir, 8 << 20).unwrap();
        let spec = GroupSpec {
            id: 1,
            slots: 0..corekv_core::slot::SLOTS,
        };
        let mut shard = Shard::open(engine, &[spec], 1 << 20).unwrap();
        persist_all(&mut shard);
        shard
    }

    fn persist_all(shard: &mut Shard) {
        for _ in 0..20 {
            shard.drive().unwrap();
            match shard.take_job() {
                Some(job) => {
                    shard
                        .engine
                        .persist(std::slice::from_ref(&job), true)
                        .unwrap();
                    shard.on_persisted(job.seq, &job.readies);
                }
                None => break,
            }
        }
    }

    /// Runs `f` as the commands of one entry (index `index`) and commits.
    fn entry(shard: &mut Shard, index: u64, f: impl FnOnce(&mut ApplyView<'_>)) {
        let mut pre = Prefetched::default();
        let mut view = ApplyView::new(shard, 0, &mut pre, index);
        f(&mut view);
        assert!(view.failed.get_mut().is_none());
        view.commit();
    }

    fn elements(shard: &Shard, ns: Ns, rev: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
        let g = shard.groups.first().unwrap();
        let view = ReadView { shard, group: g };
        let mut out = Vec::new();
        view.el_range(ns, Bound::Unbounded, Bound::Unbounded, rev, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            true
        })
        .unwrap();
        out
    }

    fn put_hash(v: &mut ApplyView<'_>, key: &[u8], n: u64) -> Ns {
        let id = v.new_id();
        let ns = Ns {
            slot: key_slot(key),
            id,
        };
        for i in 0..n {
            v.el_put(ns, &i.to_be_bytes(), Bytes::from(format!("v{i}")));
        }
        let mut c = Coll::new(id);
        c.len = n;
        v.put(key, Record::coll(corekv_core::Kind::Hash, &c, 1))
            .unwrap();
        ns
    }

    #[test]
    fn elements_merge_overlay_and_disk_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let mut ns = Ns { slot: 0, id: 0 };
        entry(&mut shard, 100, |v| ns = put_hash(v, b"h", 5));
        assert_eq!(ns.id, (100 << 24) + 1, "ids come from the entry index");
        // Part on disk, part only in the overlay: one ordered view.
        persist_all(&mut shard);
        assert!(shard.el_overlay.is_empty());
        entry(&mut shard, 101, |v| {
            v.el_del(ns, &1u64.to_be_bytes());
            v.el_put(ns, &3u64.to_be_bytes(), Bytes::from_static(b"new"));
            v.el_put(ns, &9u64.to_be_bytes(), Bytes::from_static(b"nine"));
            // Staged writes are visible inside the entry.
            assert_eq!(
                v.el_get(ns, &9u64.to_be_bytes()).unwrap(),
                Some(Bytes::from_static(b"nine"))
            );
            assert_eq!(v.el_get(ns, &1u64.to_be_bytes()).unwrap(), None);
        });
        let want: Vec<(Vec<u8>, Vec<u8>)> =
            [(0u64, "v0"), (2, "v2"), (3, "new"), (4, "v4"), (9, "nine")]
                .iter()
                .map(|(k, v)| (k.to_be_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
        assert_eq!(elements(&shard, ns, false), want);
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(elements(&shard, ns, true), rev);
        // The heavy pool's view sees the same.
        let snap = shard.snapshot_view(0).unwrap();
        let mut seen = Vec::new();
        snap.el_range(
            ns,
            Bound::Unbounded,
            Bound::Unbounded,
            false,
            &mut |k, v| {
                seen.push((k.to_vec(), v.to_vec()));
                true
            },
        )
        .unwrap();
        assert_eq!(seen, want);
        persist_all(&mut shard);
        drop(snap);
        drop(shard);
        let shard = open(dir.path());
        assert_eq!(elements(&shard, ns, false), want);
    }

    /// Jobs ask for the short write-behind window only when something pays
    /// for every unwritten op: a heavy-pool view taken since the last job,
    /// or an element overlay past its bound.
    #[test]
    fn a_job_asks_for_the_short_window_after_a_view_or_a_big_element_overlay() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let rec = |v: &'static str| Record::string(Bytes::from_static(v.as_bytes()), 1);
        entry(&mut shard, 100, |v| v.put(b"a", rec("1")).unwrap());
        assert!(
            !shard.take_job().unwrap().short_window,
            "plain writes: long"
        );
        let view = shard.snapshot_view(0).unwrap();
        entry(&mut shard, 101, |v| v.put(b"a", rec("2")).unwrap());
        assert!(shard.take_job().unwrap().short_window, "a view was taken");
        entry(&mut shard, 102, |v| v.put(b"a", rec("3")).unwrap());
        assert!(
            !shard.take_job().unwrap().short_window,
            "asked once per view"
        );
        drop(view);
        let mut ns = Ns { slot: 0, id: 0 };
        entry(&mut shard, 103, |v| {
            ns = put_hash(v, b"h", (EL_OVERLAY_SHORT - 1) as u64)
        });
        assert!(!shard.take_job().unwrap().short_window, "below the bound");
        entry(&mut shard, 104, |v| {
            v.el_put(ns, &u64::MAX.to_be_bytes(), Bytes::from_static(b"x"))
        });
        assert!(shard.take_job().unwrap().short_window, "at the bound");
    }

    /// The element cache answers point reads ahead of the overlay, so it
    /// must follow every write of a cached element and forget everything
    /// on a clear.
    #[test]
    fn the_element_cache_follows_writes_and_clears() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let mut ns = Ns { slot: 0, id: 0 };
        entry(&mut shard, 100, |v| ns = put_hash(v, b"h", 3));
        persist_all(&mut shard);
        shard.on_data_written(u64::MAX);
        let ek = |f: u64| Bytes::from(keys::elem_key(ns, &f.to_be_bytes()));
        // Filled by reads from disk, a hit and a known absence.
        assert_eq!(shard.get_elem(&ek(1)).unwrap(), Some(Bytes::from("v1")));
        assert_eq!(shard.get_elem(&ek(7)).unwrap(), None);
        assert!(shard.el_cache.borrow().get(&ek(1)).is_some());
        assert!(shard.el_cache.borrow().get(&ek(7)).is_some());
        // Writes of cached elements reach the cache.
        entry(&mut shard, 101, |v| {
            v.el_put(ns, &7u64.to_be_bytes(), Bytes::from_static(b"seven"));
            v.el_del(ns, &1u64.to_be_bytes());
        });
        assert_eq!(
            shard.el_cache.borrow().get(&ek(7)),
            Some(&Some(Bytes::from_static(b"seven")))
        );
        assert_eq!(shard.get_elem(&ek(1)).unwrap(), None);
        // A clear empties it: nothing of the hash is read back.
        entry(&mut shard, 102, |v| v.clear(0, corekv_core::slot::SLOTS));
        assert_eq!(shard.get_elem(&ek(7)).unwrap(), None);
        assert_eq!(shard.get_elem(&ek(2)).unwrap(), None);
        persist_all(&mut shard);
        shard.on_data_written(u64::MAX);
        assert_eq!(shard.get_elem(&ek(7)).unwrap(), None);
    }

    /// The miss pool reads a record straight from the snapshot, without
    /// the view's layers, only when the shard says it is not unwritten.
    #[test]
    fn a_record_is_unwritten_until_fjall_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let rec = |v: &'static str| Record::string(Bytes::from_static(v.as_bytes()), 1);
        entry(&mut shard, 100, |v| v.put(b"a", rec("1")).unwrap());
        assert!(shard.record_unwritten(b"a"));
        assert!(!shard.record_unwritten(b"b"));
        persist_all(&mut shard);
        shard.on_data_written(u64::MAX);
        shard.on_data_written(u64::MAX);
        assert!(!shard.record_unwritten(b"a"));
        let view = shard.clean_record_view(0, b"a").unwrap();
        assert_eq!(
            view.get(b"a").unwrap().map(|r| r.value),
            Some(Bytes::from("1"))
        );
        // Written again: unwritten, and a pending clear makes every key so.
        entry(&mut shard, 101, |v| v.put(b"a", rec("2")).unwrap());
        assert!(shard.record_unwritten(b"a"));
        assert!(shard.clean_record_view(0, b"a").is_none());
        entry(&mut shard, 102, |v| v.clear(0, corekv_core::slot::SLOTS));
        assert!(shard.record_unwritten(b"b"));
    }

    /// `GET k` on group 0 at time 1.
    fn read_get(shard: &Shard, k: &str) -> Reply {
        shard.read(
            0,
            &[
                Bytes::from_static(b"GET"),
                Bytes::copy_from_slice(k.as_bytes()),
            ],
            1,
            0,
        )
    }

    /// A new store's row cache holds every record, so a read of a key it
    /// does not hold touches no storage; once it may have let a record go
    /// (here: a clear), absent keys are read from fjall again.
    #[test]
    fn a_new_store_answers_absent_keys_from_the_row_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let rec = |v: &'static str| Record::string(Bytes::from_static(v.as_bytes()), 1);
        let get = read_get;
        assert!(shard.cache.borrow().is_complete());
        entry(&mut shard, 100, |v| v.put(b"a", rec("1")).unwrap());
        // Every data read fails from here on: none is made.
        shard.engine.health.inject(u64::MAX);
        assert_eq!(get(&shard, "a"), Reply::bulk(&b"1"[..]));
        assert_eq!(get(&shard, "never-written"), Reply::Nil);
        // A write of a new key reads nothing either (known absent).
        entry(&mut shard, 101, |v| v.put(b"b", rec("2")).unwrap());
        assert_eq!(get(&shard, "b"), Reply::bulk(&b"2"[..]));
        shard.cache.borrow_mut().clear();
        assert!(!shard.cache.borrow().is_complete());
        assert!(get(&shard, "never-written").is_error());
        shard.engine.health.inject(0);
        assert_eq!(get(&shard, "never-written"), Reply::Nil);
        // A store that held records when it opened starts incomplete.
        persist_all(&mut shard);
        drop(shard);
        let shard = open(dir.path());
        assert!(!shard.cache.borrow().is_complete());
    }

    /// The record overlay's two generations: the newer wins (a delete
    /// too), and the older goes only once every job it covers is written.
    #[test]
    fn the_newer_overlay_generation_wins_until_the_older_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let rec = |v: &'static str| Record::string(Bytes::from_static(v.as_bytes()), 1);
        let get = |shard: &Shard, k: &str| {
            // Past the row cache, which every write fills.
            shard.cache.borrow_mut().clear();
            read_get(shard, k)
        };
        entry(&mut shard, 100, |v| {
            v.put(b"a", rec("1")).unwrap();
            v.put(b"c", rec("1")).unwrap();
        });
        let j1 = shard.take_job().unwrap();
        // A data write of nothing yet rotates: a=1, c=1 are the older
        // generation now, covering jobs up to the one being built.
        shard.on_data_written(0);
        assert!(!shard.overlay_old.is_empty() && shard.overlay.is_empty());
        entry(&mut shard, 101, |v| {
            v.put(b"a", rec("2")).unwrap();
            v.delete(b"c").unwrap();
        });
        assert_eq!(get(&shard, "a"), Reply::bulk(&b"2"[..]));
        assert_eq!(get(&shard, "c"), Reply::Nil);
        // Job 1 written: the older generation still covers job 2's seq.
        shard
            .engine
            .persist(std::slice::from_ref(&j1), true)
            .unwrap();
        shard.on_data_written(j1.seq);
        assert!(!shard.overlay_old.is_empty());
        assert_eq!(get(&shard, "a"), Reply::bulk(&b"2"[..]));
        assert_eq!(get(&shard, "c"), Reply::Nil);
        // Everything written: what is left reads from disk the same.
        persist_all(&mut shard);
        shard.on_data_written(u64::MAX);
        shard.on_data_written(u64::MAX);
        assert!(shard.overlay.is_empty() && shard.overlay_old.is_empty());
        assert_eq!(get(&shard, "a"), Reply::bulk(&b"2"[..]));
        assert_eq!(get(&shard, "c"), Reply::Nil);
    }

    /// A heavy-pool view lays the data halves of every job not yet written
    /// (and the turn's own) over its fjall snapshot, in order: a range
    /// clear hides what came before it, not what came after.
    #[test]
    fn a_view_lays_every_unwritten_job_over_the_snapshot_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let rec = |v: &'static str| Record::string(Bytes::from_static(v.as_bytes()), 1);
        entry(&mut shard, 100, |v| {
            v.put(b"a", rec("1")).unwrap();
            v.put(b"b", rec("1")).unwrap();
        });
        persist_all(&mut shard);
        entry(&mut shard, 101, |v| {
            v.put(b"a", rec("2")).unwrap();
            v.put(b"c", rec("2")).unwrap();
        });
        let j1 = shard.take_job().unwrap();
        entry(&mut shard, 102, |v| {
            v.clear(0, corekv_core::slot::SLOTS);
            v.put(b"c", rec("3")).unwrap();
        });
        let j2 = shard.take_job().unwrap();
        entry(&mut shard, 103, |v| v.put(b"d", rec("4")).unwrap());
        let snap = shard.snapshot_view(0).unwrap();
        let check = |snap: &crate::snapshot::SnapshotView| {
            let value = |k: &[u8]| snap.get(k).unwrap().map(|r| r.value);
            assert_eq!(value(b"a"), None, "cleared after its write");
            assert_eq!(value(b"b"), None, "on disk, cleared");
            assert_eq!(value(b"c"), Some(Bytes::from_static(b"3")));
            assert_eq!(value(b"d"), Some(Bytes::from_static(b"4")));
            let mut keys = Vec::new();
            snap.scan(0, corekv_core::slot::SLOTS, &mut |_, k, _| {
                keys.push(k.to_vec());
                true
            })
            .unwrap();
            keys.sort();
            assert_eq!(keys, vec![b"c".to_vec(), b"d".to_vec()]);
        };
        check(&snap);
        // Written meanwhile: the view keeps its point in time.
        shard.engine.persist(&[j1, j2], true).unwrap();
        shard.on_persisted(2, &[]);
        persist_all(&mut shard);
        check(&snap);
        assert!(shard.overlay_log.is_empty());
    }

    #[test]
    fn a_failed_element_read_leaves_the_entry_unapplied() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let mut ns = Ns { slot: 0, id: 0 };
        entry(&mut shard, 5, |v| ns = put_hash(v, b"h", 3));
        persist_all(&mut shard);
        shard.engine.health.inject(1);
        let mut pre = Prefetched::default();
        let mut view = ApplyView::new(&mut shard, 0, &mut pre, 6);
        view.el_put(ns, b"x", Bytes::from_static(b"1"));
        assert!(view.el_get(ns, &0u64.to_be_bytes()).is_err());
        assert!(view.failed.get_mut().is_some());
        drop(view);
        assert!(
            shard.el_overlay.is_empty(),
            "nothing staged reached the shard"
        );
        assert_eq!(elements(&shard, ns, false).len(), 3);
    }

    #[test]
    fn a_dropped_collection_is_swept_on_disk_and_its_record_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let n = elems::SWEEP_CHUNK as u64 * 2 + 10;
        let mut ns = Ns { slot: 0, id: 0 };
        entry(&mut shard, 7, |v| ns = put_hash(v, b"big", n));
        persist_all(&mut shard);
        entry(&mut shard, 8, |v| v.delete(b"big").unwrap());
        assert_eq!(shard.garbage_len(), 1);
        // Not before the drop's data is written.
        assert_eq!(shard.sweep(), 0);
        persist_all(&mut shard);
        let mut swept = 0;
        for _ in 0..10 {
            swept += shard.sweep();
            persist_all(&mut shard);
        }
        assert_eq!(swept as u64, n);
        assert_eq!(shard.garbage_len(), 0);
        assert_eq!(elements(&shard, ns, false).len(), 0);
        let lo = keys::raft_key(1, b'g');
        let hi = keys::raft_key(1, b'h');
        assert_eq!(shard.engine.raft.range(lo..hi).count(), 0);
        // A collection emptied element by element leaves no garbage (what
        // coll::save does when the last element goes).
        let mut small = Ns { slot: 0, id: 0 };
        entry(&mut shard, 9, |v| small = put_hash(v, b"small", 1));
        entry(&mut shard, 10, |v| {
            v.el_del(small, &0u64.to_be_bytes());
            let c = Coll::new(small.id);
            v.put(b"small", Record::coll(corekv_core::Kind::Hash, &c, 1))
                .unwrap();
            v.delete(b"small").unwrap();
        });
        assert_eq!(shard.garbage_len(), 0);
    }

    /// A paged string (SETBIT past 4 KiB) names a namespace like a
    /// collection: overwriting or deleting it, or its expiry, makes its
    /// pages garbage that the sweeper clears; a rewrite keeping the id
    /// (another SETBIT, EXPIRE) makes none.
    #[test]
    fn a_replaced_or_deleted_paged_string_is_swept() {
        use corekv_core::cmd::{Ctx, apply_write, read};
        let dir = tempfile::tempdir().unwrap();
        let mut shard = open(dir.path());
        let ctx = Ctx {
            now_ms: 1_000,
            slots: 0..corekv_core::slot::SLOTS,
            rand: 0,
        };
        let run = |v: &mut ApplyView<'_>, a: &[&str]| {
            let argv: Vec<Bytes> = a
                .iter()
                .map(|x| Bytes::copy_from_slice(x.as_bytes()))
                .collect();
            apply_write(&argv, &ctx, v)
        };
        let pages = |shard: &Shard| shard.engine.elem.iter().count();
        // Three pages of bit 1 set in each; one entry per command.
        let mut index = 10;
        for key in ["del", "set", "exp"] {
            for bit in ["0", "40000", "4294967295"] {
                index += 1;
                entry(&mut shard, index, |v| {
                    assert_eq!(run(v, &["SETBIT", key, bit, "1"]), Reply::Integer(0));
                });
            }
        }
        persist_all(&mut shard);
        assert_eq!(pages(&shard), 9);
        assert_eq!(shard.garbage_len(), 0, "SETBITs keep the string's id");
        let g = shard.groups.first().unwrap();
        let view = ReadView {
            shard: &shard,
            group: g,
        };
        let argv: Vec<Bytes> = ["BITCOUNT", "del"]
            .iter()
            .map(|x| Bytes::from(*x))
            .collect();
        assert_eq!(read(&argv, &ctx, &view), Reply::Integer(3));
        entry(&mut shard, 30, |v| {
            assert_eq!(run(v, &["PEXPIRE", "exp", "1"]), Reply::Integer(1));
        });
        assert_eq!(shard.garbage_len(), 0, "a TTL keeps the id");
        entry(&mut shard, 31, |v| {
            assert_eq!(run(v, &["DEL", "del"]), Reply::Integer(1));
            assert_eq!(run(v, &["SET", "set", "small"]), Reply::ok());
        });
        let later = Ctx {
            now_ms: 5_000,
            ..ctx.clone()
        };
        entry(&mut shard, 32, |v| {
            let argv: Vec<Bytes> = ["COREKV.EXPIREIF", "exp"]
                .iter()
                .map(|x| Bytes::from(*x))
                .collect();
            apply_write(&argv, &later, v);
        });
        assert_eq!(shard.garbage_len(), 3);
        persist_all(&mut shard);
        for _ in 0..5 {
            shard.sweep();
            persist_all(&mut shard);
        }
        assert_eq!(shard.garbage_len(), 0);
        assert_eq!(pages(&shard), 0, "every page swept");
    }

    #[test]
    fn a_restart_resumes_the_sweep() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut shard = open(dir.path());
            entry(&mut shard, 7, |v| {
                put_hash(v, b"big", 100);
            });
            entry(&mut shard, 8, |v| v.delete(b"big").unwrap());
            persist_all(&mut shard);
            assert_eq!(shard.garbage_len(), 1);
        }
        let mut shard = open(dir.path());
        assert_eq!(shard.garbage_len(), 1);
        assert_eq!(shard.sweep(), 100);
        persist_all(&mut shard);
        assert_eq!(shard.engine.elem.iter().count(), 0);
    }
}
