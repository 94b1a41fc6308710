/*
 * reindex.c: re-embedding every memory, in checkpointed batches (see reindex.h).
 */
#include "reindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed_impl.h"
#include "lexical.h"
#include "memory.h"
#include "record.h"
#include "util.h"
#include "vindex.h"

/* ---- Starting and finishing --------------------------------------------------------- */

typedef struct start_ctx {
    const char *id; /* NULL: remove every vector */
    int dim;
    uint8_t cursor[16];
    int has_cursor;
    int resumed;
    long total;
} start_ctx;

static int start_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    start_ctx *c = arg;
    embed_record rec;
    char hex[64];
    int rc;
    c->has_cursor = c->resumed = 0;
    MDB_stat st;
    if ((rc = mdb_stat(txn, db->records, &st))) return store_fail(err, rc, "mdb_stat(records)");
    c->total = (long)st.ms_entries;
    if ((rc = embed_store_get(txn, db, &rec, err))) return rc;
    if (c->id && strcmp(rec.reindex_embedder, c->id) == 0 && rec.reindex_dim == c->dim) {
        c->resumed = 1;
        if ((rc = embed_meta_get(txn, db, "reindex_cursor", hex, sizeof hex, err))) return rc;
        c->has_cursor = hex[0] && uuid_parse(hex, c->cursor) == 0;
        return 0;
    }
    /* Start over: no vector of any earlier embedder survives. */
    if ((rc = vindex_clear(txn, db, err)) || (rc = embed_meta_del(txn, db, "embedder", err)) ||
        (rc = embed_meta_del(txn, db, "embed_dim", err)) ||
        (rc = embed_meta_del(txn, db, "reindex_cursor", err)))
        return rc;
    if (!c->id)
        return (rc = embed_meta_del(txn, db, "reindex_embedder", err))
                   ? rc
                   : embed_meta_del(txn, db, "reindex_dim", err);
    char num[16];
    snprintf(num, sizeof num, "%d", c->dim);
    if ((rc = embed_meta_put(txn, db, "reindex_embedder", c->id, err)) ||
        (rc = embed_meta_put(txn, db, "reindex_dim", num, err)))
        return rc;
    return 0;
}

/* Counts the records at or before the cursor (what an earlier run finished). */
typedef struct count_ctx {
    const uint8_t *cursor;
    long n;
} count_ctx;

static int count_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    count_ctx *c = arg;
    MDB_cursor *cur;
    MDB_val k, v;
    c->n = 0;
    int rc = mdb_cursor_open(txn, db->records, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(records)");
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size == 16 && memcmp(k.mv_data, c->cursor, 16) > 0) break;
        c->n++;
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get(records)") : 0;
}

/* ---- One batch ---------------------------------------------------------------------- */

typedef struct batch {
    int cap, n;
    uint8_t (*ids)[16];
    char **texts;
} batch;

static void batch_clear(batch *b)
{
    for (int i = 0; i < b->n; i++)
        free(b->texts[i]);
    b->n = 0;
}

typedef struct read_ctx {
    batch *b;
    const uint8_t *after; /* NULL: from the first record */
} read_ctx;

static int read_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    read_ctx *c = arg;
    batch *b = c->b;
    batch_clear(b);
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, db->records, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(records)");
    if (c->after) {
        k.mv_size = 16;
        k.mv_data = (void *)c->after;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == 16 && memcmp(k.mv_data, c->after, 16) == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    int ret = 0;
    for (; rc == 0 && b->n < b->cap; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16) continue;
        cJSON *rec = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        const cJSON *mem = cJSON_GetObjectItemCaseSensitive(rec, "memory");
        char *text = xstrdup(cJSON_IsString(mem) ? mem->valuestring : "");
        cJSON_Delete(rec);
        if (!text) {
            ret = err_set(err, MEM0_ENOMEM, "reindex: out of memory");
            break;
        }
        memcpy(b->ids[b->n], k.mv_data, 16);
        b->texts[b->n++] = text;
    }
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get(records)");
    mdb_cursor_close(cur);
    return ret;
}

typedef struct write_ctx {
    const batch *b;
    const float *vecs;
    const char *id;
    int dim;
    int last; /* 1: this batch reaches the end of the records: finish the run */
    long written;
} write_ctx;

