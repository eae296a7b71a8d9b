use super::*;

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

fn cmd(parts: &[&str]) -> Reply {
    command_reply(&argv(parts))
}

fn b(s: &str) -> Reply {
    bulk(s)
}

fn s(x: &str) -> Reply {
    simple(x)
}

const LISTED: &[&str] = &[
    "ping",
    "echo",
    "hello",
    "quit",
    "reset",
    "auth",
    "acl",
    "select",
    "client",
    "command",
    "info",
    "config",
    "dbsize",
    "flushall",
    "flushdb",
    "time",
    "lastsave",
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mget",
    "mset",
    "msetnx",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "append",
    "strlen",
    "getrange",
    "setrange",
    "substr",
    "lcs",
    "del",
    "unlink",
    "wait",
    "exists",
    "touch",
    "type",
    "rename",
    "renamenx",
    "copy",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "persist",
    "keys",
    "scan",
    "randomkey",
    "object",
    // lists (issue 10)
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "lpop",
    "rpop",
    "llen",
    "lrange",
    "lindex",
    "lset",
    "linsert",
    "lrem",
    "ltrim",
    "lpos",
    "lmove",
    "rpoplpush",
    "lmpop",
    // blocking lists (issue 10)
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    // hashes (issue 10)
    "hset",
    "hsetnx",
    "hmset",
    "hget",
    "hmget",
    "hdel",
    "hlen",
    "hexists",
    "hstrlen",
    "hgetall",
    "hkeys",
    "hvals",
    "hincrby",
    "hincrbyfloat",
    "hscan",
    "hrandfield",
    // sets (issue 10)
    "sadd",
    "srem",
    "scard",
    "sismember",
    "smismember",
    "smembers",
    "spop",
    "srandmember",
    "smove",
    "sinter",
    "sintercard",
    "sunion",
    "sdiff",
    "sinterstore",
    "sunionstore",
    "sdiffstore",
    "sscan",
    // sorted sets (issue 10)
    "zadd",
    "zincrby",
    "zrem",
    "zcard",
    "zscore",
    "zmscore",
    "zrank",
    "zrevrank",
    "zcount",
    "zlexcount",
    "zrange",
    "zrangestore",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zrangebylex",
    "zrevrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "zmpop",
    "zrandmember",
    "zunion",
    "zinter",
    "zdiff",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zintercard",
    "zscan",
    // stream (issue 10)
    "xadd",
    "xlen",
    "xrange",
    "xrevrange",
    "xread",
    "xdel",
    "xtrim",
    "xsetid",
    "xinfo",
    "xgroup",
    "xreadgroup",
    "xack",
    "xpending",
    "xclaim",
    "xautoclaim",
    // hyperloglog (issue 10, slice 5)
    "pfadd",
    "pfcount",
    "pfmerge",
    // geo (issue 10, slice 5)
    "geoadd",
    "geopos",
    "geodist",
    "geohash",
    "geosearch",
    "geosearchstore",
    "georadius",
    "georadiusbymember",
    "georadius_ro",
    "georadiusbymember_ro",
    // bitmap (issue 10, slice 5)
    "setbit",
    "getbit",
    "bitcount",
    "bitpos",
    "bitop",
    "bitfield",
    "bitfield_ro",
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "publish",
    "pubsub",
    "ssubscribe",
    "sunsubscribe",
    "spublish",
    "monitor",
];

const LISTED_SUBS: &[(&str, &[&str])] = &[
    (
        "acl",
        &[
            "cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "load", "log",
            "save", "setuser", "users", "whoami",
        ],
    ),
    (
        "client",
        &[
            "id",
            "setname",
            "getname",
            "list",
            "info",
            "kill",
            "no-evict",
            "help",
            "tracking",
            "caching",
            "getredir",
            "trackinginfo",
        ],
    ),
    (
        "command",
        &["count", "info", "docs", "list", "getkeys", "help"],
    ),
    ("config", &["get", "set", "resetstat", "help"]),
    (
        "pubsub",
        &[
            "channels",
            "help",
            "numpat",
            "numsub",
            "shardchannels",
            "shardnumsub",
        ],
    ),
    (
        "object",
        &["encoding", "freq", "idletime", "refcount", "help"],
    ),
    ("xinfo", &["consumers", "groups", "stream"]),
    (
        "xgroup",
        &[
            "create",
            "createconsumer",
            "delconsumer",
            "destroy",
            "setid",
        ],
    ),
];

#[test]
fn finds_every_listed_command_in_any_case() {
    for name in LISTED {
        let spec = lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(spec.name, *name);
        let upper = name.to_ascii_uppercase();
        assert_eq!(lookup(upper.as_bytes()).map(|s| s.name), Some(*name));
        let mixed: String = name
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(lookup(mixed.as_bytes()).map(|s| s.name), Some(*name));
    }
    assert_eq!(listed().count(), LISTED.len());
}

