/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The keyspace as RESP commands, as Redis 7.4's rewriteAppendOnlyFileRio
 * writes an AOF base under aof-use-rdb-preamble no: per non-empty
 * database a SELECT, then per key the commands that rebuild it -- SET;
 * RPUSH, SADD, ZADD and HMSET of at most 64 elements each; PEXPIREAT for
 * a key's deadline, HPEXPIREAT for a field's, and respite's SPEXPIREAT
 * for a set member's; first the function libraries, as FUNCTION LOAD,
 * and the project quotas, as PROJECT QUOTA.
 * Scores are written in the shortest form that reads back as the same
 * double. Streams as XADD, XSETID, XGROUP and XCLAIM (put_stream).
 *
 * Written to temp-<pid>.aof beside the target, fsynced, renamed over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds/mem.h"
#include "ds/pack.h"
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "ds/stream.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

#define ITEMS_PER_CMD 64 /* Redis's AOF_REWRITE_ITEMS_PER_CMD */
#define FLUSH_AT (64 << 10)

struct writer {
    int fd; /* write(2), not stdio: the rewrite child allocates nothing through malloc */
    struct rdb_buf b;
    bool io_failed;
    const struct shard *sh;
    struct store *st;
    const struct rdb_hooks *hooks;
    uint64_t nkeys; /* keys written, for hooks->save_progress */
    struct rs_str key;
    /* the command being filled with elements (cmd_begin, cmd_add) */
    const char *cmd;
    struct rdb_buf args; /* the elements' RESP */
    int nargs;
};

static void flush_out(struct writer *w)
{
    if (w->b.len && !w->io_failed && !rdb_write_all(w->fd, w->b.p, w->b.len))
        w->io_failed = true;
    w->b.len = 0;
}

/* name key ... element pairs or singles, ITEMS_PER_CMD elements a command. */
static void cmd_end(struct writer *w)
{
    if (w->nargs == 0)
        return;
    rdb_put_resp_array(&w->b, 2 + w->nargs);
    rdb_put_resp_bulk(&w->b, w->cmd, strlen(w->cmd));
    rdb_put_resp_bulk(&w->b, w->key.p, w->key.len);
    rdb_put_raw(&w->b, w->args.p, w->args.len);
    w->args.len = 0;
    w->nargs = 0;
    if (w->b.len >= FLUSH_AT)
        flush_out(w);
}

static void cmd_begin(struct writer *w, const char *cmd)
{
    w->cmd = cmd;
    w->nargs = 0;
    w->args.len = 0;
}

/* One element: a, or the pair a b. */
static void cmd_add(struct writer *w, struct rs_str a, const struct rs_str *b)
{
    rdb_put_resp_bulk(&w->args, a.p, a.len);
    w->nargs++;
    if (b) {
        rdb_put_resp_bulk(&w->args, b->p, b->len);
        w->nargs++;
    }
    if (w->nargs >= ITEMS_PER_CMD * (b ? 2 : 1))
        cmd_end(w);
}

/* PEXPIREAT-shaped: cmd key when [kw 1 name] */
static void put_deadline(struct writer *w, const char *cmd, int64_t when, const char *kw,
                         struct rs_str name)
{
    char num[RESP_LL_STR_SIZE];
    size_t n = resp_ll2str(num, when);
    rdb_put_resp_array(&w->b, kw ? 6 : 3);
    rdb_put_resp_bulk(&w->b, cmd, strlen(cmd));
    rdb_put_resp_bulk(&w->b, w->key.p, w->key.len);
    rdb_put_resp_bulk(&w->b, num, n);
    if (kw) {
        rdb_put_resp_bulk(&w->b, kw, strlen(kw));
        rdb_put_resp_bulk(&w->b, "1", 1);
        rdb_put_resp_bulk(&w->b, name.p, name.len);
    }
}

/* ---- values ---------------------------------------------------------------- */

struct ttl_names {
    struct rs_str *names;
    int64_t *when;
    size_t n, cap;
};

static void note_ttl(struct ttl_names *t, struct rs_str name, int64_t when)
{
    if (when == -1)
        return;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->names = rs_realloc(t->names, t->cap * sizeof *t->names);
        t->when = rs_realloc(t->when, t->cap * sizeof *t->when);
    }
    t->names[t->n] = name;
    t->when[t->n++] = when;
}

