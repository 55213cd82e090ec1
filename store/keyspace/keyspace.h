/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the keyspace layer promises the layers above it: routing keys to
 * project shards, lookups with lazy expiry, insertion, deletion, key and
 * sub-key TTLs (expire.c), the entries themselves (entries.c), and the
 * hooks that tell WATCH and blocked clients of a change. The values of
 * hashes, sets and lists have their own headers (hash.h, set.h, list.h).
 * Used by every command file.
 */
#ifndef KEYSPACE_H
#define KEYSPACE_H

#include "keyspace/state.h"
#include "ds/table.h"

/* Where a key is: its shard and the table slot that points to its entry.
 * Valid until the next operation on that shard. */
struct kloc {
    struct shard *sh;
    struct entry **ref;
};

/* ---- entries (entries.c) ------------------------------------------------ */

/* A string entry for key/val: int-encoded when val is a canonical int64 of
 * at most 20 characters, else embedded. Accounted to sh. */
struct entry *obj_new_string(struct shard *sh, struct rs_str key, struct rs_str val);
/* A string entry embedded as bytes even if it reads as an integer
 * (INCRBYFLOAT's results, as Redis never int-encodes them). */
struct entry *obj_new_embstr(struct shard *sh, struct rs_str key, struct rs_str val);
/* Overwrite the value of e with val when the result has exactly the
 * entry's current encoding and size (the common SET of a value of the same
 * length): no allocation, same accounting. False leaves e untouched. */
bool obj_set_string_inplace(struct entry *e, struct rs_str val);
/* An entry key -> val (embedded) that is not a key of the keyspace but an
 * element inside a value (a hash field, a set member with an empty val):
 * not accounted to any shard, its container accounts for it. */
struct entry *obj_sub_entry(struct rs_str key, struct rs_str val);
/* A string entry stored as an integer. */
struct entry *obj_new_int(struct shard *sh, struct rs_str key, int64_t v);
/* A string entry whose value is a growable buffer of capacity >= cap holding
 * val (APPEND, SETRANGE). */
struct entry *obj_new_raw(struct shard *sh, struct rs_str key, struct rs_str val, size_t cap);
/* An entry of any type whose value word is ptr (owned by the entry). */
struct entry *obj_new_ptr(struct shard *sh, struct rs_str key, enum obj_type type, int enc,
                          void *ptr);
/* A copy of e (same type and encoding, value duplicated) under another key,
 * for COPY. */
struct entry *obj_dup(struct shard *sh, struct rs_str key, const struct entry *e);
/* The entry for key in shard `to` holding e's value, for RENAME and MOVE:
 * the value moves, it is not copied (O(1), but the bytes of an embedded
 * string are copied with the header). e, out of table and heap and
 * accounted to `from`, is freed -- or returned itself, re-accounted to `to`,
 * when key is already its key. */
struct entry *obj_rekey(struct shard *from, struct shard *to, struct rs_str key, struct entry *e);
/* Free e and its value; the entry must already be out of table and heap. */
void obj_free(struct shard *sh, struct entry *e);
/* How much work freeing e's value takes, in obj_free_some's units: its
 * fields, members, list chunks or stream nodes and pending entries; 1 for
 * a value in one or two blocks (strings, packed forms). As Redis's
 * lazyfreeGetFreeEffort, so the same values go to the background. */
uint64_t obj_free_effort(const struct entry *e);
/* e, out of table and heap, leaves sh's accounting (PROJECT INFO's bytes)
 * but stays in the store's used_memory until obj_free_some frees it: its
 * value is freed in the background. Returns its bytes, for obj_free_some. */
size_t obj_disown(struct shard *sh, struct entry *e);
/* Free a slice of the disowned e (a hash, set, list or stream) worth about
 * *work units (obj_free_effort), taking them off *work. Returns true once
 * e is freed, and its bytes (obj_disown's) are off used_memory; false to be
 * called again. */
bool obj_free_some(struct store *st, struct entry *e, size_t bytes, int64_t *work);
/* e's value changed size in place from before to after bytes (obj_bytes
 * measured around the change): account the difference to sh. */
void obj_account_change(struct shard *sh, size_t before, size_t after);
/* Bytes e accounts for. */
size_t obj_bytes(const struct entry *e);

