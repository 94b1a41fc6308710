/* transfer.c: export, import, backup and id-prefix lookup (see transfer.h). */
#include "transfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory.h"
#include "record.h"
#include "redact.h"
#include "timeutil.h"

#define SIGN_BIT (1ULL << 63)
/* An import batch is also cut when its lines add up to this many bytes. */
#define BATCH_MAX_BYTES ((size_t)64 << 20)

static const char *const scope_fields[4] = {"user_id", "agent_id", "app_id", "run_id"};

/* ---- Export ------------------------------------------------------------------------- */

typedef struct export_ctx {
    FILE *out;
    int ran;
    size_t emitted; /* memories written from the listing index */
} export_ctx;

/* Writes {"type":type[,"seq":seq],key:payload} and a newline; takes payload. */
static int emit(FILE *out, const char *type, long seq, const char *key, cJSON *payload,
                mem0_err *err)
{
    cJSON *line = cJSON_CreateObject();
    if (!line || !cJSON_AddStringToObject(line, "type", type) ||
        (seq >= 0 && !cJSON_AddNumberToObject(line, "seq", (double)seq))) {
        cJSON_Delete(line);
        cJSON_Delete(payload);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    cJSON_AddItemToObject(line, key, payload);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    int bad = fputs(text, out) < 0 || fputc('\n', out) == EOF;
    free(text);
    if (bad) return err_set(err, MEM0_EIO, "writing the export: %s", strerror(errno));
    return 0;
}

static cJSON *parse_value(const MDB_val *v, const char *what, mem0_err *err)
{
    cJSON *j = cJSON_ParseWithLength(v->mv_data, v->mv_size);
    if (!j) err_set(err, MEM0_EIO, "a stored %s is not valid JSON (run `mem0-mcp doctor`)", what);
    return j;
}

/* Live memories in the order of the '*' listing index: created_at, then id. */
static int export_memories(MDB_txn *txn, const store_dbs *db, export_ctx *c, mem0_err *err)
{
    uint8_t prefix[4];
    size_t plen = key_scope_prefix(prefix, '*', "");
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_scope, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(by_scope)");
    MDB_val k = {plen, prefix}, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != plen + 24 || memcmp(k.mv_data, prefix, plen) != 0) break;
        const uint8_t *key = k.mv_data;
        MDB_val idk = {16, (void *)(key + plen + 8)}, rv;
        int g = mdb_get(txn, db->records, &idk, &rv);
        if (g == MDB_NOTFOUND) continue; /* an index entry without its record: doctor reports it */
        if (g) {
            ret = store_fail(err, g, "mdb_get(records)");
            break;
        }
        cJSON *rec = parse_value(&rv, "record", err);
        if (!rec) {
            ret = MEM0_EIO;
            break;
        }
        /* A stale entry (its record has another created_at) would list a record twice. */
        if (((uint64_t)record_created_us(rec) ^ SIGN_BIT) != be64_get(key + plen)) {
            cJSON_Delete(rec);
            continue;
        }
        if ((ret = emit(c->out, "memory", -1, "memory", rec, err))) break;
        c->emitted++;
    }
    mdb_cursor_close(cur);
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get(by_scope)");
    return ret;
}

/* Records the listing index misses (doctor reports them) still belong in the export. */
static int export_unlisted(MDB_txn *txn, const store_dbs *db, export_ctx *c, mem0_err *err)
{
    MDB_stat ms;
    int rc = mdb_stat(txn, db->records, &ms);
    if (rc) return store_fail(err, rc, "mdb_stat(records)");
    if (ms.ms_entries <= c->emitted) return 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->records, &cur)))
        return store_fail(err, rc, "mdb_cursor_open(records)");
    MDB_val k, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !ret;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16) continue;
        cJSON *rec = parse_value(&v, "record", err);
        if (!rec) {
            ret = MEM0_EIO;
            break;
        }
        uint8_t key[32];
        size_t n = key_scope(key, '*', "", record_created_us(rec), k.mv_data);
        MDB_val ik = {n, key}, iv;
        int g = mdb_get(txn, db->by_scope, &ik, &iv);
        if (g == 0)
            cJSON_Delete(rec);
        else if (g == MDB_NOTFOUND)
            ret = emit(c->out, "memory", -1, "memory", rec, err);
        else {
            cJSON_Delete(rec);
            ret = store_fail(err, g, "mdb_get(by_scope)");
        }
    }
    mdb_cursor_close(cur);
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get(records)");
    return ret;
}

