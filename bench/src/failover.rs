//! Leader failover of a running cluster, measured from the client side.
//!
//! One round: wait until every group has an agreed leader (preferably its
//! preferred node) → start writer threads that SET unique keys, each thread
//! on its own groups (keys are chosen by slot, so every group is written
//! all the time) and talking only to the nodes that will survive → once
//! every group took a write, kill -9 the node leading the most groups →
//! *recovery*: from the kill until every group has taken a write that was
//! sent after the kill → keep writing for `--failover-down-ms` → restart
//! the node (same directory and ports) → *catch-up*: from the restart until
//! its applied index reaches, for every group, the commit index its leader
//! reported just before → *rebalance*: until every group is led by its
//! preferred node again → stop the writers. Every wait is bounded.
//!
//! The timing logic works on plain event lists (times since the writers
//! started) and is unit-tested without a cluster.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::{JoinHandle, sleep};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cluster::Cluster;
use crate::raftstats;
use crate::resp::{Client, Reply};
use corekv_core::slot::{group_index, key_slot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The error class (see [`error_class`]).
    Failed(String),
}

/// One SET: its group (index, 0-based), when it was sent and when its
/// reply (or error) came, as offsets from the writers' start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub group: usize,
    pub sent: Duration,
    pub done: Duration,
    pub outcome: Outcome,
}

/// For each group, how long after `kill` the first successful write that
/// was *sent* at or after `kill` completed (`None`: none yet). A write sent
/// before the kill proves nothing about the new leader, so it never counts.
pub fn resumed(events: &[Event], groups: usize, kill: Duration) -> Vec<Option<Duration>> {
    let mut out = vec![None; groups];
    for e in events {
        if e.outcome != Outcome::Ok || e.sent < kill {
            continue;
        }
        if let Some(slot) = out.get_mut(e.group) {
            let after = e.done.saturating_sub(kill);
            if slot.is_none_or(|d| after < d) {
                *slot = Some(after);
            }
        }
    }
    out
}

/// The recovery time: when every group has resumed, the latest of them.
pub fn all_resumed(per_group: &[Option<Duration>]) -> Option<Duration> {
    if per_group.is_empty() {
        return None;
    }
    per_group
        .iter()
        .try_fold(Duration::ZERO, |acc, d| d.map(|d| acc.max(d)))
}

/// The longest time within `from..=to` in which `group` completed no
/// successful write (counting from `from` to the first and from the last
/// to `to`).
pub fn longest_gap(events: &[Event], group: usize, from: Duration, to: Duration) -> Duration {
    let mut done: Vec<Duration> = events
        .iter()
        .filter(|e| e.group == group && e.outcome == Outcome::Ok)
        .map(|e| e.done)
        .filter(|d| *d >= from && *d <= to)
        .collect();
    done.sort_unstable();
    let mut gap = Duration::ZERO;
    let mut last = from;
    for d in done.into_iter().chain(std::iter::once(to)) {
        gap = gap.max(d.saturating_sub(last));
        last = d;
    }
    gap
}

/// A short, stable name for an error: the Redis error code plus its first
/// words (numbers and parenthesised details dropped), or `io: ...`.
pub fn error_class(message: &str) -> String {
    let head = message.split('(').next().unwrap_or(message);
    let words: Vec<&str> = head
        .split_whitespace()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .take(8)
        .collect();
    let class = words.join(" ");
    if class.is_empty() {
        "(empty error)".to_string()
    } else {
        class
    }
}

/// Failed writes of one class: how many, and how long the fastest and the
/// slowest took to be answered (an instant error and one after a wait for
/// a leader look the same otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorStat {
    pub count: u64,
    pub fastest: Duration,
    pub slowest: Duration,
}

/// Failed writes by class, among those completed within `from..=to`.
pub fn error_counts(events: &[Event], from: Duration, to: Duration) -> BTreeMap<String, ErrorStat> {
    let mut out: BTreeMap<String, ErrorStat> = BTreeMap::new();
    for e in events.iter().filter(|e| e.done >= from && e.done <= to) {
        if let Outcome::Failed(class) = &e.outcome {
            let took = e.done.saturating_sub(e.sent);
            out.entry(class.clone())
                .and_modify(|s| {
                    s.count += 1;
                    s.fastest = s.fastest.min(took);
                    s.slowest = s.slowest.max(took);
                })
                .or_insert(ErrorStat {
                    count: 1,
                    fastest: took,
                    slowest: took,
                });
        }
    }
    out
}

