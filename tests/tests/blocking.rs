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
    for _ in 0..n {
        let mut w = s.resp();
        w.send(&["BLPOP", key, "10"]).expect("send");
        // Let the command reach the server and block before the next.
        std::thread::sleep(Duration::from_millis(60));
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
