/*
 * bench_vindex: the vector index (core/vindex.h) alone: recall@10 against exact float
 * search, queries per second, build time, bytes, and the cold path (a fresh process that
 * opens the store and searches once, as a hook does).  Driven by scripts/bench-scale.sh
 * (with scripts/bench-vindex.mjs running npm usearch on the same files); every command
 * prints one JSON line on stdout, progress on stderr.
 *
 *   bench_vindex gen --dir DIR --n N --queries Q [--dim 384] [--kind clustered|random]
 *       Writes DIR/base.f32 (N x dim float32, little endian, L2-normalised),
 *       DIR/query.f32 (Q x dim) and DIR/truth.i32 (Q x 10 row numbers of the exact top 10
 *       by dot product = cosine, computed here in float, best first; ties to the lower row),
 *       and prints the exact float scan's queries per second (one core).
 *       "clustered": 1 + N/500 random centres, each vector a centre plus a point of a shared
 *       24-dim subspace plus a little noise (the shape of real text embeddings: clusters and
 *       a low intrinsic dimension); "random": isotropic Gaussian (the pathological case for
 *       graph and quantized indexes: every point nearly as far as every other).  Queries
 *       come from the same distribution.
 *   bench_vindex vindex --dir DIR [--cold-runs 20]
 *       Builds the index in DIR/store from base.f32 (row r is memory id r, tag 1) unless it
 *       exists, then searches it: the exact int8 scan (SIMD and scalar kernels: their hits
 *       must be identical), the coarse pass at several rerank depths and the default
 *       (VINDEX_AUTO); recall@10 against truth.i32, queries per second (wall) and CPU ms per
 *       query; then the cold path: --cold-runs fresh processes each opening the store and
 *       searching once, next to the same binary exiting at once.  One JSON line:
 *       {"build_secs","bytes","live","kernel","rows":[{"name","setting","recall","qps",
 *        "cpu_ms","rescored"}...],"identical_kernels","cold":{"mode","runs","wall_ms_p50",
 *        "empty_ms_p50","open_ms_p50","search_ms_p50"}}
 *       (qps: wall clock, one thread; cpu_ms: that thread's CPU time per query, steadier on
 *       a busy machine; rescored: vectors scored exactly per query; cold: wall time of
 *       fork to exit, the same for this binary exiting at once, and the child's own
 *       timings of opening the store and of the search)
 *   bench_vindex search --dir DIR [--mode exact|coarse|auto] [--rerank R] [--limit Q]
 *       One row on an existing DIR/store (tuning).
 *   bench_vindex cold --dir DIR [--mode auto] [--runs 20]     the cold path alone.
 * Exit 0, 1 on failure, 2 on usage.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "vindex.h"

#define TOPK 10

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- Seeded generation -------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double uniform(void)
{
    return ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
}
static float gauss(void)
{
    return (float)(sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()));
}

static void normalise(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0;
    for (int i = 0; i < dim; i++)
        v[i] *= inv;
}

/* Rank of the shared low-dimensional structure of "clustered" vectors. */
#define LATENT 24

/* n vectors into out.  With centres: centre + 0.6 * (basis . z) + 0.1 * noise per
 * dimension, z a LATENT-dim Gaussian, so neighbours live on a low-dimensional surface as
 * text embeddings do; without: isotropic Gaussian. */
static void fill(float *out, long n, int dim, const float *centres, long ncentres,
                 const float *basis)
{
    for (long r = 0; r < n; r++) {
        float *v = out + r * dim;
        if (!centres) {
            for (int i = 0; i < dim; i++)
                v[i] = gauss();
            normalise(v, dim);
            continue;
        }
        const float *c = centres + (long)(next_u64() % (uint64_t)ncentres) * dim;
        float z[LATENT];
        for (int k = 0; k < LATENT; k++)
            z[k] = gauss() * 0.6f / sqrtf((float)LATENT);
        for (int i = 0; i < dim; i++) {
            float s = c[i] + 0.1f * gauss();
            for (int k = 0; k < LATENT; k++)
                s += basis[(long)k * dim + i] * z[k];
            v[i] = s;
        }
        normalise(v, dim);
    }
}

