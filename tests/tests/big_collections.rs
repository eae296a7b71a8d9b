//! Collections of a million entries (issue 10): every family's point and
//! small-range commands answer correctly and quickly however large the
//! collection (each element is its own record: no command decodes the
//! whole value), and deleting or expiring one does not stall the server.
//! Runs against Redis 7 too.

use corekv_tests::{Reply, Resp, Server};
use std::time::{Duration, Instant};

const N: usize = 1_000_000;
/// Elements per write command, and commands in flight per pipeline.
const CHUNK: usize = 1000;
const PIPELINE: usize = 32;

fn b(s: &str) -> Reply {
    Reply::bulk(s)
}

/// Sends `cmds` pipelined, `PIPELINE` at a time; each must answer `want`.
fn pipelined(c: &mut Resp, cmds: impl Iterator<Item = Vec<String>>, want: impl Fn(&Reply) -> bool) {
    let mut inflight = 0;
    let check = |c: &mut Resp| {
        let r = c.read_reply().expect("reply");
        assert!(want(&r), "unexpected reply {r:?}");
    };
    for cmd in cmds {
        c.send(&cmd).expect("send");
        inflight += 1;
        if inflight == PIPELINE {
            for _ in 0..inflight {
                check(c);
            }
            inflight = 0;
        }
    }
    for _ in 0..inflight {
        check(c);
    }
}

/// The `CHUNK`-element write commands that build a family's collection.
fn build(c: &mut Resp, cmd: &str, key: &str, elem: impl Fn(usize) -> Vec<String>) {
    let t = Instant::now();
    let cmds = (0..N / CHUNK).map(|chunk| {
        let mut v = vec![cmd.to_string(), key.to_string()];
        for i in chunk * CHUNK..(chunk + 1) * CHUNK {
            v.extend(elem(i));
        }
        v
    });
    pipelined(c, cmds, |r| matches!(r, Reply::Int(_)));
    eprintln!("{cmd} {key}: {N} entries in {:?}", t.elapsed());
}

/// Slowest of `n` runs of `args`, each checked by `ok`.
fn slowest(c: &mut Resp, n: usize, args: &[&str], ok: impl Fn(&Reply) -> bool) -> Duration {
    let mut worst = Duration::ZERO;
    for _ in 0..n {
        let t = Instant::now();
        let r = c.cmd(args);
        worst = worst.max(t.elapsed());
        assert!(ok(&r), "{args:?}: {r:?}");
    }
    worst
}

/// A point or small-range command on a million-entry collection costs what
/// it costs on a small one: well under this (a whole-value decode of 1M
/// entries takes far longer).
const POINT_BOUND: Duration = Duration::from_millis(100);

fn assert_point(what: &str, worst: Duration) {
    eprintln!("{what}: slowest {worst:?}");
    assert!(worst < POINT_BOUND, "{what} took {worst:?}");
}

