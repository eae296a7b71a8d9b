//! Turns the results of one benchmark session into markdown: a header that
//! says what machine and what commands produced the numbers, then one table
//! per pipeline depth with each corekv row's ratio against its Redis
//! baseline from the same session. With `--cluster`, also the targets of
//! the cluster against Redis, the Raft commit latency of every node, and
//! the leader failover rounds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::cpu::Used;
use crate::csv::BenchRow;
use crate::failover::{ErrorStat, RoundResult, spread};
use crate::raftstats::Hist;
use crate::servers::{Config, Fsync, Kind, MATRIX};

/// The outcome of benchmarking one server configuration at one depth in
/// one round.
pub struct Run {
    pub config: Config,
    pub pipeline: u32,
    pub round: u32,
    pub requests: u64,
    pub outcome: Result<Vec<BenchRow>, String>,
    /// CPU of the server and of redis-benchmark, one per invocation (one
    /// test each; a cluster's is every node's); empty where not measured.
    pub cpu: Vec<TestCpu>,
}

/// What one redis-benchmark invocation (one test, `requests` requests)
/// cost in CPU.
#[derive(Debug, Clone)]
pub struct TestCpu {
    /// The test redis-benchmark reported (`GET`; `PING_INLINE+PING_MBULK`
    /// when one `-t` ran two).
    pub test: String,
    pub requests: u64,
    pub wall: Duration,
    /// Every thread of the server process, by thread group.
    pub server: Used,
    /// redis-benchmark's own user + system CPU.
    pub client: Duration,
}

impl TestCpu {
    /// The CPU of one redis-benchmark invocation, which reported `rows`
    /// (`-t ping` gives two: one figure for both) of `requests` each.
    pub fn of(
        rows: &[BenchRow],
        requests: u64,
        wall: Duration,
        server: Used,
        client: Duration,
    ) -> TestCpu {
        TestCpu {
            test: rows
                .iter()
                .map(|r| r.test.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            requests: requests * rows.len().max(1) as u64,
            wall,
            server,
            client,
        }
    }
}

/// Everything the report shows besides the runs.
pub struct Header {
    /// `key: value` lines, in order.
    pub facts: Vec<(String, String)>,
    pub commands: Vec<String>,
    pub stats: Vec<(String, String)>,
    pub pipelines: Vec<u32>,
    pub cluster: Option<ClusterSection>,
}

/// One node core's `raft.commit` histogram after one depth of one round.
#[derive(Debug, Clone)]
pub struct CommitSample {
    pub config: &'static str,
    pub round: u32,
    pub pipeline: u32,
    pub node: u64,
    pub core: u64,
    pub hist: Hist,
}

/// What `--cluster` adds to the report.
#[derive(Debug, Clone)]
pub struct ClusterSection {
    pub configs: Vec<Config>,
    pub commit: Vec<CommitSample>,
    pub failover: Vec<RoundResult>,
    /// Things worth knowing about the failover runs (skips, log lines).
    pub failover_notes: Vec<String>,
    /// How the failover rounds were run, one bullet each.
    pub failover_setup: Vec<String>,
}

/// Issue 4's targets for a cluster against redis `appendfsync always`:
/// SET at least half of Redis, GET at least as fast.
pub const TARGETS: [(&str, f64); 2] = [("SET", 0.5), ("GET", 1.0)];

/// One table cell group: a test on one configuration at one depth, over
/// every round that succeeded.
struct Summary {
    rps: f64,
    rps_min: f64,
    rps_max: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    rounds: usize,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => values.get(mid).copied(),
        _ => Some((values.get(mid - 1)? + values.get(mid)?) / 2.0),
    }
}

fn summarize(runs: &[Run], name: &str, pipeline: u32, test: &str) -> Option<Summary> {
    let rows: Vec<&BenchRow> = runs
        .iter()
        .filter(|r| r.config.name == name && r.pipeline == pipeline)
        .filter_map(|r| r.outcome.as_ref().ok())
        .flatten()
        .filter(|row| row.test == test)
        .collect();
    let rps: Vec<f64> = rows.iter().map(|r| r.rps).collect();
    Some(Summary {
        rps: median(rps.clone())?,
        rps_min: rps.iter().copied().fold(f64::INFINITY, f64::min),
        rps_max: rps.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        p50_ms: median(rows.iter().filter_map(|r| r.p50_ms).collect()),
        p99_ms: median(rows.iter().filter_map(|r| r.p99_ms).collect()),
        rounds: rows.len(),
    })
}

/// One configuration's CPU for one test at one depth: medians over the
/// rounds that measured it.
struct CpuSummary {
    server_us: f64,
    /// Server CPU over wall time: 1.0 is one CPU busy all the run.
    server_busy: f64,
    client_us: f64,
    client_busy: f64,
    /// µs per request by thread group, most expensive first.
    groups: Vec<(String, f64)>,
    rounds: usize,
}

