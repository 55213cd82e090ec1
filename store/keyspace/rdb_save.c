/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Writing the keyspace as an RDB file, version 12, as Redis 7.4's
 * rdbSaveRio: the magic "REDIS0012", aux fields (and one of ours per
 * project quota, KS_QUOTA_AUX), then for each non-empty
 * database its selector and resize hint and its keys (a deadline opcode
 * before a key with a TTL, the value's type, the key, the value), EOF and
 * the CRC-64 of everything before it (0 under rdbchecksum no). Each value
 * keeps its encoding's RDB type, so Redis 7.4 loads it in the same
 * encoding: listpacks as Redis listpacks, tables as plain lengths and
 * strings, lists as quicklist v2 nodes, hash field TTLs as 7.4's
 * listpackex and metadata types, streams as 7.4's STREAM_LISTPACKS_3
 * (each node as Redis's listpack of it, so the bytes are Redis's). A set
 * with member TTLs has no Redis type: RDB_TYPE_RESPITE_SET_TTL (rdb.h).
 *
 * The file is written to temp-<pid>.rdb in the same directory, flushed,
 * fsync'd and renamed over the target, so a crash never leaves a torn
 * dump.rdb. Synchronous: the caller waits for the whole file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds/crc64.h"
#include "ds/intset.h"
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

/* The buffer goes to the file once it holds this much: small, since in a
 * fork's child its pages are the child's own (rdb_last_cow_size; 1 MB
 * grew to 4 MB of them with its doublings). */
#define FLUSH_AT (64 << 10)

struct saver {
    struct store *st;
    int fd; /* write(2), not stdio: a BGSAVE child allocates nothing through malloc */
    struct rdb_buf b;
    uint64_t crc;
    bool io_failed;         /* a write failed; errno tells why */
    const struct shard *sh; /* the shard whose keys are being visited */
    const struct rdb_hooks *hooks;
    uint64_t nkeys;         /* keys written, for hooks->save_progress */
};

size_t rdb_write(int fd, const void *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    return done;
}

static void flush_buf(struct saver *sv)
{
    if (sv->b.len == 0)
        return;
    sv->crc = crc64(sv->crc, sv->b.p, sv->b.len);
    if (!sv->io_failed && !rdb_write_all(sv->fd, sv->b.p, sv->b.len))
        sv->io_failed = true;
    sv->b.len = 0;
}

static void put_str(struct rdb_buf *b, struct rs_str s)
{
    rdb_put_string(b, s.p, s.len);
}

/* A listpack blob as an RDB string, and free it. */
static void put_lp(struct rdb_buf *b, struct rdb_lp *lp)
{
    rdb_lp_end(lp);
    rdb_put_string(b, (const char *)lp->b.p, lp->b.len);
    rs_free(lp->b.p);
}

static void put_aux(struct rdb_buf *b, const char *name, const char *value)
{
    rdb_put_type(b, RDB_OPCODE_AUX);
    rdb_put_string(b, name, strlen(name));
    rdb_put_string(b, value, strlen(value));
}

/* A project's quotas as an aux field of ours, which Redis skips. */
static void put_quota(void *ud, struct ks_quota *q)
{
    char *v = rs_malloc(q->idlen + 64);
    size_t n = ks_quota_aux(q, v, q->idlen + 64);
    rdb_put_type(ud, RDB_OPCODE_AUX);
    rdb_put_string(ud, KS_QUOTA_AUX, strlen(KS_QUOTA_AUX));
    rdb_put_string(ud, v, n);
    rs_free(v);
}

/* ---- values ------------------------------------------------------------- */

struct field_walk {
    struct rdb_buf *b;
    const struct subttl *ttl;
    int64_t min;      /* the earliest deadline: they are saved relative to it */
    bool with_value;  /* hash fields; set members have none */
};

static void put_ttl_field(void *ud, struct entry *e)
{
    struct field_walk *w = ud;
    int64_t when = e->exp_idx == EXP_NONE ? -1 : subttl_get(w->ttl, e);
    if (w->min != -1)
        rdb_put_len(w->b, when == -1 ? 0 : (uint64_t)(when - w->min) + 1);
    put_str(w->b, field_key(e));
    if (w->with_value)
        put_str(w->b, field_val(e));
}

/* The type byte of a hash: its listpack form, with field TTLs 7.4's
 * listpackex, or its table form, with field TTLs 7.4's metadata type. */
static uint8_t hash_type(const struct hash *h)
{
    bool ttl = hash_next_deadline(h) != -1;
    if (h->pk)
        return ttl ? RDB_TYPE_HASH_LISTPACK_EX : RDB_TYPE_HASH_LISTPACK;
    return ttl ? RDB_TYPE_HASH_METADATA : RDB_TYPE_HASH;
}

static void put_hash_value(struct rdb_buf *b, struct hash *h)
{
    int64_t min = hash_next_deadline(h);
    if (min != -1)
        rdb_put_u64le(b, (uint64_t)min);
    if (h->pk) {
        struct rdb_lp lp;
        /* an element takes a byte more in a listpack (its back length) */
        rdb_lp_begin(&lp, h->pk->len + h->pk->n);
        for (uint32_t off = 0; off < h->pk->len;) {
            struct rs_str f, v;
            int64_t when;
            off = packed_field(h->pk, h->per, off, &f, &v, &when);
            rdb_lp_add(&lp, f.p, f.len);
            rdb_lp_add(&lp, v.p, v.len);
            if (min != -1)
                rdb_lp_add_int(&lp, when == -1 ? 0 : when);
        }
        put_lp(b, &lp);
        return;
    }
    rdb_put_len(b, tbl_count(h->t));
    struct field_walk w = {b, h->ttl, min, true};
    tbl_walk(h->t, put_ttl_field, &w);
}

static uint8_t set_type(const struct rset *s)
{
    if (set_next_deadline(s) != -1)
        return RDB_TYPE_RESPITE_SET_TTL;
    return s->enc == SENC_INTSET ? RDB_TYPE_SET_INTSET
           : s->enc == SENC_LISTPACK ? RDB_TYPE_SET_LISTPACK
                                     : RDB_TYPE_SET;
}

static void put_set_value(struct rdb_buf *b, struct rset *s)
{
    int64_t min = set_next_deadline(s);
    if (min != -1)
        rdb_put_u64le(b, (uint64_t)min);
    if (s->enc == SENC_INTSET) {
        const struct intset *is = s->is;
        /* ascending: the ends decide the width */
        int64_t lo = is->n ? is->v[0] : 0, hi = is->n ? is->v[is->n - 1] : 0;
        uint32_t width = lo < INT32_MIN || hi > INT32_MAX   ? 8
                         : lo < INT16_MIN || hi > INT16_MAX ? 4
                                                            : 2;
        struct rdb_buf blob = {0};
        rdb__grow(&blob, 8 + (size_t)is->n * width); /* once */
        uint8_t *w = blob.p;
        for (int i = 0; i < 4; i++) {
            w[i] = (uint8_t)(width >> (8 * i));
            w[4 + i] = (uint8_t)(is->n >> (8 * i));
        }
        w += 8;
        for (uint32_t i = 0; i < is->n; i++, w += width)
            for (uint32_t k = 0; k < width; k++)
                w[k] = (uint8_t)((uint64_t)is->v[i] >> (8 * k));
        blob.len = (size_t)(w - blob.p);
        rdb_put_string(b, (const char *)blob.p, blob.len);
        rs_free(blob.p);
        return;
    }
    if (s->enc == SENC_LISTPACK) {
        struct rdb_lp lp;
        if (min == -1)
            rdb_lp_begin(&lp, s->lp->len + s->lp->n);
        else
            rdb_put_len(b, s->lp->n / s->per);
        for (uint32_t off = 0; off < s->lp->len;) {
            struct rs_str m = pack_get(s->lp, off, &off);
            int64_t when = -1;
            if (s->per == 2)
                when = packex_deadline(pack_get(s->lp, off, &off));
            if (min == -1) {
                rdb_lp_add(&lp, m.p, m.len);
            } else {
                rdb_put_len(b, when == -1 ? 0 : (uint64_t)(when - min) + 1);
                put_str(b, m);
            }
        }
        if (min == -1)
            put_lp(b, &lp);
        return;
    }
    rdb_put_len(b, tbl_count(s->ht));
    struct field_walk w = {b, s->ttl, min, false};
    tbl_walk(s->ht, put_ttl_field, &w);
}

/* Each chunk a quicklist v2 node: a listpack of its elements, or a plain
 * node of its one big element. A list in listpack form is one node. */
static void put_list_value(struct rdb_buf *b, const struct quicklist *ql)
{
    rdb_put_len(b, ql->nnodes);
    for (const struct ql_node *nd = ql->head; nd; nd = nd->next) {
        struct ql_pos pos = {(struct ql_node *)nd, nd->head};
        if (nd->plain) {
            rdb_put_len(b, 1);
            put_str(b, ql_get(pos));
            continue;
        }
        rdb_put_len(b, 2);
        struct rdb_lp lp;
        rdb_lp_begin(&lp, nd->lpsz);
        for (uint32_t i = 0; i < nd->n; i++) {
            bool more;
            struct rs_str e = ql_read(&pos, &more);
            rdb_lp_add(&lp, e.p, e.len);
        }
        put_lp(b, &lp);
    }
}

/* A listpack as Redis's zset listpack (member, score as zzlInsertAt writes
 * it: d2string's text, an integer element when integral); the large form
 * as ZSET_2 from the tail, as Redis writes its skip list so that loading
 * inserts at the head. */
static void put_zset_value(struct rdb_buf *b, const struct rzset *z)
{
    uint64_t n = zset_len(z);
    struct zset_it it;
    if (z->lp) {
        struct rdb_lp lp;
        rdb_lp_begin(&lp, 0);
        for (zset_it_rank(&it, z, 0, false); n && it.ok; zset_it_next(&it)) {
            struct rs_str m = zset_it_member(&it);
            char num[RESP_D_STR_SIZE];
            size_t len = resp_d2str(num, sizeof num, zset_it_score(&it));
            rdb_lp_add(&lp, m.p, m.len);
            rdb_lp_add(&lp, num, len);
        }
        put_lp(b, &lp);
        return;
    }
    rdb_put_len(b, n);
    for (zset_it_rank(&it, z, 0, true); n && it.ok; zset_it_next(&it)) {
        put_str(b, zset_it_member(&it));
        rdb_put_double(b, zset_it_score(&it));
    }
}

static void put_sid(struct rdb_buf *b, struct sid id)
{
    rdb_put_len(b, id.ms);
    rdb_put_len(b, id.seq);
}

/* A node as Redis's listpack of it (t_stream.c's layout): the master entry
 * (live count, deleted count, the master fields, 0), then per entry its
 * flags, ID relative to the master, [field count and names unless they are
 * the master's], values (interleaved with the names when there are both),
 * and the count of the entry's elements (for walking backwards). */
static void put_stream_node(struct rdb_buf *b, const struct sentries *e, size_t i)
{
    struct snode_info ni;
    sentries_node_info(e, i, &ni);
    uint8_t key[16];
    sid_key(ni.master, key);
    rdb_put_string(b, (const char *)key, sizeof key);
    struct rdb_lp lp;
    rdb_lp_begin(&lp, 0);
    rdb_lp_add_int(&lp, ni.live);
    rdb_lp_add_int(&lp, ni.count - ni.live);
    rdb_lp_add_int(&lp, ni.nnames);
    const uint8_t *p = ni.names;
    for (uint32_t j = 0; j < ni.nnames; j++) {
        struct rs_str f = sentry_str(&p);
        rdb_lp_add(&lp, f.p, f.len);
    }
    rdb_lp_add_int(&lp, 0);
    uint32_t off = 0;
    struct sentry se;
    bool deleted, same;
    while (sentries_node_next(e, i, &off, &se, &deleted, &same)) {
        rdb_lp_add_int(&lp, (deleted ? 1 : 0) | (same ? 2 : 0));
        rdb_lp_add_int(&lp, (int64_t)(se.id.ms - ni.master.ms));
        rdb_lp_add_int(&lp, (int64_t)(se.id.seq - ni.master.seq));
        if (!same)
            rdb_lp_add_int(&lp, se.nfields);
        const uint8_t *fp = se.fields, *vp = se.values;
        for (uint32_t j = 0; j < se.nfields; j++) {
            struct rs_str f = sentry_str(&fp), v = sentry_str(&vp);
            if (!same)
                rdb_lp_add(&lp, f.p, f.len);
            rdb_lp_add(&lp, v.p, v.len);
        }
        rdb_lp_add_int(&lp, se.nfields + 3 + (same ? 0 : se.nfields + 1));
    }
    put_lp(b, &lp);
}

/* A pending entries list: its IDs raw, with (the group's) or without (a
 * consumer's) their delivery time and count. */
static void put_pel(struct rdb_buf *b, const struct idmap *pel, bool nacks)
{
    rdb_put_len(b, pel->size);
    for (const struct idmap_node *n = pel->head->next[0]; n; n = n->next[0]) {
        uint8_t raw[16];
        sid_key(n->id, raw);
        rdb_put_raw(b, raw, sizeof raw);
        if (nacks) {
            const struct snack *k = n->val;
            rdb_put_u64le(b, (uint64_t)k->delivery_time);
            rdb_put_len(b, k->delivery_count);
        }
    }
}

/* RDB_TYPE_STREAM_LISTPACKS_3: the nodes, the length, the last, first and
 * largest deleted IDs, entries added, then each group (name order) with its
 * last ID, entries read, PEL and consumers (name order: seen and active
 * times, the IDs of their PELs). */
static void put_stream_value(struct rdb_buf *b, const struct stream *s)
{
    size_t nn = sentries_nodes(&s->e);
    rdb_put_len(b, nn);
    for (size_t i = 0; i < nn; i++)
        put_stream_node(b, &s->e, i);
    rdb_put_len(b, s->e.length);
    put_sid(b, s->last_id);
    put_sid(b, s->first_id);
    put_sid(b, s->max_deleted);
    rdb_put_len(b, s->entries_added);
    rdb_put_len(b, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct sgroup *g = s->groups[i];
        rdb_put_string(b, g->name.p, g->name.len);
        put_sid(b, g->last_id);
        rdb_put_len(b, (uint64_t)g->entries_read);
        put_pel(b, &g->pel, true);
        rdb_put_len(b, g->ncons);
        for (size_t j = 0; j < g->ncons; j++) {
            const struct sconsumer *c = g->cons[j];
            rdb_put_string(b, c->name.p, c->name.len);
            rdb_put_u64le(b, (uint64_t)c->seen_time);
            rdb_put_u64le(b, (uint64_t)c->active_time);
            put_pel(b, &c->pel, false);
        }
    }
}

/* The RDB type byte of e's value. */
static uint8_t value_type(const struct entry *e)
{
    switch (e->type) {
    case OBJ_STRING:
        return RDB_TYPE_STRING;
    case OBJ_HASH: {
        struct hash view;
        return hash_type(hash_of(e, &view));
    }
    case OBJ_SET: {
        struct rset view;
        return set_type(set_of(e, &view));
    }
    case OBJ_LIST:
        return RDB_TYPE_LIST_QUICKLIST_2;
    case OBJ_ZSET:
        return ((const struct rzset *)entry_ptr(e))->lp ? RDB_TYPE_ZSET_LISTPACK
                                                        : RDB_TYPE_ZSET_2;
    default:
        return RDB_TYPE_STREAM_LISTPACKS_3;
    }
}

/* The value of e, after its type byte. */
static void put_value(struct rdb_buf *b, struct entry *e)
{
    char num[RESP_LL_STR_SIZE];
    switch (e->type) {
    case OBJ_STRING:
        put_str(b, obj_str(e, num));
        break;
    case OBJ_HASH: {
        struct hash view;
        put_hash_value(b, hash_of(e, &view));
        break;
    }
    case OBJ_SET: {
        struct rset view;
        put_set_value(b, set_of(e, &view));
        break;
    }
    case OBJ_LIST: {
        struct quicklist view;
        put_list_value(b, list_get(e, &view));
        break;
    }
    case OBJ_ZSET:
        put_zset_value(b, entry_ptr(e));
        break;
    default:
        put_stream_value(b, entry_ptr(e));
        break;
    }
}

void rdb_put_value(struct rdb_buf *b, struct entry *e)
{
    rdb_put_type(b, value_type(e));
    put_value(b, e);
}

static void put_key(void *ud, struct entry *e)
{
    struct saver *sv = ud;
    struct rdb_buf *b = &sv->b;
    int64_t when = exp_get(sv->sh, e);
    if (when != -1) {
        rdb_put_type(b, RDB_OPCODE_EXPIRETIME_MS);
        rdb_put_u64le(b, (uint64_t)when);
    }
    /* The access clock under the policies that read it, as Redis writes it:
     * seconds idle under an LRU one, the counter under an LFU one. */
    const struct store *st = sv->sh->db->st;
    int policy = st->cfg.maxmemory_policy;
    if (policy == MM_VOLATILE_LRU || policy == MM_ALLKEYS_LRU) {
        rdb_put_type(b, RDB_OPCODE_IDLE);
        rdb_put_len(b, ks_idle_ms(st, e) / 1000);
    } else if (MM_HOW(policy) == MM_LFU) {
        rdb_put_type(b, RDB_OPCODE_FREQ);
        rdb_put_type(b, (uint8_t)ks_lfu_freq(st, e));
    }
    rdb_put_type(b, value_type(e));
    put_str(b, rs_str_from(entry_key(e), e->klen));
    put_value(b, e);
    if (b->len >= FLUSH_AT)
        flush_buf(sv);
    if (++sv->nkeys % RDB_PROGRESS_KEYS == 0 && sv->hooks && sv->hooks->save_progress)
        sv->hooks->save_progress(sv->st, sv->nkeys);
}

static void put_project(void *ud, const struct ks_proj *p)
{
    struct saver *sv = ud;
    sv->sh = p->sh;
    ks_proj_walk(p, put_key, sv);
}

/* ---- the file ----------------------------------------------------------- */

int rdb_save(struct store *st, const char *path, const struct rdb_hooks *hooks, bool aof_base,
             char *err, size_t errlen)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    snprintf(tmp, sizeof tmp, "%.*stemp-%d.rdb", dirlen, path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "Failed opening the temp RDB file %s (in server root dir %s) for "
                 "saving: %s", tmp, st->cfg.dir, strerror(errno));
        return -1;
    }
    struct saver sv = {.st = st, .fd = fd, .hooks = hooks};
    sv.b.no_lzf = !st->cfg.rdbcompression;
    struct rdb_buf *b = &sv.b;
    char num[32];
    rdb_put_raw(b, "REDIS0012", 9);
    put_aux(b, "redis-ver", RDB_REDIS_VER);
    put_aux(b, "redis-bits", "64");
    snprintf(num, sizeof num, "%lld", (long long)(rs_real_ms() / 1000));
    put_aux(b, "ctime", num);
    snprintf(num, sizeof num, "%" PRIu64, st->used_memory);
    put_aux(b, "used-mem", num);
    put_aux(b, "aof-base", aof_base ? "1" : "0");
    ks_quota_foreach(st, put_quota, b);
    if (hooks && hooks->put_functions)
        hooks->put_functions(st, b);
    for (int i = 0; i < st->ndbs; i++) {
        struct db *db = st->dbs[i];
        if (ks_db_size(db) == 0)
            continue;
        rdb_put_type(b, RDB_OPCODE_SELECTDB);
        rdb_put_len(b, (uint64_t)i);
        rdb_put_type(b, RDB_OPCODE_RESIZEDB);
        rdb_put_len(b, ks_db_size(db));
        rdb_put_len(b, ks_db_expires(db, false));
        ks_foreach_project(db, true, put_project, &sv);
    }
    rdb_put_type(b, RDB_OPCODE_EOF);
    flush_buf(&sv);
    uint8_t le[8] = {0};
    if (st->cfg.rdbchecksum)
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(sv.crc >> (8 * i));
    bool ok = !sv.io_failed && rdb_write_all(fd, le, 8) && fsync(fd) == 0;
    int saved_errno = errno;
    ok = close(fd) == 0 && ok;
    rs_free(b->p);
    if (ok && rename(tmp, path) == 0)
        return 0;
    saved_errno = ok ? errno : saved_errno;
    unlink(tmp);
    snprintf(err, errlen, "Write error saving DB on disk: %s", strerror(saved_errno));
    return -1;
}
