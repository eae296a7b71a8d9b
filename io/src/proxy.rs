//! The client side of command proxying, one pool per core: a command for a
//! Raft group led by another node is sent to that node's RESP port and its
//! reply relayed.
//!
//! One pipelined connection per destination, opened lazily. A call encodes
//! its request into the connection's output buffer and queues a waiter;
//! the connection's writer task sends everything queued as one buffer per
//! write, and its reader task parses replies in order and completes the
//! oldest waiter (requests and replies are both FIFO on one connection).
//!
//! Any failure ends the connection: every queued and in-flight call gets
//! `-TRYAGAIN proxy to <addr>: <reason>` and the next call reconnects. A
//! call that times out ends it too, since once a reply is lost the order
//! that pairs replies with callers can no longer be trusted.
//!
//! A circuit breaker per destination makes calls fail fast while it is
//! unreachable. It counts consecutive failed connections: a connect or
//! `hello` exchange that fails, or a connection that ends with calls
//! waiting before it ever delivered a reply (a peer that accepts and then
//! closes or never answers). The first reply on a connection resets the
//! count. At `breaker_failures` the breaker opens: calls fail at once for
//! `breaker_open`. The next call then opens one trial connection, which
//! later calls share; if it fails too, the count is still at the limit and
//! the breaker reopens at once.
//!
//! Only commands with exactly one reply may be proxied: SUBSCRIBE, MONITOR
//! or CLIENT REPLY OFF would break the pairing (and then end the
//! connection when a reply arrives that nobody waits for).
//!
//! Single-threaded: a pool lives on one monoio executor, which must have
//! its timer enabled. No `RefCell` borrow is held across an await.

use crate::notify::LocalNotify;
use crate::stream::{ReadHalf, Stream, WriteHalf};
use bytes::{Bytes, BytesMut};
use corekv_core::{Reply, errors};
use corekv_wire::{ReplyParser, encode_request};
use local_sync::oneshot;
use monoio::buf::IoBufMut;
use monoio::io::{CancelHandle, CancelableAsyncReadRent, CancelableAsyncWriteRentExt, Canceller};
use monoio::net::TcpStream;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 16 * 1024;
/// A drained buffer larger than this is freed rather than kept for reuse,
/// so one burst of large values does not pin its memory forever.
const KEEP_BUF: usize = 1 << 20;

const TIMED_OUT: &str = "timed out";
const CIRCUIT_OPEN: &str = "circuit open";
const TOO_MANY: &str = "too many queued calls";

/// How a pool connects and when it gives up.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Sent first on every new connection; an error reply to any of them
    /// fails the connection. Default `[["HELLO", "3"]]`.
    pub hello: Vec<Vec<Bytes>>,
    /// A call not answered within this fails, and ends its connection.
    pub call_timeout: Duration,
    /// Bounds the TCP connect and the `hello` exchange together.
    pub connect_timeout: Duration,
    /// Consecutive failed connections that open the breaker (0: never
    /// open it). A connection fails if its connect or `hello` exchange
    /// fails, or if it ends with calls waiting before any reply.
    pub breaker_failures: u32,
    /// How long an open breaker fails calls before one trial connection.
    pub breaker_open: Duration,
    /// Calls queued or in flight per destination beyond which new calls
    /// fail at once.
    pub max_pending: usize,
    /// Mutual TLS to the destinations (`--tls-cluster yes`).
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            hello: vec![vec![Bytes::from_static(b"HELLO"), Bytes::from_static(b"3")]],
            call_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            breaker_failures: 3,
            breaker_open: Duration::from_secs(1),
            max_pending: 64 * 1024,
            tls: None,
        }
    }
}

/// Counters since the pool was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed in the proxy (TRYAGAIN); error replies relayed
    /// from the destination are not counted.
    pub errors: u64,
    /// Connections opened to a destination after its first one.
    pub reconnects: u64,
    /// Times a breaker opened (a failed half-open trial reopens it).
    pub breaker_open_count: u64,
}

#[derive(Default)]
struct Counters {
    calls: Cell<u64>,
    errors: Cell<u64>,
    reconnects: Cell<u64>,
    breaker_open: Cell<u64>,
    /// Batches handed to the socket (one `write_all` each).
    writes: Cell<u64>,
    /// Connection tasks alive (connect/reader and writer).
    tasks: Cell<u64>,
}

fn bump(c: &Cell<u64>) {
    c.set(c.get().wrapping_add(1));
}

/// Per-core pool of proxy connections, one per destination.
pub struct ProxyPool {
    cfg: Rc<ProxyConfig>,
    counters: Rc<Counters>,
    dests: RefCell<HashMap<SocketAddr, Rc<Dest>, ahash::RandomState>>,
}

impl ProxyPool {
    pub fn new(cfg: ProxyConfig) -> Rc<ProxyPool> {
        Rc::new(ProxyPool {
            cfg: Rc::new(cfg),
            counters: Rc::default(),
            dests: RefCell::default(),
        })
    }

    /// Sends argv to addr over the pooled connection, returns its reply.
    /// Failures in the proxy itself are `-TRYAGAIN proxy to <addr>: ...`.
    pub async fn call(self: &Rc<Self>, addr: SocketAddr, argv: Vec<Bytes>) -> Reply {
        self.try_call(addr, argv)
            .await
            .unwrap_or_else(|e| Reply::Error(format!("TRYAGAIN proxy to {addr}: {}", e.reason)))
    }

