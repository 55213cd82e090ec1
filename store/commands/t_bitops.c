/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Bit operations on strings: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
 * BITFIELD_RO, with Redis 7.4's parsing order, replies, errors, keyspace
 * events and WATCH effects (bitops.c there).
 *
 * A bitmap is a string; bit 0 is the most significant bit of byte 0. Reads
 * see any string, int-encoded ones as their decimal text. Writes turn the
 * string into a growable buffer (ENC_RAW, entries.c) once and then edit it
 * in place: a SETBIT inside the string copies nothing, one past its end
 * grows it zero-filled as sds's sdsgrowzero does (doubling up to 1 MB). An
 * offset is refused from 2^3 * proto-max-bulk-len bits on (2^32 by
 * default), as Redis refuses it.
 *
 * Redis tells WATCH, tracking and subscribers of a change only when a bit
 * changed or the string was created or lengthened: a SETBIT that finds its
 * bit as asked, or a BITFIELD whose writes all failed under OVERFLOW FAIL,
 * changes nothing visible, even when it created the key.
 */
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------ */

/* Redis compares option names with strcasecmp on its NUL-terminated
 * arguments: "get\0x" is GET. The same comparison on a binary argument. */
static bool opt_is(struct rs_str a, const char *lit)
{
    const char *nul = memchr(a.p, '\0', a.len);
    return rs_str_eqi(rs_str_from(a.p, nul ? (size_t)(nul - a.p) : a.len), lit);
}

/* The index in names (NULL-terminated) of the option a names, as
 * opt_is compares; -1 for none. */
static int opt_index(struct rs_str a, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (opt_is(a, names[i]))
            return i;
    return -1;
}

/* A bit offset (Redis getBitOffsetFromArgument): an integer, or with
 * is_field "#n" for n fields of `bits` bits. The product wraps as Redis's
 * unchecked multiplication does (so "#2305843009213693953" of u8 is bit
 * 8), then must be >= 0 and address a byte below proto-max-bulk-len. */
static bool arg_bit_offset(struct cmd_ctx *c, struct rs_str a, bool is_field, int bits,
                           uint64_t *offset)
{
    size_t hash = is_field && a.len > 1 && a.p[0] == '#';
    long long v;
    if (!resp_str2ll(a.p + hash, a.len - hash, &v)) {
        reply_err(c, RS_ERR_BIT_OFFSET);
        return false;
    }
    if (hash)
        v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= c->st->cfg.proto_max_bulk_len) {
        reply_err(c, RS_ERR_BIT_OFFSET);
        return false;
    }
    *offset = (uint64_t)v;
    return true;
}

/* BITCOUNT's and BITPOS's unit, BYTE or BIT; false after a syntax error. */
static bool arg_unit(struct cmd_ctx *c, struct rs_str a, bool *is_bit)
{
    if (opt_is(a, "bit")) {
        *is_bit = true;
    } else if (opt_is(a, "byte")) {
        *is_bit = false;
    } else {
        reply_err(c, RS_ERR_SYNTAX);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * The bitmap of a key
 * ------------------------------------------------------------------------ */

/* The string at key as a buffer of at least nbytes bytes, zero-padded, for
 * writing in place (Redis lookupStringForBitCommand): created when missing
 * (without telling WATCH: the caller touches the key when it changes it),
 * made ENC_RAW and grown as sdsgrowzero otherwise. *grown is set when the
 * key was created or lengthened. NULL after a WRONGTYPE reply. Amortised
 * O(1) plus the zeroing of the new bytes. */
static struct rstr *bitmap_for_write(struct cmd_ctx *c, struct rs_str key, uint64_t nbytes,
                                     bool *grown)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, key, OBJ_STRING, &loc, &wrong);
    if (wrong)
        return NULL;
    struct rstr *r;
    if (e == NULL) {
        /* Exactly nbytes, as sdsnewlen: a new bitmap does not preallocate. */
        struct shard *sh = ks_shard(c->db, key, true);
        e = obj_new_raw(sh, key, rs_str_from("", 0), (size_t)nbytes);
        r = entry_ptr(e);
        memset(r->buf, 0, (size_t)nbytes);
        r->len = (size_t)nbytes;
        ks_add_untouched(c->db, sh, e);
        *grown = true;
        return r;
    }
    size_t len = obj_strlen(e);
    r = obj_raw_reserve(&loc, nbytes > len ? (size_t)nbytes : 0);
    *grown = nbytes > r->len;
    if (*grown) {
        memset(r->buf + r->len, 0, (size_t)nbytes - r->len);
        r->len = (size_t)nbytes;
    }
    return r;
}

