/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Redis 7.4's functions (functions.c, function_lua.c): FUNCTION LOAD,
 * LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL, HELP, FCALL and
 * FCALL_RO, and the Lua side of loading a library (redis.register_function).
 *
 * A library is its code ("#!lua name=<lib>" and Lua) and the functions its
 * code registered when it ran at load. A set of libraries (struct libset)
 * keeps them in load order and their functions by name, case-insensitively
 * (Redis's functions dict), while the names inside one library compare
 * exactly, as Redis's do. The store's libraries are one set; FUNCTION
 * RESTORE loads a payload into a set of its own first and joins it to the
 * store's only when every library in it loaded, so a bad payload changes
 * nothing.
 *
 * Functions run in their own interpreter (script_lua.c's engine, apart
 * from EVAL's as in Redis, so neither sees the other's state), created at
 * the first load and dropped by FUNCTION FLUSH. While a library's code
 * runs at load, the globals it reads resolve to the load API (a `redis`
 * holding only register_function, log, the LOG_* levels and the version)
 * instead of the interpreter's globals, and a count hook stops it after
 * 500 ms, as Redis; a function then runs with (keys, args) as its two
 * arguments and the full redis.* API.
 *
 * DUMP payloads are Redis's: each library as RDB_OPCODE_FUNCTION2 and its
 * code as an RDB string, then the RDB version and CRC-64 (keyspace/rdb.h),
 * so they move both ways between respite and Redis 7.4.
 */
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "commands/function.h"
#include "commands/monitor.h"
#include "commands/script.h"
#include "ds/chain.h"
#include "ds/mem.h"
#include "ds/util.h"
#include "keyspace/rdb.h"
#include "resp_num.h"
#include "resp_parser.h"

#define LOAD_TIMEOUT_US 500000
#define LOAD_HOOK_COUNT 100000
#define ENGINE_NAME "LUA"
/* Registry key of the library being loaded (a light userdata), nil when
 * none is: register_function refuses to run without it. */
#define LOAD_CTX_KEY "__LIBRARY_CTX__"
/* Registry key of the load's start (rs_mono_us), for the timeout. */
#define LOAD_START_KEY "__LIBRARY_START__"

struct library;

struct fn {
    struct chain_link link;   /* in its set's by_name, once linked */
    struct fn *next;          /* in its library, in registration order */
    struct library *lib;
    uint32_t flags;           /* enum script_flag */
    int ref;                  /* the callback in the engine's registry */
    bool keeps_args;          /* lua_engine_fn_keeps_args of the callback */
    char *desc;               /* NULL when not given */
    size_t desc_len, name_len;
    char name[];              /* NUL-terminated */
};

struct library {
    struct library *next;     /* in its set, in load order */
    struct fn *fns, **fns_tail;
    uint64_t nfns;
    char *code;               /* the whole payload, shebang included */
    size_t code_len, name_len;
    char name[];
};

struct libset {
    struct library *libs, **libs_tail;
    uint64_t nlibs, nfns;
    uint64_t bytes;           /* the libraries' and functions' records */
    struct chain by_name;
};

struct functions {
    struct lua_engine *engine; /* NULL until the first load */
    int load_api;              /* registry ref of the load-time globals */
    struct libset cur;
};

/* ------------------------------------------------------------------------
 * Sets of libraries
 * ------------------------------------------------------------------------ */

/* FNV-1a over the lower-cased name: function names compare without case. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)tolower((unsigned char)s[i])) * 0x100000001b3ULL;
    return h;
}

static struct fn *set_find_fn(const struct libset *set, const char *name, size_t n)
{
    uint64_t h = name_hash(name, n);
    for (struct chain_link *l = chain_head(&set->by_name, h); l; l = l->next) {
        struct fn *f = chain_of(l, struct fn, link);
        if (l->hash == h && f->name_len == n && strncasecmp(f->name, name, n) == 0)
            return f;
    }
    return NULL;
}

static struct library *set_find_lib(const struct libset *set, const char *name, size_t n)
{
    for (struct library *li = set->libs; li; li = li->next)
        if (li->name_len == n && memcmp(li->name, name, n) == 0)
            return li;
    return NULL;
}

static uint64_t lib_bytes(const struct library *li)
{
    uint64_t b = sizeof *li + li->name_len + 1 + li->code_len;
    for (const struct fn *f = li->fns; f; f = f->next)
        b += sizeof *f + f->name_len + 1 + f->desc_len;
    return b;
}

/* Add li at the end of set with its functions. A function whose name
 * another one of li already has (they differ in case only) is not reached
 * by name, as in Redis, where its dictAdd fails. */
static void set_link(struct libset *set, struct library *li)
{
    for (struct fn *f = li->fns; f; f = f->next) {
        if (set_find_fn(set, f->name, f->name_len))
            continue;
        f->link.hash = name_hash(f->name, f->name_len);
        chain_add(&set->by_name, &f->link);
        set->nfns++;
    }
    li->next = NULL;
    if (set->libs == NULL)
        set->libs_tail = &set->libs;
    *set->libs_tail = li;
    set->libs_tail = &li->next;
    set->nlibs++;
    set->bytes += lib_bytes(li);
}

static bool fn_linked(const struct libset *set, const struct fn *f)
{
    return set_find_fn(set, f->name, f->name_len) == f;
}

static void set_unlink(struct libset *set, struct library *li)
{
    for (struct fn *f = li->fns; f; f = f->next) {
        if (fn_linked(set, f)) {
            chain_del(&set->by_name, &f->link);
            set->nfns--;
        }
    }
    struct library **p = &set->libs;
    while (*p != li)
        p = &(*p)->next;
    *p = li->next;
    if (set->libs_tail == &li->next)
        set->libs_tail = p;
    set->nlibs--;
    set->bytes -= lib_bytes(li);
}

static void lib_free(struct functions *fs, struct library *li)
{
    for (struct fn *f = li->fns, *next; f; f = next) {
        next = f->next;
        luaL_unref(lua_engine_state(fs->engine), LUA_REGISTRYINDEX, f->ref);
        rs_free(f->desc);
        rs_free(f);
    }
    rs_free(li->code);
    rs_free(li);
}

/* Unlink and free every library of set. */
static void set_clear(struct functions *fs, struct libset *set)
{
    while (set->libs) {
        struct library *li = set->libs;
        set_unlink(set, li);
        lib_free(fs, li);
    }
}

/* ------------------------------------------------------------------------
 * The engine and the load API
 * ------------------------------------------------------------------------ */

static struct functions *functions(struct store *st)
{
    if (st->functions == NULL)
        st->functions = rs_calloc(1, sizeof *st->functions);
    return st->functions;
}

static int register_function(lua_State *L);

/* Copy the field name of the table at index src into the table at the top. */
static void copy_field(lua_State *L, int src, const char *name)
{
    lua_getfield(L, src, name);
    lua_setfield(L, -2, name);
}

/* A table whose missing fields raise the nonexistent-global error, behind
 * a read-only proxy: the shape of every table of the load API. */
static void protect(lua_State *L)
{
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, lua_engine_no_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_engine_proxy(L);
}

/* The functions' interpreter, with the load API built beside it. */
static struct lua_engine *engine(struct store *st)
{
    struct functions *fs = functions(st);
    if (fs->engine)
        return fs->engine;
    fs->engine = lua_engine_new(st);
    lua_engine_for_functions(fs->engine);
    lua_State *L = lua_engine_state(fs->engine);
    lua_getglobal(L, "redis");
    int api = lua_gettop(L);
    lua_newtable(L);                         /* the load API's globals */
    lua_newtable(L);                         /* its redis */
    lua_pushcfunction(L, register_function);
    lua_setfield(L, -2, "register_function");
    static const char *const copied[] = {"log",           "LOG_DEBUG",     "LOG_VERBOSE",
                                         "LOG_NOTICE",    "LOG_WARNING",   "REDIS_VERSION",
                                         "REDIS_VERSION_NUM", NULL};
    for (int i = 0; copied[i]; i++)
        copy_field(L, api, copied[i]);
    protect(L);
    lua_setfield(L, -2, "redis");
    protect(L);
    fs->load_api = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, api - 1);
    return fs->engine;
}

