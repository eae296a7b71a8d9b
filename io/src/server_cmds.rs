//! Connection and server commands: PING ECHO HELLO QUIT RESET SELECT
//! CLIENT COMMAND INFO CONFIG TIME LASTSAVE (and OBJECT HELP), the refused
//! MULTI/EXEC family, CLUSTER, and corekv's member and admin commands.
//! They touch no group's data directly; node-wide views are gathered from
//! every core. Dispatch hands over the table entry's `ServerCmd`, matched
//! here exhaustively: a new one cannot be forgotten.

use crate::config::{fsync_name, parse_fsync};
use crate::conn::{Conn, unknown};
use crate::node::{KillFilter, Msg, unix_ms};
use crate::pubsub::{self, Kind};
use bytes::Bytes;
use corekv_core::cmd::glob_match;
use corekv_core::table::{self, ClientSub, ConfigSub, ServerCmd};
use corekv_core::{Reply, errors};
use corekv_wire::Proto;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

fn s(x: &str) -> Reply {
    Reply::Simple(x.to_string())
}

fn bulk_str(x: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(x.as_bytes()))
}

fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

/// Runs `cmd` (dispatch resolved argv to it and checked arity).
pub async fn execute(conn: &mut Conn, cmd: ServerCmd, argv: &[Bytes]) -> Reply {
    let arg = |i: usize| argv.get(i).map(|b| b.as_ref()).unwrap_or(b"");
    match cmd {
        ServerCmd::Ping if argv.len() > 2 => errors::arity("ping"),
        // In RESP2's subscribed context PING answers as a message would.
        ServerCmd::Ping if conn.proto == Proto::Resp2 && conn.subscribed() => Reply::Array(vec![
            bulk_str("pong"),
            Reply::Bulk(argv.get(1).cloned().unwrap_or_default()),
        ]),
        ServerCmd::Ping => match argv.get(1) {
            Some(m) => Reply::Bulk(m.clone()),
            None => s("PONG"),
        },
        ServerCmd::Echo => Reply::Bulk(argv.get(1).cloned().unwrap_or_default()),
        ServerCmd::Quit => {
            conn.close = true;
            Reply::ok()
        }
        ServerCmd::Reset => {
            conn.unwatch();
            conn.pubsub_reset();
            crate::acl::reset(conn);
            conn.proto = Proto::Resp2;
            conn.name.clear();
            conn.no_evict = false;
            set_client(conn);
            s("RESET")
        }
        ServerCmd::Select => match std::str::from_utf8(arg(1))
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
        {
            Some(0) => Reply::ok(),
            Some(_) => errors::err(errors::DB_INDEX),
            None => errors::err(errors::NOT_INTEGER),
        },
        ServerCmd::Hello => hello(conn, argv),
        ServerCmd::Time => {
            let us = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0);
            Reply::Array(vec![
                bulk_str(&(us / 1_000_000).to_string()),
                bulk_str(&(us % 1_000_000).to_string()),
            ])
        }
        ServerCmd::LastSave => Reply::Integer(conn.core.node.lastsave_unix_s.load(Relaxed) as i64),
        ServerCmd::Info => Reply::Verbatim(info(conn, argv).await),
        ServerCmd::ObjectHelp => corekv_core::cmd::object_help(),
        ServerCmd::Wait => wait(conn, argv).await,
        ServerCmd::CorekvReplicas => corekv_replicas(conn).await,
        ServerCmd::XinfoHelp => table::help_reply(b"XINFO", corekv_core::cmd::XINFO_HELP),
        ServerCmd::XgroupHelp => table::help_reply(b"XGROUP", corekv_core::cmd::XGROUP_HELP),
        ServerCmd::Command(sub) => table::command(sub, argv),
        ServerCmd::Client(sub) => client(conn, sub, argv).await,
        ServerCmd::Config(sub) => config(conn, sub, argv).await,
        ServerCmd::Auth => crate::acl::auth(conn, argv),
        ServerCmd::Acl(sub) => crate::acl::command(conn, sub, argv).await,
        ServerCmd::AclOp => crate::acl::propose(&conn.core, conn.proxied, argv.to_vec()).await,
        // Conn queues what follows (see `Conn::queue_in_multi`).
        ServerCmd::Multi => {
            conn.multi = Some(Default::default());
            Reply::ok()
        }
        ServerCmd::Exec => errors::err("ERR EXEC without MULTI"),
        ServerCmd::Discard => errors::err("ERR DISCARD without MULTI"),
        ServerCmd::Eval
        | ServerCmd::EvalSha
        | ServerCmd::EvalRo
        | ServerCmd::EvalShaRo
        | ServerCmd::Fcall
        | ServerCmd::FcallRo
        | ServerCmd::Script
        | ServerCmd::Function => crate::script::execute(conn, cmd, argv).await,
        ServerCmd::CorekvTxAlive => {
            let alive =
                corekv_core::txn::TxId::at(argv, 1).is_some_and(|id| conn.core.node.txn_alive(id));
            Reply::Integer(i64::from(alive))
        }
        ServerCmd::Watch => conn.watch(argv).await,
        ServerCmd::Unwatch => {
            conn.unwatch();
            Reply::ok()
        }
        ServerCmd::Cluster => crate::cluster_cmds::run(&conn.core, conn.proxied, argv).await,
        ServerCmd::Member => conn.member_hello(argv),
        ServerCmd::Proxied => {
            // Another node's proxy link: what it sends was meant for this
            // node's leaders and must not be proxied again.
            conn.proxied = true;
            Reply::ok()
        }
        // Unwrapped by dispatch on a proxy link; anywhere else it is not a
        // command.
        ServerCmd::At | ServerCmd::At2 => unknown(argv),
        ServerCmd::CorekvCluster => crate::admin::cluster(&conn.core, conn.proxied, argv).await,
        ServerCmd::GroupAdmin => {
            crate::admin::group_admin(&conn.core, conn.proxied, argv.to_vec()).await
        }
        ServerCmd::Debug if conn.core.node.args.debug_commands => {
            conn.core.node.debug_command(argv)
        }
        ServerCmd::Debug => unknown(argv),
        ServerCmd::Subscribe => pubsub::subscribe(conn, Kind::Plain, false, argv),
        ServerCmd::PSubscribe => pubsub::subscribe(conn, Kind::Plain, true, argv),
        ServerCmd::SSubscribe => pubsub::subscribe(conn, Kind::Shard, false, argv),
        ServerCmd::Unsubscribe => pubsub::unsubscribe(conn, Kind::Plain, false, argv),
        ServerCmd::PUnsubscribe => pubsub::unsubscribe(conn, Kind::Plain, true, argv),
        ServerCmd::SUnsubscribe => pubsub::unsubscribe(conn, Kind::Shard, false, argv),
        // Dispatch runs a client's PUBLISH without this path (pipelined);
        // this serves it where commands are run one by one.
        ServerCmd::Publish | ServerCmd::SPublish => match pubsub::publish_cmd(conn, cmd, argv) {
            Err(r) => r,
            Ok(parts) => {
                let mut n = 0;
                for p in parts {
                    if let Reply::Integer(x) = p.resolve().await {
                        n += x;
                    }
                }
                Reply::Integer(n)
            }
        },
        ServerCmd::Pubsub(sub) => pubsub::pubsub(conn, sub, argv).await,
        ServerCmd::CorekvPub => pubsub::corekv_pub(&conn.core, argv).await,
        ServerCmd::Monitor => pubsub::monitor(conn),
    }
}

