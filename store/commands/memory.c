/* SPDX-License-Identifier: BSD-3-Clause
 *
 * MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, with Redis
 * 7.4's replies and error texts (object.c there).
 *
 * MEMORY USAGE measures respite's own layout the way Redis's
 * objectComputeSize measures Redis's: the allocator's size of every block
 * of the key and its value (rs_alloc_size), each container's fixed parts
 * whole, and its elements (table entries, list chunks, sorted-set
 * members, stream nodes, consumer groups and their pending entries) from the mean
 * of the first `samples` of them times their number; SAMPLES 0 measures
 * them all. Bucket arrays count whole. What a value keeps outside its own
 * blocks is not counted, as Redis does not: the key's slot in its shard's
 * bucket array and its deadline in the shard's expiry heap.
 *
 * MEMORY STATS and DOCTOR read the figures INFO's Memory section reports
 * (mem_info, server.c): used_memory is respite's accounting of its keys,
 * values and project shards; the allocator fields come from jemalloc when
 * the process links it (respite-server does, mem_alloc_stats), else are
 * Redis's stand-ins (mem_info).
 */
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/function.h"
#include "commands/script.h"
#include "ds/intset.h"
#include "ds/mem.h"
#include "ds/pack.h"
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "ds/stream.h"
#include "ds/table.h"
#include "ds/ztree.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"

/* jemalloc's, when the process links it (respite-server); NULL otherwise
 * (an embedder's malloc, or ASan's in the test build). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));
extern int mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp)
    __attribute__((weak));
extern int mallctlbymib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp, void *newp,
                        size_t newlen) __attribute__((weak));
extern void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
                               const char *opts) __attribute__((weak));

#define USAGE_DEFAULT_SAMPLES 5

/* ------------------------------------------------------------------------
 * MEMORY USAGE: the size of a value
 * ------------------------------------------------------------------------ */

/* n elements of which the first taken (<= n) measured sum bytes: the
 * estimate for all n, as Redis's (double)elesize/samples*size. */
static size_t extrapolate(size_t sum, uint64_t taken, uint64_t n)
{
    return taken ? (size_t)((double)sum / (double)taken * (double)n) : 0;
}

static size_t buckets_bytes(const struct table *t)
{
    return (size_t)(tbl_size(t, 0) + tbl_size(t, 1)) * sizeof(struct entry *);
}

/* A table whose entries are blocks of their own (hash fields, set
 * members): its bucket arrays and its entries, sampled. */
static size_t table_usage(struct table *t, uint64_t samples)
{
    size_t sum = 0;
    uint64_t taken = 0;
    struct tbl_iter it;
    tbl_iter_start(&it, t);
    for (struct entry *e; taken < samples && (e = tbl_iter_next(&it)) != NULL; taken++)
        sum += rs_alloc_size(e);
    tbl_iter_end(&it);
    return buckets_bytes(t) + extrapolate(sum, taken, tbl_count(t));
}

/* An ID map (a PEL): its sentinel and its nodes, sampled, each with the
 * block of its value when with_values (a group's PEL owns its pending
 * entries; a consumer's shares them). */
static size_t idmap_usage(const struct idmap *m, uint64_t samples, bool with_values)
{
    size_t sum = 0;
    uint64_t taken = 0;
    for (const struct idmap_node *n = m->head->next[0]; n && taken < samples;
         n = n->next[0], taken++)
        sum += rs_alloc_size(n) + (with_values ? rs_alloc_size(n->val) : 0);
    return rs_alloc_size(m->head) + extrapolate(sum, taken, m->size);
}

static size_t group_usage(const struct sgroup *g, uint64_t samples)
{
    size_t n = rs_alloc_size(g) + rs_alloc_size(g->name.p) + rs_alloc_size(g->cons) +
               idmap_usage(&g->pel, samples, true);
    size_t sum = 0;
    uint64_t taken = 0;
    for (; taken < samples && taken < g->ncons; taken++) {
        const struct sconsumer *k = g->cons[taken];
        sum += rs_alloc_size(k) + rs_alloc_size(k->name.p) + idmap_usage(&k->pel, samples, false);
    }
    return n + extrapolate(sum, taken, g->ncons);
}