/* The bytes of the string at key for reading; *e NULL when it is missing.
 * buf holds an int-encoded value's text. False after WRONGTYPE. */
static bool bitmap_for_read(struct cmd_ctx *c, struct rs_str key, char *buf, struct entry **e,
                            struct rs_str *s)
{
    bool wrong;
    *e = ks_read_type(c, key, OBJ_STRING, NULL, &wrong);
    if (wrong)
        return false;
    *s = *e ? obj_str(*e, buf) : rs_str_from("", 0);
    return true;
}

/* The key changed (nchanges times, as Redis counts them in server.dirty):
 * WATCH, tracking, and the `event` notification. */
static void bitmap_changed(struct cmd_ctx *c, struct rs_str key, const char *event,
                           uint64_t nchanges)
{
    ks_dirty(c->st, nchanges);
    ks_touch(c->db, key);
    ks_notify(c->db, NOTIFY_STRING, event, key);
}

/* ------------------------------------------------------------------------
 * Counting and searching
 * ------------------------------------------------------------------------ */

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Set bits of a 64-bit word (SWAR: no popcnt instruction assumed). */
static inline unsigned popcount64(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Set bits in p[0..n), eight bytes a step: SWAR, for any CPU. */
static uint64_t popcount_swar(const unsigned char *p, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        count += popcount64(load64(p + i));
    for (; i < n; i++)
        count += popcount64(p[i]);
    return count;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with the POPCNT instruction, 32 bytes a step in four
 * independent sums (its latency is 3 cycles, its throughput 1). */
__attribute__((target("popcnt"))) static uint64_t popcount_hw(const unsigned char *p, size_t n)
{
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        c0 += (uint64_t)__builtin_popcountll(load64(p + i));
        c1 += (uint64_t)__builtin_popcountll(load64(p + i + 8));
        c2 += (uint64_t)__builtin_popcountll(load64(p + i + 16));
        c3 += (uint64_t)__builtin_popcountll(load64(p + i + 24));
    }
    for (; i + 8 <= n; i += 8)
        c0 += (uint64_t)__builtin_popcountll(load64(p + i));
    for (; i < n; i++)
        c0 += (uint64_t)__builtin_popcount(p[i]);
    return c0 + c1 + c2 + c3;
}
#endif

/* Set bits in p[0..n). O(n): a 12.5 KB bitmap (100,000 bits) costs about
 * 1,600 POPCNTs where the CPU has it. */
static uint64_t popcount(const unsigned char *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("popcnt"))
        return popcount_hw(p, n);
#endif
    return popcount_swar(p, n);
}

/* Position of the first bit equal to bit in p[0..n) (Redis redisBitpos):
 * for a 1 not found, -1; for a 0 not found, n * 8, the first bit past the
 * bytes, as if the string went on with zeros. O(n). */
static long long first_bit(const unsigned char *p, size_t n, int bit)
{
    /* A byte holds the bit sought unless it is all of the other value. */
    unsigned char skip = bit ? 0x00 : 0xff;
    uint64_t skip_word = bit ? 0 : UINT64_MAX;
    size_t i = 0;
    while (i + 8 <= n && load64(p + i) == skip_word)
        i += 8;
    while (i < n && p[i] == skip)
        i++;
    if (i == n)
        return bit ? -1 : (long long)n * 8;
    unsigned char b = bit ? p[i] : (unsigned char)~p[i];
    return (long long)i * 8 + __builtin_clz(b) - 24;
}

/* ------------------------------------------------------------------------
 * Bit fields
 * ------------------------------------------------------------------------ */

/* The bits [offset, offset + bits) of p as an unsigned number, the first
 * bit most significant; 1 <= bits <= 64 and p holds them all. */
static uint64_t field_get(const unsigned char *p, uint64_t offset, int bits)
{
    const unsigned char *q = p + (offset >> 3);
    int shift = (int)(offset & 7), n = (shift + bits + 7) / 8;
    unsigned __int128 v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | q[i];
    v >>= n * 8 - shift - bits;
    return bits == 64 ? (uint64_t)v : (uint64_t)v & ((UINT64_C(1) << bits) - 1);
}