struct hash_walk {
    struct writer *w;
    const struct subttl *ttl;
    struct ttl_names *t;
};

static void put_field(void *ud, struct entry *e)
{
    struct hash_walk *hw = ud;
    struct rs_str v = field_val(e);
    cmd_add(hw->w, field_key(e), &v);
    note_ttl(hw->t, field_key(e), e->exp_idx == EXP_NONE ? -1 : subttl_get(hw->ttl, e));
}

static void put_hash(struct writer *w, struct hash *h)
{
    struct ttl_names t = {0};
    cmd_begin(w, "HMSET");
    if (h->pk) {
        for (uint32_t off = 0; off < h->pk->len;) {
            struct rs_str f, v;
            int64_t when;
            off = packed_field(h->pk, h->per, off, &f, &v, &when);
            cmd_add(w, f, &v);
            note_ttl(&t, f, when);
        }
    } else {
        struct hash_walk hw = {w, h->ttl, &t};
        tbl_walk(h->t, put_field, &hw);
    }
    cmd_end(w);
    /* After the fields: the slices point into the hash, which stays put. */
    for (size_t i = 0; i < t.n; i++)
        put_deadline(w, "HPEXPIREAT", t.when[i], "FIELDS", t.names[i]);
    rs_free(t.names);
    rs_free(t.when);
}

struct set_walk {
    struct writer *w;
    struct rset *s;
    bool ttls;
};

/* Members are formatted into a buffer of set_foreach's (intsets): each
 * member's deadline is written at once, after its SADD. */
static bool put_member(void *ud, struct rs_str m)
{
    struct set_walk *sw = ud;
    cmd_add(sw->w, m, NULL);
    if (sw->ttls) {
        bool found;
        int64_t when = set_member_ttl(sw->s, m, &found);
        if (when != -1) {
            cmd_end(sw->w);
            put_deadline(sw->w, "SPEXPIREAT", when, "MEMBERS", m);
        }
    }
    return true;
}

static void put_set(struct writer *w, struct rset *s)
{
    struct set_walk sw = {w, s, set_next_deadline(s) != -1};
    cmd_begin(w, "SADD");
    set_foreach(s, put_member, &sw);
    cmd_end(w);
}

static void put_list(struct writer *w, const struct quicklist *ql)
{
    cmd_begin(w, "RPUSH");
    for (const struct ql_node *nd = ql->head; nd; nd = nd->next) {
        struct ql_pos pos = {(struct ql_node *)nd, nd->head};
        for (uint32_t i = 0; i < nd->n; i++) {
            bool more;
            cmd_add(w, ql_read(&pos, &more), NULL);
        }
    }
    cmd_end(w);
}

static void put_zset(struct writer *w, const struct rzset *z)
{
    cmd_begin(w, "ZADD");
    uint64_t n = zset_len(z);
    struct zset_it it;
    for (zset_it_rank(&it, z, 0, false); n && it.ok; zset_it_next(&it)) {
        char num[RESP_D_STR_SIZE];
        struct rs_str score = rs_str_from(num, resp_d2str(num, sizeof num, zset_it_score(&it)));
        struct rs_str m = zset_it_member(&it);
        cmd_add(w, score, &m);
    }
    cmd_end(w);
}

/* cmd [sub] key words[0..n) */
static void put_cmd(struct writer *w, const char *cmd, const char *sub,
                    const struct rs_str *words, int n)
{
    rdb_put_resp_array(&w->b, 2 + (sub ? 1 : 0) + n);
    rdb_put_resp_bulk(&w->b, cmd, strlen(cmd));
    if (sub)
        rdb_put_resp_bulk(&w->b, sub, strlen(sub));
    rdb_put_resp_bulk(&w->b, w->key.p, w->key.len);
    for (int i = 0; i < n; i++)
        rdb_put_resp_bulk(&w->b, words[i].p, words[i].len);
}

