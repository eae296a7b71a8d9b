//! Hash commands through a real client: exact replies and error texts as
//! Redis 7.0 gives them, RESP2 and RESP3 shapes, HSCAN coverage, HRANDFIELD
//! counts, OBJECT ENCODING, and the generic key commands on hashes.
//! Replies Redis leaves unordered (HGETALL, HKEYS, HSCAN, HRANDFIELD) are
//! compared as sets.

use corekv_tests::linearizability::{Load, check_counter, run_hash_counter_workload};
use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check, corekv_only, wait_until};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const SYNTAX: &str = "ERR syntax error";

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// A connection switched to RESP3.
fn resp3(s: &Server) -> Resp {
    let mut c = s.resp();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Reply::Map(_)));
    c
}

/// Sets fields f0..f{n-1} to v0..v{n-1}, 500 pairs per HSET.
fn fill(c: &mut Resp, key: &str, n: usize) {
    let all: Vec<usize> = (0..n).collect();
    for chunk in all.chunks(500) {
        let mut cmd = vec!["HSET".to_string(), key.to_string()];
        for j in chunk {
            cmd.push(format!("f{j}"));
            cmd.push(format!("v{j}"));
        }
        assert_eq!(c.cmd(&cmd), i(chunk.len() as i64));
    }
}

/// A flat field/value list as a map.
fn pairs(items: &[Reply]) -> BTreeMap<String, String> {
    items
        .chunks(2)
        .map(|p| match p {
            [f, v] => (f.text(), v.text()),
            other => panic!("odd pair list {other:?}"),
        })
        .collect()
}

/// A full HSCAN from cursor 0 (bounded): (calls, fields in reply order).
fn scan_all(c: &mut Resp, key: &str, extra: &[&str]) -> (usize, Vec<(String, String)>) {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for calls in 1..=100_000 {
        let mut cmd = vec!["HSCAN", key, cursor.as_str()];
        cmd.extend_from_slice(extra);
        let reply = c.cmd(&cmd).items();
        let [next, items] = reply.as_slice() else {
            panic!("bad HSCAN reply {reply:?}");
        };
        for p in items.items().chunks(2) {
            if let [f, v] = p {
                seen.push((f.text(), v.text()));
            }
        }
        let next = next.text();
        if next == "0" {
            return (calls, seen);
        }
        cursor = next;
    }
    panic!("HSCAN did not finish");
}