/* Write the low `bits` bits of value at bits [offset, offset + bits) of p. */
static void field_set(unsigned char *p, uint64_t offset, int bits, uint64_t value)
{
    unsigned char *q = p + (offset >> 3);
    int shift = (int)(offset & 7), n = (shift + bits + 7) / 8;
    unsigned __int128 v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | q[i];
    int low = n * 8 - shift - bits; /* bits of the last byte after the field */
    unsigned __int128 mask = (((unsigned __int128)1 << bits) - 1) << low;
    v = (v & ~mask) | (((unsigned __int128)value << low) & mask);
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        q[i] = (unsigned char)v;
}

/* Bits sign-extended from the field's width (two's complement). */
static int64_t field_signed(uint64_t v, int bits)
{
    if (bits < 64 && (v & (UINT64_C(1) << (bits - 1))))
        v |= UINT64_MAX << bits;
    return (int64_t)v;
}

enum { OVERFLOW_WRAP, OVERFLOW_SAT, OVERFLOW_FAIL }; /* in the order of BITFIELD's names */

/* Whether value + incr leaves the range of an unsigned field of `bits`
 * bits (Redis checkUnsignedBitfieldOverflow, to its wrapping arithmetic);
 * *limit is what WRAP and SAT store then. value may be out of range (a SET
 * of -1): that overflows too. */
static bool overflow_unsigned(uint64_t value, int64_t incr, int bits, int how, uint64_t *limit)
{
    uint64_t max = (UINT64_C(1) << bits) - 1; /* bits <= 63 */
    int64_t maxincr = (int64_t)(max - value);
    int64_t minincr = (int64_t)(0 - value);
    bool up = value > max || (incr > 0 && incr > maxincr);
    if (!up && !(incr < 0 && incr < minincr))
        return false;
    if (how == OVERFLOW_WRAP)
        *limit = (value + (uint64_t)incr) & max;
    else if (how == OVERFLOW_SAT)
        *limit = up ? max : 0;
    return true;
}

/* The same for a signed field (Redis checkSignedBitfieldOverflow). Its
 * tests are kept as they are, differences wrapping: a SET of a value far
 * below the range saturates to the maximum, as in Redis. */
