/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lua's number-to-string conversion, fast for integers, in respite-server
 * only.
 *
 * Lua 5.1 turns a number into a string (`'f' .. i`, tostring, a number
 * passed where a string is wanted, string.format("%.14g")) with
 * sprintf(buf, "%.14g", n); Debian's liblua5.1 is built with
 * _FORTIFY_SOURCE, so it calls glibc's __sprintf_chk. glibc formats every
 * double through its multi-precision code: a script doing
 * redis.call('HGET', k, 'f' .. i) ten times spent a fifth of its server CPU
 * there. This program defines __sprintf_chk, and the dynamic linker binds
 * liblua's calls (and any other library's) to it rather than to glibc's.
 * For "%.14g" and an integral value of at most 14 digits, whose output is
 * exactly its decimal digits, it writes them itself; every other call goes
 * to glibc's __vsprintf_chk unchanged. Like jemalloc, a choice for the
 * whole process: librespite, which embedders link, does not carry it.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
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