#[test]
fn set_get_and_point_reads() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HSET", "h", "a", "1", "b", "2"], i(2));
    check!(c, ["HSET", "h", "a", "10", "c", "3"], i(1));
    check!(c, ["HSET", "h", "d", "4", "d", "5"], i(1));
    check!(c, ["HGET", "h", "a"], b("10"));
    check!(c, ["HGET", "h", "d"], b("5"));
    check!(c, ["HGET", "h", "zz"], nil());
    check!(c, ["HGET", "nokey", "a"], nil());
    check!(c, ["HLEN", "h"], i(4));
    check!(c, ["HLEN", "nokey"], i(0));
    check!(
        c,
        ["HMGET", "h", "a", "zz", "b"],
        arr(vec![b("10"), nil(), b("2")])
    );
    check!(c, ["HMGET", "nokey", "a", "b"], arr(vec![nil(), nil()]));
    check!(c, ["HEXISTS", "h", "a"], i(1));
    check!(c, ["HEXISTS", "h", "zz"], i(0));
    check!(c, ["HEXISTS", "nokey", "a"], i(0));
    check!(c, ["HSTRLEN", "h", "a"], i(2));
    check!(c, ["HSTRLEN", "h", "zz"], i(0));
    check!(c, ["HSTRLEN", "nokey", "a"], i(0));
    check!(c, ["HMSET", "h", "a", "x", "e", "5"], ok());
    check!(c, ["HGET", "h", "a"], b("x"));
    check!(c, ["HSETNX", "h", "a", "y"], i(0));
    check!(c, ["HSETNX", "h", "f", "6"], i(1));
    check!(c, ["HGET", "h", "a"], b("x"));
    check!(c, ["HLEN", "h"], i(6));
    // Binary-safe fields and values, empty ones included.
    let (f, v): (&[u8], &[u8]) = (b"a\r\nb\0", b"\0\r\n");
    assert_eq!(c.cmd(&[&b"HSET"[..], b"bin", f, v, b"", b""]), i(2));
    assert_eq!(c.cmd(&[&b"HGET"[..], b"bin", f]), Reply::Bulk(v.to_vec()));
    check!(c, ["HGET", "bin", ""], b(""));
    check!(c, ["HSTRLEN", "bin", ""], i(0));
    for (cmd, name) in [
        (&["HSET", "h"][..], "hset"),
        (&["HSET", "h", "a"], "hset"),
        (&["HSET", "h", "a", "1", "b"], "hset"),
        (&["HMSET", "h", "a", "1", "b"], "hmset"),
        (&["HSETNX", "h", "a"], "hsetnx"),
        (&["HGET", "h"], "hget"),
        (&["HMGET", "h"], "hmget"),
        (&["HDEL", "h"], "hdel"),
        (&["HLEN"], "hlen"),
        (&["HGETALL"], "hgetall"),
        (&["HINCRBY", "h", "a"], "hincrby"),
        (&["HINCRBYFLOAT", "h", "a"], "hincrbyfloat"),
        (&["HSCAN", "h"], "hscan"),
        (&["HRANDFIELD"], "hrandfield"),
    ] {
        let want = e(&format!(
            "ERR wrong number of arguments for '{name}' command"
        ));
        assert_eq!(c.cmd(cmd), want, "{cmd:?}");
    }
    check!(c, ["HLEN", "h"], i(6));
}

#[test]
fn hdel_and_an_emptied_hash_is_gone() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HDEL", "h", "a"], i(0));
    check!(c, ["HSET", "h", "a", "1", "b", "2", "c", "3"], i(3));
    check!(c, ["HDEL", "h", "a", "a", "zz"], i(1));
    check!(c, ["HLEN", "h"], i(2));
    check!(c, ["HDEL", "h", "b", "c", "zz"], i(2));
    check!(c, ["EXISTS", "h"], i(0));
    check!(c, ["TYPE", "h"], Reply::Simple("none".into()));
    check!(c, ["HGETALL", "h"], arr(vec![]));
    // A new hash under the same name starts empty.
    check!(c, ["HSET", "h", "z", "26"], i(1));
    check!(c, ["HGETALL", "h"], arr(vec![b("z"), b("26")]));
}