fn cpu_summary(runs: &[Run], name: &str, pipeline: u32, test: &str) -> Option<CpuSummary> {
    let samples: Vec<&TestCpu> = runs
        .iter()
        .filter(|r| r.config.name == name && r.pipeline == pipeline && r.outcome.is_ok())
        .flat_map(|r| r.cpu.iter())
        .filter(|c| c.test == test && c.requests > 0 && !c.wall.is_zero())
        .collect();
    let m = |f: &dyn Fn(&TestCpu) -> f64| median(samples.iter().map(|c| f(c)).collect());
    let per_op = |d: Duration, c: &TestCpu| d.as_secs_f64() * 1e6 / c.requests as f64;
    let mut names: Vec<&String> = samples
        .iter()
        .flat_map(|c| c.server.by_group.keys())
        .collect();
    names.sort();
    names.dedup();
    let mut groups: Vec<(String, f64)> = names
        .into_iter()
        .filter_map(|g| {
            let us = m(&|c| per_op(c.server.by_group.get(g).copied().unwrap_or_default(), c))?;
            Some((g.clone(), us))
        })
        .collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some(CpuSummary {
        server_us: m(&|c| c.server.per_request_us(c.requests))?,
        server_busy: m(&|c| c.server.total.as_secs_f64() / c.wall.as_secs_f64())?,
        client_us: m(&|c| per_op(c.client, c))?,
        client_busy: m(&|c| c.client.as_secs_f64() / c.wall.as_secs_f64())?,
        groups,
        rounds: samples.len(),
    })
}

/// `core 3.10, persist 1.20, other 0.02`: groups under 0.01 µs/op are
/// summed into `other`.
/// The closing sections of a single-server report: failed runs (if any)
/// and the commands run, under `title`.
pub(crate) fn failures_and_commands(
    md: &mut String,
    failures: &[String],
    title: &str,
    commands: &[String],
) {
    if !failures.is_empty() {
        md.push_str("### Failed runs\n\n");
        for f in failures {
            md.push_str(&format!("- {}\n", f.replace('\n', "\n  ")));
        }
        md.push('\n');
    }
    md.push_str(&format!("### {title}\n\n```\n"));
    for c in commands {
        md.push_str(c);
        md.push('\n');
    }
    md.push_str("```\n");
}

pub(crate) fn groups_cell(groups: &[(String, f64)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut other = 0.0;
    for (name, us) in groups {
        if *us >= 0.01 {
            parts.push(format!("{name} {us:.2}"));
        } else {
            other += us;
        }
    }
    if other > 0.0 {
        parts.push(format!("other {other:.2}"));
    }
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join(", ")
    }
}

/// The tests that have CPU samples at `pipeline`, in the order measured,
/// and the configurations, in run order.
fn cpu_tests_and_configs(runs: &[Run], pipeline: u32) -> (Vec<String>, Vec<Config>) {
    let mut tests: Vec<String> = Vec::new();
    let mut configs: Vec<Config> = Vec::new();
    for run in runs.iter().filter(|r| r.pipeline == pipeline) {
        if run.cpu.is_empty() {
            continue;
        }
        if !configs.contains(&run.config) {
            configs.push(run.config);
        }
        for c in &run.cpu {
            if !tests.contains(&c.test) {
                tests.push(c.test.clone());
            }
        }
    }
    (tests, configs)
}

/// The rps of a CPU sample's test: a `A+B` test (two rows from one
/// invocation) has none.
fn rps_of(runs: &[Run], name: &str, pipeline: u32, test: &str) -> Option<f64> {
    summarize(runs, name, pipeline, test).map(|s| s.rps)
}

