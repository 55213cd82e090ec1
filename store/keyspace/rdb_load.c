/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reading an RDB file into the keyspace (rdb_file.h): versions 1 to 12,
 * as Redis 7.4's rdbLoadRio reads them. The file is read whole into
 * memory and checked as it is parsed: every length is bounded by the
 * bytes left, so a corrupt or truncated file is an error, never a read out
 * of bounds. Values are rebuilt through the same type APIs the commands
 * use (hash_set, set_add, ql_push, zset_add), so each takes the encoding
 * respite would give it -- a Redis 6 ziplist becomes a listpack, a big
 * intset a table -- and its sub-key deadlines are registered in its shard
 * as for a command's write. A stream's nodes are kept as the file has them
 * (sentries_load_node), whatever stream-node-max-* made them.
 *
 * rdb_value_read is the value alone, for RESTORE as well as for files.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xxhash.h>

#include "ds/crc64.h"
#include "ds/mem.h"
#include "ds/pack.h"
#include "ds/quicklist.h"
#include "ds/stream.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/list.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

/* The loader's buffers, reused from key to key so that a string costs no
 * allocation of its own: rdb_get_str's for the key, the blob or string
 * value, and two for the strings of an aggregate, which alternate; and
 * the elements of a blob read ahead (blob_scan). */
enum { BUF_KEY, BUF_VALUE, BUF_AHEAD, BUF_ELEM, NBUFS = BUF_ELEM + 2 };

struct loader {
    struct store *st;
    struct rdb_reader r;
    const uint8_t *base; /* the file's first byte */
    uint64_t nkeys;      /* keys read, for the progress hook */
    uint64_t nexpired;   /* keys dropped as past their deadline (rdb_last_load_keys_expired) */
    uint64_t nloaded;    /* keys added (rdb_last_load_keys_loaded) */
    bool stopped;        /* by the progress hook */
    int64_t now;
    bool merge; /* a key already there is replaced by the file's */
    uint32_t nblobs; /* packed blobs checked (rdb_value.nblobs) */
    char *err;
    size_t errlen;
    struct rdb_buf bufs[NBUFS]; /* rdb_get_str's, BUF_* */
};

static void loader_free_bufs(struct loader *ld)
{
    for (int i = 0; i < NBUFS; i++)
        rs_free(ld->bufs[i].p);
}

static bool fail(struct loader *ld, const char *what)
{
    snprintf(ld->err, ld->errlen, "%s", what);
    return false;
}

/* ---- element sources ------------------------------------------------------ */

/* An element of a blob read ahead (blob_scan): its bytes in the blob, or
 * the text of an integer. */
struct blob_key {
    const char *p;
    size_t len;
    char num[24];
};

static struct rs_str blob_key_str(const struct blob_key *k)
{
    return rs_str_from(k->p ? k->p : k->num, k->len);
}

/* The elements of a value, from RDB strings (a count of them) or from a
 * listpack, ziplist or intset blob. The last element returned is valid
 * until the next call, and past it when it is a string of the blob or of
 * its elements read ahead (keep) or one of the RDB strings (the one before
 * the last stays too). */
struct elems {
    struct rdb_reader *r;
    uint64_t left;      /* RDB strings still to read */
    bool is_blob;
    struct rdb_blob blob;
    const struct blob_key *ahead; /* the blob's elements, once blob_scan read them */
    size_t nahead, next;
    struct rdb_buf *bufs; /* the loader's */
    int flip;             /* the BUF_ELEM buffer the next string takes */
};

/* n strings follow in r. */
static void elems_strings(struct elems *es, struct rdb_reader *r, struct rdb_buf *bufs,
                          uint64_t n)
{
    memset(es, 0, sizeof *es);
    es->r = r;
    es->bufs = bufs;
    es->left = n;
}

/* A blob of kind follows in ld's input as one string. */
static bool elems_blob(struct elems *es, struct loader *ld, enum rdb_blob_kind kind)
{
    memset(es, 0, sizeof *es);
    es->bufs = ld->bufs;
    es->is_blob = true;
    ld->nblobs++;
    struct rs_str b;
    return rdb_get_str(&ld->r, &ld->bufs[BUF_VALUE], &b) &&
           rdb_blob_open(&es->blob, kind, (const uint8_t *)b.p, b.len);
}

/* The next element in *s; false at the end or when malformed (*bad). */
static bool elems_next(struct elems *es, struct rs_str *s, bool *bad)
{
    if (es->ahead) {
        *bad = es->next == es->nahead && es->blob.bad;
        if (es->next == es->nahead)
            return false;
        *s = blob_key_str(&es->ahead[es->next++]);
        return true;
    }
    if (es->is_blob) {
        bool more = rdb_blob_next(&es->blob, s);
        *bad = es->blob.bad;
        return more;
    }
    if (es->left == 0)
        return false;
    es->left--;
    *bad = !rdb_get_str(es->r, &es->bufs[BUF_ELEM + es->flip], s);
    es->flip ^= 1;
    return !*bad;
}

/* s as it stays valid past the next elems_next: an integer of a blob
 * walked (not read ahead) is copied into buf (24 bytes), the walk's buffer
 * being reused. */
static struct rs_str keep(const struct elems *es, struct rs_str s, char *buf)
{
    if (es->is_blob && s.p == es->blob.num) {
        memcpy(buf, s.p, s.len);
        s.p = buf;
    }
    return s;
}

static int blob_key_cmp(const void *a, const void *b)
{
    const struct blob_key *x = a, *y = b;
    const char *xp = x->p ? x->p : x->num, *yp = y->p ? y->p : y->num;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(xp, yp, x->len);
}

