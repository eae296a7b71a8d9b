//! What both executors run, byte for byte: the preloaded map, the RESP
//! parser (arrays of bulk strings, plus inline commands, which
//! redis-benchmark's PING_INLINE sends) and the per-connection buffers. The
//! runtime glue in `glommio_server.rs` and `monoio_server.rs` only moves
//! bytes between a socket and a [`Session`]: one read, every complete
//! command in it answered into one output buffer, one write.

use std::collections::HashMap;

/// Initial read buffer per connection, as corekv's `READ_CHUNK`.
pub const READ_CHUNK: usize = 16 * 1024;

/// At most this many arguments per command; PING, GET and SET need three.
const MAX_ARGS: usize = 8;

/// The keyspace: `key:%012d` for 0..n, as redis-benchmark's `-r` names
/// them, each with redis-benchmark's default 3-byte value.
pub struct Store {
    map: HashMap<Vec<u8>, Vec<u8>>,
}

impl Store {
    pub fn preload(keys: u64) -> Store {
        let mut map = HashMap::with_capacity(keys as usize);
        for i in 0..keys {
            map.insert(format!("key:{i:012}").into_bytes(), b"xxx".to_vec());
        }
        Store { map }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    fn execute(&mut self, args: &[&[u8]], out: &mut Vec<u8>) {
        let Some(name) = args.first() else {
            return;
        };
        if name.eq_ignore_ascii_case(b"GET") && args.len() == 2 {
            match self.map.get(args[1]) {
                Some(value) => bulk(out, value),
                None => out.extend_from_slice(b"$-1\r\n"),
            }
        } else if name.eq_ignore_ascii_case(b"SET") && args.len() == 3 {
            match self.map.get_mut(args[1]) {
                // Overwrite in place: no allocation when the value fits.
                Some(value) => {
                    value.clear();
                    value.extend_from_slice(args[2]);
                }
                None => {
                    self.map.insert(args[1].to_vec(), args[2].to_vec());
                }
            }
            out.extend_from_slice(b"+OK\r\n");
        } else if name.eq_ignore_ascii_case(b"PING") && args.len() == 1 {
            out.extend_from_slice(b"+PONG\r\n");
        } else if name.eq_ignore_ascii_case(b"PING") && args.len() == 2 {
            bulk(out, args[1]);
        } else {
            // redis-benchmark asks CONFIG GET save/appendonly once at start
            // and only warns on an error.
            out.extend_from_slice(b"-ERR unknown command\r\n");
        }
    }

    /// Answers every complete command at the start of `input` into `out`
    /// and returns how many bytes it consumed; `Err` on a protocol error
    /// (the connection is then closed).
    pub fn serve(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ProtocolError> {
        let mut pos = 0;
        let mut ranges = [(0usize, 0usize); MAX_ARGS];
        loop {
            let parsed = match input.get(pos) {
                None => return Ok(pos),
                Some(b'*') => parse_multibulk(input, pos, &mut ranges)?,
                Some(_) => parse_inline(input, pos, &mut ranges)?,
            };
            let Some((next, argc)) = parsed else {
                return Ok(pos);
            };
            let mut args: [&[u8]; MAX_ARGS] = [&[]; MAX_ARGS];
            for (arg, &(start, end)) in args.iter_mut().zip(&ranges[..argc]) {
                *arg = &input[start..end];
            }
            self.execute(&args[..argc], out);
            pos = next;
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct ProtocolError;

fn bulk(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'$');
    push_usize(out, value.len());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn push_usize(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The index just past the `\r\n` ending the line that starts at `pos`,
/// and the line's end.
fn line(input: &[u8], pos: usize) -> Option<(usize, usize)> {
    let rest = input.get(pos..)?;
    let cr = rest.iter().position(|&b| b == b'\r')?;
    match rest.get(cr + 1) {
        Some(b'\n') => Some((pos + cr + 2, pos + cr)),
        Some(_) => None,
        None => None,
    }
}

fn number(digits: &[u8]) -> Result<usize, ProtocolError> {
    if digits.is_empty() || digits.len() > 10 {
        return Err(ProtocolError);
    }
    digits.iter().try_fold(0usize, |n, &d| {
        if d.is_ascii_digit() {
            Ok(n * 10 + usize::from(d - b'0'))
        } else {
            Err(ProtocolError)
        }
    })
}

type Parsed = Option<(usize, usize)>;

/// `*N\r\n` then N `$len\r\n<bytes>\r\n`: (next position, argc), or None
/// if the command is not complete yet.
fn parse_multibulk(
    input: &[u8],
    pos: usize,
    ranges: &mut [(usize, usize); MAX_ARGS],
) -> Result<Parsed, ProtocolError> {
    let Some((mut at, end)) = line(input, pos) else {
        return Ok(None);
    };
    let argc = number(&input[pos + 1..end])?;
    if argc == 0 || argc > MAX_ARGS {
        return Err(ProtocolError);
    }
    for range in ranges.iter_mut().take(argc) {
        let Some((data, end)) = line(input, at) else {
            return Ok(None);
        };
        if input[at] != b'$' {
            return Err(ProtocolError);
        }
        let len = number(&input[at + 1..end])?;
        if input.len() < data + len + 2 {
            return Ok(None);
        }
        if &input[data + len..data + len + 2] != b"\r\n" {
            return Err(ProtocolError);
        }
        *range = (data, data + len);
        at = data + len + 2;
    }
    Ok(Some((at, argc)))
}

/// An inline command: words separated by spaces up to `\r\n`.
fn parse_inline(
    input: &[u8],
    pos: usize,
    ranges: &mut [(usize, usize); MAX_ARGS],
) -> Result<Parsed, ProtocolError> {
    let Some((next, end)) = line(input, pos) else {
        return Ok(None);
    };
    let mut argc = 0;
    let mut at = pos;
    while at < end {
        if input[at] == b' ' {
            at += 1;
            continue;
        }
        let word_end = input[at..end]
            .iter()
            .position(|&b| b == b' ')
            .map_or(end, |i| at + i);
        let Some(range) = ranges.get_mut(argc) else {
            return Err(ProtocolError);
        };
        *range = (at, word_end);
        argc += 1;
        at = word_end;
    }
    if argc == 0 {
        return Err(ProtocolError);
    }
    Ok(Some((next, argc)))
}

/// One connection's buffers. The read buffer is a fixed, zeroed box (so
/// both runtimes can read into its tail without unsafe code: glommio as a
/// `&mut [u8]`, monoio as an owned slice of it); `filled` bytes of it hold
/// unparsed input.
pub struct Session {
    pub buf: Box<[u8]>,
    pub filled: usize,
    pub out: Vec<u8>,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            filled: 0,
            out: Vec::with_capacity(READ_CHUNK),
        }
    }
}

impl Session {
    /// Makes sure a read has room: a command longer than the buffer grows
    /// it (rare: only a huge SET).
    pub fn prepare_read(&mut self) {
        if self.filled == self.buf.len() {
            let mut bigger = vec![0u8; self.buf.len() * 2].into_boxed_slice();
            bigger[..self.filled].copy_from_slice(&self.buf[..self.filled]);
            self.buf = bigger;
        }
    }

    /// After `n` bytes were read into the tail: answers every complete
    /// command into `out` and keeps the incomplete rest at the front.
    pub fn after_read(&mut self, n: usize, store: &mut Store) -> Result<(), ProtocolError> {
        self.filled += n;
        let used = store.serve(&self.buf[..self.filled], &mut self.out)?;
        if used > 0 {
            self.buf.copy_within(used..self.filled, 0);
            self.filled -= used;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(store: &mut Store, input: &[u8]) -> (Result<usize, ProtocolError>, String) {
        let mut out = Vec::new();
        let r = store.serve(input, &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn answers_ping_get_set_pipelined() {
        let mut store = Store::preload(10);
        assert_eq!(store.len(), 10);
        let input = b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000007\r\n\
*2\r\n$3\r\nget\r\n$4\r\nnope\r\n*3\r\n$3\r\nSET\r\n$3\r\nnew\r\n$2\r\nhi\r\n*2\r\n$3\r\nGET\r\n$3\r\nnew\r\n";
        let (r, out) = serve(&mut store, input);
        assert_eq!(r, Ok(input.len()));
        assert_eq!(
            out,
            "+PONG\r\n+PONG\r\n$3\r\nxxx\r\n$-1\r\n+OK\r\n$2\r\nhi\r\n"
        );
    }

    #[test]
    fn partial_commands_wait_for_more() {
        let mut store = Store::preload(1);
        let full = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000000\r\n";
        for cut in 14..full.len() {
            let (r, out) = serve(&mut store, &full[..cut]);
            assert_eq!(r, Ok(14), "cut at {cut}");
            assert_eq!(out, "+PONG\r\n");
        }
        let mut session = Session::default();
        session.buf[..20].copy_from_slice(&full[..20]);
        session.after_read(20, &mut store).unwrap();
        assert_eq!(session.filled, 6);
        let rest = full.len() - 20;
        session.buf[6..6 + rest].copy_from_slice(&full[20..]);
        session.after_read(rest, &mut store).unwrap();
        assert_eq!(session.filled, 0);
        assert_eq!(session.out, b"+PONG\r\n$3\r\nxxx\r\n");
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let mut store = Store::preload(1);
        assert_eq!(serve(&mut store, b"*x\r\n").0, Err(ProtocolError));
        assert_eq!(
            serve(&mut store, b"*1\r\n$4\r\nPINGxx\r\n").0,
            Err(ProtocolError)
        );
        assert_eq!(serve(&mut store, b"*1\r\n:4\r\n").0, Err(ProtocolError));
        let (r, out) = serve(&mut store, b"*2\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n");
        assert!(r.is_ok());
        assert_eq!(out, "-ERR unknown command\r\n");
    }

    #[test]
    fn a_long_command_grows_the_buffer() {
        let mut store = Store::preload(0);
        let value = vec![b'v'; READ_CHUNK * 2];
        let mut cmd = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", value.len()).into_bytes();
        cmd.extend_from_slice(&value);
        cmd.extend_from_slice(b"\r\n");
        let mut session = Session::default();
        let mut fed = 0;
        while fed < cmd.len() {
            session.prepare_read();
            let room = session.buf.len() - session.filled;
            let n = room.min(cmd.len() - fed);
            session.buf[session.filled..session.filled + n].copy_from_slice(&cmd[fed..fed + n]);
            session.after_read(n, &mut store).unwrap();
            fed += n;
        }
        assert_eq!(session.out, b"+OK\r\n");
        assert_eq!(session.filled, 0);
    }
}
