//! Lua scripting: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL,
//! FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS and FCALL/FCALL_RO, with
//! Redis 7.0's semantics and error texts (docs/design/0026).
//!
//! Shape:
//! - [`Engine`]: one sandboxed Lua 5.1 VM (mlua, vendored). `!Send`: each
//!   thread that runs scripts (a heavy-pool thread) creates and owns one.
//!   It keeps the functions it compiled, keyed by sha (scripts) or library
//!   (functions); the truth about which scripts and libraries exist lives
//!   in the shared [`ScriptCache`] and [`Functions`], which every engine
//!   reads lock-free (an `ArcSwap` snapshot), so an EVALSHA costs one atomic
//!   load and one hash lookup before the compiled function runs.
//! - [`Caller`]: how a script's `redis.call` reaches the data. The engine
//!   resolves the command in the table, checks arity, the `noscript` flag
//!   and read-only mode with Redis's texts, then hands the argv and its
//!   [`CommandSpec`] to the caller, which runs it (`cmd::apply_write` /
//!   `cmd::read` on the transaction's store). The engine does not check key
//!   declarations: Redis standalone lets a script touch undeclared keys;
//!   corekv runs a script as a transaction over its declared keys, so the
//!   caller decides what an undeclared key answers.
//! - [`RunState`]: shared between the engine's thread and the server. It
//!   says whether a script is running and past its time limit (then other
//!   clients get [`BUSY_EVAL`]/[`BUSY_FUNCTION`]), and carries SCRIPT KILL /
//!   FUNCTION KILL ([`RunState::kill`]); the engine polls the kill flag from
//!   a Lua instruction-count hook.
//!
//! How the server drives it (one `Engine` per script thread; `scripts`,
//! `functions` and each engine's `run_state()` shared node-wide):
//!
//! ```text
//! let mut engine = Engine::new(scripts.clone(), functions.clone())?;   // on the pool thread
//! let (keys, args) = split_keys(&argv[2..])?;                // EVAL/EVALSHA numkeys
//! engine.eval(body, keys, args, &opts, &mut caller)          // EVAL, EVAL_RO (opts.read_only)
//! engine.eval_sha(sha, keys, args, &opts, &mut caller)       // EVALSHA(_RO): NOSCRIPT if unknown
//! functions.get(name)  then  split_fcall_keys(&argv[2..])    // FCALL: "Function not found" first
//! engine.fcall(name, keys, args, &opts, &mut caller)         // FCALL, FCALL_RO
//! engine.script_load(body) / scripts.exists(shas) / scripts.flush(args)
//! engine.function_load(args) / engine.function_restore(args)
//! functions.list(args) / delete(name) / flush(args) / dump() / stats(state, argv, now)
//! run_state.is_busy() -> run_state.busy_reply(); run_state.kill(function_kill)
//! script_flags(body) / scripts.get(sha).flags / Functions::get -> may the run write?
//! ```
//!
//! The caller should run every `redis.call` of one run at the same
//! `now_ms` (Redis freezes time for a script).
//!
//! Determinism: `math.random` restarts from Redis's initial generator
//! state at every run (Redis 7.0 keeps one stream from server start, so a
//! fresh redis-server's first script draws the same numbers as every
//! corekv run), so a script given the same data and arguments does the
//! same thing on every replica.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod conv;
mod engine;
mod functions;
mod libs;
#[cfg(test)]
mod tests;

pub use engine::Engine;
pub use functions::{FunctionMeta, Functions, Library};

use crate::Reply;
use crate::table::CommandSpec;
use arc_swap::ArcSwap;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

// ---- client-visible texts (Redis 7.0.15) ----

pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
pub const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";
pub const NUMKEYS_NEGATIVE: &str = "ERR Number of keys can't be negative";
pub const NUMKEYS_TOO_BIG: &str = "ERR Number of keys can't be greater than number of args";
pub const FCALL_BAD_NUMKEYS: &str = "ERR Bad number of keys provided";
pub const FUNCTION_NOT_FOUND: &str = "ERR Function not found";
pub const RO_WITH_WRITE_FLAG: &str =
    "ERR Can not execute a script with write flag using *_ro command.";
pub const NO_CLUSTER: &str = "ERR Can not run script on cluster, 'no-cluster' flag is set.";
pub const SCRIPT_FLUSH_SYNTAX: &str = "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
/// `redis.call` error texts; Redis prefixes them with `ERR ` (luaPushError).
const UNKNOWN_FROM_SCRIPT: &str = "Unknown Redis command called from script";
const ARITY_FROM_SCRIPT: &str = "Wrong number of args calling Redis command from script";
const NOT_ALLOWED_FROM_SCRIPT: &str = "This Redis command is not allowed from script";
const WRITE_FROM_RO: &str = "Write commands are not allowed from read-only scripts.";

/// `redis.REDIS_VERSION` / `REDIS_VERSION_NUM`: the version corekv speaks.
pub const REDIS_VERSION: &str = "7.0.15";
pub const REDIS_VERSION_NUM: u32 = 0x0007_000f;

/// Commands Redis 7.0 flags `noscript` that corekv's table does not carry
/// (yet): the table's flag wins when present, this list covers the rest
/// (MULTI/EXEC/WATCH are unlisted placeholders, EVAL/FCALL/SCRIPT/FUNCTION
/// and pub/sub are not in the table). Full names, `container|sub`.
const NOSCRIPT_EXTRA: &[&str] = &[
    "auth",
    "bgrewriteaof",
    "bgsave",
    "blmove",
    "blpop",
    "brpop",
    "brpoplpush",
    "bzpopmax",
    "bzpopmin",
    "debug",
    "discard",
    "eval",
    "eval_ro",
    "evalsha",
    "evalsha_ro",
    "exec",
    "failover",
    "fcall",
    "fcall_ro",
    "function",
    "hello",
    "monitor",
    "multi",
    "psubscribe",
    "psync",
    "punsubscribe",
    "quit",
    "replconf",
    "replicaof",
    "reset",
    "role",
    "save",
    "script",
    "shutdown",
    "slaveof",
    "ssubscribe",
    "subscribe",
    "sunsubscribe",
    "sync",
    "unsubscribe",
    "unwatch",
    "wait",
    "watch",
    "acl",
    "client",
    "config",
    "latency",
    "module",
    "cluster|reset",
];

/// Whether a script may not call this command (Redis's `noscript`).
pub fn denied_in_script(spec: &CommandSpec) -> bool {
    if spec.has_flag("noscript") {
        return true;
    }
    let base = spec.name.split('|').next().unwrap_or(spec.name);
    // Whole containers in the list are the ones all of whose
    // subcommands Redis flags (CLIENT's HELP is not, but a script asking
    // for CLIENT HELP is no loss).
    NOSCRIPT_EXTRA.contains(&spec.name) || NOSCRIPT_EXTRA.contains(&base)
}

/// Runs one command for a script against the transaction's store.
///
/// The engine has already resolved `argv` in the command table (`spec`),
/// checked its arity, refused `noscript` commands and, in a read-only
/// run, writes. The caller executes it (corekv: `cmd::apply_write` or
/// `cmd::read` on the script's scratch store, after its own checks such
/// as undeclared keys) and returns the reply. It must not return
/// `Reply::Encoded`. A blocking command's `COREKV-WOULDBLOCK` is turned
/// into a timeout (nil), as Redis runs blocking commands in scripts
/// without blocking.
pub trait Caller {
    fn call(&mut self, argv: &[Bytes], spec: &'static CommandSpec) -> Reply;
}

/// Options of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunOpts {
    /// EVAL_RO / EVALSHA_RO / FCALL_RO.
    pub read_only: bool,
    /// The server runs with `--cluster-enabled` (refuses `no-cluster`).
    pub cluster: bool,
    /// lua-time-limit / busy-reply-threshold in ms; 0: never busy.
    pub time_limit_ms: u64,
    /// Milliseconds from the server's clock (monotonic is fine): read
    /// from the instruction hook to notice the time limit. `None`: the
    /// run never becomes busy by time (it can still be killed).
    pub clock_ms: Option<fn() -> u64>,
}

