//! Set commands: exact replies, RESP3 shapes and error texts, as Redis 7.0
//! gives them. Sets have no order: replies are compared sorted. Multi-key
//! commands use one hash tag so the keys share a slot.

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";

fn texts(v: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    out.sort();
    out
}

/// SADD of `n` members `prefix0..` in batches of 100 (bounded pipelines).
fn fill(c: &mut Resp, key: &str, prefix: &str, n: usize) {
    let mut added = 0;
    for start in (0..n).step_by(100) {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend((start..(start + 100).min(n)).map(|j| format!("{prefix}{j}")));
        added += c.cmd(&args).int();
    }
    assert_eq!(added, n as i64);
}

#[test]
fn add_remove_count_membership() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SADD", "s", "a", "b", "a"], i(2));
    check!(c, ["SADD", "s", "b", "c"], i(1));
    check!(c, ["SCARD", "s"], i(3));
    check!(c, ["SCARD", "nokey"], i(0));
    check!(c, ["SISMEMBER", "s", "a"], i(1));
    check!(c, ["SISMEMBER", "s", "z"], i(0));
    check!(c, ["SISMEMBER", "nokey", "a"], i(0));
    check!(
        c,
        ["SMISMEMBER", "s", "a", "z", "c"],
        Reply::Array(vec![i(1), i(0), i(1)])
    );
    check!(c, ["SMISMEMBER", "nokey", "a"], Reply::Array(vec![i(0)]));
    assert_eq!(
        c.cmd(&["SMEMBERS", "s"]).sorted_texts(),
        texts(&["a", "b", "c"])
    );
    check!(c, ["SMEMBERS", "nokey"], Reply::Array(vec![]));
    check!(c, ["TYPE", "s"], Reply::Simple("set".into()));
    check!(c, ["SREM", "s", "a", "zz"], i(1));
    check!(c, ["SREM", "nokey", "a"], i(0));
    // Removing the last member deletes the key.
    check!(c, ["SREM", "s", "b", "c"], i(2));
    check!(c, ["EXISTS", "s"], i(0));
    // Binary-safe members, the empty one included.
    let m: &[u8] = b"a\r\nb\0";
    assert_eq!(c.cmd(&[&b"SADD"[..], b"bin", m, b""]), i(2));
    assert_eq!(c.cmd(&[&b"SISMEMBER"[..], b"bin", m]), i(1));
    check!(c, ["SISMEMBER", "bin", ""], i(1));
    check!(
        c,
        ["SADD", "s"],
        e("ERR wrong number of arguments for 'sadd' command")
    );
    check!(
        c,
        ["SMISMEMBER", "s"],
        e("ERR wrong number of arguments for 'smismember' command")
    );
}

#[test]
fn wrong_type_and_expiry() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "{w}str", "v"], ok());
    check!(c, ["SADD", "{w}set", "a"], i(1));
    for cmd in [
        &["SADD", "{w}str", "a"][..],
        &["SREM", "{w}str", "a"],
        &["SCARD", "{w}str"],
        &["SISMEMBER", "{w}str", "a"],
        &["SMISMEMBER", "{w}str", "a"],
        &["SMEMBERS", "{w}str"],
        &["SPOP", "{w}str"],
        &["SPOP", "{w}str", "0"],
        &["SRANDMEMBER", "{w}str"],
        &["SRANDMEMBER", "{w}str", "0"],
        &["SINTER", "{w}nokey", "{w}str"],
        &["SUNION", "{w}set", "{w}str"],
        &["SDIFF", "{w}nokey", "{w}str"],
        &["SINTERCARD", "2", "{w}nokey", "{w}str"],
        &["SINTERSTORE", "{w}d", "{w}nokey", "{w}str"],
        &["SUNIONSTORE", "{w}d", "{w}set", "{w}str"],
        &["SDIFFSTORE", "{w}d", "{w}set", "{w}str"],
        &["SSCAN", "{w}str", "0"],
        &["SMOVE", "{w}str", "{w}set", "a"],
        &["SMOVE", "{w}set", "{w}str", "a"],
    ] {
        assert_eq!(c.cmd(cmd), e(WRONGTYPE), "{cmd:?}");
    }
    check!(c, ["SMOVE", "{w}nokey", "{w}str", "a"], i(0));
    check!(c, ["EXISTS", "{w}d"], i(0));
    check!(c, ["GET", "{w}str"], b("v"));
    // A set that expired is absent; a write makes a new one.
    check!(c, ["SADD", "x", "a", "b"], i(2));
    check!(c, ["PEXPIRE", "x", "50"], i(1));
    std::thread::sleep(std::time::Duration::from_millis(120));
    check!(c, ["SCARD", "x"], i(0));
    check!(c, ["SISMEMBER", "x", "a"], i(0));
    check!(c, ["SADD", "x", "c"], i(1));
    assert_eq!(c.cmd(&["SMEMBERS", "x"]).sorted_texts(), texts(&["c"]));
    check!(c, ["TTL", "x"], i(-1));
}

