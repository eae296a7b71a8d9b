//! Turns the results of one benchmark session into markdown: a header that
//! says what machine and what commands produced the numbers, then one table
//! per pipeline depth with each corekv row's ratio against its Redis
//! baseline from the same session.

use std::fmt::Write as _;

use crate::csv::BenchRow;
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
}

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

pub fn render(header: &Header, runs: &[Run]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# corekv-bench: redis-benchmark, Redis vs corekv\n");
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
        };
        let md = render(&header, &runs);
        assert!(
            md.contains("| SET | redis (no persistence) | 200 | 100–300 | 3 | 2.000 | — |"),
            "{md}"
        );
    }
}