#[test]
fn finds_every_listed_subcommand() {
    for (parent, subs) in LISTED_SUBS {
        let spec = lookup(parent.as_bytes()).unwrap_or_else(|| panic!("{parent} missing"));
        for sub in *subs {
            let found = lookup_subcommand(spec, sub.to_ascii_uppercase().as_bytes())
                .unwrap_or_else(|| panic!("{parent} {sub} missing"));
            assert_eq!(found.name, format!("{parent}|{sub}"));
            assert_eq!(
                lookup_full_name(format!("{}|{}", parent.to_ascii_uppercase(), sub).as_bytes())
                    .map(|s| s.name),
                Some(found.name)
            );
        }
        assert!(lookup_subcommand(spec, b"nosuch").is_none());
    }
}

#[test]
fn lookup_rejects_non_commands() {
    for name in [
        &b""[..],
        b"ge",
        b"gett",
        b"client|list",
        b"nosuchcommand",
        b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        b"g\xffet",
    ] {
        assert!(
            lookup(name).is_none(),
            "{:?}",
            String::from_utf8_lossy(name)
        );
    }
    assert!(lookup_full_name(b"get|x").is_none());
    assert!(lookup_full_name(b"client|list|x").is_none());
    assert!(lookup_full_name(b"client|").is_none());
}

#[test]
fn arity_errors_have_redis_text() {
    let get = lookup(b"GET").unwrap();
    assert_eq!(check_arity(get, 2), Ok(()));
    assert_eq!(
        check_arity(get, 1),
        Err(Reply::err(
            "ERR wrong number of arguments for 'get' command"
        ))
    );
    assert!(check_arity(get, 3).is_err());
    let mset = lookup(b"mset").unwrap();
    assert!(check_arity(mset, 2).is_err());
    assert_eq!(check_arity(mset, 3), Ok(()));
    assert_eq!(check_arity(mset, 100), Ok(()));
    let kill = lookup_subcommand(lookup(b"client").unwrap(), b"KILL").unwrap();
    assert_eq!(
        check_arity(kill, 2),
        Err(Reply::err(
            "ERR wrong number of arguments for 'client|kill' command"
        ))
    );
    assert_eq!(check_arity(kill, 3), Ok(()));
}

fn keys_of(parts: &[&str]) -> Vec<usize> {
    let args = argv(parts);
    let mut spec = lookup(args[0].as_ref()).unwrap();
    if spec.is_container() {
        spec = lookup_subcommand(spec, args[1].as_ref()).unwrap();
    }
    key_indexes(spec, &args)
}

#[test]
fn key_positions() {
    assert_eq!(keys_of(&["SET", "k", "v", "EX", "10"]), vec![1]);
    assert_eq!(
        keys_of(&["MSET", "a", "1", "b", "2", "c", "3"]),
        vec![1, 3, 5]
    );
    // Odd MSET: the command reports the error; extraction must not panic.
    assert_eq!(keys_of(&["MSET", "a", "1", "b"]), vec![1, 3]);
    assert_eq!(keys_of(&["DEL", "a", "b", "c"]), vec![1, 2, 3]);
    assert_eq!(keys_of(&["MGET", "a"]), vec![1]);
    assert_eq!(keys_of(&["COPY", "src", "dst", "REPLACE"]), vec![1, 2]);
    assert_eq!(keys_of(&["RENAME", "a", "b"]), vec![1, 2]);
    assert_eq!(keys_of(&["OBJECT", "ENCODING", "k"]), vec![2]);
    assert_eq!(keys_of(&["GETEX", "k", "PX", "100"]), vec![1]);
    assert_eq!(keys_of(&["LCS", "a", "b", "LEN"]), vec![1, 2]);
    assert!(keys_of(&["KEYS", "*"]).is_empty());
    assert!(keys_of(&["SCAN", "0"]).is_empty());
    assert!(keys_of(&["PING"]).is_empty());
    // Too short for the declared key range.
    assert!(key_indexes(lookup(b"get").unwrap(), &argv(&["GET"])).is_empty());
}

#[test]
fn routes() {
    let route = |n: &str| lookup(n.as_bytes()).unwrap().route;
    assert_eq!(route("ping"), Route::Server);
    assert_eq!(route("get"), Route::Keyed { write: false });
    assert_eq!(route("mset"), Route::Keyed { write: true });
    assert_eq!(
        route("del"),
        Route::PerKey {
            write: true,
            merge: Merge::Sum
        }
    );
    assert_eq!(
        route("mget"),
        Route::PerKey {
            write: false,
            merge: Merge::InOrder
        }
    );
    assert_eq!(
        route("keys"),
        Route::AllGroups {
            write: false,
            merge: Merge::Concat
        }
    );
    assert_eq!(
        route("flushall"),
        Route::AllGroups {
            write: true,
            merge: Merge::AllOk
        }
    );
    assert_eq!(
        route("randomkey"),
        Route::AllGroups {
            write: false,
            merge: Merge::AnyNonNil
        }
    );
    assert_eq!(route("scan"), Route::Slot);
    let object = lookup(b"object").unwrap();
    assert_eq!(
        lookup_subcommand(object, b"encoding").unwrap().route,
        Route::Keyed { write: false }
    );
    assert_eq!(
        lookup_subcommand(object, b"help").unwrap().route,
        Route::Server
    );
}

const FLAG_ORDER: &[&str] = &[
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "no_mandatory_keys",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
];