fn render_cpu(md: &mut String, runs: &[Run], pipelines: &[u32]) {
    if runs.iter().all(|r| r.cpu.is_empty()) {
        return;
    }
    let _ = writeln!(
        md,
        "\n## CPU per request\n\n\
         Server CPU is utime + stime of every thread of the server process \
         (`/proc/PID/task/*/stat`: corekv's `core`, `persist`, fjall's workers, `heavy` ...; \
         redis-server's main thread and its `bio_*` threads; a cluster's is every thread of all \
         its node processes together), sampled right before \
         each redis-benchmark invocation, which runs one test of `--tests` (`-t \
         set`, then `-t get`) for a fixed `-n`, and after it once the server is quiet \
         (at most one tick of CPU in 100 ms, waited for up to 10 s: work a test leaves \
         running, such as corekv's write-behind and fjall flushes after SET, counts for \
         that test and not the next), divided by those requests; the resolution is one \
         clock tick (10 ms). Busy is that CPU over the invocation's wall time (1.00 = \
         one CPU all the time; above the server's real load when it worked on after \
         the invocation). redis-benchmark's own CPU (`getrusage(RUSAGE_CHILDREN)` \
         around it) is shown because it shares this machine's CPUs with the server. \
         Throughput moves with whatever else runs on the machine; CPU per request much \
         less, so it is the figure to trust. Ratios: redis CPU/op ÷ corekv CPU/op (above \
         1 means corekv spends less per request) next to corekv rps ÷ redis rps, each \
         against the matching Redis configuration."
    );
    for &pipeline in pipelines {
        let (tests, configs) = cpu_tests_and_configs(runs, pipeline);
        if configs.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "
### CPU per request at `-P {pipeline}`
"
        );
        let _ = writeln!(
            md,
            "| test | server | rps | server µs/op | by thread (µs/op) | server busy | redis-benchmark µs/op (busy) | CPU/op redis ÷ corekv | rps corekv ÷ redis |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---|---:|---:|---:|---:|");
        for test in &tests {
            for config in &configs {
                let Some(c) = cpu_summary(runs, config.name, pipeline, test) else {
                    continue;
                };
                let rps = rps_of(runs, config.name, pipeline, test);
                let (cpu_ratio, rps_ratio) = match config.baseline() {
                    None => ("baseline".to_string(), "baseline".to_string()),
                    Some(base) => {
                        let b = cpu_summary(runs, base, pipeline, test);
                        let b_rps = rps_of(runs, base, pipeline, test);
                        (
                            b.filter(|_| c.server_us > 0.0).map_or_else(
                                || format!("n/a ({base} not measured)"),
                                |b| format!("{:.2}×", b.server_us / c.server_us),
                            ),
                            match (rps, b_rps) {
                                (Some(r), Some(b)) if b > 0.0 => format!("{:.2}×", r / b),
                                _ => "—".to_string(),
                            },
                        )
                    }
                };
                let rounds = if c.rounds > 1 {
                    format!(" ({} rounds)", c.rounds)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    md,
                    "| {test} | {}{rounds} | {} | {:.2} | {} | {:.2} | {:.2} ({:.2}) | {cpu_ratio} | {rps_ratio} |",
                    config.describe(),
                    rps.map_or_else(|| "—".to_string(), |r| format!("{r:.0}")),
                    c.server_us,
                    groups_cell(&c.groups),
                    c.server_busy,
                    c.client_us,
                    c.client_busy,
                );
            }
        }
    }
}

