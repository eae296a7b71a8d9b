//! One client connection on one core: read, parse (pipelined), route each
//! command, resolve replies in order, write once per read batch.
//!
//! Writes are proposed as they are parsed and awaited together, so a
//! pipeline of writes commits in one Raft batch. A read, or a server
//! command, waits first for the writes queued before it on this
//! connection, so a client always reads its own writes.

use crate::core::{ClientEntry, Core, Pending};
use crate::server_cmds;
use crate::stats;
use crate::stream::Stream;
use bytes::{Bytes, BytesMut};
use corekv_core::slot::key_slot;
use corekv_core::table::{self, CommandSpec, Handler, Merge, Route, ServerCmd};
use corekv_core::{Reply, errors};
use corekv_wire::{Proto, RequestParser, encode};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use corekv_core::txn::spans_slots;

const READ_CHUNK: usize = 16 * 1024;
/// A MULTI's queued commands (docs/design/0025).
#[derive(Default)]
pub(crate) struct MultiState {
    cmds: Vec<(Vec<Bytes>, &'static CommandSpec)>,
    /// A command failed while queueing: EXEC answers EXECABORT.
    failed: bool,
}

/// A reply in the making: one part, or parts of a fanned-out command.
enum Item {
    One(Pending, usize, Instant),
    /// A proxied command's reply the sender wants in RESP2 (`COREKV.AT2`).
    Resp2(Box<Item>),
    Gather {
        parts: Vec<Pending>,
        merge: Merge,
        layout: Vec<Vec<usize>>,
        nkeys: usize,
        class: usize,
        start: Instant,
    },
}

pub struct Conn {
    pub core: Rc<Core>,
    pub id: u64,
    pub proto: Proto,
    pub name: String,
    pub addr: String,
    pub laddr: String,
    pub no_evict: bool,
    items: Vec<Item>,
    queued_writes: bool,
    pub out: BytesMut,
    pub close: bool,
    /// Inside MULTI: commands are queued until EXEC or DISCARD.
    pub(crate) multi: Option<MultiState>,
    /// WATCHed keys and the id the leaders know the watch by.
    watch: Option<crate::txn::Watch>,
    /// This connection is another node's proxy link.
    pub(crate) proxied: bool,
    /// Presented the cluster secret (`COREKV.MEMBER`): may run internal
    /// commands.
    member: bool,
    /// A TLS client whose certificate the CA verified: with `--tls-cluster
    /// yes`, only such a connection may become a member.
    cert_verified: bool,
    /// A blocking command (BLPOP ...) is among the queued replies: while
    /// waiting for them the socket is watched, so a client that leaves is
    /// noticed and never served.
    blocked: bool,
    /// The command being dispatched came as `COREKV.AT2`: its reply is
    /// encoded in RESP2 whatever this link speaks.
    at2: bool,
    /// Output to write before `out`, in order: large pre-encoded replies
    /// (heavy reads) go to the socket as they are instead of being copied
    /// into `out` on the core (a 5 MB XRANGE reply was a 5 MB memcpy).
    chunks: Vec<Bytes>,
    /// The socket (for shutting it down from a publisher).
    pub(crate) fd: i32,
    /// Pub/sub subscriptions and MONITOR: while there are any, the
    /// connection also waits for pushed messages (docs/design/0027).
    pub(crate) ps: Option<crate::pubsub::ConnSubs>,
    /// CLIENT TRACKING options, while on.
    pub(crate) tracking: Option<Box<crate::tracking::Conf>>,
    /// Authenticated? As whom (crate::acl).
    pub(crate) auth: crate::acl::ConnAuth,
}

/// Runs `flush` and `read` together (see [`Conn::flush_watching`]).
async fn futures_pin<R, F>(
    read: R,
    flush: F,
    canceller: monoio::io::Canceller,
    rbuf: &mut BytesMut,
) -> bool
where
    R: std::future::Future<Output = monoio::BufResult<usize, monoio::buf::SliceMut<BytesMut>>>,
    F: std::future::Future<Output = ()>,
{
    let mut read = std::pin::pin!(read);
    let mut flush = std::pin::pin!(flush);
    monoio::select! {
        _ = &mut flush => {
            // The replies are in: stop the read and keep what it got.
            let _ = canceller.cancel();
            let (res, buf) = read.await;
            *rbuf = buf.into_inner();
            !matches!(res, Ok(0))
        }
        (res, buf) = &mut read => {
            *rbuf = buf.into_inner();
            match res {
                Ok(n) if n > 0 => {
                    flush.await;
                    true
                }
                _ => false,
            }
        }
    }
}

/// Reads the socket until data arrives or `sub` gets a pushed message:
/// `None` when woken by a message (any bytes the read got meanwhile are
/// kept in `rbuf` and reported).
async fn read_or_push(
    stream: &mut Stream,
    rbuf: &mut BytesMut,
    sub: &crate::pubsub::Subscriber,
) -> Option<std::io::Result<usize>> {
    use monoio::io::CancelableAsyncReadRent;
    if sub.has_queued() || sub.dropped() {
        return None;
    }
    let canceller = monoio::io::Canceller::new();
    let filled = rbuf.len();
    let buf = std::mem::take(rbuf);
    let read = stream.cancelable_read(buf.slice_mut(filled..), canceller.handle());
    let mut read = std::pin::pin!(read);
    let mut wake = std::pin::pin!(sub.notify.wait());
    monoio::select! {
        _ = &mut wake => {
            let _ = canceller.cancel();
            let (res, buf) = read.await;
            *rbuf = buf.into_inner();
            match res {
                Ok(0) => Some(Ok(0)),
                Ok(n) => Some(Ok(n)),
                Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => None,
                Err(e) => Some(Err(e)),
            }
        }
        (res, buf) = &mut read => {
            *rbuf = buf.into_inner();
            Some(res)
        }
    }
}

/// The most queued replies whose list a connection keeps between batches.
const KEEP_ITEMS: usize = 1024;

/// A pre-encoded reply at least this long is written from its own buffer
/// instead of being copied into the connection's output buffer.
const ZERO_COPY_REPLY: usize = 64 * 1024;

/// Serves one accepted connection until it closes.
pub async fn serve(core: Rc<Core>, stream: Stream, peer: SocketAddr) {
    let node = core.node.clone();
    let id = node.next_client_id.fetch_add(1, Relaxed);
    let laddr = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let fd = stream.as_raw_fd();
    let _ = stream.set_nodelay(true);
    let now = Instant::now();
    core.st.borrow_mut().clients.insert(
        id,
        ClientEntry {
            addr: peer.to_string(),
            laddr: laddr.clone(),
            fd,
            name: String::new(),
            created: now,
            last_active: now,
            last_cmd: "NULL".into(),
            resp: 2,
            user: String::new(),
            pubsub: Default::default(),
        },
    );
    let mut conn = Conn {
        core: core.clone(),
        id,
        proto: Proto::Resp2,
        name: String::new(),
        addr: peer.to_string(),
        laddr,
        no_evict: false,
        items: Vec::new(),
        queued_writes: false,
        out: BytesMut::with_capacity(READ_CHUNK),
        close: false,
        multi: None,
        watch: None,
        proxied: false,
        member: false,
        cert_verified: stream.peer_verified(),
        blocked: false,
        at2: false,
        chunks: Vec::new(),
        fd,
        ps: None,
        tracking: None,
        auth: crate::acl::ConnAuth::new(&node.acl),
    };
    conn.set_user_name();
    conn.run(stream).await;
    conn.unwatch();
    conn.pubsub_reset();
    core.st.borrow_mut().clients.remove(&id);
}

impl Conn {
    async fn run(&mut self, mut stream: Stream) {
        let mut parser = RequestParser::default();
        let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
        let node = self.core.node.clone();
        let counters = &node.counters;
        loop {
            if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
                rbuf.reserve(READ_CHUNK);
            }
            // Backpressure: while the core's queues are full, read nothing.
            self.core.wait_for_room().await;
            let res = match self.ps.as_ref().map(|s| s.sub.clone()) {
                // Subscribed: a pushed message wakes the connection too.
                Some(sub) => read_or_push(&mut stream, &mut rbuf, &sub).await,
                None => {
                    // monoio reads at the buffer's start: hand it the spare tail.
                    let filled = rbuf.len();
                    let (res, buf) = stream.read(rbuf.slice_mut(filled..)).await;
                    rbuf = buf.into_inner();
                    Some(res)
                }
            };
            match res {
                None => {}
                Some(Ok(0)) | Some(Err(_)) => return,
                Some(Ok(n)) => {
                    if let Some(c) = counters.get(self.core.id) {
                        c.net_input_bytes.fetch_add(n as u64, Relaxed);
                    }
                }
            }
            let mut last_cmd: Option<&'static str> = None;
            self.core.refresh_clock();
            loop {
                match parser.parse(&mut rbuf) {
                    Ok(Some(argv)) => {
                        // Raft first: due Raft work runs before the
                        // command; a full core holds the command back.
                        if !self.core.before_client() {
                            self.core.wait_for_room().await;
                        }
                        last_cmd = Some(self.dispatch(argv).await);
                        self.at2 = false;
                        if self.close {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        self.flush().await;
                        encode(&e.to_reply(), self.proto, &mut self.out);
                        self.close = true;
                        break;
                    }
                }
            }
            if self.blocked {
                self.blocked = false;
                if !self.flush_watching(&mut stream, &mut rbuf).await {
                    return;
                }
            } else {
                self.flush().await;
            }
            if let Some(cmd) = last_cmd
                && let Some(c) = self.core.st.borrow_mut().clients.get_mut(&self.id)
            {
                // The batch clock: idle time is shown in seconds.
                c.last_active = self.core.now();
                if c.last_cmd != cmd {
                    c.last_cmd = cmd.to_string();
                }
            }
            for chunk in std::mem::take(&mut self.chunks) {
                let n = chunk.len();
                let (res, _) = stream.write_all(chunk).await;
                if res.is_err() {
                    return;
                }
                if let Some(c) = counters.get(self.core.id) {
                    c.net_output_bytes.fetch_add(n as u64, Relaxed);
                }
            }
            if self.ps.is_some() && !crate::acl::subscriptions_allowed(self) {
                // Its channel rights were revoked (or its user deleted).
                return;
            }
            if let Some(s) = &self.ps {
                if s.sub.dropped() {
                    // Past the output limit: closed, its output dropped.
                    return;
                }
                // Messages pushed meanwhile go after this batch's replies.
                s.sub.take_into(&mut self.out);
            }
            if !self.out.is_empty() {
                let n = self.out.len();
                let out = std::mem::replace(&mut self.out, BytesMut::new());
                let (res, mut out) = stream.write_all(out).await;
                if res.is_err() {
                    return;
                }
                if let Some(c) = counters.get(self.core.id) {
                    c.net_output_bytes.fetch_add(n as u64, Relaxed);
                }
                out.clear();
                self.out = out;
                if let Some(s) = &self.ps {
                    s.sub.written();
                }
            }
            if self.close {
                linger(stream).await;
                return;
            }
        }
    }

