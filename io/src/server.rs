//! Process start-up and shutdown: validates flags, binds one SO_REUSEPORT
//! listener per core, opens one fjall database per core, starts the core
//! threads (pinned), their persist threads and the stats socket, then waits
//! for SIGTERM/SIGINT.

use crate::config::{Args, fatal};
use crate::core::{Core, Inbound, Limits, run_tasks};
use crate::node::{GroupInfo, Msg, Node};
use crate::persist::{self, Done};
use corekv_core::slot::group_slots;
use corekv_shard::{Engine, GroupSpec, PersistJob, Shard};
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

const LAYOUT_FILE: &str = "corekv.layout";
const MAX_CORES: usize = 256;

pub fn run(args: Args) -> ! {
    // Before any thread exists: threads inherit the mask, and a SIGTERM is
    // delivered to any thread not blocking it. Blocked only after
    // Engine::open, fjall's own threads (started by the open) kept the
    // default action, so now and then a SIGTERM killed the process instead
    // of reaching wait_for_signal's clean exit.
    block_signals();
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let cores = args.cores.unwrap_or(ncpu);
    if cores == 0 || cores > MAX_CORES {
        fatal(&format!(
            "--cores must be between 1 and {MAX_CORES}, got {cores}"
        ));
    }
    if args.groups_per_core == 0 || args.groups_per_core > 64 {
        fatal("--groups-per-core must be between 1 and 64");
    }
    let resolve = |port: u16| -> SocketAddr {
        match (args.bind.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
        {
            Some(a) => a,
            None => fatal(&format!("cannot resolve --bind address '{}'", args.bind)),
        }
    };
    // Port 0 is "no such port", as in Redis (`--port 0 --tls-port N`: TLS
    // only).
    let plain_addr = (args.port != 0).then(|| resolve(args.port));
    let tls_addr = (args.tls_port != 0).then(|| resolve(args.tls_port));
    let tls = crate::tls::load(&args).unwrap_or_else(|e| fatal(&e));
    // Bind before touching the data dir, so a busy port writes nothing. A
    // plain (non-SO_REUSEPORT) bind first: another corekv holding the port
    // with SO_REUSEPORT would otherwise silently share it with us.
    // SO_REUSEADDR still lets us rebind over TIME_WAIT after a restart.
    if args.peers.is_some() && args.initial_cluster.is_some() {
        fatal("give --peers or --initial-cluster, not both");
    }
    let members = match args.peers.as_ref().or(args.initial_cluster.as_ref()) {
        None => Vec::new(),
        Some(p) => {
            let m = crate::config::parse_peers(p).unwrap_or_else(|e| fatal(&e));
            if !m.iter().any(|(id, _)| *id == args.node_id) {
                fatal(&format!(
                    "--node-id {} is not one of the --peers ids",
                    args.node_id
                ));
            }
            m
        }
    };
    let secret = match &args.cluster_secret_file {
        Some(path) => crate::member::read_secret(path).unwrap_or_else(|e| fatal(&e)),
        None if !members.is_empty() => fatal(
            "a cluster (--peers, --initial-cluster) needs --cluster-secret-file: a file holding the secret its members share (16 to 64 bytes, the same on every node)",
        ),
        None => crate::member::Secret::NONE,
    };
    let cluster = if members.is_empty() {
        corekv_shard::Cluster::single()
    } else {
        corekv_shard::Cluster {
            node_id: args.node_id,
            voters: members.iter().map(|m| m.0).collect(),
            // Followers refuse votes for 10 ticks after hearing from the
            // leader (check_quorum); the first of them may come right
            // after, so 9 ticks are guaranteed; keep a margin for clocks.
            lease: crate::core::TICK * 8,
            max_lag: args.raft_max_lag.max(1),
            max_lag_bytes: args.raft_max_lag_mb.max(1).saturating_mul(1 << 20),
            join: args.join,
        }
    };
    // Members reach each other at the port their --peers entries name:
    // the TLS port with --tls-cluster yes, the plain one otherwise.
    let addr = if args.tls_cluster.0 {
        tls_addr.unwrap_or_else(|| fatal("--tls-cluster yes needs --tls-port"))
    } else if !members.is_empty() {
        plain_addr.unwrap_or_else(|| {
            fatal("a cluster needs --port for its members' links, or --tls-cluster yes")
        })
    } else {
        match plain_addr.or(tls_addr) {
            Some(a) => a,
            None => fatal("--port 0 needs --tls-port: no port to listen on"),
        }
    };
    for a in plain_addr.iter().chain(tls_addr.iter()) {
        if let Err(e) = exclusive_probe(*a) {
            fatal(&format!("cannot listen on {a}: {e}"));
        }
    }
    // Raft links: core c listens on port+10000+c, exclusively.
    let peer_listeners: Vec<Option<std::net::TcpListener>> = (0..cores)
        .map(|c| {
            if members.is_empty() {
                return None;
            }
            let pa = crate::peer::peer_addr(addr, c);
            Some(
                std::net::TcpListener::bind(pa)
                    .and_then(|l| l.set_nonblocking(true).map(|_| l))
                    .unwrap_or_else(|e| {
                        fatal(&format!("cannot listen for raft traffic on {pa}: {e}"))
                    }),
            )
        })
        .collect();
    let bind = |a: Option<SocketAddr>| {
        a.map(|a| {
            bind_reuseport(a).unwrap_or_else(|e| fatal(&format!("cannot listen on {a}: {e}")))
        })
    };
    let listeners: Vec<Listeners> = (0..cores)
        .map(|_| Listeners {
            plain: bind(plain_addr),
            tls: bind(tls_addr),
        })
        .collect();
    if args.join && members.is_empty() {
        fatal("--join needs --peers (at least this node and one member)");
    }
    let cluster_desc = if members.is_empty() {
        String::new()
    } else {
        format!(
            " node_id={} voters={}",
            cluster.node_id,
            cluster
                .voters
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    // A bad --aclfile stops the start before the data dir is touched.
    if let Err(e) = crate::acl::initial(&args) {
        fatal(&e);
    }
    let layout = prepare_dir(&args.dir, cores, args.groups_per_core, &cluster_desc);
    let groups = layout_groups(cores, layout);
    let engines: Vec<Engine> = (0..cores)
        .map(|c| {
            Engine::open(
                &args.dir.join(format!("core-{c}")),
                args.block_cache_mb.saturating_mul(1 << 20),
            )
            .unwrap_or_else(|e| fatal(&format!("cannot open data dir {}: {e}", args.dir.display())))
        })
        .collect();

    let mut inbox_rx = Vec::new();
    let mut inbox_tx = Vec::new();
    for _ in 0..cores {
        let (tx, rx) = crate::notify::Mailbox::new();
        inbox_tx.push(tx);
        inbox_rx.push(rx);
    }
    // One bounded SPSC ring per ordered core pair (docs/design/0013): core a
    // holds producers[a][b], core b consumes it among its inbound rings.
    let limits = Limits::new(args.queue_limit, cores);
    let mut producers: Vec<Vec<Option<rtrb::Producer<Msg>>>> = (0..cores)
        .map(|_| (0..cores).map(|_| None).collect())
        .collect();
    let mut consumers: Vec<Vec<rtrb::Consumer<Msg>>> = (0..cores).map(|_| Vec::new()).collect();
    for (a, row) in producers.iter_mut().enumerate() {
        for (b, slot) in row.iter_mut().enumerate() {
            if a != b
                && let Some(into) = consumers.get_mut(b)
            {
                let (p, c) = rtrb::RingBuffer::new(limits.ring_capacity());
                *slot = Some(p);
                into.push(c);
            }
        }
    }
    let stats_path = args
        .stats_socket
        .clone()
        .unwrap_or_else(|| args.dir.join("stats.sock"));
    let node = Arc::new(Node::new(
        args.clone(),
        cores,
        groups,
        inbox_tx,
        cluster,
        members,
        secret,
        tls,
    ));
    // Every core's reads report to (and are faulted by) the node's one
    // ReadHealth.
    let engines: Vec<Engine> = engines
        .into_iter()
        .map(|e| e.with_health(node.read_health.clone()))
        .collect();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<usize, String>>();

    for (c, (((((listener, engine), inbox), peer_listener), rings_out), rings_in)) in listeners
        .into_iter()
        .zip(engines.clone())
        .zip(inbox_rx)
        .zip(peer_listeners)
        .zip(producers)
        .zip(consumers)
        .enumerate()
    {
        let (job_tx, job_rx) = flume::bounded::<PersistJob>(crate::core::PERSIST_JOBS);
        let (done_tx, done_rx) = rtrb::RingBuffer::<Done>::new(crate::core::DONE_RING);
        let n = node.clone();
        let e = engine.clone();
        let reporter = persist::Reporter::new(c, node.clone(), done_tx);
        std::thread::Builder::new()
            .name(format!("persist-{c}"))
            .spawn(move || persist::run(c, e, n, job_rx, reporter))
            .unwrap_or_else(|e| fatal(&format!("cannot start thread: {e}")));
        let crate::notify::MailboxRx { bell, control } = inbox;
        let inbound = Inbound {
            control,
            rings: rings_in,
            done: done_rx,
        };
        let n = node.clone();
        let ready = ready_tx.clone();
        std::thread::Builder::new()
            .name(format!("core-{c}"))
            .spawn(move || {
                core_thread(
                    c,
                    n,
                    engine,
                    (listener, peer_listener),
                    bell,
                    (job_tx, rings_out, inbound),
                    ready,
                )
            })
            .unwrap_or_else(|e| fatal(&format!("cannot start thread: {e}")));
    }
    drop(ready_tx);
    for _ in 0..cores {
        match ready_rx.recv() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => fatal(&e),
            Err(_) => fatal("a core failed to start"),
        }
    }
    crate::stats_socket::start(node.clone(), stats_path.clone());
    let addrs = plain_addr
        .iter()
        .map(|a| a.to_string())
        .chain(tls_addr.iter().map(|a| format!("{a} (tls)")))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "corekv {} ready: {addrs}, {cores} cores, {} groups, dir {}, fsync {}, stats {}{}",
        env!("CARGO_PKG_VERSION"),
        node.groups.len(),
        args.dir.display(),
        crate::config::fsync_name(node.fsync()),
        stats_path.display(),
        if node.members.is_empty() {
            String::new()
        } else {
            format!(", node {} of {}", node.cluster.node_id, node.members.len())
        }
    );
    wait_for_signal();
    // Every acknowledged write is already in the Raft log; the persist
    // threads write the data halves that wait behind it (so a restart has
    // nothing to replay) and make any --fsync never/everysec tail durable.
    node.stopping
        .store(true, std::sync::atomic::Ordering::Release);
    let deadline = std::time::Instant::now() + SHUTDOWN_FLUSH;
    while node
        .persist_flushed
        .load(std::sync::atomic::Ordering::Acquire)
        < cores
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for e in &engines {
        let _ = e.sync(true);
    }
    let _ = std::fs::remove_file(&stats_path);
    std::process::exit(0);
}

/// One core's client listeners: the plain port's and the TLS port's.
struct Listeners {
    plain: Option<std::net::TcpListener>,
    tls: Option<std::net::TcpListener>,
}

/// How long a TLS client gets for its handshake.
const TLS_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a SIGTERM waits for the persist threads to write what waits.
const SHUTDOWN_FLUSH: std::time::Duration = std::time::Duration::from_secs(10);

#[allow(clippy::too_many_arguments)]
fn core_thread(
    c: usize,
    node: Arc<Node>,
    engine: Engine,
    (listeners, peer_listener): (Listeners, Option<std::net::TcpListener>),
    bell: flume::Receiver<()>,
    (job_tx, rings_out, inbound): (
        flume::Sender<PersistJob>,
        Vec<Option<rtrb::Producer<Msg>>>,
        Inbound,
    ),
    ready: std::sync::mpsc::Sender<Result<usize, String>>,
) {
    if !node.args.no_pin {
        pin_to_cpu(c);
    }
    let specs: Vec<GroupSpec> = node
        .groups
        .iter()
        .filter(|g| g.core == c)
        .map(|g| GroupSpec {
            id: g.id,
            slots: g.slots.clone(),
        })
        .collect();
    let mut shard = match Shard::open_cluster(
        engine,
        &specs,
        node.args.cache_mb.saturating_mul(1 << 20),
        node.cluster.clone(),
    ) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot recover core {c}: {e}")));
            return;
        }
    };
    shard.set_segment_bytes(node.args.raft_segment_mb.saturating_mul(1 << 20));
    // Row-cache misses are timed (only misses read the clock): slow ones
    // go to the miss pool (docs/design/0022).
    shard
        .row_cache()
        .borrow_mut()
        .set_miss_clock(std::time::Instant::now);
    node.hlc_observe_ms(shard.max_log_ts_ms());
    // ReadIndex contexts differ from those of this node's earlier runs.
    shard.seed_read_ctx(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64),
    );
    let mut rt = match build_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot start the io_uring runtime: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        let core = Rc::new(Core::new(
            c,
            node.clone(),
            shard,
            job_tx,
            rings_out,
            inbound,
        ));
        core.set_self();
        if c == 0 {
            // --aclfile / --requirepass become the meta group's users.
            monoio::spawn(crate::acl::startup(core.clone()));
        }
        if let Some(pl) = peer_listener {
            start_peer_links(&core, pl);
        }
        let mut accepting = Vec::new();
        let tls = node.tls.clients.clone();
        for (l, tls) in [(listeners.plain, None), (listeners.tls, tls)] {
            let Some(l) = l else { continue };
            match monoio::net::TcpListener::from_std(l) {
                Ok(l) => accepting.push((l, tls)),
                Err(e) => {
                    let _ = ready.send(Err(format!("cannot listen: {e}")));
                    return;
                }
            }
        }
        core.notify.notify();
        let c2 = core.clone();
        monoio::spawn(run_tasks(c2, bell));
        let _ = ready.send(Ok(c));
        let mut tasks: Vec<_> = accepting
            .into_iter()
            .map(|(l, tls)| monoio::spawn(accept_clients(core.clone(), l, tls)))
            .collect();
        // The accept loops never end; this core's runtime lives as long.
        if let Some(t) = tasks.pop() {
            t.await;
        }
    });
}

