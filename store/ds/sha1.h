/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SHA-1 (FIPS 180-4) of a byte string, as the script cache names scripts
 * (EVAL, SCRIPT LOAD, redis.sha1hex) and DEBUG DIGEST mixes values. Pure,
 * allocates nothing.
 */
#ifndef DS_SHA1_H
#define DS_SHA1_H

#include <stddef.h>

/* The 20 bytes of SHA-1(p[0..len)). */
void sha1(unsigned char out[20], const void *p, size_t len);
/* The 40 lower-case hex digits of SHA-1(p[0..len)), NUL-terminated. */
void sha1_hex(char out[41], const void *p, size_t len);

#endif