/* Whether elements 0, stride, 2 stride... of the n in k repeat one
 * another, compared as text as Redis's lpValidateIntegrityAndDups compares
 * them: a few pair by pair, more through an open-addressing set of their
 * indexes keyed by a seeded XXH3 (a payload cannot choose colliding
 * fields), O(n): a sort cost more than the rest of a packed hash's RESTORE. */
static bool keys_repeat(const struct blob_key *k, size_t n, size_t stride, uint64_t seed)
{
    size_t nkeys = (n + stride - 1) / stride;
    if (nkeys <= 16) {
        for (size_t j = stride; j < n; j += stride)
            for (size_t i = 0; i < j; i += stride)
                if (blob_key_cmp(&k[i], &k[j]) == 0)
                    return true;
        return false;
    }
    size_t slots = 64;
    while (slots < 2 * nkeys)
        slots *= 2;
    uint32_t local[256]; /* the set of up to 128 keys (hash-max-listpack-entries) */
    uint32_t *set = slots <= 256 ? local : rs_malloc(slots * sizeof *set);
    memset(set, 0, slots * sizeof *set); /* 0: empty, else an index + 1 */
    bool repeats = false;
    for (size_t i = 0; i < n && !repeats; i += stride) {
        struct rs_str s = blob_key_str(&k[i]);
        size_t at = (size_t)XXH3_64bits_withSeed(s.p, s.len, seed) & (slots - 1);
        for (; set[at] != 0 && !repeats; at = (at + 1) & (slots - 1))
            repeats = blob_key_cmp(&k[set[at] - 1], &k[i]) == 0;
        set[at] = (uint32_t)i + 1;
    }
    if (set != local)
        rs_free(set);
    return repeats;
}

/* Whether the blob's header counts its elements (under 65535): one worth
 * reading ahead only to size its pack, the copy of its elements staying
 * small (blob_scan's 40 bytes an element; a hash's is read ahead for its
 * repeats check whatever its size). */
static bool blob_countable(const struct elems *es)
{
    return es->blob.count != UINT16_MAX;
}

/* What blob_scan found: the elements' number, the longest one's length,
 * the bytes they take packed (pack_elem_bytes each; with scores, every
 * second one is a double's 8 bytes), and whether a key repeats. */
struct ahead {
    size_t n, longest, bytes;
    bool repeats;
};

/* Read the elements of a listpack or ziplist blob ahead, before they are
 * added, into the loader's BUF_AHEAD (each decoded once: elems_next then
 * takes them from there), and check its keys, elements 0, stride, 2
 * stride..., for repeats (keys_repeat), so that a value can be sized and
 * filled without a search. O(n). */
static struct ahead blob_scan(struct elems *es, bool scores, size_t stride, uint64_t seed)
{
    struct rdb_buf *b = &es->bufs[BUF_AHEAD];
    b->len = 0;
    if (blob_countable(es) && b->cap < es->blob.count * sizeof(struct blob_key))
        rdb__grow(b, es->blob.count * sizeof(struct blob_key)); /* once */
    size_t bytes = 0, i = 0, longest = 0;
    struct rs_str s;
    for (; rdb_blob_next(&es->blob, &s); i++) {
        bytes += pack_elem_bytes(scores && i % 2 ? sizeof(double) : s.len);
        longest = s.len > longest ? s.len : longest;
        if (b->cap - b->len < sizeof(struct blob_key))
            rdb__grow(b, sizeof(struct blob_key));
        struct blob_key *k = (struct blob_key *)(b->p + b->len); /* malloc's alignment */
        b->len += sizeof *k;
        k->len = s.len;
        k->p = s.p == es->blob.num ? NULL : s.p;
        if (k->p == NULL)
            memcpy(k->num, s.p, s.len);
    }
    es->ahead = (const struct blob_key *)b->p;
    es->nahead = i;
    return (struct ahead){i, longest, bytes, keys_repeat(es->ahead, i, stride, seed)};
}

/* ---- values --------------------------------------------------------------- */

/* The latest deadline a hash field or set member takes (Redis's
 * HFE_MAX_ABS_TIME_MSEC, commands/subkey.c's limit): a later one is
 * corrupt. */
#define SUBTTL_MAX_MS 0x3FFFFFFFFFFFLL

/* A deadline saved relative to min (0: none) into *when (-1: none); false
 * past SUBTTL_MAX_MS. */
static bool rel_deadline(int64_t min, uint64_t rel, int64_t *when)
{
    *when = -1;
    if (rel == 0)
        return true;
    if (min < 0 || min > SUBTTL_MAX_MS || rel - 1 > (uint64_t)(SUBTTL_MAX_MS - min))
        return false;
    *when = min + (int64_t)(rel - 1);
    return true;
}

static int64_t due_or_kept(int64_t when, int64_t now)
{
    return when != -1 && when < now ? -2 : when;
}

