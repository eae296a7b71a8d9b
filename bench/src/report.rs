//! Turns the results of one benchmark session into markdown: a header that
//! says what machine and what commands produced the numbers, then one table
//! per pipeline depth with each corekv row's ratio against its Redis
//! baseline from the same session. With `--cluster`, also the targets of
//! the cluster against Redis, the Raft commit latency of every node, and
//! the leader failover rounds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

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
