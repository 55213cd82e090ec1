/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the connection and server commands (server.c, docs.c,
 * project.c) through the public embedding API: each test opens a store,
 * runs commands on in-process clients and compares the exact reply bytes
 * with what Redis 7.4 sends (byte-identical to redis-server 7.0.15 where
 * 7.0 has the command, except for the version it reports).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "respite.h"

static struct respite *st;
static struct respite_client *cl;

/* A store with DEBUG enabled and one client, the first (id 1). */
static void open_store(const char *const *config, int nconfig)
{
    char err[256];
    st = respite_open(config, nconfig, err, sizeof err);
    cr_assert_not_null(st, "respite_open: %s", err);
    cl = respite_client_new(st);
}

static void setup(void)
{
    static const char *const config[] = {"enable-debug-command", "yes"};
    open_store(config, 1);
}

static void teardown(void)
{
    respite_close(st);
}

TestSuite(server_cmds, .init = setup, .fini = teardown);

/* Run the NULL-terminated argv on c; the reply bytes, valid until c's next
 * command. */
static const char *run_argv(struct respite_client *c, const char *const *argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    size_t len;
    const char *r = respite_exec(c, argc, argv, NULL, &len);
    cr_assert_eq(strlen(r), len, "reply holds a NUL byte");
    return r;
}

#define RUN(c, ...) run_argv((c), (const char *const[]){__VA_ARGS__, NULL})
#define EXPECT(c, reply, ...) cr_expect_str_eq(RUN(c, __VA_ARGS__), (reply))

/* An integer field of a parsed map reply. */
static long long map_int(const struct respite_reply *r, const char *field)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, field) == 0)
            return r->element[i + 1]->integer;
    cr_assert_fail("no field %s", field);
    return -1;
}

/* ------------------------------------------------------------------------
 * HELLO
 * ------------------------------------------------------------------------ */

/* HELLO's map for client 1; open is "*14" (RESP2) or "%7" (RESP3). */
#define HELLO_MAP(open, proto)                                                                     \
    open "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.4.0\r\n$5\r\nproto\r\n:" proto   \
         "\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n"                 \
         "$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"

Test(server_cmds, hello_2_replies_the_server_map_in_resp2)
{
    EXPECT(cl, HELLO_MAP("*14\r\n", "2"), "HELLO", "2");
    EXPECT(cl, "$-1\r\n", "GET", "nokey");
}

Test(server_cmds, hello_3_switches_the_client_to_resp3)
{
    EXPECT(cl, HELLO_MAP("%7\r\n", "3"), "HELLO", "3");
    EXPECT(cl, "_\r\n", "GET", "nokey");
    /* No argument: the map, in the current protocol, with no switch. */
    EXPECT(cl, HELLO_MAP("%7\r\n", "3"), "HELLO");
    EXPECT(cl, HELLO_MAP("*14\r\n", "2"), "HELLO", "2");
    EXPECT(cl, "$-1\r\n", "GET", "nokey");
}

Test(server_cmds, hello_errors_leave_the_protocol_alone)
{
    EXPECT(cl, "-NOPROTO unsupported protocol version\r\n", "HELLO", "4");
    EXPECT(cl, "-NOPROTO unsupported protocol version\r\n", "HELLO", "1");
    EXPECT(cl, "-ERR Protocol version is not an integer or out of range\r\n", "HELLO", "3x");
    EXPECT(cl, "-ERR Syntax error in HELLO option 'foo'\r\n", "HELLO", "3", "foo");
    EXPECT(cl, "-ERR Syntax error in HELLO option 'AUTH'\r\n", "HELLO", "3", "AUTH", "x");
    EXPECT(cl, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
           "HELLO", "3", "SETNAME", "a b");
    EXPECT(cl, "$-1\r\n", "GET", "nokey");
    EXPECT(cl, "$-1\r\n", "CLIENT", "GETNAME");
}

/* ------------------------------------------------------------------------
 * AUTH and RESET
 * ------------------------------------------------------------------------ */

Test(server_cmds, auth_without_a_password_configured)
{
    EXPECT(cl,
           "-ERR AUTH <password> called without any password configured for the default user. "
           "Are you sure your configuration is correct?\r\n",
           "AUTH", "x");
    /* The default user takes any password; there is no other user. */
    EXPECT(cl, "+OK\r\n", "AUTH", "default", "x");
    EXPECT(cl, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH",
           "bob", "x");
    EXPECT(cl, "-ERR syntax error\r\n", "AUTH", "a", "b", "c");
    EXPECT(cl, HELLO_MAP("%7\r\n", "3"), "HELLO", "3", "AUTH", "default", "anything");
}

Test(server_cmds, auth_flow_with_requirepass)
{
    respite_close(st);
    static const char *const config[] = {"requirepass", "secret"};
    open_store(config, 1);
    EXPECT(cl, "-NOAUTH Authentication required.\r\n", "PING");
    EXPECT(cl,
           "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
           "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
           "select the RESP protocol version at the same time\r\n",
           "HELLO", "3");
    EXPECT(cl, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH",
           "wrong");
    EXPECT(cl, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO",
           "3", "AUTH", "default", "wrong", "SETNAME", "app");
    EXPECT(cl, "-NOAUTH Authentication required.\r\n", "PING");
    EXPECT(cl, "+OK\r\n", "AUTH", "secret");
    EXPECT(cl, "+PONG\r\n", "PING");
    /* RESET: unauthenticated again. */
    EXPECT(cl, "+RESET\r\n", "RESET");
    EXPECT(cl, "-NOAUTH Authentication required.\r\n", "PING");
    EXPECT(cl, HELLO_MAP("%7\r\n", "3"), "HELLO", "3", "AUTH", "default", "secret", "SETNAME",
           "app");
    EXPECT(cl, "$3\r\napp\r\n", "CLIENT", "GETNAME");
    EXPECT(cl, "+OK\r\n", "AUTH", "default", "secret");
}

