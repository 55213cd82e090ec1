/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The struct library of Redis scripts: struct.pack(fmt, ...) packs values
 * into a binary string, struct.unpack(fmt, data [, pos]) reads them back
 * (followed by the position after the last byte read), struct.size(fmt)
 * is the length of a fixed-size format. Results, errors and quirks are
 * Redis 7.4's (its lua_struct.c, Roberto Ierusalimschy's struct 0.2 as
 * Redis patched it), on a little-endian 64-bit host.
 *
 * Format, one option after the other:
 *   ' '          ignored
 *   < >          little / big endian from here on (little at the start)
 *   ![n]         align from here on to at most n bytes (a power of two;
 *                8 without n; 1, no alignment, at the start)
 *   x            one zero byte (packing), one byte skipped (unpacking)
 *   b B h H      signed/unsigned 1 and 2-byte integers
 *   l L T        signed/unsigned long, size_t: 8 bytes
 *   i[n] I[n]    signed/unsigned n-byte integers (4 without n, n <= 32)
 *   f d          float, double in the byte order
 *   c[n]         n bytes of a string (1 without n). c0 packs the whole
 *                string and unpacks as many bytes as the value unpacked
 *                just before it says (that value is then dropped)
 *   s            a string ending in a zero byte
 * A value is aligned to min(its size, the alignment) from the string's
 * start, padding with zero bytes; strings (c) are never aligned. Numbers
 * are doubles: an integer option converts with C's cast, so out of range
 * values wrap as they do in Redis (lua_libs.h).
 */
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <string.h>

#include "commands/lua_libs.h"

#define STRUCT_MAX_INT 32  /* widest i[n] / I[n] */
#define STRUCT_MAX_ALIGN 8 /* '!' alone: the alignment of a double */

struct fmt_state {
    bool is_big;   /* byte order of what follows */
    size_t align;  /* the most any value is aligned to */
};

/* The count written after an option, or dflt if it has no digits. */
static int read_count(lua_State *L, const char **fmt, int dflt)
{
    if (!isdigit((unsigned char)**fmt))
        return dflt;
    int n = 0;
    while (isdigit((unsigned char)**fmt)) {
        int digit = *(*fmt)++ - '0';
        if (n > (INT_MAX - digit) / 10)
            luaL_error(L, "integral size overflow");
        n = n * 10 + digit;
    }
    return n;
}

/* Bytes the value of opt takes (its count read from fmt); 0 for the
 * options that are not values, and for s, whose size is its string's. */
static size_t option_size(lua_State *L, int opt, const char **fmt)
{
    switch (opt) {
    case 'b': case 'B': case 'x':
        return 1;
    case 'h': case 'H':
        return sizeof(short);
    case 'l': case 'L': case 'T': case 'd':
        return 8;
    case 'f':
        return sizeof(float);
    case 'c':
        return (size_t)read_count(L, fmt, 1);
    case 'i': case 'I': {
        int n = read_count(L, fmt, sizeof(int));
        if (n > STRUCT_MAX_INT)
            luaL_error(L, "integral size %d is larger than limit of %d", n, STRUCT_MAX_INT);
        return (size_t)n;
    }
    default:
        return 0;
    }
}

/* Zero bytes to put before a value of size at pos. The mask arithmetic is
 * Redis's, which for an n that is not a power of two (i3) gives what it
 * gives there. */
static size_t padding(size_t pos, const struct fmt_state *st, int opt, size_t size)
{
    if (size == 0 || opt == 'c')
        return 0;
    size_t a = size < st->align ? size : st->align;
    return (a - (pos & (a - 1))) & (a - 1);
}

/* Read the option at *fmt and its count: return it, its size in *size,
 * and move *pos past the padding before it. */
static int next_option(lua_State *L, const char **fmt, const struct fmt_state *st, size_t *pos,
                       size_t *size)
{
    int opt = *(*fmt)++;
    *size = option_size(L, opt, fmt);
    *pos += padding(*pos, st, opt, *size);
    return opt;
}

/* Apply an option that is not a value: ' ', '<', '>', '!'; anything else
 * is an error about argument 1. */