    /// [`ProxyPool::call`] with the proxy's own failures kept apart from
    /// replies, saying whether the request may have reached `addr`.
    pub async fn try_call(
        self: &Rc<Self>,
        addr: SocketAddr,
        argv: Vec<Bytes>,
    ) -> Result<Reply, ProxyError> {
        bump(&self.counters.calls);
        if argv.is_empty() {
            // `*0` gets no reply from Redis: it would break the pairing.
            return Ok(errors::err("ERR empty command"));
        }
        let res = self.forward(addr, &argv).await;
        if res.is_err() {
            bump(&self.counters.errors);
        }
        res
    }

    /// Sends one call on a connection of its own, closed after the reply:
    /// for a blocking command (BLPOP ...), which on a shared connection
    /// would hold every later reply behind it for as long as it blocks.
    /// `timeout` bounds the call; every 100 ms `gone` is asked whether the
    /// caller left, and if so the connection is closed, which the
    /// destination sees as its client leaving (a blocked client that left
    /// is never served there, so nothing is popped for nobody). `link_id`
    /// gets the connection's client id at the destination (`CLIENT ID`,
    /// sent first): CLIENT UNBLOCK of the caller is forwarded to it.
    pub async fn call_alone(
        self: &Rc<Self>,
        addr: SocketAddr,
        argv: Vec<Bytes>,
        timeout: Duration,
        gone: impl Fn() -> bool,
        link_id: &Cell<Option<u64>>,
    ) -> Result<Reply, ProxyError> {
        bump(&self.counters.calls);
        let not_sent = |reason| ProxyError {
            reason,
            maybe_sent: false,
        };
        if argv.is_empty() {
            return Ok(errors::err("ERR empty command"));
        }
        // Not in `dests`: its own connection, and its failures do not
        // open the shared connection's breaker.
        let dest = self.new_dest(addr);
        let conn = dest.conn().map_err(not_sent)?;
        // CLIENT ID first, answered before the blocking command is sent
        // (the destination writes replies in order, so an id queued behind
        // a blocked command would wait for it).
        let id_argv = [Bytes::from_static(b"CLIENT"), Bytes::from_static(b"ID")];
        let id_rx = conn.push(&id_argv, 1).map_err(not_sent)?;
        let bound = self.cfg.connect_timeout + self.cfg.call_timeout;
        if let Ok(Ok(Ok(Reply::Integer(id)))) = monoio::time::timeout(bound, id_rx).await {
            link_id.set(u64::try_from(id).ok());
        }
        let mut rx = conn.push(&argv, 1).map_err(not_sent)?;
        let deadline = Instant::now() + timeout;
        let res = loop {
            match monoio::time::timeout(Duration::from_millis(100), &mut rx).await {
                Ok(Ok(outcome)) => break outcome,
                Ok(Err(_)) => break Err("connection dropped".into()),
                Err(_) if gone() => break Err("caller left".into()),
                Err(_) if Instant::now() >= deadline => break Err(TIMED_OUT.into()),
                Err(_) => {}
            }
        };
        let established = conn.established.get();
        conn.end("call done", false);
        if res.is_err() {
            bump(&self.counters.errors);
        }
        res.map_err(|reason| ProxyError {
            reason,
            maybe_sent: established,
        })
    }

    pub fn stats(&self) -> ProxyStats {
        let c = &self.counters;
        ProxyStats {
            calls: c.calls.get(),
            errors: c.errors.get(),
            reconnects: c.reconnects.get(),
            breaker_open_count: c.breaker_open.get(),
        }
    }

    async fn forward(&self, addr: SocketAddr, argv: &[Bytes]) -> Result<Reply, ProxyError> {
        let not_sent = |reason| ProxyError {
            reason,
            maybe_sent: false,
        };
        let conn = self.dest(addr).conn().map_err(not_sent)?;
        let rx = conn.push(argv, self.cfg.max_pending).map_err(not_sent)?;
        let res = match monoio::time::timeout(self.cfg.call_timeout, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err("connection dropped".into()),
            Err(_) => {
                conn.fail(TIMED_OUT);
                Err(TIMED_OUT.into())
            }
        };
        // Requests are written only once the handshake is done: a
        // connection that never got there sent nothing.
        res.map_err(|reason| ProxyError {
            reason,
            maybe_sent: conn.established.get(),
        })
    }

    /// A destination with no connection yet and a closed breaker.
    fn new_dest(&self, addr: SocketAddr) -> Rc<Dest> {
        Rc::new(Dest {
            addr,
            cfg: self.cfg.clone(),
            counters: self.counters.clone(),
            conn: RefCell::new(None),
            failures: Cell::new(0),
            open_until: Cell::new(None),
            connects: Cell::new(0),
        })
    }

    fn dest(&self, addr: SocketAddr) -> Rc<Dest> {
        if let Some(d) = self.dests.borrow().get(&addr) {
            return d.clone();
        }
        let d = self.new_dest(addr);
        self.dests.borrow_mut().insert(addr, d.clone());
        d
    }
}

impl Drop for ProxyPool {
    /// Ends every connection, so no task outlives the pool.
    fn drop(&mut self) {
        for d in self.dests.get_mut().values() {
            let conn = d.conn.borrow_mut().take();
            if let Some(c) = conn {
                c.end("proxy pool closed", false);
            }
        }
    }
}

/// One destination: its current connection and its circuit breaker.
struct Dest {
    addr: SocketAddr,
    cfg: Rc<ProxyConfig>,
    counters: Rc<Counters>,
    conn: RefCell<Option<Rc<Conn>>>,
    /// Consecutive failed connections (see the module doc).
    failures: Cell<u32>,
    /// Set while the breaker is open.
    open_until: Cell<Option<Instant>>,
    connects: Cell<u64>,
}