impl Default for RunOpts {
    fn default() -> RunOpts {
        RunOpts {
            read_only: false,
            cluster: false,
            time_limit_ms: 5000,
            clock_ms: None,
        }
    }
}

/// Script flags from a `#!lua flags=...` shebang (Redis 7) or a
/// function's `flags` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    pub const NO_WRITES: Flags = Flags(1);
    pub const ALLOW_OOM: Flags = Flags(2);
    pub const ALLOW_STALE: Flags = Flags(4);
    pub const NO_CLUSTER: Flags = Flags(8);
    pub const ALLOW_CROSS_SLOT: Flags = Flags(16);
    /// No shebang: an EVAL script in Redis 6 compatibility mode, which
    /// may write whatever its declared flags (it has none).
    pub const EVAL_COMPAT: Flags = Flags(32);

    /// In Redis's print order (FUNCTION LIST).
    pub const NAMES: [(Flags, &'static str); 5] = [
        (Flags::NO_WRITES, "no-writes"),
        (Flags::ALLOW_OOM, "allow-oom"),
        (Flags::ALLOW_STALE, "allow-stale"),
        (Flags::NO_CLUSTER, "no-cluster"),
        (Flags::ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub fn contains(self, f: Flags) -> bool {
        self.0 & f.0 == f.0
    }
    pub fn insert(&mut self, f: Flags) {
        self.0 |= f.0;
    }
    /// Whether a run with these flags may write: compat mode (no
    /// shebang) or a shebang without `no-writes`.
    pub fn may_write(self) -> bool {
        self.contains(Flags::EVAL_COMPAT) || !self.contains(Flags::NO_WRITES)
    }
    fn from_name(name: &[u8]) -> Option<Flags> {
        Flags::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(f, _)| *f)
    }
}

/// Parses an EVAL script's `#!lua flags=a,b` shebang like Redis 7's
/// `evalExtractShebangFlags`: the flags and the shebang's length (the
/// line is cut before compiling, its newline kept so line numbers hold).
/// No shebang: [`Flags::EVAL_COMPAT`].
pub fn script_flags(body: &[u8]) -> Result<(Flags, usize), Reply> {
    if !body.starts_with(b"#!") {
        return Ok((Flags::EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(Reply::err("ERR Invalid script shebang"));
    };
    let line = body.get(..end).unwrap_or_default();
    let mut parts = split_args(line).into_iter();
    let Some(engine) = parts.next() else {
        return Err(Reply::err("ERR Invalid engine in script shebang"));
    };
    if engine != b"#!lua" {
        return Err(Reply::Error(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&engine)
        )));
    }
    let mut flags = Flags::default();
    for part in parts {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(Reply::Error(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(&part)
            )));
        };
        // sdssplitlen of "" yields no element: `flags=` alone is no flag.
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match Flags::from_name(name) {
                Some(f) => flags.insert(f),
                None => {
                    return Err(Reply::Error(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    )));
                }
            }
        }
    }
    Ok((flags, end))
}

/// Whitespace-separated words with double or single quotes grouping
/// (the common cases of Redis's `sdssplitargs`; escapes inside quotes are
/// kept as written).
fn split_args(line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut quote: Option<u8> = None;
    for &b in line {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => cur.get_or_insert_with(Vec::new).push(b),
            None if b == b'"' || b == b'\'' => {
                quote = Some(b);
                cur.get_or_insert_with(Vec::new);
            }
            None if b.is_ascii_whitespace() => {
                if let Some(w) = cur.take() {
                    out.push(w);
                }
            }
            None => cur.get_or_insert_with(Vec::new).push(b),
        }
    }
    if let Some(w) = cur {
        out.push(w);
    }
    out
}

