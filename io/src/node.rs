//! Node-wide shared state: the group layout, each core's inbox sender, and
//! per-core counters. Immutable after start except for atomics; the only
//! lock (per-IP connection counts) is taken on accept and close, never per
//! request.

use crate::config::Args;
use crate::stats::CoreCounters;
use bytes::Bytes;
use corekv_core::Reply;
use corekv_core::slot::SLOTS;
use corekv_shard::Fsync;
use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub id: u32,
    pub slots: Range<u16>,
    pub core: usize,
}

/// What one core knows about itself, gathered for INFO, CLIENT LIST and the
/// stats socket.
#[derive(Debug, Clone, Default)]
pub struct CoreSnapshot {
    pub core: usize,
    pub hists: serde_json::Value,
    pub raft: Vec<corekv_shard::GroupStatus>,
    pub clients: Vec<String>,
    pub keys: u64,
    pub expires: u64,
}

/// Which clients CLIENT KILL targets.
#[derive(Debug, Clone, Default)]
pub struct KillFilter {
    pub id: Option<u64>,
    pub addr: Option<String>,
    pub laddr: Option<String>,
    pub skip_id: Option<u64>,
}

/// Cross-core messages: `Req` and `Resp` travel the bounded ring of their
/// ordered core pair, the rest the destination's control channel; either
/// way one wake per batch.
/// The connection a request comes from, as far as the core needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientRef {
    /// Its id (CLIENT UNBLOCK finds a blocked command by it); 0 for
    /// requests of the server itself.
    pub id: u64,
    /// It speaks RESP2: a command proxied to another node asks for its
    /// reply in RESP2 (`COREKV.AT2`), so shapes RESP3 would blur (nested
    /// pairs, `*-1` vs `$-1`) arrive exactly as Redis sends them.
    pub resp2: bool,
    /// Its reply goes to the socket as it is (one command, no merge): a
    /// heavy read's result is encoded in this protocol on the pool thread.
    pub encode: Option<corekv_wire::Proto>,
}

pub enum Msg {
    /// Run `argv` on group `gidx`, owned by the receiving core.
    Req {
        from: usize,
        id: u64,
        gidx: usize,
        argv: Vec<Bytes>,
        write: bool,
        proxied: bool,
        now_ms: u64,
        /// The connection (see `Core::submit_client`).
        client: ClientRef,
    },
    /// The reply to a `Req` this core sent.
    Resp {
        id: u64,
        reply: Reply,
    },
    /// The client of `Req` `id` from core `from` went away: if it is
    /// blocked (BLPOP ...), forget it, so no element is popped for it.
    Cancel {
        from: usize,
        id: u64,
    },
    Snapshot(flume::Sender<CoreSnapshot>),
    /// CLIENT UNBLOCK: a core holding `client` blocked answers it (with
    /// its timeout reply, or the UNBLOCKED error) and sends 1 on `answer`;
    /// others send 0.
    Unblock {
        client: u64,
        error: bool,
        answer: flume::Sender<u64>,
    },
    /// A member was added at run time: start Raft links to it.
    MemberAdded {
        id: u64,
    },
    /// A Raft snapshot of group `gid` was streamed to node `to` (or not).
    SnapshotSent {
        gid: u32,
        to: u64,
        ok: bool,
    },
    Kill(KillFilter, flume::Sender<usize>),
    ResetStats,
    /// WAIT: the core's `Shard::replica_counts`.
    Replicas(flume::Sender<(Option<u64>, u64)>),
    /// A message published on core `from`, for this core's subscribers;
    /// the receivers' count goes back as `Resp { id }`.
    Publish {
        from: usize,
        id: u64,
        kind: crate::pubsub::Kind,
        channel: Bytes,
        message: Bytes,
    },
    /// A MONITOR line for this core's monitors.
    Monitor(Bytes),
    /// Keys changed on this node (all of them: `flush`), for this core's
    /// tracking clients.
    Invalidate {
        keys: Vec<Bytes>,
        flush: bool,
    },
    /// An invalidation redirected to client `to` of this core.
    TrackPush {
        to: u64,
        keys: Option<Vec<Bytes>>,
    },
    /// Whether client `id` is connected to this core.
    HasClient(u64, flume::Sender<bool>),
    /// PUBSUB introspection of this core's subscriptions.
    Pubsub(crate::pubsub::Query, flume::Sender<crate::pubsub::Answer>),
}

