/*
 * record.h: the memory object and everything written beside it in one transaction.
 *
 * A record is a cJSON object with exactly Mem0's fields: id (UUID v4), memory, hash
 * (XXH3-128 of the text, 32 lowercase hex), metadata (object or null), categories (array),
 * user_id, agent_id, app_id, run_id (string or null), created_at, updated_at (ISO 8601 with
 * offset), expiration_date (YYYY-MM-DD or null).  Fields a newer version adds are kept.
 *
 * record_put() and record_remove() keep the record, its by_scope/by_hash/by_expiry entries,
 * its lexical index entries (lexical.h) and the entity counts in step; callers never touch
 * those databases directly.  Each
 * change also gets a history item through history_add().
 */
#ifndef MEM0_RECORD_H
#define MEM0_RECORD_H

#include <stdint.h>
#include "store.h"

#define RECORD_MAX_TEXT (256 * 1024)
#define RECORD_MAX_METADATA (16 * 1024)

/* 32 lowercase hex chars of XXH3-128 of text. */
void record_hash(const char *text, char out[33]);

/* A new record (fresh id, hash, timestamps = now_us); NULL on allocation failure.
 * metadata is copied; expiration may be NULL. */
cJSON *record_new(const char *text, const mem0_scope *scope, const cJSON *metadata,
                  const char *expiration, int64_t now_us);

/* String field of a record, or NULL when absent/null/empty. */
const char *record_str(const cJSON *rec, const char *field);
/* The record's created_at in microseconds (0 if unparsable). */
int64_t record_created_us(const cJSON *rec);
/* 1 if the record's expiration_date has passed at now_us. */
int record_expired(const cJSON *rec, int64_t now_us);
/* 16-byte digest of the record's (user, agent, app, run) scope. */
void record_scope_digest(const cJSON *rec, uint8_t out[16]);

/* Loads the record with this id: 0, MEM0_ENOTFOUND, or a store error. *out freed by caller. */
int record_load(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], cJSON **out,
                mem0_err *err);
/* Writes rec and all its index entries; bumps entity counts when `is_new`.
 * To change an existing record call record_remove(old, 0) then record_put(new, 0). */
int record_put(MDB_txn *txn, const store_dbs *db, const cJSON *rec, int is_new, mem0_err *err);
/* Deletes rec's record and index entries; when `is_gone` (deleted, not being rewritten)
 * also its vector and its share of the entity counts. */
int record_remove(MDB_txn *txn, const store_dbs *db, const cJSON *rec, int is_gone,
                  mem0_err *err);
/* Finds a live record in the same scope with the same content hash; copies its id into
 * found_id (37 bytes) and returns 1, 0 if none, negative on error. */
int record_find_duplicate(MDB_txn *txn, const store_dbs *db, const cJSON *rec, char *found_id,
                          mem0_err *err);

/* Appends a history item {id, memory_id, event, old_memory, new_memory, created_at, actor,
 * user_id, ...}.  old/new may be NULL. */
int history_add(MDB_txn *txn, const store_dbs *db, const cJSON *rec, const char *event,
                const char *old_text, const char *new_text, const char *actor, int64_t now_us,
                mem0_err *err);

#endif
