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
 *
 * Values of small aggregates are Redis's own blobs inside an RDB string:
 * listpacks (written and read here) and, in files of Redis 6 and older,
 * ziplists and intsets (read here). A listpack: total bytes (4, LE),
 * element count (2, LE, 65535 when more), elements, 0xff; an element is
 * its encoding (0xxxxxxx a 7-bit uint, 10xxxxxx a string of up to 63
 * bytes, 110xxxxx + 1 byte a 13-bit int, 1110xxxx + 1 byte a string of up
 * to 4095 bytes, 0xf0 + 4 bytes a longer string, 0xf1-0xf4 an int16, 24,
 * 32 or 64, LE), its bytes, then the length of those two in 1-5 bytes
 * (7 bits each, read backwards). A ziplist: total bytes (4), tail offset
 * (4), count (2), entries, 0xff; an entry is the previous entry's length
 * (1 byte, or 0xfe + 4), its encoding (00xxxxxx, 01xxxxxx + 1 byte
 * (big-endian), 0x80 + 4 bytes (big-endian): string lengths; 0xc0 int16,
 * 0xd0 int32, 0xe0 int64, 0xf0 int24, 0xfe int8, 0xf1-0xfd the values
 * 0-12), then its bytes. An intset: the width of its values (4, LE: 2, 4
 * or 8), their count (4, LE), the sorted values (LE).
 */
#ifndef KEYSPACE_RDB_H
#define KEYSPACE_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "resp.h"

#define RDB_VERSION 12

/* Value types (Redis 7.4's rdb.h), and ours. */
enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,        /* Redis < 3.2: length, elements */
    RDB_TYPE_SET = 2,         /* length, members */
    RDB_TYPE_ZSET = 3,        /* Redis < 3.0: length, (member, score as text) */
    RDB_TYPE_HASH = 4,        /* length, (field, value) */
    RDB_TYPE_ZSET_2 = 5,      /* length, (member, score as a binary double) */
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,   /* nodes: ziplists */
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18, /* nodes: (container 1 plain | 2 listpack, string) */
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
    RDB_TYPE_SET_LISTPACK = 20,
    RDB_TYPE_STREAM_LISTPACKS_3 = 21,
    RDB_TYPE_HASH_METADATA_PRE_GA = 22,    /* 7.4 RCs: length, (ttl, field, value) */
    RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23, /* 7.4 RCs: listpack of (field, value, ttl) */
    RDB_TYPE_HASH_METADATA = 24,     /* min deadline (8 LE), length, (ttl - min + 1 or 0,
                                      * field, value) */
    RDB_TYPE_HASH_LISTPACK_EX = 25,  /* min deadline (8 LE), listpack of (field, value,
                                      * deadline or 0) */
    /* respite's own: a set with member TTLs (README "What redis-server does
     * not"): min deadline (8 LE), length, (deadline - min + 1 or 0, member).
     * Redis refuses a file with it ("Unknown RDB type"). */
    RDB_TYPE_RESPITE_SET_TTL = 200,
};

/* Opcodes between the keys. */
enum rdb_opcode {
    RDB_OPCODE_SLOT_INFO = 244,
    RDB_OPCODE_FUNCTION2 = 245,      /* a function library: its code as a string */
    RDB_OPCODE_FUNCTION_PRE_GA = 246, /* Redis 7.0 release candidates' libraries */
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,           /* LRU idle seconds of the next key (length) */
    RDB_OPCODE_FREQ = 249,           /* LFU counter of the next key (1 byte) */
    RDB_OPCODE_AUX = 250,            /* name, value */
    RDB_OPCODE_RESIZEDB = 251,       /* keys, keys with a TTL (lengths) */
    RDB_OPCODE_EXPIRETIME_MS = 252,  /* the next key's deadline, unix ms (8 LE) */
    RDB_OPCODE_EXPIRETIME = 253,     /* the same in seconds (4 LE) */
    RDB_OPCODE_SELECTDB = 254,       /* database index (length) */
    RDB_OPCODE_EOF = 255,            /* then the CRC-64 (8 LE; 0: not computed) */
};

/* A growing byte buffer (mem.h); zero-initialise it, free p when done. */
struct rdb_buf {
    uint8_t *p;
    size_t len, cap;
    bool no_lzf; /* rdbcompression no: strings are never LZF-compressed */
};

/* Room for n more bytes in b (rdb_put_raw's slow path). */
void rdb__grow(struct rdb_buf *b, size_t n);
/* Append p[0..n) to b; inline, as values are written a few bytes at a
 * time. */
static inline void rdb_put_raw(struct rdb_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n)
        rdb__grow(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}
void rdb_put_type(struct rdb_buf *b, uint8_t type);
void rdb_put_len(struct rdb_buf *b, uint64_t len);
/* v in 8 bytes, little-endian (deadlines: rdbSaveMillisecondTime). */
void rdb_put_u64le(struct rdb_buf *b, uint64_t v);
/* v as 8 bytes of an IEEE double, little-endian (ZSET_2 scores). */
void rdb_put_double(struct rdb_buf *b, double v);
/* s[0..len) as Redis's rdbSaveRawString: an integer encoding when it is a
 * canonical integer of 11 bytes or less that fits 32 bits, LZF (unless
 * b->no_lzf) when over 20 bytes and it saves at least 4, else verbatim. */
void rdb_put_string(struct rdb_buf *b, const char *s, size_t len);

/* RESP in b, for the files of commands (an AOF base, resp_save.c, and
 * the incremental files, commands/propagate.c): a bulk string of
 * p[0..len), an array header of n elements. */