/* Every entry of db in key order: trash entries by id, history by memory id and time. */
static int export_db(MDB_txn *txn, MDB_dbi dbi, const char *type, export_ctx *c, mem0_err *err)
{
    int history = strcmp(type, "history") == 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open");
    MDB_val k, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !ret;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        long seq = -1;
        if (history) {
            if (k.mv_size != 28) continue;
            const uint8_t *p = k.mv_data;
            seq = (long)((uint32_t)p[24] << 24 | (uint32_t)p[25] << 16 | (uint32_t)p[26] << 8 |
                         p[27]);
        }
        cJSON *item = parse_value(&v, type, err);
        ret = item ? emit(c->out, type, seq, type, item, err) : MEM0_EIO;
    }
    mdb_cursor_close(cur);
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get");
    return ret;
}

/* One read transaction, so the export is a consistent snapshot.  It writes to the caller's
 * stream from inside the transaction, which is safe because a read callback is only run
 * again after MDB_MAP_FULL, which reads never return; `ran` guards that anyway. */
static int export_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    export_ctx *c = vctx;
    if (c->ran) return err_set(err, MEM0_EBUSY, "the export was interrupted; run it again");
    c->ran = 1;
    int rc = export_memories(txn, db, c, err);
    if (!rc) rc = export_unlisted(txn, db, c, err);
    if (!rc) rc = export_db(txn, db->trash, "trash", c, err);
    if (!rc) rc = export_db(txn, db->history, "history", c, err);
    return rc;
}

int mem0_export(mem0 *m, FILE *out, mem0_err *err)
{
    export_ctx c = {out, 0, 0};
    int rc = store_read(m->st, export_txn, &c, err);
    if (rc) return rc;
    if (fflush(out) != 0 || ferror(out))
        return err_set(err, MEM0_EIO, "writing the export: %s", strerror(errno));
    return 0;
}

/* ---- Import: checking lines --------------------------------------------------------- */

typedef enum item_kind { ITEM_MEMORY, ITEM_TRASH, ITEM_HISTORY } item_kind;

typedef struct import_item {
    item_kind kind;
    int fresh;   /* a memory given without id: skip it if its scope holds the same text */
    int has_seq; /* history: seq given by the export */
    uint32_t seq;
    uint8_t id[16];  /* the memory's id */
    int64_t time_us; /* history: the item's time */
    cJSON *obj;      /* the record, trash entry or history item to store */
} import_item;

#define REJECT (-1000) /* a line that cannot be imported; `why` says why */

static int reject(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int reject(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return REJECT;
}

/* Puts item under name, replacing in place (so field order survives) or appending. */
static int set_field(cJSON *obj, const char *name, cJSON *item)
{
    if (!item) return MEM0_ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item) ? 0 : MEM0_ENOMEM;
    return cJSON_AddItemToObject(obj, name, item) ? 0 : MEM0_ENOMEM;
}

/* A time field: absent or null takes fallback (NULL: rejected); otherwise ISO 8601. */
static int check_time(cJSON *rec, const char *name, const char *fallback, int64_t *t_us, char *why,
                      size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
    if (!v || cJSON_IsNull(v)) {
        if (!fallback) return reject(why, n, "%s is missing", name);
        return set_field(rec, name, cJSON_CreateString(fallback));
    }
    int64_t t;
    if (!cJSON_IsString(v) || time_parse(v->valuestring, &t) != 0)
        return reject(why, n, "%s is not an ISO 8601 time", name);
    if (t_us) *t_us = t;
    return 0;
}

/* Validates one record and completes it in place: canonical id, redacted text and
 * metadata, recomputed hash, every field present. */
