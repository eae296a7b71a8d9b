//! Generic key commands: existence, types, renames, TTLs, iteration, expiry.

use corekv_tests::r::{b, e, i, ok};
use corekv_tests::{Reply, Resp, Server, check, wait_until};
use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_s() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_secs()).expect("s fits")
}

#[test]
fn del_unlink_exists_touch_across_slots() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // No common hash tag: these keys land in different slots/groups.
    for k in ["alpha", "beta", "gamma", "delta"] {
        check!(c, ["SET", k, "v"], ok());
    }
    check!(c, ["EXISTS", "alpha", "beta", "nope"], i(2));
    // EXISTS counts repeats.
    check!(c, ["EXISTS", "alpha", "alpha", "alpha"], i(3));
    check!(c, ["TOUCH", "alpha", "gamma", "nope"], i(2));
    check!(c, ["DEL", "alpha", "beta", "nope"], i(2));
    check!(c, ["EXISTS", "alpha", "beta"], i(0));
    check!(c, ["UNLINK", "gamma", "delta", "nope"], i(2));
    check!(c, ["EXISTS", "gamma", "delta"], i(0));
    check!(c, ["DEL", "nope"], i(0));
    check!(
        c,
        ["DEL"],
        e("ERR wrong number of arguments for 'del' command")
    );
    check!(
        c,
        ["EXISTS"],
        e("ERR wrong number of arguments for 'exists' command")
    );
    check!(
        c,
        ["UNLINK"],
        e("ERR wrong number of arguments for 'unlink' command")
    );
    check!(
        c,
        ["TOUCH"],
        e("ERR wrong number of arguments for 'touch' command")
    );
}

#[test]
fn type_command() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "ty:s", "v"], ok());
    check!(c, ["TYPE", "ty:s"], Reply::Simple("string".into()));
    check!(c, ["TYPE", "ty:none"], Reply::Simple("none".into()));
    check!(
        c,
        ["TYPE"],
        e("ERR wrong number of arguments for 'type' command")
    );
}

#[test]
fn rename_renamenx() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "{r}a", "1", "EX", "100"], ok());
    check!(c, ["RENAME", "{r}a", "{r}b"], ok());
    check!(c, ["EXISTS", "{r}a"], i(0));
    check!(c, ["GET", "{r}b"], b("1"));
    // The TTL moves with the value.
    let ttl = c.cmd(&["TTL", "{r}b"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    // Overwrites an existing destination (and its TTL).
    check!(c, ["SET", "{r}c", "2"], ok());
    check!(c, ["RENAME", "{r}c", "{r}b"], ok());
    check!(c, ["GET", "{r}b"], b("2"));
    check!(c, ["TTL", "{r}b"], i(-1));
    check!(c, ["RENAME", "{r}none", "{r}x"], e("ERR no such key"));
    check!(c, ["RENAMENX", "{r}none", "{r}x"], e("ERR no such key"));
    // Renaming onto itself is fine for RENAME, a no-op 0 for RENAMENX.
    check!(c, ["RENAME", "{r}b", "{r}b"], ok());
    check!(c, ["RENAMENX", "{r}b", "{r}b"], i(0));
    check!(c, ["SET", "{r}d", "3"], ok());
    check!(c, ["RENAMENX", "{r}d", "{r}b"], i(0));
    check!(c, ["GET", "{r}b"], b("2"));
    check!(c, ["RENAMENX", "{r}d", "{r}e"], i(1));
    check!(c, ["GET", "{r}e"], b("3"));
    check!(c, ["EXISTS", "{r}d"], i(0));
    check!(
        c,
        ["RENAME", "{r}e"],
        e("ERR wrong number of arguments for 'rename' command")
    );
}

#[test]
fn copy_command() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "{c}a", "1", "EX", "100"], ok());
    check!(c, ["COPY", "{c}a", "{c}b"], i(1));
    check!(c, ["GET", "{c}b"], b("1"));
    assert!(c.cmd(&["TTL", "{c}b"]).int() > 0);
    check!(c, ["SET", "{c}a", "2"], ok());
    check!(c, ["COPY", "{c}a", "{c}b"], i(0));
    check!(c, ["GET", "{c}b"], b("1"));
    check!(c, ["COPY", "{c}a", "{c}b", "REPLACE"], i(1));
    check!(c, ["GET", "{c}b"], b("2"));
    check!(c, ["COPY", "{c}none", "{c}z"], i(0));
    check!(c, ["EXISTS", "{c}z"], i(0));
    check!(
        c,
        ["COPY", "{c}a", "{c}a"],
        e("ERR source and destination objects are the same")
    );
    check!(c, ["COPY", "{c}a", "{c}b", "BOGUS"], e("ERR syntax error"));
    check!(c, ["COPY", "{c}a", "{c}x", "DB", "0"], i(1));
}

