//! corekv-io: the only crate with sockets, threads, io_uring and pinning.
//!
//! Owns the per-core monoio executors (one pinned OS thread per core, one
//! SO_REUSEPORT listener each), connections, cross-core batched messaging,
//! the persist threads (one per core, group commit), and the stats socket.
//! A core's executor never blocks: fjall writes and fsyncs run on its
//! persist thread; only point reads and short scans run inline.

// Tests may index and unwrap: a panic there is a failed test.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod acl;
pub mod admin;
mod blocking;
pub mod cluster_cmds;
pub mod config;
pub mod conn;
pub mod core;
pub mod heavy;
pub mod keyspace;
pub mod member;
pub mod miss;
pub mod node;
pub mod notify;
pub mod peer;
pub mod persist;
pub mod proxy;
pub mod pubsub;
pub mod script;
pub mod server;
pub mod server_cmds;
pub mod stats;
pub mod stats_socket;
pub mod stream;
pub mod tls;
pub mod topology;
pub mod tracking;
pub mod txn;
mod watch;

/// The Redis version whose behaviour corekv matches (clients gate on it).
pub const REDIS_VERSION: &str = "7.0.15";

/// Helpers for the crate's unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    /// Runs `f` on a fresh io_uring (or epoll) runtime, failing past 10 s.
    pub(crate) fn run_test<F: std::future::Future>(f: F) -> F::Output {
        let mut rt = monoio::RuntimeBuilder::<monoio::FusionDriver>::new()
            .enable_timer()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            monoio::time::timeout(std::time::Duration::from_secs(10), f)
                .await
                .expect("test took over 10 s")
        })
    }
}