Test(server_cmds, reset_restores_a_fresh_connection_but_keeps_the_library)
{
    EXPECT(cl, HELLO_MAP("%7\r\n", "3"), "HELLO", "3", "SETNAME", "app");
    EXPECT(cl, "+OK\r\n", "SELECT", "5");
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "redis-py");
    EXPECT(cl, "+OK\r\n", "CLIENT", "NO-TOUCH", "on");
    EXPECT(cl, "+OK\r\n", "CLIENT", "NO-EVICT", "on");
    EXPECT(cl, "+OK\r\n", "SET", "k", "v");
    EXPECT(cl, "", "CLIENT", "REPLY", "OFF");
    EXPECT(cl, "+RESET\r\n", "RESET");
    EXPECT(cl, "$-1\r\n", "GET", "k");
    EXPECT(cl, "$-1\r\n", "CLIENT", "GETNAME");
    const char *info = RUN(cl, "CLIENT", "INFO");
    cr_expect(strstr(info, " flags=N db=0 ") != NULL, "%s", info);
    cr_expect(strstr(info, " resp=2 lib-name=redis-py lib-ver=\n") != NULL, "%s", info);
}

/* ------------------------------------------------------------------------
 * CLIENT
 * ------------------------------------------------------------------------ */

Test(server_cmds, client_setname_and_getname)
{
    EXPECT(cl, ":1\r\n", "CLIENT", "ID");
    EXPECT(cl, "$-1\r\n", "CLIENT", "GETNAME");
    EXPECT(cl, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
           "CLIENT", "SETNAME", "a b");
    EXPECT(cl, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
           "CLIENT", "SETNAME", "caf\xc3\xa9");
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETNAME", "worker-1");
    EXPECT(cl, "$8\r\nworker-1\r\n", "CLIENT", "GETNAME");
    /* An empty name clears it. */
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETNAME", "");
    EXPECT(cl, "$-1\r\n", "CLIENT", "GETNAME");
    EXPECT(cl, "-ERR wrong number of arguments for 'client|setname' command\r\n", "CLIENT",
           "SETNAME");
}

Test(server_cmds, client_reply_off_skip_on)
{
    EXPECT(cl, "", "CLIENT", "REPLY", "OFF");
    EXPECT(cl, "", "PING");
    EXPECT(cl, "", "GET", "nokey");
    EXPECT(cl, "+OK\r\n", "CLIENT", "REPLY", "ON");
    EXPECT(cl, "+PONG\r\n", "PING");
    /* SKIP mutes exactly the next command. */
    EXPECT(cl, "", "CLIENT", "REPLY", "SKIP");
    EXPECT(cl, "", "PING");
    EXPECT(cl, "+PONG\r\n", "PING");
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "REPLY", "MAYBE");
    /* SKIP then ON: ON is heard. */
    EXPECT(cl, "", "CLIENT", "REPLY", "SKIP");
    EXPECT(cl, "+OK\r\n", "CLIENT", "REPLY", "ON");
    EXPECT(cl, "+PONG\r\n", "PING");
}

Test(server_cmds, client_setinfo_validates_as_redis_7_2)
{
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETINFO", "lib-name", "redis-py");
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETINFO", "LIB-VER", "5.0.1");
    EXPECT(cl, "-ERR Unrecognized option 'lib-foo'\r\n", "CLIENT", "SETINFO", "lib-foo", "x");
    EXPECT(cl, "-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n",
           "CLIENT", "SETINFO", "LIB-NAME", "a b");
    const char *info = RUN(cl, "CLIENT", "INFO");
    cr_expect(strstr(info, " lib-name=redis-py lib-ver=5.0.1\n") != NULL, "%s", info);
}

Test(server_cmds, client_info_line_has_redis_fields_in_order)
{
    EXPECT(cl, "+OK\r\n", "CLIENT", "SETNAME", "me");
    const char *info = RUN(cl, "CLIENT", "INFO");
    /* No transport: no address, descriptor -1; argv-mem is this command's;
     * rbs the reply chunk (16 kB) SETNAME's reply left for the next. */
    cr_assert_eq(info[0], '$');
    const char *line = strstr(info, "\r\n") + 2;
    static const char prefix[] = "id=1 addr= laddr= fd=-1 name=me age=";
    cr_assert(strncmp(line, prefix, sizeof prefix - 1) == 0, "%s", line);
    /* age and idle are whole seconds of the real clock (as Redis): a second
     * may tick between the client's creation and this command. */
    const char *p = line + sizeof prefix - 1;
    cr_assert(p[0] == '0' || p[0] == '1', "%s", line);
    cr_assert(strncmp(p + 1, " idle=", 6) == 0 && (p[7] == '0' || p[7] == '1'), "%s", line);
    static const char rest[] = " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 "
                               "qbuf-free=0 argv-mem=10 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 "
                               "omem=0 tot-mem=";
    cr_expect(strncmp(p + 8, rest, sizeof rest - 1) == 0, "%s", line);
    cr_expect(strstr(line, " events=r cmd=client|info user=default redir=-1 resp=2 lib-name= "
                           "lib-ver=\n\r\n") != NULL,
              "%s", line);
}

Test(server_cmds, client_list_filters)
{
    struct respite_client *other = respite_client_new(st);
    EXPECT(other, "+OK\r\n", "CLIENT", "SETNAME", "other");
    const char *all = RUN(cl, "CLIENT", "LIST");
    cr_expect(strstr(all, "id=1 ") && strstr(all, "\nid=2 ") && strstr(all, "name=other"), "%s",
              all);
    const char *two = RUN(cl, "CLIENT", "LIST", "ID", "2", "99");
    cr_expect(strstr(two, "id=2 ") != NULL && strstr(two, "id=1 ") == NULL, "%s", two);
    cr_expect(strstr(two, " cmd=client|setname ") != NULL, "%s", two);
    EXPECT(cl, "$0\r\n\r\n", "CLIENT", "LIST", "TYPE", "pubsub");
    EXPECT(cl, "-ERR Unknown client type 'foo'\r\n", "CLIENT", "LIST", "TYPE", "foo");
    EXPECT(cl, "-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "1", "x");
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "LIST", "foo");
    respite_client_free(other);
}

