/* SPDX-License-Identifier: BSD-3-Clause
 *
 * maxmemory: the access clock of every key, and eviction.
 *
 * Each entry has 24 bits for its policy (entry.h's lru field), as Redis's
 * object: under the LRU policies (and noeviction) the store's LRU clock in
 * seconds at its last access; under the LFU policies the minutes of the last
 * decrement in the high 16 bits and a logarithmic access counter in the low
 * 8, which grows with probability 1 / ((counter - 5) * lfu-log-factor + 1)
 * per access and loses one every lfu-decay-time minutes left idle. A
 * switch of policy reads the other policy's bits until keys are touched
 * again, as in Redis.
 *
 * Eviction (ks_evict) runs before each command while the store is over
 * maxmemory, as Redis's performEvictions: the LRU, LFU and TTL policies
 * sample maxmemory-samples keys of each database into a pool of the best
 * 16 candidates seen (the idlest, least frequent, nearest deadline) and
 * evict the best; the random ones evict a random key of the databases in
 * turn. Samples are uniform over the keys of a database (over its keys
 * with a TTL for the volatile policies), so a project is sampled, and
 * loses keys, in proportion to the keys it holds. One call stops at the
 * time maxmemory-eviction-tenacity allows (50 us a step up to 10, then
 * 15% more a step, none at 100); the rest is evicted by respite_tick,
 * between commands, and by the next commands.
 *
 * Projects over their MAXMEMORY quota (PROJECT QUOTA, quota.c) pay first:
 * while one is, the victim is the best of maxmemory-samples keys of that
 * project (drawn from its databases by their key counts, scored as the
 * pool scores them), until no project is over its quota; then the pool
 * as above. Finding them costs O(quotas with a MAXMEMORY x databases) per
 * key evicted, nothing while no quota has a MAXMEMORY.
 *
 * ks_refcount says which values Redis would share (OBJECT REFCOUNT).
 *
 * An eviction deletes the key as an expiry does: WATCH and tracking hear
 * of it (ks_take), the `evicted` event (class e) is published, the
 * append-only file logs a DEL (an UNLINK under lazyfree-lazy-eviction),
 * and a big value goes to the background under lazyfree-lazy-eviction.
 */
#include <limits.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/util.h"
#include "keyspace/keyspace.h"

#define LFU_INIT_VAL 5       /* a new key's counter, so it is not evicted at once */
#define EVPOOL_SIZE 16       /* candidates kept across evictions */
#define EVPOOL_INLINE 48     /* key bytes a slot holds without an allocation */
#define EVICT_CHECK_EVERY 16 /* keys evicted between two reads of the clock */
#define EVICT_SAMPLES_MAX 64 /* maxmemory-samples' largest */
#define LRU_CLOCK_MAX 0xFFFFFFu

/* ------------------------------------------------------------------------
 * Access clocks
 * ------------------------------------------------------------------------ */

static int64_t clock_ms(const struct store *st)
{
    return st->cmd_now >= 0 ? st->cmd_now : store_now(st);
}

/* The store clock in minutes, on LFU's 16 bits. */
static uint32_t lfu_minutes(const struct store *st)
{
    return (uint32_t)((clock_ms(st) / 60000) & 0xFFFF);
}

/* e's counter less one per lfu-decay-time minutes since its time. */
static uint32_t lfu_decayed(const struct store *st, const struct entry *e)
{
    uint32_t then = e->lru >> 8, counter = e->lru & 0xFF, now = lfu_minutes(st);
    uint32_t elapsed = now >= then ? now - then : 0xFFFF - then + now;
    uint32_t periods = st->cfg.lfu_decay_time ? elapsed / (uint32_t)st->cfg.lfu_decay_time : 0;
    return periods > counter ? 0 : counter - periods;
}

void ks__lfu_touch(struct store *st, struct entry *e)
{
    uint32_t counter = lfu_decayed(st, e);
    if (counter < 255) {
        double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
        double p = 1.0 / (base * st->cfg.lfu_log_factor + 1);
        /* 53 random bits: a double uniform in [0, 1) */
        if ((double)(rng_next(&st->rng) >> 11) * 0x1p-53 < p)
            counter++;
    }
    e->lru = lfu_minutes(st) << 8 | counter;
}

