//! Child processes with a bound on everything: servers that are started,
//! waited for with PING, and stopped with SIGTERM then SIGKILL; tools run
//! under a watchdog that kills them at a deadline. Every child also gets
//! SIGKILL from the kernel if corekv-bench dies (Ctrl-C, a panic that
//! aborts, kill -9), so no server outlives the session. Also free loopback
//! ports, fresh scratch directories, and shell-quoting for the report.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

const POLL: Duration = Duration::from_millis(20);

/// Renders a command line the way a shell user would type it, so the
/// report's commands can be pasted back into a terminal.
pub fn shell_line(program: &Path, args: &[String]) -> String {
    std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Asks the kernel for a free loopback port. Another process could take it
/// before the server binds; the PING wait then fails loudly, never silently
/// benchmarks the wrong server, because the server's own exit is checked.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Creates a fresh, empty directory under `base` for one server run.
pub fn fresh_dir(base: &Path, label: &str) -> Result<PathBuf> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = base.join(format!(
        "corekv-bench-{}-{}-{label}-{nanos:x}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(dir)
}

/// A `Command` for `program args` whose process is SIGKILLed by the kernel
/// when the thread that spawned it exits (PR_SET_PDEATHSIG; children are
/// only spawned from the main thread, so that is when corekv-bench ends,
/// however it ends). The setting survives the exec of `taskset`'s target.
fn child_command(program: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and only makes two
    // async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl: then nobody
            // would ever signal us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    cmd
}

/// Optionally wraps a command in `taskset -c CPU` to pin it.
pub fn command(program: &Path, args: &[String], cpu: Option<u32>) -> (PathBuf, Vec<String>) {
    match cpu {
        Some(cpu) => {
            let mut full = vec![
                "-c".to_string(),
                cpu.to_string(),
                program.display().to_string(),
            ];
            full.extend(args.iter().cloned());
            (PathBuf::from("taskset"), full)
        }
        None => (program.to_path_buf(), args.to_vec()),
    }
}

fn tail(path: &Path, max_bytes: usize) -> String {
    let Ok(text) = std::fs::read(path) else {
        return String::new();
    };
    let start = text.len().saturating_sub(max_bytes);
    String::from_utf8_lossy(text.get(start..).unwrap_or_default()).into_owned()
}

/// A running server. Dropping it kills the process, so an error anywhere
/// in a run never leaves a server behind.
pub struct Server {
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    /// Starts `program args`, with stdout and stderr going to `log`.
    pub fn start(program: &Path, args: &[String], log: PathBuf) -> Result<Self> {
        let out = File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let err = out.try_clone()?;
        let child = child_command(program, args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("spawn {}", program.display()))?;
        Ok(Self {
            child: Some(child),
            log,
        })
    }

    /// The process id (of `taskset`'s target too: it execs it).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_tail(&self) -> String {
        tail(&self.log, 2000)
    }

    /// Waits until the server answers PING on `port`, failing if it exits
    /// first or `timeout` passes.
    pub fn wait_ready(&mut self, port: u16, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "server exited with {status} before answering PING; log:\n{}",
                    self.log_tail()
                );
            }
            if ping(addr).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "server did not answer PING on {addr} within {timeout:?}; log:\n{}",
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL now (a crash, for failover tests) and reap the process.
    pub fn kill_now(&mut self) -> Result<ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("server already stopped");
        };
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        child.kill()?;
        Ok(child.wait()?)
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then SIGKILL if the process is still alive after `grace`.
    pub fn stop(mut self, grace: Duration) -> Result<ExitStatus> {
        let Some(mut child) = self.child.take() else {
            bail!("server already stopped");
        };
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        // std has no SIGTERM; the `kill` utility is always there.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            sleep(POLL);
        }
        eprintln!("[corekv-bench] server ignored SIGTERM for {grace:?}; killing");
        child.kill()?;
        Ok(child.wait()?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn ping(addr: SocketAddr) -> Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    stream.set_write_timeout(Some(Duration::from_millis(500)))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf)?;
    if buf.get(..n).is_some_and(|b| b.starts_with(b"+PONG")) {
        Ok(())
    } else {
        bail!(
            "unexpected PING reply {:?}",
            String::from_utf8_lossy(buf.get(..n).unwrap_or_default())
        )
    }
}

/// What a bounded run of a tool printed.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

/// One tool run for [`run_bounded_all`]: program, arguments, and a label
/// that names its output files.
pub struct Job {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub label: String,
}

/// Runs `program args` to completion with a watchdog: at `timeout` the
/// process is killed and the run is an error. Output goes through files in
/// `scratch` so a chatty tool can never block on a full pipe.
pub fn run_bounded(
    program: &Path,
    args: &[String],
    timeout: Duration,
    scratch: &Path,
    label: &str,
) -> Result<Output> {
    let job = Job {
        program: program.to_path_buf(),
        args: args.to_vec(),
        label: label.to_string(),
    };
    run_bounded_all(&[job], timeout, scratch)
        .pop()
        .unwrap_or_else(|| Err(anyhow::anyhow!("no result")))
}