static int check_record(const mem0 *m, cJSON *rec, int64_t now, uint8_t id[16], char *why, size_t n)
{
    if (!cJSON_IsObject(rec)) return reject(why, n, "%s is not a JSON object", "the memory");
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(rec, "id");
    if (!cJSON_IsString(idv) || uuid_parse(idv->valuestring, id) != 0)
        return reject(why, n, "%s is not a UUID", "id");
    char canon[UUID_STR_LEN + 1];
    uuid_format(id, canon);
    int rc;
    if (strcmp(canon, idv->valuestring) != 0 &&
        (rc = set_field(rec, "id", cJSON_CreateString(canon))))
        return rc;

    const cJSON *text = cJSON_GetObjectItemCaseSensitive(rec, "memory");
    if (!cJSON_IsString(text) || !text->valuestring[0])
        return reject(why, n, "%s is missing or empty", "memory");
    size_t len = strlen(text->valuestring);
    if (len > RECORD_MAX_TEXT) return reject(why, n, "%s is longer than 256 KiB", "memory");
    if (!utf8_valid(text->valuestring, len))
        return reject(why, n, "%s is not valid UTF-8", "memory");
    char *clean = redact_text(text->valuestring, m->settings.redact_secrets, NULL);
    if (!clean) return MEM0_ENOMEM;
    char hash[33];
    record_hash(clean, hash);
    if (!*clean)
        rc = reject(why, n, "%s is empty once <private> content is removed", "memory");
    else if (strcmp(clean, text->valuestring) != 0)
        rc = set_field(rec, "memory", cJSON_CreateString(clean));
    else
        rc = 0;
    free(clean);
    if (rc || (rc = set_field(rec, "hash", cJSON_CreateString(hash)))) return rc;

    cJSON *meta = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    if (!meta)
        rc = set_field(rec, "metadata", cJSON_CreateNull());
    else if (cJSON_IsObject(meta))
        rc = redact_json(meta, m->settings.redact_secrets, NULL);
    else if (!cJSON_IsNull(meta))
        rc = reject(why, n, "%s must be an object or null", "metadata");
    if (rc) return rc;

    const cJSON *cats = cJSON_GetObjectItemCaseSensitive(rec, "categories");
    if (!cats || cJSON_IsNull(cats)) {
        if ((rc = set_field(rec, "categories", cJSON_CreateArray()))) return rc;
    } else if (!cJSON_IsArray(cats)) {
        return reject(why, n, "%s must be an array of strings", "categories");
    } else {
        for (const cJSON *c = cats->child; c; c = c->next)
            if (!cJSON_IsString(c))
                return reject(why, n, "%s must be an array of strings", "categories");
    }

    int scoped = 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, scope_fields[i]);
        if (!v || (cJSON_IsString(v) && !v->valuestring[0])) {
            if ((rc = set_field(rec, scope_fields[i], cJSON_CreateNull()))) return rc;
        } else if (cJSON_IsString(v)) {
            if (!entity_id_valid(v->valuestring))
                return reject(why, n, "%s is not a valid entity id", scope_fields[i]);
            scoped = 1;
        } else if (!cJSON_IsNull(v)) {
            return reject(why, n, "%s must be a string or null", scope_fields[i]);
        }
    }
    /* Like an add: a memory without any scope belongs to the local user. */
    if (!scoped && (rc = set_field(rec, "user_id", cJSON_CreateString(m->user)))) return rc;

    char when[ISO_TIME_LEN + 1];
    time_format_iso(now, when);
    if ((rc = check_time(rec, "created_at", when, NULL, why, n))) return rc;
    const char *created = record_str(rec, "created_at");
    if ((rc = check_time(rec, "updated_at", created, NULL, why, n))) return rc;

    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rec, "expiration_date");
    if (!exp || (cJSON_IsString(exp) && !exp->valuestring[0])) {
        if ((rc = set_field(rec, "expiration_date", cJSON_CreateNull()))) return rc;
    } else if (!cJSON_IsNull(exp) && (!cJSON_IsString(exp) || !date_valid(exp->valuestring))) {
        return reject(why, n, "%s is not a YYYY-MM-DD date", "expiration_date");
    }
    /* A dump of search results carries scores; they are not part of a memory. */
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "score");
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "score_details");
    return 0;
}

static int check_trash(const mem0 *m, cJSON *entry, int64_t now, uint8_t id[16], char *why,
                       size_t n)
{
    if (!cJSON_IsObject(entry)) return reject(why, n, "%s is not a JSON object", "the trash entry");
    int rc = check_record(m, cJSON_GetObjectItemCaseSensitive(entry, "memory"), now, id, why, n);
    if (rc) return rc;
    return check_time(entry, "deleted_at", NULL, NULL, why, n);
}

