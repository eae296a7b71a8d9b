//! Linearizability: the checker itself on hand-built and simulated
//! histories (must accept the good ones and reject the bad ones), then real
//! concurrent register and counter workloads against one server.

use corekv_tests::linearizability::{
    CounterHistory, CounterOp, CounterRet, History, Load, OpHandle, RegisterHistory, RegisterOp,
    RegisterRet, check_counter, check_counter_within, check_register, check_register_within,
    run_counter_workload, run_register_workload,
};
use corekv_tests::{Reply, Resp, Server, corekv_only};
use std::collections::HashMap;
use std::fmt::Debug;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use CounterOp::{Get, Incr};
use CounterRet::{GetOk, IncrOk};
use RegisterOp::{Read, Write};
use RegisterRet::{ReadOk, WriteOk};

fn assert_linearizable(r: Result<(), String>) {
    if let Err(e) = r {
        panic!("expected linearizable, checker said:\n{e}");
    }
}

/// Asserts a rejection (not an undecided search) and returns the report.
fn assert_not_linearizable(r: Result<(), String>) -> String {
    match r {
        Ok(()) => panic!("expected a linearizability violation, checker accepted"),
        Err(e) => {
            assert!(
                e.contains("NOT linearizable"),
                "not a clean rejection:\n{e}"
            );
            e
        }
    }
}

/// Op `op` by `client` that returns `ret` before anything else happens.
fn seq<Op: Debug, Ret>(h: &History<Op, Ret>, client: usize, op: Op, ret: Ret) {
    h.invoke(client, op).ok(ret);
}

// ---------------------------------------------------------------------------
// Register: accepted
// ---------------------------------------------------------------------------

#[test]
fn register_sequential_history_is_linearizable() {
    let h = RegisterHistory::new();
    seq(&h, 0, Read, ReadOk(None));
    seq(&h, 0, Write(1), WriteOk);
    seq(&h, 1, Read, ReadOk(Some(1)));
    seq(&h, 1, Write(2), WriteOk);
    seq(&h, 0, Read, ReadOk(Some(2)));
    assert_linearizable(check_register(&h));
}

#[test]
fn register_overlapping_ops_may_take_either_order() {
    // A read overlapping a write may see the old or the new value.
    for seen in [None, Some(1)] {
        let h = RegisterHistory::new();
        let w = h.invoke(0, Write(1));
        let r = h.invoke(1, Read);
        r.ok(ReadOk(seen));
        w.ok(WriteOk);
        seq(&h, 1, Read, ReadOk(Some(1)));
        assert_linearizable(check_register(&h));
    }
    // Two overlapping writes: later reads decide their order (2 then 1).
    let h = RegisterHistory::new();
    let w1 = h.invoke(0, Write(1));
    let w2 = h.invoke(1, Write(2));
    let r = h.invoke(2, Read);
    w1.ok(WriteOk);
    r.ok(ReadOk(Some(2)));
    w2.ok(WriteOk);
    seq(&h, 2, Read, ReadOk(Some(1)));
    seq(&h, 0, Read, ReadOk(Some(1)));
    assert_linearizable(check_register(&h));
}

#[test]
fn register_indeterminate_write_that_becomes_visible() {
    let h = RegisterHistory::new();
    h.invoke(0, Write(1)).unknown();
    seq(&h, 1, Read, ReadOk(None));
    seq(&h, 1, Read, ReadOk(Some(1)));
    seq(&h, 1, Read, ReadOk(Some(1)));
    assert_linearizable(check_register(&h));
}

#[test]
fn register_indeterminate_write_applied_after_the_clients_next_op() {
    // The timed-out request still sits in the server and lands after the
    // client's next write: only possible because the client goes on under a
    // fresh thread while the old op stays in flight.
    let h = RegisterHistory::new();
    h.invoke(0, Write(1)).unknown_with("timeout");
    seq(&h, 0, Write(2), WriteOk);
    seq(&h, 1, Read, ReadOk(Some(2)));
    seq(&h, 1, Read, ReadOk(Some(1)));
    assert_linearizable(check_register(&h));
    assert_eq!(h.stats().threads, 3, "{}", h.stats());
}

