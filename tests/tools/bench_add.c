/*
 * bench_add: add throughput through the public C API, for scripts/bench-scale.sh.
 *
 *   bench_add --home DIR --count N [--user ID] [--seed S]
 *
 * Opens the store under DIR and adds N generated memories one call at a time with
 * mem0_add (infer=false, so every call is one durable write transaction), then prints one
 * JSON line {"adds":N,"secs":S,"per_sec":R,"p50_ms":..,"p99_ms":..}.  The texts vary
 * (counter, seeded word picks) so no two are alike.  Exit 0, 1 on a failed add, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mem0.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng_state = 88172645463325252ULL;
static unsigned pick(unsigned n)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *home = NULL, *user = "bench";
    long count = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--home") == 0)
            home = argv[i + 1];
        else if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--user") == 0)
            user = argv[i + 1];
        else if (strcmp(argv[i], "--seed") == 0)
            rng_state += strtoull(argv[i + 1], NULL, 10);
        else
            count = -1;
    }
    if (!home || count <= 0 || argc % 2 == 0) {
        fprintf(stderr, "usage: bench_add --home DIR --count N [--user ID] [--seed S]\n");
        return 2;
    }
    static const char *const subjects[] = {"the importer",    "the release job", "the schema",
                                           "the cache",       "the CLI",         "the search index",
                                           "the deploy step", "the auth module"};
    static const char *const facts[] = {"now retries with backoff",
                                        "needs Node 22",
                                        "is pinned to Debian 12",
                                        "must stay under 2 ms",
                                        "reads settings from the environment",
                                        "was moved behind a feature flag"};
    mem0_options opt = {home, 0, 0};
    mem0 *m = NULL;
    mem0_err err = {0};
    if (mem0_open(&opt, &m, &err)) {
        fprintf(stderr, "bench_add: open %s: %s\n", home, err.msg);
        return 1;
    }
    double *lat = malloc((size_t)count * sizeof *lat);
    int ret = lat ? 0 : 1;
    cJSON *md = cJSON_CreateObject();
    cJSON_AddStringToObject(md, "type", "task_learning");
    double t0 = now_s();
    for (long i = 0; i < count && !ret; i++) {
        char text[256];
        snprintf(text, sizeof text, "API bench %ld: %s %s (case %u)", i,
                 subjects[pick(sizeof subjects / sizeof *subjects)],
                 facts[pick(sizeof facts / sizeof *facts)], pick(1000000));
        mem0_add_req req = {0};
        req.text = text;
        req.scope.user_id = user;
        req.scope.app_id = "bench-api";
        req.metadata = md;
        req.infer = 0;
        req.actor = "bench";
        cJSON *res = NULL;
        double a = now_s();
        if (mem0_add(m, &req, &res, &err)) {
            fprintf(stderr, "bench_add: add %ld: %s\n", i, err.msg);
            ret = 1;
        }
        lat[i] = now_s() - a;
        cJSON_Delete(res);
    }
    double secs = now_s() - t0;
    if (!ret) {
        qsort(lat, (size_t)count, sizeof *lat, cmp_double);
        size_t p99 = (size_t)((double)count * 0.99);
        if (p99 >= (size_t)count) p99 = (size_t)count - 1;
        printf("{\"adds\":%ld,\"secs\":%.4f,\"per_sec\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
               count, secs, (double)count / secs, 1000 * lat[count / 2], 1000 * lat[p99]);
    }
    cJSON_Delete(md);
    free(lat);
    mem0_close(m);
    return ret;
}
