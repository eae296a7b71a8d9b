//! Three replicas of one group in one process, wired by hand: messages are
//! delivered (or dropped, for a partition) by the test, persist jobs run
//! synchronously. Checks what a proposal's waiter is told when leadership
//! moves while it is in flight.

mod common;
use common::argv;
use corekv_core::{Reply, errors};
use corekv_shard::wal::LogRec;
use corekv_shard::{Cluster, Engine, GroupSpec, PersistJob, Shard, Token};
use std::collections::HashMap;
use std::time::Duration;

const GID: u32 = 1;

struct Net {
    dirs: Vec<tempfile::TempDir>,
    nodes: Vec<Shard>,
    /// Nodes whose data halves are held back, as a busy persist thread
    /// does (it writes log halves first and defers the data halves).
    defer: Vec<bool>,
    /// Nodes whose persist jobs wait until `finish_disk` (a slow disk).
    slow: Vec<bool>,
    held: Vec<Vec<PersistJob>>,
    /// Nodes cut off from everyone (both directions).
    cut: Vec<bool>,
    /// Replies by node and token.
    replies: Vec<HashMap<Token, Reply>>,
}

impl Net {
    fn new(n: u64) -> Net {
        Net::with_max_lag_bytes(n, 64 << 20)
    }

    fn with_max_lag_bytes(n: u64, max_lag_bytes: u64) -> Net {
        let mut dirs = Vec::new();
        let mut nodes = Vec::new();
        for id in 1..=n {
            let dir = tempfile::tempdir().expect("tempdir");
            nodes.push(open_with(dir.path(), id, n, max_lag_bytes));
            dirs.push(dir);
        }
        Net {
            dirs,
            nodes,
            defer: vec![false; n as usize],
            slow: vec![false; n as usize],
            held: (0..n).map(|_| Vec::new()).collect(),
            cut: vec![false; n as usize],
            replies: (0..n).map(|_| HashMap::new()).collect(),
        }
    }

    /// Drives every node and delivers messages until nothing moves.
    fn settle(&mut self) {
        for _ in 0..200 {
            let mut moved = false;
            let mut mail = Vec::new();
            for (i, s) in self.nodes.iter_mut().enumerate() {
                s.drive().expect("drive");
                for (tok, r) in s.take_completions() {
                    self.replies[i].insert(tok, r);
                }
                if let Some(job) = s.take_job() {
                    moved = true;
                    let engine = s.engine().clone();
                    if self.slow[i] {
                        // Its disk has not finished: nothing durable yet.
                        self.held[i].push(job);
                    } else if self.defer[i] {
                        engine
                            .persist_log_inline(std::slice::from_ref(&job), true)
                            .expect("persist");
                        s.on_log_persisted(&job.readies);
                        self.held[i].push(job);
                    } else {
                        engine
                            .persist(std::slice::from_ref(&job), true)
                            .expect("persist");
                        s.on_persisted(job.seq, &job.readies);
                    }
                    s.drive().expect("drive");
                    for (tok, r) in s.take_completions() {
                        self.replies[i].insert(tok, r);
                    }
                }
                let from = i as u64 + 1;
                mail.extend(s.take_outgoing().into_iter().map(|m| (from, m)));
                assert!(s.take_snapshot_sends().is_empty(), "no snapshots here");
            }
            for (from, (gid, m)) in mail {
                let to = m.to;
                if self.cut[(from - 1) as usize] || self.cut[(to - 1) as usize] {
                    continue;
                }
                moved = true;
                self.nodes[(to - 1) as usize].step(gid, m, std::time::Instant::now());
            }
            if !moved {
                return;
            }
        }
        panic!("the network did not settle");
    }

    /// Makes `node` lead: the other reachable nodes are ticked past their
    /// leader lease (so they grant votes), then only `node` is ticked until
    /// it times out and wins, if its log allows.
    fn elect(&mut self, node: u64) {
        for other in 1..=self.nodes.len() as u64 {
            if other != node && !self.cut[(other - 1) as usize] {
                for _ in 0..10 {
                    self.nodes[(other - 1) as usize].tick();
                    self.settle();
                }
            }
        }
        for _ in 0..100 {
            self.nodes[(node - 1) as usize].tick();
            self.settle();
            if self.nodes[(node - 1) as usize].is_leader(0) {
                return;
            }
        }
        panic!("node {node} did not become leader");
    }

