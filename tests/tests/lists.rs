//! List commands through a real client: exact replies (RESP2 and RESP3)
//! and error texts, as Redis 7.0.15 gives them. Commands on two keys use
//! one hash tag, so both keys live in one group.

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check};
use std::time::Duration;

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const POSITIVE: &str = "ERR value is out of range, must be positive";

fn arr(items: &[&str]) -> Reply {
    Reply::bulks(items)
}

fn ints(items: &[i64]) -> Reply {
    Reply::Array(items.iter().map(|&n| Reply::Int(n)).collect())
}

/// The raw bytes of the reply to `args` (to tell `*-1` from `$-1`).
fn raw_reply(c: &mut Resp, args: &[&str], len: usize) -> Vec<u8> {
    c.send(args).expect("send");
    c.read_raw(len).expect("read")
}

#[test]
fn push_pop_and_reply_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["LPUSH", "l", "a", "b", "c"], i(3));
    check!(c, ["RPUSH", "l", "d", "e"], i(5));
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["c", "b", "a", "d", "e"])
    );
    check!(c, ["LLEN", "l"], i(5));
    check!(c, ["LPOP", "l"], b("c"));
    check!(c, ["RPOP", "l"], b("e"));
    check!(c, ["LPOP", "l", "0"], arr(&[]));
    check!(c, ["RPOP", "l", "2"], arr(&["d", "a"]));
    check!(c, ["LPOP", "l", "100"], arr(&["b"]));
    check!(c, ["EXISTS", "l"], i(0));
    check!(c, ["LLEN", "l"], i(0));
    check!(c, ["LPUSHX", "l", "a"], i(0));
    check!(c, ["RPUSHX", "l", "a"], i(0));
    check!(c, ["EXISTS", "l"], i(0));
    check!(c, ["RPUSH", "l", "x"], i(1));
    check!(c, ["LPUSHX", "l", "a", "b"], i(3));
    check!(c, ["RPUSHX", "l", "z"], i(4));
    check!(c, ["LRANGE", "l", "0", "-1"], arr(&["b", "a", "x", "z"]));
    check!(c, ["TYPE", "l"], Reply::Simple("list".into()));
    check!(c, ["OBJECT", "ENCODING", "l"], b("quicklist"));
    // Binary-safe elements.
    let val: &[u8] = b"a\r\nb\0c";
    assert_eq!(c.cmd(&[&b"RPUSH"[..], b"bin", val, b""]), i(2));
    assert_eq!(
        c.cmd(&["LRANGE", "bin", "0", "-1"]),
        Reply::Array(vec![Reply::Bulk(val.to_vec()), b("")])
    );

    // Nil shapes: a missing key's LPOP is a nil bulk, with a count a nil
    // array (even a zero count), and LMPOP's is a nil array.
    assert_eq!(raw_reply(&mut c, &["LPOP", "nokey"], 5), b"$-1\r\n");
    assert_eq!(raw_reply(&mut c, &["LPOP", "nokey", "1"], 5), b"*-1\r\n");
    assert_eq!(raw_reply(&mut c, &["RPOP", "nokey", "0"], 5), b"*-1\r\n");
    assert_eq!(
        raw_reply(&mut c, &["LMPOP", "1", "nokey", "LEFT"], 5),
        b"*-1\r\n"
    );
    assert_eq!(raw_reply(&mut c, &["LINDEX", "nokey", "0"], 5), b"$-1\r\n");
    assert_eq!(raw_reply(&mut c, &["LPOS", "nokey", "a"], 5), b"$-1\r\n");
    assert_eq!(
        raw_reply(&mut c, &["RPOPLPUSH", "{t}nokey", "{t}d"], 5),
        b"$-1\r\n"
    );
    assert_eq!(
        raw_reply(&mut c, &["LRANGE", "nokey", "0", "1"], 4),
        b"*0\r\n"
    );
    // RESP3: every nil is `_`.
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    for cmd in [
        &["LPOP", "nokey"][..],
        &["LPOP", "nokey", "1"],
        &["LMPOP", "1", "nokey", "LEFT"],
        &["LINDEX", "nokey", "0"],
        &["LPOS", "nokey", "a"],
    ] {
        assert_eq!(raw_reply(&mut c, cmd, 3), b"_\r\n", "{cmd:?}");
    }
    check!(
        c,
        ["LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "2"],
        Reply::Array(vec![b("l"), arr(&["z", "x"])])
    );
}

