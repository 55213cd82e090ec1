/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The Lua engine of EVAL (script.h): Debian's Lua 5.1 interpreter (the
 * language and the pairs() order Redis scripts see), its libraries (base,
 * table, string, math, os.clock, Debian's lua-cjson and lua-bitop, our
 * struct and cmsgpack: lua_libs.h), Redis 7.4's sandbox and its redis.*
 * API.
 *
 * Sandbox. Redis patches its Lua with read-only tables; Debian's Lua is
 * unpatched, so the same texts come from proxies: the globals a script sees
 * are an empty table P whose metatable reads through to the real globals G
 * and refuses writes ("Attempt to modify a readonly table"); G's metatable
 * refuses reads of what it lacks ("Script attempted to access nonexistent
 * global variable"). Each library table is behind a proxy of its own;
 * rawset, setmetatable and table.insert refuse proxies, so nothing a
 * script does leaks into the next one, and next, pairs and rawget see
 * through them, as Redis's read-only tables are the tables themselves
 * ("The sandbox's base functions"). KEYS and ARGV are written into G
 * directly. A script that assigns no global runs in E instead of P: a copy
 * of G behind P's metatable, where it reads a global in one lookup instead
 * of three ("EVAL's environment").
 *
 * Stack. The main thread keeps the error handler at index 1 for its whole
 * life (G is in the registry); a run pushes the function, calls it with
 * the handler and converts the one value it returns. Redis's stack holds
 * the same, so a deeply nested return value meets Lua's stack limit at
 * the same depth.
 *
 * redis.call runs a command through the command table (cmd_lookup,
 * cmd_call) on the engine's own session, which starts each run in the
 * caller's database, with the caller's clock reading; blocking commands
 * act as their non-blocking forms (in_exec). Its reply is written in the
 * script's protocol (redis.setresp) to a scratch output and read back with
 * resp_read_item into Lua values as Redis does.
 *
 * Memory: the interpreter allocates with libc, not mem.h (whose failures
 * abort), under a cap (maxmemory, or 1 GiB without it): a script past it
 * gets Lua's "not enough memory" error and the server lives on. Garbage is
 * left to Lua's incremental collector, paced by what scripts allocate.
 * Redis adds a 50 KB step every 50 runs (LUA_GC_CYCLE_PERIOD), which for
 * small scripts amounts to a full cycle over the libraries and the cached
 * scripts every 50 runs: 9% of a rate limiter's server CPU here.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands/acl.h"
#include "commands/lua_libs.h"
#include "commands/script.h"
#include "commands/persist.h"
#include "commands/tracking.h"
#include "ds/mem.h"
#include "ds/sha.h"
#include "resp_num.h"
#include "resp_reader.h"

#define LUA_DEFAULT_CAP (1ULL << 30)

enum { HANDLER_IDX = 1 };

/* The fields a returned table is looked up for (reply_table) and the
 * globals every EVAL sets, interned once and kept in the registry: naming
 * them by C string would hash and intern each name again for every run. */
enum reply_field { F_ERR, F_OK, F_DOUBLE, F_BIG_NUMBER, F_VERBATIM, F_FORMAT, F_STRING, F_MAP,
                   F_SET, F_KEYS, F_ARGV, NFIELDS };
static const char *const field_names[NFIELDS] = {
    "err", "ok", "double", "big_number", "verbatim_string", "format", "string", "map", "set",
    "KEYS", "ARGV",
};

/* The tables push_kv_table fills again: EVAL's globals, FCALL's arguments. */
enum kv_table { KV_KEYS, KV_ARGV, KV_FN_KEYS, KV_FN_ARGS, KV_NTABLES };

/* A command name redis.call looked up (lookup_cmd): where its bytes were,
 * a copy of them, what they name. */
enum { NAME_MEMOS = 16, NAME_MEMO_LEN = 23 };
struct name_memo {
    const char *p;
    const struct cmd_def *d;
    uint8_t len;
    char name[NAME_MEMO_LEN];
};

struct lua_engine {
    lua_State *L;
    int g_ref; /* the real globals G, in the registry */
    struct store *st;
    size_t bytes, cap;      /* what the interpreter holds, the most it may */
    struct session ls;      /* redis.call's client: database, flags */
    struct resp_out scratch; /* redis.call's reply, in the script's protocol */
    const struct script_run *run; /* NULL between runs */
    /* The run's start (rs_mono_us); whether it passed busy-reply-threshold
     * (st->script_busy set), ran a write command (SCRIPT KILL refuses
     * then), was killed (its hook raises the error at every line since). */
    int64_t start_us;
    bool timed_out, wrote, killed;
    char *flat;             /* scratch replies made contiguous */
    size_t flat_cap;
    struct rs_str *argv;    /* redis.call's arguments */
    char (*nums)[RESP_D_STR_SIZE]; /* numbers among them, formatted */
    int argv_cap;
    int field_ref[NFIELDS]; /* field_names, in the registry */
    /* EVAL's KEYS and ARGV, and the keys and args of FCALLs of functions
     * that cannot keep them, filled again run after run (push_kv_table):
     * the tables in the registry (LUA_NOREF: make new ones), how many
     * entries each holds, and whether a script reached a place where a
     * table could outlive its run, which ends EVAL's reuse for good. */
    int kv_ref[KV_NTABLES];
    int kv_len[KV_NTABLES]; /* the number of entries, the size of the array part */
    bool kv_never;
    bool kv_dirty; /* the run gave one of them a key (kv_newindex) */
    /* A script replaced the main thread's globals (setfenv(0, t)): P is
     * put back after the run, so t reaches no later script's chunk or
     * loadstring (Redis's scripts all fail after it, until SCRIPT FLUSH). */
    bool globals_set;
    int kv_mt_ref; /* their metatable */
    int env_ref;   /* E, the environment of scripts that assign no global */
    struct name_memo names[NAME_MEMOS]; /* lookup_cmd's */
};

/* ------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------ */

/* Redis's double2ll: d as a long long when it is integral and well inside
 * the range (|d| <= LLONG_MAX / 2). */
static bool double_to_ll_exact(double d, long long *out)
{
    if (!(d >= (double)(-LLONG_MAX / 2) && d <= (double)(LLONG_MAX / 2)))
        return false;
    long long ll = (long long)d;
    if ((double)ll != d)
        return false;
    *out = ll;
    return true;
}

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct lua_engine *e = ud;
    if (nsize == 0) {
        free(ptr);
        e->bytes -= osize;
        return NULL;
    }
    /* Lua assumes a shrink never fails: only growth is refused. */
    if (nsize > osize && e->bytes + (nsize - osize) > e->cap)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    e->bytes = e->bytes - osize + nsize;
    return p;
}

size_t lua_engine_memory(const struct lua_engine *e)
{
    return e->bytes & ~(size_t)1023;
}

lua_State *lua_engine_state(struct lua_engine *e)
{
    return e->L;
}

/* ------------------------------------------------------------------------
 * Errors as Redis's Lua sees them
 * ------------------------------------------------------------------------ */

/* Push {err = "<CODE> <msg>"} as Redis's luaPushErrorBuff: a text starting
 * with '-' has its code up to the first space (ERR if none), any other
 * text gets ERR; CR and LF at the end are dropped. */
static void push_error(lua_State *L, const char *s, size_t n)
{
    const char *code = "ERR";
    size_t ncode = 3;
    if (n && s[0] == '-') {
        const char *sp = memchr(s, ' ', n);
        if (sp) {
            code = s + 1;
            ncode = (size_t)(sp - s - 1);
            n -= (size_t)(sp + 1 - s);
            s = sp + 1;
        } else {
            s++;
            n--;
        }
    }
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    while (n && (s[0] == '\r' || s[0] == '\n')) {
        s++;
        n--;
    }
    lua_createtable(L, 0, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, code, ncode);
    luaL_addchar(&b, ' ');
    luaL_addlstring(&b, s, n);
    luaL_pushresult(&b);
    lua_setfield(L, -2, "err");
}

