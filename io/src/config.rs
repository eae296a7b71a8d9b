//! Command-line flags of the `corekv` server and their validation.
//!
//! Every problem with flags, the data directory or the port is reported as
//! one line on stderr with exit code 2, before anything is written.

use argh::FromArgs;
use corekv_shard::Fsync;
use std::path::PathBuf;

/// corekv: a Redis-protocol key-value database. Thread-per-core on
/// io_uring; every write goes through Raft into a per-core fjall LSM and is
/// answered only once it is durable.
#[derive(FromArgs, Debug, Clone)]
pub struct Args {
    /// address to listen on (default 127.0.0.1)
    #[argh(option, default = "String::from(\"127.0.0.1\")")]
    pub bind: String,
    /// RESP port (default 6379)
    #[argh(option, default = "6379")]
    pub port: u16,
    /// data directory (default ./corekv-data)
    #[argh(option, default = "PathBuf::from(\"corekv-data\")")]
    pub dir: PathBuf,
    /// number of cores to run on (default: all CPUs)
    #[argh(option)]
    pub cores: Option<usize>,
    /// unix socket serving per-core stats as JSON (default <dir>/stats.sock)
    #[argh(option)]
    pub stats_socket: Option<PathBuf>,
    /// when to fsync: always (before every reply, default), everysec or never
    #[argh(option, default = "FsyncArg(Fsync::Always)")]
    pub fsync: FsyncArg,
    /// raft groups per core (default 2); fixed when the data dir is created
    #[argh(option, default = "2")]
    pub groups_per_core: usize,
    /// row cache per core in MiB (at least 1), in front of the LSM: what
    /// it holds, values and bookkeeping, stays within it (default 256)
    #[argh(option, default = "256")]
    pub cache_mb: u64,
    /// fjall block cache per core in MiB: LSM blocks for reads the row
    /// cache misses, separate from --cache-mb (default 64)
    #[argh(option, default = "64")]
    pub block_cache_mb: u64,
    /// size in MiB at which a core's Raft log starts a new segment
    /// (default 64); older segments are removed once the state machine
    /// has flushed what they hold
    #[argh(option, default = "64")]
    pub raft_segment_mb: u64,
    /// maximum number of connected clients (default 10000)
    #[argh(option, default = "10000")]
    pub maxclients: usize,
    /// maximum connections from one client IP, 0 for no limit (default 0)
    #[argh(option, default = "0")]
    pub max_clients_per_ip: usize,
    /// most client commands one core holds unanswered (proposed, parked or
    /// sent to another core) before its connections stop reading until
    /// some are answered; bounds the cross-core rings too (default 16384)
    #[argh(option, default = "16384")]
    pub queue_limit: usize,
    /// this node's id in the cluster (default 1)
    #[argh(option, default = "1")]
    pub node_id: u64,
    /// every cluster member, this node included, as id=host:port with its
    /// RESP port, comma separated (e.g. 1=10.0.0.1:6379,2=10.0.0.2:6379,
    /// 3=10.0.0.3:6379); Raft traffic of core c uses port+10000+c. Unset:
    /// a single node
    #[argh(option)]
    pub peers: Option<String>,
    /// same as --peers (the etcd spelling)
    #[argh(option)]
    pub initial_cluster: Option<String>,
    /// speak the Redis Cluster protocol: CLUSTER SLOTS/SHARDS/NODES/... and
    /// -MOVED for keys led by another node (instead of proxying)
    #[argh(switch)]
    pub cluster_enabled: bool,
    /// do not pin core threads to CPUs (for several nodes on one host: each
    /// would pin its core 0 to CPU 0)
    #[argh(switch)]
    pub no_pin: bool,
    /// join an existing cluster: start with no configuration and wait to be
    /// added (COREKV.CLUSTER ADDLEARNER on a member), then get a snapshot
    #[argh(switch)]
    pub join: bool,
    /// log entries a leader keeps for a lagging follower before it sends
    /// it a snapshot instead (default 65536)
    #[argh(option, default = "corekv_shard::shard::DEFAULT_MAX_FOLLOWER_LAG")]
    pub raft_max_lag: u64,
    /// log a leader keeps in memory per group for lagging followers, in MiB;
    /// past it they catch up from a snapshot instead (default 64)
    #[argh(
        option,
        default = "corekv_shard::shard::DEFAULT_MAX_FOLLOWER_LAG_BYTES >> 20"
    )]
    pub raft_max_lag_mb: u64,
    /// file holding the secret the members of a cluster share (one line, at
    /// least 16 bytes); required with --peers or --join. Nodes present it on
    /// their proxy and Raft links, and operators (corekv-ctl) to run
    /// COREKV.CLUSTER; connections without it cannot run internal commands
    #[argh(option)]
    pub cluster_secret_file: Option<PathBuf>,
    /// the default user's password (Redis's requirepass); every client must
    /// AUTH first. Replicated to every node through the meta group
    #[argh(option)]
    pub requirepass: Option<String>,
    /// ACL file (Redis's format: one `user <name> <rules...>` per line)
    /// loaded at start and by ACL LOAD, written by ACL SAVE; its users
    /// become the cluster's
    #[argh(option)]
    pub aclfile: Option<PathBuf>,
    /// largest clock offset accepted from another node, in ms (default
    /// 500): a peer timestamp further ahead of this node's clock is not
    /// merged into its HLC, and a proxied command carrying one is refused
    #[argh(option, default = "500")]
    pub max_clock_offset_ms: u64,
    /// enable COREKV.DEBUG (fault injection for tests: drop Raft traffic
    /// to/from chosen nodes); off by default
    #[argh(switch)]
    pub debug_commands: bool,
    /// keyspace events to publish, as Redis's notify-keyspace-events
    /// (e.g. KEA; default none); CONFIG SET changes it at run time
    #[argh(option, default = "NotifyArg(0)")]
    pub notify_keyspace_events: NotifyArg,
    /// TLS port for clients (default 0: none); with --port 0 clients can
    /// connect over TLS only
    #[argh(option, default = "0")]
    pub tls_port: u16,
    /// this node's certificate (PEM, chain first), for --tls-port and
    /// --tls-cluster
    #[argh(option)]
    pub tls_cert_file: Option<PathBuf>,
    /// the private key of --tls-cert-file (PEM)
    #[argh(option)]
    pub tls_key_file: Option<PathBuf>,
    /// CA certificates (PEM) that verify client certificates and, with
    /// --tls-cluster, other members' certificates
    #[argh(option)]
    pub tls_ca_cert_file: Option<PathBuf>,
    /// whether clients of --tls-port must present a certificate the CA
    /// signed: yes (default), no, or optional (checked if presented)
    #[argh(option, default = "crate::tls::AuthClients::Yes")]
    pub tls_auth_clients: crate::tls::AuthClients,
    /// mutual TLS on every link between members (Raft, snapshots, proxied
    /// commands): yes or no (default). With yes, --peers lists each
    /// member's --tls-port, and internal commands run only on connections
    /// whose client certificate the CA signed
    #[argh(option, default = "crate::tls::YesNo(false)")]
    pub tls_cluster: crate::tls::YesNo,
    /// certificate this node presents when it dials another member
    /// (default: --tls-cert-file)
    #[argh(option)]
    pub tls_client_cert_file: Option<PathBuf>,
    /// private key of --tls-client-cert-file
    #[argh(option)]
    pub tls_client_key_file: Option<PathBuf>,
    /// tests only, with --debug-commands: abort the process at the Nth
    /// Raft log rotation (`rotate:N`, after the new segment's checkpoint
    /// is written, before it is acknowledged) or purge (`purge:N`, after
    /// the first old segment is removed, before the rest)
    #[argh(option)]
    pub debug_crash: Option<String>,
}

