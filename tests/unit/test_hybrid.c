/* test_hybrid.c: vectors in the add/update/delete/search path (memory.c with embed and
 * vindex), using the model-free hash embedder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem0.h"
#include "support.h"

static int has_id(cJSON *res, const char *id)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "results"))
    {
        if (strcmp(cJSON_GetObjectItem(it, "id")->valuestring, id) == 0) return 1;
    }
    return 0;
}

static cJSON *search(mem0 *m, const char *query)
{
    mem0_search_req req = {query, NULL, "u", 10, -1, 0, 1};
    cJSON *res = NULL;
    mem0_err err = {0};
    if (mem0_search(m, &req, &res, &err)) fail_msg("mem0_search: %s", err.msg);
    return res;
}

static void vectors_find_what_words_miss(void **state)
{
    (void)state;
    setenv("MEM0_EMBEDDER", "hash", 1);
    mem0 *m = test_open_store("hybrid", 0);
    char id[64];
    snprintf(id, sizeof id, "%s", test_add(m, "u", "Deployments run through the release pipeline", NULL));
    test_add(m, "u", "The user prefers tabs over spaces", NULL);
    /* A misspelling shares no term with the memory, only character n-grams. */
    cJSON *res = search(m, "deploymnets");
    assert_true(has_id(res, id));
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0);
    cJSON *details = cJSON_GetObjectItem(first, "score_details");
    assert_non_null(details);
    cJSON_Delete(res);

    /* Without vectors the same query finds nothing. */
    unsetenv("MEM0_EMBEDDER");
    mem0_options opt = {mem0_home(m), 0, 0};
    char home[4096];
    snprintf(home, sizeof home, "%s", mem0_home(m));
    opt.home = home;
    mem0 *plain = NULL;
    mem0_err err = {0};
    mem0_close(m);
    assert_int_equal(mem0_open(&opt, &plain, &err), 0);
    res = search(plain, "deploymnets");
    assert_false(has_id(res, id));
    cJSON_Delete(res);
    mem0_close(plain);

    /* A deleted memory's vector goes with it; a restore brings it back. */
    setenv("MEM0_EMBEDDER", "hash", 1);
    assert_int_equal(mem0_open(&opt, &m, &err), 0);
    assert_int_equal(mem0_delete(m, id, "test", &res, &err), 0);
    cJSON_Delete(res);
    res = search(m, "deploymnets");
    assert_false(has_id(res, id));
    cJSON_Delete(res);
    cJSON *got = NULL;
    assert_int_equal(mem0_restore(m, id, "test", &got, &err), 0);
    cJSON_Delete(got);
    res = search(m, "deploymnets");
    assert_true(has_id(res, id));
    cJSON_Delete(res);

    /* A metadata-only update keeps the vector. */
    cJSON *meta = cJSON_Parse("{\"type\":\"decision\"}");
    mem0_update_req up = {id, NULL, meta, NULL, "test"};
    assert_int_equal(mem0_update(m, &up, &got, &err), 0);
    cJSON_Delete(got);
    cJSON_Delete(meta);
    res = search(m, "deploymnets");
    assert_true(has_id(res, id));
    cJSON_Delete(res);
    mem0_close(m);
    unsetenv("MEM0_EMBEDDER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_find_what_words_miss),
    };
    return cmocka_run_group_tests_name("hybrid", tests, NULL, NULL);
}
