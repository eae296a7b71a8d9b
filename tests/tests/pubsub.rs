//! Pub/sub and MONITOR through real clients: Redis 7.0's frames in RESP2
//! and RESP3, delivery across cores and nodes, the output-buffer limit.
//! Tests that do not say corekv-only also pass against redis-server
//! (`COREKV_TEST_TARGET=redis`).

use corekv_tests::r::{b, e, i, ok};
use corekv_tests::{Reply, Resp, Server, check, corekv_only, start_cluster, wait_until};
use std::time::{Duration, Instant};

fn push(items: Vec<Reply>) -> Reply {
    Reply::Push(items)
}

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

fn read(c: &mut Resp) -> Reply {
    c.read_reply().expect("frame")
}

#[test]
fn subscribe_publish_unsubscribe_in_resp2() {
    let s = Server::start(&[]);
    let mut sub = s.resp();
    sub.send(&["SUBSCRIBE", "a", "b", "a"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("subscribe"), b("a"), i(1)]));
    assert_eq!(read(&mut sub), arr(vec![b("subscribe"), b("b"), i(2)]));
    // Subscribing twice confirms again and counts once.
    assert_eq!(read(&mut sub), arr(vec![b("subscribe"), b("a"), i(2)]));
    sub.send(&["PSUBSCRIBE", "n*"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("psubscribe"), b("n*"), i(3)]));

    let mut p = s.resp();
    check!(p, ["PUBLISH", "a", "hello"], i(1));
    check!(p, ["PUBLISH", "news", "flash"], i(1));
    check!(p, ["PUBLISH", "nobody", "x"], i(1)); // matches n*
    check!(p, ["PUBLISH", "zzz", "x"], i(0));
    assert_eq!(read(&mut sub), arr(vec![b("message"), b("a"), b("hello")]));
    assert_eq!(
        read(&mut sub),
        arr(vec![b("pmessage"), b("n*"), b("news"), b("flash")])
    );
    assert_eq!(
        read(&mut sub),
        arr(vec![b("pmessage"), b("n*"), b("nobody"), b("x")])
    );

    // The subscribed context: only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET.
    check!(
        sub,
        ["GET", "k"],
        e(
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )
    );
    check!(
        sub,
        ["CLIENT", "LIST"],
        e(
            "ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )
    );
    check!(sub, ["PING"], arr(vec![b("pong"), b("")]));
    check!(sub, ["PING", "hi"], arr(vec![b("pong"), b("hi")]));

    // CLIENT LIST shows the subscriptions (from another connection).
    let list = p.cmd(&["CLIENT", "LIST"]).text();
    let line = list
        .lines()
        .find(|l| l.contains(" sub=2 "))
        .unwrap_or_else(|| panic!("no subscriber in {list}"));
    assert!(
        line.contains(" flags=P ") && line.contains(" psub=1 ssub=0 "),
        "{line}"
    );

    assert_eq!(p.cmd(&["PUBSUB", "CHANNELS"]).sorted_texts(), ["a", "b"]);
    check!(
        p,
        ["PUBSUB", "NUMSUB", "a", "b", "c"],
        arr(vec![b("a"), i(1), b("b"), i(1), b("c"), i(0)])
    );
    check!(p, ["PUBSUB", "NUMPAT"], i(1));

    sub.send(&["UNSUBSCRIBE", "a"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("unsubscribe"), b("a"), i(2)]));
    // Without names: every channel, in any order, then nothing left.
    sub.send(&["UNSUBSCRIBE"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("unsubscribe"), b("b"), i(1)]));
    sub.send(&["UNSUBSCRIBE"]).expect("send");
    assert_eq!(
        read(&mut sub),
        arr(vec![b("unsubscribe"), Reply::Nil, i(1)])
    );
    sub.send(&["PUNSUBSCRIBE"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("punsubscribe"), b("n*"), i(0)]));
    // Out of the subscribed context: every command runs again.
    check!(sub, ["PING"], Reply::Simple("PONG".into()));
    check!(sub, ["GET", "k"], Reply::Nil);
    check!(p, ["PUBLISH", "a", "x"], i(0));
    check!(p, ["PUBSUB", "NUMPAT"], i(0));
    check!(p, ["PUBSUB", "CHANNELS"], arr(vec![]));
}

