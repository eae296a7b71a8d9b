//! Black-box test harness: spawns a real server process and talks RESP to it.
//!
//! `Server::start` runs the `corekv` binary on a fresh temporary `--dir` and a
//! free loopback port, waits (bounded) until `PING` answers and kills the child
//! on drop. With `COREKV_TEST_TARGET=redis` it spawns `redis-server` instead, so
//! every behavioural expectation in this suite can be checked against real
//! Redis 7; tests that only make sense for corekv (crash durability, the stats
//! socket, CLI flags) call [`corekv_only`] and skip themselves in that mode.
//!
//! Besides the `redis` crate connection, [`Resp`] is a tiny RESP2/RESP3 client
//! that keeps replies exactly as sent (error text included), so tests can
//! assert Redis's exact wording.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub mod linearizability;

/// How long a server may take to answer its first PING.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
/// Read/write timeout of every test socket, so no test can hang on a reply.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful shutdown (SIGTERM) may take before we SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Cap on one reply read by [`Resp`]; a broken server must not eat memory.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// Cap on aggregate nesting in [`Resp`].
const MAX_DEPTH: usize = 32;

/// Which server implementation the suite runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Corekv,
    Redis,
}

/// The target selected by `COREKV_TEST_TARGET` (`redis` or anything else).
pub fn target() -> Target {
    match std::env::var("COREKV_TEST_TARGET").as_deref() {
        Ok("redis") => Target::Redis,
        _ => Target::Corekv,
    }
}

/// True when running against real Redis.
pub fn is_redis() -> bool {
    target() == Target::Redis
}

/// Returns true if the test should run; prints a skip line against Redis.
pub fn corekv_only(test: &str) -> bool {
    if is_redis() {
        println!("skipping {test}: corekv-only test (COREKV_TEST_TARGET=redis)");
        return false;
    }
    true
}

/// Path of a binary built by this workspace: `COREKV_BIN`-style env override,
/// else `target/<profile>/<name>` found from the running test executable
/// (`target/<profile>/deps/<test>-<hash>`).
pub fn workspace_bin(name: &str, env_override: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_override) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test exe lives in target/<profile>/deps");
    let bin = profile_dir.join(name);
    assert!(
        bin.exists(),
        "{} not found; build it first (cargo build -p corekv-io -p corekv-tools \
         with the same CARGO_TARGET_DIR and profile) or set {env_override}",
        bin.display()
    );
    bin
}

/// The corekv server binary.
pub fn corekv_bin() -> PathBuf {
    workspace_bin("corekv", "COREKV_BIN")
}

/// The corekv-stats CLI binary.
/// The `corekv-ctl` binary of this workspace.
pub fn ctl_bin() -> PathBuf {
    workspace_bin("corekv-ctl", "COREKV_CTL_BIN")
}

pub fn stats_bin() -> PathBuf {
    workspace_bin("corekv-stats", "COREKV_STATS_BIN")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind ephemeral port");
    l.local_addr().expect("local_addr").port()
}

/// `n` RESP ports, each with `port + 10000 + core` free for the two cores
/// the harness runs (corekv's Raft links), all on loopback.
pub fn cluster_ports(n: usize) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    let mut holders = Vec::new();
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..10_000 {
        if out.len() == n {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Below the ephemeral range (32768+) even with +10000+core, so no
        // outgoing connection of another test can take a Raft port.
        let port = 12_000 + (x % 10_000) as u16;
        let all = [port, port + 10_000, port + 10_001];
        let bound: Vec<TcpListener> = all
            .iter()
            .filter_map(|p| TcpListener::bind(("127.0.0.1", *p)).ok())
            .collect();
        if bound.len() == all.len() && !out.iter().any(|o| o.abs_diff(port) < 2) {
            out.push(port);
            holders.push(bound);
        }
    }
    assert_eq!(out.len(), n, "no free cluster ports");
    out
}

/// `n` corekv nodes on loopback forming one cluster, each with two cores,
/// `--fsync always` and `COREKV.DEBUG` (partitions), started as
/// tests/tests/cluster.rs starts them; `extra` flags go to every node.
/// Node `i` has id `i + 1`.
pub fn start_cluster(n: usize, extra: &[&str]) -> Vec<Server> {
    let ports = cluster_ports(n);
    let secret = cluster_secret_file();
    let peers = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}=127.0.0.1:{p}", i + 1))
        .collect::<Vec<_>>()
        .join(",");
    ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let id = (i + 1).to_string();
            let mut args = vec![
                "--node-id",
                &id,
                "--peers",
                &peers,
                "--cluster-secret-file",
                &secret,
                "--fsync",
                "always",
                "--debug-commands",
                "--no-pin",
            ];
            args.extend_from_slice(extra);
            Server::start_on(*p, &args)
        })
        .collect()
}