/// Accepts clients on one port (TLS when `tls` is set) for core `core`.
async fn accept_clients(
    core: Rc<Core>,
    listener: monoio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    use crate::stream::Stream;
    let node = core.node.clone();
    let c = core.id;
    // Failed handshakes are logged at most every 10 s per core: a client
    // with a wrong certificate may retry all the time.
    let last_logged: Rc<std::cell::Cell<Option<std::time::Instant>>> = Rc::default();
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let reject = admit(&node, c, &peer);
        let core = core.clone();
        let node = node.clone();
        let tls = tls.clone();
        let last_logged = last_logged.clone();
        monoio::spawn(async move {
            let stream = match tls {
                None => Stream::Plain(tcp),
                Some(cfg) => {
                    match monoio::time::timeout(TLS_HANDSHAKE, crate::stream::accept(tcp, cfg))
                        .await
                    {
                        Ok(Ok(s)) => s,
                        // A failed handshake (no or a wrong certificate) is
                        // the client's problem to report; Redis logs it too.
                        Ok(Err(e)) => {
                            let now = std::time::Instant::now();
                            if last_logged.get().is_none_or(|t| {
                                now.duration_since(t) >= std::time::Duration::from_secs(10)
                            }) {
                                last_logged.set(Some(now));
                                eprintln!(
                                    "corekv: TLS handshake with {peer} failed: {e} (logged at most every 10s)"
                                );
                            }
                            if reject.is_none() {
                                release(&node, c, &peer);
                            }
                            return;
                        }
                        Err(_) => {
                            if reject.is_none() {
                                release(&node, c, &peer);
                            }
                            return;
                        }
                    }
                }
            };
            if let Some(reject) = reject {
                use monoio::io::AsyncWriteRentExt;
                let mut stream = stream;
                let _ = stream
                    .write_all(format!("-{reject}\r\n").into_bytes())
                    .await;
                return;
            }
            crate::conn::serve(core, stream, peer).await;
            release(&node, c, &peer);
        });
    }
}

