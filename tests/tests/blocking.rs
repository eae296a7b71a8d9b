//! Blocking list commands: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP wake on the
//! push that satisfies them, in arrival order, honour their timeouts, and a
//! client that disconnects while blocked is never served (nothing it would
//! have popped is lost). Runs against Redis 7 too.

use corekv_tests::{Reply, Resp, Server};
use std::time::{Duration, Instant};

fn b(s: &str) -> Reply {
    Reply::bulk(s)
}

/// Keys spread over groups (and so over the server's cores).
const QUEUES: [&str; 4] = ["q:alpha", "q:beta", "q:gamma", "q:delta"];

#[test]
fn a_timeout_answers_a_null_array_or_a_null_bulk_on_time() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for (cmd, want) in [
        (vec!["BLPOP", "none", "0.2"], Reply::Nil),
        (vec!["BRPOP", "{n}none", "{n}none2", "0.2"], Reply::Nil),
        (
            vec!["BLMOVE", "{n}none", "{n}d", "LEFT", "LEFT", "0.2"],
            Reply::Nil,
        ),
        (vec!["BRPOPLPUSH", "{n}none", "{n}d", "0.2"], Reply::Nil),
        (vec!["BLMPOP", "0.2", "1", "none", "LEFT"], Reply::Nil),
    ] {
        let t = Instant::now();
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(450),
            "{cmd:?} took {took:?}"
        );
    }
}

#[test]
fn bad_timeouts_and_wrong_types_are_errors() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&["BLPOP", "q", "-1"]),
        Reply::err("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["BLPOP", "q", "soon"]),
        Reply::err("ERR timeout is not a float or out of range")
    );
    assert_eq!(
        c.cmd(&["BLMOVE", "{q}q", "{q}d", "UP", "LEFT", "0"]),
        Reply::err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["SET", "str", "v"]), Reply::ok());
    assert_eq!(
        c.cmd(&["BLPOP", "str", "0"]),
        Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    // A list present at once answers at once.
    assert_eq!(c.cmd(&["RPUSH", "{r}ready", "x"]), Reply::Int(1));
    assert_eq!(
        c.cmd(&["BLPOP", "{r}empty", "{r}ready", "0"]),
        Reply::Array(vec![b("{r}ready"), b("x")])
    );
    assert_eq!(c.cmd(&["EXISTS", "{r}ready"]), Reply::Int(0));
}

/// `n` clients block on `key` one after the other (each is seen blocked
/// before the next starts), then one push of `n` elements serves them in
/// arrival order: client i gets element i.
fn fifo_on(s: &Server, key: &str, n: usize) {
    let mut waiters: Vec<Resp> = Vec::new();
    let mut admin = s.resp();
    // INFO is published once per tick: start from a count of zero.
    let t = Instant::now();
    while blocked_clients(&mut admin) != 0 {
        assert!(t.elapsed() < Duration::from_secs(5), "clients stay blocked");
        std::thread::sleep(Duration::from_millis(20));
    }
    for i in 0..n {
        let mut w = s.resp();
        w.send(&["BLPOP", key, "10"]).expect("send");
        // The command must have reached the server and blocked before the
        // next is sent (a fixed sleep was not enough on a loaded machine).
        await_blocked(&mut admin, i as i64 + 1);
        waiters.push(w);
    }
    let elems: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
    let mut push = vec!["RPUSH".to_string(), key.to_string()];
    push.extend(elems.iter().cloned());
    assert_eq!(s.resp().cmd(&push), Reply::Int(n as i64));
    for (i, w) in waiters.iter_mut().enumerate() {
        let got = w.read_reply().expect("reply");
        assert_eq!(
            got,
            Reply::Array(vec![b(key), b(&elems[i])]),
            "waiter {i} on {key}"
        );
    }
    assert_eq!(s.resp().cmd(&["LLEN", key]), Reply::Int(0));
}

#[test]
fn a_push_serves_blocked_clients_in_arrival_order_on_every_core() {
    let s = Server::start(&[]);
    for q in QUEUES {
        fifo_on(&s, q, 4);
    }
}

