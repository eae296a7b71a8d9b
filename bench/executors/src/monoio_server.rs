//! monoio glue, as corekv's cores run it: the calling thread pinned to
//! `cpu`, a `FusionDriver` runtime (io_uring here) with timers enabled,
//! an accept loop, one task per connection moving bytes between the socket
//! and a [`Session`](crate::common::Session). monoio takes buffers by
//! value, so the read hands over the session's box sliced at its tail.

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{Context, Result};
use monoio::buf::{IoBufMut, SliceMut};
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::{TcpListener, TcpStream};

use crate::common::{Session, Store};

pub fn serve(port: u16, cpu: usize, store: Store) -> Result<()> {
    crate::pin_current_thread(cpu)?;
    let mut rt = monoio::RuntimeBuilder::<monoio::FusionDriver>::new()
        .enable_timer()
        .build()
        .context("monoio runtime")?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("bind 127.0.0.1:{port}"))?;
        let store = Rc::new(RefCell::new(store));
        eprintln!("monoio: listening on 127.0.0.1:{port}, CPU {cpu}");
        loop {
            let (stream, _) = listener.accept().await.context("monoio accept loop")?;
            monoio::spawn(connection(stream, store.clone()));
        }
    })
}

async fn connection(mut stream: TcpStream, store: Rc<RefCell<Store>>) {
    let _ = stream.set_nodelay(true);
    let mut session = Session::default();
    loop {
        session.prepare_read();
        let buf = std::mem::take(&mut session.buf);
        let tail: SliceMut<Box<[u8]>> = buf.slice_mut(session.filled..);
        let (res, tail) = stream.read(tail).await;
        session.buf = tail.into_inner();
        let n = match res {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if session.after_read(n, &mut store.borrow_mut()).is_err() {
            return;
        }
        if !session.out.is_empty() {
            let out = std::mem::take(&mut session.out);
            let (res, mut out) = stream.write_all(out).await;
            if res.is_err() {
                return;
            }
            out.clear();
            session.out = out;
        }
    }
}