const ACL_ORDER: &[&str] = &[
    "@keyspace",
    "@read",
    "@write",
    "@set",
    "@sortedset",
    "@list",
    "@hash",
    "@string",
    "@bitmap",
    "@hyperloglog",
    "@geo",
    "@stream",
    "@pubsub",
    "@admin",
    "@fast",
    "@slow",
    "@blocking",
    "@dangerous",
    "@connection",
    "@transaction",
    "@scripting",
];

const KEY_FLAG_ORDER: &[&str] = &[
    "RO",
    "RW",
    "OW",
    "RM",
    "access",
    "update",
    "insert",
    "delete",
    "not_key",
    "incomplete",
    "variable_flags",
];

fn in_order(items: &[&str], order: &[&str]) -> bool {
    let pos: Option<Vec<usize>> = items
        .iter()
        .map(|i| order.iter().position(|o| o == i))
        .collect();
    pos.is_some_and(|p| p.windows(2).all(|w| w[0] < w[1]))
}

/// Every Redis command and subcommand the table lists.
fn every_spec() -> Vec<&'static CommandSpec> {
    listed()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
        .collect()
}

/// Every entry, unlisted and internal ones included.
fn every_entry() -> Vec<&'static CommandSpec> {
    all()
        .iter()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
        .collect()
}

/// What Redis derives when it loads a command; every entry must already
/// hold the derived values, so a new entry written by hand is checked here.
#[test]
fn entries_are_internally_consistent() {
    for spec in every_spec() {
        let n = spec.name;
        assert!(
            in_order(spec.flags, FLAG_ORDER),
            "{n} flags {:?}",
            spec.flags
        );
        let cats = spec.acl_categories;
        assert!(in_order(cats, ACL_ORDER), "{n} categories {cats:?}");
        let has = |c: &str| cats.contains(&c);
        assert_eq!(spec.has_flag("write"), has("@write"), "{n}");
        if spec.has_flag("readonly") {
            assert!(has("@read"), "{n}");
        }
        if spec.has_flag("admin") {
            assert!(has("@admin") && has("@dangerous"), "{n}");
        }
        assert_eq!(spec.has_flag("fast"), has("@fast"), "{n}");
        assert_ne!(has("@fast"), has("@slow"), "{n}");
        assert_eq!(spec.name, spec.name.to_ascii_lowercase(), "{n}");
        assert!(spec.arity != 0, "{n}");
        assert!(!spec.summary.is_empty() && !spec.since.is_empty(), "{n}");
        // MONITOR is the one command Redis 7.0 documents without one.
        assert!(
            !spec.group.is_empty() && (!spec.complexity.is_empty() || spec.name == "monitor"),
            "{n}"
        );
        for ks in spec.key_specs {
            assert!(in_order(ks.flags, KEY_FLAG_ORDER), "{n} key flags");
        }
        for tip in spec.tips {
            assert_eq!(*tip, tip.to_ascii_lowercase(), "{n}");
        }
        check_arg_key_specs(spec, spec.args);
        // Legacy range and `movablekeys` derived from the key specs, as
        // Redis does.
        let (expected, movable) = legacy_range(spec.key_specs);
        assert_eq!((spec.first_key, spec.last_key, spec.step), expected, "{n}");
        assert_eq!(spec.has_flag("movablekeys"), movable, "{n}");
        // Routing agrees with the flags.
        match spec.route {
            Route::Keyed { write } | Route::PerKey { write, .. } => {
                assert_eq!(write, spec.is_write(), "{n}");
                assert!(
                    spec.has_keys() || spec.is_container(),
                    "{n} routed by key without keys"
                );
            }
            Route::AllGroups { write, .. } => {
                assert_eq!(write, spec.is_write(), "{n}");
                assert!(!spec.has_keys(), "{n}");
            }
            Route::Server | Route::Slot => assert!(!spec.has_keys(), "{n}"),
        }
        // Subcommands: `parent|sub`, sorted, each findable.
        for sub in spec.subcommands {
            assert_eq!(sub.name.split_once('|').map(|p| p.0), Some(n));
            assert!(sub.subcommands.is_empty());
        }
        let names: Vec<&str> = spec.subcommands.iter().map(|s| s.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "{n}");
    }
}

/// Redis 7.0's `populateCommandLegacyRangeSpec` as `COMMAND INFO` shows it:
/// the (first, last, step) key range and whether the command is
/// `movablekeys` (some key is outside that range: keyword or keynum specs,
/// a range that is not step 1 or not adjacent, an incomplete spec).
fn legacy_range(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    let index_range = |ks: &KeySpec| match (ks.begin_search, ks.find_keys) {
        (
            BeginSearch::Index(pos),
            FindKeys::Range {
                last_key, key_step, ..
            },
        ) => Some((pos, last_key, key_step)),
        _ => None,
    };
    let absolute = |pos: i32, last_key: i32| {
        if last_key >= 0 {
            pos + last_key
        } else {
            last_key
        }
    };
    let incomplete = |ks: &KeySpec| ks.flags.contains(&"incomplete");
    match specs {
        [] => return ((0, 0, 0), false),
        [ks] => {
            if let Some((pos, last_key, step)) = index_range(ks) {
                return ((pos, absolute(pos, last_key), step), incomplete(ks));
            }
        }
        _ => {}
    }
    let (mut first, mut last, mut prev_last, mut movable) = (i32::MAX, 0i32, 0i32, false);
    for ks in specs {
        let Some((pos, last_key, step)) = index_range(ks) else {
            movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != pos - 1) {
            movable = true;
            continue;
        }
        movable |= incomplete(ks);
        first = first.min(pos);
        let abs = absolute(pos, last_key);
        // Redis compares these as unsigned: a count from the end wins.
        if (abs as u32) > (last as u32) {
            last = abs;
        }
        prev_last = last;
    }
    if first == i32::MAX {
        return ((0, 0, 0), true);
    }
    ((first, last, 1), movable)
}

