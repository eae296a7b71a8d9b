//! The parts of a corekv node's stats-socket document the cluster
//! benchmark reads (per core: the Raft status of every group and the
//! latency histograms), and the pure questions asked of the documents of
//! all nodes: who leads each group, do all nodes agree, has a restarted
//! node caught up. Fetching is `corekv_tools::fetch_raw` (bounded, size
//! capped), the same client `corekv-stats` uses.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// One node's stats document (only what is used here; the rest is ignored).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct NodeStats {
    pub cores: Vec<CoreStats>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CoreStats {
    pub core: u64,
    #[serde(default)]
    pub raft: Vec<GroupStatus>,
    #[serde(default)]
    pub histograms: BTreeMap<String, Hist>,
}

/// One Raft group's status on one node.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct GroupStatus {
    pub group: u32,
    pub role: String,
    /// 0 when the node knows no leader.
    pub leader_id: u64,
    pub term: u64,
    pub commit: u64,
    pub applied: u64,
    pub last_index: u64,
}

impl GroupStatus {
    pub fn is_leader(&self) -> bool {
        self.role == "leader"
    }
}

/// A latency histogram summary, microseconds.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
pub struct Hist {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

pub const RAFT_COMMIT: &str = "raft.commit";

pub fn parse(body: &str) -> Result<NodeStats> {
    serde_json::from_str(body).context("stats document is not what corekv-bench expects")
}

/// Reads and parses the stats socket at `socket`.
pub fn fetch(socket: &Path) -> Result<NodeStats> {
    let body = corekv_tools::fetch_raw(socket)
        .map_err(|e| anyhow::anyhow!("stats socket {}: {e}", socket.display()))?;
    parse(&body)
}

impl NodeStats {
    /// Every group this node holds a replica of.
    pub fn groups(&self) -> impl Iterator<Item = &GroupStatus> {
        self.cores.iter().flat_map(|c| c.raft.iter())
    }

    pub fn group(&self, id: u32) -> Option<&GroupStatus> {
        self.groups().find(|g| g.group == id)
    }

