/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of resp.c: the case-insensitive option match, which must answer as
 * Redis's strcasecmp() on a NUL-terminated argument does.
 */
#include <criterion/criterion.h>

#include "resp.h"

TestSuite(resp);

Test(resp, str_eqi_matches_options_case_insensitively_like_strcasecmp)
{
    cr_assert(rs_str_eqi(RS_STR("nx"), "NX"));
    cr_assert(rs_str_eqi(RS_STR("Nx"), "nX"));
    cr_assert(rs_str_eqi(RS_STR(""), ""));
    cr_assert_not(rs_str_eqi(RS_STR("n"), "nx"));
    cr_assert_not(rs_str_eqi(RS_STR("nxx"), "nx"));
    cr_assert_not(rs_str_eqi(RS_STR("nx"), ""));
    /* Only ASCII letters fold. */
    cr_assert_not(rs_str_eqi(RS_STR("\xc9"), "\xe9"));
    cr_assert_not(rs_str_eqi(RS_STR("["), "{"));
    /* Redis compares the NUL-terminated sds: a NUL ends the argument. */
    cr_assert(rs_str_eqi(rs_str_from("nx\0junk", 7), "NX"));
    cr_assert_not(rs_str_eqi(rs_str_from("n\0x", 3), "NX"));
    /* a.p is not NUL-terminated: nothing past len is read. */
    cr_assert(rs_str_eqi(rs_str_from("GETX", 3), "get"));
}
