//! Sorted-set commands: exact replies, RESP2 and RESP3 shapes (scores as
//! `%.17g` bulk strings in RESP2, doubles in RESP3; WITHSCORES flat in
//! RESP2, [member, score] pairs in RESP3) and error texts, as Redis 7.0
//! gives them. Multi-key commands use one hash tag.

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const MINMAX_FLOAT: &str = "ERR min or max is not a float";
const MINMAX_LEX: &str = "ERR min or max not valid string range item";

fn bulks(v: &[&str]) -> Reply {
    Reply::bulks(v)
}

fn dbl(s: &str) -> Reply {
    Reply::Double(s.to_string())
}

/// RESP3 WITHSCORES pairs.
fn pairs3(v: &[(&str, &str)]) -> Reply {
    Reply::Array(
        v.iter()
            .map(|(m, s)| Reply::Array(vec![b(m), dbl(s)]))
            .collect(),
    )
}

/// ZADD of `n` members `m0000..` with scores 0..n, in batches of 100.
fn fill(c: &mut Resp, key: &str, n: usize) {
    let mut added = 0;
    for start in (0..n).step_by(100) {
        let mut args = vec!["ZADD".to_string(), key.to_string()];
        for j in start..(start + 100).min(n) {
            args.push(j.to_string());
            args.push(format!("m{j:04}"));
        }
        added += c.cmd(&args).int();
    }
    assert_eq!(added, n as i64);
}

#[test]
fn zadd_and_scores() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["ZADD", "z", "1", "a", "2", "b"], i(2));
    check!(c, ["ZADD", "z", "NX", "5", "a", "3", "c"], i(1));
    check!(c, ["ZSCORE", "z", "a"], b("1"));
    check!(c, ["ZADD", "z", "XX", "5", "a", "4", "d"], i(0));
    check!(c, ["ZSCORE", "z", "a"], b("5"));
    check!(c, ["ZSCORE", "z", "d"], nil());
    check!(c, ["ZADD", "z", "CH", "6", "a", "2", "b", "9", "e"], i(2));
    check!(c, ["ZADD", "z", "GT", "CH", "1", "a", "7", "b"], i(1));
    check!(c, ["ZADD", "z", "LT", "CH", "1", "a", "8", "b"], i(1));
    check!(c, ["ZADD", "z", "GT", "0", "f"], i(1));
    check!(c, ["ZADD", "z", "INCR", "2", "a"], b("3"));
    check!(c, ["ZADD", "z", "NX", "INCR", "2", "a"], nil());
    check!(c, ["ZADD", "z", "XX", "INCR", "2", "zz"], nil());
    check!(c, ["ZADD", "nokey", "XX", "1", "a"], i(0));
    check!(c, ["EXISTS", "nokey"], i(0));
    check!(c, ["ZINCRBY", "z", "1.5", "a"], b("4.5"));
    check!(c, ["ZINCRBY", "z", "0.1", "a"], b("4.5999999999999996"));
    check!(c, ["ZADD", "z", "1.1", "g"], i(1));
    check!(c, ["ZSCORE", "z", "g"], b("1.1000000000000001"));
    check!(c, ["ZADD", "z", "1e17", "h", "0x10", "k"], i(2));
    check!(c, ["ZSCORE", "z", "h"], b("1e+17"));
    check!(c, ["ZSCORE", "z", "k"], b("16"));
    check!(
        c,
        ["ZMSCORE", "z", "k", "nope"],
        Reply::Array(vec![b("16"), nil()])
    );
    check!(c, ["ZMSCORE", "nokey", "a"], Reply::Array(vec![nil()]));
    check!(c, ["ZADD", "inf", "inf", "a", "-inf", "b"], i(2));
    check!(c, ["ZSCORE", "inf", "a"], b("inf"));
    check!(c, ["ZSCORE", "inf", "b"], b("-inf"));
    check!(
        c,
        ["ZINCRBY", "inf", "-inf", "a"],
        e("ERR resulting score is not a number (NaN)")
    );
    check!(c, ["ZSCORE", "inf", "a"], b("inf"));
    for (cmd, err) in [
        (&["ZADD", "z", "CH", "1"][..], SYNTAX),
        (&["ZADD", "z", "1", "a", "2"], SYNTAX),
        (
            &["ZADD", "z", "NX", "XX", "1", "a"],
            "ERR XX and NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "NX", "GT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            "ERR INCR option supports a single increment-element pair",
        ),
        (&["ZADD", "z", "x", "a"], NOT_FLOAT),
        (&["ZADD", "z", "nan", "a"], NOT_FLOAT),
        (&["ZADD", "z", "1e999", "a"], NOT_FLOAT),
        (&["ZADD", "z", "", "a"], NOT_FLOAT),
        (&["ZINCRBY", "z", "x", "a"], NOT_FLOAT),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    check!(
        c,
        ["ZADD", "z", "1"],
        e("ERR wrong number of arguments for 'zadd' command")
    );
    check!(c, ["ZCARD", "z"], i(8));
    check!(c, ["ZCARD", "nokey"], i(0));
    check!(c, ["ZREM", "z", "a", "nope", "a"], i(1));
    check!(c, ["ZREM", "nokey", "a"], i(0));
    check!(c, ["ZREM", "inf", "a", "b"], i(2));
    check!(c, ["EXISTS", "inf"], i(0));
    check!(c, ["TYPE", "z"], Reply::Simple("zset".into()));
}

