//! String commands: exact replies and error texts, as Redis 7.0 gives them.

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Server, check};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_millis()).expect("ms fits")
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn get_set_basic() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["GET", "s:missing"], nil());
    check!(c, ["SET", "s:k", "v1"], ok());
    check!(c, ["GET", "s:k"], b("v1"));
    check!(c, ["SET", "s:k", "v2"], ok());
    check!(c, ["GET", "s:k"], b("v2"));
    // Binary-safe values, including CRLF and NUL.
    let val: &[u8] = b"a\r\nb\0c";
    assert_eq!(c.cmd(&[&b"SET"[..], b"s:bin", val]), ok());
    assert_eq!(c.cmd(&[&b"GET"[..], b"s:bin"]), Reply::Bulk(val.to_vec()));
    // Empty value and empty key.
    check!(c, ["SET", "", ""], ok());
    check!(c, ["GET", ""], b(""));
    // Lower-case command names work.
    check!(c, ["set", "s:lc", "x"], ok());
    check!(c, ["get", "s:lc"], b("x"));
    check!(
        c,
        ["GET"],
        e("ERR wrong number of arguments for 'get' command")
    );
    check!(
        c,
        ["GET", "a", "b"],
        e("ERR wrong number of arguments for 'get' command")
    );
    check!(
        c,
        ["SET", "a"],
        e("ERR wrong number of arguments for 'set' command")
    );
}

#[test]
fn set_options() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // NX / XX
    check!(c, ["SET", "o:nx", "1", "NX"], ok());
    check!(c, ["SET", "o:nx", "2", "NX"], nil());
    check!(c, ["GET", "o:nx"], b("1"));
    check!(c, ["SET", "o:xx", "1", "XX"], nil());
    check!(c, ["EXISTS", "o:xx"], i(0));
    check!(c, ["SET", "o:nx", "3", "xx"], ok());
    check!(c, ["GET", "o:nx"], b("3"));
    // GET returns the old value (nil when absent).
    check!(c, ["SET", "o:g", "a", "GET"], nil());
    check!(c, ["SET", "o:g", "b", "GET"], b("a"));
    check!(c, ["GET", "o:g"], b("b"));
    // Redis 7.0 allows NX together with GET.
    check!(c, ["SET", "o:g", "c", "NX", "GET"], b("b"));
    check!(c, ["GET", "o:g"], b("b"));
    check!(c, ["SET", "o:g2", "c", "NX", "GET"], nil());
    check!(c, ["GET", "o:g2"], b("c"));
    check!(c, ["SET", "o:g", "d", "XX", "GET"], b("b"));
    check!(c, ["GET", "o:g"], b("d"));
    // EX / PX set a TTL; a plain SET clears it; KEEPTTL keeps it.
    check!(c, ["SET", "o:t", "v", "EX", "100"], ok());
    let ttl = c.cmd(&["TTL", "o:t"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["SET", "o:t", "v", "KEEPTTL"], ok());
    let ttl = c.cmd(&["TTL", "o:t"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["SET", "o:t", "v"], ok());
    check!(c, ["TTL", "o:t"], i(-1));
    check!(c, ["SET", "o:t", "v", "PX", "100000"], ok());
    let pttl = c.cmd(&["PTTL", "o:t"]).int();
    assert!((99_000..=100_000).contains(&pttl), "pttl {pttl}");
    // EXAT / PXAT absolute times.
    let at_s = now_ms() / 1000 + 100;
    check!(c, ["SET", "o:at", "v", "EXAT", &at_s.to_string()], ok());
    check!(c, ["EXPIRETIME", "o:at"], i(at_s));
    let at_ms = now_ms() + 100_000;
    check!(c, ["SET", "o:at", "v", "PXAT", &at_ms.to_string()], ok());
    check!(c, ["PEXPIRETIME", "o:at"], i(at_ms));
    // An absolute time in the past stores nothing (the key expires at once).
    check!(c, ["SET", "o:past", "v", "PXAT", "1000"], ok());
    check!(c, ["GET", "o:past"], nil());
    // Options are case-insensitive.
    check!(c, ["SET", "o:ci", "v", "ex", "10", "nx"], ok());
    check!(c, ["SET", "o:ci", "v", "px", "10", "Xx"], ok());
}

#[test]
fn set_option_errors() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let bad_exp = e("ERR invalid expire time in 'set' command");
    check!(c, ["SET", "k", "v", "EX", "0"], bad_exp.clone());
    check!(c, ["SET", "k", "v", "EX", "-1"], bad_exp.clone());
    check!(c, ["SET", "k", "v", "PX", "0"], bad_exp.clone());
    check!(c, ["SET", "k", "v", "EXAT", "0"], bad_exp.clone());
    check!(c, ["SET", "k", "v", "PXAT", "-5"], bad_exp.clone());
    check!(c, ["SET", "k", "v", "EX", "9999999999999999"], bad_exp);
    check!(c, ["SET", "k", "v", "EX", "abc"], e(NOT_INT));
    check!(c, ["SET", "k", "v", "PX", "1.5"], e(NOT_INT));
    check!(c, ["SET", "k", "v", "EX"], e(SYNTAX));
    check!(c, ["SET", "k", "v", "NX", "XX"], e(SYNTAX));
    check!(c, ["SET", "k", "v", "EX", "10", "PX", "100"], e(SYNTAX));
    check!(c, ["SET", "k", "v", "EX", "10", "KEEPTTL"], e(SYNTAX));
    check!(c, ["SET", "k", "v", "KEEPTTL", "PXAT", "100"], e(SYNTAX));
    check!(c, ["SET", "k", "v", "BOGUS"], e(SYNTAX));
    // None of the failed SETs stored anything.
    check!(c, ["EXISTS", "k"], i(0));
    // Repeating the same option is accepted; the last value wins.
    check!(c, ["SET", "k", "v", "EX", "10", "EX", "200"], ok());
    let ttl = c.cmd(&["TTL", "k"]).int();
    assert!((199..=200).contains(&ttl), "ttl {ttl}");
    check!(c, ["SET", "k", "v", "NX", "NX"], nil());
}

