/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Entries: a key and its value in one allocation (layout in keyspace/state.h).
 * Strings are int-encoded when they are canonical integers, embedded after
 * the key otherwise, and moved to a separate growable buffer (ENC_RAW) the
 * first time they are modified in place. Every entry's bytes are accounted
 * to its shard and to the store.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "resp_num.h"
#include "keyspace/list.h"
#include "ds/stream.h"
#include "keyspace/set.h"
#include "ds/util.h"
#include "keyspace/zset.h"

#define HDR sizeof(struct entry)

static void account(struct shard *sh, size_t n, bool add)
{
    if (add) {
        sh->nbytes += n;
        sh->db->st->used_memory += n;
    } else {
        sh->nbytes -= n;
        sh->db->st->used_memory -= n;
    }
}

size_t obj_bytes(const struct entry *e)
{
    size_t n = HDR + e->klen + (e->enc == ENC_EMBSTR ? e->vlen : 8);
    if (e->type == OBJ_STRING && e->enc == ENC_RAW)
        n += sizeof(struct rstr) + ((struct rstr *)entry_ptr(e))->cap;
    else if (e->type == OBJ_HASH)
        n += hash_value_bytes(e);
    else if (e->type == OBJ_SET)
        n += set_value_bytes(e);
    else if (e->type == OBJ_ZSET)
        n += zset_bytes(entry_ptr(e));
    else if (e->type == OBJ_LIST)
        n += list_bytes(entry_ptr(e), e->enc);
    else if (e->type == OBJ_STREAM)
        n += stream_bytes(entry_ptr(e));
    return n;
}

/* An entry for key with room for extra value bytes, not yet accounted. */
static struct entry *alloc_entry(struct rs_str key, size_t extra, int type, int enc)
{
    struct entry *e = rs_malloc(HDR + key.len + extra);
    e->next = NULL;
    e->klen = (uint32_t)key.len;
    e->vlen = 0;
    e->exp_idx = EXP_NONE;
    e->lru = 0;
    e->type = type;
    e->enc = enc;
    if (key.len)
        memcpy(enc == ENC_EMBSTR ? e->data : e->data + 8, key.p, key.len);
    return e;
}

struct entry *obj_sub_entry(struct rs_str key, struct rs_str val)
{
    struct entry *e = alloc_entry(key, val.len, OBJ_STRING, ENC_EMBSTR);
    e->vlen = (uint32_t)val.len;
    if (val.len)
        memcpy(e->data + key.len, val.p, val.len);
    return e;
}

void obj_account_change(struct shard *sh, size_t before, size_t after)
{
    if (after >= before)
        account(sh, after - before, true);
    else
        account(sh, before - after, false);
}

struct entry *obj_new_int(struct shard *sh, struct rs_str key, int64_t v)
{
    struct entry *e = alloc_entry(key, 8, OBJ_STRING, ENC_INT);
    entry_set_int(e, v);
    account(sh, obj_bytes(e), true);
    return e;
}

struct entry *obj_new_string(struct shard *sh, struct rs_str key, struct rs_str val)
{
    long long v;
    if (val.len <= 20 && resp_str2ll(val.p, val.len, &v))
        return obj_new_int(sh, key, v);
    return obj_new_embstr(sh, key, val);
}

bool obj_set_string_inplace(struct entry *e, struct rs_str val)
{
    if (e->type != OBJ_STRING)
        return false;
    long long v;
    if (val.len <= 20 && resp_str2ll(val.p, val.len, &v)) {
        if (e->enc != ENC_INT)
            return false;
        entry_set_int(e, v);
        return true;
    }
    if (e->enc != ENC_EMBSTR || e->vlen != val.len)
        return false;
    memcpy(e->data + e->klen, val.p, val.len);
    return true;
}

