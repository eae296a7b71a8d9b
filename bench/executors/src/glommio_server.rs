//! glommio glue: one `LocalExecutor` pinned to `cpu`, an accept loop, one
//! task per connection moving bytes between the socket and a
//! [`Session`](crate::common::Session).

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{Context, Result};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};
use glommio::{LocalExecutorBuilder, Placement};

use crate::common::{Session, Store};

/// Registered I/O memory: glommio's default 10 MiB is more than this
/// machine's 8 MiB `ulimit -l` (registration would fail with a warning and
/// be skipped); the network path never uses it anyway.
const IO_MEMORY: usize = 2 << 20;

pub fn serve(port: u16, cpu: usize, store: Store) -> Result<()> {
    let ex = LocalExecutorBuilder::new(Placement::Fixed(cpu))
        .name("glommio")
        .io_memory(IO_MEMORY)
        .make()
        .map_err(|e| anyhow::anyhow!("glommio executor: {e}"))?;
    ex.run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| anyhow::anyhow!("bind 127.0.0.1:{port}: {e}"))?;
        let store = Rc::new(RefCell::new(store));
        eprintln!("glommio: listening on 127.0.0.1:{port}, CPU {cpu}");
        loop {
            let stream = listener
                .accept()
                .await
                .map_err(|e| anyhow::anyhow!("accept: {e}"))
                .context("glommio accept loop")?;
            glommio::spawn_local(connection(stream, store.clone())).detach();
        }
    })
}

async fn connection(mut stream: TcpStream, store: Rc<RefCell<Store>>) {
    let _ = stream.set_nodelay(true);
    let mut session = Session::default();
    loop {
        session.prepare_read();
        let n = match stream.read(&mut session.buf[session.filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if session.after_read(n, &mut store.borrow_mut()).is_err() {
            return;
        }
        if !session.out.is_empty() {
            if stream.write_all(&session.out).await.is_err() {
                return;
            }
            session.out.clear();
        }
    }
}
