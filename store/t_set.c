/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Set commands with Redis 7.4's replies, errors and encodings (t_set.c
 * there). A set starts as an intset when its first member is an integer,
 * else as a packed array of length-prefixed members (Redis's listpack);
 * a non-integer member turns an intset into a packed array while that stays
 * within set-max-listpack-entries/-value, and any set past its encoding's
 * limits becomes a hash table of member entries (struct entry with the
 * member as key and no value), never converting back, as in Redis.
 */
#include <string.h>

#include "cmd.h"
#include "intset.h"
#include "ks.h"
#include "mem.h"
#include "resp_num.h"
#include "t_set.h"

enum set_enc { SENC_INTSET, SENC_LISTPACK, SENC_HT };

/* The packed form: members one after another, each a uint32 length then
 * its bytes; lookups scan it, which is fast at the sizes it is kept to. */
struct packed {
    char *buf;
    size_t len, cap;
    uint32_t n;
};

struct rset {
    int enc;
    struct intset *is;  /* SENC_INTSET */
    struct packed lp;   /* SENC_LISTPACK */
    struct table ht;    /* SENC_HT */
    size_t ht_members;  /* SENC_HT: bytes of the member entries */
};

/* ------------------------------------------------------------------------
 * The three encodings
 * ------------------------------------------------------------------------ */

static bool as_int(struct rs_str m, int64_t *v)
{
    long long ll;
    if (m.len > 20 || !resp_str2ll(m.p, m.len, &ll))
        return false;
    *v = ll;
    return true;
}

static uint32_t packed_len_at(const struct packed *lp, size_t off)
{
    uint32_t n;
    memcpy(&n, lp->buf + off, 4);
    return n;
}

/* Offset of member m in the packed array, or SIZE_MAX. */
static size_t packed_find(const struct packed *lp, struct rs_str m)
{
    for (size_t off = 0; off < lp->len;) {
        uint32_t n = packed_len_at(lp, off);
        if (n == m.len && memcmp(lp->buf + off + 4, m.p, n) == 0)
            return off;
        off += 4 + n;
    }
    return SIZE_MAX;
}

static void packed_append(struct packed *lp, struct rs_str m)
{
    size_t need = lp->len + 4 + m.len;
    if (need > lp->cap) {
        lp->cap = need < 64 ? 64 : need * 2;
        lp->buf = rs_realloc(lp->buf, lp->cap);
    }
    uint32_t n = (uint32_t)m.len;
    memcpy(lp->buf + lp->len, &n, 4);
    if (m.len)
        memcpy(lp->buf + lp->len + 4, m.p, m.len);
    lp->len = need;
    lp->n++;
}

static void packed_remove_at(struct packed *lp, size_t off)
{
    size_t sz = 4 + packed_len_at(lp, off);
    memmove(lp->buf + off, lp->buf + off + sz, lp->len - off - sz);
    lp->len -= sz;
    lp->n--;
}

static struct entry *member_new(struct rs_str m)
{
    struct entry *e = rs_malloc(sizeof *e + m.len);
    e->next = NULL;
    e->klen = (uint32_t)m.len;
    e->vlen = 0;
    e->exp_idx = EXP_NONE;
    e->lru = 0;
    e->type = OBJ_STRING;
    e->enc = ENC_EMBSTR;
    if (m.len)
        memcpy(e->data, m.p, m.len);
    return e;
}

static void ht_add_member(struct rset *s, struct rs_str m)
{
    tbl_insert(&s->ht, member_new(m));
    s->ht_members += sizeof(struct entry) + m.len;
}

static void member_free(void *ud, struct entry *e)
{
    (void)ud;
    rs_free(e);
}

static uint64_t set_size(const struct rset *s)
{
    switch (s->enc) {
    case SENC_INTSET:
        return s->is->n;
    case SENC_LISTPACK:
        return s->lp.n;
    default:
        return tbl_count(&s->ht);
    }
}

/* Visit every member; integers are formatted into a local buffer. */
typedef void member_fn(void *ud, struct rs_str m);

struct ht_visit {
    member_fn *fn;
    void *ud;
};

static void ht_visit_cb(void *ud, struct entry *e)
{
    struct ht_visit *v = ud;
    v->fn(v->ud, rs_str_from(e->data, e->klen));
}

static void set_foreach(struct rset *s, member_fn *fn, void *ud)
{
    char buf[RESP_LL_STR_SIZE];
    switch (s->enc) {
    case SENC_INTSET:
        for (uint32_t i = 0; i < s->is->n; i++)
            fn(ud, rs_str_from(buf, resp_ll2str(buf, s->is->v[i])));
        break;
    case SENC_LISTPACK:
        for (size_t off = 0; off < s->lp.len;) {
            uint32_t n = packed_len_at(&s->lp, off);
            fn(ud, rs_str_from(s->lp.buf + off + 4, n));
            off += 4 + n;
        }
        break;
    default: {
        struct ht_visit v = {fn, ud};
        tbl_foreach(&s->ht, ht_visit_cb, &v);
    }
    }
}

static void to_ht_cb(void *ud, struct rs_str m)
{
    ht_add_member(ud, m);
}

static void to_packed_cb(void *ud, struct rs_str m)
{
    packed_append(ud, m);
}

/* Convert s to enc (SENC_LISTPACK from an intset, or SENC_HT). */
static void set_convert(struct store *st, struct rset *s, int enc)
{
    struct rset n = {.enc = enc};
    if (enc == SENC_HT) {
        tbl_init(&n.ht, st->seed);
        set_foreach(s, to_ht_cb, &n);
    } else {
        set_foreach(s, to_packed_cb, &n.lp);
    }
    struct rset old = *s;
    old.enc = s->enc;
    *s = n;
    if (old.enc == SENC_INTSET)
        rs_free(old.is);
    else if (old.enc == SENC_LISTPACK)
        rs_free(old.lp.buf);
}

/* Redis's setTypeCreate: the encoding of a new set whose first member is
 * first and which is about to receive size_hint members. */
static struct rset *set_new(struct store *st, struct rs_str first, size_t size_hint)
{
    struct rset *s = rs_calloc(1, sizeof *s);
    int64_t v;
    if (as_int(first, &v) && size_hint <= (size_t)st->cfg.set_max_intset_entries) {
        s->enc = SENC_INTSET;
        s->is = intset_new((uint32_t)(size_hint < 1024 ? size_hint : 1024));
    } else if (size_hint <= (size_t)st->cfg.set_max_listpack_entries) {
        s->enc = SENC_LISTPACK;
    } else {
        s->enc = SENC_HT;
        tbl_init(&s->ht, st->seed);
    }
    return s;
}

/* Redis's setTypeMaybeConvert: before adding size_hint members, go to a
 * hash table at once when they could not fit the current encoding. */
static void set_maybe_convert(struct store *st, struct rset *s, size_t size_hint)
{
    bool small = s->enc == SENC_LISTPACK ||
                 (s->enc == SENC_INTSET && size_hint > (size_t)st->cfg.set_max_intset_entries);
    if (small && size_hint > (size_t)st->cfg.set_max_listpack_entries)
        set_convert(st, s, SENC_HT);
}

static bool set_contains(struct rset *s, struct rs_str m)
{
    int64_t v;
    switch (s->enc) {
    case SENC_INTSET:
        return as_int(m, &v) && intset_find(s->is, v);
    case SENC_LISTPACK:
        return packed_find(&s->lp, m) != SIZE_MAX;
    default:
        return tbl_find_ref(&s->ht, m.p, m.len) != NULL;
    }
}

/* Add m; returns whether it was new. Converts as Redis's setTypeAdd. */
static bool set_add(struct store *st, struct rset *s, struct rs_str m)
{
    const struct rs_config *cfg = &st->cfg;
    int64_t v;
    if (s->enc == SENC_INTSET) {
        if (as_int(m, &v)) {
            bool added;
            s->is = intset_add(s->is, v, &added);
            if (added && s->is->n > (uint32_t)cfg->set_max_intset_entries)
                set_convert(st, s, SENC_HT);
            return added;
        }
        if (s->is->n < (uint32_t)cfg->set_max_listpack_entries &&
            m.len <= (size_t)cfg->set_max_listpack_value)
            set_convert(st, s, SENC_LISTPACK);
        else
            set_convert(st, s, SENC_HT);
    }
    if (s->enc == SENC_LISTPACK) {
        if (packed_find(&s->lp, m) != SIZE_MAX)
            return false;
        if (s->lp.n < (uint32_t)cfg->set_max_listpack_entries &&
            m.len <= (size_t)cfg->set_max_listpack_value) {
            packed_append(&s->lp, m);
            return true;
        }
        set_convert(st, s, SENC_HT);
    }
    if (tbl_find_ref(&s->ht, m.p, m.len))
        return false;
    ht_add_member(s, m);
    return true;
}

static bool set_remove(struct rset *s, struct rs_str m)
{
    int64_t v;
    switch (s->enc) {
    case SENC_INTSET:
        return as_int(m, &v) && intset_remove(s->is, v);
    case SENC_LISTPACK: {
        size_t off = packed_find(&s->lp, m);
        if (off == SIZE_MAX)
            return false;
        packed_remove_at(&s->lp, off);
        return true;
    }
    default: {
        struct entry **ref = tbl_find_ref(&s->ht, m.p, m.len);
        if (!ref)
            return false;
        struct entry *e = tbl_unlink(&s->ht, ref);
        s->ht_members -= sizeof(struct entry) + e->klen;
        rs_free(e);
        return true;
    }
    }
}

void set_free(struct rset *s)
{
    if (s->enc == SENC_INTSET)
        rs_free(s->is);
    else if (s->enc == SENC_LISTPACK)
        rs_free(s->lp.buf);
    else
        tbl_free(&s->ht, member_free, NULL);
    rs_free(s);
}

struct rset *set_dup(const struct rset *s)
{
    struct rset *n = rs_calloc(1, sizeof *n);
    n->enc = s->enc;
    if (s->enc == SENC_INTSET) {
        n->is = intset_dup(s->is);
    } else if (s->enc == SENC_LISTPACK) {
        n->lp = s->lp;
        n->lp.buf = s->lp.cap ? rs_malloc(s->lp.cap) : NULL;
        if (s->lp.len)
            memcpy(n->lp.buf, s->lp.buf, s->lp.len);
    } else {
        tbl_init(&n->ht, s->ht.seed);
        /* set_foreach only reads; the cast drops const for its callback type */
        set_foreach((struct rset *)s, to_ht_cb, n);
    }
    return n;
}

size_t set_bytes(const struct rset *s)
{
    size_t n = sizeof *s;
    if (s->enc == SENC_INTSET)
        n += intset_bytes(s->is);
    else if (s->enc == SENC_LISTPACK)
        n += s->lp.cap;
    else
        n += s->ht_members + (s->ht.size[0] + s->ht.size[1]) * sizeof(struct entry *);
    return n;
}

const char *set_enc_name(const struct rset *s)
{
    static const char *const names[] = {"intset", "listpack", "hashtable"};
    return names[s->enc];
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

static struct rset *set_of(const struct entry *e)
{
    return entry_ptr(e);
}

/* SADD key member [member ...] */
void cmd_sadd(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct rs_str key = c->argv[1];
    struct entry *e = ks_write_type(c, key, OBJ_SET, &loc, &wrong);
    if (wrong)
        return;
    size_t nmembers = (size_t)c->argc - 2;
    if (!e) {
        loc.sh = ks_shard(c->db, key, true);
        struct rset *s = set_new(c->st, c->argv[2], nmembers);
        e = obj_new_ptr(loc.sh, key, OBJ_SET, ENC_RAW, s);
        ks_add(c->db, loc.sh, e);
    }
    struct rset *s = set_of(e);
    size_t before = obj_bytes(e);
    set_maybe_convert(c->st, s, nmembers);
    long long added = 0;
    for (int i = 2; i < c->argc; i++)
        added += set_add(c->st, s, c->argv[i]);
    obj_account_change(loc.sh, before, obj_bytes(e));
    resp_add_int(c->out, added);
}

/* SREM key member [member ...]; an emptied set is deleted. */
void cmd_srem(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_SET, &loc, &wrong);
    if (wrong)
        return;
    long long removed = 0;
    if (e) {
        struct rset *s = set_of(e);
        size_t before = obj_bytes(e);
        for (int i = 2; i < c->argc && set_size(s); i++)
            removed += set_remove(s, c->argv[i]);
        obj_account_change(loc.sh, before, obj_bytes(e));
        if (!set_size(s))
            ks_delete(&loc);
    }
    resp_add_int(c->out, removed);
}

static void reply_member_cb(void *ud, struct rs_str m)
{
    resp_add_bulk_str(ud, m);
}

/* SMEMBERS key -- a RESP3 set. */
void cmd_smembers(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_set_len(c->out, 0);
        return;
    }
    struct rset *s = set_of(e);
    resp_add_set_len(c->out, (long long)set_size(s));
    set_foreach(s, reply_member_cb, c->out);
}

/* SISMEMBER key member */
void cmd_sismember(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e && set_contains(set_of(e), c->argv[2]));
}

/* SMISMEMBER key member [member ...] */
void cmd_smismember(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (wrong)
        return;
    resp_add_array_len(c->out, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        resp_add_int(c->out, e && set_contains(set_of(e), c->argv[i]));
}

/* SCARD key */
void cmd_scard(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e ? (long long)set_size(set_of(e)) : 0);
}
