//! The internal transaction commands (docs/design/0025). The shard applies
//! them itself (`corekv_shard::txn`), against its locks and records; they
//! are in the command table so that they route (`Route::Slot`), forward and
//! proxy like any write. A store without that state cannot run them.

use crate::cmd::Ctx;
#[cfg(test)]
use crate::table::Handler;
use crate::{Reply, Store};
use bytes::Bytes;

pub(crate) fn in_shard(
    _argv: &[Bytes],
    _ctx: &Ctx,
    _store: &mut dyn Store,
) -> Result<Reply, Reply> {
    Err(Reply::err(
        "ERR corekv: transaction command outside a shard",
    ))
}

#[cfg(test)]
const fn w() -> Handler {
    Handler::Write {
        precheck: None,
        apply: in_shard,
    }
}

#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    (crate::txn::PREP, w()),
    (crate::txn::PREP_ALL, w()),
    (crate::txn::SNAP, w()),
    (crate::txn::SNAP_HOLD, w()),
    (crate::txn::CHECK, w()),
    (crate::txn::COMMIT, w()),
    (crate::txn::ABORT, w()),
    (crate::txn::RESOLVE, w()),
    (crate::txn::FORGET, w()),
    (crate::txn::MULTI, w()),
    (crate::txn::WATCH, w()),
    (crate::txn::UNWATCH, w()),
];
