//! Command semantics for strings and generic keys over the [`Store`] seam.
//!
//! The server calls three entry points: [`precheck_write`] rejects a bad
//! write before it is proposed to Raft (syntax, integers, expire times: the
//! errors that do not depend on stored data), [`apply_write`] runs a write
//! deterministically at apply time from `(argv, ctx, store)` alone, and
//! [`read`] serves a read at `ctx.now_ms`. Every function treats a record
//! that is expired at `ctx.now_ms` as absent (lazy expiry); writes that find
//! one delete or overwrite it. Replies and error texts are Redis 7.0's.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod glob;
mod keys;
mod lcs;
mod num;
mod strings;

pub use glob::glob_match;
pub use keys::object_help;
pub use num::parse_i64;

use crate::Reply;
use crate::errors;
use crate::store::{Kind, Record, Store, StoreError};
use bytes::Bytes;

/// What a command may know besides its arguments and the store.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Unix ms: the proposal's timestamp for writes, the read time for reads.
    pub now_ms: u64,
    /// The slot range of the group the keys live in.
    pub slots: std::ops::Range<u16>,
    /// Entropy for RANDOMKEY.
    pub rand: u64,
}

/// Redis's proto-max-bulk-len: the largest string value.
pub const MAX_STRING_BYTES: u64 = 512 * 1024 * 1024;

/// A command's outcome; `Err` carries an error reply so `?` can be used.
pub(crate) type R = Result<Reply, Reply>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmd {
    Get,
    Set,
    SetNx,
    SetEx,
    PSetEx,
    GetSet,
    GetDel,
    GetEx,
    MSet,
    MSetNx,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    IncrByFloat,
    Append,
    SetRange,
    Del,
    Unlink,
    Rename,
    RenameNx,
    Copy,
    Expire,
    PExpire,
    ExpireAt,
    PExpireAt,
    Persist,
    FlushAll,
    FlushDb,
    ExpireIf,
    MGet,
    StrLen,
    GetRange,
    SubStr,
    Lcs,
    Exists,
    Touch,
    Type,
    Ttl,
    PTtl,
    ExpireTime,
    PExpireTime,
    Keys,
    Scan,
    RandomKey,
    DbSize,
    Object,
}

pub(crate) struct Spec {
    /// Lowercase name, as in Redis's command table.
    pub name: &'static str,
    pub cmd: Cmd,
    /// Redis arity: exact argc when positive, minimum argc when negative.
    pub arity: i32,
    pub write: bool,
}

const fn w(name: &'static str, cmd: Cmd, arity: i32) -> Spec {
    Spec {
        name,
        cmd,
        arity,
        write: true,
    }
}
const fn r(name: &'static str, cmd: Cmd, arity: i32) -> Spec {
    Spec {
        name,
        cmd,
        arity,
        write: false,
    }
}

/// Hot commands first: lookup is a linear scan.
const SPECS: &[Spec] = &[
    r("get", Cmd::Get, 2),
    w("set", Cmd::Set, -3),
    r("mget", Cmd::MGet, -2),
    w("mset", Cmd::MSet, -3),
    w("incr", Cmd::Incr, 2),
    w("del", Cmd::Del, -2),
    r("exists", Cmd::Exists, -2),
    w("expire", Cmd::Expire, -3),
    r("ttl", Cmd::Ttl, 2),
    w("setnx", Cmd::SetNx, 3),
    w("setex", Cmd::SetEx, 4),
    w("psetex", Cmd::PSetEx, 4),
    w("getset", Cmd::GetSet, 3),
    w("getdel", Cmd::GetDel, 2),
    w("getex", Cmd::GetEx, -2),
    w("msetnx", Cmd::MSetNx, -3),
    w("decr", Cmd::Decr, 2),
    w("incrby", Cmd::IncrBy, 3),
    w("decrby", Cmd::DecrBy, 3),
    w("incrbyfloat", Cmd::IncrByFloat, 3),
    w("append", Cmd::Append, 3),
    w("setrange", Cmd::SetRange, 4),
    w("unlink", Cmd::Unlink, -2),
    w("rename", Cmd::Rename, 3),
    w("renamenx", Cmd::RenameNx, 3),
    w("copy", Cmd::Copy, -3),
    w("pexpire", Cmd::PExpire, -3),
    w("expireat", Cmd::ExpireAt, -3),
    w("pexpireat", Cmd::PExpireAt, -3),
    w("persist", Cmd::Persist, 2),
    w("flushall", Cmd::FlushAll, -1),
    w("flushdb", Cmd::FlushDb, -1),
    w("corekv.expireif", Cmd::ExpireIf, 2),
    r("strlen", Cmd::StrLen, 2),
    r("getrange", Cmd::GetRange, 4),
    r("substr", Cmd::SubStr, 4),
    r("lcs", Cmd::Lcs, -3),
    r("touch", Cmd::Touch, -2),
    r("type", Cmd::Type, 2),
    r("pttl", Cmd::PTtl, 2),
    r("expiretime", Cmd::ExpireTime, 2),
    r("pexpiretime", Cmd::PExpireTime, 2),
    r("keys", Cmd::Keys, 2),
    r("scan", Cmd::Scan, -2),
    r("randomkey", Cmd::RandomKey, 1),
    r("dbsize", Cmd::DbSize, 1),
    r("object", Cmd::Object, -2),
];

