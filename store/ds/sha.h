/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SHA-1 and SHA-256 (FIPS 180-4) of a byte string: SHA-1 as the script
 * cache names scripts (EVAL, SCRIPT LOAD, redis.sha1hex) and DEBUG DIGEST
 * mixes values (commands/digest.c), SHA-256 as ACL
 * users keep their passwords (commands/acl.c; Redis stores the 64 hex
 * digits, never the password). Pure, allocate nothing.
 */
#ifndef DS_SHA_H
#define DS_SHA_H

#include <stddef.h>

/* The 20 bytes of SHA-1(p[0..len)). */
void sha1(unsigned char out[20], const void *p, size_t len);
/* The 40 lower-case hex digits of SHA-1(p[0..len)), NUL-terminated. */
void sha1_hex(char out[41], const void *p, size_t len);
/* The 64 lower-case hex digits of SHA-256(p[0..len)), NUL-terminated. */
void sha256_hex(char out[65], const void *p, size_t len);

#endif
