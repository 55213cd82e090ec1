/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of resp_num.c against tables of Redis's own answers: what string2ll,
 * string2ld and string2d accept or refuse, and the exact text ld2string
 * (LD_STR_HUMAN) and d2string (Redis 7.2+, fpconv_dtoa) print.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_num.h"

TestSuite(resp_num);

/* ---------------------------------------------------------------------------
 * resp_str2ll
 * ------------------------------------------------------------------------- */

Test(resp_num, str2ll_accepts_canonical_integers_over_the_whole_int64_range)
{
    static const struct {
        const char *s;
        long long v;
    } ok[] = {
        {"0", 0},
        {"1", 1},
        {"-1", -1},
        {"99", 99},
        {"-99", -99},
        {"1234567890", 1234567890},
        {"9223372036854775807", LLONG_MAX},
        {"-9223372036854775808", LLONG_MIN},
        {"9223372036854775806", LLONG_MAX - 1},
        {"-9223372036854775807", LLONG_MIN + 1},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long long v = 42;
        cr_assert(resp_str2ll(ok[i].s, strlen(ok[i].s), &v), "refused \"%s\"", ok[i].s);
        cr_assert_eq(v, ok[i].v, "\"%s\" read as %lld", ok[i].s, v);
    }
}

Test(resp_num, str2ll_refuses_non_canonical_forms_and_overflow_by_one)
{
    static const char *const bad[] = {
        "",
        "-",
        "+1",
        "-0",
        "01",
        "-01",
        "00",
        " 1",
        "1 ",
        "1a",
        "a1",
        "1.0",
        "1e3",
        "0x10",
        "--1",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "-99999999999999999999",
        "123456789012345678901",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = 42;
        cr_assert_not(resp_str2ll(bad[i], strlen(bad[i]), &v), "accepted \"%s\"", bad[i]);
        cr_assert_eq(v, 42, "\"%s\" changed the output", bad[i]);
    }
}

Test(resp_num, str2ll_reads_only_len_bytes_and_refuses_an_embedded_nul)
{
    long long v = 0;

    cr_assert(resp_str2ll("12345", 3, &v));
    cr_assert_eq(v, 123);
    cr_assert_not(resp_str2ll("1\0" "2", 3, &v));
}

Test(resp_num, ll2str_and_ll_digits_agree_with_printf)
{
    static const long long vals[] = {
        0, 1, -1, 9, 10, -10, 99, 100, 123456789, -98765,
        LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, 1000000000000000000LL,
    };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char want[32], got[RESP_LL_STR_SIZE];
        int n = snprintf(want, sizeof(want), "%lld", vals[i]);
        cr_assert_eq(resp_ll2str(got, vals[i]), (size_t)n);
        cr_assert_str_eq(got, want);
        cr_assert_eq(resp_ll_digits(vals[i]), (size_t)n, "digits of %lld", vals[i]);
    }
}

/* ---------------------------------------------------------------------------
 * resp_str2ld (INCRBYFLOAT)
 * ------------------------------------------------------------------------- */

Test(resp_num, str2ld_accepts_what_strtold_reads_whole)
{
    static const struct {
        const char *s;
        long double v;
    } ok[] = {
        {"0", 0.0L},
        {"1", 1.0L},
        {"-1.5", -1.5L},
        {"10.5", 10.5L},
        {".5", 0.5L},
        {"5.", 5.0L},
        {"+3", 3.0L},
        {"1e3", 1000.0L},
        {"1E-2", 0.01L},
        {"0x10", 16.0L},
        {"007", 7.0L},
        {"-0", -0.0L},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        long double v = 42;
        cr_assert(resp_str2ld(ok[i].s, strlen(ok[i].s), &v), "refused \"%s\"", ok[i].s);
        cr_assert(v == ok[i].v, "\"%s\" misread", ok[i].s);
    }
}