    /// [`Conn::flush`] while also reading the socket: `false` if the client
    /// closed it first (the pending replies are dropped, which tells the
    /// core the blocked client is gone). Bytes that arrive meanwhile stay
    /// in `rbuf` for the next parse.
    async fn flush_watching(&mut self, stream: &mut Stream, rbuf: &mut BytesMut) -> bool {
        use monoio::io::CancelableAsyncReadRent;
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        let canceller = monoio::io::Canceller::new();
        let filled = rbuf.len();
        let buf = std::mem::take(rbuf);
        let read = stream.cancelable_read(buf.slice_mut(filled..), canceller.handle());
        let flush = self.flush();
        futures_pin(read, flush, canceller, rbuf).await
    }

    /// Resolves every queued reply, in order, into the output buffer.
    pub async fn flush(&mut self) {
        // Drained and given back (flush holds `self`, so nothing is queued
        // meanwhile): a batch allocates no list of its own.
        let mut items = std::mem::take(&mut self.items);
        self.queued_writes = false;
        // One clock read per wait, not per command.
        let mut now = self.core.now();
        for item in items.drain(..) {
            let (item, proto) = match item {
                Item::Resp2(inner) => (*inner, Proto::Resp2),
                other => (other, self.proto),
            };
            let (reply, class, start) = match item {
                Item::One(Pending::Ready(r), class, start) => (r, class, start),
                Item::One(p, class, start) => {
                    let r = p.resolve().await;
                    now = Instant::now();
                    (r, class, start)
                }
                Item::Gather {
                    parts,
                    merge,
                    layout,
                    nkeys,
                    class,
                    start,
                } => {
                    let mut replies = Vec::with_capacity(parts.len());
                    for p in parts {
                        replies.push(p.resolve().await);
                    }
                    now = Instant::now();
                    (merge_replies(merge, replies, &layout, nkeys), class, start)
                }
                // `push_item` wraps once.
                Item::Resp2(_) => (
                    errors::err("ERR internal: a reply wrapped twice"),
                    stats::CMD_OTHER,
                    now,
                ),
            };
            if reply.is_error()
                && let Some(c) = self.core.node.counters.get(self.core.id)
            {
                c.errors.fetch_add(1, Relaxed);
            }
            self.core.st.borrow_mut().hists.record_us(
                class,
                now.saturating_duration_since(start).as_micros() as u64,
            );
            match reply {
                Reply::Encoded(bytes) if bytes.len() >= ZERO_COPY_REPLY => {
                    // Whatever `out` holds goes first; no copy of either.
                    if !self.out.is_empty() {
                        self.chunks.push(self.out.split().freeze());
                    }
                    self.chunks.push(bytes);
                }
                reply => encode(&reply, proto, &mut self.out),
            }
        }
        // A huge pipeline's list is not kept for the connection's life.
        if items.capacity() <= KEEP_ITEMS {
            self.items = items;
        }
    }