/* ---- Exact float search ------------------------------------------------------------- */

/* Eight independent sums so the compiler can vectorise without reassociating. */
static float dot(const float *a, const float *b, int dim)
{
    float s[8] = {0};
    int i = 0;
    for (; i + 8 <= dim; i += 8)
        for (int j = 0; j < 8; j++)
            s[j] += a[i + j] * b[i + j];
    float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < dim; i++)
        t += a[i] * b[i];
    return t;
}

/* Top TOPK rows of base for q, best first; ties go to the lower row. */
static void exact_top(const float *base, long n, int dim, const float *q, int32_t *out)
{
    float best[TOPK] = {0};
    int k = 0;
    for (long r = 0; r < n; r++) {
        float s = dot(base + r * dim, q, dim);
        if (k == TOPK && s <= best[TOPK - 1]) continue;
        int at = k < TOPK ? k++ : TOPK - 1;
        while (at > 0 && best[at - 1] < s) {
            best[at] = best[at - 1];
            out[at] = out[at - 1];
            at--;
        }
        best[at] = s;
        out[at] = (int32_t)r;
    }
    for (; k < TOPK; k++)
        out[k] = -1;
}

typedef struct truth_job {
    const float *base, *qs;
    long n, from, to;
    int dim;
    int32_t *truth;
} truth_job;

static void *truth_worker(void *arg)
{
    truth_job *j = arg;
    for (long q = j->from; q < j->to; q++)
        exact_top(j->base, j->n, j->dim, j->qs + q * j->dim, j->truth + q * TOPK);
    return NULL;
}

/* The exact top 10 of every query, on every core. */
static int exact_all(const float *base, long n, int dim, const float *qs, long nq, int32_t *truth)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int)ncpu;
    pthread_t tid[16];
    truth_job jobs[16];
    int started = 0, ret = 0;
    for (int t = 0; t < nt; t++) {
        jobs[t] = (truth_job){base, qs, n, nq * t / nt, nq * (t + 1) / nt, dim, truth};
        if (pthread_create(&tid[t], NULL, truth_worker, &jobs[t]) != 0) {
            truth_worker(&jobs[t]);
            continue;
        }
        started |= 1 << t;
    }
    for (int t = 0; t < nt; t++)
        if (started & (1 << t)) ret |= pthread_join(tid[t], NULL);
    return ret ? -1 : 0;
}

/* ---- Files --------------------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, bytes, f) == bytes;
    if (f && fclose(f)) ok = 0;
    if (!ok) perror(path);
    return ok ? 0 : -1;
}

/* The whole file into a new buffer; *bytes gets its size. */
static void *read_file(const char *dir, const char *name, size_t *bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    void *p = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len > 0 && fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len)) &&
            fread(p, 1, (size_t)len, f) != (size_t)len) {
            free(p);
            p = NULL;
        }
        *bytes = len > 0 ? (size_t)len : 0;
    }
    if (f) fclose(f);
    if (!p) perror(path);
    return p;
}