#[test]
fn indexes_ranges_and_trims() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RPUSH", "l", "0", "1", "2", "3", "4"], i(5));
    check!(c, ["LRANGE", "l", "1", "2"], arr(&["1", "2"]));
    check!(c, ["LRANGE", "l", "-2", "-1"], arr(&["3", "4"]));
    check!(c, ["LRANGE", "l", "-100", "1"], arr(&["0", "1"]));
    check!(c, ["LRANGE", "l", "3", "100"], arr(&["3", "4"]));
    check!(c, ["LRANGE", "l", "5", "10"], arr(&[]));
    check!(c, ["LRANGE", "l", "2", "1"], arr(&[]));
    check!(
        c,
        ["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
        arr(&["0", "1", "2", "3", "4"])
    );
    check!(c, ["LRANGE", "l", "x", "1"], e(NOT_INT));
    check!(c, ["LRANGE", "nokey", "0", "x"], e(NOT_INT));
    check!(c, ["LINDEX", "l", "0"], b("0"));
    check!(c, ["LINDEX", "l", "-1"], b("4"));
    check!(c, ["LINDEX", "l", "5"], nil());
    check!(c, ["LINDEX", "l", "-6"], nil());
    check!(c, ["LINDEX", "l", "-9223372036854775808"], nil());
    check!(c, ["LINDEX", "l", "x"], e(NOT_INT));
    // The key is looked up before the index is parsed.
    check!(c, ["LINDEX", "nokey", "x"], nil());
    check!(c, ["LSET", "nokey", "x", "v"], e("ERR no such key"));
    check!(c, ["LSET", "l", "x", "v"], e(NOT_INT));
    check!(c, ["LSET", "l", "5", "v"], e("ERR index out of range"));
    check!(c, ["LSET", "l", "-6", "v"], e("ERR index out of range"));
    check!(c, ["LSET", "l", "-1", "four"], ok());
    check!(c, ["LSET", "l", "0", "zero"], ok());
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["zero", "1", "2", "3", "four"])
    );
    check!(c, ["LTRIM", "l", "1", "-2"], ok());
    check!(c, ["LRANGE", "l", "0", "-1"], arr(&["1", "2", "3"]));
    check!(c, ["LTRIM", "l", "-100", "100"], ok());
    check!(c, ["LLEN", "l"], i(3));
    check!(c, ["LPUSH", "l", "L"], i(4));
    check!(c, ["RPUSH", "l", "R"], i(5));
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["L", "1", "2", "3", "R"])
    );
    check!(c, ["LTRIM", "l", "x", "1"], e(NOT_INT));
    check!(c, ["LTRIM", "nokey", "0", "1"], ok());
    // A trim to nothing deletes the key.
    check!(c, ["LTRIM", "l", "2", "1"], ok());
    check!(c, ["EXISTS", "l"], i(0));
}

#[test]
fn linsert_lrem_lpos() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RPUSH", "l", "a", "b", "a", "c"], i(4));
    check!(c, ["LINSERT", "l", "BEFORE", "a", "x"], i(5));
    check!(c, ["LINSERT", "l", "after", "c", "y"], i(6));
    check!(c, ["LINSERT", "l", "AFTER", "b", "z"], i(7));
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["x", "a", "b", "z", "a", "c", "y"])
    );
    check!(c, ["LINSERT", "l", "BEFORE", "nope", "q"], i(-1));
    check!(c, ["LINSERT", "nokey", "BEFORE", "a", "q"], i(0));
    check!(c, ["LINSERT", "l", "MIDDLE", "a", "q"], e(SYNTAX));
    check!(c, ["LREM", "l", "-1", "a"], i(1));
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["x", "a", "b", "z", "c", "y"])
    );
    check!(c, ["RPUSH", "l", "a", "a"], i(8));
    check!(c, ["LREM", "l", "2", "a"], i(2));
    check!(
        c,
        ["LRANGE", "l", "0", "-1"],
        arr(&["x", "b", "z", "c", "y", "a"])
    );
    check!(c, ["LREM", "l", "0", "a"], i(1));
    check!(c, ["LREM", "l", "0", "nope"], i(0));
    check!(c, ["LREM", "nokey", "0", "a"], i(0));
    check!(c, ["LREM", "l", "x", "a"], e(NOT_INT));

    check!(
        c,
        [
            "RPUSH", "p", "a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3"
        ],
        i(11)
    );
    check!(c, ["LPOS", "p", "3"], i(6));
    check!(c, ["LPOS", "p", "3", "RANK", "2"], i(8));
    check!(c, ["LPOS", "p", "3", "RANK", "-1"], i(10));
    check!(
        c,
        ["LPOS", "p", "3", "COUNT", "0", "RANK", "2"],
        ints(&[8, 9, 10])
    );
    check!(
        c,
        ["LPOS", "p", "3", "COUNT", "2", "RANK", "-1"],
        ints(&[10, 9])
    );
    check!(c, ["LPOS", "p", "3", "MAXLEN", "6"], nil());
    check!(
        c,
        ["LPOS", "p", "3", "COUNT", "0", "MAXLEN", "10"],
        ints(&[6, 8, 9])
    );
    check!(c, ["LPOS", "p", "nope", "COUNT", "1"], ints(&[]));
    check!(c, ["LPOS", "nokey", "a", "COUNT", "1"], ints(&[]));
    check!(
        c,
        [
            "LPOS",
            "p",
            "3",
            "RANK",
            "-9223372036854775808",
            "COUNT",
            "1"
        ],
        ints(&[10, 9, 8, 6])
    );
    check!(
        c,
        ["LPOS", "p", "3", "RANK", "0"],
        e(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
        )
    );
    check!(
        c,
        ["LPOS", "p", "3", "COUNT", "-1"],
        e("ERR COUNT can't be negative")
    );
    check!(
        c,
        ["LPOS", "p", "3", "MAXLEN", "x"],
        e("ERR MAXLEN can't be negative")
    );
    check!(c, ["LPOS", "p", "3", "RANK", "x"], e(NOT_INT));
    check!(c, ["LPOS", "p", "3", "RANK"], e(SYNTAX));
}

