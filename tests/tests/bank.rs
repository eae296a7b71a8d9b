//! The bank-transfer invariant: money moves between accounts whose keys
//! live in different Raft groups (and, in a cluster, are led by different
//! nodes), by concurrent clients using three kinds of transfer:
//!
//! - **watch**: WATCH both, GET both, then MULTI SET SET EXEC with the new
//!   balances (an optimistic read-modify-write: a WATCH that misses a
//!   conflict loses an update and breaks the sum);
//! - **multi**: MULTI DECRBY INCRBY EXEC;
//! - **lua**: one EVAL that reads, checks and moves the amount.
//!
//! Each transfer also writes a marker key of its own in the same
//! transaction, so its fate can be read back afterwards.
//!
//! A checker keeps reading every balance with one MGET and with one
//! MULTI of GETs: each read is one snapshot, so its sum must always be the
//! initial total. At the end: the sum is exact; every acknowledged
//! transfer's marker exists and every refused one's does not; the
//! transfers whose outcome a client could not learn (a kill -9 or a
//! partition cut it off) happened exactly if their marker exists; and
//! every account holds its initial balance plus exactly the transfers that
//! happened. A transfer that happened in part, or was acknowledged and
//! lost, fails one of these.
//!
//! A reply with one of Redis Cluster's refusal codes (TRYAGAIN, ...) to
//! EXEC or EVAL counts as "not applied", as in tests/src/linearizability.rs;
//! other errors and lost connections as unknown.
//!
//! The single-node variant runs against Redis 7 too; the cluster ones
//! (kill -9 of the node the clients' transactions are coordinated on, then
//! a restart; a partition of it) are corekv only.

use corekv_tests::linearizability::REFUSAL_CODES;
use corekv_tests::{Reply, Resp, Server, assert_spread, corekv_only, isolate_node, start_cluster};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 16;
const INITIAL: i64 = 1000;
const TOTAL: i64 = INITIAL * ACCOUNTS as i64;
/// Reply timeout of the workload's connections: past it an op's outcome
/// is unknown.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on every wait for a cluster to settle after a fault.
const SETTLE: Duration = Duration::from_secs(30);
/// Moves `ARGV[1]` from `KEYS[1]` to `KEYS[2]` and sets the marker
/// `KEYS[3]` if the balance allows: 1 if it moved, 0 if not.
const LUA_TRANSFER: &str = "local a = tonumber(redis.call('GET', KEYS[1]))
local amount = tonumber(ARGV[1])
if a < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('SET', KEYS[3], '1')
return 1";

fn account(n: usize) -> String {
    format!("acct:{n}")
}

fn accounts() -> Vec<String> {
    (0..ACCOUNTS).map(account).collect()
}

fn connect(addr: &str) -> Option<Resp> {
    let s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
    Some(Resp::from_stream(s, REPLY_TIMEOUT))
}

/// xorshift64*; seeded per client, no RNG dependency needed.
struct Rng(u64);

