//! Pub/sub (docs/design/0027): SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their
//! UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB, and the fan-out behind them.
//!
//! Each core keeps its own registry of the channels and patterns its
//! connections subscribe to; nothing is shared but one counter per core
//! (its subscriptions, so a publisher skips cores that have none). A
//! message published on a core is encoded into the queue of each local
//! subscriber, sent once to every other core that has subscriptions (one
//! message per core, batched with the turn's other cross-core traffic),
//! and queued once per other node, whose forwarder sends everything queued
//! as one `COREKV.PUB` call per round trip. PUBLISH answers the receivers
//! on this node, like Redis Cluster's PUBLISH.
//!
//! A subscriber's queue holds encoded frames; its connection writes them
//! out between commands. Past the `client-output-buffer-limit pubsub`
//! bounds (hard, or soft for longer than its seconds) the connection is
//! closed and its queue dropped, as Redis does, instead of growing memory.

use crate::conn::Conn;
use crate::core::{Core, Pending};
use crate::notify::LocalNotify;
use bytes::{Bytes, BytesMut};
use corekv_core::cmd::glob_match;
use corekv_core::table::PubsubSub;
use corekv_core::{Reply, errors};
use corekv_wire::{Proto, encode, encode_bulk, encode_int, encode_push_header};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Plain channels (PUBLISH, SUBSCRIBE, PSUBSCRIBE) or shard channels
/// (SPUBLISH, SSUBSCRIBE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Shard,
}

impl Kind {
    pub fn name(self) -> &'static [u8] {
        match self {
            Kind::Plain => b"p",
            Kind::Shard => b"s",
        }
    }

    pub fn parse(b: &[u8]) -> Option<Kind> {
        match b {
            b"p" => Some(Kind::Plain),
            b"s" => Some(Kind::Shard),
            _ => None,
        }
    }

    fn message(self) -> &'static [u8] {
        match self {
            Kind::Plain => b"message",
            Kind::Shard => b"smessage",
        }
    }
}

/// The output bounds of subscribed connections (`client-output-buffer-limit
/// pubsub <hard> <soft> <soft-seconds>`), node-wide.
#[derive(Debug)]
pub struct OutputLimit {
    pub hard: AtomicU64,
    pub soft: AtomicU64,
    pub soft_secs: AtomicU64,
}

impl Default for OutputLimit {
    fn default() -> Self {
        // Redis's defaults: 32mb 8mb 60.
        OutputLimit {
            hard: AtomicU64::new(32 << 20),
            soft: AtomicU64::new(8 << 20),
            soft_secs: AtomicU64::new(60),
        }
    }
}

/// Node-wide pub/sub state: only counters and settings, no registry.
#[derive(Debug)]
pub struct Shared {
    /// Per core: its connections' subscriptions (channels, patterns and
    /// shard channels). A publisher sends to cores with any.
    pub subs: Vec<AtomicU64>,
    pub limit: OutputLimit,
    /// Subscribers closed for passing the output limit.
    pub dropped_clients: AtomicU64,
    /// Messages for other nodes dropped because their queue was full.
    pub dropped_forwards: AtomicU64,
    /// Per core: its MONITOR connections. Dispatch feeds monitors only
    /// while some core has one (one relaxed load per command otherwise).
    pub monitors: Vec<AtomicU64>,
    /// Any core has a monitor.
    pub any_monitor: std::sync::atomic::AtomicBool,
    /// Per core: its tracking clients (CLIENT TRACKING ON).
    pub tracking: Vec<AtomicU64>,
    /// Any core has a tracking client: applied writes report their keys.
    pub any_tracking: std::sync::atomic::AtomicBool,
    /// The core of every connection with a subscriber handle, so an
    /// invalidation redirected to it finds it. Touched when such a handle
    /// is made or dropped, never per message.
    owners: std::sync::Mutex<HashMap<u64, usize>>,
}

impl Shared {
    pub fn new(cores: usize) -> Shared {
        Shared {
            subs: (0..cores).map(|_| AtomicU64::new(0)).collect(),
            limit: OutputLimit::default(),
            dropped_clients: AtomicU64::new(0),
            dropped_forwards: AtomicU64::new(0),
            monitors: (0..cores).map(|_| AtomicU64::new(0)).collect(),
            any_monitor: Default::default(),
            tracking: (0..cores).map(|_| AtomicU64::new(0)).collect(),
            any_tracking: Default::default(),
            owners: Default::default(),
        }
    }

    /// Recomputes the "any core has one" flags after a count changed.
    pub fn counts_changed(&self) {
        let any = self.monitors.iter().any(|m| m.load(Relaxed) > 0);
        self.any_monitor.store(any, Relaxed);
        let any = self.tracking.iter().any(|m| m.load(Relaxed) > 0);
        self.any_tracking.store(any, Relaxed);
    }

    /// The core of connection `id`, if it has a subscriber handle.
    pub fn owner_of(&self, id: u64) -> Option<usize> {
        self.owners.lock().ok()?.get(&id).copied()
    }

