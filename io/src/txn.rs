//! The coordinator of transactions across Raft groups (docs/design/0025),
//! and the recovery of transactions whose coordinator went away.
//!
//! A transaction runs on the core of the connection that asked, as a task:
//! it sends its prepares to every group (routed like any write: another
//! core's group is forwarded, another node's leader proxied), runs the
//! commands on a scratch store loaded with the prepared values, has the
//! primary group decide, and commits the rest in the background.

use crate::core::Core;
use bytes::Bytes;
use corekv_core::Reply;
use corekv_core::txn::{self, Scratch, TxId};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A line of the transaction trace (`COREKV_TXTRACE`), when it is on.
macro_rules! tr {
    ($core:expr, $($t:tt)*) => {
        if corekv_shard::txn::tracing() {
            corekv_shard::txn::trace(format_args!(
                "coord node={} core={} {}",
                $core.node.cluster.node_id,
                $core.id,
                format_args!($($t)*)
            ));
        }
    };
}

fn idtext(id: TxId) -> String {
    String::from_utf8_lossy(&id.to_arg()).into_owned()
}

/// How long a transaction keeps trying (conflicts, elections) before it
/// answers the client an error.
const TX_DEADLINE: Duration = Duration::from_secs(10);
/// `COREKV.DEBUG TXSTALL`: 1 stops coordinators after their prepares, 2
/// after the primary's decision (tests of recovery).
static DEBUG_STALL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

pub fn set_debug_stall(n: u8) {
    DEBUG_STALL.store(n, std::sync::atomic::Ordering::Relaxed);
}

fn stalled_at(phase: u8) -> bool {
    DEBUG_STALL.load(std::sync::atomic::Ordering::Relaxed) == phase
}

/// What a stalled coordinator answers (it "died": the outcome is for
/// recovery to decide).
const STALLED: &str = "ERR transaction outcome is unknown (debug: coordinator stalled)";

/// At most this many keys a transaction may reach without declaring them.
const MAX_DISCOVERED_KEYS: usize = 4096;
/// A lock (or a primary's record) this old is resolved by its group.
/// (Its coordinator is asked first: a live one, e.g. a long script, keeps
/// its locks.)
pub const TX_RESOLVE_AFTER: Duration = Duration::from_secs(1);

/// One participant: the group (node index), its id, a slot of it, and the
/// transaction's keys there.
struct Part {
    gidx: usize,
    gid: u32,
    slot: u16,
    keys: Vec<Bytes>,
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn num(n: impl ToString) -> Bytes {
    Bytes::from(n.to_string())
}

/// The group of `gid` (its index in the node's table) and a slot of it.
fn group_by_id(core: &Core, gid: u32) -> Option<(usize, u16)> {
    core.node
        .groups
        .iter()
        .position(|g| g.id == gid)
        .and_then(|i| Some((i, core.node.groups.get(i)?.slots.start)))
}

fn parts_of(core: &Core, keys: &[Bytes]) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for k in keys {
        let gidx = core.node.group_of_slot(corekv_core::slot::key_slot(k));
        match parts.iter_mut().find(|p| p.gidx == gidx) {
            Some(p) => {
                if !p.keys.contains(k) {
                    p.keys.push(k.clone());
                }
            }
            None => {
                let (gid, slot) = core
                    .node
                    .groups
                    .get(gidx)
                    .map_or((0, 0), |g| (g.id, g.slots.start));
                parts.push(Part {
                    gidx,
                    gid,
                    slot,
                    keys: vec![k.clone()],
                });
            }
        }
    }
    parts
}

/// `<name> <slot> <id> [keys…]` to the group of `part`.
fn send(core: &Core, name: &str, id: TxId, part: &Part, with_keys: bool) -> crate::core::Pending {
    let mut argv = vec![b(name), num(part.slot), id.to_arg()];
    if with_keys {
        argv.extend(part.keys.iter().cloned());
    }
    core.submit(part.gidx, argv, true)
}

/// [`send`] to each group of `keys` (a WATCH's registration, its UNWATCH).
pub(crate) fn per_group(
    core: &Core,
    name: &str,
    id: TxId,
    keys: &[Bytes],
    with_keys: bool,
) -> Vec<crate::core::Pending> {
    parts_of(core, keys)
        .iter()
        .map(|p| send(core, name, id, p, with_keys))
        .collect()
}

