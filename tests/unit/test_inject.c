/* test_inject.c: the session-start and prompt context (core/inject.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"
#include "support.h"
#include "timeutil.h"

#define USER "alice"
#define PROJECT "acme-api"
#define NOW "2026-06-15T12:00:00Z"

/* Adds one memory created on `day` (YYYY-MM-DD) with the given scope and metadata JSON. */
static const char *add_at(mem0 *m, const char *day, const char *user, const char *app,
                          const char *text, const char *metadata, const char *expires)
{
    static char ids[64][40];
    static int k;
    char when[40];
    snprintf(when, sizeof when, "%sT10:00:00Z", day);
    setenv("MEM0_NOW", when, 1);
    cJSON *md = metadata ? test_json(metadata) : NULL;
    mem0_add_req req = {0};
    req.text = text;
    req.scope.user_id = user;
    req.scope.app_id = app;
    req.metadata = md;
    req.expiration_date = expires;
    req.actor = "test";
    cJSON *res = NULL;
    mem0_err err = {0};
    if (mem0_add(m, &req, &res, &err)) fail_msg("mem0_add: %s", err.msg);
    char *id = ids[k++ % 64];
    snprintf(id, 40, "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0), "id")
                 ->valuestring);
    cJSON_Delete(res);
    cJSON_Delete(md);
    setenv("MEM0_NOW", NOW, 1);
    return id;
}

static int64_t now_us(void)
{
    int64_t t = 0;
    time_parse(NOW, &t);
    return t;
}

static int setup(void **state)
{
    (void)state;
    setenv("MEM0_NOW", NOW, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unsetenv("MEM0_NOW");
    return 0;
}

static inject_ctx ctx(const char *source, const char *session)
{
    inject_ctx c = {USER, PROJECT, session, source, 1, 0, now_us()};
    return c;
}

/* Position of needle in hay, failing the test when absent. */
static long pos(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (!p) fail_msg("missing \"%s\" in:\n%s", needle, hay);
    return p - hay;
}

static void test_start_without_store(void **state)
{
    (void)state;
    inject_ctx c = ctx("startup", "s1");
    char *text = NULL;
    assert_int_equal(inject_session_start(NULL, &c, &text, NULL, NULL), 0);
    pos(text, "Active user_id: `alice`; project (app_id): `acme-api`");
    pos(text, "noun-phrase");
    pos(text, "{\"AND\":[{\"user_id\":\"alice\"},{\"metadata\":{\"type\":\"decision\"}}]}");
    pos(text, "decision, convention, anti_pattern, user_preference, task_learning, environmental");
    pos(text, "infer=false");
    assert_null(strstr(text, "### Memories"));
    assert_null(strstr(text, "post-compaction"));
    free(text);

    /* Quotes in ids are escaped inside the JSON example. */
    c.user_id = "a\"b";
    assert_int_equal(inject_session_start(NULL, &c, &text, NULL, NULL), 0);
    pos(text, "{\"user_id\":\"a\\\"b\"}");
    free(text);
}

static void test_start_block_selection_and_order(void **state)
{
    (void)state;
    mem0 *m = test_open_store("inject", 0);
    const char *pref = add_at(m, "2026-06-10", USER, NULL, "Prefers tabs over spaces",
                              "{\"type\":\"user_preference\"}", NULL);
    const char *dec = add_at(m, "2026-06-14", USER, PROJECT, "Use LMDB for the store",
                             "{\"type\":\"decision\"}", NULL);
    const char *pinned = add_at(m, "2025-01-01", USER, PROJECT, "Never push to main directly",
                                "{\"type\":\"convention\",\"pinned\":true}", NULL);
    const char *plain = add_at(m, "2026-06-15", USER, NULL, "Has a cat named Miso", NULL, NULL);
    add_at(m, "2026-06-15", USER, "other-project", "Other project uses Postgres",
           "{\"type\":\"decision\"}", NULL);
    add_at(m, "2026-06-15", USER, PROJECT, "## Session State (pre-compaction)",
           "{\"type\":\"session_state\",\"session_id\":\"s1\"}", "2026-09-01");
    add_at(m, "2026-06-15", USER, PROJECT, "Summary of the compaction",
           "{\"type\":\"compact_summary\",\"session_id\":\"s1\"}", "2026-09-01");
    add_at(m, "2026-06-01", USER, PROJECT, "Expired decision about caching",
           "{\"type\":\"decision\"}", "2026-06-02");
    add_at(m, "2026-06-15", "bob", PROJECT, "Bob's own decision", "{\"type\":\"decision\"}", NULL);

    inject_ctx c = ctx("startup", "s1");
    char *text = NULL;
    cJSON *ids = cJSON_CreateArray();
    mem0_err err = {0};
    assert_int_equal(inject_session_start(m, &c, &text, ids, &err), 0);
    long h = pos(text, "### Memories of alice and project acme-api");
    long p_pin = pos(text, "- [convention] Never push to main directly (17mo ago) [mem0:");
    long p_dec = pos(text, "- [decision] Use LMDB for the store (1d ago) [mem0:");
    long p_pref = pos(text, "- [user_preference] Prefers tabs over spaces (5d ago) [mem0:");
    long p_plain = pos(text, "- [memory] Has a cat named Miso (today) [mem0:");
    assert_true(h < p_pin && p_pin < p_dec && p_dec < p_pref && p_pref < p_plain);
    char tag[32];
    snprintf(tag, sizeof tag, "[mem0:%.8s]", dec);
    pos(text, tag);
    assert_null(strstr(text, "Postgres"));
    assert_null(strstr(text, "Session State"));
    assert_null(strstr(text, "Summary of the compaction"));
    assert_null(strstr(text, "Expired"));
    assert_null(strstr(text, "Bob"));
    assert_null(strstr(text, "post-compaction recovery"));
    assert_int_equal(cJSON_GetArraySize(ids), 4);
    assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, pinned);
    assert_string_equal(cJSON_GetArrayItem(ids, 1)->valuestring, dec);
    assert_string_equal(cJSON_GetArrayItem(ids, 2)->valuestring, pref);
    assert_string_equal(cJSON_GetArrayItem(ids, 3)->valuestring, plain);
    free(text);
    cJSON_Delete(ids);

    /* auto_search off: identity and rubric only. */
    c.with_memories = 0;
    assert_int_equal(inject_session_start(m, &c, &text, NULL, &err), 0);
    assert_null(strstr(text, "### Memories"));
    free(text);

    /* Without a project: only memories of no project. */
    c.with_memories = 1;
    c.project = NULL;
    assert_int_equal(inject_session_start(m, &c, &text, NULL, &err), 0);
    pos(text, "### Memories of alice (pinned");
    pos(text, "Prefers tabs");
    assert_null(strstr(text, "Use LMDB"));
    free(text);
    mem0_close(m);
}

