//! Measurement, not a check (ignored): time spent in `Shard::drive` (Ready
//! handling and apply) for batches of SET and INCR, persist excluded.
//! `cargo test --release -p corekv-shard --test apply_cost -- --ignored --nocapture`

mod common;
use bytes::Bytes;
use corekv_shard::{Engine, GroupSpec, Shard};
use std::time::{Duration, Instant};

const ENTRIES: usize = 200;
const PER_ENTRY: usize = 500;

fn run(shard: &mut Shard, cmd: &str, with_value: bool) -> Duration {
    let mut in_drive = Duration::ZERO;
    let mut tok = 0u64;
    for e in 0..ENTRIES {
        let cmds: Vec<Vec<Bytes>> = (0..PER_ENTRY)
            .map(|i| {
                let mut a = vec![
                    Bytes::copy_from_slice(cmd.as_bytes()),
                    Bytes::from(format!("key:{}", e * PER_ENTRY + i)),
                ];
                if with_value {
                    a.push(Bytes::from_static(b"12345"));
                }
                a
            })
            .collect();
        let toks: Vec<u64> = (0..PER_ENTRY as u64).map(|i| tok + i).collect();
        tok += PER_ENTRY as u64;
        shard.propose_batch(0, 1000, &cmds, toks).expect("propose");
        for _ in 0..4 {
            let t = Instant::now();
            shard.drive().expect("drive");
            in_drive += t.elapsed();
            shard.take_completions();
            if let Some(job) = shard.take_job() {
                let engine = shard.engine().clone();
                engine
                    .persist(std::slice::from_ref(&job), false)
                    .expect("persist");
                shard.on_persisted(job.seq, &job.readies);
            }
        }
    }
    in_drive
}

#[test]
#[ignore]
fn apply_cost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(dir.path(), 64 << 20).expect("open");
    let spec = GroupSpec {
        id: 1,
        slots: 0..16384,
    };
    let mut shard = Shard::open(engine, &[spec], 64 << 20).expect("shard");
    // The one-voter group elects itself before anything is measured.
    common::settle(&mut shard);
    let n = (ENTRIES * PER_ENTRY) as f64;
    let rounds: usize = std::env::var("APPLY_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(8);
    for round in 0..rounds {
        let set = run(&mut shard, "SET", true);
        let incr = run(&mut shard, "INCR", false);
        println!(
            "round {round}: drive ns/cmd: SET {:.0}  INCR {:.0}",
            set.as_nanos() as f64 / n,
            incr.as_nanos() as f64 / n
        );
    }
}
