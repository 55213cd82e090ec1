/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Whether a function of a library (FCALL) can keep or change its two
 * arguments, the keys and args tables, read from its bytecode
 * (lua_engine_fn_keeps_args, script.h). A function that cannot is called
 * with the tables of the previous call filled again instead of two new
 * ones (lua_engine_run): no script can tell them apart.
 *
 * A table reaches a place that outlives the call, or is changed, only
 * through an instruction of the function that names the register holding
 * it: a MOVE or a call's argument (every function a table is passed to
 * could keep it: rawset, setmetatable, a library's own helper), a store
 * (SETTABLE, SETUPVAL, SETLIST), a capture by a closure (the MOVE that
 * follows CLOSURE), a return, a metamethod's operand. The function's
 * parameters live in registers 0 and 1 from its entry; the answer is "it
 * cannot" only when every instruction naming either is one of three that
 * only read the table in place: GETTABLE of it (a table without a
 * metatable, so no __index runs), LEN of it (no __len for tables in Lua
 * 5.1) and TEST of it. Anything else, a vararg function, or bytecode not
 * as expected says "it may", which keeps the new tables of Redis.
 *
 * The debug library, which could read another function's registers, is
 * not in the sandbox.
 *
 * Layouts (Lua 5.1's lundump.c, ldump.c and lopcodes.h, which Debian's
 * liblua5.1-0-dev does not install): a 12-byte header that gives the sizes
 * of int, size_t and an instruction; the function's source name (a size_t
 * length counting its NUL, then the bytes), two ints (the lines), four
 * bytes (upvalues, parameters, vararg flags, stack size), an int count of
 * instructions and the instructions. An instruction: opcode in bits 0-5,
 * A in 6-13, C in 14-22, B in 23-31; an RK operand above 255 names a
 * constant, not a register.
 */
#include <lua.h>
#include <stdint.h>
#include <string.h>

#include "commands/script.h"
#include "ds/mem.h"

enum opcode {
    OP_MOVE, OP_LOADK, OP_LOADBOOL, OP_LOADNIL, OP_GETUPVAL, OP_GETGLOBAL, OP_GETTABLE,
    OP_SETGLOBAL, OP_SETUPVAL, OP_SETTABLE, OP_NEWTABLE, OP_SELF, OP_ADD, OP_SUB, OP_MUL,
    OP_DIV, OP_MOD, OP_POW, OP_UNM, OP_NOT, OP_LEN, OP_CONCAT, OP_JMP, OP_EQ, OP_LT, OP_LE,
    OP_TEST, OP_TESTSET, OP_CALL, OP_TAILCALL, OP_RETURN, OP_FORLOOP, OP_FORPREP,
    OP_TFORLOOP, OP_SETLIST, OP_CLOSE, OP_CLOSURE, OP_VARARG, NUM_OPCODES
};

enum { RK_CONST = 256 }; /* an RK operand at or above it is a constant */

struct dump {
    unsigned char *p;
    size_t len, cap;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    (void)L;
    struct dump *d = ud;
    if (d->len + sz > d->cap) {
        d->cap = (d->len + sz) * 2;
        d->p = rs_realloc(d->p, d->cap);
    }
    memcpy(d->p + d->len, p, sz);
    d->len += sz;
    return 0;
}

/* The unsigned integer of n bytes at *pos in host order (the dump's), or
 * false past the end. */
static bool read_uint(const struct dump *d, size_t *pos, size_t n, uint64_t *out)
{
    if (n > sizeof *out || d->len - *pos < n)
        return false;
    uint64_t v = 0;
    if (n == sizeof(uint32_t)) {
        uint32_t x;
        memcpy(&x, d->p + *pos, n);
        v = x;
    } else if (n == sizeof(uint64_t)) {
        memcpy(&v, d->p + *pos, n);
    } else {
        return false;
    }
    *pos += n;
    *out = v;
    return true;
}