#[test]
fn setnx_setex_psetex_getset() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SETNX", "x:a", "1"], i(1));
    check!(c, ["SETNX", "x:a", "2"], i(0));
    check!(c, ["GET", "x:a"], b("1"));
    check!(c, ["SETEX", "x:b", "100", "v"], ok());
    let ttl = c.cmd(&["TTL", "x:b"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(
        c,
        ["SETEX", "x:b", "0", "v"],
        e("ERR invalid expire time in 'setex' command")
    );
    check!(c, ["SETEX", "x:b", "ten", "v"], e(NOT_INT));
    check!(c, ["PSETEX", "x:c", "100000", "v"], ok());
    let pttl = c.cmd(&["PTTL", "x:c"]).int();
    assert!((99_000..=100_000).contains(&pttl), "pttl {pttl}");
    check!(
        c,
        ["PSETEX", "x:c", "-1", "v"],
        e("ERR invalid expire time in 'psetex' command")
    );
    check!(c, ["GETSET", "x:d", "1"], nil());
    check!(c, ["GETSET", "x:d", "2"], b("1"));
    check!(c, ["GET", "x:d"], b("2"));
    // GETSET clears the TTL.
    check!(c, ["GETSET", "x:b", "w"], b("v"));
    check!(c, ["TTL", "x:b"], i(-1));
    check!(
        c,
        ["SETNX", "x:a"],
        e("ERR wrong number of arguments for 'setnx' command")
    );
    check!(
        c,
        ["SETEX", "x:a", "10"],
        e("ERR wrong number of arguments for 'setex' command")
    );
}

#[test]
fn getdel_getex() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "g:a", "1"], ok());
    check!(c, ["GETDEL", "g:a"], b("1"));
    check!(c, ["GETDEL", "g:a"], nil());
    check!(c, ["EXISTS", "g:a"], i(0));

    check!(c, ["GETEX", "g:none"], nil());
    check!(c, ["GETEX", "g:none", "EX", "10"], nil());
    check!(c, ["EXISTS", "g:none"], i(0));
    check!(c, ["SET", "g:b", "v"], ok());
    check!(c, ["GETEX", "g:b"], b("v"));
    check!(c, ["TTL", "g:b"], i(-1));
    check!(c, ["GETEX", "g:b", "EX", "100"], b("v"));
    let ttl = c.cmd(&["TTL", "g:b"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["GETEX", "g:b", "PERSIST"], b("v"));
    check!(c, ["TTL", "g:b"], i(-1));
    check!(c, ["GETEX", "g:b", "PX", "100000"], b("v"));
    assert!(c.cmd(&["PTTL", "g:b"]).int() > 99_000);
    let at = now_ms() / 1000 + 200;
    check!(c, ["GETEX", "g:b", "EXAT", &at.to_string()], b("v"));
    check!(c, ["EXPIRETIME", "g:b"], i(at));
    let at = now_ms() + 300_000;
    check!(c, ["GETEX", "g:b", "PXAT", &at.to_string()], b("v"));
    check!(c, ["PEXPIRETIME", "g:b"], i(at));
    check!(
        c,
        ["GETEX", "g:b", "EX", "0"],
        e("ERR invalid expire time in 'getex' command")
    );
    check!(
        c,
        ["GETEX", "g:b", "PX", "-1"],
        e("ERR invalid expire time in 'getex' command")
    );
    check!(c, ["GETEX", "g:b", "EX", "x"], e(NOT_INT));
    check!(c, ["GETEX", "g:b", "PERSIST", "EX", "10"], e(SYNTAX));
    check!(c, ["GETEX", "g:b", "EX", "10", "PX", "10"], e(SYNTAX));
    check!(c, ["GETEX", "g:b", "EX"], e(SYNTAX));
    check!(c, ["GETEX", "g:b", "BOGUS"], e(SYNTAX));
    check!(c, ["GETEX", "g:b", "KEEPTTL"], e(SYNTAX));
    check!(
        c,
        ["GETDEL"],
        e("ERR wrong number of arguments for 'getdel' command")
    );
}

