/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Text <-> number conversions with Redis's exact rules, so that every reply
 * and every "value is not an integer or out of range" decision matches
 * redis-server byte for byte:
 *
 *   resp_str2ll   util.c string2ll: canonical decimal int64 only.
 *   resp_str2ld   util.c string2ld: strtold on a bounded copy (INCRBYFLOAT).
 *   resp_str2d    util.c string2d, what getDoubleFromObject calls (ZADD...).
 *   resp_ld2str   util.c ld2string(LD_STR_HUMAN): "%.17Lf", zeros trimmed.
 *   resp_d2str    util.c d2string of Redis 7.2+: integers printed as
 *                 integers, anything else as fpconv_dtoa lays out the
 *                 shortest round-trip digits.
 *
 * The strtod/strtold based functions read the C locale's '.', as Redis does
 * (it never sets LC_NUMERIC).
 */
#include "resp_num.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Text to number
 * ------------------------------------------------------------------------- */

/* Accepts "0", or an optional '-' then a digit 1-9 then digits, within the
 * int64 range (LLONG_MIN included). *v is untouched on failure. O(len). */
bool resp_str2ll(const char *s, size_t len, long long *v)
{
    /* Longer than "-9223372036854775808" cannot be canonical. */
    if (len == 0 || len >= RESP_LL_STR_SIZE)
        return false;
    if (len == 1 && s[0] == '0') {
        *v = 0;
        return true;
    }

    size_t i = 0;
    bool is_neg = s[0] == '-';
    if (is_neg && ++i == len)
        return false;
    if (s[i] < '1' || s[i] > '9')
        return false;

    unsigned long long u = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (u > (ULLONG_MAX - d) / 10)
            return false;
        u = u * 10 + d;
    }

    if (is_neg) {
        if (u > (unsigned long long)LLONG_MAX + 1)
            return false;
        /* -(LLONG_MAX + 1) does not fit before the negation, so negate
         * the unsigned value and convert: two's complement, as Redis. */
        *v = u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)u;
    } else {
        if (u > LLONG_MAX)
            return false;
        *v = (long long)u;
    }
    return true;
}

/* Accepts what strtold reads entirely, except: empty, RESP_LD_STR_SIZE bytes
 * or more, leading white space, NaN, overflow to +-inf, and underflow to
 * zero. "inf", hex floats and denormals are accepted, as in Redis. *v is
 * untouched on failure. O(len). */
bool resp_str2ld(const char *s, size_t len, long double *v)
{
    char buf[RESP_LD_STR_SIZE];

    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';

    char *end;
    errno = 0;
    long double x = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (x == HUGE_VALL || x == -HUGE_VALL || fpclassify(x) == FP_ZERO)) ||
        errno == EINVAL || isnan(x))
        return false;
    *v = x;
    return true;
}

/* Accepts what strtod reads entirely, except: empty, leading white space,
 * NaN, overflow to +-inf and underflow to zero ("inf", "-inf", hex floats
 * and denormals pass). Redis runs strtod on the NUL-terminated sds, so a
 * NUL inside s makes it fail. s needs a terminated copy: on the stack up to
 * RESP_LD_STR_SIZE bytes, else a temporary heap copy (Redis puts no bound
 * on the length; abort on OOM). *v is untouched on failure. O(len). */
bool resp_str2d(const char *s, size_t len, double *v)
{
    char stack[RESP_LD_STR_SIZE];
    char *buf = stack;

    if (len == 0)
        return false;
    if (len >= sizeof(stack)) {
        buf = malloc(len + 1);
        if (buf == NULL)
            abort();
    }
    memcpy(buf, s, len);
    buf[len] = '\0';

    char *end;
    errno = 0;
    double x = strtod(buf, &end);
    bool is_ok = !isspace((unsigned char)buf[0]) && (size_t)(end - buf) == len &&
                 !(errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL || x == 0)) && !isnan(x);
    if (buf != stack)
        free(buf);
    if (is_ok)
        *v = x;
    return is_ok;
}

/* ---------------------------------------------------------------------------
 * Number to text
 * ------------------------------------------------------------------------- */

/* Writes the digits of v and a NUL into buf (RESP_LL_STR_SIZE bytes are
 * enough); returns the length without the NUL. O(digits). */
