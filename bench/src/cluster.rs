//! A local corekv cluster for the benchmark: N node processes on loopback,
//! each in its own directory under one fresh scratch directory, started
//! with [`Server`] (so dropping the cluster kills every node), plus what
//! the benchmark does to it: wait until every Raft group has an agreed
//! leader, reset and read the stats sockets, kill -9 a node and restart it.
//! Every wait has a deadline.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::process::{self, Server, shell_line};
use crate::raftstats::{self, ClusterStats, NodeStats};
use crate::resp::{Client, Reply};
use crate::servers::{Binaries, Config, Kind};

/// Raft traffic of core c of a node with RESP port P uses P + 10000 + c.
pub const RAFT_PORT_OFFSET: u16 = 10_000;
/// RESP ports are picked from here; their Raft ports (+10000) then stay
/// below the usual ephemeral range (32768–60999), so an outgoing
/// connection is unlikely to take one before the node binds it.
const PORT_RANGE: std::ops::Range<u16> = 12_000..22_000;

/// One node: how to start it, and the process when it runs.
pub struct Node {
    pub id: u64,
    pub port: u16,
    pub dir: PathBuf,
    pub stats_socket: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    server: Option<Server>,
    starts: u32,
}

impl Node {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn command_line(&self) -> String {
        shell_line(&self.program, &self.args)
    }

    fn start(&mut self) -> Result<()> {
        self.starts += 1;
        let log = if self.starts == 1 {
            self.dir.join("server.log")
        } else {
            self.dir
                .join(format!("server.restart{}.log", self.starts - 1))
        };
        self.server = Some(Server::start(&self.program, &self.args, log)?);
        Ok(())
    }

    /// The node's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().and_then(Server::pid)
    }

    /// True if the node was started and not killed or stopped since.
    pub fn is_up(&self) -> bool {
        self.server.is_some()
    }

    pub fn is_running(&mut self) -> bool {
        self.server.as_mut().is_some_and(Server::is_running)
    }

    pub fn log_tail(&self) -> String {
        self.server
            .as_ref()
            .map_or_else(String::new, Server::log_tail)
    }
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub dir: PathBuf,
}

/// True if `port` can be bound on loopback right now.
fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Picks `n` RESP ports whose Raft ports (`+10000+core` for every core)
/// are free too and collide with no other node's; bounded attempts.
pub fn pick_ports(n: usize, cores: u16) -> Result<Vec<u16>> {
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
        .unwrap_or(1)
        ^ u64::from(std::process::id()) << 20;
    let span = u64::from(PORT_RANGE.end - PORT_RANGE.start);
    let mut taken: Vec<u16> = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..2000 {
        if ports.len() == n {
            break;
        }
        // xorshift64: good enough to spread candidates.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let port = PORT_RANGE.start + (seed % span) as u16;
        let needed: Vec<u16> = std::iter::once(port)
            .chain((0..cores).map(|c| port + RAFT_PORT_OFFSET + c))
            .collect();
        if needed.iter().any(|p| taken.contains(p)) || !needed.iter().all(|&p| port_free(p)) {
            continue;
        }
        taken.extend(needed);
        ports.push(port);
    }
    if ports.len() < n {
        bail!("found only {} of {n} free port sets", ports.len());
    }
    Ok(ports)
}

/// `1=127.0.0.1:P1,2=127.0.0.1:P2,...`
pub fn peers_flag(ports: &[u16]) -> String {
    ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}=127.0.0.1:{p}", i + 1))
        .collect::<Vec<_>>()
        .join(",")
}

