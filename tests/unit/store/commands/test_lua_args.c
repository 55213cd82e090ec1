/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of lua_args.c on functions compiled by the Lua 5.1 the server
 * runs. lua_engine_fn_keeps_args: which functions may keep or change the
 * keys and args tables FCALL calls them with; every way a table can leave
 * the function's two registers says "may", only reads in place say
 * "cannot". lua_engine_chunk_sets_global: which EVAL scripts may assign a
 * global, in their chunk or any function nested in it.
 */
#include <criterion/criterion.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "commands/script.h"

/* The verdict on the function chunk returns. */
static bool keeps(const char *chunk)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    cr_assert_eq(luaL_loadstring(L, chunk), 0, "%s", chunk);
    lua_call(L, 0, 1);
    cr_assert(lua_isfunction(L, -1), "%s", chunk);
    bool k = lua_engine_fn_keeps_args(L);
    cr_assert_eq(lua_gettop(L), 1, "the stack is left as found");
    lua_close(L);
    return k;
}

/* Each chunk returns the function judged. */
static const struct {
    const char *chunk;
    bool keeps;
} cases[] = {
    /* Reads in place: the tables cannot leave. */
    /* benchmarks/vs_redis/lua.py's two functions */
    {"return function(keys, args)\n"
     "  local c = redis.call('INCR', keys[1])\n"
     "  local ttl = redis.call('PTTL', keys[1])\n"
     "  if ttl < 0 then redis.call('PEXPIRE', keys[1], args[1]) end\n"
     "  if c > tonumber(args[2]) then return 0 end\n"
     "  return c\n"
     "end", false},
    {"return function(keys)\n"
     "  local r = {}\n"
     "  for i = 1, 10 do r[i] = redis.call('HGET', keys[1], 'f' .. i) end\n"
     "  return r\n"
     "end", false},
    {"return function() return 1 end", false},
    {"return function(k, a) if k and a then return #k * 10 + #a end end", false},
    {"return function(k, a) for i = 1, #k do local x = k[i] end return k[1] == a[1] end", false},
    {"return function(k, a, b) b = k[1] return b end", false},
    {"local t = {} return function(k, a) t[k[1]] = a[2] return t[a[1]] end", false},
    /* Every way out, or a function whose bytecode is not read. */
    {"local s return function(k, a) s = k end", true},
    {"local s return function(k, a) s = a end", true},
    {"local t = {} return function(k, a) t[1] = a end", true},
    {"local t = {} return function(k, a) t[a] = 1 end", true},
    {"return function(k, a) return k end", true},
    {"return function(k, a) return 1, a end", true},
    {"return function(k, a) k[2] = 'x' end", true},
    {"return function(k, a) a.y = 1 end", true},
    {"return function(k, a) return function() return k end end", true},
    {"return function(k, a) local x = k return x[1] end", true},
    {"return function(k, a) return rawget(k, 1) end", true},
    {"return function(k, a) table.insert(a, 'x') end", true},
    {"return function(k, a) setmetatable(k, {}) end", true},
    {"return function(k, a) return k:foo() end", true},
    {"return function(k, a) return k .. 'x' end", true},
    {"return function(k, a) return a + 1 end", true},
    {"return function(k, a) return k == a end", true},
    {"return function(k, a) return not k end", true},
    {"return function(k, a) local t = {k, a} return t end", true},
    {"return function(k, a) local t = {k = k} return t end", true},
    {"return function(k, a) k = {} return k end", true},
    {"return function(...) local k = ... return k[1] end", true},
    {"return rawset", true},
};

Test(lua_args, verdicts)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(keeps(cases[i].chunk), cases[i].keeps, "%s", cases[i].chunk);
}

/* The verdict of lua_engine_chunk_sets_global on the script body. */
static bool sets_global(const char *body)
{
    lua_State *L = luaL_newstate();
    cr_assert_eq(luaL_loadstring(L, body), 0, "%s", body);
    bool k = lua_engine_chunk_sets_global(L);
    cr_assert_eq(lua_gettop(L), 1, "the stack is left as found");
    lua_close(L);
    return k;
}

static const struct {
    const char *body;
    bool sets;
} scripts[] = {
    /* benchmarks/vs_redis/lua.py's two scripts */
    {"local c = redis.call('INCR', KEYS[1])\n"
     "local ttl = redis.call('PTTL', KEYS[1])\n"
     "if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end\n"
     "if c > tonumber(ARGV[2]) then return 0 end\n"
     "return c", false},
    {"local r = {}\n"
     "for i = 1, 10 do r[i] = redis.call('HGET', KEYS[1], 'f' .. i) end\n"
     "return r", false},
    {"return 1", false},
    /* Changing tables, locals of global names: no SETGLOBAL. */
    {"KEYS[1] = 'x' ARGV.y = 2 table.insert(KEYS, 1) _G.x = 1 return #KEYS", false},
    {"local KEYS = {} KEYS = {1} local redis = 2 return KEYS", false},
    {"local t = KEYS t[1] = 'x' local function f(k) return k end return f(ARGV)", false},
    /* Every kind of constant, nested functions, locals and upvalues to
     * step over. */
    {"local a, b, c, d = nil, true, false, 1.5\n"
     "local function f(x, ...)\n"
     "  local y = {x, 'KEYS', 2^40, b}\n"
     "  return function() d = 'ARGV' return y, a, c end\n"
     "end\n"
     "return f(KEYS, ARGV)", false},
    /* Assignments, in the chunk or nested at any depth. */
    {"KEYS = {}", true},
    {"ARGV = nil", true},
    {"x, y = 1, 2", true},
    {"function f() end", true},
    {"local a, b = nil, true local function f() local function g() other = {} end end", true},
    {"local t = {1.5, 'KEYS', false} return function(...) return function() t2 = t end end",
     true},
};

Test(lua_args, chunk_sets_global)
{
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        cr_expect_eq(sets_global(scripts[i].body), scripts[i].sets, "%s", scripts[i].body);
}