/* The library being loaded, NULL outside a load. */
static struct library *loading(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LOAD_CTX_KEY);
    struct library *li = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return li;
}

static int raise_err(lua_State *L, enum rs_err why)
{
    lua_createtable(L, 0, 1);
    lua_pushstring(L, rs_err_text[why]);
    lua_setfield(L, -2, "err");
    return lua_error(L);
}

/* Redis's function names: [A-Za-z0-9_]+ */
static bool valid_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* The flags of the array at the top, as Redis reads them (names without
 * case); false on a value that is not a known flag. */
static bool read_flags(lua_State *L, uint32_t *flags)
{
    *flags = 0;
    for (int j = 1;; j++) {
        lua_pushnumber(L, j);
        lua_gettable(L, -2);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return true;
        }
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            return false;
        }
        const char *s = lua_tostring(L, -1);
        size_t i = 0;
        for (; i < SCRIPT_NFLAGS; i++)
            if (strcasecmp(script_flag_names[i].name, s) == 0)
                break;
        lua_pop(L, 1);
        if (i == SCRIPT_NFLAGS)
            return false;
        *flags |= script_flag_names[i].flag;
    }
}

/* What register_function read: the name and description stay on the
 * Lua stack (at name_idx, desc_idx, 0 for none) until the function is made. */
