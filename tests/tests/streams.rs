//! Streams and consumer groups: exact replies and error texts, as Redis
//! 7.0 gives them (invalid ids, `$` and `>`, the PEL after XACK/XCLAIM,
//! XAUTOCLAIM cursors, XINFO shapes, `~` trimming bounds).

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check};

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
const SMALLER: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";

/// `[id, [f1, v1, ...]]`
fn entry(id: &str, fv: &[&str]) -> Reply {
    Reply::Array(vec![b(id), Reply::bulks(fv)])
}

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// The value of `name` in a flat RESP2 map reply.
fn field(reply: &Reply, name: &str) -> Reply {
    let items = reply.items();
    for kv in items.chunks(2) {
        if kv.first().map(Reply::text).as_deref() == Some(name) {
            return kv.get(1).cloned().unwrap_or(Reply::Nil);
        }
    }
    panic!("no field {name} in {reply:?}");
}

/// The field names of a flat RESP2 map reply, in order.
fn names(reply: &Reply) -> Vec<String> {
    reply.items().chunks(2).map(|kv| kv[0].text()).collect()
}

/// The ids of an extended XPENDING reply.
fn pending_ids(c: &mut Resp, args: &[&str]) -> Vec<String> {
    let mut v = vec!["XPENDING"];
    v.extend_from_slice(args);
    c.cmd(&v)
        .items()
        .iter()
        .map(|r| r.items()[0].text())
        .collect()
}

fn add(c: &mut Resp, key: &str, id: &str, fv: &[&str]) {
    let mut args = vec!["XADD", key, id];
    args.extend_from_slice(fv);
    assert_eq!(c.cmd(&args), b(id), "XADD {key} {id}");
}

