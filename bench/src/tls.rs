//! `--tls`: a throwaway CA and certificates (made with the `openssl` CLI
//! in the scratch directory), the server flags that open a TLS port with
//! them, and redis-benchmark's flags to use it. redis-server and corekv
//! take the same `--tls-*` flags, so both get exactly the same setup:
//! client certificates required (`tls-auth-clients yes`, the default).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The files of one session's TLS setup.
pub struct TlsFiles {
    pub dir: PathBuf,
}

const EXT: &str = "basicConstraints=CA:FALSE\n\
keyUsage=digitalSignature,keyEncipherment\n\
extendedKeyUsage=serverAuth,clientAuth\n\
subjectAltName=IP:127.0.0.1,DNS:localhost\n";

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("run openssl (apt-get install -y openssl)")?;
    if !out.status.success() {
        bail!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Makes `ca`, and `server` and `client` signed by it (P-256 ECDSA, the
/// usual choice), in `dir`.
pub fn make(dir: &Path) -> Result<TlsFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    std::fs::write(dir.join("ext.cnf"), EXT)?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=bench-ca",
    ]);
    openssl(dir, &ca)?;
    for name in ["server", "client"] {
        let (key, csr, crt, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("/CN={name}"),
        );
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &req)?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        )?;
    }
    Ok(TlsFiles {
        dir: dir.to_path_buf(),
    })
}

impl TlsFiles {
    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Flags of redis-server and corekv alike: a TLS port with the server
    /// certificate, client certificates checked against the CA.
    pub fn server_args(&self, tls_port: u16) -> Vec<String> {
        vec![
            "--tls-port".into(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            self.file("server.crt"),
            "--tls-key-file".into(),
            self.file("server.key"),
            "--tls-ca-cert-file".into(),
            self.file("ca.crt"),
        ]
    }

    /// redis-benchmark's (and redis-cli's) flags.
    pub fn client_args(&self) -> Vec<String> {
        vec![
            "--tls".into(),
            "--cert".into(),
            self.file("client.crt"),
            "--key".into(),
            self.file("client.key"),
            "--cacert".into(),
            self.file("ca.crt"),
        ]
    }
}