pub struct Node {
    pub args: Args,
    /// Users and the ACL LOG (crate::acl).
    pub acl: crate::acl::NodeAcl,
    pub cores: usize,
    pub groups: Vec<GroupInfo>,
    slot_group: Vec<u16>,
    /// Each core's mailbox: control messages, and the ring that tells it
    /// its request rings and persist completions have work.
    pub inboxes: Vec<crate::notify::Mailbox>,
    pub counters: Vec<CoreCounters>,
    pub started: Instant,
    pub started_unix_s: u64,
    pub next_client_id: AtomicU64,
    pub connected: AtomicUsize,
    pub maxclients: AtomicUsize,
    /// `notify-keyspace-events` (`corekv_core::notify` flags): every core
    /// hands it to its shard each turn.
    pub notify_flags: AtomicU32,
    pub per_ip: Mutex<HashMap<IpAddr, usize>>,
    fsync: AtomicU8,
    pub lastsave_unix_s: AtomicU64,
    /// The node's one clock (every core stamps with it).
    hlc: corekv_core::hlc::Hlc,
    /// Peer timestamps refused by the maximum-offset guard.
    pub hlc_offset_refused: AtomicU64,
    hlc_refusal_logged_s: AtomicU64,
    /// The secret members present (`--cluster-secret-file`); `None` on a
    /// single node without one: then nothing can run internal commands.
    secret: crate::member::Secret,
    pub run_id: String,
    pub heavy: crate::heavy::HeavyPool,
    /// Lua scripts and function libraries (docs/design/0026).
    pub scripting: std::sync::Arc<crate::script::Scripting>,
    /// Transactions this node coordinates now (recovery on any node asks
    /// before it aborts one). Touched once per transaction, never per
    /// request.
    live_txns: Mutex<std::collections::HashSet<corekv_core::txn::TxId>>,
    /// Transactions across groups this node is running now, from the
    /// first prepare to the last background commit (INFO's
    /// `corekv_txns_in_flight`): a client that gave up on one may still
    /// see it take effect until this drops.
    pub txns_in_flight: AtomicU64,
    /// GETs that miss the row cache while misses are slow (docs/design/0022).
    pub misses: crate::miss::MissPool,
    /// This node's id and every group's voters.
    pub cluster: corekv_shard::Cluster,
    /// RESP address of every member (node id, address), sorted by id;
    /// empty for a single node.
    pub members: Vec<(u64, std::net::SocketAddr)>,
    /// Every known member's RESP address: `members` plus nodes added at
    /// run time (announced by applied membership changes). Lock-free reads.
    book: arc_swap::ArcSwap<Vec<(u64, std::net::SocketAddr)>>,
    /// Fault injection (COREKV.DEBUG): bit n set = drop Raft messages to
    /// (`drop_out`) or from (`drop_in`) node n, and refuse to proxy there.
    pub drop_out: AtomicU64,
    pub drop_in: AtomicU64,
    /// Storage read failures of every core's engine, and the read fault
    /// `COREKV.DEBUG READFAULT` injects.
    pub read_health: std::sync::Arc<corekv_shard::ReadHealth>,
    /// Set on SIGTERM: each persist thread writes what waits (the data
    /// halves written behind), syncs, and counts itself in
    /// `persist_flushed`, which the main thread waits for before exiting.
    pub stopping: std::sync::atomic::AtomicBool,
    pub persist_flushed: AtomicUsize,
    /// Pub/sub counters and settings (the registries are per core).
    pub pubsub: crate::pubsub::Shared,
    /// TLS for clients and between members (`--tls-*`, docs/design/0029).
    pub tls: crate::tls::Tls,
}

/// Miss-pool threads per core: they mostly wait on the disk, and the
/// disk serves several reads at once (docs/design/0022).
const MISS_THREADS_PER_CORE: usize = 8;

