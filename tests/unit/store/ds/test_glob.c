/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of glob_match (util.c), which must answer as Redis's stringmatchlen
 * does. The case-sensitive table was checked against redis-server 7.0.15
 * with KEYS (one key per case); the nocase rows against CONFIG GET, which
 * matches without case.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "ds/util.h"

TestSuite(glob);

struct glob_case {
    const char *pat, *str;
    bool match;
};

static const struct glob_case cases[] = {
    {"h?llo", "hello", true},
    {"h?llo", "hllo", false},
    {"h*llo", "hllo", true},
    {"h*llo", "heeeello", true},
    {"h*llo", "hellox", false},
    {"h[ae]llo", "hello", true},
    {"h[ae]llo", "hillo", false},
    {"h[^e]llo", "hallo", true},
    {"h[^e]llo", "hello", false},
    {"h[a-b]llo", "hbllo", true},
    {"h[a-b]llo", "hcllo", false},
    {"h[b-a]llo", "hbllo", true},
    {"h[z-a]llo", "hmllo", true},
    {"h[z-a]llo", "hMllo", false},
    {"[a-]", "-", false},
    {"[a-]", "a", true},
    {"[-a]", "-", true},
    {"[]a]", "]", false},
    {"[]a]", "a", false},
    {"[]", "]", false},
    {"[]", "x", false},
    {"a\\*b", "a*b", true},
    {"a\\*b", "axb", false},
    {"a\\?b", "a?b", true},
    {"a\\?b", "axb", false},
    {"\\", "\\", true},
    {"a\\", "a\\", true},
    {"a\\", "a", false},
    {"\\\\", "\\", true},
    {"\\a", "a", true},
    {"[", "[", false},
    {"[", "", false},
    {"[a", "a", true},
    {"[a", "b", false},
    {"[^a", "b", true},
    {"[^a", "a", false},
    {"[^", "x", true},
    {"x[", "x[", false},
    {"x[", "x", false},
    {"[a-", "a", true},
    {"[a-", "-", true},
    {"[a-", "b", false},
    {"[\\]]", "]", true},
    {"[\\-]", "-", true},
    {"[a\\-z]", "b", false},
    {"[a\\-z]", "-", true},
    {"[\\", "\\", true},
    {"[\\", "x", false},
    {"[x\\", "\\", true},
    {"*a", "", false},
    {"*", "", false},
    {"**", "", false},
    {"", "", true},
    {"", "a", false},
    {"a", "", false},
    {"*?*", "a", true},
    {"?*", "", false},
    {"?", "ab", false},
    {"??", "a", false},
    {"[[]", "[", true},
    {"[*]", "*", true},
    {"[*]", "x", false},
    {"[?]", "x", false},
    {"[?]", "?", true},
    {"\x80", "\x80", true},
    {"[\x80-\xff]", "\x90", true},
    {"[a-\xff]", "b", false},
    {"[\x01-\xff]", "a", false},
    {"h[\xe9]llo", "h\xe9llo", true},
    {"*b*", "aaa", false},
    {"a*b*c", "abxbc", true},
    {"a*b*c", "acb", false},
    {"*.txt", "x.txt", true},
    {"*.txt", "x.txtx", false},
    {"a[b-d]*[^x]", "acyz", true},
    {"a[b-d]*[^x]", "acyx", false},
    {"[a-c][a-c][a-c]", "abc", true},
    {"[a-c][a-c][a-c]", "abd", false},
};

static bool gm(const char *pat, const char *str, bool nocase)
{
    return glob_match(pat, strlen(pat), str, strlen(str), nocase);
}

Test(glob, matches_as_redis_stringmatchlen)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct glob_case *k = &cases[i];
        cr_expect_eq(gm(k->pat, k->str, false), k->match, "pattern \"%s\" on \"%s\": want %d",
                     k->pat, k->str, k->match);
    }
}

Test(glob, nocase_folds_letters_but_not_escapes_inside_a_class)
{
    cr_expect(gm("HELLO", "hello", true));
    cr_expect(gm("h?LLO", "Hello", true));
    cr_expect(gm("\\Maxmemor?", "maxmemory", true));
    cr_expect(gm("[A-Z]axmemory", "maxmemory", true));
    cr_expect(gm("[m-m]AXMEMORY", "maxmemory", true));
    cr_expect(gm("[\\m]axmemor?", "maxmemory", true));
    /* An escaped class member compares bytes exactly. */
    cr_expect_not(gm("[\\M]axmemory", "maxmemory", true));
    cr_expect_not(gm("[^M]axmemory", "maxmemory", true));
    cr_expect(gm("[^A]axmemor?", "maxmemory", true));
    cr_expect_not(gm("HELLO", "hello", false));
}

Test(glob, lengths_are_explicit_so_nul_bytes_are_ordinary)
{
    cr_expect(glob_match("a\0b", 3, "a\0b", 3, false));
    cr_expect(glob_match("a?b", 3, "a\0b", 3, false));
    cr_expect_not(glob_match("a\0b", 3, "a", 1, false));
    cr_expect(glob_match("a*", 2, "abc", 2, false)); /* only slen bytes are read */
    cr_expect_not(glob_match("abc", 2, "abc", 3, false));
}

Test(glob, a_pattern_of_many_stars_fails_fast_on_a_long_string, .timeout = 5)
{
    /* Without Redis's "skip longer matches" cut this backtracks for ages. */
    static char s[20001], p[200];
    memset(s, 'a', sizeof s - 1);
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        p[n++] = 'a';
        p[n++] = '*';
    }
    p[n++] = 'b';
    clock_t t0 = clock();
    cr_assert_not(glob_match(p, n, s, sizeof s - 1, false));
    s[sizeof s - 2] = 'b';
    cr_assert(glob_match(p, n, s, sizeof s - 1, false));
    cr_expect_lt((double)(clock() - t0) / CLOCKS_PER_SEC, 1.0);
}

Test(glob, nesting_beyond_1000_stars_does_not_match, .timeout = 5)
{
    /* Redis's guard against stack exhaustion (CVE-2022-36021): checked on
     * redis-server, "*a" x 1100 does not match "a" x 1100, x 990 does. */
    static char s[1100], p[2200];
    memset(s, 'a', sizeof s);
    for (size_t i = 0; i < sizeof p; i += 2) {
        p[i] = '*';
        p[i + 1] = 'a';
    }
    cr_expect_not(glob_match(p, sizeof p, s, sizeof s, false));
    cr_expect(glob_match(p, 2 * 990, s, sizeof s, false));
}
