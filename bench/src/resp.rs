//! Just enough of the Redis protocol for the benchmarks: a blocking client
//! with timeouts that sends one command and reads one reply (the cluster
//! benchmark), and [`Conn`], which pipelines and skims replies of any
//! shape without building them (the collection and drill programs). (Key →
//! slot → group is `corekv_core::slot`, the server's own functions.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// One reply, reduced to what the benchmark needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+...`, `:...` or a bulk string: the text.
    Value(String),
    Nil,
    /// `-...`: the error line.
    Error(String),
}

/// A connection that sends one command at a time.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .with_context(|| format!("connect {addr}"))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    /// Sends `args` as a RESP array and reads the reply. An I/O error or a
    /// reply this client does not understand is an `Err`; the connection
    /// must not be reused after that.
    pub fn call(&mut self, args: &[&[u8]]) -> Result<Reply> {
        self.reader.get_mut().write_all(&encode(args))?;
        read_reply(&mut self.reader)
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_line(reader: &mut impl BufRead) -> Result<String> {
    let mut line = Vec::new();
    // A reply line is short; cap it so garbage cannot grow without bound.
    let n = reader.take(64 * 1024).read_until(b'\n', &mut line)?;
    if n == 0 {
        bail!("connection closed");
    }
    if !line.ends_with(b"\r\n") {
        bail!("unterminated reply line");
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Reads one reply: simple strings, errors, integers, bulk strings; an
/// array is an error here (the benchmark never asks for one).
pub fn read_reply(reader: &mut impl BufRead) -> Result<Reply> {
    let line = read_line(reader)?;
    let (kind, rest) = line.split_at_checked(1).unwrap_or(("", ""));
    match kind {
        "+" | ":" => Ok(Reply::Value(rest.to_string())),
        "-" => Ok(Reply::Error(rest.to_string())),
        "$" => {
            let len: i64 = rest.parse().with_context(|| format!("bad bulk {line:?}"))?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let len = usize::try_from(len)?;
            if len > 64 * 1024 * 1024 {
                bail!("bulk reply of {len} bytes");
            }
            let mut buf = vec![0u8; len + 2];
            reader.read_exact(&mut buf)?;
            buf.truncate(len);
            Ok(Reply::Value(String::from_utf8_lossy(&buf).into_owned()))
        }
        _ => bail!("unexpected reply {line:?}"),
    }
}

/// What [`Conn::read`] keeps of a reply: enough to check it is the kind
/// of answer the benchmark expects, nothing that grows with its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The error line of a top-level error reply (`-...` or `!...`).
    pub error: Option<String>,
    /// A null bulk, null array or RESP3 null.
    pub nil: bool,
    /// Elements of a top-level aggregate, bytes of a top-level bulk string.
    pub len: i64,
    /// The value of a top-level integer reply.
    pub int: Option<i64>,
}

/// A connection that pipelines commands and reads replies of any shape
/// (nested arrays, RESP3 maps) by skimming them: one reused line buffer,
/// bulk payloads skipped in the reader's buffer, so draining a reply of
/// 100k stream entries allocates nothing per element.
pub struct Conn {
    reader: BufReader<TcpStream>,
    out: Vec<u8>,
    line: Vec<u8>,
}

/// Most elements one reply may announce: a bound against garbage.
const MAX_ELEMENTS: i64 = 1 << 32;

impl Conn {
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .with_context(|| format!("connect {addr}"))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::with_capacity(64 * 1024, stream),
            out: Vec::with_capacity(4096),
            line: Vec::with_capacity(128),
        })
    }

    /// Appends one command to the unsent buffer.
    pub fn push<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        encode_into(&mut self.out, args);
    }

    /// Sends everything pushed so far.
    pub fn flush(&mut self) -> Result<()> {
        self.reader.get_mut().write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    /// One command, one reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Summary> {
        self.push(args);
        self.flush()?;
        self.read()
    }

    /// Reads one whole reply, however deeply nested. An `Err` (I/O, a
    /// reply that is not RESP) leaves the connection unusable.
    pub fn read(&mut self) -> Result<Summary> {
        let mut summary = Summary::default();
        self.skim(1, true, &mut summary)?;
        Ok(summary)
    }

    /// Reads `pending` replies; `top` says the first is the reply itself
    /// (its facts go into `summary`), not an element of one.
    fn skim(&mut self, mut pending: i64, mut top: bool, summary: &mut Summary) -> Result<()> {
        while pending > 0 {
            pending -= 1;
            self.line.clear();
            let n = (&mut self.reader)
                .take(64 * 1024)
                .read_until(b'\n', &mut self.line)?;
            if n == 0 {
                bail!("connection closed");
            }
            if !self.line.ends_with(b"\r\n") {
                bail!("unterminated reply line");
            }
            let body = &self.line[1..self.line.len() - 2];
            let number = || -> Result<i64> {
                std::str::from_utf8(body)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .with_context(|| format!("bad length {:?}", String::from_utf8_lossy(body)))
            };
            let kind = self.line[0];
            match kind {
                b'+' | b',' | b'#' | b'(' => {}
                b'_' => summary.nil |= top,
                b':' => {
                    if top {
                        summary.int = Some(number()?);
                    }
                }
                b'-' => {
                    if top {
                        summary.error = Some(String::from_utf8_lossy(body).into_owned());
                    }
                }
                b'$' | b'=' | b'!' => {
                    let len = number()?;
                    if len < 0 {
                        summary.nil |= top;
                    } else {
                        if len > 512 * 1024 * 1024 {
                            bail!("bulk reply of {len} bytes");
                        }
                        if top {
                            summary.len = len;
                        }
                        let text = kind == b'!' && top;
                        self.skip_payload(len as usize + 2, text, summary)?;
                    }
                }
                b'*' | b'~' | b'>' | b'%' | b'|' => {
                    let len = number()?;
                    if len < 0 {
                        summary.nil |= top;
                    } else {
                        if len > MAX_ELEMENTS {
                            bail!("aggregate of {len} elements");
                        }
                        if kind == b'|' {
                            // An attribute (pairs) comes before the reply
                            // it annotates, which is still to be read.
                            self.skim(2 * len, false, summary)?;
                            pending += 1;
                            continue;
                        }
                        if top {
                            summary.len = len;
                        }
                        // A map's elements are pairs.
                        pending += if kind == b'%' { 2 * len } else { len };
                    }
                }
                other => bail!("unexpected reply type byte {other:#x}"),
            }
            top = false;
        }
        Ok(())
    }

    /// Consumes `n` bytes of a bulk payload (and its CRLF) from the
    /// reader's buffer; a top-level blob error keeps its text.
    fn skip_payload(&mut self, mut n: usize, keep: bool, summary: &mut Summary) -> Result<()> {
        let mut kept = Vec::new();
        while n > 0 {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                bail!("connection closed inside a bulk reply");
            }
            let take = buf.len().min(n);
            if keep {
                kept.extend_from_slice(&buf[..take]);
            }
            self.reader.consume(take);
            n -= take;
        }
        if keep {
            kept.truncate(kept.len().saturating_sub(2));
            summary.error = Some(String::from_utf8_lossy(&kept).into_owned());
        }
        Ok(())
    }
}

