//! The corekv command line (corekv only): help, bad flags, unusable dir/port.

use corekv_tests::{corekv_bin, corekv_only, free_port};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXIT_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs corekv with `args` and waits (bounded) for it to exit.
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(corekv_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn corekv");
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "corekv {args:?} did not exit within {EXIT_TIMEOUT:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Exit code 2 with exactly one non-empty line on stderr.
fn assert_usage_error(args: &[&str]) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "corekv {args:?}: status {}, stderr {stderr}",
        out.status
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "corekv {args:?}: stderr {stderr:?}");
    assert!(!lines[0].trim().is_empty());
}

#[test]
fn help_exits_zero() {
    if !corekv_only("help_exits_zero") {
        return;
    }
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "status {}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in ["--port", "--bind", "--dir", "--cores", "--fsync"] {
        assert!(
            text.contains(flag),
            "--help does not mention {flag}: {text}"
        );
    }
}

#[test]
fn port_not_a_number() {
    if !corekv_only("port_not_a_number") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8 path");
    assert_usage_error(&["--port", "notanumber", "--dir", d]);
}

#[test]
fn unknown_flag() {
    if !corekv_only("unknown_flag") {
        return;
    }
    assert_usage_error(&["--no-such-flag"]);
}

#[test]
fn dir_is_a_regular_file() {
    if !corekv_only("dir_is_a_regular_file") {
        return;
    }
    let file = tempfile::NamedTempFile::new().expect("tempfile");
    let port = free_port().to_string();
    let path = file.path().to_str().expect("utf8 path");
    assert_usage_error(&["--bind", "127.0.0.1", "--port", &port, "--dir", path]);
}

#[test]
fn port_already_in_use() {
    if !corekv_only("port_already_in_use") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8 path");
    assert_usage_error(&["--bind", "127.0.0.1", "--port", &port, "--dir", d]);
    drop(listener);
}

#[test]
fn fsync_bogus() {
    if !corekv_only("fsync_bogus") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8 path");
    let port = free_port().to_string();
    assert_usage_error(&["--port", &port, "--dir", d, "--fsync", "bogus"]);
}

#[test]
fn cores_zero_is_rejected() {
    if !corekv_only("cores_zero_is_rejected") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf8 path");
    let port = free_port().to_string();
    assert_usage_error(&["--port", &port, "--dir", d, "--cores", "0"]);
}

#[test]
fn port_held_by_another_corekv_is_refused() {
    if !corekv_only("port_held_by_another_corekv_is_refused") {
        return;
    }
    // Both would use SO_REUSEPORT; the second must not silently share.
    let first = corekv_tests::Server::start(&[]);
    let port = first.port().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("second");
    let d = d.to_str().expect("utf8 path");
    assert_usage_error(&["--bind", "127.0.0.1", "--port", &port, "--dir", d]);
    assert!(
        !dir.path().join("second").exists(),
        "nothing may be written on a busy port"
    );
}

#[test]
fn a_cluster_needs_a_secret_file_and_a_good_secret() {
    if !corekv_only("a_cluster_needs_a_secret_file_and_a_good_secret") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("data");
    let d = d.to_str().expect("utf8");
    let port = free_port();
    let peers = format!("1=127.0.0.1:{port},2=127.0.0.1:{}", port + 1);
    let base = ["--bind", "127.0.0.1", "--port"];
    let port = port.to_string();
    let cluster = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend([
            port.as_str(),
            "--dir",
            d,
            "--node-id",
            "1",
            "--peers",
            &peers,
        ]);
        a.extend(extra);
        run(&a)
    };
    let out = cluster(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs --cluster-secret-file"),
        "{out:?}"
    );
    let short = dir.path().join("short");
    std::fs::write(&short, "tooshort\n").expect("write");
    let out = cluster(&["--cluster-secret-file", short.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs 16 to 64"),
        "{out:?}"
    );
    let missing = dir.path().join("missing");
    assert_usage_error(&[
        "--bind",
        "127.0.0.1",
        "--port",
        &port,
        "--dir",
        d,
        "--node-id",
        "1",
        "--peers",
        &peers,
        "--cluster-secret-file",
        missing.to_str().expect("utf8"),
    ]);
    // Nothing was written for any of them.
    assert!(!std::path::Path::new(d).exists());
}