/// A cluster secret file shared by every cluster of this test process.
pub fn cluster_secret_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("corekv-test-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("secret dir");
        let path = dir.join("secret");
        std::fs::write(
            &path,
            format!("test-secret-{}-0123456789\n", std::process::id()),
        )
        .expect("secret file");
        path.display().to_string()
    })
    .clone()
}

/// Cuts node `i` of the cluster at `addrs` off from all the others (Raft
/// and proxy links, both ways) with `COREKV.DEBUG PARTITION`, or, with
/// `on` false, heals every cut.
pub fn isolate_node(addrs: &[String], i: usize, on: bool) {
    for (j, addr) in addrs.iter().enumerate() {
        let s = TcpStream::connect(addr).expect("connect");
        let mut c = Resp::from_stream(s, IO_TIMEOUT);
        let args: Vec<String> = if !on {
            vec!["COREKV.DEBUG".into(), "HEAL".into()]
        } else if j == i {
            let mut a = vec!["COREKV.DEBUG".into(), "PARTITION".into()];
            a.extend(
                (0..addrs.len())
                    .filter(|&k| k != i)
                    .map(|k| (k + 1).to_string()),
            );
            a
        } else {
            vec![
                "COREKV.DEBUG".into(),
                "PARTITION".into(),
                (i + 1).to_string(),
            ]
        };
        assert_eq!(c.cmd(&args), Reply::ok(), "{args:?} on {addr}");
    }
}

/// A running server process plus its private data directory.
pub struct Server {
    child: Option<Child>,
    /// Holds the data dir and the server log; removed on drop.
    root: tempfile::TempDir,
    port: u16,
    extra: Vec<String>,
    target: Target,
}

impl Server {
    /// Starts a server with default flags plus `extra`; panics if it is not
    /// answering PING within [`START_TIMEOUT`].
    pub fn start(extra: &[&str]) -> Server {
        Server::start_on(free_port(), extra)
    }

