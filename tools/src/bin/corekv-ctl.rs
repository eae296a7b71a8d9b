//! corekv-ctl: cluster administration against any member's RESP port.
//!
//!   corekv-ctl --addr 127.0.0.1:7001 --secret-file secret members
//!   corekv-ctl --addr 127.0.0.1:7001 add-learner 4 127.0.0.1:7004
//!   corekv-ctl --addr 127.0.0.1:7001 promote 4
//!   corekv-ctl --addr 127.0.0.1:7001 remove 3
//!   corekv-ctl --addr 127.0.0.1:7001 transfer 1 4
//!
//! Each subcommand is one `COREKV.CLUSTER ...` command, sent after
//! `COREKV.MEMBER <secret>` (the cluster secret, the file every node was
//! started with as `--cluster-secret-file`; without it the node answers as
//! for an unknown command); the node applies it to every Raft group. Exit 0 on success, 1 on an error reply or an
//! unreachable node (one line on stderr), 2 on bad usage.
//!
//! `--tls --cert --key --cacert` (redis-cli's names) dial the node's TLS
//! port; a node run with `--tls-cluster yes` takes `COREKV.MEMBER` only
//! from a TLS client whose certificate its CA signed.

use argh::FromArgs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// corekv-ctl: add, promote, remove cluster members and move leadership.
#[derive(FromArgs)]
struct Args {
    /// RESP address of any cluster member (default 127.0.0.1:6379)
    #[argh(option, default = "String::from(\"127.0.0.1:6379\")")]
    addr: String,
    /// file holding the cluster secret (the nodes' --cluster-secret-file);
    /// default: $COREKV_SECRET_FILE
    #[argh(option)]
    secret_file: Option<std::path::PathBuf>,
    /// seconds to wait for the reply (default 30)
    #[argh(option, default = "30")]
    timeout: u64,
    /// connect with TLS (--addr is then the node's --tls-port)
    #[argh(switch)]
    tls: bool,
    /// client certificate (PEM) for --tls
    #[argh(option)]
    cert: Option<std::path::PathBuf>,
    /// private key of --cert (PEM)
    #[argh(option)]
    key: Option<std::path::PathBuf>,
    /// CA certificate (PEM) that signed the node's certificate, for --tls
    #[argh(option)]
    cacert: Option<std::path::PathBuf>,
    #[argh(subcommand)]
    cmd: Cmd,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Cmd {
    Members(Members),
    AddLearner(AddLearner),
    Promote(Promote),
    Remove(Remove),
    Transfer(Transfer),
}

/// per group: leader, voters, learners
#[derive(FromArgs)]
#[argh(subcommand, name = "members")]
struct Members {}

/// add node <id> (listening at <addr>, started with --join) as a learner
#[derive(FromArgs)]
#[argh(subcommand, name = "add-learner")]
struct AddLearner {
    /// node id
    #[argh(positional)]
    id: u64,
    /// its RESP address, ip:port
    #[argh(positional)]
    node_addr: String,
}

/// make learner <id> a voter (joint consensus)
#[derive(FromArgs)]
#[argh(subcommand, name = "promote")]
struct Promote {
    /// node id
    #[argh(positional)]
    id: u64,
}

/// remove node <id> from every group (joint consensus)
#[derive(FromArgs)]
#[argh(subcommand, name = "remove")]
struct Remove {
    /// node id
    #[argh(positional)]
    id: u64,
}

/// make node <id> the leader of group <group>
#[derive(FromArgs)]
#[argh(subcommand, name = "transfer")]
struct Transfer {
    /// group id
    #[argh(positional)]
    group: u32,
    /// node id
    #[argh(positional)]
    id: u64,
}

fn main() {
    let args: Args = argh::from_env();
    let argv: Vec<String> = match &args.cmd {
        Cmd::Members(_) => vec!["MEMBERS".into()],
        Cmd::AddLearner(a) => vec!["ADDLEARNER".into(), a.id.to_string(), a.node_addr.clone()],
        Cmd::Promote(a) => vec!["PROMOTE".into(), a.id.to_string()],
        Cmd::Remove(a) => vec!["REMOVE".into(), a.id.to_string()],
        Cmd::Transfer(a) => vec!["TRANSFER".into(), a.group.to_string(), a.id.to_string()],
    };
    let Some(secret_file) = args
        .secret_file
        .clone()
        .or_else(|| std::env::var_os("COREKV_SECRET_FILE").map(Into::into))
    else {
        eprintln!(
            "corekv-ctl: give --secret-file (the cluster secret file the nodes run with) or set COREKV_SECRET_FILE"
        );
        std::process::exit(2);
    };
    let secret = match std::fs::read(&secret_file) {
        Ok(raw) => String::from_utf8_lossy(raw.trim_ascii()).into_owned(),
        Err(e) => {
            eprintln!(
                "corekv-ctl: cannot read --secret-file {}: {e}",
                secret_file.display()
            );
            std::process::exit(2);
        }
    };
    let tls = if args.tls {
        match tls_config(&args) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("corekv-ctl: {e}");
                std::process::exit(2);
            }
        }
    } else {
        None
    };
    match run(
        &args.addr,
        Duration::from_secs(args.timeout),
        &secret,
        &argv,
        tls,
    ) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
        }
        Err(e) => {
            eprintln!("corekv-ctl: {e}");
            std::process::exit(1);
        }
    }
}