/* An error of errors.def ("ERR ...") as an {err=} table. */
/* Push the error text as an {err=} table. */
static void push_error_text(lua_State *L, const char *text)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, text);
    lua_setfield(L, -2, "err");
}

static void push_rs_error(lua_State *L, enum rs_err why)
{
    push_error_text(L, rs_err_text[why]);
}

/* Raise an errors.def error as an {err=} table. */
static int raise_rs_error(lua_State *L, enum rs_err why)
{
    push_rs_error(L, why);
    return lua_error(L);
}

/* The message handler of every run: a string error becomes
 * {err = "ERR " .. tostring(err)}, and the table gets the source and line
 * of the Lua function that raised it (the caller of a C function that
 * raised it), as Redis's __redis__err__handler. Upvalue 1: tostring. */
static int error_handler(lua_State *L)
{
    lua_Debug ar;
    bool has = lua_getstack(L, 1, &ar) && lua_getinfo(L, "nSl", &ar);
    if (has && strcmp(ar.what, "C") == 0)
        has = lua_getstack(L, 2, &ar) && lua_getinfo(L, "nSl", &ar);
    if (!lua_istable(L, 1)) {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1);
        lua_pushliteral(L, "ERR ");
        lua_insert(L, -2);
        lua_concat(L, 2);
        lua_createtable(L, 0, 3);
        lua_insert(L, -2);
        lua_setfield(L, -2, "err");
        lua_replace(L, 1);
    }
    if (has) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, 1, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, 1, "line");
    }
    lua_settop(L, 1);
    return 1;
}

/* __index of the real globals: a read of a missing one. */
int lua_engine_no_global(lua_State *L)
{
    return luaL_error(L, rs_err_text[RS_ERR_LUA_NO_GLOBAL], lua_tostring(L, 2));
}

/* __newindex of a proxy: the error names the script's line, as Redis's
 * VM does for an assignment. */
static int readonly_error(lua_State *L)
{
    return luaL_error(L, "%s", rs_err_text[RS_ERR_LUA_READONLY]);
}

static bool is_proxy(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return false;
    lua_getfield(L, -1, "__newindex");
    bool ro = lua_tocfunction(L, -1) == readonly_error;
    lua_pop(L, 2);
    return ro;
}

static struct lua_engine *engine_of(lua_State *L);

/* getmetatable, hiding the proxies' metatables, which a script could
 * otherwise rewrite to make a library or the globals writable for every
 * later script. Redis's read-only tables have none of their own: a library
 * has no metatable, and _G's is a read-only view of the globals' own (its
 * __index the function that refuses unknown names). Upvalues: the original
 * getmetatable, P, that view. */
static int guarded_getmetatable(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) /* the string metatable, writable */
        engine_of(L)->kv_never = true;
    if (lua_istable(L, 1) && is_proxy(L, 1)) {
        if (lua_rawequal(L, 1, lua_upvalueindex(2)))
            lua_pushvalue(L, lua_upvalueindex(3));
        else
            lua_pushnil(L);
        return 1;
    }
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 1, 1);
    if (lua_rawequal(L, -1, lua_upvalueindex(4))) { /* KEYS's, ARGV's */
        lua_pop(L, 1);
        lua_pushnil(L);
    }
    return 1;
}

/* Replace the table at the top of the stack by a read-only proxy of it. */
void lua_engine_proxy(lua_State *L)
{
    lua_newtable(L);              /* t, P */
    lua_createtable(L, 0, 2);     /* t, P, mt */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);      /* t, P */
    lua_replace(L, -2);
}

/* ------------------------------------------------------------------------
 * RESP -> Lua (redis.call's reply), as Redis's redisProtocolToLuaType
 * ------------------------------------------------------------------------ */

static bool push_reply(lua_State *L, const char **pos, const char *end);

/* A table {name = <value at the top>}. */
static void wrap_field(lua_State *L, const char *name)
{
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, name);
}

static bool push_reply(lua_State *L, const char **pos, const char *end)
{
    struct resp_item it;
    if (!resp_read_item(pos, end, &it))
        return false;
    if (!lua_checkstack(L, 5))
        luaL_error(L, "%s", rs_err_text[RS_ERR_LUA_STACK]);
    switch (it.type) {
    case '$':
        lua_pushlstring(L, it.p, it.len);
        return true;
    case '+':
        lua_pushlstring(L, it.p, it.len);
        wrap_field(L, "ok");
        return true;
    case '-': {
        /* "-" and the text, as Redis hands it to luaPushErrorBuff. */
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addchar(&b, '-');
        luaL_addlstring(&b, it.p, it.len);
        luaL_pushresult(&b);
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        push_error(L, s, n);
        lua_remove(L, -2);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "ignore_error_stats_update");
        return true;
    }
    case ':':
        lua_pushnumber(L, (lua_Number)it.n);
        return true;
    case '_':
        /* RESP2's null bulk and null array are false, RESP3's null nil. */
        if (it.len == 0)
            lua_pushnil(L);
        else
            lua_pushboolean(L, 0);
        return true;
    case '#':
        lua_pushboolean(L, (int)it.n);
        return true;
    case ',': {
        char buf[64];
        size_t n = it.len < sizeof buf - 1 ? it.len : sizeof buf - 1;
        memcpy(buf, it.p, n);
        buf[n] = '\0';
        lua_pushnumber(L, strtod(buf, NULL));
        wrap_field(L, "double");
        return true;
    }
    case '(':
        lua_pushlstring(L, it.p, it.len);
        wrap_field(L, "big_number");
        return true;
    case '=':
        lua_createtable(L, 0, 2);
        lua_pushlstring(L, it.p, it.len >= 3 ? 3 : it.len);
        lua_setfield(L, -2, "format");
        lua_pushlstring(L, it.len > 4 ? it.p + 4 : "", it.len > 4 ? it.len - 4 : 0);
        lua_setfield(L, -2, "string");
        wrap_field(L, "verbatim_string");
        return true;
    case '*':
    case '>':
        lua_createtable(L, it.n > 64 ? 64 : (int)it.n, 0);
        for (long long i = 1; i <= it.n; i++) {
            if (!push_reply(L, pos, end))
                return false;
            lua_rawseti(L, -2, (int)i);
        }
        return true;
    case '%':
    case '~':
        lua_newtable(L);
        for (long long i = 0; i < it.n; i++) {
            if (!push_reply(L, pos, end))
                return false;
            if (it.type == '%') {
                if (!push_reply(L, pos, end))
                    return false;
            } else {
                lua_pushboolean(L, 1);
            }
            lua_settable(L, -3);
        }
        wrap_field(L, it.type == '%' ? "map" : "set");
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------------
 * Lua -> RESP (the script's return value), as Redis's luaReplyToRedisReply
 * ------------------------------------------------------------------------ */

static void reply_value(struct lua_engine *e, struct cmd_ctx *c);

/* The {err=} table at the top: "-<err>" and, raised, the place. */
static void reply_error_table(struct cmd_ctx *c, lua_State *L, const char *sha)
{
    /* The error of a command the script called: counted already (INFO
     * errorstats, total_error_replies) when that command failed. */
    lua_getfield(L, -1, "ignore_error_stats_update");
    bool counted = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "err");
    size_t n;
    const char *msg = lua_tolstring(L, -1, &n);
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, msg ? msg : "", msg ? n : 0);
    if (sha && lua_isstring(L, -1) && lua_isstring(L, -2)) {
        luaL_addstring(&b, " script: ");
        luaL_addstring(&b, sha);
        luaL_addstring(&b, ", on ");
        luaL_addstring(&b, lua_tostring(L, -2));
        luaL_addchar(&b, ':');
        luaL_addstring(&b, lua_tostring(L, -1));
        luaL_addchar(&b, '.');
    }
    luaL_pushresult(&b);
    const char *s = lua_tolstring(L, -1, &n);
    if (counted) {
        resp_add_error(c->out, s, n);
        c->failed = c->err_counted = true;
    } else {
        reply_error_bytes(c, s, n);
    }
    lua_pop(L, 4);
}