fn set_client(conn: &Conn) {
    if let Some(c) = conn.core.st.borrow_mut().clients.get_mut(&conn.id) {
        c.name = conn.name.clone();
        c.resp = if conn.proto == Proto::Resp3 { 3 } else { 2 };
    }
}

fn hello(conn: &mut Conn, argv: &[Bytes]) -> Reply {
    let mut proto = conn.proto;
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        match std::str::from_utf8(v)
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
        {
            Some(2) => proto = Proto::Resp2,
            Some(3) => proto = Proto::Resp3,
            Some(_) => return errors::err("NOPROTO unsupported protocol version"),
            None => return errors::err("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    let mut name = None;
    while let Some(opt) = argv.get(i) {
        let more = argv.len() - i - 1;
        match lower(opt).as_str() {
            "auth" if more >= 2 => {
                let user = argv.get(i + 1).map(|b| b.as_ref()).unwrap_or(b"");
                let pass = argv.get(i + 2).map(|b| b.as_ref()).unwrap_or(b"");
                let cmd = argv.first().map(|b| b.as_ref()).unwrap_or(b"");
                if let Err(r) = crate::acl::hello_auth(conn, cmd, user, pass) {
                    return r;
                }
                i += 3;
            }
            "setname" if more >= 1 => {
                let n = argv.get(i + 1).cloned().unwrap_or_default();
                if !valid_name(&n) {
                    return errors::err(NAME_ERR);
                }
                name = Some(String::from_utf8_lossy(&n).into_owned());
                i += 2;
            }
            _ => {
                return errors::err(&format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
    }
    if !conn.auth.authenticated {
        return errors::err(corekv_core::acl::HELLO_NOAUTH);
    }
    conn.proto = proto;
    conn.pubsub_proto_changed();
    if let Some(n) = name {
        conn.name = n;
    }
    set_client(conn);
    Reply::Map(vec![
        (bulk_str("server"), bulk_str("redis")),
        (bulk_str("version"), bulk_str(crate::REDIS_VERSION)),
        (
            bulk_str("proto"),
            Reply::Integer(if proto == Proto::Resp3 { 3 } else { 2 }),
        ),
        (bulk_str("id"), Reply::Integer(conn.id as i64)),
        (bulk_str("mode"), bulk_str("standalone")),
        (bulk_str("role"), bulk_str("master")),
        (bulk_str("modules"), Reply::Array(Vec::new())),
    ])
}

const NAME_ERR: &str = "ERR Client names cannot contain spaces, newlines or special characters.";

fn valid_name(n: &[u8]) -> bool {
    n.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// `WAIT numreplicas timeout`: how many replicas hold this connection's
/// acknowledged writes. corekv acknowledges a write only once a quorum of
/// its group has it, so a quorum's worth is there at once; beyond that the
/// leaders' Raft progress counts, in every group (a lagging group this
/// connection never wrote to makes the count low, never high): this node's
/// cores for the groups it leads, every other node (`COREKV.REPLICAS`) for
/// theirs; an unreachable node's groups count their quorum. Like Redis:
/// answered at once when `numreplicas` are there, otherwise polled until
/// they are or `timeout` ms pass (0: no limit).
async fn wait(conn: &mut Conn, argv: &[Bytes]) -> Reply {
    // Redis's integer syntax (string2ll), as every command's.
    let int = |i: usize| argv.get(i).and_then(|b| corekv_core::cmd::parse_i64(b));
    let Some(want) = int(1) else {
        return errors::err(errors::NOT_INTEGER);
    };
    let Some(timeout) = int(2) else {
        return errors::err("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return errors::err("ERR timeout is negative");
    }
    let deadline = (timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout as u64));
    loop {
        let n = replicas_everywhere(conn).await;
        if n >= want || deadline.is_some_and(|d| Instant::now() >= d) {
            return Reply::Integer(n);
        }
        monoio::time::sleep(WAIT_POLL).await;
    }
}

/// This node's cores' `Shard::replica_counts`, combined: (the fewest
/// followers holding the commit in a group led here, if any; the quorum
/// floor).
async fn local_replica_counts(conn: &Conn) -> (Option<u64>, u64) {
    let node = &conn.core.node;
    let (mut led, mut floor): (Option<u64>, u64) = (None, u64::MAX);
    for (l, f) in node.ask_cores(Msg::Replicas).await {
        if let Some(l) = l {
            led = Some(led.map_or(l, |m| m.min(l)));
        }
        floor = floor.min(f);
    }
    (led, if floor == u64::MAX { 0 } else { floor })
}

/// WAIT's count over every group of the cluster (see [`wait`]).
async fn replicas_everywhere(conn: &Conn) -> i64 {
    let (led, floor) = local_replica_counts(conn).await;
    let mut n = led.unwrap_or(u64::MAX);
    let node = conn.core.node.clone();
    let me = node.cluster.node_id;
    for (id, addr) in node.book() {
        if id == me {
            continue;
        }
        let call = vec![Bytes::from_static(b"COREKV.REPLICAS")];
        n = n.min(match conn.core.proxy_pool().try_call(addr, call).await {
            Ok(Reply::Integer(x)) if x >= 0 => x as u64,
            // It leads no group.
            Ok(Reply::Integer(_)) => u64::MAX,
            _ => floor,
        });
    }
    if n == u64::MAX {
        floor as i64
    } else {
        n as i64
    }
}

/// `COREKV.REPLICAS`: the fewest followers holding the committed log in a
/// group this node leads (or without a known leader), -1 if none.
async fn corekv_replicas(conn: &Conn) -> Reply {
    match local_replica_counts(conn).await {
        (Some(n), _) => Reply::Integer(n as i64),
        (None, _) => Reply::Integer(-1),
    }
}

/// How often WAIT looks at the replicas' progress again.
const WAIT_POLL: Duration = Duration::from_millis(10);

async fn client(conn: &mut Conn, sub: ClientSub, argv: &[Bytes]) -> Reply {
    let node = conn.core.node.clone();
    match sub {
        ClientSub::Id => Reply::Integer(conn.id as i64),
        ClientSub::GetName => {
            if conn.name.is_empty() {
                Reply::Nil
            } else {
                bulk_str(&conn.name)
            }
        }
        ClientSub::SetName => {
            let n = argv.get(2).cloned().unwrap_or_default();
            if !valid_name(&n) {
                return errors::err(NAME_ERR);
            }
            conn.name = String::from_utf8_lossy(&n).into_owned();
            set_client(conn);
            Reply::ok()
        }
        ClientSub::NoEvict => match argv.get(2).map(|b| lower(b)).as_deref() {
            Some("on") => {
                conn.no_evict = true;
                Reply::ok()
            }
            Some("off") => {
                conn.no_evict = false;
                Reply::ok()
            }
            _ => errors::err(errors::SYNTAX),
        },
        ClientSub::List | ClientSub::Info => {
            let mut lines: Vec<String> = Vec::new();
            for snap in node.snapshots().await {
                lines.extend(snap.clients);
            }
            let me = format!("id={} ", conn.id);
            if sub == ClientSub::Info {
                let line = lines
                    .into_iter()
                    .find(|l| l.starts_with(&me))
                    .unwrap_or_default();
                return Reply::Verbatim(format!("{line}\n"));
            }
            // Filters: TYPE normal|master|replica|pubsub, ID id...
            let mut ids: Option<Vec<String>> = None;
            let mut i = 2;
            while let Some(opt) = argv.get(i) {
                match lower(opt).as_str() {
                    "type" => {
                        let t = argv.get(i + 1).map(|b| lower(b)).unwrap_or_default();
                        if !["normal", "master", "replica", "pubsub", "slave"].contains(&t.as_str())
                        {
                            return errors::err(&format!("ERR Unknown client type '{t}'"));
                        }
                        if t != "normal" {
                            lines.clear();
                        }
                        i += 2;
                    }
                    "id" => {
                        let mut v = Vec::new();
                        i += 1;
                        while let Some(x) = argv.get(i) {
                            match std::str::from_utf8(x)
                                .ok()
                                .and_then(|x| x.parse::<u64>().ok())
                            {
                                Some(n) if n > 0 => v.push(format!("id={n} ")),
                                _ => return errors::err("ERR Invalid client ID"),
                            }
                            i += 1;
                        }
                        ids = Some(v);
                    }
                    _ => return errors::err(errors::SYNTAX),
                }
            }
            if let Some(ids) = ids {
                lines.retain(|l| ids.iter().any(|p| l.starts_with(p.as_str())));
            }
            lines.sort_by_key(|l| {
                l.strip_prefix("id=")
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0)
            });
            let mut text = String::new();
            for l in lines {
                text.push_str(&l);
                text.push('\n');
            }
            Reply::Verbatim(text)
        }
        ClientSub::Kill => {
            let mut f = KillFilter::default();
            let old_style = argv.len() == 3;
            if old_style {
                f.addr = Some(
                    String::from_utf8_lossy(argv.get(2).map(|b| b.as_ref()).unwrap_or(b""))
                        .into_owned(),
                );
            } else {
                let mut skipme = true;
                let mut i = 2;
                while i < argv.len() {
                    let (Some(k), Some(v)) = (argv.get(i), argv.get(i + 1)) else {
                        return errors::err(errors::SYNTAX);
                    };
                    let v_str = String::from_utf8_lossy(v).into_owned();
                    match lower(k).as_str() {
                        "id" => match v_str.parse::<u64>() {
                            Ok(n) if n > 0 => f.id = Some(n),
                            _ => return errors::err("ERR client-id should be greater than 0"),
                        },
                        "addr" => f.addr = Some(v_str),
                        "laddr" => f.laddr = Some(v_str),
                        "skipme" => match v_str.to_ascii_lowercase().as_str() {
                            "yes" => skipme = true,
                            "no" => skipme = false,
                            _ => return errors::err(errors::SYNTAX),
                        },
                        "user" | "type" | "maxage" => {}
                        _ => return errors::err(errors::SYNTAX),
                    }
                    i += 2;
                }
                if skipme {
                    f.skip_id = Some(conn.id);
                }
            }
            let killed: usize = node
                .ask_cores(|tx| Msg::Kill(f.clone(), tx))
                .await
                .into_iter()
                .sum();
            if old_style {
                if killed == 0 {
                    return errors::err("ERR No such client");
                }
                return Reply::ok();
            }
            Reply::Integer(killed as i64)
        }
        ClientSub::Tracking => crate::tracking::client_tracking(conn, argv).await,
        ClientSub::Caching => crate::tracking::client_caching(conn, argv),
        ClientSub::GetRedir => crate::tracking::client_getredir(conn),
        ClientSub::TrackingInfo => crate::tracking::client_trackinginfo(conn),
        ClientSub::Unblock => {
            // Redis checks the reason first, then the id (networking.c).
            let error = match argv.get(3).map(|b| lower(b)).as_deref() {
                None | Some("timeout") => false,
                Some("error") => true,
                Some(_) => {
                    return errors::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                }
            };
            if argv.len() > 4 {
                return errors::err(errors::SYNTAX);
            }
            let Some(client) = argv.get(2).and_then(|b| corekv_core::cmd::parse_i64(b)) else {
                return errors::err(errors::NOT_INTEGER);
            };
            if client <= 0 {
                return Reply::Integer(0);
            }
            // The core holding the client's blocked command answers 1 once
            // it is answered; every other core 0.
            let n: u64 = node
                .ask_cores(|answer| Msg::Unblock {
                    client: client as u64,
                    error,
                    answer,
                })
                .await
                .into_iter()
                .sum();
            Reply::Integer(n.min(1) as i64)
        }
        ClientSub::Help => table::help_reply(
            b"CLIENT",
            &[
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * ID <client-id>",
                "      Kill connections by client id.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "    * ID <client-id> [<client-id> ...]",
                "      Return clients of specified IDs only.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
            ],
        ),
    }
}

/// The parameters CONFIG GET reports, and whether CONFIG SET may change them.
fn config_params(conn: &Conn) -> Vec<(&'static str, String)> {
    let node = &conn.core.node;
    let a = &node.args;
    vec![
        ("bind", a.bind.clone()),
        ("port", a.port.to_string()),
        (
            "dir",
            std::fs::canonicalize(&a.dir)
                .unwrap_or(a.dir.clone())
                .display()
                .to_string(),
        ),
        ("maxclients", node.maxclients.load(Relaxed).to_string()),
        (
            "busy-reply-threshold",
            node.scripting.time_limit_ms().to_string(),
        ),
        ("lua-time-limit", node.scripting.time_limit_ms().to_string()),
        ("appendonly", "yes".into()),
        ("appendfsync", fsync_name(node.fsync()).into()),
        ("requirepass", node.acl.requirepass()),
        (
            "aclfile",
            node.acl
                .file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        ("save", String::new()),
        ("databases", "1".into()),
        ("maxmemory", "0".into()),
        ("maxmemory-policy", "noeviction".into()),
        (
            "notify-keyspace-events",
            corekv_core::notify::format_flags(node.notify_flags.load(Relaxed)),
        ),
        ("timeout", "0".into()),
        ("tcp-keepalive", "300".into()),
        ("proto-max-bulk-len", "536870912".into()),
        (
            "cluster-enabled",
            if conn.core.node.args.cluster_enabled {
                "yes"
            } else {
                "no"
            }
            .into(),
        ),
        ("io-threads", "1".into()),
        ("client-output-buffer-limit", node.pubsub.limit_config()),
        ("corekv-cores", node.cores.to_string()),
        ("corekv-groups-per-core", a.groups_per_core.to_string()),
        (
            "corekv-max-clients-per-ip",
            a.max_clients_per_ip.to_string(),
        ),
    ]
}

async fn config(conn: &mut Conn, sub: ConfigSub, argv: &[Bytes]) -> Reply {
    match sub {
        ConfigSub::Get => {
            let params = config_params(conn);
            let mut out = Vec::new();
            for (name, value) in &params {
                let hit = argv
                    .iter()
                    .skip(2)
                    .any(|p| glob_match(&p.to_ascii_lowercase(), name.as_bytes(), true));
                if hit {
                    out.push((bulk_str(name), bulk_str(value)));
                }
            }
            Reply::Map(out)
        }
        ConfigSub::Set => {
            let pairs = argv.get(2..).unwrap_or(&[]);
            if pairs.len() % 2 != 0 {
                return errors::arity("config|set");
            }
            let known = config_params(conn);
            // Validate everything first: CONFIG SET is all or nothing.
            let mut changes = Vec::new();
            for pair in pairs.chunks(2) {
                let (Some(k), Some(v)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                let name = lower(k);
                let value = String::from_utf8_lossy(v).into_owned();
                if !known.iter().any(|(n, _)| *n == name) {
                    return errors::err(&format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                        String::from_utf8_lossy(k)
                    ));
                }
                match name.as_str() {
                    "maxclients" => match value.parse::<usize>() {
                        Ok(n) if n >= 1 => changes.push((name, value)),
                        _ => {
                            return errors::err(&format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be a number"
                            ));
                        }
                    },
                    "busy-reply-threshold" | "lua-time-limit" => match value.parse::<u64>() {
                        Ok(_) => changes.push((name, value)),
                        _ => {
                            return errors::err(&format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - argument couldn't be parsed into an integer"
                            ));
                        }
                    },
                    "notify-keyspace-events" => {
                        if corekv_core::notify::parse_flags(v).is_none() {
                            return errors::err(&format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - {}",
                                corekv_core::notify::BAD_FLAGS
                            ));
                        }
                        changes.push((name, value));
                    }
                    "requirepass" => changes.push((name, value)),
                    "appendfsync" => match parse_fsync(&value) {
                        Some(_) => changes.push((name, value)),
                        None => {
                            return errors::err(&format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - argument(s) must be one of the following: always, everysec, no"
                            ));
                        }
                    },
                    "client-output-buffer-limit" => {
                        if let Err(e) = crate::pubsub::Shared::parse_limit(&value) {
                            return errors::err(&format!(
                                "ERR CONFIG SET failed (possibly related to argument '{name}') - {e}"
                            ));
                        }
                        changes.push((name, value));
                    }
                    _ => {
                        return errors::err(&format!(
                            "ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config"
                        ));
                    }
                }
            }
            // The password first: it is the change that can fail (group 0
            // has no leader), and then nothing else changed.
            if let Some((_, pass)) = changes.iter().find(|(n, _)| n == "requirepass") {
                let r = crate::acl::set_requirepass(&conn.core, pass.as_bytes()).await;
                if r.is_error() {
                    return r;
                }
            }
            for (name, value) in changes {
                match name.as_str() {
                    "client-output-buffer-limit" => {
                        if let Ok(Some((hard, soft, secs))) =
                            crate::pubsub::Shared::parse_limit(&value)
                        {
                            let l = &conn.core.node.pubsub.limit;
                            l.hard.store(hard, Relaxed);
                            l.soft.store(soft, Relaxed);
                            l.soft_secs.store(secs, Relaxed);
                        }
                    }
                    "maxclients" => {
                        if let Ok(n) = value.parse::<usize>() {
                            conn.core.node.maxclients.store(n, Relaxed);
                        }
                    }
                    "busy-reply-threshold" | "lua-time-limit" => {
                        if let Ok(ms) = value.parse::<u64>() {
                            conn.core.node.scripting.set_time_limit_ms(ms);
                        }
                    }
                    "appendfsync" => {
                        if let Some(f) = parse_fsync(&value) {
                            conn.core.node.set_fsync(f);
                        }
                    }
                    "notify-keyspace-events" => {
                        if let Some(f) = corekv_core::notify::parse_flags(value.as_bytes()) {
                            conn.core.node.notify_flags.store(f, Relaxed);
                        }
                    }
                    _ => {}
                }
            }
            Reply::ok()
        }
        ConfigSub::ResetStat => {
            conn.core.node.broadcast(|| Msg::ResetStats);
            Reply::ok()
        }
        ConfigSub::Help => table::help_reply(
            b"CONFIG",
            &[
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
            ],
        ),
    }
}

const DEFAULT_SECTIONS: [&str; 10] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "cluster",
    "keyspace",
    "cores",
];

async fn info(conn: &Conn, argv: &[Bytes]) -> String {
    let node = conn.core.node.clone();
    let mut wanted: Vec<String> = argv.iter().skip(1).map(|a| lower(a)).collect();
    if wanted.is_empty() || wanted.iter().any(|w| w == "default") {
        wanted = DEFAULT_SECTIONS.iter().map(|s| s.to_string()).collect();
    } else if wanted.iter().any(|w| w == "all" || w == "everything") {
        wanted = DEFAULT_SECTIONS.iter().map(|s| s.to_string()).collect();
        wanted.push("raft".into());
    }
    let snaps = if wanted
        .iter()
        .any(|w| w == "keyspace" || w == "raft" || w == "cores")
    {
        node.snapshots().await
    } else {
        Vec::new()
    };
    let sum = |f: &dyn Fn(&crate::stats::CoreCounters) -> u64| -> u64 {
        node.counters.iter().map(f).sum()
    };
    let uptime = node.started.elapsed().as_secs();
    let mut out = String::new();
    for section in &wanted {
        let body = match section.as_str() {
            "server" => format!(
                "redis_version:{}\r\ncorekv_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmultiplexing_api:io_uring\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nexecutable:{}\r\nconfig_file:\r\nio_threads_active:0\r\n",
                crate::REDIS_VERSION,
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::process::id(),
                node.run_id,
                node.args.port,
                unix_ms() * 1000,
                uptime,
                uptime / 86400,
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            "clients" => format!(
                "connected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
                node.connected.load(Relaxed),
                node.maxclients.load(Relaxed),
                // Each core publishes its count once per tick.
                node.counters
                    .iter()
                    .map(|c| c.blocked_clients.load(Relaxed))
                    .sum::<u64>()
            ),
            "memory" => {
                let rss = rss_bytes();
                format!(
                    "used_memory:{rss}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_peak:{rss}\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\nmem_allocator:libc\r\n",
                    human(rss)
                )
            }
            "persistence" => format!(
                "loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\naof_enabled:1\r\naof_rewrite_in_progress:0\r\ncorekv_fsync:{}\r\ncorekv_fsyncs:{}\r\n",
                node.lastsave_unix_s.load(Relaxed),
                fsync_name(node.fsync()),
                sum(&|c| c.fsyncs.load(Relaxed))
            ),
            "stats" => format!(
                "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\ntotal_error_replies:{}\r\ncorekv_forwarded_commands:{}\r\ncorekv_raft_proposals:{}\r\ncorekv_raft_batches:{}\r\ncorekv_heavy_submitted:{}\r\ncorekv_heavy_rejected:{}\r\ncorekv_txns_in_flight:{}\r\ncorekv_pubsub_clients_dropped:{}\r\ncorekv_pubsub_forwards_dropped:{}\r\n",
                sum(&|c| c.total_connections.load(Relaxed)),
                sum(&|c| c.commands.load(Relaxed)),
                sum(&|c| c.net_input_bytes.load(Relaxed)),
                sum(&|c| c.net_output_bytes.load(Relaxed)),
                sum(&|c| c.rejected_connections.load(Relaxed)),
                sum(&|c| c.expired_keys.load(Relaxed)),
                sum(&|c| c.errors.load(Relaxed)),
                sum(&|c| c.forwarded_out.load(Relaxed)),
                sum(&|c| c.proposals.load(Relaxed)),
                sum(&|c| c.raft_batches.load(Relaxed)),
                node.heavy.submitted.load(Relaxed),
                node.heavy.rejected.load(Relaxed),
                node.txns_in_flight.load(Relaxed),
                node.pubsub.dropped_clients.load(Relaxed),
                node.pubsub.dropped_forwards.load(Relaxed),
            ),
            "replication" => format!(
                "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n",
                node.run_id
            ),
            "cpu" => {
                let (user, sys) = cpu_times();
                format!(
                    "used_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n"
                )
            }
            "cluster" => format!(
                "cluster_enabled:{}\r\n",
                u8::from(node.args.cluster_enabled)
            ),
            "keyspace" => {
                let keys: u64 = snaps.iter().map(|s| s.keys).sum();
                let expires: u64 = snaps.iter().map(|s| s.expires).sum();
                if keys > 0 {
                    format!("db0:keys={keys},expires={expires},avg_ttl=0\r\n")
                } else {
                    String::new()
                }
            }
            "cores" => {
                let mut b = String::new();
                for s in &snaps {
                    let c = node.counters.get(s.core);
                    let groups: Vec<String> = s.raft.iter().map(|g| g.id.to_string()).collect();
                    b.push_str(&format!(
                        "core{}:groups={},keys={},connections={},commands={},forwarded_out={},forwarded_in={},proposals={},fsyncs={}\r\n",
                        s.core,
                        groups.join("/"),
                        s.keys,
                        c.map_or(0, |c| c.connections.load(Relaxed)),
                        c.map_or(0, |c| c.commands.load(Relaxed)),
                        c.map_or(0, |c| c.forwarded_out.load(Relaxed)),
                        c.map_or(0, |c| c.forwarded_in.load(Relaxed)),
                        c.map_or(0, |c| c.proposals.load(Relaxed)),
                        c.map_or(0, |c| c.fsyncs.load(Relaxed)),
                    ));
                }
                b
            }
            "raft" => {
                let mut b = String::new();
                for s in &snaps {
                    for g in &s.raft {
                        b.push_str(&format!(
                            "group{}:core={},role={},leader_id={},term={},commit={},applied={},last_index={},voters={}\r\n",
                            g.id,
                            s.core,
                            if g.leader { "leader" } else { "follower" },
                            g.leader_id,
                            g.term,
                            g.commit,
                            g.applied,
                            g.last_index,
                            g.voters
                        ));
                    }
                }
                b
            }
            _ => continue,
        };
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match section.as_str() {
            "cpu" => "CPU".to_string(),
            other => {
                let mut c = other.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        };
        out.push_str(&format!("# {title}\r\n{body}"));
    }
    out
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn human(b: u64) -> String {
    if b >= 1 << 30 {
        format!("{:.2}G", b as f64 / (1u64 << 30) as f64)
    } else if b >= 1 << 20 {
        format!("{:.2}M", b as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.2}K", b as f64 / 1024.0)
    }
}

fn cpu_times() -> (f64, f64) {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_utime), t(ru.ru_stime))
}
