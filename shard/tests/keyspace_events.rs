//! Keyspace events at apply: collected only while `set_notify` selects
//! some class, once per applied entry (a stalled entry that is retried
//! emits when it finally applies, never twice), the fast SET path
//! included, tagged with the applying group.

mod common;
use bytes::Bytes;
use common::{argv, settle};
use corekv_core::notify::parse_flags;
use corekv_shard::{Engine, GroupSpec, Shard};
use std::path::Path;

fn open(dir: &Path) -> Shard {
    let engine = Engine::open(dir, 8 << 20).expect("open");
    let spec = GroupSpec {
        id: 7,
        slots: 0..16384,
    };
    Shard::open(engine, &[spec], 1 << 20).expect("shard")
}

fn flags(s: &str) -> u32 {
    parse_flags(s.as_bytes()).expect("flags")
}

/// (group id, "event key") of the events taken.
fn events(shard: &mut Shard) -> Vec<(u32, String)> {
    shard
        .take_key_events()
        .into_iter()
        .map(|(g, e)| {
            (
                g,
                format!("{} {}", e.event, String::from_utf8_lossy(&e.key)),
            )
        })
        .collect()
}

fn want(evs: &[&str]) -> Vec<(u32, String)> {
    evs.iter().map(|e| (7, e.to_string())).collect()
}

fn batch(cmds: &[&[&str]]) -> Vec<Vec<Bytes>> {
    cmds.iter().map(|c| argv(c)).collect()
}

#[test]
fn nothing_is_collected_by_default_nor_without_k_or_e() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shard = open(dir.path());
    settle(&mut shard);
    shard
        .propose(0, 1000, &argv(&["SET", "a", "1"]), 1)
        .expect("propose");
    shard
        .propose(0, 1000, &argv(&["LPUSH", "l", "x"]), 2)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 2);
    assert_eq!(events(&mut shard), vec![]);
    // Classes without K or E publish nothing: nothing collected either.
    shard.set_notify(flags("A"));
    shard
        .propose(0, 1000, &argv(&["SET", "a", "2"]), 3)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 1);
    assert_eq!(events(&mut shard), vec![]);
}

#[test]
fn applied_entries_emit_their_events_in_order_filtered_by_class() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut shard = open(dir.path());
    settle(&mut shard);
    shard.set_notify(flags("KEA"));
    // One entry: fast-path SETs (the second overwrites the first, an
    // inline string in the overlay), then commands through the view.
    let cmds = batch(&[
        &["SET", "a", "1"],
        &["SET", "a", "2"],
        &["RPUSH", "l", "x"],
        &["LPOP", "l"],
        &["SET", "b", "1", "PX", "5"],
        &["INCRBYFLOAT", "a", "1.5"],
        &["RENAME", "a", "c"],
        &["GET", "c"],
    ]);
    shard
        .propose_batch(0, 1000, &cmds, (1..=8).collect())
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 8);
    assert_eq!(
        events(&mut shard),
        want(&[
            "set a",
            "set a",
            "rpush l",
            "lpop l",
            "del l",
            "set b",
            "expire b",
            "incrbyfloat a",
            "rename_from a",
            "rename_to c",
        ])
    );
    // Active expiry's delete, and a lazy one by a write, are `expired`;
    // `n` adds `new`.
    shard.set_notify(flags("KEAn"));
    shard
        .propose(0, 2000, &argv(&["SET", "e", "1", "PX", "5"]), 9)
        .expect("propose");
    shard
        .propose(0, 3000, &argv(&["COREKV.EXPIREIF", "b"]), 10)
        .expect("propose");
    shard
        .propose(0, 3000, &argv(&["SET", "e", "2"]), 11)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 3);
    assert_eq!(
        events(&mut shard),
        want(&[
            "new e",
            "set e",
            "expire e",
            "expired b",
            "expired e",
            "new e",
            "set e"
        ])
    );
    // Only the selected classes: lists here.
    shard.set_notify(flags("El"));
    shard
        .propose(0, 3000, &argv(&["SET", "x", "1"]), 12)
        .expect("propose");
    shard
        .propose(0, 3000, &argv(&["LPUSH", "m", "1"]), 13)
        .expect("propose");
    shard
        .propose(0, 3000, &argv(&["DEL", "m"]), 14)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 3);
    assert_eq!(events(&mut shard), want(&["lpush m"]));
    // Off again: nothing.
    shard.set_notify(0);
    shard
        .propose(0, 3000, &argv(&["LPUSH", "m", "1"]), 15)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 1);
    assert_eq!(events(&mut shard), vec![]);
}

/// An entry whose read fails waits and runs again whole (its fast-path
/// SETs too): its events come once, when it applies.
#[test]
fn a_stalled_entry_emits_once_when_it_applies() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut shard = open(dir.path());
        settle(&mut shard);
        shard
            .propose(0, 1000, &argv(&["SET", "k", "10"]), 1)
            .expect("propose");
        assert_eq!(settle(&mut shard).len(), 1);
    }
    // Reopened: `k` is cold (a read of it goes to fjall and can fail).
    let mut shard = open(dir.path());
    settle(&mut shard);
    shard.set_notify(flags("KEA"));
    shard
        .propose(0, 1000, &argv(&["SET", "a", "0"]), 2)
        .expect("propose");
    assert_eq!(settle(&mut shard).len(), 1);
    assert_eq!(events(&mut shard), want(&["set a"]));
    let health = shard.engine().health.clone();
    health.inject(u64::MAX);
    // `a` is in the row cache: its SET takes the fast path, then INCR's
    // read of `k` fails.
    let cmds = batch(&[&["SET", "a", "1"], &["INCR", "k"]]);
    shard
        .propose_batch(0, 1000, &cmds, vec![3, 4])
        .expect("propose");
    for _ in 0..5 {
        assert_eq!(settle(&mut shard), vec![]);
        assert_eq!(events(&mut shard), vec![], "a stalled entry emits nothing");
    }
    assert!(shard.apply_stalled());
    health.inject(0);
    assert_eq!(settle(&mut shard).len(), 2);
    assert_eq!(events(&mut shard), want(&["set a", "incrby k"]));
}
