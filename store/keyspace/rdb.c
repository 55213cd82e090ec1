/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB lengths, strings, the DUMP footer and the listpack, ziplist and
 * intset blobs (rdb.h), written and read as Redis 7.4's rdb.c,
 * listpack.c, ziplist.c and intset.c do. LZF compression is Debian's
 * liblzf, which compresses to the bytes of the copy Redis bundles;
 * decompression is ds/unlzf's, liblzf's result in fewer instructions.
 */
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <lzf.h>
#include <string.h>

#include "ds/crc64.h"
#include "ds/mem.h"
#include "ds/unlzf.h"
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

void rdb__grow(struct rdb_buf *b, size_t n)
{
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n)
        cap *= 2;
    b->p = rs_realloc(b->p, cap);
    b->cap = cap;
}

/* "<c><n>\r\n" (a bulk's or an array's header) */
static void put_resp_header(struct rdb_buf *b, char c, long long n)
{
    char hdr[RESP_LL_STR_SIZE + 3];
    hdr[0] = c;
    size_t len = 1 + resp_ll2str(hdr + 1, n);
    hdr[len++] = '\r';
    hdr[len++] = '\n';
    rdb_put_raw(b, hdr, len);
}

void rdb_put_resp_bulk(struct rdb_buf *b, const char *p, size_t len)
{
    put_resp_header(b, '$', (long long)len);
    rdb_put_raw(b, p, len);
    rdb_put_raw(b, "\r\n", 2);
}

