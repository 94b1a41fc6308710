/* doctor.c: read-only health checks of a home folder and its store (see doctor.h). */
#include "doctor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"
#include "store.h"
#include "util.h"

/* Appends one check to the report's array; returns -1 only when out of memory. */
static int add_check(cJSON *checks, const char *name, const char *level, const char *detail,
                     const char *fix)
{
    cJSON *c = cJSON_CreateObject();
    if (!c) return -1;
    cJSON_AddItemToArray(checks, c);
    if (!cJSON_AddStringToObject(c, "name", name) ||
        !cJSON_AddBoolToObject(c, "ok", strcmp(level, "fail") != 0) ||
        !cJSON_AddStringToObject(c, "level", level) ||
        !cJSON_AddStringToObject(c, "detail", detail) ||
        !(fix ? cJSON_AddStringToObject(c, "fix", fix) : cJSON_AddNullToObject(c, "fix")))
        return -1;
    return 0;
}

static void human_size(long long bytes, char *out, size_t n)
{
    if (bytes >= (1LL << 30))
        snprintf(out, n, "%.1f GiB", (double)bytes / (double)(1LL << 30));
    else if (bytes >= (1LL << 20))
        snprintf(out, n, "%.1f MiB", (double)bytes / (double)(1LL << 20));
    else if (bytes >= 1024)
        snprintf(out, n, "%.1f KiB", (double)bytes / 1024.0);
    else
        snprintf(out, n, "%lld bytes", bytes);
}

static int check_home(cJSON *checks, const char *home, int *usable)
{
    char detail[PATH_MAX + 128], fix[PATH_MAX + 256];
    struct stat st;
    *usable = 0;
    if (stat(home, &st) != 0) {
        snprintf(detail, sizeof detail, "%s: %s", home, strerror(errno));
        snprintf(fix, sizeof fix,
                 "it is created on the first write (e.g. `mem0-mcp add \"...\"`), or: "
                 "mkdir -m 700 '%s'",
                 home);
        return add_check(checks, "home", "fail", detail, fix);
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(detail, sizeof detail, "%s is not a folder", home);
        snprintf(fix, sizeof fix, "move it away, or point MEM0_HOME at a folder");
        return add_check(checks, "home", "fail", detail, fix);
    }
    *usable = 1;
    if (st.st_uid != geteuid()) {
        snprintf(detail, sizeof detail, "%s is owned by uid %u, not by you (uid %u)", home,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        snprintf(fix, sizeof fix, "chown -R $(id -u) '%s'", home);
        return add_check(checks, "home", "fail", detail, fix);
    }
    if (st.st_mode & 077) {
        snprintf(detail, sizeof detail, "%s has mode %03o; others can read your memories", home,
                 (unsigned)(st.st_mode & 0777));
        snprintf(fix, sizeof fix, "chmod 700 '%s'", home);
        return add_check(checks, "home", "fail", detail, fix);
    }
    snprintf(detail, sizeof detail, "%s exists, is yours and is 0700", home);
    return add_check(checks, "home", "ok", detail, NULL);
}

/* data.mdb and lock.mdb: owned by the user and 0600.  *exists tells whether data.mdb does. */
static int check_files(cJSON *checks, const char *home, int *exists)
{
    static const char *const names[] = {"data.mdb", "lock.mdb"};
    strbuf bad = {0}, fix = {0};
    *exists = 0;
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/%s", home, names[i]);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (i == 0) *exists = 1;
        if (st.st_uid != geteuid()) {
            sb_addf(&bad, "%s%s is owned by uid %u", bad.len ? "; " : "", names[i],
                    (unsigned)st.st_uid);
            sb_addf(&fix, "%schown $(id -u) '%s'", fix.len ? "; " : "", path);
        } else if (st.st_mode & 077) {
            sb_addf(&bad, "%s%s has mode %03o", bad.len ? "; " : "", names[i],
                    (unsigned)(st.st_mode & 0777));
            sb_addf(&fix, "%schmod 600 '%s'", fix.len ? "; " : "", path);
        }
    }
    int rc;
    if (bad.oom || fix.oom)
        rc = -1;
    else if (bad.len)
        rc = add_check(checks, "files", "fail", bad.buf, fix.buf);
    else if (!*exists)
        rc = add_check(checks, "files", "warn",
                       "no store yet (data.mdb is created on the first write)",
                       "add a memory: mem0-mcp add \"...\"");
    else
        rc = add_check(checks, "files", "ok", "data.mdb and lock.mdb are yours and 0600", NULL);
    sb_free(&bad);
    sb_free(&fix);
    return rc;
}

/* ---- Checks inside the store -------------------------------------------------------- */

typedef struct store_facts {
    long schema, read_compat; /* -1 when absent */
    size_t records, index_entries, index_orphans, records_unindexed;
} store_facts;

static long meta_long(MDB_txn *txn, MDB_dbi dbi, const char *key)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    char buf[32];
    if (mdb_get(txn, dbi, &k, &v) != 0 || v.mv_size == 0 || v.mv_size >= sizeof buf) return -1;
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = '\0';
    return strtol(buf, NULL, 10);
}

