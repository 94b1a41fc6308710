/* test_vindex.c: the vector index: every SIMD kernel against the scalar one (odd lengths,
 * unaligned rows, the extremes -127/127), quantization error bounds, the coarse pass's
 * tables and transposed sign bits, and the index in a store: put/replace/delete/search semantics
 * checked against a model, tags and predicates, deterministic ties, identical rankings whichever
 * kernel runs, and the consistency check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "support.h"
#include "util.h"
#include "vindex.h"

/* ---- Helpers ------------------------------------------------------------------------ */

static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rand_int(int lo, int hi) /* lo..hi inclusive */
{
    return lo + (int)(next_u64() % (uint64_t)(hi - lo + 1));
}

static double rand_gauss(void)
{
    double u = ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void rand_unit(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++) {
        v[i] = (float)rand_gauss();
        s += (double)v[i] * v[i];
    }
    for (int i = 0; i < dim; i++)
        v[i] = (float)(v[i] / sqrt(s));
}

static void fill_codes(int8_t *p, size_t n, int how)
{
    for (size_t i = 0; i < n; i++)
        p[i] = how == 0   ? (int8_t)rand_int(-127, 127)
               : how == 1 ? 127
               : how == 2 ? -127
                          : (int8_t)(i % 2 ? 127 : -127);
}

static int64_t ref_dot(const int8_t *a, const int8_t *b, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += (int64_t)a[i] * b[i];
    return s;
}

/* The coarse sum of a row straight from the tables: sum over its 4-bit groups. */
static int64_t ref_coarse(const uint8_t *lut, const uint8_t *bits, size_t nbytes)
{
    int64_t s = 0;
    for (size_t k = 0; k < 2 * nbytes; k++)
        s += lut[16 * k + ((bits[k / 2] >> (k % 2 ? 4 : 0)) & 15)];
    return s;
}

/* ---- Kernels ------------------------------------------------------------------------ */

/* Every kernel set this machine runs: scalar, and the SIMD one if the CPU has it. */
static int kernel_sets(const vindex_kernels *ks[2])
{
    ks[0] = vindex_kernels_scalar();
    ks[1] = vindex_kernels_simd();
    return ks[1] ? 2 : 1;
}

static void test_dot_kernels(void **state)
{
    (void)state;
    const vindex_kernels *ks[2];
    int nk = kernel_sets(ks);
    if (nk == 1) print_message("no SIMD kernel on this CPU: scalar checked against reference\n");
    enum { MAXN = 8192 + 64 };
    int8_t *a = malloc(MAXN), *b = malloc(MAXN);
    assert_non_null(a);
    assert_non_null(b);
    size_t lens[400];
    size_t nl = 0;
    for (size_t n = 0; n <= 300; n++)
        lens[nl++] = n;
    static const size_t big[] = {383,  384,  385,  447,  448,  511,  512,  513,  767,  768,
                                 1023, 1024, 1025, 1535, 1536, 2047, 4095, 4096, 8191, 8192};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++)
        lens[nl++] = big[i];
    for (size_t li = 0; li < nl; li++) {
        size_t n = lens[li];
        for (int how = 0; how < 5; how++) {
            size_t oa = (size_t)rand_int(0, 31), ob = (size_t)rand_int(0, 31);
            fill_codes(a + oa, n, how == 4 ? 1 : how);
            fill_codes(b + ob, n, how == 4 ? 2 : how == 3 ? 1 : how);
            int64_t want = ref_dot(a + oa, b + ob, n);
            for (int k = 0; k < nk; k++) {
                int32_t got = ks[k]->dot(a + oa, b + ob, n);
                if (got != want)
                    fail_msg("%s dot n=%zu pattern %d: %d, want %lld", ks[k]->name, n, how, got,
                             (long long)want);
            }
        }
    }
    /* The extremes over the longest vectors: 127 * 127 * 8192 (and its negative). */
    fill_codes(a, 8192, 1);
    fill_codes(b, 8192, 2);
    for (int k = 0; k < nk; k++) {
        assert_int_equal(ks[k]->dot(a, a, 8192), 127 * 127 * 8192);
        assert_int_equal(ks[k]->dot(a, b, 8192), -127 * 127 * 8192);
    }
    free(a);
    free(b);
}

static void test_dot_rows_kernels(void **state)
{
    (void)state;
    const vindex_kernels *ks[2];
    int nk = kernel_sets(ks);
    static const size_t dims[] = {1,  7,   15,  16,  17,  31,  32,  33,  63,  64,
                                  65, 100, 255, 256, 257, 384, 385, 500, 768, 1536};
    int32_t out[2][13];
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        size_t dim = dims[di];
        for (size_t count = 1; count <= 13; count += 3) {
            size_t off = (size_t)rand_int(0, 7);
            int8_t *q = malloc(dim + 8), *rows = malloc(dim * count + 8);
            assert_non_null(q);
            assert_non_null(rows);
            int how = rand_int(0, 3);
            fill_codes(q + off, dim, how);
            fill_codes(rows + off, dim * count, how == 1 ? 2 : how);
            for (int k = 0; k < nk; k++) {
                ks[k]->dot_rows(q + off, rows + off, dim, count, out[k]);
                for (size_t r = 0; r < count; r++)
                    if (out[k][r] != ref_dot(q + off, rows + off + r * dim, dim))
                        fail_msg("%s dot_rows dim=%zu row %zu of %zu wrong", ks[k]->name, dim, r,
                                 count);
            }
            free(q);
            free(rows);
        }
    }
}