impl Dest {
    /// The live connection, or a new one (connecting in the background:
    /// calls queue on it meanwhile), or `circuit open`.
    fn conn(self: &Rc<Self>) -> Result<Rc<Conn>, Rc<str>> {
        if let Some(c) = self.conn.borrow().as_ref()
            && !c.is_dead()
        {
            return Ok(c.clone());
        }
        if let Some(until) = self.open_until.get() {
            if Instant::now() < until {
                return Err(CIRCUIT_OPEN.into());
            }
            // Half-open: this call opens the one trial connection, later
            // calls queue on it; until it delivers a reply the failure
            // count stays at the limit, so its failure reopens the breaker.
            self.open_until.set(None);
        }
        if self.connects.get() > 0 {
            bump(&self.counters.reconnects);
        }
        bump(&self.connects);
        let conn = Rc::new(Conn::new(Rc::downgrade(self)));
        *self.conn.borrow_mut() = Some(conn.clone());
        monoio::spawn(run(self.clone(), conn.clone()));
        Ok(conn)
    }

    /// A connection delivered its first reply: the destination works.
    fn on_success(&self) {
        self.failures.set(0);
    }

    fn on_failure(&self) {
        let n = self.failures.get().saturating_add(1);
        self.failures.set(n);
        let limit = self.cfg.breaker_failures;
        if limit > 0 && n >= limit {
            self.open_until
                .set(Some(Instant::now() + self.cfg.breaker_open));
            bump(&self.counters.breaker_open);
        }
    }
}

type Outcome = Result<Reply, Rc<str>>;

/// A proxy call that failed in the proxy itself (not an error reply).
#[derive(Debug, Clone)]
pub struct ProxyError {
    pub reason: Rc<str>,
    /// False when the request certainly never left this node (circuit
    /// open, queue full, connection never established): safe to retry.
    pub maybe_sent: bool,
}

/// One connection's shared state: the writer takes `out`, the reader pops
/// `waiters`; `out` holds exactly the requests of the last waiters, in
/// order.
struct Conn {
    dest: Weak<Dest>,
    /// It delivered a reply (so its failure does not count against the
    /// destination).
    proven: Cell<bool>,
    /// The handshake finished and the writer runs: queued requests may
    /// have been written.
    established: Cell<bool>,
    st: RefCell<ConnState>,
    /// Wakes the writer: something was queued, or the connection died.
    wake: LocalNotify,
    /// Cancels the connection's pending reads and writes when it fails.
    canceller: RefCell<Option<Canceller>>,
    handle: CancelHandle,
}

struct ConnState {
    dead: bool,
    out: BytesMut,
    waiters: VecDeque<oneshot::Sender<Outcome>>,
}

impl Conn {
    fn new(dest: Weak<Dest>) -> Conn {
        let canceller = Canceller::new();
        let handle = canceller.handle();
        Conn {
            dest,
            proven: Cell::new(false),
            established: Cell::new(false),
            st: RefCell::new(ConnState {
                dead: false,
                out: BytesMut::new(),
                waiters: VecDeque::new(),
            }),
            wake: LocalNotify::default(),
            canceller: RefCell::new(Some(canceller)),
            handle,
        }
    }

    fn is_dead(&self) -> bool {
        self.st.borrow().dead
    }

    /// Queues one request; the receiver gets its reply.
    fn push(
        &self,
        argv: &[Bytes],
        max_pending: usize,
    ) -> Result<oneshot::Receiver<Outcome>, Rc<str>> {
        let mut st = self.st.borrow_mut();
        if st.dead {
            return Err("connection closed".into());
        }
        if st.waiters.len() >= max_pending {
            return Err(TOO_MANY.into());
        }
        encode_argv(argv, &mut st.out);
        let (tx, rx) = oneshot::channel();
        st.waiters.push_back(tx);
        drop(st);
        self.wake.notify();
        Ok(rx)
    }

    /// Ends the connection: fails every queued and in-flight call with
    /// `reason`, cancels the socket's pending IO, stops the writer.
    fn fail(&self, reason: &str) {
        self.end(reason, true);
    }

    /// `fail`, but only a connection ended by the destination (`blame`)
    /// counts against its breaker, and only if it had calls waiting and
    /// never delivered a reply: refused or failed handshakes, and peers
    /// that accept and then close or never answer.
    fn end(&self, reason: &str, blame: bool) {
        let waiters = {
            let mut st = self.st.borrow_mut();
            if st.dead {
                return;
            }
            st.dead = true;
            st.out = BytesMut::new();
            std::mem::take(&mut st.waiters)
        };
        let waiters_empty = waiters.is_empty();
        let reason: Rc<str> = reason.into();
        for w in waiters {
            let _ = w.send(Err(reason.clone()));
        }
        let canceller = self.canceller.borrow_mut().take();
        if let Some(c) = canceller {
            drop(c.cancel());
        }
        self.wake.notify();
        if blame
            && !waiters_empty
            && !self.proven.get()
            && let Some(d) = self.dest.upgrade()
        {
            d.on_failure();
        }
    }

    /// A reply arrived for the oldest waiter.
    fn deliver(&self, reply: Reply) {
        let waiter = self.st.borrow_mut().waiters.pop_front();
        let Some(w) = waiter else {
            self.fail("bad reply (no call is waiting for it)");
            return;
        };
        // The caller may have gone; its reply is dropped.
        let _ = w.send(Ok(reply));
        if !self.proven.replace(true)
            && let Some(d) = self.dest.upgrade()
        {
            d.on_success();
        }
    }
}

