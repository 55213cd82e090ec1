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
 *                 integers, anything else as fpconv_dtoa prints it (its
 *                 Grisu2 digits and layout).
 *
 * The strtod/strtold based functions read the C locale's '.', as Redis does
 * (it never sets LC_NUMERIC).
 */
#include "resp_num.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
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
    if (len - i <= 18) {
        /* 18 digits cannot overflow: skip the per-digit check (the common
         * case: bulk lengths, counts, small values). */
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            u = u * 10 + (unsigned)(s[i] - '0');
        }
    } else {
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            unsigned d = (unsigned)(s[i] - '0');
            if (u > (ULLONG_MAX - d) / 10)
                return false;
            u = u * 10 + d;
        }
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

/* The fast paths before strtod, in one scan of s[0..len); true, *v set
 * to the double strtod reads, or false (left to strtod, *v untouched):
 *  - the infinities as clients write them, without strtod's locale and
 *    case-folding (300 instructions); other spellings take strtod.
 *  - with ints, digits after an optional sign with at most 15 of them
 *    after the leading zeros: that integer exactly ("-0" is -0).
 *    redis-benchmark's zero-padded __rand_int__ is such a number.
 *  - [-]digits[.digits] with 1 to 19 significant digits, at most 27 after
 *    the point: an integer m under 10^19 over 10^k, k <= 27. m and 10^k
 *    (5^27 < 2^64) are exact in x87's long double, whose division rounds
 *    once to 64 bits; rounding that to double's 53 gives the double
 *    nearest the exact value (strtod's) unless the long double lies
 *    exactly halfway between two doubles (its 11 low bits 0x400: the
 *    exact value may be on either side), which goes to strtod. Elsewhere
 *    (no 80-bit long double) only the integers are taken. A score of a
 *    listpack restored cost strtod 900 instructions. */
