//! `corekv-bench`: runs `redis-benchmark` against redis-server and corekv in
//! one session and prints a markdown report with corekv/Redis ratios. Each
//! server configuration gets its own free loopback port and a fresh
//! directory, is waited for with PING, benchmarked at every pipeline depth,
//! then stopped; every step has a deadline, so the program always ends.
//! Results belong in `docs/benchmarks.md`; see `bench/README.md`.
//!
//! `--cluster N` benchmarks a local N-node corekv cluster instead (against
//! the matching Redis baseline, in the same rounds), reports the Raft
//! commit latency from every node's stats socket, and measures leader
//! failover (kill -9 of a leader under writes, restart, catch-up).
//!
//! `--collection-reads` and `--xread-drill` are two more programs sharing
//! the server handling: read latency on collections of 1k to 1M entries,
//! and the XREAD starvation drill (issue 10); they talk RESP themselves
//! and need no redis-benchmark.
//!
//! `--bigger-than-cache` runs GET over data ten times the caches against
//! an all-cached reference, with a PING probe for executor stalls (issue
//! 12, must-show 6).

mod bigcache;
mod cluster;
mod collections;
mod cpu;
mod csv;
mod drill;
mod failover;
mod latency;
mod process;
mod raftstats;
mod report;
mod resp;
mod servers;
mod single;
mod tls;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use argh::FromArgs;

use crate::cluster::Cluster;
use crate::process::{Job, Server, capture, shell_line};
use crate::report::{ClusterSection, CommitSample, Header, Run, TestCpu};
use crate::servers::{Binaries, Config, Fsync, Kind, MATRIX};

/// Benchmark corekv against redis-server 7 with redis-benchmark, in the
/// same run, and print a markdown table of rps, p50, p99 and ratios.
#[derive(FromArgs)]
struct Args {
    /// comma-separated server configs or prefixes to run: redis,
    /// corekv, redis-nopersist, redis-aof-always, corekv-c1-never,
    /// corekv-c1-always, corekv-c2-always, corekv-c2-never (default: all;
    /// with --cluster: only the cluster's Redis baseline)
    #[argh(option)]
    only: Option<String>,

    /// benchmark a local cluster of this many corekv nodes (all on this
    /// machine) against the matching Redis baseline, then measure leader
    /// failover; see bench/README.md
    #[argh(option)]
    cluster: Option<u32>,

    /// the --cores of every cluster node (default: 1)
    #[argh(option, default = "1")]
    cluster_cores: u32,

    /// the --fsync of every cluster node, always or never (default: always;
    /// compared with redis appendfsync always, resp. no persistence)
    #[argh(option, default = "String::from(\"always\")")]
    cluster_fsync: String,

    /// where redis-benchmark sends the cluster load: node1 (one
    /// redis-benchmark against node 1), all (one per node at the same
    /// time, clients and requests split, rps summed), or both
    /// (default: node1)
    #[argh(option, default = "String::from(\"node1\")")]
    cluster_target: String,

    /// leader failover rounds after the throughput runs, on one fresh
    /// cluster; 0 skips them (default: 3; needs --cluster of at least 3)
    #[argh(option, default = "3")]
    failover_rounds: u32,

    /// writer threads during a failover round (default: 4)
    #[argh(option, default = "4")]
    failover_clients: usize,

    /// how long the killed node stays down, from the kill, in ms
    /// (default: 2000)
    #[argh(option, default = "2000")]
    failover_down_ms: u64,

    /// bound on each failover wait (writes resuming, catch-up, leaders
    /// back), seconds (default: 30)
    #[argh(option, default = "30")]
    failover_timeout_s: u64,

    /// with --cluster: skip redis-benchmark, only measure failover
    #[argh(switch)]
    failover_only: bool,

    /// comma-separated pipeline depths for -P (default: 1,16)
    #[argh(option, default = "String::from(\"1,16\")")]
    pipelines: String,

    /// redis-benchmark -t list (default: set,get)
    #[argh(option, default = "String::from(\"set,get\")")]
    tests: String,

    /// requests per test at pipeline depth 1 (default: 100000)
    #[argh(option, default = "100_000")]
    requests_p1: u64,

    /// requests per test at every pipeline depth above 1 (default: 200000)
    #[argh(option, default = "200_000")]
    requests_pipelined: u64,

    /// parallel connections, redis-benchmark -c (default: 50)
    #[argh(option, default = "50")]
    clients: u32,

    /// random keyspace size, redis-benchmark -r (default: 100000)
    #[argh(option, default = "100_000")]
    keyspace: u64,

    /// pin the server to --server-cpu and redis-benchmark to --bench-cpu
    /// with taskset (the fair setup for --cores 1 on a 2-CPU machine)
    #[argh(switch)]
    taskset: bool,

    /// CPU for the server with --taskset (default: 0)
    #[argh(option, default = "0")]
    server_cpu: u32,

    /// CPU for redis-benchmark with --taskset (default: 1)
    #[argh(option, default = "1")]
    bench_cpu: u32,

    /// corekv binary (default: target/release/corekv of the workspace)
    #[argh(option)]
    corekv: Option<PathBuf>,

    /// serve and benchmark over TLS: every server also opens a TLS port
    /// (redis-server and corekv with the same --tls-* flags, client
    /// certificates required) and redis-benchmark connects there with
    /// --tls; the certificates are made with openssl in the scratch dir
    #[argh(switch)]
    tls: bool,

    /// extra argument appended to every corekv command line (repeatable)
    #[argh(option)]
    corekv_arg: Vec<String>,

    /// after each corekv run, run corekv-stats on its stats socket and
    /// include the output in the report
    #[argh(switch)]
    stats: bool,

    /// corekv-stats binary (default: next to the corekv binary)
    #[argh(option)]
    corekv_stats: Option<PathBuf>,

    /// redis-server binary (default: redis-server from PATH)
    #[argh(option, default = "PathBuf::from(\"redis-server\")")]
    redis_server: PathBuf,

    /// redis-benchmark binary (default: redis-benchmark from PATH)
    #[argh(option, default = "PathBuf::from(\"redis-benchmark\")")]
    redis_benchmark: PathBuf,

    /// also write the markdown report to this file
    #[argh(option)]
    out: Option<PathBuf>,

    /// rounds over the whole selection; tables show the median (and the
    /// min–max of rps when above 1) (default: 1)
    #[argh(option, default = "1")]
    rounds: u32,

    /// parent of the per-server directories; must be a real disk for the
    /// fsync configurations to mean anything (default: the temp dir)
    #[argh(option)]
    scratch_dir: Option<PathBuf>,

