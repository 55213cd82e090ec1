/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The stream value: IDs, the node store of entries, the skip lists of
 * pending entries, groups and consumers (layout and costs in stream.h).
 *
 * A node's block: the master fields (varint count, then each name as a
 * varint length and bytes), then its entries, each:
 *   flags (1 byte: SE_DELETED, SE_SAME_FIELDS)
 *   varint ms - master.ms, varint seq
 *   unless SE_SAME_FIELDS: varint nfields, nfields names (varint length, bytes)
 *   nfields values (varint length, bytes)
 *   back length: the bytes above as a varint read from its last byte
 *     backwards (as a listpack's), so a node is walked from its end in
 *     O(1) an entry however many entries stream-node-max-entries allows
 */
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "resp_num.h"
#include "ds/stream.h"

/* ---- IDs ------------------------------------------------------------------ */

int sid_cmp(struct sid a, struct sid b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

bool sid_incr(struct sid *a)
{
    if (a->seq == UINT64_MAX) {
        if (a->ms == UINT64_MAX)
            return false;
        a->ms++;
        a->seq = 0;
    } else {
        a->seq++;
    }
    return true;
}

bool sid_decr(struct sid *a)
{
    if (a->seq == 0) {
        if (a->ms == 0)
            return false;
        a->ms--;
        a->seq = UINT64_MAX;
    } else {
        a->seq--;
    }
    return true;
}

static size_t u64_format(uint64_t v, char *buf)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

size_t sid_format(struct sid a, char *buf)
{
    size_t n = u64_format(a.ms, buf);
    buf[n++] = '-';
    n += u64_format(a.seq, buf + n);
    buf[n] = '\0';
    return n;
}

/* Redis's string2ull: string2ll's strict form when it is one (negatives
 * refused), else strtoull's lenient one (leading blanks, a sign), which
 * must consume everything and not overflow. */
static bool parse_u64(const char *p, size_t len, uint64_t *v)
{
    long long ll;
    if (resp_str2ll(p, len, &ll)) {
        if (ll < 0)
            return false;
        *v = (uint64_t)ll;
        return true;
    }
    size_t i = 0;
    while (i < len && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
        i++;
    bool neg = false;
    if (i < len && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    if (i == len || p[i] < '0' || p[i] > '9')
        return false;
    uint64_t r = 0;
    for (; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (r > (UINT64_MAX - d) / 10)
            return false;
        r = r * 10 + d;
    }
    *v = neg ? (uint64_t)0 - r : r;
    return true;
}

bool sid_parse(struct rs_str s, struct sid *id, uint64_t missing_seq, bool strict,
               bool *seq_given)
{
    if (s.len > 127 || memchr(s.p, '\0', s.len))
        return false;
    bool single = s.len == 1 && (s.p[0] == '-' || s.p[0] == '+');
    if (strict && single)
        return false;
    if (seq_given)
        *seq_given = true;
    if (single) {
        *id = s.p[0] == '-' ? (struct sid){0, 0} : SID_MAX;
        return true;
    }
    const char *dash = memchr(s.p, '-', s.len);
    uint64_t ms, seq = missing_seq;
    size_t mlen = dash ? (size_t)(dash - s.p) : s.len;
    if (!parse_u64(s.p, mlen, &ms))
        return false;
    if (dash) {
        size_t slen = s.len - mlen - 1;
        if (seq_given && slen == 1 && dash[1] == '*') {
            seq = 0;
            *seq_given = false;
        } else if (!parse_u64(dash + 1, slen, &seq)) {
            return false;
        }
    }
    id->ms = ms;
    id->seq = seq;
    return true;
}

/* ---- varints -------------------------------------------------------------- */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t varint_get(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *pp = p;
    return v;
}

/* The back length v ending at end: its low 7 bits in the last byte, each
 * byte but the first flagged 0x80 (more to the left). */
static uint8_t *backlen_put(uint8_t *p, uint64_t v)
{
    size_t n = varint_len(v);
    for (size_t i = n; i-- > 0; v >>= 7)
        p[i] = (uint8_t)((v & 0x7f) | (i > 0 ? 0x80 : 0));
    return p + n;
}

static uint64_t backlen_get(const uint8_t *end)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b = *--end;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
}

struct rs_str sentry_str(const uint8_t **p)
{
    size_t n = (size_t)varint_get(p);
    struct rs_str s = rs_str_from((const char *)*p, n);
    *p += n;
    return s;
}

static void skip_strs(const uint8_t **p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        sentry_str(p);
}

/* ---- nodes ---------------------------------------------------------------- */

enum { SE_DELETED = 1, SE_SAME_FIELDS = 2 };

struct snode {
    struct sid master; /* ID of its first entry */
    struct sid last;   /* ID of its last entry (live or not) */
    uint32_t count;    /* entries, live and deleted */
    uint32_t live;
    uint32_t lp_bytes; /* the size Redis's listpack of these entries would have,
                        * without the master entry's live and deleted counts
                        * (node_lp_bytes adds them: their sizes change) */
    uint32_t entries_off; /* where the entries start (after the master fields) */
    uint32_t len, cap;
    uint8_t buf[];
};

static size_t node_size(const struct snode *n)
{
    return sizeof *n + n->cap;
}

static void count_bytes(size_t *c, size_t n, bool add)
{
    if (add)
        *c += n;
    else
        *c -= n;
}

void sentries_init(struct sentries *e, size_t *bytes)
{
    memset(e, 0, sizeof *e);
    e->bytes = bytes;
}

static void node_free(struct sentries *e, struct snode *n)
{
    count_bytes(e->bytes, node_size(n), false);
    rs_free(n);
}

void sentries_free(struct sentries *e)
{
    for (size_t i = 0; i < e->n; i++)
        node_free(e, e->nodes[e->head + i]);
    count_bytes(e->bytes, e->cap * sizeof *e->nodes, false);
    rs_free(e->nodes);
    sentries_init(e, e->bytes);
}

bool sentries_free_some(struct sentries *e, int64_t *work)
{
    /* From the last node: e->n alone says where to resume. */
    while (e->n > 0) {
        if (*work <= 0)
            return false;
        e->n--;
        node_free(e, e->nodes[e->head + e->n]);
        (*work)--;
    }
    sentries_free(e);
    return true;
}

size_t sentries_nodes(const struct sentries *e)
{
    return e->n;
}

static struct snode *node_at(const struct sentries *e, size_t i)
{
    return e->nodes[e->head + i];
}

void sid_key(struct sid id, uint8_t k[16])
{
    for (int i = 0; i < 8; i++) {
        k[i] = (uint8_t)(id.ms >> (56 - 8 * i));
        k[8 + i] = (uint8_t)(id.seq >> (56 - 8 * i));
    }
}

/* A radix tree's nodes are its root, every vertex of the keys' trie with
 * other than one child (branches, and the keys' leaves), and every child
 * of a branch; runs of one-child vertices are compressed into the node
 * they start. Adding the keys in order, only the path of the last key
 * changes: nchild[d] is the child count of its vertex at depth d. */
uint64_t sentries_rax_nodes(const struct sentries *e)
{
    if (e->n == 0)
        return 1;
    uint8_t nchild[17], prev[16], k[16];
    memset(nchild, 1, 16);
    nchild[16] = 0;
    sid_key(node_at(e, 0)->master, prev);
    uint64_t count = 2; /* the root, compressed, and the first leaf */
    for (size_t i = 1; i < e->n; i++) {
        sid_key(node_at(e, i)->master, k);
        int l = 0; /* the depth where k leaves the last key's path */
        while (k[l] == prev[l])
            l++;
        if (nchild[l] == 1) {
            /* the vertex becomes a branch: a node now if it was inside a
             * run, and so is its old child if that one had one child */
            count += !(l == 0 || nchild[l - 1] >= 2);
            count += nchild[l + 1] == 1;
        }
        count += l == 15 ? 1 : 2; /* the new child and the new leaf */
        if (nchild[l] < UINT8_MAX)
            nchild[l]++;
        memset(nchild + l + 1, 1, (size_t)(15 - l));
        memcpy(prev, k, 16);
    }
    return count;
}

/* Make room for one more node pointer at the tail. */
static void nodes_reserve(struct sentries *e)
{
    if (e->head + e->n < e->cap)
        return;
    if (e->head > 0 && e->head >= e->n) {
        memmove(e->nodes, e->nodes + e->head, e->n * sizeof *e->nodes);
        e->head = 0;
        return;
    }
    size_t cap = e->cap ? e->cap * 2 : 4;
    count_bytes(e->bytes, (cap - e->cap) * sizeof *e->nodes, true);
    e->nodes = rs_realloc(e->nodes, cap * sizeof *e->nodes);
    e->cap = cap;
}

/* Shrink a node that takes no more entries to about its used size. */
static struct snode *node_seal(struct sentries *e, struct snode *n)
{
    if (n->cap - n->len < 64)
        return n; /* not worth a reallocation */
    count_bytes(e->bytes, n->cap - n->len, false);
    n = rs_realloc(n, sizeof *n + n->len);
    n->cap = n->len;
    return n;
}

/* The size of Redis's listpack node holding the same entries, so a node
 * closes exactly where Redis's does (stream-node-max-bytes counts listpack
 * bytes), and approximate trimming removes the same entries. Element sizes
 * follow listpack.c: an integer in 1, 2, 3, 4, 5 or 9 bytes, a string with a
 * 1, 2 or 5-byte header, each followed by its back-length. */
#define LP_HDR_AND_END 7

static size_t lp_elem(size_t l)
{
    return l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
}

static size_t lp_int(int64_t v)
{
    size_t l = v >= 0 && v <= 127                 ? 1
               : v >= -4096 && v <= 4095          ? 2
               : v >= -32768 && v <= 32767        ? 3
               : v >= -8388608 && v <= 8388607    ? 4
               : v >= INT32_MIN && v <= INT32_MAX ? 5
                                                  : 9;
    return lp_elem(l);
}

/* Redis's lpBytes of node n. */
static size_t node_lp_bytes(const struct snode *n)
{
    return n->lp_bytes + lp_int(n->live) + lp_int(n->count - n->live);
}

static size_t lp_str(struct rs_str s)
{
    long long v;
    if (s.len <= 20 && resp_str2ll(s.p, s.len, &v))
        return lp_int(v);
    return lp_elem(s.len + (s.len < 64 ? 1 : s.len < 4096 ? 2 : 5));
}

/* Write n strings of strs, stride apart, at p; returns the end, and adds
 * to *lp their sizes in Redis's listpack. */
static uint8_t *put_strs(uint8_t *p, const struct rs_str *strs, uint32_t n, size_t stride,
                         size_t *lp)
{
    for (uint32_t i = 0; i < n; i++) {
        struct rs_str s = strs[i * stride];
        p = varint_put(p, s.len);
        if (s.len)
            memcpy(p, s.p, s.len);
        p += s.len;
        *lp += lp_str(s);
    }
    return p;
}

/* Redis's cap on a node's listpack, and the byte limit of lim in force
 * (none, 0, or more than the cap is the cap). */
#define STREAM_LP_MAX ((uint64_t)1 << 30)

static uint64_t max_bytes(const struct snode_limits *lim)
{
    return lim->max_bytes == 0 || lim->max_bytes > STREAM_LP_MAX ? STREAM_LP_MAX
                                                                 : lim->max_bytes;
}

/* The capacity to grow node n to for need more bytes: a guess of its final
 * size (it closes at lim's entries or when its listpack size reaches lim's
 * bytes), so a node is reallocated a few times and sealed with little to
 * give back; at least 1.25 times its size. lim NULL (loading): no guess. */
static size_t node_grow_to(const struct snode *n, size_t need, const struct snode_limits *lim)
{
    size_t want = n->len + need;
    if (n->count == 0)
        return want * 2;
    size_t guess = want;
    if (lim) {
        size_t per = (n->len - n->entries_off) / n->count + 1;
        uint64_t left = lim->max_entries > n->count ? lim->max_entries - n->count : 0;
        size_t by_count = lim->max_entries && left < SIZE_MAX / 2 / per ? n->len + per * left
                                                                         : SIZE_MAX / 2;
        size_t lpb = node_lp_bytes(n), mb = max_bytes(lim);
        size_t by_bytes = lpb < mb ? n->len + (mb - lpb) * n->len / lpb : want;
        guess = (by_count < by_bytes ? by_count : by_bytes) + need;
    }
    size_t min = n->len + n->len / 4;
    if (guess < min)
        guess = min;
    return guess > want ? guess : want;
}

/* Open a node at the tail whose master is id with the nnames names of
 * names (stride apart); cap is a first guess of the bytes it needs. */
static struct snode *node_open(struct sentries *e, struct sid id, const struct rs_str *names,
                               uint32_t nnames, size_t stride, size_t cap)
{
    size_t mlen = varint_len(nnames);
    for (uint32_t i = 0; i < nnames; i++)
        mlen += varint_len(names[i * stride].len) + names[i * stride].len;
    if (cap < mlen + 64)
        cap = mlen + 64;
    struct snode *n = rs_malloc(sizeof *n + cap);
    count_bytes(e->bytes, sizeof *n + cap, true);
    memset(n, 0, sizeof *n);
    n->cap = (uint32_t)cap;
    n->master = id;
    size_t names_lp = 0;
    uint8_t *p = varint_put(n->buf, nnames);
    p = put_strs(p, names, nnames, stride, &names_lp);
    n->entries_off = n->len = (uint32_t)(p - n->buf);
    /* master entry: [count, deleted,] num-fields, names, terminator */
    n->lp_bytes = (uint32_t)(LP_HDR_AND_END + lp_int(nnames) + names_lp + lp_int(0));
    nodes_reserve(e);
    e->nodes[e->head + e->n++] = n;
    return n;
}

/* Append entry id to the tail node n (fv: nfields pairs; same: the names
 * are n's master fields, stored once; fsize and vsize: the bytes names and
 * values take in the node); flags SE_DELETED makes it a tombstone. lim:
 * the limits n is filled to (NULL when loading). */
static void entry_put(struct sentries *e, struct snode *n, struct sid id,
                      const struct rs_str *fv, uint32_t nfields, size_t fsize, size_t vsize,
                      uint8_t flags, const struct snode_limits *lim)
{
    bool same = flags & SE_SAME_FIELDS;
    size_t elen = 1 + varint_len(id.ms - n->master.ms) + varint_len(id.seq) +
                  (same ? 0 : varint_len(nfields) + fsize) + vsize;
    size_t need = elen + varint_len(elen);
    if (n->len + need > n->cap) {
        size_t cap = node_grow_to(n, need, lim);
        count_bytes(e->bytes, cap - n->cap, true);
        n = rs_realloc(n, sizeof *n + cap);
        n->cap = (uint32_t)cap;
        e->nodes[e->head + e->n - 1] = n;
    }
    uint8_t *p = n->buf + n->len;
    *p++ = flags;
    p = varint_put(p, id.ms - n->master.ms);
    p = varint_put(p, id.seq);
    size_t strs_lp = 0; /* of the names when not same, and of the values */
    if (!same) {
        p = varint_put(p, nfields);
        p = put_strs(p, fv, nfields, 2, &strs_lp);
    }
    p = put_strs(p, fv + 1, nfields, 2, &strs_lp);
    p = backlen_put(p, elen);
    n->len = (uint32_t)(p - n->buf);
    /* flags, ms-diff, seq-diff, [num-fields, names], values, lp-count */
    n->lp_bytes += (uint32_t)(lp_int(flags) + lp_int((int64_t)(id.ms - n->master.ms)) +
                              lp_int((int64_t)(id.seq - n->master.seq)) +
                              (same ? 0 : lp_int(nfields)) + strs_lp +
                              lp_int(nfields + 3 + (same ? 0 : nfields + 1)));
    n->count++;
    n->last = id;
    if (!(flags & SE_DELETED)) {
        n->live++;
        e->length++;
    }
}

/* The bytes names (*fsize) and values (*vsize) of fv take in a node, and
 * whether the names are those of master (a node's master fields; NULL
 * for none). */
static bool fv_sizes(const struct rs_str *fv, uint32_t nfields, const uint8_t *master,
                     size_t *fsize, size_t *vsize)
{
    *fsize = *vsize = 0;
    bool same = master && varint_get(&master) == nfields;
    for (uint32_t i = 0; i < nfields; i++) {
        struct rs_str f = fv[2 * i], v = fv[2 * i + 1];
        *fsize += varint_len(f.len) + f.len;
        *vsize += varint_len(v.len) + v.len;
        if (same) {
            struct rs_str mf = sentry_str(&master);
            same = mf.len == f.len && memcmp(mf.p, f.p, f.len) == 0;
        }
    }
    return same;
}

void sentries_append(struct sentries *e, struct sid id, const struct rs_str *fv,
                     uint32_t nfields, const struct snode_limits *lim)
{
    struct snode *n = e->n ? node_at(e, e->n - 1) : NULL;
    size_t fsize, vsize, rawlen = 0; /* rawlen: Redis's totelelen, names and values */
    bool same = fv_sizes(fv, nfields, n ? n->buf : NULL, &fsize, &vsize);
    for (uint32_t i = 0; i < 2 * nfields; i++)
        rawlen += fv[i].len;
    /* A new node starts with the size of the one before it (entries of a
     * stream tend to look alike), so most nodes are allocated once. */
    size_t prev_len = 0;
    if (n && (node_lp_bytes(n) + rawlen >= max_bytes(lim) ||
              (lim->max_entries && n->count >= lim->max_entries))) {
        n = node_seal(e, n);
        e->nodes[e->head + e->n - 1] = n;
        prev_len = n->len;
        n = NULL;
    }
    if (!n) {
        n = node_open(e, id, fv, nfields, 2, prev_len + prev_len / 64);
        same = true; /* its master fields are these names */
    }
    entry_put(e, n, id, fv, nfields, fsize, vsize, same ? SE_SAME_FIELDS : 0, lim);
}

void sentries_load_node(struct sentries *e, struct sid master, const struct rs_str *names,
                        uint32_t nnames)
{
    if (e->n)
        e->nodes[e->head + e->n - 1] = node_seal(e, node_at(e, e->n - 1));
    node_open(e, master, names, nnames, 1, 0);
}

bool sentries_load_entry(struct sentries *e, struct sid id, const struct rs_str *fv,
                         uint32_t nfields, bool same, bool deleted)
{
    struct snode *n = node_at(e, e->n - 1);
    size_t fsize, vsize;
    if (!fv_sizes(fv, nfields, n->buf, &fsize, &vsize) && same)
        return false;
    entry_put(e, n, id, fv, nfields, fsize, vsize,
              (uint8_t)((same ? SE_SAME_FIELDS : 0) | (deleted ? SE_DELETED : 0)), NULL);
    return true;
}

void sentries_node_info(const struct sentries *e, size_t i, struct snode_info *out)
{
    const struct snode *n = node_at(e, i);
    const uint8_t *p = n->buf;
    out->master = n->master;
    out->count = n->count;
    out->live = n->live;
    out->nnames = (uint32_t)varint_get(&p);
    out->names = p;
}

/* Decode the entry at off of node n; returns the offset after it. */
static uint32_t node_entry(const struct snode *n, uint32_t off, struct sentry *out,
                           uint8_t *flags)
{
    const uint8_t *p = n->buf + off;
    *flags = *p++;
    out->id.ms = n->master.ms + varint_get(&p);
    out->id.seq = varint_get(&p);
    if (*flags & SE_SAME_FIELDS) {
        const uint8_t *m = n->buf;
        out->nfields = (uint32_t)varint_get(&m);
        out->fields = m;
    } else {
        out->nfields = (uint32_t)varint_get(&p);
        out->fields = p;
        skip_strs(&p, out->nfields);
    }
    out->values = p;
    skip_strs(&p, out->nfields);
    p += varint_len((uint64_t)(p - (n->buf + off)));
    return (uint32_t)(p - n->buf);
}

bool sentries_node_next(const struct sentries *e, size_t i, uint32_t *off, struct sentry *out,
                        bool *deleted, bool *same)
{
    const struct snode *n = node_at(e, i);
    if (*off == 0)
        *off = n->entries_off;
    if (*off >= n->len)
        return false;
    uint8_t flags;
    *off = node_entry(n, *off, out, &flags);
    *deleted = flags & SE_DELETED;
    *same = flags & SE_SAME_FIELDS;
    return true;
}

/* The index of the node that may hold id: the last whose master <= id, or
 * 0. e must not be empty. */
static size_t node_find(const struct sentries *e, struct sid id)
{
    size_t lo = 0, hi = e->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sid_cmp(node_at(e, mid)->master, id) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Offset of entry id in its node (*ni), or 0 when it is not there (live
 * or deleted per flags). */
static uint32_t entry_find(const struct sentries *e, struct sid id, size_t *ni, uint8_t *flags)
{
    if (e->n == 0)
        return 0;
    *ni = node_find(e, id);
    const struct snode *n = node_at(e, *ni);
    if (sid_cmp(id, n->master) < 0 || sid_cmp(id, n->last) > 0)
        return 0;
    uint32_t off = n->entries_off;
    while (off < n->len) {
        struct sentry se;
        uint32_t next = node_entry(n, off, &se, flags);
        int c = sid_cmp(se.id, id);
        if (c == 0)
            return off;
        if (c > 0)
            return 0;
        off = next;
    }
    return 0;
}

static void node_remove(struct sentries *e, size_t i)
{
    node_free(e, node_at(e, i));
    if (i == 0) {
        e->head++;
    } else {
        memmove(e->nodes + e->head + i, e->nodes + e->head + i + 1,
                (e->n - i - 1) * sizeof *e->nodes);
    }
    e->n--;
    if (e->n == 0)
        e->head = 0;
}

/* Mark the live entry at off of node ni deleted, freeing an emptied node. */
static void entry_delete_at(struct sentries *e, size_t ni, uint32_t off)
{
    struct snode *n = node_at(e, ni);
    n->buf[off] |= SE_DELETED;
    n->live--;
    e->length--;
    if (n->live == 0)
        node_remove(e, ni);
}

bool sentries_delete(struct sentries *e, struct sid id)
{
    size_t ni;
    uint8_t flags;
    uint32_t off = entry_find(e, id, &ni, &flags);
    if (off == 0 || (flags & SE_DELETED))
        return false;
    entry_delete_at(e, ni, off);
    return true;
}

bool sentries_exists(const struct sentries *e, struct sid id)
{
    size_t ni;
    uint8_t flags;
    uint32_t off = entry_find(e, id, &ni, &flags);
    return off != 0 && !(flags & SE_DELETED);
}

bool sentries_edge(const struct sentries *e, bool last, struct sid *id)
{
    struct siter it;
    struct sentry se;
    siter_start(&it, e, (struct sid){0, 0}, SID_MAX, last);
    if (!siter_next(&it, &se))
        return false;
    *id = se.id;
    return true;
}

int64_t sentries_trim(struct sentries *e, bool use_minid, struct sid minid, uint64_t maxlen,
                      bool approx, int64_t limit)
{
    int64_t removed = 0;
    while (e->n && (use_minid || e->length > maxlen)) {
        struct snode *n = node_at(e, 0);
        /* A whole node goes when all its entries are to go. */
        bool whole = use_minid ? sid_cmp(n->last, minid) < 0 : e->length - n->live >= maxlen;
        if (whole) {
            if (limit > 0 && removed + n->live > limit)
                break;
            removed += n->live;
            e->length -= n->live;
            node_remove(e, 0);
            continue;
        }
        if (approx)
            break;
        /* Exact: delete entries one by one inside the head node. */
        uint32_t off = n->entries_off;
        while (off < n->len) {
            struct sentry se;
            uint8_t flags;
            uint32_t next = node_entry(n, off, &se, &flags);
            if (!(flags & SE_DELETED)) {
                if (use_minid ? sid_cmp(se.id, minid) >= 0 : e->length <= maxlen)
                    break;
                n->buf[off] |= SE_DELETED;
                n->live--;
                e->length--;
                removed++;
            }
            off = next;
        }
        break;
    }
    return removed;
}

void sentries_dup(struct sentries *dst, const struct sentries *src, size_t *bytes)
{
    sentries_init(dst, bytes);
    if (src->n == 0)
        return;
    dst->cap = src->n;
    dst->nodes = rs_malloc(dst->cap * sizeof *dst->nodes);
    count_bytes(bytes, dst->cap * sizeof *dst->nodes, true);
    for (size_t i = 0; i < src->n; i++) {
        const struct snode *n = node_at(src, i);
        struct snode *c = rs_malloc(node_size(n));
        memcpy(c, n, node_size(n));
        count_bytes(bytes, node_size(c), true);
        dst->nodes[i] = c;
    }
    dst->n = src->n;
    dst->length = src->length;
}

/* ---- iteration ------------------------------------------------------------ */

/* Enter node it->node at its first entry, or backward after its last
 * (entries are decoded as they are read, so a short range costs only what
 * it reads, from either end). */
static void siter_load(struct siter *it)
{
    const struct snode *n = node_at(it->e, it->node);
    it->pos = it->rev ? n->len : n->entries_off;
}

void siter_start(struct siter *it, const struct sentries *e, struct sid lo, struct sid hi,
                 bool rev)
{
    it->e = e;
    it->lo = lo;
    it->hi = hi;
    it->rev = rev;
    it->done = e->n == 0 || sid_cmp(lo, hi) > 0;
    if (it->done)
        return;
    it->node = node_find(e, rev ? hi : lo);
    siter_load(it);
}

bool siter_next(struct siter *it, struct sentry *out)
{
    while (!it->done) {
        const struct snode *n = node_at(it->e, it->node);
        if (it->rev ? it->pos <= n->entries_off : it->pos >= n->len) {
            if (it->rev ? it->node == 0 : it->node + 1 >= it->e->n) {
                it->done = true;
                break;
            }
            it->node += it->rev ? (size_t)-1 : 1;
            siter_load(it);
            continue;
        }
        uint8_t flags;
        if (it->rev) {
            uint64_t elen = backlen_get(n->buf + it->pos);
            it->pos -= (uint32_t)(elen + varint_len(elen));
            node_entry(n, it->pos, out, &flags);
        } else
            it->pos = node_entry(n, it->pos, out, &flags);
        if (flags & SE_DELETED)
            continue;
        if (it->rev) {
            if (sid_cmp(out->id, it->lo) < 0) {
                it->done = true;
                break;
            }
            if (sid_cmp(out->id, it->hi) > 0)
                continue;
        } else {
            if (sid_cmp(out->id, it->hi) > 0) {
                it->done = true;
                break;
            }
            if (sid_cmp(out->id, it->lo) < 0)
                continue;
        }
        return true;
    }
    return false;
}

/* ---- skip lists of IDs ---------------------------------------------------- */

static struct idmap_node *idnode_new(struct idmap *m, int level)
{
    size_t sz = sizeof(struct idmap_node) + (size_t)level * sizeof(struct idmap_node *);
    struct idmap_node *n = rs_calloc(1, sz);
    n->level = level;
    count_bytes(m->bytes, sz, true);
    return n;
}

static void idnode_free(struct idmap *m, struct idmap_node *n)
{
    count_bytes(m->bytes, sizeof *n + (size_t)n->level * sizeof n, false);
    rs_free(n);
}

void idmap_init(struct idmap *m, size_t *bytes)
{
    m->bytes = bytes;
    m->size = 0;
    m->rng = 0x9E3779B97F4A7C15ULL;
    m->head = idnode_new(m, IDMAP_LEVELS);
}

bool idmap_clear_some(struct idmap *m, int64_t *work, void (*free_val)(void *ud, void *val),
                      void *ud)
{
    struct idmap_node *h = m->head;
    for (struct idmap_node *n; (n = h->next[0]) != NULL;) {
        if (*work <= 0)
            return false;
        /* The first node is first on every level it is on: unlinking it
         * there keeps the map a valid skip list. */
        for (int l = 0; l < n->level; l++)
            h->next[l] = n->next[l];
        m->size--;
        if (free_val)
            free_val(ud, n->val);
        idnode_free(m, n);
        (*work)--;
    }
    return true;
}

void idmap_free(struct idmap *m)
{
    struct idmap_node *n = m->head;
    while (n) {
        struct idmap_node *next = n->next[0];
        idnode_free(m, n);
        n = next;
    }
    m->head = NULL;
    m->size = 0;
}

/* The last node of each level whose ID is < id. */
static void idmap_path(const struct idmap *m, struct sid id, struct idmap_node **path)
{
    struct idmap_node *x = m->head;
    for (int l = IDMAP_LEVELS - 1; l >= 0; l--) {
        while (x->next[l] && sid_cmp(x->next[l]->id, id) < 0)
            x = x->next[l];
        path[l] = x;
    }
}

struct idmap_node *idmap_seek(const struct idmap *m, struct sid id)
{
    struct idmap_node *path[IDMAP_LEVELS];
    idmap_path(m, id, path);
    return path[0]->next[0];
}

void *idmap_find(const struct idmap *m, struct sid id)
{
    struct idmap_node *n = idmap_seek(m, id);
    return n && sid_cmp(n->id, id) == 0 ? n->val : NULL;
}

struct idmap_node *idmap_last(const struct idmap *m)
{
    struct idmap_node *x = m->head;
    for (int l = IDMAP_LEVELS - 1; l >= 0; l--)
        while (x->next[l])
            x = x->next[l];
    return x == m->head ? NULL : x;
}

bool idmap_insert(struct idmap *m, struct sid id, void *val)
{
    struct idmap_node *path[IDMAP_LEVELS];
    idmap_path(m, id, path);
    if (path[0]->next[0] && sid_cmp(path[0]->next[0]->id, id) == 0)
        return false;
    /* xorshift64: a level with probability 1/4 per step up. */
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    uint64_t r = m->rng;
    int level = 1;
    while (level < IDMAP_LEVELS && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    struct idmap_node *n = idnode_new(m, level);
    n->id = id;
    n->val = val;
    for (int l = 0; l < level; l++) {
        n->next[l] = path[l]->next[l];
        path[l]->next[l] = n;
    }
    m->size++;
    return true;
}

void *idmap_remove(struct idmap *m, struct sid id)
{
    struct idmap_node *path[IDMAP_LEVELS];
    idmap_path(m, id, path);
    struct idmap_node *n = path[0]->next[0];
    if (!n || sid_cmp(n->id, id) != 0)
        return NULL;
    for (int l = 0; l < n->level; l++)
        path[l]->next[l] = n->next[l];
    void *val = n->val;
    idnode_free(m, n);
    m->size--;
    return val;
}

/* ---- groups and consumers ------------------------------------------------- */

static char *name_dup(size_t *bytes, struct rs_str name)
{
    count_bytes(bytes, name.len + 1, true);
    return rs_memdup(name.p, name.len);
}

static int name_cmp(const char *a, size_t alen, struct rs_str b)
{
    return rs_str_cmp(rs_str_from(a, alen), b);
}

/* Binary search of a sorted array of groups or consumers (each starts
 * with its struct sname) for key: its index, or where it goes. */
static size_t name_search(void *const *arr, size_t n, struct rs_str key, bool *found)
{
    size_t lo = 0, hi = n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct sname *nm = arr[mid];
        int c = name_cmp(nm->p, nm->len, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Insert p at i of a growable pointer array. */
static void ptrs_insert(size_t *bytes, void ***arr, size_t *n, size_t *cap, size_t i, void *p)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 2;
        count_bytes(bytes, (nc - *cap) * sizeof(void *), true);
        *arr = rs_realloc(*arr, nc * sizeof(void *));
        *cap = nc;
    }
    memmove(*arr + i + 1, *arr + i, (*n - i) * sizeof(void *));
    (*arr)[i] = p;
    (*n)++;
}

static void ptrs_remove(void **arr, size_t *n, size_t i)
{
    memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(void *));
    (*n)--;
}

struct stream *stream_new(void)
{
    struct stream *s = rs_calloc(1, sizeof *s);
    sentries_init(&s->e, &s->bytes);
    return s;
}

static void consumer_free(struct stream *s, struct sconsumer *c)
{
    idmap_free(&c->pel);
    count_bytes(&s->bytes, c->name.len + 1 + sizeof *c, false);
    rs_free(c->name.p);
    rs_free(c);
}

/* Free a pending entry of stream ud (a group's pel owns its snacks). */
static void nack_free(void *ud, void *val)
{
    count_bytes(&((struct stream *)ud)->bytes, sizeof(struct snack), false);
    rs_free(val);
}

static void group_free(struct stream *s, struct sgroup *g)
{
    for (struct idmap_node *n = g->pel.head->next[0]; n; n = n->next[0])
        nack_free(s, n->val);
    idmap_free(&g->pel);
    for (size_t i = 0; i < g->ncons; i++)
        consumer_free(s, g->cons[i]);
    count_bytes(&s->bytes, g->capcons * sizeof *g->cons + g->name.len + 1 + sizeof *g, false);
    rs_free(g->cons);
    rs_free(g->name.p);
    rs_free(g);
}

void stream_free(struct stream *s)
{
    for (size_t i = 0; i < s->ngroups; i++)
        group_free(s, s->groups[i]);
    rs_free(s->groups);
    sentries_free(&s->e);
    rs_free(s);
}

bool stream_free_some(struct stream *s, int64_t *work)
{
    /* Groups from the last, each once its pels are empty (the consumers'
     * first: their nodes point to the group's snacks), then the nodes. */
    while (s->ngroups > 0) {
        struct sgroup *g = s->groups[s->ngroups - 1];
        for (size_t i = 0; i < g->ncons; i++)
            if (!idmap_clear_some(&g->cons[i]->pel, work, NULL, NULL))
                return false;
        if (!idmap_clear_some(&g->pel, work, nack_free, s))
            return false;
        group_free(s, g);
        s->ngroups--;
        (*work)--;
    }
    if (!sentries_free_some(&s->e, work))
        return false;
    stream_free(s);
    (*work)--;
    return true;
}

uint64_t stream_free_effort(const struct stream *s)
{
    uint64_t n = s->e.n;
    for (size_t i = 0; i < s->ngroups; i++)
        n += 1 + s->groups[i]->pel.size;
    return n;
}

size_t stream_bytes(const struct stream *s)
{
    return sizeof *s + s->bytes;
}

int64_t stream_distance(const struct stream *s, struct sid id)
{
    if (!s->entries_added)
        return 0;
    if (!s->e.length && sid_cmp(id, s->last_id) < 1)
        return (int64_t)s->entries_added;
    int cmp_last = sid_cmp(id, s->last_id);
    if (cmp_last == 0)
        return (int64_t)s->entries_added;
    if (cmp_last > 0)
        return SCG_INVALID_ENTRIES_READ;
    int cmp_first = sid_cmp(id, s->first_id);
    if (sid_is_zero(s->max_deleted) || sid_cmp(s->max_deleted, s->first_id) < 0) {
        if (cmp_first < 0)
            return (int64_t)(s->entries_added - s->e.length);
        if (cmp_first == 0)
            return (int64_t)(s->entries_added - s->e.length + 1);
    }
    return SCG_INVALID_ENTRIES_READ;
}

struct sgroup *stream_group(const struct stream *s, struct rs_str name)
{
    bool found;
    size_t i = name_search((void *const *)s->groups, s->ngroups, name, &found);
    return found ? s->groups[i] : NULL;
}

struct sgroup *stream_group_add(struct stream *s, struct rs_str name, struct sid last,
                                int64_t entries_read)
{
    bool found;
    size_t i = name_search((void *const *)s->groups, s->ngroups, name, &found);
    struct sgroup *g = rs_calloc(1, sizeof *g);
    count_bytes(&s->bytes, sizeof *g, true);
    g->name = (struct sname){name_dup(&s->bytes, name), name.len};
    g->last_id = last;
    g->entries_read = entries_read;
    idmap_init(&g->pel, &s->bytes);
    ptrs_insert(&s->bytes, (void ***)&s->groups, &s->ngroups, &s->capgroups, i, g);
    return g;
}

bool stream_group_del(struct stream *s, struct rs_str name)
{
    bool found;
    size_t i = name_search((void *const *)s->groups, s->ngroups, name, &found);
    if (!found)
        return false;
    group_free(s, s->groups[i]);
    ptrs_remove((void **)s->groups, &s->ngroups, i);
    return true;
}

struct sconsumer *group_consumer(const struct sgroup *g, struct rs_str name)
{
    bool found;
    size_t i = name_search((void *const *)g->cons, g->ncons, name, &found);
    return found ? g->cons[i] : NULL;
}

struct sconsumer *group_consumer_add(struct stream *s, struct sgroup *g, struct rs_str name,
                                     int64_t now)
{
    bool found;
    size_t i = name_search((void *const *)g->cons, g->ncons, name, &found);
    struct sconsumer *c = rs_calloc(1, sizeof *c);
    count_bytes(&s->bytes, sizeof *c, true);
    c->name = (struct sname){name_dup(&s->bytes, name), name.len};
    c->seen_time = now;
    c->active_time = -1;
    idmap_init(&c->pel, &s->bytes);
    ptrs_insert(&s->bytes, (void ***)&g->cons, &g->ncons, &g->capcons, i, c);
    return c;
}

uint64_t group_consumer_del(struct stream *s, struct sgroup *g, struct rs_str name)
{
    bool found;
    size_t i = name_search((void *const *)g->cons, g->ncons, name, &found);
    if (!found)
        return 0;
    struct sconsumer *c = g->cons[i];
    uint64_t pending = c->pel.size;
    for (struct idmap_node *n = c->pel.head->next[0]; n; n = n->next[0]) {
        struct snack *k = idmap_remove(&g->pel, n->id);
        count_bytes(&s->bytes, sizeof *k, false);
        rs_free(k);
    }
    consumer_free(s, c);
    ptrs_remove((void **)g->cons, &g->ncons, i);
    return pending;
}

struct snack *group_nack_add(struct stream *s, struct sgroup *g, struct sid id,
                             struct sconsumer *c, int64_t now)
{
    struct snack *k = rs_malloc(sizeof *k);
    count_bytes(&s->bytes, sizeof *k, true);
    k->delivery_time = now;
    k->delivery_count = 1;
    k->consumer = c;
    idmap_insert(&g->pel, id, k);
    if (c)
        idmap_insert(&c->pel, id, k);
    return k;
}

void group_nack_assign(struct sid id, struct snack *n, struct sconsumer *c)
{
    if (n->consumer == c)
        return;
    if (n->consumer)
        idmap_remove(&n->consumer->pel, id);
    idmap_insert(&c->pel, id, n);
    n->consumer = c;
}

bool group_nack_del(struct stream *s, struct sgroup *g, struct sid id)
{
    struct snack *k = idmap_remove(&g->pel, id);
    if (!k)
        return false;
    if (k->consumer)
        idmap_remove(&k->consumer->pel, id);
    count_bytes(&s->bytes, sizeof *k, false);
    rs_free(k);
    return true;
}

struct stream *stream_dup(const struct stream *s)
{
    struct stream *d = stream_new();
    sentries_dup(&d->e, &s->e, &d->bytes);
    d->last_id = s->last_id;
    d->first_id = s->first_id;
    d->max_deleted = s->max_deleted;
    d->entries_added = s->entries_added;
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct sgroup *g = s->groups[i];
        struct rs_str gname = rs_str_from(g->name.p, g->name.len);
        struct sgroup *dg = stream_group_add(d, gname, g->last_id, g->entries_read);
        for (size_t j = 0; j < g->ncons; j++) {
            const struct sconsumer *c = g->cons[j];
            struct sconsumer *dc =
                group_consumer_add(d, dg, rs_str_from(c->name.p, c->name.len), c->seen_time);
            dc->active_time = c->active_time;
        }
        for (struct idmap_node *n = g->pel.head->next[0]; n; n = n->next[0]) {
            const struct snack *k = n->val;
            struct sconsumer *dc =
                k->consumer ? group_consumer(dg, rs_str_from(k->consumer->name.p,
                                                             k->consumer->name.len))
                            : NULL;
            struct snack *dk = group_nack_add(d, dg, n->id, dc, k->delivery_time);
            dk->delivery_count = k->delivery_count;
        }
    }
    return d;
}