/// Parses `--peers`: (node id, RESP address) sorted by id. Ids are unique
/// and non-zero; addresses must resolve.
pub fn parse_peers(s: &str) -> Result<Vec<(u64, std::net::SocketAddr)>, String> {
    use std::net::ToSocketAddrs;
    let mut out: Vec<(u64, std::net::SocketAddr)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (id, addr) = part
            .split_once('=')
            .ok_or_else(|| format!("invalid --peers entry '{part}': expected id=host:port"))?;
        let id: u64 = id.trim().parse().ok().filter(|&i| i > 0).ok_or_else(|| {
            format!("invalid node id in --peers entry '{part}': expected a positive integer")
        })?;
        let sa = addr
            .trim()
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| format!("cannot resolve '{}' in --peers", addr.trim()))?;
        if sa.port() > u16::MAX - crate::peer::PEER_PORT_OFFSET - 256 {
            return Err(format!(
                "port {} in --peers is too high: port+10000+core must be a valid port",
                sa.port()
            ));
        }
        if out.iter().any(|(i, _)| *i == id) {
            return Err(format!("node id {id} appears twice in --peers"));
        }
        out.push((id, sa));
    }
    if out.is_empty() {
        return Err("--peers is empty".into());
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// `--notify-keyspace-events`: the flags of `corekv_core::notify`.
#[derive(Debug, Clone, Copy)]
pub struct NotifyArg(pub u32);

impl argh::FromArgValue for NotifyArg {
    fn from_arg_value(value: &str) -> Result<Self, String> {
        corekv_core::notify::parse_flags(value.as_bytes())
            .map(NotifyArg)
            .ok_or_else(|| {
                format!(
                    "invalid --notify-keyspace-events '{value}': {}",
                    corekv_core::notify::BAD_FLAGS
                )
            })
    }
}

impl Args {
    /// The keyspace-event flags the node starts with.
    pub fn notify_flags(&self) -> u32 {
        self.notify_keyspace_events.0
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FsyncArg(pub Fsync);

impl argh::FromArgValue for FsyncArg {
    fn from_arg_value(value: &str) -> Result<Self, String> {
        parse_fsync(value).map(FsyncArg).ok_or_else(|| {
            format!("invalid fsync policy '{value}': expected always, everysec or never")
        })
    }
}

pub fn parse_fsync(value: &str) -> Option<Fsync> {
    match value.to_ascii_lowercase().as_str() {
        "always" => Some(Fsync::Always),
        "everysec" => Some(Fsync::EverySec),
        "never" | "no" => Some(Fsync::Never),
        _ => None,
    }
}

pub fn fsync_name(f: Fsync) -> &'static str {
    match f {
        Fsync::Always => "always",
        Fsync::EverySec => "everysec",
        Fsync::Never => "no",
    }
}

/// Parses argv; on `--help` prints usage and exits 0, on a bad flag prints
/// one line and exits 2.
pub fn from_env() -> Args {
    let strings: Vec<String> = std::env::args().collect();
    let cmd = strings.first().map(|s| s.as_str()).unwrap_or("corekv");
    let cmd = std::path::Path::new(cmd)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("corekv");
    let rest: Vec<&str> = strings.iter().skip(1).map(|s| s.as_str()).collect();
    match Args::from_args(&[cmd], &rest) {
        Ok(a) => a,
        Err(early) => match early.status {
            Ok(()) => {
                print!("{}", early.output);
                std::process::exit(0);
            }
            Err(()) => {
                let line = early
                    .output
                    .lines()
                    .next()
                    .unwrap_or("invalid arguments")
                    .trim();
                fatal(&format!("{line} (see corekv --help)"));
            }
        },
    }
}

/// Prints `corekv: <msg>` and exits with status 2.
pub fn fatal(msg: &str) -> ! {
    eprintln!("corekv: {msg}");
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_sorted_and_reject_bad_input() {
        let p = parse_peers("3=127.0.0.1:7003, 1=127.0.0.1:7001,2=127.0.0.1:7002").expect("valid");
        assert_eq!(p.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(p[0].1.port(), 7001);
        for bad in [
            "",
            "1",
            "0=127.0.0.1:1",
            "x=127.0.0.1:1",
            "1=127.0.0.1:1,1=127.0.0.1:2",
            "1=nohost.invalid:1",
            "1=127.0.0.1:65000",
        ] {
            assert!(parse_peers(bad).is_err(), "{bad}");
        }
    }
}
