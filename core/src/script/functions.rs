//! Function libraries (FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS):
//! the node-wide registry every engine reads lock-free, and the parsing
//! of library metadata and `redis.register_function` arguments, with
//! Redis 7.0's texts.

use super::{Flags, RunState};
use crate::Reply;
use arc_swap::ArcSwap;
use bytes::Bytes;
use mlua::{Function, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub(super) const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
const DUMP_MAGIC: &[u8] = b"CKVFN\x01";
const DUMP_SUM_BYTES: usize = 8;

/// One registered function, as FUNCTION LIST shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionMeta {
    pub name: String,
    pub description: Option<String>,
    pub flags: Flags,
}

/// A loaded library: its code (shebang included, as LIST WITHCODE and
/// DUMP give it back) and its functions.
#[derive(Debug)]
pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: Vec<FunctionMeta>,
    /// Unique per load: an engine recompiles a library whose id changed.
    pub(super) id: u64,
}

static NEXT_LIBRARY_ID: AtomicU64 = AtomicU64::new(1);

impl Library {
    pub(super) fn new(name: String, code: Bytes, mut functions: Vec<FunctionMeta>) -> Library {
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        Library {
            name,
            code,
            functions,
            id: NEXT_LIBRARY_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

#[derive(Default, Clone)]
struct Registry {
    libs: BTreeMap<String, Arc<Library>>,
    /// Function name → its library and index in `functions`.
    funcs: HashMap<String, (Arc<Library>, usize)>,
}

impl Registry {
    fn link(&mut self, lib: Arc<Library>) {
        for (i, f) in lib.functions.iter().enumerate() {
            self.funcs.insert(f.name.clone(), (lib.clone(), i));
        }
        self.libs.insert(lib.name.clone(), lib);
    }
    fn unlink(&mut self, name: &str) -> Option<Arc<Library>> {
        let lib = self.libs.remove(name)?;
        for f in &lib.functions {
            self.funcs.remove(&f.name);
        }
        Some(lib)
    }
    fn function_count(&self) -> usize {
        self.funcs.len()
    }
}

/// RESTORE's handling of libraries that already exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    Append,
    Replace,
    Flush,
}

/// The node's function libraries, shared by every engine: reads are
/// lock-free snapshots; writes (LOAD, DELETE, FLUSH, RESTORE) are
/// serialized and publish a new snapshot.
#[derive(Clone, Default)]
pub struct Functions {
    inner: Arc<ArcSwap<Registry>>,
    write: Arc<Mutex<()>>,
}

impl Functions {
    pub fn new() -> Functions {
        Functions::default()
    }

    /// The library holding `name` and the function's metadata.
    pub fn get(&self, name: &[u8]) -> Option<(Arc<Library>, FunctionMeta)> {
        let name = std::str::from_utf8(name).ok()?;
        let snap = self.inner.load();
        let (lib, i) = snap.funcs.get(name)?;
        let meta = lib.functions.get(*i)?.clone();
        Some((lib.clone(), meta))
    }

    pub(super) fn check_load(&self, name: &str, replace: bool) -> Result<(), Reply> {
        if !replace && self.inner.load().libs.contains_key(name) {
            return Err(Reply::Error(format!("ERR Library '{name}' already exists")));
        }
        Ok(())
    }

    /// Links a compiled library (functionsCreateWithLibraryCtx's checks).
    pub(super) fn install(
        &self,
        name: &str,
        code: Bytes,
        metas: Vec<FunctionMeta>,
        replace: bool,
    ) -> Result<Arc<Library>, Reply> {
        let _w = self
            .write
            .lock()
            .map_err(|_| Reply::err("ERR function registry poisoned"))?;
        let mut reg = Registry::clone(&self.inner.load());
        if reg.libs.contains_key(name) {
            if !replace {
                return Err(Reply::Error(format!("ERR Library '{name}' already exists")));
            }
            reg.unlink(name);
        }
        let lib = Arc::new(Library::new(name.to_string(), code, metas));
        if let Some(f) = lib
            .functions
            .iter()
            .find(|f| reg.funcs.contains_key(&f.name))
        {
            return Err(Reply::Error(format!(
                "ERR Function {} already exists",
                f.name
            )));
        }
        reg.link(lib.clone());
        self.inner.store(Arc::new(reg));
        Ok(lib)
    }

    /// `FUNCTION DELETE name`.
    pub fn delete(&self, name: &[u8]) -> Reply {
        let Ok(_w) = self.write.lock() else {
            return Reply::err("ERR function registry poisoned");
        };
        let mut reg = Registry::clone(&self.inner.load());
        let name = String::from_utf8_lossy(name);
        if reg.unlink(&name).is_none() {
            return Reply::err("ERR Library not found");
        }
        self.inner.store(Arc::new(reg));
        Reply::ok()
    }

    /// `FUNCTION FLUSH [ASYNC|SYNC]` (the args after FLUSH).
    pub fn flush(&self, args: &[Bytes]) -> Reply {
        match args {
            [] => {}
            [m] if m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async") => {}
            [_] => return Reply::err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
            _ => return subcommand_syntax("flush"),
        }
        let Ok(_w) = self.write.lock() else {
            return Reply::err("ERR function registry poisoned");
        };
        self.inner.store(Arc::new(Registry::default()));
        Reply::ok()
    }

    /// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]` (args after LIST).
    pub fn list(&self, args: &[Bytes]) -> Reply {
        let mut with_code = false;
        let mut pattern: Option<&[u8]> = None;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if !with_code && a.eq_ignore_ascii_case(b"withcode") {
                with_code = true;
            } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
                let Some(p) = args.get(i + 1) else {
                    return Reply::err("ERR library name argument was not given");
                };
                pattern = Some(p);
                i += 1;
            } else {
                return Reply::Error(format!(
                    "ERR Unknown argument {}",
                    String::from_utf8_lossy(a)
                ));
            }
            i += 1;
        }
        let snap = self.inner.load();
        let bulk = |s: &str| Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        let libs = snap
            .libs
            .values()
            .filter(|l| pattern.is_none_or(|p| crate::cmd::glob_match(p, l.name.as_bytes(), true)))
            .map(|l| {
                let funcs = l
                    .functions
                    .iter()
                    .map(|f| {
                        Reply::Map(vec![
                            (bulk("name"), bulk(&f.name)),
                            (
                                bulk("description"),
                                f.description.as_deref().map(bulk).unwrap_or(Reply::Nil),
                            ),
                            (
                                bulk("flags"),
                                Reply::Set(
                                    Flags::NAMES
                                        .iter()
                                        .filter(|(fl, _)| f.flags.contains(*fl))
                                        .map(|(_, n)| Reply::Simple((*n).to_string()))
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                    .collect();
                let mut m = vec![
                    (bulk("library_name"), bulk(&l.name)),
                    (bulk("engine"), bulk("LUA")),
                    (bulk("functions"), Reply::Array(funcs)),
                ];
                if with_code {
                    m.push((bulk("library_code"), Reply::Bulk(l.code.clone())));
                }
                Reply::Map(m)
            })
            .collect();
        Reply::Array(libs)
    }

    /// `FUNCTION STATS`: the running function (when `state` has one past
    /// its time limit; `command` is the FCALL argv that started it, which
    /// the server keeps) and the engine counts. While an EVAL script is
    /// busy Redis answers BUSY instead.
    pub fn stats(&self, state: Option<&RunState>, command: &[Bytes], now_ms: u64) -> Reply {
        let bulk = |s: &str| Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        let running = match state.and_then(|s| s.running_info().map(|i| (s, i))) {
            Some((s, _)) if s.eval.load(Ordering::Acquire) => return Reply::err(super::BUSY_EVAL),
            Some((_, info)) => Reply::Map(vec![
                (bulk("name"), bulk(&info.name)),
                (
                    bulk("command"),
                    Reply::Array(command.iter().cloned().map(Reply::Bulk).collect()),
                ),
                (
                    bulk("duration_ms"),
                    Reply::Integer(
                        i64::try_from(now_ms.saturating_sub(info.started_ms)).unwrap_or(i64::MAX),
                    ),
                ),
            ]),
            None => Reply::Nil,
        };
        let snap = self.inner.load();
        let count = |n: usize| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        Reply::Map(vec![
            (bulk("running_script"), running),
            (
                bulk("engines"),
                Reply::Map(vec![(
                    bulk("LUA"),
                    Reply::Map(vec![
                        (bulk("libraries_count"), count(snap.libs.len())),
                        (bulk("functions_count"), count(snap.function_count())),
                    ]),
                )]),
            ),
        ])
    }

    /// `FUNCTION DUMP`: every library's code in corekv's own payload
    /// (magic, then length-prefixed codes, then a checksum).
    pub fn dump(&self) -> Reply {
        let snap = self.inner.load();
        let mut out = DUMP_MAGIC.to_vec();
        for lib in snap.libs.values() {
            let len = u32::try_from(lib.code.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&lib.code);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        Reply::Bulk(Bytes::from(out))
    }

    pub(super) fn restore(&self, libs: Vec<Library>, policy: RestorePolicy) -> Reply {
        let Ok(_w) = self.write.lock() else {
            return Reply::err("ERR function registry poisoned");
        };
        let mut reg = match policy {
            RestorePolicy::Flush => Registry::default(),
            _ => Registry::clone(&self.inner.load()),
        };
        // Within the payload itself a name may not repeat.
        let mut new = Registry::default();
        for lib in libs {
            if new.libs.contains_key(&lib.name) {
                return Reply::Error(format!("ERR Library {} already exists", lib.name));
            }
            if let Some(f) = lib
                .functions
                .iter()
                .find(|f| new.funcs.contains_key(&f.name))
            {
                return Reply::Error(format!("ERR Function {} already exists", f.name));
            }
            new.link(Arc::new(lib));
        }
        for name in new.libs.keys() {
            if reg.libs.contains_key(name) {
                if policy != RestorePolicy::Replace {
                    return Reply::Error(format!("ERR Library {name} already exists"));
                }
                reg.unlink(name);
            }
        }
        if let Some(f) = new.funcs.keys().find(|f| reg.funcs.contains_key(*f)) {
            return Reply::Error(format!("ERR Function {f} already exists"));
        }
        for lib in new.libs.into_values() {
            reg.link(lib);
        }
        self.inner.store(Arc::new(reg));
        Reply::ok()
    }
}

fn checksum(data: &[u8]) -> [u8; DUMP_SUM_BYTES] {
    let d = sha1_smol::Sha1::from(data).digest().bytes();
    let mut out = [0u8; DUMP_SUM_BYTES];
    out.copy_from_slice(d.get(..DUMP_SUM_BYTES).unwrap_or(&[0; DUMP_SUM_BYTES]));
    out
}

fn subcommand_syntax(sub: &str) -> Reply {
    Reply::Error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try FUNCTION HELP."
    ))
}

/// `FUNCTION RESTORE payload [policy]` (args after RESTORE): the library
/// codes and the policy.
pub(super) fn parse_restore(args: &[Bytes]) -> Result<(Vec<Bytes>, RestorePolicy), Reply> {
    let (payload, policy) = match args {
        [p] => (p, RestorePolicy::Append),
        [p, pol] => {
            let policy = if pol.eq_ignore_ascii_case(b"append") {
                RestorePolicy::Append
            } else if pol.eq_ignore_ascii_case(b"replace") {
                RestorePolicy::Replace
            } else if pol.eq_ignore_ascii_case(b"flush") {
                RestorePolicy::Flush
            } else {
                return Err(Reply::err(
                    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
                ));
            };
            (p, policy)
        }
        _ => return Err(subcommand_syntax("restore")),
    };
    let bad = || Reply::err("ERR DUMP payload version or checksum are wrong");
    let body_len = payload
        .len()
        .checked_sub(DUMP_SUM_BYTES)
        .filter(|&n| n >= DUMP_MAGIC.len())
        .ok_or_else(bad)?;
    let (body, sum) = payload.split_at(body_len);
    if !body.starts_with(DUMP_MAGIC) || checksum(body) != sum {
        return Err(bad());
    }
    let mut codes = Vec::new();
    let mut rest = body.get(DUMP_MAGIC.len()..).unwrap_or_default();
    while !rest.is_empty() {
        let failed = || Reply::err("ERR failed loading the given functions payload");
        let len_bytes: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(failed)?;
        let len = usize::try_from(u32::from_le_bytes(len_bytes)).map_err(|_| failed())?;
        let code = rest.get(4..4 + len).ok_or_else(failed)?;
        codes.push(Bytes::copy_from_slice(code));
        rest = rest.get(4 + len..).unwrap_or_default();
    }
    Ok((codes, policy))
}

/// `FUNCTION LOAD [REPLACE] code` (args after LOAD).
pub(super) fn parse_load_args(args: &[Bytes]) -> Result<(bool, &[u8]), Reply> {
    let mut replace = false;
    let Some((code, opts)) = args.split_last() else {
        return Err(Reply::err("ERR Function code is missing"));
    };
    for o in opts {
        if o.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else {
            return Err(Reply::Error(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(o)
            )));
        }
    }
    Ok((replace, code))
}

pub(super) struct LibMeta {
    pub name: String,
    /// Where the code after the shebang starts (its newline kept, so
    /// line numbers hold).
    pub code_start: usize,
}

/// `functionExtractLibMetaData` plus the name and engine checks; `Err` is
/// Redis's text without `ERR `.
pub(super) fn parse_metadata(code: &[u8]) -> Result<LibMeta, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("Invalid library metadata")?;
    let parts = super::split_args(code.get(..end).unwrap_or_default());
    let Some((engine, rest)) = parts.split_first() else {
        return Err("Invalid library metadata".into());
    };
    let mut name: Option<String> = None;
    for part in rest {
        if part.len() >= 5
            && part
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"name="))
        {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(String::from_utf8_lossy(part.get(5..).unwrap_or_default()).into_owned());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let name = name.ok_or("Library name was not given")?;
    if !valid_name(&name) {
        return Err(BAD_NAME.into());
    }
    let engine = engine.get(2..).unwrap_or_default();
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(engine)
        ));
    }
    Ok(LibMeta {
        name,
        code_start: end,
    })
}

