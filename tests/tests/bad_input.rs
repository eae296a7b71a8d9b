//! Malformed and hostile input: protocol errors close the connection with
//! Redis's exact text, and never hurt the server or its stored data.

use corekv_tests::{Reply, Resp, Server, check};
use std::io::Write;

/// A server holding one sentinel key that every test checks afterwards.
fn server_with_data() -> Server {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "sentinel", "still-here"], Reply::ok());
    check!(c, ["SET", "counter", "41"], Reply::ok());
    s
}

/// A fresh connection works and the data written before is intact.
fn assert_healthy(s: &Server) {
    let mut c = s.resp();
    check!(c, ["PING"], Reply::Simple("PONG".into()));
    check!(c, ["GET", "sentinel"], Reply::bulk("still-here"));
    check!(c, ["INCR", "counter"], Reply::Int(42));
    check!(c, ["DECR", "counter"], Reply::Int(41));
}

/// Sends raw bytes and expects one error reply with `want`, then a close.
fn protocol_error(s: &Server, bytes: &[u8], want: &str) {
    let mut c = s.resp();
    c.send_raw(bytes).expect("send");
    assert_eq!(
        c.read_reply().expect("reply"),
        Reply::err(want),
        "for input {:?}",
        String::from_utf8_lossy(bytes)
    );
    assert!(c.is_closed(), "connection not closed after protocol error");
}

#[test]
fn invalid_multibulk_length() {
    let s = server_with_data();
    protocol_error(
        &s,
        b"*abc\r\n",
        "ERR Protocol error: invalid multibulk length",
    );
    protocol_error(
        &s,
        b"*3000000000\r\n",
        "ERR Protocol error: invalid multibulk length",
    );
    assert_healthy(&s);
}

#[test]
fn invalid_bulk_length() {
    let s = server_with_data();
    protocol_error(
        &s,
        b"*1\r\n$999999999999\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    protocol_error(
        &s,
        b"*1\r\n$abc\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    protocol_error(
        &s,
        b"*1\r\n$-5\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    // One byte over proto-max-bulk-len (512 MiB).
    protocol_error(
        &s,
        b"*1\r\n$536870913\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    assert_healthy(&s);
}

#[test]
fn missing_dollar() {
    let s = server_with_data();
    protocol_error(
        &s,
        b"*1\r\nfoo\r\n",
        "ERR Protocol error: expected '$', got 'f'",
    );
    assert_healthy(&s);
}

#[test]
fn unbalanced_quotes_inline() {
    let s = server_with_data();
    protocol_error(
        &s,
        b"SET \"a b\r\n",
        "ERR Protocol error: unbalanced quotes in request",
    );
    assert_healthy(&s);
}

#[test]
fn too_big_inline_request() {
    let s = server_with_data();
    // 70 KiB without a newline exceeds the 64 KiB inline limit.
    let line = vec![b'a'; 70 * 1024];
    protocol_error(&s, &line, "ERR Protocol error: too big inline request");
    assert_healthy(&s);
}

#[test]
fn empty_and_null_requests_are_ignored() {
    let s = server_with_data();
    let mut c = s.resp();
    // Null and empty multibulks and blank inline lines get no reply.
    c.send_raw(b"*-1\r\n*0\r\n\r\n*1\r\n$4\r\nPING\r\n")
        .expect("send");
    assert_eq!(c.read_reply().expect("reply"), Reply::Simple("PONG".into()));
    assert_healthy(&s);
}

#[test]
fn inline_commands_with_quotes() {
    let s = server_with_data();
    let mut c = s.resp();
    c.send_raw(b"SET inline \"a b\\x41\"\r\nGET inline\r\n")
        .expect("send");
    assert_eq!(c.read_reply().expect("reply"), Reply::ok());
    assert_eq!(c.read_reply().expect("reply"), Reply::bulk("a bA"));
    assert_healthy(&s);
}

#[test]
fn garbage_bytes() {
    let s = server_with_data();
    let mut c = s.resp();
    // Binary junk parses as an inline command with an unknown name.
    c.send_raw(b"\x01\x02\xfe\xff junk\r\n").expect("send");
    let reply = c.read_reply().expect("reply");
    assert!(
        reply.error_text().starts_with("ERR unknown command '"),
        "{reply:?}"
    );
    // The connection is still usable after a plain error.
    check!(c, ["PING"], Reply::Simple("PONG".into()));
    // Random binary blobs of many shapes: whatever happens, the server lives.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..50 {
        let mut raw = s.raw();
        let len = 1 + (round * 37) % 600;
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed.to_le_bytes()[0]
            })
            .collect();
        let _ = raw.write_all(&junk);
        drop(raw);
    }
    assert_healthy(&s);
}

#[test]
fn truncated_requests_then_disconnect() {
    let s = server_with_data();
    for bytes in [
        &b"*3\r\n$3\r\nSET\r\n$8\r\nsentinel\r\n$5\r\nclob"[..],
        b"*2\r\n$3\r\nGET",
        b"*1000000\r\n",
        b"*1\r\n$100000000\r\nabc",
    ] {
        let mut c = s.resp();
        c.send_raw(bytes).expect("send");
        c.shutdown_write();
        assert!(c.is_closed());
    }
    assert_healthy(&s);
}

#[test]
fn command_errors_keep_the_connection() {
    let s = server_with_data();
    let mut c = s.resp();
    check!(
        c,
        ["GET"],
        Reply::err("ERR wrong number of arguments for 'get' command")
    );
    check!(c, ["SET", "notnum", "abc"], Reply::ok());
    check!(
        c,
        ["INCR", "notnum"],
        Reply::err("ERR value is not an integer or out of range")
    );
    check!(
        c,
        ["NOSUCHCOMMAND", "x"],
        Reply::err("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ")
    );
    // WRONGTYPE needs non-string types, which corekv does not have yet.
    check!(c, ["GET", "notnum"], Reply::bulk("abc"));
    drop(c);
    assert_healthy(&s);
}

#[test]
fn many_connections_closed_abruptly() {
    let s = server_with_data();
    let conns: Vec<Resp> = (0..50).map(|_| s.resp()).collect();
    for mut c in conns {
        c.send_raw(b"*2\r\n$3\r\nGET\r\n$8\r\nsentinel\r\n")
            .expect("send");
    }
    assert_healthy(&s);
}