/* A stream as Redis 7.4's rewriteStreamObject writes it: an XADD per entry
 * (an empty stream: XADD key MAXLEN 0 0-1 x y), XSETID with the last ID,
 * entries added and largest deleted ID; per group XGROUP CREATE with its
 * last ID and entries read, then per consumer XGROUP CREATECONSUMER when
 * its PEL is empty, else an XCLAIM ... JUSTID FORCE of each of its pending
 * entries with their delivery time and count. */
static void put_stream(struct writer *w, const struct stream *s)
{
    char id[SID_STR_SIZE], id2[SID_STR_SIZE], n1[RESP_LL_STR_SIZE], n2[RESP_LL_STR_SIZE];
#define ID(buf, x) rs_str_from(buf, sid_format(x, buf))
#define NUM(buf, x) rs_str_from(buf, resp_ll2str(buf, (long long)(x)))
    if (s->e.length) {
        struct siter it;
        struct sentry se;
        siter_start(&it, &s->e, (struct sid){0, 0}, SID_MAX, false);
        while (siter_next(&it, &se)) {
            rdb_put_resp_array(&w->b, 3 + 2 * se.nfields);
            rdb_put_resp_bulk(&w->b, "XADD", 4);
            rdb_put_resp_bulk(&w->b, w->key.p, w->key.len);
            struct rs_str sid = ID(id, se.id);
            rdb_put_resp_bulk(&w->b, sid.p, sid.len);
            const uint8_t *fp = se.fields, *vp = se.values;
            for (uint32_t j = 0; j < se.nfields; j++) {
                struct rs_str f = sentry_str(&fp), v = sentry_str(&vp);
                rdb_put_resp_bulk(&w->b, f.p, f.len);
                rdb_put_resp_bulk(&w->b, v.p, v.len);
            }
            if (w->b.len >= FLUSH_AT)
                flush_out(w);
        }
    } else {
        const struct rs_str empty[] = {rs_str_from("MAXLEN", 6), rs_str_from("0", 1),
                                       rs_str_from("0-1", 3), rs_str_from("x", 1),
                                       rs_str_from("y", 1)};
        put_cmd(w, "XADD", NULL, empty, 5);
    }
    const struct rs_str setid[] = {ID(id, s->last_id), rs_str_from("ENTRIESADDED", 12),
                                   NUM(n1, s->entries_added), rs_str_from("MAXDELETEDID", 12),
                                   ID(id2, s->max_deleted)};
    put_cmd(w, "XSETID", NULL, setid, 5);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct sgroup *g = s->groups[i];
        struct rs_str gname = rs_str_from(g->name.p, g->name.len);
        const struct rs_str create[] = {gname, ID(id, g->last_id), rs_str_from("ENTRIESREAD", 11),
                                        NUM(n1, g->entries_read)};
        put_cmd(w, "XGROUP", "CREATE", create, 4);
        for (size_t j = 0; j < g->ncons; j++) {
            const struct sconsumer *c = g->cons[j];
            struct rs_str cname = rs_str_from(c->name.p, c->name.len);
            if (c->pel.size == 0) {
                const struct rs_str cc[] = {gname, cname};
                put_cmd(w, "XGROUP", "CREATECONSUMER", cc, 2);
                continue;
            }
            for (const struct idmap_node *n = c->pel.head->next[0]; n; n = n->next[0]) {
                const struct snack *k = n->val;
                const struct rs_str claim[] = {
                    gname, cname, rs_str_from("0", 1), ID(id, n->id), rs_str_from("TIME", 4),
                    NUM(n1, k->delivery_time), rs_str_from("RETRYCOUNT", 10),
                    NUM(n2, k->delivery_count), rs_str_from("JUSTID", 6), rs_str_from("FORCE", 5)};
                put_cmd(w, "XCLAIM", NULL, claim, 10);
                if (w->b.len >= FLUSH_AT)
                    flush_out(w);
            }
        }
    }
#undef ID
#undef NUM
}

