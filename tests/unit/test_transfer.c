/* test_transfer.c: export, import, backup and id prefixes (core/transfer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mem0.h"
#include "store.h"
#include "support.h"
#include "transfer.h"

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void check(int rc, const mem0_err *err, const char *what)
{
    if (rc) fail_msg("%s: %s (%d)", what, err->msg, rc);
}

/* Adds one memory and returns its id (malloc'd). */
static char *add(mem0 *m, const char *text, const char *user, const char *agent, const char *app,
                 const char *run, const char *metadata, const char *expires)
{
    cJSON *meta = metadata ? test_json(metadata) : NULL, *res = NULL;
    mem0_add_req req = {0};
    req.text = text;
    req.scope = (mem0_scope){user, agent, app, run};
    req.metadata = meta;
    req.expiration_date = expires;
    req.actor = "test";
    mem0_err err = {0};
    check(mem0_add(m, &req, &res, &err), &err, "mem0_add");
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0);
    assert_non_null(first);
    char *id = strdup(str(first, "id"));
    cJSON_Delete(res);
    cJSON_Delete(meta);
    return id;
}

static void update(mem0 *m, const char *id, const char *text, const char *metadata,
                   const char *expires)
{
    cJSON *meta = metadata ? test_json(metadata) : NULL, *res = NULL;
    mem0_update_req req = {id, text, meta, expires, "test"};
    mem0_err err = {0};
    check(mem0_update(m, &req, &res, &err), &err, "mem0_update");
    cJSON_Delete(res);
    cJSON_Delete(meta);
}

static void delete_one(mem0 *m, const char *id)
{
    cJSON *res = NULL;
    mem0_err err = {0};
    check(mem0_delete(m, id, "test", &res, &err), &err, "mem0_delete");
    cJSON_Delete(res);
}

/* The whole export as a malloc'd string. */
static char *export_text(mem0 *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    mem0_err err = {0};
    check(mem0_export(m, f, &err), &err, "mem0_export");
    fclose(f);
    return buf;
}

/* Imports text (through a real file, so the progress total is known). */
static mem0_import_stats import_text(mem0 *m, const char *text, int expect_rc, mem0_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/in.jsonl", test_scratch_dir("import"));
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    fputs(text, f);
    rewind(f);
    mem0_import_stats st;
    memset(&st, 0xff, sizeof st);
    int rc = mem0_import(m, f, NULL, NULL, &st, err);
    fclose(f);
    if (rc != expect_rc)
        fail_msg("mem0_import returned %d (%s), expected %d", rc, err->msg, expect_rc);
    return st;
}

static cJSON *list_page(mem0 *m, const char *filters, int page, int size)
{
    cJSON *f = test_json(filters), *res = NULL;
    mem0_list_req req = {f, NULL, page, size, 1};
    mem0_err err = {0};
    check(mem0_list(m, &req, &res, &err), &err, "mem0_list");
    cJSON_Delete(f);
    return res;
}

/* Every page of get_memories (show_expired) is the same in both stores. */
static void assert_same_pages(mem0 *a, mem0 *b, const char *filters, int size)
{
    for (int page = 1;; page++) {
        cJSON *ra = list_page(a, filters, page, size), *rb = list_page(b, filters, page, size);
        if (!cJSON_Compare(ra, rb, 1)) {
            char *sa = cJSON_PrintUnformatted(ra), *sb = cJSON_PrintUnformatted(rb);
            fail_msg("page %d of %s differs:\n%s\n%s", page, filters, sa, sb);
        }
        int more = !cJSON_IsNull(cJSON_GetObjectItem(ra, "next"));
        if (page == 1) /* the comparison means something only if there is something */
            assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(ra, "results")) > 0);
        cJSON_Delete(ra);
        cJSON_Delete(rb);
        if (!more) return;
    }
}

static void assert_same_history(mem0 *a, mem0 *b, const char *id)
{
    cJSON *ha = NULL, *hb = NULL;
    mem0_err err = {0};
    check(mem0_history(a, id, &ha, &err), &err, "mem0_history (source)");
    check(mem0_history(b, id, &hb, &err), &err, "mem0_history (copy)");
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(ha, "results")) > 0);
    assert_true(cJSON_Compare(ha, hb, 1));
    cJSON_Delete(ha);
    cJSON_Delete(hb);
}