#[test]
fn resp3_subscribers_get_pushes_and_run_any_command() {
    let s = Server::start(&[]);
    let mut sub = s.resp();
    assert!(!sub.cmd(&["HELLO", "3"]).is_error());
    sub.send(&["SUBSCRIBE", "c"]).expect("send");
    assert_eq!(read(&mut sub), push(vec![b("subscribe"), b("c"), i(1)]));
    let mut p = s.resp();
    check!(p, ["PUBLISH", "c", "m1"], i(1));
    assert_eq!(read(&mut sub), push(vec![b("message"), b("c"), b("m1")]));
    // Any command runs while subscribed in RESP3.
    check!(sub, ["SET", "k", "v"], ok());
    check!(sub, ["GET", "k"], b("v"));
    check!(sub, ["PING"], Reply::Simple("PONG".into()));
    check!(p, ["PUBLISH", "c", "m2"], i(1));
    assert_eq!(read(&mut sub), push(vec![b("message"), b("c"), b("m2")]));
    sub.send(&["UNSUBSCRIBE"]).expect("send");
    assert_eq!(read(&mut sub), push(vec![b("unsubscribe"), b("c"), i(0)]));
    sub.send(&["UNSUBSCRIBE"]).expect("send");
    assert_eq!(
        read(&mut sub),
        push(vec![b("unsubscribe"), Reply::Nil, i(0)])
    );
    // RESET leaves every subscription without a reply of its own.
    sub.send(&["SSUBSCRIBE", "s1"]).expect("send");
    assert_eq!(read(&mut sub), push(vec![b("ssubscribe"), b("s1"), i(1)]));
    check!(sub, ["RESET"], Reply::Simple("RESET".into()));
    check!(p, ["SPUBLISH", "s1", "x"], i(0));
}

#[test]
fn shard_channels_are_their_own_namespace() {
    let s = Server::start(&[]);
    let mut sub = s.resp();
    sub.send(&["SSUBSCRIBE", "s1", "s2"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("ssubscribe"), b("s1"), i(1)]));
    assert_eq!(read(&mut sub), arr(vec![b("ssubscribe"), b("s2"), i(2)]));
    // Shard subscriptions do not count in SUBSCRIBE's total.
    sub.send(&["SUBSCRIBE", "s1"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("subscribe"), b("s1"), i(1)]));
    let mut p = s.resp();
    check!(p, ["SPUBLISH", "s1", "hi"], i(1));
    assert_eq!(read(&mut sub), arr(vec![b("smessage"), b("s1"), b("hi")]));
    check!(p, ["PUBLISH", "s1", "plain"], i(1));
    assert_eq!(read(&mut sub), arr(vec![b("message"), b("s1"), b("plain")]));
    check!(p, ["SPUBLISH", "s3", "x"], i(0));
    let chans = p.cmd(&["PUBSUB", "SHARDCHANNELS"]);
    assert_eq!(chans.sorted_texts(), ["s1", "s2"]);
    check!(p, ["PUBSUB", "SHARDCHANNELS", "*2"], arr(vec![b("s2")]));
    check!(
        p,
        ["PUBSUB", "SHARDNUMSUB", "s1", "zz"],
        arr(vec![b("s1"), i(1), b("zz"), i(0)])
    );
    sub.send(&["SUNSUBSCRIBE", "s2"]).expect("send");
    assert_eq!(read(&mut sub), arr(vec![b("sunsubscribe"), b("s2"), i(1)]));
    check!(
        p,
        ["PUBSUB", "HELP", "x"],
        e("ERR wrong number of arguments for 'pubsub|help' command")
    );
    check!(
        p,
        ["PUBSUB", "NOPE"],
        e("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.")
    );
    check!(
        p,
        ["PUBLISH", "a"],
        e("ERR wrong number of arguments for 'publish' command")
    );
    check!(
        p,
        ["SUBSCRIBE"],
        e("ERR wrong number of arguments for 'subscribe' command")
    );
}

