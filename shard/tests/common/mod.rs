//! Helpers shared by the shard's integration tests: argv building and
//! driving a one-replica shard to quiescence with synchronous persists.
#![allow(dead_code)]

use bytes::Bytes;
use corekv_core::Reply;
use corekv_shard::{Shard, Token};

pub fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

/// Runs turns until no job is produced (at most 20); persists each job
/// synchronously and returns the replies completed meanwhile.
pub fn settle(shard: &mut Shard) -> Vec<(Token, Reply)> {
    let mut out = Vec::new();
    for _ in 0..20 {
        shard.drive().expect("drive");
        out.extend(shard.take_completions());
        match shard.take_job() {
            Some(job) => {
                let engine = shard.engine().clone();
                engine
                    .persist(std::slice::from_ref(&job), true)
                    .expect("persist");
                shard.on_persisted(job.seq, &job.readies);
            }
            None => break,
        }
    }
    out
}