static bool load_list(struct loader *ld, int type, struct quicklist **out)
{
    struct store *st = ld->st;
    struct quicklist *ql = ql_new(st->cfg.list_max_listpack_size, list_packed_threshold(st));
    *out = ql;
    uint64_t nodes = 1;
    if (type == RDB_TYPE_LIST_QUICKLIST || type == RDB_TYPE_LIST_QUICKLIST_2)
        if (!rdb_get_len(&ld->r, &nodes))
            return false;
    /* several nodes: a quicklist, whose chunks are the file's (Redis keeps
     * them; one node that fits the limits is a listpack, in Redis too) */
    if (type == RDB_TYPE_LIST_QUICKLIST_2 && nodes > 1)
        list_as_quicklist(st, ql);
    for (uint64_t i = 0; i < nodes; i++) {
        struct elems es = {0};
        bool ok;
        uint64_t container = 2;
        if (type == RDB_TYPE_LIST_QUICKLIST_2 && !rdb_get_len(&ld->r, &container))
            return false;
        if (type == RDB_TYPE_LIST) {
            uint64_t n;
            if (!rdb_get_len(&ld->r, &n))
                return false;
            elems_strings(&es, &ld->r, ld->bufs, n);
            ok = true;
        } else if (container == 1) {
            elems_strings(&es, &ld->r, ld->bufs, 1);
            ok = true;
        } else {
            ok = container == 2 &&
                 elems_blob(&es, ld,
                            type == RDB_TYPE_LIST_QUICKLIST_2 ? RDB_BLOB_LISTPACK
                                                              : RDB_BLOB_ZIPLIST);
        }
        /* a node's chunk is about its listpack's size */
        size_t room = es.is_blob ? (size_t)(es.blob.end - es.blob.p) : 0;
        /* An element's text is no longer than its listpack bytes, but an
         * integer's (up to 20 bytes), nor is its size in the list's
         * listpack (what list_growing adds up): a node whose bytes, and
         * one integer's text, fit cannot make the list a quicklist, checked
         * once instead of element by element. */
        bool check = !(ok && es.is_blob && blob_countable(&es) &&
                       (!ql->listpack ||
                        list_fits_packed(st, ql, room + RESP_LL_STR_SIZE, es.blob.count)));
        struct rs_str s;
        bool bad = !ok, first = true;
        while (!bad && elems_next(&es, &s, &bad)) {
            if (check)
                list_growing(st, ql, s.len, 1);
            if (first && type == RDB_TYPE_LIST_QUICKLIST_2)
                ql_push_chunk(ql, s, room);
            else
                ql_push(ql, s, QL_TAIL);
            first = false;
        }
        if (bad)
            return false;
    }
    return true;
}

/* The values of an intset blob, ascending and each once (Redis's deep
 * check), decoded at once into the loader's BUF_AHEAD and copied into an
 * intset of their number, none formatted as text; false when bad (*bad)
 * or too many for an intset (*out NULL: load_set adds them one by one). */
static bool load_intset(struct loader *ld, struct rdb_blob *it, struct rset **out, bool *bad)
{
    *bad = false;
    uint64_t n = it->left;
    if (n == 0)
        return true; /* empty: no set */
    /* n values of at least 2 bytes each are in the payload: at most 4
     * times its bytes */
    struct rdb_buf *b = &ld->bufs[BUF_AHEAD];
    if (b->cap < n * sizeof(int64_t))
        rdb__grow(b, (size_t)n * sizeof(int64_t));
    int64_t *v = (int64_t *)b->p; /* malloc's alignment */
    const uint8_t *start = it->p;
    if (!rdb_blob_ints(it, v)) {
        *bad = true;
        return false;
    }
    if ((*out = set_new_ints(ld->st, v, n)) == NULL) {
        it->p = start; /* walked again by load_set */
        it->left = n;
        return false;
    }
    return true;
}

/* Members (with deadlines relative to min when min != -1). */
static bool load_set(struct loader *ld, int type, struct rset **out)
{
    struct store *st = ld->st;
    struct elems es = {0};
    int64_t min = -1;
    uint64_t n = 0;
    bool bad = false;
    if (type == RDB_TYPE_SET_INTSET || type == RDB_TYPE_SET_LISTPACK) {
        if (!elems_blob(&es, ld,
                        type == RDB_TYPE_SET_INTSET ? RDB_BLOB_INTSET : RDB_BLOB_LISTPACK))
            return false;
        if (type == RDB_TYPE_SET_INTSET && (load_intset(ld, &es.blob, out, &bad) || bad))
            return !bad;
        /* as a hash's fields: members checked for repeats at once, then
         * appended without a search into a pack of their size, straight
         * from the elements read ahead (a malformed blob's stop at the
         * fault: refused) */
        if (type == RDB_TYPE_SET_LISTPACK && blob_countable(&es)) {
            struct ahead a = blob_scan(&es, false, 1, st->seed);
            bad = a.repeats;
            if (!bad && a.n > 0) {
                *out = set_new_pack();
                if (set_reserve_packed(st, *out, a.n, a.longest, a.bytes)) {
                    for (size_t i = 0; i < a.n; i++)
                        set_add_reserved(*out, blob_key_str(&es.ahead[i]));
                    return !es.blob.bad;
                }
            }
        }
    } else {
        if (type == RDB_TYPE_RESPITE_SET_TTL && !rdb_get_u64le(&ld->r, (uint64_t *)&min))
            return false;
        if (!rdb_get_len(&ld->r, &n))
            return false;
        elems_strings(&es, &ld->r, ld->bufs, n);
    }
    struct rs_str m;
    bool has_prev = false;
    long long prev = 0;
    while (!bad) {
        int64_t when = -1;
        if (min != -1 && es.left > 0) {
            uint64_t rel;
            if (!rdb_get_len(&ld->r, &rel) || !rel_deadline(min, rel, &when)) {
                bad = true;
                break;
            }
        }
        if (!elems_next(&es, &m, &bad))
            break;
        when = due_or_kept(when, ld->now);
        if (when == -2)
            continue;
        if (type == RDB_TYPE_SET_INTSET) {
            /* an intset is sorted, each member once (Redis's deep check) */
            long long v;
            if (!resp_str2ll(m.p, m.len, &v) || (has_prev && v <= prev)) {
                bad = true;
                break;
            }
            prev = v;
            has_prev = true;
        }
        if (*out == NULL)
            *out = type == RDB_TYPE_SET_LISTPACK ? set_new_pack() : set_new_loaded(st, m, n ? n : 1);
        if (!set_add(st, *out, m)) {
            bad = true; /* a member twice */
            break;
        }
        if (when != -1)
            set_member_set_ttl(st, *out, m, when);
    }
    return !bad;
}

