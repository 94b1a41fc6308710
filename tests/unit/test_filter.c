/* test_filter.c: the v2 filter language: every operator on every field kind, logic, the
 * scope-safety rule, pinned users, error messages, and that no unpinned filter reaches
 * another user's memories. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "filter.h"
#include "identity.h"
#include "util.h"

#define ALICE_ID "a1b2c3d4-1111-4111-8111-111111111111"
#define BOB_ID "22222222-2222-4222-8222-222222222222"

/* Alice's memory: every field set. */
static cJSON *rec_alice(void)
{
    cJSON *r =
        cJSON_Parse("{\"id\":\"" ALICE_ID "\",\"memory\":\"Prefers Vim keybindings in the Editor\","
                    "\"hash\":\"0123456789abcdef0123456789abcdef\",\"user_id\":\"alice\","
                    "\"agent_id\":null,\"app_id\":\"proj-x\",\"run_id\":\"run-1\","
                    "\"created_at\":\"2026-01-15T10:00:00.000000+01:00\","
                    "\"updated_at\":\"2026-02-01T00:00:00Z\",\"expiration_date\":\"2026-06-30\","
                    "\"categories\":[\"preferences\",\"Tools\"],"
                    "\"metadata\":{\"type\":\"decision\",\"confidence\":0.9,\"pinned\":true,"
                    "\"files_touched\":[\"a.c\",\"b.c\"],\"count\":3,\"note\":null}}");
    assert_non_null(r);
    return r;
}

/* Bob's memory: created 2026-01-01T00:30Z (written with a -01:00 offset), no expiry, no
 * categories, no metadata, an agent id and no app. */
static cJSON *rec_bob(void)
{
    cJSON *r =
        cJSON_Parse("{\"id\":\"" BOB_ID "\",\"memory\":\"Deploys with make release\","
                    "\"hash\":\"fedcba9876543210fedcba9876543210\",\"user_id\":\"bob\","
                    "\"agent_id\":\"claude\",\"app_id\":null,\"run_id\":null,"
                    "\"created_at\":\"2025-12-31T23:30:00.000000-01:00\","
                    "\"updated_at\":\"2025-12-31T23:30:00.000000-01:00\",\"expiration_date\":null,"
                    "\"categories\":[],\"metadata\":null}");
    assert_non_null(r);
    return r;
}

static filter *parse_as(const char *json, const char *user)
{
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    filter *f = NULL;
    mem0_err err = {0};
    if (json && !j) fail_msg("test filter is not JSON: %s", json);
    int rc = filter_parse(j, user, &f, &err);
    if (rc != 0) fail_msg("filter_parse(%s) failed: %d %s", json, rc, err.msg);
    cJSON_Delete(j);
    return f;
}

/* 1 if the filter (default user alice) matches rec. */
static int matches(const char *json, const cJSON *rec)
{
    filter *f = parse_as(json, "alice");
    int m = filter_eval(f, rec);
    filter_free(f);
    return m;
}

/* 1 if the filter, given with an explicit user_id "*" so scope never interferes, matches. */
static int matches_any_user(const char *json, const cJSON *rec)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"AND\":[{\"user_id\":\"*\"},%s]}", json);
    return matches(buf, rec);
}

static void assert_describe(const char *json, const char *user, const char *want)
{
    filter *f = parse_as(json, user);
    char *got = filter_describe(f);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("filter %s\n  described as %s\n  expected     %s", json ? json : "NULL", got,
                 want);
    free(got);
    filter_free(f);
}

/* Parsing fails with MEM0_EINVAL and a message containing want. */
static void assert_error(const char *json, const char *want)
{
    cJSON *j = cJSON_Parse(json);
    filter *f = NULL;
    mem0_err err = {0};
    assert_non_null(j);
    int rc = filter_parse(j, "alice", &f, &err);
    cJSON_Delete(j);
    if (rc != MEM0_EINVAL || f) fail_msg("filter %s: expected MEM0_EINVAL, got %d", json, rc);
    if (!strstr(err.msg, want))
        fail_msg("filter %s\n  error    '%s'\n  expected '%s' in it", json, err.msg, want);
    assert_int_equal(err.code, MEM0_EINVAL);
}

/* ---- Entity ids ------------------------------------------------------------------- */