/* coarse_group over transposed groups, against sums computed row by row; the group
 * helpers round-trip. */
static void test_coarse_group_kernels(void **state)
{
    (void)state;
    const vindex_kernels *ks[2];
    int nk = kernel_sets(ks);
    uint32_t out[2][VINDEX_GROUP];
    static const size_t sizes[] = {8, 16, 24, 48, 56, 64, 96, 128, 192, 256, 1024};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t nbytes = sizes[si];
        uint8_t *lut = malloc(32 * nbytes + 1), *group = malloc(VINDEX_GROUP * nbytes + 1);
        uint8_t *rows = malloc(VINDEX_GROUP * nbytes), *back = malloc(nbytes);
        assert_non_null(lut);
        assert_non_null(group);
        assert_non_null(rows);
        assert_non_null(back);
        for (int t = 0; t < 4; t++) {
            size_t off = (size_t)t % 2;              /* unaligned too */
            for (size_t i = 0; i < 32 * nbytes; i++) /* the largest entries the tables hold */
                lut[off + i] = (uint8_t)(t == 3 ? 2 * VINDEX_LUT_BIAS : rand_int(0, 56));
            memset(group + off, 0xa5, VINDEX_GROUP * nbytes);
            for (int r = 0; r < VINDEX_GROUP; r++) {
                for (size_t i = 0; i < nbytes; i++)
                    rows[(size_t)r * nbytes + i] = t == 3 ? 0xff : (uint8_t)next_u64();
                vindex_group_set(group + off, nbytes, r, rows + (size_t)r * nbytes);
            }
            for (int r = 0; r < VINDEX_GROUP; r++) {
                vindex_group_get(group + off, nbytes, r, back);
                assert_memory_equal(back, rows + (size_t)r * nbytes, nbytes);
            }
            for (int k = 0; k < nk; k++) {
                ks[k]->coarse_group(lut + off, group + off, nbytes, out[k]);
                for (int r = 0; r < VINDEX_GROUP; r++)
                    if (out[k][r] != ref_coarse(lut + off, rows + (size_t)r * nbytes, nbytes))
                        fail_msg("%s coarse_group nbytes=%zu row %d wrong", ks[k]->name, nbytes, r);
            }
        }
        /* Zeroing a row leaves the others. */
        vindex_group_set(group, nbytes, 5, NULL);
        vindex_group_get(group, nbytes, 5, back);
        for (size_t i = 0; i < nbytes; i++)
            assert_int_equal(back[i], 0);
        vindex_group_get(group, nbytes, 21, back);
        assert_memory_equal(back, rows + 21 * nbytes, nbytes);
        free(lut);
        free(group);
        free(rows);
        free(back);
    }
}

static void test_kernel_choice(void **state)
{
    (void)state;
    setenv("MEM0_VINDEX_KERNEL", "scalar", 1);
    assert_ptr_equal(vindex_kernels_active(), vindex_kernels_scalar());
    unsetenv("MEM0_VINDEX_KERNEL");
    const vindex_kernels *simd = vindex_kernels_simd();
    assert_ptr_equal(vindex_kernels_active(), simd ? simd : vindex_kernels_scalar());
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) assert_string_equal(simd->name, "avx2");
#elif defined(__aarch64__)
    assert_string_equal(simd->name, "neon");
#endif
}

/* ---- Quantization ------------------------------------------------------------------- */

static void test_quantize_bounds(void **state)
{
    (void)state;
    float v[1024];
    int8_t c[1024];
    for (int t = 0; t < 300; t++) {
        int dim = rand_int(1, 1024);
        double mag = pow(10.0, rand_int(-6, 3));
        for (int i = 0; i < dim; i++)
            v[i] = (float)(rand_gauss() * mag);
        float s = vindex_quantize(v, dim, c);
        float maxabs = 0;
        int maxc = 0;
        for (int i = 0; i < dim; i++) {
            maxabs = fmaxf(maxabs, fabsf(v[i]));
            maxc = abs(c[i]) > maxc ? abs(c[i]) : maxc;
            assert_true(c[i] >= -127 && c[i] <= 127);
            /* Round to nearest: off by at most half a step (and float rounding). */
            if (fabs(v[i] - c[i] * (double)s) > s * 0.5 * (1 + 1e-5))
                fail_msg("dim %d: v=%g code %d scale %g", dim, v[i], c[i], s);
        }
        assert_true(fabs(s - maxabs / 127.0) <= maxabs * 1e-6);
        assert_int_equal(maxc, 127);
    }
    /* A zero vector: scale 0, codes 0.  Non-finite entries count as 0. */
    memset(v, 0, sizeof v);
    memset(c, 1, sizeof c);
    assert_true(vindex_quantize(v, 64, c) == 0.0f);
    for (int i = 0; i < 64; i++)
        assert_int_equal(c[i], 0);
    v[3] = NAN;
    v[4] = INFINITY;
    v[5] = -0.5f;
    v[6] = 0.25f;
    float s = vindex_quantize(v, 64, c);
    assert_true(fabsf(s - 0.5f / 127) < 1e-9f);
    assert_int_equal(c[3], 0);
    assert_int_equal(c[4], 0);
    assert_int_equal(c[5], -127);
    assert_int_equal(c[6], 64); /* 63.5 rounds to even */
}

