/* SPDX-License-Identifier: BSD-3-Clause
 *
 * LZF (lzf.h). The compressor is liblzf 3.6's greedy one with the
 * settings Redis builds it with: a 2^16-slot table hashing the next three
 * bytes to the last position they were seen at, a match taken whenever
 * that position is within 8 KiB and starts with the same three bytes, and
 * after a match the two positions before its end hashed in (VERY_FAST).
 * Every step below mirrors liblzf's, including where it stops extending a
 * match and when it gives up for lack of room, since the bytes it writes
 * must be Redis's. The table starts zeroed (Redis leaves it uninitialised,
 * which only ever finds extra matches by chance).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ds/lzf.h"
#include "ds/mem.h"

#define HLOG 16
#define HSIZE (1u << HLOG)
#define MAX_LIT (1u << 5)
#define MAX_OFF (1u << 13)
#define MAX_REF ((1u << 8) + (1u << 3))

#define FRST(p) (((unsigned)(p)[0] << 8) | (p)[1])
#define NEXT(v, p) (((v) << 8) | (p)[2])
#define IDX(h) ((((h) >> (3 * 8 - HLOG)) - (h) * 5) & (HSIZE - 1))

size_t lzf_compress(const void *in_data, size_t in_len, void *out_data, size_t out_len)
{
    if (in_len == 0 || out_len == 0 || in_len > UINT32_MAX)
        return 0;
    /* Positions are stored as offsets from in_data; 0 (before anything
     * was seen) can never be a match, as in liblzf. */
    uint32_t *htab = rs_calloc(HSIZE, sizeof *htab);
    const uint8_t *base = in_data;
    const uint8_t *ip = base, *in_end = base + in_len;
    uint8_t *op = out_data, *out_start = out_data, *out_end = op + out_len;
    int lit = 0;
    size_t result = 0;
    op++; /* start run */

    unsigned hval = FRST(ip);
    while (ip + 2 < in_end) {
        hval = NEXT(hval, ip);
        uint32_t *hslot = htab + IDX(hval);
        const uint8_t *ref = base + *hslot;
        *hslot = (uint32_t)(ip - base);
        size_t off;
        if (ref < ip && (off = (size_t)(ip - ref - 1)) < MAX_OFF && ref > base &&
            ref[2] == ip[2] && ref[1] == ip[1] && ref[0] == ip[0]) {
            unsigned len = 2;
            unsigned maxlen = (unsigned)(in_end - ip) - len;
            if (maxlen > MAX_REF)
                maxlen = MAX_REF;
            if (op + 3 + 1 >= out_end && op - !lit + 3 + 1 >= out_end)
                goto done;
            op[-lit - 1] = (uint8_t)(lit - 1); /* stop run */
            op -= !lit;                        /* undo run if length is zero */
            /* liblzf tries 16 bytes unchecked when maxlen > 16, then one
             * at a time while below maxlen: where it stops is part of the
             * format's bytes. */
            bool stopped = false;
            if (maxlen > 16) {
                for (int k = 0; k < 16; k++) {
                    len++;
                    if (ref[len] != ip[len]) {
                        stopped = true;
                        break;
                    }
                }
            }
            if (!stopped) {
                do
                    len++;
                while (len < maxlen && ref[len] == ip[len]);
            }
            len -= 2; /* len is now #octets - 1 */
            ip++;
            if (len < 7) {
                *op++ = (uint8_t)((off >> 8) + (len << 5));
            } else {
                *op++ = (uint8_t)((off >> 8) + (7 << 5));
                *op++ = (uint8_t)(len - 7);
            }
            *op++ = (uint8_t)off;
            lit = 0;
            op++; /* start run */
            ip += len + 1;
            if (ip + 2 >= in_end)
                break;
            ip -= 2;
            hval = FRST(ip);
            hval = NEXT(hval, ip);
            htab[IDX(hval)] = (uint32_t)(ip - base);
            ip++;
            hval = NEXT(hval, ip);
            htab[IDX(hval)] = (uint32_t)(ip - base);
            ip++;
        } else {
            if (op >= out_end)
                goto done;
            lit++;
            *op++ = *ip++;
            if (lit == (int)MAX_LIT) {
                op[-lit - 1] = (uint8_t)(lit - 1);
                lit = 0;
                op++;
            }
        }
    }
    if (op + 3 > out_end) /* at most 3 bytes can be missing here */
        goto done;
    while (ip < in_end) {
        lit++;
        *op++ = *ip++;
        if (lit == (int)MAX_LIT) {
            op[-lit - 1] = (uint8_t)(lit - 1);
            lit = 0;
            op++;
        }
    }
    op[-lit - 1] = (uint8_t)(lit - 1); /* end run */
    op -= !lit;
    result = (size_t)(op - out_start);
done:
    rs_free(htab);
    return result;
}

size_t lzf_decompress(const void *in_data, size_t in_len, void *out_data, size_t out_len)
{
    const uint8_t *ip = in_data, *in_end = ip + in_len;
    uint8_t *op = out_data, *out_start = out_data, *out_end = op + out_len;
    while (ip < in_end) {
        unsigned ctrl = *ip++;
        if (ctrl < (1 << 5)) { /* a run of ctrl + 1 literals */
            ctrl++;
            if ((size_t)(out_end - op) < ctrl || (size_t)(in_end - ip) < ctrl)
                return 0;
            memcpy(op, ip, ctrl);
            op += ctrl;
            ip += ctrl;
        } else { /* a back reference */
            unsigned len = ctrl >> 5;
            if (len == 7) {
                if (ip >= in_end)
                    return 0;
                len += *ip++;
            }
            if (ip >= in_end)
                return 0;
            size_t back = ((size_t)(ctrl & 0x1f) << 8) + *ip++ + 1;
            len += 2;
            if ((size_t)(out_end - op) < len || (size_t)(op - out_start) < back)
                return 0;
            const uint8_t *ref = op - back;
            for (unsigned i = 0; i < len; i++) /* may overlap: byte by byte */
                op[i] = ref[i];
            op += len;
        }
    }
    return (size_t)(op - out_start);
}