    /// [`Server::start`] on a chosen port (cluster members must know each
    /// other's ports before they start).
    pub fn start_on(port: u16, extra: &[&str]) -> Server {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("data")).expect("create data dir");
        let mut s = Server {
            child: None,
            root,
            port,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            target: target(),
        };
        s.spawn();
        s
    }

    /// The server's data directory (`--dir`).
    pub fn dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Default stats socket path (`<dir>/stats.sock`).
    pub fn stats_socket(&self) -> PathBuf {
        self.dir().join("stats.sock")
    }

    /// One document from the server's default stats socket.
    pub fn stats(&self) -> serde_json::Value {
        stats_doc(&self.stats_socket())
    }

    /// Dropped collections and paged strings not yet swept, summed over
    /// the cores (`garbage_collections` on the stats socket).
    pub fn garbage(&self) -> u64 {
        self.stats()["cores"]
            .as_array()
            .map(|cores| {
                cores
                    .iter()
                    .map(|c| c["counters"]["garbage_collections"].as_u64().unwrap_or(1))
                    .sum()
            })
            .unwrap_or(0)
    }

    fn log_path(&self) -> PathBuf {
        self.root.path().join("server.log")
    }

    /// The server's stderr/stdout so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "server already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open server log");
        let log2 = log.try_clone().expect("clone log fd");
        let port = self.port.to_string();
        let dir = self.dir();
        let mut cmd = match self.target {
            Target::Corekv => {
                let mut c = Command::new(corekv_bin());
                c.args(["--bind", "127.0.0.1", "--port", &port, "--dir"])
                    .arg(&dir);
                // Two cores unless the test picks its own.
                if !self.extra.iter().any(|a| a == "--cores") {
                    c.args(["--cores", "2"]);
                }
                c
            }
            Target::Redis => {
                let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or("redis-server".into());
                let mut c = Command::new(bin);
                // One database, like corekv, so SELECT 1 fails the same way.
                c.args(["--bind", "127.0.0.1", "--port", &port, "--save", ""])
                    .args(["--databases", "1"])
                    .args(["--appendonly", "no", "--dir"])
                    .arg(&dir);
                c
            }
        };
        // Extra flags are corekv flags; redis-server would reject them.
        if self.target == Target::Corekv {
            cmd.args(&self.extra);
        }
        cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
        let child = cmd.spawn().expect("spawn server");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!(
                    "server exited during startup ({status}); log:\n{}",
                    self.log()
                );
            }
            if self.ping_once() {
                return;
            }
            if Instant::now() > deadline {
                let log = self.log();
                self.kill9();
                panic!("server not ready within {START_TIMEOUT:?}; log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ping_once(&self) -> bool {
        let Ok(s) = TcpStream::connect_timeout(
            &self.addr().parse().expect("addr"),
            Duration::from_millis(500),
        ) else {
            return false;
        };
        let mut r = Resp::from_stream(s, Duration::from_millis(1000));
        // A server started with a password answers, but only NOAUTH.
        match r.try_cmd(&["PING"]) {
            Ok(Reply::Simple(p)) => p == "PONG",
            Ok(Reply::Error(e)) => e.starts_with("NOAUTH"),
            _ => false,
        }
    }

    /// Pid of the running child.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// SIGKILL and reap; no-op if not running.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait (bounded) for a clean exit; returns its status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server running");
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
        // SAFETY: plain kill(2) on our own child's pid, which is not reaped yet.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server ignored SIGTERM for {STOP_TIMEOUT:?}; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Replaces the extra flags the next start (`restart`) uses.
    pub fn set_args(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|s| s.to_string()).collect();
    }

    /// Whether the child has exited (it is reaped if so).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    /// Starts the server again on the same dir and port (after kill9/terminate).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.terminate();
        }
        self.spawn();
    }

    /// A `redis` crate client for this server (RESP2).
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://{}/", self.addr())).expect("client")
    }

    /// A `redis` crate RESP3 client for this server.
    pub fn client3(&self) -> redis::Client {
        redis::Client::open(format!("redis://{}/?protocol=resp3", self.addr())).expect("client")
    }

    /// A connected `redis` crate connection with bounded timeouts.
    pub fn conn(&self) -> redis::Connection {
        let c = self
            .client()
            .get_connection_with_timeout(IO_TIMEOUT)
            .expect("connect");
        c.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        c.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        c
    }

    /// A raw TCP stream with bounded timeouts.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr()).expect("connect");
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        s.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        s
    }

    /// An exact-reply RESP client.
    pub fn resp(&self) -> Resp {
        Resp::from_stream(self.raw(), IO_TIMEOUT)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A reply exactly as the server sent it (RESP2 and RESP3 types).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// RESP2 `$-1` / `*-1` and RESP3 `_`.
    Nil,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    Double(String),
    Bool(bool),
    BigNumber(String),
    Verbatim(String, Vec<u8>),
}

impl Reply {
    /// Shorthand for a bulk string reply.
    pub fn bulk(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }

    /// `+OK`.
    pub fn ok() -> Reply {
        Reply::Simple("OK".into())
    }

    /// An error reply with exactly this text (without `-` and CRLF).
    pub fn err(s: &str) -> Reply {
        Reply::Error(s.into())
    }

    /// Array of bulk strings.
    pub fn bulks(items: &[&str]) -> Reply {
        Reply::Array(items.iter().map(|s| Reply::bulk(s)).collect())
    }

    /// Integer value; panics otherwise.
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("expected integer, got {other:?}"),
        }
    }

    /// Text of a bulk/simple/verbatim string; panics otherwise.
    pub fn text(&self) -> String {
        match self {
            Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            Reply::Simple(s) => s.clone(),
            other => panic!("expected string, got {other:?}"),
        }
    }

    /// Elements of an array/set/push; panics otherwise.
    pub fn items(&self) -> Vec<Reply> {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => v.clone(),
            other => panic!("expected array, got {other:?}"),
        }
    }

    /// Elements of an array as strings, sorted (for unordered replies).
    pub fn sorted_texts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.items().iter().map(Reply::text).collect();
        v.sort();
        v
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Error text; panics if not an error.
    pub fn error_text(&self) -> String {
        match self {
            Reply::Error(e) => e.clone(),
            other => panic!("expected error, got {other:?}"),
        }
    }
}

/// Minimal synchronous RESP client that keeps replies verbatim.
pub struct Resp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Resp {
    pub fn from_stream(s: TcpStream, timeout: Duration) -> Resp {
        let _ = s.set_read_timeout(Some(timeout));
        let _ = s.set_write_timeout(Some(timeout));
        let _ = s.set_nodelay(true);
        let writer = s.try_clone().expect("clone stream");
        Resp {
            reader: BufReader::new(s),
            writer,
        }
    }

