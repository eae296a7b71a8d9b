//! `--bigger-than-cache`: issue 12, must-show 6. Data ten times the row
//! cache and the block cache (`--cache-mb 8 --block-cache-mb 8`, 5M keys
//! of 100 bytes), GET with keys uniform over all of them against the same
//! build with default caches and a hot keyspace of 100k keys, and whether
//! a cache miss stalls the executor.
//!
//! Per case: a fresh `corekv --cores 1 --fsync never`, the keys SET in
//! order over a few pipelined connections (named the way redis-benchmark
//! names them with `-r N`: `key:` and 12 zero-padded digits), a wait until
//! the server's background work (flushes, compaction) goes quiet, one
//! unmeasured warm-up run, then `redis-benchmark -t get -r KEYS` at each
//! depth with the server's CPU per thread from /proc around it. A probe
//! connection sends PING every millisecond meanwhile and keeps its
//! latencies: a read that blocked the executor holds up the PING too. The
//! executor threads' own io counters (`/proc/PID/task/TID/io`) say how
//! much they read from fjall's files and how much of that came from the
//! disk. (The stats socket's `cmd.read` histogram cannot show it: the
//! core reads the clock once per batch, so an inline GET records ~1 µs,
//! and there is no turn-duration histogram.) The large case
//! is also run with its files dropped from the OS page cache before each
//! run (`posix_fadvise(DONTNEED)` on the server's own files), so misses go
//! to the disk, not only to page-cache copies.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cpu::{self, Used};
use crate::csv;
use crate::latency::{self, Rng, Samples};
use crate::process::{self, shell_line};
use crate::resp::Conn;
use crate::servers::{Config, Fsync, Kind};
use crate::single::{self, Env, Running};

/// The server every case runs: one core, no fsync (reads are measured).
pub const CONFIG: Config = Config {
    name: "corekv-c1-never",
    kind: Kind::Corekv {
        cores: 1,
        fsync: Fsync::Never,
    },
};

pub struct Options {
    /// Keys of the large case (`-r` of its GETs).
    pub keys: u64,
    /// Keys of the all-cached reference.
    pub hot_keys: u64,
    pub value_len: usize,
    pub cache_mb: u32,
    pub block_cache_mb: u32,
    pub load_conns: usize,
    /// SETs in flight per loading connection.
    pub load_window: usize,
    pub load_bound: Duration,
    /// Bound on waiting for the server's CPU to go quiet after loading.
    pub settle_bound: Duration,
    pub pipelines: Vec<u32>,
    pub clients: u32,
    pub requests_p1: u64,
    pub requests_pipelined: u64,
    pub warmup_requests: u64,
    /// Requests per run with the page cache dropped (0: no such runs).
    pub cold_requests: u64,
    pub probe_interval: Duration,
    pub probe_max: u64,
    pub bench_timeout: Duration,
    pub redis_benchmark: PathBuf,
}

impl Options {
    fn requests(&self, pipeline: u32) -> u64 {
        if pipeline <= 1 {
            self.requests_p1
        } else {
            self.requests_pipelined
        }
    }
}

/// What a measured run read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Default caches, `hot_keys` keys: everything in memory.
    Cached,
    /// `--cache-mb`/`--block-cache-mb` small, `keys` keys: misses read
    /// fjall tables, whose pages the OS page cache still holds.
    Uncached,
    /// As `Uncached`, with the server's files dropped from the page cache
    /// right before the run.
    Cold,
}

impl Phase {
    pub fn title(self) -> &'static str {
        match self {
            Phase::Cached => "all-cached (default caches, hot keyspace)",
            Phase::Uncached => "larger than the caches (page cache warm)",
            Phase::Cold => "larger than the caches, page cache dropped",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Phase::Cached => "cached",
            Phase::Uncached => "uncached",
            Phase::Cold => "cold",
        }
    }
}

/// One server's data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Hot,
    Big,
}

impl Case {
    pub fn keys(self, opts: &Options) -> u64 {
        match self {
            Case::Hot => opts.hot_keys,
            Case::Big => opts.keys,
        }
    }

    /// corekv flags on top of `--cores 1 --fsync never`.
    pub fn extra_args(self, opts: &Options) -> Vec<String> {
        match self {
            Case::Hot => Vec::new(),
            Case::Big => vec![
                "--cache-mb".to_string(),
                opts.cache_mb.to_string(),
                "--block-cache-mb".to_string(),
                opts.block_cache_mb.to_string(),
            ],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Case::Hot => "hot",
            Case::Big => "big",
        }
    }
}