struct entry *obj_new_embstr(struct shard *sh, struct rs_str key, struct rs_str val)
{
    struct entry *e = alloc_entry(key, val.len, OBJ_STRING, ENC_EMBSTR);
    e->vlen = (uint32_t)val.len;
    if (val.len)
        memcpy(e->data + key.len, val.p, val.len);
    account(sh, obj_bytes(e), true);
    return e;
}

static struct rstr *rstr_new(struct rs_str val, size_t cap)
{
    if (cap < val.len)
        cap = val.len;
    struct rstr *r = rs_malloc(sizeof *r + cap);
    r->len = val.len;
    r->cap = cap;
    if (val.len)
        memcpy(r->buf, val.p, val.len);
    return r;
}

struct entry *obj_new_raw(struct shard *sh, struct rs_str key, struct rs_str val, size_t cap)
{
    struct entry *e = alloc_entry(key, 8, OBJ_STRING, ENC_RAW);
    struct rstr *r = rstr_new(val, cap);
    memcpy(e->data, &r, sizeof r);
    account(sh, obj_bytes(e), true);
    return e;
}

struct entry *obj_new_ptr(struct shard *sh, struct rs_str key, enum obj_type type, int enc,
                          void *ptr)
{
    struct entry *e = alloc_entry(key, 8, type, enc);
    entry_set_ptr(e, ptr);
    if (type == OBJ_LIST) { /* a list built in a struct quicklist takes its form */
        struct quicklist view;
        list_put(e, list_get(e, &view), &view);
    } else if (type == OBJ_HASH && enc == ENC_HASH) { /* and a hash built in a struct hash */
        hash_put(e, ptr, NULL);
    } else if (type == OBJ_SET && enc == ENC_RAW) { /* and a set in a struct rset */
        set_put(e, ptr, NULL);
    }
    account(sh, obj_bytes(e), true);
    return e;
}

struct entry *obj_dup(struct shard *sh, struct rs_str key, const struct entry *e)
{
    char buf[RESP_LL_STR_SIZE];
    switch (e->type) {
    case OBJ_STRING:
        if (e->enc == ENC_INT)
            return obj_new_int(sh, key, entry_int(e));
        if (e->enc == ENC_RAW)
            return obj_new_raw(sh, key, obj_str(e, buf), 0);
        return obj_new_embstr(sh, key, obj_str(e, buf)); /* as it is: "3" too */
    case OBJ_HASH: {
        struct hash view;
        return obj_new_ptr(sh, key, OBJ_HASH, ENC_HASH, hash_dup(hash_of(e, &view)));
    }
    case OBJ_SET: {
        struct rset view;
        return obj_new_ptr(sh, key, OBJ_SET, ENC_RAW, set_dup(set_of(e, &view)));
    }
    case OBJ_ZSET:
        return obj_new_ptr(sh, key, OBJ_ZSET, e->enc, zset_dup(entry_ptr(e)));
    case OBJ_LIST:
        return obj_new_ptr(sh, key, OBJ_LIST, e->enc, list_dup(entry_ptr(e), e->enc));
    case OBJ_STREAM:
        return obj_new_ptr(sh, key, OBJ_STREAM, e->enc, stream_dup(entry_ptr(e)));
    default:
        abort(); /* no other type exists yet */
    }
}

struct entry *obj_rekey(struct shard *from, struct shard *to, struct rs_str key, struct entry *e)
{
    account(from, obj_bytes(e), false);
    if (key.len == e->klen && memcmp(entry_key(e), key.p, key.len) == 0) {
        account(to, obj_bytes(e), true);
        return e;
    }
    struct entry *n;
    if (e->enc == ENC_EMBSTR) {
        n = alloc_entry(key, e->vlen, e->type, ENC_EMBSTR);
        n->vlen = e->vlen;
        if (e->vlen)
            memcpy(n->data + key.len, e->data + e->klen, e->vlen);
    } else {
        n = alloc_entry(key, 8, e->type, e->enc);
        memcpy(n->data, e->data, 8); /* the value word: an int64 or the owned pointer */
    }
    n->lru = e->lru;
    account(to, obj_bytes(n), true);
    rs_free(e); /* the header only: the value now belongs to n */
    return n;
}

