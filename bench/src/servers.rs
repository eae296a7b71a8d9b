//! The server configurations of the benchmark matrix and the command line
//! that starts each one. Every corekv configuration names the Redis
//! configuration it is compared against, so ratios are always like for
//! like: no persistence against no persistence, fsync per write against
//! `appendfsync always`.

use std::path::{Path, PathBuf};

/// Where the binaries live; resolved once from the CLI.
pub struct Binaries {
    pub redis_server: PathBuf,
    pub corekv: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Never,
    Always,
}

impl Fsync {
    /// `always` or `never` (what `--cluster-fsync` accepts).
    pub fn parse(text: &str) -> Option<Fsync> {
        match text {
            "always" => Some(Fsync::Always),
            "never" => Some(Fsync::Never),
            _ => None,
        }
    }

    pub fn flag(self) -> &'static str {
        match self {
            Fsync::Never => "never",
            Fsync::Always => "always",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// redis-server; `Always` means `--appendonly yes --appendfsync always`.
    Redis(Fsync),
    Corekv {
        cores: u32,
        fsync: Fsync,
    },
    /// A local corekv cluster of `nodes` processes (`--cluster`), each with
    /// `--cores cores --fsync fsync`; redis-benchmark talks to node 1, or
    /// with `spread` one redis-benchmark per node runs at the same time.
    Cluster {
        nodes: u32,
        cores: u32,
        fsync: Fsync,
        spread: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub name: &'static str,
    pub kind: Kind,
}

/// The full matrix, in the order it runs.
pub const MATRIX: [Config; 6] = [
    Config {
        name: "redis-nopersist",
        kind: Kind::Redis(Fsync::Never),
    },
    Config {
        name: "redis-aof-always",
        kind: Kind::Redis(Fsync::Always),
    },
    Config {
        name: "corekv-c1-never",
        kind: Kind::Corekv {
            cores: 1,
            fsync: Fsync::Never,
        },
    },
    Config {
        name: "corekv-c1-always",
        kind: Kind::Corekv {
            cores: 1,
            fsync: Fsync::Always,
        },
    },
    Config {
        name: "corekv-c2-always",
        kind: Kind::Corekv {
            cores: 2,
            fsync: Fsync::Always,
        },
    },
    Config {
        name: "corekv-c2-never",
        kind: Kind::Corekv {
            cores: 2,
            fsync: Fsync::Never,
        },
    },
];

/// The cluster configurations `--cluster` runs: name and whether the
/// clients are spread over every node.
pub const CLUSTER_TARGETS: [(&str, bool); 2] = [
    ("corekv-cluster-node1", false),
    ("corekv-cluster-all", true),
];

impl Config {
    /// A cluster configuration (see [`Kind::Cluster`]).
    pub fn cluster(nodes: u32, cores: u32, fsync: Fsync, spread: bool) -> Config {
        let name = CLUSTER_TARGETS
            .iter()
            .find(|(_, s)| *s == spread)
            .map_or("corekv-cluster", |(n, _)| n);
        Config {
            name,
            kind: Kind::Cluster {
                nodes,
                cores,
                fsync,
                spread,
            },
        }
    }

    pub fn is_corekv(&self) -> bool {
        matches!(self.kind, Kind::Corekv { .. } | Kind::Cluster { .. })
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.kind, Kind::Cluster { .. })
    }

    /// The Redis configuration this one is measured against (None for the
    /// Redis configurations themselves).
    pub fn baseline(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Redis(_) => None,
            Kind::Corekv {
                fsync: Fsync::Never,
                ..
            }
            | Kind::Cluster {
                fsync: Fsync::Never,
                ..
            } => Some("redis-nopersist"),
            Kind::Corekv {
                fsync: Fsync::Always,
                ..
            }
            | Kind::Cluster {
                fsync: Fsync::Always,
                ..
            } => Some("redis-aof-always"),
        }
    }