    /// This connection as the core sees its requests.
    /// `alone`: the reply goes to the socket as it is (not merged with
    /// other groups' parts), so a heavy read may come back encoded.
    fn client_ref(&self, alone: bool) -> crate::node::ClientRef {
        crate::node::ClientRef {
            id: self.id,
            resp2: self.proto == Proto::Resp2,
            encode: alone.then(|| self.reply_proto()),
        }
    }

    fn push_item(&mut self, item: Item) {
        let item = if self.at2 {
            Item::Resp2(Box::new(item))
        } else {
            item
        };
        self.items.push(item);
    }

    /// The protocol of the reply being produced (see [`Conn::at2`]).
    pub(crate) fn reply_proto(&self) -> Proto {
        if self.at2 { Proto::Resp2 } else { self.proto }
    }

    fn push_ready(&mut self, r: Reply, class: usize, start: Instant) {
        self.push_item(Item::One(Pending::Ready(r), class, start));
    }

    /// Presented the cluster secret: not subject to AUTH/ACL.
    pub(crate) fn is_member(&self) -> bool {
        self.member
    }

    /// Shows the connection's user in CLIENT LIST.
    pub(crate) fn set_user_name(&self) {
        if let Some(c) = self.core.st.borrow_mut().clients.get_mut(&self.id)
            && c.user != self.auth.user.name
        {
            c.user = self.auth.user.name.clone();
        }
    }

    /// The AUTH/ACL gate (crate::acl::gate) for a client's command:
    /// `Some(name)` when the command was answered (refused) here.
    fn acl_refused(
        &mut self,
        base: Option<&'static CommandSpec>,
        argv: &[Bytes],
        start: Instant,
    ) -> Option<&'static str> {
        let refusal = match crate::acl::gate(self, base, argv) {
            crate::acl::Gate::Run => return None,
            crate::acl::Gate::Refuse(r) => r,
            crate::acl::Gate::Close => {
                // Its user was deleted: closed, as Redis closes them.
                self.close = true;
                return Some("NULL");
            }
        };
        let exec = base.is_some_and(|s| s.handler == Handler::Server(ServerCmd::Exec));
        if exec {
            // EXECABORT: the transaction is gone.
            self.multi = None;
            self.unwatch();
        } else if let Some(m) = self.multi.as_mut() {
            // Refused while queueing: EXEC will abort (Redis's
            // flagTransaction).
            m.failed = true;
        }
        self.push_ready(refusal, stats::CMD_OTHER, start);
        Some("NULL")
    }