Test(server_cmds, client_kill_marks_the_other_client_and_counts)
{
    struct respite_client *other = respite_client_new(st);
    cr_expect_eq(respite_client_flags(other), 0);
    EXPECT(cl, ":0\r\n", "CLIENT", "KILL", "ID", "99");
    EXPECT(cl, ":1\r\n", "CLIENT", "KILL", "ID", "2");
    cr_expect_eq(respite_client_flags(other), RESPITE_CLOSE_AFTER_REPLY);
    /* The caller is skipped unless SKIPME no. */
    EXPECT(cl, ":0\r\n", "CLIENT", "KILL", "TYPE", "normal");
    EXPECT(cl, ":0\r\n", "CLIENT", "KILL", "USER", "default", "TYPE", "pubsub", "SKIPME", "no");
    cr_expect_eq(respite_client_flags(cl), 0);
    EXPECT(cl, ":1\r\n", "CLIENT", "KILL", "ID", "1", "SKIPME", "no");
    cr_expect_eq(respite_client_flags(cl), RESPITE_CLOSE_AFTER_REPLY);
    respite_client_free(other);
}

Test(server_cmds, client_kill_errors)
{
    EXPECT(cl, "-ERR No such client\r\n", "CLIENT", "KILL", "1.2.3.4:5");
    EXPECT(cl, "-ERR client-id should be greater than 0\r\n", "CLIENT", "KILL", "ID", "0");
    EXPECT(cl, "-ERR client-id should be greater than 0\r\n", "CLIENT", "KILL", "ID", "x");
    EXPECT(cl, "-ERR Unknown client type 'x'\r\n", "CLIENT", "KILL", "TYPE", "x");
    EXPECT(cl, "-ERR No such user 'bob'\r\n", "CLIENT", "KILL", "USER", "bob");
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "KILL", "SKIPME", "maybe");
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "KILL", "FOO", "bar");
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "KILL", "ID", "1", "TYPE");
    EXPECT(cl, "-ERR maxage should be greater than 0\r\n", "CLIENT", "KILL", "MAXAGE", "0");
    EXPECT(cl, "-ERR maxage is not an integer or out of range\r\n", "CLIENT", "KILL", "MAXAGE",
           "x");
    EXPECT(cl, "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", "CLIENT", "FOO");
}

Test(server_cmds, client_no_touch_keeps_the_access_time)
{
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1000000000");
    EXPECT(cl, "+OK\r\n", "SET", "k", "hello");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "ADVANCE", "5000");
    EXPECT(cl, "+OK\r\n", "CLIENT", "NO-TOUCH", "on");
    EXPECT(cl, "$5\r\nhello\r\n", "GET", "k");
    /* nor do its scripts, even with TOUCH (Redis 7.4 looks at the caller) */
    EXPECT(cl, "$5\r\nhello\r\n", "EVAL", "return redis.call('get', KEYS[1])", "1", "k");
    EXPECT(cl, ":1\r\n", "EVAL", "return redis.call('touch', KEYS[1])", "1", "k");
    const char *obj = RUN(cl, "DEBUG", "OBJECT", "k");
    cr_expect(strstr(obj, " lru:1000000 lru_seconds_idle:5\r\n") != NULL, "%s", obj);
    EXPECT(cl, "+OK\r\n", "CLIENT", "NO-TOUCH", "off");
    EXPECT(cl, "$5\r\nhello\r\n", "GET", "k");
    obj = RUN(cl, "DEBUG", "OBJECT", "k");
    cr_expect(strstr(obj, " lru:1000005 lru_seconds_idle:0\r\n") != NULL, "%s", obj);
    EXPECT(cl, "-ERR syntax error\r\n", "CLIENT", "NO-TOUCH", "maybe");
}

/* ------------------------------------------------------------------------
 * DEBUG
 * ------------------------------------------------------------------------ */

Test(server_cmds, debug_clock_advance_expires_keys)
{
    /* Frozen: a real millisecond passing between two commands would move
     * the deadline's boundary. */
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1700000000000");
    EXPECT(cl, "+OK\r\n", "SET", "k", "v", "EX", "3600");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "ADVANCE", "3599999");
    EXPECT(cl, "$1\r\nv\r\n", "GET", "k");
    /* One millisecond past the deadline (a key is expired once now > its deadline). */
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "ADVANCE", "2");
    EXPECT(cl, "$-1\r\n", "GET", "k");
}

Test(server_cmds, debug_clock_set_freezes_and_real_returns)
{
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1700000000123");
    EXPECT(cl, ":1700000000123\r\n", "DEBUG", "CLOCK", "GET");
    EXPECT(cl, "*2\r\n$10\r\n1700000000\r\n$6\r\n123000\r\n", "TIME");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "ADVANCE", "1000");
    EXPECT(cl, ":1700000001123\r\n", "DEBUG", "CLOCK", "GET");
    EXPECT(cl, "+OK\r\n", "SET", "k", "v", "PX", "10");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "REAL");
    /* Real time is long past the frozen one. */
    EXPECT(cl, "$-1\r\n", "GET", "k");
    EXPECT(cl, "-ERR value is out of range, must be positive\r\n", "DEBUG", "CLOCK", "ADVANCE",
           "-1");
    EXPECT(cl, "-ERR value is not an integer or out of range\r\n", "DEBUG", "CLOCK", "SET", "x");
    EXPECT(cl,
           "-ERR unknown subcommand or wrong number of arguments for 'CLOCK'. Try DEBUG HELP.\r\n",
           "DEBUG", "CLOCK", "BACK");
}

Test(server_cmds, debug_is_refused_unless_enabled)
{
    respite_close(st);
    open_store(NULL, 0);
    EXPECT(cl,
           "-ERR DEBUG command not allowed. If the enable-debug-command option is set to "
           "\"local\", you can run it from a local connection, otherwise you need to set this "
           "option in the configuration file, and then restart the server.\r\n",
           "DEBUG", "CLOCK", "GET");
    respite_close(st);
    /* "local": an in-process client is local. */
    static const char *const config[] = {"enable-debug-command", "local"};
    open_store(config, 1);
    EXPECT(cl, "+OK\r\n", "DEBUG", "SLEEP", "0");
}

