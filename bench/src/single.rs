//! What the single-server programs (`--collection-reads`, `--xread-drill`)
//! share: starting one server configuration of the matrix on a fresh port
//! and directory (bounded waits, killed on drop), the commands run, and
//! the facts every report starts with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::{self, Server, capture, shell_line};
use crate::resp::Conn;
use crate::servers::{Binaries, Config};

pub struct Env {
    pub bins: Binaries,
    pub scratch: PathBuf,
    pub corekv_args: Vec<String>,
    pub startup: Duration,
    pub stop: Duration,
    /// `--taskset`: the server's CPU.
    pub server_cpu: Option<u32>,
    pub keep_dirs: bool,
    /// Every server command line, for the report.
    pub commands: Vec<String>,
}

/// One started server; dropping it kills the process.
pub struct Running {
    pub config: Config,
    pub server: Server,
    pub port: u16,
    pub dir: PathBuf,
    pub stats_socket: PathBuf,
    pub pid: u32,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn conn(&self) -> Result<Conn> {
        Conn::connect(self.addr(), Duration::from_secs(30))
    }

    /// Fails with the server's log tail if it is gone.
    pub fn check_alive(&mut self) -> Result<()> {
        if self.server.is_running() {
            Ok(())
        } else {
            bail!(
                "{} exited; log:\n{}",
                self.config.describe(),
                self.server.log_tail()
            )
        }
    }
}

impl Env {
    /// Starts `config` (with its stats socket, for corekv) and waits for PING.
    pub fn start(&mut self, config: Config, label: &str) -> Result<Running> {
        let dir = process::fresh_dir(&self.scratch, &format!("{}-{label}", config.name))?;
        let port = process::free_port()?;
        let stats_socket = dir.join("stats.sock");
        let (program, args) = config.command(
            &self.bins,
            port,
            &dir,
            config.is_corekv().then_some(stats_socket.as_path()),
            &self.corekv_args,
        );
        let (program, args) = process::command(&program, &args, self.server_cpu);
        self.commands.push(shell_line(&program, &args));
        let mut server = Server::start(&program, &args, dir.join("server.log"))?;
        let pid = server.pid().context("server has no pid")?;
        server.wait_ready(port, self.startup)?;
        Ok(Running {
            config,
            server,
            port,
            dir,
            stats_socket,
            pid,
        })
    }

    /// SIGTERM (then SIGKILL), and the directory goes unless `--keep-dirs`.
    pub fn finish(&self, running: Running) {
        let Running { server, dir, .. } = running;
        match server.stop(self.stop) {
            Ok(status) => eprintln!("[corekv-bench]   stopped ({status})"),
            Err(err) => eprintln!("[corekv-bench]   stop: {err:#}"),
        }
        if self.keep_dirs {
            eprintln!("[corekv-bench]   kept {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    /// The facts a report starts with: date, machine, versions, load.
    pub fn facts(&self, configs: &[Config], started: &str, load_before: &str) -> Vec<String> {
        let version = |program: &Path| {
            capture(&program.display().to_string(), &["--version"])
                .unwrap_or_else(|| "unknown".to_string())
        };
        let mut facts = vec![
            format!("date: {started} (start)"),
            format!(
                "machine: {} CPUs (nproc), {}, kernel {}",
                capture("nproc", &[]).unwrap_or_else(|| "?".to_string()),
                crate::cpu_model(),
                capture("uname", &["-r"]).unwrap_or_else(|| "?".to_string()),
            ),
        ];
        if configs.iter().any(|c| !c.is_corekv()) {
            facts.push(format!(
                "redis-server: `{}` ({})",
                self.bins.redis_server.display(),
                version(&self.bins.redis_server)
            ));
        }
        if configs.iter().any(Config::is_corekv) {
            let root = crate::workspace_root().display().to_string();
            let commit = capture("git", &["-C", &root, "describe", "--always", "--dirty"])
                .unwrap_or_else(|| "unknown".to_string());
            facts.push(format!(
                "corekv: `{}` (workspace at {commit})",
                self.bins.corekv.display()
            ));
        }
        facts.push(format!(
            "pinning: {}",
            match self.server_cpu {
                Some(cpu) => format!("server on CPU {cpu} (taskset), the client elsewhere"),
                None => "none (server and client share all CPUs)".to_string(),
            }
        ));
        facts.push(format!(
            "load average (1/5/15 min): {load_before} before, {} after",
            crate::load_average()
        ));
        let invocation: Vec<String> = std::env::args().collect();
        facts.push(format!("invocation: `{}`", invocation.join(" ")));
        facts
    }
}

/// Now, for a report's date line.
pub fn now_utc() -> String {
    capture("date", &["-u", "+%Y-%m-%d %H:%M:%S UTC"]).unwrap_or_default()
}

/// Pins the calling thread (and the threads it spawns later) to `cpu`.
pub fn pin_self(cpu: u32) -> Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        bail!(
            "sched_setaffinity to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Sends `commands` pipelined, `window` at a time, and fails on the first
/// error reply (e.g. a server that lacks the command).
pub fn load<I>(conn: &mut Conn, commands: I, window: usize) -> Result<u64>
where
    I: IntoIterator<Item = Vec<Vec<u8>>>,
{
    let mut sent = 0u64;
    let mut in_flight = 0usize;
    let drain = |conn: &mut Conn, n: usize| -> Result<()> {
        conn.flush()?;
        for _ in 0..n {
            let reply = conn.read()?;
            if let Some(err) = reply.error {
                // Redis quotes the arguments back; a few suffice.
                let short: String = err.chars().take(120).collect();
                let more = if short.len() < err.len() { " ..." } else { "" };
                bail!("load command failed: -{short}{more}");
            }
        }
        Ok(())
    };
    for command in commands {
        conn.push(&command);
        sent += 1;
        in_flight += 1;
        if in_flight >= window.max(1) {
            drain(conn, in_flight)?;
            in_flight = 0;
        }
    }
    drain(conn, in_flight)?;
    Ok(sent)
}

/// The integer a command answers (HLEN, XLEN ...), or an error.
pub fn int_reply<A: AsRef<[u8]>>(conn: &mut Conn, args: &[A]) -> Result<i64> {
    let reply = conn.call(args)?;
    if let Some(err) = reply.error {
        bail!("-{err}");
    }
    reply.int.context("expected an integer reply")
}