fn encode_argv(argv: &[Bytes], out: &mut BytesMut) {
    let mut small: [&[u8]; 8] = [&[]; 8];
    if argv.len() <= small.len() {
        for (slot, a) in small.iter_mut().zip(argv) {
            *slot = a;
        }
        encode_request(small.get(..argv.len()).unwrap_or(&[]), out);
    } else {
        let parts: Vec<&[u8]> = argv.iter().map(|a| a.as_ref()).collect();
        encode_request(&parts, out);
    }
}

/// Counts a live connection task while it exists.
struct TaskGuard(Rc<Counters>);

impl TaskGuard {
    fn new(c: &Rc<Counters>) -> TaskGuard {
        c.tasks.set(c.tasks.get() + 1);
        TaskGuard(c.clone())
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.set(self.0.tasks.get().saturating_sub(1));
    }
}

/// A connection's life: connect and handshake, then write and read until
/// it fails. This task becomes the reader; the writer is its own task.
async fn run(dest: Rc<Dest>, conn: Rc<Conn>) {
    let _guard = TaskGuard::new(&dest.counters);
    let hs = monoio::time::timeout(
        dest.cfg.connect_timeout,
        handshake(&dest.cfg, dest.addr, &conn.handle),
    )
    .await;
    let (stream, rbuf, parser) = match hs {
        Ok(Ok(v)) => v,
        Ok(Err(reason)) => {
            conn.fail(&reason);
            return;
        }
        Err(_) => {
            conn.fail("connect timed out");
            return;
        }
    };
    if conn.is_dead() {
        return;
    }
    let (r, w) = stream.into_split();
    conn.established.set(true);
    monoio::spawn(write_loop(conn.clone(), w, dest.counters.clone()));
    read_loop(&conn, r, rbuf, parser).await;
}