#[test]
fn wrong_type_and_expiry() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "{w}str", "v"], ok());
    for cmd in [
        &["ZADD", "{w}str", "1", "a"][..],
        &["ZINCRBY", "{w}str", "1", "a"],
        &["ZREM", "{w}str", "a"],
        &["ZCARD", "{w}str"],
        &["ZSCORE", "{w}str", "a"],
        &["ZMSCORE", "{w}str", "a"],
        &["ZRANK", "{w}str", "a"],
        &["ZREVRANK", "{w}str", "a"],
        &["ZCOUNT", "{w}str", "0", "1"],
        &["ZLEXCOUNT", "{w}str", "-", "+"],
        &["ZRANGE", "{w}str", "0", "1"],
        &["ZRANGEBYSCORE", "{w}str", "0", "1"],
        &["ZRANGESTORE", "{w}d", "{w}str", "0", "1"],
        &["ZREMRANGEBYRANK", "{w}str", "0", "1"],
        &["ZPOPMIN", "{w}str"],
        &["ZPOPMAX", "{w}str", "2"],
        &["ZMPOP", "2", "{w}nokey", "{w}str", "MIN"],
        &["ZRANDMEMBER", "{w}str"],
        &["ZUNION", "2", "{w}nokey", "{w}str"],
        &["ZINTERSTORE", "{w}d", "1", "{w}str"],
        &["ZINTERCARD", "1", "{w}str"],
        &["ZDIFF", "1", "{w}str"],
        &["ZSCAN", "{w}str", "0"],
    ] {
        assert_eq!(c.cmd(cmd), e(WRONGTYPE), "{cmd:?}");
    }
    check!(c, ["EXISTS", "{w}d"], i(0));
    check!(c, ["ZADD", "x", "1", "a"], i(1));
    check!(c, ["PEXPIRE", "x", "50"], i(1));
    std::thread::sleep(std::time::Duration::from_millis(120));
    check!(c, ["ZCARD", "x"], i(0));
    check!(c, ["ZSCORE", "x", "a"], nil());
    check!(c, ["ZADD", "x", "2", "b"], i(1));
    check!(c, ["ZRANGE", "x", "0", "-1"], bulks(&["b"]));
    check!(c, ["TTL", "x"], i(-1));
}

