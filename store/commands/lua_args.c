/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What a function's bytecode shows of how it treats its keys and
 * arguments (script.h), the one reader of Lua 5.1's dumps:
 * - whether a function of a library (FCALL) can keep or change its two
 *   arguments, the keys and args tables (lua_engine_fn_keeps_args). A
 *   function that cannot is called with the tables of the previous call
 *   filled again instead of two new ones (lua_engine_run): no script can
 *   tell them apart;
 * - whether an EVAL script's chunk assigns a global
 *   (lua_engine_chunk_sets_global, "EVAL's globals" below). One that does
 *   not reads them from an environment that holds them itself.
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
 * Layouts of a dump (Lua 5.1's lundump.c, ldump.c and lopcodes.h, which
 * Debian's liblua5.1-0-dev does not install): a 12-byte header that gives
 * the sizes of int, size_t, an instruction and a lua_Number (bytes 7-10);
 * then a function: its source name (a size_t length counting its NUL, then
 * the bytes; none for a nested function), two ints (the lines), four bytes
 * (upvalues, parameters, vararg flags, stack size), an int count of
 * instructions and the instructions, then what "EVAL's globals" below
 * steps over. An instruction: opcode in bits 0-5,
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

/* A dumped chunk (lua_dump) and the sizes its header gives. */
struct chunk {
    struct dump d;
    size_t int_sz, size_t_sz, num_sz;
};

/* Dump the function at the top of L's stack into ch and read the header:
 * signature, version 5.1, then the sizes; false if it is not as expected
 * (ch->d.p is to be freed either way). */
static bool chunk_open(struct lua_State *L, struct chunk *ch)
{
    memset(ch, 0, sizeof *ch);
    if (lua_dump(L, dump_writer, &ch->d) != 0 || ch->d.len < 12 ||
        memcmp(ch->d.p, "\033Lua\x51", 5) != 0 || ch->d.p[9] != sizeof(uint32_t))
        return false;
    ch->int_sz = ch->d.p[7];
    ch->size_t_sz = ch->d.p[8];
    ch->num_sz = ch->d.p[10];
    return ch->int_sz != 0; /* read_uint refuses sizes other than 4 and 8 */
}

/* Step *pos over n dumped strings (each a size_t length counting its NUL,
 * 0 for none, then the bytes), each followed by skip bytes. */
static bool skip_strings(const struct chunk *ch, size_t *pos, uint64_t n, size_t skip)
{
    for (uint64_t k = 0; k < n; k++) {
        uint64_t len;
        if (!read_uint(&ch->d, pos, ch->size_t_sz, &len) || ch->d.len - *pos < len ||
            ch->d.len - *pos - len < skip)
            return false;
        *pos += len + skip;
    }
    return true;
}

/* What a function's dump opens with, up to and including its code. */
struct fn_head {
    unsigned nparams, vararg;
    uint64_t ncode;
    size_t code; /* where its instructions start */
};

/* Read the function that starts at *pos up to the end of its code. */
static bool read_fn_head(const struct chunk *ch, size_t *pos, struct fn_head *f)
{
    /* The source name, linedefined, lastlinedefined. */
    if (!skip_strings(ch, pos, 1, 2 * ch->int_sz) || ch->d.len - *pos < 4)
        return false;
    f->nparams = ch->d.p[*pos + 1];
    f->vararg = ch->d.p[*pos + 2];
    *pos += 4;
    if (!read_uint(&ch->d, pos, ch->int_sz, &f->ncode) ||
        (ch->d.len - *pos) / sizeof(uint32_t) < f->ncode)
        return false;
    f->code = *pos;
    *pos += f->ncode * sizeof(uint32_t);
    return true;
}

static uint32_t instr_at(const struct chunk *ch, const struct fn_head *f, uint64_t k)
{
    uint32_t i;
    memcpy(&i, ch->d.p + f->code + k * sizeof i, sizeof i);
    return i;
}

bool lua_engine_fn_keeps_args(struct lua_State *L)
{
    if (lua_iscfunction(L, -1))
        return true;
    struct chunk ch;
    struct fn_head f;
    bool keeps = true;
    size_t pos = 12;
    if (!chunk_open(L, &ch) || !read_fn_head(&ch, &pos, &f) || f.vararg != 0)
        goto out;
    unsigned np = f.nparams < 2 ? f.nparams : 2; /* registers 0 and 1: keys, args */
    for (uint64_t k = 0; k < f.ncode; k++) {
        uint32_t i = instr_at(&ch, &f, k);
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
    rs_free(ch.d.p);
    return keeps;
}

/* EVAL's globals.
 *
 * A script reads a global (GETGLOBAL) in the sandbox through the empty
 * proxy of the globals: a miss there, the lookup of its __index, then a
 * second lookup in the real globals (script_lua.c). A script that assigns
 * no global runs instead in an environment that holds them all itself, a
 * read in one lookup. The only write to an environment that names no
 * table is SETGLOBAL (a global assignment, which the sandbox refuses
 * anyway); every function of the chunk (those nested in it inherit its
 * environment) is read, and a SETGLOBAL anywhere in them keeps the chunk
 * on the proxy, where it raises the read-only error it raises in Redis. A
 * write through the environment as a table needs it as a value, which only
 * getfenv gives, and script_lua.c's getfenv answers the proxy in its place.
 *
 * Past the code of a function (read_fn_head): its constants (an int
 * count, each a type byte then nothing for nil, a byte for a boolean, a
 * lua_Number, or a string), its nested functions (an int count, each a
 * function), then its debug information (an int count of line numbers and
 * the ints; an int count of locals, each a string and two ints; an int
 * count of upvalue names, each a string). */

enum { MAX_NESTING = 256 }; /* past Lua's own limit of nested functions */

/* Whether the function starting at *pos, or one nested in it, assigns a
 * global (or is not as expected, which answers the same); *pos ends past
 * it. */
static bool fn_sets_global(const struct chunk *ch, size_t *pos, int depth)
{
    struct fn_head f;
    uint64_t n;
    if (depth > MAX_NESTING || !read_fn_head(ch, pos, &f))
        return true;
    /* (The word after a SETLIST with C 0 is no instruction: read as one,
     * it can only answer "assigns", the safe side.) */
    for (uint64_t k = 0; k < f.ncode; k++)
        if ((instr_at(ch, &f, k) & 0x3F) == OP_SETGLOBAL)
            return true;
    if (!read_uint(&ch->d, pos, ch->int_sz, &n))
        return true;
    for (uint64_t k = 0; k < n; k++) {
        if (*pos >= ch->d.len)
            return true;
        unsigned type = ch->d.p[(*pos)++];
        if (type == LUA_TSTRING) {
            if (!skip_strings(ch, pos, 1, 0))
                return true;
            continue;
        }
        size_t sz = type == LUA_TNIL ? 0 : type == LUA_TBOOLEAN ? 1
                  : type == LUA_TNUMBER ? ch->num_sz : SIZE_MAX;
        if (sz > ch->d.len - *pos)
            return true;
        *pos += sz;
    }
    if (!read_uint(&ch->d, pos, ch->int_sz, &n))
        return true;
    for (uint64_t k = 0; k < n; k++)
        if (fn_sets_global(ch, pos, depth + 1))
            return true;
    /* Debug information: line numbers, locals, upvalue names. */
    if (!read_uint(&ch->d, pos, ch->int_sz, &n) || (ch->d.len - *pos) / ch->int_sz < n)
        return true;
    *pos += n * ch->int_sz;
    if (!read_uint(&ch->d, pos, ch->int_sz, &n) || !skip_strings(ch, pos, n, 2 * ch->int_sz))
        return true;
    return !read_uint(&ch->d, pos, ch->int_sz, &n) || !skip_strings(ch, pos, n, 0);
}

bool lua_engine_chunk_sets_global(struct lua_State *L)
{
    struct chunk ch;
    size_t pos = 12;
    bool sets = !chunk_open(L, &ch) || fn_sets_global(&ch, &pos, 0) || pos != ch.d.len;
    rs_free(ch.d.p);
    return sets;
}