/* The string value of a string entry. Int-encoded values are formatted into
 * buf (RESP_LL_STR_SIZE bytes), so the slice is valid while buf and e are. */
struct rs_str obj_str(const struct entry *e, char *buf);
/* Its length without formatting. */
size_t obj_strlen(const struct entry *e);
/* Grow e's string value for in-place writes: makes it ENC_RAW with room for
 * at least need bytes; may move the entry (the table slot at loc is
 * updated, nobody is told: ks_reencode). Returns the rstr. */
struct rstr *obj_raw_reserve(struct kloc *loc, size_t need);

/* Containers with sub-keys (hashes, sets; e must be one): the
 * container's subttl, NULL while no sub-key has a deadline. */
struct subttl *obj_subttl(const struct entry *e);
/* Where the container keeps its subttl, to set or clear it: e must not
 * be kept as its pack alone (ENC_HASH_PACK, ENC_SET_PACK), which has no
 * deadline and no slot -- a container whose obj_sub_next is not -1, or
 * whose obj_subttl is not NULL, is not. */
struct subttl **obj_subttl_slot(const struct entry *e);
/* The deadline of name in container e, -1 if none; *found says whether
 * name is there. */
int64_t obj_sub_ttl(struct entry *e, struct rs_str name, bool *found);
/* Give name, which container e holds, the deadline when (the container
 * takes the form that can hold it). */
void obj_sub_set_ttl(struct store *st, struct entry *e, struct rs_str name, int64_t when);
/* Hash e, if packed, takes the form that holds deadlines (listpackex):
 * HEXPIRE's family does so before it looks at the fields, as Redis 7.4's
 * hashTypeSetExInit, so even when no field gets a deadline. */
void obj_hash_make_ex(struct entry *e);
/* Remove name's deadline; whether it had one. */
bool obj_sub_persist(struct entry *e, struct rs_str name);
/* The earliest deadline of a sub-key of e, -1 if none: O(1) for a table,
 * O(n) for a packed container. */
int64_t obj_sub_next(const struct entry *e);
/* How many sub-keys of a packed container e are due at now, deleting them
 * when remove is set; 0 for a table, whose due ones are in its subttl. O(n). */
uint64_t obj_sub_packed_due(const struct entry *e, int64_t now, bool remove);
/* The pack of container e in its packed form with deadlines (pack.h's
 * listpackex, *per elements an entry, the name first), NULL in any other
 * form. Borrowed until e changes. */
const struct pack *obj_sub_pack(const struct entry *e, uint32_t *per);
/* Unlink the sub-entry f (without a deadline) from container e, free it. */
void obj_sub_delete(struct entry *e, struct entry *f);
/* Delete name, and its deadline, from container e; whether it was there. */
bool obj_sub_remove(struct entry *e, struct rs_str name);
/* Start loading e's value when it is apart from the entry (a CPU
 * prefetch); obj_prefetch_data, once that is loaded, what the value holds
 * first (a packed hash's or set's first bytes, a list's head chunk), and
 * with rest, once those are loaded, the rest of a packed hash or set. */
void obj_prefetch(const struct entry *e);
void obj_prefetch_data(const struct entry *e, bool rest);
/* The table of fields or members of e, a hash or set in table form; NULL
 * for any other value. */
const struct table *obj_sub_table(const struct entry *e);
/* The table a lookup of a field or member of e goes through:
 * obj_sub_table's, or a sorted set's in its large form; NULL if none. */
const struct table *obj_member_table(const struct entry *e);
/* The number of fields or members of container e. */
uint64_t obj_sub_count(const struct entry *e);

const char *obj_type_name(int type);
const char *obj_enc_name(const struct entry *e);

/* ---- routing and lookups (keyspace.c) ----------------------------------- */

/* The project id of a key ("project:<id>:..." or "project:{<id>}:..."),
 * or false for a key of the global shard. */
bool ks_project_id(struct rs_str key, struct rs_str *id);
/* Is key (klen bytes) a key of project id? */
static inline bool ks_key_in_project(const char *key, size_t klen, struct rs_str id)
{
    struct rs_str kid;
    return ks_project_id(rs_str_from(key, klen), &kid) && rs_str_eq(kid, id);
}

