//! The libraries Redis preloads for scripts, written in Rust: `cjson`,
//! `cmsgpack`, `bit` (LuaBitOp) and `struct`. Outputs and error texts
//! follow Redis 7.0's C libraries for the common cases (checked against
//! redis-server 7.0.15); config setters are accepted and ignored.

use mlua::{Function, LightUserData, Lua, MultiValue, Table, Value};

type Out = Result<Vec<Value>, String>;

/// A library function: its Rust body returns values or a message, raised
/// at the caller's line as `luaL_error` does in Redis's C libraries.
fn func(lua: &Lua, body: impl Fn(&Lua, MultiValue) -> Out + 'static) -> mlua::Result<Function> {
    lua.create_function(move |lua, args: MultiValue| match body(lua, args) {
        Ok(vals) => Ok(MultiValue::from_iter(vals)),
        Err(msg) => Err(super::engine::fail_msg(lua, &msg)),
    })
}

pub(super) fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    g.raw_set("cjson", cjson(lua)?)?;
    g.raw_set("cmsgpack", cmsgpack(lua)?)?;
    g.raw_set("bit", bit(lua)?)?;
    g.raw_set("struct", structlib(lua)?)?;
    Ok(())
}

/// C's `%.{prec}g`.
pub(super) fn fmt_g(n: f64, prec: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let prec = prec.max(1);
    let sci = format!("{:.*e}", prec - 1, n);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= i32::try_from(prec).unwrap_or(i32::MAX) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant), exp.unsigned_abs())
    } else {
        let decimals = usize::try_from(i32::try_from(prec).unwrap_or(0) - 1 - exp).unwrap_or(0);
        trim(&format!("{:.*}", decimals, n))
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let t = s.to_str().ok()?;
            let t = t.trim();
            if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return u64::from_str_radix(h, 16).ok().map(|u| u as f64);
            }
            t.parse().ok()
        }
        _ => None,
    }
}

fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::LightUserData(_)) | Some(Value::UserData(_)) => "userdata",
        Some(Value::Integer(_)) | Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        _ => "userdata",
    }
}

fn check_number(args: &MultiValue, i: usize, fname: &str) -> Result<f64, String> {
    number(args.get(i)).ok_or_else(|| {
        format!(
            "bad argument #{} to '{fname}' (number expected, got {})",
            i + 1,
            type_name(args.get(i))
        )
    })
}

fn check_bytes(args: &MultiValue, i: usize, fname: &str) -> Result<Vec<u8>, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(fmt_g(*n, 14).into_bytes()),
        other => Err(format!(
            "bad argument #{} to '{fname}' (string expected, got {})",
            i + 1,
            type_name(other)
        )),
    }
}