#[test]
fn increments() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HINCRBY", "h", "n", "5"], i(5));
    check!(c, ["HINCRBY", "h", "n", "-7"], i(-2));
    check!(c, ["HGET", "h", "n"], b("-2"));
    check!(c, ["HINCRBY", "h", "n", "1.5"], e(NOT_INT));
    check!(c, ["HINCRBY", "h", "n", "x"], e(NOT_INT));
    check!(c, ["HINCRBY", "none", "n", "x"], e(NOT_INT));
    check!(
        c,
        ["HSET", "h", "s", "abc", "m", "9223372036854775807"],
        i(2)
    );
    check!(
        c,
        ["HINCRBY", "h", "s", "1"],
        e("ERR hash value is not an integer")
    );
    check!(
        c,
        ["HINCRBY", "h", "m", "1"],
        e("ERR increment or decrement would overflow")
    );
    check!(c, ["HGET", "h", "m"], b("9223372036854775807"));

    check!(c, ["HINCRBYFLOAT", "h", "f", "10.5"], b("10.5"));
    check!(c, ["HINCRBYFLOAT", "h", "f", "0.1"], b("10.6"));
    check!(c, ["HINCRBYFLOAT", "h", "f", "-10.6"], b("0"));
    check!(c, ["HSET", "h", "g", "5.0e3"], i(1));
    check!(c, ["HINCRBYFLOAT", "h", "g", "0"], b("5000"));
    check!(c, ["HINCRBYFLOAT", "h", "n", "2.5"], b("0.5"));
    check!(c, ["HINCRBYFLOAT", "r", "x", "1.23"], b("1.23"));
    check!(c, ["HINCRBYFLOAT", "r", "x", "0.77"], b("2"));
    check!(c, ["HINCRBYFLOAT", "r", "x", "-0.1"], b("1.9"));
    check!(
        c,
        ["HINCRBYFLOAT", "gone", "x", "+inf"],
        e("ERR value is NaN or Infinity")
    );
    check!(c, ["EXISTS", "gone"], i(0));
    for bad in ["abc", "nan", " 1", ""] {
        check!(c, ["HINCRBYFLOAT", "h", "f", bad], e(NOT_FLOAT));
    }
    for inf in ["inf", "-inf", "+inf"] {
        check!(
            c,
            ["HINCRBYFLOAT", "h", "f", inf],
            e("ERR value is NaN or Infinity")
        );
    }
    check!(
        c,
        ["HINCRBYFLOAT", "h", "s", "1"],
        e("ERR hash value is not a float")
    );
    // Increments keep the key's TTL.
    check!(c, ["EXPIRE", "h", "100"], i(1));
    check!(c, ["HINCRBY", "h", "n2", "1"], i(1));
    let ttl = c.cmd(&["TTL", "h"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
}

#[test]
fn wrong_type_both_ways() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "s", "v"], ok());
    for cmd in [
        &["HSET", "s", "a", "1"][..],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HEXISTS", "s", "a"],
        &["HSTRLEN", "s", "a"],
        &["HGETALL", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HSCAN", "s", "0"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "0"],
    ] {
        assert_eq!(c.cmd(cmd), e(WRONGTYPE), "{cmd:?}");
    }
    check!(c, ["HSET", "h", "a", "1"], i(1));
    for cmd in [&["GET", "h"][..], &["INCR", "h"], &["APPEND", "h", "x"]] {
        assert_eq!(c.cmd(cmd), e(WRONGTYPE), "{cmd:?}");
    }
    // SET overwrites a hash.
    check!(c, ["SET", "h", "v"], ok());
    check!(c, ["GET", "h"], b("v"));
    check!(c, ["HGET", "h", "a"], e(WRONGTYPE));
}

#[test]
fn whole_hash_reads_in_resp2_and_resp3() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HGETALL", "h"], arr(vec![]));
    check!(c, ["HKEYS", "h"], arr(vec![]));
    check!(c, ["HVALS", "h"], arr(vec![]));
    check!(c, ["HSET", "h", "a", "1", "b", "2", "c", "3"], i(3));
    let want = BTreeMap::from([
        ("a".to_string(), "1".to_string()),
        ("b".to_string(), "2".to_string()),
        ("c".to_string(), "3".to_string()),
    ]);
    assert_eq!(pairs(&c.cmd(&["HGETALL", "h"]).items()), want);
    assert_eq!(c.cmd(&["HKEYS", "h"]).sorted_texts(), ["a", "b", "c"]);
    assert_eq!(c.cmd(&["HVALS", "h"]).sorted_texts(), ["1", "2", "3"]);

    let mut c3 = resp3(&s);
    check!(c3, ["HGETALL", "nokey"], Reply::Map(vec![]));
    match c3.cmd(&["HGETALL", "h"]) {
        Reply::Map(m) => {
            let got: BTreeMap<String, String> =
                m.iter().map(|(k, v)| (k.text(), v.text())).collect();
            assert_eq!(got, want);
        }
        other => panic!("HGETALL in RESP3 is a map, got {other:?}"),
    }
    check!(c3, ["HKEYS", "nokey"], arr(vec![]));
    assert_eq!(c3.cmd(&["HVALS", "h"]).sorted_texts(), ["1", "2", "3"]);
    check!(c3, ["HGET", "nokey", "a"], nil());
    check!(c3, ["HMGET", "h", "a", "zz"], arr(vec![b("1"), nil()]));
    check!(c3, ["HINCRBYFLOAT", "h", "a", "0.5"], b("1.5"));
}