/* The shard key's entry is (or would be) accounted to in db: its
 * project's shard, the global shard, or for a project of one key (struct
 * tiny) the db's shard `small`. With create, a missing project is made (a
 * one-key one), and a one-key project that holds another key than key
 * becomes a shard: the caller is about to add key. That moves the key it
 * held, so a kloc into it is stale after (as after any insert into a
 * shard). NULL for a missing project without create. O(1): the place last
 * found (ks_route_remember) is checked first. */
struct shard *ks_shard(struct db *db, struct rs_str key, bool create);

/* Make place (a project of db, or a shard), found while the maps were at
 * generation gen (st->pmap_gen), the first that the next ks_shard checks
 * (a batch's prefetch found it for the command about to run). It is used
 * only if no map changed since (it may be gone) and it is the key's. */
void ks_route_remember(struct store *st, struct db *db, uintptr_t place, uint64_t gen);

/* A key's place, guessed in two steps for a batch of keys whose cache
 * misses overlap when each step runs for all of them before the next:
 * ks_route_begin parses key and starts loading its project map slot;
 * ks_route_guess returns the place (a project's, or the global shard)
 * that the first slot with bits of the id's hash holds, most likely the
 * project's, and starts loading it (0 if there is none, or if a map
 * changed since ks_route_begin: the guess is a live place). A guess is for
 * prefetching and for ks_route_remember, which has the command check it
 * against its key. key borrows until ks_route_guess. O(1); nothing
 * changes. */
void ks_route_begin(struct ks_route *r, struct db *db, struct rs_str key);
uintptr_t ks_route_guess(const struct ks_route *r);
/* Where the lookup of a key in the guessed place goes next: the place's
 * table (NULL if it has no keys), or for a one-key project NULL and in
 * *one its key's entry (NULL if none; it may be another project's: for
 * prefetching only). */
const struct table *ks_route_table(uintptr_t place, const struct entry **one);

/* Count a command in the project of key (PROJECT INFO's commands). */
void ks_count_command(struct db *db, struct rs_str key);

/* Find key in db for a read: deletes it first if expired, counts a keyspace
 * hit or miss, updates the access time unless CLIENT NO-TOUCH. loc may be
 * NULL. Returns NULL if absent. O(1). */
struct entry *ks_read(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc);
/* The same for a write (no hit/miss stats). */
struct entry *ks_write(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc);
/* Without side effects except lazy expiry (TYPE, EXISTS, TTL use ks_read). */
struct entry *ks_peek(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc);
/* The entry of key in db as it physically is (no lazy expiry, no rehash
 * step: callers may hold klocs), and in *sh the shard it is accounted to;
 * NULL if absent. */
struct entry *ks_get(struct db *db, struct rs_str key, struct shard **sh);
/* Where e, a key accounted to sh (met in sh's expiry heaps), is. */
void ks_locate(struct shard *sh, struct entry *e, struct kloc *loc);

/* ks_read, and if the key holds another type, reply WRONGTYPE and set
 * *wrong. */
struct entry *ks_read_type(struct cmd_ctx *c, struct rs_str key, int type, struct kloc *loc,
                           bool *wrong);
struct entry *ks_write_type(struct cmd_ctx *c, struct rs_str key, int type, struct kloc *loc,
                            bool *wrong);

/* Add e (whose key is absent) to db; the shard is created if needed and
 * must be the one e was accounted to (ks_shard(db, key, true)). e's access
 * clock starts (ks_access_init). */
void ks_add(struct db *db, struct shard *sh, struct entry *e);
/* ks_add without telling WATCH and tracking (ks_touch), as Redis's dbAdd
 * that no signalModifiedKey follows: for a command that creates its key
 * and may then report no change (a BITFIELD whose writes all failed). The
 * caller calls ks_touch itself when it changes the value. */
void ks_add_untouched(struct db *db, struct shard *sh, struct entry *e);
/* Replace the entry at loc by e (same key), keeping its TTL unless
 * keep_ttl is false; frees the old entry. e is accessed now (its LRU
 * clock), or under an LFU policy keeps the old entry's counter. */
void ks_replace(struct kloc *loc, struct entry *e, bool keep_ttl);
/* Replace the entry at loc by e, the same value in another encoding (a
 * string made a growable buffer), keeping TTL and access time; nobody is
 * told, as Redis's dbReplaceValue: the value did not change. */