static size_t stream_usage(const struct stream *s, uint64_t samples)
{
    const struct sentries *e = &s->e;
    size_t n = rs_alloc_size(s) + rs_alloc_size(e->nodes) + rs_alloc_size(s->groups);
    size_t sum = 0;
    uint64_t taken = 0;
    for (; taken < samples && taken < e->n; taken++)
        sum += rs_alloc_size(e->nodes[e->head + taken]);
    n += extrapolate(sum, taken, e->n);
    sum = 0;
    for (taken = 0; taken < samples && taken < s->ngroups; taken++)
        sum += group_usage(s->groups[taken], samples);
    return n + extrapolate(sum, taken, s->ngroups);
}

/* A list kept as its one chunk has no struct quicklist (list.h). */
static size_t list_usage(const struct entry *e, uint64_t samples)
{
    struct quicklist view;
    const struct quicklist *ql = list_get(e, &view);
    size_t sum = 0;
    uint64_t taken = 0;
    for (const struct ql_node *nd = ql->head; nd && taken < samples; nd = nd->next, taken++)
        sum += rs_alloc_size(nd);
    return (ql == &view ? 0 : rs_alloc_size(ql)) + extrapolate(sum, taken, ql->nnodes);
}

static size_t zset_usage(const struct rzset *z, uint64_t samples)
{
    size_t n = rs_alloc_size(z);
    if (z->lp)
        return n + rs_alloc_size(z->lp);
    const struct zbig *big = z->big;
    /* The nodes as the tree counts them (a sample of leaves would not do:
     * the first, at an end of the order, holds from 1 to ZT_LEAF members);
     * the members' entries sampled (the table chains the same entries). */
    n += rs_alloc_size(big) + buckets_bytes(&big->dict) + zt_node_bytes(&big->tree);
    size_t sum = 0;
    uint64_t taken = 0;
    for (struct zt_pos x = zt_first(&big->tree); x.leaf && taken < samples;
         x = zt_step(x, false), taken++)
        sum += rs_alloc_size(zt_entry(x));
    return n + extrapolate(sum, taken, big->tree.n);
}

static size_t set_usage(struct rset *s, uint64_t samples)
{
    size_t n = rs_alloc_size(s) + subttl_bytes(s->ttl);
    if (s->enc == SENC_INTSET)
        return n + rs_alloc_size(s->is);
    if (s->enc == SENC_LISTPACK)
        return n + rs_alloc_size(s->lp);
    return n + rs_alloc_size(s->ht) + table_usage(s->ht, samples);
}

static size_t hash_usage(const struct entry *e, uint64_t samples)
{
    if (e->enc == ENC_HASH_PACK) /* its pack alone */
        return rs_alloc_size(entry_ptr(e));
    const struct hash *h = entry_ptr(e);
    size_t n = rs_alloc_size(h) + subttl_bytes(h->ttl);
    return n + (h->pk ? rs_alloc_size(h->pk) : rs_alloc_size(h->t) + table_usage(h->t, samples));
}

/* Bytes of key e and its value, its containers' elements sampled
 * (samples >= 1). O(samples) but for the groups of a stream: O(samples^2). */
static size_t obj_usage(struct entry *e, uint64_t samples)
{
    size_t n = rs_alloc_size(e);
    switch (e->type) {
    case OBJ_STRING:
        return n + (e->enc == ENC_RAW ? rs_alloc_size(entry_ptr(e)) : 0);
    case OBJ_LIST:
        return n + list_usage(e, samples);
    case OBJ_SET:
        return n + (e->enc == ENC_SET_PACK ? rs_alloc_size(entry_ptr(e)) /* its pack alone */
                                           : set_usage(entry_ptr(e), samples));
    case OBJ_ZSET:
        return n + zset_usage(entry_ptr(e), samples);
    case OBJ_HASH:
        return n + hash_usage(e, samples);
    default:
        return n + stream_usage(entry_ptr(e), samples);
    }
}