    /// `COREKV.MEMBER <secret>`: the connection proves it is a cluster
    /// member's (another node's proxy link, or an operator's corekv-ctl).
    /// A wrong secret answers like an unknown command, so a stranger cannot
    /// tell internal commands exist; the node logs the attempt.
    pub(crate) fn member_hello(&mut self, argv: &[Bytes]) -> Reply {
        let offered = argv.get(1).map_or(&[][..], |a| a.as_ref());
        let tls_ok = self.cert_verified || self.core.node.tls.cluster.is_none();
        if argv.len() == 2 && tls_ok && self.core.node.secret().matches(offered) {
            self.member = true;
            // The secret is the link's credential (HELLO needs one).
            self.auth.authenticated = true;
            return Reply::ok();
        }
        eprintln!(
            "corekv: refused {} from {}: {}",
            crate::member::MEMBER_HELLO,
            self.addr,
            if tls_ok {
                "wrong cluster secret"
            } else {
                "no client certificate from the cluster CA (--tls-cluster yes)"
            }
        );
        unknown(argv)
    }

    /// Routes one command by its table entry (handler, route, visibility;
    /// never by name); returns its name for CLIENT LIST.
    async fn dispatch(&mut self, mut argv: Vec<Bytes>) -> &'static str {
        let start = self.core.now();
        self.blocked |= corekv_core::cmd::blocking::is_blocking(&argv);
        let mut base = table::lookup(argv.first().map_or(&[][..], |a| a.as_ref()));
        if let Some(spec) = base {
            if spec.is_internal() && !self.member {
                // Internal commands exist only for members; before the
                // arity check, so a stranger cannot probe their names.
                self.push_ready(unknown(&argv), stats::CMD_OTHER, start);
                return "NULL";
            }
            match spec.handler {
                Handler::Server(ServerCmd::Member) => {
                    let r = self.member_hello(&argv);
                    self.push_ready(r, stats::CMD_OTHER, start);
                    return spec.name;
                }
                Handler::Server(at @ (ServerCmd::At | ServerCmd::At2))
                    if self.proxied && argv.len() > 2 =>
                {
                    self.at2 = at == ServerCmd::At2;
                    if let Some(r) = self.observe_sender_clock(&argv) {
                        // The sender's clock is broken: running its command
                        // would let that clock stamp our writes.
                        self.push_ready(r, stats::CMD_OTHER, start);
                        return spec.name;
                    }
                    argv.drain(..2);
                    // A proxied blocking command: watch the link too (the
                    // sender closes it when its client leaves).
                    self.blocked |= corekv_core::cmd::blocking::is_blocking(&argv);
                    base = table::lookup(argv.first().map_or(&[][..], |a| a.as_ref()));
                }
                _ => {}
            }
        }
        if let Some(c) = self.core.node.counters.get(self.core.id) {
            c.commands.fetch_add(1, Relaxed);
        }
        // Members' links are not subject to AUTH/ACL: a proxied command was
        // checked on the node its client is connected to.
        if !self.member
            && !self.proxied
            && let Some(name) = self.acl_refused(base, &argv, start)
        {
            return name;
        }
        // A script past its time limit: like Redis, only SCRIPT/FUNCTION
        // KILL and SHUTDOWN NOSAVE are served (members' links always are:
        // the script's own transaction may travel on them).
        if !self.member
            && !self.proxied
            && let Some(busy) = self.core.node.scripting.busy()
            && !allowed_while_busy(base, &argv)
        {
            self.push_ready(busy, stats::CMD_OTHER, start);
            return "NULL";
        }
        if self.multi.is_some()
            && let Some(r) = self.queue_in_multi(base, &argv)
        {
            match r {
                InMulti::Reply(r) => self.push_ready(r, stats::CMD_OTHER, start),
                InMulti::Exec => self.exec(start).await,
            }
            return "multi";
        }
        let mut spec = match table::resolve_from(base, &argv) {
            Ok(s) => s,
            Err(r) => {
                self.push_ready(r, stats::CMD_OTHER, start);
                return "NULL";
            }
        };
        if self.proto == Proto::Resp2
            && self.subscribed()
            && !matches!(spec.handler, Handler::Server(c) if crate::pubsub::allowed_in_subscribed_context(&c))
        {
            let r = errors::err(&format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                spec.name
            ));
            self.push_ready(r, stats::CMD_OTHER, start);
            return "NULL";
        }
        if self.core.node.pubsub.any_monitor.load(Relaxed) && !self.proxied {
            crate::pubsub::monitor_feed(&self.core, spec, &self.addr, &argv);
        }
        // XREAD BLOCK waits like BLPOP: through the log, held by the
        // blocking layer of the stream's leader.
        if corekv_core::cmd::blocking::is_xread_block(&argv)
            && let Some(internal) =
                table::lookup(corekv_core::cmd::blocking::XREAD_BLOCK.as_bytes())
        {
            if let Some(name) = argv.first_mut() {
                *name = Bytes::from_static(corekv_core::cmd::blocking::XREAD_BLOCK.as_bytes());
            }
            spec = internal;
        }
        // GEORADIUS[BYMEMBER] without STORE is a read: its _RO form.
        if let Some(ro) = corekv_core::cmd::geo::read_form(&argv)
            && let Some(read) = table::lookup(ro.as_bytes())
        {
            if let Some(name) = argv.first_mut() {
                *name = Bytes::from_static(ro.as_bytes());
            }
            spec = read;
        }
        let write = match spec.handler {
            Handler::Server(cmd @ (ServerCmd::Publish | ServerCmd::SPublish)) => {
                // Pipelined like a read: after this connection's writes
                // (a subscriber told of a change finds it), before its
                // later commands.
                if self.queued_writes {
                    self.flush().await;
                }
                let mut parts = match crate::pubsub::publish_cmd(self, cmd, &argv) {
                    Ok(parts) => parts,
                    Err(r) => {
                        self.push_ready(r, stats::CMD_OTHER, start);
                        return spec.name;
                    }
                };
                let item = if parts.len() == 1
                    && let Some(p) = parts.pop()
                {
                    Item::One(p, stats::CMD_OTHER, start)
                } else {
                    Item::Gather {
                        parts,
                        merge: Merge::Sum,
                        layout: Vec::new(),
                        nkeys: 0,
                        class: stats::CMD_OTHER,
                        start,
                    }
                };
                self.push_item(item);
                return spec.name;
            }
            Handler::Server(cmd) => {
                self.flush().await;
                let r = server_cmds::execute(self, cmd, &argv).await;
                self.core
                    .st
                    .borrow_mut()
                    .hists
                    .record_since(stats::CMD_OTHER, start);
                encode(&r, self.reply_proto(), &mut self.out);
                return spec.name;
            }
            Handler::Read(_) => false,
            Handler::Write { precheck, .. } => {
                // Rejected here, a bad write never reaches the log.
                if let Some(Err(r)) = precheck.map(|check| check(&argv)) {
                    self.push_ready(r, stats::CMD_WRITE, start);
                    return spec.name;
                }
                true
            }
            // The table test rules these out for anything resolve returns.
            Handler::Missing | Handler::Container => {
                self.push_ready(unknown(&argv), stats::CMD_OTHER, start);
                return "NULL";
            }
        };
        if self.tracking.is_some() {
            self.track_command(spec, &argv, write);
        }
        if !write && self.queued_writes {
            self.flush().await;
        }
        let class = if write {
            stats::CMD_WRITE
        } else {
            stats::CMD_READ
        };
        match spec.route {
            // A data handler is never routed to the server (table test).
            Route::Server => self.push_ready(unknown(&argv), class, start),
            Route::Keyed { .. } => {
                let item = self.keyed(spec, argv, write);
                self.push_item(Item::One(item, class, start));
            }
            Route::Slot => {
                let slot = argv
                    .get(1)
                    .and_then(|c| std::str::from_utf8(c).ok())
                    .and_then(|c| c.parse::<u64>().ok())
                    .filter(|c| *c < u64::from(corekv_core::slot::SLOTS))
                    .unwrap_or(0) as u16;
                let gidx = self.core.node.group_of_slot(slot);
                let p =
                    self.core
                        .submit_client(self.proxied, self.client_ref(true), gidx, argv, write);
                self.push_item(Item::One(p, class, start));
            }
            Route::PerKey { merge, .. } => self.per_key(spec, argv, write, merge, class, start),
            Route::AllGroups { merge, .. } => {
                let n = self.core.node.groups.len();
                let mut parts = Vec::with_capacity(n);
                // RANDOMKEY: start the search at a random group.
                let offset = if merge == Merge::AnyNonNil {
                    (crate::node::unix_ms() as usize) % n.max(1)
                } else {
                    0
                };
                for i in 0..n {
                    let gidx = (i + offset) % n;
                    if self
                        .core
                        .node
                        .groups
                        .get(gidx)
                        .is_some_and(|g| g.slots.is_empty())
                    {
                        continue; // the meta group holds no keys
                    }
                    parts.push(self.core.submit_client(
                        self.proxied,
                        self.client_ref(false),
                        gidx,
                        argv.clone(),
                        write,
                    ));
                }
                if self.proxied && write {
                    // Another node proxied its part for a group we lead
                    // (FLUSHALL on three nodes); the groups we do not lead
                    // are that node's to run: their refusals are not ours
                    // to report. (Flushing twice is flushing.)
                    let (tx, rx) = local_sync::oneshot::channel();
                    monoio::spawn(async move {
                        let mut all = Vec::with_capacity(parts.len());
                        for p in parts {
                            all.push(p.resolve().await);
                        }
                        let not_leader = errors::err(errors::NOT_LEADER);
                        let ours: Vec<Reply> =
                            all.iter().filter(|r| **r != not_leader).cloned().collect();
                        let r = if ours.is_empty() {
                            merge_replies(merge, all, &[], 0)
                        } else {
                            merge_replies(merge, ours, &[], 0)
                        };
                        let _ = tx.send(r);
                    });
                    self.push_item(Item::One(Pending::Wait(rx), class, start));
                    self.queued_writes = true;
                    return spec.name;
                }
                self.push_item(Item::Gather {
                    parts,
                    merge,
                    layout: Vec::new(),
                    nkeys: 0,
                    class,
                    start,
                });
            }
        }
        if write {
            self.queued_writes = true;
        }
        spec.name
    }

    /// `COREKV.AT <hlc> ...` on a proxy link: moves this node's clock past
    /// the sender's, or says why the sender's clock is refused.
    fn observe_sender_clock(&self, argv: &[Bytes]) -> Option<Reply> {
        let ts = argv
            .get(1)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse::<u64>().ok());
        match ts {
            None => Some(errors::err("ERR invalid HLC timestamp")),
            Some(ts) => self
                .core
                .node
                .hlc_observe(ts)
                .err()
                .map(|e| errors::err(&format!("ERR clock offset too large: {e}"))),
        }
    }

    /// A command after MULTI: queued (`+QUEUED`), or refused while
    /// queueing (the transaction then fails with EXECABORT), or one of the
    /// commands that act at once (EXEC, DISCARD, a nested MULTI, WATCH).
    /// `None`: QUIT or RESET, which leave the transaction and run.
    fn queue_in_multi(
        &mut self,
        base: Option<&'static CommandSpec>,
        argv: &[Bytes],
    ) -> Option<InMulti> {
        let cmd = match base.map(|s| s.handler) {
            Some(Handler::Server(cmd)) => Some(cmd),
            _ => None,
        };
        let r = match cmd {
            Some(ServerCmd::Exec) if argv.len() == 1 => return Some(InMulti::Exec),
            Some(ServerCmd::Discard) if argv.len() == 1 => {
                self.multi = None;
                self.unwatch();
                Reply::ok()
            }
            Some(ServerCmd::Multi) => errors::err("ERR MULTI calls can not be nested"),
            Some(ServerCmd::Watch) => errors::err("ERR WATCH inside MULTI is not allowed"),
            Some(ServerCmd::Quit | ServerCmd::Reset) => {
                self.multi = None;
                return None;
            }
            _ => match self.queue_check(base, argv) {
                Ok(spec) => {
                    if let Some(m) = self.multi.as_mut() {
                        m.cmds.push((argv.to_vec(), spec));
                    }
                    Reply::Simple("QUEUED".into())
                }
                Err(r) => {
                    if let Some(m) = self.multi.as_mut() {
                        m.failed = true;
                    }
                    r
                }
            },
        };
        Some(InMulti::Reply(r))
    }

    /// The checks a command passes before it is queued in a MULTI: the
    /// ones it would pass before running (known, arity, a write's
    /// precheck), and corekv's own: a command over every group (FLUSHALL,
    /// DBSIZE, KEYS, SCAN ...) has no transaction covering it yet.
    fn queue_check(
        &self,
        base: Option<&'static CommandSpec>,
        argv: &[Bytes],
    ) -> Result<&'static CommandSpec, Reply> {
        let spec = table::resolve_from(base, argv)?;
        // Only the name and arity, as Redis: a bad option is the
        // command's own error at EXEC.
        if matches!(spec.handler, Handler::Missing | Handler::Container) {
            return Err(unknown(argv));
        }
        if self.core.node.args.cluster_enabled
            && spans_slots(table::all_key_positions(spec, argv).filter_map(|i| argv.get(i)))
        {
            return Err(errors::err(errors::CROSSSLOT));
        }
        // (A command over every group, FLUSHALL, DBSIZE, KEYS, SCAN ...,
        // makes the EXEC lock every group whole: docs/design/0025.)
        if matches!(spec.visibility, table::Visibility::Internal) {
            return Err(errors::err(&format!(
                "ERR corekv: {} inside MULTI is not supported",
                spec.name.to_uppercase()
            )));
        }
        Ok(spec)
    }

    /// EXEC: the queued data commands run as one transaction over all
    /// their keys (docs/design/0025); server commands (PING, ECHO ...) run
    /// here, in their places in the reply.
    async fn exec(&mut self, start: Instant) {
        let Some(m) = self.multi.take() else {
            return;
        };
        let watch = self.watch.take();
        if m.failed {
            if let Some(w) = &watch {
                forget_watch(&self.core, w);
            }
            self.push_ready(
                errors::err("EXECABORT Transaction discarded because of previous errors."),
                stats::CMD_OTHER,
                start,
            );
            return;
        }
        let n = m.cmds.len();
        let mut data = Vec::new();
        let mut data_pos = Vec::new();
        let mut keys: Vec<Bytes> = Vec::new();
        let mut server = Vec::new();
        let mut server_pos = Vec::new();
        for (i, (argv, spec)) in m.cmds.into_iter().enumerate() {
            if let Handler::Server(cmd) = spec.handler {
                if server.is_empty() {
                    self.flush().await;
                }
                server.push(server_cmds::execute(self, cmd, &argv).await);
                server_pos.push(i);
                continue;
            }
            if let Handler::Write {
                precheck: Some(check),
                ..
            } = spec.handler
                && let Err(r) = check(&argv)
            {
                // Never reaches the log: answered in its place.
                server.push(r);
                server_pos.push(i);
                continue;
            }
            for k in table::all_key_positions(spec, &argv) {
                if let Some(k) = argv.get(k)
                    && !keys.contains(k)
                {
                    keys.push(k.clone());
                }
            }
            data.push(argv);
            data_pos.push(i);
        }
        if self.core.node.args.cluster_enabled
            && spans_slots(keys.iter().chain(watch.iter().flat_map(|w| w.1.iter())))
        {
            if let Some(w) = &watch {
                forget_watch(&self.core, w);
            }
            // Redis Cluster refuses the EXEC as a whole.
            self.push_ready(errors::err(errors::CROSSSLOT), stats::CMD_OTHER, start);
            return;
        }
        let data_part = if data.is_empty() && watch.is_none() {
            Pending::Ready(Reply::Array(Vec::new()))
        } else {
            self.spawn_txn(data, keys, false, watch)
        };
        self.push_item(Item::Gather {
            parts: vec![data_part, Pending::Ready(Reply::Array(server))],
            merge: Merge::InOrder,
            layout: vec![data_pos, server_pos],
            nkeys: n,
            class: stats::CMD_WRITE,
            start,
        });
    }

    /// WATCH (outside MULTI): registers the keys at their groups' leaders
    /// (see `crate::watch`); the reply comes once every write proposed
    /// before it is applied.
    pub(crate) async fn watch(&mut self, argv: &[Bytes]) -> Reply {
        let keys = argv.get(1..).unwrap_or(&[]);
        if self.core.node.args.cluster_enabled && spans_slots(keys) {
            return errors::err(errors::CROSSSLOT);
        }
        let id = match &self.watch {
            Some((id, _)) => *id,
            None => self.core.node.new_txid(),
        };
        let pending = crate::txn::per_group(&self.core, corekv_core::txn::WATCH, id, keys, true);
        let w = self.watch.get_or_insert((id, Vec::new()));
        for k in keys {
            if !w.1.contains(k) {
                w.1.push(k.clone());
            }
        }
        let mut out = Reply::ok();
        for p in pending {
            let r = p.resolve().await;
            if r.is_error() {
                out = r;
            }
        }
        out
    }

    /// UNWATCH: the leaders forget this connection's watch.
    pub(crate) fn unwatch(&mut self) {
        if let Some(w) = self.watch.take() {
            forget_watch(&self.core, &w);
        }
    }
}

