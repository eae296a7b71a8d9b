//! Raft traffic between nodes: one TCP link per (node, core) pair, carrying
//! only Raft messages, never client replies.
//!
//! Core `c` of every node listens on `port + 10000 + c` (the Redis Cluster
//! bus convention) and talks only to core `c` of the other nodes: every
//! node runs the same layout, so a group's replicas sit on the same core
//! index everywhere. Each outgoing link is one task with a queue; the core
//! fills the queues during a loop turn and wakes each link once, and the
//! link writes everything queued as one frame (one syscall per batch).
//! A link that is down drops what is queued: Raft retransmits.
//!
//! Wire format:
//! - hello, once per connection from the dialer: `"CKVRAFT2" | node u64 |
//!   core u32 | cores u32 | groups_per_core u32 | secret_len u8 |
//!   secret [64]` (big endian); a hello without the cluster secret closes
//!   the link before anything is delivered;
//! - frames: `len u32 | hlc u64 | count u32 | (gid u32 | mlen u32 |
//!   protobuf eraftpb::Message)*`, `len` counting what follows it. Every
//!   frame carries the sender's HLC, which the receiver observes.

use crate::member::Secret;
use crate::notify::LocalNotify;
use crate::stream::Stream;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};
use protobuf::Message as _;
use raft::eraftpb::Message;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

pub const PEER_PORT_OFFSET: u16 = 10000;
const MAGIC: &[u8; 8] = b"CKVRAFT2";
/// Hello of a snapshot stream (same fields, other magic).
const SNAP_MAGIC: &[u8; 8] = b"CKVSNAP2";
/// Records per snapshot chunk stop at this many bytes.
const SNAP_CHUNK: usize = 1 << 20;
const HELLO_LEN: usize = 8 + 8 + 4 + 4 + 4 + Secret::WIRE_LEN;
/// Largest frame accepted (a Ready's appends are bounded by raft-rs's
/// max_size_per_msg per message; many groups share a frame).
const MAX_FRAME: usize = 256 << 20;
/// Messages kept for a link that is down or slow; beyond that the oldest
/// are dropped (Raft resends what matters).
const MAX_QUEUED: usize = 65536;

/// Raft messages tagged with their group id.
pub type GroupMsgs = Vec<(u32, Message)>;
/// Where received frames go: (sender node, sender's HLC, messages).
pub type Deliver = Rc<dyn Fn(u64, u64, GroupMsgs)>;
/// Where a complete, verified snapshot goes: (sender node, group id, the
/// Raft snapshot message, (user key, encoded record)*).
pub type DeliverSnapshot = Rc<dyn Fn(u64, u32, Message, corekv_shard::SnapshotData)>;

/// The address core `core` of a node with RESP address `client` listens on
/// for Raft traffic.
pub fn peer_addr(client: SocketAddr, core: usize) -> SocketAddr {
    let mut a = client;
    a.set_port(
        client
            .port()
            .wrapping_add(PEER_PORT_OFFSET)
            .wrapping_add(core as u16),
    );
    a
}

/// What both ends of a link must agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    pub node: u64,
    pub core: u32,
    pub cores: u32,
    pub groups_per_core: u32,
    /// The cluster secret the sender presents.
    pub secret: Secret,
}

impl Hello {
    pub fn encode(&self) -> Vec<u8> {
        self.encode_as(MAGIC)
    }

    fn encode_as(&self, magic: &[u8; 8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HELLO_LEN);
        out.extend_from_slice(magic);
        out.extend_from_slice(&self.node.to_be_bytes());
        out.extend_from_slice(&self.core.to_be_bytes());
        out.extend_from_slice(&self.cores.to_be_bytes());
        out.extend_from_slice(&self.groups_per_core.to_be_bytes());
        self.secret.encode(&mut out);
        out
    }

    pub fn decode(b: &[u8]) -> Option<Hello> {
        Hello::decode_any(b)
            .filter(|(snap, _)| !snap)
            .map(|(_, h)| h)
    }