    /// Sends one command and reads one reply; panics on IO errors.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let first = args
            .first()
            .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned());
        match self.try_cmd(args) {
            Ok(r) => r,
            Err(e) => panic!("command {first:?} failed at transport level: {e}"),
        }
    }

    /// Sends one command and reads one reply.
    pub fn try_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<Reply> {
        self.send(args)?;
        self.read_reply()
    }

    /// Writes one command as a RESP multibulk without reading.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<()> {
        self.writer.write_all(&encode(args))
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Closes the write half (the server sees EOF).
    pub fn shutdown_write(&mut self) {
        let _ = self.writer.shutdown(Shutdown::Write);
    }

    /// True if the server closed the connection (EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.reader.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }

    /// Reads exactly `n` raw bytes (to check the wire shape of a reply).
    pub fn read_raw(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.reader.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Reads one reply.
    pub fn read_reply(&mut self) -> std::io::Result<Reply> {
        read_reply(&mut self.reader, 0)
    }
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    let n = r
        .take(MAX_REPLY_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad(format!(
            "line without CRLF: {:?}",
            String::from_utf8_lossy(&line)
        )));
    }
    line.truncate(line.len() - 2);
    // Error lines may echo binary input back (unknown command names).
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn parse_len(s: &str) -> std::io::Result<i64> {
    s.parse::<i64>()
        .map_err(|_| bad(format!("bad length {s:?}")))
}

fn read_blob(r: &mut impl BufRead, len: i64) -> std::io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| bad(format!("bad blob length {len}")))?;
    if len > MAX_REPLY_BYTES {
        return Err(bad(format!("blob of {len} bytes exceeds test cap")));
    }
    let mut buf = vec![0u8; len + 2];
    r.read_exact(&mut buf)?;
    if !buf.ends_with(b"\r\n") {
        return Err(bad("blob without CRLF".into()));
    }
    buf.truncate(len);
    Ok(buf)
}

fn read_items(r: &mut impl BufRead, n: i64, depth: usize) -> std::io::Result<Vec<Reply>> {
    let n = usize::try_from(n).map_err(|_| bad(format!("bad count {n}")))?;
    if n > MAX_REPLY_BYTES {
        return Err(bad(format!("aggregate of {n} exceeds test cap")));
    }
    (0..n).map(|_| read_reply(r, depth + 1)).collect()
}

fn read_reply(r: &mut impl BufRead, depth: usize) -> std::io::Result<Reply> {
    if depth > MAX_DEPTH {
        return Err(bad("reply nested too deep".into()));
    }
    let line = read_line(r)?;
    let (kind, rest) = line
        .split_at_checked(1)
        .ok_or_else(|| bad("empty line".into()))?;
    Ok(match kind {
        "+" => Reply::Simple(rest.into()),
        "-" => Reply::Error(rest.into()),
        ":" => Reply::Int(parse_len(rest)?),
        "$" => match parse_len(rest)? {
            -1 => Reply::Nil,
            n => Reply::Bulk(read_blob(r, n)?),
        },
        "*" => match parse_len(rest)? {
            -1 => Reply::Nil,
            n => Reply::Array(read_items(r, n, depth)?),
        },
        "_" => Reply::Nil,
        "," => Reply::Double(rest.into()),
        "#" => Reply::Bool(rest == "t"),
        "(" => Reply::BigNumber(rest.into()),
        "!" => Reply::Error(String::from_utf8_lossy(&read_blob(r, parse_len(rest)?)?).into()),
        "=" => {
            let blob = read_blob(r, parse_len(rest)?)?;
            let fmt = String::from_utf8_lossy(blob.get(..3).unwrap_or_default()).into_owned();
            Reply::Verbatim(fmt, blob.get(4..).unwrap_or_default().to_vec())
        }
        "~" => Reply::Set(read_items(r, parse_len(rest)?, depth)?),
        ">" => Reply::Push(read_items(r, parse_len(rest)?, depth)?),
        "%" | "|" => {
            let items = read_items(r, parse_len(rest)?.saturating_mul(2), depth)?;
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            if kind == "|" {
                // An attribute precedes the real reply; return the reply.
                return read_reply(r, depth + 1);
            }
            Reply::Map(pairs)
        }
        other => return Err(bad(format!("unknown reply type {other:?} in {line:?}"))),
    })
}