static void put_key(void *ud, struct entry *e)
{
    struct writer *w = ud;
    w->key = rs_str_from(entry_key(e), e->klen);
    char num[RESP_LL_STR_SIZE];
    switch (e->type) {
    case OBJ_STRING: {
        struct rs_str v = obj_str(e, num);
        rdb_put_resp_array(&w->b, 3);
        rdb_put_resp_bulk(&w->b, "SET", 3);
        rdb_put_resp_bulk(&w->b, w->key.p, w->key.len);
        rdb_put_resp_bulk(&w->b, v.p, v.len);
        break;
    }
    case OBJ_HASH: {
        struct hash view;
        put_hash(w, hash_of(e, &view));
        break;
    }
    case OBJ_SET: {
        struct rset view;
        put_set(w, set_of(e, &view));
        break;
    }
    case OBJ_LIST: {
        struct quicklist view;
        put_list(w, list_get(e, &view));
        break;
    }
    case OBJ_ZSET:
        put_zset(w, entry_ptr(e));
        break;
    default:
        put_stream(w, entry_ptr(e));
        break;
    }
    int64_t when = exp_get(w->sh, e);
    if (when != -1)
        put_deadline(w, "PEXPIREAT", when, NULL, w->key);
    if (w->b.len >= FLUSH_AT)
        flush_out(w);
    if (++w->nkeys % RDB_PROGRESS_KEYS == 0 && w->hooks && w->hooks->save_progress)
        w->hooks->save_progress(w->st, w->nkeys);
}

static void put_project(void *ud, const struct ks_proj *p)
{
    struct writer *w = ud;
    w->sh = p->sh;
    ks_proj_walk(p, put_key, w);
}

static void put_function(void *ud, const char *code, size_t len)
{
    struct writer *w = ud;
    rdb_put_resp_array(&w->b, 3);
    rdb_put_resp_bulk(&w->b, "FUNCTION", 8);
    rdb_put_resp_bulk(&w->b, "LOAD", 4);
    rdb_put_resp_bulk(&w->b, code, len);
}

/* PROJECT QUOTA id MAXMEMORY m MAXKEYS k MAXOPS o: a project's quotas. */
static void put_quota(void *ud, struct ks_quota *q)
{
    struct writer *w = ud;
    const char *const names[3] = {"MAXMEMORY", "MAXKEYS", "MAXOPS"};
    const uint64_t v[3] = {q->maxmemory, q->maxkeys, q->maxops};
    rdb_put_resp_array(&w->b, 9);
    rdb_put_resp_bulk(&w->b, "PROJECT", 7);
    rdb_put_resp_bulk(&w->b, "QUOTA", 5);
    rdb_put_resp_bulk(&w->b, q->id, q->idlen);
    for (int i = 0; i < 3; i++) {
        char num[24];
        int n = snprintf(num, sizeof num, "%" PRIu64, v[i]);
        rdb_put_resp_bulk(&w->b, names[i], strlen(names[i]));
        rdb_put_resp_bulk(&w->b, num, (size_t)n);
    }
}

int resp_save(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
              size_t errlen)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    snprintf(tmp, sizeof tmp, "%.*stemp-%d.aof", dirlen, path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "Failed opening the temp AOF file %s: %s", tmp, strerror(errno));
        return -1;
    }
    struct writer w = {.fd = fd, .st = st, .hooks = hooks};
    if (hooks && hooks->each_function)
        hooks->each_function(st, put_function, &w);
    ks_quota_foreach(st, put_quota, &w);
    for (int i = 0; i < st->ndbs; i++) {
        struct db *db = st->dbs[i];
        if (ks_db_size(db) == 0)
            continue;
        char num[16];
        int n = snprintf(num, sizeof num, "%d", i);
        rdb_put_resp_array(&w.b, 2);
        rdb_put_resp_bulk(&w.b, "SELECT", 6);
        rdb_put_resp_bulk(&w.b, num, (size_t)n);
        ks_foreach_project(db, true, put_project, &w);
    }
    flush_out(&w);
    bool ok = !w.io_failed && fsync(fd) == 0;
    int saved_errno = errno;
    ok = close(fd) == 0 && ok;
    rs_free(w.b.p);
    rs_free(w.args.p);
    if (ok && rename(tmp, path) == 0)
        return 0;
    saved_errno = ok ? errno : saved_errno;
    unlink(tmp);
    snprintf(err, errlen, "Write error writing the AOF base: %s", strerror(saved_errno));
    return -1;
}
