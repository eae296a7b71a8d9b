//! One core: a pinned OS thread running a monoio (io_uring) executor that
//! owns its shard. Tasks on the core: the accept loop, one task per
//! connection, peer links, and the core loop ([`Core::poll_raft`]: persist
//! completions, messages from other cores, ticks, then Raft Ready, apply
//! and replies). Raft first: every connection calls
//! [`Core::before_client`] before each command, which runs the loop's work
//! first whenever mail (a persist completion, another core's batch) or a
//! tick is due, and stops the connection while the core's queues are at
//! their bounds (docs/design/0013). State is `Rc<RefCell<..>>`: only this
//! thread touches it, and no borrow is held across an await.

use crate::node::{ClientRef, CoreSnapshot, KillFilter, Msg, Node, unix_ms};
use crate::notify::{LocalNotify, WaitList};
use crate::persist::Done;
use crate::stats::{self, CoreCounters, CoreHists};
use bytes::Bytes;
use corekv_core::{Reply, errors};
use corekv_shard::{PersistJob, Shard, Token};
use local_sync::oneshot;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Who waits for a proposal's reply.
enum Waiter {
    Local(oneshot::Sender<Reply>, Instant),
    Remote {
        core: usize,
        id: u64,
        start: Instant,
    },
    Expiry,
    /// A serve of blocked client `id` (see `crate::blocking`).
    Serve(u64),
}

impl Waiter {
    /// Where a client's reply goes (None for the internal expiry waiter).
    fn into_reply_to(self) -> Option<ParkedReply> {
        match self {
            Waiter::Local(tx, _) => Some(ParkedReply::Local(tx)),
            Waiter::Remote { core, id, .. } => Some(ParkedReply::Remote { core, id }),
            Waiter::Expiry | Waiter::Serve(_) => None,
        }
    }
}

/// Where a parked command's reply goes.
enum ParkedReply {
    Local(oneshot::Sender<Reply>),
    Remote { core: usize, id: u64 },
}

/// A command its group cannot run here yet: no leader known (election),
/// leadership not yet confirmed for reads (lease), or a restarted leader
/// still re-applying its log. Retried every turn until `deadline`.
struct Parked {
    pos: usize,
    argv: Vec<Bytes>,
    write: bool,
    /// Arrived through another node's proxy: never proxied again.
    proxied: bool,
    to: ParkedReply,
    start: Instant,
    deadline: Instant,
    /// A read served on this follower: the ReadIndex request covering it.
    ticket: Option<u64>,
    /// A read: the commit index when it arrived (a leader serves it once
    /// applied that far).
    need: u64,
    /// The connection it came from.
    client: ClientRef,
}

/// How long a snapshot read waits for its keys' locks before its reader
/// hears TXCONFLICT (and tries again, with backoff).
const SNAP_WAIT: Duration = Duration::from_secs(1);
/// Longest a snapshot read holds new prepares of its keys back (its check
/// ends it sooner; this bounds it when the reader is gone).
const SNAP_HOLD: Duration = Duration::from_millis(200);

/// A waiting snapshot read: since when, its command, who waits.
type SnapWait = (Instant, Vec<Bytes>, Waiter, ClientRef);

fn is_snap(argv: &[Bytes]) -> bool {
    argv.first().is_some_and(|a| corekv_core::txn::is_snap(a))
}

/// How long a command waits for its group to get a usable leader before
/// the client gets TRYAGAIN (a few election timeouts).
const PARK_TIMEOUT: Duration = Duration::from_secs(3);
/// Raft tick period; election timeout is 10 ticks (randomised up to 20).
pub const TICK: Duration = Duration::from_millis(50);

/// A connected client as CLIENT LIST shows it.
pub struct ClientEntry {
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub name: String,
    pub created: Instant,
    pub last_active: Instant,
    pub last_cmd: String,
    pub resp: u8,
    /// The ACL user the connection is authenticated as.
    pub user: String,
    /// Pub/sub and tracking state as CLIENT LIST shows it (kept by the
    /// connection when it subscribes, tracks or monitors).
    pub pubsub: ClientPubsub,
}

/// The pub/sub fields of a CLIENT LIST line.
#[derive(Debug, Clone, Default)]
pub struct ClientPubsub {
    pub sub: usize,
    pub psub: usize,
    pub ssub: usize,
    /// Redis's flag letters for these states (`O` `P` `t` `R` `B`), in
    /// its order; empty for none.
    pub flags: String,
    /// CLIENT TRACKING's redirect (-1: not tracking).
    pub redir: i64,
}

pub struct CoreState {
    pub shard: Shard,
    /// group index → local position in the shard (None: another core's).
    gpos: Vec<Option<usize>>,
    waiters: HashMap<Token, Waiter, ahash::RandomState>,
    next_token: u64,
    /// Requests sent to other cores: id → (core, who waits).
    remote_waiters: HashMap<u64, (usize, oneshot::Sender<Reply>), ahash::RandomState>,
    next_req: u64,
    /// Per destination core: messages of this turn, and any the ring had
    /// no room for (kept, in order, for the next turn; never dropped).
    outbox: Vec<Vec<Msg>>,
    /// Per destination core: the ring to it (None for this core).
    rings_out: Vec<Option<rtrb::Producer<Msg>>>,
    /// Per destination core: requests sent and not yet answered.
    forwarded: Vec<usize>,
    /// Destinations whose `forwarded` is at the pair limit.
    pairs_full: usize,
    /// Bounded: at most [`PERSIST_JOBS`] jobs in flight.
    persist_tx: flume::Sender<PersistJob>,
    /// Jobs sent and not yet acknowledged (log half), oldest first.
    persist_started: VecDeque<(u64, Instant)>,
    pub hists: CoreHists,
    pub clients: HashMap<u64, ClientEntry>,
    expire_inflight: usize,
    rand_state: u64,
    /// Proposals since the last turn.
    unflushed: usize,
    /// Most requests outstanding to one core since the last turn.
    forward_peak: usize,
    /// A job the persist channel refused (cannot happen while
    /// `persist_started` counts the jobs in it); sent before the next.
    persist_carry: Option<PersistJob>,
    /// Commands whose group cannot serve them yet; retried every turn.
    parked: Vec<Parked>,
    /// Per local group: writes waiting for a transaction's locks, in
    /// arrival order (docs/design/0025); retried every turn.
    tx_wait: Vec<std::collections::VecDeque<(Vec<Bytes>, Waiter, ClientRef)>>,
    /// Per local group: snapshot reads (`COREKV.TXSNAP`) waiting for locks
    /// on their keys, and since when. Apart from `tx_wait`: they hold back
    /// nothing, and go as soon as their keys are free, however briefly.
    snap_wait: Vec<Vec<SnapWait>>,
    /// Per local group: keys a snapshot read has read and not yet checked,
    /// with its id and until when. New prepares of them are refused (their
    /// coordinators back off) meanwhile, so a read over hot keys is not
    /// starved by a stream of transactions that each change one of them.
    snap_hold: Vec<HashMap<Bytes, (corekv_core::txn::TxId, Instant), ahash::RandomState>>,
    /// Transactions this core is resolving (recovery), so a slow one is
    /// not started twice.
    tx_recovering: std::collections::HashSet<corekv_core::txn::TxId>,
    /// When recovery last looked for overdue locks.
    tx_scan_at: Instant,
    /// Per local group: the WATCHes this core holds as the group's leader.
    watches: Vec<crate::watch::WatchTable>,
    /// The list `retry_parked` walked last turn, emptied: swapped back in
    /// so re-parked and newly parked commands (every follower read waits
    /// here) reuse its room instead of growing a fresh list every turn
    /// (that growth was ~2.5% of a follower's CPU at GET -P 16).
    parked_spare: Vec<Parked>,
    /// Per local group: the turn's queued write commands and their tokens.
    batches: Vec<(Vec<Vec<Bytes>>, Vec<Token>)>,
    /// Reads a follower receives run here after a ReadIndex round with the
    /// leader instead of being proxied (not with the Redis Cluster
    /// protocol, where the client is sent to the leader).
    follower_reads: bool,
    /// Blocked clients of the groups this core leads.
    blocked: crate::blocking::Blocked<ParkedReply>,
    /// First proposals of blocking commands: token → (group, argv,
    /// arrival), to block the client if the apply finds nothing.
    blocking_props: HashMap<Token, (usize, Vec<Bytes>, Instant, ClientRef), ahash::RandomState>,
    /// Blocking commands of other cores' clients proxied to another node,
    /// by (core, request id): set when the client leaves (`Msg::Cancel`),
    /// so the proxy call ends and the leader forgets the client.
    proxied_waits: HashMap<(usize, u64), Rc<std::cell::Cell<bool>>, ahash::RandomState>,
    /// Blocking commands this core proxied to another node, by the client's
    /// id: the leader's address and the link's client id there, so CLIENT
    /// UNBLOCK can be forwarded (the waiter lives on that node).
    proxied_blocked: HashMap<u64, ProxiedBlock, ahash::RandomState>,
}

/// A turn is forced after this many proposals, so one large wave of
/// pipelined writes is persisted in slices that overlap with parsing.
const EARLY_FLUSH_PROPOSALS: usize = 128;

/// Most client commands a core runs while Raft work (mail, a tick) is
/// due: the bound on how long client work can delay Raft work.
pub const RAFT_EVERY: u32 = 128;

/// ... or once client work ran this long since the loop's work last ran
/// (measured on the batch clock, refreshed per socket read): 128 cheap
/// GETs take ~100 µs, but 128 commands that cost 200 µs each (a core-run
/// XREAD COUNT 100) held Raft back ~25 ms.
pub const RAFT_MAX_DELAY: Duration = Duration::from_micros(500);

/// Persist jobs in flight per core (the job channel's bound). When the
/// persist thread is this far behind, the turn leaves its writes in the
/// shard's pending job, which grows into one bigger job: Raft work never
/// waits for room, and client admission ([`Core::room`]) bounds how much
/// the pending job can hold.
pub const PERSIST_JOBS: usize = 64;
/// The completion ring's size: a job yields one `Done::Log` at most, plus
/// an occasional `Done::Data`, so it cannot fill.
pub const DONE_RING: usize = 2 * PERSIST_JOBS + 64;
/// Room in each cross-core ring beyond its two credit windows: one
/// command's fan-out (a group per message, at most 64 groups per core) may
/// overshoot the pair limit.
const RING_SLACK: usize = 256;

/// The bounds of one core's queues, from `--queue-limit`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Client commands unanswered on this core (proposed, parked, queued
    /// for Raft): connections stop reading at this many.
    pub unanswered: usize,
    /// Requests this core may have outstanding to one other core.
    pub per_pair: usize,
}