    /// (is a snapshot stream, hello).
    fn decode_any(b: &[u8]) -> Option<(bool, Hello)> {
        if b.len() < HELLO_LEN {
            return None;
        }
        let snap = match b.get(..8)? {
            m if m == MAGIC => false,
            m if m == SNAP_MAGIC => true,
            _ => return None,
        };
        let mut b = b.get(8..HELLO_LEN)?;
        let node = b.get_u64();
        let core = b.get_u32();
        let cores = b.get_u32();
        let groups_per_core = b.get_u32();
        Some((
            snap,
            Hello {
                node,
                core,
                cores,
                groups_per_core,
                secret: Secret::decode(b)?,
            },
        ))
    }
}

/// The big-endian `u32` at the start of `b`, if `b` has four bytes.
fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

/// Overwrites the four bytes at `at` with `v` (a length placeholder
/// written earlier; out of range cannot happen and is ignored).
fn put_u32_at(out: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = out.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_be_bytes());
    }
}

/// Appends one frame holding `msgs` to `out`.
pub fn encode_frame(hlc: u64, msgs: &[(u32, Message)], out: &mut BytesMut) {
    let start = out.len();
    out.put_u32(0);
    out.put_u64(hlc);
    out.put_u32(msgs.len() as u32);
    for (gid, m) in msgs {
        out.put_u32(*gid);
        // Sized once, then written in place: no buffer of its own per
        // message and no copy (a Ready's appends carry every entry).
        let size = m.compute_size() as usize;
        out.put_u32(size as u32);
        let at = out.len();
        out.resize(at + size, 0);
        // `compute_size` cached the nested sizes the write uses; a write
        // that would overrun the slice fails rather than panics.
        let written = out.get_mut(at..).is_some_and(|dst| {
            let mut os = protobuf::CodedOutputStream::bytes(dst);
            m.write_to_with_cached_sizes(&mut os).is_ok()
        });
        if !written {
            // Cannot happen (the size was just computed); an empty message
            // keeps the frame well formed and Raft resends what matters.
            out.truncate(at);
            put_u32_at(out, at - 4, 0);
        }
    }
    let len = (out.len() - start - 4) as u32;
    put_u32_at(out, start, len);
}

#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    TooLarge(usize),
    Corrupt,
}

/// Takes one complete frame off the front of `buf`: (hlc, messages).
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<(u64, GroupMsgs)>, FrameError> {
    let Some(len) = be_u32(buf) else {
        return Ok(None);
    };
    let len = len as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    buf.advance(4);
    let body = buf.split_to(len).freeze();
    let mut b = &body[..];
    if b.len() < 12 {
        return Err(FrameError::Corrupt);
    }
    let hlc = b.get_u64();
    let n = b.get_u32() as usize;
    let mut msgs = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        if b.len() < 8 {
            return Err(FrameError::Corrupt);
        }
        let gid = b.get_u32();
        let mlen = b.get_u32() as usize;
        if b.len() < mlen {
            return Err(FrameError::Corrupt);
        }
        let m = Message::parse_from_bytes(b.get(..mlen).ok_or(FrameError::Corrupt)?)
            .map_err(|_| FrameError::Corrupt)?;
        b.advance(mlen);
        msgs.push((gid, m));
    }
    if !b.is_empty() {
        return Err(FrameError::Corrupt);
    }
    Ok(Some((hlc, msgs)))
}

/// The outgoing side of one link.
#[derive(Default)]
struct Link {
    /// Bounded at [`MAX_QUEUED`]: the oldest go first (Raft resends).
    queue: RefCell<VecDeque<(u32, Message)>>,
    notify: LocalNotify,
}

