/* SPDX-License-Identifier: BSD-3-Clause
 *
 * LZF compression as Redis's bundled liblzf 3.6 does it (HLOG 16,
 * VERY_FAST), so a string compressed here is byte for byte what Redis
 * writes into DUMP payloads and RDB files, and anything Redis compressed
 * decompresses here. Format: runs of literals (a byte 000LLLLL, then L+1
 * bytes) and back references (LLLooooo oooooooo, or 111ooooo LLLLLLLL
 * oooooooo for longer ones: L+2 bytes from o+1 bytes back).
 */
#ifndef DS_LZF_H
#define DS_LZF_H

#include <stddef.h>

/* Compress in[0..len) into out[0..cap): the compressed size, or 0 when it
 * does not fit in cap (or len is 0). O(len); allocates a 256 KiB hash
 * table for the call. */
size_t lzf_compress(const void *in, size_t len, void *out, size_t cap);

/* Decompress in[0..len) into out[0..cap): the size written, or 0 when the
 * data is corrupt or does not fit. O(output); allocates nothing. */
size_t lzf_decompress(const void *in, size_t len, void *out, size_t cap);

#endif
