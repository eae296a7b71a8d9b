//! The Raft log of one core: append-only segment files shared by all the
//! core's groups (docs/design/0020).
//!
//! Each record is `len u32 | crc32 u32 | body`, little endian, the CRC over
//! the body; the body is `kind u8 | gid u32 | payload`. The persist thread
//! appends every record of a group commit with one write and, when asked,
//! one fdatasync ([`WalWriter`]). Nothing is ever rewritten in place: a
//! segment is read back only at start-up ([`recover`]) and removed whole
//! once a newer segment begins with a checkpoint of every group's live log
//! and the state machine has flushed what the older ones held.
//!
//! Replay rules, per group, in file and record order:
//! - `Entries` starting at index `i` drop the group's entries from `i` on
//!   and append (Raft's conflict rule); entries starting beyond the last
//!   one plus one replace everything (the older ones were truncated).
//! - `Hard` replaces the hard state.
//! - `Reset` (a snapshot was installed at `index`) drops every entry.
//!
//! A record that is short, zero-length or fails its CRC ends its file: a
//! crash can tear only the tail of the file being written, and the writer
//! never appends to a file it did not create in this run.

use bytes::{Buf, BufMut, Bytes};
use raft::eraftpb::{Entry, EntryType, HardState};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const KIND_ENTRIES: u8 = 1;
const KIND_HARD: u8 = 2;
const KIND_RESET: u8 = 3;
const HEADER: usize = 8;
/// A record larger than this is torn or corrupt (a Ready carries at most
/// a few MiB of entries).
const MAX_RECORD: usize = 1 << 30;

/// What a core's shard hands the persist thread for its log.
#[derive(Debug, Clone)]
pub enum LogRec {
    /// New entries of a group (a Ready's, or a checkpoint's live tail).
    Entries(u32, Vec<Entry>),
    /// A group's hard state (term, vote, commit).
    Hard(u32, HardState),
    /// A snapshot at (index, term) replaced the group's log.
    Reset(u32, u64, u64),
}

impl LogRec {
    /// Bytes this record takes in a segment (close enough for rotation).
    pub fn size(&self) -> usize {
        HEADER
            + 5
            + match self {
                LogRec::Entries(_, es) => {
                    es.iter().map(|e| 29 + e.data.len() + e.context.len()).sum()
                }
                LogRec::Hard(..) => 24,
                LogRec::Reset(..) => 16,
            }
    }
}

/// Appends `rec`'s encoding to `out`.
pub fn encode(rec: &LogRec, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; HEADER]);
    match rec {
        LogRec::Entries(gid, es) => {
            out.put_u8(KIND_ENTRIES);
            out.put_u32_le(*gid);
            for e in es {
                out.put_u64_le(e.index);
                out.put_u64_le(e.term);
                out.put_u8(e.get_entry_type() as u8);
                out.put_u32_le(e.data.len() as u32);
                out.extend_from_slice(&e.data);
                out.put_u32_le(e.context.len() as u32);
                out.extend_from_slice(&e.context);
            }
        }
        LogRec::Hard(gid, hs) => {
            out.put_u8(KIND_HARD);
            out.put_u32_le(*gid);
            out.put_u64_le(hs.term);
            out.put_u64_le(hs.vote);
            out.put_u64_le(hs.commit);
        }
        LogRec::Reset(gid, index, term) => {
            out.put_u8(KIND_RESET);
            out.put_u32_le(*gid);
            out.put_u64_le(*index);
            out.put_u64_le(*term);
        }
    }
    let body_len = out.len() - start - HEADER;
    let crc = crc32fast::hash(out.get(start + HEADER..).unwrap_or(&[]));
    let mut header = [0u8; HEADER];
    header[..4].copy_from_slice(&(body_len as u32).to_le_bytes());
    header[4..].copy_from_slice(&crc.to_le_bytes());
    if let Some(h) = out.get_mut(start..start + HEADER) {
        h.copy_from_slice(&header);
    }
}