#[test]
fn expire_family() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "e:a", "v"], ok());
    check!(c, ["TTL", "e:a"], i(-1));
    check!(c, ["PTTL", "e:a"], i(-1));
    check!(c, ["TTL", "e:none"], i(-2));
    check!(c, ["PTTL", "e:none"], i(-2));
    check!(c, ["EXPIRETIME", "e:a"], i(-1));
    check!(c, ["EXPIRETIME", "e:none"], i(-2));
    check!(c, ["PEXPIRETIME", "e:none"], i(-2));
    check!(c, ["EXPIRE", "e:none", "10"], i(0));
    check!(c, ["PEXPIRE", "e:none", "10"], i(0));

    check!(c, ["EXPIRE", "e:a", "100"], i(1));
    let ttl = c.cmd(&["TTL", "e:a"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["PEXPIRE", "e:a", "200000"], i(1));
    let pttl = c.cmd(&["PTTL", "e:a"]).int();
    assert!((199_000..=200_000).contains(&pttl), "pttl {pttl}");
    let at = now_s() + 300;
    check!(c, ["EXPIREAT", "e:a", &at.to_string()], i(1));
    check!(c, ["EXPIRETIME", "e:a"], i(at));
    check!(c, ["PEXPIRETIME", "e:a"], i(at * 1000));
    check!(c, ["PEXPIREAT", "e:a", &(at * 1000 + 5).to_string()], i(1));
    check!(c, ["PEXPIRETIME", "e:a"], i(at * 1000 + 5));
    check!(c, ["EXPIRETIME", "e:a"], i(at));
    check!(c, ["PERSIST", "e:a"], i(1));
    check!(c, ["PERSIST", "e:a"], i(0));
    check!(c, ["PERSIST", "e:none"], i(0));
    check!(c, ["TTL", "e:a"], i(-1));

    // NX / XX / GT / LT.
    check!(c, ["EXPIRE", "e:a", "100", "XX"], i(0));
    check!(c, ["EXPIRE", "e:a", "100", "GT"], i(0));
    check!(c, ["EXPIRE", "e:a", "100", "NX"], i(1));
    check!(c, ["EXPIRE", "e:a", "200", "NX"], i(0));
    check!(c, ["EXPIRE", "e:a", "200", "XX"], i(1));
    check!(c, ["EXPIRE", "e:a", "100", "GT"], i(0));
    check!(c, ["EXPIRE", "e:a", "300", "GT"], i(1));
    check!(c, ["EXPIRE", "e:a", "400", "LT"], i(0));
    check!(c, ["EXPIRE", "e:a", "50", "lt"], i(1));
    let ttl = c.cmd(&["TTL", "e:a"]).int();
    assert!((49..=50).contains(&ttl), "ttl {ttl}");
    check!(c, ["SET", "e:p", "v"], ok());
    // A key without TTL counts as infinite: LT applies, GT does not.
    check!(c, ["EXPIRE", "e:p", "100", "LT"], i(1));
    check!(c, ["PEXPIRE", "e:a", "1000000", "GT", "XX"], i(1));
    check!(
        c,
        ["EXPIRE", "e:a", "10", "NX", "XX"],
        e("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    check!(
        c,
        ["EXPIRE", "e:a", "10", "NX", "GT"],
        e("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    check!(
        c,
        ["EXPIRE", "e:a", "10", "GT", "LT"],
        e("ERR GT and LT options at the same time are not compatible")
    );
    check!(
        c,
        ["EXPIRE", "e:a", "10", "BOGUS"],
        e("ERR Unsupported option BOGUS")
    );
    check!(
        c,
        ["EXPIRE", "e:a", "abc"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["EXPIRE", "e:a", "9223372036854775807"],
        e("ERR invalid expire time in 'expire' command")
    );
    check!(
        c,
        ["PEXPIRE", "e:a", "9223372036854775807"],
        e("ERR invalid expire time in 'pexpire' command")
    );
    check!(
        c,
        ["EXPIREAT", "e:a", "9223372036854775807"],
        e("ERR invalid expire time in 'expireat' command")
    );
    check!(
        c,
        ["EXPIRE", "e:a"],
        e("ERR wrong number of arguments for 'expire' command")
    );

    // A zero/negative TTL or a past timestamp deletes the key at once.
    check!(c, ["SET", "e:d1", "v"], ok());
    check!(c, ["EXPIRE", "e:d1", "0"], i(1));
    check!(c, ["EXISTS", "e:d1"], i(0));
    check!(c, ["SET", "e:d2", "v"], ok());
    check!(c, ["PEXPIRE", "e:d2", "-100"], i(1));
    check!(c, ["EXISTS", "e:d2"], i(0));
    check!(c, ["SET", "e:d3", "v"], ok());
    check!(c, ["EXPIREAT", "e:d3", "1"], i(1));
    check!(c, ["EXISTS", "e:d3"], i(0));
    check!(c, ["SET", "e:d4", "v"], ok());
    check!(c, ["PEXPIREAT", "e:d4", "1000"], i(1));
    check!(c, ["GET", "e:d4"], Reply::Nil);
}

#[test]
fn keys_patterns() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for k in ["key", "kay", "keey", "hello", "hallo", "hxllo", "a*b", "ab"] {
        check!(c, ["SET", k, "v"], ok());
    }
    let keys = |c: &mut Resp, p: &str| c.cmd(&["KEYS", p]).sorted_texts();
    assert_eq!(keys(&mut c, "*").len(), 8);
    assert_eq!(keys(&mut c, "k?y"), ["kay", "key"]);
    assert_eq!(keys(&mut c, "k*y"), ["kay", "keey", "key"]);
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut c, "h[^e]llo"), ["hallo", "hxllo"]);
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut c, "a\\*b"), ["a*b"]);
    assert_eq!(keys(&mut c, "nomatch*"), Vec::<String>::new());
    assert_eq!(keys(&mut c, "hello"), ["hello"]);
}