/* MEMORY USAGE key [SAMPLES count] -- the options are checked before the
 * key, as Redis does; a missing key is a null. */
void cmd_memory_usage(struct cmd_ctx *c)
{
    long long samples = USAGE_DEFAULT_SAMPLES;
    for (int j = 3; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "samples") && j + 1 < c->argc) {
            if (!arg_ll(c, c->argv[j + 1], &samples))
                return;
            if (samples < 0) {
                reply_err(c, RS_ERR_SYNTAX);
                return;
            }
            if (samples == 0)
                samples = LLONG_MAX;
            j++;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    struct entry *e = ks_peek(c, c->db, c->argv[2], NULL);
    if (e == NULL) {
        resp_add_null(c->out);
        return;
    }
    resp_add_int(c->out, (long long)obj_usage(e, (uint64_t)samples));
}

/* ------------------------------------------------------------------------
 * MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE, HELP
 * ------------------------------------------------------------------------ */

/* The jemalloc names mem_alloc_stats reads (about 150 reads an INFO),
 * each looked up once (mallctlnametomib) and then read by its MIB. A
 * bin's name is looked up for bin 0, and each read puts the bin's index
 * in mib[bin]. 4096 is MALLCTL_ARENAS_ALL, the sum over the arenas. */
enum {
    JE_EPOCH, JE_ALLOCATED, JE_ACTIVE, JE_RESIDENT, JE_PAGE, JE_PMUZZY, JE_NBINS,
    JE_BIN_SIZE, JE_BIN_NREGS, JE_BIN_CURSLABS, JE_BIN_CURREGS, JE_NSTATS
};

static struct je_stat {
    const char *name;
    size_t bin;    /* the component that numbers the bin; 0 for none */
    size_t mib[8];
    size_t miblen; /* 0: the name did not resolve (or no jemalloc) */
} je_stats[JE_NSTATS] = {
    [JE_EPOCH] = {"epoch"},
    [JE_ALLOCATED] = {"stats.allocated"},
    [JE_ACTIVE] = {"stats.active"},
    [JE_RESIDENT] = {"stats.resident"},
    [JE_PAGE] = {"arenas.page"},
    [JE_PMUZZY] = {"stats.arenas.4096.pmuzzy"},
    [JE_NBINS] = {"arenas.nbins"},
    [JE_BIN_SIZE] = {"arenas.bin.0.size", 2},
    [JE_BIN_NREGS] = {"arenas.bin.0.nregs", 2},
    [JE_BIN_CURSLABS] = {"stats.arenas.4096.bins.0.curslabs", 4},
    [JE_BIN_CURREGS] = {"stats.arenas.4096.bins.0.curregs", 4},
};

/* Before main (and before any thread an embedder starts): the MIBs are
 * only read afterwards. */
__attribute__((constructor)) static void je_stats_init(void)
{
    if (mallctlnametomib == NULL)
        return;
    for (int k = 0; k < JE_NSTATS; k++) {
        struct je_stat *s = &je_stats[k];
        size_t len = sizeof s->mib / sizeof s->mib[0];
        if (mallctlnametomib(s->name, s->mib, &len) == 0)
            s->miblen = len;
    }
}

/* mallctl of je_stats[k] (of bin j for a bin's): jemalloc's result, or
 * -1 when its name did not resolve. */
static int je_ctl(int k, unsigned j, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
    const struct je_stat *s = &je_stats[k];
    if (s->miblen == 0)
        return -1;
    size_t mib[sizeof s->mib / sizeof s->mib[0]];
    memcpy(mib, s->mib, sizeof mib);
    if (s->bin)
        mib[s->bin] = j;
    return mallctlbymib(mib, s->miblen, oldp, oldlenp, newp, newlen);
}