/* Fields and values; with deadlines for the 7.4 types. */
static bool load_hash(struct loader *ld, int type, struct hash **out)
{
    struct cmd_ctx c = {.st = ld->st};
    struct hash *h = *out = hash_new();
    struct elems es = {0};
    int64_t min = -1;
    bool metadata = type == RDB_TYPE_HASH_METADATA;
    bool lpex = type == RDB_TYPE_HASH_LISTPACK_EX || type == RDB_TYPE_HASH_LISTPACK_EX_PRE_GA;
    if ((metadata || type == RDB_TYPE_HASH_LISTPACK_EX) &&
        !rdb_get_u64le(&ld->r, (uint64_t *)&min))
        return false;
    if (type == RDB_TYPE_HASH || metadata) {
        uint64_t n;
        if (!rdb_get_len(&ld->r, &n))
            return false;
        hash_reserve(&c, h, n);
        elems_strings(&es, &ld->r, ld->bufs, 2 * n);
    } else if (!elems_blob(&es, ld,
                           type == RDB_TYPE_HASH_ZIPLIST ? RDB_BLOB_ZIPLIST
                                                         : RDB_BLOB_LISTPACK)) {
        return false;
    }
    /* a blob's fields are checked for repeats at once, then added without
     * a search, into a pack of their size (with deadlines, the fields
     * left and their size are known only once they are read); separate
     * strings are searched for as they come */
    bool bad = false;
    if (es.is_blob) {
        struct ahead a = blob_scan(&es, false, lpex ? 3 : 2, ld->st->seed);
        bad = a.repeats;
        bool reserved = !lpex && !bad && hash_reserve_packed(&c, h, a.n / 2, a.longest, a.bytes);
        /* no deadlines: every pair is kept, straight from the elements
         * read ahead (a malformed blob's stop at the fault: refused) */
        if (reserved) {
            for (size_t i = 0; i + 1 < a.n; i += 2)
                hash_add_reserved(h, blob_key_str(&es.ahead[i]),
                                  blob_key_str(&es.ahead[i + 1]));
            return !es.blob.bad && a.n % 2 == 0;
        }
    }
    while (!bad) {
        int64_t when = -1;
        if (metadata && es.left > 0) {
            uint64_t rel;
            if (!rdb_get_len(&ld->r, &rel) || !rel_deadline(min, rel, &when)) {
                bad = true;
                break;
            }
        }
        struct rs_str f, v, t;
        char fnum[24], vnum[24];
        if (!elems_next(&es, &f, &bad))
            break;
        f = keep(&es, f, fnum);
        if (!elems_next(&es, &v, &bad)) {
            bad = true;
            break;
        }
        if (lpex) {
            v = keep(&es, v, vnum);
            long long ttl;
            if (!elems_next(&es, &t, &bad) || !resp_str2ll(t.p, t.len, &ttl) || ttl < 0 ||
                ttl > SUBTTL_MAX_MS) {
                bad = true;
                break;
            }
            when = ttl == 0 ? -1 : ttl;
        }
        when = due_or_kept(when, ld->now);
        if (when == -2)
            continue;
        if (es.is_blob)
            hash_add(&c, h, f, v);
        else
            bad = !hash_set(&c, h, f, v, false); /* a field twice */
        if (when != -1 && !bad)
            hash_field_set_ttl(h, f, when);
    }
    return !bad;
}

static bool parse_score(struct rs_str s, double *score)
{
    char buf[128];
    if (s.len == 0 || s.len >= sizeof buf)
        return false; /* before the fast path: leading zeros have no bound */
    if (resp_decimal_as_double(s.p, s.len, score))
        return true;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *end;
    *score = strtod(buf, &end);
    return end == buf + s.len;
}

static bool load_zset(struct loader *ld, int type, struct rzset **out)
{
    struct store *st = ld->st;
    struct elems es = {0};
    uint64_t n = 0;
    bool blob = type == RDB_TYPE_ZSET_ZIPLIST || type == RDB_TYPE_ZSET_LISTPACK;
    if (blob) {
        if (!elems_blob(&es, ld,
                        type == RDB_TYPE_ZSET_ZIPLIST ? RDB_BLOB_ZIPLIST : RDB_BLOB_LISTPACK))
            return false;
    } else {
        if (!rdb_get_len(&ld->r, &n))
            return false;
        elems_strings(&es, &ld->r, ld->bufs, n);
    }
    *out = zset_new(st, blob ? 0 : (size_t)n, 0);
    /* a blob's members are checked for repeats at once; while its pairs
     * come in order (as Redis writes them), each is appended without a
     * search into a pack of their size (longest counts the scores' text
     * too: a score past zset-max-listpack-value takes the slow way) */
    bool bad = false, reserved = false, any = false;
    double last = 0;
    struct rs_str lastm = {0};
    if (blob && blob_countable(&es)) {
        struct ahead a = blob_scan(&es, true, 2, st->seed);
        bad = a.repeats;
        reserved = !bad && zset_reserve_packed(st, *out, a.n / 2, a.longest, a.bytes);
    }
    struct rs_str m, sc;
    for (uint64_t i = 0; !bad && (blob || i < n); i++) {
        double score;
        char mnum[24];
        if (!elems_next(&es, &m, &bad))
            break;
        if (blob) {
            m = keep(&es, m, mnum);
            bad = !elems_next(&es, &sc, &bad) || !parse_score(sc, &score);
        } else {
            /* the score follows its member, outside the count of strings */
            bad = type == RDB_TYPE_ZSET_2 ? !rdb_get_double(&ld->r, &score)
                                          : !rdb_get_text_double(&ld->r, &score);
        }
        bad = bad || isnan(score);
        /* the pairs read ahead stay valid: lastm may point into them */
        if (!bad && reserved &&
            (!any || last < score || (last == score && zt_cmp_member(lastm, m) < 0))) {
            zset_append_reserved(*out, m, score);
            last = score;
            lastm = m;
            any = true;
        } else if (!bad) {
            /* out of order: inserted at its place, which may reallocate
             * the pack to its size, so nothing is appended after it */
            reserved = false;
            int flags_out;
            zset_add(st, *out, m, score, 0, &flags_out, NULL);
            bad = !(flags_out & ZADD_OUT_ADDED); /* a member twice */
        }
    }
    return !bad;
}

