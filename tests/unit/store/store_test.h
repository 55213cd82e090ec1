/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Helpers of the store's unit tests: an in-process store on a fake clock,
 * one client on it, and commands run from a line of space-separated words
 * whose raw RESP reply is compared with an expected literal. Each test file
 * includes this once; Criterion runs every test in its own process.
 */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chisq.h"
#include "keyspace/keyspace.h"
#include "respite.h"

/* 2033-05-18, a fixed point in time: tests move it by hand. */
#define T0 2000000000000LL

static int64_t fake_now;
static struct respite *rs;
static struct respite_client *cl;

static int64_t fake_clock(void *ud)
{
    return *(int64_t *)ud;
}

static void store_setup(void)
{
    char err[256];
    rs = respite_open(NULL, 0, err, sizeof err);
    cr_assert_not_null(rs, "respite_open: %s", err);
    fake_now = T0;
    respite_set_clock(rs, fake_clock, &fake_now);
    cl = respite_client_new(rs);
}

static void store_teardown(void)
{
    respite_client_free(cl);
    respite_close(rs);
}

/* The store's internals, for checks the protocol cannot see. */
static inline struct store *st_int(void)
{
    return (struct store *)rs;
}

/* Whether db has a project of id (an empty one included). */
static inline bool has_project(struct db *db, struct rs_str id)
{
    struct ks_proj p;
    return ks_project(db, id, &p);
}

/* The project of id in db, which must exist. */
static inline struct ks_proj project_in(struct db *db, struct rs_str id)
{
    struct ks_proj p;
    cr_assert(ks_project(db, id, &p), "no project %.*s", (int)id.len, id.p);
    return p;
}

static inline uint64_t project_keys(struct db *db, struct rs_str id)
{
    struct ks_proj p = project_in(db, id);
    return ks_proj_keys(&p);
}

static inline uint64_t project_bytes(struct db *db, struct rs_str id)
{
    struct ks_proj p = project_in(db, id);
    return ks_proj_bytes(&p);
}

static inline uint64_t project_expiring(struct db *db, struct rs_str id)
{
    struct ks_proj p = project_in(db, id);
    return ks_proj_expiring(&p);
}

/* Run argv and return the raw reply (valid until the next command). */
static inline const char *runv(int argc, const char *const *argv, size_t *len)
{
    return respite_exec(cl, argc, argv, NULL, len);
}

/* Run a command given as space-separated words (no quoting). */
static inline const char *run(const char *line)
{
    char buf[4096];
    const char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *w = strtok(buf, " "); w && argc < 64; w = strtok(NULL, " "))
        argv[argc++] = w;
    size_t len;
    return runv(argc, argv, &len);
}

#define expect_reply(line, want)                                                                 \
    do {                                                                                         \
        const char *got_ = run(line);                                                            \
        cr_expect_str_eq(got_, want, "%s", line);                                                \
    } while (0)

/* An integer reply's value. */
static inline long long run_int(const char *line)
{
    const char *r = run(line);
    cr_assert_eq(r[0], ':', "%s: not an integer: %s", line, r);
    return atoll(r + 1);
}

/* Fix the store's seeds (hash tables', random picks') so a statistical
 * test draws the same numbers every run; before any key is made. */
static inline void seed_store(uint64_t seed)
{
    st_int()->seed = seed;
    st_int()->rng = (struct rng){1, seed};
}

/* Run "<cmd> <key> m0 ... m<n-1>" (with pairs, "m<i> v<i>" each: HSET). */
static inline void run_members(const char *cmd, const char *key, int n, bool pairs)
{
    static char words[2 * 1000][16];
    static const char *argv[2 + 2 * 1000];
    cr_assert_leq(n, 1000);
    int argc = 0;
    argv[argc++] = cmd;
    argv[argc++] = key;
    for (int i = 0; i < n; i++) {
        snprintf(words[2 * i], 16, "m%d", i);
        argv[argc++] = words[2 * i];
        if (pairs) {
            snprintf(words[2 * i + 1], 16, "v%d", i);
            argv[argc++] = words[2 * i + 1];
        }
    }
    size_t len;
    cr_assert_neq(runv(argc, argv, &len)[0], '-', "%s %s", cmd, key);
}