impl Limits {
    pub fn new(queue_limit: usize, cores: usize) -> Limits {
        let unanswered = queue_limit.max(16);
        Limits {
            unanswered,
            per_pair: (unanswered / cores.max(1)).max(64),
        }
    }

    /// Capacity of the ring from one core to another. Core A's ring to B
    /// carries A's requests to B (at most `per_pair` outstanding: A counts
    /// a request until B's reply is handled) and B's requests' replies
    /// (at most B's `per_pair`), so it never fills.
    pub fn ring_capacity(&self) -> usize {
        2 * self.per_pair + RING_SLACK
    }
}

/// What a core receives from other threads.
pub struct Inbound {
    /// Control messages (see [`crate::notify::Mailbox`]).
    pub control: flume::Receiver<Vec<Msg>>,
    /// From every other core (any order).
    pub rings: Vec<rtrb::Consumer<Msg>>,
    /// Persist completions, in order.
    pub done: rtrb::Consumer<Done>,
}

pub struct Core {
    pub id: usize,
    pub node: Arc<Node>,
    pub st: RefCell<CoreState>,
    pub notify: LocalNotify,
    /// (monotonic, unix ms) read once per batch of input, not per command:
    /// clock reads were ~8% of a GET's CPU.
    clock: std::cell::Cell<(Instant, u64)>,
    /// (monotonic, unix µs) of the last wall-clock read, re-read once per
    /// tick: a batch's unix ms is derived from it and the batch's
    /// monotonic read, so a batch costs one clock read, not two. In µs:
    /// truncating both parts to ms put a batch's time up to 2 ms behind the
    /// wall clock that write timestamps come from (a PTTL of 100001 right
    /// after `SET .. PX 100000`).
    wall: std::cell::Cell<(Instant, u64)>,
    /// Raft links to the same core of the other nodes (cluster only).
    pub peers: std::cell::OnceCell<crate::peer::PeerLinks>,
    me: std::cell::OnceCell<std::rc::Weak<Core>>,
    /// Pipelined connections to other nodes' RESP ports (cluster only).
    proxy: std::cell::OnceCell<Rc<crate::proxy::ProxyPool>>,
    inbound: RefCell<Inbound>,
    /// When the next Raft tick is due.
    next_tick: std::cell::Cell<Instant>,
    /// Client commands run since the core loop's work last ran.
    since_poll: std::cell::Cell<u32>,
    /// The batch clock when the core loop's work last ran.
    last_poll: std::cell::Cell<Instant>,
    pub limits: Limits,
    /// Connections waiting for room in the core's queues.
    gate: WaitList,
    /// This core's pub/sub subscriptions (docs/design/0027).
    pub pubsub: RefCell<crate::pubsub::Registry>,
    /// This core's client-side caching tables.
    pub tracker: RefCell<crate::tracking::Tracker>,
}

/// An answer that may not be there yet.
pub enum Pending {
    Ready(Reply),
    Wait(oneshot::Receiver<Reply>),
    /// Running on the heavy pool.
    Heavy(flume::Receiver<Reply>),
    /// A GET that missed the row cache, on the miss pool (crate::miss).
    Miss(crate::miss::MissWait),
}

impl Pending {
    pub async fn resolve(self) -> Reply {
        match self {
            Pending::Ready(r) => r,
            Pending::Wait(rx) => rx
                .await
                .unwrap_or_else(|_| errors::err(errors::SHUTTING_DOWN)),
            Pending::Heavy(rx) => rx
                .recv_async()
                .await
                .unwrap_or_else(|_| errors::err(errors::SHUTTING_DOWN)),
            Pending::Miss(w) => w.resolve().await,
        }
    }
}

/// Runs a heavy read of group `pos` on the pool; `deliver` gets the reply
/// on a pool thread. False if the pool refused it (the caller answers BUSY).
#[allow(clippy::too_many_arguments)]
fn submit_heavy(
    node: &Node,
    shard: &Shard,
    pos: usize,
    cmd: crate::heavy::HeavyCmd,
    argv: Vec<Bytes>,
    now_ms: u64,
    rand: u64,
    encode: Option<corekv_wire::Proto>,
    deliver: impl FnOnce(Reply) + Send + 'static,
) -> bool {
    let Some(view) = shard.snapshot_view(pos) else {
        return false;
    };
    node.heavy.try_submit_command(cmd, move || {
        let ctx = corekv_core::cmd::Ctx {
            now_ms,
            slots: view.slots(),
            rand,
        };
        let reply = corekv_core::cmd::read(&argv, &ctx, &view);
        deliver(match encode {
            // Encoded and freed here, not on the core (see `Reply::Encoded`).
            Some(proto) if !reply.is_error() => {
                let mut out = bytes::BytesMut::new();
                corekv_wire::encode(&reply, proto, &mut out);
                drop(reply);
                Reply::Encoded(out.freeze())
            }
            _ => reply,
        });
    })
}

