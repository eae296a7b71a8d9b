//! `--collection-reads`: the latency of point and small-range reads on
//! collections of growing size (issue 10, must-show 6: XREAD COUNT 10,
//! HGET, ZSCORE, ZRANGE 0 9 and LINDEX at 1k, 100k and 1M entries, flat
//! within 1.5× from the smallest to the largest). For every size and
//! every server: a fresh server, a hash, a sorted set, a list and a
//! stream of that size loaded pipelined, then one client sends each read
//! a fixed number of times (one at a time, bounded in time too) and the
//! server's CPU per request is read from /proc around the measured ones.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::cpu;
use crate::latency::{self, Rng, Samples};
use crate::resp::{Conn, Summary};
use crate::servers::Config;
use crate::single::{self, Env, Running};

pub struct Options {
    pub sizes: Vec<u64>,
    pub requests: u64,
    pub warmup: u64,
    /// Bound on one command's measured stretch.
    pub time_bound: Duration,
    /// Elements per HSET/ZADD/RPUSH while loading.
    pub batch: usize,
    /// Bound on loading one size.
    pub load_bound: Duration,
}

const HASH: &str = "bench:hash";
const ZSET: &str = "bench:zset";
const LIST: &str = "bench:list";
const STREAM: &str = "bench:stream";

/// The reads measured, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Hget,
    Zscore,
    Zrange,
    LindexHead,
    LindexMiddle,
    Xread,
}

pub const READS: [Read; 6] = [
    Read::Hget,
    Read::Zscore,
    Read::Zrange,
    Read::LindexHead,
    Read::LindexMiddle,
    Read::Xread,
];

impl Read {
    /// The collection it reads.
    pub fn kind(self) -> &'static str {
        match self {
            Read::Hget => "hash",
            Read::Zscore | Read::Zrange => "zset",
            Read::LindexHead | Read::LindexMiddle => "list",
            Read::Xread => "stream",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Read::Hget => "HGET key <random existing field>",
            Read::Zscore => "ZSCORE key <random member>",
            Read::Zrange => "ZRANGE key 0 9",
            Read::LindexHead => "LINDEX key 0",
            Read::LindexMiddle => "LINDEX key <size/2>",
            Read::Xread => "XREAD COUNT 10 STREAMS key <random existing id>",
        }
    }

    /// The command for one request on collections of `size` entries.
    pub fn args(self, size: u64, rng: &mut Rng) -> Vec<Vec<u8>> {
        let v = |parts: &[&str]| parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        match self {
            Read::Hget => v(&["HGET", HASH, &field(rng.below(size))]),
            Read::Zscore => v(&["ZSCORE", ZSET, &member(rng.below(size))]),
            Read::Zrange => v(&["ZRANGE", ZSET, "0", "9"]),
            Read::LindexHead => v(&["LINDEX", LIST, "0"]),
            Read::LindexMiddle => v(&["LINDEX", LIST, &(size / 2).to_string()]),
            Read::Xread => {
                // Ids are 1-0 ..= size-0; start at least 10 before the end
                // so every read returns 10 entries.
                let id = 1 + rng.below(size.saturating_sub(10).max(1));
                v(&[
                    "XREAD",
                    "COUNT",
                    "10",
                    "STREAMS",
                    STREAM,
                    &format!("{id}-0"),
                ])
            }
        }
    }

    /// True if `reply` is the answer a loaded collection gives.
    pub fn reply_ok(self, reply: &Summary, size: u64) -> bool {
        if reply.error.is_some() || reply.nil {
            return false;
        }
        match self {
            Read::Zrange => reply.len == size.min(10) as i64,
            Read::Xread => reply.len == 1,
            _ => true,
        }
    }
}

fn field(i: u64) -> String {
    format!("field:{i}")
}

fn member(i: u64) -> String {
    format!("member:{i}")
}

/// A 16-byte value, like a small real one.
fn value(i: u64) -> String {
    format!("value:{i:010}")
}