#[test]
fn xadd_ids_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["XADD", "a:s", "1-1", "f", "v"], b("1-1"));
    check!(c, ["XADD", "a:s", "1-*", "f", "v"], b("1-2"));
    check!(c, ["XADD", "a:s", "5", "f", "v"], b("5-0"));
    check!(c, ["XADD", "a:s", "5-*", "f", "v"], b("5-1"));
    check!(c, ["XADD", "a:s", "6-*", "f", "v"], b("6-0"));
    check!(c, ["XADD", "a:s", "6-0", "f", "v"], e(SMALLER));
    check!(c, ["XADD", "a:s", "3-5", "f", "v"], e(SMALLER));
    check!(c, ["XADD", "a:s", "4-*", "f", "v"], e(SMALLER));
    // `*` is after the top item (real time is far past 6).
    let id = c.cmd(&["XADD", "a:s", "*", "f", "v"]).text();
    let ms: u64 = id.split('-').next().unwrap().parse().unwrap();
    assert!(ms > 1_600_000_000_000, "{id}");
    check!(c, ["XLEN", "a:s"], i(6));
    check!(c, ["XLEN", "a:nosuch"], i(0));
    check!(
        c,
        ["XADD", "a:z", "0-0", "f", "v"],
        e("ERR The ID specified in XADD must be greater than 0-0")
    );
    check!(
        c,
        ["XADD", "a:z", "0", "f", "v"],
        e("ERR The ID specified in XADD must be greater than 0-0")
    );
    check!(c, ["EXISTS", "a:z"], i(0));
    check!(c, ["XADD", "a:z", "0-*", "f", "v"], b("0-1"));
    for bad in [
        "abc",
        "1-x",
        "-",
        "+",
        "1-2-3",
        "-1",
        "1--1",
        "1-",
        "18446744073709551616",
    ] {
        check!(c, ["XADD", "a:s", bad, "f", "v"], e(INVALID_ID));
    }
    // Odd field/value counts and missing fields are arity errors.
    check!(
        c,
        ["XADD", "a:s", "*", "f"],
        e("ERR wrong number of arguments for 'xadd' command")
    );
    check!(
        c,
        ["XADD", "a:s", "*", "f", "v", "g"],
        e("ERR wrong number of arguments for 'xadd' command")
    );
    check!(
        c,
        ["XADD", "a:s", "MAXLEN", "5", "*"],
        e("ERR wrong number of arguments for 'xadd' command")
    );
    // NOMKSTREAM on a missing key adds nothing.
    check!(c, ["XADD", "a:none", "NOMKSTREAM", "*", "f", "v"], nil());
    check!(c, ["EXISTS", "a:none"], i(0));
    check!(c, ["XADD", "a:z", "NOMKSTREAM", "7-7", "f", "v"], b("7-7"));
    // Trimming option errors.
    check!(
        c,
        ["XADD", "a:s", "MAXLEN", "-1", "*", "f", "v"],
        e("ERR The MAXLEN argument must be >= 0.")
    );
    check!(
        c,
        ["XADD", "a:s", "MAXLEN", "x", "*", "f", "v"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["XADD", "a:s", "MAXLEN", "1", "MINID", "1", "*", "f", "v"],
        e("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
    check!(
        c,
        ["XADD", "a:s", "MAXLEN", "1", "LIMIT", "10", "*", "f", "v"],
        e("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    check!(
        c,
        ["XADD", "a:s", "LIMIT", "10", "*", "f", "v"],
        e("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    check!(
        c,
        [
            "XADD", "a:s", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "f", "v"
        ],
        e("ERR The LIMIT argument must be >= 0.")
    );
    check!(
        c,
        ["XADD", "a:s", "MINID", "+", "*", "f", "v"],
        e(INVALID_ID)
    );
    check!(c, ["SET", "a:str", "x"], ok());
    check!(
        c,
        ["XADD", "a:str", "*", "f", "v"],
        e("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    check!(
        c,
        ["XLEN", "a:str"],
        e("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    check!(c, ["TYPE", "a:s"], Reply::Simple("stream".into()));
}

#[test]
fn xrange_bounds_and_count() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for id in ["1-0", "1-1", "2-0", "3-5"] {
        add(&mut c, "r:s", id, &["f", id]);
    }
    let all = |ids: &[&str]| arr(ids.iter().map(|id| entry(id, &["f", id])).collect());
    check!(
        c,
        ["XRANGE", "r:s", "-", "+"],
        all(&["1-0", "1-1", "2-0", "3-5"])
    );
    check!(c, ["XRANGE", "r:s", "1", "1"], all(&["1-0", "1-1"]));
    check!(
        c,
        ["XRANGE", "r:s", "(1-0", "+"],
        all(&["1-1", "2-0", "3-5"])
    );
    check!(
        c,
        ["XRANGE", "r:s", "-", "(3-5"],
        all(&["1-0", "1-1", "2-0"])
    );
    // An incomplete end is `3-<max>`, so `(3` still takes 3-5.
    check!(
        c,
        ["XRANGE", "r:s", "(1", "(3"],
        all(&["1-1", "2-0", "3-5"])
    );
    check!(c, ["XRANGE", "r:s", "(1", "(3-0"], all(&["1-1", "2-0"]));
    check!(
        c,
        ["XRANGE", "r:s", "-", "+", "COUNT", "2"],
        all(&["1-0", "1-1"])
    );
    check!(c, ["XRANGE", "r:s", "3", "1"], arr(vec![]));
    // COUNT 0 (or negative) is the null reply; a missing key is empty.
    check!(c, ["XRANGE", "r:s", "-", "+", "COUNT", "0"], nil());
    check!(c, ["XRANGE", "r:s", "-", "+", "COUNT", "-3"], nil());
    check!(c, ["XRANGE", "r:none", "-", "+", "COUNT", "0"], arr(vec![]));
    check!(
        c,
        ["XREVRANGE", "r:s", "+", "-"],
        all(&["3-5", "2-0", "1-1", "1-0"])
    );
    check!(
        c,
        ["XREVRANGE", "r:s", "+", "-", "COUNT", "1"],
        all(&["3-5"])
    );
    check!(
        c,
        ["XREVRANGE", "r:s", "(3-5", "(1-0"],
        all(&["2-0", "1-1"])
    );
    check!(
        c,
        ["XRANGE", "r:s", "-", "+", "COUNT"],
        e("ERR syntax error")
    );
    check!(
        c,
        ["XRANGE", "r:s", "-", "+", "LIMIT", "1"],
        e("ERR syntax error")
    );
    check!(c, ["XRANGE", "r:s", "x", "+"], e(INVALID_ID));
    check!(c, ["XRANGE", "r:s", "(-", "+"], e(INVALID_ID));
    check!(c, ["XRANGE", "r:s", "(", "+"], e(INVALID_ID));
    check!(
        c,
        [
            "XRANGE",
            "r:s",
            "(18446744073709551615-18446744073709551615",
            "+"
        ],
        e("ERR invalid start ID for the interval")
    );
    check!(
        c,
        ["XRANGE", "r:s", "-", "(0-0"],
        e("ERR invalid end ID for the interval")
    );
}

#[test]
fn xread_ids_dollar_and_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    add(&mut c, "{x}a", "1-0", &["f", "1"]);
    add(&mut c, "{x}a", "2-0", &["f", "2"]);
    add(&mut c, "{x}b", "5-0", &["g", "5"]);
    // `$` means "nothing new" without BLOCK.
    check!(c, ["XREAD", "STREAMS", "{x}a", "$"], nil());
    check!(
        c,
        ["XREAD", "STREAMS", "{x}a", "{x}nosuch", "$", "0"],
        nil()
    );
    check!(
        c,
        ["XREAD", "COUNT", "1", "STREAMS", "{x}a", "{x}b", "0", "4"],
        arr(vec![
            arr(vec![b("{x}a"), arr(vec![entry("1-0", &["f", "1"])])]),
            arr(vec![b("{x}b"), arr(vec![entry("5-0", &["g", "5"])])]),
        ])
    );
    check!(
        c,
        ["XREAD", "STREAMS", "{x}a", "{x}b", "1", "5"],
        arr(vec![arr(vec![
            b("{x}a"),
            arr(vec![entry("2-0", &["f", "2"])])
        ])])
    );
    check!(c, ["XREAD", "STREAMS", "{x}a", "2"], nil());
    check!(
        c,
        ["XREAD", "STREAMS", "{x}a", ">"],
        e(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
        )
    );
    check!(
        c,
        ["XREAD", "STREAMS", "{x}a", "{x}b", "0"],
        e(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
        )
    );
    check!(c, ["XREAD", "STREAMS", "{x}a", "-"], e(INVALID_ID));
    check!(
        c,
        ["XREAD", "COUNT", "x", "STREAMS", "{x}a", "0"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["XREAD", "FOO", "STREAMS", "{x}a", "0"],
        e("ERR syntax error")
    );
    check!(
        c,
        ["XREAD", "GROUP", "g", "c", "STREAMS", "{x}a", "0"],
        e("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    );
    check!(c, ["SET", "{x}str", "v"], ok());
    check!(
        c,
        ["XREAD", "STREAMS", "{x}str", "0"],
        e("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // RESP3: a map from stream name to its entries.
    let mut c3 = s.resp();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Reply::Map(_)));
    assert_eq!(
        c3.cmd(&["XREAD", "STREAMS", "{x}a", "{x}b", "1", "0"]),
        Reply::Map(vec![
            (b("{x}a"), arr(vec![entry("2-0", &["f", "2"])])),
            (b("{x}b"), arr(vec![entry("5-0", &["g", "5"])])),
        ])
    );
    assert_eq!(c3.cmd(&["XREAD", "STREAMS", "{x}a", "$"]), nil());
}

#[test]
fn xread_block_checks_its_timeout() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    add(&mut c, "k:s", "1-0", &["f", "1"]);
    check!(
        c,
        ["XREAD", "BLOCK", "-1", "STREAMS", "k:s", "0"],
        e("ERR timeout is negative")
    );
    check!(
        c,
        ["XREAD", "BLOCK", "x", "STREAMS", "k:s", "0"],
        e("ERR timeout is not an integer or out of range")
    );
}

#[test]
fn xdel_xtrim_xsetid_and_xinfo_stream() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=10 {
        add(&mut c, "d:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(c, ["XDEL", "d:s", "1-0", "3-0", "99-0"], i(2));
    check!(c, ["XDEL", "d:s", "bad"], e(INVALID_ID));
    check!(c, ["XDEL", "d:none", "bad"], i(0));
    check!(c, ["XLEN", "d:s"], i(8));
    let info = c.cmd(&["XINFO", "STREAM", "d:s"]);
    assert_eq!(
        names(&info),
        [
            "length",
            "radix-tree-keys",
            "radix-tree-nodes",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
            "recorded-first-entry-id",
            "groups",
            "first-entry",
            "last-entry"
        ]
    );
    assert_eq!(field(&info, "length"), i(8));
    assert_eq!(field(&info, "last-generated-id"), b("10-0"));
    assert_eq!(field(&info, "max-deleted-entry-id"), b("3-0"));
    assert_eq!(field(&info, "entries-added"), i(10));
    assert_eq!(field(&info, "recorded-first-entry-id"), b("2-0"));
    assert_eq!(field(&info, "groups"), i(0));
    assert_eq!(field(&info, "first-entry"), entry("2-0", &["n", "2"]));
    assert_eq!(field(&info, "last-entry"), entry("10-0", &["n", "10"]));
    // Exact trims.
    check!(c, ["XTRIM", "d:s", "MAXLEN", "6"], i(2));
    check!(
        c,
        ["XRANGE", "d:s", "-", "+", "COUNT", "1"],
        arr(vec![entry("5-0", &["n", "5"])])
    );
    check!(c, ["XTRIM", "d:s", "MINID", "=", "7"], i(2));
    check!(c, ["XTRIM", "d:s", "MINID", "7"], i(0));
    check!(c, ["XLEN", "d:s"], i(4));
    let info = c.cmd(&["XINFO", "STREAM", "d:s"]);
    assert_eq!(field(&info, "recorded-first-entry-id"), b("7-0"));
    check!(c, ["XTRIM", "d:none", "MAXLEN", "0"], i(0));
    check!(
        c,
        ["XTRIM", "d:s"],
        e("ERR wrong number of arguments for 'xtrim' command")
    );
    check!(c, ["XTRIM", "d:s", "FOO", "1"], e("ERR syntax error"));
    check!(
        c,
        ["XTRIM", "d:s", "NOMKSTREAM", "MAXLEN", "1"],
        e("ERR syntax error")
    );
    // XSETID.
    check!(
        c,
        ["XSETID", "d:s", "9-0"],
        e("ERR The ID specified in XSETID is smaller than the target stream top item")
    );
    check!(
        c,
        ["XSETID", "d:s", "20-0", "ENTRIESADDED", "2"],
        e("ERR The entries_added specified in XSETID is smaller than the target stream length")
    );
    check!(
        c,
        ["XSETID", "d:s", "20-0", "MAXDELETEDID", "21-0"],
        e("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    );
    check!(
        c,
        ["XSETID", "d:s", "20-0", "ENTRIESADDED", "-1"],
        e("ERR entries_added must be positive")
    );
    check!(c, ["XSETID", "d:none", "20-0"], e("ERR no such key"));
    check!(c, ["XSETID", "d:s", "+"], e(INVALID_ID));
    check!(
        c,
        [
            "XSETID",
            "d:s",
            "20-0",
            "ENTRIESADDED",
            "50",
            "MAXDELETEDID",
            "15-0"
        ],
        ok()
    );
    check!(c, ["XADD", "d:s", "20-0", "f", "v"], e(SMALLER));
    check!(c, ["XADD", "d:s", "20-*", "f", "v"], b("20-1"));
    let info = c.cmd(&["XINFO", "STREAM", "d:s"]);
    assert_eq!(field(&info, "entries-added"), i(51));
    assert_eq!(field(&info, "max-deleted-entry-id"), b("15-0"));
    check!(c, ["XINFO", "STREAM", "d:none"], e("ERR no such key"));
    check!(
        c,
        ["XINFO", "STREAM", "d:s", "FOO"],
        e("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.")
    );
    // A stream emptied by XDEL stays, with its ids.
    let mut s2 = s.resp();
    add(&mut s2, "d:e", "1-0", &["f", "v"]);
    check!(s2, ["XDEL", "d:e", "1-0"], i(1));
    check!(s2, ["EXISTS", "d:e"], i(1));
    check!(s2, ["XLEN", "d:e"], i(0));
    let info = s2.cmd(&["XINFO", "STREAM", "d:e"]);
    assert_eq!(field(&info, "first-entry"), nil());
    assert_eq!(field(&info, "recorded-first-entry-id"), b("0-0"));
    check!(s2, ["XADD", "d:e", "1-0", "f", "v"], e(SMALLER));
}

#[test]
fn approximate_trimming_stays_within_a_node_of_the_limit() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=1000u32 {
        let id = format!("{n}-0");
        let got = c.cmd(&["XADD", "t:s", "MAXLEN", "~", "555", &id, "f", "v"]);
        assert_eq!(got, b(&id));
    }
    let len = c.cmd(&["XLEN", "t:s"]).int();
    assert!((555..655).contains(&len), "len {len}");
    // Exact trimming hits the limit.
    check!(c, ["XTRIM", "t:s", "MAXLEN", "=", "555"], i(len - 555));
    check!(c, ["XLEN", "t:s"], i(555));
    // `~` removes whole nodes only: what stays is within a node of the limit.
    let n = c.cmd(&["XTRIM", "t:s", "MAXLEN", "~", "500"]).int();
    let len = c.cmd(&["XLEN", "t:s"]).int();
    assert!(
        (500..600).contains(&len) && n == 555 - len,
        "len {len} trimmed {n}"
    );
    let n = c.cmd(&["XTRIM", "t:s", "MAXLEN", "~", "100"]).int();
    assert!(n > 0 && n <= len - 100, "trimmed {n}");
    let len = c.cmd(&["XLEN", "t:s"]).int();
    assert!((100..200).contains(&len), "len {len}");
    // LIMIT caps the work: below one node nothing goes.
    check!(c, ["XTRIM", "t:s", "MAXLEN", "~", "0", "LIMIT", "10"], i(0));
    // A small stream is one node: MAXLEN ~ 0 empties it.
    for n in 1..=5 {
        add(&mut c, "t:small", &format!("{n}-0"), &["f", "v"]);
    }
    check!(c, ["XTRIM", "t:small", "MAXLEN", "~", "3"], i(0));
    check!(c, ["XTRIM", "t:small", "MAXLEN", "~", "0"], i(5));
    check!(c, ["EXISTS", "t:small"], i(1));
    for n in 1..=5 {
        add(&mut c, "t:m", &format!("{n}-0"), &["f", "v"]);
    }
    check!(c, ["XTRIM", "t:m", "MINID", "~", "3"], i(0));
    check!(c, ["XTRIM", "t:m", "MINID", "~", "6"], i(5));
}

#[test]
fn consumer_groups_read_ack_and_pending() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(
        c,
        ["XGROUP", "CREATE", "g:s", "grp", "$"],
        e(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
        )
    );
    check!(c, ["XGROUP", "CREATE", "g:s", "grp", "$", "MKSTREAM"], ok());
    check!(c, ["XLEN", "g:s"], i(0));
    check!(
        c,
        ["XGROUP", "CREATE", "g:s", "grp", "$"],
        e("BUSYGROUP Consumer Group name already exists")
    );
    check!(c, ["XGROUP", "CREATE", "g:s", "g2", "-"], e(INVALID_ID));
    check!(
        c,
        ["XGROUP", "CREATE", "g:s", "g2", "0", "ENTRIESREAD", "-5"],
        e("ERR value for ENTRIESREAD must be positive or -1")
    );
    check!(
        c,
        ["XGROUP", "CREATE", "g:s", "g2", "0", "FOO"],
        e("ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    );
    check!(
        c,
        ["XGROUP", "SETID", "g:s", "nosuch", "0"],
        e("NOGROUP No such consumer group 'nosuch' for key name 'g:s'")
    );
    // Nothing to deliver yet: null, and no consumer is created.
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "g:s", ">"],
        nil()
    );
    check!(c, ["XINFO", "CONSUMERS", "g:s", "grp"], arr(vec![]));
    for n in 1..=4 {
        add(&mut c, "g:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(
        c,
        [
            "XREADGROUP",
            "GROUP",
            "grp",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "g:s",
            ">"
        ],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![entry("1-0", &["n", "1"]), entry("2-0", &["n", "2"])])
        ])])
    );
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "bob", "STREAMS", "g:s", ">"],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![entry("3-0", &["n", "3"]), entry("4-0", &["n", "4"])])
        ])])
    );
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "bob", "STREAMS", "g:s", ">"],
        nil()
    );
    // History: the consumer's own pending entries after the id.
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "g:s", "0"],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![entry("1-0", &["n", "1"]), entry("2-0", &["n", "2"])])
        ])])
    );
    check!(
        c,
        [
            "XREADGROUP",
            "GROUP",
            "grp",
            "alice",
            "STREAMS",
            "g:s",
            "1-0"
        ],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![entry("2-0", &["n", "2"])])
        ])])
    );
    // Errors.
    check!(
        c,
        ["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "g:s", ">"],
        e("NOGROUP No such key 'g:s' or consumer group 'nog' in XREADGROUP with GROUP option")
    );
    check!(
        c,
        [
            "XREADGROUP",
            "GROUP",
            "grp",
            "alice",
            "STREAMS",
            "g:none",
            ">"
        ],
        e("NOGROUP No such key 'g:none' or consumer group 'grp' in XREADGROUP with GROUP option")
    );
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "g:s", "$"],
        e(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
        )
    );
    check!(
        c,
        ["XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "g:s", ">"],
        e("ERR Missing GROUP option for XREADGROUP")
    );
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "alice", "STREAMS", "g:s", "x"],
        e(INVALID_ID)
    );
    // Pending summary: count, smallest and largest id, per consumer.
    check!(
        c,
        ["XPENDING", "g:s", "grp"],
        arr(vec![
            i(4),
            b("1-0"),
            b("4-0"),
            arr(vec![
                arr(vec![b("alice"), b("2")]),
                arr(vec![b("bob"), b("2")])
            ])
        ])
    );
    check!(c, ["XACK", "g:s", "grp", "1-0", "3-0", "9-0"], i(2));
    check!(c, ["XACK", "g:s", "grp", "1-0"], i(0));
    check!(c, ["XACK", "g:s", "grp", "bad"], e(INVALID_ID));
    check!(c, ["XACK", "g:s", "nog", "bad"], i(0));
    check!(c, ["XACK", "g:none", "grp", "1-0"], i(0));
    // Each history read counted a delivery: 2-0 was served three times.
    let p = c.cmd(&["XPENDING", "g:s", "grp", "-", "+", "10"]).items();
    assert_eq!(p.len(), 2);
    let row = p[0].items();
    assert_eq!(
        (row[0].clone(), row[1].clone(), row[3].clone()),
        (b("2-0"), b("alice"), i(3))
    );
    let row = p[1].items();
    assert_eq!(
        (row[0].clone(), row[1].clone(), row[3].clone()),
        (b("4-0"), b("bob"), i(1))
    );
    assert!(row[2].int() >= 0);
    let p = c
        .cmd(&["XPENDING", "g:s", "grp", "-", "+", "10", "bob"])
        .items();
    assert_eq!(p.len(), 1);
    check!(
        c,
        ["XPENDING", "g:s", "grp", "-", "+", "10", "nobody"],
        arr(vec![])
    );
    assert_eq!(
        pending_ids(&mut c, &["g:s", "grp", "(2-0", "+", "1"]),
        ["4-0"]
    );
    assert_eq!(
        pending_ids(&mut c, &["g:s", "grp", "-", "(4-0", "10"]),
        ["2-0"]
    );
    check!(
        c,
        ["XPENDING", "g:s", "grp", "IDLE", "999999", "-", "+", "10"],
        arr(vec![])
    );
    check!(
        c,
        ["XPENDING", "g:s", "grp", "-", "+"],
        e("ERR syntax error")
    );
    check!(
        c,
        ["XPENDING", "g:s", "grp", "IDLE", "1", "-", "+"],
        e("ERR syntax error")
    );
    check!(
        c,
        ["XPENDING", "g:s", "grp", "-", "+", "x"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["XPENDING", "g:s", "nog"],
        e("NOGROUP No such key 'g:s' or consumer group 'nog'")
    );
    // An emptied PEL.
    check!(c, ["XACK", "g:s", "grp", "2-0", "4-0"], i(2));
    check!(
        c,
        ["XPENDING", "g:s", "grp"],
        arr(vec![i(0), nil(), nil(), nil()])
    );
    // NOACK delivers without adding to the PEL.
    add(&mut c, "g:s", "5-0", &["n", "5"]);
    check!(
        c,
        [
            "XREADGROUP",
            "GROUP",
            "grp",
            "carol",
            "NOACK",
            "STREAMS",
            "g:s",
            ">"
        ],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![entry("5-0", &["n", "5"])])
        ])])
    );
    check!(
        c,
        ["XPENDING", "g:s", "grp"],
        arr(vec![i(0), nil(), nil(), nil()])
    );
    // History after its entry was deleted: the id with a null body.
    add(&mut c, "g:s", "6-0", &["n", "6"]);
    c.cmd(&["XREADGROUP", "GROUP", "grp", "carol", "STREAMS", "g:s", ">"]);
    check!(c, ["XDEL", "g:s", "6-0"], i(1));
    check!(
        c,
        ["XREADGROUP", "GROUP", "grp", "carol", "STREAMS", "g:s", "0"],
        arr(vec![arr(vec![
            b("g:s"),
            arr(vec![arr(vec![b("6-0"), nil()])])
        ])])
    );
    // DELCONSUMER returns its pending count and drops its PEL.
    check!(c, ["XGROUP", "DELCONSUMER", "g:s", "grp", "carol"], i(1));
    check!(c, ["XGROUP", "DELCONSUMER", "g:s", "grp", "carol"], i(0));
    check!(
        c,
        ["XPENDING", "g:s", "grp"],
        arr(vec![i(0), nil(), nil(), nil()])
    );
    check!(c, ["XGROUP", "CREATECONSUMER", "g:s", "grp", "dave"], i(1));
    check!(c, ["XGROUP", "CREATECONSUMER", "g:s", "grp", "dave"], i(0));
    check!(c, ["XGROUP", "DESTROY", "g:s", "grp"], i(1));
    check!(c, ["XGROUP", "DESTROY", "g:s", "grp"], i(0));
    check!(c, ["XINFO", "GROUPS", "g:s"], arr(vec![]));
}

