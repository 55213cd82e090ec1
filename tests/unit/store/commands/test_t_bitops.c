/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the bit commands (t_bitops.c) through the public API, for what
 * replies do not show: a bitmap is edited in place (one buffer, grown by
 * doubling, never copied per SETBIT), its bytes stay accounted to its
 * shard, and BITFIELD's fields land on the bits GETBIT reads, for every
 * width and alignment. Replies are compared with Redis 7.4 by
 * tests/compat/cases_bits.
 */
#include "store_test.h"

TestSuite(bitops, .init = store_setup, .fini = store_teardown);

static struct shard *global(void)
{
    return &st_int()->dbs[0]->global;
}

/* The value buffer of the string at key (which must be ENC_RAW). */
static const struct rstr *raw_of(const char *key)
{
    struct entry **ref = tbl_find_ref(&global()->tbl, key, strlen(key));
    cr_assert_not_null(ref, "no key %s", key);
    cr_assert_eq((*ref)->enc, ENC_RAW, "%s is not a growable buffer", key);
    return entry_ptr(*ref);
}

static void expect_accounted(const char *key)
{
    struct entry **ref = tbl_find_ref(&global()->tbl, key, strlen(key));
    cr_assert_not_null(ref);
    cr_expect_eq(global()->nbytes, obj_bytes(*ref), "shard %llu, entry %llu",
                 (unsigned long long)global()->nbytes, (unsigned long long)obj_bytes(*ref));
}

Test(bitops, setbit_inside_the_string_writes_in_place)
{
    expect_reply("SETBIT b 8191 1", ":0\r\n");
    const struct rstr *r = raw_of("b");
    cr_expect_eq(r->len, 1024);
    for (int i = 0; i < 8192; i += 7) {
        char line[64];
        snprintf(line, sizeof line, "SETBIT b %d 1", i);
        run(line);
        cr_assert_eq(raw_of("b"), r, "SETBIT %d moved the buffer", i);
    }
    expect_reply("BITCOUNT b", ":1172\r\n"); /* bits 0, 7 ... 8190 and 8191 */
    expect_accounted("b");
}

Test(bitops, growing_bitmaps_reallocate_logarithmically_and_zero_fill)
{
    /* A string first met as an embedded one becomes a buffer once. */
    expect_reply("SET b x", "+OK\r\n");
    expect_reply("SETBIT b 0 1", ":0\r\n");
    const struct rstr *last = raw_of("b");
    int moves = 0;
    for (int i = 8; i < 800000; i += 8) {
        char line[64];
        snprintf(line, sizeof line, "SETBIT b %d 1", i);
        run(line);
        const struct rstr *r = raw_of("b");
        moves += r != last;
        last = r;
        cr_assert_eq(r->len, (size_t)i / 8 + 1);
    }
    /* sdsgrowzero's doubling: about log2(100,000) reallocations, not one per byte. */
    cr_expect_leq(moves, 20, "%d reallocations", moves);
    cr_expect_geq(last->cap, last->len);
    expect_reply("BITCOUNT b", ":100004\r\n"); /* "x" is 01111000 */
    expect_reply("GETRANGE b 0 1", "$2\r\n\xf8\x80\r\n");
    expect_accounted("b");
}

Test(bitops, bitfield_writes_the_bits_getbit_reads)
{
    /* Every width at every alignment within a byte: the field's bits, most
     * significant first, are the bits GETBIT sees, and nothing beside them
     * changes. */
    unsigned long long seed = 88172645463325252ULL;
    for (int bits = 1; bits <= 64; bits++) {
        for (int shift = 0; shift < 8; shift++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            unsigned long long v = bits == 64 ? seed : seed & ((1ULL << bits) - 1);
            int offset = 16 + shift;
            char line[128];
            run("SET f \xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
            snprintf(line, sizeof line, "BITFIELD f SET %c%d %d %lld", bits == 64 ? 'i' : 'u',
                     bits, offset, (long long)v);
            cr_assert_eq(run(line)[0], '*', "%s", line);
            for (int b = 0; b < 104; b++) {
                int want = b >= offset && b < offset + bits ? (int)((v >> (offset + bits - 1 - b)) & 1)
                                                            : 1;
                snprintf(line, sizeof line, "GETBIT f %d", b);
                cr_assert_eq(run_int(line), want, "u%d at %d, bit %d", bits, offset, b);
            }
            snprintf(line, sizeof line, "BITFIELD_RO f GET %c%d %d", bits == 64 ? 'i' : 'u', bits,
                     offset);
            char want[64];
            snprintf(want, sizeof want, "*1\r\n:%lld\r\n", (long long)v);
            cr_assert_str_eq(run(line), want, "%s", line);
        }
    }
}

Test(bitops, bitop_result_is_accounted_and_replaces_a_source)
{
    expect_reply("SETBIT a 10000 1", ":0\r\n");
    expect_reply("SET b xyz", "+OK\r\n");
    expect_reply("BITOP XOR a a b", ":1251\r\n");
    expect_reply("BITCOUNT a", ":15\r\n");
    expect_reply("DEL b", ":1\r\n");
    expect_accounted("a");
    expect_reply("BITOP AND a nokey", ":0\r\n");
    cr_expect_eq(global()->nbytes, 0);
}
