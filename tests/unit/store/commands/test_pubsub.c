/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of pub/sub (pubsub.c) through the embedding API, with in-process
 * clients (no transport: messages wait in the subscriber's output and come
 * with its next reply): the keyspace's publish hook (ks_publish) reaching
 * channel and pattern subscribers in both protocols, a message to the
 * client whose command runs following that command's reply, and the
 * registry emptied by UNSUBSCRIBE, RESET and freeing a client.
 */
#include "store_test.h"

#include "commands/pubsub.h"

TestSuite(pubsub, .init = store_setup, .fini = store_teardown);

static const char *run_on(struct respite_client *c, const char *line)
{
    struct respite_client *saved = cl;
    cl = c;
    const char *r = run(line);
    cl = saved;
    return r;
}

Test(pubsub, keyspace_hook_reaches_channels_and_patterns_in_both_protocols)
{
    struct respite_client *r3 = respite_client_new(rs);
    run_on(r3, "HELLO 3");
    expect_reply("SUBSCRIBE __keyevent@0__:set",
                 "*3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:set\r\n:1\r\n");
    cr_expect_str_eq(run_on(r3, "PSUBSCRIBE __key*"),
                     ">3\r\n$10\r\npsubscribe\r\n$6\r\n__key*\r\n:1\r\n");
    struct ks_event about = {RS_STR("k"), false};
    long long n = ks_publish(st_int(), RS_STR("__keyevent@0__:set"), RS_STR("k"), &about);
    cr_expect_eq(n, 2);
    /* Each gets the message before its next reply. */
    expect_reply("PING", "*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"
                         "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    cr_expect_str_eq(run_on(r3, "PING"),
                     ">4\r\n$8\r\npmessage\r\n$6\r\n__key*\r\n$18\r\n__keyevent@0__:set\r\n"
                     "$1\r\nk\r\n+PONG\r\n");
    respite_client_free(r3);
    cr_expect_eq(pubsub_nchannels(st_int(), PS_PATTERN), 0);
    cr_expect_eq(pubsub_nclients(st_int()), 1);
}

Test(pubsub, message_to_the_running_client_follows_its_reply)
{
    run("HELLO 3");
    run("SUBSCRIBE c");
    expect_reply("PUBLISH c m", ":1\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
}

Test(pubsub, registry_empties)
{
    struct respite_client *b = respite_client_new(rs);
    run("SUBSCRIBE a b c");
    run("PSUBSCRIBE p*");
    run("SSUBSCRIBE s");
    run_on(b, "SUBSCRIBE a");
    cr_expect_eq(pubsub_nchannels(st_int(), PS_CHANNEL), 3);
    cr_expect_eq(pubsub_nclients(st_int()), 2);
    run("UNSUBSCRIBE");
    cr_expect_eq(pubsub_nchannels(st_int(), PS_CHANNEL), 1); /* b still holds a */
    run("RESET");
    cr_expect_eq(pubsub_nchannels(st_int(), PS_PATTERN), 0);
    cr_expect_eq(pubsub_nchannels(st_int(), PS_SHARD), 0);
    cr_expect_eq(pubsub_nclients(st_int()), 1);
    respite_client_free(b);
    cr_expect_eq(pubsub_nchannels(st_int(), PS_CHANNEL), 0);
    cr_expect_eq(pubsub_nclients(st_int()), 0);
}