    /// The named histogram of every core: (core, summary).
    pub fn histogram(&self, name: &str) -> Vec<(u64, Hist)> {
        self.cores
            .iter()
            .map(|c| (c.core, c.histograms.get(name).copied().unwrap_or_default()))
            .collect()
    }
}

/// The documents of the nodes that answered, by node id.
pub type ClusterStats = BTreeMap<u64, NodeStats>;

/// Every group id any node reports, sorted.
pub fn group_ids(stats: &ClusterStats) -> Vec<u32> {
    let mut ids: Vec<u32> = stats
        .values()
        .flat_map(|s| s.groups().map(|g| g.group))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The leader of `group`: the node that claims it with the highest term.
pub fn claimed_leader(stats: &ClusterStats, group: u32) -> Option<(u64, &GroupStatus)> {
    stats
        .iter()
        .filter_map(|(&node, s)| s.group(group).map(|g| (node, g)))
        .filter(|(_, g)| g.is_leader())
        .max_by_key(|(_, g)| g.term)
}

/// The leader of every group if the cluster is settled: each group has
/// a claimed leader and every node in `stats` names that leader. `None`
/// while any group is leaderless or nodes disagree.
pub fn agreed_leaders(stats: &ClusterStats) -> Option<BTreeMap<u32, u64>> {
    let ids = group_ids(stats);
    if ids.is_empty() {
        return None;
    }
    let mut out = BTreeMap::new();
    for id in ids {
        let (leader, _) = claimed_leader(stats, id)?;
        let all_agree = stats
            .values()
            .all(|s| s.group(id).is_some_and(|g| g.leader_id == leader));
        if !all_agree {
            return None;
        }
        out.insert(id, leader);
    }
    Some(out)
}

/// The node corekv prefers as leader of `group` (ids from 1), by the
/// server's own rule (`corekv_core::slot::preferred_leader`).
pub fn preferred_leader(nodes: &[u64], group: u32) -> Option<u64> {
    let mut sorted = nodes.to_vec();
    sorted.sort_unstable();
    corekv_core::slot::preferred_leader(&sorted, group)
}

/// True if every group is led by its preferred node.
pub fn leaders_preferred(leaders: &BTreeMap<u32, u64>, nodes: &[u64]) -> bool {
    leaders
        .iter()
        .all(|(&g, &l)| preferred_leader(nodes, g) == Some(l))
}

/// The node that leads the most groups (ties: the lowest id), with the
/// groups it leads.
pub fn busiest_leader(leaders: &BTreeMap<u32, u64>) -> Option<(u64, Vec<u32>)> {
    let mut by_node: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for (&g, &l) in leaders {
        by_node.entry(l).or_default().push(g);
    }
    // max_by_key keeps the last maximum; iterate in reverse so ties go to
    // the lowest id.
    by_node.into_iter().rev().max_by_key(|(_, gs)| gs.len())
}

/// True once `node` has applied, for every group any node reports, at
/// least what that group's leader had committed (the leader's document is
/// read before the node's, so this is a lower bound that holds at that
/// moment). A group `node` leads itself counts as caught up.
pub fn caught_up(leader_view: &ClusterStats, node_stats: &NodeStats, node: u64) -> bool {
    let ids = group_ids(leader_view);
    !ids.is_empty()
        && ids.iter().all(|&id| {
            let Some(mine) = node_stats.group(id) else {
                return false;
            };
            if mine.is_leader() {
                return true;
            }
            match claimed_leader(leader_view, id) {
                Some((leader, status)) if leader != node => mine.applied >= status.commit,
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real document from a 3-node cluster's node 1, trimmed.
    const DOC: &str = r#"{"cores":[{"core":0,"counters":{"commands":5},"groups":[1,2],
        "histograms":{"cmd.read":{"count":0,"max_us":0,"mean_us":0.0,"p50_us":0,"p999_us":0,"p99_us":0},
        "raft.commit":{"count":1200,"max_us":15000,"mean_us":2100.5,"p50_us":1700,"p999_us":12000,"p99_us":8400}},
        "raft":[{"applied":40,"commit":41,"group":1,"last_index":41,"leader_id":1,"role":"leader","term":2},
                {"applied":30,"commit":30,"group":2,"last_index":30,"leader_id":2,"role":"follower","term":2}]}],
        "node":{"cores":1,"heavy_rejected":0,"heavy_submitted":0,"uptime_s":3,"version":"0.1.0"}}"#;

    fn status(
        group: u32,
        role: &str,
        leader_id: u64,
        term: u64,
        commit: u64,
        applied: u64,
    ) -> GroupStatus {
        GroupStatus {
            group,
            role: role.to_string(),
            leader_id,
            term,
            commit,
            applied,
            last_index: commit,
        }
    }

    fn node(groups: Vec<GroupStatus>) -> NodeStats {
        NodeStats {
            cores: vec![CoreStats {
                core: 0,
                raft: groups,
                histograms: BTreeMap::new(),
            }],
        }
    }

    fn settled() -> ClusterStats {
        let mut stats = ClusterStats::new();
        for n in 1..=3 {
            let role = |g: u64| if g == n { "leader" } else { "follower" };
            stats.insert(
                n,
                node(vec![
                    status(1, role(1), 1, 2, 10, 10),
                    status(2, role(2), 2, 2, 20, 20),
                ]),
            );
        }
        stats
    }

    #[test]
    fn parses_a_real_document() {
        let s = parse(DOC).unwrap();
        assert_eq!(s.cores.len(), 1);
        assert_eq!(s.group(1).unwrap().commit, 41);
        assert!(s.group(1).unwrap().is_leader());
        assert!(!s.group(2).unwrap().is_leader());
        let commit = s.histogram(RAFT_COMMIT);
        assert_eq!(commit.len(), 1);
        assert_eq!(commit[0].1.p99_us, 8400);
        assert_eq!(commit[0].1.p999_us, 12000);
        assert_eq!(s.histogram("no.such")[0].1, Hist::default());
        assert!(parse("{\"cores\":[{\"core\":\"x\"}]}").is_err());
        assert!(parse("not json").is_err());
        // A document without raft (single node, older build) still parses.
        assert!(
            parse("{\"cores\":[{\"core\":0}]}")
                .unwrap()
                .group(1)
                .is_none()
        );
    }

    #[test]
    fn leaders_agree_only_when_settled() {
        let mut stats = settled();
        let leaders = agreed_leaders(&stats).unwrap();
        assert_eq!(leaders, BTreeMap::from([(1, 1), (2, 2)]));
        assert!(leaders_preferred(&leaders, &[1, 2, 3]));
        assert_eq!(busiest_leader(&leaders), Some((1, vec![1])));

        // Node 3 does not know group 2's leader yet.
        stats.get_mut(&3).unwrap().cores[0].raft[1].leader_id = 0;
        assert_eq!(agreed_leaders(&stats), None);

        // Node 1 dead; node 2 won group 1 in a higher term, node 3 agrees.
        let mut stats = settled();
        stats.remove(&1);
        for s in stats.values_mut() {
            s.cores[0].raft[0].leader_id = 2;
            s.cores[0].raft[0].term = 3;
        }
        stats.get_mut(&2).unwrap().cores[0].raft[0].role = "leader".into();
        let leaders = agreed_leaders(&stats).unwrap();
        assert_eq!(leaders, BTreeMap::from([(1, 2), (2, 2)]));
        assert!(!leaders_preferred(&leaders, &[1, 2, 3]));
        assert_eq!(busiest_leader(&leaders), Some((2, vec![1, 2])));

        // No group reported at all is not "settled".
        assert_eq!(agreed_leaders(&ClusterStats::new()), None);
    }

    #[test]
    fn a_stale_leader_loses_to_the_higher_term() {
        let mut stats = settled();
        // Node 1 still thinks it leads group 1 (term 2); node 2 leads in term 3.
        for n in [2, 3] {
            let g = &mut stats.get_mut(&n).unwrap().cores[0].raft[0];
            g.leader_id = 2;
            g.term = 3;
        }
        stats.get_mut(&2).unwrap().cores[0].raft[0].role = "leader".into();
        assert_eq!(claimed_leader(&stats, 1).unwrap().0, 2);
        assert_eq!(agreed_leaders(&stats), None, "node 1 disagrees");
    }

    #[test]
    fn preferred_leaders_round_robin() {
        assert_eq!(preferred_leader(&[3, 1, 2], 1), Some(1));
        assert_eq!(preferred_leader(&[1, 2, 3], 2), Some(2));
        assert_eq!(preferred_leader(&[1, 2, 3], 4), Some(1));
        assert_eq!(preferred_leader(&[], 1), None);
        let tie = BTreeMap::from([(1, 3), (2, 2), (3, 3), (4, 2)]);
        assert_eq!(busiest_leader(&tie), Some((2, vec![2, 4])));
    }

    #[test]
    fn catch_up_compares_applied_with_the_leaders_commit() {
        let mut leaders_view = settled();
        let restarted = leaders_view.remove(&1).unwrap();
        // Node 1 restarted as a follower of both groups, behind on group 1.
        let mut behind = restarted.clone();
        behind.cores[0].raft[0] = status(1, "follower", 2, 3, 10, 5);
        behind.cores[0].raft[1].applied = 15;
        // Node 2 now leads group 1 with commit 12.
        for s in leaders_view.values_mut() {
            s.cores[0].raft[0] = status(1, "follower", 2, 3, 12, 12);
        }
        leaders_view.get_mut(&2).unwrap().cores[0].raft[0].role = "leader".into();
        assert!(!caught_up(&leaders_view, &behind, 1));
        behind.cores[0].raft[0].applied = 12;
        assert!(!caught_up(&leaders_view, &behind, 1), "group 2 at 20 still");
        behind.cores[0].raft[1].applied = 20;
        assert!(caught_up(&leaders_view, &behind, 1));
        // A replica missing a group has not caught up.
        behind.cores[0].raft.pop();
        assert!(!caught_up(&leaders_view, &behind, 1));
        // Nothing to compare with: not caught up.
        assert!(!caught_up(&ClusterStats::new(), &restarted, 1));
    }
}
