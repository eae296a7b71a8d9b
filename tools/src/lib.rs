//! Operator tooling shared by the CLIs in `src/bin/`.
//!
//! Today this is the stats reader behind `corekv-stats`: the client side of
//! the stats socket protocol (connect, write `stats\n`, read one JSON
//! document until the server closes) and the plain-text table it prints.
//! Everything here is synchronous and bounded; it never panics on what the
//! server sends.

#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Largest stats document we accept; a real one is a few KiB.
pub const MAX_STATS_BYTES: u64 = 16 * 1024 * 1024;
/// How long to wait for the server to answer.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(5);

/// Histograms in the order the table shows them; unknown ones follow sorted.
const HISTOGRAM_ORDER: [&str; 5] = [
    "cmd.read",
    "cmd.write",
    "raft.persist",
    "raft.commit",
    "raft.apply",
];
/// Counters in the order the table shows them; unknown ones follow sorted.
const COUNTER_ORDER: [&str; 7] = [
    "commands",
    "forwarded_out",
    "forwarded_in",
    "proposals",
    "raft_batches",
    "fsyncs",
    "connections",
];

/// The whole stats document.
#[derive(Debug, Deserialize, PartialEq)]
pub struct Stats {
    pub node: Node,
    pub cores: Vec<CoreStats>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct Node {
    pub version: String,
    pub uptime_s: u64,
    pub cores: u64,
    /// Absent from servers that predate per-command heavy counters.
    #[serde(default)]
    pub heavy: Option<Heavy>,
}

/// The heavy pool (KEYS, SCAN and snapshot sends off the cores).
#[derive(Debug, Deserialize, PartialEq)]
pub struct Heavy {
    pub submitted: u64,
    pub rejected: u64,
    /// Accepted jobs per heavy command (one per group for KEYS).
    #[serde(default)]
    pub by_command: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct CoreStats {
    pub core: u64,
    #[serde(default)]
    pub groups: Vec<u64>,
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    #[serde(default)]
    pub histograms: BTreeMap<String, Histogram>,
}

#[derive(Debug, Deserialize, PartialEq)]
pub struct Histogram {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    #[serde(default)]
    pub mean_us: f64,
}

/// Errors reading the stats socket.
#[derive(Debug)]
pub enum StatsError {
    Connect(std::io::Error),
    Io(std::io::Error),
    TooLarge,
    Json(serde_json::Error),
}

impl std::fmt::Display for StatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatsError::Connect(e) => write!(f, "cannot connect: {e}"),
            StatsError::Io(e) => write!(f, "reading stats failed: {e}"),
            StatsError::TooLarge => write!(f, "stats reply exceeds {MAX_STATS_BYTES} bytes"),
            StatsError::Json(e) => write!(f, "stats reply is not valid JSON: {e}"),
        }
    }
}

impl std::error::Error for StatsError {}

/// Fetches the raw stats document from the socket at `path`.
pub fn fetch_raw(path: &Path) -> Result<String, StatsError> {
    let mut s = UnixStream::connect(path).map_err(StatsError::Connect)?;
    s.set_read_timeout(Some(STATS_TIMEOUT))
        .map_err(StatsError::Io)?;
    s.set_write_timeout(Some(STATS_TIMEOUT))
        .map_err(StatsError::Io)?;
    s.write_all(b"stats\n").map_err(StatsError::Io)?;
    let mut body = String::new();
    // Read one byte past the cap so an oversized reply is detected, not cut.
    s.take(MAX_STATS_BYTES + 1)
        .read_to_string(&mut body)
        .map_err(StatsError::Io)?;
    if body.len() as u64 > MAX_STATS_BYTES {
        return Err(StatsError::TooLarge);
    }
    Ok(body)
}

/// Parses a stats document.
pub fn parse(body: &str) -> Result<Stats, StatsError> {
    serde_json::from_str(body).map_err(StatsError::Json)
}

/// Known names first in their fixed order, then the rest alphabetically.
fn ordered<'a, V>(map: &'a BTreeMap<String, V>, known: &[&str]) -> Vec<(&'a str, &'a V)> {
    let mut out: Vec<(&str, &V)> = known
        .iter()
        .filter_map(|k| map.get_key_value(*k).map(|(k, v)| (k.as_str(), v)))
        .collect();
    out.extend(
        map.iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v)),
    );
    out
}