/* jemalloc's statistics, refreshed: allocated, active, resident and
 * muzzy bytes, and the free regions of its small-size slabs (Redis 7.4's
 * allocator_frag_bytes: for each small bin, (regions of its current slabs
 * - regions in use) * region size). Returns false without jemalloc. */
bool mem_alloc_stats(struct mem_info *m)
{
    if (mallctlbymib == NULL)
        return false;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    je_ctl(JE_EPOCH, 0, &epoch, &len, &epoch, len);
    size_t v = 0, page = 0;
    len = sizeof v;
    if (je_ctl(JE_ALLOCATED, 0, &v, &len, NULL, 0) == 0)
        m->allocated = v;
    if (je_ctl(JE_ACTIVE, 0, &v, &len, NULL, 0) == 0)
        m->active = v;
    if (je_ctl(JE_RESIDENT, 0, &v, &len, NULL, 0) == 0)
        m->resident = v;
    if (je_ctl(JE_PAGE, 0, &page, &len, NULL, 0) == 0 &&
        je_ctl(JE_PMUZZY, 0, &v, &len, NULL, 0) == 0)
        m->muzzy = v * page;
    unsigned nbins = 0;
    size_t ulen = sizeof nbins;
    je_ctl(JE_NBINS, 0, &nbins, &ulen, NULL, 0);
    m->frag_smallbins = 0;
    for (unsigned j = 0; j < nbins; j++) {
        size_t size = 0, curslabs = 0, curregs = 0;
        uint32_t nregs = 0;
        size_t nlen = sizeof nregs;
        je_ctl(JE_BIN_SIZE, j, &size, &len, NULL, 0);
        je_ctl(JE_BIN_NREGS, j, &nregs, &nlen, NULL, 0);
        je_ctl(JE_BIN_CURSLABS, j, &curslabs, &len, NULL, 0);
        je_ctl(JE_BIN_CURREGS, j, &curregs, &len, NULL, 0);
        m->frag_smallbins += (nregs * curslabs - curregs) * size;
    }
    return true;
}

static void stat_int(struct resp_out *o, const char *name, long long v)
{
    resp_add_bulk_cstr(o, name);
    resp_add_int(o, v);
}

static void stat_double(struct resp_out *o, const char *name, double v)
{
    resp_add_bulk_cstr(o, name);
    resp_add_double(o, v);
}

/* MEMORY STATS -- Redis 7.4's fields in its order. Each database with
 * keys reports the bucket array and expiry heap of its global shard, and
 * the rehashing figures count the global shards' tables (a project's shard
 * is in overhead.total, as INFO's used_memory_overhead); respite has no
 * slot lookup table (overhead.db.hashtable.lut, 0). */
