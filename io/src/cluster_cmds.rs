//! The CLUSTER command family, answered the way Redis 7.0 answers it, from a
//! [`Topology`] snapshot. Pure: no IO, no clock; the two subcommands that
//! need data (COUNTKEYSINSLOT, GETKEYSINSLOT) are validated here and handed
//! back to the caller as [`ClusterCmd`] variants.
//!
//! # Mapping Raft groups onto Redis Cluster's model
//!
//! Redis Cluster has masters that own slots and replicas of one master.
//! corekv has Raft groups, each owning one contiguous slot range and
//! replicated on its voters; a node leads some groups and follows others.
//! The views below are built as follows:
//!
//! * **Master of a group**: its leader. While the leader is unknown
//!   (`leader == 0`, election in progress) or not a known member, the first
//!   voter that is a known member stands in, so clients still see every slot
//!   covered and know where to send the group's keys (which cannot be
//!   served until a leader exists). A group with no known member at all is left out (its slots are
//!   unassigned). **Replicas of a group**: its other voters that are known
//!   members, in id order.
//! * **CLUSTER SLOTS**: one entry per maximal run of adjacent groups with the
//!   same master and the same replicas (Redis emits one entry per run of
//!   slots owned by the same master).
//! * **CLUSTER SHARDS**: a shard is a master plus its replicas, so groups
//!   with the same master and the same replicas form one shard whose `slots`
//!   list every range of theirs (adjacent ranges merged); otherwise one shard
//!   per group. Shards are ordered by first slot. Nodes that master nothing
//!   appear only as replicas inside other shards (Redis would also list such
//!   a node as a slotless shard of its own, but here it is a replica).
//!   `replication-offset` is 0 (the view carries no Raft indexes) and
//!   `health` is `online`.
//! * **CLUSTER NODES**: one line per member, always with the `master` flag
//!   (a `slave` line must name exactly one master, and a corekv node follows
//!   several). A node's slots are the ranges of the groups it masters; a
//!   node mastering nothing is a master without slots. The config epoch is
//!   the highest term of the groups it masters (0 if none); the cluster bus
//!   port is `port + 10000`; ping/pong times are 0 and every link is
//!   `connected`.
//! * **CLUSTER INFO**: slots of groups without a known leader count as
//!   `cluster_slots_fail` and make `cluster_state:fail`;
//!   `cluster_current_epoch` is the highest term of any group and
//!   `cluster_my_epoch` this node's config epoch (as in CLUSTER NODES).
//!
//! As in Redis, CLUSTER NODES and CLUSTER INFO are verbatim strings (`=` in
//! RESP3, bulk in RESP2) and node entries in CLUSTER SLOTS end with an empty
//! map (`%0` in RESP3, `*0` in RESP2).

use crate::core::Core;
use crate::topology::{GroupView, NodeView, Topology};
use bytes::Bytes;
use corekv_core::cmd::parse_i64;
use corekv_core::table::help_reply;
use corekv_core::{Reply, errors, slot::key_slot};
use std::net::SocketAddr;
use std::ops::Range;
use std::rc::Rc;

/// What a CLUSTER command needs. Most are answered from the topology alone.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterCmd {
    /// Answered from the view (replies and errors alike).
    Reply(Reply),
    /// The caller counts the keys of that slot on the owning group (an
    /// integer reply).
    CountKeysInSlot(u16),
    /// The caller lists up to N keys of that slot (an array of bulk
    /// strings). N is client-supplied and may be huge (up to `i64::MAX`):
    /// don't preallocate from it.
    GetKeysInSlot(u16, usize),
}

/// Redis's reply to every CLUSTER command when cluster support is off.
pub fn disabled() -> Reply {
    errors::err("ERR This instance has cluster support disabled")
}

/// Number of Redis Cluster hash slots.
const SLOTS: u32 = corekv_core::slot::SLOTS as u32;

/// Redis's cluster bus port offset (`CLUSTER_PORT_INCR`).
const BUS_PORT_INCR: u32 = 10000;

/// Every CLUSTER subcommand of Redis 7.0 with its command-table arity
/// (negative: at least that many arguments, counting `CLUSTER` and the
/// subcommand). Redis checks arity before running any of them.
const SUBCOMMANDS: &[(&str, i32)] = &[
    ("addslots", -3),
    ("addslotsrange", -4),
    ("bumpepoch", 2),
    ("count-failure-reports", 3),
    ("countkeysinslot", 3),
    ("delslots", -3),
    ("delslotsrange", -4),
    ("failover", -2),
    ("flushslots", 2),
    ("forget", 3),
    ("getkeysinslot", 4),
    ("help", 2),
    ("info", 2),
    ("keyslot", 3),
    ("links", 2),
    ("meet", -4),
    ("myid", 2),
    ("nodes", 2),
    ("replicas", 3),
    ("replicate", 3),
    ("reset", -2),
    ("saveconfig", 2),
    ("set-config-epoch", 3),
    ("setslot", -4),
    ("shards", 2),
    ("slaves", 3),
    ("slots", 2),
];

/// Redis 7.0's CLUSTER HELP lines for the subcommands corekv answers, in
/// Redis's order and wording.
const HELP: &[&str] = &[
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
];

/// Parses `argv` (`argv[0]` is `CLUSTER` in any case) and answers it from
/// `topo`, with Redis 7.0's replies and error texts.
pub fn parse_and_answer(topo: &Topology, argv: &[Bytes]) -> ClusterCmd {
    let Some(sub) = argv.get(1) else {
        return ClusterCmd::Reply(errors::arity("cluster"));
    };
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let Some(&(name, arity)) = SUBCOMMANDS.iter().find(|(n, _)| *n == lower) else {
        return ClusterCmd::Reply(unknown_subcommand(sub));
    };
    let argc = argv.len() as i64;
    let arity = i64::from(arity);
    if (arity > 0 && argc != arity) || argc < -arity {
        return ClusterCmd::Reply(errors::arity(&format!("cluster|{name}")));
    }
    let arg = |i: usize| argv.get(i).map(|b| b.as_ref()).unwrap_or(b"");
    let reply = match name {
        "help" => help_reply(b"CLUSTER", HELP),
        "myid" => bulk(&Topology::node_name(topo.myself)),
        "keyslot" => Reply::Integer(i64::from(key_slot(arg(2)))),
        "slots" => slots(topo),
        "shards" => shards(topo),
        "nodes" => Reply::Verbatim(nodes(topo)),
        "info" => Reply::Verbatim(info(topo)),
        "countkeysinslot" => {
            let Some(slot) = parse_i64(arg(2)) else {
                return ClusterCmd::Reply(errors::err(errors::NOT_INTEGER));
            };
            return match u16::try_from(slot) {
                Ok(s) if u32::from(s) < SLOTS => ClusterCmd::CountKeysInSlot(s),
                _ => ClusterCmd::Reply(errors::err("ERR Invalid slot")),
            };
        }
        "getkeysinslot" => {
            // Redis parses both numbers before range-checking either.
            let (Some(slot), Some(count)) = (parse_i64(arg(2)), parse_i64(arg(3))) else {
                return ClusterCmd::Reply(errors::err(errors::NOT_INTEGER));
            };
            return match (u16::try_from(slot), usize::try_from(count)) {
                (Ok(s), Ok(n)) if u32::from(s) < SLOTS => ClusterCmd::GetKeysInSlot(s, n),
                _ => ClusterCmd::Reply(errors::err("ERR Invalid slot or number of keys")),
            };
        }
        other => errors::err(&format!(
            "ERR CLUSTER {} is not supported: corekv assigns slots to Raft groups itself",
            other.to_ascii_uppercase()
        )),
    };
    ClusterCmd::Reply(reply)
}