Test(server_cmds, debug_object_and_subcommand_errors)
{
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1000000000");
    EXPECT(cl, "+OK\r\n", "SET", "s", "hello");
    EXPECT(cl, "+OK\r\n", "SET", "i", "-200");
    const char *obj = RUN(cl, "DEBUG", "OBJECT", "s");
    cr_expect(strncmp(obj, "+Value at:0x", 12) == 0, "%s", obj);
    cr_expect(strstr(obj, " refcount:1 encoding:embstr serializedlength:6 lru:1000000 "
                          "lru_seconds_idle:0\r\n") != NULL,
              "%s", obj);
    obj = RUN(cl, "DEBUG", "OBJECT", "i");
    cr_expect(strstr(obj, " refcount:1 encoding:int serializedlength:3 ") != NULL, "%s", obj);
    /* a shared integer, as OBJECT REFCOUNT says */
    EXPECT(cl, "+OK\r\n", "SET", "i", "7");
    obj = RUN(cl, "DEBUG", "OBJECT", "i");
    cr_expect(strstr(obj, " refcount:2147483647 encoding:int serializedlength:2 ") != NULL, "%s",
              obj);
    EXPECT(cl, "-ERR no such key\r\n", "DEBUG", "OBJECT", "nokey");
    EXPECT(cl,
           "-ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP.\r\n",
           "DEBUG", "OBJECT");
    EXPECT(cl,
           "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n",
           "DEBUG", "foo");
    EXPECT(cl, "-ERR wrong number of arguments for 'debug' command\r\n", "DEBUG");
    EXPECT(cl, "+OK\r\n", "DEBUG", "SET-ACTIVE-EXPIRE", "0");
    EXPECT(cl, "+OK\r\n", "DEBUG", "JMAP");
    EXPECT(cl, "+OK\r\n", "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1k");
    EXPECT(cl, "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n",
           "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb");
    EXPECT(cl, "+Apparently Redis did not crash: test passed\r\n", "DEBUG", "STRINGMATCH-LEN");
    EXPECT(cl, "+Apparently Redis did not crash: test passed\r\n", "DEBUG", "STRINGMATCH-TEST");
    /* DEBUG ERROR's string is the error, CR and LF as spaces (Redis 7.4's bytes) */
    EXPECT(cl, "-foo bar\r\n", "DEBUG", "ERROR", "foo bar");
    EXPECT(cl, "-ERR x  y\r\n", "DEBUG", "ERROR", "ERR x\r\ny");
    EXPECT(cl, "+OK\r\n", "DEBUG", "LOG", "a line");
    EXPECT(cl,
           "-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try DEBUG HELP.\r\n",
           "DEBUG", "LOG");
    /* DEBUG HELP names it as 7.4 does */
    cr_expect(strstr(RUN(cl, "DEBUG", "HELP"), "\r\n+STRINGMATCH-TEST\r\n") != NULL);
}

Test(server_cmds, debug_protocol_samples_each_resp_type)
{
    EXPECT(cl, "$11\r\nHello World\r\n", "DEBUG", "PROTOCOL", "string");
    EXPECT(cl, "-ERR RESP2 is not supported by this command\r\n", "DEBUG", "PROTOCOL", "push");
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", "DEBUG", "PROTOCOL", "map");
    EXPECT(cl, "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
               "$39\r\nSome real reply following the attribute\r\n",
           "DEBUG", "PROTOCOL", "attrib");
    EXPECT(cl, "=29\r\ntxt:This is a verbatim\nstring\r\n", "DEBUG", "PROTOCOL", "verbatim");
}

Test(server_cmds, debug_protocol_push_comes_after_its_reply)
{
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "$40\r\nSome real reply following the push reply\r\n"
               ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n",
           "DEBUG", "PROTOCOL", "push");
}

/* The digests Redis 7.4.1 answers for the same data. */
Test(server_cmds, debug_digest_is_redis_7_4s)
{
    EXPECT(cl, "+0000000000000000000000000000000000000000\r\n", "DEBUG", "DIGEST");
    RUN(cl, "SET", "k", "v");
    EXPECT(cl, "+264ccf65edec66bccfa7cc659414ccca432057d2\r\n", "DEBUG", "DIGEST");
    RUN(cl, "RPUSH", "l", "a", "1");
    RUN(cl, "SADD", "s", "1", "x");
    RUN(cl, "ZADD", "z", "1e8", "m", "1.5", "n");
    RUN(cl, "HSET", "h", "f", "v");
    RUN(cl, "HEXPIRE", "h", "100", "FIELDS", "1", "f");
    RUN(cl, "XADD", "x", "5-1", "a", "b");
    RUN(cl, "EXPIRE", "k", "100");
    EXPECT(cl,
           "*7\r\n+311b17018163335616e089f6b951c82c477335ac\r\n"
           "+a4b574dfd44a241b7583aa0f4da11ef31ee0b995\r\n"
           "+96257d5cc29f1c46ff96a88360b5c99de66ae13f\r\n"
           "+d3aaceaf8ba00702dfdb30f27577c8a3c696485e\r\n"
           "+74b891d3701022bf67574b56900ce11f3e5270b3\r\n"
           "+0b7ac3f6efd11832dec565ddf947210e4adca2dd\r\n"
           "+0000000000000000000000000000000000000000\r\n",
           "DEBUG", "DIGEST-VALUE", "k", "l", "s", "z", "h", "x", "nokey");
    EXPECT(cl, "+bd31a7483c1ff58e165b2e3846691c1879c787b7\r\n", "DEBUG", "DIGEST");
}