#[test]
fn setid_redelivers_to_the_new_reader() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=3 {
        add(&mut c, "sid:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(c, ["XGROUP", "CREATE", "sid:s", "g", "0"], ok());
    c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", "sid:s", ">"]);
    check!(c, ["XGROUP", "SETID", "sid:s", "g", "1-0"], ok());
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "b",
        "COUNT",
        "1",
        "STREAMS",
        "sid:s",
        ">",
    ]);
    // 2-0 moved from a to b with a fresh delivery count.
    check!(
        c,
        ["XPENDING", "sid:s", "g"],
        arr(vec![
            i(3),
            b("1-0"),
            b("3-0"),
            arr(vec![arr(vec![b("a"), b("2")]), arr(vec![b("b"), b("1")])])
        ])
    );
    let p = c
        .cmd(&["XPENDING", "sid:s", "g", "2-0", "2-0", "1"])
        .items();
    let row = p[0].items();
    assert_eq!((row[1].clone(), row[3].clone()), (b("b"), i(1)));
    check!(
        c,
        ["XGROUP", "SETID", "sid:s", "g", "$", "ENTRIESREAD", "3"],
        ok()
    );
    let g = c.cmd(&["XINFO", "GROUPS", "sid:s"]).items();
    assert_eq!(field(&g[0], "last-delivered-id"), b("3-0"));
    assert_eq!(field(&g[0], "entries-read"), i(3));
    assert_eq!(field(&g[0], "lag"), i(0));
    check!(
        c,
        ["XGROUP", "SETID", "sid:s", "g", "0", "ENTRIESREAD"],
        e("ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.")
    );
}