/* read_named found nothing wrong. */
#define REG_OK RS_ERR__COUNT

struct reg_args {
    int name_idx, desc_idx, ref;
    uint32_t flags;
};

/* Keep the string (or number, as a string) at the top in slot; false if
 * it is neither. */
static bool take_string(lua_State *L, int slot)
{
    if (!lua_isstring(L, -1))
        return false;
    lua_tostring(L, -1);
    lua_pushvalue(L, -1);
    lua_replace(L, slot);
    return true;
}

/* redis.register_function{function_name=, callback=, flags=, description=} */
static enum rs_err read_named(lua_State *L, struct reg_args *a)
{
    if (!lua_istable(L, 1))
        return RS_ERR_FN_REG_SINGLE;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return lua_isnumber(L, -2) ? RS_ERR_FN_REG_ARG : RS_ERR_FN_REG_KEY;
        const char *key = lua_tostring(L, -2);
        if (strcasecmp(key, "function_name") == 0) {
            if (!take_string(L, a->name_idx))
                return RS_ERR_FN_REG_NAME_TYPE;
        } else if (strcasecmp(key, "description") == 0) {
            if (!take_string(L, a->desc_idx))
                return RS_ERR_FN_REG_DESC_TYPE;
        } else if (strcasecmp(key, "callback") == 0) {
            if (!lua_isfunction(L, -1))
                return RS_ERR_FN_REG_CB_TYPE;
            lua_pushvalue(L, -1);
            lua_replace(L, a->ref);
        } else if (strcasecmp(key, "flags") == 0) {
            if (!lua_istable(L, -1))
                return RS_ERR_FN_REG_FLAGS_TYPE;
            if (!read_flags(L, &a->flags))
                return RS_ERR_FN_REG_FLAG;
        } else {
            return RS_ERR_FN_REG_ARG;
        }
        lua_pop(L, 1);
    }
    if (lua_isnil(L, a->name_idx))
        return RS_ERR_FN_REG_NO_NAME;
    if (lua_isnil(L, a->ref))
        return RS_ERR_FN_REG_NO_CB;
    return REG_OK;
}

/* redis.register_function(name, callback) or (table): adds the function
 * to the library being loaded. */
static int register_function(lua_State *L)
{
    struct library *li = loading(L);
    if (li == NULL)
        return raise_err(L, RS_ERR_FN_REG_OUTSIDE);
    int argc = lua_gettop(L);
    if (argc < 1 || argc > 2)
        return raise_err(L, RS_ERR_FN_REG_NARGS);
    /* Slots for the name, the description and the callback. */
    lua_settop(L, 5);
    struct reg_args a = {.name_idx = 3, .desc_idx = 4, .ref = 5};
    enum rs_err why = REG_OK;
    if (argc == 1) {
        why = read_named(L, &a);
    } else if (!lua_isstring(L, 1)) {
        why = RS_ERR_FN_REG_FIRST;
    } else if (!lua_isfunction(L, 2)) {
        why = RS_ERR_FN_REG_SECOND;
    } else {
        lua_pushvalue(L, 1);
        take_string(L, a.name_idx);
        lua_pop(L, 1);
        lua_pushvalue(L, 2);
        lua_replace(L, a.ref);
    }
    if (why != REG_OK)
        return raise_err(L, why);
    size_t nlen, dlen = 0;
    const char *name = lua_tolstring(L, a.name_idx, &nlen);
    const char *desc = lua_isnil(L, a.desc_idx) ? NULL : lua_tolstring(L, a.desc_idx, &dlen);
    if (!valid_name(name, nlen))
        return raise_err(L, RS_ERR_FN_BAD_NAME);
    for (struct fn *f = li->fns; f; f = f->next)
        if (f->name_len == nlen && memcmp(f->name, name, nlen) == 0)
            return raise_err(L, RS_ERR_FN_REG_DUP);
    struct fn *f = rs_calloc(1, sizeof *f + nlen + 1);
    memcpy(f->name, name, nlen);
    f->name_len = nlen;
    if (desc) {
        f->desc = rs_memdup(desc, dlen);
        f->desc_len = dlen;
    }
    f->flags = a.flags;
    f->lib = li;
    lua_pushvalue(L, a.ref);
    f->keeps_args = lua_engine_fn_keeps_args(L);
    f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    *li->fns_tail = f;
    li->fns_tail = &f->next;
    li->nfns++;
    return 0;
}

