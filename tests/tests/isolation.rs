//! Workload isolation (corekv only): commands that may scan a whole group
//! (KEYS, SCAN) run on the heavy pool, against a snapshot that still sees
//! every acknowledged write, while point commands keep being served.

use corekv_tests::{Server, corekv_only, stats_doc};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Heavy-pool jobs of `command` so far (`node.heavy.by_command`).
fn heavy_jobs(doc: &Value, command: &str) -> u64 {
    doc["node"]["heavy"]["by_command"][command]
        .as_u64()
        .unwrap_or_else(|| panic!("no heavy.by_command.{command}: {doc}"))
}

/// Raft groups holding keys (group 0 is the meta group).
fn data_groups(doc: &Value) -> u64 {
    let cores = doc["cores"].as_array().expect("cores");
    cores
        .iter()
        .flat_map(|c| c["groups"].as_array().cloned().unwrap_or_default())
        .filter(|g| g.as_u64().is_some_and(|g| g != 0))
        .count() as u64
}

fn info_field(c: &mut redis::Connection, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query(c).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO stats has no {name}: {info}"))
}

#[test]
fn keys_and_scan_run_on_the_heavy_pool_and_see_fresh_writes() {
    if !corekv_only("keys_and_scan_run_on_the_heavy_pool_and_see_fresh_writes") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.client().get_connection().expect("conn");
    let before = info_field(&mut c, "corekv_heavy_submitted");
    let _: () = redis::cmd("GET").arg("x").query(&mut c).expect("get");
    assert_eq!(
        info_field(&mut c, "corekv_heavy_submitted"),
        before,
        "GET must not use the pool"
    );
    let mut p = redis::pipe();
    for i in 0..3000 {
        p.cmd("SET").arg(format!("iso:{i}")).arg(i).ignore();
    }
    let _: () = p.query(&mut c).expect("load");
    // Written just now: still in the overlay, not yet flushed; the
    // snapshot must include it.
    let _: () = redis::cmd("SET")
        .arg("iso:fresh")
        .arg("1")
        .query(&mut c)
        .expect("set");
    let keys: Vec<String> = redis::cmd("KEYS").arg("iso:*").query(&mut c).expect("keys");
    assert_eq!(keys.len(), 3001);
    let after_keys = info_field(&mut c, "corekv_heavy_submitted");
    // One KEYS fans out to every group: at least one pool job each.
    assert!(
        after_keys >= before + 4,
        "KEYS did not run on the pool: {before} -> {after_keys}"
    );
    let mut cursor = 0u64;
    let mut seen = 0usize;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("iso:*")
            .arg("COUNT")
            .arg(500)
            .query(&mut c)
            .expect("scan");
        seen += batch.len();
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen, 3001);
    assert!(info_field(&mut c, "corekv_heavy_submitted") > after_keys);
}

/// The stats socket counts heavy-pool jobs per command: every KEYS ran
/// there (one job per data group, as KEYS fans out), every SCAN call
/// (one group each), and no GET.
#[test]
fn stats_socket_counts_heavy_jobs_per_command() {
    if !corekv_only("stats_socket_counts_heavy_jobs_per_command") {
        return;
    }
    let s = Server::start(&[]);
    let sock = s.stats_socket();
    let mut c = s.client().get_connection().expect("conn");
    let mut p = redis::pipe();
    for i in 0..500 {
        p.cmd("SET").arg(format!("h:{i}")).arg(i).ignore();
    }
    let _: () = p.query(&mut c).expect("load");
    let doc = stats_doc(&sock);
    let groups = data_groups(&doc);
    assert!(groups >= 2, "expected several data groups: {doc}");
    let (keys0, scan0) = (heavy_jobs(&doc, "keys"), heavy_jobs(&doc, "scan"));

    for i in 0..50 {
        let v: String = redis::cmd("GET")
            .arg(format!("h:{i}"))
            .query(&mut c)
            .expect("get");
        assert_eq!(v, i.to_string());
    }
    let doc = stats_doc(&sock);
    assert_eq!(heavy_jobs(&doc, "keys"), keys0, "GET used the pool");
    assert_eq!(heavy_jobs(&doc, "scan"), scan0, "GET used the pool");

    const KEYS_CALLS: u64 = 5;
    for _ in 0..KEYS_CALLS {
        let keys: Vec<String> = redis::cmd("KEYS").arg("h:*").query(&mut c).expect("keys");
        assert_eq!(keys.len(), 500);
    }
    let doc = stats_doc(&sock);
    assert_eq!(
        heavy_jobs(&doc, "keys") - keys0,
        KEYS_CALLS * groups,
        "every KEYS runs on the pool, once per data group"
    );
    assert_eq!(heavy_jobs(&doc, "scan"), scan0);

    let mut cursor = 0u64;
    let mut calls = 0u64;
    let mut seen = 0usize;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .expect("scan");
        calls += 1;
        seen += batch.len();
        cursor = next;
        if cursor == 0 || calls > 20_000 {
            break;
        }
    }
    assert_eq!(seen, 500);
    let doc = stats_doc(&sock);
    assert_eq!(heavy_jobs(&doc, "scan") - scan0, calls, "every SCAN call");
    assert_eq!(heavy_jobs(&doc, "keys") - keys0, KEYS_CALLS * groups);
}

#[test]
fn point_reads_are_served_while_keys_scans_run() {
    if !corekv_only("point_reads_are_served_while_keys_scans_run") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.client().get_connection().expect("conn");
    let mut p = redis::pipe();
    for i in 0..20000 {
        p.cmd("SET").arg(format!("big:{i}")).arg("v").ignore();
    }
    let _: () = p.query(&mut c).expect("load");
    let client = s.client();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let scanner = std::thread::spawn(move || {
        let mut c = client.get_connection().expect("conn");
        let mut n = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stop2.load(std::sync::atomic::Ordering::Relaxed)
            && Instant::now() < deadline
            && n < 200
        {
            let r: Result<Vec<String>, _> = redis::cmd("KEYS").arg("*").query(&mut c);
            match r {
                Ok(k) => assert_eq!(k.len(), 20000),
                Err(e) => assert!(e.to_string().contains("BUSY"), "{e}"),
            }
            n += 1;
        }
        n
    });
    // Point reads keep working (bounded loop).
    for i in 0..2000 {
        let v: String = redis::cmd("GET")
            .arg(format!("big:{}", i * 7 % 20000))
            .query(&mut c)
            .expect("get");
        assert_eq!(v, "v");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(scanner.join().expect("scanner") > 0);
}