#[test]
fn xclaim_moves_ownership_and_cleans_deleted_entries() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=4 {
        add(&mut c, "c:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(c, ["XGROUP", "CREATE", "c:s", "g", "0"], ok());
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "a",
        "COUNT",
        "3",
        "STREAMS",
        "c:s",
        ">",
    ]);
    check!(
        c,
        ["XCLAIM", "c:s", "nog", "b", "0", "1-0"],
        e("NOGROUP No such key 'c:s' or consumer group 'nog'")
    );
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "x", "1-0"],
        e("ERR Invalid min-idle-time argument for XCLAIM")
    );
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "0", "1-0", "FOO"],
        e("ERR Unrecognized XCLAIM option 'FOO'")
    );
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "0", "1-0", "IDLE", "x"],
        e("ERR Invalid IDLE option argument for XCLAIM")
    );
    // Not idle long enough: nothing moves.
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "3600000", "1-0"],
        arr(vec![])
    );
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "0", "1-0"],
        arr(vec![entry("1-0", &["n", "1"])])
    );
    check!(
        c,
        ["XCLAIM", "c:s", "g", "b", "0", "2-0", "JUSTID"],
        arr(vec![b("2-0")])
    );
    // Not pending, no FORCE: ignored. With FORCE: created (the entry exists).
    check!(c, ["XCLAIM", "c:s", "g", "b", "0", "4-0"], arr(vec![]));
    check!(
        c,
        [
            "XCLAIM", "c:s", "g", "b", "0", "4-0", "9-0", "FORCE", "JUSTID"
        ],
        arr(vec![b("4-0")])
    );
    check!(
        c,
        ["XPENDING", "c:s", "g"],
        arr(vec![
            i(4),
            b("1-0"),
            b("4-0"),
            arr(vec![arr(vec![b("a"), b("1")]), arr(vec![b("b"), b("3")])])
        ])
    );
    // Delivery counts: 1-0 was claimed (2), 2-0 with JUSTID (stays 1),
    // RETRYCOUNT sets it.
    check!(
        c,
        [
            "XCLAIM",
            "c:s",
            "g",
            "b",
            "0",
            "3-0",
            "RETRYCOUNT",
            "7",
            "IDLE",
            "5000",
            "JUSTID"
        ],
        arr(vec![b("3-0")])
    );
    let p = c.cmd(&["XPENDING", "c:s", "g", "-", "+", "10"]).items();
    let counts: Vec<i64> = p.iter().map(|r| r.items()[3].int()).collect();
    assert_eq!(counts, [2, 1, 7, 1]);
    let idle = p[2].items()[2].int();
    assert!((5000..60_000).contains(&idle), "idle {idle}");
    assert_eq!(
        pending_ids(&mut c, &["c:s", "g", "IDLE", "4000", "-", "+", "10"]),
        ["3-0"]
    );
    // A deleted entry's PEL entry goes when claimed.
    check!(c, ["XDEL", "c:s", "1-0"], i(1));
    check!(c, ["XCLAIM", "c:s", "g", "a", "0", "1-0"], arr(vec![]));
    assert_eq!(
        pending_ids(&mut c, &["c:s", "g", "-", "+", "10", "b"]),
        ["2-0", "3-0", "4-0"]
    );
    // LASTID moves the group forward only.
    check!(
        c,
        [
            "XCLAIM", "c:s", "g", "a", "0", "2-0", "LASTID", "100-0", "JUSTID"
        ],
        arr(vec![b("2-0")])
    );
    let g = c.cmd(&["XINFO", "GROUPS", "c:s"]).items();
    assert_eq!(field(&g[0], "last-delivered-id"), b("100-0"));
    assert_eq!(field(&g[0], "pending"), i(3));
    assert_eq!(field(&g[0], "consumers"), i(2));
}

