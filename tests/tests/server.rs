//! Connection and server commands: PING, HELLO, CLIENT, COMMAND, INFO, CONFIG…

use corekv_tests::r::{b, e, i, ok};
use corekv_tests::{Reply, Server, check};
use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

fn simple(s: &str) -> Reply {
    Reply::Simple(s.into())
}

fn now_s() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_secs()).expect("s fits")
}

#[test]
fn ping_echo() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["PING"], simple("PONG"));
    check!(c, ["ping", "hello"], b("hello"));
    check!(
        c,
        ["PING", "a", "b"],
        e("ERR wrong number of arguments for 'ping' command")
    );
    check!(c, ["ECHO", "hi there"], b("hi there"));
    check!(c, ["ECHO", ""], b(""));
    check!(
        c,
        ["ECHO"],
        e("ERR wrong number of arguments for 'echo' command")
    );
    // Inline commands work too.
    c.send_raw(b"PING\r\n").expect("send");
    assert_eq!(c.read_reply().expect("reply"), simple("PONG"));
    // Pipelined commands get replies in order.
    c.send_raw(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n")
        .expect("send");
    assert_eq!(c.read_reply().expect("reply"), simple("PONG"));
    assert_eq!(c.read_reply().expect("reply"), b("x"));
    // The redis crate client works as well.
    let mut conn = s.conn();
    let pong: String = redis::cmd("PING").query(&mut conn).expect("ping");
    assert_eq!(pong, "PONG");
}

fn hello_keys(pairs: &[(Reply, Reply)]) -> Vec<String> {
    pairs.iter().map(|(k, _)| k.text()).collect()
}

fn check_hello_fields(pairs: &[(Reply, Reply)], proto: i64) {
    assert_eq!(
        hello_keys(pairs),
        [
            "server", "version", "proto", "id", "mode", "role", "modules"
        ]
    );
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key.text() == k)
            .map(|(_, v)| v.clone())
            .expect("field")
    };
    assert!(!get("server").text().is_empty());
    let version = get("version").text();
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()),
        "version {version}"
    );
    assert_eq!(get("proto"), i(proto));
    assert!(get("id").int() > 0);
    assert_eq!(get("mode").text(), "standalone");
    assert_eq!(get("role").text(), "master");
    assert_eq!(get("modules").items(), Vec::<Reply>::new());
}

#[test]
fn hello_resp2_and_resp3() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let id = c.cmd(&["CLIENT", "ID"]).int();
    // HELLO 2: a flat array of 7 pairs.
    let items = c.cmd(&["HELLO", "2"]).items();
    assert_eq!(items.len(), 14, "{items:?}");
    let pairs: Vec<(Reply, Reply)> = items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    check_hello_fields(&pairs, 2);
    assert!(pairs.contains(&(b("id"), i(id))));
    // HELLO with no argument answers in the current protocol.
    assert_eq!(c.cmd(&["HELLO"]).items().len(), 14);

    // HELLO 3 switches to RESP3: the reply is a map `%7`.
    let mut raw = s.raw();
    raw.write_all(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        .expect("send");
    let mut buf = [0u8; 3];
    raw.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"%7\r");
    let mut c3 = s.resp();
    match c3.cmd(&["HELLO", "3"]) {
        Reply::Map(pairs) => check_hello_fields(&pairs, 3),
        other => panic!("HELLO 3 not a map: {other:?}"),
    }
    // In RESP3 a missing key is `_` and the null is exactly `_\r\n`.
    check!(c3, ["GET", "hello:none"], Reply::Nil);
    let mut r3 = s.resp();
    r3.send_raw(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        .expect("send");
    r3.read_reply().expect("hello reply");
    r3.send_raw(b"*2\r\n$3\r\nGET\r\n$10\r\nhello:none\r\n")
        .expect("send");
    assert_eq!(r3.read_raw(3).expect("reply"), b"_\r\n");
    // In RESP2 it is `$-1`.
    let mut r2 = s.resp();
    r2.send_raw(b"*2\r\n$3\r\nGET\r\n$10\r\nhello:none\r\n")
        .expect("send");
    assert_eq!(r2.read_raw(5).expect("reply"), b"$-1\r\n");
    // A RESP3 map from CONFIG GET.
    match c3.cmd(&["CONFIG", "GET", "maxclients"]) {
        Reply::Map(pairs) => assert_eq!(pairs.len(), 1),
        other => panic!("CONFIG GET in RESP3 not a map: {other:?}"),
    }
    // Back to RESP2 on the same connection.
    assert_eq!(c3.cmd(&["HELLO", "2"]).items().len(), 14);
    check!(c3, ["GET", "hello:none"], Reply::Nil);

    check!(c, ["HELLO", "4"], e("NOPROTO unsupported protocol version"));
    check!(c, ["HELLO", "1"], e("NOPROTO unsupported protocol version"));
    check!(
        c,
        ["HELLO", "x"],
        e("ERR Protocol version is not an integer or out of range")
    );
    check!(
        c,
        ["HELLO", "3", "bogus"],
        e("ERR Syntax error in HELLO option 'bogus'")
    );
    // HELLO SETNAME sets the client name.
    assert_eq!(c.cmd(&["HELLO", "2", "SETNAME", "hx"]).items().len(), 14);
    check!(c, ["CLIENT", "GETNAME"], b("hx"));
}