/* Push the name of field f. */
static void push_field_name(const struct lua_engine *e, enum reply_field f)
{
    lua_rawgeti(e->L, LUA_REGISTRYINDEX, e->field_ref[f]);
}

/* Field f of the table at the top, of the given type: pushed (true), or
 * nothing pushed. */
static bool field_of_type(const struct lua_engine *e, enum reply_field f, int type)
{
    lua_State *L = e->L;
    push_field_name(e, f);
    lua_rawget(L, -2);
    if (lua_type(L, -1) == type)
        return true;
    lua_pop(L, 1);
    return false;
}

/* Elements of the array at the top, up to its first nil. */
static long long array_len(lua_State *L)
{
    long long n = 0;
    for (;;) {
        lua_rawgeti(L, -1, (int)(n + 1));
        bool end = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (end)
            return n;
        n++;
    }
}

static long long pairs_count(lua_State *L)
{
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        n++;
    }
    return n;
}

/* A copy of the string at the top of L's stack with CR and LF made
 * spaces, as Redis writes a status or big number a script returned;
 * the caller frees it. */
static char *one_line_copy(lua_State *L, size_t *n)
{
    const char *s = lua_tolstring(L, -1, n);
    char *t = rs_memdup(s, *n);
    for (size_t i = 0; i < *n; i++)
        if (t[i] == '\r' || t[i] == '\n')
            t[i] = ' ';
    return t;
}

static void reply_table(struct lua_engine *e, struct cmd_ctx *c)
{
    lua_State *L = e->L;
    if (field_of_type(e, F_ERR, LUA_TSTRING)) {
        lua_pop(L, 1);
        reply_error_table(c, L, NULL);
        return;
    }
    if (field_of_type(e, F_OK, LUA_TSTRING)) {
        size_t n;
        char *t = one_line_copy(L, &n);
        resp_add_simple(c->out, t, n);
        rs_free(t);
        lua_pop(L, 1);
        return;
    }
    if (field_of_type(e, F_DOUBLE, LUA_TNUMBER)) {
        resp_add_double(c->out, lua_tonumber(L, -1));
        lua_pop(L, 1);
        return;
    }
    if (field_of_type(e, F_BIG_NUMBER, LUA_TSTRING)) {
        size_t n;
        char *t = one_line_copy(L, &n);
        resp_add_bignum(c->out, t, n);
        rs_free(t);
        lua_pop(L, 1);
        return;
    }
    if (field_of_type(e, F_VERBATIM, LUA_TTABLE)) {
        bool done = false;
        if (field_of_type(e, F_FORMAT, LUA_TSTRING)) {
            push_field_name(e, F_STRING);
            lua_rawget(L, -3);
            if (lua_type(L, -1) == LUA_TSTRING) {
                size_t n;
                const char *s = lua_tolstring(L, -1, &n);
                resp_add_verbatim(c->out, s, n, lua_tostring(L, -2));
                done = true;
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
        if (done)
            return;
    }
    if (field_of_type(e, F_MAP, LUA_TTABLE)) {
        resp_add_map_len(c->out, pairs_count(L));
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            reply_value(e, c); /* the key */
            reply_value(e, c); /* the value */
        }
        lua_pop(L, 1);
        return;
    }
    if (field_of_type(e, F_SET, LUA_TTABLE)) {
        resp_add_set_len(c->out, pairs_count(L));
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            reply_value(e, c);
        }
        lua_pop(L, 1);
        return;
    }
    long long n = array_len(L);
    resp_add_array_len(c->out, n);
    for (long long i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, (int)i);
        reply_value(e, c);
    }
}

/* Write the value at the top of the stack to c and pop it. */
static void reply_value(struct lua_engine *e, struct cmd_ctx *c)
{
    lua_State *L = e->L;
    /* A map needs 4 more slots: past Lua's limit, an error in its place. */
    if (!lua_checkstack(L, 4)) {
        reply_error_bytes(c, rs_err_text[RS_ERR_LUA_STACK], strlen(rs_err_text[RS_ERR_LUA_STACK]));
        lua_pop(L, 1);
        return;
    }
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        resp_add_bulk(c->out, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        if (e->scratch.proto == 2) {
            if (lua_toboolean(L, -1))
                resp_add_int(c->out, 1);
            else
                resp_add_null(c->out);
        } else {
            resp_add_bool(c->out, lua_toboolean(L, -1));
        }
        break;
    case LUA_TNUMBER:
        resp_add_int(c->out, double_to_ll_trunc(lua_tonumber(L, -1)));
        break;
    case LUA_TTABLE:
        reply_table(e, c);
        break;
    default:
        resp_add_null(c->out);
    }
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------------
 * redis.call and redis.pcall
 * ------------------------------------------------------------------------ */

static struct lua_engine *engine_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

/* The arguments of redis.call as strings into e->argv: Lua strings are
 * borrowed (they stay on the stack for the call), numbers formatted as
 * Redis does (integers exactly, others shortest round-trip). false if one
 * is of another type. */
static bool call_args(struct lua_engine *e, lua_State *L, int argc)
{
    if (argc > e->argv_cap) {
        e->argv_cap = argc * 2;
        e->argv = rs_realloc(e->argv, (size_t)e->argv_cap * sizeof *e->argv);
        e->nums = rs_realloc(e->nums, (size_t)e->argv_cap * sizeof *e->nums);
    }
    for (int i = 0; i < argc; i++) {
        int t = lua_type(L, i + 1);
        if (t == LUA_TNUMBER) {
            double d = lua_tonumber(L, i + 1);
            long long ll;
            size_t n = double_to_ll_exact(d, &ll) ? resp_ll2str(e->nums[i], ll)
                                                  : resp_d2str(e->nums[i], RESP_D_STR_SIZE, d);
            e->argv[i] = rs_str_from(e->nums[i], n);
        } else if (t == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, i + 1, &n);
            e->argv[i] = rs_str_from(s, n);
        } else {
            return false;
        }
    }
    return true;
}

/* The reply in e->scratch as one contiguous run of bytes. */
static const char *scratch_bytes(struct lua_engine *e, size_t *len)
{
    struct resp_out *o = &e->scratch;
    *len = o->nbytes;
    if (o->head == o->tail && o->head)
        return o->head->data;
    if (o->nbytes > e->flat_cap) {
        e->flat_cap = o->nbytes;
        e->flat = rs_realloc(e->flat, e->flat_cap);
    }
    size_t off = 0;
    for (struct resp_chunk *ch = o->head; ch; ch = ch->next) {
        memcpy(e->flat + off, ch->data, ch->len);
        off += ch->len;
    }
    return e->flat;
}

/* The ACL check of sub, a command of the script, for the script's caller
 * (Redis scriptVerifyACL): NULL, or the refusal's text written into buf,
 * logged in ACL LOG. */
static const char *acl_refusal(const struct lua_engine *e, const struct cmd_ctx *sub, char *buf,
                               size_t size)
{
    struct cmd_ctx *caller = e->run->caller;
    if (!(caller->s->flags & SES_ACL_CHECK))
        return NULL;
    int pos = 0;
    int why = acl_check(sub, caller->s, &pos);
    if (why == ACL_OK)
        return NULL;
    acl_log_denied(sub, caller, caller->s, why, ACL_CTX_LUA, pos);
    char text[1024];
    acl_error_text(sub, caller->s, why, pos, text, sizeof text);
    snprintf(buf, size, rs_err_text[RS_ERR_LUA_NOPERM], text);
    return buf;
}

