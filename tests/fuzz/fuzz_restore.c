/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer target for RESTORE payloads, so for the RDB value reader
 * (keyspace/rdb_load.c, rdb.c) that files and RESTORE share. The input is
 * a payload's body -- its RDB type byte and value -- to which the target
 * adds a good footer (RDB version 12, CRC-64), so the fuzzer spends its
 * time past the checksum. It runs RESTORE on an in-process store; the
 * reply must be OK or "Bad data format". A value it accepted is then used:
 * read whole by its type's commands, changed by a write that appends or
 * removes, DUMPed, and that payload must RESTORE again (a value respite
 * keeps is always one it can write and read back). ASan and UBSan watch the
 * rest: a corrupt payload must never crash, read out of bounds or leak.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ds/crc64.h"
#include "respite.h"

static struct respite *rs;
static struct respite_client *cl;

/* Run argv (NUL-terminated words but for a binary last argument of
 * lastlen bytes when lastlen != (size_t)-1); the reply's bytes in *len. */
static const char *run(int argc, const char *const *argv, size_t lastlen, size_t *len)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (lastlen != (size_t)-1)
        lens[argc - 1] = lastlen;
    return respite_exec(cl, argc, argv, lens, len);
}

/* Run the NULL-terminated words of w. */
static const char *run_words(const char *const *w, size_t *len)
{
    int argc = 0;
    while (w[argc])
        argc++;
    return run(argc, w, (size_t)-1, len);
}

static bool reply_is(const char *r, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(r, want, len) == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    rs = respite_open(NULL, 0, err, sizeof err);
    CHECK(rs != NULL);
    cl = respite_client_new(rs);
    return 0;
}

/* Reads and writes of the value at k, for each type (the others answer
 * WRONGTYPE); replies are not checked, only that they run. */
static void use_value(void)
{
    static const char *const cmds[][6] = {
        {"LRANGE", "k", "0", "-1"},      {"LPOP", "k"},          {"RPUSH", "k", "x"},
        {"HGETALL", "k"},                {"HSET", "k", "f", "v"}, {"HDEL", "k", "f"},
        {"SMEMBERS", "k"},               {"SADD", "k", "m"},      {"SREM", "k", "1"},
        {"ZRANGE", "k", "0", "-1"},      {"ZADD", "k", "1", "m"}, {"ZREM", "k", "a"},
        {"XRANGE", "k", "-", "+"},       {"XREVRANGE", "k", "+", "-"},
        {"XADD", "k", "*", "f", "v"},    {"XINFO", "STREAM", "k", "FULL"},
        {"XINFO", "GROUPS", "k"},        {"XTRIM", "k", "MAXLEN", "3"},
        {"GET", "k"},                    {"STRLEN", "k"},
    };
    size_t len;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        run_words(cmds[i], &len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size + 10);
    if (size)
        memcpy(p, data, size);
    p[size] = 12;
    p[size + 1] = 0;
    uint64_t crc = crc64(0, p, size + 2);
    for (int i = 0; i < 8; i++)
        p[size + 2 + i] = (uint8_t)(crc >> (8 * i));
    const char *argv[] = {"RESTORE", "k", "0", (const char *)p};
    size_t len;
    const char *r = run(4, argv, size + 10, &len);
    free(p);
    bool ok = reply_is(r, len, "+OK\r\n");
    CHECK(ok || reply_is(r, len, "-ERR Bad data format\r\n"));
    if (ok) {
        /* what respite accepted, it writes, and reads back */
        static const char *const dump_k[] = {"DUMP", "k", NULL};
        r = run_words(dump_k, &len);
        CHECK(len > 0 && r[0] == '$');
        char *end;
        long n = strtol(r + 1, &end, 10);
        CHECK(n >= 10 && end[0] == '\r');
        char *dump = malloc((size_t)n);
        memcpy(dump, end + 2, (size_t)n);
        const char *again[] = {"RESTORE", "k2", "0", dump};
        r = run(4, again, (size_t)n, &len);
        CHECK(reply_is(r, len, "+OK\r\n"));
        free(dump);
        use_value();
    }
    static const char *const flush[] = {"FLUSHALL", NULL};
    run_words(flush, &len);
    return 0;
}