#define NIDS 40

/* Done-when 6: export, import into an empty store: same pages, same history, same trash,
 * a byte-identical second export; importing again adds nothing. */
static void round_trip_is_identical(void **state)
{
    (void)state;
    mem0 *src = test_open_store("xfer-src", 0);
    char *ids[NIDS];
    int n = 0;
    /* Several memories in one microsecond: the export orders them by id and their history
     * items need the seq of the history key. */
    setenv("MEM0_NOW", "2026-03-01T09:30:00.250000+01:00", 1);
    ids[n++] = add(src, "Same instant one", "alice", NULL, NULL, NULL, NULL, NULL);
    ids[n++] = add(src, "Same instant two", "alice", NULL, "proj", NULL, NULL, NULL);
    ids[n++] = add(src, "Same instant three", "bob", NULL, NULL, NULL, NULL, NULL);
    update(src, ids[0], "Same instant one, edited in the same microsecond", NULL, NULL);
    unsetenv("MEM0_NOW");
    for (int i = 0; i < 24; i++) {
        char text[128], meta[160];
        snprintf(text, sizeof text, "Memory %d: caf\xc3\xa9 \xe2\x9c\x93 line\nnext \"quoted\"", i);
        snprintf(meta, sizeof meta,
                 "{\"type\":\"%s\",\"confidence\":%d.25,\"files\":[\"a%d.c\"],\"nested\":"
                 "{\"k\":[1,2.5,null,true]}}",
                 i % 2 ? "decision" : "convention", i % 3, i);
        ids[n++] = add(src, text, i % 3 ? "alice" : "bob", i % 4 == 0 ? "agent-x" : NULL,
                       i % 5 ? "proj" : NULL, i % 7 == 0 ? "run-1" : NULL, i % 6 ? meta : NULL,
                       i % 8 == 0 ? "2021-05-01" : NULL);
    }
    ids[n++] = add(src, "Future expiry", "alice", NULL, NULL, NULL, NULL, "2999-12-31");
    update(src, ids[5], "Memory 5, new text", "{\"type\":\"anti_pattern\"}", "2020-02-02");
    update(src, ids[6], NULL, NULL, "");
    update(src, ids[7], "Memory 7, new text", NULL, NULL);
    delete_one(src, ids[8]);
    delete_one(src, ids[9]);
    cJSON *res = NULL;
    mem0_err err = {0};
    mem0_scope run = {NULL, NULL, NULL, "run-1"};
    check(mem0_delete_all(src, &run, "test", &res, &err), &err, "mem0_delete_all");
    cJSON_Delete(res);
    check(mem0_restore(src, ids[9], "test", &res, &err), &err, "mem0_restore");
    cJSON_Delete(res);

    char *first = export_text(src);
    mem0 *dst = test_open_store("xfer-dst", 0);
    mem0_import_stats st = import_text(dst, first, 0, &err);
    assert_int_equal(st.lines_rejected, 0);
    assert_int_equal(st.memories_skipped, 0);
    assert_true(st.history_added > n);

    /* Every memory line and trash line of the export became a memory of the copy. */
    long lines = 0, memories = 0;
    for (const char *p = first; *p; p++)
        lines += *p == '\n';
    for (const char *p = first; (p = strstr(p, "{\"type\":\"memory\"")); p++)
        memories++;
    for (const char *p = first; (p = strstr(p, "{\"type\":\"trash\"")); p++)
        memories++;
    assert_int_equal(st.memories_added, memories);
    assert_int_equal(lines, memories + st.history_added);

    static const char *const filters[] = {"{\"user_id\":\"*\"}", "{\"user_id\":\"alice\"}",
                                          "{\"app_id\":\"proj\",\"user_id\":\"*\"}"};
    for (size_t i = 0; i < 3; i++) {
        assert_same_pages(src, dst, filters[i], 10);
        assert_same_pages(src, dst, filters[i], 7);
    }
    for (int i = 0; i < n; i++)
        assert_same_history(src, dst, ids[i]);
    cJSON *ta = NULL, *tb = NULL;
    check(mem0_trash_list(src, &ta, &err), &err, "mem0_trash_list");
    check(mem0_trash_list(dst, &tb, &err), &err, "mem0_trash_list");
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(ta, "results")) >= 2);
    assert_true(cJSON_Compare(ta, tb, 1));
    cJSON_Delete(ta);
    cJSON_Delete(tb);

    char *second = export_text(dst);
    assert_string_equal(first, second);

    /* Importing the same export again, into either store, adds nothing. */
    mem0_import_stats again = import_text(dst, first, 0, &err);
    assert_int_equal(again.memories_added, 0);
    assert_int_equal(again.history_added, 0);
    assert_int_equal(again.memories_skipped, memories);
    again = import_text(src, first, 0, &err);
    assert_int_equal(again.memories_added, 0);
    assert_int_equal(again.history_added, 0);
    char *third = export_text(dst);
    assert_string_equal(first, third);

    free(first);
    free(second);
    free(third);
    for (int i = 0; i < n; i++)
        free(ids[i]);
    mem0_close(src);
    mem0_close(dst);
}

