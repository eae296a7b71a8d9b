//! Bounded queues with backpressure (corekv only): with a small
//! `--queue-limit`, many connections each pipelining thousands of writes
//! (half of them owned by the other core) all get their answers, while the
//! stats socket shows every queue stayed within its bound and connections
//! were held back. With unbounded queues the unanswered count would reach
//! the whole flood (tens of thousands), far past the limit.

use corekv_tests::{Reply, Server, corekv_only};
use serde_json::Value;

const CONNS: usize = 12;
const PER_CONN: usize = 4000;
const LIMIT: u64 = 64;

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_pipelined_flood_stays_within_the_queue_bounds() {
    if !corekv_only("a_pipelined_flood_stays_within_the_queue_bounds") {
        return;
    }
    let s = Server::start(&[
        "--cores",
        "2",
        "--fsync",
        "never",
        "--queue-limit",
        &LIMIT.to_string(),
    ]);
    std::thread::scope(|scope| {
        for c in 0..CONNS {
            let s = &s;
            scope.spawn(move || {
                let mut conn = s.resp();
                let mut wave = Vec::new();
                for i in 0..PER_CONN {
                    wave.extend(corekv_tests::encode(&[
                        "SET",
                        &format!("bp:{c}:{i}"),
                        &format!("v{i}"),
                    ]));
                }
                // Reading the answers concurrently is not needed: they are
                // small enough for the socket buffers.
                conn.send_raw(&wave).expect("send flood");
                for i in 0..PER_CONN {
                    let r = conn.read_reply().expect("reply");
                    assert_eq!(r, Reply::ok(), "conn {c} command {i}");
                }
            });
        }
    });
    // Everything written is there.
    let mut conn = s.resp();
    for c in 0..CONNS {
        for i in (0..PER_CONN).step_by(397) {
            assert_eq!(
                conn.cmd(&["GET", &format!("bp:{c}:{i}")]),
                Reply::bulk(&format!("v{i}"))
            );
        }
    }
    let doc = s.stats();
    let cores = doc["cores"].as_array().expect("cores");
    assert_eq!(cores.len(), 2);
    let mut throttled = 0;
    let mut forwarded_seen = 0;
    for core in cores {
        let c = &core["counters"];
        let q = |name: &str| &c[format!("queue_{name}").as_str()];
        eprintln!("core {}: {c}", core["core"]);
        let limit = num(q("unanswered_limit"));
        let pair = num(q("forwarded_limit"));
        assert_eq!(limit, LIMIT, "{c}");
        // The core's own clients stop at `limit` (plus one command's
        // fan-out); the other core's requests it serves add at most that
        // core's pair limit; active expiry at most 512 (none here).
        assert!(
            num(q("unanswered_max")) <= limit + pair + 64,
            "unanswered commands passed the bound: {c}"
        );
        assert!(num(q("unanswered_max")) > 0, "{c}");
        assert!(num(q("forwarded_max")) <= pair, "{c}");
        assert!(
            num(q("persist_jobs_max")) <= num(q("persist_jobs_limit")),
            "{c}"
        );
        // A ring holds at most both directions' credit (replies included).
        assert!(num(q("inbox_max")) <= 2 * pair + 256, "{c}");
        throttled += num(q("throttled"));
        forwarded_seen += num(&core["counters"]["forwarded_out"]);
    }
    assert!(forwarded_seen > 0, "no cross-core traffic: {doc}");
    assert!(throttled > 0, "no connection was ever held back: {doc}");
}
