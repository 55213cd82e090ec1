/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The cmsgpack library of Redis scripts, MessagePack to and from Lua
 * values, with the results, errors and quirks of Redis 7.4's (its
 * lua_cmsgpack.c, "lua-cmsgpack 0.4.0") on a 64-bit host:
 *
 *   cmsgpack.pack(v, ...)          the encodings of every argument, joined
 *   cmsgpack.unpack(s)             every value encoded in s
 *   cmsgpack.unpack_one(s [, off]) the next offset (-1 at the end), then
 *                                  the value at byte offset off (from 0)
 *   cmsgpack.unpack_limit(s, n [, off])  the same, for up to n values;
 *                                  n = 0 and no offset decode all, as unpack
 *
 * Encoding. A number that is an integer within int64 takes the shortest
 * integer form (positive or negative fixint, uint8..64 for n >= 0,
 * int8..64 below), any other a float32 if it survives the round trip, else
 * a float64. A string is a fixstr / str8 / str16 / str32 (never bin). A
 * table whose keys are exactly the integers 1..n is an array (the empty
 * table too), any other a map in lua_next order. A table nested deeper than
 * LUACMSGPACK_MAX_NESTING is encoded as nil, as is every value of another
 * type (functions, userdata...).
 *
 * Decoding knows the types above plus bool and nil; bin, ext and 0xc1 are
 * "Bad data format in input.", a value cut short "Missing bytes in input.".
 * Integers come back as Lua numbers (uint64 through int64, so wrapped).
 */
#include <float.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "commands/lua_libs.h"

#define LUACMSGPACK_MAX_NESTING 16

/* The encoder's output: a userdata kept as pack's upvalue, its bytes
 * allocated with the interpreter's allocator (so they count towards its
 * cap). pack empties it when done; after an error it is reused, or freed
 * by the userdata's __gc. */
struct mp_buf {
    unsigned char *b;
    size_t len, cap;
};

static void buf_resize(lua_State *L, struct mp_buf *buf, size_t cap)
{
    void *ud;
    lua_Alloc alloc = lua_getallocf(L, &ud);
    unsigned char *b = alloc(ud, buf->b, buf->cap, cap);
    if (b == NULL && cap > 0)
        luaL_error(L, "not enough memory");
    buf->b = b;
    buf->cap = cap;
}

static void buf_append(lua_State *L, struct mp_buf *buf, const void *p, size_t n)
{
    if (buf->cap - buf->len < n) {
        size_t cap = buf->cap ? buf->cap : 64;
        while (cap - buf->len < n)
            cap *= 2;
        buf_resize(L, buf, cap);
    }
    memcpy(buf->b + buf->len, p, n);
    buf->len += n;
}

static int buf_gc(lua_State *L)
{
    buf_resize(L, lua_touserdata(L, 1), 0);
    return 0;
}