#[test]
fn register_indeterminate_write_that_never_becomes_visible() {
    let h = RegisterHistory::new();
    seq(&h, 1, Write(1), WriteOk);
    h.invoke(0, Write(2)).unknown();
    seq(&h, 1, Read, ReadOk(Some(1)));
    seq(&h, 0, Write(3), WriteOk);
    seq(&h, 1, Read, ReadOk(Some(3)));
    // A dropped handle is indeterminate too, and so is a still-pending op.
    drop(h.invoke(0, Write(4)));
    let _pending = h.invoke(2, Write(5));
    seq(&h, 1, Read, ReadOk(Some(3)));
    let s = h.stats();
    assert_eq!((s.ok, s.unknown, s.pending), (5, 2, 1), "{s}");
    assert_linearizable(check_register(&h));
}

#[test]
fn register_failed_and_indeterminate_reads_are_dropped() {
    let h = RegisterHistory::new();
    seq(&h, 0, Write(1), WriteOk);
    // These "saw" an impossible value but never returned it to anyone.
    h.invoke(1, Read).failed_with("TRYAGAIN");
    h.invoke(1, Read).unknown();
    seq(&h, 1, Read, ReadOk(Some(1)));
    assert_linearizable(check_register(&h));
}

// ---------------------------------------------------------------------------
// Register: rejected
// ---------------------------------------------------------------------------

#[test]
fn register_stale_read_after_completed_write_is_rejected() {
    let h = RegisterHistory::new();
    seq(&h, 0, Write(1), WriteOk);
    seq(&h, 0, Write(2), WriteOk);
    seq(&h, 1, Read, ReadOk(Some(1)));
    let e = assert_not_linearizable(check_register(&h));
    // The report names the culprit and lists the ops with event numbers.
    assert!(e.contains("op #2"), "{e}");
    assert!(
        e.contains("#2    c1/t1   [   4..   5] Read -> ReadOk(Some(1))   <== violation"),
        "{e}"
    );
    assert!(
        e.contains("#0    c0/t0   [   0..   1] Write(1) -> WriteOk"),
        "{e}"
    );
}

#[test]
fn register_read_of_a_value_never_written_is_rejected() {
    let h = RegisterHistory::new();
    seq(&h, 0, Write(1), WriteOk);
    let w = h.invoke(0, Write(2));
    seq(&h, 1, Read, ReadOk(Some(42)));
    w.ok(WriteOk);
    assert_not_linearizable(check_register(&h));
}

#[test]
fn register_initial_read_must_see_nothing() {
    let h = RegisterHistory::new();
    seq(&h, 0, Read, ReadOk(Some(0)));
    assert_not_linearizable(check_register(&h));
}

#[test]
fn register_failed_write_must_not_be_visible() {
    let h = RegisterHistory::new();
    h.invoke(0, Write(1)).failed();
    seq(&h, 1, Read, ReadOk(Some(1)));
    let e = assert_not_linearizable(check_register(&h));
    assert!(e.contains("failed (dropped)"), "{e}");
}

#[test]
fn register_value_cannot_vanish_once_seen() {
    // An indeterminate write seen once has happened; it cannot un-happen.
    let h = RegisterHistory::new();
    h.invoke(0, Write(1)).unknown();
    seq(&h, 1, Read, ReadOk(Some(1)));
    seq(&h, 1, Read, ReadOk(None));
    assert_not_linearizable(check_register(&h));
}

#[test]
fn register_indeterminate_write_cannot_act_before_its_invocation() {
    let h = RegisterHistory::new();
    seq(&h, 1, Read, ReadOk(Some(1)));
    h.invoke(0, Write(1)).unknown();
    assert_not_linearizable(check_register(&h));
}