/// Renders the per-core latency table and the per-core counters.
pub fn render_table(stats: &Stats) -> String {
    let mut out = String::new();
    let n = &stats.node;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "corekv {}  uptime {}s  cores {}",
        n.version, n.uptime_s, n.cores
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "latency (µs)");
    let _ = writeln!(
        out,
        "{:>4}  {:<14} {:>10} {:>8} {:>8} {:>8} {:>8}",
        "core", "metric", "count", "p50", "p99", "p99.9", "max"
    );
    for core in &stats.cores {
        for (name, h) in ordered(&core.histograms, &HISTOGRAM_ORDER) {
            let _ = writeln!(
                out,
                "{:>4}  {:<14} {:>10} {:>8} {:>8} {:>8} {:>8}",
                core.core, name, h.count, h.p50_us, h.p99_us, h.p999_us, h.max_us
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "counters");
    let _ = writeln!(out, "{:>4}  {:<14} {:>12}", "core", "counter", "value");
    for core in &stats.cores {
        for (name, v) in ordered(&core.counters, &COUNTER_ORDER) {
            let _ = writeln!(out, "{:>4}  {:<14} {:>12}", core.core, name, v);
        }
        let groups: Vec<String> = core.groups.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "{:>4}  {:<14} {:>12}",
            core.core,
            "groups",
            if groups.is_empty() {
                "-".to_string()
            } else {
                groups.join(",")
            }
        );
    }
    if let Some(h) = &n.heavy {
        let _ = writeln!(out);
        let _ = writeln!(out, "heavy pool");
        let _ = writeln!(out, "{:<20} {:>12}", "submitted", h.submitted);
        let _ = writeln!(out, "{:<20} {:>12}", "rejected", h.rejected);
        for (name, v) in &h.by_command {
            let _ = writeln!(out, "{:<20} {:>12}", format!("jobs.{name}"), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = r#"{"node":{"version":"0.1.0","uptime_s":12,"cores":2,
      "heavy":{"submitted":9,"rejected":1,"by_command":{"keys":8,"scan":1}}},
      "cores":[{"core":0,"groups":[1,3],
        "counters":{"commands":123,"forwarded_out":4,"forwarded_in":5,"proposals":50,
                    "raft_batches":10,"fsyncs":10,"connections":3,"zeta":1},
        "histograms":{"raft.apply":{"count":7,"p50_us":1,"p99_us":2,"p999_us":3,"max_us":4,"mean_us":1.5},
                      "cmd.read":{"count":100,"p50_us":12,"p99_us":40,"p999_us":80,"max_us":90,"mean_us":14.2},
                      "extra.hist":{"count":1,"p50_us":1,"p99_us":1,"p999_us":1,"max_us":1,"mean_us":1.0}}},
        {"core":1,"groups":[],"counters":{"commands":9},"histograms":{}}]}"#;

    #[test]
    fn parses_documented_shape() {
        let s = parse(SAMPLE).expect("parse");
        assert_eq!(s.node.cores, 2);
        assert_eq!(s.cores.len(), 2);
        let c0 = s.cores.first().expect("core 0");
        assert_eq!(c0.groups, [1, 3]);
        assert_eq!(c0.counters.get("commands"), Some(&123));
        assert_eq!(c0.histograms.get("cmd.read").map(|h| h.p999_us), Some(80));
        let heavy = s.node.heavy.as_ref().expect("heavy");
        assert_eq!((heavy.submitted, heavy.rejected), (9, 1));
        assert_eq!(heavy.by_command.get("keys"), Some(&8));
        // An older server's document has no heavy section.
        let old = parse(r#"{"node":{"version":"0.1.0","uptime_s":1,"cores":1},"cores":[]}"#)
            .expect("parse old");
        assert_eq!(old.node.heavy, None);
    }

    #[test]
    fn rejects_bad_json() {
        assert!(matches!(parse("{"), Err(StatsError::Json(_))));
        assert!(matches!(parse(r#"{"node":1}"#), Err(StatsError::Json(_))));
    }

    #[test]
    fn table_has_rows_in_order() {
        let t = render_table(&parse(SAMPLE).expect("parse"));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.contains(&"corekv 0.1.0  uptime 12s  cores 2"), "{t}");
        let header = lines.iter().find(|l| l.contains("metric")).expect("header");
        for col in ["core", "count", "p50", "p99", "p99.9", "max"] {
            assert!(header.contains(col), "{header}");
        }
        let row = |needle: &str| {
            lines
                .iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no row {needle}:\n{t}"))
        };
        // Known histograms in fixed order, unknown ones after them.
        assert!(row("cmd.read") < row("raft.apply"));
        assert!(row("raft.apply") < row("extra.hist"));
        let read: Vec<&str> = lines
            .get(row("cmd.read"))
            .expect("row")
            .split_whitespace()
            .collect();
        assert_eq!(read, ["0", "cmd.read", "100", "12", "40", "80", "90"]);
        // Counters: known first, unknown after, per core.
        assert!(row("forwarded_out") < row("zeta"));
        let c1: Vec<&str> = lines
            .iter()
            .filter(|l| l.trim_start().starts_with("1 "))
            .copied()
            .collect();
        assert_eq!(c1.len(), 2, "{t}");
        assert!(
            c1.iter()
                .any(|l| l.split_whitespace().eq(["1", "commands", "9"]))
        );
        assert!(
            c1.iter()
                .any(|l| l.split_whitespace().eq(["1", "groups", "-"]))
        );
        assert!(t.contains("1,3"));
        // The heavy pool's per-command counters follow the cores.
        assert!(row("groups") < row("heavy pool"), "{t}");
        let keys: Vec<&str> = lines
            .get(row("jobs.keys"))
            .expect("row")
            .split_whitespace()
            .collect();
        assert_eq!(keys, ["jobs.keys", "8"]);
    }

    #[test]
    fn missing_socket_is_a_connect_error() {
        let err = fetch_raw(Path::new("/nonexistent/corekv/stats.sock"));
        assert!(matches!(err, Err(StatsError::Connect(_))));
    }
}
