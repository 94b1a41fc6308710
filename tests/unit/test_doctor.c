/* test_doctor.c: the health checks of core/doctor.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "mem0.h"
#include "store.h"
#include "support.h"

static cJSON *run(const char *home)
{
    cJSON *report = NULL;
    mem0_err err = {0};
    int rc = doctor_run(home, &report, &err);
    if (rc) fail_msg("doctor_run: %s", err.msg);
    assert_string_equal(cJSON_GetObjectItem(report, "home")->valuestring, home);
    return report;
}

static int report_ok(const cJSON *report)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(report, "ok"));
}

/* The named check; fails the test when it is missing. */
static const cJSON *check_named(const cJSON *report, const char *name)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(report, "checks"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) == 0) return c;
    }
    fail_msg("no check named %s", name);
    return NULL;
}

static const char *level(const cJSON *report, const char *name)
{
    return cJSON_GetObjectItem(check_named(report, name), "level")->valuestring;
}

static const char *fix(const cJSON *report, const char *name)
{
    const cJSON *f = cJSON_GetObjectItem(check_named(report, name), "fix");
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

static mem0 *store_with_memory(const char *tag)
{
    mem0 *m = test_open_store(tag, 0);
    test_add(m, "u", "a memory to check", NULL);
    test_add(m, "u", "another memory", NULL);
    return m;
}

static void healthy_store_passes_every_check(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-ok");
    cJSON *r = run(mem0_home(m));
    static const char *const names[] = {"home",    "files", "store",    "schema", "map",
                                        "readers", "index", "settings", "log"};
    const cJSON *checks = cJSON_GetObjectItem(r, "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 9);
    for (int i = 0; i < 9; i++) {
        const cJSON *c = cJSON_GetArrayItem(checks, i);
        assert_string_equal(cJSON_GetObjectItem(c, "name")->valuestring, names[i]);
        assert_string_equal(cJSON_GetObjectItem(c, "level")->valuestring, "ok");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "ok")));
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "fix")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(c, "detail")));
    }
    assert_true(report_ok(r));
    assert_non_null(
        strstr(cJSON_GetObjectItem(check_named(r, "index"), "detail")->valuestring, "2 records"));
    cJSON_Delete(r);
    mem0_close(m);
}

static void missing_home_fails_and_says_how_to_create_it(void **state)
{
    (void)state;
    char home[4200];
    snprintf(home, sizeof home, "%s/never-created", test_scratch_dir("doc-missing"));
    cJSON *r = run(home);
    assert_false(report_ok(r));
    assert_string_equal(level(r, "home"), "fail");
    assert_non_null(strstr(fix(r, "home"), "mkdir -m 700"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "checks")), 1);
    cJSON_Delete(r);
    /* The doctor only looks: it did not create the folder. */
    assert_int_not_equal(access(home, F_OK), 0);
}

static void home_without_store_is_a_warning(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("doc-empty");
    chmod(home, 0700);
    cJSON *r = run(home);
    assert_true(report_ok(r));
    assert_string_equal(level(r, "files"), "warn");
    assert_non_null(fix(r, "files"));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "checks"))
        assert_string_not_equal(cJSON_GetObjectItem(c, "name")->valuestring, "store");
    cJSON_Delete(r);
    char data[4200]; /* the doctor only looks: no store was created */
    snprintf(data, sizeof data, "%s/data.mdb", home);
    assert_int_not_equal(access(data, F_OK), 0);
}

static void loose_permissions_fail_with_the_chmod_to_run(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-perm");
    const char *home = mem0_home(m);
    assert_int_equal(chmod(home, 0755), 0);
    cJSON *r = run(home);
    assert_false(report_ok(r));
    assert_string_equal(level(r, "home"), "fail");
    assert_non_null(strstr(fix(r, "home"), "chmod 700"));
    cJSON_Delete(r);
    assert_int_equal(chmod(home, 0700), 0);

    char data[4200];
    snprintf(data, sizeof data, "%s/data.mdb", home);
    assert_int_equal(chmod(data, 0644), 0);
    r = run(home);
    assert_false(report_ok(r));
    assert_string_equal(level(r, "home"), "ok");
    assert_string_equal(level(r, "files"), "fail");
    assert_non_null(strstr(fix(r, "files"), "chmod 600"));
    assert_non_null(strstr(fix(r, "files"), "data.mdb"));
    cJSON_Delete(r);
    chmod(data, 0600);
    mem0_close(m);
}