/// How long one round of probes waits before the pop is tried again and
/// new probes are sent (a probe left behind by a client that was served
/// elsewhere, or went away, lives at most this long).
const PROBE_ROUND: Duration = Duration::from_secs(1);

/// A blocking command (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN ...) whose
/// keys are in several groups: tries it as one transaction; while every
/// key is empty, waits on a `COREKV.BPROBE` per group (woken by the write
/// that fills a key, like any blocked client, without taking anything),
/// then tries again, until its timeout. Answers on `to`; stops without
/// popping once the client has gone.
pub(crate) async fn block_across_groups(
    core: Rc<Core>,
    argv: Vec<Bytes>,
    keys: Vec<Bytes>,
    to: local_sync::oneshot::Sender<Reply>,
) {
    use corekv_core::cmd::blocking;
    let deadline = match blocking::timeout_ms(&argv) {
        Some(0) | None => None,
        Some(ms) => Some(Instant::now() + Duration::from_millis(ms)),
    };
    let waits = parts_of(&core, &blocking::wait_keys(&argv));
    // A probe wakes on a key that holds a value; a stream waits for
    // entries after an id instead, which it cannot tell.
    let stream = blocking::waits_on_streams(&argv);
    loop {
        if to.is_closed() {
            return;
        }
        let r = match execute(&core, Program::Cmds(vec![argv.clone()]), keys.clone(), None).await {
            Ok(Some(mut v)) => v.pop().unwrap_or(Reply::NilArray),
            Ok(None) => Reply::NilArray,
            Err(r) => r,
        };
        if !matches!(r, Reply::Nil | Reply::NilArray) {
            let _ = to.send(r);
            return;
        }
        if stream {
            let _ = to.send(Reply::err(
                "ERR corekv: XREAD BLOCK over streams of several groups cannot block yet (put the keys under one {hash tag})",
            ));
            return;
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            let _ = to.send(blocking::timeout_reply(&argv));
            return;
        }
        let round = left.map_or(PROBE_ROUND, |l| l.min(PROBE_ROUND));
        let secs = format!("{:.3}", round.as_secs_f64());
        let (tx, mut rx) = local_sync::mpsc::unbounded::channel();
        for p in &waits {
            let mut probe = vec![b(blocking::PROBE)];
            probe.extend(p.keys.iter().cloned());
            probe.push(b(&secs));
            let pending = core.submit(p.gidx, probe, true);
            let tx = tx.clone();
            monoio::spawn(async move {
                let _ = tx.send(pending.resolve().await);
            });
        }
        drop(tx);
        // The first answer: a key has a value (1), the round ended (nil),
        // or an error (no leader now: a pause before trying again).
        if let Some(Reply::Error(_)) = rx.recv().await {
            monoio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Whether a refusal means "try again" (a lock, an election) rather than a
/// failure to report.
fn retryable(r: &Reply) -> bool {
    match r {
        Reply::Error(e) => {
            e.starts_with("TXCONFLICT") || e.starts_with("TXABORTED") || e.starts_with("TRYAGAIN")
        }
        _ => false,
    }
}

async fn backoff(attempt: u32) {
    // Random and growing: two transactions that refused each other do not
    // meet again at once.
    let cap = 1u64 << attempt.min(6);
    let ms = 1 + crate::node::unix_ms() % (cap * 2);
    monoio::time::sleep(Duration::from_millis(ms)).await;
}

/// Counts a transaction in `Node::txns_in_flight` while it lives.
struct InFlight(Arc<crate::node::Node>);

impl InFlight {
    fn new(core: &Core) -> InFlight {
        core.node
            .txns_in_flight
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(core.node.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .txns_in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A WATCH: its id at the leaders, and the keys it covers.
pub type Watch = (TxId, Vec<Bytes>);

/// A script (or any program too slow for a core): runs on a heavy-pool
/// thread against the transaction's scratch store, at `now_ms`, with a
/// seed; its one reply is the transaction's.
pub type PoolFn = Arc<dyn Fn(&mut Scratch, u64, u64) -> Reply + Send + Sync>;

/// What a transaction runs over its keys.
#[derive(Clone)]
pub enum Program {
    /// Commands, one reply each, run on the coordinator's core (a MULTI,
    /// a multi-key command).
    Cmds(Vec<Vec<Bytes>>),
    /// A script: never on a core's executor.
    Pool(PoolFn),
}

/// Runs `cmds` atomically over `keys` (every key any of them touches) and
/// answers one reply per command; `None` if a watched key changed (EXEC
/// then answers nil). One group: one `COREKV.MULTI` entry.
pub async fn execute(
    core: &Rc<Core>,
    program: Program,
    mut keys: Vec<Bytes>,
    watch: Option<Watch>,
) -> Result<Option<Vec<Reply>>, Reply> {
    let wid = watch
        .as_ref()
        .map_or_else(|| b(txn::NO_WATCH), |w| w.0.to_arg());
    if let Some((_, wkeys)) = &watch {
        // Watched keys are locked with the rest: nothing may change them
        // between the check and the commit.
        for k in wkeys {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    if let Program::Pool(f) = &program
        && keys.is_empty()
    {
        // No keys: nothing to lock or write, unless the script reaches
        // keys it did not declare.
        let id_seed = core.node.hlc_now();
        let now_ms = core.node.hlc_now_ms();
        let (r, s) =
            run_on_pool(core, f.clone(), Scratch::load(Vec::new()), now_ms, id_seed).await?;
        let more = s.undeclared();
        if more.is_empty() && !s.wants_whole() {
            return Ok(Some(vec![r]));
        }
        keys.extend(more);
    }
    let _in_flight = InFlight::new(core);
    let mut whole = matches!(&program, Program::Cmds(cmds) if cmds.iter().any(|c| is_whole(c)));
    let mut parts = plan(core, &keys, whole);
    if let (Program::Cmds(cmds), true) = (&program, parts.len() <= 1) {
        let (gidx, slot) = parts.first().map_or((0, 0), |p| (p.gidx, p.slot));
        let mut argv = vec![b(txn::MULTI), num(slot), wid];
        txn::pack_cmds(cmds, &mut argv);
        let desc = if corekv_shard::txn::tracing() {
            corekv_shard::txn::describe(&argv)
        } else {
            String::new()
        };
        let r = core.submit(gidx, argv, true).resolve().await;
        tr!(
            core,
            "one-group gidx={gidx} {desc} -> {}",
            corekv_shard::txn::brief(&r)
        );
        return match r {
            Reply::Array(v) => Ok(Some(v)),
            Reply::Error(e) if e.starts_with("TXWATCHFAIL") => Ok(None),
            other => Err(other),
        };
    }
    if let (Program::Cmds(cmds), None, false) = (&program, &watch, whole)
        && cmds.iter().all(|c| is_read(c))
    {
        return snapshot_read(core, cmds, &parts).await.map(Some);
    }
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        match attempt_once(core, &program, &parts, &wid, whole).await {
            Ok(Ok(replies)) => return Ok(replies),
            Ok(Err(Void::Whole)) => {
                // A script's KEYS, SCAN, FLUSHALL ...: again, over every
                // group held whole.
                whole = true;
                parts = plan(core, &keys, whole);
            }
            Ok(Err(Void::Keys(more))) if keys.len() < MAX_DISCOVERED_KEYS => {
                // The run reached keys it did not declare: again, with
                // them locked too (a void run changed nothing).
                for k in more {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                parts = plan(core, &keys, whole);
            }
            Ok(Err(Void::Keys(_))) => {
                return Err(Reply::err(
                    "ERR corekv: the script reached too many undeclared keys",
                ));
            }
            Err(r) if retryable(&r) && start.elapsed() < TX_DEADLINE => {
                tr!(core, "retry after {}", corekv_shard::txn::brief(&r));
                attempt += 1;
                backoff(attempt).await;
            }
            Err(r) => return Err(r),
        }
    }
}

/// A run that changed nothing and must run again, over more.
enum Void {
    /// Keys it reached without declaring them.
    Keys(Vec<Bytes>),
    /// The whole keyspace (it scanned or cleared it).
    Whole,
}

/// The groups a transaction over `keys` prepares: theirs, or (`whole`)
/// every group, each then locked whole (`COREKV.TXPREPALL`).
fn plan(core: &Core, keys: &[Bytes], whole: bool) -> Vec<Part> {
    let mut parts = parts_of(core, keys);
    if whole {
        for (gidx, g) in core.node.groups.iter().enumerate() {
            if !parts.iter().any(|p| p.gidx == gidx) {
                parts.push(Part {
                    gidx,
                    gid: g.id,
                    slot: g.slots.start,
                    keys: Vec::new(),
                });
            }
        }
    }
    parts
}

/// Whether `argv` spans the whole keyspace (FLUSHALL, DBSIZE, KEYS, SCAN,
/// RANDOMKEY ...): its transaction locks every group whole.
fn is_whole(argv: &[Bytes]) -> bool {
    use corekv_core::table::{Handler, Route, Visibility};
    corekv_core::table::find(argv).is_some_and(|s| {
        // (SCAN is routed by its cursor's slot: over all of them here.)
        (matches!(s.route, Route::AllGroups { .. })
            || (matches!(s.route, Route::Slot) && !matches!(s.visibility, Visibility::Internal)))
            && !matches!(s.handler, Handler::Server(_))
    })
}

/// Whether `argv` only reads (a snapshot read serves it, no locks).
fn is_read(argv: &[Bytes]) -> bool {
    corekv_core::table::find(argv)
        .is_some_and(|s| matches!(s.handler, corekv_core::table::Handler::Read(_)))
}

/// A read-only transaction over several groups (docs/design/0025,
/// "Snapshot reads"), without locks: `COREKV.TXSNAP` to every group reads
/// the keys through its log (after any lock on them is released) and
/// watches them from then on; once every group has answered,
/// `COREKV.TXCHECK` asks each leader whether a key changed or got locked
/// since. If none did, every value read held at the moment the last
/// `TXSNAP` applied: one snapshot. Otherwise it tries again.
async fn snapshot_read(
    core: &Rc<Core>,
    cmds: &[Vec<Bytes>],
    parts: &[Part],
) -> Result<Vec<Reply>, Reply> {
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        let id = core.node.new_txid();
        let pending: Vec<_> = parts
            .iter()
            // After a failed check, new prepares wait for this read.
            .map(|p| {
                let name = if attempt >= 1 {
                    txn::SNAP_HOLD
                } else {
                    txn::SNAP
                };
                send(core, name, id, p, true)
            })
            .collect();
        match gather_values(core, id, "snapshot", pending).await {
            Ok(values) => {
                let checks: Vec<_> = parts
                    .iter()
                    .map(|p| send(core, txn::CHECK, id, p, true))
                    .collect();
                let mut clean = true;
                for c in checks {
                    clean &= c.resolve().await == Reply::ok();
                }
                tr!(core, "snapshot {} clean: {clean}", idtext(id));
                if clean {
                    let mut scratch = Scratch::load(values);
                    return Ok(run_cmds(cmds, &mut scratch, core.node.hlc_now_ms(), id.hlc));
                }
                // A key changed: again (each check dropped its watch).
            }
            Err(r) => {
                // Watches the groups that did answer still hold.
                let drops: Vec<_> = parts
                    .iter()
                    .map(|p| send(core, txn::UNWATCH, id, p, false))
                    .collect();
                for d in drops {
                    d.resolve().await;
                }
                if !retryable(&r) {
                    return Err(r);
                }
            }
        }
        if start.elapsed() >= TX_DEADLINE {
            return Err(Reply::err(
                "TRYAGAIN corekv: the keys kept changing during a snapshot read",
            ));
        }
        attempt += 1;
        backoff(attempt).await;
    }
}

/// The values the groups answered a prepare or snapshot read with, in
/// order, or the first refusal (all answers are awaited either way).
async fn gather_values(
    core: &Core,
    id: TxId,
    what: &str,
    pending: Vec<crate::core::Pending>,
) -> Result<Vec<(Bytes, Option<txn::Value>)>, Reply> {
    let mut values = Vec::new();
    let mut failed: Option<Reply> = None;
    for p in pending {
        let r = p.resolve().await;
        tr!(
            core,
            "{what} {} -> {}",
            idtext(id),
            corekv_shard::txn::brief(&r)
        );
        match r {
            Reply::Bulk(v) => match txn::decode_values(&v) {
                Some(vals) => values.extend(vals),
                None => {
                    failed = failed.or(Some(Reply::err(format!("ERR corekv: bad {what} answer"))))
                }
            },
            other => failed = failed.or(Some(other)),
        }
    }
    failed.map_or(Ok(values), Err)
}

/// Runs `cmds` on `scratch` at `now_ms`, one reply each; command `i` gets
/// its own seed from `seed`.
fn run_cmds(cmds: &[Vec<Bytes>], scratch: &mut Scratch, now_ms: u64, seed: u64) -> Vec<Reply> {
    cmds.iter()
        .enumerate()
        .map(|(i, c)| {
            let ctx = corekv_core::cmd::Ctx {
                now_ms,
                slots: 0..corekv_core::slot::SLOTS,
                rand: seed.wrapping_mul(0x9E37_79B9).wrapping_add(i as u64),
            };
            corekv_shard::txn::run_one(c, &ctx, scratch)
        })
        .collect()
}

async fn abort_all(core: &Rc<Core>, id: TxId, parts: &[Part]) {
    let mut pending = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let argv = vec![
            b(txn::ABORT),
            num(p.slot),
            id.to_arg(),
            num(u8::from(i == 0)),
        ];
        pending.push(core.submit(p.gidx, argv, true));
    }
    for p in pending {
        // An abort that fails leaves a lock that recovery resolves.
        p.resolve().await;
    }
}

/// Runs `f` on a heavy-pool thread over `scratch`; the reply and the
/// store come back.
async fn run_on_pool(
    core: &Rc<Core>,
    f: PoolFn,
    scratch: Scratch,
    now_ms: u64,
    seed: u64,
) -> Result<(Reply, Scratch), Reply> {
    let (tx, rx) = flume::bounded(1);
    let job = move || {
        let mut s = scratch;
        let r = f(&mut s, now_ms, seed);
        let _ = tx.send((r, s));
    };
    if !core.node.heavy.try_submit(job) {
        return Err(Reply::err(crate::heavy::BUSY));
    }
    rx.recv_async()
        .await
        .map_err(|_| Reply::err(corekv_core::errors::SHUTTING_DOWN))
}

/// One attempt: `Ok(Ok(replies))` (None: a watch failed), `Ok(Err(void))`
/// if the run must go again over more (nothing happened), or the error
/// that ended it.
async fn attempt_once(
    core: &Rc<Core>,
    program: &Program,
    parts: &[Part],
    wid: &Bytes,
    whole: bool,
) -> Result<Result<Option<Vec<Reply>>, Void>, Reply> {
    let id = core.node.new_txid();
    let live = Live::new(core, id);
    let primary = parts.first().map_or(0, |p| p.gid);
    // Prepare everywhere at once.
    let mut pending = Vec::with_capacity(parts.len());
    for p in parts {
        let name = if whole { txn::PREP_ALL } else { txn::PREP };
        let mut argv = vec![b(name), num(p.slot), id.to_arg(), num(primary), wid.clone()];
        if !whole {
            argv.extend(p.keys.iter().cloned());
        }
        pending.push(core.submit(p.gidx, argv, true));
    }
    tr!(
        core,
        "begin {} parts={:?}",
        idtext(id),
        parts
            .iter()
            .map(|p| (
                p.gid,
                p.keys
                    .iter()
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                    .collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
    );
    let values = match gather_values(core, id, "prepare", pending).await {
        Ok(values) => values,
        Err(r) => {
            abort_all(core, id, parts).await;
            if matches!(&r, Reply::Error(e) if e.starts_with("TXWATCHFAIL")) {
                return Ok(Ok(None));
            }
            return Err(r);
        }
    };
    if stalled_at(1) {
        return Err(Reply::err(STALLED));
    }
    // Run: every prepare's answer moved our clock, so this is later than
    // each of them on every causal path.
    let now_ms = core.node.hlc_now_ms();
    let mut scratch = if whole {
        Scratch::load_all(values)
    } else {
        Scratch::load(values)
    };
    let replies = match program {
        Program::Cmds(cmds) => run_cmds(cmds, &mut scratch, now_ms, id.hlc),
        Program::Pool(f) => match run_on_pool(core, f.clone(), scratch, now_ms, id.hlc).await {
            Ok((r, s)) => {
                scratch = s;
                vec![r]
            }
            Err(r) => {
                abort_all(core, id, parts).await;
                return Err(r);
            }
        },
    };
    if !whole && scratch.wants_whole() {
        abort_all(core, id, parts).await;
        return Ok(Err(Void::Whole));
    }
    let more = scratch.undeclared();
    if !more.is_empty() {
        abort_all(core, id, parts).await;
        return Ok(Err(Void::Keys(more)));
    }
    let effects = scratch.effects();
    if effects.is_empty() {
        // Read only: the locks only had to hold while the values were read.
        abort_all(core, id, parts).await;
        return Ok(Ok(Some(replies)));
    }
    let events = scratch.take_events();
    let mut per_group: Vec<Bytes> = Vec::with_capacity(parts.len());
    for p in parts {
        // (A whole-keyspace run may write keys it did not name.)
        let ours = |k: &[u8]| core.node.group_of_slot(corekv_core::slot::key_slot(k)) == p.gidx;
        let mine: Vec<_> = effects.iter().filter(|(k, _)| ours(k)).cloned().collect();
        // Keyspace events travel with the effects (docs/design/0030).
        let my_events: Vec<_> = events.iter().filter(|e| ours(&e.key)).cloned().collect();
        per_group.push(txn::encode_effects(&mine, &my_events));
    }
    // Decide at the primary; it keeps the others' effects until they
    // have applied them.
    let (Some(first), Some(first_eff)) = (parts.first(), per_group.first()) else {
        return Err(Reply::err("ERR corekv: empty transaction"));
    };
    let mut argv = vec![
        b(txn::COMMIT),
        num(first.slot),
        id.to_arg(),
        num(parts.len()),
    ];
    for (p, e) in parts.iter().zip(&per_group) {
        argv.push(num(p.gid));
        argv.push(e.clone());
    }
    let answer = core.submit(first.gidx, argv, true).resolve().await;
    tr!(
        core,
        "commit {} at g{} -> {}",
        idtext(id),
        first.gid,
        corekv_shard::txn::brief(&answer)
    );
    let decided = match answer {
        Reply::Simple(_) => true,
        Reply::Error(e) if e.starts_with("TXABORTED") => false,
        // Unknown: ask the primary, whose log decides either way.
        _ => match resolve_at(
            core,
            id,
            first.gid,
            first.gidx,
            first.slot,
            parts.get(1).map_or(0, |p| p.gid),
        )
        .await
        {
            Some(d) => d,
            None => {
                return Err(Reply::err(
                    "ERR transaction outcome is unknown (its primary group did not answer); it may or may not have run",
                ));
            }
        },
    };
    let _ = first_eff;
    tr!(core, "decided {} {}", idtext(id), decided);
    if !decided {
        abort_all(core, id, parts).await;
        return Err(Reply::err(txn::ABORTED));
    }
    if stalled_at(2) {
        return Err(Reply::err(STALLED));
    }
    // Committed. The others commit in the background: their keys stay
    // locked (reads and writes of them wait) until they have.
    let core2 = core.clone();
    let rest: Vec<(usize, u32, u16, Bytes)> = parts
        .iter()
        .zip(per_group)
        .skip(1)
        .map(|(p, e)| (p.gidx, p.gid, p.slot, e))
        .collect();
    let (pgidx, pslot) = (first.gidx, first.slot);
    let in_flight = InFlight::new(core);
    monoio::spawn(async move {
        let _live = live;
        let _in_flight = in_flight;
        if commit_rest(&core2, id, rest).await {
            let forget = vec![b(txn::FORGET), num(pslot), id.to_arg()];
            core2.submit(pgidx, forget, true).resolve().await;
        }
    });
    Ok(Ok(Some(replies)))
}

/// Marks a transaction as coordinated by this node while it is alive
/// (dropped when the coordinator is done, or stalls in a debug test, which
/// is how a dead coordinator looks).
struct Live {
    core: Rc<Core>,
    id: TxId,
}

impl Live {
    fn new(core: &Rc<Core>, id: TxId) -> Live {
        core.node.txn_live(id, true);
        Live {
            core: core.clone(),
            id,
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.core.node.txn_live(self.id, false);
    }
}

/// Whether transaction `id`'s coordinator is still at work: asked of its
/// node (this one, or another over the proxy link). An unreachable node
/// counts as dead: its transactions are resolved.
async fn coordinator_alive(core: &Rc<Core>, id: TxId) -> bool {
    if id.node == core.node.cluster.node_id {
        return core.node.txn_alive(id);
    }
    let Some(addr) = core.node.member_addr(id.node) else {
        return false;
    };
    let call = vec![b("corekv.txalive"), id.to_arg()];
    let ask = core.proxy_pool().try_call(addr, call);
    matches!(
        monoio::time::timeout(Duration::from_secs(1), ask).await,
        Ok(Ok(Reply::Integer(1)))
    )
}

/// Commits `id` in each (group, gid, slot, effects); true if all applied.
async fn commit_rest(core: &Rc<Core>, id: TxId, rest: Vec<(usize, u32, u16, Bytes)>) -> bool {
    let mut pending = Vec::with_capacity(rest.len());
    for (gidx, gid, slot, eff) in rest {
        let argv = vec![
            b(txn::COMMIT),
            num(slot),
            id.to_arg(),
            num(1),
            num(gid),
            eff,
        ];
        pending.push(core.submit(gidx, argv, true));
    }
    let mut all = true;
    for p in pending {
        let r = p.resolve().await;
        tr!(
            core,
            "commit-rest {} -> {}",
            idtext(id),
            corekv_shard::txn::brief(&r)
        );
        all &= matches!(r, Reply::Simple(_));
    }
    all
}

/// Asks the primary for `id`'s outcome, for group `asker`: Some(true) if
/// committed, Some(false) if aborted (the resolve aborts it if undecided),
/// None if the primary did not answer in time.
async fn resolve_at(
    core: &Rc<Core>,
    id: TxId,
    _pgid: u32,
    pgidx: usize,
    pslot: u16,
    asker: u32,
) -> Option<bool> {
    let start = Instant::now();
    let mut attempt = 0;
    while start.elapsed() < TX_DEADLINE {
        let argv = vec![b(txn::RESOLVE), num(pslot), id.to_arg(), num(asker)];
        let r = core.submit(pgidx, argv, true).resolve().await;
        tr!(
            core,
            "resolve-at {} -> {}",
            idtext(id),
            corekv_shard::txn::brief(&r)
        );
        match r {
            Reply::Bulk(_) => return Some(true),
            Reply::Error(e) if e.starts_with("TXABORTED") => return Some(false),
            _ => {
                attempt += 1;
                backoff(attempt).await;
            }
        }
    }
    None
}

/// Recovery of one lock held too long in group (`gidx`, `gid`): the
/// primary says commit (with this group's effects) or abort.
pub async fn resolve_lock(core: Rc<Core>, gid: u32, id: TxId, primary: u32) {
    let (Some((gidx, slot)), Some((pgidx, pslot))) =
        (group_by_id(&core, gid), group_by_id(&core, primary))
    else {
        return;
    };
    if coordinator_alive(&core, id).await {
        return; // slow, not dead: asked again at the next round
    }
    let argv = vec![b(txn::RESOLVE), num(pslot), id.to_arg(), num(gid)];
    let answer = core.submit(pgidx, argv, true).resolve().await;
    tr!(
        core,
        "recover g{gid} {} primary g{primary} -> {}",
        idtext(id),
        corekv_shard::txn::brief(&answer)
    );
    if gid == primary {
        return; // the resolve itself released the lock
    }
    let argv = match answer {
        Reply::Bulk(eff) => vec![
            b(txn::COMMIT),
            num(slot),
            id.to_arg(),
            num(1),
            num(gid),
            eff,
        ],
        Reply::Error(e) if e.starts_with("TXABORTED") => {
            vec![b(txn::ABORT), num(slot), id.to_arg(), num(0)]
        }
        _ => return, // asked again at the next round
    };
    core.submit(gidx, argv, true).resolve().await;
}

/// Recovery at the primary of a record kept too long: re-send the commits,
/// then forget it.
pub async fn finish_record(core: Rc<Core>, gid: u32, id: TxId, effects: Vec<(u32, Bytes)>) {
    let Some((pgidx, pslot)) = group_by_id(&core, gid) else {
        return;
    };
    let mut rest = Vec::new();
    for (g, e) in effects {
        if let Some((gidx, slot)) = group_by_id(&core, g) {
            rest.push((gidx, g, slot, e));
        }
    }
    if commit_rest(&core, id, rest).await {
        // Its coordinator may be alive, waiting on a lost reply, and ask.
        let forget = vec![b(txn::FORGET), num(pslot), id.to_arg(), b("r")];
        core.submit(pgidx, forget, true).resolve().await;
    }
}