#[test]
fn moves_between_lists() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RPUSH", "{m}src", "a", "b", "c"], i(3));
    check!(c, ["LMOVE", "{m}src", "{m}dst", "LEFT", "RIGHT"], b("a"));
    check!(c, ["LMOVE", "{m}src", "{m}dst", "right", "left"], b("c"));
    check!(c, ["RPOPLPUSH", "{m}src", "{m}dst"], b("b"));
    check!(c, ["EXISTS", "{m}src"], i(0));
    check!(c, ["LRANGE", "{m}dst", "0", "-1"], arr(&["b", "c", "a"]));
    check!(c, ["RPOPLPUSH", "{m}src", "{m}dst"], nil());
    // Rotation of one list.
    check!(c, ["RPOPLPUSH", "{m}dst", "{m}dst"], b("a"));
    check!(c, ["LMOVE", "{m}dst", "{m}dst", "LEFT", "RIGHT"], b("a"));
    check!(c, ["LRANGE", "{m}dst", "0", "-1"], arr(&["b", "c", "a"]));
    check!(c, ["LMOVE", "{m}src", "{m}dst", "UP", "LEFT"], e(SYNTAX));
    // A destination of another type: nothing moves.
    check!(c, ["SET", "{m}str", "x"], ok());
    check!(
        c,
        ["LMOVE", "{m}dst", "{m}str", "LEFT", "LEFT"],
        e(WRONGTYPE)
    );
    check!(c, ["LLEN", "{m}dst"], i(3));
    check!(c, ["RPOPLPUSH", "{m}nokey", "{m}str"], nil());

    check!(
        c,
        ["LMPOP", "3", "{m}nokey", "{m}dst", "{m}str", "LEFT"],
        Reply::Array(vec![b("{m}dst"), arr(&["b"])])
    );
    check!(c, ["LMPOP", "2", "{m}str", "{m}dst", "LEFT"], e(WRONGTYPE));
    check!(
        c,
        ["LMPOP", "1", "{m}dst", "RIGHT", "COUNT", "5"],
        Reply::Array(vec![b("{m}dst"), arr(&["a", "c"])])
    );
    check!(c, ["EXISTS", "{m}dst"], i(0));
    check!(
        c,
        ["LMPOP", "0", "a", "LEFT"],
        e("ERR numkeys should be greater than 0")
    );
    check!(c, ["LMPOP", "2", "a", "LEFT"], e(SYNTAX));
    check!(
        c,
        ["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
        e("ERR count should be greater than 0")
    );
}

#[test]
fn errors_and_wrong_types() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "str", "x"], ok());
    for cmd in [
        &["LPUSH", "str", "a"][..],
        &["RPUSHX", "str", "a"],
        &["LPOP", "str"],
        &["RPOP", "str", "2"],
        &["LLEN", "str"],
        &["LRANGE", "str", "0", "-1"],
        &["LINDEX", "str", "x"],
        &["LSET", "str", "0", "v"],
        &["LINSERT", "str", "BEFORE", "a", "b"],
        &["LREM", "str", "0", "a"],
        &["LTRIM", "str", "0", "1"],
        &["LPOS", "str", "a"],
    ] {
        assert_eq!(c.cmd(cmd), e(WRONGTYPE), "{cmd:?}");
    }
    check!(c, ["GET", "str"], b("x"));
    check!(c, ["LPOP", "str", "-1"], e(POSITIVE));
    check!(c, ["LPOP", "nokey", "x"], e(POSITIVE));
    check!(
        c,
        ["LPOP", "l", "1", "2"],
        e("ERR wrong number of arguments for 'lpop' command")
    );
    check!(
        c,
        ["LPUSH", "l"],
        e("ERR wrong number of arguments for 'lpush' command")
    );
    check!(
        c,
        ["LMPOP", "1", "l"],
        e("ERR wrong number of arguments for 'lmpop' command")
    );
    check!(c, ["EXISTS", "l"], i(0));
}

