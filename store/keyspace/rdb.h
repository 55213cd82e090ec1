/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The building blocks of Redis's RDB format (version 12, Redis 7.4), for
 * DUMP-style payloads and, later, RDB files: lengths, strings (as integers,
 * LZF-compressed or verbatim, chosen as Redis chooses, so the bytes are
 * Redis's), opcodes, and the footer of a DUMP payload (the RDB version in
 * two bytes, little-endian, then the CRC-64 of everything before it,
 * little-endian).
 *
 * Lengths: 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits, big-endian),
 * 0x80 + 4 bytes or 0x81 + 8 bytes (big-endian); 11xxxxxx marks a special
 * string encoding: 0-2 an int8/16/32 (little-endian), 3 LZF (compressed
 * length, original length, data).
 */
#ifndef KEYSPACE_RDB_H
#define KEYSPACE_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RDB_VERSION 12
#define RDB_OPCODE_FUNCTION2 245       /* a function library: its code as a string */
#define RDB_OPCODE_FUNCTION_PRE_GA 246 /* Redis 7.0 release candidates' libraries */

/* A growing byte buffer (mem.h); zero-initialise it, free p when done. */
struct rdb_buf {
    uint8_t *p;
    size_t len, cap;
};

void rdb_put_raw(struct rdb_buf *b, const void *p, size_t n);
void rdb_put_type(struct rdb_buf *b, uint8_t type);
void rdb_put_len(struct rdb_buf *b, uint64_t len);
/* s[0..len) as Redis's rdbSaveRawString with rdbcompression on: an integer
 * encoding when it is a canonical integer of 11 bytes or less that fits 32
 * bits, LZF when over 20 bytes and it saves at least 4, else verbatim. */
void rdb_put_string(struct rdb_buf *b, const char *s, size_t len);
/* Close a DUMP payload: RDB_VERSION and the CRC-64 of b so far. */
void rdb_put_dump_footer(struct rdb_buf *b);

/* Reads from p up to end; every get returns false (or -1) on a short or
 * malformed input, leaving p anywhere. */
struct rdb_reader {
    const uint8_t *p, *end;
};

/* The next opcode or type byte, or -1 at the end. */
int rdb_get_type(struct rdb_reader *r);
/* A string in any encoding, in a new rs_malloc'd buffer of *len bytes
 * (plus a NUL terminator, not counted); NULL if malformed. */
char *rdb_get_string(struct rdb_reader *r, size_t *len);

/* Whether p[0..len) ends with a DUMP footer whose version this reads
 * (<= RDB_VERSION) and whose CRC-64 matches, as Redis's verifyDumpPayload;
 * *version is set whenever len allows reading it. */
bool rdb_dump_verify(const uint8_t *p, size_t len, uint16_t *version);

#endif