#[test]
fn mget_mset_msetnx() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["MSET", "{t}a", "1", "{t}b", "2"], ok());
    check!(
        c,
        ["MGET", "{t}a", "{t}b", "{t}c"],
        Reply::Array(vec![b("1"), b("2"), nil()])
    );
    // Later pairs win within one MSET.
    check!(c, ["MSET", "{t}a", "x", "{t}a", "y"], ok());
    check!(c, ["GET", "{t}a"], b("y"));
    check!(c, ["MSETNX", "{t}c", "3", "{t}d", "4"], i(1));
    check!(c, ["MSETNX", "{t}d", "5", "{t}e", "6"], i(0));
    check!(c, ["EXISTS", "{t}e"], i(0));
    check!(c, ["GET", "{t}d"], b("4"));
    check!(
        c,
        ["MSET", "{t}a", "1", "{t}b"],
        e("ERR wrong number of arguments for 'mset' command")
    );
    check!(
        c,
        ["MSET"],
        e("ERR wrong number of arguments for 'mset' command")
    );
    check!(
        c,
        ["MSETNX", "{t}a"],
        e("ERR wrong number of arguments for 'msetnx' command")
    );
    check!(
        c,
        ["MGET"],
        e("ERR wrong number of arguments for 'mget' command")
    );
}

#[test]
fn mget_without_common_tag() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys: Vec<String> = (0..20).map(|n| format!("spread:{n}")).collect();
    for k in &keys {
        check!(c, ["SET", k, k], ok());
    }
    let mut args = vec!["MGET".to_string()];
    args.extend(keys.iter().cloned());
    args.push("spread:missing".into());
    let mut want: Vec<Reply> = keys.iter().map(|k| b(k)).collect();
    want.push(nil());
    assert_eq!(c.cmd(&args), Reply::Array(want));
}

