/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SORT and SORT_RO, with Redis 7.4's replies byte for byte.
 *
 * The elements of a list, set or sorted set are copied into a vector (with
 * a NUL after each, as Redis's sds strings have), given what they sort by --
 * their own value, or the string or hash field that a BY pattern names
 * (`weight_*`, `h_*->field`) -- then sorted, and each output element is
 * replied or stored as itself or as what its GET patterns name.
 *
 * Order on ties, which Redis leaves to its sorting routines and tests see:
 *  - numeric sorts (the default) break ties by the elements' bytes, so
 *    only equal elements tie, and those look the same;
 *  - ALPHA sorts by a pattern compare the values found (a missing one
 *    first), so different elements tie. Redis sorts them with glibc's
 *    qsort, a stable merge sort in the glibc it runs on (2.36), unless a
 *    LIMIT narrows the output, when it runs its own partial quicksort
 *    (pqsort.c, NetBSD's qsort that skips the partitions outside the
 *    range). Any stable sort gives the first's result (merge_sort); pqsort
 *    below makes the second's moves. So tied elements come out in Redis's
 *    order. Sets and sorted sets enter the
 *    vector in their iteration order, a hash table's in Redis (random per
 *    process), so only lists and packed sets tie reproducibly.
 * ALPHA compares as strcoll does in the C and C.UTF-8 locales (strcmp: up
 * to a NUL byte), except under STORE, which compares bytes (memcmp), as
 * Redis does.
 *
 * BY without a '*' does not sort (nosort): a list or sorted set comes out
 * in its own order (a sorted set by score), reversed by DESC, its LIMIT
 * range read directly; a set in its iteration order, except under STORE or
 * in a script, where it is sorted ALPHA so the result is reproducible.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/acl.h"
#include "commands/commands.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "ds/util.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/list.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * The bytes a sort keeps
 * ------------------------------------------------------------------------ */

#define ARENA_BLOCK 16384

/* Copies of the elements (and of the values ALPHA BY sorts by), in blocks:
 * lookups that expire keys may free what the copies came from. */
struct arena {
    char **blocks;
    size_t nblocks;
    char *p;     /* free bytes of the last block */
    size_t left;
};

/* A copy of s with a NUL after it (strtod and strcmp read it), valid until
 * arena_free. */
static struct rs_str arena_copy(struct arena *a, struct rs_str s)
{
    size_t need = s.len + 1;
    if (need > a->left) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        a->blocks = rs_realloc(a->blocks, (a->nblocks + 1) * sizeof *a->blocks);
        a->p = a->blocks[a->nblocks++] = rs_malloc(size);
        a->left = size;
    }
    char *out = a->p;
    if (s.len)
        memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    a->p += need;
    a->left -= need;
    return rs_str_from(out, s.len);
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->nblocks; i++)
        rs_free(a->blocks[i]);
    rs_free(a->blocks);
}

/* ------------------------------------------------------------------------
 * Patterns (Redis lookupKeyByPattern)
 * ------------------------------------------------------------------------ */

/* Where the C string view of s (up to its first NUL) holds c, or NULL: the
 * pattern is searched as Redis searches its sds with strchr. */
static const char *cstr_chr(struct rs_str s, char c)
{
    size_t n = (size_t)cstr_len(s, s.len);
    return memchr(s.p, c, n);
}

static bool is_hash_pattern(struct rs_str pat)
{
    return pat.len >= 1 && pat.p[0] == '#' && (pat.len == 1 || pat.p[1] == '\0');
}

/* What pattern names for element el: el itself for "#"; else the string
 * at the key the pattern makes by putting el in place of its first '*',
 * or the field after "->" (non-empty, after the '*') of the hash there.
 * false when there is none (no '*', no such key, another type, no such
 * field). *v may point into the keyspace or into buf (RESP_LL_STR_SIZE
 * bytes): valid until the next change of the keyspace. */
