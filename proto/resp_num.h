/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Strict conversions between text and numbers, with Redis's exact rules
 * (util.c string2ll, string2ld, ld2string, ll2string): no leading spaces or
 * '+', no leading zeros, no trailing bytes, full int64 range, NaN refused.
 * Pure functions. Only resp_str2d allocates: a temporary copy of an argument
 * of RESP_LD_STR_SIZE bytes or more, as Redis puts no bound on its length.
 */
#ifndef RESP_NUM_H
#define RESP_NUM_H

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Buffer size that holds any formatted long long (with sign and NUL). */
#define RESP_LL_STR_SIZE 21
/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define RESP_LD_STR_SIZE (5 * 1024)
/* Enough for any double formatted by resp_d2str. */
#define RESP_D_STR_SIZE 32

/* Redis string2ll: true and *v set when s[0..len) is a canonical int64
 * ("-0", "01", " 1", "+1", "" are refused). */
bool resp_str2ll(const char *s, size_t len, long long *v);
/* resp_str2ll with the strings that cannot be an int64 by their length or
 * first byte ruled out inline, before the call: for text that is seldom a
 * number (list, stream and listpack elements). */
static inline bool resp_str2ll_maybe(const char *s, size_t len, long long *v)
{
    return len > 0 && len <= 20 && (s[0] == '-' || (unsigned char)(s[0] - '0') <= 9) &&
           resp_str2ll(s, len, v);
}
/* Redis string2ld (INCRBYFLOAT's argument and value). */
bool resp_str2ld(const char *s, size_t len, long double *v);
/* True, *v set to the double strtod reads from s[0..len), when that can
 * be had without strtod: the infinities as clients write them ("inf",
 * "+inf", "-inf"), integers of up to 15 significant digits after an
 * optional sign ("-0" and zero-padded ones included), and what
 * resp_decimal_as_double takes. False leaves the text to strtod, *v
 * untouched (a score range bound's fast path; resp_str2d's too). */
bool resp_fast_double(const char *s, size_t len, double *v);
/* True, *v set, when s[0..len) is [-]digits[.digits] (".5" and "5."
 * too) with 1 to 19 significant digits, at most 27 after the point, not
 * zero, or an infinity as resp_fast_double takes it, and its double can
 * be had exactly without strtod: then *v is
 * strtod's double (the correctly rounded one). False leaves the text to
 * strtod, *v untouched. O(len), no allocation. */
bool resp_decimal_as_double(const char *s, size_t len, double *v);
/* Redis getDoubleFromObject rules (strtod, no leading space, no NaN, whole
 * string; "inf" and "-inf" accepted). */
bool resp_str2d(const char *s, size_t len, double *v);

/* "00" "01" ... "99": two digits a step, as Redis's ull2string. */
extern const char resp_digit_pairs[201];
/* resp_ll2str's general case. */
size_t resp_ll2str_any(char *buf, long long v);
/* Decimal form of v, NUL-terminated; returns its length. buf holds at least
 * RESP_LL_STR_SIZE bytes. Inline for 0 to 99 (lengths, counts, small
 * scores: most of the numbers a reply holds). */
static inline size_t resp_ll2str(char *buf, long long v)
{
    if ((unsigned long long)v < 10) {
        buf[0] = (char)('0' + v);
        buf[1] = '\0';
        return 1;
    }
    if ((unsigned long long)v < 100) {
        memcpy(buf, resp_digit_pairs + 2 * v, 2);
        buf[2] = '\0';
        return 2;
    }
    return resp_ll2str_any(buf, v);
}
/* Number of decimal characters of v (with '-'), without formatting it. */
size_t resp_ll_digits(long long v);
/* Redis ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros and a
 * trailing point removed, "-0" written "0", "inf"/"-inf". buf holds at
 * least RESP_LD_STR_SIZE bytes. Returns the length, 0 if it does not fit. */
size_t resp_ld2str(char *buf, size_t size, long double v);
/* Redis's fpconv_dtoa (DEBUG DIGEST's scores): as resp_d2chars but
 * integral values too in Grisu2's layout ("1e+17" where d2string writes
 * 100000000000000000). Written without a NUL; returns the length, always
 * under RESP_D_STR_SIZE. */
size_t resp_dtoa(char out[RESP_D_STR_SIZE], double v);
/* Redis's double2ll as d2string takes it: true, *ll set, when v is
 * integral within +-LLONG_MAX/2 (so converts exactly) and not -0, whose
 * sign d2string spells. NaN fails the range test before the cast. */
static inline bool resp_d2ll(double v, long long *ll)
{
    if (!(v >= (double)(-LLONG_MAX / 2) && v <= (double)(LLONG_MAX / 2)))
        return false;
    *ll = (long long)v;
    return (double)*ll == v && (*ll != 0 || !signbit(v));
}
/* Redis 7.2+ d2string: "nan", "inf", "-inf", "0", "-0", integral values
 * within +-LLONG_MAX/2 in full, else fpconv_dtoa's Grisu2 text ("1.5",
 * "1e+20", "1e-7"), which reads back as the same double. Written to out
 * (with a NUL after an integer, none after Grisu2's text); returns the
 * length, always under RESP_D_STR_SIZE. Inline: a sorted set's reply
 * formats a score a member, mostly integers (times, counts). */
static inline size_t resp_d2chars(char out[RESP_D_STR_SIZE], double v)
{
    long long ll;
    if (resp_d2ll(v, &ll))
        return resp_ll2str(out, ll);
    return resp_dtoa(out, v);
}
/* resp_d2chars with a NUL into buf[0..size). Returns the length, 0 if it
 * does not fit (RESP_D_STR_SIZE always does). */
size_t resp_d2str(char *buf, size_t size, double v);

#endif
