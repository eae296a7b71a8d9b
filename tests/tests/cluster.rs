//! Replication (corekv only): three nodes on loopback form one database;
//! every node serves every key (proxying to the group's leader), and
//! killing a leader node with kill -9 under concurrent writes loses no
//! acknowledged write; the restarted node catches up.

use corekv_tests::{Reply, Resp, Server, cluster_ports, corekv_only};
use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bound on every wait for the cluster to settle.
const SETTLE: Duration = Duration::from_secs(20);

struct Cluster {
    nodes: Vec<Server>,
}

impl Cluster {
    fn start(n: usize) -> Cluster {
        let ports = cluster_ports(n);
        let peers = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}=127.0.0.1:{p}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let nodes = ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let id = (i + 1).to_string();
                Server::start_on(
                    *p,
                    &["--node-id", &id, "--peers", &peers, "--fsync", "always"],
                )
            })
            .collect();
        Cluster { nodes }
    }

    fn addr(&self, i: usize) -> String {
        self.nodes[i].addr()
    }

    /// Raft state of every group on node `i`: group → (role, leader_id, applied, commit).
    fn raft(&self, i: usize) -> HashMap<u64, (String, u64, u64, u64)> {
        let out = std::process::Command::new(corekv_tests::stats_bin())
            .arg("--socket")
            .arg(self.nodes[i].stats_socket())
            .arg("--json")
            .output()
            .expect("corekv-stats");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
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

fn connect(addr: &str) -> Option<Resp> {
    let s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    s.set_nodelay(true).ok()?;
    Some(Resp::from_stream(s, Duration::from_secs(5)))
}

/// Runs `args` against node `addr`, retrying TRYAGAIN (elections) until
/// `deadline`; None on a connection failure.
fn cmd_retry(c: &mut Resp, args: &[&str], deadline: Instant) -> Option<Reply> {
    loop {
        match c.try_cmd(args) {
            Ok(r)
                if r.is_error()
                    && r.error_text().starts_with("TRYAGAIN")
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
    // Multi-key commands fan out per group and proxy each part.
    let r = cmd_retry(
        &mut conns[1],
        &["DEL", "key:1", "key:2", "key:3", "nope"],
        deadline,
    );
    assert_eq!(r.expect("DEL").int(), 3);
    let r = cmd_retry(&mut conns[2], &["EXISTS", "key:1", "key:4"], deadline);
    assert_eq!(r.expect("EXISTS").int(), 1);
    let r = cmd_retry(&mut conns[0], &["INCR", "counter"], deadline);
    assert_eq!(r.expect("INCR").int(), 1);
    let r = cmd_retry(&mut conns[1], &["INCR", "counter"], deadline);
    assert_eq!(r.expect("INCR").int(), 2);
    // Leaders are spread: with 3 nodes × 2 cores × 2 groups, each node
    // leads some group once the cluster settles.
    let until = Instant::now() + SETTLE;
    loop {
        let leads: Vec<usize> = (0..3)
            .map(|i| cl.raft(i).values().filter(|g| g.0 == "leader").count())
            .collect();
        if leads.iter().all(|&n| n >= 1) && leads.iter().sum::<usize>() == 4 {
            break;
        }
        assert!(Instant::now() < until, "leaders never spread: {leads:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn kill9_of_a_leader_node_loses_no_acknowledged_write() {
    if !corekv_only("kill9_of_a_leader_node_loses_no_acknowledged_write") {
        return;
    }
    let mut cl = Cluster::start(3);
    let addrs: Vec<String> = (0..3).map(|i| cl.addr(i)).collect();
    // Wait until every group has a leader somewhere.
    let until = Instant::now() + SETTLE;
    while (0..4u64).any(|g| cl.raft(0).get(&(g + 1)).is_none_or(|s| s.1 == 0)) {
        assert!(Instant::now() < until, "no leaders: {:?}", cl.raft(0));
        std::thread::sleep(Duration::from_millis(100));
    }
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
    let until = Instant::now() + SETTLE;
    loop {
        let leader_view = cl.raft(1);
        let mine = cl.raft(victim);
        let caught_up = leader_view
            .iter()
            .all(|(g, s)| mine.get(g).is_some_and(|m| m.2 >= s.2.min(s.3)));
        if caught_up && !mine.is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "node 1 never caught up: {mine:?} vs {leader_view:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut c = connect(&addrs[victim]).expect("connect restarted");
    let deadline = Instant::now() + SETTLE;
    for (k, v) in acked.iter().step_by(7) {
        let r = cmd_retry(&mut c, &["GET", k], deadline).expect("GET");
        assert_eq!(r, Reply::bulk(v), "{k} via the restarted node");
    }
}
