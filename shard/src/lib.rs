//! corekv-shard: one core's world.
//!
//! Owns the Raft groups of one core (raft-rs `RawNode`s), their logs and
//! state machines over the core's fjall database, the overlay of applied
//! writes that the persist thread has not flushed yet, and the expiry index.
//! Runs on the core's executor thread, except [`Engine::persist`], which
//! runs on the core's persist thread. No sockets, no async, no clock reads:
//! time is passed in. Never blocks the executor: fjall writes and fsyncs
//! happen only in `Engine::persist`.

// Tests may index and unwrap: a panic there is a failed test.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod cache;
mod elcache;
mod elems;
pub mod engine;
pub mod keys;
pub mod log;
pub mod shard;
pub mod snapshot;
pub mod txn;
pub mod wal;

pub use engine::{DataOp, Engine, EngineError, Fsync, PersistJob, ReadHealth};
pub use shard::{
    Cluster, GroupSpec, GroupStatus, Shard, ShardError, SnapshotData, SnapshotSend, Token,
    write_keys,
};
pub use snapshot::SnapshotView;