static void write_settings(const char *home, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/settings.json", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void settings_errors_fail_and_unknown_keys_warn(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-settings");
    const char *home = mem0_home(m);
    write_settings(home, "{\"auto_save\": tru");
    cJSON *r = run(home);
    assert_false(report_ok(r));
    assert_string_equal(level(r, "settings"), "fail");
    assert_non_null(strstr(fix(r, "settings"), "settings.json"));
    cJSON_Delete(r);

    write_settings(home, "{\"auto_save\": true, \"no_such_key\": 1}");
    r = run(home);
    assert_true(report_ok(r));
    assert_string_equal(level(r, "settings"), "warn");
    assert_non_null(strstr(cJSON_GetObjectItem(check_named(r, "settings"), "detail")->valuestring,
                           "no_such_key"));
    cJSON_Delete(r);
    mem0_close(m);
}

/* Removes the first entry of the '*' listing index, as a damaged store might have lost it. */
static int drop_first_listing(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    (void)ctx;
    (void)err;
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, db->by_scope, &cur), 0);
    uint8_t prefix[4];
    size_t n = key_scope_prefix(prefix, '*', "");
    MDB_val k = {n, prefix}, v;
    assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE), 0);
    assert_memory_equal(k.mv_data, prefix, n);
    assert_int_equal(mdb_cursor_del(cur, 0), 0);
    mdb_cursor_close(cur);
    return 0;
}

static int set_read_compat(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    (void)err;
    MDB_val k = {strlen("read_compat"), "read_compat"}, v = {strlen(ctx), ctx};
    assert_int_equal(mdb_put(txn, db->meta, &k, &v, 0), 0);
    return 0;
}

static void unlisted_record_fails_the_index_check(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-index");
    store *st = NULL;
    mem0_err err = {0};
    assert_int_equal(store_open(mem0_home(m), 0, 0, &st, &err), 0);
    assert_int_equal(store_write(st, drop_first_listing, NULL, &err), 0);
    cJSON *r = run(mem0_home(m));
    assert_false(report_ok(r));
    assert_string_equal(level(r, "index"), "fail");
    assert_non_null(strstr(cJSON_GetObjectItem(check_named(r, "index"), "detail")->valuestring,
                           "1 records unlisted"));
    assert_non_null(strstr(fix(r, "index"), "import"));
    cJSON_Delete(r);
    store_close(st);
    mem0_close(m);
}

static void store_from_a_newer_version_fails_the_schema_check(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-schema");
    store *st = NULL;
    mem0_err err = {0};
    assert_int_equal(store_open(mem0_home(m), 0, 0, &st, &err), 0);
    assert_int_equal(store_write(st, set_read_compat, "99", &err), 0);
    store_close(st);
    cJSON *r = run(mem0_home(m));
    assert_false(report_ok(r));
    assert_string_equal(level(r, "schema"), "fail");
    assert_non_null(strstr(fix(r, "schema"), "newer mem0-mcp"));
    cJSON_Delete(r);
    mem0_close(m);
}

static void large_debug_log_warns(void **state)
{
    (void)state;
    mem0 *m = store_with_memory("doc-log");
    char path[4200];
    snprintf(path, sizeof path, "%s/hooks.log", mem0_home(m));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(truncate(path, (off_t)DOCTOR_LOG_WARN_BYTES + 1), 0);
    cJSON *r = run(mem0_home(m));
    assert_true(report_ok(r));
    assert_string_equal(level(r, "log"), "warn");
    assert_non_null(strstr(fix(r, "log"), "hooks.log"));
    cJSON_Delete(r);
    mem0_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthy_store_passes_every_check),
        cmocka_unit_test(missing_home_fails_and_says_how_to_create_it),
        cmocka_unit_test(home_without_store_is_a_warning),
        cmocka_unit_test(loose_permissions_fail_with_the_chmod_to_run),
        cmocka_unit_test(settings_errors_fail_and_unknown_keys_warn),
        cmocka_unit_test(unlisted_record_fails_the_index_check),
        cmocka_unit_test(store_from_a_newer_version_fails_the_schema_check),
        cmocka_unit_test(large_debug_log_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
