/*
 * writer: one long-lived process adding memories through the public API, one mem0_add
 * (one durable write transaction) per memory (integration tests: concurrent writers, a
 * writer killed mid-way).
 *
 *   writer [--count N] [--prefix TEXT] [--user ID] [--agent ID] [--app ID] [--run ID]
 *          [--quiet]
 *
 * Opens the store in $MEM0_HOME (MEM0_MAP_SIZE applies) and adds N memories (0: until
 * killed) with infer=false, each a distinct short sentence starting with TEXT.  Prints
 * "<n> <id>" after each acknowledged add (flushed, so a test killing it knows what was
 * acknowledged) unless --quiet.  Exits 0, or 1 with the store's message on the first
 * failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem0.h"

static const char *const subjects[] = {"the build",  "the parser", "the release", "the cache",
                                       "the CI job", "the schema", "the API",     "the index"};
static const char *const verbs[] = {"uses",  "prefers",      "avoids",
                                    "needs", "was moved to", "depends on"};
static const char *const objects[] = {"LMDB", "clang-format", "cmocka",        "a nightly run",
                                      "tabs", "Debian 12",    "page size 100", "JSONL"};

static int usage(void)
{
    fprintf(stderr, "usage: writer [--count N] [--prefix TEXT] [--user ID] [--agent ID] "
                    "[--app ID] [--run ID] [--quiet]\n");
    return 2;
}

int main(int argc, char **argv)
{
    long count = 0;
    int quiet = 0;
    const char *prefix = "writer";
    mem0_scope scope = {NULL, NULL, NULL, NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (!next) return usage();
        if (strcmp(a, "--count") == 0)
            count = strtol(next, NULL, 10);
        else if (strcmp(a, "--prefix") == 0)
            prefix = next;
        else if (strcmp(a, "--user") == 0)
            scope.user_id = next;
        else if (strcmp(a, "--agent") == 0)
            scope.agent_id = next;
        else if (strcmp(a, "--app") == 0)
            scope.app_id = next;
        else if (strcmp(a, "--run") == 0)
            scope.run_id = next;
        else
            return usage();
        i++;
    }

    mem0 *m = NULL;
    mem0_err err = {0};
    mem0_options opt = {NULL, 0, 0};
    if (mem0_open(&opt, &m, &err) != 0) {
        fprintf(stderr, "writer: mem0_open: %s\n", err.msg);
        return 1;
    }
    int ret = 0;
    for (long n = 1; count <= 0 || n <= count; n++) {
        char text[256];
        size_t ns = sizeof subjects / sizeof *subjects, nv = sizeof verbs / sizeof *verbs,
               no = sizeof objects / sizeof *objects;
        snprintf(text, sizeof text, "%s %ld: %s %s %s", prefix, n, subjects[(size_t)n % ns],
                 verbs[(size_t)n / ns % nv], objects[(size_t)n / (ns * nv) % no]);
        mem0_add_req req = {0};
        req.text = text;
        req.scope = scope;
        req.infer = 0;
        req.actor = "test-writer";
        cJSON *res = NULL;
        if (mem0_add(m, &req, &res, &err) != 0) {
            fprintf(stderr, "writer: mem0_add #%ld: %s\n", n, err.msg);
            ret = 1;
            break;
        }
        const cJSON *results = cJSON_GetObjectItemCaseSensitive(res, "results");
        const cJSON *first = cJSON_GetArrayItem(results, 0);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(first, "id");
        if (!cJSON_IsString(id)) {
            fprintf(stderr, "writer: mem0_add #%ld returned no id\n", n);
            cJSON_Delete(res);
            ret = 1;
            break;
        }
        if (!quiet) {
            printf("%ld %s\n", n, id->valuestring);
            fflush(stdout);
        }
        cJSON_Delete(res);
    }
    mem0_close(m);
    return ret;
}
