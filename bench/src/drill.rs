//! `--xread-drill`: the XREAD starvation drill (issue 10, must-show 3;
//! elastickv's incident, where 37 clients looping XREAD starved Raft).
//! One server; a 100k-entry stream `s` (plus filler string keys for KEYS
//! and SCAN to walk). Phase *idle*: a paced client sends SETs, one every
//! interval, then as many GETs, and records their latency. Phase
//! *attack*: flooder connections loop `XREAD COUNT 100 STREAMS s 0`,
//! `XRANGE s - +`, `KEYS *` and `SCAN 0 COUNT 1000` while the paced client
//! repeats its SETs and GETs. corekv's `-BUSY` (heavy pool full) is
//! counted, not an error. For corekv, the stats socket's `raft.commit`
//! histogram is read for each phase (`CONFIG RESETSTAT` before each), and
//! the heavy pool's counters around the attack.
//!
//! Every loop is bounded: the paced client by its count, the flooders by a
//! stop flag and a hard deadline, every socket by read/write timeouts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{JoinHandle, sleep};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cpu;
use crate::latency::{self, Samples};
use crate::raftstats::{self, Hist};
use crate::resp::Conn;
use crate::servers::Config;
use crate::single::{self, Env, Running};

pub struct Options {
    pub entries: u64,
    pub filler_keys: u64,
    pub paced: u64,
    pub interval: Duration,
    pub xread: usize,
    pub xrange: usize,
    pub keys: usize,
    pub scan: usize,
    /// Flooding before the paced client starts measuring.
    pub warmup: Duration,
    /// Hard bound on the attack phase.
    pub attack_bound: Duration,
    /// Nice value of the flooder threads (0: as the paced client). The
    /// flooders run on the server's machine: at the same priority they
    /// preempt the server's threads and the paced client, which then
    /// measures the box's scheduler, not the server's isolation.
    pub flooder_nice: i32,
    /// CPU the flooder threads are confined to (None: any).
    pub flooder_cpu: Option<usize>,
}

/// One kind of flooder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flood {
    Xread,
    Xrange,
    Keys,
    Scan,
}

impl Flood {
    pub fn command(self) -> &'static [&'static str] {
        match self {
            Flood::Xread => &["XREAD", "COUNT", "100", "STREAMS", "s", "0"],
            Flood::Xrange => &["XRANGE", "s", "-", "+"],
            Flood::Keys => &["KEYS", "*"],
            Flood::Scan => &["SCAN", "0", "COUNT", "1000"],
        }
    }

    fn count(self, opts: &Options) -> usize {
        match self {
            Flood::Xread => opts.xread,
            Flood::Xrange => opts.xrange,
            Flood::Keys => opts.keys,
            Flood::Scan => opts.scan,
        }
    }
}

const FLOODS: [Flood; 4] = [Flood::Xread, Flood::Xrange, Flood::Keys, Flood::Scan];

/// What the flooders of one kind did.
#[derive(Debug, Clone)]
pub struct FloodResult {
    pub flood: Flood,
    pub connections: usize,
    pub rounds: u64,
    pub busy: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub lat: latency::Summary,
    pub secs: f64,
}

