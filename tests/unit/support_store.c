/* support_store.c: helpers shared by the unit tests (see support.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

const char *test_scratch_dir(const char *tag)
{
    const char *base = getenv("MEM0_HOME");
    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    /* A ring of static buffers: callers keep at most a few folders at once. */
    static char dirs[16][4096];
    static unsigned next;
    char *tmpl = dirs[next++ % 16];
    snprintf(tmpl, sizeof dirs[0], "%s/%s.XXXXXX", base, tag);
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return dir;
}

mem0 *test_open_store(const char *tag, size_t map_size)
{
    mem0_options opt = {test_scratch_dir(tag), map_size, 0};
    mem0 *m = NULL;
    mem0_err err = {0};
    int rc = mem0_open(&opt, &m, &err);
    if (rc)
        fail_msg("mem0_open: %s", err.msg);
    return m;
}

cJSON *test_json(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("bad JSON in test: %s", text);
    return j;
}

const char *test_add(mem0 *m, const char *user, const char *text, const char *expiration)
{
    static char id[64];
    mem0_add_req req = {0};
    req.text = text;
    req.scope.user_id = user;
    req.expiration_date = expiration;
    req.actor = "test";
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_add(m, &req, &res, &err);
    if (rc)
        fail_msg("mem0_add: %s", err.msg);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0);
    assert_non_null(first);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(first, "id")->valuestring);
    cJSON_Delete(res);
    return id;
}