/// One core's links to the same core of every other node.
pub struct PeerLinks {
    links: RefCell<HashMap<u64, Rc<Link>>>,
    me: Hello,
    hlc: Rc<dyn Fn() -> u64>,
    sent: Rc<dyn Fn(usize)>,
    /// `--tls-cluster yes`: links are dialed with mutual TLS.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl PeerLinks {
    /// Starts a dialing task per other node. `hlc` stamps each frame.
    pub fn start(
        me: Hello,
        peers: &[(u64, SocketAddr)],
        hlc: Rc<dyn Fn() -> u64>,
        sent: Rc<dyn Fn(usize)>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> PeerLinks {
        let links = PeerLinks {
            links: RefCell::new(HashMap::new()),
            me,
            hlc,
            sent,
            tls,
        };
        for &(id, client) in peers {
            links.add(id, client);
        }
        links
    }

    /// Starts the link to node `id` (a member added at run time); no-op if
    /// it exists or is this node.
    pub fn add(&self, id: u64, client: SocketAddr) {
        if id == self.me.node || self.links.borrow().contains_key(&id) {
            return;
        }
        let link = Rc::new(Link::default());
        self.links.borrow_mut().insert(id, link.clone());
        let addr = peer_addr(client, self.me.core as usize);
        monoio::spawn(dial(
            self.me,
            addr,
            link,
            self.hlc.clone(),
            self.sent.clone(),
            self.tls.clone(),
        ));
    }

    /// Queues messages (`message.to` is the node id) and wakes each link
    /// that got some, once.
    pub fn send(&self, msgs: Vec<(u32, Message)>) {
        let links = self.links.borrow();
        for (gid, m) in msgs {
            if let Some(link) = links.get(&m.to) {
                let mut q = link.queue.borrow_mut();
                if q.len() >= MAX_QUEUED {
                    q.pop_front();
                }
                q.push_back((gid, m));
            }
        }
        for link in links.values() {
            if !link.queue.borrow().is_empty() {
                link.notify.notify();
            }
        }
    }
}

async fn dial(
    me: Hello,
    addr: SocketAddr,
    link: Rc<Link>,
    hlc: Rc<dyn Fn() -> u64>,
    sent: Rc<dyn Fn(usize)>,
    tls: Option<Arc<rustls::ClientConfig>>,
) {
    let mut backoff = Duration::from_millis(20);
    let mut refused_logged = false;
    loop {
        let stream =
            match monoio::time::timeout(Duration::from_secs(1), connect(addr, tls.clone())).await {
                Ok(Ok(s)) => {
                    refused_logged = false;
                    s
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData && !refused_logged => {
                    // The member's certificate was refused: said once per
                    // run of failures, not per retry.
                    eprintln!("corekv: raft link to {addr}: {e}");
                    refused_logged = true;
                    link.queue.borrow_mut().clear();
                    monoio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                    continue;
                }
                _ => {
                    // Nobody there: what was queued is stale by the time the
                    // peer is back.
                    link.queue.borrow_mut().clear();
                    monoio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                    continue;
                }
            };
        let connected = std::time::Instant::now();
        let mut stream = stream;
        let (res, _) = stream.write_all(me.encode()).await;
        let mut out = BytesMut::with_capacity(64 << 10);
        while res.is_ok() {
            let mut batch = std::mem::take(&mut *link.queue.borrow_mut());
            if batch.is_empty() {
                link.notify.wait().await;
                continue;
            }
            out.clear();
            encode_frame(hlc(), batch.make_contiguous(), &mut out);
            sent(batch.len());
            let (res, buf) = stream.write_all(out).await;
            out = buf;
            if res.is_err() {
                break;
            }
        }
        // A link that broke soon after it was made (a member that refuses
        // this node's certificate once a TLS 1.3 handshake is over, or its
        // hello) is retried with backoff, as a failed connect is, not at
        // once and over and over.
        if connected.elapsed() < LINK_SETTLED {
            link.queue.borrow_mut().clear();
            monoio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        } else {
            backoff = Duration::from_millis(20);
        }
    }
}

/// A link that lived this long before it broke was working: the next
/// dial starts from the shortest backoff.
const LINK_SETTLED: Duration = Duration::from_secs(1);

/// Refused TLS handshakes on one Raft port are logged at most this often
/// (a member with a wrong certificate redials all the time).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// A link to `addr`, TLS when `tls` is set, with Nagle off.
async fn connect(
    addr: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<Stream> {
    let tcp = TcpStream::connect(addr).await?;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => Ok(Stream::Plain(tcp)),
        Some(cfg) => crate::stream::connect(tcp, cfg, crate::tls::member_name(addr)).await,
    }
}

/// How long a dialing member gets for its TLS handshake.
const TLS_HANDSHAKE: Duration = Duration::from_secs(5);

/// Accepts links from other nodes' core `me.core` and hands every frame to
/// `deliver` (hlc, messages). With `tls` (`--tls-cluster yes`) a link is
/// read only after a handshake in which the dialer presented a certificate
/// the cluster CA signed.
pub async fn accept(
    listener: TcpListener,
    me: Hello,
    deliver: Deliver,
    deliver_snap: DeliverSnapshot,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let last_refusal: Rc<std::cell::Cell<Option<std::time::Instant>>> = Rc::default();
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            monoio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let deliver = deliver.clone();
        let deliver_snap = deliver_snap.clone();
        let tls = tls.clone();
        let last_refusal = last_refusal.clone();
        monoio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let stream = match tls {
                None => Stream::Plain(tcp),
                Some(cfg) => {
                    let hs = crate::stream::accept(tcp, cfg);
                    match monoio::time::timeout(TLS_HANDSHAKE, hs).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            let now = std::time::Instant::now();
                            if last_refusal
                                .get()
                                .is_none_or(|t| now.duration_since(t) >= REFUSAL_LOG_EVERY)
                            {
                                last_refusal.set(Some(now));
                                eprintln!(
                                    "corekv: raft link from {peer} refused: TLS: {e} (logged at most every {}s)",
                                    REFUSAL_LOG_EVERY.as_secs()
                                );
                            }
                            return;
                        }
                        Err(_) => {
                            eprintln!(
                                "corekv: raft link from {peer} refused: TLS handshake timed out"
                            );
                            return;
                        }
                    }
                }
            };
            if let Err(e) = serve_link(stream, me, deliver, deliver_snap).await {
                eprintln!("corekv: raft link from {peer} closed: {e}");
            }
        });
    }
}