void rdb_put_resp_array(struct rdb_buf *b, int n)
{
    put_resp_header(b, '*', n);
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
    /* Under 21 bytes LZF cannot win; it must save 4 bytes to be used.
     * liblzf counts in unsigned ints, as Redis's copy does. */
    if (len > 20 && !b->no_lzf && len <= UINT_MAX) {
        uint8_t *out = rs_malloc(len - 4);
        size_t clen = lzf_compress(s, (unsigned)len, out, (unsigned)(len - 4));
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

void rdb_put_u64le(struct rdb_buf *b, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    rdb_put_raw(b, le, 8);
}

void rdb_put_double(struct rdb_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    rdb_put_u64le(b, u);
}

void rdb_put_dump_footer(struct rdb_buf *b)
{
    uint8_t ver[2] = {RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff};
    rdb_put_raw(b, ver, 2);
    rdb_put_u64le(b, crc64(0, b->p, b->len));
}

/* ------------------------------------------------------------------------
 * Listpacks
 * ------------------------------------------------------------------------ */

enum { LP_HDR = 6, LP_EOF = 0xff };

void rdb_lp_begin(struct rdb_lp *lp, size_t hint)
{
    memset(lp, 0, sizeof *lp);
    rdb__grow(&lp->b, LP_HDR + hint + 1);
    uint8_t hdr[LP_HDR] = {0};
    rdb_put_raw(&lp->b, hdr, LP_HDR);
}

/* Bytes of an element's back length, at Redis's lpEncodeBacklen bounds
 * (one under each power of 128: Redis's validation recomputes them). */
static int lp_backlen_size(uint64_t l)
{
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/* The element's encoding and data e[0..n) followed by its back length,
 * written with one check for room. */
static void lp_put_element(struct rdb_lp *lp, const uint8_t *e, size_t n, const char *data,
                           size_t dlen)
{
    struct rdb_buf *b = &lp->b;
    uint64_t l = n + dlen;
    int nb = lp_backlen_size(l);
    if (b->cap - b->len < l + (size_t)nb)
        rdb__grow(b, l + (size_t)nb);
    uint8_t *w = (uint8_t *)b->p + b->len;
    memcpy(w, e, n);
    if (dlen)
        memcpy(w + n, data, dlen);
    w += l;
    /* the most significant 7 bits first; all but the last byte read
     * (backwards) flag that more follow */
    for (int i = 0; i < nb; i++)
        w[i] = (uint8_t)(((l >> (7 * (nb - 1 - i))) & 127) | (i > 0 ? 128 : 0));
    b->len += l + (size_t)nb;
    lp->n++;
}

void rdb_lp_add_int(struct rdb_lp *lp, int64_t v)
{
    uint64_t u = (uint64_t)v;
    if (v >= -4096 && v <= 4095) {
        /* most integers (a stream's flags, counts and deltas): one or two
         * bytes and a back length of one, written after one check for
         * room */
        struct rdb_buf *b = &lp->b;
        if (b->cap - b->len < 3)
            rdb__grow(b, 3);
        uint8_t *w = (uint8_t *)b->p + b->len;
        if (v >= 0 && v <= 127) {
            w[0] = (uint8_t)v;
            w[1] = 1;
            b->len += 2;
        } else {
            uint64_t t = v < 0 ? (uint64_t)((1 << 13) + v) : u;
            w[0] = (uint8_t)(0xc0 | (t >> 8));
            w[1] = (uint8_t)t;
            w[2] = 2;
            b->len += 3;
        }
        lp->n++;
        return;
    }
    int bytes = v >= -32768 && v <= 32767         ? 2
                : v >= -8388608 && v <= 8388607   ? 3
                : v >= INT32_MIN && v <= INT32_MAX ? 4
                                                   : 8;
    uint8_t e[9];
    e[0] = bytes == 2 ? 0xf1 : bytes == 3 ? 0xf2 : bytes == 4 ? 0xf3 : 0xf4;
    for (int i = 0; i < bytes; i++)
        e[1 + i] = (uint8_t)(u >> (8 * i));
    lp_put_element(lp, e, (size_t)bytes + 1, NULL, 0);
}

void rdb_lp_add(struct rdb_lp *lp, const char *s, size_t len)
{
    long long v;
    if (resp_str2ll_maybe(s, len, &v)) {
        rdb_lp_add_int(lp, v);
        return;
    }
    struct rdb_buf *b = &lp->b;
    if (len < 64) {
        /* most strings: one byte of encoding, one of back length (the
         * element is 65 bytes at most), one check for room */
        if (b->cap - b->len < len + 2)
            rdb__grow(b, len + 2);
        uint8_t *w = (uint8_t *)b->p + b->len;
        w[0] = (uint8_t)(0x80 | len);
        memcpy(w + 1, s, len);
        w[len + 1] = (uint8_t)(len + 1);
        b->len += len + 2;
        lp->n++;
        return;
    }
    uint8_t e[5];
    size_t n;
    if (len < 4096) {
        e[0] = (uint8_t)(0xe0 | (len >> 8));
        e[1] = (uint8_t)len;
        n = 2;
    } else {
        e[0] = 0xf0;
        for (int i = 0; i < 4; i++)
            e[1 + i] = (uint8_t)(len >> (8 * i));
        n = 5;
    }
    lp_put_element(lp, e, n, s, len);
}

void rdb_lp_end(struct rdb_lp *lp)
{
    rdb_put_type(&lp->b, LP_EOF);
    uint64_t total = lp->b.len;
    uint16_t count = lp->n < 65535 ? (uint16_t)lp->n : 65535;
    for (int i = 0; i < 4; i++)
        lp->b.p[i] = (uint8_t)(total >> (8 * i));
    lp->b.p[4] = (uint8_t)count;
    lp->b.p[5] = (uint8_t)(count >> 8);
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

bool rdb_get_len(struct rdb_reader *r, uint64_t *len)
{
    bool encoded;
    return get_len(r, len, &encoded) && !encoded;
}

static uint64_t le_at(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

bool rdb_get_u64le(struct rdb_reader *r, uint64_t *v)
{
    if (r->end - r->p < 8)
        return false;
    *v = le_at(r->p, 8);
    r->p += 8;
    return true;
}

bool rdb_get_raw(struct rdb_reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

bool rdb_get_u32le(struct rdb_reader *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return false;
    *v = (uint32_t)le_at(r->p, 4);
    r->p += 4;
    return true;
}

bool rdb_get_double(struct rdb_reader *r, double *v)
{
    uint64_t u;
    if (!rdb_get_u64le(r, &u))
        return false;
    memcpy(v, &u, 8);
    return true;
}

bool rdb_get_text_double(struct rdb_reader *r, double *v)
{
    if (r->p >= r->end)
        return false;
    uint8_t n = *r->p++;
    if (n >= 253) {
        *v = n == 253 ? NAN : n == 254 ? INFINITY : -INFINITY;
        return true;
    }
    if (r->end - r->p < n)
        return false;
    char buf[256];
    memcpy(buf, r->p, n);
    buf[n] = '\0';
    r->p += n;
    char *end;
    *v = strtod(buf, &end);
    return end == buf + n && n > 0;
}

bool rdb_get_str(struct rdb_reader *r, struct rdb_buf *buf, struct rs_str *s)
{
    uint64_t n;
    bool encoded;
    if (!get_len(r, &n, &encoded))
        return false;
    if (!encoded) {
        if ((uint64_t)(r->end - r->p) < n)
            return false;
        *s = rs_str_from((const char *)r->p, (size_t)n);
        r->p += n;
        return true;
    }
    buf->len = 0;
    if (n == RDB_ENC_LZF) {
        uint64_t clen, ulen;
        if (!rdb_get_len(r, &clen) || !rdb_get_len(r, &ulen) ||
            (uint64_t)(r->end - r->p) < clen || ulen == 0)
            return false;
        /* The original length is the input's word: only a corrupt payload
         * would claim more than LZF's best ratio allows. */
        if (ulen > clen * 264 || ulen > UINT_MAX)
            return false;
        if (buf->cap < ulen)
            rdb__grow(buf, (size_t)ulen);
        if (unlzf(r->p, (size_t)clen, buf->p, (size_t)ulen) != ulen)
            return false;
        r->p += clen;
        *s = rs_str_from((const char *)buf->p, (size_t)ulen);
        return true;
    }
    int bytes = n == RDB_ENC_INT8 ? 1 : n == RDB_ENC_INT16 ? 2 : n == RDB_ENC_INT32 ? 4 : 0;
    if (bytes == 0 || r->end - r->p < bytes)
        return false;
    uint32_t u = 0;
    for (int i = 0; i < bytes; i++)
        u |= (uint32_t)r->p[i] << (8 * i);
    r->p += bytes;
    long long v = bytes == 1 ? (int8_t)u : bytes == 2 ? (int16_t)u : (int32_t)u;
    if (buf->cap < RESP_LL_STR_SIZE)
        rdb__grow(buf, RESP_LL_STR_SIZE);
    *s = rs_str_from((const char *)buf->p, resp_ll2str((char *)buf->p, v));
    return true;
}

char *rdb_get_string(struct rdb_reader *r, size_t *len)
{
    struct rdb_buf buf = {0};
    struct rs_str s;
    char *out = NULL;
    if (rdb_get_str(r, &buf, &s)) {
        out = rs_malloc(s.len + 1);
        memcpy(out, s.p, s.len);
        out[s.len] = '\0';
        *len = s.len;
    }
    rs_free(buf.p);
    return out;
}

bool rdb_dump_verify(const uint8_t *p, size_t len, bool skip_crc, uint16_t *version)
{
    if (len < 10)
        return false;
    const uint8_t *footer = p + len - 10;
    *version = (uint16_t)(footer[1] << 8 | footer[0]);
    if (*version > RDB_VERSION)
        return false;
    if (skip_crc)
        return true;
    uint64_t crc = crc64(0, p, len - 8);
    for (int i = 0; i < 8; i++)
        if (footer[2 + i] != (uint8_t)(crc >> (8 * i)))
            return false;
    return true;
}

/* ------------------------------------------------------------------------
 * Reading listpack, ziplist and intset blobs
 * ------------------------------------------------------------------------ */

bool rdb_blob_open(struct rdb_blob *it, enum rdb_blob_kind kind, const uint8_t *blob, size_t len)
{
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->end = blob + len;
    if (kind == RDB_BLOB_INTSET) {
        if (len < 8)
            return false;
        it->width = (uint32_t)le_at(blob, 4);
        it->left = le_at(blob + 4, 4);
        it->p = blob + 8;
        return (it->width == 2 || it->width == 4 || it->width == 8) &&
               it->left * it->width == len - 8;
    }
    size_t hdr = kind == RDB_BLOB_LISTPACK ? LP_HDR : 10;
    /* the total must be the blob's, and it ends with the end mark */
    if (len < hdr + 1 || le_at(blob, 4) != len || blob[len - 1] != LP_EOF)
        return false;
    it->count = (uint32_t)le_at(blob + (kind == RDB_BLOB_LISTPACK ? 4 : 8), 2);
    it->p = blob + hdr;
    it->end = blob + len - 1;
    return true;
}

static bool blob_int(struct rdb_blob *it, int64_t v, struct rs_str *s)
{
    *s = rs_str_from(it->num, resp_ll2str(it->num, v));
    return true;
}

static int64_t sign_extend(uint64_t v, int bits)
{
    uint64_t m = 1ULL << (bits - 1);
    return (int64_t)((v ^ m) - m);
}

static bool blob_bad(struct rdb_blob *it)
{
    it->bad = true;
    return false;
}

/* The next element of a listpack: an integer in *v (*is_int) or a string
 * in *s, not formatted. */
static bool lp_next(struct rdb_blob *it, struct rs_str *s, int64_t *v, bool *is_int)
{
    const uint8_t *p = it->p;
    size_t avail = (size_t)(it->end - p);
    uint8_t b = p[0];
    /* the commonest integers first: under 128, one byte, whose back length
     * is 1 (a short string's short path is rdb_blob_next's, inline) */
    if (b < 0x80) {
        if (avail < 2 || p[1] != 1)
            return blob_bad(it);
        it->p = p + 2;
        *is_int = true;
        *v = b;
        return true;
    }
    size_t hdr, dlen = 0;
    *is_int = true;
    if ((b & 0xc0) == 0x80) {
        hdr = 1, dlen = b & 0x3f, *is_int = false;
    } else if ((b & 0xe0) == 0xc0) {
        if (avail < 2)
            return blob_bad(it);
        hdr = 2, *v = sign_extend(((uint64_t)(b & 0x1f) << 8) | p[1], 13);
    } else if ((b & 0xf0) == 0xe0) {
        if (avail < 2)
            return blob_bad(it);
        hdr = 2, dlen = ((size_t)(b & 0x0f) << 8) | p[1], *is_int = false;
    } else if (b == 0xf0) {
        if (avail < 5)
            return blob_bad(it);
        hdr = 5, dlen = le_at(p + 1, 4), *is_int = false;
    } else if (b >= 0xf1 && b <= 0xf4) {
        int bytes = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
        if (avail < (size_t)bytes + 1)
            return blob_bad(it);
        hdr = (size_t)bytes + 1, *v = sign_extend(le_at(p + 1, bytes), bytes * 8);
    } else {
        return blob_bad(it);
    }
    size_t l = hdr + dlen;
    size_t nb = (size_t)lp_backlen_size(l);
    if (dlen > avail || l + nb > avail)
        return blob_bad(it);
    /* the back length, read backwards as lpDecodeBacklen, must be l */
    uint64_t back = 0;
    for (size_t i = 0; i < nb; i++) {
        uint8_t c = p[l + nb - 1 - i];
        back |= (uint64_t)(c & 127) << (7 * i);
        if (((c & 128) != 0) != (i + 1 < nb))
            return blob_bad(it);
    }
    if (back != l)
        return blob_bad(it);
    if (!*is_int)
        *s = rs_str_from((const char *)p + hdr, dlen);
    it->p = p + l + nb;
    return true;
}

static bool zl_next(struct rdb_blob *it, struct rs_str *s)
{
    const uint8_t *p = it->p;
    size_t avail = (size_t)(it->end - p);
    size_t prev = p[0] == 0xfe ? 5 : 1;
    if (avail < prev + 1)
        return blob_bad(it);
    p += prev;
    avail -= prev;
    uint8_t b = p[0];
    size_t hdr, dlen = 0;
    int64_t v = 0;
    int bytes = 0;
    switch (b >> 6) {
    case 0:
        hdr = 1, dlen = b & 0x3f;
        break;
    case 1:
        if (avail < 2)
            return blob_bad(it);
        hdr = 2, dlen = ((size_t)(b & 0x3f) << 8) | p[1];
        break;
    case 2:
        if (avail < 5)
            return blob_bad(it);
        hdr = 5, dlen = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
        break;
    default:
        hdr = 1;
        bytes = b == 0xc0 ? 2 : b == 0xd0 ? 4 : b == 0xe0 ? 8 : b == 0xf0 ? 3 : b == 0xfe ? 1 : 0;
        if (bytes == 0 && (b < 0xf1 || b > 0xfd))
            return blob_bad(it);
        if (avail < hdr + (size_t)bytes)
            return blob_bad(it);
        v = bytes ? sign_extend(le_at(p + 1, bytes), bytes * 8) : (int64_t)(b & 0x0f) - 1;
        blob_int(it, v, s);
        it->p = p + hdr + (size_t)bytes;
        return true;
    }
    if (dlen > avail - hdr)
        return blob_bad(it);
    *s = rs_str_from((const char *)p + hdr, dlen);
    it->p = p + hdr + dlen;
    return true;
}

/* An intset's value of width bytes at p: each width its own shifts, which
 * compilers make one load. */
static inline int64_t intset_value(const uint8_t *p, uint32_t width)
{
    if (width == 2)
        return (int16_t)(uint16_t)(p[0] | p[1] << 8);
    if (width == 4)
        return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24);
    return (int64_t)le_at(p, 8);
}

bool rdb_blob_ints(struct rdb_blob *it, int64_t *v)
{
    const uint8_t *p = it->p;
    uint32_t w = it->width;
    size_t n = (size_t)it->left;
    for (size_t i = 0; i < n; i++, p += w) {
        v[i] = w == 2 ? intset_value(p, 2) : w == 4 ? intset_value(p, 4) : intset_value(p, 8);
        if (i > 0 && v[i] <= v[i - 1])
            return false;
    }
    it->p = p;
    it->left = 0;
    return true;
}

/* Whether a listpack or ziplist walk is at its end, then checking the
 * header's count, unless it says "too many to count"; else counts the
 * element about to be read. */
static bool blob_ended(struct rdb_blob *it)
{
    if (it->p >= it->end) {
        if (it->count != UINT16_MAX && it->seen != it->count)
            it->bad = true;
        return true;
    }
    it->seen++;
    return false;
}

bool rdb_blob_next_int(struct rdb_blob *it, int64_t *v)
{
    assert(it->kind == RDB_BLOB_LISTPACK);
    struct rs_str s;
    bool is_int;
    long long ll;
    if (blob_ended(it) || !lp_next(it, &s, v, &is_int))
        return false;
    if (is_int)
        return true;
    if (!resp_str2ll(s.p, s.len, &ll))
        return false;
    *v = ll;
    return true;
}

bool rdb__blob_next(struct rdb_blob *it, struct rs_str *s)
{
    if (it->kind == RDB_BLOB_INTSET) {
        if (it->left == 0)
            return false;
        it->left--;
        int64_t v = intset_value(it->p, it->width);
        it->p += it->width;
        return blob_int(it, v, s);
    }
    if (blob_ended(it))
        return false;
    if (it->kind == RDB_BLOB_ZIPLIST)
        return zl_next(it, s);
    int64_t v = 0;
    bool is_int;
    return lp_next(it, s, &v, &is_int) && (!is_int || blob_int(it, v, s));
}