/// The key redis-benchmark's `key:__rand_int__` becomes with `-r`: the
/// number zero-padded to 12 digits.
pub fn key(i: u64) -> String {
    format!("key:{i:012}")
}

/// A `len`-byte printable value, different for every key and not a run of
/// one byte (redis-benchmark's `xxx...` would compress to nothing).
pub fn value(i: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed);
    (0..len).map(|_| b'!' + (rng.next() % 94) as u8).collect()
}

/// `0..total` cut into `n` contiguous ranges (the first ones larger).
pub fn ranges(total: u64, n: u64) -> Vec<std::ops::Range<u64>> {
    let n = n.max(1);
    let mut start = 0;
    (0..n)
        .map(|i| {
            let len = total / n + u64::from(i < total % n);
            let r = start..start + len;
            start += len;
            r
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// redis-benchmark's arguments for `requests` GETs over `keys` keys.
pub fn bench_args(port: u16, clients: u32, requests: u64, keys: u64, pipeline: u32) -> Vec<String> {
    [
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-c",
        &clients.to_string(),
        "-n",
        &requests.to_string(),
        "-r",
        &keys.to_string(),
        "-t",
        "get",
        "-P",
        &pipeline.to_string(),
        "--csv",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Loading one case's keys.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub case: Case,
    pub keys: u64,
    pub secs: f64,
    pub dbsize: i64,
    /// Waiting for background work after the load; false if it never
    /// went quiet within the bound.
    pub settle_secs: f64,
    pub settled: bool,
    /// Bytes of the server's directory after settling.
    pub disk_bytes: u64,
}

/// One measured redis-benchmark run.
#[derive(Debug, Clone)]
pub struct Measured {
    pub phase: Phase,
    pub pipeline: u32,
    pub requests: u64,
    pub keys: u64,
    pub rps: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub wall: Duration,
    pub server: Used,
    pub client: Duration,
    pub probe: latency::Summary,
    pub probe_errors: u64,
    /// What the executor threads (`core-N`) read by system call over
    /// the run: (bytes through read calls, page cache or not; bytes the
    /// kernel fetched from storage for them). None: /proc had no io file.
    pub core_io: Option<Io>,
    /// Jobs the heavy pool took during the run.
    pub heavy: Option<u64>,
    /// GETs the miss pool took during the run (docs/design/0022).
    pub misses: Option<u64>,
}

impl Measured {
    pub fn server_us(&self) -> f64 {
        self.server.per_request_us(self.requests)
    }
}

#[derive(Default)]
pub struct Outcome {
    pub loaded: Vec<Loaded>,
    pub measured: Vec<Measured>,
    pub failures: Vec<String>,
}

/// The reference first (small and quick: a broken build shows early),
/// then the large case.
pub fn run(env: &mut Env, opts: &Options) -> Outcome {
    let mut out = Outcome::default();
    for case in [Case::Hot, Case::Big] {
        let keys = case.keys(opts);
        eprintln!(
            "[corekv-bench] bigger-than-cache: {} keys {}",
            keys,
            case.extra_args(opts).join(" ")
        );
        let saved = env.corekv_args.clone();
        env.corekv_args.extend(case.extra_args(opts));
        let started = env.start(CONFIG, case.label());
        env.corekv_args = saved;
        match started {
            Ok(mut running) => {
                if let Err(err) = run_case(env, &mut running, case, opts, &mut out) {
                    let alive = running.check_alive().err();
                    out.failures.push(format!(
                        "{} keys: {err:#}{}",
                        keys,
                        alive.map(|e| format!(" ({e:#})")).unwrap_or_default()
                    ));
                }
                env.finish(running);
            }
            Err(err) => out.failures.push(format!("{keys} keys: {err:#}")),
        }
    }
    out
}

fn run_case(
    env: &mut Env,
    running: &mut Running,
    case: Case,
    opts: &Options,
    out: &mut Outcome,
) -> Result<()> {
    let keys = case.keys(opts);
    let started = Instant::now();
    load(running.addr(), keys, opts)?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("[corekv-bench]   loaded {keys} keys in {secs:.1} s");
    let mut conn = running.conn()?;
    let dbsize = single::int_reply(&mut conn, &["DBSIZE"])?;
    spot_check(&mut conn, keys, opts.value_len)?;
    let settle_started = Instant::now();
    let settled = settle(running.pid, opts.settle_bound)?;
    let settle_secs = settle_started.elapsed().as_secs_f64();
    eprintln!("[corekv-bench]   settled: {settled} after {settle_secs:.1} s");
    out.loaded.push(Loaded {
        case,
        keys,
        secs,
        dbsize,
        settle_secs,
        settled,
        disk_bytes: dir_bytes(&running.dir),
    });
    running.check_alive()?;
    if opts.warmup_requests > 0 {
        let args = bench_args(
            running.port,
            opts.clients,
            opts.warmup_requests,
            keys,
            opts.pipelines.iter().copied().max().unwrap_or(16),
        );
        let program = opts.redis_benchmark.clone();
        env.commands
            .push(format!("{}  # warm-up", shell_line(&program, &args)));
        process::run_bounded(
            &program,
            &args,
            opts.bench_timeout,
            &running.dir,
            &format!("{}-warmup", case.label()),
        )?;
    }
    let phase = match case {
        Case::Hot => Phase::Cached,
        Case::Big => Phase::Uncached,
    };
    for &pipeline in &opts.pipelines {
        let m = measure(
            env,
            running,
            phase,
            pipeline,
            opts.requests(pipeline),
            keys,
            opts,
        )?;
        out.measured.push(m);
    }
    if case == Case::Big && opts.cold_requests > 0 {
        for &pipeline in &opts.pipelines {
            let dropped = drop_page_cache(&running.dir)?;
            eprintln!(
                "[corekv-bench]   dropped {:.0} MiB of the server's files from the page cache",
                dropped as f64 / (1 << 20) as f64
            );
            let m = measure(
                env,
                running,
                Phase::Cold,
                pipeline,
                opts.cold_requests,
                keys,
                opts,
            )?;
            out.measured.push(m);
        }
    }
    running.check_alive()
}

/// SETs `key(i)` for every `i < keys`, in order within each of
/// `load_conns` contiguous ranges, one connection per range; stops at
/// `load_bound`.
fn load(addr: SocketAddr, keys: u64, opts: &Options) -> Result<()> {
    let deadline = Instant::now() + opts.load_bound;
    let parts = ranges(keys, opts.load_conns.max(1) as u64);
    let results: Vec<Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|range| {
                let range = range.clone();
                s.spawn(move || -> Result<u64> {
                    let mut conn = Conn::connect(addr, Duration::from_secs(30))?;
                    let sets = range.take_while(|_| Instant::now() < deadline).map(|i| {
                        vec![
                            b"SET".to_vec(),
                            key(i).into_bytes(),
                            value(i, opts.value_len),
                        ]
                    });
                    single::load(&mut conn, sets, opts.load_window)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("loader thread panicked")))
            })
            .collect()
    });
    let mut sent = 0;
    for r in results {
        sent += r?;
    }
    if sent < keys {
        bail!(
            "loading stopped at the {:?} bound (--load-timeout-s) after {sent} of {keys} keys",
            opts.load_bound
        );
    }
    Ok(())
}

/// GETs of 1000 random keys all find `value_len`-byte values (the names
/// are the ones redis-benchmark asks for).
fn spot_check(conn: &mut Conn, keys: u64, value_len: usize) -> Result<()> {
    let mut rng = Rng::new(0xc4ec);
    for _ in 0..1000 {
        let k = key(rng.below(keys));
        let reply = conn.call(&["GET", k.as_str()])?;
        if reply.error.is_some() || reply.nil || reply.len != value_len as i64 {
            bail!("GET {k} after loading: {reply:?}");
        }
    }
    Ok(())
}

/// Waits until the server burns under 10% of a CPU over a second
/// (flushes and compactions done), at most `bound`; true if it did.
fn settle(pid: u32, bound: Duration) -> Result<bool> {
    let deadline = Instant::now() + bound;
    loop {
        let before = cpu::sample(pid)?;
        sleep(Duration::from_secs(1));
        let used = cpu::sample(pid)?.since(&before);
        if used.total < Duration::from_millis(100) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

fn files(dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            files(&entry.path(), out);
        } else if meta.is_file() {
            out.push((entry.path(), meta.len()));
        }
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut all = Vec::new();
    files(dir, &mut all);
    all.iter().map(|(_, n)| n).sum()
}

/// Writes back and drops every file under `dir` from the OS page cache
/// (only these files: nothing else on the machine is touched). Returns
/// the bytes covered.
fn drop_page_cache(dir: &Path) -> Result<u64> {
    use std::os::fd::AsRawFd;
    let mut all = Vec::new();
    files(dir, &mut all);
    let mut bytes = 0;
    for (path, len) in all {
        // Files come and go (compaction); a vanished one needs no drop.
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // Dirty pages are not dropped; write them back first.
        let _ = file.sync_data();
        // SAFETY: a valid open descriptor; the call only advises the kernel.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            bail!(
                "posix_fadvise({}): {}",
                path.display(),
                std::io::Error::from_raw_os_error(rc)
            );
        }
        bytes += len;
    }
    Ok(bytes)
}