/// The paced client's SETs and GETs in one phase.
#[derive(Debug, Clone, Default)]
pub struct Paced {
    pub set: latency::Summary,
    pub get: latency::Summary,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// The heavy pool's accepted and refused jobs, and accepted by command.
pub type Heavy = (u64, u64, Vec<(String, u64)>);

#[derive(Debug, Clone)]
pub struct ServerResult {
    pub config: Config,
    pub idle: Paced,
    pub attack: Paced,
    pub floods: Vec<FloodResult>,
    /// corekv: raft.commit of core 0 (the only core with `--cores 1`) per phase.
    pub commit_idle: Option<Hist>,
    pub commit_attack: Option<Hist>,
    /// corekv: heavy pool submitted/rejected during the attack, and by command.
    pub heavy: Option<Heavy>,
    /// Server CPU during the attack, by thread group, seconds.
    pub cpu_attack: Vec<(String, f64)>,
    pub attack_secs: f64,
    pub load_secs: f64,
}

pub fn run(env: &mut Env, configs: &[Config], opts: &Options) -> (Vec<ServerResult>, Vec<String>) {
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for &config in configs {
        eprintln!("[corekv-bench] xread drill: {}", config.describe());
        match env.start(config, "drill") {
            Ok(mut running) => {
                match run_one(&mut running, opts) {
                    Ok(r) => results.push(r),
                    Err(err) => {
                        let alive = running.check_alive().err();
                        failures.push(format!(
                            "{}: {err:#}{}",
                            config.describe(),
                            alive.map(|e| format!(" ({e:#})")).unwrap_or_default()
                        ));
                    }
                }
                env.finish(running);
            }
            Err(err) => failures.push(format!("{}: {err:#}", config.describe())),
        }
    }
    (results, failures)
}

/// The stats document's `node.heavy` counters.
fn heavy_counters(running: &Running) -> Result<Heavy> {
    let body = corekv_tools::fetch_raw(&running.stats_socket)
        .map_err(|e| anyhow::anyhow!("stats socket: {e}"))?;
    let doc: serde_json::Value = serde_json::from_str(&body).context("stats JSON")?;
    let heavy = &doc["node"]["heavy"];
    let by: Vec<(String, u64)> = heavy["by_command"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok((
        heavy["submitted"].as_u64().unwrap_or(0),
        heavy["rejected"].as_u64().unwrap_or(0),
        by,
    ))
}

fn commit_hist(running: &Running) -> Result<Hist> {
    let stats = raftstats::fetch(&running.stats_socket)?;
    // With --cores 1 there is one core; otherwise the worst core's p99.
    stats
        .histogram(raftstats::RAFT_COMMIT)
        .into_iter()
        .map(|(_, h)| h)
        .max_by_key(|h| h.p99_us)
        .context("no cores in the stats document")
}

fn reset_stats(conn: &mut Conn) -> Result<()> {
    let reply = conn.call(&["CONFIG", "RESETSTAT"])?;
    if let Some(err) = reply.error {
        bail!("CONFIG RESETSTAT: -{err}");
    }
    Ok(())
}

fn run_one(running: &mut Running, opts: &Options) -> Result<ServerResult> {
    let mut conn = running.conn()?;
    let started = Instant::now();
    let xadds = (1..=opts.entries).map(|i| {
        [
            "XADD".to_string(),
            "s".to_string(),
            "*".to_string(),
            "event".to_string(),
            format!("order-{i}"),
            "payload".to_string(),
            format!("{i:032}"),
        ]
        .map(String::into_bytes)
        .to_vec()
    });
    // --drill-entries 0: no stream (a KEYS/SCAN-only drill with the
    // XREAD/XRANGE flooders set to 0).
    if opts.entries > 0 {
        single::load(&mut conn, xadds, 512)?;
    }
    let filler = (0..opts.filler_keys).map(|i| {
        [
            "SET".to_string(),
            format!("filler:{i}"),
            format!("value:{i:010}"),
        ]
        .map(String::into_bytes)
        .to_vec()
    });
    single::load(&mut conn, filler, 512)?;
    if opts.entries > 0 {
        let len = single::int_reply(&mut conn, &["XLEN", "s"])?;
        if u64::try_from(len).ok() != Some(opts.entries) {
            bail!("XLEN s is {len}, loaded {}", opts.entries);
        }
    }
    let load_secs = started.elapsed().as_secs_f64();
    let corekv = running.config.is_corekv();
    let addr = running.addr();

    // Phase idle.
    if corekv {
        reset_stats(&mut conn)?;
    }
    let idle = paced(&mut conn, opts, "idle")?;
    let commit_idle = corekv.then(|| commit_hist(running)).transpose()?;
    eprintln!(
        "[corekv-bench]   idle: SET p99 {:.0} µs, GET p99 {:.0} µs",
        idle.set.p99_us, idle.get.p99_us
    );

    // Phase attack.
    if corekv {
        reset_stats(&mut conn)?;
    }
    let heavy_before = corekv.then(|| heavy_counters(running)).transpose()?;
    let cpu_before = cpu::sample(running.pid)?;
    let attack_started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let hard_deadline = attack_started + opts.attack_bound;
    let mut flooders: Vec<(Flood, JoinHandle<Flooder>)> = Vec::new();
    let nice = opts.flooder_nice;
    let cpu = opts.flooder_cpu;
    for flood in FLOODS {
        for _ in 0..flood.count(opts) {
            let stop = stop.clone();
            let handle = std::thread::Builder::new()
                .name(format!("flood-{flood:?}"))
                .spawn(move || {
                    lower_priority(nice);
                    if let Some(cpu) = cpu {
                        pin_thread(cpu);
                    }
                    flooder(addr, flood, &stop, hard_deadline)
                })
                .context("spawn flooder")?;
            flooders.push((flood, handle));
        }
    }
    // Let every flooder get going before the paced client measures.
    let warm_until = Instant::now() + opts.warmup;
    while Instant::now() < warm_until {
        sleep(Duration::from_millis(10));
    }
    let attack = paced(&mut conn, opts, "attack");
    stop.store(true, Ordering::Relaxed);
    let mut floods: Vec<FloodResult> = Vec::new();
    let mut samples: Vec<Samples> = Vec::new();
    for (flood, handle) in flooders {
        let f = handle
            .join()
            .unwrap_or_else(|_| Flooder::failed("flooder thread panicked"));
        let at = match floods.iter().position(|r| r.flood == flood) {
            Some(at) => at,
            None => {
                floods.push(FloodResult {
                    flood,
                    connections: 0,
                    rounds: 0,
                    busy: 0,
                    errors: 0,
                    first_error: None,
                    lat: latency::Summary::default(),
                    secs: 0.0,
                });
                samples.push(Samples::default());
                floods.len() - 1
            }
        };
        let (entry, all) = (&mut floods[at], &mut samples[at]);
        entry.connections += 1;
        entry.rounds += f.rounds;
        entry.busy += f.busy;
        entry.errors += f.errors;
        if entry.first_error.is_none() {
            entry.first_error = f.first_error;
        }
        entry.secs = entry.secs.max(f.secs);
        all.extend(&f.samples);
    }
    for (entry, all) in floods.iter_mut().zip(&samples) {
        entry.lat = all.summary();
    }
    let attack_secs = attack_started.elapsed().as_secs_f64();
    let cpu_used = cpu::sample(running.pid)?.since(&cpu_before);
    let attack = attack?;
    eprintln!(
        "[corekv-bench]   attack: SET p99 {:.0} µs, GET p99 {:.0} µs",
        attack.set.p99_us, attack.get.p99_us
    );
    let commit_attack = corekv.then(|| commit_hist(running)).transpose()?;
    let heavy = match (
        heavy_before,
        corekv.then(|| heavy_counters(running)).transpose()?,
    ) {
        (Some(b), Some(a)) => Some((
            a.0.saturating_sub(b.0),
            a.1.saturating_sub(b.1),
            a.2.iter()
                .map(|(k, v)| {
                    let before = b.2.iter().find(|(bk, _)| bk == k).map_or(0, |(_, bv)| *bv);
                    (k.clone(), v.saturating_sub(before))
                })
                .filter(|(_, v)| *v > 0)
                .collect(),
        )),
        _ => None,
    };
    running.check_alive()?;
    Ok(ServerResult {
        config: running.config,
        idle,
        attack,
        floods,
        commit_idle,
        commit_attack,
        heavy,
        cpu_attack: cpu_used
            .by_group
            .iter()
            .map(|(k, v)| (k.clone(), v.as_secs_f64()))
            .filter(|(_, v)| *v > 0.0)
            .collect(),
        attack_secs,
        load_secs,
    })
}

/// `opts.paced` SETs one per interval, then as many GETs of the same keys.
/// A request slower than the interval delays the next one (latency is
/// from each send), so a stall shows in this request's number.
fn paced(conn: &mut Conn, opts: &Options, phase: &str) -> Result<Paced> {
    let mut out = Paced::default();
    for get in [false, true] {
        let mut samples = Samples::with_capacity(opts.paced as usize);
        let start = Instant::now();
        for i in 0..opts.paced {
            let due = start + opts.interval * u32::try_from(i).unwrap_or(u32::MAX);
            let now = Instant::now();
            if due > now {
                sleep(due - now);
            }
            let key = format!("paced:{phase}:{i}");
            let sent = Instant::now();
            let reply = if get {
                conn.call(&["GET", key.as_str()])?
            } else {
                conn.call(&["SET", key.as_str(), "value-of-sixteen"])?
            };
            samples.push(sent.elapsed());
            let bad = reply
                .error
                .clone()
                .or_else(|| (get && reply.nil).then(|| format!("GET {key}: nil after its SET")));
            if let Some(err) = bad {
                out.errors += 1;
                out.first_error.get_or_insert(err);
            }
        }
        if get {
            out.get = samples.summary();
        } else {
            out.set = samples.summary();
        }
    }
    Ok(out)
}

struct Flooder {
    rounds: u64,
    busy: u64,
    errors: u64,
    first_error: Option<String>,
    samples: Samples,
    secs: f64,
}

impl Flooder {
    fn failed(why: &str) -> Self {
        Flooder {
            rounds: 0,
            busy: 0,
            errors: 1,
            first_error: Some(why.to_string()),
            samples: Samples::default(),
            secs: 0.0,
        }
    }
}

/// Gives the calling thread nice value `nice` (Linux: per thread). Best
/// effort: a failure leaves the thread as it was.
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    // SAFETY: plain syscalls on the calling thread; no memory is shared.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice);
    }
}

