-- Runs Argo CD resource customization scripts the way Argo CD does, as closely as plain Lua
-- 5.1 allows: each script is a chunk run with only what Argo CD's VM opens (the base library,
-- table, and an os with only time and date; no string, math or io library, and so no string
-- methods either), with the resource in the global `obj`.
--
-- Usage: lua5.1 sandbox.lua CASES_FILE
-- CASES_FILE is a Lua chunk returning a list of {id = ..., script = PATH, obj = TABLE}. Prints
-- one line per case: "<id>\t<result as JSON>" or "<id>\tERROR\t<message>".

local string_format, string_byte, string_gsub = string.format, string.byte, string.gsub
local table_concat, table_sort = table.concat, table.sort

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

local function escape(s)
  return '"' .. string_gsub(s, '[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return named[c] or string_format("\\u%04x", string_byte(c))
  end) .. '"'
end

-- A table with keys 1..n and nothing else is an array; an empty table is an object.
local function encode(value)
  local kind = type(value)
  if kind == "nil" then return "null" end
  if kind == "boolean" then return tostring(value) end
  if kind == "number" then
    if value == math.floor(value) and value > -1e15 and value < 1e15 then return string_format("%d", value) end
    return string_format("%.17g", value)
  end
  if kind == "string" then return escape(value) end
  if kind ~= "table" then error("cannot encode a " .. kind) end
  local count, max = 0, 0
  for k in pairs(value) do
    count = count + 1
    if type(k) == "number" and k >= 1 and k == math.floor(k) and k > max then max = k end
  end
  local parts = {}
  if count > 0 and max == count then
    for i = 1, count do parts[i] = encode(value[i]) end
    return "[" .. table_concat(parts, ",") .. "]"
  end
  local entries = {}
  for k, v in pairs(value) do entries[#entries + 1] = { key = tostring(k), value = v } end
  table_sort(entries, function(a, b) return a.key < b.key end)
  for i, entry in ipairs(entries) do parts[i] = escape(entry.key) .. ":" .. encode(entry.value) end
  return "{" .. table_concat(parts, ",") .. "}"
end

local BASE = {
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget",
  "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION",
}

local function sandbox(obj)
  local env = {}
  for _, name in ipairs(BASE) do env[name] = _G[name] end
  env.table = { concat = table.concat, insert = table.insert, maxn = table.maxn, remove = table.remove, sort = table.sort }
  env.os = { time = os.time, date = os.date }
  env.obj = obj
  env._G = env
  return env
end

local cases = dofile(arg[1])
local stringMeta = getmetatable("")
for _, case in ipairs(cases) do
  local chunk, loadError = loadstring(read(case.script), "=" .. case.script)
  local ok, result
  if not chunk then
    ok, result = false, loadError
  else
    setfenv(chunk, sandbox(case.obj))
    -- Without Argo CD's string library, ("x"):upper() fails there: make it fail here too.
    local stringIndex = stringMeta.__index
    stringMeta.__index = nil
    ok, result = pcall(chunk)
    stringMeta.__index = stringIndex
  end
  if ok then
    print(case.id .. "\t" .. encode(result))
  else
    print(case.id .. "\tERROR\t" .. string_gsub(tostring(result), "\n", " "))
  end
end
