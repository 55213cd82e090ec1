/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Project quotas (PROJECT QUOTA): the record of each project id that has
 * one, in a chained hash map by id (st->quotas), and what a project uses
 * across the databases. A record belongs to the id, not to a shard: it
 * stays while the project has no keys, through PROJECT DROP and FLUSHALL,
 * and goes only when its three limits are set to 0 (or a load replaces
 * the dataset). Files keep them as RDB aux fields (KS_QUOTA_AUX, which
 * Redis skips as it skips every aux field it does not know) and AOF
 * commands. What a limit means for a command -- -OOM, a held command
 * -- is decided in commands/quota.c; eviction reads the records with a
 * MAXMEMORY (evict.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "keyspace/keyspace.h"
#include "ds/mem.h"

static uint64_t quota_hash(const struct store *st, struct rs_str id)
{
    return XXH3_64bits_withSeed(id.p, id.len, st->seed);
}

static struct ks_quota **slot_of(const struct store *st, struct rs_str id)
{
    return &st->quotas.slots[quota_hash(st, id) & (st->quotas.cap - 1)];
}

struct ks_quota *ks_quota_find(const struct store *st, struct rs_str id)
{
    if (st->quotas.n == 0)
        return NULL;
    for (struct ks_quota *q = *slot_of(st, id); q; q = q->next)
        if (q->idlen == id.len && memcmp(q->id, id.p, id.len) == 0)
            return q;
    return NULL;
}

/* Double the slots once the records outnumber them. */
static void grow(struct store *st)
{
    struct ks_quotas *qs = &st->quotas;
    uint32_t old = qs->cap;
    struct ks_quota **slots = qs->slots;
    qs->cap = old ? old * 2 : 8;
    qs->slots = rs_calloc(qs->cap, sizeof *qs->slots);
    for (uint32_t i = 0; i < old; i++) {
        while (slots[i]) {
            struct ks_quota *q = slots[i];
            slots[i] = q->next;
            struct ks_quota **to = slot_of(st, rs_str_from(q->id, q->idlen));
            q->next = *to;
            *to = q;
        }
    }
    rs_free(slots);
}

struct ks_quota *ks_quota_set(struct store *st, struct rs_str id, uint64_t maxmemory,
                              uint64_t maxkeys, uint64_t maxops)
{
    struct ks_quotas *qs = &st->quotas;
    struct ks_quota *q = ks_quota_find(st, id);
    bool none = maxmemory == 0 && maxkeys == 0 && maxops == 0;
    if (q == NULL && none)
        return NULL;
    if (q == NULL) {
        if (qs->n + 1 > qs->cap)
            grow(st);
        q = rs_calloc(1, sizeof *q + id.len);
        q->idlen = (uint32_t)id.len;
        memcpy(q->id, id.p, id.len);
        struct ks_quota **at = slot_of(st, id);
        q->next = *at;
        *at = q;
        qs->n++;
    }
    qs->nmemory -= q->maxmemory != 0;
    if (none) {
        struct ks_quota **at = slot_of(st, id);
        while (*at != q)
            at = &(*at)->next;
        *at = q->next;
        rs_free(q);
        qs->n--;
        return NULL;
    }
    /* A new or changed rate starts with a full bucket. */
    if (maxops != q->maxops) {
        q->tokens = (double)maxops;
        q->refill_us = rs_mono_us();
    }
    q->maxmemory = maxmemory;
    q->maxkeys = maxkeys;
    q->maxops = maxops;
    qs->nmemory += maxmemory != 0;
    return q;
}

void ks_quota_clear(struct store *st)
{
    struct ks_quotas *qs = &st->quotas;
    for (uint32_t i = 0; i < qs->cap; i++) {
        while (qs->slots[i]) {
            struct ks_quota *q = qs->slots[i];
            qs->slots[i] = q->next;
            rs_free(q);
        }
    }
    rs_free(qs->slots);
    *qs = (struct ks_quotas){0};
}

void ks_quota_foreach(const struct store *st, void (*fn)(void *ud, struct ks_quota *q), void *ud)
{
    for (uint32_t i = 0; i < st->quotas.cap; i++)
        for (struct ks_quota *q = st->quotas.slots[i]; q; q = q->next)
            fn(ud, q);
}

void ks_quota_usage(struct store *st, struct rs_str id, uint64_t *keys, uint64_t *bytes)
{
    *keys = *bytes = 0;
    for (int i = 0; i < st->ndbs; i++) {
        struct ks_proj p;
        if (st->dbs[i]->norder == 0 || !ks_project(st->dbs[i], id, &p))
            continue;
        *keys += ks_proj_keys(&p);
        *bytes += ks_proj_bytes(&p);
    }
}

size_t ks_quota_aux(const struct ks_quota *q, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%" PRIu64 " %" PRIu64 " %" PRIu64 " ", q->maxmemory, q->maxkeys,
                     q->maxops);
    if (n < 0 || (size_t)n + q->idlen > size)
        return 0;
    memcpy(buf + n, q->id, q->idlen);
    return (size_t)n + q->idlen;
}

/* The number at *p (decimal digits, then a space), p moved past the
 * space; false if there is none. */
static bool aux_num(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    *v = 0;
    if (s == end || *s < '0' || *s > '9')
        return false;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (*v > (UINT64_MAX - 9) / 10)
            return false;
        *v = *v * 10 + (uint64_t)(*s - '0');
    }
    if (s == end || *s != ' ')
        return false;
    *p = s + 1;
    return true;
}

bool ks_quota_load_aux(struct store *st, const char *v, size_t n)
{
    const char *p = v, *end = v + n;
    uint64_t mem, keys, ops;
    if (!aux_num(&p, end, &mem) || !aux_num(&p, end, &keys) || !aux_num(&p, end, &ops) ||
        p == end || mem > INT64_MAX || keys > INT64_MAX || ops > INT64_MAX)
        return false;
    ks_quota_set(st, rs_str_from(p, (size_t)(end - p)), mem, keys, ops);
    return true;
}