/* The int8 estimate of a cosine stays within what the step sizes allow. */
static void test_cosine_estimate(void **state)
{
    (void)state;
    enum { DIM = 384 };
    float a[DIM], b[DIM];
    int8_t ca[DIM], cb[DIM];
    double worst = 0, sum = 0;
    for (int t = 0; t < 500; t++) {
        rand_unit(a, DIM);
        if (t % 2) {
            for (int i = 0; i < DIM; i++)
                b[i] = a[i] + 0.3f * (float)rand_gauss() / sqrtf(DIM); /* a near neighbour */
            float n = 0;
            for (int i = 0; i < DIM; i++)
                n += b[i] * b[i];
            for (int i = 0; i < DIM; i++)
                b[i] /= sqrtf(n);
        } else {
            rand_unit(b, DIM);
        }
        float sa = vindex_quantize(a, DIM, ca), sb = vindex_quantize(b, DIM, cb);
        double exact = 0;
        for (int i = 0; i < DIM; i++)
            exact += (double)a[i] * b[i];
        double est = (double)ref_dot(ca, cb, DIM) * sa * sb;
        double e = fabs(est - exact);
        sum += e;
        if (e > worst) worst = e;
    }
    if (worst > 0.005 || sum / 500 > 0.001)
        fail_msg("cosine estimate error: worst %g, mean %g", worst, sum / 500);
}

static void test_signs_and_coarse_query(void **state)
{
    (void)state;
    float v[300];
    uint8_t bits[48];
    for (int i = 0; i < 300; i++)
        v[i] = (float)rand_gauss();
    v[7] = 0.0f;
    v[8] = NAN;
    float l1 = vindex_signs(v, 300, bits, sizeof bits);
    double want = 0;
    for (int i = 0; i < 300; i++) {
        int bit = bits[i / 8] >> (i % 8) & 1;
        assert_int_equal(bit, isfinite(v[i]) && v[i] > 0);
        if (isfinite(v[i])) want += fabsf(v[i]);
    }
    for (size_t i = 300 / 8 + 1; i < sizeof bits; i++)
        assert_int_equal(bits[i], 0);
    assert_true(fabs(l1 - want) < 1e-3);

    /* The tables hold the query's 4-bit codes: entry 1 << j of group k is code 4k + j. */
    uint8_t lut[32 * 48];
    int32_t csum;
    float delta = vindex_coarse_query(v, 300, 48, lut, &csum);
    float maxabs = 0;
    for (int i = 0; i < 300; i++)
        if (isfinite(v[i])) maxabs = fmaxf(maxabs, fabsf(v[i]));
    assert_true(fabsf(delta - maxabs / 7) <= 1e-6f * maxabs);
    int sum = 0, maxc = 0;
    for (int i = 0; i < 384; i++) {
        int c = lut[16 * (i / 4) + (1 << (i % 4))] - VINDEX_LUT_BIAS;
        if (i >= 300 || !isfinite(v[i])) {
            assert_int_equal(c, 0);
            continue;
        }
        assert_true(c >= -7 && c <= 7);
        assert_true(fabs(c - (double)v[i] / delta) <= 0.5 + 1e-4);
        sum += c;
        maxc = abs(c) > maxc ? abs(c) : maxc;
    }
    assert_int_equal(csum, sum);
    assert_int_equal(maxc, 7);
    /* Entry x of a group is the sum of the codes of the bits in x. */
    for (int k = 0; k < 96; k++)
        for (int x = 0; x < 16; x++) {
            int t = VINDEX_LUT_BIAS;
            for (int j = 0; j < 4; j++)
                if (x >> j & 1) t += lut[16 * k + (1 << j)] - VINDEX_LUT_BIAS;
            assert_int_equal(lut[16 * k + x], t);
        }
}

/* ---- The index in a store ----------------------------------------------------------- */

enum { OP_PUT, OP_DEL, OP_CLEAR, OP_FAIL };

typedef struct op_ctx {
    int op;
    const uint8_t *id;
    uint64_t tag;
    const float *vec;
    int dim;
} op_ctx;

static int op_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    op_ctx *c = vctx;
    switch (c->op) {
    case OP_PUT:
        return vindex_put(txn, db, c->id, c->tag, c->vec, c->dim, err);
    case OP_DEL:
        return vindex_delete(txn, db, c->id, err);
    case OP_CLEAR:
        return vindex_clear(txn, db, err);
    default: { /* a put, then the transaction aborts */
        int rc = vindex_put(txn, db, c->id, c->tag, c->vec, c->dim, err);
        return rc ? rc : err_set(err, MEM0_EIO, "abort on purpose");
    }
    }
}