async fn serve_link(
    mut stream: Stream,
    me: Hello,
    deliver: Deliver,
    deliver_snap: DeliverSnapshot,
) -> Result<(), String> {
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut hello: Option<Hello> = None;
    loop {
        if buf.capacity() - buf.len() < 16 << 10 {
            buf.reserve(64 << 10);
        }
        let filled = buf.len();
        let (res, b) = stream.read(buf.slice_mut(filled..)).await;
        buf = b.into_inner();
        match res {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        if hello.is_none() {
            if buf.len() < HELLO_LEN {
                continue;
            }
            let (snap, h) = Hello::decode_any(&buf).ok_or("not a corekv raft link")?;
            if !me.secret.matches(h.secret.as_bytes()) {
                return Err(format!(
                    "node {} did not present the cluster secret (--cluster-secret-file differs?)",
                    h.node
                ));
            }
            if h.core != me.core || h.cores != me.cores || h.groups_per_core != me.groups_per_core {
                return Err(format!(
                    "layout mismatch: node {} core {} runs {} cores × {} groups, we run {} × {}",
                    h.node, h.core, h.cores, h.groups_per_core, me.cores, me.groups_per_core
                ));
            }
            if h.node == me.node {
                return Err("a link from our own node id (duplicate --node-id?)".into());
            }
            buf.advance(HELLO_LEN);
            if snap {
                return serve_snapshot(stream, buf, h.node, deliver_snap).await;
            }
            hello = Some(h);
        }
        loop {
            match decode_frame(&mut buf) {
                Ok(Some((hlc, msgs))) => {
                    let from = hello.map_or(0, |h| h.node);
                    deliver(from, hlc, msgs)
                }
                Ok(None) => break,
                Err(e) => return Err(format!("bad frame: {e:?}")),
            }
        }
    }
}

/// One snapshot frame: `len u32 | kind u8 | body | crc32(kind, body) u32`,
/// `len` counting kind, body and checksum.
fn snap_frame(kind: u8, body: &[u8], out: &mut Vec<u8>) {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(body);
    out.extend_from_slice(&((body.len() + 5) as u32).to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(&h.finalize().to_be_bytes());
}

const SNAP_HEADER: u8 = 1;
const SNAP_CHUNK_KIND: u8 = 2;
const SNAP_END: u8 = 3;
/// A chunk of (element key, value) pairs, after the records.
const SNAP_ELEM_KIND: u8 = 4;
/// The group's transaction locks and records (docs/design/0025), if any.
const SNAP_TXN_KIND: u8 = 5;
/// The meta group's users (docs/design/0028), if any.
const SNAP_ACL_KIND: u8 = 6;

/// Streams group `gid`'s snapshot to a follower's core: hello, a header
/// (group id, the Raft message), chunks of about 1 MiB of (key, record)
/// pairs, and an end frame with the record count; every frame checksummed.
/// Blocking: runs on a heavy-pool thread, never on a core's executor.
/// Returns the number of records sent.
pub fn send_snapshot_blocking(
    addr: SocketAddr,
    me: Hello,
    gid: u32,
    msg: &Message,
    view: &corekv_shard::SnapshotView,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> std::io::Result<u64> {
    use corekv_core::Store;
    use std::io::Write;
    let sock = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    sock.set_write_timeout(Some(Duration::from_secs(10)))?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let _ = sock.set_nodelay(true);
    let stream = match tls {
        None => SnapConn::Plain(sock),
        Some(cfg) => SnapConn::Tls(Box::new(crate::tls::blocking_client(cfg, addr, sock)?)),
    };
    let mut w = std::io::BufWriter::with_capacity(SNAP_CHUNK + 4096, stream);
    w.write_all(&me.encode_as(SNAP_MAGIC))?;
    let mut frame = Vec::with_capacity(SNAP_CHUNK + 64);
    let mut body = gid.to_be_bytes().to_vec();
    body.extend_from_slice(&msg.write_to_bytes().unwrap_or_default());
    snap_frame(SNAP_HEADER, &body, &mut frame);
    w.write_all(&frame)?;
    let mut chunk: Vec<u8> = Vec::with_capacity(SNAP_CHUNK + 4096);
    let mut count = 0u64;
    let mut failed: Option<std::io::Error> = None;
    if let Some(txn) = view.txn_state() {
        frame.clear();
        snap_frame(SNAP_TXN_KIND, txn, &mut frame);
        w.write_all(&frame)?;
    }
    if let Some(acl) = view.acl_state() {
        frame.clear();
        snap_frame(SNAP_ACL_KIND, acl, &mut frame);
        w.write_all(&frame)?;
    }
    let slots = view.slots();
    let flush_kind = |kind: u8, chunk: &mut Vec<u8>, w: &mut std::io::BufWriter<SnapConn>| {
        let mut frame = Vec::with_capacity(chunk.len() + 16);
        snap_frame(kind, chunk, &mut frame);
        chunk.clear();
        w.write_all(&frame)
    };
    let flush = |chunk: &mut Vec<u8>, w: &mut std::io::BufWriter<SnapConn>| {
        flush_kind(SNAP_CHUNK_KIND, chunk, w)
    };
    // A read error fails the send (the leader reports it and sends again
    // later): a snapshot without a record would leave the follower short.
    let scanned = view.scan(slots.start, slots.end, &mut |_slot, key, rec| {
        let v = rec.encode();
        chunk.extend_from_slice(&(key.len() as u32).to_be_bytes());
        chunk.extend_from_slice(key);
        chunk.extend_from_slice(&(v.len() as u32).to_be_bytes());
        chunk.extend_from_slice(&v);
        count += 1;
        if chunk.len() >= SNAP_CHUNK
            && let Err(e) = flush(&mut chunk, &mut w)
        {
            failed = Some(e);
            return false;
        }
        true
    });
    if let Some(e) = failed {
        return Err(e);
    }
    scanned.map_err(std::io::Error::other)?;
    if !chunk.is_empty() {
        flush(&mut chunk, &mut w)?;
    }
    // Then the collections' elements, in their own frames.
    let scanned = view.scan_elements(&mut |k, v| {
        chunk.extend_from_slice(&(k.len() as u32).to_be_bytes());
        chunk.extend_from_slice(k);
        chunk.extend_from_slice(&(v.len() as u32).to_be_bytes());
        chunk.extend_from_slice(v);
        count += 1;
        if chunk.len() >= SNAP_CHUNK
            && let Err(e) = flush_kind(SNAP_ELEM_KIND, &mut chunk, &mut w)
        {
            failed = Some(e);
            return false;
        }
        true
    });
    if let Some(e) = failed {
        return Err(e);
    }
    scanned.map_err(std::io::Error::other)?;
    if !chunk.is_empty() {
        flush_kind(SNAP_ELEM_KIND, &mut chunk, &mut w)?;
    }
    frame.clear();
    snap_frame(SNAP_END, &count.to_be_bytes(), &mut frame);
    w.write_all(&frame)?;
    w.flush()?;
    // Wait (bounded) for the receiver to close: it has everything, or gave up.
    let mut s = w.into_inner().map_err(|e| e.into_error())?;
    let _ = std::io::Read::read(&mut s, &mut [0u8; 1]);
    Ok(count)
}

/// A snapshot stream's socket: plain, or TLS with `--tls-cluster yes`
/// (timeouts are set on the socket before it is wrapped).
enum SnapConn {
    Plain(std::net::TcpStream),
    Tls(Box<crate::tls::BlockingStream>),
}

impl std::io::Read for SnapConn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            SnapConn::Plain(s) => s.read(buf),
            SnapConn::Tls(s) => s.read(buf),
        }
    }
}