fn check_arg_key_specs(spec: &CommandSpec, args: &[Arg]) {
    for a in args {
        if let Some(i) = a.key_spec_index {
            assert!((i as usize) < spec.key_specs.len(), "{}", spec.name);
        }
        if matches!(a.kind, ArgType::OneOf | ArgType::Block) {
            assert!(!a.args.is_empty(), "{} {}", spec.name, a.name);
        }
        check_arg_key_specs(spec, a.args);
    }
}

#[test]
fn command_count_is_the_table_size() {
    assert_eq!(
        cmd(&["COMMAND", "COUNT"]),
        Reply::Integer(listed().count() as i64)
    );
    assert_eq!(
        cmd(&["command", "count"]),
        Reply::Integer(LISTED.len() as i64)
    );
}

fn get_key_spec() -> Reply {
    Reply::Map(vec![
        (b("flags"), Reply::Set(vec![s("RO"), s("access")])),
        (
            b("begin_search"),
            Reply::Map(vec![
                (b("type"), b("index")),
                (b("spec"), Reply::Map(vec![(b("index"), Reply::Integer(1))])),
            ]),
        ),
        (
            b("find_keys"),
            Reply::Map(vec![
                (b("type"), b("range")),
                (
                    b("spec"),
                    Reply::Map(vec![
                        (b("lastkey"), Reply::Integer(0)),
                        (b("keystep"), Reply::Integer(1)),
                        (b("limit"), Reply::Integer(0)),
                    ]),
                ),
            ]),
        ),
    ])
}

#[test]
fn command_info_get_matches_redis_7_0() {
    let expected = Reply::Array(vec![
        b("get"),
        Reply::Integer(2),
        Reply::Set(vec![s("readonly"), s("fast")]),
        Reply::Integer(1),
        Reply::Integer(1),
        Reply::Integer(1),
        Reply::Set(vec![s("@read"), s("@string"), s("@fast")]),
        Reply::Set(vec![]),
        Reply::Set(vec![get_key_spec()]),
        Reply::Set(vec![]),
    ]);
    assert_eq!(
        cmd(&["COMMAND", "INFO", "get"]),
        Reply::Array(vec![expected.clone()])
    );
    assert_eq!(
        cmd(&["command", "info", "GET", "nosuch", "get"]),
        Reply::Array(vec![expected.clone(), Reply::Nil, expected])
    );
}

#[test]
fn command_info_of_other_shapes() {
    // MSET: step 2 to the end, and tips.
    let Reply::Array(entries) = cmd(&["COMMAND", "INFO", "mset"]) else {
        panic!("not an array")
    };
    let Some(Reply::Array(mset)) = entries.first() else {
        panic!("no entry")
    };
    assert_eq!(mset[1], Reply::Integer(-3));
    assert_eq!(mset[2], Reply::Set(vec![s("write"), s("denyoom")]));
    assert_eq!(
        (&mset[3], &mset[4], &mset[5]),
        (&Reply::Integer(1), &Reply::Integer(-1), &Reply::Integer(2))
    );
    assert_eq!(
        mset[6],
        Reply::Set(vec![s("@write"), s("@string"), s("@slow")])
    );
    assert_eq!(
        mset[7],
        Reply::Set(vec![
            b("request_policy:multi_shard"),
            b("response_policy:all_succeeded")
        ])
    );
    // A container lists its subcommands as full entries, in an array.
    let Reply::Array(entries) = cmd(&["COMMAND", "INFO", "client", "client|list"]) else {
        panic!("not an array")
    };
    let Some(Reply::Array(client)) = entries.first() else {
        panic!("no entry")
    };
    assert_eq!(client[0], b("client"));
    assert_eq!(client[1], Reply::Integer(-2));
    assert_eq!(client[2], Reply::Set(vec![]));
    assert_eq!(client[6], Reply::Set(vec![s("@slow")]));
    let Reply::Array(subs) = &client[9] else {
        panic!("subcommands not an array")
    };
    assert_eq!(subs.len(), 13);
    let Some(Reply::Array(list)) = entries.get(1) else {
        panic!("no client|list entry")
    };
    assert_eq!(list[0], b("client|list"));
    assert_eq!(
        list[2],
        Reply::Set(vec![s("admin"), s("noscript"), s("loading"), s("stale")])
    );
    assert_eq!(
        list[6],
        Reply::Set(vec![
            s("@admin"),
            s("@slow"),
            s("@dangerous"),
            s("@connection")
        ])
    );
    assert!(subs.contains(&Reply::Array(list.clone())));
    // SET's key spec carries its notes first.
    let Reply::Array(entries) = cmd(&["COMMAND", "INFO", "set"]) else {
        panic!("not an array")
    };
    let Some(Reply::Array(set)) = entries.first() else {
        panic!("no entry")
    };
    let Reply::Set(specs) = &set[8] else {
        panic!("key specs not a set")
    };
    let Some(Reply::Map(spec)) = specs.first() else {
        panic!("no key spec")
    };
    assert_eq!(
        spec[0],
        (
            b("notes"),
            b("RW and ACCESS due to the optional `GET` argument")
        )
    );
    assert_eq!(
        spec[1].1,
        Reply::Set(vec![s("RW"), s("access"), s("update"), s("variable_flags")])
    );
}