impl Core {
    pub fn new(
        id: usize,
        node: Arc<Node>,
        shard: Shard,
        persist_tx: flume::Sender<PersistJob>,
        rings_out: Vec<Option<rtrb::Producer<Msg>>>,
        inbound: Inbound,
    ) -> Core {
        let mut gpos = vec![None; node.groups.len()];
        for (i, g) in node.groups.iter().enumerate() {
            if g.core == id
                && let Some(slot) = gpos.get_mut(i)
            {
                *slot = shard.group_pos(g.id);
            }
        }
        let cores = node.cores;
        let follower_reads = !node.args.cluster_enabled;
        let local_groups = shard.group_ids().len();
        let limits = Limits::new(node.args.queue_limit, cores);
        if let Some(c) = node.counters.get(id) {
            let q = &c.queues;
            q.unanswered_limit.store(limits.unanswered as u64, Relaxed);
            q.forwarded_limit.store(limits.per_pair as u64, Relaxed);
            q.persist_jobs_limit.store(PERSIST_JOBS as u64, Relaxed);
        }
        Core {
            id,
            node,
            st: RefCell::new(CoreState {
                shard,
                gpos,
                waiters: HashMap::default(),
                next_token: 1,
                remote_waiters: HashMap::default(),
                next_req: 1,
                outbox: (0..cores).map(|_| Vec::new()).collect(),
                rings_out,
                forwarded: vec![0; cores],
                pairs_full: 0,
                persist_tx,
                persist_started: VecDeque::new(),
                hists: CoreHists::default(),
                clients: HashMap::new(),
                expire_inflight: 0,
                unflushed: 0,
                forward_peak: 0,
                persist_carry: None,
                parked: Vec::new(),
                parked_spare: Vec::new(),
                batches: (0..local_groups).map(|_| Default::default()).collect(),
                tx_wait: (0..local_groups).map(|_| Default::default()).collect(),
                snap_wait: (0..local_groups).map(|_| Vec::new()).collect(),
                snap_hold: (0..local_groups).map(|_| HashMap::default()).collect(),
                tx_recovering: Default::default(),
                tx_scan_at: Instant::now(),
                watches: (0..local_groups).map(|_| Default::default()).collect(),
                follower_reads,
                blocked: Default::default(),
                blocking_props: HashMap::default(),
                proxied_waits: HashMap::default(),
                proxied_blocked: HashMap::default(),
                rand_state: 0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1) ^ unix_ms(),
            }),
            notify: LocalNotify::default(),
            clock: std::cell::Cell::new((Instant::now(), unix_ms())),
            wall: std::cell::Cell::new((Instant::now(), crate::node::unix_us())),
            peers: std::cell::OnceCell::new(),
            me: std::cell::OnceCell::new(),
            proxy: std::cell::OnceCell::new(),
            inbound: RefCell::new(inbound),
            next_tick: std::cell::Cell::new(Instant::now() + TICK),
            since_poll: std::cell::Cell::new(0),
            last_poll: std::cell::Cell::new(Instant::now()),
            limits,
            gate: WaitList::default(),
            pubsub: RefCell::default(),
            tracker: RefCell::default(),
        }
    }

    /// Raft first: a connection calls this before each client command.
    /// Pending mail (persist completions, other cores' batches), a due
    /// tick or proposals not yet proposed run the core loop's work before
    /// the command, once at most [`RAFT_EVERY`] client commands ran on
    /// this core since the loop's work last ran (a turn per command would
    /// cost the batching: a ring push and a wake of the other core per
    /// command). Requests for other cores alone wait for the loop task's
    /// turn, after the run queue's pass, as before: batching them is the
    /// point of the rings. Returns false when
    /// the core's queues are at their bounds: the connection then awaits
    /// [`Core::wait_for_room`] before running the command (and reads
    /// nothing from its socket meanwhile).
    #[inline]
    pub fn before_client(&self) -> bool {
        let n = self.since_poll.get() + 1;
        self.since_poll.set(n);
        if (n >= RAFT_EVERY
            || self.now().saturating_duration_since(self.last_poll.get()) >= RAFT_MAX_DELAY)
            && (self.mail_pending()
                || self.now() >= self.next_tick.get()
                || self.st.borrow().unflushed > 0)
        {
            self.poll_raft();
        }
        self.room()
    }

    fn mail_pending(&self) -> bool {
        self.node.inboxes.get(self.id).is_some_and(|m| m.pending())
    }

    /// Whether client commands may be added: the core's unanswered
    /// commands and every pair's outstanding requests are under their
    /// bounds.
    pub fn room(&self) -> bool {
        self.st.borrow().has_room(&self.limits)
    }

    /// Waits until [`Core::room`] holds (woken by the turn that answers
    /// enough commands).
    pub async fn wait_for_room(&self) {
        if self.room() {
            return;
        }
        CoreCounters::add(&self.counters().queues.throttled, 1);
        self.gate.until(|| self.room()).await;
    }

    /// The core loop's work, in order: persist completions and messages
    /// from other cores, a Raft tick when due, then a turn (Ready, apply,
    /// replies, persist job, outgoing batches). Run by the loop task when
    /// woken and by connections through [`Core::before_client`].
    pub fn poll_raft(&self) {
        self.since_poll.set(0);
        self.last_poll.set(self.now());
        if self.node.inboxes.get(self.id).is_some_and(|m| m.take()) {
            self.drain_inbound();
        }
        let now = Instant::now();
        if now >= self.next_tick.get() {
            self.next_tick.set(now + TICK);
            self.wall.set((now, crate::node::unix_us()));
            {
                let mut st = self.st.borrow_mut();
                st.shard.tick();
                st.shard.maintain(now);
                // Dropped collections: a bounded chunk of deletes per tick.
                let swept = st.shard.sweep();
                CoreCounters::add(&self.counters().swept_elements, swept as u64);
                if !st.blocked.is_empty() {
                    self.unblock_deposed(&mut st);
                }
                self.cancel_abandoned(&mut st);
            }
            self.expire_round();
        }
        self.turn();
    }

    /// Drains the completion ring, every ring from another core and the
    /// control channel.
    fn drain_inbound(&self) {
        let mut inb = self.inbound.borrow_mut();
        let inb = &mut *inb;
        // Completions first: they let commits advance.
        let n = inb.done.slots();
        if let Ok(chunk) = inb.done.read_chunk(n) {
            for d in chunk {
                self.on_persisted(d);
            }
        }
        let mut depth = 0;
        for ring in &mut inb.rings {
            let n = ring.slots();
            depth += n;
            if let Ok(chunk) = ring.read_chunk(n) {
                for m in chunk {
                    self.on_msg(m);
                }
            }
        }
        while let Ok(batch) = inb.control.try_recv() {
            depth += batch.len();
            for m in batch {
                self.on_msg(m);
            }
        }
        let q = &self.counters().queues;
        q.inbox_max.fetch_max(depth as u64, Relaxed);
    }

    pub(crate) fn proxy_pool(&self) -> &Rc<crate::proxy::ProxyPool> {
        self.proxy.get_or_init(|| {
            crate::proxy::ProxyPool::new(crate::proxy::ProxyConfig {
                // The secret first: with requirepass set, it is what lets
                // the link run HELLO and everything after it.
                hello: vec![
                    vec![
                        Bytes::from_static(crate::member::MEMBER_HELLO.as_bytes()),
                        Bytes::copy_from_slice(self.node.secret().as_bytes()),
                    ],
                    vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")],
                    vec![Bytes::from_static(crate::member::PROXY_HELLO.as_bytes())],
                ],
                tls: self.node.tls.cluster_client(),
                ..Default::default()
            })
        })
    }

    /// Gives the core a handle on itself (for tasks it spawns).
    pub fn set_self(self: &Rc<Self>) {
        let _ = self.me.set(Rc::downgrade(self));
    }

    /// Reads the clock; call once per batch of work. The wall time follows
    /// the monotonic clock from the tick's wall-clock read (a step of the
    /// wall clock shows within a tick).
    pub fn refresh_clock(&self) -> Instant {
        let now = Instant::now();
        let (at, us) = self.wall.get();
        let since = now.saturating_duration_since(at).as_micros() as u64;
        self.clock.set((now, us.saturating_add(since) / 1000));
        now
    }

    /// The batch's monotonic time.
    pub fn now(&self) -> Instant {
        self.clock.get().0
    }

    /// The batch's wall time in unix ms (reads and expiry checks).
    pub fn now_ms(&self) -> u64 {
        self.clock.get().1
    }

    pub fn counters(&self) -> &CoreCounters {
        // Every core index is < node.cores by construction.
        #[allow(clippy::indexing_slicing)]
        &self.node.counters[self.id]
    }

    /// Runs `argv` on group `gidx` (a write is proposed, a read executed),
    /// locally or on the owning core.
    pub fn submit(&self, gidx: usize, argv: Vec<Bytes>, write: bool) -> Pending {
        self.submit_as(false, gidx, argv, write)
    }

    /// [`Core::submit`] for a connection that may be another node's proxy
    /// (`proxied`): such commands are never proxied onwards.
    pub fn submit_as(&self, proxied: bool, gidx: usize, argv: Vec<Bytes>, write: bool) -> Pending {
        self.submit_client(proxied, ClientRef::default(), gidx, argv, write)
    }

    /// [`Core::submit_as`] for connection `client` (its id): a blocking
    /// command keeps it, so CLIENT UNBLOCK can find the command.
    pub fn submit_client(
        &self,
        proxied: bool,
        client: ClientRef,
        gidx: usize,
        argv: Vec<Bytes>,
        write: bool,
    ) -> Pending {
        let owner = self.node.groups.get(gidx).map_or(self.id, |g| g.core);
        let mut st = self.st.borrow_mut();
        if owner == self.id {
            let Some(pos) = st.gpos.get(gidx).copied().flatten() else {
                return Pending::Ready(errors::err(errors::NOT_LEADER));
            };
            if write {
                if !st.shard.is_leader(pos) {
                    let (tx, rx) = oneshot::channel();
                    let to = ParkedReply::Local(tx);
                    st.park(pos, argv, true, proxied, to, self.now(), client);
                    drop(st);
                    self.notify.notify();
                    return Pending::Wait(rx);
                }
                let (tx, rx) = oneshot::channel();
                match st.queue_write(pos, argv, Waiter::Local(tx, self.now()), client) {
                    Ok(()) => {
                        CoreCounters::add(&self.counters().proposals, 1);
                        let flush_now = st.unflushed >= EARLY_FLUSH_PROPOSALS;
                        drop(st);
                        if flush_now {
                            // Hand a slice of a big wave to the persist
                            // thread now, so it writes while we parse on.
                            self.turn();
                        } else {
                            self.notify.notify();
                        }
                        Pending::Wait(rx)
                    }
                    Err((r, _)) => Pending::Ready(r),
                }
            } else {
                if !st.shard.read_ready(pos, self.now()) || st.shard.tx_read_locked(pos, &argv) {
                    let (tx, rx) = oneshot::channel();
                    st.park(
                        pos,
                        argv,
                        false,
                        proxied,
                        ParkedReply::Local(tx),
                        self.now(),
                        client,
                    );
                    drop(st);
                    self.notify.notify();
                    return Pending::Wait(rx);
                }
                // A GET that would read the disk runs on the miss pool.
                let argv = match crate::miss::offload(
                    self,
                    self.me.get(),
                    &st.shard,
                    pos,
                    argv,
                    self.now_ms(),
                ) {
                    Ok(pending) => return pending,
                    Err(argv) => argv,
                };
                let rand = st.next_rand();
                let placed = crate::heavy::place(
                    &st.shard,
                    &self.node.heavy,
                    pos,
                    argv,
                    self.now_ms(),
                    rand,
                );
                match placed {
                    crate::heavy::Placed::Pool(cmd, argv) => {
                        let (tx, rx) = flume::bounded(1);
                        let deliver = move |r| {
                            let _ = tx.send(r);
                        };
                        if submit_heavy(
                            &self.node,
                            &st.shard,
                            pos,
                            cmd,
                            argv,
                            self.now_ms(),
                            rand,
                            client.encode,
                            deliver,
                        ) {
                            Pending::Heavy(rx)
                        } else {
                            Pending::Ready(errors::err(crate::heavy::BUSY))
                        }
                    }
                    crate::heavy::Placed::Done(reply) => Pending::Ready(reply),
                }
            }
        } else {
            drop(st);
            let now_ms = self.now_ms();
            CoreCounters::add(&self.counters().forwarded_out, 1);
            self.send_counted(owner, |from, id| Msg::Req {
                from,
                id,
                gidx,
                argv,
                write,
                proxied,
                now_ms,
                client,
            })
        }
    }

    /// Sends core `owner` a message that it answers with `Msg::Resp`, in
    /// the turn's batch for that core, counted in the pair's window until
    /// answered (the window bounds what one core queues for another).
    fn send_counted(&self, owner: usize, make: impl FnOnce(usize, u64) -> Msg) -> Pending {
        let mut st = self.st.borrow_mut();
        let id = st.next_req;
        st.next_req += 1;
        let (tx, rx) = oneshot::channel();
        st.remote_waiters.insert(id, (owner, tx));
        if let Some(n) = st.forwarded.get_mut(owner) {
            *n += 1;
            let n = *n;
            if n == self.limits.per_pair {
                st.pairs_full += 1;
            }
            st.forward_peak = st.forward_peak.max(n);
        }
        if let Some(out) = st.outbox.get_mut(owner) {
            out.push(make(self.id, id));
        }
        drop(st);
        self.notify.notify();
        Pending::Wait(rx)
    }

    /// Sends a published message to core `owner`'s subscribers, in the
    /// turn's batch for that core, counted in the pair's window like a
    /// request (so a flood of PUBLISHes is held back, not queued without
    /// bound); the reply is the receivers there.
    pub fn publish_to_core(
        &self,
        owner: usize,
        kind: crate::pubsub::Kind,
        channel: Bytes,
        message: Bytes,
    ) -> Pending {
        self.send_counted(owner, |from, id| Msg::Publish {
            from,
            id,
            kind,
            channel,
            message,
        })
    }

    /// Sends a command to the node leading its group (another node) and
    /// routes the reply to `to`.
    fn proxy(&self, leader: u64, p: Parked) {
        let Some(core) = self.me.get().and_then(|w| w.upgrade()) else {
            return;
        };
        let addr = self
            .node
            .member_addr(leader)
            .filter(|_| !self.node.drops_to(leader));
        CoreCounters::add(&self.counters().proxied, 1);
        monoio::spawn(async move {
            let outcome = match addr {
                Some(addr) => {
                    // The request carries our HLC (DESIGN "Time").
                    let mut call = Vec::with_capacity(p.argv.len() + 2);
                    // A RESP2 client's reply comes back in RESP2, exact.
                    let at = if p.client.resp2 {
                        crate::member::PROXY_AT2
                    } else {
                        crate::member::PROXY_AT
                    };
                    call.push(Bytes::from_static(at.as_bytes()));
                    call.push(Bytes::from(core.node.hlc_now().to_string()));
                    call.extend(p.argv.iter().cloned());
                    if corekv_core::cmd::blocking::is_blocking(&p.argv) {
                        proxy_blocking(&core, addr, &p, call).await
                    } else {
                        core.proxy_pool().try_call(addr, call).await
                    }
                }
                None => Ok(errors::err(errors::NOT_LEADER)),
            };
            match outcome {
                // RESP3 from the leader: XREAD's pairs come back a map.
                Ok(r) if r != errors::err(errors::NOT_LEADER) => {
                    core.reply_to(p.to, corekv_core::cmd::relayed(&p.argv, r))
                }
                Err(e) if e.maybe_sent => core.reply_to(
                    p.to,
                    errors::err(&format!(
                        "ERR proxied command's outcome is unknown ({}); it may or may not have run",
                        e.reason
                    )),
                ),
                // Nothing ran: the leader refused it, or the request never
                // left (leader dead or partitioned away). Wait for the
                // election and retry, until the command's deadline.
                _ if Instant::now() + PROXY_RETRY < p.deadline => {
                    monoio::time::sleep(PROXY_RETRY).await;
                    core.st.borrow_mut().parked.push(p);
                    core.notify.notify();
                }
                _ => core.reply_to(p.to, errors::err(errors::NOT_LEADER)),
            }
        });
    }

    /// Streams a snapshot to a follower from a heavy-pool thread (it reads
    /// the whole group), then reports the outcome back to this core.
    fn send_snapshot(&self, st: &mut CoreState, send: corekv_shard::SnapshotSend) {
        let node = self.node.clone();
        let core = self.id;
        let to = send.msg.to;
        let gid = send.gid;
        let Some(addr) = node
            .member_addr(to)
            .filter(|_| !node.drops_to(to))
            .map(|a| crate::peer::peer_addr(a, core))
        else {
            st.shard.report_snapshot(gid, to, false);
            return;
        };
        let me = node.peer_hello(core);
        let n = node.clone();
        let tls = node.tls.cluster_client();
        let submitted = node.heavy.try_submit(move || {
            let t = Instant::now();
            let res =
                crate::peer::send_snapshot_blocking(addr, me, gid, &send.msg, &send.view, tls);
            match &res {
                Ok(keys) => eprintln!(
                    "corekv: group {gid}: snapshot at index {} sent to node {to} ({keys} keys, {:?})",
                    send.msg.get_snapshot().get_metadata().index,
                    t.elapsed()
                ),
                Err(e) => eprintln!("corekv: group {gid}: snapshot to node {to} failed: {e}"),
            }
            if let Some(inbox) = n.inboxes.get(core) {
                let _ = inbox.send(vec![Msg::SnapshotSent {
                    gid,
                    to,
                    ok: res.is_ok(),
                }]);
            }
        });
        if !submitted {
            st.shard.report_snapshot(gid, to, false);
        }
    }

    /// `-MOVED <slot> <ip:port>` for a keyed command whose group `leader`
    /// leads, when the Redis Cluster protocol is on.
    fn moved(&self, argv: &[Bytes], leader: u64) -> Option<Reply> {
        if !self.node.args.cluster_enabled {
            return None;
        }
        let spec = corekv_core::table::resolve(argv).ok()?;
        let first = *corekv_core::table::key_indexes(spec, argv).first()?;
        let slot = corekv_core::slot::key_slot(argv.get(first)?);
        let addr = self.node.member_addr(leader)?;
        Some(Reply::Error(format!("MOVED {slot} {addr}")))
    }

    /// Answers a parked command from outside a turn (a proxy task); a
    /// reply for another core goes out with the next turn.
    fn reply_to(&self, to: ParkedReply, reply: Reply) {
        let remote = matches!(to, ParkedReply::Remote { .. });
        self.st.borrow_mut().deliver(to, reply);
        if remote {
            self.notify.notify();
        }
    }

    /// Runs a parked heavy read (KEYS, SCAN) on the pool, like an
    /// unparked one, so a follower's core never walks a whole group.
    fn read_heavy_parked(
        &self,
        st: &mut CoreState,
        p: Parked,
        cmd: crate::heavy::HeavyCmd,
        now_ms: u64,
        rand: u64,
    ) {
        let Some(core) = self.me.get().and_then(|w| w.upgrade()) else {
            return;
        };
        let (tx, rx) = flume::bounded(1);
        let deliver = move |r| {
            let _ = tx.send(r);
        };
        if !submit_heavy(
            &self.node,
            &st.shard,
            p.pos,
            cmd,
            p.argv,
            now_ms,
            rand,
            p.client.encode,
            deliver,
        ) {
            st.deliver(p.to, errors::err(crate::heavy::BUSY));
            return;
        }
        let to = p.to;
        monoio::spawn(async move {
            let reply = rx
                .recv_async()
                .await
                .unwrap_or_else(|_| errors::err(errors::SHUTTING_DOWN));
            core.reply_to(to, reply);
        });
    }

    /// Writes that waited for transactions' locks go once the locks are
    /// released (in their order; those still blocked wait on). Also starts
    /// the recovery of locks held too long (docs/design/0025).
    fn retry_tx_wait(&self, st: &mut CoreState) {
        st.shard.tx_take_released();
        let mut queued = false;
        let now = Instant::now();
        for pos in 0..st.snap_wait.len() {
            if st.snap_wait.get(pos).is_none_or(Vec::is_empty) {
                continue;
            }
            let q = st
                .snap_wait
                .get_mut(pos)
                .map(std::mem::take)
                .unwrap_or_default();
            for (since, argv, waiter, client) in q {
                let go = !st.shard.is_leader(pos)
                    || st.shard.tx_check(pos, &argv, None) == corekv_shard::txn::TxCheck::Free;
                if go {
                    // Proposed now (or refused: not the leader any more).
                    match st.queue_write(pos, argv, waiter, client) {
                        Ok(()) => queued = true,
                        Err((r, waiter)) => {
                            if let Some(to) = waiter.into_reply_to() {
                                st.deliver(to, r);
                            }
                        }
                    }
                } else if now.duration_since(since) >= SNAP_WAIT {
                    if let Some(to) = waiter.into_reply_to() {
                        st.deliver(to, errors::err(corekv_core::txn::CONFLICT));
                    }
                } else if let Some(q) = st.snap_wait.get_mut(pos) {
                    q.push((since, argv, waiter, client));
                }
            }
        }
        for pos in 0..st.tx_wait.len() {
            let Some(q) = st.tx_wait.get_mut(pos) else {
                continue;
            };
            if q.is_empty() {
                continue;
            }
            let q = std::mem::take(q);
            for (argv, waiter, client) in q {
                let before = st.tx_wait.get(pos).map_or(0, |q| q.len());
                match st.queue_write(pos, argv, waiter, client) {
                    // Proposed this time, not put back to wait.
                    Ok(()) => queued |= st.tx_wait.get(pos).map_or(0, |q| q.len()) == before,
                    Err((r, waiter)) => {
                        if let Some(to) = waiter.into_reply_to() {
                            st.deliver(to, r);
                        }
                    }
                }
            }
        }
        if queued {
            self.notify.notify();
        }
        let now = Instant::now();
        if now.duration_since(st.tx_scan_at) < Duration::from_millis(500) {
            return;
        }
        st.tx_scan_at = now;
        for t in &mut st.watches {
            if !t.is_empty() {
                t.prune(now, false);
            }
        }
        let overdue = st.shard.tx_overdue(now, crate::txn::TX_RESOLVE_AFTER);
        let Some(core) = self.me.get().and_then(|w| w.upgrade()) else {
            return;
        };
        for (_, gid, id, primary) in overdue.locks {
            if st.tx_recovering.insert(id) {
                eprintln!(
                    "corekv: group {gid}: transaction {}:{} holds locks for over {:?}; asking its primary (group {primary})",
                    id.node,
                    id.hlc,
                    crate::txn::TX_RESOLVE_AFTER
                );
                let core = core.clone();
                monoio::spawn(async move {
                    crate::txn::resolve_lock(core.clone(), gid, id, primary).await;
                    core.st.borrow_mut().tx_recovering.remove(&id);
                });
            }
        }
        for (gid, id, effects) in overdue.records {
            if st.tx_recovering.insert(id) {
                let core = core.clone();
                monoio::spawn(async move {
                    crate::txn::finish_record(core.clone(), gid, id, effects).await;
                    core.st.borrow_mut().tx_recovering.remove(&id);
                });
            }
        }
    }

    /// Retries parked commands: run them once their group can, proxy them
    /// once another node is known to lead, give up at their deadline.
    fn retry_parked(&self, st: &mut CoreState) {
        if st.parked.is_empty() {
            return;
        }
        let now = Instant::now();
        let now_ms = unix_ms();
        let me = st.shard.node_id();
        let mut new_tickets = false;
        let spare = std::mem::take(&mut st.parked_spare);
        let mut walked = std::mem::replace(&mut st.parked, spare);
        for mut p in walked.drain(..) {
            if p.write && st.shard.is_leader(p.pos) {
                let waiter = match p.to {
                    ParkedReply::Local(tx) => Waiter::Local(tx, p.start),
                    ParkedReply::Remote { core, id } => Waiter::Remote {
                        core,
                        id,
                        start: p.start,
                    },
                };
                match st.queue_write(p.pos, p.argv, waiter, p.client) {
                    Ok(()) => CoreCounters::add(&self.counters().proposals, 1),
                    // Refused before it ran (e.g. a membership change while
                    // another is in progress): the caller hears why.
                    Err((r, waiter)) => {
                        if let Some(to) = waiter.into_reply_to() {
                            st.deliver(to, r);
                        }
                    }
                }
                continue;
            }
            let follower_read = || {
                p.ticket
                    .is_some_and(|t| st.shard.follower_read_ready(p.pos, t))
            };
            if !p.write
                && (st.shard.read_ready_at(p.pos, now, p.need) || follower_read())
                && !st.shard.tx_read_locked(p.pos, &p.argv)
            {
                if !st.shard.is_leader(p.pos) {
                    CoreCounters::add(&self.counters().follower_reads, 1);
                }
                let rand = st.next_rand();
                let mut p = p;
                let argv = std::mem::take(&mut p.argv);
                match crate::heavy::place(&st.shard, &self.node.heavy, p.pos, argv, now_ms, rand) {
                    crate::heavy::Placed::Pool(cmd, argv) => {
                        p.argv = argv;
                        self.read_heavy_parked(st, p, cmd, now_ms, rand);
                    }
                    crate::heavy::Placed::Done(reply) => st.deliver(p.to, reply),
                }
                continue;
            }
            if st.shard.is_leader(p.pos) {
                // Ours, but the lease needs confirming (or the log
                // re-applying): ask once, wait.
                st.shard.request_lease(p.pos, now);
            } else if let Some(leader) = st.shard.leader_of(p.pos).filter(|&l| l != me) {
                if !p.write && st.follower_reads {
                    // Wait here for a ReadIndex answer from the leader.
                    if p.ticket.is_none() {
                        p.ticket = Some(st.shard.follower_read_ticket(p.pos));
                        new_tickets = true;
                    }
                    if now < p.deadline {
                        st.parked.push(p);
                    } else {
                        st.deliver(p.to, errors::err(errors::NOT_LEADER));
                    }
                    continue;
                }
                if p.proxied {
                    // The proxying node thought we lead; let the client
                    // retry rather than bounce between nodes.
                    st.deliver(p.to, errors::err(errors::NOT_LEADER));
                } else if let Some(moved) = self.moved(&p.argv, leader) {
                    // Cluster protocol: the client routes itself.
                    st.deliver(p.to, moved);
                } else {
                    self.proxy(leader, p);
                }
                continue;
            }
            if now >= p.deadline {
                st.deliver(p.to, errors::err(errors::NOT_LEADER));
                continue;
            }
            st.parked.push(p);
        }
        st.parked_spare = walked;
        if new_tickets {
            // Their requests go out with the next turn's Ready.
            self.notify.notify();
        }
    }

    /// One loop turn of Raft work: Ready handling and apply, replies to
    /// waiters, the turn's writes to the persist thread, outgoing batches.
    fn turn(&self) {
        let mut guard = self.st.borrow_mut();
        let st = &mut *guard;
        st.unflushed = 0;
        // Commands are answered only inside a turn: the count peaks here.
        let q = &self.counters().queues;
        q.unanswered_max.fetch_max(st.unanswered() as u64, Relaxed);
        q.forwarded_max
            .fetch_max(std::mem::take(&mut st.forward_peak) as u64, Relaxed);
        // One entry per group per turn.
        let refused: Vec<(Token, Reply)> = Vec::new();
        if st.batches.iter().any(|b| !b.0.is_empty()) {
            let ts = self.node.hlc_now_ms();
            let mut dropped = Vec::new();
            for (pos, batch) in st.batches.iter_mut().enumerate() {
                if batch.0.is_empty() {
                    continue;
                }
                let (cmds, toks) = std::mem::take(batch);
                if st
                    .shard
                    .propose_batch(pos, ts, &cmds, toks.clone())
                    .is_err()
                {
                    // Never proposed (leadership lost or being handed over
                    // this turn): wait for the group's next leader instead.
                    dropped.push((pos, cmds, toks));
                }
            }
            let now = Instant::now();
            for (pos, cmds, toks) in dropped {
                for (argv, tok) in cmds.into_iter().zip(toks) {
                    let client = st
                        .blocking_props
                        .remove(&tok)
                        .map_or(ClientRef::default(), |b| b.3);
                    let Some(waiter) = st.waiters.remove(&tok) else {
                        continue;
                    };
                    if let Waiter::Serve(id) = waiter {
                        // Not proposed: it stays blocked; the leadership
                        // check answers it if this replica stopped leading.
                        if let Some(w) = st.blocked.get_mut(id) {
                            w.inflight = false;
                        }
                        let _ = self.settle_unblock(st, id);
                        continue;
                    }
                    let Some(to) = waiter.into_reply_to() else {
                        st.expire_inflight = st.expire_inflight.saturating_sub(1);
                        continue;
                    };
                    st.park(pos, argv, true, false, to, now, client);
                }
            }
        }
        let t0 = Instant::now();
        st.shard.send_follower_reads(t0);
        // CONFIG SET notify-keyspace-events reaches every core here.
        st.shard.set_notify(self.node.notify_flags.load(Relaxed));
        // Client-side caching: the keys this turn's applies change.
        let tracking = self.node.pubsub.any_tracking.load(Relaxed);
        if tracking {
            st.shard.set_watch_writes(true);
        }
        match st.shard.drive() {
            Ok(ds) => {
                if ds.applied > 0 {
                    st.hists.record_since(stats::RAFT_APPLY, t0);
                }
            }
            Err(e) => {
                eprintln!("corekv: core {}: raft failed: {e}", self.id);
                std::process::exit(1);
            }
        }
        let now = Instant::now();
        let key_events = st.shard.take_key_events();
        let mut completions = st.shard.take_completions();
        completions.extend(refused);
        for (tok, reply) in completions {
            if let Some((pos, mut argv, start, client)) = st.blocking_props.remove(&tok)
                && corekv_core::cmd::blocking::would_block(&reply)
            {
                corekv_core::cmd::blocking::resolve_ids(&mut argv, &reply);
                if let Some(to) = st.waiters.remove(&tok).and_then(Waiter::into_reply_to) {
                    self.block(st, pos, argv, to, start, client);
                }
                continue;
            }
            match st.waiters.remove(&tok) {
                Some(Waiter::Local(tx, start)) => {
                    st.hists.record_us(
                        stats::RAFT_COMMIT,
                        now.duration_since(start).as_micros() as u64,
                    );
                    let _ = tx.send(reply);
                }
                Some(Waiter::Remote { core, id, start }) => {
                    st.hists.record_us(
                        stats::RAFT_COMMIT,
                        now.duration_since(start).as_micros() as u64,
                    );
                    if let Some(out) = st.outbox.get_mut(core) {
                        out.push(Msg::Resp { id, reply });
                    }
                }
                Some(Waiter::Expiry) => {
                    st.expire_inflight = st.expire_inflight.saturating_sub(1);
                    if reply == Reply::Integer(1) {
                        CoreCounters::add(&self.counters().expired_keys, 1);
                    }
                }
                Some(Waiter::Serve(id)) => self.served(st, id, reply),
                None => {}
            }
        }
        let watching = st.watches.iter().any(|t| !t.is_empty());
        let mut tracked: Vec<Bytes> = Vec::new();
        let mut flushed = false;
        if !st.blocked.is_empty() || !st.blocking_props.is_empty() || watching || tracking {
            for (pos, key) in st.shard.take_written() {
                if watching && let Some(t) = st.watches.get_mut(pos) {
                    t.changed(&key);
                }
                if st.blocked.watched(pos, &key) {
                    self.wake(st, pos, &key);
                }
                if tracking {
                    tracked.push(key);
                }
            }
            flushed = st.shard.take_flushed() && tracking;
            self.unblock_due(st, now);
        } else {
            st.shard.set_watch_writes(false);
        }
        self.retry_tx_wait(st);
        self.retry_parked(st);
        let mut out = st.shard.take_outgoing();
        if self.node.drop_out.load(Relaxed) != 0 {
            out.retain(|(_, m)| !self.node.drops_to(m.to));
        }
        if !out.is_empty()
            && let Some(p) = self.peers.get()
        {
            p.send(out);
        }
        for send in st.shard.take_snapshot_sends() {
            self.send_snapshot(st, send);
        }
        if let Some(acl) = st.shard.take_acl() {
            // Before any reply of this turn goes out: a client answered OK
            // for ACL SETUSER here can AUTH as that user at once.
            self.node.acl.install(&acl);
        }
        for (id, addr) in st.shard.take_announced() {
            if let Ok(a) = addr.parse::<std::net::SocketAddr>()
                && self.node.add_member(id, a)
            {
                self.node.broadcast(|| Msg::MemberAdded { id });
            }
        }
        let job = match st.persist_carry.take() {
            Some(job) => Some(job),
            // At the bound the writes stay in the shard's pending job and
            // go, merged, once a completion makes room.
            None if st.persist_started.len() < PERSIST_JOBS => st.shard.take_job().inspect(|job| {
                st.persist_started.push_back((job.seq, now));
                CoreCounters::add(&self.counters().raft_batches, 1);
            }),
            None => None,
        };
        if let Some(job) = job {
            match st.persist_tx.try_send(job) {
                Ok(()) => {}
                Err(flume::TrySendError::Full(job)) => st.persist_carry = Some(job),
                Err(flume::TrySendError::Disconnected(_)) => {
                    eprintln!("corekv: core {}: persist thread is gone", self.id);
                    std::process::exit(1);
                }
            }
        }
        q.persist_jobs_max
            .fetch_max(st.persist_started.len() as u64, Relaxed);
        let mut backlog = false;
        for (dest, out) in st.outbox.iter_mut().enumerate() {
            if out.is_empty() {
                continue;
            }
            let Some(Some(ring)) = st.rings_out.get_mut(dest) else {
                // Not another core (cannot happen): the control channel.
                if let Some(tx) = self.node.inboxes.get(dest) {
                    let _ = tx.send(std::mem::take(out));
                }
                continue;
            };
            // A full ring keeps the rest here for the next turn; the
            // credit (`Limits::ring_capacity`) makes that rare.
            let n = out.len().min(ring.slots());
            if let Ok(chunk) = ring.write_chunk_uninit(n) {
                chunk.fill_from_iter(out.drain(..n));
            }
            if n > 0
                && let Some(mb) = self.node.inboxes.get(dest)
            {
                mb.ring();
            }
            backlog |= !out.is_empty();
        }
        let c = self.counters();
        c.keys.store(st.shard.key_count(), Relaxed);
        c.expires.store(st.shard.expiring_count() as u64, Relaxed);
        c.garbage_collections
            .store(st.shard.garbage_len() as u64, Relaxed);
        c.blocked_clients.store(st.blocked.len() as u64, Relaxed);
        let room = st.has_room(&self.limits);
        let waiting = !self.gate.is_empty();
        q.unanswered.store(st.unanswered() as u64, Relaxed);
        q.persist_jobs
            .store(st.persist_started.len() as u64, Relaxed);
        // Waking only queues the tasks: nothing runs under the borrow.
        if room && waiting {
            self.gate.wake_all();
        }
        if backlog {
            self.notify.notify();
        }
        drop(guard);
        if !key_events.is_empty() {
            crate::keyspace::deliver(self, key_events);
        }
        if !tracked.is_empty() || flushed {
            crate::tracking::modified(self, &tracked, flushed);
        }
    }

    /// Blocks a client whose command found nothing to pop (see
    /// `crate::blocking`). Its deadline counts from its arrival.
    fn block(
        &self,
        st: &mut CoreState,
        pos: usize,
        argv: Vec<Bytes>,
        to: ParkedReply,
        start: Instant,
        client: ClientRef,
    ) {
        use corekv_core::cmd::blocking;
        let deadline = blocking::timeout_ms(&argv)
            .filter(|ms| *ms > 0)
            .map(|ms| start + Duration::from_millis(ms));
        let keys = blocking::wait_keys(&argv);
        st.blocked.add(crate::blocking::BWaiter {
            pos,
            argv,
            keys,
            to,
            deadline,
            inflight: false,
            expired: false,
            client: client.id,
            unblock: None,
        });
        if let Some(d) = deadline
            && let Some(core) = self.me.get().and_then(|w| w.upgrade())
        {
            // Wake the loop at the deadline, not at the next tick.
            monoio::spawn(async move {
                monoio::time::sleep(d.saturating_duration_since(Instant::now())).await;
                core.notify.notify();
            });
        }
    }

    /// A write changed `key`: its oldest blocked client's command runs
    /// again (a serve, through the log like any write).
    fn wake(&self, st: &mut CoreState, pos: usize, key: &Bytes) {
        while let Some(id) = st.blocked.front(pos, key) {
            let Some(w) = st.blocked.get_mut(id) else {
                return;
            };
            // A client that went away is not served: nothing is popped
            // for it.
            if matches!(&w.to, ParkedReply::Local(tx) if tx.is_closed()) {
                st.blocked.remove(id);
                continue;
            }
            w.inflight = true;
            let argv = w.argv.clone();
            if st
                .queue_write(pos, argv, Waiter::Serve(id), ClientRef::default())
                .is_err()
            {
                if let Some(w) = st.blocked.get_mut(id) {
                    w.inflight = false;
                }
                let _ = self.settle_unblock(st, id);
                return;
            }
            self.notify.notify();
            return;
        }
    }

    /// The outcome of a serve of blocked client `id`.
    fn served(&self, st: &mut CoreState, id: u64, reply: Reply) {
        use corekv_core::cmd::blocking;
        if blocking::would_block(&reply) {
            // Someone else popped first: it stays at the front, unless
            // CLIENT UNBLOCK came meanwhile or its deadline passed.
            let expired = match st.blocked.get_mut(id) {
                Some(w) => {
                    w.inflight = false;
                    w.expired
                }
                None => false,
            };
            if self.settle_unblock(st, id) {
                return;
            }
            if expired && let Some(w) = st.blocked.remove(id) {
                let r = blocking::timeout_reply(&w.argv);
                st.deliver(w.to, r);
            }
            return;
        }
        let Some(w) = st.blocked.remove(id) else {
            return;
        };
        st.deliver(w.to, reply);
        // The key may hold more: serve the next client.
        for key in &w.keys {
            if st.blocked.watched(w.pos, key) {
                self.wake(st, w.pos, key);
            }
        }
    }

    /// Answers a CLIENT UNBLOCK of waiter `id` if one is pending and no
    /// serve of it is in flight (its outcome decides otherwise, see
    /// `served`): the client gets its unblock reply and the command 1.
    /// Whether it did.
    fn settle_unblock(&self, st: &mut CoreState, id: u64) -> bool {
        let pending = st
            .blocked
            .get_mut(id)
            .is_some_and(|w| !w.inflight && w.unblock.is_some());
        if pending
            && let Some(w) = st.blocked.remove(id)
            && let Some(u) = &w.unblock
        {
            let _ = u.answer.send(1);
            let r = unblock_reply(&w.argv, u.error);
            st.deliver(w.to, r);
            return true;
        }
        false
    }

    /// Answers blocked clients whose timeout passed.
    fn unblock_due(&self, st: &mut CoreState, now: Instant) {
        use corekv_core::cmd::blocking;
        for id in st.blocked.due(now) {
            let inflight = st.blocked.get_mut(id).is_some_and(|w| {
                w.expired = true;
                w.inflight
            });
            if !inflight && let Some(w) = st.blocked.remove(id) {
                let r = blocking::timeout_reply(&w.argv);
                st.deliver(w.to, r);
            }
        }
    }

    /// Answers blocked clients whose group this replica no longer leads
    /// (Redis's answer on failover); once per tick.
    fn unblock_deposed(&self, st: &mut CoreState) {
        for id in st.blocked.ids() {
            let Some(w) = st.blocked.get_mut(id) else {
                continue;
            };
            if w.inflight || st.shard.is_leader(w.pos) {
                continue;
            }
            if let Some(w) = st.blocked.remove(id) {
                st.deliver(w.to, errors::err(errors::UNBLOCKED_STATE));
            }
        }
    }

    fn on_persisted(&self, done: Done) {
        let mut st = self.st.borrow_mut();
        match done {
            Done::Log {
                readies,
                seq,
                data_seq,
            } => {
                if let Some(d) = data_seq {
                    st.shard.on_data_written(d);
                }
                let now = Instant::now();
                while let Some(&(s, start)) = st.persist_started.front() {
                    if s > seq {
                        break;
                    }
                    st.persist_started.pop_front();
                    st.hists.record_us(
                        stats::RAFT_PERSIST,
                        now.duration_since(start).as_micros() as u64,
                    );
                }
                st.shard.on_log_persisted(&readies);
            }
            Done::Data { seq } => st.shard.on_data_written(seq),
        }
    }

    fn on_msg(&self, msg: Msg) {
        match msg {
            Msg::Req {
                from,
                id,
                gidx,
                argv,
                write,
                proxied,
                now_ms,
                client,
            } => {
                CoreCounters::add(&self.counters().forwarded_in, 1);
                let mut st = self.st.borrow_mut();
                let st = &mut *st;
                let pos = st.gpos.get(gidx).copied().flatten();
                let now = Instant::now();
                let reply = match pos {
                    None => Some(errors::err(errors::NOT_LEADER)),
                    Some(pos)
                        if (write && !st.shard.is_leader(pos))
                            || (!write
                                && (!st.shard.read_ready(pos, now)
                                    || st.shard.tx_read_locked(pos, &argv))) =>
                    {
                        let to = ParkedReply::Remote { core: from, id };
                        st.park(pos, argv, write, proxied, to, now, client);
                        None
                    }
                    Some(pos) if write => {
                        let waiter = Waiter::Remote {
                            core: from,
                            id,
                            start: Instant::now(),
                        };
                        match st.queue_write(pos, argv, waiter, client) {
                            Ok(()) => {
                                CoreCounters::add(&self.counters().proposals, 1);
                                None
                            }
                            Err((r, _)) => Some(r),
                        }
                    }
                    Some(pos) => {
                        let rand = st.next_rand();
                        let now_ms = now_ms.max(unix_ms());
                        match crate::heavy::place(
                            &st.shard,
                            &self.node.heavy,
                            pos,
                            argv,
                            now_ms,
                            rand,
                        ) {
                            crate::heavy::Placed::Pool(cmd, argv) => {
                                // The pool thread sends the reply home itself.
                                let node = self.node.clone();
                                let deliver = move |reply| {
                                    if let Some(home) = node.inboxes.get(from) {
                                        let _ = home.send(vec![Msg::Resp { id, reply }]);
                                    }
                                };
                                if submit_heavy(
                                    &self.node,
                                    &st.shard,
                                    pos,
                                    cmd,
                                    argv,
                                    now_ms,
                                    rand,
                                    client.encode,
                                    deliver,
                                ) {
                                    None
                                } else {
                                    Some(errors::err(crate::heavy::BUSY))
                                }
                            }
                            crate::heavy::Placed::Done(reply) => Some(reply),
                        }
                    }
                };
                if let (Some(reply), Some(out)) = (reply, st.outbox.get_mut(from)) {
                    out.push(Msg::Resp { id, reply });
                }
            }
            Msg::Publish {
                from,
                id,
                kind,
                channel,
                message,
            } => {
                let n = self
                    .pubsub
                    .borrow()
                    .publish(&self.node.pubsub, kind, &channel, &message);
                if let Some(out) = self.st.borrow_mut().outbox.get_mut(from) {
                    out.push(Msg::Resp {
                        id,
                        reply: Reply::Integer(n as i64),
                    });
                }
            }
            Msg::Monitor(line) => {
                self.pubsub.borrow().feed_monitors(&self.node.pubsub, &line);
            }
            Msg::Invalidate { keys, flush } => {
                self.tracker.borrow_mut().invalidate(self, &keys, flush);
            }
            Msg::TrackPush { to, keys } => crate::tracking::deliver_redirected(self, to, keys),
            Msg::HasClient(id, tx) => {
                let _ = tx.send(self.st.borrow().clients.contains_key(&id));
            }
            Msg::Pubsub(q, tx) => {
                let _ = tx.send(self.pubsub.borrow().answer(&q));
            }
            Msg::Resp { id, reply } => {
                let mut st = self.st.borrow_mut();
                let st = &mut *st;
                if let Some((dest, tx)) = st.remote_waiters.remove(&id) {
                    st.forward_done(dest, &self.limits);
                    let _ = tx.send(reply);
                }
            }
            Msg::Snapshot(tx) => {
                let _ = tx.send(self.snapshot());
            }
            Msg::MemberAdded { id } => {
                if let (Some(p), Some(addr)) = (self.peers.get(), self.node.member_addr(id)) {
                    p.add(id, addr);
                }
            }
            Msg::SnapshotSent { gid, to, ok } => {
                self.st.borrow_mut().shard.report_snapshot(gid, to, ok);
            }
            Msg::Kill(filter, tx) => {
                let _ = tx.send(self.kill(&filter));
            }
            Msg::Replicas(tx) => {
                let _ = tx.send(self.st.borrow().shard.replica_counts());
            }
            Msg::ResetStats => {
                self.st.borrow_mut().hists.reset();
                self.counters().reset();
            }
            Msg::Unblock {
                client,
                error,
                answer,
            } => {
                let mut st = self.st.borrow_mut();
                let st = &mut *st;
                let Some(id) = st.blocked.of_client(client) else {
                    self.forward_unblock(st, client, error, answer);
                    return;
                };
                if let Some(w) = st.blocked.get_mut(id) {
                    w.unblock = Some(crate::blocking::Unblock { error, answer });
                }
                // At once, unless a serve is in flight (then `served`).
                self.settle_unblock(st, id);
            }
            Msg::Cancel { from, id } => {
                let mut st = self.st.borrow_mut();
                let found = st.blocked.ids().into_iter().find(|w| {
                    st.blocked.get_mut(*w).is_some_and(|b| {
                        !b.inflight
                            && matches!(b.to, ParkedReply::Remote { core, id: i } if core == from && i == id)
                    })
                });
                if let Some(w) = found {
                    st.blocked.remove(w);
                } else if let Some(flag) = st.proxied_waits.get(&(from, id)) {
                    flag.set(true);
                }
            }
        }
    }

    /// CLIENT UNBLOCK of a client whose blocked command this core proxied
    /// to another node: the leader holds the waiter under the link's id
    /// and answers (freeing it safely, as for its own clients); 0 here if
    /// the client is not one of ours or the link's id is not known yet.
    fn forward_unblock(
        &self,
        st: &CoreState,
        client: u64,
        error: bool,
        answer: flume::Sender<u64>,
    ) {
        let forward = st
            .proxied_blocked
            .get(&client)
            .and_then(|(addr, link)| link.get().map(|l| (*addr, l)));
        let (Some((addr, link)), Some(core)) = (forward, self.me.get().and_then(|w| w.upgrade()))
        else {
            let _ = answer.send(0);
            return;
        };
        monoio::spawn(async move {
            let mode = if error { "ERROR" } else { "TIMEOUT" };
            let call = vec![
                Bytes::from_static(b"CLIENT"),
                Bytes::from_static(b"UNBLOCK"),
                Bytes::from(link.to_string()),
                Bytes::from_static(mode.as_bytes()),
            ];
            let n = match core.proxy_pool().try_call(addr, call).await {
                Ok(Reply::Integer(n)) if n > 0 => 1,
                _ => 0,
            };
            let _ = answer.send(n);
        });
    }

    /// Requests sent to other cores whose client went away: told to the
    /// core running them (a blocked one is then forgotten). Once per tick.
    fn cancel_abandoned(&self, st: &mut CoreState) {
        let gone: Vec<u64> = st
            .remote_waiters
            .iter()
            .filter(|(_, (_, tx))| tx.is_closed())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            let Some((dest, _)) = st.remote_waiters.remove(&id) else {
                continue;
            };
            st.forward_done(dest, &self.limits);
            if let Some(out) = st.outbox.get_mut(dest) {
                out.push(Msg::Cancel { from: self.id, id });
            }
        }
    }

    /// The CLIENT LIST line of connection `id` of this core (ACL LOG's
    /// client-info).
    pub fn client_line(&self, id: u64) -> String {
        let st = self.st.borrow();
        st.clients
            .get(&id)
            .map(|c| client_line(id, c, Instant::now()))
            .unwrap_or_default()
    }

    fn snapshot(&self) -> CoreSnapshot {
        let st = self.st.borrow();
        let now = Instant::now();
        let clients = st
            .clients
            .iter()
            .map(|(id, c)| client_line(*id, c, now))
            .collect();
        CoreSnapshot {
            core: self.id,
            hists: st.hists.to_json(),
            raft: st.shard.raft_status(),
            clients,
            keys: st.shard.key_count(),
            expires: st.shard.expiring_count() as u64,
        }
    }

    fn kill(&self, f: &KillFilter) -> usize {
        let st = self.st.borrow();
        let mut n = 0;
        for (id, c) in &st.clients {
            if f.skip_id == Some(*id)
                || f.id.is_some_and(|x| x != *id)
                || f.addr.as_ref().is_some_and(|a| *a != c.addr)
                || f.laddr.as_ref().is_some_and(|a| *a != c.laddr)
            {
                continue;
            }
            // The connection task sees EOF on its pending read and exits.
            unsafe { libc::shutdown(c.fd, libc::SHUT_RDWR) };
            n += 1;
        }
        n
    }

    /// Active expiry: the leader proposes deletes of due keys, a bounded
    /// number per tick, one round in flight at a time.
    fn expire_round(&self) {
        let mut st = self.st.borrow_mut();
        let st = &mut *st;
        if st.expire_inflight > 0 {
            return;
        }
        let due = st.shard.due_expiries(unix_ms(), 512);
        for (pos, key) in due {
            if !st.shard.is_leader(pos) {
                continue;
            }
            let argv = vec![Bytes::from_static(b"COREKV.EXPIREIF"), key];
            if st
                .queue_write(pos, argv, Waiter::Expiry, ClientRef::default())
                .is_ok()
            {
                st.expire_inflight += 1;
            }
        }
    }
}