/// Decodes one record body (after the header); `None` if malformed.
fn decode(body: Bytes) -> Option<LogRec> {
    let mut b = body;
    if b.remaining() < 5 {
        return None;
    }
    let kind = b.get_u8();
    let gid = b.get_u32_le();
    match kind {
        KIND_ENTRIES => {
            let mut es = Vec::new();
            while b.has_remaining() {
                if b.remaining() < 21 {
                    return None;
                }
                let index = b.get_u64_le();
                let term = b.get_u64_le();
                let ty = match b.get_u8() {
                    0 => EntryType::EntryNormal,
                    1 => EntryType::EntryConfChange,
                    2 => EntryType::EntryConfChangeV2,
                    _ => return None,
                };
                let dlen = b.get_u32_le() as usize;
                if b.remaining() < dlen + 4 {
                    return None;
                }
                let data = b.split_to(dlen);
                let clen = b.get_u32_le() as usize;
                if b.remaining() < clen {
                    return None;
                }
                let context = b.split_to(clen);
                let mut e = Entry {
                    index,
                    term,
                    data,
                    context,
                    ..Default::default()
                };
                e.set_entry_type(ty);
                es.push(e);
            }
            Some(LogRec::Entries(gid, es))
        }
        KIND_HARD => {
            if b.remaining() != 24 {
                return None;
            }
            let hs = HardState {
                term: b.get_u64_le(),
                vote: b.get_u64_le(),
                commit: b.get_u64_le(),
                ..Default::default()
            };
            Some(LogRec::Hard(gid, hs))
        }
        KIND_RESET => {
            if b.remaining() != 16 {
                return None;
            }
            Some(LogRec::Reset(gid, b.get_u64_le(), b.get_u64_le()))
        }
        _ => None,
    }
}

/// One group's log as the segments left it.
#[derive(Debug, Default, Clone)]
pub struct GroupLog {
    /// Contiguous entries (possibly starting anywhere).
    pub entries: Vec<Entry>,
    pub hs: Option<HardState>,
    /// The last snapshot installed, (index, term), if a `Reset` was seen.
    pub reset: Option<(u64, u64)>,
}

impl GroupLog {
    /// Applies one record of this group (the replay rules above).
    pub fn replay(&mut self, rec: LogRec) {
        match rec {
            LogRec::Entries(_, es) => {
                let Some(first) = es.first().map(|e| e.index) else {
                    return;
                };
                match (self.entries.first(), self.entries.last()) {
                    (Some(f), Some(l)) if first >= f.index && first <= l.index + 1 => {
                        let keep = (first - f.index) as usize;
                        self.entries.truncate(keep);
                    }
                    // Before everything held, or after a gap: the older
                    // entries were truncated or replaced.
                    _ => self.entries.clear(),
                }
                self.entries.extend(es);
            }
            LogRec::Hard(_, hs) => self.hs = Some(hs),
            LogRec::Reset(_, index, term) => {
                self.entries.clear();
                self.reset = Some((index, term));
            }
        }
    }
}

fn gid_of(rec: &LogRec) -> u32 {
    match rec {
        LogRec::Entries(g, _) | LogRec::Hard(g, _) | LogRec::Reset(g, _, _) => *g,
    }
}

/// Everything the segments of one core hold.
#[derive(Debug, Default)]
pub struct Recovered {
    pub groups: HashMap<u32, GroupLog>,
    /// Segment numbers found, oldest first.
    pub segments: Vec<u64>,
    /// Files whose valid records ended before a bad (not zero) header or
    /// CRC, with the offset: a torn tail, or corruption if not the newest.
    pub torn: Vec<(u64, u64)>,
}

fn segment_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:016x}.log"))
}