static void test_start_budget(void **state)
{
    (void)state;
    mem0 *m = test_open_store("inject", 0);
    char text[600];
    for (int i = 0; i < 120; i++) {
        snprintf(text, sizeof text, "Decision number %d: %.*s", i, 400,
                 "the build uses a long explanation that keeps going and going and going "
                 "the build uses a long explanation that keeps going and going and going "
                 "the build uses a long explanation that keeps going and going and going "
                 "the build uses a long explanation that keeps going and going and going "
                 "the build uses a long explanation that keeps going and going and going "
                 "the build uses a long explanation that keeps going and going and going ");
        add_at(m, "2026-06-01", USER, PROJECT, text, "{\"type\":\"decision\"}", NULL);
    }
    inject_ctx c = ctx("resume", "s1");
    char *out = NULL;
    cJSON *ids = cJSON_CreateArray();
    assert_int_equal(inject_session_start(m, &c, &out, ids, NULL), 0);
    const char *block = strstr(out, "### Memories");
    assert_non_null(block);
    const char *first = strchr(block, '\n') + 1;
    assert_true(strlen(first) <= INJECT_START_TOKENS * 4);
    assert_true(strlen(first) > INJECT_START_TOKENS * 4 - 400); /* the budget is used */
    assert_true(strlen(out) < 10000);
    /* Long texts are cut on their line. */
    pos(block, "... (2w ago)");
    assert_true(cJSON_GetArraySize(ids) > 5 && cJSON_GetArraySize(ids) < 120);

    c.budget_tokens = 100;
    char *small = NULL;
    assert_int_equal(inject_session_start(m, &c, &small, NULL, NULL), 0);
    assert_true(strlen(small) < strlen(out));
    free(small);
    free(out);
    cJSON_Delete(ids);
    mem0_close(m);
}