/* Memories first (created_at, then id), then trash, then history (memory id, time). */
static void export_order_is_deterministic(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-order", 0);
    char *ids[6];
    setenv("MEM0_NOW", "2026-04-01T00:00:00Z", 1);
    for (int i = 0; i < 3; i++)
        ids[i] = add(m,
                     i == 0   ? "zero"
                     : i == 1 ? "one"
                              : "two",
                     "u", NULL, NULL, NULL, NULL, NULL);
    setenv("MEM0_NOW", "2026-03-01T00:00:00Z", 1);
    ids[3] = add(m, "older", "u", NULL, NULL, NULL, NULL, NULL);
    setenv("MEM0_NOW", "2026-05-01T00:00:00Z", 1);
    ids[4] = add(m, "newer", "u", NULL, NULL, NULL, NULL, NULL);
    ids[5] = add(m, "trashed", "u", NULL, NULL, NULL, NULL, NULL);
    delete_one(m, ids[5]);
    unsetenv("MEM0_NOW");

    char *text = export_text(m);
    char prev_type[16] = "memory", prev_key[128] = "";
    int rank = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = test_json(line);
        const char *type = str(j, "type");
        int r = strcmp(type, "memory") == 0 ? 0 : strcmp(type, "trash") == 0 ? 1 : 2;
        assert_true(r >= rank);
        if (r != rank) prev_key[0] = '\0';
        rank = r;
        char key[128];
        if (r == 0) {
            const cJSON *mem = cJSON_GetObjectItem(j, "memory");
            assert_int_equal(strlen(str(mem, "created_at")), 32); /* same offset: sortable */
            snprintf(key, sizeof key, "%s %s", str(mem, "created_at"), str(mem, "id"));
        } else if (r == 1) {
            snprintf(key, sizeof key, "%s",
                     str(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "trash"), "memory"), "id"));
        } else {
            const cJSON *h = cJSON_GetObjectItem(j, "history");
            assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "seq")));
            snprintf(key, sizeof key, "%s", str(h, "memory_id"));
        }
        assert_true(strcmp(prev_key, key) <= 0);
        snprintf(prev_key, sizeof prev_key, "%s", key);
        snprintf(prev_type, sizeof prev_type, "%s", type);
        cJSON_Delete(j);
    }
    assert_string_equal(prev_type, "history");
    free(text);
    for (int i = 0; i < 6; i++)
        free(ids[i]);
    mem0_close(m);
}

/* Lines of other tools: a bare memory object with an id keeps it; {"memory": text} lines
 * get fresh ids; bad lines are counted, not fatal; a second import adds nothing. */