    /// Writes a node's held data halves up to and including the first job
    /// whose log half moved the term to `term`, then stops as a kill -9
    /// would: later jobs' log halves are written, their data halves not.
    fn flush_held_through_term(&mut self, node: u64, term: u64) {
        let i = (node - 1) as usize;
        let mut jobs = std::mem::take(&mut self.held[i]);
        let at = jobs
            .iter()
            .position(|j| {
                j.log
                    .iter()
                    .any(|r| matches!(r, LogRec::Hard(g, hs) if *g == GID && hs.term == term))
            })
            .expect("no job moved the term");
        jobs.truncate(at + 1);
        let engine = self.nodes[i].engine().clone();
        engine.persist_data(&jobs).expect("persist data");
        engine.sync(true).expect("sync");
    }

    /// A slow node's disk catches up: its held jobs become durable.
    fn finish_disk(&mut self, node: u64) {
        let i = (node - 1) as usize;
        self.slow[i] = false;
        for job in std::mem::take(&mut self.held[i]) {
            let engine = self.nodes[i].engine().clone();
            engine
                .persist(std::slice::from_ref(&job), true)
                .expect("persist");
            self.nodes[i].on_persisted(job.seq, &job.readies);
        }
        self.settle();
    }

    /// Stops a node (its written state stays, as after kill -9) and opens
    /// it again from its directory.
    fn restart(&mut self, node: u64) {
        let i = (node - 1) as usize;
        let n = self.nodes.len() as u64;
        drop(self.nodes.remove(i));
        self.nodes.insert(i, open(self.dirs[i].path(), node, n));
    }

    fn term(&self, node: u64) -> u64 {
        self.nodes[(node - 1) as usize].raft_status()[0].term
    }

    fn leader(&self) -> Option<u64> {
        (1..=self.nodes.len() as u64)
            .find(|&n| !self.cut[(n - 1) as usize] && self.nodes[(n - 1) as usize].is_leader(0))
    }

    fn propose(&mut self, node: u64, cmd: &[&str], tok: Token) {
        self.nodes[(node - 1) as usize]
            .propose(0, 1000, &argv(cmd), tok)
            .expect("propose");
    }

    fn reply(&self, node: u64, tok: Token) -> Option<&Reply> {
        self.replies[(node - 1) as usize].get(&tok)
    }

    fn get(&self, node: u64, key: &str) -> Reply {
        self.nodes[(node - 1) as usize].read(0, &argv(&["GET", key]), 1000, 0)
    }
}

fn open(dir: &std::path::Path, id: u64, n: u64) -> Shard {
    open_with(dir, id, n, 64 << 20)
}

fn open_with(dir: &std::path::Path, id: u64, n: u64, max_lag_bytes: u64) -> Shard {
    let engine = Engine::open(dir, 8 << 20).expect("open");
    let cluster = Cluster {
        node_id: id,
        voters: (1..=n).collect(),
        lease: Duration::from_millis(400),
        max_lag: 1 << 16,
        max_lag_bytes,
        join: false,
    };
    let spec = GroupSpec {
        id: GID,
        slots: 0..16384,
    };
    Shard::open_cluster(engine, &[spec], 1 << 20, cluster).expect("shard")
}

/// A leader proposes entries it cannot commit (cut off), loses leadership,
/// comes back and leads again: its new proposals land at indexes below the
/// abandoned ones. Each waiter must be told its own outcome: the abandoned
/// proposals "try again" (they never ran), the new ones their real reply.
#[test]
fn a_proposal_below_abandoned_ones_gets_its_own_reply() {
    let mut net = Net::new(3);
    net.elect(1);
    net.propose(1, &["INCR", "c"], 1);
    net.settle();
    assert_eq!(net.reply(1, 1), Some(&Reply::Integer(1)));

    // Node 1 is cut off and proposes five entries nobody else sees.
    net.cut[0] = true;
    for t in 10..15 {
        net.propose(1, &["INCR", "c"], t);
        net.settle();
    }
    // Nodes 2 and 3 elect node 2 and commit one write there.
    net.elect(2);
    net.propose(2, &["INCR", "c"], 20);
    net.settle();
    assert_eq!(net.reply(2, 20), Some(&Reply::Integer(2)));

    // Heal: node 1 follows node 2 and drops its abandoned suffix.
    net.cut[0] = false;
    for _ in 0..3 {
        net.nodes[1].tick();
        net.settle();
    }
    assert_eq!(net.leader(), Some(2));
    // Node 2 fails; node 1 leads again, its new proposals reuse the
    // abandoned indexes.
    net.cut[1] = true;
    net.elect(1);
    for t in 30..36 {
        net.propose(1, &["INCR", "c"], t);
        net.settle();
    }
    let try_again = Reply::Error(errors::NOT_LEADER.into());
    for t in 10..15 {
        assert_eq!(net.reply(1, t), Some(&try_again), "abandoned token {t}");
    }
    for (i, t) in (30..36).enumerate() {
        assert_eq!(
            net.reply(1, t),
            Some(&Reply::Integer(3 + i as i64)),
            "token {t} was committed and applied"
        );
    }
    assert_eq!(net.get(3, "c"), Reply::bulk(&b"8"[..]));
}

