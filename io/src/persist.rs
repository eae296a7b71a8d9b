//! The persist thread of one core: a dedicated OS thread that writes the
//! core's persist jobs, with group commit (everything queued since the last
//! write goes in one batch, with at most one fsync): the log half to the
//! core's segmented Raft log (corekv_shard::wal); the data half, gathered
//! for a while, goes to fjall on the core's data thread (`pdata-N`), so a
//! long data write never holds up a log half. It reports
//! completion back to the core (one wake per batch). Its job channel is
//! bounded (`core::PERSIST_JOBS`, the core never waits on it); completions
//! go through a bounded ring that cannot fill and are never dropped.

use crate::node::{Node, unix_ms};
use crate::stats::CoreCounters;
use corekv_shard::wal::{LogRec, WalWriter};
use corekv_shard::{DataOp, Engine, Fsync, PersistJob};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Progress of the persist thread, in order.
pub enum Done {
    /// The log half of some jobs is durable: these Raft readies may advance.
    /// `data_seq`: the data half of jobs up to it was written meanwhile.
    Log {
        readies: Vec<(u32, u64)>,
        seq: u64,
        data_seq: Option<u64>,
    },
    /// The data half of jobs up to `seq` is in fjall.
    Data { seq: u64 },
}

/// Most jobs merged into one write (bounds the batch's memory).
const MAX_JOBS_PER_WRITE: usize = 512;
/// The data half is written behind (docs/design/0020): applied writes
/// wait, so a hot key written many times meanwhile costs one LSM insert;
/// the overlay serves them until then. Two windows ("Two windows" there):
/// the long one while only point reads use the overlay, the short one
/// once a job asks for it, because an ordered element overlay or a
/// heavy-pool view pays for every unwritten op (at 500 ms ZADD `-P 16`
/// saw 300+ ms tails, at 100 ms 70 ms).
#[derive(Clone, Copy)]
struct Window {
    /// Written once the oldest waiting half is this old ...
    every: Duration,
    /// ... or this many bytes of data-half writes wait, or this many jobs.
    max_bytes: usize,
    max_jobs: usize,
    /// While the data thread is busy, at most this much may wait behind
    /// it; then the persist thread waits too, and through its bounded job
    /// queue so does the executor.
    backlog_bytes: usize,
    backlog_jobs: usize,
}
const SHORT: Window = Window {
    every: Duration::from_millis(100),
    max_bytes: 4 << 20,
    max_jobs: 1024,
    backlog_bytes: 16 << 20,
    backlog_jobs: 4096,
};
const LONG: Window = Window {
    every: Duration::from_millis(1000),
    max_bytes: 32 << 20,
    max_jobs: 8192,
    backlog_bytes: 64 << 20,
    backlog_jobs: 16384,
};
/// Data halves waiting to be written behind, and the window they wait
/// under: the long one unless one of them asked for the short one.
struct Gathered {
    jobs: Vec<PersistJob>,
    bytes: usize,
    since: Option<Instant>,
    window: Window,
}

impl Gathered {
    fn new() -> Gathered {
        Gathered {
            jobs: Vec::new(),
            bytes: 0,
            since: None,
            window: LONG,
        }
    }

    fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    fn add(&mut self, batch: Vec<PersistJob>) {
        self.bytes += batch.iter().map(data_bytes).sum::<usize>();
        self.since.get_or_insert_with(Instant::now);
        if batch.iter().any(|j| j.short_window) {
            self.window = SHORT;
        }
        self.jobs.extend(batch);
    }

    /// Everything gathered, leaving nothing (and the long window).
    fn take(&mut self) -> Vec<PersistJob> {
        std::mem::replace(self, Gathered::new()).jobs
    }

    /// The window is over: time to write.
    fn due(&self) -> bool {
        self.bytes >= self.window.max_bytes
            || self.jobs.len() >= self.window.max_jobs
            || self.since.is_some_and(|t| t.elapsed() >= self.window.every)
    }

    /// More waits behind a busy data thread than the window allows.
    fn over_backlog(&self) -> bool {
        self.jobs.len() >= self.window.backlog_jobs || self.bytes >= self.window.backlog_bytes
    }
}

/// A lull this long with data halves waiting writes them.
const IDLE_WRITE: Duration = Duration::from_millis(10);
/// How often the persist thread looks for the data thread's completion
/// while a data write is in flight and no job comes.
const DATA_POLL: Duration = Duration::from_millis(2);
/// How often an idle persist thread looks at the clock.
const TICK: Duration = Duration::from_millis(100);

