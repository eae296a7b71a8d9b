//! Membership administration: `COREKV.CLUSTER ...` from an operator (any
//! node), fanned out as one `COREKV.GROUPADMIN` per Raft group, each
//! routed like a write to the group's leader (proxied if it is elsewhere).
//!
//! - `COREKV.CLUSTER ADDLEARNER <id> <host:port>`: add node `id` as a
//!   learner of every group (its address travels in the change, so every
//!   replica learns it); it catches up from a snapshot.
//! - `COREKV.CLUSTER PROMOTE <id>`: learner → voter, through a joint
//!   configuration (raft-rs ConfChangeV2, implicit transition: the leader
//!   leaves the joint configuration by itself once it is applied).
//! - `COREKV.CLUSTER REMOVE <id>`: voter or learner out, also joint.
//! - `COREKV.CLUSTER TRANSFER <group> <id>`: node `id` becomes the group's
//!   preferred leader (replicated); the leader hands over once it is
//!   caught up.
//! - `COREKV.CLUSTER MEMBERS`: per group: leader, voters, learners.
//!
//! Each change is answered once every group applied it; one change per
//! group at a time (a second gets an error and can be retried).

use crate::core::Core;
use bytes::Bytes;
use corekv_core::{Reply, errors};
use corekv_shard::{Shard, Token};
use raft::eraftpb::{ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeV2};
use std::rc::Rc;

/// The per-group form: `COREKV.GROUPADMIN <gid> <op> <node> [addr]`.
pub const GROUP_CMD: &str = "COREKV.GROUPADMIN";

fn text(a: Option<&Bytes>) -> String {
    a.map(|b| String::from_utf8_lossy(b).to_ascii_uppercase())
        .unwrap_or_default()
}

fn node_id(a: Option<&Bytes>) -> Option<u64> {
    std::str::from_utf8(a?)
        .ok()?
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
}

fn change(kind: ConfChangeType, node: u64, joint: bool, context: Vec<u8>) -> ConfChangeV2 {
    let mut single = ConfChangeSingle::default();
    single.set_change_type(kind);
    single.node_id = node;
    let mut cc = ConfChangeV2::default();
    cc.set_changes(vec![single].into());
    cc.set_transition(if joint {
        ConfChangeTransition::Implicit
    } else {
        ConfChangeTransition::Auto
    });
    cc.context = context.into();
    cc
}

/// Proposes the per-group command `argv` on group `pos` (this replica
/// leads it); `token` is answered when it is applied.
pub fn propose(shard: &mut Shard, pos: usize, argv: &[Bytes], token: Token) -> Result<(), Reply> {
    let op = text(argv.get(2));
    let node = node_id(argv.get(3)).ok_or_else(|| errors::err("ERR invalid node id"))?;
    match op.as_str() {
        "ADDLEARNER" => {
            let addr = argv
                .get(4)
                .ok_or_else(|| errors::err("ERR missing address"))?;
            let ctx = format!("{node}={}", String::from_utf8_lossy(addr)).into_bytes();
            shard.propose_conf_change(
                pos,
                change(ConfChangeType::AddLearnerNode, node, false, ctx),
                token,
            )
        }
        "PROMOTE" => shard.propose_conf_change(
            pos,
            change(ConfChangeType::AddNode, node, true, Vec::new()),
            token,
        ),
        "REMOVE" => shard.propose_conf_change(
            pos,
            change(ConfChangeType::RemoveNode, node, true, Vec::new()),
            token,
        ),
        "PREFER" => shard.propose_preferred(pos, node, token),
        _ => Err(errors::err("ERR unknown group admin operation")),
    }
}

/// Index in `node.groups` of group id `gid`.
fn group_index(core: &Core, gid: &Bytes) -> Option<usize> {
    let gid: u32 = std::str::from_utf8(gid).ok()?.parse().ok()?;
    core.node.groups.iter().position(|g| g.id == gid)
}

/// `COREKV.GROUPADMIN` arriving on a connection (usually another node's
/// proxy link): routed to the group's leader like a write.
pub async fn group_admin(core: &Rc<Core>, proxied: bool, argv: Vec<Bytes>) -> Reply {
    let Some(gidx) = argv.get(1).and_then(|g| group_index(core, g)) else {
        return errors::err("ERR unknown group");
    };
    core.submit_as(proxied, gidx, argv, true).resolve().await
}

