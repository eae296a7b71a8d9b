//! The stats socket and the corekv-stats CLI (corekv only).

use corekv_tests::{Reply, Server, check, corekv_only, stats_bin, stats_doc};
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HISTOGRAMS: [&str; 5] = [
    "cmd.read",
    "cmd.write",
    "raft.persist",
    "raft.commit",
    "raft.apply",
];
const COUNTERS: [&str; 7] = [
    "commands",
    "forwarded_out",
    "forwarded_in",
    "proposals",
    "raft_batches",
    "fsyncs",
    "connections",
];

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} not a number: {v}"))
}

/// A counter or count: a JSON unsigned integer (not a float, not negative).
fn int(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what} not an unsigned integer: {v}"))
}

/// Node-wide sums of a stats document: every counter and every
/// histogram's count, by name.
#[derive(Debug, Clone, Default)]
struct Totals(std::collections::BTreeMap<String, u64>);

impl Totals {
    fn get(&self, name: &str) -> u64 {
        self.0.get(name).copied().unwrap_or(0)
    }
    /// How much `name` grew from `before` to `self`.
    fn delta(&self, before: &Totals, name: &str) -> u64 {
        self.get(name)
            .checked_sub(before.get(name))
            .unwrap_or_else(|| panic!("{name} went down: {before:?} -> {self:?}"))
    }
}

/// Checks the documented shape and returns the node-wide sums.
fn check_shape(doc: &Value, cores: u64) -> Totals {
    let node = &doc["node"];
    assert!(node["version"].is_string(), "{doc}");
    // Just started: well under the test's own time limit.
    assert!(int(&node["uptime_s"], "uptime_s") < 600, "{doc}");
    assert_eq!(node["cores"].as_u64(), Some(cores), "{doc}");
    let per_core = doc["cores"].as_array().expect("cores array");
    assert_eq!(per_core.len() as u64, cores, "{doc}");
    let mut totals = Totals::default();
    for (idx, core) in per_core.iter().enumerate() {
        assert_eq!(core["core"].as_u64(), Some(idx as u64), "{core}");
        assert!(core["groups"].is_array(), "{core}");
        for c in COUNTERS.iter().chain(&["keys", "errors"]) {
            *totals.0.entry(c.to_string()).or_default() += int(&core["counters"][c], c);
        }
        for h in HISTOGRAMS {
            let hist = &core["histograms"][h];
            for f in ["p50_us", "p99_us", "p999_us", "max_us", "mean_us"] {
                num(&hist[f], f);
            }
            let count = int(&hist["count"], "count");
            *totals.0.entry(h.to_string()).or_default() += count;
            let p50 = num(&hist["p50_us"], "p50");
            let p99 = num(&hist["p99_us"], "p99");
            let p999 = num(&hist["p999_us"], "p999");
            let max = num(&hist["max_us"], "max");
            if count > 0 {
                // Recorded durations are at least 1 us.
                assert!(p50 >= 1.0, "{h}: {hist}");
                assert!(p50 <= p99 && p99 <= p999 && p999 <= max, "{h}: {hist}");
            } else {
                assert_eq!(max, 0.0, "{h}: empty but max {max}: {hist}");
            }
        }
    }
    totals
}

const SETS: u64 = 100;
const GETS: u64 = 60;
const ERRORS: u64 = 3;

/// SETs of distinct keys, GETs of them, and INCRs of a string that fail:
/// SETS + ERRORS writes (the INCRs go through Raft and fail at apply),
/// GETS reads, ERRORS error replies.
fn exercise(c: &mut corekv_tests::Resp, prefix: &str) {
    for n in 0..SETS {
        check!(c, ["SET", &format!("{prefix}:{n}"), "v"], Reply::ok());
    }
    for n in 0..GETS {
        check!(c, ["GET", &format!("{prefix}:{n}")], Reply::bulk("v"));
    }
    for _ in 0..ERRORS {
        check!(
            c,
            ["INCR", &format!("{prefix}:0")],
            Reply::err("ERR value is not an integer or out of range")
        );
    }
}

