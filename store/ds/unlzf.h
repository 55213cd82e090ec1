/* SPDX-License-Identifier: BSD-3-Clause
 *
 * LZF decompression (unlzf.c): the same result as liblzf's lzf_decompress
 * for every input, valid or not, with back references and literal runs
 * copied a word at a time where the buffers leave room. Pure, allocates
 * nothing.
 */
#ifndef DS_UNLZF_H
#define DS_UNLZF_H

#include <stddef.h>
#include <stdint.h>

/* Decompress in[0..inlen) into out[0..outlen): the bytes written, or 0
 * when the input is malformed (a truncated token, a reference before the
 * output's start) or expands past outlen, where lzf_decompress returns 0
 * too. out may be written up to outlen whatever the result. O(outlen). */
size_t unlzf(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

#endif