/// The persist thread writes a job's data half after the log halves of
/// later jobs. A commit-only hard state change rides with the data half; it
/// must not take back a later job's term and vote, or a restarted node
/// forgets its vote and can vote twice in one term.
#[test]
fn a_restart_remembers_the_latest_term_and_vote() {
    let mut net = Net::new(3);
    net.elect(1);
    net.defer[2] = true;
    // Node 3 learns of a commit (a commit-only hard state change) ...
    net.propose(1, &["SET", "k", "v"], 1);
    net.settle();
    assert_eq!(net.reply(1, 1), Some(&Reply::ok()));
    let old_term = net.term(3);
    // ... then votes for node 2 in the next term, before that data half
    // is written.
    net.cut[0] = true;
    net.elect(2);
    assert_eq!(net.term(3), old_term + 1);
    net.flush_held_through_term(3, old_term + 1);
    net.restart(3);
    assert_eq!(
        net.term(3),
        old_term + 1,
        "node 3 forgot its term (and vote)"
    );
}

/// A restarted replica may have acknowledged the leader's heartbeat just
/// before it went down, and the leader's read lease counts on it refusing
/// votes for an election timeout. So it refuses them for that long after
/// the restart, though it no longer remembers hearing from the leader.
#[test]
fn a_restarted_replica_refuses_votes_for_an_election_timeout() {
    let mut net = Net::new(3);
    net.elect(1);
    net.propose(1, &["SET", "k", "v"], 1);
    net.settle();
    net.restart(3);
    net.settle();
    // Node 2 loses node 1 and campaigns; only the restarted node 3 could
    // make it a majority.
    net.cut[0] = true;
    for _ in 0..40 {
        net.nodes[1].tick();
        net.settle();
    }
    assert!(!net.nodes[1].is_leader(0), "elected inside node 1's lease");
    // An election timeout later node 3 votes again: nodes 2 and 3 elect
    // one of them (node 3 may time out first: its election timeout is
    // randomised from 10 ticks up).
    for _ in 0..corekv_shard::shard::VOTE_FENCE_TICKS {
        net.nodes[2].tick();
        net.settle();
    }
    for _ in 0..40 {
        net.nodes[1].tick();
        net.settle();
        if net.leader().is_some() {
            return;
        }
    }
    panic!("no leader after the fence ended");
}

