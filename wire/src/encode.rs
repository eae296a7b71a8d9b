//! Reply encoding for RESP2 and RESP3, with Redis's RESP2 down-conversions,
//! and request encoding (multibulk of bulks) for clients and load tools.
//! Numbers are formatted on the stack; the only allocation is `out` growing.

use bytes::{BufMut, BytesMut};
use corekv_core::Reply;

use crate::num::{fmt_f64, write_u64_back};

/// The protocol a connection negotiated (`HELLO 2|3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Proto {
    #[default]
    Resp2,
    Resp3,
}

/// Appends `reply` to `out`.
///
/// RESP2 down-conversions are Redis's: `Nil` → `$-1`, `NilArray` → `*-1`,
/// `Map` and `Pairs` → flat array of 2n, `PairMap` → array of n `[k, v]`
/// arrays, `Set` → array, `Double` and `Verbatim` → bulk
/// string, `Bool` → `:1`/`:0`. In RESP3 both nils are `_`. CR and LF inside
/// error and simple-string texts become spaces so a reply can never break
/// the framing (Redis does this for errors).
pub fn encode(reply: &Reply, proto: Proto, out: &mut BytesMut) {
    let resp3 = proto == Proto::Resp3;
    match reply {
        Reply::Simple(s) => line(out, b'+', s.as_bytes()),
        Reply::Error(s) => line(out, b'-', s.as_bytes()),
        Reply::Integer(v) => header(out, b':', *v),
        Reply::Bulk(b) => bulk(out, b'$', &[], b),
        Reply::Encoded(b) => out.put_slice(b),
        Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
        Reply::Nil => out.put_slice(b"$-1\r\n"),
        Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
        Reply::NilArray => out.put_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            header(out, b'*', items.len() as i64);
            for item in items {
                encode(item, proto, out);
            }
        }
        Reply::Double(d) => {
            let text = fmt_f64(*d);
            if resp3 {
                out.put_u8(b',');
                out.put_slice(text.as_bytes());
                out.put_slice(b"\r\n");
            } else {
                bulk(out, b'$', &[], text.as_bytes());
            }
        }
        Reply::HumanDouble(d) => {
            let mut text = crate::num::NumBuf::new();
            if corekv_core::cmd::write_human(*d, &mut text).is_ok() {
                double_text(out, resp3, text.as_bytes());
            } else {
                double_text(out, resp3, corekv_core::cmd::format_human(*d).as_bytes());
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                header(out, b'%', pairs.len() as i64);
            } else {
                header(out, b'*', pairs.len() as i64 * 2);
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Reply::Pairs(pairs) => {
            if resp3 {
                header(out, b'*', pairs.len() as i64);
                for (a, b) in pairs {
                    out.put_slice(b"*2\r\n");
                    encode(a, proto, out);
                    encode(b, proto, out);
                }
            } else {
                header(out, b'*', pairs.len() as i64 * 2);
                for (a, b) in pairs {
                    encode(a, proto, out);
                    encode(b, proto, out);
                }
            }
        }
        Reply::PairMap(pairs) => {
            header(out, if resp3 { b'%' } else { b'*' }, pairs.len() as i64);
            for (k, v) in pairs {
                if !resp3 {
                    header(out, b'*', 2);
                }
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Reply::Set(items) => {
            header(out, if resp3 { b'~' } else { b'*' }, items.len() as i64);
            for item in items {
                encode(item, proto, out);
            }
        }
        Reply::Bool(b) => match (resp3, b) {
            (true, true) => out.put_slice(b"#t\r\n"),
            (true, false) => out.put_slice(b"#f\r\n"),
            (false, true) => out.put_slice(b":1\r\n"),
            (false, false) => out.put_slice(b":0\r\n"),
        },
        Reply::Verbatim(s) if resp3 => bulk(out, b'=', b"txt:", s.as_bytes()),
        Reply::Verbatim(s) => bulk(out, b'$', &[], s.as_bytes()),
    }
}

/// Appends a request: a multibulk of bulk strings.
pub fn encode_request(argv: &[&[u8]], out: &mut BytesMut) {
    header(out, b'*', argv.len() as i64);
    for arg in argv {
        bulk(out, b'$', &[], arg);
    }
}

/// The header of an out-of-band message (pub/sub, invalidations): a RESP3
/// push (`>n`) or, in RESP2, an array (`*n`), as Redis sends them.
pub fn encode_push_header(n: usize, proto: Proto, out: &mut BytesMut) {
    let kind = if proto == Proto::Resp3 { b'>' } else { b'*' };
    header(out, kind, n as i64);
}

/// Appends an array header (`*n`), the same in both protocols.
pub fn encode_array_header(n: usize, out: &mut BytesMut) {
    header(out, b'*', n as i64);
}

/// Appends a bulk string.
pub fn encode_bulk(data: &[u8], out: &mut BytesMut) {
    bulk(out, b'$', &[], data);
}

/// Appends an integer.
pub fn encode_int(v: i64, out: &mut BytesMut) {
    header(out, b':', v);
}

/// A double's text: `,<text>` in RESP3, a bulk string in RESP2.
fn double_text(out: &mut BytesMut, resp3: bool, text: &[u8]) {
    if resp3 {
        out.put_u8(b',');
        out.put_slice(text);
        out.put_slice(b"\r\n");
    } else {
        bulk(out, b'$', &[], text);
    }
}

/// `<kind><n>\r\n`
#[inline]
fn header(out: &mut BytesMut, kind: u8, n: i64) {
    // Built backwards on the stack so it lands in `out` in one copy.
    let mut tmp = [0u8; 24];
    let len = tmp.len();
    if let Some(crlf) = tmp.get_mut(len - 2..) {
        crlf.copy_from_slice(b"\r\n");
    }
    let mut start = write_u64_back(tmp.get_mut(..len - 2).unwrap_or(&mut []), n.unsigned_abs());
    if n < 0 {
        start -= 1;
        if let Some(b) = tmp.get_mut(start) {
            *b = b'-';
        }
    }
    start -= 1;
    if let Some(b) = tmp.get_mut(start) {
        *b = kind;
    }
    out.put_slice(tmp.get(start..).unwrap_or(&[]));
}

/// `<kind><len>\r\n<prefix><data>\r\n`
#[inline]
fn bulk(out: &mut BytesMut, kind: u8, prefix: &[u8], data: &[u8]) {
    let len = prefix.len() + data.len();
    out.reserve(len + 24);
    header(out, kind, len as i64);
    out.put_slice(prefix);
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// `<kind><text>\r\n` with CR/LF in text replaced by spaces.
fn line(out: &mut BytesMut, kind: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(kind);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        out.put_slice(text);
    }
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn enc(r: &Reply, p: Proto) -> String {
        let mut out = BytesMut::new();
        encode(r, p, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn both(r: Reply, resp2: &str, resp3: &str) {
        assert_eq!(enc(&r, Proto::Resp2), resp2, "RESP2 {r:?}");
        assert_eq!(enc(&r, Proto::Resp3), resp3, "RESP3 {r:?}");
    }

    #[test]
    fn scalars() {
        both(Reply::ok(), "+OK\r\n", "+OK\r\n");
        both(Reply::Integer(-12), ":-12\r\n", ":-12\r\n");
        both(Reply::Integer(0), ":0\r\n", ":0\r\n");
        both(
            Reply::Integer(i64::MIN),
            ":-9223372036854775808\r\n",
            ":-9223372036854775808\r\n",
        );
        both(
            Reply::Integer(i64::MAX),
            ":9223372036854775807\r\n",
            ":9223372036854775807\r\n",
        );
        both(
            Reply::bulk(Bytes::from_static(b"hi")),
            "$2\r\nhi\r\n",
            "$2\r\nhi\r\n",
        );
        both(Reply::bulk(Bytes::new()), "$0\r\n\r\n", "$0\r\n\r\n");
        both(Reply::Nil, "$-1\r\n", "_\r\n");
        both(Reply::NilArray, "*-1\r\n", "_\r\n");
        both(Reply::Bool(true), ":1\r\n", "#t\r\n");
        both(Reply::Bool(false), ":0\r\n", "#f\r\n");
        both(Reply::Double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n");
        both(Reply::Double(f64::INFINITY), "$3\r\ninf\r\n", ",inf\r\n");
        both(
            Reply::Double(f64::NEG_INFINITY),
            "$4\r\n-inf\r\n",
            ",-inf\r\n",
        );
        both(Reply::Double(f64::NAN), "$3\r\nnan\r\n", ",nan\r\n");
        both(Reply::Double(3.0), "$1\r\n3\r\n", ",3\r\n");
        // GEOPOS/WITHCOORD coordinates: addReplyHumanLongDouble.
        both(
            Reply::HumanDouble(13.361389338970184),
            "$20\r\n13.36138933897018433\r\n",
            ",13.36138933897018433\r\n",
        );
        both(Reply::HumanDouble(-180.0), "$4\r\n-180\r\n", ",-180\r\n");
        both(
            Reply::Pairs(vec![(Reply::bulk(Bytes::from("a")), Reply::Double(1.5))]),
            "*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
            "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
        );
        both(
            Reply::Verbatim("a\r\nb".into()),
            "$4\r\na\r\nb\r\n",
            "=8\r\ntxt:a\r\nb\r\n",
        );
    }

    #[test]
    fn errors_lose_newlines() {
        both(
            Reply::err("ERR bad\r\nthing\n"),
            "-ERR bad  thing \r\n",
            "-ERR bad  thing \r\n",
        );
    }

    #[test]
    fn aggregates() {
        let map = Reply::Map(vec![
            (Reply::bulk(&b"a"[..]), Reply::Integer(1)),
            (Reply::bulk(&b"b"[..]), Reply::Nil),
        ]);
        both(
            map,
            "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n",
            "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n",
        );
        both(
            Reply::Set(vec![Reply::Integer(1)]),
            "*1\r\n:1\r\n",
            "~1\r\n:1\r\n",
        );
        both(Reply::Array(vec![]), "*0\r\n", "*0\r\n");
        let pairs = Reply::Pairs(vec![
            (Reply::bulk(&b"a"[..]), Reply::bulk(&b"1"[..])),
            (Reply::bulk(&b"a"[..]), Reply::Double(2.5)),
        ]);
        both(
            pairs,
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$3\r\n2.5\r\n",
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n,2.5\r\n",
        );
        both(Reply::Pairs(vec![]), "*0\r\n", "*0\r\n");
        // XREAD: pairs in RESP2, a map in RESP3.
        both(
            Reply::PairMap(vec![(Reply::bulk(&b"s"[..]), Reply::Array(vec![]))]),
            "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n",
            "%1\r\n$1\r\ns\r\n*0\r\n",
        );
    }

    #[test]
    fn request() {
        let mut out = BytesMut::new();
        encode_request(&[b"SET", b"k", b""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
