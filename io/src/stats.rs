//! Per-core metrics: HDR histograms owned by the core (no sharing), plus a
//! few relaxed atomics per core that INFO on any core may read.

use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

pub const HISTOGRAMS: [&str; 6] = [
    "cmd.read",
    "cmd.write",
    "cmd.other",
    "raft.persist",
    "raft.commit",
    "raft.apply",
];
pub const CMD_READ: usize = 0;
pub const CMD_WRITE: usize = 1;
pub const CMD_OTHER: usize = 2;
pub const RAFT_PERSIST: usize = 3;
pub const RAFT_COMMIT: usize = 4;
pub const RAFT_APPLY: usize = 5;

pub struct CoreHists {
    hists: Vec<Histogram<u64>>,
}

impl Default for CoreHists {
    fn default() -> Self {
        let hists = HISTOGRAMS
            .iter()
            .filter_map(|_| Histogram::new_with_bounds(1, 60_000_000, 2).ok())
            .collect();
        CoreHists { hists }
    }
}

impl CoreHists {
    pub fn record_since(&mut self, which: usize, start: Instant) {
        let us = start.elapsed().as_micros() as u64;
        self.record_us(which, us);
    }

    pub fn record_us(&mut self, which: usize, us: u64) {
        if let Some(h) = self.hists.get_mut(which) {
            h.saturating_record(us.max(1));
        }
    }

    pub fn reset(&mut self) {
        for h in &mut self.hists {
            h.reset();
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (name, h) in HISTOGRAMS.iter().zip(&self.hists) {
            m.insert(
                (*name).to_string(),
                json!({
                    "count": h.len(),
                    "p50_us": h.value_at_quantile(0.5),
                    "p99_us": h.value_at_quantile(0.99),
                    "p999_us": h.value_at_quantile(0.999),
                    "max_us": h.max(),
                    "mean_us": (h.mean() * 10.0).round() / 10.0,
                }),
            );
        }
        Value::Object(m)
    }
}

/// Counters of one core, readable from any thread.
#[derive(Default)]
pub struct CoreCounters {
    pub commands: AtomicU64,
    pub forwarded_out: AtomicU64,
    pub forwarded_in: AtomicU64,
    pub proposals: AtomicU64,
    pub raft_batches: AtomicU64,
    pub fsyncs: AtomicU64,
    pub connections: AtomicU64,
    pub total_connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub keys: AtomicU64,
    pub expires: AtomicU64,
    pub expired_keys: AtomicU64,
    /// Dropped collections whose elements are not swept yet (gauge).
    pub garbage_collections: AtomicU64,
    /// Elements of dropped collections deleted by the sweeper.
    pub swept_elements: AtomicU64,
    /// Clients blocked on keys of groups this core leads (gauge).
    pub blocked_clients: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub errors: AtomicU64,
    /// Commands sent to the leader's node (cluster).
    pub proxied: AtomicU64,
    /// Reads served on this follower after a ReadIndex round (cluster).
    pub follower_reads: AtomicU64,
    pub raft_msgs_out: AtomicU64,
    pub raft_msgs_in: AtomicU64,
    /// Depths of the core's bounded queues (docs/design/0013).
    pub queues: QueueStats,
}

/// Queue depths of one core: now, and the most seen since the last reset,
/// next to their bounds, so a test (or an operator) can see backpressure
/// work: `*_max` never passes its limit.
#[derive(Default)]
pub struct QueueStats {
    /// Client commands unanswered on the core (proposals, parked, forwarded
    /// in from other cores), at the last turn and at most.
    pub unanswered: AtomicU64,
    pub unanswered_max: AtomicU64,
    /// Most requests outstanding from this core to one other core.
    pub forwarded_max: AtomicU64,
    /// Most messages found waiting in the core's inbound rings and
    /// control channel at one drain.
    pub inbox_max: AtomicU64,
    /// Persist jobs in flight (sent, log half not yet acknowledged).
    pub persist_jobs: AtomicU64,
    pub persist_jobs_max: AtomicU64,
    /// Times a connection stopped reading because the core was at a bound.
    pub throttled: AtomicU64,
    /// The bounds: `--queue-limit`, its per-core-pair share, jobs in flight.
    pub unanswered_limit: AtomicU64,
    pub forwarded_limit: AtomicU64,
    pub persist_jobs_limit: AtomicU64,
}

impl QueueStats {
    pub fn to_json(&self) -> Value {
        json!({
            "unanswered": self.unanswered.load(Relaxed),
            "unanswered_max": self.unanswered_max.load(Relaxed),
            "unanswered_limit": self.unanswered_limit.load(Relaxed),
            "forwarded_max": self.forwarded_max.load(Relaxed),
            "forwarded_limit": self.forwarded_limit.load(Relaxed),
            "inbox_max": self.inbox_max.load(Relaxed),
            "persist_jobs": self.persist_jobs.load(Relaxed),
            "persist_jobs_max": self.persist_jobs_max.load(Relaxed),
            "persist_jobs_limit": self.persist_jobs_limit.load(Relaxed),
            "throttled": self.throttled.load(Relaxed),
        })
    }

    fn reset(&self) {
        for c in [
            &self.unanswered_max,
            &self.forwarded_max,
            &self.inbox_max,
            &self.persist_jobs_max,
            &self.throttled,
        ] {
            c.store(0, Relaxed);
        }
    }
}

impl CoreCounters {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Relaxed);
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "commands": self.commands.load(Relaxed),
            "forwarded_out": self.forwarded_out.load(Relaxed),
            "forwarded_in": self.forwarded_in.load(Relaxed),
            "proposals": self.proposals.load(Relaxed),
            "raft_batches": self.raft_batches.load(Relaxed),
            "fsyncs": self.fsyncs.load(Relaxed),
            "connections": self.connections.load(Relaxed),
            "keys": self.keys.load(Relaxed),
            "expires": self.expires.load(Relaxed),
            "expired_keys": self.expired_keys.load(Relaxed),
            "garbage_collections": self.garbage_collections.load(Relaxed),
            "swept_elements": self.swept_elements.load(Relaxed),
            "blocked_clients": self.blocked_clients.load(Relaxed),
            "errors": self.errors.load(Relaxed),
            "proxied": self.proxied.load(Relaxed),
            "follower_reads": self.follower_reads.load(Relaxed),
            "raft_msgs_out": self.raft_msgs_out.load(Relaxed),
            "raft_msgs_in": self.raft_msgs_in.load(Relaxed),
        });
        // Flat, like every counter (`queue_<name>`), so a reader may take
        // the counters as one map of numbers.
        if let (Value::Object(m), Value::Object(q)) = (&mut v, self.queues.to_json()) {
            m.extend(q.into_iter().map(|(k, x)| (format!("queue_{k}"), x)));
        }
        v
    }

    pub fn reset(&self) {
        for c in [
            &self.commands,
            &self.forwarded_out,
            &self.forwarded_in,
            &self.proposals,
            &self.raft_batches,
            &self.fsyncs,
            &self.total_connections,
            &self.rejected_connections,
            &self.expired_keys,
            &self.swept_elements,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.errors,
            &self.proxied,
            &self.follower_reads,
            &self.raft_msgs_out,
            &self.raft_msgs_in,
        ] {
            c.store(0, Relaxed);
        }
        self.queues.reset();
    }
}