#[test]
fn bare_command_lists_every_command() {
    let Reply::Array(all_entries) = cmd(&["COMMAND"]) else {
        panic!("not an array")
    };
    assert_eq!(all_entries.len(), listed().count());
    assert_eq!(cmd(&["COMMAND", "INFO"]), Reply::Array(all_entries));
}

#[test]
fn command_docs_shape() {
    let docs = cmd(&["COMMAND", "DOCS", "get", "nosuch"]);
    let expected = Reply::Map(vec![(
        b("get"),
        Reply::Map(vec![
            (b("summary"), b("Get the value of a key")),
            (b("since"), b("1.0.0")),
            (b("group"), b("string")),
            (b("complexity"), b("O(1)")),
            (
                b("arguments"),
                Reply::Array(vec![Reply::Map(vec![
                    (b("name"), b("key")),
                    (b("type"), b("key")),
                    (b("key_spec_index"), Reply::Integer(0)),
                ])]),
            ),
        ]),
    )]);
    assert_eq!(docs, expected);

    let Reply::Map(docs) = cmd(&["COMMAND", "DOCS", "getset"]) else {
        panic!("not a map")
    };
    let Some((_, Reply::Map(getset))) = docs.first() else {
        panic!("no getset")
    };
    let keys: Vec<&Reply> = getset.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "summary",
            "since",
            "group",
            "complexity",
            "doc_flags",
            "deprecated_since",
            "replaced_by",
            "arguments"
        ]
        .map(b)
        .iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(getset[4].1, Reply::Set(vec![s("deprecated")]));

    let Reply::Map(docs) = cmd(&["COMMAND", "DOCS", "client"]) else {
        panic!("not a map")
    };
    let Some((name, Reply::Map(client))) = docs.first() else {
        panic!("no client")
    };
    assert_eq!(*name, b("client"));
    let Some((_, Reply::Map(subs))) = client.iter().find(|(k, _)| *k == b("subcommands")) else {
        panic!("no subcommands map")
    };
    assert_eq!(subs.len(), 13);
    assert!(subs.iter().any(|(k, _)| *k == b("client|kill")));

    let Reply::Map(everything) = cmd(&["COMMAND", "DOCS"]) else {
        panic!("not a map")
    };
    assert_eq!(everything.len(), listed().count());
}

#[test]
fn command_docs_nested_arguments() {
    let Reply::Map(docs) = cmd(&["COMMAND", "DOCS", "set"]) else {
        panic!("not a map")
    };
    let Some((_, Reply::Map(set))) = docs.first() else {
        panic!("no set")
    };
    let Some((_, Reply::Array(args))) = set.iter().find(|(k, _)| *k == b("arguments")) else {
        panic!("no arguments")
    };
    assert_eq!(
        args[2],
        Reply::Map(vec![
            (b("name"), b("condition")),
            (b("type"), b("oneof")),
            (b("since"), b("2.6.12")),
            (b("flags"), Reply::Set(vec![s("optional")])),
            (
                b("arguments"),
                Reply::Array(vec![
                    Reply::Map(vec![
                        (b("name"), b("nx")),
                        (b("type"), b("pure-token")),
                        (b("token"), b("NX")),
                    ]),
                    Reply::Map(vec![
                        (b("name"), b("xx")),
                        (b("type"), b("pure-token")),
                        (b("token"), b("XX")),
                    ]),
                ]),
            ),
        ])
    );
}

/// Redis's generate-command-code.py uppercases every argument token (the
/// JSON of CLIENT LIST/KILL spells `normal`, Redis prints `NORMAL`).
#[test]
fn argument_tokens_are_uppercase_like_redis() {
    fn walk(name: &str, args: &[Arg]) {
        for a in args {
            if let Some(t) = a.token {
                assert_eq!(t, t.to_ascii_uppercase(), "{name} {}", a.name);
            }
            walk(name, a.args);
        }
    }
    for spec in every_spec() {
        walk(spec.name, spec.args);
    }
}