/// `SCRIPT HELP` (Redis 7.0.15's lines; status replies).
pub const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// `FUNCTION HELP` (Redis 7.0.15's lines; status replies).
pub const FUNCTION_HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

/// A HELP reply: one status reply per line, as Redis's `addReplyHelp`.
pub fn help_reply(lines: &[&str]) -> Reply {
    Reply::Array(
        lines
            .iter()
            .map(|l| Reply::Simple((*l).to_string()))
            .collect(),
    )
}

/// Lowercase hex SHA1 of `body` (script ids, `redis.sha1hex`).
pub fn sha1hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// EVAL's `numkeys key... arg...` (the args after the script or sha):
/// keys and args, or Redis's error.
pub fn split_keys(rest: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), Reply> {
    let n = rest
        .first()
        .and_then(|b| crate::cmd::parse_i64(b))
        .ok_or_else(|| Reply::err(crate::errors::NOT_INTEGER))?;
    numkeys_split(rest, n)
}

/// FCALL's numkeys: like [`split_keys`], with FCALL's text for a bad number.
pub fn split_fcall_keys(rest: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), Reply> {
    let n = rest
        .first()
        .and_then(|b| crate::cmd::parse_i64(b))
        .ok_or_else(|| Reply::err(FCALL_BAD_NUMKEYS))?;
    numkeys_split(rest, n)
}

fn numkeys_split(rest: &[Bytes], n: i64) -> Result<(&[Bytes], &[Bytes]), Reply> {
    let after = rest.get(1..).unwrap_or_default();
    if n < 0 {
        return Err(Reply::err(NUMKEYS_NEGATIVE));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    if n > after.len() {
        return Err(Reply::err(NUMKEYS_TOO_BIG));
    }
    Ok(after.split_at(n))
}

// ---- the shared script cache ----

/// A script the cache holds: its body (to replicate or recompile) and the
/// flags of its shebang.
#[derive(Debug)]
pub struct CachedScript {
    pub body: Bytes,
    pub flags: Flags,
}

#[derive(Default)]
struct ScriptMap {
    /// Bumped by FLUSH so engines drop the functions they compiled.
    generation: u64,
    map: HashMap<[u8; 40], Arc<CachedScript>>,
}

/// The scripts SCRIPT LOAD and EVAL made known, shared by every engine of
/// the node. Reads are lock-free snapshots; writes (a new script, FLUSH)
/// copy the map, which is small and rarely written.
#[derive(Clone, Default)]
pub struct ScriptCache {
    inner: Arc<ArcSwap<ScriptMap>>,
}

fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    let mut k: [u8; 40] = sha.try_into().ok()?;
    k.make_ascii_lowercase();
    Some(k)
}

