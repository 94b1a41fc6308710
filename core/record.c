/* record.c: the memory object and the index entries and counts kept beside it. */
#include "record.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lexical.h"
#include "timeutil.h"
#include "util.h"
#include "vindex.h"

static const char entity_kinds[4] = {'u', 'a', 'p', 'r'};
static const char *const entity_fields[4] = {"user_id", "agent_id", "app_id", "run_id"};
static const char *const entity_types[4] = {"user", "agent", "app", "run"};

void record_hash(const char *text, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(text, strlen(text));
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    hex_encode(c.digest, 16, out);
}

static cJSON *str_or_null(const char *s)
{
    return s && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *record_new(const char *text, const mem0_scope *scope, const cJSON *metadata,
                  const char *expiration, int64_t now_us)
{
    uint8_t bin[16];
    char id[UUID_STR_LEN + 1], hash[33], when[ISO_TIME_LEN + 1];
    uuid_v4(bin, id);
    record_hash(text, hash);
    time_format_iso(now_us, when);
    cJSON *r = cJSON_CreateObject();
    if (!r) return NULL;
    cJSON_AddItemToObject(r, "id", cJSON_CreateString(id));
    cJSON_AddItemToObject(r, "memory", cJSON_CreateString(text));
    cJSON_AddItemToObject(r, "hash", cJSON_CreateString(hash));
    cJSON_AddItemToObject(r, "metadata",
                          metadata && cJSON_IsObject(metadata) ? cJSON_Duplicate(metadata, 1)
                                                               : cJSON_CreateNull());
    cJSON_AddItemToObject(r, "categories", cJSON_CreateArray());
    cJSON_AddItemToObject(r, "user_id", str_or_null(scope->user_id));
    cJSON_AddItemToObject(r, "agent_id", str_or_null(scope->agent_id));
    cJSON_AddItemToObject(r, "app_id", str_or_null(scope->app_id));
    cJSON_AddItemToObject(r, "run_id", str_or_null(scope->run_id));
    cJSON_AddItemToObject(r, "created_at", cJSON_CreateString(when));
    cJSON_AddItemToObject(r, "updated_at", cJSON_CreateString(when));
    cJSON_AddItemToObject(r, "expiration_date", str_or_null(expiration));
    /* Each builder returns NULL on allocation failure; one missing field means OOM. */
    if (cJSON_GetArraySize(r) != 12) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

const char *record_str(const cJSON *rec, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

int64_t record_created_us(const cJSON *rec)
{
    int64_t t = 0;
    const char *s = record_str(rec, "created_at");
    if (!s || time_parse(s, &t) != 0) return 0;
    return t;
}

int record_expired(const cJSON *rec, int64_t now_us)
{
    return date_expired(record_str(rec, "expiration_date"), now_us);
}

void record_scope_digest(const cJSON *rec, uint8_t out[16])
{
    XXH3_state_t *s = XXH3_createState();
    XXH3_128bits_reset(s);
    for (int i = 0; i < 4; i++) {
        const char *v = record_str(rec, entity_fields[i]);
        if (v) XXH3_128bits_update(s, v, strlen(v));
        XXH3_128bits_update(s, "\0", 1);
    }
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s));
    XXH3_freeState(s);
    memcpy(out, c.digest, 16);
}

static int record_id(const cJSON *rec, uint8_t id[16], mem0_err *err)
{
    const char *s = record_str(rec, "id");
    if (!s || uuid_parse(s, id) != 0) return err_set(err, MEM0_EINVAL, "record has no valid id");
    return 0;
}

int record_load(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], cJSON **out, mem0_err *err)
{
    *out = NULL;
    MDB_val k = {16, (void *)id}, v;
    int rc = mdb_get(txn, db->records, &k, &v);
    if (rc == MDB_NOTFOUND) return err_set(err, MEM0_ENOTFOUND, "Memory not found");
    if (rc) return store_fail(err, rc, "mdb_get(records)");
    *out = cJSON_ParseWithLength(v.mv_data, v.mv_size);
    if (!*out)
        return err_set(err, MEM0_EIO, "a stored record is not valid JSON (run `mem0-mcp doctor`)");
    return 0;
}

static int put_empty(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t n, const char *call,
                     mem0_err *err)
{
    MDB_val k = {n, (void *)key}, v = {0, (void *)""};
    int rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc ? store_fail(err, rc, call) : 0;
}

static int del_key(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t n, const char *call,
                   mem0_err *err)
{
    MDB_val k = {n, (void *)key};
    int rc = mdb_del(txn, dbi, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, call) : 0;
}