/* Append tag then the low nbytes of v, big endian. */
static void put_tagged(lua_State *L, struct mp_buf *buf, unsigned char tag, uint64_t v, int nbytes)
{
    unsigned char out[9];
    out[0] = tag;
    for (int i = nbytes; i > 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    buf_append(L, buf, out, (size_t)nbytes + 1);
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

static void encode_int(lua_State *L, struct mp_buf *buf, int64_t n)
{
    uint64_t u = (uint64_t)n;
    if (n >= 0) {
        if (n <= 127)
            put_tagged(L, buf, (unsigned char)n, 0, 0);
        else if (n <= 0xff)
            put_tagged(L, buf, 0xcc, u, 1);
        else if (n <= 0xffff)
            put_tagged(L, buf, 0xcd, u, 2);
        else if (n <= 0xffffffffLL)
            put_tagged(L, buf, 0xce, u, 4);
        else
            put_tagged(L, buf, 0xcf, u, 8);
    } else {
        if (n >= -32)
            put_tagged(L, buf, (unsigned char)(u & 0xff), 0, 0);
        else if (n >= -128)
            put_tagged(L, buf, 0xd0, u, 1);
        else if (n >= -32768)
            put_tagged(L, buf, 0xd1, u, 2);
        else if (n >= -2147483648LL)
            put_tagged(L, buf, 0xd2, u, 4);
        else
            put_tagged(L, buf, 0xd3, u, 8);
    }
}

static void encode_number(lua_State *L, struct mp_buf *buf, lua_Number n)
{
    /* Redis's test, (int64_t)n == n, as x86 evaluates it. */
    if (!isinf(n) && (lua_Number)double_to_ll_trunc(n) == n) {
        encode_int(L, buf, (int64_t)n);
        return;
    }
    /* Past FLT_MAX the cast would be inf, which is not n either. */
    bool fits_float = !(isfinite(n) && fabs(n) > FLT_MAX) && (double)(float)n == n;
    if (fits_float) {
        float f = (float)n;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        put_tagged(L, buf, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &n, sizeof bits);
        put_tagged(L, buf, 0xcb, bits, 8);
    }
}

static void encode_string(lua_State *L, struct mp_buf *buf)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (len < 32)
        put_tagged(L, buf, (unsigned char)(0xa0 | len), 0, 0);
    else if (len <= 0xff)
        put_tagged(L, buf, 0xd9, len, 1);
    else if (len <= 0xffff)
        put_tagged(L, buf, 0xda, len, 2);
    else
        put_tagged(L, buf, 0xdb, len, 4);
    buf_append(L, buf, s, len);
}

/* Whether the table on top has exactly the keys 1..n (Redis counts the
 * keys and compares with the largest, each a positive number that fits
 * an int). */
static bool table_is_array(lua_State *L)
{
    int top = lua_gettop(L);
    int count = 0, max = 0;
    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_Number k;
        if (lua_type(L, -1) != LUA_TNUMBER || (k = lua_tonumber(L, -1)) <= 0 ||
            !(k < 2147483648.0 && (lua_Number)(int)k == k)) {
            lua_settop(L, top);
            return false;
        }
        if (k > max)
            max = (int)k;
        count++;
    }
    lua_settop(L, top);
    return max == count;
}

/* An array's or a map's header: the fix form (0x90 / 0x80) under 16
 * elements, else the 16-bit (0xdc / 0xde) or the 32-bit one after it. */
static void put_container(lua_State *L, struct mp_buf *buf, unsigned char fix,
                          unsigned char tag16, size_t len)
{
    if (len <= 15)
        put_tagged(L, buf, (unsigned char)(fix | len), 0, 0);
    else if (len <= 0xffff)
        put_tagged(L, buf, tag16, len, 2);
    else
        put_tagged(L, buf, tag16 + 1, len, 4);
}

static void encode_value(lua_State *L, struct mp_buf *buf, int level);

static void encode_array(lua_State *L, struct mp_buf *buf, int level)
{
    size_t len = lua_objlen(L, -1);
    put_container(L, buf, 0x90, 0xdc, len);
    luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
    for (size_t j = 1; j <= len; j++) {
        lua_pushnumber(L, (lua_Number)j);
        lua_gettable(L, -2);
        encode_value(L, buf, level + 1);
    }
}

static void encode_map(lua_State *L, struct mp_buf *buf, int level)
{
    size_t len = 0;
    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        len++;
    }
    put_container(L, buf, 0x80, 0xde, len);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        encode_value(L, buf, level + 1); /* the key */
        encode_value(L, buf, level + 1); /* its value */
    }
}

/* Encode the value on top, at depth level (0 for pack's arguments), and
 * pop it. */
