//! A connection's byte stream, plain TCP or TLS (rustls), behind monoio's
//! owned-buffer traits, so client connections, proxy links and Raft links
//! run the same code over either (docs/design/0029-tls.md).
//!
//! TLS is driven here rather than through an adapter crate: rustls's
//! `Connection` is a state machine fed ciphertext and asked for plaintext,
//! and this module moves ciphertext between it and the socket with one
//! reused buffer per direction (no allocation per request). A read of
//! ciphertext is cancelable like a plain socket read (`flush_watching` and
//! the proxy's reader depend on that); what a cancelled read already got is
//! fed to rustls, never lost. A write encrypts up to rustls's 64 KiB buffer
//! limit and sends that ciphertext with one `write_all` before it returns,
//! so a batch of replies costs one syscall, as on plain TCP. Buffers: 17 KiB
//! of ciphertext read, the ciphertext write buffer (kept up to 32 KiB), and
//! rustls's own (about one record each way).
//!
//! The session sits in an `Rc<RefCell<_>>` so a stream can be split into a
//! read half and a write half (the proxy's reader and writer tasks); no
//! borrow of it is ever held across an await.

use monoio::BufResult;
use monoio::buf::{IoBuf, IoBufMut, IoVecBuf, IoVecBufMut, RawBuf};
use monoio::io::{
    AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt, CancelHandle, CancelableAsyncReadRent,
    CancelableAsyncWriteRent, CancelableAsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf,
    Splitable,
};
use monoio::net::TcpStream;
use rustls::Connection;
use std::cell::RefCell;
use std::io::{self, BufRead, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

/// Ciphertext read per socket read: one full TLS record (16 KiB of
/// plaintext and its overhead), about what a plain connection reads.
const CIPHER_READ: usize = 17 * 1024;
/// A ciphertext write buffer larger than this (a big reply's) is freed
/// after its write rather than kept for the connection's life.
const KEEP_CIPHER_OUT: usize = 32 * 1024;
/// Decrypted but unread plaintext past which no more ciphertext is fed to
/// rustls (its own limit refuses more beyond 16 KiB).
const PLAIN_HIGH: usize = 16 * 1024;

/// A plain or TLS stream over TCP.
pub enum Stream {
    Plain(TcpStream),
    Tls(TlsStream),
}

/// TLS over one TCP stream.
pub struct TlsStream {
    io: TcpStream,
    sess: Rc<RefCell<Connection>>,
    inc: Incoming,
    out: Outgoing,
}

/// Ciphertext read from the socket and not yet taken by rustls
/// (`buf[pos..]`): rustls stops taking input while it holds 16 KiB of
/// plaintext nobody read.
pub struct Incoming {
    buf: Vec<u8>,
    pos: usize,
}

/// The ciphertext buffer of the write side, kept between writes.
pub struct Outgoing {
    buf: Vec<u8>,
}

impl Incoming {
    fn new() -> Incoming {
        Incoming {
            buf: Vec::with_capacity(CIPHER_READ),
            pos: 0,
        }
    }

    fn pending(&self) -> bool {
        self.pos < self.buf.len()
    }
}

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Feeds buffered ciphertext to rustls until it is all taken or rustls
/// holds enough plaintext. `Ok(true)` if anything was taken.
fn pump(sess: &mut Connection, inc: &mut Incoming) -> io::Result<bool> {
    let mut progress = false;
    while inc.pending() {
        let mut rd = inc.buf.get(inc.pos..).unwrap_or(&[]);
        let n = sess.read_tls(&mut rd)?;
        if n == 0 {
            // close_notify came: nothing after it counts.
            inc.pos = inc.buf.len();
            break;
        }
        inc.pos += n;
        progress = true;
        let state = sess.process_new_packets().map_err(tls_err)?;
        if state.plaintext_bytes_to_read() >= PLAIN_HIGH {
            break;
        }
    }
    if !inc.pending() {
        inc.buf.clear();
        inc.pos = 0;
    }
    Ok(progress)
}

/// Copies decrypted plaintext into `buf`: `Some(n)` (0 after the peer's
/// close_notify), `None` if there is none yet.
fn take_plain<T: IoBufMut>(sess: &mut Connection, buf: &mut T) -> io::Result<Option<usize>> {
    let mut reader = sess.reader();
    let avail = match reader.fill_buf() {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
        Err(e) => return Err(e),
    };
    let n = avail.len().min(buf.bytes_total());
    // SAFETY: `write_ptr` is valid for `bytes_total` bytes (IoBufMut's
    // contract), `n` is at most that, and `avail` is rustls's own buffer,
    // which cannot overlap the caller's.
    unsafe {
        std::ptr::copy_nonoverlapping(avail.as_ptr(), buf.write_ptr(), n);
        buf.set_init(n);
    }
    reader.consume(n);
    Ok(Some(n))
}

/// Reads plaintext into `buf`, reading ciphertext from `io` as needed
/// (cancelably with `cancel`). `Ok(0)` at EOF.
async fn tls_read<IO: CancelableAsyncReadRent, T: IoBufMut>(
    sess: &RefCell<Connection>,
    io: &mut IO,
    inc: &mut Incoming,
    mut buf: T,
    cancel: Option<&CancelHandle>,
) -> BufResult<usize, T> {
    loop {
        // (plaintext copied, ciphertext fed to rustls)
        let step = {
            let mut s = sess.borrow_mut();
            match take_plain(&mut s, &mut buf) {
                Ok(Some(n)) => Ok((Some(n), false)),
                Ok(None) => pump(&mut s, inc).map(|fed| (None, fed)),
                Err(e) => Err(e),
            }
        };
        match step {
            Ok((Some(n), _)) => return (Ok(n), buf),
            // rustls took ciphertext and may have made plaintext.
            Ok((None, true)) => continue,
            Ok((None, false)) => {}
            Err(e) => return (Err(e), buf),
        }
        let mut cipher = std::mem::take(&mut inc.buf);
        cipher.clear();
        if cipher.capacity() < CIPHER_READ {
            cipher.reserve(CIPHER_READ);
        }
        let (res, cipher) = match cancel {
            Some(c) => io.cancelable_read(cipher, c.clone()).await,
            None => io.read(cipher).await,
        };
        inc.buf = cipher;
        inc.pos = 0;
        match res {
            // TCP EOF, with or without close_notify: the peer is gone.
            Ok(0) => return (Ok(0), buf),
            Ok(_) => {}
            Err(e) => return (Err(e), buf),
        }
    }
}

/// Moves what rustls wants to send into `out.buf` (cleared first).
fn collect(sess: &mut Connection, out: &mut Outgoing) -> io::Result<()> {
    out.buf.clear();
    while sess.wants_write() {
        sess.write_tls(&mut out.buf)?;
    }
    Ok(())
}

/// Sends `out.buf` whole.
async fn ship<IO: CancelableAsyncWriteRent>(
    io: &mut IO,
    out: &mut Outgoing,
    cancel: Option<&CancelHandle>,
) -> io::Result<()> {
    if out.buf.is_empty() {
        return Ok(());
    }
    let b = std::mem::take(&mut out.buf);
    let (res, b) = match cancel {
        Some(c) => CancelableAsyncWriteRentExt::write_all(io, b, c.clone()).await,
        None => AsyncWriteRentExt::write_all(io, b).await,
    };
    if b.capacity() <= KEEP_CIPHER_OUT {
        out.buf = b;
    }
    res.map(|_| ())
}

/// Encrypts as much of `buf` as rustls takes (up to its 64 KiB limit) and
/// sends it, with anything else rustls had queued, in one write.
async fn tls_write<IO: CancelableAsyncWriteRent, T: IoBuf>(
    sess: &RefCell<Connection>,
    io: &mut IO,
    out: &mut Outgoing,
    buf: T,
    cancel: Option<&CancelHandle>,
) -> BufResult<usize, T> {
    // SAFETY: `read_ptr` is valid for `bytes_init` bytes (IoBuf's contract)
    // and `buf` is owned here until returned.
    let data = unsafe { std::slice::from_raw_parts(buf.read_ptr(), buf.bytes_init()) };
    let taken = {
        let mut s = sess.borrow_mut();
        s.writer()
            .write(data)
            .and_then(|n| collect(&mut s, out).map(|_| n))
    };
    let n = match taken {
        Ok(n) => n,
        Err(e) => return (Err(e), buf),
    };
    match ship(io, out, cancel).await {
        Ok(()) => (Ok(n), buf),
        Err(e) => (Err(e), buf),
    }
}

/// Sends close_notify (best effort), then shuts the socket's write side.
async fn tls_shutdown<IO: CancelableAsyncWriteRent>(
    sess: &RefCell<Connection>,
    io: &mut IO,
    out: &mut Outgoing,
) -> io::Result<()> {
    let queued = {
        let mut s = sess.borrow_mut();
        s.send_close_notify();
        collect(&mut s, out)
    };
    if queued.is_ok() {
        let _ = ship(io, out, None).await;
    }
    io.shutdown().await
}

/// Runs the handshake of `sess` over `io` to its end; then any unsent
/// flight (tickets) is sent too. Ciphertext read past the handshake (a
/// client's first commands) stays in the returned stream.
async fn handshake(io: TcpStream, sess: Connection) -> io::Result<TlsStream> {
    let mut s = TlsStream {
        io,
        sess: Rc::new(RefCell::new(sess)),
        inc: Incoming::new(),
        out: Outgoing { buf: Vec::new() },
    };
    loop {
        let flight = collect(&mut s.sess.borrow_mut(), &mut s.out);
        flight?;
        ship(&mut s.io, &mut s.out, None).await?;
        if !s.sess.borrow().is_handshaking() {
            return Ok(s);
        }
        let fed = pump(&mut s.sess.borrow_mut(), &mut s.inc);
        match fed {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                // Tell the peer why (the alert rustls queued), then fail.
                let alert = collect(&mut s.sess.borrow_mut(), &mut s.out);
                if alert.is_ok() {
                    let _ = ship(&mut s.io, &mut s.out, None).await;
                }
                return Err(e);
            }
        }
        let mut cipher = std::mem::take(&mut s.inc.buf);
        cipher.clear();
        cipher.reserve(CIPHER_READ);
        let (res, cipher) = s.io.read(cipher).await;
        s.inc.buf = cipher;
        s.inc.pos = 0;
        if res? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed during the TLS handshake",
            ));
        }
    }
}

