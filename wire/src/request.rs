//! The incremental request parser: RESP multibulk and inline commands, the
//! connection loop's hot path.
//!
//! Progress is kept in the parser, and the bytes already understood are
//! consumed from the caller's buffer as soon as they are: a parsed header
//! line is dropped, a complete bulk argument is split off zero-copy
//! (`split_to(..).freeze()`). So each byte is examined at most once no
//! matter how the input is chunked, and a huge declared length costs
//! nothing until its bytes actually arrive (the parser never reserves).

use bytes::{Buf, Bytes, BytesMut};

use crate::num::parse_i64;
use crate::{Limits, ProtocolError};

/// Argument vectors start this small however many arguments are declared;
/// they grow as arguments arrive.
const ARGV_PREALLOC: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between commands.
    Idle,
    /// Inside a multibulk with `remaining` arguments left; `bulk_len` is the
    /// declared length of the next one once its `$` header has been read.
    Multibulk {
        remaining: usize,
        bulk_len: Option<usize>,
    },
}

/// Parses client requests one command at a time.
///
/// Feed it the connection's read buffer after every read. Bytes may be
/// consumed from the front of the buffer even when no command is complete
/// yet (the parser keeps them); keep appending to the same buffer and call
/// again. After an error the connection must be closed.
///
/// Redis quirks kept on purpose: the two bytes after a bulk's data and the
/// byte after a header's `\r` are skipped without checking they are CRLF;
/// an inline line ends at `\n` and at its first NUL byte. The limits also
/// bound inline commands (argument count and length), which Redis only
/// bounds through the line length.
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    state: State,
    /// How many bytes at the front of the buffer were already searched for
    /// the current line's terminator without finding it.
    scanned: usize,
    /// Arguments of the multibulk being parsed.
    argv: Vec<Bytes>,
    /// Total length of `argv`'s arguments.
    argv_bytes: usize,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new(Limits::default())
    }
}

impl RequestParser {
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            state: State::Idle,
            scanned: 0,
            argv: Vec::new(),
            argv_bytes: 0,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// True when no command is partially parsed (nothing is held).
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// Bytes of argument data the parser holds for an incomplete command
    /// (for query-buffer accounting, like Redis's `qbuf` + `argv-mem`).
    pub fn pending_bytes(&self) -> usize {
        self.argv_bytes
    }

