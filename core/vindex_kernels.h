/*
 * vindex_kernels.h: the arithmetic of the vector index, free of any store: quantizing a
 * float vector to int8 codes with a per-vector scale, the sign bits and query tables of the
 * coarse pass, and the kernels (portable scalar, AVX2 on x86-64, NEON on aarch64) chosen at run
 * time.
 *
 * Codes are in -127..127 (never -128: the SIMD kernels rely on it).  Dot products of codes
 * are exact integers (|dot| <= 127^2 * n fits in int32 for n <= 2^17), and so are the
 * coarse pass's table sums, so every kernel set returns the same numbers as the scalar
 * one and rankings never depend on the CPU.
 * This file needs only the C library, so the NEON test cross-compiles it alone
 * (scripts/test-neon.sh).
 */
#ifndef MEM0_VINDEX_KERNELS_H
#define MEM0_VINDEX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- Quantization ------------------------------------------------------------------- */

/* Quantizes v[0..dim) into codes (each in -127..127); returns the scale (max|v| / 127, 0
 * for a zero vector), so v[i] ~= codes[i] * scale within scale / 2.  Non-finite inputs
 * count as 0. */
float vindex_quantize(const float *v, int dim, int8_t *codes);

/* Sign bits of v for the coarse pass: bit i (byte i / 8, bit i % 8) is 1 when v[i] > 0;
 * bytes past the last bit up to nbytes (>= (dim + 7) / 8) are zero.  Returns the sum of
 * |v[i]| (the coarse estimate's normaliser; non-finite inputs count as 0). */
float vindex_signs(const float *v, int dim, uint8_t *bits, size_t nbytes);

/* ---- The coarse pass ---------------------------------------------------------------- */

/* Sign bits are kept in groups of VINDEX_GROUP rows of nbytes each (nbytes a multiple of
 * 8), transposed for table lookups: the 4 bits k (bits 4k..4k+3) of every row of a group
 * form 16 bytes at group + 16 k, row r in the low nibble of byte r and row r + 16 in the
 * high one.  A group takes VINDEX_GROUP * nbytes bytes, as the rows would. */
#define VINDEX_GROUP 32
#define VINDEX_LUT_BIAS 28 /* added to every table entry so that entries are unsigned */

/* Writes (bits != NULL) or zeroes row r of a group. */
void vindex_group_set(uint8_t *group, size_t nbytes, int r, const uint8_t *bits);
/* Copies row r of a group into bits (nbytes). */
void vindex_group_get(const uint8_t *group, size_t nbytes, int r, uint8_t *bits);

/* The query of the coarse pass: c[i] = round(q[i] / delta), |c[i]| <= 7 (delta = max|q| /
 * 7), as lookup tables: for each 4 bits k of a row (2 * nbytes of them), 16 entries
 * lut[16 k + x] = VINDEX_LUT_BIAS + the sum of c[4k + j] over the bits j set in x.  Codes
 * past dim are 0.  *csum gets the sum of c[i]; returns delta (0 for a zero query). */
float vindex_coarse_query(const float *q, int dim, size_t nbytes, uint8_t *lut, int32_t *csum);

/* ---- Kernels ------------------------------------------------------------------------ */

typedef struct vindex_kernels {
    const char *name; /* "scalar", "avx2", "neon" */
    /* Sum of a[i] * b[i] for i < n. */
    int32_t (*dot)(const int8_t *a, const int8_t *b, size_t n);
    /* out[r] = dot(q, rows + r * dim, dim) for r < count (rows stored one after another). */
    void (*dot_rows)(const int8_t *q, const int8_t *rows, size_t dim, size_t count, int32_t *out);
    /* out[r] = the sum over the 4-bit groups k of lut[16 k + (bits 4k..4k+3 of row r)]
     * for the VINDEX_GROUP rows of a transposed group (so the sum of c[i] over the bits i
     * set in row r is out[r] - VINDEX_LUT_BIAS * 2 * nbytes).  nbytes <= 1024. */
    void (*coarse_group)(const uint8_t *lut, const uint8_t *group, size_t nbytes,
                         uint32_t out[VINDEX_GROUP]);
} vindex_kernels;

const vindex_kernels *vindex_kernels_scalar(void);
/* The SIMD set of this build if the CPU has it (AVX2 on x86-64, NEON on aarch64), else
 * NULL.  The CPU is asked once per call through __builtin_cpu_supports, which only reads
 * what the C runtime probed at start-up. */
const vindex_kernels *vindex_kernels_simd(void);
/* What searches use: the SIMD set if any, else scalar; MEM0_VINDEX_KERNEL=scalar forces
 * the scalar one (benchmarks, debugging). */
const vindex_kernels *vindex_kernels_active(void);

#endif