/* Stops a load past LOAD_TIMEOUT_US, as Redis's luaEngineLoadHook. */
static void load_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_getfield(L, LUA_REGISTRYINDEX, LOAD_START_KEY);
    uint64_t start = (uint64_t)lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (rs_mono_us() - start > LOAD_TIMEOUT_US) {
        /* Line hooks from now on, so a pcall in the code cannot swallow
         * the error and run on unchecked. */
        lua_sethook(L, load_hook, LUA_MASKLINE, 0);
        raise_err(L, RS_ERR_FN_LOAD_TIMEOUT);
    }
}

/* Run li's Lua (code after its shebang line, whose newline it keeps) with
 * the load API as its globals, so it registers its functions into li.
 * false with the error text in err. */
static bool run_library(struct store *st, struct library *li, const char *code, size_t len,
                        char *err, size_t errlen)
{
    struct functions *fs = st->functions;
    lua_State *L = lua_engine_state(engine(st));
    int top = lua_gettop(L);
    /* The globals are a proxy whose metatable's __index is the real
     * globals: point it at the load API for the load. */
    lua_getmetatable(L, LUA_GLOBALSINDEX);
    int mt = lua_gettop(L);
    lua_getfield(L, mt, "__index");
    lua_rawgeti(L, LUA_REGISTRYINDEX, fs->load_api);
    lua_setfield(L, mt, "__index");
    bool ok = false;
    if (luaL_loadbuffer(L, code, len, "@user_function")) {
        snprintf(err, errlen, rs_err_text[RS_ERR_FN_COMPILE], lua_tostring(L, -1));
    } else {
        lua_pushlightuserdata(L, li);
        lua_setfield(L, LUA_REGISTRYINDEX, LOAD_CTX_KEY);
        lua_pushnumber(L, (lua_Number)rs_mono_us());
        lua_setfield(L, LUA_REGISTRYINDEX, LOAD_START_KEY);
        lua_sethook(L, load_hook, LUA_MASKCOUNT, LOAD_HOOK_COUNT);
        if (lua_pcall(L, 0, 0, 0) == 0) {
            ok = true;
        } else if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            const char *m = lua_tostring(L, -1);
            snprintf(err, errlen, rs_err_text[RS_ERR_FN_REGISTER], m ? m : "");
        } else {
            const char *m = lua_tostring(L, -1);
            char msg[512];
            snprintf(msg, sizeof msg, "ERR %s", m ? m : "");
            snprintf(err, errlen, rs_err_text[RS_ERR_FN_REGISTER], msg);
        }
        lua_sethook(L, NULL, 0, 0);
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, LOAD_CTX_KEY);
    }
    lua_pushvalue(L, mt + 1);
    lua_setfield(L, mt, "__index");
    lua_settop(L, top);
    return ok;
}

/* ------------------------------------------------------------------------
 * Loading a library
 * ------------------------------------------------------------------------ */

/* The shebang of a library ("#!<engine> name=<lib>", split as Redis's
 * sdssplitargs: the inline-command parser does that); fills the engine
 * and name and where the Lua starts. false with the error in err. */
static bool metadata(const char *code, size_t len, char *engine_name, size_t engine_cap,
                     char *name, size_t name_cap, size_t *body, char *err, size_t errlen)
{
    if (len < 2 || code[0] != '#' || code[1] != '!') {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_NO_METADATA]);
        return false;
    }
    const char *nl = memchr(code, '\n', len);
    /* Redis reads the code as a C string: a NUL ends it. */
    const char *nul = memchr(code, '\0', len);
    if (nl == NULL || (nul && nul < nl)) {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_BAD_METADATA]);
        return false;
    }
    size_t line = (size_t)(nl - code);
    char *buf = rs_malloc(line + 2);
    memcpy(buf, code, line);
    buf[line] = '\n';
    buf[line + 1] = '\0';
    struct resp_arg args[16];
    struct resp_parser p;
    resp_parser_init(&p, args, sizeof args / sizeof args[0], 1LL << 40);
    size_t used;
    bool ok = false;
    if (resp_parse(&p, buf, line + 1, &used) != RESP_OK || p.argc == 0) {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_BAD_METADATA]);
        goto out;
    }
    snprintf(engine_name, engine_cap, "%.*s", (int)args[0].len - 2, buf + args[0].off + 2);
    bool has_name = false;
    for (int i = 1; i < p.argc; i++) {
        const char *a = buf + args[i].off;
        int alen = (int)args[i].len;
        if (alen >= 5 && strncasecmp(a, "name=", 5) == 0) {
            if (has_name) {
                snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_NAME_TWICE]);
                goto out;
            }
            has_name = true;
            snprintf(name, name_cap, "%.*s", alen - 5, a + 5);
            continue;
        }
        char v[256];
        snprintf(v, sizeof v, "%.*s", alen, a);
        snprintf(err, errlen, rs_err_text[RS_ERR_FN_METADATA_VALUE], v);
        goto out;
    }
    if (!has_name) {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_NO_LIB_NAME]);
        goto out;
    }
    *body = line;
    ok = true;