#[test]
fn the_first_ready_key_serves_and_moves_land() {
    let s = Server::start(&[]);
    let mut w = s.resp();
    w.send(&["BLPOP", "{k}a", "{k}b", "5"]).expect("send");
    std::thread::sleep(Duration::from_millis(100));
    let mut c = s.resp();
    assert_eq!(c.cmd(&["RPUSH", "{k}b", "x", "y"]), Reply::Int(2));
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![b("{k}b"), b("x")])
    );
    // BRPOP takes from the tail.
    assert_eq!(
        c.cmd(&["BRPOP", "{k}b", "1"]),
        Reply::Array(vec![b("{k}b"), b("y")])
    );
    w.send(&["BLMOVE", "{m}src", "{m}dst", "LEFT", "RIGHT", "5"])
        .expect("send");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["RPUSH", "{m}src", "v"]), Reply::Int(1));
    assert_eq!(w.read_reply().expect("reply"), b("v"));
    assert_eq!(
        c.cmd(&["LRANGE", "{m}dst", "0", "-1"]),
        Reply::Array(vec![b("v")])
    );
    w.send(&["BLMPOP", "5", "2", "{p}a", "{p}b", "LEFT", "COUNT", "2"])
        .expect("send");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["RPUSH", "{p}b", "1", "2", "3"]), Reply::Int(3));
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![b("{p}b"), Reply::Array(vec![b("1"), b("2")])])
    );
    w.send(&["BRPOPLPUSH", "{r}s", "{r}d", "5"]).expect("send");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.cmd(&["LPUSH", "{r}s", "z"]), Reply::Int(1));
    assert_eq!(w.read_reply().expect("reply"), b("z"));
    assert_eq!(c.cmd(&["LPOP", "{r}d"]), b("z"));
}

#[test]
fn a_client_that_left_while_blocked_is_not_served() {
    let s = Server::start(&[]);
    for q in QUEUES {
        let mut w = s.resp();
        w.send(&["BLPOP", q, "0"]).expect("send");
        std::thread::sleep(Duration::from_millis(60));
        drop(w);
    }
    // Past a tick of the server, which notices abandoned requests.
    std::thread::sleep(Duration::from_millis(300));
    let mut c = s.resp();
    for q in QUEUES {
        assert_eq!(c.cmd(&["RPUSH", q, "kept"]), Reply::Int(1));
    }
    std::thread::sleep(Duration::from_millis(200));
    for q in QUEUES {
        assert_eq!(
            c.cmd(&["LLEN", q]),
            Reply::Int(1),
            "{q}: the push was swallowed"
        );
    }
}

#[test]
fn blocking_sorted_set_pops_wake_on_zadd() {
    let s = Server::start(&[]);
    let mut w = s.resp();
    w.send(&["BZPOPMIN", "{z}a", "{z}b", "5"]).expect("send");
    std::thread::sleep(Duration::from_millis(100));
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&["ZADD", "{z}b", "2", "two", "1", "one"]),
        Reply::Int(2)
    );
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![b("{z}b"), b("one"), b("1")])
    );
    assert_eq!(
        c.cmd(&["BZPOPMAX", "{z}b", "1"]),
        Reply::Array(vec![b("{z}b"), b("two"), b("2")])
    );
    w.send(&["BZMPOP", "5", "1", "{z}c", "MAX", "COUNT", "2"])
        .expect("send");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        c.cmd(&["ZADD", "{z}c", "1", "x", "3", "y", "2", "z"]),
        Reply::Int(3)
    );
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![
            b("{z}c"),
            Reply::Array(vec![
                Reply::Array(vec![b("y"), b("3")]),
                Reply::Array(vec![b("z"), b("2")]),
            ]),
        ])
    );
    let t = Instant::now();
    assert_eq!(c.cmd(&["BZPOPMIN", "{z}none", "0.2"]), Reply::Nil);
    assert!(t.elapsed() >= Duration::from_millis(200));
}