#[test]
fn an_expiring_list_vanishes_and_a_push_starts_afresh() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RPUSH", "l", "a", "b"], i(2));
    check!(c, ["PEXPIRE", "l", "100"], i(1));
    check!(c, ["RPUSH", "l", "c"], i(3));
    assert!(c.cmd(&["PTTL", "l"]).int() > 0, "a push keeps the TTL");
    std::thread::sleep(Duration::from_millis(250));
    check!(c, ["LLEN", "l"], i(0));
    check!(c, ["LRANGE", "l", "0", "-1"], arr(&[]));
    check!(c, ["RPUSHX", "l", "x"], i(0));
    check!(c, ["LPUSH", "l", "z"], i(1));
    check!(c, ["LRANGE", "l", "0", "-1"], arr(&["z"]));
    check!(c, ["TTL", "l"], i(-1));
}

/// A list of 20,000 elements: point reads and ranges anywhere, a
/// mid-list insert and removal, and a pop of the whole list.
#[test]
fn a_long_list() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    const N: usize = 20_000;
    for chunk in (0..N).collect::<Vec<_>>().chunks(1000) {
        let mut cmd = vec!["RPUSH".to_string(), "big".into()];
        cmd.extend(chunk.iter().map(|n| n.to_string()));
        let v: Vec<&str> = cmd.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&v), i(chunk[chunk.len() - 1] as i64 + 1));
    }
    check!(c, ["LLEN", "big"], i(N as i64));
    check!(c, ["LINDEX", "big", "12345"], b("12345"));
    check!(c, ["LINDEX", "big", "-1"], b("19999"));
    check!(
        c,
        ["LRANGE", "big", "9998", "10001"],
        arr(&["9998", "9999", "10000", "10001"])
    );
    check!(
        c,
        ["LINSERT", "big", "AFTER", "7000", "new"],
        i(N as i64 + 1)
    );
    check!(c, ["LINDEX", "big", "7001"], b("new"));
    check!(c, ["LINDEX", "big", "7002"], b("7001"));
    check!(c, ["LPOS", "big", "new"], i(7001));
    check!(c, ["LREM", "big", "0", "new"], i(1));
    check!(c, ["LINDEX", "big", "7001"], b("7001"));
    check!(c, ["LTRIM", "big", "100", "-101"], ok());
    check!(c, ["LLEN", "big"], i(N as i64 - 200));
    check!(c, ["LINDEX", "big", "0"], b("100"));
    let all = c.cmd(&["LRANGE", "big", "0", "-1"]).items();
    assert_eq!(all.len(), N - 200);
    assert_eq!(all.last(), Some(&b("19899")));
    let popped = c.cmd(&["RPOP", "big", "100000"]).items();
    assert_eq!(popped.len(), N - 200);
    assert_eq!(popped.first(), Some(&b("19899")));
    check!(c, ["EXISTS", "big"], i(0));
}

/// LRANGE and LPOS run on the core while they touch at most 16 elements
/// and on the heavy pool beyond (corekv only: the stats socket counts
/// the pool's jobs per command).
#[test]
fn big_ranges_run_on_the_heavy_pool() {
    if !corekv_tests::corekv_only("big_ranges_run_on_the_heavy_pool") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.resp();
    let mut cmd = vec!["RPUSH".to_string(), "l".into()];
    cmd.extend((0..1000).map(|n| n.to_string()));
    let v: Vec<&str> = cmd.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&v), i(1000));
    let jobs = |s: &Server, name: &str| {
        s.stats()["node"]["heavy"]["by_command"][name]
            .as_u64()
            .unwrap_or_else(|| panic!("no heavy.by_command.{name}"))
    };
    let (lr, lp) = (jobs(&s, "lrange"), jobs(&s, "lpos"));
    check!(
        c,
        ["LRANGE", "l", "0", "15"],
        Reply::Array((0..16).map(|n| b(&n.to_string())).collect())
    );
    check!(c, ["LPOS", "l", "nope", "MAXLEN", "16"], nil());
    assert_eq!(
        (jobs(&s, "lrange"), jobs(&s, "lpos")),
        (lr, lp),
        "small reads stay on the core"
    );
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]).items().len(), 1000);
    check!(c, ["LPOS", "l", "999"], i(999));
    assert_eq!((jobs(&s, "lrange"), jobs(&s, "lpos")), (lr + 1, lp + 1));
}

