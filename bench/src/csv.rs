//! Parses the `--csv` output of `redis-benchmark`. Redis 7 prints a header
//! row and eight columns (rps plus a latency summary); Redis 6 and older
//! print only `"TEST","rps"` rows with no header. Both are accepted so the
//! same program works whichever redis-tools the machine has.

use anyhow::{Context, Result, bail};

/// One line of results: a single test (`SET`, `GET`, ...) at one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    pub test: String,
    pub rps: f64,
    /// Latency columns exist only in the Redis 7 format.
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Splits one CSV line into fields; handles `"quoted"` fields with `""`
/// escapes, which is all redis-benchmark ever emits.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn number(field: Option<&String>, what: &str, line: &str) -> Result<f64> {
    let text = field.with_context(|| format!("missing {what} in {line:?}"))?;
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("bad {what} {text:?} in {line:?}"))
}

/// Parses the whole stdout of one `redis-benchmark --csv` run.
pub fn parse(output: &str) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    // Column indexes, learned from the header when there is one.
    let mut columns: Option<Vec<String>> = None;
    for raw in output.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let fields = split_fields(line);
        if fields
            .first()
            .is_some_and(|f| f.eq_ignore_ascii_case("test"))
        {
            columns = Some(fields.iter().map(|f| f.to_ascii_lowercase()).collect());
            continue;
        }
        let Some(test) = fields.first().cloned() else {
            continue;
        };
        let row = match &columns {
            Some(cols) => {
                let get = |name: &str| -> Result<Option<f64>> {
                    match cols.iter().position(|c| c == name) {
                        Some(i) => number(fields.get(i), name, line).map(Some),
                        None => Ok(None),
                    }
                };
                let rps = get("rps")?.with_context(|| format!("no rps column in {cols:?}"))?;
                BenchRow {
                    test,
                    rps,
                    avg_ms: get("avg_latency_ms")?,
                    p50_ms: get("p50_latency_ms")?,
                    p95_ms: get("p95_latency_ms")?,
                    p99_ms: get("p99_latency_ms")?,
                    max_ms: get("max_latency_ms")?,
                }
            }
            None => BenchRow {
                test,
                rps: number(fields.get(1), "rps", line)?,
                avg_ms: None,
                p50_ms: None,
                p95_ms: None,
                p99_ms: None,
                max_ms: None,
            },
        };
        rows.push(row);
    }
    if rows.is_empty() {
        bail!("no result rows in redis-benchmark output {output:?}");
    }
    Ok(rows)
}

/// Merges the results of redis-benchmark runs that ran at the same time
/// against different servers (`--cluster-target all`): per test, the rps
/// add up and each latency is the worst of the runs. Tests in the order of
/// the first run; a test missing from any run is an error.
pub fn merge_concurrent(runs: &[Vec<BenchRow>]) -> Result<Vec<BenchRow>> {
    let Some(first) = runs.first() else {
        bail!("no redis-benchmark results to merge");
    };
    let worst = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    first
        .iter()
        .map(|row| {
            let mut merged = row.clone();
            for other in runs.iter().skip(1) {
                let same = other
                    .iter()
                    .find(|r| r.test == row.test)
                    .with_context(|| format!("test {} missing from a concurrent run", row.test))?;
                merged.rps += same.rps;
                merged.avg_ms = worst(merged.avg_ms, same.avg_ms);
                merged.p50_ms = worst(merged.p50_ms, same.p50_ms);
                merged.p95_ms = worst(merged.p95_ms, same.p95_ms);
                merged.p99_ms = worst(merged.p99_ms, same.p99_ms);
                merged.max_ms = worst(merged.max_ms, same.max_ms);
            }
            Ok(merged)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis7_format_with_header() {
        let out = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
                   \"SET\",\"81967.21\",\"0.329\",\"0.088\",\"0.311\",\"0.487\",\"0.647\",\"2.031\"\n\
                   \"GET\",\"90909.09\",\"0.300\",\"0.080\",\"0.295\",\"0.439\",\"0.583\",\"1.215\"\n";
        let rows = parse(out).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].test, "SET");
        assert_eq!(rows[0].rps, 81967.21);
        assert_eq!(rows[0].p50_ms, Some(0.311));
        assert_eq!(rows[0].p99_ms, Some(0.647));
        assert_eq!(rows[1].test, "GET");
        assert_eq!(rows[1].max_ms, Some(1.215));
    }

    #[test]
    fn old_format_without_header() {
        let rows = parse("\"SET\",\"81967.21\"\n\"GET\",\"90909.09\"\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].rps, 90909.09);
        assert_eq!(rows[1].p99_ms, None);
    }

    #[test]
    fn test_names_with_commas_and_quotes() {
        let rows = parse("\"LPUSH (needed to benchmark LRANGE)\",\"1.5\"\n\"A,\"\"B\"\"\",\"2\"\n")
            .unwrap();
        assert_eq!(rows[0].test, "LPUSH (needed to benchmark LRANGE)");
        assert_eq!(rows[1].test, "A,\"B\"");
        assert_eq!(rows[1].rps, 2.0);
    }

    #[test]
    fn concurrent_runs_add_rps_and_keep_the_worst_latency() {
        let a = parse("\"test\",\"rps\",\"p50_latency_ms\",\"p99_latency_ms\"\n\"SET\",\"100\",\"1.0\",\"5.0\"\n\"GET\",\"200\",\"0.5\",\"1.0\"\n").unwrap();
        let b = parse("\"test\",\"rps\",\"p50_latency_ms\",\"p99_latency_ms\"\n\"GET\",\"300\",\"0.7\",\"0.9\"\n\"SET\",\"50\",\"2.0\",\"4.0\"\n").unwrap();
        let merged = merge_concurrent(&[a.clone(), b]).unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].test, "SET");
        assert_eq!(merged[0].rps, 150.0);
        assert_eq!(merged[0].p50_ms, Some(2.0));
        assert_eq!(merged[0].p99_ms, Some(5.0));
        assert_eq!(merged[1].rps, 500.0);
        assert_eq!(merged[1].p50_ms, Some(0.7));
        assert_eq!(merge_concurrent(std::slice::from_ref(&a)).unwrap(), a);
        assert!(merge_concurrent(&[]).is_err());
        let only_set = parse("\"SET\",\"1\"\n").unwrap();
        assert!(merge_concurrent(&[a, only_set]).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("").is_err());
        assert!(parse("\"SET\",\"fast\"\n").is_err());
        assert!(parse("\"test\",\"rps\"\n\"SET\"\n").is_err());
    }
}