/// One read's numbers on one server at one size.
#[derive(Debug, Clone)]
pub struct Measured {
    pub read: Read,
    pub size: u64,
    pub config: Config,
    pub lat: latency::Summary,
    pub rps: f64,
    pub cpu_us: f64,
    pub bad: u64,
    /// Stopped by the time bound before all requests were sent.
    pub cut_short: bool,
}

/// Loading one collection: seconds and entries.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub size: u64,
    pub config: Config,
    pub kind: &'static str,
    pub secs: f64,
}

#[derive(Default)]
pub struct Outcome {
    pub measured: Vec<Measured>,
    pub loaded: Vec<Loaded>,
    pub failures: Vec<String>,
}

/// Runs every size on every configuration (sizes outermost, so a machine
/// whose load drifts hits the servers alike at each size).
pub fn run(env: &mut Env, configs: &[Config], opts: &Options) -> Outcome {
    let mut out = Outcome::default();
    for &size in &opts.sizes {
        for &config in configs {
            eprintln!(
                "[corekv-bench] collection reads: {} at {size} entries",
                config.describe()
            );
            match env.start(config, &format!("coll{size}")) {
                Ok(mut running) => {
                    if let Err(err) = run_one(&mut running, size, opts, &mut out) {
                        let alive = running.check_alive().err();
                        out.failures.push(format!(
                            "{} at {size}: {err:#}{}",
                            config.describe(),
                            alive.map(|e| format!(" ({e:#})")).unwrap_or_default()
                        ));
                    }
                    env.finish(running);
                }
                Err(err) => out
                    .failures
                    .push(format!("{} at {size}: {err:#}", config.describe())),
            }
        }
    }
    out
}

fn run_one(running: &mut Running, size: u64, opts: &Options, out: &mut Outcome) -> Result<()> {
    let mut conn = running.conn()?;
    let deadline = Instant::now() + opts.load_bound;
    // A family the server lacks (or fails to load) is reported and its
    // reads skipped; the other families are still measured.
    let mut loaded = Vec::new();
    for kind in KINDS {
        let started = Instant::now();
        match load_kind(&mut conn, kind, size, opts.batch) {
            Ok(()) => {
                out.loaded.push(Loaded {
                    size,
                    config: running.config,
                    kind,
                    secs: started.elapsed().as_secs_f64(),
                });
                loaded.push(kind);
            }
            Err(err) => {
                running.check_alive()?;
                out.failures.push(format!(
                    "{} at {size}: {kind}: {err:#}",
                    running.config.describe()
                ));
                // Replies of the failed window may still be in flight.
                conn = running.conn()?;
            }
        }
        if Instant::now() > deadline {
            bail!("loading took over {:?}", opts.load_bound);
        }
    }
    for read in READS.into_iter().filter(|r| loaded.contains(&r.kind())) {
        let measured = match measure(running, &mut conn, read, size, opts) {
            Ok(m) => m,
            Err(err) => {
                running.check_alive()?;
                out.failures.push(format!(
                    "{} at {size}: {}: {err:#}",
                    running.config.describe(),
                    read.title()
                ));
                conn = running.conn()?;
                continue;
            }
        };
        eprintln!(
            "[corekv-bench]   {}: p50 {:.1} µs p99 {:.1} µs, {:.0} req/s, {:.1} µs CPU/req{}",
            read.title(),
            measured.lat.p50_us,
            measured.lat.p99_us,
            measured.rps,
            measured.cpu_us,
            if measured.bad > 0 {
                format!(", {} unexpected replies", measured.bad)
            } else {
                String::new()
            }
        );
        out.measured.push(measured);
    }
    running.check_alive()
}

const KINDS: [&str; 4] = ["hash", "zset", "list", "stream"];