/// The server side of a TLS handshake on an accepted stream.
pub async fn accept(
    io: TcpStream,
    cfg: std::sync::Arc<rustls::ServerConfig>,
) -> io::Result<Stream> {
    let sess = rustls::ServerConnection::new(cfg).map_err(tls_err)?;
    handshake(io, sess.into()).await.map(Stream::Tls)
}

/// The client side of a TLS handshake on a connected stream.
pub async fn connect(
    io: TcpStream,
    cfg: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
) -> io::Result<Stream> {
    let sess = rustls::ClientConnection::new(cfg, name).map_err(tls_err)?;
    handshake(io, sess.into()).await.map(Stream::Tls)
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.io,
        }
    }

    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.tcp().local_addr()
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.tcp().set_nodelay(on)
    }

    /// Whether the peer presented a certificate that the configured CA
    /// verified (the handshake fails otherwise, so any certificate here
    /// is a verified one).
    pub fn peer_verified(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(t) => t
                .sess
                .borrow()
                .peer_certificates()
                .is_some_and(|c| !c.is_empty()),
        }
    }

    /// A read half and a write half that can be used from two tasks.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Plain(r), WriteHalf::Plain(w))
            }
            Stream::Tls(t) => {
                let (r, w) = t.io.into_split();
                (
                    ReadHalf::Tls(r, t.sess.clone(), t.inc),
                    WriteHalf::Tls(w, t.sess, t.out),
                )
            }
        }
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.tcp().as_raw_fd()
    }
}