/* Whether instruction i names one of the registers below np (the
 * parameters holding keys and args) otherwise than to read the table in
 * place. Ranges of registers (LOADNIL, CONCAT, a call's function and
 * arguments, a return's values, the loops, SETLIST) start at the register
 * an instruction names and go up, so they meet a parameter only when they
 * start at one. B and C name registers (or RK operands) only for the
 * opcodes listed; elsewhere they are counts, constants or upvalues. */
static bool names_param(uint32_t i, unsigned np)
{
    unsigned op = i & 0x3F, a = (i >> 6) & 0xFF, c = (i >> 14) & 0x1FF, b = i >> 23;
    bool ra = a < np, rb = b < np, rkb = b < RK_CONST && b < np, rkc = c < RK_CONST && c < np;
    switch (op) {
    case OP_GETTABLE: /* R(A) := R(B)[RK(C)]: reading keys[x] is fine */
        return ra || rkc;
    case OP_LEN: /* R(A) := #R(B) */
        return ra;
    case OP_TEST: /* if R(A) <=> C then skip: reads A's truth */
    case OP_JMP:
    case OP_CLOSE: /* closes upvalues, moves no value */
        return false;
    case OP_RETURN: /* returns R(A) .. R(A+B-2); B 1 returns nothing */
        return b != 1 && ra;
    case OP_EQ: /* A is a flag */
    case OP_LT:
    case OP_LE:
        return rkb || rkc;
    case OP_SETTABLE:
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_POW:
        return ra || rkb || rkc;
    case OP_SELF: /* R(A+1) := R(B); R(A) := R(B)[RK(C)] */
        return ra || rb || rkc;
    case OP_MOVE:
    case OP_UNM:
    case OP_NOT:
    case OP_CONCAT: /* R(A) := R(B) .. ... .. R(C) */
    case OP_TESTSET:
        return ra || rb;
    default:
        /* A alone, or a range from A. The MOVE and GETUPVAL that follow
         * a CLOSURE (its captures) have A 0: one that captures a
         * parameter is refused as a MOVE of it, any other as a write to
         * register 0, which keeps the answer on the safe side. */
        return ra;
    }
}

bool lua_engine_fn_keeps_args(struct lua_State *L)
{
    if (lua_iscfunction(L, -1))
        return true;
    struct dump d = {0};
    bool keeps = true;
    uint64_t n;
    size_t pos = 12;
    /* Header: signature, version 5.1, format, endianness, then the sizes. */
    if (lua_dump(L, dump_writer, &d) != 0 || d.len < pos || memcmp(d.p, "\033Lua\x51", 5) != 0)
        goto out;
    size_t int_sz = d.p[7], size_t_sz = d.p[8], instr_sz = d.p[9];
    if (instr_sz != sizeof(uint32_t) || !read_uint(&d, &pos, size_t_sz, &n) || d.len - pos < n)
        goto out;
    pos += n;                  /* the source name */
    if (d.len - pos < 2 * int_sz + 4)
        goto out;
    pos += 2 * int_sz;         /* linedefined, lastlinedefined */
    unsigned nparams = d.p[pos + 1], vararg = d.p[pos + 2];
    pos += 4;
    if (vararg != 0 || !read_uint(&d, &pos, int_sz, &n) || (d.len - pos) / sizeof(uint32_t) < n)
        goto out;
    unsigned np = nparams < 2 ? nparams : 2; /* registers 0 and 1: keys, args */
    for (uint64_t k = 0; k < n; k++) {
        uint32_t i;
        memcpy(&i, d.p + pos + k * sizeof i, sizeof i);
        unsigned op = i & 0x3F;
        if (op >= NUM_OPCODES || names_param(i, np))
            goto out;
        /* SETLIST with C 0 takes its C from the next word, which is no
         * instruction. */
        if (op == OP_SETLIST && ((i >> 14) & 0x1FF) == 0)
            k++;
    }
    keeps = false;
out:
    rs_free(d.p);
    return keeps;
}