/// PING every `interval` until `stop`, `max` pings or `deadline`.
fn probe(
    addr: SocketAddr,
    interval: Duration,
    max: u64,
    deadline: Instant,
    stop: &AtomicBool,
) -> (Samples, u64) {
    let mut samples = Samples::with_capacity(max.min(1 << 20) as usize);
    let mut errors = 0;
    let Ok(mut conn) = Conn::connect(addr, Duration::from_secs(10)) else {
        return (samples, 1);
    };
    let start = Instant::now();
    for i in 0..max {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
            break;
        }
        let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
        let now = Instant::now();
        if due > now {
            sleep(due - now);
        }
        let sent = Instant::now();
        match conn.call(&["PING"]) {
            Ok(reply) if reply.error.is_none() => samples.push(sent.elapsed()),
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                break;
            }
        }
    }
    (samples, errors)
}

/// The heavy pool's submitted count from the stats document.
pub fn heavy_submitted(body: &str) -> Option<u64> {
    let doc: serde_json::Value = serde_json::from_str(body).ok()?;
    doc["node"]["heavy_submitted"].as_u64()
}

/// The miss pool's submitted count from the stats document (absent
/// before the miss pool existed).
pub fn miss_submitted(body: &str) -> Option<u64> {
    let doc: serde_json::Value = serde_json::from_str(body).ok()?;
    doc["node"]["misses"]["submitted"].as_u64()
}