/// The core's monoio runtime on an io_uring with `COOP_TASKRUN`: the
/// ring's completion work (a recv that found its data, a poll wake) runs
/// when the core next enters the kernel, which it does at least once per
/// loop turn for all connections' submissions. Without it the kernel sent
/// the core a reschedule IPI whenever a client's bytes arrived while the
/// core ran user code, to run that work at once: 0.44 IPIs per GET at -P1,
/// and their handling was 19% of the core's CPU (docs/design/0021).
/// Not `DEFER_TASKRUN`, which also stops them: it runs that work only when
/// the core waits for completions, and monoio's executor does not wait
/// while its run queue is non-empty (its busy pass only submits), so one
/// connection that always has input could starve the others' reads and
/// the peer links' (docs/design/0013). Kernels before 5.19 refuse the flag:
/// then the default ring.
fn build_runtime() -> std::io::Result<
    monoio::FusionRuntime<
        monoio::time::TimeDriver<monoio::IoUringDriver>,
        monoio::time::TimeDriver<monoio::LegacyDriver>,
    >,
> {
    let runtime = |urb: io_uring::Builder| {
        monoio::RuntimeBuilder::<monoio::FusionDriver>::new()
            .uring_builder(urb)
            .enable_timer()
            .build()
    };
    let mut coop = io_uring::IoUring::builder();
    coop.setup_coop_taskrun();
    runtime(coop).or_else(|_| runtime(io_uring::IoUring::builder()))
}

