//! Cluster membership proof: the secret the members of a cluster share
//! (`--cluster-secret-file`). A node presents it on its Raft and snapshot
//! links (in the link hello) and on its proxy links (`COREKV.MEMBER
//! <secret>`), and an operator's `corekv-ctl` presents it before
//! `COREKV.CLUSTER`. A connection that has not presented it cannot run any
//! internal command: they answer as unknown commands. Until TLS exists the
//! secret crosses the network in clear, so a cluster belongs on a private
//! network (README "Security").

/// Shortest accepted secret.
pub const MIN_SECRET_BYTES: usize = 16;
/// Longest accepted secret (it rides in a fixed-size link hello).
pub const MAX_SECRET_BYTES: usize = 64;

/// The handshake that marks a connection as a cluster member's.
pub const MEMBER_HELLO: &str = "COREKV.MEMBER";
/// First command on a proxy link between nodes (internal, not in COMMAND).
pub const PROXY_HELLO: &str = "COREKV.PROXIED";
/// `COREKV.AT <hlc> <command...>`: how a proxy link sends a command, with
/// the sending node's HLC; accepted only on a proxy link.
pub const PROXY_AT: &str = "COREKV.AT";
/// [`PROXY_AT`] for a RESP2 client: the reply is sent in RESP2 (the link
/// speaks RESP3 otherwise), so the sender relays Redis's exact RESP2 shape.
pub const PROXY_AT2: &str = "COREKV.AT2";

/// A cluster secret of 16..=64 bytes, kept inline so a link hello that
/// carries it stays a fixed-size `Copy` value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret {
    len: u8,
    bytes: [u8; MAX_SECRET_BYTES],
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.len)
    }
}

impl Secret {
    /// The empty secret: what a node without one presents (never matches).
    pub const NONE: Secret = Secret {
        len: 0,
        bytes: [0; MAX_SECRET_BYTES],
    };

    /// A secret of `MIN_SECRET_BYTES..=MAX_SECRET_BYTES` bytes.
    pub fn new(raw: &[u8]) -> Option<Secret> {
        if raw.len() < MIN_SECRET_BYTES || raw.len() > MAX_SECRET_BYTES {
            return None;
        }
        let mut bytes = [0; MAX_SECRET_BYTES];
        bytes.get_mut(..raw.len())?.copy_from_slice(raw);
        Some(Secret {
            len: u8::try_from(raw.len()).ok()?,
            bytes,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether `offered` is this secret. Constant time in the secret's
    /// length, so the reply's timing tells a guesser nothing; the empty
    /// secret matches nothing.
    pub fn matches(&self, offered: &[u8]) -> bool {
        let mine = self.as_bytes();
        if mine.is_empty() || offered.len() != mine.len() {
            return false;
        }
        offered
            .iter()
            .zip(mine)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// The fixed-size wire form: `len u8 | bytes [64]`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        out.extend_from_slice(&self.bytes);
    }

    /// Bytes of [`Secret::encode`]'s form.
    pub const WIRE_LEN: usize = 1 + MAX_SECRET_BYTES;

    /// Reads [`Secret::encode`]'s form; `None` if malformed.
    pub fn decode(b: &[u8]) -> Option<Secret> {
        let len = *b.first()?;
        let body = b.get(1..Self::WIRE_LEN)?;
        let mut bytes = [0; MAX_SECRET_BYTES];
        bytes.copy_from_slice(body);
        if usize::from(len) > MAX_SECRET_BYTES {
            return None;
        }
        Some(Secret { len, bytes })
    }
}

/// Reads `--cluster-secret-file`: its content without surrounding
/// whitespace (a trailing newline is not part of the secret).
pub fn read_secret(path: &std::path::Path) -> Result<Secret, String> {
    let raw = std::fs::read(path)
        .map_err(|e| format!("cannot read --cluster-secret-file {}: {e}", path.display()))?;
    let secret = raw.trim_ascii();
    if secret
        .iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(format!(
            "--cluster-secret-file {}: the secret must be one word (no spaces or control characters)",
            path.display()
        ));
    }
    Secret::new(secret).ok_or_else(|| {
        format!(
            "--cluster-secret-file {} holds {} bytes; the cluster secret needs {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES}",
            path.display(),
            secret.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_secret() {
        let s = Secret::new(b"0123456789abcdef").expect("valid");
        assert!(s.matches(b"0123456789abcdef"));
        assert!(!s.matches(b"0123456789abcdeF"));
        assert!(!s.matches(b"0123456789abcde"));
        assert!(!s.matches(b"0123456789abcdef0"));
        assert!(!Secret::NONE.matches(b""));
        assert!(Secret::new(b"short").is_none());
        assert!(Secret::new(&[b'x'; 65]).is_none());
    }

    #[test]
    fn wire_form_round_trips() {
        let s = Secret::new(b"a-longer-secret-of-some-kind").expect("valid");
        let mut out = Vec::new();
        s.encode(&mut out);
        assert_eq!(out.len(), Secret::WIRE_LEN);
        assert_eq!(Secret::decode(&out), Some(s));
        out[0] = 65;
        assert_eq!(Secret::decode(&out), None);
        assert_eq!(Secret::decode(&out[..10]), None);
    }

    #[test]
    fn secret_file_is_trimmed_and_checked() {
        let dir = std::env::temp_dir().join(format!("corekv-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("s");
        std::fs::write(&f, b"0123456789abcdef\n").expect("write");
        assert_eq!(read_secret(&f).expect("ok").as_bytes(), b"0123456789abcdef");
        std::fs::write(&f, b"short\n").expect("write");
        assert!(read_secret(&f).unwrap_err().contains("needs 16 to 64"));
        std::fs::write(&f, b"0123456789 abcdef").expect("write");
        assert!(read_secret(&f).unwrap_err().contains("one word"));
        assert!(read_secret(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
