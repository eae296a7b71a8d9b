//! A write goes propose → persist → commit → apply → reply, and survives a
//! reopen of the database (log replay from the applied index).

mod common;
use common::{argv, settle};
use corekv_core::Reply;
use corekv_shard::wal::LogRec;
use corekv_shard::{Engine, GroupSpec, PersistJob, Shard};

fn specs() -> Vec<GroupSpec> {
    vec![
        GroupSpec {
            id: 1,
            slots: 0..8192,
        },
        GroupSpec {
            id: 2,
            slots: 8192..16384,
        },
    ]
}

#[test]
fn write_is_applied_after_persist_and_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let engine = Engine::open(dir.path(), 8 << 20).expect("open");
        let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
        settle(&mut shard);
        let key_slot = corekv_core::slot::key_slot(b"foo");
        let pos = shard.group_of_slot(key_slot).expect("group");
        assert!(shard.is_leader(pos));
        shard
            .propose(pos, 1000, &argv(&["SET", "foo", "bar"]), 7)
            .expect("propose");
        shard
            .propose(pos, 1000, &argv(&["INCR", "foo"]), 8)
            .expect("propose");
        // Not applied before it is durable.
        assert_eq!(shard.read(pos, &argv(&["GET", "foo"]), 1000, 0), Reply::Nil);
        let done = settle(&mut shard);
        assert_eq!(done.len(), 2);
        assert_eq!(done[0], (7, Reply::ok()));
        assert_eq!(
            done[1],
            (
                8,
                Reply::Error("ERR value is not an integer or out of range".into())
            )
        );
        assert_eq!(
            shard.read(pos, &argv(&["GET", "foo"]), 1000, 0),
            Reply::bulk(&b"bar"[..])
        );
        for i in 0..6000 {
            let k = format!("k{i}");
            let p = shard
                .group_of_slot(corekv_core::slot::key_slot(k.as_bytes()))
                .expect("g");
            shard
                .propose(p, 1000, &argv(&["SET", &k, "v"]), 100 + i)
                .expect("propose");
            if i % 100 == 0 {
                settle(&mut shard);
            }
        }
        settle(&mut shard);
        assert_eq!(shard.key_count(), 6001);
    }
    let engine = Engine::open(dir.path(), 8 << 20).expect("reopen");
    let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
    // Recovered but not yet caught up: the new term's first entry is not
    // applied, so older committed entries may not be either. No reads yet.
    let p0 = shard
        .group_of_slot(corekv_core::slot::key_slot(b"foo"))
        .expect("group");
    assert!(!shard.read_ready(p0, std::time::Instant::now()));
    settle(&mut shard);
    assert!(shard.read_ready(p0, std::time::Instant::now()));
    let pos = shard
        .group_of_slot(corekv_core::slot::key_slot(b"foo"))
        .expect("group");
    assert_eq!(
        shard.read(pos, &argv(&["GET", "foo"]), 1000, 0),
        Reply::bulk(&b"bar"[..])
    );
    assert_eq!(shard.key_count(), 6001);
    let p = shard
        .group_of_slot(corekv_core::slot::key_slot(b"k5999"))
        .expect("g");
    assert_eq!(
        shard.read(p, &argv(&["GET", "k5999"]), 1000, 0),
        Reply::bulk(&b"v"[..])
    );
    // FLUSHALL on one group clears its range only.
    shard
        .propose(p, 1000, &argv(&["FLUSHALL"]), 1)
        .expect("propose");
    let done = settle(&mut shard);
    assert_eq!(done, vec![(1, Reply::ok())]);
    assert_eq!(shard.read(p, &argv(&["GET", "k5999"]), 1000, 0), Reply::Nil);
    assert!(shard.key_count() < 6001);
}

#[test]
fn unpersisted_writes_are_not_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), 8 << 20).expect("open");
    let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
    settle(&mut shard);
    shard
        .propose(0, 1, &argv(&["SET", "{a}x", "1"]), 1)
        .expect("propose");
    shard.drive().expect("drive");
    let job = shard.take_job().expect("job");
    assert!(!job.log.is_empty(), "the entry goes to the log half");
    // Without on_persisted nothing commits.
    shard.drive().expect("drive");
    assert!(shard.take_completions().is_empty());
}

