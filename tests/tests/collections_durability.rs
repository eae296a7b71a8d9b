//! Collections are durable like strings (corekv only): every acknowledged
//! HSET / SADD / ZADD / RPUSH survives kill -9 (their elements are stored
//! one record each, written with the meta record in one batch); deleting a
//! big collection is O(1) for the client and its elements are swept away
//! afterwards, also across a restart.

use corekv_tests::{Reply, Resp, Server, corekv_only, wait_until};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WRITER_MAX_OPS: u64 = 20_000;
const WRITER_MAX_TIME: Duration = Duration::from_secs(3);

/// The n-th write of the writer and how to check it afterwards.
fn write_of(n: u64) -> Vec<String> {
    let k = n % 4;
    match n % 4 {
        0 => vec![
            "HSET".into(),
            format!("h{k}"),
            format!("f{n}"),
            format!("v{n}"),
        ],
        1 => vec!["SADD".into(), format!("s{k}"), format!("m{n}")],
        2 => vec![
            "ZADD".into(),
            format!("z{k}"),
            n.to_string(),
            format!("m{n}"),
        ],
        _ => vec!["RPUSH".into(), format!("l{k}"), format!("e{n}")],
    }
}

/// Sequential writes until the server dies or the bounds hit; returns how
/// many were acknowledged (writes 0..n).
fn spawn_writer(c: Resp) -> mpsc::Receiver<u64> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut c = c;
        let start = Instant::now();
        let mut n = 0;
        while n < WRITER_MAX_OPS && start.elapsed() < WRITER_MAX_TIME {
            match c.try_cmd(&write_of(n)) {
                Ok(Reply::Int(_)) => n += 1,
                _ => break,
            }
        }
        let _ = tx.send(n);
    });
    rx
}

/// Every write below `acked` is there; a list holds exactly the pushes in
/// order (plus at most the one in flight at the kill).
fn verify(c: &mut Resp, acked: u64) {
    for n in 0..acked {
        let w = write_of(n);
        let got = match n % 4 {
            0 => c.cmd(&["HGET", &w[1], &w[2]]),
            1 => c.cmd(&["SISMEMBER", &w[1], &w[2]]),
            2 => c.cmd(&["ZSCORE", &w[1], &w[3]]),
            _ => continue,
        };
        let want = match n % 4 {
            0 => Reply::bulk(&w[3]),
            1 => Reply::Int(1),
            _ => Reply::bulk(&n.to_string()),
        };
        assert_eq!(got, want, "acknowledged {w:?} lost");
    }
    let pushed: Vec<String> = (0..acked)
        .filter(|n| n % 4 == 3)
        .map(|n| format!("e{n}"))
        .collect();
    let list = c.cmd(&["LRANGE", "l3", "0", "-1"]);
    let list: Vec<String> = if list == Reply::Array(vec![]) {
        Vec::new()
    } else {
        list.items().iter().map(|r| r.text()).collect()
    };
    assert!(
        list.len() >= pushed.len() && list.len() <= pushed.len() + 1,
        "list has {} elements for {} acknowledged pushes",
        list.len(),
        pushed.len()
    );
    assert_eq!(list.get(..pushed.len()), Some(&pushed[..]), "list order");
}

#[test]
fn kill9_keeps_acknowledged_collection_writes() {
    if !corekv_only("kill9_keeps_acknowledged_collection_writes") {
        return;
    }
    let mut s = Server::start(&[]);
    let rx = spawn_writer(s.resp());
    std::thread::sleep(Duration::from_millis(700));
    s.kill9();
    let acked = rx.recv_timeout(Duration::from_secs(30)).expect("writer");
    assert!(acked > 20, "only {acked} writes before kill -9");
    s.restart();
    let mut c = s.resp();
    verify(&mut c, acked);
    assert_eq!(c.cmd(&["TYPE", "h0"]), Reply::Simple("hash".into()));
    assert_eq!(c.cmd(&["TYPE", "s1"]), Reply::Simple("set".into()));
    assert_eq!(c.cmd(&["TYPE", "z2"]), Reply::Simple("zset".into()));
    assert_eq!(c.cmd(&["TYPE", "l3"]), Reply::Simple("list".into()));
    // Graceful restart after the crash keeps it all too.
    drop(c);
    assert!(s.terminate().success());
    s.restart();
    verify(&mut s.resp(), acked);
}

/// Dropped collections not yet swept, summed over the stats socket's cores.
fn garbage(s: &Server) -> u64 {
    let doc = s.stats();
    doc["cores"]
        .as_array()
        .map(|cores| {
            cores
                .iter()
                .map(|c| c["counters"]["garbage_collections"].as_u64().unwrap_or(1))
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn deleting_a_big_hash_is_immediate_and_its_elements_are_swept() {
    if !corekv_only("deleting_a_big_hash_is_immediate_and_its_elements_are_swept") {
        return;
    }
    const FIELDS: usize = 20_000;
    let mut s = Server::start(&["--cores", "1"]);
    let mut c = s.resp();
    for chunk in (0..FIELDS).collect::<Vec<_>>().chunks(1000) {
        let mut args = vec!["HSET".to_string(), "big".to_string()];
        for i in chunk {
            args.push(format!("f{i}"));
            args.push(format!("value-{i}"));
        }
        assert_eq!(c.cmd(&args), Reply::Int(chunk.len() as i64));
    }
    assert_eq!(c.cmd(&["HLEN", "big"]), Reply::Int(FIELDS as i64));
    let t = Instant::now();
    assert_eq!(c.cmd(&["DEL", "big"]), Reply::Int(1));
    let del = t.elapsed();
    assert!(del < Duration::from_millis(200), "DEL took {del:?}");
    assert_eq!(c.cmd(&["EXISTS", "big"]), Reply::Int(0));
    assert_eq!(c.cmd(&["HLEN", "big"]), Reply::Int(0));
    // A new hash under the same name starts empty (a fresh namespace).
    assert_eq!(c.cmd(&["HSET", "big", "f1", "new"]), Reply::Int(1));
    assert_eq!(
        c.cmd(&["HGETALL", "big"]),
        Reply::Array(vec![Reply::bulk("f1"), Reply::bulk("new")])
    );
    // Dropped before a crash, swept after the restart.
    drop(c);
    s.kill9();
    s.restart();
    assert!(
        wait_until(Duration::from_secs(20), || garbage(&s) == 0),
        "garbage left: {}",
        garbage(&s)
    );
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&["HGETALL", "big"]),
        Reply::Array(vec![Reply::bulk("f1"), Reply::bulk("new")])
    );
}