void rdb_put_resp_bulk(struct rdb_buf *b, const char *p, size_t len);
void rdb_put_resp_array(struct rdb_buf *b, int n);

/* A Redis listpack being built (rdb_lp_begin, rdb_lp_add..., rdb_lp_end):
 * its bytes in b. */
struct rdb_lp {
    struct rdb_buf b;
    uint64_t n;
};
/* A listpack of about hint bytes of elements (0: unknown; a hint sizes
 * the buffer once, for packs whose size is known). */
void rdb_lp_begin(struct rdb_lp *lp, size_t hint);
/* Append s, as an integer element when it is a canonical int64 (Redis's
 * lpStringToInt64), else as a string. */
void rdb_lp_add(struct rdb_lp *lp, const char *s, size_t len);
void rdb_lp_add_int(struct rdb_lp *lp, int64_t v);
/* Write the header and end mark; lp->b.p[0..lp->b.len) is the listpack,
 * which the caller frees. */
void rdb_lp_end(struct rdb_lp *lp);
/* Close a DUMP payload: RDB_VERSION and the CRC-64 of b so far. */
void rdb_put_dump_footer(struct rdb_buf *b);

/* Reads from p up to end; every get returns false (or -1) on a short or
 * malformed input, leaving p anywhere. */
struct rdb_reader {
    const uint8_t *p, *end;
};

/* The next opcode or type byte, or -1 at the end. */
int rdb_get_type(struct rdb_reader *r);
/* A plain length (not a string encoding). */
bool rdb_get_len(struct rdb_reader *r, uint64_t *len);
bool rdb_get_u64le(struct rdb_reader *r, uint64_t *v);
/* n bytes as they are, into out. */
bool rdb_get_raw(struct rdb_reader *r, void *out, size_t n);
bool rdb_get_u32le(struct rdb_reader *r, uint32_t *v);
bool rdb_get_double(struct rdb_reader *r, double *v);
/* A score of RDB_TYPE_ZSET: a length byte then its text; 253 nan, 254
 * inf, 255 -inf. */
bool rdb_get_text_double(struct rdb_reader *r, double *v);
/* A string in any encoding in *s, without an allocation of its own: the
 * input's bytes when it is stored verbatim, else decoded into buf (its
 * bytes replaced, grown as needed; the caller frees buf->p), so *s is
 * valid while both are and buf is not reused. False if malformed. */
bool rdb_get_str(struct rdb_reader *r, struct rdb_buf *buf, struct rs_str *s);
/* rdb_get_str's string in a new rs_malloc'd buffer of *len bytes (plus a
 * NUL terminator, not counted); NULL if malformed. */
char *rdb_get_string(struct rdb_reader *r, size_t *len);

/* Whether p[0..len) ends with a DUMP footer whose version this reads
 * (<= RDB_VERSION) and whose CRC-64 matches (unless skip_crc), as Redis's
 * verifyDumpPayload; *version is set whenever len allows reading it. */
bool rdb_dump_verify(const uint8_t *p, size_t len, bool skip_crc, uint16_t *version);

/* The elements of a listpack, ziplist or intset blob, one by one. The
 * blob is checked as it is read: a bad length or encoding ends the walk
 * with it->bad set, never a read outside [p, end). */
enum rdb_blob_kind { RDB_BLOB_LISTPACK, RDB_BLOB_ZIPLIST, RDB_BLOB_INTSET };
struct rdb_blob {
    const uint8_t *p, *end;
    enum rdb_blob_kind kind;
    uint32_t width;        /* intset: bytes a value */
    uint64_t left;         /* intset: values left */
    uint32_t count, seen;  /* listpack, ziplist: the header's count, elements read */
    bool bad;
    char num[24];          /* an integer element's text */
};
/* Start a walk of blob[0..len); false if its header is wrong. */
bool rdb_blob_open(struct rdb_blob *it, enum rdb_blob_kind kind, const uint8_t *blob, size_t len);
/* rdb_blob_next's general case. */
bool rdb__blob_next(struct rdb_blob *it, struct rs_str *s);
/* The next element in *s (an integer formatted into it->num, valid until
 * the next call); false at the end or on a bad element (it->bad). A
 * listpack's elements are checked as lpValidateIntegrity checks them
 * (encoding, bounds, back length), and at the end their number against
 * the header's. Inline for a listpack's string under 64 bytes, most
 * elements: its back length is its one length byte. */
static inline bool rdb_blob_next(struct rdb_blob *it, struct rs_str *s)
{
    const uint8_t *p = it->p;
    if (it->kind == RDB_BLOB_LISTPACK && p < it->end && (p[0] & 0xc0) == 0x80) {
        size_t l = 1 + (size_t)(p[0] & 0x3f);
        if (l < (size_t)(it->end - p) && p[l] == l) {
            it->seen++;
            it->p = p + l + 1;
            *s = rs_str_from((const char *)p + 1, l - 1);
            return true;
        }
    }
    return rdb__blob_next(it, s);
}
/* The next element of a listpack blob as an integer in *v: an integer
 * element, or a string one that is a canonical integer; false at the end,
 * on a bad element (it->bad) or a string that is no integer. */
bool rdb_blob_next_int(struct rdb_blob *it, int64_t *v);
/* The values of an intset blob not read yet, as they are (not formatted),
 * into v[0..it->left): false when one is not above the one before
 * (Redis's deep check of an intset). O(n). */
bool rdb_blob_ints(struct rdb_blob *it, int64_t *v);

#endif