Test(resp_num, str2ld_accepts_inf_and_denormals_like_redis)
{
    long double v = 0;

    cr_assert(resp_str2ld("inf", 3, &v));
    cr_assert(isinf(v) && v > 0);
    cr_assert(resp_str2ld("-inf", 4, &v));
    cr_assert(isinf(v) && v < 0);
    /* Below LDBL_MIN but not zero: ERANGE alone does not refuse it. */
    cr_assert(resp_str2ld("1e-4940", 7, &v));
    cr_assert(v > 0);
}

Test(resp_num, str2ld_refuses_space_trailing_bytes_nan_and_out_of_range)
{
    static const char *const bad[] = {
        "", " 1", "\t1", "\n1", "1 ", "1x", "abc", "nan", "-nan", "NaN",
        "1e5000", "-1e5000", "1e-5000", "-", ".", "e1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long double v = 42;
        cr_assert_not(resp_str2ld(bad[i], strlen(bad[i]), &v), "accepted \"%s\"", bad[i]);
        cr_assert(v == 42);
    }
    long double v = 42;
    cr_assert_not(resp_str2ld("1\0" "5", 3, &v));
}

Test(resp_num, str2ld_refuses_inputs_of_ld_str_size_bytes_or_more)
{
    char *s = malloc(RESP_LD_STR_SIZE);
    long double v;

    memset(s, '0', RESP_LD_STR_SIZE);
    s[0] = '1';
    s[1] = '.';
    cr_assert(resp_str2ld(s, RESP_LD_STR_SIZE - 1, &v));
    cr_assert(v == 1.0L);
    cr_assert_not(resp_str2ld(s, RESP_LD_STR_SIZE, &v));
    free(s);
}

/* ---------------------------------------------------------------------------
 * resp_str2d (getDoubleFromObject)
 * ------------------------------------------------------------------------- */

Test(resp_num, str2d_accepts_strtod_numbers_inf_and_denormals)
{
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"0", 0.0},       {"1.5", 1.5},   {"-2.25", -2.25}, {"+1", 1.0},
        {"1e10", 1e10},   {".5", 0.5},    {"0x1p3", 8.0},   {"007", 7.0},
        {"inf", INFINITY}, {"-inf", -INFINITY}, {"+inf", INFINITY}, {"Infinity", INFINITY},
        {"4.9e-324", 4.9e-324},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        double v = 42;
        cr_assert(resp_str2d(ok[i].s, strlen(ok[i].s), &v), "refused \"%s\"", ok[i].s);
        cr_assert(v == ok[i].v, "\"%s\" read as %g", ok[i].s, v);
    }
}

Test(resp_num, str2d_refuses_empty_space_trailing_bytes_nan_and_range_errors)
{
    static const char *const bad[] = {
        "", " 1", "\t1", "1 ", "1x", "nan", "NAN", "-nan", "1e400", "-1e400", "1e-400",
        "x", "--1", "1e", "-", "+", "+-1", "-+1", "0x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = 42;
        cr_assert_not(resp_str2d(bad[i], strlen(bad[i]), &v), "accepted \"%s\"", bad[i]);
        cr_assert(v == 42);
    }
    double v = 42;
    cr_assert_not(resp_str2d("1\0" "5", 3, &v));
}

/* Integers of up to 15 digits after their leading zeros take a path of
 * their own: every one gives strtod's double, the sign of "-0" included,
 * zero-padded (redis-benchmark's __rand_int__) or signed, and past 15. */
Test(resp_num, str2d_of_integers_is_strtod_s_double)
{
    static const char *const ints[] = {
        "0", "-0", "1", "-1", "42", "1700000000000", "-1700000000000", "999999999999999",
        "-99999999999999", "9007199254740993", "-9007199254740993", "123456789012345678",
        "9223372036854775807", "-9223372036854775808", "00", "-007", "000000012345",
        "-000", "+0", "+0012", "00000000000000000000999999999999999", "0001234567890123456",
        "-00000000000000000009007199254740993",
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        double v = 42, want = strtod(ints[i], NULL);
        cr_assert(resp_str2d(ints[i], strlen(ints[i]), &v), "refused \"%s\"", ints[i]);
        cr_assert(v == want && signbit(v) == signbit(want), "\"%s\" read as %.17g", ints[i], v);
    }
}