/* Count the picks in a reply of random members or keys: a bulk, or a flat
 * array of bulks (RESP2), each counted at hits[<number after its one-byte
 * prefix> % ncells] when its prefix is `prefix` (so the values of
 * WITHVALUES, "v<i>", are skipped). Returns how many were counted. */
static inline const char *past_crlf(const char *r)
{
    while (*r++ != '\n') /* not strstr: ASan's measures the whole reply each call */
        ;
    return r;
}

static inline uint64_t count_picks(const char *r, char prefix, uint64_t *hits, int ncells)
{
    long n = 1;
    if (*r == '*') {
        n = strtol(r + 1, NULL, 10);
        r = past_crlf(r);
    }
    uint64_t counted = 0;
    for (long i = 0; i < n; i++) {
        cr_assert_eq(*r, '$', "not a bulk: %.20s", r);
        long len = strtol(r + 1, NULL, 10);
        r = past_crlf(r);
        const char *at = r;
        for (long j = 0; j < len; j++) /* project:<p>:<prefix><i> */
            if (r[j] == ':')
                at = r + j + 1;
        if (*at == prefix) {
            hits[atoi(at + 1) % ncells]++;
            counted++;
        }
        r += len + 2;
    }
    return counted;
}

/* Run `line` rounds times, refilling set s with `after` ("SADD", or NULL)
 * after each, and
 * assert that the picks its replies hold (count_picks with prefix, of
 * names numbered below n, n 10 or 100) pass the chi-square bound a uniform
 * pick passes with probability 0.9999. */
static inline void check_uniform(const char *line, char prefix, int n, int rounds,
                                 const char *after)
{
    uint64_t hits[100] = {0};
    cr_assert(n == 10 || n == 100);
    for (int i = 0; i < rounds; i++) {
        count_picks(run(line), prefix, hits, n);
        if (after)
            run_members(after, "s", n, false);
    }
    double x = chi_square(hits, n);
    cr_assert_lt(x, n == 10 ? CHISQ_P0001_DF9 : CHISQ_P0001_DF99, "%s over %d: chi-square %.1f",
                 line, n, x);
}

/* key made anew as a hash table of n members m<i> by `add` (SADD, or HSET
 * with values v<i> when pairs), after `config` ("CONFIG SET ..." that makes
 * any such value a table). */
static inline void table_value(const char *config, const char *add, const char *key, int n,
                               bool pairs)
{
    char line[128];
    expect_reply(config, "+OK\r\n");
    snprintf(line, sizeof line, "DEL %s", key);
    run(line);
    run_members(add, key, n, pairs);
    snprintf(line, sizeof line, "OBJECT ENCODING %s", key);
    cr_assert_str_eq(run(line), "$9\r\nhashtable\r\n");
}

/* Parse a SCAN reply: the next cursor in *cursor, the keys (each under 64
 * bytes, at most max of them) in keys; returns how many. */
static inline int parse_scan(const char *r, unsigned long long *cursor, char keys[][64], int max)
{
    int len, n;
    cr_assert_eq(sscanf(r, "*2\r\n$%d\r\n%llu\r\n*%d\r\n", &len, cursor, &n), 3, "%s", r);
    const char *p = strstr(r + 4, "\r\n*") + 3;
    p = strstr(p, "\r\n") + 2;
    cr_assert_leq(n, max);
    for (int i = 0; i < n; i++) {
        int kl;
        cr_assert_eq(sscanf(p, "$%d\r\n", &kl), 1);
        p = strstr(p, "\r\n") + 2;
        cr_assert_lt(kl, 64);
        memcpy(keys[i], p, (size_t)kl);
        keys[i][kl] = '\0';
        p += kl + 2;
    }
    return n;
}

#endif
