/*
 * store_check: verifies, without the core's read paths, that every index entry of a store
 * is in step with its records (integration tests; see the key layout at the top of
 * core/store.h).
 *
 *   store_check [--records N] [--history N] [--no-entities] HOME
 *   store_check --readers HOME
 *
 * Opens HOME's LMDB environment read-only and checks:
 *   - each record parses, its key is its id, its hash is XXH3-128 of its text;
 *   - each record has its by_scope '*' entry, one by_scope entry per set entity id,
 *     its by_hash entry (scope digest, content hash, id) and, with an expiration_date,
 *     its by_expiry entry;
 *   - no index entry points at a missing record (every by_scope, by_hash, by_expiry key
 *     is accounted for by exactly one record);
 *   - every record has an ADD in its history, and every history item parses;
 *   - entity counts equal the number of live records of that (owner, kind, name)
 *     (skipped with --no-entities, for stores with trashed memories).
 * Prints one JSON summary line on stdout, each problem on stderr, and exits 1 if any
 * problem was found or a given --records/--history count differs, 2 on usage or I/O error.
 *
 * --readers only lists the reader table: {"readers":N,"stale":M}, where stale slots
 * belong to processes that no longer exist.  It opens no transaction and does not clear
 * anything (no mdb_reader_check), so it shows what the last process left behind.
 */
#include <errno.h>
#include <signal.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "store.h"
#include "util.h"

#define MAX_PROBLEMS_SHOWN 20

typedef struct checker {
    MDB_txn *txn;
    store_dbs db;
    long problems;
    long records, history, scope_keys, hash_keys, expiry_keys, entities;
} checker;