/// Iterates SCAN to cursor 0 (bounded) and returns every key seen.
fn scan_all(c: &mut Resp, extra: &[&str]) -> BTreeSet<String> {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = c.cmd(&args).items();
        let [next, keys] = reply.as_slice() else {
            panic!("SCAN reply not a pair: {reply:?}");
        };
        seen.extend(keys.items().iter().map(Reply::text));
        cursor = next.text();
        if cursor == "0" {
            return seen;
        }
    }
    panic!("SCAN did not finish");
}

#[test]
fn scan_iterates_everything() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let mut all = BTreeSet::new();
    for n in 0..300 {
        let k = if n % 3 == 0 {
            format!("user:{n}")
        } else {
            format!("item:{n}")
        };
        check!(c, ["SET", &k, "v"], ok());
        all.insert(k);
    }
    assert_eq!(scan_all(&mut c, &[]), all);
    assert_eq!(scan_all(&mut c, &["COUNT", "7"]), all);
    let users: BTreeSet<String> = all
        .iter()
        .filter(|k| k.starts_with("user:"))
        .cloned()
        .collect();
    assert_eq!(users.len(), 100);
    assert_eq!(scan_all(&mut c, &["MATCH", "user:*"]), users);
    assert_eq!(
        scan_all(&mut c, &["MATCH", "user:*", "COUNT", "1000"]),
        users
    );
    assert_eq!(scan_all(&mut c, &["TYPE", "string", "COUNT", "50"]), all);
    assert_eq!(scan_all(&mut c, &["TYPE", "list"]), BTreeSet::new());
    check!(c, ["SCAN", "abc"], e("ERR invalid cursor"));
    check!(c, ["SCAN", "0", "COUNT", "0"], e("ERR syntax error"));
    check!(c, ["SCAN", "0", "BOGUS", "1"], e("ERR syntax error"));
    check!(
        c,
        ["SCAN", "0", "COUNT", "x"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["SCAN"],
        e("ERR wrong number of arguments for 'scan' command")
    );
}