#[test]
fn xautoclaim_cursors_and_deleted_ids() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=5 {
        add(&mut c, "ac:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(c, ["XGROUP", "CREATE", "ac:s", "g", "0"], ok());
    c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", "ac:s", ">"]);
    check!(c, ["XDEL", "ac:s", "2-0"], i(1));
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "b", "0", "0", "COUNT", "2"],
        arr(vec![
            b("3-0"),
            arr(vec![entry("1-0", &["n", "1"])]),
            arr(vec![b("2-0")])
        ])
    );
    check!(
        c,
        [
            "XAUTOCLAIM",
            "ac:s",
            "g",
            "b",
            "0",
            "3-0",
            "COUNT",
            "2",
            "JUSTID"
        ],
        arr(vec![b("5-0"), arr(vec![b("3-0"), b("4-0")]), arr(vec![])])
    );
    check!(
        c,
        [
            "XAUTOCLAIM",
            "ac:s",
            "g",
            "b",
            "0",
            "5-0",
            "COUNT",
            "2",
            "JUSTID"
        ],
        arr(vec![b("0-0"), arr(vec![b("5-0")]), arr(vec![])])
    );
    // Exclusive start.
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "c", "0", "(4-0", "JUSTID"],
        arr(vec![b("0-0"), arr(vec![b("5-0")]), arr(vec![])])
    );
    // Nothing idle long enough: the whole PEL is looked at, cursor 0-0.
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "c", "3600000", "0"],
        arr(vec![b("0-0"), arr(vec![]), arr(vec![])])
    );
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "c", "0", "0", "COUNT", "0"],
        e("ERR COUNT must be > 0")
    );
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "c", "x", "0"],
        e("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    );
    check!(c, ["XAUTOCLAIM", "ac:s", "g", "c", "0", "x"], e(INVALID_ID));
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "g", "c", "0", "0", "FOO"],
        e("ERR syntax error")
    );
    check!(
        c,
        ["XAUTOCLAIM", "ac:s", "nog", "c", "0", "0"],
        e("NOGROUP No such key 'ac:s' or consumer group 'nog'")
    );
    check!(
        c,
        ["XPENDING", "ac:s", "g"],
        arr(vec![
            i(4),
            b("1-0"),
            b("5-0"),
            arr(vec![arr(vec![b("b"), b("3")]), arr(vec![b("c"), b("1")])])
        ])
    );
}