impl CoreState {
    /// Client commands this core holds unanswered (proposed or parked).
    fn unanswered(&self) -> usize {
        self.waiters.len() + self.parked.len()
    }

    /// A request sent to core `dest` is answered (or abandoned): its
    /// credit in that pair's window comes back.
    fn forward_done(&mut self, dest: usize, limits: &Limits) {
        if let Some(n) = self.forwarded.get_mut(dest) {
            if *n == limits.per_pair {
                self.pairs_full = self.pairs_full.saturating_sub(1);
            }
            *n = n.saturating_sub(1);
        }
    }

    /// [`Core::room`] under a borrow the caller already holds.
    fn has_room(&self, limits: &Limits) -> bool {
        self.unanswered() < limits.unanswered && self.pairs_full == 0
    }

    #[allow(clippy::too_many_arguments)]
    fn park(
        &mut self,
        pos: usize,
        argv: Vec<Bytes>,
        write: bool,
        proxied: bool,
        to: ParkedReply,
        now: Instant,
        client: ClientRef,
    ) {
        // A follower read's ticket is taken now, so the next turn's
        // `send_follower_reads` already asks for it (`retry_parked` takes
        // one for reads parked while no leader was known).
        let ticket = (!write && self.follower_reads && self.shard.leader_of(pos).is_some())
            .then(|| self.shard.follower_read_ticket(pos));
        let need = self.shard.committed(pos);
        self.parked.push(Parked {
            pos,
            argv,
            write,
            proxied,
            to,
            start: now,
            deadline: now + PARK_TIMEOUT,
            ticket,
            need,
            client,
        });
    }

