//! AUTH and ACL (Redis 7.0): NOAUTH for a client without credentials,
//! AUTH / HELLO AUTH / requirepass, ACL refusals for every category, key
//! patterns by read/write access, the ACL LOG, GETUSER's shape in RESP2 and
//! RESP3, SETUSER's error texts; corekv only: `--requirepass`, `--aclfile`
//! with ACL SAVE/LOAD across a restart, and users replicated to every node
//! of a 3-node cluster.

use corekv_tests::{Reply, Resp, Server, corekv_only, start_cluster};
use std::time::{Duration, Instant};

fn ok() -> Reply {
    Reply::ok()
}

fn err(s: &str) -> Reply {
    Reply::err(s)
}

fn noperm_cmd(name: &str) -> Reply {
    err(&format!(
        "NOPERM this user has no permissions to run the '{name}' command"
    ))
}

const NOPERM_KEY: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
const NOAUTH: &str = "NOAUTH Authentication required.";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// A connection authenticated as `user`.
fn login(s: &Server, user: &str, pass: &str) -> Resp {
    let mut c = s.resp();
    assert_eq!(c.cmd(&["AUTH", user, pass]), ok(), "AUTH {user}");
    c
}

/// `COMMAND INFO name`: (arity, flags), for a command a client can send
/// as is: not a container (whose bare name is an unknown subcommand), not
/// one Redis refuses before authentication (DEBUG, MODULE: protected).
fn command_info(c: &mut Resp, name: &str) -> Option<(i64, Vec<String>)> {
    if ["debug", "module"].contains(&name.split('|').next().unwrap_or(name)) {
        return None;
    }
    let r = c.cmd(&["COMMAND", "INFO", name]);
    let entry = r.items().into_iter().next()?;
    if entry == Reply::Nil {
        // corekv does not list MULTI, EVAL ... in COMMAND yet.
        let arity = match name {
            "multi" | "exec" | "discard" | "unwatch" => 1,
            "watch" | "script" | "function" | "cluster" => -2,
            _ => -3,
        };
        return Some((arity, Vec::new()));
    }
    let f = entry.items();
    let arity = f.get(1)?.int();
    let flags = f.get(2)?.items().iter().map(Reply::text).collect();
    if f.get(9).is_some_and(|subs| !subs.items().is_empty()) {
        return None;
    }
    Some((arity, flags))
}

/// An argv for `name` (`client|list` is `CLIENT LIST`) with exactly as
/// many arguments as its arity asks for.
fn argv_for(name: &str, arity: i64) -> Vec<String> {
    let mut v: Vec<String> = name.split('|').map(str::to_string).collect();
    let want = arity.unsigned_abs() as usize;
    while v.len() < want {
        v.push(format!("x{}", v.len()));
    }
    v
}