#[test]
fn register_reads_must_agree_on_the_order_of_concurrent_writes() {
    let h = RegisterHistory::new();
    let w1 = h.invoke(0, Write(1));
    let w2 = h.invoke(1, Write(2));
    w1.ok(WriteOk);
    w2.ok(WriteOk);
    seq(&h, 2, Read, ReadOk(Some(1)));
    seq(&h, 3, Read, ReadOk(Some(2)));
    assert_not_linearizable(check_register(&h));
}

#[test]
#[should_panic(expected = "still in flight")]
fn a_client_has_one_op_in_flight() {
    let h = RegisterHistory::new();
    let _w = h.invoke(0, Write(1));
    let _r = h.invoke(0, Read);
}

// ---------------------------------------------------------------------------
// Counter
// ---------------------------------------------------------------------------

#[test]
fn counter_histories_that_are_linearizable() {
    let h = CounterHistory::new();
    seq(&h, 0, Get, GetOk(None));
    seq(&h, 0, Incr, IncrOk(1));
    // Two overlapping increments in either order, a get in the middle.
    let a = h.invoke(0, Incr);
    let b = h.invoke(1, Incr);
    let g = h.invoke(2, Get);
    b.ok(IncrOk(2));
    g.ok(GetOk(Some(3)));
    a.ok(IncrOk(3));
    seq(&h, 2, Get, GetOk(Some(3)));
    // An indeterminate increment that did happen, and one that never does.
    h.invoke(0, Incr).unknown();
    seq(&h, 1, Incr, IncrOk(5));
    h.invoke(0, Incr).unknown();
    seq(&h, 1, Get, GetOk(Some(5)));
    assert_linearizable(check_counter(&h));
}

#[test]
fn counter_going_backwards_is_rejected() {
    let h = CounterHistory::new();
    seq(&h, 0, Incr, IncrOk(1));
    seq(&h, 0, Incr, IncrOk(2));
    seq(&h, 1, Get, GetOk(Some(1)));
    let e = assert_not_linearizable(check_counter(&h));
    assert!(e.contains("<== violation"), "{e}");
}

#[test]
fn counter_double_counting_is_rejected() {
    // Two overlapping increments cannot both return 1.
    let h = CounterHistory::new();
    let a = h.invoke(0, Incr);
    let b = h.invoke(1, Incr);
    a.ok(IncrOk(1));
    b.ok(IncrOk(1));
    assert_not_linearizable(check_counter(&h));
    // One indeterminate increment explains at most one extra.
    let h = CounterHistory::new();
    h.invoke(0, Incr).unknown();
    seq(&h, 1, Incr, IncrOk(3));
    assert_not_linearizable(check_counter(&h));
    // A failed increment explains none.
    let h = CounterHistory::new();
    h.invoke(0, Incr).failed();
    seq(&h, 1, Incr, IncrOk(2));
    assert_not_linearizable(check_counter(&h));
}

// ---------------------------------------------------------------------------
// Simulated histories at workload scale
// ---------------------------------------------------------------------------

/// A simulated client's op in flight and, once applied, its result.
type Slot<Op, Ret> = Option<(OpHandle<Op, Ret>, Op, Option<Ret>)>;

/// A seeded, single-threaded simulation of `clients` clients of an atomic
/// object: each op takes effect at one random moment between its invoke and
/// return, so the history is linearizable by construction. Some ops end
/// indeterminate (applied or not, and some unapplied ones land later).
struct Sim<Op, Ret> {
    rng: u64,
    h: History<Op, Ret>,
    /// Per client: op in flight and, once applied, its result.
    slots: Vec<Slot<Op, Ret>>,
    /// Indeterminate ops that may still take effect.
    orphans: Vec<Op>,
}

