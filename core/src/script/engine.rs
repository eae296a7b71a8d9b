//! The Lua VM: sandbox, the `redis` API, running EVAL scripts and FCALL
//! functions, and compiling what SCRIPT LOAD and FUNCTION LOAD bring.

use super::conv::{self, error_table, error_text, lua_to_reply, reply_to_lua};
use super::functions::{self, Functions, Library};
use super::{
    ARITY_FROM_SCRIPT, CachedScript, Caller, FUNCTION_NOT_FOUND, Flags, KILLED, NO_CLUSTER,
    NOSCRIPT, NOT_ALLOWED_FROM_SCRIPT, REDIS_VERSION, REDIS_VERSION_NUM, RO_WITH_WRITE_FLAG,
    RunOpts, RunState, RunningInfo, ScriptCache, UNKNOWN_FROM_SCRIPT, WRITE_FROM_RO,
    denied_in_script, libs, script_flags, sha_key,
};
use crate::Reply;
use crate::table::{self, CommandSpec};
use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

const BOOTSTRAP: &str = include_str!("bootstrap.lua");

/// Redis's count hook period: a kill or the time limit is noticed within
/// this many VM instructions.
const HOOK_INSTRUCTIONS: u32 = 100_000;
/// FUNCTION LOAD's budget for running a library's top level (Redis: a
/// 500 ms timeout; corekv has no clock in core, so instructions).
const LOAD_INSTRUCTION_LIMIT: u32 = 200;

/// Globals a script may see (Redis 7.0's allow lists).
const ALLOWED_GLOBALS: &[&str] = &[
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "redis",
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
];

/// Per-run state the Rust callbacks read (Lua app data).
struct RunCtx {
    running: bool,
    resp3: bool,
    read_only: bool,
    /// redisLrand48's 48-bit state.
    rand: u64,
    state: Arc<RunState>,
}

/// Functions a library's top level registered (FUNCTION LOAD).
#[derive(Default)]
struct LoadCtx {
    active: bool,
    funcs: Vec<(functions::FunctionMeta, Function)>,
}

struct Compiled {
    f: Function,
    flags: Flags,
}

struct LoadedLib {
    id: u64,
    funcs: HashMap<String, Function>,
}

/// One sandboxed Lua 5.1 VM with the scripts and functions it compiled.
pub struct Engine {
    lua: Lua,
    scripts: ScriptCache,
    functions: Functions,
    state: Arc<RunState>,
    globals: Table,
    private: Table,
    run_eval: Function,
    run_function: Function,
    run_load: Function,
    compiled: HashMap<[u8; 40], Compiled>,
    compiled_generation: u64,
    libs: HashMap<String, LoadedLib>,
}

/// Redis's initial `redisLrand48` state (rand.c's X0..X2).
const RAND_INIT: u64 = 0x1234_ABCD_330E;
const RAND_MASK: u64 = (1 << 48) - 1;