static int op(store *st, int kind, const uint8_t *id, uint64_t tag, const float *vec, int dim,
              mem0_err *err)
{
    op_ctx c = {kind, id, tag, vec, dim};
    return store_write(st, op_txn, &c, err);
}

static void must(store *st, int kind, const uint8_t *id, uint64_t tag, const float *vec, int dim)
{
    mem0_err err = {0};
    if (op(st, kind, id, tag, vec, dim, &err)) fail_msg("vector index write: %s", err.msg);
}

/* Many puts and deletes in one transaction (each commit syncs the disk). */
typedef struct batch {
    struct {
        int kind;
        uint8_t id[16];
        uint64_t tag;
        float vec[128];
        int dim;
    } ops[50];
    int n;
    store *st;
} batch;

static int batch_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    batch *b = vctx;
    for (int i = 0; i < b->n; i++) {
        int rc = b->ops[i].kind == OP_PUT ? vindex_put(txn, db, b->ops[i].id, b->ops[i].tag,
                                                       b->ops[i].vec, b->ops[i].dim, err)
                                          : vindex_delete(txn, db, b->ops[i].id, err);
        if (rc) return rc;
    }
    return 0;
}

static void flush(batch *b)
{
    mem0_err err = {0};
    if (b->n && store_write(b->st, batch_txn, b, &err)) fail_msg("vector index write: %s", err.msg);
    b->n = 0;
}

static void queue(batch *b, int kind, const uint8_t *id, uint64_t tag, const float *vec, int dim)
{
    assert_true(dim <= 128);
    if (b->n == (int)(sizeof b->ops / sizeof b->ops[0])) flush(b);
    b->ops[b->n].kind = kind;
    memcpy(b->ops[b->n].id, id, 16);
    b->ops[b->n].tag = tag;
    if (vec) memcpy(b->ops[b->n].vec, vec, (size_t)dim * sizeof(float));
    b->ops[b->n].dim = dim;
    b->n++;
}

typedef struct read_ctx {
    vindex_query q;
    vindex_hit *hits;
    int n;
    vindex_info info;
    vindex_verify_report rep;
    const uint8_t (*ids)[16];
    size_t nids;
    float *scores;
} read_ctx;

static int search_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    read_ctx *c = vctx;
    return vindex_search(txn, db, &c->q, c->hits, &c->n, err);
}

static int info_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    read_ctx *c = vctx;
    int rc = vindex_get_info(txn, db, &c->info, err);
    return rc ? rc : vindex_verify(txn, db, &c->rep, err);
}

static int score_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    read_ctx *c = vctx;
    return vindex_score(txn, db, c->q.vec, c->q.dim, c->ids, c->nids, c->scores, err);
}

/* Searches; returns the hit count, hits in out. */
static int search(store *st, const float *q, int dim, int n, int mode, int rerank, vindex_hit *out)
{
    read_ctx c;
    memset(&c, 0, sizeof c);
    c.q.vec = q;
    c.q.dim = dim;
    c.q.n = n;
    c.q.mode = mode;
    c.q.rerank = rerank;
    c.hits = out;
    mem0_err err = {0};
    if (store_read(st, search_txn, &c, &err)) fail_msg("vindex_search: %s", err.msg);
    return c.n;
}

/* Index facts, after checking its consistency. */
static vindex_info check(store *st)
{
    read_ctx c;
    memset(&c, 0, sizeof c);
    mem0_err err = {0};
    if (store_read(st, info_txn, &c, &err)) fail_msg("vindex_verify: %s", err.msg);
    if (c.rep.problems) fail_msg("vector index inconsistent: %s", c.rep.first);
    assert_int_equal(c.rep.vectors, (long)c.info.live);
    return c.info;
}

static store *open_store(void)
{
    store *st = NULL;
    mem0_err err = {0};
    if (store_open(test_scratch_dir("vindex"), 0, 0, &st, &err))
        fail_msg("store_open: %s", err.msg);
    return st;
}

static void make_id(uint8_t id[16], uint32_t n)
{
    memset(id, 0, 16);
    id[0] = 0xa0;
    id[12] = (uint8_t)(n >> 24);
    id[13] = (uint8_t)(n >> 16);
    id[14] = (uint8_t)(n >> 8);
    id[15] = (uint8_t)n;
}