#[test]
fn incr_decr_family() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["INCR", "n:a"], i(1));
    check!(c, ["INCR", "n:a"], i(2));
    check!(c, ["DECR", "n:a"], i(1));
    check!(c, ["DECR", "n:b"], i(-1));
    check!(c, ["INCRBY", "n:a", "10"], i(11));
    check!(c, ["INCRBY", "n:a", "-20"], i(-9));
    check!(c, ["DECRBY", "n:a", "-9"], i(0));
    check!(c, ["DECRBY", "n:a", "5"], i(-5));
    check!(c, ["GET", "n:a"], b("-5"));
    // INCR keeps the TTL.
    check!(c, ["SET", "n:t", "1", "EX", "100"], ok());
    check!(c, ["INCR", "n:t"], i(2));
    assert!(c.cmd(&["TTL", "n:t"]).int() > 0);
    // Non-integers.
    check!(c, ["SET", "n:s", "abc"], ok());
    check!(c, ["INCR", "n:s"], e(NOT_INT));
    check!(c, ["SET", "n:s", " 1"], ok());
    check!(c, ["INCR", "n:s"], e(NOT_INT));
    check!(c, ["SET", "n:s", "1.0"], ok());
    check!(c, ["INCR", "n:s"], e(NOT_INT));
    check!(c, ["SET", "n:s", "01"], ok());
    check!(c, ["INCR", "n:s"], e(NOT_INT));
    check!(c, ["INCRBY", "n:a", "x"], e(NOT_INT));
    check!(c, ["DECRBY", "n:a", "1.5"], e(NOT_INT));
    check!(c, ["GET", "n:s"], b("01"));
    // Overflow.
    check!(c, ["SET", "n:max", "9223372036854775807"], ok());
    check!(
        c,
        ["INCR", "n:max"],
        e("ERR increment or decrement would overflow")
    );
    check!(c, ["SET", "n:min", "-9223372036854775808"], ok());
    check!(
        c,
        ["DECR", "n:min"],
        e("ERR increment or decrement would overflow")
    );
    check!(c, ["INCRBY", "n:max", "9223372036854775808"], e(NOT_INT));
    check!(
        c,
        ["DECRBY", "n:a", "-9223372036854775808"],
        e("ERR decrement would overflow")
    );
    check!(c, ["GET", "n:max"], b("9223372036854775807"));
    check!(
        c,
        ["INCR"],
        e("ERR wrong number of arguments for 'incr' command")
    );
    check!(
        c,
        ["INCRBY", "n:a"],
        e("ERR wrong number of arguments for 'incrby' command")
    );
}

#[test]
fn incrbyfloat() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["INCRBYFLOAT", "f:a", "10.5"], b("10.5"));
    check!(c, ["INCRBYFLOAT", "f:a", "0.1"], b("10.6"));
    check!(c, ["INCRBYFLOAT", "f:a", "-5"], b("5.6"));
    check!(c, ["SET", "f:b", "5.0e3"], ok());
    check!(c, ["INCRBYFLOAT", "f:b", "2.0e2"], b("5200"));
    check!(c, ["SET", "f:c", "3"], ok());
    check!(c, ["INCRBYFLOAT", "f:c", "1.5"], b("4.5"));
    check!(c, ["INCRBYFLOAT", "f:c", "-4.5"], b("0"));
    check!(c, ["GET", "f:c"], b("0"));
    check!(
        c,
        ["INCRBYFLOAT", "f:a", "abc"],
        e("ERR value is not a valid float")
    );
    check!(c, ["SET", "f:s", "x"], ok());
    check!(
        c,
        ["INCRBYFLOAT", "f:s", "1"],
        e("ERR value is not a valid float")
    );
    check!(
        c,
        ["INCRBYFLOAT", "f:a", "inf"],
        e("ERR increment would produce NaN or Infinity")
    );
    check!(
        c,
        ["INCRBYFLOAT", "f:a"],
        e("ERR wrong number of arguments for 'incrbyfloat' command")
    );
}

