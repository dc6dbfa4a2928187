// Layer normalization over Float rows, forward and backward (Note [Layer norm rows] in
// Sources/TensorCore/DenseTensor+Normalization.swift): one row at a time through all its passes,
// each pass on sixteen lanes so that the compiler vectorizes it, compiled three times (baseline
// SSE2, AVX2, AVX-512) from one body; the Swift loops these replace ran at SSE2's width in every
// build. No multiply-add is fused (contraction off): every variant gives the same bits.
#include "CTensorCoreShims.h"
#include "exp_f32.h"
#include "lanes_f32.h"
#include <math.h>
#include <string.h>

// Sixteen lanes as one clang vector: zmm with AVX-512, two ymm with AVX2, four xmm in the
// baseline. Accumulating into a float[16] instead, the compiler vectorized the loops only a few
// lanes at a time, slower than the Swift loops these replace.
typedef float tc_v16 __attribute__((ext_vector_type(16)));
// The helpers below take and return such vectors, which would pass differently in builds with
// and without AVX-512; they are always inlined into each build's own body, so no call passes one.
#pragma clang diagnostic ignored "-Wpsabi"
typedef float tc_v8 __attribute__((ext_vector_type(8)));
typedef float tc_v4 __attribute__((ext_vector_type(4)));
static inline __attribute__((always_inline)) tc_v16 tc_load16(const float *p) {
    tc_v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

// tc_lanes_sum's tree, in vector halves.
static inline __attribute__((always_inline)) float tc_v16_sum(tc_v16 v) {
#pragma clang fp contract(off)
    tc_v8 v8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    tc_v4 v4 = __builtin_shufflevector(v8, v8, 0, 1, 2, 3) + __builtin_shufflevector(v8, v8, 4, 5, 6, 7);
    return (v4[0] + v4[2]) + (v4[1] + v4[3]);
}

// Σ f(block) over a row's whole blocks of sixteen, on four accumulators (a row of 128 is two
// dependent additions deep instead of eight: the rows are short, and latency is what they
// cost), added as (a0 + a1) + (a2 + a3); `*end` is where the blocks stop.
#define TC_ROW_BLOCK_SUM(result, n, end, f)                                            \
    do {                                                                             \
        tc_v16 a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                       \
        long k = 0;                                                                  \
        for (; k + 64 <= (n); k += 64) {                                             \
            a0 += f(k);                                                              \
            a1 += f(k + 16);                                                         \
            a2 += f(k + 32);                                                         \
            a3 += f(k + 48);                                                         \
        }                                                                            \
        for (; k + 16 <= (n); k += 16) a0 += f(k);                                   \
        (result) = tc_v16_sum((a0 + a1) + (a2 + a3));                                \
        *(end) = k;                                                                  \
    } while (0)

// The mean and 1/√(var + eps) of a row (the biased variance, from the squared deviations).
static inline __attribute__((always_inline)) void tc_row_moments(const float *x, long n, float eps, float *mean,
                                                                 float *rstd) {
#pragma clang fp contract(off)
    long i;
    float total;
#define TC_X(k) tc_load16(x + (k))
    TC_ROW_BLOCK_SUM(total, n, &i, TC_X);
    for (; i < n; i++) total += x[i];
    float m = total / (float)n;
    float squares;
#define TC_SQ(k) ((tc_load16(x + (k)) - m) * (tc_load16(x + (k)) - m))
    TC_ROW_BLOCK_SUM(squares, n, &i, TC_SQ);
    for (; i < n; i++) {
        float d = x[i] - m;
        squares += d * d;
    }
    *mean = m;
    *rstd = 1.0f / sqrtf(squares / (float)n + eps);
}

static inline __attribute__((always_inline)) void tc_layer_norm_row(float *y, const float *x, const float *w,
                                                                    const float *b, long n, float eps) {
#pragma clang fp contract(off)
    float m, r;
    tc_row_moments(x, n, eps, &m, &r);
    if (w && b) {
        for (long i = 0; i < n; i++) y[i] = (x[i] - m) * r * w[i] + b[i];
    } else if (w) {
        for (long i = 0; i < n; i++) y[i] = (x[i] - m) * r * w[i];
    } else if (b) {
        for (long i = 0; i < n; i++) y[i] = (x[i] - m) * r + b[i];
    } else {
        for (long i = 0; i < n; i++) y[i] = (x[i] - m) * r;
    }
}

// One row's gradients: dx = σ⁻¹ (ĝ − mean(ĝ) − x̂ mean(ĝ x̂)), ĝ = g·w, x̂ = (x − μ)σ⁻¹; the row's
// terms g·x̂ and g added to dw and db. One pass for the sums and the weight's and bias's terms,
// one for dx.
static inline __attribute__((always_inline)) void tc_layer_norm_row_backward(float *dx, float *dw, float *db,
                                                                             const float *x, const float *g,
                                                                             const float *w, long n, float eps) {
#pragma clang fp contract(off)
    float m, r;
    tc_row_moments(x, n, eps, &m, &r);
    if (dw) for (long i = 0; i < n; i++) dw[i] += g[i] * ((x[i] - m) * r);
    if (db) for (long i = 0; i < n; i++) db[i] += g[i];
    if (!dx) return;
    long i;
    float sumG, sumGX;
#define TC_GW(k) (w ? tc_load16(g + (k)) * tc_load16(w + (k)) : tc_load16(g + (k)))
#define TC_GWX(k) (TC_GW(k) * ((tc_load16(x + (k)) - m) * r))
    TC_ROW_BLOCK_SUM(sumG, n, &i, TC_GW);
    TC_ROW_BLOCK_SUM(sumGX, n, &i, TC_GWX);
    for (; i < n; i++) {
        float gv = g[i] * (w ? w[i] : 1.0f);
        sumG += gv;
        sumGX += gv * ((x[i] - m) * r);
    }
    float meanG = sumG / (float)n, meanGX = sumGX / (float)n;
    if (w) {
        for (i = 0; i < n; i++) dx[i] = r * (g[i] * w[i] - meanG - (x[i] - m) * r * meanGX);
    } else {
        for (i = 0; i < n; i++) dx[i] = r * (g[i] - meanG - (x[i] - m) * r * meanGX);
    }
}

#define TC_LAYER_NORM_BODY \
    for (long row = rowLo; row < rowHi; row++) tc_layer_norm_row(y + row * n, x + row * n, w, b, n, eps);
#define TC_LAYER_NORM_BACKWARD_BODY                                                                        \
    for (long row = rowLo; row < rowHi; row++)                                                             \
        tc_layer_norm_row_backward(dx ? dx + row * n : dx, dw, db, x + row * n, g + row * n, w, n, eps);

void _tensorcore_layer_norm_rows_f32(float *y, const float *x, const float *w, const float *b, long n, long rowLo,
                                     long rowHi, float eps) { TC_LAYER_NORM_BODY }
TC_TARGET_AVX2 void _tensorcore_layer_norm_rows_f32_avx2(float *y, const float *x, const float *w, const float *b, long n,
                                                         long rowLo, long rowHi, float eps) { TC_LAYER_NORM_BODY }
TC_TARGET_AVX512 void _tensorcore_layer_norm_rows_f32_avx512(float *y, const float *x, const float *w, const float *b,
                                                             long n, long rowLo, long rowHi, float eps) { TC_LAYER_NORM_BODY }

void _tensorcore_layer_norm_backward_rows_f32(float *dx, float *dw, float *db, const float *x, const float *g,
                                              const float *w, long n, long rowLo, long rowHi, float eps) {
    TC_LAYER_NORM_BACKWARD_BODY
}
TC_TARGET_AVX2 void _tensorcore_layer_norm_backward_rows_f32_avx2(float *dx, float *dw, float *db, const float *x,
                                                                  const float *g, const float *w, long n, long rowLo,
                                                                  long rowHi, float eps) { TC_LAYER_NORM_BACKWARD_BODY }
TC_TARGET_AVX512 void _tensorcore_layer_norm_backward_rows_f32_avx512(float *dx, float *dw, float *db, const float *x,
                                                                      const float *g, const float *w, long n, long rowLo,
                                                                      long rowHi, float eps) { TC_LAYER_NORM_BACKWARD_BODY }
