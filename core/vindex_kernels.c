/*
 * vindex_kernels.c: quantization, the coarse pass's tables and the int8 dot and table-lookup
 * kernels (see vindex_kernels.h).
 *
 * The AVX2 functions carry __attribute__((target)) so the rest of the build needs no
 * -mavx2 and the binary still runs on older x86-64 CPUs; NEON is part of the aarch64
 * baseline.  Only the C library is used here (scripts/test-neon.sh cross-compiles this
 * file alone).
 */
#include "vindex_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VX_AVX2 1
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#define VX_NEON 1
#include <arm_neon.h>
#endif

/* ---- Quantization ------------------------------------------------------------------- */

float vindex_quantize(const float *v, int dim, int8_t *codes)
{
    float maxabs = 0.0f;
    for (int i = 0; i < dim; i++) {
        float a = fabsf(v[i]);
        if (isfinite(a) && a > maxabs) maxabs = a;
    }
    if (maxabs == 0.0f) {
        if (dim > 0) memset(codes, 0, (size_t)dim);
        return 0.0f;
    }
    float inv = 127.0f / maxabs;
    for (int i = 0; i < dim; i++) {
        float x = isfinite(v[i]) ? v[i] * inv : 0.0f;
        long r = lrintf(x); /* nearest, ties to even: the same on every IEEE platform */
        codes[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    return maxabs / 127.0f;
}

float vindex_signs(const float *v, int dim, uint8_t *bits, size_t nbytes)
{
    double l1 = 0;
    memset(bits, 0, nbytes);
    for (int i = 0; i < dim; i++) {
        if (!isfinite(v[i])) continue;
        l1 += fabsf(v[i]);
        if (v[i] > 0.0f) bits[i >> 3] = (uint8_t)(bits[i >> 3] | (1u << (i & 7)));
    }
    return (float)l1;
}

/* ---- The coarse pass ---------------------------------------------------------------- */

void vindex_group_set(uint8_t *group, size_t nbytes, int r, const uint8_t *bits)
{
    int shift = r < 16 ? 0 : 4;
    uint8_t *p = group + (r & 15);
    for (size_t k = 0; k < 2 * nbytes; k++, p += 16) {
        unsigned nib = bits ? (unsigned)(bits[k >> 1] >> (k & 1 ? 4 : 0)) & 15u : 0;
        *p = (uint8_t)((*p & ~(15u << shift)) | nib << shift);
    }
}

void vindex_group_get(const uint8_t *group, size_t nbytes, int r, uint8_t *bits)
{
    int shift = r < 16 ? 0 : 4;
    const uint8_t *p = group + (r & 15);
    memset(bits, 0, nbytes);
    for (size_t k = 0; k < 2 * nbytes; k++, p += 16)
        bits[k >> 1] = (uint8_t)(bits[k >> 1] | ((*p >> shift) & 15u) << (k & 1 ? 4 : 0));
}

float vindex_coarse_query(const float *q, int dim, size_t nbytes, uint8_t *lut, int32_t *csum)
{
    float maxabs = 0.0f;
    for (int i = 0; i < dim; i++) {
        float a = fabsf(q[i]);
        if (isfinite(a) && a > maxabs) maxabs = a;
    }
    *csum = 0;
    float inv = maxabs > 0.0f ? 7.0f / maxabs : 0.0f;
    for (size_t k = 0; k < 2 * nbytes; k++) {
        int c[4];
        for (int j = 0; j < 4; j++) {
            size_t i = 4 * k + (size_t)j;
            long v = i < (size_t)dim && isfinite(q[i]) ? lrintf(q[i] * inv) : 0;
            c[j] = (int)(v > 7 ? 7 : v < -7 ? -7 : v);
            *csum += c[j];
        }
        for (unsigned x = 0; x < 16; x++) {
            int t = VINDEX_LUT_BIAS;
            for (int j = 0; j < 4; j++)
                if (x >> j & 1u) t += c[j];
            lut[16 * k + x] = (uint8_t)t;
        }
    }
    return maxabs / 7.0f;
}

/* ---- Scalar ------------------------------------------------------------------------- */

static int32_t dot_scalar(const int8_t *a, const int8_t *b, size_t n)
{
    int32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

static void dot_rows_scalar(const int8_t *q, const int8_t *rows, size_t dim, size_t count,
                            int32_t *out)
{
    for (size_t r = 0; r < count; r++)
        out[r] = dot_scalar(q, rows + r * dim, dim);
}

static void coarse_group_scalar(const uint8_t *lut, const uint8_t *group, size_t nbytes,
                                uint32_t out[VINDEX_GROUP])
{
    memset(out, 0, VINDEX_GROUP * sizeof *out);
    for (size_t k = 0; k < 2 * nbytes; k++) {
        const uint8_t *t = lut + 16 * k, *g = group + 16 * k;
        for (int r = 0; r < 16; r++) {
            out[r] += t[g[r] & 15];
            out[r + 16] += t[g[r] >> 4];
        }
    }
}

static const vindex_kernels k_scalar = {"scalar", dot_scalar, dot_rows_scalar, coarse_group_scalar};

const vindex_kernels *vindex_kernels_scalar(void)
{
    return &k_scalar;
}

/* ---- AVX2 --------------------------------------------------------------------------- */

#ifdef VX_AVX2
#define VX_TARGET __attribute__((target("avx2")))

/* 32 products summed into 8 int32 lanes.  maddubs takes an unsigned and a signed operand:
 * |a| * (b with a's sign) is a * b, and with |a|, |b| <= 127 the pair sums (<= 32258)
 * never saturate. */
VX_TARGET static inline __m256i madd32(__m256i a, __m256i b)
{
    __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(a), _mm256_sign_epi8(b, a));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

VX_TARGET static inline int32_t hsum256(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

VX_TARGET static int32_t dot_avx2(const int8_t *a, const int8_t *b, size_t n)
{
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i));
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i + 32));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i + 32));
        acc0 = _mm256_add_epi32(acc0, madd32(a0, b0));
        acc1 = _mm256_add_epi32(acc1, madd32(a1, b1));
    }
    if (i + 32 <= n) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i));
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
        acc0 = _mm256_add_epi32(acc0, madd32(a0, b0));
        i += 32;
    }
    int32_t sum = hsum256(_mm256_add_epi32(acc0, acc1));
    for (; i < n; i++)
        sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