#[test]
fn a_million_element_list() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    build(&mut c, "RPUSH", "big:l", |i| vec![format!("e{i}")]);
    assert_eq!(c.cmd(&["LLEN", "big:l"]), Reply::Int(N as i64));
    assert_eq!(c.cmd(&["LINDEX", "big:l", "0"]), b("e0"));
    assert_eq!(c.cmd(&["LINDEX", "big:l", "-1"]), b("e999999"));
    assert_eq!(c.cmd(&["LINDEX", "big:l", "500000"]), b("e500000"));
    assert_eq!(c.cmd(&["LINDEX", "big:l", "1000000"]), Reply::Nil);
    assert_eq!(
        c.cmd(&["LRANGE", "big:l", "-3", "-1"]),
        Reply::Array(vec![b("e999997"), b("e999998"), b("e999999")])
    );
    assert_eq!(
        c.cmd(&["LRANGE", "big:l", "999999", "5000000"]),
        Reply::Array(vec![b("e999999")])
    );
    assert_eq!(c.cmd(&["LSET", "big:l", "500000", "mid"]), Reply::ok());
    assert_point(
        "LINDEX 500000",
        slowest(&mut c, 50, &["LINDEX", "big:l", "500000"], |r| {
            *r == b("mid")
        }),
    );
    assert_point(
        "LRANGE 0 9",
        slowest(&mut c, 50, &["LRANGE", "big:l", "0", "9"], |r| {
            r.items().len() == 10
        }),
    );
    assert_eq!(c.cmd(&["LPOP", "big:l"]), b("e0"));
    assert_eq!(
        c.cmd(&["RPOP", "big:l", "2"]),
        Reply::Array(vec![b("e999999"), b("e999998")])
    );
    assert_eq!(c.cmd(&["LPUSH", "big:l", "new"]), Reply::Int(N as i64 - 2));
    assert_eq!(c.cmd(&["LINDEX", "big:l", "0"]), b("new"));
    assert_eq!(c.cmd(&["LTRIM", "big:l", "0", "-2"]), Reply::ok());
    assert_eq!(c.cmd(&["LLEN", "big:l"]), Reply::Int(N as i64 - 3));
    unlink_is_quick(&mut c, "big:l");
}

#[test]
fn a_million_field_hash() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    build(&mut c, "HSET", "big:h", |i| {
        vec![format!("f{i}"), format!("v{i}")]
    });
    assert_eq!(c.cmd(&["HLEN", "big:h"]), Reply::Int(N as i64));
    assert_eq!(c.cmd(&["HGET", "big:h", "f765432"]), b("v765432"));
    assert_eq!(c.cmd(&["HGET", "big:h", "f1000000"]), Reply::Nil);
    assert_eq!(c.cmd(&["HEXISTS", "big:h", "f0"]), Reply::Int(1));
    assert_eq!(c.cmd(&["HSTRLEN", "big:h", "f999999"]), Reply::Int(7));
    assert_eq!(c.cmd(&["HINCRBY", "big:h", "n", "5"]), Reply::Int(5));
    assert_point(
        "HGET",
        slowest(&mut c, 50, &["HGET", "big:h", "f123456"], |r| {
            *r == b("v123456")
        }),
    );
    assert_point(
        "HMGET",
        slowest(
            &mut c,
            50,
            &["HMGET", "big:h", "f1", "f999998", "nope"],
            |r| *r == Reply::Array(vec![b("v1"), b("v999998"), Reply::Nil]),
        ),
    );
    // HSCAN walks it in steps of about COUNT.
    let r = c.cmd(&["HSCAN", "big:h", "0", "COUNT", "10"]);
    let items = r.items();
    assert_eq!(items.len(), 2, "{r:?}");
    assert_ne!(items[0], b("0"), "one HSCAN step ended a 1M-field scan");
    let fields = items[1].items().len() / 2;
    assert!((1..=100).contains(&fields), "HSCAN COUNT 10 gave {fields}");
    let r = c.cmd(&["HRANDFIELD", "big:h", "5", "WITHVALUES"]);
    assert_eq!(r.items().len(), 10, "{r:?}");
    assert_eq!(c.cmd(&["HDEL", "big:h", "f0", "f1", "nope"]), Reply::Int(2));
    assert_eq!(c.cmd(&["HLEN", "big:h"]), Reply::Int(N as i64 - 1));
    unlink_is_quick(&mut c, "big:h");
}