/// Raft links of core `core.id` to the same core of every other member, and
/// the acceptor for theirs.
fn start_peer_links(core: &Rc<Core>, listener: std::net::TcpListener) {
    let node = core.node.clone();
    let me = node.peer_hello(core.id);
    let n = node.clone();
    let hlc: Rc<dyn Fn() -> u64> = Rc::new(move || n.hlc_now());
    let c = core.clone();
    let sent: Rc<dyn Fn(usize)> =
        Rc::new(move |k| crate::stats::CoreCounters::add(&c.counters().raft_msgs_out, k as u64));
    let links =
        crate::peer::PeerLinks::start(me, &node.members, hlc, sent, node.tls.cluster_client());
    let _ = core.peers.set(links);
    let c = core.clone();
    let deliver: crate::peer::Deliver = Rc::new(move |from, hlc, msgs| {
        if c.node.drops_from(from) {
            return;
        }
        // A refused (far-ahead) timestamp is logged and counted; the
        // Raft messages still count: refusing them would turn a clock
        // problem into an outage.
        let _ = c.node.hlc_observe(hlc);
        crate::stats::CoreCounters::add(&c.counters().raft_msgs_in, msgs.len() as u64);
        let mut st = c.st.borrow_mut();
        let now = std::time::Instant::now();
        for (gid, m) in msgs {
            st.shard.step(gid, m, now);
        }
        drop(st);
        c.notify.notify();
    });
    let c = core.clone();
    let deliver_snap: crate::peer::DeliverSnapshot = Rc::new(move |from, gid, msg, data| {
        if c.node.drops_from(from) {
            return;
        }
        eprintln!(
            "corekv: group {gid}: snapshot at index {} from node {from} ({} keys, {} elements) received",
            msg.get_snapshot().get_metadata().index,
            data.records.len(),
            data.elements.len()
        );
        c.st.borrow_mut().shard.stage_snapshot(gid, msg, data);
        c.notify.notify();
    });
    match monoio::net::TcpListener::from_std(listener) {
        Ok(l) => {
            let tls = node.tls.cluster.as_ref().map(|t| t.server.clone());
            monoio::spawn(crate::peer::accept(l, me, deliver, deliver_snap, tls));
        }
        Err(e) => fatal(&format!("cannot listen for raft traffic: {e}")),
    }
}