static void problem(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(checker *c, const char *fmt, ...)
{
    if (c->problems++ < MAX_PROBLEMS_SHOWN) {
        va_list ap;
        va_start(ap, fmt);
        fputs("store_check: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static int key_present(checker *c, MDB_dbi dbi, const void *key, size_t n)
{
    MDB_val k = {n, (void *)key}, v;
    return mdb_get(c->txn, dbi, &k, &v) == 0;
}

static long db_count(checker *c, MDB_dbi dbi)
{
    MDB_stat st;
    return mdb_stat(c->txn, dbi, &st) == 0 ? (long)st.ms_entries : -1;
}

static const char *const entity_fields[4] = {"user_id", "agent_id", "app_id", "run_id"};
static const char entity_kinds[4] = {'u', 'a', 'p', 'r'};

/* Does this record have an ADD among its history items? */
static int has_add(checker *c, const uint8_t id[16])
{
    MDB_cursor *cur;
    if (mdb_cursor_open(c->txn, c->db.history, &cur)) return 0;
    MDB_val k = {16, (void *)id}, v;
    int found = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 28 && memcmp(k.mv_data, id, 16) == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        cJSON *h = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        const char *ev = h ? record_str(h, "event") : NULL;
        if (ev && strcmp(ev, "ADD") == 0) found = 1;
        cJSON_Delete(h);
        if (found) break;
    }
    mdb_cursor_close(cur);
    return found;
}

static void check_record(checker *c, const MDB_val *k, const MDB_val *v)
{
    char idtext[UUID_STR_LEN + 1] = "?";
    if (k->mv_size == 16)
        uuid_format(k->mv_data, idtext);
    else
        problem(c, "a records key is %zu bytes, not 16", k->mv_size);
    cJSON *rec = cJSON_ParseWithLength(v->mv_data, v->mv_size);
    if (!rec) {
        problem(c, "record %s is not valid JSON", idtext);
        return;
    }
    uint8_t id[16], key[STORE_MAX_KEY];
    const char *sid = record_str(rec, "id");
    if (!sid || uuid_parse(sid, id) != 0 || k->mv_size != 16 || memcmp(id, k->mv_data, 16)) {
        problem(c, "record %s carries id %s", idtext, sid ? sid : "(none)");
        goto out;
    }
    const char *text = record_str(rec, "memory");
    const char *hash = record_str(rec, "hash");
    char want[33];
    record_hash(text ? text : "", want);
    if (!hash || strcmp(hash, want) != 0)
        problem(c, "record %s: hash %s, expected %s", sid, hash ? hash : "(none)", want);

    int64_t created = record_created_us(rec);
    if (!key_present(c, c->db.by_scope, key, key_scope(key, '*', "", created, id)))
        problem(c, "record %s: no by_scope '*' entry", sid);
    c->scope_keys++;
    for (int i = 0; i < 4; i++) {
        const char *name = record_str(rec, entity_fields[i]);
        if (!name) continue;
        size_t n = key_scope(key, entity_kinds[i], name, created, id);
        if (!n || !key_present(c, c->db.by_scope, key, n))
            problem(c, "record %s: no by_scope entry for %s=%s", sid, entity_fields[i], name);
        c->scope_keys++;
    }

    record_scope_digest(rec, key);
    for (int i = 0; i < 16; i++) {
        unsigned byte = 0;
        if (hash && strlen(hash) == 32) sscanf(hash + 2 * i, "%2x", &byte);
        key[16 + i] = (uint8_t)byte;
    }
    memcpy(key + 32, id, 16);
    if (!key_present(c, c->db.by_hash, key, 48)) problem(c, "record %s: no by_hash entry", sid);
    c->hash_keys++;

    const char *exp = record_str(rec, "expiration_date");
    if (exp && strlen(exp) == 10) {
        memcpy(key, exp, 10);
        memcpy(key + 10, id, 16);
        if (!key_present(c, c->db.by_expiry, key, 26))
            problem(c, "record %s: no by_expiry entry for %s", sid, exp);
        c->expiry_keys++;
    }
    if (!has_add(c, id)) problem(c, "record %s: no ADD in its history", sid);
out:
    cJSON_Delete(rec);
}

/* Entity counts against the live records: walks records again and tallies per entity key. */
typedef struct tally {
    char *key;
    size_t len;
    long count;
} tally;

static int tally_cmp(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static void check_entities(checker *c)
{
    tally *t = NULL;
    size_t nt = 0, cap = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(c->txn, c->db.records, &cur)) {
        problem(c, "cannot open a cursor on records");
        return;
    }
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        cJSON *rec = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        if (!rec) continue;
        const char *owner = record_str(rec, "user_id");
        for (int i = 0; i < 4; i++) {
            const char *name = record_str(rec, entity_fields[i]);
            uint8_t key[STORE_MAX_KEY];
            size_t n = name ? key_entity(key, owner ? owner : "", entity_kinds[i], name) : 0;
            if (!n) continue;
            size_t j = 0;
            while (j < nt && !(t[j].len == n && memcmp(t[j].key, key, n) == 0))
                j++;
            if (j == nt) {
                if (nt == cap) {
                    cap = cap ? cap * 2 : 16;
                    tally *grown = realloc(t, cap * sizeof *t);
                    if (!grown) {
                        problem(c, "out of memory");
                        cJSON_Delete(rec);
                        goto out;
                    }
                    t = grown;
                }
                t[nt].key = malloc(n);
                if (!t[nt].key) {
                    problem(c, "out of memory");
                    cJSON_Delete(rec);
                    goto out;
                }
                memcpy(t[nt].key, key, n);
                t[nt].len = n;
                t[nt].count = 0;
                nt++;
            }
            t[j].count++;
        }
        cJSON_Delete(rec);
    }
    if (nt) qsort(t, nt, sizeof *t, tally_cmp);
    for (size_t j = 0; j < nt; j++) {
        MDB_val ek = {t[j].len, t[j].key}, ev;
        const char *name = memchr(t[j].key, 0, t[j].len);
        int namelen = name ? (int)(t[j].len - (size_t)(name - t[j].key) - 2) : 0;
        const char *shown = name ? name + 2 : "?";
        if (mdb_get(c->txn, c->db.entities, &ek, &ev) != 0) {
            problem(c, "entity %.*s has %ld memories but no entity record", namelen, shown,
                    t[j].count);
            continue;
        }
        cJSON *ent = cJSON_ParseWithLength(ev.mv_data, ev.mv_size);
        const cJSON *total = ent ? cJSON_GetObjectItemCaseSensitive(ent, "total_memories") : NULL;
        if (!cJSON_IsNumber(total) || (long)total->valuedouble != t[j].count)
            problem(c, "entity %.*s: total_memories %ld, live records %ld", namelen, shown,
                    cJSON_IsNumber(total) ? (long)total->valuedouble : -1L, t[j].count);
        cJSON_Delete(ent);
    }
    c->entities = (long)nt;
out:
    mdb_cursor_close(cur);
    for (size_t j = 0; j < nt; j++)
        free(t[j].key);
    free(t);
}

/* Every history item parses and belongs to a 16-byte id. */
static void check_history(checker *c)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(c->txn, c->db.history, &cur)) {
        problem(c, "cannot open a cursor on history");
        return;
    }
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        cJSON *h = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        char idtext[UUID_STR_LEN + 1] = "?";
        if (k.mv_size == 28) uuid_format(k.mv_data, idtext);
        if (k.mv_size != 28 || !h || !record_str(h, "event"))
            problem(c, "history item of %s is malformed", idtext);
        else if (!record_str(h, "memory_id") || strcmp(record_str(h, "memory_id"), idtext))
            problem(c, "history item under %s names memory %s", idtext,
                    record_str(h, "memory_id") ? record_str(h, "memory_id") : "(none)");
        cJSON_Delete(h);
        c->history++;
    }
    mdb_cursor_close(cur);
}