#[test]
fn a_client_without_credentials_gets_nothing_but_noauth() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    // Every command the server lists, by category, with its arity.
    let mut names: Vec<String> = Vec::new();
    for cat in admin.cmd(&["ACL", "CAT"]).items() {
        for n in admin.cmd(&["ACL", "CAT", &cat.text()]).items() {
            names.push(n.text());
        }
    }
    names.sort();
    names.dedup();
    assert!(names.len() > 150, "{}", names.len());
    let mut cases = Vec::new();
    for n in &names {
        if let Some((arity, flags)) = command_info(&mut admin, n) {
            cases.push((n.clone(), argv_for(n, arity), flags));
        }
    }
    assert_eq!(admin.cmd(&["SET", "secret-key", "v"]), ok());
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "requirepass", "pw"]),
        ok(),
        "CONFIG SET requirepass"
    );
    // The connection that set it stays authenticated.
    assert_eq!(admin.cmd(&["GET", "secret-key"]), Reply::bulk("v"));
    let mut c = s.resp();
    let mut checked = 0;
    for (name, argv, flags) in &cases {
        if flags.iter().any(|f| f == "no_auth") {
            continue;
        }
        let r = c.cmd(argv);
        let want = if name == "exec" {
            err(&format!(
                "EXECABORT Transaction discarded because of: {NOAUTH}"
            ))
        } else {
            err(NOAUTH)
        };
        assert_eq!(r, want, "{name}: {argv:?}");
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
    // HELLO without AUTH says so; HELLO AUTH with a wrong password too.
    assert_eq!(
        c.cmd(&["HELLO", "3"]),
        err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
        )
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "nope"]),
        err(WRONGPASS)
    );
    assert_eq!(c.cmd(&["AUTH", "nope"]), err(WRONGPASS));
    // Still nothing.
    assert_eq!(c.cmd(&["GET", "secret-key"]), err(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "pw"]), ok());
    assert_eq!(c.cmd(&["GET", "secret-key"]), Reply::bulk("v"));
    assert_eq!(c.cmd(&["ACL", "WHOAMI"]), Reply::bulk("default"));
    // RESET drops the authentication.
    assert_eq!(c.cmd(&["RESET"]), Reply::Simple("RESET".into()));
    assert_eq!(c.cmd(&["GET", "secret-key"]), err(NOAUTH));
    // HELLO AUTH authenticates and switches protocol at once.
    let r = c.cmd(&["HELLO", "3", "AUTH", "default", "pw"]);
    assert!(matches!(r, Reply::Map(_)), "{r:?}");
    assert_eq!(c.cmd(&["GET", "secret-key"]), Reply::bulk("v"));
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "requirepass"]),
        Reply::bulks(&["requirepass", "pw"])
    );
    // No password again: new connections are in at once, and AUTH <pass>
    // is refused as Redis refuses it.
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), ok());
    let mut d = s.resp();
    assert_eq!(d.cmd(&["GET", "secret-key"]), Reply::bulk("v"));
    assert_eq!(
        d.cmd(&["AUTH", "x"]),
        err(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
        )
    );
    assert_eq!(d.cmd(&["AUTH", "a", "b", "c"]), err("ERR syntax error"));
}

#[test]
fn acl_refuses_every_category_of_command() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    let cats: Vec<String> = admin
        .cmd(&["ACL", "CAT"])
        .items()
        .iter()
        .map(Reply::text)
        .collect();
    assert_eq!(
        cats,
        [
            "keyspace",
            "read",
            "write",
            "set",
            "sortedset",
            "list",
            "hash",
            "string",
            "bitmap",
            "hyperloglog",
            "geo",
            "stream",
            "pubsub",
            "admin",
            "fast",
            "slow",
            "blocking",
            "dangerous",
            "connection",
            "transaction",
            "scripting"
        ]
    );
    assert_eq!(
        admin.cmd(&["ACL", "CAT", "nope"]),
        err("ERR Unknown category 'nope'")
    );
    let mut refused = 0;
    for cat in &cats {
        let mut names: Vec<String> = admin
            .cmd(&["ACL", "CAT", cat])
            .items()
            .iter()
            .map(Reply::text)
            .collect();
        names.sort();
        // The first command of the category that needs authentication.
        let Some((name, argv)) = names.iter().find_map(|n| {
            let (arity, flags) = command_info(&mut admin, n)?;
            (!flags.iter().any(|f| f == "no_auth")).then(|| (n.clone(), argv_for(n, arity)))
        }) else {
            panic!("{cat} has no command that needs authentication");
        };
        let user = format!("u-{cat}");
        let minus = format!("-@{cat}");
        assert_eq!(
            admin.cmd(&[
                "ACL",
                "SETUSER",
                &user,
                "on",
                ">pw",
                "allkeys",
                "allchannels",
                "+@all",
                &minus
            ]),
            ok()
        );
        let mut c = login(&s, &user, "pw");
        assert_eq!(c.cmd(&argv), noperm_cmd(&name), "{cat}: {argv:?}");
        let mut dry = vec!["ACL".to_string(), "DRYRUN".into(), user.clone()];
        dry.extend(argv.iter().cloned());
        assert_eq!(
            admin.cmd(&dry),
            Reply::bulk(&format!(
                "This user has no permissions to run the '{name}' command"
            )),
            "{cat}"
        );
        // The ACL LOG names the refusal.
        let log = admin.cmd(&["ACL", "LOG", "1"]).items();
        let entry = log.first().expect("a log entry").items();
        let field = |k: &str| {
            entry
                .chunks(2)
                .find(|p| p[0].text() == k)
                .map(|p| p[1].clone())
                .expect(k)
        };
        assert_eq!(field("reason").text(), "command", "{cat}");
        assert_eq!(field("object").text(), name, "{cat}");
        assert_eq!(field("username").text(), user, "{cat}");
        assert_eq!(field("context").text(), "toplevel", "{cat}");
        assert_eq!(field("count").int(), 1, "{cat}");
        refused += 1;
    }
    // Every category but pub/sub, which corekv does not have yet.
    assert!(refused >= 20, "{refused}");
    // The same refusal twice within a minute is one entry, counted twice.
    let mut c = login(&s, "u-string", "pw");
    let (name, argv) = {
        let n = "append";
        (n, argv_for(n, 3))
    };
    assert_eq!(c.cmd(&argv), noperm_cmd(name));
    assert_eq!(c.cmd(&argv), noperm_cmd(name));
    let first = admin.cmd(&["ACL", "LOG", "1"]).items();
    let entry = first.first().expect("entry").items();
    assert_eq!(entry[0].text(), "count");
    assert_eq!(entry[1].int(), 2);
    assert_eq!(admin.cmd(&["ACL", "LOG", "RESET"]), ok());
    assert_eq!(admin.cmd(&["ACL", "LOG"]), Reply::Array(Vec::new()));
}