    /// A human description for the table, e.g. `corekv --cores 1 --fsync never`.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Redis(Fsync::Never) => "redis (no persistence)".to_string(),
            Kind::Redis(Fsync::Always) => "redis (appendfsync always)".to_string(),
            Kind::Corekv { cores, fsync } => {
                format!("corekv --cores {cores} --fsync {}", fsync.flag())
            }
            Kind::Cluster {
                nodes,
                cores,
                fsync,
                spread,
            } => format!(
                "corekv {nodes}-node cluster (--cores {cores} --fsync {}), {}",
                fsync.flag(),
                if spread {
                    "clients spread over all nodes"
                } else {
                    "clients on node 1"
                }
            ),
        }
    }

    /// True if `filter` (a comma-separated list of names or name prefixes
    /// such as `redis`, `corekv-c1`, `corekv-c2-never`) selects this one.
    pub fn selected_by(&self, filter: &str) -> bool {
        filter
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .any(|f| self.name.starts_with(f))
    }

    /// Program and arguments that start this server on `port` with all of
    /// its state in `dir`. `stats_socket` is passed to corekv only when
    /// stats were asked for. For a cluster this is one node's command
    /// without `--node-id` and `--peers`, which the cluster adds.
    pub fn command(
        &self,
        bins: &Binaries,
        port: u16,
        dir: &Path,
        stats_socket: Option<&Path>,
        extra_corekv_args: &[String],
    ) -> (PathBuf, Vec<String>) {
        let dir_s = dir.display().to_string();
        let port_s = port.to_string();
        match self.kind {
            Kind::Redis(fsync) => {
                let mut args: Vec<String> = [
                    "--port",
                    &port_s,
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    &dir_s,
                    "--daemonize",
                    "no",
                    "--protected-mode",
                    "no",
                    "--save",
                    "",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                let persistence: &[&str] = match fsync {
                    Fsync::Never => &["--appendonly", "no"],
                    Fsync::Always => &["--appendonly", "yes", "--appendfsync", "always"],
                };
                args.extend(persistence.iter().map(|s| s.to_string()));
                (bins.redis_server.clone(), args)
            }
            Kind::Corekv { cores, fsync } | Kind::Cluster { cores, fsync, .. } => {
                let mut args = vec![
                    "--port".to_string(),
                    port_s,
                    "--dir".to_string(),
                    dir_s,
                    "--cores".to_string(),
                    cores.to_string(),
                    "--fsync".to_string(),
                    fsync.flag().to_string(),
                ];
                if let Some(sock) = stats_socket {
                    args.push("--stats-socket".to_string());
                    args.push(sock.display().to_string());
                }
                if matches!(self.kind, Kind::Cluster { .. }) {
                    // Several nodes on one host: pinning would put every
                    // node's core 0 on CPU 0.
                    args.push("--no-pin".to_string());
                }
                args.extend(extra_corekv_args.iter().cloned());
                (bins.corekv.clone(), args)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_corekv_config_has_a_redis_baseline_in_the_matrix() {
        for config in MATRIX.iter().filter(|c| c.is_corekv()) {
            let base = config.baseline().unwrap();
            assert!(MATRIX.iter().any(|c| c.name == base && !c.is_corekv()));
        }
        assert_eq!(
            MATRIX[3].baseline(),
            Some("redis-aof-always"),
            "fsync always compares with appendfsync always"
        );
    }

    #[test]
    fn cluster_configs_compare_with_the_matching_redis() {
        let c = Config::cluster(3, 1, Fsync::Always, false);
        assert_eq!(c.name, "corekv-cluster-node1");
        assert!(c.is_corekv() && c.is_cluster());
        assert_eq!(c.baseline(), Some("redis-aof-always"));
        assert_eq!(
            c.describe(),
            "corekv 3-node cluster (--cores 1 --fsync always), clients on node 1"
        );
        let spread = Config::cluster(3, 1, Fsync::Never, true);
        assert_eq!(spread.name, "corekv-cluster-all");
        assert_eq!(spread.baseline(), Some("redis-nopersist"));
        let bins = Binaries {
            redis_server: PathBuf::from("redis-server"),
            corekv: PathBuf::from("corekv"),
        };
        let (program, args) = c.command(
            &bins,
            7001,
            Path::new("/d"),
            Some(Path::new("/d/s.sock")),
            &["--groups-per-core".to_string(), "4".to_string()],
        );
        assert_eq!(program, PathBuf::from("corekv"));
        assert_eq!(
            args.join(" "),
            "--port 7001 --dir /d --cores 1 --fsync always --stats-socket /d/s.sock --no-pin --groups-per-core 4"
        );
    }

    #[test]
    fn filter_matches_prefixes() {
        let names = |f: &str| -> Vec<&str> {
            MATRIX
                .iter()
                .filter(|c| c.selected_by(f))
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("redis"), ["redis-nopersist", "redis-aof-always"]);
        assert_eq!(names("corekv-c1"), ["corekv-c1-never", "corekv-c1-always"]);
        assert_eq!(names("redis-nopersist, corekv-c2-never").len(), 2);
        assert!(names("nothing").is_empty());
    }
}