impl ScriptCache {
    pub fn new() -> ScriptCache {
        ScriptCache::default()
    }
    /// The script with this sha (any case), if loaded.
    pub fn get(&self, sha: &[u8]) -> Option<Arc<CachedScript>> {
        let k = sha_key(sha)?;
        self.inner.load().map.get(&k).cloned()
    }
    pub fn len(&self) -> usize {
        self.inner.load().map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn generation(&self) -> u64 {
        self.inner.load().generation
    }
    fn insert(&self, sha: [u8; 40], script: Arc<CachedScript>) {
        self.inner.rcu(|cur| {
            let mut map = cur.map.clone();
            map.entry(sha).or_insert_with(|| script.clone());
            ScriptMap {
                generation: cur.generation,
                map,
            }
        });
    }
    /// `SCRIPT EXISTS sha...`: 1 or 0 per sha.
    pub fn exists(&self, shas: &[Bytes]) -> Reply {
        let snap = self.inner.load();
        Reply::Array(
            shas.iter()
                .map(|s| {
                    let hit = sha_key(s).is_some_and(|k| snap.map.contains_key(&k));
                    Reply::Integer(i64::from(hit))
                })
                .collect(),
        )
    }
    /// `SCRIPT FLUSH [ASYNC|SYNC]` (the args after FLUSH).
    pub fn flush(&self, args: &[Bytes]) -> Reply {
        match args {
            [] => {}
            [m] if m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async") => {}
            _ => return Reply::err(SCRIPT_FLUSH_SYNTAX),
        }
        self.inner.rcu(|cur| ScriptMap {
            generation: cur.generation + 1,
            map: HashMap::new(),
        });
        Reply::ok()
    }
}

// ---- busy / kill ----

/// What FUNCTION STATS shows about a script past its time limit.
#[derive(Clone, Debug)]
pub struct RunningInfo {
    /// The sha (EVAL) or function name (FCALL).
    pub name: String,
    pub started_ms: u64,
}

/// The running script of one engine, as other threads see it.
#[derive(Default)]
pub struct RunState {
    running: AtomicBool,
    /// Past its time limit: the server answers other clients -BUSY.
    busy: AtomicBool,
    /// Ran a write command: SCRIPT KILL refuses (UNKILLABLE).
    dirty: AtomicBool,
    kill: AtomicBool,
    /// EVAL (SCRIPT KILL) rather than FCALL (FUNCTION KILL).
    eval: AtomicBool,
    /// Clock reading when the run started (ms), for the hook and STATS.
    started_ms: AtomicU64,
    /// Filled when the run turns busy (not per run: a lock per script
    /// would be one per request).
    info: Mutex<Option<RunningInfo>>,
}

impl RunState {
    pub fn new() -> Arc<RunState> {
        Arc::new(RunState::default())
    }
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }
    /// Past the time limit: other clients get [`RunState::busy_reply`].
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }
    /// The -BUSY text for this run (SCRIPT KILL for EVAL, FUNCTION KILL
    /// for FCALL).
    pub fn busy_reply(&self) -> Reply {
        Reply::err(if self.eval.load(Ordering::Acquire) {
            BUSY_EVAL
        } else {
            BUSY_FUNCTION
        })
    }
    /// SCRIPT KILL (`function_kill` false) or FUNCTION KILL: Redis's
    /// `scriptKill` replies and checks, in its order.
    pub fn kill(&self, function_kill: bool) -> Reply {
        if !self.is_running() {
            return Reply::err(NOTBUSY);
        }
        if self.dirty.load(Ordering::Acquire) {
            return Reply::err(UNKILLABLE);
        }
        let eval = self.eval.load(Ordering::Acquire);
        if !function_kill && !eval {
            return Reply::err(BUSY_FUNCTION);
        }
        if function_kill && eval {
            return Reply::err(BUSY_EVAL);
        }
        self.kill.store(true, Ordering::Release);
        Reply::ok()
    }
    /// The running script, once it is past its time limit.
    pub fn running_info(&self) -> Option<RunningInfo> {
        if !self.is_busy() {
            return None;
        }
        self.info.lock().ok().and_then(|g| g.clone())
    }
    fn start(&self, eval: bool, now_ms: u64) {
        self.kill.store(false, Ordering::Release);
        self.dirty.store(false, Ordering::Release);
        self.busy.store(false, Ordering::Release);
        self.eval.store(eval, Ordering::Release);
        self.started_ms.store(now_ms, Ordering::Release);
        self.running.store(true, Ordering::Release);
    }
    fn finish(&self) {
        self.running.store(false, Ordering::Release);
        if self.busy.swap(false, Ordering::AcqRel)
            && let Ok(mut g) = self.info.lock()
        {
            *g = None;
        }
        self.kill.store(false, Ordering::Release);
    }
}