static void encode_value(lua_State *L, struct mp_buf *buf, int level)
{
    int type = lua_type(L, -1);
    if (type == LUA_TTABLE && level == LUACMSGPACK_MAX_NESTING)
        type = LUA_TNIL;
    switch (type) {
    case LUA_TSTRING:
        encode_string(L, buf);
        break;
    case LUA_TBOOLEAN:
        put_tagged(L, buf, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
        break;
    case LUA_TNUMBER:
        encode_number(L, buf, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (table_is_array(L))
            encode_array(L, buf, level);
        else
            encode_map(L, buf, level);
        break;
    default:
        put_tagged(L, buf, 0xc0, 0, 0);
    }
    lua_pop(L, 1);
}

static int mp_pack(lua_State *L)
{
    int nargs = lua_gettop(L);
    if (nargs == 0)
        return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, nargs))
        return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
    struct mp_buf *buf = lua_touserdata(L, lua_upvalueindex(1));
    for (int i = 1; i <= nargs; i++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, i);
        buf->len = 0;
        encode_value(L, buf, 0);
        lua_pushlstring(L, (const char *)buf->b, buf->len);
    }
    buf->len = 0;
    buf_resize(L, buf, 0);
    lua_concat(L, nargs);
    return 1;
}

/* ------------------------------------------------------------------------
 * Decoding
 * ------------------------------------------------------------------------ */

enum { MP_OK, MP_EOF, MP_BADFMT };

struct mp_cur {
    const unsigned char *p;
    size_t left;
    int err; /* MP_*: set, the decoding stops where it is */
};

static bool need(struct mp_cur *c, size_t n)
{
    if (c->left < n) {
        c->err = MP_EOF;
        return false;
    }
    return true;
}

static void consume(struct mp_cur *c, size_t n)
{
    c->p += n;
    c->left -= n;
}

static uint64_t read_be(const unsigned char *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* A string of n bytes after a hdr-byte header. */
static void decode_string(lua_State *L, struct mp_cur *c, size_t hdr, size_t n)
{
    if (!need(c, hdr + n))
        return;
    lua_pushlstring(L, (const char *)c->p + hdr, n);
    consume(c, hdr + n);
}

static void decode_value(lua_State *L, struct mp_cur *c);

/* The tables are grown one key at a time as Redis does (no presizing),
 * so their pairs() order is Redis's. */
static void decode_array(lua_State *L, struct mp_cur *c, size_t len)
{
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (lua_Number i = 1; len > 0; len--, i++) {
        lua_pushnumber(L, i);
        decode_value(L, c);
        if (c->err)
            return;
        lua_settable(L, -3);
    }
}

static void decode_map(lua_State *L, struct mp_cur *c, size_t len)
{
    lua_newtable(L);
    for (; len > 0; len--) {
        decode_value(L, c); /* the key */
        if (c->err)
            return;
        decode_value(L, c);
        if (c->err)
            return;
        /* A nil or NaN key is Lua's error, as in Redis. */
        lua_settable(L, -3);
    }
}

/* Push the value at c, or set c->err. */
static void decode_value(lua_State *L, struct mp_cur *c)
{
    if (!need(c, 1))
        return;
    luaL_checkstack(L, 1,
                    "too many return values at once; use unpack_one or unpack_limit instead.");
    const unsigned char *p = c->p;
    unsigned char tag = p[0];
    static const int int_bytes[] = {1, 2, 4, 8}; /* 0xcc..0xcf, 0xd0..0xd3 */
    switch (tag) {
    case 0xc0:
        lua_pushnil(L);
        consume(c, 1);
        return;
    case 0xc2: case 0xc3:
        lua_pushboolean(L, tag == 0xc3);
        consume(c, 1);
        return;
    case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        int n = int_bytes[tag - 0xcc];
        if (!need(c, 1 + (size_t)n))
            return;
        lua_pushinteger(L, (lua_Integer)read_be(p + 1, n));
        consume(c, 1 + (size_t)n);
        return;
    }
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int n = int_bytes[tag - 0xd0];
        if (!need(c, 1 + (size_t)n))
            return;
        /* Sign-extend the n-byte value. */
        uint64_t v = read_be(p + 1, n);
        int shift = 64 - 8 * n;
        int64_t s = shift ? (int64_t)(v << shift) >> shift : (int64_t)v;
        lua_pushnumber(L, (lua_Number)s);
        consume(c, 1 + (size_t)n);
        return;
    }
    case 0xca: {
        if (!need(c, 5))
            return;
        uint32_t bits = (uint32_t)read_be(p + 1, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        lua_pushnumber(L, f);
        consume(c, 5);
        return;
    }
    case 0xcb: {
        if (!need(c, 9))
            return;
        uint64_t bits = read_be(p + 1, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
        consume(c, 9);
        return;
    }
    case 0xd9: case 0xda: case 0xdb: {
        int n = 1 << (tag - 0xd9);
        if (need(c, 1 + (size_t)n))
            decode_string(L, c, 1 + (size_t)n, read_be(p + 1, n));
        return;
    }
    case 0xdc: case 0xdd: case 0xde: case 0xdf: {
        int n = tag & 1 ? 4 : 2;
        if (!need(c, 1 + (size_t)n))
            return;
        size_t len = read_be(p + 1, n);
        consume(c, 1 + (size_t)n);
        if (tag <= 0xdd)
            decode_array(L, c, len);
        else
            decode_map(L, c, len);
        return;
    }
    default:
        break;
    }
    if (tag < 0x80) {
        lua_pushinteger(L, tag);
        consume(c, 1);
    } else if (tag >= 0xe0) {
        lua_pushinteger(L, (lua_Integer)tag - 256);
        consume(c, 1);
    } else if ((tag & 0xe0) == 0xa0) {
        decode_string(L, c, 1, tag & 0x1f);
    } else if ((tag & 0xf0) == 0x90) {
        consume(c, 1);
        decode_array(L, c, tag & 0xf);
    } else if ((tag & 0xf0) == 0x80) {
        consume(c, 1);
        decode_map(L, c, tag & 0xf);
    } else {
        c->err = MP_BADFMT;
    }
}

/* Decode up to limit values of argument 1 from byte offset; limit and
 * offset both 0 mean all of them, and no offset is returned. Otherwise the
 * next offset (-1 at the end) comes first. The string must be the only
 * argument left on the stack, but for unpack's all. */
static int unpack_values(lua_State *L, lua_Integer limit, lua_Integer offset)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    bool is_all = limit == 0 && offset == 0;
    /* Redis prints its 64-bit numbers with %d, their low 32 bits, and the
     * input's length where it says limit. */
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                          (int)offset, (int)len);
    if ((size_t)offset > len)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset,
                          (int)len);
    if (is_all)
        limit = INT_MAX;
    struct mp_cur c = {(const unsigned char *)s + offset, len - (size_t)offset, MP_OK};
    int n = 0;
    for (; c.left > 0 && n < limit; n++) {
        decode_value(L, &c);
        if (c.err == MP_EOF)
            return luaL_error(L, "Missing bytes in input.");
        if (c.err == MP_BADFMT)
            return luaL_error(L, "Bad data format in input.");
    }
    if (is_all)
        return n;
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, c.left == 0 ? -1 : (int)(len - c.left));
    lua_insert(L, 2);
    return n + 1;
}