/// Sends `COREKV.MEMBER <secret>`, then `COREKV.CLUSTER <argv>`, and
/// returns the second reply as lines.
fn run(
    addr: &str,
    timeout: Duration,
    secret: &str,
    argv: &[String],
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> Result<Vec<String>, String> {
    let sock: std::net::SocketAddr = addr
        .parse()
        .map_err(|_| format!("invalid --addr '{addr}': expected ip:port"))?;
    let tcp = TcpStream::connect_timeout(&sock, Duration::from_secs(2))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut s: Box<dyn ReadWrite> = match tls {
        None => Box::new(tcp),
        Some(cfg) => {
            let name = rustls::pki_types::ServerName::IpAddress(sock.ip().into());
            let conn = rustls::ClientConnection::new(cfg, name)
                .map_err(|e| format!("tls to {addr}: {e}"))?;
            Box::new(rustls::StreamOwned::new(conn, tcp))
        }
    };
    let mut req = format!(
        "*2\r\n$13\r\nCOREKV.MEMBER\r\n${}\r\n{secret}\r\n",
        secret.len()
    );
    req.push_str(&format!("*{}\r\n$14\r\nCOREKV.CLUSTER\r\n", argv.len() + 1));
    for a in argv {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(req.as_bytes())
        .map_err(|e| format!("write to {addr}: {e}"))?;
    let mut r = BufReader::new(s);
    read_reply(&mut r).map_err(|e| {
        if e.starts_with("ERR unknown command") {
            format!("{addr} refused the cluster secret (is --secret-file the nodes' --cluster-secret-file?)")
        } else {
            e
        }
    })?;
    read_reply(&mut r)
}

/// A plain or TLS connection.
trait ReadWrite: std::io::Read + Write {}
impl<T: std::io::Read + Write> ReadWrite for T {}

/// The TLS client of `--tls`: `cacert` verifies the node (its
/// certificate must name the address dialed), `cert`/`key` identify this
/// client.
fn tls_config(args: &Args) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (Some(cacert), Some(cert), Some(key)) = (&args.cacert, &args.cert, &args.key) else {
        return Err("--tls needs --cacert, --cert and --key".into());
    };
    let certs = |p: &std::path::Path| {
        CertificateDer::pem_file_iter(p)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read certificates from {}: {e}", p.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(cacert)? {
        roots
            .add(c)
            .map_err(|e| format!("bad CA certificate in {}: {e}", cacert.display()))?;
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key from {}: {e}", key.display()))?;
    // ring, as the server uses (docs/design/0029-tls.md).
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs(cert)?, key)
        .map(std::sync::Arc::new)
        .map_err(|e| format!("--cert/--key: {e}"))
}

fn read_line(r: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) => Err("connection closed".into()),
        Ok(_) => Ok(line.trim_end_matches(['\r', '\n']).to_string()),
        Err(e) => Err(format!("no reply: {e}")),
    }
}

fn read_reply(r: &mut impl BufRead) -> Result<Vec<String>, String> {
    let line = read_line(r)?;
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" => Ok(vec![rest.to_string()]),
        "-" => Err(rest.to_string()),
        ":" => Ok(vec![rest.to_string()]),
        "$" => {
            if rest == "-1" {
                return Ok(vec!["(nil)".into()]);
            }
            Ok(vec![read_line(r)?])
        }
        "*" => {
            let n: usize = rest.parse().map_err(|_| "bad reply".to_string())?;
            let mut out = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                out.extend(read_reply(r)?);
            }
            Ok(out)
        }
        _ => Err(format!("unexpected reply '{line}'")),
    }
}
