//! A point-in-time view of the cluster as one node sees it: members, groups,
//! their slot ranges and leaders. Built on demand (CLUSTER commands, INFO)
//! from every core's Raft state; never on the request path.

use std::net::SocketAddr;
use std::ops::Range;

/// One member node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// Raft node id (`--node-id`), 1-based.
    pub id: u64,
    /// RESP address clients use.
    pub addr: SocketAddr,
}

/// One Raft group: a contiguous slot range replicated on every voter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    pub id: u32,
    pub slots: Range<u16>,
    /// Node id of the leader as this node knows it; 0 while unknown
    /// (election in progress).
    pub leader: u64,
    /// Node ids holding a replica (voters), sorted.
    pub voters: Vec<u64>,
    /// Raft term the leader was learned in (Redis cluster "epoch").
    pub term: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// This node's id.
    pub myself: u64,
    /// Every member, sorted by id (one entry for a single node).
    pub nodes: Vec<NodeView>,
    /// Every group, sorted by first slot; together they cover 0..16384.
    pub groups: Vec<GroupView>,
}

impl Topology {
    /// The 40-character hex name Redis Cluster clients use for node `id`.
    pub fn node_name(id: u64) -> String {
        format!("{id:040x}")
    }

    pub fn node(&self, id: u64) -> Option<&NodeView> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The group owning `slot`.
    pub fn group_of_slot(&self, slot: u16) -> Option<&GroupView> {
        self.groups.iter().find(|g| g.slots.contains(&slot))
    }
}
