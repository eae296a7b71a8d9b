//! Command semantics for strings and generic keys over the [`Store`] seam.
//!
//! Each family module (`strings`, `keys`, `lcs`) holds one handler function
//! per command; the command table (`crate::table`, entries in
//! `table/defs.rs`) is the only registry that names them, with arity,
//! flags and routing. The server checks arity once at dispatch
//! (`table::resolve`), runs a write's precheck from the table entry before
//! proposing it, and then calls two entry points here: [`apply_write`]
//! runs a write deterministically at apply time from `(argv, ctx, store)`
//! alone, and [`read`] serves a read at `ctx.now_ms`. Both find the handler
//! by name through the table and never panic on any argv. Every function
//! treats a record that is expired at `ctx.now_ms` as absent (lazy
//! expiry); writes that find one delete or overwrite it. Replies and error
//! texts are Redis 7.0's.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub(crate) mod bitmap;
pub mod blocking;
#[allow(dead_code)] // TODO drop once every family uses the helpers (issue 10)
pub(crate) mod coll;
pub mod geo;
mod glob;
pub(crate) mod hash;
pub(crate) mod hll;
pub(crate) mod keys;
pub(crate) mod lcs;
pub(crate) mod list;
mod num;
pub(crate) mod pages;
pub(crate) mod set;
pub(crate) mod stream;
pub(crate) mod strings;
pub(crate) mod txn;
pub(crate) mod zset;

/// Re-exported: the handlers' context lives with the handler types.
pub use crate::table::Ctx;
pub use glob::glob_match;
pub use keys::object_help;
pub use num::{format_g17, format_human, parse_i64, write_g17, write_human};
pub use stream::{StreamId, XGROUP_HELP, XINFO_HELP, entries_after, stream_last_id};
pub use strings::{TO_POOL, pool_argv};

use crate::Reply;
use crate::errors;
use crate::store::{Kind, Record, Store, StoreError};
use crate::table::{self, Handler};
use bytes::Bytes;

/// Redis's proto-max-bulk-len: the largest string value.
pub const MAX_STRING_BYTES: u64 = 512 * 1024 * 1024;

/// A command's outcome; `Err` carries an error reply so `?` can be used.
pub(crate) type R = Result<Reply, Reply>;

/// Every family's handlers (see the families' `HANDLERS`).
#[cfg(test)]
pub(crate) fn family_handlers() -> Vec<(&'static str, Handler)> {
    [
        strings::HANDLERS,
        keys::HANDLERS,
        lcs::HANDLERS,
        list::HANDLERS,
        blocking::HANDLERS,
        hash::HANDLERS,
        set::HANDLERS,
        zset::HANDLERS,
        stream::HANDLERS,
        hll::HANDLERS,
        geo::HANDLERS,
        bitmap::HANDLERS,
        txn::HANDLERS,
    ]
    .concat()
}

/// A reply relayed from the node leading the keys' group arrives parsed
/// from RESP3; this gives it back the shape the client's protocol needs
/// (see `stream::relayed` and `geo::relayed`).
pub fn relayed(argv: &[Bytes], r: Reply) -> Reply {
    stream::relayed(argv, geo::relayed(argv, r))
}

/// `Handler::Write` in a const list.
#[cfg(test)]
const fn write(precheck: Option<table::PrecheckFn>, apply: table::ApplyFn) -> Handler {
    Handler::Write { precheck, apply }
}

/// Redis's reply to a command it does not know.
fn unknown(argv: &[Bytes]) -> Reply {
    let name = argv.first().map(|b| &b[..]).unwrap_or(&[]);
    errors::unknown_command(name, argv.get(1..).unwrap_or(&[]))
}