/// Connection admission: global maxclients and the per-IP cap.
fn admit(node: &Node, core: usize, peer: &SocketAddr) -> Option<&'static str> {
    let c = node.counters.get(core)?;
    if node.connected.load(Relaxed) >= node.maxclients.load(Relaxed) {
        c.rejected_connections.fetch_add(1, Relaxed);
        return Some(corekv_core::errors::MAX_CLIENTS);
    }
    let cap = node.args.max_clients_per_ip;
    if cap > 0 {
        let mut per_ip = node.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = per_ip.entry(peer.ip()).or_insert(0);
        if *n >= cap {
            c.rejected_connections.fetch_add(1, Relaxed);
            return Some(corekv_core::errors::MAX_CLIENTS_PER_IP);
        }
        *n += 1;
    }
    node.connected.fetch_add(1, Relaxed);
    c.connections.fetch_add(1, Relaxed);
    c.total_connections.fetch_add(1, Relaxed);
    None
}

fn release(node: &Node, core: usize, peer: &SocketAddr) {
    node.connected.fetch_sub(1, Relaxed);
    if let Some(c) = node.counters.get(core) {
        c.connections.fetch_sub(1, Relaxed);
    }
    if node.args.max_clients_per_ip > 0 {
        let mut per_ip = node.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = per_ip.get_mut(&peer.ip()) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_ip.remove(&peer.ip());
            }
        }
    }
}