#[test]
fn ranks_and_ranges() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(
        c,
        [
            "ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "-inf", "n", "inf", "p"
        ],
        i(6)
    );
    check!(c, ["ZRANK", "z", "n"], i(0));
    check!(c, ["ZRANK", "z", "c"], i(3));
    check!(c, ["ZREVRANK", "z", "c"], i(2));
    check!(c, ["ZRANK", "z", "x"], nil());
    check!(c, ["ZRANK", "nokey", "x"], nil());
    check!(
        c,
        ["ZRANGE", "z", "0", "-1"],
        bulks(&["n", "a", "b", "c", "d", "p"])
    );
    check!(c, ["ZRANGE", "z", "-2", "100"], bulks(&["d", "p"]));
    check!(c, ["ZRANGE", "z", "3", "1"], bulks(&[]));
    check!(c, ["ZRANGE", "z", "0", "1", "REV"], bulks(&["p", "d"]));
    check!(c, ["ZREVRANGE", "z", "0", "1"], bulks(&["p", "d"]));
    check!(
        c,
        ["ZRANGE", "z", "0", "1", "WITHSCORES"],
        bulks(&["n", "-inf", "a", "1"])
    );
    check!(
        c,
        ["ZREVRANGE", "z", "0", "0", "WITHSCORES"],
        bulks(&["p", "inf"])
    );
    check!(
        c,
        ["ZRANGE", "z", "(1", "3", "BYSCORE"],
        bulks(&["b", "c", "d"])
    );
    check!(
        c,
        ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"],
        bulks(&["a", "b"])
    );
    check!(
        c,
        ["ZREVRANGEBYSCORE", "z", "3", "(1"],
        bulks(&["d", "c", "b"])
    );
    check!(
        c,
        [
            "ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"
        ],
        bulks(&["d", "c"])
    );
    check!(
        c,
        ["ZRANGEBYSCORE", "z", "2", "2", "LIMIT", "-1", "5"],
        bulks(&[])
    );
    check!(
        c,
        ["ZRANGEBYSCORE", "z", "2", "2", "LIMIT", "0", "-5"],
        bulks(&["b", "c"])
    );
    check!(c, ["ZRANGEBYSCORE", "z", "(2", "(2"], bulks(&[]));
    check!(c, ["ZRANGEBYSCORE", "z", "3", "1"], bulks(&[]));
    check!(
        c,
        ["ZRANGE", "z", "0", "0", "LIMIT", "0", "-1"],
        bulks(&["n"])
    );
    check!(c, ["ZCOUNT", "z", "-inf", "+inf"], i(6));
    check!(c, ["ZCOUNT", "z", "(1", "2"], i(2));
    check!(c, ["ZCOUNT", "nokey", "0", "1"], i(0));
    check!(c, ["ZRANGE", "nokey", "0", "-1"], bulks(&[]));
    for (cmd, err) in [
        (
            &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"][..],
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            &["ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"],
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (&["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"], SYNTAX),
        (&["ZRANGEBYSCORE", "z", "0", "1", "REV"], SYNTAX),
        (&["ZREVRANGE", "z", "0", "1", "REV"], SYNTAX),
        (&["ZRANGE", "z", "a", "1"], NOT_INT),
        (&["ZRANGE", "z", "0", "1", "LIMIT", "x", "1"], NOT_INT),
        (&["ZRANGEBYSCORE", "z", "nan", "1"], MINMAX_FLOAT),
        (&["ZRANGEBYSCORE", "z", "1x", "1"], MINMAX_FLOAT),
        (&["ZCOUNT", "z", "1", "x"], MINMAX_FLOAT),
        (&["ZRANGEBYLEX", "z", "a", "[b"], MINMAX_LEX),
        (
            &["ZRANGESTORE", "{z}d", "{z}s", "0", "1", "WITHSCORES"],
            SYNTAX,
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    // Ranks on a bigger (skiplist) zset.
    fill(&mut c, "big", 1000);
    check!(c, ["ZRANK", "big", "m0999"], i(999));
    check!(c, ["ZREVRANK", "big", "m0999"], i(0));
    check!(c, ["ZRANK", "big", "m0500"], i(500));
    check!(
        c,
        ["ZRANGE", "big", "500", "502"],
        bulks(&["m0500", "m0501", "m0502"])
    );
    check!(c, ["ZCOUNT", "big", "100", "(200"], i(100));
    check!(c, ["OBJECT", "ENCODING", "big"], b("skiplist"));
}

#[test]
fn lex_ranges() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(
        c,
        [
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "ab"
        ],
        i(6)
    );
    check!(
        c,
        ["ZRANGEBYLEX", "z", "-", "+"],
        bulks(&["a", "ab", "b", "c", "d", "e"])
    );
    check!(c, ["ZRANGEBYLEX", "z", "[b", "(d"], bulks(&["b", "c"]));
    check!(c, ["ZRANGEBYLEX", "z", "(a", "[b"], bulks(&["ab", "b"]));
    check!(
        c,
        ["ZREVRANGEBYLEX", "z", "[c", "-"],
        bulks(&["c", "b", "ab", "a"])
    );
    check!(c, ["ZREVRANGEBYLEX", "z", "(c", "(a"], bulks(&["b", "ab"]));
    check!(
        c,
        ["ZRANGE", "z", "[e", "[b", "BYLEX", "REV", "LIMIT", "1", "2"],
        bulks(&["d", "c"])
    );
    check!(c, ["ZRANGEBYLEX", "z", "+", "-"], bulks(&[]));
    check!(c, ["ZRANGEBYLEX", "z", "[z", "+"], bulks(&[]));
    check!(c, ["ZLEXCOUNT", "z", "[b", "+"], i(4));
    check!(c, ["ZLEXCOUNT", "nokey", "-", "+"], i(0));
    check!(c, ["ZLEXCOUNT", "z", "x", "+"], e(MINMAX_LEX));
    check!(c, ["ZREMRANGEBYLEX", "z", "[aa", "(c"], i(2));
    check!(c, ["ZRANGE", "z", "0", "-1"], bulks(&["a", "c", "d", "e"]));
    // Mixed scores: Redis's walk (first member >= min, while <= max, and
    // empty when the first member is above max or the last below min).
    check!(c, ["ZADD", "m", "1", "b", "2", "a", "3", "c"], i(3));
    check!(c, ["ZRANGEBYLEX", "m", "[b", "+"], bulks(&["b", "a", "c"]));
    check!(c, ["ZRANGEBYLEX", "m", "-", "[a"], bulks(&[]));
    check!(c, ["ZREVRANGEBYLEX", "m", "+", "[b"], bulks(&["c"]));
    check!(c, ["ZREVRANGEBYLEX", "m", "[a", "-"], bulks(&[]));
}

#[test]
fn remrange_and_pops() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    fill(&mut c, "z", 10);
    check!(c, ["ZREMRANGEBYRANK", "z", "0", "1"], i(2));
    check!(c, ["ZREMRANGEBYRANK", "z", "-1", "-1"], i(1));
    check!(c, ["ZREMRANGEBYRANK", "z", "5", "2"], i(0));
    check!(c, ["ZREMRANGEBYSCORE", "z", "(2", "4"], i(2));
    check!(c, ["ZREMRANGEBYRANK", "nokey", "0", "-1"], i(0));
    check!(
        c,
        ["ZRANGE", "z", "0", "-1"],
        bulks(&["m0002", "m0005", "m0006", "m0007", "m0008"])
    );
    check!(c, ["ZREMRANGEBYRANK", "z", "x", "1"], e(NOT_INT));
    check!(c, ["ZREMRANGEBYSCORE", "z", "x", "1"], e(MINMAX_FLOAT));
    check!(c, ["ZREMRANGEBYLEX", "z", "x", "+"], e(MINMAX_LEX));
    check!(c, ["ZPOPMIN", "z"], bulks(&["m0002", "2"]));
    check!(
        c,
        ["ZPOPMAX", "z", "2"],
        bulks(&["m0008", "8", "m0007", "7"])
    );
    check!(c, ["ZPOPMIN", "z", "0"], bulks(&[]));
    check!(c, ["ZPOPMIN", "nokey"], bulks(&[]));
    check!(
        c,
        ["ZPOPMIN", "z", "-1"],
        e("ERR value is out of range, must be positive")
    );
    check!(c, ["ZPOPMIN", "z", "1", "2"], e(SYNTAX));
    check!(
        c,
        ["ZPOPMIN", "z", "10"],
        bulks(&["m0005", "5", "m0006", "6"])
    );
    check!(c, ["EXISTS", "z"], i(0));
    check!(c, ["ZADD", "{p}b", "1", "x", "2", "y"], i(2));
    check!(
        c,
        ["ZMPOP", "2", "{p}a", "{p}b", "MAX", "COUNT", "5"],
        Reply::Array(vec![
            b("{p}b"),
            Reply::Array(vec![bulks(&["y", "2"]), bulks(&["x", "1"])]),
        ])
    );
    check!(c, ["ZMPOP", "2", "{p}a", "{p}b", "MIN"], nil());
    for (cmd, err) in [
        (
            &["ZMPOP", "0", "{p}a", "MIN"][..],
            "ERR numkeys should be greater than 0",
        ),
        (&["ZMPOP", "2", "{p}a", "MIN"], SYNTAX),
        (&["ZMPOP", "1", "{p}a", "MID"], SYNTAX),
        (
            &["ZMPOP", "1", "{p}a", "MIN", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["ZMPOP", "1", "{p}a", "MIN", "COUNT", "1", "COUNT", "1"],
            SYNTAX,
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
}

#[test]
fn algebra_and_store() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["ZADD", "{t}a", "1", "x", "2", "y", "3", "z"], i(3));
    check!(c, ["ZADD", "{t}b", "10", "y", "20", "z", "30", "w"], i(3));
    check!(c, ["SADD", "{t}s", "z", "q"], i(2));
    check!(
        c,
        ["ZUNION", "2", "{t}a", "{t}b", "WITHSCORES"],
        bulks(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    check!(
        c,
        [
            "ZINTER",
            "2",
            "{t}a",
            "{t}b",
            "WEIGHTS",
            "2",
            "0.5",
            "AGGREGATE",
            "MAX",
            "WITHSCORES"
        ],
        bulks(&["y", "5", "z", "10"])
    );
    check!(
        c,
        [
            "ZINTER",
            "3",
            "{t}a",
            "{t}b",
            "{t}s",
            "AGGREGATE",
            "MIN",
            "WITHSCORES"
        ],
        bulks(&["z", "1"])
    );
    check!(c, ["ZDIFF", "2", "{t}a", "{t}b"], bulks(&["x"]));
    check!(
        c,
        ["ZDIFF", "2", "{t}a", "{t}s", "WITHSCORES"],
        bulks(&["x", "1", "y", "2"])
    );
    check!(c, ["ZINTER", "2", "{t}a", "{t}nokey"], bulks(&[]));
    check!(c, ["ZINTERCARD", "2", "{t}a", "{t}b"], i(2));
    check!(c, ["ZINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "1"], i(1));
    check!(c, ["SET", "{t}d", "str", "EX", "100"], ok());
    check!(c, ["ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}s"], i(4));
    check!(c, ["TTL", "{t}d"], i(-1));
    check!(
        c,
        ["ZRANGE", "{t}d", "0", "-1", "WITHSCORES"],
        bulks(&["q", "1", "x", "1", "y", "2", "z", "4"])
    );
    check!(c, ["ZINTERSTORE", "{t}d", "2", "{t}a", "{t}nokey"], i(0));
    check!(c, ["EXISTS", "{t}d"], i(0));
    check!(
        c,
        ["ZRANGESTORE", "{t}d", "{t}b", "(10", "+inf", "BYSCORE"],
        i(2)
    );
    check!(c, ["ZRANGE", "{t}d", "0", "-1"], bulks(&["z", "w"]));
    check!(c, ["ZRANGESTORE", "{t}d", "{t}nokey", "0", "-1"], i(0));
    check!(c, ["EXISTS", "{t}d"], i(0));
    check!(c, ["ZDIFFSTORE", "{t}a", "2", "{t}a", "{t}b"], i(1));
    check!(
        c,
        ["ZRANGE", "{t}a", "0", "-1", "WITHSCORES"],
        bulks(&["x", "1"])
    );
    check!(c, ["ZADD", "{t}p", "inf", "m"], i(1));
    check!(c, ["ZADD", "{t}n", "-inf", "m"], i(1));
    check!(
        c,
        ["ZUNION", "2", "{t}p", "{t}n", "WITHSCORES"],
        bulks(&["m", "0"])
    );
    for (cmd, err) in [
        (
            &["ZUNION", "0", "{t}a"][..],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZUNIONSTORE", "{t}d", "0", "{t}a"],
            "ERR at least 1 input key is needed for 'zunionstore' command",
        ),
        (&["ZUNION", "x", "{t}a"], NOT_INT),
        (&["ZUNION", "3", "{t}a", "{t}b"], SYNTAX),
        (&["ZUNION", "2", "{t}a", "{t}b", "WEIGHTS", "1"], SYNTAX),
        (
            &["ZUNION", "2", "{t}a", "{t}b", "WEIGHTS", "1", "x"],
            "ERR weight value is not a float",
        ),
        (&["ZUNION", "2", "{t}a", "{t}b", "AGGREGATE", "AVG"], SYNTAX),
        (&["ZDIFF", "2", "{t}a", "{t}b", "WEIGHTS", "1", "1"], SYNTAX),
        (
            &["ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}b", "WITHSCORES"],
            SYNTAX,
        ),
        (
            &["ZINTERCARD", "1", "{t}a", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
}

#[test]
fn encodings() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    fill(&mut c, "{e}z", 128);
    check!(c, ["OBJECT", "ENCODING", "{e}z"], b("listpack"));
    check!(c, ["ZADD", "{e}z", "1", "extra"], i(1));
    check!(c, ["OBJECT", "ENCODING", "{e}z"], b("skiplist"));
    check!(c, ["ZREMRANGEBYRANK", "{e}z", "0", "100"], i(101));
    check!(c, ["OBJECT", "ENCODING", "{e}z"], b("skiplist"));
    let long = "x".repeat(65);
    check!(c, ["ZADD", "{e}l", "1", &long], i(1));
    check!(c, ["OBJECT", "ENCODING", "{e}l"], b("skiplist"));
    // -0: a listpack answers 0, a skiplist keeps the sign.
    check!(c, ["ZADD", "{e}small", "-0", "a"], i(1));
    check!(c, ["ZSCORE", "{e}small", "a"], b("0"));
    check!(c, ["ZADD", "{e}l", "-0", "a"], i(1));
    check!(c, ["ZSCORE", "{e}l", "a"], b("-0"));
    check!(c, ["ZRANGESTORE", "{e}d", "{e}z", "0", "2"], i(3));
    check!(c, ["OBJECT", "ENCODING", "{e}d"], b("listpack"));
}

#[test]
fn random_members_and_scan() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["ZRANDMEMBER", "nokey"], nil());
    check!(c, ["ZRANDMEMBER", "nokey", "2"], bulks(&[]));
    check!(c, ["ZADD", "r", "1", "a", "2", "b"], i(2));
    check!(c, ["ZRANDMEMBER", "r", "0"], bulks(&[]));
    let all = c.cmd(&["ZRANDMEMBER", "r", "5", "WITHSCORES"]).items();
    assert_eq!(all.len(), 4);
    let rep = c.cmd(&["ZRANDMEMBER", "r", "-5"]).items();
    assert_eq!(rep.len(), 5);
    for (cmd, err) in [
        (&["ZRANDMEMBER", "r", "x"][..], NOT_INT),
        (&["ZRANDMEMBER", "r", "1", "x"], SYNTAX),
        (
            &["ZRANDMEMBER", "r", "-9223372036854775807", "WITHSCORES"],
            "ERR value is out of range",
        ),
    ] {
        assert_eq!(c.cmd(cmd), e(err), "{cmd:?}");
    }
    fill(&mut c, "big", 700);
    let sample = c.cmd(&["ZRANDMEMBER", "big", "100"]).sorted_texts();
    let mut uniq = sample.clone();
    uniq.dedup();
    assert_eq!(uniq.len(), 100);
    // ZSCAN: scores as text in both protocols; a listpack answers whole.
    check!(c, ["ZADD", "sc", "1.5", "a"], i(1));
    check!(
        c,
        ["ZSCAN", "sc", "0", "COUNT", "1"],
        Reply::Array(vec![b("0"), bulks(&["a", "1.5"])])
    );
    check!(
        c,
        ["ZSCAN", "nokey", "0"],
        Reply::Array(vec![b("0"), bulks(&[])])
    );
    check!(c, ["ZSCAN", "sc", "x"], e("ERR invalid cursor"));
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for _ in 0..500 {
        let r = c.cmd(&["ZSCAN", "big", &cursor, "COUNT", "50"]).items();
        cursor = r.first().map(Reply::text).unwrap_or_default();
        let items = r.get(1).map(Reply::items).unwrap_or_default();
        seen.extend(items.chunks(2).map(|p| p[0].text()));
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 700);
}

#[test]
fn resp3_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    check!(c, ["ZADD", "{r}z", "1", "a", "2", "b", "3", "c"], i(3));
    check!(c, ["ZSCORE", "{r}z", "a"], dbl("1"));
    check!(c, ["ZSCORE", "{r}z", "x"], nil());
    check!(
        c,
        ["ZMSCORE", "{r}z", "a", "x"],
        Reply::Array(vec![dbl("1"), nil()])
    );
    check!(
        c,
        ["ZINCRBY", "{r}z", "0.1", "a"],
        dbl("1.1000000000000001")
    );
    check!(c, ["ZADD", "{r}z", "INCR", "1", "c"], dbl("4"));
    check!(
        c,
        ["ZRANGE", "{r}z", "0", "1", "WITHSCORES"],
        pairs3(&[("a", "1.1000000000000001"), ("b", "2")])
    );
    check!(
        c,
        ["ZUNION", "1", "{r}z", "WITHSCORES"],
        pairs3(&[("a", "1.1000000000000001"), ("b", "2"), ("c", "4")])
    );
    check!(
        c,
        ["ZPOPMIN", "{r}z"],
        Reply::Array(vec![b("a"), dbl("1.1000000000000001")])
    );
    check!(c, ["ZPOPMAX", "{r}z", "1"], pairs3(&[("c", "4")]));
    check!(
        c,
        ["ZRANDMEMBER", "{r}z", "1", "WITHSCORES"],
        pairs3(&[("b", "2")])
    );
    check!(
        c,
        ["ZMPOP", "1", "{r}z", "MIN"],
        Reply::Array(vec![b("{r}z"), pairs3(&[("b", "2")])])
    );
    check!(c, ["ZMPOP", "1", "{r}z", "MIN"], nil());
    check!(c, ["ZADD", "{r}i", "inf", "a"], i(1));
    check!(c, ["ZSCORE", "{r}i", "a"], dbl("inf"));
}

/// Keys of different groups work as on one Redis, numkeys commands
/// included: one transaction (docs/design/0025).
#[test]
fn keys_across_groups_work_like_one_redis() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys: Vec<String> = (0..16).map(|j| format!("cross{j}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    for k in &refs {
        check!(c, ["ZADD", k, "1", "m"], i(1));
    }
    for (head, want) in [
        (vec!["ZUNIONSTORE", "dst", "16"], i(1)),
        (vec!["ZINTERCARD", "16"], i(1)),
        (vec!["ZDIFFSTORE", "dst2", "16"], i(0)),
    ] {
        let mut cmd = head.clone();
        cmd.extend(&refs);
        assert_eq!(c.cmd(&cmd), want, "{head:?}");
    }
    check!(c, ["ZSCORE", "dst", "m"], b("16"));
    let mut mpop = vec!["ZMPOP", "16"];
    mpop.extend(&refs);
    mpop.push("MIN");
    assert!(matches!(c.cmd(&mpop), Reply::Array(_)));
}