void cmd_memory_stats(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct mem_info m;
    mem_info(st, &m);
    struct script_stats ss;
    script_stats(st, &ss);
    struct functions_stats fs;
    functions_stats(st, &fs);
    int ndbs = 0;
    uint64_t nkeys = 0;
    for (int i = 0; i < st->ndbs; i++) {
        nkeys += st->dbs[i]->nkeys;
        ndbs += st->dbs[i]->nkeys > 0;
    }
    struct resp_out *o = c->out;
    resp_add_map_len(o, 31 + ndbs);
    stat_int(o, "peak.allocated", (long long)m.peak);
    stat_int(o, "total.allocated", (long long)m.used);
    stat_int(o, "startup.allocated", (long long)m.startup);
    stat_int(o, "replication.backlog", 0);
    stat_int(o, "clients.slaves", 0);
    stat_int(o, "clients.normal", (long long)m.clients);
    stat_int(o, "cluster.links", 0);
    stat_int(o, "aof.buffer", (long long)m.aof_buffer);
    stat_int(o, "lua.caches", (long long)ss.script_bytes);
    stat_int(o, "functions.caches", (long long)fs.bytes);
    for (int i = 0; i < st->ndbs; i++) {
        const struct db *db = st->dbs[i];
        if (db->nkeys == 0)
            continue;
        char name[32];
        snprintf(name, sizeof name, "db.%d", i);
        resp_add_bulk_cstr(o, name);
        resp_add_map_len(o, 2);
        const struct shard *g = &db->global;
        stat_int(o, "overhead.hashtable.main", (long long)buckets_bytes(&g->tbl));
        stat_int(o, "overhead.hashtable.expires",
                 g->ttl ? (long long)(exp_heap_cap(&g->ttl->exp) * sizeof(struct exp_item)) : 0);
    }
    stat_int(o, "overhead.db.hashtable.lut", 0);
    stat_int(o, "overhead.db.hashtable.rehashing", (long long)m.rehashing);
    stat_int(o, "overhead.total", (long long)m.overhead);
    stat_int(o, "db.dict.rehashing.count", (long long)m.nrehashing);
    stat_int(o, "keys.count", (long long)nkeys);
    stat_int(o, "keys.bytes-per-key", nkeys ? (long long)(m.dataset / nkeys) : 0);
    stat_int(o, "dataset.bytes", (long long)m.dataset);
    stat_double(o, "dataset.percentage", m.dataset_perc);
    stat_double(o, "peak.percentage", m.peak_perc);
    stat_int(o, "allocator.allocated", (long long)m.allocated);
    stat_int(o, "allocator.active", (long long)m.active);
    stat_int(o, "allocator.resident", (long long)m.resident);
    stat_int(o, "allocator.muzzy", (long long)m.muzzy);
    stat_double(o, "allocator-fragmentation.ratio", m.alloc_frag);
    stat_int(o, "allocator-fragmentation.bytes", (long long)m.frag_smallbins);
    stat_double(o, "allocator-rss.ratio", m.alloc_rss);
    stat_int(o, "allocator-rss.bytes", m.alloc_rss_bytes);
    stat_double(o, "rss-overhead.ratio", m.rss_extra);
    stat_int(o, "rss-overhead.bytes", m.rss_extra_bytes);
    stat_double(o, "fragmentation", m.frag);
    stat_int(o, "fragmentation.bytes", m.frag_bytes);
}

/* malloc_stats_print's writer. */
static void sbuf_add(void *ud, const char *s)
{
    sbuf_printf(ud, "%s", s);
}

void mem_alloc_name(char *buf, size_t size)
{
    const char *v = NULL;
    size_t len = sizeof v;
    if (mallctl == NULL || mallctl("version", &v, &len, NULL, 0) != 0 || v == NULL) {
        snprintf(buf, size, "libc");
        return;
    }
    snprintf(buf, size, "jemalloc-%.*s", (int)strcspn(v, "-"), v);
}

/* MEMORY DOCTOR -- Redis's report: below 5 MB used the instance counts as
 * empty; else a peak over 150% of what is used, a fragmentation ratio
 * (INFO's) over 1.4 with 10 MB more resident than allocated, client
 * buffers over 200 KB a client and more than 1000 cached scripts are
 * reported, with Redis's texts. */