static int write_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    write_ctx *c = arg;
    embed_record rec;
    int rc;
    c->written = 0;
    /* Another reindex (to another embedder) may have started meanwhile: then stop. */
    if ((rc = embed_store_get(txn, db, &rec, err))) return rc;
    if (strcmp(rec.reindex_embedder, c->id) != 0 || rec.reindex_dim != c->dim)
        return err_set(err, MEM0_EBUSY,
                       "another reindex (to %s) started while this one ran; this one stopped",
                       rec.reindex_embedder[0] ? rec.reindex_embedder : "nothing");
    for (int i = 0; i < c->b->n; i++) {
        cJSON *r = NULL;
        rc = record_load(txn, db, c->b->ids[i], &r, err);
        if (rc == MEM0_ENOTFOUND) continue; /* deleted meanwhile */
        if (rc) return rc;
        /* The tag is the one the add path gives: the memory's user. */
        uint64_t tag = lexical_hash(record_str(r, "user_id"));
        cJSON_Delete(r);
        if ((rc = vindex_put(txn, db, c->b->ids[i], tag, c->vecs + (size_t)i * (size_t)c->dim,
                             c->dim, err)))
            return rc;
        c->written++;
    }
    if (c->b->n) {
        char hex[UUID_STR_LEN + 1];
        uuid_format(c->b->ids[c->b->n - 1], hex);
        if ((rc = embed_meta_put(txn, db, "reindex_cursor", hex, err))) return rc;
    }
    if (c->last) {
        char num[16];
        snprintf(num, sizeof num, "%d", c->dim);
        if ((rc = embed_meta_put(txn, db, "embedder", c->id, err)) ||
            (rc = embed_meta_put(txn, db, "embed_dim", num, err)) ||
            (rc = embed_meta_del(txn, db, "reindex_embedder", err)) ||
            (rc = embed_meta_del(txn, db, "reindex_dim", err)) ||
            (rc = embed_meta_del(txn, db, "reindex_cursor", err)))
            return rc;
    }
    return 0;
}

/* ---- The run ------------------------------------------------------------------------ */

int reindex_run(mem0 *m, embedder *e, const reindex_opts *opt, reindex_stats *stats, mem0_err *err)
{
    reindex_opts o = {0};
    if (opt) o = *opt;
    if (o.batch <= 0) o.batch = REINDEX_DEFAULT_BATCH;
    memset(stats, 0, sizeof *stats);
    batch b = {o.batch, 0, NULL, NULL};
    float *vecs = NULL;
    int rc;

    /* A remote embedder learns its dimension from its first answer: ask before starting. */
    if (e && embed_dim(e) <= 0) {
        rc = embed_text(e, "dimension probe", 0, &vecs, err);
        free(vecs);
        vecs = NULL;
        if (rc) return rc;
    }
    start_ctx sc = {e ? embed_id(e) : NULL, e ? embed_dim(e) : 0, {0}, 0, 0, 0};
    if ((rc = store_write(m->st, start_txn, &sc, err))) return rc;
    stats->total = sc.total;
    if (!e) {
        stats->complete = 1;
        return 0;
    }
    if (sc.has_cursor) {
        count_ctx cc = {sc.cursor, 0};
        if ((rc = store_read(m->st, count_txn, &cc, err))) return rc;
        stats->resumed = cc.n;
    }
    b.ids = malloc((size_t)o.batch * sizeof *b.ids);
    b.texts = calloc((size_t)o.batch, sizeof *b.texts);
    if (!b.ids || !b.texts) {
        rc = err_set(err, MEM0_ENOMEM, "reindex: out of memory");
        goto done;
    }
    uint8_t after[16];
    int has_after = sc.has_cursor;
    if (has_after) memcpy(after, sc.cursor, 16);
    long batches = 0, done = stats->resumed;
    if (o.progress) o.progress(o.ctx, done, stats->total);
    for (;;) {
        read_ctx rcx = {&b, has_after ? after : NULL};
        if ((rc = store_read(m->st, read_txn, &rcx, err))) break;
        if (b.n && (rc = embed_batch(e, (const char *const *)b.texts, b.n, 0, &vecs, err))) break;
        write_ctx w = {&b, vecs, embed_id(e), embed_dim(e), b.n < b.cap, 0};
        if ((rc = store_write(m->st, write_txn, &w, err))) break;
        free(vecs);
        vecs = NULL;
        stats->embedded += w.written;
        done += b.n;
        if (done > stats->total) stats->total = done; /* memories added meanwhile */
        if (o.progress) o.progress(o.ctx, done, stats->total);
        if (w.last) {
            stats->complete = 1;
            break;
        }
        memcpy(after, b.ids[b.n - 1], 16);
        has_after = 1;
        if (o.stop_after > 0 && ++batches >= o.stop_after) break;
    }
done:
    free(vecs);
    batch_clear(&b);
    free(b.ids);
    free(b.texts);
    return rc;
}
