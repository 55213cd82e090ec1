/* SPDX-License-Identifier: BSD-3-Clause
 *
 * CRC-64 (ds/crc64.c): Redis's check value, and the eight-bytes-a-step path
 * against a byte-at-a-time reference for every length and alignment up to
 * 64 and for a continued computation.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ds/crc64.h"

TestSuite(crc64);

/* The same CRC a byte at a time, bit by bit (no table). */
static uint64_t reference(uint64_t crc, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5ULL & (0 - (crc & 1)));
    }
    return crc;
}

Test(crc64, redis_check_value)
{
    cr_assert_eq(crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
}

Test(crc64, every_length_and_alignment_matches_the_bitwise_reference)
{
    unsigned char buf[200];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 64; len++)
            cr_assert_eq(crc64(0, buf + off, len), reference(0, buf + off, len),
                         "offset %zu length %zu", off, len);
    uint64_t part = crc64(0, buf, 77);
    cr_assert_eq(crc64(part, buf + 77, 123), reference(0, buf, 200));
}