/// Tells the watched keys' leaders to drop watch `w` (in the background; a
/// lost message costs memory until the watch ages out, never correctness:
/// an EXEC names the watch it checks).
fn forget_watch(core: &Rc<Core>, w: &crate::txn::Watch) {
    for p in crate::txn::per_group(core, corekv_core::txn::UNWATCH, w.0, &w.1, false) {
        monoio::spawn(async move {
            p.resolve().await;
        });
    }
}

impl Conn {
    /// Runs `cmds` as one transaction over `keys` on a task of this core;
    /// `single`: the reply is the one command's, not an array.
    fn spawn_txn(
        &self,
        cmds: Vec<Vec<Bytes>>,
        keys: Vec<Bytes>,
        single: bool,
        watch: Option<crate::txn::Watch>,
    ) -> Pending {
        let (tx, rx) = local_sync::oneshot::channel();
        let core = self.core.clone();
        monoio::spawn(async move {
            let forget = watch.clone();
            let program = crate::txn::Program::Cmds(cmds);
            let r = match crate::txn::execute(&core, program, keys, watch).await {
                Ok(Some(mut v)) if single => v.pop().unwrap_or(Reply::Nil),
                Ok(Some(v)) => Reply::Array(v),
                Ok(None) => Reply::NilArray,
                Err(e) => e,
            };
            if let Some(w) = forget {
                forget_watch(&core, &w);
            }
            let _ = tx.send(r);
        });
        Pending::Wait(rx)
    }

