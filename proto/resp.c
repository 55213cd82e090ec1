/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The few helpers behind the shared vocabulary of resp.h. Only the
 * case-insensitive option match lives here: it is the one rs_str operation
 * that is too long to inline and that every layer needs.
 */
#include "resp.h"

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* True when a matches lit ignoring ASCII case, with strcasecmp's reading of
 * a: Redis compares the argument's sds, which is NUL-terminated, so a NUL
 * inside a ends it ("NX\0junk" matches "nx"). Only ASCII letters fold, as in
 * the C locale Redis runs in. Neither string is retained. O(len). */
int rs_str_eqi(struct rs_str a, const char *lit)
{
    size_t i = 0;
    for (; i < a.len && a.p[i] != '\0'; i++) {
        int c = ascii_lower((unsigned char)a.p[i]);
        if (lit[i] == '\0' || c != ascii_lower((unsigned char)lit[i]))
            return 0;
    }
    return lit[i] == '\0';
}