/// `ERR unknown subcommand 'foo'. Try CLUSTER HELP.` (Redis quotes at most
/// 128 bytes and turns CR/LF into spaces.)
fn unknown_subcommand(sub: &[u8]) -> Reply {
    let cut = sub.get(..128).unwrap_or(sub);
    let text: String = String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    errors::err(&format!(
        "ERR unknown subcommand '{text}'. Try CLUSTER HELP."
    ))
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// One group as Redis Cluster would present it.
struct Owned<'a> {
    group: &'a GroupView,
    master: u64,
    replicas: Vec<u64>,
    /// The leader is known (not a stand-in).
    led: bool,
}

/// Every group that has a known member to present as its master, in slot
/// order (see the module docs for the stand-in rule).
fn owned(topo: &Topology) -> Vec<Owned<'_>> {
    let mut groups: Vec<&GroupView> = topo.groups.iter().collect();
    groups.sort_by_key(|g| g.slots.start);
    groups
        .into_iter()
        .filter_map(|g| {
            let led = g.leader != 0 && topo.node(g.leader).is_some();
            let master = if led {
                g.leader
            } else {
                *g.voters.iter().find(|&&v| topo.node(v).is_some())?
            };
            let replicas = g
                .voters
                .iter()
                .copied()
                .filter(|&v| v != master && topo.node(v).is_some())
                .collect();
            Some(Owned {
                group: g,
                master,
                replicas,
                led,
            })
        })
        .filter(|o| !o.group.slots.is_empty())
        .collect()
}

/// Appends `r` to `ranges`, merging it into the last one when adjacent.
fn push_range(ranges: &mut Vec<Range<u16>>, r: &Range<u16>) {
    match ranges.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => ranges.push(r.clone()),
    }
}

/// `(first, last)` inclusive, as Redis prints slot ranges.
fn bounds(r: &Range<u16>) -> (i64, i64) {
    (i64::from(r.start), i64::from(r.end) - 1)
}

fn addr_of(topo: &Topology, id: u64) -> Option<SocketAddr> {
    topo.node(id).map(|n| n.addr)
}

/// `[ip, port, id, {}]`: Redis 7.0's node entry with the default
/// `cluster-preferred-endpoint-type ip` and no hostname (an empty map).
fn slots_node(topo: &Topology, id: u64) -> Option<Reply> {
    let addr = addr_of(topo, id)?;
    Some(Reply::Array(vec![
        bulk(&addr.ip().to_string()),
        Reply::Integer(i64::from(addr.port())),
        bulk(&Topology::node_name(id)),
        Reply::Map(Vec::new()),
    ]))
}

fn slots(topo: &Topology) -> Reply {
    // Runs of adjacent groups with the same master and replicas.
    let mut runs: Vec<(Range<u16>, u64, Vec<u64>)> = Vec::new();
    for o in owned(topo) {
        match runs.last_mut() {
            Some((r, m, reps))
                if r.end == o.group.slots.start && *m == o.master && *reps == o.replicas =>
            {
                r.end = o.group.slots.end;
            }
            _ => runs.push((o.group.slots.clone(), o.master, o.replicas)),
        }
    }
    Reply::Array(
        runs.into_iter()
            .map(|(r, master, replicas)| {
                let (first, last) = bounds(&r);
                let mut entry = vec![Reply::Integer(first), Reply::Integer(last)];
                entry.extend(
                    std::iter::once(master)
                        .chain(replicas)
                        .filter_map(|id| slots_node(topo, id)),
                );
                Reply::Array(entry)
            })
            .collect(),
    )
}

/// One node of a CLUSTER SHARDS shard, keys in Redis 7.0's order.
fn shard_node(topo: &Topology, id: u64, master: bool) -> Option<Reply> {
    let addr = addr_of(topo, id)?;
    let ip = addr.ip().to_string();
    let kv = |k: &str, v: Reply| (bulk(k), v);
    Some(Reply::Map(vec![
        kv("id", bulk(&Topology::node_name(id))),
        kv("port", Reply::Integer(i64::from(addr.port()))),
        kv("ip", bulk(&ip)),
        kv("endpoint", bulk(&ip)),
        kv("role", bulk(if master { "master" } else { "replica" })),
        kv("replication-offset", Reply::Integer(0)),
        kv("health", bulk("online")),
    ]))
}

fn shards(topo: &Topology) -> Reply {
    let mut shards: Vec<(u64, Vec<u64>, Vec<Range<u16>>)> = Vec::new();
    for o in owned(topo) {
        match shards
            .iter_mut()
            .find(|(m, reps, _)| *m == o.master && *reps == o.replicas)
        {
            Some((_, _, ranges)) => push_range(ranges, &o.group.slots),
            None => shards.push((o.master, o.replicas, vec![o.group.slots.clone()])),
        }
    }
    Reply::Array(
        shards
            .into_iter()
            .map(|(master, replicas, ranges)| {
                let slots = ranges
                    .iter()
                    .flat_map(|r| {
                        let (first, last) = bounds(r);
                        [Reply::Integer(first), Reply::Integer(last)]
                    })
                    .collect();
                let mut nodes: Vec<Reply> = shard_node(topo, master, true).into_iter().collect();
                nodes.extend(
                    replicas
                        .iter()
                        .filter_map(|&id| shard_node(topo, id, false)),
                );
                Reply::Map(vec![
                    (bulk("slots"), Reply::Array(slots)),
                    (bulk("nodes"), Reply::Array(nodes)),
                ])
            })
            .collect(),
    )
}