#[test]
fn xinfo_groups_consumers_and_full_shapes() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 1..=3 {
        add(&mut c, "i:s", &format!("{n}-0"), &["n", &n.to_string()]);
    }
    check!(c, ["XGROUP", "CREATE", "i:s", "g1", "0"], ok());
    check!(c, ["XGROUP", "CREATE", "i:s", "g0", "$"], ok());
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "zed",
        "COUNT",
        "1",
        "STREAMS",
        "i:s",
        ">",
    ]);
    c.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "amy",
        "COUNT",
        "1",
        "STREAMS",
        "i:s",
        ">",
    ]);
    let groups = c.cmd(&["XINFO", "GROUPS", "i:s"]).items();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        names(&groups[0]),
        [
            "name",
            "consumers",
            "pending",
            "last-delivered-id",
            "entries-read",
            "lag"
        ]
    );
    // Name order.
    assert_eq!(field(&groups[0], "name"), b("g0"));
    assert_eq!(field(&groups[0], "entries-read"), nil());
    assert_eq!(field(&groups[0], "lag"), i(0));
    assert_eq!(field(&groups[1], "name"), b("g1"));
    assert_eq!(field(&groups[1], "consumers"), i(2));
    assert_eq!(field(&groups[1], "pending"), i(2));
    assert_eq!(field(&groups[1], "last-delivered-id"), b("2-0"));
    assert_eq!(field(&groups[1], "entries-read"), i(2));
    assert_eq!(field(&groups[1], "lag"), i(1));
    let cons = c.cmd(&["XINFO", "CONSUMERS", "i:s", "g1"]).items();
    assert_eq!(names(&cons[0]), ["name", "pending", "idle"]);
    assert_eq!(field(&cons[0], "name"), b("amy"));
    assert_eq!(field(&cons[1], "name"), b("zed"));
    assert_eq!(field(&cons[1], "pending"), i(1));
    check!(
        c,
        ["XINFO", "CONSUMERS", "i:s", "nog"],
        e("NOGROUP No such consumer group 'nog' for key name 'i:s'")
    );
    check!(c, ["XINFO", "GROUPS", "i:none"], e("ERR no such key"));
    // A deletion before the group's position makes the lag unknown.
    check!(c, ["XDEL", "i:s", "3-0"], i(1));
    let groups = c.cmd(&["XINFO", "GROUPS", "i:s"]).items();
    assert_eq!(field(&groups[1], "lag"), nil());
    let full = c.cmd(&["XINFO", "STREAM", "i:s", "FULL"]);
    assert_eq!(
        names(&full),
        [
            "length",
            "radix-tree-keys",
            "radix-tree-nodes",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
            "recorded-first-entry-id",
            "entries",
            "groups"
        ]
    );
    assert_eq!(
        field(&full, "entries"),
        arr(vec![entry("1-0", &["n", "1"]), entry("2-0", &["n", "2"])])
    );
    let groups = field(&full, "groups").items();
    assert_eq!(
        names(&groups[1]),
        [
            "name",
            "last-delivered-id",
            "entries-read",
            "lag",
            "pel-count",
            "pending",
            "consumers"
        ]
    );
    assert_eq!(field(&groups[1], "pel-count"), i(2));
    let pel = field(&groups[1], "pending").items();
    assert_eq!(pel[0].items()[0], b("1-0"));
    assert_eq!(pel[0].items()[1], b("zed"));
    let consumers = field(&groups[1], "consumers").items();
    assert_eq!(
        names(&consumers[0]),
        ["name", "seen-time", "pel-count", "pending"]
    );
    assert_eq!(
        field(&consumers[0], "pending").items()[0].items()[0],
        b("2-0")
    );
    let full1 = c.cmd(&["XINFO", "STREAM", "i:s", "FULL", "COUNT", "1"]);
    assert_eq!(field(&full1, "entries").items().len(), 1);
    // RESP3: XINFO replies are maps.
    let mut c3 = s.resp();
    c3.cmd(&["HELLO", "3"]);
    assert!(matches!(c3.cmd(&["XINFO", "STREAM", "i:s"]), Reply::Map(_)));
    let g = c3.cmd(&["XINFO", "GROUPS", "i:s"]).items();
    assert!(matches!(g[0], Reply::Map(_)));
}

#[test]
fn xinfo_and_xgroup_help() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let simple = |l: &str| Reply::Simple(l.to_string());
    let help = c.cmd(&["XINFO", "HELP"]).items();
    assert_eq!(help.len(), 9, "{help:?}");
    assert_eq!(
        help[0],
        simple("XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(help[5], simple("STREAM <key> [FULL [COUNT <count>]"));
    assert_eq!(help[8], simple("    Prints this help."));
    let help = c.cmd(&["xgroup", "help"]).items();
    assert_eq!(help.len(), 17, "{help:?}");
    assert_eq!(
        help[0],
        simple("XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(
        help[13],
        simple("SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]")
    );
    check!(
        c,
        ["XINFO", "HELP", "x"],
        e("ERR wrong number of arguments for 'xinfo|help' command")
    );
}