fn names(reply: Reply) -> Vec<String> {
    let Reply::Array(items) = reply else {
        panic!("not an array: {reply:?}")
    };
    items
        .into_iter()
        .map(|i| match i {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect()
}

#[test]
fn command_list_and_filters() {
    let names_listed = names(cmd(&["COMMAND", "LIST"]));
    let total: usize = listed().map(|c| 1 + c.subcommands.len()).sum();
    assert_eq!(names_listed.len(), total);
    assert!(names_listed.contains(&"client|list".to_string()));

    let mut get = names(cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "GET*"]));
    get.sort();
    assert_eq!(
        get,
        ["get", "getbit", "getdel", "getex", "getrange", "getset"]
    );
    let subs = names(cmd(&["command", "list", "filterby", "pattern", "config|*"]));
    assert_eq!(
        subs,
        [
            "config|get",
            "config|help",
            "config|resetstat",
            "config|set"
        ]
    );

    let strings = names(cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"]));
    assert!(strings.contains(&"get".to_string()) && strings.contains(&"lcs".to_string()));
    assert!(!strings.contains(&"del".to_string()));
    assert!(names(cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"])).is_empty());
    assert!(names(cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "m"])).is_empty());

    let syntax = Reply::err("ERR syntax error");
    assert_eq!(cmd(&["COMMAND", "LIST", "FILTERBY", "NAME", "x"]), syntax);
    assert_eq!(cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN"]), syntax);
    assert_eq!(cmd(&["COMMAND", "LIST", "x"]), syntax);
}

#[test]
fn command_getkeys() {
    assert_eq!(
        names(cmd(&["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"])),
        ["a", "b"]
    );
    assert_eq!(
        names(cmd(&["COMMAND", "GETKEYS", "set", "k", "v", "EX", "1"])),
        ["k"]
    );
    assert_eq!(
        names(cmd(&["COMMAND", "GETKEYS", "object", "encoding", "k"])),
        ["k"]
    );
    assert_eq!(
        names(cmd(&["COMMAND", "GETKEYS", "copy", "a", "b", "DB", "1"])),
        ["a", "b"]
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "nosuch", "x"]),
        Reply::err("ERR Invalid command specified")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "client", "nosuch"]),
        Reply::err("ERR Invalid command specified")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        Reply::err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "object", "encoding"]),
        Reply::err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "ping", "x"]),
        Reply::err("ERR The command has no key arguments")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "client", "list"]),
        Reply::err("ERR The command has no key arguments")
    );
    // Redis 7.0's COMMAND GETKEYS has arity -4.
    assert_eq!(
        cmd(&["COMMAND", "GETKEYS", "get"]),
        Reply::err("ERR wrong number of arguments for 'command|getkeys' command")
    );
    assert_eq!(
        cmd(&["COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"]),
        Reply::Array(vec![
            Reply::Array(vec![
                b("a"),
                Reply::Set(vec![s("RW"), s("access"), s("delete")])
            ]),
            Reply::Array(vec![b("b"), Reply::Set(vec![s("OW"), s("update")])]),
        ])
    );
}

#[test]
fn command_errors_and_help() {
    assert_eq!(
        cmd(&["COMMAND", "nosuch"]),
        Reply::err("ERR unknown subcommand 'nosuch'. Try COMMAND HELP.")
    );
    assert_eq!(
        cmd(&["COMMAND", "COUNT", "x"]),
        Reply::err("ERR wrong number of arguments for 'command|count' command")
    );
    let Reply::Array(help) = cmd(&["command", "help"]) else {
        panic!("help not an array")
    };
    assert_eq!(
        help.first(),
        Some(&s(
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        ))
    );
    assert_eq!(help.last(), Some(&s("    Prints this help.")));
    assert_eq!(help.len(), COMMAND_HELP.len() + 3);
}

#[test]
fn glob() {
    assert!(glob_match(b"*", b"", false));
    assert!(glob_match(b"g?t", b"get", false));
    assert!(glob_match(b"G*", b"getrange", true));
    assert!(!glob_match(b"G*", b"getrange", false));
    assert!(glob_match(b"*range", b"getrange", false));
    assert!(glob_match(b"h[ae]llo", b"hello", false));
    assert!(!glob_match(b"h[^e]llo", b"hello", false));
    assert!(glob_match(b"h[a-f]llo", b"hello", false));
    assert!(glob_match(b"h[f-a]llo", b"hello", false));
    assert!(glob_match(b"a\\*b", b"a*b", false));
    assert!(!glob_match(b"a\\*b", b"axb", false));
    assert!(glob_match(b"*a*b*c*", b"xxaxxbxxcxx", false));
    assert!(!glob_match(b"*a*b*c*d", b"xxaxxbxxcxx", false));
    assert!(!glob_match(b"abc", b"ab", false));
    assert!(!glob_match(b"ab", b"abc", false));
}

#[test]
fn resolve_dispatches_like_redis() {
    let r = |parts: &[&str]| resolve(&argv(parts)).map(|s| s.name);
    assert_eq!(r(&["get", "k"]), Ok("get"));
    assert_eq!(r(&["CLIENT", "List"]), Ok("client|list"));
    assert_eq!(r(&["object", "ENCODING", "k"]), Ok("object|encoding"));
    assert_eq!(
        r(&["nosuch", "a", "b"]),
        Err(Reply::err(
            "ERR unknown command 'nosuch', with args beginning with: 'a' 'b' "
        ))
    );
    assert_eq!(
        r(&["client", "bogus"]),
        Err(Reply::err(
            "ERR unknown subcommand 'bogus'. Try CLIENT HELP."
        ))
    );
    assert_eq!(
        r(&["client"]),
        Err(Reply::err(
            "ERR wrong number of arguments for 'client' command"
        ))
    );
    assert_eq!(
        r(&["get"]),
        Err(Reply::err(
            "ERR wrong number of arguments for 'get' command"
        ))
    );
    assert_eq!(
        r(&["config", "get"]),
        Err(Reply::err(
            "ERR wrong number of arguments for 'config|get' command"
        ))
    );
}