/* ---- streams -------------------------------------------------------------- */

static struct sid sid_from_raw(const uint8_t raw[16])
{
    struct sid id = {0, 0};
    for (int i = 0; i < 8; i++) {
        id.ms = id.ms << 8 | raw[i];
        id.seq = id.seq << 8 | raw[8 + i];
    }
    return id;
}

static bool get_sid(struct rdb_reader *r, struct sid *id)
{
    return rdb_get_len(r, &id->ms) && rdb_get_len(r, &id->seq);
}

/* The elements of one stream entry (or master entry), copied out of the
 * listpack walk (whose integers live in a buffer the next element
 * overwrites). */
struct lp_elems {
    struct rdb_buf bytes;
    size_t *off, *len;
    uint32_t n, cap;
};

/* Read n strings from it into es (after what it holds). */
static bool lp_take(struct rdb_blob *it, struct lp_elems *es, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        struct rs_str s;
        if (!rdb_blob_next(it, &s))
            return false;
        if (es->n == es->cap) {
            es->cap = es->cap ? es->cap * 2 : 16;
            es->off = rs_realloc(es->off, es->cap * sizeof *es->off);
            es->len = rs_realloc(es->len, es->cap * sizeof *es->len);
        }
        es->off[es->n] = es->bytes.len;
        es->len[es->n++] = s.len;
        rdb_put_raw(&es->bytes, s.p, s.len);
    }
    return true;
}

static struct rs_str lp_elem(const struct lp_elems *es, uint32_t i)
{
    return rs_str_from((const char *)es->bytes.p + es->off[i], es->len[i]);
}

/* A node of Redis's stream (put_stream_node in rdb_save.c has the layout)
 * into s->e, as the same node. Every ID must be above *prev (the last so
 * far, updated; *any: there was one). A node is at most 1.5 GB: more than
 * Redis's XADD makes (1 GB and an entry), while respite's copy of it (at
 * most about twice the listpack's bytes) stays within its 32-bit offsets. */
static bool load_stream_node(struct stream *s, const uint8_t *key, const char *lp, size_t lplen,
                             struct sid *prev, bool *any)
{
    struct rdb_blob it;
    if (lplen > (size_t)3 << 29 ||
        !rdb_blob_open(&it, RDB_BLOB_LISTPACK, (const uint8_t *)lp, lplen))
        return false;
    struct sid master = sid_from_raw(key);
    int64_t live = 0, deleted = 0, nnames = 0, zero = 0;
    struct lp_elems names = {0}, ent = {0};
    struct rs_str *fv = NULL;
    size_t fvcap = 0; /* grown only for an entry with more fields than any before */
    bool ok = rdb_blob_next_int(&it, &live) && rdb_blob_next_int(&it, &deleted) &&
              rdb_blob_next_int(&it, &nnames) && live > 0 && deleted >= 0 && nnames >= 0 &&
              (uint64_t)nnames <= lplen && lp_take(&it, &names, nnames) &&
              rdb_blob_next_int(&it, &zero) && zero == 0 && live + deleted <= (int64_t)lplen;
    if (ok) {
        fvcap = (size_t)nnames + 1;
        fv = rs_malloc(fvcap * sizeof *fv);
        for (uint32_t j = 0; j < (uint32_t)nnames; j++)
            fv[j] = lp_elem(&names, j);
        sentries_load_node(&s->e, master, fv, (uint32_t)nnames);
    }
    int64_t seen_live = 0;
    for (int64_t j = 0; ok && j < live + deleted; j++) {
        int64_t flags = 0, msd = 0, seqd = 0, nf = nnames, count = 0;
        ok = rdb_blob_next_int(&it, &flags) && flags >= 0 && flags <= 3 &&
             rdb_blob_next_int(&it, &msd) && rdb_blob_next_int(&it, &seqd);
        bool same = flags & 2, del = flags & 1;
        if (ok && !same)
            ok = rdb_blob_next_int(&it, &nf) && nf >= 0 && (uint64_t)nf <= lplen / 2;
        ent.n = 0;
        ent.bytes.len = 0;
        ok = ok && lp_take(&it, &ent, same ? nf : 2 * nf) && rdb_blob_next_int(&it, &count) &&
             count == nf + 3 + (same ? 0 : nf + 1);
        struct sid id = {master.ms + (uint64_t)msd, master.seq + (uint64_t)seqd};
        ok = ok && (j > 0 || sid_cmp(id, master) == 0) && (!*any || sid_cmp(id, *prev) > 0);
        if (!ok)
            break;
        *prev = id;
        *any = true;
        if (2 * (size_t)nf + 1 > fvcap) {
            fvcap = 2 * (size_t)nf + 1;
            fv = rs_realloc(fv, fvcap * sizeof *fv);
        }
        for (uint32_t k = 0; k < (uint32_t)nf; k++) {
            fv[2 * k] = same ? lp_elem(&names, k) : lp_elem(&ent, 2 * k);
            fv[2 * k + 1] = same ? lp_elem(&ent, k) : lp_elem(&ent, 2 * k + 1);
        }
        seen_live += !del;
        ok = sentries_load_entry(&s->e, id, fv, (uint32_t)nf, same, del);
    }
    struct rs_str rest;
    ok = ok && seen_live == live && !rdb_blob_next(&it, &rest) && !it.bad;
    rs_free(fv);
    rs_free(names.bytes.p);
    rs_free(names.off);
    rs_free(names.len);
    rs_free(ent.bytes.p);
    rs_free(ent.off);
    rs_free(ent.len);
    return ok;
}