/// Writes a job the way versions before the segmented log did: log chunks
/// and hard states in fjall's raft keyspace (`gid|'e'|last` → length-
/// prefixed protobuf entries, `gid|'h'` → hard state); the data half only
/// with `data`.
fn persist_legacy(engine: &Engine, job: &PersistJob, data: bool) {
    use corekv_shard::keys;
    use protobuf::Message as _;
    for (k, v) in &job.raft_puts {
        engine.raft.insert(k.as_slice(), v.as_slice()).expect("put");
    }
    for rec in &job.log {
        match rec {
            LogRec::Entries(gid, es) => {
                let mut chunk = Vec::new();
                for e in es {
                    let b = e.write_to_bytes().expect("encode");
                    chunk.extend_from_slice(&(b.len() as u32).to_be_bytes());
                    chunk.extend_from_slice(&b);
                }
                let last = es.last().expect("entries").index;
                engine
                    .raft
                    .insert(keys::chunk_key(*gid, last), chunk)
                    .expect("put");
            }
            LogRec::Hard(gid, hs) => {
                engine
                    .raft
                    .insert(keys::raft_key(*gid, b'h'), hs.write_to_bytes().expect("hs"))
                    .expect("put");
            }
            LogRec::Reset(..) => panic!("no snapshots here"),
        }
    }
    if data {
        engine
            .persist_data(std::slice::from_ref(job))
            .expect("data");
    }
    engine.sync(true).expect("sync");
}

/// A data dir written before the Raft log left fjall: its log (with
/// entries applied but not yet in the data half) is read at open, rewritten
/// into a segment by the open's checkpoint, and its fjall keys deleted.
#[test]
fn a_log_kept_in_fjall_by_an_older_version_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pos;
    {
        let engine = Engine::open(dir.path(), 8 << 20).expect("open");
        let mut shard = Shard::open(engine.clone(), &specs(), 1 << 20).expect("shard");
        for _ in 0..20 {
            shard.drive().expect("drive");
            match shard.take_job() {
                Some(job) => {
                    persist_legacy(&engine, &job, true);
                    shard.on_persisted(job.seq, &job.readies);
                }
                None => break,
            }
        }
        pos = shard
            .group_of_slot(corekv_core::slot::key_slot(b"old"))
            .expect("group");
        assert!(shard.is_leader(pos));
        shard
            .propose(pos, 1000, &argv(&["SET", "old", "kept"]), 1)
            .expect("propose");
        // Log half durable, acknowledged and applied; the data half never
        // written (the old version was killed).
        for _ in 0..5 {
            shard.drive().expect("drive");
            if let Some(job) = shard.take_job() {
                persist_legacy(&engine, &job, false);
                shard.on_log_persisted(&job.readies);
            }
        }
        assert!(
            shard
                .take_completions()
                .iter()
                .any(|(t, r)| *t == 1 && *r == Reply::ok()),
            "the SET was acknowledged"
        );
    }
    // The old version had no segment directory.
    let _ = std::fs::remove_dir_all(dir.path().join("raftlog"));
    let engine = Engine::open(dir.path(), 8 << 20).expect("reopen");
    let mut shard = Shard::open(engine.clone(), &specs(), 1 << 20).expect("shard");
    settle(&mut shard);
    assert_eq!(
        shard.read(pos, &argv(&["GET", "old"]), 1000, 0),
        Reply::bulk(&b"kept"[..])
    );
    let chunk_keys = engine
        .raft
        .iter()
        .filter_map(|kv| kv.key().ok())
        .filter(|k| k.get(4) == Some(&b'e') || k.get(4) == Some(&b'h'))
        .count();
    assert_eq!(
        chunk_keys, 0,
        "the fjall log is deleted after the checkpoint"
    );
    drop(shard);
    drop(engine);
    // And the migrated log alone (segments) reopens.
    let engine = Engine::open(dir.path(), 8 << 20).expect("reopen");
    let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
    settle(&mut shard);
    assert_eq!(
        shard.read(pos, &argv(&["GET", "old"]), 1000, 0),
        Reply::bulk(&b"kept"[..])
    );
}