const HIDDEN: &[(&str, Visibility)] = &[
    ("multi", Visibility::Unlisted),
    ("exec", Visibility::Unlisted),
    ("discard", Visibility::Unlisted),
    ("watch", Visibility::Unlisted),
    ("unwatch", Visibility::Unlisted),
    ("eval", Visibility::Unlisted),
    ("evalsha", Visibility::Unlisted),
    ("eval_ro", Visibility::Unlisted),
    ("evalsha_ro", Visibility::Unlisted),
    ("fcall", Visibility::Unlisted),
    ("fcall_ro", Visibility::Unlisted),
    ("script", Visibility::Unlisted),
    ("function", Visibility::Unlisted),
    ("cluster", Visibility::Unlisted),
    ("corekv.member", Visibility::Unlisted),
    ("corekv.debug", Visibility::Unlisted),
    ("corekv.txprep", Visibility::Internal),
    ("corekv.txprepall", Visibility::Internal),
    ("corekv.txcommit", Visibility::Internal),
    ("corekv.txabort", Visibility::Internal),
    ("corekv.txresolve", Visibility::Internal),
    ("corekv.txforget", Visibility::Internal),
    ("corekv.multi", Visibility::Internal),
    ("corekv.txwatch", Visibility::Internal),
    ("corekv.txunwatch", Visibility::Internal),
    ("corekv.txsnap", Visibility::Internal),
    ("corekv.txsnaphold", Visibility::Internal),
    ("corekv.txcheck", Visibility::Internal),
    ("corekv.txalive", Visibility::Internal),
    ("corekv.pub", Visibility::Internal),
    ("corekv.proxied", Visibility::Internal),
    ("corekv.at", Visibility::Internal),
    ("corekv.at2", Visibility::Internal),
    ("corekv.replicas", Visibility::Internal),
    ("corekv.cluster", Visibility::Internal),
    ("corekv.groupadmin", Visibility::Internal),
    ("corekv.aclop", Visibility::Internal),
    ("corekv.countkeysinslot", Visibility::Internal),
    ("corekv.getkeysinslot", Visibility::Internal),
    ("corekv.expireif", Visibility::Internal),
    ("corekv.xreadblock", Visibility::Internal),
    ("corekv.bprobe", Visibility::Internal),
    ("corekv.getpaged", Visibility::Internal),
];

/// The table is the one registry: every entry has a handler that agrees
/// with its route and flags, every family function (`core/src/cmd/*.rs`
/// `HANDLERS`) belongs to exactly one entry and every data entry's
/// function is in a family's list, and every `ServerCmd` belongs to
/// exactly one entry.
#[test]
fn every_entry_has_a_handler_and_every_handler_an_entry() {
    let family = crate::cmd::family_handlers();
    let mut family_names: Vec<&str> = family.iter().map(|(n, _)| *n).collect();
    family_names.sort_unstable();
    let before = family_names.len();
    family_names.dedup();
    assert_eq!(before, family_names.len(), "a name twice in the families");
    let mut data_entries = 0;
    let mut server_cmds: Vec<ServerCmd> = Vec::new();
    for spec in every_entry() {
        let n = spec.name;
        match spec.handler {
            Handler::Missing => panic!("{n} has no handler"),
            Handler::Container => {
                assert!(spec.is_container(), "{n}: Container without subcommands");
                // resolve never returns a container with arity <= -2.
                assert!(spec.arity <= -2, "{n}: a container must need a subcommand");
            }
            Handler::Read(_) | Handler::Write { .. } => {
                data_entries += 1;
                let Some((_, h)) = family.iter().find(|(f, _)| *f == n) else {
                    panic!("{n}: its handler is in no family's HANDLERS");
                };
                assert!(*h == spec.handler, "{n}: the family lists another function");
                // Data commands reach a group: never Route::Server.
                let write = match spec.route {
                    Route::Server => panic!("{n}: a data handler routed to the server"),
                    // argv[1] names the group: reads (SCAN) and the
                    // transaction commands (writes) alike.
                    Route::Slot => spec.handler.is_write(),
                    Route::Keyed { write }
                    | Route::PerKey { write, .. }
                    | Route::AllGroups { write, .. } => write,
                };
                assert_eq!(write, spec.handler.is_write(), "{n}: route vs handler");
                assert_eq!(spec.is_write(), spec.handler.is_write(), "{n}: flags");
            }
            Handler::Server(c) => {
                assert_eq!(spec.route, Route::Server, "{n}");
                assert!(!server_cmds.contains(&c), "{n}: {c:?} has two entries");
                server_cmds.push(c);
            }
        }
    }
    assert_eq!(
        data_entries,
        family.len(),
        "a family handler has no table entry"
    );
    for c in ServerCmd::all() {
        assert!(server_cmds.contains(&c), "{c:?} has no table entry");
    }
    assert_eq!(server_cmds.len(), ServerCmd::all().len());
}