/* A pending entries list of group g: with nacks, the group's (IDs, delivery
 * times and counts); else consumer c's, IDs of the group's, each owned by
 * no other consumer. */
static bool load_pel(struct loader *ld, struct stream *s, struct sgroup *g,
                     struct sconsumer *c)
{
    uint64_t n;
    if (!rdb_get_len(&ld->r, &n))
        return false;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t raw[16];
        if (!rdb_get_raw(&ld->r, raw, sizeof raw))
            return false;
        struct sid id = sid_from_raw(raw);
        if (c) {
            struct snack *k = idmap_find(&g->pel, id);
            if (k == NULL || k->consumer)
                return false;
            group_nack_assign(id, k, c);
            continue;
        }
        uint64_t when, count;
        if (!rdb_get_u64le(&ld->r, &when) || !rdb_get_len(&ld->r, &count) ||
            idmap_find(&g->pel, id))
            return false;
        struct snack *k = group_nack_add(s, g, id, NULL, (int64_t)when);
        k->delivery_count = count;
    }
    return true;
}

/* RDB_TYPE_STREAM_LISTPACKS (Redis 5, 6), _2 (7.0: first and deleted IDs,
 * entries added and read) and _3 (7.2: consumers' active time). */
static bool load_stream(struct loader *ld, int type, struct stream **out)
{
    struct rdb_reader *r = &ld->r;
    struct stream *s = *out = stream_new();
    uint64_t nodes;
    if (!rdb_get_len(r, &nodes))
        return false;
    struct sid prev = {0, 0};
    bool any = false;
    for (uint64_t i = 0; i < nodes; i++) {
        size_t klen, lplen;
        char *key = rdb_get_string(r, &klen);
        char *lp = key && klen == 16 ? rdb_get_string(r, &lplen) : NULL;
        ld->nblobs++;
        bool ok = lp && load_stream_node(s, (const uint8_t *)key, lp, lplen, &prev, &any);
        rs_free(key);
        rs_free(lp);
        if (!ok)
            return false;
    }
    uint64_t length;
    if (!rdb_get_len(r, &length) || !get_sid(r, &s->last_id) || length != s->e.length ||
        (any && sid_cmp(prev, s->last_id) > 0))
        return false;
    if (type >= RDB_TYPE_STREAM_LISTPACKS_2) {
        if (!get_sid(r, &s->first_id) || !get_sid(r, &s->max_deleted) ||
            !rdb_get_len(r, &s->entries_added))
            return false;
    } else {
        s->entries_added = length;
        sentries_edge(&s->e, false, &s->first_id);
    }
    uint64_t ngroups;
    if (!rdb_get_len(r, &ngroups))
        return false;
    for (uint64_t i = 0; i < ngroups; i++) {
        size_t nlen;
        char *name = rdb_get_string(r, &nlen);
        struct sid last;
        uint64_t read = 0;
        bool ok = name && get_sid(r, &last) &&
                  (type < RDB_TYPE_STREAM_LISTPACKS_2 || rdb_get_len(r, &read)) &&
                  stream_group(s, rs_str_from(name, nlen)) == NULL;
        struct sgroup *g = NULL;
        if (ok)
            g = stream_group_add(s, rs_str_from(name, nlen), last,
                                 type < RDB_TYPE_STREAM_LISTPACKS_2 ? stream_distance(s, last)
                                                                    : (int64_t)read);
        rs_free(name);
        uint64_t ncons;
        if (!ok || !load_pel(ld, s, g, NULL) || !rdb_get_len(r, &ncons))
            return false;
        for (uint64_t j = 0; j < ncons; j++) {
            char *cname = rdb_get_string(r, &nlen);
            uint64_t seen = 0, active;
            ok = cname && rdb_get_u64le(r, &seen) &&
                 group_consumer(g, rs_str_from(cname, nlen)) == NULL;
            active = seen;
            ok = ok && (type < RDB_TYPE_STREAM_LISTPACKS_3 || rdb_get_u64le(r, &active));
            struct sconsumer *c = NULL;
            if (ok) {
                c = group_consumer_add(s, g, rs_str_from(cname, nlen), (int64_t)seen);
                c->active_time = (int64_t)active;
            }
            rs_free(cname);
            if (!ok || !load_pel(ld, s, g, c))
                return false;
        }
        /* every pending entry has its consumer */
        for (const struct idmap_node *n = g->pel.head->next[0]; n; n = n->next[0])
            if (((const struct snack *)n->val)->consumer == NULL)
                return false;
    }
    return true;
}

/* ---- keys ----------------------------------------------------------------- */

/* Elements of a value being loaded (v may be NULL: a set whose members all
 * expired). A stream is never empty: it keeps its IDs and groups. */
static uint64_t value_size(enum obj_type type, void *v)
{
    if (v == NULL)
        return 0;
    switch (type) {
    case OBJ_LIST:
        return ((struct quicklist *)v)->count;
    case OBJ_SET:
        return set_size(v);
    case OBJ_HASH:
        return hash_size(v);
    case OBJ_ZSET:
        return zset_len(v);
    default:
        return 1;
    }
}