/* Reads the schema record and cross-checks the records with the '*' listing index. */
static int read_facts(MDB_txn *txn, const store_dbs *dbs, void *ctx, mem0_err *err)
{
    store_facts *f = ctx;
    memset(f, 0, sizeof *f);
    /* The handles are looked up by name in this transaction rather than taken from dbs:
     * this keeps the doctor independent of whether the read-only open kept its handles
     * (LMDB closes handles opened in an aborted read-only transaction). */
    (void)dbs;
    store_dbs local, *db = &local;
    int rc;
    if ((rc = mdb_dbi_open(txn, "meta", 0, &local.meta)) ||
        (rc = mdb_dbi_open(txn, "records", 0, &local.records)) ||
        (rc = mdb_dbi_open(txn, "by_scope", 0, &local.by_scope)))
        return store_fail(err, rc, "mdb_dbi_open");
    f->schema = meta_long(txn, db->meta, "schema_version");
    f->read_compat = meta_long(txn, db->meta, "read_compat");
    MDB_stat ms;
    rc = mdb_stat(txn, db->records, &ms);
    if (rc) return store_fail(err, rc, "mdb_stat(records)");
    f->records = ms.ms_entries;

    MDB_cursor *cur = NULL;
    if ((rc = mdb_cursor_open(txn, db->by_scope, &cur)))
        return store_fail(err, rc, "mdb_cursor_open(by_scope)");
    uint8_t prefix[4];
    size_t plen = key_scope_prefix(prefix, '*', "");
    MDB_val k = {plen, prefix}, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != plen + 24 || memcmp(k.mv_data, prefix, plen) != 0) break;
        f->index_entries++;
        MDB_val id = {16, (uint8_t *)k.mv_data + plen + 8}, rv;
        int g = mdb_get(txn, db->records, &id, &rv);
        if (g == MDB_NOTFOUND)
            f->index_orphans++;
        else if (g) {
            ret = store_fail(err, g, "mdb_get(records)");
            goto out;
        }
    }
    if (rc && rc != MDB_NOTFOUND) {
        ret = store_fail(err, rc, "mdb_cursor_get(by_scope)");
        goto out;
    }
    /* Records the index misses: the counts tell, as orphans are already known. */
    size_t indexed = f->index_entries - f->index_orphans;
    f->records_unindexed = f->records > indexed ? f->records - indexed : 0;
out:
    mdb_cursor_close(cur);
    return ret;
}

static int check_store(cJSON *checks, const char *home)
{
    char detail[1024], fix[PATH_MAX + 256];
    mem0_err e = {0};
    store *st = NULL;
    int rc = store_open(home, 0, 1, &st, &e);
    if (rc == MEM0_ESCHEMA)
        return add_check(checks, "schema", "fail", e.msg,
                         "install a newer mem0-mcp, or keep using the one that wrote this store");
    if (rc) {
        snprintf(fix, sizeof fix,
                 "check the files in '%s'; restore a backup (mem0-mcp backup makes one) if "
                 "data.mdb is damaged",
                 home);
        return add_check(checks, "store", "fail", e.msg, fix);
    }
    int ret = -1;
    if (add_check(checks, "store", "ok", "the store opens", NULL)) goto out;

    store_facts f;
    if (store_read(st, read_facts, &f, &e)) {
        ret = add_check(checks, "schema", "fail", e.msg,
                        "run `mem0-mcp export` to save what can be read, then restore a backup");
        goto out;
    }
    if (f.schema < 0) {
        snprintf(detail, sizeof detail,
                 "no schema record yet (this mem0-mcp writes schema %d on its next write)",
                 STORE_SCHEMA_VERSION);
        if (add_check(checks, "schema", "warn", detail, "add a memory, or run mem0-mcp sweep"))
            goto out;
    } else if ((f.read_compat < 0 ? f.schema : f.read_compat) > STORE_SCHEMA_VERSION) {
        snprintf(detail, sizeof detail,
                 "schema %ld needs a reader of schema >= %ld; this mem0-mcp %s reads schema <= %d",
                 f.schema, f.read_compat < 0 ? f.schema : f.read_compat, MEM0_VERSION,
                 STORE_SCHEMA_VERSION);
        if (add_check(checks, "schema", "fail", detail,
                      "install a newer mem0-mcp, or keep using the one that wrote this store"))
            goto out;
    } else {
        snprintf(detail, sizeof detail,
                 "schema %ld (readable by schema >= %ld); this mem0-mcp %s reads schema <= %d",
                 f.schema, f.read_compat < 0 ? f.schema : f.read_compat, MEM0_VERSION,
                 STORE_SCHEMA_VERSION);
        if (add_check(checks, "schema", "ok", detail, NULL)) goto out;
    }

    MDB_env *env = store_env(st);
    MDB_envinfo info;
    MDB_stat es;
    mdb_env_info(env, &info);
    mdb_env_stat(env, &es);
    long long used = (long long)(info.me_last_pgno + 1) * es.ms_psize;
    char used_s[32], map_s[32];
    human_size(used, used_s, sizeof used_s);
    human_size((long long)info.me_mapsize, map_s, sizeof map_s);
    snprintf(detail, sizeof detail, "%.1f%% of the map in use (%s of %s); it grows by itself",
             info.me_mapsize ? 100.0 * (double)used / (double)info.me_mapsize : 0.0, used_s, map_s);
    if (add_check(checks, "map", "ok", detail, NULL)) goto out;

    int dead = 0;
    rc = mdb_reader_check(env, &dead);
    if (rc)
        snprintf(detail, sizeof detail, "reader table not checked: %s", mdb_strerror(rc));
    else
        snprintf(detail, sizeof detail, "%d stale reader slot%s cleared", dead,
                 dead == 1 ? "" : "s");
    if (add_check(checks, "readers", rc ? "warn" : "ok", detail,
                  rc ? "make sure lock.mdb is readable and writable by you" : NULL))
        goto out;

    if (f.records_unindexed || f.index_orphans) {
        snprintf(detail, sizeof detail,
                 "%zu records, %zu listing index entries: %zu records unlisted, %zu entries "
                 "without a record",
                 f.records, f.index_entries, f.records_unindexed, f.index_orphans);
        snprintf(fix, sizeof fix,
                 "rebuild the indexes: mem0-mcp export --output all.jsonl, then "
                 "mem0-mcp --home NEW_HOME import all.jsonl and use NEW_HOME");
        ret = add_check(checks, "index", "fail", detail, fix);
    } else {
        snprintf(detail, sizeof detail, "%zu records, all listed in the index", f.records);
        ret = add_check(checks, "index", "ok", detail, NULL);
    }
out:
    store_close(st);
    return ret;
}