#[test]
fn commands_subcommands_and_first_args() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    assert_eq!(
        admin.cmd(&[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">pw",
            "~k*",
            "%R~r*",
            "&ch*",
            "+get",
            "+@hash",
            "-hdel",
            "+client|list",
            "+select|0"
        ]),
        ok()
    );
    // Redis's own description: flags, passwords, keys, channels, the best
    // fitting categories, then single commands (in Redis in its command
    // dict's order, which its random hash seed changes from run to run).
    let list = admin.cmd(&["ACL", "LIST"]).items();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1], Reply::bulk("user default on nopass ~* &* +@all"));
    let alice = list[0].text();
    let prefix = "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* %R~r* resetchannels &ch* -@all +@hash ";
    assert!(alice.starts_with(prefix), "{alice}");
    let mut singles: Vec<&str> = alice[prefix.len()..].split(' ').collect();
    singles.sort();
    assert_eq!(singles, ["+client|list", "+get", "+select|0", "-hdel"]);
    let mut c = login(&s, "alice", "pw");
    assert_eq!(c.cmd(&["GET", "k1"]), Reply::Nil);
    assert_eq!(c.cmd(&["SET", "k1", "v"]), noperm_cmd("set"));
    assert_eq!(c.cmd(&["HDEL", "k1", "f"]), noperm_cmd("hdel"));
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", "999"]),
        noperm_cmd("client|kill")
    );
    assert!(c.cmd(&["CLIENT", "LIST"]).text().contains("user=alice"));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    assert_eq!(c.cmd(&["SELECT", "1"]), noperm_cmd("select"));
    assert_eq!(c.cmd(&["ACL", "WHOAMI"]), noperm_cmd("acl|whoami"));
    assert_eq!(c.cmd(&["PING"]), noperm_cmd("ping"));
    // EXEC refused is an EXECABORT; a refusal inside MULTI aborts it.
    assert_eq!(
        c.cmd(&["EXEC"]),
        err(
            "EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'exec' command"
        )
    );
    // Unknown commands and bad arity come before the ACL, as in Redis.
    assert!(
        c.cmd(&["NOSUCH"])
            .error_text()
            .starts_with("ERR unknown command 'NOSUCH'")
    );
    assert_eq!(
        c.cmd(&["GET"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    // A change applies to connections already authenticated as the user.
    assert_eq!(admin.cmd(&["ACL", "SETUSER", "alice", "+set"]), ok());
    assert_eq!(c.cmd(&["SET", "k1", "v"]), ok());
    // A disabled user cannot log in; a deleted user's connections close.
    assert_eq!(admin.cmd(&["ACL", "SETUSER", "alice", "off"]), ok());
    let mut d = s.resp();
    assert_eq!(d.cmd(&["AUTH", "alice", "pw"]), err(WRONGPASS));
    assert_eq!(
        admin.cmd(&["ACL", "DELUSER", "alice", "nobody"]),
        Reply::Int(1)
    );
    let _ = c.try_cmd(&["GET", "k1"]);
    assert!(c.is_closed() || c.try_cmd(&["GET", "k1"]).is_err());
    assert_eq!(admin.cmd(&["ACL", "USERS"]), Reply::bulks(&["default"]));
    assert_eq!(admin.cmd(&["ACL", "GETUSER", "alice"]), Reply::Nil);
}

#[test]
fn key_patterns_by_read_and_write_access() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    assert_eq!(
        admin.cmd(&[
            "ACL", "SETUSER", "kp", "on", ">pw", "+@all", "~k*", "%R~r*", "%W~w*"
        ]),
        ok()
    );
    assert_eq!(admin.cmd(&["SET", "r1", "v"]), ok());
    let mut c = login(&s, "kp", "pw");
    assert_eq!(c.cmd(&["SET", "k1", "v"]), ok());
    assert_eq!(c.cmd(&["GET", "k1"]), Reply::bulk("v"));
    assert_eq!(c.cmd(&["GET", "r1"]), Reply::bulk("v"));
    assert_eq!(c.cmd(&["SET", "r1", "x"]), err(NOPERM_KEY));
    // SET without GET only writes its key.
    assert_eq!(c.cmd(&["SET", "w1", "v"]), ok());
    assert_eq!(c.cmd(&["SET", "w1", "v", "GET"]), err(NOPERM_KEY));
    assert_eq!(c.cmd(&["GET", "w1"]), err(NOPERM_KEY));
    assert_eq!(c.cmd(&["DEL", "w1"]), Reply::Int(1));
    assert_eq!(c.cmd(&["GET", "other"]), err(NOPERM_KEY));
    assert_eq!(c.cmd(&["MSET", "k2", "a", "x", "b"]), err(NOPERM_KEY));
    assert_eq!(c.cmd(&["MGET", "k1", "r1"]).items().len(), 2);
    assert_eq!(c.cmd(&["MGET", "k1", "w1"]), err(NOPERM_KEY));
    assert_eq!(
        admin.cmd(&["GET", "r1"]),
        Reply::bulk("v"),
        "nothing written"
    );
    let log = admin.cmd(&["ACL", "LOG", "1"]).items();
    let entry = log.first().expect("entry").items();
    assert_eq!(entry[3].text(), "key");
    assert_eq!(entry[7].text(), "w1");
    assert_eq!(entry[9].text(), "kp");
    // DRYRUN answers without running.
    assert_eq!(admin.cmd(&["ACL", "DRYRUN", "kp", "get", "k1"]), ok());
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "kp", "get", "w1"]),
        Reply::bulk("This user has no permissions to access the 'w1' key")
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "nobody", "get", "x"]),
        err("ERR User 'nobody' not found")
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "kp", "nocmd"]),
        err("ERR Command 'nocmd' not found")
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "kp", "get"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "ro", "on", "nopass", "-@all", "+get"]),
        ok()
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "ro", "set", "k", "v"]),
        Reply::bulk("This user has no permissions to run the 'set' command")
    );
}