#[test]
fn quit_closes_connection() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["QUIT"], ok());
    assert!(c.is_closed());
    let mut c2 = s.resp();
    check!(c2, ["PING"], simple("PONG"));
}

#[test]
fn reset_restores_defaults() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["CLIENT", "SETNAME", "before"], ok());
    let Reply::Map(_) = c.cmd(&["HELLO", "3"]) else {
        panic!("HELLO 3 not a map");
    };
    check!(c, ["RESET"], simple("RESET"));
    // Back in RESP2 with no name.
    check!(c, ["CLIENT", "GETNAME"], Reply::Nil);
    assert_eq!(c.cmd(&["HELLO"]).items().len(), 14);
    check!(c, ["PING"], simple("PONG"));
}

#[test]
fn select() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SELECT", "0"], ok());
    check!(c, ["SELECT", "1"], e("ERR DB index is out of range"));
    check!(c, ["SELECT", "-1"], e("ERR DB index is out of range"));
    check!(
        c,
        ["SELECT", "x"],
        e("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["SELECT"],
        e("ERR wrong number of arguments for 'select' command")
    );
}

#[test]
fn client_commands() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let mut other = s.resp();
    let id = c.cmd(&["CLIENT", "ID"]).int();
    let other_id = other.cmd(&["CLIENT", "ID"]).int();
    assert!(id > 0 && other_id > 0 && id != other_id);
    check!(c, ["CLIENT", "GETNAME"], Reply::Nil);
    check!(c, ["CLIENT", "SETNAME", "tester"], ok());
    check!(c, ["CLIENT", "GETNAME"], b("tester"));
    check!(
        c,
        ["CLIENT", "SETNAME", "has space"],
        e("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    check!(c, ["CLIENT", "GETNAME"], b("tester"));
    // An empty name clears it.
    check!(c, ["CLIENT", "SETNAME", ""], ok());
    check!(c, ["CLIENT", "GETNAME"], Reply::Nil);
    check!(c, ["CLIENT", "SETNAME", "tester"], ok());
    check!(
        c,
        ["CLIENT", "SETNAME"],
        e("ERR wrong number of arguments for 'client|setname' command")
    );

    let info = c.cmd(&["CLIENT", "INFO"]).text();
    assert!(info.starts_with(&format!("id={id} ")), "{info}");
    assert!(info.contains("addr=127.0.0.1:"), "{info}");
    assert!(info.contains(" name=tester "), "{info}");
    assert!(info.ends_with('\n'), "{info:?}");
    assert_eq!(info.lines().count(), 1);

    let list = c.cmd(&["CLIENT", "LIST"]).text();
    assert!(list.lines().count() >= 2, "{list}");
    for (want, name) in [(id, "tester"), (other_id, "")] {
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("id={want} ")))
            .unwrap_or_else(|| panic!("id {want} missing from {list}"));
        assert!(line.contains(&format!(" name={name} ")), "{line}");
    }

    check!(c, ["CLIENT", "NO-EVICT", "on"], ok());
    check!(c, ["CLIENT", "NO-EVICT", "off"], ok());
    check!(c, ["CLIENT", "NO-EVICT", "maybe"], e("ERR syntax error"));
    check!(
        c,
        ["CLIENT", "BOGUS"],
        e("ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.")
    );

    // CLIENT KILL ID closes the other connection and counts it.
    check!(c, ["CLIENT", "KILL", "ID", &other_id.to_string()], i(1));
    assert!(other.is_closed());
    check!(c, ["CLIENT", "KILL", "ID", "999999"], i(0));
    check!(
        c,
        ["CLIENT", "KILL", "ID", "abc"],
        e("ERR client-id should be greater than 0")
    );
    check!(c, ["PING"], simple("PONG"));
}