    /// keep the per-server directories instead of deleting them
    #[argh(switch)]
    keep_dirs: bool,

    /// watchdog for one redis-benchmark run, seconds (default: 120)
    #[argh(option, default = "120")]
    bench_timeout_s: u64,

    /// how long a server may take to answer PING, seconds (default: 15)
    #[argh(option, default = "15")]
    startup_timeout_s: u64,

    /// grace between SIGTERM and SIGKILL, seconds (default: 10)
    #[argh(option, default = "10")]
    stop_timeout_s: u64,

    /// instead of redis-benchmark: read latency of HGET, ZSCORE, ZRANGE
    /// 0 9, LINDEX and XREAD COUNT 10 on collections of --sizes entries,
    /// redis-nopersist against corekv-c1-never (or --only)
    #[argh(switch)]
    collection_reads: bool,

    /// collection sizes for --collection-reads (default: 1000,100000,1000000)
    #[argh(option, default = "String::from(\"1000,100000,1000000\")")]
    sizes: String,

    /// measured requests per read and size (default: 20000)
    #[argh(option, default = "20_000")]
    read_requests: u64,

    /// unmeasured requests before each measured read (default: 1000)
    #[argh(option, default = "1000")]
    read_warmup: u64,

    /// bound on one read's measured requests, seconds (default: 60)
    #[argh(option, default = "60")]
    read_timeout_s: u64,

    /// elements per HSET/ZADD/RPUSH while loading (default: 1000)
    #[argh(option, default = "1000")]
    load_batch: usize,

    /// bound on loading one size into one server, seconds (default: 600)
    #[argh(option, default = "600")]
    load_timeout_s: u64,

    /// instead of redis-benchmark: the XREAD starvation drill (flooders of
    /// XREAD, XRANGE, KEYS and SCAN against paced SET/GET latency),
    /// redis-nopersist against corekv-c1-never (or --only)
    #[argh(switch)]
    xread_drill: bool,

    /// entries XADDed to stream s for --xread-drill; 0: no stream, for a
    /// KEYS/SCAN-only drill with --drill-xread 0 --drill-xrange 0
    /// (default: 100000)
    #[argh(option, default = "100_000")]
    drill_entries: u64,

    /// filler string keys for KEYS and SCAN to walk (default: 10000)
    #[argh(option, default = "10_000")]
    drill_filler_keys: u64,

    /// paced SETs (and then GETs) per phase; p99 is the 1%-worst of them,
    /// so 300 made it the third-worst sample (default: 2000)
    #[argh(option, default = "2000")]
    drill_paced: u64,

    /// interval between paced requests, ms (default: 2)
    #[argh(option, default = "2")]
    drill_interval_ms: u64,

    /// connections looping XREAD COUNT 100 STREAMS s 0 (default: 37)
    #[argh(option, default = "37")]
    drill_xread: usize,

    /// connections looping XRANGE s - + (default: 4)
    #[argh(option, default = "4")]
    drill_xrange: usize,

    /// connections looping KEYS * (default: 2)
    #[argh(option, default = "2")]
    drill_keys: usize,

    /// connections looping SCAN 0 COUNT 1000 (default: 2)
    #[argh(option, default = "2")]
    drill_scan: usize,

    /// flooding before the paced client measures, ms (default: 1000)
    #[argh(option, default = "1000")]
    drill_warmup_ms: u64,

    /// hard bound on the attack phase, seconds (default: 120)
    #[argh(option, default = "120")]
    drill_timeout_s: u64,

    /// nice value of the drill's flooder threads, 0..=19 (default: 0; 19
    /// keeps the load generator from preempting the server and the paced
    /// client on a small machine)
    #[argh(option, default = "0")]
    drill_flooder_nice: i32,

    /// confine the drill's flooder threads to this CPU (default: any)
    #[argh(option)]
    drill_flooder_cpu: Option<usize>,

    /// instead of the matrix: GET with uniform random keys over data ten
    /// times corekv's caches against an all-cached reference (--keyspace
    /// keys, default caches), with server CPU per GET and a PING probe
    /// for executor stalls; see bench/README.md
    #[argh(switch)]
    bigger_than_cache: bool,

    /// keys of the large data set for --bigger-than-cache (default: 5000000)
    #[argh(option, default = "5_000_000")]
    big_keys: u64,

    /// value size in bytes for --bigger-than-cache (default: 100)
    #[argh(option, default = "100")]
    big_value_bytes: usize,

    /// corekv --cache-mb of the large case (default: 8)
    #[argh(option, default = "8")]
    big_cache_mb: u32,

    /// corekv --block-cache-mb of the large case (default: 8)
    #[argh(option, default = "8")]
    big_block_cache_mb: u32,

    /// loading connections for --bigger-than-cache (default: 4)
    #[argh(option, default = "4")]
    load_conns: usize,

    /// SETs in flight per loading connection (default: 1000)
    #[argh(option, default = "1000")]
    load_window: usize,

    /// bound on waiting for the server to go quiet after loading, seconds
    /// (default: 120)
    #[argh(option, default = "120")]
    settle_timeout_s: u64,

    /// unmeasured GETs before the measured runs of each data set
    /// (default: 200000)
    #[argh(option, default = "200_000")]
    warmup_requests: u64,

    /// GETs per run with the server's files dropped from the page cache
    /// first; 0 skips those runs (default: 50000)
    #[argh(option, default = "50_000")]
    cold_requests: u64,

    /// interval of the PING probe, microseconds (default: 1000)
    #[argh(option, default = "1000")]
    probe_interval_us: u64,

    /// most PINGs the probe sends per run (default: 100000)
    #[argh(option, default = "100_000")]
    probe_max: u64,
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// corekv next to this binary if that is a release build directory (cargo
/// builds both into the same target directory, whatever CARGO_TARGET_DIR
/// is), else target/release/corekv of the workspace this was built from,
/// else of the current directory; the first that exists wins.
fn default_corekv() -> PathBuf {
    let beside = std::env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?;
        (dir.file_name()? == "release").then(|| dir.join("corekv"))
    });
    let candidates = [
        workspace_root().join("target/release/corekv"),
        PathBuf::from("target/release/corekv"),
    ];
    if let Some(beside) = beside.filter(|p| p.is_file()) {
        return beside;
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or(&candidates[0])
        .clone()
}

/// Finds a program the way `Command` will: a path if it has a slash,
/// else the first match on PATH.
fn locate(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| anyhow::anyhow!("bad {what} {s:?}"))
        })
        .collect()
}

