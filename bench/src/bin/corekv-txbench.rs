//! Transactions benchmark (issue 11, docs/design/0025): MSET of 10 keys,
//! MGET of 4 (a snapshot read), a 3-command MULTI/EXEC and EVALSHA of a
//! small script, each over keys of several groups and, for comparison,
//! over one hash tag (one group: the one-entry path), against any RESP
//! server (corekv, redis-server).
//!
//! `corekv-txbench --port 6379 --clients 16 --seconds 5 [--pids P,...]`
//! prints, per workload, throughput and p50/p99 latency, and with
//! `--pids` the servers' CPU per operation. Keys vary (`-r`-like: a
//! random account of `--keys`). Every load loop is bounded by time and
//! count.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use argh::FromArgs;

#[derive(FromArgs)]
/// Transactions benchmark: MSET x10, MGET x4, MULTI/EXEC of 3, EVALSHA.
struct Args {
    /// server port on 127.0.0.1
    #[argh(option, default = "6379")]
    port: u16,
    /// concurrent clients
    #[argh(option, default = "16")]
    clients: usize,
    /// seconds per workload
    #[argh(option, default = "5")]
    seconds: u64,
    /// at most this many operations per client per workload
    #[argh(option, default = "200000")]
    max_ops: u64,
    /// key space (accounts)
    #[argh(option, default = "100000")]
    keys: u64,
    /// comma-separated workloads (default: all)
    #[argh(option, default = "String::new()")]
    only: String,
    /// comma-separated server pids: reports their CPU per operation
    /// (every thread, from /proc/<pid>/stat, 100 ticks a second)
    #[argh(option, default = "String::new()")]
    pids: String,
}

#[path = "../shared/ticks.rs"]
mod ticks;
use ticks::cpu_ticks;

const SCRIPT: &str = "local v = redis.call('INCR', KEYS[1]) redis.call('SET', KEYS[2], v) return v";

fn encode(args: &[String]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one reply of any shape; an error reply (top level or inside an
/// array) comes back as `Err`.
fn skim(r: &mut impl BufRead, depth: usize) -> Result<()> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        bail!("connection closed");
    }
    let line = line.trim_end();
    let (kind, rest) = line.split_at_checked(1).unwrap_or(("", ""));
    match kind {
        "+" | ":" | "_" | "," | "#" => Ok(()),
        "-" => bail!("error reply: {rest}"),
        "$" => {
            let n: i64 = rest.parse()?;
            if n >= 0 {
                let mut buf = vec![0u8; n as usize + 2];
                r.read_exact(&mut buf)?;
            }
            Ok(())
        }
        "*" => {
            let n: i64 = rest.parse()?;
            if depth > 8 {
                bail!("too deep");
            }
            for _ in 0..n.max(0) {
                skim(r, depth + 1)?;
            }
            Ok(())
        }
        _ => bail!("unexpected reply {line:?}"),
    }
}

struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Result<Client> {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).context("connect")?;
        s.set_read_timeout(Some(Duration::from_secs(15)))?;
        s.set_nodelay(true)?;
        Ok(Client {
            r: BufReader::new(s),
        })
    }
    /// Sends the commands (pipelined) and reads one reply each.
    fn run(&mut self, cmds: &[Vec<String>]) -> Result<()> {
        let mut out = Vec::new();
        for c in cmds {
            out.extend(encode(c));
        }
        self.r.get_mut().write_all(&out)?;
        for _ in cmds {
            skim(&mut self.r, 0)?;
        }
        Ok(())
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

/// One operation of `workload` over random accounts; `tag`: all keys share
/// one hash tag (one group).
fn op(workload: &str, rng: &mut u64, keys: u64, sha: &str) -> Vec<Vec<String>> {
    let mut next = || {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng % keys
    };
    let tag = workload.ends_with("-tag");
    // Each workload its own keys (MSET's strings are no counters).
    // (MGET reads the keys mset10 wrote.)
    let base = workload.trim_end_matches("-tag").replace("mget4", "mset10");
    // With a tag, all keys of one operation share the first key's tag.
    let first = next();
    let mut k = |i: u64| {
        if tag {
            format!(
                "{{{base}{}}}:{}",
                first % 10,
                first.wrapping_add(i * 7919) % keys
            )
        } else {
            let n = if i == 0 { first } else { next() };
            format!("{base}:{n}")
        }
    };
    match workload.trim_end_matches("-tag") {
        "mset10" => {
            let mut c = vec![s("MSET")];
            for i in 0..10 {
                c.push(k(i));
                c.push(s("v"));
            }
            vec![c]
        }
        "mget4" => vec![vec![s("MGET"), k(0), k(1), k(2), k(3)]],
        "multi3" => vec![
            vec![s("MULTI")],
            vec![s("INCR"), k(0)],
            vec![s("INCR"), k(1)],
            vec![s("SET"), k(2), s("7")],
            vec![s("EXEC")],
        ],
        _ => vec![vec![s("EVALSHA"), s(sha), s("2"), k(0), k(1)]],
    }
}

fn main() -> Result<()> {
    let args: Args = argh::from_env();
    let addr: SocketAddr = format!("127.0.0.1:{}", args.port).parse()?;
    let mut c = Client::connect(addr)?;
    let mut r = c.r.get_mut().try_clone()?;
    r.write_all(&encode(&[s("SCRIPT"), s("LOAD"), s(SCRIPT)]))?;
    let mut line = String::new();
    c.r.read_line(&mut line)?;
    let mut sha = String::new();
    c.r.read_line(&mut sha)?;
    let sha = sha.trim().to_string();
    let all = [
        "mset10",
        "mset10-tag",
        "mget4",
        "mget4-tag",
        "multi3",
        "multi3-tag",
        "evalsha",
        "evalsha-tag",
    ];
    println!("workload,clients,ops,seconds,ops_per_s,p50_us,p99_us,errors,cpu_us_per_op");
    for w in all {
        if !args.only.is_empty() && !args.only.split(',').any(|o| o == w) {
            continue;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = cpu_ticks(&args.pids);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(args.seconds);
        let mut handles = Vec::new();
        for t in 0..args.clients {
            let sha = sha.clone();
            let stop = stop.clone();
            let (keys, max_ops) = (args.keys, args.max_ops);
            handles.push(std::thread::spawn(move || -> Result<(Vec<u32>, u64)> {
                let mut c = Client::connect(addr)?;
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ ((t as u64 + 1) << 20);
                let mut lat = Vec::new();
                let mut errors = 0u64;
                for _ in 0..max_ops {
                    if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                        break;
                    }
                    let cmds = op(w, &mut rng, keys, &sha);
                    let t0 = Instant::now();
                    if let Err(e) = c.run(&cmds) {
                        if errors == 0 {
                            eprintln!("{w}: {e:#}");
                        }
                        errors += 1;
                        c = Client::connect(addr)?;
                        continue;
                    }
                    lat.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                }
                Ok((lat, errors))
            }));
        }
        let mut lat = Vec::new();
        let mut errors = 0;
        for h in handles {
            match h.join() {
                Ok(Ok((l, e))) => {
                    lat.extend(l);
                    errors += e;
                }
                Ok(Err(e)) => eprintln!("client failed: {e:#}"),
                Err(_) => eprintln!("client panicked"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        let secs = start.elapsed().as_secs_f64();
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        // Settle: background commits and persistence the run caused.
        if !args.pids.is_empty() {
            std::thread::sleep(Duration::from_millis(500));
        }
        let cpu_us = cpu_ticks(&args.pids).saturating_sub(ticks) as f64 * 10_000.0;
        let cpu = if args.pids.is_empty() || lat.is_empty() {
            String::new()
        } else {
            format!("{:.0}", cpu_us / lat.len() as f64)
        };
        println!(
            "{w},{},{},{:.1},{:.0},{},{},{errors},{cpu}",
            args.clients,
            lat.len(),
            secs,
            lat.len() as f64 / secs,
            pct(0.50),
            pct(0.99)
        );
    }
    Ok(())
}
