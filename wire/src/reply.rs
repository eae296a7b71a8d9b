//! The reply parser: RESP2 and RESP3 server frames into [`Reply`], for
//! clients, tools and tests. It is not on the server's hot path, so it
//! re-parses an incomplete frame from its start when more bytes arrive;
//! [`ReplyParser`] skips that work until at least the bytes it knows it
//! needs are there (a large bulk costs nothing until complete).

use bytes::{Buf, Bytes, BytesMut};
use corekv_core::Reply;

use crate::num::parse_i64;
use crate::{Limits, ProtocolError};

/// Deepest aggregate nesting accepted; bounds recursion on hostile input.
const MAX_DEPTH: usize = 128;
/// Aggregates start this small however many elements are declared.
const PREALLOC: usize = 16;

type PResult<T> = Result<Step<T>, ProtocolError>;

/// Either a value and the position after it, or the total buffer length
/// that is at least needed before trying again.
enum Step<T> {
    Done(T, usize),
    Need(usize),
}

macro_rules! ready {
    ($e:expr) => {
        match $e? {
            Step::Done(v, pos) => (v, pos),
            Step::Need(n) => return Ok(Step::Need(n)),
        }
    };
}

/// Parses RESP2/RESP3 replies one frame at a time.
#[derive(Debug, Default)]
pub struct ReplyParser {
    limits: Limits,
    /// The buffer must be at least this long before the frame can complete.
    need: usize,
}

impl ReplyParser {
    pub fn new(limits: Limits) -> Self {
        ReplyParser { limits, need: 0 }
    }

    /// Parses and consumes one complete reply from the front of `buf`, or
    /// returns `Ok(None)` (consuming nothing) if it is incomplete.
    /// Attribute frames (`|`) are skipped; pushes (`>`) become arrays;
    /// RESP3 null, `$-1` become [`Reply::Nil`], `*-1` [`Reply::NilArray`].
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
        if buf.len() < self.need {
            return Ok(None);
        }
        match frame(buf, 0, 0, &self.limits) {
            Ok(Step::Done(reply, end)) => {
                buf.advance(end);
                self.need = 0;
                Ok(Some(reply))
            }
            Ok(Step::Need(n)) => {
                self.need = n;
                Ok(None)
            }
            Err(e) => {
                self.need = 0;
                Err(e)
            }
        }
    }
}

/// One-shot form of [`ReplyParser::parse`] with default limits.
pub fn parse_reply(buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
    ReplyParser::default().parse(buf)
}

/// A line starting at `pos` (after the type byte), ending in CRLF, at most
/// `max` bytes long.
fn line(buf: &[u8], pos: usize, max: usize) -> PResult<&[u8]> {
    let end = buf.len().min(pos.saturating_add(max).saturating_add(1));
    let window = buf.get(pos..end).unwrap_or(&[]);
    match window.iter().position(|&b| b == b'\r') {
        Some(i) => {
            let cr = pos + i;
            match buf.get(cr + 1) {
                None => Ok(Step::Need(cr + 2)),
                Some(b'\n') => Ok(Step::Done(window.get(..i).unwrap_or(&[]), cr + 2)),
                Some(_) => Err(ProtocolError::BadReply("expected CRLF")),
            }
        }
        None if buf.len() > pos.saturating_add(max) => {
            Err(ProtocolError::BadReply("line too long"))
        }
        None => Ok(Step::Need(buf.len() + 1)),
    }
}

/// An integer line (lengths, counts, `:` values).
fn int_line(buf: &[u8], pos: usize, limits: &Limits) -> PResult<i64> {
    let (text, next) = ready!(line(buf, pos, limits.max_inline_len));
    match parse_i64(text) {
        Some(v) => Ok(Step::Done(v, next)),
        None => Err(ProtocolError::BadReply("invalid integer")),
    }
}

/// `<len>\r\n<data>\r\n` after the type byte; `None` for `-1`.
fn blob<'a>(buf: &'a [u8], pos: usize, limits: &Limits) -> PResult<Option<&'a [u8]>> {
    let (len, pos) = ready!(int_line(buf, pos, limits));
    if len == -1 {
        return Ok(Step::Done(None, pos));
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= limits.max_bulk_len)
        .ok_or(ProtocolError::InvalidBulkLength)?;
    let end = pos + len;
    if buf.len() < end + 2 {
        return Ok(Step::Need(end + 2));
    }
    if buf.get(end..end + 2) != Some(b"\r\n") {
        return Err(ProtocolError::BadReply("expected CRLF after bulk"));
    }
    Ok(Step::Done(buf.get(pos..end), end + 2))
}

