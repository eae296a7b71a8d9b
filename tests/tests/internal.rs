//! Internal commands on a single node (corekv only): without
//! `--cluster-secret-file` nothing can run them; with one, only a
//! connection that presented the secret can.

use corekv_tests::{Reply, Server, corekv_only};

fn is_unknown(r: &Reply, name: &str) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with(&format!("ERR unknown command '{name}'")))
}

#[test]
fn without_a_secret_no_connection_runs_internal_commands() {
    if !corekv_only("without_a_secret_no_connection_runs_internal_commands") {
        return;
    }
    let s = Server::start(&[]);
    let mut c = s.resp();
    assert!(is_unknown(&c.cmd(&["COREKV.MEMBER", ""]), "COREKV.MEMBER"));
    assert!(is_unknown(
        &c.cmd(&["COREKV.MEMBER", "0123456789abcdef"]),
        "COREKV.MEMBER"
    ));
    assert!(is_unknown(
        &c.cmd(&["COREKV.CLUSTER", "MEMBERS"]),
        "COREKV.CLUSTER"
    ));
    assert!(is_unknown(
        &c.cmd(&["COREKV.COUNTKEYSINSLOT", "0"]),
        "COREKV.COUNTKEYSINSLOT"
    ));
    // The connection still works normally afterwards.
    assert_eq!(c.cmd(&["PING"]), Reply::Simple("PONG".into()));
}

#[test]
fn with_a_secret_only_members_run_internal_commands() {
    if !corekv_only("with_a_secret_only_members_run_internal_commands") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "single-node-secret-0123\n").expect("write");
    let s = Server::start(&["--cluster-secret-file", secret.to_str().expect("utf8")]);
    let mut c = s.resp();
    assert_eq!(c.cmd(&["SET", "{s}k", "v"]), Reply::ok());
    // CRC16("s") mod 16384 (the hash tag's slot).
    let slot = "3828";
    assert!(is_unknown(
        &c.cmd(&["COREKV.COUNTKEYSINSLOT", slot]),
        "COREKV.COUNTKEYSINSLOT"
    ));
    // The trailing newline is not part of the secret; a near miss fails.
    assert!(is_unknown(
        &c.cmd(&["COREKV.MEMBER", "single-node-secret-012"]),
        "COREKV.MEMBER"
    ));
    assert!(s.log().contains("wrong cluster secret"), "{}", s.log());
    assert_eq!(
        c.cmd(&["COREKV.MEMBER", "single-node-secret-0123"]),
        Reply::ok()
    );
    assert_eq!(c.cmd(&["COREKV.COUNTKEYSINSLOT", slot]), Reply::Int(1));
    // Membership is per connection.
    let mut other = s.resp();
    assert!(is_unknown(
        &other.cmd(&["COREKV.COUNTKEYSINSLOT", slot]),
        "COREKV.COUNTKEYSINSLOT"
    ));
}
