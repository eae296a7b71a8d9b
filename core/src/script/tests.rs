//! Engine tests against a real command store. Expected texts and values
//! were taken from redis-server 7.0.15.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::MemStore;
use crate::cmd::testutil::{NOW, ctx};
use crate::table::Handler;
use std::sync::atomic::AtomicU64;

/// Runs a script's commands on a MemStore, the way the server's
/// transaction store will.
struct Store {
    s: MemStore,
    calls: usize,
}

impl Caller for Store {
    fn call(&mut self, argv: &[Bytes], spec: &'static CommandSpec) -> Reply {
        self.calls += 1;
        let c = ctx();
        match spec.handler {
            Handler::Write { precheck, .. } => {
                if let Some(Err(e)) = precheck.map(|p| p(argv)) {
                    return e;
                }
                crate::cmd::apply_write(argv, &c, &mut self.s)
            }
            Handler::Read(_) => crate::cmd::read(argv, &c, &self.s),
            _ => Reply::err("ERR not supported by the test caller"),
        }
    }
}

fn store() -> Store {
    Store {
        s: MemStore::new(),
        calls: 0,
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}
fn bs(v: &[&str]) -> Vec<Bytes> {
    v.iter().map(|s| b(s)).collect()
}
fn bulk(s: &str) -> Reply {
    Reply::Bulk(b(s))
}
fn int(i: i64) -> Reply {
    Reply::Integer(i)
}
fn err(s: &str) -> Reply {
    Reply::Error(s.to_string())
}

struct T {
    e: Engine,
    st: Store,
}

impl T {
    fn new() -> T {
        T {
            e: Engine::standalone().unwrap(),
            st: store(),
        }
    }
    fn eval(&mut self, body: &str, keys: &[&str], args: &[&str]) -> Reply {
        self.e.eval(
            body.as_bytes(),
            &bs(keys),
            &bs(args),
            &RunOpts::default(),
            &mut self.st,
        )
    }
    fn eval_ro(&mut self, body: &str) -> Reply {
        let opts = RunOpts {
            read_only: true,
            ..RunOpts::default()
        };
        self.e.eval(body.as_bytes(), &[], &[], &opts, &mut self.st)
    }
    fn ev(&mut self, body: &str) -> Reply {
        self.eval(body, &[], &[])
    }
    fn fcall(&mut self, name: &str, keys: &[&str], args: &[&str], ro: bool) -> Reply {
        let opts = RunOpts {
            read_only: ro,
            ..RunOpts::default()
        };
        self.e
            .fcall(name.as_bytes(), &bs(keys), &bs(args), &opts, &mut self.st)
    }
    fn load(&mut self, code: &str) -> Reply {
        self.e.function_load(&[b(code)])
    }
}

fn sha_of(body: &str) -> String {
    sha1hex(body.as_bytes())
}

#[test]
fn set_then_get_runs_on_the_store() {
    let mut t = T::new();
    let body = "redis.call('SET',KEYS[1],ARGV[1]); return redis.call('GET',KEYS[1])";
    assert_eq!(t.eval(body, &["k"], &["v"]), bulk("v"));
    assert_eq!(t.st.calls, 2);
    assert_eq!(
        crate::cmd::read(&bs(&["get", "k"]), &ctx(), &t.st.s),
        bulk("v")
    );
    assert_eq!(
        t.ev("return {#KEYS, #ARGV}"),
        Reply::Array(vec![int(0), int(0)])
    );
    assert_eq!(
        t.eval(
            "return {#KEYS,#ARGV, KEYS[1], ARGV[2]}",
            &["k1", "k2"],
            &["a1", "a2"]
        ),
        Reply::Array(vec![int(2), int(2), bulk("k1"), bulk("a2")])
    );
    let _ = NOW;
}

#[test]
fn evalsha_uses_the_shared_cache_and_says_noscript() {
    let scripts = ScriptCache::new();
    let fns = Functions::new();
    let mut a = Engine::new(scripts.clone(), fns.clone()).unwrap();
    let mut other = Engine::new(scripts.clone(), fns).unwrap();
    let mut st = store();
    let o = RunOpts::default();
    let sha = sha_of("return ARGV[1]");
    assert_eq!(
        other.eval_sha(sha.as_bytes(), &[], &bs(&["x"]), &o, &mut st),
        err(NOSCRIPT)
    );
    assert_eq!(other.eval_sha(b"abc", &[], &[], &o, &mut st), err(NOSCRIPT));
    assert_eq!(a.script_load(b"return ARGV[1]"), bulk(&sha));
    // Another engine (thread) runs it from the shared cache, any case.
    let upper = sha.to_ascii_uppercase();
    assert_eq!(
        other.eval_sha(upper.as_bytes(), &[], &bs(&["x"]), &o, &mut st),
        bulk("x")
    );
    assert_eq!(
        scripts.exists(&bs(&[&sha, "nosuch"])),
        Reply::Array(vec![int(1), int(0)])
    );
    // EVAL caches too.
    a.eval(b"return 7", &[], &[], &o, &mut st);
    assert_eq!(
        scripts.get(sha_of("return 7").as_bytes()).map(|s| s.flags),
        Some(Flags::EVAL_COMPAT)
    );
    assert_eq!(scripts.flush(&bs(&["bogus"])), err(SCRIPT_FLUSH_SYNTAX));
    assert_eq!(scripts.flush(&bs(&["async"])), Reply::ok());
    assert_eq!(
        other.eval_sha(sha.as_bytes(), &[], &bs(&["x"]), &o, &mut st),
        err(NOSCRIPT)
    );
    assert_eq!(
        a.script_load(b"return ("),
        err(
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
        )
    );
}

#[test]
fn error_texts_match_redis() {
    let mut t = T::new();
    let cases: &[(&str, &str)] = &[
        (
            "return redis.call('nosuch','a')",
            "ERR Unknown Redis command called from script",
        ),
        (
            "return redis.call('get')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "redis.call('set','k','v'); return redis.call('incr','k')",
            "ERR value is not an integer or out of range",
        ),
        (
            "local x = nil; return x.y",
            "ERR user_script:1: attempt to index local 'x' (a nil value)",
        ),
        (
            "x = 1",
            "ERR user_script:1: Attempt to modify a readonly table",
        ),
        (
            "return y",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'y'",
        ),
        (
            "return redis.call('multi')",
            "ERR This Redis command is not allowed from script",
        ),
        // WATCH is in the table without Redis's noscript flag: the
        // module's own list covers it (EVAL is not in the table yet).
        (
            "return redis.call('watch','k')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('blpop','l','0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('client','id')",
            "ERR This Redis command is not allowed from script",
        ),
        ("error('boom')", "ERR user_script:1: boom"),
        ("error({err='XX boom'})", "XX boom"),
        (
            "return redis.call('set','k',{})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call()",
            "ERR Please specify at least one argument for this redis lib call",
        ),
        ("redis.setresp(4)", "ERR RESP version must be 2 or 3."),
        ("redis.log(99, 'hi'); return 1", "ERR Invalid debug level."),
        (
            "return os.time()",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'os'",
        ),
        (
            "return cjson.decode('x')",
            "ERR user_script:1: Expected value but found invalid token at character 1",
        ),
        (
            "return bit.band('x')",
            "ERR user_script:1: bad argument #1 to 'band' (number expected, got string)",
        ),
    ];
    for (body, want) in cases {
        let line = format!("{want} script: {}, on @user_script:1.", sha_of(body));
        assert_eq!(t.ev(body), err(&line), "{body}");
    }
    assert_eq!(
        t.ev("return ("),
        err(
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
        )
    );
    // The line is the script's, not the library's or the wrapper's.
    let body = "local a = 1\nlocal b = 2\nreturn redis.call('nosuch')";
    assert_eq!(
        t.ev(body),
        err(&format!(
            "ERR Unknown Redis command called from script script: {}, on @user_script:3.",
            sha_of(body)
        ))
    );
}

#[test]
fn read_only_runs_and_shebang_flags() {
    let mut t = T::new();
    let body = "return redis.call('set','k','v')";
    assert_eq!(
        t.eval_ro(body),
        err(&format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:1.",
            sha_of(body)
        ))
    );
    assert_eq!(t.st.calls, 0);
    let nw = "#!lua flags=no-writes\nreturn redis.call('set','k','v')";
    assert_eq!(
        t.ev(nw),
        err(&format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.",
            sha_of(nw)
        ))
    );
    assert_eq!(t.eval_ro("#!lua\nreturn 1"), err(RO_WITH_WRITE_FLAG));
    assert_eq!(
        t.eval_ro("#!lua flags=no-writes\nreturn redis.call('get','k')"),
        Reply::Nil
    );
    assert_eq!(
        t.ev("#!lua flags=foo\nreturn 1"),
        err("ERR Unexpected flag in script shebang: foo")
    );
    assert_eq!(
        t.ev("#!lua x=1\nreturn 1"),
        err("ERR Unknown lua shebang option: x=1")
    );
    assert_eq!(
        t.ev("#!python\nreturn 1"),
        err("ERR Unexpected engine in script shebang: #!python")
    );
    assert_eq!(t.ev("#!lua"), err("ERR Invalid script shebang"));
    let (f, len) = script_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
    assert!(f.contains(Flags::NO_WRITES) && f.contains(Flags::ALLOW_OOM) && !f.may_write());
    assert_eq!(len, 31);
    let cluster = RunOpts {
        cluster: true,
        ..RunOpts::default()
    };
    assert_eq!(
        t.e.eval(
            b"#!lua flags=no-cluster\nreturn 1",
            &[],
            &[],
            &cluster,
            &mut t.st
        ),
        err(NO_CLUSTER)
    );
}