/// An aggregate's element count; `None` for `-1`.
fn count(buf: &[u8], pos: usize, limits: &Limits) -> PResult<Option<usize>> {
    let (n, pos) = ready!(int_line(buf, pos, limits));
    if n == -1 {
        return Ok(Step::Done(None, pos));
    }
    match usize::try_from(n) {
        Ok(n) if n <= limits.max_multibulk_len => Ok(Step::Done(Some(n), pos)),
        _ => Err(ProtocolError::InvalidMultibulkLength),
    }
}

fn items(
    buf: &[u8],
    mut pos: usize,
    n: usize,
    depth: usize,
    limits: &Limits,
) -> PResult<Vec<Reply>> {
    let mut out = Vec::with_capacity(n.min(PREALLOC));
    for _ in 0..n {
        let (item, next) = ready!(frame(buf, pos, depth + 1, limits));
        out.push(item);
        pos = next;
    }
    Ok(Step::Done(out, pos))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn frame(buf: &[u8], pos: usize, depth: usize, limits: &Limits) -> PResult<Reply> {
    if depth > MAX_DEPTH {
        return Err(ProtocolError::BadReply("nesting too deep"));
    }
    let Some(&kind) = buf.get(pos) else {
        return Ok(Step::Need(pos + 1));
    };
    let pos = pos + 1;
    let step = match kind {
        b'+' | b'-' => {
            let (t, next) = ready!(line(buf, pos, limits.max_bulk_len));
            let t = text(t);
            let r = if kind == b'+' {
                Reply::Simple(t)
            } else {
                Reply::Error(t)
            };
            Step::Done(r, next)
        }
        b':' => {
            let (v, next) = ready!(int_line(buf, pos, limits));
            Step::Done(Reply::Integer(v), next)
        }
        b'$' | b'!' | b'=' | b'(' => {
            let (data, next) = if kind == b'(' {
                let (t, next) = ready!(line(buf, pos, limits.max_inline_len));
                (Some(t), next)
            } else {
                ready!(blob(buf, pos, limits))
            };
            let r = match (kind, data) {
                (b'$', None) => Reply::Nil,
                (_, None) => return Err(ProtocolError::BadReply("invalid null blob")),
                (b'$' | b'(', Some(d)) => Reply::Bulk(Bytes::copy_from_slice(d)),
                (b'!', Some(d)) => Reply::Error(text(d)),
                (_, Some(d)) => match d.get(3) {
                    Some(b':') => Reply::Verbatim(text(d.get(4..).unwrap_or(&[]))),
                    _ => return Err(ProtocolError::BadReply("invalid verbatim string")),
                },
            };
            Step::Done(r, next)
        }
        b'_' => {
            let (t, next) = ready!(line(buf, pos, 0));
            debug_assert!(t.is_empty());
            Step::Done(Reply::Nil, next)
        }
        b'#' => {
            let (t, next) = ready!(line(buf, pos, 1));
            match t {
                b"t" => Step::Done(Reply::Bool(true), next),
                b"f" => Step::Done(Reply::Bool(false), next),
                _ => return Err(ProtocolError::BadReply("invalid boolean")),
            }
        }
        b',' => {
            let (t, next) = ready!(line(buf, pos, limits.max_inline_len));
            let d = std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(ProtocolError::BadReply("invalid double"))?;
            Step::Done(Reply::Double(d), next)
        }
        b'*' | b'~' | b'>' => {
            let (n, next) = ready!(count(buf, pos, limits));
            match n {
                None if kind == b'*' => Step::Done(Reply::NilArray, next),
                None => return Err(ProtocolError::BadReply("invalid null aggregate")),
                Some(n) => {
                    let (v, next) = ready!(items(buf, next, n, depth, limits));
                    let r = if kind == b'~' {
                        Reply::Set(v)
                    } else {
                        Reply::Array(v)
                    };
                    Step::Done(r, next)
                }
            }
        }
        b'%' | b'|' => {
            let (n, mut next) = ready!(count(buf, pos, limits));
            let n = n.ok_or(ProtocolError::BadReply("invalid null map"))?;
            let mut pairs = Vec::with_capacity(n.min(PREALLOC));
            for _ in 0..n {
                let (k, p) = ready!(frame(buf, next, depth + 1, limits));
                let (v, p) = ready!(frame(buf, p, depth + 1, limits));
                pairs.push((k, v));
                next = p;
            }
            if kind == b'|' {
                // Attributes annotate the frame that follows; skip them.
                let (r, next) = ready!(frame(buf, next, depth + 1, limits));
                Step::Done(r, next)
            } else {
                Step::Done(Reply::Map(pairs), next)
            }
        }
        _ => return Err(ProtocolError::BadReply("unknown reply type")),
    };
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Option<Reply>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let r = parse_reply(&mut buf);
        if let Ok(Some(_)) = r {
            assert!(buf.is_empty(), "left {:?}", buf);
        }
        r
    }

    #[test]
    fn resp2_types() {
        assert_eq!(parse_all(b"+OK\r\n"), Ok(Some(Reply::ok())));
        assert_eq!(parse_all(b"-ERR x\r\n"), Ok(Some(Reply::err("ERR x"))));
        assert_eq!(parse_all(b":-3\r\n"), Ok(Some(Reply::Integer(-3))));
        assert_eq!(parse_all(b"$-1\r\n"), Ok(Some(Reply::Nil)));
        assert_eq!(parse_all(b"*-1\r\n"), Ok(Some(Reply::NilArray)));
        assert_eq!(
            parse_all(b"*2\r\n$1\r\na\r\n$0\r\n\r\n"),
            Ok(Some(Reply::Array(vec![
                Reply::bulk(&b"a"[..]),
                Reply::bulk(&b""[..])
            ])))
        );
    }

    #[test]
    fn resp3_types() {
        assert_eq!(parse_all(b"_\r\n"), Ok(Some(Reply::Nil)));
        assert_eq!(parse_all(b"#t\r\n"), Ok(Some(Reply::Bool(true))));
        assert_eq!(
            parse_all(b",inf\r\n"),
            Ok(Some(Reply::Double(f64::INFINITY)))
        );
        assert_eq!(
            parse_all(b",-1.5e-07\r\n"),
            Ok(Some(Reply::Double(-1.5e-7)))
        );
        assert_eq!(parse_all(b"!3\r\nERR\r\n"), Ok(Some(Reply::err("ERR"))));
        assert_eq!(
            parse_all(b"=7\r\ntxt:a\r\n\r\n"),
            Ok(Some(Reply::Verbatim("a\r\n".into())))
        );
        assert_eq!(
            parse_all(b"(12345678901234567890\r\n"),
            Ok(Some(Reply::bulk(&b"12345678901234567890"[..])))
        );
        assert_eq!(
            parse_all(b"%1\r\n+a\r\n~1\r\n:1\r\n"),
            Ok(Some(Reply::Map(vec![(
                Reply::Simple("a".into()),
                Reply::Set(vec![Reply::Integer(1)])
            )])))
        );
        assert_eq!(
            parse_all(b">2\r\n+message\r\n:1\r\n"),
            Ok(Some(Reply::Array(vec![
                Reply::Simple("message".into()),
                Reply::Integer(1)
            ])))
        );
        assert_eq!(
            parse_all(b"|1\r\n+key-popularity\r\n%0\r\n:7\r\n"),
            Ok(Some(Reply::Integer(7)))
        );
    }

    #[test]
    fn incomplete_consumes_nothing() {
        let full = b"*2\r\n$3\r\nfoo\r\n%1\r\n:1\r\n#f\r\n";
        for cut in 0..full.len() {
            let mut buf = BytesMut::from(&full[..cut]);
            assert_eq!(parse_reply(&mut buf), Ok(None), "cut {cut}");
            assert_eq!(buf.len(), cut);
        }
    }

    #[test]
    fn bad_frames() {
        for bad in [
            &b"?\r\n"[..],
            b":abc\r\n",
            b"$-2\r\n",
            b"$1\r\nab\r\n",
            b"#x\r\n",
            b",foo\r\n",
            b"+a\rb\r\n",
            b"=2\r\nab\r\n",
            b"~-1\r\n",
        ] {
            assert!(
                parse_all(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let input = b"*1\r\n".repeat(100_000);
        assert_eq!(
            parse_all(&input),
            Err(ProtocolError::BadReply("nesting too deep"))
        );
    }

    #[test]
    fn huge_bulk_waits_cheaply() {
        let mut p = ReplyParser::default();
        let mut buf = BytesMut::from(&b"$536870912\r\nab"[..]);
        assert_eq!(p.parse(&mut buf), Ok(None));
        assert_eq!(p.need, 12 + 536870912 + 2);
    }
}