/// `--cores 2` against `--cores 1` (same `--fsync`) for every test and
/// depth both measured: throughput, CPU per request, and how much of the
/// machine redis-benchmark took (issue 12, must show 5).
fn render_scaling(md: &mut String, runs: &[Run], pipelines: &[u32]) {
    let pairs: Vec<(&Config, &Config)> = MATRIX
        .iter()
        .filter_map(|one| {
            let Kind::Corekv { cores: 1, fsync } = one.kind else {
                return None;
            };
            let two = MATRIX
                .iter()
                .find(|c| c.kind == Kind::Corekv { cores: 2, fsync })?;
            Some((one, two))
        })
        .collect();
    let mut rows = Vec::new();
    for &pipeline in pipelines {
        let (tests, _) = cpu_tests_and_configs(runs, pipeline);
        for test in &tests {
            for (one, two) in &pairs {
                let (Some(c1), Some(c2)) = (
                    cpu_summary(runs, one.name, pipeline, test),
                    cpu_summary(runs, two.name, pipeline, test),
                ) else {
                    continue;
                };
                let Kind::Corekv { fsync, .. } = one.kind else {
                    continue;
                };
                let r1 = rps_of(runs, one.name, pipeline, test);
                let r2 = rps_of(runs, two.name, pipeline, test);
                let rps = |r: Option<f64>| r.map_or_else(|| "—".to_string(), |r| format!("{r:.0}"));
                let ratio = match (r1, r2) {
                    (Some(a), Some(b)) if a > 0.0 => format!("{:.2}×", b / a),
                    _ => "—".to_string(),
                };
                let share = |c: &CpuSummary| {
                    let total = c.client_us + c.server_us;
                    if total > 0.0 {
                        c.client_us / total * 100.0
                    } else {
                        0.0
                    }
                };
                rows.push(format!(
                    "| {test} | -P {pipeline} | {} | {} | {} | {ratio} | {:.2} | {:.2} | {:.2} → {:.2} | {:.2} → {:.2} | {:.0}% → {:.0}% |",
                    fsync.flag(),
                    rps(r1),
                    rps(r2),
                    c1.server_us,
                    c2.server_us,
                    c1.server_busy,
                    c2.server_busy,
                    c1.client_busy,
                    c2.client_busy,
                    share(&c1),
                    share(&c2),
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n## Scaling with cores: `--cores 2` against `--cores 1`\n\n\
         Same run, same `--fsync`. Busy is CPU over wall time (1.00 = one CPU); \
         redis-benchmark is single-threaded, so on a small machine its busy share is \
         CPU the server could not have, and its share of the CPU the run used \
         (redis-benchmark ÷ (redis-benchmark + server)) says how much of the \
         figure is the load generator's.\n"
    );
    let _ = writeln!(
        md,
        "| test | depth | fsync | rps --cores 1 | rps --cores 2 | 2 ÷ 1 | server µs/op --cores 1 | server µs/op --cores 2 | server busy 1 → 2 | redis-benchmark busy 1 → 2 | redis-benchmark share of CPU used 1 → 2 |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(md, "{row}");
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

fn ratio_cell(runs: &[Run], config: &Config, pipeline: u32, test: &str, rps: f64) -> String {
    let Some(base_name) = config.baseline() else {
        return match config.kind {
            Kind::Redis(Fsync::Never) => "baseline for `--fsync never`",
            _ => "baseline for `--fsync always`",
        }
        .to_string();
    };
    let base_desc = MATRIX
        .iter()
        .find(|c| c.name == base_name)
        .map_or_else(|| base_name.to_string(), Config::describe);
    match summarize(runs, base_name, pipeline, test) {
        Some(base) if base.rps > 0.0 => format!("{:.2}× {base_desc}", rps / base.rps),
        _ => format!("n/a ({base_desc} not measured)"),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn us_as_ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn render_targets(md: &mut String, runs: &[Run], section: &ClusterSection, pipelines: &[u32]) {
    let _ = writeln!(md, "\n## Cluster targets\n");
    let _ = writeln!(
        md,
        "| test | depth | cluster | cluster rps | baseline rps | ratio | target | met |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---:|---|---|");
    for config in &section.configs {
        let Some(base_name) = config.baseline() else {
            continue;
        };
        let has_targets = base_name == "redis-aof-always";
        for &(test, target) in &TARGETS {
            for &pipeline in pipelines {
                let Some(sum) = summarize(runs, config.name, pipeline, test) else {
                    continue;
                };
                let base = summarize(runs, base_name, pipeline, test).filter(|b| b.rps > 0.0);
                let ratio = base.as_ref().map(|b| sum.rps / b.rps);
                let (target_cell, met) = match (has_targets, ratio) {
                    (true, Some(r)) => (
                        format!("≥ {target:.1}× redis AOF always"),
                        if r >= target { "yes" } else { "**no**" },
                    ),
                    (true, None) => (
                        format!("≥ {target:.1}× redis AOF always"),
                        "n/a (baseline not measured)",
                    ),
                    (false, _) => ("— (targets are vs AOF always)".to_string(), "—"),
                };
                let _ = writeln!(
                    md,
                    "| {test} | -P {pipeline} | {} | {:.0} | {} | {} | {target_cell} | {met} |",
                    config.name,
                    sum.rps,
                    base.map_or_else(
                        || "—".to_string(),
                        |b| format!("{:.0} ({base_name})", b.rps)
                    ),
                    ratio.map_or_else(|| "—".to_string(), |r| format!("{r:.2}×")),
                );
            }
        }
    }
}

fn median_u64(values: impl Iterator<Item = u64>) -> Option<f64> {
    median(values.map(|v| v as f64).collect())
}

fn render_commit(md: &mut String, section: &ClusterSection, pipelines: &[u32]) {
    if section.commit.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n## Raft commit latency (stats socket `raft.commit`)\n\n\
         From a write's proposal to its commit and apply, recorded on the node whose \
         core proposed it, i.e. the group's leader (a node leading no group records \
         nothing). Every node's histograms are reset (`CONFIG RESETSTAT`) before each \
         depth and read right after it; with several rounds, each column is the median \
         over rounds.\n"
    );
    let many = section.commit.iter().any(|c| c.round > 1);
    let _ = writeln!(
        md,
        "| cluster | depth | node | core | commits | p50 ms | p99 ms | p99.9 ms | max ms |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for config in &section.configs {
        for &pipeline in pipelines {
            // (node, core) → samples over rounds.
            let mut cells: BTreeMap<(u64, u64), Vec<Hist>> = BTreeMap::new();
            for c in section
                .commit
                .iter()
                .filter(|c| c.config == config.name && c.pipeline == pipeline)
            {
                cells.entry((c.node, c.core)).or_default().push(c.hist);
            }
            for ((node, core), hists) in cells {
                let count = median_u64(hists.iter().map(|h| h.count)).unwrap_or(0.0);
                let quantile = |f: fn(&Hist) -> u64| {
                    let with_data: Vec<u64> = hists.iter().filter(|h| h.count > 0).map(f).collect();
                    median_u64(with_data.into_iter()).map_or_else(|| "—".to_string(), us_as_ms)
                };
                let rounds = if many {
                    format!(" ({} rounds)", hists.len())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    md,
                    "| {} | -P {pipeline} | {node} | {core} | {count:.0}{rounds} | {} | {} | {} | {} |",
                    config.name,
                    quantile(|h| h.p50_us),
                    quantile(|h| h.p99_us),
                    quantile(|h| h.p999_us),
                    quantile(|h| h.max_us),
                );
            }
        }
    }
}

/// `2× `class` (answered after 0–3 ms); ...`, or 0.
fn error_cell(errors: &BTreeMap<String, ErrorStat>) -> String {
    if errors.is_empty() {
        return "0".to_string();
    }
    errors
        .iter()
        .map(|(class, e)| {
            format!(
                "{}× `{class}` (answered after {}–{} ms)",
                e.count,
                e.fastest.as_millis(),
                e.slowest.as_millis()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn render_failover(md: &mut String, section: &ClusterSection) {
    if section.failover.is_empty() && section.failover_notes.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Leader failover\n");
    for line in &section.failover_setup {
        let _ = writeln!(md, "- {line}");
    }
    if !section.failover.is_empty() {
        let _ = writeln!(
            md,
            "\n| round | killed node (led groups) | writes resumed | per group | restart → PING | restart → caught up | restart → leaders back | longest write gap after restart | writes ok | failed writes until restart | failed writes after restart |"
        );
        let _ = writeln!(md, "|---:|---|---:|---|---:|---:|---:|---:|---:|---|---|");
    }
    for r in &section.failover {
        let victim = match r.victim {
            Some(v) => format!(
                "{v} ({}){}",
                r.victim_groups
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                if r.preferred_before {
                    ""
                } else {
                    ", leaders not on preferred nodes before"
                }
            ),
            None => "—".to_string(),
        };
        match &r.outcome {
            Ok(t) => {
                let per_group = t
                    .per_group
                    .iter()
                    .map(|(g, d)| format!("g{g} {:.3}", d.as_secs_f64()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let errors_down = error_cell(&t.errors_down);
                let errors_after = error_cell(&t.errors_after_restart);
                let _ = writeln!(
                    md,
                    "| {} | {victim} | {} | {per_group} | {} | {} | {} | {} | {} | {errors_down} | {errors_after} |",
                    r.round,
                    secs(t.recovery),
                    secs(t.restart_ping),
                    secs(t.catch_up),
                    t.rebalance
                        .map_or_else(|| "not within the bound".to_string(), secs),
                    secs(t.gap_after_restart),
                    t.writes_ok,
                );
            }
            Err(err) => {
                let _ = writeln!(
                    md,
                    "| {} | {victim} | failed: {} | | | | | | | | |",
                    r.round,
                    err.replace('|', "\\|").replace('\n', " ")
                );
            }
        }
    }
    let ok: Vec<_> = section
        .failover
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .collect();
    if !ok.is_empty() {
        let _ = writeln!(
            md,
            "\n| over {} successful round(s) | min | median | max |",
            ok.len()
        );
        let _ = writeln!(md, "|---|---:|---:|---:|");
        let rows: [(&str, Vec<Duration>); 5] = [
            (
                "kill → writes to every group resumed",
                ok.iter().map(|t| t.recovery).collect(),
            ),
            (
                "restart → PING",
                ok.iter().map(|t| t.restart_ping).collect(),
            ),
            (
                "restart → caught up (applied ≥ leader commit, every group)",
                ok.iter().map(|t| t.catch_up).collect(),
            ),
            (
                "restart → leaders back on preferred nodes",
                ok.iter().filter_map(|t| t.rebalance).collect(),
            ),
            (
                "longest write gap of a group after the restart",
                ok.iter().map(|t| t.gap_after_restart).collect(),
            ),
        ];
        for (name, values) in rows {
            let n = values.len();
            if let Some(s) = spread(values) {
                let partial = if n < ok.len() {
                    format!(" ({n} of {} rounds)", ok.len())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    md,
                    "| {name}{partial} | {} | {} | {} |",
                    secs(s.min),
                    secs(s.median),
                    secs(s.max)
                );
            }
        }
    }
    if !section.failover_notes.is_empty() {
        let _ = writeln!(md);
        for note in &section.failover_notes {
            let _ = writeln!(md, "- note: {note}");
        }
    }
}

pub fn render(header: &Header, runs: &[Run]) -> String {
    let mut md = String::new();
    let title = if header.cluster.is_some() {
        "# corekv-bench: redis-benchmark, Redis vs a local corekv cluster\n"
    } else {
        "# corekv-bench: redis-benchmark, Redis vs corekv\n"
    };
    let _ = writeln!(md, "{title}");
    for (key, value) in &header.facts {
        let _ = writeln!(md, "- {key}: {value}");
    }
    let many_rounds = runs.iter().any(|r| r.round > 1);
    for &pipeline in &header.pipelines {
        let here: Vec<&Run> = runs.iter().filter(|r| r.pipeline == pipeline).collect();
        let Some(first) = here.first() else { continue };
        let _ = writeln!(
            md,
            "\n## Pipeline depth {pipeline} (`-P {pipeline}`, `-n {}`)\n",
            first.requests
        );
        if many_rounds {
            let _ = writeln!(
                md,
                "| test | server | rps (median) | rps min–max | rounds | p50 ms | p99 ms | rps vs baseline |"
            );
            let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---|");
        } else {
            let _ = writeln!(
                md,
                "| test | server | rps | p50 ms | p99 ms | rps vs baseline |"
            );
            let _ = writeln!(md, "|---|---|---:|---:|---:|---|");
        }
        // Tests in the order redis-benchmark printed them, servers in matrix order.
        let mut tests: Vec<&str> = Vec::new();
        let mut configs: Vec<Config> = Vec::new();
        for run in &here {
            if !configs.contains(&run.config) {
                configs.push(run.config);
            }
            for row in run.outcome.iter().flatten() {
                if !tests.contains(&row.test.as_str()) {
                    tests.push(&row.test);
                }
            }
        }
        for test in tests {
            for config in &configs {
                let Some(sum) = summarize(runs, config.name, pipeline, test) else {
                    continue;
                };
                let ratio = ratio_cell(runs, config, pipeline, test, sum.rps);
                let spread = if many_rounds {
                    format!(" {:.0}–{:.0} | {} |", sum.rps_min, sum.rps_max, sum.rounds)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    md,
                    "| {test} | {} | {:.0} |{spread} {} | {} | {ratio} |",
                    config.describe(),
                    sum.rps,
                    ms(sum.p50_ms),
                    ms(sum.p99_ms),
                );
            }
        }
    }
    render_cpu(&mut md, runs, &header.pipelines);
    render_scaling(&mut md, runs, &header.pipelines);
    if let Some(section) = &header.cluster {
        render_targets(&mut md, runs, section, &header.pipelines);
        render_commit(&mut md, section, &header.pipelines);
        render_failover(&mut md, section);
    }
    let failures: Vec<&Run> = runs.iter().filter(|r| r.outcome.is_err()).collect();
    if !failures.is_empty() {
        let _ = writeln!(md, "\n## Failed runs\n");
        for run in failures {
            if let Err(err) = &run.outcome {
                let _ = writeln!(
                    md,
                    "- {} at `-P {}`, round {}:\n\n```text\n{}\n```",
                    run.config.describe(),
                    run.pipeline,
                    run.round,
                    err.trim()
                );
            }
        }
    }
    if !header.stats.is_empty() {
        let _ = writeln!(md, "\n## corekv-stats after each corekv run\n");
        for (name, text) in &header.stats {
            let _ = writeln!(md, "### {name}\n\n```text\n{}\n```\n", text.trim_end());
        }
    }
    let _ = writeln!(md, "\n## Commands run\n\n```sh");
    for command in &header.commands {
        let _ = writeln!(md, "{command}");
    }
    let _ = writeln!(md, "```");
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(test: &str, rps: f64) -> BenchRow {
        BenchRow {
            test: test.to_string(),
            rps,
            avg_ms: None,
            p50_ms: Some(0.25),
            p95_ms: None,
            p99_ms: Some(1.0),
            max_ms: None,
        }
    }

    fn run(name: &str, pipeline: u32, rows: Vec<BenchRow>) -> Run {
        Run {
            config: *MATRIX.iter().find(|c| c.name == name).unwrap(),
            pipeline,
            round: 1,
            requests: 10,
            outcome: Ok(rows),
            cpu: Vec::new(),
        }
    }

    #[test]
    fn ratios_use_the_matching_baseline() {
        let runs = vec![
            run("redis-nopersist", 1, vec![row("SET", 100.0)]),
            run("redis-aof-always", 1, vec![row("SET", 10.0)]),
            run("corekv-c1-never", 1, vec![row("SET", 150.0)]),
            run("corekv-c1-always", 1, vec![row("SET", 30.0)]),
        ];
        let header = Header {
            facts: vec![],
            commands: vec![],
            stats: vec![],
            pipelines: vec![1, 16],
            cluster: None,
        };
        let md = render(&header, &runs);
        assert!(md.contains("| SET | corekv --cores 1 --fsync never | 150 | 0.250 | 1.000 | 1.50× redis (no persistence) |"), "{md}");
        assert!(md.contains("| SET | corekv --cores 1 --fsync always | 30 | 0.250 | 1.000 | 3.00× redis (appendfsync always) |"), "{md}");
        assert!(!md.contains("Pipeline depth 16"));
    }

    #[test]
    fn missing_baseline_and_failures_are_reported() {
        let mut failed = run("corekv-c2-never", 1, vec![]);
        failed.outcome = Err("server did not answer PING".to_string());
        let runs = vec![run("corekv-c1-never", 1, vec![row("GET", 5.0)]), failed];
        let header = Header {
            facts: vec![],
            commands: vec![],
            stats: vec![],
            pipelines: vec![1],
            cluster: None,
        };
        let md = render(&header, &runs);
        assert!(md.contains("n/a (redis (no persistence) not measured)"));
        assert!(md.contains("## Failed runs"));
        assert!(md.contains("round 1"));
        assert!(md.contains("server did not answer PING"));
    }

    fn cpu(
        test: &str,
        requests: u64,
        wall_ms: u64,
        groups: &[(&str, u64)],
        client_ms: u64,
    ) -> TestCpu {
        let mut server = Used::default();
        for &(name, ms) in groups {
            let d = Duration::from_millis(ms);
            server.total += d;
            server.by_group.insert(name.to_string(), d);
        }
        TestCpu {
            test: test.to_string(),
            requests,
            wall: Duration::from_millis(wall_ms),
            server,
            client: Duration::from_millis(client_ms),
        }
    }

    #[test]
    fn cpu_per_request_and_core_scaling() {
        let mut runs = vec![
            run(
                "redis-nopersist",
                16,
                vec![row("SET", 800.0), row("GET", 1000.0)],
            ),
            run(
                "corekv-c1-never",
                16,
                vec![row("SET", 400.0), row("GET", 900.0)],
            ),
            run(
                "corekv-c2-never",
                16,
                vec![row("SET", 500.0), row("GET", 1350.0)],
            ),
        ];
        // A million requests each: 1000 ms of CPU is 1 µs/op.
        runs[0].cpu = vec![
            cpu(
                "SET",
                1_000_000,
                1250,
                &[("redis-server", 1000), ("bio_aof", 8)],
                500,
            ),
            cpu("GET", 1_000_000, 1000, &[("redis-server", 800)], 500),
        ];
        runs[1].cpu = vec![
            cpu(
                "SET",
                1_000_000,
                2500,
                &[("core", 2000), ("persist", 1000)],
                600,
            ),
            cpu("GET", 1_000_000, 1100, &[("core", 1000)], 550),
        ];
        runs[2].cpu = vec![
            cpu(
                "SET",
                1_000_000,
                2000,
                &[("core", 2600), ("persist", 1200)],
                700,
            ),
            cpu("GET", 1_000_000, 800, &[("core", 1200), ("heavy", 2)], 720),
        ];
        let header = Header {
            facts: vec![],
            commands: vec![],
            stats: vec![],
            pipelines: vec![16],
            cluster: None,
        };
        let md = render(&header, &runs);
        assert!(md.contains("### CPU per request at `-P 16`"), "{md}");
        assert!(
            md.contains("| GET | redis (no persistence) | 1000 | 0.80 | redis-server 0.80 | 0.80 | 0.50 (0.50) | baseline | baseline |"),
            "{md}"
        );
        assert!(
            md.contains("| SET | redis (no persistence) | 800 | 1.01 | redis-server 1.00, other 0.01 | 0.81 | 0.50 (0.40) | baseline | baseline |"),
            "{md}"
        );
        // corekv at 3 µs/op against redis at 1.008 µs/op: 0.34×; rps 0.50×.
        assert!(
            md.contains("| SET | corekv --cores 1 --fsync never | 400 | 3.00 | core 2.00, persist 1.00 | 1.20 | 0.60 (0.24) | 0.34× | 0.50× |"),
            "{md}"
        );
        assert!(md.contains("## Scaling with cores"), "{md}");
        // GET: 900 → 1350 rps, 1.00 → 1.20 µs/op, busy 0.91 → 1.50,
        // redis-benchmark's share 550/1550 → 720/1924.
        assert!(
            md.contains("| GET | -P 16 | never | 900 | 1350 | 1.50× | 1.00 | 1.20 | 0.91 → 1.50 | 0.50 → 0.90 | 35% → 37% |"),
            "{md}"
        );
        // Without CPU samples (clusters) there is no CPU section.
        for r in &mut runs {
            r.cpu.clear();
        }
        let md = render(&header, &runs);
        assert!(!md.contains("CPU per request"), "{md}");
        assert!(!md.contains("Scaling with cores"), "{md}");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn rounds_give_medians_and_spread() {
        let config = *MATRIX.iter().find(|c| c.name == "redis-nopersist").unwrap();
        let runs: Vec<Run> = [100.0, 300.0, 200.0]
            .iter()
            .enumerate()
            .map(|(i, &rps)| Run {
                config,
                pipeline: 1,
                round: i as u32 + 1,
                requests: 10,
                outcome: Ok(vec![BenchRow {
                    test: "SET".to_string(),
                    rps,
                    avg_ms: None,
                    p50_ms: Some(rps / 100.0),
                    p95_ms: None,
                    p99_ms: None,
                    max_ms: None,
                }]),
                cpu: Vec::new(),
            })
            .collect();
        let header = Header {
            facts: vec![],
            commands: vec![],
            stats: vec![],
            pipelines: vec![1],
            cluster: None,
        };
        let md = render(&header, &runs);
        assert!(
            md.contains("| SET | redis (no persistence) | 200 | 100–300 | 3 | 2.000 | — |"),
            "{md}"
        );
    }

    #[test]
    fn cluster_section_shows_targets_commit_latency_and_failover() {
        use crate::failover::Times;
        let cluster = Config::cluster(3, 1, Fsync::Always, false);
        let mut runs = vec![
            run(
                "redis-aof-always",
                1,
                vec![row("SET", 100.0), row("GET", 200.0)],
            ),
            run(
                "redis-aof-always",
                16,
                vec![row("SET", 1000.0), row("GET", 2000.0)],
            ),
        ];
        for (pipeline, set, get) in [(1, 60.0, 210.0), (16, 400.0, 1500.0)] {
            runs.push(Run {
                config: cluster,
                pipeline,
                round: 1,
                requests: 10,
                outcome: Ok(vec![row("SET", set), row("GET", get)]),
                cpu: Vec::new(),
            });
        }
        let hist = |count, p50_us, p99_us| Hist {
            count,
            p50_us,
            p99_us,
            p999_us: p99_us * 2,
            max_us: p99_us * 3,
        };
        let sample = |round, node, h| CommitSample {
            config: cluster.name,
            round,
            pipeline: 1,
            node,
            core: 0,
            hist: h,
        };
        let ok = Times {
            recovery: Duration::from_millis(650),
            per_group: vec![
                (1, Duration::from_millis(650)),
                (2, Duration::from_millis(3)),
            ],
            restart_ping: Duration::from_millis(50),
            catch_up: Duration::from_millis(300),
            rebalance: None,
            writes_ok: 4000,
            errors_down: BTreeMap::new(),
            errors_after_restart: BTreeMap::from([(
                "TRYAGAIN group leader".to_string(),
                ErrorStat {
                    count: 2,
                    fastest: Duration::from_millis(3),
                    slowest: Duration::from_millis(950),
                },
            )]),
            gap_after_restart: Duration::from_millis(30),
        };
        let mut slower = ok.clone();
        slower.recovery = Duration::from_millis(1050);
        slower.rebalance = Some(Duration::from_millis(400));
        let round = |n, outcome| RoundResult {
            round: n,
            victim: Some(1),
            victim_groups: vec![1],
            preferred_before: true,
            outcome,
        };
        let header = Header {
            facts: vec![],
            commands: vec![],
            stats: vec![],
            pipelines: vec![1, 16],
            cluster: Some(ClusterSection {
                configs: vec![cluster],
                commit: vec![
                    sample(1, 1, hist(100, 1700, 8400)),
                    sample(2, 1, hist(300, 1900, 9000)),
                    sample(3, 1, hist(200, 1500, 8000)),
                    sample(1, 3, hist(0, 0, 0)),
                ],
                failover: vec![
                    round(1, Ok(ok)),
                    round(
                        2,
                        Err("writes | to group(s) [1] did not resume".to_string()),
                    ),
                    round(3, Ok(slower)),
                ],
                failover_notes: vec!["node 2 log: 1 line".to_string()],
                failover_setup: vec!["kill -9".to_string()],
            }),
        };
        let md = render(&header, &runs);
        assert!(md.starts_with("# corekv-bench: redis-benchmark, Redis vs a local corekv cluster"));
        assert!(md.contains("| SET | -P 1 | corekv-cluster-node1 | 60 | 100 (redis-aof-always) | 0.60× | ≥ 0.5× redis AOF always | yes |"), "{md}");
        assert!(md.contains("| SET | -P 16 | corekv-cluster-node1 | 400 | 1000 (redis-aof-always) | 0.40× | ≥ 0.5× redis AOF always | **no** |"), "{md}");
        assert!(md.contains("| GET | -P 1 | corekv-cluster-node1 | 210 | 200 (redis-aof-always) | 1.05× | ≥ 1.0× redis AOF always | yes |"), "{md}");
        // Medians over the three rounds; a node that led nothing has no quantiles.
        assert!(md.contains("| corekv-cluster-node1 | -P 1 | 1 | 0 | 200 (3 rounds) | 1.70 | 8.40 | 16.80 | 25.20 |"), "{md}");
        assert!(
            md.contains("| corekv-cluster-node1 | -P 1 | 3 | 0 | 0 (1 rounds) | — | — | — | — |"),
            "{md}"
        );
        assert!(md.contains("| 1 | 1 (1) | 0.650 s | g1 0.650, g2 0.003 | 0.050 s | 0.300 s | not within the bound | 0.030 s | 4000 | 0 | 2× `TRYAGAIN group leader` (answered after 3–950 ms) |"), "{md}");
        assert!(
            md.contains("| 2 | 1 (1) | failed: writes \\| to group(s) [1] did not resume |"),
            "{md}"
        );
        assert!(
            md.contains("| over 2 successful round(s) | min | median | max |"),
            "{md}"
        );
        assert!(
            md.contains("| kill → writes to every group resumed | 0.650 s | 0.850 s | 1.050 s |"),
            "{md}"
        );
        assert!(md.contains("| restart → leaders back on preferred nodes (1 of 2 rounds) | 0.400 s | 0.400 s | 0.400 s |"), "{md}");
        assert!(md.contains("- note: node 2 log: 1 line"));
    }
}