static void test_put_get_search_delete(void **state)
{
    (void)state;
    enum { DIM = 96 };
    store *st = open_store();
    vindex_hit hits[8];
    float v[3][DIM], q[DIM];
    uint8_t id[3][16];
    for (int i = 0; i < 3; i++) {
        rand_unit(v[i], DIM);
        make_id(id[i], (uint32_t)i + 1);
    }
    /* Empty: no hits, no dimension yet. */
    assert_int_equal(search(st, v[0], DIM, 5, VINDEX_AUTO, 0, hits), 0);
    vindex_info info = check(st);
    assert_int_equal(info.dim, 0);
    assert_int_equal(info.live, 0);

    for (int i = 0; i < 3; i++)
        must(st, OP_PUT, id[i], 7, v[i], DIM);
    info = check(st);
    assert_int_equal(info.dim, DIM);
    assert_int_equal(info.live, 3);
    assert_true(info.bytes > 0);

    /* Each vector finds itself first, with a cosine close to 1. */
    for (int i = 0; i < 3; i++) {
        int n = search(st, v[i], DIM, 5, VINDEX_EXACT, 0, hits);
        assert_int_equal(n, 3);
        assert_memory_equal(hits[0].id, id[i], 16);
        assert_true(hits[0].score > 0.995f && hits[0].score <= 1.0f);
        assert_true(hits[1].score >= hits[2].score);
    }
    /* Replacing keeps the count; the new vector is found. */
    rand_unit(q, DIM);
    must(st, OP_PUT, id[1], 7, q, DIM);
    info = check(st);
    assert_int_equal(info.live, 3);
    assert_int_equal(search(st, q, DIM, 1, VINDEX_EXACT, 0, hits), 1);
    assert_memory_equal(hits[0].id, id[1], 16);

    /* Deleting: gone from searches; deleting again (or an unknown id) is fine. */
    must(st, OP_DEL, id[0], 0, NULL, 0);
    must(st, OP_DEL, id[0], 0, NULL, 0);
    info = check(st);
    assert_int_equal(info.live, 2);
    int n = search(st, v[0], DIM, 5, VINDEX_AUTO, 0, hits);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        assert_memory_not_equal(hits[i].id, id[0], 16);
    /* The freed slot is reused: the high-water mark does not move. */
    uint8_t id4[16];
    make_id(id4, 4);
    must(st, OP_PUT, id4, 7, v[0], DIM);
    vindex_info after = check(st);
    assert_int_equal(after.slots, info.slots);
    assert_int_equal(after.live, 3);
    store_close(st);
}

typedef struct get_ctx {
    const uint8_t *id;
    int8_t codes[64];
    float scale;
    uint64_t tag;
    int dim;
} get_ctx;

static int get_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    get_ctx *c = vctx;
    return vindex_get(txn, db, c->id, c->codes, c->dim, &c->scale, &c->tag, err);
}

static void test_get_and_errors(void **state)
{
    (void)state;
    store *st = open_store();
    float v[64], w[32];
    uint8_t id[16], other[16];
    rand_unit(v, 64);
    rand_unit(w, 32);
    make_id(id, 1);
    make_id(other, 2);
    must(st, OP_PUT, id, 0xfeedULL, v, 64);

    get_ctx g = {id, {0}, 0, 0, 64};
    mem0_err err = {0};
    assert_int_equal(store_read(st, get_txn, &g, &err), 0);
    int8_t want[64];
    float ws = vindex_quantize(v, 64, want);
    assert_memory_equal(g.codes, want, 64);
    assert_true(g.scale == ws);
    assert_int_equal(g.tag, 0xfeedULL);
    g.id = other;
    assert_int_equal(store_read(st, get_txn, &g, &err), MEM0_ENOTFOUND);

    /* Another dimension is refused while vectors are stored; out of range always. */
    assert_int_equal(op(st, OP_PUT, other, 0, w, 32, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "reindex"));
    assert_int_equal(op(st, OP_PUT, other, 0, w, 0, &err), MEM0_EINVAL);
    assert_int_equal(op(st, OP_PUT, other, 0, w, VINDEX_DIM_MAX + 1, &err), MEM0_EINVAL);
    read_ctx c;
    memset(&c, 0, sizeof c);
    vindex_hit hits[2];
    c.q.vec = w;
    c.q.dim = 32;
    c.q.n = 2;
    c.hits = hits;
    assert_int_equal(store_read(st, search_txn, &c, &err), MEM0_EINVAL);

    /* An aborted transaction leaves no trace. */
    assert_int_equal(op(st, OP_FAIL, other, 0, v, 64, &err), MEM0_EIO);
    assert_int_equal(check(st).live, 1);
    g.id = other;
    assert_int_equal(store_read(st, get_txn, &g, &err), MEM0_ENOTFOUND);

    /* Once the last vector is gone (or after a clear) another dimension is accepted. */
    must(st, OP_DEL, id, 0, NULL, 0);
    must(st, OP_PUT, other, 0, w, 32);
    assert_int_equal(check(st).dim, 32);
    must(st, OP_CLEAR, NULL, 0, NULL, 0);
    vindex_info info = check(st);
    assert_int_equal(info.dim, 0);
    assert_int_equal(info.live, 0);
    must(st, OP_PUT, id, 0, v, 64);
    assert_int_equal(check(st).dim, 64);
    store_close(st);
}

/* A model of the index: the same quantization and ranking computed directly. */
typedef struct model {
    int dim, n;
    uint8_t (*ids)[16];
    float *vecs;
    uint64_t *tags;
    int *alive;
} model;