/* Four rows at a time share each load of the query. */
VX_TARGET static void dot_rows_avx2(const int8_t *q, const int8_t *rows, size_t dim, size_t count,
                                    int32_t *out)
{
    size_t r = 0;
    size_t body = dim & ~(size_t)31;
    for (; r + 4 <= count; r += 4) {
        const int8_t *p0 = rows + r * dim, *p1 = p0 + dim, *p2 = p1 + dim, *p3 = p2 + dim;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t i = 0; i < body; i += 32) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(q + i));
            __m256i ax = _mm256_abs_epi8(x);
            __m256i one = _mm256_set1_epi16(1);
#define VX_ROW(s, p)                                                                               \
    s = _mm256_add_epi32(                                                                          \
        s, _mm256_madd_epi16(                                                                      \
               _mm256_maddubs_epi16(                                                               \
                   ax, _mm256_sign_epi8(                                                           \
                           _mm256_loadu_si256((const __m256i *)(const void *)((p) + i)), x)),      \
               one))
            VX_ROW(s0, p0);
            VX_ROW(s1, p1);
            VX_ROW(s2, p2);
            VX_ROW(s3, p3);
#undef VX_ROW
        }
        int32_t t0 = hsum256(s0), t1 = hsum256(s1), t2 = hsum256(s2), t3 = hsum256(s3);
        for (size_t i = body; i < dim; i++) {
            int32_t x = q[i];
            t0 += x * p0[i];
            t1 += x * p1[i];
            t2 += x * p2[i];
            t3 += x * p3[i];
        }
        out[r] = t0;
        out[r + 1] = t1;
        out[r + 2] = t2;
        out[r + 3] = t3;
    }
    for (; r < count; r++)
        out[r] = dot_avx2(q, rows + r * dim, dim);
}

/* Two 4-bit groups per step, one per 128-bit lane (pshufb looks up within a lane): lane 0
 * takes the even groups, lane 1 the odd ones; entries are summed in bytes for up to 4
 * steps (4 * 56 < 256), then widened to 16 bits (at most 1024 steps: 1024 * 56 < 65536). */
VX_TARGET static void coarse_group_avx2(const uint8_t *lut, const uint8_t *group, size_t nbytes,
                                        uint32_t out[VINDEX_GROUP])
{
    const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    __m256i a0 = zero, a1 = zero, b0 = zero, b1 = zero; /* rows 0-7, 8-15, 16-23, 24-31 */
    size_t steps = nbytes;                              /* 2 * nbytes groups, two per step */
    for (size_t s = 0; s < steps;) {
        __m256i lo8 = zero, hi8 = zero;
        size_t end = s + 4 < steps ? s + 4 : steps;
        for (; s < end; s++) {
            __m256i g = _mm256_loadu_si256((const __m256i *)(const void *)(group + 32 * s));
            __m256i t = _mm256_loadu_si256((const __m256i *)(const void *)(lut + 32 * s));
            lo8 = _mm256_add_epi8(lo8, _mm256_shuffle_epi8(t, _mm256_and_si256(g, low)));
            hi8 = _mm256_add_epi8(
                hi8, _mm256_shuffle_epi8(t, _mm256_and_si256(_mm256_srli_epi16(g, 4), low)));
        }
        a0 = _mm256_add_epi16(a0, _mm256_unpacklo_epi8(lo8, zero));
        a1 = _mm256_add_epi16(a1, _mm256_unpackhi_epi8(lo8, zero));
        b0 = _mm256_add_epi16(b0, _mm256_unpacklo_epi8(hi8, zero));
        b1 = _mm256_add_epi16(b1, _mm256_unpackhi_epi8(hi8, zero));
    }
    /* Add the lanes: rows r of lane 0 and lane 1. */
    uint16_t v[4][16];
    _mm256_storeu_si256((__m256i *)(void *)v[0], a0);
    _mm256_storeu_si256((__m256i *)(void *)v[1], a1);
    _mm256_storeu_si256((__m256i *)(void *)v[2], b0);
    _mm256_storeu_si256((__m256i *)(void *)v[3], b1);
    for (int r = 0; r < 8; r++) {
        out[r] = (uint32_t)v[0][r] + v[0][r + 8];
        out[r + 8] = (uint32_t)v[1][r] + v[1][r + 8];
        out[r + 16] = (uint32_t)v[2][r] + v[2][r + 8];
        out[r + 24] = (uint32_t)v[3][r] + v[3][r + 8];
    }
}

