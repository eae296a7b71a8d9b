//! Row-cache misses off the executor while they are slow
//! (docs/design/0022).
//!
//! A GET whose key is not in the core's row cache reads fjall. While
//! those reads are served by fjall's block cache or the OS page cache they
//! cost a few µs and run inline, as everything else does. When they start
//! to go to the disk (the share of inline misses slower than
//! [`cache::SLOW_MISS`] passes [`ENTER`]), a missing GET runs instead on
//! one of the miss pool's threads against a [`SnapshotView`] taken on the
//! core when the GET arrived (so it sees every write acknowledged before),
//! and its connection awaits the reply in order like any other. The core
//! goes back to inline reads when the pool's reads stop reaching the disk
//! (share under [`LEAVE`]).
//!
//! The queue never answers `-BUSY`: a GET must not fail because its data
//! is cold. When it is full the GET keeps its job and its connection waits
//! for room before awaiting the reply, which also holds that connection's
//! next commands back (their replies come after it anyway).
//!
//! The record the pool read fills the core's row cache when the reply is
//! taken, unless a write may have touched the key since the view was taken
//! ([`RowCache::fill`]).
//!
//! [`SnapshotView`]: corekv_shard::SnapshotView
//! [`RowCache::fill`]: corekv_shard::cache::RowCache::fill

use crate::core::{Core, Pending};
use crate::heavy::Job;
use bytes::Bytes;
use corekv_core::{Record, Reply, errors};
use corekv_shard::Shard;
use corekv_shard::cache::{self, SHARE_ONE, share_step_by};
use std::rc::Weak;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Inline misses slower than [`cache::SLOW_MISS`] above this share (of
/// about the last 16) send a core's misses to the pool: a handful of disk
/// reads in a row, not one preempted read.
pub const ENTER: u32 = SHARE_ONE / 4;

/// Pool reads that reached the disk below this share bring a core's
/// misses back inline.
pub const LEAVE: u32 = SHARE_ONE / 32;

/// The pool's share averages over about the last 128 reads (the inline
/// share over 16): while the page cache warms up, a falling fraction of
/// the reads go to the disk, and a short average dipped under [`LEAVE`]
/// by chance often enough to flap (measured: 30 switches in 108k cold
/// GETs, 65% of the pool's reads from disk overall). With this one, 15%
/// of reads from disk never dips under it; coming back after a run of
/// disk reads takes about 440 page-cache reads.
const POOL_SHIFT: u32 = 7;

/// A pool read that took longer than this counts as a disk read even when
/// the thread's block-input counter did not move (an injected delay, a
/// storage that does not account reads per thread).
const POOL_STALL: Duration = Duration::from_millis(1);

/// Jobs queued before a missing GET waits for room.
pub const QUEUE_LIMIT: usize = 1024;

/// Whether a core's misses go to the pool, from where they go now and the
/// two shares (in 1/65536: of inline misses that were slow, of pool reads
/// that reached the disk). The gap between [`ENTER`] and [`LEAVE`] keeps a
/// core from flapping on the boundary.
pub fn decide(offload: bool, inline_slow: u32, pool_slow: u32) -> bool {
    if offload {
        pool_slow >= LEAVE
    } else {
        inline_slow > ENTER
    }
}

/// One core's routing state, shared with the pool threads that report
/// their reads.
#[derive(Default)]
pub struct Route {
    offload: AtomicBool,
    /// Share of the pool's reads for this core that reached the disk.
    pool_slow: AtomicU32,
    /// Times the core switched between inline and pool.
    pub switches: AtomicU64,
}

impl Route {
    pub fn offloading(&self) -> bool {
        self.offload.load(Relaxed)
    }

    fn note_pool_read(&self, slow: bool) {
        let _ = self.pool_slow.fetch_update(Relaxed, Relaxed, |s| {
            Some(share_step_by(s, slow, POOL_SHIFT))
        });
    }
}

/// The miss pool: its queue, threads and counters, and every core's route.
pub struct MissPool {
    tx: flume::Sender<Job>,
    routes: Vec<Arc<Route>>,
    /// GETs sent to the pool.
    pub submitted: AtomicU64,
    /// Of those, the ones that found the queue full and waited for room.
    pub waited: AtomicU64,
    /// Pool reads that reached the disk (or stalled, see [`POOL_STALL`]).
    pub slow_reads: AtomicU64,
    /// Records the pool read that went into a row cache.
    pub filled: AtomicU64,
}

impl MissPool {
    /// `threads` threads (they mostly wait on the disk, so more than the
    /// CPUs: the disk serves several reads at once), yielding to the
    /// cores like the heavy pool's (`cores`: see
    /// `HeavyPool::start_beside`).
    pub fn start(threads: usize, cores: usize, pin: Option<usize>) -> MissPool {
        let tx = crate::heavy::start_yielding(
            "miss",
            threads,
            QUEUE_LIMIT,
            pin,
            crate::heavy::Yield::Nice10,
        );
        MissPool {
            tx,
            routes: (0..cores).map(|_| Arc::default()).collect(),
            submitted: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            slow_reads: AtomicU64::new(0),
            filled: AtomicU64::new(0),
        }
    }

    /// Core `core`'s route.
    pub fn route(&self, core: usize) -> Option<&Route> {
        self.routes.get(core).map(|r| &**r)
    }
}

/// The key of a GET (`GET key`, any case), the only read routed here.
fn get_key(argv: &[Bytes]) -> Option<&Bytes> {
    match argv {
        [name, key] if name.eq_ignore_ascii_case(b"get") => Some(key),
        _ => None,
    }
}

/// Block-input operations of the calling thread so far (reads the kernel
/// had to fetch from storage, not the page cache).
fn thread_inblock() -> i64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut ru) == 0 {
            ru.ru_inblock
        } else {
            0
        }
    }
}