/* Why sub's command may not run from this script (an error's text, the
 * MISCONF or NOPERM one written into buf), or NULL. */
static const char *refusal(const struct lua_engine *e, const struct cmd_ctx *sub, char *buf,
                           size_t size)
{
    const struct cmd_def *d = sub->cmd;
    const char *why;
    if (d->flags & CMD_NOSCRIPT)
        return rs_err_text[RS_ERR_LUA_NOSCRIPT_CMD];
    if ((why = acl_refusal(e, sub, buf, size)) != NULL)
        return why;
    if (e->run->read_only && (d->flags & (CMD_WRITE | CMD_MAY_REPLICATE)))
        return rs_err_text[RS_ERR_LUA_RO_WRITE];
    if ((d->flags & CMD_WRITE) && persist_refuses_writes(e->st, buf, size))
        return buf;
    /* As Redis's scriptVerifyOOM: by the store's state when the command
     * that runs the script started, and only until the script's first
     * write (it cannot stop half-way). */
    if (!e->run->allow_oom && !e->wrote && (d->flags & CMD_DENYOOM) && e->st->cfg.maxmemory &&
        e->st->oom_at_start)
        return rs_err_text[RS_ERR_OOM];
    /* A project's MAXMEMORY and MAXKEYS likewise (a script with a shebang
     * was also checked at its start, by its declared keys). */
    if (__builtin_expect(e->st->quotas.n != 0, 0) && !e->run->allow_oom && !e->wrote &&
        (d->flags & CMD_DENYOOM))
        return quota_script_refusal(sub, buf, size);
    return NULL;
}

/* cmd_lookup of name, remembered by the address of its bytes: a script's
 * command names are constants of its function, Lua strings at the same
 * address call after call, so a name is hashed and compared in the table
 * once, not at every redis.call. The bytes are compared too, as a string
 * collected since may have left its address to another. */
static const struct cmd_def *lookup_cmd(struct lua_engine *e, struct rs_str name)
{
    struct name_memo *m = &e->names[((uintptr_t)name.p >> 4) % NAME_MEMOS];
    if (m->p == name.p && m->len == name.len && memcmp(m->name, name.p, name.len) == 0)
        return m->d;
    const struct cmd_def *d = cmd_lookup(e->st->lut, name);
    if (name.len <= NAME_MEMO_LEN) {
        m->p = name.p;
        m->d = d;
        m->len = (uint8_t)name.len;
        memcpy(m->name, name.p, name.len);
    }
    return d;
}

static int redis_call_generic(lua_State *L, bool raise)
{
    struct lua_engine *e = engine_of(L);
    int argc = lua_gettop(L);
    if (e->run == NULL)
        return raise_rs_error(L, RS_ERR_LUA_NOT_IN_SCRIPT);
    if (argc == 0) {
        push_rs_error(L, RS_ERR_LUA_NO_ARGS);
        return raise ? lua_error(L) : 1;
    }
    if (!call_args(e, L, argc)) {
        push_rs_error(L, RS_ERR_LUA_BAD_ARGS);
        return raise ? lua_error(L) : 1;
    }
    struct store *st = e->st;
    const struct cmd_def *d = lookup_cmd(e, e->argv[0]);
    if (d && argc >= 2 && d[1].is_sub && d->handler == NULL)
        d = cmd_lookup_sub(d, e->argv[1]);
    struct cmd_ctx *caller = e->run->caller;
    struct cmd_ctx sub = {
        .st = st,
        .s = &e->ls,
        .cmd = d,
        .argc = argc,
        .argv = e->argv,
        .out = &e->scratch,
        .db = st->dbs[e->ls.db],
        .now = caller->now,
        .in_exec = true, /* t0_us: read just before cmd_call */
    };
    const char *why;
    char text[1200];
    if (d == NULL)
        why = rs_err_text[RS_ERR_LUA_UNKNOWN_CMD];
    else if ((d->arity > 0 && d->arity != argc) || argc < -d->arity || d->handler == NULL)
        why = rs_err_text[RS_ERR_LUA_ARITY];
    else
        why = refusal(e, &sub, text, sizeof text);
    if (why) {
        push_error_text(L, why);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "ignore_error_stats_update");
        /* Counted here, as Redis counts a rejected command. */
        stats_error(st, why, strlen(why));
        st->stats.total_error_replies++;
        if (d)
            st->cstats[cmd_index(d)].rejected++;
        return raise ? lua_error(L) : 1;
    }
    /* Even if it changes nothing, as Redis's SCRIPT_WRITE_DIRTY. */
    if ((d->flags & CMD_WRITE) && !e->wrote) {
        e->wrote = true;
        atomic_fetch_or_explicit(&st->script_state, 4, memory_order_release);
    }
    sub.t0_us = rs_mono_us();
    cmd_call(&sub);
    /* What a script reads is tracked for its caller, as Redis does. */
    tracking_remember(caller->s, &sub);
    store_count_shard_command(&sub);
    size_t len;
    const char *p = scratch_bytes(e, &len);
    const char *pos = p;
    bool ok = push_reply(L, &pos, p + len);
    resp_out_discard(&e->scratch);
    if (!ok)
        return luaL_error(L, "%s", rs_err_text[RS_ERR_LUA_STACK]);
    if (raise && len && p[0] == '-')
        return lua_error(L);
    return 1;
}

static int redis_call(lua_State *L)
{
    return redis_call_generic(L, true);
}

static int redis_pcall(lua_State *L)
{
    return redis_call_generic(L, false);
}

/* ------------------------------------------------------------------------
 * The rest of the redis table
 * ------------------------------------------------------------------------ */

/* redis.error_reply(msg), redis.status_reply(msg) */
static int redis_error_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_rs_error(L, RS_ERR_LUA_ARGS_TYPE);
        return 1;
    }
    size_t n;
    const char *s = lua_tolstring(L, 1, &n);
    if (n && s[0] == '-') {
        push_error(L, s, n);
    } else {
        lua_pushliteral(L, "-");
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
        s = lua_tolstring(L, -1, &n);
        push_error(L, s, n);
    }
    return 1;
}

static int redis_status_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_rs_error(L, RS_ERR_LUA_ARGS_TYPE);
        return 1;
    }
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int redis_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return raise_rs_error(L, RS_ERR_LUA_NARGS);
    size_t n = 0;
    const char *s = lua_tolstring(L, 1, &n);
    char hex[41];
    sha1_hex(hex, s ? s : "", s ? n : 0);
    lua_pushstring(L, hex);
    return 1;
}

/* Whether a line of level reaches the transport's log. */
static bool log_enabled(const struct lua_engine *e, int level)
{
    return level >= e->st->cfg.loglevel && e->st->hooks && e->st->hooks->log;
}

/* redis.log(level, msg, ...): the words joined by spaces, to the
 * transport's log when the level passes loglevel. */
static int redis_log(lua_State *L)
{
    int argc = lua_gettop(L);
    if (argc < 2)
        return raise_rs_error(L, RS_ERR_LUA_LOG_ARGS);
    if (!lua_isnumber(L, 1))
        return raise_rs_error(L, RS_ERR_LUA_LOG_LEVEL_TYPE);
    int level = (int)lua_tonumber(L, 1);
    if (level < 0 || level > 3)
        return raise_rs_error(L, RS_ERR_LUA_LOG_LEVEL);
    struct lua_engine *e = engine_of(L);
    if (!log_enabled(e, level))
        return 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= argc; i++) {
        size_t n;
        const char *s = lua_tolstring(L, i, &n);
        if (s) {
            if (i != 2)
                luaL_addchar(&b, ' ');
            luaL_addlstring(&b, s, n);
        }
    }
    luaL_pushresult(&b);
    e->st->hooks->log(e->st->hooks_ud, level, lua_tostring(L, -1));
    return 0;
}