#[test]
fn lua_to_reply_conversions() {
    let mut t = T::new();
    assert_eq!(
        t.ev("return {1,2.7,'s',true,false,nil,3}"),
        Reply::Array(vec![int(1), int(2), bulk("s"), int(1), Reply::Nil])
    );
    assert_eq!(t.ev("return -3.99"), int(-3));
    assert_eq!(t.ev("return {ok='x'}"), Reply::Simple("x".into()));
    assert_eq!(t.ev("return {ok='a\\r\\nb'}"), Reply::Simple("a  b".into()));
    assert_eq!(t.ev("return {err='boo'}"), err("boo"));
    assert_eq!(
        t.ev("return redis.error_reply('My Error')"),
        err("My Error")
    );
    assert_eq!(
        t.ev("return redis.error_reply('-WRONG x y')"),
        err("WRONG x y")
    );
    assert_eq!(t.ev("return redis.error_reply('boom')"), err("ERR boom"));
    assert_eq!(
        t.ev("return redis.error_reply(1)"),
        err("ERR wrong number or type of arguments")
    );
    assert_eq!(
        t.ev("return redis.status_reply('FINE')"),
        Reply::Simple("FINE".into())
    );
    assert_eq!(t.ev("return nil"), Reply::Nil);
    assert_eq!(t.ev("return {double=3.5}"), Reply::Double(3.5));
    assert_eq!(
        t.ev("return {map={a=1}}"),
        Reply::Map(vec![(bulk("a"), int(1))])
    );
    assert_eq!(t.ev("return {set={a=true}}"), Reply::Set(vec![bulk("a")]));
    assert_eq!(t.ev("redis.setresp(3); return true"), Reply::Bool(true));
    assert_eq!(t.ev("redis.setresp(3); return false"), Reply::Bool(false));
    assert_eq!(t.ev("return false"), Reply::Nil);
    assert_eq!(t.ev("local t = {} t[1] = t return 1"), int(1));
}