#[test]
fn getuser_shape_in_resp2_and_resp3() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&[
            "ACL", "SETUSER", "g", "on", ">pw", "~a*", "%R~b*", "&c*", "-@all", "+@hash", "-hdel"
        ]),
        ok()
    );
    let hash = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
    assert_eq!(
        c.cmd(&["ACL", "GETUSER", "g"]),
        Reply::Array(vec![
            Reply::bulk("flags"),
            Reply::bulks(&["on"]),
            Reply::bulk("passwords"),
            Reply::bulks(&[hash]),
            Reply::bulk("commands"),
            Reply::bulk("-@all +@hash -hdel"),
            Reply::bulk("keys"),
            Reply::bulk("~a* %R~b*"),
            Reply::bulk("channels"),
            Reply::bulk("&c*"),
            Reply::bulk("selectors"),
            Reply::Array(Vec::new()),
        ])
    );
    assert!(matches!(c.cmd(&["HELLO", "3"]), Reply::Map(_)));
    assert_eq!(
        c.cmd(&["ACL", "GETUSER", "g"]),
        Reply::Map(vec![
            (Reply::bulk("flags"), Reply::Set(vec![Reply::bulk("on")])),
            (Reply::bulk("passwords"), Reply::bulks(&[hash])),
            (Reply::bulk("commands"), Reply::bulk("-@all +@hash -hdel")),
            (Reply::bulk("keys"), Reply::bulk("~a* %R~b*")),
            (Reply::bulk("channels"), Reply::bulk("&c*")),
            (Reply::bulk("selectors"), Reply::Array(Vec::new())),
        ])
    );
    assert_eq!(c.cmd(&["ACL", "GETUSER", "nobody"]), Reply::Nil);
    assert_eq!(
        c.cmd(&["ACL", "GETUSER", "default"]),
        Reply::Map(vec![
            (
                Reply::bulk("flags"),
                Reply::Set(vec![Reply::bulk("on"), Reply::bulk("nopass")])
            ),
            (Reply::bulk("passwords"), Reply::Array(Vec::new())),
            (Reply::bulk("commands"), Reply::bulk("+@all")),
            (Reply::bulk("keys"), Reply::bulk("~*")),
            (Reply::bulk("channels"), Reply::bulk("&*")),
            (Reply::bulk("selectors"), Reply::Array(Vec::new())),
        ])
    );
    // ACL LOG entries are maps with a double age in RESP3.
    assert_eq!(c.cmd(&["AUTH", "g", "bad"]), err(WRONGPASS));
    let log = c.cmd(&["ACL", "LOG", "1"]).items();
    let Some(Reply::Map(fields)) = log.first() else {
        panic!("{log:?}")
    };
    let keys: Vec<String> = fields.iter().map(|(k, _)| k.text()).collect();
    assert_eq!(
        keys,
        [
            "count",
            "reason",
            "context",
            "object",
            "username",
            "age-seconds",
            "client-info"
        ]
    );
    assert_eq!(fields[1].1.text(), "auth");
    assert_eq!(fields[3].1.text(), "AUTH");
    assert_eq!(fields[4].1.text(), "g");
    assert!(matches!(fields[5].1, Reply::Double(_)), "{:?}", fields[5]);
    assert!(
        fields[6].1.text().contains(" user=default "),
        "{:?}",
        fields[6]
    );
}

