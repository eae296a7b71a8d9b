//! Values and pipelines larger than one socket read: commands split across
//! reads must be reassembled byte for byte, and pipelined writes followed by
//! reads on the same connection must read their own writes.

use corekv_tests::{Reply, Server};

#[test]
fn values_spanning_many_reads_roundtrip() {
    let s = Server::start(&[]);
    let mut c = s.client().get_connection().expect("conn");
    for size in [1usize, 16 * 1024 - 7, 200_000, 3 << 20] {
        let v: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let key = format!("big{size}");
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(&v)
            .query(&mut c)
            .expect("set");
        let got: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut c).expect("get");
        assert_eq!(got.len(), v.len(), "size {size}");
        assert!(got == v, "value of size {size} corrupted");
        let n: usize = redis::cmd("STRLEN")
            .arg(&key)
            .query(&mut c)
            .expect("strlen");
        assert_eq!(n, size);
    }
}

#[test]
fn pipelined_writes_then_reads_see_their_writes() {
    let s = Server::start(&[]);
    let mut c = s.client().get_connection().expect("conn");
    let mut p = redis::pipe();
    for i in 0..2000 {
        p.cmd("SET").arg(format!("p{i}")).arg(i).ignore();
        p.cmd("INCR").arg(format!("p{i}")).ignore();
        p.cmd("GET").arg(format!("p{i}"));
    }
    let got: Vec<i64> = p.query(&mut c).expect("pipeline");
    assert_eq!(got.len(), 2000);
    for (i, v) in got.iter().enumerate() {
        assert_eq!(*v, i as i64 + 1, "key p{i}");
    }
    // Keys are spread over every group and core; MGET gathers them in order.
    let keys: Vec<String> = (0..500).map(|i| format!("p{i}")).collect();
    let vals: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut c).expect("mget");
    assert_eq!(vals, (1..=500).collect::<Vec<i64>>());
    let n: i64 = redis::cmd("DEL").arg(&keys).query(&mut c).expect("del");
    assert_eq!(n, 500);
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).expect("dbsize");
    assert_eq!(n, 1500);
}

/// Large replies built on the heavy pool (written from their own buffers,
/// not copied into the connection's) keep their place among small ones in
/// a pipeline.
#[test]
fn big_heavy_replies_keep_their_place_in_a_pipeline() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let fields: Vec<String> = (0..5000).map(|i| format!("field-{i:05}")).collect();
    for chunk in fields.chunks(500) {
        let mut args = vec!["HSET".to_string(), "{p}h".to_string()];
        for f in chunk {
            args.push(f.clone());
            args.push(format!("{f}-value-padding-padding"));
        }
        assert_eq!(c.cmd(&args), Reply::Int(chunk.len() as i64));
    }
    let mut push = vec!["RPUSH".to_string(), "{p}l".to_string()];
    push.extend(fields.iter().cloned());
    assert_eq!(c.cmd(&push), Reply::Int(5000));
    for round in 0..3 {
        let v = format!("v{round}");
        c.send(&["SET", "{p}s", &v]).expect("send");
        c.send(&["HGETALL", "{p}h"]).expect("send");
        c.send(&["GET", "{p}s"]).expect("send");
        c.send(&["LRANGE", "{p}l", "0", "-1"]).expect("send");
        c.send(&["PING"]).expect("send");
        assert_eq!(c.read_reply().expect("SET"), Reply::ok());
        let h = c.read_reply().expect("HGETALL").items();
        assert_eq!(h.len(), 10_000, "HGETALL round {round}");
        assert_eq!(c.read_reply().expect("GET"), Reply::bulk(&v));
        let l = c.read_reply().expect("LRANGE").items();
        assert_eq!(l.len(), 5000);
        assert_eq!(l[4999], Reply::bulk("field-04999"));
        assert_eq!(c.read_reply().expect("PING"), Reply::Simple("PONG".into()));
    }
}