static int cmd_gen(const char *dir, long n, long nq, int dim, const char *kind)
{
    int clustered = strcmp(kind, "clustered") == 0;
    if (!clustered && strcmp(kind, "random") != 0) {
        fprintf(stderr, "bench_vindex: --kind is clustered or random\n");
        return 2;
    }
    long ncentres = clustered ? 1 + n / 500 : 0;
    float *centres = ncentres ? malloc((size_t)ncentres * (size_t)dim * sizeof(float)) : NULL;
    float *basis = malloc((size_t)LATENT * (size_t)dim * sizeof(float));
    float *base = malloc((size_t)n * (size_t)dim * sizeof(float));
    float *qs = malloc((size_t)nq * (size_t)dim * sizeof(float));
    int32_t *truth = malloc((size_t)nq * TOPK * sizeof(int32_t));
    int ret = 1;
    if ((ncentres && !centres) || !basis || !base || !qs || !truth) {
        fprintf(stderr, "bench_vindex: out of memory\n");
        goto out;
    }
    if (centres) {
        for (long i = 0; i < ncentres * dim; i++)
            centres[i] = gauss();
        for (long i = 0; i < LATENT * dim; i++)
            basis[i] = gauss();
    }
    fill(base, n, dim, centres, ncentres, basis);
    fill(qs, nq, dim, centres, ncentres, basis);
    /* Queries per second of the exact float scan on one core, over the first queries;
     * then the ground truth of all of them on every core. */
    long timed = nq < 200 ? nq : 200;
    double t0 = now_s();
    for (long q = 0; q < timed; q++)
        exact_top(base, n, dim, qs + q * dim, truth + q * TOPK);
    double secs = now_s() - t0;
    if (exact_all(base, n, dim, qs, nq, truth)) {
        fprintf(stderr, "bench_vindex: a worker thread failed\n");
        goto out;
    }
    if (write_file(dir, "base.f32", base, (size_t)n * (size_t)dim * sizeof(float)) ||
        write_file(dir, "query.f32", qs, (size_t)nq * (size_t)dim * sizeof(float)) ||
        write_file(dir, "truth.i32", truth, (size_t)nq * TOPK * sizeof(int32_t)))
        goto out;
    printf("{\"n\":%ld,\"queries\":%ld,\"dim\":%d,\"kind\":\"%s\",\"exact_timed\":%ld,"
           "\"exact_qps\":%.2f}\n",
           n, nq, dim, kind, timed, (double)timed / secs);
    ret = 0;
out:
    free(centres);
    free(basis);
    free(base);
    free(qs);
    free(truth);
    return ret;
}

typedef struct put_ctx {
    const float *base;
    long from, to;
    int dim;
} put_ctx;

/* Memory ids are the row number, big-endian, in the first 8 bytes. */
static void row_id(long row, uint8_t id[16])
{
    memset(id, 0, 16);
    for (int i = 0; i < 8; i++)
        id[i] = (uint8_t)((uint64_t)row >> (56 - 8 * i));
}

static long id_row(const uint8_t id[16])
{
    uint64_t row = 0;
    for (int i = 0; i < 8; i++)
        row = row << 8 | id[i];
    return (long)row;
}

static int put_batch(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    const put_ctx *c = vctx;
    for (long r = c->from; r < c->to; r++) {
        uint8_t id[16];
        row_id(r, id);
        int rc = vindex_put(txn, db, id, 1, c->base + r * c->dim, c->dim, err);
        if (rc) return rc;
    }
    return 0;
}

typedef struct search_ctx {
    vindex_query q;
    vindex_hit hits[TOPK];
    int n;
    vindex_info info;
} search_ctx;

static int search_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    search_ctx *c = vctx;
    return vindex_search(txn, db, &c->q, c->hits, &c->n, err);
}

static int info_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    search_ctx *c = vctx;
    return vindex_get_info(txn, db, &c->info, err);
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct bench {
    const char *dir;
    int dim;
    float *base, *qs;
    int32_t *truth;
    long n, nq;
    store *st;
    char home[4096];
} bench;

/* Loads the query (and truth) files; base.f32 only when want_base. */
static int bench_load(bench *b, int want_base)
{
    size_t bb = 0, qb = 0, tb = 0;
    if (want_base && !(b->base = read_file(b->dir, "base.f32", &bb))) return -1;
    if (!(b->qs = read_file(b->dir, "query.f32", &qb))) return -1;
    if (!(b->truth = read_file(b->dir, "truth.i32", &tb))) return -1;
    b->n = (long)(bb / sizeof(float) / (size_t)b->dim);
    b->nq = (long)(qb / sizeof(float) / (size_t)b->dim);
    if (tb != (size_t)b->nq * TOPK * sizeof(int32_t)) {
        fprintf(stderr, "bench_vindex: truth.i32 does not match query.f32\n");
        return -1;
    }
    snprintf(b->home, sizeof b->home, "%s/store", b->dir);
    return 0;
}