/// Min, median and max of a set of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spread {
    pub min: Duration,
    pub median: Duration,
    pub max: Duration,
}

pub fn spread(mut values: Vec<Duration>) -> Option<Spread> {
    values.sort_unstable();
    let n = values.len();
    let median = match n {
        0 => return None,
        n if n % 2 == 1 => *values.get(n / 2)?,
        _ => (*values.get(n / 2 - 1)? + *values.get(n / 2)?) / 2,
    };
    Some(Spread {
        min: *values.first()?,
        median,
        max: *values.last()?,
    })
}

/// The groups writer thread `t` of `clients` writes to: with at least as
/// many threads as groups every group gets its own threads; with fewer,
/// each thread takes every `clients`-th group. Every group is covered.
pub fn thread_groups(t: usize, clients: usize, groups: usize) -> Vec<usize> {
    let stride = clients.min(groups).max(1);
    (0..groups).filter(|g| g % stride == t % stride).collect()
}

/// The next key (from `*seq` on) that falls into `group`; keys are unique
/// per `tag` and thread and spread over all of the group's slots.
pub fn key_for(tag: &str, thread: usize, seq: &mut u64, group: usize, groups: usize) -> String {
    // With g groups one key in g matches; a million tries never run out.
    for _ in 0..1_000_000 {
        let key = format!("{tag}:{thread}:{}", *seq);
        *seq += 1;
        if group_index(key_slot(key.as_bytes()), groups) == group {
            return key;
        }
    }
    format!("{tag}:{thread}:{}", *seq)
}

/// Writer threads that SET unique keys until stopped (or `max_run`).
pub struct Writers {
    pub base: Instant,
    stop: Arc<AtomicBool>,
    rx: Receiver<Event>,
    handles: Vec<JoinHandle<()>>,
    pub events: Vec<Event>,
}

/// How long one SET may take; corekv answers `-TRYAGAIN` after 3 s
/// without a leader, so this only fires on a hung connection.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

impl Writers {
    pub fn start(
        targets: &[SocketAddr],
        clients: usize,
        groups: usize,
        tag: &str,
        max_run: Duration,
    ) -> Writers {
        let base = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = channel();
        let handles = (0..clients)
            .map(|t| {
                let targets = targets.to_vec();
                let mine = thread_groups(t, clients, groups);
                let stop = Arc::clone(&stop);
                let tx = tx.clone();
                let tag = tag.to_string();
                std::thread::spawn(move || {
                    write_loop(t, &targets, &mine, groups, &tag, base, max_run, &stop, &tx);
                })
            })
            .collect();
        Writers {
            base,
            stop,
            rx,
            handles,
            events: Vec::new(),
        }
    }

    pub fn now(&self) -> Duration {
        self.base.elapsed()
    }

    /// Moves the events reported so far into `self.events`.
    pub fn drain(&mut self) {
        self.events.extend(self.rx.try_iter());
    }

