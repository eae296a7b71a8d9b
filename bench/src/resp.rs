//! Just enough of the Redis protocol for the cluster benchmark: a blocking
//! client with timeouts that sends one command and reads one reply. (Key →
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

#[cfg(test)]
mod tests {
    use super::*;

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