Test(server_cmds, debug_object_listpack_replybuffer_change_repl_id)
{
    RUN(cl, "CONFIG", "SET", "list-max-listpack-size", "2");
    RUN(cl, "RPUSH", "ql", "a", "b", "c", "d", "e");
    const char *obj = RUN(cl, "DEBUG", "OBJECT", "ql");
    cr_expect(strstr(obj, " encoding:quicklist ") != NULL, "%s", obj);
    cr_expect(strstr(obj, " ql_nodes:3 ql_avg_node:1.67 ql_listpack_max:2 ql_compressed:0 "
                          "ql_uncompressed_size:36\r\n") != NULL,
              "%s", obj);
    EXPECT(cl, "-ERR Not a listpack encoded object.\r\n", "DEBUG", "LISTPACK", "ql");
    RUN(cl, "HSET", "h", "f", "v");
    EXPECT(cl, "+Listpack structure printed on stdout\r\n", "DEBUG", "LISTPACK", "h");
    EXPECT(cl, "-ERR no such key\r\n", "DEBUG", "LISTPACK", "nokey");
    EXPECT(cl, "+OK\r\n", "DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never");
    EXPECT(cl, "+OK\r\n", "DEBUG", "REPLYBUFFER", "RESIZING", "0");
    EXPECT(cl, "-ERR value is not an integer or out of range\r\n", "DEBUG", "REPLYBUFFER",
           "PEAK-RESET-TIME", "x");
    EXPECT(cl,
           "-ERR unknown subcommand or wrong number of arguments for 'REPLYBUFFER'. Try DEBUG "
           "HELP.\r\n",
           "DEBUG", "REPLYBUFFER", "foo", "1");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CHANGE-REPL-ID");
}

Test(server_cmds, memory_usage_options_and_errors)
{
    RUN(cl, "SET", "k", "v");
    struct respite_reply *r =
        respite_command(cl, 3, (const char *[]){"MEMORY", "USAGE", "k"}, NULL);
    cr_assert_eq(r->type, RESPITE_REPLY_INTEGER);
    cr_expect_gt(r->integer, 3, "the key, its value and the entry's header");
    respite_reply_free(r);
    EXPECT(cl, "$-1\r\n", "MEMORY", "USAGE", "nokey");
    EXPECT(cl, "-ERR syntax error\r\n", "MEMORY", "USAGE", "k", "SAMPLES", "-1");
    EXPECT(cl, "-ERR syntax error\r\n", "MEMORY", "USAGE", "nokey", "FOO");
    EXPECT(cl, "-ERR value is not an integer or out of range\r\n", "MEMORY", "USAGE", "nokey",
           "SAMPLES", "x");
    EXPECT(cl, "-ERR wrong number of arguments for 'memory|usage' command\r\n", "MEMORY",
           "USAGE");
    EXPECT(cl, "-ERR unknown subcommand 'FOO'. Try MEMORY HELP.\r\n", "MEMORY", "FOO");
    EXPECT(cl, "+OK\r\n", "MEMORY", "PURGE");
}

/* ------------------------------------------------------------------------
 * COMMAND
 * ------------------------------------------------------------------------ */

Test(server_cmds, command_count_matches_the_table)
{
    struct respite_reply *count =
        respite_command(cl, 2, (const char *[]){"COMMAND", "COUNT"}, NULL);
    struct respite_reply *all = respite_command(cl, 1, (const char *[]){"COMMAND"}, NULL);
    struct respite_reply *list =
        respite_command(cl, 2, (const char *[]){"COMMAND", "LIST"}, NULL);
    cr_assert_eq(count->type, RESPITE_REPLY_INTEGER);
    cr_expect_eq((size_t)count->integer, all->elements);
    size_t top = 0;
    for (size_t i = 0; i < list->elements; i++)
        top += strchr(list->element[i]->str, '|') == NULL;
    cr_expect_eq((size_t)count->integer, top);
    cr_expect_gt(list->elements, top, "subcommands are listed too");
    respite_reply_free(count);
    respite_reply_free(all);
    respite_reply_free(list);
}

/* COMMAND INFO of these commands, as redis-server 7.0.15 sends it. */
Test(server_cmds, command_info_is_byte_identical_to_redis)
{
    EXPECT(cl,
           "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n"
           ":1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n"
           "*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
           "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n"
           "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n"
           "$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
           "COMMAND", "INFO", "get");
    EXPECT(cl,
           "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n"
           ":1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n"
           "$48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n"
           "*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n"
           "*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
           "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
           "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
           "COMMAND", "INFO", "set");
    EXPECT(cl,
           "*1\r\n*10\r\n$4\r\nmget\r\n:-2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:-1\r\n"
           ":1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*1\r\n"
           "$26\r\nrequest_policy:multi_shard\r\n"
           "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"
           "*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
           "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
           "$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
           "COMMAND", "INFO", "mget");
    EXPECT(cl,
           "*1\r\n*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n"
           ":2\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*2\r\n"
           "$26\r\nrequest_policy:multi_shard\r\n"
           "$29\r\nresponse_policy:all_succeeded\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n"
           "+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
           "$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\n"
           "type\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\n"
           "keystep\r\n:2\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
           "COMMAND", "INFO", "mset");
    EXPECT(cl,
           "*1\r\n*10\r\n$3\r\ndel\r\n:-2\r\n*1\r\n+write\r\n:1\r\n:-1\r\n:1\r\n*3\r\n"
           "+@keyspace\r\n+@write\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n"
           "$23\r\nresponse_policy:agg_sum\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RM\r\n"
           "+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\n"
           "spec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n"
           "$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n"
           ":1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
           "COMMAND", "INFO", "del");
    EXPECT(cl,
           "*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n"
           "+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\n"
           "response_policy:all_succeeded\r\n*0\r\n*0\r\n",
           "COMMAND", "INFO", "ping");
    EXPECT(cl, "*2\r\n$-1\r\n$-1\r\n", "COMMAND", "INFO", "nosuch", "client|nosuch");
}

Test(server_cmds, command_info_resp3_uses_sets_as_redis)
{
    RUN(cl, "HELLO", "3");
    EXPECT(cl,
           "*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n~1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n~2\r\n"
           "+@fast\r\n+@connection\r\n~2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\n"
           "response_policy:all_succeeded\r\n~0\r\n~0\r\n",
           "COMMAND", "INFO", "ping");
    EXPECT(cl,
           "*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n~3\r\n+noscript\r\n+loading\r\n+stale\r\n"
           ":0\r\n:0\r\n:0\r\n~2\r\n+@slow\r\n+@connection\r\n~0\r\n~0\r\n~0\r\n",
           "COMMAND", "INFO", "client|id");
}

