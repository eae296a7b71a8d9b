//! A storage read error is never "the key is absent" (corekv only): with
//! reads of the data store failing (`COREKV.DEBUG READFAULT`, needs
//! `--debug-commands`), GET answers an error instead of nil, and an INCR
//! waits instead of computing from 0; once reads work it computes from the
//! stored value.

use corekv_tests::{Reply, Resp, Server, corekv_only};
use std::time::{Duration, Instant};

const FAULT: &str = "ERR storage read error: injected read fault";

fn node_counter(s: &Server, name: &str) -> u64 {
    s.stats()["node"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no node.{name} in stats"))
}

#[test]
fn a_read_fault_is_an_error_and_a_write_waits_for_the_stored_value() {
    if !corekv_only("a_read_fault_is_an_error_and_a_write_waits_for_the_stored_value") {
        return;
    }
    let mut s = Server::start(&["--debug-commands"]);
    assert_eq!(s.resp().cmd(&["SET", "k", "10"]), Reply::ok());
    // `m` is read only at the very end, two restarts later.
    assert_eq!(s.resp().cmd(&["SET", "m", "x"]), Reply::ok());
    // A restart empties the row cache: the next read of k goes to disk.
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    let mut admin = s.resp();
    assert_eq!(admin.cmd(&["COREKV.DEBUG", "READFAULT", "ON"]), Reply::ok());
    assert_eq!(admin.cmd(&["GET", "k"]), Reply::err(FAULT));
    assert_eq!(admin.cmd(&["EXISTS", "k"]), Reply::err(FAULT));
    assert_eq!(admin.cmd(&["KEYS", "*"]), Reply::err(FAULT));

    // INCR from another connection: no reply while reads fail (today's
    // code answered 1 at once, overwriting 10).
    let stream = s.raw();
    let probe = stream.try_clone().expect("clone");
    let mut writer = Resp::from_stream(stream, Duration::from_millis(1500));
    writer.send(&["INCR", "k"]).expect("send");
    let waited = Instant::now();
    match writer.read_reply() {
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
        Ok(r) => panic!("INCR answered {r:?} while reads fail"),
    }
    assert!(waited.elapsed() >= Duration::from_millis(1000));
    assert!(node_counter(&s, "apply_stalls") >= 1);
    assert!(node_counter(&s, "storage_read_errors") >= 3);

    assert_eq!(
        admin.cmd(&["COREKV.DEBUG", "READFAULT", "OFF"]),
        Reply::ok()
    );
    probe
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    assert_eq!(writer.read_reply().expect("INCR reply"), Reply::Int(11));
    assert_eq!(admin.cmd(&["GET", "k"]), Reply::bulk("11"));

    // A counted fault fails that many reads, then reads work again, and a
    // failed read was not remembered as "absent".
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    let mut admin = s.resp();
    // A restart may replay the last entries (their applied marker rides
    // with a later data write), and a replayed write reads its key, which
    // would use up the counted fault. A read waits until its group has
    // applied an entry of the new term, so this read sees the replay of the
    // only group the last process wrote to (k's) done before the fault is
    // set; `m` was last written two processes ago, so nothing replays it.
    assert_eq!(admin.cmd(&["GET", "k"]), Reply::bulk("11"));
    assert_eq!(admin.cmd(&["COREKV.DEBUG", "READFAULT", "1"]), Reply::ok());
    assert_eq!(admin.cmd(&["GET", "m"]), Reply::err(FAULT));
    assert_eq!(admin.cmd(&["GET", "m"]), Reply::bulk("x"));
    assert_eq!(admin.cmd(&["APPEND", "m", "y"]), Reply::Int(2));
    assert_eq!(
        admin.cmd(&["COREKV.DEBUG", "READFAULT", "sometimes"]),
        Reply::err("ERR READFAULT takes a read count, ON or OFF")
    );
}

#[test]
fn readfault_needs_debug_commands() {
    if !corekv_only("readfault_needs_debug_commands") {
        return;
    }
    let s = Server::start(&[]);
    let r = s.resp().cmd(&["COREKV.DEBUG", "READFAULT", "ON"]);
    assert!(r.is_error(), "{r:?}");
    assert_eq!(s.resp().cmd(&["SET", "k", "1"]), Reply::ok());
    assert_eq!(s.resp().cmd(&["GET", "k"]), Reply::bulk("1"));
}