/* strtod's double, bit for bit (the sign of a zero too), for text strtod
 * reads whole */
static void str2d_agrees(const char *text)
{
    double v = 42, want = strtod(text, NULL);
    cr_assert(resp_str2d(text, strlen(text), &v), "refused \"%s\"", text);
    cr_assert(memcmp(&v, &want, sizeof v) == 0, "\"%s\" read as %.17g, strtod %.17g", text, v,
              want);
}

/* One scan serves the integers' path and the decimals' (a sign, leading
 * zeros, then digits, maybe a point): whatever it meets, a sign, zeros,
 * a point, an exponent or a long run of digits, the double is strtod's,
 * and what strtod does not read whole is refused. */
Test(resp_num, str2d_is_strtod_s_double_past_signs_zeros_points_and_exponents)
{
    static const char *const ok[] = {
        "-0", "+0", "-0.0", "+0.0", "0.000", "-.0", "+.5", "-.5", "00.5", "-00012.50",
        "+0012.5", "1.", "-1.", "+1.", "1e5", "+1e5", "-0e0", "1E-5", "0.5e1", "007e2",
        "123456789012345", "+123456789012345", "1234567890123456", "-1234567890123456789",
        "12345678901234567890", "12345678901234567890123", "0.1234567890123456789",
        "0.12345678901234567890", "1234567890.1234567890123456789",
        "0.0000000000000000000000000001",
        "000000000000000000000000000000001.5", "-000000000000000000000000.00000000000000000000001",
        "9007199254740993", "9007199254740993.0", "+9007199254740993", "0.30000000000000004",
        "1.7976931348623157e308", "-00000000000000000000000000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        str2d_agrees(ok[i]);
    static const char *const bad[] = {".", "-.", "+.", "1.2.3", "1e+", "+-0", "0.-1", "--0",
                                      "00.5.", "-0x", "1.5 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = 42;
        cr_assert_not(resp_str2d(bad[i], strlen(bad[i]), &v), "accepted \"%s\"", bad[i]);
        cr_assert(v == 42);
    }
    /* random ones: a sign or none, leading zeros, up to 30 digits with a
     * point anywhere or none, sometimes an exponent */
    static const char *const signs[] = {"", "-", "+"};
    char buf[96];
    srand(5);
    for (int i = 0; i < 100000; i++) {
        int k = snprintf(buf, sizeof buf, "%s", signs[rand() % 3]);
        int zeros = rand() % 4 ? 0 : rand() % 25, n = 1 + rand() % 30;
        int at = rand() % 3 ? -1 : rand() % (n + 1);
        for (int j = 0; j < zeros; j++)
            buf[k++] = '0';
        for (int j = 0; j < n; j++) {
            if (j == at)
                buf[k++] = '.';
            buf[k++] = (char)('0' + rand() % 10);
        }
        if (at == n)
            buf[k++] = '.';
        buf[k] = '\0';
        if (rand() % 10 == 0)
            snprintf(buf + k, sizeof buf - (size_t)k, "e%d", rand() % 40 - 20);
        str2d_agrees(buf);
    }
}

/* strtod's double, bit for bit, or false (left to strtod) */
static void decimal_agrees(const char *text)
{
    double v, want = strtod(text, NULL);
    if (resp_decimal_as_double(text, strlen(text), &v))
        cr_assert(memcmp(&v, &want, sizeof v) == 0, "\"%s\" read as %.17g, strtod %.17g", text,
                  v, want);
}

Test(resp_num, decimal_as_double_is_strtod_s_double)
{
    static const char *const fixed[] = {
        "0.1", "-0.1", ".5", "5.", "0.14285714285714285", "1.7976931348623157", "123.456",
        "9999999999999999999", "0.000000000000000000000000001", "-1234567890.123456789",
        "2.2250738585072014", "0.30000000000000004", "1e5", "1.5x", "", "-", ".", "1..2",
        "+1.5", " 1.5", "0.0", "-0.0", "10000000000000000000", "0.0000000000000000000000000001",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        decimal_agrees(fixed[i]);
    double v;
    cr_assert(resp_decimal_as_double("0.14285714285714285", 19, &v) || LDBL_MANT_DIG != 64);
    cr_assert(!resp_decimal_as_double("-0.0", 4, &v) && !resp_decimal_as_double("1e5", 3, &v));
    /* %.17g of i/7 and the like (what Redis writes of scores), and random digit strings
     * of 1 to 19 significant digits with the point anywhere */
    char buf[64];
    for (int i = 1; i < 20000; i++) {
        snprintf(buf, sizeof buf, "%.17g", i / 7.0);
        decimal_agrees(buf);
        snprintf(buf, sizeof buf, "%.17g", -i / 1000.0 - 1e-9 * i);
        decimal_agrees(buf);
    }
    srand(11);
    for (int i = 0; i < 200000; i++) {
        int n = 1 + rand() % 19, at = rand() % (n + 9);
        size_t k = 0;
        if (rand() % 2)
            buf[k++] = '-';
        for (int j = 0; j < at - n; j++) /* zeros after the point first */
            buf[k++] = j == 0 ? '.' : '0';
        for (int j = 0; j < n; j++) {
            if (j == n - at && at <= n)
                buf[k++] = '.';
            buf[k++] = (char)('0' + (j == 0 ? 1 + rand() % 9 : rand() % 10));
        }
        buf[k] = '\0';
        decimal_agrees(buf);
    }
}

Test(resp_num, str2d_reads_only_len_bytes_of_an_unterminated_slice)
{
    double v = 0;

    cr_assert(resp_str2d("2.5xyz", 3, &v));
    cr_assert(v == 2.5);
}

Test(resp_num, str2d_has_no_length_limit_like_redis)
{
    size_t len = 3 * RESP_LD_STR_SIZE;
    char *s = malloc(len);
    double v = 0;

    memset(s, '0', len);
    s[0] = '2';
    s[1] = '.';
    cr_assert(resp_str2d(s, len, &v));
    cr_assert(v == 2.0);
    s[len - 1] = 'x';
    cr_assert_not(resp_str2d(s, len, &v));
    free(s);
}

/* ---------------------------------------------------------------------------
 * resp_ld2str (INCRBYFLOAT's reply)
 * ------------------------------------------------------------------------- */

Test(resp_num, ld2str_prints_17_decimals_with_trailing_zeros_and_point_removed)
{
    static const struct {
        long double v;
        const char *s;
    } cases[] = {
        {10.5L + 0.1L, "10.6"},
        {1.0e17L, "100000000000000000"},
        {3.0L, "3"},
        {-0.0L, "0"},
        {0.0L, "0"},
        {-1.5L, "-1.5"},
        {0.1L, "0.1"},
        {1e-18L, "0"},
        {-1e-18L, "0"},
        {1e-17L, "0.00000000000000001"},
        {5.0e-324L, "0"},
        {123456789.125L, "123456789.125"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[RESP_LD_STR_SIZE];
        size_t len = resp_ld2str(buf, sizeof(buf), cases[i].v);
        cr_assert_str_eq(buf, cases[i].s, "case %zu", i);
        cr_assert_eq(len, strlen(cases[i].s));
    }
}

Test(resp_num, ld2str_prints_the_largest_long_double_in_full)
{
    char buf[RESP_LD_STR_SIZE];
    size_t len = resp_ld2str(buf, sizeof(buf), LDBL_MAX);

    cr_assert_gt(len, 4900);
    cr_assert_eq(len, strlen(buf));
    cr_assert_eq(strchr(buf, '.'), NULL);
}

Test(resp_num, ld2str_returns_zero_and_an_empty_string_when_it_does_not_fit)
{
    char buf[8];

    cr_assert_eq(resp_ld2str(buf, sizeof(buf), 1.5L), 0);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(resp_ld2str(buf, 4, -INFINITY), 0);
    cr_assert_eq(resp_ld2str(buf, 5, -INFINITY), 4);
    cr_assert_str_eq(buf, "-inf");
}

/* ---------------------------------------------------------------------------
 * resp_d2str (double replies)
 * ------------------------------------------------------------------------- */

Test(resp_num, d2str_prints_like_redis_7_2_d2string)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {1.0, "1"},
        {-3.0, "-3"},
        {1.5, "1.5"},
        {-1.5, "-1.5"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {123456.789, "123456.789"},
        {1e17, "100000000000000000"},
        {4611686018427387904.0, "4611686018427387904"}, /* 2^62 = LLONG_MAX/2 + 1 */
        {5e18, "5e+18"},
        {-5e18, "-5e+18"},
        {1e20, "1e+20"},
        {1.5e300, "1.5e+300"},
        {12345678901234567e3, "12345678901234567000"},
        {0.001, "0.001"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {1.2345e-5, "1.2345e-5"},
        {0.0012345678901234567, "0.0012345678901234567"},
        {1234567.1234567, "1.2345671234567e+6"},
        {12345.678901, "12345.678901"},
        {5e-324, "5e-324"},
        /* Grisu2 is not always the shortest nor the closest; Redis says: */
        {55364627 / 1e15, "5.5364627000000003e-8"},
        {7595.8177519626915, "7595.8177519626915"},
        {99177915332.828125, "99177915332.82813"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {-DBL_MIN, "-2.2250738585072014e-308"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[RESP_D_STR_SIZE];
        size_t len = resp_d2str(buf, sizeof(buf), cases[i].v);
        cr_assert_str_eq(buf, cases[i].s, "case %zu", i);
        cr_assert_eq(len, strlen(cases[i].s));
    }
}

Test(resp_num, d2str_output_reads_back_as_the_same_double)
{
    /* A fixed LCG sweeps exponents and mantissas; strtod of the text must
     * give the exact bits back. */
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof(d));
        if (isnan(d))
            continue;
        char buf[RESP_D_STR_SIZE];
        size_t len = resp_d2str(buf, sizeof(buf), d);
        cr_assert_gt(len, 0);
        double back = strtod(buf, NULL);
        cr_assert(memcmp(&back, &d, sizeof(d)) == 0, "%s does not read back", buf);
    }
}

Test(resp_num, dtoa_prints_like_fpconv_dtoa_integers_included)
{
    /* DEBUG DIGEST's scores: d2string's integer path is not taken. */
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0"},        {-0.0, "-0"},     {3.0, "3"},          {-3.0, "-3"},
        {1.5, "1.5"},      {1e7, "10000000"}, {1e8, "1e+8"},      {100000001.0, "100000001"},
        {1e17, "1e+17"},   {1e20, "1e+20"},  {1e-7, "1e-7"},      {0.1, "0.1"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[RESP_D_STR_SIZE];
        size_t len = resp_dtoa(buf, cases[i].v);
        cr_assert_eq(len, strlen(cases[i].s), "case %zu", i);
        cr_assert(memcmp(buf, cases[i].s, len) == 0, "case %zu: %.*s", i, (int)len, buf);
    }
}

Test(resp_num, d2str_returns_zero_when_the_buffer_is_too_small)
{
    char buf[4];

    cr_assert_eq(resp_d2str(buf, sizeof(buf), 1.5), 3);
    cr_assert_eq(resp_d2str(buf, sizeof(buf), 0.25), 0);
    cr_assert_str_eq(buf, "");
}