static bool lookup_pattern(struct cmd_ctx *c, struct rs_str pat, struct rs_str el, char *buf,
                           struct rs_str *v)
{
    if (is_hash_pattern(pat)) {
        *v = el;
        return true;
    }
    const char *star = cstr_chr(pat, '*');
    if (star == NULL)
        return false;
    size_t prefix = (size_t)(star - pat.p);
    /* "->" after the '*', with a field after it, in the C string view. */
    const char *field = NULL;
    size_t clen = (size_t)cstr_len(pat, pat.len);
    for (const char *p = star + 1; p + 1 < pat.p + clen; p++) {
        if (p[0] == '-' && p[1] == '>') {
            if (p + 2 < pat.p + clen)
                field = p + 2;
            break;
        }
    }
    size_t fieldlen = field ? pat.len - (size_t)(field - pat.p) : 0;
    size_t postfix = pat.len - prefix - 1 - (field ? fieldlen + 2 : 0);
    size_t klen = prefix + el.len + postfix;
    char stack[256];
    char *k = klen <= sizeof stack ? stack : rs_malloc(klen);
    memcpy(k, pat.p, prefix);
    if (el.len)
        memcpy(k + prefix, el.p, el.len);
    memcpy(k + prefix + el.len, star + 1, postfix);
    struct entry *e = ks_read(c, c->db, rs_str_from(k, klen), NULL);
    if (k != stack)
        rs_free(k);
    if (e == NULL)
        return false;
    if (field) {
        if (e->type != OBJ_HASH)
            return false;
        struct hash view;
        return hash_get(hash_of(e, &view), rs_str_from(field, fieldlen), v);
    }
    if (e->type != OBJ_STRING)
        return false;
    *v = obj_str(e, buf);
    return true;
}

/* ------------------------------------------------------------------------
 * Comparing and sorting (Redis sortCompare, qsort and pqsort)
 * ------------------------------------------------------------------------ */

struct sort_item {
    struct rs_str el; /* the element, NUL-terminated (arena) */
    double score;     /* numeric sorts: what it sorts by, 0 when BY finds nothing */
    struct rs_str by; /* ALPHA BY: the value it sorts by (arena), .p NULL if none */
};

struct sort_opts {
    bool desc, alpha, by, store;
};

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* Bytes, then length (Redis compareStringObjects). */
static int bin_cmp(struct rs_str a, struct rs_str b)
{
    return sign(rs_str_cmp(a, b));
}

/* ALPHA's comparison: strcoll in the C locales (up to a NUL), bytes under
 * STORE. */
static int alpha_cmp(struct rs_str a, struct rs_str b, bool store)
{
    return store ? bin_cmp(a, b) : sign(strcmp(a.p, b.p));
}

static int item_cmp(const struct sort_item *x, const struct sort_item *y,
                    const struct sort_opts *o)
{
    int cmp;
    if (!o->alpha)
        cmp = x->score > y->score ? 1 : x->score < y->score ? -1 : bin_cmp(x->el, y->el);
    else if (!o->by)
        cmp = alpha_cmp(x->el, y->el, o->store);
    else if (x->by.p == NULL || y->by.p == NULL)
        cmp = x->by.p == y->by.p ? 0 : x->by.p == NULL ? -1 : 1;
    else
        cmp = alpha_cmp(x->by, y->by, o->store);
    return o->desc ? -cmp : cmp;
}

/* The sorts move pointers to the items, cheaper than moving the items. */

/* Merge the sorted runs a[0, n1) and a[n1, n) into out, the left run's
 * item first on ties (stable). */
static void merge_runs(struct sort_item **a, size_t n1, size_t n, struct sort_item **out,
                       const struct sort_opts *o)
{
    size_t i = 0, j = n1, k = 0;
    while (i < n1 && j < n)
        out[k++] = item_cmp(a[i], a[j], o) <= 0 ? a[i++] : a[j++];
    while (i < n1)
        out[k++] = a[i++];
    while (j < n)
        out[k++] = a[j++];
}

#define SORT_RUN 16