static void bench_free(bench *b)
{
    store_close(b->st);
    free(b->base);
    free(b->qs);
    free(b->truth);
}

static int bench_open(bench *b, long n_hint)
{
    mem0_err err = {0};
    size_t map = (size_t)n_hint * (size_t)(b->dim + 160) * 2 + ((size_t)64 << 20);
    if (store_open(b->home, map, 0, &b->st, &err)) {
        fprintf(stderr, "bench_vindex: open %s: %s\n", b->home, err.msg);
        return -1;
    }
    return 0;
}

/* Builds DIR/store from base.f32 in transactions of 20000 vectors; *secs is 0 when the
 * store already held the vectors. */
static int bench_build(bench *b, double *secs)
{
    struct stat sb;
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", b->home);
    int fresh = stat(path, &sb) != 0;
    *secs = 0;
    if (bench_open(b, b->n)) return -1;
    if (!fresh) return 0;
    mem0_err err = {0};
    double t0 = now_s();
    for (long from = 0; from < b->n; from += 20000) {
        put_ctx pc = {b->base, from, from + 20000 < b->n ? from + 20000 : b->n, b->dim};
        if (store_write(b->st, put_batch, &pc, &err)) {
            fprintf(stderr, "bench_vindex: vindex_put: %s\n", err.msg);
            return -1;
        }
    }
    *secs = now_s() - t0;
    return 0;
}

typedef struct row {
    const char *name;
    int mode, rerank;
    const char *kernel; /* NULL: the active one; "scalar": forced */
    double recall, qps, cpu_ms, rescored;
} row;

/* Runs the first `limit` queries (0: all) of one row; hits_out (nq * TOPK ids, -1 for
 * none) receives the results when not NULL. */
static int run_row(bench *b, row *r, long limit, long *hits_out)
{
    mem0_err err = {0};
    long nq = limit > 0 && limit < b->nq ? limit : b->nq;
    double hits = 0, wall = 0, cpu = 0, rescored = 0;
    search_ctx c;
    vindex_stats stats;
    if (r->kernel) setenv("MEM0_VINDEX_KERNEL", r->kernel, 1);
    for (long q = 0; q < nq; q++) {
        memset(&c.q, 0, sizeof c.q);
        c.q.vec = b->qs + q * b->dim;
        c.q.dim = b->dim;
        c.q.n = TOPK;
        c.q.mode = r->mode;
        c.q.rerank = r->rerank;
        c.q.stats = &stats;
        double a = now_s(), ac = cpu_s();
        int rc = store_read(b->st, search_txn, &c, &err);
        wall += now_s() - a;
        cpu += cpu_s() - ac;
        rescored += (double)stats.rescored;
        if (rc) {
            fprintf(stderr, "bench_vindex: vindex_search: %s\n", err.msg);
            unsetenv("MEM0_VINDEX_KERNEL");
            return -1;
        }
        for (int h = 0; h < TOPK; h++) {
            long got = h < c.n ? id_row(c.hits[h].id) : -1;
            if (hits_out) hits_out[q * TOPK + h] = got;
            for (int t = 0; t < TOPK && got >= 0; t++)
                if (b->truth[q * TOPK + t] == got) hits += 1;
        }
    }
    unsetenv("MEM0_VINDEX_KERNEL");
    r->recall = hits / ((double)nq * TOPK);
    r->qps = (double)nq / wall;
    r->cpu_ms = cpu * 1e3 / (double)nq;
    r->rescored = rescored / (double)nq;
    return 0;
}