static int check_history(const mem0 *m, cJSON *h, const cJSON *seq, import_item *it, char *why,
                         size_t n)
{
    if (!cJSON_IsObject(h)) return reject(why, n, "%s is not a JSON object", "the history item");
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(h, "memory_id");
    if (!cJSON_IsString(mid) || uuid_parse(mid->valuestring, it->id) != 0)
        return reject(why, n, "%s is not a UUID", "memory_id");
    char canon[UUID_STR_LEN + 1];
    uuid_format(it->id, canon);
    int rc;
    if (strcmp(canon, mid->valuestring) != 0 &&
        (rc = set_field(h, "memory_id", cJSON_CreateString(canon))))
        return rc;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(h, "event");
    if (!cJSON_IsString(ev) || !ev->valuestring[0]) return reject(why, n, "%s is missing", "event");
    if ((rc = check_time(h, "created_at", NULL, &it->time_us, why, n))) return rc;
    if (seq) {
        if (!cJSON_IsNumber(seq) || seq->valuedouble < 0 || seq->valuedouble > 4294967295.0 ||
            seq->valuedouble != (double)(uint32_t)seq->valuedouble)
            return reject(why, n, "%s is not an integer in 0..2^32-1", "seq");
        it->has_seq = 1;
        it->seq = (uint32_t)seq->valuedouble;
    }
    return redact_json(h, m->settings.redact_secrets, NULL);
}

/* A memory line of another tool without an id: a fresh id goes first. */
static cJSON *with_fresh_id(cJSON *obj)
{
    uint8_t bin[16];
    char id[UUID_STR_LEN + 1];
    uuid_v4(bin, id);
    cJSON *rec = cJSON_CreateObject();
    if (!rec || !cJSON_AddStringToObject(rec, "id", id)) {
        cJSON_Delete(rec);
        return NULL;
    }
    while (obj->child) {
        cJSON *item = cJSON_DetachItemViaPointer(obj, obj->child);
        cJSON_AddItemToObject(rec, item->string, item);
    }
    return rec;
}

/* Parses one line into *it: 1 to import, 0 for a blank line, REJECT with why, or an error. */
static int parse_line(const mem0 *m, const char *line, size_t len, int64_t now, import_item *it,
                      char *why, size_t n)
{
    memset(it, 0, sizeof *it);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                   line[len - 1] == '\t'))
        len--;
    size_t start = 0;
    while (start < len && (line[start] == ' ' || line[start] == '\t'))
        start++;
    if (start == len) return 0;
    if (!utf8_valid(line + start, len - start)) return reject(why, n, "%s", "not valid UTF-8");
    cJSON *o = cJSON_ParseWithLength(line + start, len - start);
    if (!o) return reject(why, n, "%s", "not valid JSON");
    int rc;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "memory");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (!cJSON_IsObject(o)) {
        rc = reject(why, n, "%s", "not a JSON object");
    } else if (strcmp(t, "memory") == 0 && cJSON_IsObject(text)) {
        it->kind = ITEM_MEMORY;
        it->obj = cJSON_DetachItemFromObjectCaseSensitive(o, "memory");
        rc = check_record(m, it->obj, now, it->id, why, n);
    } else if (strcmp(t, "trash") == 0) {
        it->kind = ITEM_TRASH;
        it->obj = cJSON_DetachItemFromObjectCaseSensitive(o, "trash");
        rc = check_trash(m, it->obj, now, it->id, why, n);
    } else if (strcmp(t, "history") == 0) {
        it->kind = ITEM_HISTORY;
        it->obj = cJSON_DetachItemFromObjectCaseSensitive(o, "history");
        rc = check_history(m, it->obj, cJSON_GetObjectItemCaseSensitive(o, "seq"), it, why, n);
    } else if (cJSON_IsString(text)) {
        /* A bare memory object, or another tool's {"memory": "text", ...}. */
        it->kind = ITEM_MEMORY;
        if (strcmp(t, "memory") == 0) /* {"type":"memory","memory":"text"}: not a field */
            cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
        if (cJSON_GetObjectItemCaseSensitive(o, "id")) {
            it->obj = o;
            o = NULL;
        } else {
            it->fresh = 1;
            it->obj = with_fresh_id(o);
        }
        rc = it->obj ? check_record(m, it->obj, now, it->id, why, n) : MEM0_ENOMEM;
    } else if (*t) {
        rc = reject(why, n, "unknown line type '%.40s'", t);
    } else {
        rc = reject(why, n, "%s", "no \"type\" and no \"memory\" text");
    }
    cJSON_Delete(o);
    if (rc) {
        cJSON_Delete(it->obj);
        it->obj = NULL;
        return rc;
    }
    return 1;
}

