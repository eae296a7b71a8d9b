//! Conversions between command replies and Lua values, as Redis 7.0's
//! `redisProtocolToLuaType` and `luaReplyToRedisReply` do them, for a
//! script speaking RESP2 (the default) or RESP3 (`redis.setresp(3)`).

use crate::Reply;
use crate::cmd::{format_g17, format_human};
use crate::errors::WOULD_BLOCK;
use bytes::Bytes;
use mlua::{Lua, Table, Value};

/// Deeper than this a reply (or a returned table) is cut: Redis hits its
/// Lua stack limit around here, and a cyclic table must not recurse forever.
const MAX_DEPTH: usize = 500;

/// The text of Redis's error table for `text` (`luaPushErrorBuff`): a
/// `-CODE msg` keeps its code, anything else gets `ERR`; trailing CR/LF
/// are trimmed.
pub(super) fn error_text(text: &str) -> String {
    let (code, msg) = match text.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", text),
    };
    format!("{code} {}", msg.trim_matches(|c| c == '\r' || c == '\n'))
}

/// `{err = text}`.
pub(super) fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", text)?;
    Ok(t)
}

/// The error table of a command's error reply, or of a command refused by
/// the script checks: Redis marks it so the error is not counted twice
/// in its stats, and scripts can see the field.
pub(super) fn command_error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let t = error_table(lua, text)?;
    t.raw_set("ignore_error_stats_update", true)?;
    Ok(t)
}

fn single(lua: &Lua, field: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(field, v)?;
    Ok(Value::Table(t))
}

/// A command's reply as the script sees it; `true` with it when the reply
/// is an error (redis.call raises it, redis.pcall returns it).
pub(super) fn reply_to_lua(lua: &Lua, r: &Reply, resp3: bool) -> mlua::Result<(bool, Value)> {
    match r {
        Reply::Error(e) if e == WOULD_BLOCK => Ok((false, null(resp3))),
        // A command's error reply is `-<text>`: its code is kept.
        Reply::Error(e) => Ok((
            true,
            Value::Table(command_error_table(lua, &error_text(&format!("-{e}")))?),
        )),
        other => Ok((false, to_lua(lua, other, resp3, 0)?)),
    }
}

fn null(resp3: bool) -> Value {
    if resp3 {
        Value::Nil
    } else {
        Value::Boolean(false)
    }
}

fn to_lua(lua: &Lua, r: &Reply, resp3: bool, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Ok(Value::Table(error_table(
            lua,
            "ERR reached lua stack limit",
        )?));
    }
    let d = depth + 1;
    Ok(match r {
        Reply::Simple(s) => single(lua, "ok", s.as_str())?,
        Reply::Error(e) if e == WOULD_BLOCK => null(resp3),
        Reply::Error(e) => Value::Table(command_error_table(lua, &error_text(&format!("-{e}")))?),
        Reply::Integer(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray => null(resp3),
        Reply::Array(items) | Reply::Set(items) if !resp3 => seq(lua, items.iter(), d, resp3)?,
        Reply::Array(items) => seq(lua, items.iter(), d, resp3)?,
        Reply::Set(items) => {
            let t = lua.create_table_with_capacity(0, items.len())?;
            for it in items {
                t.raw_set(to_lua(lua, it, resp3, d)?, true)?;
            }
            single(lua, "set", t)?
        }
        Reply::Double(x) if resp3 => single(lua, "double", *x)?,
        Reply::Double(x) => Value::String(lua.create_string(format_g17(*x))?),
        Reply::HumanDouble(x) if resp3 => single(lua, "double", *x)?,
        Reply::HumanDouble(x) => Value::String(lua.create_string(format_human(*x))?),
        Reply::Map(pairs) | Reply::PairMap(pairs) if resp3 => {
            let t = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                t.raw_set(to_lua(lua, k, resp3, d)?, to_lua(lua, v, resp3, d)?)?;
            }
            single(lua, "map", t)?
        }
        Reply::Map(pairs) | Reply::Pairs(pairs) if !resp3 => {
            seq(lua, pairs.iter().flat_map(|(k, v)| [k, v]), d, resp3)?
        }
        Reply::PairMap(pairs) | Reply::Pairs(pairs) => {
            let t = lua.create_table_with_capacity(pairs.len(), 0)?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                let p = lua
                    .create_sequence_from([to_lua(lua, k, resp3, d)?, to_lua(lua, v, resp3, d)?])?;
                t.raw_set(i + 1, p)?;
            }
            Value::Table(t)
        }
        Reply::Map(_) => unreachable_map(lua)?,
        Reply::Bool(b) if resp3 => Value::Boolean(*b),
        Reply::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Reply::Verbatim(s) if resp3 => {
            let v = lua.create_table()?;
            v.raw_set("string", s.as_str())?;
            v.raw_set("format", "txt")?;
            single(lua, "verbatim_string", v)?
        }
        Reply::Verbatim(s) => Value::String(lua.create_string(s)?),
        Reply::Encoded(_) => Value::Table(error_table(
            lua,
            "ERR internal error: an encoded reply reached a script",
        )?),
    })
}