void ks_reencode(struct kloc *loc, struct entry *e);
/* Set key to e: replaces an existing key (dropping its TTL) or adds it. */
void ks_set(struct cmd_ctx *c, struct db *db, struct rs_str key, struct entry *e);
/* The value of the hash or set at loc changed in place, and had `before`
 * bytes (obj_bytes) before: account the difference, keep the shard's
 * index of sub-key deadlines in step, and delete the key if the value is
 * now empty. Returns whether the key was deleted. */
bool ks_value_changed(struct kloc *loc, size_t before);
/* The key at loc is past its deadline: delete it as lazyfree-lazy-expire
 * says, count it in expired_keys and publish its `expired` event. Lazy
 * and active expiry both reclaim keys through it. */
void ks_expire(struct kloc *loc);
/* Delete the entry at loc (table, expiry, memory): a deletion the server
 * does on its own (an overwrite, a destination emptied), whose big value
 * is freed in the background under lazyfree-lazy-server-del. */
void ks_delete(struct kloc *loc);
/* Delete the entry at loc; with lazy, a big value (obj_free_effort over
 * 64, as Redis) leaves its shard's accounting at once and is freed in
 * slices by respite_tick (ks_free_garbage); it stays in used_memory, and in
 * INFO's lazyfree_pending_objects, until freed. O(1) when lazy; when no
 * respite_tick ran in the last 2 s, the value is freed at once. */
void ks_delete_lazy(struct kloc *loc, bool lazy);
/* Take the entry at loc out of its table and expiry heap (its TTL is
 * dropped) without freeing it: RENAME and MOVE hand it to obj_rekey. It
 * stays accounted to loc->sh. O(1) + O(log n) with a TTL. */
struct entry *ks_take(struct kloc *loc);
/* Delete key if present (lazy as ks_delete_lazy); returns whether it was. */
bool ks_delete_key(struct cmd_ctx *c, struct db *db, struct rs_str key, bool lazy);

/* Count n changes of the dataset (Redis's server.dirty), which
 * rdb_changes_since_last_save reports and the save points compare: a
 * command calls it where Redis 7.4 adds to server.dirty -- once per key
 * written for most, the elements added or removed for SADD, SREM, HSET,
 * HDEL, LPUSH, ZADD, ZREM, DEL..., nothing when it changed nothing.
 * Expiries do not count (7.4 counts none). */
static inline void ks_dirty(struct store *st, uint64_t n)
{
    st->persist.dirty += n;
    st->persist.changes += n;
}

/* The WATCH and tracking hook (commands/multi.c, commands/tracking.c, through st->up): key of db was changed -- added, deleted,
 * overwritten, changed in place or given or stripped of a TTL -- so the
 * EXEC of every client watching it fails. ks_add, ks_replace and ks_take
 * call it; a command that changes a value or a TTL in place calls it itself,
 * exactly when Redis calls signalModifiedKey (not when it did nothing: SADD
 * of a present member, SET NX of a present key). One predictable branch when
 * no client watches a key and none tracks one (st->ntracked). */
static inline void ks_touch(struct db *db, struct rs_str key)
{
    if (__builtin_expect((db->st->watched.n | db->st->ntracked) != 0, 0))
        db->st->up.touch(db, key.p, key.len);
}
/* The same for the key of the entry at loc. */
static inline void ks_touch_loc(const struct kloc *loc)
{
    if (__builtin_expect((loc->sh->db->st->watched.n | loc->sh->db->st->ntracked) != 0, 0))
        loc->sh->db->st->up.touch(loc->sh->db, entry_key(*loc->ref), (*loc->ref)->klen);
}
/* db is about to be emptied (FLUSHDB, FLUSHALL) or, for SWAPDB, replaced by
 * the contents of replaced_with: touch its watched keys that exist in
 * either (Redis touchAllWatchedKeysInDb). */
static inline void ks_touch_db(struct db *db, struct db *replaced_with)
{
    if (db->st->watched.n != 0)
        db->st->up.touch_db(db, replaced_with);
}

/* The blocked-clients hook (commands/block.c, through st->up): key of db was created, replaced or
 * (for XADD, XGROUP DESTROY) changed so that a client blocked on it may now
 * be served; ks_add and ks_replace call it. ks_signal_deleted: it was
 * deleted (ks_take calls it), which only XREADGROUP waiters hear of. Clients
 * are served after the command. One predictable branch when none is
 * blocked. */