    fn keyed(&mut self, spec: &CommandSpec, argv: Vec<Bytes>, write: bool) -> Pending {
        let node = &self.core.node;
        let mut gidx = None;
        let mut slot = None;
        let mut cross = false;
        for i in table::all_key_positions(spec, &argv) {
            let Some(k) = argv.get(i) else { continue };
            let s = key_slot(k);
            if node.args.cluster_enabled && slot.is_some_and(|x| x != s) {
                // Redis Cluster's rule, exactly: one slot.
                return Pending::Ready(errors::err(errors::CROSSSLOT));
            }
            slot = Some(s);
            let g = node.group_of_slot(s);
            match gidx {
                None => gidx = Some(g),
                Some(x) if x != g => cross = true,
                _ => {}
            }
        }
        if cross {
            // Keys in several groups: one transaction (docs/design/0025).
            let keys = table::all_key_positions(spec, &argv)
                .filter_map(|i| argv.get(i).cloned())
                .collect();
            if !corekv_core::cmd::blocking::is_blocking(&argv) {
                return self.spawn_txn(vec![argv], keys, true, None);
            }
            // A transaction while a key has data, woken by probes while
            // none has (txn::block_across_groups).
            let (tx, rx) = local_sync::oneshot::channel();
            monoio::spawn(crate::txn::block_across_groups(
                self.core.clone(),
                argv,
                keys,
                tx,
            ));
            return Pending::Wait(rx);
        }
        self.core.submit_client(
            self.proxied,
            self.client_ref(true),
            gidx.unwrap_or(0),
            argv,
            write,
        )
    }