void obj_free(struct shard *sh, struct entry *e)
{
    account(sh, obj_bytes(e), false);
    if (e->type == OBJ_STRING && e->enc == ENC_RAW)
        rs_free(entry_ptr(e));
    else if (e->type == OBJ_HASH)
        hash_value_free(e);
    else if (e->type == OBJ_SET)
        set_value_free(e);
    else if (e->type == OBJ_ZSET)
        zset_free(entry_ptr(e));
    else if (e->type == OBJ_LIST)
        list_free(entry_ptr(e), e->enc);
    else if (e->type == OBJ_STREAM)
        stream_free(entry_ptr(e));
    rs_free(e);
}

uint64_t obj_free_effort(const struct entry *e)
{
    switch (e->type) {
    case OBJ_HASH:
    case OBJ_SET: { /* a table's fields or members, or one packed block */
        const struct table *t = obj_sub_table(e);
        return t ? tbl_count(t) : 1;
    }
    case OBJ_ZSET:
        return zset_free_effort(entry_ptr(e));
    case OBJ_LIST:
        return list_chunks(entry_ptr(e), e->enc);
    case OBJ_STREAM:
        return stream_free_effort(entry_ptr(e));
    default:
        return 1; /* a string is one or two blocks */
    }
}

size_t obj_disown(struct shard *sh, struct entry *e)
{
    size_t n = obj_bytes(e);
    sh->nbytes -= n;
    return n;
}

/* A field or a member: one block. */
static void free_sub_entry(void *ud, struct entry *f)
{
    (void)ud;
    rs_free(f);
}

bool obj_free_some(struct store *st, struct entry *e, size_t bytes, int64_t *work)
{
    bool done = true;
    switch (e->type) {
    case OBJ_HASH:
    case OBJ_SET: {
        /* The table's entries in slices, then the rest in one go (a pack is
         * one block whatever its size). The value is ours to free: the
         * const of obj_sub_table, a reader, does not hold here. */
        struct table *t = (struct table *)obj_sub_table(e);
        if (t && !tbl_free_some(t, work, free_sub_entry, NULL))
            return false;
        if (e->type == OBJ_HASH)
            hash_value_free(e);
        else
            set_value_free(e);
        (*work)--;
        break;
    }
    case OBJ_ZSET:
        done = zset_free_some(entry_ptr(e), work);
        break;
    case OBJ_LIST:
        done = list_free_some(entry_ptr(e), e->enc, work);
        break;
    case OBJ_STREAM:
        done = stream_free_some(entry_ptr(e), work);
        break;
    default:
        abort(); /* strings are never disowned: their effort is 1 */
    }
    if (done) {
        st->used_memory -= bytes;
        rs_free(e);
    }
    return done;
}

struct rs_str obj_str(const struct entry *e, char *buf)
{
    switch (e->enc) {
    case ENC_INT:
        return rs_str_from(buf, resp_ll2str(buf, entry_int(e)));
    case ENC_RAW: {
        const struct rstr *r = entry_ptr(e);
        return rs_str_from(r->buf, r->len);
    }
    default:
        return rs_str_from(e->data + e->klen, e->vlen);
    }
}

size_t obj_strlen(const struct entry *e)
{
    switch (e->enc) {
    case ENC_INT:
        return resp_ll_digits(entry_int(e));
    case ENC_RAW:
        return ((const struct rstr *)entry_ptr(e))->len;
    default:
        return e->vlen;
    }
}

