//! corekv-stats against a fake stats socket: table, --json, unreachable socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DOC: &str = r#"{"node":{"version":"0.1.0","uptime_s":12,"cores":2},"cores":[{"core":0,"groups":[1,3],"counters":{"commands":123,"forwarded_out":4,"forwarded_in":5,"proposals":50,"raft_batches":10,"fsyncs":10,"connections":3},"histograms":{"cmd.read":{"count":100,"p50_us":12,"p99_us":40,"p999_us":80,"max_us":90,"mean_us":14.2},"cmd.write":{"count":20,"p50_us":300,"p99_us":900,"p999_us":1500,"max_us":2000,"mean_us":350.0}}},{"core":1,"groups":[2],"counters":{"commands":7},"histograms":{}}]}"#;

/// Serves `replies` connections: expects `stats\n`, writes `body`, closes.
fn fake_server(path: &Path, body: &'static str, replies: usize) -> std::thread::JoinHandle<()> {
    let listener = UnixListener::bind(path).expect("bind");
    std::thread::spawn(move || {
        for _ in 0..replies {
            let (mut s, _) = listener.accept().expect("accept");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let mut line = String::new();
            BufReader::new(&s).read_line(&mut line).expect("read");
            assert_eq!(line, "stats\n");
            s.write_all(body.as_bytes()).expect("write");
        }
    })
}

fn run(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corekv-stats"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("corekv-stats {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn prints_table_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("stats.sock");
    let server = fake_server(&sock, DOC, 2);
    let p = sock.to_str().expect("utf8");

    let out = run(&["--socket", p]);
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8(out.stdout).expect("utf8");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(
        rows.contains(&vec!["0", "cmd.read", "100", "12", "40", "80", "90"]),
        "{table}"
    );
    assert!(
        rows.contains(&vec!["0", "cmd.write", "20", "300", "900", "1500", "2000"]),
        "{table}"
    );
    assert!(rows.contains(&vec!["0", "commands", "123"]), "{table}");
    assert!(rows.contains(&vec!["1", "commands", "7"]), "{table}");
    assert!(table.contains("p99.9"), "{table}");

    let out = run(&["--socket", p, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let want: serde_json::Value = serde_json::from_str(DOC).expect("json");
    assert_eq!(got, want);
    server.join().expect("fake server");
}

#[test]
fn unreachable_socket_exits_1_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("absent.sock");
    let out = run(&["--socket", p.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn broken_json_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("stats.sock");
    let server = fake_server(&sock, "{not json", 1);
    let out = run(&["--socket", sock.to_str().expect("utf8"), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    server.join().expect("fake server");
}

#[test]
fn help_mentions_flags() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--socket") && text.contains("--json"),
        "{text}"
    );
}