/* ---- Import: writing batches -------------------------------------------------------- */

typedef struct import_batch {
    import_item *items;
    size_t n;
    size_t bytes;
    long added, skipped, history; /* out, reset by each run of the transaction */
} import_batch;

static int has_key(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t n, mem0_err *err)
{
    MDB_val k = {n, (void *)key}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0) return 1;
    return rc == MDB_NOTFOUND ? 0 : store_fail(err, rc, "mdb_get");
}

static int put_json(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t n, const cJSON *obj,
                    mem0_err *err)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    MDB_val k = {n, (void *)key}, v = {strlen(text), text};
    int rc = mdb_put(txn, dbi, &k, &v, 0);
    free(text);
    return rc ? store_fail(err, rc, "mdb_put") : 0;
}

static int import_memory(MDB_txn *txn, const store_dbs *db, import_batch *b, const import_item *it,
                         mem0_err *err)
{
    int rc = has_key(txn, db->records, it->id, 16, err);
    if (rc == 0) rc = has_key(txn, db->trash, it->id, 16, err);
    if (rc == 0 && it->fresh) {
        char found[UUID_STR_LEN + 1];
        rc = record_find_duplicate(txn, db, it->obj, found, err);
    }
    if (rc < 0) return rc;
    if (rc == 1) {
        b->skipped++;
        return 0;
    }
    if (it->kind == ITEM_MEMORY)
        rc = record_put(txn, db, it->obj, 1, err);
    else /* trashed memories are out of every index and count, as after a delete */
        rc = put_json(txn, db->trash, it->id, 16, it->obj, err);
    if (rc == 0) b->added++;
    return rc;
}

/* History keys are memory id, time and seq; items already there are left alone.  Without a
 * seq (another tool's file) the first free seq is taken unless the same item is there. */
static int import_history(MDB_txn *txn, const store_dbs *db, import_batch *b, const import_item *it,
                          mem0_err *err)
{
    char *text = cJSON_PrintUnformatted(it->obj);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    size_t tlen = strlen(text);
    uint8_t key[28];
    memcpy(key, it->id, 16);
    be64_put(key + 16, (uint64_t)it->time_us ^ SIGN_BIT);
    int ret = 0;
    for (uint64_t seq = it->has_seq ? it->seq : 0; seq <= UINT32_MAX; seq++) {
        key[24] = (uint8_t)(seq >> 24);
        key[25] = (uint8_t)(seq >> 16);
        key[26] = (uint8_t)(seq >> 8);
        key[27] = (uint8_t)seq;
        MDB_val k = {28, key}, v;
        int rc = mdb_get(txn, db->history, &k, &v);
        if (rc == 0) {
            if (it->has_seq || (v.mv_size == tlen && memcmp(v.mv_data, text, tlen) == 0)) break;
            continue;
        }
        if (rc != MDB_NOTFOUND) {
            ret = store_fail(err, rc, "mdb_get(history)");
            break;
        }
        v.mv_size = tlen;
        v.mv_data = text;
        if ((rc = mdb_put(txn, db->history, &k, &v, 0)))
            ret = store_fail(err, rc, "mdb_put(history)");
        else
            b->history++;
        break;
    }
    free(text);
    return ret;
}

static int import_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    import_batch *b = vctx;
    b->added = b->skipped = b->history = 0;
    for (size_t i = 0; i < b->n; i++) {
        const import_item *it = &b->items[i];
        int rc = it->kind == ITEM_HISTORY ? import_history(txn, db, b, it, err)
                                          : import_memory(txn, db, b, it, err);
        if (rc) return rc;
    }
    return 0;
}

static void batch_clear(import_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        cJSON_Delete(b->items[i].obj);
    b->n = 0;
    b->bytes = 0;
}

static int batch_flush(mem0 *m, import_batch *b, mem0_import_stats *stats, mem0_err *err)
{
    if (!b->n) return 0;
    int rc = store_write(m->st, import_txn, b, err);
    if (rc == 0) {
        stats->memories_added += b->added;
        stats->memories_skipped += b->skipped;
        stats->history_added += b->history;
    }
    batch_clear(b);
    return rc;
}