static int redis_setresp(lua_State *L)
{
    struct lua_engine *e = engine_of(L);
    if (e->run == NULL)
        return raise_rs_error(L, RS_ERR_LUA_SETRESP_OUTSIDE);
    if (lua_gettop(L) != 1)
        return raise_rs_error(L, RS_ERR_LUA_SETRESP_ARGS);
    int resp = (int)lua_tonumber(L, 1);
    if (resp != 2 && resp != 3)
        return raise_rs_error(L, RS_ERR_LUA_SETRESP_VERSION);
    e->scratch.proto = resp;
    return 0;
}

/* redis.set_repl(flags): checked, then nothing (there are no replicas and
 * a script's effects are its commands'). */
static int redis_set_repl(lua_State *L)
{
    if (lua_gettop(L) != 1)
        return raise_rs_error(L, RS_ERR_LUA_SET_REPL_ARGS);
    int flags = (int)lua_tonumber(L, -1);
    if (flags & ~3)
        return raise_rs_error(L, RS_ERR_LUA_SET_REPL_FLAGS);
    return 0;
}

static int redis_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

/* redis.breakpoint(): false, no debugger is attached. */
static int redis_false(lua_State *L)
{
    lua_pushboolean(L, 0);
    return 1;
}

/* pcall as Redis 7 replaces it: an error that is an {err=} table (a
 * failed redis.call) is caught as its err string. */
static int redis_pcall_builtin(lua_State *L)
{
    int argc = lua_gettop(L);
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
        lua_remove(L, 1);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1))
                lua_replace(L, -2);
            else
                lua_pop(L, 1);
        }
        lua_pushboolean(L, 0);
        lua_insert(L, 1);
    }
    return lua_gettop(L);
}

static int redis_nothing(lua_State *L)
{
    return 0;
}

/* redis.acl_check_cmd(cmd, ...): may the script's caller run this
 * command line? An unknown command is an error. */
static int redis_acl_check_cmd(lua_State *L)
{
    struct lua_engine *e = engine_of(L);
    int argc = lua_gettop(L);
    if (argc == 0)
        return raise_rs_error(L, RS_ERR_LUA_NO_ARGS);
    if (!call_args(e, L, argc))
        return raise_rs_error(L, RS_ERR_LUA_BAD_ARGS);
    const struct cmd_def *d = cmd_lookup(e->st->lut, e->argv[0]);
    if (d && argc >= 2 && d[1].is_sub && d->handler == NULL)
        d = cmd_lookup_sub(d, e->argv[1]);
    if (d == NULL)
        return raise_rs_error(L, RS_ERR_LUA_ACL_CMD);
    if (e->run == NULL)
        return raise_rs_error(L, RS_ERR_LUA_ACL_NOT_IN_SCRIPT);
    struct cmd_ctx *caller = e->run->caller;
    struct cmd_ctx sub = {.st = e->st, .cmd = d, .argc = argc, .argv = e->argv};
    int pos;
    lua_pushboolean(L, !(caller->s->flags & SES_ACL_CHECK) ||
                           acl_check(&sub, caller->s, &pos) == ACL_OK);
    return 1;
}

/* ------------------------------------------------------------------------
 * math.random, os.clock
 * ------------------------------------------------------------------------ */

/* Redis's redisLrand48: the 48-bit generator of drand48, its upper 31
 * bits. */
static int32_t lrand48_next(struct store *st)
{
    st->lua_rand48 = (st->lua_rand48 * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return (int32_t)(st->lua_rand48 >> 17);
}

static int math_random(lua_State *L)
{
    struct lua_engine *e = engine_of(L);
    lua_Number r = (lua_Number)(lrand48_next(e->st) % INT32_MAX) / (lua_Number)INT32_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

/* math.randomseed(x): srand48's state, x in its middle 32 bits. */
static int math_randomseed(lua_State *L)
{
    struct lua_engine *e = engine_of(L);
    uint32_t seed = (uint32_t)luaL_checkint(L, 1);
    e->st->lua_rand48 = ((uint64_t)seed << 16) | 0x330E;
    return 0;
}

static int os_clock(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)clock() / (lua_Number)CLOCKS_PER_SEC);
    return 1;
}

/* ------------------------------------------------------------------------
 * Long scripts, as Redis's scriptInterrupt
 * ------------------------------------------------------------------------ */

/* Lua instructions between two looks at the clock (Redis's count). */
#define HOOK_COUNT 100000

/* A kill request of another thread (respite_script_kill), req: act on it
 * as SCRIPT KILL / FUNCTION KILL now if it was made during this run (the
 * run may have written since: then it goes on), else drop it. */
static void take_kill_request(struct lua_engine *e, uint64_t req)
{
    struct store *st = e->st;
    /* Cleared only if no newer request replaced it meanwhile. */
    atomic_compare_exchange_strong_explicit(&st->script_kill_req, &req, 0, memory_order_acq_rel,
                                            memory_order_acquire);
    uint64_t state = atomic_load_explicit(&st->script_state, memory_order_relaxed);
    if (req >> 3 == state >> 3)
        lua_engine_kill(e, (req & 3) == 2 ? KILL_BY_FUNCTION : KILL_BY_SCRIPT);
}

/* Every HOOK_COUNT instructions of a run (then every line once killed): a
 * kill request of another thread is taken; past busy-reply-threshold (if
 * not 0), the run is timed out -- other clients get -BUSY -- and the
 * transport serves them (script_busy hook), SCRIPT KILL among them; a
 * killed run raises its error here. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct lua_engine *e = engine_of(L);
    struct store *st = e->st;
    uint64_t req = atomic_load_explicit(&st->script_kill_req, memory_order_acquire);
    if (req)
        take_kill_request(e, req);
    if (!e->timed_out && st->cfg.busy_reply_threshold > 0) {
        long long ms = (long long)((rs_mono_us() - e->start_us) / 1000);
        if (ms >= st->cfg.busy_reply_threshold) {
            bool fn = e->run->fn_args;
            store_log(st, RS_LOG_WARNING,
                      "Slow script detected: still in execution after %lld milliseconds. You "
                      "can try killing the script using the %s command. Script name is: %s.",
                      ms, fn ? "FUNCTION KILL" : "SCRIPT KILL", e->run->sha);
            e->timed_out = true;
            st->script_busy = fn ? RS_ERR_BUSY_FUNCTION : RS_ERR_BUSY_SCRIPT;
        }
    }
    if (e->timed_out && st->hooks && st->hooks->script_busy) {
        const struct session *caller = e->run->caller->s;
        st->hooks->script_busy(st->hooks_ud, caller->io ? caller->io_ud : NULL);
    }
    if (e->killed) {
        if (ar->event == LUA_HOOKCOUNT) {
            store_log(e->st, RS_LOG_NOTICE, "Lua script killed by user with SCRIPT KILL.");
            /* At every line from now on: a pcall that catches the error
             * only gets it again. */
            lua_sethook(L, count_hook, LUA_MASKLINE, 0);
        }
        raise_rs_error(L, RS_ERR_LUA_KILLED);
    }
}

enum respite_kill_result respite_script_kill(struct respite *rs, enum respite_killer which)
{
    struct store *st = (struct store *)rs;
    uint64_t state = atomic_load_explicit(&st->script_state, memory_order_acquire);
    if ((state & 3) == 0)
        return RESPITE_KILL_NOTBUSY;
    if (state & 4)
        return RESPITE_KILL_UNKILLABLE;
    if ((state & 3) != (uint64_t)which)
        return RESPITE_KILL_OTHER;
    atomic_store_explicit(&st->script_kill_req, state, memory_order_release);
    return RESPITE_KILL_ASKED;
}