/// What a pool read hands back: the reply, and the record it read from
/// fjall for the row cache.
struct Done {
    reply: Reply,
    fill: Option<(Vec<u8>, Option<Record>)>,
}

/// A GET running (or waiting to run) on the miss pool.
pub struct MissWait {
    /// The job, when the queue was full: sent once there is room.
    queued: Option<(flume::Sender<Job>, Job)>,
    rx: flume::Receiver<Done>,
    core: Weak<Core>,
    /// The row cache's epoch when the view was taken.
    since: u64,
}

impl MissWait {
    pub async fn resolve(self) -> Reply {
        if let Some((tx, job)) = self.queued
            && tx.send_async(job).await.is_err()
        {
            return errors::err(errors::SHUTTING_DOWN);
        }
        let Ok(done) = self.rx.recv_async().await else {
            return errors::err(errors::SHUTTING_DOWN);
        };
        if let (Some((key, rec)), Some(core)) = (done.fill, self.core.upgrade()) {
            let st = core.st.borrow();
            let filled = st
                .shard
                .row_cache()
                .borrow_mut()
                .fill(Bytes::from(key), rec, self.since);
            if filled {
                core.node.misses.filled.fetch_add(1, Relaxed);
            }
        }
        done.reply
    }
}

/// Where a GET of group `pos` that is about to run inline goes instead:
/// `Ok` with its pending reply when it goes to the pool (its key is not in
/// the row cache and this core's misses are slow now), else `Err` with the
/// argv back, to run inline. Costs a read that stays inline two loads and
/// a compare while misses are fast.
pub fn offload(
    core: &Core,
    me: Option<&Weak<Core>>,
    shard: &Shard,
    pos: usize,
    argv: Vec<Bytes>,
    now_ms: u64,
) -> Result<Pending, Vec<Bytes>> {
    let pool = &core.node.misses;
    let Some(shared) = pool.routes.get(core.id) else {
        return Err(argv);
    };
    let route: &Route = shared;
    let cache = shard.row_cache();
    let on = route.offload.load(Relaxed);
    let inline_slow = cache.borrow().slow_share();
    if !on && inline_slow <= ENTER {
        return Err(argv);
    }
    let now_on = decide(on, inline_slow, route.pool_slow.load(Relaxed));
    if now_on != on {
        route.offload.store(now_on, Relaxed);
        route.switches.fetch_add(1, Relaxed);
        if now_on {
            // Pool reads start out counted as slow, so the core does not
            // come back before the pool has seen what its reads cost.
            route.pool_slow.store(SHARE_ONE, Relaxed);
        } else {
            // Inline misses start out at what the pool last saw.
            cache.borrow().set_slow_share(route.pool_slow.load(Relaxed));
            return Err(argv);
        }
    }
    let (Some(key), Some(me)) = (get_key(&argv), me) else {
        return Err(argv);
    };
    // Cached, or written but not in fjall yet (no view): the inline read
    // needs no disk.
    if cache.borrow().contains(key) {
        return Err(argv);
    }
    let Some(view) = shard.clean_record_view(pos, key) else {
        return Err(argv);
    };
    let since = cache.borrow().epoch();
    let (tx, rx) = flume::bounded::<Done>(1);
    let route = Arc::clone(shared);
    let node = Arc::clone(&core.node);
    let job: Job = Box::new(move || {
        let inblock = thread_inblock();
        let start = Instant::now();
        let ctx = corekv_core::cmd::Ctx {
            now_ms,
            slots: view.slots(),
            rand: 0,
        };
        let mut reply = corekv_core::cmd::read(&argv, &ctx, &view);
        // A big paged string: its whole read runs here too.
        if let Some(again) = corekv_core::cmd::pool_argv(&argv, &reply) {
            reply = corekv_core::cmd::read(&again, &ctx, &view);
        }
        let slow = thread_inblock() > inblock || start.elapsed() > POOL_STALL;
        route.note_pool_read(slow);
        if slow {
            node.misses.slow_reads.fetch_add(1, Relaxed);
        }
        let fill = view.last_read();
        // The fjall snapshot is released here, not on the core.
        drop(view);
        let _ = tx.send(Done { reply, fill });
    });
    pool.submitted.fetch_add(1, Relaxed);
    let queued = match pool.tx.try_send(job) {
        Ok(()) => None,
        Err(flume::TrySendError::Full(job)) => {
            pool.waited.fetch_add(1, Relaxed);
            Some((pool.tx.clone(), job))
        }
        Err(flume::TrySendError::Disconnected(_)) => {
            return Ok(Pending::Ready(errors::err(errors::SHUTTING_DOWN)));
        }
    };
    Ok(Pending::Miss(MissWait {
        queued,
        rx,
        core: me.clone(),
        since,
    }))
}

