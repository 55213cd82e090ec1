/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The project quota records (keyspace/quota.c): set, found, replaced and
 * removed by id, many of them (the map grows), usage summed over the
 * databases, and the RDB aux value they are saved as, read back, with
 * malformed values refused whole.
 */
#include <stdio.h>
#include <string.h>

#include "store_test.h"

TestSuite(quota, .init = store_setup, .fini = store_teardown);

Test(quota, records_by_id_grow_and_go_when_all_limits_are_zero)
{
    struct store *st = st_int();
    cr_assert_null(ks_quota_find(st, RS_STR("a")));
    for (int i = 0; i < 100; i++) {
        char id[16];
        int n = snprintf(id, sizeof id, "p%d", i);
        cr_assert_not_null(ks_quota_set(st, rs_str_from(id, (size_t)n), 0, (uint64_t)i + 1, 0));
    }
    cr_expect_eq(st->quotas.n, 100);
    cr_expect_eq(st->quotas.nmemory, 0);
    for (int i = 0; i < 100; i++) {
        char id[16];
        int n = snprintf(id, sizeof id, "p%d", i);
        struct ks_quota *q = ks_quota_find(st, rs_str_from(id, (size_t)n));
        cr_assert_not_null(q);
        cr_expect_eq(q->maxkeys, (uint64_t)i + 1);
    }
    cr_assert_not_null(ks_quota_set(st, RS_STR("p7"), 5000, 3, 9));
    cr_expect_eq(st->quotas.nmemory, 1);
    cr_expect_eq(ks_quota_find(st, RS_STR("p7"))->maxops, 9);
    cr_expect_null(ks_quota_set(st, RS_STR("p7"), 0, 0, 0));
    cr_expect_null(ks_quota_find(st, RS_STR("p7")));
    cr_expect_eq(st->quotas.n, 99);
    cr_expect_eq(st->quotas.nmemory, 0);
    cr_expect_null(ks_quota_set(st, RS_STR("never"), 0, 0, 0));
    cr_expect_eq(st->quotas.n, 99);
    ks_quota_clear(st);
    cr_expect_eq(st->quotas.n, 0);
    cr_expect_null(ks_quota_find(st, RS_STR("p1")));
}

Test(quota, usage_sums_the_project_in_every_database)
{
    struct store *st = st_int();
    run("SET project:x:1 v");
    run("SELECT 3");
    run("SET project:{x}:2 v");
    run("SET project:y:1 v");
    uint64_t keys, bytes;
    ks_quota_usage(st, RS_STR("x"), &keys, &bytes);
    cr_expect_eq(keys, 2);
    cr_expect_eq(bytes, project_bytes(st->dbs[0], RS_STR("x")) +
                            project_bytes(st->dbs[3], RS_STR("x")));
    ks_quota_usage(st, RS_STR("none"), &keys, &bytes);
    cr_expect_eq(keys + bytes, 0);
}

Test(quota, aux_value_reads_back_and_malformed_ones_are_refused)
{
    struct store *st = st_int();
    struct rs_str id = rs_str_from("a b\0c", 5); /* any bytes */
    struct ks_quota *q = ks_quota_set(st, id, 1ULL << 40, 7, INT64_MAX);
    char buf[128];
    size_t n = ks_quota_aux(q, buf, sizeof buf);
    cr_assert_eq(n, strlen("1099511627776 7 9223372036854775807 ") + 5);
    char small[20];
    cr_expect_eq(ks_quota_aux(q, small, sizeof small), 0);
    ks_quota_clear(st);
    cr_assert(ks_quota_load_aux(st, buf, n));
    q = ks_quota_find(st, id);
    cr_assert_not_null(q);
    cr_expect_eq(q->maxmemory, 1ULL << 40);
    cr_expect_eq(q->maxkeys, 7);
    cr_expect_eq(q->maxops, (uint64_t)INT64_MAX);
    static const char *const bad[] = {
        "", "1 2 3", "1 2 3 ", "1 2 x id", "-1 2 3 id", "1  2 3 id", "1 2 9223372036854775808 id",
        "99999999999999999999 2 3 id",
    };
    ks_quota_clear(st);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ks_quota_load_aux(st, bad[i], strlen(bad[i])), "%s", bad[i]);
    cr_expect_eq(st->quotas.n, 0);
}