    /// DEL/UNLINK/EXISTS/TOUCH/MGET: one sub-command per group, merged.
    fn per_key(
        &mut self,
        spec: &CommandSpec,
        argv: Vec<Bytes>,
        write: bool,
        merge: Merge,
        class: usize,
        start: Instant,
    ) {
        let node = &self.core.node;
        let keys = table::key_indexes(spec, &argv);
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        for (n, &i) in keys.iter().enumerate() {
            let Some(k) = argv.get(i) else { continue };
            let g = node.group_of_slot(key_slot(k));
            match groups.iter_mut().find(|(x, _)| *x == g) {
                Some((_, v)) => v.push(n),
                None => groups.push((g, vec![n])),
            }
        }
        if groups.len() > 1
            && node.args.cluster_enabled
            && spans_slots(keys.iter().filter_map(|&i| argv.get(i)))
        {
            self.push_ready(errors::err(errors::CROSSSLOT), class, start);
            return;
        }
        if groups.len() > 1 && !node.args.cluster_enabled {
            // One snapshot of every key: a transaction (docs/design/0025).
            let ks = keys.iter().filter_map(|&i| argv.get(i).cloned()).collect();
            let p = self.spawn_txn(vec![argv], ks, true, None);
            self.push_item(Item::One(p, class, start));
            return;
        }
        if groups.len() <= 1 {
            let gidx = groups.first().map_or(0, |g| g.0);
            let p = self
                .core
                .submit_client(self.proxied, self.client_ref(true), gidx, argv, write);
            self.push_item(Item::One(p, class, start));
            return;
        }
        let name = argv.first().cloned().unwrap_or_default();
        let mut parts = Vec::with_capacity(groups.len());
        let mut layout = Vec::with_capacity(groups.len());
        for (g, positions) in groups {
            let mut sub = Vec::with_capacity(positions.len() + 1);
            sub.push(name.clone());
            for &n in &positions {
                if let Some(k) = keys.get(n).and_then(|&i| argv.get(i)) {
                    sub.push(k.clone());
                }
            }
            parts.push(self.core.submit_client(
                self.proxied,
                self.client_ref(false),
                g,
                sub,
                write,
            ));
            layout.push(positions);
        }
        self.push_item(Item::Gather {
            parts,
            merge,
            layout,
            nkeys: keys.len(),
            class,
            start,
        });
    }
}

