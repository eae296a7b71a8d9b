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
    match run(
        &args.addr,
        Duration::from_secs(args.timeout),
        &secret,
        &argv,
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
) -> Result<Vec<String>, String> {
    let sock = addr
        .parse()
        .map_err(|_| format!("invalid --addr '{addr}': expected ip:port"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(2))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
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