#[test]
fn hscan_small_and_big() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HSCAN", "nokey", "0"], arr(vec![b("0"), arr(vec![])]));
    // A missing key answers before the options are looked at.
    check!(
        c,
        ["HSCAN", "nokey", "0", "COUNT", "x"],
        arr(vec![b("0"), arr(vec![])])
    );
    check!(c, ["HSCAN", "nokey", "x"], e("ERR invalid cursor"));
    // A listpack-sized hash comes whole in one call.
    fill(&mut c, "small", 100);
    let (calls, seen) = scan_all(&mut c, "small", &["COUNT", "5"]);
    assert_eq!((calls, seen.len()), (1, 100));
    let (_, seen) = scan_all(&mut c, "small", &["MATCH", "f1?"]);
    let got: BTreeSet<String> = seen.iter().map(|(f, _)| f.clone()).collect();
    let want: BTreeSet<String> = (10..20).map(|j| format!("f{j}")).collect();
    assert_eq!(got, want);
    for (opts, err) in [
        (&["COUNT", "0"][..], SYNTAX),
        (&["COUNT", "-1"], SYNTAX),
        (&["COUNT", "x"], NOT_INT),
        (&["COUNT"], SYNTAX),
        (&["MATCH"], SYNTAX),
        (&["TYPE", "hash"], SYNTAX),
        (&["NOVALUES"], SYNTAX),
    ] {
        let mut cmd = vec!["HSCAN", "small", "0"];
        cmd.extend_from_slice(opts);
        assert_eq!(c.cmd(&cmd), e(err), "{cmd:?}");
    }
    for bad in [" 1", "1x", "18446744073709551616"] {
        check!(c, ["HSCAN", "small", bad], e("ERR invalid cursor"));
    }

    // A hashtable-sized hash: every field exactly once, with its value,
    // over several calls of about COUNT fields.
    fill(&mut c, "big", 2000);
    check!(c, ["OBJECT", "ENCODING", "big"], b("hashtable"));
    let (calls, seen) = scan_all(&mut c, "big", &["COUNT", "100"]);
    assert_eq!(seen.len(), 2000, "each field once");
    assert!(
        seen.iter().all(|(f, v)| f[1..] == v[1..]),
        "values follow fields"
    );
    let fields: BTreeSet<&String> = seen.iter().map(|(f, _)| f).collect();
    assert_eq!(fields.len(), 2000);
    assert!((10..=60).contains(&calls), "calls {calls}");
    let (_, seen) = scan_all(&mut c, "big", &["MATCH", "f199*", "COUNT", "50"]);
    let got: BTreeSet<String> = seen.into_iter().map(|(f, _)| f).collect();
    let want: BTreeSet<String> = std::iter::once("f199".to_string())
        .chain((1990..2000).map(|j| format!("f{j}")))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn hrandfield_arguments_counts_and_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HRANDFIELD", "nokey"], nil());
    check!(c, ["HRANDFIELD", "nokey", "5"], arr(vec![]));
    check!(c, ["HRANDFIELD", "nokey", "-5", "WITHVALUES"], arr(vec![]));
    let range = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    for (cmd, err) in [
        (&["HRANDFIELD", "nokey", "x"][..], NOT_INT),
        (&["HRANDFIELD", "nokey", "1", "WITHSCORES"], SYNTAX),
        (&["HRANDFIELD", "nokey", "1", "WITHVALUES", "x"], SYNTAX),
        (&["HRANDFIELD", "nokey", "-9223372036854775808"], range),
        (
            &["HRANDFIELD", "nokey", "-9223372036854770000", "WITHVALUES"],
            "ERR value is out of range",
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    check!(c, ["HSET", "h", "a", "1", "b", "2", "c", "3"], i(3));
    check!(c, ["HRANDFIELD", "h", "0"], arr(vec![]));
    check!(c, ["HRANDFIELD", "h", "0", "WITHVALUES"], arr(vec![]));
    let one = c.cmd(&["HRANDFIELD", "h"]).text();
    assert!(["a", "b", "c"].contains(&one.as_str()), "{one}");
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "3"]).sorted_texts(),
        ["a", "b", "c"]
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "10"]).sorted_texts(),
        ["a", "b", "c"]
    );
    let two = c.cmd(&["HRANDFIELD", "h", "2"]).sorted_texts();
    assert_eq!(two.len(), 2);
    assert_ne!(two.first(), two.get(1));
    assert_eq!(c.cmd(&["HRANDFIELD", "h", "-1001"]).items().len(), 1001);
    // RESP2: WITHVALUES is flat.
    let flat = c.cmd(&["HRANDFIELD", "h", "-20", "WITHVALUES"]).items();
    assert_eq!(flat.len(), 40);
    let want = BTreeMap::from([("a", "1"), ("b", "2"), ("c", "3")]);
    for p in flat.chunks(2) {
        let [f, v] = p else { panic!("pair") };
        assert_eq!(
            want.get(f.text().as_str()).copied(),
            Some(v.text().as_str())
        );
    }
    // Over many calls every field turns up.
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        seen.insert(c.cmd(&["HRANDFIELD", "h"]).text());
        if seen.len() == 3 {
            break;
        }
    }
    assert_eq!(seen.len(), 3);
    // RESP3: WITHVALUES is an array of [field, value] arrays.
    let mut c3 = resp3(&s);
    let nested = c3.cmd(&["HRANDFIELD", "h", "3", "WITHVALUES"]).items();
    assert_eq!(nested.len(), 3);
    let mut got = BTreeSet::new();
    for p in &nested {
        let pair = p.items();
        let [f, v] = pair.as_slice() else {
            panic!("not a pair {p:?}")
        };
        assert_eq!(
            want.get(f.text().as_str()).copied(),
            Some(v.text().as_str())
        );
        got.insert(f.text());
    }
    assert_eq!(got.len(), 3);
    assert_eq!(
        c3.cmd(&["HRANDFIELD", "h", "-5", "WITHVALUES"])
            .items()
            .len(),
        5
    );
    let plain = c3.cmd(&["HRANDFIELD", "h", "3"]).items();
    assert!(
        plain.iter().all(|r| matches!(r, Reply::Bulk(_))),
        "{plain:?}"
    );
    check!(c3, ["HRANDFIELD", "nokey"], nil());

    // A big hash: distinct samples of every size.
    fill(&mut c, "big", 1500);
    for count in [10usize, 400, 600, 1499, 1500, 3000] {
        let got = c
            .cmd(&["HRANDFIELD", "big", &count.to_string()])
            .sorted_texts();
        let distinct: BTreeSet<&String> = got.iter().collect();
        assert_eq!(got.len(), count.min(1500), "count {count}");
        assert_eq!(distinct.len(), count.min(1500), "count {count}: distinct");
    }
    assert_eq!(c.cmd(&["HRANDFIELD", "big", "-3000"]).items().len(), 3000);
}

