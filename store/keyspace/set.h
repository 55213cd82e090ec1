/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The set value (set.c): an intset while every member is an integer and
 * there are at most set-max-intset-entries of them, a packed array of
 * members ("listpack", "listpackex" with member TTLs) while small, else a
 * table of member entries ("hashtable"). entries.c frees, copies and
 * measures sets through these; the commands (commands/t_set.c) read and
 * write them.
 *
 * In its entry (e->enc) a set is one of:
 *
 *   ENC_SET_PACK  a set in listpack form with no member TTLs (most small
 *                 sets of names are): its pack alone, a struct pack,
 *                 where a struct rset beside it was 32 bytes more;
 *   ENC_RAW       a struct rset: an intset, a listpackex, a table, or a
 *                 set being built (loading, COPY, the STORE commands)
 *                 until obj_new_ptr stores it.
 *
 * Everything reads and changes both through a struct rset (set_of), and a
 * change is stored back (set_put) before anything else reads the entry.
 */
#ifndef T_SET_H
#define T_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "ds/entry.h"
#include "ds/pack.h"
#include "ds/table.h"
#include "resp.h"

struct intset;
struct store;
struct subttl;

enum set_enc { SENC_INTSET, SENC_LISTPACK, SENC_HT };

/* 32 bytes: one pointer for the form enc says, the table a block of its
 * own (tbl_new) that only sets past their small forms pay for. */
struct rset {
    union {
        struct intset *is; /* SENC_INTSET */
        struct pack *lp;   /* SENC_LISTPACK (pack.c) */
        struct table *ht;  /* SENC_HT */
    };
    struct subttl *ttl; /* NULL while no member has a deadline; else the
                         * deadlines of the table's members, and the set's
                         * registration in its shard in every form */
    size_t ht_members;  /* SENC_HT: bytes of the member entries */
    uint8_t enc;        /* enum set_enc */
    uint8_t per;        /* SENC_LISTPACK: elements a member, 1, or 2 for
                         * listpackex (member, deadline) */
};

_Static_assert(sizeof(struct rset) == 32, "a set is 32 bytes (jemalloc's class)");

/* The set of e (OBJ_SET): its struct rset, or *view made of its pack.
 * Valid until e changes; after changing it, set_put. O(1). */
static inline struct rset *set_of(const struct entry *e, struct rset *view)
{
    if (e->enc != ENC_SET_PACK)
        return entry_ptr(e);
    view->lp = entry_ptr(e);
    view->ttl = NULL;
    view->ht_members = 0;
    view->enc = SENC_LISTPACK;
    view->per = 1;
    return view;
}

/* Whether s is in the form an entry keeps as its pack alone. */
static inline bool set_is_plain_pack(const struct rset *s)
{
    return s->enc == SENC_LISTPACK && s->per == 1 && s->ttl == NULL;
}

/* set_put's changes of form: e takes view as a struct rset of its own, or
 * s, a struct rset of e's own, as its pack alone. */
void set_put_own(struct entry *e, const struct rset *view);
void set_put_pack(struct entry *e, struct rset *s);

/* Store s, set_of(e, view)'s after a change or a struct rset e takes
 * (view NULL: obj_new_ptr), back in e in its form: a packed set with no
 * member TTLs as its pack alone (a struct rset of its own is freed), else
 * as a struct rset (made here from view). O(1). */
static inline void set_put(struct entry *e, struct rset *s, const struct rset *view)
{
    if (s == view) {
        if (set_is_plain_pack(s))
            entry_set_ptr(e, s->lp); /* the pack may have moved */
        else
            set_put_own(e, view);
    } else if (set_is_plain_pack(s)) {
        set_put_pack(e, s);
    }
}

/* Free the set value of e (of either form). */
void set_value_free(struct entry *e);

