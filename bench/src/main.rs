//! `corekv-bench`: runs `redis-benchmark` against redis-server and corekv in
//! one session and prints a markdown report with corekv/Redis ratios. Each
//! server configuration gets its own free loopback port and a fresh
//! directory, is waited for with PING, benchmarked at every pipeline depth,
//! then stopped; every step has a deadline, so the program always ends.
//! Results belong in `docs/benchmarks.md`; see `bench/README.md`.

mod csv;
mod process;
mod report;
mod servers;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use argh::FromArgs;

use crate::process::{Server, capture, shell_line};
use crate::report::{Header, Run};
use crate::servers::{Binaries, Config, MATRIX};

/// Benchmark corekv against redis-server 7 with redis-benchmark, in the
/// same run, and print a markdown table of rps, p50, p99 and ratios.
#[derive(FromArgs)]
struct Args {
    /// comma-separated server configs or prefixes to run: redis,
    /// corekv, redis-nopersist, redis-aof-always, corekv-c1-never,
    /// corekv-c1-always, corekv-c2-always, corekv-c2-never (default: all)
    #[argh(option)]
    only: Option<String>,

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
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// target/release/corekv of the workspace this was built from, else of the
/// current directory; the first that exists wins.
fn default_corekv() -> PathBuf {
    let candidates = [
        workspace_root().join("target/release/corekv"),
        PathBuf::from("target/release/corekv"),
    ];
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
}

impl Session {
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
        if let Err(err) = self.try_run_config(config, round) {
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
        let (program, args) = config.command(
            &self.bins,
            port,
            dir,
            self.args.stats.then_some(stats_socket.as_path()),
            &self.args.corekv_arg,
        );
        let (program, args) = process::command(&program, &args, self.pin(self.args.server_cpu));
        self.commands.push(shell_line(&program, &args));
        let mut server = Server::start(&program, &args, dir.join("server.log"))?;
        server.wait_ready(port, Duration::from_secs(self.args.startup_timeout_s))?;

        for pipeline in self.pipelines.clone() {
            let outcome = self.bench(port, pipeline, dir, config.name);
            let outcome = match outcome {
                Ok(rows) if !server.is_running() => Err(format!(
                    "server exited during the run ({} rows measured); log:\n{}",
                    rows.len(),
                    server.log_tail()
                )),
                Ok(rows) => Ok(rows),
                Err(err) => Err(format!("{err:#}")),
            };
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
            });
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

    fn bench(
        &mut self,
        port: u16,
        pipeline: u32,
        dir: &Path,
        label: &str,
    ) -> Result<Vec<csv::BenchRow>> {
        let args: Vec<String> = [
            "-h".to_string(),
            "127.0.0.1".to_string(),
            "-p".to_string(),
            port.to_string(),
            "-c".to_string(),
            self.args.clients.to_string(),
            "-n".to_string(),
            self.requests(pipeline).to_string(),
            "-r".to_string(),
            self.args.keyspace.to_string(),
            "-t".to_string(),
            self.args.tests.clone(),
            "-P".to_string(),
            pipeline.to_string(),
            "--csv".to_string(),
            "-q".to_string(),
        ]
        .into();
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
        Header {
            facts,
            commands: self.commands.clone(),
            stats: self.stats.clone(),
            pipelines: self.pipelines.clone(),
        }
    }
}

fn main() -> Result<()> {
    let args: Args = argh::from_env();
    let selected: Vec<Config> = MATRIX
        .iter()
        .filter(|c| args.only.as_deref().is_none_or(|f| c.selected_by(f)))
        .copied()
        .collect();
    if selected.is_empty() {
        bail!("--only {:?} selects no server configuration", args.only);
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
    let redis_server = if selected.iter().any(|c| !c.is_corekv()) {
        locate(&args.redis_server)
            .with_context(|| format!("{} not found; {INSTALL}", args.redis_server.display()))?
    } else {
        args.redis_server.clone()
    };
    if selected.iter().any(Config::is_corekv) && !corekv.is_file() {
        bail!(
            "corekv binary {} not found; run `cargo build --release` or pass --corekv",
            corekv.display()
        );
    }
    if args.stats && selected.iter().any(Config::is_corekv) && !corekv_stats.is_file() {
        bail!(
            "--stats: corekv-stats binary {} not found; pass --corekv-stats",
            corekv_stats.display()
        );
    }
    if args.taskset && locate(Path::new("taskset")).is_none() {
        bail!("--taskset: taskset not found (util-linux)");
    }
    let scratch = args.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);

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
        args,
    };
    let load_before = load_average();
    // Rounds interleave the configurations, so drift in the machine's
    // background load hits every configuration alike.
    for round in 1..=session.args.rounds {
        for config in &selected {
            session.run_config(*config, round);
        }
    }
    session.load = (load_before, load_average());

    let markdown = report::render(&session.header(&selected), &session.runs);
    print!("{markdown}");
    if let Some(out) = &session.args.out {
        std::fs::write(out, &markdown).with_context(|| format!("write {}", out.display()))?;
        eprintln!("[corekv-bench] report written to {}", out.display());
    }
    let failed = session.runs.iter().filter(|r| r.outcome.is_err()).count();
    if failed > 0 {
        // The report says what failed; a plain exit code keeps stderr short.
        eprintln!(
            "[corekv-bench] {failed} of {} runs failed (see the report)",
            session.runs.len()
        );
        std::process::exit(1);
    }
    Ok(())
}