#[test]
fn object_encoding_listpack_then_hashtable() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let long = "x".repeat(65);
    let edge = "x".repeat(64);
    check!(c, ["HSET", "e", &edge, &edge], i(1));
    check!(c, ["OBJECT", "ENCODING", "e"], b("listpack"));
    check!(c, ["HSET", "e", "v", &long], i(1));
    check!(c, ["OBJECT", "ENCODING", "e"], b("hashtable"));
    check!(c, ["HDEL", "e", "v"], i(1));
    check!(c, ["OBJECT", "ENCODING", "e"], b("hashtable"));
    check!(c, ["HINCRBY", "i", &long, "1"], i(1));
    check!(c, ["OBJECT", "ENCODING", "i"], b("hashtable"));
    check!(c, ["HSET", "n", "a", "1"], i(1));
    check!(c, ["HSETNX", "n", "a", &long], i(0));
    check!(c, ["OBJECT", "ENCODING", "n"], b("listpack"));
    // hash-max-listpack-entries is 512 in Redis 7.0.
    fill(&mut c, "m", 512);
    check!(c, ["OBJECT", "ENCODING", "m"], b("listpack"));
    check!(c, ["HSET", "m", "one-more", "1"], i(1));
    check!(c, ["OBJECT", "ENCODING", "m"], b("hashtable"));
    check!(c, ["HDEL", "m", "one-more", "f0"], i(2));
    check!(c, ["OBJECT", "ENCODING", "m"], b("hashtable"));
}

