/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lua's conversions between numbers and strings, fast for integers, in
 * respite-server only.
 *
 * Lua 5.1 turns a number into a string (`'f' .. i`, tostring, a number
 * passed where a string is wanted, string.format("%.14g")) with
 * sprintf(buf, "%.14g", n), and a string into a number (tonumber, a string
 * in arithmetic or a comparison with a number) with strtod. Debian's
 * liblua5.1 is built with _FORTIFY_SOURCE, so the first is glibc's
 * __sprintf_chk. glibc takes both through its multi-precision code: a
 * script doing redis.call('HGET', k, 'f' .. i) ten times spent a fifth of
 * its server CPU in the first; a rate limiter's tonumber(ARGV[2]) cost 7%
 * of its call in the second. This program defines both functions, and the
 * dynamic linker binds liblua's calls (and any other library's, and
 * respite's own) to them rather than to glibc's. Each handles the integers
 * whose conversion is exact in a few instructions and passes every other
 * call to glibc unchanged. Like jemalloc, a choice for the whole process:
 * librespite, which embedders link, does not carry it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "resp_num.h"

/* glibc's fortified sprintf, declared by <stdio.h> only under
 * _FORTIFY_SOURCE. */
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);
int __vsprintf_chk(char *s, int flag, size_t slen, const char *fmt, va_list ap);

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (strcmp(fmt, "%.14g") == 0 && slen >= RESP_LL_STR_SIZE) {
        va_list num;
        va_copy(num, ap);
        double d = va_arg(num, double);
        va_end(num);
        /* -0 prints as "-0"; 1e14 and past need an exponent. */
        if (d > -1e14 && d < 1e14 && d == (double)(long long)d && !(d == 0 && signbit(d))) {
            va_end(ap);
            return (int)resp_ll2str(s, (long long)d);
        }
    }
    int n = __vsprintf_chk(s, flag, slen, fmt, ap);
    va_end(ap);
    return n;
}

/* glibc's strtod in all but name (strtod calls it with group 0); exported
 * for exactly this use. */
double __strtod_internal(const char *nptr, char **endptr, int group);

/* An optional sign and at most 15 decimal digits, followed by anything
 * that cannot continue a number (no digit, '.', exponent, or the 'x' of
 * "0x"): a value below 2^53, so the double is exact and is what glibc
 * returns, with no errno. Everything else (leading spaces, fractions,
 * exponents, hex, inf, nan, longer numbers, no digits) goes to glibc. The
 * server never calls setlocale, so the radix character is '.'. */
double strtod(const char *nptr, char **endptr)
{
    const char *p = nptr;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    const char *digits = p;
    long long v = 0;
    while (*p >= '0' && *p <= '9' && p - digits < 16)
        v = v * 10 + (*p++ - '0');
    size_t n = (size_t)(p - digits);
    if (n == 0 || n > 15 || *p == '.' || *p == 'e' || *p == 'E' || *p == 'x' || *p == 'X')
        return __strtod_internal(nptr, endptr, 0);
    if (endptr)
        *endptr = (char *)p;
    return neg ? -(double)v : (double)v;
}