/// (heavy-pool jobs, miss-pool GETs) so far.
fn pools_now(running: &Running) -> (Option<u64>, Option<u64>) {
    corekv_tools::fetch_raw(&running.stats_socket)
        .ok()
        .map_or((None, None), |b| (heavy_submitted(&b), miss_submitted(&b)))
}

/// Bytes read by system calls (`rchar`: from the page cache or not) and
/// bytes fetched from storage (`read_bytes`) by some threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Io {
    pub rchar: u64,
    pub read_bytes: u64,
}

/// `rchar` and `read_bytes` of a `/proc/.../io` file.
pub fn parse_io(text: &str) -> Option<Io> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some(Io {
        rchar: field("rchar")?,
        read_bytes: field("read_bytes")?,
    })
}

/// The summed io counters of the process's executor threads (`core-N`):
/// a GET that misses every cache reads fjall's table files from its
/// executor thread, and `read_bytes` says whether that went to the disk.
fn core_io(pid: u32) -> Option<Io> {
    let mut sum = Io::default();
    let mut any = false;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let path = entry.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if cpu::group_name(comm.trim()) != "core" {
            continue;
        }
        if let Some(io) = std::fs::read_to_string(path.join("io"))
            .ok()
            .and_then(|t| parse_io(&t))
        {
            sum.rchar += io.rchar;
            sum.read_bytes += io.read_bytes;
            any = true;
        }
    }
    any.then_some(sum)
}

