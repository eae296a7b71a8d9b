//! The heavy pool: a bounded set of OS threads that run commands which may
//! scan (KEYS, SCAN) against a point-in-time [`SnapshotView`], so a big scan
//! never stalls a core's executor. The queue is bounded; a full queue is
//! answered with `-BUSY` at once rather than queued without limit.
//!
//! [`SnapshotView`]: corekv_shard::SnapshotView

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

type Job = Box<dyn FnOnce() + Send>;

pub struct HeavyPool {
    tx: flume::Sender<Job>,
    pub submitted: AtomicU64,
    pub rejected: AtomicU64,
}

/// Pending heavy jobs beyond which new ones are refused.
pub const QUEUE_LIMIT: usize = 64;

pub const BUSY: &str = "BUSY the heavy-command pool is full, try again later";

impl HeavyPool {
    pub fn start(threads: usize) -> HeavyPool {
        let (tx, rx) = flume::bounded::<Job>(QUEUE_LIMIT);
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("heavy-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                });
        }
        HeavyPool {
            tx,
            submitted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
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

/// Commands that may scan a whole group and so run on the heavy pool.
pub fn is_heavy(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"keys") || name.eq_ignore_ascii_case(b"scan")
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
        drop(gate_tx);
    }
}