#[test]
fn command_introspection() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let count = c.cmd(&["COMMAND", "COUNT"]).int();
    assert!(count >= 20, "count {count}");
    let list = c.cmd(&["COMMAND", "LIST"]).sorted_texts();
    for name in ["get", "set", "del", "ping", "command", "client", "info"] {
        assert!(list.iter().any(|n| n == name), "{name} missing");
    }
    // COMMAND LIST also names subcommands (`config|get`); COUNT does not.
    let top_level = list.iter().filter(|n| !n.contains('|')).count();
    assert_eq!(i64::try_from(top_level).expect("len"), count);

    let info = c.cmd(&["COMMAND", "INFO", "get"]).items();
    assert_eq!(info.len(), 1);
    let get = info[0].items();
    assert_eq!(get[0], b("get"));
    assert_eq!(get[1], i(2));
    let flags: Vec<String> = get[2].items().iter().map(Reply::text).collect();
    assert!(flags.iter().any(|f| f == "readonly"), "{flags:?}");
    assert_eq!(&get[3..6], &[i(1), i(1), i(1)]);
    let set = c.cmd(&["COMMAND", "INFO", "SET"]).items()[0].items();
    assert_eq!(set[1], i(-3));
    let set_flags: Vec<String> = set[2].items().iter().map(Reply::text).collect();
    assert!(set_flags.iter().any(|f| f == "write"), "{set_flags:?}");
    assert_eq!(
        c.cmd(&["COMMAND", "INFO", "nosuchcmd"]),
        Reply::Array(vec![Reply::Nil])
    );

    let docs = c.cmd(&["COMMAND", "DOCS", "get"]).items();
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[0], b("get"));
    let fields = docs[1].items();
    let summary_pos = fields
        .iter()
        .position(|f| *f == b("summary"))
        .expect("summary field");
    assert!(!fields[summary_pos + 1].text().is_empty());

    check!(c, ["COMMAND", "GETKEYS", "GET", "k"], Reply::bulks(&["k"]));
    check!(
        c,
        ["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"],
        Reply::bulks(&["a", "b"])
    );
    check!(
        c,
        ["COMMAND", "GETKEYS", "PING", "x"],
        e("ERR The command has no key arguments")
    );
    // GETKEYS itself needs a command and at least one argument.
    check!(
        c,
        ["COMMAND", "GETKEYS", "PING"],
        e("ERR wrong number of arguments for 'command|getkeys' command")
    );
    check!(
        c,
        ["COMMAND", "GETKEYS", "nosuch", "a"],
        e("ERR Invalid command specified")
    );
    check!(
        c,
        ["COMMAND", "GETKEYS", "GET", "a", "b"],
        e("ERR Invalid number of arguments specified for command")
    );
    check!(
        c,
        ["COMMAND", "BOGUS"],
        e("ERR unknown subcommand 'BOGUS'. Try COMMAND HELP.")
    );
}

