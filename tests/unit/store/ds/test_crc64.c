/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of ds/crc64: Redis's check value, and the same CRC whether the
 * bytes come in one call (eight at a time where they can) or one by one,
 * from every alignment and for every length up to a few words, and for a
 * long input split anywhere (16 bytes at a time where the CPU folds).
 */
#include <criterion/criterion.h>

#include "ds/crc64.h"

Test(crc64, check_value_is_redis)
{
    cr_assert_eq(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
    cr_assert_eq(crc64(0, "", 0), 0);
}

Test(crc64, words_and_bytes_agree_at_every_alignment_and_length)
{
    unsigned char buf[80];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (unsigned char)(i * 37 + 11);
    for (int at = 0; at < 8; at++) {
        for (int len = 0; at + len <= (int)sizeof buf; len++) {
            uint64_t bytewise = 0;
            for (int i = 0; i < len; i++)
                bytewise = crc64(bytewise, buf + at + i, 1);
            cr_assert_eq(crc64(0, buf + at, (size_t)len), bytewise, "at %d len %d", at, len);
        }
    }
}

Test(crc64, long_inputs_split_anywhere_agree_with_bytes)
{
    /* 16 bytes at a time where the CPU can (a nonzero CRC entering the
     * fold when the split leaves 32 bytes or more after it) */
    static unsigned char buf[3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 7) * 17 + 3);
    uint64_t bytewise = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        bytewise = crc64(bytewise, buf + i, 1);
    for (size_t cut = 0; cut < sizeof buf; cut += 37) {
        uint64_t split = crc64(crc64(0, buf, cut), buf + cut, sizeof buf - cut);
        cr_assert_eq(split, bytewise, "cut %zu", cut);
    }
}
