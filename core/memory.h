/*
 * memory.h: what the public operations share inside the core: the handle's layout.
 *
 * The handle holds only what is fixed at open time (store, home, settings, local user,
 * embedder), so one handle serves every thread without locks of its own.
 */
#ifndef MEM0_MEMORY_H
#define MEM0_MEMORY_H

#include <limits.h>
#include "embed.h"
#include "identity.h"
#include "mem0.h"
#include "settings.h"
#include "store.h"

struct mem0 {
    store *st;
    char home[PATH_MAX];
    mem0_settings settings;
    char user[IDENTITY_MAX];    /* the local user: default scope of adds and filters */
    char project[IDENTITY_MAX]; /* the current project (app_id) for the search boost, or "" */
    embedder *emb;              /* NULL: lexical only (embedder "none", or it failed to open) */
};

/* Calls fn(rec) for each record of the by_scope index (kind, name), newest first, until fn
 * returns non-zero (1 stops cleanly; negative is an error passed back).  rec is freed after
 * fn returns unless fn sets *keep to 1, in which case fn owns it. */
typedef int (*record_visit_fn)(cJSON *rec, void *ctx, int *keep);
int memory_scan(MDB_txn *txn, const store_dbs *db, char kind, const char *name, record_visit_fn fn,
                void *ctx, mem0_err *err);

/* Embeds texts for storage into n * *dim floats (caller frees): NULL, the memories staying
 * lexical-only, when no embedder is configured or it fails, so an unreachable embedding
 * service never loses a memory. */
float *memory_embed(mem0 *m, const char *const *texts, int n, int *dim);
/* Stores rec's vector inside the record's write transaction (vec NULL: nothing to do).  A
 * store whose vectors came from another embedder keeps rec lexical-only until
 * `mem0-mcp reindex`. */
int memory_put_vector(MDB_txn *txn, const store_dbs *db, const embedder *emb, const cJSON *rec,
                      const float *vec, int dim, mem0_err *err);

#endif