#[test]
fn info_sections() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "info:a", "1"], ok());
    check!(c, ["SET", "info:b", "1", "EX", "100"], ok());
    let info = c.cmd(&["INFO"]).text();
    for section in [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Keyspace",
    ] {
        assert!(
            info.contains(&format!("# {section}\r\n")),
            "section {section} missing"
        );
    }
    let version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .expect("redis_version line");
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()),
        "{version}"
    );
    assert!(info.contains("\r\nrole:master\r\n"), "role");
    assert!(info.contains("\r\nconnected_clients:"), "connected_clients");
    assert!(info.contains("\r\ntotal_commands_processed:"));
    assert!(
        info.contains("db0:keys=2,expires=1,avg_ttl="),
        "keyspace line missing"
    );
    // One section only.
    let server = c.cmd(&["INFO", "server"]).text();
    assert!(server.starts_with("# Server\r\n"), "{server}");
    assert!(!server.contains("# Clients"));
    let ks = c.cmd(&["INFO", "keyspace"]).text();
    assert!(ks.starts_with("# Keyspace\r\n"), "{ks}");
    // Unknown sections give an empty reply, not an error.
    check!(c, ["INFO", "nosuchsection"], b(""));
}

#[test]
fn config_commands() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(
        c,
        ["CONFIG", "GET", "maxclients"],
        Reply::bulks(&["maxclients", "10000"])
    );
    check!(c, ["CONFIG", "GET", "nosuchparam"], Reply::Array(vec![]));
    check!(
        c,
        ["CONFIG", "SET", "nosuchparam", "1"],
        e("ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'")
    );
    check!(c, ["CONFIG", "RESETSTAT"], ok());
    check!(
        c,
        ["CONFIG", "GET"],
        e("ERR wrong number of arguments for 'config|get' command")
    );
    check!(
        c,
        ["CONFIG", "BOGUS"],
        e("ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.")
    );
}

/// `notify-keyspace-events` parses and prints like Redis 7.0.15's CONFIG
/// (the pairs below are what redis-server answered), from the command line
/// too, and writes keep working with events collected on every core.
#[test]
fn notify_keyspace_events_config() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let get = |c: &mut corekv_tests::Resp| c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(get(&mut c), Reply::bulks(&["notify-keyspace-events", ""]));
    for (set, shown) in [
        ("KEA", "AKE"),
        ("KEAn", "AKE"),
        ("Emlg", "glEm"),
        ("$hzxe", "$hzxe"),
        ("", ""),
    ] {
        check!(c, ["CONFIG", "SET", "notify-keyspace-events", set], ok());
        assert_eq!(
            get(&mut c),
            Reply::bulks(&["notify-keyspace-events", shown]),
            "{set}"
        );
    }
    check!(
        c,
        ["CONFIG", "SET", "notify-keyspace-events", "KEQ"],
        e(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
    check!(c, ["CONFIG", "SET", "notify-keyspace-events", "KEAn"], ok());
    for n in 0..50 {
        check!(c, ["SET", &format!("ke:{n}"), "v"], ok());
        check!(c, ["RPUSH", &format!("kl:{n}"), "a"], i(1));
        check!(c, ["LPOP", &format!("kl:{n}")], Reply::bulk("a"));
    }
    check!(c, ["GET", "ke:7"], Reply::bulk("v"));
    drop(s);
    let s = Server::start(&["--notify-keyspace-events", "Kx"]);
    let mut c = s.resp();
    assert_eq!(get(&mut c), Reply::bulks(&["notify-keyspace-events", "xK"]));
}

#[test]
fn dbsize_flush() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["DBSIZE"], i(0));
    for n in 0..50 {
        check!(c, ["SET", &format!("fl:{n}"), "v"], ok());
    }
    check!(c, ["DBSIZE"], i(50));
    check!(c, ["FLUSHDB"], ok());
    check!(c, ["DBSIZE"], i(0));
    check!(c, ["GET", "fl:1"], Reply::Nil);
    check!(c, ["SET", "fl:x", "v"], ok());
    check!(c, ["SET", "other", "v"], ok());
    check!(c, ["FLUSHALL"], ok());
    check!(c, ["DBSIZE"], i(0));
    check!(c, ["SET", "fl:y", "v"], ok());
    check!(c, ["FLUSHALL", "SYNC"], ok());
    check!(c, ["FLUSHDB", "ASYNC"], ok());
    check!(c, ["DBSIZE"], i(0));
    check!(c, ["FLUSHALL", "BOGUS"], e("ERR syntax error"));
}

