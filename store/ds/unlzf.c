/* SPDX-License-Identifier: BSD-3-Clause
 *
 * LZF decompression (unlzf.h). The format: a control byte c; c < 32 is a
 * literal run of c + 1 bytes that follow; otherwise a back reference of
 * (c >> 5) + 2 bytes (c >> 5 == 7: plus the next byte) starting
 * ((c & 31) << 8) + next byte + 1 bytes back in the output, copied
 * forwards so that it may overlap what it writes (a short distance repeats
 * a pattern).
 *
 * While in and out leave room for the largest token, tokens go without
 * bounds checks (only a reference's distance is checked): a literal run
 * is copied as one fixed 32-byte block, a reference at least 8 bytes back
 * as 8-byte words (each word reads only bytes already written: the
 * distance is at least a word). What spills past a token stays inside out
 * and is overwritten by what follows. Near the end each token is checked
 * as liblzf checks it, and shorter distances go a byte at a time. liblzf
 * checks every token and copies a reference byte by byte (its
 * decompression was a fifth of a packed hash's RESTORE).
 */
#include <stdbool.h>
#include <string.h>

#include "ds/unlzf.h"

enum {
    SLACK = 32,     /* a literal run's most bytes */
    TOKEN_IN = 34,  /* a token's most input bytes, read as a literal run's fixed block */
    TOKEN_OUT = 272 /* a token's most output bytes (264), written as words (+ 8) */
};

/* Copy a reference of n bytes dist back at op: words where the distance
 * is one at least and out has a word past the end, else bytes. */
static inline void copy_ref(uint8_t *op, size_t dist, size_t n, bool word_room)
{
    const uint8_t *ref = op - dist;
    if (dist >= 8 && word_room) {
        for (size_t i = 0; i < n; i += 8)
            memcpy(op + i, ref + i, 8);
    } else {
        for (size_t i = 0; i < n; i++)
            op[i] = ref[i];
    }
}

size_t unlzf(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    const uint8_t *ip = in, *iend = in + inlen;
    uint8_t *op = out, *oend = out + outlen;
    /* While in and out have room for any token, only a reference's
     * distance needs a check. */
    while (iend - ip >= TOKEN_IN && oend - op >= TOKEN_OUT) {
        size_t c = *ip++;
        if (c < 32) {
            memcpy(op, ip, SLACK);
            ip += c + 1;
            op += c + 1;
            continue;
        }
        size_t n = c >> 5;
        if (n == 7)
            n += *ip++;
        size_t dist = ((c & 31) << 8) + *ip++ + 1;
        if ((size_t)(op - out) < dist)
            return 0;
        copy_ref(op, dist, n + 2, true);
        op += n + 2;
    }
    while (ip < iend) {
        size_t c = *ip++;
        if (c < 32) {
            size_t n = c + 1;
            if ((size_t)(iend - ip) < n || (size_t)(oend - op) < n)
                return 0;
            memcpy(op, ip, n);
            ip += n;
            op += n;
            continue;
        }
        size_t n = c >> 5;
        if (n == 7) {
            if (ip >= iend)
                return 0;
            n += *ip++;
        }
        if (ip >= iend)
            return 0;
        size_t dist = ((c & 31) << 8) + *ip++ + 1;
        n += 2;
        if ((size_t)(op - out) < dist || (size_t)(oend - op) < n)
            return 0;
        copy_ref(op, dist, n, (size_t)(oend - op) >= n + 8);
        op += n;
    }
    return (size_t)(op - out);
}