/// Connects and runs the `hello` exchange; returns the stream, with any
/// bytes read past the last hello reply and the parser's state.
async fn handshake(
    cfg: &ProxyConfig,
    addr: SocketAddr,
    handle: &CancelHandle,
) -> Result<(Stream, BytesMut, ReplyParser), String> {
    let tcp = TcpStream::connect_addr(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut stream = match &cfg.tls {
        None => Stream::Plain(tcp),
        Some(tls) => crate::stream::connect(tcp, tls.clone(), crate::tls::member_name(addr))
            .await
            .map_err(|e| format!("tls: {e}"))?,
    };
    let mut parser = ReplyParser::default();
    let mut rbuf = BytesMut::new();
    if cfg.hello.is_empty() {
        return Ok((stream, rbuf, parser));
    }
    let mut out = BytesMut::new();
    for argv in &cfg.hello {
        encode_argv(argv, &mut out);
    }
    let (res, _) = stream.write_all(out, handle.clone()).await;
    res.map_err(|e| format!("write: {e}"))?;
    for argv in &cfg.hello {
        let reply = loop {
            match parser.parse(&mut rbuf) {
                Ok(Some(r)) => break r,
                Ok(None) => {}
                Err(e) => return Err(format!("bad reply ({e})")),
            }
            let (res, buf) = read_more(&mut stream, rbuf, handle).await;
            rbuf = buf;
            res?;
        };
        if let Reply::Error(e) = reply {
            let name = argv.first().map(|n| String::from_utf8_lossy(n));
            return Err(format!("{} failed: {e}", name.unwrap_or_default()));
        }
    }
    Ok((stream, rbuf, parser))
}

/// One read appended to `rbuf`; an error for EOF, a failed or a cancelled
/// read.
async fn read_more<R: CancelableAsyncReadRent>(
    r: &mut R,
    mut rbuf: BytesMut,
    handle: &CancelHandle,
) -> (Result<(), String>, BytesMut) {
    if rbuf.is_empty() && rbuf.capacity() > KEEP_BUF {
        rbuf = BytesMut::new();
    }
    if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
        rbuf.reserve(READ_CHUNK);
    }
    // monoio reads at the buffer's start: hand it the spare tail.
    let filled = rbuf.len();
    let (res, buf) = r
        .cancelable_read(rbuf.slice_mut(filled..), handle.clone())
        .await;
    let res = match res {
        Ok(0) => Err("connection closed".to_string()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    };
    (res, buf.into_inner())
}

/// Parses replies in order, each completing the oldest waiter.
async fn read_loop(conn: &Conn, mut r: ReadHalf, mut rbuf: BytesMut, mut parser: ReplyParser) {
    loop {
        loop {
            match parser.parse(&mut rbuf) {
                Ok(Some(reply)) => {
                    conn.deliver(reply);
                    if conn.is_dead() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    conn.fail(&format!("bad reply ({e})"));
                    return;
                }
            }
        }
        if conn.is_dead() {
            return;
        }
        let (res, buf) = read_more(&mut r, rbuf, &conn.handle).await;
        rbuf = buf;
        if let Err(reason) = res {
            conn.fail(&reason);
            return;
        }
    }
}

/// Writes whatever is queued, all of it per write, until the connection
/// dies. Two buffers alternate: calls fill one while the other is written.
async fn write_loop(conn: Rc<Conn>, mut w: WriteHalf, counters: Rc<Counters>) {
    let _guard = TaskGuard::new(&counters);
    let mut spare = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let batch = {
            let mut st = conn.st.borrow_mut();
            if st.dead {
                return;
            }
            if st.out.is_empty() {
                None
            } else {
                Some(std::mem::replace(&mut st.out, std::mem::take(&mut spare)))
            }
        };
        let Some(batch) = batch else {
            conn.wake.wait().await;
            continue;
        };
        bump(&counters.writes);
        let (res, mut buf) = w.write_all(batch, conn.handle.clone()).await;
        if let Err(e) = res {
            conn.fail(&format!("write: {e}"));
            return;
        }
        buf.clear();
        if buf.capacity() <= KEEP_BUF {
            spare = buf;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run_test;
    use corekv_wire::{Proto, RequestParser, encode};
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Mutex};

    fn argv(parts: &[&str]) -> Vec<Bytes> {
        parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect()
    }

    fn tryagain(addr: SocketAddr, reason: &str) -> Reply {
        Reply::Error(format!("TRYAGAIN proxy to {addr}: {reason}"))
    }

    fn starts_with(r: &Reply, prefix: &str) -> bool {
        matches!(r, Reply::Error(e) if e.starts_with(prefix))
    }

    /// The server side of one test connection, blocking.
    struct Peer {
        s: std::net::TcpStream,
        buf: BytesMut,
        parser: RequestParser,
    }

    impl Peer {
        fn new(s: std::net::TcpStream) -> Peer {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = s.set_nodelay(true);
            Peer {
                s,
                buf: BytesMut::new(),
                parser: RequestParser::default(),
            }
        }

        /// A command already buffered, without reading.
        fn buffered(&mut self) -> Option<Vec<Bytes>> {
            self.parser.parse(&mut self.buf).ok().flatten()
        }

        /// The next command; None at EOF.
        fn next(&mut self) -> Option<Vec<Bytes>> {
            loop {
                if let Some(a) = self.buffered() {
                    return Some(a);
                }
                let mut tmp = vec![0u8; 64 * 1024];
                match self.s.read(&mut tmp) {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                }
            }
        }

        fn send(&mut self, replies: &[Reply]) -> bool {
            let mut out = BytesMut::new();
            for r in replies {
                encode(r, Proto::Resp3, &mut out);
            }
            self.s.write_all(&out).is_ok()
        }
    }

    fn answer(argv: &[Bytes]) -> Reply {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        match name.as_str() {
            "HELLO" => Reply::Map(vec![
                (Reply::bulk(&b"server"[..]), Reply::bulk(&b"test"[..])),
                (Reply::bulk(&b"proto"[..]), Reply::Integer(3)),
            ]),
            "ECHO" => Reply::Bulk(argv[1].clone()),
            "PING" => Reply::Simple("PONG".into()),
            _ => Reply::ok(),
        }
    }

    struct Server {
        addr: SocketAddr,
        accepts: Arc<AtomicUsize>,
    }

    /// Accepts forever on its own thread; `handler(n, peer)` serves the
    /// n-th connection on a thread of its own.
    fn serve<H>(listener: TcpListener, handler: H) -> Server
    where
        H: Fn(usize, Peer) + Send + Sync + 'static,
    {
        let addr = listener.local_addr().unwrap();
        let accepts = Arc::new(AtomicUsize::new(0));
        let handler = Arc::new(handler);
        let a = accepts.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(s) = s else { continue };
                let n = a.fetch_add(1, SeqCst);
                let h = handler.clone();
                std::thread::spawn(move || h(n, Peer::new(s)));
            }
        });
        Server { addr, accepts }
    }

    fn listen() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").unwrap()
    }

    type Log = Arc<Mutex<Vec<(usize, Vec<Bytes>)>>>;

    /// Answers every command, one write per batch of buffered commands,
    /// logging (connection, argv).
    fn echo(log: Log) -> impl Fn(usize, Peer) + Send + Sync + 'static {
        move |n, mut p| {
            while let Some(first) = p.next() {
                let mut batch = vec![first];
                while let Some(more) = p.buffered() {
                    batch.push(more);
                }
                let replies: Vec<Reply> = batch.iter().map(|a| answer(a)).collect();
                log.lock()
                    .unwrap()
                    .extend(batch.into_iter().map(|a| (n, a)));
                if !p.send(&replies) {
                    return;
                }
            }
        }
    }

    fn payload(i: usize) -> Bytes {
        if i.is_multiple_of(97) {
            Bytes::from(vec![b'a' + (i % 26) as u8; 100_000 + i])
        } else {
            Bytes::from(format!("value-{i}"))
        }
    }

    async fn sleep_ms(ms: u64) {
        monoio::time::sleep(Duration::from_millis(ms)).await;
    }

    #[test]
    fn pipelined_replies_reach_their_callers_and_hello_goes_first() {
        let (log1, log2) = (Log::default(), Log::default());
        let s1 = serve(listen(), echo(log1.clone()));
        let s2 = serve(listen(), echo(log2.clone()));
        let (a1, a2) = (s1.addr, s2.addr);
        let cfg = ProxyConfig {
            hello: vec![argv(&["HELLO", "3"]), argv(&["CLIENT", "SETNAME", "proxy"])],
            ..Default::default()
        };
        let (stats, writes) = run_test(async move {
            let pool = ProxyPool::new(cfg);
            // 1000 concurrent calls, alternating between two servers, some
            // with 100 kB values, queued while the connections open.
            let mut handles = Vec::new();
            for i in 0..1000usize {
                let pool = pool.clone();
                let addr = if i.is_multiple_of(2) { a1 } else { a2 };
                handles.push(monoio::spawn(async move {
                    pool.call(addr, vec![Bytes::from_static(b"ECHO"), payload(i)])
                        .await
                }));
            }
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await, Reply::Bulk(payload(i)), "call {i}");
            }
            // A second wave on the established connection.
            let mut handles = Vec::new();
            for i in 0..1000 {
                let pool = pool.clone();
                handles.push(monoio::spawn(async move {
                    pool.call(a1, vec![Bytes::from_static(b"ECHO"), payload(i)])
                        .await
                }));
            }
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await, Reply::Bulk(payload(i)), "call {i}");
            }
            (pool.stats(), pool.counters.writes.get())
        });
        assert_eq!(
            stats,
            ProxyStats {
                calls: 2000,
                ..Default::default()
            }
        );
        // Queued calls go out together, not one write each.
        assert!(writes <= 20, "{writes} writes for 2000 calls");
        assert_eq!(s1.accepts.load(SeqCst), 1);
        assert_eq!(s2.accepts.load(SeqCst), 1);
        for (log, calls) in [(&log1, 1500), (&log2, 500)] {
            let log = log.lock().unwrap();
            assert_eq!(log.len(), 2 + calls);
            assert!(log.iter().all(|(n, _)| *n == 0));
            assert_eq!(log[0].1, argv(&["HELLO", "3"]));
            assert_eq!(log[1].1, argv(&["CLIENT", "SETNAME", "proxy"]));
            assert!(log[2..].iter().all(|(_, a)| &a[0][..] == b"ECHO"));
        }
        // Requests went out in call order.
        let log = log1.lock().unwrap();
        let sent: Vec<Bytes> = log[2..].iter().map(|(_, a)| a[1].clone()).collect();
        let expect: Vec<Bytes> = (0..1000)
            .filter(|i: &usize| i.is_multiple_of(2))
            .chain(0..1000)
            .map(payload)
            .collect();
        assert!(sent == expect);
    }

    #[test]
    fn hello_commands_precede_calls_on_every_connection() {
        let log = Log::default();
        let srv = serve(listen(), echo(log.clone()));
        let addr = srv.addr;
        let cfg = ProxyConfig {
            hello: vec![argv(&["HELLO", "3"]), argv(&["CLIENT", "SETNAME", "proxy"])],
            ..Default::default()
        };
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                Reply::Simple("PONG".into())
            );
        });
        let log = log.lock().unwrap();
        let cmds: Vec<Vec<Bytes>> = log.iter().map(|(_, a)| a.clone()).collect();
        assert_eq!(
            cmds,
            vec![
                argv(&["HELLO", "3"]),
                argv(&["CLIENT", "SETNAME", "proxy"]),
                argv(&["PING"])
            ]
        );
    }

    #[test]
    fn server_closing_mid_pipeline_fails_every_waiter_then_reconnects() {
        const N: usize = 100;
        const ANSWERED: usize = 10;
        let log = Log::default();
        let echo_rest = echo(log);
        let srv = serve(listen(), move |n, mut p| {
            if n > 0 {
                return echo_rest(n, p);
            }
            let hello = p.next().unwrap();
            p.send(&[answer(&hello)]);
            // Read the whole pipeline (closing with unread input would
            // reset the connection), answer a few, then close.
            let cmds: Vec<_> = (0..N).map_while(|_| p.next()).collect();
            let replies: Vec<Reply> = cmds.iter().take(ANSWERED).map(|a| answer(a)).collect();
            p.send(&replies);
            let _ = p.s.shutdown(Shutdown::Both);
        });
        let addr = srv.addr;
        let stats = run_test(async move {
            let pool = ProxyPool::new(ProxyConfig::default());
            let mut handles = Vec::new();
            for i in 0..N {
                let pool = pool.clone();
                handles.push(monoio::spawn(async move {
                    pool.call(addr, argv(&["ECHO", &i.to_string()])).await
                }));
            }
            for (i, h) in handles.into_iter().enumerate() {
                let r = h.await;
                if i < ANSWERED {
                    assert_eq!(r, Reply::Bulk(i.to_string().into()), "call {i}");
                } else {
                    assert_eq!(r, tryagain(addr, "connection closed"), "call {i}");
                }
            }
            // Connection tasks are gone.
            assert_eq!(pool.counters.tasks.get(), 0);
            // The next call reconnects.
            assert_eq!(
                pool.call(addr, argv(&["ECHO", "again"])).await,
                Reply::bulk(&b"again"[..])
            );
            pool.stats()
        });
        assert_eq!(
            stats,
            ProxyStats {
                calls: N as u64 + 1,
                errors: (N - ANSWERED) as u64,
                reconnects: 1,
                breaker_open_count: 0,
            }
        );
        assert_eq!(srv.accepts.load(SeqCst), 2);
    }

    /// A port reserved (bound, not listening): connects are refused until
    /// `listen` is called on it.
    fn reserved_port() -> (socket2::Socket, SocketAddr) {
        use socket2::{Domain, Socket, Type};
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_reuse_address(true).unwrap();
        s.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        let addr = s.local_addr().unwrap().as_socket().unwrap();
        (s, addr)
    }

    #[test]
    fn dead_port_opens_the_breaker_which_closes_when_the_server_is_back() {
        let (sock, addr) = reserved_port();
        let cfg = ProxyConfig {
            breaker_failures: 3,
            breaker_open: Duration::from_millis(300),
            ..Default::default()
        };
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            let ping = || pool.call(addr, argv(&["PING"]));
            for n in 0..3 {
                let r = ping().await;
                assert!(starts_with(
                    &r,
                    &format!("TRYAGAIN proxy to {addr}: connect: ")
                ));
                assert_eq!(pool.stats().breaker_open_count, if n < 2 { 0 } else { 1 });
            }
            // Open: calls fail without touching the network.
            for _ in 0..100 {
                let t = Instant::now();
                assert_eq!(ping().await, tryagain(addr, CIRCUIT_OPEN));
                assert!(t.elapsed() < Duration::from_millis(10), "{:?}", t.elapsed());
            }
            // Half-open with the server still down: one trial, reopened.
            sleep_ms(350).await;
            assert!(starts_with(
                &ping().await,
                &format!("TRYAGAIN proxy to {addr}: connect: ")
            ));
            assert_eq!(pool.stats().breaker_open_count, 2);
            assert_eq!(ping().await, tryagain(addr, CIRCUIT_OPEN));
            // The server comes back; the breaker stays open until its time.
            sock.listen(128).unwrap();
            let srv = serve(sock.into(), echo(Log::default()));
            assert_eq!(ping().await, tryagain(addr, CIRCUIT_OPEN));
            sleep_ms(350).await;
            // The trial succeeds and closes the breaker.
            assert_eq!(ping().await, Reply::Simple("PONG".into()));
            for _ in 0..10 {
                assert_eq!(ping().await, Reply::Simple("PONG".into()));
            }
            assert_eq!(srv.accepts.load(SeqCst), 1);
            let st = pool.stats();
            assert_eq!(st.breaker_open_count, 2);
            assert_eq!(st.calls, 3 + 100 + 2 + 1 + 11);
            assert_eq!(st.errors, 3 + 100 + 2 + 1);
            assert_eq!(st.reconnects, 4);
        });
    }

    #[test]
    fn hello_error_reply_is_a_connection_failure() {
        let srv = serve(listen(), |_, mut p| {
            if p.next().is_some() {
                p.send(&[Reply::err(
                    "NOPROTO sorry, this protocol version is not supported",
                )]);
                while p.next().is_some() {}
            }
        });
        let addr = srv.addr;
        let cfg = ProxyConfig {
            breaker_failures: 2,
            breaker_open: Duration::from_secs(5),
            ..Default::default()
        };
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            let expect = tryagain(
                addr,
                "HELLO failed: NOPROTO sorry, this protocol version is not supported",
            );
            assert_eq!(pool.call(addr, argv(&["PING"])).await, expect);
            assert_eq!(pool.call(addr, argv(&["PING"])).await, expect);
            assert_eq!(pool.stats().breaker_open_count, 1);
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, CIRCUIT_OPEN)
            );
        });
        assert_eq!(srv.accepts.load(SeqCst), 2);
    }

    /// Answers HELLO, then reads and ignores everything; counts EOFs.
    fn silent(eofs: Arc<AtomicUsize>) -> impl Fn(usize, Peer) + Send + Sync + 'static {
        move |_, mut p| {
            if let Some(hello) = p.next() {
                p.send(&[answer(&hello)]);
                while p.next().is_some() {}
                eofs.fetch_add(1, SeqCst);
            }
        }
    }

    #[test]
    fn silent_server_trips_the_call_timeout_and_the_connection_is_dropped() {
        let eofs = Arc::new(AtomicUsize::new(0));
        let srv = serve(listen(), silent(eofs.clone()));
        let addr = srv.addr;
        let cfg = ProxyConfig {
            call_timeout: Duration::from_millis(200),
            ..Default::default()
        };
        let accepts = srv.accepts.clone();
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            let t = Instant::now();
            let mut handles = Vec::new();
            for i in 0..5 {
                let pool = pool.clone();
                handles.push(monoio::spawn(async move {
                    pool.call(addr, argv(&["ECHO", &i.to_string()])).await
                }));
            }
            for h in handles {
                assert_eq!(h.await, tryagain(addr, TIMED_OUT));
            }
            let took = t.elapsed();
            assert!(
                took >= Duration::from_millis(190) && took < Duration::from_secs(1),
                "{took:?}"
            );
            // Torn down: the server sees EOF, the tasks end.
            while eofs.load(SeqCst) == 0 {
                sleep_ms(5).await;
            }
            while pool.counters.tasks.get() > 0 {
                sleep_ms(5).await;
            }
            // The next call opens a new connection (and times out too).
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, TIMED_OUT)
            );
            assert_eq!(accepts.load(SeqCst), 2);
            let st = pool.stats();
            assert_eq!((st.calls, st.errors, st.reconnects), (6, 6, 1));
            assert_eq!(st.breaker_open_count, 0);
            // A third connection that never answers opens the breaker.
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, TIMED_OUT)
            );
            assert_eq!(pool.stats().breaker_open_count, 1);
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, CIRCUIT_OPEN)
            );
        });
    }

    #[test]
    fn connections_dying_before_any_reply_open_the_breaker_and_a_reply_resets_it() {
        // Each connection answers HELLO, takes one command and closes;
        // only the third answers that command first.
        let srv = serve(listen(), |n, mut p| {
            let Some(hello) = p.next() else { return };
            p.send(&[answer(&hello)]);
            if let Some(cmd) = p.next()
                && n == 2
            {
                p.send(&[answer(&cmd)]);
            }
            let _ = p.s.shutdown(Shutdown::Both);
        });
        let addr = srv.addr;
        run_test(async move {
            let pool = ProxyPool::new(ProxyConfig::default());
            let closed = tryagain(addr, "connection closed");
            let ping = || pool.call(addr, argv(&["PING"]));
            assert_eq!(ping().await, closed);
            assert_eq!(ping().await, closed);
            assert_eq!(ping().await, Reply::Simple("PONG".into()));
            // Let that connection end (idle, so it does not count).
            while pool.counters.tasks.get() > 0 {
                sleep_ms(5).await;
            }
            // The reply reset the count: two more failures do not open it.
            assert_eq!(ping().await, closed);
            assert_eq!(ping().await, closed);
            assert_eq!(pool.stats().breaker_open_count, 0);
            assert_eq!(ping().await, closed);
            assert_eq!(pool.stats().breaker_open_count, 1);
            assert_eq!(ping().await, tryagain(addr, CIRCUIT_OPEN));
        });
        assert_eq!(srv.accepts.load(SeqCst), 6);
    }

    #[test]
    fn unanswered_hello_is_a_connect_timeout() {
        let srv = serve(listen(), |_, mut p| while p.next().is_some() {});
        let addr = srv.addr;
        let cfg = ProxyConfig {
            connect_timeout: Duration::from_millis(100),
            ..Default::default()
        };
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            let t = Instant::now();
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, "connect timed out")
            );
            assert!(t.elapsed() < Duration::from_secs(1));
        });
    }

    #[test]
    fn queue_is_capped() {
        let eofs = Arc::new(AtomicUsize::new(0));
        let srv = serve(listen(), silent(eofs));
        let addr = srv.addr;
        let cfg = ProxyConfig {
            call_timeout: Duration::from_millis(300),
            max_pending: 8,
            ..Default::default()
        };
        run_test(async move {
            let pool = ProxyPool::new(cfg);
            let mut handles = Vec::new();
            for _ in 0..8 {
                let pool = pool.clone();
                handles.push(monoio::spawn(async move {
                    pool.call(addr, argv(&["PING"])).await
                }));
            }
            sleep_ms(20).await;
            let t = Instant::now();
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                tryagain(addr, TOO_MANY)
            );
            assert!(t.elapsed() < Duration::from_millis(10));
            for h in handles {
                assert_eq!(h.await, tryagain(addr, TIMED_OUT));
            }
        });
    }

    #[test]
    fn malformed_reply_fails_the_connection() {
        let srv = serve(listen(), |_, mut p| {
            let Some(hello) = p.next() else { return };
            p.send(&[answer(&hello)]);
            if p.next().is_some() {
                let _ = p.s.write_all(b"?what\r\n");
            }
            while p.next().is_some() {}
        });
        let addr = srv.addr;
        run_test(async move {
            let pool = ProxyPool::new(ProxyConfig::default());
            let r = pool.call(addr, argv(&["PING"])).await;
            assert!(
                starts_with(&r, &format!("TRYAGAIN proxy to {addr}: bad reply (")),
                "{r:?}"
            );
        });
    }

    #[test]
    fn empty_argv_is_refused_locally() {
        run_test(async move {
            let pool = ProxyPool::new(ProxyConfig::default());
            let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
            assert!(pool.call(addr, Vec::new()).await.is_error());
            assert!(pool.dests.borrow().is_empty());
        });
    }

    #[test]
    fn dropping_the_pool_ends_its_connections() {
        let eofs = Arc::new(AtomicUsize::new(0));
        let srv = serve(listen(), move |n, p| {
            echo(Log::default())(n, p);
            eofs.fetch_add(1, SeqCst);
        });
        let addr = srv.addr;
        run_test(async move {
            let pool = ProxyPool::new(ProxyConfig {
                hello: Vec::new(),
                ..Default::default()
            });
            let counters = pool.counters.clone();
            assert_eq!(
                pool.call(addr, argv(&["PING"])).await,
                Reply::Simple("PONG".into())
            );
            // Reader and writer wait on the idle connection.
            assert_eq!(counters.tasks.get(), 2);
            drop(pool);
            while counters.tasks.get() > 0 {
                sleep_ms(5).await;
            }
        });
    }

    /// Against a real redis-server, if installed: `cargo test -p corekv-io
    /// proxy::tests::real_redis -- --ignored`.
    #[test]
    #[ignore]
    fn real_redis() {
        let bin = "/usr/bin/redis-server";
        if !std::path::Path::new(bin).exists() {
            return;
        }
        let (sock, addr) = reserved_port();
        drop(sock);
        let start = || {
            std::process::Command::new(bin)
                .args([
                    "--port",
                    &addr.port().to_string(),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut redis = start();
        let cfg = ProxyConfig {
            breaker_open: Duration::from_millis(200),
            ..Default::default()
        };
        let redis2 = run_test(async move {
            let pool = ProxyPool::new(cfg);
            while pool.call(addr, argv(&["PING"])).await != Reply::Simple("PONG".into()) {
                sleep_ms(20).await;
            }
            let mut handles = Vec::new();
            for i in 0..5000 {
                let pool = pool.clone();
                handles.push(monoio::spawn(async move {
                    let k = format!("k{i}");
                    let set = pool.call(addr, vec!["SET".into(), k.clone().into(), payload(i)]);
                    let set = set.await;
                    let get = pool.call(addr, vec!["GET".into(), k.into()]).await;
                    (set, get)
                }));
            }
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await, (Reply::ok(), Reply::Bulk(payload(i))), "{i}");
            }
            // RESP3 shapes come through.
            let r = pool.call(addr, argv(&["HSET", "h", "f", "v"])).await;
            assert_eq!(r, Reply::Integer(1));
            let r = pool.call(addr, argv(&["HGETALL", "h"])).await;
            assert_eq!(
                r,
                Reply::Map(vec![(Reply::bulk(&b"f"[..]), Reply::bulk(&b"v"[..]))])
            );
            // Redis dies: TRYAGAIN, then a breaker; it restarts: served.
            redis.kill().unwrap();
            redis.wait().unwrap();
            let r = pool.call(addr, argv(&["PING"])).await;
            assert!(r.is_error(), "{r:?}");
            let mut redis2 = start();
            let t = Instant::now();
            loop {
                let r = pool.call(addr, argv(&["PING"])).await;
                if r == Reply::Simple("PONG".into()) {
                    break;
                }
                assert!(starts_with(&r, "TRYAGAIN proxy to"), "{r:?}");
                sleep_ms(20).await;
                if t.elapsed() > Duration::from_secs(5) {
                    let _ = redis2.kill();
                    panic!("redis did not come back");
                }
            }
            eprintln!("{:?}", pool.stats());
            redis2
        });
        let mut redis2 = redis2;
        let _ = redis2.kill();
        let _ = redis2.wait();
    }
}