void ks_access_init(const struct store *st, struct entry *e)
{
    e->lru = MM_HOW(st->cfg.maxmemory_policy) == MM_LFU ? lfu_minutes(st) << 8 | LFU_INIT_VAL
                                                         : store_lru(st);
}

uint64_t ks_idle_ms(const struct store *st, const struct entry *e)
{
    uint32_t now = store_lru(st), lru = e->lru;
    return (uint64_t)(now >= lru ? now - lru : now + (LRU_CLOCK_MAX - lru)) * 1000;
}

int ks_refcount(const struct store *st, const struct entry *e)
{
    int how = MM_HOW(st->cfg.maxmemory_policy);
    bool unshared = st->cfg.maxmemory != 0 && (how == MM_LRU || how == MM_LFU);
    bool shared = !unshared && e->type == OBJ_STRING && e->enc == ENC_INT &&
                  entry_int(e) >= 0 && entry_int(e) < 10000;
    return shared ? INT_MAX : 1;
}

uint32_t ks_lfu_freq(const struct store *st, const struct entry *e)
{
    return lfu_decayed(st, e);
}

void ks_set_idle_or_freq(const struct store *st, struct entry *e, long long idle_secs,
                         int freq)
{
    if (MM_HOW(st->cfg.maxmemory_policy) == MM_LFU) {
        if (freq >= 0)
            e->lru = lfu_minutes(st) << 8 | (uint32_t)freq;
    } else if (idle_secs >= 0) {
        /* on the 24-bit clock that wraps */
        long long at = (long long)store_lru(st) - idle_secs % LRU_CLOCK_MAX;
        if (at < 0)
            at += LRU_CLOCK_MAX;
        e->lru = (uint32_t)at & LRU_CLOCK_MAX;
    }
}

/* ------------------------------------------------------------------------
 * Memory against the limit
 * ------------------------------------------------------------------------ */

/* What counts against maxmemory: used_memory (keys, values, project shards)
 * less what is already queued for freeing. */
static uint64_t used_for_evict(const struct store *st)
{
    return store_used(st) - st->lazy_bytes;
}

bool ks_over_maxmemory(const struct store *st)
{
    return st->cfg.maxmemory && used_for_evict(st) > (uint64_t)st->cfg.maxmemory;
}

/* ------------------------------------------------------------------------
 * The pool of candidates
 * ------------------------------------------------------------------------ */

struct evict_slot {
    uint64_t score;  /* the higher the better to evict */
    const struct entry *e; /* the entry sampled: a key met again is known by it */
    int db;
    uint32_t klen;
    char *key;       /* buf, or an allocation for a longer key */
    char buf[EVPOOL_INLINE];
};

/* Sorted by score, best last; n slots used. */
struct evict_pool {
    struct evict_slot s[EVPOOL_SIZE];
    int n;
};

static void slot_clear(struct evict_slot *x)
{
    if (x->key != x->buf)
        rs_free(x->key);
    x->key = x->buf;
}

/* Remove slot i, keeping the order. */
static void pool_remove(struct evict_pool *p, int i)
{
    slot_clear(&p->s[i]);
    memmove(&p->s[i], &p->s[i + 1], (size_t)(p->n - i - 1) * sizeof p->s[0]);
    p->n--;
    /* the moved slots' inline keys moved with them */
    for (int k = i; k < p->n; k++)
        if (p->s[k].klen <= EVPOOL_INLINE)
            p->s[k].key = p->s[k].buf;
}

/* Offer e's key (of db) with score: it takes a place if the pool has room
 * or it beats the worst, which leaves. A key sampled again is known by its
 * entry's address (an address reused by another key since only costs that
 * key its place in this round; a key deleted and set again may sit twice,
 * and its stale slot finds nothing when its turn comes). O(pool). */
static void pool_offer(struct evict_pool *p, int db, const struct entry *e, uint64_t score)
{
    const char *key = entry_key(e);
    uint32_t klen = e->klen;
    for (int i = 0; i < p->n; i++)
        if (p->s[i].e == e)
            return; /* there already (sampled again) */
    if (p->n == EVPOOL_SIZE) {
        if (score <= p->s[0].score)
            return;
        pool_remove(p, 0);
    }
    int at = p->n;
    while (at > 0 && p->s[at - 1].score > score)
        at--;
    memmove(&p->s[at + 1], &p->s[at], (size_t)(p->n - at) * sizeof p->s[0]);
    p->n++;
    for (int k = at + 1; k < p->n; k++)
        if (p->s[k].klen <= EVPOOL_INLINE)
            p->s[k].key = p->s[k].buf;
    struct evict_slot *x = &p->s[at];
    x->score = score;
    x->e = e;
    x->db = db;
    x->klen = klen;
    x->key = klen <= EVPOOL_INLINE ? x->buf : rs_malloc(klen);
    memcpy(x->key, key, klen);
}