    /// Forgets any partial command.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.scanned = 0;
        self.argv = Vec::new();
        self.argv_bytes = 0;
    }

    /// Parses the next command from the front of `buf`.
    ///
    /// Returns `Ok(Some(argv))` (never empty) when a command is complete, its
    /// bytes consumed; `Ok(None)` when more bytes are needed. Empty inline
    /// lines and `*0`/`*-N` multibulks are consumed and skipped.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let res = self.parse_inner(buf);
        if res.is_err() {
            self.reset();
        }
        res
    }

    fn parse_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if let State::Multibulk {
                remaining,
                bulk_len,
            } = self.state
            {
                return self.parse_bulks(buf, remaining, bulk_len);
            }
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            if first == b'*' {
                let Some(count) = self.multibulk_header(buf)? else {
                    return Ok(None);
                };
                if count > 0 {
                    self.argv = Vec::with_capacity(count.min(ARGV_PREALLOC));
                    self.argv_bytes = 0;
                    self.state = State::Multibulk {
                        remaining: count,
                        bulk_len: None,
                    };
                }
            } else {
                match self.inline(buf)? {
                    None => return Ok(None),
                    Some(argv) if argv.is_empty() => {}
                    Some(argv) => return Ok(Some(argv)),
                }
            }
        }
    }

    /// Finds `term` in the current line at the front of `buf`, searching at
    /// most `limit + 1` bytes and never the same byte twice. `Ok(Some(p))`
    /// is the terminator's index; `Ok(None)` means not yet found; `Err`
    /// means the line is longer than `limit`.
    fn find(&mut self, buf: &[u8], term: u8, limit: usize) -> Result<Option<usize>, ()> {
        let end = buf.len().min(limit.saturating_add(1));
        let start = self.scanned.min(end);
        let window = buf.get(start..end).unwrap_or(&[]);
        match window.iter().position(|&b| b == term) {
            Some(i) => {
                self.scanned = start + i;
                Ok(Some(start + i))
            }
            None if buf.len() > limit => Err(()),
            None => {
                self.scanned = end;
                Ok(None)
            }
        }
    }

    /// Drops a parsed header line (`p` = index of its `\r`) from `buf`.
    fn consume_line(&mut self, buf: &mut BytesMut, p: usize) {
        buf.advance(p + 2);
        self.scanned = 0;
    }

    /// `*<count>\r\n` at the front of `buf`. Like Redis, the byte after
    /// `\r` is not checked to be `\n`.
    fn multibulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, ProtocolError> {
        let limit = self.limits.max_inline_len;
        let p = match self.find(buf, b'\r', limit) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(()) => return Err(ProtocolError::TooBigMbulkCountString),
        };
        if buf.len() < p + 2 {
            return Ok(None);
        }
        let count = buf
            .get(1..p)
            .and_then(parse_i64)
            .ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count > 0 && count as u64 > self.limits.max_multibulk_len as u64 {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        self.consume_line(buf, p);
        Ok(Some(usize::try_from(count).unwrap_or(0)))
    }

    /// `$<len>\r\n` at the front of `buf`.
    fn bulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, ProtocolError> {
        let limit = self.limits.max_inline_len;
        let p = match self.find(buf, b'\r', limit) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(()) => return Err(ProtocolError::TooBigBulkCountString),
        };
        if buf.len() < p + 2 {
            return Ok(None);
        }
        match buf.first() {
            Some(b'$') => {}
            Some(&other) => return Err(ProtocolError::ExpectedDollar(other)),
            None => return Ok(None),
        }
        let len = buf
            .get(1..p)
            .and_then(parse_i64)
            .and_then(|v| usize::try_from(v).ok())
            .filter(|&v| v <= self.limits.max_bulk_len)
            .ok_or(ProtocolError::InvalidBulkLength)?;
        self.consume_line(buf, p);
        Ok(Some(len))
    }

    fn parse_bulks(
        &mut self,
        buf: &mut BytesMut,
        mut remaining: usize,
        mut bulk_len: Option<usize>,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            let len = match bulk_len {
                Some(len) => len,
                None => match self.bulk_header(buf)? {
                    Some(len) => len,
                    None => break,
                },
            };
            // The trailing two bytes are skipped unchecked, like Redis.
            if buf.len() < len.saturating_add(2) {
                bulk_len = Some(len);
                break;
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.argv_bytes += len;
            self.argv.push(arg);
            bulk_len = None;
            remaining -= 1;
            if remaining == 0 {
                self.state = State::Idle;
                self.argv_bytes = 0;
                return Ok(Some(std::mem::take(&mut self.argv)));
            }
        }
        self.state = State::Multibulk {
            remaining,
            bulk_len,
        };
        Ok(None)
    }

    /// One inline command line, terminated by `\n` (an `\r` before it is
    /// dropped), split like Redis's `sdssplitargs`.
    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let p = match self.find(buf, b'\n', self.limits.max_inline_len) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(()) => return Err(ProtocolError::TooBigInlineRequest),
        };
        let line = buf.split_to(p + 1).freeze();
        self.scanned = 0;
        let mut end = p;
        if p > 0 && line.get(p - 1) == Some(&b'\r') {
            end -= 1;
        }
        let argv = split_args(&line, end)?;
        if argv.len() > self.limits.max_multibulk_len {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        if argv.iter().any(|a| a.len() > self.limits.max_bulk_len) {
            return Err(ProtocolError::InvalidBulkLength);
        }
        Ok(Some(argv))
    }
}

/// C `isspace`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(b: Option<&u8>) -> Option<u8> {
    match b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Redis's `sdssplitargs` over `line[..end]`: arguments separated by