fn encode_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    use std::io::Write as _;
    let _ = write!(out, "*{}\r\n", args.len());
    for arg in args {
        let arg = arg.as_ref();
        let _ = write!(out, "${}\r\n", arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback server that answers every connection with `canned`.
    fn canned_conn(canned: &'static [u8]) -> Conn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let _ = s.write_all(canned);
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Conn::connect(addr, Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn conn_skims_nested_replies() {
        let mut c = canned_conn(
            b"*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$2\r\nv1\r\n\
              *2\r\n$3\r\n2-0\r\n*0\r\n\
              :42\r\n$-1\r\n*-1\r\n_\r\n-BUSY pool full\r\n\
              %2\r\n+a\r\n:1\r\n+b\r\n*1\r\n,1.5\r\n\
              |1\r\n+k\r\n+v\r\n$5\r\nhello\r\n\
              !5\r\nERR x\r\n+OK\r\n@\r\n",
        );
        let xread = c.read().unwrap();
        assert_eq!((xread.len, xread.nil, xread.error), (1, false, None));
        let int = c.read().unwrap();
        assert_eq!(int.int, Some(42));
        assert!(c.read().unwrap().nil);
        assert!(c.read().unwrap().nil);
        assert!(c.read().unwrap().nil);
        assert_eq!(c.read().unwrap().error.as_deref(), Some("BUSY pool full"));
        assert_eq!(c.read().unwrap().len, 2, "a map counts its pairs");
        assert_eq!(c.read().unwrap().len, 5, "the attribute is skipped");
        assert_eq!(c.read().unwrap().error.as_deref(), Some("ERR x"));
        assert_eq!(c.read().unwrap(), Summary::default(), "+OK");
        assert!(c.read().is_err(), "not RESP");
    }

    #[test]
    fn replies_parse() {
        let mut input: &[u8] =
            b"+OK\r\n-TRYAGAIN group leader is not available\r\n:5\r\n$3\r\nabc\r\n$-1\r\n*1\r\n";
        assert_eq!(read_reply(&mut input).unwrap(), Reply::Value("OK".into()));
        assert_eq!(
            read_reply(&mut input).unwrap(),
            Reply::Error("TRYAGAIN group leader is not available".into())
        );
        assert_eq!(read_reply(&mut input).unwrap(), Reply::Value("5".into()));
        assert_eq!(read_reply(&mut input).unwrap(), Reply::Value("abc".into()));
        assert_eq!(read_reply(&mut input).unwrap(), Reply::Nil);
        assert!(read_reply(&mut input).is_err());
        assert!(read_reply(&mut input).is_err(), "closed");
    }

    #[test]
    fn commands_encode_as_arrays() {
        assert_eq!(
            encode(&[b"SET", b"k", b""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".to_vec()
        );
    }
}