/// A follower serves a read after a ReadIndex round with the leader: the
/// leader answers at once while its lease holds (else after a heartbeat
/// round), and the follower waits until it has applied up to the answer.
#[test]
fn a_follower_reads_after_a_read_index_round() {
    let mut net = Net::new(3);
    net.elect(1);
    net.propose(1, &["SET", "k", "v1"], 1);
    net.settle();
    assert_eq!(net.reply(1, 1), Some(&Reply::ok()));
    for with_lease in [false, true] {
        if with_lease {
            let now = std::time::Instant::now();
            net.nodes[0].request_lease(0, now);
            net.settle();
            assert!(net.nodes[0].read_ready(0, now));
        }
        let value = if with_lease { "v3" } else { "v2" };
        net.propose(1, &["SET", "k", value], 2);
        // The follower's ticket is taken before the write is acknowledged
        // here, so the write may or may not be seen; a ticket taken after
        // must see it.
        net.settle();
        // Both followers ask at once: each must get its own answer (their
        // requests must not be mistaken for one another's).
        let t2 = net.nodes[1].follower_read_ticket(0);
        let t3 = net.nodes[2].follower_read_ticket(0);
        assert!(!net.nodes[1].follower_read_ready(0, t2), "not asked yet");
        net.nodes[1].send_follower_reads(std::time::Instant::now());
        net.nodes[2].send_follower_reads(std::time::Instant::now());
        net.settle();
        assert!(
            net.nodes[1].follower_read_ready(0, t2),
            "node 2, lease {with_lease}"
        );
        assert!(
            net.nodes[2].follower_read_ready(0, t3),
            "node 3, lease {with_lease}"
        );
        assert_eq!(net.get(2, "k"), Reply::bulk(value.as_bytes().to_vec()));
    }
    // A leader cut off answers nothing: the read waits.
    net.cut[0] = true;
    let t = net.nodes[2].follower_read_ticket(0);
    net.nodes[2].send_follower_reads(std::time::Instant::now());
    net.settle();
    assert!(!net.nodes[2].follower_read_ready(0, t));
}

/// A leader whose own log write is the slowest of the quorum: the followers
/// commit and apply a write (and may serve it) before the leader has
/// applied it, so the leader must not serve reads from its older state
/// though its lease holds.
#[test]
fn a_leader_behind_its_commit_index_does_not_serve_reads() {
    let mut net = Net::new(3);
    net.elect(1);
    let now = std::time::Instant::now();
    net.nodes[0].request_lease(0, now);
    net.propose(1, &["SET", "k", "v1"], 1);
    net.settle();
    assert!(net.nodes[0].read_ready(0, now));
    net.slow[0] = true;
    net.propose(1, &["SET", "k", "v2"], 2);
    net.settle();
    // Nodes 2 and 3 made it durable: committed, and applied there.
    assert_eq!(net.get(2, "k"), Reply::bulk(&b"v2"[..]));
    assert_eq!(net.get(1, "k"), Reply::bulk(&b"v1"[..]));
    assert!(
        !net.nodes[0].read_ready(0, now),
        "the leader would serve v1 after a follower served v2"
    );
    net.finish_disk(1);
    assert_eq!(net.reply(1, 2), Some(&Reply::ok()));
    assert!(net.nodes[0].read_ready(0, now));
    assert_eq!(net.get(1, "k"), Reply::bulk(&b"v2"[..]));
}

/// A leader cut off from the majority steps down with a write pending; the
/// write's caller is told "outcome unknown" after a bounded wait instead of
/// waiting for the partition to heal.
#[test]
fn a_cut_off_leaders_pending_write_ends_as_unknown() {
    let mut net = Net::new(3);
    net.elect(1);
    net.cut[0] = true;
    net.propose(1, &["INCR", "c"], 5);
    net.settle();
    // check_quorum: no majority heard from for an election timeout.
    for _ in 0..30 {
        net.nodes[0].tick();
        net.settle();
    }
    assert!(!net.nodes[0].is_leader(0));
    let t0 = std::time::Instant::now();
    net.nodes[0].maintain(t0);
    net.settle();
    assert_eq!(net.reply(1, 5), None, "answered before the timeout");
    net.nodes[0].maintain(t0 + corekv_shard::shard::ORPHAN_TIMEOUT);
    net.settle();
    assert_eq!(
        net.reply(1, 5),
        Some(&Reply::Error(errors::OUTCOME_UNKNOWN.into()))
    );
}

/// Writes 8 KiB values, one Raft entry each, while node 3 is cut off; then
/// returns (the leader's first log index, its log bytes, node 3's last index).
fn lagging_follower_log(max_lag_bytes: u64) -> (u64, u64, u64) {
    let mut net = Net::with_max_lag_bytes(3, max_lag_bytes);
    net.elect(1);
    net.cut[2] = true;
    let value = "v".repeat(8 << 10);
    for i in 0..400u64 {
        net.propose(1, &["SET", &format!("k{i}"), &value], 100 + i);
        net.settle();
        assert_eq!(net.reply(1, 100 + i), Some(&Reply::ok()));
    }
    let st = &net.nodes[0].raft_status()[0];
    let lagging = net.nodes[2].raft_status()[0].last_index;
    (st.first_index, st.log_bytes, lagging)
}