#[test]
fn setuser_errors_are_redis_texts() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let e = |m: &str, why: &str| err(&format!("ERR Error in ACL SETUSER modifier '{m}': {why}"));
    let cases: &[(&[&str], Reply)] = &[
        (&["bogus"], e("bogus", "Syntax error")),
        (
            &["+nocmd"],
            e("+nocmd", "Unknown command or category name in ACL"),
        ),
        (
            &["+@nocat"],
            e("+@nocat", "Unknown command or category name in ACL"),
        ),
        (
            &["allkeys", "~foo"],
            e(
                "~foo",
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            ),
        ),
        (
            &["allchannels", "&a"],
            e(
                "&a",
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            ),
        ),
        (&["%X~a"], e("%X~a", "Syntax error")),
        (
            &["<nopw"],
            e(
                "<nopw",
                "The password you are trying to remove from the user does not exist",
            ),
        ),
        (
            &["#abc"],
            e(
                "#abc",
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            ),
        ),
        (&["+client|"], e("+client|", "Syntax error")),
        (
            &["+client|list|x"],
            e(
                "+client|list|x",
                "Allowing first-arg of a subcommand is not supported",
            ),
        ),
    ];
    for (rules, want) in cases {
        let mut argv = vec!["ACL", "SETUSER", "x"];
        argv.extend_from_slice(rules);
        assert_eq!(&c.cmd(&argv), want, "{rules:?}");
    }
    assert_eq!(c.cmd(&["ACL", "USERS"]), Reply::bulks(&["default"]));
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "a b"]),
        err("ERR Usernames can't contain spaces or null characters")
    );
    assert_eq!(
        c.cmd(&["ACL", "DELUSER", "default"]),
        err("ERR The 'default' user cannot be removed")
    );
    assert_eq!(
        c.cmd(&["ACL", "WHOAMI", "x"]),
        err("ERR wrong number of arguments for 'acl|whoami' command")
    );
    assert_eq!(
        c.cmd(&["ACL", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try ACL HELP.")
    );
    assert_eq!(
        c.cmd(&["ACL", "Log", "1", "2"]),
        err("ERR unknown subcommand or wrong number of arguments for 'Log'. Try ACL HELP.")
    );
    assert_eq!(c.cmd(&["ACL", "GENPASS"]).text().len(), 64);
    assert_eq!(c.cmd(&["ACL", "GENPASS", "5"]).text().len(), 2);
    let bad = err(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
    );
    assert_eq!(c.cmd(&["ACL", "GENPASS", "0"]), bad);
    assert_eq!(c.cmd(&["ACL", "GENPASS", "5000"]), bad);
    // Without an ACL file, SAVE and LOAD say so.
    let nofile = err(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
    );
    assert_eq!(c.cmd(&["ACL", "SAVE"]), nofile);
    assert_eq!(c.cmd(&["ACL", "LOAD"]), nofile);
    // `reset` gives a user's initial state with sanitize-payload.
    assert_eq!(c.cmd(&["ACL", "SETUSER", "r", "on", "+get", "reset"]), ok());
    assert_eq!(
        c.cmd(&["ACL", "LIST"]).items()[1],
        Reply::bulk("user r off sanitize-payload resetchannels -@all")
    );
}

#[test]
fn requirepass_flag_survives_a_restart() {
    if !corekv_only("requirepass_flag_survives_a_restart") {
        return;
    }
    let mut s = Server::start(&["--requirepass", "s3cret"]);
    let mut c = s.resp();
    assert_eq!(c.cmd(&["GET", "k"]), err(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "wrong"]), err(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), ok());
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]),
        Reply::bulks(&["requirepass", "s3cret"])
    );
    s.restart();
    let mut c = s.resp();
    assert_eq!(c.cmd(&["GET", "k"]), err(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "default", "s3cret"]), ok());
    assert_eq!(c.cmd(&["GET", "k"]), Reply::bulk("v"));
}

