/*
 * embed.c: the embedder interface (see embed.h): choosing a kind from the spec, checking
 * and normalising what the kinds return, and the store's embedder record in meta.
 */
#include "embed.h"
#include "embed_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- Choosing and opening ------------------------------------------------------------ */

const char *embed_spec(const mem0_settings *s)
{
    const char *env = getenv("MEM0_EMBEDDER");
    if (env && *env) return env;
    if (s && s->embedder[0]) return s->embedder;
    return "none";
}

int embed_env_int(const char *name, long def, long min, long max, long *out, mem0_err *err)
{
    const char *s = getenv(name);
    *out = def;
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return err_set(err, MEM0_EINVAL, "%s must be a whole number from %ld to %ld, not \"%.64s\"",
                       name, min, max, s);
    *out = v;
    return 0;
}

#pragma weak embed_remote_open

embedder *embed_new(const embed_ops *ops, const char *id, int dim, int remote, void *impl)
{
    embedder *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->ops = ops;
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->describe, sizeof e->describe, "%s", id);
    e->dim = dim;
    e->remote = remote;
    e->impl = impl;
    return e;
}

int embed_open(const char *home, const char *spec, embedder **out, mem0_err *err)
{
    *out = NULL;
    if (!spec || !*spec || strcmp(spec, "none") == 0) return 0;
    embedder *e = calloc(1, sizeof *e);
    if (!e) return err_set(err, MEM0_ENOMEM, "embedder: out of memory");
    int rc;
    if (strcmp(spec, "hash") == 0) {
        rc = embed_hash_open(e, err);
    } else if (strncmp(spec, "static:", 7) == 0 && spec[7]) {
        rc = embed_static_open(e, home, spec + 7, err);
    } else if (strcmp(spec, "openai") == 0) {
        /* Weak: only programs that link embed_remote.c (the server and CLI) reach the
         * network; hooks stay free of libcurl and search lexically. */
        rc = embed_remote_open ? embed_remote_open(e, err)
                               : err_set(err, MEM0_EINVAL,
                                         "the openai embedder is not part of this program");
    } else {
        rc = err_set(err, MEM0_EINVAL,
                     "unknown embedder \"%.128s\" (MEM0_EMBEDDER or settings \"embedder\"): use "
                     "none, hash, static:NAME (see `mem0-mcp model list`), static:/path/to/model "
                     "or openai",
                     spec);
    }
    if (rc) {
        free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void embed_close(embedder *e)
{
    if (!e) return;
    if (e->ops && e->ops->close) e->ops->close(e);
    free(e);
}

const char *embed_id(const embedder *e)
{
    return e ? e->id : "none";
}

int embed_dim(const embedder *e)
{
    return e ? e->dim : 0;
}

int embed_is_remote(const embedder *e)
{
    return e ? e->remote : 0;
}

const char *embed_describe(const embedder *e)
{
    return e ? e->describe : "none (lexical search only)";
}

/* ---- Embedding ----------------------------------------------------------------------- */

void embed_l2_normalise(float *v, int dim)
{
    double ss = 0;
    for (int i = 0; i < dim; i++)
        ss += (double)v[i] * v[i];
    if (!(ss > 0)) {
        memset(v, 0, (size_t)dim * sizeof *v);
        return;
    }
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < dim; i++)
        v[i] *= inv;
}

float embed_dot(const float *a, const float *b, int dim)
{
    float s = 0;
    for (int i = 0; i < dim; i++)
        s += a[i] * b[i];
    return s;
}

int embed_batch(embedder *e, const char *const *texts, int n, double deadline_ms, float **out,
                mem0_err *err)
{
    *out = NULL;
    if (!e) return err_set(err, MEM0_EINVAL, "no embedder configured");
    if (n < 0 || (n > 0 && !texts)) return err_set(err, MEM0_EINVAL, "embed: bad arguments");
    for (int i = 0; i < n; i++)
        if (!texts[i]) return err_set(err, MEM0_EINVAL, "embed: text %d is NULL", i);
    if (n == 0) return 0; /* nothing to embed: *out stays NULL */
    float *v = NULL;
    int rc = e->ops->batch(e, texts, n, deadline_ms, &v, err);
    if (rc) return rc;
    if (e->dim <= 0 || e->dim > EMBED_DIM_MAX) {
        free(v);
        return err_set(err, MEM0_EIO, "embedder %s gave vectors of %d dimensions", e->id, e->dim);
    }
    /* Every kind's rows leave here finite and of norm 1 (or zero): the index relies on it. */
    for (int i = 0; i < n; i++) {
        float *row = v + (size_t)i * (size_t)e->dim;
        for (int j = 0; j < e->dim; j++)
            if (!isfinite(row[j])) {
                free(v);
                return err_set(err, MEM0_EIO,
                               "embedder %s gave a vector with a non-finite value (text %d)", e->id,
                               i);
            }
        embed_l2_normalise(row, e->dim);
    }
    *out = v;
    return 0;
}

int embed_text(embedder *e, const char *text, double deadline_ms, float **out, mem0_err *err)
{
    return embed_batch(e, &text, 1, deadline_ms, out, err);
}

/* ---- The store's embedder record ----------------------------------------------------- */

/* Copies meta[key] into buf as text; "" when absent.  Negative only on LMDB errors. */
static int meta_str(MDB_txn *txn, const store_dbs *db, const char *key, char *buf, size_t n,
                    mem0_err *err)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    buf[0] = '\0';
    int rc = mdb_get(txn, db->meta, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return store_fail(err, rc, "mdb_get(meta)");
    if (v.mv_size >= n)
        return err_set(err, MEM0_EIO, "meta \"%s\" is too long (%zu bytes): run `mem0-mcp doctor`",
                       key, v.mv_size);
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';
    return 0;
}

int embed_store_get(MDB_txn *txn, const store_dbs *db, embed_record *rec, mem0_err *err)
{
    char num[32];
    int rc;
    memset(rec, 0, sizeof *rec);
    if ((rc = meta_str(txn, db, "embedder", rec->embedder, sizeof rec->embedder, err)) ||
        (rc = meta_str(txn, db, "embed_dim", num, sizeof num, err)))
        return rc;
    rec->dim = atoi(num);
    if ((rc = meta_str(txn, db, "reindex_embedder", rec->reindex_embedder,
                       sizeof rec->reindex_embedder, err)) ||
        (rc = meta_str(txn, db, "reindex_dim", num, sizeof num, err)))
        return rc;
    rec->reindex_dim = atoi(num);
    return 0;
}

int embed_store_check(MDB_txn *txn, const store_dbs *db, const char *id, int dim, mem0_err *err)
{
    embed_record rec;
    int rc = embed_store_get(txn, db, &rec, err);
    if (rc) return rc;
    if (!id || !*id || dim <= 0 || dim > EMBED_DIM_MAX)
        return err_set(err, MEM0_EINVAL, "embedder check: bad embedder id or dimension (%d)", dim);
    if (rec.reindex_embedder[0]) {
        if (strcmp(rec.reindex_embedder, id) == 0 && rec.reindex_dim == dim) return 0;
        return err_set(err, MEM0_EINVAL,
                       "the store's vectors are being rebuilt for %s (%d dims), not for the "
                       "configured embedder %s (%d dims): run `mem0-mcp reindex` to rebuild them "
                       "for the configured one",
                       rec.reindex_embedder, rec.reindex_dim, id, dim);
    }
    if (rec.embedder[0] && (strcmp(rec.embedder, id) != 0 || rec.dim != dim))
        return err_set(err, MEM0_EINVAL,
                       "the store's vectors were written by %s (%d dims), not by the configured "
                       "embedder %s (%d dims); they cannot be mixed: run `mem0-mcp reindex` to "
                       "re-embed every memory with the configured one",
                       rec.embedder, rec.dim, id, dim);
    return 0;
}

int embed_meta_put(MDB_txn *txn, const store_dbs *db, const char *key, const char *value,
                   mem0_err *err)
{
    MDB_val k = {strlen(key), (void *)key}, v = {strlen(value), (void *)value};
    int rc = mdb_put(txn, db->meta, &k, &v, 0);
    return rc ? store_fail(err, rc, "mdb_put(meta)") : 0;
}

int embed_meta_del(MDB_txn *txn, const store_dbs *db, const char *key, mem0_err *err)
{
    MDB_val k = {strlen(key), (void *)key};
    int rc = mdb_del(txn, db->meta, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_del(meta)") : 0;
}

int embed_meta_get(MDB_txn *txn, const store_dbs *db, const char *key, char *buf, size_t n,
                   mem0_err *err)
{
    return meta_str(txn, db, key, buf, n, err);
}

int embed_store_claim(MDB_txn *txn, const store_dbs *db, const char *id, int dim, mem0_err *err)
{
    int rc = embed_store_check(txn, db, id, dim, err);
    if (rc) return rc;
    embed_record rec;
    if ((rc = embed_store_get(txn, db, &rec, err))) return rc;
    if (rec.embedder[0] || rec.reindex_embedder[0]) return 0;
    char num[16];
    snprintf(num, sizeof num, "%d", dim);
    if ((rc = embed_meta_put(txn, db, "embedder", id, err)) ||
        (rc = embed_meta_put(txn, db, "embed_dim", num, err)))
        return rc;
    return 0;
}