#[test]
fn key_commands_on_hashes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["HSET", "{h}a", "x", "1", "y", "2"], i(2));
    check!(c, ["TYPE", "{h}a"], Reply::Simple("hash".into()));
    check!(c, ["EXISTS", "{h}a", "{h}none"], i(1));
    // EXPIRE / TTL / PERSIST.
    check!(c, ["EXPIRE", "{h}a", "100"], i(1));
    check!(c, ["HSET", "{h}a", "z", "3"], i(1));
    let ttl = c.cmd(&["TTL", "{h}a"]).int();
    assert!((99..=100).contains(&ttl), "HSET keeps the TTL: {ttl}");
    check!(c, ["PERSIST", "{h}a"], i(1));
    check!(c, ["TTL", "{h}a"], i(-1));
    // COPY is independent of its source.
    check!(c, ["COPY", "{h}a", "{h}b"], i(1));
    check!(c, ["COPY", "{h}a", "{h}b"], i(0));
    check!(c, ["HSET", "{h}b", "x", "changed"], i(0));
    check!(c, ["HGET", "{h}a", "x"], b("1"));
    check!(c, ["HGET", "{h}b", "x"], b("changed"));
    check!(c, ["SET", "{h}s", "v"], ok());
    check!(c, ["COPY", "{h}a", "{h}s", "REPLACE"], i(1));
    check!(c, ["HLEN", "{h}s"], i(3));
    // RENAME moves every field; over an existing hash replaces it.
    check!(c, ["RENAME", "{h}a", "{h}r"], ok());
    check!(c, ["EXISTS", "{h}a"], i(0));
    check!(c, ["HLEN", "{h}r"], i(3));
    check!(c, ["RENAME", "{h}r", "{h}b"], ok());
    check!(c, ["HGET", "{h}b", "x"], b("1"));
    check!(c, ["RENAMENX", "{h}b", "{h}s"], i(0));
    // SCAN TYPE hash finds exactly the hashes.
    let mut found = BTreeSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..100_000 {
        let reply = c
            .cmd(&["SCAN", &cursor, "TYPE", "hash", "COUNT", "1000"])
            .items();
        let [next, keys] = reply.as_slice() else {
            panic!("scan reply {reply:?}")
        };
        found.extend(keys.items().iter().map(Reply::text));
        cursor = next.text();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(
        found,
        ["{h}b", "{h}s"].iter().map(|k| k.to_string()).collect()
    );
    // DEL and lazy expiry.
    check!(c, ["DEL", "{h}b"], i(1));
    check!(c, ["HGETALL", "{h}b"], arr(vec![]));
    check!(c, ["PEXPIRE", "{h}s", "100"], i(1));
    assert!(
        wait_until(Duration::from_secs(5), || c.cmd(&["EXISTS", "{h}s"])
            == i(0)),
        "the hash expired"
    );
    check!(c, ["HLEN", "{h}s"], i(0));
    check!(c, ["HSETNX", "{h}s", "x", "new"], i(1));
    check!(c, ["HGETALL", "{h}s"], arr(vec![b("x"), b("new")]));
}