typedef struct ranked {
    double key;
    const uint8_t *id;
    float score;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return memcmp(x->id, y->id, 16);
}

/* The exact top n of the model for q among tags (ntags 0: all). */
static int model_top(const model *m, const float *q, int n, const uint64_t *tags, int ntags,
                     ranked *out)
{
    int8_t *qc = malloc((size_t)m->dim), *c = malloc((size_t)m->dim);
    ranked *all = malloc((size_t)m->n * sizeof *all);
    assert_non_null(qc);
    assert_non_null(c);
    assert_non_null(all);
    float qs = vindex_quantize(q, m->dim, qc);
    int k = 0;
    for (int i = 0; i < m->n; i++) {
        if (!m->alive[i]) continue;
        int ok = ntags == 0;
        for (int t = 0; t < ntags; t++)
            ok |= m->tags[i] == tags[t];
        if (!ok) continue;
        float s = vindex_quantize(m->vecs + (size_t)i * m->dim, m->dim, c);
        double key = (double)ref_dot(qc, c, (size_t)m->dim) * s, sc = key * qs;
        all[k++] = (ranked){key, m->ids[i], (float)(sc > 1 ? 1 : sc < -1 ? -1 : sc)};
    }
    qsort(all, (size_t)k, sizeof *all, ranked_cmp);
    int got = k < n ? k : n;
    memcpy(out, all, (size_t)got * sizeof *all);
    free(all);
    free(qc);
    free(c);
    return got;
}

static void expect_model(store *st, const model *m, const float *q, int n, int mode, int rerank)
{
    vindex_hit *hits = malloc((size_t)n * sizeof *hits);
    ranked *want = malloc((size_t)n * sizeof *want);
    assert_non_null(hits);
    assert_non_null(want);
    int got = search(st, q, m->dim, n, mode, rerank, hits);
    int wn = model_top(m, q, n, NULL, 0, want);
    assert_int_equal(got, wn);
    for (int i = 0; i < got; i++) {
        if (memcmp(hits[i].id, want[i].id, 16) != 0 || hits[i].score != want[i].score)
            fail_msg("hit %d of %d differs from the model (score %g, want %g)", i, got,
                     hits[i].score, want[i].score);
    }
    free(hits);
    free(want);
}

/* Random puts, replaces and deletes; after each round the index agrees with the model
 * exactly and its own consistency check passes. */
static void test_against_model(void **state)
{
    (void)state;
    enum { DIM = 40, MAXV = 700 };
    store *st = open_store();
    model m = {DIM,
               0,
               calloc(MAXV, 16),
               calloc(MAXV * DIM, sizeof(float)),
               calloc(MAXV, sizeof(uint64_t)),
               calloc(MAXV, sizeof(int))};
    assert_non_null(m.ids);
    float q[DIM];
    static batch b;
    b.st = st;
    for (int round = 0; round < 6; round++) {
        for (int step = 0; step < 150; step++) {
            int r = rand_int(0, 99);
            if ((r < 60 || m.n == 0) && m.n < MAXV) { /* a new vector */
                int i = m.n++;
                make_id(m.ids[i], (uint32_t)next_u64());
                rand_unit(m.vecs + (size_t)i * DIM, DIM);
                m.tags[i] = (uint64_t)rand_int(1, 3);
                m.alive[i] = 1;
                queue(&b, OP_PUT, m.ids[i], m.tags[i], m.vecs + (size_t)i * DIM, DIM);
            } else if (r < 75) { /* replace (or revive) */
                int i = rand_int(0, m.n - 1);
                rand_unit(m.vecs + (size_t)i * DIM, DIM);
                m.alive[i] = 1;
                queue(&b, OP_PUT, m.ids[i], m.tags[i], m.vecs + (size_t)i * DIM, DIM);
            } else {
                int i = rand_int(0, m.n - 1);
                m.alive[i] = 0;
                queue(&b, OP_DEL, m.ids[i], 0, NULL, 0);
            }
            /* Transactions of varied length: blocks are edited several times in one. */
            if (rand_int(0, 30) == 0) flush(&b);
        }
        flush(&b);
        long live = 0;
        for (int i = 0; i < m.n; i++)
            live += m.alive[i];
        assert_int_equal(check(st).live, live);
        for (int t = 0; t < 5; t++) {
            rand_unit(q, DIM);
            expect_model(st, &m, q, 10, VINDEX_EXACT, 0);
            expect_model(st, &m, q, 1000, VINDEX_AUTO, 0); /* more than are stored */
        }
    }
    store_close(st);
    free(m.ids);
    free(m.vecs);
    free(m.tags);
    free(m.alive);
}

typedef struct keep_ctx {
    int calls;
    uint8_t banned;
} keep_ctx;

static int keep_fn(const uint8_t id[16], uint64_t tag, void *vctx)
{
    keep_ctx *k = vctx;
    k->calls++;
    (void)tag;
    return id[15] % 4 != k->banned;
}