static void imports_lines_of_other_tools(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-foreign", 0);
    const char *input =
        "{\"id\":\"6F1E0C55-8C3B-4D6A-9E0F-1A2B3C4D5E6F\",\"memory\":\"Likes tea\","
        "\"user_id\":\"carol\",\"hash\":\"0cc175b9c0f1b6a831c399e269772661\","
        "\"metadata\":{\"type\":\"user_preference\"},\"categories\":[\"food\"],"
        "\"created_at\":\"2024-07-26T10:29:36.630547-07:00\",\"updated_at\":null,"
        "\"score\":0.82}\n"
        "\n"
        "{\"memory\":\"Uses vim\",\"user_id\":\"carol\",\"created_at\":\"2024-01-02\"}\n"
        "{\"memory\":\"No scope given\"}\n"
        "not json at all\n"
        "{\"type\":\"weird\",\"payload\":1}\n"
        "{\"id\":\"not-a-uuid\",\"memory\":\"x\"}\n"
        "{\"memory\":\"bad date\",\"expiration_date\":\"tomorrow\"}\n"
        "[1,2,3]\n";
    mem0_err err = {0};
    mem0_import_stats st = import_text(m, input, 0, &err);
    assert_int_equal(st.memories_added, 3);
    assert_int_equal(st.memories_skipped, 0);
    assert_int_equal(st.lines_rejected, 5);

    cJSON *mem = NULL;
    check(mem0_get(m, "6f1e0c55-8c3b-4d6a-9e0f-1a2b3c4d5e6f", &mem, &err), &err, "mem0_get");
    assert_string_equal(str(mem, "id"), "6f1e0c55-8c3b-4d6a-9e0f-1a2b3c4d5e6f");
    assert_string_equal(str(mem, "created_at"), "2024-07-26T10:29:36.630547-07:00");
    assert_string_equal(str(mem, "updated_at"), "2024-07-26T10:29:36.630547-07:00");
    assert_string_not_equal(str(mem, "hash"), "0cc175b9c0f1b6a831c399e269772661");
    assert_int_equal(strlen(str(mem, "hash")), 32);
    assert_null(cJSON_GetObjectItem(mem, "score"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(mem, "expiration_date")));
    const cJSON *cat = cJSON_GetArrayItem(cJSON_GetObjectItem(mem, "categories"), 0);
    assert_true(cJSON_IsString(cat));
    assert_string_equal(cat->valuestring, "food");
    cJSON_Delete(mem);

    /* The line without any scope went to the local user, like an add. */
    cJSON *f = test_json("{\"user_id\":\"*\"}"), *res = NULL;
    mem0_list_req req = {f, NULL, 1, 100, 1};
    check(mem0_list(m, &req, &res, &err), &err, "mem0_list");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "results")), 3);
    const cJSON *it;
    int unscoped = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "results"))
    {
        if (strcmp(str(it, "memory"), "No scope given") == 0) {
            unscoped = 1;
            assert_non_null(str(it, "user_id"));
        }
        if (strcmp(str(it, "memory"), "Uses vim") == 0)
            assert_string_equal(str(it, "created_at"), "2024-01-02");
    }
    assert_true(unscoped);
    cJSON_Delete(res);
    cJSON_Delete(f);

    mem0_import_stats again = import_text(m, input, 0, &err);
    assert_int_equal(again.memories_added, 0);
    assert_int_equal(again.memories_skipped, 3);
    assert_int_equal(again.lines_rejected, 5);
    mem0_close(m);
}

static void import_of_nothing_valid_says_why(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-bad", 0);
    mem0_err err = {0};
    mem0_import_stats st = import_text(m, "garbage\n{\"memory\":\"\"}\n", MEM0_EINVAL, &err);
    assert_int_equal(st.lines_rejected, 2);
    assert_int_equal(st.memories_added, 0);
    assert_non_null(strstr(err.msg, "line 1"));
    /* An empty file is not an error: there was nothing to reject. */
    st = import_text(m, "", 0, &err);
    assert_int_equal(st.lines_rejected, 0);
    mem0_close(m);
}