pub enum ReadHalf {
    Plain(OwnedReadHalf<TcpStream>),
    Tls(OwnedReadHalf<TcpStream>, Rc<RefCell<Connection>>, Incoming),
}

pub enum WriteHalf {
    Plain(OwnedWriteHalf<TcpStream>),
    Tls(OwnedWriteHalf<TcpStream>, Rc<RefCell<Connection>>, Outgoing),
}

/// readv through the first buffer of the vector (nothing here reads
/// vectored; monoio's own adapters do the same).
async fn readv_via<S: AsyncReadRent, T: IoVecBufMut>(s: &mut S, mut buf: T) -> BufResult<usize, T> {
    // SAFETY: the RawBuf points into `buf`, which outlives the read.
    let res = match unsafe { RawBuf::new_from_iovec_mut(&mut buf) } {
        Some(raw) => s.read(raw).await.0,
        None => Ok(0),
    };
    if let Ok(n) = res {
        // SAFETY: the read initialised `n` bytes of the first buffer.
        unsafe { buf.set_init(n) };
    }
    (res, buf)
}

async fn writev_via<S: AsyncWriteRent, T: IoVecBuf>(s: &mut S, buf: T) -> BufResult<usize, T> {
    // SAFETY: the RawBuf points into `buf`, which outlives the write.
    let res = match unsafe { RawBuf::new_from_iovec(&buf) } {
        Some(raw) => s.write(raw).await.0,
        None => Ok(0),
    };
    (res, buf)
}

impl AsyncReadRent for Stream {
    async fn read<T: IoBufMut>(&mut self, buf: T) -> BufResult<usize, T> {
        match self {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(t) => tls_read(&t.sess, &mut t.io, &mut t.inc, buf, None).await,
        }
    }

