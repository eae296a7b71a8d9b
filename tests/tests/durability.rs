//! Durability (corekv only): acknowledged writes survive a graceful restart
//! and `kill -9`, and the data dir always reopens.

use corekv_tests::{Reply, Resp, Server, corekv_only};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Writer bounds: whichever comes first.
const WRITER_MAX_OPS: u64 = 20_000;
const WRITER_MAX_TIME: Duration = Duration::from_secs(3);
/// The big-value writer of the rotation/purge test runs until its crash
/// point or its time bound: purges follow the write-behind window (up to
/// 1 s), so reaching the fifth takes seconds, not a count of writes.
const BIG_WRITER_MAX_OPS: u64 = 200_000;
/// Pipelined batch size for bulk loads.
const BATCH: usize = 100;

fn value_of(key: &str) -> String {
    format!("value-of-{key}")
}

/// SETs `keys` pipelined in batches; panics unless every reply is OK.
fn load(c: &mut Resp, keys: &[String]) {
    for chunk in keys.chunks(BATCH) {
        for k in chunk {
            c.send(&["SET", k.as_str(), value_of(k).as_str()])
                .expect("send");
        }
        for k in chunk {
            assert_eq!(c.read_reply().expect("reply"), Reply::ok(), "SET {k}");
        }
    }
}

/// Asserts each key holds its value, pipelined in batches.
fn verify(c: &mut Resp, keys: &[String]) {
    verify_with(c, keys, value_of);
}

/// Asserts each key holds `value(key)`, pipelined in batches.
fn verify_with(c: &mut Resp, keys: &[String], value: fn(&str) -> String) {
    for chunk in keys.chunks(BATCH) {
        for k in chunk {
            c.send(&["GET", k.as_str()]).expect("send");
        }
        for k in chunk {
            let got = c.read_reply().expect("reply");
            assert_eq!(got, Reply::bulk(&value(k)), "acknowledged key {k} lost");
        }
    }
}

#[test]
fn graceful_restart_keeps_everything() {
    if !corekv_only("graceful_restart_keeps_everything") {
        return;
    }
    let mut s = Server::start(&[]);
    let keys: Vec<String> = (0..1000).map(|n| format!("grace:{n}")).collect();
    load(&mut s.resp(), &keys);
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    let mut c = s.resp();
    verify(&mut c, &keys);
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(1000));
}

/// Runs sequential SETs until the server dies or the bounds hit; returns the
/// keys whose SET was acknowledged with +OK. `first` hears of the first one.
fn spawn_writer(c: Resp, prefix: String, first: mpsc::Sender<()>) -> mpsc::Receiver<Vec<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut c = c;
        let mut acked = Vec::new();
        let start = Instant::now();
        for n in 0..WRITER_MAX_OPS {
            if start.elapsed() > WRITER_MAX_TIME {
                break;
            }
            let key = format!("{prefix}:{n}");
            match c.try_cmd(&["SET", key.as_str(), value_of(&key).as_str()]) {
                Ok(Reply::Simple(s)) if s == "OK" => {
                    if acked.is_empty() {
                        let _ = first.send(());
                    }
                    acked.push(key)
                }
                // The server died mid-request: this key is not acknowledged.
                _ => break,
            }
        }
        let _ = tx.send(acked);
    });
    rx
}

/// Starts a writer, lets it run `after_ms` from its first acknowledged
/// write (a loaded machine can take longer than that to serve the first),
/// kills the server with -9 mid stream, restarts it, and returns the keys
/// acknowledged before the kill.
fn crash_mid_write(s: &mut Server, prefix: &str, after_ms: u64) -> Vec<String> {
    let (first_tx, first) = mpsc::channel();
    let rx = spawn_writer(s.resp(), prefix.to_string(), first_tx);
    // Bounded: if nothing is acknowledged in time, the assertion below says so.
    let _ = first.recv_timeout(Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(after_ms));
    s.kill9();
    let acked = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("writer finished");
    assert!(
        !acked.is_empty(),
        "{prefix}: no write acknowledged before kill -9"
    );
    s.restart();
    acked
}

