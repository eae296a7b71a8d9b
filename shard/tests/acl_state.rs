//! The meta group's users (docs/design/0028): an ACL change proposed on
//! group 0 is applied, handed to the io layer once, refused changes leave
//! the users as they were, and the users survive a reopen.

mod common;
use common::{argv, settle};
use corekv_core::Reply;
use corekv_core::acl::Acl;
use corekv_shard::{Engine, GroupSpec, Shard};

fn specs() -> Vec<GroupSpec> {
    vec![
        GroupSpec { id: 0, slots: 0..0 },
        GroupSpec {
            id: 1,
            slots: 0..16384,
        },
    ]
}

#[test]
fn acl_changes_apply_on_the_meta_group_and_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hash = corekv_core::acl::hash_password(b"pw");
    {
        let engine = Engine::open(dir.path(), 8 << 20).expect("open");
        let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
        settle(&mut shard);
        assert_eq!(shard.take_acl(), None, "nothing applied yet");
        let meta = 0;
        assert!(shard.is_leader(meta));
        let rule = format!("#{hash}");
        shard
            .propose_acl(meta, &argv(&["SETUSER", "bob", "on", &rule, "+get"]), 1)
            .expect("propose");
        shard
            .propose_acl(meta, &argv(&["SETUSER", "bob", "bogus"]), 2)
            .expect("propose");
        let done = settle(&mut shard);
        assert_eq!(
            done[0],
            (1, Reply::Array(vec![Reply::ok(), Reply::Integer(1)]))
        );
        assert!(done[1].1.is_error(), "{:?}", done[1]);
        let blob = shard.take_acl().expect("applied users");
        assert_eq!(shard.take_acl(), None, "handed over once");
        let acl = Acl::decode(&blob).expect("decodes");
        assert_eq!(acl.seq, 1, "the refused change counts nothing");
        assert!(acl.authenticate(b"bob", b"pw").is_some());
        // Only the meta group applies them.
        assert!(shard.propose_acl(1, &argv(&["SETUSER", "x"]), 3).is_err());
    }
    let engine = Engine::open(dir.path(), 8 << 20).expect("reopen");
    let mut shard = Shard::open(engine, &specs(), 1 << 20).expect("shard");
    let blob = shard.take_acl().expect("users at open");
    let acl = Acl::decode(&blob).expect("decodes");
    assert!(acl.authenticate(b"bob", b"pw").is_some());
    settle(&mut shard);
    shard
        .propose_acl(0, &argv(&["DELUSER", "bob"]), 4)
        .expect("propose");
    let done = settle(&mut shard);
    assert_eq!(
        done.last().map(|d| d.1.clone()),
        Some(Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)]))
    );
    let acl = Acl::decode(&shard.take_acl().expect("changed")).expect("decodes");
    assert!(acl.get(b"bob").is_none());
}
