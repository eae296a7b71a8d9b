//! A range clear (FLUSHALL/FLUSHDB of one group) is written in bounded
//! chunks: the persist thread gets a chance to write queued log halves
//! between chunks, and the clear removes exactly its slot range.

use corekv_shard::engine::{CLEAR_CHUNK_RECORDS, DataOp};
use corekv_shard::{Engine, PersistJob, keys};

fn put_job(seq: u64, slot: u16, n: usize) -> PersistJob {
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let key = format!("k{i}");
        data.push(DataOp::Put(
            keys::data_key(slot, key.as_bytes()).into(),
            bytes::Bytes::from_static(b"v"),
        ));
        data.push(DataOp::ExpirePut(keys::expire_key(
            1_000 + i as u64,
            slot,
            key.as_bytes(),
        )));
    }
    PersistJob {
        seq,
        data: data.into(),
        ..Default::default()
    }
}

fn count(engine: &Engine, from: u16, to: u16) -> usize {
    engine
        .data
        .range(keys::slot_start(from)..keys::slot_start(to))
        .count()
}

#[test]
fn a_clear_yields_between_chunks_and_clears_only_its_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), 8 << 20).expect("open");
    let inside = 3 * CLEAR_CHUNK_RECORDS + 10;
    engine
        .persist(&[put_job(1, 5, inside), put_job(2, 200, 100)], false)
        .expect("load");
    assert_eq!(count(&engine, 0, 100), inside);
    let clear = PersistJob {
        seq: 3,
        data: vec![DataOp::Clear(0, 100)].into(),
        ..Default::default()
    };
    let mut yields = 0;
    engine
        .persist_data_with(&[clear], &mut || yields += 1)
        .expect("clear");
    // Data records and expiry-index records each give a chance per chunk.
    assert!(
        yields >= 2 * (inside / CLEAR_CHUNK_RECORDS),
        "{yields} yields for {inside} records"
    );
    assert_eq!(count(&engine, 0, 100), 0);
    assert_eq!(
        count(&engine, 100, 16383),
        100,
        "another slot's records survive"
    );
    let expiring_left: Vec<u16> = engine
        .expire
        .iter()
        .filter_map(|kv| {
            let k = kv.key().ok()?;
            keys::split_expire_key(&k).map(|(_, slot, _)| slot)
        })
        .collect();
    assert_eq!(expiring_left.len(), 100);
    assert!(expiring_left.iter().all(|&s| s == 200));
}