#[test]
fn reply_to_lua_conversions() {
    let mut t = T::new();
    assert_eq!(
        t.ev("return tostring(redis.call('get','nosuchkey'))"),
        bulk("false")
    );
    assert_eq!(t.ev("return redis.call('set','k2','v').ok"), bulk("OK"));
    assert_eq!(
        t.ev("return type(redis.call('set','k2','v'))"),
        bulk("table")
    );
    assert_eq!(
        t.ev("return redis.call('set','k2','v')"),
        Reply::Simple("OK".into())
    );
    assert_eq!(
        t.ev("return redis.pcall('incr','k2')"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        t.ev("local e = redis.pcall('nosuch'); return {type(e), e.err}"),
        Reply::Array(vec![
            bulk("table"),
            bulk("ERR Unknown Redis command called from script")
        ])
    );
    assert_eq!(
        t.ev("local ok, e = pcall(function() redis.call('nosuch') end); return {tostring(ok), type(e), tostring(e)}"),
        Reply::Array(vec![bulk("false"), bulk("string"), bulk("ERR Unknown Redis command called from script")])
    );
    assert_eq!(
        t.ev("local ok, e = pcall(function() error('x') end); return {tostring(ok), e}"),
        Reply::Array(vec![bulk("false"), bulk("user_script:1: x")])
    );
    // Number arguments are %.17g, as Redis formats them.
    assert_eq!(
        t.ev("redis.call('set','kn',3.5); return redis.call('get','kn')"),
        bulk("3.5")
    );
    assert_eq!(
        t.ev("redis.call('set','kn',1e20); return redis.call('get','kn')"),
        bulk("1e+20")
    );
    // RESP2: a hash is a flat array; RESP3: {map=...}; doubles {double=}.
    t.ev("redis.call('hset','h','a','1')");
    assert_eq!(
        t.ev("return redis.call('hgetall','h')"),
        Reply::Array(vec![bulk("a"), bulk("1")])
    );
    assert_eq!(
        t.ev(
            "redis.setresp(3); local r = redis.call('hgetall','h'); return {type(r.map), r.map.a}"
        ),
        Reply::Array(vec![bulk("table"), bulk("1")])
    );
    t.ev("redis.call('zadd','z',1.5,'a')");
    assert_eq!(
        t.ev("redis.setresp(3); local r = redis.call('zscore','z','a'); return {type(r), tostring(r.double)}"),
        Reply::Array(vec![bulk("table"), bulk("1.5")])
    );
    assert_eq!(
        t.ev("redis.setresp(3); return type(redis.call('get','nosuch'))"),
        bulk("nil")
    );
    t.ev("redis.call('sadd','s1','a')");
    assert_eq!(
        t.ev("redis.setresp(3); local r = redis.call('smembers','s1'); return tostring(r.set.a)"),
        bulk("true")
    );
}

#[test]
fn redis_api_helpers() {
    let mut t = T::new();
    assert_eq!(
        t.ev("return redis.sha1hex('')"),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(
        t.ev("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"),
        Reply::Array(vec![bulk("7.0.15"), int(458767)])
    );
    assert_eq!(t.ev("redis.log(redis.LOG_WARNING, 'hi'); return 1"), int(1));
    assert_eq!(t.ev("redis.set_repl(redis.REPL_ALL); redis.replicate_commands(); redis.breakpoint(); redis.debug('x'); return 1"), int(1));
    assert_eq!(t.ev("return loadstring('return 5')()"), int(5));
}

#[test]
fn math_random_is_redis_generator_restarted_per_run() {
    let mut t = T::new();
    let body =
        "return {math.random(1000), math.random(1000), tostring(math.random()), math.random(5,10)}";
    let want = Reply::Array(vec![int(397), int(841), bulk("0.35333609737146"), int(7)]);
    assert_eq!(t.ev(body), want);
    assert_eq!(t.ev(body), want, "same numbers on every run");
    assert_eq!(
        t.ev("math.randomseed(7); return {math.random(1000), math.random(1000)}"),
        Reply::Array(vec![int(267), int(683)])
    );
}

#[test]
fn cjson_matches_redis() {
    let mut t = T::new();
    let cases: &[(&str, &str)] = &[
        (
            "return cjson.encode({1,2,'a',{b=1}})",
            "[1,2,\"a\",{\"b\":1}]",
        ),
        ("return cjson.encode(3.14159265358979)", "3.1415926535898"),
        (
            "return cjson.encode('a\"b/c\\n\\1')",
            "\"a\\\"b\\/c\\n\\u0001\"",
        ),
        ("return cjson.encode({[1]=1,[3]=3})", "[1,null,3]"),
        (
            "return cjson.encode({[1]=1,[2]=2,x=3})",
            "{\"1\":1,\"2\":2,\"x\":3}",
        ),
        ("return cjson.encode(1e20)", "1e+20"),
        ("return cjson.encode({{}})", "[{}]"),
        ("return cjson.encode(cjson.null)", "null"),
        (
            "return cjson.encode({[1]=1,[2]=2,[5]=5})",
            "[1,2,null,null,5]",
        ),
        ("return cjson.encode(0.1)", "0.1"),
        ("return cjson.encode(-0.0)", "-0"),
        ("return cjson.decode('\"\\\\u00e9\"')", "é"),
        (
            "return cjson.encode({a=1.5,b='x',c=true,d={}})",
            "{\"a\":1.5,\"d\":{},\"c\":true,\"b\":\"x\"}",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(t.ev(body), bulk(want), "{body}");
    }
    assert_eq!(
        t.ev("local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":1.5}'); return {t.a[1], t.a[3].b == cjson.null and 'null' or 'x', tostring(t.c)}"),
        Reply::Array(vec![int(1), bulk("null"), bulk("1.5")])
    );
    let e = |body: &str, msg: &str| {
        err(&format!(
            "ERR user_script:1: {msg} script: {}, on @user_script:1.",
            sha_of(body)
        ))
    };
    for (body, msg) in [
        (
            "return cjson.encode(function() end)",
            "Cannot serialise function: type not supported",
        ),
        (
            "return cjson.encode(0/0)",
            "Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.decode('[1,2')",
            "Expected comma or array end but found T_END at character 5",
        ),
        (
            "return cjson.encode({[1]=1,[2]=2,[3]=3,[4]=4, [11]=5})",
            "Cannot serialise table: excessively sparse array",
        ),
    ] {
        assert_eq!(t.ev(body), e(body, msg), "{body}");
    }
    assert_eq!(
        t.ev("return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_keep_buffer(true)}"),
        Reply::Array(vec![int(1000), int(1000), int(1)])
    );
}

#[test]
fn cmsgpack_bit_struct_match_redis() {
    let mut t = T::new();
    let hex = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end ";
    let body = format!(
        "{hex} return hex(cmsgpack.pack({{1,2,3}}, {{a=1}}, 'abc', -1, -200, 300, 70000, 1.5, 0.1, true, false, nil))"
    );
    assert_eq!(
        t.ev(&body),
        bulk("9301020381a16101a3616263ffd1ff38cd012cce00011170ca3fc00000cb3fb999999999999ac3c2c0")
    );
    let body = format!("{hex} return hex(cmsgpack.pack(string.rep('x', 40)))");
    assert_eq!(t.ev(&body), bulk(&format!("d928{}", "78".repeat(40))));
    assert_eq!(
        t.ev("local a,b,c,d = cmsgpack.unpack(cmsgpack.pack({1,{2,'x'}}, 'hi', 3.25, {k='v'})) return {a[2][2], b, tostring(c), d.k}"),
        Reply::Array(vec![bulk("x"), bulk("hi"), bulk("3.25"), bulk("v")])
    );
    assert_eq!(
        t.ev("return {bit.tobit(0xffffffff), bit.tohex(65535), bit.tohex(-1, -4), bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1,2,4), bit.bxor(5,3), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.tobit(2^32+5)}"),
        Reply::Array(
            [-1i64].iter().map(|&i| int(i))
                .chain([bulk("0000ffff"), bulk("FFFF")])
                .chain([-1, 3, 7, 6, -2147483648, 15, -16, 878082066, 2014458966, 2018915346, 5].iter().map(|&i| int(i)))
                .collect()
        )
    );
    let body = format!(
        "{hex} return {{hex(struct.pack('>I2<i4bBhHd', 258, -2, -1, 255, -3, 4, 1.5)), struct.size('>I2i4d'), hex(struct.pack('!4bi', 1, 2)), hex(struct.pack('c3s', 'abcdef', 'zz'))}}"
    );
    assert_eq!(
        t.ev(&body),
        Reply::Array(vec![
            bulk("0102fefffffffffffdff0400000000000000f83f"),
            int(14),
            bulk("0100000002000000"),
            bulk("6162637a7a00")
        ])
    );
    assert_eq!(
        t.ev("local a,b,c,n = struct.unpack('>I2i4c2', '\\1\\2\\255\\255\\255\\254xy') return {a,b,c,n}"),
        Reply::Array(vec![int(258), int(-2), bulk("xy"), int(9)])
    );
    assert_eq!(
        t.ev("local a,b = struct.unpack('s', 'hello\\0rest') return {a,b}"),
        Reply::Array(vec![bulk("hello"), int(7)])
    );
    let body = "return struct.unpack('>I4', 'ab')";
    assert_eq!(
        t.ev(body),
        err(&format!(
            "ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: {}, on @user_script:1.",
            sha_of(body)
        ))
    );
}

#[test]
fn sandbox_escapes_are_refused() {
    let mut t = T::new();
    for g in [
        "os", "io", "require", "loadfile", "dofile", "debug", "package", "module", "print",
        "getfenv", "setfenv", "newproxy",
    ] {
        let body = format!("return {g}");
        assert_eq!(
            t.ev(&body),
            err(&format!(
                "ERR user_script:1: Script attempted to access nonexistent global variable '{g}' script: {}, on @user_script:1.",
                sha_of(&body)
            )),
        );
    }
    for body in [
        "rawset(_G, 'x', 1)",
        "string.upper = nil",
        "redis.call = nil",
        "cjson.x = 1",
        "setmetatable(_G, nil)",
        "_G.KEYS2 = 1",
    ] {
        assert!(t.ev(body).is_error(), "{body}");
    }
    // Raising a library table leaves it untouched.
    assert!(t.ev("error(string)").is_error());
    assert_eq!(t.ev("return tostring(rawget(string, 'line'))"), bulk("nil"));
    // The strings' metatable is a read-only view of the read-only library.
    assert!(t.ev("getmetatable('').__index.upper = nil").is_error());
    assert!(t.ev("getmetatable('').x = 1").is_error());
    assert_eq!(t.ev("return type(getmetatable(_G))"), bulk("table"));
    assert!(t.ev("getmetatable(_G).__index = nil").is_error());
    assert_eq!(
        t.ev("return redis.sha1hex('')"),
        bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709")
    );
    assert_eq!(t.ev("return string.upper('a')"), bulk("A"));
}

#[test]
fn function_libraries() {
    let mut t = T::new();
    let lib = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return redis.call('get', keys[1]) end)\nredis.register_function{function_name='f2', callback=function(keys, args) return #args end, flags={'no-writes'}, description='desc2'}";
    assert_eq!(t.load(lib), bulk("mylib"));
    assert_eq!(t.load(lib), err("ERR Library 'mylib' already exists"));
    assert_eq!(t.e.function_load(&[b("REPLACE"), b(lib)]), bulk("mylib"));
    assert_eq!(
        t.e.function_load(&[b("BOGUS"), b(lib)]),
        err("ERR Unknown option given: BOGUS")
    );
    assert_eq!(t.e.function_load(&[]), err("ERR Function code is missing"));
    let cases: &[(&str, &str)] = &[
        (
            "redis.register_function('f1', function() return 1 end)",
            "ERR Missing library metadata",
        ),
        (
            "#!lua name=x foo=bar\nreturn 1",
            "ERR Invalid metadata value given: foo=bar",
        ),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        (
            "#!lua name=a-b\nreturn 1",
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        ("#!js name=zz\nreturn 1", "ERR Engine 'js' not found"),
        ("#!lua name=zz\nlocal x = 1", "ERR No functions registered"),
        (
            "#!lua name=zz\nredis.register_function('f1', function() return 1 end)",
            "ERR Function f1 already exists",
        ),
        (
            "#!lua name=zz\nredis.register_function('f1', ",
            "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'",
        ),
        (
            "#!lua name=zz\nlocal s = string.len('a')\nredis.register_function('g1', function() return 1 end)",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
        ),
        (
            "#!lua name=zz\nredis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "#!lua name=zz\nredis.register_function('g1')",
            "ERR Error registering functions: ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ),
        (
            "#!lua name=zz\nredis.register_function{function_name='g1', callback=function() end, flags={'bogus'}}",
            "ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=zz\nredis.register_function('g-1', function() end)",
            "ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        (
            "#!lua name=zz\nredis.register_function('g1', function() end)\nredis.register_function('g1', function() end)",
            "ERR Error registering functions: ERR Function already exists in the library",
        ),
    ];
    for (code, want) in cases {
        assert_eq!(t.load(code), err(want), "{code}");
    }
    t.ev("redis.call('set','k','v')");
    assert_eq!(t.fcall("f1", &["k"], &[], false), bulk("v"));
    assert_eq!(t.fcall("f2", &[], &["a", "b", "c"], false), int(3));
    assert_eq!(t.fcall("f2", &[], &["a"], true), int(1));
    assert_eq!(t.fcall("f1", &["k"], &[], true), err(RO_WITH_WRITE_FLAG));
    assert_eq!(t.fcall("nosuch", &[], &[], false), err(FUNCTION_NOT_FOUND));
    assert_eq!(split_fcall_keys(&bs(&["x"])), Err(err(FCALL_BAD_NUMKEYS)));
    assert_eq!(split_keys(&bs(&["-1"])), Err(err(NUMKEYS_NEGATIVE)));
    assert_eq!(split_keys(&bs(&["2", "a"])), Err(err(NUMKEYS_TOO_BIG)));
    assert_eq!(t.load("#!lua name=e1\nredis.register_function('ferr', function(keys, args) return redis.call('nosuch') end)\nredis.register_function('ferr2', function(keys, args) local x = nil; return x.y end)"), bulk("e1"));
    assert_eq!(
        t.fcall("ferr", &[], &[], false),
        err("ERR Unknown Redis command called from script script: ferr, on @user_function:2.")
    );
    assert_eq!(
        t.fcall("ferr2", &[], &[], false),
        err(
            "ERR user_function:3: attempt to index local 'x' (a nil value) script: ferr2, on @user_function:3."
        )
    );

    // Another engine sharing the registry compiles the library lazily.
    let mut other = Engine::new(ScriptCache::new(), t.e.functions().clone()).unwrap();
    assert_eq!(
        other.fcall(b"f2", &[], &bs(&["a"]), &RunOpts::default(), &mut t.st),
        int(1)
    );

    let f = t.e.functions().clone();
    let list = f.list(&bs(&["libraryname", "my*", "withcode"]));
    let s = |x: &str| bulk(x);
    assert_eq!(
        list,
        Reply::Array(vec![Reply::Map(vec![
            (s("library_name"), s("mylib")),
            (s("engine"), s("LUA")),
            (
                s("functions"),
                Reply::Array(vec![
                    Reply::Map(vec![
                        (s("name"), s("f1")),
                        (s("description"), Reply::Nil),
                        (s("flags"), Reply::Set(vec![]))
                    ]),
                    Reply::Map(vec![
                        (s("name"), s("f2")),
                        (s("description"), s("desc2")),
                        (
                            s("flags"),
                            Reply::Set(vec![Reply::Simple("no-writes".into())])
                        )
                    ]),
                ])
            ),
            (s("library_code"), s(lib)),
        ])])
    );
    assert_eq!(f.list(&bs(&["foo"])), err("ERR Unknown argument foo"));
    assert_eq!(
        f.list(&bs(&["libraryname"])),
        err("ERR library name argument was not given")
    );
    assert!(matches!(f.list(&[]), Reply::Array(v) if v.len() == 2));

    // DUMP / RESTORE with the three policies.
    let Reply::Bulk(dump) = f.dump() else {
        panic!("dump")
    };
    assert_eq!(
        t.e.function_restore(std::slice::from_ref(&dump)),
        err("ERR Library e1 already exists")
    );
    assert_eq!(
        t.e.function_restore(&[dump.clone(), b("REPLACE")]),
        Reply::ok()
    );
    assert_eq!(f.delete(b"e1"), Reply::ok());
    assert_eq!(f.delete(b"e1"), err("ERR Library not found"));
    assert_eq!(t.fcall("ferr", &[], &[], false), err(FUNCTION_NOT_FOUND));
    assert_eq!(
        t.e.function_restore(&[dump.clone(), b("FLUSH")]),
        Reply::ok()
    );
    assert_eq!(t.fcall("f2", &[], &["a"], false), int(1));
    assert_eq!(
        t.e.function_restore(&[b("xxx")]),
        err("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        t.e.function_restore(&[dump.clone(), b("BOGUS")]),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    let counts = |l: i64, n: i64| {
        Reply::Map(vec![
            (s("running_script"), Reply::Nil),
            (
                s("engines"),
                Reply::Map(vec![(
                    s("LUA"),
                    Reply::Map(vec![
                        (s("libraries_count"), int(l)),
                        (s("functions_count"), int(n)),
                    ]),
                )]),
            ),
        ])
    };
    assert_eq!(f.stats(None, &[], 0), counts(2, 4));
    assert_eq!(
        f.flush(&bs(&["bogus"])),
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    );
    assert_eq!(f.flush(&[]), Reply::ok());
    assert_eq!(f.stats(None, &[], 0), counts(0, 0));
    assert_eq!(t.e.function_restore(&[dump, b("APPEND")]), Reply::ok());
    assert_eq!(t.fcall("f2", &[], &[], false), int(0));
}

static CLOCK: AtomicU64 = AtomicU64::new(0);
fn fake_clock() -> u64 {
    CLOCK.fetch_add(50, Ordering::Relaxed)
}

/// Runs `body` with a 100 ms time limit on a clock that advances 50 ms a
/// read, and SCRIPT KILLs it from another thread once it is busy.
fn run_and_kill(body: &str) -> (Reply, Reply, Reply) {
    let mut t = T::new();
    let state = t.e.run_state();
    assert_eq!(state.kill(false), err(NOTBUSY));
    let killer = std::thread::spawn(move || {
        for _ in 0..5000 {
            if state.is_busy() {
                let busy = state.busy_reply();
                let first = state.kill(true); // FUNCTION KILL on an EVAL
                let _ = first;
                return (busy, state.kill(false));
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        (Reply::Nil, Reply::Nil)
    });
    let opts = RunOpts {
        time_limit_ms: 100,
        clock_ms: Some(fake_clock),
        ..RunOpts::default()
    };
    let r = t.e.eval(body.as_bytes(), &[], &[], &opts, &mut t.st);
    let (busy, kill) = killer.join().unwrap();
    (r, busy, kill)
}

#[test]
fn script_kill_stops_a_read_only_loop() {
    let body = "local i = 0 while true do i = i + 1 end";
    let (r, busy, kill) = run_and_kill(body);
    assert_eq!(busy, err(BUSY_EVAL));
    assert_eq!(kill, Reply::ok());
    assert_eq!(
        r,
        err(&format!(
            "ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.",
            sha_of(body)
        ))
    );
    // pcall cannot swallow the kill.
    let body = "while true do pcall(function() while true do end end) end";
    let (r, _, kill) = run_and_kill(body);
    assert_eq!(kill, Reply::ok());
    assert!(
        matches!(&r, Reply::Error(e) if e.starts_with(KILLED)),
        "{r:?}"
    );
}

#[test]
fn script_kill_refuses_after_a_write() {
    let body = "redis.call('set','kk','1') local n = 0 while n < 3000000 do n = n + 1 end return n";
    let (r, busy, kill) = run_and_kill(body);
    assert_eq!(busy, err(BUSY_EVAL));
    assert_eq!(kill, err(UNKILLABLE));
    assert_eq!(r, int(3_000_000));
}

/// Numbers for docs/design/0026 (run by hand: `cargo test --release -p
/// corekv-core --lib script::tests::measure -- --ignored --nocapture`).
#[test]
#[ignore]
fn measure_engine_costs() {
    let n = 20_000u32;
    let t0 = std::time::Instant::now();
    for _ in 0..200 {
        drop(Engine::standalone().unwrap());
    }
    let vm_us = t0.elapsed().as_secs_f64() * 1e6 / 200.0;
    let mut t = T::new();
    let body = "return redis.call('GET', KEYS[1])";
    let sha = t.e.script_load(body.as_bytes());
    let Reply::Bulk(sha) = sha else { panic!() };
    t.eval("redis.call('SET', KEYS[1], 'v')", &["k"], &[]);
    let keys = bs(&["k"]);
    let o = RunOpts::default();
    for _ in 0..1000 {
        t.e.eval_sha(&sha, &keys, &[], &o, &mut t.st);
    }
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        t.e.eval_sha(&sha, &keys, &[], &o, &mut t.st);
    }
    let sha_us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        t.e.eval(b"return 1", &[], &[], &o, &mut t.st);
    }
    let ret_us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        crate::cmd::read(&bs(&["GET", "k"]), &ctx(), &t.st.s);
    }
    let get_us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!(
        "vm_create_us={vm_us:.1} evalsha_get_us={sha_us:.2} eval_return1_us={ret_us:.2} plain_get_us={get_us:.3}"
    );
}

#[test]
fn script_kill_reaches_a_loop_inside_a_coroutine() {
    let body = "local co = coroutine.create(function() while true do end end) return {coroutine.resume(co)}";
    let (r, _, kill) = run_and_kill(body);
    assert_eq!(kill, Reply::ok());
    assert!(
        matches!(&r, Reply::Error(e) if e.starts_with(KILLED)),
        "{r:?}"
    );
}

/// Differential check by hand against redis-server: runs each line of
/// /tmp/exprs.txt and prints the reply as `redis-cli --no-raw` does.
#[test]
#[ignore]
fn differential_against_redis_cli() {
    let Ok(text) = std::fs::read_to_string("/tmp/exprs.txt") else {
        return;
    };
    let repr = |b: &[u8]| {
        let mut s = String::from("\"");
        for &c in b {
            match c {
                b'\\' => s.push_str("\\\\"),
                b'"' => s.push_str("\\\""),
                b'\n' => s.push_str("\\n"),
                b'\r' => s.push_str("\\r"),
                b'\t' => s.push_str("\\t"),
                7 => s.push_str("\\a"),
                8 => s.push_str("\\b"),
                0x20..=0x7e => s.push(char::from(c)),
                _ => s.push_str(&format!("\\x{c:02x}")),
            }
        }
        s.push('"');
        s
    };
    let mut t = T::new();
    for (i, line) in text.lines().enumerate() {
        let out = match t.ev(line) {
            Reply::Bulk(b) => repr(&b),
            Reply::Integer(n) => format!("(integer) {n}"),
            Reply::Error(e) => format!("(error) {e}"),
            Reply::Nil => "(nil)".to_string(),
            other => format!("{other:?}"),
        };
        println!("{}|{out}~", i + 1);
    }
}

/// Corners found by the differential run against redis-server 7.0.15.
#[test]
fn corners_match_redis() {
    let mut t = T::new();
    let e = |body: &str, msg: &str| {
        err(&format!(
            "ERR user_script:1: {msg} script: {}, on @user_script:1.",
            sha_of(body)
        ))
    };
    for (body, msg) in [
        (
            "return cjson.decode('\"abc')",
            "Expected value but found unexpected end of string at character 5",
        ),
        (
            "return cjson.decode('\"\\\\x\"')",
            "Expected value but found invalid escape code at character 2",
        ),
        (
            "return cjson.decode('{\"a\":1,}')",
            "Expected object key string but found T_OBJ_END at character 8",
        ),
        (
            "return cjson.decode('1 2')",
            "Expected the end but found T_NUMBER at character 3",
        ),
        (
            "return cjson.decode('')",
            "Expected value but found T_END at character 1",
        ),
        (
            "return cjson.encode({[true]=1})",
            "Cannot serialise boolean: table key must be a number or string",
        ),
        (
            "return struct.pack('z', 1)",
            "bad argument #1 to 'pack' (invalid format option 'z')",
        ),
        (
            "return cmsgpack.unpack(string.char(0x92, 1))",
            "Missing bytes in input.",
        ),
        (
            "return type(newproxy)",
            "Script attempted to access nonexistent global variable 'newproxy'",
        ),
    ] {
        assert_eq!(t.ev(body), e(body, msg), "{body}");
    }
    assert_eq!(t.ev("return cjson.decode('01')"), int(1));
    assert_eq!(
        t.ev("return cjson.encode({a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8})"),
        bulk("{\"a\":1,\"h\":8,\"c\":3,\"b\":2,\"e\":5,\"d\":4,\"g\":7,\"f\":6}")
    );
    assert_eq!(
        t.ev(
            "return tostring(math.floor(3.7)) .. tostring(10/4) .. tostring(2^63) .. tostring(-0.0)"
        ),
        bulk("32.59.2233720368548e+18-0")
    );
    t.ev("redis.call('rpush','l','a')");
    assert_eq!(
        t.ev("return cjson.encode({redis.pcall('hget','l','f')})"),
        bulk(
            "[{\"ignore_error_stats_update\":true,\"err\":\"WRONGTYPE Operation against a key holding the wrong kind of value\"}]"
        )
    );
    assert_eq!(
        t.ev("redis.setresp(3) redis.call('zadd','z','1','a','2','b') return cjson.encode(redis.call('zrange','z',1,-1,'withscores'))"),
        bulk("[[\"b\",{\"double\":2}]]")
    );
    assert_eq!(t.ev("return redis.call('getex','nokey')"), Reply::Nil);
}