#[test]
fn append_strlen() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["APPEND", "ap:a", "hello"], i(5));
    check!(c, ["APPEND", "ap:a", " world"], i(11));
    check!(c, ["GET", "ap:a"], b("hello world"));
    check!(c, ["APPEND", "ap:a", ""], i(11));
    check!(c, ["STRLEN", "ap:a"], i(11));
    check!(c, ["STRLEN", "ap:none"], i(0));
    check!(c, ["SET", "ap:n", "12345"], ok());
    check!(c, ["STRLEN", "ap:n"], i(5));
    check!(c, ["APPEND", "ap:n", "6"], i(6));
    check!(c, ["INCR", "ap:n"], i(123457));
    check!(
        c,
        ["APPEND", "ap:a"],
        e("ERR wrong number of arguments for 'append' command")
    );
}

#[test]
fn getrange_substr_setrange() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "r:a", "This is a string"], ok());
    check!(c, ["GETRANGE", "r:a", "0", "3"], b("This"));
    check!(c, ["GETRANGE", "r:a", "-3", "-1"], b("ing"));
    check!(c, ["GETRANGE", "r:a", "0", "-1"], b("This is a string"));
    check!(c, ["GETRANGE", "r:a", "10", "100"], b("string"));
    check!(c, ["GETRANGE", "r:a", "5", "2"], b(""));
    check!(c, ["GETRANGE", "r:a", "-100", "2"], b("Thi"));
    check!(c, ["GETRANGE", "r:a", "100", "200"], b(""));
    check!(c, ["GETRANGE", "r:none", "0", "-1"], b(""));
    check!(c, ["SUBSTR", "r:a", "0", "3"], b("This"));
    check!(c, ["GETRANGE", "r:a", "x", "1"], e(NOT_INT));
    check!(
        c,
        ["GETRANGE", "r:a", "0"],
        e("ERR wrong number of arguments for 'getrange' command")
    );
    check!(
        c,
        ["SUBSTR", "r:a", "0", "1", "2"],
        e("ERR wrong number of arguments for 'substr' command")
    );

    check!(c, ["SET", "r:b", "Hello World"], ok());
    check!(c, ["SETRANGE", "r:b", "6", "Redis"], i(11));
    check!(c, ["GET", "r:b"], b("Hello Redis"));
    // Padding with zero bytes past the end, and on a missing key.
    check!(c, ["SETRANGE", "r:c", "3", "x"], i(4));
    assert_eq!(c.cmd(&["GET", "r:c"]), Reply::Bulk(b"\0\0\0x".to_vec()));
    // An empty value on a missing key creates nothing.
    check!(c, ["SETRANGE", "r:d", "5", ""], i(0));
    check!(c, ["EXISTS", "r:d"], i(0));
    check!(c, ["SETRANGE", "r:b", "0", ""], i(11));
    check!(
        c,
        ["SETRANGE", "r:b", "-1", "x"],
        e("ERR offset is out of range")
    );
    check!(
        c,
        ["SETRANGE", "r:b", "536870912", "x"],
        e("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    check!(c, ["SETRANGE", "r:b", "y", "x"], e(NOT_INT));
}

#[test]
fn lcs() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["MSET", "{l}1", "ohmytext", "{l}2", "mynewtext"], ok());
    check!(c, ["LCS", "{l}1", "{l}2"], b("mytext"));
    check!(c, ["LCS", "{l}1", "{l}2", "LEN"], i(6));
    check!(c, ["LCS", "{l}1", "{l}none"], b(""));
    check!(
        c,
        ["LCS", "{l}1", "{l}2", "IDX"],
        Reply::Array(vec![
            b("matches"),
            Reply::Array(vec![
                Reply::Array(vec![
                    Reply::Array(vec![i(4), i(7)]),
                    Reply::Array(vec![i(5), i(8)]),
                ]),
                Reply::Array(vec![
                    Reply::Array(vec![i(2), i(3)]),
                    Reply::Array(vec![i(0), i(1)]),
                ]),
            ]),
            b("len"),
            i(6),
        ])
    );
    check!(
        c,
        [
            "LCS",
            "{l}1",
            "{l}2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN"
        ],
        Reply::Array(vec![
            b("matches"),
            Reply::Array(vec![Reply::Array(vec![
                Reply::Array(vec![i(4), i(7)]),
                Reply::Array(vec![i(5), i(8)]),
                i(4),
            ])]),
            b("len"),
            i(6),
        ])
    );
    check!(
        c,
        ["LCS", "{l}1", "{l}2", "LEN", "IDX"],
        e("ERR If you want both the length and indexes, please just use IDX.")
    );
    check!(c, ["LCS", "{l}1", "{l}2", "BOGUS"], e(SYNTAX));
    check!(c, ["LCS", "{l}1", "{l}2", "IDX", "MINMATCHLEN"], e(SYNTAX));
    check!(
        c,
        ["LCS", "{l}1"],
        e("ERR wrong number of arguments for 'lcs' command")
    );
}

