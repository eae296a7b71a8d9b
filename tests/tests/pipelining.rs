//! Values and pipelines larger than one socket read: commands split across
//! reads must be reassembled byte for byte, and pipelined writes followed by
//! reads on the same connection must read their own writes.

use corekv_tests::Server;

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