/* Imported text passes through the same privacy filter as an add. */
static void import_redacts_secrets(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-redact", 0);
    const char *input =
        "{\"type\":\"memory\",\"memory\":{\"id\":\"0b7e1b4e-56a0-4c1f-9d6e-3f3a8e2b1c01\","
        "\"memory\":\"key AKIAIOSFODNN7EXAMPLE here <private>my diary</private> done\","
        "\"user_id\":\"u\",\"metadata\":{\"note\":\"AKIAIOSFODNN7EXAMPLE\"},"
        "\"created_at\":\"2026-01-01T00:00:00+00:00\"}}\n"
        "{\"type\":\"history\",\"seq\":0,\"history\":{\"id\":\"x\",\"memory_id\":"
        "\"0b7e1b4e-56a0-4c1f-9d6e-3f3a8e2b1c01\",\"event\":\"ADD\",\"old_memory\":null,"
        "\"new_memory\":\"key AKIAIOSFODNN7EXAMPLE\",\"created_at\":"
        "\"2026-01-01T00:00:00+00:00\"}}\n";
    mem0_err err = {0};
    mem0_import_stats st = import_text(m, input, 0, &err);
    assert_int_equal(st.memories_added, 1);
    assert_int_equal(st.history_added, 1);
    char *text = export_text(m);
    assert_null(strstr(text, "AKIAIOSFODNN7EXAMPLE"));
    assert_null(strstr(text, "my diary"));
    assert_non_null(strstr(text, "done"));
    /* Redaction is idempotent: a second round changes nothing. */
    mem0 *copy = test_open_store("xfer-redact2", 0);
    import_text(copy, text, 0, &err);
    char *again = export_text(copy);
    assert_string_equal(text, again);
    free(text);
    free(again);
    mem0_close(copy);
    mem0_close(m);
}

static long progress_calls, progress_done, progress_total;

static void on_progress(void *ctx, long done, long total)
{
    (void)ctx;
    assert_true(done >= progress_done);
    progress_calls++;
    progress_done = done;
    progress_total = total;
}

/* More lines than one batch: everything lands and progress reaches the total. */
static void large_import_is_batched_with_progress(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-batch", 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/big.jsonl", test_scratch_dir("big"));
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    long lines = 2 * TRANSFER_BATCH + 500;
    for (long i = 0; i < lines; i++)
        fprintf(f, "{\"memory\":\"fact number %ld\",\"user_id\":\"u\"}\n", i);
    rewind(f);
    mem0_import_stats st;
    mem0_err err = {0};
    progress_calls = progress_done = progress_total = 0;
    check(mem0_import(m, f, on_progress, NULL, &st, &err), &err, "mem0_import");
    fclose(f);
    assert_int_equal(st.memories_added, lines);
    assert_int_equal(progress_total, lines);
    assert_int_equal(progress_done, lines);
    assert_true(progress_calls >= 4); /* start, two full batches, the end */
    mem0_close(m);
}