    fn set_owner(&self, id: u64, core: Option<usize>) {
        if let Ok(mut m) = self.owners.lock() {
            match core {
                Some(c) => m.insert(id, c),
                None => m.remove(&id),
            };
        }
    }

    /// `client-output-buffer-limit` as CONFIG GET prints it.
    pub fn limit_config(&self) -> String {
        format!(
            "normal 0 0 0 slave 268435456 67108864 60 pubsub {} {} {}",
            self.limit.hard.load(Relaxed),
            self.limit.soft.load(Relaxed),
            self.limit.soft_secs.load(Relaxed)
        )
    }

    /// Validates a `client-output-buffer-limit` value; the pubsub class's
    /// new bounds, if it names that class (the others are accepted and
    /// ignored: corekv has no replica links of Redis's kind and never
    /// bounds a normal client's replies).
    pub fn parse_limit(value: &str) -> Result<Option<(u64, u64, u64)>, &'static str> {
        let words: Vec<&str> = value.split_whitespace().collect();
        if !words.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.");
        }
        let mut pubsub = None;
        for w in words.chunks(4) {
            let [class, hard, soft, secs] = w else {
                return Err("Wrong number of arguments in buffer limit configuration.");
            };
            let class = class.to_ascii_lowercase();
            if !matches!(class.as_str(), "normal" | "slave" | "replica" | "pubsub") {
                return Err("Invalid client class specified in buffer limit configuration.");
            }
            let (Some(hard), Some(soft), Ok(secs)) =
                (mem_bytes(hard), mem_bytes(soft), secs.parse::<u64>())
            else {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
                );
            };
            if class == "pubsub" {
                pubsub = Some((hard, soft, secs));
            }
        }
        Ok(pubsub)
    }
}

/// Redis's memory units: `b`, `k`/`kb`, `m`/`mb`, `g`/`gb` (the `b` forms
/// are powers of 1024), case-insensitive.
fn mem_bytes(s: &str) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    let digits = l.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = l.get(digits.len()..).unwrap_or("");
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// A subscribed connection as publishers see it: its queue of encoded
/// frames and the flag that wakes it.
pub struct Subscriber {
    pub conn_id: u64,
    fd: i32,
    resp3: Cell<bool>,
    queue: RefCell<BytesMut>,
    /// Bytes the connection took from the queue and is still writing:
    /// they count against the limit as Redis's output buffer would.
    writing: Cell<usize>,
    pub notify: LocalNotify,
    /// Closed for passing the output limit.
    dropped: Cell<bool>,
    soft_since: Cell<Option<Instant>>,
    /// Subscribed to a channel, pattern or shard channel (Redis's
    /// CLIENT_PUBSUB): a RESP2 redirect target gets invalidations then.
    in_pubsub: Cell<bool>,
}

impl Subscriber {
    fn new(conn_id: u64, fd: i32, proto: Proto) -> Subscriber {
        Subscriber {
            conn_id,
            fd,
            resp3: Cell::new(proto == Proto::Resp3),
            queue: RefCell::new(BytesMut::new()),
            writing: Cell::new(0),
            notify: LocalNotify::default(),
            dropped: Cell::new(false),
            soft_since: Cell::new(None),
            in_pubsub: Cell::new(false),
        }
    }

    pub fn in_pubsub(&self) -> bool {
        self.in_pubsub.get()
    }

    /// Appends one frame built by `f` (in this subscriber's protocol).
    pub fn push_frame(&self, shared: &Shared, f: impl FnOnce(&mut BytesMut, Proto)) {
        self.push(shared, Instant::now(), f);
    }

    pub fn proto(&self) -> Proto {
        if self.resp3.get() {
            Proto::Resp3
        } else {
            Proto::Resp2
        }
    }

    pub fn dropped(&self) -> bool {
        self.dropped.get()
    }

    /// Moves the queued frames to `out` (the connection's output buffer);
    /// they count as being written until [`Subscriber::written`].
    pub fn take_into(&self, out: &mut BytesMut) {
        let mut q = self.queue.borrow_mut();
        if q.is_empty() {
            return;
        }
        self.writing.set(self.writing.get() + q.len());
        if out.is_empty() {
            std::mem::swap(&mut *q, out);
        } else {
            out.extend_from_slice(&q);
            q.clear();
        }
    }

    /// The connection's write finished.
    pub fn written(&self) {
        self.writing.set(0);
    }

    pub fn has_queued(&self) -> bool {
        !self.queue.borrow().is_empty()
    }