int lua_engine_kill(struct lua_engine *e, enum script_killer k)
{
    if (e->run == NULL)
        return RS_ERR_NOTBUSY;
    if (k == KILL_BY_SHUTDOWN) {
        e->killed = true;
        return 0;
    }
    if (e->wrote)
        return RS_ERR_UNKILLABLE;
    if (k == KILL_BY_SCRIPT && e->run->fn_args)
        return RS_ERR_BUSY_FUNCTION;
    if (k == KILL_BY_FUNCTION && !e->run->fn_args)
        return RS_ERR_BUSY_SCRIPT;
    e->killed = true;
    return 0;
}

bool script_running_eval(const struct store *st)
{
    return st->script_running && !st->script_running->run->fn_args;
}

bool script_running_function(const struct store *st, struct rs_str *name, const struct cmd_ctx **fcall,
                             int64_t *ms)
{
    const struct lua_engine *e = st->script_running;
    if (e == NULL || !e->run->fn_args)
        return false;
    *name = rs_str_from(e->run->sha, strlen(e->run->sha));
    *fcall = e->run->caller;
    *ms = (rs_mono_us() - e->start_us) / 1000;
    return true;
}

/* ------------------------------------------------------------------------
 * The interpreter
 * ------------------------------------------------------------------------ */

/* Open a library; a named one becomes the global of that name (lua-cjson
 * only returns its table). */
static void open_lib(lua_State *L, const char *name, lua_CFunction open)
{
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (name[0])
        lua_setglobal(L, name);
    else
        lua_pop(L, 1);
}

static void set_fn(lua_State *L, const char *name, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_setfield(L, -2, name);
}

static void set_num(lua_State *L, const char *name, lua_Number v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

static void redis_table(lua_State *L)
{
    lua_newtable(L);
    set_fn(L, "call", redis_call);
    set_fn(L, "pcall", redis_pcall);
    set_fn(L, "log", redis_log);
    set_num(L, "LOG_DEBUG", 0);
    set_num(L, "LOG_VERBOSE", 1);
    set_num(L, "LOG_NOTICE", 2);
    set_num(L, "LOG_WARNING", 3);
    set_fn(L, "setresp", redis_setresp);
    set_fn(L, "sha1hex", redis_sha1hex);
    set_fn(L, "error_reply", redis_error_reply);
    set_fn(L, "status_reply", redis_status_reply);
    set_fn(L, "set_repl", redis_set_repl);
    set_fn(L, "replicate_commands", redis_true);
    set_fn(L, "breakpoint", redis_false);
    set_fn(L, "debug", redis_nothing);
    set_fn(L, "acl_check_cmd", redis_acl_check_cmd);
    set_num(L, "REPL_NONE", 0);
    set_num(L, "REPL_AOF", 1);
    set_num(L, "REPL_SLAVE", 2);
    set_num(L, "REPL_REPLICA", 2);
    set_num(L, "REPL_ALL", 3);
    lua_pushstring(L, RS_REDIS_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_num(L, "REDIS_VERSION_NUM", RS_REDIS_VERSION_NUM);
    lua_setglobal(L, "redis");
}

/* Push an array of the n strings of v. */
static void push_array(lua_State *L, const struct rs_str *v, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, v[i].p, v[i].len);
        lua_rawseti(L, -2, i + 1);
    }
}

/* EVAL's KEYS and ARGV.
 *
 * Redis makes both tables anew for every run; making them and collecting
 * them were 16% of a rate limiter's instructions. The tables of the last
 * run are filled again instead whenever no script can tell. Writing the
 * keys 1..n over what a run left in a table made for n entries is the same
 * as a new table, unless the run gave it another key or it can outlive the
 * run.
 * The first is seen by the tables' metatable (kv_newindex: __newindex
 * fires for every key a table lacks; rawset and table.insert, which write
 * past it, note it too: kv_written). The globals and libraries are read-only, so a
 * table outlives its run only through a place that outlives runs and that
 * scripts can write: the string metatable (getmetatable(''), writable in
 * Redis too), an environment (setfenv), a metatable (setmetatable) or a
 * finalizer (newproxy); reaching any of them ends the reuse for the
 * engine's life. getmetatable hides the tables' metatable. */

/* EVAL's environment.
 *
 * Through P a read of a global (KEYS, redis, tonumber) misses in P, looks
 * up P's __index and then the name in G. A script whose chunk assigns no
 * global (lua_engine_chunk_sets_global: no SETGLOBAL, which P refuses
 * anyway) runs in E instead: a table holding what G holds, with P's
 * metatable, so a read is one lookup, and a name G lacks or a write of a
 * name E lacks goes to the same metamethods as through P. G changes after
 * the engine is made only by KEYS and ARGV, which are set into E with
 * them (set_kv_global). Only a write to a name E holds would tell E from
 * P: a SETGLOBAL keeps the chunk on P, and getfenv, the one way to hold an
 * environment as a table (to write to it, compare it with _G, iterate
 * it), answers P for E. */

/* lbaselib.c's getfunc: push the function argument 1 names, a function or
 * a level counted from the caller (1 when absent, if opt). The functions
 * below are Lua 5.1's written out rather than wrappers calling the
 * original, which would count the wrapper among the levels, name itself
 * '?' in its argument errors and raise its errors without the script's
 * line. */
static void push_level_fn(lua_State *L, bool opt)
{
    if (lua_isfunction(L, 1)) {
        lua_pushvalue(L, 1);
        return;
    }
    lua_Debug ar;
    int level = opt ? luaL_optint(L, 1, 1) : luaL_checkint(L, 1);
    luaL_argcheck(L, level >= 0, 1, "level must be non-negative");
    if (lua_getstack(L, level, &ar) == 0)
        luaL_argerror(L, 1, "invalid level");
    lua_getinfo(L, "f", &ar);
    if (lua_isnil(L, -1))
        luaL_error(L, "no function environment for tail call at level %d", level);
}

/* Lua 5.1's getfenv answering P where a function's environment is E.
 * Upvalues: E, P. */
static int hiding_getfenv(lua_State *L)
{
    push_level_fn(L, true);
    if (lua_iscfunction(L, -1))
        lua_pushvalue(L, LUA_GLOBALSINDEX);
    else
        lua_getfenv(L, -1);
    if (lua_rawequal(L, -1, lua_upvalueindex(1)))
        lua_pushvalue(L, lua_upvalueindex(2));
    return 1;
}

/* __newindex of EVAL's tables: a key the table lacked. */
static int kv_newindex(lua_State *L)
{
    engine_of(L)->kv_dirty = true;
    lua_rawset(L, 1);
    return 0;
}

/* The sandbox's base functions.
 *
 * Lua 5.1's rawset, setmetatable, setfenv, newproxy and table.insert,
 * written out as getfenv above, with what the sandbox adds: rawset,
 * setmetatable and table.insert refuse the read-only tables (after their
 * argument checks, raised from inside the C function without a line, as
 * Redis's VM does); rawset and table.insert write past __newindex, so a
 * write to EVAL's tables is noted (kv_written); setfenv, setmetatable and
 * newproxy open ways for a table to outlive its run (kv_never). */

static void refuse_proxy(lua_State *L)
{
    if (is_proxy(L, 1)) {
        lua_pushstring(L, rs_err_text[RS_ERR_LUA_READONLY]);
        lua_error(L);
    }
}

/* Note a write to the table at 1 past __newindex. Upvalue 1: EVAL's
 * tables' metatable. */
static void kv_written(lua_State *L)
{
    if (lua_getmetatable(L, 1)) {
        if (lua_rawequal(L, -1, lua_upvalueindex(1)))
            engine_of(L)->kv_dirty = true;
        lua_pop(L, 1);
    }
}

