//! glommio against monoio on corekv's request-path shape (issue 12, must
//! show 7): one executor thread pinned to one CPU, RESP over TCP, PING and
//! GET from a preloaded map, replies written once per read batch. The RESP
//! parser, the map and the buffers are shared (`common.rs`); only the
//! runtime glue differs (`glommio_server.rs`, `monoio_server.rs`).
//!
//! `corekv-executors bench` builds nothing: it starts this same binary as
//! `serve glommio|monoio` for each runtime, drives it with redis-benchmark
//! (pinned to another CPU), samples the server's CPU from /proc around each
//! redis-benchmark run, and prints a markdown table. See README.md.

mod common;
// The /proc sampler of corekv-bench itself, not a copy.
#[allow(dead_code)]
#[path = "../../src/cpu.rs"]
mod cpu;
mod glommio_server;
mod monoio_server;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::common::Store;

const RUNTIMES: [&str; 2] = ["glommio", "monoio"];

pub fn pin_current_thread(cpu: usize) -> Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        bail!(
            "sched_setaffinity to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// `--name value` options after the subcommand, with defaults.
struct Opts {
    pairs: Vec<(String, String)>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(name) = it.next() {
            let Some(name) = name.strip_prefix("--") else {
                bail!("unexpected argument {name:?}");
            };
            let value = it
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            pairs.push((name.to_string(), value.clone()));
        }
        Ok(Opts { pairs })
    }

    fn get(&self, name: &str, default: &str) -> String {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or_else(|| default.to_string(), |(_, v)| v.clone())
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: &str) -> Result<T> {
        let text = self.get(name, default);
        text.parse()
            .map_err(|_| anyhow::anyhow!("--{name} {text:?}: not a number"))
    }

    fn list(&self, name: &str, default: &str) -> Vec<String> {
        self.get(name, default)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

const USAGE: &str = "usage:
  corekv-executors bench [--rounds 3] [--requests 500000] [--clients 50]
      [--keys 100000] [--pipelines 1,16] [--tests ping_mbulk,get]
      [--runtimes glommio,monoio] [--server-cpu 0] [--bench-cpu 1]
      [--redis-benchmark redis-benchmark] [--out FILE]
  corekv-executors serve glommio|monoio [--port 7400] [--cpu 0] [--keys 100000]";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let runtime = args.get(1).context(USAGE)?.clone();
            let opts = Opts::parse(args.get(2..).unwrap_or_default())?;
            let port: u16 = opts.num("port", "7400")?;
            let cpu: usize = opts.num("cpu", "0")?;
            let store = Store::preload(opts.num("keys", "100000")?);
            eprintln!("{runtime}: {} keys preloaded", store.len());
            match runtime.as_str() {
                "glommio" => glommio_server::serve(port, cpu, store),
                "monoio" => monoio_server::serve(port, cpu, store),
                other => bail!("unknown runtime {other:?}\n{USAGE}"),
            }
        }
        Some("bench") => bench(&Opts::parse(args.get(1..).unwrap_or_default())?),
        _ => bail!("{USAGE}"),
    }
}

/// One redis-benchmark run against one server: one test at one depth.
struct Sample {
    runtime: String,
    test: String,
    pipeline: u32,
    rps: f64,
    /// Server CPU over exactly this run's requests.
    server: cpu::Used,
    /// redis-benchmark's own CPU (it shares the machine).
    client: Duration,
    wall: Duration,
    requests: u64,
}

struct Plan {
    requests: u64,
    clients: u32,
    keys: u64,
    bench_cpu: usize,
    redis_benchmark: PathBuf,
    timeout: Duration,
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A child that gets SIGKILL when this process dies, however it dies.
fn child(program: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    // SAFETY: prctl is async-signal-safe; it runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

fn ping(port: u16) -> Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_millis(500)))?;
    s.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf)?;
    if buf.get(..n) != Some(b"+PONG\r\n".as_slice()) {
        bail!("PING answered {:?}", String::from_utf8_lossy(&buf[..n]));
    }
    Ok(())
}

struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(runtime: &str, port: u16, cpu: usize, keys: u64) -> Result<Server> {
        let exe = std::env::current_exe()?;
        let log = std::env::temp_dir().join(format!(
            "corekv-executors-{}-{runtime}.log",
            std::process::id()
        ));
        let out = std::fs::File::create(&log)?;
        let args: Vec<String> = vec![
            "serve".into(),
            runtime.into(),
            "--port".into(),
            port.to_string(),
            "--cpu".into(),
            cpu.to_string(),
            "--keys".into(),
            keys.to_string(),
        ];
        let child = child(&exe, &args)
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("spawn server")?;
        let mut server = Server { child, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "{runtime} server exited with {status}; log:\n{}",
                    server.log_text()
                );
            }
            if ping(port).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!(
                    "{runtime} server did not answer PING in 30 s; log:\n{}",
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// redis-benchmark's `"TEST","rps",...` CSV rows: (test, rps).
fn parse_csv(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let test = fields.next()?;
            let rps: f64 = fields.next()?.parse().ok()?;
            Some((test.to_string(), rps))
        })
        .collect()
}

fn run_one(
    plan: &Plan,
    server: &mut Server,
    runtime: &str,
    port: u16,
    test: &str,
    pipeline: u32,
    commands: &mut Vec<String>,
) -> Result<Sample> {
    let args: Vec<String> = vec![
        "-c".into(),
        plan.bench_cpu.to_string(),
        plan.redis_benchmark.display().to_string(),
        "-h".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
        "-c".into(),
        plan.clients.to_string(),
        "-n".into(),
        plan.requests.to_string(),
        "-r".into(),
        plan.keys.to_string(),
        "-t".into(),
        test.into(),
        "-P".into(),
        pipeline.to_string(),
        "--csv".into(),
        "-q".into(),
    ];
    let line = format!("taskset {}", args.join(" "));
    // The report's copy names no port (each server gets a fresh one).
    let shown: Vec<&str> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i > 0 && args[i - 1] == "-p" {
                "PORT"
            } else {
                a.as_str()
            }
        })
        .collect();
    let shown = format!("taskset {}", shown.join(" "));
    if !commands.contains(&shown) {
        commands.push(shown);
    }
    let pid = server.child.id();
    let before = cpu::sample(pid)?;
    let client_before = cpu::children_cpu();
    let started = Instant::now();
    let mut bench = child(Path::new("taskset"), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawn taskset redis-benchmark")?;
    loop {
        if bench.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > plan.timeout {
            let _ = bench.kill();
            let _ = bench.wait();
            bail!("redis-benchmark killed after {:?}: {line}", plan.timeout);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall = started.elapsed();
    let server_cpu = cpu::sample(pid)?.since(&before);
    let client = cpu::children_cpu().saturating_sub(client_before);
    let output = bench.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "{line}: {}; {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if !server.alive() {
        bail!("{runtime} server died; log:\n{}", server.log_text());
    }
    let rows = parse_csv(&String::from_utf8_lossy(&output.stdout));
    let [(name, rps)] = rows.as_slice() else {
        bail!(
            "{line}: expected one CSV row, got {rows:?}; stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    };
    Ok(Sample {
        runtime: runtime.to_string(),
        test: name.clone(),
        pipeline,
        rps: *rps,
        server: server_cpu,
        client,
        wall,
        requests: plan.requests,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn capture(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "?".to_string(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_string(),
        )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_string())
}

/// The resolved version of `name` in this project's Cargo.lock.
fn locked_version(name: &str) -> String {
    let lock = include_str!("../Cargo.lock");
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|at| {
            let rest = &lock[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

fn bench(opts: &Opts) -> Result<()> {
    let rounds: u32 = opts.num("rounds", "3")?;
    let server_cpu: usize = opts.num("server-cpu", "0")?;
    let plan = Plan {
        requests: opts.num("requests", "500000")?,
        clients: opts.num("clients", "50")?,
        keys: opts.num("keys", "100000")?,
        bench_cpu: opts.num("bench-cpu", "1")?,
        redis_benchmark: PathBuf::from(opts.get("redis-benchmark", "redis-benchmark")),
        timeout: Duration::from_secs(opts.num("timeout-s", "120")?),
    };
    let pipelines: Vec<u32> = opts
        .list("pipelines", "1,16")
        .iter()
        .map(|p| p.parse().context("--pipelines"))
        .collect::<Result<_>>()?;
    let tests = opts.list("tests", "ping_mbulk,get");
    let runtimes = opts.list("runtimes", "glommio,monoio");
    if let Some(bad) = runtimes.iter().find(|r| !RUNTIMES.contains(&r.as_str())) {
        bail!("unknown runtime {bad:?}");
    }
    let started = capture("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]);
    let load_before = load_average();
    let mut samples = Vec::new();
    let mut failures = Vec::new();
    let mut commands = Vec::new();
    for round in 1..=rounds {
        for runtime in &runtimes {
            eprintln!("[executors] round {round}/{rounds}: {runtime}");
            let port = free_port()?;
            let mut server = match Server::start(runtime, port, server_cpu, plan.keys) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("[executors]   {e:#}");
                    failures.push(format!("{runtime} (round {round}): {e:#}"));
                    continue;
                }
            };
            for &pipeline in &pipelines {
                for test in &tests {
                    match run_one(
                        &plan,
                        &mut server,
                        runtime,
                        port,
                        test,
                        pipeline,
                        &mut commands,
                    ) {
                        Ok(s) => {
                            eprintln!(
                                "[executors]   {} -P {pipeline}: {:.0} rps, {:.2} µs CPU/op",
                                s.test,
                                s.rps,
                                s.server.per_request_us(s.requests)
                            );
                            samples.push(s);
                        }
                        Err(e) => {
                            eprintln!("[executors]   {e:#}");
                            failures.push(format!(
                                "{runtime} {test} -P {pipeline} (round {round}): {e:#}"
                            ));
                        }
                    }
                }
            }
        }
    }
    let md = render(&RenderInput {
        started,
        load: (load_before, load_average()),
        rounds,
        server_cpu,
        plan: &plan,
        samples: &samples,
        failures: &failures,
        commands: &commands,
        pipelines: &pipelines,
    });
    print!("{md}");
    let out = opts.get("out", "");
    if !out.is_empty() {
        std::fs::write(&out, &md).with_context(|| format!("write {out}"))?;
    }
    if !failures.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

struct RenderInput<'a> {
    started: String,
    load: (String, String),
    rounds: u32,
    server_cpu: usize,
    plan: &'a Plan,
    samples: &'a [Sample],
    failures: &'a [String],
    commands: &'a [String],
    pipelines: &'a [u32],
}

/// Medians over rounds of one runtime, test and depth.
struct Cell {
    rps: f64,
    rps_range: (f64, f64),
    cpu_us: f64,
    cpu_range: (f64, f64),
    busy: f64,
    client_us: f64,
    client_busy: f64,
    groups: String,
    rounds: usize,
}

fn cell(samples: &[Sample], runtime: &str, test: &str, pipeline: u32) -> Option<Cell> {
    let here: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.runtime == runtime && s.test == test && s.pipeline == pipeline)
        .collect();
    if here.is_empty() {
        return None;
    }
    let m = |f: &dyn Fn(&Sample) -> f64| median(here.iter().map(|s| f(s)).collect());
    let range = |f: &dyn Fn(&Sample) -> f64| {
        here.iter()
            .map(|s| f(s))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    };
    // Thread groups: median µs/op per group name over the rounds.
    let mut names: Vec<String> = here
        .iter()
        .flat_map(|s| s.server.by_group.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let groups = names
        .iter()
        .map(|name| {
            let us = m(&|s| {
                s.server
                    .by_group
                    .get(name)
                    .map_or(0.0, |d| d.as_secs_f64() * 1e6 / s.requests as f64)
            });
            format!("{name} {us:.2}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    Some(Cell {
        rps: m(&|s| s.rps),
        rps_range: range(&|s| s.rps),
        cpu_us: m(&|s| s.server.per_request_us(s.requests)),
        cpu_range: range(&|s| s.server.per_request_us(s.requests)),
        busy: m(&|s| s.server.total.as_secs_f64() / s.wall.as_secs_f64()),
        client_us: m(&|s| s.client.as_secs_f64() * 1e6 / s.requests as f64),
        client_busy: m(&|s| s.client.as_secs_f64() / s.wall.as_secs_f64()),
        groups,
        rounds: here.len(),
    })
}

fn render(input: &RenderInput) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# corekv-executors: glommio vs monoio on corekv's request path\n"
    );
    let _ = writeln!(md, "- date: {} (start)", input.started);
    let _ = writeln!(
        md,
        "- machine: {} CPUs (nproc), {}, kernel {}",
        capture("nproc", &[]),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| t
                .lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string()))
            .unwrap_or_else(|| "?".to_string()),
        capture("uname", &["-r"]),
    );
    let _ = writeln!(
        md,
        "- runtimes: glommio {} (`LocalExecutorBuilder`, `Placement::Fixed({})`, io_memory 2 MiB), \
         monoio {} (`FusionDriver` with timers, as corekv; thread pinned to CPU {}); \
         `ulimit -l` {}",
        locked_version("glommio"),
        input.server_cpu,
        locked_version("monoio"),
        input.server_cpu,
        capture("sh", &["-c", "ulimit -l"]),
    );
    let _ = writeln!(
        md,
        "- server: one executor thread on CPU {}, {} keys preloaded (`key:%012d` = `xxx`); \
         redis-benchmark pinned to CPU {} (`{}`)",
        input.server_cpu,
        input.plan.keys,
        input.plan.bench_cpu,
        capture(
            &input.plan.redis_benchmark.display().to_string(),
            &["--version"]
        ),
    );
    let _ = writeln!(
        md,
        "- load average (1/5/15 min): {} before, {} after (other work on the machine \
         moves rps; server CPU µs/op is the figure to trust)",
        input.load.0, input.load.1
    );
    let _ = writeln!(
        md,
        "- {} round(s), runtimes interleaved per round; cells are medians over rounds \
         (min–max in parentheses)",
        input.rounds
    );
    let invocation: Vec<String> = std::env::args().collect();
    let _ = writeln!(md, "- invocation: `{}`", invocation.join(" "));
    let _ = writeln!(
        md,
        "\nServer CPU is utime + stime of every thread of the server process \
         (`/proc/PID/task/*/stat`) sampled right before and after each \
         redis-benchmark run, divided by its {} requests; \"busy\" is that CPU \
         over the run's wall time (1.00 = one CPU). redis-benchmark's CPU comes \
         from `getrusage(RUSAGE_CHILDREN)` around the run.\n",
        input.plan.requests
    );
    let _ = writeln!(
        md,
        "| test | depth | runtime | rps | server CPU µs/op | server busy | by thread | \
         redis-benchmark µs/op (busy) | rps monoio/glommio | CPU/op monoio/glommio |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---|---:|---:|---:|");
    let mut tests: Vec<&str> = Vec::new();
    for s in input.samples {
        if !tests.contains(&s.test.as_str()) {
            tests.push(&s.test);
        }
    }
    for &pipeline in input.pipelines {
        for test in &tests {
            let g = cell(input.samples, "glommio", test, pipeline);
            let m = cell(input.samples, "monoio", test, pipeline);
            for (runtime, c) in [("glommio", &g), ("monoio", &m)] {
                let Some(c) = c else { continue };
                let ratios = match (runtime, &g, &m) {
                    ("monoio", Some(g), Some(m)) => {
                        format!("{:.2}× | {:.2}×", m.rps / g.rps, m.cpu_us / g.cpu_us)
                    }
                    _ => " | ".to_string(),
                };
                let spread = c.rounds > 1;
                let _ = writeln!(
                    md,
                    "| {test} | -P {pipeline} | {runtime}{} | {:.0}{} | {:.2}{} | {:.2} | {} | {:.2} ({:.2}) | {ratios} |",
                    if c.rounds as u32 == input.rounds {
                        String::new()
                    } else {
                        format!(" ({} rounds)", c.rounds)
                    },
                    c.rps,
                    if spread {
                        format!(" ({:.0}–{:.0})", c.rps_range.0, c.rps_range.1)
                    } else {
                        String::new()
                    },
                    c.cpu_us,
                    if spread {
                        format!(" ({:.2}–{:.2})", c.cpu_range.0, c.cpu_range.1)
                    } else {
                        String::new()
                    },
                    c.busy,
                    c.groups,
                    c.client_us,
                    c.client_busy,
                );
            }
        }
    }
    if !input.failures.is_empty() {
        let _ = writeln!(md, "\n## Failed runs\n");
        for f in input.failures {
            let _ = writeln!(md, "- ```text\n  {}\n  ```", f.replace('\n', "\n  "));
        }
    }
    let _ = writeln!(md, "\n## Commands run\n\n```sh");
    let exe = std::env::current_exe().map_or_else(
        |_| "corekv-executors".to_string(),
        |p| p.display().to_string(),
    );
    for runtime in RUNTIMES {
        let _ = writeln!(
            md,
            "{exe} serve {runtime} --port PORT --cpu {} --keys {}",
            input.server_cpu, input.plan.keys
        );
    }
    for c in input.commands {
        let _ = writeln!(md, "{c}");
    }
    let _ = writeln!(md, "```");
    md
}
