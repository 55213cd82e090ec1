/* SPDX-License-Identifier: BSD-3-Clause
 *
 * CRC-64 as Redis computes it (crc64.c): the Jones polynomial
 * (0xad93d23594c935a9), reflected input and output, initial value 0 and no
 * final xor; crc64(0, "123456789") = 0xe9c6d914c4b8d9ca. It closes DUMP
 * payloads and RDB files. Pure, allocates nothing.
 */
#ifndef DS_CRC64_H
#define DS_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* crc continued over p[0..len) (pass 0 to start). O(len). */
uint64_t crc64(uint64_t crc, const void *p, size_t len);

#endif