Test(server_cmds, command_docs_turns_the_grammar_into_redis_arguments)
{
    EXPECT(cl,
           "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a key.\r\n"
           "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\n"
           "O(1)\r\n$9\r\narguments\r\n*1\r\n*8\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\n"
           "key\r\n$12\r\ndisplay_text\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n",
           "COMMAND", "DOCS", "get", "nosuch");
    RUN(cl, "HELLO", "3");
    /* SET's condition and expiration oneofs, as Redis 7.4 documents them:
     * display_text of each argument that is not a group, since of those
     * added after SET. */
    const char *set = RUN(cl, "COMMAND", "DOCS", "set");
    static const char args[] =
        "$9\r\narguments\r\n*5\r\n"
        "%4\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$12\r\ndisplay_text\r\n"
        "$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
        "%3\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n$12\r\ndisplay_text\r\n"
        "$5\r\nvalue\r\n"
        "%5\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n"
        "$6\r\n2.6.12\r\n$5\r\nflags\r\n~1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n"
        "%4\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$12\r\n"
        "display_text\r\n$2\r\nnx\r\n$5\r\ntoken\r\n$2\r\nNX\r\n"
        "%4\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$12\r\n"
        "display_text\r\n$2\r\nxx\r\n$5\r\ntoken\r\n$2\r\nXX\r\n"
        "%6\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$12\r\n"
        "display_text\r\n$3\r\nget\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n"
        "$5\r\nflags\r\n~1\r\n+optional\r\n"
        "%4\r\n$4\r\nname\r\n$10\r\nexpiration\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n"
        "~1\r\n+optional\r\n$9\r\narguments\r\n*5\r\n"
        "%5\r\n$4\r\nname\r\n$7\r\nseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$12\r\n"
        "display_text\r\n$7\r\nseconds\r\n$5\r\ntoken\r\n$2\r\nEX\r\n$5\r\nsince\r\n$6\r\n"
        "2.6.12\r\n"
        "%5\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$12\r\n"
        "display_text\r\n$12\r\nmilliseconds\r\n$5\r\ntoken\r\n$2\r\nPX\r\n$5\r\nsince\r\n$6\r\n"
        "2.6.12\r\n"
        "%5\r\n$4\r\nname\r\n$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$12\r\n"
        "display_text\r\n$17\r\nunix-time-seconds\r\n$5\r\ntoken\r\n$4\r\nEXAT\r\n$5\r\nsince\r\n"
        "$5\r\n6.2.0\r\n"
        "%5\r\n$4\r\nname\r\n$22\r\nunix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n"
        "$12\r\ndisplay_text\r\n$22\r\nunix-time-milliseconds\r\n$5\r\ntoken\r\n$4\r\nPXAT\r\n"
        "$5\r\nsince\r\n$5\r\n6.2.0\r\n"
        "%5\r\n$4\r\nname\r\n$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$12\r\n"
        "display_text\r\n$7\r\nkeepttl\r\n$5\r\ntoken\r\n$7\r\nKEEPTTL\r\n$5\r\nsince\r\n$5\r\n"
        "6.0.0\r\n";
    const char *at = strstr(set, "$9\r\narguments\r\n");
    cr_assert_not_null(at, "%s", set);
    cr_expect_str_eq(at, args);
}

Test(server_cmds, command_docs_covers_every_command)
{
    struct respite_reply *all = respite_command(cl, 2, (const char *[]){"COMMAND", "DOCS"}, NULL);
    struct respite_reply *count =
        respite_command(cl, 2, (const char *[]){"COMMAND", "COUNT"}, NULL);
    cr_assert_eq(all->type, RESPITE_REPLY_ARRAY);
    cr_expect_eq(all->elements, 2 * (size_t)count->integer);
    for (size_t i = 1; i < all->elements; i += 2) {
        const struct respite_reply *doc = all->element[i];
        bool complexity = false;
        for (size_t k = 0; k < doc->elements; k += 2)
            complexity |= strcmp(doc->element[k]->str, "complexity") == 0;
        /* Redis documents none for XREAD and MONITOR. */
        const char *name = all->element[i - 1]->str;
        bool none = strcmp(name, "xread") == 0 || strcmp(name, "monitor") == 0;
        cr_expect(complexity != none, "%s: complexity %d", name, complexity);
    }
    respite_reply_free(all);
    respite_reply_free(count);
}

