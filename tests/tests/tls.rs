//! TLS (corekv only): the RESP TLS port through redis-cli --tls, client
//! certificates (`--tls-auth-clients`), and mutual TLS between members
//! (`--tls-cluster yes`). A throwaway CA, a second CA and their
//! certificates are made at test time with the `openssl` CLI; the tests
//! need `openssl` and a redis-cli built with TLS (redis-tools).

use corekv_tests::{
    Reply, Resp, Server, cluster_ports, cluster_secret_file, corekv_bin, corekv_only, free_port,
};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// Elections, proxying and catch-up settle within this.
const SETTLE: Duration = Duration::from_secs(20);

/// Runs `cmd` (stdin from `input`) and waits, bounded, for it to exit;
/// its output is drained meanwhile (a big reply must not block it).
fn run(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(RUN_TIMEOUT) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            // SAFETY: kill(2) of our own child, not reaped yet (the thread
            // that reaps it is still waiting).
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
            let out = rx.recv().expect("reaped").expect("output");
            panic!(
                "{:?} did not exit within {RUN_TIMEOUT:?}; stderr: {}",
                cmd.get_program(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A throwaway PKI: CA `ca` signs `node` (server and client use, for
/// 127.0.0.1) and `client`; CA `other` signs `stranger`.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Pki { dir };
        std::fs::write(
            p.path("ext.cnf"),
            "basicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth,clientAuth\n\
             subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("ext file");
        p.ca("ca");
        p.ca("other");
        p.leaf("node", "ca");
        p.leaf("client", "ca");
        p.leaf("stranger", "other");
        p
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `<name>.crt` as a string argument.
    fn crt(&self, name: &str) -> String {
        self.path(&format!("{name}.crt")).display().to_string()
    }

    fn key(&self, name: &str) -> String {
        self.path(&format!("{name}.key")).display().to_string()
    }

    fn openssl(&self, args: &[&str]) {
        let out = run(
            Command::new("openssl")
                .args(args)
                .current_dir(self.dir.path()),
            b"",
        );
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn ca(&self, name: &str) {
        let (key, crt, subj) = (
            format!("{name}.key"),
            format!("{name}.crt"),
            format!("/CN={name}"),
        );
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &crt,
            "-days",
            "2",
            "-subj",
            &subj,
        ]);
    }

    fn leaf(&self, name: &str, ca: &str) {
        let (key, csr, crt, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("/CN={name}"),
        );
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &subj,
        ]);
        let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
    }

    /// The server flags of a node presenting `cert` and trusting `ca`.
    fn server_flags(&self, cert: &str, ca: &str) -> Vec<String> {
        vec![
            "--tls-cert-file".into(),
            self.crt(cert),
            "--tls-key-file".into(),
            self.key(cert),
            "--tls-ca-cert-file".into(),
            self.crt(ca),
        ]
    }

    /// redis-cli's TLS flags, with client certificate `cert` if any.
    fn cli_flags(&self, cert: Option<&str>) -> Vec<String> {
        let mut f = vec!["--tls".into(), "--cacert".into(), self.crt("ca")];
        if let Some(c) = cert {
            f.extend(["--cert".into(), self.crt(c), "--key".into(), self.key(c)]);
        }
        f
    }
}

/// redis-cli against `port` with `tls` flags; fails the test if redis-cli
/// is missing or was built without TLS.
fn cli(port: u16, tls: &[String], args: &[&str], input: &[u8]) -> Output {
    let out = run(
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(tls)
            .args(args),
        input,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("Unrecognized option"),
        "this redis-cli has no TLS support: {err}"
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// `corekv_tests::Server` with a TLS port too (the harness keeps the plain
/// port for its readiness check).
fn tls_server(pki: &Pki, extra: &[&str]) -> (Server, u16) {
    let tls_port = free_port();
    let mut args: Vec<String> = vec!["--tls-port".into(), tls_port.to_string()];
    args.extend(pki.server_flags("node", "ca"));
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    (Server::start(&refs), tls_port)
}

#[test]
fn redis_cli_over_tls_sets_gets_and_pipelines() {
    if !corekv_only("redis_cli_over_tls_sets_gets_and_pipelines") {
        return;
    }
    let pki = Pki::new();
    let (server, port) = tls_server(&pki, &[]);
    let tls = pki.cli_flags(Some("client"));
    assert_eq!(stdout(&cli(port, &tls, &["SET", "k", "v1"], b"")), "OK");
    assert_eq!(stdout(&cli(port, &tls, &["GET", "k"], b"")), "v1");
    // A pipeline of 2000 commands in one stream (--pipe sends them all
    // before reading): replies in order, none lost across TLS records.
    let mut input = Vec::new();
    for i in 0..2000 {
        input.extend_from_slice(format!("SET key:{i} value-{i}\n").as_bytes());
    }
    let out = cli(port, &tls, &["--pipe"], &input);
    assert!(
        stdout(&out).contains("errors: 0, replies: 2000"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        stdout(&cli(
            port,
            &tls,
            &["MGET", "key:0", "key:1234", "key:1999"],
            b""
        )),
        "value-0\nvalue-1234\nvalue-1999"
    );
    // A reply bigger than one TLS record (16 KiB) and than rustls's write
    // buffer (64 KiB).
    let big = "x".repeat(300_000);
    // (-x: the value comes on stdin, too long for an argument.)
    assert_eq!(
        stdout(&cli(port, &tls, &["-x", "SET", "big"], big.as_bytes())),
        "OK"
    );
    assert_eq!(stdout(&cli(port, &tls, &["STRLEN", "big"], b"")), "300000");
    assert_eq!(stdout(&cli(port, &tls, &["GET", "big"], b"")), big);
    // The plain port still serves the same data.
    let mut c = server.resp();
    assert_eq!(c.cmd(&["GET", "key:7"]), Reply::bulk("value-7"));
}

/// A blocked command over TLS waits on the socket and the reply at once
/// (conn.rs's flush_watching, on the TLS stream's cancelable read): the
/// push from another client wakes it, and the connection goes on working.
#[test]
fn blocking_pop_over_tls_is_woken_and_the_connection_goes_on() {
    if !corekv_only("blocking_pop_over_tls_is_woken_and_the_connection_goes_on") {
        return;
    }
    let pki = Pki::new();
    let (server, port) = tls_server(&pki, &[]);
    let tls = pki.cli_flags(Some("client"));
    let waiter = {
        let tls = tls.clone();
        std::thread::spawn(move || {
            // Two commands on one connection: the BLPOP, then a GET.
            cli(port, &tls, &[], b"BLPOP q 10\nGET after\n")
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let mut c = server.resp();
    assert_eq!(c.cmd(&["SET", "after", "yes"]), Reply::ok());
    assert_eq!(c.cmd(&["RPUSH", "q", "item"]), Reply::Int(1));
    let out = waiter.join().expect("waiter");
    assert_eq!(stdout(&out), "q\nitem\nyes");
}

/// A subscriber over TLS waits on its socket and on pushed messages at
/// once (the same cancelable read): messages published on the plain port
/// reach it, and it unsubscribes and goes on over the same connection.
#[test]
fn a_subscriber_over_tls_gets_messages() {
    if !corekv_only("a_subscriber_over_tls_gets_messages") {
        return;
    }
    let pki = Pki::new();
    let (server, port) = tls_server(&pki, &[]);
    let tls = pki.cli_flags(Some("client"));
    let sub = {
        let tls = tls.clone();
        std::thread::spawn(move || {
            // redis-cli never leaves a subscription by itself: `timeout`
            // ends it after 10 s, and its output is what it printed.
            let out = Command::new("timeout")
                .args([
                    "10",
                    "redis-cli",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .args(&tls)
                .args(["SUBSCRIBE", "tlsch"])
                .output()
                .expect("run redis-cli");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let mut c = server.resp();
    // Publish until the subscriber is there, then two more.
    let mut n = 0;
    for _ in 0..100 {
        n = c.cmd(&["PUBLISH", "tlsch", "first"]).int();
        if n == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(n, 1, "the TLS subscriber never subscribed");
    assert_eq!(c.cmd(&["PUBLISH", "tlsch", "second"]), Reply::Int(1));
    assert_eq!(c.cmd(&["PUBLISH", "tlsch", "third"]), Reply::Int(1));
    let out = sub.join().expect("subscriber");
    assert!(
        out.contains("first\nmessage\ntlsch\nsecond\nmessage\ntlsch\nthird"),
        "{out}"
    );
}

#[test]
fn clients_without_a_certificate_or_from_another_ca_are_refused() {
    if !corekv_only("clients_without_a_certificate_or_from_another_ca_are_refused") {
        return;
    }
    let pki = Pki::new();
    // --tls-auth-clients defaults to yes, as in Redis.
    let (_server, port) = tls_server(&pki, &[]);
    let ok = cli(port, &pki.cli_flags(Some("client")), &["PING"], b"");
    assert_eq!(stdout(&ok), "PONG");
    let none = cli(port, &pki.cli_flags(None), &["PING"], b"");
    assert!(!stdout(&none).contains("PONG"), "no certificate: {none:?}");
    let other = cli(port, &pki.cli_flags(Some("stranger")), &["PING"], b"");
    assert!(!stdout(&other).contains("PONG"), "other CA: {other:?}");
    // A client that does not trust the server's CA refuses the server.
    let mut wrong_ca = pki.cli_flags(Some("client"));
    wrong_ca[2] = pki.crt("other");
    let out = cli(port, &wrong_ca, &["PING"], b"");
    assert!(!stdout(&out).contains("PONG"), "{out:?}");

    // optional: no certificate is fine, a bad one is still refused.
    let (_opt, port) = tls_server(&pki, &["--tls-auth-clients", "optional"]);
    assert_eq!(
        stdout(&cli(port, &pki.cli_flags(None), &["PING"], b"")),
        "PONG"
    );
    let other = cli(port, &pki.cli_flags(Some("stranger")), &["PING"], b"");
    assert!(
        !stdout(&other).contains("PONG"),
        "optional, other CA: {other:?}"
    );
    // no: certificates are not asked for.
    let (_no, port) = tls_server(&pki, &["--tls-auth-clients", "no"]);
    assert_eq!(
        stdout(&cli(port, &pki.cli_flags(None), &["PING"], b"")),
        "PONG"
    );
}

/// `--port 0 --tls-port N`: TLS only, as redis-server does it.
#[test]
fn port_zero_listens_on_tls_only() {
    if !corekv_only("port_zero_listens_on_tls_only") {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let tls_port = free_port();
    let mut child = Command::new(corekv_bin())
        .args(["--port", "0", "--tls-port", &tls_port.to_string()])
        .args(pki.server_flags("node", "ca"))
        .args(["--cores", "1", "--no-pin", "--dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn corekv");
    let tls = pki.cli_flags(Some("client"));
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut up = false;
    while Instant::now() < deadline {
        if stdout(&cli(tls_port, &tls, &["PING"], b"")) == "PONG" {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "no PONG over TLS on port {tls_port}");
}

/// Runs corekv with `args` and waits for it to exit: (status, stderr).
fn run_corekv(args: &[String]) -> (Option<i32>, String) {
    let out = run(Command::new(corekv_bin()).args(args), b"");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn bad_tls_flags_stop_the_start() {
    if !corekv_only("bad_tls_flags_stop_the_start") {
        return;
    }
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("data").display().to_string();
    let base = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["--port".into(), free_port().to_string()];
        a.extend(["--dir".into(), d.clone()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let tp = free_port().to_string();
    let (crt, key, ca) = (pki.crt("node"), pki.key("node"), pki.crt("ca"));
    for (args, want) in [
        (base(&["--tls-port", &tp]), "--tls-cert-file"),
        (
            base(&[
                "--tls-port",
                &tp,
                "--tls-cert-file",
                &crt,
                "--tls-key-file",
                &key,
            ]),
            "--tls-ca-cert-file must be specified",
        ),
        (
            base(&[
                "--tls-port",
                &tp,
                "--tls-cert-file",
                &key,
                "--tls-key-file",
                &key,
                "--tls-ca-cert-file",
                &ca,
            ]),
            "certificate",
        ),
        (
            base(&["--tls-auth-clients", "maybe"]),
            "yes, no or optional",
        ),
        (
            vec!["--port".into(), "0".into(), "--dir".into(), d.clone()],
            "--port 0 needs --tls-port",
        ),
    ] {
        let (code, err) = run_corekv(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(want),
            "{args:?}: stderr {err:?} lacks {want:?}"
        );
    }
    assert!(
        !Path::new(&d).join("core-0").exists(),
        "a refused start wrote data"
    );
}

/// Three nodes whose links are mutual TLS: `--peers` names TLS ports.
/// Node `i`'s flags come from `certs(i)` (cert, CA).
struct TlsCluster {
    nodes: Vec<Server>,
    tls_ports: Vec<u16>,
}

impl TlsCluster {
    fn start(pki: &Pki, certs: impl Fn(usize) -> (&'static str, &'static str)) -> TlsCluster {
        TlsCluster::start_with(pki, certs, &[])
    }

    fn start_with(
        pki: &Pki,
        certs: impl Fn(usize) -> (&'static str, &'static str),
        extra: &[&str],
    ) -> TlsCluster {
        let tls_ports = cluster_ports(3);
        let peers = tls_ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}=127.0.0.1:{p}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let secret = cluster_secret_file();
        let nodes = tls_ports
            .clone()
            .iter()
            .enumerate()
            .map(|(i, tp)| {
                let (cert, ca) = certs(i);
                let mut args: Vec<String> = vec![
                    "--node-id".into(),
                    (i + 1).to_string(),
                    "--peers".into(),
                    peers.clone(),
                    "--cluster-secret-file".into(),
                    secret.clone(),
                    "--tls-port".into(),
                    tp.to_string(),
                    "--tls-cluster".into(),
                    "yes".into(),
                    "--no-pin".into(),
                ];
                args.extend(pki.server_flags(cert, ca));
                args.extend(extra.iter().map(|a| a.to_string()));
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                Server::start(&refs)
            })
            .collect();
        TlsCluster { nodes, tls_ports }
    }

    fn conn(&self, i: usize) -> Option<Resp> {
        let s = TcpStream::connect(self.nodes[i].addr()).ok()?;
        s.set_nodelay(true).ok()?;
        Some(Resp::from_stream(s, Duration::from_secs(10)))
    }
}

/// `args` on node `i` until it answers without TRYAGAIN (elections), or
/// the deadline passes.
fn settle(cl: &TlsCluster, i: usize, args: &[&str]) -> Reply {
    let deadline = Instant::now() + SETTLE;
    loop {
        let r = cl.conn(i).map(|mut c| c.try_cmd(args));
        match r {
            Some(Ok(r)) if !r.is_error() => return r,
            other if Instant::now() > deadline => {
                panic!(
                    "{args:?} on node {} never succeeded: {other:?}; log:\n{}",
                    i + 1,
                    cl.nodes[i].log()
                )
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn three_nodes_over_mutual_tls_replicate_and_fail_over() {
    if !corekv_only("three_nodes_over_mutual_tls_replicate_and_fail_over") {
        return;
    }
    let pki = Pki::new();
    let mut cl = TlsCluster::start(&pki, |_| ("node", "ca"));
    // Keys in every group, written through node 1: the groups other
    // nodes lead are proxied over TLS.
    for i in 0..32 {
        let k = format!("k{i}");
        let v = format!("v{i}");
        assert_eq!(settle(&cl, 0, &["SET", &k, &v]), Reply::ok());
    }
    for n in 1..3 {
        for i in 0..32 {
            let k = format!("k{i}");
            assert_eq!(
                settle(&cl, n, &["GET", &k]),
                Reply::bulk(&format!("v{i}")),
                "node {}",
                n + 1
            );
        }
    }
    // The operator's corekv-ctl over TLS with a certificate of the CA;
    // without TLS the same secret is refused.
    let ctl = |tls: bool| {
        let mut cmd = Command::new(corekv_tests::ctl_bin());
        cmd.args(["--secret-file", &cluster_secret_file()]);
        if tls {
            cmd.args(["--addr", &format!("127.0.0.1:{}", cl.tls_ports[0])]);
            cmd.args(["--tls", "--cert", &pki.crt("client"), "--key"]);
            cmd.args([pki.key("client"), "--cacert".into(), pki.crt("ca")]);
        } else {
            cmd.args(["--addr", &cl.nodes[0].addr()]);
        }
        cmd.arg("members");
        run(&mut cmd, b"")
    };
    let out = ctl(true);
    assert!(
        out.status.success() && stdout(&out).contains("voters=1,2,3"),
        "corekv-ctl --tls members: {out:?}"
    );
    let out = ctl(false);
    assert!(!out.status.success(), "plain corekv-ctl: {out:?}");
    // Node 1 dies: the others elect leaders for its groups and go on.
    cl.nodes[0].kill9();
    for i in 0..32 {
        let k = format!("k{i}");
        assert_eq!(settle(&cl, 1, &["SET", &k, "after"]), Reply::ok());
    }
    for i in 0..32 {
        let k = format!("k{i}");
        assert_eq!(settle(&cl, 2, &["GET", &k]), Reply::bulk("after"));
    }
    // Internal commands need a certificate from the cluster CA as well as
    // the secret: a plain connection with the right secret is refused.
    let secret = std::fs::read_to_string(cluster_secret_file()).expect("secret");
    let mut c = cl.conn(1).expect("connect");
    let r = c.cmd(&["COREKV.MEMBER", secret.trim()]);
    assert!(r.is_error(), "plain COREKV.MEMBER with the secret: {r:?}");
    assert!(
        cl.nodes[1]
            .log()
            .contains("no client certificate from the cluster CA"),
        "{}",
        cl.nodes[1].log()
    );
    // A plain dialer on a Raft port (TLS port + 10000 + core) is refused
    // before anything it sends is read as Raft traffic.
    let raft = cl.tls_ports[1] + 10000;
    let mut s = TcpStream::connect(("127.0.0.1", raft)).expect("raft port");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = s.write_all(b"CKVRAFT2 not a TLS client hello, not a member\r\n");
    let mut buf = [0u8; 256];
    // An alert, then EOF (or a reset): never a Raft conversation.
    while matches!(std::io::Read::read(&mut s, &mut buf), Ok(n) if n > 0) {}
    let deadline = Instant::now() + SETTLE;
    while !cl.nodes[1].log().contains("refused: TLS") {
        assert!(Instant::now() < deadline, "{}", cl.nodes[1].log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_node_with_a_certificate_from_another_ca_cannot_join() {
    if !corekv_only("a_node_with_a_certificate_from_another_ca_cannot_join") {
        return;
    }
    let pki = Pki::new();
    // Node 3 presents a certificate the cluster CA did not sign.
    let cl = TlsCluster::start(&pki, |i| {
        if i == 2 {
            ("stranger", "ca")
        } else {
            ("node", "ca")
        }
    });
    // Nodes 1 and 2 are a majority: they elect leaders and take writes.
    for i in 0..16 {
        let k = format!("k{i}");
        assert_eq!(settle(&cl, 0, &["SET", &k, "v"]), Reply::ok());
        assert_eq!(settle(&cl, 1, &["GET", &k]), Reply::bulk("v"));
    }
    // Node 3's Raft links were refused by both ...
    for n in 0..2 {
        let deadline = Instant::now() + SETTLE;
        while !cl.nodes[n].log().contains("refused: TLS") {
            assert!(
                Instant::now() < deadline,
                "node {} never refused node 3; log:\n{}",
                n + 1,
                cl.nodes[n].log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // ... so it holds none of the writes, and cannot serve them: its
    // reads need a leader it cannot reach (TRYAGAIN after 3 s).
    let mut c = cl.conn(2).expect("connect node 3");
    let r = c.cmd(&["GET", "k0"]);
    assert!(
        r.is_error() && r.error_text().starts_with("TRYAGAIN"),
        "node 3 answered {r:?}"
    );
    let keys = cl.nodes[2].stats()["cores"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["counters"]["keys"].as_u64().unwrap_or(0))
                .sum::<u64>()
        })
        .unwrap_or(0);
    assert_eq!(keys, 0, "node 3 got data");
}

/// A follower too far behind gets every group as a snapshot stream, which
/// with `--tls-cluster yes` is TLS too (sent from a heavy-pool thread with
/// rustls's blocking stream).
#[test]
fn a_follower_far_behind_catches_up_from_a_snapshot_over_tls() {
    if !corekv_only("a_follower_far_behind_catches_up_from_a_snapshot_over_tls") {
        return;
    }
    let pki = Pki::new();
    let mut cl = TlsCluster::start_with(
        &pki,
        |_| ("node", "ca"),
        &["--raft-max-lag", "16", "--groups-per-core", "1"],
    );
    assert_eq!(settle(&cl, 0, &["SET", "warm", "1"]), Reply::ok());
    cl.nodes[2].kill9();
    // Each of the 2 groups gets well past the 2 x 128 entries after which
    // a leader truncates its log.
    const N: usize = 1200;
    let mut c = cl.conn(0).expect("connect");
    let deadline = Instant::now() + SETTLE;
    for k in 0..N {
        let (key, val) = (format!("s{k}"), format!("v{k}"));
        loop {
            let r = c.cmd(&["SET", &key, &val]);
            if r == Reply::ok() {
                break;
            }
            assert!(Instant::now() < deadline, "SET {key}: {r:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    cl.nodes[2].restart();
    for k in (0..N).step_by(37) {
        let key = format!("s{k}");
        assert_eq!(
            settle(&cl, 2, &["GET", &key]),
            Reply::bulk(&format!("v{k}")),
            "{key} via node 3"
        );
    }
    let log = cl.nodes[2].log();
    assert!(
        log.contains("snapshot at index") && log.contains("received"),
        "node 3 got no snapshot:\n{log}"
    );
}
