// Softmax and log-softmax over Float rows (Note [Softmax rows] in
// Sources/TensorCore/DenseTensor+Softmax.swift): each row's maximum, exponentials and sum in
// sixteen lanes, so that the compiler vectorizes every pass (Swift's SIMD maximum was an out-of-line
// call per vector), compiled three times (baseline SSE2, AVX2, AVX-512) from one body. The
// exponential is exp_f32.h's tc_exp_normal (a result below 2^-126, 1e-38 of the row's largest, is
// 0), contraction off and fused multiply-adds written out (TC_FMA): every variant gives the same bits.
#include "CTensorCoreShims.h"
#include "exp_f32.h"
#include "lanes_f32.h"
#include <math.h>

static inline __attribute__((always_inline)) void tc_softmax_row(float *y, const float *x, long n, bool log) {
#pragma clang fp contract(off)
    float acc[16];
    for (int j = 0; j < 16; j++) acc[j] = x[j];
    long i = 16;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    float m = acc[0];
    for (int j = 1; j < 16; j++) m = acc[j] > m ? acc[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    if (m == -__builtin_inff()) m = 0;   // an all -inf row gives NaN below, as PyTorch
    float s[16] = {0};
    for (i = 0; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) {
            float e = tc_exp_normal(x[i + j] - m);
            y[i + j] = e;
            s[j] += e;
        }
    float total = tc_lanes_sum(s);
    for (; i < n; i++) {
        float e = tc_exp_normal(x[i] - m);
        y[i] = e;
        total += e;
    }
    if (log) {
        float shift = m + logf(total);
        for (i = 0; i < n; i++) y[i] = x[i] - shift;
    } else {
        float scale = 1.0f / total;
        for (i = 0; i < n; i++) y[i] *= scale;
    }
}

#define TC_SOFTMAX_BODY \
    for (long r = rowLo; r < rowHi; r++) tc_softmax_row(dst + r * n, src + r * n, n, log);

void _tensorcore_softmax_rows_f32(float *dst, const float *src, long n, long rowLo, long rowHi, bool log) { TC_SOFTMAX_BODY }

TC_TARGET_AVX2
void _tensorcore_softmax_rows_f32_avx2(float *dst, const float *src, long n, long rowLo, long rowHi, bool log) { TC_SOFTMAX_BODY }
TC_TARGET_AVX512
void _tensorcore_softmax_rows_f32_avx512(float *dst, const float *src, long n, long rowLo, long rowHi, bool log) { TC_SOFTMAX_BODY }
