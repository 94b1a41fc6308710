/*
 * vindex_kernel_check: the vector index's kernels (core/vindex_kernels.c) on seeded random
 * inputs, for checking a SIMD kernel set on another architecture under emulation
 * (scripts/test-neon.sh builds this file with core/vindex_kernels.c alone, static, for
 * aarch64 and runs it under qemu-aarch64).
 *
 *   vindex_kernel_check [--cases N]
 *
 * Runs N cases (default 3000): dot and dot_rows on lengths 0..1100 and a few up to 8192,
 * unaligned, with random codes and the extremes -127/127; coarse_group on transposed
 * groups of random bits and tables; quantization, sign bits and coarse query tables of
 * random vectors.  Every result of the SIMD
 * set (AVX2 on x86-64, NEON on aarch64) must equal the scalar one; every result also goes
 * into a checksum, so builds for two architectures must print the same line but for the
 * kernel name:
 *   kernels=<simd set or "scalar-only"> cases=<N> mismatches=<M> checksum=<16 hex digits>
 * Exit 0 when M is 0, 1 otherwise, 2 on usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vindex_kernels.h"

static uint64_t state = 0x0DDB1A5E5BAD5EEDULL;

static uint64_t next_u64(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return next_u64() % n;
}

static uint64_t sum = 0xcbf29ce484222325ULL; /* FNV-1a over every result */

static void fold(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        sum = (sum ^ b[i]) * 0x100000001b3ULL;
}

static void fold32(int32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fold(b, 4);
}

static void fill(int8_t *p, size_t n)
{
    int how = (int)below(6);
    for (size_t i = 0; i < n; i++)
        p[i] = how == 0   ? 127
               : how == 1 ? -127
               : how == 2 ? (int8_t)(i & 1 ? 127 : -127)
                          : (int8_t)((int)below(255) - 127);
}

int main(int argc, char **argv)
{
    long cases = 3000;
    if (argc == 3 && strcmp(argv[1], "--cases") == 0)
        cases = strtol(argv[2], NULL, 10);
    else if (argc != 1)
        return fprintf(stderr, "usage: vindex_kernel_check [--cases N]\n"), 2;
    const vindex_kernels *sc = vindex_kernels_scalar(), *k = vindex_kernels_simd();
    enum { MAXN = 8192 + 64, MAXROWS = 9 };
    int8_t *a = malloc(MAXN), *b = malloc((size_t)MAXN * MAXROWS);
    uint8_t *planes = malloc(32 * 1024), *bits = malloc(VINDEX_GROUP * 1024);
    float *v = malloc(MAXN * sizeof(float));
    if (!a || !b || !planes || !bits || !v) return fprintf(stderr, "out of memory\n"), 1;
    long bad = 0;
    for (long c = 0; c < cases; c++) {
        size_t n = c % 10 == 9 ? (size_t)below(8193) : (size_t)below(1101);
        size_t oa = (size_t)below(32), ob = (size_t)below(32);
        size_t rows = 1 + (size_t)below(MAXROWS);
        if (n * rows + ob > (size_t)MAXN * MAXROWS) rows = 1;
        fill(a + oa, n);
        fill(b + ob, n * rows);
        /* dot and dot_rows */
        int32_t want = sc->dot(a + oa, b + ob, n), got[MAXROWS], ref[MAXROWS];
        fold32(want);
        if (k && k->dot(a + oa, b + ob, n) != want) bad++;
        sc->dot_rows(a + oa, b + ob, n, rows, ref);
        for (size_t r = 0; r < rows; r++)
            fold32(ref[r]);
        if (k) {
            k->dot_rows(a + oa, b + ob, n, rows, got);
            bad += memcmp(got, ref, rows * sizeof *ref) != 0;
        }
        /* coarse_group */
        size_t nb = 8 * (1 + (size_t)below(128));
        uint32_t cg[VINDEX_GROUP], cref[VINDEX_GROUP];
        for (size_t i = 0; i < 32 * nb; i++)
            planes[i] = (uint8_t)below(2 * VINDEX_LUT_BIAS + 1);
        for (size_t i = 0; i < VINDEX_GROUP * nb; i++)
            bits[i] = (uint8_t)next_u64();
        sc->coarse_group(planes, bits, nb, cref);
        for (int r = 0; r < VINDEX_GROUP; r++)
            fold32((int32_t)cref[r]);
        if (k) {
            k->coarse_group(planes, bits, nb, cg);
            bad += memcmp(cg, cref, sizeof cref) != 0;
        }
        /* Quantization is scalar C everywhere: it must give the same bytes on every
         * architecture (IEEE arithmetic, no contraction under -std=c11). */
        int dim = 1 + (int)below(1024);
        for (int i = 0; i < dim; i++)
            v[i] = (float)((double)(int64_t)(next_u64() >> 11) / 9007199254740992.0 - 0.5) *
                   (float)(1 + below(1000));
        float scale = vindex_quantize(v, dim, a);
        fold(&scale, sizeof scale);
        fold(a, (size_t)dim);
        size_t w = 8 * (((size_t)dim + 63) / 64);
        float l1 = vindex_signs(v, dim, bits, w);
        fold(&l1, sizeof l1);
        fold(bits, w);
        int32_t csum;
        float delta = vindex_coarse_query(v, dim, w, planes, &csum);
        fold32(csum);
        fold(&delta, sizeof delta);
        fold(planes, 32 * w);
    }
    printf("kernels=%s cases=%ld mismatches=%ld checksum=%016llx\n", k ? k->name : "scalar-only",
           cases, bad, (unsigned long long)sum);
    free(a);
    free(b);
    free(planes);
    free(bits);
    free(v);
    return bad ? 1 : 0;
}
