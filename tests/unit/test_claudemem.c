/* test_claudemem.c: importing Claude Code's MEMORY.md files and CLAUDE.md facts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "claudemem.h"
#include "support.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A ~/.claude with one project's auto-memory: an index and a topic file. */
static const char *make_claude_dir(void)
{
    const char *base = test_scratch_dir("claude");
    char path[4096];
    snprintf(path, sizeof path, "%s/projects", base);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/projects/-home-u-webshop", base);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/projects/-home-u-webshop/memory", base);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/projects/-home-u-webshop/memory/MEMORY.md", base);
    write_file(path, "# Memory index\n\n"
                     "- [Testing](testing.md)\n"
                     "- The payment service must never be called from unit tests\n"
                     "- Deploys go through `make release`, never by hand\n");
    snprintf(path, sizeof path, "%s/projects/-home-u-webshop/memory/testing.md", base);
    write_file(path, "---\nname: testing\ndescription: how we test\ntype: feedback\n---\n\n"
                     "Prefers table-driven tests\nwith one assertion per row.\n\n"
                     "```\nnot a fact\n```\n");
    return base;
}

static size_t count_with(const claudemem_list *l, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strstr(l->v[i].text, needle) != NULL;
    return n;
}

static void scan_finds_facts_and_drops_noise(void **state)
{
    (void)state;
    const char *base = make_claude_dir();
    claudemem_list l = {0};
    mem0_err err = {0};
    assert_int_equal(claudemem_scan(base, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(count_with(&l, "payment service"), 1);
    assert_int_equal(count_with(&l, "make release"), 1);
    assert_int_equal(count_with(&l, "table-driven tests with one assertion per row."), 1);
    assert_int_equal(count_with(&l, "Testing"), 0);    /* link-only index line */
    assert_int_equal(count_with(&l, "not a fact"), 0); /* code block */
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(l.v[i].project, "webshop");
        if (strstr(l.v[i].text, "table-driven"))
            assert_string_equal(l.v[i].type, "user_preference"); /* front matter feedback */
    }
    claudemem_free(&l);
}

static void import_is_idempotent_and_scoped(void **state)
{
    (void)state;
    const char *base = make_claude_dir();
    mem0 *m = test_open_store("cmimport", 0);
    claudemem_list l = {0};
    mem0_err err = {0};
    assert_int_equal(claudemem_scan(base, &l, &err), 0);
    cJSON *res = NULL;
    assert_int_equal(claudemem_import(m, &l, NULL, 0, "test", &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "results")), 3);
    cJSON_Delete(res);
    assert_int_equal(claudemem_import(m, &l, NULL, 0, "test", &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "results")), 0);
    assert_int_equal((int)cJSON_GetObjectItem(res, "skipped")->valuedouble, 3);
    cJSON_Delete(res);

    cJSON *f = cJSON_Parse("{\"AND\":[{\"app_id\":\"webshop\"},"
                           "{\"metadata\":{\"source\":\"claude-memory\"}}]}");
    mem0_list_req lr = {f, NULL, 1, 10, 0};
    assert_int_equal(mem0_list(m, &lr, &res, &err), 0);
    assert_int_equal((int)cJSON_GetObjectItem(res, "count")->valuedouble, 3);
    cJSON_Delete(res);
    cJSON_Delete(f);
    claudemem_free(&l);
    mem0_close(m);
}

static void claude_md_facts_are_chosen_by_number(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("claudemd");
    char path[4096];
    snprintf(path, sizeof path, "%s/CLAUDE.md", dir);
    write_file(path, "# Project\n\n- Use tabs for indentation\n- Run `make lint` before "
                     "committing\n- The API lives in server/\n");
    claudemem_list l = {0};
    mem0_err err = {0};
    assert_int_equal(claudemem_scan_file(path, NULL, NULL, "proj", &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].type, "convention");
    mem0 *m = test_open_store("cmpick", 0);
    int pick[] = {2};
    cJSON *res = NULL;
    assert_int_equal(claudemem_import(m, &l, pick, 1, "test", &res, &err), 0);
    cJSON *items = cJSON_GetObjectItem(res, "results");
    assert_int_equal(cJSON_GetArraySize(items), 1);
    assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "memory")->valuestring,
                           "make lint"));
    cJSON_Delete(res);
    claudemem_free(&l);
    mem0_close(m);
    assert_int_equal(claudemem_scan_file("/nonexistent/CLAUDE.md", NULL, NULL, NULL, &l, &err),
                     MEM0_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scan_finds_facts_and_drops_noise),
        cmocka_unit_test(import_is_idempotent_and_scoped),
        cmocka_unit_test(claude_md_facts_are_chosen_by_number),
    };
    return cmocka_run_group_tests_name("claudemem", tests, NULL, NULL);
}