struct rstr *obj_raw_reserve(struct kloc *loc, size_t need)
{
    struct entry *e = *loc->ref;
    if (e->enc == ENC_RAW) {
        struct rstr *r = entry_ptr(e);
        if (r->cap >= need)
            return r;
        /* Grow as sds does: double up to 1 MB, then by 1 MB. */
        size_t cap = need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
        account(loc->sh, r->cap, false);
        r = rs_realloc(r, sizeof *r + cap);
        r->cap = cap;
        account(loc->sh, r->cap, true);
        memcpy(e->data, &r, sizeof r);
        return r;
    }
    char buf[RESP_LL_STR_SIZE];
    struct rs_str key = rs_str_from(entry_key(e), e->klen);
    size_t cap = need > obj_strlen(e) ? need : obj_strlen(e);
    struct entry *n = obj_new_raw(loc->sh, key, obj_str(e, buf), cap);
    ks_reencode(loc, n);
    return entry_ptr(n);
}

/* A hash or a set kept as its pack alone: no field or member deadline,
 * hence no subttl (obj_sub_set_ttl stores a value that gets one as its
 * struct). */
static inline bool is_bare_pack(const struct entry *e)
{
    return e->enc == ENC_HASH_PACK || e->enc == ENC_SET_PACK;
}

struct subttl *obj_subttl(const struct entry *e)
{
    return is_bare_pack(e) ? NULL : *obj_subttl_slot(e);
}

struct subttl **obj_subttl_slot(const struct entry *e)
{
    assert(!is_bare_pack(e));
    return e->type == OBJ_HASH ? hash_subttl(entry_ptr(e)) : set_subttl(entry_ptr(e));
}

int64_t obj_sub_ttl(struct entry *e, struct rs_str name, bool *found)
{
    struct hash view;
    struct rset sview;
    return e->type == OBJ_HASH ? hash_field_ttl(hash_of(e, &view), name, found)
                               : set_member_ttl(set_of(e, &sview), name, found);
}

void obj_sub_set_ttl(struct store *st, struct entry *e, struct rs_str name, int64_t when)
{
    if (e->type == OBJ_HASH) {
        struct hash view, *h = hash_of(e, &view);
        hash_field_set_ttl(h, name, when);
        hash_put(e, h, &view);
    } else {
        struct rset view, *s = set_of(e, &view);
        set_member_set_ttl(st, s, name, when);
        set_put(e, s, &view);
    }
}

void obj_hash_make_ex(struct entry *e)
{
    struct hash view, *h = hash_of(e, &view);
    hash_make_ex(h);
    hash_put(e, h, &view);
}

bool obj_sub_persist(struct entry *e, struct rs_str name)
{
    struct hash view; /* a value kept as its pack has no TTL to lose */
    struct rset sview;
    return e->type == OBJ_HASH ? hash_field_persist(hash_of(e, &view), name)
                               : set_member_persist(set_of(e, &sview), name);
}

int64_t obj_sub_next(const struct entry *e)
{
    if (is_bare_pack(e))
        return -1;
    return e->type == OBJ_HASH ? hash_next_deadline(entry_ptr(e))
                               : set_next_deadline(entry_ptr(e));
}

uint64_t obj_sub_packed_due(const struct entry *e, int64_t now, bool remove)
{
    if (is_bare_pack(e))
        return 0; /* no deadline */
    return e->type == OBJ_HASH ? hash_packed_due(entry_ptr(e), now, remove)
                               : set_packed_due(entry_ptr(e), now, remove);
}

const struct pack *obj_sub_pack(const struct entry *e, uint32_t *per)
{
    if (e->type == OBJ_HASH) {
        struct hash view;
        const struct hash *h = hash_of(e, &view);
        *per = 3;
        return h->pk && h->per == 3 ? h->pk : NULL;
    }
    struct rset view;
    const struct rset *s = set_of(e, &view);
    *per = 2;
    return s->enc == SENC_LISTPACK && s->per == 2 ? s->lp : NULL;
}

void obj_sub_delete(struct entry *e, struct entry *f)
{
    if (e->type == OBJ_HASH)
        hash_sub_delete(entry_ptr(e), f); /* f is a table's field: a struct hash */
    else
        set_sub_delete(entry_ptr(e), f); /* f is a table's member: a struct rset */
}

