//! TLS configuration from the flags (`--tls-*`, Redis's names and
//! defaults): the RESP TLS port's server side, and with `--tls-cluster yes`
//! the mutual TLS of every link between nodes (Raft, snapshots, proxy).
//! Certificates are read once at start; a bad file stops the start with
//! one line on stderr. docs/design/0029-tls.md.

use crate::config::Args;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use std::net::SocketAddr;
use std::sync::Arc;

/// `--tls-auth-clients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthClients {
    Yes,
    No,
    Optional,
}

impl argh::FromArgValue for AuthClients {
    fn from_arg_value(v: &str) -> Result<Self, String> {
        match v.to_ascii_lowercase().as_str() {
            "yes" => Ok(AuthClients::Yes),
            "no" => Ok(AuthClients::No),
            "optional" => Ok(AuthClients::Optional),
            _ => Err(format!(
                "invalid --tls-auth-clients '{v}': expected yes, no or optional"
            )),
        }
    }
}

/// A yes/no flag value (Redis's spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct YesNo(pub bool);

impl argh::FromArgValue for YesNo {
    fn from_arg_value(v: &str) -> Result<Self, String> {
        match v.to_ascii_lowercase().as_str() {
            "yes" => Ok(YesNo(true)),
            "no" => Ok(YesNo(false)),
            _ => Err(format!("invalid value '{v}': expected yes or no")),
        }
    }
}

/// What the node's TLS flags made: absent parts are plain TCP.
#[derive(Clone, Default)]
pub struct Tls {
    /// The RESP TLS port's server side (`--tls-port`).
    pub clients: Option<Arc<ServerConfig>>,
    /// `--tls-cluster yes`: links between nodes.
    pub cluster: Option<ClusterTls>,
}

/// Mutual TLS between members: each side presents a certificate the
/// cluster CA (`--tls-ca-cert-file`) signed, and checks the other's.
#[derive(Clone)]
pub struct ClusterTls {
    /// Raft and snapshot ports: a client certificate is required.
    pub server: Arc<ServerConfig>,
    /// Dialing members (Raft, snapshots, proxy links).
    pub client: Arc<ClientConfig>,
}

impl Tls {
    pub fn cluster_client(&self) -> Option<Arc<ClientConfig>> {
        self.cluster.as_ref().map(|c| c.client.clone())
    }
}

/// ring, not rustls's default aws-lc-rs (a long C build). rustls marks
/// ring's provider deprecated because it lacks the post-quantum hybrid key
/// exchange; redis-cli (OpenSSL 3.0) does not offer it either
/// (docs/design/0029-tls.md).
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(certs)
}

fn key(path: &std::path::Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read a private key from {}: {e}", path.display()))
}

fn roots(path: &std::path::Path) -> Result<Arc<RootCertStore>, String> {
    let mut store = RootCertStore::empty();
    for c in certs(path)? {
        store
            .add(c)
            .map_err(|e| format!("bad CA certificate in {}: {e}", path.display()))?;
    }
    Ok(Arc::new(store))
}