impl Cluster {
    /// Lays out a cluster of `config` (a [`Kind::Cluster`]): free ports,
    /// a fresh directory under `scratch` with one per node, and each node's
    /// command line (appended to `commands`). Nothing runs yet.
    pub fn new(
        config: &Config,
        bins: &Binaries,
        scratch: &Path,
        extra_args: &[String],
        pin: Option<u32>,
        commands: &mut Vec<String>,
    ) -> Result<Cluster> {
        let Kind::Cluster { nodes, cores, .. } = config.kind else {
            bail!("{} is not a cluster configuration", config.name);
        };
        let ports = pick_ports(nodes as usize, u16::try_from(cores).unwrap_or(1))?;
        let peers = peers_flag(&ports);
        let mut cluster = Cluster {
            nodes: Vec::new(),
            dir: process::fresh_dir(scratch, config.name)?,
        };
        // The members' shared secret (--cluster-secret-file).
        let secret = cluster.dir.join("cluster-secret");
        std::fs::write(
            &secret,
            format!(
                "bench-{}-{}-cluster-secret\n",
                std::process::id(),
                ports.first().copied().unwrap_or(0)
            ),
        )
        .with_context(|| format!("write {}", secret.display()))?;
        for (i, &port) in ports.iter().enumerate() {
            let id = i as u64 + 1;
            let node_dir = cluster.dir.join(format!("node{id}"));
            std::fs::create_dir_all(&node_dir)
                .with_context(|| format!("create {}", node_dir.display()))?;
            let stats_socket = node_dir.join("stats.sock");
            let (program, mut args) = config.command(
                bins,
                port,
                &node_dir.join("data"),
                Some(&stats_socket),
                extra_args,
            );
            args.extend([
                "--node-id".to_string(),
                id.to_string(),
                "--peers".to_string(),
                peers.clone(),
                "--cluster-secret-file".to_string(),
                secret.display().to_string(),
            ]);
            let (program, args) = process::command(&program, &args, pin);
            let node = Node {
                id,
                port,
                dir: node_dir,
                stats_socket,
                program,
                args,
                server: None,
                starts: 0,
            };
            commands.push(node.command_line());
            cluster.nodes.push(node);
        }
        Ok(cluster)
    }

    /// Starts every node and waits until each answers PING, all within
    /// `startup`.
    pub fn start(&mut self, startup: Duration) -> Result<()> {
        for node in &mut self.nodes {
            node.start()?;
        }
        let deadline = Instant::now() + startup;
        for node in &mut self.nodes {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Some(server) = node.server.as_mut() {
                server
                    .wait_ready(node.port, left.max(Duration::from_millis(100)))
                    .with_context(|| format!("node {}", node.id))?;
            }
        }
        Ok(())
    }

    pub fn ids(&self) -> Vec<u64> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    pub fn node(&self, id: u64) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn node_mut(&mut self, id: u64) -> Result<&mut Node> {
        self.nodes
            .iter_mut()
            .find(|n| n.id == id)
            .with_context(|| format!("no node {id}"))
    }

    /// Fails with the node's log tail if any node that should run exited.
    pub fn check_running(&mut self) -> Result<()> {
        for node in &mut self.nodes {
            if node.server.is_some() && !node.is_running() {
                bail!("node {} exited; log:\n{}", node.id, node.log_tail());
            }
        }
        Ok(())
    }

    /// The stats documents of the given nodes (those that answer).
    pub fn stats_of(&self, ids: &[u64]) -> ClusterStats {
        self.nodes
            .iter()
            .filter(|n| ids.contains(&n.id) && n.server.is_some())
            .filter_map(|n| raftstats::fetch(&n.stats_socket).ok().map(|s| (n.id, s)))
            .collect()
    }

    /// The stats document of every running node.
    pub fn stats(&self) -> ClusterStats {
        self.stats_of(&self.ids())
    }

    /// One node's stats document, with the error if it does not answer.
    pub fn node_stats(&self, id: u64) -> Result<NodeStats> {
        let node = self.node(id).with_context(|| format!("no node {id}"))?;
        raftstats::fetch(&node.stats_socket)
    }