Test(server_cmds, command_getkeys_uses_key_positions)
{
    EXPECT(cl, "*2\r\n$1\r\na\r\n$1\r\nc\r\n", "COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d");
    EXPECT(cl, "*1\r\n$1\r\nk\r\n", "COMMAND", "GETKEYS", "set", "k", "v", "EX", "10");
    EXPECT(cl, "-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "nosuch", "a");
    EXPECT(cl, "-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "config", "foo");
    EXPECT(cl, "-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "ping", "a");
    EXPECT(cl, "-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "config", "get",
           "x");
    EXPECT(cl, "-ERR Invalid number of arguments specified for command\r\n", "COMMAND", "GETKEYS",
           "get", "a", "b");
}

Test(server_cmds, command_getkeysandflags_gives_each_keys_flags)
{
    EXPECT(cl, "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n"
               "*2\r\n+RW\r\n+insert\r\n",
           "COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT");
    /* SET's and BITFIELD's flags follow their arguments; RESP3 gives sets. */
    EXPECT(cl, "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n", "COMMAND",
           "GETKEYSANDFLAGS", "set", "k", "v");
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "*1\r\n*2\r\n$1\r\nk\r\n~3\r\n+RW\r\n+access\r\n+update\r\n", "COMMAND",
           "GETKEYSANDFLAGS", "set", "k", "v", "get");
    EXPECT(cl, "*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+RO\r\n+access\r\n", "COMMAND",
           "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8", "0");
    /* EVAL may have no keys; ZUNIONSTORE may not. */
    EXPECT(cl, "*0\r\n", "COMMAND", "GETKEYSANDFLAGS", "eval", "s", "0");
    EXPECT(cl, "-ERR Invalid arguments specified for command\r\n", "COMMAND", "GETKEYSANDFLAGS",
           "zunionstore", "d", "3", "a");
    EXPECT(cl, "-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYSANDFLAGS",
           "spublish", "ch", "m");
}

Test(server_cmds, command_list_filters)
{
    EXPECT(cl,
           "*6\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n$11\r\nconfig|help\r\n"
           "$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n$10\r\nconfig|set\r\n",
           "COMMAND", "LIST", "FILTERBY", "PATTERN", "CONF*");
    EXPECT(cl, "*0\r\n", "COMMAND", "LIST", "FILTERBY", "MODULE", "x");
    const char *conn = RUN(cl, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "Connection");
    cr_expect(strstr(conn, "$5\r\nhello\r\n") && strstr(conn, "$11\r\nclient|list\r\n") &&
                  !strstr(conn, "$6\r\nclient\r\n"),
              "%s", conn);
    EXPECT(cl, "-ERR syntax error\r\n", "COMMAND", "LIST", "FILTERBY", "FOO", "x");
    EXPECT(cl, "-ERR syntax error\r\n", "COMMAND", "LIST", "x");
}

/* ------------------------------------------------------------------------
 * INFO
 * ------------------------------------------------------------------------ */

Test(server_cmds, info_sections)
{
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1700000000000"); /* avg_ttl stays put */
    EXPECT(cl, "+OK\r\n", "SET", "k", "v", "EX", "100");
    EXPECT(cl, "+OK\r\n", "SET", "j", "v");
    EXPECT(cl, "$61\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=100000,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
    EXPECT(cl, "$0\r\n\r\n", "INFO", "nosuch");
    /* Redis's order, whatever the order asked. */
    EXPECT(cl, "$43\r\n# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n", "INFO",
           "CLUSTER", "modules");
    const char *def = RUN(cl, "INFO");
    cr_expect(strstr(def, "\r\n# Server\r\nredis_version:7.4.0\r\n") != NULL, "%s", def);
    cr_expect(strstr(def, "\r\n# Persistence\r\nloading:0\r\n") != NULL);
    cr_expect(strstr(def, "\r\nconnected_clients:1\r\n") != NULL);
    cr_expect(strstr(def, "# Commandstats") == NULL);
    cr_expect(strstr(def, "# Projects") == NULL);
    const char *all = RUN(cl, "INFO", "all");
    cr_expect(strstr(all, "\r\ncmdstat_set:calls=2,") != NULL, "%s", all);
    cr_expect(strstr(all, "# Projects") == NULL);
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "=65\r\ntxt:# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=100000,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
}

/* avg_ttl is the exact mean of the remaining TTLs (Redis's is a sampled
 * estimate, 0 until its expiry cycle first samples the db). */
Test(server_cmds, info_avg_ttl_is_the_mean_remaining_ttl)
{
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "SET", "1700000000000");
    EXPECT(cl, "+OK\r\n", "SET", "a", "v", "EX", "100");
    EXPECT(cl, "+OK\r\n", "SET", "b", "v", "PX", "300000");
    EXPECT(cl, "$61\r\n# Keyspace\r\ndb0:keys=2,expires=2,avg_ttl=200000,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
    EXPECT(cl, "+OK\r\n", "DEBUG", "CLOCK", "ADVANCE", "50000");
    EXPECT(cl, "$61\r\n# Keyspace\r\ndb0:keys=2,expires=2,avg_ttl=150000,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
    EXPECT(cl, ":1\r\n", "EXPIRE", "a", "250");   /* 250 s from now */
    EXPECT(cl, ":1\r\n", "PERSIST", "b");
    EXPECT(cl, "$61\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=250000,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
    EXPECT(cl, ":1\r\n", "DEL", "a");
    EXPECT(cl, "$56\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n\r\n",
           "INFO", "keyspace");
}

Test(server_cmds, info_commandstats_and_errorstats_count_failures)
{
    RUN(cl, "GET", "a", "b");
    RUN(cl, "SET", "k", "v", "XX", "NX");
    RUN(cl, "NOSUCH");
    RUN(cl, "HELLO", "9");
    EXPECT(cl, "$64\r\n# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_NOPROTO:count=1\r\n\r\n",
           "INFO", "errorstats", "nosuch");
    const char *cs = RUN(cl, "INFO", "commandstats");
    cr_expect(strstr(cs, "\r\ncmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,"
                         "failed_calls=0\r\n") != NULL,
              "%s", cs);
    cr_expect(strstr(cs, "\r\ncmdstat_set:calls=1,") != NULL, "%s", cs);
    cr_expect(strstr(cs, ",rejected_calls=0,failed_calls=1\r\ncmdstat_hello:calls=1,") != NULL,
              "%s", cs);
}

/* ------------------------------------------------------------------------
 * TIME LASTSAVE FUNCTION SHUTDOWN
 * ------------------------------------------------------------------------ */

static int64_t fixed_clock(void *ud)
{
    return *(int64_t *)ud;
}

Test(server_cmds, time_follows_the_store_clock)
{
    int64_t now = 1712345678901;
    respite_set_clock(st, fixed_clock, &now);
    EXPECT(cl, "*2\r\n$10\r\n1712345678\r\n$6\r\n901000\r\n", "TIME");
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "*2\r\n$10\r\n1712345678\r\n$6\r\n901000\r\n", "TIME");
    const char *ls = RUN(cl, "LASTSAVE");
    cr_expect(ls[0] == ':', "%s", ls);
}

Test(server_cmds, function_commands_with_no_libraries)
{
    EXPECT(cl, "*0\r\n", "FUNCTION", "LIST");
    EXPECT(cl, "*0\r\n", "FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x*");
    EXPECT(cl, "-ERR library name argument was not given\r\n", "FUNCTION", "LIST",
           "LIBRARYNAME");
    EXPECT(cl, "-ERR Unknown argument WITHCODE\r\n", "FUNCTION", "LIST", "WITHCODE", "WITHCODE");
    EXPECT(cl, "+OK\r\n", "FUNCTION", "FLUSH", "ASYNC");
    EXPECT(cl, "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n", "FUNCTION", "FLUSH",
           "x");
    EXPECT(cl, "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION "
               "HELP.\r\n",
           "FUNCTION", "FLUSH", "a", "b");
}

static int shutdowns;

static void on_shutdown(void *ud, int flags)
{
    (void)ud;
    (void)flags;
    shutdowns++;
}

Test(server_cmds, shutdown_calls_the_transport_and_replies_nothing)
{
    EXPECT(cl, "-ERR Errors trying to SHUTDOWN. Check logs.\r\n", "SHUTDOWN");
    static const struct respite_hooks hooks = {on_shutdown, NULL};
    respite_set_hooks(st, &hooks, NULL);
    EXPECT(cl, "-ERR No shutdown in progress.\r\n", "SHUTDOWN", "ABORT");
    EXPECT(cl, "-ERR syntax error\r\n", "SHUTDOWN", "ABORT", "NOW");
    EXPECT(cl, "-ERR syntax error\r\n", "SHUTDOWN", "SAVE", "NOSAVE");
    EXPECT(cl, "-ERR syntax error\r\n", "SHUTDOWN", "SOON");
    cr_expect_eq(shutdowns, 0);
    EXPECT(cl, "", "SHUTDOWN", "NOSAVE", "NOW");
    cr_expect_eq(shutdowns, 1);
    cr_expect_eq(respite_client_flags(cl), RESPITE_CLOSE_AFTER_REPLY);
}

/* ------------------------------------------------------------------------
 * PROJECT
 * ------------------------------------------------------------------------ */

/* PROJECT INFO's fields after its four counts, for a project without keys
 * or quotas anywhere. */
#define QUOTA_ZEROS                                                                                \
    "$10\r\ntotal_keys\r\n:0\r\n$11\r\ntotal_bytes\r\n:0\r\n$9\r\nmaxmemory\r\n:0\r\n$7\r\n"       \
    "maxkeys\r\n:0\r\n$6\r\nmaxops\r\n:0\r\n$16\r\ndelayed_commands\r\n:0\r\n$16\r\n"                \
    "refused_commands\r\n:0\r\n"

Test(server_cmds, project_info_reports_the_shard_counters)
{
    EXPECT(cl, "*0\r\n", "PROJECT", "LIST");
    EXPECT(cl, "+OK\r\n", "SET", "project:p1:a", "1");
    EXPECT(cl, "+OK\r\n", "SET", "project:{p1}:b", "2", "EX", "100");
    EXPECT(cl, "+OK\r\n", "SET", "project:p2:c", "3");
    EXPECT(cl, "+OK\r\n", "SET", "global", "4");
    EXPECT(cl, "$1\r\n1\r\n", "GET", "project:p1:a");
    EXPECT(cl, "*2\r\n$2\r\np1\r\n$2\r\np2\r\n", "PROJECT", "LIST");

    struct respite_reply *r =
        respite_command(cl, 3, (const char *[]){"PROJECT", "INFO", "p1"}, NULL);
    cr_assert_eq(r->type, RESPITE_REPLY_ARRAY);
    cr_expect_eq(map_int(r, "keys"), 2);
    cr_expect_gt(map_int(r, "bytes"), 0);
    cr_expect_eq(map_int(r, "expiring_keys"), 1);
    cr_expect_eq(map_int(r, "commands"), 3);
    respite_reply_free(r);

    static const char zeros[] = "*22\r\n$4\r\nkeys\r\n:0\r\n$5\r\nbytes\r\n:0\r\n$13\r\n"
                                "expiring_keys\r\n:0\r\n$8\r\ncommands\r\n:0\r\n" QUOTA_ZEROS;
    EXPECT(cl, zeros, "PROJECT", "INFO", "nope");
    /* Another database has no projects: zeros there, but for the keys and
     * bytes of the project in every database. */
    EXPECT(cl, "+OK\r\n", "SELECT", "1");
    EXPECT(cl, "*0\r\n", "PROJECT", "LIST");
    r = respite_command(cl, 3, (const char *[]){"PROJECT", "INFO", "p1"}, NULL);
    cr_expect_eq(map_int(r, "keys"), 0);
    cr_expect_eq(map_int(r, "bytes"), 0);
    cr_expect_eq(map_int(r, "total_keys"), 2);
    cr_expect_gt(map_int(r, "total_bytes"), 0);
    respite_reply_free(r);
    EXPECT(cl, "+OK\r\n", "SELECT", "0");
    /* Emptied: gone from the list, zeros again. */
    EXPECT(cl, ":2\r\n", "DEL", "project:p1:a", "project:{p1}:b");
    EXPECT(cl, "*1\r\n$2\r\np2\r\n", "PROJECT", "LIST");
    EXPECT(cl, zeros, "PROJECT", "INFO", "p1");
    RUN(cl, "HELLO", "3");
    EXPECT(cl, "%11\r\n$4\r\nkeys\r\n:0\r\n$5\r\nbytes\r\n:0\r\n$13\r\nexpiring_keys\r\n:0\r\n"
               "$8\r\ncommands\r\n:0\r\n" QUOTA_ZEROS,
           "PROJECT", "INFO", "p1");
    const char *info = RUN(cl, "INFO", "projects");
    cr_expect(strstr(info, "# Projects\r\nproject_p2:db=0,keys=1,bytes=") != NULL, "%s", info);
}

/* Command names resolve whatever came before: the name found last is
 * checked first (pipelines repeat one), and a name of the same length, a
 * longer one it begins, or the same in another case each get their own. */
Test(server_cmds, command_names_resolve_the_same_after_any_other)
{
    EXPECT(cl, "+OK\r\n", "SET", "k", "v");
    EXPECT(cl, "$1\r\nv\r\n", "GET", "k");
    EXPECT(cl, "$1\r\nv\r\n", "gEt", "k");
    EXPECT(cl, ":0\r\n", "SETNX", "k", "w");
    EXPECT(cl, "+OK\r\n", "set", "k", "x");
    EXPECT(cl, "-ERR unknown command 'SEX', with args beginning with: 'k' \r\n", "SEX", "k");
    EXPECT(cl, "-ERR unknown command 'GETT', with args beginning with: 'k' \r\n", "GETT", "k");
    EXPECT(cl, "$1\r\nx\r\n", "GET", "k");
    EXPECT(cl, ":1\r\n", "STRLEN", "k");
}