fn lrand48(state: &mut u64) -> i32 {
    *state = (state.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & RAND_MASK;
    (*state >> 17) as i32
}

impl Engine {
    /// A VM for this thread, sharing the node's script cache and function
    /// libraries.
    pub fn new(scripts: ScriptCache, functions: Functions) -> mlua::Result<Engine> {
        // SAFETY: the debug library is needed by the error handler (as in
        // Redis); bootstrap keeps it in a local and removes the global
        // before any user code runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let state = RunState::new();
        lua.set_app_data(RunCtx {
            running: false,
            resp3: false,
            read_only: false,
            rand: RAND_INIT,
            state: state.clone(),
        });
        lua.set_app_data(LoadCtx::default());
        let g = lua.globals();
        let private = lua.create_table()?;
        let real_redis = lua.create_table()?;
        let load_redis = lua.create_table()?;
        lua.load(BOOTSTRAP).set_name("=[corekv]").call::<()>((
            &private,
            &g,
            &real_redis,
            &load_redis,
        ))?;
        lua.set_named_registry_value("corekv_private", &private)?;
        private.set("unwrap", lua.create_function(unwrap_error)?)?;
        private.set("hook_current", lua.create_function(hook_current)?)?;
        real_redis.set("call", lua.create_function(redis_call)?)?;

        register_redis_api(&lua, &real_redis)?;
        register_log(&lua, &real_redis)?;
        register_log(&lua, &load_redis)?;
        load_redis.set(
            "register_function",
            lua.create_function(|lua, args: MultiValue| match raw_register(lua, args)? {
                (true, _) => Ok(()),
                (false, e) => Err(fail_table(&format!("ERR {}", e.unwrap_or_default()))),
            })?,
        )?;

        let math: Table = g.get("math")?;
        math.set("random", lua.create_function(math_random)?)?;
        math.set("randomseed", lua.create_function(math_randomseed)?)?;
        libs::install(&lua, &g)?;

        // Close the sandbox: only the allow-listed globals stay, every
        // library table is a read-only view, the globals refuse new names
        // and report unknown ones.
        let keys: Vec<Value> = g
            .pairs::<Value, Value>()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            let keep = matches!(&k, Value::String(s) if ALLOWED_GLOBALS.iter().any(|a| s.as_bytes().as_ref() == a.as_bytes()));
            if !keep {
                g.raw_set(k, Value::Nil)?;
            }
        }
        g.raw_set("redis", &real_redis)?;
        let readonly: Function = private.get("readonly")?;
        for name in [
            "string",
            "table",
            "math",
            "coroutine",
            "cjson",
            "bit",
            "struct",
            "cmsgpack",
            "redis",
        ] {
            let real: Value = g.raw_get(name)?;
            let proxy: Table = readonly.call((real, false))?;
            g.raw_set(name, proxy)?;
        }
        let load_api = lua.create_table()?;
        load_api.raw_set("redis", readonly.call::<Table>((&load_redis, true))?)?;
        private.set("load_api", readonly.call::<Table>((load_api, true))?)?;
        let mt = lua.create_table()?;
        mt.raw_set("__index", private.get::<Function>("missing")?)?;
        mt.raw_set("__newindex", private.get::<Function>("ro_newindex")?)?;
        let shown: Table = readonly.call((&mt, false))?;
        mt.raw_set("__metatable", shown)?;
        g.set_metatable(Some(mt))?;
        private
            .get::<Function>("seal_string")?
            .call::<()>(g.raw_get::<Value>("string")?)?;

        Ok(Engine {
            run_eval: private.get("run_eval")?,
            run_function: private.get("run_function")?,
            run_load: private.get("run_load")?,
            lua,
            compiled_generation: scripts.generation(),
            scripts,
            functions,
            state,
            globals: g,
            private,
            compiled: HashMap::new(),
            libs: HashMap::new(),
        })
    }

    /// An engine with its own empty cache and registry (tests, tools).
    pub fn standalone() -> mlua::Result<Engine> {
        Engine::new(ScriptCache::new(), Functions::new())
    }

    /// What other threads use to see this engine's running script and to
    /// kill it.
    pub fn run_state(&self) -> Arc<RunState> {
        self.state.clone()
    }
    pub fn scripts(&self) -> &ScriptCache {
        &self.scripts
    }
    pub fn functions(&self) -> &Functions {
        &self.functions
    }

    /// Drops what this VM compiled when SCRIPT FLUSH ran anywhere.
    fn sync_scripts(&mut self) {
        let generation = self.scripts.generation();
        if generation != self.compiled_generation {
            self.compiled.clear();
            self.compiled_generation = generation;
            self.lua.gc_collect().ok();
        }
    }

    fn compile_script(&self, body: &[u8]) -> Result<(Function, Flags), Reply> {
        let (flags, skip) = script_flags(body)?;
        let code = body.get(skip..).unwrap_or_default();
        self.lua
            .load(code)
            .set_name("@user_script")
            .into_function()
            .map(|f| (f, flags))
            .map_err(|e| {
                Reply::Error(format!(
                    "ERR Error compiling script (new function): {}",
                    lua_error_message(&e)
                ))
            })
    }

    /// Compiles `body` (or finds it compiled) and makes it known to the
    /// shared cache, as EVAL and SCRIPT LOAD do.
    fn define(&mut self, body: &[u8]) -> Result<([u8; 40], Function, Flags), Reply> {
        self.sync_scripts();
        let hex = super::sha1hex(body);
        let sha = sha_key(hex.as_bytes()).ok_or_else(|| Reply::err("ERR bad sha"))?;
        if let Some(c) = self.compiled.get(&sha)
            && self.scripts.get(&sha).is_some()
        {
            return Ok((sha, c.f.clone(), c.flags));
        }
        let (f, flags) = self.compile_script(body)?;
        self.scripts.insert(
            sha,
            Arc::new(CachedScript {
                body: Bytes::copy_from_slice(body),
                flags,
            }),
        );
        self.compiled.insert(
            sha,
            Compiled {
                f: f.clone(),
                flags,
            },
        );
        Ok((sha, f, flags))
    }

    /// `SCRIPT LOAD body`: the sha, or the compile error.
    pub fn script_load(&mut self, body: &[u8]) -> Reply {
        match self.define(body) {
            Ok((sha, _, _)) => Reply::Bulk(Bytes::copy_from_slice(&sha)),
            Err(e) => e,
        }
    }

    /// EVAL / EVAL_RO (`opts.read_only`).
    pub fn eval(
        &mut self,
        body: &[u8],
        keys: &[Bytes],
        args: &[Bytes],
        opts: &RunOpts,
        caller: &mut dyn Caller,
    ) -> Reply {
        match self.define(body) {
            Ok((sha, f, flags)) => self.run(&f, flags, &sha, true, keys, args, opts, caller),
            Err(e) => e,
        }
    }

    /// EVALSHA / EVALSHA_RO: NOSCRIPT unless the node's cache has it.
    pub fn eval_sha(
        &mut self,
        sha: &[u8],
        keys: &[Bytes],
        args: &[Bytes],
        opts: &RunOpts,
        caller: &mut dyn Caller,
    ) -> Reply {
        self.sync_scripts();
        let Some(key) = sha_key(sha) else {
            return Reply::err(NOSCRIPT);
        };
        let Some(script) = self.scripts.get(&key) else {
            return Reply::err(NOSCRIPT);
        };
        let (f, flags) = match self.compiled.get(&key) {
            Some(c) => (c.f.clone(), c.flags),
            None => match self.compile_script(&script.body) {
                Ok((f, flags)) => {
                    self.compiled.insert(
                        key,
                        Compiled {
                            f: f.clone(),
                            flags,
                        },
                    );
                    (f, flags)
                }
                Err(e) => return e,
            },
        };
        self.run(&f, flags, &key, true, keys, args, opts, caller)
    }

    /// FCALL / FCALL_RO (`opts.read_only`). Redis looks the function up
    /// before it parses numkeys: a server checks [`Functions::get`] first.
    pub fn fcall(
        &mut self,
        name: &[u8],
        keys: &[Bytes],
        args: &[Bytes],
        opts: &RunOpts,
        caller: &mut dyn Caller,
    ) -> Reply {
        let Some((lib, meta)) = self.functions.get(name) else {
            return Reply::err(FUNCTION_NOT_FOUND);
        };
        let stale = self.libs.get(&lib.name).is_none_or(|l| l.id != lib.id);
        if stale {
            match self.compile_library(&lib.code) {
                Ok(funcs) => {
                    let funcs = funcs.into_iter().map(|(m, f)| (m.name, f)).collect();
                    self.libs
                        .insert(lib.name.clone(), LoadedLib { id: lib.id, funcs });
                }
                Err(e) => return Reply::Error(format!("ERR {e}")),
            }
        }
        let Some(f) = self
            .libs
            .get(&lib.name)
            .and_then(|l| l.funcs.get(&meta.name))
            .cloned()
        else {
            return Reply::err(FUNCTION_NOT_FOUND);
        };
        let fname = meta.name.clone();
        self.run(
            &f,
            meta.flags,
            fname.as_bytes(),
            false,
            keys,
            args,
            opts,
            caller,
        )
    }

    /// Runs a library's top level in the load environment and returns the
    /// functions it registered; `Err` is Redis's text without `ERR `.
    fn compile_library(
        &mut self,
        code: &[u8],
    ) -> Result<Vec<(functions::FunctionMeta, Function)>, String> {
        let meta = functions::parse_metadata(code)?;
        let body = code.get(meta.code_start..).unwrap_or_default();
        let chunk = self
            .lua
            .load(body)
            .set_name("@user_function")
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", lua_error_message(&e)))?;
        let (env, mt): (Table, Table) = self
            .private
            .get::<Function>("library_env")
            .and_then(|f| f.call(()))
            .map_err(|e| e.to_string())?;
        chunk.set_environment(env).map_err(|e| e.to_string())?;
        if let Some(mut l) = self.lua.app_data_mut::<LoadCtx>() {
            l.active = true;
            l.funcs.clear();
        }
        let _ = self.lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
            {
                let n = std::cell::Cell::new(0u32);
                move |_, _| {
                    n.set(n.get() + 1);
                    if n.get() > LOAD_INSTRUCTION_LIMIT {
                        return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                    }
                    Ok(VmState::Continue)
                }
            },
        );
        let result = self.run_load.call::<(bool, Value)>(chunk);
        self.lua.remove_hook();
        let funcs = self
            .lua
            .app_data_mut::<LoadCtx>()
            .map(|mut l| {
                l.active = false;
                std::mem::take(&mut l.funcs)
            })
            .unwrap_or_default();
        // From now on the library's globals are the script globals.
        mt.raw_set("__index", &self.globals)
            .map_err(|e| e.to_string())?;
        match result {
            Ok((true, _)) => {}
            Ok((false, err)) => {
                let msg = match &err {
                    Value::Table(t) => match t.raw_get::<Value>("err") {
                        Ok(Value::String(s)) => s.to_string_lossy(),
                        _ => "ERR execution failure".to_string(),
                    },
                    Value::Error(e) => match find_script_error(e) {
                        Some(ScriptError::Table(t)) => t.clone(),
                        Some(ScriptError::Msg(m)) => format!("ERR {m}"),
                        None => format!("ERR {e}"),
                    },
                    other => format!("ERR {}", value_text(other)),
                };
                return Err(format!("Error registering functions: {msg}"));
            }
            Err(e) => return Err(format!("Error registering functions: ERR {e}")),
        }
        if funcs.is_empty() {
            return Err("No functions registered".to_string());
        }
        Ok(funcs)
    }

    /// `FUNCTION LOAD [REPLACE] code` (the args after LOAD): the library
    /// name, or Redis's error.
    pub fn function_load(&mut self, args: &[Bytes]) -> Reply {
        let (replace, code) = match functions::parse_load_args(args) {
            Ok(x) => x,
            Err(e) => return e,
        };
        self.load_library(code, replace)
    }

    fn load_library(&mut self, code: &[u8], replace: bool) -> Reply {
        let meta = match functions::parse_metadata(code) {
            Ok(m) => m,
            Err(e) => return Reply::Error(format!("ERR {e}")),
        };
        if let Err(e) = self.functions.check_load(&meta.name, replace) {
            return e;
        }
        let funcs = match self.compile_library(code) {
            Ok(f) => f,
            Err(e) => return Reply::Error(format!("ERR {e}")),
        };
        let metas = funcs.iter().map(|(m, _)| m.clone()).collect();
        match self
            .functions
            .install(&meta.name, Bytes::copy_from_slice(code), metas, replace)
        {
            Ok(lib) => {
                let funcs = funcs.into_iter().map(|(m, f)| (m.name, f)).collect();
                self.libs
                    .insert(lib.name.clone(), LoadedLib { id: lib.id, funcs });
                Reply::Bulk(Bytes::from(lib.name.clone().into_bytes()))
            }
            Err(e) => e,
        }
    }

    /// `FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]` (args after
    /// RESTORE). Every library is compiled here before any is installed.
    pub fn function_restore(&mut self, args: &[Bytes]) -> Reply {
        let (codes, policy) = match functions::parse_restore(args) {
            Ok(x) => x,
            Err(e) => return e,
        };
        let mut libs = Vec::with_capacity(codes.len());
        for code in codes {
            let meta = match functions::parse_metadata(&code) {
                Ok(m) => m,
                Err(e) => return Reply::Error(format!("ERR {e}")),
            };
            let funcs = match self.compile_library(&code) {
                Ok(f) => f,
                Err(e) => return Reply::Error(format!("ERR {e}")),
            };
            libs.push(Library::new(
                meta.name,
                code,
                funcs.into_iter().map(|(m, _)| m).collect(),
            ));
        }
        self.functions.restore(libs, policy)
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        f: &Function,
        flags: Flags,
        name: &[u8],
        eval: bool,
        keys: &[Bytes],
        args: &[Bytes],
        opts: &RunOpts,
        caller: &mut dyn Caller,
    ) -> Reply {
        // scriptPrepareForRun's checks that depend on the script alone.
        if !flags.contains(Flags::EVAL_COMPAT) {
            if flags.contains(Flags::NO_CLUSTER) && opts.cluster {
                return Reply::err(NO_CLUSTER);
            }
            if !flags.contains(Flags::NO_WRITES) && opts.read_only {
                return Reply::err(RO_WITH_WRITE_FLAG);
            }
        }
        let read_only = opts.read_only
            || (!flags.contains(Flags::EVAL_COMPAT) && flags.contains(Flags::NO_WRITES));
        let name_text = String::from_utf8_lossy(name).into_owned();
        match self.run_inner(f, &name_text, eval, read_only, keys, args, opts, caller) {
            Ok(r) => r,
            Err(e) => Reply::Error(format!(
                "ERR Error running script {name_text}, {}",
                e.to_string().chars().take(100).collect::<String>()
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_inner(
        &mut self,
        f: &Function,
        name: &str,
        eval: bool,
        read_only: bool,
        keys: &[Bytes],
        args: &[Bytes],
        opts: &RunOpts,
        caller: &mut dyn Caller,
    ) -> mlua::Result<Reply> {
        let lua = &self.lua;
        let start_ms = opts.clock_ms.map(|c| c()).unwrap_or(0);
        self.private.raw_set("killed", Value::Nil)?;
        let keys_t = lua.create_sequence_from(
            keys.iter()
                .map(|k| lua.create_string(k))
                .collect::<mlua::Result<Vec<_>>>()?,
        )?;
        let args_t = lua.create_sequence_from(
            args.iter()
                .map(|k| lua.create_string(k))
                .collect::<mlua::Result<Vec<_>>>()?,
        )?;
        if eval {
            self.globals.raw_set("KEYS", &keys_t)?;
            self.globals.raw_set("ARGV", &args_t)?;
        }
        // From here the run is marked running; every path below reaches
        // the cleanup, so a failure cannot leave it marked.
        if let Some(mut ctx) = lua.app_data_mut::<RunCtx>() {
            ctx.running = true;
            ctx.resp3 = false;
            ctx.read_only = read_only;
            ctx.rand = RAND_INIT;
        }
        self.state.start(eval, start_ms);
        let hooked = self.install_hook(name, opts, start_ms);
        let result = hooked.and_then(|()| {
            lua.scope(|scope| {
                let raw = scope
                    .create_function_mut(|lua, argv: MultiValue| raw_call(lua, argv, caller))?;
                self.private.raw_set("raw_call", raw)?;
                let r = if eval {
                    self.run_eval.call::<(bool, Value)>(f)
                } else {
                    self.run_function
                        .call::<(bool, Value)>((f, &keys_t, &args_t))
                };
                self.private.raw_set("raw_call", Value::Nil)?;
                r
            })
        });
        lua.remove_hook();
        let killed = self.state.kill.load(Ordering::Acquire)
            && self
                .private
                .raw_get::<Option<bool>>("killed")
                .ok()
                .flatten()
                .unwrap_or(false);
        self.state.finish();
        let resp3 = match lua.app_data_mut::<RunCtx>() {
            Some(mut ctx) => {
                ctx.running = false;
                ctx.resp3
            }
            None => false,
        };
        let reply = match result {
            Ok((true, v)) => Ok(lua_to_reply(&v, resp3)),
            Ok((false, err)) => Ok(script_error(&err, name, killed)),
            Err(_) if killed => Ok(Reply::Error(format!("{KILLED} script: {name}."))),
            Err(e) => Err(e),
        };
        if eval {
            self.globals.raw_set("KEYS", Value::Nil)?;
            self.globals.raw_set("ARGV", Value::Nil)?;
        }
        // Later compiles take the thread's globals as their environment.
        lua.set_globals(self.globals.clone())?;
        reply
    }

    fn install_hook(&self, name: &str, opts: &RunOpts, start_ms: u64) -> mlua::Result<()> {
        self.lua.set_app_data(HookCtx {
            clock: opts.clock_ms,
            limit_ms: opts.time_limit_ms,
            start_ms,
            name: Some(name.to_string()),
        });
        self.lua
            .set_hook(run_hook_triggers(), |lua, _| hook_tick(lua))
    }
}

/// The time limit and kill check of the running script.
struct HookCtx {
    clock: Option<fn() -> u64>,
    limit_ms: u64,
    start_ms: u64,
    /// Taken into [`RunningInfo`] when the run turns busy.
    name: Option<String>,
}

fn run_hook_triggers() -> HookTriggers {
    HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS)
}

/// Redis's `luaMaskCountHook`: stop a killed script, and mark the run busy
/// once it is past its time limit.
fn hook_tick(lua: &Lua) -> mlua::Result<VmState> {
    let Some(state) = lua.app_data_ref::<RunCtx>().map(|c| c.state.clone()) else {
        return Ok(VmState::Continue);
    };
    if state.kill.load(Ordering::Acquire) {
        // Every later pcall/xpcall/resume re-raises (bootstrap).
        let private: Table = lua.named_registry_value("corekv_private")?;
        private.raw_set("killed", true)?;
        return Err(mlua::Error::runtime(KILLED));
    }
    if state.busy.load(Ordering::Relaxed) {
        return Ok(VmState::Continue);
    }
    if let Some(mut h) = lua.app_data_mut::<HookCtx>()
        && let Some(clock) = h.clock
        && h.limit_ms > 0
        && clock().saturating_sub(h.start_ms) >= h.limit_ms
    {
        let started_ms = h.start_ms;
        if let Some(name) = h.name.take()
            && let Ok(mut g) = state.info.lock()
        {
            *g = Some(RunningInfo { name, started_ms });
        }
        state.busy.store(true, Ordering::Release);
    }
    Ok(VmState::Continue)
}

/// `P.hook_current`: a coroutine's thread gets the running script's hook
/// (Lua 5.1 hooks are per thread; without this a loop inside a coroutine
/// could be neither timed nor killed).
fn hook_current(lua: &Lua, (): ()) -> mlua::Result<()> {
    lua.current_thread()
        .set_hook(run_hook_triggers(), |lua, _| hook_tick(lua))
}

/// The reply for a script that raised `err` (luaCallFunction's error path).
fn script_error(err: &Value, name: &str, killed: bool) -> Reply {
    let Value::Table(t) = err else {
        return Reply::Error(format!(
            "ERR Error running script {name}, {:.100}",
            value_text(err)
        ));
    };
    let msg = if killed {
        KILLED.to_string()
    } else {
        match t.raw_get::<Value>("err") {
            Ok(Value::String(s)) => s.to_string_lossy(),
            Ok(Value::Integer(i)) => i.to_string(),
            Ok(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    let source = t.raw_get::<Value>("source").ok().and_then(|v| as_text(&v));
    let line = t.raw_get::<Value>("line").ok().and_then(|v| as_text(&v));
    let mut out = msg;
    if let (Some(source), Some(line)) = (source, line) {
        out.push_str(&format!(" script: {name}, on {source}:{line}."));
    }
    Reply::Error(conv::one_line(out.as_bytes()))
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Error(e) => e.to_string(),
        other => as_text(other).unwrap_or_else(|| "execution failure".to_string()),
    }
}

/// The message of a compile or runtime error as Lua printed it.
fn lua_error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// `%.17g` of a Lua number, as Redis formats number arguments.
fn number_arg(n: f64) -> String {
    crate::cmd::format_g17(n)
}

fn int_arg(i: i64) -> String {
    if i.unsigned_abs() < 100_000_000_000_000_000 {
        i.to_string()
    } else {
        number_arg(i as f64)
    }
}

/// `redis.call`/`redis.pcall`'s Rust half: (false, error table) or
/// (true, reply value). Errors are returned, never raised, so the Lua
/// half raises a table as Redis does.
fn raw_call(lua: &Lua, args: MultiValue, caller: &mut dyn Caller) -> mlua::Result<(bool, Value)> {
    let fail = |text: &str| -> mlua::Result<(bool, Value)> {
        Ok((false, Value::Table(error_table(lua, &error_text(text))?)))
    };
    if args.is_empty() {
        return fail("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args.iter() {
        match a {
            Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => argv.push(Bytes::from(int_arg(*i).into_bytes())),
            Value::Number(n) => argv.push(Bytes::from(number_arg(*n).into_bytes())),
            _ => return fail("Lua redis lib command arguments must be strings or integers"),
        }
    }
    // Errors from here on are scriptCall's: marked like command errors.
    let refuse = |text: &str| -> mlua::Result<(bool, Value)> {
        Ok((
            false,
            Value::Table(conv::command_error_table(lua, &error_text(text))?),
        ))
    };
    let spec = match resolve(&argv) {
        Ok(s) => s,
        Err(text) => return refuse(text),
    };
    let (read_only, state) = match lua.app_data_ref::<RunCtx>() {
        Some(ctx) if ctx.running => (ctx.read_only, ctx.state.clone()),
        _ => return fail("redis.call/pcall can only be called inside a script invocation"),
    };
    let write = spec.is_write();
    if read_only && (write || spec.has_flag("may_replicate")) {
        return refuse(WRITE_FROM_RO);
    }
    if write {
        // Redis marks the run dirty before the command runs, even if it
        // then fails: SCRIPT KILL is refused from here on.
        state.dirty.store(true, Ordering::Release);
    }
    let reply = caller.call(&argv, spec);
    let resp3 = lua.app_data_ref::<RunCtx>().is_some_and(|c| c.resp3);
    let (is_err, v) = reply_to_lua(lua, &reply, resp3)?;
    Ok((!is_err, v))
}

/// Redis's `lookupCommand` + `scriptVerifyCommandArity` + the noscript check.
fn resolve(argv: &[Bytes]) -> Result<&'static CommandSpec, &'static str> {
    let name = argv.first().map(|b| &b[..]).unwrap_or_default();
    let base = table::lookup(name)
        .filter(|s| !s.is_internal())
        .ok_or(UNKNOWN_FROM_SCRIPT)?;
    let spec = match argv.get(1) {
        Some(sub) if base.is_container() => {
            table::lookup_subcommand(base, sub).ok_or(UNKNOWN_FROM_SCRIPT)?
        }
        _ => base,
    };
    let argc = i64::try_from(argv.len()).unwrap_or(i64::MAX);
    let arity = i64::from(spec.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err(ARITY_FROM_SCRIPT);
    }
    if denied_in_script(spec) {
        return Err(NOT_ALLOWED_FROM_SCRIPT);
    }
    Ok(spec)
}

fn register_redis_api(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return raise(lua, "wrong number of arguments");
            }
            let s = match args.front() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(Value::Integer(i)) => i.to_string().into_bytes(),
                Some(Value::Number(n)) => lua_number_text(*n).into_bytes(),
                _ => Vec::new(),
            };
            Ok(super::sha1hex(&s).into_multi(lua))
        })?,
    )?;
    // error_reply/status_reply return (not raise) an error table on bad
    // arguments, as Redis does.
    redis.set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => {
                let s = s.to_string_lossy();
                let text = if s.starts_with('-') {
                    s
                } else {
                    format!("-{s}")
                };
                error_table(lua, &error_text(&text))
            }
            _ => error_table(lua, "ERR wrong number or type of arguments"),
        })?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => {
                let t = lua.create_table()?;
                t.raw_set("ok", s.clone())?;
                Ok(t)
            }
            _ => error_table(lua, "ERR wrong number or type of arguments"),
        })?,
    )?;
    redis.set(
        "setresp",
        lua.create_function(|lua, args: MultiValue| {
            let running = lua.app_data_ref::<RunCtx>().is_some_and(|c| c.running);
            if !running {
                return raise(
                    lua,
                    "redis.setresp can only be called inside a script invocation",
                );
            }
            if args.len() != 1 {
                return raise(lua, "redis.setresp() requires one argument.");
            }
            let v = args.front().and_then(number_of).unwrap_or(0.0) as i64;
            if v != 2 && v != 3 {
                return raise(lua, "RESP version must be 2 or 3.");
            }
            if let Some(mut c) = lua.app_data_mut::<RunCtx>() {
                c.resp3 = v == 3;
            }
            Ok(MultiValue::new())
        })?,
    )?;
    redis.set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            let running = lua.app_data_ref::<RunCtx>().is_some_and(|c| c.running);
            if !running {
                return raise(
                    lua,
                    "redis.set_repl can only be called inside a script invocation",
                );
            }
            if args.len() != 1 {
                return raise(lua, "redis.set_repl() requires two arguments.");
            }
            let v = args.front().and_then(number_of).unwrap_or(-1.0) as i64;
            if v & !3 != 0 {
                return raise(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            // corekv replicates a script's effects through Raft as one
            // unit; partial propagation is not offered (accepted, no-op).
            Ok(MultiValue::new())
        })?,
    )?;
    redis.set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    redis.set(
        "acl_check_cmd",
        lua.create_function(|lua, args: MultiValue| {
            let argv: Vec<Bytes> = args
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
                    _ => None,
                })
                .collect();
            match resolve(&argv) {
                Ok(_) | Err(ARITY_FROM_SCRIPT) | Err(NOT_ALLOWED_FROM_SCRIPT) => {
                    Ok(true.into_multi(lua))
                }
                Err(_) => raise(lua, "Invalid command passed to redis.acl_check_cmd()"),
            }
        })?,
    )?;
    for (k, v) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.set(k, v)?;
    }
    Ok(())
}

