/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The set value (struct rset, keyspace/set.h): its encodings, conversions
 * and members' TTLs, as Redis 7.4's t_set.c keeps them; the commands are in
 * commands/t_set.c. A set starts as an intset when its first member is an integer,
 * else as a packed array of length-prefixed members (Redis's listpack);
 * a non-integer member turns an intset into a packed array while that stays
 * within set-max-listpack-entries/-value, and any set past its encoding's
 * limits becomes a hash table of member entries (struct entry with the
 * member as key and no value), never converting back, as in Redis.
 *
 * Member TTLs: a small set whose member first gets a deadline is packed
 * with a deadline after every member, "listpackex" as Redis 8.12 reports
 * it (an intset becomes so too while it fits set-max-listpack-entries);
 * pack.c's packex_* keep them in deadline order. A table keeps its
 * members' deadlines in the set's subttl heap (expire.c). In every form
 * the set has a subttl while some member has a deadline: its registration
 * in its shard's heap of containers (keyspace.c, keyed by set_next_deadline).
 */
#include <limits.h>
#include <string.h>

#include "ds/intset.h"
#include "ds/mem.h"
#include "ds/pack.h"
#include "keyspace/keyspace.h"
#include "keyspace/set.h"
#include "resp_num.h"

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

static struct entry *ht_add_member(struct rset *s, struct rs_str m)
{
    struct entry *e = obj_sub_entry(m, rs_str_from("", 0));
    tbl_insert(s->ht, e);
    s->ht_members += sizeof(struct entry) + m.len;
    return e;
}

static void member_free(void *ud, struct entry *e)
{
    (void)ud;
    rs_free(e);
}

const struct table *set_table(const struct rset *s)
{
    return s->enc == SENC_HT ? s->ht : NULL;
}

void set_prefetch(const struct rset *s, bool rest)
{
    /* A member's search walks a pack from its first bytes (an intset is
     * searched by halves: its first bytes only; a table from its header,
     * a block of its own). */
    if (s->enc == SENC_LISTPACK)
        pack_prefetch(s->lp, rest);
    else if (!rest)
        __builtin_prefetch(s->enc == SENC_INTSET ? (const void *)s->is : s->ht);
}

uint64_t set_size(const struct rset *s)
{
    switch (s->enc) {
    case SENC_INTSET:
        return s->is->n;
    case SENC_LISTPACK:
        return s->lp->n / s->per;
    default:
        return tbl_count(s->ht);
    }
}

/* Visit the members until fn says to stop; integers are formatted into a
 * local buffer. A table is paused meanwhile (tbl_iter), so fn may probe
 * the same set. */
void set_foreach(struct rset *s, member_fn *fn, void *ud)
{
    char buf[RESP_LL_STR_SIZE];
    switch (s->enc) {
    case SENC_INTSET:
        for (uint32_t i = 0; i < s->is->n; i++)
            if (!fn(ud, rs_str_from(buf, resp_ll2str(buf, s->is->v[i]))))
                return;
        break;
    case SENC_LISTPACK:
        for (uint32_t off = 0, next; off < s->lp->len; off = next) {
            if (!fn(ud, pack_get(s->lp, off, &next)))
                return;
            if (s->per == 2)
                pack_get(s->lp, next, &next); /* the deadline */
        }
        break;
    default: {
        struct tbl_iter it;
        tbl_iter_start(&it, s->ht);
        for (struct entry *e; (e = tbl_iter_next(&it)) != NULL;)
            if (!fn(ud, rs_str_from(e->data, e->klen)))
                break;
        tbl_iter_end(&it);
    }
    }
}

static bool to_ht_cb(void *ud, struct rs_str m)
{
    ht_add_member(ud, m);
    return true;
}

static bool to_packed_cb(void *ud, struct rs_str m)
{
    struct pack **lp = ud;
    *lp = pack_append(*lp, m);
    return true;
}

/* Convert s to enc (SENC_LISTPACK from an intset, or SENC_HT), keeping
 * the members' deadlines. */
static void set_convert(struct store *st, struct rset *s, int enc)
{
    struct rset n = {.enc = enc, .per = 1, .ttl = s->ttl};
    if (enc == SENC_HT && s->enc == SENC_LISTPACK && s->per == 2) {
        /* listpackex: each member and its deadline in one walk */
        n.ht = tbl_new(st->seed);
        for (uint32_t off = 0; off < s->lp->len;) {
            struct entry *e = ht_add_member(&n, pack_get(s->lp, off, &off));
            int64_t when = packex_deadline(pack_get(s->lp, off, &off));
            if (when != -1)
                subttl_set(&n.ttl, e, when);
        }
    } else if (enc == SENC_HT) {
        n.ht = tbl_new(st->seed);
        set_foreach(s, to_ht_cb, &n);
    } else {
        n.lp = pack_new();
        set_foreach(s, to_packed_cb, &n.lp);
    }
    struct rset old = *s;
    *s = n;
    if (old.enc == SENC_INTSET) {
        rs_free(old.is);
    } else if (old.enc == SENC_LISTPACK) {
        pack_free(old.lp);
    }
}

/* set-max-intset-entries within what an intset can hold. */
static uint64_t intset_limit(const struct store *st)
{
    uint64_t max = (uint64_t)st->cfg.set_max_intset_entries;
    return max < INTSET_MAX_ENTRIES ? max : INTSET_MAX_ENTRIES;
}

/* Whether intset s packed, with extra more bytes, stays within a pack's
 * cap: each value takes at most its decimal digits and a length byte (and
 * a deadline element once it has one, which the cap's margin covers). */
static bool intset_fits_pack(const struct rset *s, size_t extra)
{
    return pack_safe_to_add(NULL, (size_t)s->is->n * (RESP_LL_STR_SIZE + 1) + extra);
}

/* Redis's setTypeCreate: the encoding of a new set whose first member is
 * first and which is about to receive size_hint members. */
struct rset *set_new(struct store *st, struct rs_str first, size_t size_hint)
{
    int64_t v;
    bool ints = as_int(first, &v) && size_hint <= intset_limit(st);
    if (!ints && size_hint <= (size_t)st->cfg.set_max_listpack_entries)
        return set_new_pack();
    struct rset *s = rs_calloc(1, sizeof *s);
    if (ints) {
        s->enc = SENC_INTSET;
        s->is = intset_new((uint32_t)(size_hint < 1024 ? size_hint : 1024));
    } else {
        s->enc = SENC_HT;
        s->ht = tbl_new(st->seed);
    }
    return s;
}

struct rset *set_new_loaded(struct store *st, struct rs_str first, uint64_t n)
{
    return set_new(st, first, n > intset_limit(st) ? SIZE_MAX : (size_t)n);
}

struct rset *set_new_pack(void)
{
    struct rset *s = rs_calloc(1, sizeof *s);
    s->enc = SENC_LISTPACK;
    s->lp = pack_new();
    s->per = 1;
    return s;
}

/* Redis's setTypeMaybeConvert: before adding size_hint members, go to a
 * hash table at once when they could not fit the current encoding. */
void set_maybe_convert(struct store *st, struct rset *s, size_t size_hint)
{
    bool small = s->enc == SENC_LISTPACK ||
                 (s->enc == SENC_INTSET && size_hint > intset_limit(st));
    if (small && size_hint > (size_t)st->cfg.set_max_listpack_entries)
        set_convert(st, s, SENC_HT);
}

struct rset *set_new_ints(struct store *st, const int64_t *v, uint64_t n)
{
    if (n > intset_limit(st))
        return NULL;
    struct rset *s = rs_calloc(1, sizeof *s);
    s->enc = SENC_INTSET;
    s->is = intset_from_sorted(v, (uint32_t)n);
    return s;
}

bool set_reserve_packed(struct store *st, struct rset *s, uint64_t n, size_t longest,
                        size_t bytes)
{
    /* set_add's limits, for the members together */
    if (s->enc != SENC_LISTPACK || s->per != 1 ||
        set_size(s) + n > (uint64_t)st->cfg.set_max_listpack_entries ||
        longest > (size_t)st->cfg.set_max_listpack_value || !pack_safe_to_add(s->lp, bytes))
        return false;
    s->lp = pack_reserve(s->lp, s->lp->len + bytes);
    return true;
}

void set_add_reserved(struct rset *s, struct rs_str m)
{
    pack_append_reserved(s->lp, m);
}

bool set_contains(struct rset *s, struct rs_str m)
{
    int64_t v;
    switch (s->enc) {
    case SENC_INTSET:
        return as_int(m, &v) && intset_find(s->is, v);
    case SENC_LISTPACK:
        return pack_find(s->lp, m, s->per) != UINT32_MAX;
    default:
        /* no rehash step: the set may be under a walk (SINTER s s) */
        return tbl_get(s->ht, m.p, m.len) != NULL;
    }
}

/* Add m; returns whether it was new. Converts as Redis's setTypeAdd. */
bool set_add(struct store *st, struct rset *s, struct rs_str m)
{
    const struct rs_config *cfg = &st->cfg;
    int64_t v;
    if (s->enc == SENC_INTSET) {
        if (as_int(m, &v)) {
            bool added;
            s->is = intset_add(s->is, v, &added);
            if (added && s->is->n > intset_limit(st))
                set_convert(st, s, SENC_HT);
            return added;
        }
        if ((uint64_t)s->is->n < (uint64_t)cfg->set_max_listpack_entries &&
            m.len <= (size_t)cfg->set_max_listpack_value && intset_fits_pack(s, m.len))
            set_convert(st, s, SENC_LISTPACK);
        else
            set_convert(st, s, SENC_HT);
    }
    if (s->enc == SENC_LISTPACK) {
        if (pack_find(s->lp, m, s->per) != UINT32_MAX)
            return false;
        if (set_size(s) < (uint64_t)cfg->set_max_listpack_entries &&
            m.len <= (size_t)cfg->set_max_listpack_value && pack_safe_to_add(s->lp, m.len)) {
            s->lp = pack_append(s->lp, m);
            if (s->per == 2)
                s->lp = packex_append_none(s->lp);
            return true;
        }
        set_convert(st, s, SENC_HT);
    }
    if (tbl_find_ref(s->ht, m.p, m.len))
        return false;
    ht_add_member(s, m);
    return true;
}

bool set_remove(struct rset *s, struct rs_str m)
{
    int64_t v;
    switch (s->enc) {
    case SENC_INTSET:
        return as_int(m, &v) && intset_remove(s->is, v);
    case SENC_LISTPACK: {
        uint32_t off = pack_find(s->lp, m, s->per);
        if (off == UINT32_MAX)
            return false;
        s->lp = pack_delete(s->lp, off, s->per);
        return true;
    }
    default: {
        struct entry **ref = tbl_find_ref(s->ht, m.p, m.len);
        if (!ref)
            return false;
        struct entry *e = tbl_unlink(s->ht, ref);
        subttl_clear(s->ttl, e);
        s->ht_members -= sizeof(struct entry) + e->klen;
        rs_free(e);
        return true;
    }
    }
}

struct subttl **set_subttl(struct rset *s)
{
    return &s->ttl;
}


int64_t set_member_ttl(struct rset *s, struct rs_str m, bool *found)
{
    *found = set_contains(s, m);
    if (!*found || s->enc == SENC_INTSET || (s->enc == SENC_LISTPACK && s->per == 1))
        return -1;
    if (s->enc == SENC_LISTPACK)
        return packex_deadline_at(s->lp, 2, pack_find(s->lp, m, 2));
    return subttl_get(s->ttl, tbl_get(s->ht, m.p, m.len));
}

void set_member_set_ttl(struct store *st, struct rset *s, struct rs_str m, int64_t when)
{
    if (s->enc != SENC_HT && !set_contains(s, m))
        return;
    if (s->enc == SENC_INTSET)
        set_convert(st, s,
                    (uint64_t)s->is->n <= (uint64_t)st->cfg.set_max_listpack_entries &&
                            intset_fits_pack(s, 0)
                        ? SENC_LISTPACK
                        : SENC_HT);
    if (s->enc == SENC_HT) {
        struct entry **ref = tbl_find_ref(s->ht, m.p, m.len);
        if (ref)
            subttl_set(&s->ttl, *ref, when);
        return;
    }
    if (s->per == 1) {
        s->lp = packex_widen(s->lp, 2);
        s->per = 2;
    }
    s->lp = packex_set_deadline(s->lp, 2, pack_find(s->lp, m, 2), when);
}

bool set_member_persist(struct rset *s, struct rs_str m)
{
    if (s->enc == SENC_LISTPACK) {
        uint32_t at = s->per == 2 ? pack_find(s->lp, m, 2) : UINT32_MAX;
        if (at == UINT32_MAX || packex_deadline_at(s->lp, 2, at) == -1)
            return false;
        s->lp = packex_set_deadline(s->lp, 2, at, -1);
        return true;
    }
    struct entry **ref = s->enc == SENC_HT ? tbl_find_ref(s->ht, m.p, m.len) : NULL;
    if (ref == NULL || subttl_get(s->ttl, *ref) == -1)
        return false;
    subttl_clear(s->ttl, *ref);
    return true;
}

int64_t set_next_deadline(const struct rset *s)
{
    if (s->enc == SENC_LISTPACK)
        return s->per == 2 ? packex_next(s->lp, 2) : -1;
    return s->ttl && s->ttl->h.n ? s->ttl->h.a[0].when : -1;
}

uint64_t set_packed_due(struct rset *s, int64_t now, bool remove)
{
    if (s->enc != SENC_LISTPACK || s->per == 1)
        return 0;
    return packex_take_due(&s->lp, 2, now, remove);
}

void set_sub_delete(struct rset *s, struct entry *m)
{
    tbl_unlink(s->ht, tbl_find_ref(s->ht, m->data, m->klen));
    s->ht_members -= sizeof(struct entry) + m->klen;
    rs_free(m);
}

void set_free(struct rset *s)
{
    if (s->enc == SENC_INTSET)
        rs_free(s->is);
    else if (s->enc == SENC_LISTPACK)
        pack_free(s->lp);
    else
        tbl_destroy(s->ht, member_free, NULL);
    subttl_free(s->ttl);
    rs_free(s);
}

struct rset *set_dup(const struct rset *s)
{
    struct rset *n = rs_calloc(1, sizeof *n);
    n->enc = s->enc;
    if (s->enc == SENC_INTSET) {
        n->is = intset_dup(s->is);
    } else if (s->enc == SENC_LISTPACK) {
        n->lp = pack_dup(s->lp);
        n->per = s->per; /* its registration: ks_add's */
    } else {
        n->ht = tbl_new(s->ht->seed);
        /* set_foreach only reads; the cast drops const for its callback type */
        set_foreach((struct rset *)s, to_ht_cb, n);
        if (s->ttl) {
            for (uint32_t i = 0; i < s->ttl->h.n; i++) {
                const struct entry *m = s->ttl->h.a[i].p;
                struct entry **ref = tbl_find_ref(n->ht, m->data, m->klen);
                subttl_set(&n->ttl, *ref, s->ttl->h.a[i].when);
            }
        }
    }
    return n;
}

size_t set_bytes(const struct rset *s)
{
    size_t n = sizeof *s;
    if (s->enc == SENC_INTSET)
        n += intset_bytes(s->is);
    else if (s->enc == SENC_LISTPACK)
        n += pack_bytes(s->lp);
    else /* one bucket per member: lookups move incremental rehashes on, so
          * the arrays' real sizes change outside the writes that account */
        n += sizeof *s->ht + s->ht_members + tbl_count(s->ht) * sizeof(struct entry *);
    return n + subttl_bytes(s->ttl);
}

void set_put_own(struct entry *e, const struct rset *view)
{
    struct rset *s = rs_malloc(sizeof *s);
    *s = *view;
    entry_set_ptr(e, s);
    e->enc = ENC_RAW;
}

void set_put_pack(struct entry *e, struct rset *s)
{
    entry_set_ptr(e, s->lp);
    e->enc = ENC_SET_PACK;
    rs_free(s);
}

void set_value_free(struct entry *e)
{
    if (e->enc == ENC_SET_PACK)
        pack_free(entry_ptr(e));
    else
        set_free(entry_ptr(e));
}

const char *set_enc_name(const struct rset *s)
{
    static const char *const names[] = {"intset", "listpack", "hashtable"};
    return s->enc == SENC_LISTPACK && s->per == 2 ? "listpackex" : names[s->enc];
}