#[test]
fn a_million_member_set_and_sorted_set() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    build(&mut c, "SADD", "big:s", |i| vec![format!("m{i}")]);
    assert_eq!(c.cmd(&["SCARD", "big:s"]), Reply::Int(N as i64));
    assert_eq!(c.cmd(&["SISMEMBER", "big:s", "m424242"]), Reply::Int(1));
    assert_eq!(
        c.cmd(&["SMISMEMBER", "big:s", "m0", "x", "m999999"]),
        Reply::Array(vec![Reply::Int(1), Reply::Int(0), Reply::Int(1)])
    );
    assert_point(
        "SRANDMEMBER 10",
        slowest(&mut c, 50, &["SRANDMEMBER", "big:s", "10"], |r| {
            r.items().len() == 10
        }),
    );
    let popped = c.cmd(&["SPOP", "big:s", "3"]).items();
    assert_eq!(popped.len(), 3);
    assert_eq!(c.cmd(&["SCARD", "big:s"]), Reply::Int(N as i64 - 3));
    assert_eq!(
        c.cmd(&["SISMEMBER", "big:s", &popped[0].text()]),
        Reply::Int(0)
    );

    build(&mut c, "ZADD", "big:z", |i| {
        vec![i.to_string(), format!("m{i}")]
    });
    assert_eq!(c.cmd(&["ZCARD", "big:z"]), Reply::Int(N as i64));
    assert_eq!(c.cmd(&["ZSCORE", "big:z", "m654321"]), b("654321"));
    assert_eq!(
        c.cmd(&["ZRANGE", "big:z", "0", "2"]),
        Reply::Array(vec![b("m0"), b("m1"), b("m2")])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "big:z", "(999997", "+inf", "BYSCORE"]),
        Reply::Array(vec![b("m999998"), b("m999999")])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "big:z", "-1", "-1", "WITHSCORES"]),
        Reply::Array(vec![b("m999999"), b("999999")])
    );
    assert_eq!(c.cmd(&["ZCOUNT", "big:z", "10", "19"]), Reply::Int(10));
    assert_eq!(c.cmd(&["ZRANK", "big:z", "m5"]), Reply::Int(5));
    assert_eq!(c.cmd(&["ZREVRANK", "big:z", "m999990"]), Reply::Int(9));
    assert_point(
        "ZSCORE",
        slowest(&mut c, 50, &["ZSCORE", "big:z", "m1"], |r| *r == b("1")),
    );
    assert_point(
        "ZRANGE 0 9",
        slowest(&mut c, 50, &["ZRANGE", "big:z", "0", "9"], |r| {
            r.items().len() == 10
        }),
    );
    assert_eq!(
        c.cmd(&["ZPOPMIN", "big:z"]),
        Reply::Array(vec![b("m0"), b("0")])
    );
    assert_eq!(c.cmd(&["ZINCRBY", "big:z", "-10", "m1"]), b("-9"));
    assert_eq!(
        c.cmd(&["ZRANGE", "big:z", "0", "0"]),
        Reply::Array(vec![b("m1")])
    );
    // Expiring a million members does not stall the server: other
    // commands keep answering while it goes.
    assert_eq!(c.cmd(&["PEXPIRE", "big:z", "1"]), Reply::Int(1));
    let worst = slowest(&mut c, 20, &["PING"], |r| {
        *r == Reply::Simple("PONG".into())
    });
    assert_point("PING while a 1M zset expires", worst);
    assert!(
        corekv_tests::wait_until(Duration::from_secs(5), || {
            c.cmd(&["EXISTS", "big:z"]) == Reply::Int(0)
        }),
        "the expired zset is still there"
    );
    assert_eq!(c.cmd(&["ZCARD", "big:z"]), Reply::Int(0));
    unlink_is_quick(&mut c, "big:s");
}

/// UNLINK of a million-entry collection answers at once (Redis frees it in
/// a background thread, corekv drops its namespace and sweeps later), and
/// the server keeps answering.
fn unlink_is_quick(c: &mut Resp, key: &str) {
    let t = Instant::now();
    assert_eq!(c.cmd(&["UNLINK", key]), Reply::Int(1));
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(200),
        "UNLINK {key} took {took:?}"
    );
    assert_eq!(c.cmd(&["EXISTS", key]), Reply::Int(0));
    let worst = slowest(c, 20, &["PING"], |r| *r == Reply::Simple("PONG".into()));
    assert_point(&format!("PING after UNLINK {key}"), worst);
}