    /// Stops and joins the threads (each finishes its call in flight,
    /// bounded by the call timeout) and returns every event.
    pub fn finish(mut self) -> Vec<Event> {
        self.halt();
        self.drain();
        std::mem::take(&mut self.events)
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Writers {
    fn drop(&mut self) {
        self.halt();
    }
}

#[allow(clippy::too_many_arguments)]
fn write_loop(
    t: usize,
    targets: &[SocketAddr],
    groups_of_mine: &[usize],
    groups: usize,
    tag: &str,
    base: Instant,
    max_run: Duration,
    stop: &AtomicBool,
    tx: &Sender<Event>,
) {
    if targets.is_empty() || groups_of_mine.is_empty() {
        return;
    }
    let mut client: Option<Client> = None;
    let mut target = t;
    let mut seq = 0u64;
    let mut turn = 0usize;
    while !stop.load(Ordering::Relaxed) && base.elapsed() < max_run {
        let group = groups_of_mine
            .get(turn % groups_of_mine.len())
            .copied()
            .unwrap_or(0);
        turn += 1;
        let key = key_for(tag, t, &mut seq, group, groups);
        let sent = base.elapsed();
        let result = match client.as_mut() {
            Some(c) => c.call(&[b"SET", key.as_bytes(), b"v"]),
            None => Client::connect(
                targets
                    .get(target % targets.len())
                    .copied()
                    .unwrap_or(targets[0]),
                CALL_TIMEOUT,
            )
            .and_then(|mut c| {
                let r = c.call(&[b"SET", key.as_bytes(), b"v"]);
                client = Some(c);
                r
            }),
        };
        let outcome = match result {
            Ok(Reply::Value(_)) => Outcome::Ok,
            Ok(Reply::Nil) => Outcome::Failed("nil reply".to_string()),
            Ok(Reply::Error(e)) => Outcome::Failed(error_class(&e)),
            Err(e) => {
                // Next time, a fresh connection to the next survivor.
                client = None;
                target += 1;
                Outcome::Failed(format!("io: {}", error_class(&format!("{e:#}"))))
            }
        };
        let failed = outcome != Outcome::Ok;
        let event = Event {
            group,
            sent,
            done: base.elapsed(),
            outcome,
        };
        if tx.send(event).is_err() {
            return;
        }
        if failed {
            // Errors can be instant (connection refused): do not spin.
            sleep(Duration::from_millis(5));
        }
    }
}

/// What `--failover-*` asks for.
pub struct Options {
    pub clients: usize,
    /// How long the node stays down (from the kill); at least the
    /// recovery time plus 200 ms.
    pub down: Duration,
    /// Bound on recovery, on catch-up, and on rebalancing each.
    pub timeout: Duration,
    pub startup: Duration,
}

/// The measurements of one successful round.
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    /// Kill → every group took a write sent after the kill.
    pub recovery: Duration,
    /// The same per group: (group id, time).
    pub per_group: Vec<(u32, Duration)>,
    /// Restart → PING answered.
    pub restart_ping: Duration,
    /// Restart → applied ≥ the leader's commit for every group.
    pub catch_up: Duration,
    /// Restart → every group led by its preferred node (None: not within
    /// the timeout).
    pub rebalance: Option<Duration>,
    /// Successful writes during the round.
    pub writes_ok: u64,
    /// Failed writes by class answered before the restart (the kill and
    /// the election), and from the restart on (rejoin, leadership moving
    /// back).
    pub errors_down: BTreeMap<String, ErrorStat>,
    pub errors_after_restart: BTreeMap<String, ErrorStat>,
    /// Longest time any group went without a successful write from the
    /// restart to the end of the round (leadership moving back).
    pub gap_after_restart: Duration,
}

#[derive(Debug, Clone)]
pub struct RoundResult {
    pub round: u32,
    pub victim: Option<u64>,
    pub victim_groups: Vec<u32>,
    /// Whether leaders were on their preferred nodes before the kill.
    pub preferred_before: bool,
    pub outcome: Result<Times, String>,
}

/// Runs one failover round on `cluster`, which must have every node
/// running; afterwards every node runs again (the victim is restarted even
/// if the round failed part-way).
pub fn run_round(cluster: &mut Cluster, round: u32, opts: &Options) -> RoundResult {
    let mut result = RoundResult {
        round,
        victim: None,
        victim_groups: Vec::new(),
        preferred_before: false,
        outcome: Err("not run".to_string()),
    };
    result.outcome = try_round(cluster, round, opts, &mut result).map_err(|e| format!("{e:#}"));
    if let Some(victim) = result.victim
        && cluster.node(victim).is_some_and(|n| !n.is_up())
    {
        // A round that failed between kill and restart leaves the node down.
        let _ = cluster.restart(victim, opts.startup);
    }
    result
}

fn try_round(
    cluster: &mut Cluster,
    round: u32,
    opts: &Options,
    result: &mut RoundResult,
) -> Result<Times> {
    let (mut leaders, preferred) =
        cluster.wait_settled(opts.timeout, Duration::from_secs(1), true)?;
    // The meta group 0 holds no keys: writes cannot target it.
    leaders.remove(&0);
    result.preferred_before = preferred;
    let ids: Vec<u32> = leaders.keys().copied().collect();
    let groups = ids.len();
    if ids != (1..=groups as u32).collect::<Vec<_>>() {
        bail!("group ids {ids:?} are not 1..={groups}; cannot map keys to groups");
    }
    let (victim, victim_groups) =
        raftstats::busiest_leader(&leaders).context("no group has a leader")?;
    result.victim = Some(victim);
    result.victim_groups = victim_groups;
    let survivors: Vec<u64> = cluster.ids().into_iter().filter(|&i| i != victim).collect();
    let targets: Vec<SocketAddr> = survivors
        .iter()
        .filter_map(|&i| cluster.node(i).map(|n| n.addr()))
        .collect();
    if targets.is_empty() {
        bail!("no node would survive killing node {victim}");
    }
    let tag = format!("corekv-bench:{}:failover{round}", std::process::id());
    // Recovery, catch-up and rebalance are bounded by `timeout` each, the
    // rest by the down time and startup; the writers stop at this cap even
    // if this function never got to stop them.
    let max_run = opts.down + opts.startup + opts.timeout * 4;
    let mut writers = Writers::start(&targets, opts.clients, groups, &tag, max_run);

    // Every group must take writes before the kill.
    let warm_deadline = Instant::now() + opts.timeout;
    loop {
        writers.drain();
        let warm = resumed(&writers.events, groups, Duration::ZERO);
        if warm.iter().all(Option::is_some) {
            break;
        }
        if Instant::now() >= warm_deadline {
            bail!(
                "writes before the kill did not reach every group within {:?} (errors: {:?})",
                opts.timeout,
                error_counts(&writers.events, Duration::ZERO, writers.now())
            );
        }
        sleep(Duration::from_millis(5));
    }
    sleep(Duration::from_millis(200));

    let kill_at = writers.now();
    cluster.kill(victim)?;
    eprintln!("[corekv-bench]   failover {round}: killed node {victim} (kill -9)");

    let recovery = loop {
        writers.drain();
        let per = resumed(&writers.events, groups, kill_at);
        if let Some(all) = all_resumed(&per) {
            break (all, per);
        }
        if writers.now() > kill_at + opts.timeout {
            let missing: Vec<u32> = per
                .iter()
                .enumerate()
                .filter(|(_, d)| d.is_none())
                .map(|(g, _)| g as u32 + 1)
                .collect();
            bail!(
                "writes to group(s) {missing:?} did not resume within {:?} of the kill (errors: {:?})",
                opts.timeout,
                error_counts(&writers.events, kill_at, writers.now())
            );
        }
        sleep(Duration::from_millis(2));
    };
    eprintln!(
        "[corekv-bench]   failover {round}: writes to every group resumed after {:.3} s",
        recovery.0.as_secs_f64()
    );

    let up_at = kill_at + opts.down.max(recovery.0 + Duration::from_millis(200));
    while writers.now() < up_at {
        writers.drain();
        sleep(Duration::from_millis(10));
    }
    let restart_at = writers.now();
    cluster.restart(victim, opts.startup)?;
    let restart_ping = writers.now().saturating_sub(restart_at);

    let catch_up = loop {
        writers.drain();
        // The leaders' documents first: their commit indexes are then a
        // lower bound of what the restarted node must have applied.
        let view = cluster.stats_of(&survivors);
        if let Ok(mine) = cluster.node_stats(victim)
            && view.len() == survivors.len()
            && raftstats::caught_up(&view, &mine, victim)
        {
            break writers.now().saturating_sub(restart_at);
        }
        cluster.check_running()?;
        if writers.now() > restart_at + opts.timeout {
            bail!(
                "node {victim} did not catch up within {:?} of its restart",
                opts.timeout
            );
        }
        sleep(Duration::from_millis(10));
    };
    eprintln!(
        "[corekv-bench]   failover {round}: node {victim} restarted, caught up after {:.3} s",
        catch_up.as_secs_f64()
    );

    let all = cluster.ids();
    let rebalance = loop {
        writers.drain();
        let stats = cluster.stats();
        if stats.len() == all.len()
            && raftstats::agreed_leaders(&stats)
                .is_some_and(|l| raftstats::leaders_preferred(&l, &all))
        {
            break Some(writers.now().saturating_sub(restart_at));
        }
        if writers.now() > restart_at + opts.timeout {
            break None;
        }
        sleep(Duration::from_millis(20));
    };
    // A moment of writes on the settled cluster closes the gap measure.
    sleep(Duration::from_millis(200));
    let end = writers.now();
    let events = writers.finish();

    Ok(Times {
        recovery: recovery.0,
        per_group: recovery
            .1
            .iter()
            .enumerate()
            .map(|(g, d)| (g as u32 + 1, d.unwrap_or_default()))
            .collect(),
        restart_ping,
        catch_up,
        rebalance,
        writes_ok: events.iter().filter(|e| e.outcome == Outcome::Ok).count() as u64,
        errors_down: error_counts(&events, Duration::ZERO, restart_at),
        errors_after_restart: error_counts(&events, restart_at, end),
        gap_after_restart: (0..groups)
            .map(|g| longest_gap(&events, g, restart_at, end))
            .max()
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn ev(group: usize, sent: u64, done: u64, ok: bool) -> Event {
        Event {
            group,
            sent: ms(sent),
            done: ms(done),
            outcome: if ok {
                Outcome::Ok
            } else {
                Outcome::Failed("TRYAGAIN group leader is not available".into())
            },
        }
    }

    #[test]
    fn recovery_counts_only_writes_sent_after_the_kill() {
        let kill = ms(1000);
        let events = vec![
            ev(0, 900, 950, true),
            // Sent before the kill, answered after: proves nothing.
            ev(0, 990, 1010, true),
            ev(1, 1001, 1003, true),
            ev(0, 1005, 1700, false),
            ev(0, 1710, 1850, true),
            ev(0, 1720, 1800, true),
        ];
        let per = resumed(&events, 2, kill);
        assert_eq!(per, vec![Some(ms(800)), Some(ms(3))]);
        assert_eq!(all_resumed(&per), Some(ms(800)));
        // A group with no write after the kill: not recovered.
        let per = resumed(&events, 3, kill);
        assert_eq!(per[2], None);
        assert_eq!(all_resumed(&per), None);
        assert_eq!(all_resumed(&[]), None);
    }

    #[test]
    fn gaps_include_the_edges() {
        let events = vec![
            ev(0, 0, 100, true),
            ev(0, 0, 400, true),
            ev(0, 0, 450, false),
            ev(1, 0, 150, true),
            ev(0, 0, 1200, true),
        ];
        assert_eq!(longest_gap(&events, 0, ms(0), ms(1000)), ms(600));
        assert_eq!(longest_gap(&events, 0, ms(0), ms(1300)), ms(800));
        assert_eq!(longest_gap(&events, 1, ms(0), ms(1000)), ms(850));
        assert_eq!(longest_gap(&events, 2, ms(10), ms(20)), ms(10));
    }

    #[test]
    fn errors_are_grouped_by_class() {
        assert_eq!(
            error_class("TRYAGAIN group leader is not available, try again"),
            "TRYAGAIN group leader is not available, try again"
        );
        assert_eq!(
            error_class(
                "ERR proxied command's outcome is unknown (connection reset by 127.0.0.1:7001)"
            ),
            "ERR proxied command's outcome is unknown"
        );
        assert_eq!(
            error_class("ERR node 2 unreachable"),
            "ERR node unreachable"
        );
        assert_eq!(error_class(""), "(empty error)");
        let events = vec![
            ev(0, 0, 10, false),
            ev(0, 0, 20, false),
            ev(0, 0, 30, true),
            ev(0, 0, 500, false),
        ];
        let counts = error_counts(&events, ms(0), ms(100));
        assert_eq!(counts.len(), 1);
        assert_eq!(
            counts.values().next(),
            Some(&ErrorStat {
                count: 2,
                fastest: ms(10),
                slowest: ms(20)
            })
        );
    }

    #[test]
    fn spread_of_rounds() {
        assert_eq!(spread(vec![]), None);
        let s = spread(vec![ms(900), ms(650), ms(1050)]).unwrap();
        assert_eq!((s.min, s.median, s.max), (ms(650), ms(900), ms(1050)));
        assert_eq!(spread(vec![ms(1), ms(3)]).unwrap().median, ms(2));
    }

    #[test]
    fn every_group_has_a_writer() {
        for clients in 1..=8 {
            for groups in 1..=12 {
                let mut covered = vec![0; groups];
                for t in 0..clients {
                    let mine = thread_groups(t, clients, groups);
                    assert!(!mine.is_empty(), "thread {t} of {clients}, {groups} groups");
                    for g in mine {
                        covered[g] += 1;
                    }
                }
                assert!(covered.iter().all(|&c| c > 0), "{clients} {groups}");
            }
        }
        assert_eq!(thread_groups(2, 4, 2), vec![0]);
        assert_eq!(thread_groups(3, 4, 2), vec![1]);
        assert_eq!(thread_groups(1, 2, 6), vec![1, 3, 5]);
    }

    #[test]
    fn keys_land_in_their_group_and_are_unique() {
        let mut seq = 0;
        let mut keys = std::collections::HashSet::new();
        let mut slots = std::collections::HashSet::new();
        for i in 0..300 {
            let group = i % 3;
            let key = key_for("t", 0, &mut seq, group, 3);
            assert_eq!(group_index(key_slot(key.as_bytes()), 3), group);
            slots.insert(key_slot(key.as_bytes()));
            assert!(keys.insert(key));
        }
        assert!(slots.len() > 250, "keys spread over many slots");
    }
}