/// Runs every job at the same time under one watchdog: at `timeout` all
/// that are still running are killed. One result per job, in order.
pub fn run_bounded_all(jobs: &[Job], timeout: Duration, scratch: &Path) -> Vec<Result<Output>> {
    struct Running<'a> {
        job: &'a Job,
        child: Option<Child>,
        status: Option<Result<ExitStatus>>,
        out_path: PathBuf,
        err_path: PathBuf,
    }
    let mut running: Vec<Running> = jobs
        .iter()
        .map(|job| {
            let out_path = scratch.join(format!("{}.stdout", job.label));
            let err_path = scratch.join(format!("{}.stderr", job.label));
            let spawned = File::create(&out_path)
                .and_then(|out| Ok((out, File::create(&err_path)?)))
                .with_context(|| format!("create output files in {}", scratch.display()))
                .and_then(|(out, err)| {
                    child_command(&job.program, &job.args)
                        .stdout(out)
                        .stderr(err)
                        .spawn()
                        .with_context(|| format!("spawn {}", job.program.display()))
                });
            let (child, status) = match spawned {
                Ok(child) => (Some(child), None),
                Err(err) => (None, Some(Err(err))),
            };
            Running {
                job,
                child,
                status,
                out_path,
                err_path,
            }
        })
        .collect();
    let deadline = Instant::now() + timeout;
    loop {
        let mut pending = false;
        for run in running.iter_mut().filter(|r| r.status.is_none()) {
            let Some(child) = run.child.as_mut() else {
                continue;
            };
            match child.try_wait() {
                Ok(Some(status)) => run.status = Some(Ok(status)),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    run.status = Some(Err(anyhow::anyhow!(
                        "{} killed by the watchdog after {timeout:?}",
                        shell_line(&run.job.program, &run.job.args)
                    )));
                }
                Ok(None) => pending = true,
                Err(err) => run.status = Some(Err(err.into())),
            }
        }
        if !pending {
            break;
        }
        sleep(POLL);
    }
    running
        .into_iter()
        .map(|run| {
            let status = run
                .status
                .unwrap_or_else(|| Err(anyhow::anyhow!("not run")))?;
            let stdout = std::fs::read_to_string(&run.out_path).unwrap_or_default();
            let stderr = std::fs::read_to_string(&run.err_path).unwrap_or_default();
            if !status.success() {
                bail!(
                    "{} exited with {status}; stderr: {}",
                    shell_line(&run.job.program, &run.job.args),
                    stderr.trim()
                );
            }
            Ok(Output { stdout, stderr })
        })
        .collect()
}

/// Runs a short informational command; any failure gives `None`.
pub fn capture(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips_through_sh() {
        let args = vec![
            "--save".to_string(),
            String::new(),
            "it's".to_string(),
            "a b".to_string(),
        ];
        let line = shell_line(Path::new("printf"), &args);
        assert_eq!(line, "printf --save '' 'it'\\''s' 'a b'");
    }

    #[test]
    fn watchdog_kills_a_hung_tool() {
        let dir = fresh_dir(&std::env::temp_dir(), "watchdog-test").unwrap();
        let started = Instant::now();
        let result = run_bounded(
            Path::new("sleep"),
            &["30".to_string()],
            Duration::from_millis(200),
            &dir,
            "sleep",
        );
        assert!(result.is_err());
        assert!(started.elapsed() < Duration::from_secs(10));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn jobs_run_together_and_fail_alone() {
        let dir = fresh_dir(&std::env::temp_dir(), "jobs-test").unwrap();
        let job = |program: &str, args: &[&str], label: &str| Job {
            program: PathBuf::from(program),
            args: args.iter().map(|s| s.to_string()).collect(),
            label: label.to_string(),
        };
        let started = Instant::now();
        let results = run_bounded_all(
            &[
                job("sh", &["-c", "sleep 0.3; echo one"], "a"),
                job("sh", &["-c", "sleep 0.3; echo two"], "b"),
                job("false", &[], "c"),
                job("/nonexistent/tool", &[], "d"),
                job("sleep", &["30"], "e"),
            ],
            Duration::from_secs(2),
            &dir,
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(results.len(), 5);
        assert_eq!(results[0].as_ref().unwrap().stdout, "one\n");
        assert_eq!(results[1].as_ref().unwrap().stdout, "two\n");
        assert!(results[2].is_err());
        assert!(results[3].is_err());
        assert!(format!("{:#}", results[4].as_ref().err().unwrap()).contains("watchdog"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