/// Waits (bounded) until the node counts exactly `n` open connections:
/// the harness's readiness PING connection may still be closing.
fn settle_connections(s: &Server, n: u64) -> Totals {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = check_shape(&stats_doc(&s.stats_socket()), 2);
        if t.get("connections") == n {
            return t;
        }
        assert!(Instant::now() < deadline, "connections never {n}: {t:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_stats(args: &[&str]) -> Output {
    let mut child = Command::new(stats_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn corekv-stats");
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("corekv-stats {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn stats_socket_reports_per_core_counts() {
    if !corekv_only("stats_socket_reports_per_core_counts") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.resp();
    // Writes to every group first (50 keys miss one of 4 groups with
    // probability ~1e-6), so elections and their entries are behind us.
    for n in 0..50 {
        check!(c, ["SET", &format!("warm:{n}"), "v"], Reply::ok());
    }
    let before = settle_connections(&s, 1);
    assert_eq!(before.get("keys"), 50, "{before:?}");

    exercise(&mut c, "stat");
    let after = check_shape(&stats_doc(&s.stats_socket()), 2);
    let d = |name: &str| after.delta(&before, name);
    assert_eq!(d("commands"), SETS + GETS + ERRORS, "{after:?}");
    assert_eq!(d("cmd.write"), SETS + ERRORS, "{after:?}");
    assert_eq!(d("cmd.read"), GETS, "{after:?}");
    assert_eq!(d("errors"), ERRORS, "{after:?}");
    assert_eq!(after.get("keys"), 50 + SETS, "{after:?}");
    assert_eq!(after.get("connections"), 1, "{after:?}");
    // Every write is one proposal and one commit wait; a single node
    // forwards nothing to other nodes.
    assert_eq!(d("proposals"), SETS + ERRORS, "{after:?}");
    assert_eq!(d("raft.commit"), SETS + ERRORS, "{after:?}");
    // One write at a time: each had its own persist job, its own fsync
    // (--fsync always) and its own apply turn.
    assert!(d("raft_batches") >= SETS + ERRORS, "{after:?}");
    assert!(d("fsyncs") >= SETS + ERRORS, "{after:?}");
    assert!(d("fsyncs") <= d("raft_batches"), "{after:?}");
    assert!(d("raft.persist") >= SETS + ERRORS, "{after:?}");
    assert!(d("raft.persist") <= d("raft_batches"), "{after:?}");
    assert_eq!(d("raft.apply"), SETS + ERRORS, "{after:?}");

    // Counts only grow, by exactly the new work.
    exercise(&mut c, "again");
    let later = check_shape(&stats_doc(&s.stats_socket()), 2);
    assert_eq!(later.delta(&after, "commands"), SETS + GETS + ERRORS);
    assert_eq!(later.get("keys"), 50 + 2 * SETS);
}

#[test]
fn stats_socket_path_flag() {
    if !corekv_only("stats_socket_path_flag") {
        return;
    }
    let other = tempfile::tempdir().expect("tempdir");
    let path = other.path().join("custom.sock");
    let s = Server::start(&["--stats-socket", path.to_str().expect("utf8")]);
    let mut c = s.resp();
    let before = check_shape(&stats_doc(&path), 2);
    exercise(&mut c, "path");
    let after = check_shape(&stats_doc(&path), 2);
    assert_eq!(after.delta(&before, "commands"), SETS + GETS + ERRORS);
    assert!(
        !s.stats_socket().exists(),
        "stats socket at the default path too"
    );
}

#[test]
fn stats_cli_table_and_json() {
    if !corekv_only("stats_cli_table_and_json") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.resp();
    exercise(&mut c, "cli");
    let sock = s.stats_socket();
    let direct = check_shape(&stats_doc(&sock), 2);
    let sock = sock.to_str().expect("utf8");

    let out = run_stats(&["--socket", sock]);
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    for word in [
        "core",
        "metric",
        "p50",
        "p99",
        "cmd.write",
        "cmd.read",
        "commands",
    ] {
        assert!(table.contains(word), "table lacks {word}:\n{table}");
    }

    let out = run_stats(&["--socket", sock, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    // Nothing ran since the direct query: the CLI shows the same counts.
    let via_cli = check_shape(&doc, 2);
    assert_eq!(via_cli.get("commands"), direct.get("commands"));
    assert_eq!(via_cli.get("keys"), SETS);
    assert_eq!(via_cli.get("cmd.write"), direct.get("cmd.write"));
}