/// `[a-zA-Z0-9_]+` (functionsVerifyName).
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn lua_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(super::engine::lua_number_text(*n)),
        _ => None,
    }
}

/// `redis.register_function('name', callback)`.
pub(super) fn positional_args(
    name: Option<&Value>,
    callback: Option<&Value>,
) -> Result<(FunctionMeta, Function), String> {
    let name = name
        .and_then(lua_string)
        .ok_or("first argument to redis.register_function must be a string")?;
    let Some(Value::Function(f)) = callback else {
        return Err("second argument to redis.register_function must be a function".into());
    };
    Ok((
        FunctionMeta {
            name,
            description: None,
            flags: Flags::default(),
        },
        f.clone(),
    ))
}

/// `redis.register_function{function_name=..., callback=..., flags=...,
/// description=...}`.
pub(super) fn named_args(arg: Option<&Value>) -> Result<(FunctionMeta, Function), String> {
    let Some(Value::Table(t)) = arg else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into());
    };
    let mut name = None;
    let mut description = None;
    let mut callback = None;
    let mut flags = Flags::default();
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let Some(key) = lua_string(&k) else {
            return Err(
                "named argument key given to redis.register_function is not a string".into(),
            );
        };
        match key.to_ascii_lowercase().as_str() {
            "function_name" => {
                name = Some(lua_string(&v).ok_or(
                    "function_name argument given to redis.register_function must be a string",
                )?);
            }
            "description" => {
                description = Some(lua_string(&v).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?);
            }
            "callback" => match v {
                Value::Function(f) => callback = Some(f),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a function"
                            .into(),
                    );
                }
            },
            "flags" => {
                let Value::Table(ft) = v else {
                    return Err("flags argument to redis.register_function must be a table representing function flags".into());
                };
                for i in 1.. {
                    match ft.raw_get::<Value>(i) {
                        Ok(Value::Nil) | Err(_) => break,
                        Ok(fv) => {
                            let f = lua_string(&fv)
                                .and_then(|s| {
                                    Flags::NAMES
                                        .iter()
                                        .find(|(_, n)| n.eq_ignore_ascii_case(&s))
                                        .map(|(f, _)| *f)
                                })
                                .ok_or("unknown flag given")?;
                            flags.insert(f);
                        }
                    }
                }
            }
            _ => return Err("unknown argument given to redis.register_function".into()),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok((
        FunctionMeta {
            name,
            description,
            flags,
        },
        callback,
    ))
}