fn str_value(lua: &Lua, b: &[u8]) -> Result<Value, String> {
    lua.create_string(b)
        .map(Value::String)
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- cjson

const JSON_MAX_DEPTH: usize = 1000;

fn cjson(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let enc = |lua: &Lua, args: MultiValue| -> Out {
        if args.len() != 1 {
            return Err("bad argument #1 to 'encode' (expected 1 argument)".into());
        }
        let mut out = Vec::new();
        json_encode(args.front().unwrap_or(&Value::Nil), 0, &mut out)?;
        Ok(vec![str_value(lua, &out)?])
    };
    t.raw_set("encode", func(lua, enc)?)?;
    t.raw_set(
        "decode",
        func(lua, |lua, args| {
            if args.len() != 1 {
                return Err("bad argument #1 to 'decode' (expected 1 argument)".into());
            }
            let s = check_bytes(&args, 0, "decode")?;
            let mut p = JsonParser {
                s: &s,
                pos: 0,
                lua,
                depth: 0,
                err_at: None,
            };
            Ok(vec![p.document()?])
        })?,
    )?;
    // Config getters/setters: accepted; they answer Redis's defaults.
    for (name, vals) in [
        ("encode_keep_buffer", vec![Value::Boolean(true)]),
        ("encode_max_depth", vec![Value::Integer(1000)]),
        ("decode_max_depth", vec![Value::Integer(1000)]),
        ("encode_number_precision", vec![Value::Integer(14)]),
        ("encode_invalid_numbers", vec![Value::Boolean(false)]),
        ("decode_invalid_numbers", vec![Value::Boolean(true)]),
        (
            "encode_sparse_array",
            vec![Value::Boolean(false), Value::Integer(2), Value::Integer(10)],
        ),
    ] {
        t.raw_set(name, func(lua, move |_, _| Ok(vals.clone()))?)?;
    }
    t.raw_set(
        "null",
        Value::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    t.raw_set(
        "new",
        lua.create_function(|lua, ()| {
            let g: Table = lua.globals().raw_get("cjson")?;
            Ok(g)
        })?,
    )?;
    Ok(t)
}

fn json_string(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in b {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn json_number(n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if n.is_nan() || n.is_infinite() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(fmt_g(n, 14).as_bytes());
    Ok(())
}

fn json_encode(v: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), String> {
    match v {
        Value::String(s) => json_string(&s.as_bytes(), out),
        Value::Integer(i) => json_number(*i as f64, out)?,
        Value::Number(n) => json_number(*n, out)?,
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > JSON_MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
            let mut max = 0usize;
            let mut array = true;
            for (k, _) in &pairs {
                let kn = match k {
                    Value::Integer(i) => *i as f64,
                    Value::Number(n) => *n,
                    _ => {
                        array = false;
                        break;
                    }
                };
                if kn.floor() == kn && kn >= 1.0 {
                    max = max.max(kn as usize);
                } else {
                    array = false;
                    break;
                }
            }
            if array && max > pairs.len() * 2 && max > 10 {
                return Err("Cannot serialise table: excessively sparse array".into());
            }
            if array && max > 0 {
                out.push(b'[');
                for i in 1..=max {
                    if i > 1 {
                        out.push(b',');
                    }
                    let v = t.raw_get::<Value>(i).unwrap_or(Value::Nil);
                    json_encode(&v, depth, out)?;
                }
                out.push(b']');
            } else {
                out.push(b'{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match k {
                        Value::Integer(n) => {
                            out.push(b'"');
                            json_number(*n as f64, out)?;
                            out.extend_from_slice(b"\":");
                        }
                        Value::Number(n) => {
                            out.push(b'"');
                            json_number(*n, out)?;
                            out.extend_from_slice(b"\":");
                        }
                        Value::String(s) => {
                            json_string(&s.as_bytes(), out);
                            out.push(b':');
                        }
                        other => {
                            return Err(format!(
                                "Cannot serialise {}: table key must be a number or string",
                                type_name(Some(other))
                            ));
                        }
                    }
                    json_encode(v, depth, out)?;
                }
                out.push(b'}');
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(Some(other))
            ));
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(m) => m,
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    pos: usize,
    lua: &'a Lua,
    depth: usize,
    err_at: Option<usize>,
}

impl JsonParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// The next token and the index where it starts.
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(c) = self.peek() else {
            return (Tok::End, at);
        };
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, at);
        }
        let rest = self.s.get(at..).unwrap_or_default();
        for (word, tok) in [
            (&b"true"[..], Tok::Bool(true)),
            (b"false", Tok::Bool(false)),
            (b"null", Tok::Null),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return (tok, at);
            }
        }
        match c {
            b'"' => {
                // cjson reports a bad string where it failed, not where
                // the string began.
                let start = self.pos;
                let t = self.string();
                let at = if matches!(t, Tok::Error(_)) {
                    self.err_at.unwrap_or(start)
                } else {
                    start
                };
                (t, at)
            }
            b'-' | b'0'..=b'9' => (self.number(), at),
            _ => (Tok::Error("invalid token"), at),
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if digits(self) == 0 {
            return Tok::Error("invalid number");
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            digits(self);
        }
        let text = self.s.get(start..self.pos).unwrap_or_default();
        match std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
        {
            Some(n) => Tok::Num(n),
            None => Tok::Error("invalid number"),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    fn string(&mut self) -> Tok {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                self.err_at = Some(self.pos);
                return Tok::Error("unexpected end of string");
            };
            self.pos += 1;
            // A bad escape is reported at its backslash.
            self.err_at = Some(self.pos - 1);
            match c {
                b'"' => return Tok::Str(out),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        self.err_at = Some(self.pos);
                        return Tok::Error("unexpected end of string");
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let Some(mut cp) = self.hex4() else {
                                return Tok::Error("invalid unicode escape code");
                            };
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Tok::Error("invalid unicode escape code");
                                }
                                self.pos += 2;
                                match self.hex4() {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                    }
                                    _ => return Tok::Error("invalid unicode escape code"),
                                }
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return Tok::Error("invalid unicode escape code");
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Tok::Error("invalid escape code"),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn expected(what: &str, (tok, at): &(Tok, usize)) -> String {
        format!(
            "Expected {what} but found {} at character {}",
            tok.name(),
            at + 1
        )
    }

    fn document(&mut self) -> Result<Value, String> {
        let t = self.next();
        let v = self.value(t)?;
        let end = self.next();
        if end.0 != Tok::End {
            return Err(Self::expected("the end", &end));
        }
        Ok(v)
    }

    fn nest(&mut self, at: usize) -> Result<(), String> {
        self.depth += 1;
        if self.depth > JSON_MAX_DEPTH {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth,
                at + 1
            ));
        }
        Ok(())
    }

    fn value(&mut self, t: (Tok, usize)) -> Result<Value, String> {
        let lua = self.lua;
        let e = |x: mlua::Error| x.to_string();
        Ok(match t.0 {
            Tok::Str(s) => Value::String(lua.create_string(&s).map_err(e)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
            Tok::ObjBegin => {
                self.nest(t.1)?;
                let tbl = lua.create_table().map_err(e)?;
                let mut tok = self.next();
                if tok.0 != Tok::ObjEnd {
                    loop {
                        let Tok::Str(key) = &tok.0 else {
                            return Err(Self::expected("object key string", &tok));
                        };
                        let key = lua.create_string(key).map_err(e)?;
                        let colon = self.next();
                        if colon.0 != Tok::Colon {
                            return Err(Self::expected("colon", &colon));
                        }
                        let vt = self.next();
                        let v = self.value(vt)?;
                        tbl.raw_set(key, v).map_err(e)?;
                        let sep = self.next();
                        match sep.0 {
                            Tok::ObjEnd => break,
                            Tok::Comma => tok = self.next(),
                            _ => return Err(Self::expected("comma or object end", &sep)),
                        }
                    }
                }
                self.depth -= 1;
                Value::Table(tbl)
            }
            Tok::ArrBegin => {
                self.nest(t.1)?;
                let tbl = lua.create_table().map_err(e)?;
                let mut tok = self.next();
                if tok.0 != Tok::ArrEnd {
                    let mut i = 1;
                    loop {
                        let v = self.value(tok)?;
                        tbl.raw_set(i, v).map_err(e)?;
                        i += 1;
                        let sep = self.next();
                        match sep.0 {
                            Tok::ArrEnd => break,
                            Tok::Comma => tok = self.next(),
                            _ => return Err(Self::expected("comma or array end", &sep)),
                        }
                    }
                }
                self.depth -= 1;
                Value::Table(tbl)
            }
            _ => return Err(Self::expected("value", &t)),
        })
    }
}

