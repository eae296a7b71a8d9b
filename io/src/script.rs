//! Lua scripting in the server (docs/design/0026): EVAL/EVALSHA(_RO),
//! FCALL(_RO), SCRIPT and FUNCTION.
//!
//! A script is a transaction over its declared keys (docs/design/0025):
//! their groups are prepared (locked, values read), the script runs on a
//! heavy-pool thread against the scratch store of those values, and what
//! it changed is committed as effects. So a script is atomic and isolated
//! across groups, cores and nodes; it never runs on a core's executor
//! (it cannot stall Raft there); and replicas apply its effects, never
//! re-run it (replication by effects, as Redis 7 does by default).
//!
//! Each pool thread owns one Lua VM (`Engine`), created on first use; the
//! script cache and function libraries are node-wide and shared.

use crate::conn::Conn;
use crate::core::Core;
use arc_swap::ArcSwap;
use bytes::Bytes;
use corekv_core::Reply;
use corekv_core::script::{self, Caller, Engine, Flags, Functions, RunOpts, RunState, ScriptCache};
use corekv_core::table::{CommandSpec, Handler, ServerCmd};
use corekv_core::txn::Scratch;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// The node's scripting state.
pub struct Scripting {
    pub scripts: ScriptCache,
    pub functions: Functions,
    /// Every engine's run state (one per pool thread that ran a script).
    states: ArcSwap<Vec<Arc<RunState>>>,
    /// Serializes registrations only (never on a request path).
    register: Mutex<()>,
    /// Scripts running now: while 0, no request looks further.
    active: AtomicUsize,
    /// `lua-time-limit` / `busy-reply-threshold`, ms.
    time_limit_ms: AtomicU64,
    /// Where the function libraries are kept (`<dir>/functions.dump`);
    /// None in tests.
    file: Option<std::path::PathBuf>,
}

impl Default for Scripting {
    fn default() -> Scripting {
        Scripting {
            scripts: ScriptCache::new(),
            functions: Functions::new(),
            states: ArcSwap::from_pointee(Vec::new()),
            register: Mutex::new(()),
            active: AtomicUsize::new(0),
            time_limit_ms: AtomicU64::new(5000),
            file: None,
        }
    }
}

/// The function libraries' file in a data directory.
const FUNCTIONS_FILE: &str = "functions.dump";

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

fn clock_ms() -> u64 {
    crate::node::unix_ms()
}

impl Scripting {
    /// Scripting for a node whose data lives in `dir`: the function
    /// libraries saved there are loaded again (a restart keeps them, as
    /// Redis's RDB/AOF does).
    pub fn open(dir: &std::path::Path) -> std::io::Result<Scripting> {
        let file = dir.join(FUNCTIONS_FILE);
        let s = Scripting {
            file: Some(file.clone()),
            ..Scripting::default()
        };
        match std::fs::read(&file) {
            Ok(payload) => {
                let mut e = Engine::new(s.scripts.clone(), s.functions.clone())
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                let r = e.function_restore(&[Bytes::from(payload)]);
                if let Reply::Error(err) = r {
                    return Err(std::io::Error::other(format!("{}: {err}", file.display())));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(s)
    }

    /// Writes the function libraries to the data directory, durably
    /// (written whole, synced, renamed into place, directory synced). Runs
    /// on a pool thread. Node-local: other nodes keep their own.
    fn save_functions(&self) -> Result<(), Reply> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let Reply::Bulk(payload) = self.functions.dump() else {
            return Err(Reply::err("ERR cannot dump the function libraries"));
        };
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let tmp = file.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&payload)?;
            f.sync_all()?;
            std::fs::rename(&tmp, file)?;
            if let Some(d) = file.parent() {
                std::fs::File::open(d)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| Reply::err(format!("ERR cannot save the function libraries: {e}")))
    }

    pub fn time_limit_ms(&self) -> u64 {
        self.time_limit_ms.load(Relaxed)
    }
    pub fn set_time_limit_ms(&self, ms: u64) {
        self.time_limit_ms.store(ms, Relaxed);
    }

    /// Runs `f` with this thread's engine (created on first use).
    fn with_engine<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Result<R, Reply> {
        ENGINE.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let e = Engine::new(self.scripts.clone(), self.functions.clone())
                    .map_err(|e| Reply::err(format!("ERR cannot start the Lua engine: {e}")))?;
                let state = e.run_state();
                let _g = self.register.lock();
                let mut v = (**self.states.load()).clone();
                v.push(state);
                self.states.store(Arc::new(v));
                *slot = Some(e);
            }
            match slot.as_mut() {
                Some(e) => Ok(f(e)),
                None => Err(Reply::err("ERR cannot start the Lua engine")),
            }
        })
    }

    /// `-BUSY` while a script runs past the time limit (every other
    /// command is refused, as in Redis), else None. One relaxed load when
    /// no script runs.
    pub fn busy(&self) -> Option<Reply> {
        if self.active.load(Relaxed) == 0 {
            return None;
        }
        self.states
            .load()
            .iter()
            .find(|s| s.is_busy())
            .map(|s| s.busy_reply())
    }

    /// SCRIPT KILL / FUNCTION KILL.
    fn kill(&self, function: bool) -> Reply {
        let states = self.states.load();
        match states.iter().find(|s| s.is_running()) {
            Some(s) => s.kill(function),
            None => Reply::err(script::NOTBUSY),
        }
    }

    fn running(&self) -> Option<Arc<RunState>> {
        self.states.load().iter().find(|s| s.is_running()).cloned()
    }
}

