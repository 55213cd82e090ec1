/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's digest of a dataset and of
 * values, byte for byte the one Redis 7.4 computes for the same data, so
 * that a respite and a Redis holding the same keys answer the same 40 hex
 * digits (Redis's test suites compare servers so).
 *
 * The scheme (debug.c there), over 20-byte digests:
 *   xor(d, p)  d ^= SHA1(p)                    order does not matter
 *   mix(d, p)  xor(d, p), then d = SHA1(d)    order matters
 * A key's digest starts at zero, mixes the key's name, its type as a
 * big-endian 32-bit number (Redis's numbering: stream is 6), then its
 * value: a string mixes its text; a list mixes each element from the
 * head; a set xors each member; a sorted set xors, for each member, a
 * digest (from zero) mixing the member then its score as fpconv_dtoa
 * writes it; a hash xors, for each field, a digest mixing field and value
 * (and xoring "!!hexpire!!" when the field has a TTL); a stream mixes each
 * live entry's "<ms>.<seq>" then its fields and values (not its groups).
 * A key with a TTL then xors "!!expire!!". The dataset's digest starts at
 * zero; each database with keys mixes its number (big-endian 32 bits) and
 * xors its keys' digests. Set-member TTLs, which Redis has not, change
 * nothing. Keys and fields past their deadline but not yet reclaimed count,
 * as in Redis, which also reads them as they physically are.
 */
#include <string.h>

#include "commands/commands.h"
#include "ds/intset.h"
#include "ds/pack.h"
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "ds/sha.h"
#include "ds/stream.h"
#include "ds/table.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

static void xor_digest(unsigned char d[20], const void *p, size_t len)
{
    unsigned char h[20];
    sha1(h, p, len);
    for (int i = 0; i < 20; i++)
        d[i] ^= h[i];
}

static void mix_digest(unsigned char d[20], const void *p, size_t len)
{
    xor_digest(d, p, len);
    sha1(d, d, 20);
}

static void mix_str(unsigned char d[20], struct rs_str s)
{
    mix_digest(d, s.p, s.len);
}

static void mix_u32(unsigned char d[20], uint32_t v)
{
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    mix_digest(d, be, 4);
}

/* A hash field's or sorted set member's own digest, xored into d. */
static void xor_pair(unsigned char d[20], struct rs_str a, struct rs_str b, bool has_ttl)
{
    unsigned char e[20] = {0};
    mix_str(e, a);
    mix_str(e, b);
    if (has_ttl)
        xor_digest(e, "!!hexpire!!", 11);
    xor_digest(d, e, 20);
}

struct field_walk {
    unsigned char *d;
    const struct subttl *ttl;
};

static void digest_field(void *ud, struct entry *f)
{
    struct field_walk *w = ud;
    bool has_ttl = f->exp_idx != EXP_NONE && subttl_get(w->ttl, f) != -1;
    xor_pair(w->d, field_key(f), field_val(f), has_ttl);
}

static void digest_member(void *ud, struct entry *m)
{
    xor_digest(ud, entry_key(m), m->klen);
}

static void digest_hash(unsigned char d[20], struct hash *h)
{
    if (h->pk) {
        for (uint32_t off = 0; off < h->pk->len;) {
            struct rs_str f, v;
            int64_t when;
            off = packed_field(h->pk, h->per, off, &f, &v, &when);
            xor_pair(d, f, v, when != -1);
        }
        return;
    }
    struct field_walk w = {d, h->ttl};
    tbl_foreach(h->t, digest_field, &w);
}

static void digest_set(unsigned char d[20], struct rset *s)
{
    if (s->enc == SENC_INTSET) {
        for (uint32_t i = 0; i < s->is->n; i++) {
            char num[RESP_LL_STR_SIZE];
            xor_digest(d, num, resp_ll2str(num, s->is->v[i]));
        }
    } else if (s->enc == SENC_LISTPACK) {
        for (uint32_t off = 0; off < s->lp->len;) {
            struct rs_str m = pack_get(s->lp, off, &off);
            if (s->per == 2)
                pack_get(s->lp, off, &off); /* the member's deadline */
            xor_digest(d, m.p, m.len);
        }
    } else {
        tbl_foreach(s->ht, digest_member, d);
    }
}

static void digest_list(unsigned char d[20], const struct quicklist *ql)
{
    if (ql->count == 0)
        return;
    struct ql_pos pos = ql_end(ql, QL_HEAD);
    for (bool more = true; more;)
        mix_str(d, ql_read(&pos, &more));
}

static void digest_zset(unsigned char d[20], const struct rzset *z)
{
    uint64_t n = zset_len(z);
    struct zset_it it;
    for (zset_it_rank(&it, z, 0, false); n && it.ok; zset_it_next(&it)) {
        char num[RESP_D_STR_SIZE];
        size_t len = resp_dtoa(num, zset_it_score(&it));
        xor_pair(d, zset_it_member(&it), rs_str_from(num, len), false);
    }
}

static void digest_stream(unsigned char d[20], const struct stream *s)
{
    struct siter it;
    struct sentry en;
    siter_start(&it, &s->e, (struct sid){0, 0}, SID_MAX, false);
    while (siter_next(&it, &en)) {
        char id[SID_STR_SIZE];
        size_t len = sid_format(en.id, id);
        id[strcspn(id, "-")] = '.'; /* Redis writes "<ms>.<seq>" here */
        mix_digest(d, id, len);
        const uint8_t *f = en.fields, *v = en.values;
        for (uint32_t i = 0; i < en.nfields; i++) {
            mix_str(d, sentry_str(&f));
            mix_str(d, sentry_str(&v));
        }
    }
}

/* Mix e's type, value and TTL (deadline when, -1 none) into d. */
static void digest_value(unsigned char d[20], struct entry *e, int64_t when)
{
    /* Redis's type numbers: OBJ_MODULE is 5, so its stream is 6. */
    mix_u32(d, e->type == OBJ_STREAM ? 6 : e->type);
    switch (e->type) {
    case OBJ_STRING: {
        char num[RESP_LL_STR_SIZE];
        mix_str(d, obj_str(e, num));
        break;
    }
    case OBJ_LIST: {
        struct quicklist view;
        digest_list(d, list_get(e, &view));
        break;
    }
    case OBJ_SET: {
        struct rset view;
        digest_set(d, set_of(e, &view));
        break;
    }
    case OBJ_ZSET:
        digest_zset(d, entry_ptr(e));
        break;
    case OBJ_HASH: {
        struct hash view;
        digest_hash(d, hash_of(e, &view));
        break;
    }
    default:
        digest_stream(d, entry_ptr(e));
        break;
    }
    if (when != -1)
        xor_digest(d, "!!expire!!", 10);
}

static void reply_digest(struct cmd_ctx *c, const unsigned char d[20])
{
    static const char hex[] = "0123456789abcdef";
    char out[40];
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    resp_add_simple(c->out, out, sizeof out);
}

struct db_walk {
    unsigned char *final;
    const struct shard *sh;
};

static void digest_key(void *ud, struct entry *e)
{
    struct db_walk *w = ud;
    unsigned char d[20] = {0};
    mix_digest(d, entry_key(e), e->klen);
    digest_value(d, e, exp_get(w->sh, e));
    xor_digest(w->final, d, 20);
}

static void digest_project(void *ud, const struct ks_proj *p)
{
    struct db_walk *w = ud;
    w->sh = p->sh;
    ks_proj_foreach(p, digest_key, w);
}

/* DEBUG DIGEST -- of every database. O(size of the dataset). */
void debug_digest(struct cmd_ctx *c)
{
    unsigned char final[20] = {0};
    for (int i = 0; i < c->st->ndbs; i++) {
        struct db *db = c->st->dbs[i];
        if (ks_db_size(db) == 0)
            continue;
        mix_u32(final, (uint32_t)i);
        struct db_walk w = {final, NULL};
        ks_foreach_project(db, true, digest_project, &w);
    }
    reply_digest(c, final);
}

/* DEBUG DIGEST-VALUE key ... -- each key's value digest (without its
 * name) in the current database; zeros for a missing key. */
void debug_digest_value(struct cmd_ctx *c)
{
    resp_add_array_len(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        unsigned char d[20] = {0};
        struct shard *sh;
        struct entry *e = ks_get(c->db, c->argv[j], &sh);
        if (e)
            digest_value(d, e, exp_get(sh, e));
        reply_digest(c, d);
    }
}