fn register_log(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.set(
        "log",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() < 2 {
                return raise(lua, "redis.log() requires two arguments or more.");
            }
            let Some(level) = args.front().and_then(number_of) else {
                return raise(lua, "First argument must be a number (log level).");
            };
            if !(0.0..=3.0).contains(&level.trunc()) {
                return raise(lua, "Invalid debug level.");
            }
            // corekv has no server log in core: accepted and dropped.
            Ok(MultiValue::new())
        })?,
    )?;
    for (k, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
    ] {
        redis.set(k, v)?;
    }
    redis.set("REDIS_VERSION", REDIS_VERSION)?;
    redis.set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    Ok(())
}

/// Redis's `luaPushError(msg); luaError()`: raises `{err = "ERR msg"}`.
fn raise(_lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Err(fail_table(&error_text(msg)))
}

/// An error a Rust function raises into a script: Redis's error table
/// (`luaPushError`) or a `luaL_error` message. mlua carries it as a
/// userdata; `P.unwrap` (used by the error handler and pcall) turns it
/// back into what Redis's C code would have raised.
#[derive(Debug)]
pub(super) enum ScriptError {
    Table(String),
    Msg(String),
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScriptError::Table(s) | ScriptError::Msg(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for ScriptError {}

pub(super) fn fail_table(text: &str) -> mlua::Error {
    mlua::Error::external(ScriptError::Table(text.to_string()))
}

/// `luaL_error`: the message with the calling Lua code's position.
pub(super) fn fail_msg(lua: &Lua, msg: &str) -> mlua::Error {
    let at = lua
        .inspect_stack(1, |d| {
            let line = d.current_line()?;
            let src = d.source().short_src?.into_owned();
            Some(format!("{src}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::external(ScriptError::Msg(format!("{at}{msg}")))
}

fn find_script_error(e: &mlua::Error) -> Option<&ScriptError> {
    match e {
        mlua::Error::CallbackError { cause, .. } => find_script_error(cause),
        mlua::Error::WithContext { cause, .. } => find_script_error(cause),
        mlua::Error::ExternalError(x) => x.downcast_ref::<ScriptError>(),
        _ => None,
    }
}

/// `P.unwrap`: a [`ScriptError`] back as Redis's table or message; any
/// other value unchanged.
fn unwrap_error(lua: &Lua, v: Value) -> mlua::Result<Value> {
    let Value::Error(e) = &v else { return Ok(v) };
    Ok(match find_script_error(e) {
        Some(ScriptError::Table(t)) => Value::Table(error_table(lua, t)?),
        Some(ScriptError::Msg(m)) => Value::String(lua.create_string(m)?),
        None => v,
    })
}

/// `redis.call`: a Rust function (so a tail call keeps the script's frame,
/// as Redis's C function does) over the per-run `P.raw_call`.
fn redis_call(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    let private: Table = lua.named_registry_value("corekv_private")?;
    let raw: Value = private.raw_get("raw_call")?;
    let (ok, v) = match raw {
        Value::Function(f) => f.call::<(bool, Value)>(args)?,
        _ => {
            return Err(fail_table(
                "ERR redis.call/pcall can only be called inside a script invocation",
            ));
        }
    };
    if ok {
        return Ok(v);
    }
    let text = match &v {
        Value::Table(t) => t
            .raw_get::<Option<String>>("err")
            .ok()
            .flatten()
            .unwrap_or_default(),
        _ => String::new(),
    };
    Err(fail_table(&text))
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse().ok()),
        _ => None,
    }
}

/// Lua 5.1's `tostring` of a number (`%.14g`).
pub(super) fn lua_number_text(n: f64) -> String {
    libs::fmt_g(n, 14)
}

trait IntoMulti {
    fn into_multi(self, lua: &Lua) -> MultiValue;
}
impl<T: mlua::IntoLuaMulti> IntoMulti for T {
    fn into_multi(self, lua: &Lua) -> MultiValue {
        self.into_lua_multi(lua).unwrap_or_default()
    }
}

/// `redis.register_function` during FUNCTION LOAD: (true) or (false, msg).
fn raw_register(lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Option<String>)> {
    let active = lua.app_data_ref::<LoadCtx>().is_some_and(|l| l.active);
    if !active {
        return Ok((
            false,
            Some("redis.register_function can only be called on FUNCTION LOAD command".into()),
        ));
    }
    let parsed = match args.len() {
        1 => functions::named_args(args.front()),
        2 => functions::positional_args(args.front(), args.get(1)),
        _ => Err("wrong number of arguments to redis.register_function".to_string()),
    };
    let (meta, f) = match parsed {
        Ok(x) => x,
        Err(e) => return Ok((false, Some(e))),
    };
    if !functions::valid_name(&meta.name) {
        return Ok((false, Some(functions::BAD_NAME.to_string())));
    }
    let Some(mut l) = lua.app_data_mut::<LoadCtx>() else {
        return Ok((false, Some("internal error".into())));
    };
    if l.funcs.iter().any(|(m, _)| m.name == meta.name) {
        return Ok((false, Some("Function already exists in the library".into())));
    }
    l.funcs.push((meta, f));
    Ok((true, None))
}

/// `math.random` with Redis's generator (not libc's) and Lua 5.1's ranges.
fn math_random(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let Some(r) = lua
        .app_data_mut::<RunCtx>()
        .and_then(|mut c| c.running.then(|| lrand48(&mut c.rand)))
    else {
        return Err(fail_msg(
            lua,
            "math.random can only be called inside a script invocation",
        ));
    };
    let max = f64::from(i32::MAX);
    let r = f64::from(r.rem_euclid(i32::MAX)) / max;
    let int_at = |i: usize| args.get(i).and_then(number_of).map(|n| n as i32);
    let v = match args.len() {
        0 => r,
        1 => {
            let Some(u) = int_at(0) else {
                return Err(fail_msg(
                    lua,
                    "bad argument #1 to 'random' (number expected, got no value)",
                ));
            };
            if u < 1 {
                return Err(fail_msg(
                    lua,
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            (r * f64::from(u)).floor() + 1.0
        }
        2 => {
            let (Some(l), Some(u)) = (int_at(0), int_at(1)) else {
                return Err(fail_msg(
                    lua,
                    "bad argument #2 to 'random' (number expected, got no value)",
                ));
            };
            if l > u {
                return Err(fail_msg(
                    lua,
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            (r * (f64::from(u) - f64::from(l) + 1.0)).floor() + f64::from(l)
        }
        _ => return Ok((false, "wrong number of arguments").into_multi(lua)),
    };
    Ok(v.into_multi(lua))
}

fn math_randomseed(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let Some(seed) = args.front().and_then(number_of) else {
        return Err(fail_msg(
            lua,
            "bad argument #1 to 'randomseed' (number expected, got no value)",
        ));
    };
    let seed = seed as i32 as u32;
    match lua.app_data_mut::<RunCtx>() {
        Some(mut c) if c.running => {
            c.rand = (u64::from(seed) << 16) | 0x330E;
            Ok(MultiValue::new())
        }
        _ => Err(fail_msg(
            lua,
            "math.randomseed can only be called inside a script invocation",
        )),
    }
}