/// A script's `redis.call`: the command runs on the transaction's scratch
/// store at the transaction's time.
struct TxCaller<'a> {
    store: &'a mut Scratch,
    now_ms: u64,
    seed: u64,
    n: u64,
    /// The caller's ACL user when it is restricted: every `redis.call` is
    /// checked as Redis's scriptVerifyACL does.
    acl: Option<&'a crate::acl::ScriptUser>,
}

impl Caller for TxCaller<'_> {
    fn call(&mut self, argv: &[Bytes], spec: &'static CommandSpec) -> Reply {
        if let Some(who) = self.acl
            && let Err(r) = who.check(spec, argv)
        {
            return r;
        }
        match spec.handler {
            Handler::Read(_) | Handler::Write { .. } => {
                if matches!(spec.visibility, corekv_core::table::Visibility::Internal) {
                    return Reply::err(format!(
                        "ERR corekv: {} inside a script is not supported",
                        spec.name.to_uppercase()
                    ));
                }
                // (FLUSHALL, KEYS, SCAN ... over a store that does not hold
                // the whole keyspace void the run: it goes again with every
                // group locked whole, docs/design/0025.)
                if let Handler::Write {
                    precheck: Some(check),
                    ..
                } = spec.handler
                    && let Err(r) = check(argv)
                {
                    return r;
                }
                self.n += 1;
                let ctx = corekv_core::cmd::Ctx {
                    now_ms: self.now_ms,
                    slots: 0..corekv_core::slot::SLOTS,
                    rand: self.seed.wrapping_mul(0x9E37_79B9).wrapping_add(self.n),
                };
                corekv_shard::txn::run_one(argv, &ctx, self.store)
            }
            Handler::Server(ServerCmd::Ping) => match argv.get(1) {
                Some(m) => Reply::Bulk(m.clone()),
                None => Reply::Simple("PONG".into()),
            },
            Handler::Server(ServerCmd::Echo) => {
                Reply::Bulk(argv.get(1).cloned().unwrap_or_default())
            }
            // The real clock, as in Redis 7 (effects are replicated, not
            // the script, so a replica never reads its own clock here).
            Handler::Server(ServerCmd::Time) => {
                let us = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros());
                Reply::Array(vec![
                    Reply::Bulk(Bytes::from((us / 1_000_000).to_string())),
                    Reply::Bulk(Bytes::from((us % 1_000_000).to_string())),
                ])
            }
            _ => Reply::err(format!(
                "ERR corekv: {} inside a script is not supported",
                spec.name.to_uppercase()
            )),
        }
    }
}

/// Executes a scripting command for a client.
pub async fn execute(conn: &mut Conn, cmd: ServerCmd, argv: &[Bytes]) -> Reply {
    match cmd {
        ServerCmd::Eval | ServerCmd::EvalRo | ServerCmd::EvalSha | ServerCmd::EvalShaRo => {
            let who = crate::acl::ScriptUser::of(conn);
            eval(&conn.core, cmd, argv, who).await
        }
        ServerCmd::Fcall | ServerCmd::FcallRo => {
            let who = crate::acl::ScriptUser::of(conn);
            fcall(&conn.core, cmd, argv, who).await
        }
        ServerCmd::Script => script_cmd(&conn.core, argv).await,
        _ => function_cmd(&conn.core, argv).await,
    }
}