/// Polls `f` every 20 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Redis Cluster's slot of `key`: CRC16/XMODEM of the key, or of its
/// first non-empty `{hash tag}`, mod 16384. Tests use it to pick keys that
/// really land in different Raft groups.
pub fn key_slot(key: &[u8]) -> u16 {
    let part = key
        .iter()
        .position(|&c| c == b'{')
        .and_then(|open| {
            let rest = key.get(open + 1..)?;
            let close = rest.iter().position(|&c| c == b'}')?;
            (close > 0).then(|| rest.get(..close)).flatten()
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &byte in part {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

/// Data groups of a node started by [`Server::start`] with the default
/// `--cores 2` and two groups per core.
pub const DEFAULT_GROUPS: usize = 4;

/// Which of the [`DEFAULT_GROUPS`] groups owns `key`: the groups own
/// contiguous, equal slot ranges (core/src/slot.rs `group_slots`).
pub fn default_group(key: &str) -> usize {
    usize::from(key_slot(key.as_bytes())) * DEFAULT_GROUPS / 16384
}

/// Asserts that `keys` span at least `min` different default groups, so a
/// cross-group test cannot silently turn into a single-group one.
pub fn assert_spread(keys: &[&str], min: usize) {
    let mut groups: Vec<usize> = keys.iter().map(|k| default_group(k)).collect();
    groups.sort_unstable();
    groups.dedup();
    assert!(
        groups.len() >= min,
        "keys {keys:?} span only groups {groups:?}, want at least {min}"
    );
}

/// Asserts a command's reply, naming the command on failure.
#[macro_export]
macro_rules! check {
    ($c:expr, [$($arg:expr),* $(,)?], $want:expr) => {{
        let args: &[&str] = &[$($arg),*];
        let got = $c.cmd(args);
        assert_eq!(got, $want, "command {:?}", args);
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Reply {
        read_reply(&mut BufReader::new(bytes), 0).expect("parse")
    }

    #[test]
    fn encodes_multibulk() {
        assert_eq!(encode(&["GET", "k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }

    #[test]
    fn parses_resp2_and_resp3() {
        assert_eq!(parse(b"+OK\r\n"), Reply::ok());
        assert_eq!(parse(b"-ERR x y\r\n"), Reply::err("ERR x y"));
        assert_eq!(parse(b"$-1\r\n"), Reply::Nil);
        assert_eq!(parse(b"$3\r\na\r\n\r\n"), Reply::bulk("a\r\n"));
        assert_eq!(
            parse(b"*2\r\n:1\r\n_\r\n"),
            Reply::Array(vec![Reply::Int(1), Reply::Nil])
        );
        assert_eq!(
            parse(b"%1\r\n+a\r\n#t\r\n"),
            Reply::Map(vec![(Reply::Simple("a".into()), Reply::Bool(true))])
        );
        assert_eq!(
            parse(b"=7\r\ntxt:abc\r\n"),
            Reply::Verbatim("txt".into(), b"abc".to_vec())
        );
        assert!(read_reply(&mut BufReader::new(&b"?x\r\n"[..]), 0).is_err());
        assert!(read_reply(&mut BufReader::new(&b"$5\r\nab\r\n"[..]), 0).is_err());
    }

    #[test]
    fn key_slots_match_redis_cluster() {
        // CLUSTER KEYSLOT answers of Redis 7.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"acct:0"), 14205);
        assert_eq!(key_slot(b"a{foo}b"), 12182);
        // An empty tag hashes the whole key.
        assert_eq!(key_slot(b"a{}b"), 13694);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(default_group("acct:3"), 0);
        assert_eq!(default_group("acct:0"), 3);
    }
}

/// Short reply constructors shared by the behaviour tests.
pub mod r {
    use super::Reply;

    pub fn nil() -> Reply {
        Reply::Nil
    }
    pub fn ok() -> Reply {
        Reply::ok()
    }
    pub fn b(s: &str) -> Reply {
        Reply::bulk(s)
    }
    pub fn e(s: &str) -> Reply {
        Reply::err(s)
    }
    pub fn i(n: i64) -> Reply {
        Reply::Int(n)
    }
}

/// Reads one JSON document from a stats socket. The socket is bound by its
/// own thread, which may come up just after the RESP port answers, so the
/// connect is retried for up to 5 s; the read is bounded in time and size.
pub fn stats_doc(path: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut s = loop {
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => panic!("connect stats socket: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"stats\n").expect("write");
    let mut body = String::new();
    s.take(16 * 1024 * 1024)
        .read_to_string(&mut body)
        .expect("read stats");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad JSON ({e}): {body}"))
}