static inline void ks_signal(struct db *db, struct rs_str key)
{
    if (__builtin_expect(db->st->blocking.n != 0, 0))
        db->st->up.signal(db, key.p, key.len, false);
}
static inline void ks_signal_deleted(struct db *db, struct rs_str key)
{
    if (__builtin_expect(db->st->blocking.n != 0, 0))
        db->st->up.signal(db, key.p, key.len, true);
}
/* Both hooks of a key added, replaced or changed so that a waiter may be
 * served: its watchers' EXEC fails and its waiters are woken. */
static inline void ks_changed(struct db *db, struct rs_str key)
{
    ks_touch(db, key);
    ks_signal(db, key);
}
/* Every key of db may have changed (FLUSHDB, FLUSHALL, SWAPDB). */
static inline void ks_signal_db(struct db *db)
{
    if (db->st->blocking.n != 0)
        db->st->up.signal_db(db);
}

/* ---- keyspace notifications (notify.c) ---------------------------------- */

/* Publish event (of class type, one NOTIFY_* bit) about key of db, as
 * Redis's notifyKeyspaceEvent: on __keyspace@<db>__:<key> with the event
 * as message (class K), then on __keyevent@<db>__:<event> with the key
 * (class E), if notify-keyspace-events has type's class. A command calls
 * it where Redis 7.4 does, after the change. One predictable branch while
 * notifications are off; on, the channels are built on the stack for keys
 * of up to 200 bytes and no allocation is made per event. */
void ks__notify(struct db *db, int type, const char *event, struct rs_str key);
static inline void ks_notify(struct db *db, int type, const char *event, struct rs_str key)
{
    if (__builtin_expect((db->st->cfg.notify_mask & type) != 0, 0))
        ks__notify(db, type, event, key);
}
/* The same for the key of the entry e. */
static inline void ks_notify_entry(struct db *db, int type, const char *event,
                                   const struct entry *e)
{
    if (__builtin_expect((db->st->cfg.notify_mask & type) != 0, 0))
        ks__notify(db, type, event, rs_str_from(entry_key(e), e->klen));
}
/* notify-keyspace-events as Redis parses it: the NOTIFY_* bits of the
 * class letters of s ("KEA", "Ex"...), or -1 for a character that names
 * no class. */
int ks_notify_parse(const char *s);
/* flags as Redis prints them into buf (at least 16 bytes): A for all of
 * NOTIFY_ALL, else the letters g$lshzxetdn in that order, then K E m. */
void ks_notify_format(int flags, char *buf);
/* The mask ks_notify tests for configured flags: 0 without K and E. */
static inline int ks_notify_mask(int flags)
{
    return flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) ? flags : 0;
}

/* Free project shards left empty by the last command (called after each
 * command: a shard is never freed while a command may hold a kloc in it). */
void ks_reap_empty(struct store *st);

/* Bits of a shard's seq in a SCAN cursor (keys.c): a db renumbers its
 * shards 1..n before a seq would need more. */
#define KS_SEQ_BITS 24

/* Keys in db (all shards). O(1): a count kept as keys come and go. */
uint64_t ks_db_size(const struct db *db);
/* Keys of db with a TTL, or with sub (INFO's subexpiry) hashes and sets
 * with TTLs on some of their fields or members. O(1) as ks_db_size. */
uint64_t ks_db_expires(const struct db *db, bool sub);
/* INFO keyspace's avg_ttl: the mean of db's keys' remaining TTLs at now, in
 * milliseconds (0 without any, or when the mean deadline has passed). O(1):
 * Redis estimates it by sampling in its expiry cycle, 0 until the first. */
uint64_t ks_db_avg_ttl(const struct db *db, int64_t now);
/* A project (or the global shard) of a db as the walks and PROJECT see
 * it: a shard, or a one-key project. Valid until the command ends (a db
 * frees its empty projects after one, ks_reap_empty) or the project gets a
 * second key. */
struct ks_proj {
    struct shard *sh; /* its shard; for a one-key project its db's `small` */
    struct tiny *one; /* the one-key project, or NULL */
};
/* The project holding the x-th key of db in its projects' order (x below
 * ks_db_size: RANDOMKEY draws it uniformly, so each key is exactly equally
 * likely; reduced modulo the size past it); false if db has no key. O(log
 * projects), after O(log projects) for each project whose key count changed
 * since the last call. */