void ks_evict_free(struct store *st)
{
    if (st->evpool == NULL)
        return;
    while (st->evpool->n)
        pool_remove(st->evpool, st->evpool->n - 1);
    rs_free(st->evpool);
    st->evpool = NULL;
}

/* ------------------------------------------------------------------------
 * Sampling
 * ------------------------------------------------------------------------ */

/* A key of db, each equally likely, and in *sh its shard; NULL if db is
 * empty. O(log projects). */
static struct entry *random_key(struct store *st, struct db *db, struct shard **sh)
{
    uint64_t n = ks_db_size(db);
    struct ks_proj p;
    if (n == 0 || !ks_random_project(db, rng_below(&st->rng, n), &p))
        return NULL;
    *sh = p.sh;
    return ks_proj_random(&p, &st->rng);
}

/* Draws of random_volatile before it stops looking among all keys: past
 * them, keys with a TTL are too few among the others to be met by chance. */
#define VOLATILE_TRIES 64

/* A key of db with a TTL, and in *sh its shard; NULL if none. A project
 * drawn by its key count, then a uniform place among its keys that is
 * taken only when it falls on one of its keys with a TTL, which makes each
 * key with a TTL equally likely. When those are too rare for that to
 * succeed, a shard with deadlines is drawn (each equally likely), then one
 * of its keys with a TTL. */
static struct entry *random_volatile(struct store *st, struct db *db, struct shard **sh)
{
    uint64_t n = ks_db_size(db);
    if (n == 0 || db->nexpires == 0)
        return NULL;
    for (int i = 0; i < VOLATILE_TRIES; i++) {
        struct ks_proj p;
        if (!ks_random_project(db, rng_below(&st->rng, n), &p))
            return NULL;
        uint64_t u = rng_below(&st->rng, ks_proj_keys(&p));
        *sh = p.sh;
        if (p.one) {
            if (p.one->e->exp_idx != EXP_NONE)
                return p.one->e;
        } else if (u < shard_nexp(p.sh)) {
            return p.sh->ttl->exp.a[u].p;
        }
    }
    for (int i = 0; i < VOLATILE_TRIES; i++) {
        *sh = db->due.a[rng_below(&st->rng, db->due.n)].p;
        uint32_t m = shard_nexp(*sh);
        if (m)
            return (*sh)->ttl->exp.a[rng_below(&st->rng, m)].p;
    }
    return NULL;
}

/* e's worth as a victim under policy: the higher the sooner. */
static uint64_t score(const struct store *st, int policy, const struct shard *sh,
                      const struct entry *e)
{
    switch (MM_HOW(policy)) {
    case MM_LRU:
        return ks_idle_ms(st, e);
    case MM_LFU:
        return 255 - ks_lfu_freq(st, e);
    default: /* MM_TTL: the nearest deadline first */
        return UINT64_MAX - (uint64_t)exp_get(sh, e);
    }
}

/* Sample maxmemory-samples keys of each database into the pool; false if
 * there was none to sample. Under the allkeys policies a project is drawn
 * by its key count, then keys met together in its table (ks_proj_sample,
 * as Redis's dictGetSomeKeys): a few cache misses for the whole sample,
 * where drawing each key exactly uniformly (random_key) costs a dozen
 * misses a key once evictions have thinned the table. */
static bool pool_fill(struct store *st, int policy)
{
    struct evict_pool *p = st->evpool;
    bool any = false;
    int want = st->cfg.maxmemory_samples;
    for (int d = 0; d < st->ndbs; d++) {
        struct db *db = st->dbs[d];
        if (policy & MM_ALLKEYS) {
            struct entry *got[EVICT_SAMPLES_MAX];
            for (int have = 0; have < want;) {
                uint64_t n = ks_db_size(db);
                struct ks_proj pj;
                if (n == 0 || !ks_random_project(db, rng_below(&st->rng, n), &pj))
                    break;
                unsigned k = ks_proj_sample(&pj, &st->rng, got, (unsigned)(want - have));
                for (unsigned i = 0; i < k; i++)
                    pool_offer(p, d, got[i], score(st, policy, pj.sh, got[i]));
                have += (int)k;
                any = true;
            }
            continue;
        }
        for (int i = 0; i < want; i++) {
            struct shard *sh;
            struct entry *e = random_volatile(st, db, &sh);
            if (e == NULL)
                break;
            any = true;
            pool_offer(p, d, e, score(st, policy, sh, e));
        }
    }
    return any;
}