out:
    rs_free(buf);
    return ok;
}

/* Create the library of code in set (replacing one of its name when
 * replace), as Redis's functionsCreateWithLibraryCtx. Returns it, or NULL
 * with the error text in err and set as it was. */
static struct library *create_library(struct store *st, struct libset *set, const char *code,
                                      size_t len, bool replace, char *err, size_t errlen)
{
    char engine_name[64], name[256];
    size_t body;
    if (!metadata(code, len, engine_name, sizeof engine_name, name, sizeof name, &body, err,
                  errlen))
        return NULL;
    size_t nlen = strlen(name);
    if (!valid_name(name, nlen)) {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_BAD_NAME]);
        return NULL;
    }
    if (strcasecmp(engine_name, ENGINE_NAME) != 0) {
        snprintf(err, errlen, rs_err_text[RS_ERR_FN_NO_ENGINE], engine_name);
        return NULL;
    }
    struct library *old = set_find_lib(set, name, nlen);
    if (old && !replace) {
        snprintf(err, errlen, rs_err_text[RS_ERR_FN_LIB_EXISTS], name);
        return NULL;
    }
    if (old)
        set_unlink(set, old);
    struct functions *fs = functions(st);
    struct library *li = rs_calloc(1, sizeof *li + nlen + 1);
    memcpy(li->name, name, nlen);
    li->name_len = nlen;
    li->fns_tail = &li->fns;
    li->code = rs_memdup(code, len);
    li->code_len = len;
    bool ok = run_library(st, li, code + body, len - body, err, errlen);
    if (ok && li->nfns == 0) {
        snprintf(err, errlen, "%s", rs_err_text[RS_ERR_FN_NONE]);
        ok = false;
    }
    for (struct fn *f = li->fns; ok && f; f = f->next) {
        if (set_find_fn(set, f->name, f->name_len)) {
            snprintf(err, errlen, rs_err_text[RS_ERR_FN_EXISTS], f->name);
            ok = false;
        }
    }
    if (!ok) {
        lib_free(fs, li);
        if (old)
            set_link(set, old);
        return NULL;
    }
    set_link(set, li);
    if (old)
        lib_free(fs, old);
    return li;
}

/* Move every library of src into dst, replacing those of the same name
 * when replace, as Redis's libraryJoin: on a clash nothing moves (false,
 * the error in err) and src keeps its libraries. */
static bool join(struct functions *fs, struct libset *dst, struct libset *src, bool replace,
                 char *err, size_t errlen)
{
    struct libset old = {0};
    bool ok = true;
    for (struct library *li = src->libs; li && ok; li = li->next) {
        struct library *o = set_find_lib(dst, li->name, li->name_len);
        if (o == NULL)
            continue;
        if (!replace) {
            snprintf(err, errlen, rs_err_text[RS_ERR_FN_JOIN_LIB_EXISTS], li->name);
            ok = false;
            break;
        }
        set_unlink(dst, o);
        set_link(&old, o);
    }
    for (struct library *li = src->libs; li && ok; li = li->next) {
        for (struct fn *f = li->fns; f && ok; f = f->next) {
            if (fn_linked(src, f) && set_find_fn(dst, f->name, f->name_len)) {
                snprintf(err, errlen, rs_err_text[RS_ERR_FN_EXISTS], f->name);
                ok = false;
            }
        }
    }
    if (!ok) {
        while (old.libs) {
            struct library *o = old.libs;
            set_unlink(&old, o);
            set_link(dst, o);
        }
        return false;
    }
    while (src->libs) {
        struct library *li = src->libs;
        set_unlink(src, li);
        set_link(dst, li);
    }
    set_clear(fs, &old);
    return true;
}

void functions_init(struct store *st)
{
    engine(st);
}

void functions_free(struct store *st)
{
    struct functions *fs = st->functions;
    if (fs == NULL)
        return;
    set_clear(fs, &fs->cur);
    lua_engine_free(fs->engine);
    rs_free(fs);
    st->functions = NULL;
}

void functions_stats(const struct store *st, struct functions_stats *out)
{
    const struct functions *fs = st->functions;
    memset(out, 0, sizeof *out);
    if (fs == NULL)
        return;
    out->vm_bytes = fs->engine ? lua_engine_memory(fs->engine) : 0;
    out->nfunctions = fs->cur.nfns;
    out->nlibraries = fs->cur.nlibs;
    out->bytes = sizeof *fs + fs->cur.bytes +
                 (fs->cur.by_name.b ? (fs->cur.by_name.mask + 1) * sizeof(void *) : 0);
}