#[test]
fn xread_and_xreadgroup_block_until_an_entry_arrives() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // `$` waits for entries after the last one at the time of the call.
    assert_eq!(c.cmd(&["XADD", "xs", "1-0", "f", "old"]), b("1-0"));
    let mut w = s.resp();
    w.send(&["XREAD", "BLOCK", "5000", "STREAMS", "xs", "$"])
        .expect("send");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["XADD", "xs", "2-0", "f", "new"]), b("2-0"));
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![Reply::Array(vec![
            b("xs"),
            Reply::Array(vec![Reply::Array(vec![
                b("2-0"),
                Reply::Array(vec![b("f"), b("new")])
            ])])
        ])])
    );
    // Data already there answers at once; a timeout answers null.
    assert_eq!(
        c.cmd(&["XREAD", "COUNT", "1", "BLOCK", "100", "STREAMS", "xs", "0"])
            .items()
            .len(),
        1
    );
    let t = Instant::now();
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "200", "STREAMS", "xs", "$"]),
        Reply::Nil
    );
    assert!(t.elapsed() >= Duration::from_millis(200));
    // A consumer group reader blocks on `>` and gets the next entry.
    assert_eq!(c.cmd(&["XGROUP", "CREATE", "xs", "g", "$"]), Reply::ok());
    w.send(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c1",
        "BLOCK",
        "5000",
        "STREAMS",
        "xs",
        ">",
    ])
    .expect("send");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["XADD", "xs", "3-0", "f", "grp"]), b("3-0"));
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::Array(vec![Reply::Array(vec![
            b("xs"),
            Reply::Array(vec![Reply::Array(vec![
                b("3-0"),
                Reply::Array(vec![b("f"), b("grp")])
            ])])
        ])])
    );
    assert_eq!(
        c.cmd(&["XPENDING", "xs", "g"]).items().first().cloned(),
        Some(Reply::Int(1))
    );
}

/// INFO's `blocked_clients` (corekv publishes it once per tick).
fn blocked_clients(c: &mut Resp) -> i64 {
    let Reply::Bulk(info) = c.cmd(&["INFO", "clients"]) else {
        panic!("INFO clients is not a bulk string");
    };
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("blocked_clients in INFO clients")
}

/// Waits (bounded) until `n` clients are blocked.
fn await_blocked(c: &mut Resp, n: i64) {
    let t = Instant::now();
    while blocked_clients(c) < n {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{n} clients never showed as blocked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn client_id(c: &mut Resp) -> String {
    match c.cmd(&["CLIENT", "ID"]) {
        Reply::Int(n) => n.to_string(),
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

#[test]
fn client_unblock_ends_a_wait_with_its_timeout_reply_or_an_error() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // On every queue, so the blocked command lives on each core in turn
    // (the waiter's connection may be on another one).
    for q in QUEUES {
        let mut w = s.resp();
        let id = client_id(&mut w);
        w.send(&["BLPOP", q, "0"]).expect("send");
        await_blocked(&mut c, 1);
        assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id]), Reply::Int(1), "{q}");
        assert_eq!(w.read_reply().expect("reply"), Reply::Nil, "{q}");
        // Not blocked any more: nothing to unblock, and a later push is
        // not popped for it.
        assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id]), Reply::Int(0));
        assert_eq!(c.cmd(&["RPUSH", q, "kept"]), Reply::Int(1));
        assert_eq!(c.cmd(&["LPOP", q]), b("kept"));
        // The connection serves its next command as usual.
        assert_eq!(w.cmd(&["PING"]), Reply::Simple("PONG".into()));
    }
    let mut w = s.resp();
    let id = client_id(&mut w);
    w.send(&["BZPOPMIN", "z", "0"]).expect("send");
    await_blocked(&mut c, 1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id, "error"]), Reply::Int(1));
    assert_eq!(
        w.read_reply().expect("reply"),
        Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    assert_eq!(c.cmd(&["XADD", "st", "1-1", "f", "v"]), b("1-1"));
    w.send(&["XREAD", "BLOCK", "0", "STREAMS", "st", "$"])
        .expect("send");
    await_blocked(&mut c, 1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), Reply::Int(1));
    assert_eq!(w.read_reply().expect("reply"), Reply::Nil);
    // Errors and ids that block nothing.
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", &id, "later"]),
        Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", "x"]),
        Reply::err("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", "987654"]), Reply::Int(0));
    let me = client_id(&mut c);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &me]), Reply::Int(0));
}