fn lookup(name: &[u8]) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
}

/// True for the write commands this module applies (case-insensitive).
pub fn is_write(name: &[u8]) -> bool {
    lookup(name).is_some_and(|s| s.write)
}

/// Finds the spec and checks arity (defensively: the caller already did).
fn resolve(argv: &[Bytes], want_write: bool) -> Result<&'static Spec, Reply> {
    let name = argv.first().map(|b| &b[..]).unwrap_or(&[]);
    let rest = argv.get(1..).unwrap_or(&[]);
    let spec = match lookup(name) {
        Some(s) if s.write == want_write => s,
        _ => return Err(errors::unknown_command(name, rest)),
    };
    let n = argv.len();
    let ok = if spec.arity >= 0 {
        n == spec.arity as usize
    } else {
        n >= spec.arity.unsigned_abs() as usize
    };
    if !ok {
        return Err(errors::arity(spec.name));
    }
    Ok(spec)
}

/// Syntax and argument check of a write command, without store access.
pub fn precheck_write(argv: &[Bytes]) -> Result<(), Reply> {
    let spec = resolve(argv, true)?;
    match spec.cmd {
        Cmd::Set
        | Cmd::SetEx
        | Cmd::PSetEx
        | Cmd::GetEx
        | Cmd::MSet
        | Cmd::MSetNx
        | Cmd::IncrBy
        | Cmd::DecrBy
        | Cmd::IncrByFloat
        | Cmd::SetRange => strings::precheck(spec, argv),
        Cmd::Copy
        | Cmd::Expire
        | Cmd::PExpire
        | Cmd::ExpireAt
        | Cmd::PExpireAt
        | Cmd::FlushAll
        | Cmd::FlushDb => keys::precheck(spec, argv),
        _ => Ok(()),
    }
}

/// Applies a write deterministically from `(argv, ctx, store)`.
pub fn apply_write(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> Reply {
    let spec = match resolve(argv, true) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let out = match spec.cmd {
        Cmd::Del
        | Cmd::Unlink
        | Cmd::Rename
        | Cmd::RenameNx
        | Cmd::Copy
        | Cmd::Expire
        | Cmd::PExpire
        | Cmd::ExpireAt
        | Cmd::PExpireAt
        | Cmd::Persist
        | Cmd::FlushAll
        | Cmd::FlushDb
        | Cmd::ExpireIf => keys::apply(spec, argv, ctx, store),
        _ => strings::apply(spec, argv, ctx, store),
    };
    out.unwrap_or_else(|e| e)
}

/// Executes a read-only command at `ctx.now_ms`.
pub fn read(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> Reply {
    let spec = match resolve(argv, false) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let out = match spec.cmd {
        Cmd::Get | Cmd::MGet | Cmd::StrLen | Cmd::GetRange | Cmd::SubStr => {
            strings::read(spec, argv, ctx, store)
        }
        Cmd::Lcs => lcs::lcs(argv, ctx, store),
        _ => keys::read(spec, argv, ctx, store),
    };
    out.unwrap_or_else(|e| e)
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

    /// Runs one command through the public entry points like the server:
    /// writes are prechecked first and only applied when the precheck passes.
    pub fn run_at(store: &mut MemStore, now_ms: u64, args: &[&str]) -> Reply {
        let v = argv(args);
        let c = Ctx { now_ms, ..ctx() };
        if is_write(v.first().map_or(&[][..], |b| &b[..])) {
            if let Err(e) = precheck_write(&v) {
                return e;
            }
            apply_write(&v, &c, store)
        } else {
            read(&v, &c, store)
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
        assert!(is_write(b"SET") && is_write(b"corekv.EXPIREIF") && is_write(b"flushall"));
        assert!(!is_write(b"GET") && !is_write(b"scan") && !is_write(b"nosuch"));
        assert_eq!(
            read(&argv(&["get"]), &ctx(), &s),
            err("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(
            precheck_write(&argv(&["SETEX", "k", "1"])),
            Err(err("ERR wrong number of arguments for 'setex' command"))
        );
        assert_eq!(
            read(&argv(&["nosuch", "a"]), &ctx(), &s),
            err("ERR unknown command 'nosuch', with args beginning with: 'a' ")
        );
        assert_eq!(
            apply_write(&argv(&[]), &ctx(), &mut s),
            err("ERR unknown command '', with args beginning with: ")
        );
    }
}