#[test]
fn kill9_keeps_acknowledged_writes() {
    if !corekv_only("kill9_keeps_acknowledged_writes") {
        return;
    }
    let mut s = Server::start(&[]);
    let mut all_acked: Vec<String> = Vec::new();
    for round in 0..3 {
        let acked = crash_mid_write(&mut s, &format!("crash{round}"), 400 + 200 * round);
        all_acked.extend(acked);
        // Every acknowledged key of every round so far is there.
        verify(&mut s.resp(), &all_acked);
    }
    // And a clean shutdown after the crashes still reopens.
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    verify(&mut s.resp(), &all_acked);
}

#[test]
fn kill9_right_after_start_reopens() {
    if !corekv_only("kill9_right_after_start_reopens") {
        return;
    }
    let mut s = Server::start(&[]);
    for _ in 0..3 {
        s.kill9();
        s.restart();
    }
    let mut c = s.resp();
    assert_eq!(c.cmd(&["SET", "after", "crashes"]), Reply::ok());
    s.kill9();
    s.restart();
    assert_eq!(s.resp().cmd(&["GET", "after"]), Reply::bulk("crashes"));
}

/// A key found absent after a restart proves a delete or an expiry
/// durable only if the key itself was durable: each is first seen written
/// after a kill -9 and restart, then deleted (or left to expire), then
/// checked absent after another kill -9 and restart.
#[test]
fn deletes_and_expiry_survive_restart() {
    if !corekv_only("deletes_and_expiry_survive_restart") {
        return;
    }
    const SHORT_MS: u64 = 4000;
    let mut s = Server::start(&[]);
    let mut c = s.resp();
    assert_eq!(c.cmd(&["SET", "d:gone", "v"]), Reply::ok());
    assert_eq!(c.cmd(&["SET", "d:ttl", "v", "EX", "1000"]), Reply::ok());
    let short_set = Instant::now();
    assert_eq!(
        c.cmd(&["SET", "d:short", "v", "PX", &SHORT_MS.to_string()]),
        Reply::ok()
    );
    drop(c);
    s.kill9();
    s.restart();

    // All three were written durably, d:short with its TTL still running.
    let mut c = s.resp();
    assert_eq!(c.cmd(&["GET", "d:gone"]), Reply::bulk("v"));
    assert_eq!(c.cmd(&["GET", "d:short"]), Reply::bulk("v"));
    let pttl = c.cmd(&["PTTL", "d:short"]).int();
    assert!(
        pttl > 0 && pttl <= SHORT_MS as i64,
        "d:short pttl {pttl} after the first restart ({:?} after its SET)",
        short_set.elapsed()
    );
    assert_eq!(c.cmd(&["DEL", "d:gone"]), Reply::Int(1));
    drop(c);
    s.kill9();
    // Restart only once d:short is due.
    let due = Duration::from_millis(SHORT_MS + 100);
    if let Some(left) = due.checked_sub(short_set.elapsed()) {
        std::thread::sleep(left);
    }
    s.restart();

    let mut c = s.resp();
    assert_eq!(c.cmd(&["EXISTS", "d:gone"]), Reply::Int(0));
    assert_eq!(c.cmd(&["EXISTS", "d:short"]), Reply::Int(0));
    let ttl = c.cmd(&["TTL", "d:ttl"]).int();
    assert!((990..=1000).contains(&ttl), "ttl {ttl} after restart");
}

/// `--fsync everysec` and `never` write to the OS before replying, so a
/// process crash (not a power loss) loses no acknowledged write either.
#[test]
fn kill9_keeps_acknowledged_writes_without_fsync() {
    if !corekv_only("kill9_keeps_acknowledged_writes_without_fsync") {
        return;
    }
    for mode in ["never", "everysec"] {
        let mut s = Server::start(&["--fsync", mode]);
        let acked = crash_mid_write(&mut s, &format!("nosync-{mode}"), 500);
        verify(&mut s.resp(), &acked);
    }
}

/// A value big enough that a few hundred writes fill a 1 MiB log segment.
fn big_value(key: &str) -> String {
    let mut v = value_of(key);
    while v.len() < 2048 {
        v.push_str(key);
    }
    v
}