#[test]
fn aclfile_save_and_load_across_a_restart() {
    if !corekv_only("aclfile_save_and_load_across_a_restart") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("users.acl");
    std::fs::write(
        &file,
        "user default on nopass ~* &* +@all\nuser filed on >pw ~f* -@all +get\n",
    )
    .expect("write acl file");
    let path = file.to_str().expect("utf8").to_string();
    let mut s = Server::start(&["--aclfile", &path]);
    let mut admin = s.resp();
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "aclfile"]),
        Reply::bulks(&["aclfile", &path])
    );
    let mut c = login(&s, "filed", "pw");
    assert_eq!(c.cmd(&["GET", "f1"]), Reply::Nil);
    assert_eq!(c.cmd(&["SET", "f1", "v"]), noperm_cmd("set"));
    // Users created at run time are kept once saved.
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "made", "on", ">pw2", "~m*", "+@all"]),
        ok()
    );
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), ok());
    let saved = std::fs::read_to_string(&file).expect("read back");
    assert!(saved.contains("user made on #"), "{saved}");
    assert!(!saved.contains("pw2"), "no cleartext password: {saved}");
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "unsaved", "on", "nopass"]),
        ok()
    );
    s.restart();
    let mut c = login(&s, "made", "pw2");
    assert_eq!(c.cmd(&["SET", "m1", "v"]), ok());
    let mut admin = s.resp();
    assert_eq!(
        admin.cmd(&["ACL", "USERS"]),
        Reply::bulks(&["default", "filed", "made"]),
        "the file's users, as Redis loads them at start"
    );
    // ACL LOAD: a broken file changes nothing; a good one replaces all.
    std::fs::write(&file, "user x on bogus\n").expect("write");
    let r = admin.cmd(&["ACL", "LOAD"]);
    assert_eq!(
        r,
        err(&format!(
            "ERR {path}:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        ))
    );
    assert_eq!(admin.cmd(&["ACL", "USERS"]).items().len(), 3);
    std::fs::write(&file, "user only on >p +@all ~*\n").expect("write");
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), ok());
    assert_eq!(
        admin.cmd(&["ACL", "USERS"]),
        Reply::bulks(&["default", "only"])
    );
    let mut d = s.resp();
    assert_eq!(d.cmd(&["AUTH", "made", "pw2"]), err(WRONGPASS));
    assert_eq!(d.cmd(&["AUTH", "only", "p"]), ok());
}