#[test]
fn randomkey() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RANDOMKEY"], Reply::Nil);
    check!(c, ["SET", "rk:a", "v"], ok());
    check!(c, ["RANDOMKEY"], b("rk:a"));
    check!(c, ["SET", "rk:b", "v"], ok());
    for _ in 0..20 {
        let k = c.cmd(&["RANDOMKEY"]).text();
        assert!(k == "rk:a" || k == "rk:b", "{k}");
    }
}

#[test]
fn object_subcommands() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "ob:s", "hello"], ok());
    check!(c, ["SET", "ob:i", "12345"], ok());
    check!(c, ["SET", "ob:r", &"x".repeat(100)], ok());
    check!(c, ["OBJECT", "ENCODING", "ob:s"], b("embstr"));
    check!(c, ["OBJECT", "ENCODING", "ob:i"], b("int"));
    check!(c, ["OBJECT", "ENCODING", "ob:r"], b("raw"));
    check!(c, ["OBJECT", "ENCODING", "ob:none"], Reply::Nil);
    check!(c, ["OBJECT", "REFCOUNT", "ob:s"], i(1));
    check!(c, ["OBJECT", "REFCOUNT", "ob:none"], Reply::Nil);
    let idle = c.cmd(&["OBJECT", "IDLETIME", "ob:s"]).int();
    assert!((0..=5).contains(&idle), "idle {idle}");
    check!(c, ["OBJECT", "IDLETIME", "ob:none"], Reply::Nil);
    // The default maxmemory policy is not LFU.
    check!(
        c,
        ["OBJECT", "FREQ", "ob:s"],
        e(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
           Please note that when switching between policies at runtime LRU and LFU data \
           will take some time to adjust."
        )
    );
    check!(
        c,
        ["OBJECT", "BOGUS", "ob:s"],
        e("ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.")
    );
}

#[test]
fn lazy_expiry() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "lz:a", "v", "PX", "50"], ok());
    check!(c, ["SET", "lz:b", "v"], ok());
    check!(c, ["PEXPIRE", "lz:b", "50"], i(1));
    std::thread::sleep(Duration::from_millis(200));
    check!(c, ["GET", "lz:a"], Reply::Nil);
    check!(c, ["EXISTS", "lz:b"], i(0));
    check!(c, ["TTL", "lz:a"], i(-2));
    // An expired key can be re-created and has no TTL left over.
    check!(c, ["SET", "lz:a", "w"], ok());
    check!(c, ["TTL", "lz:a"], i(-1));
}

#[test]
fn active_expiry() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    for n in 0..200 {
        check!(c, ["SET", &format!("ax:{n}"), "v", "PX", "100"], ok());
    }
    let start = Instant::now();
    let gone = wait_until(Duration::from_secs(3), || {
        c.cmd(&["DBSIZE"]) == Reply::Int(0)
    });
    assert!(
        gone,
        "DBSIZE still {:?} after {:?}",
        c.cmd(&["DBSIZE"]),
        start.elapsed()
    );
}

#[test]
fn mset_without_tag_is_all_or_nothing() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys: Vec<String> = (0..16).map(|n| format!("noslot:{n}")).collect();
    let mut args = vec!["MSET".to_string()];
    for k in &keys {
        args.push(k.clone());
        args.push(format!("val-{k}"));
    }
    let mut exists = vec!["EXISTS".to_string()];
    exists.extend(keys.iter().cloned());
    // Sixteen keys span groups: one transaction (docs/design/0025).
    assert_eq!(c.cmd(&args), Reply::Simple("OK".into()));
    assert_eq!(c.cmd(&exists), Reply::Int(16));
    let mut msetnx = args.clone();
    msetnx[0] = "MSETNX".into();
    assert_eq!(c.cmd(&msetnx), Reply::Int(0));
    // One new key among them: still nothing set.
    msetnx.push("noslot:new".into());
    msetnx.push("v".into());
    assert_eq!(c.cmd(&msetnx), Reply::Int(0));
    exists.push("noslot:new".into());
    assert_eq!(c.cmd(&exists), Reply::Int(16));
}