bool ks_random_project(struct db *db, uint64_t x, struct ks_proj *p);
/* Empty a database; async moves its shards to the garbage list (O(1) a
 * shard), as long as respite_tick runs (see ks_delete_lazy). */
void ks_flush_db(struct store *st, struct db *db, bool async);
/* PROJECT DROP in db: every key of project id leaves db at once, and
 * leaves its indexes (map and order array, RANDOMKEY's tree, the heaps of
 * key and sub-key deadlines, the counts of DBSIZE and INFO); the project
 * stays as an emptied one. Its shard goes to the garbage list and is
 * freed in slices, as a FLUSHALL ASYNC's (at once when respite_tick does
 * not run); a one-key project's key is deleted as by UNLINK. O(1) but for
 * that key's hooks: WATCH, tracking and blocked clients are the caller's
 * (commands/project.c). Returns the keys dropped. */
uint64_t ks_project_drop(struct db *db, struct rs_str id);
/* Free queued values and garbage shards for about budget_us, in slices of
 * a thousand or so frees. Returns 1 if some is left. */
int ks_free_garbage(struct store *st, int64_t budget_us);
/* Visit every project of db by seq, the global shard first if global.
 * O(projects): for walks of the keys and lists, never for timers or
 * counters. */
void ks_foreach_project(struct db *db, bool global, void (*fn)(void *ud, const struct ks_proj *p),
                        void *ud);
/* The project of id in db (an empty one included); false if none. */
bool ks_project(struct db *db, struct rs_str id, struct ks_proj *p);
/* The project of db with the smallest seq >= seq (>= 1); false if none.
 * O(log projects). */
bool ks_project_from_seq(struct db *db, uint64_t seq, struct ks_proj *p);
/* A project's id, seq (0 for the global shard) and counters: keys, bytes
 * (of its keys and values), keys with a TTL, commands. O(1). */
struct rs_str ks_proj_id(const struct ks_proj *p);
uint32_t ks_proj_seq(const struct ks_proj *p);
uint64_t ks_proj_keys(const struct ks_proj *p);
uint64_t ks_proj_bytes(const struct ks_proj *p);
uint64_t ks_proj_expiring(const struct ks_proj *p);
uint64_t ks_proj_commands(const struct ks_proj *p);
/* The walks of a project's keys, as tbl_foreach, tbl_scan and tbl_random
 * over its table (a one-key project's scan visits its key at cursor 0 and
 * ends). */
void ks_proj_foreach(const struct ks_proj *p, void (*fn)(void *ud, struct entry *e), void *ud);
/* And as tbl_walk: for a walk that changes nothing (a save). */
void ks_proj_walk(const struct ks_proj *p, void (*fn)(void *ud, struct entry *e), void *ud);
uint64_t ks_proj_scan(const struct ks_proj *p, uint64_t cursor,
                      void (*fn)(void *ud, struct entry *e), void *ud);
struct entry *ks_proj_random(const struct ks_proj *p, struct rng *g);
/* Up to n of a project's keys met together (tbl_sample; a one-key project
 * gives its key): eviction's cheap samples. */
unsigned ks_proj_sample(const struct ks_proj *p, struct rng *g, struct entry **out, unsigned n);
/* Advance the rehash of the shards' tables for about budget_us; only the
 * shards whose table rehashes are visited. 1 if more is left. */
int ks_rehash_step(struct store *st, int64_t budget_us);

struct db *db_new(struct store *st, int idx);
void db_free(struct store *st, struct db *db);

/* ---- project quotas (quota.c) -------------------------------------------- */

/* The quotas of project id, NULL if it has none. O(1). */
struct ks_quota *ks_quota_find(const struct store *st, struct rs_str id);
/* Set project id's quotas (0 no limit); all three 0 removes its record.
 * Returns the record, NULL once removed. A record removed or replaced
 * invalidates pointers to it. O(1) amortised. */
struct ks_quota *ks_quota_set(struct store *st, struct rs_str id, uint64_t maxmemory,
                              uint64_t maxkeys, uint64_t maxops);
/* Remove every quota (a load that replaces the dataset; the store's
 * close). */
void ks_quota_clear(struct store *st);
/* Visit every quota record, in no particular order. fn must not add or
 * remove records. O(records). */
