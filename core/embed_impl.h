/*
 * embed_impl.h: what each kind of embedder gives embed.c (embed_hash.c, embed_static.c,
 * embed_remote.c), and a way for tests to build their own.  Callers use embed.h only.
 *
 * embed.c owns the handle: it allocates it, lets the kind fill it, checks and normalises
 * every vector a kind returns, and calls ops->close before freeing it.
 */
#ifndef MEM0_EMBED_IMPL_H
#define MEM0_EMBED_IMPL_H

#include <limits.h>
#include <stdint.h>
#include "embed.h"

typedef struct embed_ops {
    /* Fills *out with a malloc'd n * e->dim floats (setting e->dim first if it was 0). */
    int (*batch)(embedder *e, const char *const *texts, int n, double deadline_ms, float **out,
                 mem0_err *err);
    void (*close)(embedder *e); /* frees e->impl */
} embed_ops;

struct embedder {
    const embed_ops *ops;
    char id[EMBED_ID_MAX];
    char describe[PATH_MAX + 128];
    int dim;
    int remote;
    void *impl;
};

/* A handle for a kind made elsewhere (tests): takes ownership of impl (ops->close frees it).
 * NULL on allocation failure. */
embedder *embed_new(const embed_ops *ops, const char *id, int dim, int remote, void *impl);

/* The kinds.  Each fills e (ops, id, dim, describe, impl) or returns an error. */
int embed_hash_open(embedder *e, mem0_err *err);
int embed_static_open(embedder *e, const char *home, const char *name_or_path, mem0_err *err);
int embed_remote_open(embedder *e, mem0_err *err);

/* The token ids the static embedder pools for text, [UNK] already dropped (tests, debugging).
 * *ids is malloc'd (may be NULL when *n is 0). */
int embed_static_tokenize(const embedder *e, const char *text, int32_t **ids, int *n,
                          mem0_err *err);

/* A positive integer from the environment within [min, max], else def; a set but invalid
 * value is MEM0_EINVAL naming the variable. */
int embed_env_int(const char *name, long def, long min, long max, long *out, mem0_err *err);

/* curl_global_init once per process (model.c and embed_remote.c use libcurl). */
int embed_curl_init(mem0_err *err);

/* Text values of the meta database (reindex.c keeps its checkpoint there): get copies
 * meta[key] into buf ("" when absent); del ignores a missing key. */
int embed_meta_get(MDB_txn *txn, const store_dbs *db, const char *key, char *buf, size_t n,
                   mem0_err *err);
int embed_meta_put(MDB_txn *txn, const store_dbs *db, const char *key, const char *value,
                   mem0_err *err);
int embed_meta_del(MDB_txn *txn, const store_dbs *db, const char *key, mem0_err *err);

#endif