/* Lines in a regular file from the current position (-1 for a pipe or on any error). */
static long count_lines(FILE *in)
{
    struct stat st;
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    off_t start = ftello(in);
    if (start < 0) return -1;
    char buf[65536];
    long lines = 0;
    size_t got;
    char last = '\n';
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
        for (size_t i = 0; i < got; i++)
            lines += buf[i] == '\n';
        last = buf[got - 1];
    }
    if (last != '\n') lines++;
    int bad = ferror(in);
    clearerr(in);
    if (fseeko(in, start, SEEK_SET) != 0 || bad) return -1;
    return lines;
}

int mem0_import(mem0 *m, FILE *in, mem0_progress_fn progress, void *ctx, mem0_import_stats *stats,
                mem0_err *err)
{
    mem0_import_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    import_batch b = {calloc(TRANSFER_BATCH, sizeof(import_item)), 0, 0, 0, 0, 0};
    if (!b.items) return err_set(err, MEM0_ENOMEM, "out of memory");
    long total = count_lines(in), done = 0, accepted = 0;
    if (progress) progress(ctx, 0, total);
    char *line = NULL, why[256], first_why[320] = "";
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    int64_t now = time_now_us();
    while ((len = getline(&line, &cap, in)) >= 0) {
        done++;
        int r = parse_line(m, line, (size_t)len, now, &b.items[b.n], why, sizeof why);
        if (r == REJECT) {
            if (stats->lines_rejected++ == 0)
                snprintf(first_why, sizeof first_why, "line %ld: %s", done, why);
        } else if (r < 0) {
            rc = err_set(err, r, "out of memory");
            goto out;
        } else if (r == 1) {
            accepted++;
            b.n++;
            b.bytes += (size_t)len;
        }
        if (b.n == TRANSFER_BATCH || b.bytes >= BATCH_MAX_BYTES) {
            if ((rc = batch_flush(m, &b, stats, err))) goto out;
            if (progress) progress(ctx, done, total);
        }
    }
    if (ferror(in)) {
        rc = err_set(err, MEM0_EIO, "reading the import: %s", strerror(errno));
        goto out;
    }
    if ((rc = batch_flush(m, &b, stats, err))) goto out;
    if (progress) progress(ctx, done, total);
    if (stats->lines_rejected && !accepted)
        rc =
            err_set(err, MEM0_EINVAL, "nothing to import: every line was rejected (%s)", first_why);
out:
    batch_clear(&b);
    free(b.items);
    free(line);
    return rc;
}

/* ---- Backup ------------------------------------------------------------------------- */

typedef struct backup_ctx {
    int fd;
} backup_ctx;

/* Copies inside a read transaction of ours so that no re-map of this process runs while
 * LMDB's own copy transaction is open. */
static int backup_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    (void)db;
    backup_ctx *c = vctx;
    if (lseek(c->fd, 0, SEEK_SET) != 0 || ftruncate(c->fd, 0) != 0)
        return err_set(err, MEM0_EIO, "preparing the backup file: %s", strerror(errno));
    int rc = mdb_env_copyfd2(mdb_txn_env(txn), c->fd, MDB_CP_COMPACT);
    return rc ? store_fail(err, rc, "mdb_env_copyfd2") : 0;
}

/* dest must be new or an empty folder; it ends up 0700. */
static int prepare_dest(const char *dest, int *created, mem0_err *err)
{
    *created = 0;
    if (mkdir(dest, 0700) == 0) {
        *created = 1;
        return 0;
    }
    if (errno != EEXIST)
        return err_set(err, MEM0_EIO, "cannot create %s: %s", dest, strerror(errno));
    DIR *d = opendir(dest);
    if (!d)
        return err_set(err, errno == ENOTDIR ? MEM0_EINVAL : MEM0_EIO, "%s: %s", dest,
                       strerror(errno));
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
    closedir(d);
    if (!empty)
        return err_set(err, MEM0_EINVAL,
                       "%s is not empty; give a new or empty folder so nothing is overwritten",
                       dest);
    if (chmod(dest, 0700) != 0)
        return err_set(err, MEM0_EIO, "chmod %s: %s", dest, strerror(errno));
    return 0;
}