    /// Appends one frame built by `f`, then enforces the output limit.
    fn push(&self, shared: &Shared, now: Instant, f: impl FnOnce(&mut BytesMut, Proto)) {
        if self.dropped.get() {
            return;
        }
        let proto = self.proto();
        let pending = {
            let mut q = self.queue.borrow_mut();
            f(&mut q, proto);
            q.len() + self.writing.get()
        } as u64;
        let hard = shared.limit.hard.load(Relaxed);
        let soft = shared.limit.soft.load(Relaxed);
        let over_hard = hard > 0 && pending > hard;
        let over_soft = if soft > 0 && pending > soft {
            let since = self.soft_since.get().unwrap_or(now);
            self.soft_since.set(Some(since));
            now.saturating_duration_since(since)
                >= Duration::from_secs(shared.limit.soft_secs.load(Relaxed))
        } else {
            self.soft_since.set(None);
            false
        };
        if over_hard || over_soft {
            // Like Redis: the client is closed, its output dropped.
            self.dropped.set(true);
            self.queue.borrow_mut().clear();
            shared.dropped_clients.fetch_add(1, Relaxed);
            eprintln!(
                "corekv: closed subscriber {} for overcoming of output buffer limits ({} bytes pending)",
                self.conn_id, pending
            );
            // Its task may be stuck writing to a client that reads nothing:
            // the shutdown ends that write and its pending read.
            unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
        }
        self.notify.notify();
    }
}

/// Subscribers of one channel or pattern, in subscription order.
type Subs = Vec<Rc<Subscriber>>;

/// One core's subscriptions.
#[derive(Default)]
pub struct Registry {
    channels: HashMap<Bytes, Subs, ahash::RandomState>,
    shard: HashMap<Bytes, Subs, ahash::RandomState>,
    patterns: HashMap<Bytes, Subs, ahash::RandomState>,
    /// Messages waiting to go to each other node, by its RESP address.
    forwards: HashMap<std::net::SocketAddr, Rc<Forward>, ahash::RandomState>,
    /// MONITOR connections.
    monitors: Vec<Rc<Subscriber>>,
    /// Every connection of this core with a subscriber handle, by id.
    by_id: HashMap<u64, Rc<Subscriber>, ahash::RandomState>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Channels,
    Shard,
    Patterns,
}

impl Table {
    /// What a (un)subscribe command of `kind` works on.
    fn of(kind: Kind, patterns: bool) -> Table {
        match (kind, patterns) {
            (Kind::Shard, _) => Table::Shard,
            (Kind::Plain, true) => Table::Patterns,
            (Kind::Plain, false) => Table::Channels,
        }
    }

    /// The confirmation frames' names: (subscribe, unsubscribe).
    fn verbs(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Table::Channels => (b"subscribe", b"unsubscribe"),
            Table::Patterns => (b"psubscribe", b"punsubscribe"),
            Table::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }
}

impl Registry {
    /// The channels (not patterns) of `kind`.
    fn named(&self, kind: Kind) -> &HashMap<Bytes, Subs, ahash::RandomState> {
        match kind {
            Kind::Plain => &self.channels,
            Kind::Shard => &self.shard,
        }
    }

    fn table(&mut self, t: Table) -> &mut HashMap<Bytes, Subs, ahash::RandomState> {
        match t {
            Table::Channels => &mut self.channels,
            Table::Shard => &mut self.shard,
            Table::Patterns => &mut self.patterns,
        }
    }

    fn add(&mut self, t: Table, name: &Bytes, sub: &Rc<Subscriber>) {
        self.table(t)
            .entry(name.clone())
            .or_default()
            .push(sub.clone());
    }

    fn remove(&mut self, t: Table, name: &[u8], conn_id: u64) {
        let table = self.table(t);
        if let Some(subs) = table.get_mut(name) {
            subs.retain(|s| s.conn_id != conn_id);
            if subs.is_empty() {
                // A channel nobody listens to takes no memory.
                table.remove(name);
            }
        }
    }

    /// Delivers to this core's subscribers; returns how many got it.
    pub fn publish(&self, shared: &Shared, kind: Kind, channel: &[u8], message: &[u8]) -> usize {
        let now = Instant::now();
        let mut n = 0;
        let direct = self.named(kind);
        if let Some(subs) = direct.get(channel) {
            for s in subs {
                s.push(shared, now, |q, proto| {
                    encode_push_header(3, proto, q);
                    encode_bulk(kind.message(), q);
                    encode_bulk(channel, q);
                    encode_bulk(message, q);
                });
                n += 1;
            }
        }
        if kind == Kind::Plain {
            for (pattern, subs) in &self.patterns {
                if !glob_match(pattern, channel, false) {
                    continue;
                }
                for s in subs {
                    s.push(shared, now, |q, proto| {
                        encode_push_header(4, proto, q);
                        encode_bulk(b"pmessage", q);
                        encode_bulk(pattern, q);
                        encode_bulk(channel, q);
                        encode_bulk(message, q);
                    });
                    n += 1;
                }
            }
        }
        n
    }

