//! The heavy pool: a bounded set of OS threads that run commands which may
//! scan (the table entries flagged `heavy`: KEYS, SCAN) against a
//! point-in-time [`SnapshotView`], so a big scan never stalls a core's
//! executor. The queue is bounded; a full queue is answered with `-BUSY`
//! at once rather than queued without limit. Jobs are counted per heavy
//! command (fixed counters indexed by the table's `heavy_id`, nothing
//! allocated per submit) for the stats socket.
//!
//! [`SnapshotView`]: corekv_shard::SnapshotView

use bytes::Bytes;
use corekv_core::Reply;
use corekv_core::table::{self, HEAVY, HEAVY_COUNT};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub struct HeavyPool {
    tx: flume::Sender<Job>,
    /// Every accepted job (heavy commands and snapshot sends).
    pub submitted: AtomicU64,
    pub rejected: AtomicU64,
    /// Accepted jobs per heavy command, indexed by `heavy_id`. A command
    /// fanned out to every group (KEYS) is one job per group.
    pub by_command: [AtomicU64; HEAVY_COUNT],
}

/// A command that runs on the pool: its `table::heavy_id`, and whether the
/// core may run it itself when the pool is full (a mid-size read, at most
/// `table::HEAVY_CORE_MAX` elements) instead of answering `-BUSY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeavyCmd(usize, bool);

impl HeavyCmd {
    /// Run on the core rather than refused while `pool` is full.
    pub fn runs_on_core(&self, pool: &HeavyPool) -> bool {
        self.1 && pool.is_full()
    }
}

/// The heavy command `argv` names, if it is one: the table's `heavy` flag
/// decides, not the name. Runs for every read on a core, so most names are
/// ruled out by length alone; the rest cost one hash lookup, no allocation.
pub fn heavy_command(argv: &[Bytes]) -> Option<HeavyCmd> {
    if !table::may_be_heavy(argv.first()?) {
        return None;
    }
    table::find(argv)
        .and_then(table::heavy_id)
        .map(|id| HeavyCmd(id, false))
}

/// Where a read of group `pos` runs: `Some` on the pool. A heavy command
/// with a size estimate (HGETALL, LRANGE ...) stays on the core while it
/// is small: reading up to `table::HEAVY_MIN` elements costs less than the
/// hand-off to a pool thread.
pub fn route(
    shard: &corekv_shard::Shard,
    pos: usize,
    argv: &[Bytes],
    now_ms: u64,
) -> Option<HeavyCmd> {
    if !table::may_be_heavy(argv.first()?) {
        return None;
    }
    let spec = table::find(argv)?;
    let id = table::heavy_id(spec)?;
    match spec.heavy_size {
        Some(size) => match shard.read_size(pos, argv, now_ms, size.0) {
            n if n <= table::HEAVY_MIN => None,
            n => Some(HeavyCmd(id, n <= table::HEAVY_CORE_MAX)),
        },
        None => Some(HeavyCmd(id, false)),
    }
}

/// Where a read of group `pos` runs, as decided on the core.
pub enum Placed {
    /// On the pool, as this argv (the client's, or the internal command a
    /// core read asked to be rerun as).
    Pool(HeavyCmd, Vec<Bytes>),
    /// Done on the core.
    Done(Reply),
}

/// Routes a read ([`route`]) and runs it on the core unless it goes to the
/// pool. A core read that answers `cmd::TO_POOL` (GET of a paged string
/// too big for the core; an inline GET never does, so this costs it
/// nothing) goes to the pool as the internal read it names.
pub fn place(
    shard: &corekv_shard::Shard,
    pool: &HeavyPool,
    pos: usize,
    argv: Vec<Bytes>,
    now_ms: u64,
    rand: u64,
) -> Placed {
    if let Some(cmd) = route(shard, pos, &argv, now_ms)
        && !cmd.runs_on_core(pool)
    {
        return Placed::Pool(cmd, argv);
    }
    let reply = shard.read(pos, &argv, now_ms, rand);
    match corekv_core::cmd::pool_argv(&argv, &reply) {
        Some(again) => match heavy_command(&again) {
            Some(cmd) => Placed::Pool(cmd, again),
            None => Placed::Done(reply),
        },
        None => Placed::Done(reply),
    }
}

pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Starts `threads` threads named `name-i` that run the jobs of a queue of
/// `queue` jobs, yielding to the cores' executors (see
/// [`HeavyPool::start_beside`]; `cores`: the cores pinned to CPUs
/// `0..cores`), and returns the queue's sender.
pub(crate) fn start_yielding(
    name: &str,
    threads: usize,
    queue: usize,
    cores: Option<usize>,
    yielding: Yield,
) -> flume::Sender<Job> {
    let (tx, rx) = flume::bounded::<Job>(queue);
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
    let free: Vec<usize> = match cores {
        Some(c) if c < ncpu => (c..ncpu).collect(),
        _ => Vec::new(),
    };
    for i in 0..threads.max(1) {
        let rx = rx.clone();
        let free = free.clone();
        let _ = std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                yield_to_cores(&free, yielding);
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
    }
    tx
}

/// How a pool thread gives way to the cores' threads (and the persist
/// threads) when they share a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Yield {
    /// nice 10: about a tenth of a CPU against one busy normal thread.
    Nice10,
    /// `SCHED_IDLE`: the lowest weight there is, and a normal thread that
    /// wakes preempts it at once instead of waiting out its slice. Still
    /// not starved outright: the scheduler gives it a small share (a
    /// weight of 3 against a normal thread's 1024).
    Idle,
}

/// Lowers the calling thread's priority and, if `cpus` is not empty, pins
/// it there. Best effort: a refusal leaves the thread as it was.
pub(crate) fn yield_to_cores(cpus: &[usize], yielding: Yield) {
    // SAFETY: plain syscalls on the calling thread with valid arguments.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        match yielding {
            Yield::Nice10 => {
                libc::setpriority(libc::PRIO_PROCESS, tid, 10);
            }
            Yield::Idle => {
                let param = libc::sched_param { sched_priority: 0 };
                if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
                    libc::setpriority(libc::PRIO_PROCESS, tid, 19);
                }
            }
        }
        if !cpus.is_empty() {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &c in cpus {
                libc::CPU_SET(c, &mut set);
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }
}

/// Pending heavy jobs beyond which new ones are refused.
pub const QUEUE_LIMIT: usize = 64;

pub const BUSY: &str = "BUSY the heavy-command pool is full, try again later";

impl HeavyPool {
    pub fn start(threads: usize) -> HeavyPool {
        HeavyPool::start_beside(threads, None)
    }