static bool fast_double(const char *s, size_t len, bool ints, double *v)
{
    const char *p = s, *end = s + len;
    bool neg = len && s[0] == '-', plus = len && s[0] == '+';
    size_t sign = neg || plus;
    if (len == 3 + sign && memcmp(s + sign, "inf", 3) == 0) {
        *v = neg ? -INFINITY : INFINITY;
        return true;
    }
    p += sign;
    if (p == end)
        return false;
    while (p < end && *p == '0') /* leading zeros */
        p++;
    const char *from = p;
    uint64_t m = 0; /* wraps past 19 digits, which are refused */
    for (unsigned d; p < end && (d = (unsigned)(unsigned char)*p - '0') <= 9; p++)
        m = m * 10 + d;
    ptrdiff_t sig = p - from;
    if (ints && p == end && sig <= 15) {
        *v = neg ? -(double)m : (double)m;
        return true;
    }
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
    static const long double pow10[28] = {
        1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
        1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
        1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    ptrdiff_t frac = 0;
    if (p < end && *p == '.') {
        const char *point = ++p;
        if (m == 0)
            while (p < end && *p == '0')
                p++;
        from = p;
        for (unsigned d; p < end && (d = (unsigned)(unsigned char)*p - '0') <= 9; p++)
            m = m * 10 + d;
        sig += p - from;
        frac = p - point;
    }
    if (plus || p != end || sig == 0 || sig > 19 || frac > 27)
        return false;
    long double x = (long double)m / pow10[frac];
    uint64_t mant;
    memcpy(&mant, &x, sizeof mant); /* the 64-bit significand, bytes 0..7 */
    if ((mant & 0x7ff) == 0x400)
        return false;
    *v = neg ? -(double)x : (double)x;
    return true;
#else
    return false;
#endif
}

/* fast_double without its integer path (the contract is in resp_num.h). */
bool resp_decimal_as_double(const char *s, size_t len, double *v)
{
    return fast_double(s, len, false, v);
}

bool resp_fast_double(const char *s, size_t len, double *v)
{
    return fast_double(s, len, true, v);
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
    if (fast_double(s, len, true, v))
        return true;
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

const char resp_digit_pairs[201] = "0001020304050607080910111213141516171819"
                                     "2021222324252627282930313233343536373839"
                                     "4041424344454647484950515253545556575859"
                                     "6061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

/* Number of decimal digits of u. */
static size_t u64_digits(unsigned long long u)
{
    static const unsigned long long pow10[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
        100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
        10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};
    /* u | 1 has u's digits (a power of ten is even) and a bit set; its bit
     * length * log10(2) (1233/4096) is its digits, or one more */
    unsigned long long v = u | 1;
    size_t t = (size_t)((64 - __builtin_clzll(v)) * 1233) >> 12;
    return t + (v >= pow10[t]);
}

/* Writes the digits of v and a NUL into buf (RESP_LL_STR_SIZE bytes are
 * enough); returns the length without the NUL. O(digits). */
size_t resp_ll2str_any(char *buf, long long v)
{
    /* Negating in unsigned arithmetic keeps LLONG_MIN defined. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t len = (v < 0) + u64_digits(u);
    char *p = buf + len;

    *p = '\0';
    while (u >= 100) {
        unsigned i = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = resp_digit_pairs[i + 1];
        *--p = resp_digit_pairs[i];
    }
    if (u >= 10) {
        *--p = resp_digit_pairs[u * 2 + 1];
        *--p = resp_digit_pairs[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        buf[0] = '-';
    return len;
}

/* Length resp_ll2str would return for v. O(digits). */
size_t resp_ll_digits(long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    return (v < 0) + u64_digits(u);
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

/* ---------------------------------------------------------------------------
 * Grisu2 (F. Loitsch, "Printing Floating-Point Numbers Quickly and Accurately
 * with Integers", PLDI 2010), with the parameters of the fpconv_dtoa that
 * Redis 7.2+ replies with, so that the digits are redis-server's: cached
 * powers 10^(-348 + 8i), a scaled binary exponent in [-60, -32], boundaries
 * narrowed by one unit, and the last digit nudged toward the value. The
 * digits always read back as the same double but are not always the
 * shortest nor the closest (5.5364627000000003e-8, 7595.8177519626915),
 * which is why printf cannot stand in for it.
 * ------------------------------------------------------------------------- */

#define D_FRAC_MASK 0x000FFFFFFFFFFFFFULL
#define D_HIDDEN_BIT 0x0010000000000000ULL

/* f * 2^e */
struct diy_fp {
    uint64_t f;
    int e;
};

/* 10^(-348 + 8i) rounded to nearest on 64 bits (top bit set), computed with
 * exact rational arithmetic. */
static const struct diy_fp pow10_cache[] = {
    {18054884314459144840u, -1220}, {13451937075301367670u, -1193},
    {10022474136428063862u, -1166}, {14934650266808366570u, -1140},
    {11127181549972568877u, -1113}, {16580792590934885855u, -1087},
    {12353653155963782858u, -1060}, {18408377700990114895u, -1034},
    {13715310171984221708u, -1007}, {10218702384817765436u, -980},
    {15227053142812498563u, -954}, {11345038669416679861u, -927},
    {16905424996341287883u, -901}, {12595523146049147757u, -874},
    {9384396036005875287u, -847}, {13983839803942852151u, -821},
    {10418772551374772303u, -794}, {15525180923007089351u, -768},
    {11567161174868858868u, -741}, {17236413322193710309u, -715},
    {12842128665889583758u, -688}, {9568131466127621947u, -661},
    {14257626930069360058u, -635}, {10622759856335341974u, -608},
    {15829145694278690180u, -582}, {11793632577567316726u, -555},
    {17573882009934360870u, -529}, {13093562431584567480u, -502},
    {9755464219737475723u, -475}, {14536774485912137811u, -449},
    {10830740992659433045u, -422}, {16139061738043178685u, -396},
    {12024538023802026127u, -369}, {17917957937422433684u, -343},
    {13349918974505688015u, -316}, {9946464728195732843u, -289},
    {14821387422376473014u, -263}, {11042794154864902060u, -236},
    {16455045573212060422u, -210}, {12259964326927110867u, -183},
    {18268770466636286478u, -157}, {13611294676837538539u, -130},
    {10141204801825835212u, -103}, {15111572745182864684u, -77},
    {11258999068426240000u, -50}, {16777216000000000000u, -24},
    {12500000000000000000u, 3}, {9313225746154785156u, 30},
    {13877787807814456755u, 56}, {10339757656912845936u, 83},
    {15407439555097886824u, 109}, {11479437019748901445u, 136},
    {17105694144590052135u, 162}, {12744735289059618216u, 189},
    {9495567745759798747u, 216}, {14149498560666738074u, 242},
    {10542197943230523224u, 269}, {15709099088952724970u, 295},
    {11704190886730495818u, 322}, {17440603504673385349u, 348},
    {12994262207056124023u, 375}, {9681479787123295682u, 402},
    {14426529090290212157u, 428}, {10748601772107342003u, 455},
    {16016664761464807395u, 481}, {11933345169920330789u, 508},
    {17782069995880619868u, 534}, {13248674568444952270u, 561},
    {9871031767461413346u, 588}, {14708983551653345445u, 614},
    {10959046745042015199u, 641}, {16330252207878254650u, 667},
    {12166986024289022870u, 694}, {18130221999122236476u, 720},
    {13508068024458167312u, 747}, {10064294952495520794u, 774},
    {14996968138956309548u, 800}, {11173611982879273257u, 827},
    {16649979327439178909u, 853}, {12405201291620119593u, 880},
    {9242595204427927429u, 907}, {13772540099066387757u, 933},
    {10261342003245940623u, 960}, {15290591125556738113u, 986},
    {11392378155556871081u, 1013}, {16975966327722178521u, 1039},
    {12648080533535911531u, 1066},
};

/* The top 64 bits of the 128-bit product, rounded half up. */
static struct diy_fp diy_mul(struct diy_fp a, struct diy_fp b)
{
    unsigned __int128 p = (unsigned __int128)a.f * b.f;

    p += (unsigned __int128)1 << 63;
    return (struct diy_fp){(uint64_t)(p >> 64), a.e + b.e + 64};
}

/* Moves the last digit toward w while that stays inside the interval and
 * gets closer: rest is what the digits leave below the upper bound, unit
 * the weight of the last digit, w_dist the distance from w to that bound. */
static void round_last_digit(char *digits, int n, uint64_t delta, uint64_t rest, uint64_t unit,
                             uint64_t w_dist)
{
    while (rest < w_dist && delta - rest >= unit &&
           (rest + unit < w_dist || w_dist - rest > rest + unit - w_dist)) {
        digits[n - 1]--;
        rest += unit;
    }
}

/* Digits of the finite, non-zero |d| with *k such that |d| ~ digits * 10^k.
 * Returns the number of digits (at most 17 in practice; digits holds 32). */
static int grisu2(double d, char digits[32], int *k)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));

    struct diy_fp w = {bits & D_FRAC_MASK, (int)((bits >> 52) & 0x7FF)};
    if (w.e != 0) {
        w.f += D_HIDDEN_BIT;
        w.e -= 1075;
    } else {
        w.e = -1074;
    }

    /* The rounding interval of d: half an ulp on each side, but only a
     * quarter below a power of two. Both ends share hi's exponent once hi
     * is normalized to a 64-bit mantissa. */
    struct diy_fp hi = {(w.f << 1) + 1, w.e - 1};
    while ((hi.f & (D_HIDDEN_BIT << 1)) == 0) {
        hi.f <<= 1;
        hi.e--;
    }
    hi.f <<= 10;
    hi.e -= 10;
    int lo_shift = w.f == D_HIDDEN_BIT ? 2 : 1;
    struct diy_fp lo = {(w.f << lo_shift) - 1, w.e - lo_shift};
    lo.f <<= lo.e - hi.e;
    lo.e = hi.e;
    while ((w.f & D_HIDDEN_BIT) == 0) {
        w.f <<= 1;
        w.e--;
    }
    w.f <<= 11;
    w.e -= 11;

    /* Pick 10^-k bringing the exponent into [-60, -32], starting from an
     * estimate and stepping, as fpconv does (where two fit, the first one
     * reached wins, which the digits depend on). */
    int approx = (int)(-(hi.e + 87) * 0.30102999566398114);
    int idx = (approx + 348) / 8;
    for (;;) {
        int e = hi.e + pow10_cache[idx].e + 64;
        if (e < -60)
            idx++;
        else if (e > -32)
            idx--;
        else
            break;
    }
    *k = -(-348 + 8 * idx);
    w = diy_mul(w, pow10_cache[idx]);
    hi = diy_mul(hi, pow10_cache[idx]);
    lo = diy_mul(lo, pow10_cache[idx]);
    /* The products may be off by one unit: keep only the safe interval. */
    lo.f++;
    hi.f--;

    /* Digits of hi until what is left falls inside the interval. */
    uint64_t w_dist = hi.f - w.f;
    uint64_t delta = hi.f - lo.f;
    int shift = -hi.e;
    uint64_t one = (uint64_t)1 << shift;
    uint64_t p1 = hi.f >> shift; /* < 2^32 since shift >= 32 */
    uint64_t p2 = hi.f & (one - 1);
    int n = 0;
    int kappa = 10;
    for (uint64_t div = 1000000000; kappa > 0; div /= 10) {
        unsigned digit = (unsigned)(p1 / div);
        if (digit != 0 || n != 0)
            digits[n++] = (char)('0' + digit);
        p1 %= div;
        kappa--;
        uint64_t rest = (p1 << shift) + p2;
        if (rest <= delta) {
            *k += kappa;
            round_last_digit(digits, n, delta, rest, div << shift, w_dist);
            return n;
        }
    }
    for (uint64_t unit = 10;; unit *= 10) {
        p2 *= 10;
        delta *= 10;
        kappa--;
        unsigned digit = (unsigned)(p2 >> shift);
        if (digit != 0 || n != 0)
            digits[n++] = (char)('0' + digit);
        p2 &= one - 1;
        if (p2 < delta) {
            *k += kappa;
            round_last_digit(digits, n, delta, p2, one, w_dist * unit);
            return n;
        }
    }
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

/* Formats v as Redis's fpconv_dtoa does into out, without a NUL; returns
 * the length (under RESP_D_STR_SIZE): "nan", "inf", "-inf", "0", "-0",
 * else Grisu2's digits in emit_digits's layout. */
size_t resp_dtoa(char out[RESP_D_STR_SIZE], double v)
{
    if (isnan(v)) {
        memcpy(out, "nan", 3);
        return 3;
    }
    size_t len = 0;
    if (signbit(v))
        out[len++] = '-';
    if (isinf(v) || v == 0) {
        memcpy(out + len, v == 0 ? "0" : "inf", v == 0 ? 1 : 3);
        return len + (v == 0 ? 1 : 3);
    }
    char digits[32];
    int k;
    int n = grisu2(v, digits, &k);
    return len + emit_digits(out + len, digits, n, k);
}

/* resp_d2chars with a NUL into buf[0..size); returns the length, or 0 (and
 * an empty string when size > 0) if it does not fit, which
 * RESP_D_STR_SIZE bytes always do. */
size_t resp_d2str(char *buf, size_t size, double v)
{
    char tmp[RESP_D_STR_SIZE];
    size_t len = resp_d2chars(tmp, v);

    if (len + 1 > size) {
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return len;
}