/* ------------------------------------------------------------------------
 * FCALL
 * ------------------------------------------------------------------------ */

uint32_t function_cmd_flags(const struct cmd_ctx *c)
{
    struct functions *fs = c->st->functions;
    struct fn *f = fs ? set_find_fn(&fs->cur, c->argv[1].p, c->argv[1].len) : NULL;
    return f ? script_flags_to_cmd(c->cmd->flags, f->flags) : c->cmd->flags;
}

static void fcall_generic(struct cmd_ctx *c, bool ro)
{
    /* Functions are fed to monitors before the commands they run. */
    monitor_feed_before(c);
    struct functions *fs = c->st->functions;
    struct fn *f = fs ? set_find_fn(&fs->cur, c->argv[1].p, c->argv[1].len) : NULL;
    if (f == NULL) {
        reply_err(c, RS_ERR_FN_NOT_FOUND);
        return;
    }
    long long numkeys;
    if (!resp_str2ll(c->argv[2].p, c->argv[2].len, &numkeys)) {
        reply_err(c, RS_ERR_FN_NUMKEYS);
        return;
    }
    if (numkeys > c->argc - 3) {
        reply_err(c, RS_ERR_LUA_NUMKEYS_MANY);
        return;
    }
    if (numkeys < 0) {
        reply_err(c, RS_ERR_LUA_NUMKEYS_NEG);
        return;
    }
    bool no_writes = f->flags & SCRIPT_NO_WRITES;
    if (ro && !no_writes) {
        reply_err(c, RS_ERR_LUA_RO_SCRIPT);
        return;
    }
    if (script_refuses_oom(c->st, f->flags)) {
        reply_err(c, RS_ERR_LUA_OOM_FLAG);
        return;
    }
    struct script_run r = {
        .caller = c,
        .sha = f->name,
        .read_only = ro || no_writes,
        .allow_oom = f->flags & SCRIPT_ALLOW_OOM,
        .fn_args = true,
        .reuse_args = !f->keeps_args,
        .nkeys = (int)numkeys,
        .nargs = c->argc - 3 - (int)numkeys,
        .keys = c->argv + 3,
        .args = c->argv + 3 + numkeys,
    };
    /* The prefetch hint of argv[1] names no key. */
    c->st->key_t = NULL;
    lua_engine_run(fs->engine, f->ref, &r);
}

/* FCALL function numkeys [key ...] [arg ...] */
void cmd_fcall(struct cmd_ctx *c)
{
    fcall_generic(c, false);
}

/* FCALL_RO function numkeys [key ...] [arg ...] */
void cmd_fcall__ro(struct cmd_ctx *c)
{
    fcall_generic(c, true);
}

/* ------------------------------------------------------------------------
 * FUNCTION
 * ------------------------------------------------------------------------ */

/* FUNCTION LOAD [REPLACE] code */
void cmd_function_load(struct cmd_ctx *c)
{
    bool replace = false;
    int i = 2;
    for (; i < c->argc - 1; i++) {
        if (!rs_str_eqi(c->argv[i], "replace")) {
            reply_errf(c, rs_err_text[RS_ERR_FN_LOAD_OPTION], cstr_len(c->argv[i], 128),
                       c->argv[i].p);
            return;
        }
        replace = true;
    }
    char err[1024];
    struct library *li = create_library(c->st, &functions(c->st)->cur, c->argv[i].p,
                                        c->argv[i].len, replace, err, sizeof err);
    if (li == NULL) {
        reply_error_bytes(c, err, strlen(err));
        return;
    }
    ks_dirty(c->st, 1);
    resp_add_bulk(c->out, li->name, li->name_len);
}

static void reply_flags(struct cmd_ctx *c, uint32_t flags)
{
    int n = 0;
    for (size_t i = 0; i < SCRIPT_NFLAGS; i++)
        n += (flags & script_flag_names[i].flag) != 0;
    resp_add_set_len(c->out, n);
    for (size_t i = 0; i < SCRIPT_NFLAGS; i++)
        if (flags & script_flag_names[i].flag)
            resp_add_simple(c->out, script_flag_names[i].name, strlen(script_flag_names[i].name));
}

/* FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] */
void cmd_function_list(struct cmd_ctx *c)
{
    bool with_code = false;
    const struct rs_str *pattern = NULL;
    for (int i = 2; i < c->argc; i++) {
        if (!with_code && rs_str_eqi(c->argv[i], "withcode")) {
            with_code = true;
        } else if (pattern == NULL && rs_str_eqi(c->argv[i], "libraryname")) {
            if (i >= c->argc - 1) {
                reply_err(c, RS_ERR_FUNCTION_LIBNAME);
                return;
            }
            pattern = &c->argv[++i];
        } else {
            reply_errf(c, rs_err_text[RS_ERR_FUNCTION_ARG], cstr_len(c->argv[i], 128),
                       c->argv[i].p);
            return;
        }
    }
    const struct libset *set = &functions(c->st)->cur;
    long long n = 0;
    for (const struct library *li = set->libs; li; li = li->next)
        n += !pattern || glob_match(pattern->p, pattern->len, li->name, li->name_len, true);
    resp_add_array_len(c->out, n);
    for (const struct library *li = set->libs; li; li = li->next) {
        if (pattern && !glob_match(pattern->p, pattern->len, li->name, li->name_len, true))
            continue;
        resp_add_map_len(c->out, with_code ? 4 : 3);
        resp_add_bulk(c->out, "library_name", 12);
        resp_add_bulk(c->out, li->name, li->name_len);
        resp_add_bulk(c->out, "engine", 6);
        resp_add_bulk(c->out, ENGINE_NAME, strlen(ENGINE_NAME));
        resp_add_bulk(c->out, "functions", 9);
        resp_add_array_len(c->out, (long long)li->nfns);
        for (const struct fn *f = li->fns; f; f = f->next) {
            resp_add_map_len(c->out, 3);
            resp_add_bulk(c->out, "name", 4);
            resp_add_bulk(c->out, f->name, f->name_len);
            resp_add_bulk(c->out, "description", 11);
            if (f->desc)
                resp_add_bulk(c->out, f->desc, f->desc_len);
            else
                resp_add_null(c->out);
            resp_add_bulk(c->out, "flags", 5);
            reply_flags(c, f->flags);
        }
        if (with_code) {
            resp_add_bulk(c->out, "library_code", 12);
            resp_add_bulk(c->out, li->code, li->code_len);
        }
    }
}