    /// Answers a parked command from inside a turn.
    fn deliver(&mut self, to: ParkedReply, reply: Reply) {
        match to {
            ParkedReply::Local(tx) => {
                let _ = tx.send(reply);
            }
            ParkedReply::Remote { core, id } => {
                if let Some(out) = self.outbox.get_mut(core) {
                    out.push(Msg::Resp { id, reply });
                }
            }
        }
    }

    /// Queues a write for group `pos`; the turn proposes each group's queue
    /// as one Raft entry. Fails fast when this replica cannot lead.
    /// On refusal the waiter comes back with the reason.
    fn queue_write(
        &mut self,
        pos: usize,
        argv: Vec<Bytes>,
        waiter: Waiter,
        client: ClientRef,
    ) -> Result<(), (Reply, Waiter)> {
        if !self.shard.is_leader(pos) {
            return Err((errors::err(errors::NOT_LEADER), waiter));
        }
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(corekv_core::txn::UNWATCH.as_bytes()))
        {
            // Leader-local, answered at once, never proposed.
            if let (Some(id), Some(t)) = (
                corekv_core::txn::TxId::at(&argv, 2),
                self.watches.get_mut(pos),
            ) {
                t.remove(id);
            }
            return Err((Reply::ok(), waiter));
        }
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(corekv_core::txn::CHECK.as_bytes()))
        {
            // A snapshot read's second half: leader-local, answered at once.
            return Err((self.snap_check(pos, &argv), waiter));
        }
        let gate = match self.watch_gate(pos, &argv) {
            crate::watch::Holds::Yes => self.tx_gate(pos, &argv),
            crate::watch::Holds::Wait => corekv_shard::txn::TxCheck::Wait,
            crate::watch::Holds::No => {
                return Err((errors::err(corekv_core::txn::WATCH_FAILED), waiter));
            }
        };
        match gate {
            corekv_shard::txn::TxCheck::Free => {
                self.snap_register(pos, &argv);
                self.watch_mark(pos, &argv);
            }
            corekv_shard::txn::TxCheck::Wait => {
                if let Some(q) = self.tx_wait.get_mut(pos) {
                    q.push_back((argv, waiter, client));
                    return Ok(());
                }
            }
            corekv_shard::txn::TxCheck::Conflict => {
                if let (true, Some(q)) = (is_snap(&argv), self.snap_wait.get_mut(pos)) {
                    q.push((Instant::now(), argv, waiter, client));
                    return Ok(());
                }
                return Err((errors::err(corekv_core::txn::CONFLICT), waiter));
            }
        }
        let tok = self.next_token;
        self.next_token += 1;
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(crate::acl::ACL_OP.as_bytes()))
        {
            // An ACL change: its own entry of the meta group.
            if let Err(r) = self
                .shard
                .propose_acl(pos, argv.get(1..).unwrap_or(&[]), tok)
            {
                return Err((r, waiter));
            }
            self.waiters.insert(tok, waiter);
            return Ok(());
        }
        if argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(crate::admin::GROUP_CMD.as_bytes()))
        {
            // A membership change or leader preference: its own entry.
            if let Err(r) = crate::admin::propose(&mut self.shard, pos, &argv, tok) {
                return Err((r, waiter));
            }
            self.waiters.insert(tok, waiter);
            return Ok(());
        }
        let Some(batch) = self.batches.get_mut(pos) else {
            return Err((errors::err(errors::NOT_LEADER), waiter));
        };
        if !matches!(waiter, Waiter::Serve(_)) && corekv_core::cmd::blocking::is_blocking(&argv) {
            // Its apply may find nothing: keep what is needed to block it.
            self.blocking_props
                .insert(tok, (pos, argv.clone(), Instant::now(), client));
            self.shard.set_watch_writes(true);
        }
        batch.0.push(argv);
        batch.1.push(tok);
        self.waiters.insert(tok, waiter);
        self.unflushed += 1;
        Ok(())
    }

    /// WATCH at the leader (see `crate::watch`): registers a
    /// `COREKV.TXWATCH` (then proposed as a no-op), and refuses a prepare
    /// or one-group transaction whose watch no longer holds.
    fn watch_gate(&mut self, pos: usize, argv: &[Bytes]) -> crate::watch::Holds {
        use crate::watch::Holds;
        use corekv_core::txn;
        let name = argv.first().map_or(&[][..], |a| &a[..]);
        let wid_at = if name.eq_ignore_ascii_case(txn::PREP.as_bytes())
            || name.eq_ignore_ascii_case(txn::PREP_ALL.as_bytes())
        {
            4
        } else if name.eq_ignore_ascii_case(txn::MULTI.as_bytes()) {
            2
        } else if name.eq_ignore_ascii_case(txn::WATCH.as_bytes()) {
            self.watch_register(pos, argv);
            return Holds::Yes;
        } else {
            return Holds::Yes;
        };
        let Some(id) = corekv_core::txn::TxId::at(argv, wid_at) else {
            return Holds::Yes; // no watch
        };
        self.watch_holds(pos, id)
    }

    /// What watch `id` of group `pos` says now.
    fn watch_holds(&self, pos: usize, id: corekv_core::txn::TxId) -> crate::watch::Holds {
        let term = self.shard.term(pos);
        let now_ms = unix_ms();
        let (applied, last) = self.shard.applied_and_last(pos);
        let idle = applied == last && self.batches.get(pos).is_none_or(|b| b.0.is_empty());
        let shard = &self.shard;
        self.watches.get(pos).map_or(crate::watch::Holds::No, |t| {
            t.holds(id, term, applied, idle, |k| shard.record_live(k, now_ms))
        })
    }

    /// A `COREKV.TXSNAP` is being proposed: from now on a write of its keys
    /// breaks the snapshot (registered here, not when first queued: a
    /// commit that went ahead of it while it waited for a lock is applied
    /// before it reads, and must not count).
    fn snap_register(&mut self, pos: usize, argv: &[Bytes]) {
        use corekv_core::txn;
        let Some(name) = argv.first().filter(|a| txn::is_snap(a)) else {
            return;
        };
        self.watch_register(pos, argv);
        if !name.eq_ignore_ascii_case(txn::SNAP_HOLD.as_bytes()) {
            return;
        }
        if let (Some(id), Some(h)) = (
            corekv_core::txn::TxId::at(argv, 2),
            self.snap_hold.get_mut(pos),
        ) {
            let until = Instant::now() + SNAP_HOLD;
            for k in argv.get(3..).unwrap_or(&[]) {
                h.insert(k.clone(), (id, until));
            }
        }
    }

    /// Whether a snapshot read holds one of `keys` of group `pos` (`None`:
    /// any key of the group, for a whole-group prepare).
    fn snap_held(&mut self, pos: usize, keys: Option<&[Bytes]>) -> bool {
        let Some(h) = self.snap_hold.get_mut(pos) else {
            return false;
        };
        if h.is_empty() {
            return false;
        }
        let now = Instant::now();
        h.retain(|_, (_, until)| *until > now);
        match keys {
            None => !h.is_empty(),
            Some(keys) => keys.iter().any(|k| h.contains_key(k)),
        }
    }

    /// Registers the watch of a `COREKV.TXWATCH` or `COREKV.TXSNAP`
    /// (`<name> <slot> <id> key…`) at this leader.
    fn watch_register(&mut self, pos: usize, argv: &[Bytes]) {
        let Some(id) = corekv_core::txn::TxId::at(argv, 2) else {
            return;
        };
        let now_ms = unix_ms();
        let keys = argv
            .get(3..)
            .unwrap_or(&[])
            .iter()
            .map(|k| (k.clone(), self.shard.record_live(k, now_ms) == Some(true)))
            .collect();
        let term = self.shard.term(pos);
        if let Some(t) = self.watches.get_mut(pos) {
            t.register(id, keys, term, Instant::now());
        }
        // Applied writes tell which keys they changed.
        self.shard.set_watch_writes(true);
    }

    /// `COREKV.TXCHECK`: whether group `pos`'s keys of a snapshot read are
    /// unchanged since its `COREKV.TXSNAP` and unlocked (then every value
    /// it read still holds now); drops the watch either way.
    fn snap_check(&mut self, pos: usize, argv: &[Bytes]) -> Reply {
        use corekv_core::txn;
        let Some(id) = corekv_core::txn::TxId::at(argv, 2) else {
            return errors::err(txn::WATCH_FAILED);
        };
        let holds = self.watch_holds(pos, id) == crate::watch::Holds::Yes
            && self.shard.tx_check(pos, argv, None) == corekv_shard::txn::TxCheck::Free;
        if let Some(t) = self.watches.get_mut(pos) {
            t.remove(id);
        }
        if let Some(h) = self.snap_hold.get_mut(pos) {
            for k in argv.get(3..).unwrap_or(&[]) {
                if h.get(k).is_some_and(|(by, _)| *by == id) {
                    h.remove(k);
                }
            }
        }
        if holds {
            Reply::ok()
        } else {
            errors::err(txn::WATCH_FAILED)
        }
    }

    /// A write of group `pos` is being proposed: the watches of its keys
    /// (all of them for a write of the whole group) become dirty.
    fn watch_mark(&mut self, pos: usize, argv: &[Bytes]) {
        use corekv_core::txn;
        if self.watches.get(pos).is_none_or(|t| t.is_empty()) {
            return;
        }
        let name = argv.first().map_or(&[][..], |a| &a[..]);
        let keys: Vec<Bytes> = if name.eq_ignore_ascii_case(txn::COMMIT.as_bytes()) {
            // The effects meant for this group.
            let me = self.shard.group_ids().get(pos).copied().unwrap_or(u32::MAX);
            txn::commit_parts(argv)
                .unwrap_or_default()
                .into_iter()
                .filter(|(g, _)| *g == me)
                .flat_map(|(_, e)| txn::decode_effects(&e).unwrap_or_default().0)
                .map(|(k, _)| k)
                .collect()
        } else if txn::is_tx_command(name) {
            Vec::new()
        } else if corekv_core::table::find(argv)
            .is_some_and(|s| matches!(s.route, corekv_core::table::Route::AllGroups { .. }))
        {
            let now_ms = unix_ms();
            let shard = &self.shard;
            if let Some(t) = self.watches.get_mut(pos) {
                t.flush(|k| shard.record_live(k, now_ms));
            }
            return;
        } else {
            txn::tx_keys(argv)
        };
        // Proposed with this turn's entry at the latest (one entry per
        // group per turn; a membership change may come first).
        let by = self.shard.applied_and_last(pos).1 + 2;
        if let Some(t) = self.watches.get_mut(pos) {
            for k in &keys {
                t.touch(k, by);
            }
        }
    }

    /// What transactions' locks say about proposing `argv` to group `pos`
    /// now (docs/design/0025). Commits, aborts and resolves always go; a
    /// prepare goes only if nothing else waits for its keys' group (it is
    /// refused rather than wait: no deadlock); a plain write waits behind
    /// a lock, or behind writes already waiting, keeping their order.
    fn tx_gate(&mut self, pos: usize, argv: &[Bytes]) -> corekv_shard::txn::TxCheck {
        use corekv_shard::txn::TxCheck;
        let name = argv.first().map_or(&[][..], |a| &a[..]);
        if corekv_core::txn::is_snap(name) {
            // A snapshot read never waits in the queue (a queued one would
            // hold back every prepare behind it): its reader tries again.
            return match self.shard.tx_check(pos, argv, None) {
                TxCheck::Free => TxCheck::Free,
                _ => TxCheck::Conflict,
            };
        }
        if corekv_core::txn::is_tx_command(name) {
            // Of the transaction commands only a prepare is gated: of its
            // keys, or (`COREKV.TXPREPALL`) of the whole group.
            let whole = name.eq_ignore_ascii_case(corekv_core::txn::PREP_ALL.as_bytes());
            if !whole && !name.eq_ignore_ascii_case(corekv_core::txn::PREP.as_bytes()) {
                return TxCheck::Free;
            }
            let Some(id) = corekv_core::txn::TxId::at(argv, 2) else {
                return TxCheck::Conflict;
            };
            let queued = self.tx_wait.get(pos).is_some_and(|q| !q.is_empty());
            let (held, locks) = if whole {
                (self.snap_held(pos, None), self.shard.tx_check_all(pos, id))
            } else {
                (
                    self.snap_held(pos, argv.get(5..)),
                    self.shard.tx_check(pos, argv, Some(id)),
                )
            };
            if queued || held || locks != TxCheck::Free {
                return TxCheck::Conflict;
            }
            self.shard.tx_proposed(pos, id, argv);
            return TxCheck::Free;
        }
        if self.tx_wait.get(pos).is_some_and(|q| !q.is_empty()) {
            return TxCheck::Wait;
        }
        self.shard.tx_check(pos, argv, None)
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*: RANDOMKEY needs spread, not cryptographic strength.
        let mut x = self.rand_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rand_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A blocking command proxied to the leader at `addr`: on a connection of
/// its own for as long as it blocks (`ProxyPool::call_alone`), ended when
/// its client leaves (a local reply channel closed, or `Msg::Cancel` from
/// the client's core), and findable by CLIENT UNBLOCK (`proxied_blocked`).
async fn proxy_blocking(
    core: &Rc<Core>,
    addr: std::net::SocketAddr,
    p: &Parked,
    call: Vec<Bytes>,
) -> Result<Reply, crate::proxy::ProxyError> {
    let timeout = match corekv_core::cmd::blocking::timeout_ms(&p.argv) {
        Some(ms) if ms > 0 => Duration::from_millis(ms) + PROXY_BLOCK_SLACK,
        _ => PROXY_BLOCK_FOREVER,
    };
    let left = match &p.to {
        ParkedReply::Remote { core: c, id } => {
            let flag = Rc::new(std::cell::Cell::new(false));
            let mut st = core.st.borrow_mut();
            st.proxied_waits.insert((*c, *id), flag.clone());
            Some(((*c, *id), flag))
        }
        ParkedReply::Local(_) => None,
    };
    let gone = || match (&p.to, &left) {
        (ParkedReply::Local(tx), _) => tx.is_closed(),
        (_, Some((_, flag))) => flag.get(),
        _ => false,
    };
    let link_id = Rc::new(std::cell::Cell::new(None));
    let client = p.client.id;
    if client != 0 {
        let entry = (addr, link_id.clone());
        core.st.borrow_mut().proxied_blocked.insert(client, entry);
    }
    let r = core
        .proxy_pool()
        .call_alone(addr, call, timeout, gone, &link_id)
        .await;
    let mut st = core.st.borrow_mut();
    if let Some((k, _)) = &left {
        st.proxied_waits.remove(k);
    }
    if client != 0 {
        st.proxied_blocked.remove(&client);
    }
    r
}

/// A blocking command proxied to another node: the leader's address and
/// the link's client id there (once known).
type ProxiedBlock = (std::net::SocketAddr, Rc<std::cell::Cell<Option<u64>>>);

/// What a client freed by CLIENT UNBLOCK gets: its timeout reply, or with
/// ERROR Redis's `-UNBLOCKED` error.
fn unblock_reply(argv: &[Bytes], error: bool) -> Reply {
    if error {
        errors::err(UNBLOCKED_BY_CLIENT)
    } else {
        corekv_core::cmd::blocking::timeout_reply(argv)
    }
}

/// Redis 7.0's text (networking.c, CLIENT UNBLOCK ... ERROR).
const UNBLOCKED_BY_CLIENT: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// A proxied blocking command's call may take its own timeout plus this
/// (the leader answers the timeout; this covers the trip).
const PROXY_BLOCK_SLACK: Duration = Duration::from_secs(2);
/// The call bound of a proxied blocking command without a timeout (`0`).
const PROXY_BLOCK_FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Pause before a command whose leader was unreachable is retried.
const PROXY_RETRY: Duration = Duration::from_millis(25);

/// The core loop: runs [`Core::poll_raft`] whenever something notifies
/// the core (a proposal, a peer message, a doorbell from another thread,
/// the tick timer). Busy connections run the same work through
/// [`Core::before_client`] without waiting for this task.
pub async fn run_tasks(core: Rc<Core>, bell: flume::Receiver<()>) {
    let c = core.clone();
    monoio::spawn(async move {
        // Cross-thread wakes reach an idle core here (monoio processes
        // them when its run queue is empty).
        while bell.recv_async().await.is_ok() {
            c.notify.notify();
        }
    });
    let c = core.clone();
    monoio::spawn(async move {
        loop {
            monoio::time::sleep(TICK).await;
            c.notify.notify();
        }
    });
    loop {
        core.notify.wait().await;
        core.poll_raft();
    }
}

/// One client's CLIENT LIST line.
fn client_line(id: u64, c: &ClientEntry, now: Instant) -> String {
    format!(
        "id={id} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub={} psub={} ssub={} multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} redir={} resp={}",
        c.addr,
        c.laddr,
        c.fd,
        c.name,
        now.duration_since(c.created).as_secs(),
        now.duration_since(c.last_active).as_secs(),
        if c.pubsub.flags.is_empty() {
            "N"
        } else {
            c.pubsub.flags.as_str()
        },
        c.pubsub.sub,
        c.pubsub.psub,
        c.pubsub.ssub,
        c.last_cmd,
        c.user,
        c.pubsub.redir,
        c.resp
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_hold_both_credit_windows() {
        for (limit, cores) in [(16, 1), (64, 2), (16384, 2), (16384, 256), (1 << 20, 3)] {
            let l = Limits::new(limit, cores);
            assert!(l.per_pair >= 64);
            assert!(l.unanswered >= 16);
            // A's requests to B and the replies to B's requests.
            assert!(l.ring_capacity() >= 2 * l.per_pair + 64);
        }
        assert_eq!(Limits::new(16384, 2).per_pair, 8192);
        assert_eq!(Limits::new(64, 2).per_pair, 64);
    }
}