/// whitespace; `"..."` with `\n \r \t \b \a \xHH` and `\<any>` escapes;
/// `'...'` with `\'`; a closing quote must be followed by whitespace or the
/// end. The line ends at its first NUL byte, as in C. Unquoted arguments
/// are zero-copy slices of `line`.
pub(crate) fn split_args(line: &Bytes, end: usize) -> Result<Vec<Bytes>, ProtocolError> {
    let s = line.get(..end).unwrap_or(&[]);
    let s = match s.iter().position(|&b| b == 0) {
        Some(nul) => s.get(..nul).unwrap_or(&[]),
        None => s,
    };
    let at = |i: usize| s.get(i).copied();
    let mut argv = Vec::new();
    let mut i = 0;
    loop {
        while at(i).is_some_and(is_space) {
            i += 1;
        }
        if i >= s.len() {
            return Ok(argv);
        }
        let start = i;
        while at(i).is_some_and(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\'')) {
            i += 1;
        }
        let quote = match at(i) {
            Some(q @ (b'"' | b'\'')) => q,
            _ => {
                argv.push(line.slice(start..i));
                continue;
            }
        };
        let mut cur = s.get(start..i).unwrap_or(&[]).to_vec();
        i += 1;
        loop {
            let Some(c) = at(i) else {
                return Err(ProtocolError::UnbalancedQuotes);
            };
            if c == quote {
                if at(i + 1).is_some_and(|b| !is_space(b)) {
                    return Err(ProtocolError::UnbalancedQuotes);
                }
                i += 1;
                break;
            }
            if quote == b'"' && c == b'\\' {
                if at(i + 1) == Some(b'x')
                    && let (Some(hi), Some(lo)) = (hex_val(s.get(i + 2)), hex_val(s.get(i + 3)))
                {
                    cur.push(hi * 16 + lo);
                    i += 4;
                    continue;
                }
                if let Some(e) = at(i + 1) {
                    cur.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    i += 2;
                    continue;
                }
            } else if quote == b'\'' && c == b'\\' && at(i + 1) == Some(b'\'') {
                cur.push(b'\'');
                i += 2;
                continue;
            }
            cur.push(c);
            i += 1;
        }
        argv.push(Bytes::from(cur));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Limits {
        Limits {
            max_bulk_len: 16,
            max_multibulk_len: 4,
            max_inline_len: 32,
        }
    }

    /// All commands in `input`, fed at once.
    fn parse_with(limits: Limits, input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut p = RequestParser::new(limits);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(argv) = p.parse(&mut buf)? {
            out.push(argv.iter().map(|a| a.to_vec()).collect());
        }
        Ok(out)
    }

    fn parse(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        parse_with(Limits::default(), input)
    }

    fn one(input: &[u8]) -> Vec<Vec<u8>> {
        let mut cmds = parse(input).unwrap();
        assert_eq!(cmds.len(), 1, "{cmds:?}");
        cmds.remove(0)
    }

    fn err(input: &[u8]) -> String {
        parse(input).unwrap_err().to_string()
    }

    fn v(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk() {
        assert_eq!(one(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), v(&["GET", "k"]));
        assert_eq!(one(b"*1\r\n$0\r\n\r\n"), v(&[""]));
        assert_eq!(
            parse(b"*1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n").unwrap(),
            vec![v(&["a"]), v(&["b"])]
        );
    }

    #[test]
    fn skipped_commands() {
        assert_eq!(parse(b"*0\r\n*-1\r\n\r\n\n   \r\n").unwrap().len(), 0);
        assert_eq!(one(b"*0\r\n\r\n*-1\r\nPING\r\n"), v(&["PING"]));
    }

    #[test]
    fn partial_progress_is_kept() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut p = RequestParser::default();
        let mut buf = BytesMut::new();
        let mut got = None;
        for (i, &b) in input.iter().enumerate() {
            buf.extend_from_slice(&[b]);
            let r = p.parse(&mut buf).unwrap();
            if i + 1 < input.len() {
                assert_eq!(r, None, "at {i}");
            } else {
                got = r;
            }
        }
        assert_eq!(got.unwrap(), vec!["SET", "key", "value"]);
        assert!(buf.is_empty());
        assert!(p.is_idle());
    }

    #[test]
    fn error_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*x\r\n", "ERR Protocol error: invalid multibulk length"),
            (
                b"*2147483648\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (b"*01\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
            (
                b"*1\r\n$536870913\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (b"*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'"),
            (
                b"*2\r\n$1\r\na\r\n:1\r\n",
                "ERR Protocol error: expected '$', got ':'",
            ),
            (
                b"SET \"a b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"SET 'a b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"SET \"a\"b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"SET 'a'b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"SET \"a\\\"\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&err(input), want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn multibulk_count_limit_is_inclusive() {
        assert_eq!(parse_with(small(), b"*4\r\n").unwrap().len(), 0);
        assert_eq!(
            parse_with(small(), b"*5\r\n"),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(
            parse_with(small(), b"*1\r\n$17\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(one(b"*1\r\n$1\r\nx\r\n"), v(&["x"]));
    }

    #[test]
    fn too_big_lines() {
        let mut inline = vec![b'a'; 64 * 1024 + 1];
        assert_eq!(err(&inline), "ERR Protocol error: too big inline request");
        inline.truncate(64 * 1024);
        // Exactly at the limit without a newline: keep waiting.
        assert_eq!(parse(&inline).unwrap().len(), 0);
        inline.push(b'\n');
        assert_eq!(parse(&inline).unwrap()[0][0].len(), 64 * 1024);

        let mut mbulk = b"*".to_vec();
        mbulk.resize(64 * 1024 + 1, b'1');
        assert_eq!(
            err(&mbulk),
            "ERR Protocol error: too big mbulk count string"
        );

        let mut bulk = b"*1\r\n$".to_vec();
        bulk.resize(4 + 64 * 1024 + 1, b'1');
        assert_eq!(err(&bulk), "ERR Protocol error: too big bulk count string");
    }

    #[test]
    fn too_big_lines_when_chunked() {
        let mut p = RequestParser::new(small());
        let mut buf = BytesMut::new();
        for _ in 0..32 {
            buf.extend_from_slice(b"a");
            assert_eq!(p.parse(&mut buf), Ok(None));
        }
        buf.extend_from_slice(b"a");
        assert_eq!(p.parse(&mut buf), Err(ProtocolError::TooBigInlineRequest));
    }

    #[test]
    fn inline_splitting() {
        assert_eq!(one(b"PING\r\n"), v(&["PING"]));
        assert_eq!(one(b"PING\n"), v(&["PING"]));
        assert_eq!(one(b"  set  k \t v  \r\n"), v(&["set", "k", "v"]));
        assert_eq!(one(b"set \"a b\" 'c d'\n"), v(&["set", "a b", "c d"]));
        assert_eq!(one(b"set k \"\"\n"), v(&["set", "k", ""]));
        assert_eq!(one(b"set k ''\n"), v(&["set", "k", ""]));
        assert_eq!(
            one(b"x \"\\n\\r\\t\\b\\a\\\\\\\"\\q\"\n"),
            vec![b"x".to_vec(), b"\n\r\t\x08\x07\\\"q".to_vec()]
        );
        assert_eq!(
            one(b"x \"\\x41\\x7a\\xff\\xg1\"\n"),
            vec![b"x".to_vec(), b"Az\xffxg1".to_vec()]
        );
        assert_eq!(
            one(b"x 'it\\'s \"q\" \\n'\n"),
            vec![b"x".to_vec(), b"it's \"q\" \\n".to_vec()]
        );
        // A quote inside an unquoted word starts a quoted part of it.
        assert_eq!(one(b"ab\"c d\"\n"), v(&["abc d"]));
        // \v and \f separate words only between them, like C isspace.
        assert_eq!(one(b"\x0ba\x0bb\n"), vec![b"a\x0bb".to_vec()]);
        // The line ends at a NUL, as in C.
        assert_eq!(one(b"get k\0junk \"\n"), v(&["get", "k"]));
        // A CR in the middle of the line separates words.
        assert_eq!(one(b"a\rb\r\n"), v(&["a", "b"]));
    }

    #[test]
    fn inline_then_multibulk() {
        assert_eq!(
            parse(b"PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n").unwrap(),
            vec![v(&["PING"]), v(&["PING"]), v(&["ECHO", "x"])]
        );
    }

    #[test]
    fn arguments_are_zero_copy() {
        let mut p = RequestParser::default();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let argv = p.parse(&mut buf).unwrap().unwrap();
        assert_eq!(argv[0].as_ptr() as usize, base + 8);
        assert_eq!(argv[1].as_ptr() as usize, base + 17);
    }

    #[test]
    fn huge_bulk_allocates_nothing_up_front() {
        let mut p = RequestParser::default();
        let mut buf = BytesMut::with_capacity(64);
        buf.extend_from_slice(b"*1\r\n$536870912\r\nabc");
        assert_eq!(p.parse(&mut buf), Ok(None));
        assert!(buf.capacity() <= 64);
        assert_eq!(p.pending_bytes(), 0);
        assert_eq!(&buf[..], b"abc");
    }

    #[test]
    fn error_resets_state() {
        let mut p = RequestParser::default();
        let mut buf = BytesMut::from(&b"*2\r\n$1\r\na\r\n$x\r\n"[..]);
        assert_eq!(p.parse(&mut buf), Err(ProtocolError::InvalidBulkLength));
        assert!(p.is_idle());
        assert_eq!(p.pending_bytes(), 0);
    }
}