impl<Op: Clone + Debug, Ret> Sim<Op, Ret> {
    fn new(seed: u64, clients: usize) -> Self {
        Sim {
            rng: seed | 1,
            h: History::new(),
            slots: (0..clients).map(|_| None).collect(),
            orphans: Vec::new(),
        }
    }

    fn next(&mut self, n: u64) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    /// Runs until `ops` more ops were invoked and all completed; `unknown`
    /// is the per-mille chance an op's outcome is indeterminate.
    fn run(
        &mut self,
        ops: usize,
        unknown: u64,
        gen_op: &mut impl FnMut(u64) -> Op,
        apply: &mut impl FnMut(&Op) -> Ret,
    ) {
        let mut left = ops;
        loop {
            if left == 0 && self.slots.iter().all(Option::is_none) {
                return;
            }
            if !self.orphans.is_empty() && self.next(20) == 0 {
                let i = self.next(self.orphans.len() as u64) as usize;
                let op = self.orphans.swap_remove(i);
                apply(&op);
                continue;
            }
            let c = self.next(self.slots.len() as u64) as usize;
            match self.slots[c].take() {
                None if left > 0 => {
                    left -= 1;
                    let r = self.next(1 << 20);
                    let op = gen_op(r);
                    let handle = self.h.invoke(c, op.clone());
                    self.slots[c] = Some((handle, op, None));
                }
                None => {}
                Some((handle, op, None)) => {
                    if self.next(1000) < unknown {
                        handle.unknown();
                        if self.next(2) == 0 {
                            self.orphans.push(op);
                        }
                    } else {
                        let ret = apply(&op);
                        self.slots[c] = Some((handle, op, Some(ret)));
                    }
                }
                Some((handle, _, Some(ret))) => {
                    if self.next(1000) < unknown {
                        handle.unknown();
                    } else {
                        handle.ok(ret);
                    }
                }
            }
        }
    }
}

fn register_sim(seed: u64, clients: usize, ops: usize, unknown: u64) -> (RegisterHistory, u64) {
    let mut sim = Sim::new(seed, clients);
    let mut state: Option<u64> = None;
    let mut next = 0;
    sim.run(
        ops,
        unknown,
        &mut |r| {
            next += 1;
            if r % 2 == 0 { Write(next) } else { Read }
        },
        &mut |op| match *op {
            Write(v) => {
                state = Some(v);
                WriteOk
            }
            Read => ReadOk(state),
        },
    );
    let h = sim.h.clone();
    (h, next)
}

#[test]
fn simulated_linearizable_histories_are_accepted() {
    for seed in 1..=20 {
        let t = Instant::now();
        let (h, _) = register_sim(seed, 4, 200, 10);
        let r = check_register(&h);
        println!(
            "register sim seed {seed}: {} in {:?}",
            h.stats(),
            t.elapsed()
        );
        assert_linearizable(r);

        let t = Instant::now();
        let mut sim = Sim::new(seed, 4);
        let mut count: Option<i64> = None;
        sim.run(
            200,
            10,
            &mut |r| if r % 2 == 0 { Incr } else { Get },
            &mut |op| match op {
                Incr => {
                    let v = count.unwrap_or(0) + 1;
                    count = Some(v);
                    IncrOk(v)
                }
                Get => GetOk(count),
            },
        );
        let r = check_counter(&sim.h);
        println!(
            "counter sim seed {seed}: {} in {:?}",
            sim.h.stats(),
            t.elapsed()
        );
        assert_linearizable(r);
    }
}

#[test]
fn simulated_history_with_a_late_stale_read_is_rejected() {
    // 200 linearizable ops, then a completed write and a read that misses
    // it: the checker has to rule out every order of the long prefix.
    for seed in 1..=5 {
        let (h, last) = register_sim(seed, 4, 200, 0);
        // The state after the sim is some value <= last; a new write follows.
        seq(&h, 0, Write(last + 1), WriteOk);
        let stale = h.invoke(1, Read);
        stale.ok(ReadOk(None));
        let t = Instant::now();
        let r = check_register(&h);
        println!("late stale read, seed {seed}: checked in {:?}", t.elapsed());
        let e = assert_not_linearizable(r);
        assert!(e.contains("<== violation"), "{e}");
    }
}

