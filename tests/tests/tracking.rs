//! Client-side caching (CLIENT TRACKING) through real clients: default
//! mode, BCAST with PREFIX, OPTIN, OPTOUT, NOLOOP, REDIRECT to a RESP2
//! subscriber, flushes, writes on other cores and other nodes. All but the
//! 3-node test also pass against redis-server (`COREKV_TEST_TARGET=redis`).

use corekv_tests::r::{b, e, i, ok};
use corekv_tests::{Reply, Resp, Server, check, corekv_only, start_cluster, wait_until};
use std::time::Duration;

fn push(items: Vec<Reply>) -> Reply {
    Reply::Push(items)
}

fn invalidate(keys: &[&str]) -> Reply {
    push(vec![b("invalidate"), Reply::bulks(keys)])
}

fn resp3(s: &Server) -> Resp {
    let mut c = s.resp();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    c
}

/// Reads until the reply to a PING sent now: every push before it.
fn pushes_until_pong(c: &mut Resp) -> Vec<Reply> {
    c.send(&["PING"]).expect("send");
    let mut got = Vec::new();
    loop {
        match c.read_reply().expect("reply") {
            Reply::Simple(p) if p == "PONG" => return got,
            other => got.push(other),
        }
    }
}

/// The keys of every invalidation `c` gets until all of `want` came (or
/// 10 s passed), sorted. A write across groups is answered once decided
/// and applied in each group soon after, so its invalidations may follow
/// its reply (as any invalidation may reach a client after another
/// client's reply in Redis too).
fn invalidated(c: &mut Resp, want: &[&str]) -> Vec<String> {
    let mut got: Vec<String> = Vec::new();
    wait_until(Duration::from_secs(10), || {
        for p in pushes_until_pong(c) {
            match p {
                Reply::Push(v) if v[0] == b("invalidate") => {
                    got.extend(v[1].items().iter().map(Reply::text))
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        want.iter().all(|w| got.iter().any(|g| g == w))
    });
    got.sort();
    got
}

#[test]
fn default_mode_invalidates_keys_read_once() {
    let s = Server::start(&[]);
    let mut t = resp3(&s);
    check!(t, ["CLIENT", "TRACKING", "ON"], ok());
    let mut w = s.resp();
    check!(w, ["SET", "k", "1"], ok());
    check!(t, ["GET", "k"], b("1"));
    check!(
        t,
        ["MGET", "a", "b"],
        Reply::Array(vec![Reply::Nil, Reply::Nil])
    );
    check!(w, ["SET", "k", "2"], ok());
    assert_eq!(t.read_reply().expect("push"), invalidate(&["k"]));
    // Invalidated once: the next write is not reported until k is read.
    check!(w, ["SET", "k", "3"], ok());
    assert_eq!(pushes_until_pong(&mut t), Vec::<Reply>::new());
    // MGET's keys are tracked too, each invalidated by its write.
    check!(w, ["MSET", "a", "x", "b", "y"], ok());
    assert_eq!(invalidated(&mut t, &["a", "b"]), ["a", "b"]);
    // A write by the tracking client itself is reported (no NOLOOP).
    check!(t, ["GET", "k"], b("3"));
    check!(t, ["SET", "k", "4"], ok());
    assert_eq!(t.read_reply().expect("push"), invalidate(&["k"]));
    check!(t, ["CLIENT", "TRACKING", "OFF"], ok());
    check!(t, ["GET", "k"], b("4"));
    check!(w, ["SET", "k", "5"], ok());
    assert_eq!(pushes_until_pong(&mut t), Vec::<Reply>::new());
}

#[test]
fn a_resp2_client_redirects_to_a_subscriber() {
    let s = Server::start(&[]);
    let mut sub = s.resp();
    let sub_id = sub.cmd(&["CLIENT", "ID"]).int().to_string();
    sub.send(&["SUBSCRIBE", "__redis__:invalidate"])
        .expect("send");
    assert_eq!(
        sub.read_reply().expect("frame"),
        Reply::Array(vec![b("subscribe"), b("__redis__:invalidate"), i(1)])
    );
    let mut t = s.resp();
    check!(t, ["CLIENT", "TRACKING", "ON", "REDIRECT", &sub_id], ok());
    check!(t, ["CLIENT", "GETREDIR"], i(sub_id.parse().expect("id")));
    let info = t.cmd(&["CLIENT", "INFO"]).text();
    assert!(
        info.contains(" flags=t ") && info.contains(&format!(" redir={sub_id} ")),
        "{info}"
    );
    check!(t, ["GET", "r"], Reply::Nil);
    let mut w = s.resp();
    check!(w, ["SET", "r", "v"], ok());
    assert_eq!(
        sub.read_reply().expect("message"),
        Reply::Array(vec![
            b("message"),
            b("__redis__:invalidate"),
            Reply::bulks(&["r"])
        ])
    );
    // FLUSHALL invalidates everything: a null.
    check!(t, ["GET", "r"], b("v"));
    check!(w, ["FLUSHALL"], ok());
    assert_eq!(
        sub.read_reply().expect("message"),
        Reply::Array(vec![b("message"), b("__redis__:invalidate"), Reply::Nil])
    );
}

#[test]
fn bcast_prefixes_get_every_matching_write() {
    let s = Server::start(&[]);
    let mut t = resp3(&s);
    check!(
        t,
        [
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cfg"
        ],
        ok()
    );
    let mut w = s.resp();
    check!(w, ["SET", "user:1", "a"], ok());
    check!(w, ["SET", "other", "a"], ok());
    check!(w, ["SET", "cfg", "a"], ok());
    check!(w, ["HSET", "user:2", "f", "v"], i(1));
    let keys = invalidated(&mut t, &["cfg", "user:1", "user:2"]);
    assert_eq!(keys, ["cfg", "user:1", "user:2"]);
    let info = t.cmd(&["CLIENT", "TRACKINGINFO"]);
    let Reply::Map(m) = info else {
        panic!("not a map: {info:?}")
    };
    assert_eq!(m[0], (b("flags"), Reply::Set(vec![b("on"), b("bcast")])));
    assert_eq!(m[1], (b("redirect"), i(0)));
    assert_eq!(m[2], (b("prefixes"), Reply::bulks(&["cfg", "user:"])));
}

#[test]
fn optin_tracks_only_after_caching_yes_and_optout_skips_after_caching_no() {
    let s = Server::start(&[]);
    let mut w = s.resp();
    let mut t = resp3(&s);
    check!(t, ["CLIENT", "TRACKING", "ON", "OPTIN"], ok());
    check!(t, ["GET", "a"], Reply::Nil);
    check!(t, ["CLIENT", "CACHING", "YES"], ok());
    check!(t, ["GET", "b"], Reply::Nil);
    // CACHING lasts one command.
    check!(t, ["GET", "c"], Reply::Nil);
    check!(w, ["MSET", "a", "1", "b", "1", "c", "1"], ok());
    assert_eq!(invalidated(&mut t, &["b"]), ["b"]);

    let mut o = resp3(&s);
    check!(o, ["CLIENT", "TRACKING", "ON", "OPTOUT"], ok());
    check!(o, ["CLIENT", "CACHING", "NO"], ok());
    check!(o, ["GET", "a"], b("1"));
    check!(o, ["GET", "b"], b("1"));
    check!(w, ["SET", "a", "2"], ok());
    check!(w, ["SET", "b", "2"], ok());
    assert_eq!(invalidated(&mut o, &["b"]), ["b"]);
}

#[test]
fn noloop_skips_the_clients_own_writes() {
    let s = Server::start(&[]);
    let mut t = resp3(&s);
    check!(t, ["CLIENT", "TRACKING", "ON", "NOLOOP"], ok());
    check!(t, ["GET", "n"], Reply::Nil);
    check!(t, ["SET", "n", "mine"], ok());
    assert_eq!(pushes_until_pong(&mut t), Vec::<Reply>::new());
    check!(t, ["GET", "n"], b("mine"));
    let mut w = s.resp();
    check!(w, ["SET", "n", "theirs"], ok());
    assert_eq!(t.read_reply().expect("push"), invalidate(&["n"]));
}

#[test]
fn tracking_errors_are_redis_texts() {
    let s = Server::start(&[]);
    let mut t = resp3(&s);
    check!(
        t,
        ["CLIENT", "TRACKING", "ON", "PREFIX", "a"],
        e("ERR PREFIX option requires BCAST mode to be enabled")
    );
    check!(
        t,
        ["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
        e("ERR You can't specify both OPTIN mode and OPTOUT mode")
    );
    check!(
        t,
        ["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"],
        e("ERR OPTIN and OPTOUT are not compatible with BCAST")
    );
    check!(
        t,
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"],
        e("ERR The client ID you want redirect to does not exist")
    );
    check!(
        t,
        [
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"
        ],
        e(
            "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."
        )
    );
    check!(t, ["CLIENT", "TRACKING", "MAYBE"], e("ERR syntax error"));
    check!(
        t,
        ["CLIENT", "CACHING", "YES"],
        e(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
        )
    );
    check!(t, ["CLIENT", "GETREDIR"], i(-1));
    check!(t, ["CLIENT", "TRACKING", "ON"], ok());
    check!(
        t,
        ["CLIENT", "CACHING", "YES"],
        e("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    );
    check!(
        t,
        ["CLIENT", "TRACKING", "ON", "BCAST"],
        e(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
        )
    );
    check!(t, ["CLIENT", "GETREDIR"], i(0));
    check!(
        t,
        ["CLIENT", "TRACKINGINFO"],
        Reply::Map(vec![
            (b("flags"), Reply::Set(vec![b("on")])),
            (b("redirect"), i(0)),
            (b("prefixes"), Reply::Array(vec![])),
        ])
    );
}

/// Readers on every core, keys of every group, writers on other cores:
/// each reader hears of each key it read.
#[test]
fn invalidations_cross_cores() {
    let s = Server::start(&["--cores", "3"]);
    let keys: Vec<String> = (0..12).map(|k| format!("key{k}")).collect();
    let mut readers: Vec<Resp> = (0..6).map(|_| resp3(&s)).collect();
    for r in readers.iter_mut() {
        check!(r, ["CLIENT", "TRACKING", "ON"], ok());
        for k in &keys {
            check!(r, ["GET", k], Reply::Nil);
        }
    }
    let mut w = s.resp();
    for k in &keys {
        check!(w, ["SET", k, "v"], ok());
    }
    let mut want = keys.clone();
    want.sort();
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    for r in readers.iter_mut() {
        assert_eq!(invalidated(r, &want), want);
    }
}

/// A client tracking on node 2 hears of a write made through node 1.
#[test]
fn invalidations_cross_nodes() {
    if !corekv_only("invalidations_cross_nodes") {
        return;
    }
    let nodes = start_cluster(3, &[]);
    let mut t = resp3(&nodes[1]);
    check!(t, ["CLIENT", "TRACKING", "ON"], ok());
    let mut w = nodes[0].resp();
    check!(w, ["SET", "far", "1"], ok());
    check!(t, ["GET", "far"], b("1"));
    check!(w, ["SET", "far", "2"], ok());
    assert_eq!(invalidated(&mut t, &["far"]), ["far"]);
    let mut b3 = resp3(&nodes[2]);
    check!(
        b3,
        ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p:"],
        ok()
    );
    check!(w, ["SET", "p:1", "x"], ok());
    assert_eq!(invalidated(&mut b3, &["p:1"]), ["p:1"]);
}
