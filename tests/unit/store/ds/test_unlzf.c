/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of ds/unlzf against liblzf's lzf_decompress: the same bytes and
 * length for what lzf_compress makes of inputs with short and long
 * repeats (overlapping references, literal runs at the buffer's end), and
 * the same result, 0 or not, for those payloads cut short, with bytes
 * flipped, or given too small or too large an output.
 */
#include <criterion/criterion.h>
#include <lzf.h>
#include <stdlib.h>
#include <string.h>

#include "ds/unlzf.h"

/* n bytes of text with repeats at distances 1 to a few hundred */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        int r = rand() % 10;
        if (i > 0 && r < 3)
            p[i] = p[i - 1];
        else if (i >= 300 && r < 7)
            p[i] = p[i - 1 - (size_t)(rand() % 300)];
        else
            p[i] = (uint8_t)('a' + rand() % 26);
    }
}

/* both decompressors into outlen bytes (each its own buffer) agree */
static void agree(const uint8_t *in, size_t inlen, size_t outlen, const char *what, size_t at)
{
    uint8_t *a = malloc(outlen + 1), *b = malloc(outlen + 1);
    size_t na = lzf_decompress(in, (unsigned)inlen, a, (unsigned)outlen);
    size_t nb = unlzf(in, inlen, b, outlen);
    cr_assert_eq(nb, na, "%s at %zu: unlzf %zu, liblzf %zu", what, at, nb, na);
    if (na)
        cr_assert(memcmp(a, b, na) == 0, "%s at %zu: bytes differ", what, at);
    free(a);
    free(b);
}

Test(unlzf, same_bytes_as_liblzf_for_compressed_inputs)
{
    static uint8_t raw[5000], z[6000];
    for (unsigned seed = 1; seed <= 40; seed++) {
        size_t n = 1 + (size_t)(seed * 997) % sizeof raw;
        fill(raw, n, seed);
        size_t zn = lzf_compress(raw, (unsigned)n, z, sizeof z);
        cr_assert(zn > 0);
        uint8_t *out = malloc(n);
        cr_assert_eq(unlzf(z, zn, out, n), n, "seed %u", seed);
        cr_assert(memcmp(out, raw, n) == 0, "seed %u", seed);
        free(out);
        agree(z, zn, n - 1, "output one short", n);
        agree(z, zn, n + 40, "output larger", n);
    }
}

Test(unlzf, same_result_as_liblzf_for_cut_and_corrupt_inputs)
{
    static uint8_t raw[600], z[800], bad[800];
    fill(raw, sizeof raw, 7);
    size_t zn = lzf_compress(raw, sizeof raw, z, sizeof z);
    cr_assert(zn > 0);
    for (size_t cut = 0; cut < zn; cut++)
        agree(z, cut, sizeof raw, "cut", cut);
    for (size_t at = 0; at < zn; at++) {
        for (int x = 1; x < 256; x += 17) {
            memcpy(bad, z, zn);
            bad[at] ^= (uint8_t)x;
            agree(bad, zn, sizeof raw, "flipped", at);
        }
    }
}