    async fn readv<T: IoVecBufMut>(&mut self, buf: T) -> BufResult<usize, T> {
        readv_via(self, buf).await
    }
}

impl CancelableAsyncReadRent for Stream {
    async fn cancelable_read<T: IoBufMut>(
        &mut self,
        buf: T,
        c: CancelHandle,
    ) -> BufResult<usize, T> {
        match self {
            Stream::Plain(s) => s.cancelable_read(buf, c).await,
            Stream::Tls(t) => tls_read(&t.sess, &mut t.io, &mut t.inc, buf, Some(&c)).await,
        }
    }

    async fn cancelable_readv<T: IoVecBufMut>(
        &mut self,
        buf: T,
        _c: CancelHandle,
    ) -> BufResult<usize, T> {
        readv_via(self, buf).await
    }
}

impl AsyncWriteRent for Stream {
    async fn write<T: IoBuf>(&mut self, buf: T) -> BufResult<usize, T> {
        match self {
            Stream::Plain(s) => s.write(buf).await,
            Stream::Tls(t) => tls_write(&t.sess, &mut t.io, &mut t.out, buf, None).await,
        }
    }

    async fn writev<T: IoVecBuf>(&mut self, buf: T) -> BufResult<usize, T> {
        writev_via(self, buf).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        // Every write sends its ciphertext before it returns.
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.shutdown().await,
            Stream::Tls(t) => tls_shutdown(&t.sess, &mut t.io, &mut t.out).await,
        }
    }
}

impl CancelableAsyncWriteRent for Stream {
    async fn cancelable_write<T: IoBuf>(&mut self, buf: T, c: CancelHandle) -> BufResult<usize, T> {
        match self {
            Stream::Plain(s) => s.cancelable_write(buf, c).await,
            Stream::Tls(t) => tls_write(&t.sess, &mut t.io, &mut t.out, buf, Some(&c)).await,
        }
    }

    async fn cancelable_writev<T: IoVecBuf>(
        &mut self,
        buf: T,
        _c: CancelHandle,
    ) -> BufResult<usize, T> {
        writev_via(self, buf).await
    }

    async fn cancelable_flush(&mut self, _c: CancelHandle) -> io::Result<()> {
        Ok(())
    }

    async fn cancelable_shutdown(&mut self, _c: CancelHandle) -> io::Result<()> {
        self.shutdown().await
    }
}

impl AsyncReadRent for ReadHalf {
    async fn read<T: IoBufMut>(&mut self, buf: T) -> BufResult<usize, T> {
        match self {
            ReadHalf::Plain(r) => r.read(buf).await,
            ReadHalf::Tls(r, sess, inc) => tls_read(sess, r, inc, buf, None).await,
        }
    }

    async fn readv<T: IoVecBufMut>(&mut self, buf: T) -> BufResult<usize, T> {
        readv_via(self, buf).await
    }
}

impl CancelableAsyncReadRent for ReadHalf {
    async fn cancelable_read<T: IoBufMut>(
        &mut self,
        buf: T,
        c: CancelHandle,
    ) -> BufResult<usize, T> {
        match self {
            ReadHalf::Plain(r) => r.cancelable_read(buf, c).await,
            ReadHalf::Tls(r, sess, inc) => tls_read(sess, r, inc, buf, Some(&c)).await,
        }
    }

    async fn cancelable_readv<T: IoVecBufMut>(
        &mut self,
        buf: T,
        _c: CancelHandle,
    ) -> BufResult<usize, T> {
        readv_via(self, buf).await
    }
}

impl AsyncWriteRent for WriteHalf {
    async fn write<T: IoBuf>(&mut self, buf: T) -> BufResult<usize, T> {
        match self {
            WriteHalf::Plain(w) => w.write(buf).await,
            WriteHalf::Tls(w, sess, out) => tls_write(sess, w, out, buf, None).await,
        }
    }

    async fn writev<T: IoVecBuf>(&mut self, buf: T) -> BufResult<usize, T> {
        writev_via(self, buf).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteHalf::Plain(w) => w.shutdown().await,
            WriteHalf::Tls(w, sess, out) => tls_shutdown(sess, w, out).await,
        }
    }
}

impl CancelableAsyncWriteRent for WriteHalf {
    async fn cancelable_write<T: IoBuf>(&mut self, buf: T, c: CancelHandle) -> BufResult<usize, T> {
        match self {
            WriteHalf::Plain(w) => w.cancelable_write(buf, c).await,
            WriteHalf::Tls(w, sess, out) => tls_write(sess, w, out, buf, Some(&c)).await,
        }
    }