static int open_db(MDB_txn *txn, const char *name, MDB_dbi *out)
{
    int rc = mdb_dbi_open(txn, name, 0, out);
    if (rc) fprintf(stderr, "store_check: mdb_dbi_open(%s): %s\n", name, mdb_strerror(rc));
    return rc;
}

/* mdb_reader_list callback: each line after the header is "pid thread txnid". */
static int reader_line(const char *msg, void *ctx)
{
    long *counts = ctx, pid;
    if (sscanf(msg, "%ld", &pid) == 1 && pid > 0) {
        counts[0]++;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) counts[1]++;
    }
    return 0;
}

static int list_readers(const char *home)
{
    MDB_env *env = NULL;
    int rc = mdb_env_create(&env);
    if (rc == 0 && (rc = mdb_env_open(env, home, MDB_RDONLY | MDB_NOTLS, 0600)) == 0) {
        long counts[2] = {0, 0};
        mdb_reader_list(env, reader_line, counts);
        printf("{\"readers\":%ld,\"stale\":%ld}\n", counts[0], counts[1]);
    } else {
        fprintf(stderr, "store_check: mdb_env_open(%s): %s\n", home, mdb_strerror(rc));
    }
    if (env) mdb_env_close(env);
    return rc ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--readers") == 0) return list_readers(argv[2]);
    long want_records = -1, want_history = -1;
    int entities = 1;
    const char *home = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            want_records = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--history") == 0 && i + 1 < argc)
            want_history = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--no-entities") == 0)
            entities = 0;
        else if (argv[i][0] != '-' && !home)
            home = argv[i];
        else {
            fprintf(stderr, "usage: store_check [--records N] [--history N] [--no-entities] "
                            "HOME\n");
            return 2;
        }
    }
    if (!home) {
        fprintf(stderr, "usage: store_check [--records N] [--history N] [--no-entities] HOME\n");
        return 2;
    }

    checker c = {0};
    MDB_env *env = NULL;
    int ret = 2;
    int rc = mdb_env_create(&env);
    if (rc) {
        fprintf(stderr, "store_check: mdb_env_create: %s\n", mdb_strerror(rc));
        goto out;
    }
    mdb_env_set_maxdbs(env, 16);
    /* Map size 0: LMDB takes the size recorded in the file, whatever it grew to. */
    if ((rc = mdb_env_open(env, home, MDB_RDONLY | MDB_NOTLS, 0600))) {
        fprintf(stderr, "store_check: mdb_env_open(%s): %s\n", home, mdb_strerror(rc));
        goto out;
    }
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &c.txn))) {
        fprintf(stderr, "store_check: mdb_txn_begin: %s\n", mdb_strerror(rc));
        goto out;
    }
    if (open_db(c.txn, "records", &c.db.records) || open_db(c.txn, "by_scope", &c.db.by_scope) ||
        open_db(c.txn, "by_hash", &c.db.by_hash) || open_db(c.txn, "by_expiry", &c.db.by_expiry) ||
        open_db(c.txn, "history", &c.db.history) || open_db(c.txn, "entities", &c.db.entities))
        goto out;

    MDB_cursor *cur;
    MDB_val k, v;
    if ((rc = mdb_cursor_open(c.txn, c.db.records, &cur))) {
        fprintf(stderr, "store_check: mdb_cursor_open(records): %s\n", mdb_strerror(rc));
        goto out;
    }
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        check_record(&c, &k, &v);
        c.records++;
    }
    mdb_cursor_close(cur);
    check_history(&c);
    if (entities) check_entities(&c);

    /* Each expected key was found above; equal totals mean no entry points nowhere. */
    long scope = db_count(&c, c.db.by_scope), hash = db_count(&c, c.db.by_hash),
         expiry = db_count(&c, c.db.by_expiry);
    if (scope != c.scope_keys)
        problem(&c, "by_scope holds %ld entries, the records account for %ld", scope, c.scope_keys);
    if (hash != c.hash_keys)
        problem(&c, "by_hash holds %ld entries, the records account for %ld", hash, c.hash_keys);
    if (expiry != c.expiry_keys)
        problem(&c, "by_expiry holds %ld entries, the records account for %ld", expiry,
                c.expiry_keys);
    if (want_records >= 0 && c.records != want_records)
        problem(&c, "%ld records, expected %ld", c.records, want_records);
    if (want_history >= 0 && c.history != want_history)
        problem(&c, "%ld history items, expected %ld", c.history, want_history);

    printf("{\"records\":%ld,\"history\":%ld,\"by_scope\":%ld,\"by_hash\":%ld,"
           "\"by_expiry\":%ld,\"entities_checked\":%ld,\"problems\":%ld}\n",
           c.records, c.history, scope, hash, expiry, c.entities, c.problems);
    ret = c.problems ? 1 : 0;
out:
    if (c.txn) mdb_txn_abort(c.txn);
    if (env) mdb_env_close(env);
    return ret;
}
