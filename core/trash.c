/* trash.c: deletes that can be undone (delete, delete_all, delete_entity) and restore.
 *
 * A deleted memory leaves every index and count at once and waits in the trash, with the
 * time and actor of its deletion, for settings.trash_days (default 30) before the sweeper
 * removes it for good.  History keeps the DELETE either way. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "record.h"
#include "timeutil.h"
#include "util.h"

static const char *const scope_fields[4] = {"user_id", "agent_id", "app_id", "run_id"};
static const char scope_kinds[4] = {'u', 'a', 'p', 'r'};

/* Moves rec out of the live store into the trash, recording a DELETE. */
static int trash_record(MDB_txn *txn, const store_dbs *db, const cJSON *rec, const char *actor,
                        const char *reason, int64_t now, mem0_err *err)
{
    uint8_t id[16];
    if (uuid_parse(record_str(rec, "id"), id) != 0)
        return err_set(err, MEM0_EIO, "a stored record has no valid id");
    char when[ISO_TIME_LEN + 1];
    time_format_iso(now, when);
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddItemToObject(entry, "memory", cJSON_Duplicate(rec, 1));
    cJSON_AddStringToObject(entry, "deleted_at", when);
    cJSON_AddStringToObject(entry, "actor", actor);
    cJSON_AddStringToObject(entry, "reason", reason);
    char *text = cJSON_PrintUnformatted(entry);
    cJSON_Delete(entry);
    if (!text)
        return err_set(err, MEM0_ENOMEM, "out of memory");
    MDB_val k = {16, id}, v = {strlen(text), text};
    int rc = mdb_put(txn, db->trash, &k, &v, 0);
    free(text);
    if (rc)
        return store_fail(err, rc, "mdb_put(trash)");
    if ((rc = record_remove(txn, db, rec, 1, err)))
        return rc;
    return history_add(txn, db, rec, "DELETE", record_str(rec, "memory"), NULL, actor, now, err);
}

/* ---- One memory --------------------------------------------------------------------- */

typedef struct delete_ctx {
    uint8_t id[16];
    const char *actor;
} delete_ctx;

static int delete_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    delete_ctx *c = vctx;
    cJSON *rec;
    int rc = record_load(txn, db, c->id, &rec, err);
    if (rc)
        return rc;
    rc = trash_record(txn, db, rec, c->actor, "delete_memory", time_now_us(), err);
    cJSON_Delete(rec);
    return rc;
}

static cJSON *message(const char *text, long deleted)
{
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "message", text);
    if (deleted >= 0)
        cJSON_AddNumberToObject(res, "deleted", (double)deleted);
    return res;
}

int mem0_delete(mem0 *m, const char *memory_id, const char *actor, cJSON **result,
                mem0_err *err)
{
    *result = NULL;
    delete_ctx c = {{0}, actor && *actor ? actor : "api"};
    if (!memory_id || uuid_parse(memory_id, c.id) != 0)
        return err_set(err, MEM0_EINVAL, "Invalid memory_id '%.64s': expected a UUID",
                       memory_id ? memory_id : "");
    int rc = store_write(m->st, delete_txn, &c, err);
    if (rc)
        return rc;
    *result = message("Memory deleted successfully!", -1);
    return 0;
}

/* ---- Many memories ------------------------------------------------------------------ */

typedef struct match_ctx {
    const char *want[4]; /* ids that must match; NULL = any */
    cJSON **recs;
    size_t n, cap;
} match_ctx;

static int match_visit(cJSON *rec, void *vctx, int *keep)
{
    match_ctx *c = vctx;
    for (int i = 0; i < 4; i++) {
        const char *have = record_str(rec, scope_fields[i]);
        if (c->want[i] && (!have || strcmp(have, c->want[i]) != 0))
            return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        cJSON **p = realloc(c->recs, cap * sizeof *p);
        if (!p)
            return MEM0_ENOMEM;
        c->recs = p;
        c->cap = cap;
    }
    c->recs[c->n++] = rec;
    *keep = 1;
    return 0;
}

static void match_reset(match_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        cJSON_Delete(c->recs[i]);
    c->n = 0;
}

typedef struct bulk_ctx {
    match_ctx match;
    int kind;            /* index of the scope field used to scan */
    const char *actor, *reason;
    int drop_entity;     /* delete_entity: also remove the entity records */
    const char *owner;   /* owner of the entity records */
    long deleted;        /* out */
} bulk_ctx;