/// Loads one collection of `size` entries, pipelined, and checks its length.
fn load_kind(conn: &mut Conn, kind: &'static str, size: u64, batch: usize) -> Result<()> {
    let batch = batch.max(1) as u64;
    let batched = |build: fn(&mut Vec<Vec<u8>>, u64), head: [&'static str; 2]| {
        (0..size.div_ceil(batch)).map(move |c| {
            let mut cmd: Vec<Vec<u8>> = head.iter().map(|h| h.as_bytes().to_vec()).collect();
            for i in c * batch..((c + 1) * batch).min(size) {
                build(&mut cmd, i);
            }
            cmd
        })
    };
    // A window of a few big commands keeps the pipe busy without holding
    // megabytes unanswered.
    let len_cmd = match kind {
        "hash" => {
            let build: fn(&mut Vec<Vec<u8>>, u64) = |cmd, i| {
                cmd.push(field(i).into_bytes());
                cmd.push(value(i).into_bytes());
            };
            single::load(conn, batched(build, ["HSET", HASH]), 8)?;
            ["HLEN", HASH]
        }
        "zset" => {
            let build: fn(&mut Vec<Vec<u8>>, u64) = |cmd, i| {
                cmd.push(i.to_string().into_bytes());
                cmd.push(member(i).into_bytes());
            };
            single::load(conn, batched(build, ["ZADD", ZSET]), 8)?;
            ["ZCARD", ZSET]
        }
        "list" => {
            let build: fn(&mut Vec<Vec<u8>>, u64) = |cmd, i| cmd.push(value(i).into_bytes());
            single::load(conn, batched(build, ["RPUSH", LIST]), 8)?;
            ["LLEN", LIST]
        }
        _ => {
            // One entry per XADD: explicit ids 1-0 ..= size-0, so a random
            // existing id needs no bookkeeping.
            let xadds = (1..=size).map(|i| {
                [
                    "XADD".to_string(),
                    STREAM.to_string(),
                    format!("{i}-0"),
                    "field".to_string(),
                    value(i),
                ]
                .map(String::into_bytes)
                .to_vec()
            });
            single::load(conn, xadds, 512)?;
            ["XLEN", STREAM]
        }
    };
    check_loaded(conn, &len_cmd, size, kind)
}

fn check_loaded(conn: &mut Conn, len_cmd: &[&str; 2], size: u64, kind: &str) -> Result<()> {
    let len = single::int_reply(conn, len_cmd)?;
    if u64::try_from(len).ok() != Some(size) {
        bail!("{kind}: {} says {len}, loaded {size}", len_cmd[0]);
    }
    Ok(())
}

fn measure(
    running: &Running,
    conn: &mut Conn,
    read: Read,
    size: u64,
    opts: &Options,
) -> Result<Measured> {
    // The same request sequence for every server.
    let mut rng = Rng::new(0x5eed ^ size);
    let warm_deadline = Instant::now() + opts.time_bound;
    for _ in 0..opts.warmup {
        let reply = conn.call(&read.args(size, &mut rng))?;
        if !read.reply_ok(&reply, size) {
            bail!("{}: unexpected reply {reply:?}", read.title());
        }
        if Instant::now() > warm_deadline {
            break;
        }
    }
    let mut samples = Samples::with_capacity(opts.requests as usize);
    let mut bad = 0u64;
    let before = cpu::sample(running.pid)?;
    let started = Instant::now();
    let deadline = started + opts.time_bound;
    let mut cut_short = false;
    for _ in 0..opts.requests {
        let args = read.args(size, &mut rng);
        let sent = Instant::now();
        let reply = conn.call(&args)?;
        samples.push(sent.elapsed());
        bad += u64::from(!read.reply_ok(&reply, size));
        if Instant::now() > deadline {
            cut_short = true;
            break;
        }
    }
    let wall = started.elapsed();
    let used = cpu::sample(running.pid)?.since(&before);
    let n = samples.len() as u64;
    Ok(Measured {
        read,
        size,
        config: running.config,
        lat: samples.summary(),
        rps: n as f64 / wall.as_secs_f64().max(1e-9),
        cpu_us: used.per_request_us(n),
        bad,
        cut_short: cut_short && n < opts.requests,
    })
}

fn size_label(size: u64) -> String {
    match size {
        s if s >= 1_000_000 && s % 1_000_000 == 0 => format!("{}M", s / 1_000_000),
        s if s >= 1000 && s % 1000 == 0 => format!("{}k", s / 1000),
        s => s.to_string(),
    }
}