void cmd_memory_doctor(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct mem_info m;
    mem_info(st, &m);
    struct script_stats ss;
    script_stats(st, &ss);
    bool empty = m.used < (5u << 20);
    bool big_peak = !empty && (float)m.peak / (float)m.used > 1.5f;
    bool high_frag = !empty && m.frag > 1.4 && m.frag_bytes > (10 << 20);
    bool big_client_buf = !empty && st->nsessions && m.clients / st->nsessions > 200 * 1024;
    bool many_scripts = !empty && ss.nscripts > 1000;
    struct sbuf t = {0};
    if (empty) {
        sbuf_printf(&t, "%s", "Hi Sam, this instance is empty or is using very little memory, my issues "
                     "detector can't be used in these conditions. Please, leave for your mission "
                     "on Earth and fill it with some data. The new Sam and I will be back to our "
                     "programming as soon as I finished rebooting.\n");
    } else if (!big_peak && !high_frag && !big_client_buf && !many_scripts) {
        sbuf_printf(&t, "%s", "Hi Sam, I can't find any memory issue in your instance. I can only account "
                     "for what occurs on this base.\n");
    } else {
        sbuf_printf(&t, "%s", "Sam, I detected a few issues in this Redis instance memory implants:\n\n");
        if (big_peak)
            sbuf_printf(&t, "%s", " * Peak memory: In the past this instance used more than 150% the memory "
                         "that is currently using. The allocator is normally not able to release "
                         "memory after a peak, so you can expect to see a big fragmentation "
                         "ratio, however this is actually harmless and is only due to the memory "
                         "peak, and if the Redis instance Resident Set Size (RSS) is currently "
                         "bigger than expected, the memory will be used as soon as you fill the "
                         "Redis instance with more data. If the memory peak was only occasional "
                         "and you want to try to reclaim memory, please try the MEMORY PURGE "
                         "command, otherwise the only other option is to shutdown and restart the "
                         "instance.\n\n");
        if (high_frag) {
            char name[64];
            mem_alloc_name(name, sizeof name);
            sbuf_printf(&t, "%s", " * High total RSS: This instance has a memory fragmentation and RSS "
                         "overhead greater than 1.4 (this means that the Resident Set Size of the "
                         "Redis process is much larger than the sum of the logical allocations "
                         "Redis performed). This problem is usually due either to a large peak "
                         "memory (check if there is a peak memory entry above in the report) or "
                         "may result from a workload that causes the allocator to fragment memory "
                         "a lot. If the problem is a large peak memory, then there is no issue. "
                         "Otherwise, make sure you are using the Jemalloc allocator and not the "
                         "default libc malloc. Note: The currently used allocator is \"");
            sbuf_printf(&t, "%s", name);
            sbuf_printf(&t, "%s", "\".\n\n");
        }
        if (big_client_buf)
            sbuf_printf(&t, "%s", " * Big client buffers: The clients output buffers in this instance are "
                         "greater than 200K per client (on average). This may result from "
                         "different causes, like Pub/Sub clients subscribed to channels bot not "
                         "receiving data fast enough, so that data piles on the Redis instance "
                         "output buffer, or clients sending commands with large replies or very "
                         "large sequences of commands in the same pipeline. Please use the CLIENT "
                         "LIST command in order to investigate the issue if it causes problems in "
                         "your instance, or to understand better why certain clients are using a "
                         "big amount of memory.\n\n");
        if (many_scripts)
            sbuf_printf(&t, "%s", " * Many scripts: There seem to be many cached scripts in this instance "
                         "(more than 1000). This may be because scripts are generated and "
                         "`EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT "
                         "LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, "
                         "the scripts' caches may end up consuming most of your memory.\n\n");
        sbuf_printf(&t, "%s", "I'm here to keep you safe, Sam. I want to help you.\n");
    }
    resp_add_verbatim(c->out, t.p, t.len, "txt");
    sbuf_free(&t);
}

/* MEMORY MALLOC-STATS -- jemalloc's report, or Redis's text for another
 * allocator. */
void cmd_memory_malloc_stats(struct cmd_ctx *c)
{
    if (malloc_stats_print == NULL) {
        resp_add_bulk_cstr(c->out, "Stats not supported for the current allocator");
        return;
    }
    struct sbuf t = {0};
    malloc_stats_print(sbuf_add, &t, NULL);
    resp_add_verbatim(c->out, t.p ? t.p : "", t.len, "txt");
    sbuf_free(&t);
}

/* MEMORY PURGE -- jemalloc purges its arenas' dirty pages, as Redis's;
 * glibc's malloc gives back the free top of its heaps (malloc_trim). */
void cmd_memory_purge(struct cmd_ctx *c)
{
    if (mallctl != NULL)
        mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096: MALLCTL_ARENAS_ALL */
    else
        malloc_trim(0);
    resp_add_ok(c->out);
}

void cmd_memory_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    reply_help(c, "MEMORY", lines);
}