/// Applies a write deterministically from `(argv, ctx, store)`. Only
/// writes dispatch resolved (arity checked, prechecked) reach the log, so
/// arity is not checked again; a name the table does not know as a write
/// (a log from a build with other commands) answers the unknown-command
/// error, the same on every replica.
///
/// On a store that collects keyspace events ([`Store::notifying`]) the
/// command first reaps its expired keys (each emits `expired`, as Redis's
/// lookupKeyWrite does), and every key it creates emits `new`
/// ([`crate::notify::Notifying`]).
pub fn apply_write(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> Reply {
    let Some(spec) = table::find(argv) else {
        return unknown(argv);
    };
    let Handler::Write { apply, .. } = spec.handler else {
        return unknown(argv);
    };
    if !store.notifying() {
        return apply(argv, ctx, store).unwrap_or_else(|e| e);
    }
    // Active expiry's own delete emits its `expired` itself.
    if spec.name != "corekv.expireif" {
        for i in table::all_key_positions(spec, argv) {
            let Some(key) = argv.get(i) else { continue };
            match store.get(key) {
                Ok(Some(r)) if r.is_expired(ctx.now_ms) => {
                    if let Err(e) = store.delete(key) {
                        return Reply::from(e);
                    }
                    store.notify(crate::notify::EXPIRED, "expired", key);
                }
                Ok(_) => {}
                Err(e) => return Reply::from(e),
            }
        }
    }
    let mut n = crate::notify::Notifying { inner: store };
    apply(argv, ctx, &mut n).unwrap_or_else(|e| e)
}

/// Executes a read-only command at `ctx.now_ms`.
pub fn read(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Reply {
    match table::find(argv).map(|s| s.handler) {
        Some(Handler::Read(read)) => read(argv, ctx, store).unwrap_or_else(|e| e),
        _ => unknown(argv),
    }
}

// ---- helpers shared by the families ----

/// Argument `i` (present after the arity check; empty otherwise).
pub(crate) fn arg(argv: &[Bytes], i: usize) -> &[u8] {
    argv.get(i).map(|b| &b[..]).unwrap_or(&[])
}

/// Argument `i` as shared bytes (a refcount bump, no copy).
pub(crate) fn arg_bytes(argv: &[Bytes], i: usize) -> Bytes {
    argv.get(i).cloned().unwrap_or_default()
}

/// The record of `key` unless it is missing or expired; a failed read is
/// an error (the caller's `?` turns it into the error reply), never absence.
pub(crate) fn live(
    store: &dyn Store,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<Record>, StoreError> {
    Ok(store.get(key)?.filter(|r| !r.is_expired(now_ms)))
}

/// Like [`live`] for writes: an expired record is deleted on the way.
pub(crate) fn live_w(
    store: &mut dyn Store,
    key: &[u8],
    now_ms: u64,
) -> Result<Option<Record>, StoreError> {
    match store.get(key)? {
        Some(r) if r.is_expired(now_ms) => {
            store.delete(key)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Fails with WRONGTYPE unless the record holds a string.
pub(crate) fn check_string(rec: &Record) -> Result<(), Reply> {
    if rec.kind == Kind::String {
        Ok(())
    } else {
        Err(errors::err(errors::WRONGTYPE))
    }
}

pub(crate) fn int_arg(argv: &[Bytes], i: usize) -> Result<i64, Reply> {
    num::parse_i64(arg(argv, i)).ok_or_else(|| errors::err(errors::NOT_INTEGER))
}

pub(crate) fn is_opt(a: &[u8], name: &str) -> bool {
    a.eq_ignore_ascii_case(name.as_bytes())
}

/// Stored expiries are positive i64 ms; TTL math is done in i64.
pub(crate) fn expire_i64(rec: &Record) -> Option<i64> {
    rec.expire_at_ms
        .map(|t| i64::try_from(t).unwrap_or(i64::MAX))
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::MemStore;

    pub const NOW: u64 = 1_700_000_000_000;

    pub fn ctx() -> Ctx {
        Ctx {
            now_ms: NOW,
            slots: 0..crate::slot::SLOTS,
            rand: 7,
        }
    }

    pub fn argv(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    /// Runs one command like the server: resolved (arity checked) through
    /// the table, a write prechecked and only applied when that passes.
    pub fn run_at(store: &mut MemStore, now_ms: u64, args: &[&str]) -> Reply {
        let v = argv(args);
        let c = Ctx { now_ms, ..ctx() };
        let spec = match crate::table::resolve(&v) {
            Ok(spec) => spec,
            Err(e) => return e,
        };
        match spec.handler {
            Handler::Write { precheck, .. } => {
                if let Some(Err(e)) = precheck.map(|p| p(&v)) {
                    return e;
                }
                apply_write(&v, &c, store)
            }
            Handler::Server(crate::table::ServerCmd::ObjectHelp) => object_help(),
            _ => {
                let reply = read(&v, &c, store);
                // The server reruns a too-big read on the pool.
                match pool_argv(&v, &reply) {
                    Some(pv) => read(&pv, &c, store),
                    None => reply,
                }
            }
        }
    }

    pub fn run(store: &mut MemStore, args: &[&str]) -> Reply {
        run_at(store, NOW, args)
    }

    pub fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }
    pub fn int(i: i64) -> Reply {
        Reply::Integer(i)
    }
    pub fn err(s: &str) -> Reply {
        Reply::Error(s.to_string())
    }
    pub fn ok() -> Reply {
        Reply::ok()
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use crate::MemStore;

    #[test]
    fn dispatch_is_case_insensitive_and_checks_arity() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["SeT", "k", "v"]), ok());
        assert_eq!(run(&mut s, &["gEt", "k"]), bulk("v"));
        assert_eq!(
            run(&mut s, &["get"]),
            err("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            run(&mut s, &["SETEX", "k", "1"]),
            err("ERR wrong number of arguments for 'setex' command")
        );
        assert_eq!(
            read(&argv(&["nosuch", "a"]), &ctx(), &s),
            err("ERR unknown command 'nosuch', with args beginning with: 'a' ")
        );
        assert_eq!(
            apply_write(&argv(&[]), &ctx(), &mut s),
            err("ERR unknown command '', with args beginning with: ")
        );
        // A read is not applied from the log, nor a write served as a read.
        assert_eq!(
            apply_write(&argv(&["get", "k"]), &ctx(), &mut s),
            err("ERR unknown command 'get', with args beginning with: 'k' ")
        );
        assert_eq!(
            read(&argv(&["set", "k", "v"]), &ctx(), &s),
            err("ERR unknown command 'set', with args beginning with: 'k' 'v' ")
        );
        assert_eq!(run(&mut s, &["get", "k"]), bulk("v"));
    }

    /// Apply runs whatever the log holds: no handler may panic on any
    /// argv, however short or odd (dispatch checked arity, but a handler
    /// must not rely on it for memory safety).
    #[test]
    fn no_handler_panics_on_any_argv() {
        let words = ["", "0", "-1", "1", "ex", "nx", "get", "100", "x"];
        for spec in crate::table::all()
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
        {
            let name = spec.name.split('|').collect::<Vec<_>>();
            for n in 0..7 {
                let mut s = MemStore::new();
                let mut v = argv(&name);
                let mut k = n;
                for i in 0..n {
                    v.push(Bytes::copy_from_slice(
                        words.get((k + i) % words.len()).unwrap_or(&"").as_bytes(),
                    ));
                    k = k * 7 + 3;
                }
                match spec.handler {
                    Handler::Write { precheck, apply } => {
                        let _ = precheck.map(|p| p(&v));
                        let _ = apply(&v, &ctx(), &mut s);
                        let _ = apply_write(&v, &ctx(), &mut s);
                    }
                    Handler::Read(f) => {
                        let _ = f(&v, &ctx(), &s);
                        let _ = read(&v, &ctx(), &s);
                    }
                    _ => {}
                }
            }
        }
    }
}
