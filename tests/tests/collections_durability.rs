//! Collections are durable like strings (corekv only): every acknowledged
//! HSET / SADD / ZADD / RPUSH / XADD (and a consumer group's pending
//! entries) survives kill -9 (their elements are stored
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
    let k = n % 5;
    match n % 5 {
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
        3 => vec!["RPUSH".into(), format!("l{k}"), format!("e{n}")],
        _ => vec![
            "XADD".into(),
            format!("x{k}"),
            format!("{}-1", n + 1),
            "f".into(),
            format!("v{n}"),
        ],
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
                Ok(Reply::Int(_) | Reply::Bulk(_)) => n += 1,
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
        let got = match n % 5 {
            0 => c.cmd(&["HGET", &w[1], &w[2]]),
            1 => c.cmd(&["SISMEMBER", &w[1], &w[2]]),
            2 => c.cmd(&["ZSCORE", &w[1], &w[3]]),
            _ => continue,
        };
        let want = match n % 5 {
            0 => Reply::bulk(&w[3]),
            1 => Reply::Int(1),
            _ => Reply::bulk(&n.to_string()),
        };
        assert_eq!(got, want, "acknowledged {w:?} lost");
    }
    let pushed: Vec<String> = (0..acked)
        .filter(|n| n % 5 == 3)
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
    // The stream holds every acknowledged entry, in id order, with its
    // fields (plus at most the one in flight).
    let added: Vec<Reply> = (0..acked)
        .filter(|n| n % 5 == 4)
        .map(|n| {
            Reply::Array(vec![
                Reply::bulk(&format!("{}-1", n + 1)),
                Reply::Array(vec![Reply::bulk("f"), Reply::bulk(&format!("v{n}"))]),
            ])
        })
        .collect();
    let entries = match c.cmd(&["XRANGE", "x4", "-", "+"]) {
        Reply::Array(v) => v,
        other => panic!("XRANGE answered {other:?}"),
    };
    assert!(
        entries.len() >= added.len() && entries.len() <= added.len() + 1,
        "stream has {} entries for {} acknowledged XADDs",
        entries.len(),
        added.len()
    );
    assert_eq!(entries.get(..added.len()), Some(&added[..]), "stream");
}

/// A consumer group with 3 of 5 delivered entries pending (2 acked) and 5
/// entries never delivered.
fn make_group(c: &mut Resp) {
    for i in 1..=10 {
        let id = format!("{i}-0");
        assert_eq!(
            c.cmd(&["XADD", "ps", &id, "n", &i.to_string()]),
            Reply::bulk(&id)
        );
    }
    assert_eq!(c.cmd(&["XGROUP", "CREATE", "ps", "g", "0"]), Reply::ok());
    let r = c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "5",
        "STREAMS",
        "ps",
        ">",
    ]);
    assert_eq!(
        r.items().first().map(|s| s.items()[1].items().len()),
        Some(5)
    );
    assert_eq!(c.cmd(&["XACK", "ps", "g", "1-0", "3-0"]), Reply::Int(2));
}

/// What [`make_group`] left is there.
fn verify_group(c: &mut Resp) {
    let ids = |r: Reply| -> Vec<String> { r.items().iter().map(|e| e.items()[0].text()).collect() };
    let pending = c.cmd(&["XPENDING", "ps", "g", "-", "+", "10"]);
    assert_eq!(ids(pending), ["2-0", "4-0", "5-0"], "pending entries");
    let mine = c.cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "ps", "0"]);
    let mine = mine.items().first().map(|s| ids(s.items()[1].clone()));
    assert_eq!(
        mine.as_deref(),
        Some(&["2-0", "4-0", "5-0"].map(String::from)[..])
    );
}

#[test]
fn kill9_keeps_acknowledged_collection_writes() {
    if !corekv_only("kill9_keeps_acknowledged_collection_writes") {
        return;
    }
    let mut s = Server::start(&[]);
    make_group(&mut s.resp());
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
    assert_eq!(c.cmd(&["TYPE", "x4"]), Reply::Simple("stream".into()));
    verify_group(&mut c);
    // Graceful restart after the crash keeps it all too.
    drop(c);
    assert!(s.terminate().success());
    s.restart();
    let mut c = s.resp();
    verify(&mut c, acked);
    verify_group(&mut c);
    // The group goes on from where it was: the 5 undelivered entries.
    let r = c.cmd(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "ps", ">"]);
    assert_eq!(
        r.items().first().map(|s| s.items()[1].items().len()),
        Some(5)
    );
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
        wait_until(Duration::from_secs(20), || s.garbage() == 0),
        "garbage left: {}",
        s.garbage()
    );
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&["HGETALL", "big"]),
        Reply::Array(vec![Reply::bulk("f1"), Reply::bulk("new")])
    );
}