/// The 1/5/15-minute load averages; a loaded machine makes numbers noise.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// `total` split into `n` near-equal parts (the first ones larger).
fn split(total: u64, n: u64) -> Vec<u64> {
    let n = n.max(1);
    (0..n)
        .map(|i| total / n + u64::from(i < total % n))
        .collect()
}

struct Session {
    args: Args,
    bins: Binaries,
    redis_benchmark: PathBuf,
    corekv_stats: PathBuf,
    scratch: PathBuf,
    pipelines: Vec<u32>,
    commands: Vec<String>,
    stats: Vec<(String, String)>,
    runs: Vec<Run>,
    /// Load averages before and after the runs.
    load: (String, String),
    /// The cluster configurations of `--cluster` and what they measured.
    clusters: Vec<Config>,
    commit: Vec<CommitSample>,
    failover: Vec<failover::RoundResult>,
    failover_notes: Vec<String>,
    /// The failover cluster did not start or a node died in it.
    failover_broken: bool,
    /// `--tls`: the certificates every server and redis-benchmark use.
    tls: Option<tls::TlsFiles>,
}

impl Session {
    /// Logs one run's result and keeps it for the report.
    fn record(
        &mut self,
        config: Config,
        pipeline: u32,
        round: u32,
        outcome: Result<Vec<csv::BenchRow>, String>,
        cpu: Vec<TestCpu>,
    ) {
        match &outcome {
            Ok(rows) => {
                for row in rows {
                    eprintln!(
                        "[corekv-bench]   -P {pipeline} {}: {:.0} rps",
                        row.test, row.rps
                    );
                }
            }
            Err(err) => eprintln!("[corekv-bench]   -P {pipeline} failed: {err}"),
        }
        self.runs.push(Run {
            config,
            pipeline,
            round,
            requests: self.requests(pipeline),
            outcome,
            cpu,
        });
    }

    fn requests(&self, pipeline: u32) -> u64 {
        if pipeline <= 1 {
            self.args.requests_p1
        } else {
            self.args.requests_pipelined
        }
    }

    fn pin(&self, cpu: u32) -> Option<u32> {
        self.args.taskset.then_some(cpu)
    }

    /// Runs every pipeline depth against one server configuration. A failed
    /// start marks every depth failed; the session goes on either way.
    fn run_config(&mut self, config: Config, round: u32) {
        eprintln!(
            "[corekv-bench] round {round}/{}: {}",
            self.args.rounds,
            config.describe()
        );
        let result = if config.is_cluster() {
            self.try_run_cluster(config, round)
        } else {
            self.try_run_config(config, round)
        };
        if let Err(err) = result {
            let message = format!("{err:#}");
            eprintln!("[corekv-bench]   failed: {message}");
            for &pipeline in &self.pipelines.clone() {
                let already = self
                    .runs
                    .iter()
                    .any(|r| r.config == config && r.pipeline == pipeline && r.round == round);
                if !already {
                    self.runs.push(Run {
                        config,
                        pipeline,
                        round,
                        requests: self.requests(pipeline),
                        outcome: Err(message.clone()),
                        cpu: Vec::new(),
                    });
                }
            }
        }
    }