#[test]
fn search_budget_reports_undecided_instead_of_hanging() {
    let (h, _) = register_sim(7, 4, 100, 0);
    let e = check_register_within(&h, Duration::ZERO).expect_err("no time to search");
    assert!(e.contains("UNDECIDED"), "{e}");
    let h = CounterHistory::new();
    seq(&h, 0, Incr, IncrOk(1));
    let e = check_counter_within(&h, Duration::ZERO).expect_err("no time to search");
    assert!(e.contains("UNDECIDED"), "{e}");
}

// ---------------------------------------------------------------------------
// Against a real server
// ---------------------------------------------------------------------------

const CLIENTS: usize = 4;
const OPS_PER_CLIENT: usize = 50;
const WORKLOAD_TIME: Duration = Duration::from_secs(10);

/// Runs one workload against a fresh single node and checks its history:
/// every op succeeds, clients overlap, and the history is linearizable.
fn single_node_check<O, R>(
    what: &str,
    run: impl FnOnce(&[String]) -> History<O, R>,
    check: impl FnOnce(&History<O, R>) -> Result<(), String>,
) {
    let s = Server::start(&[]);
    let t = Instant::now();
    let h = run(&[s.addr()]);
    let ran = t.elapsed();
    let t = Instant::now();
    let r = check(&h);
    let st = h.stats();
    println!("{what}: {st} ran in {ran:?}, checked in {:?}", t.elapsed());
    assert_eq!(
        st.ok,
        CLIENTS * OPS_PER_CLIENT,
        "every op should succeed on one healthy node: {st}"
    );
    assert!(st.overlapping > 0, "the clients never overlapped: {st}");
    assert_linearizable(r);
}

#[test]
fn single_node_register_is_linearizable() {
    single_node_check(
        "register",
        |a| run_register_workload(a, Load::new(CLIENTS, OPS_PER_CLIENT, WORKLOAD_TIME)),
        check_register,
    );
}

#[test]
fn single_node_counter_is_linearizable() {
    single_node_check(
        "counter",
        |a| run_counter_workload(a, Load::new(CLIENTS, OPS_PER_CLIENT, WORKLOAD_TIME)),
        check_counter,
    );
}

#[test]
fn register_stays_linearizable_across_kill9_and_restart() {
    // Redis here runs without persistence, so only corekv can pass this.
    if !corekv_only("register_stays_linearizable_across_kill9_and_restart") {
        return;
    }
    let mut s = Server::start(&[]);
    let addrs = vec![s.addr()];
    // Enough ops that the clients are still going when the server dies;
    // failed connects use up ops too, which bounds the wait for the restart.
    let workload = std::thread::spawn(move || {
        run_register_workload(&addrs, Load::new(CLIENTS, 150, WORKLOAD_TIME))
    });
    // Kill as soon as the first write landed, mid-workload.
    let mut c = s.resp();
    let started = Instant::now();
    while c.cmd(&["DBSIZE"]) == Reply::Int(0) && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    s.kill9();
    s.restart();
    let h = workload.join().expect("workload thread");
    let t = Instant::now();
    let r = check_register(&h);
    println!(
        "register across kill -9: {}, checked in {:?}",
        h.stats(),
        t.elapsed()
    );
    let st = h.stats();
    assert!(st.ok >= CLIENTS * 10, "too few ops succeeded: {st}");
    assert_linearizable(r);
}

// ---------------------------------------------------------------------------
// The whole pipeline catches a broken server
// ---------------------------------------------------------------------------