/// The segment numbers in `dir`, oldest first.
fn list(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for ent in rd {
        let name = ent?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(hex) = name.strip_suffix(".log")
            && hex.len() == 16
            && let Ok(n) = u64::from_str_radix(hex, 16)
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Reads every segment in `dir` (missing: nothing), in order.
pub fn recover(dir: &Path) -> std::io::Result<Recovered> {
    let mut rec = Recovered {
        segments: list(dir)?,
        ..Default::default()
    };
    for &n in &rec.segments.clone() {
        let mut buf = Vec::new();
        File::open(segment_path(dir, n))?.read_to_end(&mut buf)?;
        let buf = Bytes::from(buf);
        let mut pos = 0usize;
        while let Some(h) = buf.get(pos..pos + HEADER) {
            let mut header = [0u8; HEADER];
            header.copy_from_slice(h);
            let [a, b, c, d, e, f, g, i] = header;
            let len = u32::from_le_bytes([a, b, c, d]) as usize;
            let crc = u32::from_le_bytes([e, f, g, i]);
            if len == 0 && crc == 0 {
                break;
            }
            let end = pos + HEADER + len;
            let body = match buf.get(pos + HEADER..end) {
                Some(b) if len <= MAX_RECORD && crc32fast::hash(b) == crc => {
                    buf.slice(pos + HEADER..end)
                }
                _ => {
                    rec.torn.push((n, pos as u64));
                    break;
                }
            };
            let Some(r) = decode(body) else {
                rec.torn.push((n, pos as u64));
                break;
            };
            rec.groups.entry(gid_of(&r)).or_default().replay(r);
            pos = end;
        }
    }
    Ok(rec)
}

/// The persist thread's side: appends to the newest segment.
pub struct WalWriter {
    dir: PathBuf,
    file: File,
    current: u64,
    /// Older segments still on disk (purged once a checkpoint covers them).
    older: Vec<u64>,
    buf: Vec<u8>,
    /// Bytes written to the current segment.
    written: u64,
}

impl WalWriter {
    /// Starts a new segment after the newest in `dir` (creating `dir`):
    /// a file torn by a crash is never appended to.
    pub fn open(dir: &Path) -> std::io::Result<WalWriter> {
        std::fs::create_dir_all(dir)?;
        let older = list(dir)?;
        let current = older.last().map_or(1, |n| n + 1);
        let file = create(dir, current)?;
        Ok(WalWriter {
            dir: dir.to_path_buf(),
            file,
            current,
            older,
            buf: Vec::with_capacity(1 << 20),
            written: 0,
        })
    }

    /// The segment being written.
    pub fn current(&self) -> u64 {
        self.current
    }

    /// Encodes records into the pending write.
    pub fn add(&mut self, recs: &[LogRec]) {
        for r in recs {
            encode(r, &mut self.buf);
        }
    }

    /// Writes what `add` collected (one write) and, with `sync`,
    /// fdatasyncs it.
    pub fn write(&mut self, sync: bool) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
            if self.buf.capacity() > 8 << 20 {
                self.buf = Vec::with_capacity(1 << 20);
            }
        }
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Writes what is pending to the current segment, then starts the next
    /// one (what is added next lands there). The old one stays until
    /// [`WalWriter::purge_before`].
    pub fn rotate(&mut self, sync: bool) -> std::io::Result<u64> {
        self.write(sync)?;
        if self.written == 0 {
            // Nothing in the current segment yet (a fresh start): it can
            // begin with the checkpoint itself.
            return Ok(self.current);
        }
        let next = self.current + 1;
        let file = create(&self.dir, next)?;
        self.older.push(self.current);
        self.file = file;
        self.current = next;
        self.written = 0;
        Ok(next)
    }

    /// Removes every segment older than `n` (after syncing the current
    /// one, so the checkpoint that replaces them is on disk first).
    pub fn purge_before(&mut self, n: u64) -> std::io::Result<usize> {
        let mut removed = 0;
        while self.purge_oldest_before(n)? {
            removed += 1;
        }
        Ok(removed)
    }

    /// Removes the oldest segment older than `n`, if any (after syncing
    /// the current one); `Ok(false)` when none is left. One file at a time
    /// so a crash can be tested between two removals.
    pub fn purge_oldest_before(&mut self, n: u64) -> std::io::Result<bool> {
        let Some(pos) = self.older.iter().position(|&s| s < n) else {
            return Ok(false);
        };
        self.file.sync_data()?;
        let s = self.older.remove(pos);
        std::fs::remove_file(segment_path(&self.dir, s))?;
        sync_dir(&self.dir)?;
        Ok(true)
    }

    /// Segments on disk besides the current one.
    pub fn older(&self) -> &[u64] {
        &self.older
    }
}

fn create(dir: &Path, n: u64) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(segment_path(dir, n))?;
    // The new name must survive a power loss before anything in it counts.
    sync_dir(dir)?;
    Ok(f)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, term: u64, data: &[u8]) -> Entry {
        Entry {
            index,
            term,
            data: Bytes::copy_from_slice(data),
            ..Default::default()
        }
    }

    fn indexes(g: &GroupLog) -> Vec<(u64, u64)> {
        g.entries.iter().map(|e| (e.index, e.term)).collect()
    }

    #[test]
    fn records_round_trip_through_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WalWriter::open(dir.path()).unwrap();
        let mut cc = entry(3, 1, b"conf");
        cc.set_entry_type(EntryType::EntryConfChange);
        cc.context = Bytes::from_static(b"ctx");
        w.add(&[
            LogRec::Entries(7, vec![entry(1, 1, b"a"), entry(2, 1, b"b"), cc]),
            LogRec::Hard(
                7,
                HardState {
                    term: 1,
                    vote: 3,
                    commit: 2,
                    ..Default::default()
                },
            ),
            LogRec::Entries(9, vec![entry(5, 2, b"x")]),
        ]);
        w.write(true).unwrap();
        // A follower's conflicting suffix, in the next segment.
        w.rotate(false).unwrap();
        w.add(&[LogRec::Entries(
            7,
            vec![entry(3, 2, b"c2"), entry(4, 2, b"d")],
        )]);
        w.write(false).unwrap();
        drop(w);
        let r = recover(dir.path()).unwrap();
        assert_eq!(r.segments, vec![1, 2]);
        assert!(r.torn.is_empty());
        let g7 = &r.groups[&7];
        assert_eq!(indexes(g7), vec![(1, 1), (2, 1), (3, 2), (4, 2)]);
        assert_eq!(g7.hs.as_ref().map(|h| h.vote), Some(3));
        assert_eq!(&g7.entries[2].data[..], b"c2");
        assert_eq!(indexes(&r.groups[&9]), vec![(5, 2)]);
    }

    #[test]
    fn conflicting_entries_replace_the_suffix_and_a_reset_drops_all() {
        let mut g = GroupLog::default();
        g.replay(LogRec::Entries(
            1,
            (1..=10).map(|i| entry(i, 1, b"v")).collect(),
        ));
        g.replay(LogRec::Entries(1, vec![entry(6, 2, b"w")]));
        assert_eq!(indexes(&g).last(), Some(&(6, 2)));
        assert_eq!(g.entries.len(), 6);
        // A checkpoint rewriting the live tail keeps the same entries.
        g.replay(LogRec::Entries(
            1,
            (4..=6)
                .map(|i| entry(i, if i == 6 { 2 } else { 1 }, b"v"))
                .collect(),
        ));
        assert_eq!(g.entries.len(), 6);
        // After a gap the old entries are stale.
        g.replay(LogRec::Entries(1, vec![entry(20, 3, b"z")]));
        assert_eq!(indexes(&g), vec![(20, 3)]);
        g.replay(LogRec::Reset(1, 30, 3));
        assert!(g.entries.is_empty());
        assert_eq!(g.reset, Some((30, 3)));
    }

    #[test]
    fn a_torn_tail_ends_its_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WalWriter::open(dir.path()).unwrap();
        w.add(&[LogRec::Entries(
            1,
            vec![entry(1, 1, b"a"), entry(2, 1, b"b")],
        )]);
        w.add(&[LogRec::Entries(1, vec![entry(3, 1, b"c")])]);
        w.write(false).unwrap();
        drop(w);
        // Tear the second record: cut its last byte.
        let p = segment_path(dir.path(), 1);
        let len = std::fs::metadata(&p).unwrap().len();
        let f = OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(len - 1).unwrap();
        // A restart writes a new segment after the torn one.
        let mut w = WalWriter::open(dir.path()).unwrap();
        assert_eq!(w.current(), 2);
        w.add(&[LogRec::Entries(1, vec![entry(3, 2, b"c")])]);
        w.write(false).unwrap();
        let r = recover(dir.path()).unwrap();
        assert_eq!(r.torn.len(), 1);
        assert_eq!(indexes(&r.groups[&1]), vec![(1, 1), (2, 1), (3, 2)]);
        // A flipped byte fails the CRC the same way.
        let mut bytes = std::fs::read(segment_path(dir.path(), 2)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(segment_path(dir.path(), 2), &bytes).unwrap();
        let r = recover(dir.path()).unwrap();
        assert_eq!(indexes(&r.groups[&1]), vec![(1, 1), (2, 1)]);
    }

    #[test]
    fn purge_removes_only_older_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WalWriter::open(dir.path()).unwrap();
        assert_eq!(w.rotate(false).unwrap(), 1, "an empty segment is kept");
        w.add(&[LogRec::Entries(1, vec![entry(1, 1, b"a")])]);
        let n2 = w.rotate(false).unwrap();
        w.add(&[LogRec::Entries(1, vec![entry(2, 1, b"b")])]);
        let n3 = w.rotate(false).unwrap();
        assert_eq!((n2, n3), (2, 3));
        assert_eq!(w.purge_before(n3).unwrap(), 2);
        assert_eq!(list(dir.path()).unwrap(), vec![3]);
        assert!(w.older().is_empty());
    }
}