void rdb_value_free(struct rdb_value *val)
{
    void *v = val->v;
    rs_free(val->owned);
    val->owned = NULL;
    val->v = NULL;
    if (v == NULL)
        return;
    switch (val->type) {
    case OBJ_LIST:
        list_free(v, ENC_RAW);
        break;
    case OBJ_SET:
        set_free(v);
        break;
    case OBJ_HASH:
        hash_free(v);
        break;
    case OBJ_ZSET:
        zset_free(v);
        break;
    default:
        stream_free(v);
        break;
    }
}

/* rdb_value_read from ld->r, a string value left in ld's buffers or the
 * input (out->str, out->owned NULL). */
static int read_value(struct loader *ld, int type, struct rdb_value *out)
{
    memset(out, 0, sizeof *out);
    out->enc = ENC_RAW;
    bool ok;
    switch (type) {
    case RDB_TYPE_STRING:
        out->type = OBJ_STRING;
        ok = rdb_get_str(&ld->r, &ld->bufs[BUF_VALUE], &out->str);
        break;
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        out->type = OBJ_LIST;
        ok = load_list(ld, type, (struct quicklist **)&out->v);
        break;
    case RDB_TYPE_SET:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_SET_LISTPACK:
    case RDB_TYPE_RESPITE_SET_TTL:
        out->type = OBJ_SET;
        ok = load_set(ld, type, (struct rset **)&out->v);
        break;
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_HASH_METADATA:
    case RDB_TYPE_HASH_LISTPACK_EX:
    case RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
        out->type = OBJ_HASH;
        out->enc = ENC_HASH;
        ok = load_hash(ld, type, (struct hash **)&out->v);
        break;
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
        out->type = OBJ_ZSET;
        ok = load_zset(ld, type, (struct rzset **)&out->v);
        break;
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
        out->type = OBJ_STREAM;
        ok = load_stream(ld, type, (struct stream **)&out->v);
        break;
    default:
        snprintf(ld->err, ld->errlen, "Unknown RDB type %d", type);
        return -1;
    }
    if (!ok) {
        rdb_value_free(out);
        snprintf(ld->err, ld->errlen, "Corrupt RDB value");
        return -1;
    }
    if (out->type != OBJ_STRING && value_size(out->type, out->v) == 0) {
        rdb_value_free(out);
        return 1;
    }
    return 0;
}

int rdb_value_read(struct store *st, struct rdb_reader *r, int type, struct rdb_value *out,
                   char *err, size_t errlen)
{
    struct loader ld = {.st = st, .r = *r, .now = store_now(st), .err = err, .errlen = errlen};
    int rc = read_value(&ld, type, out);
    *r = ld.r;
    out->nblobs = ld.nblobs;
    if (rc == 0 && out->type == OBJ_STRING && out->str.p == (char *)ld.bufs[BUF_VALUE].p) {
        out->owned = (char *)ld.bufs[BUF_VALUE].p; /* decoded: the buffer goes with it */
        ld.bufs[BUF_VALUE].p = NULL;
    }
    loader_free_bufs(&ld);
    return rc;
}

struct entry *rdb_value_entry(struct shard *sh, struct rs_str key, struct rdb_value *val)
{
    struct entry *e = val->type == OBJ_STRING
                          ? obj_new_string(sh, key, val->str)
                          : obj_new_ptr(sh, key, val->type, val->enc, val->v);
    rs_free(val->owned);
    val->owned = NULL;
    val->v = NULL;
    return e;
}

/* Read the value of type for key and add it to db unless expire is past;
 * false with err set when the value is malformed or of an unknown type. */
/* Load the value of key (type); expire: its deadline, -1 none; idle and
 * freq: its access clock (RDB_OPCODE_IDLE, _FREQ), -1 none, applied as the
 * policy says (ks_set_idle_or_freq). */
static bool load_key(struct loader *ld, struct db *db, int type, struct rs_str key,
                     int64_t expire, long long idle, int freq)
{
    struct shard *sh;
    struct entry *old = ks_get(db, key, &sh);
    if (old != NULL && !ld->merge)
        return fail(ld, "Duplicate key in the RDB file");
    if (old != NULL) {
        struct kloc loc;
        ks_locate(sh, old, &loc);
        ks_delete(&loc);
    }
    struct rdb_value val;
    int rc = read_value(ld, type, &val);
    if (rc < 0)
        return false;
    if (rc > 0)
        return true; /* empty, or every part of it past its deadline */
    if (expire != -1 && expire < ld->now) {
        rdb_value_free(&val);
        ld->nexpired++;
        return true;
    }
    sh = ks_shard(db, key, true);
    struct entry *e = rdb_value_entry(sh, key, &val);
    ks_add(db, sh, e);
    if (expire != -1)
        exp_set(sh, e, expire);
    ks_set_idle_or_freq(ld->st, e, idle, freq);
    ld->nloaded++;
    return true;
}