static void print_row(const row *r, int first)
{
    char setting[64];
    if (r->mode == VINDEX_COARSE)
        snprintf(setting, sizeof setting, "rerank <= %d", r->rerank);
    else if (r->mode == VINDEX_AUTO)
        snprintf(setting, sizeof setting, "default (auto)");
    else
        snprintf(setting, sizeof setting, "%s kernel",
                 r->kernel ? r->kernel : vindex_kernels_active()->name);
    printf("%s{\"name\":\"%s\",\"setting\":\"%s\",\"recall\":%.4f,\"qps\":%.2f,"
           "\"cpu_ms\":%.3f,\"rescored\":%.0f}",
           first ? "" : ",", r->name, setting, r->recall, r->qps, r->cpu_ms, r->rescored);
}

static const char *mode_name(int mode)
{
    return mode == VINDEX_EXACT ? "exact" : mode == VINDEX_COARSE ? "coarse" : "auto";
}

static int mode_parse(const char *s)
{
    return strcmp(s, "exact") == 0    ? VINDEX_EXACT
           : strcmp(s, "coarse") == 0 ? VINDEX_COARSE
                                      : VINDEX_AUTO;
}

/* ---- Cold path ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* In a fresh process: open the store, search query q once, print "open_ms search_ms". */
static int cmd_child(const char *dir, int dim, long q, int mode)
{
    double t0 = now_s();
    bench b = {.dir = dir, .dim = dim};
    snprintf(b.home, sizeof b.home, "%s/store", dir);
    mem0_err err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/query.f32", dir);
    float *qv = malloc((size_t)dim * sizeof(float));
    FILE *f = fopen(path, "rb");
    int ok = qv && f && fseek(f, q * dim * (long)sizeof(float), SEEK_SET) == 0 &&
             fread(qv, sizeof(float), (size_t)dim, f) == (size_t)dim;
    if (f) fclose(f);
    if (!ok || store_open(b.home, 0, 1, &b.st, &err)) {
        fprintf(stderr, "bench_vindex: child: %s\n", ok ? err.msg : "cannot read query.f32");
        free(qv);
        return 1;
    }
    double t1 = now_s();
    search_ctx c;
    memset(&c, 0, sizeof c);
    c.q.vec = qv;
    c.q.dim = dim;
    c.q.n = TOPK;
    c.q.mode = mode;
    int rc = store_read(b.st, search_txn, &c, &err);
    double t2 = now_s();
    store_close(b.st);
    free(qv);
    if (rc) {
        fprintf(stderr, "bench_vindex: child search: %s\n", err.msg);
        return 1;
    }
    printf("%.4f %.4f\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    return 0;
}

/* Wall time of one child process from fork to exit; its "open search" line in out. */
static double spawn(char *const argv[], double out[2])
{
    int fd[2];
    if (pipe(fd)) return -1;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fd[1]);
    char buf[128] = {0};
    ssize_t got = 0, r;
    while (got < (ssize_t)sizeof buf - 1 &&
           (r = read(fd[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += r;
    close(fd[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return -1;
    double t = (now_s() - t0) * 1e3;
    out[0] = out[1] = 0;
    if (sscanf(buf, "%lf %lf", &out[0], &out[1]) != 2 && argv[1] && strcmp(argv[1], "empty") != 0)
        return -1;
    return t;
}

/* p50s of `runs` cold searches (queries 0, 1, ...) and of as many empty runs of this
 * binary, interleaved so both see the same machine. */
static int cold_measure(const char *dir, int dim, int mode, int runs, long nq, double p50[4])
{
    double *v = calloc((size_t)runs * 4, sizeof(double));
    if (!v) return -1;
    char dimbuf[16], qbuf[32];
    snprintf(dimbuf, sizeof dimbuf, "%d", dim);
    int ret = 0;
    for (int i = 0; i < runs && ret == 0; i++) {
        snprintf(qbuf, sizeof qbuf, "%ld", nq > 0 ? i % nq : 0);
        char *cargv[] = {"bench_vindex",
                         "child",
                         "--dir",
                         (char *)dir,
                         "--dim",
                         dimbuf,
                         "--query",
                         qbuf,
                         "--mode",
                         (char *)mode_name(mode),
                         NULL};
        char *eargv[] = {"bench_vindex", "empty", NULL};
        double o[2], e[2];
        double tw = spawn(cargv, o), te = spawn(eargv, e);
        if (tw < 0 || te < 0) ret = -1;
        v[i] = tw;
        v[runs + i] = te;
        v[2 * runs + i] = o[0];
        v[3 * runs + i] = o[1];
    }
    for (int j = 0; j < 4 && ret == 0; j++) {
        qsort(v + j * runs, (size_t)runs, sizeof(double), cmp_double);
        p50[j] = v[j * runs + runs / 2];
    }
    free(v);
    return ret;
}

static void print_cold(int mode, int runs, const double p50[4])
{
    printf("{\"mode\":\"%s\",\"runs\":%d,\"wall_ms_p50\":%.3f,\"empty_ms_p50\":%.3f,"
           "\"open_ms_p50\":%.3f,\"search_ms_p50\":%.3f}",
           mode_name(mode), runs, p50[0], p50[1], p50[2], p50[3]);
}

/* ---- Commands ----------------------------------------------------------------------- */

static int cmd_vindex(const char *dir, int dim, int cold_runs)
{
    bench b = {.dir = dir, .dim = dim};
    int ret = 1;
    long *hits_simd = NULL, *hits_scalar = NULL;
    double build;
    mem0_err err = {0};
    if (bench_load(&b, 1) || bench_build(&b, &build)) goto out;
    search_ctx c;
    memset(&c, 0, sizeof c);
    if (store_read(b.st, info_txn, &c, &err)) {
        fprintf(stderr, "bench_vindex: vindex_get_info: %s\n", err.msg);
        goto out;
    }
    row rows[] = {{"exact int8 scan", VINDEX_EXACT, 0, NULL, 0, 0, 0, 0},
                  {"exact int8 scan", VINDEX_EXACT, 0, "scalar", 0, 0, 0, 0},
                  {"coarse sign bits + rerank", VINDEX_COARSE, 250, NULL, 0, 0, 0, 0},
                  {"coarse sign bits + rerank", VINDEX_COARSE, 1000, NULL, 0, 0, 0, 0},
                  {"coarse sign bits + rerank", VINDEX_COARSE, 4000, NULL, 0, 0, 0, 0},
                  {"default", VINDEX_AUTO, 0, NULL, 0, 0, 0, 0}};
    size_t nrows = sizeof rows / sizeof rows[0];
    /* The scalar kernel is slow: it runs on a subset of the queries, compared hit for hit. */
    long scalar_q = b.nq < 100 ? b.nq : 100;
    hits_simd = malloc((size_t)b.nq * TOPK * sizeof(long));
    hits_scalar = malloc((size_t)scalar_q * TOPK * sizeof(long));
    if (!hits_simd || !hits_scalar) goto out;
    for (size_t i = 0; i < nrows; i++) {
        fprintf(stderr, "bench_vindex: %s %s\n", rows[i].name,
                rows[i].kernel ? rows[i].kernel : "");
        if (run_row(&b, &rows[i], rows[i].kernel ? scalar_q : 0,
                    i == 0   ? hits_simd
                    : i == 1 ? hits_scalar
                             : NULL))
            goto out;
    }
    int identical = memcmp(hits_simd, hits_scalar, (size_t)scalar_q * TOPK * sizeof(long)) == 0;
    store_close(b.st);
    b.st = NULL;
    double p50[4];
    fprintf(stderr, "bench_vindex: cold path\n");
    if (cold_runs > 0 && cold_measure(dir, dim, VINDEX_AUTO, cold_runs, b.nq, p50)) {
        fprintf(stderr, "bench_vindex: a cold run failed\n");
        goto out;
    }
    printf("{\"build_secs\":%.3f,\"bytes\":%llu,\"live\":%llu,\"kernel\":\"%s\",\"rows\":[", build,
           (unsigned long long)c.info.bytes, (unsigned long long)c.info.live,
           vindex_kernels_active()->name);
    for (size_t i = 0; i < nrows; i++)
        print_row(&rows[i], i == 0);
    printf("],\"identical_kernels\":%s", identical ? "true" : "false");
    if (cold_runs > 0) {
        printf(",\"cold\":");
        print_cold(VINDEX_AUTO, cold_runs, p50);
    }
    printf("}\n");
    ret = identical ? 0 : 1;
    if (!identical) fprintf(stderr, "bench_vindex: scalar and SIMD kernels disagree\n");
out:
    free(hits_simd);
    free(hits_scalar);
    bench_free(&b);
    return ret;
}

static int cmd_search(const char *dir, int dim, int mode, int rerank, long limit)
{
    bench b = {.dir = dir, .dim = dim};
    int ret = 1;
    if (bench_load(&b, 0) || bench_open(&b, 0)) goto out;
    row r = {"search", mode, rerank, NULL, 0, 0, 0, 0};
    if (run_row(&b, &r, limit, NULL)) goto out;
    print_row(&r, 1);
    printf("\n");
    ret = 0;
out:
    bench_free(&b);
    return ret;
}

static int cmd_cold(const char *dir, int dim, int mode, int runs)
{
    double p50[4];
    if (cold_measure(dir, dim, mode, runs, 1, p50)) {
        fprintf(stderr, "bench_vindex: a cold run failed\n");
        return 1;
    }
    print_cold(mode, runs, p50);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *kind = "clustered", *mode = "auto";
    long n = 0, nq = 1000, query = 0, limit = 0;
    int dim = 384, bad = argc < 2, runs = 20, rerank = 0;
    if (argc >= 2 && strcmp(argv[1], "empty") == 0) return 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--dir") == 0)
            dir = v;
        else if (strcmp(o, "--n") == 0)
            n = strtol(v, NULL, 10);
        else if (strcmp(o, "--queries") == 0)
            nq = strtol(v, NULL, 10);
        else if (strcmp(o, "--dim") == 0)
            dim = (int)strtol(v, NULL, 10);
        else if (strcmp(o, "--kind") == 0)
            kind = v;
        else if (strcmp(o, "--mode") == 0)
            mode = v;
        else if (strcmp(o, "--rerank") == 0)
            rerank = (int)strtol(v, NULL, 10);
        else if (strcmp(o, "--limit") == 0)
            limit = strtol(v, NULL, 10);
        else if (strcmp(o, "--query") == 0)
            query = strtol(v, NULL, 10);
        else if (strcmp(o, "--runs") == 0 || strcmp(o, "--cold-runs") == 0)
            runs = (int)strtol(v, NULL, 10);
        else
            bad = 1;
    }
    if (bad || !dir || argc % 2 != 0 || dim <= 0 || dim > 4096 || runs < 0) {
        fprintf(stderr,
                "usage: bench_vindex gen --dir DIR --n N --queries Q [--dim 384] "
                "[--kind clustered|random]\n"
                "       bench_vindex vindex --dir DIR [--dim 384] [--cold-runs 20]\n"
                "       bench_vindex search --dir DIR [--mode exact|coarse|auto] [--rerank R] "
                "[--limit Q]\n"
                "       bench_vindex cold --dir DIR [--mode auto] [--runs 20]\n");
        return 2;
    }
    if (strcmp(argv[1], "gen") == 0 && n > 0 && nq > 0) return cmd_gen(dir, n, nq, dim, kind);
    if (strcmp(argv[1], "vindex") == 0) return cmd_vindex(dir, dim, runs);
    if (strcmp(argv[1], "search") == 0)
        return cmd_search(dir, dim, mode_parse(mode), rerank, limit);
    if (strcmp(argv[1], "cold") == 0)
        return cmd_cold(dir, dim, mode_parse(mode), runs > 0 ? runs : 1);
    if (strcmp(argv[1], "child") == 0) return cmd_child(dir, dim, query, mode_parse(mode));
    fprintf(stderr, "bench_vindex: unknown command or missing --n\n");
    return 2;
}