#[test]
fn a_bad_aclfile_stops_the_start() {
    if !corekv_only("a_bad_aclfile_stops_the_start") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.acl");
    std::fs::write(&file, "user a on +nocmd\n").expect("write");
    let out = std::process::Command::new(corekv_tests::corekv_bin())
        .args(["--port", &corekv_tests::free_port().to_string(), "--dir"])
        .arg(dir.path().join("data"))
        .arg("--aclfile")
        .arg(&file)
        .output()
        .expect("run corekv");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Error in applying operation '+nocmd'"),
        "{stderr}"
    );
    assert!(!dir.path().join("data").exists(), "nothing written");
}

/// Retries `f` (bounded) until it returns true.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("not within 10 s: {what}");
}

#[test]
fn users_reach_every_node_of_a_cluster() {
    if !corekv_only("users_reach_every_node_of_a_cluster") {
        return;
    }
    let nodes = start_cluster(3, &[]);
    let mut n1 = nodes[0].resp();
    eventually("an ACL change commits", || {
        n1.cmd(&[
            "ACL", "SETUSER", "carol", "on", ">pw", "~c*", "-@all", "+set", "+get",
        ]) == ok()
    });
    // Node 1 answered once it applied the change itself.
    let mut c1 = login(&nodes[0], "carol", "pw");
    assert_eq!(c1.cmd(&["SET", "c1", "v"]), ok());
    // Node 3 has it too (its replica of group 0 applied it).
    eventually("carol can log in on node 3", || {
        nodes[2].resp().cmd(&["AUTH", "carol", "pw"]) == ok()
    });
    let mut c3 = login(&nodes[2], "carol", "pw");
    // Writes of keys led anywhere go through: the proxy link to the leader
    // is a member's link, not subject to carol's ACL.
    for i in 0..20 {
        let k = format!("c{i}");
        eventually(&format!("SET {k} via node 3"), || {
            c3.cmd(&["SET", &k, "x"]) == ok()
        });
    }
    assert_eq!(c3.cmd(&["GET", "c19"]), Reply::bulk("x"));
    assert_eq!(c3.cmd(&["SET", "other", "x"]), err(NOPERM_KEY));
    assert_eq!(c3.cmd(&["DEL", "c1"]), noperm_cmd("del"));
    // A change on node 2 reaches node 3's connection already logged in.
    let mut n2 = nodes[1].resp();
    // (Group 0's leader may move while the cluster settles: TRYAGAIN.)
    eventually("SETUSER on node 2", || {
        n2.cmd(&["ACL", "SETUSER", "carol", "+del"]) == ok()
    });
    eventually("carol's DEL allowed on node 3", || {
        c3.cmd(&["DEL", "c1"]) == Reply::Int(1) || c3.cmd(&["EXISTS", "c1"]) == Reply::Int(0)
    });
    // requirepass set on node 2 guards node 1 and node 3.
    eventually("requirepass on node 2", || {
        n2.cmd(&["CONFIG", "SET", "requirepass", "pw0"]) == ok()
    });
    for (i, n) in nodes.iter().enumerate() {
        eventually(&format!("NOAUTH on node {}", i + 1), || {
            n.resp().cmd(&["GET", "c2"]) == err(NOAUTH)
        });
        let mut d = login(n, "default", "pw0");
        assert_eq!(d.cmd(&["GET", "c2"]), Reply::bulk("x"));
    }
    // ACL LIST is the same everywhere.
    let lists: Vec<Reply> = nodes
        .iter()
        .map(|n| login(n, "default", "pw0").cmd(&["ACL", "LIST"]))
        .collect();
    assert_eq!(lists[0], lists[1]);
    assert_eq!(lists[0], lists[2]);
    // A user deleted on node 3 is gone on node 1, whose connection closes.
    let mut n3 = login(&nodes[2], "default", "pw0");
    eventually("DELUSER on node 3", || {
        matches!(n3.cmd(&["ACL", "DELUSER", "carol"]), Reply::Int(_))
    });
    eventually("carol gone on node 1", || {
        nodes[0].resp().cmd(&["AUTH", "carol", "pw"]) == err(WRONGPASS)
    });
    let gone = match c1.try_cmd(&["GET", "c1"]) {
        Err(_) => true,
        Ok(_) => c1.is_closed(),
    };
    assert!(gone, "a deleted user's connection is closed");
}