static int mp_unpack(lua_State *L)
{
    return unpack_values(L, 0, 0);
}

static int mp_unpack_one(lua_State *L)
{
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    /* Redis's pop leaves an empty stack empty: "got no value". */
    lua_pop(L, lua_gettop(L) - 1);
    return unpack_values(L, 1, offset);
}

static int mp_unpack_limit(lua_State *L)
{
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    lua_pop(L, lua_gettop(L) - 1);
    return unpack_values(L, limit, offset);
}

int luaopen_cmsgpack(lua_State *L)
{
    lua_newtable(L);
    struct mp_buf *buf = lua_newuserdata(L, sizeof *buf);
    *buf = (struct mp_buf){0};
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, buf_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, mp_pack, 1);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, mp_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, mp_unpack_one);
    lua_setfield(L, -2, "unpack_one");
    lua_pushcfunction(L, mp_unpack_limit);
    lua_setfield(L, -2, "unpack_limit");
    lua_pushliteral(L, "cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "lua-cmsgpack 0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
    lua_setfield(L, -2, "_COPYRIGHT");
    lua_pushliteral(L, "MessagePack C implementation for Lua");
    lua_setfield(L, -2, "_DESCRIPTION");
    lua_pushvalue(L, -1);
    lua_setglobal(L, "cmsgpack");
    return 1;
}
