//! A GET that misses the row cache while such misses are slow runs on the
//! miss pool, not on the core's executor (docs/design/0022; corekv only).
//! Slow misses are made deterministic with `COREKV.DEBUG READDELAY` (every
//! data read that misses the row cache sleeps first; needs
//! `--debug-commands`): after a few slow inline misses the core sends its
//! misses to the pool, cold GETs still return the right values in order,
//! and PING is answered while a pipeline of them sleeps on the pool. Once
//! reads are fast again, misses come back inline.

use corekv_tests::{Reply, Resp, Server, corekv_only};
use std::time::{Duration, Instant};

/// The injected delay of each data read.
const DELAY: Duration = Duration::from_millis(40);

const KEYS: usize = 1000;

fn key(i: usize) -> String {
    format!("cold:{i}")
}

fn value(i: usize) -> String {
    format!("value-{i}-{}", "x".repeat(i % 7))
}

fn misses(s: &Server) -> serde_json::Value {
    s.stats()["node"]["misses"].clone()
}

fn offloading(s: &Server) -> bool {
    misses(s)["cores"][0]["offloading"]
        .as_bool()
        .expect("node.misses.cores[0].offloading in stats")
}

#[test]
fn cold_gets_leave_the_executor_free_while_misses_are_slow() {
    if !corekv_only("cold_gets_leave_the_executor_free_while_misses_are_slow") {
        return;
    }
    let mut s = Server::start(&["--debug-commands", "--cores", "1"]);
    let mut c = s.resp();
    for i in 0..KEYS {
        assert_eq!(c.cmd(&["SET", &key(i), &value(i)]), Reply::ok());
    }
    // A restart empties the row cache: every key is on disk only.
    let status = s.terminate();
    assert!(status.success(), "SIGTERM exit status {status}");
    s.restart();
    let mut c = s.resp();
    // Waits for the group to be readable (reads of key 0 are warm after).
    assert_eq!(c.cmd(&["GET", &key(0)]), Reply::bulk(&value(0)));
    assert!(!offloading(&s), "misses offloaded before any was slow");
    assert_eq!(
        c.cmd(&["COREKV.DEBUG", "READDELAY", &DELAY.as_micros().to_string()]),
        Reply::ok()
    );

    // Slow inline misses, one at a time, until the core sends them to the
    // pool (five in a row cross a quarter of the last ~16; a restart may
    // have cached a few keys, so allow some more).
    let mut next = 1;
    while !offloading(&s) {
        assert!(next <= 20, "still inline after {next} slow misses");
        assert_eq!(c.cmd(&["GET", &key(next)]), Reply::bulk(&value(next)));
        next += 1;
    }
    // The GET that switched went to the pool, or the next one will.
    assert_eq!(c.cmd(&["GET", &key(next)]), Reply::bulk(&value(next)));
    next += 1;
    let before = misses(&s)["submitted"].as_u64().expect("submitted");
    assert!(before >= 1, "no GET went to the miss pool");

    // A pipeline of cold GETs: on the executor they would hold it for
    // 30 x 40 ms = 1.2 s. PINGs on another connection meanwhile.
    let burst = 30;
    let stream = s.raw();
    let mut getter = Resp::from_stream(stream, Duration::from_secs(20));
    for i in next..next + burst {
        getter.send(&["GET", &key(i)]).expect("send GET");
    }
    let mut pinger = s.resp();
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    for _ in 0..10 {
        let t = Instant::now();
        assert_eq!(pinger.cmd(&["PING"]), Reply::Simple("PONG".into()));
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    for i in next..next + burst {
        assert_eq!(
            getter.read_reply().expect("GET reply"),
            Reply::bulk(&value(i)),
            "reply of GET {}",
            key(i)
        );
    }
    let burst_took = started.elapsed();
    next += burst;
    let after = misses(&s)["submitted"].as_u64().expect("submitted");
    assert!(
        after >= before + burst as u64,
        "only {} of {burst} cold GETs went to the pool",
        after - before
    );
    // Each pool read slept 40 ms, so the burst took at least that; a PING
    // waiting behind even two inline misses would have taken 80 ms.
    assert!(burst_took >= DELAY, "the burst took {burst_took:?}");
    assert!(
        worst < 2 * DELAY,
        "PING took {worst:?} while cold GETs ran (the executor stalled)"
    );

    // A GET the pool served was cached on the way back: a hit now, even
    // with reads still slow (it answers at once, on the core).
    let t = Instant::now();
    assert_eq!(
        c.cmd(&["GET", &key(next - 1)]),
        Reply::bulk(&value(next - 1))
    );
    assert!(t.elapsed() < DELAY, "a filled key was read again");
    assert!(misses(&s)["filled"].as_u64().expect("filled") >= burst as u64);

    // Reads fast again: the pool sees it (after ~440 page-cache reads)
    // and misses come back inline.
    assert_eq!(c.cmd(&["COREKV.DEBUG", "READDELAY", "0"]), Reply::ok());
    while offloading(&s) {
        assert!(
            next + 50 <= KEYS,
            "misses still on the pool after fast reads"
        );
        for i in next..next + 50 {
            c.send(&["GET", &key(i)]).expect("send GET");
        }
        for i in next..next + 50 {
            assert_eq!(c.read_reply().expect("GET reply"), Reply::bulk(&value(i)));
        }
        next += 50;
    }
    assert_eq!(misses(&s)["waited"].as_u64(), Some(0));
    assert_eq!(
        misses(&s)["cores"][0]["switches"].as_u64(),
        Some(2),
        "one switch to the pool, one back"
    );
}