impl std::io::Write for SnapConn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            SnapConn::Plain(s) => s.write(buf),
            SnapConn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            SnapConn::Plain(s) => s.flush(),
            SnapConn::Tls(s) => s.flush(),
        }
    }
}

/// Takes a `u32` length and that many bytes off `b`.
fn take_field(body: &Bytes, b: &mut &[u8]) -> Option<Bytes> {
    let n = be_u32(b)? as usize;
    b.advance(4);
    if b.len() < n {
        return None;
    }
    let at = body.len() - b.len();
    b.advance(n);
    Some(body.slice(at..at + n))
}

/// Receives one snapshot stream (after its hello), verifies every frame's
/// checksum and the record count, then hands it to `deliver`.
async fn serve_snapshot(
    mut stream: Stream,
    mut buf: BytesMut,
    from: u64,
    deliver: DeliverSnapshot,
) -> Result<(), String> {
    let mut header: Option<(u32, Message)> = None;
    let mut data = corekv_shard::SnapshotData::default();
    let mut bytes = 0usize;
    loop {
        while let Some(len) = be_u32(&buf) {
            let len = len as usize;
            if !(5..=SNAP_CHUNK * 2).contains(&len) {
                return Err(format!("snapshot frame of {len} bytes"));
            }
            if buf.len() < 4 + len {
                break;
            }
            buf.advance(4);
            let f = buf.split_to(len).freeze();
            let (payload, crc) = f.split_at(len - 4);
            let mut h = crc32fast::Hasher::new();
            h.update(payload);
            if h.finalize().to_be_bytes() != crc {
                return Err("snapshot frame checksum mismatch".into());
            }
            let kind = payload.first().copied().unwrap_or(0);
            let body = f.slice(1..len - 4);
            match kind {
                SNAP_HEADER if body.len() >= 4 => {
                    let gid = be_u32(&body).unwrap_or(0);
                    let m = Message::parse_from_bytes(body.get(4..).unwrap_or(&[]))
                        .map_err(|_| "bad snapshot header".to_string())?;
                    header = Some((gid, m));
                }
                SNAP_TXN_KIND => data.txn = Some(body),
                SNAP_ACL_KIND => data.acl = Some(body),
                SNAP_CHUNK_KIND | SNAP_ELEM_KIND => {
                    let into = if kind == SNAP_CHUNK_KIND {
                        &mut data.records
                    } else {
                        &mut data.elements
                    };
                    let mut b = &body[..];
                    while !b.is_empty() {
                        let key = take_field(&body, &mut b).ok_or("bad snapshot chunk")?;
                        let val = take_field(&body, &mut b).ok_or("bad snapshot chunk")?;
                        bytes += key.len() + val.len() + 64;
                        if bytes > corekv_shard::shard::MAX_SNAPSHOT_BYTES {
                            return Err("snapshot larger than the staging limit".into());
                        }
                        into.push((key, val));
                    }
                }
                SNAP_END if body.len() == 8 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(body.get(..8).ok_or("bad snapshot end")?);
                    let n = u64::from_be_bytes(n);
                    let got = (data.records.len() + data.elements.len()) as u64;
                    if n != got {
                        return Err(format!("snapshot ended with {got} of {n} records"));
                    }
                    let (gid, m) = header.take().ok_or("snapshot without header")?;
                    deliver(from, gid, m, std::mem::take(&mut data));
                    return Ok(());
                }
                _ => return Err(format!("bad snapshot frame kind {kind}")),
            }
        }
        if buf.capacity() - buf.len() < 64 << 10 {
            buf.reserve(SNAP_CHUNK + 64);
        }
        let filled = buf.len();
        let (res, b) = stream.read(buf.slice_mut(filled..)).await;
        buf = b.into_inner();
        match res {
            Ok(0) => return Err("snapshot stream ended early".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::eraftpb::{Entry, MessageType};

    fn msg(to: u64, idx: u64) -> Message {
        let mut m = Message::default();
        m.set_msg_type(MessageType::MsgAppend);
        m.to = to;
        m.from = 1;
        m.index = idx;
        let e = Entry {
            index: idx + 1,
            data: vec![7u8; 100].into(),
            ..Default::default()
        };
        m.entries = vec![e].into();
        m
    }

    #[test]
    fn frames_round_trip_in_pieces() {
        let mut out = BytesMut::new();
        encode_frame(42, &[(3, msg(2, 10)), (4, msg(3, 11))], &mut out);
        encode_frame(43, &[], &mut out);
        let whole = out.clone();
        // Byte by byte: nothing decodes early, everything decodes once.
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for b in whole.iter() {
            buf.put_u8(*b);
            while let Some(f) = decode_frame(&mut buf).expect("valid") {
                got.push(f);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 42);
        assert_eq!(got[0].1.len(), 2);
        assert_eq!(got[0].1[0].0, 3);
        assert_eq!(got[0].1[1].1.index, 11);
        assert_eq!(got[0].1[1].1.entries[0].data.len(), 100);
        assert_eq!(got[1], (43, vec![]));
        assert!(buf.is_empty());
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        let mut buf = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
        assert!(matches!(
            decode_frame(&mut buf),
            Err(FrameError::TooLarge(_))
        ));
        let mut out = BytesMut::new();
        encode_frame(1, &[(1, msg(2, 1))], &mut out);
        // Claim one more message than present.
        out[15] = 2;
        assert_eq!(decode_frame(&mut out), Err(FrameError::Corrupt));
        let mut junk = BytesMut::from(
            &[
                0u8, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff,
                0xff,
            ][..],
        );
        assert_eq!(decode_frame(&mut junk), Err(FrameError::Corrupt));
    }

    #[test]
    fn hello_round_trips_and_rejects_junk() {
        let h = Hello {
            node: 3,
            core: 1,
            cores: 2,
            groups_per_core: 2,
            secret: Secret::new(b"0123456789abcdef").expect("secret"),
        };
        assert_eq!(Hello::decode(&h.encode()), Some(h));
        // The old (v1) hello, without a secret, is not a link.
        assert_eq!(Hello::decode(&h.encode()[..28]), None);
        assert_eq!(Hello::decode(b"GET / HTTP/1.1\r\n\r\n123456789012"), None);
    }

    #[test]
    fn peer_ports_follow_the_bus_convention() {
        let a: SocketAddr = "127.0.0.1:6379".parse().expect("addr");
        assert_eq!(peer_addr(a, 0).port(), 16379);
        assert_eq!(peer_addr(a, 3).port(), 16382);
    }

    #[test]
    fn snapshot_frames_carry_a_checksum() {
        let mut out = Vec::new();
        snap_frame(SNAP_END, &7u64.to_be_bytes(), &mut out);
        assert_eq!(out.len(), 4 + 1 + 8 + 4);
        assert_eq!(u32::from_be_bytes([out[0], out[1], out[2], out[3]]), 13);
        let mut h = crc32fast::Hasher::new();
        h.update(&out[4..13]);
        assert_eq!(h.finalize().to_be_bytes(), out[13..17]);
        let body = Bytes::from_static(&[0, 0, 0, 2, b'h', b'i', 0, 0, 0, 9]);
        let mut b = &body[..];
        assert_eq!(take_field(&body, &mut b), Some(Bytes::from_static(b"hi")));
        assert_eq!(take_field(&body, &mut b), None, "a length past the end");
        let hello = Hello {
            node: 2,
            core: 0,
            cores: 1,
            groups_per_core: 2,
            secret: Secret::NONE,
        };
        assert_eq!(
            Hello::decode_any(&hello.encode_as(SNAP_MAGIC)),
            Some((true, hello))
        );
        assert_eq!(Hello::decode(&hello.encode_as(SNAP_MAGIC)), None);
    }
}
