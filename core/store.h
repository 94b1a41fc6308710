/*
 * store.h: the LMDB environment under $MEM0_HOME and the named databases in it.
 *
 * Owns: the process-wide registry of open environments (LMDB allows one per file per
 * process; this is the one global the core keeps), map growth on MDB_MAP_FULL,
 * MDB_MAP_RESIZED after another process grew the map, stale reader slots (cleared on
 * open), the schema record, and folder/file permissions (0700/0600).
 *
 * Every transaction runs through store_read()/store_write(), which retry the callback
 * after growing or re-mapping, so a callback must reset its outputs when it starts and
 * must not act outside the transaction.  Callbacks return 0 or a negative mem0_status.
 *
 * Databases and their keys (be64 = big-endian uint64, id = 16 raw UUID bytes):
 *   meta       "schema_version", "read_compat" -> decimal text; other store-wide facts
 *   records    id -> memory object (JSON, exactly as returned; unknown keys preserved)
 *   by_scope   kind name NUL be64(created_us) id -> "" ; kind is 'u','a','p','r' for
 *              user/agent/app/run; kind '*' with an empty name lists every record
 *   by_hash    scope_digest(16) content_hash(16) id -> ""   (dedupe within a scope)
 *   by_expiry  "YYYY-MM-DD" id -> ""
 *   history    id be64(time_us) be32(seq) -> history item (JSON)
 *   entities   owner NUL kind name -> {"type","name","total_memories","created_at",...}
 *   trash      id -> {"memory": <memory>, "deleted_at", "actor", "reason"}
 *   postings, docs   the lexical index (layout in lexical.h)
 *   vectors    the vector index (layout in vindex.h)
 */
#ifndef MEM0_STORE_H
#define MEM0_STORE_H

#include <lmdb.h>
#include <stdint.h>
#include "mem0.h"

#define STORE_SCHEMA_VERSION 1
/* A store is readable by binaries whose STORE_SCHEMA_VERSION >= its read_compat. */
#define STORE_READ_COMPAT 1
#define STORE_DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define STORE_MAX_KEY 511

/* Returned (through store_fail) when the map is full; store_write grows the map and retries.
 * Callbacks must pass negative codes they get from store calls back unchanged. */
#define STORE_EMAPFULL (-100)

typedef struct store_dbs {
    MDB_dbi meta, records, by_scope, by_hash, by_expiry, history, entities, trash;
    MDB_dbi postings, docs, vectors; /* retrieval: see lexical.h and vindex.h */
} store_dbs;

typedef struct store store;

/* Opens (creating) the environment in home; map_size 0 means the default. */
int store_open(const char *home, size_t map_size, int read_only, store **out, mem0_err *err);
void store_close(store *st);
const char *store_home(const store *st);
MDB_env *store_env(store *st);

typedef int (*store_txn_fn)(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err);

/* Runs fn in a read-only transaction. */
int store_read(store *st, store_txn_fn fn, void *ctx, mem0_err *err);
/* Runs fn in a write transaction and commits durably; grows the map and re-runs fn when
 * it fills.  A non-zero return from fn aborts the transaction. */
int store_write(store *st, store_txn_fn fn, void *ctx, mem0_err *err);

/* Maps an LMDB return code to a mem0_status and a message naming the call that failed. */
int store_fail(mem0_err *err, int rc, const char *call);

/* ---- Key encoding ------------------------------------------------------------------ */

void be64_put(uint8_t *p, uint64_t v);
uint64_t be64_get(const uint8_t *p);
/* by_scope key; returns its length, or 0 if name is too long. */
size_t key_scope(uint8_t *out, char kind, const char *name, int64_t created_us,
                 const uint8_t id[16]);
/* by_scope prefix "kind name NUL"; returns its length, or 0 if too long. */
size_t key_scope_prefix(uint8_t *out, char kind, const char *name);
/* entities key "owner NUL kind name"; returns its length, or 0 if too long. */
size_t key_entity(uint8_t *out, const char *owner, char kind, const char *name);

#endif