    /// The subscriber handle of connection `id` of this core.
    pub fn subscriber(&self, id: u64) -> Option<Rc<Subscriber>> {
        self.by_id.get(&id).cloned()
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS on this core.
    pub fn channel_names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let t = self.named(kind);
        t.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB on this core.
    pub fn numsub(&self, kind: Kind, channels: &[Bytes]) -> Vec<u64> {
        let t = self.named(kind);
        channels
            .iter()
            .map(|c| t.get(c).map_or(0, |s| s.len() as u64))
            .collect()
    }

    /// The patterns subscribed on this core (PUBSUB NUMPAT counts them
    /// once across cores).
    pub fn pattern_names(&self) -> Vec<Bytes> {
        self.patterns.keys().cloned().collect()
    }
}

/// What PUBSUB asks every core.
#[derive(Debug, Clone)]
pub enum Query {
    Channels(Kind, Option<Bytes>),
    NumSub(Kind, Vec<Bytes>),
    Patterns,
}

#[derive(Debug, Default)]
pub enum Answer {
    #[default]
    None,
    Names(Vec<Bytes>),
    Counts(Vec<u64>),
}

impl Registry {
    pub fn answer(&self, q: &Query) -> Answer {
        match q {
            Query::Channels(kind, pattern) => {
                Answer::Names(self.channel_names(*kind, pattern.as_deref()))
            }
            Query::NumSub(kind, channels) => Answer::Counts(self.numsub(*kind, channels)),
            Query::Patterns => Answer::Names(self.pattern_names()),
        }
    }
}

/// A connection's own subscriptions.
pub struct ConnSubs {
    pub sub: Rc<Subscriber>,
    channels: Vec<Bytes>,
    patterns: Vec<Bytes>,
    shard: Vec<Bytes>,
    /// In MONITOR mode.
    monitor: bool,
    /// CLIENT TRACKING is on (pushes invalidations here in RESP3).
    pub tracking: bool,
}

impl ConnSubs {
    fn list(&mut self, t: Table) -> &mut Vec<Bytes> {
        match t {
            Table::Channels => &mut self.channels,
            Table::Shard => &mut self.shard,
            Table::Patterns => &mut self.patterns,
        }
    }