/* The next victim under policy, in *db and *loc; false if there is none. */
static bool pick(struct store *st, int policy, struct db **db, struct kloc *loc)
{
    if (MM_HOW(policy) == MM_RANDOM) {
        /* the databases in turn, each of which gives a random key */
        for (int k = 0; k < st->ndbs; k++) {
            int d = (st->evict_next_db + k) % st->ndbs;
            struct shard *sh;
            struct entry *e = policy & MM_ALLKEYS ? random_key(st, st->dbs[d], &sh)
                                                  : random_volatile(st, st->dbs[d], &sh);
            if (e) {
                st->evict_next_db = (d + 1) % st->ndbs;
                *db = st->dbs[d];
                ks_locate(sh, e, loc);
                return true;
            }
        }
        return false;
    }
    if (st->evpool == NULL) {
        st->evpool = rs_calloc(1, sizeof *st->evpool);
        for (int i = 0; i < EVPOOL_SIZE; i++)
            st->evpool->s[i].key = st->evpool->s[i].buf;
    }
    struct evict_pool *p = st->evpool;
    for (;;) {
        if (!pool_fill(st, policy) && p->n == 0)
            return false;
        /* The best first; a candidate deleted since it was sampled, or
         * that lost its TTL under a volatile policy, leaves. */
        while (p->n) {
            struct evict_slot *x = &p->s[p->n - 1];
            struct shard *sh;
            struct db *xd = x->db < st->ndbs ? st->dbs[x->db] : NULL;
            struct entry *e = xd ? ks_get(xd, rs_str_from(x->key, x->klen), &sh) : NULL;
            pool_remove(p, p->n - 1);
            if (e && (policy & MM_ALLKEYS || e->exp_idx != EXP_NONE)) {
                *db = xd;
                ks_locate(sh, e, loc);
                return true;
            }
        }
    }
}

/* Over-quota eviction: the project whose bytes pass its MAXMEMORY by the
 * most, its keys in each database, their total. */
struct over_quota {
    struct store *st;
    const struct ks_quota *q;
    uint64_t excess;
};

static void find_over(void *ud, struct ks_quota *q)
{
    struct over_quota *o = ud;
    if (q->maxmemory == 0)
        return;
    uint64_t keys, bytes;
    ks_quota_usage(o->st, rs_str_from(q->id, q->idlen), &keys, &bytes);
    if (keys && bytes > q->maxmemory && bytes - q->maxmemory > o->excess) {
        o->excess = bytes - q->maxmemory;
        o->q = q;
    }
}

/* A victim among the keys of the project most over its MAXMEMORY quota,
 * under policy; false if no project is over (or none of its sampled keys
 * may go: the volatile policies take keys with a TTL only). */
static bool pick_over_quota(struct store *st, int policy, struct db **db, struct kloc *loc)
{
    struct over_quota o = {st, NULL, 0};
    ks_quota_foreach(st, find_over, &o);
    if (o.q == NULL)
        return false;
    struct rs_str id = rs_str_from(o.q->id, o.q->idlen);
    struct ks_proj *projs = rs_malloc((size_t)st->ndbs * sizeof *projs);
    int *dbs = rs_malloc((size_t)st->ndbs * sizeof *dbs), n = 0;
    uint64_t total = 0;
    for (int d = 0; d < st->ndbs; d++) {
        if (ks_project(st->dbs[d], id, &projs[n]) && ks_proj_keys(&projs[n])) {
            total += ks_proj_keys(&projs[n]);
            dbs[n++] = d;
        }
    }
    bool found = false;
    uint64_t best = 0;
    for (int i = 0; i < st->cfg.maxmemory_samples && total; i++) {
        uint64_t x = rng_below(&st->rng, total);
        int k = 0;
        while (x >= ks_proj_keys(&projs[k]))
            x -= ks_proj_keys(&projs[k++]);
        struct entry *e = ks_proj_random(&projs[k], &st->rng);
        if (e == NULL || (!(policy & MM_ALLKEYS) && e->exp_idx == EXP_NONE))
            continue;
        uint64_t sc = MM_HOW(policy) == MM_RANDOM ? 1 : score(st, policy, projs[k].sh, e);
        if (!found || sc > best) {
            found = true;
            best = sc;
            *db = st->dbs[dbs[k]];
            ks_locate(projs[k].sh, e, loc);
        }
        if (MM_HOW(policy) == MM_RANDOM)
            break;
    }
    rs_free(projs);
    rs_free(dbs);
    return found;
}