// ------------------------------------------------------------- cmsgpack

const MSGPACK_MAX_NESTING: usize = 16;

fn cmsgpack(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        func(lua, |lua, args| {
            if args.is_empty() {
                return Err("bad argument #0 to 'pack' (MessagePack pack needs input.)".into());
            }
            let mut out = Vec::new();
            for a in args.iter() {
                mp_encode(a, 0, &mut out);
            }
            Ok(vec![str_value(lua, &out)?])
        })?,
    )?;
    let unpack =
        |lua: &Lua, args: &MultiValue, limit: usize, offset: i64, with_offset: bool| -> Out {
            let s = check_bytes(args, 0, "unpack")?;
            let offset = usize::try_from(offset).map_err(|_| {
                format!(
                    "Invalid request to unpack with offset of {offset} and limit of {}.",
                    s.len()
                )
            })?;
            if offset > s.len() {
                return Err(format!(
                    "Start offset {offset} greater than input length {}.",
                    s.len()
                ));
            }
            let mut cur = Cursor { s: &s, pos: offset };
            let mut vals = Vec::new();
            while cur.pos < s.len() && vals.len() < limit {
                vals.push(mp_decode(lua, &mut cur)?);
            }
            if with_offset {
                let next = if cur.pos >= s.len() {
                    -1
                } else {
                    i64::try_from(cur.pos).unwrap_or(-1)
                };
                vals.insert(0, Value::Integer(next));
            }
            Ok(vals)
        };
    t.raw_set(
        "unpack",
        func(lua, move |lua, args| {
            unpack(lua, &args, usize::MAX, 0, false)
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        func(lua, move |lua, args| {
            let off = number(args.get(1)).unwrap_or(0.0) as i64;
            unpack(lua, &args, 1, off, true)
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        func(lua, move |lua, args| {
            let limit = check_number(&args, 1, "unpack_limit")? as i64;
            let off = number(args.get(2)).unwrap_or(0.0) as i64;
            if limit < 0 {
                return Err(format!(
                    "Invalid request to unpack with offset of {off} and limit of {limit}."
                ));
            }
            let limit = if limit == 0 && off == 0 {
                usize::MAX
            } else {
                usize::try_from(limit).unwrap_or(0)
            };
            unpack(lua, &args, limit, off, true)
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    Ok(t)
}

fn mp_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_len(n: usize, fix: u8, fix_max: usize, b16: u8, b32: u8, out: &mut Vec<u8>) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(u32::try_from(n).unwrap_or(u32::MAX)).to_be_bytes());
    }
}

fn mp_number(n: f64, out: &mut Vec<u8>) {
    if !n.is_infinite() && (n as i64) as f64 == n {
        mp_int(n as i64, out);
    } else if (n as f32) as f64 == n || n.is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn mp_encode(v: &Value, level: usize, out: &mut Vec<u8>) {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            if b.len() < 32 {
                out.push(0xa0 | b.len() as u8);
            } else if b.len() <= 0xff {
                out.extend_from_slice(&[0xd9, b.len() as u8]);
            } else {
                mp_len(b.len(), 0, 0, 0xda, 0xdb, out);
            }
            out.extend_from_slice(&b);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => mp_int(*i, out),
        Value::Number(n) => mp_number(*n, out),
        Value::Table(t) if level < MSGPACK_MAX_NESTING => {
            let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
            let mut max = 0i64;
            let is_array = pairs.iter().all(|(k, _)| {
                let n = match k {
                    Value::Integer(i) => *i,
                    Value::Number(n) if n.fract() == 0.0 => *n as i64,
                    _ => return false,
                };
                max = max.max(n);
                n > 0 && n <= i64::from(i32::MAX)
            }) && usize::try_from(max).ok() == Some(pairs.len());
            if is_array {
                mp_len(pairs.len(), 0x90, 15, 0xdc, 0xdd, out);
                for i in 1..=pairs.len() {
                    mp_encode(&t.raw_get::<Value>(i).unwrap_or(Value::Nil), level + 1, out);
                }
            } else {
                mp_len(pairs.len(), 0x80, 15, 0xde, 0xdf, out);
                for (k, v) in &pairs {
                    mp_encode(k, level + 1, out);
                    mp_encode(v, level + 1, out);
                }
            }
        }
        _ => out.push(0xc0),
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let b = self
            .s
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or("Missing bytes in input.")?;
        self.pos += n;
        Ok(b)
    }
    fn be(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }
}

fn mp_decode(lua: &Lua, c: &mut Cursor) -> Result<Value, String> {
    let e = |x: mlua::Error| x.to_string();
    let tag = c.be(1)? as u8;
    let num = |n: f64| Value::Number(n);
    let string = |c: &mut Cursor, n: usize| -> Result<Value, String> {
        let b = c.take(n)?.to_vec();
        str_value(lua, &b)
    };
    let array = |c: &mut Cursor, n: usize| -> Result<Value, String> {
        let t = lua.create_table().map_err(e)?;
        for i in 1..=n {
            let v = mp_decode(lua, c)?;
            t.raw_set(i, v).map_err(e)?;
        }
        Ok(Value::Table(t))
    };
    let map = |c: &mut Cursor, n: usize| -> Result<Value, String> {
        let t = lua.create_table().map_err(e)?;
        for _ in 0..n {
            let k = mp_decode(lua, c)?;
            let v = mp_decode(lua, c)?;
            if !matches!(k, Value::Nil) {
                t.raw_set(k, v).map_err(e)?;
            }
        }
        Ok(Value::Table(t))
    };
    let len = |c: &mut Cursor, n| -> Result<usize, String> {
        usize::try_from(c.be(n)?).map_err(|_| "Bad data format in input.".to_string())
    };
    Ok(match tag {
        0x00..=0x7f => num(f64::from(tag)),
        0xe0..=0xff => num(f64::from(tag as i8)),
        0xa0..=0xbf => string(c, usize::from(tag & 0x1f))?,
        0x90..=0x9f => array(c, usize::from(tag & 0xf))?,
        0x80..=0x8f => map(c, usize::from(tag & 0xf))?,
        0xc0 => Value::Nil,
        0xc2 => Value::Boolean(false),
        0xc3 => Value::Boolean(true),
        0xcc => num(c.be(1)? as f64),
        0xcd => num(c.be(2)? as f64),
        0xce => num(c.be(4)? as f64),
        0xcf => num(c.be(8)? as f64),
        0xd0 => num(f64::from(c.be(1)? as u8 as i8)),
        0xd1 => num(f64::from(c.be(2)? as u16 as i16)),
        0xd2 => num(f64::from(c.be(4)? as u32 as i32)),
        0xd3 => num(c.be(8)? as i64 as f64),
        0xca => num(f64::from(f32::from_bits(c.be(4)? as u32))),
        0xcb => num(f64::from_bits(c.be(8)?)),
        0xd9 | 0xc4 => {
            let n = len(c, 1)?;
            string(c, n)?
        }
        0xda | 0xc5 => {
            let n = len(c, 2)?;
            string(c, n)?
        }
        0xdb | 0xc6 => {
            let n = len(c, 4)?;
            string(c, n)?
        }
        0xdc => {
            let n = len(c, 2)?;
            array(c, n)?
        }
        0xdd => {
            let n = len(c, 4)?;
            array(c, n)?
        }
        0xde => {
            let n = len(c, 2)?;
            map(c, n)?
        }
        0xdf => {
            let n = len(c, 4)?;
            map(c, n)?
        }
        _ => return Err("Bad data format in input.".into()),
    })
}

// ------------------------------------------------------------------ bit

/// LuaBitOp's number → int32: the low 32 bits of `n + 2^52 + 2^51`.
fn tobit(n: f64) -> i32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn bit(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    fn arg(args: &MultiValue, i: usize, f: &str) -> Result<i32, String> {
        check_number(args, i, f).map(tobit)
    }
    let ret = |x: i32| Ok(vec![Value::Number(f64::from(x))]);
    t.raw_set("tobit", func(lua, move |_, a| ret(arg(&a, 0, "tobit")?))?)?;
    t.raw_set("bnot", func(lua, move |_, a| ret(!arg(&a, 0, "bnot")?))?)?;
    t.raw_set(
        "bswap",
        func(lua, move |_, a| ret(arg(&a, 0, "bswap")?.swap_bytes()))?,
    )?;
    for (name, op) in [
        ("band", (|x, y| x & y) as fn(i32, i32) -> i32),
        ("bor", |x, y| x | y),
        ("bxor", |x, y| x ^ y),
    ] {
        t.raw_set(
            name,
            func(lua, move |_, a| {
                let mut acc = arg(&a, 0, name)?;
                for i in 1..a.len() {
                    acc = op(acc, arg(&a, i, name)?);
                }
                ret(acc)
            })?,
        )?;
    }
    for (name, op) in [
        (
            "lshift",
            (|x: i32, n: u32| ((x as u32) << n) as i32) as fn(i32, u32) -> i32,
        ),
        ("rshift", |x, n| ((x as u32) >> n) as i32),
        ("arshift", |x, n| x >> n),
        ("rol", |x, n| (x as u32).rotate_left(n) as i32),
        ("ror", |x, n| (x as u32).rotate_right(n) as i32),
    ] {
        t.raw_set(
            name,
            func(lua, move |_, a| {
                let x = arg(&a, 0, name)?;
                let n = (arg(&a, 1, name)? as u32) & 31;
                ret(op(x, n))
            })?,
        )?;
    }
    t.raw_set(
        "tohex",
        func(lua, |lua, a| {
            let b = arg(&a, 0, "tohex")? as u32;
            let mut n = if matches!(a.get(1), None | Some(Value::Nil)) {
                8
            } else {
                arg(&a, 1, "tohex")?
            };
            let upper = n < 0;
            if upper {
                n = n.wrapping_neg();
            }
            let n = usize::try_from(n.clamp(0, 8)).unwrap_or(8);
            let s = if upper {
                format!("{b:08X}")
            } else {
                format!("{b:08x}")
            };
            Ok(vec![str_value(
                lua,
                s.get(8 - n..).unwrap_or_default().as_bytes(),
            )?])
        })?,
    )?;
    Ok(t)
}

// --------------------------------------------------------------- struct

const STRUCT_MAXINTSIZE: usize = 32;
const STRUCT_MAXALIGN: usize = 8;

struct StructFmt<'a> {
    f: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

impl StructFmt<'_> {
    fn new(f: &[u8]) -> StructFmt<'_> {
        StructFmt {
            f,
            pos: 0,
            little: true,
            align: 1,
        }
    }
    fn num(&mut self, default: usize) -> Result<usize, String> {
        if !matches!(self.f.get(self.pos), Some(b'0'..=b'9')) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(&d) = self.f.get(self.pos).filter(|d| d.is_ascii_digit()) {
            a = a
                .checked_mul(10)
                .and_then(|a| a.checked_add(usize::from(d - b'0')))
                .filter(|&a| a <= i32::MAX as usize)
                .ok_or("integral size overflow")?;
            self.pos += 1;
        }
        Ok(a)
    }
    fn size(&mut self, opt: u8) -> Result<usize, String> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(1)?,
            b'i' | b'I' => {
                let sz = self.num(4)?;
                if sz > STRUCT_MAXINTSIZE {
                    return Err(format!(
                        "integral size {sz} is larger than limit of {STRUCT_MAXINTSIZE}"
                    ));
                }
                sz
            }
            _ => 0,
        })
    }
    fn to_align(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }
    fn control(&mut self, opt: u8, fname: &str) -> Result<(), String> {
        match opt {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let a = self.num(STRUCT_MAXALIGN)?;
                if !a.is_power_of_two() {
                    return Err(format!("alignment {a} is not a power of 2"));
                }
                self.align = a;
            }
            _ => {
                return Err(format!(
                    "bad argument #1 to '{fname}' (invalid format option '{}')",
                    char::from(opt)
                ));
            }
        }
        Ok(())
    }
}