/// What a client may run while a script is busy: SCRIPT KILL and FUNCTION
/// KILL (of Redis's `allow-busy` set; corekv has no SHUTDOWN command).
fn allowed_while_busy(base: Option<&CommandSpec>, argv: &[Bytes]) -> bool {
    let sub = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    match base.map(|s| s.handler) {
        Some(Handler::Server(ServerCmd::Script | ServerCmd::Function)) => sub(1, "kill"),
        _ => false,
    }
}

/// What a command after MULTI gets.
enum InMulti {
    Reply(Reply),
    Exec,
}

/// Redis's reply to a command it does not know.
pub(crate) fn unknown(argv: &[Bytes]) -> Reply {
    errors::unknown_command(
        argv.first().map_or(&[][..], |a| a.as_ref()),
        argv.get(1..).unwrap_or(&[]),
    )
}

/// Closes after a final reply without losing it: unread input at close()
/// makes the kernel send RST, which can discard the reply in flight. Shut
/// down the write side, then drain input (bounded in bytes and time).
async fn linger(mut stream: Stream) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut total = 0usize;
        while total < (1 << 20) {
            let (res, b) = stream.read(buf).await;
            buf = b;
            match res {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = monoio::time::timeout(std::time::Duration::from_millis(200), drain).await;
}

/// Combines the parts of a fanned-out command into one reply. The first
/// error wins, as the command as a whole failed.
fn merge_replies(merge: Merge, replies: Vec<Reply>, layout: &[Vec<usize>], nkeys: usize) -> Reply {
    if let Some(e) = replies.iter().find(|r| r.is_error()) {
        return e.clone();
    }
    match merge {
        Merge::Sum => Reply::Integer(
            replies
                .iter()
                .map(|r| if let Reply::Integer(n) = r { *n } else { 0 })
                .sum(),
        ),
        Merge::Concat => {
            let mut out = Vec::new();
            for r in replies {
                if let Reply::Array(v) | Reply::Set(v) = r {
                    out.extend(v);
                }
            }
            Reply::Array(out)
        }
        Merge::AllOk => Reply::ok(),
        Merge::AnyNonNil => replies
            .into_iter()
            .find(|r| !matches!(r, Reply::Nil | Reply::NilArray))
            .unwrap_or(Reply::Nil),
        // EXEC whose WATCH failed: nil as a whole.
        Merge::InOrder if replies.contains(&Reply::NilArray) => Reply::NilArray,
        Merge::InOrder => {
            let mut out = vec![Reply::Nil; nkeys];
            for (r, positions) in replies.into_iter().zip(layout) {
                if let Reply::Array(v) = r {
                    for (val, &n) in v.into_iter().zip(positions) {
                        if let Some(slot) = out.get_mut(n) {
                            *slot = val;
                        }
                    }
                }
            }
            Reply::Array(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mget_parts_go_back_in_key_order() {
        let a = Reply::Array(vec![Reply::bulk(&b"1"[..]), Reply::Nil]);
        let b = Reply::Array(vec![Reply::bulk(&b"2"[..])]);
        let r = merge_replies(Merge::InOrder, vec![a, b], &[vec![0, 2], vec![1]], 3);
        assert_eq!(
            r,
            Reply::Array(vec![
                Reply::bulk(&b"1"[..]),
                Reply::bulk(&b"2"[..]),
                Reply::Nil
            ])
        );
    }

    #[test]
    fn sum_and_first_error() {
        assert_eq!(
            merge_replies(
                Merge::Sum,
                vec![Reply::Integer(2), Reply::Integer(3)],
                &[],
                0
            ),
            Reply::Integer(5)
        );
        let e = Reply::err("ERR x");
        assert_eq!(
            merge_replies(Merge::AllOk, vec![Reply::ok(), e.clone()], &[], 0),
            e
        );
    }
}
