//! In-memory tail of a group's Raft log, owned by the group's `RawNode`.
//!
//! The durable copy lives in fjall's `raft` keyspace and is written by the
//! persist thread; this holds the entries raft-rs may still ask for (from
//! the last truncation point on), the hard state and the conf state. It is
//! touched only by the owning core, so it needs no lock.

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};

#[derive(Default)]
pub struct LogStore {
    pub hs: HardState,
    pub cs: ConfState,
    /// Index and term of the last entry removed from the log (or of the
    /// initial state); `entries[0].index == truncated_index + 1`.
    pub truncated_index: u64,
    pub truncated_term: u64,
    pub entries: Vec<Entry>,
    /// Payload bytes of `entries` (data and context), kept in step with
    /// every change so the leader can bound what it holds for followers.
    pub bytes: u64,
    /// Highest applied index (kept by the shard): a snapshot of the state
    /// machine is taken at exactly this point.
    pub applied: u64,
}

impl LogStore {
    pub fn first_index(&self) -> u64 {
        self.truncated_index + 1
    }

    pub fn last_index(&self) -> u64 {
        self.entries
            .last()
            .map_or(self.truncated_index, |e| e.index)
    }

    /// Appends entries, dropping any conflicting suffix first.
    pub fn append(&mut self, ents: &[Entry]) {
        let Some(first) = ents.first() else { return };
        let keep = first.index.saturating_sub(self.first_index()) as usize;
        let dropped = payload_bytes(self.entries.get(keep..).unwrap_or(&[]));
        self.entries.truncate(keep);
        self.entries.extend_from_slice(ents);
        self.bytes = self.bytes.saturating_sub(dropped) + payload_bytes(ents);
    }

    /// Replaces the log with a snapshot's point: nothing before or at
    /// `index` is kept.
    pub fn apply_snapshot(&mut self, index: u64, term: u64, cs: ConfState) {
        self.entries.clear();
        self.bytes = 0;
        self.truncated_index = index;
        self.truncated_term = term;
        self.cs = cs;
        self.applied = index;
        if self.hs.commit < index {
            self.hs.commit = index;
        }
    }

    /// Drops entries up to and including `index`.
    pub fn compact_to(&mut self, index: u64) {
        if index <= self.truncated_index || index > self.last_index() {
            return;
        }
        let n = (index - self.truncated_index) as usize;
        let term = self
            .entries
            .get(n - 1)
            .map_or(self.truncated_term, |e| e.term);
        let dropped = payload_bytes(self.entries.get(..n).unwrap_or(&[]));
        self.bytes = self.bytes.saturating_sub(dropped);
        self.entries.drain(..n);
        self.truncated_index = index;
        self.truncated_term = term;
    }
}

/// What entries hold beyond their fixed-size fields.
pub fn payload_bytes(ents: &[Entry]) -> u64 {
    ents.iter()
        .map(|e| (e.data.len() + e.context.len()) as u64)
        .sum()
}

impl raft::Storage for LogStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState {
            hard_state: self.hs.clone(),
            conf_state: self.cs.clone(),
        })
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        if low < self.first_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last_index() + 1 || low > high {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let lo = (low - self.first_index()) as usize;
        let hi = (high - self.first_index()) as usize;
        let slice = self.entries.get(lo..hi).unwrap_or(&[]);
        let max = max_size.into().unwrap_or(u64::MAX);
        let mut out = Vec::with_capacity(slice.len());
        let mut size = 0u64;
        for e in slice {
            size += (e.data.len() + e.context.len() + 24) as u64;
            if !out.is_empty() && size > max {
                break;
            }
            out.push(e.clone());
        }
        Ok(out)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        if idx == self.truncated_index {
            return Ok(self.truncated_term);
        }
        if idx < self.truncated_index {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        let pos = (idx - self.first_index()) as usize;
        match self.entries.get(pos) {
            Some(e) => Ok(e.term),
            None => Err(raft::Error::Store(StorageError::Unavailable)),
        }
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(LogStore::first_index(self))
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(LogStore::last_index(self))
    }

    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        // Only the metadata travels in the Raft message: the group's data is
        // streamed separately, read at this same applied index (the shard
        // takes the view before it applies anything further).
        let index = self.applied;
        if index == 0 || index < request_index {
            return Err(raft::Error::Store(
                StorageError::SnapshotTemporarilyUnavailable,
            ));
        }
        let term = raft::Storage::term(self, index)?;
        let mut snap = Snapshot::default();
        let meta = snap.mut_metadata();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(self.cs.clone());
        Ok(snap)
    }
}

#[cfg(test)]
mod bytes_tests {
    use super::*;

    fn entry(index: u64, len: usize) -> Entry {
        Entry {
            index,
            term: 1,
            data: vec![0u8; len].into(),
            ..Default::default()
        }
    }

    #[test]
    fn bytes_follow_append_conflict_compact_and_snapshot() {
        let mut log = LogStore::default();
        log.append(&[entry(1, 10), entry(2, 20), entry(3, 30)]);
        assert_eq!(log.bytes, 60);
        // A conflicting suffix from index 2 is replaced.
        log.append(&[entry(2, 5)]);
        assert_eq!(log.bytes, 15);
        log.append(&[entry(3, 7)]);
        log.compact_to(2);
        assert_eq!(log.bytes, 7);
        assert_eq!(log.bytes, payload_bytes(&log.entries));
        log.apply_snapshot(9, 1, ConfState::default());
        assert_eq!(log.bytes, 0);
    }
}