bool obj_sub_remove(struct entry *e, struct rs_str name)
{
    if (e->type != OBJ_HASH) {
        struct rset view, *s = set_of(e, &view);
        bool removed = set_remove(s, name);
        set_put(e, s, &view);
        return removed;
    }
    struct hash view, *h = hash_of(e, &view);
    bool removed = hash_remove(h, name);
    hash_put(e, h, &view);
    return removed;
}

void obj_prefetch(const struct entry *e)
{
    /* The whole struct, whose fields every access reads (up to 128 bytes
     * for a zset or a stream; a hash or a set is one line); a list kept as
     * its chunk, that chunk's header and first elements. */
    if (e->enc == ENC_LIST_CHUNK)
        prefetch_span(entry_ptr(e), 128);
    else if (e->type != OBJ_STRING || e->enc == ENC_RAW)
        prefetch_span(entry_ptr(e), e->type == OBJ_LIST   ? sizeof(struct quicklist)
                                    : e->type == OBJ_HASH ? sizeof(struct hash)
                                    : e->type == OBJ_SET  ? sizeof(struct rset)
                                                          : 128);
}

void obj_prefetch_data(const struct entry *e, bool rest)
{
    switch (e->type) {
    case OBJ_HASH:
        if (e->enc == ENC_HASH_PACK)
            pack_prefetch(entry_ptr(e), rest);
        else
            hash_prefetch(entry_ptr(e), rest);
        break;
    case OBJ_SET:
        if (e->enc == ENC_SET_PACK)
            pack_prefetch(entry_ptr(e), rest);
        else
            set_prefetch(entry_ptr(e), rest);
        break;
    case OBJ_ZSET:
        zset_prefetch(entry_ptr(e), rest);
        break;
    case OBJ_LIST: { /* pushes and pops at the head are the common case */
        if (rest || e->enc == ENC_LIST_CHUNK) /* obj_prefetch loaded the chunk */
            break;
        const struct quicklist *ql = entry_ptr(e);
        if (ql->head) {
            __builtin_prefetch(ql->head);
            __builtin_prefetch((const char *)ql->head + 64);
        }
        break;
    }
    default:
        break;
    }
}

const struct table *obj_sub_table(const struct entry *e)
{
    if (e->type == OBJ_HASH)
        return e->enc == ENC_HASH_PACK ? NULL : hash_table(entry_ptr(e));
    return e->type == OBJ_SET && e->enc != ENC_SET_PACK ? set_table(entry_ptr(e)) : NULL;
}

const struct table *obj_member_table(const struct entry *e)
{
    return e->type == OBJ_ZSET ? zset_table(entry_ptr(e)) : obj_sub_table(e);
}

uint64_t obj_sub_count(const struct entry *e)
{
    if (is_bare_pack(e)) /* a field is 2 elements */
        return ((const struct pack *)entry_ptr(e))->n / (e->enc == ENC_HASH_PACK ? 2 : 1);
    return e->type == OBJ_HASH ? hash_size(entry_ptr(e)) : set_size(entry_ptr(e));
}

const char *obj_type_name(int type)
{
    static const char *const names[] = {"string", "list", "set", "zset", "hash", "stream"};
    return names[type];
}

const char *obj_enc_name(const struct entry *e)
{
    switch (e->type) {
    case OBJ_STRING:
        if (e->enc == ENC_INT)
            return "int";
        /* Redis embeds strings of up to 44 bytes (embstr); longer ones and
         * any string modified in place are "raw". */
        return e->enc == ENC_EMBSTR && e->vlen <= 44 ? "embstr" : "raw";
    case OBJ_HASH: {
        struct hash view;
        return hash_enc_name(hash_of(e, &view));
    }
    case OBJ_SET: {
        struct rset view;
        return set_enc_name(set_of(e, &view));
    }
    case OBJ_ZSET:
        return zset_enc_name(entry_ptr(e));
    case OBJ_LIST:
        return list_enc_name(entry_ptr(e), e->enc);
    case OBJ_STREAM:
        return "stream";
    default:
        return "unknown";
    }
}
