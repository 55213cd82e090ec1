/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB lengths, strings and the DUMP footer (rdb.h), written and read as
 * Redis 7.4's rdb.c does.
 */
#include <limits.h>
#include <string.h>

#include "ds/crc64.h"
#include "ds/lzf.h"
#include "ds/mem.h"
#include "keyspace/rdb.h"
#include "resp_num.h"

enum {
    RDB_6BITLEN = 0,
    RDB_14BITLEN = 1,
    RDB_32BITLEN = 0x80,
    RDB_64BITLEN = 0x81,
    RDB_ENCVAL = 3,
    RDB_ENC_INT8 = 0,
    RDB_ENC_INT16 = 1,
    RDB_ENC_INT32 = 2,
    RDB_ENC_LZF = 3,
};

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

void rdb_put_raw(struct rdb_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n)
            cap *= 2;
        b->p = rs_realloc(b->p, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void rdb_put_type(struct rdb_buf *b, uint8_t type)
{
    rdb_put_raw(b, &type, 1);
}

void rdb_put_len(struct rdb_buf *b, uint64_t len)
{
    uint8_t buf[9];
    if (len < (1 << 6)) {
        buf[0] = (uint8_t)(len | (RDB_6BITLEN << 6));
        rdb_put_raw(b, buf, 1);
    } else if (len < (1 << 14)) {
        buf[0] = (uint8_t)((len >> 8) | (RDB_14BITLEN << 6));
        buf[1] = (uint8_t)len;
        rdb_put_raw(b, buf, 2);
    } else {
        int n = len <= UINT32_MAX ? 4 : 8;
        buf[0] = n == 4 ? RDB_32BITLEN : RDB_64BITLEN;
        for (int i = 0; i < n; i++)
            buf[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
        rdb_put_raw(b, buf, (size_t)n + 1);
    }
}

/* Redis's rdbTryIntegerEncoding: the bytes of s as an int8/16/32, or 0. */
static int int_encoding(const char *s, size_t len, uint8_t *enc)
{
    long long v;
    if (!resp_str2ll(s, len, &v))
        return 0;
    if (v >= -(1 << 7) && v <= (1 << 7) - 1) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
        enc[1] = (uint8_t)v;
        return 2;
    }
    if (v >= -(1 << 15) && v <= (1 << 15) - 1) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
        enc[1] = (uint8_t)v;
        enc[2] = (uint8_t)(v >> 8);
        return 3;
    }
    if (v >= -(1LL << 31) && v <= (1LL << 31) - 1) {
        enc[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
        for (int i = 0; i < 4; i++)
            enc[1 + i] = (uint8_t)(v >> (8 * i));
        return 5;
    }
    return 0;
}

void rdb_put_string(struct rdb_buf *b, const char *s, size_t len)
{
    uint8_t enc[5];
    int n;
    if (len <= 11 && (n = int_encoding(s, len, enc)) > 0) {
        rdb_put_raw(b, enc, (size_t)n);
        return;
    }
    /* Under 21 bytes LZF cannot win; it must save 4 bytes to be used. */
    if (len > 20) {
        uint8_t *out = rs_malloc(len - 4);
        size_t clen = lzf_compress(s, len, out, len - 4);
        if (clen) {
            rdb_put_type(b, (RDB_ENCVAL << 6) | RDB_ENC_LZF);
            rdb_put_len(b, clen);
            rdb_put_len(b, len);
            rdb_put_raw(b, out, clen);
            rs_free(out);
            return;
        }
        rs_free(out);
    }
    rdb_put_len(b, len);
    rdb_put_raw(b, s, len);
}

void rdb_put_dump_footer(struct rdb_buf *b)
{
    uint8_t ver[2] = {RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff};
    rdb_put_raw(b, ver, 2);
    uint64_t crc = crc64(0, b->p, b->len);
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(crc >> (8 * i));
    rdb_put_raw(b, le, 8);
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

int rdb_get_type(struct rdb_reader *r)
{
    return r->p < r->end ? *r->p++ : -1;
}

/* A length, or with *encoded set the code of a special string encoding. */
static bool get_len(struct rdb_reader *r, uint64_t *len, bool *encoded)
{
    *encoded = false;
    if (r->p >= r->end)
        return false;
    uint8_t first = *r->p++;
    int type = first >> 6;
    if (type == RDB_ENCVAL) {
        *encoded = true;
        *len = first & 0x3f;
        return true;
    }
    if (type == RDB_6BITLEN) {
        *len = first & 0x3f;
        return true;
    }
    if (type == RDB_14BITLEN) {
        if (r->p >= r->end)
            return false;
        *len = ((uint64_t)(first & 0x3f) << 8) | *r->p++;
        return true;
    }
    int n = first == RDB_32BITLEN ? 4 : first == RDB_64BITLEN ? 8 : 0;
    if (n == 0 || r->end - r->p < n)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | *r->p++;
    *len = v;
    return true;
}

static bool get_plain_len(struct rdb_reader *r, uint64_t *len)
{
    bool encoded;
    return get_len(r, len, &encoded) && !encoded;
}

char *rdb_get_string(struct rdb_reader *r, size_t *len)
{
    uint64_t n;
    bool encoded;
    if (!get_len(r, &n, &encoded))
        return NULL;
    if (!encoded) {
        if ((uint64_t)(r->end - r->p) < n)
            return NULL;
        char *s = rs_malloc(n + 1);
        memcpy(s, r->p, n);
        s[n] = '\0';
        r->p += n;
        *len = n;
        return s;
    }
    if (n == RDB_ENC_LZF) {
        uint64_t clen, ulen;
        if (!get_plain_len(r, &clen) || !get_plain_len(r, &ulen) ||
            (uint64_t)(r->end - r->p) < clen || ulen == 0)
            return NULL;
        /* The original length is the input's word: only a corrupt payload
         * would claim more than LZF's best ratio allows. */
        if (ulen > clen * 264)
            return NULL;
        char *s = rs_malloc(ulen + 1);
        if (lzf_decompress(r->p, clen, s, ulen) != ulen) {
            rs_free(s);
            return NULL;
        }
        s[ulen] = '\0';
        r->p += clen;
        *len = ulen;
        return s;
    }
    int bytes = n == RDB_ENC_INT8 ? 1 : n == RDB_ENC_INT16 ? 2 : n == RDB_ENC_INT32 ? 4 : 0;
    if (bytes == 0 || r->end - r->p < bytes)
        return NULL;
    uint32_t u = 0;
    for (int i = 0; i < bytes; i++)
        u |= (uint32_t)r->p[i] << (8 * i);
    r->p += bytes;
    long long v = bytes == 1 ? (int8_t)u : bytes == 2 ? (int16_t)u : (int32_t)u;
    char *s = rs_malloc(24);
    *len = resp_ll2str(s, v);
    s[*len] = '\0';
    return s;
}

bool rdb_dump_verify(const uint8_t *p, size_t len, uint16_t *version)
{
    if (len < 10)
        return false;
    const uint8_t *footer = p + len - 10;
    *version = (uint16_t)(footer[1] << 8 | footer[0]);
    if (*version > RDB_VERSION)
        return false;
    uint64_t crc = crc64(0, p, len - 8);
    for (int i = 0; i < 8; i++)
        if (footer[2 + i] != (uint8_t)(crc >> (8 * i)))
            return false;
    return true;
}