#[test]
fn pop_and_random_member() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SPOP", "p"], nil());
    check!(c, ["SPOP", "p", "2"], Reply::Array(vec![]));
    check!(c, ["SRANDMEMBER", "p"], nil());
    check!(c, ["SRANDMEMBER", "p", "2"], Reply::Array(vec![]));
    for (cmd, err) in [
        (
            &["SPOP", "p", "-1"][..],
            "ERR value is out of range, must be positive",
        ),
        (
            &["SPOP", "p", "x"],
            "ERR value is out of range, must be positive",
        ),
        (&["SPOP", "p", "1", "2"], SYNTAX),
        (
            &["SRANDMEMBER", "p", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["SRANDMEMBER", "p", "-9223372036854775808"],
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ),
        (&["SRANDMEMBER", "p", "1", "2"], SYNTAX),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    check!(c, ["SADD", "p", "a", "b", "c"], i(3));
    check!(c, ["SPOP", "p", "0"], Reply::Array(vec![]));
    check!(c, ["SRANDMEMBER", "p", "0"], Reply::Array(vec![]));
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "p", "10"]).sorted_texts(),
        texts(&["a", "b", "c"])
    );
    let rep = c.cmd(&["SRANDMEMBER", "p", "-7"]).sorted_texts();
    assert_eq!(rep.len(), 7);
    assert!(rep.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
    let one = c.cmd(&["SPOP", "p"]).text();
    check!(c, ["SISMEMBER", "p", &one], i(0));
    check!(c, ["SCARD", "p"], i(2));
    // A count at least the size pops everything and deletes the key.
    assert_eq!(c.cmd(&["SPOP", "p", "5"]).items().len(), 2);
    check!(c, ["EXISTS", "p"], i(0));

    // A hashtable set of 1000: popped members are gone, none twice.
    fill(&mut c, "big", "m", 1000);
    let popped = c.cmd(&["SPOP", "big", "300"]).sorted_texts();
    let mut uniq = popped.clone();
    uniq.dedup();
    assert_eq!((popped.len(), uniq.len()), (300, 300));
    check!(c, ["SCARD", "big"], i(700));
    for m in popped.iter().take(20) {
        check!(c, ["SISMEMBER", "big", m], i(0));
    }
    let sample = c.cmd(&["SRANDMEMBER", "big", "100"]).sorted_texts();
    let mut uniq = sample.clone();
    uniq.dedup();
    assert_eq!(uniq.len(), 100);
    for m in sample.iter().take(20) {
        check!(c, ["SISMEMBER", "big", m], i(1));
    }
    // Single picks reach many members (Redis's are approximate too).
    let mut seen = std::collections::HashSet::new();
    for _ in 0..300 {
        seen.insert(c.cmd(&["SRANDMEMBER", "big"]).text());
    }
    assert!(seen.len() > 150, "{}", seen.len());
    // Keeping a few: the rest comes back.
    let rest = c.cmd(&["SPOP", "big", "695"]).items().len();
    assert_eq!(rest, 695);
    check!(c, ["SCARD", "big"], i(5));
}