/* Copies home/settings.json next to the backup, so a restored home behaves the same. */
static int copy_settings(const char *home, const char *dest, mem0_err *err)
{
    char from[PATH_MAX + 32], to[PATH_MAX + 32];
    snprintf(from, sizeof from, "%s/settings.json", home);
    snprintf(to, sizeof to, "%s/settings.json", dest);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno == ENOENT ? 0 : err_set(err, MEM0_EIO, "%s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ret = 0;
    if (out < 0) {
        ret = err_set(err, MEM0_EIO, "%s: %s", to, strerror(errno));
        goto out;
    }
    char buf[8192];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    if (n < 0 || fsync(out) != 0)
        ret = err_set(err, MEM0_EIO, "copying settings.json: %s", strerror(errno));
out:
    if (out >= 0) close(out);
    close(in);
    return ret;
}

int mem0_backup(mem0 *m, const char *dest, mem0_err *err)
{
    if (!dest || !*dest)
        return err_set(err, MEM0_EINVAL, "give the folder to write the backup into");
    char real[PATH_MAX];
    if (realpath(dest, real) && strcmp(real, mem0_home(m)) == 0)
        return err_set(err, MEM0_EINVAL, "%s is the store itself; back up into another folder",
                       dest);
    int created, rc = prepare_dest(dest, &created, err);
    if (rc) return rc;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    backup_ctx c = {open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (c.fd < 0) {
        rc = err_set(err, MEM0_EIO, "cannot create %s: %s", path, strerror(errno));
        goto fail;
    }
    rc = store_read(m->st, backup_txn, &c, err);
    if (!rc && fsync(c.fd) != 0) rc = err_set(err, MEM0_EIO, "fsync %s: %s", path, strerror(errno));
    close(c.fd);
    if (!rc) rc = copy_settings(mem0_home(m), dest, err);
    if (!rc) {
        /* The new directory entries must survive a crash too. */
        int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        return 0;
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/settings.json", dest);
    unlink(path);
fail:
    if (created) rmdir(dest);
    return rc;
}

/* ---- Id prefixes -------------------------------------------------------------------- */

typedef struct prefix_ctx {
    int in_trash; /* 0: live records, 1: trash entries */
    uint8_t key[16];
    size_t nbytes; /* whole bytes of the prefix */
    int half;      /* the high nibble of the next byte, or -1 */
    int matches;   /* out: 0, 1 or 2 (several) */
    uint8_t found[16];
} prefix_ctx;

static int prefix_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    prefix_ctx *c = vctx;
    c->matches = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, c->in_trash ? db->trash : db->records, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open");
    uint8_t probe[16] = {0};
    memcpy(probe, c->key, c->nbytes);
    size_t plen = c->nbytes;
    if (c->half >= 0) probe[plen++] = (uint8_t)(c->half << 4);
    MDB_val k = {plen, probe}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && c->matches < 2;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size != 16 || memcmp(p, c->key, c->nbytes) != 0 ||
            (c->half >= 0 && p[c->nbytes] >> 4 != c->half))
            break;
        if (c->matches++ == 0) memcpy(c->found, p, 16);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get") : 0;
}

int transfer_resolve_id(mem0 *m, const char *text, int in_trash, char out[UUID_STR_LEN + 1],
                        mem0_err *err)
{
    uint8_t bin[16];
    if (text && uuid_parse(text, bin) == 0) {
        uuid_format(bin, out);
        return 0;
    }
    prefix_ctx c = {in_trash != 0, {0}, 0, -1, 0, {0}};
    char hex[33];
    size_t n = 0;
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '-') continue;
        if (n == 32 ||
            !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return err_set(err, MEM0_EINVAL,
                           "'%.64s' is not a memory id (a UUID, or at least its first 4 hex "
                           "digits)",
                           text ? text : "");
        hex[n++] = *p;
    }
    if (n < 4)
        return err_set(err, MEM0_EINVAL,
                       "'%.64s' is too short for a memory id prefix (give at least 4 hex digits)",
                       text ? text : "");
    for (size_t i = 0; i < n; i++) {
        char ch = hex[i];
        int v = ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
        if (i % 2 == 0)
            c.key[i / 2] = (uint8_t)(v << 4);
        else
            c.key[i / 2] |= (uint8_t)v;
    }
    c.nbytes = n / 2;
    if (n % 2) c.half = c.key[n / 2] >> 4;
    int rc = store_read(m->st, prefix_txn, &c, err);
    if (rc) return rc;
    if (c.matches == 0)
        return err_set(err, MEM0_ENOTFOUND, "no %s has an id starting with '%.32s'",
                       in_trash ? "deleted memory in the trash" : "memory", text);
    if (c.matches > 1)
        return err_set(err, MEM0_EINVAL, "'%.32s' starts several memory ids; give more of the id",
                       text);
    uuid_format(c.found, out);
    return 0;
}