/* Delete the key at loc of db as evicted. */
static void evict_key(struct store *st, struct db *db, struct kloc *loc)
{
    struct entry *e = *loc->ref;
    bool lazy = st->cfg.lazyfree_eviction;
    ks_notify_entry(db, NOTIFY_EVICTED, "evicted", e);
    if (st->aof)
        st->up.expired(db, rs_str_from(entry_key(e), e->klen), lazy);
    ks_delete_lazy(loc, lazy);
    st->stats.evicted_keys++;
}

/* The time one ks_evict may take, in us, by maxmemory-eviction-tenacity:
 * 50 a step up to 10, then 15% more a step; no limit at 100. */
static int64_t time_limit_us(int tenacity)
{
    if (tenacity <= 10)
        return 50 * (int64_t)tenacity;
    if (tenacity >= 100)
        return INT64_MAX;
    double us = 500;
    for (int i = 10; i < tenacity; i++)
        us *= 1.15;
    return (int64_t)us;
}

/* Note whether the store is over maxmemory now, for INFO's
 * total_eviction_exceeded_time and current_eviction_exceeded_time. */
static int exceeded(struct store *st, int result)
{
    struct store_stats *ss = &st->stats;
    if (result != KS_EVICT_OK) {
        if (ss->evict_exceeded_since == 0)
            ss->evict_exceeded_since = rs_mono_us();
    } else if (ss->evict_exceeded_since) {
        ss->evict_exceeded_us += (uint64_t)(rs_mono_us() - ss->evict_exceeded_since);
        ss->evict_exceeded_since = 0;
    }
    st->evict_running = result == KS_EVICT_RUNNING;
    return result;
}

static int evict_run(struct store *st);

int ks_evict(struct store *st)
{
    if (!st->cfg.maxmemory || st->persist.loading || st->script_busy)
        return KS_EVICT_OK;
    /* One clock read for all the samples' idle times (store_lru reads
     * cmd_now when set), as Redis's cached LRU clock. */
    if (st->cmd_now >= 0)
        return evict_run(st);
    st->cmd_now = store_now(st);
    int r = evict_run(st);
    st->cmd_now = -1;
    return r;
}

static int evict_run(struct store *st)
{
    if (!ks_over_maxmemory(st))
        return exceeded(st, KS_EVICT_OK);
    int policy = st->cfg.maxmemory_policy;
    if (policy == MM_NOEVICTION)
        return exceeded(st, KS_EVICT_FAIL);
    int64_t t0 = rs_mono_us(), limit = time_limit_us(st->cfg.maxmemory_eviction_tenacity);
    uint64_t n = 0;
    while (ks_over_maxmemory(st)) {
        struct db *db = NULL; /* set by whichever pick succeeds (gcc -O2 cannot tell) */
        struct kloc loc;
        if ((st->quotas.nmemory == 0 || !pick_over_quota(st, policy, &db, &loc)) &&
            !pick(st, policy, &db, &loc))
            return exceeded(st, KS_EVICT_FAIL);
        evict_key(st, db, &loc);
        /* the clock is read every few keys: a key is quicker to evict */
        if (++n % EVICT_CHECK_EVERY == 0 && rs_mono_us() - t0 > limit)
            return exceeded(st, ks_over_maxmemory(st) ? KS_EVICT_RUNNING : KS_EVICT_OK);
    }
    return exceeded(st, KS_EVICT_OK);
}

uint64_t ks_evict_exceeded_ms(const struct store *st, bool total)
{
    const struct store_stats *ss = &st->stats;
    uint64_t cur = ss->evict_exceeded_since ? (uint64_t)(rs_mono_us() - ss->evict_exceeded_since)
                                            : 0;
    return ((total ? ss->evict_exceeded_us : 0) + cur) / 1000;
}