#[test]
fn time_lastsave() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let t = c.cmd(&["TIME"]).items();
    assert_eq!(t.len(), 2);
    let secs: i64 = t[0].text().parse().expect("seconds");
    let micros: i64 = t[1].text().parse().expect("micros");
    assert!((secs - now_s()).abs() <= 2, "time {secs}");
    assert!((0..1_000_000).contains(&micros), "micros {micros}");
    let last = c.cmd(&["LASTSAVE"]).int();
    assert!(last > 0 && last <= now_s() + 1, "lastsave {last}");
}

#[test]
fn unknown_command_and_arity() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(
        c,
        ["foo", "a", "b"],
        e("ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
    );
    check!(
        c,
        ["foo"],
        e("ERR unknown command 'foo', with args beginning with: ")
    );
    check!(
        c,
        ["GET", "a", "b", "c"],
        e("ERR wrong number of arguments for 'get' command")
    );
    check!(
        c,
        ["STRLEN"],
        e("ERR wrong number of arguments for 'strlen' command")
    );
    // The connection stays usable after errors.
    check!(c, ["PING"], simple("PONG"));
}

#[test]
fn transactions_never_run_queued_commands_one_by_one() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["EXEC"], Reply::err("ERR EXEC without MULTI"));
    check!(c, ["DISCARD"], Reply::err("ERR DISCARD without MULTI"));
    check!(c, ["MULTI"], Reply::ok());
    check!(c, ["SET", "tx", "1"], simple("QUEUED"));
    check!(
        c,
        ["SET", "tx"],
        Reply::err("ERR wrong number of arguments for 'set' command")
    );
    check!(
        c,
        ["EXEC"],
        Reply::err("EXECABORT Transaction discarded because of previous errors.")
    );
    // Nothing queued ran, and the connection is usable again.
    check!(c, ["GET", "tx"], Reply::Nil);
    check!(c, ["MULTI"], Reply::ok());
    check!(c, ["SET", "tx", "3"], simple("QUEUED"));
    check!(c, ["DISCARD"], Reply::ok());
    check!(c, ["GET", "tx"], Reply::Nil);
    check!(c, ["SET", "tx", "2"], Reply::ok());
}

#[test]
fn wait_counts_replicas_and_honours_its_timeout() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Reply::ok());
    // A single server has no replicas.
    assert_eq!(c.cmd(&["WAIT", "0", "0"]), Reply::Int(0));
    let t = std::time::Instant::now();
    assert_eq!(c.cmd(&["WAIT", "1", "150"]), Reply::Int(0));
    let took = t.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(150) && took < std::time::Duration::from_secs(2),
        "WAIT 1 150 took {took:?}"
    );
    assert_eq!(
        c.cmd(&["WAIT", "x", "0"]),
        Reply::err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["WAIT", "1", "soon"]),
        Reply::err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["WAIT", "1", "-1"]),
        Reply::err("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["WAIT", "1"]),
        Reply::err("ERR wrong number of arguments for 'wait' command")
    );
}