fn int_bytes(n: f64, size: usize, little: bool) -> Vec<u8> {
    let mut v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut out = vec![0u8; size];
    let idx: Vec<usize> = if little {
        (0..size).collect()
    } else {
        (0..size).rev().collect()
    };
    for i in idx {
        if let Some(b) = out.get_mut(i) {
            *b = (v & 0xff) as u8;
        }
        v = v.checked_shr(8).unwrap_or(0);
    }
    out
}

fn structlib(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        func(lua, |lua, a| {
            let fmt = check_bytes(&a, 0, "pack")?;
            let mut h = StructFmt::new(&fmt);
            let mut out: Vec<u8> = Vec::new();
            let mut arg = 1;
            while let Some(&opt) = h.f.get(h.pos) {
                h.pos += 1;
                let mut size = h.size(opt)?;
                let pad = h.to_align(out.len(), opt, size);
                out.resize(out.len() + pad, 0);
                match opt {
                    b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                        let n = check_number(&a, arg, "pack")?;
                        arg += 1;
                        out.extend(int_bytes(n, size, h.little));
                    }
                    b'x' => out.push(0),
                    b'f' => {
                        let f = check_number(&a, arg, "pack")? as f32;
                        arg += 1;
                        out.extend(if h.little {
                            f.to_le_bytes()
                        } else {
                            f.to_be_bytes()
                        });
                    }
                    b'd' => {
                        let d = check_number(&a, arg, "pack")?;
                        arg += 1;
                        out.extend(if h.little {
                            d.to_le_bytes()
                        } else {
                            d.to_be_bytes()
                        });
                    }
                    b'c' | b's' => {
                        let s = check_bytes(&a, arg, "pack")?;
                        arg += 1;
                        if size == 0 {
                            size = s.len();
                        }
                        if s.len() < size {
                            return Err(format!(
                                "bad argument #{} to 'pack' (string too short)",
                                arg
                            ));
                        }
                        out.extend_from_slice(s.get(..size).unwrap_or_default());
                        if opt == b's' {
                            out.push(0);
                        }
                    }
                    _ => h.control(opt, "pack")?,
                }
            }
            Ok(vec![str_value(lua, &out)?])
        })?,
    )?;
    t.raw_set(
        "unpack",
        func(lua, |lua, a| {
            let fmt = check_bytes(&a, 0, "unpack")?;
            let data = check_bytes(&a, 1, "unpack")?;
            let init = number(a.get(2)).unwrap_or(1.0) as i64;
            if init <= 0 {
                return Err("bad argument #3 to 'unpack' (offset must be 1 or greater)".into());
            }
            let mut pos = usize::try_from(init - 1).unwrap_or(usize::MAX);
            let mut h = StructFmt::new(&fmt);
            let mut out: Vec<Value> = Vec::new();
            let short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
            while let Some(&opt) = h.f.get(h.pos) {
                h.pos += 1;
                let mut size = h.size(opt)?;
                pos = pos.saturating_add(h.to_align(pos, opt, size));
                if size > data.len() || pos > data.len() - size {
                    return Err(short());
                }
                match opt {
                    b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                        let bytes = data.get(pos..pos + size).ok_or_else(short)?;
                        let mut l: u64 = 0;
                        let iter: Box<dyn Iterator<Item = &u8>> = if h.little {
                            Box::new(bytes.iter().rev())
                        } else {
                            Box::new(bytes.iter())
                        };
                        for &b in iter {
                            l = l.checked_shl(8).unwrap_or(0) | u64::from(b);
                        }
                        let v = if opt.is_ascii_lowercase() && size > 0 && size < 8 {
                            let shift = 64 - size * 8;
                            ((l << shift) as i64 >> shift) as f64
                        } else if opt.is_ascii_lowercase() {
                            l as i64 as f64
                        } else {
                            l as f64
                        };
                        out.push(Value::Number(v));
                    }
                    b'x' => {}
                    b'f' => {
                        let b: [u8; 4] = data
                            .get(pos..pos + 4)
                            .and_then(|b| b.try_into().ok())
                            .ok_or_else(short)?;
                        let f = if h.little {
                            f32::from_le_bytes(b)
                        } else {
                            f32::from_be_bytes(b)
                        };
                        out.push(Value::Number(f64::from(f)));
                    }
                    b'd' => {
                        let b: [u8; 8] = data
                            .get(pos..pos + 8)
                            .and_then(|b| b.try_into().ok())
                            .ok_or_else(short)?;
                        let d = if h.little {
                            f64::from_le_bytes(b)
                        } else {
                            f64::from_be_bytes(b)
                        };
                        out.push(Value::Number(d));
                    }
                    b'c' => {
                        if size == 0 {
                            let prev = match out.pop() {
                                Some(Value::Number(n)) => n,
                                Some(Value::Integer(i)) => i as f64,
                                _ => return Err("format 'c0' needs a previous size".into()),
                            };
                            size = prev as usize;
                            if size > data.len() || pos > data.len() - size {
                                return Err(short());
                            }
                        }
                        out.push(str_value(
                            lua,
                            data.get(pos..pos + size).ok_or_else(short)?,
                        )?);
                    }
                    b's' => {
                        let rest = data.get(pos..).unwrap_or_default();
                        let end = rest
                            .iter()
                            .position(|&b| b == 0)
                            .ok_or("unfinished string in data")?;
                        size = end + 1;
                        out.push(str_value(lua, rest.get(..end).unwrap_or_default())?);
                    }
                    _ => h.control(opt, "unpack")?,
                }
                pos += size;
            }
            out.push(Value::Number((pos + 1) as f64));
            Ok(out)
        })?,
    )?;
    t.raw_set(
        "size",
        func(lua, |_, a| {
            let fmt = check_bytes(&a, 0, "size")?;
            let mut h = StructFmt::new(&fmt);
            let mut pos = 0usize;
            while let Some(&opt) = h.f.get(h.pos) {
                h.pos += 1;
                let size = h.size(opt)?;
                pos += h.to_align(pos, opt, size);
                if opt == b's' {
                    return Err("bad argument #1 to 'size' (option 's' has no fixed size)".into());
                }
                if opt == b'c' && size == 0 {
                    return Err("bad argument #1 to 'size' (option 'c0' has no fixed size)".into());
                }
                if !opt.is_ascii_alphanumeric() {
                    h.control(opt, "size")?;
                }
                pos += size;
            }
            Ok(vec![Value::Number(pos as f64)])
        })?,
    )?;
    Ok(t)
}