static bool load_body(struct loader *ld, const struct rdb_hooks *hooks)
{
    struct store *st = ld->st;
    struct rdb_reader *r = &ld->r;
    struct db *db = st->dbs[0];
    int64_t expire = -1;
    long long idle = -1;
    int freq = -1;
    for (;;) {
        int type = rdb_get_type(r);
        uint64_t a, b;
        switch (type) {
        case -1:
            return fail(ld, "Short read loading the RDB file");
        case RDB_OPCODE_EOF:
            return true;
        case RDB_OPCODE_EXPIRETIME_MS:
            if (!rdb_get_u64le(r, &a))
                return fail(ld, "Short read loading the RDB file");
            expire = (int64_t)a;
            continue;
        case RDB_OPCODE_EXPIRETIME: {
            uint32_t secs;
            if (!rdb_get_u32le(r, &secs))
                return fail(ld, "Short read loading the RDB file");
            expire = (int64_t)secs * 1000;
            continue;
        }
        case RDB_OPCODE_FREQ:
            if ((freq = rdb_get_type(r)) == -1)
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_IDLE:
            if (!rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            idle = a > LLONG_MAX ? LLONG_MAX : (long long)a;
            continue;
        case RDB_OPCODE_SELECTDB:
            if (!rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            if (a >= (uint64_t)st->ndbs) {
                snprintf(ld->err, ld->errlen,
                         "FATAL: Data file was created with a Redis server configured to "
                         "handle more than %d databases. Exiting",
                         st->ndbs);
                return false;
            }
            db = st->dbs[a];
            continue;
        case RDB_OPCODE_RESIZEDB:
            if (!rdb_get_len(r, &a) || !rdb_get_len(r, &b))
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_SLOT_INFO:
            if (!rdb_get_len(r, &a) || !rdb_get_len(r, &a) || !rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_AUX: {
            size_t n, vn;
            char *name = rdb_get_string(r, &n);
            char *value = name ? rdb_get_string(r, &vn) : NULL;
            /* the memory of the server that wrote the file (INFO's
             * loading_rdb_used_mem) */
            if (value && n == 8 && memcmp(name, "used-mem", 8) == 0)
                st->persist.load_rdb_used_mem = strtoull(value, NULL, 10);
            /* ours: a project's quotas (a malformed one is skipped, as an
             * aux field not understood) */
            if (value && n == strlen(KS_QUOTA_AUX) && memcmp(name, KS_QUOTA_AUX, n) == 0)
                ks_quota_load_aux(st, value, vn);
            rs_free(name);
            rs_free(value);
            if (value == NULL)
                return fail(ld, "Short read loading the RDB file");
            continue;
        }
        case RDB_OPCODE_FUNCTION2: {
            size_t n;
            char *code = rdb_get_string(r, &n);
            if (code == NULL)
                return fail(ld, "Short read loading the RDB file");
            bool ok = hooks && hooks->load_function &&
                      hooks->load_function(st, code, n, ld->merge, ld->err, ld->errlen);
            rs_free(code);
            if (!ok)
                return false;
            continue;
        }
        case RDB_OPCODE_FUNCTION_PRE_GA:
            return fail(ld, "Pre-release function format not supported");
        case RDB_OPCODE_MODULE_AUX:
            return fail(ld, "Module data in the RDB file: modules are not supported");
        default:
            break;
        }
        struct rs_str key;
        if (!rdb_get_str(r, &ld->bufs[BUF_KEY], &key))
            return fail(ld, "Short read loading the RDB file");
        if (!load_key(ld, db, type, key, expire, idle, freq))
            return false;
        expire = idle = -1;
        freq = -1;
        if (++ld->nkeys % RDB_PROGRESS_KEYS == 0 && hooks && hooks->progress &&
            !hooks->progress(st, (size_t)(r->p - ld->base), (size_t)(r->end - ld->base))) {
            ld->stopped = true;
            return false;
        }
    }
}

int rdb_load(struct store *st, const char *path, const struct rdb_hooks *hooks, bool merge,
             char *err, size_t errlen)
{
    return rdb_load_prefix(st, path, hooks, merge, err, errlen, NULL);
}

int rdb_load_prefix(struct store *st, const char *path, const struct rdb_hooks *hooks, bool merge,
                    char *err, size_t errlen, size_t *used)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "Fatal error loading the DB, check server logs. Exiting. (%s: %s)",
                 path, strerror(errno));
        return -1;
    }
    /* read whole into one buffer of the file's size (a file that grows
     * meanwhile is read to its end all the same) */
    struct rdb_buf data = {0};
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && sb.st_size > 0)
        rdb__grow(&data, (size_t)sb.st_size + 1);
    size_t n;
    do {
        if (data.len == data.cap)
            rdb__grow(&data, 65536);
        n = fread(data.p + data.len, 1, data.cap - data.len, f);
        data.len += n;
    } while (n > 0);
    bool read_ok = !ferror(f);
    fclose(f);
    struct loader ld = {.st = st, .now = store_now(st), .merge = merge, .err = err,
                        .errlen = errlen};
    ld.r.p = ld.base = data.p;
    ld.r.end = data.p + data.len;
    int version = 0;
    bool ok = read_ok;
    if (!ok)
        snprintf(err, errlen, "Error reading %s", path);
    if (ok && (data.len < 9 || memcmp(data.p, "REDIS", 5) != 0)) {
        ok = fail(&ld, "Wrong signature trying to load DB from file");
    } else if (ok) {
        for (int i = 5; i < 9; i++)
            version = version * 10 + (data.p[i] >= '0' && data.p[i] <= '9' ? data.p[i] - '0' : 99);
        if (version < 1 || version > RDB_VERSION) {
            snprintf(err, errlen, "Can't handle RDB format version %d", version);
            ok = false;
        }
    }
    if (ok) {
        ld.r.p += 9;
        ok = load_body(&ld, hooks);
    }
    if (ok && version >= 5) {
        const uint8_t *at = ld.r.p;
        uint64_t expected;
        if (!rdb_get_u64le(&ld.r, &expected)) {
            ok = fail(&ld, "Short read loading the RDB file");
        } else if (st->cfg.rdbchecksum && !st->skip_checksum && expected != 0 &&
                   crc64(0, data.p, (size_t)(at - data.p)) != expected) {
            ok = fail(&ld, "Wrong RDB checksum. Aborting now.");
        }
    }
    loader_free_bufs(&ld);
    if (used)
        *used = (size_t)(ld.r.p - data.p);
    if (ok) {
        st->persist.load_loaded = ld.nloaded;
        st->persist.load_expired = ld.nexpired;
    }
    rs_free(data.p);
    return ok ? 0 : ld.stopped ? 2 : -1;
}