/// Builds the TLS setup from the flags, or says what is wrong with them.
pub fn load(args: &Args) -> Result<Tls, String> {
    let cluster = args.tls_cluster.0;
    if args.tls_port == 0 && !cluster {
        for (set, name) in [
            (args.tls_cert_file.is_some(), "--tls-cert-file"),
            (args.tls_key_file.is_some(), "--tls-key-file"),
            (args.tls_ca_cert_file.is_some(), "--tls-ca-cert-file"),
        ] {
            if set {
                return Err(format!("{name} needs --tls-port or --tls-cluster yes"));
            }
        }
        return Ok(Tls::default());
    }
    let (Some(cert_file), Some(key_file)) = (&args.tls_cert_file, &args.tls_key_file) else {
        return Err("TLS needs --tls-cert-file and --tls-key-file".into());
    };
    let auth = args.tls_auth_clients;
    let ca = match &args.tls_ca_cert_file {
        Some(p) => Some(roots(p)?),
        // Redis's rule, and its words.
        None if auth != AuthClients::No || cluster => {
            return Err(
                "Either --tls-ca-cert-file must be specified when --tls-cluster or --tls-auth-clients are enabled!"
                    .into(),
            );
        }
        None => None,
    };
    let chain = certs(cert_file)?;
    let pkey = key(key_file)?;
    let server = |verify: Option<(Arc<RootCertStore>, bool)>| -> Result<Arc<ServerConfig>, String> {
        let b = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let b = match verify {
            None => b.with_no_client_auth(),
            Some((roots, optional)) => {
                let v = WebPkiClientVerifier::builder_with_provider(roots, provider());
                let v = if optional {
                    v.allow_unauthenticated()
                } else {
                    v
                };
                b.with_client_cert_verifier(v.build().map_err(|e| e.to_string())?)
            }
        };
        b.with_single_cert(chain.clone(), pkey.clone_key())
            .map(Arc::new)
            .map_err(|e| format!("--tls-cert-file/--tls-key-file: {e}"))
    };
    let clients = if args.tls_port == 0 {
        None
    } else {
        let verify = match (auth, &ca) {
            (AuthClients::No, _) | (_, None) => None,
            (AuthClients::Yes, Some(r)) => Some((r.clone(), false)),
            (AuthClients::Optional, Some(r)) => Some((r.clone(), true)),
        };
        Some(server(verify)?)
    };
    let cluster = match (cluster, &ca) {
        (true, Some(roots)) => {
            // Redis's tls-client-cert-file: the certificate this node
            // presents when it dials; its server certificate by default.
            let (cchain, ckey) = match (&args.tls_client_cert_file, &args.tls_client_key_file) {
                (Some(c), Some(k)) => (certs(c)?, key(k)?),
                (None, None) => (chain.clone(), pkey.clone_key()),
                _ => {
                    return Err(
                        "give both --tls-client-cert-file and --tls-client-key-file, or neither"
                            .into(),
                    );
                }
            };
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                roots.clone(),
                provider(),
            )
            .build()
            .map_err(|e| e.to_string())?;
            let client = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(MemberVerifier(verifier)))
                .with_client_auth_cert(cchain, ckey)
                .map_err(|e| format!("--tls-client-cert-file/--tls-client-key-file: {e}"))?;
            Some(ClusterTls {
                server: server(Some((roots.clone(), false)))?,
                client: Arc::new(client),
            })
        }
        _ => None,
    };
    Ok(Tls { clients, cluster })
}

/// The name a member is dialed by: its address (the certificate's names are
/// not checked, see [`MemberVerifier`]).
pub fn member_name(addr: SocketAddr) -> ServerName<'static> {
    ServerName::IpAddress(addr.ip().into())
}

/// Checks a member's certificate chain against the cluster CA, validity
/// and signatures included, but not that it names the address dialed:
/// membership is the CA's signature (as on Redis's cluster bus, which does
/// not check names either), so a node's certificate need not list every
/// address it is reached at.
#[derive(Debug)]
struct MemberVerifier(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for MemberVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            // The name check comes last in webpki's verification: the
            // chain, validity and usage were checked already.
            Err(rustls::Error::InvalidCertificate(
                NotValidForName | NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A blocking TLS client stream to a member (snapshot streams, which run
/// on a heavy-pool thread).
pub type BlockingStream = rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>;

/// Wraps a connected blocking socket in TLS to member `addr`; the
/// handshake runs on the first write.
pub fn blocking_client(
    cfg: Arc<ClientConfig>,
    addr: SocketAddr,
    sock: std::net::TcpStream,
) -> std::io::Result<BlockingStream> {
    let conn = rustls::ClientConnection::new(cfg, member_name(addr))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(rustls::StreamOwned::new(conn, sock))
}