/// Binds the port without SO_REUSEPORT to prove nobody else listens. After
/// a kill -9 the kernel tears down a dead process's io_uring (and the
/// listeners its pending accepts hold) asynchronously, so a busy port is
/// retried briefly before it counts as taken.
fn exclusive_probe(addr: SocketAddr) -> std::io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        s.set_reuse_address(true)?;
        match s.bind(&addr.into()).and_then(|_| s.listen(1)) {
            Ok(()) => return Ok(()),
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(e),
        }
    }
}

fn bind_reuseport(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// Creates the data dir if needed and checks that its group layout (fixed
/// at creation) matches the flags. Returns groups per core.
fn prepare_dir(dir: &Path, cores: usize, groups_per_core: usize, cluster: &str) -> usize {
    if dir.exists() && !dir.is_dir() {
        fatal(&format!(
            "--dir {} exists and is not a directory",
            dir.display()
        ));
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        fatal(&format!("cannot create data dir {}: {e}", dir.display()));
    }
    let path = dir.join(LAYOUT_FILE);
    let want = format!("cores={cores} groups_per_core={groups_per_core}{cluster}\n");
    match std::fs::read_to_string(&path) {
        Ok(have) => {
            if have != want {
                fatal(&format!(
                    "data dir {} was created with {}; start with matching --cores/--groups-per-core/--node-id/--peers",
                    dir.display(),
                    have.trim()
                ));
            }
            groups_per_core
        }
        Err(_) => {
            if dir.join("core-0").exists() {
                fatal(&format!(
                    "data dir {} has data but no {LAYOUT_FILE}",
                    dir.display()
                ));
            }
            let tmp = dir.join(format!("{LAYOUT_FILE}.tmp"));
            let written = std::fs::write(&tmp, &want)
                .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                .and_then(|_| std::fs::rename(&tmp, &path))
                .and_then(|_| std::fs::File::open(dir)?.sync_all());
            if let Err(e) = written {
                fatal(&format!("cannot write to data dir {}: {e}", dir.display()));
            }
            groups_per_core
        }
    }
}

/// The meta group (id 0, no slots, core 0: the cluster's membership and
/// member addresses), then the data groups: contiguous slot ranges, group i
/// on core i % cores, ids from 1.
fn layout_groups(cores: usize, groups_per_core: usize) -> Vec<GroupInfo> {
    let n = cores * groups_per_core;
    std::iter::once(GroupInfo {
        id: 0,
        slots: 0..0,
        core: 0,
    })
    .chain((0..n).map(|i| GroupInfo {
        id: i as u32 + 1,
        slots: group_slots(i, n),
        core: i % cores,
    }))
    .collect()
}

fn pin_to_cpu(core: usize) {
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core % ncpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn block_signals() {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

fn wait_for_signal() {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        let mut sig = 0;
        libc::sigwait(&set, &mut sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_covers_every_slot_once() {
        let all = layout_groups(3, 2);
        assert_eq!(all.len(), 7);
        assert_eq!((all[0].id, all[0].slots.clone(), all[0].core), (0, 0..0, 0));
        let g = &all[1..];
        assert_eq!(g[0].slots.start, 0);
        assert_eq!(g[5].slots.end, corekv_core::slot::SLOTS);
        for w in g.windows(2) {
            assert_eq!(w[0].slots.end, w[1].slots.start);
        }
        assert_eq!(g[4].core, 1);
        assert_eq!(g[4].id, 5);
    }
}