#[allow(clippy::too_many_arguments)]
fn measure(
    env: &mut Env,
    running: &mut Running,
    phase: Phase,
    pipeline: u32,
    requests: u64,
    keys: u64,
    opts: &Options,
) -> Result<Measured> {
    let (heavy_before, misses_before) = pools_now(running);
    let args = bench_args(running.port, opts.clients, requests, keys, pipeline);
    let program = opts.redis_benchmark.clone();
    env.commands.push(shell_line(&program, &args));
    let stop = AtomicBool::new(false);
    let addr = running.addr();
    let probe_deadline = Instant::now() + opts.bench_timeout + Duration::from_secs(5);
    let (bench, (probe_samples, probe_errors), wall, server, client, core_io) =
        std::thread::scope(|s| -> Result<_> {
            let prober = s.spawn(|| {
                probe(
                    addr,
                    opts.probe_interval,
                    opts.probe_max,
                    probe_deadline,
                    &stop,
                )
            });
            // The probe connects before the load starts.
            sleep(Duration::from_millis(20));
            let io_before = core_io(running.pid);
            let before = cpu::sample(running.pid);
            let client_before = cpu::children_cpu();
            let started = Instant::now();
            let bench = process::run_bounded(
                &program,
                &args,
                opts.bench_timeout,
                &running.dir,
                &format!("{}-p{pipeline}", phase.short()),
            );
            let wall = started.elapsed();
            let after = cpu::sample(running.pid);
            let client = cpu::children_cpu().saturating_sub(client_before);
            let io = core_io(running.pid).zip(io_before).map(|(a, b)| Io {
                rchar: a.rchar.saturating_sub(b.rchar),
                read_bytes: a.read_bytes.saturating_sub(b.read_bytes),
            });
            stop.store(true, Ordering::Relaxed);
            let probed = prober.join().unwrap_or_else(|_| (Samples::default(), 1));
            let server = after?.since(&before?);
            Ok((bench?, probed, wall, server, client, io))
        })?;
    running.check_alive()?;
    let rows =
        csv::parse(&bench.stdout).with_context(|| format!("stderr: {}", bench.stderr.trim()))?;
    let row = rows
        .iter()
        .find(|r| r.test == "GET")
        .with_context(|| format!("no GET row in {:?}", bench.stdout))?;
    let (heavy_after, misses_after) = pools_now(running);
    let heavy = heavy_after
        .zip(heavy_before)
        .map(|(a, b)| a.saturating_sub(b));
    let misses = misses_after
        .zip(misses_before)
        .map(|(a, b)| a.saturating_sub(b));
    eprintln!(
        "[corekv-bench]   {} -P {pipeline}: {:.0} rps, {:.2} µs CPU/GET, probe p99 {:.0} µs",
        phase.short(),
        row.rps,
        server.per_request_us(requests),
        probe_samples.summary().p99_us
    );
    Ok(Measured {
        phase,
        pipeline,
        requests,
        keys,
        rps: row.rps,
        p50_ms: row.p50_ms,
        p99_ms: row.p99_ms,
        wall,
        server,
        client,
        probe: probe_samples.summary(),
        probe_errors,
        core_io,
        heavy,
        misses,
    })
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

/// The markdown report.
pub fn render(facts: &[String], commands: &[String], opts: &Options, out: &Outcome) -> String {
    let mut md = String::new();
    md.push_str("## Data larger than the caches (`corekv-bench --bigger-than-cache`)\n\n");
    for fact in facts {
        let _ = writeln!(md, "- {fact}");
    }
    let _ = writeln!(
        md,
        "- server: `corekv --cores 1 --fsync never`, a fresh directory per case; large case \
         `--cache-mb {} --block-cache-mb {}` with {} keys, reference with the default caches \
         and {} keys",
        opts.cache_mb, opts.block_cache_mb, opts.keys, opts.hot_keys
    );
    let _ = writeln!(
        md,
        "- load: `SET key:%012d <{} printable bytes, different per key>` for every key in \
         order, over {} connections (contiguous ranges) with {} SETs in flight each; then \
         DBSIZE, 1000 random GETs checked, and a wait (≤ {:?}) until the server uses under \
         10% of a CPU over a second",
        opts.value_len, opts.load_conns, opts.load_window, opts.settle_bound
    );
    let _ = writeln!(
        md,
        "- GET: `redis-benchmark -c {} -t get -r KEYS -P depth` (uniform random keys over all \
         loaded keys), one unmeasured warm-up run of {} requests at the deepest depth, then -n \
         {} at -P 1 and {} deeper; the cold runs use -n {} each, right after the server's own \
         files were dropped from the page cache (`posix_fadvise(DONTNEED)`)",
        opts.clients,
        opts.warmup_requests,
        opts.requests_p1,
        opts.requests_pipelined,
        opts.cold_requests
    );
    let _ = writeln!(
        md,
        "- CPU: utime + stime of every server thread (`/proc/PID/task/*/stat`) around each \
         redis-benchmark run, divided by its requests; redis-benchmark's own from \
         `getrusage(RUSAGE_CHILDREN)`. Other processes share this machine's CPUs, so rps \
         moves with them; CPU per GET much less"
    );
    let _ = writeln!(
        md,
        "- probe: a separate connection sends PING every {:?} during each run (at most {}), \
         latency from each send; a stall of the executor delays the PING waiting on it (and \
         the next one is sent late, so slow PINGs are counted once per stall, not per \
         millisecond). Executor bytes: `rchar` and `read_bytes` of the `core-N` threads \
         (`/proc/PID/task/TID/io`) over the run: what the executor read by system call (page \
         cache or not) and what the kernel fetched from storage for it, per GET. Heavy-pool \
         jobs and miss-pool GETs: the stats socket's `heavy_submitted` and \
         `misses.submitted` over the run (0 and 0: every GET was served on the executor; \
         the miss pool takes a GET that misses the row cache while misses are slow, \
         docs/design/0022)\n",
        opts.probe_interval, opts.probe_max
    );

    md.push_str("### Loading\n\n| keys | corekv flags | load s | keys/s | DBSIZE | settled after s | directory MiB |\n|---:|---|---:|---:|---:|---:|---:|\n");
    for l in &out.loaded {
        let flags = l.case.extra_args(opts).join(" ");
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {:.0} | {} | {:.0}{} | {:.0} |",
            l.keys,
            if flags.is_empty() {
                "(defaults)".to_string()
            } else {
                format!("`{flags}`")
            },
            l.secs,
            l.keys as f64 / l.secs.max(1e-9),
            l.dbsize,
            l.settle_secs,
            if l.settled { "" } else { " (not quiet)" },
            l.disk_bytes as f64 / (1 << 20) as f64
        );
    }
    md.push('\n');

    let find = |phase: Phase, pipeline: u32| {
        out.measured
            .iter()
            .find(|m| m.phase == phase && m.pipeline == pipeline)
    };
    md.push_str(
        "### GET throughput and CPU\n\n\
         | data | -P | requests | rps | p50 ms | p99 ms | server µs/GET | by thread (µs/GET) | server busy | redis-benchmark µs/GET | rps ÷ all-cached | µs/GET ÷ all-cached |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n",
    );
    for phase in [Phase::Cached, Phase::Uncached, Phase::Cold] {
        for &pipeline in &opts.pipelines {
            let Some(m) = find(phase, pipeline) else {
                continue;
            };
            let base = find(Phase::Cached, pipeline).filter(|_| phase != Phase::Cached);
            let (rps_ratio, cpu_ratio) = match base {
                Some(b) => (
                    latency::ratio(m.rps, b.rps),
                    latency::ratio(m.server_us(), b.server_us()),
                ),
                None => ("—".to_string(), "—".to_string()),
            };
            let mut groups: Vec<(String, f64)> = m
                .server
                .by_group
                .iter()
                .map(|(g, d)| (g.clone(), d.as_secs_f64() * 1e6 / m.requests.max(1) as f64))
                .collect();
            groups.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let wall = m.wall.as_secs_f64().max(1e-9);
            let _ = writeln!(
                md,
                "| {} ({} keys) | {} | {} | {:.0} | {} | {} | {:.2} | {} | {:.2} | {:.2} | {rps_ratio} | {cpu_ratio} |",
                phase.short(),
                m.keys,
                m.pipeline,
                m.requests,
                m.rps,
                ms(m.p50_ms),
                ms(m.p99_ms),
                m.server_us(),
                crate::report::groups_cell(&groups),
                m.server.total.as_secs_f64() / wall,
                m.client.as_secs_f64() * 1e6 / m.requests.max(1) as f64,
            );
        }
    }
    md.push('\n');

    md.push_str("Target (issue 12, must-show 6): GET uniform over the large data set ≥ 0.5× the all-cached rps.\n\n");
    for phase in [Phase::Uncached, Phase::Cold] {
        for &pipeline in &opts.pipelines {
            if let (Some(m), Some(b)) = (find(phase, pipeline), find(Phase::Cached, pipeline)) {
                let r = m.rps / b.rps.max(1e-9);
                // Three decimals: 0.4996 must not read as a met 0.50.
                let _ = writeln!(
                    md,
                    "- {} at -P {pipeline}: {r:.3}× — {}",
                    phase.title(),
                    if r >= 0.5 { "met" } else { "**missed**" }
                );
            }
        }
    }
    md.push('\n');

    md.push_str(
        "### Executor stalls\n\n\
         | data | -P | probe PINGs | probe p50 µs | p99 µs | p99.9 µs | max µs | executor read() bytes/GET | executor bytes from disk/GET | heavy-pool jobs | miss-pool GETs |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for phase in [Phase::Cached, Phase::Uncached, Phase::Cold] {
        for &pipeline in &opts.pipelines {
            let Some(m) = find(phase, pipeline) else {
                continue;
            };
            let errors = if m.probe_errors > 0 {
                format!(" ({} errors)", m.probe_errors)
            } else {
                String::new()
            };
            let per = |b: u64| format!("{:.0}", b as f64 / m.requests.max(1) as f64);
            let (rchar, disk) = m.core_io.map_or(("—".to_string(), "—".to_string()), |io| {
                (per(io.rchar), per(io.read_bytes))
            });
            let _ = writeln!(
                md,
                "| {} | {} | {}{errors} | {} | {} | {} | {} | {rchar} | {disk} | {} | {} |",
                phase.short(),
                m.pipeline,
                m.probe.count,
                latency::us(m.probe.p50_us),
                latency::us(m.probe.p99_us),
                latency::us(m.probe.p999_us),
                latency::us(m.probe.max_us),
                m.heavy.map_or_else(|| "—".to_string(), |h| h.to_string()),
                m.misses.map_or_else(|| "—".to_string(), |h| h.to_string()),
            );
        }
    }
    md.push('\n');
    crate::report::failures_and_commands(&mut md, &out.failures, "Commands", commands);
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn keys_are_named_as_redis_benchmark_names_them() {
        // redis-benchmark -r replaces `__rand_int__` in `key:__rand_int__`
        // with the number zero-padded to 12 digits.
        assert_eq!(key(0), "key:000000000000");
        assert_eq!(key(4_999_999), "key:000004999999");
        let v = value(7, 100);
        assert_eq!(v.len(), 100);
        assert_eq!(v, value(7, 100), "deterministic");
        assert_ne!(v, value(8, 100));
        assert!(v.iter().all(|b| b.is_ascii_graphic()));
        assert!(v.iter().any(|&b| b != v[0]), "not one repeated byte");
    }

    #[test]
    fn ranges_cover_everything_once() {
        let r = ranges(10, 4);
        assert_eq!(r, vec![0..3, 3..6, 6..8, 8..10]);
        assert_eq!(ranges(2, 4), vec![0..1, 1..2]);
        assert_eq!(ranges(5, 0), vec![0..5]);
        let big = ranges(5_000_000, 3);
        assert_eq!(big.iter().map(|r| r.end - r.start).sum::<u64>(), 5_000_000);
        assert_eq!(big.last().map(|r| r.end), Some(5_000_000));
    }

    #[test]
    fn bench_args_ask_for_uniform_gets() {
        let a = bench_args(7000, 50, 200_000, 5_000_000, 16).join(" ");
        assert_eq!(
            a,
            "-h 127.0.0.1 -p 7000 -c 50 -n 200000 -r 5000000 -t get -P 16 --csv -q"
        );
    }

    #[test]
    fn io_files_parse() {
        let text = "rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\n\
                    write_bytes: 0\ncancelled_write_bytes: 0\n";
        assert_eq!(
            parse_io(text),
            Some(Io {
                rchar: 6976,
                read_bytes: 4096
            })
        );
        assert_eq!(parse_io("rchar: 1\n"), None);
        assert_eq!(parse_io(""), None);
        // This process's executor-less threads still have io files.
        let own = std::fs::read_to_string("/proc/self/io").unwrap();
        assert!(parse_io(&own).is_some());
    }

    #[test]
    fn heavy_count_is_read_from_the_stats_document() {
        assert_eq!(
            heavy_submitted(r#"{"node":{"heavy_submitted":12,"cores":1},"cores":[]}"#),
            Some(12)
        );
        assert_eq!(heavy_submitted(r#"{"node":{}}"#), None);
        assert_eq!(heavy_submitted("not json"), None);
        assert_eq!(
            miss_submitted(r#"{"node":{"misses":{"submitted":7},"cores":1},"cores":[]}"#),
            Some(7)
        );
        assert_eq!(miss_submitted(r#"{"node":{"heavy_submitted":12}}"#), None);
    }

    fn opts() -> Options {
        Options {
            keys: 5_000_000,
            hot_keys: 100_000,
            value_len: 100,
            cache_mb: 8,
            block_cache_mb: 8,
            load_conns: 4,
            load_window: 1000,
            load_bound: Duration::from_secs(300),
            settle_bound: Duration::from_secs(60),
            pipelines: vec![16, 1],
            clients: 50,
            requests_p1: 100_000,
            requests_pipelined: 200_000,
            warmup_requests: 100_000,
            cold_requests: 50_000,
            probe_interval: Duration::from_millis(1),
            probe_max: 100_000,
            bench_timeout: Duration::from_secs(120),
            redis_benchmark: PathBuf::from("redis-benchmark"),
        }
    }

    fn measured(phase: Phase, pipeline: u32, rps: f64, cpu_ms: u64) -> Measured {
        let mut by_group = BTreeMap::new();
        by_group.insert("core".to_string(), Duration::from_millis(cpu_ms));
        Measured {
            phase,
            pipeline,
            requests: 100_000,
            keys: if phase == Phase::Cached {
                100_000
            } else {
                5_000_000
            },
            rps,
            p50_ms: Some(0.5),
            p99_ms: None,
            wall: Duration::from_secs(1),
            server: Used {
                total: Duration::from_millis(cpu_ms),
                by_group,
            },
            client: Duration::from_millis(300),
            probe: latency::Summary {
                count: 1000,
                p50_us: 100.0,
                p99_us: 900.0,
                p999_us: 1500.0,
                max_us: 2000.0,
            },
            probe_errors: 0,
            core_io: Some(Io {
                rchar: 409_600_000,
                read_bytes: 0,
            }),
            heavy: Some(0),
            misses: Some(0),
        }
    }

    #[test]
    fn report_gives_ratios_verdicts_and_stalls() {
        let o = opts();
        let out = Outcome {
            loaded: vec![Loaded {
                case: Case::Big,
                keys: 5_000_000,
                secs: 25.0,
                dbsize: 5_000_000,
                settle_secs: 3.0,
                settled: true,
                disk_bytes: 600 << 20,
            }],
            measured: vec![
                measured(Phase::Cached, 16, 500_000.0, 110),
                measured(Phase::Cached, 1, 80_000.0, 300),
                measured(Phase::Uncached, 16, 150_000.0, 670),
                measured(Phase::Uncached, 1, 72_000.0, 400),
            ],
            failures: vec!["cold: boom".into()],
        };
        let md = render(&["machine: test".into()], &["corekv x".into()], &o, &out);
        assert!(md.contains("- machine: test"), "{md}");
        assert!(
            md.contains("| 5000000 | `--cache-mb 8 --block-cache-mb 8` | 25.0 | 200000 | 5000000 | 3 | 600 |"),
            "{md}"
        );
        assert!(
            md.contains("| uncached (5000000 keys) | 16 | 100000 | 150000 | 0.500 | — | 6.70 | core 6.70 | 0.67 | 3.00 | 0.30× | 6.09× |"),
            "{md}"
        );
        assert!(
            md.contains("| cached (100000 keys) | 16 | 100000 | 500000 | 0.500 | — | 1.10 | core 1.10 | 0.11 | 3.00 | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("larger than the caches (page cache warm) at -P 16: 0.300× — **missed**"),
            "{md}"
        );
        assert!(
            md.contains("larger than the caches (page cache warm) at -P 1: 0.900× — met"),
            "{md}"
        );
        assert!(
            md.contains("| uncached | 1 | 1000 | 100 | 900 | 1500 | 2000 | 4096 | 0 | 0 |"),
            "{md}"
        );
        assert!(md.contains("- cold: boom"), "{md}");
        assert!(md.contains("```\ncorekv x\n```"), "{md}");
        // No cold runs measured: no cold rows, no cold verdicts.
        assert!(!md.contains("| cold ("), "{md}");
    }
}