    async fn cancelable_writev<T: IoVecBuf>(
        &mut self,
        buf: T,
        _c: CancelHandle,
    ) -> BufResult<usize, T> {
        writev_via(self, buf).await
    }

    async fn cancelable_flush(&mut self, _c: CancelHandle) -> io::Result<()> {
        Ok(())
    }

    async fn cancelable_shutdown(&mut self, _c: CancelHandle) -> io::Result<()> {
        self.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::run_test;
    use argh::FromArgs;
    use monoio::io::Canceller;
    use std::time::Duration;

    /// The node's TLS from flags, with the test certificates of
    /// io/testdata (valid 2000–2100).
    fn test_tls() -> crate::tls::Tls {
        let d = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        let (crt, key, ca) = (
            format!("{d}/node.crt"),
            format!("{d}/node.key"),
            format!("{d}/ca.crt"),
        );
        let args = crate::config::Args::from_args(
            &["corekv"],
            &[
                "--tls-port",
                "1",
                "--tls-cluster",
                "yes",
                "--tls-cert-file",
                &crt,
                "--tls-key-file",
                &key,
                "--tls-ca-cert-file",
                &ca,
            ],
        )
        .expect("flags");
        crate::tls::load(&args).expect("tls")
    }

    /// A TLS client and server stream over loopback.
    async fn pair() -> (Stream, Stream) {
        let tls = test_tls();
        let server_cfg = tls.clients.clone().expect("server config");
        let client_cfg = tls.cluster_client().expect("client config");
        let l = monoio::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        let server = monoio::spawn(async move {
            let (tcp, _) = l.accept().await.expect("accept");
            accept(tcp, server_cfg).await.expect("server handshake")
        });
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let client = connect(tcp, client_cfg, crate::tls::member_name(addr))
            .await
            .expect("client handshake");
        (client, server.await)
    }

    async fn read_exact(s: &mut Stream, n: usize) -> Vec<u8> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            let (res, buf) = s.read(Vec::with_capacity(7000)).await;
            match res {
                Ok(0) => break,
                Ok(_) => got.extend_from_slice(&buf),
                Err(e) => panic!("read: {e}"),
            }
        }
        got
    }

    #[test]
    fn bytes_cross_in_both_directions_in_any_sizes() {
        run_test(async {
            let (mut c, mut s) = pair().await;
            assert!(
                s.peer_verified(),
                "the client presented a CA-signed certificate"
            );
            // Past rustls's 64 KiB write limit and many records; read in
            // 7000-byte pieces, so records split across reads.
            let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let (res, _) = AsyncWriteRentExt::write_all(&mut c, big.clone()).await;
            res.expect("write");
            assert_eq!(read_exact(&mut s, big.len()).await, big);
            let (res, _) = AsyncWriteRentExt::write_all(&mut s, b"+OK\r\n".to_vec()).await;
            res.expect("write");
            assert_eq!(read_exact(&mut c, 5).await, b"+OK\r\n");
            // close_notify, then EOF on the other side.
            c.shutdown().await.expect("shutdown");
            let (res, _) = s.read(Vec::with_capacity(16)).await;
            assert_eq!(res.expect("eof"), 0);
        });
    }

    /// What `flush_watching` relies on: a cancelled read returns (an
    /// error, no data lost), and data sent later is read whole.
    #[test]
    fn a_cancelled_read_loses_nothing() {
        run_test(async {
            let (mut c, mut s) = pair().await;
            let canceller = Canceller::new();
            let handle = canceller.handle();
            let read = s.cancelable_read(Vec::with_capacity(64), handle);
            let cancel = async {
                monoio::time::sleep(Duration::from_millis(50)).await;
                canceller.cancel();
            };
            let (_, (res, _)) = monoio::join!(cancel, read);
            assert!(
                res.is_err(),
                "a read cancelled with nothing to read: {res:?}"
            );
            let (res, _) = AsyncWriteRentExt::write_all(&mut c, b"PING\r\n".to_vec()).await;
            res.expect("write");
            assert_eq!(read_exact(&mut s, 6).await, b"PING\r\n");
            // Split halves: the reader waits while the writer writes.
            let (mut r, mut w) = s.into_split();
            let (res, _) = AsyncWriteRentExt::write_all(&mut w, b"+PONG\r\n".to_vec()).await;
            res.expect("write");
            assert_eq!(read_exact(&mut c, 7).await, b"+PONG\r\n");
            let (res, _) = AsyncWriteRentExt::write_all(&mut c, b"again".to_vec()).await;
            res.expect("write");
            let (res, buf) = r.read(Vec::with_capacity(64)).await;
            assert_eq!(res.expect("read"), 5);
            assert_eq!(buf, b"again");
        });
    }
}