/// Subscribers on every core (connections are spread over the cores) all
/// get every message, in publish order, and PUBLISH counts them all.
#[test]
fn publish_reaches_subscribers_on_every_core() {
    let s = Server::start(&["--cores", "3"]);
    let n = 9;
    let mut subs: Vec<Resp> = (0..n).map(|_| s.resp()).collect();
    for c in subs.iter_mut() {
        c.send(&["SUBSCRIBE", "all"]).expect("send");
        assert_eq!(read(c), arr(vec![b("subscribe"), b("all"), i(1)]));
    }
    let mut p = s.resp();
    check!(p, ["PUBSUB", "NUMSUB", "all"], arr(vec![b("all"), i(n)]));
    for m in 0..50 {
        check!(p, ["PUBLISH", "all", &m.to_string()], i(n));
    }
    // Pipelined publishes keep their order too.
    for m in 50..100 {
        p.send(&["PUBLISH", "all", &m.to_string()]).expect("send");
    }
    for _ in 50..100 {
        assert_eq!(read(&mut p), i(n));
    }
    for c in subs.iter_mut() {
        for m in 0..100 {
            assert_eq!(
                read(c),
                arr(vec![b("message"), b("all"), b(&m.to_string())])
            );
        }
    }
}

/// A subscriber that reads nothing is cut off at the pubsub output limit;
/// one that reads keeps every message.
#[test]
fn a_slow_subscriber_is_dropped_while_others_keep_their_messages() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    check!(
        admin,
        [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 512kb 1"
        ],
        ok()
    );
    let got = admin.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]);
    assert!(
        got.items()
            .get(1)
            .is_some_and(|v| v.text().ends_with("pubsub 1048576 524288 1")),
        "{got:?}"
    );
    check!(
        admin,
        [
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 512kb"
        ],
        e(
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."
        )
    );
    let mut slow = s.resp();
    slow.send(&["SUBSCRIBE", "flood"]).expect("send");
    assert_eq!(read(&mut slow), arr(vec![b("subscribe"), b("flood"), i(1)]));
    let mut fast = s.resp();
    fast.send(&["SUBSCRIBE", "flood"]).expect("send");
    assert_eq!(read(&mut fast), arr(vec![b("subscribe"), b("flood"), i(1)]));

    // 64 KiB messages, read by `fast` as they come, never by `slow`. The
    // kernel's socket buffers take a few MB before the server's queue
    // grows; 1000 messages (64 MB) are far past them.
    let msg = "x".repeat(64 * 1024);
    let mut p = s.resp();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = 0;
    let mut receivers_after_drop = None;
    while sent < 1000 && Instant::now() < deadline {
        let n = p.cmd(&["PUBLISH", "flood", &msg]).int();
        sent += 1;
        let m = read(&mut fast);
        assert_eq!(m, arr(vec![b("message"), b("flood"), b(&msg)]));
        if n == 1 {
            receivers_after_drop = Some(sent);
            break;
        }
    }
    assert!(
        receivers_after_drop.is_some(),
        "the slow subscriber was never dropped ({sent} messages)"
    );
    // The fast one keeps getting everything.
    for k in 0..10 {
        check!(p, ["PUBLISH", "flood", &format!("after{k}")], i(1));
        assert_eq!(
            read(&mut fast),
            arr(vec![b("message"), b("flood"), b(&format!("after{k}"))])
        );
    }
    // The slow one's connection is closed: reading drains what the kernel
    // held and then ends.
    let ended = wait_until(Duration::from_secs(20), || slow.read_reply().is_err());
    assert!(ended, "the slow subscriber's connection stayed open");
}