void ks_quota_foreach(const struct store *st, void (*fn)(void *ud, struct ks_quota *q), void *ud);
/* The RDB aux field of a quota record (rdb_save.c, rdb_load.c): named
 * KS_QUOTA_AUX, valued "<maxmemory> <maxkeys> <maxops> <id>" (the id's
 * bytes to the end). ks_quota_aux writes q's value into buf: its length, 0
 * if size is too small (idlen + 64 bytes always fit).
 * ks_quota_load_aux sets the quota a value gives; false for a malformed
 * one (then nothing is set). */
#define KS_QUOTA_AUX "respite-quota"
size_t ks_quota_aux(const struct ks_quota *q, char *buf, size_t size);
bool ks_quota_load_aux(struct store *st, const char *v, size_t n);
/* Keys and bytes (of keys and values) of project id in every database.
 * O(databases). */
void ks_quota_usage(struct store *st, struct rs_str id, uint64_t *keys, uint64_t *bytes);

/* ---- maxmemory: access clocks and eviction (evict.c) ---------------------- */

/* Record an access to e for the eviction policy: the LRU clock, or under
 * an LFU policy the counter's decay and logarithmic increment (a random
 * draw). One predictable branch and a store for LRU. */
void ks__lfu_touch(struct store *st, struct entry *e);
static inline void ks_access(struct store *st, struct entry *e)
{
    if (__builtin_expect(MM_HOW(st->cfg.maxmemory_policy) == MM_LFU, 0))
        ks__lfu_touch(st, e);
    else
        e->lru = store_lru(st);
}
/* The access clock of a new key: now, or an LFU counter at its start. */
void ks_access_init(const struct store *st, struct entry *e);
/* Milliseconds since e's last access (second resolution), as Redis's
 * estimateObjectIdleTime; meaningful under the LRU policies. */
uint64_t ks_idle_ms(const struct store *st, const struct entry *e);
/* The reference count Redis shows for e (OBJECT REFCOUNT, DEBUG OBJECT):
 * INT_MAX for a string holding an integer 0..9999, which Redis shares
 * (OBJ_SHARED_INTEGERS) unless maxmemory is set under an LRU or LFU
 * policy -- judged by the settings now, not those of the write -- else 1
 * (respite shares no values). */
int ks_refcount(const struct store *st, const struct entry *e);
/* e's LFU counter, decayed to now (OBJECT FREQ); meaningful under the LFU
 * policies. */
uint32_t ks_lfu_freq(const struct store *st, const struct entry *e);
/* RESTORE's IDLETIME (seconds, -1 none) under an LRU policy, FREQ (0..255,
 * -1 none) under an LFU one, as Redis's objectSetLRUOrLFU. */
void ks_set_idle_or_freq(const struct store *st, struct entry *e, long long idle_secs,
                         int freq);
/* Whether a CLIENT PAUSE (WRITE or ALL, commands/pause.c) is on; ends it
 * once its time is up. Writes, expiry and eviction wait while it is
 * (Redis's PAUSE_ACTION_EXPIRE/EVICT, which both modes pause): a read
 * finds no key past its deadline but leaves it in place (find). O(1). */
bool pause_active(struct store *st);
/* Is the store over maxmemory (0: never)? used_memory and the project
 * shards' cost count, values queued for freeing do not. The one test of
 * the limit. O(1). */
bool ks_over_maxmemory(const struct store *st);

enum { KS_EVICT_OK, KS_EVICT_RUNNING, KS_EVICT_FAIL };
/* Evict keys by maxmemory-policy until the store is under maxmemory, for
 * at most the time maxmemory-eviction-tenacity allows. KS_EVICT_OK under
 * the limit (or no limit, or while loading or a script is busy);
 * KS_EVICT_RUNNING over it at the time limit (st->evict_running: call
 * again soon); KS_EVICT_FAIL over it with nothing left to evict
 * (noeviction, or no key the policy may take). Keys deleted here leave
 * as DEL and expiry delete them (ks_delete_lazy): no kloc held by a
 * caller survives it. */
int ks_evict(struct store *st);
/* INFO's total_eviction_exceeded_time (total) or
 * current_eviction_exceeded_time, in ms. */
uint64_t ks_evict_exceeded_ms(const struct store *st, bool total);
/* Free the eviction pool (at close). */
void ks_evict_free(struct store *st);

/* ---- TTLs of keys and sub-keys (expire.c) -------------------------------- */