impl Rng {
    fn seeded(n: usize) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng((t ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[derive(Clone, Debug)]
struct Transfer {
    from: usize,
    to: usize,
    amount: i64,
    /// The transfer's own marker key, written in the same transaction.
    marker: String,
}

/// What the clients know about their transfers.
#[derive(Default)]
struct Ledger {
    applied: Vec<Transfer>,
    /// Definitely not applied: refused, WATCH conflict, or cut off
    /// before EXEC.
    refused: Vec<Transfer>,
    /// May or may not have happened (but whole, if at all).
    unknown: Vec<Transfer>,
    /// Too little money: nothing was written.
    skipped: usize,
}

/// The outcome of one transfer attempt as its client saw it.
enum Outcome {
    Applied,
    Refused,
    Skipped,
    /// The transfer may have happened; drop the connection.
    Unknown(String),
    /// The transfer did not happen; drop the connection (an open MULTI
    /// is discarded with it).
    Dropped(String),
}

fn int_of(r: &Reply) -> Option<i64> {
    match r {
        Reply::Bulk(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Reply::Int(n) => Some(*n),
        _ => None,
    }
}

fn is_refusal(text: &str) -> bool {
    let code = text.split(' ').next().unwrap_or_default();
    REFUSAL_CODES.contains(&code)
}

/// Sends `args` and expects `want`; anything else before EXEC leaves
/// nothing applied once the connection is dropped.
fn expect(c: &mut Resp, args: &[&str], want: &Reply) -> Result<(), Outcome> {
    match c.try_cmd(args) {
        Ok(r) if r == *want => Ok(()),
        Ok(r) => Err(Outcome::Dropped(format!("{args:?} -> {r:?}"))),
        Err(e) => Err(Outcome::Dropped(format!("{args:?}: {e}"))),
    }
}

/// EXEC's reply: replies without errors mean applied; nil (a WATCH
/// conflict), EXECABORT or a refusal code mean not applied (after a
/// refusal the client moves on to another node). Any other
/// error, an array with an error inside, or a lost connection leave the
/// outcome unknown (the marker tells later; half a transfer shows in the
/// balances).
fn exec_outcome(c: &mut Resp) -> Outcome {
    match c.try_cmd(&["EXEC"]) {
        Ok(Reply::Nil) => Outcome::Refused,
        Ok(Reply::Array(items)) if items.iter().all(|r| !r.is_error()) => Outcome::Applied,
        Ok(Reply::Error(e)) if e.starts_with("EXECABORT") => Outcome::Refused,
        // Not applied, and this node cannot serve now: try the next one.
        Ok(Reply::Error(e)) if is_refusal(&e) => Outcome::Dropped(format!("EXEC -> {e}")),
        Ok(other) => Outcome::Unknown(format!("EXEC -> {other:?}")),
        Err(e) => Outcome::Unknown(format!("EXEC: {e}")),
    }
}

fn queued() -> Reply {
    Reply::Simple("QUEUED".into())
}

fn watch_transfer(c: &mut Resp, t: &Transfer) -> Result<Outcome, Outcome> {
    let (from, to) = (account(t.from), account(t.to));
    expect(c, &["WATCH", &from, &to], &Reply::ok())?;
    let read = |c: &mut Resp, k: &str| match c.try_cmd(&["GET", k]) {
        Ok(r) => int_of(&r).ok_or_else(|| Outcome::Dropped(format!("GET {k} -> {r:?}"))),
        Err(e) => Err(Outcome::Dropped(format!("GET {k}: {e}"))),
    };
    let a = read(c, &from)?;
    let b = read(c, &to)?;
    if a < t.amount {
        expect(c, &["UNWATCH"], &Reply::ok())?;
        return Ok(Outcome::Skipped);
    }
    expect(c, &["MULTI"], &Reply::ok())?;
    expect(c, &["SET", &from, &(a - t.amount).to_string()], &queued())?;
    expect(c, &["SET", &to, &(b + t.amount).to_string()], &queued())?;
    expect(c, &["SET", &t.marker, "1"], &queued())?;
    Ok(exec_outcome(c))
}

fn multi_transfer(c: &mut Resp, t: &Transfer) -> Result<Outcome, Outcome> {
    let amount = t.amount.to_string();
    expect(c, &["MULTI"], &Reply::ok())?;
    expect(c, &["DECRBY", &account(t.from), &amount], &queued())?;
    expect(c, &["INCRBY", &account(t.to), &amount], &queued())?;
    expect(c, &["SET", &t.marker, "1"], &queued())?;
    Ok(exec_outcome(c))
}

fn lua_transfer(c: &mut Resp, t: &Transfer) -> Outcome {
    let (from, to, amount) = (account(t.from), account(t.to), t.amount.to_string());
    let args = ["EVAL", LUA_TRANSFER, "3", &from, &to, &t.marker, &amount];
    match c.try_cmd(&args) {
        Ok(Reply::Int(1)) => Outcome::Applied,
        Ok(Reply::Int(0)) => Outcome::Skipped,
        Ok(Reply::Error(e)) if is_refusal(&e) => Outcome::Dropped(format!("EVAL -> {e}")),
        Ok(other) => Outcome::Unknown(format!("EVAL -> {other:?}")),
        Err(e) => Outcome::Unknown(format!("EVAL: {e}")),
    }
}

/// How hard the workload runs: `clients` threads, each at most
/// `transfers` attempts and none started after `time`.
#[derive(Clone, Copy)]
struct Load {
    clients: usize,
    transfers: usize,
    time: Duration,
}

/// Runs the transfer clients (client `n` starts on `addrs[n % len]` and
/// moves to the next address when its connection fails) and a checker on
/// the last address that reads all balances as one snapshot, alternately
/// with MGET and a MULTI of GETs, asserting the total every time.
/// `during` runs on the test thread meanwhile (the fault schedule).
/// Returns the ledger and the number of snapshots checked.
fn run_bank(addrs: &[String], load: Load, during: impl FnOnce()) -> (Ledger, usize) {
    let ledger = Mutex::new(Ledger::default());
    let stop = AtomicBool::new(false);
    let end = Instant::now() + load.time;
    let first_fault: Mutex<Option<String>> = Mutex::new(None);
    let snapshots = std::thread::scope(|s| {
        let mut clients = Vec::new();
        for n in 0..load.clients {
            let (ledger, first_fault) = (&ledger, &first_fault);
            clients.push(s.spawn(move || {
                let mut rng = Rng::seeded(n);
                let mut at = n % addrs.len();
                let mut conn = connect(&addrs[at]);
                for op in 0..load.transfers {
                    if Instant::now() >= end {
                        break;
                    }
                    let Some(c) = conn.as_mut() else {
                        at = (at + 1) % addrs.len();
                        conn = connect(&addrs[at]);
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    };
                    let from = rng.below(ACCOUNTS as u64) as usize;
                    let to = (from + 1 + rng.below(ACCOUNTS as u64 - 1) as usize) % ACCOUNTS;
                    let t = Transfer {
                        from,
                        to,
                        amount: 1 + rng.below(50) as i64,
                        marker: format!("tx:{n}:{op}"),
                    };
                    let outcome = match op % 3 {
                        0 => watch_transfer(c, &t).unwrap_or_else(|o| o),
                        1 => multi_transfer(c, &t).unwrap_or_else(|o| o),
                        _ => lua_transfer(c, &t),
                    };
                    let fault = match &outcome {
                        Outcome::Unknown(why) | Outcome::Dropped(why) => Some(why.clone()),
                        _ => None,
                    };
                    {
                        let mut l = ledger.lock().expect("ledger");
                        match outcome {
                            Outcome::Applied => l.applied.push(t),
                            Outcome::Refused | Outcome::Dropped(_) => l.refused.push(t),
                            Outcome::Skipped => l.skipped += 1,
                            Outcome::Unknown(_) => l.unknown.push(t),
                        }
                    }
                    if let Some(why) = fault {
                        first_fault
                            .lock()
                            .expect("first fault")
                            .get_or_insert(format!("client {n}: {why}"));
                        conn = None;
                        at = (at + 1) % addrs.len();
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }));
        }
        let stop = &stop;
        let checker = s.spawn(move || check_snapshots(&addrs[addrs.len() - 1], stop));
        during();
        for c in clients {
            c.join().expect("transfer client");
        }
        stop.store(true, Ordering::Relaxed);
        checker.join().expect("checker")
    });
    if let Some(e) = first_fault.into_inner().expect("first fault") {
        println!("first fault a client saw: {e}");
    }
    (ledger.into_inner().expect("ledger"), snapshots)
}

/// All balances in one MGET; Err on a fault (error reply or lost link).
fn mget_balances(c: &mut Resp) -> Result<Vec<i64>, String> {
    let accts = accounts();
    let mut args = vec!["MGET"];
    args.extend(accts.iter().map(String::as_str));
    let r = c.try_cmd(&args).map_err(|e| e.to_string())?;
    parse_balances(&r)
}

/// All balances through one MULTI of GETs.
fn exec_balances(c: &mut Resp) -> Result<Vec<i64>, String> {
    let r = c.try_cmd(&["MULTI"]).map_err(|e| e.to_string())?;
    if r != Reply::ok() {
        return Err(format!("MULTI -> {r:?}"));
    }
    for a in accounts() {
        let r = c.try_cmd(&["GET", &a]).map_err(|e| e.to_string())?;
        if r != queued() {
            return Err(format!("GET {a} -> {r:?}"));
        }
    }
    let r = c.try_cmd(&["EXEC"]).map_err(|e| e.to_string())?;
    parse_balances(&r)
}

/// Balances from an MGET or EXEC reply. An error reply (a fault) is no
/// snapshot; a missing or non-numeric balance in a good reply is a bug.
fn parse_balances(r: &Reply) -> Result<Vec<i64>, String> {
    let Reply::Array(items) = r else {
        return Err(format!("not an array: {r:?}"));
    };
    if let Some(err) = items.iter().find(|i| i.is_error()) {
        return Err(format!("{err:?}"));
    }
    Ok(items
        .iter()
        .map(|i| int_of(i).unwrap_or_else(|| panic!("bad balance {i:?} in {items:?}")))
        .collect())
}

/// Reads snapshots until `stop`; every one must sum to [`TOTAL`].
fn check_snapshots(addr: &str, stop: &AtomicBool) -> usize {
    let mut conn = connect(addr);
    let mut checked = 0;
    let mut n = 0usize;
    let hard_stop = Instant::now() + Duration::from_secs(120);
    while !stop.load(Ordering::Relaxed) && Instant::now() < hard_stop {
        n += 1;
        let Some(c) = conn.as_mut() else {
            std::thread::sleep(Duration::from_millis(50));
            conn = connect(addr);
            continue;
        };
        let (how, got) = if n.is_multiple_of(2) {
            ("MGET", mget_balances(c))
        } else {
            ("MULTI/EXEC", exec_balances(c))
        };
        match got {
            Ok(b) => {
                let sum: i64 = b.iter().sum();
                assert_eq!(
                    sum, TOTAL,
                    "{how} snapshot #{checked} is not consistent: {b:?}"
                );
                checked += 1;
            }
            // A fault: start over on a fresh connection (an open MULTI
            // dies with the old one).
            Err(_) => conn = None,
        }
    }
    checked
}

/// Sets every account to [`INITIAL`], retrying elections.
fn open_accounts(addr: &str) {
    let names = accounts();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_spread(&refs, 4);
    let deadline = Instant::now() + SETTLE;
    let mut c = connect(addr).expect("connect");
    for a in &names {
        loop {
            let r = c.cmd(&["SET", a, &INITIAL.to_string()]);
            if r == Reply::ok() {
                break;
            }
            assert!(Instant::now() < deadline, "SET {a} -> {r:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Runs `read` on a connection to `addr` until it succeeds, retrying
/// faults until [`SETTLE`].
fn settled<T>(addr: &str, mut read: impl FnMut(&mut Resp) -> Result<T, String>) -> T {
    let deadline = Instant::now() + SETTLE;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some(mut c) = connect(addr) {
            match read(&mut c) {
                Ok(v) => return v,
                Err(e) => last = e,
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no answer from {addr} within {SETTLE:?}: {last}");
}

/// Which of `markers` exist, read in MGET batches.
fn markers_present(c: &mut Resp, markers: &[&str]) -> Result<Vec<bool>, String> {
    let mut out = Vec::with_capacity(markers.len());
    for chunk in markers.chunks(200) {
        let mut args = vec!["MGET"];
        args.extend(chunk);
        let r = c.try_cmd(&args).map_err(|e| e.to_string())?;
        let Reply::Array(items) = r else {
            return Err(format!("MGET of markers -> {r:?}"));
        };
        if let Some(err) = items.iter().find(|i| i.is_error()) {
            return Err(format!("{err:?}"));
        }
        out.extend(items.iter().map(|i| *i != Reply::Nil));
    }
    Ok(out)
}

/// The final check through `addr`: acknowledged transfers' markers exist,
/// refused ones' do not, and the balances are exactly the initial ones
/// plus the transfers whose marker exists. Returns the balances.
fn verify(addr: &str, ledger: &Ledger) -> Vec<i64> {
    let balances = settled(addr, mget_balances);
    let sum: i64 = balances.iter().sum();
    assert_eq!(sum, TOTAL, "money was created or lost: {balances:?}");
    let fates = |ts: &[Transfer]| {
        let names: Vec<&str> = ts.iter().map(|t| t.marker.as_str()).collect();
        settled(addr, |c| markers_present(c, &names))
    };
    let applied = fates(&ledger.applied);
    let lost: Vec<&Transfer> = ledger
        .applied
        .iter()
        .zip(&applied)
        .filter_map(|(t, &there)| (!there).then_some(t))
        .collect();
    assert!(lost.is_empty(), "acknowledged transfers lost: {lost:?}");
    let refused = fates(&ledger.refused);
    let ghosts: Vec<&Transfer> = ledger
        .refused
        .iter()
        .zip(&refused)
        .filter_map(|(t, &there)| there.then_some(t))
        .collect();
    assert!(ghosts.is_empty(), "refused transfers happened: {ghosts:?}");
    let unknown = fates(&ledger.unknown);
    let mut want = vec![INITIAL; ACCOUNTS];
    let happened = ledger.applied.iter().chain(
        ledger
            .unknown
            .iter()
            .zip(&unknown)
            .filter_map(|(t, &there)| there.then_some(t)),
    );
    for t in happened {
        want[t.from] -= t.amount;
        want[t.to] += t.amount;
    }
    if balances != want {
        explain(&balances, &want, ledger, &applied, &refused, &unknown);
    }
    assert_eq!(
        balances, want,
        "balances differ from the transfers whose markers exist: one happened in part"
    );
    println!(
        "{} of {} unknown-outcome transfers happened",
        unknown.iter().filter(|&&u| u).count(),
        unknown.len()
    );
    balances
}

/// On a mismatch, names the transfers (one or two) whose extra or
/// missing application would explain it, with what the client saw and
/// whether the marker exists, for the hunt of the bug.
fn explain(
    balances: &[i64],
    want: &[i64],
    ledger: &Ledger,
    applied: &[bool],
    refused: &[bool],
    unknown: &[bool],
) {
    let diff: Vec<i64> = balances.iter().zip(want).map(|(b, w)| b - w).collect();
    println!("balance minus expected: {diff:?}");
    let all: Vec<(&Transfer, &str, bool)> = ledger
        .applied
        .iter()
        .zip(applied)
        .map(|(t, &m)| (t, "applied", m))
        .chain(
            ledger
                .refused
                .iter()
                .zip(refused)
                .map(|(t, &m)| (t, "refused", m)),
        )
        .chain(
            ledger
                .unknown
                .iter()
                .zip(unknown)
                .map(|(t, &m)| (t, "unknown", m)),
        )
        .collect();
    let delta = |t: &Transfer, sign: i64| {
        let mut d = vec![0i64; ACCOUNTS];
        d[t.from] -= sign * t.amount;
        d[t.to] += sign * t.amount;
        d
    };
    for (t, what, marker) in &all {
        for sign in [1, -1] {
            if delta(t, sign) == diff {
                let how = if sign == 1 { "once more" } else { "once less" };
                println!("explained by {t:?} ({what}, marker {marker}) applied {how}");
            }
        }
    }
}

fn report(what: &str, l: &Ledger, snapshots: usize, took: Duration) {
    println!(
        "{what}: {} applied, {} refused, {} skipped, {} unknown, {snapshots} snapshots \
         checked, in {took:?}",
        l.applied.len(),
        l.refused.len(),
        l.skipped,
        l.unknown.len()
    );
}

#[test]
fn bank_total_is_constant_on_one_node() {
    let s = Server::start(&["--cores", "2"]);
    open_accounts(&s.addr());
    let load = Load {
        clients: 4,
        transfers: 300,
        time: Duration::from_secs(20),
    };
    let t = Instant::now();
    let (ledger, snapshots) = run_bank(&[s.addr()], load, || {});
    report("one node", &ledger, snapshots, t.elapsed());
    assert!(ledger.applied.len() > 100, "too few transfers went through");
    assert!(snapshots > 0, "the checker never read a snapshot");
    assert!(
        ledger.unknown.is_empty(),
        "a healthy node left outcomes unknown: {:?}",
        ledger.unknown
    );
    verify(&s.addr(), &ledger);
}

// ---------------------------------------------------------------------------
// Three nodes
// ---------------------------------------------------------------------------

/// After a fault: every node answers the same balances and markers (see
/// [`verify`]), and a transaction over accounts in every group commits,
/// so nothing is left locked by a transaction whose coordinator died or
/// was cut off.
fn verify_cluster(addrs: &[String], ledger: &Ledger) {
    for a in addrs {
        wait_quiet(a);
    }
    let first = verify(&addrs[0], ledger);
    for a in &addrs[1..] {
        assert_eq!(verify(a, ledger), first, "nodes disagree ({a})");
    }
    let all = settled(&addrs[0], exec_balances);
    assert_eq!(all, first, "balances moved after the workload");
    for (n, addr) in addrs.iter().enumerate() {
        let t = Transfer {
            from: n,
            to: ACCOUNTS - 1 - n,
            amount: 1,
            marker: format!("tx:last:{n}"),
        };
        settled(addr, |c| {
            match multi_transfer(c, &t).unwrap_or_else(|o| o) {
                Outcome::Applied => Ok(()),
                Outcome::Unknown(w) | Outcome::Dropped(w) => Err(w),
                _ => Err("refused".into()),
            }
        });
    }
    let after = settled(&addrs[0], mget_balances);
    assert_eq!(after.iter().sum::<i64>(), TOTAL, "{after:?}");
}

/// Waits until `addr` runs no transaction (INFO's
/// `corekv_txns_in_flight`). A client that gave up on a transfer (its
/// reply timed out) leaves it to its coordinator, which may still commit
/// it until then; the final reads must come after.
fn wait_quiet(addr: &str) {
    settled(addr, |c| {
        let r = c.try_cmd(&["INFO", "stats"]).map_err(|e| e.to_string())?;
        let Reply::Bulk(b) = r else {
            return Err(format!("INFO -> {r:?}"));
        };
        let text = String::from_utf8_lossy(&b).into_owned();
        match text
            .lines()
            .find_map(|l| l.strip_prefix("corekv_txns_in_flight:"))
        {
            Some("0") => Ok(()),
            Some(n) => Err(format!("{n} transactions in flight")),
            None => Err("no corekv_txns_in_flight in INFO".into()),
        }
    })
}

/// Time bounds the cluster runs (the clients must outlast the fault
/// schedule); the count is only a safety bound.
fn cluster_load() -> Load {
    Load {
        clients: 6,
        transfers: 3000,
        time: Duration::from_secs(15),
    }
}

#[test]
fn bank_total_survives_kill9_of_a_coordinator_node_and_its_restart() {
    if !corekv_only("bank_total_survives_kill9_of_a_coordinator_node_and_its_restart") {
        return;
    }
    let mut nodes = start_cluster(3, &[]);
    let addrs: Vec<String> = nodes.iter().map(Server::addr).collect();
    open_accounts(&addrs[1]);
    let t = Instant::now();
    // Clients 0 and 3 coordinate their transactions on node 1, which dies
    // with them in flight and comes back.
    let (ledger, snapshots) = run_bank(&addrs, cluster_load(), || {
        std::thread::sleep(Duration::from_millis(2000));
        nodes[0].kill9();
        std::thread::sleep(Duration::from_millis(2500));
        nodes[0].restart();
    });
    report("kill -9 of node 1", &ledger, snapshots, t.elapsed());
    assert!(!ledger.applied.is_empty(), "no transfer went through");
    assert!(snapshots > 0, "the checker never read a snapshot");
    verify_cluster(&addrs, &ledger);
}

#[test]
fn bank_total_survives_a_partition_of_a_coordinator_node() {
    if !corekv_only("bank_total_survives_a_partition_of_a_coordinator_node") {
        return;
    }
    let nodes = start_cluster(3, &[]);
    let addrs: Vec<String> = nodes.iter().map(Server::addr).collect();
    open_accounts(&addrs[1]);
    let t = Instant::now();
    let (ledger, snapshots) = run_bank(&addrs, cluster_load(), || {
        std::thread::sleep(Duration::from_millis(2000));
        isolate_node(&addrs, 0, true);
        // Longer than REPLY_TIMEOUT: the clients on node 1 give up on
        // their transactions (unknown outcome) and move on to the
        // majority while node 1 still holds whatever it had started.
        std::thread::sleep(REPLY_TIMEOUT + Duration::from_secs(1));
        isolate_node(&addrs, 0, false);
    });
    report("partition of node 1", &ledger, snapshots, t.elapsed());
    assert!(!ledger.applied.is_empty(), "no transfer went through");
    assert!(snapshots > 0, "the checker never read a snapshot");
    verify_cluster(&addrs, &ledger);
}

#[test]
fn bank_total_survives_kill9_of_a_coordinator_node_that_stays_down() {
    // The survivors alone must decide the dead coordinator's transactions:
    // nothing may wait for it to come back.
    if !corekv_only("bank_total_survives_kill9_of_a_coordinator_node_that_stays_down") {
        return;
    }
    let mut nodes = start_cluster(3, &[]);
    let addrs: Vec<String> = nodes.iter().map(Server::addr).collect();
    open_accounts(&addrs[1]);
    let t = Instant::now();
    let (ledger, snapshots) = run_bank(&addrs, cluster_load(), || {
        std::thread::sleep(Duration::from_millis(2000));
        nodes[0].kill9();
    });
    report(
        "kill -9 of node 1 for good",
        &ledger,
        snapshots,
        t.elapsed(),
    );
    assert!(!ledger.applied.is_empty(), "no transfer went through");
    assert!(snapshots > 0, "the checker never read a snapshot");
    verify_cluster(&addrs[1..], &ledger);
}