/// Confines the calling thread to CPU `cpu`. Best effort.
fn pin_thread(cpu: usize) {
    // SAFETY: a cpu_set_t on the stack, set for the calling thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Loops `flood`'s command until `stop` or `deadline`. I/O errors count and
/// reconnect (paced, so a dead server does not spin).
fn flooder(addr: SocketAddr, flood: Flood, stop: &AtomicBool, deadline: Instant) -> Flooder {
    let started = Instant::now();
    let mut f = Flooder {
        rounds: 0,
        busy: 0,
        errors: 0,
        first_error: None,
        samples: Samples::with_capacity(4096),
        secs: 0.0,
    };
    let mut conn: Option<Conn> = None;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::connect(addr, Duration::from_secs(10)) {
                Ok(c) => conn.insert(c),
                Err(err) => {
                    f.errors += 1;
                    f.first_error.get_or_insert(format!("{err:#}"));
                    sleep(Duration::from_millis(50));
                    continue;
                }
            },
        };
        let sent = Instant::now();
        match c.call(flood.command()) {
            Ok(reply) => {
                f.samples.push(sent.elapsed());
                match reply.error {
                    Some(e) if e.starts_with("BUSY") => f.busy += 1,
                    Some(e) => {
                        f.errors += 1;
                        f.first_error.get_or_insert(e);
                    }
                    None => f.rounds += 1,
                }
            }
            Err(err) => {
                f.errors += 1;
                f.first_error.get_or_insert(format!("{err:#}"));
                conn = None;
                sleep(Duration::from_millis(50));
            }
        }
    }
    f.secs = started.elapsed().as_secs_f64();
    f
}