/* glibc 2.36's qsort for arrays that fit its buffer is a merge sort,
 * stable; a stable sort's result is unique, so this one -- insertion
 * sorts of runs of 16, then merges back and forth between a and tmp (n
 * items) -- gives Redis's order at less cost. */
static void merge_sort(struct sort_item **a, size_t n, struct sort_item **tmp,
                       const struct sort_opts *o)
{
    for (size_t r = 0; r < n; r += SORT_RUN) {
        size_t end = r + SORT_RUN < n ? r + SORT_RUN : n;
        for (size_t m = r + 1; m < end; m++) {
            struct sort_item *x = a[m];
            size_t l = m;
            for (; l > r && item_cmp(a[l - 1], x, o) > 0; l--)
                a[l] = a[l - 1];
            a[l] = x;
        }
    }
    struct sort_item **src = a, **dst = tmp;
    for (size_t w = SORT_RUN; w < n; w *= 2) {
        for (size_t r = 0; r < n; r += 2 * w) {
            size_t mid = r + w < n ? r + w : n, end = r + 2 * w < n ? r + 2 * w : n;
            merge_runs(src + r, mid - r, end - r, dst + r, o);
        }
        struct sort_item **t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static void swap_items(struct sort_item **a, size_t i, size_t j)
{
    struct sort_item *t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void swap_runs(struct sort_item **a, size_t i, size_t j, size_t n)
{
    for (size_t k = 0; k < n; k++)
        swap_items(a, i + k, j + k);
}

static size_t med3(struct sort_item **a, size_t i, size_t j, size_t k, const struct sort_opts *o)
{
    return item_cmp(a[i], a[j], o) < 0
               ? (item_cmp(a[j], a[k], o) < 0 ? j : item_cmp(a[i], a[k], o) < 0 ? k : i)
               : (item_cmp(a[j], a[k], o) > 0 ? j : item_cmp(a[i], a[k], o) < 0 ? i : k);
}

/* Redis's pqsort: Bentley and McIlroy's quicksort (median of three, of
 * nine past 40 items, equal items gathered at the ends then swapped to the
 * middle, insertion sort under 7) over a[base, base + n), which leaves
 * unsorted the partitions that do not meet [lo, hi]. Recurses on the left
 * partition and loops on the right one, as Redis's does. */
static void pqsort(struct sort_item **a, size_t base, size_t n, size_t lo, size_t hi,
                   const struct sort_opts *o)
{
    for (;;) {
        if (n < 7) {
            for (size_t m = base + 1; m < base + n; m++)
                for (size_t l = m; l > base && item_cmp(a[l - 1], a[l], o) > 0; l--)
                    swap_items(a, l, l - 1);
            return;
        }
        size_t pm = base + n / 2;
        if (n > 7) {
            size_t pl = base, pn = base + n - 1;
            if (n > 40) {
                size_t d = n / 8;
                pl = med3(a, pl, pl + d, pl + 2 * d, o);
                pm = med3(a, pm - d, pm, pm + d, o);
                pn = med3(a, pn - 2 * d, pn - d, pn, o);
            }
            pm = med3(a, pl, pm, pn, o);
        }
        swap_items(a, base, pm);
        size_t pa = base + 1, pb = pa, pc = base + n - 1, pd = pc;
        for (;;) {
            int cmp;
            while (pb <= pc && (cmp = item_cmp(a[pb], a[base], o)) <= 0) {
                if (cmp == 0)
                    swap_items(a, pa++, pb);
                pb++;
            }
            while (pb <= pc && (cmp = item_cmp(a[pc], a[base], o)) >= 0) {
                if (cmp == 0)
                    swap_items(a, pc, pd--);
                pc--;
            }
            if (pb > pc)
                break;
            swap_items(a, pb++, pc--);
        }
        size_t pn = base + n;
        size_t r = pa - base < pb - pa ? pa - base : pb - pa;
        swap_runs(a, base, pb - r, r);
        r = pd - pc < pn - pd - 1 ? pd - pc : pn - pd - 1;
        swap_runs(a, pb, pn - r, r);
        /* The items less than the pivot, then those greater: each sorted
         * only if it meets [lo, hi]. */
        size_t nl = pb - pa, ng = pd - pc;
        if (nl > 1 && !(hi < base || lo >= base + nl))
            pqsort(a, base, nl, lo, hi, o);
        if (ng <= 1 || hi < pn - ng || lo >= pn)
            return;
        base = pn - ng;
        n = ng;
    }
}

/* ------------------------------------------------------------------------
 * SORT
 * ------------------------------------------------------------------------ */

struct sort_args {
    struct sort_opts o;
    bool dontsort;
    long long offset, count; /* LIMIT, count -1 for all */
    struct rs_str by;        /* the BY pattern, .p NULL for none */
    struct rs_str store;     /* the STORE key, .p NULL for none */
    int *gets;               /* argv indexes of the GET patterns */
    int ngets;
};

/* Parse argv[2...] as Redis does (the last ASC/DESC, BY and STORE win);
 * false after an error reply. */
static bool parse_args(struct cmd_ctx *c, bool readonly, struct sort_args *a)
{
    /* BY with a pattern and GET read keys no key spec names: a user who
     * may not read every key is refused them (Redis 7.4). */
    bool reads_all = !(c->s->flags & SES_ACL_CHECK) || acl_reads_every_key(c);
    for (int j = 2; j < c->argc; j++) {
        struct rs_str w = c->argv[j];
        int left = c->argc - j - 1;
        if (rs_str_eqi(w, "asc")) {
            a->o.desc = false;
        } else if (rs_str_eqi(w, "desc")) {
            a->o.desc = true;
        } else if (rs_str_eqi(w, "alpha")) {
            a->o.alpha = true;
        } else if (rs_str_eqi(w, "limit") && left >= 2) {
            if (!arg_ll(c, c->argv[j + 1], &a->offset) || !arg_ll(c, c->argv[j + 2], &a->count))
                return false;
            j += 2;
        } else if (!readonly && rs_str_eqi(w, "store") && left >= 1) {
            a->store = c->argv[++j];
        } else if (rs_str_eqi(w, "by") && left >= 1) {
            a->by = c->argv[++j];
            if (cstr_chr(a->by, '*') == NULL) { /* and stays so, as in Redis */
                a->dontsort = true;
            } else if (!reads_all) {
                reply_err(c, RS_ERR_SORT_BY_ACL);
                return false;
            }
        } else if (rs_str_eqi(w, "get") && left >= 1) {
            if (!reads_all) {
                reply_err(c, RS_ERR_SORT_GET_ACL);
                return false;
            }
            a->gets[a->ngets++] = ++j;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

struct loader {
    struct sort_item *v;
    size_t n;
    struct arena *arena;
};

static bool load_member(void *ud, struct rs_str m)
{
    struct loader *l = ud;
    l->v[l->n++] = (struct sort_item){.el = arena_copy(l->arena, m)};
    return true;
}

/* The elements of value e (NULL: none) into l: all of them in the
 * value's order, except for a list or sorted set left unsorted (BY
 * nosort), of which only the range [*start, *end] is read, reversed by
 * DESC, and *start and *end are made to index l->v. */
static void load(struct entry *e, const struct sort_args *a, long long *start, long long *end,
                 struct loader *l)
{
    if (e == NULL)
        return;
    bool direct = a->dontsort && e->type != OBJ_SET;
    long long from = direct ? *start : 0, n;
    if (e->type == OBJ_LIST) {
        struct quicklist view;
        const struct quicklist *ql = list_get(e, &view);
        n = direct ? *end - *start + 1 : (long long)ql->count;
        struct ql_pos pos;
        bool more = n > 0 && ql_index(ql, a->o.desc && direct ? -1 - from : from, &pos);
        for (long long i = 0; i < n && more; i++) {
            struct rs_str s = ql_get(pos);
            load_member(l, s);
            more = direct && a->o.desc ? ql_prev(&pos) : ql_next(&pos);
        }
    } else if (e->type == OBJ_ZSET) {
        const struct rzset *z = entry_ptr(e);
        n = direct ? *end - *start + 1 : (long long)zset_len(z);
        struct zset_it it;
        if (n > 0)
            zset_it_rank(&it, z, (uint64_t)from, direct && a->o.desc);
        for (long long i = 0; i < n; i++, zset_it_next(&it))
            load_member(l, zset_it_member(&it));
    } else {
        struct rset view;
        set_foreach(set_of(e, &view), load_member, l);
    }
    if (direct) {
        *end -= *start;
        *start = 0;
    }
}

/* What item it sorts by, from the BY pattern or itself; false if a value
 * is not a number in a numeric sort (the sort goes on, then fails). */
static bool score(struct cmd_ctx *c, const struct sort_args *a, struct sort_item *it,
                  struct arena *arena)
{
    char buf[RESP_LL_STR_SIZE];
    struct rs_str v = it->el;
    if (a->by.p && !lookup_pattern(c, a->by, it->el, buf, &v))
        return true; /* nothing to sort by: 0, or first for ALPHA */
    if (a->o.alpha) {
        if (a->by.p)
            it->by = arena_copy(arena, v);
        return true;
    }
    /* strtod of the C string, as Redis: "" is 0, "12\0x" is 12. */
    char tmp[128], *copy = NULL;
    const char *s = it->el.p; /* NUL-terminated in the arena */
    if (v.p != it->el.p) {
        copy = v.len < sizeof tmp ? tmp : rs_malloc(v.len + 1);
        memcpy(copy, v.p, v.len);
        copy[v.len] = '\0';
        s = copy;
    }
    char *end;
    errno = 0;
    it->score = strtod(s, &end);
    bool ok = *end == '\0' && errno != ERANGE && !isnan(it->score);
    if (copy != tmp)
        rs_free(copy);
    return ok;
}

/* The value of GET pattern pat for element el, "" or a null when there is
 * none: pushed to ql under STORE, else replied. */
static void emit(struct cmd_ctx *c, struct rs_str pat, struct rs_str el, struct quicklist *ql)
{
    char buf[RESP_LL_STR_SIZE];
    struct rs_str v;
    bool found = lookup_pattern(c, pat, el, buf, &v);
    if (ql) {
        struct rs_str s = found ? v : rs_str_from("", 0);
        list_growing(c->st, ql, s.len, 1);
        ql_push(ql, s, QL_TAIL);
    } else if (found) {
        resp_add_bulk_str(c->out, v);
    } else {
        resp_add_null(c->out);
    }
}

/* Replace the destination by the list ql (count elements), or delete it
 * when the result is empty; reply the count. */
static void store_result(struct cmd_ctx *c, struct rs_str dst, struct quicklist *ql,
                         long long count)
{
    if (count > 0) {
        struct shard *sh = ks_shard(c->db, dst, true);
        ks_set(c, c->db, dst, obj_new_ptr(sh, dst, OBJ_LIST, ENC_RAW, ql));
        ks_dirty(c->st, (uint64_t)count); /* one per element stored, as Redis */
        ks_notify(c->db, NOTIFY_LIST, "sortstore", dst);
    } else {
        ql_free(ql);
        if (ks_delete_key(c, c->db, dst, c->st->cfg.lazyfree_server_del)) {
            ks_dirty(c->st, 1);
            ks_notify(c->db, NOTIFY_GENERIC, "del", dst);
        }
    }
    resp_add_int(c->out, count);
}

static void sort_generic(struct cmd_ctx *c, bool readonly)
{
    int gets_stack[16];
    int ngets_max = (c->argc - 2) / 2;
    struct sort_args a = {.count = -1};
    a.gets = ngets_max <= 16 ? gets_stack : rs_malloc((size_t)ngets_max * sizeof *a.gets);
    struct entry *e = NULL;
    if (!parse_args(c, readonly, &a))
        goto out;
    e = ks_read(c, c->db, c->argv[1], NULL);
    if (e && e->type != OBJ_LIST && e->type != OBJ_SET && e->type != OBJ_ZSET) {
        reply_err(c, RS_ERR_WRONGTYPE);
        goto out;
    }
    a.o.store = a.store.p != NULL;
    if (!a.o.store)
        c->propagated = true; /* a write only with STORE: nothing to log */
    if (a.dontsort && e && e->type == OBJ_SET && (a.o.store || (c->s->flags & SES_SCRIPT))) {
        a.dontsort = false; /* a set's order would differ by replica and run */
        a.o.alpha = true;
        a.by = rs_str_from(NULL, 0);
    }
    a.o.by = a.by.p != NULL && !a.dontsort;

    long long len = 0;
    struct quicklist view;
    if (e)
        len = e->type == OBJ_LIST  ? (long long)list_get(e, &view)->count
              : e->type == OBJ_SET ? (long long)obj_sub_count(e)
                                   : (long long)zset_len(entry_ptr(e));
    /* LIMIT as Redis clamps it: [start, end] within [0, len). */
    long long start = a.offset < 0 ? 0 : a.offset > len ? len : a.offset;
    long long count = a.count < -1 ? -1 : a.count > len ? len : a.count;
    long long end = count < 0 ? len - 1 : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;

    struct arena arena = {0};
    size_t cap = e && a.dontsort && e->type != OBJ_SET && end >= start ? (size_t)(end - start + 1)
                                                                       : (size_t)len;
    struct loader l = {rs_malloc((cap ? cap : 1) * sizeof *l.v), 0, &arena};
    load(e, &a, &start, &end, &l);

    /* order[j]: the j-th item of the output, tmp the merge sort's room. */
    struct sort_item **order = rs_malloc(2 * (l.n ? l.n : 1) * sizeof *order);
    for (size_t i = 0; i < l.n; i++)
        order[i] = &l.v[i];
    bool bad_score = false;
    if (!a.dontsort) {
        for (size_t i = 0; i < l.n; i++)
            bad_score |= !score(c, &a, &l.v[i], &arena);
        if (a.o.by && (start != 0 || end != (long long)l.n - 1))
            pqsort(order, 0, l.n, (size_t)start, (size_t)end, &a.o);
        else
            merge_sort(order, l.n, order + l.n, &a.o);
    }

    long long nout = (end - start + 1) * (a.ngets ? a.ngets : 1);
    if (bad_score) {
        reply_err(c, RS_ERR_SORT_SCORE);
    } else {
        struct quicklist *ql = NULL;
        if (a.o.store)
            ql = ql_new(c->st->cfg.list_max_listpack_size, list_packed_threshold(c->st));
        else
            resp_add_array_len(c->out, nout);
        /* A reply stops being built once its client's output is full: it
         * is being closed (GETs multiply the elements). */
        for (long long j = start; j <= end && (ql || !resp_out_full(c->out)); j++) {
            if (a.ngets == 0)
                emit(c, rs_str_from("#", 1), order[j]->el, ql);
            for (int g = 0; g < a.ngets; g++)
                emit(c, c->argv[a.gets[g]], order[j]->el, ql);
        }
        if (ql)
            store_result(c, a.store, ql, nout);
    }
    rs_free(order);
    rs_free(l.v);
    arena_free(&arena);
out:
    if (a.gets != gets_stack)
        rs_free(a.gets);
}

/* SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 * [ALPHA] [STORE destination] -- the sorted elements, or what their GET
 * patterns name (nulls where nothing); with STORE, the number stored as a
 * list at destination (deleted when none). O(N + M log M), N the elements,
 * M those sorted; O(N) with BY nosort. */
void cmd_sort(struct cmd_ctx *c)
{
    sort_generic(c, false);
}

/* SORT_RO: SORT without STORE (a syntax error there). */
void cmd_sort__ro(struct cmd_ctx *c)
{
    sort_generic(c, true);
}
