/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SHA-256 (FIPS 180-4) of a byte string, as ACL users keep their passwords
 * (commands/acl.c: Redis stores the 64 hex digits, never the password).
 * Pure, allocates nothing.
 */
#ifndef DS_SHA256_H
#define DS_SHA256_H

#include <stddef.h>

/* The 64 lower-case hex digits of SHA-256(p[0..len)), NUL-terminated. */
void sha256_hex(char out[65], const void *p, size_t len);

#endif