static void test_tags_and_predicate(void **state)
{
    (void)state;
    enum { DIM = 32, N = 300 };
    store *st = open_store();
    static batch b;
    b.st = st;
    float *vecs = malloc(N * DIM * sizeof(float));
    assert_non_null(vecs);
    for (int i = 0; i < N; i++) {
        uint8_t id[16];
        make_id(id, (uint32_t)i);
        rand_unit(vecs + i * DIM, DIM);
        queue(&b, OP_PUT, id, (uint64_t)(i % 3) + 100, vecs + i * DIM, DIM);
    }
    flush(&b);
    float q[DIM];
    rand_unit(q, DIM);
    vindex_hit hits[N];
    mem0_err err = {0};
    for (int mode = VINDEX_EXACT; mode <= VINDEX_COARSE; mode++) {
        /* One tag: only its vectors, all of them when n is large. */
        uint64_t tags[2] = {101, 102};
        keep_ctx k = {0, 1};
        read_ctx c;
        memset(&c, 0, sizeof c);
        c.q.vec = q;
        c.q.dim = DIM;
        c.q.n = N;
        c.q.mode = mode;
        c.q.rerank = 20;
        c.q.tags = tags;
        c.q.ntags = 1;
        c.hits = hits;
        assert_int_equal(store_read(st, search_txn, &c, &err), 0);
        assert_int_equal(c.n, N / 3);
        for (int i = 0; i < c.n; i++)
            assert_int_equal(((uint32_t)hits[i].id[14] << 8 | hits[i].id[15]) % 3, 1);
        /* Two tags and a predicate: the predicate is asked only about tag matches. */
        c.q.ntags = 2;
        c.q.keep = keep_fn;
        c.q.keep_ctx = &k;
        c.q.n = 10;
        assert_int_equal(store_read(st, search_txn, &c, &err), 0);
        assert_int_equal(c.n, 10);
        assert_int_equal(k.calls, 2 * N / 3);
        for (int i = 0; i < c.n; i++) {
            uint32_t num = (uint32_t)hits[i].id[14] << 8 | hits[i].id[15];
            assert_true(num % 3 == 1 || num % 3 == 2);
            assert_int_not_equal(hits[i].id[15] % 4, 1);
        }
    }
    free(vecs);
    store_close(st);
}

/* Equal scores rank by id, whatever the insertion order, the mode or the kernel. */
static void test_ties_are_deterministic(void **state)
{
    (void)state;
    enum { DIM = 48, SAME = 12, OTHER = 200 };
    store *st = open_store();
    static batch b;
    b.st = st;
    float v[DIM], w[DIM];
    rand_unit(v, DIM);
    uint32_t order[SAME];
    for (int i = 0; i < SAME; i++)
        order[i] = (uint32_t)i;
    for (int i = SAME - 1; i > 0; i--) { /* shuffled insertion */
        int j = rand_int(0, i);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < OTHER / 2; i++) {
        uint8_t id[16];
        make_id(id, 1000 + (uint32_t)i);
        rand_unit(w, DIM);
        queue(&b, OP_PUT, id, 0, w, DIM);
    }
    for (int i = 0; i < SAME; i++) {
        uint8_t id[16];
        make_id(id, 500 - order[i] * 7);
        queue(&b, OP_PUT, id, 0, v, DIM);
    }
    for (int i = 0; i < OTHER / 2; i++) {
        uint8_t id[16];
        make_id(id, 2000 + (uint32_t)i);
        rand_unit(w, DIM);
        queue(&b, OP_PUT, id, 0, w, DIM);
    }
    flush(&b);
    vindex_hit first[SAME], hits[SAME];
    int n = search(st, v, DIM, SAME - 2, VINDEX_EXACT, 0, first);
    assert_int_equal(n, SAME - 2);
    for (int i = 0; i < n; i++) {
        assert_true(first[i].score == first[0].score);
        if (i) assert_true(memcmp(first[i - 1].id, first[i].id, 16) < 0);
    }
    /* The smallest ids of the tied group win the cut at n. */
    uint8_t smallest[16];
    make_id(smallest, 500 - (SAME - 1) * 7);
    assert_memory_equal(first[0].id, smallest, 16);
    for (int k = 0; k < 2; k++) {
        if (k) setenv("MEM0_VINDEX_KERNEL", "scalar", 1);
        for (int mode = VINDEX_AUTO; mode <= VINDEX_COARSE; mode++) {
            assert_int_equal(search(st, v, DIM, SAME - 2, mode, 40, hits), SAME - 2);
            assert_memory_equal(hits, first, sizeof(vindex_hit) * (SAME - 2));
        }
        unsetenv("MEM0_VINDEX_KERNEL");
    }
    store_close(st);
}

/* The coarse pass re-scores its candidates exactly: its hits carry exact scores, and with
 * clear neighbours it finds the same top as the exact scan, on every kernel. */