static void control_option(lua_State *L, int opt, const char **fmt, struct fmt_state *st)
{
    switch (opt) {
    case ' ':
        return;
    case '<':
        st->is_big = false;
        return;
    case '>':
        st->is_big = true;
        return;
    case '!': {
        int a = read_count(L, fmt, STRUCT_MAX_ALIGN);
        if (a <= 0 || (a & (a - 1)) != 0)
            luaL_error(L, "alignment %d is not a power of 2", a);
        st->align = (size_t)a;
        return;
    }
    default:
        luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

/* Copy size bytes of a host (little-endian) value from src to dst in the
 * byte order of st. */
static void copy_ordered(void *dst, const void *src, size_t size, const struct fmt_state *st)
{
    const unsigned char *s = src;
    unsigned char *d = dst;
    for (size_t i = 0; i < size; i++)
        d[i] = s[st->is_big ? size - 1 - i : i];
}

static void put_int(luaL_Buffer *b, lua_Number n, size_t size, const struct fmt_state *st)
{
    /* Redis casts a negative through long, the rest straight to unsigned. */
    unsigned long long v = n < 0 ? (unsigned long long)double_to_ll_trunc(n)
                                 : double_to_ull_trunc(n);
    char bytes[STRUCT_MAX_INT];
    for (size_t i = 0; i < size; i++) {
        bytes[st->is_big ? size - 1 - i : i] = (char)(v & 0xff);
        v >>= 8; /* beyond 8 bytes, zeros (even for a negative) */
    }
    luaL_addlstring(b, bytes, size);
}

static lua_Number get_int(const unsigned char *p, size_t size, bool is_signed,
                          const struct fmt_state *st)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < size; i++)
        v = v << 8 | p[st->is_big ? i : size - 1 - i];
    if (!is_signed)
        return (lua_Number)v;
    /* The sign bit of the value's top byte; wider than 8 bytes, x86's shift
     * takes the count modulo 64, as in Redis. */
    unsigned long long sign = ~0ULL << ((size * 8 - 1) & 63);
    if (v & sign)
        v |= sign;
    return (lua_Number)(long long)v;
}

/* A float (size 4) or a double (size 8). */
static void put_float(luaL_Buffer *b, lua_Number n, size_t size, const struct fmt_state *st)
{
    float f = (float)n;
    char bytes[sizeof n];
    copy_ordered(bytes, size == sizeof f ? (const void *)&f : (const void *)&n, size, st);
    luaL_addlstring(b, bytes, size);
}

static lua_Number get_float(const unsigned char *p, size_t size, const struct fmt_state *st)
{
    if (size == sizeof(float)) {
        float f;
        copy_ordered(&f, p, sizeof f, st);
        return f;
    }
    double d;
    copy_ordered(&d, p, sizeof d, st);
    return d;
}

/* ------------------------------------------------------------------------
 * struct.pack, struct.unpack, struct.size
 * ------------------------------------------------------------------------ */

static int struct_pack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct fmt_state st = {.is_big = false, .align = 1};
    int arg = 2;
    size_t pos = 0;
    /* A nil between the arguments and the buffer's pieces: an argument
     * missing reads as "got nil", as in Redis. */
    lua_pushnil(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (*fmt) {
        size_t size, start = pos;
        int opt = next_option(L, &fmt, &st, &pos, &size);
        for (size_t i = start; i < pos; i++) /* the padding */
            luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            put_int(&b, luaL_checknumber(L, arg++), size, &st);
            break;
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': case 'd':
            put_float(&b, luaL_checknumber(L, arg++), size, &st);
            break;
        case 'c': case 's': {
            size_t len;
            const char *s = luaL_checklstring(L, arg++, &len);
            if (size == 0)
                size = len;
            /* Redis names the argument after the string. */
            luaL_argcheck(L, len >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default:
            control_option(L, opt, &fmt, &st);
        }
        pos += size;
    }
    luaL_pushresult(&b);
    return 1;
}

static int struct_unpack(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    /* A negative start wraps to a huge one, "data string too short". */
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    struct fmt_state st = {.is_big = false, .align = 1};
    int n = 0;
    while (*fmt) {
        size_t size;
        int opt = next_option(L, &fmt, &st, &pos, &size);
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        const unsigned char *p = (const unsigned char *)data + pos;
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            lua_pushnumber(L, get_int(p, size, islower(opt), &st));
            n++;
            break;
        case 'x':
            break;
        case 'f': case 'd':
            lua_pushnumber(L, get_float(p, size, &st));
            n++;
            break;
        case 'c':
            if (size == 0) {
                /* Any value Lua reads as a number, a string from c too. */
                if (n == 0 || !lua_isnumber(L, -1))
                    luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)double_to_ull_trunc(lua_tonumber(L, -1));
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)p, size);
            n++;
            break;
        case 's': {
            const char *end = memchr(p, '\0', len - pos);
            if (end == NULL)
                luaL_error(L, "unfinished string in data");
            size = (size_t)(end - (const char *)p) + 1;
            lua_pushlstring(L, (const char *)p, size - 1);
            n++;
            break;
        }
        default:
            control_option(L, opt, &fmt, &st);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));
    return n + 1;
}

static int struct_size(lua_State *L)
{
    const char *fmt = luaL_checkstring(L, 1);
    struct fmt_state st = {.is_big = false, .align = 1};
    size_t pos = 0;
    while (*fmt) {
        size_t size;
        int opt = next_option(L, &fmt, &st, &pos, &size);
        if (opt == 's')
            luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0)
            luaL_argerror(L, 1, "option 'c0' has no fixed size");
        /* Redis lets an unknown letter or digit count for nothing here. */
        if (!isalnum((unsigned char)opt))
            control_option(L, opt, &fmt, &st);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int luaopen_struct(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"pack", struct_pack},
        {"unpack", struct_unpack},
        {"size", struct_size},
        {NULL, NULL},
    };
    luaL_register(L, "struct", fns);
    return 1;
}
