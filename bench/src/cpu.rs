//! CPU time of a server process, per thread, from
//! `/proc/<pid>/task/<tid>/stat` (utime + stime, clock ticks): sampled
//! before and after a measured stretch, the difference divided by the
//! requests answered is the server's CPU per request. Threads are grouped
//! by name without their number (`core-0` → `core`, `heavy-3` → `heavy`),
//! so the report can say where corekv spent it. A thread that exits
//! between the samples loses its share (the servers here keep theirs);
//! the resolution is one tick (10 ms at the usual 100 Hz), so a stretch
//! should burn well over a second of CPU for a figure good to 1%.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};

/// utime + stime ticks of every thread of one process, by tid.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    threads: BTreeMap<u32, (String, u64)>,
}

/// CPU a process used between two samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Used {
    pub total: Duration,
    /// By thread name without its number, e.g. `core`, `heavy`, `persist`.
    pub by_group: BTreeMap<String, Duration>,
}

fn tick() -> Duration {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Duration::from_nanos(1_000_000_000 / u64::try_from(hz).unwrap_or(100).max(1))
}

/// (name, utime + stime) from one `stat` line. The name is in parentheses
/// and may hold spaces or parentheses itself, so fields are counted from
/// the last `)`.
pub fn parse_stat(line: &str) -> Option<(String, u64)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = line.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
    // After the name: state is field 3, utime 14, stime 15.
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

/// `core-0` → `core`, `heavy-12` → `heavy`, `redis-server` stays.
pub fn group_name(name: &str) -> String {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() < name.len() {
        trimmed.trim_end_matches(['-', '_', ':']).to_string()
    } else {
        name.to_string()
    }
}

pub fn sample(pid: u32) -> Result<Sample> {
    let dir = format!("/proc/{pid}/task");
    let mut threads = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("read {dir}"))? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // A thread may exit between the listing and the read.
        let Ok(line) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(parsed) = parse_stat(&line) {
            threads.insert(tid, parsed);
        }
    }
    Ok(Sample { threads })
}

/// Every thread of several processes (a local cluster's nodes) as one
/// sample: thread ids are unique machine-wide, so they merge as they are.
pub fn sample_all(pids: &[u32]) -> Result<Sample> {
    let mut all = Sample::default();
    for &pid in pids {
        all.threads.extend(sample(pid)?.threads);
    }
    Ok(all)
}

impl Sample {
    /// CPU used since `before`; a thread born in between counts from 0.
    pub fn since(&self, before: &Sample) -> Used {
        let tick = tick();
        let mut used = Used::default();
        for (tid, (name, ticks)) in &self.threads {
            let start = before.threads.get(tid).map_or(0, |(_, t)| *t);
            let d = tick * u32::try_from(ticks.saturating_sub(start)).unwrap_or(u32::MAX);
            used.total += d;
            *used.by_group.entry(group_name(name)).or_default() += d;
        }
        used
    }
}

/// Samples the `pids` processes as one (a server, or a cluster's nodes)
/// until they go quiet (at most one clock tick of CPU in a 100 ms
/// window), at most `bound`, and returns the last sample. Work a test
/// leaves behind (corekv's write-behind data thread and fjall's flushes
/// after a SET load) is then charged to that test, not to the next one,
/// whose requests did not cause it.
pub fn settle_all(pids: &[u32], bound: Duration) -> Result<Sample> {
    settle_by(|| sample_all(pids), Duration::from_millis(100), bound)
}

/// [`settle_all`] over any sampler, one `window` apart.
fn settle_by(
    mut sample: impl FnMut() -> Result<Sample>,
    window: Duration,
    bound: Duration,
) -> Result<Sample> {
    let deadline = std::time::Instant::now() + bound;
    let mut last = sample()?;
    loop {
        std::thread::sleep(window);
        let now = sample()?;
        let quiet = now.since(&last).total <= tick();
        last = now;
        if quiet || std::time::Instant::now() >= deadline {
            return Ok(last);
        }
    }
}

impl Used {
    /// Microseconds of CPU per request.
    pub fn per_request_us(&self, requests: u64) -> f64 {
        if requests == 0 {
            return 0.0;
        }
        self.total.as_secs_f64() * 1e6 / requests as f64
    }
}