    /// A pool whose threads yield to the cores' executors: they run at a
    /// lower priority (`SCHED_IDLE`, docs/design/0008 "Priority"), and with `cores` given (the cores pin
    /// themselves to CPUs `0..cores`) on the CPUs no core uses, if there
    /// are any. A scan on the pool then cannot preempt a core's Raft work
    /// (the XREAD drill, docs/design/0019).
    pub fn start_beside(threads: usize, cores: Option<usize>) -> HeavyPool {
        let tx = start_yielding("heavy", threads, QUEUE_LIMIT, cores, Yield::Idle);
        HeavyPool {
            tx,
            submitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            by_command: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// No room for another job: the next submit would be refused.
    pub fn is_full(&self) -> bool {
        self.tx.is_full()
    }

    /// Queues heavy command `cmd`'s job, or refuses it when the queue is
    /// full; counted per command when accepted.
    pub fn try_submit_command(&self, cmd: HeavyCmd, job: impl FnOnce() + Send + 'static) -> bool {
        let ok = self.try_submit(job);
        if ok && let Some(c) = self.by_command.get(cmd.0) {
            c.fetch_add(1, Relaxed);
        }
        ok
    }

    /// Accepted jobs per heavy command, by lowercase name.
    pub fn by_command(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        HEAVY
            .iter()
            .zip(&self.by_command)
            .map(|(name, n)| (*name, n.load(Relaxed)))
    }

    /// Queues `job`, or refuses it when the queue is full.
    pub fn try_submit(&self, job: impl FnOnce() + Send + 'static) -> bool {
        match self.tx.try_send(Box::new(job)) {
            Ok(()) => {
                self.submitted.fetch_add(1, Relaxed);
                true
            }
            Err(_) => {
                self.rejected.fetch_add(1, Relaxed);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_refuses() {
        // No threads drain a pool whose workers are all blocked.
        let pool = HeavyPool::start(1);
        let (gate_tx, gate_rx) = flume::bounded::<()>(0);
        assert!(pool.try_submit(move || {
            let _ = gate_rx.recv();
        }));
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut accepted = 0;
        for _ in 0..QUEUE_LIMIT + 5 {
            if pool.try_submit(|| {}) {
                accepted += 1;
            }
        }
        assert_eq!(accepted, QUEUE_LIMIT);
        assert_eq!(pool.rejected.load(Relaxed), 5);
        // A full pool sends mid-size reads back to the core; the rest get
        // -BUSY.
        assert!(pool.is_full());
        assert!(HeavyCmd(0, true).runs_on_core(&pool));
        assert!(!HeavyCmd(0, false).runs_on_core(&pool));
        drop(gate_tx);
    }

    /// The scheduling policy and nice value of the calling thread.
    fn own_priority() -> (i32, i32) {
        // SAFETY: plain queries of the calling thread.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            (
                libc::sched_getscheduler(0),
                libc::getpriority(libc::PRIO_PROCESS, tid),
            )
        }
    }

    #[test]
    fn heavy_threads_yield_more_than_miss_threads() {
        let heavy = HeavyPool::start(1);
        let (tx, rx) = flume::bounded(1);
        assert!(heavy.try_submit(move || {
            let _ = tx.send(own_priority());
        }));
        let (policy, nice) = rx.recv().expect("heavy job ran");
        // SCHED_IDLE, or nice 19 where the policy is refused.
        assert!(policy == libc::SCHED_IDLE || nice == 19, "{policy} {nice}");
        let miss = start_yielding("miss-test", 1, 4, None, Yield::Nice10);
        let (tx, rx) = flume::bounded(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(own_priority());
        });
        assert!(miss.try_send(job).is_ok());
        assert_eq!(rx.recv().expect("miss job ran"), (libc::SCHED_OTHER, 10));
    }

    fn argv(parts: &[&str]) -> Vec<Bytes> {
        parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect()
    }

    #[test]
    fn the_heavy_flag_picks_the_commands() {
        assert!(heavy_command(&argv(&["KEYS", "*"])).is_some());
        assert!(heavy_command(&argv(&["scan", "0"])).is_some());
        assert_ne!(
            heavy_command(&argv(&["keys", "*"])),
            heavy_command(&argv(&["scan", "0"]))
        );
        for point in [&["GET", "k"][..], &["DBSIZE"], &["SET", "k", "v"], &[]] {
            assert_eq!(heavy_command(&argv(point)), None, "{point:?}");
        }
    }

    #[test]
    fn counts_accepted_jobs_per_command() {
        let pool = HeavyPool::start(1);
        let keys = heavy_command(&argv(&["KEYS", "*"])).expect("keys is heavy");
        let (tx, rx) = flume::bounded::<()>(8);
        for _ in 0..3 {
            let tx = tx.clone();
            assert!(pool.try_submit_command(keys, move || {
                let _ = tx.send(());
            }));
        }
        // A job that is not a command (a snapshot send) counts only in
        // `submitted`.
        assert!(pool.try_submit(|| {}));
        for _ in 0..3 {
            assert!(
                rx.recv_timeout(std::time::Duration::from_secs(5)).is_ok(),
                "a job did not run"
            );
        }
        let counts: Vec<(&str, u64)> = pool.by_command().collect();
        // One counter per heavy command, in the table's order; only KEYS ran.
        let names: Vec<&str> = counts.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, table::HEAVY);
        for (name, n) in counts {
            assert_eq!(n, if name == "keys" { 3 } else { 0 }, "{name}");
        }
        assert_eq!(pool.submitted.load(Relaxed), 4);
    }
}