static void test_start_compact_recovery(void **state)
{
    (void)state;
    mem0 *m = test_open_store("inject", 0);
    add_at(m, "2026-06-13", USER, PROJECT, "older summary",
           "{\"type\":\"compact_summary\","
           "\"session_id\":\"s1\"}",
           "2026-09-01");
    const char *sum = add_at(m, "2026-06-14", USER, PROJECT, "newest summary",
                             "{\"type\":\"compact_summary\",\"session_id\":\"s1\"}", "2026-09-01");
    const char *st = add_at(m, "2026-06-14", USER, PROJECT, "## Session State",
                            "{\"type\":\"session_state\",\"session_id\":\"s1\"}", "2026-09-01");
    add_at(m, "2026-06-15", USER, PROJECT, "another session's summary",
           "{\"type\":\"compact_summary\",\"session_id\":\"s2\"}", "2026-09-01");
    add_at(m, "2026-06-12", USER, PROJECT, "Use LMDB", "{\"type\":\"decision\"}", NULL);

    inject_ctx c = ctx("compact", "s1");
    char *text = NULL;
    assert_int_equal(inject_session_start(m, &c, &text, NULL, NULL), 0);
    long r = pos(text, "## Mem0 post-compaction recovery");
    assert_int_equal(r, 0);
    char want[200];
    snprintf(want, sizeof want, "compact_summary memory %s (1d ago) [mem0:%.8s]", sum, sum);
    pos(text, want);
    snprintf(want, sizeof want, "session_state memory %s", st);
    pos(text, want);
    pos(text, "- [decision] Use LMDB");
    assert_true(pos(text, "## Mem0 memory") > r);
    free(text);

    /* A session with nothing stored gets the search hint instead. */
    c = ctx("compact", "s3");
    assert_int_equal(inject_session_start(m, &c, &text, NULL, NULL), 0);
    pos(text, "No summary of it is stored yet");
    free(text);
    mem0_close(m);
}

static void test_prompt_worth(void **state)
{
    (void)state;
    static const char *const no[] = {
        "ok",       "OK!", "thanks", "Thank you.", "continue", "yes do it",   "Yes, do it!", "lgtm",
        "go ahead", "",    "   ",    "/compact",   "fix it",   "sounds good", NULL};
    for (int i = 0; no[i]; i++)
        if (inject_prompt_worth(no[i])) fail_msg("\"%s\" should not be worth a search", no[i]);
    assert_false(inject_prompt_worth(NULL));
    assert_true(inject_prompt_worth("How should the HTTP client retry failed payment requests?"));
    assert_true(inject_prompt_worth("refactor the parser module tests"));
    assert_true(inject_prompt_worth("/review the database migration code"));
}