/* Free a set and its members. */
void set_free(struct rset *s);
/* A deep copy (COPY). */
struct rset *set_dup(const struct rset *s);
/* Allocated bytes of the set, members included. */
size_t set_bytes(const struct rset *s);
/* Allocated bytes of the set value of e, members included. */
static inline size_t set_value_bytes(const struct entry *e)
{
    return e->enc == ENC_SET_PACK ? pack_bytes(entry_ptr(e)) : set_bytes(entry_ptr(e));
}
/* OBJECT ENCODING's name: "intset", "listpack", "listpackex" or "hashtable". */
const char *set_enc_name(const struct rset *s);
/* The obj_subttl, obj_sub_ttl, obj_sub_set_ttl, obj_sub_persist,
 * obj_sub_next, obj_sub_packed_due, obj_sub_delete and obj_sub_count of a
 * set. */
struct subttl **set_subttl(struct rset *s);
int64_t set_member_ttl(struct rset *s, struct rs_str m, bool *found);
void set_member_set_ttl(struct store *st, struct rset *s, struct rs_str m, int64_t when);
bool set_member_persist(struct rset *s, struct rs_str m);
int64_t set_next_deadline(const struct rset *s);
uint64_t set_packed_due(struct rset *s, int64_t now, bool remove);
void set_sub_delete(struct rset *s, struct entry *m);
uint64_t set_size(const struct rset *s);
/* The table of a set in table form, NULL otherwise. */
const struct table *set_table(const struct rset *s);
/* Start loading the first line of a set in packed or intset form, or
 * with rest (once it is loaded) the others of a packed one (CPU
 * prefetches, pack_prefetch). */
void set_prefetch(const struct rset *s, bool rest);
/* Delete member m and its TTL; returns whether it was there. */
bool set_remove(struct rset *s, struct rs_str m);
/* Redis's setTypeCreate: the encoding of a new set whose first member is
 * first and which is about to receive size_hint members. */
struct rset *set_new(struct store *st, struct rs_str first, size_t size_hint);
/* Redis's rdbLoadObject for a set of n members loaded one by one, the first
 * first: a table when they pass set-max-intset-entries, whatever they are
 * (so even when a listpack would hold them), else set_new's choice. */
struct rset *set_new_loaded(struct store *st, struct rs_str first, uint64_t n);
/* An empty set in listpack form, whatever its members will be: a listpack
 * payload stays one, integers or not, as Redis's rdbLoadObject. */
struct rset *set_new_pack(void);
/* Add m; returns whether it was new. Converts as Redis's setTypeAdd. */
bool set_add(struct store *st, struct rset *s, struct rs_str m);
/* Redis's setTypeMaybeConvert: before adding size_hint members, go to a
 * hash table at once when they could not fit the current encoding. */
void set_maybe_convert(struct store *st, struct rset *s, size_t size_hint);
/* A set of the n integers v, ascending and each once: an intset, or NULL
 * when they are too many for one (the caller adds them with set_add).
 * O(n). */
struct rset *set_new_ints(struct store *st, const int64_t *v, uint64_t n);
/* A packed s (without deadlines) is about to receive n members, none
 * there yet nor repeated, the longest of longest bytes, taking bytes
 * packed (pack_elem_bytes each): whether they keep it packed (set_add's
 * limits), with room made for them at once for set_add_reserved (RDB
 * loading). O(1). */
bool set_reserve_packed(struct store *st, struct rset *s, uint64_t n, size_t longest,
                        size_t bytes);
/* Append m, one of the members set_reserve_packed made room for, without
 * a search. O(1). */
void set_add_reserved(struct rset *s, struct rs_str m);
/* A visit of one member: false ends the walk. */
typedef bool member_fn(void *ud, struct rs_str m);
/* Visit the members until fn says to stop; integers are formatted into a
 * local buffer. A table is paused meanwhile (tbl_iter), so fn may probe
 * the same set. */
void set_foreach(struct rset *s, member_fn *fn, void *ud);
bool set_contains(struct rset *s, struct rs_str m);

#endif