/// The completion side: a ring to the core plus its mailbox.
pub struct Reporter {
    core: usize,
    node: Arc<Node>,
    ring: rtrb::Producer<Done>,
}

impl Reporter {
    pub fn new(core: usize, node: Arc<Node>, ring: rtrb::Producer<Done>) -> Reporter {
        Reporter { core, node, ring }
    }

    /// Queues one completion and rings the core. Err once the core is
    /// gone. The ring holds more than the jobs that can be in flight, so
    /// it never fills; if it ever did, this waits for room rather than
    /// drop a completion (Raft would never learn its entries are durable).
    fn send(&mut self, d: Done) -> Result<(), ()> {
        let mut d = d;
        loop {
            match self.ring.push(d) {
                Ok(()) => break,
                Err(rtrb::PushError::Full(back)) => {
                    if self.ring.is_abandoned() {
                        return Err(());
                    }
                    d = back;
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
        }
        if let Some(mb) = self.node.inboxes.get(self.core) {
            mb.ring();
        }
        if self.ring.is_abandoned() {
            return Err(());
        }
        Ok(())
    }
}

pub fn run(
    core: usize,
    engine: Engine,
    node: Arc<Node>,
    jobs: flume::Receiver<PersistJob>,
    mut done: Reporter,
) {
    let mut wal = match engine.open_log() {
        Ok(w) => w,
        Err(e) => fail(core, e),
    };
    // A checkpoint started segment `.0` in job `.1`: older segments go once
    // that job's data half is written and synced.
    let mut purge: Option<(u64, u64)> = None;
    let mut crash = CrashAt::from_args(&node);
    let mut data = DataWriter::start(core, engine.clone());
    let mut last_sync = Instant::now();
    let mut dirty = false;
    let mut pending = Gathered::new();
    // Data written but not yet reported: it rides on the next Done::Log
    // (one wake per wave instead of two), or goes alone when idle.
    let mut unreported: Option<u64> = None;
    // A finished data write: report it (with the next log half) and purge
    // what its checkpoint allows.
    macro_rules! data_written {
        ($seq:expr) => {{
            let seq = $seq;
            unreported = Some(seq);
            purge_after(core, &mut wal, &mut purge, seq, &mut crash);
        }};
    }
    // Hands the waiting data halves to the data thread when it is free.
    macro_rules! hand_data {
        () => {{
            if !data.busy() && !pending.is_empty() {
                data.send(pending.take());
            }
        }};
    }
    // Waits for the data thread, then writes what waits on this thread
    // (snapshot installs, SIGTERM, shutdown need it written before going on).
    macro_rules! drain_data {
        () => {{
            if let Some(seq) = data.wait() {
                data_written!(seq);
            }
            if !pending.is_empty() {
                let jobs = pending.take();
                let seq = jobs.last().map_or(0, |j| j.seq);
                if let Err(e) = engine.persist_data(&jobs).and_then(|_| engine.sync(true)) {
                    fail(core, e);
                }
                data_written!(seq);
            }
        }};
    }
    let mut flushed_for_stop = false;
    loop {
        if let Some(seq) = data.finished() {
            data_written!(seq);
        }
        if data.busy() && pending.over_backlog() {
            // A long data write (a FLUSHALL's clear): do not gather
            // without bound behind it.
            if let Some(seq) = data.wait() {
                data_written!(seq);
            }
            hand_data!();
        }
        if !flushed_for_stop && node.stopping.load(std::sync::atomic::Ordering::Acquire) {
            // SIGTERM: write what waits and sync it all, then say so.
            flushed_for_stop = true;
            // Data is synced by whichever thread wrote it.
            drain_data!();
            if let Err(e) = wal.write(true) {
                fail(core, e.into());
            }
            node.persist_flushed
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        let wait = if data.busy() {
            // Notice the data thread's completion soon even when idle.
            DATA_POLL
        } else if !pending.is_empty() {
            // Data waiting and nothing new for IDLE_WRITE: write it now
            // (coalescing pays only while writes keep coming).
            IDLE_WRITE
        } else {
            TICK
        };
        let first = match jobs.recv_timeout(wait) {
            Ok(j) => j,
            Err(flume::RecvTimeoutError::Timeout) => {
                if let Some(seq) = data.finished() {
                    data_written!(seq);
                }
                hand_data!();
                if let Some(seq) = unreported.take()
                    && done.send(Done::Data { seq }).is_err()
                {
                    break;
                }
                if dirty
                    && node.fsync() == Fsync::EverySec
                    && last_sync.elapsed() >= Duration::from_secs(1)
                {
                    if let Err(e) = wal.write(true) {
                        fail(core, e.into());
                    }
                    on_sync(core, &node);
                    last_sync = Instant::now();
                    dirty = false;
                }
                continue;
            }
            Err(flume::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        // A snapshot install ends a batch: it is written whole (both halves)
        // before anything after it.
        while batch.len() < MAX_JOBS_PER_WRITE && !batch.last().is_some_and(|j| j.install) {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let sync = match node.fsync() {
            Fsync::Always => true,
            Fsync::EverySec => last_sync.elapsed() >= Duration::from_secs(1),
            Fsync::Never => false,
        };
        let seq = batch.last().map_or(0, |j| j.seq);
        if batch.iter().any(|j| j.install) {
            // A snapshot install: the log now starts after the snapshot, so
            // its data (and everything before it) must be written and
            // synced with the log half, before anything is acknowledged.
            match engine.persist_log(&mut wal, &batch, false) {
                Ok(r) => purge = r.or(purge),
                Err(e) => fail(core, e),
            }
            let report = log_done(&batch, seq, Some(seq));
            let after: Vec<LogRec> = batch
                .iter()
                .flat_map(|j| j.after_data.iter().cloned())
                .collect();
            pending.add(batch);
            // Written and synced by `drain_data` (the batch is pending).
            drain_data!();
            // The snapshot's data is durable: only now may the log forget
            // what came before it.
            wal.add(&after);
            if let Err(e) = wal.write(true) {
                fail(core, e.into());
            }
            if done.send(report).is_err() {
                break;
            }
            // The report carried the data written.
            unreported.take();
            dirty = after_write(core, &node, sync, &mut last_sync);
            continue;
        }
        match engine.persist_log(&mut wal, &batch, sync) {
            Ok(r) => {
                if r.is_some() {
                    crash.hit(Point::Rotate);
                }
                purge = r.or(purge);
            }
            Err(e) => fail(core, e),
        }
        // Acknowledge the log first: the data half is off the reply path.
        if done.send(log_done(&batch, seq, unreported.take())).is_err() {
            break;
        }
        // The data half is written behind, on the data thread: it waits
        // (the overlay serves it) until enough has gathered, so repeated
        // writes of a key cost one LSM insert, and a long data write (a
        // FLUSHALL's clear, a big batch) never holds up a log half.
        pending.add(batch);
        dirty = after_write(core, &node, sync, &mut last_sync);
        if pending.due() {
            hand_data!();
        }
    }
    // Executor gone (shutdown): make whatever was written durable (the
    // log halves of `pending` are written already).
    drain_data!();
    if let Err(e) = wal.write(true) {
        fail(core, e.into());
    }
    // Nothing reports any more; the process is leaving.
    let _ = unreported;
}

/// The data thread of one core: writes gathered data halves to fjall, one
/// batch at a time, in order, so the persist thread's log writes never wait
/// behind a long data write (docs/design/0020).
struct DataWriter {
    tx: Option<flume::Sender<Vec<PersistJob>>>,
    written: flume::Receiver<u64>,
    /// The newest job of the batch being written.
    in_flight: Option<u64>,
}

impl DataWriter {
    fn start(core: usize, engine: Engine) -> DataWriter {
        let (tx, rx) = flume::bounded::<Vec<PersistJob>>(1);
        let (wtx, written) = flume::bounded::<u64>(1);
        let e = engine;
        std::thread::Builder::new()
            .name(format!("pdata-{core}"))
            .spawn(move || {
                while let Ok(batch) = rx.recv() {
                    let seq = batch.last().map_or(0, |j| j.seq);
                    // Synced here, off the persist thread: segments are
                    // purged only once the data they rely on is durable,
                    // and an fsync of fjall's journal on the persist thread
                    // held up log halves for up to 300 ms.
                    if let Err(err) = e.persist_data(&batch).and_then(|_| e.sync(true)) {
                        fail(core, err);
                    }
                    if wtx.send(seq).is_err() {
                        break;
                    }
                }
            })
            .unwrap_or_else(|err| {
                eprintln!("corekv: core {core}: cannot start the data thread: {err}");
                std::process::exit(1);
            });
        DataWriter {
            tx: Some(tx),
            written,
            in_flight: None,
        }
    }

    fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    fn send(&mut self, batch: Vec<PersistJob>) {
        let seq = batch.last().map_or(0, |j| j.seq);
        match self.tx.as_ref().map(|tx| tx.send(batch)) {
            Some(Ok(())) => self.in_flight = Some(seq),
            // The data thread is gone only if it failed (and exited).
            _ => std::process::exit(1),
        }
    }

    /// The batch in flight, if it finished.
    fn finished(&mut self) -> Option<u64> {
        self.in_flight?;
        let seq = self.written.try_recv().ok()?;
        self.in_flight = None;
        Some(seq)
    }

    /// Waits for the batch in flight, if any.
    fn wait(&mut self) -> Option<u64> {
        self.in_flight?;
        let seq = self.written.recv().ok()?;
        self.in_flight = None;
        Some(seq)
    }
}

impl Drop for DataWriter {
    fn drop(&mut self) {
        // Closing the channel ends the thread once its batch is written.
        self.tx.take();
    }
}

/// Once the data half of the job that started segment `purge.0` is written
/// and synced (`written` is the newest job whose data half is: every data
/// write syncs fjall before it is reported), so every applied marker the
/// segment's checkpoint relied on is durable, removes the older segments
/// (docs/design/0020).
fn purge_after(
    core: usize,
    wal: &mut WalWriter,
    purge: &mut Option<(u64, u64)>,
    written: u64,
    crash: &mut CrashAt,
) {
    let Some((segment, job)) = *purge else {
        return;
    };
    if written < job {
        return;
    }
    *purge = None;
    let mut first = true;
    loop {
        match wal.purge_oldest_before(segment) {
            Ok(true) if first => {
                first = false;
                crash.hit(Point::Purge);
            }
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => fail(core, e.into()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Point {
    Rotate,
    Purge,
}

/// `--debug-crash rotate:N|purge:N` (with `--debug-commands`): aborts the
/// process, as kill -9 would, at the Nth time the persist thread passes
/// that point, so tests can crash inside a rotation or a purge.
struct CrashAt(Option<(Point, u64)>);

impl CrashAt {
    fn from_args(node: &Node) -> CrashAt {
        if !node.args.debug_commands {
            return CrashAt(None);
        }
        let parsed = node.args.debug_crash.as_deref().and_then(|s| {
            let (p, n) = s.split_once(':')?;
            let point = match p {
                "rotate" => Point::Rotate,
                "purge" => Point::Purge,
                _ => return None,
            };
            Some((point, n.parse::<u64>().ok()?.max(1)))
        });
        CrashAt(parsed)
    }

    fn hit(&mut self, at: Point) {
        if let Some((point, left)) = &mut self.0
            && *point == at
        {
            *left -= 1;
            if *left == 0 {
                eprintln!("corekv: --debug-crash reached; aborting");
                std::process::abort();
            }
        }
    }
}

/// Bytes a job's data half holds (keys and values), for the write-behind
/// bound.
fn data_bytes(job: &PersistJob) -> usize {
    job.data
        .iter()
        .map(|op| match op {
            DataOp::Put(k, v) | DataOp::ElPut(k, v) => k.len() + v.len(),
            DataOp::Del(k) | DataOp::ElDel(k) => k.len(),
            DataOp::ExpirePut(k) | DataOp::ExpireDel(k) | DataOp::RaftDel(k) => k.len(),
            DataOp::RaftPut(k, v) => k.len() + v.len(),
            DataOp::Clear(..) => 0,
        })
        .sum::<usize>()
        + 64
}

/// The report of a written log half: every Ready of `batch`, and the data
/// half written meanwhile (`data_seq`).
fn log_done(batch: &[PersistJob], seq: u64, data_seq: Option<u64>) -> Done {
    Done::Log {
        readies: batch
            .iter()
            .flat_map(|j| j.readies.iter().copied())
            .collect(),
        seq,
        data_seq,
    }
}

/// Bookkeeping after a write: counts a sync; returns whether unsynced
/// writes remain (`dirty`).
fn after_write(core: usize, node: &Node, sync: bool, last_sync: &mut Instant) -> bool {
    if sync {
        on_sync(core, node);
        *last_sync = Instant::now();
        false
    } else {
        true
    }
}

fn on_sync(core: usize, node: &Node) {
    if let Some(c) = node.counters.get(core) {
        CoreCounters::add(&c.fsyncs, 1);
    }
    node.lastsave_unix_s.store(unix_ms() / 1000, Relaxed);
}

/// A write we cannot make durable must never be acknowledged: stop.
fn fail(core: usize, e: corekv_shard::EngineError) -> ! {
    eprintln!("corekv: core {core}: storage write failed: {e}; stopping");
    std::process::exit(1);
}
