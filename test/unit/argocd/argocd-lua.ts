// Runs Argo CD resource customizations (argocd/<group>/<Kind>/) under a real Lua interpreter (lua5.4;
// .ci/run installs it) the way Argo CD calls them:
//   - the object is the global `obj`, JSON turned into Lua tables (arrays as sequences, null as absent);
//   - the script's return value is read back as JSON (an empty table reads as [], as gopher-json encodes it);
//   - only the libraries Argo CD opens for argocd-cm scripts: base, table, and a safe `os` (time and date
//     only, also through require("os")). No string, math, io or debug library, and no string methods:
//     Argo CD runs argocd-cm scripts without the string library unless useOpenLibs is set.
// The clock is fixed (os.date/os.time without an argument read FIXED_TIME) so action outputs are exact.
import { execFileSync } from 'node:child_process';

const LUA = process.env.LUA ?? 'lua5.4';
export const FIXED_TIME = '2026-01-02T03:04:05Z';

/** toLua writes a JSON value as a Lua table constructor. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are valid Lua escapes for this data
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

const PRELUDE = `
local S, T, realdate, realtime = string, table, os.date, os.time
local FIXED = ${Math.floor(Date.parse(FIXED_TIME) / 1000)}
local safeos = {
  date = function(f, t) return realdate(f, t or FIXED) end,
  time = function(t) if t == nil then return FIXED end return realtime(t) end,
}
local function env(o)
  return {
    obj = o, os = safeos, table = T,
    require = function(name) if name == "os" then return safeos end error("module " .. tostring(name) .. " is not available in Argo CD") end,
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall, print = print,
    rawequal = rawequal, rawget = rawget, rawset = rawset, select = select, setmetatable = setmetatable,
    getmetatable = getmetatable, tonumber = tonumber, tostring = tostring, type = type, unpack = T.unpack, xpcall = xpcall,
  }
end
local function isArray(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end
local function encode(v)
  local kind = type(v)
  if v == nil then return "null" end
  if kind == "boolean" or kind == "number" then return tostring(v) end
  if kind == "string" then
    return '"' .. S.gsub(v, '[%c"\\\\]', function(c) return S.format("\\\\u%04x", S.byte(c)) end) .. '"'
  end
  if kind ~= "table" then return '"<' .. kind .. '>"' end
  if next(v) == nil then return "[]" end
  local parts = {}
  if isArray(v) then
    for _, x in ipairs(v) do parts[#parts + 1] = encode(x) end
    return "[" .. T.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  T.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = encode(k) .. ":" .. encode(v[k]) end
  return "{" .. T.concat(parts, ",") .. "}"
end
local stringMethods = getmetatable("").__index
local function run(path, o)
  local chunk, err = loadfile(path, "t", env(o))
  if chunk == nil then io.write(encode({ error = err }), "\\n") return end
  getmetatable("").__index = nil
  local ok, res = pcall(chunk)
  getmetatable("").__index = stringMethods
  if ok then io.write(encode({ result = res }), "\\n") else io.write(encode({ error = tostring(res) }), "\\n") end
end
`;

export interface LuaOutcome {
  result?: unknown;
  error?: string;
}

/** runLua evaluates each script against its object, all in one interpreter, in order. */
export function runLua(calls: Array<{ script: string; obj: unknown }>): LuaOutcome[] {
  const program = PRELUDE + calls.map((c) => `run(${JSON.stringify(c.script)}, ${toLua(c.obj)})`).join('\n');
  let out: string;
  try {
    out = execFileSync(LUA, ['-'], { input: program, encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch (err) {
    throw new Error(`could not run ${LUA} (install it: apt-get install -y lua5.4, as .ci/run does): ${(err as Error).message}`);
  }
  return out
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as LuaOutcome);
}

/** asReturned is a JSON value as it comes back from Lua: empty objects read as empty arrays. */
export function asReturned(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(asReturned);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
    if (entries.length === 0) return [];
    return Object.fromEntries(entries.map(([k, v]) => [k, asReturned(v)]));
  }
  return value;
}
