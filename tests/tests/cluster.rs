//! Replication (corekv only): three nodes on loopback form one database;
//! every node serves every key (proxying to the group's leader), and
//! killing a leader node with kill -9 under concurrent writes loses no
//! acknowledged write; the restarted node catches up.

use corekv_tests::linearizability::{
    Load, check_counter_within, check_register_within, run_counter_workload, run_register_workload,
};
use corekv_tests::{Reply, Resp, Server, cluster_ports, corekv_only};
use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Search time of a linearizability check before it gives up as undecided:
/// follower reads make ops overlap more than the library default expects.
const CHECK_BUDGET: Duration = Duration::from_secs(30);

/// The register workloads: 900 ops, a short pause between a client's ops
/// so six clients overlap without making the check's search explode.
fn register_load() -> Load {
    Load::new(6, 150, Duration::from_secs(20)).paced(Duration::from_millis(3))
}

/// Bound on every wait for the cluster to settle.
const SETTLE: Duration = Duration::from_secs(20);

struct Cluster {
    nodes: Vec<Server>,
}

impl Cluster {
    fn start(n: usize) -> Cluster {
        Cluster::start_with(n, &[])
    }

    fn start_with(n: usize, extra: &[&str]) -> Cluster {
        Cluster {
            nodes: corekv_tests::start_cluster(n, extra),
        }
    }

    /// Node `i`'s stats socket document (`corekv-stats --json`).
    fn stats(&self, i: usize) -> serde_json::Value {
        let out = std::process::Command::new(corekv_tests::stats_bin())
            .arg("--socket")
            .arg(self.nodes[i].stats_socket())
            .arg("--json")
            .output()
            .expect("corekv-stats");
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    }

    /// Keys held by node `i` (all its replicas), from the stats socket.
    fn keys(&self, i: usize) -> u64 {
        self.counter(i, "keys")
    }

