/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The Lua libraries Redis bundles and Debian does not package, written for
 * respite to behave as Redis 7.4's: struct (lua_struct.c) and cmsgpack
 * (lua_cmsgpack.c). script_lua.c opens them beside cjson and bit.
 *
 * Redis's libraries convert doubles to integers with C casts that are
 * undefined out of range; the helpers below give what those casts give on
 * x86-64, where the reference runs, without the undefined behaviour.
 */
#ifndef COMMANDS_LUA_LIBS_H
#define COMMANDS_LUA_LIBS_H

#include <limits.h>
#include <lua.h>

/* Open struct / cmsgpack: push the library table (Lua's luaopen_ contract;
 * both also set the global of their name, as Redis's do). */
int luaopen_struct(lua_State *L);
int luaopen_cmsgpack(lua_State *L);

/* (long long)d as x86-64 computes it, NaN and out of range giving
 * LLONG_MIN. */
static inline long long double_to_ll_trunc(double d)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return LLONG_MIN;
    return (long long)d;
}

/* (unsigned long long)d as gcc compiles it for x86-64: below 2^63 (and
 * NaN) through the signed conversion, above it by subtracting 2^63. */
static inline unsigned long long double_to_ull_trunc(double d)
{
    if (!(d >= 9223372036854775808.0))
        return (unsigned long long)double_to_ll_trunc(d);
    return (unsigned long long)double_to_ll_trunc(d - 9223372036854775808.0) ^ (1ULL << 63);
}

#endif