    /// Waits until every running node answers its stats socket, every
    /// group has a leader all of them name, and that has not changed for
    /// `quiet`. With `preferred`, also until every group is led by its
    /// preferred node; if that does not happen in time, a settled cluster
    /// is accepted and the flag in the result is false. Errors if the
    /// cluster does not settle at all within `timeout`.
    pub fn wait_settled(
        &mut self,
        timeout: Duration,
        quiet: Duration,
        preferred: bool,
    ) -> Result<(BTreeMap<u32, u64>, bool)> {
        let deadline = Instant::now() + timeout;
        let all = self.ids();
        let mut stable: Option<(BTreeMap<u32, u64>, Instant)> = None;
        let mut last_seen;
        loop {
            self.check_running()?;
            let running: Vec<u64> = self
                .nodes
                .iter()
                .filter(|n| n.server.is_some())
                .map(|n| n.id)
                .collect();
            let stats = self.stats_of(&running);
            let leaders = if stats.len() == running.len() {
                raftstats::agreed_leaders(&stats)
            } else {
                None
            };
            let now = Instant::now();
            match leaders {
                Some(leaders) => {
                    last_seen = format!("leaders {leaders:?}");
                    let since = match &stable {
                        Some((prev, since)) if *prev == leaders => *since,
                        _ => now,
                    };
                    let is_preferred = raftstats::leaders_preferred(&leaders, &all);
                    if now.duration_since(since) >= quiet && (is_preferred || !preferred) {
                        return Ok((leaders, is_preferred));
                    }
                    if now >= deadline && now.duration_since(since) >= quiet {
                        return Ok((leaders, is_preferred));
                    }
                    stable = Some((leaders, since));
                }
                None => {
                    stable = None;
                    last_seen = format!(
                        "{} of {} nodes answered stats; groups without an agreed leader",
                        stats.len(),
                        running.len()
                    );
                }
            }
            if now >= deadline {
                bail!("cluster did not settle within {timeout:?} ({last_seen})");
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// `CONFIG RESETSTAT` on every running node, so the histograms read
    /// next cover only what happens from now on.
    pub fn reset_stats(&self) -> Result<()> {
        for node in self.nodes.iter().filter(|n| n.server.is_some()) {
            let mut client = Client::connect(node.addr(), Duration::from_secs(5))?;
            match client.call(&[b"CONFIG", b"RESETSTAT"])? {
                Reply::Value(_) => {}
                other => bail!("node {}: CONFIG RESETSTAT answered {other:?}", node.id),
            }
        }
        Ok(())
    }

    /// kill -9 of node `id`.
    pub fn kill(&mut self, id: u64) -> Result<ExitStatus> {
        let node = self.node_mut(id)?;
        let mut server = node.server.take().context("node is not running")?;
        server.kill_now()
    }

    /// Starts node `id` again with the same command line (same data
    /// directory and ports) and waits for PING.
    pub fn restart(&mut self, id: u64, timeout: Duration) -> Result<()> {
        let node = self.node_mut(id)?;
        if node.server.is_some() {
            bail!("node {id} is running");
        }
        node.start()?;
        let port = node.port;
        match node.server.as_mut() {
            Some(server) => server.wait_ready(port, timeout),
            None => bail!("node {id} did not start"),
        }
    }

    /// SIGTERM every node, SIGKILL after `grace`; the directory stays for
    /// the caller to remove.
    pub fn stop(&mut self, grace: Duration) -> Vec<(u64, Result<ExitStatus>)> {
        self.nodes
            .iter_mut()
            .filter_map(|n| n.server.take().map(|s| (n.id, s.stop(grace))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_leave_room_for_raft() {
        let ports = pick_ports(3, 2).unwrap();
        assert_eq!(ports.len(), 3);
        assert!(ports.iter().all(|p| PORT_RANGE.contains(p)));
        let mut all: Vec<u16> = ports
            .iter()
            .flat_map(|&p| [p, p + RAFT_PORT_OFFSET, p + RAFT_PORT_OFFSET + 1])
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 9, "no port is used twice");
    }

    #[test]
    fn peers_flag_numbers_nodes_from_one() {
        assert_eq!(
            peers_flag(&[7001, 7002, 7003]),
            "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003"
        );
    }
}