/// LMPOP finds its keys through numkeys (movablekeys): it runs on the
/// group holding them, whichever that is; keys of several groups run as
/// one transaction, as on one Redis.
#[test]
fn multi_key_commands_run_where_their_keys_live() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for tag in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        let (k, none) = (format!("{{{tag}}}l"), format!("{{{tag}}}none"));
        check!(c, ["RPUSH", &k, "v1", "v2"], i(2));
        check!(
            c,
            ["LMPOP", "2", &none, &k, "LEFT"],
            Reply::Array(vec![b(&k), arr(&["v1"])])
        );
        let dst = format!("{{{tag}}}dst");
        check!(c, ["LMOVE", &k, &dst, "LEFT", "LEFT"], b("v2"));
        check!(c, ["LRANGE", &dst, "0", "-1"], arr(&["v2"]));
    }
    // Keys without tags: some live in different groups.
    let keys: Vec<String> = (0..16).map(|n| format!("x{n}")).collect();
    for k in keys.iter().skip(1) {
        check!(c, ["RPUSH", &keys[0], "v"], i(1));
        check!(
            c,
            ["LMPOP", "2", k, &keys[0], "LEFT"],
            Reply::Array(vec![b(&keys[0]), arr(&["v"])])
        );
        check!(c, ["RPUSH", &keys[0], "w"], i(1));
        check!(c, ["RPOPLPUSH", &keys[0], k], b("w"));
        check!(c, ["LPOP", k], b("w"));
    }
}

/// Acknowledged list writes survive kill -9 (corekv only): pushes at both
/// ends, pops, LSET, LINSERT, LREM, LTRIM, LMOVE, a list trimmed to nothing
/// and started again; the lists read back exactly after the restart.
#[test]
fn acknowledged_list_writes_survive_kill_9() {
    if !corekv_tests::corekv_only("acknowledged_list_writes_survive_kill_9") {
        return;
    }
    let mut s = Server::start(&[]);
    let mut c = s.resp();
    // Pipelined pushes: 2,000 elements, half at each end.
    for n in 0..1000 {
        let (l, r) = (format!("l{n}"), format!("r{n}"));
        c.send(&["LPUSH", "{k}q", &l]).expect("send");
        c.send(&["RPUSH", "{k}q", &r]).expect("send");
    }
    for n in 0..2000 {
        assert_eq!(c.read_reply().expect("reply"), i(n + 1));
    }
    check!(
        c,
        ["LPOP", "{k}q", "10"],
        Reply::Array((0..10).map(|n| b(&format!("l{}", 999 - n))).collect())
    );
    check!(c, ["RPOP", "{k}q"], b("r999"));
    check!(c, ["LSET", "{k}q", "5", "set"], ok());
    check!(c, ["LINSERT", "{k}q", "AFTER", "r500", "ins"], i(1990));
    check!(c, ["LREM", "{k}q", "1", "l500"], i(1));
    check!(c, ["LTRIM", "{k}q", "1", "-2"], ok());
    check!(c, ["LMOVE", "{k}q", "{k}d", "RIGHT", "LEFT"], b("r997"));
    check!(c, ["RPUSH", "{k}gone", "a", "b", "c"], i(3));
    check!(c, ["LTRIM", "{k}gone", "1", "0"], ok());
    check!(c, ["RPUSH", "{k}gone", "new"], i(1));
    let before = c.cmd(&["LRANGE", "{k}q", "0", "-1"]);
    assert_eq!(before.items().len(), 1986);
    s.kill9();
    s.restart();
    let mut c = s.resp();
    assert_eq!(c.cmd(&["LRANGE", "{k}q", "0", "-1"]), before);
    check!(c, ["LRANGE", "{k}d", "0", "-1"], arr(&["r997"]));
    check!(c, ["LRANGE", "{k}gone", "0", "-1"], arr(&["new"]));
    check!(c, ["LINDEX", "{k}q", "4"], b("set"));
    // Both ends still grow after the restart.
    check!(c, ["LPUSH", "{k}q", "first"], i(1987));
    check!(c, ["RPUSH", "{k}q", "last"], i(1988));
    check!(c, ["LINDEX", "{k}q", "0"], b("first"));
    check!(c, ["LINDEX", "{k}q", "-1"], b("last"));
}