    /// Redis's `clientSubscriptionsCount` (channels and patterns) or
    /// `clientShardSubscriptionsCount`.
    fn count(&self, t: Table) -> usize {
        match t {
            Table::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    /// Subscribed to anything: in RESP2 the connection is in the
    /// subscribed context.
    pub fn subscribed(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }

    /// Every channel and shard channel (`false`) and pattern (`true`).
    pub fn names(&self) -> impl Iterator<Item = (&Bytes, bool)> {
        self.channels
            .iter()
            .chain(&self.shard)
            .map(|c| (c, false))
            .chain(self.patterns.iter().map(|p| (p, true)))
    }

    /// Gets anything pushed: subscribed, monitoring or tracking.
    pub fn any(&self) -> bool {
        self.monitor || self.tracking || self.subscribed()
    }
}

/// Connections that left or reset: their subscriptions leave the core's
/// registry and count.
pub fn forget(core: &Core, subs: &mut ConnSubs) {
    let mut reg = core.pubsub.borrow_mut();
    let id = subs.sub.conn_id;
    for t in [Table::Channels, Table::Patterns, Table::Shard] {
        for name in std::mem::take(subs.list(t)) {
            reg.remove(t, &name, id);
            dec_subs(core);
        }
    }
    if std::mem::take(&mut subs.monitor) {
        reg.monitors.retain(|m| m.conn_id != id);
        if let Some(c) = core.node.pubsub.monitors.get(core.id) {
            c.fetch_sub(1, Relaxed);
        }
        core.node.pubsub.counts_changed();
    }
    reg.by_id.remove(&id);
    core.node.pubsub.set_owner(id, None);
}

fn inc_subs(core: &Core) {
    if let Some(c) = core.node.pubsub.subs.get(core.id) {
        c.fetch_add(1, Relaxed);
    }
}

fn dec_subs(core: &Core) {
    if let Some(c) = core.node.pubsub.subs.get(core.id) {
        let _ = c.fetch_update(Relaxed, Relaxed, |n| Some(n.saturating_sub(1)));
    }
}

impl Conn {
    /// This connection's subscriber handle, made on first use.
    pub(crate) fn subs(&mut self) -> &mut ConnSubs {
        let (id, fd, proto) = (self.id, self.fd, self.proto);
        let core = self.core.clone();
        self.ps.get_or_insert_with(|| {
            let sub = Rc::new(Subscriber::new(id, fd, proto));
            core.pubsub.borrow_mut().by_id.insert(id, sub.clone());
            core.node.pubsub.set_owner(id, Some(core.id));
            ConnSubs {
                sub,
                channels: Vec::new(),
                patterns: Vec::new(),
                shard: Vec::new(),
                monitor: false,
                tracking: false,
            }
        })
    }

    /// CLIENT LIST's pub/sub fields follow a change of subscriptions,
    /// MONITOR or tracking (called on those changes only).
    pub(crate) fn sync_client_entry(&self) {
        let mut c = crate::core::ClientPubsub {
            redir: -1,
            ..Default::default()
        };
        if let Some(s) = &self.ps {
            c.sub = s.channels.len();
            c.psub = s.patterns.len();
            c.ssub = s.shard.len();
            if s.monitor {
                c.flags.push('O');
            }
            if s.subscribed() {
                c.flags.push('P');
            }
        }
        if let Some(t) = &self.tracking {
            c.flags.push('t');
            if t.bcast {
                c.flags.push('B');
            }
            c.redir = t.redirect as i64;
        }
        if let Some(e) = self.core.st.borrow_mut().clients.get_mut(&self.id) {
            e.pubsub = c;
        }
    }

    /// In RESP2's subscribed context (see [`allowed_in_subscribed_context`]).
    pub(crate) fn subscribed(&self) -> bool {
        self.ps.as_ref().is_some_and(|s| s.subscribed())
    }

    /// After an UNSUBSCRIBE: a connection that gets nothing pushed any
    /// more reads its socket alone again.
    pub(crate) fn drop_subs_if_idle(&mut self) {
        if self
            .ps
            .as_ref()
            .is_some_and(|s| !s.any() && !s.sub.has_queued())
            && let Some(mut s) = self.ps.take()
        {
            forget(&self.core, &mut s);
        }
    }

    /// The connection switched protocol (HELLO): later frames follow it.
    pub(crate) fn pubsub_proto_changed(&self) {
        if let Some(s) = &self.ps {
            s.sub.resp3.set(self.proto == Proto::Resp3);
        }
    }

    /// Queued messages go out before a subscription command's own
    /// frames, so the client sees them in the order they happened.
    fn drain_pushes(&mut self) {
        if let Some(s) = &self.ps {
            s.sub.take_into(&mut self.out);
        }
    }

    /// RESET (and the connection's end): tracking off, every
    /// subscription dropped without a reply.
    pub(crate) fn pubsub_reset(&mut self) {
        self.tracking_off();
        if let Some(mut s) = self.ps.take() {
            forget(&self.core, &mut s);
        }
        self.sync_client_entry();
    }
}

fn frame3(out: &mut BytesMut, proto: Proto, kind: &[u8], name: Option<&[u8]>, count: usize) {
    encode_push_header(3, proto, out);
    encode_bulk(kind, out);
    match name {
        Some(n) => encode_bulk(n, out),
        None => encode(&Reply::Nil, proto, out),
    }
    encode_int(count as i64, out);
}

/// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: one confirmation frame per name.
pub fn subscribe(conn: &mut Conn, kind: Kind, patterns: bool, argv: &[Bytes]) -> Reply {
    if kind == Kind::Shard && conn.multi.is_some() {
        return errors::err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    if kind == Kind::Shard
        && let Some(r) = cross_slot(conn, argv)
    {
        return r;
    }
    // ACL: every channel (or pattern) must be allowed, or none is taken.
    for name in argv.iter().skip(1) {
        if let Err(r) = crate::acl::check_channel(conn, name, patterns) {
            return r;
        }
    }
    let t = Table::of(kind, patterns);
    let verb = t.verbs().0;
    conn.drain_pushes();
    let core = conn.core.clone();
    let proto = conn.reply_proto();
    let mut out = BytesMut::new();
    let subs = conn.subs();
    for name in argv.iter().skip(1) {
        if !subs.list(t).contains(name) {
            subs.list(t).push(name.clone());
            core.pubsub.borrow_mut().add(t, name, &subs.sub);
            inc_subs(&core);
        }
        frame3(&mut out, proto, verb, Some(name), subs.count(t));
    }
    subs.sub.in_pubsub.set(subs.subscribed());
    conn.sync_client_entry();
    Reply::Encoded(out.freeze())
}

/// UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: one frame per name, or per
/// subscription when none is named (one frame with a nil name if there
/// is none at all).
pub fn unsubscribe(conn: &mut Conn, kind: Kind, patterns: bool, argv: &[Bytes]) -> Reply {
    let t = Table::of(kind, patterns);
    let verb = t.verbs().1;
    conn.drain_pushes();
    let core = conn.core.clone();
    let proto = conn.reply_proto();
    let mut out = BytesMut::new();
    let names: Vec<Bytes> = if argv.len() > 1 {
        argv.get(1..).unwrap_or(&[]).to_vec()
    } else {
        conn.ps
            .as_mut()
            .map(|s| s.list(t).clone())
            .unwrap_or_default()
    };
    if names.is_empty() {
        let count = conn.ps.as_ref().map_or(0, |s| s.count(t));
        frame3(&mut out, proto, verb, None, count);
        return Reply::Encoded(out.freeze());
    }
    let id = conn.id;
    for name in &names {
        let count = match conn.ps.as_mut() {
            Some(subs) => {
                let list = subs.list(t);
                if let Some(i) = list.iter().position(|c| c == name) {
                    list.remove(i);
                    core.pubsub.borrow_mut().remove(t, name, id);
                    dec_subs(&core);
                }
                subs.count(t)
            }
            None => 0,
        };
        frame3(&mut out, proto, verb, Some(name), count);
    }
    if let Some(s) = &conn.ps {
        s.sub.in_pubsub.set(s.subscribed());
    }
    conn.drop_subs_if_idle();
    conn.sync_client_entry();
    Reply::Encoded(out.freeze())
}

/// In cluster mode, SSUBSCRIBE's shard channels must hash to one slot.
fn cross_slot(conn: &Conn, argv: &[Bytes]) -> Option<Reply> {
    if !conn.core.node.args.cluster_enabled {
        return None;
    }
    let mut slots = argv.iter().skip(1).map(|c| corekv_core::slot::key_slot(c));
    let first = slots.next()?;
    slots
        .any(|s| s != first)
        .then(|| errors::err(errors::CROSSSLOT))
}

/// PUBLISH or SPUBLISH as a connection runs it: the channel checked
/// against the user's ACL rules, then [`publish`]; the parts' sum is the
/// reply.
pub fn publish_cmd(
    conn: &Conn,
    cmd: corekv_core::table::ServerCmd,
    argv: &[Bytes],
) -> Result<Vec<Pending>, Reply> {
    let kind = if cmd == corekv_core::table::ServerCmd::SPublish {
        Kind::Shard
    } else {
        Kind::Plain
    };
    let channel = argv.get(1).cloned().unwrap_or_default();
    crate::acl::check_channel(conn, &channel, false)?;
    let message = argv.get(2).cloned().unwrap_or_default();
    Ok(publish(&conn.core, kind, channel, message))
}

/// PUBLISH / SPUBLISH from a client: delivered on this core at once, sent
/// to every other core that has subscribers and queued for every other
/// node. The reply (receivers on this node) may wait for the other cores.
pub fn publish(core: &Rc<Core>, kind: Kind, channel: Bytes, message: Bytes) -> Vec<Pending> {
    forward_to_nodes(core, kind, &channel, &message);
    deliver_on_node(core, kind, channel, message)
}

/// Delivers on every core of this node; the parts' sum is the receivers.
pub fn deliver_on_node(core: &Core, kind: Kind, channel: Bytes, message: Bytes) -> Vec<Pending> {
    let local = core
        .pubsub
        .borrow()
        .publish(&core.node.pubsub, kind, &channel, &message);
    let mut parts = vec![Pending::Ready(Reply::Integer(local as i64))];
    for (c, n) in core.node.pubsub.subs.iter().enumerate() {
        if c != core.id && n.load(Relaxed) > 0 {
            parts.push(core.publish_to_core(c, kind, channel.clone(), message.clone()));
        }
    }
    parts
}

/// Most bytes of messages waiting for one other node; past it messages
/// to that node are dropped (and counted) instead of growing memory.
const FORWARD_MAX_BYTES: usize = 64 << 20;
/// Most messages sent to another node in one call.
const FORWARD_BATCH: usize = 4096;

/// Messages waiting to go to one other node, and the task that sends them.
#[derive(Default)]
struct Forward {
    queue: RefCell<Vec<(Kind, Bytes, Bytes)>>,
    bytes: Cell<usize>,
    notify: LocalNotify,
}

fn forward_to_nodes(core: &Rc<Core>, kind: Kind, channel: &Bytes, message: &Bytes) {
    let node = &core.node;
    if node.members.is_empty() {
        return;
    }
    let me = node.cluster.node_id;
    for &(id, addr) in node.book_ref().iter() {
        if id == me {
            continue;
        }
        let fwd = {
            let mut reg = core.pubsub.borrow_mut();
            match reg.forwards.get(&addr) {
                Some(f) => f.clone(),
                None => {
                    let f = Rc::new(Forward::default());
                    reg.forwards.insert(addr, f.clone());
                    monoio::spawn(run_forward(core.clone(), addr, f.clone()));
                    f
                }
            }
        };
        let size = channel.len() + message.len();
        if fwd.bytes.get() + size > FORWARD_MAX_BYTES {
            node.pubsub.dropped_forwards.fetch_add(1, Relaxed);
            continue;
        }
        fwd.bytes.set(fwd.bytes.get() + size);
        fwd.queue
            .borrow_mut()
            .push((kind, channel.clone(), message.clone()));
        fwd.notify.notify();
    }
}

/// Sends what is queued for `addr`, one call at a time: messages that
/// arrive during a call go together in the next (one round trip per
/// batch, in publish order).
async fn run_forward(core: Rc<Core>, addr: std::net::SocketAddr, fwd: Rc<Forward>) {
    let mut failures_logged = false;
    loop {
        fwd.notify.wait().await;
        loop {
            let batch: Vec<(Kind, Bytes, Bytes)> = {
                let mut q = fwd.queue.borrow_mut();
                if q.is_empty() {
                    break;
                }
                let n = q.len().min(FORWARD_BATCH);
                q.drain(..n).collect()
            };
            let mut argv = Vec::with_capacity(1 + 3 * batch.len());
            argv.push(Bytes::from_static(b"COREKV.PUB"));
            let mut size = 0;
            for (kind, ch, msg) in batch {
                size += ch.len() + msg.len();
                argv.push(Bytes::from_static(kind.name()));
                argv.push(ch);
                argv.push(msg);
            }
            let r = core.proxy_pool().call(addr, argv).await;
            fwd.bytes.set(fwd.bytes.get().saturating_sub(size));
            if let Reply::Error(e) = r {
                // Pub/sub is at most once (as in Redis Cluster): a node
                // that cannot be reached misses these messages.
                core.node.pubsub.dropped_forwards.fetch_add(1, Relaxed);
                if !failures_logged {
                    eprintln!("corekv: pub/sub messages to {addr} lost: {e}");
                    failures_logged = true;
                }
            } else {
                failures_logged = false;
            }
        }
    }
}

/// `COREKV.PUB <kind> <channel> <message> ...`: another node's messages,
/// delivered here only.
pub async fn corekv_pub(core: &Rc<Core>, argv: &[Bytes]) -> Reply {
    let rest = argv.get(1..).unwrap_or(&[]);
    if !rest.len().is_multiple_of(3) {
        return errors::arity("corekv.pub");
    }
    let mut waits = Vec::new();
    for t in rest.chunks(3) {
        let [k, ch, msg] = t else { continue };
        let Some(kind) = Kind::parse(k) else {
            return errors::err("ERR unknown pub/sub kind");
        };
        for p in deliver_on_node(core, kind, ch.clone(), msg.clone()) {
            if !matches!(p, Pending::Ready(_)) {
                waits.push(p);
            }
        }
    }
    // Waiting for the other cores bounds how far a flood runs ahead.
    for p in waits {
        p.resolve().await;
    }
    Reply::ok()
}

/// PUBSUB's subcommands, over every core of this node.
pub async fn pubsub(conn: &mut Conn, sub: PubsubSub, argv: &[Bytes]) -> Reply {
    let node = conn.core.node.clone();
    let ask = |q: Query| {
        let node = node.clone();
        async move {
            node.ask_cores(move |tx| crate::node::Msg::Pubsub(q.clone(), tx))
                .await
        }
    };
    let names = |answers: Vec<Answer>| {
        let mut all: Vec<Bytes> = answers
            .into_iter()
            .flat_map(|a| match a {
                Answer::Names(v) => v,
                _ => Vec::new(),
            })
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let counts = |answers: Vec<Answer>, n: usize| {
        let mut sum = vec![0u64; n];
        for a in answers {
            if let Answer::Counts(v) = a {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
            }
        }
        sum
    };
    match sub {
        PubsubSub::Help => corekv_core::table::help_reply(b"PUBSUB", PUBSUB_HELP),
        PubsubSub::Channels | PubsubSub::ShardChannels => {
            if argv.len() > 3 {
                return subcommand_error(argv);
            }
            let kind = if sub == PubsubSub::Channels {
                Kind::Plain
            } else {
                Kind::Shard
            };
            let all = names(ask(Query::Channels(kind, argv.get(2).cloned())).await);
            Reply::Array(all.into_iter().map(Reply::Bulk).collect())
        }
        PubsubSub::NumSub | PubsubSub::ShardNumSub => {
            let kind = if sub == PubsubSub::NumSub {
                Kind::Plain
            } else {
                Kind::Shard
            };
            let chans = argv.get(2..).unwrap_or(&[]).to_vec();
            let n = chans.len();
            let sums = counts(ask(Query::NumSub(kind, chans.clone())).await, n);
            let mut out = Vec::with_capacity(2 * n);
            for (c, s) in chans.into_iter().zip(sums) {
                out.push(Reply::Bulk(c));
                out.push(Reply::Integer(s as i64));
            }
            Reply::Array(out)
        }
        PubsubSub::NumPat => {
            let all = names(ask(Query::Patterns).await);
            Reply::Integer(all.len() as i64)
        }
    }
}

fn subcommand_error(argv: &[Bytes]) -> Reply {
    let sub = argv
        .get(1)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    errors::err(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."
    ))
}

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// MONITOR: from now on the connection gets a line for every command
/// this node runs (on any core), Redis's format.
pub fn monitor(conn: &mut Conn) -> Reply {
    let core = conn.core.clone();
    let subs = conn.subs();
    if !subs.monitor {
        subs.monitor = true;
        core.pubsub.borrow_mut().monitors.push(subs.sub.clone());
        if let Some(c) = core.node.pubsub.monitors.get(core.id) {
            c.fetch_add(1, Relaxed);
        }
        core.node.pubsub.counts_changed();
    }
    conn.sync_client_entry();
    Reply::ok()
}

/// Feeds the monitors the command `argv` of a client at `addr` (dispatch
/// calls it only while some core has a monitor). Like Redis: admin
/// commands and scripts are not shown, AUTH's and HELLO AUTH's
/// credentials are redacted.
pub fn monitor_feed(
    core: &Core,
    spec: &corekv_core::table::CommandSpec,
    addr: &str,
    argv: &[Bytes],
) {
    if spec.has_flag("admin")
        || spec.has_flag("skip_monitor")
        || spec.name.starts_with("eval")
        || spec.name.starts_with("fcall")
    {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = BytesMut::with_capacity(64 + argv.iter().map(|a| a.len() + 3).sum::<usize>());
    line.extend_from_slice(
        format!("+{}.{:06} [0 {addr}]", now.as_secs(), now.subsec_micros()).as_bytes(),
    );
    let redact_from = match spec.name {
        "auth" => 1,
        "hello" => argv
            .iter()
            .position(|a| a.eq_ignore_ascii_case(b"auth"))
            .map_or(usize::MAX, |i| i + 1),
        _ => usize::MAX,
    };
    for (i, a) in argv.iter().enumerate() {
        line.extend_from_slice(b" ");
        let redacted = i >= redact_from && (spec.name == "auth" || i < redact_from + 2);
        if redacted {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            repr(a, &mut line);
        }
    }
    line.extend_from_slice(b"\r\n");
    let line = line.freeze();
    for (c, n) in core.node.pubsub.monitors.iter().enumerate() {
        if n.load(Relaxed) == 0 {
            continue;
        }
        if c == core.id {
            core.pubsub.borrow().feed_monitors(&core.node.pubsub, &line);
        } else if let Some(inbox) = core.node.inboxes.get(c) {
            let _ = inbox.send(vec![crate::node::Msg::Monitor(line.clone())]);
        }
    }
}

impl Registry {
    pub fn feed_monitors(&self, shared: &Shared, line: &[u8]) {
        let now = Instant::now();
        for m in &self.monitors {
            m.push(shared, now, |q, _| q.extend_from_slice(line));
        }
    }
}

/// Redis's `sdscatrepr`: quoted, with C escapes and `\xhh` for the rest.
fn repr(s: &[u8], out: &mut BytesMut) {
    out.extend_from_slice(b"\"");
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.extend_from_slice(&[c]),
            _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.extend_from_slice(b"\"");
}

/// In RESP2 a subscribed connection runs only these (Redis's rule).
pub fn allowed_in_subscribed_context(cmd: &corekv_core::table::ServerCmd) -> bool {
    use corekv_core::table::ServerCmd as S;
    matches!(
        cmd,
        S::Subscribe
            | S::Unsubscribe
            | S::PSubscribe
            | S::PUnsubscribe
            | S::SSubscribe
            | S::SUnsubscribe
            | S::Ping
            | S::Quit
            | S::Reset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut out = BytesMut::new();
        repr(b"a\"b\\c\n\x01\xff ", &mut out);
        assert_eq!(&out[..], b"\"a\\\"b\\\\c\\n\\x01\\xff \"");
    }

    #[test]
    fn memory_units_are_redis_units() {
        assert_eq!(mem_bytes("32mb"), Some(32 << 20));
        assert_eq!(mem_bytes("8MB"), Some(8 << 20));
        assert_eq!(mem_bytes("1k"), Some(1000));
        assert_eq!(mem_bytes("1kb"), Some(1024));
        assert_eq!(mem_bytes("100"), Some(100));
        assert_eq!(mem_bytes("1gb"), Some(1 << 30));
        assert_eq!(mem_bytes("1xb"), None);
        assert_eq!(mem_bytes("mb"), None);
    }

    #[test]
    fn limit_parses_like_redis() {
        assert_eq!(
            Shared::parse_limit("pubsub 1mb 512kb 5"),
            Ok(Some((1 << 20, 512 << 10, 5)))
        );
        assert_eq!(Shared::parse_limit("normal 0 0 0"), Ok(None));
        assert!(Shared::parse_limit("pubsub 1mb 512kb").is_err());
        assert!(Shared::parse_limit("foo 1mb 512kb 5").is_err());
    }

    #[test]
    fn a_subscriber_past_the_hard_limit_is_dropped() {
        let shared = Shared::new(1);
        shared.limit.hard.store(100, Relaxed);
        let mut reg = Registry::default();
        // fd -1: the shutdown is a no-op.
        let s = Rc::new(Subscriber::new(7, -1, Proto::Resp2));
        reg.add(Table::Channels, &Bytes::from_static(b"c"), &s);
        assert_eq!(reg.publish(&shared, Kind::Plain, b"c", b"hello"), 1);
        assert!(!s.dropped());
        let mut out = BytesMut::new();
        s.take_into(&mut out);
        assert_eq!(
            &out[..],
            b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$5\r\nhello\r\n"
        );
        // Still being written: counts against the limit.
        reg.publish(&shared, Kind::Plain, b"c", &[b'x'; 80]);
        assert!(s.dropped());
        assert!(!s.has_queued());
        assert_eq!(shared.dropped_clients.load(Relaxed), 1);
    }

    #[test]
    fn patterns_get_pmessage_in_resp3_as_push() {
        let shared = Shared::new(1);
        let mut reg = Registry::default();
        let s = Rc::new(Subscriber::new(1, -1, Proto::Resp3));
        reg.add(Table::Patterns, &Bytes::from_static(b"n*"), &s);
        assert_eq!(reg.publish(&shared, Kind::Plain, b"news", b"m"), 1);
        assert_eq!(reg.publish(&shared, Kind::Plain, b"other", b"m"), 0);
        assert_eq!(reg.publish(&shared, Kind::Shard, b"news", b"m"), 0);
        let mut out = BytesMut::new();
        s.take_into(&mut out);
        assert_eq!(
            &out[..],
            b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nm\r\n"
        );
        reg.remove(Table::Patterns, b"n*", 1);
        assert!(reg.pattern_names().is_empty());
    }
}