static void backup_is_a_usable_private_copy(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-backup", 0);
    char *id = add(m, "Back me up", "u", NULL, NULL, NULL, NULL, NULL);
    char dest[4200];
    snprintf(dest, sizeof dest, "%s/copy", test_scratch_dir("bk"));
    mem0_err err = {0};
    check(mem0_backup(m, dest, &err), &err, "mem0_backup");

    struct stat st;
    assert_int_equal(stat(dest, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char file[4300];
    snprintf(file, sizeof file, "%s/data.mdb", dest);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A second backup into the same folder is refused: nothing is overwritten. */
    assert_int_equal(mem0_backup(m, dest, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "not empty"));
    assert_int_equal(mem0_backup(m, mem0_home(m), &err), MEM0_EINVAL);

    mem0_options opt = {dest, 0, 0};
    mem0 *b = NULL;
    check(mem0_open(&opt, &b, &err), &err, "mem0_open(backup)");
    cJSON *mem = NULL;
    check(mem0_get(b, id, &mem, &err), &err, "mem0_get(backup)");
    assert_string_equal(str(mem, "memory"), "Back me up");
    cJSON_Delete(mem);
    char *a = export_text(m), *c = export_text(b);
    assert_string_equal(a, c);
    free(a);
    free(c);
    free(id);
    mem0_close(b);
    mem0_close(m);
}

static void id_prefixes_resolve_when_unique(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-prefix", 0);
    char *a = add(m, "first", "u", NULL, NULL, NULL, NULL, NULL);
    char *b = add(m, "second", "u", NULL, NULL, NULL, NULL, NULL);
    char out[UUID_STR_LEN + 1], pre[16];
    mem0_err err = {0};
    /* The shortest prefix that tells them apart, at least 4 characters (odd lengths too). */
    size_t n = 0;
    while (a[n] == b[n])
        n++;
    n = n + 1 < 5 ? 5 : n + 1;
    snprintf(pre, sizeof pre, "%.*s", (int)n, a);
    check(transfer_resolve_id(m, pre, 0, out, &err), &err, "resolve");
    assert_string_equal(out, a);
    for (char *p = pre; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    check(transfer_resolve_id(m, pre, 0, out, &err), &err, "resolve upper case");
    assert_string_equal(out, a);
    check(transfer_resolve_id(m, a, 0, out, &err), &err, "resolve full");
    assert_string_equal(out, a);
    assert_int_equal(transfer_resolve_id(m, "abc", 0, out, &err), MEM0_EINVAL);
    assert_int_equal(transfer_resolve_id(m, "xyz12", 0, out, &err), MEM0_EINVAL);
    assert_int_equal(transfer_resolve_id(m, pre, 1, out, &err), MEM0_ENOTFOUND);
    delete_one(m, a);
    assert_int_equal(transfer_resolve_id(m, pre, 0, out, &err), MEM0_ENOTFOUND);
    check(transfer_resolve_id(m, pre, 1, out, &err), &err, "resolve in trash");
    assert_string_equal(out, a);
    free(a);
    free(b);
    mem0_close(m);
}

/* With ids sharing a first digit, a one-digit prefix is ambiguous. */
static void ambiguous_prefix_is_refused(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-ambig", 0);
    const char *input = "{\"id\":\"aaaa0000-0000-4000-8000-000000000001\",\"memory\":\"one\"}\n"
                        "{\"id\":\"aaaa0000-0000-4000-8000-000000000002\",\"memory\":\"two\"}\n";
    mem0_err err = {0};
    import_text(m, input, 0, &err);
    char out[UUID_STR_LEN + 1];
    assert_int_equal(transfer_resolve_id(m, "aaaa0", 0, out, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "several"));
    assert_int_equal(transfer_resolve_id(m, "aaaa0000-0000-4000-8000-00000000000", 0, out, &err),
                     MEM0_EINVAL);
    assert_int_equal(transfer_resolve_id(m, "aaaa0000-0000-4000-8000-0000000000020", 0, out, &err),
                     MEM0_EINVAL);
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

/* A record missing from the listing index is still exported, and an import into a fresh
 * home rebuilds its index entries (the repair doctor suggests). */
static void export_keeps_records_the_index_lost(void **state)
{
    (void)state;
    mem0 *m = test_open_store("xfer-unlisted", 0);
    char *a = add(m, "listed", "u", NULL, NULL, NULL, NULL, NULL);
    char *b = add(m, "lost from the index", "u", NULL, NULL, NULL, NULL, NULL);
    store *st = NULL;
    mem0_err err = {0};
    check(store_open(mem0_home(m), 0, 0, &st, &err), &err, "store_open");
    check(store_write(st, drop_first_listing, NULL, &err), &err, "drop listing");
    store_close(st);
    cJSON *page = list_page(m, "{\"user_id\":\"*\"}", 1, 10);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(page, "results")), 1);
    cJSON_Delete(page);

    char *text = export_text(m);
    assert_non_null(strstr(text, a));
    assert_non_null(strstr(text, "lost from the index"));
    mem0 *fresh = test_open_store("xfer-rebuilt", 0);
    mem0_import_stats is = import_text(fresh, text, 0, &err);
    assert_int_equal(is.memories_added, 2);
    page = list_page(fresh, "{\"user_id\":\"*\"}", 1, 10);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(page, "results")), 2);
    cJSON_Delete(page);
    free(text);
    free(a);
    free(b);
    mem0_close(fresh);
    mem0_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_is_identical),
        cmocka_unit_test(export_order_is_deterministic),
        cmocka_unit_test(imports_lines_of_other_tools),
        cmocka_unit_test(import_of_nothing_valid_says_why),
        cmocka_unit_test(import_redacts_secrets),
        cmocka_unit_test(large_import_is_batched_with_progress),
        cmocka_unit_test(backup_is_a_usable_private_copy),
        cmocka_unit_test(id_prefixes_resolve_when_unique),
        cmocka_unit_test(ambiguous_prefix_is_refused),
        cmocka_unit_test(export_keeps_records_the_index_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
