//! The stats socket and the corekv-stats CLI (corekv only).

use corekv_tests::{Reply, Server, check, corekv_only, stats_bin};
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
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

/// Reads one JSON document from the stats socket.
fn query(path: &Path) -> Value {
    let mut s = UnixStream::connect(path).expect("connect stats socket");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(b"stats\n").expect("write");
    let mut body = String::new();
    s.take(16 * 1024 * 1024)
        .read_to_string(&mut body)
        .expect("read stats");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad JSON ({e}): {body}"))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} not a number: {v}"))
}

/// Checks the documented shape; returns (total commands, writes, reads).
fn check_shape(doc: &Value, cores: u64) -> (f64, f64, f64) {
    let node = &doc["node"];
    assert!(node["version"].is_string(), "{doc}");
    assert!(num(&node["uptime_s"], "uptime_s") >= 0.0);
    assert_eq!(node["cores"].as_u64(), Some(cores), "{doc}");
    let per_core = doc["cores"].as_array().expect("cores array");
    assert_eq!(per_core.len() as u64, cores, "{doc}");
    let (mut commands, mut writes, mut reads) = (0.0, 0.0, 0.0);
    for (idx, core) in per_core.iter().enumerate() {
        assert_eq!(core["core"].as_u64(), Some(idx as u64), "{core}");
        assert!(core["groups"].is_array(), "{core}");
        for c in COUNTERS {
            let v = num(&core["counters"][c], c);
            assert!(v >= 0.0);
        }
        commands += num(&core["counters"]["commands"], "commands");
        for h in HISTOGRAMS {
            let hist = &core["histograms"][h];
            for f in ["count", "p50_us", "p99_us", "p999_us", "max_us", "mean_us"] {
                num(&hist[f], f);
            }
            let count = num(&hist["count"], "count");
            if count > 0.0 {
                let p50 = num(&hist["p50_us"], "p50");
                let p99 = num(&hist["p99_us"], "p99");
                let p999 = num(&hist["p999_us"], "p999");
                let max = num(&hist["max_us"], "max");
                assert!(p50 <= p99 && p99 <= p999 && p999 <= max, "{h}: {hist}");
            }
        }
        writes += num(&core["histograms"]["cmd.write"]["count"], "count");
        reads += num(&core["histograms"]["cmd.read"]["count"], "count");
    }
    (commands, writes, reads)
}

fn exercise(s: &Server) {
    let mut c = s.resp();
    for n in 0..100 {
        let k = format!("stat:{n}");
        check!(c, ["SET", &k, "v"], Reply::ok());
        check!(c, ["GET", &k], Reply::bulk("v"));
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
    exercise(&s);
    let doc = query(&s.stats_socket());
    let (commands, writes, reads) = check_shape(&doc, 2);
    assert!(commands >= 200.0, "commands {commands}: {doc}");
    assert!(writes >= 100.0, "cmd.write count {writes}: {doc}");
    assert!(reads >= 100.0, "cmd.read count {reads}: {doc}");
    // Counts only grow.
    exercise(&s);
    let (later, _, _) = check_shape(&query(&s.stats_socket()), 2);
    assert!(later >= commands + 200.0, "{later} vs {commands}");
}

#[test]
fn stats_socket_path_flag() {
    if !corekv_only("stats_socket_path_flag") {
        return;
    }
    let other = tempfile::tempdir().expect("tempdir");
    let path = other.path().join("custom.sock");
    let s = Server::start(&["--stats-socket", path.to_str().expect("utf8")]);
    exercise(&s);
    check_shape(&query(&path), 2);
}

#[test]
fn stats_cli_table_and_json() {
    if !corekv_only("stats_cli_table_and_json") {
        return;
    }
    let s = Server::start(&[]);
    exercise(&s);
    let sock = s.stats_socket();
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
    let (commands, _, _) = check_shape(&doc, 2);
    assert!(commands >= 200.0);
}