size_t resp_ll2str(char *buf, long long v)
{
    char tmp[RESP_LL_STR_SIZE];
    /* Negating in unsigned arithmetic keeps LLONG_MIN defined. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* Length resp_ll2str would return for v. O(digits). */
size_t resp_ll_digits(long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = v < 0 ? 2 : 1;

    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

/* Formats v into buf[0..size) with a NUL; returns the length, or 0 (and an
 * empty string when size > 0) if it does not fit. "%.17Lf" of the largest
 * long double is under RESP_LD_STR_SIZE bytes. "nan" for NaN, as Redis. */
size_t resp_ld2str(char *buf, size_t size, long double v)
{
    size_t len;

    /* Spelled out because libcs disagree on how to print them. */
    if (isinf(v)) {
        if (size < 5)
            goto no_room;
        len = v > 0 ? 3 : 4;
        memcpy(buf, v > 0 ? "inf" : "-inf", len);
    } else if (isnan(v)) {
        if (size < 4)
            goto no_room;
        len = 3;
        memcpy(buf, "nan", len);
    } else {
        int n = snprintf(buf, size, "%.17Lf", v);
        if (n < 0 || (size_t)n + 1 > size)
            goto no_room;
        len = (size_t)n;
        /* "%Lf" always prints a '.' here (precision 17), so trimming zeros
         * stops at it at the latest. */
        while (buf[len - 1] == '0')
            len--;
        if (buf[len - 1] == '.')
            len--;
        /* -0.0 and tiny negatives would read "-0". */
        if (len == 2 && buf[0] == '-' && buf[1] == '0') {
            buf[0] = '0';
            len = 1;
        }
    }
    buf[len] = '\0';
    return len;

no_room:
    if (size > 0)
        buf[0] = '\0';
    return 0;
}

/* Redis's double2ll: integral doubles within +-LLONG_MAX/2 convert exactly. */
static bool d2ll(double d, long long *out)
{
    if (d < (double)(-LLONG_MAX / 2) || d > (double)(LLONG_MAX / 2))
        return false;
    long long ll = (long long)d;
    if ((double)ll != d)
        return false;
    *out = ll;
    return true;
}

/* The fewest significant digits (at most 17, no trailing zero) that read
 * back as d, and the decimal exponent of the first one: d ~ 0.D * 10^(e+1).
 * Correctly rounded "%.*e" output is tried from 1 digit up, so the digits
 * are the closest of the shortest; d is finite and non-zero. */
static int shortest_digits(double d, char digits[18], int *exp10)
{
    char tmp[40];

    for (int prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
        if (prec == 16 || strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is "[-]D[.DDD]e[+-]X": pick the digits, then the exponent. */
    const char *p = tmp + (tmp[0] == '-');
    int n = 0;
    for (; *p != 'e'; p++) {
        if (*p != '.')
            digits[n++] = *p;
    }
    *exp10 = atoi(p + 1);
    return n;
}

/* Lays out n digits times 10^k (k is the exponent of the last digit) with
 * fpconv_dtoa's emit_digits rules, which Redis 7.2+ replies use: plain
 * integers while the exponent stays under n + 7, plain decimals for
 * k > -7 or when the leading digit's exponent is under 4 in magnitude,
 * otherwise "D.DDDe+X" with an unpadded exponent. Returns the length. */
static size_t emit_digits(char *out, const char *digits, int n, int k)
{
    int e = k + n - 1;
    int abs_e = e < 0 ? -e : e;
    size_t len = 0;

    if (k >= 0 && abs_e < n + 7) {
        memcpy(out, digits, (size_t)n);
        memset(out + n, '0', (size_t)k);
        return (size_t)(n + k);
    }
    if (k < 0 && (k > -7 || abs_e < 4)) {
        int nint = n + k; /* digits before the point */
        if (nint <= 0) {
            out[len++] = '0';
            out[len++] = '.';
            memset(out + len, '0', (size_t)-nint);
            len += (size_t)-nint;
            memcpy(out + len, digits, (size_t)n);
            return len + (size_t)n;
        }
        memcpy(out, digits, (size_t)nint);
        out[nint] = '.';
        memcpy(out + nint + 1, digits + nint, (size_t)(n - nint));
        return (size_t)n + 1;
    }
    out[len++] = digits[0];
    if (n > 1) {
        out[len++] = '.';
        memcpy(out + len, digits + 1, (size_t)n - 1);
        len += (size_t)n - 1;
    }
    out[len++] = 'e';
    out[len++] = e < 0 ? '-' : '+';
    return len + (size_t)snprintf(out + len, 8, "%d", abs_e);
}

/* Formats v as Redis 7.2+ d2string does and writes it with a NUL into
 * buf[0..size); returns the length, or 0 (and an empty string when
 * size > 0) if it does not fit, which RESP_D_STR_SIZE bytes always do.
 * "nan", "inf", "-inf", "0", "-0", integers within +-LLONG_MAX/2 in full,
 * else the shortest round-trip digits laid out like fpconv_dtoa. */
size_t resp_d2str(char *buf, size_t size, double v)
{
    char tmp[RESP_D_STR_SIZE];
    size_t len;
    long long ll;

    if (isnan(v)) {
        len = 3;
        memcpy(tmp, "nan", len);
    } else if (isinf(v)) {
        len = v > 0 ? 3 : 4;
        memcpy(tmp, v > 0 ? "inf" : "-inf", len);
    } else if (v == 0) {
        len = signbit(v) ? 2 : 1;
        memcpy(tmp, signbit(v) ? "-0" : "0", len);
    } else if (d2ll(v, &ll)) {
        len = resp_ll2str(tmp, ll);
    } else {
        char digits[18];
        int e;
        int n = shortest_digits(v, digits, &e);
        len = 0;
        if (v < 0)
            tmp[len++] = '-';
        len += emit_digits(tmp + len, digits, n, e - (n - 1));
    }

    if (len + 1 > size) {
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return len;
}