static bool overflow_signed(int64_t value, int64_t incr, int bits, int how, int64_t *limit)
{
    int64_t max = bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1;
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    bool up = value > max || (bits != 64 && incr > maxincr) ||
              (value >= 0 && incr > 0 && incr > maxincr);
    bool down = !up && (value < min || (bits != 64 && incr < minincr) ||
                        (value < 0 && incr < 0 && incr < minincr));
    if (!up && !down)
        return false;
    if (how == OVERFLOW_WRAP) {
        uint64_t v = (uint64_t)value + (uint64_t)incr;
        if (bits < 64) {
            uint64_t high = UINT64_MAX << bits;
            v = (v & (UINT64_C(1) << (bits - 1))) ? v | high : v & ~high;
        }
        *limit = (int64_t)v;
    } else if (how == OVERFLOW_SAT) {
        *limit = up ? max : min;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* SETBIT key offset value -- the bit's old value. O(1), amortised when the
 * string grows. */
void cmd_setbit(struct cmd_ctx *c)
{
    uint64_t offset;
    long long on;
    if (!arg_bit_offset(c, c->argv[2], false, 0, &offset))
        return;
    if (!resp_str2ll(c->argv[3].p, c->argv[3].len, &on) || (on & ~1LL)) {
        reply_err(c, RS_ERR_BIT_VALUE);
        return;
    }
    bool grown;
    struct rstr *r = bitmap_for_write(c, c->argv[1], (offset >> 3) + 1, &grown);
    if (r == NULL)
        return;
    unsigned char *byte = (unsigned char *)r->buf + (offset >> 3);
    unsigned char mask = (unsigned char)(0x80 >> (offset & 7));
    bool was = (*byte & mask) != 0;
    if (grown || was != on) {
        *byte = on ? (unsigned char)(*byte | mask) : (unsigned char)(*byte & ~mask);
        bitmap_changed(c, c->argv[1], "setbit", 1);
    }
    resp_add_int(c->out, was);
}

/* GETBIT key offset -- 0 past the end of the string or for a missing key. */
void cmd_getbit(struct cmd_ctx *c)
{
    uint64_t offset;
    if (!arg_bit_offset(c, c->argv[2], false, 0, &offset))
        return;
    char buf[RESP_LL_STR_SIZE];
    struct entry *e;
    struct rs_str s;
    if (!bitmap_for_read(c, c->argv[1], buf, &e, &s))
        return;
    uint64_t byte = offset >> 3;
    int bit = byte < s.len && ((unsigned char)s.p[byte] & (0x80 >> (offset & 7)));
    resp_add_int(c->out, bit);
}

/* A range of a bitmap after Redis's index rules: bytes [start, end] with
 * the bits of the first and last byte that lie outside a BIT range. */
struct bit_range {
    long long start, end;  /* bytes; empty when start > end */
    unsigned char head_out; /* first byte: bits before the range */
    unsigned char tail_out; /* last byte: bits after the range */
};

/* [start, end] in bytes (or with is_bit in bits) of a string of len bytes,
 * clamped as BITCOUNT and BITPOS do. */
static struct bit_range bit_range_of(long long start, long long end, long long len, bool is_bit)
{
    struct bit_range r = {0, 0, 0, 0};
    clamp_str_range(&start, &end, is_bit ? len * 8 : len);
    if (is_bit && start <= end) {
        r.head_out = (unsigned char)~((1u << (8 - (start & 7))) - 1);
        r.tail_out = (unsigned char)((1u << (7 - (end & 7))) - 1);
        start >>= 3;
        end >>= 3;
    }
    r.start = start;
    r.end = end;
    return r;
}

/* BITCOUNT key [start end [BYTE|BIT]] -- the set bits of the string or
 * of the range. The arguments are checked before the key (Redis 7.2 on).
 * O(N). */
void cmd_bitcount(struct cmd_ctx *c)
{
    long long start = 0, end = -1;
    bool is_bit = false, ranged = c->argc > 2;
    if (ranged) {
        if (c->argc > 5 || c->argc == 3) {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
        if (!arg_ll(c, c->argv[2], &start) || !arg_ll(c, c->argv[3], &end))
            return;
        if (c->argc == 5 && !arg_unit(c, c->argv[4], &is_bit))
            return;
    }
    char buf[RESP_LL_STR_SIZE];
    struct entry *e;
    struct rs_str s;
    if (!bitmap_for_read(c, c->argv[1], buf, &e, &s))
        return;
    if (ranged && start < 0 && end < 0 && start > end) {
        resp_add_int(c->out, 0);
        return;
    }
    struct bit_range r = bit_range_of(start, end, (long long)s.len, is_bit);
    if (e == NULL || r.start > r.end) {
        resp_add_int(c->out, 0);
        return;
    }
    const unsigned char *p = (const unsigned char *)s.p;
    uint64_t count = popcount(p + r.start, (size_t)(r.end - r.start + 1));
    count -= popcount64(p[r.start] & r.head_out) + popcount64(p[r.end] & r.tail_out);
    resp_add_int(c->out, (long long)count);
}

/* The first bit equal to bit in range r of s (Redis bitposCommand's walk).
 * The bits of the edge bytes outside a BIT range are searched in a copy
 * where they read as the other value. Each part (first byte, middle, last
 * byte) ends the search once it finds the bit or once it is the last; the
 * result (first_bit's) counts from byte *at of the part that answered, and
 * *n is the bytes left from there. */
static long long search_range(struct rs_str s, struct bit_range r, int bit, long long *at,
                              long long *n)
{
    const unsigned char *p = (const unsigned char *)s.p;
    long long pos;
    *at = r.start;
    *n = r.end - r.start + 1;
    if (r.head_out) {
        unsigned char b = p[*at];
        b = bit ? (unsigned char)(b & ~r.head_out) : (unsigned char)(b | r.head_out);
        if (*n == 1)
            b = bit ? (unsigned char)(b & ~r.tail_out) : (unsigned char)(b | r.tail_out);
        pos = first_bit(&b, 1, bit);
        if (*n == 1 || (pos != -1 && pos != 8))
            return pos;
        (*at)++;
        (*n)--;
    }
    long long middle = *n - (r.tail_out ? 1 : 0);
    if (middle > 0) {
        pos = first_bit(p + *at, (size_t)middle, bit);
        if (*n == middle || (pos != -1 && pos != middle * 8))
            return pos;
        *at += middle;
        *n -= middle;
    }
    unsigned char b = p[r.end];
    b = bit ? (unsigned char)(b & ~r.tail_out) : (unsigned char)(b | r.tail_out);
    return first_bit(&b, 1, bit);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] -- the first bit equal to bit
 * in the range, -1 when none. Without an end, a search for 0 in a string
 * of ones answers the first bit past it; with one, -1. O(N). */
void cmd_bitpos(struct cmd_ctx *c)
{
    long long bit, start = 0, end = -1;
    if (!arg_ll(c, c->argv[2], &bit))
        return;
    if (bit != 0 && bit != 1) {
        reply_err(c, RS_ERR_BITPOS_BIT);
        return;
    }
    bool is_bit = false, has_end = c->argc >= 5;
    if (c->argc > 6) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (c->argc >= 4 && !arg_ll(c, c->argv[3], &start))
        return;
    if (c->argc == 6 && !arg_unit(c, c->argv[5], &is_bit))
        return;
    if (has_end && !arg_ll(c, c->argv[4], &end))
        return;
    char buf[RESP_LL_STR_SIZE];
    struct entry *e;
    struct rs_str s;
    if (!bitmap_for_read(c, c->argv[1], buf, &e, &s))
        return;
    if (e == NULL) {
        /* An endless run of zeros. */
        resp_add_int(c->out, bit ? -1 : 0);
        return;
    }
    struct bit_range r = bit_range_of(start, end, (long long)s.len, is_bit);
    if (r.start > r.end) {
        resp_add_int(c->out, -1);
        return;
    }
    long long at, n;
    long long pos = search_range(s, r, (int)bit, &at, &n);
    /* A 0 sought past an explicit end is not there. */
    if (has_end && !bit && pos == n * 8) {
        resp_add_int(c->out, -1);
        return;
    }
    resp_add_int(c->out, pos == -1 ? -1 : pos + at * 8);
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...] -- the length of the result,
 * the longest source; missing keys and the bytes past a shorter source
 * are zeros. An empty result deletes destkey. O(N * number of keys). */
void cmd_bitop(struct cmd_ctx *c)
{
    enum { OP_AND, OP_OR, OP_XOR, OP_NOT };
    static const char *const ops[] = {"and", "or", "xor", "not", NULL};
    int op = opt_index(c->argv[1], ops);
    if (op < 0) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (op == OP_NOT && c->argc != 4) {
        reply_err(c, RS_ERR_BITOP_NOT);
        return;
    }
    int nsrc = c->argc - 3;
    /* The sources' bytes, with room for the text of int-encoded ones. */
    struct rs_str *src = rs_malloc((size_t)nsrc * (sizeof *src + RESP_LL_STR_SIZE));
    char *bufs = (char *)(src + nsrc);
    size_t maxlen = 0;
    for (int i = 0; i < nsrc; i++) {
        struct entry *e = ks_read(c, c->db, c->argv[3 + i], NULL);
        if (e && e->type != OBJ_STRING) {
            reply_err(c, RS_ERR_WRONGTYPE);
            rs_free(src);
            return;
        }
        src[i] = e ? obj_str(e, bufs + (size_t)i * RESP_LL_STR_SIZE) : rs_str_from("", 0);
        if (src[i].len > maxlen)
            maxlen = src[i].len;
    }
    struct rs_str dest = c->argv[2];
    if (maxlen == 0) {
        if (ks_delete_key(c, c->db, dest, c->st->cfg.lazyfree_server_del)) {
            ks_dirty(c->st, 1);
            ks_notify(c->db, NOTIFY_GENERIC, "del", dest);
        }
        resp_add_int(c->out, 0);
        rs_free(src);
        return;
    }
    /* The result is built in the new value's own buffer, before the old
     * destination (maybe a source) goes. */
    struct shard *sh = ks_shard(c->db, dest, true);
    struct entry *e = obj_new_raw(sh, dest, rs_str_from("", 0), maxlen);
    struct rstr *r = entry_ptr(e);
    unsigned char *out = (unsigned char *)r->buf;
    memcpy(out, src[0].p, src[0].len);
    memset(out + src[0].len, 0, maxlen - src[0].len);
    for (int i = 1; i < nsrc; i++) {
        const unsigned char *p = (const unsigned char *)src[i].p;
        size_t n = src[i].len;
        if (op == OP_AND) {
            for (size_t k = 0; k < n; k++)
                out[k] &= p[k];
            memset(out + n, 0, maxlen - n);
        } else if (op == OP_OR) {
            for (size_t k = 0; k < n; k++)
                out[k] |= p[k];
        } else {
            for (size_t k = 0; k < n; k++)
                out[k] ^= p[k];
        }
    }
    if (op == OP_NOT)
        for (size_t k = 0; k < maxlen; k++)
            out[k] = (unsigned char)~out[k];
    r->len = maxlen;
    rs_free(src);
    ks_set(c, c->db, dest, e);
    ks_dirty(c->st, 1);
    ks_notify(c->db, NOTIFY_STRING, "set", dest);
    resp_add_int(c->out, (long long)maxlen);
}

/* One BITFIELD operation, parsed. */
struct field_op {
    enum { FIELD_GET, FIELD_SET, FIELD_INCRBY } kind;
    int overflow;     /* OVERFLOW_* in force for it */
    bool is_signed;
    int bits;         /* 1..64 signed, 1..63 unsigned */
    uint64_t offset;  /* in bits */
    long long value;  /* SET's value, INCRBY's increment */
};

/* A field type, i1..i64 or u1..u63 (Redis getBitfieldTypeFromArgument,
 * which reads the digits up to a NUL). */
static bool arg_field_type(struct cmd_ctx *c, struct rs_str a, bool *is_signed, int *bits)
{
    const char *nul = memchr(a.p, '\0', a.len);
    size_t len = nul ? (size_t)(nul - a.p) : a.len;
    long long n;
    if (len == 0 || (a.p[0] != 'i' && a.p[0] != 'u') || !resp_str2ll(a.p + 1, len - 1, &n) ||
        n < 1 || n > (a.p[0] == 'i' ? 64 : 63)) {
        reply_err(c, RS_ERR_BITFIELD_TYPE);
        return false;
    }
    *is_signed = a.p[0] == 'i';
    *bits = (int)n;
    return true;
}

/* Parse BITFIELD's operations into ops (room for argc / 2); returns their
 * number, or -1 after an error reply. *highest: the last bit a write
 * reaches (0 when there is no write). */
static int parse_field_ops(struct cmd_ctx *c, struct field_op *ops, uint64_t *highest,
                           bool *has_write)
{
    int n = 0, overflow = OVERFLOW_WRAP;
    *highest = 0;
    *has_write = false;
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        struct rs_str sub = c->argv[j];
        struct field_op *op = &ops[n];
        if (opt_is(sub, "get") && left >= 2) {
            op->kind = FIELD_GET;
        } else if (opt_is(sub, "set") && left >= 3) {
            op->kind = FIELD_SET;
        } else if (opt_is(sub, "incrby") && left >= 3) {
            op->kind = FIELD_INCRBY;
        } else if (opt_is(sub, "overflow") && left >= 1) {
            static const char *const hows[] = {"wrap", "sat", "fail", NULL};
            overflow = opt_index(c->argv[++j], hows);
            if (overflow < 0) {
                reply_err(c, RS_ERR_BITFIELD_OVERFLOW);
                return -1;
            }
            continue;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return -1;
        }
        if (!arg_field_type(c, c->argv[j + 1], &op->is_signed, &op->bits) ||
            !arg_bit_offset(c, c->argv[j + 2], true, op->bits, &op->offset))
            return -1;
        op->overflow = overflow;
        op->value = 0;
        if (op->kind != FIELD_GET) {
            *has_write = true;
            if (*highest < op->offset + (uint64_t)op->bits - 1)
                *highest = op->offset + (uint64_t)op->bits - 1;
            if (!arg_ll(c, c->argv[j + 3], &op->value))
                return -1;
        }
        n++;
        j += op->kind == FIELD_GET ? 2 : 3;
    }
    return n;
}

enum field_result { FIELD_FAILED, FIELD_SAME, FIELD_CHANGED };

/* Run one SET or INCRBY on the bitmap p: reply the old value (SET) or the
 * new one (INCRBY), or a null when OVERFLOW FAIL stops it. */
static enum field_result field_write(struct cmd_ctx *c, unsigned char *p, const struct field_op *op)
{
    uint64_t old = field_get(p, op->offset, op->bits);
    uint64_t store;
    long long reply;
    bool over;
    if (op->is_signed) {
        int64_t oldv = field_signed(old, op->bits), limit = 0, newv;
        if (op->kind == FIELD_INCRBY) {
            over = overflow_signed(oldv, op->value, op->bits, op->overflow, &limit);
            newv = over ? limit : (int64_t)((uint64_t)oldv + (uint64_t)op->value);
            reply = newv;
        } else {
            over = overflow_signed(op->value, 0, op->bits, op->overflow, &limit);
            newv = over ? limit : op->value;
            reply = oldv;
        }
        store = (uint64_t)newv;
    } else {
        uint64_t limit = 0;
        if (op->kind == FIELD_INCRBY) {
            over = overflow_unsigned(old, op->value, op->bits, op->overflow, &limit);
            store = over ? limit : old + (uint64_t)op->value;
            reply = (long long)store;
        } else {
            over = overflow_unsigned((uint64_t)op->value, 0, op->bits, op->overflow, &limit);
            store = over ? limit : (uint64_t)op->value;
            reply = (long long)old;
        }
    }
    if (over && op->overflow == OVERFLOW_FAIL) {
        resp_add_null(c->out);
        return FIELD_FAILED;
    }
    resp_add_int(c->out, reply);
    if (op->bits < 64)
        store &= (UINT64_C(1) << op->bits) - 1;
    field_set(p, op->offset, op->bits, store);
    return store != old ? FIELD_CHANGED : FIELD_SAME;
}

/* One GET: the field read from s, zeros past its end. */
static void field_read(struct cmd_ctx *c, struct rs_str s, const struct field_op *op)
{
    /* Up to 9 bytes hold a 64-bit field at any bit position. */
    unsigned char win[9] = {0};
    uint64_t byte = op->offset >> 3;
    for (uint64_t i = 0; i < 9 && byte + i < s.len; i++)
        win[i] = (unsigned char)s.p[byte + i];
    uint64_t v = field_get(win, op->offset & 7, op->bits);
    resp_add_int(c->out, op->is_signed ? field_signed(v, op->bits) : (long long)v);
}

static void bitfield_generic(struct cmd_ctx *c, bool read_only)
{
    struct field_op *ops = rs_malloc(sizeof *ops * (size_t)(c->argc / 2 + 1));
    uint64_t highest;
    bool has_write;
    int n = parse_field_ops(c, ops, &highest, &has_write);
    if (n < 0) {
        rs_free(ops);
        return;
    }
    struct rs_str key = c->argv[1];
    char buf[RESP_LL_STR_SIZE];
    struct rs_str s = rs_str_from("", 0);
    unsigned char *p = NULL;
    bool grown = false;
    if (!has_write) {
        struct entry *e;
        if (!bitmap_for_read(c, key, buf, &e, &s)) {
            rs_free(ops);
            return;
        }
    } else {
        if (read_only) {
            reply_err(c, RS_ERR_BITFIELD_RO);
            rs_free(ops);
            return;
        }
        struct rstr *r = bitmap_for_write(c, key, (highest >> 3) + 1, &grown);
        if (r == NULL) {
            rs_free(ops);
            return;
        }
        p = (unsigned char *)r->buf;
        s = rs_str_from(r->buf, r->len);
    }
    resp_add_array_len(c->out, n);
    uint64_t changes = 0;
    for (int i = 0; i < n; i++) {
        if (ops[i].kind == FIELD_GET) {
            field_read(c, s, &ops[i]);
        } else {
            /* Once the string was created or lengthened, any write that
             * was not refused counts as a change, as in Redis. */
            enum field_result res = field_write(c, p, &ops[i]);
            changes += res == FIELD_CHANGED || (grown && res == FIELD_SAME);
        }
    }
    if (changes)
        bitmap_changed(c, key, "setbit", changes);
    rs_free(ops);
}

/* BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset
 * value | INCRBY type offset increment]... -- one reply per GET, SET and
 * INCRBY. Offsets may be "#n" (n fields of the type's width). O(1) per
 * operation, plus the growth of the string. */
void cmd_bitfield(struct cmd_ctx *c)
{
    bitfield_generic(c, false);
}

/* BITFIELD_RO key [GET type offset]... */
void cmd_bitfield__ro(struct cmd_ctx *c)
{
    bitfield_generic(c, true);
}
