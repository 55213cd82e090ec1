/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of keyspace notifications (notify.c) in-process: the flags string
 * parsed and printed as Redis 7.4 does (the values checked against
 * redis-server 7.4.1 by hand; tests/integration/test_notify.py compares
 * the rest over the wire), the mask that keeps the events off without K or
 * E, an event of a key too long for the stack buffer, and the deadline the
 * transport arms its expiry timer for (respite_expire_deadline).
 */
#include "store_test.h"

TestSuite(notify, .init = store_setup, .fini = store_teardown);

Test(notify, flags_parse_and_print_as_redis)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"KEA", "AKE"},           {"g$lshzxetd", "A"},   {"g$lshzxet", "g$lshzxet"},
        {"nxedtzhsl$g", "A"},     {"ndtexzhsl$", "$lshzxetdn"}, {"mEKnd", "dnKEm"},
        {"AAn", "A"},             {"Ex", "xE"},          {"", ""},
        {"n", "n"},               {"dn", "dn"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int flags = ks_notify_parse(cases[i].in);
        cr_assert_geq(flags, 0, "%s", cases[i].in);
        char buf[16];
        ks_notify_format(flags, buf);
        cr_expect_str_eq(buf, cases[i].out, "%s", cases[i].in);
    }
    cr_expect_eq(ks_notify_parse("KEAq"), -1);
    cr_expect_eq(ks_notify_parse("A K"), -1);
    cr_expect_eq(ks_notify_mask(ks_notify_parse("A")), 0);
    cr_expect_eq(ks_notify_mask(ks_notify_parse("Kg")), NOTIFY_KEYSPACE | NOTIFY_GENERIC);
}

Test(notify, long_key_event_reaches_both_channels)
{
    char key[301], line[512], want[1024];
    memset(key, 'k', 300);
    key[300] = '\0';
    struct respite_client *sub = respite_client_new(rs);
    const char *argv[] = {"PSUBSCRIBE", "__key*"};
    size_t len;
    respite_exec(sub, 2, argv, NULL, &len);
    run("CONFIG SET notify-keyspace-events KEA");
    snprintf(line, sizeof line, "DEL %s", key);
    expect_reply(line, ":0\r\n");
    snprintf(line, sizeof line, "SET %s v", key);
    expect_reply(line, "+OK\r\n");
    const char *ping[] = {"PING"};
    const char *got = respite_exec(sub, 1, ping, NULL, &len);
    snprintf(want, sizeof want,
             "*4\r\n$8\r\npmessage\r\n$6\r\n__key*\r\n$315\r\n__keyspace@0__:%s\r\n$3\r\nset\r\n"
             "*4\r\n$8\r\npmessage\r\n$6\r\n__key*\r\n$18\r\n__keyevent@0__:set\r\n$300\r\n%s\r\n"
             "*2\r\n$4\r\npong\r\n$0\r\n\r\n",
             key, key);
    cr_expect_eq(len, strlen(want));
    cr_expect(memcmp(got, want, len) == 0, "%.*s", (int)len, got);
    respite_client_free(sub);
}

Test(notify, expire_deadline_follows_the_earliest_key)
{
    cr_expect_eq(respite_expire_deadline(rs), -1); /* nothing expires */
    run("SET k v PX 500");
    cr_expect_eq(respite_expire_deadline(rs), -1); /* the fake clock does not run */
    respite_set_clock(rs, NULL, NULL);
    run("SET k v PX 500");
    int64_t d = respite_expire_deadline(rs) - rs_mono_us();
    cr_expect(d > 490 * 1000 && d <= 502 * 1000, "%lld us", (long long)d);
    run("SET far v PXAT 9000000000000");
    run("SET near v PX 100");
    d = respite_expire_deadline(rs) - rs_mono_us();
    cr_expect(d > 90 * 1000 && d <= 102 * 1000, "%lld us", (long long)d);
    run("DEL k near");
    d = respite_expire_deadline(rs) - rs_mono_us(); /* years ahead: asked again in an hour */
    cr_expect(d > 3599LL * 1000000 && d <= 3600LL * 1000000, "%lld us", (long long)d);
    st_int()->cfg.active_expire = false; /* DEBUG SET-ACTIVE-EXPIRE 0 */
    cr_expect_eq(respite_expire_deadline(rs), -1);
}