    fn try_run_config(&mut self, config: Config, round: u32) -> Result<()> {
        let dir = process::fresh_dir(&self.scratch, config.name)?;
        let result = self.run_in_dir(config, round, &dir);
        if self.args.keep_dirs {
            eprintln!("[corekv-bench]   kept {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    fn run_in_dir(&mut self, config: Config, round: u32, dir: &Path) -> Result<()> {
        let port = process::free_port()?;
        let stats_socket = dir.join("stats.sock");
        let (program, mut args) = config.command(
            &self.bins,
            port,
            dir,
            self.args.stats.then_some(stats_socket.as_path()),
            &self.args.corekv_arg,
        );
        // With --tls the load goes to the TLS port; the plain one stays
        // for the readiness PING.
        let bench_port = match &self.tls {
            Some(t) => {
                let tls_port = process::free_port()?;
                args.extend(t.server_args(tls_port));
                tls_port
            }
            None => port,
        };
        let (program, args) = process::command(&program, &args, self.pin(self.args.server_cpu));
        self.commands.push(shell_line(&program, &args));
        let mut server = Server::start(&program, &args, dir.join("server.log"))?;
        let pid = server.pid().context("server has no pid")?;
        server.wait_ready(port, Duration::from_secs(self.args.startup_timeout_s))?;

        for pipeline in self.pipelines.clone() {
            let outcome = self.bench_measured(bench_port, pid, pipeline, dir, config.name);
            let (outcome, cpu) = match outcome {
                Ok((rows, _)) if !server.is_running() => (
                    Err(format!(
                        "server exited during the run ({} rows measured); log:\n{}",
                        rows.len(),
                        server.log_tail()
                    )),
                    Vec::new(),
                ),
                Ok((rows, cpu)) => (Ok(rows), cpu),
                Err(err) => (Err(format!("{err:#}")), Vec::new()),
            };
            self.record(config, pipeline, round, outcome, cpu);
        }

        if self.args.stats && config.is_corekv() {
            let text = self.read_stats(&stats_socket, dir);
            self.stats
                .push((format!("{} (round {round})", config.describe()), text));
        }
        let status = server.stop(Duration::from_secs(self.args.stop_timeout_s))?;
        eprintln!("[corekv-bench]   stopped ({status})");
        Ok(())
    }

    /// One redis-benchmark invocation per test of `--tests`, each bracketed
    /// by samples of the server's CPU (every thread, from /proc) and of
    /// redis-benchmark's own (a reaped child's rusage), so every figure
    /// covers exactly one command's `-n` requests.
    fn bench_measured(
        &mut self,
        port: u16,
        pid: u32,
        pipeline: u32,
        dir: &Path,
        label: &str,
    ) -> Result<(Vec<csv::BenchRow>, Vec<TestCpu>)> {
        self.measure_each_test(&[pid], pipeline, label, |me, label, test| {
            me.bench_tests(port, pipeline, dir, label, test)
        })
    }

    /// Runs `run(self, label-test, test)` for each test of `--tests`, each
    /// bracketed by CPU samples of every thread of the `pids` processes
    /// (taken once they are quiet again after it: what a test leaves
    /// running, such as write-behind and flushes, is its cost, not the
    /// next test's) and of redis-benchmark's own CPU.
    fn measure_each_test(
        &mut self,
        pids: &[u32],
        pipeline: u32,
        label: &str,
        mut run: impl FnMut(&mut Self, &str, &str) -> Result<Vec<csv::BenchRow>>,
    ) -> Result<(Vec<csv::BenchRow>, Vec<TestCpu>)> {
        let mut rows = Vec::new();
        let mut cpus = Vec::new();
        for test in parse_list::<String>(&self.args.tests, "test")? {
            let before = cpu::sample_all(pids)?;
            let client_before = cpu::children_cpu();
            let started = std::time::Instant::now();
            let these = run(self, &format!("{label}-{test}"), &test)?;
            let wall = started.elapsed();
            let server = cpu::settle_all(pids, SETTLE_BOUND)?.since(&before);
            let client = cpu::children_cpu().saturating_sub(client_before);
            cpus.push(TestCpu::of(
                &these,
                self.requests(pipeline),
                wall,
                server,
                client,
            ));
            rows.extend(these);
        }
        Ok((rows, cpus))
    }

    fn bench_tests(
        &mut self,
        port: u16,
        pipeline: u32,
        dir: &Path,
        label: &str,
        tests: &str,
    ) -> Result<Vec<csv::BenchRow>> {
        let args = self.bench_args(
            port,
            pipeline,
            u64::from(self.args.clients),
            self.requests(pipeline),
            tests,
        );
        let (program, args) =
            process::command(&self.redis_benchmark, &args, self.pin(self.args.bench_cpu));
        self.commands.push(shell_line(&program, &args));
        let output = process::run_bounded(
            &program,
            &args,
            Duration::from_secs(self.args.bench_timeout_s),
            dir,
            &format!("{label}-p{pipeline}"),
        )?;
        csv::parse(&output.stdout).with_context(|| format!("stderr: {}", output.stderr.trim()))
    }

    fn bench_args(
        &self,
        port: u16,
        pipeline: u32,
        clients: u64,
        requests: u64,
        tests: &str,
    ) -> Vec<String> {
        let mut args: Vec<String> = [
            "-h".to_string(),
            "127.0.0.1".to_string(),
            "-p".to_string(),
            port.to_string(),
            "-c".to_string(),
            clients.to_string(),
            "-n".to_string(),
            requests.to_string(),
            "-r".to_string(),
            self.args.keyspace.to_string(),
            "-t".to_string(),
            tests.to_string(),
            "-P".to_string(),
            pipeline.to_string(),
            "--csv".to_string(),
            "-q".to_string(),
        ]
        .into();
        if let Some(t) = &self.tls {
            args.extend(t.client_args());
        }
        args
    }

    /// A cluster of `config`, laid out but not started.
    fn new_cluster(&mut self, config: Config, purpose: &str) -> Result<Cluster> {
        self.commands
            .push(format!("# {}: {purpose}", config.describe()));
        Cluster::new(
            &config,
            &self.bins,
            &self.scratch,
            &self.args.corekv_arg,
            self.pin(self.args.server_cpu),
            &mut self.commands,
        )
    }

    /// Stops every node and removes the cluster's directory (unless
    /// `--keep-dirs`).
    fn finish_cluster(&self, mut cluster: Cluster) {
        for (id, status) in cluster.stop(Duration::from_secs(self.args.stop_timeout_s)) {
            match status {
                Ok(status) => eprintln!("[corekv-bench]   node {id} stopped ({status})"),
                Err(err) => eprintln!("[corekv-bench]   node {id}: {err:#}"),
            }
        }
        if self.args.keep_dirs {
            eprintln!("[corekv-bench]   kept {}", cluster.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&cluster.dir);
        }
    }

    fn try_run_cluster(&mut self, config: Config, round: u32) -> Result<()> {
        let mut cluster = self.new_cluster(config, &format!("round {round}"))?;
        let result = cluster
            .start(Duration::from_secs(self.args.startup_timeout_s))
            .and_then(|()| self.run_on_cluster(config, round, &mut cluster));
        self.finish_cluster(cluster);
        result
    }

    fn run_on_cluster(&mut self, config: Config, round: u32, cluster: &mut Cluster) -> Result<()> {
        let (leaders, _) = cluster.wait_settled(
            Duration::from_secs(self.args.startup_timeout_s),
            Duration::from_millis(500),
            false,
        )?;
        eprintln!("[corekv-bench]   leaders (group → node): {leaders:?}");
        let spread = matches!(config.kind, Kind::Cluster { spread: true, .. });
        for pipeline in self.pipelines.clone() {
            // Histograms from here on cover this depth only.
            cluster.reset_stats()?;
            let label = format!("{}-r{round}", config.name);
            let outcome = self.bench_cluster_measured(cluster, pipeline, &label, spread);
            let (outcome, cpu) = match (outcome, cluster.check_running()) {
                (Ok(_), Err(err)) => (Err(format!("{err:#}")), Vec::new()),
                (Ok((rows, cpu)), Ok(())) => (Ok(rows), cpu),
                (Err(err), _) => (Err(format!("{err:#}")), Vec::new()),
            };
            self.record(config, pipeline, round, outcome, cpu);
            for node in &cluster.nodes {
                match raftstats::fetch(&node.stats_socket) {
                    Ok(stats) => {
                        for (core, hist) in stats.histogram(raftstats::RAFT_COMMIT) {
                            self.commit.push(CommitSample {
                                config: config.name,
                                round,
                                pipeline,
                                node: node.id,
                                core,
                                hist,
                            });
                        }
                    }
                    Err(err) => eprintln!("[corekv-bench]   node {}: {err:#}", node.id),
                }
                if self.args.stats {
                    let text = self.read_stats(&node.stats_socket, &node.dir);
                    self.stats.push((
                        format!(
                            "{} node {} after -P {pipeline} (round {round})",
                            config.describe(),
                            node.id
                        ),
                        text,
                    ));
                }
            }
        }
        Ok(())
    }

    /// One invocation per test of `--tests` against the cluster (node 1, or
    /// every node with `spread`), each bracketed by samples of every
    /// thread of every node process (from /proc) and of redis-benchmark's
    /// own CPU: the cluster's CPU per request is all three nodes' together,
    /// against one redis-server process.
    fn bench_cluster_measured(
        &mut self,
        cluster: &Cluster,
        pipeline: u32,
        label: &str,
        spread: bool,
    ) -> Result<(Vec<csv::BenchRow>, Vec<TestCpu>)> {
        let pids: Vec<u32> = cluster.nodes.iter().filter_map(|n| n.pid()).collect();
        self.measure_each_test(&pids, pipeline, label, |me, label, test| {
            if spread {
                me.bench_spread(cluster, pipeline, label, test)
            } else {
                let port = cluster.nodes.first().map(|n| n.port).unwrap_or_default();
                me.bench_tests(port, pipeline, &cluster.dir, label, test)
            }
        })
    }

    /// One redis-benchmark per node at the same time, clients and requests
    /// split evenly; the rows are merged (see [`csv::merge_concurrent`]).
    fn bench_spread(
        &mut self,
        cluster: &Cluster,
        pipeline: u32,
        label: &str,
        tests: &str,
    ) -> Result<Vec<csv::BenchRow>> {
        let n = cluster.nodes.len().max(1) as u64;
        let clients = split(u64::from(self.args.clients), n);
        let requests = split(self.requests(pipeline), n);
        let mut jobs = Vec::new();
        for (i, node) in cluster.nodes.iter().enumerate() {
            let (Some(&c), Some(&r)) = (clients.get(i), requests.get(i)) else {
                continue;
            };
            if c == 0 || r == 0 {
                continue;
            }
            let args = self.bench_args(node.port, pipeline, c, r, tests);
            let (program, args) =
                process::command(&self.redis_benchmark, &args, self.pin(self.args.bench_cpu));
            self.commands
                .push(format!("{} &", shell_line(&program, &args)));
            jobs.push(Job {
                program,
                args,
                label: format!("{label}-p{pipeline}-node{}", node.id),
            });
        }
        let results = process::run_bounded_all(
            &jobs,
            Duration::from_secs(self.args.bench_timeout_s),
            &cluster.dir,
        );
        let mut all = Vec::new();
        for result in results {
            let output = result?;
            all.push(
                csv::parse(&output.stdout)
                    .with_context(|| format!("stderr: {}", output.stderr.trim()))?,
            );
        }
        csv::merge_concurrent(&all)
    }

    /// Leader failover rounds on one fresh cluster of the first cluster
    /// configuration.
    fn run_failover(&mut self, config: Config) {
        let Kind::Cluster { nodes, .. } = config.kind else {
            return;
        };
        let rounds = self.args.failover_rounds;
        if rounds == 0 {
            return;
        }
        if nodes < 3 {
            self.failover_notes.push(format!(
                "skipped: {nodes} nodes cannot lose one and keep a majority"
            ));
            return;
        }
        eprintln!("[corekv-bench] failover: {rounds} rounds on a fresh cluster");
        let mut cluster = match self.new_cluster(config, "failover rounds") {
            Ok(c) => c,
            Err(err) => {
                self.failover_notes
                    .push(format!("cluster did not start: {err:#}"));
                self.failover_broken = true;
                return;
            }
        };
        if let Err(err) = cluster.start(Duration::from_secs(self.args.startup_timeout_s)) {
            self.failover_notes
                .push(format!("cluster did not start: {err:#}"));
            self.failover_broken = true;
            self.finish_cluster(cluster);
            return;
        }
        let options = failover::Options {
            clients: self.args.failover_clients.max(1),
            down: Duration::from_millis(self.args.failover_down_ms),
            timeout: Duration::from_secs(self.args.failover_timeout_s),
            startup: Duration::from_secs(self.args.startup_timeout_s),
        };
        for round in 1..=rounds {
            let result = failover::run_round(&mut cluster, round, &options);
            if let Err(err) = &result.outcome {
                eprintln!("[corekv-bench]   failover {round} failed: {err}");
            }
            self.failover.push(result);
            if let Err(err) = cluster.check_running() {
                self.failover_notes
                    .push(format!("stopped after round {round}: {err:#}"));
                self.failover_broken = true;
                break;
            }
        }
        if let Ok(notes) = self.log_notes(&cluster) {
            self.failover_notes.extend(notes);
        }
        self.finish_cluster(cluster);
    }

    /// Lines of the failover cluster's node logs worth showing (errors,
    /// panics), at most a few per node.
    fn log_notes(&self, cluster: &Cluster) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        for node in &cluster.nodes {
            let mut logs: Vec<PathBuf> = std::fs::read_dir(&node.dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect();
            logs.sort();
            for log in logs {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let interesting: Vec<&str> = text
                    .lines()
                    .filter(|l| {
                        let l = l.to_ascii_lowercase();
                        l.contains("panic") || l.contains("error") || l.contains("fatal")
                    })
                    .collect();
                if let Some(first) = interesting.first() {
                    notes.push(format!(
                        "node {} log {}: {} line(s) with error/panic, first: `{}`",
                        node.id,
                        log.file_name().unwrap_or_default().to_string_lossy(),
                        interesting.len(),
                        first.trim()
                    ));
                }
            }
        }
        Ok(notes)
    }

    fn read_stats(&mut self, socket: &Path, dir: &Path) -> String {
        let args = vec!["--socket".to_string(), socket.display().to_string()];
        self.commands.push(shell_line(&self.corekv_stats, &args));
        match process::run_bounded(
            &self.corekv_stats,
            &args,
            Duration::from_secs(30),
            dir,
            "stats",
        ) {
            Ok(out) => out.stdout,
            Err(err) => format!("corekv-stats failed: {err:#}"),
        }
    }

    fn header(&self, selected: &[Config]) -> Header {
        let version = |program: &Path| {
            capture(&program.display().to_string(), &["--version"])
                .unwrap_or_else(|| "unknown".to_string())
        };
        let mut facts = vec![
            (
                "date".to_string(),
                capture("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]).unwrap_or_default(),
            ),
            (
                "machine".to_string(),
                format!(
                    "{} CPUs (nproc), {}, kernel {}",
                    capture("nproc", &[]).unwrap_or_else(|| "?".to_string()),
                    cpu_model(),
                    capture("uname", &["-r"]).unwrap_or_else(|| "?".to_string()),
                ),
            ),
            (
                "redis-benchmark".to_string(),
                format!(
                    "`{}` ({})",
                    self.redis_benchmark.display(),
                    version(&self.redis_benchmark)
                ),
            ),
        ];
        if let Some(cluster) = self.clusters.first()
            && let Kind::Cluster {
                nodes,
                cores,
                fsync,
                ..
            } = cluster.kind
        {
            facts.push((
                "cluster".to_string(),
                format!(
                    "{nodes} corekv nodes on this machine, each `--cores {cores} --fsync {}`{}, \
                     a fresh cluster (fresh ports and directories) per configuration and round; \
                     nodes run with `--no-pin` (pinned, every node's core 0 would share CPU 0)",
                    fsync.flag(),
                    if self.args.corekv_arg.is_empty() {
                        String::new()
                    } else {
                        format!(" `{}`", self.args.corekv_arg.join(" "))
                    }
                ),
            ));
        }
        if selected.iter().any(|c| !c.is_corekv()) {
            let redis_version = version(&self.bins.redis_server);
            // The baseline is Redis 7; say so loudly when it is not.
            let warning = if redis_version.contains("v=7.") {
                ""
            } else {
                " — WARNING: not Redis 7"
            };
            facts.push((
                "redis-server".to_string(),
                format!(
                    "`{}` ({redis_version}){warning}",
                    self.bins.redis_server.display(),
                ),
            ));
        }
        if selected.iter().any(Config::is_corekv) {
            let root = workspace_root();
            let commit = capture(
                "git",
                &[
                    "-C",
                    &root.display().to_string(),
                    "describe",
                    "--always",
                    "--dirty",
                ],
            )
            .unwrap_or_else(|| "unknown".to_string());
            facts.push((
                "corekv".to_string(),
                format!("`{}` (workspace at {commit})", self.bins.corekv.display()),
            ));
        }
        // findmnt names ext4 correctly; `stat -f` calls it ext2/ext3.
        let scratch = self.scratch.display().to_string();
        let fs = capture("findmnt", &["-n", "-o", "FSTYPE", "-T", &scratch])
            .or_else(|| capture("stat", &["-f", "-c", "%T", &scratch]))
            .unwrap_or_else(|| "?".to_string());
        facts.push((
            "server directories".to_string(),
            format!("under `{}` (filesystem {fs})", self.scratch.display()),
        ));
        facts.push((
            "pinning".to_string(),
            if self.args.taskset {
                format!(
                    "server on CPU {}, redis-benchmark on CPU {} (taskset)",
                    self.args.server_cpu, self.args.bench_cpu
                )
            } else {
                "none (server and redis-benchmark share all CPUs)".to_string()
            },
        ));
        facts.push((
            "load".to_string(),
            format!(
                "{} clients, {} random keys, tests {}, -n {} at -P 1 and {} above",
                self.args.clients,
                self.args.keyspace,
                self.args.tests,
                self.args.requests_p1,
                self.args.requests_pipelined
            ),
        ));
        facts.push((
            "load average (1/5/15 min)".to_string(),
            format!("{} before, {} after", self.load.0, self.load.1),
        ));
        facts.push((
            "rounds".to_string(),
            format!(
                "{} (configurations interleaved; numbers are medians)",
                self.args.rounds
            ),
        ));
        let invocation: Vec<String> = std::env::args().collect();
        facts.push((
            "invocation".to_string(),
            format!("`{}`", invocation.join(" ")),
        ));
        let cluster = (!self.clusters.is_empty()).then(|| ClusterSection {
            configs: self.clusters.clone(),
            commit: self.commit.clone(),
            failover: self.failover.clone(),
            failover_notes: self.failover_notes.clone(),
            failover_setup: self.failover_setup(),
        });
        Header {
            facts,
            commands: self.commands.clone(),
            stats: self.stats.clone(),
            pipelines: self.pipelines.clone(),
            cluster,
        }
    }

    /// How the failover rounds were run, for the report.
    fn failover_setup(&self) -> Vec<String> {
        vec![
            format!(
                "{} rounds on one fresh cluster; each round waits until every group has an \
                 agreed leader (on its preferred node if that happens within {} s), then \
                 starts {} writer threads (raw RESP `SET` of unique keys chosen by slot so \
                 every group is written all the time; threads split the groups and talk \
                 only to the surviving nodes, reconnecting to the next one on I/O errors)",
                self.args.failover_rounds,
                self.args.failover_timeout_s,
                self.args.failover_clients.max(1),
            ),
            "once every group took a write: `kill -9` of the node leading the most groups \
             (lowest id on ties)"
                .to_string(),
            "**writes resumed**: from the kill until every group completed a write *sent* \
             after the kill (per group: the earliest such write's reply)"
                .to_string(),
            format!(
                "the node stays down {} ms from the kill (at least until writes resumed + \
                 200 ms), then restarts with the same command line, directory and ports; \
                 writers keep going",
                self.args.failover_down_ms
            ),
            "**caught up**: from the restart until, for every group, the restarted node's \
             `applied` (stats socket) reaches the `commit` its leader reported just before; \
             **leaders back**: until every group is led by its preferred node again"
                .to_string(),
            format!(
                "every wait is bounded by {} s (`--failover-timeout-s`)",
                self.args.failover_timeout_s
            ),
        ]
    }
}

/// The cluster configurations `--cluster` asks for (empty without it).
fn cluster_configs(args: &Args) -> Result<Vec<Config>> {
    let Some(nodes) = args.cluster else {
        return Ok(Vec::new());
    };
    if nodes == 0 {
        bail!("--cluster needs at least 1 node");
    }
    if args.cluster_cores == 0 {
        bail!("--cluster-cores must be at least 1");
    }
    let fsync = Fsync::parse(&args.cluster_fsync).with_context(|| {
        format!(
            "--cluster-fsync {:?}: expected always or never",
            args.cluster_fsync
        )
    })?;
    let spreads: &[bool] = match args.cluster_target.as_str() {
        "node1" => &[false],
        "all" => &[true],
        "both" => &[false, true],
        other => bail!("--cluster-target {other:?}: expected node1, all or both"),
    };
    Ok(spreads
        .iter()
        .map(|&spread| Config::cluster(nodes, args.cluster_cores, fsync, spread))
        .collect())
}

/// `--collection-reads` / `--xread-drill`: one server at a time,
/// redis-nopersist and corekv-c1-never unless `--only` says otherwise.
fn run_single_modes(args: &Args) -> Result<()> {
    const DEFAULT: &str = "redis-nopersist,corekv-c1-never";
    let filter = args.only.as_deref().unwrap_or(DEFAULT);
    let configs: Vec<Config> = MATRIX
        .iter()
        .filter(|c| c.selected_by(filter))
        .copied()
        .collect();
    if configs.is_empty() {
        bail!("--only {filter:?} selects no server configuration");
    }
    let corekv = args.corekv.clone().unwrap_or_else(default_corekv);
    if configs.iter().any(Config::is_corekv) && !corekv.is_file() {
        bail!(
            "corekv binary {} not found; run `cargo build --release` or pass --corekv",
            corekv.display()
        );
    }
    let redis_server = if configs.iter().any(|c| !c.is_corekv()) {
        locate(&args.redis_server).with_context(|| {
            format!(
                "{} not found; apt-get install -y redis-server",
                args.redis_server.display()
            )
        })?
    } else {
        args.redis_server.clone()
    };
    if args.taskset {
        if args.xread_drill {
            bail!(
                "--taskset does not apply to --xread-drill (corekv's heavy pool needs the other CPU)"
            );
        }
        if locate(Path::new("taskset")).is_none() {
            bail!("--taskset: taskset not found (util-linux)");
        }
    }
    let mut env = single::Env {
        bins: Binaries {
            redis_server,
            corekv,
        },
        scratch: args.scratch_dir.clone().unwrap_or_else(std::env::temp_dir),
        corekv_args: args.corekv_arg.clone(),
        startup: Duration::from_secs(args.startup_timeout_s),
        stop: Duration::from_secs(args.stop_timeout_s),
        server_cpu: args.taskset.then_some(args.server_cpu),
        keep_dirs: args.keep_dirs,
        commands: Vec::new(),
    };
    let load_before = load_average();
    let mut markdown = String::new();
    let mut failed = 0;
    if args.collection_reads {
        if args.taskset {
            // Our own threads (the one measuring client) go to the other CPU.
            single::pin_self(args.bench_cpu)?;
        }
        let opts = collections::Options {
            sizes: parse_list(&args.sizes, "size")?,
            requests: args.read_requests,
            warmup: args.read_warmup,
            time_bound: Duration::from_secs(args.read_timeout_s),
            batch: args.load_batch,
            load_bound: Duration::from_secs(args.load_timeout_s),
        };
        if opts.sizes.is_empty() || opts.sizes.contains(&0) {
            bail!("--sizes needs sizes of at least 1");
        }
        let started = single::now_utc();
        let out = collections::run(&mut env, &configs, &opts);
        failed += out.failures.len();
        let facts = env.facts(&configs, &started, &load_before);
        markdown.push_str(&collections::render(
            &facts,
            &env.commands,
            &configs,
            &opts,
            &out,
        ));
        env.commands.clear();
    }
    if args.xread_drill {
        let opts = drill::Options {
            entries: args.drill_entries,
            filler_keys: args.drill_filler_keys,
            paced: args.drill_paced.max(1),
            interval: Duration::from_millis(args.drill_interval_ms),
            xread: args.drill_xread,
            xrange: args.drill_xrange,
            keys: args.drill_keys,
            scan: args.drill_scan,
            warmup: Duration::from_millis(args.drill_warmup_ms),
            attack_bound: Duration::from_secs(args.drill_timeout_s),
            flooder_nice: args.drill_flooder_nice.clamp(0, 19),
            flooder_cpu: args.drill_flooder_cpu,
        };
        let load_before = load_average();
        let started = single::now_utc();
        let (results, failures) = drill::run(&mut env, &configs, &opts);
        failed += failures.len();
        let facts = env.facts(&configs, &started, &load_before);
        if !markdown.is_empty() {
            markdown.push('\n');
        }
        markdown.push_str(&drill::render(
            &facts,
            &env.commands,
            &opts,
            &results,
            &failures,
        ));
    }
    print!("{markdown}");
    if let Some(out) = &args.out {
        std::fs::write(out, &markdown).with_context(|| format!("write {}", out.display()))?;
        eprintln!("[corekv-bench] report written to {}", out.display());
    }
    if failed > 0 {
        eprintln!("[corekv-bench] {failed} runs failed (see the report)");
        std::process::exit(1);
    }
    Ok(())
}

/// `--bigger-than-cache`: corekv only, no redis-server.
fn run_bigger_than_cache(args: &Args) -> Result<()> {
    let corekv = args.corekv.clone().unwrap_or_else(default_corekv);
    if !corekv.is_file() {
        bail!(
            "corekv binary {} not found; run `cargo build --release` or pass --corekv",
            corekv.display()
        );
    }
    let redis_benchmark = locate(&args.redis_benchmark).with_context(|| {
        format!(
            "{} not found; apt-get install -y redis-tools",
            args.redis_benchmark.display()
        )
    })?;
    if args.taskset {
        bail!(
            "--taskset does not apply to --bigger-than-cache (fjall's workers and the loaders need both CPUs)"
        );
    }
    let pipelines: Vec<u32> = parse_list(&args.pipelines, "pipeline depth")?;
    if pipelines.is_empty() || pipelines.contains(&0) {
        bail!("--pipelines needs depths of at least 1");
    }
    if args.big_keys == 0 || args.keyspace == 0 {
        bail!("--big-keys and --keyspace need at least 1 key");
    }
    let opts = bigcache::Options {
        keys: args.big_keys,
        hot_keys: args.keyspace,
        value_len: args.big_value_bytes,
        cache_mb: args.big_cache_mb,
        block_cache_mb: args.big_block_cache_mb,
        load_conns: args.load_conns.max(1),
        load_window: args.load_window.max(1),
        load_bound: Duration::from_secs(args.load_timeout_s),
        settle_bound: Duration::from_secs(args.settle_timeout_s),
        pipelines,
        clients: args.clients,
        requests_p1: args.requests_p1,
        requests_pipelined: args.requests_pipelined,
        warmup_requests: args.warmup_requests,
        cold_requests: args.cold_requests,
        probe_interval: Duration::from_micros(args.probe_interval_us.max(1)),
        probe_max: args.probe_max,
        bench_timeout: Duration::from_secs(args.bench_timeout_s),
        redis_benchmark: redis_benchmark.clone(),
    };
    let mut env = single::Env {
        bins: Binaries {
            redis_server: args.redis_server.clone(),
            corekv,
        },
        scratch: args.scratch_dir.clone().unwrap_or_else(std::env::temp_dir),
        corekv_args: args.corekv_arg.clone(),
        startup: Duration::from_secs(args.startup_timeout_s),
        stop: Duration::from_secs(args.stop_timeout_s),
        server_cpu: None,
        keep_dirs: args.keep_dirs,
        commands: Vec::new(),
    };
    let load_before = load_average();
    let started = single::now_utc();
    let out = bigcache::run(&mut env, &opts);
    let mut facts = env.facts(&[bigcache::CONFIG], &started, &load_before);
    facts.insert(
        2,
        format!(
            "redis-benchmark: `{}` ({})",
            redis_benchmark.display(),
            capture(&redis_benchmark.display().to_string(), &["--version"])
                .unwrap_or_else(|| "unknown".to_string())
        ),
    );
    let markdown = bigcache::render(&facts, &env.commands, &opts, &out);
    print!("{markdown}");
    if let Some(path) = &args.out {
        std::fs::write(path, &markdown).with_context(|| format!("write {}", path.display()))?;
        eprintln!("[corekv-bench] report written to {}", path.display());
    }
    if !out.failures.is_empty() {
        eprintln!(
            "[corekv-bench] {} runs failed (see the report)",
            out.failures.len()
        );
        std::process::exit(1);
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Args = argh::from_env();
    if args.bigger_than_cache {
        return run_bigger_than_cache(&args);
    }
    if args.collection_reads || args.xread_drill {
        return run_single_modes(&args);
    }
    let clusters = cluster_configs(&args)?;
    let selected: Vec<Config> = match (&args.only, clusters.first()) {
        _ if args.failover_only && !clusters.is_empty() => Vec::new(),
        // With --cluster and no --only: just the cluster's Redis baseline.
        (None, Some(cluster)) => MATRIX
            .iter()
            .filter(|c| Some(c.name) == cluster.baseline())
            .copied()
            .collect(),
        (only, _) => MATRIX
            .iter()
            .filter(|c| only.as_deref().is_none_or(|f| c.selected_by(f)))
            .copied()
            .collect(),
    };
    if selected.is_empty() && clusters.is_empty() {
        bail!("--only {:?} selects no server configuration", args.only);
    }
    if args.failover_only && clusters.is_empty() {
        bail!("--failover-only needs --cluster");
    }
    // Throughput runs: the matrix selection, then the clusters (unless
    // --failover-only); every configuration in every round.
    let mut all: Vec<Config> = selected.clone();
    if !args.failover_only {
        all.extend(clusters.iter().copied());
    }
    let pipelines: Vec<u32> = parse_list(&args.pipelines, "pipeline depth")?;
    if args.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if pipelines.is_empty() || pipelines.contains(&0) {
        bail!("--pipelines needs depths of at least 1");
    }

    let corekv = args.corekv.clone().unwrap_or_else(default_corekv);
    let corekv_stats = args.corekv_stats.clone().unwrap_or_else(|| {
        corekv
            .parent()
            .unwrap_or(Path::new("."))
            .join("corekv-stats")
    });
    const INSTALL: &str = "install it with `apt-get install -y redis-server redis-tools`";
    let redis_benchmark = locate(&args.redis_benchmark)
        .with_context(|| format!("{} not found; {INSTALL}", args.redis_benchmark.display()))?;
    let redis_server = if all.iter().any(|c| !c.is_corekv()) {
        locate(&args.redis_server)
            .with_context(|| format!("{} not found; {INSTALL}", args.redis_server.display()))?
    } else {
        args.redis_server.clone()
    };
    let any_corekv = all.iter().any(Config::is_corekv) || !clusters.is_empty();
    if any_corekv && !corekv.is_file() {
        bail!(
            "corekv binary {} not found; run `cargo build --release` or pass --corekv",
            corekv.display()
        );
    }
    if args.stats && any_corekv && !corekv_stats.is_file() {
        bail!(
            "--stats: corekv-stats binary {} not found; pass --corekv-stats",
            corekv_stats.display()
        );
    }
    if args.taskset && locate(Path::new("taskset")).is_none() {
        bail!("--taskset: taskset not found (util-linux)");
    }
    let scratch = args.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    if args.tls && !clusters.is_empty() {
        bail!("--tls runs single servers only (not --cluster)");
    }
    let tls = if args.tls {
        let dir = process::fresh_dir(&scratch, "tls-certs")?;
        Some(tls::make(&dir)?)
    } else {
        None
    };

    let mut session = Session {
        bins: Binaries {
            redis_server,
            corekv,
        },
        redis_benchmark,
        corekv_stats,
        scratch,
        pipelines,
        commands: Vec::new(),
        stats: Vec::new(),
        runs: Vec::new(),
        load: (String::new(), String::new()),
        clusters: clusters.clone(),
        commit: Vec::new(),
        failover: Vec::new(),
        failover_notes: Vec::new(),
        failover_broken: false,
        tls,
        args,
    };
    if let Some(t) = &session.tls {
        session.commands.push(format!(
            "# --tls: each server also listens on a TLS port with the certificates in {} (client certificates required); redis-benchmark loads that port",
            t.dir.display()
        ));
    }
    let load_before = load_average();
    // Rounds interleave the configurations, so drift in the machine's
    // background load hits every configuration alike.
    if !all.is_empty() {
        for round in 1..=session.args.rounds {
            for config in &all {
                session.run_config(*config, round);
            }
        }
    }
    if let Some(&config) = clusters.first() {
        session.run_failover(config);
    }
    session.load = (load_before, load_average());

    let mut described = all.clone();
    described.extend(clusters.iter().copied());
    let markdown = report::render(&session.header(&described), &session.runs);
    print!("{markdown}");
    if let Some(out) = &session.args.out {
        std::fs::write(out, &markdown).with_context(|| format!("write {}", out.display()))?;
        eprintln!("[corekv-bench] report written to {}", out.display());
    }
    let failed = session.runs.iter().filter(|r| r.outcome.is_err()).count();
    let failovers_failed = session
        .failover
        .iter()
        .filter(|r| r.outcome.is_err())
        .count();
    if failed > 0 || failovers_failed > 0 || session.failover_broken {
        // The report says what failed; a plain exit code keeps stderr short.
        eprintln!(
            "[corekv-bench] {failed} of {} runs and {failovers_failed} of {} failover rounds \
             failed (see the report)",
            session.runs.len(),
            session.failover.len()
        );
        std::process::exit(1);
    }
    Ok(())
}

/// The longest wait for a server to go quiet after a measured test.
const SETTLE_BOUND: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::from_args(&["corekv-bench"], extra).unwrap()
    }

    #[test]
    fn split_is_even_and_complete() {
        assert_eq!(split(50, 3), vec![17, 17, 16]);
        assert_eq!(split(100_000, 3).iter().sum::<u64>(), 100_000);
        assert_eq!(split(2, 3), vec![1, 1, 0]);
        assert_eq!(split(5, 0), vec![5]);
    }

    #[test]
    fn cluster_flags_give_cluster_configs() {
        assert!(cluster_configs(&args(&[])).unwrap().is_empty());
        let c = cluster_configs(&args(&["--cluster", "3"])).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "corekv-cluster-node1");
        assert_eq!(c[0].baseline(), Some("redis-aof-always"));
        let c = cluster_configs(&args(&[
            "--cluster",
            "5",
            "--cluster-target",
            "both",
            "--cluster-fsync",
            "never",
            "--cluster-cores",
            "2",
        ]))
        .unwrap();
        assert_eq!(
            c.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["corekv-cluster-node1", "corekv-cluster-all"]
        );
        assert_eq!(
            c[1].kind,
            Kind::Cluster {
                nodes: 5,
                cores: 2,
                fsync: Fsync::Never,
                spread: true
            }
        );
        assert!(cluster_configs(&args(&["--cluster", "3", "--cluster-target", "x"])).is_err());
        assert!(
            cluster_configs(&args(&["--cluster", "3", "--cluster-fsync", "everysec"])).is_err()
        );
        assert!(cluster_configs(&args(&["--cluster", "0"])).is_err());
    }
}