/* Adds delta to the entity's total_memories, creating the entity record when missing. */
static int entity_bump(MDB_txn *txn, const store_dbs *db, const char *owner, int kind,
                       const char *name, int delta, const char *when, mem0_err *err)
{
    uint8_t key[STORE_MAX_KEY];
    size_t n = key_entity(key, owner, entity_kinds[kind], name);
    if (!n) return err_set(err, MEM0_EINVAL, "entity id too long");
    MDB_val k = {n, key}, v;
    cJSON *ent = NULL;
    int rc = mdb_get(txn, db->entities, &k, &v);
    if (rc == 0)
        ent = cJSON_ParseWithLength(v.mv_data, v.mv_size);
    else if (rc != MDB_NOTFOUND)
        return store_fail(err, rc, "mdb_get(entities)");
    if (!ent) {
        if (delta < 0) return 0;
        ent = cJSON_CreateObject();
        cJSON_AddStringToObject(ent, "type", entity_types[kind]);
        cJSON_AddStringToObject(ent, "name", name);
        cJSON_AddNumberToObject(ent, "total_memories", 0);
        cJSON_AddStringToObject(ent, "created_at", when);
        cJSON_AddStringToObject(ent, "updated_at", when);
    }
    cJSON *total = cJSON_GetObjectItemCaseSensitive(ent, "total_memories");
    double count = cJSON_IsNumber(total) ? total->valuedouble + delta : delta;
    cJSON_ReplaceItemInObjectCaseSensitive(ent, "total_memories",
                                           cJSON_CreateNumber(count < 0 ? 0 : count));
    cJSON_ReplaceItemInObjectCaseSensitive(ent, "updated_at", cJSON_CreateString(when));
    char *text = cJSON_PrintUnformatted(ent);
    cJSON_Delete(ent);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    v.mv_size = strlen(text);
    v.mv_data = text;
    rc = mdb_put(txn, db->entities, &k, &v, 0);
    free(text);
    return rc ? store_fail(err, rc, "mdb_put(entities)") : 0;
}

static int entities_bump(MDB_txn *txn, const store_dbs *db, const cJSON *rec, int delta,
                         mem0_err *err)
{
    const char *owner = record_str(rec, "user_id");
    char when[ISO_TIME_LEN + 1];
    time_format_iso(time_now_us(), when);
    for (int i = 0; i < 4; i++) {
        const char *name = record_str(rec, entity_fields[i]);
        if (!name) continue;
        int rc = entity_bump(txn, db, owner ? owner : "", i, name, delta, when, err);
        if (rc) return rc;
    }
    return 0;
}

/* Calls fn for each index key of rec (by_scope, by_hash, by_expiry). */
typedef int (*key_fn)(MDB_txn *, MDB_dbi, const void *, size_t, const char *, mem0_err *);
static int for_each_index_key(MDB_txn *txn, const store_dbs *db, const cJSON *rec, key_fn fn,
                              mem0_err *err)
{
    uint8_t id[16], key[STORE_MAX_KEY];
    int rc = record_id(rec, id, err);
    if (rc) return rc;
    int64_t created = record_created_us(rec);
    if ((rc = fn(txn, db->by_scope, key, key_scope(key, '*', "", created, id), "by_scope", err)))
        return rc;
    for (int i = 0; i < 4; i++) {
        const char *name = record_str(rec, entity_fields[i]);
        if (!name) continue;
        size_t n = key_scope(key, entity_kinds[i], name, created, id);
        if (!n) return err_set(err, MEM0_EINVAL, "%s too long", entity_fields[i]);
        if ((rc = fn(txn, db->by_scope, key, n, "by_scope", err))) return rc;
    }
    const char *hash = record_str(rec, "hash");
    uint8_t hbin[16] = {0};
    if (hash && strlen(hash) == 32) {
        for (int i = 0; i < 16; i++) {
            unsigned v;
            sscanf(hash + 2 * i, "%2x", &v);
            hbin[i] = (uint8_t)v;
        }
    }
    record_scope_digest(rec, key);
    memcpy(key + 16, hbin, 16);
    memcpy(key + 32, id, 16);
    if ((rc = fn(txn, db->by_hash, key, 48, "by_hash", err))) return rc;
    const char *exp = record_str(rec, "expiration_date");
    if (exp && strlen(exp) == 10) {
        memcpy(key, exp, 10);
        memcpy(key + 10, id, 16);
        if ((rc = fn(txn, db->by_expiry, key, 26, "by_expiry", err))) return rc;
    }
    return 0;
}