    /// A stats-socket counter of node `i`, summed over its cores.
    fn counter(&self, i: usize, name: &str) -> u64 {
        let v = self.stats(i);
        v["cores"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| c["counters"][name].as_u64().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    }

    fn addr(&self, i: usize) -> String {
        self.nodes[i].addr()
    }

    fn addrs(&self) -> Vec<String> {
        (0..self.nodes.len()).map(|i| self.addr(i)).collect()
    }

    /// Cuts Raft traffic (and proxying) between node `i` and all others,
    /// both ways, or heals every cut.
    fn isolate(&self, i: usize, on: bool) {
        let n = self.nodes.len();
        for j in 0..n {
            let mut c = connect(&self.addr(j)).expect("connect");
            let args: Vec<String> = if !on {
                vec!["COREKV.DEBUG".into(), "HEAL".into()]
            } else if j == i {
                let mut a = vec!["COREKV.DEBUG".into(), "PARTITION".into()];
                a.extend((0..n).filter(|&k| k != i).map(|k| (k + 1).to_string()));
                a
            } else {
                vec![
                    "COREKV.DEBUG".into(),
                    "PARTITION".into(),
                    (i + 1).to_string(),
                ]
            };
            assert_eq!(c.cmd(&args), Reply::ok());
        }
    }

    /// Waits until every group has a leader node 2 and 3 agree on.
    fn wait_leaders(&self) {
        eventually(|| {
            let a = self.raft(1);
            let b = self.raft(2);
            let agreed = !a.is_empty()
                && a.iter()
                    .all(|(g, s)| s.1 != 0 && b.get(g).is_some_and(|t| t.1 == s.1));
            check(agreed, || format!("no stable leaders: {a:?} / {b:?}"))
        });
    }

    /// Raft state of every group on node `i`: group → (role, leader_id, applied, commit).
    fn raft(&self, i: usize) -> HashMap<u64, (String, u64, u64, u64)> {
        let v = self.stats(i);
        let mut m = HashMap::new();
        for core in v["cores"].as_array().cloned().unwrap_or_default() {
            for g in core["raft"].as_array().cloned().unwrap_or_default() {
                m.insert(
                    g["group"].as_u64().unwrap_or(0),
                    (
                        g["role"].as_str().unwrap_or("").to_string(),
                        g["leader_id"].as_u64().unwrap_or(0),
                        g["applied"].as_u64().unwrap_or(0),
                        g["commit"].as_u64().unwrap_or(0),
                    ),
                );
            }
        }
        m
    }
}

/// Polls `check` every 100 ms until it holds (returning its value), or
/// panics with its last complaint once [`SETTLE`] has passed.
fn eventually<T>(mut check: impl FnMut() -> Result<T, String>) -> T {
    let until = Instant::now() + SETTLE;
    loop {
        match check() {
            Ok(v) => return v,
            Err(why) => assert!(Instant::now() < until, "{why}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `Ok(())` if `ok`, else the complaint `why` builds.
fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why()) }
}

fn connect(addr: &str) -> Option<Resp> {
    let s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    s.set_nodelay(true).ok()?;
    Some(Resp::from_stream(s, Duration::from_secs(5)))
}

/// Runs `args` against node `addr`, retrying TRYAGAIN (elections) and
/// unknown outcomes (a proxied command whose leader lost its quorum) until
/// `deadline`; None on a connection failure. Only for idempotent commands
/// where a fault can happen.
fn cmd_retry(c: &mut Resp, args: &[&str], deadline: Instant) -> Option<Reply> {
    loop {
        match c.try_cmd(args) {
            Ok(r)
                if r.is_error()
                    && (r.error_text().starts_with("TRYAGAIN")
                        || r.error_text().contains("outcome is unknown"))
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(r) => return Some(r),
            Err(_) => return None,
        }
    }
}

#[test]
fn three_nodes_serve_every_key_from_any_node() {
    if !corekv_only("three_nodes_serve_every_key_from_any_node") {
        return;
    }
    let cl = Cluster::start(3);
    let deadline = Instant::now() + SETTLE;
    let mut conns: Vec<Resp> = (0..3)
        .map(|i| connect(&cl.addr(i)).expect("connect"))
        .collect();
    for i in 0..300 {
        let k = format!("key:{i}");
        let v = format!("value:{i}");
        let r = cmd_retry(&mut conns[i % 3], &["SET", &k, &v], deadline).expect("SET");
        assert_eq!(r, Reply::ok(), "SET {k} via node {}", i % 3 + 1);
    }
    for (n, c) in conns.iter_mut().enumerate() {
        for i in 0..300 {
            let k = format!("key:{i}");
            let r = cmd_retry(c, &["GET", &k], deadline).expect("GET");
            assert_eq!(
                r,
                Reply::bulk(&format!("value:{i}")),
                "GET {k} via node {}",
                n + 1
            );
        }
    }
    // Every node read every key; each group has one leader, so the other
    // two nodes read its keys themselves (follower reads), not by proxy.
    let follower_reads: u64 = (0..3).map(|i| cl.counter(i, "follower_reads")).sum();
    assert!(follower_reads > 0, "no follower reads");
    // Multi-key commands fan out per group and proxy each part.
    let r = cmd_retry(
        &mut conns[1],
        &["DEL", "key:1", "key:2", "key:3", "nope"],
        deadline,
    );
    assert_eq!(r.expect("DEL").int(), 3);
    let r = cmd_retry(&mut conns[2], &["EXISTS", "key:1", "key:4"], deadline);
    assert_eq!(r.expect("EXISTS").int(), 1);
    // Whole-keyspace reads on every node: groups led elsewhere are read
    // on the node itself after a ReadIndex round (KEYS on the heavy pool).
    for (n, c) in conns.iter_mut().enumerate() {
        let r = cmd_retry(c, &["KEYS", "key:*"], deadline).expect("KEYS");
        assert_eq!(r.sorted_texts().len(), 297, "KEYS via node {}", n + 1);
        let r = cmd_retry(c, &["DBSIZE"], deadline).expect("DBSIZE");
        assert_eq!(r.int(), 297, "DBSIZE via node {}", n + 1);
    }
    let r = cmd_retry(&mut conns[0], &["INCR", "counter"], deadline);
    assert_eq!(r.expect("INCR").int(), 1);
    let r = cmd_retry(&mut conns[1], &["INCR", "counter"], deadline);
    assert_eq!(r.expect("INCR").int(), 2);
    // Leaders are spread: with 3 nodes × 2 cores × 2 groups (+ the meta
    // group 0), each node leads some group once the cluster settles.
    eventually(|| {
        let leads: Vec<usize> = (0..3)
            .map(|i| cl.raft(i).values().filter(|g| g.0 == "leader").count())
            .collect();
        let spread = leads.iter().all(|&n| n >= 1) && leads.iter().sum::<usize>() == 5;
        check(spread, || format!("leaders never spread: {leads:?}"))
    });
}

#[test]
fn kill9_of_a_leader_node_loses_no_acknowledged_write() {
    if !corekv_only("kill9_of_a_leader_node_loses_no_acknowledged_write") {
        return;
    }
    let mut cl = Cluster::start(3);
    let addrs: Vec<String> = (0..3).map(|i| cl.addr(i)).collect();
    // Wait until every group has a leader somewhere.
    eventually(|| {
        let r = cl.raft(0);
        let led = (1..=4u64).all(|g| r.get(&g).is_some_and(|s| s.1 != 0));
        check(led, || format!("no leaders: {r:?}"))
    });
    let victim = 0usize; // node 1 prefers to lead groups 1 and 4
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for w in 0..3usize {
        let stop = stop.clone();
        let acked = acked.clone();
        let addrs = addrs.clone();
        writers.push(std::thread::spawn(move || {
            let mut node = w;
            let mut c = connect(&addrs[node]);
            let mut n = 0u64;
            let hard_stop = Instant::now() + Duration::from_secs(30);
            while !stop.load(Ordering::Relaxed) && n < 20_000 && Instant::now() < hard_stop {
                let Some(conn) = c.as_mut() else {
                    node = (node + 1) % addrs.len();
                    c = connect(&addrs[node]);
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let k = format!("w{w}:{n}");
                let v = format!("v{n}");
                match conn.try_cmd(&["SET", &k, &v]) {
                    Ok(r) if r == Reply::ok() => {
                        acked.lock().expect("lock").push((k, v));
                        n += 1;
                    }
                    Ok(_) => std::thread::sleep(Duration::from_millis(10)),
                    Err(_) => c = None,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let before = acked.lock().expect("lock").len();
    cl.nodes[victim].kill9();
    let t_kill = Instant::now();
    // Writes keep being acknowledged by the survivors.
    let until = Instant::now() + SETTLE;
    let mut resumed = None;
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
        if acked.lock().expect("lock").len() > before + 200 {
            resumed = Some(t_kill.elapsed());
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    let resumed = resumed.expect("writes never resumed after the leader was killed");
    eprintln!("writes resumed {resumed:?} after kill -9 of node 1");
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > before, "no writes after the kill");
    // Every acknowledged write is readable from both survivors.
    let deadline = Instant::now() + SETTLE;
    for i in [1usize, 2] {
        let mut c = connect(&addrs[i]).expect("connect survivor");
        for (k, v) in &acked {
            let r = cmd_retry(&mut c, &["GET", k], deadline).expect("GET");
            assert_eq!(
                r,
                Reply::bulk(v),
                "acknowledged {k} lost (read via node {})",
                i + 1
            );
        }
    }
    // The killed node comes back and catches up with every group.
    cl.nodes[victim].restart();
    eventually(|| {
        let leader_view = cl.raft(1);
        let mine = cl.raft(victim);
        let caught_up = !mine.is_empty()
            && leader_view
                .iter()
                .all(|(g, s)| mine.get(g).is_some_and(|m| m.2 >= s.2.min(s.3)));
        check(caught_up, || {
            format!("node 1 never caught up: {mine:?} vs {leader_view:?}")
        })
    });
    let mut c = connect(&addrs[victim]).expect("connect restarted");
    let deadline = Instant::now() + SETTLE;
    for (k, v) in acked.iter().step_by(7) {
        let r = cmd_retry(&mut c, &["GET", k], deadline).expect("GET");
        assert_eq!(r, Reply::bulk(v), "{k} via the restarted node");
    }
}

/// Keys `prefix0..n` with `value`, written through node `i` (retrying
/// elections), asserting each is acknowledged.
fn write_all(addr: &str, prefix: &str, n: usize, value: &str) {
    let mut c = connect(addr).expect("connect");
    let deadline = Instant::now() + SETTLE;
    for k in 0..n {
        let key = format!("{prefix}{k}");
        let r = cmd_retry(&mut c, &["SET", &key, value], deadline).expect("SET");
        assert_eq!(r, Reply::ok(), "SET {key} via {addr}");
    }
}

#[test]
fn partitioned_minority_never_acknowledges_writes_or_serves_stale_reads() {
    if !corekv_only("partitioned_minority_never_acknowledges_writes_or_serves_stale_reads") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    const N: usize = 40;
    write_all(&cl.addr(0), "p", N, "old");
    for (cut, label) in [(true, "both ways"), (false, "one way")] {
        if cut {
            cl.isolate(0, true);
        } else {
            // Node 1 hears the others but cannot reach them.
            let mut c = connect(&cl.addr(0)).expect("connect");
            assert_eq!(c.cmd(&["COREKV.DEBUG", "DROP-OUT", "2", "3"]), Reply::ok());
        }
        // The majority elects leaders for node 1's groups and takes writes.
        write_all(&cl.addr(1), "p", N, label);
        // The minority answers nothing it cannot stand behind: no write
        // acknowledged, no read of the value the majority replaced.
        let mut c = connect(&cl.addr(0)).expect("connect");
        for k in 0..N {
            c.send(&["SET", &format!("p{k}"), "minority"])
                .expect("send");
        }
        for k in 0..N {
            c.send(&["GET", &format!("p{k}")]).expect("send");
        }
        // Per key: did the minority's SET get a definite refusal?
        let mut refused = [false; N];
        let mut timed_out = false;
        for (k, was_refused) in refused.iter_mut().enumerate() {
            match c.read_reply() {
                Ok(r) => {
                    assert!(
                        r.is_error(),
                        "minority acknowledged SET p{k}: {r:?} ({label})"
                    );
                    *was_refused = r.error_text().starts_with("TRYAGAIN");
                }
                Err(_) => {
                    // Timed out: nothing acknowledged either.
                    timed_out = true;
                    break;
                }
            }
        }
        for k in 0..if timed_out { 0 } else { N } {
            match c.read_reply() {
                Ok(r) => assert!(
                    r.is_error() || r == Reply::bulk(label),
                    "minority served p{k} = {r:?} after the majority wrote {label}"
                ),
                Err(_) => break,
            }
        }
        cl.isolate(0, false);
        // Healed: every node agrees; a key holds the majority's value, or
        // the minority's only if that SET was never refused (an
        // unanswered write may still run once the partition heals).
        std::thread::sleep(Duration::from_millis(500));
        let deadline = Instant::now() + SETTLE;
        let mut seen: Vec<Reply> = Vec::new();
        for i in 0..3 {
            let mut c = connect(&cl.addr(i)).expect("connect");
            for k in 0..N {
                let key = format!("p{k}");
                let r = cmd_retry(&mut c, &["GET", &key], deadline).expect("GET");
                let ok = r == Reply::bulk(label) || (!refused[k] && r == Reply::bulk("minority"));
                assert!(
                    ok,
                    "{key} = {r:?} via node {} after healing ({label})",
                    i + 1
                );
                if i == 0 {
                    seen.push(r);
                } else {
                    assert_eq!(r, seen[k], "{key}: nodes disagree after healing");
                }
            }
        }
        // The next round starts from the majority's value everywhere.
        write_all(&cl.addr(1), "p", N, label);
    }
}

/// Runs `fault` on a thread while a workload runs against all three nodes.
fn with_fault<T>(work: impl FnOnce() -> T, fault: impl FnOnce() + Send + 'static) -> T {
    let f = std::thread::spawn(fault);
    let out = work();
    f.join().expect("fault thread");
    out
}

/// Cuts node 1 of three from the other two (both ways) for `how_long`,
/// then heals.
fn partition_node1(addrs: &[String], how_long: Duration) {
    for (i, addr) in addrs.iter().enumerate() {
        let mut c = connect(addr).expect("connect");
        let args: Vec<&str> = if i == 0 {
            vec!["COREKV.DEBUG", "PARTITION", "2", "3"]
        } else {
            vec!["COREKV.DEBUG", "PARTITION", "1"]
        };
        assert_eq!(c.cmd(&args), Reply::ok());
    }
    std::thread::sleep(how_long);
    for addr in addrs {
        let mut c = connect(addr).expect("connect");
        assert_eq!(c.cmd(&["COREKV.DEBUG", "HEAL"]), Reply::ok());
    }
}

#[test]
fn register_stays_linearizable_across_partition_and_leader_transfers() {
    if !corekv_only("register_stays_linearizable_across_partition_and_leader_transfers") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let addrs = cl.addrs();
    // 1. Node 1 partitioned away and healed in the middle of the run.
    let a = addrs.clone();
    let h = with_fault(
        || run_register_workload(&addrs, register_load()),
        move || {
            std::thread::sleep(Duration::from_millis(50));
            partition_node1(&a, Duration::from_millis(1500));
        },
    );
    eprintln!("register under partition: {}", h.stats());
    check_register_within(&h, CHECK_BUDGET)
        .unwrap_or_else(|e| panic!("register history not linearizable:\n{e}"));
    cl.wait_leaders();
    cl.wait_leaders();
    // 3. A register while every group's leadership is moved around: a
    // transfer skips the followers' lease, so the old leader must stop
    // serving reads the moment it starts one.
    let a = addrs.clone();
    let h = with_fault(
        || run_register_workload(&addrs, register_load()),
        move || {
            let mut c = connect(&a[0]).expect("connect");
            become_member(&mut c);
            let mut moved = 0;
            for round in 0..6u64 {
                std::thread::sleep(Duration::from_millis(150));
                for g in 1..=4u64 {
                    let to = ((g + round) % 3 + 1).to_string();
                    let r = c.cmd(&["COREKV.CLUSTER", "TRANSFER", &g.to_string(), &to]);
                    // A transfer may be refused while another one of the
                    // group is in progress; most must go through.
                    assert!(r == Reply::ok() || r.is_error(), "{r:?}");
                    moved += usize::from(r == Reply::ok());
                }
            }
            assert!(moved >= 12, "only {moved} of 24 transfers were accepted");
        },
    );
    eprintln!("register under leader transfers: {}", h.stats());
    check_register_within(&h, CHECK_BUDGET)
        .unwrap_or_else(|e| panic!("register history not linearizable:\n{e}"));
}

#[test]
fn a_follower_far_behind_catches_up_from_a_snapshot() {
    if !corekv_only("a_follower_far_behind_catches_up_from_a_snapshot") {
        return;
    }
    // Leaders keep only 16 entries for a lagging follower: node 3 will
    // need a snapshot of every group.
    let mut cl = Cluster::start_with(3, &["--raft-max-lag", "16", "--groups-per-core", "1"]);
    cl.wait_leaders();
    cl.nodes[2].kill9();
    let deadline = Instant::now() + SETTLE;
    let mut c = connect(&cl.addr(0)).expect("connect");
    // One entry per SET (sequential): each of the 2 groups gets well past
    // the 2 × 128 entries after which a leader truncates.
    const N: usize = 1500;
    for k in 0..N {
        let key = format!("s{k}");
        let r = cmd_retry(&mut c, &["SET", &key, &format!("v{k}")], deadline).expect("SET");
        assert_eq!(r, Reply::ok(), "SET {key}");
    }
    for k in (0..N).step_by(10) {
        let key = format!("s{k}");
        assert_eq!(
            cmd_retry(&mut c, &["DEL", &key], deadline)
                .expect("DEL")
                .int(),
            1
        );
    }
    let r = cmd_retry(&mut c, &["SET", "ttl-key", "x", "EX", "1000"], deadline).expect("SET");
    assert_eq!(r, Reply::ok());
    let want = cl.keys(0);
    assert_eq!(want, (N - N / 10 + 1) as u64);
    cl.nodes[2].restart();
    // Node 3 gets snapshots, then the log after them.
    eventually(|| {
        let leader_view = cl.raft(0);
        let mine = cl.raft(2);
        let keys = cl.keys(2);
        let caught_up = !mine.is_empty()
            && leader_view
                .iter()
                .all(|(g, s)| mine.get(g).is_some_and(|m| m.2 >= s.3));
        check(caught_up && keys == want, || {
            format!(
                "node 3 never caught up: keys {keys} of {want}; {mine:?} vs {leader_view:?}\n{}",
                cl.nodes[2].log()
            )
        })
    });
    assert!(
        cl.nodes[2].log().contains("snapshot at index"),
        "no snapshot was used:\n{}",
        cl.nodes[2].log()
    );
    // It serves what it got (its preferred group comes back to it).
    let mut c3 = connect(&cl.addr(2)).expect("connect");
    let deadline = Instant::now() + SETTLE;
    for k in 0..N {
        let key = format!("s{k}");
        let r = cmd_retry(&mut c3, &["GET", &key], deadline).expect("GET");
        if k % 10 == 0 {
            assert_eq!(r, Reply::Nil, "{key} was deleted");
        } else {
            assert_eq!(r, Reply::bulk(&format!("v{k}")), "{key} via node 3");
        }
    }
    let ttl = cmd_retry(&mut c3, &["TTL", "ttl-key"], deadline)
        .expect("TTL")
        .int();
    assert!(ttl > 900, "TTL survived the snapshot: {ttl}");
    // And it keeps replicating after the snapshot.
    let r = cmd_retry(&mut c3, &["SET", "after", "1"], deadline).expect("SET");
    assert_eq!(r, Reply::ok());
}

fn members(c: &mut Resp) -> Vec<String> {
    c.cmd(&["COREKV.CLUSTER", "MEMBERS"])
        .items()
        .iter()
        .map(|r| r.text())
        .collect()
}

/// Waits (bounded) until every group's MEMBERS line contains `want`.
fn wait_members(c: &mut Resp, want: &str) {
    eventually(|| {
        let m = members(c);
        check(m.iter().all(|l| l.contains(want)), || {
            format!("never {want}: {m:?}")
        })
    });
}

#[test]
fn nodes_join_as_learners_get_promoted_take_leadership_and_leave() {
    if !corekv_only("nodes_join_as_learners_get_promoted_take_leadership_and_leave") {
        return;
    }
    let mut cl = Cluster::start_with(3, &["--groups-per-core", "1"]);
    cl.wait_leaders();
    let deadline = Instant::now() + SETTLE;
    write_all(&cl.addr(0), "m", 200, "before");
    // Node 4 starts empty and joins.
    let p4 = loop {
        let p = cluster_ports(1)[0];
        if !cl.nodes.iter().any(|n| n.port().abs_diff(p) < 2) {
            break p;
        }
    };
    let peers = (0..3)
        .map(|i| format!("{}={}", i + 1, cl.addr(i)))
        .chain(std::iter::once(format!("4=127.0.0.1:{p4}")))
        .collect::<Vec<_>>()
        .join(",");
    let n4 = Server::start_on(
        p4,
        &[
            "--node-id",
            "4",
            "--peers",
            &peers,
            "--cluster-secret-file",
            &secret_file(),
            "--join",
            "--fsync",
            "always",
            "--groups-per-core",
            "1",
        ],
    );
    cl.nodes.push(n4);
    let mut c2 = connect(&cl.addr(1)).expect("connect");
    become_member(&mut c2);
    // Through the operator tool.
    let out = std::process::Command::new(corekv_tests::ctl_bin())
        .args([
            "--addr",
            &cl.addr(1),
            "--secret-file",
            &secret_file(),
            "add-learner",
            "4",
            &format!("127.0.0.1:{p4}"),
        ])
        .output()
        .expect("corekv-ctl");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "OK",
        "corekv-ctl add-learner: {out:?}\n{}",
        cl.nodes[3].log()
    );
    eventually(|| {
        let (have, want) = (cl.keys(3), cl.keys(0));
        check(have == want, || {
            format!(
                "node 4 never caught up: {have} of {want} keys\n{}",
                cl.nodes[3].log()
            )
        })
    });
    let m = members(&mut c2);
    assert!(m.iter().all(|l| l.ends_with("learners=4")), "{m:?}");
    assert!(
        m.iter().any(|l| l.starts_with("group=0 ")),
        "the meta group: {m:?}"
    );
    // Learner → voter through a joint configuration.
    assert_eq!(c2.cmd(&["COREKV.CLUSTER", "PROMOTE", "4"]), Reply::ok());
    wait_members(&mut c2, "voters=1,2,3,4 learners=");
    // Leadership of group 1 moves to node 4 and stays there.
    assert_eq!(
        c2.cmd(&["COREKV.CLUSTER", "TRANSFER", "1", "4"]),
        Reply::ok()
    );
    eventually(|| {
        let r = cl.raft(0);
        check(r.get(&1).map(|g| g.1) == Some(4), || {
            format!("no transfer: {r:?}")
        })
    });
    // Node 3 leaves; the cluster of 1, 2 and 4 keeps going without it.
    assert_eq!(c2.cmd(&["COREKV.CLUSTER", "REMOVE", "3"]), Reply::ok());
    wait_members(&mut c2, "voters=1,2,4 learners=");
    cl.nodes[2].kill9();
    write_all(&cl.addr(3), "m", 200, "after");
    let mut c4 = connect(&cl.addr(3)).expect("connect");
    for k in 0..200 {
        let key = format!("m{k}");
        let r = cmd_retry(&mut c4, &["GET", &key], deadline + SETTLE).expect("GET");
        assert_eq!(r, Reply::bulk("after"), "{key} via node 4");
    }
    // Node 1 (whose --peers never listed node 4) restarts and still
    // reaches node 4: the address was recorded with the membership change.
    cl.nodes[0].restart();
    write_all(&cl.addr(0), "m", 200, "restarted");
    let mut c4 = connect(&cl.addr(3)).expect("connect");
    for k in 0..200 {
        let key = format!("m{k}");
        let r = cmd_retry(&mut c4, &["GET", &key], Instant::now() + SETTLE).expect("GET");
        assert_eq!(r, Reply::bulk("restarted"), "{key} via node 4");
    }
}

/// Follows `-MOVED` like a cluster client: returns (reply, redirects).
fn cmd_cluster(cl: &Cluster, start: usize, args: &[&str]) -> (Reply, usize) {
    let mut addr = cl.addr(start);
    for hops in 0..5 {
        let mut c = connect(&addr).expect("connect");
        let deadline = Instant::now() + SETTLE;
        let r = cmd_retry(&mut c, args, deadline).expect("reply");
        match &r {
            Reply::Error(e) if e.starts_with("MOVED ") => {
                addr = e.split(' ').nth(2).expect("MOVED address").to_string();
            }
            _ => return (r, hops),
        }
    }
    panic!("redirect loop for {args:?}");
}

#[test]
fn cluster_protocol_slots_moved_and_keys_in_slot() {
    if !corekv_only("cluster_protocol_slots_moved_and_keys_in_slot") {
        return;
    }
    let cl = Cluster::start_with(3, &["--cluster-enabled"]);
    cl.wait_leaders();
    let mut c = connect(&cl.addr(0)).expect("connect");
    // CLUSTER SLOTS covers every slot exactly once, masters first.
    let slots = c.cmd(&["CLUSTER", "SLOTS"]).items();
    let mut covered = 0;
    for range in &slots {
        let r = range.items();
        covered += r[1].int() - r[0].int() + 1;
        assert!(r.len() >= 3, "master and replicas: {r:?}");
    }
    assert_eq!(covered, 16384);
    assert!(
        c.cmd(&["CLUSTER", "INFO"])
            .text()
            .contains("cluster_state:ok")
    );
    assert_eq!(c.cmd(&["CLUSTER", "KEYSLOT", "foo"]).int(), 12182);
    let myid = c.cmd(&["CLUSTER", "MYID"]).text();
    assert_eq!(myid, format!("{:040x}", 1));
    // A key led by another node gets MOVED from the others; following it
    // works; the node that leads answers directly.
    let mut moved = 0;
    for k in 0..50 {
        let key = format!("ck{k}");
        let (r, hops) = cmd_cluster(&cl, k % 3, &["SET", &key, "v"]);
        assert_eq!(r, Reply::ok(), "SET {key}");
        moved += hops;
        let (r, _) = cmd_cluster(&cl, (k + 1) % 3, &["GET", &key]);
        assert_eq!(r, Reply::bulk("v"), "GET {key}");
    }
    assert!(moved > 0, "no MOVED seen over 50 keys on 3 nodes");
    let slot = c.cmd(&["CLUSTER", "KEYSLOT", "ck7"]).int().to_string();
    let (n, _) = cmd_cluster(&cl, 0, &["CLUSTER", "COUNTKEYSINSLOT", &slot]);
    assert!(n.int() >= 1, "{n:?}");
    let (keys, _) = cmd_cluster(&cl, 1, &["CLUSTER", "GETKEYSINSLOT", &slot, "100"]);
    assert!(keys.sorted_texts().contains(&"ck7".to_string()), "{keys:?}");
    assert_eq!(
        c.cmd(&["CLUSTER", "ADDSLOTS", "1"]).error_text(),
        "ERR CLUSTER ADDSLOTS is not supported: corekv assigns slots to Raft groups itself"
    );
    assert!(
        c.cmd(&["INFO", "cluster"])
            .text()
            .contains("cluster_enabled:1")
    );
}

#[test]
fn cluster_commands_are_disabled_without_the_flag() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert_eq!(
        c.cmd(&["CLUSTER", "SLOTS"]).error_text(),
        "ERR This instance has cluster support disabled"
    );
    assert!(
        c.cmd(&["INFO", "cluster"])
            .text()
            .contains("cluster_enabled:0")
    );
}

#[test]
fn five_nodes_survive_two_failures() {
    if !corekv_only("five_nodes_survive_two_failures") {
        return;
    }
    let mut cl = Cluster::start_with(5, &["--groups-per-core", "1"]);
    eventually(|| {
        let r = cl.raft(1);
        let led = !r.is_empty() && r.values().all(|g| g.1 != 0);
        check(led, || format!("no leaders: {r:?}"))
    });
    write_all(&cl.addr(4), "f", 100, "one");
    // Any two nodes may fail: three of five are a quorum.
    cl.nodes[0].kill9();
    cl.nodes[1].kill9();
    write_all(&cl.addr(2), "f", 100, "two");
    let deadline = Instant::now() + SETTLE;
    for i in [2usize, 3, 4] {
        let mut c = connect(&cl.addr(i)).expect("connect");
        for k in 0..100 {
            let key = format!("f{k}");
            let r = cmd_retry(&mut c, &["GET", &key], deadline).expect("GET");
            assert_eq!(r, Reply::bulk("two"), "{key} via node {}", i + 1);
        }
    }
    // A third failure leaves no quorum: writes are refused, never acknowledged.
    cl.nodes[2].kill9();
    let mut c = connect(&cl.addr(3)).expect("connect");
    let r = c.try_cmd(&["SET", "f0", "three"]);
    assert!(
        !matches!(r, Ok(ref x) if *x == Reply::ok()),
        "acknowledged without a quorum: {r:?}"
    );
}

/// A counter (INCR is not idempotent: a command applied twice skips a
/// value) while node 1 is partitioned away, healed — it takes back the
/// leadership of its groups once caught up, with proposals it abandoned at
/// the partition still in its books — then killed with kill -9 and
/// restarted. This check found a committed INCR answered "try again" (so
/// its client ran it twice); shard/tests/replicas.rs pins the cause.
#[test]
fn counter_stays_linearizable_across_partition_kill_and_restart() {
    if !corekv_only("counter_stays_linearizable_across_partition_kill_and_restart") {
        return;
    }
    let mut cl = Cluster::start(3);
    cl.wait_leaders();
    let addrs = cl.addrs();
    let victim = cl.nodes.remove(0);
    let a = addrs.clone();
    let killer = std::thread::spawn(move || {
        let mut victim = victim;
        std::thread::sleep(Duration::from_millis(50));
        partition_node1(&a, Duration::from_millis(1500));
        // Leaderships go back to node 1 once it is caught up.
        std::thread::sleep(Duration::from_millis(2500));
        victim.kill9();
        std::thread::sleep(Duration::from_millis(1000));
        victim.restart();
        victim
    });
    // About 30 ops a second per client: the 900 ops span the whole
    // schedule (partition at 0.05 s, heal at 1.55 s, kill -9 at 4 s,
    // restart at 5 s).
    let load = Load::new(6, 150, Duration::from_secs(20)).paced(Duration::from_millis(35));
    let h = run_counter_workload(&addrs, load);
    let victim = killer.join().expect("killer");
    cl.nodes.insert(0, victim);
    eprintln!("counter under partition and kill -9: {}", h.stats());
    check_counter_within(&h, CHECK_BUDGET)
        .unwrap_or_else(|e| panic!("counter history not linearizable:\n{e}"));
}

/// A proxied request carries the sending node's HLC (DESIGN "Time"): a
/// proxy link sends `COREKV.AT <hlc> <command...>` after its
/// `COREKV.MEMBER <secret>` and `COREKV.PROXIED` hellos, and the receiver
/// moves its clock up to the HLC, unless that is further ahead of its own
/// clock than `--max-clock-offset-ms`. Speaks the proxy protocol by hand, so
/// the clock can only come from it.
#[test]
fn proxied_requests_carry_the_senders_clock_within_the_offset_guard() {
    if !corekv_only("proxied_requests_carry_the_senders_clock_within_the_offset_guard") {
        return;
    }
    let cl = Cluster::start_with(3, &["--max-clock-offset-ms", "60000"]);
    cl.wait_leaders();
    let mut c = connect(&cl.addr(1)).expect("connect");
    let now = c.cmd(&["COREKV.DEBUG", "HLC"]).int();
    // 30 s ahead (the HLC is ms << 16): inside the 60 s guard.
    let ahead = (now + (30_000 << 16)).to_string();
    // An hour ahead: outside it.
    let far = (now + (3_600_000 << 16)).to_string();
    // Not a member: COREKV.MEMBER with a wrong secret, COREKV.PROXIED and
    // COREKV.AT are unknown commands, and the clock does not move.
    let unknown = |r: Reply| matches!(&r, Reply::Error(e) if e.starts_with("ERR unknown command"));
    assert!(unknown(c.cmd(&["COREKV.AT", &ahead, "PING"])));
    assert!(unknown(c.cmd(&["COREKV.PROXIED"])));
    assert!(unknown(c.cmd(&["COREKV.MEMBER", "not-the-cluster-secret"])));
    assert!(unknown(c.cmd(&["COREKV.PROXIED"])));
    assert!(c.cmd(&["COREKV.DEBUG", "HLC"]).int() < now + (10_000 << 16));
    let secret = std::fs::read_to_string(secret_file()).expect("secret");
    assert_eq!(c.cmd(&["COREKV.MEMBER", secret.trim()]), Reply::ok());
    // A member, but not yet a proxy link: COREKV.AT is still refused.
    assert!(c.cmd(&["COREKV.AT", &ahead, "PING"]).is_error());
    assert_eq!(c.cmd(&["COREKV.PROXIED"]), Reply::ok());
    // Beyond the guard: refused, and the clock stays where it was.
    let r = c.cmd(&["COREKV.AT", &far, "PING"]);
    assert!(
        matches!(&r, Reply::Error(e) if e.starts_with("ERR clock offset too large")),
        "{r:?}"
    );
    assert!(c.cmd(&["COREKV.DEBUG", "HLC"]).int() < now + (10_000 << 16));
    assert_eq!(
        c.cmd(&["COREKV.AT", &ahead, "PING"]),
        Reply::Simple("PONG".into())
    );
    let deadline = Instant::now() + SETTLE;
    let r = cmd_retry(&mut c, &["COREKV.AT", &ahead, "GET", "k"], deadline).expect("GET");
    assert_eq!(r, Reply::Nil);
    assert!(c.cmd(&["COREKV.DEBUG", "HLC"]).int() >= now + (30_000 << 16));
}

/// Internal commands are not client commands: a client that has not
/// presented the cluster secret gets Redis's unknown-command error for
/// every one of them, and none of them has any effect.
#[test]
fn internal_commands_need_the_cluster_secret() {
    if !corekv_only("internal_commands_need_the_cluster_secret") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let mut c = connect(&cl.addr(0)).expect("connect");
    let before = c.cmd(&["COREKV.CLUSTER", "MEMBERS"]);
    assert_eq!(
        before,
        Reply::Error(
            "ERR unknown command 'COREKV.CLUSTER', with args beginning with: 'MEMBERS' ".into()
        )
    );
    for argv in [
        vec!["COREKV.CLUSTER", "REMOVE", "3"],
        vec!["COREKV.CLUSTER", "TRANSFER", "1", "2"],
        vec!["COREKV.GROUPADMIN", "1", "REMOVE", "3"],
        vec!["COREKV.COUNTKEYSINSLOT", "0"],
        vec!["COREKV.GETKEYSINSLOT", "0", "10"],
        vec!["COREKV.PROXIED"],
        vec!["COREKV.AT", "1", "PING"],
        vec!["COREKV.EXPIREIF", "k"],
        vec!["corekv.cluster", "members"],
    ] {
        let r = c.cmd(&argv);
        assert!(
            matches!(&r, Reply::Error(e) if e.starts_with(&format!("ERR unknown command '{}'", argv[0]))),
            "{argv:?}: {r:?}"
        );
    }
    // Nothing was removed: node 3 still replicates.
    let _: () = {
        assert_eq!(c.cmd(&["SET", "after", "1"]), Reply::ok());
    };
    eventually(|| check(cl.keys(2) >= 1, || "node 3 stopped replicating".to_string()));
    // With the secret, the operator command works.
    become_member(&mut c);
    assert!(matches!(
        c.cmd(&["COREKV.CLUSTER", "MEMBERS"]),
        Reply::Array(_)
    ));
}

/// A Raft link that does not present the cluster secret is closed before
/// anything it sends is delivered.
#[test]
fn raft_links_need_the_cluster_secret() {
    if !corekv_only("raft_links_need_the_cluster_secret") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let port = cl.nodes[0].port() + 10000;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("raft port");
    // A well-formed v2 hello from "node 2" with the wrong secret.
    let mut hello = b"CKVRAFT2".to_vec();
    hello.extend_from_slice(&2u64.to_be_bytes());
    hello.extend_from_slice(&0u32.to_be_bytes());
    hello.extend_from_slice(&2u32.to_be_bytes());
    hello.extend_from_slice(&2u32.to_be_bytes());
    hello.push(16);
    hello.extend_from_slice(&[b'x'; 64]);
    use std::io::{Read, Write};
    s.write_all(&hello).expect("hello");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    // The node closes the link: EOF (or a reset), not a timeout.
    match s.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("link with a wrong secret stayed open: {other:?}"),
    }
    assert!(
        cl.nodes[0]
            .log()
            .contains("did not present the cluster secret"),
        "{}",
        cl.nodes[0].log()
    );
}

/// Presents the cluster secret on `c`, as an operator's tool does.
fn become_member(c: &mut Resp) {
    let secret = std::fs::read_to_string(secret_file()).expect("secret");
    assert_eq!(c.cmd(&["COREKV.MEMBER", secret.trim()]), Reply::ok());
}

/// A secret file shared by the nodes of every test cluster (written once).
fn secret_file() -> String {
    corekv_tests::cluster_secret_file()
}

/// The collections the cluster test writes: every family, keys spread
/// over the groups, one entry per command (so leaders truncate their logs
/// and a lagging follower needs a snapshot).
fn collection_writes(i: usize) -> Vec<String> {
    let k = i % 5;
    match i % 5 {
        0 => vec![
            "HSET".into(),
            format!("h{k}"),
            format!("f{i}"),
            format!("v{i}"),
        ],
        1 => vec!["RPUSH".into(), format!("l{k}"), format!("e{i}")],
        2 => vec!["SADD".into(), format!("s{k}"), format!("m{i}")],
        3 => vec![
            "ZADD".into(),
            format!("z{k}"),
            i.to_string(),
            format!("m{i}"),
        ],
        _ => vec![
            "XADD".into(),
            format!("x{k}"),
            format!("{}-0", i + 1),
            "f".into(),
            format!("v{i}"),
        ],
    }
}

/// The entry [`collection_writes`] `i` added, as XRANGE shows it.
fn stream_entry(i: usize) -> Reply {
    Reply::Array(vec![
        Reply::bulk(&format!("{}-0", i + 1)),
        Reply::Array(vec![Reply::bulk("f"), Reply::bulk(&format!("v{i}"))]),
    ])
}

/// Checks through `c` that every collection write below `n` is there and
/// the big hash holds all its fields.
fn verify_collections(c: &mut Resp, n: usize, big: usize, deadline: Instant) {
    let q = |c: &mut Resp, args: &[&str]| cmd_retry(c, args, deadline).expect("reply");
    for i in 0..n {
        let w = collection_writes(i);
        let (got, want) = match i % 5 {
            0 => (q(c, &["HGET", &w[1], &w[2]]), Reply::bulk(&w[3])),
            2 => (q(c, &["SISMEMBER", &w[1], &w[2]]), Reply::Int(1)),
            3 => (q(c, &["ZSCORE", &w[1], &w[3]]), Reply::bulk(&w[2])),
            _ => continue,
        };
        assert_eq!(got, want, "{w:?}");
    }
    let pushed: Vec<Reply> = (0..n)
        .filter(|i| i % 5 == 1)
        .map(|i| Reply::bulk(&format!("e{i}")))
        .collect();
    assert_eq!(q(c, &["LRANGE", "l1", "0", "-1"]), Reply::Array(pushed));
    let added: Vec<Reply> = (0..n).filter(|i| i % 5 == 4).map(stream_entry).collect();
    assert_eq!(q(c, &["XRANGE", "x4", "-", "+"]), Reply::Array(added));
    assert_eq!(q(c, &["TYPE", "x4"]), Reply::Simple("stream".into()));
    assert_eq!(q(c, &["HLEN", "big"]), Reply::Int(big as i64));
    assert_eq!(q(c, &["HGET", "big", "f77"]), Reply::bulk("value-77"));
    assert_eq!(q(c, &["EXISTS", "dropped"]), Reply::Int(0));
    assert_eq!(q(c, &["TYPE", "z3"]), Reply::Simple("zset".into()));
    // A paged string (a bitmap) carries its pages too.
    assert_eq!(q(c, &["GETBIT", "bits", "4294967295"]), Reply::Int(1));
    assert_eq!(q(c, &["BITCOUNT", "bits"]), Reply::Int(2));
    assert_eq!(q(c, &["STRLEN", "bits"]), Reply::Int(536_870_912));
}

#[test]
fn collections_reach_a_lagging_follower_by_snapshot_and_survive_a_leader_kill() {
    if !corekv_only("collections_reach_a_lagging_follower_by_snapshot_and_survive_a_leader_kill") {
        return;
    }
    let mut cl = Cluster::start_with(3, &["--raft-max-lag", "16", "--groups-per-core", "1"]);
    cl.wait_leaders();
    cl.nodes[2].kill9();
    let deadline = Instant::now() + SETTLE;
    let mut c = connect(&cl.addr(0)).expect("connect");
    const N: usize = 1200;
    const BIG: usize = 3000;
    for chunk in (0..BIG).collect::<Vec<_>>().chunks(100) {
        let mut args = vec!["HSET".to_string(), "big".to_string()];
        for i in chunk {
            args.push(format!("f{i}"));
            args.push(format!("value-{i}"));
        }
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        assert_eq!(cmd_retry(&mut c, &args, deadline), Some(Reply::Int(100)));
    }
    let r = cmd_retry(&mut c, &["SADD", "dropped", "a", "b", "c"], deadline);
    assert_eq!(r, Some(Reply::Int(3)));
    for bit in ["4294967295", "100000"] {
        let r = cmd_retry(&mut c, &["SETBIT", "bits", bit, "1"], deadline);
        assert_eq!(r, Some(Reply::Int(0)));
    }
    for i in 0..N {
        let w = collection_writes(i);
        let args: Vec<&str> = w.iter().map(|s| s.as_str()).collect();
        let r = cmd_retry(&mut c, &args, deadline).expect("write");
        assert!(matches!(r, Reply::Int(_) | Reply::Bulk(_)), "{w:?}: {r:?}");
    }
    assert_eq!(
        cmd_retry(&mut c, &["DEL", "dropped"], deadline),
        Some(Reply::Int(1))
    );
    let want = cl.keys(0);
    cl.nodes[2].restart();
    eventually(|| {
        let leader_view = cl.raft(0);
        let mine = cl.raft(2);
        let keys = cl.keys(2);
        let caught_up = !mine.is_empty()
            && leader_view
                .iter()
                .all(|(g, s)| mine.get(g).is_some_and(|m| m.2 >= s.3));
        check(caught_up && keys == want, || {
            format!("node 3 never caught up: keys {keys} of {want}; {mine:?} vs {leader_view:?}")
        })
    });
    let log = cl.nodes[2].log();
    assert!(
        log.contains("snapshot at index") && !log.contains(" 0 elements) received"),
        "no snapshot carried elements:\n{log}"
    );
    // Node 3 serves every collection it got by snapshot and log.
    let mut c3 = connect(&cl.addr(2)).expect("connect");
    verify_collections(&mut c3, N, BIG, Instant::now() + SETTLE);
    // Kill node 1 (it leads groups): node 2 serves and takes writes.
    cl.nodes[0].kill9();
    let deadline = Instant::now() + SETTLE;
    let mut c2 = connect(&cl.addr(1)).expect("connect");
    verify_collections(&mut c2, N, BIG, deadline);
    // (A retried write may find its first attempt applied: 0 or 1.)
    let r = cmd_retry(&mut c2, &["HSET", "big", "after", "kill"], deadline);
    assert!(matches!(r, Some(Reply::Int(0 | 1))), "{r:?}");
    let r = cmd_retry(&mut c2, &["HLEN", "big"], deadline);
    assert_eq!(r, Some(Reply::Int(BIG as i64 + 1)));
    // The stream takes entries after the kill, above its last id.
    let r = cmd_retry(&mut c2, &["XADD", "x4", "*", "f", "after"], deadline);
    assert!(matches!(r, Some(Reply::Bulk(_))), "{r:?}");
    let r = cmd_retry(&mut c2, &["XLEN", "x4"], deadline);
    assert_eq!(r, Some(Reply::Int((N / 5) as i64 + 1)));
}

#[test]
fn a_proxied_xreadgroup_keeps_its_resp2_shape() {
    if !corekv_only("a_proxied_xreadgroup_keeps_its_resp2_shape") {
        return;
    }
    // XREADGROUP is a write: a node that does not lead the key's group
    // proxies it, and the leader answers in RESP3, where the per-stream
    // pairs are a map. A RESP2 client must still get `[[key, entries]]`.
    let cl = Cluster::start(3);
    let deadline = Instant::now() + SETTLE;
    let mut conns: Vec<Resp> = (0..3)
        .map(|i| connect(&cl.addr(i)).expect("connect"))
        .collect();
    for id in ["1-0", "2-0", "3-0"] {
        let r = cmd_retry(&mut conns[0], &["XADD", "xs", id, "f", id], deadline);
        assert_eq!(r, Some(Reply::bulk(id)));
    }
    let r = cmd_retry(
        &mut conns[0],
        &["XGROUP", "CREATE", "xs", "g", "0"],
        deadline,
    );
    assert_eq!(r, Some(Reply::ok()));
    let mut ids = Vec::new();
    for (n, c) in conns.iter_mut().enumerate() {
        let consumer = format!("c{n}");
        let args = [
            "XREADGROUP",
            "GROUP",
            "g",
            &consumer,
            "COUNT",
            "1",
            "STREAMS",
            "xs",
            ">",
        ];
        let r = cmd_retry(c, &args, deadline).expect("XREADGROUP");
        let streams = r.items();
        assert_eq!(streams.len(), 1, "via node {}: {r:?}", n + 1);
        let pair = streams[0].items();
        assert_eq!(pair.len(), 2, "via node {}: {r:?}", n + 1);
        assert_eq!(pair[0], Reply::bulk("xs"));
        let entry = pair[1].items()[0].items();
        assert_eq!(entry[1], Reply::bulks(&["f", &entry[0].text()]));
        ids.push(entry[0].text());
    }
    assert_eq!(ids, ["1-0", "2-0", "3-0"]);
}

/// What the blocked clients of [`blocked_clients_survive_leader_changes`]
/// saw.
#[derive(Default)]
struct Pops {
    popped: Vec<String>,
    unblocked: usize,
    other_errors: Vec<String>,
}

#[test]
fn blocked_clients_survive_leader_changes_and_nothing_is_popped_twice_or_lost() {
    if !corekv_only("blocked_clients_survive_leader_changes_and_nothing_is_popped_twice_or_lost") {
        return;
    }
    const WAITERS: usize = 12;
    const PUSHES: usize = 120;
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let addrs = cl.addrs();
    let queues = ["q:alpha", "q:beta", "q:gamma", "q:delta"];
    let stop = Arc::new(AtomicBool::new(false));
    let pops = Arc::new(Mutex::new(Pops::default()));
    // Blocked clients on every node (so some wait on a leader here, some
    // through another node's proxy), re-blocking after each answer.
    let waiters: Vec<_> = (0..WAITERS)
        .map(|t| {
            let addr = addrs[t % 3].clone();
            let q = queues[t % queues.len()];
            let (stop, pops) = (stop.clone(), pops.clone());
            std::thread::spawn(move || {
                let mut c = connect(&addr).expect("connect");
                let until = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    let r = c.try_cmd(&["BLPOP", q, "0.5"]).expect("BLPOP");
                    let mut p = pops.lock().expect("pops");
                    match r {
                        Reply::Nil => {}
                        Reply::Array(kv) if kv.len() == 2 => p.popped.push(kv[1].text()),
                        r if r.error_text().starts_with("UNBLOCKED") => p.unblocked += 1,
                        // Elections: the command never ran.
                        r if r.error_text().starts_with("TRYAGAIN") => {}
                        other => p.other_errors.push(format!("{other:?}")),
                    }
                }
            })
        })
        .collect();
    // Leadership of every group moves around while pushes arrive.
    let a = addrs.clone();
    let mover = std::thread::spawn(move || {
        let mut c = connect(&a[0]).expect("connect");
        become_member(&mut c);
        let mut moved = 0;
        for round in 0..8u64 {
            std::thread::sleep(Duration::from_millis(200));
            for g in 1..=4u64 {
                let to = ((g + round) % 3 + 1).to_string();
                let r = c.cmd(&["COREKV.CLUSTER", "TRANSFER", &g.to_string(), &to]);
                moved += usize::from(r == Reply::ok());
            }
        }
        moved
    });
    let mut pusher = connect(&addrs[1]).expect("connect");
    let mut acked = Vec::new();
    let mut maybe = Vec::new();
    for i in 0..PUSHES {
        let e = format!("e{i}");
        match pusher.try_cmd(&["RPUSH", queues[i % queues.len()], &e]) {
            Ok(Reply::Int(_)) => acked.push(e),
            // Not pushed (election), or perhaps pushed (unknown outcome).
            Ok(r) if r.error_text().starts_with("TRYAGAIN") => {}
            Ok(_) => maybe.push(e),
            Err(e) => panic!("pusher: {e}"),
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    let moved = mover.join().expect("mover");
    assert!(moved >= 8, "only {moved} of 32 transfers were accepted");
    // Let the waiters drain what is left, then stop them.
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    for w in waiters {
        w.join().expect("waiter");
    }
    let deadline = Instant::now() + SETTLE;
    let mut left = Vec::new();
    for q in queues {
        let r = cmd_retry(&mut pusher, &["LRANGE", q, "0", "-1"], deadline).expect("LRANGE");
        left.extend(r.items().iter().map(|x| x.text()));
    }
    let p = pops.lock().expect("pops");
    eprintln!(
        "leader changes: {moved} transfers, {} popped, {} left, {} unblocked, {} maybe-pushed",
        p.popped.len(),
        left.len(),
        p.unblocked,
        maybe.len()
    );
    assert!(p.other_errors.is_empty(), "{:?}", p.other_errors);
    let mut seen = std::collections::HashSet::new();
    for e in p.popped.iter().chain(left.iter()) {
        assert!(seen.insert(e.clone()), "{e} popped or kept twice");
        assert!(
            acked.contains(e) || maybe.contains(e),
            "{e} was never pushed"
        );
    }
    for e in &acked {
        assert!(seen.contains(e), "acknowledged push {e} was lost");
    }
    // Blocked clients on a follower node do not hold up other proxied
    // commands (each blocking call has its own connection): the waiters
    // keep up with the pushes.
    assert!(
        p.popped.len() >= PUSHES * 9 / 10,
        "only {} popped",
        p.popped.len()
    );
}

#[test]
fn a_proxied_blocking_command_waits_past_the_proxy_call_timeout() {
    if !corekv_only("a_proxied_blocking_command_waits_past_the_proxy_call_timeout") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let addrs = cl.addrs();
    // One client per node: at least two of them block through a proxy.
    let mut waiters: Vec<Resp> = (0..3)
        .map(|i| {
            let s = TcpStream::connect(&addrs[i]).expect("connect");
            let mut c = Resp::from_stream(s, Duration::from_secs(15));
            c.send(&["BLPOP", &format!("late{i}"), "10"]).expect("send");
            c
        })
        .collect();
    // And clients that leave while blocked (through a proxy, too): the
    // leader must not pop anything for them.
    for (i, addr) in addrs.iter().enumerate() {
        let mut c = connect(addr).expect("connect");
        c.send(&["BLPOP", &format!("gone{i}"), "0"]).expect("send");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Longer than a proxied call's 5 s bound.
    std::thread::sleep(Duration::from_millis(6000));
    let mut c = connect(&addrs[0]).expect("connect");
    let deadline = Instant::now() + SETTLE;
    for i in 0..3 {
        let k = format!("gone{i}");
        let r = cmd_retry(&mut c, &["RPUSH", &k, "kept"], deadline);
        assert_eq!(r, Some(Reply::Int(1)));
    }
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..3 {
        let k = format!("gone{i}");
        let r = cmd_retry(&mut c, &["LLEN", &k], deadline);
        assert_eq!(
            r,
            Some(Reply::Int(1)),
            "{k}: a push was popped for a client that left"
        );
    }
    for i in 0..3 {
        let r = cmd_retry(&mut c, &["RPUSH", &format!("late{i}"), "x"], deadline);
        assert_eq!(r, Some(Reply::Int(1)));
    }
    let mut served = 0;
    for (i, w) in waiters.iter_mut().enumerate() {
        let k = format!("late{i}");
        match w.read_reply().expect("reply") {
            r if r == Reply::Array(vec![Reply::bulk(&k), Reply::bulk("x")]) => served += 1,
            // The group's leader changed meanwhile (an election on a busy
            // machine): Redis's failover answer, and nothing was popped.
            r if r.error_text().starts_with("UNBLOCKED") => {
                let r = cmd_retry(&mut c, &["LLEN", &k], deadline);
                assert_eq!(r, Some(Reply::Int(1)), "{k}");
            }
            r => panic!("waiter on node {}: {r:?}", i + 1),
        }
    }
    assert!(served >= 2, "only {served} of 3 waiters were served");
}

/// Members of `key` as node `addr` holds them (its own replica: reads on a
/// follower are served from its state once it has applied the leader's
/// commit index).
fn members_on(addr: &str, key: &str) -> Vec<String> {
    let mut c = connect(addr).expect("connect");
    let r = cmd_retry(&mut c, &["SMEMBERS", key], Instant::now() + SETTLE).expect("SMEMBERS");
    let mut v: Vec<String> = r.items().iter().map(|m| m.text()).collect();
    v.sort();
    v
}

#[test]
fn random_pops_leave_the_same_members_on_every_replica() {
    if !corekv_only("random_pops_leave_the_same_members_on_every_replica") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let addrs = cl.addrs();
    let deadline = Instant::now() + SETTLE;
    let mut c = connect(&addrs[0]).expect("connect");
    // Small (listpack/intset, exact picks) and big (hashed picks) sets.
    for (key, n) in [("small", 100usize), ("big", 3000)] {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend((0..n).map(|i| format!("m{i}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(
            cmd_retry(&mut c, &args, deadline),
            Some(Reply::Int(n as i64))
        );
        let mut popped = Vec::new();
        for round in 0..10 {
            // Through every node: each replica applies the same pops.
            let mut p = connect(&addrs[round % 3]).expect("connect");
            let r = cmd_retry(&mut p, &["SPOP", key, "7"], deadline).expect("SPOP");
            popped.extend(r.items().iter().map(|m| m.text()));
        }
        assert_eq!(popped.len(), 70, "{key}");
        let want: Vec<String> = {
            let mut all: Vec<String> = (0..n)
                .map(|i| format!("m{i}"))
                .filter(|m| !popped.contains(m))
                .collect();
            all.sort();
            all
        };
        for a in &addrs {
            assert_eq!(members_on(a, key), want, "{key} on {a}");
        }
    }
}

#[test]
fn proxied_replies_keep_redis_exact_resp2_and_resp3_shapes() {
    if !corekv_only("proxied_replies_keep_redis_exact_resp2_and_resp3_shapes") {
        return;
    }
    // The proxy link speaks RESP3, whose parse blurs RESP2 shapes: nested
    // pairs vs a flat array, `*-1` vs `$-1`. A RESP2 client's command is
    // sent as COREKV.AT2 and answered in RESP2, so every node's bytes are
    // Redis's (these are redis-server 7.0.15's, captured by hand).
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let deadline = Instant::now() + SETTLE;
    let mut c = connect(&cl.addr(0)).expect("connect");
    for args in [
        &["XADD", "xs", "1-0", "f", "v"][..],
        &["XGROUP", "CREATE", "xs", "g", "$"],
        &["ZADD", "z", "1", "a", "2", "b"],
    ] {
        let r = cmd_retry(&mut c, args, deadline).expect("setup");
        assert!(!r.is_error(), "{args:?}: {r:?}");
    }
    let pairs = "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n";
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["XPENDING", "xs", "g"],
            "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n",
            "*4\r\n:0\r\n_\r\n_\r\n_\r\n",
        ),
        (&["BLPOP", "nolist", "0.01"], "*-1\r\n", "_\r\n"),
        (
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
            pairs,
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n",
        ),
        (
            &["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
            pairs,
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n",
        ),
        (&["XREAD", "STREAMS", "xs", "$"], "*-1\r\n", "_\r\n"),
        (&["ZMPOP", "1", "nozset", "MIN"], "*-1\r\n", "_\r\n"),
    ];
    for node in 0..3 {
        for resp3 in [false, true] {
            let mut c = connect(&cl.addr(node)).expect("connect");
            if resp3 {
                let r = c.cmd(&["HELLO", "3"]);
                assert!(!r.is_error(), "{r:?}");
            }
            for (args, resp2_bytes, resp3_bytes) in cases {
                let want = if resp3 { resp3_bytes } else { resp2_bytes };
                c.send(args).expect("send");
                let got = c.read_raw(want.len()).expect("reply bytes");
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    want,
                    "{args:?} via node {} ({})",
                    node + 1,
                    if resp3 { "RESP3" } else { "RESP2" }
                );
            }
        }
    }
}

#[test]
fn wait_reports_the_replicas_holding_acknowledged_writes() {
    if !corekv_only("wait_reports_the_replicas_holding_acknowledged_writes") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let deadline = Instant::now() + SETTLE;
    for (i, addr) in cl.addrs().iter().enumerate() {
        let mut c = connect(addr).expect("connect");
        for k in 0..20 {
            let key = format!("w{i}:{k}");
            assert_eq!(
                cmd_retry(&mut c, &["SET", &key, "v"], deadline),
                Some(Reply::ok())
            );
        }
        // An acknowledged write is on a quorum: at least one replica
        // besides the leader, at once (WAIT answers the count, which may
        // be more than asked for).
        let t = Instant::now();
        let r = c.cmd(&["WAIT", "1", "0"]);
        assert!(matches!(r, Reply::Int(1 | 2)), "node {}: {r:?}", i + 1);
        assert!(t.elapsed() < Duration::from_secs(1));
        // Both followers catch up within the timeout on a healthy cluster.
        assert_eq!(
            c.cmd(&["WAIT", "2", "5000"]),
            Reply::Int(2),
            "node {}",
            i + 1
        );
    }
    // With a node down, the third replica never comes: the timeout answers.
    let mut cl = cl;
    cl.nodes[2].kill9();
    let mut c = connect(&cl.addr(0)).expect("connect");
    let deadline = Instant::now() + SETTLE;
    assert_eq!(
        cmd_retry(&mut c, &["SET", "after", "kill"], deadline),
        Some(Reply::ok())
    );
    let t = Instant::now();
    let r = c.cmd(&["WAIT", "2", "300"]);
    assert_eq!(r, Reply::Int(1));
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn client_unblock_reaches_a_client_blocked_through_a_proxy() {
    if !corekv_only("client_unblock_reaches_a_client_blocked_through_a_proxy") {
        return;
    }
    let cl = Cluster::start(3);
    cl.wait_leaders();
    let deadline = Instant::now() + SETTLE;
    // On every node, so at least two of the waits go through a proxy.
    for (i, addr) in cl.addrs().iter().enumerate() {
        let key = format!("unblock{i}");
        let mut w = connect(addr).expect("connect");
        let id = match w.cmd(&["CLIENT", "ID"]) {
            Reply::Int(n) => n.to_string(),
            other => panic!("CLIENT ID: {other:?}"),
        };
        w.send(&["BLPOP", &key, "0"]).expect("send");
        let mut c = connect(addr).expect("connect");
        // The wait reaches the leader (and, proxied, learns its link id).
        let freed = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(30));
            c.cmd(&["CLIENT", "UNBLOCK", &id]) == Reply::Int(1)
        });
        assert!(
            freed,
            "node {}: CLIENT UNBLOCK never found the client",
            i + 1
        );
        assert_eq!(w.read_reply().expect("reply"), Reply::Nil, "node {}", i + 1);
        // Nothing is popped for it afterwards.
        let r = cmd_retry(&mut c, &["RPUSH", &key, "kept"], deadline);
        assert_eq!(r, Some(Reply::Int(1)));
        std::thread::sleep(Duration::from_millis(200));
        let r = cmd_retry(&mut c, &["LLEN", &key], deadline);
        assert_eq!(r, Some(Reply::Int(1)), "node {}", i + 1);
        assert_eq!(w.cmd(&["PING"]), Reply::Simple("PONG".into()));
    }
}
