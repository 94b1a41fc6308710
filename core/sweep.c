/* sweep.c: the expiry sweeper and entity listing.
 *
 * Expired memories are hidden from reads the moment their day passes (see filter use in
 * memory.c); the sweeper removes them for good settings.expired_grace_days later, with a
 * DELETE in history, and drops trash entries older than settings.trash_days.  It works in
 * small transactions and stops at its time budget, so any process can run it in passing. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "record.h"
#include "timeutil.h"
#include "util.h"

#define SWEEP_BATCH 256

typedef struct sweep_ctx {
    char cutoff[11];       /* expiration dates before this day are purged */
    int64_t trash_before;  /* trash entries deleted before this instant are purged */
    long expired, trash;   /* out: purged in this batch */
    int more;              /* out: the batch was full */
} sweep_ctx;

static int sweep_expired(MDB_txn *txn, const store_dbs *db, sweep_ctx *c, int64_t now,
                         mem0_err *err)
{
    uint8_t ids[SWEEP_BATCH][16];
    int n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_expiry, &cur);
    if (rc)
        return store_fail(err, rc, "mdb_cursor_open(by_expiry)");
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < SWEEP_BATCH;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 26 || memcmp(k.mv_data, c->cutoff, 10) >= 0)
            break;
        memcpy(ids[n++], (const uint8_t *)k.mv_data + 10, 16);
    }
    mdb_cursor_close(cur);
    c->more |= n == SWEEP_BATCH;
    for (int i = 0; i < n; i++) {
        cJSON *rec;
        rc = record_load(txn, db, ids[i], &rec, err);
        if (rc == MEM0_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        if ((rc = record_remove(txn, db, rec, 1, err)) == 0)
            rc = history_add(txn, db, rec, "DELETE", record_str(rec, "memory"), NULL, "sweeper",
                             now, err);
        cJSON_Delete(rec);
        if (rc)
            return rc;
        c->expired++;
    }
    return 0;
}

static int sweep_trash(MDB_txn *txn, const store_dbs *db, sweep_ctx *c, mem0_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->trash, &cur);
    if (rc)
        return store_fail(err, rc, "mdb_cursor_open(trash)");
    MDB_val k, v;
    int seen = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && seen < SWEEP_BATCH * 4;
         seen++) {
        cJSON *e = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        int64_t when = 0;
        int old = e && time_parse(record_str(e, "deleted_at"), &when) == 0 &&
                  when < c->trash_before;
        cJSON_Delete(e);
        if (old) {
            if ((rc = mdb_cursor_del(cur, 0)))
                break;
            c->trash++;
            rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
            if (rc == 0)
                continue;
            /* deleting the last item leaves the cursor with nothing current */
            rc = MDB_NOTFOUND;
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return store_fail(err, rc, "mdb_cursor_get(trash)");
    c->more |= seen == SWEEP_BATCH * 4;
    return 0;
}

static int sweep_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    sweep_ctx *c = vctx;
    c->expired = c->trash = 0;
    c->more = 0;
    int rc = sweep_expired(txn, db, c, time_now_us(), err);
    return rc ? rc : sweep_trash(txn, db, c, err);
}

int mem0_sweep(mem0 *m, long budget_ms, mem0_sweep_stats *stats, mem0_err *err)
{
    mem0_sweep_stats s = {0, 0, 0};
    sweep_ctx c;
    date_today_plus(-m->settings.expired_grace_days, c.cutoff);
    c.trash_before = time_now_us() - (int64_t)m->settings.trash_days * 86400 * 1000000;
    double start = time_mono_ms();
    int rc = 0;
    for (;;) {
        if ((rc = store_write(m->st, sweep_txn, &c, err)))
            break;
        s.purged_expired += c.expired;
        s.purged_trash += c.trash;
        if (!c.more) {
            s.complete = 1;
            break;
        }
        if (budget_ms > 0 && time_mono_ms() - start >= (double)budget_ms)
            break;
    }
    if (stats)
        *stats = s;
    return rc;
}

/* ---- Entities ----------------------------------------------------------------------- */

typedef struct entities_ctx {
    const char *owner;
    cJSON *items; /* out */
} entities_ctx;

static int entities_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    entities_ctx *c = vctx;
    cJSON_Delete(c->items);
    c->items = cJSON_CreateArray();
    size_t n = strlen(c->owner) + 1;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->entities, &cur);
    if (rc)
        return store_fail(err, rc, "mdb_cursor_open(entities)");
    MDB_val k = {n, (void *)c->owner}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size > n && memcmp(k.mv_data, c->owner, n) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        cJSON *e = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        if (!e)
            continue;
        cJSON *out = cJSON_CreateObject();
        const char *name = record_str(e, "name");
        cJSON_AddStringToObject(out, "id", name ? name : "");
        cJSON_AddStringToObject(out, "name", name ? name : "");
        cJSON_AddItemToObject(out, "type",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "type"), 1));
        cJSON_AddItemToObject(
            out, "total_memories",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "total_memories"), 1));
        cJSON_AddItemToObject(out, "created_at",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "created_at"), 1));
        cJSON_AddItemToObject(out, "updated_at",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "updated_at"), 1));
        cJSON_AddStringToObject(out, "owner", c->owner);
        cJSON_AddNullToObject(out, "metadata");
        cJSON_AddItemToArray(c->items, out);
        cJSON_Delete(e);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get(entities)") : 0;
}

int mem0_list_entities(mem0 *m, const char *owner, cJSON **result, mem0_err *err)
{
    *result = NULL;
    entities_ctx c = {owner && *owner ? owner : m->user, NULL};
    int rc = store_read(m->st, entities_txn, &c, err);
    if (rc) {
        cJSON_Delete(c.items);
        return rc;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "results", c.items);
    *result = res;
    return 0;
}