static int drop_entity_records(MDB_txn *txn, const store_dbs *db, const bulk_ctx *c,
                               mem0_err *err)
{
    const char *name = c->match.want[c->kind];
    uint8_t key[STORE_MAX_KEY];
    size_t n;
    if (c->kind == 0) { /* a user: every entity record it owns goes with it ("name NUL") */
        n = strlen(name) + 1;
        if (n > STORE_MAX_KEY)
            return 0;
        memcpy(key, name, n);
    } else if (!(n = key_entity(key, c->owner, scope_kinds[c->kind], name))) {
        return 0;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->entities, &cur);
    if (rc)
        return store_fail(err, rc, "mdb_cursor_open(entities)");
    for (;;) {
        MDB_val k = {n, key}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc || k.mv_size < n || memcmp(k.mv_data, key, n) != 0 ||
            (c->kind != 0 && k.mv_size != n))
            break;
        if ((rc = mdb_cursor_del(cur, 0)))
            break;
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_del(entities)") : 0;
}

static int bulk_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    bulk_ctx *c = vctx;
    match_reset(&c->match);
    c->deleted = 0;
    int rc = memory_scan(txn, db, scope_kinds[c->kind], c->match.want[c->kind], match_visit,
                         &c->match, err);
    if (rc == MEM0_ENOMEM)
        return err_set(err, rc, "out of memory");
    if (rc)
        return rc;
    int64_t now = time_now_us();
    for (size_t i = 0; i < c->match.n; i++) {
        if ((rc = trash_record(txn, db, c->match.recs[i], c->actor, c->reason, now, err)))
            return rc;
        c->deleted++;
    }
    return c->drop_entity ? drop_entity_records(txn, db, c, err) : 0;
}

static int bulk_delete(mem0 *m, bulk_ctx *c, mem0_err *err)
{
    int rc = store_write(m->st, bulk_txn, c, err);
    match_reset(&c->match);
    free(c->match.recs);
    return rc;
}

static int scope_values(const mem0_scope *s, const char *v[4])
{
    v[0] = s->user_id && *s->user_id ? s->user_id : NULL;
    v[1] = s->agent_id && *s->agent_id ? s->agent_id : NULL;
    v[2] = s->app_id && *s->app_id ? s->app_id : NULL;
    v[3] = s->run_id && *s->run_id ? s->run_id : NULL;
    return v[0] || v[1] || v[2] || v[3];
}

int mem0_delete_all(mem0 *m, const mem0_scope *scope, const char *actor, cJSON **result,
                    mem0_err *err)
{
    *result = NULL;
    bulk_ctx c = {0};
    if (!scope_values(scope, c.match.want))
        return err_set(err, MEM0_ESCOPE_MISSING,
                       "Provide user_id, agent_id, app_id, or run_id before deleting memories.");
    while (!c.match.want[c.kind])
        c.kind++;
    c.actor = actor && *actor ? actor : "api";
    c.reason = "delete_all_memories";
    int rc = bulk_delete(m, &c, err);
    if (rc)
        return rc;
    *result = message("Memories deleted successfully!", c.deleted);
    return 0;
}

int mem0_delete_entity(mem0 *m, const mem0_scope *scope, const char *actor, cJSON **result,
                       mem0_err *err)
{
    *result = NULL;
    const char *v[4];
    if (!scope_values(scope, v))
        return err_set(err, MEM0_ESCOPE_MISSING,
                       "Provide user_id, agent_id, app_id, or run_id before calling "
                       "delete_entities.");
    bulk_ctx c = {0};
    while (!v[c.kind])
        c.kind++;
    /* One entity: a user's memories wherever they are; an agent, app or run only within
     * the local user's memories, so one user never deletes another's. */
    c.match.want[c.kind] = v[c.kind];
    if (c.kind != 0)
        c.match.want[0] = m->user;
    c.owner = c.kind == 0 ? v[0] : m->user;
    c.actor = actor && *actor ? actor : "api";
    c.reason = "delete_entities";
    c.drop_entity = 1;
    int rc = bulk_delete(m, &c, err);
    if (rc)
        return rc;
    *result = message("Entity deleted successfully.", c.deleted);
    return 0;
}

/* ---- Trash -------------------------------------------------------------------------- */

typedef struct trash_ctx {
    cJSON *items; /* out */
} trash_ctx;