/// CPU (user + system) of every child process this process has waited
/// for so far (`getrusage(RUSAGE_CHILDREN)`). The difference around one
/// tool run (a redis-benchmark spawned, waited for, and no other child
/// reaped meanwhile) is that tool's CPU, to the microsecond; a client
/// sharing the server's CPUs is part of what a benchmark measures.
pub fn children_cpu() -> Duration {
    // SAFETY: a zeroed rusage is valid for getrusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: usage is a valid, writable rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse() {
        let line =
            "4242 (core-0) S 1 4242 4242 0 -1 4194624 1234 0 0 0 157 43 0 0 20 0 5 0 100 0 0";
        assert_eq!(parse_stat(line), Some(("core-0".to_string(), 200)));
        // A name with spaces and a parenthesis.
        let odd = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 0 0";
        assert_eq!(parse_stat(odd), Some(("a (b) c".to_string(), 11)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1 2"), None);
    }

    #[test]
    fn names_group_without_numbers() {
        assert_eq!(group_name("core-0"), "core");
        assert_eq!(group_name("heavy-12"), "heavy");
        assert_eq!(group_name("redis-server"), "redis-server");
        assert_eq!(group_name("bio_aof"), "bio_aof");
        assert_eq!(group_name("jemalloc_bg_thd"), "jemalloc_bg_thd");
    }

    #[test]
    fn this_process_burns_cpu() {
        let pid = std::process::id();
        let before = sample(pid).unwrap();
        // Spin until this thread has used 300 ms of CPU (however loaded
        // the machine is), bounded in wall time.
        let thread_cpu = || {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: ts is a valid timespec to write.
            unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
            Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
        };
        let started = std::time::Instant::now();
        let cpu_start = thread_cpu();
        let mut x = 0u64;
        while thread_cpu() - cpu_start < Duration::from_millis(300)
            && started.elapsed() < Duration::from_secs(30)
        {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let used = sample(pid).unwrap().since(&before);
        assert!(used.total >= Duration::from_millis(250), "{used:?}");
        assert!(used.per_request_us(1000) > 100.0);
    }

    #[test]
    fn several_processes_sample_as_one() {
        let me = std::process::id();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let both = sample_all(&[me, child.id()]).unwrap();
        // Thread ids are machine-wide: both processes' threads are there
        // (a process's main thread has its pid as tid).
        assert!(both.threads.contains_key(&me), "{both:?}");
        assert!(both.threads.contains_key(&child.id()), "{both:?}");
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            sample_all(&[me, child.id()]).is_err(),
            "a gone process is an error"
        );
    }

    #[test]
    fn settle_waits_out_work_left_running() {
        // A server thread that goes on working for four windows after the
        // test (5 ticks each), then idles; another that starts later.
        let mut calls = 0u64;
        let fake = || {
            calls += 1;
            let mut threads = BTreeMap::new();
            threads.insert(1, ("pdata".to_string(), 5 * calls.min(5)));
            threads.insert(2, ("core".to_string(), 7));
            Ok(Sample { threads })
        };
        let got = settle_by(fake, Duration::ZERO, Duration::from_secs(60)).unwrap();
        let before = Sample {
            threads: BTreeMap::from([(2, ("core".to_string(), 7))]),
        };
        // All of the work, and only after it stopped: the window after
        // the fifth sample is the first quiet one.
        assert_eq!(got.since(&before).total, tick() * 25);
        assert_eq!(calls, 6);

        // A server that never goes quiet is cut off at the bound.
        let mut n = 0u64;
        let busy = || {
            n += 1;
            Ok(Sample {
                threads: BTreeMap::from([(1, ("core".to_string(), 10 * n))]),
            })
        };
        let started = std::time::Instant::now();
        let got = settle_by(busy, Duration::from_millis(1), Duration::from_millis(50)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(got.threads.get(&1).is_some_and(|(_, t)| *t > 10));
    }

    #[test]
    fn a_waited_child_counts() {
        let before = children_cpu();
        // A shell busy for ~200 ms of CPU, bounded by `timeout`.
        let status = std::process::Command::new("timeout")
            .args([
                "20",
                "sh",
                "-c",
                "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done",
            ])
            .status()
            .unwrap();
        assert!(status.success());
        let used = children_cpu() - before;
        assert!(used >= Duration::from_millis(20), "{used:?}");
    }
}