static void test_coarse_and_kernels_agree(void **state)
{
    (void)state;
    enum { DIM = 128, N = 3000, NQ = 20 };
    store *st = open_store();
    static batch b;
    b.st = st;
    float *vecs = malloc((size_t)N * DIM * sizeof(float));
    assert_non_null(vecs);
    for (int i = 0; i < N; i++) {
        uint8_t id[16];
        make_id(id, (uint32_t)i);
        rand_unit(vecs + (size_t)i * DIM, DIM);
        queue(&b, OP_PUT, id, 0, vecs + (size_t)i * DIM, DIM);
    }
    flush(&b);
    vindex_hit exact[10], coarse[10], scalar[10];
    float q[DIM];
    int same_top = 0;
    for (int t = 0; t < NQ; t++) {
        /* A query near stored vector t * 37. */
        const float *near = vecs + (size_t)(t * 37) * DIM;
        double s = 0;
        for (int i = 0; i < DIM; i++) {
            q[i] = near[i] + 0.05f * (float)rand_gauss() / sqrtf(DIM);
            s += (double)q[i] * q[i];
        }
        for (int i = 0; i < DIM; i++)
            q[i] = (float)(q[i] / sqrt(s));
        assert_int_equal(search(st, q, DIM, 10, VINDEX_EXACT, 0, exact), 10);
        assert_int_equal(search(st, q, DIM, 10, VINDEX_COARSE, 100, coarse), 10);
        setenv("MEM0_VINDEX_KERNEL", "scalar", 1);
        assert_int_equal(search(st, q, DIM, 10, VINDEX_EXACT, 0, scalar), 10);
        assert_memory_equal(scalar, exact, sizeof exact);
        assert_int_equal(search(st, q, DIM, 10, VINDEX_COARSE, 100, scalar), 10);
        assert_memory_equal(scalar, coarse, sizeof coarse);
        unsetenv("MEM0_VINDEX_KERNEL");
        same_top += memcmp(exact[0].id, coarse[0].id, 16) == 0;
        /* Exact scores for the coarse hits, best first. */
        uint8_t ids[10][16];
        float scores[10];
        for (int i = 0; i < 10; i++)
            memcpy(ids[i], coarse[i].id, 16);
        read_ctx c;
        memset(&c, 0, sizeof c);
        c.q.vec = q;
        c.q.dim = DIM;
        c.ids = (const uint8_t(*)[16])ids;
        c.nids = 10;
        c.scores = scores;
        mem0_err err = {0};
        assert_int_equal(store_read(st, score_txn, &c, &err), 0);
        for (int i = 0; i < 10; i++) {
            assert_true(scores[i] == coarse[i].score);
            if (i) assert_true(coarse[i - 1].score >= coarse[i].score);
        }
        uint8_t near_id[16];
        make_id(near_id, (uint32_t)(t * 37));
        assert_memory_equal(exact[0].id, near_id, 16);
    }
    assert_int_equal(same_top, NQ);
    /* vindex_score: NAN for a memory without a vector. */
    uint8_t missing[1][16];
    float sc = 0;
    make_id(missing[0], 999999);
    read_ctx c;
    memset(&c, 0, sizeof c);
    c.q.vec = q;
    c.q.dim = DIM;
    c.ids = (const uint8_t(*)[16])missing;
    c.nids = 1;
    c.scores = &sc;
    mem0_err err = {0};
    assert_int_equal(store_read(st, score_txn, &c, &err), 0);
    assert_true(isnan(sc));
    free(vecs);
    store_close(st);
}

static int damage_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    uint8_t key[17] = {'I'};
    memcpy(key + 1, vctx, 16);
    MDB_val k = {sizeof key, key};
    int rc = mdb_del(txn, db->vectors, &k, NULL);
    return rc ? store_fail(err, rc, "mdb_del") : 0;
}

static int verify_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    return vindex_verify(txn, db, vctx, err);
}

static void test_verify_finds_damage(void **state)
{
    (void)state;
    store *st = open_store();
    static batch b;
    b.st = st;
    float v[16];
    uint8_t id[16];
    for (uint32_t i = 0; i < 70; i++) {
        make_id(id, i);
        rand_unit(v, 16);
        queue(&b, OP_PUT, id, 0, v, 16);
    }
    flush(&b);
    check(st);
    mem0_err err = {0};
    make_id(id, 65);
    assert_int_equal(store_write(st, damage_txn, id, &err), 0);
    vindex_verify_report rep;
    assert_int_equal(store_read(st, verify_txn, &rep, &err), 0);
    assert_true(rep.problems > 0);
    assert_non_null(strstr(rep.first, "slot 65"));
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_kernels),
        cmocka_unit_test(test_dot_rows_kernels),
        cmocka_unit_test(test_coarse_group_kernels),
        cmocka_unit_test(test_kernel_choice),
        cmocka_unit_test(test_quantize_bounds),
        cmocka_unit_test(test_cosine_estimate),
        cmocka_unit_test(test_signs_and_coarse_query),
        cmocka_unit_test(test_put_get_search_delete),
        cmocka_unit_test(test_get_and_errors),
        cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_tags_and_predicate),
        cmocka_unit_test(test_ties_are_deterministic),
        cmocka_unit_test(test_coarse_and_kernels_agree),
        cmocka_unit_test(test_verify_finds_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