static int by_deleted_desc(const void *pa, const void *pb)
{
    const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
    int64_t ta = 0, tb = 0;
    time_parse(record_str(a, "deleted_at"), &ta);
    time_parse(record_str(b, "deleted_at"), &tb);
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

static int trash_list_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    trash_ctx *c = vctx;
    cJSON_Delete(c->items);
    c->items = cJSON_CreateArray();
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->trash, &cur);
    if (rc)
        return store_fail(err, rc, "mdb_cursor_open(trash)");
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        cJSON *e = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        if (e)
            cJSON_AddItemToArray(c->items, e);
    }
    mdb_cursor_close(cur);
    return rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get(trash)") : 0;
}

int mem0_trash_list(mem0 *m, cJSON **result, mem0_err *err)
{
    *result = NULL;
    trash_ctx c = {NULL};
    int rc = store_read(m->st, trash_list_txn, &c, err);
    if (rc) {
        cJSON_Delete(c.items);
        return rc;
    }
    int n = cJSON_GetArraySize(c.items);
    cJSON **v = n ? malloc((size_t)n * sizeof *v) : NULL;
    cJSON *sorted = cJSON_CreateArray();
    if (n && !v) {
        cJSON_Delete(c.items);
        cJSON_Delete(sorted);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    for (int i = n - 1; i >= 0; i--)
        v[i] = cJSON_DetachItemFromArray(c.items, i);
    if (n)
        qsort(v, (size_t)n, sizeof *v, by_deleted_desc);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(sorted, v[i]);
    free(v);
    cJSON_Delete(c.items);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "results", sorted);
    *result = res;
    return 0;
}

typedef struct restore_ctx {
    uint8_t id[16];
    const char *actor;
    cJSON *rec; /* out */
} restore_ctx;

typedef struct vector_ctx {
    const embedder *emb;
    const cJSON *rec;
    const float *vec;
    int dim;
} vector_ctx;

static int vector_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    vector_ctx *c = vctx;
    return memory_put_vector(txn, db, c->emb, c->rec, c->vec, c->dim, err);
}

static int restore_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    restore_ctx *c = vctx;
    cJSON_Delete(c->rec);
    c->rec = NULL;
    MDB_val k = {16, c->id}, v;
    int rc = mdb_get(txn, db->trash, &k, &v);
    if (rc == MDB_NOTFOUND)
        return err_set(err, MEM0_ENOTFOUND, "No deleted memory with that id in the trash");
    if (rc)
        return store_fail(err, rc, "mdb_get(trash)");
    cJSON *entry = cJSON_ParseWithLength(v.mv_data, v.mv_size);
    cJSON *rec = entry ? cJSON_DetachItemFromObjectCaseSensitive(entry, "memory") : NULL;
    cJSON_Delete(entry);
    if (!cJSON_IsObject(rec)) {
        cJSON_Delete(rec);
        return err_set(err, MEM0_EIO, "a trash entry is damaged");
    }
    cJSON *live;
    rc = record_load(txn, db, c->id, &live, err);
    cJSON_Delete(live);
    if (rc == 0) {
        cJSON_Delete(rec);
        return err_set(err, MEM0_EINVAL, "a live memory already has that id");
    }
    if (rc != MEM0_ENOTFOUND || (rc = record_put(txn, db, rec, 1, err)) ||
        (rc = history_add(txn, db, rec, "ADD", NULL, record_str(rec, "memory"), c->actor,
                          time_now_us(), err))) {
        cJSON_Delete(rec);
        return rc;
    }
    if ((rc = mdb_del(txn, db->trash, &k, NULL))) {
        cJSON_Delete(rec);
        return store_fail(err, rc, "mdb_del(trash)");
    }
    c->rec = rec;
    return 0;
}

int mem0_restore(mem0 *m, const char *memory_id, const char *actor, cJSON **memory,
                 mem0_err *err)
{
    *memory = NULL;
    restore_ctx c = {{0}, actor && *actor ? actor : "api", NULL};
    if (!memory_id || uuid_parse(memory_id, c.id) != 0)
        return err_set(err, MEM0_EINVAL, "Invalid memory_id '%.64s': expected a UUID",
                       memory_id ? memory_id : "");
    int rc = store_write(m->st, restore_txn, &c, err);
    if (rc) {
        cJSON_Delete(c.rec);
        return rc;
    }
    /* Its vector left with it; embed it again (lexical search works meanwhile). */
    const char *text = record_str(c.rec, "memory");
    vector_ctx v = {m->emb, c.rec, NULL, 0};
    float *vec = text && m->emb ? memory_embed(m, &text, 1, &v.dim) : NULL;
    if (vec) {
        v.vec = vec;
        mem0_err verr;
        store_write(m->st, vector_txn, &v, &verr);
        free(vec);
    }
    *memory = c.rec;
    return 0;
}