static int sandbox_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    refuse_proxy(L);
    kv_written(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int sandbox_insert(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int e = (int)lua_objlen(L, 1) + 1; /* the first empty element */
    int pos = e;
    switch (lua_gettop(L)) {
    case 2:
        break;
    case 3:
        pos = luaL_checkint(L, 2);
        if (pos > e)
            e = pos;
        break;
    default:
        return luaL_error(L, "wrong number of arguments to " LUA_QL("insert"));
    }
    refuse_proxy(L);
    kv_written(L);
    for (int i = e; i > pos; i--) { /* move up the elements from pos */
        lua_rawgeti(L, 1, i - 1);
        lua_rawseti(L, 1, i);
    }
    lua_rawseti(L, 1, pos);
    return 0;
}

static int sandbox_setmetatable(lua_State *L)
{
    engine_of(L)->kv_never = true;
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
    if (luaL_getmetafield(L, 1, "__metatable"))
        luaL_error(L, "cannot change a protected metatable");
    refuse_proxy(L);
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static int sandbox_setfenv(lua_State *L)
{
    engine_of(L)->kv_never = true;
    luaL_checktype(L, 2, LUA_TTABLE);
    push_level_fn(L, false);
    lua_pushvalue(L, 2);
    if (lua_isnumber(L, 1) && lua_tonumber(L, 1) == 0) { /* the thread's */
        engine_of(L)->globals_set = true;
        lua_pushthread(L);
        lua_insert(L, -2);
        lua_setfenv(L, -2);
        return 0;
    }
    if (lua_iscfunction(L, -2) || lua_setfenv(L, -2) == 0)
        luaL_error(L, LUA_QL("setfenv") " cannot change environment of given object");
    return 1;
}

/* Upvalue 1: the original newproxy's table of the metatables it made. */
static int sandbox_newproxy(lua_State *L)
{
    engine_of(L)->kv_never = true;
    lua_settop(L, 1);
    lua_newuserdata(L, 0);
    if (lua_toboolean(L, 1) == 0)
        return 1;
    if (lua_isboolean(L, 1)) {
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 1);
        lua_rawset(L, lua_upvalueindex(1));
    } else {
        bool valid = false;
        if (lua_getmetatable(L, 1)) {
            lua_rawget(L, lua_upvalueindex(1));
            valid = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
        luaL_argcheck(L, valid, 1, "boolean or proxy expected");
        lua_getmetatable(L, 1);
    }
    lua_setmetatable(L, 2);
    return 1;
}

/* Replace the read-only table at the top by the table behind it. */
static void unproxy(lua_State *L)
{
    lua_getmetatable(L, -1);
    lua_getfield(L, -1, "__index");
    lua_replace(L, -3);
    lua_pop(L, 1);
}

/* Replace a read-only table at 1 by the table behind it. */
static void unproxy_arg1(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (is_proxy(L, 1)) {
        lua_pushvalue(L, 1);
        unproxy(L);
        lua_replace(L, 1);
    }
}

/* next (and pairs's iterator) and rawget: a read-only table iterates and
 * holds what the table behind it does (Lua 5.1 has no __pairs), as
 * Redis's read-only tables are the tables themselves. Nothing writable is
 * reached: the values are what reading through the proxy gives. */
static int sandbox_next(lua_State *L)
{
    unproxy_arg1(L);
    lua_settop(L, 2);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int sandbox_rawget(lua_State *L)
{
    unproxy_arg1(L);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    lua_rawget(L, 1);
    return 1;
}

/* Push table i holding the n strings of v: the one of the last run
 * filled again when it was made for n entries (true), else a new one,
 * kept for the next run unless EVAL's reuse has ended. FCALL's tables have
 * no metatable: a function that could write to them gets new ones
 * (lua_engine_fn_keeps_args). */
static bool push_kv_table(struct lua_engine *e, enum kv_table i, const struct rs_str *v, int n)
{
    lua_State *L = e->L;
    /* Only a table of the same size is as a new one: past the array it
     * was made with, a key would go to the hash part, where pairs() would
     * meet it in another order; short of it, a key a script adds past the
     * end would land in the array, where # could count it. */
    if (n != e->kv_len[i]) {
        luaL_unref(L, LUA_REGISTRYINDEX, e->kv_ref[i]);
        e->kv_ref[i] = LUA_NOREF;
    }
    if (e->kv_ref[i] == LUA_NOREF) {
        push_array(L, v, n);
        e->kv_len[i] = n;
        bool eval = i == KV_KEYS || i == KV_ARGV;
        if (!eval || !e->kv_never) {
            if (eval) {
                lua_rawgeti(L, LUA_REGISTRYINDEX, e->kv_mt_ref);
                lua_setmetatable(L, -2);
            }
            lua_pushvalue(L, -1);
            e->kv_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        return false;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->kv_ref[i]);
    for (int k = 0; k < n; k++) {
        /* An entry that already holds these bytes stays: comparing costs
         * less than interning them again (hashing, looking up, and the
         * collector's step pushing a string may run). */
        lua_rawgeti(L, -1, k + 1);
        size_t len = 0;
        const char *p = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        bool same = p && len == v[k].len && memcmp(p, v[k].p, len) == 0;
        lua_pop(L, 1);
        if (same)
            continue;
        lua_pushlstring(L, v[k].p, v[k].len);
        lua_rawseti(L, -2, k + 1);
    }
    return true;
}

/* Set the EVAL table at the top, popped, as global f in G and in E. */
static void set_kv_global(struct lua_engine *e, enum reply_field f)
{
    lua_State *L = e->L;
    /* G has only a read metatable and E only P's, whose __newindex fires
     * for keys a table lacks: a raw set is what lua_setfield would do,
     * without hashing the names. */
    const int envs[2] = {e->g_ref, e->env_ref};
    for (int i = 0; i < 2; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, envs[i]);
        push_field_name(e, f);
        lua_pushvalue(L, -3);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* After a run: let go of EVAL's tables unless the next run may fill them
 * again. */
static void keep_eval_tables(struct lua_engine *e)
{
    if (e->kv_dirty || e->kv_never) {
        for (int i = KV_KEYS; i <= KV_ARGV; i++) {
            luaL_unref(e->L, LUA_REGISTRYINDEX, e->kv_ref[i]);
            e->kv_ref[i] = LUA_NOREF;
        }
        e->kv_dirty = false;
    }
}

/* Replace the function name of the table at the top by fn, closed over
 * EVAL's tables' metatable (kv_written's upvalue). */
static void sandbox_fn(struct lua_engine *e, const char *name, lua_CFunction fn)
{
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->kv_mt_ref);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
}

struct lua_engine *lua_engine_new(struct store *st)
{
    struct lua_engine *e = rs_calloc(1, sizeof *e);
    e->st = st;
    e->cap = LUA_DEFAULT_CAP;
    e->ls.st = st;
    e->ls.flags = SES_AUTHENTICATED | SES_SCRIPT;
    resp_out_init(&e->ls.out, 2);
    resp_out_init(&e->ls.discard, 2);
    resp_out_init(&e->scratch, 2);
    lua_State *L = e->L = lua_newstate(lua_alloc, e);
    open_lib(L, "", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, "cjson", luaopen_cjson);
    open_lib(L, "bit", luaopen_bit);
    open_lib(L, "struct", luaopen_struct);
    open_lib(L, "cmsgpack", luaopen_cmsgpack);
    /* luaopen_* leave their tables in package.loaded and the globals,
     * which Redis exposes as globals only. */
    lua_pushnil(L);
    lua_setglobal(L, "package");
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    lua_pushnil(L);
    lua_setglobal(L, "print");
    lua_newtable(L);
    set_fn(L, "clock", os_clock);
    lua_setglobal(L, "os");
    lua_getglobal(L, "math");
    set_fn(L, "random", math_random);
    set_fn(L, "randomseed", math_randomseed);
    lua_pop(L, 1);
    redis_table(L);
    lua_pushcfunction(L, redis_pcall_builtin);
    lua_setglobal(L, "pcall");
    lua_getglobal(L, "tostring");
    lua_pushcclosure(L, error_handler, 1);
    lua_setglobal(L, "__redis__err__handler");

    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, kv_newindex);
    lua_setfield(L, -2, "__newindex");
    e->kv_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    for (int i = 0; i < KV_NTABLES; i++)
        e->kv_ref[i] = LUA_NOREF;
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    sandbox_fn(e, "rawset", sandbox_rawset);
    sandbox_fn(e, "setmetatable", sandbox_setmetatable);
    sandbox_fn(e, "setfenv", sandbox_setfenv);
    lua_getfield(L, -1, "newproxy");
    lua_getupvalue(L, -1, 1);               /* its table of metatables */
    lua_pushcclosure(L, sandbox_newproxy, 1);
    lua_setfield(L, -3, "newproxy");
    lua_pop(L, 1);
    sandbox_fn(e, "next", sandbox_next);
    sandbox_fn(e, "rawget", sandbox_rawget);
    /* pairs returns its upvalue: a closure of its own, as Lua's (so
     * pairs(t) ~= next, as in Redis). */
    lua_getfield(L, -1, "pairs");
    lua_pushcfunction(L, sandbox_next);
    lua_setupvalue(L, -2, 1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "table");
    sandbox_fn(e, "insert", sandbox_insert);
    lua_pop(L, 2);

    /* Every table among the globals behind a proxy (the library tables,
     * not G itself, which _G names: that is P below). */
    static const char *const libs[] = {"string", "table", "math", "os", "coroutine",
                                       "cjson", "bit", "struct", "cmsgpack", "redis", NULL};
    for (int i = 0; libs[i]; i++) {
        lua_getglobal(L, libs[i]);
        lua_engine_proxy(L);
        lua_setglobal(L, libs[i]);
    }
    /* Strings' methods too: a script writing to getmetatable('').__index
     * meets the read-only string table, as in Redis, instead of changing
     * the string library of every later script. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_getglobal(L, "string");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
    lua_pushvalue(L, LUA_GLOBALSINDEX);     /* G */
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, lua_engine_no_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_engine_proxy(L);                          /* G, P */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "_G");
    lua_getfield(L, -2, "getmetatable");    /* G, P, getmetatable */
    lua_pushvalue(L, -2);
    lua_getmetatable(L, -4);                /* G's own metatable */
    lua_engine_proxy(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->kv_mt_ref);
    lua_pushcclosure(L, guarded_getmetatable, 4);
    lua_setfield(L, -3, "getmetatable");
    lua_replace(L, LUA_GLOBALSINDEX);       /* G */
    for (int i = 0; i < NFIELDS; i++) {
        lua_pushstring(L, field_names[i]);
        e->field_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    /* E: G's getfenv first, then a copy of G (EVAL's environment). */
    lua_newtable(L);                        /* G, E */
    lua_pushvalue(L, -1);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_pushcclosure(L, hiding_getfenv, 2);
    lua_setfield(L, -3, "getfenv");
    lua_pushnil(L);
    while (lua_next(L, -3)) {               /* G, E, name, value */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_getmetatable(L, LUA_GLOBALSINDEX);
    lua_setmetatable(L, -2);
    e->env_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* G */
    lua_getfield(L, 1, "__redis__err__handler");
    lua_insert(L, HANDLER_IDX);
    e->g_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return e;
}

void lua_engine_for_functions(struct lua_engine *e)
{
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, e->g_ref); /* G */
    lua_pushnil(L);
    lua_setfield(L, -2, "__redis__err__handler");
    lua_getfield(L, -1, "redis");
    unproxy(L);                                  /* G, redis */
    static const char *const debugging[] = {"breakpoint", "debug", "replicate_commands", NULL};
    for (int i = 0; debugging[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, debugging[i]);
    }
    lua_pop(L, 2);
}

void lua_engine_free(struct lua_engine *e)
{
    if (e == NULL)
        return;
    lua_close(e->L);
    resp_out_free(&e->scratch);
    resp_out_free(&e->ls.out);
    resp_out_free(&e->ls.discard);
    rs_free(e->flat);
    rs_free(e->argv);
    rs_free(e->nums);
    rs_free(e);
}

int lua_engine_compile(struct lua_engine *e, const char *body, size_t len, char *err,
                       size_t errlen)
{
    lua_State *L = e->L;
    if (luaL_loadbuffer(L, body, len, "@user_script")) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    if (!lua_engine_chunk_sets_global(L)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->env_ref);
        lua_setfenv(L, -2);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

void lua_engine_drop(struct lua_engine *e, int ref)
{
    luaL_unref(e->L, LUA_REGISTRYINDEX, ref);
}

void lua_engine_run(struct lua_engine *e, int ref, const struct script_run *r)
{
    lua_State *L = e->L;
    struct cmd_ctx *c = r->caller;
    struct store *st = e->st;
    e->cap = st->cfg.maxmemory ? (size_t)st->cfg.maxmemory : LUA_DEFAULT_CAP;
    if (e->cap < e->bytes + (1 << 20)) /* room to report the error */
        e->cap = e->bytes + (1 << 20);
    e->run = r;
    st->script_running = e;
    e->ls.db = c->s->db;
    /* Its commands run as its caller's user (what SORT asks of it), and
     * leave access times alone for a CLIENT NO-TOUCH caller (Redis looks
     * at the client that called the script). */
    e->ls.user = c->s->user;
    uint32_t as_user = SES_ACL_CHECK | SES_PROJECT | SES_NO_TOUCH;
    e->ls.flags = (e->ls.flags & ~as_user) | (c->s->flags & as_user);
    e->scratch.proto = 2;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    if (r->reuse_args) {
        push_kv_table(e, KV_FN_KEYS, r->keys, r->nkeys);
        push_kv_table(e, KV_FN_ARGS, r->args, r->nargs);
    } else if (r->fn_args) {
        push_array(L, r->keys, r->nkeys);
        push_array(L, r->args, r->nargs);
    } else {
        /* The tables of the last run are already the globals. */
        if (push_kv_table(e, KV_KEYS, r->keys, r->nkeys))
            lua_pop(L, 1);
        else
            set_kv_global(e, F_KEYS);
        if (push_kv_table(e, KV_ARGV, r->args, r->nargs))
            lua_pop(L, 1);
        else
            set_kv_global(e, F_ARGV);
    }
    e->start_us = rs_mono_us();
    e->timed_out = e->wrote = e->killed = false;
    atomic_store_explicit(&st->script_state, ++st->script_runs << 3 | (r->fn_args ? 2 : 1),
                          memory_order_release);
    /* Always: respite_script_kill needs the hook when no threshold does. */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_COUNT);
    int rc = lua_pcall(L, r->fn_args ? 2 : 0, 1, HANDLER_IDX);
    lua_sethook(L, NULL, 0, 0);
    atomic_store_explicit(&st->script_state, 0, memory_order_release);
    st->script_busy = 0;
    if (rc == 0) {
        reply_value(e, c);
    } else if (lua_istable(L, -1)) {
        reply_error_table(c, L, r->sha);
    } else {
        const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
        reply_errf(c, rs_err_text[RS_ERR_LUA_RUN], r->sha, msg);
        lua_pop(L, 1);
    }
    /* A script that met the cap leaves its garbage near it: collect it
     * now rather than in the small steps of later runs. */
    if (rc == LUA_ERRMEM)
        lua_gc(L, LUA_GCCOLLECT, 0);
    if (!r->fn_args)
        keep_eval_tables(e);
    if (e->globals_set) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->g_ref);
        lua_getfield(L, -1, "_G");
        lua_replace(L, LUA_GLOBALSINDEX);
        lua_pop(L, 1);
        e->globals_set = false;
    }
    e->run = NULL;
    st->script_running = NULL;
    lua_settop(L, HANDLER_IDX);
}