/// A larger hash: point reads, counts and a full HSCAN stay exact.
#[test]
fn a_hash_of_100k_fields() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    fill(&mut c, "huge", 100_000);
    check!(c, ["HLEN", "huge"], i(100_000));
    check!(c, ["HGET", "huge", "f99999"], b("v99999"));
    check!(c, ["HEXISTS", "huge", "f100000"], i(0));
    check!(c, ["HINCRBY", "huge", "counter", "7"], i(7));
    check!(c, ["HDEL", "huge", "counter", "f0"], i(2));
    check!(c, ["HLEN", "huge"], i(99_999));
    let (_, seen) = scan_all(&mut c, "huge", &["COUNT", "5000"]);
    assert_eq!(seen.len(), 99_999);
    let fields: BTreeSet<&String> = seen.iter().map(|(f, _)| f).collect();
    assert_eq!(fields.len(), 99_999);
    assert_eq!(c.cmd(&["HKEYS", "huge"]).items().len(), 99_999);
    let sample = c.cmd(&["HRANDFIELD", "huge", "100"]).sorted_texts();
    assert_eq!(sample.iter().collect::<BTreeSet<_>>().len(), 100);
    check!(c, ["DEL", "huge"], i(1));
    check!(c, ["HLEN", "huge"], i(0));
}

/// Sequential writes until the server dies or the bounds hit: HSET of a
/// new field into `{d}big` then HINCRBY of `{d}n`'s counter. Returns how
/// many of each were acknowledged.
fn spawn_hash_writer(c: Resp) -> mpsc::Receiver<(u64, u64)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut c = c;
        let (mut fields, mut incrs) = (0u64, 0u64);
        let start = Instant::now();
        for n in 0..20_000u64 {
            if start.elapsed() > Duration::from_secs(3) {
                break;
            }
            let f = format!("f{n}");
            match c.try_cmd(&["HSET", "{d}big", f.as_str(), f.as_str()]) {
                Ok(Reply::Int(1)) => fields += 1,
                _ => break,
            }
            match c.try_cmd(&["HINCRBY", "{d}n", "c", "1"]) {
                Ok(Reply::Int(v)) if v == i64::try_from(incrs + 1).unwrap_or(-1) => incrs += 1,
                _ => break,
            }
        }
        let _ = tx.send((fields, incrs));
    });
    rx
}

/// Acknowledged hash writes survive kill -9 (corekv only: redis-server runs
/// without persistence here), and a deleted hash stays deleted: its
/// elements never come back under a new hash of the same name.
#[test]
fn acked_hash_writes_survive_kill9() {
    if !corekv_only("acked_hash_writes_survive_kill9") {
        return;
    }
    let mut s = Server::start(&[]);
    {
        let mut c = s.resp();
        fill(&mut c, "{d}gone", 600);
        check!(c, ["DEL", "{d}gone"], i(1));
        check!(c, ["HSET", "{d}gone", "only", "1"], i(1));
        fill(&mut c, "{d}small", 10);
        check!(c, ["PEXPIRE", "{d}small", "600000"], i(1));
    }
    let rx = spawn_hash_writer(s.resp());
    std::thread::sleep(Duration::from_millis(700));
    s.kill9();
    let (fields, incrs) = rx.recv_timeout(Duration::from_secs(30)).expect("writer");
    assert!(
        fields > 0 && incrs > 0,
        "nothing acknowledged before kill -9"
    );
    s.restart();
    let mut c = s.resp();
    // The write in flight at the kill may have been applied too.
    let len = u64::try_from(c.cmd(&["HLEN", "{d}big"]).int()).unwrap_or(0);
    assert!(
        (fields..=fields + 1).contains(&len),
        "HLEN {len}, acked {fields}"
    );
    for chunk in (0..fields).collect::<Vec<_>>().chunks(500) {
        let mut cmd = vec!["HMGET".to_string(), "{d}big".to_string()];
        cmd.extend(chunk.iter().map(|n| format!("f{n}")));
        let got = c.cmd(&cmd).items();
        for (n, v) in chunk.iter().zip(got) {
            assert_eq!(v, b(&format!("f{n}")), "acknowledged field f{n} lost");
        }
    }
    let counter = c.cmd(&["HGET", "{d}n", "c"]).text();
    let counter: u64 = counter.parse().unwrap_or(0);
    assert!(
        (incrs..=incrs + 1).contains(&counter),
        "counter {counter}, acked {incrs}"
    );
    // A scan agrees with the count: no element without its meta.
    let (_, seen) = scan_all(&mut c, "{d}big", &["COUNT", "1000"]);
    assert_eq!(seen.len() as u64, len);
    check!(c, ["HGETALL", "{d}gone"], arr(vec![b("only"), b("1")]));
    check!(c, ["HLEN", "{d}small"], i(10));
    let ttl = c.cmd(&["PTTL", "{d}small"]).int();
    assert!(ttl > 0 && ttl <= 600_000, "TTL kept: {ttl}");
    if len > 512 {
        check!(c, ["OBJECT", "ENCODING", "{d}big"], b("hashtable"));
    }
    // And a clean shutdown keeps everything too.
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    let mut c = s.resp();
    check!(c, ["HLEN", "{d}big"], i(i64::try_from(len).unwrap_or(-1)));
    check!(c, ["HLEN", "{d}gone"], i(1));
}