static const vindex_kernels k_avx2 = {"avx2", dot_avx2, dot_rows_avx2, coarse_group_avx2};
#endif

/* ---- NEON --------------------------------------------------------------------------- */

#ifdef VX_NEON
static int32_t dot_neon(const int8_t *a, const int8_t *b, size_t n)
{
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int8x16_t x = vld1q_s8(a + i), y = vld1q_s8(b + i);
        /* int8 x int8 fits int16; pairs are summed into int32 at once. */
        acc0 = vpadalq_s16(acc0, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
        acc1 = vpadalq_s16(acc1, vmull_high_s8(x, y));
    }
    int32_t sum = vaddvq_s32(vaddq_s32(acc0, acc1));
    for (; i < n; i++)
        sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

static void dot_rows_neon(const int8_t *q, const int8_t *rows, size_t dim, size_t count,
                          int32_t *out)
{
    for (size_t r = 0; r < count; r++)
        out[r] = dot_neon(q, rows + r * dim, dim);
}

/* One 4-bit group per step; entries summed in bytes for up to 4 steps, then widened to 16
 * bits, which hold at most 1024 steps; then to 32. */
static void coarse_group_neon(const uint8_t *lut, const uint8_t *group, size_t nbytes,
                              uint32_t out[VINDEX_GROUP])
{
    const uint8x16_t low = vdupq_n_u8(0x0f);
    uint32x4_t o[8];
    for (int i = 0; i < 8; i++)
        o[i] = vdupq_n_u32(0);
    size_t steps = 2 * nbytes;
    for (size_t s = 0; s < steps;) {
        uint16x8_t a0 = vdupq_n_u16(0), a1 = a0, b0 = a0, b1 = a0;
        size_t chunk = s + 1024 < steps ? s + 1024 : steps;
        while (s < chunk) {
            uint8x16_t lo8 = vdupq_n_u8(0), hi8 = lo8;
            size_t end = s + 4 < chunk ? s + 4 : chunk;
            for (; s < end; s++) {
                uint8x16_t g = vld1q_u8(group + 16 * s), t = vld1q_u8(lut + 16 * s);
                lo8 = vaddq_u8(lo8, vqtbl1q_u8(t, vandq_u8(g, low)));
                hi8 = vaddq_u8(hi8, vqtbl1q_u8(t, vshrq_n_u8(g, 4)));
            }
            a0 = vaddw_u8(a0, vget_low_u8(lo8));
            a1 = vaddw_high_u8(a1, lo8);
            b0 = vaddw_u8(b0, vget_low_u8(hi8));
            b1 = vaddw_high_u8(b1, hi8);
        }
        o[0] = vaddw_u16(o[0], vget_low_u16(a0));
        o[1] = vaddw_high_u16(o[1], a0);
        o[2] = vaddw_u16(o[2], vget_low_u16(a1));
        o[3] = vaddw_high_u16(o[3], a1);
        o[4] = vaddw_u16(o[4], vget_low_u16(b0));
        o[5] = vaddw_high_u16(o[5], b0);
        o[6] = vaddw_u16(o[6], vget_low_u16(b1));
        o[7] = vaddw_high_u16(o[7], b1);
    }
    for (int i = 0; i < 8; i++)
        vst1q_u32(out + 4 * i, o[i]);
}

static const vindex_kernels k_neon = {"neon", dot_neon, dot_rows_neon, coarse_group_neon};
#endif

/* ---- Dispatch ----------------------------------------------------------------------- */

const vindex_kernels *vindex_kernels_simd(void)
{
#if defined(VX_AVX2)
    if (__builtin_cpu_supports("avx2")) return &k_avx2;
    return NULL;
#elif defined(VX_NEON)
    return &k_neon;
#else
    return NULL;
#endif
}

const vindex_kernels *vindex_kernels_active(void)
{
    const char *force = getenv("MEM0_VINDEX_KERNEL");
    const vindex_kernels *k = NULL;
    if (!force || strcmp(force, "scalar") != 0) k = vindex_kernels_simd();
    return k ? k : &k_scalar;
}