/// An entry is a batch of commands, so an entry count alone does not bound
/// what a leader holds for a lagging follower: past `max_lag_bytes` of log
/// it truncates anyway (the follower will need a snapshot).
#[test]
fn a_leader_bounds_the_log_it_keeps_for_a_lagging_follower_in_bytes() {
    let (first, bytes, lagging) = lagging_follower_log(64 << 20);
    assert!(
        first <= lagging + 1,
        "kept for the follower: {first} > {lagging} + 1"
    );
    assert!(bytes > 3 << 20, "400 x 8 KiB kept: {bytes}");

    let (first, bytes, lagging) = lagging_follower_log(1 << 20);
    assert!(
        first > lagging + 1,
        "truncated past the follower: {first} <= {lagging} + 1"
    );
    // What is left: at most the bound plus the applied entries always kept.
    assert!(bytes < 3 << 20, "log bytes {bytes}");
}

/// A follower whose disk fails reads stops applying at the entry whose
/// reads fail (docs/design/0016): it falls behind, never computes a
/// different state, and reaches the leader's exact state once reads work.
#[test]
fn a_replica_whose_reads_fail_falls_behind_and_never_diverges() {
    const FAULT: &str = "ERR storage read error: injected read fault";
    let state = |net: &Net, node: u64| {
        let s = &net.nodes[(node - 1) as usize];
        (
            s.raft_status()[0].applied,
            s.read(0, &argv(&["GET", "k"]), 1000, 0),
            s.read(0, &argv(&["DBSIZE"]), 1000, 0),
        )
    };
    let mut net = Net::new(3);
    net.elect(1);
    net.propose(1, &["SET", "k", "10"], 1);
    net.settle();
    assert_eq!(net.reply(1, 1), Some(&Reply::ok()));
    // Node 3 restarts (cold cache) and its disk starts failing reads.
    net.restart(3);
    net.settle();
    net.nodes[2].engine().health.inject(u64::MAX);
    net.propose(1, &["INCR", "k"], 2);
    net.propose(1, &["APPEND", "k", "5"], 3);
    net.settle();
    assert_eq!(net.reply(1, 2), Some(&Reply::Integer(11)));
    assert_eq!(net.reply(1, 3), Some(&Reply::Integer(3)));
    let leader = state(&net, 1);
    assert_eq!(leader.1, Reply::bulk(&b"115"[..]));
    assert_eq!(state(&net, 2), leader);
    // Behind, not different: an older applied index, and (reads working
    // again, before the next turn retries the apply) the old value.
    assert!(net.nodes[2].apply_stalled());
    assert_eq!(state(&net, 3).1, Reply::err(FAULT));
    net.nodes[2].engine().health.inject(0);
    let behind = state(&net, 3);
    assert!(behind.0 < leader.0, "{behind:?} vs {leader:?}");
    assert_eq!(behind.1, Reply::bulk(&b"10"[..]));
    net.settle();
    assert_eq!(state(&net, 3), leader);
}

/// Every replica that applies an entry produces its keyspace events (each
/// node serves its own subscribers), as its own flags select, and a
/// replica with notifications off produces none.
#[test]
fn every_replica_produces_the_keyspace_events_it_applies() {
    let mut net = Net::new(3);
    net.elect(1);
    let kea = corekv_core::notify::parse_flags(b"KEA").expect("flags");
    net.nodes[0].set_notify(kea);
    net.nodes[1].set_notify(kea);
    // Node 3 keeps the default: off.
    net.propose(1, &["SET", "a", "1"], 1);
    net.propose(1, &["RPUSH", "l", "x"], 2);
    net.propose(1, &["LPOP", "l"], 3);
    net.settle();
    assert!(net.reply(1, 3).is_some());
    let want: Vec<(u32, String)> = ["set a", "rpush l", "lpop l", "del l"]
        .iter()
        .map(|e| (GID, e.to_string()))
        .collect();
    for node in [1, 2] {
        let got: Vec<(u32, String)> = net.nodes[node - 1]
            .take_key_events()
            .into_iter()
            .map(|(g, e)| {
                (
                    g,
                    format!("{} {}", e.event, String::from_utf8_lossy(&e.key)),
                )
            })
            .collect();
        assert_eq!(got, want, "node {node}");
    }
    assert!(net.nodes[2].take_key_events().is_empty(), "node 3 is off");
}
