-- corekv's Lua-side plumbing, run once per VM before the sandbox closes.
-- Its frames are skipped when an error's position is reported (source
-- "=[corekv]"), so errors point at the user's script as Redis's do.
local P, G, real_redis, load_redis = ...
local dbg = debug
local error, type, tostring, rawget, rawset, setmetatable =
      error, type, tostring, rawget, rawset, setmetatable
local rawpcall, rawxpcall = pcall, xpcall
local cocreate, coresume = coroutine.create, coroutine.resume

local RO = 'Attempt to modify a readonly table'
local protected = setmetatable({}, {__mode = 'k'})
local function ro_newindex() error(RO, 2) end
local function missing(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

-- Redis's __redis__err__handler: an error becomes {err=...} with the
-- source and line of the user code that raised it.
local function handler(err)
  local lvl = 2
  local i = dbg.getinfo(lvl, 'nSl')
  while i and (i.what == 'C' or i.source == '=[corekv]') do
    lvl = lvl + 1
    i = dbg.getinfo(lvl, 'nSl')
  end
  if type(err) == 'userdata' then err = P.unwrap(err) end
  -- A read-only table raised as the error is copied, never written.
  if type(err) ~= 'table' or protected[err] then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    rawset(err, 'source', i.source)
    rawset(err, 'line', i.currentline)
  end
  return err
end

-- After SCRIPT KILL the script must not catch the kill error.
local function rethrow_if_killed(e)
  if rawget(P, 'killed') then error(e, 0) end
end

P.run_eval = function(f) return rawxpcall(f, handler) end
P.run_function = function(f, keys, args)
  return rawxpcall(function() return f(keys, args) end, handler)
end
P.run_load = function(f) return rawpcall(f) end

-- A read-only view of `real` (Redis 7 makes every table reachable from
-- the globals read-only; a proxy is Lua 5.1's way).
P.readonly = function(real, strict)
  local proxy = {}
  setmetatable(proxy, {
    __index = strict and function(_, k)
      local v = real[k]
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end or real,
    __newindex = ro_newindex,
    __metatable = false,
  })
  protected[proxy] = true
  return proxy
end

P.library_env = function()
  local env = {}
  local mt = {__index = P.load_api, __newindex = ro_newindex, __metatable = false}
  setmetatable(env, mt)
  protected[env] = true
  return env, mt
end

-- redis.pcall: P.raw_call is set by the engine for each run (redis.call
-- is a Rust function, so that `return redis.call(...)` keeps the
-- script's frame for the error position, as Redis's C function does).
real_redis.pcall = function(...)
  local _, v = P.raw_call(...)
  return v
end

-- Redis 7's pcall turns an error table into its message, for scripts
-- written for Redis 6.
local function fix_pcall(ok, ...)
  if ok then return ok, ... end
  local e = ...
  rethrow_if_killed(e)
  if type(e) == 'userdata' then e = P.unwrap(e) end
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
G.pcall = function(f, ...) return fix_pcall(rawpcall(f, ...)) end
local function fix_xpcall(ok, ...)
  if not ok then rethrow_if_killed((...)) end
  return ok, ...
end
G.xpcall = function(f, h) return fix_xpcall(rawxpcall(f, h)) end
local function fix_resume(ok, ...)
  if not ok then rethrow_if_killed((...)) end
  return ok, ...
end
-- Redis's patched VM refuses these in C, without a position.
G.rawset = function(t, k, v)
  if protected[t] or t == G then error(RO, 0) end
  return rawset(t, k, v)
end
G.setmetatable = function(t, mt)
  if protected[t] or t == G then error(RO, 0) end
  return setmetatable(t, mt)
end
local co = {}
for k, v in pairs(coroutine) do co[k] = v end
co.resume = function(c, ...) return fix_resume(coresume(c, ...)) end
local cowrap = coroutine.wrap
co.create = function(f)
  if type(f) ~= 'function' then return cocreate(f) end
  return cocreate(function(...) P.hook_current() return f(...) end)
end
co.wrap = function(f)
  if type(f) ~= 'function' then return cowrap(f) end
  return cowrap(function(...) P.hook_current() return f(...) end)
end
coroutine = co

-- Strings' metatable shows the read-only string library, never the
-- real one (which every script shares).
P.seal_string = function(string_proxy)
  getmetatable('').__metatable = P.readonly({__index = string_proxy}, false)
end
protected[G] = true
P.ro_newindex = ro_newindex
P.missing = missing