fn hist_row(label: &str, h: &Hist) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} |\n",
        h.count, h.p50_us, h.p99_us, h.p999_us, h.max_us
    )
}

pub fn render(
    facts: &[String],
    commands: &[String],
    opts: &Options,
    results: &[ServerResult],
    failures: &[String],
) -> String {
    let mut md = String::new();
    md.push_str("## XREAD starvation drill (`corekv-bench --xread-drill`)\n\n");
    for fact in facts {
        md.push_str(&format!("- {fact}\n"));
    }
    md.push_str(&format!(
        "- data: stream `s` of {} entries (XADD `*`, 2 fields, ~60 bytes), {} filler string keys\n\
         - paced client: {} SETs one per {:?}, then {} GETs of those keys, per phase; latency from each send\n\
         - attack: {} × `XREAD COUNT 100 STREAMS s 0`, {} × `XRANGE s - +`, {} × `KEYS *`, {} × \
         `SCAN 0 COUNT 1000`, one connection each, looping, at nice {}{}; the paced client starts after {:?} \
         of flooding; `-BUSY` replies are counted, not errors\n\n",
        opts.entries,
        opts.filler_keys,
        opts.paced,
        opts.interval,
        opts.paced,
        opts.xread,
        opts.xrange,
        opts.keys,
        opts.scan,
        opts.flooder_nice,
        opts.flooder_cpu
            .map(|c| format!(", confined to CPU {c}"))
            .unwrap_or_default(),
        opts.warmup
    ));
    md.push_str(
        "### Paced client\n\n| server | phase | SET p50 µs | SET p99 µs | SET max µs | GET p50 µs | GET p99 µs | GET max µs | errors |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        for (phase, p) in [("idle", &r.idle), ("attack", &r.attack)] {
            md.push_str(&format!(
                "| {} | {phase} | {} | {} | {} | {} | {} | {} | {}{} |\n",
                r.config.describe(),
                latency::us(p.set.p50_us),
                latency::us(p.set.p99_us),
                latency::us(p.set.max_us),
                latency::us(p.get.p50_us),
                latency::us(p.get.p99_us),
                latency::us(p.get.max_us),
                p.errors,
                p.first_error
                    .as_ref()
                    .map(|e| format!(" (`{e}`)"))
                    .unwrap_or_default()
            ));
        }
    }
    md.push_str(
        "\n| server | SET p99 attack / idle | GET p99 attack / idle | SET p99 within 2× |\n|---|---:|---:|---|\n",
    );
    for r in results {
        let within = r.attack.set.p99_us <= 2.0 * r.idle.set.p99_us;
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.config.describe(),
            latency::ratio(r.attack.set.p99_us, r.idle.set.p99_us),
            latency::ratio(r.attack.get.p99_us, r.idle.get.p99_us),
            if within { "yes" } else { "**no**" }
        ));
    }
    md.push_str(
        "\n### Flooders (attack phase)\n\n| server | command | connections | rounds | rounds/s | -BUSY | other errors | round p50 ms | round p99 ms |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        for f in &r.floods {
            md.push_str(&format!(
                "| {} | `{}` | {} | {} | {:.0} | {} | {}{} | {:.2} | {:.2} |\n",
                r.config.describe(),
                f.flood.command().join(" "),
                f.connections,
                f.rounds,
                f.rounds as f64 / f.secs.max(1e-9),
                f.busy,
                f.errors,
                f.first_error
                    .as_ref()
                    .map(|e| format!(" (`{e}`)"))
                    .unwrap_or_default(),
                f.lat.p50_us / 1000.0,
                f.lat.p99_us / 1000.0,
            ));
        }
    }
    for r in results.iter().filter(|r| r.commit_idle.is_some()) {
        md.push_str(&format!(
            "\n### `raft.commit` of {} (stats socket, µs)\n\n| phase | count | p50 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n",
            r.config.describe()
        ));
        if let Some(h) = &r.commit_idle {
            md.push_str(&hist_row("idle", h));
        }
        if let Some(h) = &r.commit_attack {
            md.push_str(&hist_row("attack", h));
        }
        if let Some((submitted, rejected, by)) = &r.heavy {
            let by: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
            md.push_str(&format!(
                "\nHeavy pool during the attack: {submitted} jobs accepted ({}), {rejected} refused with `-BUSY`.\n",
                if by.is_empty() {
                    "none by command".to_string()
                } else {
                    by.join(", ")
                }
            ));
        }
    }
    md.push_str("\n### Server CPU during the attack (seconds, by thread)\n\n| server | attack s | CPU by thread |\n|---|---:|---|\n");
    for r in results {
        let by: Vec<String> = r
            .cpu_attack
            .iter()
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        md.push_str(&format!(
            "| {} | {:.1} | {} |\n",
            r.config.describe(),
            r.attack_secs,
            by.join(", ")
        ));
    }
    md.push_str("\nLoad (XADD + filler SETs, pipelined): ");
    let loads: Vec<String> = results
        .iter()
        .map(|r| format!("{} {:.1} s", r.config.describe(), r.load_secs))
        .collect();
    md.push_str(&loads.join("; "));
    md.push_str("\n\n");
    crate::report::failures_and_commands(&mut md, failures, "Server commands", commands);
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servers::MATRIX;

    fn opts() -> Options {
        Options {
            entries: 100_000,
            filler_keys: 10_000,
            paced: 300,
            interval: Duration::from_millis(2),
            xread: 37,
            xrange: 4,
            keys: 2,
            scan: 2,
            warmup: Duration::from_secs(1),
            attack_bound: Duration::from_secs(120),
            flooder_nice: 0,
            flooder_cpu: None,
        }
    }

    fn summary(p99: f64) -> latency::Summary {
        latency::Summary {
            count: 300,
            p50_us: p99 / 4.0,
            p99_us: p99,
            p999_us: p99,
            max_us: p99 * 2.0,
        }
    }

    #[test]
    fn the_report_judges_the_target_per_server() {
        let paced = |set_p99| Paced {
            set: summary(set_p99),
            get: summary(100.0),
            errors: 0,
            first_error: None,
        };
        let hist = Hist {
            count: 300,
            p50_us: 80,
            p99_us: 400,
            p999_us: 900,
            max_us: 900,
        };
        let results = vec![
            ServerResult {
                config: MATRIX[0],
                idle: paced(100.0),
                attack: paced(5000.0),
                floods: vec![FloodResult {
                    flood: Flood::Xread,
                    connections: 37,
                    rounds: 3700,
                    busy: 0,
                    errors: 0,
                    first_error: None,
                    lat: summary(2000.0),
                    secs: 2.0,
                }],
                commit_idle: None,
                commit_attack: None,
                heavy: None,
                cpu_attack: vec![("redis-server".into(), 1.5)],
                attack_secs: 2.5,
                load_secs: 0.3,
            },
            ServerResult {
                config: MATRIX[2],
                idle: paced(100.0),
                attack: paced(150.0),
                floods: vec![FloodResult {
                    flood: Flood::Xrange,
                    connections: 4,
                    rounds: 40,
                    busy: 7,
                    errors: 0,
                    first_error: None,
                    lat: summary(90_000.0),
                    secs: 2.0,
                }],
                commit_idle: Some(hist),
                commit_attack: Some(hist),
                heavy: Some((47, 7, vec![("xrange".into(), 47)])),
                cpu_attack: vec![("core".into(), 1.0), ("heavy".into(), 0.9)],
                attack_secs: 2.4,
                load_secs: 1.1,
            },
        ];
        let md = render(
            &["date: now".into()],
            &["redis-server ...".into()],
            &opts(),
            &results,
            &[],
        );
        assert!(
            md.contains("| redis (no persistence) | 50.00× | 1.00× | **no** |"),
            "{md}"
        );
        assert!(
            md.contains("| corekv --cores 1 --fsync never | 1.50× | 1.00× | yes |"),
            "{md}"
        );
        assert!(md.contains("| corekv --cores 1 --fsync never | `XRANGE s - +` | 4 | 40 | 20 | 7 | 0 | 22.50 | 90.00 |"), "{md}");
        assert!(
            md.contains("| attack | 300 | 80 | 400 | 900 | 900 |"),
            "{md}"
        );
        assert!(
            md.contains("47 jobs accepted (xrange 47), 7 refused"),
            "{md}"
        );
        assert!(!md.contains("Failed runs"));
    }
}