/// A counter in a hash field, HINCRBY and HGET from 4 overlapping clients:
/// the history is linearizable (the string counter's test, on a hash).
#[test]
fn hincrby_counter_is_linearizable() {
    let s = Server::start(&[]);
    let h = run_hash_counter_workload(&[s.addr()], Load::new(4, 50, Duration::from_secs(10)));
    let st = h.stats();
    assert_eq!(st.ok, 200, "every op succeeds on one healthy node: {st}");
    assert!(st.overlapping > 0, "the clients never overlapped: {st}");
    if let Err(e) = check_counter(&h) {
        panic!("not linearizable: {e}");
    }
}

/// Heavy-pool jobs of `command` so far (`node.heavy.by_command`).
fn heavy_jobs(s: &Server, command: &str) -> u64 {
    let doc = s.stats();
    doc["node"]["heavy"]["by_command"][command]
        .as_u64()
        .unwrap_or_else(|| panic!("no heavy.by_command.{command}: {doc}"))
}

/// Whole-hash reads of a small hash run on the core; of a big one on the
/// heavy pool (corekv only), with the same answers either way.
#[test]
fn big_whole_hash_reads_go_to_the_heavy_pool() {
    if !corekv_only("big_whole_hash_reads_go_to_the_heavy_pool") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.resp();
    fill(&mut c, "small", 10);
    fill(&mut c, "big", 1000);
    // (command, options on the small hash, options on the big one)
    let reads: [(&str, &[&str], &[&str]); 5] = [
        ("HGETALL", &[], &[]),
        ("HKEYS", &[], &[]),
        ("HVALS", &[], &[]),
        ("HSCAN", &["0", "COUNT", "1000"], &["0", "COUNT", "1000"]),
        // 10 fields read plus 5 picks; 500 seeks.
        ("HRANDFIELD", &["-5"], &["-500"]),
    ];
    for (cmd, on_small, on_big) in reads {
        let name = cmd.to_ascii_lowercase();
        let before = heavy_jobs(&s, &name);
        let mut small = vec![cmd, "small"];
        small.extend_from_slice(on_small);
        assert!(!c.cmd(&small).is_error());
        assert_eq!(heavy_jobs(&s, &name), before, "{small:?} ran on the core");
        let mut big = vec![cmd, "big"];
        big.extend_from_slice(on_big);
        let got = c.cmd(&big);
        assert!(!got.is_error(), "{big:?}: {got:?}");
        assert_eq!(heavy_jobs(&s, &name), before + 1, "{big:?} ran on the pool");
    }
    assert_eq!(c.cmd(&["HGETALL", "big"]).items().len(), 2000);
    assert_eq!(c.cmd(&["HRANDFIELD", "big", "-500"]).items().len(), 500);
    // A big hash's point reads and small scans stay on the core.
    let before = heavy_jobs(&s, "hscan");
    let reply = c.cmd(&["HSCAN", "big", "0", "COUNT", "10"]).items();
    assert_eq!(reply.len(), 2);
    assert_eq!(heavy_jobs(&s, "hscan"), before);
    let before = heavy_jobs(&s, "hrandfield");
    assert_eq!(c.cmd(&["HRANDFIELD", "big", "5"]).items().len(), 5);
    assert_eq!(heavy_jobs(&s, "hrandfield"), before);
}