/// A deliberately wrong RESP server on loopback: each connection serves GET
/// from its own cache, refreshed only every third GET (stale reads), and
/// INCR reads, pauses, then writes back (lost updates). Stops on drop.
struct BrokenServer {
    addr: String,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Store(Mutex<HashMap<Vec<u8>, Vec<u8>>>);

impl Store {
    fn get(&self, k: &[u8]) -> Option<Vec<u8>> {
        self.0.lock().unwrap().get(k).cloned()
    }
    fn set(&self, k: &[u8], v: Vec<u8>) {
        self.0.lock().unwrap().insert(k.to_vec(), v);
    }
}

fn bulk(v: Option<&[u8]>) -> Vec<u8> {
    match v {
        None => b"$-1\r\n".to_vec(),
        Some(v) => {
            let mut out = format!("${}\r\n", v.len()).into_bytes();
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
            out
        }
    }
}

fn serve_broken(stream: TcpStream, store: Arc<Store>) {
    let mut c = Resp::from_stream(stream, Duration::from_secs(10));
    let mut cache: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
    let mut gets = 0u64;
    while let Ok(Reply::Array(args)) = c.read_reply() {
        let args: Vec<Vec<u8>> = args
            .into_iter()
            .map(|a| match a {
                Reply::Bulk(b) => b,
                _ => Vec::new(),
            })
            .collect();
        let name = args
            .first()
            .map(|a| a.to_ascii_uppercase())
            .unwrap_or_default();
        let reply = match (name.as_slice(), args.get(1), args.get(2)) {
            (b"SET", Some(k), Some(v)) => {
                store.set(k, v.clone());
                cache.insert(k.clone(), Some(v.clone()));
                b"+OK\r\n".to_vec()
            }
            (b"GET", Some(k), None) => {
                gets += 1;
                if gets.is_multiple_of(3) || !cache.contains_key(k) {
                    cache.insert(k.clone(), store.get(k));
                }
                bulk(cache[k].as_deref())
            }
            (b"INCR", Some(k), None) => {
                let n: i64 = store
                    .get(k)
                    .and_then(|v| String::from_utf8(v).ok()?.parse().ok())
                    .unwrap_or(0);
                std::thread::sleep(Duration::from_micros(200));
                store.set(k, (n + 1).to_string().into_bytes());
                format!(":{}\r\n", n + 1).into_bytes()
            }
            _ => b"-ERR unknown command\r\n".to_vec(),
        };
        if c.send_raw(&reply).is_err() {
            return;
        }
    }
}

impl BrokenServer {
    fn start() -> BrokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let store = Arc::new(Store::default());
        let stop2 = Arc::clone(&stop);
        let accept = std::thread::spawn(move || {
            for s in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(s) = s {
                    let store = Arc::clone(&store);
                    // Ends when the client disconnects (or after 10 s idle).
                    std::thread::spawn(move || serve_broken(s, store));
                }
            }
        });
        BrokenServer {
            addr,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for BrokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr); // wake the accept loop
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn workload_against_a_broken_server_is_rejected() {
    let bad = BrokenServer::start();
    let addrs = vec![bad.addr.clone()];
    let h = run_register_workload(&addrs, Load::new(CLIENTS, OPS_PER_CLIENT, WORKLOAD_TIME));
    let t = Instant::now();
    let r = check_register(&h);
    println!(
        "broken register: {}, checked in {:?}",
        h.stats(),
        t.elapsed()
    );
    let e = assert_not_linearizable(r);
    println!("{}", e.lines().next().unwrap_or_default());

    let h = run_counter_workload(&addrs, Load::new(CLIENTS, OPS_PER_CLIENT, WORKLOAD_TIME));
    let t = Instant::now();
    let r = check_counter(&h);
    println!(
        "broken counter: {}, checked in {:?}",
        h.stats(),
        t.elapsed()
    );
    let e = assert_not_linearizable(r);
    println!("{}", e.lines().next().unwrap_or_default());
}
