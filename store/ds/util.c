/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Glob matching with Redis's exact semantics, and argument copies (see util.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/util.h"

static int lower(int c, bool nocase)
{
    return nocase && c >= 0 ? tolower(c) : c; /* bytes are signed chars, as in Redis */
}

/* One step of stringmatchlen_impl. *skip is set once a '*' failed against
 * every suffix: no longer string can match then, so callers stop early. */
static bool match(const char *p, size_t plen, const char *s, size_t slen, bool nocase, bool *skip,
                  int nesting)
{
    /* Protection against abusive patterns (Redis CVE-2022-36021). */
    if (nesting > 1000)
        return false;
    while (plen && slen) {
        switch (p[0]) {
        case '*':
            while (plen >= 2 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1)
                return true;
            while (slen) {
                if (match(p + 1, plen - 1, s, slen, nocase, skip, nesting + 1))
                    return true;
                if (*skip)
                    return false;
                s++;
                slen--;
            }
            *skip = true;
            return false;
        case '?':
            s++;
            slen--;
            break;
        case '[': {
            p++;
            plen--;
            bool neg = plen && p[0] == '^';
            if (neg) {
                p++;
                plen--;
            }
            bool hit = false;
            for (;;) {
                if (plen >= 2 && p[0] == '\\') {
                    p++;
                    plen--;
                    if (p[0] == s[0])
                        hit = true;
                } else if (plen == 0) {
                    /* Unterminated class: step back so the shared
                     * advance below lands on the end. */
                    p--;
                    plen++;
                    break;
                } else if (p[0] == ']') {
                    break;
                } else if (plen >= 3 && p[1] == '-') {
                    int start = p[0], end = p[2], c = s[0];
                    if (start > end) {
                        int t = start;
                        start = end;
                        end = t;
                    }
                    start = lower(start, nocase);
                    end = lower(end, nocase);
                    c = lower(c, nocase);
                    p += 2;
                    plen -= 2;
                    if (c >= start && c <= end)
                        hit = true;
                } else if (lower(p[0], nocase) == lower(s[0], nocase)) {
                    hit = true;
                }
                p++;
                plen--;
            }
            if (neg)
                hit = !hit;
            if (!hit)
                return false;
            s++;
            slen--;
            break;
        }
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (lower(p[0], nocase) != lower(s[0], nocase))
                return false;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen && p[0] == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

bool glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase)
{
    bool skip = false;
    return match(pat, plen, s, slen, nocase, &skip, 0);
}

struct rs_str *argv_dup(int argc, const struct rs_str *argv, size_t *bytes)
{
    size_t n = 0;
    for (int i = 0; i < argc; i++)
        n += argv[i].len;
    struct rs_str *copy = rs_malloc((size_t)argc * sizeof *copy + n);
    char *p = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        if (argv[i].len)
            memcpy(p, argv[i].p, argv[i].len);
        copy[i] = rs_str_from(p, argv[i].len);
        p += argv[i].len;
    }
    *bytes = n;
    return copy;
}

size_t fmt_trimmed_double(char *buf, size_t size, double v)
{
    int n = snprintf(buf, size, "%f", v);
    size_t len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
    if (memchr(buf, '.', len)) {
        while (len > 0 && buf[len - 1] == '0')
            len--;
        if (len > 0 && buf[len - 1] == '.')
            len--;
        buf[len] = '\0';
    }
    return len;
}