/// Keeps the match exhaustive without a panic: every Map case is above.
fn unreachable_map(lua: &Lua) -> mlua::Result<Value> {
    Ok(Value::Table(lua.create_table()?))
}

fn seq<'a>(
    lua: &Lua,
    items: impl Iterator<Item = &'a Reply>,
    depth: usize,
    resp3: bool,
) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    // raw_set by index, not create_sequence_from: a nil element (RESP3
    // null) must leave a hole at its own index as Redis's lua_settable does.
    for (i, it) in items.enumerate() {
        t.raw_set(i + 1, to_lua(lua, it, resp3, depth)?)?;
    }
    Ok(Value::Table(t))
}

/// CR and LF become spaces so the text stays one protocol line (Redis's
/// `sdsmapchars` on status replies, `addReplyErrorFormat` on errors).
pub(super) fn one_line(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// A script's return value as the client's reply (`luaReplyToRedisReply`).
pub(super) fn lua_to_reply(v: &Value, resp3: bool) -> Reply {
    to_reply(v, resp3, 0)
}

fn to_reply(v: &Value, resp3: bool, depth: usize) -> Reply {
    if depth > MAX_DEPTH {
        return Reply::err("ERR reached lua stack limit");
    }
    match v {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(i) => Reply::Integer(*i),
        Value::Number(n) => Reply::Integer(*n as i64),
        Value::Table(t) => table_to_reply(t, resp3, depth),
        _ => Reply::Nil,
    }
}

fn table_to_reply(t: &Table, resp3: bool, depth: usize) -> Reply {
    let d = depth + 1;
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        return Reply::Error(one_line(&e.as_bytes()));
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        return Reply::Simple(one_line(&s.as_bytes()));
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(n)) => return Reply::Double(n),
        Ok(Value::Integer(i)) => return Reply::Double(i as f64),
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        // corekv has no RESP3 big number: its digits as a bulk string,
        // what a RESP2 client gets from Redis.
        return Reply::Bulk(Bytes::from(one_line(&s.as_bytes()).into_bytes()));
    }
    if let Ok(Value::Table(v)) = t.raw_get::<Value>("verbatim_string")
        && let (Ok(Value::String(_)), Ok(Value::String(s))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
    {
        return Reply::Verbatim(String::from_utf8_lossy(&s.as_bytes()).into_owned());
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let mut out = Vec::new();
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            out.push((to_reply(&k, resp3, d), to_reply(&v, resp3, d)));
        }
        return Reply::Map(out);
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let out = s
            .pairs::<Value, Value>()
            .flatten()
            .map(|(k, _)| to_reply(&k, resp3, d))
            .collect();
        return Reply::Set(out);
    }
    let mut out = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => out.push(to_reply(&v, resp3, d)),
        }
    }
    Reply::Array(out)
}