#[test]
fn set_px_expires_lazily() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "lz:a", "v", "PX", "50"], ok());
    std::thread::sleep(Duration::from_millis(150));
    check!(c, ["GET", "lz:a"], nil());
    check!(c, ["EXISTS", "lz:a"], i(0));
}

/// Plain `SET key value`s take a shorter apply path than other writes
/// (docs/design/0023); pipelined, they share one Raft entry with other
/// commands. Whatever they overwrite, the result is Redis's: the old TTL
/// goes (the key outlives its old deadline), a collection is replaced, the
/// key count holds, and commands after them in the same batch see them.
#[test]
fn plain_set_overwrites_ttls_collections_and_batches_like_redis() {
    let mut s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "ps:ttl", "old", "PX", "400"], ok());
    check!(c, ["HSET", "ps:h", "f1", "v1", "f2", "v2"], i(2));
    check!(c, ["RPUSH", "ps:l", "a", "b"], i(2));
    check!(c, ["SET", "ps:a", "0"], ok());
    // Known absent (a miss is remembered), so a plain SET needs no read.
    check!(c, ["GET", "ps:b"], nil());
    // One pipeline: plain SETs around other commands, the same key twice.
    let batch: &[&[&str]] = &[
        &["SET", "ps:ttl", "new"],
        &["SET", "ps:a", "1"],
        &["SET", "ps:b", "x"],
        &["SET", "ps:a", "2"],
        &["SET", "ps:h", "str"],
        &["INCR", "ps:a"],
        &["SET", "ps:l", "str2"],
        &["APPEND", "ps:b", "y"],
    ];
    for cmd in batch {
        c.send(cmd).expect("send");
    }
    let want = [ok(), ok(), ok(), ok(), ok(), i(3), ok(), i(2)];
    for (cmd, want) in batch.iter().zip(want) {
        assert_eq!(c.read_reply().expect("reply"), want, "{cmd:?}");
    }
    let check_all = |c: &mut corekv_tests::Resp| {
        check!(c, ["GET", "ps:ttl"], b("new"));
        check!(c, ["PTTL", "ps:ttl"], i(-1));
        check!(c, ["GET", "ps:a"], b("3"));
        check!(c, ["TYPE", "ps:h"], Reply::Simple("string".into()));
        check!(c, ["GET", "ps:h"], b("str"));
        check!(c, ["GET", "ps:l"], b("str2"));
        check!(
            c,
            ["LLEN", "ps:l"],
            e("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        check!(c, ["GET", "ps:b"], b("xy"));
        check!(c, ["DBSIZE"], i(5));
    };
    check_all(&mut c);
    // Past the old deadline the key is still there (its expiry was
    // removed from the index, not only from the record).
    std::thread::sleep(Duration::from_millis(600));
    check!(c, ["GET", "ps:ttl"], b("new"));
    check!(c, ["DBSIZE"], i(5));
    // And the same after a crash and replay.
    s.kill9();
    s.restart();
    let mut c = s.resp();
    check_all(&mut c);
}