/// Slot ranges a node masters, merged, and its config epoch.
fn mastered(owned: &[Owned<'_>], id: u64) -> (Vec<Range<u16>>, u64) {
    let mut ranges = Vec::new();
    let mut epoch = 0;
    for o in owned.iter().filter(|o| o.master == id) {
        push_range(&mut ranges, &o.group.slots);
        epoch = epoch.max(o.group.term);
    }
    (ranges, epoch)
}

fn nodes(topo: &Topology) -> String {
    let owned = owned(topo);
    let mut out = String::new();
    let mut members: Vec<_> = topo.nodes.iter().collect();
    members.sort_by_key(|n| n.id);
    for n in members {
        let (ranges, epoch) = mastered(&owned, n.id);
        let flags = if n.id == topo.myself {
            "myself,master"
        } else {
            "master"
        };
        let port = u32::from(n.addr.port());
        out.push_str(&format!(
            "{} {}:{}@{} {} - 0 0 {} connected",
            Topology::node_name(n.id),
            n.addr.ip(),
            port,
            port + BUS_PORT_INCR,
            flags,
            epoch
        ));
        for r in &ranges {
            let (first, last) = bounds(r);
            if first == last {
                out.push_str(&format!(" {first}"));
            } else {
                out.push_str(&format!(" {first}-{last}"));
            }
        }
        out.push('\n');
    }
    out
}

fn info(topo: &Topology) -> String {
    let owned = owned(topo);
    let count = |o: &Owned<'_>| o.group.slots.len() as u64;
    let assigned: u64 = owned.iter().map(count).sum();
    let ok: u64 = owned.iter().filter(|o| o.led).map(count).sum();
    let fail = assigned - ok;
    let state = if assigned == u64::from(SLOTS) && fail == 0 {
        "ok"
    } else {
        "fail"
    };
    let mut masters: Vec<u64> = owned.iter().map(|o| o.master).collect();
    masters.sort_unstable();
    masters.dedup();
    let current_epoch = topo.groups.iter().map(|g| g.term).max().unwrap_or(0);
    let (_, my_epoch) = mastered(&owned, topo.myself);
    format!(
        "cluster_state:{state}\r\n\
         cluster_slots_assigned:{assigned}\r\n\
         cluster_slots_ok:{ok}\r\n\
         cluster_slots_pfail:0\r\n\
         cluster_slots_fail:{fail}\r\n\
         cluster_known_nodes:{}\r\n\
         cluster_size:{}\r\n\
         cluster_current_epoch:{current_epoch}\r\n\
         cluster_my_epoch:{my_epoch}\r\n\
         cluster_stats_messages_sent:0\r\n\
         cluster_stats_messages_received:0\r\n\
         total_cluster_links_buffer_limit_exceeded:0\r\n",
        topo.nodes.len(),
        masters.len(),
    )
}

/// The cluster as this node sees it now (every core's Raft state).
pub async fn topology(core: &Rc<Core>) -> Topology {
    let node = &core.node;
    let snaps = node.snapshots().await;
    let mut groups = Vec::new();
    for s in &snaps {
        for g in &s.raft {
            if let Some(info) = node
                .groups
                .iter()
                .find(|i| i.id == g.id && !i.slots.is_empty())
            {
                groups.push(GroupView {
                    id: g.id,
                    slots: info.slots.clone(),
                    leader: g.leader_id,
                    voters: g.voter_ids.clone(),
                    term: g.term,
                });
            }
        }
    }
    groups.sort_by_key(|g| g.slots.start);
    let mut nodes: Vec<NodeView> = node
        .book()
        .into_iter()
        .map(|(id, addr)| NodeView { id, addr })
        .collect();
    if nodes.is_empty() {
        // The port clients reach this node at: the TLS one with --port 0
        // or --tls-cluster yes (as Redis announces it).
        let port = if node.args.port == 0 || node.args.tls_cluster.0 {
            node.args.tls_port
        } else {
            node.args.port
        };
        let addr = format!("{}:{}", node.args.bind, port)
            .parse()
            .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], port)));
        nodes.push(NodeView {
            id: node.cluster.node_id,
            addr,
        });
    }
    Topology {
        myself: node.cluster.node_id,
        nodes,
        groups,
    }
}