/// What one run needs on the pool thread.
#[derive(Clone)]
enum Run {
    Eval(Bytes),
    EvalSha(Bytes),
    Fcall(Bytes),
}

async fn run_script(
    core: &Rc<Core>,
    what: Run,
    keys: Vec<Bytes>,
    args: Vec<Bytes>,
    read_only: bool,
    who: Option<crate::acl::ScriptUser>,
) -> Reply {
    let node = core.node.clone();
    if node.args.cluster_enabled && corekv_core::txn::spans_slots(&keys) {
        return Reply::err(corekv_core::errors::CROSSSLOT);
    }
    let sc = node.scripting.clone();
    let cluster = node.args.cluster_enabled;
    let run_keys = keys.clone();
    let f: crate::txn::PoolFn = Arc::new(move |store: &mut Scratch, now_ms, seed| {
        let opts = RunOpts {
            read_only,
            cluster,
            time_limit_ms: sc.time_limit_ms(),
            clock_ms: Some(clock_ms),
        };
        let mut caller = TxCaller {
            store,
            now_ms,
            seed,
            n: 0,
            acl: who.as_ref(),
        };
        sc.active.fetch_add(1, Relaxed);
        let r = sc.with_engine(|e| match &what {
            Run::Eval(body) => e.eval(body, &run_keys, &args, &opts, &mut caller),
            Run::EvalSha(sha) => e.eval_sha(sha, &run_keys, &args, &opts, &mut caller),
            Run::Fcall(name) => e.fcall(name, &run_keys, &args, &opts, &mut caller),
        });
        sc.active.fetch_sub(1, Relaxed);
        r.unwrap_or_else(|e| e)
    });
    match crate::txn::execute(core, crate::txn::Program::Pool(f), keys, None).await {
        Ok(Some(mut v)) => v.pop().unwrap_or(Reply::Nil),
        Ok(None) => Reply::NilArray,
        Err(e) => e,
    }
}

async fn eval(
    core: &Rc<Core>,
    cmd: ServerCmd,
    argv: &[Bytes],
    who: Option<crate::acl::ScriptUser>,
) -> Reply {
    let (keys, args) = match script::split_keys(argv.get(2..).unwrap_or(&[])) {
        Ok((k, a)) => (k.to_vec(), a.to_vec()),
        Err(r) => return r,
    };
    let body = argv.get(1).cloned().unwrap_or_default();
    let sha = matches!(cmd, ServerCmd::EvalSha | ServerCmd::EvalShaRo);
    let flags = if sha {
        match core.node.scripting.scripts.get(&body) {
            Some(c) => c.flags,
            None => return Reply::err(script::NOSCRIPT),
        }
    } else {
        match script::script_flags(&body) {
            Ok((f, _)) => f,
            Err(r) => return r,
        }
    };
    // EVAL_RO runs read-only; a `no-writes` script too (the engine
    // answers the texts for a write attempted either way).
    let read_only = matches!(cmd, ServerCmd::EvalRo | ServerCmd::EvalShaRo)
        || !flags.may_write() && !flags.contains(Flags::EVAL_COMPAT);
    let what = if sha {
        Run::EvalSha(body)
    } else {
        Run::Eval(body)
    };
    run_script(core, what, keys, args, read_only, who).await
}

async fn fcall(
    core: &Rc<Core>,
    cmd: ServerCmd,
    argv: &[Bytes],
    who: Option<crate::acl::ScriptUser>,
) -> Reply {
    let name = argv.get(1).cloned().unwrap_or_default();
    let Some((_, meta)) = core.node.scripting.functions.get(&name) else {
        return Reply::err("ERR Function not found");
    };
    let (keys, args) = match script::split_fcall_keys(argv.get(2..).unwrap_or(&[])) {
        Ok((k, a)) => (k.to_vec(), a.to_vec()),
        Err(r) => return r,
    };
    let read_only = cmd == ServerCmd::FcallRo || !meta.flags.may_write();
    run_script(core, Run::Fcall(name), keys, args, read_only, who).await
}