impl Node {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        args: Args,
        cores: usize,
        groups: Vec<GroupInfo>,
        inboxes: Vec<crate::notify::Mailbox>,
        cluster: corekv_shard::Cluster,
        members: Vec<(u64, std::net::SocketAddr)>,
        secret: crate::member::Secret,
        tls: crate::tls::Tls,
    ) -> Node {
        let pin_heavy = (!args.no_pin).then_some(cores);
        let mut slot_group = vec![0u16; SLOTS as usize];
        for (i, g) in groups.iter().enumerate() {
            for s in g.slots.clone() {
                if let Some(x) = slot_group.get_mut(s as usize) {
                    *x = i as u16;
                }
            }
        }
        let now = unix_ms();
        let fsync = args.fsync.0;
        let maxclients = args.maxclients;
        let notify_flags = args.notify_flags();
        let scripting = crate::script::Scripting::open(&args.dir).unwrap_or_else(|e| {
            // The libraries' file is ours alone: a broken one is reported
            // and left for the operator; the node runs without them.
            eprintln!("corekv: function libraries not loaded: {e}");
            crate::script::Scripting::default()
        });
        Node {
            acl: crate::acl::NodeAcl::new(&args),
            args,
            cores,
            groups,
            slot_group,
            inboxes,
            counters: (0..cores).map(|_| CoreCounters::default()).collect(),
            started: Instant::now(),
            started_unix_s: now / 1000,
            next_client_id: AtomicU64::new(1),
            connected: AtomicUsize::new(0),
            maxclients: AtomicUsize::new(maxclients),
            notify_flags: AtomicU32::new(notify_flags),
            per_ip: Mutex::new(HashMap::new()),
            fsync: AtomicU8::new(fsync_to_u8(fsync)),
            lastsave_unix_s: AtomicU64::new(now / 1000),
            hlc: corekv_core::hlc::Hlc::new(),
            hlc_offset_refused: AtomicU64::new(0),
            hlc_refusal_logged_s: AtomicU64::new(0),
            secret,
            heavy: crate::heavy::HeavyPool::start_beside(2 * cores, pin_heavy),
            scripting: std::sync::Arc::new(scripting),
            live_txns: Mutex::new(Default::default()),
            txns_in_flight: AtomicU64::new(0),
            misses: crate::miss::MissPool::start(MISS_THREADS_PER_CORE * cores, cores, pin_heavy),
            run_id: format!("{:040x}", (now as u128) << 64 | std::process::id() as u128),
            cluster,
            book: arc_swap::ArcSwap::from_pointee(members.clone()),
            members,
            drop_out: AtomicU64::new(0),
            drop_in: AtomicU64::new(0),
            read_health: Default::default(),
            stopping: Default::default(),
            persist_flushed: AtomicUsize::new(0),
            pubsub: crate::pubsub::Shared::new(cores),
            tls,
        }
    }

    /// Whether Raft traffic to node `id` is cut (fault injection).
    pub fn drops_to(&self, id: u64) -> bool {
        id < 64 && self.drop_out.load(Relaxed) & (1 << id) != 0
    }

    /// Whether Raft traffic from node `id` is cut (fault injection).
    pub fn drops_from(&self, id: u64) -> bool {
        id < 64 && self.drop_in.load(Relaxed) & (1 << id) != 0
    }

    /// `COREKV.DEBUG PARTITION id.. | DROP-OUT id.. | DROP-IN id.. | HEAL`:
    /// cuts Raft traffic (both ways, outgoing only, incoming only) with the
    /// given nodes, and proxying to them; HEAL restores everything.
    /// `COREKV.DEBUG READFAULT <count> | ON | OFF`: the next `count` data
    /// reads of this node's storage fail (ON: all until OFF).
    /// `COREKV.DEBUG READDELAY <µs>`: see below. Only with
    /// `--debug-commands`.
    pub fn debug_command(&self, argv: &[Bytes]) -> Reply {
        let sub = argv
            .get(1)
            .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase())
            .unwrap_or_default();
        if sub == "HLC" {
            // `COREKV.DEBUG HLC [ahead-ms]`: this node's clock, after
            // moving it `ahead-ms` past the wall clock.
            if let Some(ms) = argv.get(2) {
                let Some(ms) = std::str::from_utf8(ms)
                    .ok()
                    .and_then(|m| m.parse::<u64>().ok())
                else {
                    return corekv_core::errors::err("ERR value is not an integer or out of range");
                };
                // Deliberately unchecked: this is how tests put a node's
                // clock ahead of its peers'.
                self.hlc
                    .observe(corekv_core::hlc::compose(unix_ms() + ms, 0), unix_ms());
            }
            return Reply::Integer(self.hlc_now() as i64);
        }
        if sub == "TXSTALL" {
            // `COREKV.DEBUG TXSTALL <0|1|2>`: the next transactions'
            // coordinators stop (as if their node died) after their
            // prepares (1) or after the primary's decision (2); 0: off.
            // Recovery (docs/design/0025) must then resolve them.
            let Some(n) = argv
                .get(2)
                .and_then(|a| std::str::from_utf8(a).ok())
                .and_then(|a| a.parse::<u8>().ok())
                .filter(|n| *n <= 2)
            else {
                return corekv_core::errors::err("ERR TXSTALL takes 0, 1 or 2");
            };
            crate::txn::set_debug_stall(n);
            return Reply::Simple("OK".into());
        }
        if sub == "READDELAY" {
            // `COREKV.DEBUG READDELAY <µs>`: every data read that misses
            // the row cache sleeps this long first, on a core or on the
            // miss pool (0: off). Makes slow misses deterministic in tests.
            let Some(us) = argv
                .get(2)
                .and_then(|a| std::str::from_utf8(a).ok())
                .and_then(|a| a.parse::<u64>().ok())
            else {
                return corekv_core::errors::err("ERR READDELAY takes a delay in microseconds");
            };
            crate::miss::set_debug_delay(us);
            return Reply::Simple("OK".into());
        }
        if sub == "READFAULT" {
            let arg = argv
                .get(2)
                .map(|a| String::from_utf8_lossy(a).to_ascii_uppercase());
            let n = match arg.as_deref() {
                Some("ON") => Some(u64::MAX),
                Some("OFF") => Some(0),
                Some(count) => count.parse::<u64>().ok(),
                None => None,
            };
            let Some(n) = n else {
                return corekv_core::errors::err("ERR READFAULT takes a read count, ON or OFF");
            };
            self.read_health.inject(n);
            return Reply::Simple("OK".into());
        }
        let mut mask = 0u64;
        for a in argv.iter().skip(2) {
            match std::str::from_utf8(a)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(id) if id > 0 && id < 64 => mask |= 1 << id,
                _ => return corekv_core::errors::err("ERR node ids must be integers 1..63"),
            }
        }
        match sub.as_str() {
            "PARTITION" => {
                self.drop_out.fetch_or(mask, Relaxed);
                self.drop_in.fetch_or(mask, Relaxed);
            }
            "DROP-OUT" => {
                self.drop_out.fetch_or(mask, Relaxed);
            }
            "DROP-IN" => {
                self.drop_in.fetch_or(mask, Relaxed);
            }
            "HEAL" => {
                self.drop_out.store(0, Relaxed);
                self.drop_in.store(0, Relaxed);
            }
            _ => {
                return corekv_core::errors::err(
                    "ERR unknown COREKV.DEBUG subcommand: PARTITION, DROP-OUT, DROP-IN, HEAL, HLC, READFAULT, READDELAY or TXSTALL",
                );
            }
        }
        Reply::Simple("OK".into())
    }

    /// A new transaction (or watch) id: this node and its HLC now, so ids
    /// are unique across nodes and ordered along causal paths.
    pub fn new_txid(&self) -> corekv_core::txn::TxId {
        corekv_core::txn::TxId {
            node: self.cluster.node_id,
            hlc: self.hlc_now(),
        }
    }

    /// Marks transaction `id` as coordinated here (`live`) or finished.
    pub fn txn_live(&self, id: corekv_core::txn::TxId, live: bool) {
        if let Ok(mut s) = self.live_txns.lock() {
            if live {
                s.insert(id);
            } else {
                s.remove(&id);
            }
        }
    }

    /// Whether this node coordinates transaction `id` now.
    pub fn txn_alive(&self, id: corekv_core::txn::TxId) -> bool {
        self.live_txns.lock().is_ok_and(|s| s.contains(&id))
    }

    /// What core `core` of this node says about itself on a Raft link.
    pub fn peer_hello(&self, core: usize) -> crate::peer::Hello {
        crate::peer::Hello {
            node: self.cluster.node_id,
            core: core as u32,
            cores: self.cores as u32,
            groups_per_core: self.args.groups_per_core as u32,
            secret: self.secret,
        }
    }

    /// RESP address of cluster member `id`.
    pub fn member_addr(&self, id: u64) -> Option<std::net::SocketAddr> {
        self.book.load().iter().find(|m| m.0 == id).map(|m| m.1)
    }

    /// Every known member (id, RESP address), sorted by id.
    pub fn book(&self) -> Vec<(u64, std::net::SocketAddr)> {
        self.book.load().as_ref().clone()
    }

    /// [`Node::book`] without a copy (a lock-free load), for a path that
    /// runs per request (a PUBLISH's forwarding).
    pub fn book_ref(&self) -> arc_swap::Guard<std::sync::Arc<Vec<(u64, std::net::SocketAddr)>>> {
        self.book.load()
    }

    /// Learns (or updates) a member's address; true if it changed.
    pub fn add_member(&self, id: u64, addr: std::net::SocketAddr) -> bool {
        let mut changed = false;
        self.book.rcu(|cur| {
            let mut v = cur.as_ref().clone();
            changed = false;
            match v.iter_mut().find(|m| m.0 == id) {
                Some(m) if m.1 == addr => {}
                Some(m) => {
                    m.1 = addr;
                    changed = true;
                }
                None => {
                    v.push((id, addr));
                    v.sort_by_key(|m| m.0);
                    changed = true;
                }
            }
            v
        });
        changed
    }

    /// The raw 64-bit HLC (48-bit ms | 16-bit logical), advanced.
    pub fn hlc_now(&self) -> u64 {
        self.hlc.now(unix_ms())
    }

    /// Merges a timestamp received from another node (HLC receive rule:
    /// our clock never falls behind anything we have seen), unless it is
    /// more than `--max-clock-offset-ms` ahead of our wall clock: such a
    /// timestamp is refused (counted, logged once a second at most) and the
    /// clock left alone, so a broken peer clock cannot push this node's
    /// timestamps, which drive expiry, into the future.
    pub fn hlc_observe(&self, ts: u64) -> Result<(), corekv_core::hlc::ClockOffsetError> {
        match self
            .hlc
            .observe_checked(ts, unix_ms(), self.args.max_clock_offset_ms)
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let n = self.hlc_offset_refused.fetch_add(1, Relaxed);
                let now_s = unix_ms() / 1000;
                if n == 0 || self.hlc_refusal_logged_s.swap(now_s, Relaxed) != now_s {
                    eprintln!(
                        "corekv: refused a peer timestamp: {e} (total refused: {})",
                        n + 1
                    );
                }
                Err(e)
            }
        }
    }

    /// The cluster secret (`Secret::NONE` without `--cluster-secret-file`).
    pub fn secret(&self) -> &crate::member::Secret {
        &self.secret
    }

    /// Index of the group that owns `slot`.
    pub fn group_of_slot(&self, slot: u16) -> usize {
        self.slot_group.get(slot as usize).copied().unwrap_or(0) as usize
    }

    pub fn fsync(&self) -> Fsync {
        match self.fsync.load(Relaxed) {
            0 => Fsync::Always,
            1 => Fsync::EverySec,
            _ => Fsync::Never,
        }
    }

    pub fn set_fsync(&self, f: Fsync) {
        self.fsync.store(fsync_to_u8(f), Relaxed);
    }

    /// Next node HLC timestamp; its physical part (ms) stamps proposals so
    /// expiry is computed from one monotonic clock across cores.
    pub fn hlc_now_ms(&self) -> u64 {
        corekv_core::hlc::physical_ms(self.hlc_now())
    }

    /// Moves the clock past `ms` (the newest timestamp found in a recovered
    /// log), so a wall clock that stepped back across a restart cannot
    /// stamp new writes before old ones.
    pub fn hlc_observe_ms(&self, ms: u64) {
        // Our own log: unchecked (the guard is for what others send).
        self.hlc
            .observe(corekv_core::hlc::compose(ms, u16::MAX), unix_ms());
    }

    /// Sends one control message to every core.
    pub fn broadcast(&self, make: impl Fn() -> Msg) {
        for tx in &self.inboxes {
            let _ = tx.send(vec![make()]);
        }
    }

    /// Asks every core (`make` builds each one's message around a sender)
    /// and collects the answers: one per core at most, fewer if a core
    /// drops its sender without answering.
    pub async fn ask_cores<T>(&self, make: impl Fn(flume::Sender<T>) -> Msg) -> Vec<T> {
        let (tx, rx) = flume::bounded(self.cores);
        self.broadcast(|| make(tx.clone()));
        drop(tx);
        let mut out = Vec::with_capacity(self.cores);
        while out.len() < self.cores {
            match rx.recv_async().await {
                Ok(x) => out.push(x),
                Err(_) => break,
            }
        }
        out
    }

    /// Collects a snapshot from every core (bounded wait).
    pub async fn snapshots(&self) -> Vec<CoreSnapshot> {
        let mut out = self.ask_cores(Msg::Snapshot).await;
        out.sort_by_key(|s| s.core);
        out
    }

    pub fn snapshots_blocking(&self, timeout: std::time::Duration) -> Vec<CoreSnapshot> {
        let (tx, rx) = flume::bounded(self.cores);
        self.broadcast(|| Msg::Snapshot(tx.clone()));
        drop(tx);
        let deadline = Instant::now() + timeout;
        let mut out = Vec::with_capacity(self.cores);
        while out.len() < self.cores {
            match rx.recv_deadline(deadline) {
                Ok(s) => out.push(s),
                Err(_) => break,
            }
        }
        out.sort_by_key(|s| s.core);
        out
    }
}

fn fsync_to_u8(f: Fsync) -> u8 {
    match f {
        Fsync::Always => 0,
        Fsync::EverySec => 1,
        Fsync::Never => 2,
    }
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Unix time in microseconds.
pub fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