static int check_settings(cJSON *checks, const char *home)
{
    char detail[1024], fix[PATH_MAX + 256];
    mem0_settings s;
    char *warnings = NULL;
    mem0_err e = {0};
    settings_defaults(&s);
    if (settings_load(home, &s, &warnings, &e)) {
        free(warnings);
        snprintf(fix, sizeof fix, "fix or remove '%s/settings.json' (defaults apply without it)",
                 home);
        return add_check(checks, "settings", "fail", e.msg, fix);
    }
    int rc;
    if (warnings) {
        snprintf(detail, sizeof detail, "settings.json: %s", warnings);
        snprintf(fix, sizeof fix,
                 "correct or remove those keys in '%s/settings.json' (README lists every key)",
                 home);
        rc = add_check(checks, "settings", "warn", detail, fix);
    } else {
        rc = add_check(checks, "settings", "ok", "settings.json absent or valid", NULL);
    }
    free(warnings);
    return rc;
}

static int check_log(cJSON *checks, const char *home)
{
    char path[PATH_MAX + 16], detail[256], fix[PATH_MAX + 256], size_s[32];
    snprintf(path, sizeof path, "%s/hooks.log", home);
    struct stat st;
    if (stat(path, &st) != 0)
        return add_check(checks, "log", "ok", "no debug log (MEM0_DEBUG is off or unused)", NULL);
    human_size((long long)st.st_size, size_s, sizeof size_s);
    if ((long long)st.st_size > DOCTOR_LOG_WARN_BYTES) {
        snprintf(detail, sizeof detail, "hooks.log is %s and is never rotated", size_s);
        snprintf(fix, sizeof fix, "truncate it (: > '%s') or unset MEM0_DEBUG", path);
        return add_check(checks, "log", "warn", detail, fix);
    }
    snprintf(detail, sizeof detail, "hooks.log is %s", size_s);
    return add_check(checks, "log", "ok", detail, NULL);
}

int doctor_run(const char *home, cJSON **report, mem0_err *err)
{
    char def[PATH_MAX];
    if (!home || !*home) {
        settings_home(def, sizeof def);
        home = def;
    }
    *report = NULL;
    cJSON *r = cJSON_CreateObject();
    cJSON *checks = cJSON_CreateArray();
    if (!r || !checks) {
        cJSON_Delete(r);
        cJSON_Delete(checks);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    cJSON_AddStringToObject(r, "home", home);
    cJSON_AddBoolToObject(r, "ok", 0);
    cJSON_AddItemToObject(r, "checks", checks);
    int usable = 0, exists = 0, rc = check_home(checks, home, &usable);
    if (!rc && usable) rc = check_files(checks, home, &exists);
    if (!rc && usable && exists) rc = check_store(checks, home);
    if (!rc && usable) rc = check_settings(checks, home);
    if (!rc && usable) rc = check_log(checks, home);
    if (rc) {
        cJSON_Delete(r);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    int ok = 1;
    const cJSON *c;
    cJSON_ArrayForEach(c, checks) ok &= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok"));
    cJSON_ReplaceItemInObjectCaseSensitive(r, "ok", cJSON_CreateBool(ok));
    *report = r;
    return 0;
}
