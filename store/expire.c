/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Key TTLs. Each shard keeps a binary min-heap of (deadline, entry); an
 * entry with a TTL knows its heap slot (exp_idx), so changing or removing a
 * TTL is O(log n) and reading it O(1). Keys past their deadline are never
 * visible (ks.c deletes them on access) and are reclaimed actively here, in
 * bounded slices: the heap top is always the next key due, so a slice does
 * only useful work and never samples.
 */
#include "ks.h"
#include "mem.h"

int64_t exp_get(const struct shard *sh, const struct entry *e)
{
    return e->exp_idx == EXP_NONE ? -1 : sh->exp[e->exp_idx].when;
}

static void place(struct shard *sh, uint32_t i, struct exp_item it)
{
    sh->exp[i] = it;
    it.e->exp_idx = i;
}

static void sift_up(struct shard *sh, uint32_t i)
{
    struct exp_item it = sh->exp[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (sh->exp[parent].when <= it.when)
            break;
        place(sh, i, sh->exp[parent]);
        i = parent;
    }
    place(sh, i, it);
}

static void sift_down(struct shard *sh, uint32_t i)
{
    struct exp_item it = sh->exp[i];
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        int64_t best = it.when;
        if (l < sh->nexp && sh->exp[l].when < best)
            m = l, best = sh->exp[l].when;
        if (l + 1 < sh->nexp && sh->exp[l + 1].when < best)
            m = l + 1;
        if (m == i)
            break;
        place(sh, i, sh->exp[m]);
        i = m;
    }
    place(sh, i, it);
}

void exp_set(struct shard *sh, struct entry *e, int64_t when)
{
    if (e->exp_idx != EXP_NONE) {
        uint32_t i = e->exp_idx;
        int64_t old = sh->exp[i].when;
        sh->exp[i].when = when;
        if (when < old)
            sift_up(sh, i);
        else
            sift_down(sh, i);
        return;
    }
    if (sh->nexp == sh->exp_cap) {
        sh->exp_cap = sh->exp_cap ? sh->exp_cap * 2 : 4;
        sh->exp = rs_realloc(sh->exp, sh->exp_cap * sizeof *sh->exp);
    }
    uint32_t i = sh->nexp++;
    place(sh, i, (struct exp_item){when, e});
    sift_up(sh, i);
}

void exp_clear(struct shard *sh, struct entry *e)
{
    if (e->exp_idx == EXP_NONE)
        return;
    uint32_t i = e->exp_idx;
    e->exp_idx = EXP_NONE;
    uint32_t last = --sh->nexp;
    if (i != last) {
        place(sh, i, sh->exp[last]);
        if (i > 0 && sh->exp[i].when < sh->exp[(i - 1) / 2].when)
            sift_up(sh, i);
        else
            sift_down(sh, i);
    }
    if (sh->nexp == 0) {
        rs_free(sh->exp);
        sh->exp = NULL;
        sh->exp_cap = 0;
    } else if (sh->exp_cap > 64 && sh->nexp * 4 < sh->exp_cap) {
        sh->exp_cap /= 2;
        sh->exp = rs_realloc(sh->exp, sh->exp_cap * sizeof *sh->exp);
    }
}

void exp_moved(struct shard *sh, struct entry *e)
{
    sh->exp[e->exp_idx].e = e;
}

/* Delete due keys of one shard until none is due or the clock passes end.
 * Returns 1 if it stopped on the time budget. */
static int expire_shard(struct store *st, struct shard *sh, int64_t now, int64_t end)
{
    int n = 0;
    while (sh->nexp > 0 && sh->exp[0].when <= now) {
        struct entry *e = sh->exp[0].e;
        struct kloc loc = {sh, tbl_find_ref(&sh->tbl, entry_key(e), e->klen)};
        ks_delete(&loc);
        st->stats.expired_keys++;
        if ((++n & 31) == 0 && rs_mono_us() >= end)
            return 1;
    }
    return 0;
}

int exp_active_cycle(struct store *st, int64_t budget_us)
{
    int64_t now = store_now(st), end = rs_mono_us() + budget_us;
    /* Resume where the last cycle ran out of time, so a shard with a large
     * backlog cannot starve the shards after it. Position 0 of a db is its
     * global shard, i > 0 its project shard order[i - 1]. */
    int d0 = st->exp_db < st->ndbs ? st->exp_db : 0;
    size_t i0 = st->exp_pos;
    for (int k = 0; k <= st->ndbs; k++) {
        int d = (d0 + k) % st->ndbs;
        struct db *db = st->dbs[d];
        for (size_t i = k == 0 ? i0 : 0; i <= db->norder; i++) {
            struct shard *sh = i == 0 ? &db->global : db->order[i - 1];
            if (expire_shard(st, sh, now, end)) {
                st->exp_db = d;
                st->exp_pos = i;
                ks_reap_empty(st);
                return 1;
            }
        }
    }
    st->exp_db = 0;
    st->exp_pos = 0;
    ks_reap_empty(st);
    return 0;
}