#[test]
fn a_node_far_behind_gets_the_users_by_snapshot_and_keeps_proxying() {
    if !corekv_only("a_node_far_behind_gets_the_users_by_snapshot_and_keeps_proxying") {
        return;
    }
    // Leaders keep only 16 entries for a lagging follower (and truncate
    // past 2 × 128): node 3 must get the meta group by snapshot.
    let mut nodes = start_cluster(3, &["--raft-max-lag", "16"]);
    let mut n1 = nodes[0].resp();
    eventually("requirepass commits", || {
        n1.cmd(&["CONFIG", "SET", "requirepass", "pw0"]) == ok()
    });
    nodes[2].kill9();
    // Group 0 may have been led by node 3: the first changes can fail
    // (TRYAGAIN, or an unknown outcome on the broken proxy link) until
    // a new leader is elected; SETUSER is idempotent, so retry.
    for i in 0..300 {
        let name = format!("bulk{}", i % 7);
        let pass = format!(">p{i}");
        eventually(&format!("SETUSER {name}"), || {
            n1.cmd(&["ACL", "SETUSER", &name, "on", &pass, "+get", "~*"]) == ok()
        });
    }
    eventually("SETUSER late", || {
        n1.cmd(&["ACL", "SETUSER", "late", "on", ">pw", "+@all", "~*"]) == ok()
    });
    nodes[2].restart();
    eventually("late logs in on node 3", || {
        nodes[2].resp().cmd(&["AUTH", "late", "pw"]) == ok()
    });
    let log = nodes[2].log();
    assert!(
        log.contains("group 0: snapshot at index"),
        "the meta group came by snapshot:\n{log}"
    );
    let mut c = nodes[2].resp();
    assert_eq!(c.cmd(&["GET", "k"]), err(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "bulk5", "p299"]), ok());
    assert_eq!(c.cmd(&["AUTH", "bulk5", "p5"]), ok(), "passwords add up");
    assert_eq!(
        nodes[0].resp().cmd(&["AUTH", "late", "pw"]),
        ok(),
        "node 1 too"
    );
    // Writes from node 3 to leaders on other nodes: its fresh proxy links
    // present the cluster secret, not a password.
    let mut w = login(&nodes[2], "late", "pw");
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 0..20 {
        let k = format!("k{i}");
        loop {
            let r = w.cmd(&["SET", &k, "v"]);
            if r == ok() {
                break;
            }
            assert!(Instant::now() < deadline, "SET {k} via node 3: {r:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut r1 = login(&nodes[0], "late", "pw");
    assert_eq!(r1.cmd(&["GET", "k19"]), Reply::bulk("v"));
}

#[test]
fn commands_a_script_runs_are_checked_too() {
    let s = Server::start(&[]);
    let mut admin = s.resp();
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "sc", "on", ">pw", "~k*", "+@all", "-set"]),
        ok()
    );
    let mut c = login(&s, "sc", "pw");
    let set = "return redis.call('set','k1','b')";
    let sha = admin.cmd(&["SCRIPT", "LOAD", set]).text();
    assert_eq!(
        c.cmd(&["EVAL", set, "0"]),
        err(&format!(
            "ERR The user executing the script can't run this command or subcommand script: {sha}, on @user_script:1."
        ))
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.pcall('set','k1','b')", "0"]),
        err("ERR The user executing the script can't run this command or subcommand")
    );
    let get = "return redis.call('get','x')";
    let sha = admin.cmd(&["SCRIPT", "LOAD", get]).text();
    assert_eq!(
        c.cmd(&["EVAL", get, "0"]),
        err(&format!(
            "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: {sha}, on @user_script:1."
        ))
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('incr','k2')", "1", "k2"]),
        Reply::Int(1)
    );
    let log = admin.cmd(&["ACL", "LOG", "1"]).items();
    let entry = log.first().expect("entry").items();
    assert_eq!(entry[3].text(), "key");
    assert_eq!(entry[5].text(), "lua");
    assert_eq!(entry[7].text(), "x");
    assert_eq!(admin.cmd(&["GET", "k1"]), Reply::Nil, "nothing was set");
}