#[test]
fn smove() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SADD", "{m}a", "x", "y"], i(2));
    check!(c, ["SMOVE", "{m}a", "{m}b", "x"], i(1));
    check!(c, ["SMOVE", "{m}a", "{m}b", "nope"], i(0));
    check!(c, ["SMOVE", "{m}nokey", "{m}b", "x"], i(0));
    assert_eq!(c.cmd(&["SMEMBERS", "{m}b"]).sorted_texts(), texts(&["x"]));
    check!(c, ["SADD", "{m}b", "y"], i(1));
    check!(c, ["SMOVE", "{m}a", "{m}b", "y"], i(1));
    check!(c, ["EXISTS", "{m}a"], i(0));
    check!(c, ["SMOVE", "{m}b", "{m}b", "x"], i(1));
    check!(c, ["SMOVE", "{m}b", "{m}b", "z"], i(0));
    assert_eq!(
        c.cmd(&["SMEMBERS", "{m}b"]).sorted_texts(),
        texts(&["x", "y"])
    );
}

#[test]
fn algebra_and_store() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SADD", "{t}a", "1", "2", "3", "4"], i(4));
    check!(c, ["SADD", "{t}b", "3", "4", "5"], i(3));
    check!(c, ["SADD", "{t}c", "4", "6"], i(2));
    assert_eq!(
        c.cmd(&["SINTER", "{t}a", "{t}b"]).sorted_texts(),
        texts(&["3", "4"])
    );
    assert_eq!(
        c.cmd(&["SINTER", "{t}a", "{t}b", "{t}c"]).sorted_texts(),
        texts(&["4"])
    );
    check!(c, ["SINTER", "{t}a", "{t}nokey"], Reply::Array(vec![]));
    assert_eq!(
        c.cmd(&["SUNION", "{t}a", "{t}nokey", "{t}c"])
            .sorted_texts(),
        texts(&["1", "2", "3", "4", "6"])
    );
    assert_eq!(
        c.cmd(&["SDIFF", "{t}a", "{t}b", "{t}c"]).sorted_texts(),
        texts(&["1", "2"])
    );
    check!(c, ["SDIFF", "{t}a", "{t}a"], Reply::Array(vec![]));
    check!(c, ["SDIFF", "{t}nokey", "{t}a"], Reply::Array(vec![]));
    check!(c, ["SINTERCARD", "2", "{t}a", "{t}b"], i(2));
    check!(c, ["SINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "1"], i(1));
    check!(c, ["SINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "0"], i(2));
    check!(c, ["SINTERCARD", "2", "{t}a", "{t}nokey"], i(0));
    for (cmd, err) in [
        (
            &["SINTERCARD", "0", "{t}a"][..],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["SINTERCARD", "x", "{t}a"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["SINTERCARD", "3", "{t}a", "{t}b"],
            "ERR Number of keys can't be greater than number of args",
        ),
        (
            &["SINTERCARD", "1", "{t}a", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (&["SINTERCARD", "1", "{t}a", "LIMIT"], SYNTAX),
        (&["SINTERCARD", "1", "{t}a", "{t}b"], SYNTAX),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    // STORE replaces the destination, type and TTL included.
    check!(c, ["SET", "{t}d", "str", "EX", "100"], ok());
    check!(c, ["SUNIONSTORE", "{t}d", "{t}a", "{t}b"], i(5));
    check!(c, ["TYPE", "{t}d"], Reply::Simple("set".into()));
    check!(c, ["TTL", "{t}d"], i(-1));
    check!(c, ["SINTERSTORE", "{t}d", "{t}a", "{t}b"], i(2));
    assert_eq!(
        c.cmd(&["SMEMBERS", "{t}d"]).sorted_texts(),
        texts(&["3", "4"])
    );
    check!(c, ["SDIFFSTORE", "{t}d", "{t}a", "{t}b"], i(2));
    assert_eq!(
        c.cmd(&["SMEMBERS", "{t}d"]).sorted_texts(),
        texts(&["1", "2"])
    );
    check!(c, ["SUNIONSTORE", "{t}a", "{t}a", "{t}c"], i(5));
    // An empty result deletes the destination.
    check!(c, ["SINTERSTORE", "{t}d", "{t}a", "{t}nokey"], i(0));
    check!(c, ["EXISTS", "{t}d"], i(0));
}

#[test]
fn encodings() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SADD", "{e}i", "1", "-2", "300"], i(3));
    check!(c, ["OBJECT", "ENCODING", "{e}i"], b("intset"));
    check!(c, ["SADD", "{e}h", "1", "01"], i(2));
    check!(c, ["OBJECT", "ENCODING", "{e}h"], b("hashtable"));
    fill(&mut c, "{e}n", "", 512);
    check!(c, ["OBJECT", "ENCODING", "{e}n"], b("intset"));
    check!(c, ["SADD", "{e}n", "512"], i(1));
    check!(c, ["OBJECT", "ENCODING", "{e}n"], b("hashtable"));
    check!(c, ["SREM", "{e}n", "512", "0"], i(2));
    check!(c, ["OBJECT", "ENCODING", "{e}n"], b("hashtable"));
    // A STORE builds a new set.
    check!(c, ["SINTERSTORE", "{e}d", "{e}n", "{e}i"], i(2));
    check!(c, ["OBJECT", "ENCODING", "{e}d"], b("intset"));
}

#[test]
fn sscan() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let empty = Reply::Array(vec![b("0"), Reply::Array(vec![])]);
    check!(c, ["SSCAN", "nokey", "0"], empty.clone());
    check!(c, ["SSCAN", "nokey", "0", "COUNT", "0"], empty);
    check!(c, ["SSCAN", "nokey", "x"], e("ERR invalid cursor"));
    check!(c, ["SADD", "i", "1", "2", "3"], i(3));
    for (cmd, err) in [
        (&["SSCAN", "i", "0", "COUNT", "0"][..], SYNTAX),
        (
            &["SSCAN", "i", "0", "COUNT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["SSCAN", "i", "0", "TYPE", "set"], SYNTAX),
        (&["SSCAN", "i", "0", "MATCH"], SYNTAX),
        (
            &["SSCAN", "i", "18446744073709551616"],
            "ERR invalid cursor",
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    // A small (intset) set comes back whole with cursor 0.
    let r = c.cmd(&["SSCAN", "i", "0", "COUNT", "1"]).items();
    assert_eq!(r.first(), Some(&b("0")));
    assert_eq!(
        r.get(1).map(Reply::sorted_texts),
        Some(texts(&["1", "2", "3"]))
    );
    // A big one: every member exactly once, over several calls.
    fill(&mut c, "h", "k", 1000);
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let r = c.cmd(&["SSCAN", "h", &cursor, "COUNT", "50"]).items();
        cursor = r.first().map(Reply::text).unwrap_or_default();
        seen.extend(r.get(1).map(Reply::sorted_texts).unwrap_or_default());
        calls += 1;
        if cursor == "0" || calls > 500 {
            break;
        }
    }
    assert!(calls > 5, "{calls}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 1000);
    let mut all = Vec::new();
    let mut cursor = "0".to_string();
    for _ in 0..500 {
        let r = c
            .cmd(&["SSCAN", "h", &cursor, "MATCH", "k99*", "COUNT", "100"])
            .items();
        cursor = r.first().map(Reply::text).unwrap_or_default();
        all.extend(r.get(1).map(Reply::sorted_texts).unwrap_or_default());
        if cursor == "0" {
            break;
        }
    }
    all.sort();
    assert_eq!(all.len(), 11, "{all:?}");
}

#[test]
fn resp3_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    check!(c, ["SADD", "{r}s", "a"], i(1));
    check!(c, ["SMEMBERS", "{r}s"], Reply::Set(vec![b("a")]));
    check!(c, ["SMEMBERS", "{r}nokey"], Reply::Set(vec![]));
    check!(c, ["SINTER", "{r}s", "{r}s"], Reply::Set(vec![b("a")]));
    check!(c, ["SUNION", "{r}s"], Reply::Set(vec![b("a")]));
    check!(c, ["SDIFF", "{r}s"], Reply::Set(vec![b("a")]));
    check!(c, ["SINTER", "{r}s", "{r}nokey"], Reply::Set(vec![]));
    check!(c, ["SRANDMEMBER", "{r}s", "1"], Reply::Array(vec![b("a")]));
    check!(c, ["SRANDMEMBER", "{r}nokey", "1"], Reply::Array(vec![]));
    check!(c, ["SRANDMEMBER", "{r}nokey"], nil());
    check!(c, ["SPOP", "{r}nokey", "1"], Reply::Set(vec![]));
    check!(c, ["SPOP", "{r}s", "0"], Reply::Set(vec![]));
    check!(c, ["SPOP", "{r}s", "1"], Reply::Set(vec![b("a")]));
    check!(c, ["SPOP", "{r}s"], nil());
    check!(
        c,
        ["SSCAN", "{r}s", "0"],
        Reply::Array(vec![b("0"), Reply::Array(vec![])])
    );
}

/// Keys of different groups work as on one Redis, numkeys commands
/// included (their keys come from the key specs): one transaction.
#[test]
fn keys_across_groups_work_like_one_redis() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys: Vec<String> = (0..16).map(|j| format!("cross{j}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    for (n, k) in refs.iter().enumerate().skip(1) {
        check!(c, ["SADD", k, "common", &format!("m{n}")], i(2));
    }
    let mut sunion = vec!["SUNIONSTORE"];
    sunion.extend(&refs);
    assert_eq!(c.cmd(&sunion), i(16));
    let mut card = vec!["SINTERCARD", "15"];
    card.extend(refs.iter().skip(1));
    assert_eq!(c.cmd(&card), i(1));
    check!(c, ["SMOVE", "cross1", "cross2", "m1"], i(1));
    check!(c, ["SCARD", "cross2"], i(3));
    check!(c, ["SISMEMBER", "cross1", "m1"], i(0));
}

/// Pearson's chi-square of `counts` against a uniform draw over `n` bins.
fn chi_square(counts: &std::collections::HashMap<String, u64>, n: usize, draws: u64) -> f64 {
    let want = draws as f64 / n as f64;
    let seen: f64 = counts
        .values()
        .map(|&c| (c as f64 - want).powi(2) / want)
        .sum();
    // Bins never drawn count (0 - want)^2 / want each.
    seen + (n - counts.len()) as f64 * want
}

/// SRANDMEMBER with a negative count draws each member with equal chance
/// on a set whose picks are exact (below 512 members, like Redis's
/// listpack/intset): chi-square of 30,000 draws over 300 members within
/// 5 standard deviations of its degrees of freedom (299 ± 24.5).
#[test]
fn srandmember_draws_are_uniform_on_small_sets() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    const N: usize = 300;
    fill(&mut c, "u", "m", N);
    let mut counts = std::collections::HashMap::new();
    let mut draws = 0u64;
    for _ in 0..30 {
        for m in c.cmd(&["SRANDMEMBER", "u", "-1000"]).items() {
            *counts.entry(m.text()).or_insert(0u64) += 1;
            draws += 1;
        }
    }
    assert_eq!(draws, 30_000);
    let chi = chi_square(&counts, N, draws);
    let df = (N - 1) as f64;
    let sigma = (2.0 * df).sqrt();
    if corekv_tests::is_redis() {
        // Redis 7.0's hashtable picks (dictGetFairRandomKey) are not
        // uniform on small sets: its docs call the distribution "far from
        // perfect", and this very set measures ~3,000 there.
        eprintln!("redis: chi-square {chi:.0} for {df} degrees of freedom");
        return;
    }
    assert!(
        (df - 5.0 * sigma..df + 5.0 * sigma).contains(&chi),
        "chi-square {chi:.0} for {df} degrees of freedom"
    );
}
