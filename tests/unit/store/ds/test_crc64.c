/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of ds/crc64: Redis's check value, and the same CRC whether the
 * bytes come in one call (eight at a time where they can) or one by one,
 * from every alignment and for every length up to a few words.
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