/// `COREKV.CLUSTER ...` from an operator.
pub async fn cluster(core: &Rc<Core>, proxied: bool, argv: &[Bytes]) -> Reply {
    let sub = text(argv.get(1));
    let usage = || {
        errors::err(
            "ERR usage: COREKV.CLUSTER ADDLEARNER <id> <host:port> | PROMOTE <id> | REMOVE <id> | TRANSFER <group> <id> | MEMBERS",
        )
    };
    let groups: Vec<u32> = core.node.groups.iter().map(|g| g.id).collect();
    let per_group: Vec<(usize, Vec<Bytes>)> = match sub.as_str() {
        "MEMBERS" => return members(core).await,
        "ADDLEARNER" => {
            let (Some(id), Some(addr)) = (node_id(argv.get(2)), argv.get(3)) else {
                return usage();
            };
            if std::str::from_utf8(addr)
                .ok()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .is_none()
            {
                return errors::err("ERR invalid address: expected ip:port");
            }
            fan_out(&groups, "ADDLEARNER", id, Some(addr.clone()))
        }
        "PROMOTE" | "REMOVE" => {
            let Some(id) = node_id(argv.get(2)) else {
                return usage();
            };
            fan_out(&groups, &sub, id, None)
        }
        "TRANSFER" => {
            let (Some(g), Some(id)) = (argv.get(2), node_id(argv.get(3))) else {
                return usage();
            };
            let Some(gidx) = group_index(core, g) else {
                return errors::err("ERR unknown group");
            };
            vec![(
                gidx,
                vec![
                    Bytes::from_static(GROUP_CMD.as_bytes()),
                    g.clone(),
                    Bytes::from_static(b"PREFER"),
                    Bytes::from(id.to_string()),
                ],
            )]
        }
        _ => return usage(),
    };
    // The meta group (membership and addresses) changes first; the data
    // groups follow only once it has.
    let (meta, data): (Vec<_>, Vec<_>) = per_group
        .into_iter()
        .partition(|(gidx, _)| core.node.groups.get(*gidx).is_some_and(|g| g.id == 0));
    for (gidx, a) in meta {
        let r = core.submit_as(proxied, gidx, a, true).resolve().await;
        if let Reply::Error(e) = r {
            return errors::err(&format!("{e} (meta group 0; nothing else changed)"));
        }
    }
    let pending: Vec<_> = data
        .into_iter()
        .map(|(gidx, a)| core.submit_as(proxied, gidx, a, true))
        .collect();
    let mut first_err = None;
    for (i, p) in pending.into_iter().enumerate() {
        let r = p.resolve().await;
        if r.is_error() && first_err.is_none() {
            first_err = Some((i, r));
        }
    }
    match first_err {
        None => Reply::ok(),
        Some((i, Reply::Error(e))) => errors::err(&format!(
            "{e} (group {}; groups before it in the list may have applied the change)",
            groups
                .iter()
                .filter(|&&g| g != 0)
                .nth(i)
                .copied()
                .unwrap_or(0)
        )),
        Some((_, r)) => r,
    }
}

fn fan_out(groups: &[u32], op: &str, id: u64, addr: Option<Bytes>) -> Vec<(usize, Vec<Bytes>)> {
    groups
        .iter()
        .enumerate()
        .map(|(gidx, gid)| {
            let mut a = vec![
                Bytes::from_static(GROUP_CMD.as_bytes()),
                Bytes::from(gid.to_string()),
                Bytes::from(op.to_string()),
                Bytes::from(id.to_string()),
            ];
            if let Some(addr) = &addr {
                a.push(addr.clone());
            }
            (gidx, a)
        })
        .collect()
}

/// One line per group: `group=<id> leader=<node> voters=a,b,c learners=d`.
async fn members(core: &Rc<Core>) -> Reply {
    let snaps = core.node.snapshots().await;
    let mut lines = Vec::new();
    for s in &snaps {
        for g in &s.raft {
            let list = |v: &[u64]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            lines.push(Reply::Bulk(Bytes::from(format!(
                "group={} leader={} voters={} learners={}",
                g.id,
                g.leader_id,
                list(&g.voter_ids),
                list(&g.learner_ids)
            ))));
        }
    }
    Reply::Array(lines)
}