/// One key of every type, all set to expire.
fn expiring_family(c: &mut Resp, tag: &str, ms: &str) -> Vec<String> {
    let keys: Vec<String> = ["s", "h", "l", "set", "z", "x"]
        .iter()
        .map(|t| format!("{{{tag}}}{t}"))
        .collect();
    check!(c, ["SET", &keys[0], "v"], ok());
    check!(c, ["HSET", &keys[1], "f", "v"], i(1));
    check!(c, ["RPUSH", &keys[2], "a", "b"], i(2));
    check!(c, ["SADD", &keys[3], "a", "b"], i(2));
    check!(c, ["ZADD", &keys[4], "1", "a", "2", "b"], i(2));
    check!(c, ["XADD", &keys[5], "1-1", "f", "v"], b("1-1"));
    for k in &keys {
        check!(c, ["PEXPIRE", k, ms], i(1));
    }
    keys
}

#[test]
fn every_type_expires_actively() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys = expiring_family(&mut c, "a", "100");
    // Nothing touches the keys: the server's active expiry removes them.
    let gone = wait_until(Duration::from_secs(3), || {
        c.cmd(&["DBSIZE"]) == Reply::Int(0)
    });
    assert!(gone, "DBSIZE still {:?}", c.cmd(&["DBSIZE"]));
    for k in &keys {
        check!(c, ["EXISTS", k], i(0));
    }
}

/// Keys that expired before a command runs are absent to every command
/// that reads or writes several keys, whatever their type.
#[test]
fn expired_collections_are_absent_to_multi_key_commands() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let k = expiring_family(&mut c, "t", "50");
    check!(c, ["SADD", "{t}live", "a", "c"], i(2));
    check!(c, ["ZADD", "{t}zlive", "5", "a"], i(1));
    check!(c, ["RPUSH", "{t}llive", "x"], i(1));
    std::thread::sleep(Duration::from_millis(150));
    let (s_, h, l, set, z, x) = (&k[0], &k[1], &k[2], &k[3], &k[4], &k[5]);
    // Sources that expired read as empty.
    check!(c, ["SINTERSTORE", "{t}d1", set, "{t}live"], i(0));
    check!(c, ["SUNIONSTORE", "{t}d2", set, "{t}live"], i(2));
    let mut diff: Vec<String> = c
        .cmd(&["SDIFF", "{t}live", set])
        .items()
        .iter()
        .map(|r| r.text())
        .collect();
    diff.sort();
    assert_eq!(diff, ["a", "c"]);
    check!(c, ["ZUNIONSTORE", "{t}d3", "2", z, "{t}zlive"], i(1));
    check!(c, ["ZSCORE", "{t}d3", "a"], b("5"));
    check!(c, ["LMOVE", l, "{t}llive", "LEFT", "LEFT"], Reply::Nil);
    check!(c, ["RPOPLPUSH", l, "{t}llive"], Reply::Nil);
    check!(c, ["SMOVE", set, "{t}live", "a"], i(0));
    check!(c, ["RENAME", h, "{t}h2"], e("ERR no such key"));
    check!(c, ["COPY", z, "{t}z2"], i(0));
    check!(c, ["XREAD", "STREAMS", x, "0"], Reply::Nil);
    check!(c, ["GET", s_], Reply::Nil);
    // Destinations that expired are replaced, not merged or refused.
    check!(c, ["COPY", "{t}live", set], i(1));
    check!(c, ["SCARD", set], i(2));
    check!(c, ["TTL", set], i(-1));
    check!(c, ["LMOVE", "{t}llive", l, "LEFT", "LEFT"], b("x"));
    check!(c, ["LRANGE", l, "0", "-1"], Reply::Array(vec![b("x")]));
    check!(c, ["RENAME", "{t}zlive", z], ok());
    check!(c, ["ZRANGE", z, "0", "-1"], Reply::Array(vec![b("a")]));
    check!(c, ["HSET", h, "g", "w"], i(1));
    check!(c, ["HGETALL", h], Reply::Array(vec![b("g"), b("w")]));
    check!(c, ["XLEN", x], i(0));
    check!(c, ["TYPE", x], Reply::Simple("none".into()));
}