/// A function that two entries share, or that the family list names
/// under another entry, is caught (the check above is not vacuous).
#[test]
fn handler_equality_tells_functions_apart() {
    let get = lookup(b"get").unwrap().handler;
    let mget = lookup(b"mget").unwrap().handler;
    let set = lookup(b"set").unwrap().handler;
    let setnx = lookup(b"setnx").unwrap().handler;
    assert!(get == lookup(b"GET").unwrap().handler);
    assert!(get != mget && set != setnx && get != set);
    assert!(
        lookup(b"flushall").unwrap().handler != lookup(b"flushdb").unwrap().handler,
        "a shared precheck does not make two writes one"
    );
}

#[test]
fn unlisted_and_internal_commands_are_never_shown() {
    for (name, vis) in HIDDEN {
        let spec = lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(spec.visibility, *vis, "{name}");
        assert!(!spec.is_listed(), "{name}");
        assert_eq!(
            cmd(&["COMMAND", "INFO", name]),
            Reply::Array(vec![Reply::Nil])
        );
        assert_eq!(cmd(&["COMMAND", "DOCS", name]), Reply::Map(Vec::new()));
        assert_eq!(
            cmd(&["COMMAND", "GETKEYS", name, "a", "b"]),
            Reply::err("ERR Invalid command specified")
        );
        assert!(!names(cmd(&["COMMAND", "LIST"])).iter().any(|n| n == name));
        let Reply::Array(every) = cmd(&["COMMAND"]) else {
            panic!("COMMAND is not an array")
        };
        assert!(
            !every
                .iter()
                .any(|e| matches!(e, Reply::Array(f) if f.first() == Some(&b(name)))),
            "{name}"
        );
    }
    let hidden = every_entry().iter().filter(|s| !s.is_listed()).count();
    assert_eq!(hidden, HIDDEN.len());
    assert_eq!(all().len(), LISTED.len() + HIDDEN.len());
    // But dispatch finds them (io decides who may run them).
    assert_eq!(
        resolve(&argv(&["COREKV.EXPIREIF", "k"])).map(|s| s.name),
        Ok("corekv.expireif")
    );
    assert_eq!(
        resolve(&argv(&["corekv.at", "1"])),
        Err(Reply::err(
            "ERR wrong number of arguments for 'corekv.at' command"
        ))
    );
}

#[test]
fn heavy_commands_are_flagged_and_numbered() {
    assert_eq!(
        HEAVY,
        [
            "getrange",
            "substr",
            "keys",
            "scan",
            "lrange",
            "lpos",
            "hgetall",
            "hkeys",
            "hvals",
            "hscan",
            "hrandfield",
            "smembers",
            "srandmember",
            "sinter",
            "sintercard",
            "sunion",
            "sdiff",
            "sscan",
            "zrank",
            "zrevrank",
            "zcount",
            "zlexcount",
            "zrange",
            "zrevrange",
            "zrangebyscore",
            "zrevrangebyscore",
            "zrangebylex",
            "zrevrangebylex",
            "zrandmember",
            "zunion",
            "zinter",
            "zdiff",
            "zintercard",
            "zscan",
            "xrange",
            "xrevrange",
            "xread",
            "pfcount",
            "geosearch",
            "georadius_ro",
            "georadiusbymember_ro",
            "bitcount",
            "bitpos",
            "corekv.getpaged"
        ]
    );
    assert_eq!(HEAVY_COUNT, 44);
    for spec in every_entry() {
        let id = heavy_id(spec);
        assert_eq!(id.is_some(), spec.heavy, "{}", spec.name);
        if let Some(id) = id {
            assert_eq!(HEAVY.get(id), Some(&spec.name));
            // Heavy means a read the pool runs on a snapshot.
            assert!(matches!(spec.handler, Handler::Read(_)), "{}", spec.name);
        }
        // Only top-level entries are numbered.
        for sub in spec.subcommands {
            assert!(!sub.heavy, "{}", sub.name);
        }
    }
    for spec in every_entry() {
        if spec.heavy {
            assert!(may_be_heavy(spec.name.as_bytes()), "{}", spec.name);
        }
    }
    assert!(!may_be_heavy(b"get") && !may_be_heavy(&[b'k'; 200]));
    assert_eq!(heavy_id(lookup(b"KEYS").unwrap()), Some(2));
    assert_eq!(heavy_id(lookup(b"scan").unwrap()), Some(3));
    assert_eq!(heavy_id(lookup(b"get").unwrap()), None);
}

#[test]
fn find_skips_the_arity_check() {
    let f = |parts: &[&str]| find(&argv(parts)).map(|s| s.name);
    assert_eq!(f(&["GET"]), Some("get"));
    assert_eq!(f(&["object", "Encoding"]), Some("object|encoding"));
    assert_eq!(f(&["object"]), Some("object"));
    assert_eq!(f(&["object", "nosuch"]), None);
    assert_eq!(f(&["nosuch"]), None);
    assert_eq!(f(&[]), None);
}