static void test_prompt_injection(void **state)
{
    (void)state;
    mem0 *m = test_open_store("inject", 0);
    const char *retry = add_at(m, "2026-06-10", USER, PROJECT,
                               "Failed payment requests retry three times with exponential "
                               "backoff in the payment client",
                               "{\"type\":\"decision\"}", NULL);
    const char *pref = add_at(m, "2026-06-11", USER, NULL,
                              "Prefers failed payment requests to retry with a warning logged",
                              "{\"type\":\"user_preference\"}", NULL);
    add_at(m, "2026-06-11", USER, "other-project", "payment retries in another project",
           "{\"type\":\"decision\"}", NULL);
    add_at(m, "2026-06-11", USER, PROJECT, "payment retries session state snapshot",
           "{\"type\":\"session_state\"}", "2026-09-01");
    for (int i = 0; i < 30; i++) {
        char t[100];
        snprintf(t, sizeof t, "Unrelated fact %d about the office coffee machine", i);
        add_at(m, "2026-06-01", USER, PROJECT, t, NULL, NULL);
    }
    inject_ctx c = ctx(NULL, "s1");
    const char *prompt = "How should failed payment requests retry?";
    char *text = NULL;
    cJSON *ids = cJSON_CreateArray();
    mem0_err err = {0};
    assert_int_equal(inject_prompt(m, &c, prompt, 10, 0.1, NULL, &text, ids, &err), 0);
    assert_non_null(text);
    pos(text, "Failed payment requests retry three times");
    pos(text, "[mem0:");
    assert_null(strstr(text, "another project"));
    assert_null(strstr(text, "session state"));
    assert_null(strstr(text, "coffee"));
    assert_true(strlen(text) < INJECT_PROMPT_BUDGET + 100);
    assert_int_equal(cJSON_GetArraySize(ids), 2);
    free(text);

    /* What the session already got is not repeated. */
    cJSON *seen = cJSON_CreateArray();
    cJSON_AddItemToArray(seen, cJSON_CreateString(retry));
    cJSON_Delete(ids);
    ids = cJSON_CreateArray();
    assert_int_equal(inject_prompt(m, &c, prompt, 10, 0.1, seen, &text, ids, &err), 0);
    assert_non_null(text);
    assert_null(strstr(text, "Failed payment requests retry three"));
    assert_int_equal(cJSON_GetArraySize(ids), 1);
    assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, pref);
    free(text);
    cJSON_AddItemToArray(seen, cJSON_CreateString(pref));
    assert_int_equal(inject_prompt(m, &c, prompt, 10, 0.1, seen, &text, NULL, &err), 0);
    assert_null(text);

    /* Limit and threshold. */
    assert_int_equal(inject_prompt(m, &c, prompt, 1, 0.1, NULL, &text, NULL, &err), 0);
    assert_non_null(text);
    assert_null(strstr(strstr(text, "\n- ") + 3, "\n- "));
    free(text);
    assert_int_equal(inject_prompt(m, &c, prompt, 5, 1.0, NULL, &text, NULL, &err), 0);
    assert_null(text);
    assert_int_equal(
        inject_prompt(m, &c, "zebra quantum marmalade", 5, 0.0, NULL, &text, NULL, &err), 0);
    assert_null(text);
    cJSON_Delete(seen);
    cJSON_Delete(ids);
    mem0_close(m);
}

static void test_memory_line_and_age(void **state)
{
    (void)state;
    cJSON *mem = test_json("{\"id\":\"0123456789ab-cdef\",\"memory\":\"line one\\n\\n  line "
                           "two\\tend\",\"metadata\":{\"type\":\"anti_pattern\"},"
                           "\"created_at\":\"2026-06-12T09:00:00+02:00\"}");
    char *line = inject_memory_line(mem, 300, now_us());
    assert_string_equal(line, "- [anti_pattern] line one line two end (3d ago) [mem0:01234567]");
    free(line);
    line = inject_memory_line(mem, 6, now_us());
    assert_string_equal(line, "- [anti_pattern] line o... (3d ago) [mem0:01234567]");
    free(line);
    cJSON_Delete(mem);

    char age[32];
    int64_t day = 86400000000LL, n = now_us();
    inject_age(n - day / 2, n, age, sizeof age);
    assert_string_equal(age, "today");
    inject_age(n - 13 * day, n, age, sizeof age);
    assert_string_equal(age, "13d ago");
    inject_age(n - 21 * day, n, age, sizeof age);
    assert_string_equal(age, "3w ago");
    inject_age(n - 90 * day, n, age, sizeof age);
    assert_string_equal(age, "3mo ago");
    inject_age(n - 800 * day, n, age, sizeof age);
    assert_string_equal(age, "2y ago");
    inject_age(n + day, n, age, sizeof age);
    assert_string_equal(age, "today");

    assert_true(inject_is_noise_type("session_state"));
    assert_true(inject_is_noise_type("compact_summary"));
    assert_false(inject_is_noise_type("decision"));
    assert_true(inject_is_durable_type("environmental"));
    assert_false(inject_is_durable_type("bug_fix"));
    assert_false(inject_is_durable_type(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_without_store),
        cmocka_unit_test(test_start_block_selection_and_order),
        cmocka_unit_test(test_start_budget),
        cmocka_unit_test(test_start_compact_recovery),
        cmocka_unit_test(test_prompt_worth),
        cmocka_unit_test(test_prompt_injection),
        cmocka_unit_test(test_memory_line_and_age),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