/// The markdown report: one table per read, then flatness, load times.
pub fn render(
    facts: &[String],
    commands: &[String],
    configs: &[Config],
    opts: &Options,
    out: &Outcome,
) -> String {
    let mut md = String::new();
    md.push_str("## Collection read latency (`corekv-bench --collection-reads`)\n\n");
    for fact in facts {
        md.push_str(&format!("- {fact}\n"));
    }
    md.push_str(&format!(
        "- load: per size and server a fresh server; a hash, a sorted set, a list and a \
         stream of that many entries (HSET/ZADD/RPUSH {} elements per command, XADD one \
         entry per command with ids 1-0..N-0, pipelined); then one connection, one request \
         at a time: {} warm-up requests, then {} measured (bounded by {:?}) per read\n",
        opts.batch, opts.warmup, opts.requests, opts.time_bound
    ));
    md.push_str(
        "- CPU: the server's utime+stime over the measured requests, every thread \
         (`/proc/<pid>/task/*/stat`), divided by the requests\n\n",
    );
    let baseline = configs.iter().find(|c| !c.is_corekv()).copied();
    let find = |read: Read, size: u64, config: Config| {
        out.measured
            .iter()
            .find(|m| m.read == read && m.size == size && m.config == config)
    };
    for read in READS {
        md.push_str(&format!("### `{}`\n\n", read.title()));
        md.push_str(
            "| size | server | p50 µs | p99 µs | p99.9 µs | max µs | req/s | server CPU µs/req | p50 vs redis | p99 vs redis |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for &size in &opts.sizes {
            for &config in configs {
                let Some(m) = find(read, size, config) else {
                    md.push_str(&format!(
                        "| {} | {} | failed | | | | | | | |\n",
                        size_label(size),
                        config.describe()
                    ));
                    continue;
                };
                let base = baseline
                    .filter(|b| *b != config)
                    .and_then(|b| find(read, size, b));
                let (r50, r99) = match base {
                    Some(b) => (
                        latency::ratio(m.lat.p50_us, b.lat.p50_us),
                        latency::ratio(m.lat.p99_us, b.lat.p99_us),
                    ),
                    None => ("-".to_string(), "-".to_string()),
                };
                let mut notes = String::new();
                if m.bad > 0 {
                    notes.push_str(&format!(" ({} unexpected replies)", m.bad));
                }
                if m.cut_short {
                    notes.push_str(&format!(" ({} requests: time bound)", m.lat.count));
                }
                md.push_str(&format!(
                    "| {} | {}{notes} | {} | {} | {} | {} | {:.0} | {:.1} | {r50} | {r99} |\n",
                    size_label(size),
                    config.describe(),
                    latency::us(m.lat.p50_us),
                    latency::us(m.lat.p99_us),
                    latency::us(m.lat.p999_us),
                    latency::us(m.lat.max_us),
                    m.rps,
                    m.cpu_us,
                ));
            }
        }
        md.push('\n');
        if let (Some(&small), Some(&large)) = (opts.sizes.first(), opts.sizes.last())
            && small != large
        {
            md.push_str(&format!(
                "Flatness ({} / {}; target ≤ 1.5×):\n\n| server | p50 | p99 | p50 within 1.5× |\n|---|---:|---:|---|\n",
                size_label(large),
                size_label(small)
            ));
            for &config in configs {
                if let (Some(a), Some(b)) = (find(read, small, config), find(read, large, config)) {
                    let flat = b.lat.p50_us / a.lat.p50_us.max(1e-9);
                    md.push_str(&format!(
                        "| {} | {} | {} | {} |\n",
                        config.describe(),
                        latency::ratio(b.lat.p50_us, a.lat.p50_us),
                        latency::ratio(b.lat.p99_us, a.lat.p99_us),
                        if flat <= 1.5 { "yes" } else { "**no**" }
                    ));
                }
            }
            md.push('\n');
        }
    }
    md.push_str("### Loading (pipelined)\n\n| size | server | hash s | zset s | list s | stream s |\n|---|---|---:|---:|---:|---:|\n");
    for &size in &opts.sizes {
        for &config in configs {
            let secs = |kind: &str| {
                out.loaded
                    .iter()
                    .find(|l| l.size == size && l.config == config && l.kind == kind)
                    .map_or("-".to_string(), |l| format!("{:.2}", l.secs))
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                size_label(size),
                config.describe(),
                secs("hash"),
                secs("zset"),
                secs("list"),
                secs("stream")
            ));
        }
    }
    md.push('\n');
    crate::report::failures_and_commands(&mut md, &out.failures, "Server commands", commands);
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ask_for_existing_entries() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let a = Read::Xread.args(1000, &mut rng);
            let id = String::from_utf8(a[5].clone()).unwrap();
            let n: u64 = id.strip_suffix("-0").unwrap().parse().unwrap();
            assert!((1..=990).contains(&n), "{id}");
            let h = Read::Hget.args(1000, &mut rng);
            let f = String::from_utf8(h[2].clone()).unwrap();
            let i: u64 = f.strip_prefix("field:").unwrap().parse().unwrap();
            assert!(i < 1000);
        }
        assert_eq!(Read::LindexMiddle.args(1000, &mut rng)[2], b"500".to_vec());
        assert_eq!(value(7).len(), 16);
        assert_eq!(size_label(1_000_000), "1M");
        assert_eq!(size_label(100_000), "100k");
        assert_eq!(size_label(1500), "1500");
    }

    #[test]
    fn replies_are_checked() {
        let ok = Summary {
            len: 10,
            ..Summary::default()
        };
        assert!(Read::Zrange.reply_ok(&ok, 1000));
        assert!(!Read::Zrange.reply_ok(
            &Summary {
                len: 3,
                ..ok.clone()
            },
            1000
        ));
        assert!(!Read::Hget.reply_ok(
            &Summary {
                nil: true,
                ..ok.clone()
            },
            1000
        ));
        let err = Summary {
            error: Some("ERR unknown command".into()),
            ..Summary::default()
        };
        assert!(!Read::Xread.reply_ok(&err, 1000));
        assert!(Read::Xread.reply_ok(
            &Summary {
                len: 1,
                ..Summary::default()
            },
            1000
        ));
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;
    use crate::servers::MATRIX;

    #[test]
    fn tables_give_ratios_and_flatness() {
        let opts = Options {
            sizes: vec![1000, 1_000_000],
            requests: 100,
            warmup: 0,
            time_bound: Duration::from_secs(1),
            batch: 1000,
            load_bound: Duration::from_secs(1),
        };
        let m = |config: Config, size: u64, p50: f64| Measured {
            read: Read::Hget,
            size,
            config,
            lat: latency::Summary {
                count: 100,
                p50_us: p50,
                p99_us: p50 * 2.0,
                p999_us: p50 * 3.0,
                max_us: p50 * 4.0,
            },
            rps: 1e6 / p50,
            cpu_us: p50 / 2.0,
            bad: 0,
            cut_short: false,
        };
        let (redis, corekv) = (MATRIX[0], MATRIX[2]);
        let out = Outcome {
            measured: vec![
                m(redis, 1000, 10.0),
                m(corekv, 1000, 20.0),
                m(redis, 1_000_000, 12.0),
                m(corekv, 1_000_000, 40.0),
            ],
            loaded: vec![],
            failures: vec!["corekv at 5: boom".into()],
        };
        let md = render(&[], &[], &[redis, corekv], &opts, &out);
        assert!(
            md.contains("| 1M | corekv --cores 1 --fsync never | 40.0 | 80.0 | 120 | 160 | 25000 | 20.0 | 3.33× | 3.33× |"),
            "{md}"
        );
        assert!(
            md.contains("| redis (no persistence) | 1.20× | 1.20× | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| corekv --cores 1 --fsync never | 2.00× | 2.00× | **no** |"),
            "{md}"
        );
        // A read with no numbers says so instead of vanishing.
        assert!(
            md.contains("| 1k | redis (no persistence) | failed |"),
            "{md}"
        );
        assert!(md.contains("- corekv at 5: boom"));
    }
}