static void test_entity_ids(void **state)
{
    (void)state;
    cJSON *a = rec_alice(), *b = rec_bob();

    assert_true(matches("{\"app_id\":\"proj-x\"}", a));
    assert_false(matches("{\"app_id\":\"proj-y\"}", a));
    assert_true(matches("{\"app_id\":{\"eq\":\"proj-x\"}}", a));
    assert_false(matches("{\"app_id\":{\"eq\":\"PROJ-X\"}}", a));
    assert_true(matches("{\"app_id\":{\"ne\":\"proj-y\"}}", a));
    assert_false(matches("{\"app_id\":{\"ne\":\"proj-x\"}}", a));
    assert_true(matches("{\"app_id\":{\"in\":[\"p\",\"proj-x\"]}}", a));
    assert_false(matches("{\"app_id\":{\"in\":[\"p\",\"q\"]}}", a));
    assert_true(matches("{\"app_id\":[\"p\",\"proj-x\"]}", a)); /* a bare list is `in` */
    assert_true(matches("{\"run_id\":{\"contains\":\"un-\"}}", a));
    assert_false(matches("{\"run_id\":{\"contains\":\"UN-\"}}", a));
    assert_true(matches("{\"run_id\":{\"icontains\":\"UN-\"}}", a));
    assert_true(matches("{\"run_id\":\"*\"}", a));
    assert_true(matches("{\"run_id\":{\"eq\":\"*\"}}", a));

    /* agent_id is null on alice's record: "*" and values fail, ne and null match */
    assert_false(matches("{\"agent_id\":\"*\"}", a));
    assert_false(matches("{\"agent_id\":\"claude\"}", a));
    assert_false(matches("{\"agent_id\":{\"contains\":\"c\"}}", a));
    assert_false(matches("{\"agent_id\":{\"in\":[\"claude\"]}}", a));
    assert_true(matches("{\"agent_id\":{\"ne\":\"claude\"}}", a));
    assert_true(matches("{\"agent_id\":null}", a));
    assert_false(matches("{\"agent_id\":{\"ne\":null}}", a));
    assert_true(matches_any_user("{\"agent_id\":{\"ne\":null}}", b));
    assert_true(matches_any_user("{\"agent_id\":\"claude\"}", b));
    assert_false(matches_any_user("{\"agent_id\":null}", b));

    /* user_id itself */
    assert_true(matches("{\"user_id\":\"alice\"}", a));
    assert_false(matches("{\"user_id\":\"alice\"}", b));
    assert_true(matches("{\"user_id\":\"bob\"}", b));
    assert_true(matches("{\"user_id\":{\"in\":[\"alice\",\"bob\"]}}", b));
    assert_true(matches("{\"user_id\":\"*\"}", b));

    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* ---- Dates ------------------------------------------------------------------------ */

static void test_dates(void **state)
{
    (void)state;
    cJSON *a = rec_alice(), *b = rec_bob();

    /* alice created 2026-01-15T09:00Z; the same instant in three spellings */
    assert_true(matches("{\"created_at\":\"2026-01-15T09:00:00Z\"}", a));
    assert_true(matches("{\"created_at\":{\"eq\":\"2026-01-15T04:00:00-05:00\"}}", a));
    assert_true(matches("{\"created_at\":{\"eq\":\"2026-01-15T10:00:00.000+0100\"}}", a));
    assert_false(matches("{\"created_at\":\"2026-01-15\"}", a)); /* midnight UTC */
    assert_true(matches("{\"created_at\":{\"ne\":\"2026-01-15\"}}", a));
    assert_false(matches("{\"created_at\":{\"ne\":\"2026-01-15T09:00:00Z\"}}", a));

    assert_true(matches("{\"created_at\":{\"gt\":\"2026-01-15\"}}", a));
    assert_true(matches("{\"created_at\":{\"gte\":\"2026-01-15T09:00:00Z\"}}", a));
    assert_false(matches("{\"created_at\":{\"gt\":\"2026-01-15T09:00:00Z\"}}", a));
    assert_false(matches("{\"created_at\":{\"gt\":\"2026-01-15T10:00:00+00:30\"}}", a));
    assert_true(matches("{\"created_at\":{\"gt\":\"2026-01-15T10:00:00+01:30\"}}", a));
    assert_true(matches("{\"created_at\":{\"lt\":\"2026-01-16\"}}", a));
    assert_true(matches("{\"created_at\":{\"lte\":\"2026-01-15T09:00:00Z\"}}", a));
    assert_false(matches("{\"created_at\":{\"lt\":\"2026-01-15T09:00:00Z\"}}", a));
    assert_true(matches(
        "{\"created_at\":{\"in\":[\"2026-01-01\",\"2026-01-15T09:00:00.000000+00:00\"]}}", a));
    assert_false(matches("{\"created_at\":{\"in\":[\"2026-01-01\",\"2026-01-15\"]}}", a));

    /* several operators on one field are ANDed: a month window */
    const char *jan = "{\"created_at\":{\"gte\":\"2026-01-01\",\"lt\":\"2026-02-01\"}}";
    assert_true(matches(jan, a));
    assert_true(matches_any_user(jan, b)); /* 2025-12-31T23:30-01:00 is 2026-01-01T00:30Z */
    assert_false(matches_any_user("{\"created_at\":{\"gte\":\"2026-01-01T01:00:00Z\","
                                  "\"lt\":\"2026-02-01\"}}",
                                  b));

    /* timestamp is created_at */
    assert_true(matches("{\"timestamp\":{\"gte\":\"2026-01-15\",\"lt\":\"2026-01-16\"}}", a));
    assert_false(matches("{\"timestamp\":{\"lt\":\"2026-01-15\"}}", a));
    assert_true(matches("{\"updated_at\":{\"gte\":\"2026-02-01\"}}", a));
    assert_false(matches("{\"updated_at\":{\"gt\":\"2026-02-01\"}}", a));

    /* expiration_date: a day, compared as an instant; null matches only ne and null */
    assert_true(matches("{\"expiration_date\":\"2026-06-30\"}", a));
    assert_true(matches("{\"expiration_date\":{\"gt\":\"2026-06-29T23:59:59Z\"}}", a));
    assert_true(matches("{\"expiration_date\":{\"lte\":\"2026-06-30\"}}", a));
    assert_true(matches("{\"expiration_date\":\"*\"}", a));
    assert_false(matches("{\"expiration_date\":null}", a));
    const char *null_cmp[] = {
        "{\"expiration_date\":{\"gt\":\"2000-01-01\"}}",
        "{\"expiration_date\":{\"lt\":\"2999-01-01\"}}",
        "{\"expiration_date\":{\"gte\":\"2000-01-01\"}}",
        "{\"expiration_date\":{\"lte\":\"2999-01-01\"}}",
        "{\"expiration_date\":\"2026-06-30\"}",
        "{\"expiration_date\":{\"in\":[\"2026-06-30\"]}}",
        "{\"expiration_date\":\"*\"}",
    };
    for (size_t i = 0; i < sizeof null_cmp / sizeof null_cmp[0]; i++)
        if (matches_any_user(null_cmp[i], b))
            fail_msg("a null expiration_date matched %s", null_cmp[i]);
    assert_true(matches_any_user("{\"expiration_date\":{\"ne\":\"2026-06-30\"}}", b));
    assert_true(matches_any_user("{\"expiration_date\":null}", b));

    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* ---- Categories, metadata, ids, keywords ----------------------------------------- */

static void test_categories(void **state)
{
    (void)state;
    cJSON *a = rec_alice(), *b = rec_bob();

    assert_true(matches("{\"categories\":\"preferences\"}", a));
    assert_true(matches("{\"categories\":{\"eq\":\"Tools\"}}", a));
    assert_false(matches("{\"categories\":\"prefer\"}", a)); /* bare = an equal element */
    assert_true(matches("{\"categories\":{\"ne\":\"work\"}}", a));
    assert_false(matches("{\"categories\":{\"ne\":\"Tools\"}}", a));
    assert_true(matches("{\"categories\":{\"in\":[\"work\",\"Tools\"]}}", a));
    assert_false(matches("{\"categories\":{\"in\":[\"work\",\"health\"]}}", a));
    assert_true(matches("{\"categories\":{\"contains\":\"PREFER\"}}", a)); /* as Mem0 */
    assert_true(matches("{\"categories\":{\"icontains\":\"tool\"}}", a));
    assert_false(matches("{\"categories\":{\"contains\":\"work\"}}", a));
    assert_true(matches("{\"categories\":\"*\"}", a));
    assert_false(matches_any_user("{\"categories\":\"*\"}", b));
    assert_false(matches_any_user("{\"categories\":{\"in\":[\"work\"]}}", b));
    assert_true(matches_any_user("{\"categories\":{\"ne\":\"work\"}}", b));

    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_metadata(void **state)
{
    (void)state;
    cJSON *a = rec_alice(), *b = rec_bob();

    /* eq on strings, numbers, booleans */
    assert_true(matches("{\"metadata\":{\"type\":\"decision\"}}", a));
    assert_false(matches("{\"metadata\":{\"type\":\"Decision\"}}", a));
    assert_true(matches("{\"metadata\":{\"confidence\":0.9}}", a));
    assert_true(matches("{\"metadata\":{\"count\":{\"eq\":3}}}", a));
    assert_false(matches("{\"metadata\":{\"count\":\"3\"}}", a)); /* JSON values compared */
    assert_true(matches("{\"metadata\":{\"pinned\":true}}", a));
    assert_false(matches("{\"metadata\":{\"pinned\":false}}", a));
    assert_true(matches("{\"metadata\":{\"type\":\"decision\",\"pinned\":true}}", a));
    assert_false(matches("{\"metadata\":{\"type\":\"decision\",\"pinned\":false}}", a));

    /* ne: a missing key or null metadata differs from every value */
    assert_true(matches("{\"metadata\":{\"type\":{\"ne\":\"bug_fix\"}}}", a));
    assert_false(matches("{\"metadata\":{\"type\":{\"ne\":\"decision\"}}}", a));
    assert_true(matches_any_user("{\"metadata\":{\"type\":{\"ne\":\"decision\"}}}", b));

    /* in, including an array-valued key (any element) */
    assert_true(matches("{\"metadata\":{\"type\":{\"in\":[\"bug_fix\",\"decision\"]}}}", a));
    assert_false(matches("{\"metadata\":{\"type\":{\"in\":[\"bug_fix\"]}}}", a));
    assert_true(matches("{\"metadata\":{\"count\":{\"in\":[1,2,3]}}}", a));
    assert_true(matches("{\"metadata\":{\"files_touched\":{\"in\":[\"z.c\",\"b.c\"]}}}", a));
    assert_false(matches_any_user("{\"metadata\":{\"type\":{\"in\":[\"decision\"]}}}", b));

    /* contains / icontains on strings and arrays */
    assert_true(matches("{\"metadata\":{\"type\":{\"contains\":\"cis\"}}}", a));
    assert_false(matches("{\"metadata\":{\"type\":{\"contains\":\"CIS\"}}}", a));
    assert_true(matches("{\"metadata\":{\"type\":{\"icontains\":\"CIS\"}}}", a));
    assert_true(matches("{\"metadata\":{\"files_touched\":{\"contains\":\"a.c\"}}}", a));
    assert_false(matches("{\"metadata\":{\"files_touched\":{\"contains\":\"a\"}}}", a));
    assert_true(matches("{\"metadata\":{\"files_touched\":{\"icontains\":\"B.C\"}}}", a));
    assert_false(matches("{\"metadata\":{\"count\":{\"contains\":\"3\"}}}", a));

    /* order comparisons on numbers; non-numbers never compare */
    assert_true(matches("{\"metadata\":{\"confidence\":{\"gt\":0.5}}}", a));
    assert_false(matches("{\"metadata\":{\"confidence\":{\"gt\":0.9}}}", a));
    assert_true(matches("{\"metadata\":{\"confidence\":{\"gte\":0.9,\"lt\":1}}}", a));
    assert_true(matches("{\"metadata\":{\"count\":{\"lte\":3}}}", a));
    assert_false(matches("{\"metadata\":{\"count\":{\"lt\":3}}}", a));
    assert_false(matches("{\"metadata\":{\"type\":{\"gt\":0}}}", a));
    assert_false(matches_any_user("{\"metadata\":{\"count\":{\"lt\":100}}}", b));

    /* "*": present and not null */
    assert_true(matches("{\"metadata\":{\"type\":\"*\"}}", a));
    assert_false(matches("{\"metadata\":{\"note\":\"*\"}}", a));
    assert_false(matches("{\"metadata\":{\"missing\":\"*\"}}", a));
    assert_false(matches_any_user("{\"metadata\":{\"type\":\"*\"}}", b));
    assert_true(matches("{\"metadata\":{\"note\":null}}", a));
    assert_true(matches("{\"metadata\":{\"missing\":null}}", a));
    assert_false(matches("{\"metadata\":{\"type\":null}}", a));

    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_memory_ids_and_keywords(void **state)
{
    (void)state;
    cJSON *a = rec_alice();

    assert_true(matches("{\"memory_ids\":[\"" BOB_ID "\",\"" ALICE_ID "\"]}", a));
    assert_false(matches("{\"memory_ids\":[\"" BOB_ID "\"]}", a));
    assert_false(matches("{\"memory_ids\":[]}", a));
    assert_true(matches("{\"memory_ids\":\"" ALICE_ID "\"}", a));
    assert_true(matches("{\"memory_ids\":\"A1B2C3D4-1111-4111-8111-111111111111\"}", a));
    assert_true(matches("{\"memory_ids\":{\"in\":[\"" ALICE_ID "\"]}}", a));
    assert_true(matches("{\"memory_ids\":[\"A1B2C3D4-1111-4111-8111-111111111111\"]}", a));
    assert_false(matches("{\"memory_ids\":\"a1b2c3d4-1111-4111-8111-11111111111\"}", a));
    assert_true(matches("{\"memory_ids\":{\"ne\":\"" BOB_ID "\"}}", a));
    assert_false(matches("{\"memory_ids\":{\"ne\":\"" ALICE_ID "\"}}", a));

    assert_true(matches("{\"keywords\":{\"contains\":\"Vim\"}}", a));
    assert_false(matches("{\"keywords\":{\"contains\":\"vim\"}}", a));
    assert_true(matches("{\"keywords\":{\"icontains\":\"VIM KEY\"}}", a));
    assert_true(matches("{\"keywords\":\"editor\"}", a)); /* bare = icontains */
    assert_false(matches("{\"keywords\":\"emacs\"}", a));

    cJSON_Delete(a);
}

/* ---- Logic ------------------------------------------------------------------------ */

static void test_logic(void **state)
{
    (void)state;
    cJSON *a = rec_alice(), *b = rec_bob();

    assert_true(matches("{\"AND\":[{\"app_id\":\"proj-x\"},{\"run_id\":\"run-1\"}]}", a));
    assert_false(matches("{\"AND\":[{\"app_id\":\"proj-x\"},{\"run_id\":\"run-2\"}]}", a));
    assert_true(matches("{\"OR\":[{\"app_id\":\"nope\"},{\"run_id\":\"run-1\"}]}", a));
    assert_false(matches("{\"OR\":[{\"app_id\":\"nope\"},{\"run_id\":\"run-2\"}]}", a));
    /* flat keys are ANDed */
    assert_true(matches("{\"app_id\":\"proj-x\",\"run_id\":\"run-1\"}", a));
    assert_false(matches("{\"app_id\":\"proj-x\",\"run_id\":\"run-2\"}", a));
    /* NOT of an object (its keys ANDed) and of an array (none may match) */
    assert_true(matches("{\"NOT\":{\"app_id\":\"proj-y\"}}", a));
    assert_false(matches("{\"NOT\":{\"app_id\":\"proj-x\"}}", a));
    assert_true(matches("{\"NOT\":{\"app_id\":\"proj-x\",\"run_id\":\"run-2\"}}", a));
    assert_true(matches("{\"NOT\":[{\"app_id\":\"p\"},{\"run_id\":\"r\"}]}", a));
    assert_false(matches("{\"NOT\":[{\"app_id\":\"p\"},{\"run_id\":\"run-1\"}]}", a));
    assert_true(matches("{\"NOT\":[]}", a));
    /* empty AND is true, empty OR false */
    assert_true(matches("{\"AND\":[]}", a));
    assert_false(matches("{\"OR\":[]}", a));
    assert_true(matches("{\"AND\":[{}]}", a));
    /* nesting, and AND beside OR at one level (both apply; Mem0 drops the OR) */
    assert_true(matches("{\"OR\":[{\"AND\":[{\"app_id\":\"proj-x\"},{\"NOT\":{\"categories\":"
                        "\"work\"}}]},{\"run_id\":\"zzz\"}]}",
                        a));
    assert_false(matches("{\"AND\":[{\"app_id\":\"proj-x\"}],\"OR\":[{\"run_id\":\"zzz\"}]}", a));
    assert_true(matches("{\"AND\":[{\"app_id\":\"proj-x\"}],\"OR\":[{\"run_id\":\"run-1\"}]}", a));
    /* a user filter inside OR reaches both users */
    const char *both = "{\"OR\":[{\"user_id\":\"alice\"},{\"user_id\":\"bob\"}]}";
    assert_true(matches(both, a));
    assert_true(matches(both, b));
    /* not an object: no match */
    filter *f = parse_as("{\"user_id\":\"*\"}", "alice");
    cJSON *arr = cJSON_CreateArray();
    assert_false(filter_eval(f, arr));
    assert_false(filter_eval(f, NULL));
    cJSON_Delete(arr);
    filter_free(f);

    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* ---- Scope safety, rendering, pinned user ---------------------------------------- */

static void test_scope_rule(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* nothing given: everything of the default user */
        {NULL, "{\"AND\":[{\"user_id\":\"alice\"}]}"},
        {"{}", "{\"AND\":[{\"user_id\":\"alice\"}]}"},
        {"null", "{\"AND\":[{\"user_id\":\"alice\"}]}"},
        /* flat filters: ANDed, default user first */
        {"{\"agent_id\":\"a1\"}", "{\"AND\":[{\"user_id\":\"alice\"},{\"agent_id\":\"a1\"}]}"},
        {"{\"agent_id\":\"a1\",\"app_id\":\"p\"}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"agent_id\":\"a1\"},{\"app_id\":\"p\"}]}"},
        {"{\"AND\":[{\"app_id\":\"p\"}]}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"app_id\":\"p\"}]}"},
        /* pinned: left alone */
        {"{\"user_id\":\"bob\"}", "{\"user_id\":\"bob\"}"},
        {"{\"user_id\":{\"eq\":\"bob\"}}", "{\"user_id\":\"bob\"}"},
        {"{\"user_id\":{\"in\":[\"bob\",\"carol\"]}}",
         "{\"user_id\":{\"in\":[\"bob\",\"carol\"]}}"},
        {"{\"user_id\":\"*\"}", "{\"user_id\":\"*\"}"},
        {"{\"user_id\":\"bob\",\"app_id\":\"p\"}",
         "{\"AND\":[{\"user_id\":\"bob\"},{\"app_id\":\"p\"}]}"},
        {"{\"AND\":[{\"app_id\":\"p\"},{\"user_id\":\"*\"}]}",
         "{\"AND\":[{\"app_id\":\"p\"},{\"user_id\":\"*\"}]}"},
        /* an OR root stays an OR when every branch pins */
        {"{\"OR\":[{\"user_id\":\"bob\"},{\"user_id\":\"carol\"}]}",
         "{\"OR\":[{\"user_id\":\"bob\"},{\"user_id\":\"carol\"}]}"},
        {"{\"OR\":[{\"AND\":[{\"user_id\":\"bob\"},{\"app_id\":\"p\"}]},{\"user_id\":\"*\","
         "\"run_id\":\"r\"}]}",
         "{\"OR\":[{\"AND\":[{\"user_id\":\"bob\"},{\"app_id\":\"p\"}]},{\"AND\":[{\"user_id\":"
         "\"*\"},{\"run_id\":\"r\"}]}]}"},
        /* ... and is wrapped, whole, when one branch does not */
        {"{\"OR\":[{\"user_id\":\"bob\"},{\"agent_id\":\"a1\"}]}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"OR\":[{\"user_id\":\"bob\"},{\"agent_id\":\"a1\"}]}"
         "]}"},
        {"{\"OR\":[{\"AND\":[{\"app_id\":\"p\"},{\"run_id\":\"r\"}]},{\"user_id\":\"bob\"}]}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"OR\":[{\"AND\":[{\"app_id\":\"p\"},{\"run_id\":"
         "\"r\"}]},{\"user_id\":\"bob\"}]}]}"},
        /* NOT, ne, contains never pin */
        {"{\"NOT\":{\"user_id\":\"bob\"}}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"NOT\":{\"user_id\":\"bob\"}}]}"},
        {"{\"NOT\":[{\"user_id\":\"bob\"}]}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"NOT\":[{\"user_id\":\"bob\"}]}]}"},
        {"{\"user_id\":{\"ne\":\"bob\"}}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"user_id\":{\"ne\":\"bob\"}}]}"},
        {"{\"user_id\":{\"icontains\":\"o\"}}",
         "{\"AND\":[{\"user_id\":\"alice\"},{\"user_id\":{\"icontains\":\"o\"}}]}"},
        /* an AND pins when any member does, however deep */
        {"{\"AND\":[{\"app_id\":\"p\"},{\"AND\":[{\"user_id\":\"bob\"}]}]}",
         "{\"AND\":[{\"app_id\":\"p\"},{\"AND\":[{\"user_id\":\"bob\"}]}]}"},
        {"{\"user_id\":{\"ne\":\"x\",\"eq\":\"bob\"}}",
         "{\"AND\":[{\"user_id\":{\"ne\":\"x\"}},{\"user_id\":\"bob\"}]}"},
        /* empty logic */
        {"{\"AND\":[]}", "{\"AND\":[{\"user_id\":\"alice\"}]}"},
        {"{\"OR\":[]}", "{\"OR\":[]}"},
        /* canonical forms: timestamp is created_at, ops objects, metadata nesting */
        {"{\"timestamp\":{\"gte\":\"2026-01-01\"},\"user_id\":\"bob\"}",
         "{\"AND\":[{\"created_at\":{\"gte\":\"2026-01-01\"}},{\"user_id\":\"bob\"}]}"},
        {"{\"user_id\":\"bob\",\"metadata\":{\"type\":\"decision\",\"n\":{\"gt\":1}}}",
         "{\"AND\":[{\"user_id\":\"bob\"},{\"AND\":[{\"metadata\":{\"type\":\"decision\"}},"
         "{\"metadata\":{\"n\":{\"gt\":1}}}]}]}"},
        {"{\"keywords\":\"vim\",\"user_id\":\"bob\"}",
         "{\"AND\":[{\"keywords\":{\"icontains\":\"vim\"}},{\"user_id\":\"bob\"}]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_describe(cases[i].in, "alice", cases[i].want);
}

static void test_describe_round_trips(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        "{\"OR\":[{\"user_id\":\"bob\"},{\"agent_id\":{\"in\":[\"a\",\"b\"]}}]}",
        "{\"NOT\":[{\"categories\":{\"contains\":\"x\"}},{\"metadata\":{\"k\":[1,2]}}]}",
        "{\"expiration_date\":null,\"created_at\":{\"gte\":\"2026-01-01T00:00:00+02:00\","
        "\"lt\":\"2026-02-01\"},\"memory_ids\":[\"" ALICE_ID "\"]}",
        "{\"metadata\":{\"pinned\":true,\"type\":{\"ne\":null},\"conf\":{\"lte\":0.5}}}",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        filter *f = parse_as(shapes[i], "alice");
        char *once = filter_describe(f);
        filter *g = parse_as(once, "someone-else");
        char *twice = filter_describe(g);
        assert_string_equal(once, twice); /* already scoped: no second injection */
        free(once);
        free(twice);
        filter_free(f);
        filter_free(g);
    }
}

static void test_pinned_user(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {NULL, "alice"},
        {"{\"agent_id\":\"a1\"}", "alice"},
        {"{\"OR\":[{\"app_id\":\"p\"},{\"user_id\":\"bob\"}]}", "alice"}, /* injected */
        {"{\"NOT\":{\"user_id\":\"bob\"}}", "alice"},
        {"{\"user_id\":\"bob\"}", "bob"},
        {"{\"app_id\":\"p\",\"user_id\":\"bob\"}", "bob"},
        {"{\"AND\":[{\"app_id\":\"p\"},{\"AND\":[{\"user_id\":\"bob\"}]}]}", "bob"},
        {"{\"user_id\":{\"in\":[\"bob\"]}}", "bob"},
        {"{\"user_id\":{\"in\":[\"bob\",\"carol\"]}}", NULL},
        {"{\"user_id\":\"*\"}", NULL},
        {"{\"user_id\":\"*\",\"app_id\":\"p\"}", NULL},
        {"{\"user_id\":null}", NULL},
        {"{\"OR\":[{\"user_id\":\"bob\"},{\"user_id\":\"carol\"}]}", NULL},
        {"{\"OR\":[{\"user_id\":\"bob\"}]}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        filter *f = parse_as(cases[i].in, "alice");
        const char *got = filter_pinned_user(f);
        if (cases[i].want ? !got || strcmp(got, cases[i].want) : got != NULL)
            fail_msg("pinned user of %s: got %s, expected %s", cases[i].in ? cases[i].in : "NULL",
                     got ? got : "NULL", cases[i].want ? cases[i].want : "NULL");
        filter_free(f);
    }
}

/* Bob's records are reachable only through a filter that names bob or asks for "*". */
static void test_no_leak_to_other_users(void **state)
{
    (void)state;
    static const char *const unpinned[] = {
        "{}",
        "{\"agent_id\":\"claude\"}",
        "{\"AND\":[{\"agent_id\":\"claude\"}]}",
        "{\"AND\":[]}",
        "{\"AND\":[{}]}",
        "{\"OR\":[{\"agent_id\":\"claude\"}]}",
        "{\"OR\":[{\"user_id\":\"alice\"},{\"agent_id\":\"claude\"}]}",
        "{\"OR\":[{\"user_id\":\"*\"},{\"agent_id\":\"claude\"}]}",
        "{\"OR\":[{\"user_id\":\"carol\"},{\"NOT\":{\"user_id\":\"carol\"}}]}",
        "{\"OR\":[{\"AND\":[{\"user_id\":\"alice\"}]},{\"AND\":[{\"run_id\":null}]}]}",
        "{\"NOT\":{\"user_id\":\"alice\"}}",
        "{\"NOT\":[{\"user_id\":\"alice\"}]}",
        "{\"NOT\":{\"NOT\":{\"user_id\":\"bob\"}}}",
        "{\"NOT\":{\"user_id\":{\"ne\":\"bob\"}}}",
        "{\"NOT\":{\"OR\":[{\"user_id\":\"alice\"},{\"user_id\":\"carol\"}]}}",
        "{\"user_id\":{\"ne\":\"alice\"}}",
        "{\"user_id\":{\"ne\":null}}",
        "{\"user_id\":{\"contains\":\"b\"}}",
        "{\"user_id\":{\"icontains\":\"BOB\"}}",
        "{\"user_id\":{\"ne\":\"alice\",\"contains\":\"o\"}}",
        "{\"created_at\":{\"gte\":\"2000-01-01\"}}",
        "{\"expiration_date\":null}",
        "{\"categories\":{\"ne\":\"x\"}}",
        "{\"metadata\":{\"type\":{\"ne\":\"x\"}}}",
        "{\"memory_ids\":[\"" BOB_ID "\"]}",
        "{\"keywords\":\"release\"}",
        "{\"OR\":[{\"memory_ids\":[\"" BOB_ID "\"]},{\"user_id\":\"alice\"}]}",
        "{\"OR\":[{\"OR\":[{\"user_id\":\"carol\"},{\"app_id\":{\"ne\":\"z\"}}]},"
        "{\"user_id\":\"alice\"}]}",
    };
    cJSON *b = rec_bob();
    for (size_t i = 0; i < sizeof unpinned / sizeof unpinned[0]; i++) {
        filter *f = parse_as(unpinned[i], "alice");
        if (filter_eval(f, b))
            fail_msg("bob's memory matched %s with default user alice", unpinned[i]);
        const char *pin = filter_pinned_user(f);
        /* none of these pins a user, so each was scoped to the default user */
        assert_non_null(pin);
        assert_string_equal(pin, "alice");
        filter_free(f);
        /* and the default user decides which user: */
        f = parse_as(unpinned[i], "bob");
        assert_string_equal(filter_pinned_user(f), "bob");
        filter_free(f);
    }
    /* controls that the record is reachable at all: */
    assert_true(matches("{\"user_id\":\"bob\",\"agent_id\":\"claude\"}", b));
    assert_true(matches("{\"AND\":[{\"user_id\":\"*\"},{\"keywords\":\"release\"}]}", b));
    assert_true(matches("{\"OR\":[{\"user_id\":\"bob\"},{\"user_id\":\"carol\"}]}", b));
    filter *f = parse_as("{\"keywords\":\"release\"}", "bob");
    assert_true(filter_eval(f, b));
    filter_free(f);
    cJSON_Delete(b);
}

/* ---- Errors ----------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"[]", "filters must be a JSON object, got a list"},
        {"\"x\"", "filters must be a JSON object, got a string"},
        {"{\"type\":\"decision\"}",
         "unknown filter field 'type' (metadata keys go under {\"metadata\": {...}})"},
        {"{\"and\":[]}", "unknown filter field 'and'"},
        {"{\"OR\":[{\"bogus\":1}]}", "unknown filter field 'bogus'"},
        {"{\"user_id\":{\"equals\":\"x\"}}", "unknown operator 'equals' on filter field 'user_id' "
                                             "(use eq, ne, in, contains, icontains or the value "
                                             "\"*\")"},
        {"{\"metadata\":{\"k\":{\"like\":\"x\"}}}",
         "unknown operator 'like' on filter field 'metadata.k'"},
        {"{\"created_at\":{\">=\":\"2026-01-01\"}}",
         "unknown operator '>=' on filter field 'created_at' (use eq, ne, in, gt, gte, lt, lte "
         "or the value \"*\")"},
        {"{\"user_id\":{\"gt\":\"a\"}}",
         "operator 'gt' is not supported on filter field 'user_id'"},
        {"{\"created_at\":{\"contains\":\"2026\"}}",
         "operator 'contains' is not supported on filter field 'created_at'"},
        {"{\"keywords\":{\"eq\":\"x\"}}",
         "operator 'eq' is not supported on filter field 'keywords' (use contains, icontains)"},
        {"{\"memory_ids\":{\"gt\":\"x\"}}",
         "operator 'gt' is not supported on filter field 'memory_ids'"},
        {"{\"categories\":{\"lt\":\"x\"}}",
         "operator 'lt' is not supported on filter field 'categories'"},
        {"{\"user_id\":{\"in\":\"bob\"}}", "filter field 'user_id': 'in' needs a list of values, "
                                           "got a string"},
        {"{\"user_id\":{\"in\":[\"bob\",3]}}",
         "filter field 'user_id': every 'in' value must be a non-empty string"},
        {"{\"user_id\":5}", "filter field 'user_id': 'eq' needs a non-empty string, got a number"},
        {"{\"user_id\":\"\"}", "'eq' needs a non-empty string, got an empty string"},
        {"{\"agent_id\":{\"contains\":null}}", "'contains' needs a non-empty string, got null"},
        {"{\"created_at\":{\"gte\":\"last week\"}}",
         "filter field 'created_at': 'last week' is not a date (use ISO 8601 or YYYY-MM-DD)"},
        {"{\"expiration_date\":\"2026-02-30\"}", "'2026-02-30' is not a date"},
        {"{\"updated_at\":{\"lt\":1700000000}}",
         "filter field 'updated_at': 'lt' needs a date string (ISO 8601 or YYYY-MM-DD), got a "
         "number"},
        {"{\"created_at\":{\"gt\":null}}", "'gt' needs a date string"},
        {"{\"timestamp\":{\"in\":[\"2026-01-01\",\"soon\"]}}",
         "filter field 'timestamp': every 'in' value must be a date"},
        {"{\"metadata\":\"decision\"}",
         "filter field 'metadata' needs an object of metadata keys, e.g. {\"metadata\": "
         "{\"type\": \"decision\"}}, got a string"},
        {"{\"metadata\":{\"n\":{\"gt\":\"5\"}}}",
         "filter field 'metadata.n': 'gt' needs a number, got a string"},
        {"{\"metadata\":{\"n\":{\"icontains\":5}}}", "'icontains' needs a string, got a number"},
        {"{\"metadata\":{\"n\":{\"contains\":{}}}}",
         "'contains' needs a string, number or boolean, got an object"},
        {"{\"metadata\":{\"n\":{\"in\":5}}}", "'in' needs a list of values, got a number"},
        {"{\"metadata\":{\"n\":{}}}", "filter field 'metadata.n': empty operator object"},
        {"{\"user_id\":{}}", "filter field 'user_id': empty operator object"},
        {"{\"categories\":{\"contains\":[\"a\"]}}", "'contains' needs a string, got a list"},
        {"{\"keywords\":[\"a\"]}", "operator 'in' is not supported on filter field 'keywords'"},
        {"{\"keywords\":5}", "filter field 'keywords': 'icontains' needs a string, got a number"},
        {"{\"AND\":{\"user_id\":\"x\"}}", "'AND' needs a list of filter objects, got an object"},
        {"{\"OR\":\"x\"}", "'OR' needs a list of filter objects, got a string"},
        {"{\"AND\":[{\"user_id\":\"x\"},\"y\"]}",
         "'AND' items must be filter objects, got a string"},
        {"{\"NOT\":\"x\"}", "'NOT' needs a filter object or a list of them, got a string"},
        {"{\"NOT\":[1]}", "'NOT' items must be filter objects, got a number"},
        /* an error deep inside is still reported, after valid siblings */
        {"{\"OR\":[{\"user_id\":\"a\"},{\"AND\":[{\"app_id\":\"p\"},{\"run_id\":{\"gt\":1}}]}]}",
         "operator 'gt' is not supported on filter field 'run_id'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_error(cases[i].in, cases[i].want);
}

/* {"NOT": ... n levels ... {"app_id":"proj-x"}}. */
static char *nested_not(int n)
{
    strbuf sb = {0};
    for (int i = 0; i < n; i++)
        sb_adds(&sb, "{\"NOT\":");
    sb_adds(&sb, "{\"app_id\":\"proj-x\"}");
    for (int i = 0; i < n; i++)
        sb_adds(&sb, "}");
    return sb_detach(&sb);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char *ok = nested_not(32), *deep = nested_not(33), *huge = nested_not(900);
    filter *f = parse_as(ok, "alice");
    cJSON *a = rec_alice();
    assert_true(filter_eval(f, a)); /* an even number of NOTs around a true condition */
    filter_free(f);
    cJSON_Delete(a);
    assert_error(deep, "filter nested too deeply (the limit is 32 levels)");
    cJSON *j = cJSON_Parse(huge); /* within cJSON's own nesting limit (1000) */
    mem0_err err = {0};
    assert_non_null(j);
    assert_int_equal(filter_parse(j, "alice", &f, &err), MEM0_EINVAL);
    assert_null(f);
    cJSON_Delete(j);
    free(ok);
    free(deep);
    free(huge);
}

/* The parsed filter owns its data: the JSON it came from may be freed at once. */
static void test_independent_of_input(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("{\"OR\":[{\"user_id\":\"bob\"},{\"user_id\":{\"in\":[\"alice\"]}}],"
                           "\"metadata\":{\"type\":{\"in\":[\"decision\"]}},"
                           "\"created_at\":{\"in\":[\"2026-01-15T09:00:00Z\"]}}");
    filter *f = NULL;
    mem0_err err = {0};
    assert_int_equal(filter_parse(j, "carol", &f, &err), 0);
    cJSON_Delete(j);
    cJSON *a = rec_alice();
    assert_true(filter_eval(f, a));
    cJSON_Delete(a);
    filter_free(f);
    filter_free(NULL);
    assert_null(filter_pinned_user(NULL));
    assert_null(filter_describe(NULL));
}

/* No default user given: the local user (identity_user_id) is the scope. */
static void test_default_is_local_user(void **state)
{
    (void)state;
    char local[IDENTITY_MAX];
    identity_user_id(local, sizeof local);
    filter *f = parse_as("{\"app_id\":\"p\"}", NULL);
    assert_non_null(filter_pinned_user(f));
    assert_string_equal(filter_pinned_user(f), local);
    filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entity_ids),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_memory_ids_and_keywords),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_scope_rule),
        cmocka_unit_test(test_describe_round_trips),
        cmocka_unit_test(test_pinned_user),
        cmocka_unit_test(test_no_leak_to_other_users),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_independent_of_input),
        cmocka_unit_test(test_default_is_local_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
