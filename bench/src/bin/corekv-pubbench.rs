//! PUBLISH benchmark (issue 13, docs/design/0027): `--subscribers`
//! connections SUBSCRIBE one channel, `--publishers` connections send
//! `--messages` PUBLISHes in pipelined batches of `--pipeline`, and the
//! run ends when every subscriber has every message. Against any RESP
//! server (corekv, redis-server).
//!
//! `corekv-pubbench --port 6379 --subscribers 1,10,100 [--pids P,...]`
//! prints, per subscriber count, publishes and deliveries per second and,
//! with `--pids`, the servers' CPU per PUBLISH. Bounded by count and by
//! `--timeout` seconds per run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use argh::FromArgs;

#[path = "../shared/ticks.rs"]
mod ticks;
use ticks::cpu_ticks;

#[derive(FromArgs)]
/// PUBLISH throughput with 1, 10, 100 subscribers.
struct Args {
    /// server port on 127.0.0.1
    #[argh(option, default = "6379")]
    port: u16,
    /// comma-separated subscriber counts
    #[argh(option, default = "String::from(\"1,10,100\")")]
    subscribers: String,
    /// PUBLISHes per run
    #[argh(option, default = "200000")]
    messages: u64,
    /// publishing connections
    #[argh(option, default = "16")]
    publishers: u64,
    /// PUBLISHes per pipelined batch
    #[argh(option, default = "16")]
    pipeline: u64,
    /// message size in bytes
    #[argh(option, default = "32")]
    size: usize,
    /// seconds a run may take at most
    #[argh(option, default = "60")]
    timeout: u64,
    /// comma-separated server pids: reports their CPU per PUBLISH
    #[argh(option, default = "String::new()")]
    pids: String,
}

fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A subscriber: reads until it has `want` bytes of messages.
fn subscriber(
    addr: SocketAddr,
    channel: String,
    ready: Arc<AtomicU64>,
    want: u64,
    deadline: Instant,
) -> Result<u64> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut w = s.try_clone()?;
    w.write_all(&encode(&[b"SUBSCRIBE", channel.as_bytes()]))?;
    let mut r = BufReader::with_capacity(1 << 16, s);
    // The confirmation: *3 $9 subscribe $n channel :1 (6 lines).
    for _ in 0..7 {
        let mut line = String::new();
        r.read_line(&mut line)?;
        if line.starts_with(':') {
            break;
        }
    }
    ready.fetch_add(1, Ordering::SeqCst);
    let mut got = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    while got < want && Instant::now() < deadline {
        match r.read(&mut buf) {
            Ok(0) => bail!("subscriber connection closed after {got} bytes"),
            Ok(n) => got += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(got)
}

fn publisher(addr: SocketAddr, channel: String, msg: Vec<u8>, n: u64, pipeline: u64) -> Result<()> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.set_nodelay(true)?;
    let mut w = s.try_clone()?;
    let mut r = BufReader::new(s);
    let one = encode(&[b"PUBLISH", channel.as_bytes(), &msg]);
    let mut sent = 0;
    let mut line = String::new();
    while sent < n {
        let k = pipeline.min(n - sent);
        let mut batch = Vec::with_capacity(one.len() * k as usize);
        for _ in 0..k {
            batch.extend_from_slice(&one);
        }
        w.write_all(&batch)?;
        for _ in 0..k {
            line.clear();
            r.read_line(&mut line)?;
            if !line.starts_with(':') {
                bail!("PUBLISH answered {line:?}");
            }
        }
        sent += k;
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Args = argh::from_env();
    let addr: SocketAddr = format!("127.0.0.1:{}", args.port).parse()?;
    let msg = vec![b'm'; args.size];
    println!(
        "| subscribers | PUBLISHes | seconds | PUBLISH/s | deliveries/s | server µs/PUBLISH |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (run, subs) in args.subscribers.split(',').enumerate() {
        let subs: u64 = subs.trim().parse().context("--subscribers")?;
        let channel = format!("bench-{run}-{}", std::process::id());
        // One message frame: *3 $7 message $<c> <channel> $<m> <msg>.
        let frame = encode(&[b"message", channel.as_bytes(), &msg]).len() as u64;
        let want = frame * args.messages;
        let deadline = Instant::now() + Duration::from_secs(args.timeout);
        let ready = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..subs)
            .map(|_| {
                let (ch, ready) = (channel.clone(), ready.clone());
                std::thread::spawn(move || subscriber(addr, ch, ready, want, deadline))
            })
            .collect();
        while ready.load(Ordering::SeqCst) < subs {
            if Instant::now() > deadline {
                bail!("subscribers not ready");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let ticks = cpu_ticks(&args.pids);
        let start = Instant::now();
        let per = args.messages / args.publishers;
        let writers: Vec<_> = (0..args.publishers)
            .map(|i| {
                let n = if i == 0 {
                    args.messages - per * (args.publishers - 1)
                } else {
                    per
                };
                let (ch, msg) = (channel.clone(), msg.clone());
                let p = args.pipeline;
                std::thread::spawn(move || publisher(addr, ch, msg, n, p))
            })
            .collect();
        for w in writers {
            w.join()
                .map_err(|_| anyhow::anyhow!("publisher panicked"))??;
        }
        let published = start.elapsed();
        let mut delivered = 0;
        for r in readers {
            delivered += r
                .join()
                .map_err(|_| anyhow::anyhow!("subscriber panicked"))??;
        }
        let all = start.elapsed();
        if delivered < want * subs {
            bail!(
                "{subs} subscribers got {delivered} of {} bytes in {all:?}",
                want * subs
            );
        }
        let cpu = if args.pids.is_empty() {
            "—".to_string()
        } else {
            let us = cpu_ticks(&args.pids).saturating_sub(ticks) as f64 * 10_000.0;
            format!("{:.2}", us / args.messages as f64)
        };
        println!(
            "| {subs} | {} | {:.2} | {:.0} | {:.0} | {cpu} |",
            args.messages,
            all.as_secs_f64(),
            args.messages as f64 / published.as_secs_f64(),
            (args.messages * subs) as f64 / all.as_secs_f64(),
        );
    }
    Ok(())
}