/// Sets the injected read delay (`COREKV.DEBUG READDELAY <µs>`).
pub fn set_debug_delay(us: u64) {
    cache::DEBUG_READ_DELAY_US.store(us, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use corekv_shard::cache::share_step;

    /// The share after `n` samples of `slow` starting from `share`.
    fn after(mut share: u32, slow: bool, n: usize) -> u32 {
        for _ in 0..n {
            share = share_step(share, slow);
        }
        share
    }

    #[test]
    fn fast_misses_stay_inline() {
        // Page-cache misses: none slow.
        let inline = after(0, false, 1000);
        assert!(!decide(false, inline, 0));
        // One preempted read among fast ones does not move the reads.
        let inline = share_step(inline, true);
        assert!(!decide(false, inline, 0));
        let inline = after(inline, false, 3);
        assert!(!decide(false, share_step(inline, true), 0));
    }

    #[test]
    fn a_run_of_slow_misses_goes_to_the_pool() {
        // Five disk reads in a row from all-fast: over a quarter.
        let mut inline = 0;
        let mut n = 0;
        while !decide(false, inline, SHARE_ONE) {
            inline = share_step(inline, true);
            n += 1;
            assert!(n < 20, "never switched");
        }
        assert_eq!(n, 5);
        // A steady mix of one slow read in three switches too.
        let mut mixed = 0;
        for i in 0..300 {
            mixed = share_step(mixed, i % 3 == 0);
        }
        assert!(decide(false, mixed, 0));
    }

    /// The pool's share after `n` reads, slow when `slow(i)`.
    fn pool_after(mut share: u32, n: usize, slow: impl Fn(usize) -> bool) -> (u32, bool) {
        let mut left = false;
        for i in 0..n {
            share = share_step_by(share, slow(i), POOL_SHIFT);
            left |= !decide(true, 0, share);
        }
        (share, left)
    }

    #[test]
    fn the_pool_keeps_misses_while_they_reach_the_disk() {
        // Entering counts the pool as slow; slow pool reads keep it there
        // whatever the (stale) inline share says.
        assert!(decide(true, 0, SHARE_ONE));
        assert!(decide(true, 0, pool_after(SHARE_ONE, 100, |_| true).0));
        // One read in eight from disk still keeps it on the pool.
        assert!(!pool_after(SHARE_ONE, 4000, |i| i % 8 == 0).1);
        // A page cache partly warm: 15% of reads from disk at random
        // (a fixed pseudo-random sequence) never dips under LEAVE over
        // 200k reads. With the inline share's weight and LEAVE 1/16 it
        // did.
        let random = |i: usize| {
            let x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (x >> 33) % 100 < 15
        };
        assert!(!pool_after(SHARE_ONE, 200_000, random).1);
        let mut quick = SHARE_ONE;
        let mut dipped = false;
        for i in 0..200_000 {
            quick = share_step(quick, random(i));
            dipped |= quick < SHARE_ONE / 16;
        }
        assert!(dipped, "the short average no longer dips: drop this half");
    }

    #[test]
    fn page_cache_hits_on_the_pool_bring_misses_back() {
        let mut pool = SHARE_ONE;
        let mut n = 0;
        while decide(true, SHARE_ONE, pool) {
            pool = share_step_by(pool, false, POOL_SHIFT);
            n += 1;
            assert!(n < 1000, "never came back");
        }
        // About 128 * ln(32) fast reads after all-slow.
        assert!((430..=450).contains(&n), "{n}");
        // And the share handed back inline is below ENTER, so it stays.
        assert!(!decide(false, pool, pool));
    }

    #[test]
    fn the_share_reaches_both_ends() {
        assert_eq!(after(0, true, 1000), SHARE_ONE);
        assert_eq!(after(SHARE_ONE, false, 1000), 0);
    }

    #[test]
    fn only_a_plain_get_is_routed() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        assert_eq!(get_key(&[b("GET"), b("k")]), Some(&b("k")));
        assert_eq!(get_key(&[b("get"), b("k")]), Some(&b("k")));
        assert_eq!(get_key(&[b("GET")]), None);
        assert_eq!(get_key(&[b("GET"), b("k"), b("x")]), None);
        assert_eq!(get_key(&[b("GETEX"), b("k")]), None);
        assert_eq!(get_key(&[b("MGET"), b("k")]), None);
    }
}