/// Pipelined SETs of [`big_value`]s (16 in flight) until the server dies or
/// the bounds hit; returns the keys acknowledged with +OK.
fn spawn_big_writer(c: Resp, prefix: String, max_time: Duration) -> mpsc::Receiver<Vec<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut c = c;
        let mut acked = Vec::new();
        let start = Instant::now();
        'outer: for round in 0..BIG_WRITER_MAX_OPS / 16 {
            if start.elapsed() > max_time {
                break;
            }
            let keys: Vec<String> = (0..16).map(|i| format!("{prefix}:{round}:{i}")).collect();
            for k in &keys {
                if c.send(&["SET", k.as_str(), big_value(k).as_str()]).is_err() {
                    break 'outer;
                }
            }
            for k in keys {
                match c.read_reply() {
                    Ok(Reply::Simple(s)) if s == "OK" => acked.push(k),
                    _ => break 'outer,
                }
            }
        }
        let _ = tx.send(acked);
    });
    rx
}

fn verify_big(c: &mut Resp, keys: &[String]) {
    verify_with(c, keys, big_value);
}

/// Raft log segments on disk, summed over the cores.
fn segments(s: &Server) -> usize {
    let mut n = 0;
    for core in std::fs::read_dir(s.dir()).expect("data dir") {
        let log = core.expect("entry").path().join("raftlog");
        if let Ok(rd) = std::fs::read_dir(&log) {
            n += rd
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".log"))
                })
                .count();
        }
    }
    n
}

/// The segmented Raft log (docs/design/0020) with 1 MiB segments, so a
/// write stream rotates every few hundred writes: the process is aborted
/// inside a rotation (checkpoint written, not acknowledged) and inside a
/// purge (one old segment removed, the rest not), and killed with -9 at
/// arbitrary points; every acknowledged write survives each, and purging
/// keeps the segments on disk few.
#[test]
fn crashes_during_log_rotation_and_purge_keep_acknowledged_writes() {
    if !corekv_only("crashes_during_log_rotation_and_purge_keep_acknowledged_writes") {
        return;
    }
    let base = ["--raft-segment-mb", "1", "--fsync", "always"];
    let mut s = Server::start(&base);
    let mut all: Vec<String> = Vec::new();
    // Counted per core, start-up's own rotation and purge included.
    for (round, point) in ["rotate:3", "purge:3", "rotate:6", "purge:5"]
        .iter()
        .enumerate()
    {
        let mut args = base.to_vec();
        args.extend(["--debug-commands", "--debug-crash", point]);
        s.set_args(&args);
        s.restart();
        let acked = spawn_big_writer(
            s.resp(),
            format!("crashpoint{round}"),
            Duration::from_secs(20),
        )
        .recv_timeout(Duration::from_secs(60))
        .expect("writer finished");
        // The writer stops when the server aborts at the crash point.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !s.exited() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            s.exited(),
            "{point}: the server never reached its crash point; log:\n{}",
            s.log()
        );
        assert!(!acked.is_empty(), "{point}: nothing acknowledged");
        all.extend(acked);
        s.kill9();
        s.set_args(&base);
        s.restart();
        verify_big(&mut s.resp(), &all);
    }
    // Plain kill -9 at arbitrary points of a rotating stream.
    for round in 0..3u64 {
        let rx = spawn_big_writer(s.resp(), format!("kill{round}"), Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(300 + 250 * round));
        s.kill9();
        let acked = rx.recv_timeout(Duration::from_secs(30)).expect("writer");
        all.extend(acked);
        s.restart();
        verify_big(&mut s.resp(), &all);
    }
    // Many segments were written (2 KiB values, 1 MiB segments); purging
    // keeps only the newest few per core.
    let written_mb = all.len() * 2048 / (1 << 20);
    assert!(written_mb >= 4, "only {written_mb} MiB written");
    let rx = spawn_big_writer(s.resp(), "settle".into(), Duration::from_secs(2));
    all.extend(rx.recv_timeout(Duration::from_secs(30)).expect("writer"));
    std::thread::sleep(Duration::from_millis(500));
    let n = segments(&s);
    assert!(n <= 8, "{n} segments on disk after {written_mb} MiB");
    verify_big(&mut s.resp(), &all);
}