/// Runs a `CLUSTER ...` command from a client.
pub async fn run(core: &Rc<Core>, proxied: bool, argv: &[Bytes]) -> Reply {
    let topo = topology(core).await;
    let answer = parse_and_answer(&topo, argv);
    if !core.node.args.cluster_enabled {
        // Redis checks arity and the subcommand name first.
        return match answer {
            ClusterCmd::Reply(Reply::Error(e))
                if e.starts_with("ERR wrong number") || e.starts_with("ERR unknown subcommand") =>
            {
                Reply::Error(e)
            }
            _ => disabled(),
        };
    }
    let (slot, argv) = match answer {
        ClusterCmd::Reply(r) => return r,
        ClusterCmd::CountKeysInSlot(slot) => (
            slot,
            vec![
                Bytes::from_static(b"COREKV.COUNTKEYSINSLOT"),
                Bytes::from(slot.to_string()),
            ],
        ),
        ClusterCmd::GetKeysInSlot(slot, n) => (
            slot,
            vec![
                Bytes::from_static(b"COREKV.GETKEYSINSLOT"),
                Bytes::from(slot.to_string()),
                Bytes::from(n.min(u32::MAX as usize).to_string()),
            ],
        ),
    };
    let gidx = core.node.group_of_slot(slot);
    core.submit_as(proxied, gidx, argv, false).resolve().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::NodeView;

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    fn run(topo: &Topology, args: &[&str]) -> ClusterCmd {
        parse_and_answer(topo, &argv(args))
    }

    fn reply(topo: &Topology, args: &[&str]) -> Reply {
        match run(topo, args) {
            ClusterCmd::Reply(r) => r,
            other => panic!("{args:?}: expected a reply, got {other:?}"),
        }
    }

    fn node(id: u64, port: u16) -> NodeView {
        NodeView {
            id,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    fn group(id: u32, slots: Range<u16>, leader: u64, voters: &[u64], term: u64) -> GroupView {
        GroupView {
            id,
            slots,
            leader,
            voters: voters.to_vec(),
            term,
        }
    }

    /// 3 nodes, 4 groups: node 1 leads groups 1 and 2 (adjacent, same
    /// voters), node 2 leads group 3, group 4 has no leader (node 2, its
    /// first voter, stands in); node 3 leads nothing.
    fn topo() -> Topology {
        Topology {
            myself: 1,
            nodes: vec![node(1, 7001), node(2, 7002), node(3, 7003)],
            groups: vec![
                group(1, 0..4096, 1, &[1, 2, 3], 5),
                group(2, 4096..8192, 1, &[1, 2, 3], 7),
                group(3, 8192..12288, 2, &[1, 2, 3], 3),
                group(4, 12288..16384, 0, &[2, 3], 4),
            ],
        }
    }

    fn b(s: &str) -> Reply {
        bulk(s)
    }

    fn i(v: i64) -> Reply {
        Reply::Integer(v)
    }

    fn name(id: u64) -> String {
        Topology::node_name(id)
    }

    fn slots_entry(id: u64) -> Reply {
        Reply::Array(vec![
            b("127.0.0.1"),
            i(7000 + id as i64),
            b(&name(id)),
            Reply::Map(vec![]),
        ])
    }

    fn shard_entry(id: u64, role: &str) -> Reply {
        Reply::Map(vec![
            (b("id"), b(&name(id))),
            (b("port"), i(7000 + id as i64)),
            (b("ip"), b("127.0.0.1")),
            (b("endpoint"), b("127.0.0.1")),
            (b("role"), b(role)),
            (b("replication-offset"), i(0)),
            (b("health"), b("online")),
        ])
    }

    fn err(text: &str) -> Reply {
        Reply::Error(text.to_string())
    }

    #[test]
    fn myid() {
        let t = topo();
        assert_eq!(
            reply(&t, &["cluster", "myid"]),
            b("0000000000000000000000000000000000000001")
        );
        assert_eq!(
            reply(&t, &["CLUSTER", "MyId", "x"]),
            err("ERR wrong number of arguments for 'cluster|myid' command")
        );
    }

    #[test]
    fn keyslot() {
        let t = topo();
        assert_eq!(reply(&t, &["CLUSTER", "KEYSLOT", "foo"]), i(12182));
        assert_eq!(
            reply(&t, &["CLUSTER", "keyslot", "{user1000}.following"]),
            i(3443)
        );
        assert_eq!(reply(&t, &["CLUSTER", "keyslot", ""]), i(0));
        assert_eq!(
            reply(&t, &["CLUSTER", "KEYSLOT"]),
            err("ERR wrong number of arguments for 'cluster|keyslot' command")
        );
        assert_eq!(
            reply(&t, &["CLUSTER", "KEYSLOT", "a", "b"]),
            err("ERR wrong number of arguments for 'cluster|keyslot' command")
        );
    }

    #[test]
    fn slots() {
        let t = topo();
        assert_eq!(
            reply(&t, &["cluster", "slots"]),
            Reply::Array(vec![
                // Groups 1 and 2: same master, same replicas, adjacent.
                Reply::Array(vec![
                    i(0),
                    i(8191),
                    slots_entry(1),
                    slots_entry(2),
                    slots_entry(3),
                ]),
                Reply::Array(vec![
                    i(8192),
                    i(12287),
                    slots_entry(2),
                    slots_entry(1),
                    slots_entry(3),
                ]),
                // Leaderless: first voter stands in as master.
                Reply::Array(vec![i(12288), i(16383), slots_entry(2), slots_entry(3)]),
            ])
        );
        assert_eq!(
            reply(&t, &["cluster", "slots", "x"]),
            err("ERR wrong number of arguments for 'cluster|slots' command")
        );
    }

    #[test]
    fn slots_skip_unknown_members_and_empty_groups() {
        let t = Topology {
            myself: 1,
            nodes: vec![node(1, 7001)],
            groups: vec![
                // Leader 9 is not a known member: node 1 stands in.
                group(1, 0..100, 9, &[1, 9], 2),
                group(2, 100..100, 1, &[1], 2),
                // No known member at all: unassigned.
                group(3, 100..16384, 0, &[8, 9], 2),
            ],
        };
        assert_eq!(
            reply(&t, &["cluster", "slots"]),
            Reply::Array(vec![Reply::Array(vec![i(0), i(99), slots_entry(1)])])
        );
        let info = match reply(&t, &["cluster", "info"]) {
            Reply::Verbatim(s) => s,
            other => panic!("{other:?}"),
        };
        assert!(info.starts_with(
            "cluster_state:fail\r\ncluster_slots_assigned:100\r\ncluster_slots_ok:0\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:100\r\n"
        ));
    }

    #[test]
    fn shards() {
        let t = topo();
        let shard = |first: i64, last: i64, nodes: Vec<Reply>| {
            Reply::Map(vec![
                (b("slots"), Reply::Array(vec![i(first), i(last)])),
                (b("nodes"), Reply::Array(nodes)),
            ])
        };
        assert_eq!(
            reply(&t, &["CLUSTER", "SHARDS"]),
            Reply::Array(vec![
                shard(
                    0,
                    8191,
                    vec![
                        shard_entry(1, "master"),
                        shard_entry(2, "replica"),
                        shard_entry(3, "replica"),
                    ]
                ),
                shard(
                    8192,
                    12287,
                    vec![
                        shard_entry(2, "master"),
                        shard_entry(1, "replica"),
                        shard_entry(3, "replica"),
                    ]
                ),
                shard(
                    12288,
                    16383,
                    vec![shard_entry(2, "master"), shard_entry(3, "replica")]
                ),
            ])
        );
        assert_eq!(
            reply(&t, &["CLUSTER", "SHARDS", "1"]),
            err("ERR wrong number of arguments for 'cluster|shards' command")
        );
    }

    #[test]
    fn shards_merge_non_adjacent_groups_of_one_shard() {
        let t = Topology {
            myself: 2,
            nodes: vec![node(1, 7001), node(2, 7002)],
            groups: vec![
                group(1, 0..10, 1, &[1, 2], 1),
                group(2, 10..20, 2, &[1, 2], 1),
                group(3, 20..16384, 1, &[1, 2], 1),
            ],
        };
        let Reply::Array(shards) = reply(&t, &["cluster", "shards"]) else {
            panic!()
        };
        assert_eq!(shards.len(), 2);
        assert_eq!(
            shards[0],
            Reply::Map(vec![
                (b("slots"), Reply::Array(vec![i(0), i(9), i(20), i(16383)])),
                (
                    b("nodes"),
                    Reply::Array(vec![shard_entry(1, "master"), shard_entry(2, "replica")])
                ),
            ])
        );
    }

    fn nodes_text(t: &Topology) -> String {
        match reply(t, &["cluster", "nodes"]) {
            Reply::Verbatim(s) => s,
            other => panic!("CLUSTER NODES: {other:?}"),
        }
    }

    #[test]
    fn nodes() {
        let t = topo();
        assert_eq!(
            nodes_text(&t),
            format!(
                "{} 127.0.0.1:7001@17001 myself,master - 0 0 7 connected 0-8191\n\
                 {} 127.0.0.1:7002@17002 master - 0 0 4 connected 8192-16383\n\
                 {} 127.0.0.1:7003@17003 master - 0 0 0 connected\n",
                name(1),
                name(2),
                name(3)
            )
        );
        assert_eq!(
            reply(&t, &["cluster", "nodes", "x"]),
            err("ERR wrong number of arguments for 'cluster|nodes' command")
        );
    }

    #[test]
    fn nodes_single_slots_and_gaps() {
        let t = Topology {
            myself: 2,
            nodes: vec![node(1, 7001), node(2, 7002)],
            groups: vec![
                group(1, 0..1, 1, &[1, 2], 1),
                group(2, 1..5, 2, &[1, 2], 9),
                group(3, 5..6, 1, &[1, 2], 3),
                group(4, 6..16384, 2, &[1, 2], 2),
            ],
        };
        assert_eq!(
            nodes_text(&t),
            format!(
                "{} 127.0.0.1:7001@17001 master - 0 0 3 connected 0 5\n\
                 {} 127.0.0.1:7002@17002 myself,master - 0 0 9 connected 1-4 6-16383\n",
                name(1),
                name(2)
            )
        );
    }

    /// What `redis-benchmark --cluster` (7.0, `fetchClusterConfiguration`)
    /// does with CLUSTER NODES: lines end in `\n`; the first 8
    /// space-separated fields are name, addr, flags, master, ping, pong,
    /// epoch, link; everything after the 8th space is slots (`a-b` or `a`).
    /// Lines with `slave` in the flags or a master id other than `-` are
    /// skipped, as are masters without slots.
    fn benchmark_parse(text: &str) -> Vec<(String, String, u16, Vec<u16>)> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(p) = rest.find('\n') {
            let mut line = &rest[..p];
            rest = &rest[p + 1..];
            let mut fields = Vec::new();
            while let Some(sp) = line.find(' ') {
                fields.push(&line[..sp]);
                line = &line[sp + 1..];
                if fields.len() == 8 {
                    break;
                }
            }
            assert!(fields.len() >= 3, "missing flags: {line:?}");
            let flags = fields[2];
            let replica =
                flags.contains("slave") || fields.get(3).is_some_and(|m| !m.starts_with('-'));
            if replica {
                continue;
            }
            let addr = fields[1];
            let colon = addr.rfind(':').expect("ip:port");
            let ip = addr[..colon].to_string();
            let port_part = &addr[colon + 1..];
            let port = port_part.split('@').next().unwrap().parse::<u16>().unwrap();
            let mut slots = Vec::new();
            if fields.len() == 8 {
                for def in line.split(' ').filter(|d| !d.is_empty()) {
                    assert!(!def.starts_with('['), "no migrations expected: {def}");
                    match def.split_once('-') {
                        Some((a, b)) => {
                            let (a, b): (u16, u16) = (a.parse().unwrap(), b.parse().unwrap());
                            slots.extend(a..=b);
                        }
                        None => slots.push(def.parse().unwrap()),
                    }
                }
            }
            if slots.is_empty() {
                continue; // "Master node ... has no slots, skipping..."
            }
            out.push((fields[0].to_string(), ip, port, slots));
        }
        assert!(rest.is_empty(), "last line not newline-terminated");
        out
    }

    #[test]
    fn nodes_parse_like_redis_benchmark() {
        let t = topo();
        let text = nodes_text(&t);
        let masters = benchmark_parse(&text);
        // Node 3 leads nothing: skipped, as redis-benchmark skips slotless
        // masters.
        assert_eq!(masters.len(), 2);
        let mut owner = vec![None; 16384];
        for (id, ip, port, slots) in &masters {
            assert_eq!(id.len(), 40);
            assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
            assert_eq!(ip, "127.0.0.1");
            let node = t.nodes.iter().find(|n| name(n.id) == *id).unwrap();
            assert_eq!(node.addr.port(), *port);
            for &s in slots {
                assert!(owner[s as usize].is_none(), "slot {s} listed twice");
                owner[s as usize] = Some(node.id);
            }
        }
        // Every slot covered, by the same node CLUSTER SLOTS names (which
        // redis-benchmark requires when it refreshes after a MOVED).
        for slot in 0..16384u16 {
            let g = t.group_of_slot(slot).unwrap();
            let want = if g.leader != 0 { g.leader } else { g.voters[0] };
            assert_eq!(owner[slot as usize], Some(want), "slot {slot}");
        }
        let Reply::Array(entries) = reply(&t, &["cluster", "slots"]) else {
            panic!()
        };
        for e in entries {
            let Reply::Array(e) = e else { panic!() };
            let (Reply::Integer(first), Reply::Array(m)) = (&e[0], &e[2]) else {
                panic!()
            };
            let Reply::Bulk(id) = &m[2] else { panic!() };
            let listed = masters
                .iter()
                .find(|m| m.0.as_bytes() == id.as_ref())
                .unwrap();
            assert!(listed.3.contains(&(*first as u16)));
        }
    }

    #[test]
    fn info() {
        let t = topo();
        assert_eq!(
            reply(&t, &["cluster", "info"]),
            Reply::Verbatim(
                "cluster_state:fail\r\n\
                 cluster_slots_assigned:16384\r\n\
                 cluster_slots_ok:12288\r\n\
                 cluster_slots_pfail:0\r\n\
                 cluster_slots_fail:4096\r\n\
                 cluster_known_nodes:3\r\n\
                 cluster_size:2\r\n\
                 cluster_current_epoch:7\r\n\
                 cluster_my_epoch:7\r\n\
                 cluster_stats_messages_sent:0\r\n\
                 cluster_stats_messages_received:0\r\n\
                 total_cluster_links_buffer_limit_exceeded:0\r\n"
                    .to_string()
            )
        );
        // Once group 4 has a leader the cluster is ok.
        let mut t = topo();
        t.groups[3].leader = 3;
        t.myself = 3;
        let Reply::Verbatim(s) = reply(&t, &["CLUSTER", "INFO"]) else {
            panic!()
        };
        assert!(s.starts_with(
            "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n\
             cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:3\r\n\
             cluster_size:3\r\ncluster_current_epoch:7\r\ncluster_my_epoch:4\r\n"
        ));
        assert_eq!(
            reply(&t, &["CLUSTER", "INFO", "x"]),
            err("ERR wrong number of arguments for 'cluster|info' command")
        );
    }

    #[test]
    fn countkeysinslot() {
        let t = topo();
        assert_eq!(
            run(&t, &["cluster", "countkeysinslot", "0"]),
            ClusterCmd::CountKeysInSlot(0)
        );
        assert_eq!(
            run(&t, &["cluster", "COUNTKEYSINSLOT", "16383"]),
            ClusterCmd::CountKeysInSlot(16383)
        );
        for bad in ["16384", "-1", "99999999999"] {
            assert_eq!(
                reply(&t, &["cluster", "countkeysinslot", bad]),
                err("ERR Invalid slot"),
                "{bad}"
            );
        }
        for bad in ["abc", "", "01", "+1", " 1", "1.0", "99999999999999999999"] {
            assert_eq!(
                reply(&t, &["cluster", "countkeysinslot", bad]),
                err("ERR value is not an integer or out of range"),
                "{bad:?}"
            );
        }
        assert_eq!(
            reply(&t, &["cluster", "countkeysinslot"]),
            err("ERR wrong number of arguments for 'cluster|countkeysinslot' command")
        );
    }

    #[test]
    fn getkeysinslot() {
        let t = topo();
        assert_eq!(
            run(&t, &["cluster", "getkeysinslot", "12182", "10"]),
            ClusterCmd::GetKeysInSlot(12182, 10)
        );
        assert_eq!(
            run(&t, &["cluster", "getkeysinslot", "0", "0"]),
            ClusterCmd::GetKeysInSlot(0, 0)
        );
        for (slot, count) in [("16384", "1"), ("-1", "1"), ("1", "-1"), ("-5", "-5")] {
            assert_eq!(
                reply(&t, &["cluster", "getkeysinslot", slot, count]),
                err("ERR Invalid slot or number of keys"),
                "{slot} {count}"
            );
        }
        // Both are parsed before either is range-checked.
        for (slot, count) in [("x", "1"), ("1", "x"), ("16384", "x"), ("x", "-1")] {
            assert_eq!(
                reply(&t, &["cluster", "getkeysinslot", slot, count]),
                err("ERR value is not an integer or out of range"),
                "{slot} {count}"
            );
        }
        assert_eq!(
            reply(&t, &["cluster", "getkeysinslot", "1"]),
            err("ERR wrong number of arguments for 'cluster|getkeysinslot' command")
        );
    }

    #[test]
    fn help() {
        let t = topo();
        let Reply::Array(lines) = reply(&t, &["cluster", "help"]) else {
            panic!()
        };
        let text: Vec<&str> = lines
            .iter()
            .map(|l| match l {
                Reply::Simple(s) => s.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            text.first(),
            Some(&"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert_eq!(&text[text.len() - 2..], &["HELP", "    Prints this help."]);
        assert_eq!(text.len(), HELP.len() + 3);
        for sub in [
            "COUNTKEYSINSLOT <slot>",
            "GETKEYSINSLOT <slot> <count>",
            "INFO",
            "KEYSLOT <key>",
            "MYID",
            "NODES",
            "SLOTS",
            "SHARDS",
        ] {
            assert!(text.contains(&sub), "{sub}");
        }
        assert_eq!(
            reply(&t, &["cluster", "help", "x"]),
            err("ERR wrong number of arguments for 'cluster|help' command")
        );
    }

    #[test]
    fn unknown_and_unsupported() {
        let t = topo();
        assert_eq!(
            reply(&t, &["cluster"]),
            err("ERR wrong number of arguments for 'cluster' command")
        );
        assert_eq!(
            reply(&t, &["cluster", "foo", "bar"]),
            err("ERR unknown subcommand 'foo'. Try CLUSTER HELP.")
        );
        assert_eq!(
            reply(&t, &["cluster", "a\r\nb"]),
            err("ERR unknown subcommand 'a  b'. Try CLUSTER HELP.")
        );
        let long = "x".repeat(200);
        assert_eq!(
            reply(&t, &["cluster", &long]),
            err(&format!(
                "ERR unknown subcommand '{}'. Try CLUSTER HELP.",
                "x".repeat(128)
            ))
        );
        for args in [
            &["cluster", "addslots", "1"][..],
            &["cluster", "addslotsrange", "1", "2"],
            &["cluster", "delslots", "1"],
            &["cluster", "failover"],
            &["cluster", "meet", "127.0.0.1", "7004"],
            &["cluster", "reset", "hard"],
            &["cluster", "setslot", "1", "stable"],
            &["cluster", "forget", "abc"],
            &["cluster", "replicate", "abc"],
            &["cluster", "flushslots"],
            &["cluster", "bumpepoch"],
            &["cluster", "saveconfig"],
            &["cluster", "links"],
            &["cluster", "replicas", "abc"],
            &["cluster", "slaves", "abc"],
            &["cluster", "count-failure-reports", "abc"],
            &["cluster", "set-config-epoch", "1"],
        ] {
            let sub = args[1].to_ascii_uppercase();
            assert_eq!(
                reply(&t, args),
                err(&format!(
                    "ERR CLUSTER {sub} is not supported: corekv assigns slots to Raft groups itself"
                )),
                "{args:?}"
            );
        }
        // Arity is checked first, as Redis does.
        assert_eq!(
            reply(&t, &["cluster", "ADDSLOTS"]),
            err("ERR wrong number of arguments for 'cluster|addslots' command")
        );
        assert_eq!(
            reply(&t, &["cluster", "meet", "127.0.0.1"]),
            err("ERR wrong number of arguments for 'cluster|meet' command")
        );
    }

    #[test]
    fn disabled_text() {
        assert_eq!(
            disabled(),
            err("ERR This instance has cluster support disabled")
        );
    }

    /// Side by side with a real `redis-server --cluster-enabled yes` (7.0,
    /// on loopback, started by these tests; `cargo test -p corekv-io --lib
    /// cluster_cmds -- --ignored`). Our topology is built from the real
    /// cluster's CLUSTER NODES (one group per master slot range, led by that
    /// master, voters = master + its replicas, term = its config epoch), so
    /// our replies must equal Redis's once node names are mapped.
    mod real_redis {
        use super::*;
        use bytes::BytesMut;
        use corekv_wire::{Proto, encode, encode_request, parse_reply};
        use std::collections::HashMap;
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        use std::path::PathBuf;
        use std::process::{Child, Command, Stdio};
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::time::{Duration, Instant};

        struct Servers {
            children: Vec<Child>,
            dir: PathBuf,
        }

        impl Drop for Servers {
            fn drop(&mut self) {
                for c in &mut self.children {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }

        /// `n` ports `p` with `p` and `p + 10000` (cluster bus) free.
        fn free_ports(n: usize) -> Vec<u16> {
            // Tests run in parallel: each call takes ports past the last
            // call's, from a per-process start.
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
            let mut out = Vec::new();
            while out.len() < n {
                let k = NEXT.fetch_add(1, Ordering::Relaxed);
                let p = 20000 + ((std::process::id() * 37 + k) % 10000) as u16;
                if free(p) && free(p + 10000) {
                    out.push(p);
                }
            }
            out
        }

        struct Client {
            s: TcpStream,
            buf: BytesMut,
        }

        impl Client {
            fn connect(port: u16) -> Option<Client> {
                let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
                s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
                Some(Client {
                    s,
                    buf: BytesMut::new(),
                })
            }

            fn cmd(&mut self, args: &[&str]) -> Reply {
                let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
                let mut out = BytesMut::new();
                encode_request(&argv, &mut out);
                self.s.write_all(&out).unwrap();
                loop {
                    if let Some(r) = parse_reply(&mut self.buf).unwrap() {
                        return r;
                    }
                    let mut chunk = [0u8; 65536];
                    let n = self.s.read(&mut chunk).unwrap();
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
            }
        }

        fn start(dir: &PathBuf, port: u16, cluster: bool) -> Child {
            let mut cmd = Command::new("redis-server");
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir);
            if cluster {
                cmd.args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &format!("nodes-{port}.conf"),
                ]);
            }
            cmd.stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (apt-get install redis-server)")
        }

        fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !f() {
                assert!(Instant::now() < deadline, "timed out waiting for {what}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        fn text(r: &Reply) -> String {
            match r {
                Reply::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
                Reply::Verbatim(s) => s.clone(),
                other => panic!("expected text, got {other:?}"),
            }
        }

        fn info_field(info: &str, key: &str) -> String {
            info.split("\r\n")
                .find_map(|l| l.strip_prefix(&format!("{key}:")))
                .unwrap_or_default()
                .to_string()
        }

        /// Starts `masters * (1 + replicas)` nodes and `redis-cli --cluster
        /// create`s them; returns once every node reports state ok and, with
        /// replicas, once every replica is listed as online everywhere.
        fn cluster(masters: usize, replicas: usize) -> (Servers, Vec<u16>) {
            let n = masters * (1 + replicas);
            let ports = free_ports(n);
            let dir = std::env::temp_dir().join(format!(
                "corekv-cluster-cmds-{}-{}",
                std::process::id(),
                ports[0]
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let mut servers = Servers {
                children: Vec::new(),
                dir: dir.clone(),
            };
            for &p in &ports {
                servers.children.push(start(&dir, p, true));
            }
            for &p in &ports {
                wait_for("redis-server", || Client::connect(p).is_some());
            }
            let status = Command::new("redis-cli")
                .arg("--cluster")
                .arg("create")
                .args(ports.iter().map(|p| format!("127.0.0.1:{p}")))
                .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "redis-cli --cluster create");
            wait_for("a settled cluster", || {
                ports.iter().all(|&p| {
                    let mut c = Client::connect(p).unwrap();
                    let info = text(&c.cmd(&["CLUSTER", "INFO"]));
                    let nodes = text(&c.cmd(&["CLUSTER", "NODES"]));
                    let Reply::Array(slots) = c.cmd(&["CLUSTER", "SLOTS"]) else {
                        return false;
                    };
                    info_field(&info, "cluster_state") == "ok"
                        && nodes.lines().count() == n
                        && slots.len() == masters
                        && slots
                            .iter()
                            .all(|e| matches!(e, Reply::Array(e) if e.len() == 3 + replicas))
                })
            });
            (servers, ports)
        }

        /// Our view of the real cluster, seen from node `port`, and the map
        /// from Redis's node names to ours.
        fn view(real_nodes: &str) -> (Topology, HashMap<String, String>) {
            struct Line {
                name: String,
                addr: SocketAddr,
                myself: bool,
                master_of: Option<String>,
                epoch: u64,
                slots: Vec<Range<u16>>,
            }
            let mut lines: Vec<Line> = real_nodes
                .lines()
                .map(|l| {
                    let f: Vec<&str> = l.split(' ').collect();
                    let addr = f[1].split('@').next().unwrap().parse().unwrap();
                    let slots = f[8..]
                        .iter()
                        .map(|d| match d.split_once('-') {
                            Some((a, b)) => a.parse().unwrap()..b.parse::<u16>().unwrap() + 1,
                            None => d.parse().unwrap()..d.parse::<u16>().unwrap() + 1,
                        })
                        .collect();
                    Line {
                        name: f[0].to_string(),
                        addr,
                        myself: f[2].contains("myself"),
                        master_of: (f[3] != "-").then(|| f[3].to_string()),
                        epoch: f[6].parse().unwrap(),
                        slots,
                    }
                })
                .collect();
            lines.sort_by_key(|l| l.addr.port());
            let id_of: HashMap<&str, u64> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.name.as_str(), i as u64 + 1))
                .collect();
            let rename = lines
                .iter()
                .map(|l| (l.name.clone(), Topology::node_name(id_of[l.name.as_str()])))
                .collect();
            let mut groups = Vec::new();
            for l in &lines {
                let id = id_of[l.name.as_str()];
                let mut voters: Vec<u64> = lines
                    .iter()
                    .filter(|r| r.master_of.as_deref() == Some(&l.name))
                    .map(|r| id_of[r.name.as_str()])
                    .collect();
                voters.push(id);
                voters.sort_unstable();
                for r in &l.slots {
                    groups.push(GroupView {
                        id: groups.len() as u32 + 1,
                        slots: r.clone(),
                        leader: id,
                        voters: voters.clone(),
                        term: l.epoch,
                    });
                }
            }
            groups.sort_by_key(|g| g.slots.start);
            let topo = Topology {
                myself: lines
                    .iter()
                    .find(|l| l.myself)
                    .map(|l| id_of[l.name.as_str()])
                    .unwrap(),
                nodes: lines
                    .iter()
                    .map(|l| NodeView {
                        id: id_of[l.name.as_str()],
                        addr: l.addr,
                    })
                    .collect(),
                groups,
            };
            (topo, rename)
        }

        /// Redis's node names replaced by ours, replication offsets zeroed.
        fn normalize(r: Reply, rename: &HashMap<String, String>) -> Reply {
            let sub = |s: String| {
                rename
                    .iter()
                    .fold(s, |s, (real, ours)| s.replace(real.as_str(), ours))
            };
            match r {
                Reply::Bulk(b) => {
                    Reply::Bulk(Bytes::from(sub(String::from_utf8(b.to_vec()).unwrap())))
                }
                Reply::Verbatim(s) => Reply::Verbatim(sub(s)),
                // RESP2 flattens the shard maps: zero what follows the key.
                Reply::Array(v) => {
                    let key = bulk("replication-offset");
                    let mut prev_is_key = false;
                    let mut out = Vec::with_capacity(v.len());
                    for r in v {
                        let next_is_key = r == key;
                        out.push(if prev_is_key {
                            Reply::Integer(0)
                        } else {
                            normalize(r, rename)
                        });
                        prev_is_key = next_is_key;
                    }
                    Reply::Array(out)
                }
                Reply::Map(v) => Reply::Map(
                    v.into_iter()
                        .map(|(k, v)| {
                            let v = if k == bulk("replication-offset") {
                                Reply::Integer(0)
                            } else {
                                normalize(v, rename)
                            };
                            (k, v)
                        })
                        .collect(),
                ),
                other => other,
            }
        }

        /// Our reply as a client on `proto` would parse it.
        fn over_wire(r: &Reply, proto: Proto) -> Reply {
            let mut buf = BytesMut::new();
            encode(r, proto, &mut buf);
            let parsed = parse_reply(&mut buf).unwrap().unwrap();
            assert!(buf.is_empty());
            parsed
        }

        fn first_slot(r: &Reply) -> i64 {
            match r {
                // A SLOTS entry, or a shard map flattened by RESP2.
                Reply::Array(v) => match (v.first(), v.get(1)) {
                    (Some(Reply::Integer(i)), _) => *i,
                    (Some(Reply::Bulk(k)), Some(Reply::Array(s))) if k.as_ref() == b"slots" => {
                        match s.first() {
                            Some(Reply::Integer(i)) => *i,
                            _ => panic!("{r:?}"),
                        }
                    }
                    _ => panic!("{r:?}"),
                },
                Reply::Map(kv) => match &kv[0].1 {
                    Reply::Array(v) => match v.first() {
                        Some(Reply::Integer(i)) => *i,
                        _ => panic!("{r:?}"),
                    },
                    _ => panic!("{r:?}"),
                },
                _ => panic!("{r:?}"),
            }
        }

        fn sorted(r: Reply) -> Vec<Reply> {
            let (Reply::Array(mut v) | Reply::Set(mut v)) = r else {
                panic!("expected an array: {r:?}")
            };
            v.sort_by_key(first_slot);
            v
        }

        /// CLUSTER SLOTS and SHARDS must be equal (entries sorted by first
        /// slot; Redis orders shards by its node dict).
        fn compare_slots_shards(
            real: &mut Client,
            topo: &Topology,
            rename: &HashMap<String, String>,
            proto: Proto,
        ) {
            for sub in ["SLOTS", "SHARDS"] {
                let theirs = normalize(real.cmd(&["CLUSTER", sub]), rename);
                let ours = over_wire(&reply(topo, &["CLUSTER", sub]), proto);
                assert_eq!(sorted(ours), sorted(theirs), "CLUSTER {sub} ({proto:?})");
            }
        }

        /// Lines sorted, ping/pong fields only checked to be integers.
        fn nodes_lines(s: &str) -> Vec<Vec<String>> {
            assert!(s.ends_with('\n'));
            let mut lines: Vec<Vec<String>> = s
                .lines()
                .map(|l| {
                    let mut f: Vec<String> = l.split(' ').map(str::to_string).collect();
                    for t in &mut f[4..6] {
                        t.parse::<u64>().unwrap();
                        *t = "T".into();
                    }
                    f
                })
                .collect();
            lines.sort();
            lines
        }

        fn info_lines(s: &str) -> Vec<(String, String)> {
            assert!(s.ends_with("\r\n"));
            s.split("\r\n")
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (k, v) = l.split_once(':').unwrap();
                    (k.to_string(), v.to_string())
                })
                .filter(|(k, _)| {
                    // Per-message-type counters Redis prints only when
                    // non-zero.
                    !(k.starts_with("cluster_stats_messages_")
                        && k != "cluster_stats_messages_sent"
                        && k != "cluster_stats_messages_received")
                })
                .collect()
        }

        #[test]
        #[ignore = "starts redis-server processes; run with --ignored"]
        fn matches_redis_7_three_masters() {
            let (_servers, ports) = cluster(3, 0);
            let mut real = Client::connect(ports[1]).unwrap();
            let real_nodes = text(&real.cmd(&["CLUSTER", "NODES"]));
            let (topo, rename) = view(&real_nodes);
            assert_eq!(topo.myself, 2);

            for proto in [Proto::Resp2, Proto::Resp3] {
                let hello = if proto == Proto::Resp3 { "3" } else { "2" };
                assert!(!real.cmd(&["HELLO", hello]).is_error());
                compare_slots_shards(&mut real, &topo, &rename, proto);

                // MYID, KEYSLOT: equal.
                for args in [
                    &["CLUSTER", "MYID"][..],
                    &["cluster", "keyslot", "foo"],
                    &["cluster", "keyslot", "{user1000}.following"],
                    &["cluster", "keyslot", "a{b}c{d}"],
                    &["cluster", "keyslot", "{}x"],
                    &["cluster", "keyslot", ""],
                ] {
                    let theirs = normalize(real.cmd(args), &rename);
                    let ours = over_wire(&reply(&topo, args), proto);
                    assert_eq!(ours, theirs, "{args:?}");
                }

                // NODES, INFO: same reply type (bulk / verbatim), same text
                // but for ping/pong times and per-type message counters.
                for sub in ["NODES", "INFO"] {
                    let theirs = normalize(real.cmd(&["CLUSTER", sub]), &rename);
                    let ours = over_wire(&reply(&topo, &["CLUSTER", sub]), proto);
                    assert_eq!(
                        std::mem::discriminant(&ours),
                        std::mem::discriminant(&theirs),
                        "{sub}: {ours:?} vs {theirs:?}"
                    );
                    if sub == "NODES" {
                        assert_eq!(nodes_lines(&text(&ours)), nodes_lines(&text(&theirs)));
                    } else {
                        let (o, t) = (info_lines(&text(&ours)), info_lines(&text(&theirs)));
                        let keys = |v: &[(String, String)]| {
                            v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()
                        };
                        assert_eq!(keys(&o), keys(&t));
                        assert_eq!(o[..9], t[..9], "INFO values");
                    }
                }

                // HELP: same header and footer; ours is Redis's text with the
                // unsupported subcommands' blocks left out.
                let Reply::Array(theirs) = real.cmd(&["CLUSTER", "HELP"]) else {
                    panic!()
                };
                let Reply::Array(ours) = over_wire(&reply(&topo, &["CLUSTER", "HELP"]), proto)
                else {
                    panic!()
                };
                assert_eq!(ours[0], theirs[0]);
                assert_eq!(ours[ours.len() - 2..], theirs[theirs.len() - 2..]);
                let mut it = theirs.iter();
                for line in &ours {
                    assert!(
                        it.any(|t| t == line),
                        "{line:?} not in Redis's help, in order"
                    );
                }

                // Errors: identical texts.
                let long = "y".repeat(300);
                for args in [
                    &["CLUSTER"][..],
                    &["CLUSTER", "foo"],
                    &["cluster", "FOO", "bar"],
                    &["CLUSTER", "a\r\nb"],
                    &["CLUSTER", &long],
                    &["CLUSTER", "SLOTS", "x"],
                    &["CLUSTER", "SHARDS", "x"],
                    &["CLUSTER", "NODES", "x"],
                    &["CLUSTER", "INFO", "x"],
                    &["CLUSTER", "HELP", "x"],
                    &["cluster", "myid", "x"],
                    &["CLUSTER", "KEYSLOT"],
                    &["CLUSTER", "KEYSLOT", "a", "b"],
                    &["CLUSTER", "COUNTKEYSINSLOT"],
                    &["CLUSTER", "COUNTKEYSINSLOT", "abc"],
                    &["CLUSTER", "COUNTKEYSINSLOT", "01"],
                    &["CLUSTER", "COUNTKEYSINSLOT", "-1"],
                    &["CLUSTER", "COUNTKEYSINSLOT", "16384"],
                    &["CLUSTER", "COUNTKEYSINSLOT", "99999999999999999999"],
                    &["CLUSTER", "GETKEYSINSLOT", "1"],
                    &["CLUSTER", "GETKEYSINSLOT", "1", "-1"],
                    &["CLUSTER", "GETKEYSINSLOT", "16384", "1"],
                    &["CLUSTER", "GETKEYSINSLOT", "-1", "1"],
                    &["CLUSTER", "GETKEYSINSLOT", "abc", "1"],
                    &["CLUSTER", "GETKEYSINSLOT", "1", "abc"],
                    &["CLUSTER", "GETKEYSINSLOT", "16384", "abc"],
                    &["CLUSTER", "ADDSLOTS"],
                    &["CLUSTER", "ADDSLOTSRANGE", "1"],
                    &["CLUSTER", "MEET", "127.0.0.1"],
                    &["CLUSTER", "SETSLOT", "1"],
                    &["CLUSTER", "FORGET"],
                    &["CLUSTER", "REPLICATE"],
                    &["CLUSTER", "FLUSHSLOTS", "x"],
                    &["CLUSTER", "LINKS", "x"],
                ] {
                    let theirs = real.cmd(args);
                    assert!(theirs.is_error(), "{args:?}: {theirs:?}");
                    assert_eq!(over_wire(&reply(&topo, args), proto), theirs, "{args:?}");
                }

                // The data subcommands: Redis answers from its (empty)
                // keyspace; we hand the same validated arguments back.
                assert_eq!(
                    real.cmd(&["CLUSTER", "COUNTKEYSINSLOT", "16383"]),
                    Reply::Integer(0)
                );
                assert_eq!(
                    run(&topo, &["CLUSTER", "COUNTKEYSINSLOT", "16383"]),
                    ClusterCmd::CountKeysInSlot(16383)
                );
                assert_eq!(
                    real.cmd(&["CLUSTER", "GETKEYSINSLOT", "0", "0"]),
                    Reply::Array(vec![])
                );
                assert_eq!(
                    run(&topo, &["CLUSTER", "GETKEYSINSLOT", "0", "0"]),
                    ClusterCmd::GetKeysInSlot(0, 0)
                );
            }

            // Our NODES as redis-benchmark reads it gives the same masters
            // and slots as Redis's.
            let ours = benchmark_parse(&nodes_text(&topo));
            let mut theirs =
                benchmark_parse(&text(&normalize(Reply::Verbatim(real_nodes), &rename)));
            let mut ours = ours;
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs);

            // Cluster support off: the same error text.
            let dir =
                std::env::temp_dir().join(format!("corekv-cluster-off-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let port = free_ports(1)[0];
            let _plain = Servers {
                children: vec![start(&dir, port, false)],
                dir: dir.clone(),
            };
            wait_for("redis-server", || Client::connect(port).is_some());
            let mut c = Client::connect(port).unwrap();
            assert_eq!(c.cmd(&["CLUSTER", "INFO"]), disabled());
        }

        /// With replicas (3 masters + 1 replica each): SLOTS and SHARDS list
        /// the replicas the same way (voters other than the leader).
        #[test]
        #[ignore = "starts redis-server processes; run with --ignored"]
        fn matches_redis_7_with_replicas() {
            let (_servers, ports) = cluster(3, 1);
            let mut real = Client::connect(ports[0]).unwrap();
            // Wait until every replica is reported online in SHARDS.
            wait_for("replicas online", || {
                let Reply::Array(shards) = real.cmd(&["CLUSTER", "SHARDS"]) else {
                    return false;
                };
                let want = bulk("online");
                shards.iter().all(|s| {
                    matches!(s, Reply::Array(kv) if matches!(&kv[3], Reply::Array(nodes)
                        if nodes.len() == 2 && nodes.iter().all(|n| matches!(n,
                            Reply::Array(f) if f.chunks(2).any(|p| p[0] == bulk("health") && p[1] == want)))))
                })
            });
            let (topo, rename) = view(&text(&real.cmd(&["CLUSTER", "NODES"])));
            assert_eq!(topo.groups.len(), 3);
            assert!(topo.groups.iter().all(|g| g.voters.len() == 2));
            for proto in [Proto::Resp2, Proto::Resp3] {
                let hello = if proto == Proto::Resp3 { "3" } else { "2" };
                assert!(!real.cmd(&["HELLO", hello]).is_error());
                compare_slots_shards(&mut real, &topo, &rename, proto);
            }
        }
    }
}
