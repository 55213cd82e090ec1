/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The keyspace as RESP commands, as Redis 7.4's rewriteAppendOnlyFileRio
 * writes an AOF base under aof-use-rdb-preamble no: per non-empty
 * database a SELECT, then per key the commands that rebuild it -- SET;
 * RPUSH, SADD, ZADD and HMSET of at most 64 elements each; PEXPIREAT for
 * a key's deadline, HPEXPIREAT for a field's, and respite's SPEXPIREAT
 * for a set member's; first the function libraries, as FUNCTION LOAD.
 * Scores are written in the shortest form that reads back as the same
 * double. Streams have no RESP form here yet: a keyspace holding one is
 * refused.
 *
 * Written to temp-<pid>.aof beside the target, fsynced, renamed over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds/mem.h"
#include "ds/pack.h"
#include "ds/quicklist.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

#define ITEMS_PER_CMD 64 /* Redis's AOF_REWRITE_ITEMS_PER_CMD */
#define FLUSH_AT (1 << 20)

struct writer {
    int fd; /* write(2), not stdio: the rewrite child allocates nothing through malloc */
    struct rdb_buf b;
    bool io_failed;
    const char *refused;
    const struct shard *sh;
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
        tbl_foreach(&h->t, put_field, &hw);
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
    case OBJ_HASH:
        put_hash(w, entry_ptr(e));
        break;
    case OBJ_SET:
        put_set(w, entry_ptr(e));
        break;
    case OBJ_LIST:
        put_list(w, entry_ptr(e));
        break;
    case OBJ_ZSET:
        put_zset(w, entry_ptr(e));
        break;
    default:
        w->refused = "stream";
        return;
    }
    int64_t when = exp_get(w->sh, e);
    if (when != -1)
        put_deadline(w, "PEXPIREAT", when, NULL, w->key);
    if (w->b.len >= FLUSH_AT)
        flush_out(w);
}

static void put_project(void *ud, const struct ks_proj *p)
{
    struct writer *w = ud;
    w->sh = p->sh;
    ks_proj_foreach(p, put_key, w);
}

static void put_function(void *ud, const char *code, size_t len)
{
    struct writer *w = ud;
    rdb_put_resp_array(&w->b, 3);
    rdb_put_resp_bulk(&w->b, "FUNCTION", 8);
    rdb_put_resp_bulk(&w->b, "LOAD", 4);
    rdb_put_resp_bulk(&w->b, code, len);
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
    struct writer w = {.fd = fd};
    if (hooks && hooks->each_function)
        hooks->each_function(st, put_function, &w);
    for (int i = 0; i < st->ndbs && !w.refused; i++) {
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
    bool ok = !w.refused && !w.io_failed && fsync(fd) == 0;
    int saved_errno = errno;
    ok = close(fd) == 0 && ok;
    rs_free(w.b.p);
    rs_free(w.args.p);
    if (ok && rename(tmp, path) == 0)
        return 0;
    saved_errno = ok ? errno : saved_errno;
    unlink(tmp);
    if (w.refused)
        snprintf(err, errlen, "AOF rewriting of %s values without an RDB preamble is not "
                              "implemented yet", w.refused);
    else
        snprintf(err, errlen, "Write error writing the AOF base: %s", strerror(saved_errno));
    return -1;
}