#[test]
fn monitor_shows_commands_of_other_clients() {
    let s = Server::start(&[]);
    let mut m = s.resp();
    check!(m, ["MONITOR"], ok());
    let mut c = s.resp();
    check!(c, ["SET", "k", "a b\"c\n"], ok());
    c.cmd(&["AUTH", "secret"]);
    assert!(!c.cmd(&["CONFIG", "GET", "maxclients"]).is_error());
    check!(c, ["GET", "k"], b("a b\"c\n"));
    let line = |r: Reply| match r {
        Reply::Simple(s) => s,
        other => panic!("not a monitor line: {other:?}"),
    };
    let l1 = line(read(&mut m));
    let l2 = line(read(&mut m));
    let tail = |l: &str| {
        l.split_once("] ")
            .map(|(_, t)| t.to_string())
            .expect("shape")
    };
    let head_ok = |l: &str| {
        let (ts, rest) = l.split_once(' ').expect("ts");
        let (sec, us) = ts.split_once('.').expect("dot");
        sec.parse::<u64>().is_ok() && us.len() == 6 && rest.starts_with("[0 127.0.0.1:")
    };
    assert!(head_ok(&l1), "{l1}");
    assert_eq!(tail(&l1), r#""SET" "k" "a b\"c\n""#);
    // AUTH's password is redacted; CONFIG (admin) is not shown.
    assert_eq!(tail(&l2), r#""AUTH" "(redacted)""#);
    let l3 = line(read(&mut m));
    assert_eq!(tail(&l3), r#""GET" "k""#);
}

/// PUBLISH on one node reaches subscribers on every node; each node's
/// PUBLISH counts its own receivers (like Redis Cluster).
#[test]
fn publish_reaches_subscribers_on_every_node() {
    if !corekv_only("publish_reaches_subscribers_on_every_node") {
        return;
    }
    let nodes = start_cluster(3, &[]);
    let mut s2 = nodes[1].resp();
    let mut s3 = nodes[2].resp();
    s2.send(&["SUBSCRIBE", "x"]).expect("send");
    assert_eq!(read(&mut s2), arr(vec![b("subscribe"), b("x"), i(1)]));
    assert!(!s3.cmd(&["HELLO", "3"]).is_error());
    s3.send(&["PSUBSCRIBE", "x*"]).expect("send");
    assert_eq!(read(&mut s3), push(vec![b("psubscribe"), b("x*"), i(1)]));
    let mut p = nodes[0].resp();
    // The first messages may race the links' start: wait until one has
    // landed on each node (a subscriber that got none yet waits for the
    // next probe).
    let (mut got2, mut got3) = (false, false);
    let ok = wait_until(Duration::from_secs(20), || {
        p.cmd(&["PUBLISH", "x", "probe"]);
        got2 = got2 || s2.read_reply().is_ok();
        got3 = got3 || s3.read_reply().is_ok();
        got2 && got3
    });
    assert!(
        ok,
        "a message published on node 1 never reached nodes 2 and 3"
    );
    // Then one marker: messages of one publisher keep their order on every
    // node, so once each subscriber has the marker no probe is left.
    check!(p, ["PUBLISH", "x", "sync"], i(0));
    for c in [&mut s2, &mut s3] {
        let mut synced = false;
        for _ in 0..1000 {
            let m = read(c);
            let last = m.items().last().map(Reply::text);
            if last.as_deref() == Some("sync") {
                synced = true;
                break;
            }
            assert_eq!(last.as_deref(), Some("probe"), "{m:?}");
        }
        assert!(synced, "the marker never arrived");
    }
    for k in 0..20 {
        check!(p, ["PUBLISH", "x", &format!("m{k}")], i(0));
    }
    for k in 0..20 {
        assert_eq!(
            read(&mut s2),
            arr(vec![b("message"), b("x"), b(&format!("m{k}"))])
        );
        assert_eq!(
            read(&mut s3),
            push(vec![b("pmessage"), b("x*"), b("x"), b(&format!("m{k}"))])
        );
    }
    // Node 2 counts its own subscriber.
    let mut p2 = nodes[1].resp();
    check!(p2, ["PUBLISH", "x", "local"], i(1));
    assert_eq!(read(&mut s2), arr(vec![b("message"), b("x"), b("local")]));
    assert_eq!(
        read(&mut s3),
        push(vec![b("pmessage"), b("x*"), b("x"), b("local")])
    );
}

/// Keyspace notifications through a real subscriber: CONFIG SET
/// notify-keyspace-events, both channel families, the class filter,
/// `expired` from active expiry, keys of every core's groups.
#[test]
fn keyspace_notifications_reach_subscribers() {
    let s = Server::start(&["--cores", "3"]);
    let mut admin = s.resp();
    check!(
        admin,
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ok()
    );
    let got = admin.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(got.items().get(1).map(Reply::text).as_deref(), Some("AKE"));
    let mut sub = s.resp();
    sub.send(&["PSUBSCRIBE", "__key*__:*"]).expect("send");
    assert_eq!(
        read(&mut sub),
        arr(vec![b("psubscribe"), b("__key*__:*"), i(1)])
    );
    let mut w = s.resp();
    check!(w, ["SET", "k1", "v"], ok());
    let ev = |kind: &str, k: &str, msg: &str| {
        arr(vec![
            b("pmessage"),
            b("__key*__:*"),
            b(&format!("__{kind}@0__:{k}")),
            b(msg),
        ])
    };
    assert_eq!(read(&mut sub), ev("keyspace", "k1", "set"));
    assert_eq!(read(&mut sub), ev("keyevent", "set", "k1"));
    check!(w, ["LPUSH", "l", "a"], i(1));
    assert_eq!(read(&mut sub), ev("keyspace", "l", "lpush"));
    assert_eq!(read(&mut sub), ev("keyevent", "lpush", "l"));
    // Keys of other groups (other cores) too.
    for k in ["a", "b", "c", "d", "e", "f"] {
        check!(w, ["INCR", k], i(1));
        assert_eq!(read(&mut sub), ev("keyspace", k, "incrby"));
        assert_eq!(read(&mut sub), ev("keyevent", "incrby", k));
    }
    // Only the selected classes: lists off, keyevent only.
    check!(
        admin,
        ["CONFIG", "SET", "notify-keyspace-events", "E$x"],
        ok()
    );
    check!(w, ["LPUSH", "l", "b"], i(2));
    check!(w, ["SET", "k2", "v", "PX", "50"], ok());
    assert_eq!(read(&mut sub), ev("keyevent", "set", "k2"));
    // Active expiry reports `expired`.
    assert_eq!(read(&mut sub), ev("keyevent", "expired", "k2"));
    check!(admin, ["CONFIG", "SET", "notify-keyspace-events", ""], ok());
    check!(w, ["SET", "k3", "v"], ok());
    check!(sub, ["PING"], arr(vec![b("pong"), b("")]));
    check!(
        admin,
        ["CONFIG", "SET", "notify-keyspace-events", "Q"],
        e(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
}

/// Each node publishes the events of the writes it applies: a subscriber
/// on node 3 hears of a write made through node 1, once.
#[test]
fn keyspace_notifications_on_every_node() {
    if !corekv_only("keyspace_notifications_on_every_node") {
        return;
    }
    let nodes = start_cluster(3, &["--notify-keyspace-events", "E$"]);
    let mut sub = nodes[2].resp();
    sub.send(&["SUBSCRIBE", "__keyevent@0__:set"])
        .expect("send");
    assert_eq!(
        read(&mut sub),
        arr(vec![b("subscribe"), b("__keyevent@0__:set"), i(1)])
    );
    let mut w = nodes[0].resp();
    for k in 0..5 {
        check!(w, ["SET", &format!("n{k}"), "v"], ok());
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        match read(&mut sub) {
            Reply::Array(v) => got.push(v[2].text()),
            other => panic!("unexpected {other:?}"),
        }
    }
    got.sort();
    assert_eq!(got, ["n0", "n1", "n2", "n3", "n4"]);
    // Once each: nothing more arrives before the PING's reply.
    check!(sub, ["PING"], arr(vec![b("pong"), b("")]));
}

/// ACL channel patterns: a user limited to `&news.*` subscribes and
/// publishes there only; a refused SUBSCRIBE takes no channel at all.
#[test]
fn acl_channel_rules_guard_subscribe_and_publish() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    check!(
        admin,
        [
            "ACL",
            "SETUSER",
            "reader",
            "on",
            ">pw",
            "resetchannels",
            "&news.*",
            "+@all"
        ],
        ok()
    );
    let mut c = s.resp();
    check!(c, ["AUTH", "reader", "pw"], ok());
    let denied =
        e("NOPERM this user has no permissions to access one of the channels used as arguments");
    check!(c, ["PUBLISH", "news.1", "x"], i(0));
    check!(c, ["PUBLISH", "sports", "x"], denied.clone());
    check!(c, ["SPUBLISH", "sports", "x"], denied.clone());
    check!(c, ["SUBSCRIBE", "news.1", "sports"], denied.clone());
    // A pattern must be allowed as written.
    check!(c, ["PSUBSCRIBE", "news.*x"], denied.clone());
    c.send(&["SUBSCRIBE", "news.1"]).expect("send");
    assert_eq!(read(&mut c), arr(vec![b("subscribe"), b("news.1"), i(1)]));
    c.send(&["PSUBSCRIBE", "news.*"]).expect("send");
    assert_eq!(read(&mut c), arr(vec![b("psubscribe"), b("news.*"), i(2)]));
    check!(
        admin,
        ["PUBSUB", "NUMSUB", "sports"],
        arr(vec![b("sports"), i(0)])
    );
    // Revoked: the subscriber is disconnected and gets nothing more.
    check!(
        admin,
        ["ACL", "SETUSER", "reader", "resetchannels", "&other"],
        ok()
    );
    admin.cmd(&["PUBLISH", "news.1", "after revoke"]);
    let ended = wait_until(Duration::from_secs(10), || match c.read_reply() {
        Err(_) => true,
        Ok(m) => panic!("a revoked subscriber got {m:?}"),
    });
    assert!(ended, "the revoked subscriber stayed connected");
}