/// Runs `f` with a pool thread's engine (SCRIPT LOAD, FUNCTION LOAD and
/// RESTORE compile Lua: never on a core).
async fn on_engine(
    core: &Rc<Core>,
    f: impl FnOnce(&mut Engine) -> Reply + Send + 'static,
) -> Reply {
    let sc = core.node.scripting.clone();
    let (tx, rx) = flume::bounded(1);
    let job = move || {
        let _ = tx.send(sc.with_engine(f).unwrap_or_else(|e| e));
    };
    if !core.node.heavy.try_submit(job) {
        return Reply::err(crate::heavy::BUSY);
    }
    rx.recv_async()
        .await
        .unwrap_or_else(|_| Reply::err(corekv_core::errors::SHUTTING_DOWN))
}

fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

fn sub_arity(container: &str, sub: &str) -> Reply {
    Reply::err(format!(
        "ERR wrong number of arguments for '{container}|{sub}' command"
    ))
}

fn unknown_sub(container: &str, sub: &[u8]) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand '{}'. Try {container} HELP.",
        String::from_utf8_lossy(sub)
    ))
}

async fn script_cmd(core: &Rc<Core>, argv: &[Bytes]) -> Reply {
    let sc = core.node.scripting.clone();
    let sub = argv.get(1).cloned().unwrap_or_default();
    let n = argv.len();
    match lower(&sub).as_str() {
        "load" if n == 3 => {
            let body = argv.get(2).cloned().unwrap_or_default();
            on_engine(core, move |e| e.script_load(&body)).await
        }
        "load" => sub_arity("script", "load"),
        "exists" if n >= 3 => sc.scripts.exists(argv.get(2..).unwrap_or(&[])),
        "exists" => sub_arity("script", "exists"),
        "flush" if n <= 3 => sc.scripts.flush(argv.get(2..).unwrap_or(&[])),
        "flush" => sub_arity("script", "flush"),
        "kill" if n == 2 => sc.kill(false),
        "kill" => sub_arity("script", "kill"),
        "help" if n == 2 => script::help_reply(script::SCRIPT_HELP),
        _ => unknown_sub("SCRIPT", &sub),
    }
}

/// A change of the function libraries, then saved (on a pool thread).
async fn change_functions(
    core: &Rc<Core>,
    f: impl FnOnce(&mut Engine) -> Reply + Send + 'static,
) -> Reply {
    let sc = core.node.scripting.clone();
    on_engine(core, move |e| {
        let r = f(e);
        if r.is_error() {
            return r;
        }
        match sc.save_functions() {
            Ok(()) => r,
            Err(e) => e,
        }
    })
    .await
}

async fn function_cmd(core: &Rc<Core>, argv: &[Bytes]) -> Reply {
    let sc = core.node.scripting.clone();
    let sub = argv.get(1).cloned().unwrap_or_default();
    let n = argv.len();
    let rest = argv.get(2..).unwrap_or(&[]).to_vec();
    match lower(&sub).as_str() {
        "load" if n >= 3 => change_functions(core, move |e| e.function_load(&rest)).await,
        "load" => sub_arity("function", "load"),
        "restore" if n >= 3 => change_functions(core, move |e| e.function_restore(&rest)).await,
        "restore" => sub_arity("function", "restore"),
        "list" => sc.functions.list(&rest),
        "delete" if n == 3 => {
            change_functions(core, move |e| {
                e.functions()
                    .delete(rest.first().map_or(&[][..], |r| &r[..]))
            })
            .await
        }
        "delete" => sub_arity("function", "delete"),
        "flush" if n <= 3 => change_functions(core, move |e| e.functions().flush(&rest)).await,
        "flush" => sub_arity("function", "flush"),
        "dump" if n == 2 => sc.functions.dump(),
        "dump" => sub_arity("function", "dump"),
        "stats" if n == 2 => {
            let running = sc.running();
            sc.functions
                .stats(running.as_deref(), argv, crate::node::unix_ms())
        }
        "stats" => sub_arity("function", "stats"),
        "kill" if n == 2 => sc.kill(true),
        "kill" => sub_arity("function", "kill"),
        "help" if n == 2 => script::help_reply(script::FUNCTION_HELP),
        _ => unknown_sub("FUNCTION", &sub),
    }
}