/* Key deadlines, in the shard's heap. exp_set and exp_clear keep the db's
 * count of keys with a TTL and the shard's place in the db's heap of
 * shards by earliest deadline. O(log n). */
static inline int64_t exp_get(const struct shard *sh, const struct entry *e)
{
    return e->exp_idx == EXP_NONE ? -1 : sh->ttl->exp.a[e->exp_idx].when;
}
void exp_set(struct shard *sh, struct entry *e, int64_t when);
void exp_clear(struct shard *sh, struct entry *e);
/* The same for the sh's heap of containers with sub-key deadlines (sub):
 * put t in at when, or change its deadline; take it out if it is in. The
 * only ways that heap changes. O(log n). */
void exp_sub_set(struct shard *sh, struct subttl *t, int64_t when);
void exp_sub_del(struct shard *sh, struct subttl *t);
/* e, which has a deadline in sh, took the place of the entry it had. */
static inline void exp_moved(struct shard *sh, struct entry *e)
{
    exp_heap_moved(&sh->ttl->exp, e);
}
/* Is e past its deadline at now? */
static inline bool exp_is_due(const struct shard *sh, const struct entry *e, int64_t now)
{
    int64_t when = exp_get(sh, e);
    return when != -1 && when < now;
}
/* Keys of sh with a deadline, and containers with sub-key deadlines. O(1). */
static inline uint32_t shard_nexp(const struct shard *sh)
{
    return sh->ttl ? sh->ttl->exp.n : 0;
}
static inline uint32_t shard_nsub(const struct shard *sh)
{
    return sh->ttl ? sh->ttl->sub.n : 0;
}
/* Free sh's deadlines (its keys are going with it). */
void shard_ttl_free(struct shard *sh);

/* Sub-key deadlines of one container (the container owns its subttl,
 * created on the first deadline; NULL before). f is a sub-entry of the
 * container's table form; a packed container keeps its deadlines itself
 * and its subttl, with an empty heap, only for its shard's registration. */
struct subttl *subttl_new(void);
void subttl_free(struct subttl *t);
size_t subttl_bytes(const struct subttl *t);
void subttl_set(struct subttl **t, struct entry *f, int64_t when);
/* Remove f's deadline if it has one (t may be NULL when f has none). */
void subttl_clear(struct subttl *t, struct entry *f);
/* f's deadline, -1 if none (t may be NULL when f has none). */
int64_t subttl_get(const struct subttl *t, const struct entry *f);
/* The sub-entry `from` is being replaced by `to`: to takes over from's
 * deadline, if any (HINCRBY keeps a field's TTL). */
void subttl_moved(struct subttl *t, struct entry *from, struct entry *to);

/* Does the container e (in sh) hold sub-keys due at now? O(1): its
 * earliest deadline is its key in sh's sub heap. */
bool exp_sub_due(const struct shard *sh, const struct entry *e, int64_t now);
/* Are all sub-keys of e due at now (a container that reads as absent,
 * waiting for reclamation)? O(1) unless some are due, then O(n). */
bool exp_sub_all_due(const struct shard *sh, const struct entry *e, int64_t now);
/* Is e, found in sh, there for a command at now: neither past its deadline
 * nor a container whose sub-keys are all due? For the walks that see
 * entries without a lookup (KEYS, SCAN, RANDOMKEY). */
static inline bool ks_is_live(const struct shard *sh, const struct entry *e, int64_t now)
{
    return !exp_is_due(sh, e, now) && !exp_sub_all_due(sh, e, now);
}
/* Delete the due sub-keys of the container at loc -- all of them when
 * end_us is 0, else until the monotonic clock passes end_us -- and the key
 * when it empties (*deleted). Returns 1 when it stopped with some due ones
 * left. */
int exp_sub_expire(struct kloc *loc, int64_t now, int64_t end_us, bool *deleted);

/* Reclaim due keys and sub-keys for about budget_us, earliest deadline
 * first: only the shards at the top of their db's heap of deadlines are
 * visited, so the work is that of what is due plus O(databases), whatever
 * the number of shards. 1 if some are left. */
int exp_active_cycle(struct store *st, int64_t budget_us);
/* The earliest deadline of a key or sub-key in any db (store clock ms),
 * -1 if none. O(databases). */
int64_t exp_next_deadline(const struct store *st);

#endif