/* FUNCTION DELETE library */
void cmd_function_delete(struct cmd_ctx *c)
{
    struct functions *fs = functions(c->st);
    struct library *li = set_find_lib(&fs->cur, c->argv[2].p, c->argv[2].len);
    if (li == NULL) {
        reply_err(c, RS_ERR_FN_LIB_NOT_FOUND);
        return;
    }
    set_unlink(&fs->cur, li);
    lib_free(fs, li);
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* FUNCTION FLUSH [ASYNC|SYNC]: both free at once, the libraries and the
 * interpreter with them (Redis starts a new one). */
void cmd_function_flush(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->argc == 3 && !rs_str_eqi(c->argv[2], "sync") && !rs_str_eqi(c->argv[2], "async")) {
        reply_err(c, RS_ERR_FUNCTION_FLUSH_MODE);
        return;
    }
    functions_free(c->st);
    functions_init(c->st);
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

void function_rdb_put(struct store *st, struct rdb_buf *b)
{
    if (st->functions == NULL)
        return;
    for (const struct library *li = functions(st)->cur.libs; li; li = li->next) {
        rdb_put_type(b, RDB_OPCODE_FUNCTION2);
        rdb_put_string(b, li->code, li->code_len);
    }
}

void function_each(struct store *st, void (*fn)(void *ud, const char *code, size_t len), void *ud)
{
    if (st->functions == NULL)
        return;
    for (const struct library *li = functions(st)->cur.libs; li; li = li->next)
        fn(ud, li->code, li->code_len);
}

bool function_rdb_load(struct store *st, const char *code, size_t len, bool replace, char *err,
                       size_t errlen)
{
    struct functions *fs = functions(st);
    struct libset loaded = {0};
    bool ok = create_library(st, &loaded, code, len, false, err, errlen) != NULL &&
              join(fs, &fs->cur, &loaded, replace, err, errlen);
    set_clear(fs, &loaded);
    return ok;
}

/* FUNCTION DUMP: every library, as Redis's rdbSaveFunctions, and the
 * DUMP footer. */
void cmd_function_dump(struct cmd_ctx *c)
{
    struct rdb_buf b = {.no_lzf = !c->st->cfg.rdbcompression};
    function_rdb_put(c->st, &b);
    rdb_put_dump_footer(&b);
    resp_add_bulk(c->out, (const char *)b.p, b.len);
    rs_free(b.p);
}

/* FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
void cmd_function_restore(struct cmd_ctx *c)
{
    if (c->argc > 4) {
        reply_subcmd_syntax(c);
        return;
    }
    enum { APPEND, REPLACE, FLUSH } policy = APPEND;
    if (c->argc == 4) {
        if (rs_str_eqi(c->argv[3], "append")) {
            policy = APPEND;
        } else if (rs_str_eqi(c->argv[3], "replace")) {
            policy = REPLACE;
        } else if (rs_str_eqi(c->argv[3], "flush")) {
            policy = FLUSH;
        } else {
            reply_err(c, RS_ERR_FN_RESTORE_POLICY);
            return;
        }
    }
    const uint8_t *data = (const uint8_t *)c->argv[2].p;
    size_t len = c->argv[2].len;
    uint16_t version;
    if (!rdb_dump_verify(data, len, c->st->skip_checksum, &version)) {
        reply_err(c, RS_ERR_FN_PAYLOAD);
        return;
    }
    struct functions *fs = functions(c->st);
    struct libset loaded = {0};
    struct rdb_reader r = {data, data + len - 10};
    char err[1024];
    bool ok = true;
    while (ok && r.p < r.end) {
        int type = rdb_get_type(&r);
        if (type == RDB_OPCODE_FUNCTION_PRE_GA) {
            snprintf(err, sizeof err, "%s", rs_err_text[RS_ERR_FN_RESTORE_PRE_GA]);
            ok = false;
        } else if (type != RDB_OPCODE_FUNCTION2) {
            snprintf(err, sizeof err, "%s", rs_err_text[RS_ERR_FN_RESTORE_NOT_FN]);
            ok = false;
        } else {
            size_t n;
            char *code = rdb_get_string(&r, &n);
            if (code == NULL) {
                snprintf(err, sizeof err, "%s", rs_err_text[RS_ERR_FN_RESTORE_STRING]);
                ok = false;
            } else {
                ok = create_library(c->st, &loaded, code, n, false, err, sizeof err) != NULL;
                rs_free(code);
            }
        }
    }
    if (ok && policy == FLUSH) {
        set_clear(fs, &fs->cur);
        ok = join(fs, &fs->cur, &loaded, false, err, sizeof err);
    } else if (ok) {
        ok = join(fs, &fs->cur, &loaded, policy == REPLACE, err, sizeof err);
    }
    set_clear(fs, &loaded);
    if (!ok) {
        reply_error_bytes(c, err, strlen(err));
        return;
    }
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* FUNCTION STATS: no function runs while another command is served (a
 * function runs inside its FCALL), so running_script is null. The
 * long-script handling (BUSY) is the place that will answer the running
 * function's name, command and duration here. */
void cmd_function_stats(struct cmd_ctx *c)
{
    if (script_running_eval(c->st)) {
        reply_err(c, RS_ERR_BUSY_SCRIPT); /* as Redis: STATS is for functions */
        return;
    }
    const struct libset *set = &functions(c->st)->cur;
    resp_add_map_len(c->out, 2);
    resp_add_bulk(c->out, "running_script", 14);
    struct rs_str name;
    const struct cmd_ctx *fcall;
    int64_t ms;
    if (script_running_function(c->st, &name, &fcall, &ms)) {
        resp_add_map_len(c->out, 3);
        resp_add_bulk(c->out, "name", 4);
        resp_add_bulk_str(c->out, name);
        resp_add_bulk(c->out, "command", 7);
        resp_add_array_len(c->out, fcall->argc);
        for (int i = 0; i < fcall->argc; i++)
            resp_add_bulk_str(c->out, fcall->argv[i]);
        resp_add_bulk(c->out, "duration_ms", 11);
        resp_add_int(c->out, ms);
    } else {
        resp_add_null(c->out);
    }
    resp_add_bulk(c->out, "engines", 7);
    resp_add_map_len(c->out, 1);
    resp_add_bulk(c->out, ENGINE_NAME, strlen(ENGINE_NAME));
    resp_add_map_len(c->out, 2);
    resp_add_bulk(c->out, "libraries_count", 15);
    resp_add_int(c->out, (long long)set->nlibs);
    resp_add_bulk(c->out, "functions_count", 15);
    resp_add_int(c->out, (long long)set->nfns);
}

/* FUNCTION KILL: from another client while a function runs past
 * busy-reply-threshold (the transport serves it from inside the script);
 * an EVAL's script is SCRIPT KILL's. */
void cmd_function_kill(struct cmd_ctx *c)
{
    script_kill_reply(c, KILL_BY_FUNCTION);
}

void cmd_function_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME "
        "argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored "
        "using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a "
        "restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
        "abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
        "replace the old",
        "      libraries with the new libraries (notice that even on this option there is a "
        "chance of failure",
        "      in case of functions name collision with another library).",
        NULL,
    };
    reply_help(c, "FUNCTION", lines);
}