int record_put(MDB_txn *txn, const store_dbs *db, const cJSON *rec, int is_new, mem0_err *err)
{
    uint8_t id[16];
    int rc = record_id(rec, id, err);
    if (rc) return rc;
    char *text = cJSON_PrintUnformatted(rec);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    MDB_val k = {16, id}, v = {strlen(text), text};
    rc = mdb_put(txn, db->records, &k, &v, 0);
    free(text);
    if (rc) return store_fail(err, rc, "mdb_put(records)");
    if ((rc = for_each_index_key(txn, db, rec, put_empty, err))) return rc;
    /* After the by_scope keys: the lexical index finds run neighbours through them. */
    if ((rc = lexical_put(txn, db, rec, err))) return rc;
    return is_new ? entities_bump(txn, db, rec, 1, err) : 0;
}

int record_remove(MDB_txn *txn, const store_dbs *db, const cJSON *rec, int is_gone, mem0_err *err)
{
    uint8_t id[16];
    int rc = record_id(rec, id, err);
    if (rc) return rc;
    if ((rc = lexical_remove(txn, db, rec, err)) ||
        (rc = del_key(txn, db->records, id, 16, "mdb_del(records)", err)))
        return rc;
    if ((rc = for_each_index_key(txn, db, rec, del_key, err))) return rc;
    /* An update re-puts the record and keeps its vector unless the text changed. */
    if (is_gone && (rc = vindex_delete(txn, db, id, err))) return rc;
    return is_gone ? entities_bump(txn, db, rec, -1, err) : 0;
}

int record_find_duplicate(MDB_txn *txn, const store_dbs *db, const cJSON *rec, char *found_id,
                          mem0_err *err)
{
    uint8_t key[48];
    record_scope_digest(rec, key);
    const char *hash = record_str(rec, "hash");
    if (!hash || strlen(hash) != 32) return 0;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        sscanf(hash + 2 * i, "%2x", &v);
        key[16 + i] = (uint8_t)v;
    }
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_hash, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(by_hash)");
    MDB_val k = {32, key}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int found = 0;
    if (rc == 0 && k.mv_size == 48 && memcmp(k.mv_data, key, 32) == 0) {
        uuid_format((const uint8_t *)k.mv_data + 32, found_id);
        found = 1;
    } else if (rc && rc != MDB_NOTFOUND) {
        found = store_fail(err, rc, "mdb_cursor_get(by_hash)");
    }
    mdb_cursor_close(cur);
    return found;
}

int history_add(MDB_txn *txn, const store_dbs *db, const cJSON *rec, const char *event,
                const char *old_text, const char *new_text, const char *actor, int64_t now_us,
                mem0_err *err)
{
    uint8_t key[28];
    int rc = record_id(rec, key, err);
    if (rc) return rc;
    /* seq orders events of one memory that share a microsecond (and survives clock skew). */
    uint32_t seq = 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->history, &cur)))
        return store_fail(err, rc, "mdb_cursor_open(history)");
    uint8_t probe[17];
    memcpy(probe, key, 16);
    probe[16] = 0xff;
    MDB_val k = {17, probe}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 28 && memcmp(k.mv_data, key, 16) == 0) {
        const uint8_t *p = k.mv_data;
        int64_t last = (int64_t)(be64_get(p + 16) ^ (1ULL << 63));
        if (last >= now_us) {
            now_us = last;
            seq = (uint32_t)(p[24] << 24 | p[25] << 16 | p[26] << 8 | p[27]) + 1;
        }
    }
    mdb_cursor_close(cur);
    be64_put(key + 16, (uint64_t)now_us ^ (1ULL << 63));
    key[24] = (uint8_t)(seq >> 24);
    key[25] = (uint8_t)(seq >> 16);
    key[26] = (uint8_t)(seq >> 8);
    key[27] = (uint8_t)seq;

    uint8_t hid[16];
    char hid_s[UUID_STR_LEN + 1], when[ISO_TIME_LEN + 1];
    uuid_v4(hid, hid_s);
    time_format_iso(now_us, when);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "id", hid_s);
    cJSON_AddStringToObject(h, "memory_id", record_str(rec, "id"));
    cJSON_AddStringToObject(h, "event", event);
    cJSON_AddItemToObject(h, "old_memory", str_or_null(old_text));
    cJSON_AddItemToObject(h, "new_memory", str_or_null(new_text));
    for (int i = 0; i < 4; i++)
        cJSON_AddItemToObject(h, entity_fields[i], str_or_null(record_str(rec, entity_fields[i])));
    cJSON_AddItemToObject(h, "actor", str_or_null(actor));
    cJSON_AddStringToObject(h, "created_at", when);
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    if (!text) return err_set(err, MEM0_ENOMEM, "out of memory");
    k.mv_size = 28;
    k.mv_data = key;
    v.mv_size = strlen(text);
    v.mv_data = text;
    rc = mdb_put(txn, db->history, &k, &v, 0);
    free(text);
    return rc ? store_fail(err, rc, "mdb_put(history)") : 0;
}
